// filters.js - the board's filters, kept per town while the tab lives, so leaving the board and
// coming back finds them as they were. Values stay here: the Mayor's UI context only hears that a
// filter changed, never what was typed.
import { createSignal } from "solid-js";

export const FILTER_KEYS = ["rig", "type", "assignee", "requested_by", "text"];
const stores = new Map();

export function boardFilters(town) {
	if (!stores.has(town)) {
		const [values, setValues] = createSignal(Object.fromEntries(FILTER_KEYS.map((k) => [k, ""])));
		stores.set(town, {
			values,
			set: (k, v) => setValues((old) => ({ ...old, [k]: v })),
			clear: () => setValues(Object.fromEntries(FILTER_KEYS.map((k) => [k, ""]))),
		});
	}
	return stores.get(town);
}
