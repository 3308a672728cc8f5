// BeadAttempts.jsx - a bead slung several ways, side by side in its panel: one column per attempt
// (GET .../beads/:bead/attempts) with its variant, its state (merged is the winner), its own bead's
// status and reason, the gates that sent it back (bead.requeued events), what it changed (its diff's
// totals), what it cost and how long it ran. Each attempt links to its bead. Kept current by the
// feed: an event about the bead or any of its attempts reads them again, a costs frame the costs.
import { For, Show, createMemo, onCleanup } from "solid-js";
import { errorText, get, query, townPath } from "../api.js";
import { useTown } from "../context.js";
import { clock, iso, money, statusLabel } from "../format.js";
import { debounce, loader } from "../load.js";
import { href } from "../route.js";
import { ErrorBox } from "./Status.jsx";

const STATE_LABEL = { running: "running", merged: "merged · winner", superseded: "superseded", failed: "failed" };

// "gate `make test` failed (exit 2)" out of a requeue's or a failure's text, each once.

/* One row of the comparison: its label, then one cell per attempt (children: attempt => content). */
function Row(props) {
	return (
		<tr>
			<th scope="row">{props.label}</th>
			<For each={props.attempts()}>
				{(a) => (
					<td data-testid={`attempt-${a.bead}-${props.id}`} class={props.numeric ? "num-cell" : undefined}>
						{props.children(a)}
					</td>
				)}
			</For>
		</tr>
	);
}

export function gateResults(events) {
	const seen = new Set();
	for (const e of events ?? []) {
		if (e.kind !== "bead.requeued" && e.kind !== "bead.failed") continue;
		for (const m of String(e.new ?? "").matchAll(/gate `[^`]*` failed(?: \(exit \d+\))?/g)) seen.add(m[0]);
	}
	return [...seen];
}

// "1m 05s", "12s", "2h 03m".
export function span(from, to) {
	if (!from || !to || to < from) return "";
	const s = Math.round((to - from) / 1000);
	if (s < 60) return `${s}s`;
	if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, "0")}s`;
	return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

// A reason as the column has room for it: commit ids cut to 12 characters.
const shortShas = (t) => String(t ?? "").replace(/\b([0-9a-f]{12})[0-9a-f]{28}\b/g, "$1…");

// What an attempt wears: "persona lands · model x · runtime claude", or "as slung".
export const variantParts = (a) => [["persona", a.persona], ["model", a.model], ["runtime", a.runtime]].filter(([, v]) => v);

export default function BeadAttempts(props) {
	const town = useTown();
	const attempts = loader(() => get(townPath(town.id, "beads", props.id, "attempts")), []);
	// Each attempt's bead, events and diff, by its bead id; one that cannot be read says why.
	const details = loader(async (list) => {
		const out = {};
		await Promise.all((list ?? []).map(async (a) => {
			const [bead, events, diff] = await Promise.allSettled([
				get(townPath(town.id, "beads", a.bead)),
				get(townPath(town.id, "beads", a.bead, "events") + query({ limit: 500 })),
				get(townPath(town.id, "beads", a.bead, "diff")),
			]);
			out[a.bead] = {
				bead: bead.value ?? null, events: events.value?.events ?? null, diff: diff.value ?? null,
				error: bead.reason ?? events.reason ?? null, diffError: diff.reason ?? null,
			};
		}));
		return out;
	}, {});
	const costs = loader(async () => {
		const c = await get(townPath(town.id, "costs") + query({ by: "bead", period: "all" }));
		return Object.fromEntries((c.rows ?? []).map((r) => [r.key, r]));
	}, {});

	async function loadAll() {
		const list = await attempts.load();
		props.onAttempts?.(list ?? []);
		if (list?.length) {
			details.load(list);
			costs.load();
		}
	}
	loadAll();
	props.expose?.(loadAll);

	const ids = createMemo(() => new Set((attempts.data() ?? []).map((a) => a.bead)));
	const again = debounce(loadAll, 300);
	const againCost = debounce(() => ids().size && costs.load(), 500);
	const off = town.on((f) => {
		if (f.type === "event" && (f.subject === props.id || ids().has(f.subject))) again();
		else if (f.type === "costs") againCost();
	});
	onCleanup(() => {
		off();
		again.cancel();
		againCost.cancel();
	});

	const list = () => attempts.data() ?? [];
	const d = (a) => details.data()?.[a.bead];
	const title = `bead-attempts-title`;

	return (
		<>
			<ErrorBox error={attempts.error()} retry={loadAll} title="Cannot load the attempts" />
			<Show when={list().length}>
				<section class="attempts" aria-labelledby={title}>
					<h3 id={title}>Attempts <span class="count">{list().length}</span></h3>
					<p class="muted small">Slung {list().length} ways: the first to merge wins, the others are stopped.</p>
					<div class="table-wrap" tabindex="0" role="region" aria-labelledby={title}>
						<table class="attempts-table" data-testid="bead-attempts">
							<thead>
								<tr>
									<td />
									<For each={list()}>
										{(a) => (
											<th scope="col" data-testid={`attempt-${a.bead}`}>
												<a href={href("towns", town.id, "beads", a.bead)}>Attempt {a.n}</a>
												<code class="attempt-id">{a.bead}</code>
											</th>
										)}
									</For>
								</tr>
							</thead>
							<tbody>
								<Row attempts={list} label="Variant" id="variant">
									{(a) => (
										<>
											<Show when={variantParts(a).length} fallback={<span class="muted">as slung</span>}>
												<ul class="plain">
													<For each={variantParts(a)}>
														{([k, v]) => (
															<li><span class="muted small">{k}</span>{" "}
																{k === "persona" ? <a href={href("towns", town.id, "personas", v)}>{v}</a> : <code>{v}</code>}
															</li>
														)}
													</For>
												</ul>
											</Show>
										</>
									)}
								</Row>
								<Row attempts={list} label="State" id="state">
									{(a) => (
										<>
											<span class={`badge attempt-${a.state}`}>{STATE_LABEL[a.state] ?? a.state}</span>
											<Show when={a.reason}><p class="small attempt-reason" title={a.reason}>{shortShas(a.reason)}</p></Show>
										</>
									)}
								</Row>
								<Row attempts={list} label="Bead" id="bead">
									{(a) => (
										<>
											<Show when={d(a)?.bead} fallback={<span class="muted">{d(a)?.error ? errorText(d(a).error) : "…"}</span>}>
												{(b) => (
													<>
														<span class={`badge status-${b().status}`}>{statusLabel(b().status)}</span>
														<Show when={b().failure}><p class="small bad">{b().failure}</p></Show>
														<Show when={b().close_reason && b().close_reason !== a.reason}>
															<p class="small" title={b().close_reason}>{shortShas(b().close_reason)}</p>
														</Show>
													</>
												)}
											</Show>
										</>
									)}
								</Row>
								<Row attempts={list} label="Gates" id="gates">
									{(a) => (
										<>
											<Show when={d(a)?.events} fallback={<span class="muted">…</span>}>
												<Show when={gateResults(d(a).events).length}
													fallback={<span class={a.state === "merged" ? "good" : "muted"}>{a.state === "merged" ? "passed" : "none failed"}</span>}>
													<ul class="plain">
														<For each={gateResults(d(a).events)}>{(g) => <li class="bad small">{g}</li>}</For>
													</ul>
												</Show>
											</Show>
										</>
									)}
								</Row>
								<Row attempts={list} label="Diff" id="diff" numeric>
									{(a) => (
										<>
											<Show when={d(a)?.diff} fallback={<span class="muted">{d(a)?.diffError ? errorText(d(a).diffError) : d(a) ? "—" : "…"}</span>}>
												{(x) => (
													<Show when={x().recorded} fallback={<span class="muted">not reported yet</span>}>
														{x().totals.files} {x().totals.files === 1 ? "file" : "files"},{" "}
														<span class="good">+{x().totals.additions}</span>{" "}
														<span class="bad">−{x().totals.deletions}</span>
													</Show>
												)}
											</Show>
										</>
									)}
								</Row>
								<Row attempts={list} label="Cost" id="cost" numeric>
									{(a) => (
										<>
											<Show when={costs.loaded()} fallback={<span class="muted">{costs.error() ? errorText(costs.error()) : "…"}</span>}>
												{money(costs.data()?.[a.bead]?.cost_microusd ?? 0)}
												<Show when={costs.data()?.[a.bead]?.records}>
													<span class="muted small"> · {costs.data()[a.bead].records} calls</span>
												</Show>
											</Show>
										</>
									)}
								</Row>
								<Row attempts={list} label="Time" id="time">
									{(a) => (
										<>
											<time datetime={iso(a.created_ms)}>{clock(a.created_ms)}</time> →{" "}
											<Show when={a.ended_ms} fallback={<span class="muted">still running</span>}>
												<time datetime={iso(a.ended_ms)}>{clock(a.ended_ms)}</time>
												<span class="muted small"> ({span(a.created_ms, a.ended_ms)})</span>
											</Show>
										</>
									)}
								</Row>
							</tbody>
						</table>
					</div>
				</section>
			</Show>
		</>
	);
}
