// Personas.jsx - the parts the town's agents can play (#/towns/:town/personas[/:name]): the
// built-in ones and the town's own, each a system-prompt overlay, the tools it may or may not use,
// the gates its work must pass and, optionally, its own model. One opens in the panel with its
// overlay in full. Admins create, change and delete the town's own (the town enforces it: its
// error shows next to the field it names); members and viewers read.
import { For, Show, createSignal, onMount } from "solid-js";
import { api, errorText, townPath } from "../api.js";
import Panel from "../components/Panel.jsx";
import { ErrorBox, Loading } from "../components/Status.jsx";
import { useTown } from "../context.js";
import { clock, iso } from "../format.js";
import { href, navigate, route } from "../route.js";
import { record } from "../uictx.js";

const OVERLAY_MAX = 8000;
const FIELDS = ["name", "title", "overlay", "allowed_tools", "denied_tools", "gates", "model"];
const isAdmin = (role) => role === "admin" || role === "owner";
const enc = new TextEncoder();
const bytes = (s) => enc.encode(s).length;
const commaList = (s) => s.split(",").map((x) => x.trim()).filter(Boolean);
const lineList = (s) => s.split("\n").map((x) => x.trim()).filter(Boolean);

// Built-ins first (as the town lists them), then the town's own by name.
function ordered(list) {
	const built = list.filter((p) => p.builtin), own = list.filter((p) => !p.builtin);
	return [...built, ...own.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))];
}

// What a persona may use, in a few words.
function toolsText(p) {
	const parts = [];
	if (p.allowed_tools?.length) parts.push(`only ${p.allowed_tools.join(", ")}`);
	if (p.denied_tools?.length) parts.push(`never ${p.denied_tools.join(", ")}`);
	return parts.length ? parts.join("; ") : "no restrictions";
}

function ToolList(props) {
	return (
		<Show when={props.tools?.length} fallback={<span class="muted">{props.none}</span>}>
			<ul class="plain tags">
				<For each={props.tools}>{(t) => <li><code class="tag">{t}</code></li>}</For>
			</ul>
		</Show>
	);
}

// A field's label, its control, a hint and the town's error about it.
function Field(props) {
	return (
		<div class="field" classList={{ invalid: !!props.error }}>
			<label for={props.id}>
				<span>{props.label}{props.req ? <span class="req"> {props.req}</span> : null}</span>
			</label>
			{props.children}
			<Show when={props.hint}><p id={`${props.id}-hint`} class="muted small">{props.hint}</p></Show>
			<Show when={props.error}>
				<p id={`${props.id}-err`} class="field-error" role="alert" data-testid={`${props.testid}-error`}>{props.error}</p>
			</Show>
		</div>
	);
}

// The form for a new persona (props.initial: one to start from) or a change to one (props.editing).
function PersonaForm(props) {
	const town = useTown();
	const init = props.initial ?? {};
	const [name, setName] = createSignal(props.editing ? init.name : "");
	const [title, setTitle] = createSignal(init.title ?? "");
	const [overlay, setOverlay] = createSignal(init.overlay ?? "");
	const [allowed, setAllowed] = createSignal((init.allowed_tools ?? []).join(", "));
	const [denied, setDenied] = createSignal((init.denied_tools ?? []).join(", "));
	const [gates, setGates] = createSignal((init.gates ?? []).join("\n"));
	const [model, setModel] = createSignal(init.model ?? "");
	const [busy, setBusy] = createSignal(false);
	const [err, setErr] = createSignal(null);
	const used = () => bytes(overlay());
	const fieldErr = (f) => (err()?.field === f ? err().message : null);
	const otherErr = () => (err() && !FIELDS.includes(err().field) ? err() : null);
	const fid = (f) => `persona-f-${f.replace(/_/g, "-")}`;
	const described = (f, ...more) => [...more, fieldErr(f) ? `${fid(f)}-err` : null].filter(Boolean).join(" ") || undefined;
	let formEl;

	// The town's error names the field: the focus goes there, the message beside it.
	function fail(x) {
		setErr(x);
		if (FIELDS.includes(x?.field)) queueMicrotask(() => formEl?.querySelector(`#${fid(x.field)}`)?.focus());
	}

	async function submit(e) {
		e.preventDefault();
		setErr(null);
		if (!props.editing && !name().trim()) return fail({ field: "name", message: "A persona needs a name." });
		if (used() > OVERLAY_MAX)
			return fail({ field: "overlay", message: `The overlay is ${used()} bytes; at most ${OVERLAY_MAX}.` });
		const body = { overlay: overlay(), allowed_tools: commaList(allowed()), denied_tools: commaList(denied()),
			gates: lineList(gates()), model: model().trim() };
		if (title().trim()) body.title = title().trim();
		setBusy(true);
		try {
			const p = props.editing
				? await api("PATCH", townPath(town.id, "personas", init.name), body)
				: await api("POST", townPath(town.id, "personas"), { name: name().trim(), ...body });
			record(props.editing ? "changed a persona" : "created a persona");
			props.onSaved(p);
		} catch (x) {
			fail(x);
		} finally {
			setBusy(false);
		}
	}

	return (
		<form ref={formEl} class="stack persona-form" onSubmit={submit} novalidate data-testid="persona-form"
			aria-label={props.editing ? `Change the persona ${init.name}` : "New persona"}>
			<Show when={!props.editing}>
				<Field id={fid("name")} label="Name" req="(required)" testid="persona-name" error={fieldErr("name")}
					hint="1 to 40 of a-z, 0-9 and -, a letter first: what a bead is slung with.">
					<input id={fid("name")} type="text" maxlength="40" value={name()} onInput={(e) => setName(e.currentTarget.value)}
						autocomplete="off" spellcheck={false} aria-invalid={fieldErr("name") ? "true" : undefined}
						aria-describedby={described("name", `${fid("name")}-hint`)} data-testid="persona-name" />
				</Field>
			</Show>
			<Field id={fid("title")} label="Title" testid="persona-title" error={fieldErr("title")}
				hint={props.editing ? undefined : "For people, as “API designer”; the name when left empty."}>
				<input id={fid("title")} type="text" maxlength="80" value={title()} onInput={(e) => setTitle(e.currentTarget.value)}
					autocomplete="off" aria-invalid={fieldErr("title") ? "true" : undefined}
					aria-describedby={described("title", props.editing ? null : `${fid("title")}-hint`)} data-testid="persona-title" />
			</Field>
			<Field id={fid("overlay")} label="Overlay" testid="persona-overlay" error={fieldErr("overlay")}>
				<textarea id={fid("overlay")} rows="10" value={overlay()} onInput={(e) => setOverlay(e.currentTarget.value)}
					aria-invalid={fieldErr("overlay") || used() > OVERLAY_MAX ? "true" : undefined}
					aria-describedby={described("overlay", `${fid("overlay")}-count`)} data-testid="persona-overlay-input" />
				<p id={`${fid("overlay")}-count`} class="muted small byte-count" classList={{ bad: used() > OVERLAY_MAX }}
					data-testid="persona-overlay-bytes">
					{used()} of {OVERLAY_MAX} bytes{used() > OVERLAY_MAX ? `: ${used() - OVERLAY_MAX} too many` : ""}. It goes
					into every prompt of an agent in this persona.
				</p>
			</Field>
			<div class="row">
				<Field id={fid("allowed_tools")} label="Allowed tools" testid="persona-allowed" error={fieldErr("allowed_tools")}
					hint="Comma-separated; only these when any: Bash, Read, Bash(git *), mcp__gastown__gt_done.">
					<input id={fid("allowed_tools")} type="text" value={allowed()} onInput={(e) => setAllowed(e.currentTarget.value)}
						autocomplete="off" spellcheck={false} class="mono" aria-invalid={fieldErr("allowed_tools") ? "true" : undefined}
						aria-describedby={described("allowed_tools", `${fid("allowed_tools")}-hint`)} data-testid="persona-allowed" />
				</Field>
				<Field id={fid("denied_tools")} label="Denied tools" testid="persona-denied" error={fieldErr("denied_tools")}
					hint="Comma-separated; never these: WebFetch, Bash(rm *).">
					<input id={fid("denied_tools")} type="text" value={denied()} onInput={(e) => setDenied(e.currentTarget.value)}
						autocomplete="off" spellcheck={false} class="mono" aria-invalid={fieldErr("denied_tools") ? "true" : undefined}
						aria-describedby={described("denied_tools", `${fid("denied_tools")}-hint`)} data-testid="persona-denied" />
				</Field>
			</div>
			<Field id={fid("gates")} label="Gates" testid="persona-gates" error={fieldErr("gates")}
				hint="Shell commands, one per line, that must pass before the work is done: npm test.">
				<textarea id={fid("gates")} rows="3" value={gates()} onInput={(e) => setGates(e.currentTarget.value)} class="mono"
					spellcheck={false} aria-invalid={fieldErr("gates") ? "true" : undefined}
					aria-describedby={described("gates", `${fid("gates")}-hint`)} data-testid="persona-gates" />
			</Field>
			<Field id={fid("model")} label="Model" testid="persona-model" error={fieldErr("model")}
				hint="Empty: the rig's model.">
				<input id={fid("model")} type="text" maxlength="100" value={model()} onInput={(e) => setModel(e.currentTarget.value)}
					autocomplete="off" spellcheck={false} class="mono" aria-invalid={fieldErr("model") ? "true" : undefined}
					aria-describedby={described("model", `${fid("model")}-hint`)} data-testid="persona-model" />
			</Field>
			<Show when={otherErr()}><div class="error" role="alert" data-testid="persona-form-error">{errorText(otherErr())}</div></Show>
			<div class="actions">
				<button type="submit" class="btn" disabled={busy()} data-testid="persona-save">
					{busy() ? "Saving…" : props.editing ? "Save changes" : "Create persona"}
				</button>
				<button type="button" class="btn secondary" onClick={props.onCancel} data-testid="persona-cancel">Cancel</button>
			</div>
		</form>
	);
}

// One persona in the panel: everything it is, the overlay in full; for admins its changes.
function PersonaDetail(props) {
	const town = useTown();
	const persona = () => (town.personas.data() ?? []).find((p) => p.name === props.name);
	const [editing, setEditing] = createSignal(false);
	const [confirm, setConfirm] = createSignal(false);
	const [busy, setBusy] = createSignal(false);
	const [err, setErr] = createSignal(null);
	const [note, setNote] = createSignal("");
	let yesBtn, askBtn, editBtn;

	const ask = (open) => {
		setConfirm(open);
		queueMicrotask(() => (open ? yesBtn : askBtn)?.focus());
	};

	async function remove() {
		setBusy(true);
		setErr(null);
		try {
			await api("DELETE", townPath(town.id, "personas", props.name));
			record("deleted a persona");
			props.onDeleted(props.name);
		} catch (x) {
			setErr(x);
			setConfirm(false);
		} finally {
			setBusy(false);
		}
	}

	return (
		<Panel id="persona" class="panel-wide" title={persona()?.title ?? props.name} label="persona" testid="persona-detail"
			onClose={() => navigate("towns", town.id, "personas")}
			returnFocus={() => document.querySelector(`[data-testid="persona-${CSS.escape(props.name)}"] a`)}>
			<ErrorBox error={town.personas.error()} retry={town.personas.load} title="Cannot load the personas" />
			<Show when={persona()} fallback={
				<Show when={town.personas.loaded()} fallback={<Show when={!town.personas.error()}><Loading /></Show>}>
					<div class="error" role="alert">There is no persona “{props.name}” in this town.</div>
				</Show>
			}>
				{(p) => (
					<Show when={!editing()} fallback={
						<PersonaForm editing initial={p()} onCancel={() => { setEditing(false); queueMicrotask(() => editBtn?.focus()); }}
							onSaved={(saved) => { props.onSaved(saved); setEditing(false); setNote("Saved."); queueMicrotask(() => editBtn?.focus()); }} />
					}>
						<p class="bead-line">
							<code data-testid="persona-detail-name">{p().name}</code>
							<Show when={p().builtin}><span class="badge builtin">built-in</span></Show>
						</p>
						<Show when={props.admin}>
							<Show when={!p().builtin} fallback={
								<p class="muted small">A built-in persona cannot be changed.{" "}
									<button type="button" class="link-btn" onClick={() => props.onStartFrom(p())} data-testid="persona-copy">
										Start a new one from it</button></p>
							}>
								<div class="actions">
									<button type="button" class="btn secondary" ref={editBtn} onClick={() => { setNote(""); setEditing(true); }}
										data-testid="persona-edit">Edit</button>
									<Show when={confirm()} fallback={
										<button type="button" class="btn secondary" ref={askBtn} onClick={() => ask(true)}
											data-testid="persona-delete">Delete…</button>
									}>
										<span class="confirm" role="group" aria-label={`Delete ${p().name}?`}>
											<button type="button" class="btn danger" ref={yesBtn} disabled={busy()} onClick={remove}
												data-testid="persona-delete-yes">Delete {p().name}</button>
											<button type="button" class="btn secondary" onClick={() => ask(false)}>Cancel</button>
										</span>
									</Show>
								</div>
							</Show>
						</Show>
						<Show when={err()}><div class="error" role="alert" data-testid="persona-error">{errorText(err())}</div></Show>
						<p class="note" role="status">{note()}</p>
						<dl class="facts">
							<dt>Model</dt><dd data-testid="persona-detail-model">{p().model ?? "the rig's"}</dd>
							<dt>Allowed tools</dt>
							<dd data-testid="persona-detail-allowed"><ToolList tools={p().allowed_tools} none="any (no allow-list)" /></dd>
							<dt>Denied tools</dt>
							<dd data-testid="persona-detail-denied"><ToolList tools={p().denied_tools} none="none" /></dd>
							<dt>Gates</dt>
							<dd data-testid="persona-detail-gates">
								<Show when={p().gates?.length} fallback={<span class="muted">none</span>}>
									<ol class="plain gates"><For each={p().gates}>{(g) => <li><code>{g}</code></li>}</For></ol>
								</Show>
							</dd>
							<Show when={!p().builtin && p().created_by}>
								<dt>Created by</dt>
								<dd>{p().created_by} · <time datetime={iso(p().created_ms)}>{clock(p().created_ms)}</time></dd>
								<Show when={p().updated_ms && p().updated_ms !== p().created_ms}>
									<dt>Changed</dt><dd><time datetime={iso(p().updated_ms)}>{clock(p().updated_ms)}</time></dd>
								</Show>
							</Show>
						</dl>
						<h3>Overlay</h3>
						<p class="muted small">Added to the prompt of every agent working in this persona, ahead of its bead.</p>
						<Show when={p().overlay} fallback={<p class="empty">No overlay.</p>}>
							<pre class="body-text overlay" tabindex="0" aria-label={`Overlay of ${p().name}`} data-testid="persona-overlay">{p().overlay}</pre>
						</Show>
					</Show>
				)}
			</Show>
		</Panel>
	);
}

function NewPersona(props) {
	return (
		<Panel id="new-persona" class="panel-wide" title="New persona" label="new persona form" testid="new-persona-panel"
			onClose={props.onClose}>
			<Show when={props.from}>
				<p class="muted small">Starting from the built-in <code>{props.from.name}</code>: give it a name of its own.</p>
			</Show>
			<PersonaForm initial={props.from ?? undefined} onCancel={props.onClose} onSaved={props.onSaved} />
		</Panel>
	);
}

function PersonaCard(props) {
	const town = useTown();
	const p = () => props.persona;
	return (
		<li class="card persona-card" data-testid={`persona-${p().name}`} classList={{ selected: props.selected }}>
			<div class="persona-head">
				<a class="stretch" href={href("towns", town.id, "personas", p().name)}><strong>{p().title || p().name}</strong></a>
				<Show when={p().builtin}><span class="badge builtin">built-in</span></Show>
			</div>
			<p class="bead-line">
				<code>{p().name}</code>
				<span class="muted small">model: {p().model ?? "the rig's"}</span>
			</p>
			<p class="small">Tools: {toolsText(p())}</p>
			<p class="small">Gates: {p().gates?.length ? p().gates.join(" · ") : <span class="muted">none</span>}</p>
		</li>
	);
}

export default function Personas() {
	const town = useTown();
	const [creating, setCreating] = createSignal(false);
	const [from, setFrom] = createSignal(null); // a built-in a new persona starts from
	onMount(() => town.personasNeeded(true));
	const admin = () => isAdmin(town.role());
	const openName = () => (route().open?.type === "persona" ? route().open.id : null);
	const list = () => ordered(town.personas.data() ?? []);
	const builtins = () => list().filter((p) => p.builtin);
	const own = () => list().filter((p) => !p.builtin);

	const put = (p) => town.personas.set(ordered([...(town.personas.data() ?? []).filter((x) => x.name !== p.name), p]));
	const startNew = (base = null) => {
		setFrom(base);
		setCreating(true);
		record("opened the new persona form");
		if (openName()) navigate("towns", town.id, "personas");
	};

	return (
		<div class="with-panel" classList={{ "panel-open": !!openName() || creating() }}>
			<section class="page" aria-labelledby="personas-title">
				<div class="page-head">
					<h1 id="personas-title">Personas</h1>
					<Show when={admin()}>
						<button type="button" class="btn" onClick={() => startNew()} data-testid="new-persona">New persona</button>
					</Show>
				</div>
				<p class="lede muted">
					A persona is a part an agent plays for one bead: an overlay on its prompt, the tools it may or
					may not use, gates its work must pass and, optionally, its own model. Sling a bead with one from the
					bead's panel. {admin() ? "As an admin of the town you can add, change and delete the town's own."
						: "Admins add and change the town's own; you see them as they are."}
				</p>
				<ErrorBox error={town.personas.error()} retry={town.personas.load} title="The town's personas cannot be shown" />
				<Show when={town.personas.loaded()} fallback={<Show when={!town.personas.error()}><Loading /></Show>}>
					<h2 id="personas-own">This town's</h2>
					<Show when={own().length} fallback={<p class="empty" data-testid="personas-own-empty">None yet.{admin() ? " Add one with New persona, or start from a built-in." : ""}</p>}>
						<ul class="persona-list" aria-labelledby="personas-own" data-testid="personas-own">
							<For each={own()}>{(p) => <PersonaCard persona={p} selected={openName() === p.name} />}</For>
						</ul>
					</Show>
					<h2 id="personas-builtin">Built in</h2>
					<ul class="persona-list" aria-labelledby="personas-builtin" data-testid="personas-builtin">
						<For each={builtins()}>{(p) => <PersonaCard persona={p} selected={openName() === p.name} />}</For>
					</ul>
				</Show>
			</section>
			<Show when={openName()} keyed>
				{(name) => (
					<PersonaDetail name={name} admin={admin()} onSaved={put} onStartFrom={(p) => startNew(p)}
						onDeleted={(n) => {
							town.personas.set((town.personas.data() ?? []).filter((x) => x.name !== n));
							navigate("towns", town.id, "personas");
						}} />
				)}
			</Show>
			<Show when={creating() && !openName()}>
				<NewPersona from={from()} onClose={() => setCreating(false)}
					onSaved={(p) => { put(p); setCreating(false); navigate("towns", town.id, "personas", p.name); }} />
			</Show>
		</div>
	);
}
