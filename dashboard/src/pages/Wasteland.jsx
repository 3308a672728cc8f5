// Wasteland.jsx - the town in the Wasteland (#/towns/:town/settings/wasteland; docs/wasteland.md):
// the town's beads labelled "wasteland" published as wanted posters (and their completions) to a
// commons on DoltHub. Not connected: the connect form (the town's 400 shown next to the field it
// names; the token is write-only, sent once and emptied). Connected: the database and the handle,
// the state, the schema's progress, the sync's (queued rows, writes done) and the latest full
// sync's (beads written of those on the board), the last error while
// the town retries; admins sync now, replay every bead, change the connection or disconnect. While
// the sync is not settled the page reads GET .../wasteland again every two seconds; a bead or
// wasteland event on the socket reads it at once. Members read; the town decides and says no.
import { Show, createComputed, createEffect, createSignal, on, onCleanup } from "solid-js";
import { ApiError, api, errorText, get, townPath } from "../api.js";
import SettingsTabs from "../components/SettingsTabs.jsx";
import { ErrorBox, Loading } from "../components/Status.jsx";
import { useTown } from "../context.js";
import { clock, iso } from "../format.js";
import { debounce, loader } from "../load.js";
import { record } from "../uictx.js";

const POLL_MS = 2000;
const DEFAULT_API = "https://www.dolthub.com/api/v1alpha1";
const isAdmin = (role) => role === "admin" || role === "owner";

// The state as people read it.
const STATE_WORDS = {
	creating: "Creating the database",
	schema: "Writing the schema",
	syncing: "Syncing",
	synced: "Synced",
	retrying: "Retrying",
};

// The form's fields, by the names the town gives in a 400's `field`.
const fid = (name) => `wl-${name.replace(/_/g, "-")}`;
const ADVANCED = ["api_url", "timeout_s"];

// A field with its label, hint and the town's message when it names this field. props.children
// is called with the input's attributes: {id, invalid(), describedby()}.
function Field(props) {
	const id = fid(props.name);
	const bad = () => props.err?.field === props.name;
	const describedby = () => [props.hint ? `${id}-hint` : "", bad() ? `${id}-error` : ""].filter(Boolean).join(" ") || undefined;
	return (
		<div class="field" classList={{ invalid: bad() }}>
			<label for={id}>
				<span>{props.label}<Show when={props.note}><span class="req"> ({props.note})</span></Show></span>
			</label>
			{props.children({ id, invalid: () => (bad() ? "true" : undefined), describedby })}
			<Show when={props.hint}><p id={`${id}-hint`} class="muted small">{props.hint}</p></Show>
			<Show when={bad()}>
				<p id={`${id}-error`} class="field-error" role="alert" data-testid={`${id}-error`}>{props.err.message}</p>
			</Show>
		</div>
	);
}

// Connect (props.current null) or change the connection. props.onSaved(connection).
function ConnectForm(props) {
	const cur = props.current;
	const [vals, setVals] = createSignal({
		owner: cur?.owner ?? "", database: cur?.database ?? "", handle: cur?.handle ?? "",
		display_name: cur && cur.display_name !== cur.handle ? cur.display_name : "",
		token: "", api_url: cur && cur.api_url !== DEFAULT_API ? cur.api_url : "",
		cadence_s: String(cur?.cadence_s ?? ""), timeout_s: String(cur?.timeout_s ?? ""), create: false,
	});
	const [advanced, setAdvanced] = createSignal(!!(cur && cur.api_url !== DEFAULT_API));
	const [busy, setBusy] = createSignal(false);
	const [err, setErr] = createSignal(null);
	const set = (k) => (e) => setVals({ ...vals(), [k]: e.currentTarget.type === "checkbox" ? e.currentTarget.checked : e.currentTarget.value });
	const known = (f) => ["owner", "database", "handle", "display_name", "token", "api_url", "cadence_s", "timeout_s", "create"].includes(f);
	let generalEl;

	async function submit(e) {
		e.preventDefault();
		const v = vals();
		const body = { owner: v.owner.trim(), database: v.database.trim(), handle: v.handle.trim() };
		if (v.display_name.trim()) body.display_name = v.display_name.trim();
		if (v.api_url.trim()) body.api_url = v.api_url.trim();
		if (v.token) body.token = v.token;
		// Numbers as numbers; anything else as typed, for the town to refuse in its words.
		for (const k of ["cadence_s", "timeout_s"]) {
			const s = v[k].trim();
			if (s) body[k] = /^-?\d+$/.test(s) ? Number(s) : s;
		}
		if (v.create) body.create = true;
		setErr(null);
		setBusy(true);
		try {
			const d = await api("PUT", townPath(props.town, "wasteland"), body);
			// The token goes nowhere else: emptied as soon as the town has it.
			setVals({ ...vals(), token: "", create: false });
			record(cur ? "changed the Wasteland connection" : "connected the town to the Wasteland");
			props.onSaved(d);
		} catch (x) {
			setErr(x);
			const field = x instanceof ApiError && known(x.field) ? x.field : null;
			if (field && ADVANCED.includes(field)) setAdvanced(true);
			queueMicrotask(() => (field ? document.getElementById(fid(field)) : generalEl)?.focus());
		} finally {
			setBusy(false);
		}
	}

	const text = (name, label, o = {}) => (
		<Field name={name} label={label} note={o.note} hint={o.hint} err={err()}>
			{(a) => (
				<input id={a.id} type={o.type ?? "text"} value={vals()[name]} onInput={set(name)} autocomplete={o.autocomplete ?? "off"}
					spellcheck={false} placeholder={o.placeholder} inputmode={o.inputmode} min={o.min} max={o.max}
					aria-required={o.required ? "true" : undefined} aria-invalid={a.invalid()} aria-describedby={a.describedby()}
					data-testid={a.id} />
			)}
		</Field>
	);

	return (
		<form class="stack wasteland-form" onSubmit={submit} novalidate aria-label={cur ? "Change the Wasteland connection" : "Connect to the Wasteland"}
			data-testid="wl-form">
			<fieldset>
				<legend>The DoltHub database</legend>
				<div class="row">
					{text("owner", "Owner", { note: "required", required: true, hint: "The DoltHub user or organization the database belongs to." })}
					{text("database", "Database", { note: "required", required: true, hint: "Its name on DoltHub." })}
				</div>
				<label class="check wasteland-create">
					<input type="checkbox" id={fid("create")} checked={vals().create} onChange={set("create")} data-testid={fid("create")} />
					<span>Create the database on DoltHub (private) first; one that exists is taken as it is</span>
				</label>
				<Show when={err()?.field === "create"}>
					<p class="field-error" role="alert" data-testid={`${fid("create")}-error`}>{err().message}</p>
				</Show>
			</fieldset>
			<fieldset>
				<legend>The town in the commons</legend>
				<div class="row">
					{text("handle", "Handle", { note: "required", required: true, hint: "The town's rig; its agents are <handle>-<agent>." })}
					{text("display_name", "Display name", { hint: "The handle when empty." })}
				</div>
			</fieldset>
			<fieldset>
				<legend>Access and pace</legend>
				<div class="row">
					{text("token", "DoltHub API token", {
						type: "password", autocomplete: "new-password", note: cur?.token_set ? "set" : "required",
						required: !cur?.token_set, placeholder: cur?.token_set ? "Leave empty to keep it" : "",
						hint: "Write-only: the town keeps it as a secret and never shows it again.",
					})}
					{text("cadence_s", "Cadence in seconds", { type: "number", inputmode: "numeric", min: 1, max: 86400, placeholder: "300",
						hint: "How long a change may wait before it is written (1–86400)." })}
				</div>
				<details class="wasteland-advanced" open={advanced()} onToggle={(e) => setAdvanced(e.currentTarget.open)}>
					<summary>Advanced</summary>
					<div class="row">
						{text("api_url", "API URL", { placeholder: DEFAULT_API, hint: "DoltHub's API unless given." })}
						{text("timeout_s", "Timeout in seconds", { type: "number", inputmode: "numeric", min: 1, max: 120, placeholder: "30",
							hint: "How long one call to DoltHub may take (1–120)." })}
					</div>
				</details>
			</fieldset>
			<Show when={err() && !(err() instanceof ApiError && known(err().field))}>
				<div class="error" role="alert" tabindex="-1" ref={generalEl} data-testid="wl-form-error">{errorText(err())}</div>
			</Show>
			<div class="actions">
				<button type="submit" class="btn" disabled={busy()} data-testid="wl-submit">
					{busy() ? (cur ? "Saving…" : "Connecting…") : cur ? "Save changes" : "Connect"}
				</button>
			</div>
		</form>
	);
}

// The connection and how far the sync is; admins' actions.
function Connection(props) {
	const c = () => props.data;
	const [busy, setBusy] = createSignal(false);
	const [err, setErr] = createSignal(null);
	const [confirm, setConfirm] = createSignal(false);
	const target = () => `${c().owner}/${c().database}`;
	const onDoltHub = () => c().api_url === DEFAULT_API;
	const schemaDone = () => c().schema_step >= c().schema_total;
	const full = () => c().full_sync;

	async function act(what, path, done) {
		setErr(null);
		setBusy(true);
		try {
			const d = await api(path.method, path.url);
			record(what);
			done(d);
			return true;
		} catch (x) {
			setErr(x);
			return false;
		} finally {
			setBusy(false);
		}
	}
	const sync = (replay) => act(replay ? "replayed the Wasteland sync" : "synced the Wasteland now",
		{ method: "POST", url: townPath(props.town, "wasteland", "sync") + (replay ? "?replay=true" : "") },
		(d) => props.onSaved(d, replay ? "A full sync writes every bead on the board again." : "Writing now."));
	const disconnect = async () => {
		await act("disconnected the Wasteland", { method: "DELETE", url: townPath(props.town, "wasteland") }, () => props.onGone());
		setConfirm(false);
	};

	// The confirmation takes the focus from the button it replaces, and gives it back on Cancel.
	let yesBtn, askBtn;
	const ask = (open) => {
		setConfirm(open);
		queueMicrotask(() => (open ? yesBtn : askBtn)?.focus());
	};

	return (
		<section class="card wasteland-card" aria-labelledby="wl-conn-title" data-testid="wl-connection">
			<div class="integ-head">
				<h2 id="wl-conn-title" tabindex="-1">Connected</h2>
				<span role="status">
					<span class={`badge wl-state wl-${c().state}`} data-testid="wl-state" data-state={c().state}>
						{STATE_WORDS[c().state] ?? c().state}
					</span>
				</span>
			</div>
			<p class="wasteland-target">
				<Show when={onDoltHub()} fallback={<code data-testid="wl-target">{target()}</code>}>
					<a href={`https://www.dolthub.com/repositories/${encodeURI(target())}`} rel="noreferrer" target="_blank">
						<code data-testid="wl-target">{target()}</code><span class="visually-hidden"> on DoltHub (opens a new tab)</span>
					</a>
				</Show>
				{" "}as <strong data-testid="wl-handle">{c().handle}</strong>
				<Show when={c().display_name && c().display_name !== c().handle}>
					{" "}(<span data-testid="wl-display-name">{c().display_name}</span>)
				</Show>
			</p>

			<div class="wasteland-progress">
				<div class="progress-line">
					<span id="wl-schema-label" class="wasteland-progress-label">Schema</span>
					<progress max={c().schema_total || 1} value={Math.min(c().schema_step, c().schema_total)} aria-labelledby="wl-schema-label"
						aria-describedby="wl-schema-text" data-testid="wl-schema-bar" />
					<span id="wl-schema-text" class="small" data-testid="wl-schema">
						{c().schema_step} of {c().schema_total} statements{schemaDone() ? "" : c().state === "creating" ? " (the database first)" : ""}
					</span>
				</div>
				<div class="progress-line">
					<span id="wl-sync-label" class="wasteland-progress-label">Sync</span>
					<progress max={props.peak || 1} value={props.peak ? props.peak - c().queued : 1} aria-labelledby="wl-sync-label"
						aria-describedby="wl-sync-text" data-testid="wl-sync-bar" />
					<span id="wl-sync-text" class="small" data-testid="wl-sync">
						{c().queued} queued, {c().writes} written{full()?.running ? " (held until the full sync hands over)" : ""}
					</span>
				</div>
				{/* The latest full sync, written by its own object: beads written of those on the board. */}
				<Show when={full()}>
					<div class="progress-line" data-testid="wl-full">
						<span id="wl-full-label" class="wasteland-progress-label">Full sync</span>
						<progress max={full().total || 1} value={full().total ? Math.min(full().paged, full().total) : 1}
							aria-labelledby="wl-full-label" aria-describedby="wl-full-text" data-testid="wl-full-bar" />
						<span id="wl-full-text" class="small" data-testid="wl-full-text">
							{full().running ? "running: " : "done: "}{full().paged} of {full().total} beads, {full().writes} write{full().writes === 1 ? "" : "s"}
							<Show when={!full().running && full().finished_ms}>
								, handed over at <time datetime={iso(full().finished_ms)}>{clock(full().finished_ms)}</time>
							</Show>
						</span>
					</div>
					<Show when={full().running && full().last_error}>
						<p class="muted small" data-testid="wl-full-error">Retrying: {full().last_error}</p>
					</Show>
				</Show>
				<Show when={c().in_flight}>
					<p class="muted small" data-testid="wl-in-flight">
						In flight: {c().in_flight}<Show when={c().operation}> (<code class="wrap">{c().operation}</code>)</Show>
					</p>
				</Show>
			</div>

			<Show when={c().state === "retrying"}>
				<div class="error" role="alert" data-testid="wl-error">
					<strong>Failed {c().failures} time{c().failures === 1 ? "" : "s"}:</strong> <span data-testid="wl-last-error">{c().last_error}</span>
					<Show when={c().next_ms}>
						{" "}<span class="small">Next try at <time datetime={iso(c().next_ms)}>{clock(c().next_ms)}</time>.</span>
					</Show>
				</div>
			</Show>
			<Show when={c().state !== "retrying" && c().last_error}>
				<div class="notice" data-testid="wl-error">Last error: <span data-testid="wl-last-error">{c().last_error}</span></div>
			</Show>

			<dl class="facts">
				<dt>Beads published</dt><dd data-testid="wl-posted">{c().posted}</dd>
				<dt>Last write</dt>
				<dd>
					<Show when={c().last_ok_ms} fallback={<span class="muted">none yet</span>}>
						<time datetime={iso(c().last_ok_ms)}>{clock(c().last_ok_ms)}</time>
					</Show>
				</dd>
				<dt>Cadence</dt><dd>{c().cadence_s} s a change may wait; {c().timeout_s} s a call may take</dd>
				<dt>API</dt><dd class="wrap"><code>{c().api_url}</code></dd>
				<dt>Token</dt><dd data-testid="wl-token-state">{c().token_set ? "set" : "not set"}</dd>
				<dt>Connected by</dt>
				<dd>{c().connected_by}<Show when={c().connected_ms}>, <time datetime={iso(c().connected_ms)}>{clock(c().connected_ms)}</time></Show></dd>
			</dl>

			<Show when={props.admin} fallback={
				<p class="muted small" data-testid="wl-readonly">Admins sync, change and disconnect; you see how far the sync is.</p>
			}>
				<div class="actions">
					<button type="button" class="btn" disabled={busy()} onClick={() => sync(false)} data-testid="wl-sync-now">Sync now</button>
					<button type="button" class="btn secondary" disabled={busy()} onClick={() => sync(true)}
						aria-describedby="wl-replay-hint" data-testid="wl-replay">Replay all</button>
					<Show when={confirm()} fallback={
						<button type="button" class="btn secondary" ref={askBtn} onClick={() => ask(true)} data-testid="wl-disconnect">Disconnect…</button>
					}>
						<span class="confirm" role="group" aria-label={`Disconnect from ${target()}?`}>
							<span>The queue and the token are dropped; the commons keeps its rows.</span>
							<button type="button" class="btn danger" ref={yesBtn} disabled={busy()} onClick={disconnect}
								data-testid="wl-disconnect-yes">Disconnect</button>
							<button type="button" class="btn secondary" onClick={() => ask(false)}>Cancel</button>
						</span>
					</Show>
				</div>
				<p id="wl-replay-hint" class="muted small">Replay runs a full sync: every bead on the board written again by its own object, an equal commons staying equal.</p>
			</Show>
			<Show when={err()}><div class="error" role="alert" data-testid="wl-action-error">{errorText(err())}</div></Show>
		</section>
	);
}

export default function Wasteland() {
	const town = useTown();
	const admin = () => isAdmin(town.role());
	// null: not connected (the town's 404).
	const conn = loader(async () => {
		try {
			return await get(townPath(town.id, "wasteland"));
		} catch (e) {
			if (e instanceof ApiError && e.status === 404) return null;
			throw e;
		}
	});
	const [note, setNote] = createSignal("");
	// The most rows the queue held since it was last empty: the sync bar's length.
	const [peak, setPeak] = createSignal(0);
	let timer = null;
	let gone = false;

	// Read again every POLL_MS while the sync is not settled.
	const unsettled = (d) => d && (d.state !== "synced" || d.in_flight);
	const schedule = () => {
		clearTimeout(timer);
		if (!gone && unsettled(conn.data())) timer = setTimeout(refresh, POLL_MS);
	};
	async function refresh() {
		clearTimeout(timer);
		await conn.load();
		schedule();
	}
	const soon = debounce(refresh, 300);
	createComputed(on(conn.data, (d) => setPeak((p) => (d && d.queued > 0 ? Math.max(p, d.queued) : 0))));
	createEffect(on(conn.data, schedule));
	refresh();
	// A bead changed (a labelled one is queued with it) or an admin changed the connection elsewhere.
	onCleanup(town.on((f) => {
		if (f.type === "event" && /^(bead|wasteland)\./.test(f.kind ?? "")) soon();
	}));
	onCleanup(() => {
		gone = true;
		clearTimeout(timer);
		soon.cancel();
	});

	const saved = (d, words) => {
		const was = !!conn.data();
		conn.set(d);
		setNote(words ?? (was ? "Saved." : "Connected: the town writes the schema, then its board."));
		if (!was) queueMicrotask(() => document.getElementById("wl-conn-title")?.focus());
	};
	const disconnected = () => {
		conn.set(null);
		setNote("Disconnected: the town writes no more; the commons keeps its rows.");
		queueMicrotask(() => document.getElementById("wl-connect-title")?.focus());
	};

	return (
		<section class="page wasteland-page" aria-labelledby="settings-title">
			<h1 id="settings-title">Settings</h1>
			<SettingsTabs current="wasteland" />
			<p class="lede muted">
				The Wasteland is Gas Town's federation. Connected, the town publishes its beads labelled <code>wasteland</code> as
				wanted posters, with their completions, to a commons on DoltHub; the rest of its work stays private.{" "}
				{admin() ? "You can connect and change it as an admin of the town." : "Admins connect and change it; you see it as it is."}
			</p>
			<ErrorBox error={conn.error()} retry={refresh} title="The town's Wasteland connection cannot be shown" />
			<p class="note" role="status" data-testid="wl-note">{note()}</p>
			<Show when={conn.loaded()} fallback={<Show when={!conn.error()}><Loading /></Show>}>
				<Show when={conn.data()} fallback={
					<section class="card wasteland-card" aria-labelledby="wl-connect-title" data-testid="wl-not-connected">
						<h2 id="wl-connect-title" tabindex="-1">Connect to the Wasteland</h2>
						<Show when={admin()} fallback={
							<p class="muted">Not connected. An admin of the town connects it here, or with <code>gt wasteland connect</code>.</p>
						}>
							<ConnectForm town={town.id} current={null} onSaved={(d) => saved(d)} />
						</Show>
					</section>
				}>
					{(d) => (
						<>
							<Connection town={town.id} data={d()} admin={admin()} peak={peak()} onSaved={saved} onGone={disconnected} />
							<Show when={admin()}>
								<section class="card wasteland-card" aria-label="Change the connection">
									<details class="wasteland-edit" data-testid="wl-edit">
										<summary data-testid="wl-edit-open">Change the connection</summary>
										<p class="muted small">A new owner, database or API starts over on it; a new handle, name or cadence keeps the progress.</p>
										<ConnectForm town={town.id} current={d()} onSaved={(x) => saved(x)} />
									</details>
								</section>
							</Show>
						</>
					)}
				</Show>
			</Show>
		</section>
	);
}
