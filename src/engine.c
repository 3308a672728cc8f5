/*
 * engine.c - the entry points. eng_call() runs one event: parse the input, open the transaction,
 * apply missing migrations, dispatch, commit or roll back, work out the next alarm, and render the
 * output envelope. Every success and failure leaves through the same door (finish()), so an error
 * anywhere discards the call's writes, effects and WebSocket frames together.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "sqlite3.h"

struct eng {
	struct eng_config cfg; /* strings below are owned copies */
	struct db *db;
	struct jwt_verifier *jwt;
	struct auth_cache auth_cache;
	struct route_index *routes;          /* route.c's index, made once */
	char query_token[QUERY_TOKEN_MAX];   /* scratch for a WebSocket upgrade's ?token= */
	int migrated;
	int alarm_known; /* the host holds the alarm the engine last asked for (no change since) */
	char *out_meta; /* output of the last call, owned, freed by the next one */
	char *out_body;
};

static char *dup_or_null(const char *s)
{
	char *d;
	size_t n;

	if (!s)
		return NULL;
	n = strlen(s) + 1;
	d = malloc(n);
	if (d)
		memcpy(d, s, n);
	return d;
}

static const char *const kind_names[ENG_KINDS] = {"worker", "town", "org", "user", "stats", "log", "registry", "sync"};

const char *eng_kind_name(enum eng_kind kind)
{
	return (unsigned)kind < ENG_KINDS ? kind_names[kind] : "?";
}

int eng_kind_of(const char *name)
{
	for (int i = 0; name && i < ENG_KINDS; i++)
		if (strcmp(name, kind_names[i]) == 0)
			return i;
	return -1;
}

int eng_schema_target(enum eng_kind kind)
{
	size_t n;
	const struct migration *m = migrations_for(kind, &n);

	return n ? m[n - 1].number : 0;
}

int eng_open(const struct eng_config *cfg, struct eng **out, char *errbuf, size_t errlen)
{
	struct eng *e = calloc(1, sizeof *e);
	struct err err = {0};

	*out = NULL;
	if (!e) {
		snprintf(errbuf, errlen, "out of memory");
		return ENG_FATAL;
	}
	e->cfg = *cfg;
	e->cfg.object_id = dup_or_null(cfg->object_id);
	e->cfg.db_path = dup_or_null(cfg->db_path);
	e->cfg.vfs = dup_or_null(cfg->vfs);
	e->cfg.admin_token = dup_or_null(cfg->admin_token);
	e->cfg.container_secret = dup_or_null(cfg->container_secret);
	/* The JWT settings live on in the verifier; the copies in cfg are not kept. */
	e->cfg.jwt_secret = e->cfg.jwt_public_key = e->cfg.jwt_issuer = e->cfg.jwt_audience = NULL;
	if ((cfg->object_id && !e->cfg.object_id) || (cfg->db_path && !e->cfg.db_path) ||
	    (cfg->vfs && !e->cfg.vfs) || (cfg->admin_token && !e->cfg.admin_token) ||
	    (cfg->container_secret && !e->cfg.container_secret)) {
		snprintf(errbuf, errlen, "out of memory");
		eng_close(e);
		return ENG_FATAL;
	}
	if (!(e->routes = route_index_new())) {
		snprintf(errbuf, errlen, "out of memory");
		eng_close(e);
		return ENG_FATAL;
	}
	{
		struct jwt_config jc = {.hs256_secret = cfg->jwt_secret,
					.rs256_public_pem = cfg->jwt_public_key,
					.issuer = cfg->jwt_issuer,
					.audience = cfg->jwt_audience,
					.leeway_s = 60,
					/* A person's token: a day at most (docs/identity.md). */
					.max_lifetime_s = ENG_TOKEN_LIFETIME_MAX_S};
		if (jwt_verifier_new(&jc, &e->jwt, errbuf, errlen) < 0) {
			eng_close(e);
			return ENG_FATAL;
		}
	}
	if (cfg->kind != ENG_WORKER) {
		e->db = db_open(cfg->db_path ? cfg->db_path : "town.db", cfg->vfs, &err);
		if (!e->db) {
			snprintf(errbuf, errlen, "%s", err.message);
			eng_close(e);
			return ENG_FATAL;
		}
	}
	*out = e;
	return ENG_OK;
}

int eng_test_hold(struct eng *e)
{
	struct err err = {0};

	return e && e->db && db_hold(e->db, &err) == 0 ? ENG_OK : ENG_FATAL;
}

int eng_test_rewind(struct eng *e, int *changed)
{
	struct err err = {0};
	int rc = e && e->db ? db_rewind(e->db, &err) : -1;

	if (rc < 0)
		return ENG_FATAL;
	if (changed)
		*changed = rc;
	/* What eng_open leaves: nothing known of the host's alarm, no token remembered. (Whether the
	 * schema was checked stays: the check finds nothing to do on a built object, every time.) */
	e->alarm_known = 0;
	memset(&e->auth_cache, 0, sizeof e->auth_cache);
	return ENG_OK;
}

void eng_close(struct eng *e)
{
	if (!e)
		return;
	db_close(e->db);
	jwt_verifier_free(e->jwt);
	route_index_free(e->routes);
	free((char *)e->cfg.object_id);
	free((char *)e->cfg.db_path);
	free((char *)e->cfg.vfs);
	free((char *)e->cfg.admin_token);
	free((char *)e->cfg.container_secret);
	free(e->out_meta);
	free(e->out_body);
	free(e);
}

/* ---- the call lifecycle ------------------------------------------------------------------------ */

static int run_event(struct call *c)
{
	switch (c->in->event) {
	case ENG_EV_REQUEST:
		return route_dispatch(c);
	case ENG_EV_ALARM:
		if (!c->db)
			return err_set(&c->err, ERR_INVALID, NULL, "the worker has no alarm");
		/* What the alarm does, the town does: it is the actor on record. */
		snprintf(c->who.id, sizeof c->who.id, "town");
		if (effect_expire(c) < 0 || timer_run_due(c) < 0)
			return -1;
		return call_reply(c, 200, NULL);
	case ENG_EV_EFFECT_RESULT:
		if (!c->db)
			return err_set(&c->err, ERR_INVALID, NULL, "the worker makes no effects");
		/* An outcome the town reacts to (a requeue after a failed start) is the town's act. */
		snprintf(c->who.id, sizeof c->who.id, "town");
		if (effect_on_result(c) < 0)
			return -1;
		return call_reply(c, 200, NULL);
	case ENG_EV_WS_MESSAGE:
		return ws_message(c);
	}
	return err_set(&c->err, ERR_INVALID, NULL, "unknown event");
}

/* Build the response body: {"data": ...} on success, {"error": {...}} otherwise. */
static char *render_body(struct call *c)
{
	cJSON *root;
	char *s;

	if (c->raw) {
		if (!c->raw_body)
			return dup_or_null("");
		return json_print(c->raw_body);
	}
	root = cJSON_CreateObject();
	if (c->err.code != ERR_NONE) {
		cJSON *err = cJSON_AddObjectToObject(root, "error");
		cJSON_AddStringToObject(err, "code", err_name(c->err.code));
		cJSON_AddStringToObject(err, "message", c->err.message);
		if (c->err.field[0])
			cJSON_AddStringToObject(err, "field", c->err.field);
		if (c->err.reason[0])
			cJSON_AddStringToObject(err, "reason", c->err.reason);
	} else {
		cJSON_AddItemToObject(root, "data", c->data ? c->data : cJSON_CreateNull());
		c->data = NULL;
	}
	s = json_print(root);
	cJSON_Delete(root);
	return s;
}

/* Append the JSON of v (consumed) as "key":value to the meta text; 0 or -1 on OOM. */
static int meta_item(struct strbuf *sb, const char *key, cJSON *v)
{
	char *s = v ? json_print(v) : NULL;
	int rc = s ? strbuf_addf(sb, ",\"%s\":%s", key, s) : -1;

	cJSON_free(s);
	cJSON_Delete(v);
	return rc;
}

/* The meta is small and mostly fixed, so it is written as text rather than built as a tree. */
static char *render_meta(struct call *c, int status, int alarm_known, double next_alarm, int fatal)
{
	struct strbuf sb = {0};
	int rc;

	rc = strbuf_addf(&sb, "{\"status\":%d,\"headers\":{\"content-type\":"
			      "\"application/json; charset=utf-8\",\"cache-control\":\"no-store\"", status);
	/* A handler's own headers; each is a JSON string, so printing it escapes it. */
	if (c->headers) {
		const cJSON *h;

		cJSON_ArrayForEach(h, c->headers) {
			char *v = json_print(h);

			rc = rc < 0 || !v ? -1 : strbuf_addf(&sb, ",\"%s\":%s", h->string, v);
			cJSON_free(v);
		}
	}
	if (rc == 0)
		rc = strbuf_addf(&sb, "}");
	/* Empty lists are left out: most calls have none, and the host treats absent as empty. */
	if (rc == 0 && cJSON_GetArraySize(c->effects) > 0)
		rc = meta_item(&sb, "effects", c->effects), c->effects = NULL;
	if (rc == 0 && cJSON_GetArraySize(c->ws) > 0)
		rc = meta_item(&sb, "ws", c->ws), c->ws = NULL;
	if (rc == 0 && cJSON_GetArraySize(c->log) > 0)
		rc = meta_item(&sb, "log", c->log), c->log = NULL;
	/* Absent: leave the alarm as it is (the call changed nothing). 0: no alarm needed. */
	/* Whole milliseconds, as they nearly always are, print without %g's float formatting. */
	if (rc == 0 && alarm_known && next_alarm >= 0 && next_alarm < 9e15 && next_alarm == (double)(long long)next_alarm)
		rc = strbuf_addf(&sb, ",\"next_alarm_ms\":%lld", (long long)next_alarm);
	else if (rc == 0 && alarm_known)
		rc = strbuf_addf(&sb, ",\"next_alarm_ms\":%.17g", next_alarm);
	if (rc == 0 && fatal)
		rc = meta_item(&sb, "fatal",
			       cJSON_CreateString(c->err.message[0] ? c->err.message : "engine failure"));
	if (rc == 0 && c->accept_websocket && c->err.code == ERR_NONE) {
		/* The socket's kind, and whose it is, so it can be closed when their access ends. */
		cJSON *acc = cJSON_CreateObject(), *tags = cJSON_AddArrayToObject(acc, "tags");
		char user_tag[160];

		cJSON_AddItemToArray(tags, cJSON_CreateString(c->accept_websocket));
		if (c->who.kind != PRINCIPAL_NONE && c->who.id[0]) {
			snprintf(user_tag, sizeof user_tag, "user:%s", c->who.id);
			cJSON_AddItemToArray(tags, cJSON_CreateString(user_tag));
		}
		rc = meta_item(&sb, "accept_websocket", acc);
	}
	if (rc == 0 && cJSON_GetArraySize(c->ws_close) > 0)
		rc = meta_item(&sb, "ws_close", c->ws_close), c->ws_close = NULL;
	if (rc == 0 && c->forward)
		rc = meta_item(&sb, "forward", c->forward), c->forward = NULL;
	if (rc == 0 && c->proxy_websocket && c->err.code == ERR_NONE)
		rc = meta_item(&sb, "proxy_websocket", c->proxy_websocket), c->proxy_websocket = NULL;
	if (rc == 0 && c->proxy && c->err.code == ERR_NONE)
		rc = meta_item(&sb, "proxy", c->proxy), c->proxy = NULL;
	if (rc == 0 && c->pass && c->err.code == ERR_NONE)
		rc = meta_item(&sb, "pass", c->pass), c->pass = NULL;
	if (rc == 0)
		rc = strbuf_addf(&sb, "}");
	if (rc < 0) {
		free(sb.buf);
		return NULL;
	}
	return sb.buf;
}

static void call_release(struct call *c)
{
	cJSON_Delete(c->meta);
	cJSON_Delete(c->body);
	cJSON_Delete(c->data);
	cJSON_Delete(c->effects);
	cJSON_Delete(c->ws);
	cJSON_Delete(c->ws_close);
	cJSON_Delete(c->forward);
	cJSON_Delete(c->proxy_websocket);
	cJSON_Delete(c->proxy);
	cJSON_Delete(c->pass);
	cJSON_Delete(c->log);
	cJSON_Delete(c->headers);
	cJSON_Delete(c->raw_body);
}

/* Transaction, migrations, dispatch. Returns ENG_FATAL when storage failed (not for bad input). */
static int run_in_transaction(struct eng *e, struct call *c, int *alarm_known, double *next_alarm)
{
	if (db_begin(e->db, &c->err) < 0)
		return ENG_FATAL;
	if (!e->migrated) {
		size_t n;
		const struct migration *m = migrations_for(e->cfg.kind, &n);
		int version;

		if (migrate_apply(e->db, m, n, &version, &c->err) < 0) {
			db_rollback(e->db);
			return ENG_FATAL;
		}
	}
	/* The host rolls its storage back on any status >= 400, so the engine must too. The next
	 * alarm is worked out again only when something that decides it changed: the platform clears
	 * the alarm when it fires, and a new instance does not know what the host holds. */
	if (c->in->event == ENG_EV_ALARM || !e->alarm_known)
		c->alarm_dirty = 1;
	/* An error recorded by a handler that still returned 0 is a failure too: its answer is the
	 * error's status, so the host rolls back, and the engine must not have committed. */
	if (run_event(c) == 0 && c->err.code == ERR_NONE && c->status < 400 && !c->discard &&
	    (!c->alarm_dirty || timer_next_alarm(c, next_alarm) == 0)) {
		if (db_commit(e->db, &c->err) < 0) {
			db_rollback(e->db);
			return ENG_FATAL;
		}
		e->migrated = 1;
		*alarm_known = c->alarm_dirty;
		e->alarm_known = 1;
		return ENG_OK;
	}
	db_rollback(e->db);
	/* Keep nothing of a failed call: its effects were rolled back with the outbox rows. */
	cJSON_Delete(c->effects);
	cJSON_Delete(c->ws);
	cJSON_Delete(c->ws_close);
	c->effects = c->ws = c->ws_close = NULL;
	/* A dry run answers what it found; storage is as it was (not even a commit's counter moved). */
	if (c->discard && c->err.code == ERR_NONE && c->status < 400 && c->in->event == ENG_EV_REQUEST)
		return ENG_OK;
	/* A failed alarm is fatal so the platform retries it: answering it would lose the alarm. */
	return c->err.code == ERR_INTERNAL || c->in->event == ENG_EV_ALARM ? ENG_FATAL : ENG_OK;
}

int eng_call(struct eng *e, const struct eng_input *in, struct eng_output *out)
{
	struct call c = {0};
	int rc = ENG_OK, alarm_known = 0, status;
	double next_alarm = 0;

	free(e->out_meta);
	free(e->out_body);
	e->out_meta = e->out_body = NULL;
	memset(out, 0, sizeof *out);

	c.eng = e;
	c.db = e->db;
	c.cfg = &e->cfg;
	c.in = in;
	c.now_ms = in->now_ms;
	c.jwt = e->jwt;
	c.auth_cache = &e->auth_cache;
	c.routes = e->routes;
	c.query_token = e->query_token;
	c.meta = in->meta_len ? json_parse_exact(in->meta, in->meta_len) : cJSON_CreateObject();
	if (!c.meta || !cJSON_IsObject(c.meta))
		err_set(&c.err, ERR_INVALID, NULL, "the host sent malformed input meta");
	else if (!e->db)
		run_event(&c);
	else
		rc = run_in_transaction(e, &c, &alarm_known, &next_alarm);

	status = c.err.code != ERR_NONE ? err_http_status(c.err.code) : (c.status ? c.status : 200);
	e->out_body = render_body(&c);
	e->out_meta = render_meta(&c, status, alarm_known, next_alarm, rc != ENG_OK);
	out->trap_after_commit = c.trap_after_commit && rc == ENG_OK;
	call_release(&c);
	if (!e->out_body || !e->out_meta)
		return ENG_FATAL;
	out->meta = e->out_meta;
	out->meta_len = strlen(e->out_meta);
	out->body = e->out_body;
	out->body_len = strlen(e->out_body);
	return rc;
}
