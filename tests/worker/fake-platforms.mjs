// fake-platforms.mjs - local GitHub, GitLab and Slack APIs for the integration tests (issue 16). Each
// fake is an http server on 127.0.0.1:0 whose `url` goes into a rig's or integration's `api_url`.
// Every request is checked against the platform's own description before it is answered:
//   GitHub: the REST OpenAPI description of @octokit/openapi (path template, method, path and query
//           parameters, the headers GitHub needs, the JSON body against the operation's requestBody
//           schema with ajv) and, for POST /graphql, the query against @octokit/graphql-schema.
//   GitLab: an explicit table of the API v4 endpoints the town uses (../shared/reference/protocols.md §5).
//   Slack:  the Web API methods chat.postMessage / chat.update and response_url posts (§3).
// What does not conform is refused the way the platform would (404/405/400/401/422, or Slack's
// {ok:false} with HTTP 200) and recorded in `violations`, so a test asserts `violations` is empty.
// A conforming request the fake cannot answer is a violation too (kind "unhandled"): a gap in the
// fake must fail a test, never pass it silently. docs/testing.md describes the rules.
import { createServer } from "node:http";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { randomBytes, verify as cryptoVerify } from "node:crypto";
import { dirname, join } from "node:path";
import Ajv from "ajv";
import { buildClientSchema, parse, validate as validateGraphQL, execute, GraphQLError } from "graphql";

// A package's folder, from its entry point (some packages do not export package.json).
const pkgDir = (name) => {
	let dir = dirname(fileURLToPath(import.meta.resolve(name)));
	while (!existsSync(join(dir, "package.json"))) dir = dirname(dir);
	return dir;
};
const clone = (x) => structuredClone(x);
const iso = (ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
const sha = () => randomBytes(20).toString("hex");

// ---------------------------------------------------------------------------------------------
// The descriptions, loaded once per process and only when a fake first needs them.

const SPEC_ID = "https://api.github.com/openapi.json";
let github = null; // {spec, routes, ajv}

// OpenAPI 3.0 `nullable: true` next to allOf/anyOf without a `type` is not something ajv accepts:
// spell it as anyOf [schema, null]. And refs point into the registered spec by its $id.
function prepare(node) {
	if (Array.isArray(node)) return node.map(prepare);
	if (!node || typeof node !== "object") return node;
	const out = {};
	for (const [k, v] of Object.entries(node))
		out[k] = k === "$ref" && typeof v === "string" && v.startsWith("#/") ? SPEC_ID + v : prepare(v);
	// (An enum of a nullable schema takes null too: GitHub sends `start_side: null`.)
	if (out.nullable === true && Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
	if (out.nullable === true && !("type" in out)) {
		delete out.nullable;
		return { anyOf: [out, { type: "null" }] };
	}
	return out;
}

export function githubSpec() {
	if (github) return github;
	const file = join(pkgDir("@octokit/openapi"), "generated", "api.github.com.json");
	const spec = JSON.parse(readFileSync(file, "utf8"));
	const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
	ajv.addSchema({ $id: SPEC_ID, components: { schemas: prepare(spec.components.schemas) } });
	const param = (p) => (p.$ref ? spec.components.parameters[p.$ref.split("/").pop()] : p);
	const routes = Object.entries(spec.paths).map(([template, item]) => {
		const names = [];
		const parts = template.split("/").slice(1);
		const ops = {};
		for (const [method, op] of Object.entries(item)) {
			if (!["get", "post", "put", "patch", "delete", "head"].includes(method)) continue;
			ops[method.toUpperCase()] = { ...op, method: method.toUpperCase(), template,
				params: [...(item.parameters ?? []), ...(op.parameters ?? [])].map(param) };
		}
		const multi = new Set(Object.values(ops).flatMap((o) => o.params).filter((p) => p["x-multi-segment"]).map((p) => p.name));
		const re = parts.map((seg) => seg.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\{(\w+)\}/g, (_, n) => {
			names.push(n);
			return multi.has(n) ? "(.+?)" : "([^/]+)";
		})).join("/");
		const literals = parts.filter((s) => !s.includes("{")).length;
		return { template, regex: new RegExp(`^/${re}$`), names, ops, literals, multi: multi.size };
	});
	// The most specific template first: more literal segments, then fewer multi-segment parameters.
	routes.sort((a, b) => b.literals - a.literals || a.multi - b.multi || a.names.length - b.names.length);
	github = { spec, routes, ajv, compiled: new Map() };
	return github;
}

// A validator for a schema of the spec (cached by the schema object) or a component by name.
function githubValidator(schema) {
	const g = githubSpec();
	if (typeof schema === "string") schema = { $ref: `#/components/schemas/${schema}` };
	let v = g.compiled.get(schema);
	if (!v) g.compiled.set(schema, (v = g.ajv.compile(prepare(schema))));
	return v;
}

// Check a value (a REST response, a webhook payload) against a schema of GitHub's description:
// `name` is a components/schemas name ("pull-request", "webhook-issues-opened"). → [] or messages.
export function githubSchemaErrors(name, value) {
	const v = githubValidator(name);
	return v(value) ? [] : v.errors.map((e) => `${e.instancePath || "/"} ${e.message}`);
}

let graphqlSchema = null;
export function githubGraphQLSchema() {
	if (!graphqlSchema) {
		const json = JSON.parse(readFileSync(join(pkgDir("@octokit/graphql-schema"), "schema.json"), "utf8"));
		graphqlSchema = buildClientSchema(json.data ?? json);
	}
	return graphqlSchema;
}

const example = (name) => clone(githubSpec().spec.components.examples[name].value);

// ---------------------------------------------------------------------------------------------
// The server every fake shares: records requests, arms failures, refuses and records violations.

function base(name, { prefix = "", t } = {}) {
	const requests = [], violations = [], failures = [], pending = new Set();
	let handle = null;
	const server = createServer((req, res) => {
		const chunks = [];
		req.on("data", (c) => chunks.push(c));
		req.on("end", async () => {
			const raw = Buffer.concat(chunks).toString("utf8");
			const url = new URL(req.url, "http://fake");
			const entry = { method: req.method, path: url.pathname, query: Object.fromEntries(url.searchParams),
				headers: req.headers, raw, body: undefined, status: null, operation: null, at: Date.now() };
			try { entry.body = raw ? JSON.parse(raw) : undefined; } catch { /* a form, or not JSON: the fake's check says */ }
			requests.push(entry);
			const ctx = {
				req, res, entry, url, raw, method: req.method, rawPath: req.url.split("?")[0], path: url.pathname,
				headers: req.headers,
				violate(kind, message, status) {
					violations.push({ method: req.method, path: url.pathname, kind, message, status });
				},
				// The failure armed for this request, if any (after the request has been checked).
				failure() {
					const i = failures.findIndex((f) => f.regex.test(url.pathname) && (!f.method || f.method === req.method));
					if (i < 0) return null;
					const f = failures[i];
					if (--f.n <= 0) failures.splice(i, 1);
					return f;
				},
				send(status, body, headers = {}) {
					entry.status = status;
					const text = typeof body === "string" ? body : JSON.stringify(body);
					res.writeHead(status, { "content-type": typeof body === "string" ? "text/plain; charset=utf-8"
						: "application/json; charset=utf-8", ...headers });
					res.end(text);
				},
				hang() { entry.status = "timeout"; pending.add(res); },
				reset() { entry.status = "reset"; req.socket.destroy(); },
			};
			try {
				await handle(ctx);
			} catch (e) {
				ctx.violate("unhandled", `the fake ${name} failed: ${e.stack ?? e}`, 500);
				if (!res.headersSent) ctx.send(500, { message: "fake error" });
			}
		});
	});
	const fake = {
		requests, violations, server,
		url: null, origin: null,
		// Fail the next n requests whose path matches: status is an HTTP status, "timeout" (never
		// answered until close) or "reset" (the connection is dropped); opts.method, opts.retryAfter
		// (seconds, sent on 429/403), opts.body, opts.headers. Slack also takes an error string.
		failNext(pathRegex, status, n = 1, opts = {}) {
			const regex = typeof pathRegex === "string" ? new RegExp(pathRegex) : pathRegex;
			failures.push({ regex, status, n, ...opts });
			return fake;
		},
		requestsTo(regex, method) {
			return requests.filter((r) => regex.test(r.path) && (!method || r.method === method));
		},
		async close() {
			for (const res of pending) res.destroy();
			server.closeAllConnections();
			await new Promise((r) => server.close(() => r()));
		},
	};
	const start = async (h) => {
		handle = h;
		await new Promise((r) => server.listen(0, "127.0.0.1", r));
		fake.origin = `http://127.0.0.1:${server.address().port}`;
		fake.url = fake.origin + prefix;
		if (t) t.after(() => fake.close());
		return fake;
	};
	return { fake, start };
}

// A failure armed with failNext, answered in the platform's error shape.
function answerFailure(ctx, f, errorBody) {
	if (f.status === "timeout") return ctx.hang();
	if (f.status === "reset") return ctx.reset();
	const headers = { ...(f.headers ?? {}) };
	if ((f.status === 429 || f.status === 403) && f.retryAfter !== undefined) headers["retry-after"] = String(f.retryAfter);
	ctx.send(f.status, f.body ?? errorBody(f.status), headers);
}

const STATUS_TEXT = { 400: "Bad Request", 401: "Requires authentication", 403: "Forbidden", 404: "Not Found",
	405: "Method Not Allowed", 409: "Conflict", 415: "Unsupported Media Type", 422: "Validation Failed",
	429: "Too Many Requests", 500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable" };

// ---------------------------------------------------------------------------------------------
// GitHub

const GH_DOCS = "https://docs.github.com/rest";
const API_VERSIONS = ["2022-11-28", "2026-03-10"];
const ghError = (status, message) => ({ message: message ?? STATUS_TEXT[status] ?? "Error", documentation_url: GH_DOCS, status: String(status) });

// A path or query value against its parameter's schema: → the value or undefined when it does not fit.
function coerceParam(schema, text) {
	const type = schema?.type;
	if (type === "integer") return /^-?\d+$/.test(text) ? Number(text) : undefined;
	if (type === "number") return text !== "" && Number.isFinite(Number(text)) ? Number(text) : undefined;
	if (type === "boolean") return text === "true" ? true : text === "false" ? false : undefined;
	if (type === "array") return text.split(",");
	return text;
}

// Check one REST request against the description. → {op, params} or a refusal already sent.
// A GitHub App's JWT (RS256 under the App's public key, iss the App id, at most 10 minutes): the
// reason it is refused, or null.
function appJwtProblem(jwt, app) {
	const [h, p, sig] = jwt.split(".");
	if (!sig) return "not a JWT";
	const header = JSON.parse(Buffer.from(h, "base64url").toString());
	if (header.alg !== "RS256") return `alg ${header.alg}, RS256 expected`;
	if (!cryptoVerify("RSA-SHA256", Buffer.from(`${h}.${p}`), app.publicKey, Buffer.from(sig, "base64url"))) return "a signature the App's key did not make";
	const claims = JSON.parse(Buffer.from(p, "base64url").toString());
	const now = Math.floor(Date.now() / 1000);
	if (String(claims.iss) !== String(app.id)) return `iss ${claims.iss}, the App is ${app.id}`;
	if (!(claims.exp > now) || claims.exp - claims.iat > 600 || claims.iat > now + 60) return "iat/exp out of GitHub's bounds";
	return null;
}

function checkGitHub(ctx, { token, app, issued }) {
	const g = githubSpec();
	const refuse = (status, kind, message) => {
		ctx.violate(kind, message, status);
		ctx.send(status, ghError(status, message));
		return null;
	};
	// Path params are split on the raw (still encoded) path, then decoded.
	const matches = g.routes.map((r) => ({ r, m: r.regex.exec(ctx.rawPath) })).filter((x) => x.m);
	if (!matches.length) return refuse(404, "path", `no path of GitHub's REST API matches ${ctx.rawPath}`);
	const hit = matches.find((x) => x.r.ops[ctx.method]);
	if (!hit) return refuse(405, "method", `${ctx.method} is not an operation of ${matches[0].r.template} (it has ${Object.keys(matches[0].r.ops).join(", ")})`);
	const op = hit.r.ops[ctx.method];
	ctx.entry.operation = op.operationId;
	const params = { path: {}, query: {} };
	const problems = [];
	hit.r.names.forEach((n, i) => { params.path[n] = decodeURIComponent(hit.m[i + 1]); });
	for (const p of op.params.filter((p) => p.in === "path" || p.in === "query")) {
		const text = p.in === "path" ? params.path[p.name] : ctx.url.searchParams.get(p.name);
		if (text === null || text === undefined) {
			if (p.required) problems.push(`the ${p.in} parameter ${p.name} is required`);
			continue;
		}
		const value = coerceParam(p.schema, text);
		const v = value === undefined ? null : githubValidator(p.schema ?? {});
		if (value === undefined || !v(value))
			problems.push(`the ${p.in} parameter ${p.name}=${JSON.stringify(text)} is not ${JSON.stringify(p.schema)}`);
		else params[p.in][p.name] = value;
	}
	const known = new Set(op.params.filter((p) => p.in === "query").map((p) => p.name));
	for (const k of ctx.url.searchParams.keys())
		if (!known.has(k)) problems.push(`the query parameter ${k} is not one of ${op.operationId} (${[...known].join(", ") || "none"})`);
	if (problems.length) return refuse(hit.r.names.some((n) => problems.some((p) => p.includes(` ${n}=`))) ? 404 : 400, "param", `${op.operationId}: ${problems.join("; ")}`);
	// The headers GitHub needs (user-agent: refused without it) and the ones the town must send.
	const h = ctx.headers;
	if (!h["user-agent"]) return refuse(403, "header", "no User-Agent header: GitHub refuses requests without one");
	const auth = h.authorization ?? "";
	if (!/^(Bearer|token) \S+$/.test(auth)) return refuse(401, "auth", `no usable Authorization header (${auth ? "malformed" : "missing"}): Bearer <token> expected`);
	const bearer = auth.split(" ")[1];
	// As a GitHub App: the App's JWT on /app/ routes, one of the installation tokens it was given elsewhere.
	const appProblem = !app ? null : ctx.rawPath.startsWith("/app/") ? appJwtProblem(bearer, app)
		: issued.some((x) => x.token === bearer) ? null : "not an installation token this fake issued";
	if ((token && !app && bearer !== token) || appProblem) {
		ctx.violate("auth", appProblem ?? "the Authorization token is not the one the fake was given", 401);
		ctx.send(401, ghError(401, "Bad credentials"));
		return null;
	}
	if (!h.accept) return refuse(400, "header", "no Accept header (application/vnd.github+json expected)");
	if (h["x-github-api-version"] && !API_VERSIONS.includes(h["x-github-api-version"]))
		return refuse(400, "header", `X-GitHub-Api-Version ${h["x-github-api-version"]} is not a supported version`);
	const media = /application\/vnd\.github(?:\.v3)?\.(diff|patch)/.exec(h.accept)?.[1] ?? null;
	if (media && !(op.description ?? "").includes(`application/vnd.github.${media}`))
		return refuse(415, "header", `${op.operationId} has no ${media} media type`);
	// The body.
	const rb = op.requestBody;
	let body;
	if (ctx.raw.length) {
		if (!rb) return refuse(400, "body", `${op.operationId} takes no request body`);
		const type = (h["content-type"] ?? "").split(";")[0].trim();
		if (type && type !== "application/json" && !rb.content?.[type])
			return refuse(415, "header", `content-type ${type} is not one of ${Object.keys(rb.content ?? {}).join(", ")}`);
		try { body = JSON.parse(ctx.raw); } catch { return refuse(400, "body", "Problems parsing JSON"); }
	} else if (rb?.required) return refuse(400, "body", `${op.operationId} needs a request body`);
	ctx.entry.body = body;
	const schema = rb?.content?.["application/json"]?.schema;
	if (body !== undefined && schema) {
		const v = githubValidator(schema);
		if (!v(body)) {
			const why = v.errors.map((e) => `${e.instancePath || "body"} ${e.message}${e.params?.missingProperty ? "" : ` ${JSON.stringify(e.params)}`}`).join("; ");
			return refuse(422, "body", `${op.operationId}: ${why}`);
		}
	}
	return { op, params, body: body ?? {}, media };
}

// The fake's GitHub: state for a PR review loop end to end. opts: {token, app ({id, publicKey}: the town
// speaks as a GitHub App: its JWT on /app/ routes, the installation tokens issued here elsewhere), login (the token's user,
// default "gastown-bot"), t (a node:test context: closed after it)}.
export async function startFakeGitHub(opts = {}) {
	const { fake, start } = base("GitHub", opts);
	githubSpec(); // both descriptions load at the first fake's start, not on a request an engine times
	githubGraphQLSchema();
	const login = opts.login ?? "gastown-bot";
	let nextId = 1000;
	const id = () => ++nextId;
	const now = () => Date.now();
	const state = { repos: new Map(), threads: new Map(), checkRuns: [], statuses: [], tokens: [] };
	const handlers = {};
	fake.state = state;
	fake.handlers = handlers;

	const web = (path) => `https://github.com/${path}`;
	const api = (path) => `${fake.origin}/${path}`;
	const nodeId = (kind, n) => `${kind}_${Buffer.from(`fake:${n}`).toString("base64url")}`;
	function user(name, type = "User") {
		const u = example("pull-request").user;
		const uid = [...name].reduce((a, c) => (a * 31 + c.charCodeAt(0)) % 1e8, 7);
		for (const k of Object.keys(u)) if (typeof u[k] === "string") u[k] = u[k].replaceAll("octocat", name);
		return Object.assign(u, { login: name, id: uid, node_id: nodeId("U", uid), type, site_admin: false });
	}
	fake.user = user;

	function repoOf(full) {
		const r = state.repos.get(full.toLowerCase());
		if (!r) throw new Error(`the fake GitHub has no repository ${full}: addRepo first`);
		return r;
	}
	function repoObject(r) {
		const o = example("pull-request").base.repo;
		for (const k of Object.keys(o)) if (typeof o[k] === "string") o[k] = o[k].replaceAll("octocat/Hello-World", r.full_name)
			.replace("https://api.github.com", fake.origin);
		return Object.assign(o, { id: r.id, node_id: nodeId("R", r.id), name: r.name, full_name: r.full_name,
			owner: user(r.owner, r.ownerType), private: r.private, visibility: r.private ? "private" : "public", default_branch: r.default_branch,
			html_url: web(r.full_name), clone_url: `${web(r.full_name)}.git` });
	}

	// Seeding. addRepo("acme/app", {default_branch, private, ownerType})
	fake.addRepo = (full, o = {}) => {
		const [owner, name] = full.split("/");
		const r = { id: id(), owner, name, full_name: full, default_branch: o.default_branch ?? "main", private: !!o.private,
			ownerType: o.ownerType ?? "Organization", next: 1, issues: new Map(), pulls: new Map(), issueComments: new Map(),
			reviewComments: new Map(), reviews: new Map(), compares: new Map() };
		state.repos.set(full.toLowerCase(), r);
		return repoObject(r);
	};

	function issueObject(r, i) {
		const o = example("issue");
		Object.assign(o, { id: i.id, node_id: nodeId("I", i.id), number: i.number, title: i.title, body: i.body,
			state: i.state, labels: i.labels.map((name, k) => ({ id: k + 1, node_id: nodeId("LA", k + 1), url: api(`repos/${r.full_name}/labels/${encodeURIComponent(name)}`),
				name, description: null, color: "ededed", default: false })),
			user: user(i.user), url: api(`repos/${r.full_name}/issues/${i.number}`), html_url: web(`${r.full_name}/issues/${i.number}`),
			repository_url: api(`repos/${r.full_name}`), comments: [...r.issueComments.values()].filter((c) => c.issue === i.number).length,
			created_at: iso(i.created), updated_at: iso(i.updated), closed_at: i.state === "closed" ? iso(i.updated) : null,
			assignee: null, assignees: [], milestone: null, locked: false, pull_request: undefined, repository: undefined,
			reactions: { url: api(`repos/${r.full_name}/issues/${i.number}/reactions`), total_count: 0, "+1": 0, "-1": 0, laugh: 0,
				hooray: 0, confused: 0, heart: 0, rocket: 0, eyes: 0 } });
		const pr = r.pulls.get(i.number);
		if (pr) o.pull_request = { url: api(`repos/${r.full_name}/pulls/${i.number}`), html_url: web(`${r.full_name}/pull/${i.number}`),
			diff_url: web(`${r.full_name}/pull/${i.number}.diff`), patch_url: web(`${r.full_name}/pull/${i.number}.patch`), merged_at: pr.merged_at ? iso(pr.merged_at) : null };
		else delete o.pull_request;
		delete o.repository;
		return o;
	}
	// addIssue("acme/app", {title, body, labels: ["gastown"], user}) → the REST issue.
	fake.addIssue = (full, o = {}) => {
		const r = repoOf(full);
		const i = { id: id(), number: r.next++, title: o.title ?? "An issue", body: o.body ?? null, labels: o.labels ?? [],
			user: o.user ?? "octocat", state: "open", created: now(), updated: now() };
		r.issues.set(i.number, i);
		return issueObject(r, i);
	};
	// The webhook payload of an issues event for an issue of the fake (labeled: opts.label).
	fake.issuePayload = (full, number, action = "opened", o = {}) => {
		const r = repoOf(full);
		const p = { action, issue: issueObject(r, r.issues.get(number)), repository: repoObject(r), sender: user(o.sender ?? r.issues.get(number).user) };
		if (o.label) p.label = issueObject(r, { ...r.issues.get(number), labels: [o.label] }).labels[0];
		return p;
	};

	function prObject(r, p) {
		const o = example("pull-request");
		const head = { label: `${r.owner}:${p.head}`, ref: p.head, sha: p.head_sha, user: user(r.owner, r.ownerType), repo: repoObject(r) };
		const baseRef = { label: `${r.owner}:${p.base}`, ref: p.base, sha: p.base_sha, user: user(r.owner, r.ownerType), repo: repoObject(r) };
		const links = (path) => ({ href: path });
		const n = p.number, full = r.full_name;
		Object.assign(o, {
			url: api(`repos/${full}/pulls/${n}`), id: p.id, node_id: nodeId("PR", p.id), number: n,
			html_url: web(`${full}/pull/${n}`), diff_url: web(`${full}/pull/${n}.diff`), patch_url: web(`${full}/pull/${n}.patch`),
			issue_url: api(`repos/${full}/issues/${n}`), commits_url: api(`repos/${full}/pulls/${n}/commits`),
			review_comments_url: api(`repos/${full}/pulls/${n}/comments`), review_comment_url: api(`repos/${full}/pulls/comments{/number}`),
			comments_url: api(`repos/${full}/issues/${n}/comments`), statuses_url: api(`repos/${full}/statuses/${p.head_sha}`),
			state: p.state, locked: false, title: p.title, body: p.body, user: user(p.user), labels: [], milestone: null,
			draft: p.draft, created_at: iso(p.created), updated_at: iso(p.updated), closed_at: p.closed_at ? iso(p.closed_at) : null,
			merged_at: p.merged_at ? iso(p.merged_at) : null, merge_commit_sha: p.merge_commit_sha, assignee: null, assignees: [],
			requested_reviewers: [], requested_teams: [], head, base: baseRef, author_association: "MEMBER", auto_merge: null,
			active_lock_reason: null, merged: !!p.merged_at, mergeable: p.mergeable, rebaseable: p.mergeable,
			mergeable_state: p.mergeable_state, merged_by: p.merged_by ? user(p.merged_by) : null,
			comments: [...r.issueComments.values()].filter((c) => c.issue === n).length,
			review_comments: [...r.reviewComments.values()].filter((c) => c.pull === n).length,
			maintainer_can_modify: p.maintainer_can_modify, commits: 1,
			additions: p.files.reduce((a, f) => a + (f.additions ?? 0), 0), deletions: p.files.reduce((a, f) => a + (f.deletions ?? 0), 0),
			changed_files: p.files.length,
			_links: { self: links(api(`repos/${full}/pulls/${n}`)), html: links(web(`${full}/pull/${n}`)), issue: links(api(`repos/${full}/issues/${n}`)),
				comments: links(api(`repos/${full}/issues/${n}/comments`)), review_comments: links(api(`repos/${full}/pulls/${n}/comments`)),
				review_comment: links(api(`repos/${full}/pulls/comments{/number}`)), commits: links(api(`repos/${full}/pulls/${n}/commits`)),
				statuses: links(api(`repos/${full}/statuses/${p.head_sha}`)) },
		});
		return o;
	}
	function newPull(r, o) {
		const p = { id: id(), number: r.next++, title: o.title ?? "A pull request", body: o.body ?? null, head: o.head, base: o.base ?? r.default_branch,
			head_sha: o.head_sha ?? sha(), base_sha: o.base_sha ?? sha(), user: o.user ?? login, state: "open", draft: !!o.draft,
			mergeable: o.mergeable === undefined ? true : o.mergeable, mergeable_state: o.mergeable_state ?? "clean",
			merged_at: null, merge_commit_sha: null, merged_by: null, closed_at: null, maintainer_can_modify: !!o.maintainer_can_modify,
			files: o.files ?? [], created: now(), updated: now() };
		r.pulls.set(p.number, p);
		r.issues.set(p.number, { id: p.id, number: p.number, title: p.title, body: p.body, labels: [], user: p.user, state: "open", created: p.created, updated: p.updated, pull: true });
		setCompare(r, `${p.base}...${p.head}`, p.files);
		return p;
	}
	// addPullRequest("acme/app", {head, base, title, body, user, files: [{filename, patch, status}], mergeable, mergeable_state, draft})
	fake.addPullRequest = (full, o = {}) => prObject(repoOf(full), newPull(repoOf(full), { user: "octocat", head: "feature", ...o }));
	fake.pullRequest = (full, number) => prObject(repoOf(full), repoOf(full).pulls.get(number));
	// Change a PR as GitHub would after events the fake does not see (a push, CI, a human merge).
	fake.updatePullRequest = (full, number, changes) => {
		const p = repoOf(full).pulls.get(number);
		Object.assign(p, changes, { updated: now() });
		return prObject(repoOf(full), p);
	};
	// A human merges on GitHub: → the pull_request.closed webhook payload (merged: true).
	fake.mergePullRequest = (full, number, by = "octocat") => {
		const r = repoOf(full), p = r.pulls.get(number);
		merge(r, p, by);
		return { action: "closed", number, pull_request: prObject(r, p), repository: repoObject(r), sender: user(by) };
	};
	fake.pullRequestPayload = (full, number, action = "opened", sender) => {
		const r = repoOf(full), p = r.pulls.get(number);
		return { action, number, pull_request: prObject(r, p), repository: repoObject(r), sender: user(sender ?? p.user) };
	};
	function merge(r, p, by) {
		p.state = "closed"; p.merged_at = now(); p.closed_at = p.merged_at; p.merge_commit_sha = sha(); p.merged_by = by; p.updated = now();
		r.issues.get(p.number).state = "closed";
	}

	// Compare: files [{filename, status, patch, additions, deletions, previous_filename}].
	function lineCounts(patch = "") {
		const lines = patch.split("\n");
		return { additions: lines.filter((l) => l.startsWith("+") && !l.startsWith("+++")).length,
			deletions: lines.filter((l) => l.startsWith("-") && !l.startsWith("---")).length };
	}
	function setCompare(r, basehead, files) {
		const norm = files.map((f) => ({ status: "modified", ...lineCounts(f.patch), ...f }));
		r.compares.set(basehead, { files: norm, ahead_by: 1, behind_by: 0, base_sha: sha() });
		return norm;
	}
	fake.setCompare = (full, basehead, files) => setCompare(repoOf(full), basehead, files);
	const unified = (files) => files.map((f) => {
		const a = f.previous_filename ?? f.filename, b = f.filename;
		const from = f.status === "added" ? "/dev/null" : `a/${a}`, to = f.status === "removed" ? "/dev/null" : `b/${b}`;
		const mode = f.status === "added" ? "new file mode 100644\n" : f.status === "removed" ? "deleted file mode 100644\n" : "";
		const body = f.patch ? `--- ${from}\n+++ ${to}\n${f.patch.endsWith("\n") ? f.patch : f.patch + "\n"}` : `Binary files ${from} and ${to} differ\n`;
		return `diff --git a/${a} b/${b}\n${mode}index ${sha().slice(0, 7)}..${sha().slice(0, 7)} 100644\n${body}`;
	}).join("");
	fake.unifiedDiff = unified;

	// Review comments: a top-level one opens a thread (GraphQL PullRequestReviewThread).
	function reviewCommentObject(r, c) {
		const o = example("pull-request-review-comment");
		const p = r.pulls.get(c.pull);
		Object.assign(o, { url: api(`repos/${r.full_name}/pulls/comments/${c.id}`), id: c.id, node_id: c.node_id,
			pull_request_review_id: c.review, diff_hunk: c.diff_hunk, path: c.path, position: c.line, original_position: c.line,
			commit_id: p.head_sha, original_commit_id: p.head_sha, user: user(c.user), body: c.body,
			created_at: iso(c.created), updated_at: iso(c.updated), html_url: web(`${r.full_name}/pull/${c.pull}#discussion_r${c.id}`),
			pull_request_url: api(`repos/${r.full_name}/pulls/${c.pull}`), author_association: c.user === login ? "NONE" : "MEMBER",
			_links: { self: { href: api(`repos/${r.full_name}/pulls/comments/${c.id}`) }, html: { href: web(`${r.full_name}/pull/${c.pull}#discussion_r${c.id}`) },
				pull_request: { href: api(`repos/${r.full_name}/pulls/${c.pull}`) } },
			start_line: c.start_line ?? null, original_start_line: c.start_line ?? null, start_side: c.start_line ? c.side : null,
			line: c.line, original_line: c.line, side: c.side, subject_type: "line" });
		if (c.in_reply_to) o.in_reply_to_id = c.in_reply_to; else delete o.in_reply_to_id;
		o.reactions = { url: api(`repos/${r.full_name}/pulls/comments/${c.id}/reactions`), total_count: 0, "+1": 0, "-1": 0, laugh: 0,
			hooray: 0, confused: 0, heart: 0, rocket: 0, eyes: 0 };
		delete o.body_html; delete o.body_text;
		return o;
	}
	function newReviewComment(r, number, o) {
		const p = r.pulls.get(number);
		if (!p) throw new Error(`no pull request #${number} in ${r.full_name}`);
		const c = { id: id(), node_id: null, pull: number, review: o.review ?? id(), path: o.path ?? "README.md", line: o.line ?? 1,
			start_line: o.start_line, side: o.side ?? "RIGHT", body: o.body ?? "Please fix this.", user: o.user ?? "octocat",
			diff_hunk: o.diff_hunk ?? "@@ -1,3 +1,4 @@\n line", in_reply_to: o.in_reply_to ?? null, created: now(), updated: now() };
		c.node_id = nodeId("PRRC", c.id);
		r.reviewComments.set(c.id, c);
		if (c.in_reply_to) {
			const top = r.reviewComments.get(c.in_reply_to);
			state.threads.get(top.thread).comments.push(c.id);
			c.thread = top.thread;
		} else {
			const tid = nodeId("PRRT", c.id);
			state.threads.set(tid, { id: tid, repo: r.full_name, pull: number, comments: [c.id], isResolved: false, resolvedBy: null });
			c.thread = tid;
		}
		return c;
	}
	// addReviewComment("acme/app", 7, {body, path, line, user, in_reply_to}) → the
	// pull_request_review_comment.created webhook payload; payload.thread_id is the GraphQL thread id.
	fake.addReviewComment = (full, number, o = {}) => {
		const r = repoOf(full), c = newReviewComment(r, number, o);
		return { action: "created", comment: reviewCommentObject(r, c), pull_request: prObject(r, r.pulls.get(number)),
			repository: repoObject(r), sender: user(c.user), thread_id: c.thread };
	};
	fake.thread = (threadId) => state.threads.get(threadId);
	fake.threadOf = (full, commentId) => state.threads.get(repoOf(full).reviewComments.get(commentId)?.thread);
	fake.reviewComments = (full, number) => [...repoOf(full).reviewComments.values()].filter((c) => c.pull === number).map((c) => reviewCommentObject(repoOf(full), c));

	function reviewObject(r, v) {
		const o = example("pull-request-review");
		const p = r.pulls.get(v.pull);
		Object.assign(o, { id: v.id, node_id: nodeId("PRR", v.id), user: user(v.user), body: v.body, state: v.state,
			html_url: web(`${r.full_name}/pull/${v.pull}#pullrequestreview-${v.id}`), pull_request_url: api(`repos/${r.full_name}/pulls/${v.pull}`),
			_links: { html: { href: web(`${r.full_name}/pull/${v.pull}#pullrequestreview-${v.id}`) }, pull_request: { href: api(`repos/${r.full_name}/pulls/${v.pull}`) } },
			submitted_at: iso(v.created), commit_id: p.head_sha, author_association: "MEMBER" });
		return o;
	}
	// addReview("acme/app", 7, {state: "APPROVED"|"CHANGES_REQUESTED"|"COMMENTED", body, user, comments: [{path,line,body}]})
	// → the pull_request_review.submitted payload (the webhook spells the state lowercase).
	fake.addReview = (full, number, o = {}) => {
		const r = repoOf(full);
		const v = { id: id(), pull: number, user: o.user ?? "octocat", body: o.body ?? "", state: o.state ?? "COMMENTED", created: now() };
		r.reviews.set(v.id, v);
		for (const c of o.comments ?? []) newReviewComment(r, number, { ...c, user: v.user, review: v.id });
		const review = reviewObject(r, v);
		review.state = review.state.toLowerCase();
		return { action: "submitted", review, pull_request: prObject(r, r.pulls.get(number)), repository: repoObject(r), sender: user(v.user) };
	};

	function checkRunObject(c) {
		const o = example("check-run");
		Object.assign(o, { id: c.id, node_id: nodeId("CR", c.id), head_sha: c.head_sha, name: c.name, status: c.status, conclusion: c.conclusion,
			html_url: web(`${c.repo}/runs/${c.id}`), details_url: web(`${c.repo}/runs/${c.id}`), url: api(`repos/${c.repo}/check-runs/${c.id}`),
			started_at: iso(c.created), completed_at: c.status === "completed" ? iso(c.created) : null,
			pull_requests: c.pulls.map((n) => { const p = repoOf(c.repo).pulls.get(n);
				return { id: p.id, number: n, url: api(`repos/${c.repo}/pulls/${n}`), head: { ref: p.head, sha: p.head_sha, repo: { id: repoOf(c.repo).id, url: api(`repos/${c.repo}`), name: repoOf(c.repo).name } },
					base: { ref: p.base, sha: p.base_sha, repo: { id: repoOf(c.repo).id, url: api(`repos/${c.repo}`), name: repoOf(c.repo).name } } }; }) });
		return o;
	}
	// addCheckRun("acme/app", {head_sha | pull, name, status, conclusion}) → the check_run webhook payload.
	fake.addCheckRun = (full, o = {}) => {
		const r = repoOf(full);
		const pull = o.pull ? r.pulls.get(o.pull) : null;
		const c = { id: id(), repo: r.full_name, head_sha: o.head_sha ?? pull?.head_sha ?? sha(), name: o.name ?? "ci",
			status: o.status ?? "completed", conclusion: o.status && o.status !== "completed" ? null : (o.conclusion ?? "success"),
			pulls: pull ? [pull.number] : [], created: now() };
		state.checkRuns.push(c);
		return { action: c.status === "completed" ? "completed" : "created", check_run: checkRunObject(c), repository: repoObject(r), sender: user("github-actions[bot]", "Bot") };
	};
	// addStatus("acme/app", sha, {context, state: "success"|"failure"|"pending"|"error"})
	fake.addStatus = (full, ref, o = {}) => state.statuses.push({ repo: repoOf(full).full_name, sha: ref, context: o.context ?? "ci", state: o.state ?? "success", created: now() });

	// ---- the REST operations, by operationId.
	const R = (ctx, p) => {
		const r = state.repos.get(`${p.path.owner}/${p.path.repo}`.toLowerCase());
		if (!r) ctx.send(404, ghError(404, "Not Found"));
		return r;
	};
	const pullOf = (ctx, r, n) => {
		const p = r.pulls.get(n);
		if (!p) ctx.send(404, ghError(404, "Not Found"));
		return p;
	};
	const page = (list, q) => {
		const per = q.per_page ?? 30, at = (q.page ?? 1) - 1;
		return list.slice(at * per, at * per + per);
	};
	function issueComment(r, c) {
		const o = example("issue-comment");
		Object.assign(o, { id: c.id, node_id: nodeId("IC", c.id), url: api(`repos/${r.full_name}/issues/comments/${c.id}`),
			html_url: web(`${r.full_name}/issues/${c.issue}#issuecomment-${c.id}`), body: c.body, user: user(c.user),
			created_at: iso(c.created), updated_at: iso(c.updated), issue_url: api(`repos/${r.full_name}/issues/${c.issue}`),
			author_association: c.user === login ? "NONE" : "MEMBER" });
		delete o.reactions; delete o.performed_via_github_app;
		return o;
	}
	fake.issueComments = (full, number) => [...repoOf(full).issueComments.values()].filter((c) => c.issue === number).map((c) => issueComment(repoOf(full), c));
	// addIssueComment("acme/app", 3, {body, user}) → the issue_comment.created payload.
	fake.addIssueComment = (full, number, o = {}) => {
		const r = repoOf(full);
		const c = { id: id(), issue: number, body: o.body ?? "/gastown please", user: o.user ?? "octocat", created: now(), updated: now() };
		r.issueComments.set(c.id, c);
		return { action: "created", issue: issueObject(r, r.issues.get(number)), comment: issueComment(r, c), repository: repoObject(r), sender: user(c.user) };
	};

	Object.assign(handlers, {
		"issues/create-comment"(ctx, p, body) {
			const r = R(ctx, p); if (!r) return;
			if (!r.issues.has(p.path.issue_number)) return ctx.send(404, ghError(404));
			const c = { id: id(), issue: p.path.issue_number, body: body.body, user: login, created: now(), updated: now() };
			r.issueComments.set(c.id, c);
			ctx.send(201, issueComment(r, c), { location: api(`repos/${r.full_name}/issues/comments/${c.id}`) });
		},
		"issues/update-comment"(ctx, p, body) {
			const r = R(ctx, p); if (!r) return;
			const c = r.issueComments.get(p.path.comment_id);
			if (!c) return ctx.send(404, ghError(404));
			if (c.user !== login) return ctx.send(403, ghError(403, "You cannot edit a comment written by someone else"));
			Object.assign(c, { body: body.body, updated: now() });
			ctx.send(200, issueComment(r, c));
		},
		"issues/list-comments"(ctx, p) {
			const r = R(ctx, p); if (!r) return;
			if (!r.issues.has(p.path.issue_number)) return ctx.send(404, ghError(404));
			ctx.send(200, page([...r.issueComments.values()].filter((c) => c.issue === p.path.issue_number).map((c) => issueComment(r, c)), p.query));
		},
		"issues/get"(ctx, p) {
			const r = R(ctx, p); if (!r) return;
			const i = r.issues.get(p.path.issue_number);
			if (!i) return ctx.send(404, ghError(404));
			ctx.send(200, issueObject(r, i));
		},
		"pulls/create"(ctx, p, body) {
			const r = R(ctx, p); if (!r) return;
			const head = body.head.includes(":") ? body.head.split(":")[1] : body.head;
			const invalid = (field, code, message) => ctx.send(422, { message: "Validation Failed", errors: [{ resource: "PullRequest", field, code, message }], documentation_url: GH_DOCS, status: "422" });
			if (!body.title && !body.issue) return invalid("title", "missing_field");
			if (head === body.base) return invalid("base", "invalid", `No commits between ${body.base} and ${head}`);
			if ([...r.pulls.values()].some((x) => x.state === "open" && x.head === head && x.base === body.base))
				return invalid(undefined, "custom", `A pull request already exists for ${r.owner}:${head}.`);
			const pr = newPull(r, { title: body.title, body: body.body ?? null, head, base: body.base, draft: body.draft, user: login,
				maintainer_can_modify: body.maintainer_can_modify, files: r.compares.get(`${body.base}...${head}`)?.files });
			ctx.send(201, prObject(r, pr), { location: api(`repos/${r.full_name}/pulls/${pr.number}`) });
		},
		"pulls/list"(ctx, p) {
			const r = R(ctx, p); if (!r) return;
			const q = p.query, st = q.state ?? "open";
			const list = [...r.pulls.values()].filter((x) => (st === "all" || x.state === st) && (!q.base || x.base === q.base)
				&& (!q.head || `${r.owner}:${x.head}` === q.head)).map((x) => {
				const o = prObject(r, x);
				for (const k of ["merged", "mergeable", "rebaseable", "mergeable_state", "merged_by", "comments", "review_comments",
					"maintainer_can_modify", "commits", "additions", "deletions", "changed_files"]) delete o[k];
				return o;
			});
			ctx.send(200, page(list, q));
		},
		"pulls/get"(ctx, p, _b, media) {
			const r = R(ctx, p); if (!r) return;
			const pr = pullOf(ctx, r, p.path.pull_number); if (!pr) return;
			if (media) return ctx.send(200, unified(pr.files), { "content-type": `application/vnd.github.${media}; charset=utf-8` });
			ctx.send(200, prObject(r, pr));
		},
		"pulls/merge"(ctx, p, body) {
			const r = R(ctx, p); if (!r) return;
			const pr = pullOf(ctx, r, p.path.pull_number); if (!pr) return;
			if (pr.state !== "open" || pr.draft || pr.mergeable === false || ["dirty", "blocked", "behind"].includes(pr.mergeable_state))
				return ctx.send(405, { message: "Pull Request is not mergeable", documentation_url: GH_DOCS, status: "405" });
			if (body.sha && body.sha !== pr.head_sha)
				return ctx.send(409, { message: "Head branch was modified. Review and try the merge again.", documentation_url: GH_DOCS, status: "409" });
			merge(r, pr, login);
			pr.merge_method = body.merge_method ?? "merge";
			ctx.send(200, { sha: pr.merge_commit_sha, merged: true, message: "Pull Request successfully merged" });
		},
		"pulls/list-review-comments"(ctx, p) {
			const r = R(ctx, p); if (!r) return;
			if (!pullOf(ctx, r, p.path.pull_number)) return;
			let list = [...r.reviewComments.values()].filter((c) => c.pull === p.path.pull_number);
			if (p.query.since) list = list.filter((c) => c.updated >= Date.parse(p.query.since));
			if (p.query.direction === "desc") list.reverse();
			ctx.send(200, page(list.map((c) => reviewCommentObject(r, c)), p.query));
		},
		"pulls/create-reply-for-review-comment"(ctx, p, body) {
			const r = R(ctx, p); if (!r) return;
			if (!pullOf(ctx, r, p.path.pull_number)) return;
			const top = r.reviewComments.get(p.path.comment_id);
			if (!top || top.pull !== p.path.pull_number) return ctx.send(404, ghError(404));
			if (top.in_reply_to) {
				ctx.violate("semantics", `comment ${top.id} is a reply: replies must name the thread's top-level comment (${top.in_reply_to})`, 422);
				return ctx.send(422, ghError(422, "Replies to replies are not supported"));
			}
			const c = newReviewComment(r, top.pull, { body: body.body, user: login, path: top.path, line: top.line, side: top.side,
				diff_hunk: top.diff_hunk, in_reply_to: top.id });
			ctx.send(201, reviewCommentObject(r, c), { location: api(`repos/${r.full_name}/pulls/comments/${c.id}`) });
		},
		"pulls/list-reviews"(ctx, p) {
			const r = R(ctx, p); if (!r) return;
			if (!pullOf(ctx, r, p.path.pull_number)) return;
			ctx.send(200, page([...r.reviews.values()].filter((v) => v.pull === p.path.pull_number).map((v) => reviewObject(r, v)), p.query));
		},
		"repos/compare-commits-with-basehead"(ctx, p, _b, media) {
			const r = R(ctx, p); if (!r) return;
			const key = p.path.basehead;
			if (!/^[^.]+(?:\.[^.]+)*\.\.\.[^.]+/.test(key) || !key.includes("...")) return ctx.send(404, ghError(404));
			const cmp = r.compares.get(key);
			if (!cmp) return ctx.send(404, ghError(404, `No common ancestor between ${key.replace("...", " and ")}.`));
			if (media) return ctx.send(200, unified(cmp.files), { "content-type": `application/vnd.github.${media}; charset=utf-8` });
			const o = example("commit-comparison");
			const files = cmp.files.map((f) => ({ sha: sha(), filename: f.filename, status: f.status, additions: f.additions, deletions: f.deletions,
				changes: f.additions + f.deletions, blob_url: web(`${r.full_name}/blob/HEAD/${f.filename}`), raw_url: web(`${r.full_name}/raw/HEAD/${f.filename}`),
				contents_url: api(`repos/${r.full_name}/contents/${f.filename}`), ...(f.patch ? { patch: f.patch } : {}),
				...(f.previous_filename ? { previous_filename: f.previous_filename } : {}) }));
			Object.assign(o, { url: api(`repos/${r.full_name}/compare/${key}`), html_url: web(`${r.full_name}/compare/${key}`),
				permalink_url: web(`${r.full_name}/compare/${key}`), diff_url: web(`${r.full_name}/compare/${key}.diff`),
				patch_url: web(`${r.full_name}/compare/${key}.patch`), status: cmp.files.length ? "ahead" : "identical",
				ahead_by: cmp.files.length ? cmp.ahead_by : 0, behind_by: cmp.behind_by, total_commits: cmp.files.length ? cmp.ahead_by : 0,
				commits: cmp.files.length ? o.commits.slice(0, 1) : [], files });
			ctx.send(200, o);
		},
		"checks/list-for-ref"(ctx, p) {
			const r = R(ctx, p); if (!r) return;
			const ref = p.path.ref;
			const shas = new Set([ref, ...[...r.pulls.values()].filter((x) => x.head === ref).map((x) => x.head_sha)]);
			let runs = state.checkRuns.filter((c) => c.repo === r.full_name && shas.has(c.head_sha));
			if (p.query.check_name) runs = runs.filter((c) => c.name === p.query.check_name);
			if (p.query.status) runs = runs.filter((c) => c.status === p.query.status);
			if ((p.query.filter ?? "latest") === "latest") runs = runs.filter((c, i) => !runs.slice(i + 1).some((d) => d.name === c.name));
			ctx.send(200, { total_count: runs.length, check_runs: page(runs.map(checkRunObject), p.query) });
		},
		"repos/get-combined-status-for-ref"(ctx, p) {
			const r = R(ctx, p); if (!r) return;
			const pr = [...r.pulls.values()].find((x) => x.head === p.path.ref);
			const at = pr?.head_sha ?? p.path.ref;
			const all = state.statuses.filter((s) => s.repo === r.full_name && s.sha === at);
			const latest = all.filter((s, i) => !all.slice(i + 1).some((x) => x.context === s.context));
			const st = latest.some((s) => s.state === "error" || s.state === "failure") ? "failure"
				: !latest.length || latest.some((s) => s.state === "pending") ? "pending" : "success";
			const o = example("combined-commit-status");
			Object.assign(o, { state: st, sha: at, total_count: latest.length, repository: o.repository,
				statuses: latest.map((s, i) => ({ ...o.statuses[0], id: i + 1, context: s.context, state: s.state, description: null, target_url: null })) });
			ctx.send(200, o);
		},
		"apps/create-installation-access-token"(ctx, p) {
			const tok = `ghs_${randomBytes(18).toString("hex")}`;
			state.tokens.push({ installation: p.path.installation_id, token: tok });
			ctx.send(201, { token: tok, expires_at: iso(now() + 3600_000), permissions: { pull_requests: "write", issues: "write", contents: "write" },
				repository_selection: "selected" });
		},
	});

	// ---- GraphQL: the query against GitHub's schema, answered from the state.
	const gqlActor = (name) => name ? { __typename: name.endsWith("[bot]") ? "Bot" : "User", login: name, url: web(name), avatarUrl: `https://avatars.githubusercontent.com/${name}`, resourcePath: `/${name}` } : null;
	function connection(list, args, what) {
		const { first, last, after, before } = args ?? {};
		if (first == null && last == null)
			throw Object.assign(new GraphQLError(`You must provide a \`first\` or \`last\` value to properly paginate the \`${what}\` connection.`), { violation: true });
		for (const [k, v] of [["first", first], ["last", last]])
			if (v != null && (v < 0 || v > 100))
				throw Object.assign(new GraphQLError(`Requesting ${v} records on the \`${what}\` connection exceeds the \`${k}\` limit of 100 records.`), { violation: true });
		let start = after ? Number(Buffer.from(after, "base64").toString().split(":")[1]) + 1 : 0;
		let end = before ? Number(Buffer.from(before, "base64").toString().split(":")[1]) : list.length;
		if (first != null) end = Math.min(end, start + first);
		if (last != null) start = Math.max(start, end - last);
		const cursor = (i) => Buffer.from(`cursor:${i}`).toString("base64");
		const slice = list.slice(start, end);
		return { nodes: slice, edges: slice.map((node, i) => ({ node, cursor: cursor(start + i) })), totalCount: list.length,
			pageInfo: { hasNextPage: end < list.length, hasPreviousPage: start > 0, startCursor: slice.length ? cursor(start) : null,
				endCursor: slice.length ? cursor(end - 1) : null } };
	}
	function commentNode(r, c) {
		const reply = c.in_reply_to ? r.reviewComments.get(c.in_reply_to) : null;
		return { __typename: "PullRequestReviewComment", id: c.node_id, databaseId: c.id, fullDatabaseId: String(c.id), body: c.body, bodyText: c.body,
			author: gqlActor(c.user), url: web(`${r.full_name}/pull/${c.pull}#discussion_r${c.id}`), path: c.path, line: c.line,
			originalLine: c.line, startLine: c.start_line ?? null, diffHunk: c.diff_hunk, createdAt: iso(c.created), updatedAt: iso(c.updated),
			outdated: false, isMinimized: false, state: "SUBMITTED", replyTo: reply ? commentNode(r, reply) : null,
			pullRequest: () => prNode(r, r.pulls.get(c.pull)), commit: { __typename: "Commit", oid: r.pulls.get(c.pull).head_sha } };
	}
	function threadNode(th) {
		const r = repoOf(th.repo);
		const first = r.reviewComments.get(th.comments[0]);
		return { __typename: "PullRequestReviewThread", id: th.id, isResolved: th.isResolved, isOutdated: false, isCollapsed: th.isResolved,
			path: first.path, line: first.line, originalLine: first.line, startLine: first.start_line ?? null, diffSide: first.side,
			startDiffSide: first.start_line ? first.side : null, subjectType: "LINE", resolvedBy: gqlActor(th.resolvedBy),
			viewerCanResolve: !th.isResolved, viewerCanUnresolve: th.isResolved, viewerCanReply: true,
			pullRequest: () => prNode(r, r.pulls.get(th.pull)), repository: () => repoNode(r),
			comments: (args) => connection(th.comments.map((cid) => commentNode(r, r.reviewComments.get(cid))), args, "comments") };
	}
	function prNode(r, p) {
		return { __typename: "PullRequest", id: nodeId("PR", p.id), databaseId: p.id, fullDatabaseId: String(p.id), number: p.number, title: p.title, body: p.body ?? "",
			url: web(`${r.full_name}/pull/${p.number}`), state: p.merged_at ? "MERGED" : p.state === "open" ? "OPEN" : "CLOSED",
			merged: !!p.merged_at, isDraft: p.draft, headRefName: p.head, baseRefName: p.base, headRefOid: p.head_sha, baseRefOid: p.base_sha,
			mergeable: p.mergeable === true ? "MERGEABLE" : p.mergeable === false ? "CONFLICTING" : "UNKNOWN",
			mergeStateStatus: (p.mergeable_state ?? "unknown").toUpperCase(), author: gqlActor(p.user), repository: () => repoNode(r),
			reviewThreads: (args) => connection([...state.threads.values()].filter((th) => th.repo === r.full_name && th.pull === p.number).map(threadNode), args, "reviewThreads") };
	}
	function repoNode(r) {
		return { __typename: "Repository", id: nodeId("R", r.id), databaseId: r.id, name: r.name, nameWithOwner: r.full_name,
			owner: { __typename: r.ownerType === "User" ? "User" : "Organization", login: r.owner }, url: web(r.full_name),
			defaultBranchRef: { __typename: "Ref", name: r.default_branch },
			pullRequest: ({ number }) => {
				const p = r.pulls.get(number);
				if (!p) throw Object.assign(new GraphQLError(`Could not resolve to a PullRequest with the number of ${number}.`), { ghType: "NOT_FOUND" });
				return prNode(r, p);
			} };
	}
	const threadFor = (threadId) => {
		const th = state.threads.get(threadId);
		if (!th) throw Object.assign(new GraphQLError(`Could not resolve to a node with the global id of '${threadId}'`), { ghType: "NOT_FOUND" });
		return th;
	};
	const root = {
		repository: ({ owner, name }) => {
			const r = state.repos.get(`${owner}/${name}`.toLowerCase());
			if (!r) throw Object.assign(new GraphQLError(`Could not resolve to a Repository with the name '${owner}/${name}'.`), { ghType: "NOT_FOUND" });
			return repoNode(r);
		},
		viewer: () => gqlActor(login),
		node: ({ id: nid }) => (state.threads.has(nid) ? threadNode(state.threads.get(nid)) : null),
		resolveReviewThread: ({ input }) => {
			const th = threadFor(input.threadId);
			Object.assign(th, { isResolved: true, resolvedBy: login });
			return { clientMutationId: input.clientMutationId ?? null, thread: threadNode(th) };
		},
		unresolveReviewThread: ({ input }) => {
			const th = threadFor(input.threadId);
			Object.assign(th, { isResolved: false, resolvedBy: null });
			return { clientMutationId: input.clientMutationId ?? null, thread: threadNode(th) };
		},
		addPullRequestReviewThreadReply: ({ input }) => {
			const th = threadFor(input.pullRequestReviewThreadId);
			const r = repoOf(th.repo), top = r.reviewComments.get(th.comments[0]);
			const c = newReviewComment(r, th.pull, { body: input.body, user: login, path: top.path, line: top.line, side: top.side, diff_hunk: top.diff_hunk, in_reply_to: top.id });
			return { clientMutationId: input.clientMutationId ?? null, comment: commentNode(r, c) };
		},
	};
	fake.graphqlRoot = root;

	function graphqlRequest(ctx) {
		ctx.entry.operation = "graphql";
		const h = ctx.headers;
		const refuse = (status, kind, message, body) => { ctx.violate(kind, message, status); ctx.send(status, body ?? ghError(status, message)); };
		if (ctx.method !== "POST") return refuse(405, "method", "GraphQL takes POST");
		if (!h["user-agent"]) return refuse(403, "header", "no User-Agent header");
		if (!/^(Bearer|token) \S+$/.test(h.authorization ?? ""))
			return refuse(401, "auth", "This endpoint requires you to be authenticated.", { message: "This endpoint requires you to be authenticated.", documentation_url: "https://docs.github.com/graphql/guides/forming-calls-with-graphql#authenticating-with-graphql" });
		const bearer = h.authorization.split(" ")[1];
		if (opts.app ? !state.tokens.some((x) => x.token === bearer) : opts.token && bearer !== opts.token) return refuse(401, "auth", "Bad credentials");
		let body;
		try { body = JSON.parse(ctx.raw); } catch { return refuse(400, "body", "Problems parsing JSON"); }
		ctx.entry.body = body;
		if (typeof body?.query !== "string") return refuse(400, "graphql", "A query attribute must be specified and must be a string.");
		let doc;
		try { doc = parse(body.query); } catch (e) {
			ctx.violate("graphql", e.message, 200);
			return ctx.send(200, { errors: [{ message: e.message, locations: e.locations }] });
		}
		const errors = validateGraphQL(githubGraphQLSchema(), doc);
		if (errors.length) {
			ctx.violate("graphql", errors.map((e) => e.message).join("; "), 200);
			return ctx.send(200, { errors: errors.map((e) => ({ message: e.message, locations: e.locations, extensions: { code: "undefinedField" } })) });
		}
		const f = ctx.failure();
		if (f) return answerFailure(ctx, f, ghError);
		const result = execute({ schema: githubGraphQLSchema(), document: doc, rootValue: root, variableValues: body.variables ?? {}, operationName: body.operationName });
		const out = { data: result.data ?? null };
		if (result.errors?.length) {
			out.errors = result.errors.map((e) => {
				const o = { message: e.message, locations: e.locations, path: e.path };
				if (e.originalError?.ghType) o.type = e.originalError.ghType;
				else ctx.violate(e.originalError?.violation || !e.path ? "graphql" : "unhandled",
					e.originalError?.violation || !e.path ? e.message : `the fake cannot answer ${e.path?.join(".")}: ${e.message}`, 200);
				return o;
			});
		}
		ctx.send(200, out);
	}

	return start(async (ctx) => {
		if (ctx.path === "/graphql") return graphqlRequest(ctx);
		const checked = checkGitHub(ctx, { token: opts.token, app: opts.app, issued: state.tokens });
		if (!checked) return;
		const f = ctx.failure();
		if (f) return answerFailure(ctx, f, ghError);
		const h = handlers[checked.op.operationId];
		if (!h) {
			ctx.violate("unhandled", `the fake GitHub has no handler for ${checked.op.operationId} (${checked.op.method} ${checked.op.template}): add one with fake.handlers[...]`, 501);
			return ctx.send(501, ghError(501, "not implemented by the fake"));
		}
		const remaining = 5000 - fake.requests.length;
		ctx.res.setHeader("x-ratelimit-limit", "5000");
		ctx.res.setHeader("x-ratelimit-remaining", String(Math.max(0, remaining)));
		ctx.res.setHeader("x-ratelimit-used", String(fake.requests.length));
		ctx.res.setHeader("x-ratelimit-reset", String(Math.floor(Date.now() / 1000) + 3600));
		ctx.res.setHeader("x-ratelimit-resource", "core");
		ctx.res.setHeader("x-github-media-type", "github.v3; format=json");
		return h(ctx, checked.params, checked.body, checked.media);
	});
}

// ---------------------------------------------------------------------------------------------
// GitLab (API v4). No OpenAPI description of these endpoints ships on npm: this table is the
// description, written from GitLab's docs (protocols.md §5). Each row: the method, the path under
// /api/v4 (`:name` segments), the path params' kinds, and the params (query or body: Grape takes
// both) as a JSON schema, with the required ones. Unknown params are refused (GitLab ignores them;
// the fake is stricter, to catch a misspelt name).

const str = { type: "string" }, int = { type: "integer" }, bool = { type: "boolean" };
const paging = { page: { type: "integer", minimum: 1 }, per_page: { type: "integer", minimum: 1, maximum: 100 } };
const position = { type: "object", required: ["base_sha", "start_sha", "head_sha", "position_type"], properties: {
	base_sha: str, start_sha: str, head_sha: str, position_type: { enum: ["text", "image", "file"] },
	new_path: str, old_path: str, new_line: int, old_line: int, line_range: { type: "object" } } };
export const GITLAB_ENDPOINTS = [
	{ op: "notes/list-issue", method: "GET", path: "/projects/:id/issues/:issue_iid/notes",
		params: { ...paging, sort: { enum: ["asc", "desc"] }, order_by: { enum: ["created_at", "updated_at"] }, activity_filter: str } },
	{ op: "notes/create-issue", method: "POST", path: "/projects/:id/issues/:issue_iid/notes", required: ["body"],
		params: { body: { type: "string", minLength: 1, maxLength: 1000000 }, internal: bool, confidential: bool, created_at: str, merge_request_diff_head_sha: str } },
	{ op: "notes/update-issue", method: "PUT", path: "/projects/:id/issues/:issue_iid/notes/:note_id", required: ["body"],
		params: { body: { type: "string", minLength: 1, maxLength: 1000000 }, confidential: bool } },
	{ op: "notes/create-mr", method: "POST", path: "/projects/:id/merge_requests/:merge_request_iid/notes", required: ["body"],
		params: { body: { type: "string", minLength: 1, maxLength: 1000000 }, internal: bool, created_at: str, merge_request_diff_head_sha: str } },
	{ op: "notes/update-mr", method: "PUT", path: "/projects/:id/merge_requests/:merge_request_iid/notes/:note_id", required: ["body"],
		params: { body: { type: "string", minLength: 1, maxLength: 1000000 } } },
	{ op: "discussions/list-mr", method: "GET", path: "/projects/:id/merge_requests/:merge_request_iid/discussions", params: { ...paging } },
	{ op: "discussions/create-mr", method: "POST", path: "/projects/:id/merge_requests/:merge_request_iid/discussions", required: ["body"],
		params: { body: { type: "string", minLength: 1, maxLength: 1000000 }, commit_id: str, created_at: str, position } },
	{ op: "discussions/reply-mr", method: "POST", path: "/projects/:id/merge_requests/:merge_request_iid/discussions/:discussion_id/notes",
		required: ["body"], params: { body: { type: "string", minLength: 1, maxLength: 1000000 }, note_id: int, created_at: str } },
	{ op: "discussions/resolve-mr", method: "PUT", path: "/projects/:id/merge_requests/:merge_request_iid/discussions/:discussion_id",
		required: ["resolved"], params: { resolved: bool } },
	{ op: "merge_requests/list", method: "GET", path: "/projects/:id/merge_requests",
		params: { ...paging, state: { enum: ["opened", "closed", "locked", "merged", "all"] }, source_branch: str, target_branch: str,
			order_by: str, sort: { enum: ["asc", "desc"] }, iids: str, labels: str, author_username: str } },
	{ op: "merge_requests/create", method: "POST", path: "/projects/:id/merge_requests", required: ["title", "source_branch", "target_branch"],
		params: { title: { type: "string", minLength: 1 }, source_branch: { type: "string", minLength: 1 }, target_branch: { type: "string", minLength: 1 },
			description: { type: "string", maxLength: 1048576 }, labels: { anyOf: [str, { type: "array", items: str }] }, remove_source_branch: bool,
			squash: bool, target_project_id: int, assignee_id: int, assignee_ids: { type: "array", items: int }, reviewer_ids: { type: "array", items: int },
			milestone_id: int, allow_collaboration: bool, draft: bool } },
	{ op: "merge_requests/get", method: "GET", path: "/projects/:id/merge_requests/:merge_request_iid",
		params: { render_html: bool, include_diverged_commits_count: bool, include_rebase_in_progress: bool } },
	{ op: "merge_requests/merge", method: "PUT", path: "/projects/:id/merge_requests/:merge_request_iid/merge",
		params: { merge_commit_message: str, squash_commit_message: str, squash: bool, should_remove_source_branch: bool,
			sha: { type: "string", pattern: "^[0-9a-f]{7,64}$" }, auto_merge: bool, merge_when_pipeline_succeeds: bool } },
	{ op: "merge_requests/diffs", method: "GET", path: "/projects/:id/merge_requests/:merge_request_iid/diffs", params: { ...paging, unidiff: bool } },
	{ op: "merge_requests/raw-diffs", method: "GET", path: "/projects/:id/merge_requests/:merge_request_iid/raw_diffs", params: {} },
	{ op: "merge_requests/versions", method: "GET", path: "/projects/:id/merge_requests/:merge_request_iid/versions", params: { ...paging } },
	{ op: "repository/compare", method: "GET", path: "/projects/:id/repository/compare", required: ["from", "to"],
		params: { from: { type: "string", minLength: 1 }, to: { type: "string", minLength: 1 }, from_project_id: int, straight: bool, unidiff: bool } },
];
const GL_PATH_KINDS = { id: /^(\d+|[^/]+(%2F[^/]+)+)$/i, issue_iid: /^\d+$/, merge_request_iid: /^\d+$/, note_id: /^\d+$/, discussion_id: /^[0-9a-f]{40}$/ };
let gitlabAjv = null;
function gitlabValidator(e) {
	if (!gitlabAjv) gitlabAjv = new Ajv({ strict: false, allErrors: true, coerceTypes: true });
	if (!e.validate) e.validate = gitlabAjv.compile({ type: "object", required: e.required ?? [], properties: e.params });
	return e.validate;
}

// The fake's GitLab. opts: {token, username (the token's user, default "gastown-bot"), t}. url = origin + /api/v4.
export async function startFakeGitLab(opts = {}) {
	const { fake, start } = base("GitLab", { ...opts, prefix: "/api/v4" });
	const me = opts.username ?? "gastown-bot";
	let nextId = 5000;
	const id = () => ++nextId;
	const now = () => Date.now();
	const state = { projects: new Map() };
	fake.state = state;
	const glUser = (username) => ({ id: [...username].reduce((a, c) => (a * 31 + c.charCodeAt(0)) % 1e6, 3), username, name: username,
		state: "active", locked: false, avatar_url: null, web_url: `https://gitlab.com/${username}` });
	fake.user = glUser;
	const projectOf = (key) => {
		const p = state.projects.get(String(key)) ?? [...state.projects.values()].find((x) => x.path_with_namespace === key);
		if (!p) throw new Error(`the fake GitLab has no project ${key}: addProject first`);
		return p;
	};
	const projectObject = (p) => ({ id: p.id, name: p.path_with_namespace.split("/").pop(), path_with_namespace: p.path_with_namespace,
		default_branch: p.default_branch, web_url: `https://gitlab.com/${p.path_with_namespace}`,
		git_http_url: `https://gitlab.com/${p.path_with_namespace}.git`, git_ssh_url: `git@gitlab.com:${p.path_with_namespace}.git`,
		namespace: p.path_with_namespace.split("/").slice(0, -1).join("/"), visibility_level: 0, path: p.path_with_namespace.split("/").pop() });

	// addProject("group/app", {id, default_branch})
	fake.addProject = (path, o = {}) => {
		const p = { id: o.id ?? id(), path_with_namespace: path, default_branch: o.default_branch ?? "main", next: 1,
			issues: new Map(), mrs: new Map(), notes: new Map(), discussions: new Map(), compares: new Map() };
		state.projects.set(String(p.id), p);
		return projectObject(p);
	};
	fake.addIssue = (path, o = {}) => {
		const p = projectOf(path);
		const i = { id: id(), iid: p.next++, title: o.title ?? "An issue", description: o.description ?? "", labels: o.labels ?? [],
			author: o.author ?? "alice", state: "opened", created: now() };
		p.issues.set(i.iid, i);
		return issueObject(p, i);
	};
	const issueObject = (p, i) => ({ id: i.id, iid: i.iid, project_id: p.id, title: i.title, description: i.description, state: i.state,
		labels: i.labels, author: glUser(i.author), web_url: `https://gitlab.com/${p.path_with_namespace}/-/issues/${i.iid}`,
		created_at: iso(i.created), updated_at: iso(i.created) });
	// The Issue Hook payload for an issue of the fake ({action: open|update|close|reopen, labels change}).
	fake.issuePayload = (path, iid, action = "open", o = {}) => {
		const p = projectOf(path), i = p.issues.get(iid);
		return { object_kind: "issue", event_type: "issue", user: glUser(o.user ?? i.author), project: projectObject(p),
			object_attributes: { id: i.id, iid: i.iid, title: i.title, description: i.description, state: i.state, action,
				url: `https://gitlab.com/${p.path_with_namespace}/-/issues/${i.iid}`, labels: i.labels.map((t) => ({ title: t })), type: "Issue" },
			labels: i.labels.map((t) => ({ title: t })), changes: o.changes ?? {} };
	};

	function mrObject(p, m) {
		const unresolved = [...p.discussions.values()].some((d) => d.mr === m.iid && d.notes.some((n) => n.resolvable && !n.resolved));
		const detailed = m.state !== "opened" ? "not_open" : m.draft ? "draft_status" : m.conflict ? "conflict"
			: unresolved ? "discussions_not_resolved" : m.pipeline === "running" ? "ci_still_running" : m.pipeline === "failed" ? "ci_must_pass" : "mergeable";
		return { id: m.id, iid: m.iid, project_id: p.id, title: m.title, description: m.description, state: m.state, draft: m.draft,
			source_branch: m.source_branch, target_branch: m.target_branch, sha: m.sha, merge_commit_sha: m.merge_commit_sha,
			squash_commit_sha: null, author: glUser(m.author), labels: m.labels, web_url: `https://gitlab.com/${p.path_with_namespace}/-/merge_requests/${m.iid}`,
			detailed_merge_status: detailed, merge_status: detailed === "mergeable" ? "can_be_merged" : "cannot_be_merged",
			has_conflicts: !!m.conflict, blocking_discussions_resolved: !unresolved, merged_at: m.merged_at ? iso(m.merged_at) : null,
			merged_by: m.merged_at ? glUser(me) : null, merge_user: m.merged_at ? glUser(me) : null,
			diff_refs: { base_sha: m.base_sha, head_sha: m.sha, start_sha: m.base_sha }, created_at: iso(m.created), updated_at: iso(m.updated),
			references: { short: `!${m.iid}`, full: `${p.path_with_namespace}!${m.iid}` } };
	}
	function newMr(p, o) {
		const m = { id: id(), iid: p.next++, title: o.title ?? "A merge request", description: o.description ?? "", state: "opened", draft: !!o.draft,
			source_branch: o.source_branch ?? "feature", target_branch: o.target_branch ?? p.default_branch, sha: o.sha ?? sha(), base_sha: sha(),
			merge_commit_sha: null, author: o.author ?? me, labels: o.labels ?? [], conflict: !!o.conflict, pipeline: o.pipeline ?? "success",
			files: o.files ?? [], merged_at: null, created: now(), updated: now() };
		p.mrs.set(m.iid, m);
		p.compares.set(`${m.target_branch}...${m.source_branch}`, m.files);
		return m;
	}
	// addMergeRequest("group/app", {source_branch, target_branch, title, files: [{old_path,new_path,diff,new_file,deleted_file}], conflict, pipeline, draft})
	fake.addMergeRequest = (path, o = {}) => mrObject(projectOf(path), newMr(projectOf(path), { author: "alice", ...o }));
	fake.mergeRequest = (path, iid) => mrObject(projectOf(path), projectOf(path).mrs.get(iid));
	fake.updateMergeRequest = (path, iid, changes) => {
		const m = projectOf(path).mrs.get(iid);
		Object.assign(m, changes, { updated: now() });
		return mrObject(projectOf(path), m);
	};
	fake.setCompare = (path, from, to, files) => projectOf(path).compares.set(`${from}...${to}`, files);

	const noteObject = (p, n) => ({ id: n.id, type: n.type, body: n.body, author: glUser(n.author), created_at: iso(n.created),
		updated_at: iso(n.updated), system: false, noteable_id: n.noteable_id, noteable_type: n.noteable_type, noteable_iid: n.noteable_iid,
		project_id: p.id, resolvable: n.resolvable, resolved: n.resolvable ? n.resolved : undefined,
		resolved_by: n.resolved ? glUser(n.resolved_by) : null, position: n.position ?? undefined, confidential: false, internal: false });
	const discussionObject = (p, d) => ({ id: d.id, individual_note: d.individual, notes: d.notes.map((n) => noteObject(p, n)) });
	function newDiscussion(p, iid, o) {
		const m = p.mrs.get(iid);
		const d = { id: randomBytes(20).toString("hex"), mr: iid, individual: !o.position && !!o.individual, notes: [] };
		const n = { id: id(), type: o.position ? "DiffNote" : d.individual ? null : "DiscussionNote", body: o.body, author: o.author ?? "alice",
			created: now(), updated: now(), noteable_id: m.id, noteable_type: "MergeRequest", noteable_iid: iid,
			resolvable: !d.individual, resolved: false, position: o.position };
		d.notes.push(n);
		p.discussions.set(d.id, d);
		p.notes.set(n.id, { ...n, discussion: d.id });
		return d;
	}
	// addDiscussion("group/app", 3, {body, author, position: {new_path, new_line, ...}, individual}) → the Note Hook payload;
	// payload.object_attributes.discussion_id is the thread to reply to and resolve.
	fake.addDiscussion = (path, iid, o = {}) => {
		const p = projectOf(path), m = p.mrs.get(iid);
		const pos = o.position ? { base_sha: m.base_sha, start_sha: m.base_sha, head_sha: m.sha, position_type: "text", old_path: o.position.new_path, ...o.position } : undefined;
		const d = newDiscussion(p, iid, { ...o, position: pos, body: o.body ?? "Please fix this." });
		const n = d.notes[0];
		return { object_kind: "note", event_type: "note", user: glUser(n.author), project: projectObject(p),
			object_attributes: { id: n.id, note: n.body, noteable_type: "MergeRequest", action: "create", discussion_id: d.id, type: n.type,
				position: pos ?? null, system: false, author_id: glUser(n.author).id, url: `https://gitlab.com/${p.path_with_namespace}/-/merge_requests/${iid}#note_${n.id}` },
			merge_request: { ...mrObject(p, m), url: mrObject(p, m).web_url } };
	};
	fake.discussion = (path, discussionId) => discussionObject(projectOf(path), projectOf(path).discussions.get(discussionId));
	fake.issueNotes = (path, iid) => [...projectOf(path).notes.values()].filter((n) => n.noteable_type === "Issue" && n.noteable_iid === iid).map((n) => noteObject(projectOf(path), n));

	const glError = (status) => ({ message: `${status} ${{ 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed", 409: "Conflict", 422: "Unprocessable", 429: "Too Many Requests" }[status] ?? "Error"}` });
	const routes = GITLAB_ENDPOINTS.map((e) => ({ ...e, names: [...e.path.matchAll(/:(\w+)/g)].map((m) => m[1]),
		regex: new RegExp(`^/api/v4${e.path.replace(/:(\w+)/g, "([^/]+)")}$`) }));
	const page = (ctx, list, q) => {
		const per = q.per_page ?? 20, at = (q.page ?? 1) - 1;
		ctx.res.setHeader("x-total", String(list.length));
		ctx.res.setHeader("x-page", String(at + 1));
		ctx.res.setHeader("x-per-page", String(per));
		ctx.res.setHeader("x-total-pages", String(Math.max(1, Math.ceil(list.length / per))));
		return list.slice(at * per, at * per + per);
	};
	const diffOf = (f) => ({ old_path: f.old_path ?? f.new_path, new_path: f.new_path, a_mode: f.new_file ? "0" : "100644", b_mode: f.deleted_file ? "0" : "100644",
		diff: f.diff ?? "", new_file: !!f.new_file, renamed_file: !!f.renamed_file, deleted_file: !!f.deleted_file, too_large: false, collapsed: false });
	const rawDiff = (files) => files.map((f) => `diff --git a/${f.old_path ?? f.new_path} b/${f.new_path}\n--- ${f.new_file ? "/dev/null" : `a/${f.old_path ?? f.new_path}`}\n+++ ${f.deleted_file ? "/dev/null" : `b/${f.new_path}`}\n${f.diff ?? ""}`).join("");

	const handlers = {
		"notes/list-issue"(ctx, p, a) {
			const i = p.issues.get(a.issue_iid); if (!i) return ctx.send(404, glError(404));
			let list = [...p.notes.values()].filter((n) => n.noteable_type === "Issue" && n.noteable_iid === i.iid);
			if ((a.sort ?? "desc") === "desc") list = list.reverse();
			ctx.send(200, page(ctx, list.map((n) => noteObject(p, n)), a));
		},
		"notes/create-issue"(ctx, p, a) {
			const i = p.issues.get(a.issue_iid); if (!i) return ctx.send(404, glError(404));
			const n = { id: id(), type: null, body: a.body, author: me, created: now(), updated: now(), noteable_id: i.id, noteable_type: "Issue", noteable_iid: i.iid, resolvable: false };
			p.notes.set(n.id, n);
			ctx.send(201, noteObject(p, n));
		},
		"notes/update-issue"(ctx, p, a) {
			const n = p.notes.get(a.note_id);
			if (!n || n.noteable_type !== "Issue" || n.noteable_iid !== a.issue_iid) return ctx.send(404, glError(404));
			if (n.author !== me) return ctx.send(403, glError(403));
			Object.assign(n, { body: a.body, updated: now() });
			ctx.send(200, noteObject(p, n));
		},
		"notes/create-mr"(ctx, p, a) {
			const m = p.mrs.get(a.merge_request_iid); if (!m) return ctx.send(404, glError(404));
			const d = newDiscussion(p, m.iid, { body: a.body, author: me, individual: true });
			ctx.send(201, noteObject(p, d.notes[0]));
		},
		"notes/update-mr"(ctx, p, a) {
			const n = p.notes.get(a.note_id);
			if (!n || n.noteable_iid !== a.merge_request_iid) return ctx.send(404, glError(404));
			const d = p.discussions.get(n.discussion), dn = d.notes.find((x) => x.id === n.id);
			Object.assign(dn, { body: a.body, updated: now() });
			ctx.send(200, noteObject(p, dn));
		},
		"discussions/list-mr"(ctx, p, a) {
			if (!p.mrs.has(a.merge_request_iid)) return ctx.send(404, glError(404));
			ctx.send(200, page(ctx, [...p.discussions.values()].filter((d) => d.mr === a.merge_request_iid).map((d) => discussionObject(p, d)), a));
		},
		"discussions/create-mr"(ctx, p, a) {
			if (!p.mrs.has(a.merge_request_iid)) return ctx.send(404, glError(404));
			const d = newDiscussion(p, a.merge_request_iid, { body: a.body, author: me, position: a.position });
			ctx.send(201, discussionObject(p, d));
		},
		"discussions/reply-mr"(ctx, p, a) {
			const d = p.discussions.get(a.discussion_id);
			if (!d || d.mr !== a.merge_request_iid) return ctx.send(404, glError(404));
			if (d.individual) {
				ctx.violate("semantics", `discussion ${d.id} is an individual note: it takes no replies`, 400);
				return ctx.send(400, { message: "400 Bad request - Note You can't reply to an individual note" });
			}
			const first = d.notes[0];
			const n = { ...first, id: id(), body: a.body, author: me, created: now(), updated: now(), position: first.position };
			d.notes.push(n);
			p.notes.set(n.id, { ...n, discussion: d.id });
			ctx.send(201, noteObject(p, n));
		},
		"discussions/resolve-mr"(ctx, p, a) {
			const d = p.discussions.get(a.discussion_id);
			if (!d || d.mr !== a.merge_request_iid) return ctx.send(404, glError(404));
			if (!d.notes.some((n) => n.resolvable)) {
				ctx.violate("semantics", `discussion ${d.id} is not resolvable (an individual note)`, 400);
				return ctx.send(400, { message: "400 Bad request - discussion is not resolvable" });
			}
			for (const n of d.notes) if (n.resolvable) Object.assign(n, { resolved: a.resolved, resolved_by: a.resolved ? me : null });
			ctx.send(200, discussionObject(p, d));
		},
		"merge_requests/list"(ctx, p, a) {
			const st = a.state ?? "all";
			ctx.send(200, page(ctx, [...p.mrs.values()].filter((m) => (st === "all" || m.state === st) && (!a.source_branch || m.source_branch === a.source_branch)
				&& (!a.target_branch || m.target_branch === a.target_branch)).map((m) => mrObject(p, m)), a));
		},
		"merge_requests/create"(ctx, p, a) {
			if (a.source_branch === a.target_branch) return ctx.send(422, { message: ["You can't use same project/branch for source and target"] });
			if ([...p.mrs.values()].some((m) => m.state === "opened" && m.source_branch === a.source_branch && m.target_branch === a.target_branch))
				return ctx.send(409, { message: [`Another open merge request already exists for this source branch: !${[...p.mrs.values()].find((m) => m.source_branch === a.source_branch).iid}`] });
			const m = newMr(p, { ...a, author: me, files: p.compares.get(`${a.target_branch}...${a.source_branch}`) });
			ctx.send(201, mrObject(p, m));
		},
		"merge_requests/get"(ctx, p, a) {
			const m = p.mrs.get(a.merge_request_iid); if (!m) return ctx.send(404, glError(404));
			ctx.send(200, mrObject(p, m));
		},
		"merge_requests/merge"(ctx, p, a) {
			const m = p.mrs.get(a.merge_request_iid); if (!m) return ctx.send(404, glError(404));
			const o = mrObject(p, m);
			if (o.detailed_merge_status !== "mergeable") return ctx.send(405, { message: "405 Method Not Allowed" });
			if (a.sha && a.sha !== m.sha) return ctx.send(409, { message: "SHA does not match HEAD of source branch: " + m.sha });
			Object.assign(m, { state: "merged", merged_at: now(), merge_commit_sha: sha(), updated: now() });
			ctx.send(200, mrObject(p, m));
		},
		"merge_requests/diffs"(ctx, p, a) {
			const m = p.mrs.get(a.merge_request_iid); if (!m) return ctx.send(404, glError(404));
			ctx.send(200, page(ctx, m.files.map(diffOf), a));
		},
		"merge_requests/raw-diffs"(ctx, p, a) {
			const m = p.mrs.get(a.merge_request_iid); if (!m) return ctx.send(404, glError(404));
			ctx.send(200, rawDiff(m.files));
		},
		"merge_requests/versions"(ctx, p, a) {
			const m = p.mrs.get(a.merge_request_iid); if (!m) return ctx.send(404, glError(404));
			ctx.send(200, [{ id: m.id, head_commit_sha: m.sha, base_commit_sha: m.base_sha, start_commit_sha: m.base_sha,
				created_at: iso(m.updated), merge_request_id: m.id, state: "collected", real_size: String(m.files.length) }]);
		},
		"repository/compare"(ctx, p, a) {
			const files = p.compares.get(`${a.from}...${a.to}`);
			if (!files) return ctx.send(404, { message: "404 Ref Not Found" });
			const commit = { id: sha(), short_id: "", title: "Work", message: "Work", author_name: me, created_at: iso(now()) };
			commit.short_id = commit.id.slice(0, 8);
			ctx.send(200, { commit: files.length ? commit : null, commits: files.length ? [commit] : [], diffs: files.map(diffOf),
				compare_timeout: false, compare_same_ref: a.from === a.to, web_url: `https://gitlab.com/${p.path_with_namespace}/-/compare/${a.from}...${a.to}` });
		},
	};
	fake.handlers = handlers;

	return start(async (ctx) => {
		const refuse = (status, kind, message, body) => { ctx.violate(kind, message, status); ctx.send(status, body ?? glError(status)); };
		const matches = routes.map((r) => ({ r, m: r.regex.exec(ctx.rawPath) })).filter((x) => x.m);
		if (!matches.length) return refuse(404, "path", `no endpoint of the fake's GitLab table matches ${ctx.rawPath}`, { error: "404 Not Found" });
		const hit = matches.find((x) => x.r.method === ctx.method);
		if (!hit) return refuse(405, "method", `${ctx.method} is not allowed on ${matches[0].r.path} (${matches.map((x) => x.r.method).join(", ")})`, { error: "405 Not Allowed" });
		const e = hit.r;
		ctx.entry.operation = e.op;
		const args = {};
		for (const [i, n] of e.names.entries()) {
			const text = hit.m[i + 1];
			if (!GL_PATH_KINDS[n].test(text)) return refuse(404, "param", `${e.op}: the path parameter ${n}=${text} is not ${GL_PATH_KINDS[n]} (a project path must be URL-encoded: group%2Fproject)`, { message: "404 Not Found" });
			args[n] = n === "id" || n === "discussion_id" ? decodeURIComponent(text) : Number(text);
		}
		const token = ctx.headers["private-token"] ?? /^Bearer (\S+)$/.exec(ctx.headers.authorization ?? "")?.[1];
		if (!token) return refuse(401, "auth", "no PRIVATE-TOKEN or Authorization: Bearer header", { message: "401 Unauthorized" });
		if (opts.token && token !== opts.token) return refuse(401, "auth", "the token is not the one the fake was given", { message: "401 Unauthorized" });
		const params = Object.fromEntries(ctx.url.searchParams);
		if (ctx.raw.length) {
			const type = (ctx.headers["content-type"] ?? "").split(";")[0].trim();
			let body;
			if (type === "application/json") {
				try { body = JSON.parse(ctx.raw); } catch { return refuse(400, "body", "the body is not JSON", { error: "400 Bad request - body is not valid JSON" }); }
			} else if (type === "application/x-www-form-urlencoded") body = Object.fromEntries(new URLSearchParams(ctx.raw));
			else return refuse(415, "header", `content-type ${type || "(none)"}: GitLab takes JSON or form bodies`, { error: "415 Unsupported Media Type" });
			if (!body || typeof body !== "object" || Array.isArray(body)) return refuse(400, "body", "the body is not a JSON object", { error: "400 Bad request" });
			ctx.entry.body = body;
			Object.assign(params, body);
		}
		const unknown = Object.keys(params).filter((k) => !(k in e.params));
		if (unknown.length) return refuse(400, "param", `${e.op}: ${unknown.join(", ")} ${unknown.length > 1 ? "are not parameters" : "is not a parameter"} of this endpoint`, { error: `${unknown[0]} does not have a valid value` });
		const v = gitlabValidator(e);
		if (!v(params)) {
			const first = v.errors[0];
			const field = first.params?.missingProperty ?? first.instancePath.slice(1).replaceAll("/", ".");
			return refuse(400, "body", `${e.op}: ${v.errors.map((x) => `${x.instancePath || x.params?.missingProperty || "params"} ${x.message}`).join("; ")}`,
				{ error: first.keyword === "required" ? `${field} is missing` : `${field} is invalid` });
		}
		const f = ctx.failure();
		if (f) return answerFailure(ctx, f, glError);
		let project;
		try { project = projectOf(args.id); } catch { return ctx.send(404, { message: "404 Project Not Found" }); }
		return handlers[e.op](ctx, project, { ...params, ...args });
	});
}

// ---------------------------------------------------------------------------------------------
// Slack: the Web API methods the town calls (chat.postMessage, chat.update) at url = origin + /api,
// and response_url endpoints for slash commands (protocols.md §3). Slack answers errors with HTTP
// 200 and {ok:false,error}; the fake records every such refusal of a malformed call as a violation.

const SLACK_METHODS = {
	"chat.postMessage": { required: ["channel"], properties: { channel: { type: "string", minLength: 1 }, text: str, blocks: { type: "array", items: { type: "object", required: ["type"] } },
		attachments: { type: "array", items: { type: "object" } }, thread_ts: { type: "string", pattern: "^\\d+\\.\\d+$" }, reply_broadcast: bool, mrkdwn: bool,
		unfurl_links: bool, unfurl_media: bool, username: str, icon_emoji: str, icon_url: str, parse: { enum: ["none", "full"] }, link_names: bool,
		metadata: { type: "object" } } },
	"chat.update": { required: ["channel", "ts"], properties: { channel: { type: "string", minLength: 1 }, ts: { type: "string", pattern: "^\\d+\\.\\d+$" }, text: str,
		blocks: { type: "array", items: { type: "object", required: ["type"] } }, attachments: { type: "array", items: { type: "object" } }, reply_broadcast: bool,
		parse: { enum: ["none", "full"] }, link_names: bool, metadata: { type: "object" } } },
};
const RESPONSE_URL = { type: "object", properties: { text: str, blocks: { type: "array", items: { type: "object", required: ["type"] } },
	response_type: { enum: ["in_channel", "ephemeral"] }, replace_original: bool, delete_original: bool, thread_ts: { type: "string", pattern: "^\\d+\\.\\d+$" },
	mrkdwn: bool, attachments: { type: "array" } } };
let slackAjv = null;
const slackValidator = (schema) => {
	if (!slackAjv) slackAjv = new Ajv({ strict: false, allErrors: true });
	return (schema.validate ??= slackAjv.compile({ type: "object", ...schema }));
};

// The fake's Slack. opts: {token (the bot token, default "xoxb-fake"), channels (known ids: unknown → channel_not_found;
// default: any C…/D…/G… id), team, t}.
export async function startFakeSlack(opts = {}) {
	const { fake, start } = base("Slack", { ...opts, prefix: "/api" });
	const token = opts.token ?? "xoxb-fake";
	const team = opts.team ?? "T0FAKE001";
	const botUser = "U0BOT0001", botId = "B0BOT0001";
	let seq = 0;
	const state = { messages: [], responses: new Map(), channels: opts.channels ? new Set(opts.channels) : null };
	fake.state = state;
	fake.token = token;
	const newTs = () => `${Math.floor(Date.now() / 1000)}.${String(++seq).padStart(6, "0")}`;
	const channelOk = (c) => (state.channels ? state.channels.has(c) : /^[CDG][A-Z0-9]{2,}$/.test(c));
	fake.messages = (channel) => state.messages.filter((m) => !channel || m.channel === channel);
	// Seed a human's message (so a reply can name it): → its ts.
	fake.addMessage = (channel, o = {}) => {
		const m = { channel, ts: newTs(), text: o.text ?? "hello", user: o.user ?? "U0HUMAN01", thread_ts: o.thread_ts };
		state.messages.push(m);
		return m.ts;
	};
	// A response_url of this fake (as Slack puts in a slash command): 5 uses in 30 minutes.
	fake.responseUrl = () => {
		const path = `/commands/${team}/${100000000 + ++seq}/${randomBytes(12).toString("base64url")}`;
		state.responses.set(path, { posts: [], created: Date.now() });
		return fake.origin + path;
	};
	fake.responses = (url) => state.responses.get(new URL(url).pathname)?.posts ?? [];
	// A slash command's form fields (before signing), with a response_url of this fake.
	fake.slashCommand = (o = {}) => ({ token: "legacy-verification-token", team_id: team, team_domain: "fake", channel_id: o.channel_id ?? "C0CHAN001",
		channel_name: o.channel_name ?? "general", user_id: o.user_id ?? "U0HUMAN01", user_name: o.user_name ?? "alice", command: o.command ?? "/gastown",
		text: o.text ?? "fix the login page", api_app_id: "A0APP0001", is_enterprise_install: "false", response_url: fake.responseUrl(),
		trigger_id: `${Date.now()}.${seq}.${randomBytes(16).toString("hex")}` });
	// An Events API app_mention envelope (before signing).
	fake.appMention = (o = {}) => {
		const ts = o.ts ?? fake.addMessage(o.channel ?? "C0CHAN001", { text: o.text, user: o.user });
		return { token: "legacy-verification-token", team_id: team, api_app_id: "A0APP0001", type: "event_callback",
			event_id: o.event_id ?? `Ev${randomBytes(6).toString("hex").toUpperCase()}`, event_time: Math.floor(Date.now() / 1000),
			authorizations: [{ enterprise_id: null, team_id: team, user_id: botUser, is_bot: true, is_enterprise_install: false }],
			event: { type: "app_mention", user: o.user ?? "U0HUMAN01", text: o.text ?? `<@${botUser}> fix the login page`, ts,
				channel: o.channel ?? "C0CHAN001", event_ts: ts, ...(o.thread_ts ? { thread_ts: o.thread_ts } : {}) } };
	};

	return start(async (ctx) => {
		const bad = (error, kind, message, status = 200) => { ctx.violate(kind, message ?? error, status); ctx.send(status, { ok: false, error }); };
		if (ctx.path.startsWith("/commands/")) {
			const r = state.responses.get(ctx.path);
			if (!r) return bad("invalid_url", "path", `${ctx.path} is not a response_url this fake gave out`, 404);
			if (ctx.method !== "POST") return bad("invalid_request", "method", `${ctx.method} on a response_url`, 405);
			let body;
			try { body = JSON.parse(ctx.raw); } catch { return bad("invalid_payload", "body", "a response_url takes a JSON body", 400); }
			ctx.entry.body = body;
			const v = slackValidator(RESPONSE_URL);
			if (!v(body)) return bad("invalid_payload", "body", `response_url: ${v.errors.map((e) => `${e.instancePath || "body"} ${e.message}`).join("; ")}`, 400);
			if (!body.text && !body.blocks && !body.delete_original) return bad("no_text", "body", "response_url: neither text nor blocks", 400);
			if (r.posts.length >= 5) return bad("used_url", "semantics", "a response_url takes 5 posts", 404);
			if (Date.now() - r.created > 30 * 60_000) return bad("expired_url", "semantics", "a response_url expires after 30 minutes", 404);
			const f = ctx.failure();
			if (f) return answerFailure(ctx, f, () => "error");
			r.posts.push(body);
			return ctx.send(200, "ok");
		}
		const name = /^\/api\/([\w.]+)$/.exec(ctx.path)?.[1];
		const method = SLACK_METHODS[name];
		if (!method) return bad("unknown_method", "path", `${ctx.path} is not a Web API method the fake knows`, 404);
		ctx.entry.operation = name;
		if (ctx.method !== "POST") return bad("invalid_request", "method", `${name} is called with POST here`, 405);
		const type = (ctx.headers["content-type"] ?? "").split(";")[0].trim();
		let body;
		if (type === "application/json") {
			try { body = JSON.parse(ctx.raw); } catch { return bad("invalid_json", "body", "the body is not JSON"); }
		} else if (type === "application/x-www-form-urlencoded") {
			body = Object.fromEntries(new URLSearchParams(ctx.raw));
			if (body.blocks) try { body.blocks = JSON.parse(body.blocks); } catch { return bad("invalid_blocks_format", "body", "blocks is not JSON"); }
			for (const k of ["mrkdwn", "reply_broadcast", "unfurl_links", "unfurl_media", "link_names"]) if (k in body) body[k] = body[k] === "true" || body[k] === "1";
		} else return bad("invalid_form_data", "header", `content-type ${type || "(none)"}: application/json or form expected`);
		ctx.entry.body = body;
		const auth = /^Bearer (\S+)$/.exec(ctx.headers.authorization ?? "")?.[1] ?? (type !== "application/json" ? body.token : undefined);
		if (!auth) return bad("not_authed", "auth", "no Authorization: Bearer token");
		if (auth !== token) return bad("invalid_auth", "auth", "the token is not the fake's bot token");
		if (!auth.startsWith("xoxb-")) return bad("not_allowed_token_type", "auth", "the town posts with a bot token (xoxb-)");
		delete body.token;
		if (body.channel === undefined) return bad("channel_not_found", "body", `${name}: channel is required`);
		const v = slackValidator(method);
		if (!v(body)) return bad("invalid_arguments", "body", `${name}: ${v.errors.map((e) => `${e.instancePath || e.params?.missingProperty || "body"} ${e.message}`).join("; ")}`);
		if (!body.text && !body.blocks?.length && !body.attachments?.length) return bad("no_text", "body", `${name}: one of text, blocks or attachments is required`);
		if ((body.text ?? "").length > 40000) return bad("msg_too_long", "body", `${name}: text over 40,000 characters`);
		const f = ctx.failure();
		if (f) {
			if (typeof f.status === "string" && !["timeout", "reset"].includes(f.status)) return ctx.send(200, { ok: false, error: f.status });
			return answerFailure(ctx, f, () => ({ ok: false, error: "ratelimited" }));
		}
		if (!channelOk(body.channel)) return ctx.send(200, { ok: false, error: "channel_not_found" });
		if (name === "chat.postMessage") {
			const m = { channel: body.channel, ts: newTs(), text: body.text ?? "", blocks: body.blocks, thread_ts: body.thread_ts, bot_id: botId, user: botUser };
			state.messages.push(m);
			return ctx.send(200, { ok: true, channel: m.channel, ts: m.ts, message: { type: "message", subtype: undefined, text: m.text, user: botUser,
				bot_id: botId, ts: m.ts, app_id: "A0APP0001", team, ...(m.blocks ? { blocks: m.blocks } : {}), ...(m.thread_ts ? { thread_ts: m.thread_ts } : {}) } });
		}
		const m = state.messages.find((x) => x.channel === body.channel && x.ts === body.ts);
		if (!m) return ctx.send(200, { ok: false, error: "message_not_found" });
		if (m.bot_id !== botId) return ctx.send(200, { ok: false, error: "cant_update_message" });
		Object.assign(m, { text: body.text ?? m.text, blocks: body.blocks ?? m.blocks, edited: true });
		return ctx.send(200, { ok: true, channel: m.channel, ts: m.ts, text: m.text, message: { text: m.text, user: botUser, bot_id: botId, ...(m.blocks ? { blocks: m.blocks } : {}) } });
	});
}
