/*
 * memory/memory.h - what a town remembers beyond its own object (docs/memory.md): the agent log,
 * kept by the town's AgentLogDO (engine kind "log"). The town lets callers in and passes their
 * requests on (api/log_routes.c); this layer is the log object's side. Over hooks.
 */
#ifndef GASTOWN_MEMORY_H
#define GASTOWN_MEMORY_H

#include "hooks/hooks.h"

/* ---- agent_log.c: the AgentLogDO's events and their full-text search --------------------------- */

#define LOG_EVENTS_PER_CALL 256
#define LOG_ID_MAX 64
#define LOG_TEXT_IN_MAX 65536 /* an event's text as a batch may carry it */
#define LOG_TEXT_KEEP 4096    /* and as the log keeps it: cut between characters, the size recorded */
#define LOG_PATH_MAX 1024
#define LOG_QUERY_MAX 500
#define LOG_LIST_MAX 1000
#define LOG_RESULTS_MAX 100

/* The headers the town adds when it passes an agent's batch on: the bead and rig the agent is on,
 * and how many of its events to keep (the town's log_keep setting). */
#define LOG_HEADER_BEAD "x-log-bead"
#define LOG_HEADER_RIG "x-log-rig"
#define LOG_HEADER_KEEP "x-log-keep"

/* POST /_internal/agents/:agent/log, from the log's town only: a batch {events: [{id, kind, text,
 * tool?, path?, bead?, at_ms?, size?}]}; an event whose id the agent sent before is taken once. Answers
 * {stored, duplicates, dropped}. */
extern const struct fields log_batch_body;
int log_ingest(struct call *c);
/* GET /_internal/agents/:agent/log?after=&limit=: the agent's events oldest first. */
int log_list(struct call *c);
/* GET /_internal/search?q=&agent=&bead=&rig=&kind=&path=&since_ms=&until_ms=&order=&limit=: events
 * matching the FTS5 query q (best first, or newest with order=recent), each with a snippet; with
 * path and no q, the newest events on paths under it. */
int log_search(struct call *c);

/* One of the town's own entries (a bead, a note), replaced whole: out of the index with its old
 * row, in with the new; gone removes it. Strings may be NULL for none, but agent, id and kind. */
struct log_entry {
	const char *agent, *id, *kind, *bead, *rig, *path, *text;
	double at_ms;
	int gone;
};
int log_entry_replace(struct call *c, const struct log_entry *e);

/* ---- log_index.c: the town's beads and notes in the search ----------------------------------------- */

/* The town's listeners: a bead created or deleted, a note added, queued for the "log-index" timer,
 * which sends the queue in one batch (a do:// effect, purpose "log-index"). */
int log_index_on_bead(struct call *c, const struct bead_change *ch);
int log_index_on_note(struct call *c, const char *id);
int log_index_fired(struct call *c, const char *key);
int log_index_sent(struct call *c, const char *subject, const cJSON *result, const char *body, size_t len);
int log_index_wipe(struct call *c);
/* POST /_internal/index, from the log's town only: {items: [{id, kind: bead|note, agent, bead?,
 * rig?, path?, text?, at_ms?, gone?}]}, each replacing its entry (gone: removing it). */
extern const struct fields log_index_body;
int log_index_take(struct call *c);

/* ---- log_wipe.c: a deleted town's log goes with it ----------------------------------------------- */

/* The town's part of town_deleting: ask its log object to wipe (a do:// effect, purpose "log-wipe"),
 * and again a minute after one not taken (timer "log-wipe"). */
int log_town_deleted(struct call *c);
int log_wipe_sent(struct call *c, const char *subject, const cJSON *result, const char *body, size_t len);
int log_wipe_retry_fired(struct call *c, const char *key);
/* DELETE /_internal/log, from the log's town only: the search index emptied at once, the events in
 * slices on the alarm (timer "log-wipe-slice"). */
int log_wipe(struct call *c);
int log_wipe_slice_fired(struct call *c, const char *key);

#endif
