// LogEntry.jsx - one entry of an agent's log (AgentLog.jsx), drawn by its kind: a message as text,
// a command as a monospace line, a tool call as a card that opens on its input (pretty-printed
// when it is JSON), a file with its path, an error in red; what a call answered (its results, the
// lines it printed) inside the call's card. A text the log cut says so ("cut at 4 KB of 9.8 KB").
// The event a link names (props.target) is marked, and its card opened.
import { For, Show } from "solid-js";
import { useTown } from "../context.js";
import { bytes, clock, iso } from "../format.js";
import { href } from "../route.js";

// A call's input as people read it: JSON indented, anything else as it came.
export function pretty(text) {
	try {
		const v = JSON.parse(text);
		if (v && typeof v === "object") return JSON.stringify(v, null, 2);
	} catch {
		/* not JSON (or cut short): as it is */
	}
	return text ?? "";
}

const kept = (text) => new TextEncoder().encode(text ?? "").length;
const plural = (n, one, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

// What a card holds besides its call: "1 result", "3 lines of output".
function answered(after) {
	const results = after.filter((e) => e.kind === "result").length;
	const lines = after.length - results;
	const parts = [];
	if (results) parts.push(plural(results, "result"));
	if (lines) parts.push(plural(lines, "line of output", "lines of output"));
	return parts.join(" and ");
}

// A tool call in one line: the path it names, or the start of its input.
function summary(e) {
	if (e.path) return e.path;
	const line = String(e.text ?? "").replace(/\s+/g, " ").trim();
	return line.length > 90 ? `${line.slice(0, 90)}…` : line;
}

function Cut(props) {
	return (
		<Show when={props.event.truncated}>
			<p class="log-cut" data-testid="log-cut">cut at {bytes(kept(props.event.text))} of {bytes(props.event.size)}</p>
		</Show>
	);
}

// The kind, the time, the bead; "linked" on the event the address names.
function Meta(props) {
	const town = useTown();
	const e = () => props.event;
	return (
		<p class="log-meta">
			<span class="log-kind">{e().kind}</span>
			<time datetime={iso(e().at_ms)}>{clock(e().at_ms)}</time>
			<Show when={props.bead && e().bead}>
				<a href={href("towns", town.id, "beads", e().bead)} class="log-bead"><code>{e().bead}</code></a>
			</Show>
			<Show when={props.target}><span class="badge linked" data-testid="log-linked">linked event</span></Show>
		</p>
	);
}

// The text of an event that is not a call.
function Text(props) {
	const e = () => props.event;
	return (
		<>
			<Show when={e().kind === "file"} fallback={
				<Show when={["message", "status", "note", "bead"].includes(e().kind)}
					fallback={<pre class="log-text">{e().text}</pre>}>
					<p class="log-text">{e().text}</p>
				</Show>
			}>
				<p class="log-text">{e().tool ?? "file"} <code class="log-path">{e().path ?? e().text}</code></p>
			</Show>
			<Cut event={e()} />
		</>
	);
}

// props: group {key, call | event, after}, target (the seq the address names), open, onToggle.
export default function LogEntry(props) {
	const g = () => props.group;
	const head = () => g().call ?? g().event;
	const isTarget = (e) => props.target === e.seq;
	const bodyId = () => `log-body-${g().key}`;

	const Toggle = (p) => (
		<button type="button" class="log-toggle" aria-expanded={props.open ? "true" : "false"} aria-controls={bodyId()}
			onClick={() => props.onToggle()} data-testid="log-toggle">
			<span class="chevron" aria-hidden="true" />
			{p.children}
		</button>
	);
	const After = () => (
		<For each={g().after}>
			{(e) => (
				<div class={`log-sub log-${e.kind}`} classList={{ "log-target": isTarget(e) }} id={`log-${e.seq}`} data-testid="log-event"
					data-seq={e.seq} data-kind={e.kind} tabindex={isTarget(e) ? "-1" : undefined} aria-current={isTarget(e) ? "true" : undefined}>
					<Meta event={e} target={isTarget(e)} />
					<pre class="log-text">{e.text}</pre>
					<Cut event={e} />
				</div>
			)}
		</For>
	);

	return (
		<li class={`log-ev log-${head().kind}`} classList={{ "log-card": !!g().call, "log-target": isTarget(head()) }}
			id={`log-${head().seq}`} data-testid="log-event" data-seq={head().seq} data-kind={head().kind}
			tabindex={isTarget(head()) ? "-1" : undefined} aria-current={isTarget(head()) ? "true" : undefined}>
			<Meta event={head()} target={isTarget(head())} bead />
			<Show when={g().call} fallback={<Text event={head()} />}>
				{(call) => (
					<Show when={call().kind === "tool"} fallback={
						<>
							<pre class="log-cmd"><code><span class="prompt" aria-hidden="true">$ </span>{call().text}</code></pre>
							<Cut event={call()} />
							<Show when={g().after.length}>
								<Toggle>{answered(g().after)}</Toggle>
								<div id={bodyId()} class="log-card-body" hidden={!props.open}><After /></div>
							</Show>
						</>
					}>
						<Toggle>
							<span class="log-toolname">{call().tool ?? "tool"}</span>
							<span class="log-summary">{summary(call())}</span>
							<Show when={g().after.length}><span class="log-count">{answered(g().after)}</span></Show>
						</Toggle>
						<div id={bodyId()} class="log-card-body" hidden={!props.open}>
							<p class="log-label">Input</p>
							<pre class="log-json" data-testid="log-input">{pretty(call().text)}</pre>
							<Cut event={call()} />
							<After />
						</div>
					</Show>
				)}
			</Show>
		</li>
	);
}
