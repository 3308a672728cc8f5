// AgentStream.jsx - what an agent said and did, as a timeline: its messages, the tools it called,
// their output and errors, each styled by type. Live from the socket's agent.output frames.
import { For, Show, createSignal, onCleanup, onMount } from "solid-js";
import { errorText, get, query, townPath } from "../api.js";
import { useTown } from "../context.js";
import { clock, iso } from "../format.js";
import { debounce } from "../load.js";
import { record } from "../uictx.js";
import { Loading } from "./Status.jsx";

const TYPES = [
	{ id: "message", label: "Messages" },
	{ id: "tool", label: "Tool calls" },
	{ id: "output", label: "Output" },
	{ id: "error", label: "Errors" },
];
const KEPT = 2000;

export default function AgentStream(props) {
	const town = useTown();
	const [items, setItems] = createSignal([]);
	const [loading, setLoading] = createSignal(true);
	const [err, setErr] = createSignal(null);
	const [hidden, setHidden] = createSignal(new Set());
	const [follow, setFollow] = createSignal(true);
	let list;
	let live = 0;

	async function load() {
		setLoading(true);
		setErr(null);
		try {
			let after = 0;
			let all = [];
			for (let i = 0; i < 10; i++) {
				const page = await get(townPath(town.id, "agents", props.agent, "events") + query({ after }));
				const evs = Array.isArray(page) ? page : page.events ?? [];
				all = all.concat(evs);
				if (evs.length < 500) break;
				after = evs[evs.length - 1].seq;
			}
			setItems(all.slice(-KEPT).map((e) => ({ ...e, key: `s${e.seq}` })));
			scrollDown();
		} catch (e) {
			setErr(e);
		} finally {
			setLoading(false);
		}
	}

	function scrollDown() {
		if (!follow() || !list) return;
		queueMicrotask(() => requestAnimationFrame(() => { if (list) list.scrollTop = list.scrollHeight; }));
	}

	const reload = debounce(load, 300);
	const off = town.on((f) => {
		if (f.type === "agent.output" && f.agent === props.agent && Array.isArray(f.events)) {
			const now = Date.now();
			setItems((old) => [...old, ...f.events.map((e) => ({ ...e, at_ms: e.at_ms ?? now, key: `l${live++}` }))].slice(-KEPT));
			scrollDown();
		} else if (f.type === "reconnected") {
			reload();
		}
	});
	onCleanup(() => {
		off();
		reload.cancel();
	});
	onMount(load);

	const shown = () => items().filter((e) => !hidden().has(e.type));
	const toggle = (t, on) => {
		const s = new Set(hidden());
		if (on) s.delete(t);
		else s.add(t);
		setHidden(s);
		record(`changed stream filter (${t})`, "agent", props.agent);
	};
	const onScroll = () => {
		if (!list) return;
		setFollow(list.scrollHeight - list.scrollTop - list.clientHeight < 40);
	};

	return (
		<section class="stream-section" aria-label="Agent stream">
			<div class="stream-tools">
				<fieldset class="toggles">
					<legend class="visually-hidden">Show</legend>
					<For each={TYPES}>
						{(t) => (
							<label class={`check chip type-${t.id}`}>
								<input type="checkbox" checked={!hidden().has(t.id)} onChange={(e) => toggle(t.id, e.currentTarget.checked)}
									data-testid={`stream-show-${t.id}`} />
								<span>{t.label}</span>
							</label>
						)}
					</For>
				</fieldset>
				<Show when={!follow()}>
					<button type="button" class="btn secondary" onClick={() => { setFollow(true); scrollDown(); }}>Jump to latest</button>
				</Show>
			</div>
			<Show when={err()}>
				<div class="error" role="alert">Cannot load the stream: {errorText(err())}{" "}
					<button type="button" class="link-btn" onClick={load}>Try again</button></div>
			</Show>
			<Show when={!loading() || items().length} fallback={<Loading />}>
				<ol class="stream" ref={list} onScroll={onScroll} data-testid="agent-stream" aria-live="polite" aria-relevant="additions"
					tabindex="0" aria-label={`Events of ${props.agent}`}>
					<Show when={shown().length} fallback={<li class="empty">{items().length ? "Everything is filtered out." : "No events yet. They appear here as the agent works."}</li>}>
						<For each={shown()}>
							{(e) => (
								<li class={`ev ev-${e.type}`} data-type={e.type}>
									<span class="ev-meta">
										<span class="ev-type">{e.type}</span>
										<time datetime={iso(e.at_ms)}>{clock(e.at_ms)}</time>
										<Show when={e.bead}><span class="ev-bead">{e.bead}</span></Show>
									</span>
									<Show when={e.type === "message"} fallback={<pre class="ev-text">{e.text}</pre>}>
										<p class="ev-text">{e.text}</p>
									</Show>
								</li>
							)}
						</For>
					</Show>
				</ol>
			</Show>
		</section>
	);
}
