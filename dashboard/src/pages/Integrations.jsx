// Integrations.jsx - the town's settings: GitHub, GitLab and Slack (#/towns/:town/settings/integrations).
// Per platform a card: connected or not, the hook URL to paste into the platform, the owner, the
// secrets as "set"/"not set" (write-only: a password field is sent only when filled, and emptied
// after), the settings, the platform logins mapped to members, and the deliveries counted.
// Admins edit; members read; anyone else sees the town's own refusal. The town enforces it all.
import { For, Show, createSignal, onCleanup } from "solid-js";
import { api, errorText, get, townPath } from "../api.js";
import SettingsTabs from "../components/SettingsTabs.jsx";
import { ErrorBox, Loading } from "../components/Status.jsx";
import { useTown } from "../context.js";
import { loader } from "../load.js";
import { record } from "../uictx.js";

// What each platform takes (docs/api.md, "Integrations and webhooks"), with words for people.
const PLATFORMS = [
	{
		id: "github", name: "GitHub",
		secrets: [["webhook_secret", "Webhook secret", "The secret you give GitHub's webhook."],
			["token", "Token", "A token with Issues (and Pull requests) read and write: the town posts with it."]],
		settings: [["api_url", "API URL", "https://api.github.com"], ["dashboard_url", "Dashboard URL", ""],
			["command", "Comment command", "/gastown"]],
	},
	{
		id: "gitlab", name: "GitLab",
		secrets: [["webhook_token", "Webhook secret token", "The secret token you give GitLab's webhook."],
			["token", "Token", "A project access token with the api scope: the town posts with it."]],
		settings: [["api_url", "API URL", "https://gitlab.com/api/v4"], ["dashboard_url", "Dashboard URL", ""],
			["command", "Comment command", "/gastown"]],
	},
	{
		id: "slack", name: "Slack",
		secrets: [["signing_secret", "Signing secret", "From the app's Basic Information."],
			["bot_token", "Bot token", "xoxb-…, with chat:write: the town answers in threads with it."]],
		settings: [["api_url", "API URL", "https://slack.com/api"], ["dashboard_url", "Dashboard URL", ""],
			["rig", "Rig", ""]],
	},
];

const isAdmin = (role) => role === "admin" || role === "owner";

// "3 created, 1 ignored" from {"created": 3, "ignored": 1}.
const outcomes = (o) => Object.entries(o ?? {}).map(([k, n]) => `${n} ${k}`).join(", ");

function HookUrl(props) {
	const [copied, setCopied] = createSignal("");
	let input;
	const url = () => `${window.location.origin}${props.path}`;
	async function copy() {
		input.select();
		try {
			await navigator.clipboard.writeText(url());
			setCopied("Copied.");
		} catch {
			setCopied("Selected: press Ctrl+C (⌘C) to copy.");
		}
	}
	return (
		<div class="hook-url">
			<label for={`${props.id}-hook`}>
				<span>Hook URL <span class="req">(paste into {props.name}'s webhook settings)</span></span>
			</label>
			<div class="inline-form">
				<input id={`${props.id}-hook`} ref={input} type="text" readonly value={url()} class="mono"
					onFocus={(e) => e.currentTarget.select()} data-testid={`integ-${props.id}-hook`} />
				<button type="button" class="btn secondary" onClick={copy}>Copy</button>
			</div>
			<p class="note small" role="status">{copied()}</p>
		</div>
	);
}

// Counted by what became of them; those verified but not yet applied (the town applies them on its
// next alarm, moments later) are shown apart.
function Deliveries(props) {
	const rows = () => Object.entries(props.counts ?? {});
	return (
		<>
			<Show when={rows().length} fallback={<p class="empty">No deliveries yet.</p>}>
				<ul class="plain deliveries" data-testid={`integ-${props.id}-deliveries`}>
					<For each={rows()}>{([event, o]) => <li><code>{event}</code>: {outcomes(o)}</li>}</For>
				</ul>
			</Show>
			<Show when={props.queued > 0}>
				<p class="muted small" data-testid={`integ-${props.id}-queued`}>{props.queued} waiting to be applied</p>
			</Show>
		</>
	);
}

// The logins ↔ members table; admins add and remove.
function Logins(props) {
	const [login, setLogin] = createSignal("");
	const [user, setUser] = createSignal("");
	const [busy, setBusy] = createSignal(false);
	const [err, setErr] = createSignal(null);
	const p = props.platform;
	const memberName = (id) => {
		const m = (props.members ?? []).find((x) => x.user_id === id);
		return m?.name ? `${m.name} (${id})` : id;
	};

	async function add(e) {
		e.preventDefault();
		setErr(null);
		if (!login().trim() || !user()) return setErr(new Error("Give the login and choose a member."));
		setBusy(true);
		try {
			props.onSaved(await api("PUT", townPath(props.town, "integrations", p.id, "logins", login().trim()), { user: user() }));
			record(`mapped a ${p.name} login`);
			setLogin("");
			setUser("");
		} catch (x) {
			setErr(x);
		} finally {
			setBusy(false);
		}
	}

	let loginInput;
	async function remove(l) {
		setErr(null);
		try {
			props.onSaved(await api("DELETE", townPath(props.town, "integrations", p.id, "logins", l)));
			record(`unmapped a ${p.name} login`);
			// The row (and the button that had the focus) is gone: the focus goes to the add form.
			queueMicrotask(() => loginInput?.focus());
		} catch (x) {
			setErr(x);
		}
	}

	return (
		<section aria-labelledby={`${p.id}-logins-title`}>
			<h3 id={`${p.id}-logins-title`}>People</h3>
			<p class="muted small">A {p.name} {p.id === "slack" ? "user id (U…)" : "login"} mapped to a member: their
				issues and commands are requested by that member. Anyone else's are requested by the owner.</p>
			<Show when={props.logins?.length} fallback={<p class="empty">No logins mapped yet.</p>}>
				<div class="table-wrap">
					<table data-testid={`integ-${p.id}-logins`}>
						<thead>
							<tr>
								<th scope="col">{p.name} login</th>
								<th scope="col">Member</th>
								<Show when={props.admin}><th scope="col"><span class="visually-hidden">Actions</span></th></Show>
							</tr>
						</thead>
						<tbody>
							<For each={props.logins}>
								{(l) => (
									<tr>
										<th scope="row"><code>{l.login}</code></th>
										<td>{memberName(l.user)}</td>
										<Show when={props.admin}>
											<td><button type="button" class="link-btn" onClick={() => remove(l.login)}
												aria-label={`Remove the mapping of ${l.login}`}>Remove</button></td>
										</Show>
									</tr>
								)}
							</For>
						</tbody>
					</table>
				</div>
			</Show>
			<Show when={props.admin}>
				<form class="inline-form" onSubmit={add} aria-label={`Map a ${p.name} login`}>
					<label>
						<span>{p.name} login</span>
						<input type="text" ref={loginInput} value={login()} onInput={(e) => setLogin(e.currentTarget.value)} maxlength="128"
							autocomplete="off" spellcheck={false} data-testid={`integ-${p.id}-login`} />
					</label>
					<label>
						<span>Member</span>
						<select value={user()} onChange={(e) => setUser(e.currentTarget.value)} data-testid={`integ-${p.id}-member`}>
							<option value="">Choose a member…</option>
							<For each={props.members ?? []}>
								{(m) => <option value={m.user_id}>{m.name ? `${m.name} (${m.user_id})` : m.user_id}, {m.role}</option>}
							</For>
						</select>
					</label>
					<button type="submit" class="btn secondary" disabled={busy()} data-testid={`integ-${p.id}-map`}>Map</button>
				</form>
			</Show>
			<Show when={err()}><div class="error" role="alert">{errorText(err())}</div></Show>
		</section>
	);
}

function PlatformCard(props) {
	const p = props.platform;
	const it = () => props.data; // null when not connected
	const [secrets, setSecrets] = createSignal({});
	const [settings, setSettings] = createSignal({});
	const [owner, setOwner] = createSignal(null);
	const [busy, setBusy] = createSignal(false);
	const [err, setErr] = createSignal(null);
	const [note, setNote] = createSignal("");
	const [confirm, setConfirm] = createSignal(false);
	const fid = (k) => `integ-${p.id}-${k.replace(/_/g, "-")}`;
	const settingValue = (k) => settings()[k] ?? it()?.settings?.[k] ?? "";
	// The town's rigs, and the one set even if it has gone since (so the field shows the truth).
	const rigChoices = () => {
		const ids = (props.rigs ?? []).map((r) => r.id);
		const set = it()?.settings?.rig;
		return set && !ids.includes(set) ? [...ids, set] : ids;
	};

	async function send(method, body, done) {
		setErr(null);
		setNote("");
		setBusy(true);
		try {
			props.onSaved(await api(method, townPath(props.town, "integrations", p.id), body));
			setNote(done);
			return true;
		} catch (x) {
			setErr(x);
			return false;
		} finally {
			setBusy(false);
		}
	}

	async function save(e) {
		e.preventDefault();
		const body = {};
		// Secrets: only the fields filled in. Settings: what changed (emptied: removed).
		const s = Object.fromEntries(Object.entries(secrets()).filter(([, v]) => v !== ""));
		if (Object.keys(s).length) body.secrets = s;
		const changed = {};
		for (const [k] of p.settings) {
			if (settings()[k] === undefined) continue;
			const v = settings()[k].trim();
			if (v === (it()?.settings?.[k] ?? "")) continue;
			changed[k] = v === "" ? null : v;
		}
		if (Object.keys(changed).length) body.settings = changed;
		if (owner() && owner() !== it()?.owner) body.owner = owner();
		const was = !!it();
		if (await send("PUT", body, was ? "Saved." : `${p.name} is connected.`)) {
			// The values go nowhere else: emptied as soon as the town has them.
			setSecrets({});
			setSettings({});
			setOwner(null);
			record(was ? `changed the ${p.name} integration` : `connected ${p.name}`);
		}
	}

	async function removeSecret(name, label) {
		if (await send("PUT", { secrets: { [name]: null } }, `${label} removed.`)) record(`removed a ${p.name} secret`);
	}

	async function disconnect() {
		if (await send("DELETE", undefined, `${p.name} is disconnected.`)) record(`disconnected ${p.name}`);
		setConfirm(false);
	}

	// The confirmation takes the focus from the button it replaces, and gives it back on Cancel.
	let yesBtn, askBtn;
	const ask = (open) => {
		setConfirm(open);
		queueMicrotask(() => (open ? yesBtn : askBtn)?.focus());
	};

	return (
		<section class="card integ-card" aria-labelledby={`${p.id}-title`} data-testid={`integ-${p.id}`}>
			<div class="integ-head">
				<h2 id={`${p.id}-title`}>{p.name}</h2>
				<span class={`badge ${it() ? "integ-on" : ""}`} data-testid={`integ-${p.id}-state`}>
					{it() ? "Connected" : "Not connected"}
				</span>
			</div>
			<Show when={it()}>
				<HookUrl id={p.id} name={p.name} path={it().hook_path} />
				<dl class="facts">
					<dt>Owner</dt><dd data-testid={`integ-${p.id}-owner`}>{it().owner}</dd>
					<dt>Deliveries</dt><dd><Deliveries id={p.id} counts={it().deliveries} queued={it().queued} /></dd>
				</dl>
			</Show>
			<Show when={!it()}>
				<p class="muted small">{props.admin
					? `Fill in the secrets and connect: the hook URL to give ${p.name} appears here then.`
					: "Not connected. An admin of the town connects it here, or with "}
				<Show when={!props.admin}><code>gt integration set {p.id}</code>.</Show></p>
			</Show>

			<Show when={props.admin} fallback={
				<Show when={it()}>
					<h3>Secrets</h3>
					<ul class="plain secrets">
						<For each={p.secrets}>
							{([k, label]) => <li>{label}: <strong data-testid={`${fid(k)}-state`}>{it().secrets?.[k] ? "set" : "not set"}</strong></li>}
						</For>
					</ul>
					<h3>Settings</h3>
					<dl class="facts">
						<For each={p.settings}>
							{([k, label, def]) => <><dt>{label}</dt><dd>{it().settings?.[k] ?? (def ? `${def} (default)` : "not set")}</dd></>}
						</For>
					</dl>
				</Show>
			}>
				<form class="stack" onSubmit={save} aria-label={`${p.name} settings`}>
					<fieldset>
						<legend>Secrets <span class="req">(write-only: the town says only whether each is set)</span></legend>
						<div class="stack">
							<For each={p.secrets}>
								{([k, label, help]) => (
									<div class="secret-row">
										<label for={fid(k)}>
											<span>{label} <span class={`badge ${it()?.secrets?.[k] ? "integ-on" : ""}`} data-testid={`${fid(k)}-state`}>
												{it()?.secrets?.[k] ? "set" : "not set"}</span></span>
										</label>
										<div class="inline-form">
											<input id={fid(k)} type="password" autocomplete="new-password" spellcheck={false}
												placeholder={it()?.secrets?.[k] ? "Leave empty to keep it" : ""} aria-describedby={`${fid(k)}-help`}
												value={secrets()[k] ?? ""} onInput={(e) => setSecrets({ ...secrets(), [k]: e.currentTarget.value })}
												data-testid={fid(k)} />
											<Show when={it()?.secrets?.[k]}>
												<button type="button" class="btn secondary" disabled={busy()} onClick={() => removeSecret(k, label)}
													aria-label={`Remove the ${label.toLowerCase()}`} data-testid={`${fid(k)}-remove`}>Remove</button>
											</Show>
										</div>
										<p id={`${fid(k)}-help`} class="muted small">{help}</p>
									</div>
								)}
							</For>
						</div>
					</fieldset>
					<fieldset>
						<legend>Settings</legend>
						<div class="row">
							<For each={p.settings}>
								{([k, label, def]) => (
									<label>
										<span>{label}</span>
										<Show when={k === "rig"} fallback={
											<input type="text" value={settingValue(k)} placeholder={def} autocomplete="off" spellcheck={false}
												onInput={(e) => setSettings({ ...settings(), [k]: e.currentTarget.value })} data-testid={fid(k)} />
										}>
											<select value={settingValue(k)} onChange={(e) => setSettings({ ...settings(), [k]: e.currentTarget.value })}
												data-testid={fid(k)}>
												<option value="">No rig</option>
												<For each={rigChoices()}>{(r) => <option value={r}>{r}</option>}</For>
											</select>
										</Show>
									</label>
								)}
							</For>
							<label>
								<span>Owner</span>
								<select value={owner() ?? it()?.owner ?? ""} onChange={(e) => setOwner(e.currentTarget.value)} data-testid={fid("owner-select")}>
									<Show when={!it()}><option value="">You</option></Show>
									<For each={(props.members ?? []).filter((m) => m.role !== "viewer")}>
										{(m) => <option value={m.user_id}>{m.name ? `${m.name} (${m.user_id})` : m.user_id}</option>}
									</For>
								</select>
							</label>
						</div>
						<p class="muted small">The owner requests the work of {p.name} users who map to no member.</p>
					</fieldset>
					<Show when={err()}><div class="error" role="alert">{errorText(err())}</div></Show>
					<p class="note" role="status" data-testid={`integ-${p.id}-note`}>{note()}</p>
					<div class="actions">
						<button type="submit" class="btn" disabled={busy()} data-testid={`integ-${p.id}-save`}>
							{it() ? "Save changes" : `Connect ${p.name}`}
						</button>
						<Show when={it()}>
							<Show when={confirm()} fallback={
								<button type="button" class="btn secondary" ref={askBtn} onClick={() => ask(true)} data-testid={`integ-${p.id}-disconnect`}>
									Disconnect…</button>
							}>
								<span class="confirm" role="group" aria-label={`Disconnect ${p.name}?`}>
									<span>Its secrets and logins are removed.</span>
									<button type="button" class="btn danger" ref={yesBtn} disabled={busy()} onClick={disconnect}
										data-testid={`integ-${p.id}-disconnect-yes`}>Disconnect {p.name}</button>
									<button type="button" class="btn secondary" onClick={() => ask(false)}>Cancel</button>
								</span>
							</Show>
						</Show>
					</div>
				</form>
			</Show>
			<Show when={it()}>
				<Logins town={props.town} platform={p} logins={it().logins} members={props.members} admin={props.admin}
					onSaved={props.onSaved} />
			</Show>
		</section>
	);
}

export default function Integrations() {
	const town = useTown();
	const integrations = loader(() => get(townPath(town.id, "integrations")));
	const members = loader(() => get(townPath(town.id, "members")), []);
	integrations.load().then((d) => d && members.load());
	// Another admin's change (or gt's) shows at once: the feed says town.integration.
	onCleanup(town.on((f) => {
		if (f.type === "event" && (f.kind ?? "").startsWith("town.integration")) integrations.load();
	}));
	const admin = () => isAdmin(town.role());

	return (
		<section class="page" aria-labelledby="settings-title">
			<h1 id="settings-title">Settings</h1>
			<SettingsTabs current="integrations" />
			<p class="lede muted">
				GitHub, GitLab and Slack bring work in: a labelled issue, a <code>/gastown</code> comment, a failed CI run,
				a slash command. {admin() ? "You can change these as an admin of the town."
					: "Admins change these; you see them as they are."}
			</p>
			<ErrorBox error={integrations.error()} retry={integrations.load} title="The town's integrations cannot be shown" />
			<Show when={integrations.data()} fallback={<Show when={!integrations.error()}><Loading /></Show>}>
				<For each={PLATFORMS}>
					{(p) => (
						<PlatformCard town={town.id} platform={p} data={integrations.data()[p.id]} admin={admin()}
							members={members.data()} rigs={town.rigs.data()} onSaved={(d) => integrations.set(d)} />
					)}
				</For>
			</Show>
		</section>
	);
}
