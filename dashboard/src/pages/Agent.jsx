// Agent.jsx - one agent: who it is and what it holds, its status history, its record (GET
// .../agents/:agent/record: first-pass rate with its 95% Wilson interval and n, by persona and by
// language, its latest outcomes), and three views of its work: the live event stream
// (#/towns/:town/agents/:agent), its log, structured and paged (.../log, ?seq= names an event to
// go to: AgentLog.jsx) and its terminal (.../terminal). An agent removed since keeps its record:
// the page shows that alone.
import { For, Match, Show, Suspense, Switch, lazy, onCleanup } from "solid-js";
import { get, townPath } from "../api.js";
import { StateBadge } from "../components/AgentCard.jsx";
import AgentLog from "../components/AgentLog.jsx";
import AgentStream from "../components/AgentStream.jsx";
import StatsTable from "../components/StatsTable.jsx";
import { ErrorBox, Loading } from "../components/Status.jsx";
import { useTown } from "../context.js";
import { ago, clock, duration, iso, money, rateText, statsKeyLabel } from "../format.js";
import { debounce, loader } from "../load.js";
import { href, route } from "../route.js";

const Terminal = lazy(() => import("../components/Terminal.jsx"));

const RESULT_CLASS = { merged: "attempt-merged", failed: "attempt-failed", superseded: "attempt-superseded", running: "attempt-running",
	closed: "status-closed" };

// What a recent outcome wore: "sonnet · backend · claude", "-" the rig's.
const variantOf = (o) => statsKeyLabel("variant", [o.model ?? "-", o.persona ?? "-", o.runtime ?? "-"].join("|"));

// The agent's record: its totals in one line, by persona and by language, its latest outcomes.
function AgentRecord(props) {
	const town = useTown();
	const r = () => props.record.data();
	return (
		<section class="agent-record" aria-labelledby="agent-record-title" data-testid="agent-record">
			<h2 id="agent-record-title">Record</h2>
			<ErrorBox error={props.record.error()} retry={props.record.load} title="Cannot load the record" />
			<Show when={r()} fallback={<Show when={!props.record.error()}><Loading /></Show>}>
				<Show when={r().totals} fallback={<p class="empty" data-testid="agent-record-empty">No finished work yet.</p>}>
					{(t) => (
						<p class="record-totals" data-testid="agent-record-totals">
							First-pass <strong>{rateText(t())}</strong> · {t().merged} merged · {t().superseded} superseded ·{" "}
							{t().cost_per_merged_microusd === null ? "none merged" : `${money(t().cost_per_merged_microusd)} per merged bead`} ·{" "}
							{duration(t().wall_ms_avg)} on average
						</p>
					)}
				</Show>
				<Show when={r().by_persona?.length}>
					<StatsTable rows={r().by_persona} by="persona" noun="persona" testid="agent-record-persona"
						caption="By persona: first-pass rate with its 95% Wilson interval and n" />
				</Show>
				<Show when={r().by_language?.length}>
					<StatsTable rows={r().by_language} by="language" noun="language" testid="agent-record-language"
						caption="By language: first-pass rate with its 95% Wilson interval and n" />
				</Show>
				<Show when={r().recent?.length}>
					<details class="record-recent" data-testid="agent-record-recent">
						<summary>Latest outcomes ({r().recent.length})</summary>
						<div class="table-wrap" tabindex="0" role="region" aria-labelledby="agent-record-recent-cap">
							<table>
								<caption id="agent-record-recent-cap" class="visually-hidden">The agent's latest outcomes, newest first</caption>
								<thead>
									<tr>
										<th scope="col">Bead</th><th scope="col">Variant</th><th scope="col">Language</th>
										<th scope="col">Kind</th><th scope="col">Result</th><th scope="col" class="num">Rework</th>
										<th scope="col" class="num">Comments</th><th scope="col" class="num">Cost</th><th scope="col">Ended</th>
									</tr>
								</thead>
								<tbody>
									<For each={r().recent}>
										{(o) => (
											<tr data-testid="agent-record-outcome">
												<th scope="row">
													<a href={href("towns", town.id, "beads", o.bead)}><code>{o.bead}</code></a>
													<Show when={o.slung && o.slung !== o.bead}>
														<span class="muted small"> attempt of <a href={href("towns", town.id, "beads", o.slung)}>{o.slung}</a></span>
													</Show>
												</th>
												<td>{variantOf(o)}</td>
												<td>{o.language ?? "—"}</td>
												<td>{o.kind ?? "—"}</td>
												<td>
													<span class={`badge ${RESULT_CLASS[o.result] ?? ""}`}>{o.result}</span>
													<Show when={o.first_pass}> <span class="badge first-pass">first pass</span></Show>
												</td>
												<td class="num">{o.rework}</td>
												<td class="num">{o.comments}</td>
												<td class="num">{money(o.cost_microusd)}</td>
												<td>{o.ended_ms ? <time datetime={iso(o.ended_ms)}>{clock(o.ended_ms)}</time> : <span class="muted">running</span>}</td>
											</tr>
										)}
									</For>
								</tbody>
							</table>
						</div>
					</details>
				</Show>
			</Show>
		</section>
	);
}

function AgentView(props) {
	const town = useTown();
	const agent = loader(() => get(townPath(town.id, "agents", props.id)));
	const rec = loader(() => get(townPath(town.id, "agents", props.id, "record")));
	agent.load();
	rec.load();
	const again = debounce(() => agent.load(), 300);
	const againRecord = debounce(() => rec.load(), 1000);
	const off = town.on((f) => {
		if (f.type === "event" && (f.subject === props.id || f.new === props.id)) again();
		if (f.type === "event" && f.actor === props.id && /^bead\./.test(f.kind ?? "")) againRecord();
		if (f.type === "reconnected") {
			again();
			againRecord();
		}
	});
	onCleanup(() => {
		off();
		again.cancel();
		againRecord.cancel();
	});
	const tab = () => route().tab;
	// The event the address names (.../log?seq=123), or null.
	const target = () => {
		const s = Number(route().q?.seq);
		return Number.isSafeInteger(s) && s > 0 ? s : null;
	};
	// Gone from the town, its record kept.
	const gone = () => agent.error()?.status === 404 && !!rec.data();

	return (
		<section class="page agent-page" aria-labelledby="agent-title">
			<Show when={!gone()} fallback={
				<>
					<div class="page-head"><h1 id="agent-title">{props.id}</h1></div>
					<p class="muted" data-testid="agent-gone">No longer in this town; its record is kept.</p>
				</>
			}>
				<ErrorBox error={agent.error()} retry={agent.load} title="Cannot load this agent" />
			</Show>
			<Show when={agent.data()} fallback={<Show when={!agent.error()}><Loading /></Show>}>
				{(a) => (
					<>
						<div class="page-head">
							<h1 id="agent-title">{a().name}</h1>
							<StateBadge state={a().state} />
						</div>
						<p class="muted">
							{a().role}{a().rig ? <> on rig <a href={href("towns", town.id, "rigs", a().rig)}>{a().rig}</a></> : ""}
							<Show when={a().hook}> · working on <a href={href("towns", town.id, "beads", a().hook)}>{a().hook}</a></Show>
							<Show when={a().persona}> as <a href={href("towns", town.id, "personas", a().persona)} data-testid="agent-persona">{a().persona}</a></Show>
							<Show when={a().requested_by}> for <strong>{a().requested_by}</strong></Show>
							<Show when={a().last_heartbeat_ms}> · last heard <time datetime={iso(a().last_heartbeat_ms)}>{ago(a().last_heartbeat_ms)}</time></Show>
						</p>
						<Show when={a().status_history?.length}>
							<details class="status-history">
								<summary>Status: <span data-testid={`status-${a().id}`}>{a().status_history[0].message}</span></summary>
								<ol class="history">
									<For each={a().status_history}>
										{(h) => <li><time datetime={iso(h.at_ms)}>{clock(h.at_ms)}</time> {h.message}</li>}
									</For>
								</ol>
							</details>
						</Show>
					</>
				)}
			</Show>
			<Show when={agent.data() || gone()}><AgentRecord record={rec} /></Show>
			<Show when={agent.data()}>
				<nav class="tabs" aria-label="Agent views">
					<a id="agent-tab-stream" href={href("towns", town.id, "agents", props.id)}
						aria-current={tab() !== "terminal" && tab() !== "log" ? "page" : undefined} data-testid="agent-tab-stream">Stream</a>
					<a id="agent-tab-log" href={href("towns", town.id, "agents", props.id, "log")} aria-current={tab() === "log" ? "page" : undefined}
						data-testid="agent-tab-log">Log</a>
					<a id="agent-tab-terminal" href={href("towns", town.id, "agents", props.id, "terminal")}
						aria-current={tab() === "terminal" ? "page" : undefined} data-testid="agent-tab-terminal">Terminal</a>
				</nav>
				<Switch fallback={<AgentStream agent={props.id} />}>
					<Match when={tab() === "log"}><AgentLog agent={props.id} target={target()} /></Match>
					<Match when={tab() === "terminal"}>
						<Suspense fallback={<Loading>Loading the terminal…</Loading>}>
							<Terminal agent={props.id} />
						</Suspense>
					</Match>
				</Switch>
			</Show>
		</section>
	);
}

export default function Agent() {
	return (
		<Show when={route().open?.id} keyed>
			{(id) => <AgentView id={id} />}
		</Show>
	);
}
