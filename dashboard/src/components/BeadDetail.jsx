// BeadDetail.jsx - one bead in the side panel: its fields, dependencies, cost, branch and commits,
// its events, the status history of the agent on it, and (for members) sling and status changes.
// A pull request's merge request shows its review first, a review sub-bead the comment it answers.
// A bead slung several ways (the sling form's Ways, each way's persona, model and runtime) shows its
// attempts side by side (BeadAttempts.jsx). An open or failed bead shows the variants the town
// recommends for it (GET .../beads/:bead/recommend), each with the numbers behind it.
import { For, Index, Show, Suspense, createEffect, createSignal, lazy, onCleanup } from "solid-js";
import { errorText, get, patch, post, query, townPath } from "../api.js";
import { useTown } from "../context.js";
import { STATUSES, clock, iso, money, statusLabel } from "../format.js";
import { debounce, loader } from "../load.js";
import { href } from "../route.js";
import { record } from "../uictx.js";
import BeadAttempts from "./BeadAttempts.jsx";
import { ReviewContext, ReviewSection, hasReview, reviewOf } from "./BeadReview.jsx";
import { describe } from "./Feed.jsx";
import Panel from "./Panel.jsx";
import { ErrorBox, Loading } from "./Status.jsx";

// What an attempt may run (the town's runtimes); "" is the town's or the rig's own.
export const RUNTIMES = ["scripted", "claude", "codex", "opencode", "kilo", "command"];
const noWay = () => ({ persona: "", model: "", runtime: "" });

// diff2html and highlight.js are most of a bundle: loaded the first time a Diff tab opens.
const BeadDiff = lazy(() => import("./BeadDiff.jsx"));

const RECOMMEND_SHOWN = 5;

// Where a recommendation's numbers come from: "bug beads in rust", "all the town's work".
function scopeText(r) {
	switch (r.scope) {
	case "kind and language": return `${r.kind} beads in ${r.language}`;
	case "language": return `work in ${r.language}`;
	case "kind": return `${r.kind} beads`;
	case "all work": return "all the town's work";
	default: return "";
	}
}

// The variants to try for an open or failed bead, cheapest expected cost per merged bead first.
function Recommended(props) {
	const town = useTown();
	const advice = loader(() => get(townPath(town.id, "beads", props.id, "recommend")));
	const [all, setAll] = createSignal(false);
	advice.load();
	const list = () => advice.data()?.variants ?? [];
	return (
		<section class="recommend" aria-labelledby="bead-recommend-title" data-testid="bead-recommend">
			<h3 id="bead-recommend-title">Recommended</h3>
			<ErrorBox error={advice.error()} retry={advice.load} title="Cannot load the recommendations" />
			<Show when={advice.data()} fallback={<Show when={!advice.error()}><Loading /></Show>}>
				{(r) => (
					<Show when={list().length} fallback={
						<p class="empty" data-testid="bead-recommend-none">Not enough outcomes yet (at least {r().min_sample} each).</p>
					}>
						<p class="muted small" data-testid="bead-recommend-scope">
							From the outcomes of {scopeText(r())}, cheapest expected cost per merged bead first (cost per attempt ÷
							first-pass rate); each with its first-pass rate, 95% interval and n.
						</p>
						<ol class="recommend-list">
							<For each={all() ? list() : list().slice(0, RECOMMEND_SHOWN)}>
								{(v) => <li data-testid="bead-recommend-variant" data-key={v.key}>{v.why}</li>}
							</For>
						</ol>
						<Show when={list().length > RECOMMEND_SHOWN}>
							<button type="button" class="link-btn" aria-expanded={all()} onClick={() => setAll(!all())}
								data-testid="bead-recommend-all">{all() ? `Show the first ${RECOMMEND_SHOWN}` : `Show all ${list().length}`}</button>
						</Show>
					</Show>
				)}
			</Show>
		</section>
	);
}

function prUrl(metadata) {
	const pr = metadata?.pull_request;
	if (typeof pr === "string") return pr;
	if (pr && typeof pr === "object") return pr.url ?? pr.html_url ?? null;
	return null;
}

export default function BeadDetail(props) {
	const town = useTown();
	const bead = loader(() => get(townPath(town.id, "beads", props.id)));
	const events = loader(() => get(townPath(town.id, "beads", props.id, "events") + query({ limit: 500 })));
	const cost = loader(async () => {
		const c = await get(townPath(town.id, "costs") + query({ by: "bead", period: "all" }));
		return c.rows?.find((r) => r.key === props.id) ?? { cost_microusd: 0, records: 0, input_tokens: 0, output_tokens: 0 };
	});
	const agent = loader((id) => (id ? get(townPath(town.id, "agents", id)) : null));
	const [busy, setBusy] = createSignal(false);
	const [actionErr, setActionErr] = createSignal(null);
	const [note, setNote] = createSignal("");
	const [slingRig, setSlingRig] = createSignal("");
	const [slingPersona, setSlingPersona] = createSignal("");
	const [newStatus, setNewStatus] = createSignal("");
	// A speculative sling: how many ways, and what each way wears ({persona, model, runtime}, "" as slung).
	const [ways, setWays] = createSignal("1");
	const [wayRows, setWayRows] = createSignal([]);
	// The town's error about the ways or a variant: {field: "ways" | "variants", way: index | null, message}.
	const [slingErr, setSlingErr] = createSignal(null);
	const [attemptCount, setAttemptCount] = createSignal(0);
	let reloadAttempts = () => {};
	let slingForm;
	// The panel's tabs: the bead itself, or what it changed (loaded when first shown).
	const [tab, setTab] = createSignal("details");
	const showTab = (t) => {
		setTab(t);
		if (t === "diff") record("looked at the diff", "bead", props.id);
	};

	const agentId = () => {
		const b = bead.data();
		const known = new Set((town.agents.data() ?? []).map((a) => a.id));
		return [b?.assignee, b?.worked_by].find((x) => x && known.has(x)) ?? b?.assignee ?? b?.worked_by ?? null;
	};

	async function loadAll() {
		const b = await bead.load();
		events.load();
		cost.load();
		if (b) {
			setSlingRig(b.rig ?? "");
			setSlingPersona(b.persona ?? "");
			setNewStatus(b.status);
			const a = agentId();
			if (a) agent.load(a);
		}
	}
	loadAll();

	// Keep up with the socket: this bead's events, its agent's status.
	const again = debounce(async () => {
		const b = await bead.load();
		events.load();
		if (b) {
			props.onChanged?.(b);
			setNewStatus(b.status);
			const a = agentId();
			if (a) agent.load(a);
		}
	}, 250);
	const againCost = debounce(() => cost.load(), 500);
	const off = town.on((f) => {
		if (f.type === "event" && f.subject === props.id) again();
		else if (f.type === "event" && f.kind === "agent.status" && f.subject === agentId()) agent.load(f.subject);
		else if (f.type === "costs") againCost();
	});
	onCleanup(() => {
		off();
		again.cancel();
		againCost.cancel();
	});

	const commits = () => (events.data()?.events ?? []).filter((e) => e.field === "commit" && e.new)
		.map((e) => ({ sha: e.new, at_ms: e.at_ms, by: e.actor }));
	const canSling = () => town.canWrite() && ["open", "failed"].includes(bead.data()?.status);
	// The personas to sling with (the town's list), and the bead's own even if it has gone since.
	createEffect(() => canSling() && town.personasNeeded());
	const personaChoices = () => {
		const names = (town.personas.data() ?? []).map((p) => ({ name: p.name, title: p.title }));
		const worn = bead.data()?.persona;
		return worn && !names.some((p) => p.name === worn) ? [...names, { name: worn, title: "" }] : names;
	};

	// The town's max_ways setting (1-8), 4 when it has none.
	const maxWays = () => {
		const m = Number(town.town.data()?.settings?.max_ways);
		return Number.isInteger(m) && m >= 1 && m <= 8 ? m : 4;
	};
	const wayCount = () => {
		const n = Number(ways());
		return Number.isInteger(n) && n > 1 ? Math.min(n, 8) : 1;
	};
	function changeWays(v) {
		setWays(v);
		setSlingErr(null);
		const n = wayCount();
		// Rows past the count are kept (a way typed back in finds its choices), not shown or sent.
		setWayRows((rows) => (n > rows.length ? [...rows, ...Array.from({ length: n - rows.length }, noWay)] : rows));
	}
	const shownWays = () => (wayCount() > 1 ? wayRows().slice(0, wayCount()) : []);
	const setWay = (i, key, v) => setWayRows((rows) => rows.map((r, j) => (j === i ? { ...r, [key]: v } : r)));
	const wayErr = (i) => (slingErr()?.field === "variants" && slingErr().way === i ? slingErr().message : null);
	const waysErr = () => (slingErr()?.field === "ways" || (slingErr()?.field === "variants" && slingErr().way === null)
		? slingErr().message : null);
	const wid = (i, key) => `bead-way-${i}-${key}`;

	// The town's error beside what it names: the ways, or one way's persona, model or runtime.
	function slingFailed(e) {
		const f = e?.field ?? "";
		if (f !== "ways" && !f.startsWith("variants")) return setActionErr(e);
		const m = /variants\[(\d+)\](?:\.(persona|model|runtime))?/.exec(`${f} ${e.message}`);
		const way = m && Number(m[1]) < wayCount() ? Number(m[1]) : null;
		setSlingErr({ field: f === "ways" ? "ways" : "variants", way, message: e.message });
		const target = way !== null ? wid(way, m[2] ?? "persona") : "bead-sling-ways";
		queueMicrotask(() => slingForm?.querySelector(`#${target}`)?.focus());
	}

	async function sling() {
		setActionErr(null);
		setSlingErr(null);
		setNote("");
		const n = Number(ways());
		if (!Number.isInteger(n) || n < 1)
			return slingFailed({ field: "ways", message: `Ways is a whole number, 1 to ${maxWays()}.` });
		setBusy(true);
		record(n > 1 ? `clicked sling (${n} ways)` : "clicked sling", "bead", props.id);
		try {
			// The persona as chosen: "" takes the bead's off; unchanged, it is left out. Slung several
			// ways, it is what a way without its own wears.
			const body = slingRig() ? { rig: slingRig() } : {};
			if (n > 1) {
				body.ways = n;
				if (slingPersona()) body.persona = slingPersona();
				const variants = shownWays().map((r) => Object.fromEntries(Object.entries(r)
					.map(([k, v]) => [k, v.trim()]).filter(([, v]) => v)));
				if (variants.some((v) => Object.keys(v).length)) body.variants = variants;
			} else if (slingPersona() !== (bead.data()?.persona ?? "")) body.persona = slingPersona();
			const b = await post(townPath(town.id, "beads", props.id, "sling"), body);
			bead.set(b);
			setSlingPersona(b.persona ?? "");
			props.onChanged?.(b);
			if (b.ways?.length) {
				setNote(`Slung ${b.ways.length} ways on rig ${b.rig}: ${b.ways.map((w) => w.bead).join(", ")}. The first to merge wins.`);
				changeWays("1");
				reloadAttempts();
			} else
				setNote(`Slung to rig ${b.rig}${b.persona ? ` as ${b.persona}` : ""}. The town starts it on a polecat when it is ready.`);
			events.load();
		} catch (e) {
			slingFailed(e);
		} finally {
			setBusy(false);
		}
	}

	async function changeStatus(e) {
		e.preventDefault();
		if (!newStatus() || newStatus() === bead.data()?.status) return;
		setBusy(true);
		setActionErr(null);
		setNote("");
		record("changed bead status", "bead", props.id);
		try {
			const b = await patch(townPath(town.id, "beads", props.id), { status: newStatus() });
			bead.set(b);
			props.onChanged?.(b);
			setNote(`Status is now ${statusLabel(b.status)}.`);
			events.load();
		} catch (x) {
			setActionErr(x);
			setNewStatus(bead.data()?.status ?? "");
		} finally {
			setBusy(false);
		}
	}

	return (
		<Panel id="bead" class={attemptCount() ? "panel-wide" : ""} title={bead.data()?.title ?? props.id} label="bead"
			testid="bead-detail" onClose={props.onClose}
			returnFocus={() => document.querySelector(`[data-testid="bead-${CSS.escape(props.id)}"] a`)}>
			<Show when={props.warning}><div class="error" role="alert">{props.warning}</div></Show>
			<ErrorBox error={bead.error()} retry={loadAll} title="Cannot load this bead" />
			<Show when={bead.data()} fallback={<Show when={!bead.error()}><Loading /></Show>}>
				{(b) => (
					<>
						<p class="bead-line">
							<code>{b().id}</code>
							<span class={`badge status-${b().status}`} data-testid="bead-status">{statusLabel(b().status)}</span>
							<span class="badge type">{b().type}</span>
							<span class="badge prio">P{b().priority}</span>
							<Show when={b().held}><span class="badge held">held</span></Show>
						</p>

						<div class="tabs" role="tablist" aria-label="Bead views">
							<button type="button" role="tab" aria-selected={tab() === "details"} onClick={() => showTab("details")}
								data-testid="bead-tab-details">Details</button>
							<button type="button" role="tab" aria-selected={tab() === "diff"} onClick={() => showTab("diff")}
								data-testid="bead-tab-diff">Diff</button>
						</div>
						<Show when={tab() === "diff"}>
							<Suspense fallback={<Loading />}><BeadDiff id={b().id} /></Suspense>
						</Show>
						<Show when={tab() === "details"}>

						<Show when={reviewOf(b())}><ReviewContext bead={b()} /></Show>
						<Show when={hasReview(b())}>
							<ReviewSection bead={b()} events={events.data()?.events} onChildChanged={again} />
						</Show>

						<Show when={town.canWrite()}>
							<div class="bead-actions">
								<Show when={canSling()}>
									<form class="sling-form" ref={slingForm} noValidate onSubmit={(e) => { e.preventDefault(); sling(); }}
										aria-label="Sling">
										<div class="inline-form">
										<label>
											<span>Rig</span>
											<select value={slingRig()} onChange={(e) => setSlingRig(e.currentTarget.value)} data-testid="bead-sling-rig">
												<option value="">{b().rig ? `its rig (${b().rig})` : "choose a rig"}</option>
												<For each={town.rigs.data() ?? []}>{(r) => <option value={r.id}>{r.id}</option>}</For>
											</select>
										</label>
										<label>
											<span>Persona</span>
											<select value={slingPersona()} onChange={(e) => setSlingPersona(e.currentTarget.value)} data-testid="bead-sling-persona">
												<option value="">No persona</option>
												<For each={personaChoices()}>
													{(p) => <option value={p.name} selected={p.name === slingPersona()}>{p.title && p.title !== p.name ? `${p.name} (${p.title})` : p.name}</option>}
												</For>
											</select>
										</label>
										<div class="field ways-field" classList={{ invalid: !!waysErr() }}>
											<label for="bead-sling-ways"><span>Ways</span></label>
											<input id="bead-sling-ways" type="number" min="1" max={maxWays()} step="1" inputmode="numeric"
												value={ways()} onInput={(e) => changeWays(e.currentTarget.value)}
												aria-invalid={waysErr() ? "true" : undefined}
												aria-describedby={waysErr() ? "bead-sling-ways-hint bead-sling-ways-err" : "bead-sling-ways-hint"}
												data-testid="bead-sling-ways" />
										</div>
										<button type="submit" class="btn" disabled={busy()} data-testid="bead-sling">
											{wayCount() > 1 ? `Sling ${wayCount()} ways` : "Sling"}
										</button>
										</div>
										<p id="bead-sling-ways-hint" class="muted small">
											Ways: 1 to {maxWays()}. More than one starts that many attempts at once; the first to merge wins.
										</p>
										<Show when={waysErr()}>
											<p id="bead-sling-ways-err" class="field-error" role="alert" data-testid="bead-sling-ways-error">{waysErr()}</p>
										</Show>
										<Show when={wayCount() > 1}>
											<div class="ways" data-testid="bead-sling-way-rows">
												<Index each={shownWays()}>
													{(row, i) => (
														<fieldset class="way-row" classList={{ invalid: !!wayErr(i) }} data-testid={`bead-sling-way-${i}`}>
															<legend>Way {i + 1}</legend>
															<div class="inline-form">
																<label for={wid(i, "persona")}>
																	<span>Persona</span>
																	<select id={wid(i, "persona")} value={row().persona}
																		onChange={(e) => setWay(i, "persona", e.currentTarget.value)}
																		aria-describedby={wayErr(i) ? `bead-way-${i}-err` : undefined}
																		data-testid={`bead-sling-way-${i}-persona`}>
																		<option value="">{slingPersona() ? `as slung (${slingPersona()})` : "No persona"}</option>
																		<For each={personaChoices()}>
																			{(p) => <option value={p.name} selected={p.name === row().persona}>{p.name}</option>}
																		</For>
																	</select>
																</label>
																<label for={wid(i, "model")}>
																	<span>Model</span>
																	<input id={wid(i, "model")} type="text" value={row().model} placeholder="the rig's"
																		autocomplete="off" spellcheck={false} class="mono"
																		onInput={(e) => setWay(i, "model", e.currentTarget.value)}
																		aria-describedby={wayErr(i) ? `bead-way-${i}-err` : undefined}
																		data-testid={`bead-sling-way-${i}-model`} />
																</label>
																<label for={wid(i, "runtime")}>
																	<span>Runtime</span>
																	<select id={wid(i, "runtime")} value={row().runtime}
																		onChange={(e) => setWay(i, "runtime", e.currentTarget.value)}
																		aria-describedby={wayErr(i) ? `bead-way-${i}-err` : undefined}
																		data-testid={`bead-sling-way-${i}-runtime`}>
																		<option value="">the town's</option>
																		<For each={RUNTIMES}>{(r) => <option value={r} selected={r === row().runtime}>{r}</option>}</For>
																	</select>
																</label>
															</div>
															<Show when={wayErr(i)}>
																<p id={`bead-way-${i}-err`} class="field-error" role="alert" data-testid={`bead-sling-way-${i}-error`}>{wayErr(i)}</p>
															</Show>
														</fieldset>
													)}
												</Index>
											</div>
										</Show>
									</form>
								</Show>
								<form class="inline-form" onSubmit={changeStatus}>
									<label>
										<span>Status</span>
										<select value={newStatus()} onChange={(e) => setNewStatus(e.currentTarget.value)} data-testid="bead-status-select">
											<For each={STATUSES}>{(s) => <option value={s}>{statusLabel(s)}</option>}</For>
										</select>
									</label>
									<button type="submit" class="btn secondary" disabled={busy() || newStatus() === b().status}
										data-testid="bead-status-save">Change</button>
								</form>
							</div>
						</Show>
						<Show when={actionErr()}><div class="error" role="alert">{errorText(actionErr())}</div></Show>
						<p class="note" role="status">{note()}</p>

						<Show when={["open", "failed"].includes(b().status)}><Recommended id={b().id} /></Show>

						<BeadAttempts id={b().id} onAttempts={(l) => setAttemptCount(l.length)} expose={(fn) => { reloadAttempts = fn; }} />

						<dl class="facts">
							<dt>Requested by</dt><dd>{b().requested_by}</dd>
							<dt>Created by</dt><dd>{b().created_by} · <time datetime={iso(b().created_ms)}>{clock(b().created_ms)}</time></dd>
							<dt>Rig</dt><dd>{b().rig ?? "—"}</dd>
							<dt>Persona</dt>
							<dd data-testid="bead-persona">
								<Show when={b().persona} fallback="—">
									<a href={href("towns", town.id, "personas", b().persona)}>{b().persona}</a>
								</Show>
							</dd>
							<dt>Assignee</dt>
							<dd>
								<Show when={b().assignee} fallback="—">
									<a href={href("towns", town.id, "agents", b().assignee)}>{b().assignee}</a>
								</Show>
							</dd>
							<Show when={b().labels?.length}>
								<dt>Labels</dt><dd><For each={b().labels}>{(l) => <span class="badge label">{l}</span>}</For></dd>
							</Show>
							<Show when={b().parent}>
								<dt>Parent</dt><dd><a href={href("towns", town.id, "beads", b().parent)}>{b().parent}</a></dd>
							</Show>
							<dt>Cost</dt>
							<dd data-testid="bead-cost">
								<Show when={cost.data()} fallback={cost.error() ? `— (${errorText(cost.error())})` : "…"}>
									{money(cost.data().cost_microusd)}
									<Show when={cost.data().records}>
										<span class="muted small"> · {cost.data().records} model calls, {cost.data().input_tokens} in / {cost.data().output_tokens} out tokens</span>
									</Show>
								</Show>
							</dd>
							<Show when={b().branch}>
								<dt>Branch</dt><dd><code class="wrap" data-testid="bead-branch">{b().branch}</code></dd>
							</Show>
							<Show when={b().worked_by}>
								<dt>Worked by</dt><dd><a href={href("towns", town.id, "agents", b().worked_by)}>{b().worked_by}</a></dd>
							</Show>
							<Show when={commits().length}>
								<dt>Commits</dt>
								<dd>
									<ul class="plain">
										<For each={commits()}>{(c) => <li><code title={c.sha}>{c.sha.slice(0, 12)}</code> <span class="muted small">by {c.by}, {clock(c.at_ms)}</span></li>}</For>
									</ul>
								</dd>
							</Show>
							<Show when={!hasReview(b()) && prUrl(b().metadata)}>
								<dt>Pull request</dt><dd><a href={prUrl(b().metadata)} rel="noreferrer noopener" target="_blank">{prUrl(b().metadata)}</a></dd>
							</Show>
							<Show when={b().attempts || b().reviews}>
								<dt>Runs</dt><dd>{b().attempts} failed attempts · {b().reviews} reviews sent back</dd>
							</Show>
							<Show when={b().failure}>
								<dt>Failure</dt><dd class="bad">{b().failure}</dd>
							</Show>
							<Show when={b().retry_ms}>
								<dt>Retry</dt><dd>not before {clock(b().retry_ms)}</dd>
							</Show>
							<Show when={b().close_reason}>
								<dt>Closed</dt><dd>{b().close_reason}</dd>
							</Show>
						</dl>

						<Show when={b().body}>
							<h3>Description</h3>
							<pre class="body-text" tabindex="0" aria-label="Description">{b().body}</pre>
						</Show>

						<h3>Dependencies</h3>
						<Show when={b().deps?.length} fallback={<p class="empty">None.</p>}>
							<ul class="deps" data-testid="bead-deps">
								<For each={b().deps}>
									{(d) => (
										<li>
											<span class="muted">{d.kind}</span>{" "}
											<a href={href("towns", town.id, "beads", d.id)}>{d.id}</a>{" "}
											<span class={`badge status-${d.status}`}>{statusLabel(d.status)}</span>
										</li>
									)}
								</For>
							</ul>
						</Show>

						<Show when={agentId()}>
							<h3>Status of {agentId()}</h3>
							<ErrorBox error={agent.error()} title="Cannot load the agent" />
							<Show when={agent.data()?.status_history?.length} fallback={<p class="empty">{agent.loading() ? "Loading…" : "No status messages."}</p>}>
								<ol class="history" data-testid="bead-agent-status">
									<For each={agent.data().status_history}>
										{(h) => <li><time datetime={iso(h.at_ms)}>{clock(h.at_ms)}</time> {h.message}</li>}
									</For>
								</ol>
							</Show>
						</Show>

						<h3>History</h3>
						<ErrorBox error={events.error()} retry={events.load} title="Cannot load the events" />
						<Show when={events.data()} fallback={<Show when={!events.error()}><Loading /></Show>}>
							<Show when={events.data().events.length} fallback={<p class="empty">No events.</p>}>
								<ol class="history" data-testid="bead-events">
									<For each={[...events.data().events].reverse()}>
										{(e) => (
											<li>
												<time datetime={iso(e.at_ms)}>{clock(e.at_ms)}</time>{" "}
												<strong>{e.actor}</strong> {describe(e)}
												<span class="muted small"> · for {e.requested_by}</span>
											</li>
										)}
									</For>
								</ol>
							</Show>
						</Show>
						</Show>
					</>
				)}
			</Show>
		</Panel>
	);
}
