// App.jsx - the shell: sign-in or the signed-in layout (header, navigation, the page, the Mayor
// chat), the open town's store, and the UI context the Mayor receives.
import { Match, Show, Switch, createEffect, createSignal, on, onCleanup, onMount } from "solid-js";
import { get } from "./api.js";
import { me, setMe, signOut, token } from "./auth.js";
import CostTicker from "./components/CostTicker.jsx";
import MayorChat from "./components/MayorChat.jsx";
import { TownContext, useTown } from "./context.js";
import AgentPage from "./pages/Agent.jsx";
import Board from "./pages/Board.jsx";
import Convoys from "./pages/Convoys.jsx";
import Fleet from "./pages/Fleet.jsx";
import Integrations from "./pages/Integrations.jsx";
import Personas from "./pages/Personas.jsx";
import Registry from "./pages/Registry.jsx";
import Search from "./pages/Search.jsx";
import SignIn from "./pages/SignIn.jsx";
import Stats from "./pages/Stats.jsx";
import TownHome from "./pages/TownHome.jsx";
import Towns from "./pages/Towns.jsx";
import Wasteland from "./pages/Wasteland.jsx";
import { href, route } from "./route.js";
import { createTown } from "./town.js";
import { record, reset, setOpen } from "./uictx.js";

const PAGE_NAMES = { towns: "towns", home: "town home", board: "bead board", convoys: "convoys",
	agent: "agent page", fleet: "fleet", personas: "personas", registry: "registry", stats: "stats", search: "search", settings: "settings", notfound: "unknown page" };
// The settings' tabs by name: "viewed Wasteland settings".
const pageName = (r) => (r.name === "settings" && r.tab === "wasteland" ? "Wasteland settings" : PAGE_NAMES[r.name] ?? r.name);

// Navigation and panels, as the Mayor's UI context sees them (uictx.js).
function trackRoute() {
	createEffect(on(route, (r, prev) => {
		if (!prev || r.name !== prev.name || r.town !== prev.town || r.id !== prev.id || (r.name === "settings" && r.tab !== prev.tab))
			record(`viewed ${pageName(r)}`);
		const o = r.open, p = prev?.open;
		if (p && (!o || o.type !== p.type || o.id !== p.id) && p.type !== "agent") record(`closed ${p.type}`, p.type, p.id);
		if (o && (!p || o.type !== p.type || o.id !== p.id)) record(`opened ${o.type}`, o.type, o.id);
		if (o && r.tab === "terminal" && prev?.tab !== "terminal") record("opened agent terminal", "agent", o.id);
		if (o && r.tab === "log" && (prev?.tab !== "log" || prev?.q?.seq !== r.q.seq)) record("opened agent log", "agent", o.id);
		setOpen(o ?? null);
	}));
}

function NotFound() {
	return (
		<section class="page">
			<h1>Not found</h1>
			<p>There is no page at <code>{route().hash}</code>. <a href="#/">Back to your towns</a>.</p>
		</section>
	);
}

function ConnState() {
	const town = useTown();
	const text = () => {
		const c = town.conn();
		if (c.state === "live") return "Live";
		if (c.state === "connecting") return "Connecting…";
		if (c.state === "reconnecting") return "Reconnecting…";
		return `Disconnected${c.detail ? `: ${c.detail}` : ""}`;
	};
	return (
		<span class={`conn conn-${town.conn().state}`} role="status" data-testid="conn-state">
			<span class="dot" aria-hidden="true" />
			<span class="conn-text">{text()}</span>
			<Show when={town.conn().state === "reconnecting"}>
				{" "}<button type="button" class="link-btn" onClick={() => town.retrySocket()}>Retry now</button>
			</Show>
		</span>
	);
}

function Shell(props) {
	const town = useTown();
	const [menuOpen, setMenuOpen] = createSignal(false);
	const r = route;
	const current = (name) => (r().name === name ? "page" : undefined);
	const closeMenu = () => setMenuOpen(false);
	let mainEl;
	let headerEl;

	// Panels and the Mayor chat sit under the header, whatever its height (it wraps on phones).
	onMount(() => {
		const ro = new ResizeObserver(() => {
			document.documentElement.style.setProperty("--header-h", `${Math.ceil(headerEl.getBoundingClientRect().height)}px`);
		});
		ro.observe(headerEl);
		onCleanup(() => ro.disconnect());
	});

	createEffect(on(() => r().hash, () => closeMenu(), { defer: true }));

	const toggleMayor = () => {
		const next = !props.mayorOpen();
		props.setMayorOpen(next);
		record(next ? "opened Mayor chat" : "closed Mayor chat");
		closeMenu();
	};

	return (
		<div class="app" classList={{ "mayor-open": !!town && props.mayorOpen() }}>
			<a class="skip" href="#main" onClick={(e) => { e.preventDefault(); mainEl?.focus(); }}>Skip to content</a>
			<header class="topbar" ref={headerEl}>
				<div class="topbar-row">
					<a class="brand" href="#/" aria-label="Gastown: your towns">
						<span class="brand-mark" aria-hidden="true">⌂</span> <span class="brand-text">Gastown</span>
					</a>
					<Show when={town}>
						<span class="town-name" title={town.id}>{town.town.data()?.name ?? town.id}</span>
						<Show when={town.role()}><span class="badge role">{town.role()}</span></Show>
					</Show>
					<span class="spacer" />
					<Show when={town}>
						<CostTicker />
						<ConnState />
					</Show>
					<button type="button" class="menu-btn" aria-expanded={menuOpen()} aria-controls="main-nav"
						onClick={() => setMenuOpen(!menuOpen())} data-testid="nav-menu">
						<span aria-hidden="true">☰</span> Menu
					</button>
				</div>
				<nav id="main-nav" aria-label="Main" classList={{ open: menuOpen() }}>
					<ul>
						<Show when={town} fallback={
							<li><a href="#/" aria-current={current("towns")} data-testid="nav-home">Towns</a></li>
						}>
							<li><a href={href("towns", town.id)} aria-current={current("home")} data-testid="nav-home">Home</a></li>
							<li><a href={href("towns", town.id, "beads")} aria-current={current("board")} data-testid="nav-board">Board</a></li>
							<li><a href={href("towns", town.id, "convoys")} aria-current={current("convoys")} data-testid="nav-convoys">Convoys</a></li>
							<li><a href={href("towns", town.id, "personas")} aria-current={current("personas")} data-testid="nav-personas">Personas</a></li>
							<li><a href={href("towns", town.id, "registry")} aria-current={current("registry")} data-testid="nav-registry">Registry</a></li>
							<li><a href={href("towns", town.id, "stats")} aria-current={current("stats")} data-testid="nav-stats">Stats</a></li>
							<li><a href={href("towns", town.id, "search")} aria-current={current("search")} data-testid="nav-search">Search</a></li>
							<li><a href={href("towns", town.id, "settings", "integrations")} aria-current={current("settings")} data-testid="nav-settings">Settings</a></li>
							<li>
								<button type="button" class="nav-btn" aria-expanded={props.mayorOpen()} aria-controls="mayor-chat"
									onClick={toggleMayor} data-testid="nav-mayor">Mayor</button>
							</li>
							<li><a href="#/" data-testid="nav-towns">All towns</a></li>
						</Show>
						<li><a href="#/fleet" aria-current={current("fleet")} data-testid="nav-fleet">Fleet</a></li>
					</ul>
					<div class="who">
						<span class="who-name" title={me()?.id}>{me()?.name || me()?.id || ""}</span>
						<button type="button" class="link-btn" onClick={() => { reset(); signOut(""); }} data-testid="sign-out">Sign out</button>
					</div>
				</nav>
			</header>
			<div class="layout">
				<main id="main" ref={mainEl} tabindex="-1">
					<Show when={!town || !town.town.error()} fallback={<TownError />}>
						<Switch fallback={<NotFound />}>
							<Match when={r().name === "towns"}><Towns /></Match>
							<Match when={r().name === "fleet"}><Fleet /></Match>
							<Match when={town && r().name === "home"}><TownHome /></Match>
							<Match when={town && r().name === "board"}><Board /></Match>
							<Match when={town && r().name === "convoys"}><Convoys /></Match>
							<Match when={town && r().name === "agent"}><AgentPage /></Match>
							<Match when={town && r().name === "personas"}><Personas /></Match>
							<Match when={town && r().name === "registry"}><Registry /></Match>
							<Match when={town && r().name === "stats"}><Stats /></Match>
							<Match when={town && r().name === "search"}><Search /></Match>
							<Match when={town && r().name === "settings" && r().tab === "wasteland"}><Wasteland /></Match>
							<Match when={town && r().name === "settings"}><Integrations /></Match>
						</Switch>
					</Show>
				</main>
				<Show when={town && props.mayorOpen()}>
					<MayorChat onClose={() => { props.setMayorOpen(false); record("closed Mayor chat"); }} />
				</Show>
			</div>
		</div>
	);
}

function TownError() {
	const town = useTown();
	return (
		<section class="page">
			<h1>Town “{town.id}”</h1>
			<div class="error" role="alert">
				<strong>This town cannot be opened:</strong> {town.town.error()?.message}
			</div>
			<p><a href="#/">Back to your towns</a></p>
		</section>
	);
}

function TownScope(props) {
	const store = createTown(props.id);
	onCleanup(() => store.dispose());
	return (
		<TownContext.Provider value={store}>
			<Shell mayorOpen={props.mayorOpen} setMayorOpen={props.setMayorOpen} />
		</TownContext.Provider>
	);
}

export default function App() {
	const [mayorOpen, setMayorOpen] = createSignal(false);
	trackRoute();

	// Who the stored token says we are (a refused token signs out, through api.js).
	createEffect(on(token, (t) => {
		if (t && !me()) get("/api/me").then(setMe).catch(() => {});
	}));
	onMount(() => {
		if (!location.hash) history.replaceState(null, "", "#/");
	});

	return (
		<Show when={token()} fallback={<SignIn />}>
			<Show when={route().town} keyed fallback={<Shell mayorOpen={mayorOpen} setMayorOpen={setMayorOpen} />}>
				{(t) => <TownScope id={t} mayorOpen={mayorOpen} setMayorOpen={setMayorOpen} />}
			</Show>
		</Show>
	);
}
