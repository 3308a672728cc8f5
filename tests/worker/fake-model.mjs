// fake-model.mjs - a model gateway on loopback for the real coding CLIs (docs/agents.md): Anthropic
// Messages (POST /v1/messages), OpenAI Responses (POST /v1/responses) and chat completions
// (POST /v1/chat/completions), always streamed. It replays a scripted conversation and checks each
// request on the way: the gateway key the metering proxy must put in place of the run's key, and
// the Gastown MCP tools in the tool list. What it finds wrong goes into `failures`, for the test
// to assert empty, so a broken integration fails even when the CLI carries on.
import { createServer } from "node:http";

// The model name the answers report: one the town's price table knows, so costs are non-zero.
export const PRICED = { anthropic: "claude-sonnet-4", openai: "gpt-4o" };
const USAGE = { input: 1000, output: 100 };

// Each wire's spelling of a shell command and of an MCP tool of the "gastown" server.
const WIRES = {
	anthropic: {
		shell: (cmd) => ({ name: "Bash", input: { command: cmd, description: "run it" } }),
		mcp: (tool, args) => ({ name: `mcp__gastown__${tool}`, input: args }),
		// Earlier assistant turns: the index of the next step.
		turn: (b) => (b.messages ?? []).filter((m) => m.role === "assistant").length,
	},
	responses: {
		shell: (cmd) => ({ name: "exec_command", input: { cmd } }),
		mcp: (tool, args) => ({ name: tool, namespace: "mcp__gastown", input: args }),
		turn: (b) => (Array.isArray(b.input) ? b.input : []).filter((i) => /_call_output$/.test(i.type ?? "")).length,
	},
	chat: {
		shell: (cmd) => ({ name: "bash", input: { command: cmd, description: "run it" } }),
		mcp: (tool, args) => ({ name: `gastown_${tool}`, input: args }),
		turn: (b) => (b.messages ?? []).filter((m) => m.role === "tool").length,
	},
};

// scripts: [{name, match(text) -> bool, steps: [step | (ctx) => step]}], the first whose match
// takes the request's body text wins. A step is {shell: "cmd"}, {mcp: "gt_status", args: {...}} or
// {text: "..."}; past the last step the model answers "Done.". ctx: {text, bead, branch} read from
// the request (the prompt names the bead and its branch). opts.key: the gateway key expected.
export async function fakeModel(t, { scripts, key }) {
	const failures = [], calls = [];
	const fail = (why) => { if (!failures.includes(why)) failures.push(why); };
	const server = createServer((req, res) => {
		let raw = "";
		req.on("data", (c) => { raw += c; });
		req.on("end", () => {
			const path = req.url.split("?")[0];
			const wire = path === "/v1/messages" ? "anthropic" : path === "/v1/responses" ? "responses"
				: path === "/v1/chat/completions" ? "chat" : null;
			if (req.method !== "POST" || !wire) {
				res.writeHead(404, { "content-type": "application/json" });
				return res.end(JSON.stringify({ error: { message: "no such route" } }));
			}
			let body;
			try { body = JSON.parse(raw); } catch { fail(`${path}: the body is not JSON`); body = {}; }
			const auth = wire === "anthropic" ? req.headers["x-api-key"] : (req.headers.authorization ?? "").replace(/^Bearer /, "");
			if (auth !== key) fail(`${path}: the gateway key is "${auth}", not the town's (the metering proxy replaces the run's)`);
			const tools = JSON.stringify(body.tools ?? []);
			const call = { wire, path, model: body.model, tools: !!body.tools?.length, turn: null, script: null,
				toolNames: (body.tools ?? []).map((x) => x.name ?? x.function?.name ?? x.type),
				bead: /Your bead: ([a-z0-9-]+)/.exec(raw)?.[1] ?? null };
			calls.push(call);
			if (!body.tools?.length) return answer(res, wire, { text: "A title" }, call); // title and other side requests
			const script = scripts.find((s) => s.match(raw));
			if (!script) {
				fail(`${path}: no script matches a request with tools`);
				return answer(res, wire, { text: "Done." }, call);
			}
			call.script = script.name;
			for (const tool of script.expectTools ?? ["gt_status", "gt_done"])
				if (!tools.includes(tool)) fail(`${script.name}: the Gastown MCP tool ${tool} is not in the ${wire} tool list`);
			if (wire === "responses" && !tools.includes("mcp__gastown")) fail(`${script.name}: no mcp__gastown namespace`);
			call.turn = WIRES[wire].turn(body);
			const ctx = { text: raw, bead: /Your bead: ([a-z0-9-]+)/.exec(raw)?.[1], branch: /branch (gt\/[A-Za-z0-9._/-]+?)\./.exec(raw)?.[1] };
			let step = script.steps[call.turn] ?? { text: "Done." };
			if (typeof step === "function") step = step(ctx);
			answer(res, wire, step, call);
		});
	});
	await new Promise((r) => server.listen(0, "127.0.0.1", r));
	t.after(() => new Promise((r) => { server.closeAllConnections(); server.close(r); }));
	return { url: `http://127.0.0.1:${server.address().port}`, failures, calls };
}

// One streamed answer on the wire: a tool call for a shell or MCP step, else text.
function answer(res, wire, step, call) {
	const use = step.shell !== undefined ? WIRES[wire].shell(step.shell) : step.mcp ? WIRES[wire].mcp(step.mcp, step.args ?? {}) : null;
	call.answered = use ? use.name : "text";
	res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
	const id = Math.random().toString(36).slice(2, 10);
	if (wire === "anthropic") {
		const ev = (type, data) => res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
		ev("message_start", { message: { id: `msg_${id}`, type: "message", role: "assistant", model: PRICED.anthropic, content: [],
			stop_reason: null, stop_sequence: null,
			usage: { input_tokens: USAGE.input, output_tokens: 1, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 } } });
		if (use) {
			ev("content_block_start", { index: 0, content_block: { type: "tool_use", id: `toolu_${id}`, name: use.name, input: {} } });
			ev("content_block_delta", { index: 0, delta: { type: "input_json_delta", partial_json: JSON.stringify(use.input) } });
		} else {
			ev("content_block_start", { index: 0, content_block: { type: "text", text: "" } });
			ev("content_block_delta", { index: 0, delta: { type: "text_delta", text: step.text ?? "Done." } });
		}
		ev("content_block_stop", { index: 0 });
		ev("message_delta", { delta: { stop_reason: use ? "tool_use" : "end_turn", stop_sequence: null }, usage: { output_tokens: USAGE.output } });
		ev("message_stop", {});
	} else if (wire === "responses") {
		const ev = (type, data) => res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
		const item = use
			? { type: "function_call", id: `fc_${id}`, call_id: `call_${id}`, name: use.name, arguments: JSON.stringify(use.input),
				...(use.namespace ? { namespace: use.namespace } : {}) }
			: { type: "message", id: `msg_${id}`, role: "assistant", content: [{ type: "output_text", text: step.text ?? "Done." }] };
		ev("response.created", { response: { id: `resp_${id}`, model: PRICED.openai } });
		ev("response.output_item.added", { output_index: 0, item });
		ev("response.output_item.done", { output_index: 0, item });
		ev("response.completed", { response: { id: `resp_${id}`, model: PRICED.openai, usage: { input_tokens: USAGE.input,
			input_tokens_details: { cached_tokens: 0 }, output_tokens: USAGE.output, output_tokens_details: { reasoning_tokens: 0 },
			total_tokens: USAGE.input + USAGE.output } } });
	} else {
		const chunk = (choices, extra = {}) => res.write(`data: ${JSON.stringify({ id: `chatcmpl-${id}`, object: "chat.completion.chunk",
			created: Math.floor(Date.now() / 1000), model: PRICED.openai, choices, ...extra })}\n\n`);
		if (use) {
			chunk([{ index: 0, delta: { role: "assistant", content: null, tool_calls: [{ index: 0, id: `call_${id}`, type: "function",
				function: { name: use.name, arguments: JSON.stringify(use.input) } }] }, finish_reason: null }]);
		} else {
			chunk([{ index: 0, delta: { role: "assistant", content: step.text ?? "Done." }, finish_reason: null }]);
		}
		chunk([{ index: 0, delta: {}, finish_reason: use ? "tool_calls" : "stop" }]);
		chunk([], { usage: { prompt_tokens: USAGE.input, completion_tokens: USAGE.output, total_tokens: USAGE.input + USAGE.output } });
		res.write("data: [DONE]\n\n");
	}
	res.end();
}
