/*
 * core/core.h - the engine's core: errors, the database and its migrations, the per-call context, JSON,
 * request bodies' field tables, UTF-8, JWT, query strings, ids, timers, effects and sockets. Depends on
 * nothing else of the engine.
 */
#ifndef GASTOWN_CORE_H
#define GASTOWN_CORE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "cJSON.h"
#include "engine.h"

typedef struct sqlite3 sqlite3;
typedef struct sqlite3_stmt sqlite3_stmt;

/* ---- err.c ------------------------------------------------------------------------------------ */

/* The closed set of error codes; each maps to one HTTP status and one stable name (err.c). */
enum err_code {
	ERR_NONE = 0,
	ERR_BAD_JSON,        /* 400 body is not JSON (or not an object) */
	ERR_INVALID,         /* 400 a field is missing, of the wrong type or out of range */
	ERR_UNAUTHENTICATED, /* 401 */
	ERR_FORBIDDEN,       /* 403 */
	ERR_NOT_FOUND,       /* 404 unknown route or object */
	ERR_METHOD,          /* 405 route exists, method does not */
	ERR_CONFLICT,        /* 409 */
	ERR_TOO_LARGE,       /* 413 body or list over its limit */
	ERR_RATE_LIMITED,    /* 429 */
	ERR_INTERNAL         /* 500 storage or engine failure */
};

struct err {
	enum err_code code;
	char field[64];    /* JSON path of the input at fault, "" if none */
	char reason[32];   /* finer stable code, e.g. why a token was refused ("expired"), or "" */
	char message[256];
};

/* Record the first error of a call (later ones are ignored so the root cause is reported).
 * field may be NULL. Always returns -1 so callers can `return err_set(...)`. */
int err_set(struct err *e, enum err_code code, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Take e when it holds the expected code: 1 and e cleared, for the places where that failure means
 * "absent" (an optional lookup) or is restated in the caller's words; 0 and e untouched otherwise:
 * no error, or another one, which stays the call's error (a storage failure is never "not found").
 * With err_move, the only way an error is cleared: no file clears one by hand
 * (scripts/check-errors.sh). */
int err_take(struct err *e, enum err_code code);
/* Hand the whole error over: *to = *from, from cleared. For work undone as a unit that the call
 * outlives (a rolled-back reconciler tick, which logs why). */
void err_move(struct err *to, struct err *from);
int err_http_status(enum err_code code);
const char *err_name(enum err_code code);

/* ---- db.c ------------------------------------------------------------------------------------- */

struct db;

/* Open (creating if needed) the database with the engine's pragmas. Returns NULL and fills e. */
struct db *db_open(const char *path, const char *vfs, struct err *e);
void db_close(struct db *db);
sqlite3 *db_handle(struct db *db);

/* A cached prepared statement for sql (a string literal: cached by address), reset and with its
 * bindings cleared. Borrowed: valid until db_close. NULL with e set on failure. */
sqlite3_stmt *db_prepare(struct db *db, const char *sql, struct err *e);
/* Run SQL text that returns no rows (several statements allowed). */
int db_exec(struct db *db, const char *sql, struct err *e);
/* One statement without parameters, prepared once and cached (a savepoint run on every call). */
int db_run(struct db *db, const char *sql, struct err *e);
int db_begin(struct db *db, struct err *e);
int db_commit(struct db *db, struct err *e);
void db_rollback(struct db *db);
/* Testing (eng_test_hold): hold one transaction open; calls' transactions become savepoints in it.
 * db_rewind rolls it back and holds a new one: 1 when a committed call had changed rows, 0 when
 * none had, -1 with e set on failure. */
int db_hold(struct db *db, struct err *e);
int db_rewind(struct db *db, struct err *e);
/* Step a statement that returns no rows; -1 with e set on failure. */
int db_step_done(struct db *db, sqlite3_stmt *st, struct err *e);
/* Step a statement that reads: 1 with a row (read its columns, then reset st), 0 when there is
 * none (st reset), -1 with e set through db_fail when the step failed (st reset). Every read steps
 * through here, so a storage failure is the call's 500 and never taken for "not found". */
int db_step_row(struct db *db, sqlite3_stmt *st, struct err *e);
/* db_step_row for one integer: *out = column 0 when there is a row, untouched when there is none;
 * st is reset either way. 1, 0 or -1 as db_step_row. */
int db_step_int(struct db *db, sqlite3_stmt *st, int64_t *out, struct err *e);
/* db_step_row for a statement that runs text the caller wrote (an FTS5 query bound to MATCH): a
 * plain SQLITE_ERROR is that text's fault, ERR_INVALID on field with SQLite's reason; a failure of
 * storage or memory is still the call's 500. */
int db_step_query(struct db *db, sqlite3_stmt *st, const char *field, struct err *e);
/* Map the connection's last failure to e (ERR_INTERNAL, or ERR_CONFLICT for constraints). */
int db_fail(struct db *db, struct err *e, const char *what);
/* 1 when the transaction db_begin opened has met a failure of storage or memory (SQLITE_NOMEM,
 * SQLITE_IOERR, ...) rather than of a statement. Work undone to a savepoint while the call goes on
 * (a reconciler tick, a webhook delivery, a route run by MCP) must not absorb such a failure: the
 * call fails as a whole (ENG_FATAL), and the host retries it on a fresh instance. */
int db_broken(struct db *db);
/* Run a statement (sql, a literal) with one text parameter ?1 that returns no rows. */
int db_exec_text(struct db *db, const char *sql, const char *arg, struct err *e);
/* 1 if "SELECT count(*) ... ?1" (sql, a literal) counts anything for arg, 0 if not, -1 on failure. */
int db_exists(struct db *db, const char *sql, const char *arg, struct err *e);
/* The first column of sql's (a literal's) first row for ?1 = arg, as text into out ("" for NULL):
 * 1, 0 without a row (out untouched), -1 on failure. */
int db_text(struct db *db, const char *sql, const char *arg, char *out, size_t len, struct err *e);
/* Step st (prepared and bound; NULL passes through) to the end, one row(st) per row, into a new
 * array; NULL with e set when a step fails, so a failed read is never a short list. */
cJSON *db_list(struct db *db, sqlite3_stmt *st, cJSON *(*row)(sqlite3_stmt *st), struct err *e);
/* Run a single-integer query (e.g. a PRAGMA); *out = 0 when it returns no row. */
int db_query_int(struct db *db, const char *sql, int64_t *out, struct err *e);
/* Add column col of the current row to o as key k: its text, or null when the column is NULL. */
void db_column_to_json(cJSON *o, const char *k, sqlite3_stmt *st, int col);
/* Step st (prepared and bound) for one row and add its columns to obj as names[i] (NULL-terminated,
 * one per column): null, an integer as a number, anything else as text. 1 with a row, 0 without
 * (obj untouched), -1 with e set; st is reset either way. */
int db_row_into(struct db *db, sqlite3_stmt *st, cJSON *obj, const char *const *names, struct err *e);

/* ---- migrate.c -------------------------------------------------------------------------------- */

struct migration {
	int number;
	const char *name;
	const char *sql;
};

/* Embedded migrations of a kind (generated from migrations/<kind>/NNNN_name.sql at build time). */
const struct migration *migrations_for(enum eng_kind kind, size_t *count);

/* Apply the migrations above the recorded version, in order, inside the caller's transaction;
 * each is recorded in schema_migrations. On failure nothing of the failing call may be kept: the
 * caller rolls back. *version receives the resulting schema version. */
int migrate_apply(struct db *db, const struct migration *list, size_t count, int *version,
		  struct err *e);
int migrate_version(struct db *db, int *version, struct err *e);

/* Who is calling. Strings are copies held by the call. */
enum principal_kind { PRINCIPAL_NONE = 0, PRINCIPAL_OPERATOR, PRINCIPAL_USER, PRINCIPAL_AGENT };

struct principal {
	enum principal_kind kind;
	char id[129];    /* the user's or agent's id: the token's "sub" */
	char requested_by[129]; /* an agent: the human at the root of the work it was given */
	int on_message;          /* the Mayor acting on requested_by's message (x-gastown-on-message) */
	int64_t token_gen;       /* an agent: the generation its token was minted in */
	double token_orig_iat;   /* an agent: when the first token of this refresh chain was minted (s) */
	char name[129];
	char email[255];
};

/* The engine remembers the last token it verified (clients send the same one again and again):
 * its SHA-256, whom it names, and until when it holds. Owned by the engine, used by auth.c. */
struct auth_cache {
	unsigned char digest[32];
	int valid;
	double until_ms;       /* the token's exp (no leeway) */
	struct principal who;
};

/* ---- engine.c: the per-call context and its helpers -------------------------------------------- */

struct eng_state; /* struct eng, seen from inside */

/* Everything one entry point owns; released in one place (call_release) at the end of eng_call. */
struct route_index;

struct call {
	struct eng *eng;
	struct db *db;
	const struct eng_config *cfg;
	const struct eng_input *in;
	double now_ms;
	struct err err;

	/* request (ENG_EV_REQUEST) */
	cJSON *meta;             /* parsed input meta (owned) */
	const char *method;      /* borrowed from meta */
	const char *path;
	const char *seg[8];      /* path segments, borrowed copies in segbuf */
	unsigned short seglen[8]; /* their lengths */
	int nseg;
	char segbuf[1024];
	cJSON *body;             /* parsed JSON body, lazily (owned) */
	const struct fields *fields; /* the route's body fields, or NULL (set by route_dispatch) */

	/* response */
	int status;
	cJSON *data;             /* success payload, wrapped as {"data": ...} (owned) */
	cJSON *effects;          /* array of effect requests emitted by this call (owned, or NULL) */
	cJSON *ws;               /* array of WebSocket frames to send (owned, or NULL) */
	cJSON *ws_close;         /* array of {tag, code, reason}: sockets to close (owned, or NULL) */
	cJSON *forward;          /* ENG_WORKER: {"kind","id"} to hand the request to a DO (owned) */
	cJSON *proxy_websocket;  /* {"url","headers"}: join this upgrade to a socket opened there (owned) */
	cJSON *proxy;            /* {"into","tries":[{url,headers,timeout_ms,set}]}: the shim fills data[into]
				  * with the first 2xx answer of the tries, in order (owned; docs/host-abi.md) */
	cJSON *pass;             /* {"url","headers"}: hand this request, let in here, on to that object
				  * (do://); its answer is the client's (owned; docs/host-abi.md) */
	cJSON *log;              /* array of structured log lines (owned, or NULL) */
	cJSON *headers;          /* response headers beyond the content type (owned, or NULL) */
	int raw;                 /* the body is raw_body itself, not the {"data"}/{"error"} envelope */
	cJSON *raw_body;         /* with raw: the body (owned; NULL for none), error or not */
	int trap_after_commit;
	const char *accept_websocket; /* accept this request's WebSocket upgrade with this tag, or NULL */
	int alarm_dirty;         /* timers or pending effects changed: work out the next alarm again */
	int discard;             /* a dry run: the answer goes out, nothing of the call is kept */
	uint32_t rand_counter;   /* blocks of randomness drawn so far (id.c) */

	const struct jwt_verifier *jwt; /* the engine's, borrowed */
	struct auth_cache *auth_cache;  /* the engine's last verified token, borrowed */
	char *query_token;       /* a WebSocket upgrade's ?token=, decoded (engine scratch, 4096 bytes) */
	const struct route_index *routes; /* the engine's route index (route.c) */
	struct principal who;    /* filled by auth.c for routes that require a caller */
	int who_verified;        /* route_call: who was verified by the enclosing call; auth.c checks
				  * only that the kind of caller fits the route */
};

#define QUERY_TOKEN_MAX 4096
#define AUTH_TOKEN_MAX 8192 /* the longest bearer token taken (jwt.c's limit is the same) */
/* The bearer token presented by the request, or NULL. Borrowed from meta. The scheme is matched
 * without regard to case. NULL with ERR_INVALID (field "authorization") when the token is longer
 * than AUTH_TOKEN_MAX. */
const char *call_bearer(struct call *c);
/* Set a success response: status and payload (ownership of data passes to the call). */
int call_reply(struct call *c, int status, cJSON *data);
/* Answer with body as it is, outside the envelope (ownership passes to the call; NULL: no body).
 * A protocol with its own envelope (MCP's JSON-RPC) answers so, its errors included: the status
 * comes from c->err when it is set, else from status. */
int call_reply_raw(struct call *c, int status, cJSON *body);
/* Where the call's output lists stand, to undo what a unit of work added (a rolled-back savepoint
 * must not leave its effects, frames or closes behind). */
struct call_mark {
	int effects, ws, ws_close;
};
void call_mark(const struct call *c, struct call_mark *m);
void call_undo(struct call *c, const struct call_mark *m);
/* A unit of work inside the call (a reconciler tick, a webhook delivery, a route run by MCP) failed:
 * undo it alone, to the savepoint rollback (a literal "ROLLBACK TO x") names and with what it added
 * to the output lists since m, and move its error into why, so the call goes on. -1 when it cannot
 * be undone alone: storage or memory failed under it (db_broken: c->err stays the whole call's, the
 * host retries on a fresh instance), or the rollback failed. */
int call_undo_to(struct call *c, const char *rollback, const struct call_mark *m, struct err *why);
/* A request header's value, or NULL (names in lower case, as the host passes them). Borrowed. */
const char *call_request_header(const struct call *c, const char *name);
/* Add a response header (name in lower case). */
int call_header(struct call *c, const char *name, const char *value);
/* Append a structured log line {level, msg, ...fields} (fields owned by the call afterwards). */
void call_log(struct call *c, const char *level, const char *msg, cJSON *fields);
/* The human at the root of the caller's chain of work: a person is their own root; an agent's
 * requests carry the root of the work they were given (agent tokens, later). */
const char *call_requested_by(struct call *c);
/* Append item (consumed) to one of the call's output lists, making the list on first use.
 * -1 with ERR_INTERNAL on OOM. */
int call_append(struct call *c, cJSON **list, cJSON *item);
/* Parse the request body as a JSON object, once; NULL with c->err set when it is not one. */
cJSON *call_body_object(struct call *c);
/* Read the body against the route's field table (c->fields, fields.c) into out, a struct of
 * out_size bytes: fields_read's answer, after call_body_object's when the body is not an object.
 * ERR_INTERNAL when the route declares no table. */
int call_fields(struct call *c, void *out, size_t out_size);

/* ---- json.c ----------------------------------------------------------------------------------- */

/* Typed field readers, for what the host sends (meta): 0 on success; -1 with e set (ERR_INVALID,
 * field = name) when the field is missing (and required), of the wrong type or out of range.
 * Strings are borrowed from obj. A request body is read through its route's table (fields.c), whose
 * messages are these. */
int json_string(const cJSON *obj, const char *name, int required, size_t max_len, const char **out,
		struct err *e);
int json_int(const cJSON *obj, const char *name, int required, int64_t min, int64_t max,
	     int64_t *out, struct err *e);
/* Parse exactly one JSON value filling buf[0..len) (whitespace around it allowed); NULL otherwise.
 * For text the engine or the host made (meta); what a client sends goes through json_parse_strict. */
cJSON *json_parse_exact(const char *buf, size_t len);
/* Parse a client's JSON text (a request body, a WebSocket frame) as RFC 8259 and RFC 3629 want it,
 * so that what is stored is what was sent: exactly one value; valid UTF-8; no unescaped control
 * character and no \u0000 in a string (cJSON would cut the string there); no key twice in one
 * object (cJSON would keep the first). The tree is the caller's. NULL with e set: ERR_BAD_JSON when
 * it is not JSON, ERR_INVALID naming the field (JSON path, e.g. "metadata.k" or "labels[2]") for
 * the rest; ERR_INTERNAL on OOM. */
cJSON *json_parse_strict(const char *buf, size_t len, struct err *e);
/* A growable text buffer; buf is malloc'd (the owner frees it) and always NUL-terminated once
 * something was added. strbuf_addf appends printf-style; 0, or -1 on OOM (buf stays valid). */
struct strbuf {
	char *buf;
	size_t len, cap;
};
int strbuf_addf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Render v (not consumed) as compact JSON into a fresh malloc'd string; NULL on OOM. */
char *json_print(const cJSON *v);

/* ---- fields.c --------------------------------------------------------------------------------- */

/* A request body is read from one declarative table per route: a struct field_rule per field,
 * checked by fields_read. The same tables are what tests/native/test_openapi.c compares
 * docs/openapi.json against, so a limit changed here cannot drift from the spec. Keys no rule names
 * are ignored (as they always were). */

enum field_type {
	FT_STRING, /* out const char * (borrowed); min..max: length in bytes (max 0: no bound) */
	FT_INT,    /* out int64_t; an integral number from min to max */
	FT_NUMBER, /* out double; a number from min to max (both 0: any number) */
	FT_BOOL,   /* out int, 0 or 1 */
	FT_OBJECT, /* out const cJSON *; max: bytes as JSON (0: no bound); of: every member's value;
		    * fields: its known members */
	FT_ARRAY,  /* out const cJSON *; min..max: items (max 0: no bound); of: each item */
	FT_SCALAR, /* out const cJSON *; a string, number, boolean or null */
	FT_ANY,    /* out const cJSON *; any value: a key the route knows and passes on unchecked */
};

/* Null, for FT_STRING, FT_INT and FT_NUMBER, reads as absent (json_string and json_int always read
 * it so); for the other types it is a wrong type, unless FR_NULL. */
#define FR_REQUIRED 1u /* absent is a fault */
#define FR_NULL 2u     /* null is allowed and means something (the spec says "or null"); it reads as absent */
#define FR_UNIQUE 4u   /* FT_ARRAY: no string item twice (each pair is compared: give it a max) */
#define FR_DEFAULT 8u  /* FT_INT, FT_NUMBER: absent (or null) reads as def */

/* What is wrong with a value; each has a generic message, which a rule may replace. */
enum field_fault {
	FF_ANY,     /* a rule's message for every fault it has no message of its own for, its nested rules' too */
	FF_MISSING, /* required and absent */
	FF_TYPE,    /* not the rule's type */
	FF_SHORT,   /* a string shorter than min ("'x' must not be empty" when min is 1) */
	FF_LONG,    /* a string longer than max */
	FF_RANGE,   /* a number outside min..max, or not integral for FT_INT */
	FF_ENUM,    /* a string that is none of one_of */
	FF_FORM,    /* a string valid() refuses */
	FF_FEW,     /* an array with fewer than min items */
	FF_MANY,    /* an array with more than max items (413 too_large) */
	FF_DUP,     /* an item twice in an FR_UNIQUE array */
	FF_BIG,     /* an object larger than max bytes as JSON (413 too_large) */
	FF_COUNT
};

struct fields;

/* One field. Messages are templates: %n the rule's name, %v the value at fault (a string), %i the
 * index of the array item it is in, %l and %u the rule's min and max, %e one_of as "a, b or c",
 * %% a percent sign. A fault is reported as ERR_INVALID (ERR_TOO_LARGE for FF_MANY and FF_BIG)
 * naming field: the nearest rule's .field on the way down (a template too, for %i), else the
 * top-level name. */
struct field_rule {
	const char *name;             /* the key; NULL for an array's item */
	enum field_type type;
	size_t out;                   /* 1 + where the value goes in the caller's struct (the F_* macros); 0: nowhere */
	unsigned flags;               /* FR_* */
	int64_t min, max;             /* see enum field_type */
	const char *const *one_of;    /* FT_STRING: the values allowed, NULL-terminated; NULL: any */
	int (*valid)(const char *s);  /* FT_STRING: a form no bound or list says (a grammar); 0 is FF_FORM */
	const struct field_rule *of;  /* FT_ARRAY: each item; FT_OBJECT: every member's value */
	const struct fields *fields;  /* FT_OBJECT: its known members */
	int64_t def;                  /* FR_DEFAULT: the value of an absent field */
	const char *field;            /* the error's field when not the top-level name */
	const char *msg[FF_COUNT];    /* messages replacing the generic ones, by fault */
};

/* A table: a route's body, an item's members. size is sizeof the struct the rules' outputs are in
 * (checked against the caller's); optional: an empty body reads as {} (a route's body only). */
struct fields {
	const struct field_rule *rule;
	size_t n;
	size_t size;
	int optional;
};

/* The type of a rule and where its value goes, checked against the member's type at compile time:
 * {"name", F_STR(struct x, name), flags, min, max, ...}. */
#define FIELD_AT_(st, m, t) (1 + _Generic(((st *)0)->m, t: offsetof(st, m)))
#define F_STR(st, m) .type = FT_STRING, .out = FIELD_AT_(st, m, const char *)
#define F_INT(st, m) .type = FT_INT, .out = FIELD_AT_(st, m, int64_t)
#define F_NUM(st, m) .type = FT_NUMBER, .out = FIELD_AT_(st, m, double)
#define F_BOOL(st, m) .type = FT_BOOL, .out = FIELD_AT_(st, m, int)
#define F_OBJ(st, m) .type = FT_OBJECT, .out = FIELD_AT_(st, m, const cJSON *)
#define F_ARR(st, m) .type = FT_ARRAY, .out = FIELD_AT_(st, m, const cJSON *)
#define F_SCALAR(st, m) .type = FT_SCALAR, .out = FIELD_AT_(st, m, const cJSON *)
#define F_ANY(st, m) .type = FT_ANY, .out = FIELD_AT_(st, m, const cJSON *)
/* A table over rules[], filling a struct st (or with `optional` set, a body that may be empty). */
#define FIELDS(rules, st) {rules, sizeof rules / sizeof rules[0], sizeof(st), 0}
#define FIELDS_OPTIONAL(rules, st) {rules, sizeof rules / sizeof rules[0], sizeof(st), 1}
/* A table only checked, never read into a struct (an object's members). */
#define FIELDS_CHECK(rules) {rules, sizeof rules / sizeof rules[0], 0, 0}

/* 1 when s is one of list's strings (NULL-terminated), 0 when not. */
int str_in_list(const char *s, const char *const *list);
/* Check obj (NULL reads as {}) against every rule of f, in order, and store each field given into
 * out, a struct of out_size bytes (f->size; out may be NULL to check only). A field absent leaves
 * its member as it was: defaults are the caller's initializer, or a rule's def. Strings and items
 * are borrowed from obj. 0, or -1 with e set: the first fault (ERR_INVALID, ERR_TOO_LARGE), or
 * ERR_INTERNAL when out_size is not the table's. */
int fields_read(const cJSON *obj, const struct fields *f, void *out, size_t out_size, struct err *e);
/* The rule of f named name, or NULL. */
const struct field_rule *fields_rule(const struct fields *f, const char *name);
/* f as a JSON Schema object ({"type":"object","properties":...,"required":[...]}), for clients that
 * describe a body before sending it (MCP tools). NULL when out of memory. */
cJSON *fields_schema(const struct fields *f);
/* One rule's schema, without its name (a member of "properties"). */
cJSON *fields_rule_schema(const struct field_rule *r);

/* ---- utf8.c ----------------------------------------------------------------------------------- */

/* Length (1-4) of the valid UTF-8 sequence (RFC 3629) at p, which has avail >= 1 bytes; 0 when it
 * is not one: a stray continuation byte, an overlong form, a surrogate, past U+10FFFF, or cut short. */
size_t utf8_seq_len(const unsigned char *p, size_t avail);
/* The offset of the first byte of s[0..n) that is not valid UTF-8, or n when all of it is. */
size_t utf8_check(const char *s, size_t n);
/* The length of s[0..n) without a last character that n cut short (valid UTF-8 cut anywhere). */
size_t utf8_trim(const char *s, size_t n);
/* Copy src into dst[cap] (cap >= 1), cut between characters when it does not fit. */
void utf8_copy(char *dst, size_t cap, const char *src);

/* ---- jwt.c ------------------------------------------------------------------------------------ */

enum jwt_result {
	JWT_OK = 0,
	JWT_MALFORMED,       /* not three base64url segments of JSON objects, or a required claim missing */
	JWT_ALG_NOT_ALLOWED, /* alg is not one this deployment accepts ("none" never is) */
	JWT_BAD_SIGNATURE,
	JWT_EXPIRED,
	JWT_NOT_YET_VALID,
	JWT_WRONG_ISSUER,
	JWT_WRONG_AUDIENCE,
	JWT_TOO_LONG_LIVED   /* exp further past iat (or now) than the verifier's max_lifetime_s */
};

struct jwt_config {
	const char *hs256_secret;     /* accept HS256 with this key (>= 32 bytes); NULL/"" disables */
	size_t hs256_secret_len;      /* its length when it is binary; 0: strlen */
	const char *rs256_public_pem; /* accept RS256 with this RSA public key (PEM); NULL/"" disables */
	const char *issuer;           /* require this "iss"; NULL/"" accepts any */
	const char *audience;         /* require this in "aud"; NULL/"" accepts any */
	int leeway_s;                 /* clock skew allowed on exp and nbf */
	int max_lifetime_s;           /* refuse exp more than this past iat (or now); 0: no cap */
};

struct jwt_verifier;

/* Build a verifier; -1 with a reason in errbuf for a weak secret or an unusable key. */
int jwt_verifier_new(const struct jwt_config *cfg, struct jwt_verifier **out, char *errbuf,
		     size_t errlen);
void jwt_verifier_free(struct jwt_verifier *v);
/* 1 when at least one algorithm is configured. */
int jwt_verifier_enabled(const struct jwt_verifier *v);
/* Verify token at now_ms. On JWT_OK *claims is the payload object (the caller deletes it). */
enum jwt_result jwt_verify(const struct jwt_verifier *v, const char *token, double now_ms,
			   cJSON **claims);
/* Sign claims (an object, not consumed) as an HS256 JWT with key; the token is malloc'd (caller
 * frees with cJSON_free), NULL on failure. kid, when given, goes in the header. */
char *jwt_sign_hs256(const unsigned char *key, size_t key_len, const char *kid, const cJSON *claims);
/* Sign claims as an RS256 JWT with the RSA private key in pem (PKCS#1 or PKCS#8); rng feeds the
 * blinding of the private operation. The token is malloc'd (cJSON_free), NULL when the key does not
 * parse or signing failed. */
char *jwt_sign_rs256(const char *pem, const cJSON *claims, int (*rng)(void *, unsigned char *, size_t), void *rng_ctx);
/* The unverified "kid" of a token's header into out: 1 if present. Only for choosing which key
 * verifies the token; nothing else may trust it. */
int jwt_header_kid(const char *token, char *out, size_t len);
/* The stable name of a result ("expired", "bad_signature", ...). */
const char *jwt_result_name(enum jwt_result r);
/* The issuer v requires of people's tokens, or NULL (none configured). */
const char *jwt_verifier_issuer(const struct jwt_verifier *v);

/* ---- query.c ---------------------------------------------------------------------------------- */

/* The query parameter name, decoded into out: 1 when present, 0 when absent, -1 (ERR_INVALID) when
 * malformed or longer than len - 1. */
int query_get(struct call *c, const char *name, char *out, size_t len);
/* The parameter as a number in [min, max] (1 present, 0 absent, -1 ERR_INVALID). */
int query_int(struct call *c, const char *name, int64_t min, int64_t max, int64_t *out);
/* The parameter as true/false (1 present, 0 absent, -1 ERR_INVALID). */
int query_bool(struct call *c, const char *name, int *out);
/* in percent-escaped for one path segment or query value (all but A-Z a-z 0-9 - . _ ~), into out,
 * cut short (between escapes) when it does not fit. */
void query_escape(const char *in, char *out, size_t len);

/* ---- timer.c ---------------------------------------------------------------------------------- */

/* Timers drive the alarm: the engine asks the host for an alarm at the earliest due timer.
 * Kinds and keys are shorter than these (ERR_INVALID otherwise). */
#define TIMER_KIND_MAX 32
#define TIMER_KEY_MAX 160
int timer_set(struct call *c, const char *kind, const char *key, double due_ms);
/* The same, but a timer already due sooner keeps its time (many changes, one run). */
int timer_set_earlier(struct call *c, const char *kind, const char *key, double due_ms);
/* Run every timer due at c->now_ms (each at most once), deleting it first. */
int timer_run_due(struct call *c);
/* Earliest time anything is due (timers, effect deadlines), or 0 for none. */
int timer_next_alarm(struct call *c, double *out_ms);
/* How many timers are set (the debug storage route). */
int timer_count(struct call *c, int64_t *n);
/* Delete every timer (the town's deletion: town_deleting in wiring.c). The alarm is left as it is:
 * when it fires it finds nothing due. */
int timer_wipe(struct call *c);

/* ---- effect.c --------------------------------------------------------------------------------- */

#define EFFECT_PURPOSE_MAX 32
#define EFFECT_SUBJECT_MAX 160 /* a user id is up to 128 */

struct effect_req {
	const char *purpose; /* who handles the result: names a handler in effect.c's table */
	const char *subject; /* the purpose's own key (e.g. a probe id) */
	const char *method;
	const char *url;
	cJSON *headers;      /* object or NULL; not consumed */
	const char *body;    /* NULL for none */
	int timeout_ms;
};

/* Record an outbound call in the outbox and emit it to the host; *id_out (>= 32 bytes) gets its id. */
int effect_submit(struct call *c, const struct effect_req *r, char *id_out, size_t id_len);
/* Apply a result fed back by the host (ENG_EV_EFFECT_RESULT). Unknown or already resolved ids are
 * ignored: results can repeat after an eviction. */
int effect_on_result(struct call *c);
/* The HTTP status of a result: its "status" when a number from 100 to 599, else 0 (a call that
 * failed, was lost or never sent has none, and a host's odd number is none either). */
int effect_status(const cJSON *result);
/* A call that was never sent (what it needed did not come): its purpose is told it failed, with
 * code and message, as a failed effect's result would. */
int effect_fail_unsent(struct call *c, const char *purpose, const char *subject, const char *code, const char *message);
/* Resolve every pending effect whose deadline has passed as a lost call. */
int effect_expire(struct call *c);
/* The earliest deadline of a pending effect: 1 with *out_ms, 0 when none is pending, -1 when storage
 * failed. */
int effect_next_deadline(struct call *c, double *out_ms);
/* How many effects are pending (the debug storage route). */
int effect_pending_count(struct call *c, int64_t *n);

/* ---- iso_time.c: RFC 3339 text and epoch ms ----------------------------------------------------- */

/* "2025-12-16T13:26:47.117226-08:00" or "...Z" (a fraction of any length, an offset or Z) as ms
 * since the epoch into *ms: 1, or 0 when s is not that form. */
int iso_time_ms(const char *s, double *ms);
/* ms since the epoch as "2025-12-16T21:26:47.117Z". */
void iso_time_format(double ms, char out[32]);
/* Days since 1970-01-01 of a civil date, and back (Howard Hinnant's algorithms). */
int64_t civil_days(int y, int m, int d);
void civil_date(int64_t days, int *y, int *m, int *d);

/* ---- mac.c: HMAC-SHA256 and constant-time comparisons ------------------------------------------ */

struct mac_part {
	const void *p;
	size_t len;
};
/* HMAC-SHA256 of the parts, in order, under key: 0, or -1 when the digest failed. */
int mac_hmac_sha256(const void *key, size_t key_len, const struct mac_part *parts, size_t nparts,
		    unsigned char out[32]);
/* SHA-256 of p as 64 lower-case hex digits and a NUL in out: 0, or -1 when the digest failed. */
int mac_sha256_hex(const void *p, size_t len, char out[65]);
/* 1 when hex is exactly the 64 hex digits (either case) of mac, compared in constant time. */
int mac_equal_hex(const unsigned char mac[32], const char *hex);
/* 1 when the strings are equal (neither NULL); the time taken does not tell where they differ. */
int mac_equal_text(const char *a, const char *b);

/* ---- id.c ------------------------------------------------------------------------------------- */

/* Write a fresh id "<prefix>-<base36>" (n random chars) from the call's entropy into buf. */
int id_new(struct call *c, const char *prefix, int n, char *buf, size_t len);
/* 1 if s is a valid object id: 1-64 chars of [a-zA-Z0-9_-], not starting with '-'. */
int id_valid(const char *s);
/* n bytes of randomness drawn from the call's entropy. */
int id_random(struct call *c, unsigned char *out, size_t n);
/* Percent-encode s for a URL path segment into out; -1 if it does not fit. */
int id_escape(const char *in, char *out, size_t len);

/* ---- ws.c: the sockets the object accepted ---------------------------------------------------- */
/* A frame from a socket (ENG_EV_WS_MESSAGE): routed by the tag it was accepted with. */
int ws_message(struct call *c);
/* Close every socket accepted with tag once the call commits (a member who left, a deleted town). */
int ws_close_tag(struct call *c, const char *tag, const char *reason);
/* The same for the tag "<kind>:<user>": kind "user" for all of a person's sockets, "terminal" for
 * their agent terminals. */
int ws_close_person(struct call *c, const char *kind, const char *user, const char *reason);
/* 1 when the request asks for a WebSocket (Upgrade: websocket); ws_require_upgrade sets the
 * error (400, field "upgrade") when it does not. */
int ws_is_upgrade(const struct call *c);
int ws_require_upgrade(struct call *c);
/* Queue a frame for every socket accepted with tag (sent after the call commits). */
int ws_broadcast(struct call *c, const char *tag, cJSON *data);

/* ---- wiring.c (src/): who is told of what ------------------------------------------------------
 * A lower layer announces through a table it declares here and the composition root (wiring.c)
 * defines, so it never calls up into the layers that listen. The tables are const: no state. */

/* An effect's result goes to the purpose it was submitted for (effect.c). */
struct effect_purpose {
	const char *purpose;
	int (*done)(struct call *c, const char *subject, const cJSON *result, const char *body,
		    size_t body_len);
};
extern const struct effect_purpose effect_purposes[];
extern const size_t effect_purposes_n;

/* A due timer runs the handler of its kind (timer.c). */
struct timer_kind {
	const char *kind;
	int (*fire)(struct call *c, const char *key);
};
extern const struct timer_kind timer_kinds[];
extern const size_t timer_kinds_n;

/* A frame from a socket accepted with tag goes to its handler before the feed's own (ws.c);
 * test_only kinds answer only with test hooks enabled. */
struct ws_kind {
	const char *tag;
	int test_only;
	int (*message)(struct call *c);
};
extern const struct ws_kind ws_kinds[];
extern const size_t ws_kinds_n;

#endif
