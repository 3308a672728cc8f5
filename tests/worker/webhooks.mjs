// webhooks.mjs - signed deliveries for the real worker, as GitHub, GitLab and Slack send them
// (../shared/reference/protocols.md §1-3), and every payload of @octokit/webhooks-examples.
// Each builder returns {method, headers, body} ready for fetch / Miniflare's dispatchFetch: the body
// is the exact string that was signed (a receiver must verify the raw bytes, never re-serialised JSON).
import { createHmac, randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { sign as githubSign } from "@octokit/webhooks-methods";

const require = createRequire(import.meta.url);
const text = (payload) => (typeof payload === "string" ? payload : JSON.stringify(payload));

// `sha256=<hex>` over the raw body (GitHub's X-Hub-Signature-256), by @octokit/webhooks-methods.
export const signGitHub = (secret, body) => githubSign(secret, body);

// A GitHub delivery. opts: {delivery (X-GitHub-Delivery, a fresh GUID by default; reuse it for a
// redelivery), hookId, targetType, targetId, signature (override, e.g. a forged one; null: unsigned)}.
export async function githubDelivery(secret, event, payload, opts = {}) {
	const body = text(payload);
	const headers = {
		"content-type": "application/json",
		"user-agent": "GitHub-Hookshot/fake0001",
		"x-github-event": event,
		"x-github-delivery": opts.delivery ?? randomUUID(),
		"x-github-hook-id": String(opts.hookId ?? 424242),
		"x-github-hook-installation-target-type": opts.targetType ?? "repository",
		"x-github-hook-installation-target-id": String(opts.targetId ?? payload?.repository?.id ?? 1),
	};
	const signature = opts.signature === undefined ? (secret == null ? null : await signGitHub(secret, body)) : opts.signature;
	if (signature !== null) headers["x-hub-signature-256"] = signature;
	return { method: "POST", headers, body };
}

// A GitLab delivery: X-Gitlab-Token is the plain secret token (null: none sent). event: the header's
// value ("Issue Hook", "Merge Request Hook", "Note Hook", "Pipeline Hook"). opts: {idempotencyKey
// (reuse it for a retry), eventUUID, webhookUUID, instance}.
export function gitlabDelivery(token, event, payload, opts = {}) {
	const headers = {
		"content-type": "application/json",
		"user-agent": "GitLab/18.6.0",
		"x-gitlab-event": event,
		"x-gitlab-instance": opts.instance ?? "https://gitlab.com",
		"x-gitlab-webhook-uuid": opts.webhookUUID ?? randomUUID(),
		"x-gitlab-event-uuid": opts.eventUUID ?? randomUUID(),
		"idempotency-key": opts.idempotencyKey ?? randomUUID(),
	};
	if (token != null) headers["x-gitlab-token"] = token;
	return { method: "POST", headers, body: text(payload) };
}

// `v0=<hex>` of HMAC-SHA256(signing secret, `v0:{timestamp}:{raw body}`).
export const signSlack = (secret, timestamp, body) =>
	`v0=${createHmac("sha256", secret).update(`v0:${timestamp}:${body}`).digest("hex")}`;

// A Slack request: an Events API envelope (an object → JSON) or a slash command (URLSearchParams or
// {form: true} with an object → form-encoded). opts: {timestamp (Unix seconds, default now: pass an
// old one for a stale delivery), signature (override), retryNum, retryReason, form}.
export function slackDelivery(secret, payload, opts = {}) {
	const form = opts.form || payload instanceof URLSearchParams;
	const body = form ? new URLSearchParams(payload).toString() : text(payload);
	const timestamp = String(opts.timestamp ?? Math.floor(Date.now() / 1000));
	const headers = {
		"content-type": form ? "application/x-www-form-urlencoded" : "application/json",
		"user-agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
		"x-slack-request-timestamp": timestamp,
	};
	const signature = opts.signature === undefined ? (secret == null ? null : signSlack(secret, timestamp, body)) : opts.signature;
	if (signature !== null) headers["x-slack-signature"] = signature;
	if (opts.retryNum !== undefined) {
		headers["x-slack-retry-num"] = String(opts.retryNum);
		headers["x-slack-retry-reason"] = opts.retryReason ?? "http_timeout";
	}
	return { method: "POST", headers, body };
}

let examples = null;
// Every example of @octokit/webhooks-examples (api.github.com/index.json): [{event, action, name,
// payload}], name = "event.action" plus ".2", ".3"… when an event/action has several examples.
// Each payload is a fresh copy.
export function githubExamples() {
	if (!examples) {
		const file = join(dirname(require.resolve("@octokit/webhooks-examples/package.json")), "api.github.com", "index.json");
		const seen = new Map();
		examples = JSON.parse(readFileSync(file, "utf8")).flatMap((e) => e.examples.map((payload) => {
			const key = payload.action ? `${e.name}.${payload.action}` : e.name;
			const n = (seen.get(key) ?? 0) + 1;
			seen.set(key, n);
			return { event: e.name, action: payload.action ?? null, name: n > 1 ? `${key}.${n}` : key, payload };
		}));
	}
	return examples.map((x) => ({ ...x, payload: structuredClone(x.payload) }));
}

// Deliveries the rules take are answered "queued" (202; Slack: 200) once verified and stored, and
// applied on the town's alarm. This waits for what became of one: get(path) reads a route of the
// town as a member and answers {status, data}; id is the delivery's id as the answer gave it.
export async function appliedDelivery(get, platform, id, { timeoutMs = 10_000 } = {}) {
	const end = Date.now() + timeoutMs;
	for (;;) {
		const r = await get(`/integrations/${platform}/deliveries/${encodeURIComponent(id)}`);
		if (r.status !== 200) throw new Error(`delivery ${id}: ${r.status} ${JSON.stringify(r.data ?? r.body)}`);
		if (r.data.outcome !== "queued") return r.data;
		if (Date.now() > end) throw new Error(`delivery ${id} still queued after ${timeoutMs} ms`);
		await new Promise((res) => setTimeout(res, 25));
	}
}
