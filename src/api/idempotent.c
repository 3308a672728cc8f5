/*
 * idempotent.c - POSTs sent with an Idempotency-Key: a client that lost the answer (a worker
 * restart cut the connection) sends the same request with the same key and gets the first answer
 * again instead of a second bead. The answer is kept only for a success, a day, per caller; a
 * refused call changed nothing, so its key may be used again. A key sent with another request (a
 * different path or body) is a client's bug: 409, and nothing runs.
 */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "sqlite3.h"

#define KEEP_MS (24 * 3600 * 1000.0)
#define KEY_MAX 128
#define DATA_MAX (256 * 1024) /* a larger answer is not kept: the call is then not repeatable */

static int key_valid(const char *k)
{
	size_t n = strlen(k);

	if (n < 1 || n > KEY_MAX)
		return 0;
	for (; *k; k++)
		if (*k < 0x21 || *k > 0x7e)
			return 0;
	return 1;
}

/* The request's body as a hex digest: a keyed digest of it, so any fixed key does. */
static int body_digest(struct call *c, char out[65])
{
	struct mac_part body = {c->in->body ? c->in->body : "", c->in->body_len};
	unsigned char mac[32];

	if (mac_hmac_sha256("idempotent", 10, &body, 1, mac) < 0)
		return err_set(&c->err, ERR_INTERNAL, NULL, "the body's digest could not be computed");
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", mac[i]);
	return 0;
}

/* 1 and the call answered when the key was used before by this caller for this request; 0 when
 * it is new; -1 (409 for another request under the key). */
static int replay(struct call *c, const char *key, const char *digest)
{
	sqlite3_stmt *st = db_prepare(c->db, "SELECT method, path, body_digest, status, data FROM idempotent_replies"
					     " WHERE caller = ? AND key = ? AND created_ms >= ?", &c->err);
	int rc, same, status;
	cJSON *data;

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, c->who.id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 3, c->now_ms - KEEP_MS);
	if ((rc = db_step_row(c->db, st, &c->err)) <= 0)
		return rc;
	same = strcmp((const char *)sqlite3_column_text(st, 0), c->method) == 0 &&
	       strcmp((const char *)sqlite3_column_text(st, 1), c->path) == 0 &&
	       strcmp((const char *)sqlite3_column_text(st, 2), digest) == 0;
	status = sqlite3_column_int(st, 3);
	data = same ? cJSON_Parse((const char *)sqlite3_column_text(st, 4)) : NULL;
	sqlite3_reset(st);
	if (!same)
		return err_set(&c->err, ERR_CONFLICT, "idempotency-key",
			       "this Idempotency-Key was sent with another request: use a new key for a new request");
	if (!data)
		return err_set(&c->err, ERR_INTERNAL, NULL, "the kept answer cannot be read");
	call_header(c, "idempotent-replayed", "true");
	return call_reply(c, status, data) < 0 ? -1 : 1;
}

static int keep(struct call *c, const char *key, const char *digest)
{
	char *data = c->data ? cJSON_PrintUnformatted(c->data) : NULL;
	sqlite3_stmt *st;
	int rc = -1;

	if (c->data && !data)
		return err_set(&c->err, ERR_INTERNAL, NULL, "out of memory");
	if (data && strlen(data) > DATA_MAX) {
		cJSON_free(data);
		return 0;
	}
	/* Old keys go as new ones come: a bounded table with no sweep of its own. */
	if ((st = db_prepare(c->db, "DELETE FROM idempotent_replies WHERE (caller, key) IN (SELECT caller, key"
				    " FROM idempotent_replies WHERE created_ms < ? LIMIT 16)", &c->err))) {
		sqlite3_bind_double(st, 1, c->now_ms - KEEP_MS);
		if (db_step_done(c->db, st, &c->err) == 0 &&
		    (st = db_prepare(c->db, "INSERT OR REPLACE INTO idempotent_replies(caller, key, method, path, body_digest,"
					    " status, data, created_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", &c->err))) {
			sqlite3_bind_text(st, 1, c->who.id, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 3, c->method, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 4, c->path, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 5, digest, -1, SQLITE_STATIC);
			sqlite3_bind_int(st, 6, c->status ? c->status : 200);
			sqlite3_bind_text(st, 7, data ? data : "null", -1, SQLITE_STATIC);
			sqlite3_bind_double(st, 8, c->now_ms);
			rc = db_step_done(c->db, st, &c->err);
		}
	}
	cJSON_free(data);
	return rc;
}

int idempotent_route(struct call *c, int (*handler)(struct call *c))
{
	const char *key = call_request_header(c, "idempotency-key");
	char digest[65];
	int rc = 0;

	/* A town's POSTs by a known caller; the platforms' deliveries dedupe by their own ids, and a
	 * route called from within another (MCP's tools) is kept by the outer call. */
	if (!key || c->cfg->kind != ENG_TOWN || strcmp(c->method, "POST") != 0 || !*c->who.id || c->who_verified)
		return handler(c);
	if (!key_valid(key))
		return err_set(&c->err, ERR_INVALID, "idempotency-key", "an Idempotency-Key is 1-%d printable characters", KEY_MAX);
	if (body_digest(c, digest) < 0)
		return -1;
	if ((rc = replay(c, key, digest)) != 0)
		return rc < 0 ? -1 : 0;
	if ((rc = handler(c)) < 0 || c->err.code || c->raw || (c->status && (c->status < 200 || c->status > 299)))
		return rc;
	return keep(c, key, digest);
}

int idempotent_wipe(struct call *c)
{
	return db_exec(c->db, "DELETE FROM idempotent_replies", &c->err);
}
