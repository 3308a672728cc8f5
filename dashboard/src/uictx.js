// uictx.js - what the member is looking at and has just done, sent to the Mayor with each chat
// message so it can answer about "this bead". A bounded ring: 15 entries, none older than 30
// minutes. Only navigation and clicks are recorded, never typed text, tokens or field values.
const MAX = 15;
const MAX_AGE_MS = 30 * 60 * 1000;
const TYPES = new Set(["bead", "agent", "convoy", "rig"]);

let actions = [];
let open = null;

function prune(now = Date.now()) {
	actions = actions.filter((a) => now - a.at_ms <= MAX_AGE_MS).slice(-MAX);
}

// record("opened bead", "bead", "gt-4f9k2"); what is a short verb phrase of our own.
export function record(what, type, id) {
	const a = { at_ms: Date.now(), what: String(what).slice(0, 80) };
	if (TYPES.has(type) && id) {
		a.type = type;
		a.id = String(id).slice(0, 64);
	}
	actions.push(a);
	prune(a.at_ms);
}

// The object open in the detail panel ({type, id}), or null.
export function setOpen(obj) {
	open = obj && TYPES.has(obj.type) && obj.id ? { type: obj.type, id: String(obj.id).slice(0, 64) } : null;
}

export function snapshot() {
	prune();
	// Within the town's limits (page 200, ids 64 characters), or the whole message is refused.
	const ui = { page: (location.hash || "#/").slice(0, 199), actions: actions.map((a) => ({ ...a })) };
	if (open) ui.open = { ...open };
	return ui;
}

// For tests and sign-out: forget everything.
export function reset() {
	actions = [];
	open = null;
}
