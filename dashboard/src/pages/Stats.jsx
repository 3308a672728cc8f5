// Stats.jsx - what the town learned from its finished work (#/towns/:town/stats?by=&kind=&language=):
// GET .../stats grouped by variant, model, persona, runtime, agent, language or kind, for one kind of
// bead and one language when chosen. With scope=platform, the same for all towns (GET /api/stats,
// the platform's figures: no agent, each row with the number of towns it sums; a row resting on
// fewer than min_towns towns is withheld). Each key's first-pass rate is written with its 95% Wilson
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
// Whose figures: the town's own, or all towns' (the platform keeps nothing per agent).
const SCOPES = [{ id: "town", label: "This town" }, { id: "platform", label: "All towns" }];
const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;

export default function Stats() {
	const town = useTown();
	const q = () => route().q ?? {};
	const scope = () => (q().scope === "platform" ? "platform" : "town");
	const platform = () => scope() === "platform";
	const dimensions = () => (platform() ? DIMENSIONS.filter((d) => d.id !== "agent") : DIMENSIONS);
	const by = () => (dimensions().some((d) => d.id === q().by) ? q().by : "model");
	const kind = () => q().kind ?? "";
	const language = () => q().language ?? "";
	const dim = () => DIMENSIONS.find((d) => d.id === by());

	const path = (sc) => (sc === "platform" ? "/api/stats" : townPath(town.id, "stats"));
	const stats = loader(async (sc, b, k, l) => ({ ...await get(path(sc) + query({ by: b, kind: k, language: l })), scope: sc }));
	const languages = loader(async (sc) => (await get(path(sc) + query({ by: "language" }))).rows
		.map((r) => r.key).filter((k) => k && k !== "-").sort(), []);
	const load = () => stats.load(scope(), by(), kind(), language());
	createEffect(on(() => [scope(), by(), kind(), language()], load));
	createEffect(on(scope, (sc) => languages.load(sc)));

	// Outcomes end with their beads: read again when one closes, fails or is superseded.
	const again = debounce(() => {
		load();
		languages.load(scope());
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
		const next = { by: by(), kind: kind(), language: language(), scope: scope(), ...change };
		if (next.scope === "platform" && next.by === "agent") next.by = "model";
		record(`looked at ${next.scope === "platform" ? "all towns' " : ""}stats by ${next.by}${next.kind ? ` for ${next.kind}` : ""}${next.language ? ` in ${next.language}` : ""}`);
		location.hash = href("towns", town.id, "stats") + query({ ...next, scope: next.scope === "platform" ? "platform" : "" });
	}

	// What is shown is what the town answered for (the choice may be newer, still loading).
	const rows = () => stats.data()?.rows ?? [];
	const shownBy = () => stats.data()?.by ?? by();
	const shownDim = () => DIMENSIONS.find((d) => d.id === shownBy()) ?? dim();
	const shownPlatform = () => stats.data()?.scope === "platform";
	const current = () => stats.data() && stats.data().scope === scope() && stats.data().by === by() &&
		(stats.data().kind ?? "") === kind() && (stats.data().language ?? "") === language();
	const covers = (k = stats.data()?.kind ?? kind(), l = stats.data()?.language ?? language()) =>
		[k ? `${k} beads` : "all kinds of bead", l ? `in ${l}` : "in every language"].join(" ");
	const towns = () => plural(stats.data()?.towns ?? 0, "town");
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
				<Show when={platform()} fallback="What the town learned from its finished work.">
					What every town that shares its figures learned, summed: nothing of any agent, bead or person, and a row
					only once at least two towns share it.
				</Show>{" "}
				<strong>n</strong> counts the outcomes that merged, failed or were closed by hand; an attempt superseded by
				another's merge is counted apart. A first-pass rate (merged with nothing sent back) always comes with its 95%
				Wilson interval and its n: 1 of 1 is 21–100%, not 100%.
			</p>
			<form class="filters" aria-label="What the stats cover" onSubmit={(e) => e.preventDefault()}>
				<label>
					<span>Figures of</span>
					<select value={scope()} onChange={(e) => choose({ scope: e.currentTarget.value })} data-testid="stats-scope">
						<For each={SCOPES}>{(c) => <option value={c.id} selected={c.id === scope()}>{c.label}</option>}</For>
					</select>
				</label>
				<label class="grow">
					<span>By</span>
					<select value={by()} onChange={(e) => choose({ by: e.currentTarget.value })} data-testid="stats-by">
						<For each={dimensions()}>{(d) => <option value={d.id} selected={d.id === by()}>{d.label}</option>}</For>
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
					{plural(rows().length, shownDim().noun)}{shownPlatform() ? ` across ${towns()}` : ""}, {plural(total(), "outcome")} of {covers()}.
				</Show>
			</p>
			<Show when={stats.loaded()} fallback={<Show when={!stats.error()}><Loading /></Show>}>
				<Show when={rows().length} fallback={
					<Show when={shownPlatform()} fallback={
						<p class="empty" data-testid="stats-empty">No finished work {kind() || language() ? `of ${covers(kind(), language())} ` : ""}yet: the stats fill in as beads merge or fail.</p>
					}>
						<p class="empty" data-testid="stats-platform-empty">
							No figures across towns {kind() || language() ? `of ${covers(kind(), language())} ` : ""}yet: a row appears once at
							least {stats.data()?.min_towns ?? 2} towns share it, so that no town's own figures show ({towns()} sharing now).
						</p>
					</Show>
				}>
					<Suspense fallback={<Loading>Loading the charts…</Loading>}>
						<StatsChart rows={rows()} by={shownDim().noun} label={(r) => statsKeyLabel(shownBy(), r.key)} />
					</Suspense>
					<StatsTable rows={rows()} by={shownBy()} noun={shownDim().noun} testid="stats-table" towns={shownPlatform()}
						caption={`By ${shownDim().noun}${shownPlatform() ? ` across ${towns()}` : ""}, ${covers()}: first-pass rate with its 95% Wilson interval and n, and costs`} />
				</Show>
			</Show>
		</section>
	);
}
