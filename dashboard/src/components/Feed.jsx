// Feed.jsx - the town's activity: who did what, and for which human.
import { For, Show } from "solid-js";
import { useTown } from "../context.js";
import { clock, iso } from "../format.js";
import { href } from "../route.js";

const quote = (s) => (s ? `“${s}”` : "");
// A changed value as a line of the feed can hold it: metadata is a whole JSON object.
const short = (v) => {
	const t = String(v ?? "—");
	return t.length > 80 ? `${t.slice(0, 79)}…` : t;
};

// What the event says, in words, and what its subject links to.
export function describe(e) {
	const k = e.kind ?? "";
	const n = e.new, o = e.old, f = e.field;
	switch (k) {
	case "bead.created": return `created bead ${e.subject} ${quote(n)}`;
	case "bead.updated": return `changed ${f} of ${e.subject}: ${short(o)} → ${short(n)}`;
	case "bead.closed": return `closed ${e.subject}`;
	case "bead.deleted": return `deleted bead ${e.subject}`;
	case "bead.dep_added": return `made ${e.subject} depend on ${n} (${f})`;
	case "bead.dep_removed": return `removed the ${f} dependency of ${e.subject} on ${o}`;
	case "bead.slung": return `slung ${e.subject} to rig ${n}`;
	case "bead.attempts": return `slung ${e.subject} ${n} ways (one attempt each)`;
	case "bead.dispatched": return `dispatched ${e.subject} to ${n}`;
	case "bead.cast": return `started ${e.subject} as ${n}`;
	case "bead.done": return `finished ${e.subject}${n ? ` (commit ${String(n).slice(0, 10)})` : ""}`;
	case "bead.requeued": return `requeued ${e.subject}${n ? `: ${n}` : ""}`;
	case "bead.failed": return `${e.subject} failed${n ? `: ${n}` : ""}`;
	case "bead.pr_requested": return `asked for a pull request for ${e.subject}`;
	case "bead.pr_opened": return `opened a pull request for ${e.subject}${n ? `: ${n}` : ""}`;
	case "bead.pr_conflict": return `found a conflict on the pull request of ${e.subject}${n ? ` (${n} merges the base in)` : ""}`;
	case "bead.pr_auto_merge": return `merged the pull request of ${e.subject} at ${String(n ?? "").slice(0, 10)} (auto-merge)`;
	case "review.approved": return `recorded ${n ?? "a reviewer"}'s approval of ${e.subject}`;
	case "review.replied": return `replied in the review thread of ${e.subject}`;
	case "review.resolved": return `resolved the review thread of ${e.subject}`;
	case "agent.created": return `created agent ${e.subject} (${n})`;
	case "agent.hooked": return `hooked ${n} on ${e.subject}`;
	case "agent.unhooked": return `took ${o} off ${e.subject}'s hook`;
	case "agent.status": return `${e.actor === e.subject ? "" : `${e.subject} `}says ${quote(n)}`;
	case "agent.lost": return `${e.subject} stopped answering (lost)`;
	case "agent.nudged": return `nudged ${e.subject}`;
	case "agent.tokens_revoked": return `revoked the tokens of ${e.subject}`;
	case "convoy.created": return `started convoy ${e.subject} (${n})`;
	case "convoy.updated": return `convoy ${e.subject} is ${n}`;
	case "convoy.landed": return `convoy ${e.subject} landed`;
	case "mail.sent": return `sent mail to ${n}`;
	case "mayor.message": return `asked the Mayor ${quote(n)}`;
	case "mayor.reply": return `replied ${quote(n)}`;
	case "escalation.raised": return `raised escalation ${e.subject} (${n})`;
	case "escalation.reraised": return `re-raised escalation ${e.subject}: ${o} → ${n}`;
	case "escalation.acknowledged": return `acknowledged escalation ${e.subject}`;
	case "escalation.resolved": return `resolved escalation ${e.subject}`;
	case "persona.created": return `created persona ${e.subject}${n && n !== e.subject ? ` (${n})` : ""}`;
	case "persona.updated": return `changed persona ${e.subject}`;
	case "persona.deleted": return `deleted persona ${e.subject}`;
	case "rig.created": return `added rig ${e.subject}`;
	case "rig.updated": return `changed rig ${e.subject}`;
	case "rig.deleted": return `deleted rig ${e.subject}`;
	case "town.created": return "created the town";
	case "town.secret": return `${n === "removed" ? "removed" : "set"} the secret ${f}`;
	case "town.dispatch_paused": return "paused dispatch after repeated failures";
	case "budget.set": return `set budget ${e.subject} to ${n}`;
	case "budget.removed": return `removed budget ${e.subject}`;
	case "budget.warning": return `budget ${e.subject} is nearly spent (${n})`;
	case "budget.reached": return `budget ${e.subject} is spent (${n})`;
	case "price.set": return `set the price of ${e.subject}: ${n}`;
	case "price.removed": return `removed the price of ${e.subject}`;
	default: {
		const change = f ? ` ${f}${o !== null ? `: ${o}` : ""}${n !== null ? ` → ${n}` : ""}` : "";
		return `${k} ${e.subject ?? ""}${change}`;
	}
	}
}

export function subjectLink(town, e) {
	const k = e.kind ?? "";
	if ((k.startsWith("bead.") && k !== "bead.deleted") || k.startsWith("review.")) return href("towns", town, "beads", e.subject);
	if (k.startsWith("agent.")) return href("towns", town, "agents", e.subject);
	if (k.startsWith("convoy.")) return href("towns", town, "convoys", e.subject);
	if (k.startsWith("rig.") && k !== "rig.deleted") return href("towns", town, "rigs", e.subject);
	if (k.startsWith("persona.") && k !== "persona.deleted") return href("towns", town, "personas", e.subject);
	return null;
}

function category(kind) {
	const k = kind ?? "";
	if (k.startsWith("mayor.")) return "mayor";
	if (k === "agent.status") return "status";
	if (k.startsWith("convoy.")) return "convoy";
	if (k.startsWith("escalation.") || k === "bead.failed" || k === "budget.reached") return "alert";
	if (k.startsWith("bead.")) return "bead";
	return "other";
}

export default function Feed(props) {
	const town = useTown();
	const items = () => (props.limit ? town.feed().slice(0, props.limit) : town.feed());
	return (
		<section class="card feed-card" aria-labelledby="feed-title">
			<h2 id="feed-title">Activity</h2>
			<Show when={town.feedLoad.error()}>
				<div class="error" role="alert">Cannot load the feed: {town.feedLoad.error().message}</div>
			</Show>
			<Show when={town.feed().length > 0 || town.feedLoad.loaded()} fallback={<p class="loading" role="status">Loading…</p>}>
				<Show when={town.feed().length > 0} fallback={<p class="empty">No activity yet.</p>}>
					<ol class="feed" data-testid="feed" aria-live="polite" aria-relevant="additions">
						<For each={items()}>
							{(e) => {
								const link = subjectLink(town.id, e);
								return (
									<li class={`feed-item cat-${category(e.kind)}`} data-testid={`event-${e.seq}`} data-kind={e.kind}>
										<time datetime={iso(e.at_ms)}>{clock(e.at_ms)}</time>
										<span class="feed-text">
											<strong class="actor">{e.actor}</strong>{" "}
											<Show when={link} fallback={describe(e)}>
												<a href={link}>{describe(e)}</a>
											</Show>
										</span>
										<span class="for">for <strong>{e.requested_by}</strong></span>
									</li>
								);
							}}
						</For>
					</ol>
				</Show>
			</Show>
		</section>
	);
}
