/*
 * api_test.c - probes behind /api/towns/:town/_test, enabled only by GASTOWN_TEST_HOOKS=1. They let
 * the integration tests and the bench drive the foundation's mechanisms through the real worker:
 * storage writes, a trap mid-call, alarms, effect round trips and WebSocket frames. They use the same
 * transaction, timer and outbox machinery as the product's own routes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test/test.h"
#include "sqlite3.h"

#define KEY_MAX 128 /* below TIMER_KEY_MAX: alarm keys become timer keys */
#define VALUE_MAX 4096

/* The probes' bodies: one struct for all of them, a table each. */
struct probe_body {
	const char *value, *prefix, *key, *when, *url, *method, *body;
	int64_t count, in_ms, timeout_ms, rigs, per_rig, working, beads;
	int then_fail, spill;
};

#define KEY {"key", F_STR(struct probe_body, key), FR_REQUIRED, 0, KEY_MAX}
#define VALUE {"value", F_STR(struct probe_body, value), FR_REQUIRED, 0, VALUE_MAX}
#define COUNT(max) {"count", F_INT(struct probe_body, count), FR_REQUIRED, 1, max}

static const struct field_rule kv_put_rules[] = {VALUE};
const struct fields test_kv_put_body = FIELDS(kv_put_rules, struct probe_body);

static const struct field_rule kv_bulk_rules[] = {
	COUNT(10000),
	{"prefix", F_STR(struct probe_body, prefix), FR_REQUIRED, 0, 32},
	{"then_fail", F_BOOL(struct probe_body, then_fail), 0, 0, 0, .msg[FF_TYPE] = "then_fail must be a boolean"},
	{"spill", F_BOOL(struct probe_body, spill), 0, 0, 0, .msg[FF_TYPE] = "spill must be a boolean"},
};
const struct fields test_kv_bulk_body = FIELDS(kv_bulk_rules, struct probe_body);

static const char *const trap_whens[] = {"before_commit", "after_commit", NULL};
static const struct field_rule trap_rules[] = {
	KEY,
	VALUE,
	{"when", F_STR(struct probe_body, when), FR_REQUIRED, 0, 16, .one_of = trap_whens, .msg[FF_ENUM] = "'%n' must be %e"},
};
const struct fields test_trap_body = FIELDS(trap_rules, struct probe_body);

static const struct field_rule alarm_rules[] = {
	KEY,
	{"in_ms", F_INT(struct probe_body, in_ms), FR_REQUIRED, 0, 86400000},
};
const struct fields test_alarm_body = FIELDS(alarm_rules, struct probe_body);

static int url_ok(const char *u)
{
	return strncmp(u, "http://", 7) == 0 || strncmp(u, "https://", 8) == 0 || strncmp(u, "do://", 5) == 0;
}

static const struct field_rule effect_rules[] = {
	{"url", F_STR(struct probe_body, url), FR_REQUIRED, 0, 2048, .valid = url_ok,
	 .msg[FF_FORM] = "'url' must be an http(s) or do:// URL"},
	{"method", F_STR(struct probe_body, method), 0, 0, 8},
	{"body", F_STR(struct probe_body, body), 0, 0, VALUE_MAX},
	{"timeout_ms", F_INT(struct probe_body, timeout_ms), FR_DEFAULT, 1, 60000, .def = 5000},
};
const struct fields test_effect_body = FIELDS(effect_rules, struct probe_body);

static const struct field_rule beads_bulk_rules[] = {COUNT(20000)};
const struct fields test_beads_bulk_body = FIELDS(beads_bulk_rules, struct probe_body);

static const struct field_rule outcomes_seed_rules[] = {COUNT(200000),
	{"key", F_STR(struct probe_body, key), 0, 0, 10, .msg[FF_ANY] = "'key' is the seed, up to 10 digits"}};
const struct fields test_outcomes_seed_body = FIELDS(outcomes_seed_rules, struct probe_body);

static const struct field_rule seed_rules[] = {
	{"rigs", F_INT(struct probe_body, rigs), FR_REQUIRED, 1, 100},
	{"polecats_per_rig", F_INT(struct probe_body, per_rig), FR_REQUIRED, 0, 50},
	{"working_per_rig", F_INT(struct probe_body, working), FR_REQUIRED, 0, 50},
	{"beads", F_INT(struct probe_body, beads), FR_REQUIRED, 0, 100000},
};
const struct fields test_seed_body = FIELDS(seed_rules, struct probe_body);

/* Path parameters: /api/towns/:town/_test/<what>/:key -> seg[5]. */
static const char *param(struct call *c)
{
	return c->seg[5];
}

static int kv_write(struct call *c, const char *key, const char *value)
{
	sqlite3_stmt *st = db_prepare(c->db,
		"INSERT INTO test_kv(key, value, updated_ms) VALUES (?, ?, ?)"
		" ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_ms = excluded.updated_ms",
		&c->err);

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 3, c->now_ms);
	return db_step_done(c->db, st, &c->err);
}

int api_test_kv_put(struct call *c)
{
	struct probe_body in = {0};
	const char *value;
	cJSON *d;

	if (call_fields(c, &in, sizeof in) < 0)
		return -1;
	value = in.value;
	if (strlen(param(c)) > KEY_MAX)
		return err_set(&c->err, ERR_INVALID, "key", "keys are at most %d bytes", KEY_MAX);
	if (kv_write(c, param(c), value) < 0)
		return -1;
	d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "key", param(c));
	cJSON_AddStringToObject(d, "value", value);
	return call_reply(c, 200, d);
}

int api_test_kv_get(struct call *c)
{
	sqlite3_stmt *st = db_prepare(c->db, "SELECT value, updated_ms FROM test_kv WHERE key = ?",
				      &c->err);
	cJSON *d;

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, param(c), -1, SQLITE_STATIC);
	switch (db_step_row(c->db, st, &c->err)) {
	case -1:
		return -1;
	case 0:
		return err_set(&c->err, ERR_NOT_FOUND, "key", "no value for key '%s'", param(c));
	}
	d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "key", param(c));
	cJSON_AddStringToObject(d, "value", (const char *)sqlite3_column_text(st, 0));
	cJSON_AddNumberToObject(d, "updated_ms", sqlite3_column_double(st, 1));
	sqlite3_reset(st);
	return call_reply(c, 200, d);
}

int api_test_kv_bulk(struct call *c)
{
	struct probe_body in = {0};
	int64_t count;
	char key[64], value[64];
	cJSON *d;

	if (call_fields(c, &in, sizeof in) < 0)
		return -1;
	count = in.count;
	/* A page cache of a few pages: SQLite writes pages out before the commit (a spill), as a
	 * call writing more than the cache holds would. */
	if (in.spill && db_exec(c->db, "PRAGMA cache_size=4", &c->err) < 0)
		return -1;
	for (int64_t i = 0; i < count; i++) {
		snprintf(key, sizeof key, "%s-%lld", in.prefix, (long long)i);
		snprintf(value, sizeof value, "value %lld", (long long)i);
		if (kv_write(c, key, value) < 0)
			return -1;
	}
	/* A rejection after the writes: what the rollback journal is for. */
	if (in.then_fail)
		return err_set(&c->err, ERR_CONFLICT, "then_fail", "failing after %lld writes, as asked",
			       (long long)count);
	d = cJSON_CreateObject();
	cJSON_AddNumberToObject(d, "written", (double)count);
	return call_reply(c, 200, d);
}

/* Write, then die: either before the engine commits, or after it committed its SQLite transaction
 * (pages already handed to the host) but before the host's storage transaction ends. Either way the
 * host must keep nothing. */
int api_test_trap(struct call *c)
{
	struct probe_body in = {0};

	if (call_fields(c, &in, sizeof in) < 0 || kv_write(c, in.key, in.value) < 0)
		return -1;
	if (strcmp(in.when, "before_commit") == 0)
		__builtin_trap();
	c->trap_after_commit = 1;
	return call_reply(c, 200, NULL);
}

int api_test_alarm_set(struct call *c)
{
	struct probe_body in = {0};
	const char *key;
	int64_t in_ms;
	sqlite3_stmt *st;
	cJSON *d;

	if (call_fields(c, &in, sizeof in) < 0)
		return -1;
	key = in.key;
	in_ms = in.in_ms;
	st = db_prepare(c->db,
		"INSERT INTO test_alarm(key, due_ms) VALUES (?, ?)"
		" ON CONFLICT(key) DO UPDATE SET due_ms = excluded.due_ms", &c->err);
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 2, c->now_ms + (double)in_ms);
	if (db_step_done(c->db, st, &c->err) < 0 ||
	    timer_set(c, "test", key, c->now_ms + (double)in_ms) < 0)
		return -1;
	d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "key", key);
	cJSON_AddNumberToObject(d, "due_ms", c->now_ms + (double)in_ms);
	return call_reply(c, 201, d);
}

int test_timer_fired(struct call *c, const char *key)
{
	sqlite3_stmt *st = db_prepare(c->db,
		"UPDATE test_alarm SET fired_ms = ?, fired_count = fired_count + 1 WHERE key = ?",
		&c->err);

	if (!st)
		return -1;
	sqlite3_bind_double(st, 1, c->now_ms);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
	return db_step_done(c->db, st, &c->err);
}

int api_test_alarm_get(struct call *c)
{
	sqlite3_stmt *st = db_prepare(c->db,
		"SELECT due_ms, fired_ms, fired_count FROM test_alarm WHERE key = ?", &c->err);
	cJSON *d;

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, param(c), -1, SQLITE_STATIC);
	switch (db_step_row(c->db, st, &c->err)) {
	case -1:
		return -1;
	case 0:
		return err_set(&c->err, ERR_NOT_FOUND, "key", "no alarm '%s'", param(c));
	}
	d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "key", param(c));
	cJSON_AddNumberToObject(d, "due_ms", sqlite3_column_double(st, 0));
	if (sqlite3_column_type(st, 1) == SQLITE_NULL)
		cJSON_AddNullToObject(d, "fired_ms");
	else
		cJSON_AddNumberToObject(d, "fired_ms", sqlite3_column_double(st, 1));
	cJSON_AddNumberToObject(d, "fired_count", sqlite3_column_int(st, 2));
	sqlite3_reset(st);
	return call_reply(c, 200, d);
}

int api_test_effect_start(struct call *c)
{
	struct effect_req r = {.purpose = "test", .method = "GET", .timeout_ms = 5000};
	struct probe_body in = {.method = "GET"};
	char probe[40], fx[40];
	sqlite3_stmt *st;
	cJSON *d;

	if (call_fields(c, &in, sizeof in) < 0)
		return -1;
	r.url = in.url;
	r.method = in.method;
	r.body = in.body;
	r.timeout_ms = (int)in.timeout_ms;
	if (id_new(c, "probe", 10, probe, sizeof probe) < 0)
		return -1;
	r.subject = probe;
	if (effect_submit(c, &r, fx, sizeof fx) < 0)
		return -1;
	st = db_prepare(c->db, "INSERT INTO test_effect(id, effect_id, state) VALUES (?, ?, 'pending')",
			&c->err);
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, probe, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, fx, -1, SQLITE_STATIC);
	if (db_step_done(c->db, st, &c->err) < 0)
		return -1;
	d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "id", probe);
	cJSON_AddStringToObject(d, "effect_id", fx);
	cJSON_AddStringToObject(d, "state", "pending");
	return call_reply(c, 202, d);
}

int test_effect_done(struct call *c, const char *subject, const cJSON *result, const char *body,
		     size_t body_len)
{
	const cJSON *status = cJSON_GetObjectItemCaseSensitive(result, "status");
	const cJSON *error = cJSON_GetObjectItemCaseSensitive(result, "error");
	const cJSON *code = cJSON_GetObjectItemCaseSensitive(error, "code");
	const cJSON *msg = cJSON_GetObjectItemCaseSensitive(error, "message");
	int ok = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(result, "ok"));
	sqlite3_stmt *st = db_prepare(c->db,
		"UPDATE test_effect SET state = ?, status = ?, error_code = ?, error_message = ?,"
		" body = ? WHERE id = ?", &c->err);

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, ok ? "done" : "failed", -1, SQLITE_STATIC);
	if (cJSON_IsNumber(status))
		sqlite3_bind_int(st, 2, status->valueint);
	if (cJSON_IsString(code))
		sqlite3_bind_text(st, 3, code->valuestring, -1, SQLITE_STATIC);
	if (cJSON_IsString(msg))
		sqlite3_bind_text(st, 4, msg->valuestring, -1, SQLITE_STATIC);
	if (body)
		sqlite3_bind_text(st, 5, body, (int)(body_len > VALUE_MAX ? VALUE_MAX : body_len),
				  SQLITE_STATIC);
	sqlite3_bind_text(st, 6, subject, -1, SQLITE_STATIC);
	return db_step_done(c->db, st, &c->err);
}

int api_test_effect_get(struct call *c)
{
	sqlite3_stmt *st = db_prepare(c->db,
		"SELECT effect_id, state, status, error_code, error_message, body FROM test_effect"
		" WHERE id = ?", &c->err);
	cJSON *d;

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, param(c), -1, SQLITE_STATIC);
	switch (db_step_row(c->db, st, &c->err)) {
	case -1:
		return -1;
	case 0:
		return err_set(&c->err, ERR_NOT_FOUND, "id", "no probe '%s'", param(c));
	}
	d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "id", param(c));
	cJSON_AddStringToObject(d, "effect_id", (const char *)sqlite3_column_text(st, 0));
	cJSON_AddStringToObject(d, "state", (const char *)sqlite3_column_text(st, 1));
	static const char *const cols[] = {NULL, NULL, "status", "error_code", "error_message", "body"};
	for (int i = 2; i < 6; i++) {
		if (sqlite3_column_type(st, i) == SQLITE_NULL)
			cJSON_AddNullToObject(d, cols[i]);
		else if (i == 2)
			cJSON_AddNumberToObject(d, cols[i], sqlite3_column_int(st, i));
		else
			cJSON_AddStringToObject(d, cols[i], (const char *)sqlite3_column_text(st, i));
	}
	sqlite3_reset(st);
	return call_reply(c, 200, d);
}

/* GET opens a WebSocket (the host accepts it); each text frame is echoed back to its sender. */
int api_test_ws_echo(struct call *c)
{
	char text[VALUE_MAX + 1];
	cJSON *frame, *data;
	char *s;

	if (c->in->event == ENG_EV_REQUEST) {
		c->accept_websocket = "test-echo";
		return call_reply(c, 101, NULL);
	}
	if (c->in->body_len > VALUE_MAX)
		return err_set(&c->err, ERR_TOO_LARGE, NULL, "frames are at most %d bytes", VALUE_MAX);
	memcpy(text, c->in->body, c->in->body_len);
	text[c->in->body_len] = '\0';
	data = cJSON_CreateObject();
	cJSON_AddStringToObject(data, "echo", text);
	cJSON_AddNumberToObject(data, "at_ms", c->now_ms);
	s = json_print(data);
	cJSON_Delete(data);
	if (!s)
		return err_set(&c->err, ERR_INTERNAL, NULL, "out of memory");
	frame = cJSON_CreateObject();
	cJSON_AddStringToObject(frame, "to", "self");
	cJSON_AddStringToObject(frame, "data", s);
	cJSON_free(s);
	if (call_append(c, &c->ws, frame) < 0)
		return -1;
	return call_reply(c, 200, NULL);
}

/* Seed many beads in one call through the real create path (ids, labels, events), for the bench's
 * listing figures. Attributed to "bench". */
int api_test_beads_bulk(struct call *c)
{
	struct probe_body in = {0};
	int64_t count;
	char id[48], title[64];
	cJSON *d;

	if (call_fields(c, &in, sizeof in) < 0)
		return -1;
	count = in.count;
	snprintf(c->who.id, sizeof c->who.id, "bench");
	c->who.kind = PRINCIPAL_USER;
	for (int64_t i = 0; i < count; i++) {
		struct bead_fields f = {.title = title, .priority = (int)(i % 5), .type = i % 3 ? "task" : "bug"};

		snprintf(title, sizeof title, "bench bead %lld", (long long)i);
		if (bead_create(c, &f, id, sizeof id) < 0)
			return -1;
	}
	d = cJSON_CreateObject();
	cJSON_AddNumberToObject(d, "created", (double)count);
	return call_reply(c, 200, d);
}

int test_tick_fault(struct call *c)
{
	sqlite3_stmt *st;

	if (!c->cfg->test_hooks)
		return 0;
	st = db_prepare(c->db, "UPDATE test_kv SET value = CAST(value AS INTEGER) - 1, updated_ms = ?"
			       " WHERE key = 'fail_ticks' AND CAST(value AS INTEGER) > 0", &c->err);
	if (!st)
		return -1;
	sqlite3_bind_double(st, 1, c->now_ms);
	if (db_step_done(c->db, st, &c->err) < 0)
		return -1;
	return sqlite3_changes(db_handle(c->db)) > 0;
}

/* The bench's town: rigs of polecats, most of them working, and open beads on those rigs, one in
 * two blocked by an open bead. Rows as they are, written by their owners' *_seed: this is a
 * fixture, not a history. */
int api_test_reconciler_seed(struct call *c)
{
	struct probe_body in = {0};
	int64_t rigs, per_rig, working, beads;
	char id[72], rig[32], hook[96];

	if (call_fields(c, &in, sizeof in) < 0)
		return -1;
	rigs = in.rigs;
	per_rig = in.per_rig;
	working = in.working;
	beads = in.beads;
	for (int64_t r = 0; r < rigs; r++) {
		snprintf(rig, sizeof rig, "rig%lld", (long long)r);
		if (rig_seed(c, rig, per_rig > 0 ? per_rig : 1) < 0)
			return -1;
		for (int64_t a = 0; a < per_rig; a++) {
			snprintf(id, sizeof id, "p%lld-%lld", (long long)r, (long long)a);
			snprintf(hook, sizeof hook, "hooked-%s", id);
			if (agent_seed(c, id, rig, a < working ? hook : NULL) < 0)
				return -1;
		}
	}
	for (int64_t i = 0; i < beads; i++) {
		char dep[72];

		snprintf(id, sizeof id, "bb-%lld", (long long)i);
		snprintf(rig, sizeof rig, "rig%lld", (long long)(i % rigs));
		snprintf(dep, sizeof dep, "bb-%lld", (long long)(i - 1));
		if (bead_seed(c, id, (int)(i % 5), rig, i % 2 == 1 ? dep : NULL) < 0)
			return -1;
	}
	return call_reply(c, 200, NULL);
}

int api_test_tick(struct call *c)
{
	int n;
	cJSON *d;

	if (reconcile_dry_run(c, &n) < 0)
		return -1;
	d = cJSON_CreateObject();
	cJSON_AddNumberToObject(d, "actions", n);
	return call_reply(c, 200, d);
}

/* The town's report to the platform's figures now, as its timer would send it: its state after. */
int api_test_stats_report(struct call *c)
{
	cJSON *d;

	if (stats_report_fired(c, "report") < 0)
		return -1;
	d = cJSON_CreateObject();
	if (stats_report_state_json(c, d) < 0) {
		cJSON_Delete(d);
		return -1;
	}
	return call_reply(c, 200, d);
}

/* Ended outcomes for the stats' bench and tests: {count, key?: the seed}. */
int api_test_outcomes_seed(struct call *c)
{
	struct probe_body in = {0};
	cJSON *d;

	if (call_fields(c, &in, sizeof in) < 0)
		return -1;
	if (outcome_seed(c, in.count, in.key ? (uint32_t)strtoul(in.key, NULL, 10) : 1) < 0)
		return -1;
	d = cJSON_CreateObject();
	cJSON_AddNumberToObject(d, "seeded", (double)in.count);
	return call_reply(c, 200, d);
}
