// Escalations.jsx - problems raised to the town's people that nobody has resolved yet, with
// acknowledge and resolve for members (viewers only read).
import { For, Show, createSignal } from "solid-js";
import { errorText, post, townPath } from "../api.js";
import { useTown } from "../context.js";
import { clock, iso } from "../format.js";
import { href } from "../route.js";
import { record } from "../uictx.js";

export default function Escalations() {
	const town = useTown();
	const [busy, setBusy] = createSignal(null);
	const [err, setErr] = createSignal(null);
	const open = () => (town.escalations.data() ?? []).filter((e) => e.state !== "resolved");

	async function act(e, verb) {
		setBusy(e.id);
		setErr(null);
		record(verb === "ack" ? "acknowledged escalation" : "resolved escalation");
		try {
			await post(townPath(town.id, "escalations", e.id, verb));
			await town.refreshEscalations();
		} catch (x) {
			setErr(x);
		} finally {
			setBusy(null);
		}
	}

	return (
		<section class="card" aria-labelledby="esc-title">
			<h2 id="esc-title">Escalations <Show when={open().length}><span class="count">{open().length}</span></Show></h2>
			<Show when={err()}><div class="error" role="alert">{errorText(err())}</div></Show>
			<Show when={town.escalations.error()}>
				<div class="error" role="alert">Cannot load escalations: {errorText(town.escalations.error())}</div>
			</Show>
			<Show when={town.escalations.loaded()} fallback={<Show when={!town.escalations.error()}><p class="loading" role="status">Loading…</p></Show>}>
				<Show when={open().length} fallback={<p class="empty" data-testid="escalations">No open escalations.</p>}>
					<ul class="escalations" data-testid="escalations">
						<For each={open()}>
							{(e) => (
								<li class={`esc esc-${e.severity}`} data-testid={`escalation-${e.id}`}>
									<div class="esc-head">
										<span class={`badge sev-${e.severity}`}>{e.severity}</span>
										<strong class="esc-title">{e.title}</strong>
									</div>
									<p class="muted small">
										raised by <strong>{e.raised_by}</strong> for <strong>{e.requested_by}</strong>
										{" · "}<time datetime={iso(e.created_ms)}>{clock(e.created_ms)}</time>
										<Show when={e.times_raised > 1}> · raised {e.times_raised}×</Show>
										<Show when={e.bead}> · <a href={href("towns", town.id, "beads", e.bead)}>{e.bead}</a></Show>
										<Show when={e.state === "acknowledged"}> · acknowledged by {e.acked_by}</Show>
									</p>
									<Show when={e.body}><p class="esc-body">{e.body}</p></Show>
									<Show when={town.canWrite()}>
										<div class="actions">
											<Show when={e.state === "open"}>
												<button type="button" class="btn" disabled={busy() === e.id} onClick={() => act(e, "ack")}
													data-testid={`ack-${e.id}`}>Acknowledge</button>
											</Show>
											<button type="button" class="btn secondary" disabled={busy() === e.id} onClick={() => act(e, "resolve")}
												data-testid={`resolve-${e.id}`}>Resolve</button>
										</div>
									</Show>
								</li>
							)}
						</For>
					</ul>
				</Show>
			</Show>
		</section>
	);
}
