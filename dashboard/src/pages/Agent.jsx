// Agent.jsx - one agent: who it is and what it holds, its status history, and two views of its
// work: the event stream (#/towns/:town/agents/:agent) and its terminal (.../terminal).
import { For, Show, Suspense, lazy, onCleanup } from "solid-js";
import { get, townPath } from "../api.js";
import { StateBadge } from "../components/AgentCard.jsx";
import AgentStream from "../components/AgentStream.jsx";
import { ErrorBox, Loading } from "../components/Status.jsx";
import { useTown } from "../context.js";
import { ago, clock, iso } from "../format.js";
import { debounce, loader } from "../load.js";
import { href, route } from "../route.js";

const Terminal = lazy(() => import("../components/Terminal.jsx"));

function AgentView(props) {
	const town = useTown();
	const agent = loader(() => get(townPath(town.id, "agents", props.id)));
	agent.load();
	const again = debounce(() => agent.load(), 300);
	const off = town.on((f) => {
		if (f.type === "event" && (f.subject === props.id || f.new === props.id)) again();
		if (f.type === "reconnected") again();
	});
	onCleanup(() => {
		off();
		again.cancel();
	});
	const tab = () => route().tab;

	return (
		<section class="page agent-page" aria-labelledby="agent-title">
			<ErrorBox error={agent.error()} retry={agent.load} title="Cannot load this agent" />
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
			<nav class="tabs" aria-label="Agent views">
				<a id="agent-tab-stream" href={href("towns", town.id, "agents", props.id)} aria-current={tab() !== "terminal" ? "page" : undefined}
					data-testid="agent-tab-stream">Stream</a>
				<a id="agent-tab-terminal" href={href("towns", town.id, "agents", props.id, "terminal")}
					aria-current={tab() === "terminal" ? "page" : undefined} data-testid="agent-tab-terminal">Terminal</a>
			</nav>
			<Show when={tab() === "terminal"} fallback={<AgentStream agent={props.id} />}>
				<Suspense fallback={<Loading>Loading the terminal…</Loading>}>
					<Terminal agent={props.id} />
				</Suspense>
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
