// PackageSpec.jsx - what one version of a registry package is, from its parsed spec: a formula's
// variables and its steps in order, each with the steps it needs; an agent config's runtime and
// persona (title, model, tools, gates, overlay).
import { For, Show } from "solid-js";

function Tools(props) {
	return (
		<Show when={props.tools?.length} fallback={<span class="muted">{props.none}</span>}>
			<ul class="plain tags">
				<For each={props.tools}>{(t) => <li><code class="tag">{t}</code></li>}</For>
			</ul>
		</Show>
	);
}

export function FormulaSpec(props) {
	const s = () => props.spec;
	return (
		<>
			<h3 id={`${props.id}-vars`}>Variables</h3>
			<Show when={s().vars?.length} fallback={<p class="empty">None: it runs as it is.</p>}>
				<ul class="plain spec-vars" aria-labelledby={`${props.id}-vars`} data-testid="spec-vars">
					<For each={s().vars}>
						{(v) => (
							<li data-var={v.name}>
								<code>{v.name}</code>
								{v.required ? <span class="req"> (required)</span> : null}
								<Show when={v.default !== null && v.default !== undefined}>
									<span class="muted small"> default <code>{v.default}</code></span>
								</Show>
								<Show when={v.description}><span class="small">: {v.description}</span></Show>
							</li>
						)}
					</For>
				</ul>
			</Show>
			<h3 id={`${props.id}-steps`}>Steps</h3>
			<ol class="spec-steps" aria-labelledby={`${props.id}-steps`} data-testid="spec-steps">
				<For each={s().steps ?? []}>
					{(st) => (
						<li data-step={st.id} data-testid="spec-step">
							<p class="bead-line"><code>{st.id}</code> <strong>{st.title}</strong></p>
							<Show when={st.description}><p class="small">{st.description}</p></Show>
							<p class="muted small" data-testid="spec-step-needs">
								{st.needs?.length ? `Needs ${st.needs.join(", ")}` : "Needs nothing: starts first"}
							</p>
						</li>
					)}
				</For>
			</ol>
		</>
	);
}

export function ConfigSpec(props) {
	const p = () => props.spec.persona ?? {};
	return (
		<>
			<h3>Persona</h3>
			<dl class="facts" data-testid="spec-persona">
				<dt>Title</dt><dd>{p().title || <span class="muted">none</span>}</dd>
				<dt>Runtime</dt><dd>{props.spec.runtime || <span class="muted">the town's</span>}</dd>
				<dt>Model</dt><dd>{p().model || <span class="muted">the rig's</span>}</dd>
				<dt>Allowed tools</dt><dd><Tools tools={p().allowed_tools} none="any (no allow-list)" /></dd>
				<dt>Denied tools</dt><dd><Tools tools={p().denied_tools} none="none" /></dd>
				<dt>Gates</dt>
				<dd>
					<Show when={p().gates?.length} fallback={<span class="muted">none</span>}>
						<ol class="plain gates"><For each={p().gates}>{(g) => <li><code>{g}</code></li>}</For></ol>
					</Show>
				</dd>
			</dl>
			<Show when={p().overlay}>
				<h3>Overlay</h3>
				<pre class="body-text" tabindex="0" aria-label={`Overlay of ${props.spec.name}`}>{p().overlay}</pre>
			</Show>
		</>
	);
}

// props.spec: the version's spec; props.id: a prefix for the headings' ids.
export default function PackageSpec(props) {
	return (
		<Show when={props.spec?.kind === "formula"} fallback={<Show when={props.spec}><ConfigSpec spec={props.spec} /></Show>}>
			<FormulaSpec spec={props.spec} id={props.id ?? "spec"} />
		</Show>
	);
}
