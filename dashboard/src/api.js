// api.js - calls to the town's HTTP API: the bearer token, the {"data"} / {"error"} envelope, and
// one error type whose message is the server's own.
import { signOut, token } from "./auth.js";

export class ApiError extends Error {
	constructor(status, code, message, field, reason) {
		super(message);
		this.name = "ApiError";
		this.status = status;
		this.code = code;
		this.field = field;
		this.reason = reason;
	}
}

const enc = encodeURIComponent;

// "/api/towns/demo/beads/gt-1" from ("demo", "beads", "gt-1"); every segment is escaped.
export function townPath(town, ...rest) {
	return `/api/towns/${enc(town)}${rest.map((s) => `/${enc(s)}`).join("")}`;
}

// "?a=1&b=2", leaving out empty values; "" when nothing is left.
export function query(params) {
	const q = new URLSearchParams();
	for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== "") q.set(k, String(v));
	const s = q.toString();
	return s ? `?${s}` : "";
}

export async function api(method, path, body, opts = {}) {
	const bearer = opts.token ?? token();
	const headers = { accept: "application/json" };
	if (bearer) headers.authorization = `Bearer ${bearer}`;
	const init = { method, headers, cache: "no-store" };
	// opts.type: the body is a file's text sent as it is, of that type ("application/toml").
	if (body !== undefined) {
		headers["content-type"] = opts.type ?? "application/json";
		init.body = opts.type ? String(body) : JSON.stringify(body);
	}
	let res;
	try {
		res = await fetch(path, init);
	} catch (e) {
		throw new ApiError(0, "network", `Cannot reach the server (${e.message}).`);
	}
	const text = await res.text();
	let json = null;
	try {
		json = text ? JSON.parse(text) : null;
	} catch {
		/* not JSON: reported below */
	}
	if (res.ok && json && !json.error) return json.data;
	const e = json?.error;
	const err = new ApiError(res.status, e?.code ?? `http_${res.status}`,
		e?.message ?? `The server answered ${res.status} ${res.statusText}.`, e?.field, e?.reason);
	// The stored token was refused: back to sign-in, saying why.
	if (res.status === 401 && !opts.token && bearer && bearer === token())
		signOut(`Signed out: ${err.message}${err.reason ? ` (${err.reason})` : ""}.`);
	throw err;
}

export const get = (path, opts) => api("GET", path, undefined, opts);
export const post = (path, body = {}, opts) => api("POST", path, body, opts);
export const patch = (path, body, opts) => api("PATCH", path, body, opts);
// A file's text as the body, of its own type: postFile(path, toml, "application/toml").
export const postFile = (path, text, type, opts = {}) => api("POST", path, text, { ...opts, type });

// A short line for an error, whatever threw it.
export function errorText(err) {
	if (!err) return "";
	if (err instanceof ApiError) return err.field ? `${err.message} (${err.field})` : err.message;
	return String(err.message ?? err);
}
