// TownHome.jsx - a town at a glance: rigs, agents with their status bubbles, open escalations
// and the live activity feed. A rig opens in a panel (#/towns/:town/rigs/:rig).
import { For, Show } from "solid-js";
import { AgentList } from "../components/AgentCard.jsx";
import Escalations from "../components/Escalations.jsx";
import Feed from "../components/Feed.jsx";
import Panel from "../components/Panel.jsx";
import { Loaded } from "../components/Status.jsx";
import { useTown } from "../context.js";
import { money } from "../format.js";
import { boardFilters } from "../filters.js";
import { href, navigate, route } from "../route.js";

function RigDetail(props) {
	const town = useTown();
	const rig = () => (town.rigs.data() ?? []).find((r) => r.id === props.id);
	const agents = () => (town.agents.data() ?? []).filter((a) => a.rig === props.id);
	const showOnBoard = () => {
		boardFilters(town.id).set("rig", props.id);
		navigate("towns", town.id, "beads");
	};
	return (
		<Panel id="rig" title={`Rig ${props.id}`} label="rig" testid="rig-detail"
			onClose={() => navigate("towns", town.id)}
			returnFocus={() => document.querySelector(`[data-testid="rig-${CSS.escape(props.id)}"] a`)}>
			<Show when={rig()} fallback={<Show when={town.rigs.loaded()} fallback={<p class="loading">Loading…</p>}>
				<p class="error" role="alert">This town has no rig “{props.id}”.</p></Show>}>
				<dl class="facts">
					<dt>Repository</dt><dd><code class="wrap">{rig().git_url}</code></dd>
					<dt>Branch</dt><dd>{rig().default_branch}</dd>
					<dt>Merges</dt><dd>{rig().merge_strategy === "pr" ? "pull requests" : "refinery merges directly"}</dd>
					<dt>Polecats</dt><dd>at most {rig().max_polecats}</dd>
					<dt>Added by</dt><dd>{rig().created_by}</dd>
				</dl>
				<button type="button" class="btn" onClick={showOnBoard} data-testid="rig-board">Show its beads on the board</button>
				<h3>Agents on this rig</h3>
				<Show when={agents().length} fallback={<p class="empty">No agents on this rig.</p>}>
					<AgentList agents={agents()} />
				</Show>
			</Show>
		</Panel>
	);
}

export default function TownHome() {
	const town = useTown();
	const r = route;
	return (
		<div class="with-panel" classList={{ "panel-open": !!r().open }}>
			<section class="page home" aria-labelledby="home-title">
				<h1 id="home-title">{town.town.data()?.name ?? town.id}</h1>
				<p class="lede muted">
					Today's spend <strong>{money(town.costDay())}</strong> · your role: <strong>{town.role() ?? "…"}</strong>
				</p>
				<div class="home-grid">
					<div class="home-col">
						<section class="card" aria-labelledby="agents-title">
							<h2 id="agents-title">Agents</h2>
							<Loaded of={town.agents} emptyText="No agents yet. An admin adds them (POST …/agents), or the town starts polecats when beads are slung.">
								<AgentList agents={town.agents.data()} />
							</Loaded>
						</section>
						<section class="card" aria-labelledby="rigs-title">
							<h2 id="rigs-title">Rigs</h2>
							<Loaded of={town.rigs} emptyText="No rigs yet. An admin adds one: gt rig add ID GIT_URL.">
								<ul class="rig-list">
									<For each={town.rigs.data()}>
										{(rig) => (
											<li data-testid={`rig-${rig.id}`}>
												<a href={href("towns", town.id, "rigs", rig.id)}><strong>{rig.id}</strong></a>
												<span class="muted small wrap"> {rig.git_url} · {rig.default_branch}</span>
											</li>
										)}
									</For>
								</ul>
							</Loaded>
						</section>
					</div>
					<div class="home-col">
						<Escalations />
						<Feed />
					</div>
				</div>
			</section>
			<Show when={r().open?.type === "rig" && r().open} keyed>
				{(o) => <RigDetail id={o.id} />}
			</Show>
		</div>
	);
}
