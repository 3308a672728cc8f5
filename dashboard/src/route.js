// route.js - hash navigation: "#/towns/:town/beads/:bead" and friends, as one signal.
import { createSignal } from "solid-js";

// The worker answers any path with the app: "/towns/demo/beads" becomes "#/towns/demo/beads".
if (location.pathname !== "/" && !location.hash && !location.pathname.startsWith("/api/"))
	history.replaceState(null, "", `/#${location.pathname}${location.search}`);

function parse(hash) {
	const path = hash.replace(/^#/, "").split("?")[0];
	const parts = path.split("/").filter(Boolean).map((s) => {
		try {
			return decodeURIComponent(s);
		} catch {
			return s;
		}
	});
	const q = Object.fromEntries(new URLSearchParams(hash.split("?")[1] ?? ""));
	return { hash: hash || "#/", parts, q, ...match(parts) };
}

// What a path names: {name, town?, id?, tab?}; q is the hash's query ("#/towns/t/stats?by=model",
// "#/towns/t/agents/toast/log?seq=123": the agent's log at that event).
function match(p) {
	if (p.length === 0 || (p.length === 1 && p[0] === "towns")) return { name: "towns" };
	if (p[0] === "fleet" && p.length <= 2) return { name: "fleet", id: p[1] };
	if (p[0] !== "towns" || p.length > 5) return { name: "notfound" };
	const town = p[1];
	if (p.length === 2) return { name: "home", town };
	switch (p[2]) {
	case "rigs":
		return p.length <= 4 ? { name: "home", town, open: p[3] && { type: "rig", id: p[3] } } : { name: "notfound" };
	case "beads":
	case "board":
		return p.length <= 4 ? { name: "board", town, open: p[3] && { type: "bead", id: p[3] } } : { name: "notfound" };
	case "convoys":
		return p.length <= 4 ? { name: "convoys", town, open: p[3] && { type: "convoy", id: p[3] } } : { name: "notfound" };
	case "personas":
		return p.length <= 4 ? { name: "personas", town, open: p[3] && { type: "persona", id: p[3] } } : { name: "notfound" };
	case "registry":
		return p.length <= 4 ? { name: "registry", town, open: p[3] && { type: "package", id: p[3] } } : { name: "notfound" };
	case "stats":
		return p.length === 3 ? { name: "stats", town } : { name: "notfound" };
	case "search":
		return p.length === 3 ? { name: "search", town } : { name: "notfound" };
	case "settings":
		if (p.length === 3) return { name: "settings", town, tab: "integrations" };
		return p.length === 4 && (p[3] === "integrations" || p[3] === "wasteland")
			? { name: "settings", town, tab: p[3] } : { name: "notfound" };
	case "agents":
		if (p.length === 4) return { name: "agent", town, open: { type: "agent", id: p[3] }, tab: "stream" };
		if (p.length === 5 && (p[4] === "terminal" || p[4] === "stream" || p[4] === "log"))
			return { name: "agent", town, open: { type: "agent", id: p[3] }, tab: p[4] };
		return { name: "notfound" };
	default:
		return { name: "notfound" };
	}
}

const [route, setRoute] = createSignal(parse(location.hash));
window.addEventListener("hashchange", () => setRoute(parse(location.hash)));

export { route };

// "#/towns/demo/beads/gt-1" from ("towns", "demo", "beads", "gt-1").
export function href(...segments) {
	return `#/${segments.filter((s) => s !== undefined && s !== null && s !== "").map(encodeURIComponent).join("/")}`;
}

export function navigate(...segments) {
	const h = href(...segments);
	if (location.hash !== h) location.hash = h;
}
