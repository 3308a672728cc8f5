// search.js - the Search page's form, kept per town while the tab lives: following a result to an
// agent's log and coming back finds the search as it was, and runs it again. Values stay here, out
// of the address: the Mayor's UI context (which sends the address) only hears that a search ran,
// never what was typed (as filters.js does for the board).
import { createSignal } from "solid-js";

// The kinds the search knows (docs/memory.md), as the kind filter offers them: an agent's events,
// and the town's own entries (its beads' titles and bodies, its notes).
export const LOG_KINDS = ["message", "command", "tool", "result", "file", "status", "error", "output", "note", "bead"];
export const SEARCH_EMPTY = { q: "", kind: "", agent: "", path: "", best: false };
const stores = new Map();

// {values, set(key, value), ran, setRan}: ran is true once a search was submitted.
export function searchForm(town) {
	if (!stores.has(town)) {
		const [values, setValues] = createSignal({ ...SEARCH_EMPTY });
		const [ran, setRan] = createSignal(false);
		stores.set(town, { values, set: (k, v) => setValues((old) => ({ ...old, [k]: v })), ran, setRan });
	}
	return stores.get(town);
}

// The query string's parameters for GET .../search from the form's values ("" values are left out
// by api.js's query()).
export function searchParams(v, limit) {
	return { q: v.q.trim(), kind: v.kind, agent: v.agent.trim(), path: v.path.trim(), order: v.best ? "relevance" : "", limit };
}
