/*
 * internal.h - types and prototypes shared inside the engine, grouped by the file that defines them.
 * Layering: api_*.c -> domain (timer.c, effect.c) -> support (err.c, json.c, db.c, migrate.c).
 * SQL goes through db.c's connection and statement cache (db_prepare); only json.c and the handlers
 * read request JSON, always through json_string/json_int.
 */
#ifndef GASTOWN_INTERNAL_H
#define GASTOWN_INTERNAL_H

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
int db_begin(struct db *db, struct err *e);
int db_commit(struct db *db, struct err *e);
void db_rollback(struct db *db);
/* Step a statement that returns no rows; -1 with e set on failure. */
int db_step_done(struct db *db, sqlite3_stmt *st, struct err *e);
/* Map the connection's last failure to e (ERR_INTERNAL, or ERR_CONFLICT for constraints). */
int db_fail(struct db *db, struct err *e, const char *what);
/* Run a statement (sql, a literal) with one text parameter ?1 that returns no rows. */
int db_exec_text(struct db *db, const char *sql, const char *arg, struct err *e);
/* 1 if "SELECT count(*) ... ?1" (sql, a literal) counts anything for arg, 0 if not, -1 on failure. */
int db_exists(struct db *db, const char *sql, const char *arg, struct err *e);
/* Step st (prepared and bound; NULL passes through) to the end, one row(st) per row, into a new
 * array; NULL with e set when a step fails, so a failed read is never a short list. */
cJSON *db_list(struct db *db, sqlite3_stmt *st, cJSON *(*row)(sqlite3_stmt *st), struct err *e);
/* Run a single-integer query (e.g. a PRAGMA); *out = 0 when it returns no row. */
int db_query_int(struct db *db, const char *sql, int64_t *out, struct err *e);

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

	/* response */
	int status;
	cJSON *data;             /* success payload, wrapped as {"data": ...} (owned) */
	cJSON *effects;          /* array of effect requests emitted by this call (owned, or NULL) */
	cJSON *ws;               /* array of WebSocket frames to send (owned, or NULL) */
	cJSON *ws_close;         /* array of {tag, code, reason}: sockets to close (owned, or NULL) */
	cJSON *forward;          /* ENG_WORKER: {"kind","id"} to hand the request to a DO (owned) */
	cJSON *proxy_websocket;  /* {"url","headers"}: join this upgrade to a socket opened there (owned) */
	cJSON *log;              /* array of structured log lines (owned, or NULL) */
	int trap_after_commit;
	const char *accept_websocket; /* accept this request's WebSocket upgrade with this tag, or NULL */
	int alarm_dirty;         /* timers or pending effects changed: work out the next alarm again */
	uint32_t rand_counter;   /* blocks of randomness drawn so far (id.c) */

	const struct jwt_verifier *jwt; /* the engine's, borrowed */
	struct auth_cache *auth_cache;  /* the engine's last verified token, borrowed */
	char *query_token;       /* a WebSocket upgrade's ?token=, decoded (engine scratch, 4096 bytes) */
	const struct route_index *routes; /* the engine's route index (route.c) */
	struct principal who;    /* filled by auth.c for routes that require a caller */
};

#define QUERY_TOKEN_MAX 4096
#define AUTH_TOKEN_MAX 8192 /* the longest bearer token taken (jwt.c's limit is the same) */
/* The bearer token presented by the request, or NULL. Borrowed from meta. The scheme is matched
 * without regard to case. NULL with ERR_INVALID (field "authorization") when the token is longer
 * than AUTH_TOKEN_MAX. */
const char *call_bearer(struct call *c);
/* Set a success response: status and payload (ownership of data passes to the call). */
int call_reply(struct call *c, int status, cJSON *data);
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

/* ---- json.c ----------------------------------------------------------------------------------- */

/* Typed field readers: 0 on success; -1 with e set (ERR_INVALID, field = name) when the field is
 * missing (and required), of the wrong type or out of range. Strings are borrowed from obj. */
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
	JWT_WRONG_AUDIENCE
};

struct jwt_config {
	const char *hs256_secret;     /* accept HS256 with this key (>= 32 bytes); NULL/"" disables */
	size_t hs256_secret_len;      /* its length when it is binary; 0: strlen */
	const char *rs256_public_pem; /* accept RS256 with this RSA public key (PEM); NULL/"" disables */
	const char *issuer;           /* require this "iss"; NULL/"" accepts any */
	const char *audience;         /* require this in "aud"; NULL/"" accepts any */
	int leeway_s;                 /* clock skew allowed on exp and nbf */
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
/* The unverified "kid" of a token's header into out: 1 if present. Only for choosing which key
 * verifies the token; nothing else may trust it. */
int jwt_header_kid(const char *token, char *out, size_t len);
/* The stable name of a result ("expired", "bad_signature", ...). */
const char *jwt_result_name(enum jwt_result r);

/* ---- query.c ---------------------------------------------------------------------------------- */

/* The query parameter name, decoded into out: 1 when present, 0 when absent, -1 (ERR_INVALID) when
 * malformed or longer than len - 1. */
int query_get(struct call *c, const char *name, char *out, size_t len);
/* The parameter as a number in [min, max] (1 present, 0 absent, -1 ERR_INVALID). */
int query_int(struct call *c, const char *name, int64_t min, int64_t max, int64_t *out);
/* The parameter as true/false (1 present, 0 absent, -1 ERR_INVALID). */
int query_bool(struct call *c, const char *name, int *out);

/* ---- auth.c ----------------------------------------------------------------------------------- */

/* Require the operator's bearer token (debug routes). -1 with ERR_UNAUTHENTICATED when missing or
 * wrong; constant-time in the token's content. */
int auth_operator(struct call *c);
/* Require a human: a bearer JWT that verifies, with a usable "sub". Fills c->who; -1 with
 * ERR_UNAUTHENTICATED and a reason (missing, malformed, bad_signature, expired, ...) otherwise. */
int auth_user(struct call *c);
/* Require a person or an agent of this town (the token's kid tells which key verifies it). */
int auth_person_or_agent(struct call *c);
/* Require the agent named in the path (/api/towns/:town/agents/:agent/...) holding a token this
 * town minted for it, accepted up to grace_s after expiry. Fills c->who. */
int auth_agent(struct call *c, int grace_s);
/* An /_internal call must come from the object kind:id (the host stamps the calling object on
 * every object-to-object call); ERR_FORBIDDEN otherwise. */
int auth_internal_caller(struct call *c, const char *kind, const char *id);
/* 1 if s can be a user id: 1-128 printable ASCII characters, no '/'. */
int user_id_valid(const char *s);

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
/* Resolve every pending effect whose deadline has passed as a lost call. */
int effect_expire(struct call *c);

/* ---- id.c ------------------------------------------------------------------------------------- */

/* Write a fresh id "<prefix>-<base36>" (n random chars) from the call's entropy into buf. */
int id_new(struct call *c, const char *prefix, int n, char *buf, size_t len);
/* 1 if s is a valid object id: 1-64 chars of [a-zA-Z0-9_-], not starting with '-'. */
int id_valid(const char *s);
/* n bytes of randomness drawn from the call's entropy. */
int id_random(struct call *c, unsigned char *out, size_t n);
/* Percent-encode s for a URL path segment into out; -1 if it does not fit. */
int id_escape(const char *in, char *out, size_t len);

/* ---- members.c: people of an organization or a town ---------------------------------------- */

/* Roles, ordered so that a higher one can do what a lower one can. */
enum role { ROLE_NONE = 0, ROLE_VIEWER, ROLE_MEMBER, ROLE_ADMIN, ROLE_OWNER };

const char *role_name(enum role r);
/* The role named s, or ROLE_NONE when s names none. */
enum role role_parse(const char *s);

#define MEMBERS_MAX 1000

/* The caller's role must be at least min: ERR_NOT_FOUND (naming field, "no such <what>") for
 * outsiders and when !exists (the two look the same), ERR_FORBIDDEN below min. */
int member_require(struct call *c, int exists, enum role min, enum role *caller, const char *field,
		   const char *what);
int member_role(struct call *c, const char *user_id, enum role *out);
/* Creating this object (a town or an organization, `what`) under an id that is taken. Creation
 * must not tell an outsider that the object exists: a member gets ERR_CONFLICT, reason "exists";
 * anyone else (an outsider, another object) gets id_unavailable's answer. Always -1. */
int member_create_taken(struct call *c, const char *field, const char *what);
/* The one answer for an id that cannot be had, whatever the cause: ERR_CONFLICT naming field,
 * reason "unavailable", a message that says nothing of who or what holds it. Always -1. */
int id_unavailable(struct call *c, const char *field, const char *what);
/* Insert or update a member as is (no rule checks). name/email NULL keep what is stored. */
int member_put(struct call *c, const char *user_id, enum role role, const char *name,
	       const char *email);
/* Add a member or change a role as `caller`, under the rules above. */
int member_change(struct call *c, enum role caller, const char *user_id, enum role role,
		  const char *name, const char *email);
/* Remove a member (anyone may remove themselves); the last owner stays. */
int member_remove(struct call *c, enum role caller, const char *user_id);
cJSON *members_json(struct call *c);

/* ---- org.c ------------------------------------------------------------------------------------ */

int org_exists(struct call *c, int *exists);
/* Create the org with the caller as its owner; ERR_CONFLICT when it exists. */
int org_create(struct call *c, const char *id, const char *name);
int org_rename(struct call *c, const char *name);
/* The org as JSON (a new tree), NULL with c->err set on failure. */
cJSON *org_json(struct call *c);
/* member_require for this organization. */
int org_require(struct call *c, enum role min, enum role *caller);

/* ---- org_town.c: towns owned by an organization ----------------------------------------------- */

/* The org asks a new town's object to create itself, with the org's members (ERR_CONFLICT if the
 * org already has that town). The answer comes back as the effect result org_town_created. */
int org_town_create(struct call *c, const char *town, const char *name);
/* Tell one person's registry their role in this org, or (role NULL) that they left it. */
int org_registry_update(struct call *c, const char *user_id, const char *role);
/* After any change to the org's members: send the new list, versioned, to every org town. */
int org_members_push(struct call *c);
cJSON *org_towns_json(struct call *c);
int org_town_created(struct call *c, const char *town, const cJSON *result, const char *body, size_t len);
int org_members_pushed(struct call *c, const char *town, const cJSON *result, const char *body, size_t len);
/* The retry timer of a creation that got no answer. */
int org_create_timer_fired(struct call *c, const char *town);
/* The retry timer: re-send the newest member list to towns that have not confirmed it. */
int org_push_timer_fired(struct call *c, const char *key);
/* The town's side: /_internal/create and /_internal/org-members. */
int town_create_for_org(struct call *c);
int town_apply_org_members(struct call *c);
int town_owned_by_org(struct call *c, int *yes);
/* The org's side of an org town's deletion (/_internal/towns/:town from that town). */
int org_town_forget(struct call *c);

/* ---- town.c ----------------------------------------------------------------------------------- */

int town_exists(struct call *c, int *exists);
/* Create this town owned by the caller; ERR_CONFLICT when it exists. */
int town_create_personal(struct call *c, const char *name);
/* Like org_require, for the town's members. */
int town_require(struct call *c, enum role min, enum role *caller);
cJSON *town_json(struct call *c, enum role caller);
/* Rename and/or merge settings (NULL leaves each as it is). */
int town_update(struct call *c, const char *name, const cJSON *settings);
/* Set (string) or remove (null) named secrets; they are write-only: reads show them masked. */
int town_secrets_put(struct call *c, const cJSON *secrets);
cJSON *town_secrets_json(struct call *c);
/* Delete everything the town owns and take it out of its members' registries. */
int town_delete(struct call *c);
/* Tell every member's registry the town's current name and their role. */
int registry_refresh(struct call *c);
/* Tell one person's registry their role in this town, or (role NULL) that they left it. */
int registry_update(struct call *c, const char *user_id, const char *role);
/* Effect result of a registry update (effect.c's purpose table). */
int town_registry_done(struct call *c, const char *subject, const cJSON *result, const char *body,
		       size_t body_len);

/* ---- bead.c ----------------------------------------------------------------------------------- */

#define BEAD_DEPS_MAX 50

/* Fields of a bead in a create or update; NULL (and priority -1) means not given. */
struct bead_fields {
	const char *title, *body, *type, *status, *assignee, *parent, *rig;
	int priority;
	int held_set, held;    /* held: the reconciler leaves the bead alone until it is slung */
	const cJSON *labels;   /* array of strings, borrowed */
	const cJSON *metadata; /* object, borrowed */
};

struct bead_filter {
	const char *status, *type, *assignee, *rig, *parent, *label;
	int ready;      /* open with no open blocker */
	int limit;      /* 1..200 */
	int64_t cursor; /* list beads older than this (next_cursor of the previous page), 0: newest */
};

int bead_type_valid(const char *s);
int bead_status_valid(const char *s);
int bead_dep_kind_valid(const char *s);
int bead_transition_allowed(const char *from, const char *to);
/* Create an open bead; id_out (>= 32 bytes) gets its id. Appends bead.created. */
int bead_create(struct call *c, const struct bead_fields *f, char *id_out, size_t id_len);
/* Apply the given fields; status moves only along allowed transitions (ERR_CONFLICT). Each changed
 * field appends a bead.updated event with old and new. clear_assignee unassigns. */
int bead_update(struct call *c, const char *id, const struct bead_fields *f, int clear_assignee);
int bead_set_status(struct call *c, const char *id, const char *to, const char *reason);
int bead_delete(struct call *c, const char *id);
/* Dependencies: ERR_CONFLICT for a cycle of blocking or parent edges, ERR_INVALID for unknown beads;
 * errors name `field`, the request's own name for the dependency. */
int bead_dep_add(struct call *c, const char *bead, const char *dep, const char *kind, const char *field);
int bead_dep_remove(struct call *c, const char *bead, const char *dep, const char *kind);
/* 1 if the bead exists; 0 with ERR_NOT_FOUND (field bead_id) otherwise. */
int bead_json_exists(struct call *c, const char *id);
/* A bead with its dependencies (new tree), or NULL with ERR_NOT_FOUND. */
cJSON *bead_json(struct call *c, const char *id);
/* A page of beads, newest first; *next_cursor 0 when this is the last page. */
cJSON *bead_list_json(struct call *c, const struct bead_filter *f, int64_t *next_cursor);
/* Append to the town's feed, attributed to the caller and the human at the root of their work. */
int event_append(struct call *c, const char *kind, const char *subject, const char *field,
		 const char *old, const char *new_value);
/* Events after seq `after` (optionally about one subject), oldest first; *next is the last seq. */
cJSON *events_json(struct call *c, const char *subject, int64_t after, int limit, int64_t *next);

/* ---- rig.c ------------------------------------------------------------------------------------ */

struct rig_fields {
	const char *id, *git_url, *default_branch, *merge_strategy;
	int max_polecats;        /* 0: not given */
	const cJSON *settings;   /* object, merged key by key; borrowed */
};

int rig_git_url_valid(const char *url);
/* 1 if the rig exists, 0 if not, -1 on failure. */
int rig_exists(struct call *c, const char *id);
/* Create (ERR_CONFLICT if it exists) or update (ERR_NOT_FOUND if it does not) a rig. */
int rig_put(struct call *c, const struct rig_fields *f, int create);
/* Delete a rig with no unfinished beads (ERR_CONFLICT otherwise). */
int rig_delete(struct call *c, const char *id);
cJSON *rig_json(struct call *c, const char *id);
cJSON *rigs_json(struct call *c);

/* ---- agent.c ---------------------------------------------------------------------------------- */

/* Agent tokens live 15 minutes; an expired one can be refreshed for a day (the most reported
 * failure of an earlier cloud Gas Town was agents stranded by expired tokens). */
#define AGENT_TOKEN_TTL_S 900
#define AGENT_TOKEN_GRACE_S 86400
/* A chain of refreshes ends a week after its first token: then a person must mint a new one. */
#define AGENT_SESSION_MAX_S (7 * 86400)

/* Register an agent of role (mayor, polecat, refinery, triage); polecats and refineries need a
 * rig. ERR_CONFLICT for a second mayor or a second refinery of a rig. id_out gets its id. */
int agent_create(struct call *c, const char *role, const char *rig, char *id_out, size_t id_len);
int agent_exists(struct call *c, const char *id);
cJSON *agent_json(struct call *c, const char *id);
cJSON *agents_json(struct call *c);
/* Put bead on agent's hook: one bead per agent, one agent per bead (ERR_CONFLICT otherwise). */
int agent_hook(struct call *c, const char *agent, const char *bead);
int agent_unhook(struct call *c, const char *agent);
int agent_heartbeat(struct call *c, const char *agent);
/* The agent showed progress (a status, output, a report): the quiet-agent ladder starts over. */
int agent_active(struct call *c, const char *agent);
/* Append a status message (1-280 characters, checked by the caller); history is bounded. */
int agent_status_add(struct call *c, const char *agent, const char *message);
/* Mint a token for agent working for requested_by (malloc'd; cJSON_free), NULL on failure.
 * orig_iat_s: when the refresh chain began (0: now, a new chain). */
char *agent_token_mint(struct call *c, const char *agent, const char *requested_by, double orig_iat_s,
		       double *expires_ms);
/* Revoke every token of the agent minted so far. */
int agent_token_revoke(struct call *c, const char *agent);
/* The agent's current token generation; -1 when it does not exist (c->err untouched). */
int64_t agent_token_gen(struct call *c, const char *agent);
/* Verify a token minted by this town, accepting it up to grace_s after expiry. */
enum jwt_result agent_token_verify(struct call *c, const char *token, int grace_s, cJSON **claims);

/* ---- decide.c: the reconciler's decision, a pure function of a snapshot and the time ------------ */

/* Limits and timeouts of one town's reconciler (town settings, clamped; defaults in reconcile.c). */
struct rc_config {
	double lost_after_ms;   /* no heartbeat for this long: the agent is presumed lost */
	double quiet_after_ms;  /* no progress for this long: nudge; twice: triage; three times: stop */
	int breaker_failures;   /* failed runs within breaker_window_ms that stop all dispatch */
	double breaker_window_ms;
	int dispatch;           /* 0: the town has no container to start agents in */
};

#define RC_ID_MAX 72
enum rc_role { RC_POLECAT, RC_REFINERY, RC_OTHER };
enum rc_agent_state { RC_AGENT_IDLE, RC_AGENT_WORKING, RC_AGENT_LOST, RC_AGENT_STOPPED };

struct rc_agent {
	char id[RC_ID_MAX], rig[RC_ID_MAX], hook[RC_ID_MAX];
	enum rc_role role;
	enum rc_agent_state state;
	double heartbeat_ms, active_ms; /* last heartbeat, last sign of progress */
	int quiet_stage;                /* 0, 1 nudged, 2 triage asked */
};

struct rc_rig {
	char id[RC_ID_MAX];
	int max_polecats;
};

/* A bead the reconciler may start: ready work (its blockers closed, not held, not backing off) or
 * the head of a rig's merge queue. prefer: the agent that should take it when idle (the one that
 * worked on it before, else the one that finished its predecessor). */
struct rc_bead {
	char id[RC_ID_MAX], rig[RC_ID_MAX], prefer[RC_ID_MAX];
	int merge_request;
};

struct rc_state {
	const struct rc_config *cfg;
	double now_ms;
	const struct rc_agent *agents;
	size_t nagents;
	const struct rc_rig *rigs;
	size_t nrigs;
	const struct rc_bead *beads; /* in the order they should get agents (priority, then age) */
	size_t nbeads;
	int breaker_open;     /* dispatch is paused */
	int recent_failures;  /* failed runs within the breaker's window */
};

enum rc_kind {
	RC_DISPATCH,  /* start agent on bead; agent "" means a new polecat of rig */
	RC_REVIEW,    /* the rig's refinery takes merge request bead; agent "" means make the refinery */
	RC_LOST,      /* agent went silent: presume it lost, its bead goes back to open */
	RC_NUDGE,     /* agent is quiet: remind it */
	RC_TRIAGE,    /* still quiet: ask for triage */
	RC_STOP,      /* still quiet: stop it, its bead goes back to open */
	RC_BREAKER    /* too many failed runs: pause dispatch and escalate once */
};

struct rc_action {
	enum rc_kind kind;
	char agent[RC_ID_MAX], bead[RC_ID_MAX], rig[RC_ID_MAX];
};

/* Decide what to do now. Writes at most max actions to out and their number to *n. */
void rc_decide(const struct rc_state *s, struct rc_action *out, size_t max, size_t *n);
/* The wait before retrying a bead whose run failed for the attempts-th time: 30 s, 1 m, 2 m, 5 m,
 * then 10 m. */
double rc_backoff_ms(int attempts);
const char *rc_kind_name(enum rc_kind k);

/* ---- reconcile.c: the tick ------------------------------------------------------------------- */

/* Ask for a tick now (after a change that may need a decision). */
int reconcile_soon(struct call *c);
/* The agent host refused a connection: count it and set *retry_ms to when dispatch should try
 * again (15 s doubling up to a minute). Its first failure puts "town.host_unreachable" in the feed. */
int reconcile_host_down(struct call *c, double *retry_ms);
/* A start reached the host: the count of refused connections starts over. */
int reconcile_host_up(struct call *c);
void reconcile_config(struct call *c, struct rc_config *cfg);
/* The "tick" timer (timer.c's table). */
int reconcile_timer_fired(struct call *c, const char *key);
/* Run a whole tick and undo it (the bench): *nactions gets how many actions it took. */
int reconcile_dry_run(struct call *c, int *nactions);

/* ---- work.c: one run of an agent on a bead ----------------------------------------------------- */

/* How a run ended without its work being done. */
enum work_end {
	WORK_FAILED,   /* the start or the run failed: counts, and the retry waits its backoff */
	WORK_LOST,     /* the agent went silent: counts, retried at once (the agent is marked lost) */
	WORK_STOPPED,  /* stopped for being quiet: counts, retried at once */
	WORK_SENT_BACK, /* the refinery sent it back (conflict, failed gates): counts as a review round */
	WORK_UNREACHABLE /* the agent host could not be reached: not the bead's fault, so no attempt is
			  * counted; retried after the host's own backoff (reconcile_host_down) */
};

/* Hook bead on agent (free), mark both working and ask the container to start the agent. */
int work_start(struct call *c, const char *agent, const char *bead);
/* Free the agent (agent may be NULL) and put the bead back to open, or fail it after too many. */
int work_requeue(struct call *c, const char *agent, const char *bead, const char *reason, enum work_end end);
/* The container's answer to a start; subject "<agent>:<bead>". */
int work_start_result(struct call *c, const char *subject, const cJSON *result, const char *body, size_t len);
/* A heartbeat, optionally naming the bead the container runs (ERR_CONFLICT "not_holder" if not held). */
int work_heartbeat(struct call *c, const char *agent, const char *bead);
/* done from a polecat (its bead to review) or a refinery (its verdict); *out: what happened. */
int work_done(struct call *c, const char *agent, const cJSON *body, cJSON **out);
/* The agent's process ended; a run that ended before done failed. */
int work_completed(struct call *c, const char *agent, const char *bead, int exit_code, const char *reason);

/* ---- container.c: requests to the container -------------------------------------------------- */

int container_runtime_valid(const char *name);
int container_start(struct call *c, const char *agent, const char *bead);
int container_stop(struct call *c, const char *agent, const char *reason);
/* Join the caller's WebSocket upgrade to the agent's terminal in the container (the shim opens the
 * signed upstream socket and pipes the two); writable: the caller may type, else only watch. */
int container_terminal(struct call *c, const char *agent, int writable);
int container_message(struct call *c, const char *agent, const char *kind, const char *text);
/* Effect results of purpose "container". */
int container_done(struct call *c, const char *subject, const cJSON *result, const char *body, size_t len);
/* What an agent is on: agent, bead, rig (with gates), branch, requested_by, prompt. New tree. */
cJSON *container_assignment(struct call *c, const char *agent);

/* ---- pull_request.c: merge requests of `pr` rigs ------------------------------------------------- */

/* Open a pull request for merge request mr (an effect); its answer and the "pr" timer follow it. */
int pr_open(struct call *c, const char *mr);
int pr_timer_fired(struct call *c, const char *mr);
int pr_effect_done(struct call *c, const char *subject, const cJSON *result, const char *body, size_t len);

/* ---- costs.c: usage records, prices, daily totals and roll-ups --------------------------------- */

int64_t costs_day_of(double ms);
/* The first and last day of the period (day, week from Monday, month, all) containing day. */
int costs_period(const char *kind, int64_t day, int64_t *from, int64_t *to);
int costs_parse_date(const char *s, int64_t *day);
void costs_format_date(int64_t day, char *out, size_t len);
int costs_dim_valid(const char *by);
/* Store an agent's usage records (idempotent by id), charged to the human at the root of the work. */
int usage_ingest(struct call *c, const char *agent, const cJSON *records, int *accepted, int *duplicates);
/* Spend of one dimension's key over days [from, to]; -1 on failure. */
int64_t costs_spend(struct call *c, const char *dim, const char *key, int64_t from, int64_t to);
/* The town's total for a period and, with by, its rows per key of that dimension. */
cJSON *costs_json(struct call *c, const char *by, const char *period, int64_t day);
/* Push the town's day, week and month totals to its sockets. */
int costs_push_ticker(struct call *c);

/* ---- budget.c ---------------------------------------------------------------------------------- */

int budget_scope_valid(const char *scope);
int budget_put(struct call *c, const char *scope, const char *key, int64_t limit, int soft_pct);
int budget_delete(struct call *c, const char *scope, const char *key);
cJSON *budgets_json(struct call *c);
/* After new usage: warnings and limit escalations, once per budget and period. */
int budget_after_usage(struct call *c, const char *rig, const char *convoy, const char *user, int64_t day);
/* 1 when a budget over bead is at its limit (why says which, its limit and spend), 0 if not.
 * raise: also raise the limit escalation (once per period). */
int budget_blocks(struct call *c, const char *bead, int raise, char *why, size_t len);

/* ---- fleet.c: the organization's view of its towns ------------------------------------------- */

/* A town owned by an organization reports to it a few seconds after a change (timer "fleet"). */
int fleet_soon(struct call *c);
int fleet_timer_fired(struct call *c, const char *key);
int fleet_reported(struct call *c, const char *subject, const cJSON *result, const char *body, size_t len);
/* The organization's side: PUT /_internal/fleet/:town, and the figures for a period. */
int fleet_take_report(struct call *c);
cJSON *fleet_json(struct call *c, const char *period, int64_t day);
int api_org_fleet(struct call *c);
int api_org_team_put(struct call *c);

/* ---- convoy.c --------------------------------------------------------------------------------- */

/* Start a convoy of the given bead ids (1-100) in mode series (chained) or fan-out. */
int convoy_create(struct call *c, const char *title, const char *mode, const cJSON *beads, char *id_out,
		  size_t id_len);
cJSON *convoy_json(struct call *c, const char *id);
cJSON *convoys_json(struct call *c);
/* Recompute a convoy's state (open, landed, failed) from its beads; an event when it changes. */
int convoy_refresh(struct call *c, const char *convoy);
/* A bead changed status: land or fail the convoys it belongs to. */
int convoy_bead_changed(struct call *c, const char *bead);

/* ---- mail.c ----------------------------------------------------------------------------------- */

/* Send mail from the caller (a person or an agent) to agent `to`; id_out gets its id. */
int mail_send(struct call *c, const char *to, const char *subject, const char *body, char *id_out,
	      size_t id_len);
/* The newest 200 messages, to one agent (or all with to NULL), optionally unread only. */
cJSON *mail_list_json(struct call *c, const char *to, int unread_only);
int mail_mark_read(struct call *c, const char *agent, const char *id);

/* ---- escalation.c ------------------------------------------------------------------------------ */

/* 0 low .. 3 critical, -1 for anything else. */
int escalation_severity(const char *s);
int escalation_raise(struct call *c, const char *severity, const char *title, const char *body,
		     const char *bead, char *id_out, size_t id_len);
/* acknowledged or resolved; ERR_CONFLICT when it already is, or was resolved. */
int escalation_set_state(struct call *c, const char *id, const char *state);
cJSON *escalations_json(struct call *c, const char *state);
/* The re-escalation timer (timer.c's table). */
int escalation_timer_fired(struct call *c, const char *id);

/* ---- mayor.c ---------------------------------------------------------------------------------- */

/* What the Mayor is told with a message: who asks (name, role) and what everyone is doing now. */
cJSON *mayor_context(struct call *c, enum role caller);
/* Store a member's message and deliver it, with its context, to the Mayor's inbox (ERR_CONFLICT
 * without a mayor). *context gets the context block (the caller deletes it). */
int mayor_message(struct call *c, enum role caller, const char *text, const cJSON *ui, char *id_out,
		  size_t id_len, cJSON **context);
/* The Mayor answers a message: stored, in the feed, and pushed to the asker's sockets. */
int mayor_reply(struct call *c, const char *message, const char *text);
/* A piece of a reply being written: pushed to the asker's sockets as a "mayor.delta" frame. */
int mayor_reply_delta(struct call *c, const char *message, const char *text);
/* The Mayor acts on a member's message: its actions in this call are attributed to the author. */
int mayor_acts_on(struct call *c, const char *message);
/* The caller's own conversation with the Mayor, newest first. */
cJSON *mayor_conversation(struct call *c);

/* ---- ui_context.c ------------------------------------------------------------------------------ */

/* Check the dashboard's navigation ring buffer (page, open object, recent actions) and resolve the
 * objects it names to their state now. *resolved gets {page, open?, recent} (cJSON_Delete), *system
 * the text block for the Mayor's prompt (free). 0, or -1 with ERR_INVALID naming the field. */
int ui_context_resolve(struct call *c, const cJSON *ui, cJSON **resolved, char **system);

/* ---- user.c: a person's registry --------------------------------------------------------------- */

int user_town_put(struct call *c, const char *town_id, const cJSON *entry);
int user_town_delete(struct call *c, const char *town_id);
cJSON *user_towns_json(struct call *c);
int user_org_put(struct call *c, const char *org_id, const cJSON *entry);
int user_org_delete(struct call *c, const char *org_id);
cJSON *user_orgs_json(struct call *c);

/* ---- route.c ---------------------------------------------------------------------------------- */

#define R_TEST 1         /* only with test hooks enabled (integration tests, bench) */
#define R_OPERATOR 2     /* requires the operator's bearer token */
#define R_USER 4         /* requires a signed-in human (bearer JWT) */
#define R_AGENT 8        /* requires the agent in the path, with a token this town minted */
#define R_AGENT_GRACE 16 /* the same, accepting a recently expired token (refresh) */
#define R_ANY 32         /* a person or any agent of this town */

struct route {
	enum eng_kind kind;
	const char *method;
	const char *pattern; /* segments; ":name" matches one segment */
	int (*handler)(struct call *c);
	int flags;
};

/* The route table pre-split into segments, made once per engine (route_dispatch matches against
 * it without scanning pattern strings). NULL on OOM; route_index_free takes NULL. */
struct route_index *route_index_new(void);
void route_index_free(struct route_index *ix);
/* The route table, for tests and documentation checks. */
size_t route_count(void);
const struct route *route_at(size_t i);
/* Dispatch a request to its handler (or forward it, for ENG_WORKER). -1 with c->err set on error. */
int route_dispatch(struct call *c);

/* ---- api_*.c: handlers, each `int api_<resource>_<verb>(struct call *c)` ----------------------- */
int api_health_get(struct call *c);
int api_me_get(struct call *c);
int api_org_create(struct call *c);
int api_org_town_create(struct call *c);
int api_org_towns(struct call *c);
int api_org_get(struct call *c);
int api_org_update(struct call *c);
int api_members_list(struct call *c);
int api_member_put(struct call *c);
int api_member_delete(struct call *c);
int api_town_create(struct call *c);
int api_town_get(struct call *c);
int api_town_update(struct call *c);
int api_town_delete(struct call *c);
int api_town_settings_get(struct call *c);
int api_me_forward(struct call *c);
int api_rig_create(struct call *c);
int api_rig_list(struct call *c);
int api_rig_get(struct call *c);
int api_rig_update(struct call *c);
int api_rig_delete(struct call *c);
int api_mayor_message(struct call *c);
int api_mayor_conversation(struct call *c);
int api_mayor_reply(struct call *c);
int api_agent_create(struct call *c);
int api_agent_list(struct call *c);
int api_agent_get(struct call *c);
int api_agent_terminal(struct call *c);
int api_agent_hook(struct call *c);
int api_agent_unhook(struct call *c);
int api_agent_token(struct call *c);
int api_agent_token_refresh(struct call *c);
int api_agent_token_revoke(struct call *c);
int api_agent_heartbeat(struct call *c);
int api_agent_status(struct call *c);
int api_agent_prime(struct call *c);
int api_agent_done(struct call *c);
int api_agent_completed(struct call *c);
int api_agent_events(struct call *c);
int api_agent_events_list(struct call *c);
int api_bead_sling(struct call *c);
int api_agent_usage(struct call *c);
int api_costs_get(struct call *c);
int api_prices_list(struct call *c);
int api_price_put(struct call *c);
int api_price_delete(struct call *c);
int api_budgets_list(struct call *c);
int api_budget_put(struct call *c);
int api_budget_delete(struct call *c);
int api_convoy_sling(struct call *c);
int api_convoy_create(struct call *c);
int api_convoy_list(struct call *c);
int api_convoy_get(struct call *c);
int api_mail_send(struct call *c);
int api_mail_list(struct call *c);
int api_agent_mail_send(struct call *c);
int api_agent_inbox(struct call *c);
int api_agent_mail_read(struct call *c);
int api_escalation_raise(struct call *c);
int api_agent_escalation_raise(struct call *c);
int api_escalation_list(struct call *c);
int api_escalation_ack(struct call *c);
int api_escalation_resolve(struct call *c);
int api_bead_create(struct call *c);
int api_bead_get(struct call *c);
int api_bead_list(struct call *c);
int api_bead_update(struct call *c);
int api_bead_close(struct call *c);
int api_bead_delete(struct call *c);
int api_bead_dep_add(struct call *c);
int api_bead_dep_delete(struct call *c);
int api_events_list(struct call *c);
int api_user_towns(struct call *c);
int api_user_orgs(struct call *c);
int api_internal_user_org_put(struct call *c);
int api_internal_user_org_delete(struct call *c);
int api_internal_user_town_put(struct call *c);
int api_internal_user_town_delete(struct call *c);
int api_debug_storage(struct call *c);
int api_test_kv_put(struct call *c);
int api_test_kv_get(struct call *c);
int api_test_kv_bulk(struct call *c);
int api_test_trap(struct call *c);
int api_test_alarm_set(struct call *c);
int api_test_alarm_get(struct call *c);
int api_test_effect_start(struct call *c);
int api_test_effect_get(struct call *c);
int api_test_ws_echo(struct call *c);
int api_test_beads_bulk(struct call *c);
int api_test_reconciler_seed(struct call *c);
int api_test_tick(struct call *c);
int api_town_ws(struct call *c);
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

/* ---- hooks the test probes provide to the loop (api_test.c) ----------------------------------- */
int test_timer_fired(struct call *c, const char *key);
/* 1 when a test asked the next tick to fail (test_kv "fail_ticks"), using one up; 0 otherwise. */
int test_tick_fault(struct call *c);
int test_effect_done(struct call *c, const char *subject, const cJSON *result, const char *body,
		     size_t body_len);

#endif
