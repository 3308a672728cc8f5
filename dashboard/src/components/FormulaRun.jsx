// FormulaRun.jsx - the form that runs an installed formula (POST .../formulas/:name/runs): one
// field per variable of its spec (required ones marked, defaults filled in), an optional rig and
// "held"; the town checks the variables and its 400 shows under the form. A run's answer links to
// its convoy (#/towns/:town/convoys/:convoy).
import { For, Show, createSignal } from "solid-js";
import { errorText, post, townPath } from "../api.js";
import { useTown } from "../context.js";
import { href } from "../route.js";
import { record } from "../uictx.js";

// props.name: the installed formula; props.version: its pinned version; props.spec: its spec;
// props.onRun(result): after a run started.
export default function FormulaRun(props) {
	const town = useTown();
	const vars = () => props.spec?.vars ?? [];
	const [values, setValues] = createSignal(Object.fromEntries(vars().map((v) => [v.name, v.default ?? ""])));
	const [rig, setRig] = createSignal("");
	const [held, setHeld] = createSignal(false);
	const [busy, setBusy] = createSignal(false);
	const [err, setErr] = createSignal(null);
	const [done, setDone] = createSignal(null);
	const fid = (name) => `run-var-${name}`;
	let errEl;

	async function submit(e) {
		e.preventDefault();
		setErr(null);
		setDone(null);
		// Empty fields are left out: the town applies the defaults and says what is required.
		const body = { vars: Object.fromEntries(Object.entries(values()).filter(([, v]) => v !== "")) };
		if (rig()) body.rig = rig();
		if (held()) body.held = true;
		setBusy(true);
		try {
			const r = await post(townPath(town.id, "formulas", props.name, "runs"), body);
			record("ran a formula");
			setDone(r);
			props.onRun?.(r);
		} catch (x) {
			setErr(x);
			queueMicrotask(() => errEl?.focus());
		} finally {
			setBusy(false);
		}
	}

	return (
		<form class="stack run-form" onSubmit={submit} novalidate aria-label={`Run ${props.name}`} data-testid="run-form">
			<Show when={vars().length} fallback={<p class="muted small">This formula has no variables.</p>}>
				<For each={vars()}>
					{(v) => (
						<div class="field">
							<label for={fid(v.name)}>
								<span><code>{v.name}</code>{v.required ? <span class="req"> (required)</span> : null}</span>
							</label>
							<input id={fid(v.name)} type="text" value={values()[v.name] ?? ""} required={v.required} autocomplete="off"
								spellcheck={false} aria-required={v.required ? "true" : undefined}
								aria-describedby={v.description ? `${fid(v.name)}-hint` : undefined}
								onInput={(e) => setValues({ ...values(), [v.name]: e.currentTarget.value })} data-testid={`run-var-${v.name}`} />
							<Show when={v.description}><p id={`${fid(v.name)}-hint`} class="muted small">{v.description}</p></Show>
						</div>
					)}
				</For>
			</Show>
			<div class="row">
				<label>
					<span>Rig</span>
					<select value={rig()} onChange={(e) => setRig(e.currentTarget.value)} data-testid="run-rig">
						<option value="">none</option>
						<For each={town.rigs.data() ?? []}>{(r) => <option value={r.id}>{r.id}</option>}</For>
					</select>
				</label>
				<label class="check run-held">
					<input type="checkbox" checked={held()} onChange={(e) => setHeld(e.currentTarget.checked)} data-testid="run-held" />
					<span>Held: make the beads, sling nothing yet</span>
				</label>
			</div>
			<div class="actions">
				<button type="submit" class="btn" disabled={busy()} data-testid="run-submit">
					{busy() ? "Starting…" : `Run ${props.name}${props.version ? ` ${props.version}` : ""}`}
				</button>
			</div>
			<Show when={err()}>
				<p class="field-error" role="alert" tabindex="-1" ref={errEl} data-testid="run-error">{errorText(err())}</p>
			</Show>
			<Show when={done()}>
				{(r) => (
					<p class="note" role="status" data-testid="run-done">
						Started run <code>{r().run}</code> of {r().formula} {r().version}: {r().beads?.length ?? 0} bead
						{r().beads?.length === 1 ? "" : "s"} in convoy{" "}
						<a href={href("towns", town.id, "convoys", r().convoy)} data-testid="run-convoy">{r().convoy}</a>.
					</p>
				)}
			</Show>
		</form>
	);
}
