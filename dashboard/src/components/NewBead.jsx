// NewBead.jsx - file a bead, and optionally sling it to a rig at once.
import { For, Show, createSignal } from "solid-js";
import { errorText, post, townPath } from "../api.js";
import { useTown } from "../context.js";
import { BEAD_TYPES } from "../format.js";
import { record } from "../uictx.js";
import Panel from "./Panel.jsx";

export default function NewBead(props) {
	const town = useTown();
	const [title, setTitle] = createSignal("");
	const [body, setBody] = createSignal("");
	const [type, setType] = createSignal("task");
	const [priority, setPriority] = createSignal("2");
	const [rig, setRig] = createSignal("");
	const [labels, setLabels] = createSignal("");
	const [slingNow, setSlingNow] = createSignal(true);
	const [busy, setBusy] = createSignal(false);
	const [err, setErr] = createSignal(null);

	async function submit(e) {
		e.preventDefault();
		setErr(null);
		if (!title().trim()) {
			setErr(new Error("A title is required."));
			return;
		}
		setBusy(true);
		const fields = { title: title().trim(), type: type(), priority: Number(priority()) };
		if (body().trim()) fields.body = body();
		// Held until slung: else the reconciler may start it before our sling arrives (409), and
		// "sling it now" unticked would still start it.
		if (rig()) Object.assign(fields, { rig: rig(), held: true });
		const ls = labels().split(",").map((s) => s.trim()).filter(Boolean);
		if (ls.length) fields.labels = [...new Set(ls)];
		let bead;
		try {
			bead = await post(townPath(town.id, "beads"), fields);
			record("created a bead", "bead", bead.id);
		} catch (x) {
			setErr(x);
			setBusy(false);
			return;
		}
		if (slingNow() && rig()) {
			try {
				bead = await post(townPath(town.id, "beads", bead.id, "sling"), { rig: rig() });
				record("slung a bead", "bead", bead.id);
			} catch (x) {
				// The bead exists: open it, and say there why the sling failed.
				setBusy(false);
				props.onCreated(bead, `Created ${bead.id}, but it was not slung: ${errorText(x)}`);
				return;
			}
		}
		setBusy(false);
		props.onCreated(bead);
	}

	return (
		<Panel id="new-bead" title="New bead" label="new bead form" testid="new-bead-panel" onClose={props.onClose}>
			<form class="stack" onSubmit={submit} novalidate>
				<label>
					<span>Title <span class="req">(required)</span></span>
					<input type="text" required maxlength="200" value={title()} onInput={(e) => setTitle(e.currentTarget.value)}
						data-testid="new-bead-title" autocomplete="off" />
				</label>
				<label>
					<span>Description</span>
					<textarea rows="6" value={body()} onInput={(e) => setBody(e.currentTarget.value)} data-testid="new-bead-body" />
				</label>
				<div class="row">
					<label>
						<span>Type</span>
						<select value={type()} onChange={(e) => setType(e.currentTarget.value)} data-testid="new-bead-type">
							<For each={BEAD_TYPES.filter((t) => t !== "convoy" && t !== "escalation" && t !== "merge-request")}>
								{(t) => <option value={t}>{t}</option>}
							</For>
						</select>
					</label>
					<label>
						<span>Priority</span>
						<select value={priority()} onChange={(e) => setPriority(e.currentTarget.value)} data-testid="new-bead-priority">
							<For each={["0", "1", "2", "3", "4"]}>{(p) => <option value={p}>P{p}{p === "0" ? " (highest)" : p === "4" ? " (lowest)" : ""}</option>}</For>
						</select>
					</label>
				</div>
				<label>
					<span>Rig</span>
					<select value={rig()} onChange={(e) => setRig(e.currentTarget.value)} data-testid="new-bead-rig">
						<option value="">No rig</option>
						<For each={town.rigs.data() ?? []}>{(r) => <option value={r.id}>{r.id}</option>}</For>
					</select>
				</label>
				<label>
					<span>Labels <span class="muted">(comma-separated)</span></span>
					<input type="text" value={labels()} onInput={(e) => setLabels(e.currentTarget.value)} data-testid="new-bead-labels" autocomplete="off" />
				</label>
				<label class="check">
					<input type="checkbox" checked={slingNow()} disabled={!rig()} onChange={(e) => setSlingNow(e.currentTarget.checked)}
						data-testid="new-bead-sling" />
					<span>Sling it to the rig now{rig() ? " (else it waits until slung)" : " (choose a rig first)"}</span>
				</label>
				<Show when={err()}><div class="error" role="alert">{errorText(err())}</div></Show>
				<div class="actions">
					<button type="submit" class="btn" disabled={busy()} data-testid="new-bead-submit">
						{busy() ? "Creating…" : slingNow() && rig() ? "Create and sling" : "Create bead"}
					</button>
					<button type="button" class="btn secondary" onClick={props.onClose}>Cancel</button>
				</div>
			</form>
		</Panel>
	);
}
