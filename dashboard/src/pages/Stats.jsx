// Stats.jsx - what the town learned from its finished work (#/towns/:town/stats?by=&kind=&language=):
// GET .../stats grouped by variant, model, persona, runtime, agent, language or kind, for one kind of
// bead and one language when chosen. Each key's first-pass rate is written with its 95% Wilson
// interval and its sample, "82% (73–88%, n=100)", never alone. Two charts (StatsChart.jsx, uPlot,
// loaded with the page's first chart) show the rates with their intervals and the cost per merged
// bead; the table carries the same numbers, and more.
import { For, Show, Suspense, createEffect, lazy, on, onCleanup } from "solid-js";
import { get, query, townPath } from "../api.js";
import StatsTable from "../components/StatsTable.jsx";
import { ErrorBox, Loading } from "../components/Status.jsx";
import { useTown } from "../context.js";
import { statsKeyLabel } from "../format.js";
import { debounce, loader } from "../load.js";
import { href, route } from "../route.js";
import { record } from "../uictx.js";

const StatsChart = lazy(() => import("../components/StatsChart.jsx"));

export const DIMENSIONS = [
	{ id: "variant", label: "Variant (model · persona · runtime)", noun: "variant" },
	{ id: "model", label: "Model", noun: "model" },
	{ id: "persona", label: "Persona", noun: "persona" },
	{ id: "runtime", label: "Runtime", noun: "runtime" },
	{ id: "agent", label: "Agent", noun: "agent" },
	{ id: "language", label: "Language", noun: "language" },
	{ id: "kind", label: "Kind of bead", noun: "kind" },
];
export const KINDS = ["task", "bug", "feature", "chore", "epic", "merge-request"];

export default function Stats() {
	const town = useTown();
	const q = () => route().q ?? {};
	const by = () => (DIMENSIONS.some((d) => d.id === q().by) ? q().by : "model");
	const kind = () => q().kind ?? "";
	const language = () => q().language ?? "";
	const dim = () => DIMENSIONS.find((d) => d.id === by());

	const stats = loader((b, k, l) => get(townPath(town.id, "stats") + query({ by: b, kind: k, language: l })));
	const languages = loader(async () => (await get(townPath(town.id, "stats") + query({ by: "language" }))).rows
		.map((r) => r.key).filter((k) => k && k !== "-").sort(), []);
	const load = () => stats.load(by(), kind(), language());
	createEffect(on(() => [by(), kind(), language()], load));
	languages.load();

	// Outcomes end with their beads: read again when one closes, fails or is superseded.
	const again = debounce(() => {
		load();
		languages.load();
	}, 1000);
	const off = town.on((f) => {
		if (f.type === "reconnected" || (f.type === "event" && /^bead\.(closed|failed|superseded|merged|done)/.test(f.kind ?? ""))) again();
	});
	onCleanup(() => {
		off();
		again.cancel();
	});

	// A choice goes into the address: it can be shared, and Back returns to the one before.
	function choose(change) {
		const next = { by: by(), kind: kind(), language: language(), ...change };
		record(`looked at stats by ${next.by}${next.kind ? ` for ${next.kind}` : ""}${next.language ? ` in ${next.language}` : ""}`);
		location.hash = href("towns", town.id, "stats") + query(next);
	}

	// What is shown is what the town answered for (the choice may be newer, still loading).
	const rows = () => stats.data()?.rows ?? [];
	const shownBy = () => stats.data()?.by ?? by();
	const shownDim = () => DIMENSIONS.find((d) => d.id === shownBy()) ?? dim();
	const current = () => stats.data() && stats.data().by === by() && (stats.data().kind ?? "") === kind() &&
		(stats.data().language ?? "") === language();
	const scope = (k = stats.data()?.kind ?? kind(), l = stats.data()?.language ?? language()) =>
		[k ? `${k} beads` : "all kinds of bead", l ? `in ${l}` : "in every language"].join(" ");
	const total = () => rows().reduce((s, r) => s + r.n, 0);
	const languageChoices = () => {
		const l = languages.data() ?? [];
		return language() && !l.includes(language()) ? [...l, language()] : l;
	};

	return (
		<section class="page stats-page" aria-labelledby="stats-title">
			<div class="page-head">
				<h1 id="stats-title">Stats</h1>
			</div>
			<p class="lede muted">
				What the town learned from its finished work. <strong>n</strong> counts the outcomes that merged, failed or
				were closed by hand; an attempt superseded by another's merge is counted apart. A first-pass rate (merged with
				nothing sent back) always comes with its 95% Wilson interval and its n: 1 of 1 is 21–100%, not 100%.
			</p>
			<form class="filters" aria-label="What the stats cover" onSubmit={(e) => e.preventDefault()}>
				<label class="grow">
					<span>By</span>
					<select value={by()} onChange={(e) => choose({ by: e.currentTarget.value })} data-testid="stats-by">
						<For each={DIMENSIONS}>{(d) => <option value={d.id} selected={d.id === by()}>{d.label}</option>}</For>
					</select>
				</label>
				<label>
					<span>Kind</span>
					<select value={kind()} onChange={(e) => choose({ kind: e.currentTarget.value })} data-testid="stats-kind">
						<option value="">any kind</option>
						<For each={KINDS}>{(k) => <option value={k} selected={k === kind()}>{k}</option>}</For>
					</select>
				</label>
				<label>
					<span>Language</span>
					<select value={language()} onChange={(e) => choose({ language: e.currentTarget.value })} data-testid="stats-language">
						<option value="">any language</option>
						<For each={languageChoices()}>{(l) => <option value={l} selected={l === language()}>{l}</option>}</For>
					</select>
				</label>
			</form>
			<ErrorBox error={stats.error()} retry={load} title="Cannot load the stats" />
			<p class="muted small" role="status" data-testid="stats-summary">
				<Show when={current()} fallback={stats.loading() ? "Loading…" : ""}>
					{rows().length} {shownDim().noun}{rows().length === 1 ? "" : "s"}, {total()} outcome{total() === 1 ? "" : "s"} of {scope()}.
				</Show>
			</p>
			<Show when={stats.loaded()} fallback={<Show when={!stats.error()}><Loading /></Show>}>
				<Show when={rows().length} fallback={
					<p class="empty" data-testid="stats-empty">No finished work {kind() || language() ? `of ${scope(kind(), language())} ` : ""}yet: the stats fill in as beads merge or fail.</p>
				}>
					<Suspense fallback={<Loading>Loading the charts…</Loading>}>
						<StatsChart rows={rows()} by={shownDim().noun} label={(r) => statsKeyLabel(shownBy(), r.key)} />
					</Suspense>
					<StatsTable rows={rows()} by={shownBy()} noun={shownDim().noun} testid="stats-table"
						caption={`By ${shownDim().noun}, ${scope()}: first-pass rate with its 95% Wilson interval and n, and costs`} />
				</Show>
			</Show>
		</section>
	);
}
