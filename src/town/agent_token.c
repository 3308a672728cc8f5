/*
 * agent_token.c - the tokens an agent acts with: signed with the town's own key (made on first use,
 * kept in town_keys), naming the agent, the town and the human it works for; a generation number
 * on the agent's row revokes every token minted before it. Part of the agent module (agent.c owns
 * the tables; scripts/check-owners.sh counts this file as agent.c).
 */
#include <stdio.h>
#include <string.h>

#include "town/town.h"
#include "sqlite3.h"

/* The town's key for agent tokens, made on first use from the call's entropy. */
static int town_key(struct call *c, unsigned char key[32])
{
	sqlite3_stmt *st = db_prepare(c->db, "SELECT secret FROM town_keys WHERE name = 'agent'", &c->err);
	int found = 0, rc;

	if (!st || (rc = db_step_row(c->db, st, &c->err)) < 0)
		return -1;
	if (rc && sqlite3_column_bytes(st, 0) == 32) {
		memcpy(key, sqlite3_column_blob(st, 0), 32);
		found = 1;
	}
	sqlite3_reset(st);
	if (found)
		return 0;
	if (id_random(c, key, 32) < 0)
		return -1;
	st = db_prepare(c->db, "INSERT INTO town_keys(name, secret) VALUES ('agent', ?)", &c->err);
	if (!st)
		return -1;
	sqlite3_bind_blob(st, 1, key, 32, SQLITE_STATIC);
	return db_step_done(c->db, st, &c->err);
}

int64_t agent_token_gen(struct call *c, const char *agent)
{
	sqlite3_stmt *st = db_prepare(c->db, "SELECT token_gen FROM agents WHERE id = ?", &c->err);
	int64_t gen = -1;

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, agent, -1, SQLITE_STATIC);
	return db_step_int(c->db, st, &gen, &c->err) < 0 ? -1 : gen;
}

int agent_token_revoke(struct call *c, const char *agent)
{
	int rc = agent_exists(c, agent);

	if (rc <= 0)
		return rc < 0 ? -1 : err_set(&c->err, ERR_NOT_FOUND, "agent_id", "no agent '%s' in this town", agent);
	if (db_exec_text(c->db, "UPDATE agents SET token_gen = token_gen + 1 WHERE id = ?1", agent, &c->err) < 0)
		return -1;
	return event_append(c, "agent.tokens_revoked", agent, NULL, NULL, NULL);
}

char *agent_token_mint(struct call *c, const char *agent, const char *requested_by, double orig_iat_s,
		       double *expires_ms)
{
	unsigned char key[32];
	cJSON *claims;
	char *token;
	int64_t gen = agent_token_gen(c, agent);

	if (gen < 0) {
		err_set(&c->err, ERR_NOT_FOUND, "agent_id", "no agent '%s' in this town", agent);
		return NULL;
	}
	if (town_key(c, key) < 0)
		return NULL;
	*expires_ms = c->now_ms + AGENT_TOKEN_TTL_S * 1000.0;
	claims = cJSON_CreateObject();
	cJSON_AddStringToObject(claims, "sub", agent);
	cJSON_AddStringToObject(claims, "town", c->cfg->object_id);
	cJSON_AddStringToObject(claims, "kind", "agent");
	if (requested_by)
		cJSON_AddStringToObject(claims, "requested_by", requested_by);
	cJSON_AddNumberToObject(claims, "iat", (double)(int64_t)(c->now_ms / 1000));
	cJSON_AddNumberToObject(claims, "orig_iat", orig_iat_s > 0 ? orig_iat_s : (double)(int64_t)(c->now_ms / 1000));
	cJSON_AddNumberToObject(claims, "gen", (double)gen);
	cJSON_AddNumberToObject(claims, "exp", (double)(int64_t)(*expires_ms / 1000));
	token = jwt_sign_hs256(key, sizeof key, "town-agent", claims);
	cJSON_Delete(claims);
	if (!token)
		err_set(&c->err, ERR_INTERNAL, NULL, "cannot sign the agent token");
	return token;
}

enum jwt_result agent_token_verify(struct call *c, const char *token, int grace_s, cJSON **claims)
{
	unsigned char key[32];
	struct jwt_config cfg = {.hs256_secret = (const char *)key, .hs256_secret_len = sizeof key,
				 .leeway_s = grace_s};
	struct jwt_verifier *v = NULL;
	char why[64];
	enum jwt_result r;

	*claims = NULL;
	if (town_key(c, key) < 0 || jwt_verifier_new(&cfg, &v, why, sizeof why) < 0)
		return JWT_MALFORMED;
	r = jwt_verify(v, token, c->now_ms, claims);
	jwt_verifier_free(v);
	return r;
}
