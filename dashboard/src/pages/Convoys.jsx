// Convoys.jsx - convoys and their progress; start one from open beads (fan-out or in series),
// change how an open one runs (members: PATCH {mode}, the town's refusal shown), sling it, and
// follow it as a graph (#/towns/:town/convoys/:convoy).
import { For, Show, createEffect, createSignal, on, onCleanup } from "solid-js";
import { errorText, get, patch, post, query, townPath } from "../api.js";
import ConvoyDag from "../components/ConvoyDag.jsx";
import Panel from "../components/Panel.jsx";
import { ErrorBox, Loaded, Loading } from "../components/Status.jsx";
import { useTown } from "../context.js";
import { clock, iso, statusLabel } from "../format.js";
import { debounce, loader } from "../load.js";
import { href, navigate, route } from "../route.js";
import { record } from "../uictx.js";

function Progress(props) {
	const pct = () => (props.total ? Math.round((props.closed / props.total) * 100) : 0);
	return (
		<div class="progress-line">
			<progress max={props.total || 1} value={props.closed} aria-label={`${props.closed} of ${props.total} beads closed`} />
			<span class="small">{props.closed}/{props.total} closed ({pct()}%)</span>
		</div>
	);
}

export const MODES = [
	{ id: "fan-out", label: "Fan-out: all at once" },
	{ id: "series", label: "Series: one after another" },
];
const modeText = (m) => MODES.find((x) => x.id === m)?.label ?? m;

function ConvoyDetail(props) {
	const town = useTown();
	const convoy = loader(() => get(townPath(town.id, "convoys", props.id)));
	const [rig, setRig] = createSignal("");
	const [busy, setBusy] = createSignal(false);
	const [err, setErr] = createSignal(null);
	const [note, setNote] = createSignal("");
	const [mode, setMode] = createSignal("");
	const [modeErr, setModeErr] = createSignal(null);
	convoy.load();
	// The select follows the convoy's mode as the town reports it.
	createEffect(on(() => convoy.data()?.mode, (m) => m && setMode(m)));

	const again = debounce(async () => {
		const c = await convoy.load();
		if (c) props.onChanged?.(c);
	}, 300);
	const off = town.on((f) => {
		if (f.type !== "event") return;
		const c = convoy.data();
		if (f.subject === props.id || c?.beads?.some((b) => b.id === f.subject)) again();
	});
	onCleanup(() => {
		off();
		again.cancel();
	});

	const slingable = () => (convoy.data()?.beads ?? []).filter((b) => b.status === "open" || b.status === "failed").length;

	async function sling(e) {
		e.preventDefault();
		setBusy(true);
		setErr(null);
		setNote("");
		record("clicked sling convoy", "convoy", props.id);
		try {
			const c = await post(townPath(town.id, "convoys", props.id, "sling"), rig() ? { rig: rig() } : {});
			convoy.set(c);
			props.onChanged?.(c);
			setNote("Slung: the town starts each bead when what it waits for has closed.");
		} catch (x) {
			setErr(x);
		} finally {
			setBusy(false);
		}
	}

	async function changeMode(e) {
		e.preventDefault();
		if (!mode() || mode() === convoy.data()?.mode) return;
		setBusy(true);
		setModeErr(null);
		setErr(null);
		setNote("");
		record(`changed convoy mode to ${mode()}`, "convoy", props.id);
		try {
			const c = await patch(townPath(town.id, "convoys", props.id), { mode: mode() });
			convoy.set(c);
			props.onChanged?.(c);
			setNote(c.mode === "series" ? "Now in series: each bead waits for the one before it."
				: "Now fan-out: the beads run at once, each when its own dependencies allow.");
		} catch (x) {
			setModeErr(x);
			setMode(convoy.data()?.mode ?? "");
		} finally {
			setBusy(false);
		}
	}

	return (
		<Panel id="convoy" class="panel-wide" title={convoy.data()?.title ?? props.id} label="convoy" testid="convoy-detail"
			onClose={() => navigate("towns", town.id, "convoys")}
			returnFocus={() => document.querySelector(`[data-testid="convoy-${CSS.escape(props.id)}"] a`)}>
			<Show when={props.warning}><div class="error" role="alert">{props.warning}</div></Show>
			<ErrorBox error={convoy.error()} retry={convoy.load} title="Cannot load this convoy" />
			<Show when={convoy.data()} fallback={<Show when={!convoy.error()}><Loading /></Show>}>
				{(c) => (
					<>
						<p class="bead-line">
							<code>{c().id}</code>
							<span class={`badge convoy-${c().state}`} data-testid="convoy-state">{c().state}</span>
							<span class="badge" data-testid="convoy-mode">{c().mode}</span>
						</p>
						<Show when={town.canWrite() && c().state === "open"} fallback={
							<p class="small">How the beads run: {modeText(c().mode)}.</p>
						}>
							<form class="inline-form convoy-mode-form" onSubmit={changeMode} aria-label="How the beads run">
								<label>
									<span>How the beads run</span>
									<select value={mode()} onChange={(e) => { setMode(e.currentTarget.value); setModeErr(null); }}
										aria-describedby={modeErr() ? "convoy-mode-error" : undefined} data-testid="convoy-mode-select">
										<For each={MODES}>{(m) => <option value={m.id} selected={m.id === mode()}>{m.label}</option>}</For>
									</select>
								</label>
								<button type="submit" class="btn secondary" disabled={busy() || mode() === c().mode} data-testid="convoy-mode-save">
									Change
								</button>
							</form>
							<Show when={modeErr()}>
								<div id="convoy-mode-error" class="error" role="alert" data-testid="convoy-mode-error">{errorText(modeErr())}</div>
							</Show>
						</Show>
						<Progress closed={c().progress.closed} total={c().progress.total} />
						<Show when={c().diff_totals?.beads}>
							<p class="diff-totals" data-testid="convoy-diff-totals">
								<span>Changed</span>
								<strong>{c().diff_totals.files} {c().diff_totals.files === 1 ? "file" : "files"}</strong>
								<span class="good">+{c().diff_totals.additions}</span>
								<span class="bad">−{c().diff_totals.deletions}</span>
								<span class="muted small">
									in {c().diff_totals.beads} {c().diff_totals.beads === 1 ? "bead" : "beads"} on {c().diff_totals.rigs}{" "}
									{c().diff_totals.rigs === 1 ? "rig" : "rigs"}
								</span>
							</p>
						</Show>
						<p class="muted small">
							started by <strong>{c().created_by}</strong> for <strong>{c().requested_by}</strong>,{" "}
							<time datetime={iso(c().created_ms)}>{clock(c().created_ms)}</time>
							<Show when={c().landed_ms}> · landed {clock(c().landed_ms)}</Show>
						</p>
						<Show when={town.canWrite() && slingable()}>
							<form class="inline-form" onSubmit={sling}>
								<label>
									<span>Rig</span>
									<select value={rig()} onChange={(e) => setRig(e.currentTarget.value)} data-testid="convoy-sling-rig">
										<option value="">each bead's own rig</option>
										<For each={town.rigs.data() ?? []}>{(r) => <option value={r.id}>{r.id}</option>}</For>
									</select>
								</label>
								<button type="submit" class="btn" disabled={busy()} data-testid="convoy-sling">
									Sling {slingable()} bead{slingable() === 1 ? "" : "s"}
								</button>
							</form>
						</Show>
						<Show when={err()}><div class="error" role="alert">{errorText(err())}</div></Show>
						<p class="note" role="status">{note()}</p>
						<h3>Graph</h3>
						<p class="muted small">An arrow goes from a bead to one that waits for it to close.</p>
						<ConvoyDag convoy={c()} town={town.id} />
						<h3>Beads</h3>
						<ul class="plain convoy-beads">
							<For each={c().beads}>
								{(b) => (
									<li>
										<a href={href("towns", town.id, "beads", b.id)}><code>{b.id}</code> {b.title}</a>{" "}
										<span class={`badge status-${b.status}`}>{statusLabel(b.status)}</span>
										<span class="muted small">{b.rig ? ` rig ${b.rig}` : ""}{b.assignee ? ` → ${b.assignee}` : ""}</span>
									</li>
								)}
							</For>
						</ul>
					</>
				)}
			</Show>
		</Panel>
	);
}

function NewConvoy(props) {
	const town = useTown();
	const candidates = loader(async () => {
		const [open, failed] = await Promise.all(["open", "failed"].map((status) =>
			get(townPath(town.id, "beads") + query({ status, limit: 200 }))));
		return [...open.beads, ...failed.beads].filter((b) => !["convoy", "message", "escalation", "merge-request", "epic"].includes(b.type));
	}, []);
	candidates.load();
	const [title, setTitle] = createSignal("");
	const [mode, setMode] = createSignal("fan-out");
	const [picked, setPicked] = createSignal([]);
	const [slingNow, setSlingNow] = createSignal(true);
	const [busy, setBusy] = createSignal(false);
	const [err, setErr] = createSignal(null);

	const toggle = (id, on) => setPicked((p) => (on ? [...p.filter((x) => x !== id), id] : p.filter((x) => x !== id)));

	async function submit(e) {
		e.preventDefault();
		setErr(null);
		if (!title().trim()) return setErr(new Error("A title is required."));
		if (!picked().length) return setErr(new Error("Pick at least one bead."));
		setBusy(true);
		try {
			let c = await post(townPath(town.id, "convoys"), { title: title().trim(), mode: mode(), beads: picked() });
			record("started a convoy", "convoy", c.id);
			if (slingNow()) {
				try {
					c = await post(townPath(town.id, "convoys", c.id, "sling"), {});
					record("slung a convoy", "convoy", c.id);
				} catch (x) {
					props.onCreated(c, `Started ${c.id}, but it was not slung: ${errorText(x)}`);
					return;
				}
			}
			props.onCreated(c);
		} catch (x) {
			setErr(x);
		} finally {
			setBusy(false);
		}
	}

	return (
		<Panel id="new-convoy" title="Start a convoy" label="new convoy form" testid="new-convoy-panel" onClose={props.onClose}>
			<form class="stack" onSubmit={submit} novalidate>
				<label>
					<span>Title <span class="req">(required)</span></span>
					<input type="text" maxlength="200" value={title()} onInput={(e) => setTitle(e.currentTarget.value)}
						data-testid="new-convoy-title" autocomplete="off" />
				</label>
				<fieldset>
					<legend>How the beads run</legend>
					<label class="check">
						<input type="radio" name="convoy-mode" value="fan-out" checked={mode() === "fan-out"}
							onChange={() => setMode("fan-out")} data-testid="new-convoy-fanout" />
						<span>Fan-out: all at once</span>
					</label>
					<label class="check">
						<input type="radio" name="convoy-mode" value="series" checked={mode() === "series"}
							onChange={() => setMode("series")} data-testid="new-convoy-series" />
						<span>Series: one after another, in the order picked</span>
					</label>
				</fieldset>
				<fieldset>
					<legend>Beads ({picked().length} picked)</legend>
					<ErrorBox error={candidates.error()} retry={candidates.load} title="Cannot load beads" />
					<Show when={candidates.loaded()} fallback={<Show when={!candidates.error()}><Loading /></Show>}>
						<Show when={candidates.data().length} fallback={<p class="empty">No open or failed beads to put in a convoy.</p>}>
							<ul class="pick-list">
								<For each={candidates.data()}>
									{(b) => {
										const n = () => picked().indexOf(b.id);
										return (
											<li>
												<label class="check">
													<input type="checkbox" checked={n() >= 0} onChange={(e) => toggle(b.id, e.currentTarget.checked)}
														data-testid={`new-convoy-bead-${b.id}`} />
													<span>
														<Show when={n() >= 0 && mode() === "series"}><span class="badge">{n() + 1}</span> </Show>
														<code>{b.id}</code> {b.title} <span class="muted small">{b.status}{b.rig ? `, rig ${b.rig}` : ", no rig"}</span>
													</span>
												</label>
											</li>
										);
									}}
								</For>
							</ul>
						</Show>
					</Show>
				</fieldset>
				<label class="check">
					<input type="checkbox" checked={slingNow()} onChange={(e) => setSlingNow(e.currentTarget.checked)} data-testid="new-convoy-sling" />
					<span>Sling it now (each bead to its own rig)</span>
				</label>
				<Show when={err()}><div class="error" role="alert">{errorText(err())}</div></Show>
				<div class="actions">
					<button type="submit" class="btn" disabled={busy()} data-testid="new-convoy-submit">{busy() ? "Starting…" : "Start convoy"}</button>
					<button type="button" class="btn secondary" onClick={props.onClose}>Cancel</button>
				</div>
			</form>
		</Panel>
	);
}

export default function Convoys() {
	const town = useTown();
	const list = loader(() => get(townPath(town.id, "convoys")), []);
	const [creating, setCreating] = createSignal(false);
	const [warning, setWarning] = createSignal(null); // {id, text}: started but not slung
	list.load();
	const again = debounce(() => list.load(), 400);
	const off = town.on((f) => {
		if (f.type === "event" && (f.kind?.startsWith("convoy.") || f.kind === "bead.updated" || f.kind === "bead.closed")) again();
		if (f.type === "reconnected") again();
	});
	onCleanup(() => {
		off();
		again.cancel();
	});

	const openId = () => (route().open?.type === "convoy" ? route().open.id : null);
	const replace = (c) => list.set((list.data() ?? []).some((x) => x.id === c.id)
		? list.data().map((x) => (x.id === c.id ? c : x)) : [c, ...(list.data() ?? [])]);

	return (
		<div class="with-panel" classList={{ "panel-open": !!openId() || creating() }}>
			<section class="page" aria-labelledby="convoys-title">
				<div class="page-head">
					<h1 id="convoys-title">Convoys</h1>
					<Show when={town.canWrite()}>
						<button type="button" class="btn" data-testid="new-convoy"
							onClick={() => { if (openId()) navigate("towns", town.id, "convoys"); setCreating(true); record("opened the new convoy form"); }}>
							Start a convoy
						</button>
					</Show>
				</div>
				<Loaded of={list} emptyText="No convoys yet. A convoy ships a batch of beads together and lands when all are closed.">
					<ul class="convoy-list">
						<For each={list.data()}>
							{(c) => (
								<li class="card convoy-card" data-testid={`convoy-${c.id}`} classList={{ selected: openId() === c.id }}>
									<a class="stretch" href={href("towns", town.id, "convoys", c.id)}><strong>{c.title}</strong></a>
									<p class="bead-line">
										<code>{c.id}</code> <span class={`badge convoy-${c.state}`}>{c.state}</span> <span class="badge">{c.mode}</span>
									</p>
									<Progress closed={c.progress.closed} total={c.progress.total} />
									<p class="muted small">for {c.requested_by} · {clock(c.created_ms)}</p>
								</li>
							)}
						</For>
					</ul>
				</Loaded>
			</section>
			<Show when={openId()} keyed>
				{(id) => <ConvoyDetail id={id} warning={warning()?.id === id ? warning().text : ""} onChanged={replace} />}
			</Show>
			<Show when={creating() && !openId()}>
				<NewConvoy onClose={() => setCreating(false)}
					onCreated={(c, w) => { replace(c); setWarning(w ? { id: c.id, text: w } : null); setCreating(false); navigate("towns", town.id, "convoys", c.id); }} />
			</Show>
		</div>
	);
}
