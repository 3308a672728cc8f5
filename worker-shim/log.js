// log.js - structured JSON logs, one line per event, so `wrangler tail` and log pipelines can filter.
export function log(level, msg, fields = {}) {
	const line = JSON.stringify({ ts: new Date().toISOString(), level, msg, ...fields });
	if (level === "error") console.error(line);
	else if (level === "warn") console.warn(line);
	else console.log(line);
}
