/*
 * engine.h - the engine's public interface: the only header a host (the wasm exports, native tools,
 * tests) includes. The engine is sans-I/O: every entry point is fed one input and returns one output,
 * never waits on the network, reads no clock and no entropy of its own.
 *
 * Lifecycle: eng_open() once per Durable Object instance (or native database), eng_call() per event,
 * eng_close() at the end. An engine whose call failed with ENG_FATAL must be closed and re-opened:
 * its page cache may disagree with storage after the host rolled the storage transaction back.
 */
#ifndef GASTOWN_ENGINE_H
#define GASTOWN_ENGINE_H

#include <stddef.h>

#define ENG_VERSION "0.1.0"

/* The longest life a person's token may have, exp past iat (or past now without iat): a day. */
#define ENG_TOKEN_LIFETIME_MAX_S (24 * 3600)

/* Largest request or effect-result body the engine accepts; hosts read at most this much plus one. */
#define ENG_BODY_LIMIT (1024 * 1024)

/* Which kind of object this engine serves. WORKER is the stateless front door: it has no database,
 * answers what needs no state (health, unknown routes) and tells the host where to forward the rest.
 * STATS is the platform's one object of cross-town figures (docs/casting.md), LOG a town's agent log
 * (docs/memory.md), REGISTRY the platform's one registry of formulas and configs (docs/registry.md). */
enum eng_kind { ENG_WORKER, ENG_TOWN, ENG_ORG, ENG_USER, ENG_STATS, ENG_LOG, ENG_REGISTRY, ENG_SYNC, ENG_KINDS };

/* A kind's name as hosts and do:// urls spell it ("town"), and back: -1 for no such kind. */
const char *eng_kind_name(enum eng_kind kind);
int eng_kind_of(const char *name);

struct eng_config {
	enum eng_kind kind;
	const char *object_id;   /* town/org/user id the object is keyed by; NULL for ENG_WORKER */
	const char *db_path;     /* database name given to SQLite; unused for ENG_WORKER */
	const char *vfs;         /* SQLite VFS name, NULL for the default one */
	const char *admin_token; /* bearer token of the operator (debug routes); NULL disables them */
	int test_hooks;          /* 1 enables the /_test routes used by the integration tests and bench */
	/* Human identity: bearer JWTs signed with HS256 (this secret, >= 32 bytes) and/or RS256 (this
	 * RSA public key, PEM); NULL or "" leaves that algorithm off. iss/aud are required when set. */
	const char *jwt_secret;
	const char *jwt_public_key;
	const char *jwt_issuer;
	const char *jwt_audience;
	/* Signs the town's requests to its container (agent host); NULL or "": no container, so the
	 * reconciler starts no agents. */
	const char *container_secret;
};

enum eng_event {
	ENG_EV_REQUEST,       /* meta: {method, path, query?, headers?, body_too_large?}; body: raw bytes */
	ENG_EV_ALARM,         /* meta: {} (may be empty); body unused */
	ENG_EV_EFFECT_RESULT, /* meta: {id, ok, status?, headers?, error?:{code,message}}; body: response */
	ENG_EV_WS_MESSAGE     /* meta: {tags: [the socket's tags]}; body: the frame's text */
};

struct eng_input {
	enum eng_event event;
	const char *meta; /* JSON object, meta_len bytes (not NUL-terminated) */
	size_t meta_len;
	const char *body;
	size_t body_len;
	double now_ms;                /* host wall clock, ms since the epoch */
	const unsigned char *entropy; /* fresh random bytes from the host */
	size_t entropy_len;
};

/* The output of one call, owned by the engine and valid until the next eng_call() or eng_close().
 * meta is a JSON object: {"status", "headers", "effects"?:[...], "next_alarm_ms"?, "ws"?:[...],
 * "forward"?:{"kind","id"}, "accept_websocket"?:{"tags"}, "ws_close"?:[{tag,code,reason}], "fatal"?, "log"?:[...]}; body is the response body
 * (JSON for every API route). Empty lists are omitted. next_alarm_ms absent: leave the alarm as it
 * is; 0: no alarm needed. */
struct eng_output {
	const char *meta;
	size_t meta_len;
	const char *body;
	size_t body_len;
	int trap_after_commit; /* test hook: the host should abort after this call (see api_test.c) */
};

/* Result codes of eng_open/eng_call. ENG_OK also covers calls answered with an HTTP error: the
 * request was bad, the engine is fine. ENG_FATAL means the engine could not do its job (storage
 * failure, out of memory); the host discards the storage transaction and the engine. */
#define ENG_OK 0
#define ENG_FATAL (-1)

struct eng;

/* Open an engine for one object. Returns ENG_OK and sets *out, or ENG_FATAL with a reason written
 * to errbuf (at most errlen bytes). Migrations are applied lazily, inside the first call's
 * transaction, so a failed first call leaves storage untouched. */
int eng_open(const struct eng_config *cfg, struct eng **out, char *errbuf, size_t errlen);

/* Run one event to completion inside one SQLite transaction (committed on success, rolled back on
 * any error response or failure). Fills *out. Returns ENG_OK or ENG_FATAL. */
int eng_call(struct eng *e, const struct eng_input *in, struct eng_output *out);

/* Release everything the engine owns. Accepts NULL. */
void eng_close(struct eng *e);

/* Testing only (the fuzzers): eng_test_hold() holds one transaction open around every later call
 * (each call's own becomes a savepoint in it: committed, rolled back and answered as before, with
 * the same statements between); eng_test_rewind() rolls it back and forgets what the engine keeps
 * between calls (the alarm it asked for, the last token verified), so the next call meets the
 * object as eng_open() left it, without reopening it. *changed (may be NULL) is set to 1 when a
 * call committed since the last rewind had changed rows. ENG_OK or ENG_FATAL. */
int eng_test_hold(struct eng *e);
int eng_test_rewind(struct eng *e, int *changed);

/* Schema version this build migrates to for a kind (the highest embedded migration number). */
int eng_schema_target(enum eng_kind kind);

/* A file-control op (sqlite3_file_control) the host's VFS may answer: sets the int it is given to
 * 1 while the database is still the build's schema image, nothing of it stored yet. A VFS that
 * does not know it (SQLite's own) answers SQLITE_NOTFOUND: everything is stored. */
#define ENG_FCNTL_FROM_IMAGE 0x47540001
/* Another: sets the int to 1 when the VFS keeps the rollback journal in its own memory, so the
 * engine hands it the journal (journal_mode=TRUNCATE) instead of using journal_mode=MEMORY. */
#define ENG_FCNTL_MEMORY_JOURNAL 0x47540002

#endif
