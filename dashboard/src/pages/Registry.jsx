// Registry.jsx - the platform's registry of formulas and agent configs, from a town
// (#/towns/:town/registry[/:name]): search by words and kind (GET /api/registry); a package opens
// in the panel with its versions newest first (deprecated ones marked with the reason), what their
// runs came to, the chosen version's steps (and what each needs) or persona, and its TOML source.
// The town's admins install a package (latest or a chosen version; the town fetches it, and the
// list polls until it is installed or failed) and remove it; members run an installed formula
// from a form made of its variables. The admins of an organization publish a TOML file as it;
// the registry's refusal ("line N: ...") shows under the file.
import { For, Show, createEffect, createSignal, on, onCleanup } from "solid-js";
import { api, errorText, get, postFile, query, townPath } from "../api.js";
import FormulaRun from "../components/FormulaRun.jsx";
import Outcomes from "../components/Outcomes.jsx";
import PackageSpec from "../components/PackageSpec.jsx";
import Panel from "../components/Panel.jsx";
import { ErrorBox, Loading } from "../components/Status.jsx";
import { useTown } from "../context.js";
import { clock, iso } from "../format.js";
import { loader } from "../load.js";
import { href, navigate, route } from "../route.js";
import { record } from "../uictx.js";

export const REGISTRY_LIMIT = 50;
const POLL_MS = 800;
const SOURCE_MAX = 64 * 1024;
const isAdmin = (role) => role === "admin" || role === "owner";
// A time in ms, 0 for none (an install not fetched yet has installed_ms null).
const msOf = (v) => Number(v) || 0;
const reg = (...parts) => `/api/registry${parts.map((p) => `/${encodeURIComponent(p)}`).join("")}`;

function KindBadge(props) {
	return <span class={`badge kind-${props.kind}`}>{props.kind === "config" ? "agent config" : props.kind}</span>;
}

// An install's state: fetching (with progress), installed, failed with the town's reason.
function InstallState(props) {
	const i = () => props.install;
	return (
		<span class="install-state" data-testid="install-state" data-state={i().state}>
			<Show when={i().state === "fetching"}>
				<progress aria-label={`Fetching ${i().name}`} /> <span>Fetching…</span>
			</Show>
			<Show when={i().state === "installed"}>
				<span class="badge install-installed">installed</span>
			</Show>
			<Show when={i().state === "failed"}>
				<span class="badge install-failed">failed</span>{" "}
				<span class="bad small" data-testid="install-error">{i().error}</span>
			</Show>
		</span>
	);
}

// The search's results: name (opening the package), kind, publisher, latest, description, runs.
function PackageItem(props) {
	const town = useTown();
	const p = () => props.pkg;
	return (
		<li class="result package" classList={{ selected: props.selected }} data-testid="registry-result" data-name={p().name}
			data-kind={p().kind}>
			<p class="result-head">
				<a class="result-link" href={href("towns", town.id, "registry", p().name)} data-testid="registry-result-link">{p().name}</a>
				<KindBadge kind={p().kind} />
				<span class="muted">by <span data-testid="registry-result-org">{p().org}</span></span>
				<span>
					<Show when={p().latest} fallback={<span class="badge deprecated">every version deprecated</span>}>
						latest <code data-testid="registry-result-latest">{p().latest}</code>
					</Show>
				</span>
				<Show when={props.installed}>
					<span class="badge install-installed">installed {props.installed.version}</span>
				</Show>
			</p>
			<Show when={p().description}><p class="snippet">{p().description}</p></Show>
			<p class="small"><Outcomes of={p().outcomes} /></p>
		</li>
	);
}

// The town's installs: state, version, who and when; admins remove one.
function Installs(props) {
	const town = useTown();
	const [asking, setAsking] = createSignal(null);
	const [busy, setBusy] = createSignal(false);
	const [err, setErr] = createSignal(null);

	async function remove(name) {
		setBusy(true);
		setErr(null);
		try {
			await api("DELETE", townPath(town.id, "installs", name));
			record("removed an install");
			setAsking(null);
			props.installs.load();
		} catch (x) {
			setErr(x);
		} finally {
			setBusy(false);
		}
	}

	return (
		<section class="card registry-installs" aria-labelledby="installs-title">
			<h2 id="installs-title">Installed in this town</h2>
			<ErrorBox error={props.installs.error()} retry={props.installs.load} title="Cannot load the town's installs" />
			<ErrorBox error={err()} title="Cannot remove it" />
			<Show when={props.installs.loaded()} fallback={<Show when={!props.installs.error()}><Loading /></Show>}>
				<Show when={(props.installs.data() ?? []).length} fallback={
					<p class="empty" data-testid="installs-empty">Nothing installed yet.{props.admin ? " Open a package to install it." : ""}</p>
				}>
					<div class="table-wrap" tabindex="0" role="region" aria-labelledby="installs-title">
						<table data-testid="installs">
							<thead>
								<tr>
									<th scope="col">Package</th>
									<th scope="col">Version</th>
									<th scope="col">State</th>
									<th scope="col">Installed by</th>
									<Show when={props.admin}><th scope="col"><span class="visually-hidden">Actions</span></th></Show>
								</tr>
							</thead>
							<tbody>
								<For each={props.installs.data()}>
									{(i) => (
										<tr data-testid="install-row" data-name={i.name} data-state={i.state}>
											<th scope="row">
												<a href={href("towns", town.id, "registry", i.name)}>{i.name}</a>
												<Show when={i.kind}>{" "}<KindBadge kind={i.kind} /></Show>
											</th>
											<td>
												<Show when={i.version} fallback={<span class="muted">{i.asked || "latest"}</span>}>
													<code>{i.version}</code>
												</Show>
												<Show when={i.org}><span class="muted small"> by {i.org}</span></Show>
											</td>
											<td class="wrap-cell"><InstallState install={i} /></td>
											<td>
												{i.installed_by}
												<Show when={msOf(i.installed_ms) || msOf(i.requested_ms)}>
													{(at) => <>{" "}<time class="muted small" datetime={iso(at())}>{clock(at())}</time></>}
												</Show>
											</td>
											<Show when={props.admin}>
												<td>
													<Show when={asking() === i.name} fallback={
														<button type="button" class="btn secondary" onClick={() => setAsking(i.name)}
															aria-label={`Remove ${i.name}…`} data-testid="install-remove">Remove…</button>
													}>
														<span class="confirm" role="group" aria-label={`Remove ${i.name}?`}>
															<button type="button" class="btn danger" disabled={busy()} onClick={() => remove(i.name)}
																data-testid="install-remove-yes">Remove {i.name}</button>
															<button type="button" class="btn secondary" onClick={() => setAsking(null)}>Cancel</button>
														</span>
													</Show>
												</td>
											</Show>
										</tr>
									)}
								</For>
							</tbody>
						</table>
					</div>
				</Show>
			</Show>
		</section>
	);
}

// Publishing: an organization the member administers, the TOML file (pasted or chosen).
function Publish(props) {
	const [org, setOrg] = createSignal(props.orgs[0]?.id ?? "");
	const [source, setSource] = createSignal("");
	const [busy, setBusy] = createSignal(false);
	const [err, setErr] = createSignal(null);
	const [done, setDone] = createSignal(null);
	let sourceEl;

	async function pick(e) {
		const f = e.currentTarget.files?.[0];
		if (!f) return;
		setSource(await f.text());
		setErr(null);
	}

	async function submit(e) {
		e.preventDefault();
		setErr(null);
		setDone(null);
		if (!source().trim()) {
			setErr({ message: "Paste or choose a TOML file first." });
			sourceEl?.focus();
			return;
		}
		setBusy(true);
		try {
			const r = await postFile(`/api/orgs/${encodeURIComponent(org())}/registry`, source(), "application/toml");
			record("published to the registry");
			setDone(r);
			props.onPublished?.(r);
		} catch (x) {
			setErr(x);
			queueMicrotask(() => sourceEl?.focus());
		} finally {
			setBusy(false);
		}
	}

	return (
		<section class="card registry-publish" aria-labelledby="publish-title">
			<h2 id="publish-title">Publish</h2>
			<p class="muted small">
				A formula (<code>formula = "name"</code>) or an agent config (<code>config = "name"</code>) with its{" "}
				<code>version</code>. A version, once published, never changes; publish a newer one instead.
			</p>
			<form class="stack" onSubmit={submit} novalidate aria-label="Publish to the registry" data-testid="publish-form">
				<label>
					<span>Organization</span>
					<select value={org()} onChange={(e) => setOrg(e.currentTarget.value)} data-testid="publish-org">
						<For each={props.orgs}>{(o) => <option value={o.id} selected={o.id === org()}>{o.name} ({o.id})</option>}</For>
					</select>
				</label>
				<div class="field" classList={{ invalid: !!err() }}>
					<label for="publish-source"><span>TOML file</span></label>
					<textarea id="publish-source" ref={sourceEl} rows="14" class="mono" spellcheck={false} value={source()}
						maxlength={SOURCE_MAX} onInput={(e) => setSource(e.currentTarget.value)}
						aria-invalid={err() ? "true" : undefined} aria-describedby={err() ? "publish-error" : undefined}
						data-testid="publish-source" />
					<Show when={err()}>
						<p id="publish-error" class="field-error" role="alert" data-testid="publish-error">
							{err().message}
							<Show when={err().reason}><span class="muted small"> ({err().reason})</span></Show>
						</p>
					</Show>
				</div>
				<label>
					<span>Or choose a file</span>
					<input type="file" accept=".toml,application/toml,text/plain" onChange={pick} data-testid="publish-file" />
				</label>
				<div class="actions">
					<button type="submit" class="btn" disabled={busy() || !org()} data-testid="publish-submit">
						{busy() ? "Publishing…" : "Publish"}
					</button>
				</div>
				<Show when={done()}>
					{(r) => (
						<p class="note" role="status" data-testid="publish-done">
							Published <a href={href("towns", props.town, "registry", r().name)}>{r().name}</a> {r().version} ({r().kind}) as {r().org}.
						</p>
					)}
				</Show>
			</form>
		</section>
	);
}

// One package in the panel: its versions, the chosen one's spec and source; install and run.
function PackageDetail(props) {
	const town = useTown();
	const pkg = loader(() => get(reg(props.name)));
	const [chosen, setChosen] = createSignal(null);
	const version = loader((v) => get(reg(props.name, v)));
	const installed = () => (props.installs.data() ?? []).find((i) => i.name === props.name);
	const install = loader(() => get(townPath(town.id, "installs", props.name)));
	const [want, setWant] = createSignal("");
	const [busy, setBusy] = createSignal(false);
	const [err, setErr] = createSignal(null);
	pkg.load();

	// The version shown: the one chosen, else the latest, else the newest (all deprecated).
	const shown = () => chosen() ?? (pkg.data() ? pkg.data().latest || pkg.data().versions?.[0]?.version : null);
	createEffect(on(shown, (v) => v && version.load(v)));
	// The town's install, read again when it settles or changes version.
	createEffect(on(() => `${installed()?.state ?? ""}@${installed()?.version ?? ""}`, (k) => {
		if (k.startsWith("installed@")) install.load();
	}));
	const runnable = () => installed()?.state === "installed" && installed()?.kind === "formula" &&
		install.data()?.name === props.name && install.data()?.spec;

	async function doInstall() {
		setBusy(true);
		setErr(null);
		try {
			await api("POST", townPath(town.id, "installs"), want() ? { name: props.name, version: want() } : { name: props.name });
			record("installed a package");
			await props.installs.load();
		} catch (x) {
			setErr(x);
		} finally {
			setBusy(false);
		}
	}

	const showVersion = (v) => {
		setChosen(v);
		record("looked at a package version");
	};

	return (
		<Panel id="package" class="panel-wide" title={props.name} label="package" testid="package-detail"
			onClose={() => navigate("towns", town.id, "registry")}
			returnFocus={() => document.querySelector(`[data-testid="registry-result"][data-name="${CSS.escape(props.name)}"] a`)}>
			<ErrorBox error={pkg.error()} retry={pkg.load} title="Cannot load the package" />
			<Show when={pkg.data()} fallback={<Show when={!pkg.error()}><Loading /></Show>}>
				{(p) => (
					<>
						<p class="bead-line">
							<KindBadge kind={p().kind} />
							<span>by <strong data-testid="package-org">{p().org}</strong></span>
							<Show when={p().latest} fallback={<span class="badge deprecated">every version deprecated</span>}>
								<span>latest <code data-testid="package-latest">{p().latest}</code></span>
							</Show>
						</p>
						<Show when={p().description}><p data-testid="package-description">{p().description}</p></Show>
						<p class="small">All versions: <Outcomes of={p().outcomes} testid="package-outcomes" /></p>

						<section class="package-install" aria-labelledby="package-town-title">
							<h3 id="package-town-title">In this town</h3>
							<Show when={installed()} fallback={<p class="muted small" data-testid="package-not-installed">Not installed.</p>}>
								{(i) => (
									<p class="bead-line" data-testid="package-install">
										<Show when={i().version}><code>{i().version}</code></Show>
										<InstallState install={i()} />
									</p>
								)}
							</Show>
							<Show when={props.admin}>
								<form class="inline-form" onSubmit={(e) => { e.preventDefault(); doInstall(); }} aria-label={`Install ${p().name}`}>
									<label>
										<span>Version</span>
										<select value={want()} onChange={(e) => setWant(e.currentTarget.value)} data-testid="install-version">
											<option value="">latest{p().latest ? ` (${p().latest})` : ""}</option>
											<For each={p().versions}>
												{(v) => <option value={v.version}>{v.version}{v.deprecated ? " (deprecated)" : ""}</option>}
											</For>
										</select>
									</label>
									<button type="submit" class="btn" disabled={busy() || installed()?.state === "fetching"} data-testid="install-submit">
										{installed() ? "Install again" : "Install"}
									</button>
								</form>
								<Show when={err()}><div class="error" role="alert" data-testid="install-submit-error">{errorText(err())}</div></Show>
							</Show>
							<Show when={runnable()}>
								<h3 id="package-run-title">Run it</h3>
								<Show when={town.canWrite()} fallback={<p class="muted small">Members of the town run formulas; you read.</p>}>
									<Show when={`${props.name}@${install.data().version}`} keyed>
										{(_key) => <FormulaRun name={props.name} version={install.data().version} spec={install.data().spec}
											onRun={() => install.load()} />}
									</Show>
								</Show>
								<Show when={install.data().runs?.length}>
									<h3 id="package-runs-title">Runs in this town</h3>
									<ul class="plain history" aria-labelledby="package-runs-title" data-testid="package-runs">
										<For each={install.data().runs}>
											{(r) => (
												<li>
													<time datetime={iso(msOf(r.started_ms))}>{clock(msOf(r.started_ms))}</time>
													<code>{r.version}</code> by {r.started_by}: convoy{" "}
													<a href={href("towns", town.id, "convoys", r.convoy)}>{r.convoy}</a>
													<Show when={r.outcome}> · {r.outcome}</Show>
												</li>
											)}
										</For>
									</ul>
								</Show>
							</Show>
							<ErrorBox error={install.error()} retry={install.load} title="Cannot load the install" />
						</section>

						<h3 id="package-versions-title">Versions</h3>
						<ol class="plain versions" aria-labelledby="package-versions-title" data-testid="package-versions">
							<For each={p().versions}>
								{(v) => (
									<li data-testid="package-version" data-version={v.version} classList={{ selected: shown() === v.version, deprecated: !!v.deprecated }}>
										<div class="version-head">
											<button type="button" class="link-btn" aria-pressed={shown() === v.version ? "true" : "false"}
												onClick={() => showVersion(v.version)} data-testid="package-version-show">
												<code>{v.version}</code>
											</button>
											<Show when={v.version === p().latest}><span class="badge latest">latest</span></Show>
											<span class="muted small">
												{v.published_by} · <time datetime={iso(msOf(v.published_ms))}>{clock(msOf(v.published_ms))}</time>
											</span>
											<Outcomes of={v.outcomes} class="small" />
										</div>
										<Show when={v.deprecated}>
											<p class="small deprecation" data-testid="package-version-deprecated">
												<span class="badge deprecated">deprecated</span> {v.deprecated}
											</p>
										</Show>
									</li>
								)}
							</For>
						</ol>

						<ErrorBox error={version.error()} retry={() => version.load(shown())} title="Cannot load this version" />
						<Show when={version.data()?.version === shown() && version.data()}>
							{(d) => (
								<section class="package-version-detail" aria-labelledby="package-shown-title" data-testid="package-shown">
									<h3 id="package-shown-title">
										{d().name} <code data-testid="package-shown-version">{d().version}</code>
									</h3>
									<p class="muted small">
										<span class="wrap">sha256 <code>{d().digest}</code></span>
									</p>
									<Show when={d().deprecated}>
										<p class="notice" data-testid="package-shown-deprecated">Deprecated: {d().deprecated}</p>
									</Show>
									<PackageSpec spec={d().spec} id="package-spec" />
									<h3 id="package-source-title">Source</h3>
									<pre class="body-text source" tabindex="0" aria-labelledby="package-source-title"
										data-testid="package-source">{d().source}</pre>
								</section>
							)}
						</Show>
					</>
				)}
			</Show>
		</Panel>
	);
}

export default function Registry() {
	const town = useTown();
	const [q, setQ] = createSignal("");
	const [kind, setKind] = createSignal("");
	const [deprecated, setDeprecated] = createSignal(false);
	const results = loader(async () => (await get(`/api/registry${query({ q: q().trim(), kind: kind(),
		deprecated: deprecated() ? 1 : "", limit: REGISTRY_LIMIT })}`)).items, []);
	const installs = loader(async () => (await get(townPath(town.id, "installs"))).items, []);
	const orgs = loader(() => get("/api/orgs"), []);
	const admin = () => isAdmin(town.role());
	const adminOrgs = () => (orgs.data() ?? []).filter((o) => isAdmin(o.role));
	const openName = () => (route().open?.type === "package" ? route().open.id : null);
	const installOf = (name) => (installs.data() ?? []).find((i) => i.name === name && i.state === "installed");
	results.load();
	installs.load();
	orgs.load();

	// While an install is being fetched, the list is read again until it settles.
	let timer = null;
	createEffect(on(installs.data, (list) => {
		clearTimeout(timer);
		if ((list ?? []).some((i) => i.state === "fetching")) timer = setTimeout(() => installs.load(), POLL_MS);
	}));
	onCleanup(() => clearTimeout(timer));

	const search = (e) => {
		e?.preventDefault();
		record("searched the registry");
		results.load();
	};
	const summary = () => {
		if (results.loading()) return "Searching…";
		if (!results.loaded()) return "";
		const n = (results.data() ?? []).length;
		if (!n) return "Nothing found.";
		return `${n === REGISTRY_LIMIT ? `The first ${n}` : n} package${n === 1 ? "" : "s"}.`;
	};

	return (
		<div class="with-panel" classList={{ "panel-open": !!openName() }}>
			<section class="page registry-page" aria-labelledby="registry-title">
				<div class="page-head">
					<h1 id="registry-title">Registry</h1>
				</div>
				<p class="lede muted">
					Formulas (a workflow's steps, poured into beads and a convoy) and agent configs (a persona) published by
					organizations. {admin() ? "As an admin of the town you install them here, pinned to a version; members run the installed formulas."
						: "The town's admins install them, pinned to a version; members run the installed formulas."}
				</p>
				<form class="search-form" role="search" aria-label="Find packages" onSubmit={search} noValidate>
					<div class="search-box">
						<label class="grow">
							<span>Search the registry</span>
							<input type="search" value={q()} maxlength="200" autocomplete="off" spellcheck={false} placeholder="release changelog"
								onInput={(e) => setQ(e.currentTarget.value)} data-testid="registry-q" />
						</label>
						<button type="submit" class="btn" data-testid="registry-submit">Search</button>
					</div>
					<div class="filters">
						<label>
							<span>Kind</span>
							<select value={kind()} onChange={(e) => { setKind(e.currentTarget.value); search(); }} data-testid="registry-kind">
								<option value="">any kind</option>
								<option value="formula">formulas</option>
								<option value="config">agent configs</option>
							</select>
						</label>
						<label class="check best">
							<input type="checkbox" checked={deprecated()} onChange={(e) => { setDeprecated(e.currentTarget.checked); search(); }}
								data-testid="registry-deprecated" />
							<span>Include deprecated</span>
						</label>
					</div>
				</form>
				<ErrorBox error={results.error()} retry={results.load} title="Cannot search the registry" />
				<p class="muted small" role="status" data-testid="registry-summary">{summary()}</p>
				<Show when={(results.data() ?? []).length}>
					<ul class="results" aria-label="Packages" data-testid="registry-results">
						<For each={results.data()}>
							{(p) => <PackageItem pkg={p} selected={openName() === p.name} installed={installOf(p.name)} />}
						</For>
					</ul>
				</Show>

				<Installs installs={installs} admin={admin()} />

				<Show when={orgs.loaded()}>
					<Show when={adminOrgs().length} fallback={
						<p class="muted small registry-publish-note" data-testid="publish-none">
							Publishing is for the admins and owners of an organization.
						</p>
					}>
						<Publish orgs={adminOrgs()} town={town.id} onPublished={() => results.load()} />
					</Show>
				</Show>
				<ErrorBox error={orgs.error()} retry={orgs.load} title="Cannot load your organizations" />
			</section>
			<Show when={openName()} keyed>
				{(name) => <PackageDetail name={name} admin={admin()} installs={installs} />}
			</Show>
		</div>
	);
}
