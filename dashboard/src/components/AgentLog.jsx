// AgentLog.jsx - an agent's log, structured (GET .../agents/:agent/log, docs/memory.md): oldest
// first, 200 events at a time, "Load more" reading the events after the last one read (newer ones
// too, as the agent goes on). A call (a tool or a command) and what directly follows it as its
// answer (results, printed lines) make one card (LogEntry.jsx draws each). With props.target (the
// seq of #/towns/:town/agents/:agent/log?seq=), pages are read until that event is in; it is
// marked, its card opened, scrolled to and given the focus. Not live: the Stream tab is.
import { For, Show, createEffect, createSignal, on, onCleanup, onMount } from "solid-js";
import { get, query, townPath } from "../api.js";
import { useTown } from "../context.js";
import LogEntry from "./LogEntry.jsx";
import { ErrorBox, Loading } from "./Status.jsx";

const PAGE = 200;
const CATCH_UP = 1000; // the most the town gives at once, to reach a linked event in few calls
const isCall = (e) => e.kind === "tool" || e.kind === "command";
const answers = (e) => e.kind === "result" || e.kind === "output";
const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;

export default function AgentLog(props) {
	const town = useTown();
	const [groups, setGroups] = createSignal([]);
	const [loaded, setLoaded] = createSignal(false);
	const [busy, setBusy] = createSignal(false);
	const [err, setErr] = createSignal(null);
	const [note, setNote] = createSignal("");
	const [open, setOpen] = createSignal(new Set());
	let last = 0; // the seq of the last event read
	let count = 0;
	let ended = false; // the last read came short: nothing more for now
	let alive = true;
	onCleanup(() => { alive = false; });

	// Append events: an answer joins the call before it (a new object for that card only, so the
	// others stay as drawn); anything else starts an entry of its own.
	function add(events) {
		if (!events.length) return;
		setGroups((old) => {
			const gs = old.slice();
			for (const e of events) {
				const prev = gs[gs.length - 1];
				if (answers(e) && prev?.call) gs[gs.length - 1] = { ...prev, after: [...prev.after, e] };
				else gs.push(isCall(e) ? { key: e.seq, call: e, after: [] } : { key: e.seq, event: e, after: [] });
			}
			return gs;
		});
		last = events[events.length - 1].seq;
		count += events.length;
	}

	// Read up to limit events after the last one: how many came, or -1 on an error (shown).
	async function read(limit) {
		setBusy(true);
		setErr(null);
		try {
			const page = await get(townPath(town.id, "agents", props.agent, "log") + query({ after: last, limit }));
			const events = page.events ?? [];
			if (!alive) return 0;
			add(events);
			ended = events.length < limit;
			return events.length;
		} catch (e) {
			if (alive) setErr(e);
			return -1;
		} finally {
			if (alive) setBusy(false);
		}
	}

	async function first() {
		const n = await read(props.target ? CATCH_UP : PAGE);
		if (n < 0) return;
		setLoaded(true);
		setNote(n ? `${plural(count, "event")}, oldest first.` : "");
		await reach(props.target);
	}

	async function loadMore() {
		const n = await read(PAGE);
		if (n === 0) setNote(`No newer events yet (${plural(count, "event")} in all).`);
		else if (n > 0) setNote(`${plural(n, "more event")}, ${count} in all.`);
	}

	// The event the address names: read on until it is in (or the log ends), open its card, go there.
	async function reach(target) {
		if (!target) return;
		while (last < target && !ended && (await read(CATCH_UP)) >= 0) { /* until it is in */ }
		if (!alive) return;
		const g = groups().find((x) => x.key === target || x.after.some((e) => e.seq === target));
		if (!g) {
			setNote(`Event ${target} is not in ${props.agent}'s log: it is another agent's, or was dropped as the log grew.`);
			return;
		}
		if (g.key !== target || g.call?.kind === "tool") setOpen((s) => new Set(s).add(g.key));
		requestAnimationFrame(() => {
			const el = document.getElementById(`log-${target}`);
			if (!el) return;
			el.scrollIntoView({ block: "center" });
			el.focus({ preventScroll: true });
		});
	}

	const toggle = (key) => setOpen((s) => {
		const next = new Set(s);
		if (next.has(key)) next.delete(key);
		else next.add(key);
		return next;
	});

	onMount(first);
	createEffect(on(() => props.target, (t) => loaded() && reach(t), { defer: true }));

	return (
		<section class="log-section" aria-label="Agent log">
			<ErrorBox error={err()} retry={() => (loaded() ? loadMore() : first())} title="Cannot read the log" />
			<Show when={loaded()} fallback={<Show when={!err()}><Loading>Reading the log…</Loading></Show>}>
				<Show when={groups().length} fallback={
					<p class="empty" data-testid="log-empty">Nothing in the log yet: what the agent says and does appears here as it works.</p>
				}>
					<ol class="log" data-testid="agent-log" aria-label={`Log of ${props.agent}, oldest first`}>
						<For each={groups()}>
							{(g) => <LogEntry group={g} target={props.target} open={open().has(g.key)} onToggle={() => toggle(g.key)} />}
						</For>
					</ol>
				</Show>
				<div class="log-more">
					<button type="button" class="btn secondary" disabled={busy()} onClick={loadMore} data-testid="log-more">
						{busy() ? "Loading…" : "Load more"}
					</button>
					<p class="muted small" role="status" data-testid="log-status">{note()}</p>
				</div>
			</Show>
		</section>
	);
}
