/*
 * commons.c - the Wasteland's commons (schema 1.2, docs/wasteland.md) as SQL text: the statements
 * that create it, and the rows a town's beads become. Pure: bead in, statement out; wasteland.c
 * decides when each is sent.
 *
 * Every statement is idempotent, so a write sent twice (a lost answer, a replay of the whole town)
 * leaves the commons as one send would: tables are created IF NOT EXISTS, rows are upserts keyed by
 * ids derived from the town and the bead (never random), times are the bead's own. The text is
 * MySQL's dialect, which Dolt speaks: backslash escapes in literals, `key` quoted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "federation/federation.h"

/* Schema 1.2, one statement per call (DoltHub's write API takes one), in the order they are sent. */
static const char *const schema[] = {
	"CREATE TABLE IF NOT EXISTS _meta (`key` VARCHAR(64) PRIMARY KEY, value TEXT)",
	"CREATE TABLE IF NOT EXISTS rigs (handle VARCHAR(255) PRIMARY KEY, display_name VARCHAR(255),"
	" dolthub_org VARCHAR(255), hop_uri VARCHAR(512), owner_email VARCHAR(255), gt_version VARCHAR(32),"
	" trust_level INT DEFAULT 0, registered_at TIMESTAMP NULL, last_seen TIMESTAMP NULL,"
	" rig_type VARCHAR(16) DEFAULT 'human', parent_rig VARCHAR(255))",
	"CREATE TABLE IF NOT EXISTS wanted (id VARCHAR(64) PRIMARY KEY, title TEXT NOT NULL, description TEXT,"
	" project VARCHAR(64), type VARCHAR(32), priority INT DEFAULT 2, tags JSON, posted_by VARCHAR(255),"
	" claimed_by VARCHAR(255), status VARCHAR(32) DEFAULT 'open', effort_level VARCHAR(16) DEFAULT 'medium',"
	" evidence_url TEXT, sandbox_required TINYINT(1) DEFAULT 0, sandbox_scope JSON, sandbox_min_tier VARCHAR(32),"
	" created_at TIMESTAMP NULL, updated_at TIMESTAMP NULL)",
	"CREATE TABLE IF NOT EXISTS completions (id VARCHAR(64) PRIMARY KEY, wanted_id VARCHAR(64),"
	" completed_by VARCHAR(255), evidence TEXT, validated_by VARCHAR(255), stamp_id VARCHAR(64),"
	" parent_completion_id VARCHAR(64), block_hash VARCHAR(64), hop_uri VARCHAR(512),"
	" completed_at TIMESTAMP NULL, validated_at TIMESTAMP NULL)",
	"CREATE TABLE IF NOT EXISTS stamps (id VARCHAR(64) PRIMARY KEY, author VARCHAR(255) NOT NULL,"
	" subject VARCHAR(255) NOT NULL, valence JSON NOT NULL, confidence FLOAT DEFAULT 1,"
	" severity VARCHAR(16) DEFAULT 'leaf', context_id VARCHAR(64), context_type VARCHAR(32), skill_tags JSON,"
	" message TEXT, prev_stamp_hash VARCHAR(64), block_hash VARCHAR(64), hop_uri VARCHAR(512),"
	" created_at TIMESTAMP NULL, CHECK (author <> subject))",
	"CREATE TABLE IF NOT EXISTS badges (id VARCHAR(64) PRIMARY KEY, rig_handle VARCHAR(255),"
	" badge_type VARCHAR(64), awarded_at TIMESTAMP NULL, evidence TEXT)",
	"CREATE TABLE IF NOT EXISTS chain_meta (chain_id VARCHAR(64) PRIMARY KEY, chain_type VARCHAR(32),"
	" parent_chain_id VARCHAR(64), hop_uri VARCHAR(512), dolt_database VARCHAR(255), created_at TIMESTAMP NULL)",
	"CREATE TABLE IF NOT EXISTS boot_blocks (handle VARCHAR(255) PRIMARY KEY, source VARCHAR(64) NOT NULL,"
	" sheet_json JSON NOT NULL, confidence FLOAT NOT NULL, version VARCHAR(20) NOT NULL,"
	" created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, CHECK (confidence >= 0 AND confidence <= 1))",
	"CREATE TABLE IF NOT EXISTS rig_links (id VARCHAR(64) PRIMARY KEY, rig_a VARCHAR(255) NOT NULL,"
	" rig_b VARCHAR(255) NOT NULL, link_type VARCHAR(32) DEFAULT 'same_owner', assertion_a TEXT, assertion_b TEXT,"
	" status VARCHAR(16) DEFAULT 'pending', created_at TIMESTAMP NULL, completed_at TIMESTAMP NULL,"
	" revoked_at TIMESTAMP NULL, revoked_by VARCHAR(255), UNIQUE KEY rig_pair (rig_a, rig_b), CHECK (rig_a <> rig_b))",
	"INSERT INTO _meta (`key`, value) VALUES ('schema_version', '" COMMONS_SCHEMA_VERSION "')"
	" ON DUPLICATE KEY UPDATE value = IF(value < '" COMMONS_SCHEMA_VERSION "', VALUES(value), value)",
};

size_t commons_schema_count(void)
{
	return sizeof schema / sizeof schema[0];
}

const char *commons_schema_statement(size_t i)
{
	return i < commons_schema_count() ? schema[i] : NULL;
}

/* ---- literals ----------------------------------------------------------------------------------- */

int commons_quote(struct strbuf *sb, const char *s, size_t max)
{
	size_t n = utf8_trim(s, strnlen(s, max)), run = 0;

	if (strbuf_addf(sb, "'") < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] != '\'' && s[i] != '\\')
			continue;
		if (strbuf_addf(sb, "%.*s%c%c", (int)(i - run), s + run, s[i], s[i]) < 0)
			return -1;
		run = i + 1;
	}
	/* '' and \\ are both MySQL's: a quote doubled and a backslash escaped stand for themselves. */
	return strbuf_addf(sb, "%.*s'", (int)(n - run), s + run);
}

void commons_time(double ms, char out[24])
{
	char iso[32];

	/* "2026-12-07T11:15:28.123Z" as TIMESTAMP's "2026-12-07 11:15:28" (UTC: the session's zone). */
	iso_time_format(ms, iso);
	snprintf(out, 24, "%.10s %.8s", iso, iso + 11);
}

static int add_time(struct strbuf *sb, double ms)
{
	char t[24];

	if (ms <= 0)
		return strbuf_addf(sb, "NULL");
	commons_time(ms, t);
	return strbuf_addf(sb, "'%s'", t);
}

/* ---- ids ---------------------------------------------------------------------------------------- */

static int hashed(const char *prefix, const char *a, const char *b, size_t hex, char *out, size_t len)
{
	char text[512], digest[65];
	int n = snprintf(text, sizeof text, "%s|%s", a, b);

	if (n < 0 || (size_t)n >= sizeof text || mac_sha256_hex(text, (size_t)n, digest) < 0)
		return -1;
	snprintf(out, len, "%s%.*s", prefix, (int)hex, digest);
	return 0;
}

int commons_wanted_id(const char *town, const char *bead, char out[COMMONS_ID_MAX])
{
	/* w- and 10 hex, the length the commons' own posters have. */
	return hashed("w-", town, bead, 10, out, COMMONS_ID_MAX);
}

int commons_completion_id(const char *wanted, const char *rig, char out[COMMONS_ID_MAX])
{
	return hashed("c-", wanted, rig, 16, out, COMMONS_ID_MAX);
}

void commons_agent_handle(const char *handle, const char *agent, char out[COMMONS_HANDLE_MAX])
{
	snprintf(out, COMMONS_HANDLE_MAX, "%s-%s", handle, agent);
}

/* ---- rows --------------------------------------------------------------------------------------- */

static const char *str(const cJSON *o, const char *k)
{
	const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, k));

	return s ? s : "";
}

static double num(const cJSON *o, const char *k)
{
	return cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(o, k));
}

/* A link to the work, when the bead's metadata names one (evidence_url, else pr_url). */
static const char *evidence_url(const cJSON *bead)
{
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(bead, "metadata");

	return *str(m, "evidence_url") ? str(m, "evidence_url") : str(m, "pr_url");
}

const char *commons_wanted_status(const char *bead_status)
{
	if (!strcmp(bead_status, "in_progress"))
		return "claimed";
	if (!strcmp(bead_status, "in_review"))
		return "in_review";
	if (!strcmp(bead_status, "closed"))
		return "completed";
	/* open, blocked, and failed (a failed bead goes back to the board: anyone may take it) */
	return "open";
}

/* The commons' five types; the town's others are features of some kind. */
static const char *wanted_type(const char *t)
{
	return !strcmp(t, "bug") ? "bug" : "feature";
}

/* The agent that has or had the bead: who works it now, else who worked it last. */
const char *commons_bead_agent(const cJSON *bead)
{
	const char *a = str(bead, "assignee");

	return *a ? a : str(bead, "worked_by");
}

int commons_wanted_begin(struct strbuf *sb)
{
	return strbuf_addf(sb, "INSERT INTO wanted (id, title, description, project, type, priority, tags, posted_by,"
			       " claimed_by, status, effort_level, evidence_url, created_at, updated_at) VALUES ");
}

int commons_wanted_row(struct strbuf *sb, const struct commons_town *t, const cJSON *bead, int first)
{
	char id[COMMONS_ID_MAX], agent[COMMONS_HANDLE_MAX];
	const cJSON *labels = cJSON_GetObjectItemCaseSensitive(bead, "labels"), *l;
	const char *status = commons_wanted_status(str(bead, "status")), *who = commons_bead_agent(bead);
	struct strbuf tags = {0};
	int p = (int)num(bead, "priority"), rc, sep = 0;

	if (commons_wanted_id(t->town, str(bead, "id"), id) < 0)
		return -1;
	/* The labels, less the one that put the bead on the board, as a JSON array. */
	rc = strbuf_addf(&tags, "[");
	cJSON_ArrayForEach(l, labels) {
		char *q;

		if (!cJSON_IsString(l) || !strcmp(l->valuestring, COMMONS_LABEL))
			continue;
		if (!(q = json_print(l)) || strbuf_addf(&tags, "%s%s", sep++ ? "," : "", q) < 0)
			rc = -1;
		cJSON_free(q);
	}
	if (rc < 0 || strbuf_addf(&tags, "]") < 0) {
		free(tags.buf);
		return -1;
	}
	rc = strbuf_addf(sb, "%s('%s', ", first ? "" : ", ", id) < 0 ||
	     commons_quote(sb, str(bead, "title"), COMMONS_TITLE_MAX) < 0 || strbuf_addf(sb, ", ") < 0 ||
	     commons_quote(sb, str(bead, "body"), COMMONS_TEXT_MAX) < 0 || strbuf_addf(sb, ", ") < 0 ||
	     commons_quote(sb, str(bead, "rig"), 64) < 0 ||
	     strbuf_addf(sb, ", '%s', %d, ", wanted_type(str(bead, "type")), p < 0 ? 0 : p > 4 ? 4 : p) < 0 ||
	     commons_quote(sb, tags.buf, COMMONS_TEXT_MAX) < 0 || strbuf_addf(sb, ", ") < 0 ||
	     commons_quote(sb, t->handle, COMMONS_HANDLE_MAX) < 0 || strbuf_addf(sb, ", ") < 0;
	free(tags.buf);
	if (rc)
		return -1;
	/* Claimed by the agent only once it is past open; an open poster is nobody's. */
	if (strcmp(status, "open") && *who) {
		commons_agent_handle(t->handle, who, agent);
		if (commons_quote(sb, agent, COMMONS_HANDLE_MAX) < 0)
			return -1;
	} else if (strbuf_addf(sb, "NULL") < 0)
		return -1;
	if (strbuf_addf(sb, ", '%s', 'medium', ", status) < 0)
		return -1;
	if (*evidence_url(bead) ? commons_quote(sb, evidence_url(bead), 2000) : strbuf_addf(sb, "NULL"))
		return -1;
	if (strbuf_addf(sb, ", ") < 0 || add_time(sb, num(bead, "created_ms")) < 0 || strbuf_addf(sb, ", ") < 0 ||
	    add_time(sb, num(bead, "updated_ms")) < 0)
		return -1;
	return strbuf_addf(sb, ")");
}

int commons_wanted_end(struct strbuf *sb)
{
	return strbuf_addf(sb, " ON DUPLICATE KEY UPDATE title = VALUES(title), description = VALUES(description),"
			       " project = VALUES(project), type = VALUES(type), priority = VALUES(priority),"
			       " tags = VALUES(tags), claimed_by = VALUES(claimed_by), status = VALUES(status),"
			       " evidence_url = VALUES(evidence_url), updated_at = VALUES(updated_at)");
}

int commons_completion_begin(struct strbuf *sb)
{
	return strbuf_addf(sb, "INSERT INTO completions (id, wanted_id, completed_by, evidence, hop_uri, completed_at)"
			       " VALUES ");
}

int commons_completion_row(struct strbuf *sb, const struct commons_town *t, const cJSON *bead, const char *wanted,
			   int first)
{
	char id[COMMONS_ID_MAX], by[COMMONS_HANDLE_MAX], evidence[512], hop[600];
	const char *who = commons_bead_agent(bead), *pr = evidence_url(bead);
	double closed = num(bead, "closed_ms");

	if (*who)
		commons_agent_handle(t->handle, who, by);
	else
		snprintf(by, sizeof by, "%s", t->handle);
	if (commons_completion_id(wanted, t->handle, id) < 0)
		return -1;
	if (*pr)
		snprintf(evidence, sizeof evidence, "%s", pr);
	else
		snprintf(evidence, sizeof evidence, "bead %s closed in town %s", str(bead, "id"), t->handle);
	snprintf(hop, sizeof hop, "hop://%s/%s/", t->owner, t->handle);
	if (strbuf_addf(sb, "%s('%s', '%s', ", first ? "" : ", ", id, wanted) < 0 ||
	    commons_quote(sb, by, COMMONS_HANDLE_MAX) < 0 || strbuf_addf(sb, ", ") < 0 ||
	    commons_quote(sb, evidence, sizeof evidence) < 0 || strbuf_addf(sb, ", ") < 0 ||
	    commons_quote(sb, hop, sizeof hop) < 0 || strbuf_addf(sb, ", ") < 0 ||
	    add_time(sb, closed > 0 ? closed : num(bead, "updated_ms")) < 0)
		return -1;
	return strbuf_addf(sb, ")");
}

int commons_completion_end(struct strbuf *sb)
{
	return strbuf_addf(sb, " ON DUPLICATE KEY UPDATE completed_by = VALUES(completed_by), evidence = VALUES(evidence),"
			       " hop_uri = VALUES(hop_uri), completed_at = VALUES(completed_at)");
}

int commons_rig_begin(struct strbuf *sb)
{
	return strbuf_addf(sb, "INSERT INTO rigs (handle, display_name, dolthub_org, hop_uri, gt_version, trust_level,"
			       " registered_at, last_seen, rig_type, parent_rig) VALUES ");
}

int commons_rig_row(struct strbuf *sb, const struct commons_town *t, const char *agent, const char *name, double at_ms,
		    int first)
{
	char handle[COMMONS_HANDLE_MAX], hop[600];

	if (agent)
		commons_agent_handle(t->handle, agent, handle);
	else
		snprintf(handle, sizeof handle, "%s", t->handle);
	snprintf(hop, sizeof hop, "hop://%s/%s/", t->owner, handle);
	if (strbuf_addf(sb, "%s(", first ? "" : ", ") < 0 || commons_quote(sb, handle, sizeof handle) < 0 ||
	    strbuf_addf(sb, ", ") < 0 || commons_quote(sb, name, 255) < 0 || strbuf_addf(sb, ", ") < 0 ||
	    commons_quote(sb, t->owner, 255) < 0 || strbuf_addf(sb, ", ") < 0 || commons_quote(sb, hop, sizeof hop) < 0 ||
	    strbuf_addf(sb, ", 'gastown-edge', 1, ") < 0 || add_time(sb, at_ms) < 0 || strbuf_addf(sb, ", ") < 0 ||
	    add_time(sb, at_ms) < 0 || strbuf_addf(sb, ", '%s', ", agent ? "agent" : "town") < 0)
		return -1;
	if (agent ? commons_quote(sb, t->handle, COMMONS_HANDLE_MAX) : strbuf_addf(sb, "NULL"))
		return -1;
	return strbuf_addf(sb, ")");
}

int commons_rig_end(struct strbuf *sb)
{
	/* The first time a rig was seen stays; last_seen only moves forward, so an old row replayed
	 * after a newer one changes nothing. */
	return strbuf_addf(sb, " ON DUPLICATE KEY UPDATE display_name = VALUES(display_name),"
			       " dolthub_org = VALUES(dolthub_org), hop_uri = VALUES(hop_uri), parent_rig = VALUES(parent_rig),"
			       " last_seen = GREATEST(COALESCE(last_seen, VALUES(last_seen)), VALUES(last_seen)),"
			       " registered_at = LEAST(COALESCE(registered_at, VALUES(registered_at)), VALUES(registered_at))");
}

int commons_withdraw_begin(struct strbuf *sb)
{
	return strbuf_addf(sb, "UPDATE wanted SET status = 'withdrawn', claimed_by = NULL WHERE id IN (");
}

int commons_undone_begin(struct strbuf *sb)
{
	return strbuf_addf(sb, "DELETE FROM completions WHERE id IN (");
}

/* Another town's poster, as this town takes it on: claimed (open, or ours already: a reopened bead
 * takes it back from in_review), in review once done, open again when the bead goes. Claims are
 * intent, not locks (the commons' own rule): the guard only keeps the town from taking a poster
 * someone else holds. */
int commons_claim_begin(struct strbuf *sb, const char *handle)
{
	return strbuf_addf(sb, "UPDATE wanted SET status = 'claimed', claimed_by = ") < 0 ||
			       commons_quote(sb, handle, COMMONS_HANDLE_MAX) < 0 ||
			       strbuf_addf(sb, " WHERE (status = 'open' OR claimed_by = ") < 0 ||
			       commons_quote(sb, handle, COMMONS_HANDLE_MAX) < 0
		       ? -1 : strbuf_addf(sb, ") AND id IN (");
}

int commons_review_begin(struct strbuf *sb, const char *handle)
{
	return strbuf_addf(sb, "UPDATE wanted SET status = 'in_review', claimed_by = ") < 0 ||
			       commons_quote(sb, handle, COMMONS_HANDLE_MAX) < 0 ||
			       strbuf_addf(sb, " WHERE (status = 'open' OR claimed_by = ") < 0 ||
			       commons_quote(sb, handle, COMMONS_HANDLE_MAX) < 0
		       ? -1 : strbuf_addf(sb, ") AND id IN (");
}

int commons_unclaim_begin(struct strbuf *sb, const char *handle)
{
	return strbuf_addf(sb, "UPDATE wanted SET status = 'open', claimed_by = NULL WHERE claimed_by = ") < 0 ||
			       commons_quote(sb, handle, COMMONS_HANDLE_MAX) < 0
		       ? -1 : strbuf_addf(sb, " AND status IN ('claimed', 'in_review') AND id IN (");
}

int commons_open_query(struct strbuf *sb, const char *handle)
{
	return strbuf_addf(sb, "SELECT id, title, description, project, type, priority, tags, posted_by, effort_level,"
			       " updated_at FROM wanted WHERE status = 'open' AND (posted_by IS NULL OR posted_by <> ") < 0 ||
			       commons_quote(sb, handle, COMMONS_HANDLE_MAX) < 0
		       ? -1 : strbuf_addf(sb, ") ORDER BY priority, updated_at DESC LIMIT %d", COMMONS_READ_MAX);
}

int commons_id_list(struct strbuf *sb, const char *id, int first)
{
	/* Quoted like any text: another town's poster id came from the commons. */
	return strbuf_addf(sb, "%s", first ? "" : ", ") < 0 ? -1 : commons_quote(sb, id, COMMONS_ID_MAX);
}
