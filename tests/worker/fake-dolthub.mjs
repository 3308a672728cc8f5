// fake-dolthub.mjs - a local DoltHub API over a real MariaDB (Debian's mariadb-server-core), for the
// Wasteland tests (docs/wasteland.md). Dolt speaks MySQL; MariaDB runs the statements the town sends
// as DoltHub would run them on the database, so the rows the tests read are what SQL made of them.
//
// What it implements, as ../shared/reference/gastown-local.md §6 and DoltHub's SQL API docs say:
//   POST /database {ownerName, repoName, visibility, description}    -> the database, or 400 "already exists"
//   POST /:owner/:db/write/:from/:to  (the statement in ?q= or {"query"}) -> {operation_name}; one
//        statement a call; a write that changes nothing answers 400 naming sqlwrite.toCommitId, as
//        DoltHub does when the commit would equal its parent
//   GET  /:owner/:db/write?operationName=                             -> {done, res_details}
//   GET  /:owner/:db[/:ref]?q=                                        -> {rows} (reads)
// Every call needs `authorization: token <the token>`. Failures are injected with fail(): HTTP 500,
// a call never answered (the caller's timeout), an operation that fails with a SQL error, polls
// answering done:false a number of times.
import { spawn } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { mkdirSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { join } from "node:path";
import mysql from "mysql2/promise";
import { freePort, tempDir } from "./harness.mjs";

const MARIADBD = "/usr/sbin/mariadbd";

// A MariaDB server in its own folder on a loopback port, no grant tables (tests only).
export async function startMariaDB(t) {
	const dir = tempDir(t);
	mkdirSync(join(dir, "data"));
	const port = await freePort();
	const proc = spawn(MARIADBD, ["--no-defaults", `--datadir=${join(dir, "data")}`, "--user=root",
		`--port=${port}`, "--bind-address=127.0.0.1", `--socket=${join(dir, "sock")}`, "--skip-grant-tables",
		"--innodb-buffer-pool-size=32M", "--skip-log-bin", `--log-error=${join(dir, "err.log")}`,
		`--pid-file=${join(dir, "pid")}`, "--default-time-zone=+00:00"], { stdio: "ignore" });
	const exited = new Promise((r) => proc.once("exit", r));
	let pool;
	for (const end = Date.now() + 30000; ;) {
		try {
			pool = mysql.createPool({ host: "127.0.0.1", port, user: "root", connectionLimit: 4, timezone: "Z",
				dateStrings: true, flags: ["-FOUND_ROWS"] });
			await pool.query("SELECT 1");
			break;
		} catch (e) {
			await pool?.end().catch(() => {});
			if (Date.now() > end || proc.exitCode !== null) throw new Error(`mariadbd did not start: ${e.message}`);
			await new Promise((r) => setTimeout(r, 100));
		}
	}
	let stopped = null;
	const server = {
		port, pool,
		// Once, whoever asks first (the test's end, or a fake that owns it).
		stop() {
			stopped ??= (async () => {
				await pool.end().catch(() => {});
				proc.kill("SIGKILL");
				await exited;
				rmSync(dir, { recursive: true, force: true });
			})();
			return stopped;
		},
	};
	t.after(() => server.stop());
	return server;
}

// The database a DoltHub owner/repo is kept in (MariaDB names: letters, digits, _).
const dbName = (owner, repo) => `dh_${owner}__${repo}`.replace(/[^A-Za-z0-9_]/g, "_");
const commit = () => randomBytes(16).toString("hex").slice(0, 32);

export async function startFakeDoltHub(t, { token: first = "dolthub-test-token", mariadb } = {}) {
	let token = first;          // the one token taken; a test may change it (a rotated token)
	const db = mariadb ?? await startMariaDB(t);
	const ops = new Map();      // operation name -> {done, res_details, pendingPolls}
	const faults = [];          // {on: "write"|"poll"|"create"|"any", kind, times}
	const held = new Set();     // responses never answered (a timeout)
	const requests = [];        // every call: {method, path, query, auth}
	const statements = [];      // every statement run, in order
	let pendingPolls = 0;       // each new operation answers done:false this many times first

	const fault = (on) => {
		const f = faults.find((x) => x.on === on || x.on === "any");
		if (!f) return null;
		if (--f.times <= 0) faults.splice(faults.indexOf(f), 1);
		return f.kind;
	};
	const json = (res, status, body) => {
		res.writeHead(status, { "content-type": "application/json" });
		res.end(JSON.stringify(body));
	};
	const exists = async (name) => (await db.pool.query("SELECT 1 FROM information_schema.schemata WHERE schema_name = ?",
		[name]))[0].length > 0;

	async function handle(req, res, body) {
		const url = new URL(req.url, "http://x");
		const parts = url.pathname.split("/").filter(Boolean).map(decodeURIComponent);
		requests.push({ method: req.method, path: url.pathname, query: url.search, auth: req.headers.authorization });
		if (req.headers.authorization !== `token ${token}`)
			return json(res, 401, { status: "Error", message: "missing or invalid authorization token" });
		const kind = req.method === "POST" && parts[0] === "database" ? "create"
			: parts[2] === "write" ? (req.method === "POST" ? "write" : "poll") : "read";
		const f = fault(kind);
		if (f === "500") return json(res, 500, { status: "Error", message: "internal error (injected)" });
		if (f === "timeout") return held.add(res);
		if (kind === "create") {
			const { ownerName, repoName } = JSON.parse(body || "{}");
			if (!ownerName || !repoName) return json(res, 400, { status: "Error", message: "ownerName and repoName are required" });
			const name = dbName(ownerName, repoName);
			if (await exists(name)) return json(res, 400, { status: "Error", message: `repository ${ownerName}/${repoName} already exists` });
			await db.pool.query(`CREATE DATABASE \`${name}\``);
			return json(res, 200, { status: "Success", owner: ownerName, repository_name: repoName });
		}
		const [owner, repo] = parts;
		const name = dbName(owner, repo);
		if (!(await exists(name))) return json(res, 404, { status: "Error", message: `no database ${owner}/${repo}` });
		if (kind === "poll") {
			const op = ops.get(url.searchParams.get("operationName"));
			if (!op) return json(res, 404, { status: "Error", message: "no such operation" });
			if (op.pendingPolls > 0) {
				op.pendingPolls--;
				return json(res, 200, { _id: op.name, done: false });
			}
			return json(res, 200, { _id: op.name, done: true, res_details: op.res_details });
		}
		if (kind === "read") {
			const [rows] = await db.pool.query(`USE \`${name}\``).then(() => db.pool.query(url.searchParams.get("q")));
			return json(res, 200, { query_execution_status: "Success", rows });
		}
		if (parts[3] !== "main" || parts[4] !== "main")
			return json(res, 400, { status: "Error", message: "this fake writes main to main only" });
		const q = url.searchParams.get("q") ?? JSON.parse(body || "{}").query;
		if (typeof q !== "string" || !q) return json(res, 400, { status: "Error", message: "no query" });
		// One statement a call, as the write API takes (mysql2 refuses several in one query too).
		const conn = await db.pool.getConnection();
		let result, error = f === "sql-error" ? "Error 1105: injected failure" : null;
		try {
			if (!error) {
				await conn.query(`USE \`${name}\``);
				[result] = await conn.query(q);
				statements.push(q);
			}
		} catch (e) {
			error = `Error ${e.errno}: ${e.sqlMessage ?? e.message}`;
		} finally {
			conn.release();
		}
		// A statement that changed nothing: DDL that found its table there (a warning), DML of no row.
		const ddl = /^\s*(CREATE|ALTER|DROP)\b/i.test(q);
		if (!error && result.affectedRows === 0 && (!ddl || result.warningStatus > 0))
			return json(res, 400, { status: "Error", message: "error: sqlwrite.toCommitId: the write changed nothing (no-op)" });
		const op = {
			name: `operations/${randomUUID()}`, pendingPolls,
			res_details: error
				? { query_execution_status: "Error", query_execution_message: error, owner_name: owner, repository_name: repo }
				: { query_execution_status: "Success", owner_name: owner, repository_name: repo,
					query_execution_message: `Query OK, ${result.affectedRows} rows affected.`,
					from_commit_id: commit(), to_commit_id: commit() },
		};
		ops.set(op.name, op);
		return json(res, 200, { query_execution_status: "Success", repository_owner: owner, repository_name: repo,
			to_branch_name: "main", from_branch_name: "main", query: q,
			query_execution_message: "Operation created. Poll the operation endpoint to see the execution status of this query.",
			operation_name: op.name });
	}

	const server = createServer((req, res) => {
		const chunks = [];
		req.on("data", (c) => chunks.push(c));
		req.on("end", () => handle(req, res, Buffer.concat(chunks).toString("utf8")).catch((e) => {
			if (!res.headersSent) json(res, 500, { status: "Error", message: String(e.message ?? e) });
		}));
	});
	await new Promise((r) => server.listen(0, "127.0.0.1", r));
	const fake = {
		url: `http://127.0.0.1:${server.address().port}`,
		get token() { return token; },
		set token(v) { token = v; },
		requests, statements, mariadb: db,
		// kind: "500", "timeout" (never answered), "sql-error" (the operation fails); on: the call.
		fail(on, kind, times = 1) { faults.push({ on, kind, times }); },
		set pendingPolls(n) { pendingPolls = n; },
		async query(owner, repo, sql, args = []) {
			const conn = await db.pool.getConnection();
			try {
				await conn.query(`USE \`${dbName(owner, repo)}\``);
				return (await conn.query(sql, args))[0];
			} finally {
				conn.release();
			}
		},
		async createDatabase(owner, repo) { await db.pool.query(`CREATE DATABASE IF NOT EXISTS \`${dbName(owner, repo)}\``); },
		async stop() {
			for (const res of held) res.destroy();
			server.closeAllConnections?.();
			await new Promise((r) => server.close(r));
			if (!mariadb) await db.stop();
		},
	};
	t.after(() => fake.stop());
	return fake;
}
