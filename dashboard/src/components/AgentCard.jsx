// AgentCard.jsx - one agent: who it is, what it holds, and its status bubble. A new status
// message pops in as the bubble; the ones before it fade back behind it, then go.
import { For, Index, Show } from "solid-js";
import { useTown } from "../context.js";
import { ago, clock, iso } from "../format.js";
import { href } from "../route.js";

export function StateBadge(props) {
	return <span class={`badge state-${props.state}`}>{props.state}</span>;
}

export default function AgentCard(props) {
	const town = useTown();
	const a = () => props.agent;
	const trail = () => town.trail(a().id);
	return (
		<li class="agent-card" data-testid={`agent-${a().id}`}>
			<div class="agent-head">
				<a class="agent-name" href={href("towns", town.id, "agents", a().id)}>{a().name}</a>
				<span class="muted">{a().role}{a().rig ? ` · ${a().rig}` : ""}</span>
				<StateBadge state={a().state} />
			</div>
			<Show when={a().persona}>
				<p class="agent-persona small" data-testid={`agent-persona-${a().id}`}>
					as <a href={href("towns", town.id, "personas", a().persona)}><span class="badge persona">{a().persona}</span></a>
				</p>
			</Show>
			<Show when={a().hook}>
				<p class="agent-hook">
					on <a href={href("towns", town.id, "beads", a().hook)}>{a().hook}</a>
					<Show when={a().requested_by}> for <strong>{a().requested_by}</strong></Show>
				</p>
			</Show>
			<div class="bubbles" aria-live="polite" aria-atomic="false">
				<Show when={trail().length > 0} fallback={<p class="bubble bubble-none" data-testid={`status-${a().id}`}>No status yet</p>}>
					<For each={trail()}>
						{(s, i) => (
							<p class={`bubble age-${i()}`} data-testid={i() === 0 ? `status-${a().id}` : undefined}
								aria-hidden={i() > 0 ? "true" : undefined}>
								<span class="bubble-text">{s.message}</span>
								<Show when={s.at_ms && i() === 0}>
									<time class="bubble-time" datetime={iso(s.at_ms)} title={clock(s.at_ms)}>{ago(s.at_ms)}</time>
								</Show>
							</p>
						)}
					</For>
				</Show>
			</div>
		</li>
	);
}

export function AgentList(props) {
	return (
		<ul class="agent-list">
			<Index each={props.agents}>{(a) => <AgentCard agent={a()} />}</Index>
		</ul>
	);
}
