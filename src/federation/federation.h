/*
 * federation/federation.h - the town beside other Gas Towns: beads brought in from local Gas Town's
 * JSONL (`bd export`) and sent back in it (docs/import-export.md); the town's wanted board and
 * completions published to a Wasteland commons on DoltHub (docs/wasteland.md). Over registry.
 */
#ifndef GASTOWN_FEDERATION_H
#define GASTOWN_FEDERATION_H

#include "registry/registry.h"

/* ---- beads_jsonl.c: bd's JSONL in and out ----------------------------------------------------- */

#define JSONL_LINES_MAX 2000     /* lines of one import request */
#define JSONL_EXTRA_MAX 262144   /* bytes of a line the town keeps without modelling */
#define JSONL_EXPORT_MAX 500     /* beads of one export page */

/* POST /api/towns/:town/import?first_line=&dry_run= : the body is JSONL, one bd issue a line. All
 * of it or none: the first bad line is 400 on field "line" with its number (counted from
 * first_line), and nothing is stored. A line's id that came before updates its bead. With dry_run
 * nothing is kept either way. Answers {lines, created, updated, skipped, dry_run}. */
int beads_jsonl_import(struct call *c);
/* GET /api/towns/:town/export?cursor=&limit= : the town's beads as bd's JSONL, oldest first, one
 * page: {jsonl, count, next_cursor}. */
int beads_jsonl_export(struct call *c);
/* A bead deleted: its line's id and extras go with it. */
int beads_jsonl_on_bead(struct call *c, const struct bead_change *ch);
int beads_jsonl_wipe(struct call *c);

/* ---- commons.c: the Wasteland's commons (schema 1.2) as SQL text ------------------------------- */

#define COMMONS_SCHEMA_VERSION "1.2"
#define COMMONS_LABEL "wasteland"  /* the label that puts a bead on the wanted board */
#define COMMONS_ID_MAX 24          /* "w-" + 10 hex, "c-" + 16 hex, and the NUL */
#define COMMONS_HANDLE_MAX 256
#define COMMONS_TITLE_MAX 1000     /* bytes of a title or description written (cut between characters) */
#define COMMONS_TEXT_MAX 8000

/* Whose rows they are: the town's object id (ids are derived from it), its rig handle, its owner. */
struct commons_town {
	const char *town, *handle, *owner;
};

size_t commons_schema_count(void);
/* The i-th statement of the schema (CREATE TABLE IF NOT EXISTS ..., then _meta's version), NULL past
 * the end. */
const char *commons_schema_statement(size_t i);
/* s as a quoted SQL literal (its first max bytes, cut between characters). 0, or -1 on OOM. */
int commons_quote(struct strbuf *sb, const char *s, size_t max);
/* ms since the epoch as TIMESTAMP text, "2026-12-07 11:15:28" (UTC). */
void commons_time(double ms, char out[24]);
/* The poster of a town's bead, "w-" and 10 hex of sha256(town|bead); its completion by rig, "c-" and
 * 16 hex. Stable: replaying the town gives the same ids. 0, or -1. */
int commons_wanted_id(const char *town, const char *bead, char out[COMMONS_ID_MAX]);
int commons_completion_id(const char *wanted, const char *rig, char out[COMMONS_ID_MAX]);
/* An agent's rig handle: the town's handle, "-", the agent's id. */
void commons_agent_handle(const char *handle, const char *agent, char out[COMMONS_HANDLE_MAX]);
/* The poster's status for a bead's: claimed, in_review, completed, else open. */
const char *commons_wanted_status(const char *bead_status);
/* The agent a bead is or was worked by ("" for none). */
const char *commons_bead_agent(const cJSON *bead);
/* Multi-row upserts: begin, one row per bead (first: no comma before it), end. 0, or -1 on OOM. */
int commons_wanted_begin(struct strbuf *sb);
int commons_wanted_row(struct strbuf *sb, const struct commons_town *t, const cJSON *bead, int first);
int commons_wanted_end(struct strbuf *sb);
int commons_completion_begin(struct strbuf *sb);
/* wanted: the poster's id (the town's own, or another town's the bead claimed). */
int commons_completion_row(struct strbuf *sb, const struct commons_town *t, const cJSON *bead, const char *wanted,
			   int first);
int commons_completion_end(struct strbuf *sb);
/* A rig row: the town's (agent NULL) or one of its agents' (rig_type agent, parent_rig the town). */
int commons_rig_begin(struct strbuf *sb);
int commons_rig_row(struct strbuf *sb, const struct commons_town *t, const char *agent, const char *name, double at_ms,
		    int first);
int commons_rig_end(struct strbuf *sb);
/* Posters withdrawn, completions deleted: begin, commons_id_list per id, then ")". */
int commons_withdraw_begin(struct strbuf *sb);
int commons_undone_begin(struct strbuf *sb);
/* Another town's posters claimed, in review, given back: begin, commons_id_list per id, then ")". */
int commons_claim_begin(struct strbuf *sb, const char *handle);
int commons_review_begin(struct strbuf *sb, const char *handle);
int commons_unclaim_begin(struct strbuf *sb, const char *handle);
/* The open posters of other towns, most urgent first (COMMONS_READ_MAX at most). */
#define COMMONS_READ_MAX 200
int commons_open_query(struct strbuf *sb, const char *handle);
/* 'id' in an IN (...) list. */
int commons_id_list(struct strbuf *sb, const char *id, int first);

/* ---- dolthub.c: DoltHub's HTTP API as effects --------------------------------------------------- */

#define DOLTHUB_URL_MAX 200
#define DOLTHUB_NAME_MAX 64
#define DOLTHUB_TOKEN_MAX 1024
#define DOLTHUB_OP_MAX 256
#define DOLTHUB_POLL_FIRST_MS 300.0
#define DOLTHUB_POLL_MAX_MS 5000.0
#define DOLTHUB_POLLS_MAX 120          /* an operation never done is given up, and the write sent again */
#define DOLTHUB_BACKOFF_MIN_MS 1000.0  /* after a failure, doubling with each one in a row */
#define DOLTHUB_BACKOFF_MAX_MS 300000.0
#define DOLTHUB_TIMEOUT_MAX_S 120      /* a call's deadline, 1 s to this: what a town may set */

/* Where to write, as whom, and which effect purpose hears the answers. */
struct dolthub {
	const char *api_url, *owner, *db, *token, *purpose;
	double timeout_ms;
};
/* Each records one effect of d->purpose with subject (whose answer dolthub_answer reads with the
 * kind "create", "write", "poll" or "read"). 0, or -1 with c->err set. */
int dolthub_create(struct call *c, const struct dolthub *d, const char *subject);
int dolthub_write(struct call *c, const struct dolthub *d, const char *subject, const char *sql);
int dolthub_poll(struct call *c, const struct dolthub *d, const char *subject, const char *op);
int dolthub_read(struct call *c, const struct dolthub *d, const char *subject, const char *sql);

enum dolthub_said {
	DH_STARTED, /* a write was taken: poll a->op */
	DH_RUNNING, /* its operation is not done yet: poll again after dolthub_poll_wait_ms */
	DH_DONE,    /* the database exists, or the write is in (or changed nothing) */
	DH_ROWS,    /* a read's rows, a->rows (the caller's to free) */
	DH_FAILED,  /* a->why says what went wrong: back off and send again */
};
struct dolthub_answer {
	char op[DOLTHUB_OP_MAX];
	char why[400];
	cJSON *rows;
};
/* What an answer to a call of kind says; polls: how many times this write's operation was polled. */
enum dolthub_said dolthub_answer(struct dolthub_answer *a, const char *kind, int64_t polls, const cJSON *result,
				 const char *body, size_t len);
/* The wait before poll number polls (1, 2, ...), and the backoff after failures in a row. */
double dolthub_poll_wait_ms(int64_t polls);
double dolthub_backoff_ms(int64_t failures);

/* ---- wasteland.c: the connection and the sync --------------------------------------------------- */

#define WASTELAND_API_DEFAULT "https://www.dolthub.com/api/v1alpha1"
#define WASTELAND_URL_MAX DOLTHUB_URL_MAX
#define WASTELAND_NAME_MAX DOLTHUB_NAME_MAX

struct wasteland_config {
	const char *api_url, *owner, *database, *handle, *display_name, *token; /* api_url, display_name, token may be NULL */
	int64_t cadence_s, timeout_s;
	int create; /* make the database through the API first */
};
/* PUT /api/towns/:town/wasteland: connect, or change the connection. A new target (API, owner,
 * database) starts over and queues every bead on the board; the same one keeps its progress. The
 * token is kept as the town's write-only secret dolthub_token; required the first time. */
int wasteland_put(struct call *c, const struct wasteland_config *in);
/* DELETE: the connection, its queue and the token go; the commons keeps what it was sent. */
int wasteland_delete(struct call *c);
/* The connection and how far the sync is ({state, queued, writes, last_error, ...}); NULL with
 * ERR_NOT_FOUND when not connected. */
cJSON *wasteland_json(struct call *c);
/* Sync now (no cadence, no backoff); with replay, every bead on the board is queued again first. */
int wasteland_sync_now(struct call *c, int replay);
/* Other towns' open posters as last read from the commons, and those claimed here (with their
 * bead): {posters: [...], read_ms}. NULL with ERR_NOT_FOUND when not connected. */
cJSON *wasteland_wanted_json(struct call *c);
/* Claim a poster of the board as a new bead (in rig, or none): its title, text and priority, the
 * poster in its metadata (wasteland_id); the commons is told with the sync. ERR_NOT_FOUND when the
 * town is not connected or the poster is not on the board, ERR_CONFLICT for one claimed already. */
int wasteland_claim(struct call *c, const char *poster, const char *rig, char *bead, size_t bead_len);
int wasteland_on_bead(struct call *c, const struct bead_change *ch);
/* POST /_internal/wasteland/full/:sync, from the town's DoltSyncDO "<town>:<sync>" (the route
 * checks the caller): how far the full sync got (paged, writes, error), and, with want, the page
 * after cursor {statements, beads, next_cursor, last}; with finished, the handover ({done}).
 * Every other answer carries the target and the token. ERR_CONFLICT when sync is not the town's
 * running full sync (it stops then). */
struct wasteland_full_report {
	int64_t cursor, paged, writes;
	const char *error;
	int want, finished;
};
cJSON *wasteland_full_page(struct call *c, const char *sync, const struct wasteland_full_report *in);
int wasteland_full_started(struct call *c, const char *subject, const cJSON *result, const char *body, size_t len);
int wasteland_fired(struct call *c, const char *key);
int wasteland_done(struct call *c, const char *subject, const cJSON *result, const char *body, size_t len);
int wasteland_wipe(struct call *c);

/* ---- dolt_sync.c: the DoltSyncDO, one full sync of a town ------------------------------------------ */

/* POST /_internal/sync from the town: start the sync this object is ("<town>:<sync>"), or, when it
 * runs already, take the target and token anew and try now. ERR_FORBIDDEN from another caller,
 * ERR_INVALID for another sync's name, ERR_CONFLICT once it is over. */
struct dolt_sync_start {
	const char *town, *sync, *api_url, *owner, *database, *token;
	int64_t timeout_s;
};
int dolt_sync_start(struct call *c, const struct dolt_sync_start *in);
/* DELETE /_internal/sync from the town: stop now (a disconnect, a newer full sync); the token goes. */
int dolt_sync_stop(struct call *c);
/* Only the town in this object's name ("<town>:<sync>") may call it: 0, or ERR_FORBIDDEN. */
int dolt_sync_check_caller(struct call *c);
/* {state, cursor, paged, writes, in_flight, failures, last_error, started_ms, done_ms}; NULL with
 * ERR_NOT_FOUND before a start. */
cJSON *dolt_sync_json(struct call *c);
int dolt_sync_done(struct call *c, const char *subject, const cJSON *result, const char *body, size_t len);
int dolt_sync_fired(struct call *c, const char *key);

#endif
