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

// A first-pass rate as the town gives it, never without its sample: "82% (73–88%, n=100)", the
// interval being the 95% Wilson score interval; "no outcomes yet (n=0)" when there is none.
export function rateText(row) {
	if (!row || row.first_pass_rate === null || row.first_pass_rate === undefined || !row.n) return `no outcomes yet (n=${row?.n ?? 0})`;
	return `${percent(row.first_pass_rate)} (${Math.round(row.wilson_low * 100)}–${Math.round(row.wilson_high * 100)}%, n=${row.n})`;
}

// A duration in words people read at a glance: "45s", "2m 05s", "1h 03m".
export function duration(ms) {
	if (ms === null || ms === undefined || Number.isNaN(ms) || ms < 0) return "—";
	const s = Math.round(ms / 1000);
	if (s < 60) return `${s}s`;
	if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, "0")}s`;
	return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

// What a stats key names, for people: "-" is the rig's (model, runtime) or none (persona); a
// variant "model|persona|runtime" reads "sonnet · backend · claude".
export function statsKeyLabel(by, key) {
	const k = String(key ?? "");
	if (by === "variant") {
		const [m = "-", p = "-", r = "-"] = k.split("|");
		return `${m === "-" ? "rig's model" : m} · ${p === "-" ? "no persona" : p} · ${r === "-" ? "town's runtime" : r}`;
	}
	if (k !== "-") return k;
	return { persona: "no persona", model: "the rig's model", runtime: "the town's runtime", language: "not measured",
		kind: "unknown", agent: "unknown" }[by] ?? k;
}

// A size in bytes as people read it: "512 bytes", "4 KB", "9.8 KB", "1.2 MB".
export function bytes(n) {
	if (n === null || n === undefined || Number.isNaN(n)) return "—";
	if (n < 1024) return `${n} byte${n === 1 ? "" : "s"}`;
	const [v, unit] = n < 1024 * 1024 ? [n / 1024, "KB"] : [n / (1024 * 1024), "MB"];
	return `${v.toFixed(1).replace(/\.0$/, "")} ${unit}`;
}
