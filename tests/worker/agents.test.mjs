// agents.test.mjs - agents through the real worker: registration (one mayor, pool names, one
// refinery per rig), hooks (one bead per agent, one agent per bead), tokens minted by the town
// that act for one agent in one town, heartbeats and status messages with attribution.
import assert from "node:assert/strict";
import { test } from "node:test";
import { SignJWT } from "jose";
import { call, operator, startWorker } from "./harness.mjs";

const SECRET = "agents-test-secret-0123456789abcdef-0123456789";
const key = new TextEncoder().encode(SECRET);
const as = async (user) => ({ authorization: `Bearer ${await new SignJWT({ sub: user })
	.setProtectedHeader({ alg: "HS256" }).setIssuedAt().setExpirationTime("10m").sign(key)}` });
const bearer = (t) => ({ authorization: `Bearer ${t}` });

async function setup(mf, town, owner) {
	assert.equal((await call(mf, "POST", `/api/towns/${town}`, { name: town }, owner)).status, 201);
	assert.equal((await call(mf, "POST", `/api/towns/${town}/rigs`, { id: "payments", git_url: "https://git.example.com/p.git" }, owner)).status, 201);
}

test("agents: registry, hooks, tokens, status", async (t) => {
	const mf = startWorker({ bindings: { GASTOWN_JWT_SECRET: SECRET } });
	t.after(() => mf.dispose());
	const sarah = await as("sarah"), bob = await as("bob"), vic = await as("vic");
	await setup(mf, "mill", sarah);
	await call(mf, "PUT", "/api/towns/mill/members/bob", { role: "member" }, sarah);
	await call(mf, "PUT", "/api/towns/mill/members/vic", { role: "viewer" }, sarah);
	const A = "/api/towns/mill/agents";

	assert.equal((await call(mf, "POST", A, { role: "mayor" }, sarah)).body.data.id, "mayor");
	assert.equal((await call(mf, "POST", A, { role: "mayor" }, sarah)).status, 409);
	assert.equal((await call(mf, "POST", A, { role: "polecat" }, sarah)).body.error.field, "rig");
	const toast = await call(mf, "POST", A, { role: "polecat", rig: "payments" }, sarah);
	assert.deepEqual([toast.body.data.id, toast.body.data.name, toast.body.data.state], ["toast", "Toast", "idle"]);
	assert.equal((await call(mf, "POST", A, { role: "polecat", rig: "payments" }, sarah)).body.data.name, "Maple");
	assert.equal((await call(mf, "POST", A, { role: "refinery", rig: "payments" }, sarah)).body.data.id, "refinery-payments");
	assert.equal((await call(mf, "POST", A, { role: "refinery", rig: "payments" }, sarah)).status, 409);
	assert.equal((await call(mf, "POST", A, { role: "polecat", rig: "payments" }, bob)).status, 403);
	assert.equal((await call(mf, "POST", A, { role: "wizard" }, sarah)).body.error.field, "role");

	// Hooks: bob's bead on Toast; Toast then works for bob.
	const b1 = (await call(mf, "POST", "/api/towns/mill/beads", { title: "Refunds", rig: "payments" }, bob)).body.data.id;
	const b2 = (await call(mf, "POST", "/api/towns/mill/beads", { title: "Disputes", rig: "payments" }, bob)).body.data.id;
	assert.equal((await call(mf, "POST", `${A}/toast/hook`, { bead: b1 }, vic)).status, 403);
	const hooked = await call(mf, "POST", `${A}/toast/hook`, { bead: b1 }, bob);
	assert.deepEqual([hooked.body.data.hook, hooked.body.data.state, hooked.body.data.requested_by], [b1, "working", "bob"]);
	assert.equal((await call(mf, "GET", `/api/towns/mill/beads/${b1}`, undefined, vic)).body.data.assignee, "toast");
	assert.equal((await call(mf, "POST", `${A}/toast/hook`, { bead: b2 }, bob)).status, 409);
	assert.equal((await call(mf, "POST", `${A}/maple/hook`, { bead: b1 }, bob)).status, 409);

	// The town mints Toast a token; it works for bob, the human behind its hook.
	assert.equal((await call(mf, "POST", `${A}/toast/token`, undefined, bob)).status, 403);
	const minted = await call(mf, "POST", `${A}/toast/token`, undefined, sarah);
	assert.equal(minted.status, 201, minted.text);
	const tok = minted.body.data.token;
	assert.ok(minted.body.data.expires_ms > Date.now());
	assert.equal((await call(mf, "POST", `${A}/toast/heartbeat`, undefined, bearer(tok))).status, 200);
	const said = await call(mf, "POST", `${A}/toast/status`, { message: "Reading the refund code" }, bearer(tok));
	assert.equal(said.status, 200, said.text);
	assert.equal(said.body.data.status, "Reading the refund code");
	assert.equal(said.body.data.status_history.length, 1);
	const feed = (await call(mf, "GET", "/api/towns/mill/events", undefined, vic)).body.data.events;
	const ev = feed.find((e) => e.kind === "agent.status");
	assert.deepEqual([ev.actor, ev.requested_by], ["toast", "bob"]);

	// A bead Toast creates while working for bob is in bob's chain of work.
	const found = await call(mf, "POST", "/api/towns/mill/beads",
		{ title: "Refund rounding bug", type: "bug", deps: [{ id: b1, kind: "discovered-from" }] }, bearer(tok));
	assert.equal(found.status, 201, found.text);
	assert.deepEqual([found.body.data.created_by, found.body.data.requested_by], ["toast", "bob"]);
	assert.equal((await call(mf, "DELETE", `/api/towns/mill/beads/${found.body.data.id}`, undefined, bearer(tok))).status, 403);
	const byToast = (await call(mf, "GET", `/api/towns/mill/beads/${found.body.data.id}/events`, undefined, vic)).body.data.events;
	assert.deepEqual(byToast.map((e) => [e.kind, e.actor, e.requested_by]),
		[["bead.created", "toast", "bob"], ["bead.dep_added", "toast", "bob"]]);

	// Refresh gives a new token; bad input and borrowed identities are refused.
	const fresh = await call(mf, "POST", `${A}/toast/token/refresh`, undefined, bearer(tok));
	assert.equal(fresh.status, 200, fresh.text);
	assert.equal((await call(mf, "POST", `${A}/toast/heartbeat`, undefined, bearer(fresh.body.data.token))).status, 200);
	assert.equal((await call(mf, "POST", `${A}/toast/status`, { message: "" }, bearer(tok))).status, 400);
	assert.equal((await call(mf, "POST", `${A}/toast/status`, { message: "x".repeat(281) }, bearer(tok))).status, 400);
	assert.equal((await call(mf, "POST", `${A}/maple/status`, { message: "I am Maple" }, bearer(tok))).status, 403);
	assert.equal((await call(mf, "POST", `${A}/toast/status`, { message: "human" }, sarah)).status, 401);
	assert.equal((await call(mf, "GET", `${A}`, undefined, bearer(tok))).status, 401); // not a person's route

	// A token of this town is worthless in another town, even for an agent of the same name.
	await setup(mf, "forge", sarah);
	await call(mf, "POST", "/api/towns/forge/agents", { role: "polecat", rig: "payments" }, sarah);
	const other = await call(mf, "POST", "/api/towns/forge/agents/toast/status", { message: "hi" }, bearer(tok));
	assert.equal(other.status, 401);
	assert.equal(other.body.error.reason, "bad_signature");

	// Deleting the bead on a hook frees the agent holding it.
	const doomed = (await call(mf, "POST", "/api/towns/mill/beads", { title: "Doomed" }, bob)).body.data.id;
	assert.equal((await call(mf, "POST", `${A}/maple/hook`, { bead: doomed }, bob)).body.data.state, "working");
	assert.equal((await call(mf, "DELETE", `/api/towns/mill/beads/${doomed}`, undefined, sarah)).status, 200);
	const maple = (await call(mf, "GET", `${A}/maple`, undefined, vic)).body.data;
	assert.deepEqual([maple.state, maple.hook], ["idle", null]);

	// An admin revokes Toast's tokens: the one in use stops at once; a new one works.
	assert.equal((await call(mf, "POST", `${A}/toast/token/revoke`, undefined, bob)).status, 403);
	assert.equal((await call(mf, "POST", `${A}/toast/token/revoke`, undefined, sarah)).status, 200);
	const revoked = await call(mf, "POST", `${A}/toast/heartbeat`, undefined, bearer(fresh.body.data.token));
	assert.deepEqual([revoked.status, revoked.body.error.reason], [401, "revoked"]);
	const again = (await call(mf, "POST", `${A}/toast/token`, undefined, sarah)).body.data.token;
	assert.equal((await call(mf, "POST", `${A}/toast/heartbeat`, undefined, bearer(again))).status, 200);

	// ?token= is for WebSocket upgrades of the feed only, never a way to put tokens in URLs.
	const viaQuery = await call(mf, "GET", `/api/towns/mill/beads?token=${sarah.authorization.slice(7)}`, undefined, { upgrade: "websocket" });
	assert.equal(viaQuery.status, 401);

	// Unhook frees Toast.
	assert.equal((await call(mf, "DELETE", `${A}/toast/hook`, undefined, bob)).body.data.state, "idle");
	assert.equal((await call(mf, "DELETE", `${A}/toast/hook`, undefined, bob)).status, 409);
	const list = (await call(mf, "GET", A, undefined, vic)).body.data.map((a) => a.id);
	assert.deepEqual(list, ["mayor", "maple", "toast", "refinery-payments"]);
	assert.ok((await call(mf, "GET", `/api/towns/mill/debug/storage`, undefined, operator)).body.data.digest);
});

test("mail to agents and escalations to people", async (t) => {
	const mf = startWorker({ bindings: { GASTOWN_JWT_SECRET: SECRET } });
	t.after(() => mf.dispose());
	const sarah = await as("sarah"), vic = await as("vic"), olga = await as("olga");
	await setup(mf, "post", sarah);
	await call(mf, "PUT", "/api/towns/post/members/vic", { role: "viewer" }, sarah);
	const A = "/api/towns/post/agents";
	await call(mf, "POST", A, { role: "mayor" }, sarah);
	await call(mf, "POST", A, { role: "polecat", rig: "payments" }, sarah);
	const mayorTok = (await call(mf, "POST", `${A}/mayor/token`, undefined, sarah)).body.data.token;
	const toastTok = (await call(mf, "POST", `${A}/toast/token`, undefined, sarah)).body.data.token;

	// A person writes to the mayor; the mayor writes to Toast; Toast reads its inbox.
	const toMayor = await call(mf, "POST", "/api/towns/post/mail", { to: "mayor", subject: "Ship refunds", body: "by Friday" }, sarah);
	assert.equal(toMayor.status, 201, toMayor.text);
	assert.equal((await call(mf, "POST", "/api/towns/post/mail", { to: "mayor", subject: "hi" }, vic)).status, 403);
	assert.equal((await call(mf, "POST", "/api/towns/post/mail", { to: "ghost", subject: "hi" }, sarah)).body.error.field, "to");
	const sent = await call(mf, "POST", `${A}/mayor/mail`, { to: "toast", subject: "Take gt-refunds" }, bearer(mayorTok));
	assert.equal(sent.status, 201, sent.text);
	const inbox = await call(mf, "GET", `${A}/toast/mail?unread=true`, undefined, bearer(toastTok));
	assert.deepEqual(inbox.body.data.map((m) => [m.from.kind, m.from.id, m.subject]), [["agent", "mayor", "Take gt-refunds"]]);
	assert.equal((await call(mf, "GET", `${A}/toast/mail`, undefined, bearer(mayorTok))).status, 403); // not its inbox
	assert.equal((await call(mf, "POST", `${A}/toast/mail/${sent.body.data.id}/read`, undefined, bearer(toastTok))).status, 200);
	assert.deepEqual((await call(mf, "GET", `${A}/toast/mail?unread=true`, undefined, bearer(toastTok))).body.data, []);
	assert.equal((await call(mf, "GET", "/api/towns/post/mail", undefined, vic)).body.data.length, 2);

	// Toast escalates; people see it, acknowledge it, resolve it.
	const esc = await call(mf, "POST", `${A}/toast/escalations`, { severity: "high", title: "Tests fail on main" }, bearer(toastTok));
	assert.equal(esc.status, 201, esc.text);
	const open = (await call(mf, "GET", "/api/towns/post/escalations?state=open", undefined, vic)).body.data;
	assert.deepEqual(open.map((e) => [e.id, e.severity, e.raised_by, e.requested_by]), [[esc.body.data.id, "high", "toast", "sarah"]]);
	assert.equal((await call(mf, "POST", `/api/towns/post/escalations/${esc.body.data.id}/ack`, undefined, vic)).status, 403);
	assert.equal((await call(mf, "POST", `/api/towns/post/escalations/${esc.body.data.id}/ack`, undefined, olga)).status, 404);
	assert.equal((await call(mf, "POST", `/api/towns/post/escalations/${esc.body.data.id}/ack`, undefined, sarah)).status, 200);
	assert.equal((await call(mf, "POST", `/api/towns/post/escalations/${esc.body.data.id}/resolve`, undefined, sarah)).status, 200);
	assert.equal((await call(mf, "POST", `/api/towns/post/escalations/${esc.body.data.id}/ack`, undefined, sarah)).status, 409);
	for (const [body, field] of [[{ severity: "urgent", title: "x" }, "severity"], [{ severity: "low", title: "" }, "title"],
		[{ severity: "low", title: "x", bead: "gt-none0" }, "bead"], [{ title: "x" }, "severity"]]) {
		const r = await call(mf, "POST", "/api/towns/post/escalations", body, sarah);
		assert.equal(r.status, 400, r.text);
		assert.equal(r.body.error.field, field);
	}
	assert.equal((await call(mf, "GET", "/api/towns/post/escalations?state=lost", undefined, vic)).status, 400);
});

test("the Mayor: members' messages with context, replies, and actions done for the asker", async (t) => {
	const mf = startWorker({ bindings: { GASTOWN_JWT_SECRET: SECRET } });
	t.after(() => mf.dispose());
	const sarah = await as("sarah"), bob = await as("bob"), vic = await as("vic"), olga = await as("olga");
	await setup(mf, "hall", sarah);
	await call(mf, "PUT", "/api/towns/hall/members/bob", { role: "member" }, sarah);
	await call(mf, "PUT", "/api/towns/hall/members/vic", { role: "viewer" }, sarah);
	const M = "/api/towns/hall/mayor/messages";
	// The first message makes the town's Mayor (there is one Mayor per town).
	assert.equal((await call(mf, "POST", M, { text: "anyone there?" }, bob)).status, 201);
	assert.equal((await call(mf, "GET", "/api/towns/hall/agents/mayor", undefined, sarah)).body.data.role, "mayor");
	assert.equal((await call(mf, "POST", "/api/towns/hall/agents", { role: "mayor" }, sarah)).status, 409);
	await call(mf, "POST", "/api/towns/hall/agents", { role: "polecat", rig: "payments" }, sarah);
	const work = (await call(mf, "POST", "/api/towns/hall/beads", { title: "Refunds", rig: "payments" }, bob)).body.data.id;
	await call(mf, "POST", "/api/towns/hall/agents/toast/hook", { bead: work }, bob);
	const mayor = bearer((await call(mf, "POST", "/api/towns/hall/agents/mayor/token", undefined, sarah)).body.data.token);

	// Vic (a viewer) asks; the Mayor gets the message with who asks and what everyone is doing.
	const asked = await call(mf, "POST", M, { text: "Can we also do disputes?" }, vic);
	assert.equal(asked.status, 201, asked.text);
	const ctx = asked.body.data.context;
	assert.deepEqual([ctx.asker.id, ctx.asker.role], ["vic", "viewer"]);
	assert.deepEqual(ctx.in_flight.map((g) => [g.requested_by, g.beads.map((b) => [b.id, b.agent, b.rig])]), [["bob", [[work, "toast", "payments"]]]]);
	const inbox = (await call(mf, "GET", "/api/towns/hall/agents/mayor/mail?unread=true", undefined, mayor)).body.data;
	const delivered = inbox.map((m) => JSON.parse(m.body)).find((d) => d.message === asked.body.data.id);
	assert.deepEqual([delivered.message, delivered.text, delivered.context.asker.id], [asked.body.data.id, "Can we also do disputes?", "vic"]);

	// What the Mayor does on a message is its author's, with the author's role: Vic's lends no write
	// a viewer could not do; on Bob's (a member's) the work is made, and is Bob's.
	const onVic = await call(mf, "POST", "/api/towns/hall/beads", { title: "Disputes", rig: "payments" },
		{ ...mayor, "x-gastown-on-message": asked.body.data.id });
	assert.equal(onVic.status, 403, onVic.text);
	const bobAsks = (await call(mf, "POST", M, { text: "Then do disputes" }, bob)).body.data.id;
	const slung = await call(mf, "POST", "/api/towns/hall/beads", { title: "Disputes", rig: "payments" },
		{ ...mayor, "x-gastown-on-message": bobAsks });
	assert.equal(slung.status, 201, slung.text);
	assert.deepEqual([slung.body.data.created_by, slung.body.data.requested_by], ["mayor", "bob"]);
	await call(mf, "DELETE", "/api/towns/hall/members/bob", undefined, sarah);
	const gone = await call(mf, "POST", "/api/towns/hall/beads", { title: "x" }, { ...mayor, "x-gastown-on-message": bobAsks });
	assert.deepEqual([gone.status, gone.body.error.field], [403, "x-gastown-on-message"]);
	await call(mf, "PUT", "/api/towns/hall/members/bob", { role: "member" }, sarah);
	const plain = await call(mf, "POST", "/api/towns/hall/beads", { title: "Chores" }, mayor);
	assert.equal(plain.body.data.requested_by, "sarah"); // on its own, the Mayor works for whoever minted its token
	const toastTok = bearer((await call(mf, "POST", "/api/towns/hall/agents/toast/token", undefined, sarah)).body.data.token);
	assert.equal((await call(mf, "POST", "/api/towns/hall/beads", { title: "x" }, { ...toastTok, "x-gastown-on-message": asked.body.data.id })).status, 403);
	assert.equal((await call(mf, "POST", "/api/towns/hall/beads", { title: "x" }, { ...mayor, "x-gastown-on-message": "msg-nope" })).status, 400);

	// The reply reaches Vic's conversation (and only Vic's).
	const reply = await call(mf, "POST", "/api/towns/hall/agents/mayor/replies", { message: asked.body.data.id, text: "Slung as a bead." }, mayor);
	assert.equal(reply.status, 201, reply.text);
	const convo = (await call(mf, "GET", M, undefined, vic)).body.data;
	assert.deepEqual(convo.map((m) => [m.text, m.replies.map((r) => r.text)]), [["Can we also do disputes?", ["Slung as a bead."]]]);
	assert.deepEqual((await call(mf, "GET", M, undefined, bob)).body.data.map((m) => [m.text, m.replies.length]), [["Then do disputes", 0], ["anyone there?", 0]]);
	assert.equal((await call(mf, "POST", "/api/towns/hall/agents/toast/replies", { message: asked.body.data.id, text: "me too" }, toastTok)).status, 403);

	// Outsiders and bad input.
	assert.equal((await call(mf, "POST", M, { text: "hi" }, olga)).status, 404);
	assert.equal((await call(mf, "POST", M, { text: "" }, vic)).body.error.field, "text");
	assert.equal((await call(mf, "POST", M, { text: "x".repeat(4001) }, vic)).body.error.field, "text");
	const feed = (await call(mf, "GET", "/api/towns/hall/events", undefined, vic)).body.data.events;
	const rep = feed.find((e) => e.kind === "mayor.reply");
	assert.deepEqual([rep.actor, rep.requested_by], ["mayor", "vic"]);
});
