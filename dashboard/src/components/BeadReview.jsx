// BeadReview.jsx - the review of a pull request in the bead panel. On a `pr` rig's merge request:
// the pull request, "n/m addressed" (metadata.review_progress), who approved (review.approved in
// its events), the auto-merge state (metadata.auto_merge), and its review sub-beads (its children
// with metadata.review) with kind, reviewer, file:line, the comment, status, the reply posted.
// On a review sub-bead: the comment it answers, at the top of its detail. Reviewers' words are
// always text nodes, never HTML. Kept current by feed frames about the merge request or a child.
import { For, Show, createMemo, onCleanup } from "solid-js";
import { get, query, townPath } from "../api.js";
import { useTown } from "../context.js";
import { clock, iso } from "../format.js";
import { debounce, loader } from "../load.js";
import { href } from "../route.js";
import { ErrorBox, Loading, StatusBadge } from "./Status.jsx";

const PLATFORM = { github: "GitHub", gitlab: "GitLab" };

export const reviewOf = (bead) => {
	const r = bead?.metadata?.review;
	return r && typeof r === "object" ? r : null;
};

// Is this a merge request whose review there is something to show of?
export function hasReview(bead) {
	const m = bead?.metadata ?? {};
	return bead?.type === "merge-request" && !!(m.pull_request || m.review_progress || m.auto_merge);
}

// "src/a.c:12", "src/a.c:10–12", or "the conversation" for a comment on no line.
export function where(r) {
	if (!r?.path) return "the conversation";
	const line = r.line ?? r.start_line;
	if (!line) return r.path;
	return r.start_line && r.line && r.start_line !== r.line ? `${r.path}:${r.start_line}–${r.line}` : `${r.path}:${line}`;
}

function KindBadge(props) {
	return <span class={`badge kind kind-${props.kind}`} data-testid="review-kind">{props.kind ?? "comment"}</span>;
}

function platformName(r) {
	return PLATFORM[r?.platform] ?? r?.platform ?? "the platform";
}

// The reviewer's comment and the answer posted in its thread: text, kept as written (pre-wrap).
function Exchange(props) {
	const r = () => props.review;
	return (
		<>
			<Show when={r().body}>
				<blockquote class="review-comment" data-testid="review-comment">{r().body}</blockquote>
			</Show>
			<Show when={r().url}>
				<p class="small">
					<a href={r().url} rel="noreferrer noopener" target="_blank" data-testid="review-comment-link">
						View the comment on {platformName(r())}
						<span class="visually-hidden"> ({r().reviewer ?? "reviewer"}, {where(r())})</span>
					</a>
				</p>
			</Show>
			<Show when={r().reply}>
				<div class="review-reply" data-testid="review-reply">
					<p class="review-reply-label">Reply posted</p>
					<p class="review-reply-text">{r().reply}</p>
				</div>
			</Show>
		</>
	);
}

// A review sub-bead's own context, first in its detail.
export function ReviewContext(props) {
	const town = useTown();
	const r = () => reviewOf(props.bead);
	return (
		<section class="review-context" aria-labelledby="review-context-title" data-testid="review-context">
			<h3 id="review-context-title">
				{r().kind === "conflict" ? "Merge conflict on the pull request" : "Review comment"}
			</h3>
			<p class="review-meta">
				<KindBadge kind={r().kind} />
				<Show when={r().kind !== "conflict"}>
					<span><strong>{r().reviewer ?? "a reviewer"}</strong> on <code class="wrap" data-testid="review-where">{where(r())}</code></span>
				</Show>
				<Show when={r().pull_request}>
					<span class="muted small">pull request #{r().pull_request}</span>
				</Show>
			</p>
			<Show when={props.bead.parent}>
				<p class="small">Merge request: <a href={href("towns", town.id, "beads", props.bead.parent)}>{props.bead.parent}</a></p>
			</Show>
			<Show when={r().kind === "conflict" && r().branch}>
				<p class="small">Merge the base into <code class="wrap">{r().branch}</code>.</p>
			</Show>
			<Exchange review={r()} />
		</section>
	);
}

// A merge request's review: props.bead (the merge request), props.events (its events).
export function ReviewSection(props) {
	const town = useTown();
	const subs = loader(() => get(townPath(town.id, "beads") + query({ parent: props.bead.id, limit: 200 })));
	subs.load();
	const items = () => (subs.data()?.beads ?? []).filter((b) => reviewOf(b))
		.sort((a, b) => (a.created_ms ?? 0) - (b.created_ms ?? 0));
	const ids = createMemo(() => new Set((subs.data()?.beads ?? []).map((b) => b.id)));

	// A child's change (closed, replied, resolved), a new bead (perhaps a new comment's), or the
	// merge request's own: read the children again; BeadDetail reloads the merge request itself.
	const again = debounce(() => subs.load(), 300);
	const off = town.on((f) => {
		if (f.type !== "event") return;
		if (f.subject === props.bead.id || ids().has(f.subject) || f.kind === "bead.created") {
			again();
			if (ids().has(f.subject)) props.onChildChanged?.();
		}
	});
	onCleanup(() => {
		off();
		again.cancel();
	});

	const m = () => props.bead.metadata ?? {};
	const pr = () => {
		const p = m().pull_request;
		if (!p) return null;
		if (typeof p === "string") return { url: p, number: null };
		return { url: p.url ?? p.html_url ?? null, number: p.number ?? null };
	};
	const progress = () => {
		const p = m().review_progress;
		return p && typeof p === "object" ? { total: Number(p.total) || 0, addressed: Number(p.addressed) || 0 } : null;
	};
	// One line per reviewer, their latest approval.
	const approvals = () => {
		const by = new Map();
		for (const e of props.events ?? []) if (e.kind === "review.approved") by.set(e.new ?? e.actor, e.at_ms);
		return [...by].map(([reviewer, at_ms]) => ({ reviewer, at_ms }));
	};
	const autoMerge = () => {
		const a = m().auto_merge;
		const asked = [...(props.events ?? [])].reverse().find((e) => e.kind === "bead.pr_auto_merge");
		if (!a && !asked) return null;
		const rig = (town.rigs.data() ?? []).find((x) => x.id === props.bead.rig);
		const delay = Number(rig?.settings?.auto_merge_delay_s);
		return { ...(a ?? {}), asked, at_ms: a?.since_ms && Number.isFinite(delay) ? a.since_ms + delay * 1000 : null };
	};

	return (
		<section class="review" aria-labelledby="review-title" data-testid="bead-review">
			<h3 id="review-title">Review</h3>
			<dl class="facts">
				<Show when={pr()}>
					<dt>Pull request</dt>
					<dd data-testid="review-pr">
						<Show when={pr().url} fallback={`#${pr().number}`}>
							<a href={pr().url} rel="noreferrer noopener" target="_blank">
								{pr().number ? `#${pr().number}` : pr().url}
							</a>
							<Show when={pr().number}><span class="muted small"> {pr().url}</span></Show>
						</Show>
					</dd>
				</Show>
				<dt>Comments</dt>
				<dd data-testid="review-progress">
					<Show when={progress()} fallback="none yet">
						<strong>{progress().addressed}/{progress().total} addressed</strong>
						<Show when={progress().total}>
							{" "}<progress max={progress().total} value={progress().addressed}
								aria-label={`${progress().addressed} of ${progress().total} review comments addressed`} />
						</Show>
					</Show>
				</dd>
				<dt>Approved by</dt>
				<dd data-testid="review-approvals">
					<Show when={approvals().length} fallback="no one yet">
						<ul class="plain">
							<For each={approvals()}>
								{(a) => <li><span class="good">✓</span> <strong>{a.reviewer}</strong> <time class="muted small" datetime={iso(a.at_ms)}>{clock(a.at_ms)}</time></li>}
							</For>
						</ul>
					</Show>
				</dd>
				<Show when={autoMerge()}>
					{(a) => (
						<>
							<dt>Auto-merge</dt>
							<dd data-testid="review-auto-merge">
								<Show when={!a().asked} fallback={<>merge asked for head <code title={a().asked.new}>{String(a().asked.new ?? "").slice(0, 10)}</code>, {clock(a().asked.at_ms)}</>}>
									<Show when={a().waiting_for_reviews}
										fallback={<>clean at head <code title={a().sha}>{String(a().sha ?? "").slice(0, 10)}</code> since {clock(a().since_ms)}
											<Show when={a().at_ms}>; merges from {clock(a().at_ms)} if nothing changes</Show></>}>
										waiting for open review beads (head <code title={a().sha}>{String(a().sha ?? "").slice(0, 10)}</code>)
									</Show>
								</Show>
							</dd>
						</>
					)}
				</Show>
			</dl>

			<h4 id="review-comments-title">Review comments</h4>
			<ErrorBox error={subs.error()} retry={subs.load} title="Cannot load the review comments" />
			<Show when={subs.data()} fallback={<Show when={!subs.error()}><Loading /></Show>}>
				<Show when={items().length} fallback={<p class="empty">No review comments.</p>}>
					<ol class="review-list" aria-labelledby="review-comments-title" data-testid="review-list">
						<For each={items()}>
							{(b) => {
								const r = () => reviewOf(b);
								return (
									<li class="review-item" data-testid={`review-item-${b.id}`} data-kind={r().kind}>
										<p class="review-meta">
											<KindBadge kind={r().kind} />
											<a class="review-open" href={href("towns", town.id, "beads", b.id)} data-testid="review-open">{b.title}</a>
											<StatusBadge status={b.status} testid="review-status" />
										</p>
										<Show when={r().kind !== "conflict"}>
											<p class="small">
												<strong data-testid="review-reviewer">{r().reviewer ?? "a reviewer"}</strong> on{" "}
												<code class="wrap" data-testid="review-where">{where(r())}</code>
											</p>
										</Show>
										<Exchange review={r()} />
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
