// format.js - money, times and names as people read them.

// Microdollars as dollars: "$47.00", "$0.0087", "$0.00".
export function money(micro) {
	if (micro === null || micro === undefined || Number.isNaN(micro)) return "—";
	const d = micro / 1e6;
	if (d !== 0 && Math.abs(d) < 0.01) return `$${d.toFixed(4)}`;
	return `$${d.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

export function percent(rate) {
	return rate === null || rate === undefined ? "—" : `${Math.round(rate * 100)}%`;
}

export function clock(ms) {
	if (!ms) return "";
	const d = new Date(ms);
	const today = new Date();
	const opts = { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false };
	if (d.toDateString() !== today.toDateString()) Object.assign(opts, { month: "short", day: "numeric" });
	return d.toLocaleString("en-GB", opts);
}

export function ago(ms, now = Date.now()) {
	if (!ms) return "";
	const s = Math.max(0, Math.round((now - ms) / 1000));
	if (s < 60) return `${s}s ago`;
	if (s < 3600) return `${Math.floor(s / 60)}m ago`;
	if (s < 86400) return `${Math.floor(s / 3600)}h ago`;
	return `${Math.floor(s / 86400)}d ago`;
}

export function iso(ms) {
	return ms ? new Date(ms).toISOString() : "";
}

export const STATUSES = ["open", "in_progress", "in_review", "blocked", "closed", "failed"];
export const BEAD_TYPES = ["task", "bug", "feature", "epic", "chore", "message", "merge-request", "escalation", "convoy"];

export function statusLabel(s) {
	return String(s ?? "").replace(/_/g, " ");
}
