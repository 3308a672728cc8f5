// Board.jsx - the bead board: one column per status, filters, live updates from the feed socket,
// the detail panel (#/towns/:town/beads/:bead) and the new-bead form.
import { For, Show, createEffect, createMemo, createSignal, on, onCleanup } from "solid-js";
import { ApiError, get, query, townPath } from "../api.js";
import BeadDetail from "../components/BeadDetail.jsx";
import NewBead from "../components/NewBead.jsx";
import { ErrorBox } from "../components/Status.jsx";
import { useTown } from "../context.js";
import { BEAD_TYPES, STATUSES, statusLabel } from "../format.js";
import { boardFilters } from "../filters.js";
import { debounce } from "../load.js";
import { href, navigate, route } from "../route.js";
import { record } from "../uictx.js";

const PAGE = 100;

// Does a bead pass the filters the server does not apply (requested_by, text)?
function passes(b, f) {
	if (f.requested_by && !b.requested_by?.toLowerCase().includes(f.requested_by.toLowerCase())) return false;
	if (f.text) {
		const t = f.text.toLowerCase();
		const hay = `${b.id} ${b.title} ${b.body ?? ""} ${(b.labels ?? []).join(" ")}`.toLowerCase();
		if (!hay.includes(t)) return false;
	}
	return true;
}

// And those it does (rig, type, assignee), for beads that arrive through the socket.
function passesServer(b, f) {
	return (!f.rig || b.rig === f.rig) && (!f.type || b.type === f.type) && (!f.assignee || b.assignee === f.assignee);
}

function BeadCard(props) {
	const town = useTown();
	const b = () => props.bead;
	return (
		<li class={`bead-card prio-${b().priority}`} data-testid={`bead-${b().id}`} data-status={b().status}
			classList={{ selected: props.selected }}>
			<a class="stretch" href={href("towns", town.id, "beads", b().id)} aria-current={props.selected ? "true" : undefined}>
				<span class="bead-title">{b().title}</span>
			</a>
			<span class="bead-meta">
				<code>{b().id}</code>
				<span class="badge type">{b().type}</span>
				<span class="badge prio" title={`priority ${b().priority}`}>P{b().priority}</span>
				<Show when={b().held}><span class="badge held">held</span></Show>
			</span>
			<span class="bead-meta muted">
				<Show when={b().rig}><span>rig {b().rig}</span></Show>
				<Show when={b().assignee}><span>→ {b().assignee}</span></Show>
				<span>for {b().requested_by}</span>
			</span>
		</li>
	);
}

export default function Board() {
	const town = useTown();
	const filters = boardFilters(town.id);
	const f = filters.values;
	// Per column: {beads, cursor, loading, error}
	const empty = () => Object.fromEntries(STATUSES.map((s) => [s, { beads: [], cursor: null, loading: true, error: null }]));
	const [cols, setCols] = createSignal(empty());
	const [creating, setCreating] = createSignal(false);
	const [liveNote, setLiveNote] = createSignal("");
	const [createdWarning, setCreatedWarning] = createSignal(null); // {id, text}
	let generation = 0;

	const serverFilters = createMemo(() => ({ rig: f().rig, type: f().type, assignee: f().assignee.trim() }),
		undefined, { equals: (a, b) => a.rig === b.rig && a.type === b.type && a.assignee === b.assignee });

	function setCol(status, patch) {
		setCols((c) => ({ ...c, [status]: { ...c[status], ...patch } }));
	}

	async function loadColumn(status, more = false) {
		const gen = generation;
		const sf = serverFilters();
		setCol(status, { loading: true, error: null });
		try {
			const page = await get(townPath(town.id, "beads") + query({ status, limit: PAGE, ...sf,
				cursor: more ? cols()[status].cursor : undefined }));
			if (gen !== generation) return;
			const have = more ? cols()[status].beads : [];
			const ids = new Set(have.map((b) => b.id));
			setCol(status, { beads: [...have, ...page.beads.filter((b) => !ids.has(b.id))], cursor: page.next_cursor, loading: false });
		} catch (e) {
			if (gen === generation) setCol(status, { loading: false, error: e });
		}
	}

	function loadAll() {
		generation++;
		setCols(empty());
		for (const s of STATUSES) loadColumn(s);
	}

	createEffect(on(serverFilters, loadAll));

	// Put one bead where it now belongs (or nowhere: deleted, or filtered out).
	function place(bead, id) {
		setCols((c) => {
			const next = {};
			for (const s of STATUSES) {
				let list = c[s].beads.filter((x) => x.id !== id);
				if (bead && bead.status === s && passesServer(bead, serverFilters())) {
					const old = c[s].beads.find((x) => x.id === id);
					// Keep a bead where it was in its column; a newcomer goes on top (newest first).
					list = old ? c[s].beads.map((x) => (x.id === id ? bead : x)) : [bead, ...list];
				}
				next[s] = list === c[s].beads ? c[s] : { ...c[s], beads: list };
			}
			return next;
		});
	}

	const refreshOne = new Map();
	function beadChanged(id) {
		if (!refreshOne.has(id))
			refreshOne.set(id, debounce(async () => {
				refreshOne.delete(id);
				try {
					const bead = await get(townPath(town.id, "beads", id));
					const before = STATUSES.find((s) => cols()[s].beads.some((x) => x.id === id));
					place(bead, id);
					if (before && before !== bead.status) setLiveNote(`${id} moved from ${statusLabel(before)} to ${statusLabel(bead.status)}`);
					else if (!before) setLiveNote(`${id} is now ${statusLabel(bead.status)}`);
				} catch (e) {
					if (e instanceof ApiError && e.status === 404) place(null, id);
				}
			}, 200));
		refreshOne.get(id)();
	}

	const off = town.on((frame) => {
		if (frame.type === "event" && frame.kind?.startsWith("bead.") && frame.subject) beadChanged(frame.subject);
	});
	onCleanup(() => {
		off();
		for (const d of refreshOne.values()) d.cancel();
	});

	const shown = (status) => cols()[status].beads.filter((b) => passes(b, f()));
	const anyFilter = () => Object.values(f()).some((v) => v);

	const setFilter = (k, v) => {
		filters.set(k, v);
		record(`changed board filter (${k.replace("_", " ")})`);
	};
	const typed = debounce((k, v) => setFilter(k, v), 250);

	const openId = () => (route().open?.type === "bead" ? route().open.id : null);

	const openNew = () => {
		if (openId()) navigate("towns", town.id, "beads");
		setCreating(true);
		record("opened the new bead form");
	};

	return (
		<div class="with-panel" classList={{ "panel-open": !!openId() || creating() }}>
			<section class="page board-page" aria-labelledby="board-title">
				<div class="page-head">
					<h1 id="board-title">Beads</h1>
					<Show when={town.canWrite()}>
						<button type="button" class="btn" onClick={openNew} data-testid="new-bead">New bead</button>
					</Show>
				</div>
				<form class="filters" role="search" aria-label="Filter beads" onSubmit={(e) => e.preventDefault()}>
					<label>
						<span>Rig</span>
						<select value={f().rig} onChange={(e) => setFilter("rig", e.currentTarget.value)} data-testid="filter-rig">
							<option value="">All rigs</option>
							<For each={town.rigs.data() ?? []}>{(r) => <option value={r.id} selected={f().rig === r.id}>{r.id}</option>}</For>
							<Show when={f().rig && !(town.rigs.data() ?? []).some((r) => r.id === f().rig)}>
								<option value={f().rig} selected>{f().rig}</option>
							</Show>
						</select>
					</label>
					<label>
						<span>Type</span>
						<select value={f().type} onChange={(e) => setFilter("type", e.currentTarget.value)} data-testid="filter-type">
							<option value="">All types</option>
							<For each={BEAD_TYPES}>{(t) => <option value={t} selected={f().type === t}>{t}</option>}</For>
						</select>
					</label>
					<label>
						<span>Assignee</span>
						<input type="text" list="board-agents" value={f().assignee} placeholder="agent id"
							onInput={(e) => typed("assignee", e.currentTarget.value)} data-testid="filter-assignee" autocomplete="off" />
					</label>
					<datalist id="board-agents">
						<For each={town.agents.data() ?? []}>{(a) => <option value={a.id} />}</For>
					</datalist>
					<label>
						<span>Requested by</span>
						<input type="text" value={f().requested_by} placeholder="user id"
							onInput={(e) => typed("requested_by", e.currentTarget.value)} data-testid="filter-requested-by" autocomplete="off" />
					</label>
					<label class="grow">
						<span>Text</span>
						<input type="search" value={f().text} placeholder="id, title, body or label"
							onInput={(e) => typed("text", e.currentTarget.value)} data-testid="filter-text" autocomplete="off" />
					</label>
					<Show when={anyFilter()}>
						<button type="button" class="btn secondary" onClick={() => { filters.clear(); record("cleared board filters"); }}
							data-testid="filter-clear">Clear</button>
					</Show>
				</form>
				<p class="visually-hidden" role="status" aria-live="polite">{liveNote()}</p>
				<div class="board">
					<For each={STATUSES}>
						{(status) => {
							const col = () => cols()[status];
							return (
								<section class={`column col-${status}`} data-testid={`column-${status}`} aria-labelledby={`col-${status}-title`}>
									<h2 id={`col-${status}-title`} class="column-title">
										{statusLabel(status)} <span class="count">{shown(status).length}{col().cursor ? "+" : ""}</span>
									</h2>
									<ErrorBox error={col().error} retry={() => loadColumn(status)} title="Cannot load" />
									<Show when={!col().loading || col().beads.length} fallback={<p class="loading" role="status">Loading…</p>}>
										<Show when={shown(status).length} fallback={<p class="empty">{anyFilter() ? "No match." : "Empty."}</p>}>
											<ul class="cards">
												<For each={shown(status)}>{(b) => <BeadCard bead={b} selected={openId() === b.id} />}</For>
											</ul>
										</Show>
									</Show>
									<Show when={col().cursor}>
										<button type="button" class="btn secondary more" disabled={col().loading}
											onClick={() => loadColumn(status, true)}>{col().loading ? "Loading…" : "Load more"}</button>
									</Show>
								</section>
							);
						}}
					</For>
				</div>
				<Show when={f().text || f().requested_by}>
					<p class="muted small">Text and requester filters apply to the beads loaded in each column.</p>
				</Show>
			</section>
			<Show when={openId()} keyed>
				{(id) => <BeadDetail id={id} warning={createdWarning()?.id === id ? createdWarning().text : ""} onClose={() => navigate("towns", town.id, "beads")} onChanged={(b) => place(b, b.id)} />}
			</Show>
			<Show when={creating() && !openId()}>
				<NewBead onClose={() => setCreating(false)}
					onCreated={(b, warning) => { place(b, b.id); setCreatedWarning(warning ? { id: b.id, text: warning } : null); setCreating(false); navigate("towns", town.id, "beads", b.id); }} />
			</Show>
		</div>
	);
}
