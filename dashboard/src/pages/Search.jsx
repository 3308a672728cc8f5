// Search.jsx - the town's agent log, searched (#/towns/:town/search): GET .../search with FTS5's
// query, a kind, an agent and a path prefix, newest first or best first (order=relevance). Each
// result names its agent, bead (a link to its panel), kind, tool and path, its time, and the words
// around the hits with the hits as <mark>; its link opens the agent's log at that event
// (#/towns/:town/agents/:agent/log?seq=), or a bead's own entry its panel; a person's note (no
// agent, no log) links nowhere. A query the town cannot read is answered with its message next to
// the box. The form's values stay in search.js, never in the address.
import { For, Show, onMount } from "solid-js";
import { ApiError, get, query, townPath } from "../api.js";
import { ErrorBox } from "../components/Status.jsx";
import { useTown } from "../context.js";
import { clock, iso } from "../format.js";
import { loader } from "../load.js";
import { href } from "../route.js";
import { LOG_KINDS, searchForm, searchParams } from "../search.js";
import { record } from "../uictx.js";

export const SEARCH_LIMIT = 50;
// The form's fields, by the name the town gives a bad one in its error's field.
const FIELDS = ["q", "kind", "agent", "path"];

// The words around the hits, the hits marked.
function Snippet(props) {
	return (
		<p class="snippet" data-testid="search-snippet">
			<For each={props.parts ?? []}>{(p) => (p.hit ? <mark>{p.text}</mark> : <>{p.text}</>)}</For>
		</p>
	);
}

function Result(props) {
	const town = useTown();
	const r = () => props.result;
	const isAgent = () => (town.agents.data() ?? []).some((a) => a.id === r().agent);
	// Where the result leads: an agent's event to its log there; a bead's entry to its panel.
	const to = () => {
		if (r().kind === "bead" && r().bead) return href("towns", town.id, "beads", r().bead);
		return isAgent() ? href("towns", town.id, "agents", r().agent, "log") + query({ seq: r().seq }) : null;
	};
	const label = () => `${r().agent}: ${r().kind}${r().tool ? ` (${r().tool})` : ""}`;
	return (
		<li class="result" data-testid="search-result" data-seq={r().seq} data-agent={r().agent} data-bead={r().bead ?? ""}
			data-kind={r().kind}>
			<p class="result-head">
				<Show when={to()} fallback={<strong class="result-link" data-testid="search-result-link">{label()}</strong>}>
					<a href={to()} class="result-link" data-testid="search-result-link">{label()}</a>
				</Show>
				<Show when={r().bead}>
					<span>on <a href={href("towns", town.id, "beads", r().bead)} data-testid="search-result-bead"><code>{r().bead}</code></a></span>
				</Show>
				<Show when={r().path}><code class="result-path">{r().path}</code></Show>
				<time class="muted" datetime={iso(r().at_ms)}>{clock(r().at_ms)}</time>
			</p>
			<Snippet parts={r().snippet} />
		</li>
	);
}

export default function Search() {
	const town = useTown();
	const form = searchForm(town.id);
	const v = form.values;
	const results = loader(async (params) => ({ ...await get(townPath(town.id, "search") + query(params)), params }));
	let qInput;

	const run = async () => {
		form.setRan(true);
		await results.load(searchParams(v(), SEARCH_LIMIT));
		if (fieldError("q")) qInput?.focus();
	};
	const submit = (e) => {
		e.preventDefault();
		record("searched the agent log");
		run();
	};
	// Back from a result: the same search, read again.
	onMount(() => {
		if (form.ran()) run();
	});

	// The town's refusal of one of the form's fields, shown by that field; anything else above.
	const fieldError = (name) => {
		const e = results.error();
		return e instanceof ApiError && e.status === 400 && e.field === name ? e.message : "";
	};
	const otherError = () => {
		const e = results.error();
		return e && !(e instanceof ApiError && e.status === 400 && FIELDS.includes(e.field)) ? e : null;
	};
	const shown = () => (results.error() ? null : results.data());
	const list = () => shown()?.results ?? [];
	const summary = () => {
		if (results.loading()) return "Searching…";
		if (!shown()) return "";
		const n = list().length;
		if (!n) return "Nothing found.";
		const order = shown().params.order === "relevance" ? "best first" : "newest first";
		return `${n === SEARCH_LIMIT ? `The first ${n}` : n} result${n === 1 ? "" : "s"}, ${order}.`;
	};

	const field = (name, label, props = {}) => (
		<label class={props.class}>
			<span>{label}</span>
			<input type={props.type ?? "text"} name={name} value={v()[name]} placeholder={props.placeholder} list={props.list}
				maxlength={props.max} autocomplete="off" spellcheck={false} ref={props.ref}
				aria-invalid={fieldError(name) ? "true" : undefined}
				aria-describedby={props.describedby ?? (fieldError(name) ? `search-${name}-error` : undefined)}
				onInput={(e) => form.set(name, e.currentTarget.value)} data-testid={`search-${name}`} />
		</label>
	);

	return (
		<section class="page search-page" aria-labelledby="search-title">
			<div class="page-head">
				<h1 id="search-title">Search</h1>
			</div>
			<p class="lede muted">
				What every agent of the town said and did (its messages, commands, tool calls and their results, the
				files it wrote), and the town's beads and notes. All the words must appear; <code>"a phrase"</code>,{" "}
				<code>prefix*</code>, <code>OR</code> and <code>NOT</code> work too. A path alone lists the newest events
				on the paths under it.
			</p>
			<form class="search-form" role="search" aria-label="Search the agent log" onSubmit={submit} noValidate>
				<div class="search-box" classList={{ invalid: !!fieldError("q") }}>
					{field("q", "Search the agent log", { type: "search", class: "grow", max: 500, ref: (el) => (qInput = el),
						placeholder: "race condition checkout", describedby: "search-q-error" })}
					<button type="submit" class="btn" data-testid="search-submit">Search</button>
				</div>
				<p id="search-q-error" class="field-error" aria-live="assertive" data-testid="search-error">{fieldError("q")}</p>
				<div class="filters">
					<label>
						<span>Kind</span>
						<select name="kind" value={v().kind} onChange={(e) => form.set("kind", e.currentTarget.value)} data-testid="search-kind">
							<option value="">any kind</option>
							<For each={LOG_KINDS}>{(k) => <option value={k} selected={k === v().kind}>{k}</option>}</For>
						</select>
					</label>
					{field("agent", "Agent", { list: "search-agents", placeholder: "any agent", max: 64 })}
					<datalist id="search-agents">
						<For each={town.agents.data() ?? []}>{(a) => <option value={a.id} />}</For>
					</datalist>
					{field("path", "Path starts with", { class: "grow", placeholder: "src/payments/", max: 1024 })}
					<label class="check best">
						<input type="checkbox" name="best" checked={v().best} onChange={(e) => form.set("best", e.currentTarget.checked)}
							data-testid="search-best" />
						<span>Best first</span>
					</label>
				</div>
				<For each={FIELDS.filter((f) => f !== "q")}>
					{(f) => <Show when={fieldError(f)}><p id={`search-${f}-error`} class="field-error" role="alert">{fieldError(f)}</p></Show>}
				</For>
			</form>
			<ErrorBox error={otherError()} retry={run} title="Cannot search" />
			<p class="muted small" role="status" data-testid="search-summary">{summary()}</p>
			<Show when={list().length}>
				<ol class="results" aria-label="Results" data-testid="search-results">
					<For each={list()}>{(r) => <Result result={r} />}</For>
				</ol>
			</Show>
		</section>
	);
}
