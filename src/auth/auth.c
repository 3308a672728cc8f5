/*
 * auth.c - who is calling: the operator, holding the bearer token configured for the deployment
 * (GASTOWN_ADMIN_TOKEN); a person, holding a JWT from the configured issuer (jwt.c verifies it; this
 * file turns its claims into a principal); or an agent, holding a token its town minted.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "auth/auth.h"
#include "mbedtls/sha256.h"

/* Compare digests rather than tokens: equal lengths, and the time taken says nothing about how
 * much of the token matched. */
static int token_equal(const char *a, const char *b)
{
	unsigned char da[32], db[32];
	unsigned char diff = 0;

	if (mbedtls_sha256((const unsigned char *)a, strlen(a), da, 0) != 0 ||
	    mbedtls_sha256((const unsigned char *)b, strlen(b), db, 0) != 0)
		return 0;
	for (size_t i = 0; i < sizeof da; i++)
		diff |= (unsigned char)(da[i] ^ db[i]);
	return diff == 0;
}

const char *call_bearer(struct call *c)
{
	const cJSON *h = cJSON_GetObjectItemCaseSensitive(c->meta, "headers");
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(h, "authorization");
	const char *s;

	if (!cJSON_IsString(v)) {
		/* Browsers cannot set headers on a WebSocket: the upgrade may carry ?token= instead. */
		if (ws_is_upgrade(c) && c->nseg > 0 &&
		    (strcmp(c->seg[c->nseg - 1], "ws") == 0 || strcmp(c->seg[c->nseg - 1], "terminal") == 0)) {
			if (query_get(c, "token", c->query_token, QUERY_TOKEN_MAX) == 1)
				return c->query_token;
			err_take(&c->err, ERR_INVALID); /* a malformed ?token= is just no token */
		}
		return NULL;
	}
	/* The scheme is case-insensitive and followed by one or more spaces (RFC 7235 2.1):
	 * "BEARER x" is as good as "Bearer x". */
	s = v->valuestring;
	if (strncasecmp(s, "bearer", 6) != 0 || s[6] != ' ')
		return NULL;
	for (s += 6; *s == ' '; s++)
		;
	/* Said plainly rather than as a token that does not verify: no token of ours is this long.
	 * (workerd refuses a header block of 128 KiB or more before the worker runs.) */
	if (strlen(s) > AUTH_TOKEN_MAX) {
		err_set(&c->err, ERR_INVALID, "authorization", "the bearer token is longer than %d bytes",
			AUTH_TOKEN_MAX);
		return NULL;
	}
	return *s ? s : NULL;
}

int auth_operator(struct call *c)
{
	const char *token = call_bearer(c);
	const char *want = c->cfg->admin_token;

	if (!want || !*want)
		return err_set(&c->err, ERR_FORBIDDEN, NULL,
			       "operator routes are disabled: no admin token is configured");
	if (!token)
		return c->err.code != ERR_NONE ? -1 : err_set(&c->err, ERR_UNAUTHENTICATED, "authorization",
								 "a bearer token is required");
	if (!token_equal(token, want))
		return err_set(&c->err, ERR_UNAUTHENTICATED, "authorization", "the token is not valid");
	c->who.kind = PRINCIPAL_OPERATOR;
	return 0;
}

static int refuse(struct call *c, const char *reason, const char *message)
{
	/* A failure met while checking the token (storage, reading the town's key) stands as it is:
	 * the reason must not be pinned on it. */
	if (c->err.code != ERR_NONE)
		return -1;
	err_set(&c->err, ERR_UNAUTHENTICATED, "authorization", "%s", message);
	snprintf(c->err.reason, sizeof c->err.reason, "%s", reason);
	return -1;
}

/* A user id becomes part of object names and paths: printable ASCII without '/', 1-128 bytes. */
int user_id_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 128)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x21 || s[i] > 0x7e || s[i] == '/')
			return 0;
	return 1;
}

static void copy_claim(const cJSON *claims, const char *name, char *out, size_t len)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(claims, name);

	/* Cut between characters: a long name is stored and shown again. */
	utf8_copy(out, len, cJSON_IsString(v) ? v->valuestring : "");
}

/* The cache holds one verified token; a hit skips signature and claims checks entirely. */
static int cache_lookup(struct call *c, const char *token, enum principal_kind kind, unsigned char digest[32])
{
	struct auth_cache *ac = c->auth_cache;
	unsigned char diff = 0;

	if (mbedtls_sha256((const unsigned char *)token, strlen(token), digest, 0) != 0 || !ac || !ac->valid ||
	    ac->who.kind != kind || c->now_ms >= ac->until_ms)
		return 0;
	for (int i = 0; i < 32; i++)
		diff |= (unsigned char)(ac->digest[i] ^ digest[i]);
	if (diff)
		return 0;
	c->who = ac->who;
	return 1;
}

static void cache_store(struct call *c, const unsigned char digest[32], const cJSON *claims)
{
	struct auth_cache *ac = c->auth_cache;
	const cJSON *exp = cJSON_GetObjectItemCaseSensitive(claims, "exp");

	if (!ac || !cJSON_IsNumber(exp))
		return;
	memcpy(ac->digest, digest, 32);
	ac->until_ms = exp->valuedouble * 1000.0;
	ac->who = c->who;
	ac->valid = 1;
}

int auth_user(struct call *c)
{
	static const char *const messages[] = {
		[JWT_MALFORMED] = "the token is not a well-formed JWT with an expiry",
		[JWT_ALG_NOT_ALLOWED] = "the token's algorithm is not accepted here",
		[JWT_BAD_SIGNATURE] = "the token's signature does not verify",
		[JWT_EXPIRED] = "the token has expired",
		[JWT_NOT_YET_VALID] = "the token is not valid yet",
		[JWT_WRONG_ISSUER] = "the token was issued by another issuer",
		[JWT_WRONG_AUDIENCE] = "the token is meant for another audience",
		[JWT_TOO_LONG_LIVED] = "the token lives longer than 24 hours: ask for a shorter-lived one",
	};
	const char *token;
	const cJSON *sub;
	cJSON *claims = NULL;
	unsigned char digest[32];
	enum jwt_result r;

	if (c->who_verified)
		return c->who.kind == PRINCIPAL_USER ? 0 : refuse(c, "not_a_person", "this route takes a person's token");
	token = call_bearer(c);
	if (!jwt_verifier_enabled(c->jwt))
		return err_set(&c->err, ERR_FORBIDDEN, NULL,
			       "sign-in is not configured: set GASTOWN_JWT_SECRET or GASTOWN_JWT_PUBLIC_KEY");
	if (!token)
		return c->err.code != ERR_NONE ? -1 : refuse(c, "missing", "a bearer token is required");
	if (cache_lookup(c, token, PRINCIPAL_USER, digest))
		return 0;
	r = jwt_verify(c->jwt, token, c->now_ms, &claims);
	if (r != JWT_OK)
		return refuse(c, jwt_result_name(r), messages[r]);
	sub = cJSON_GetObjectItemCaseSensitive(claims, "sub");
	if (!cJSON_IsString(sub) || !user_id_valid(sub->valuestring)) {
		cJSON_Delete(claims);
		return refuse(c, "malformed", "the token has no usable subject (sub)");
	}
	c->who.kind = PRINCIPAL_USER;
	snprintf(c->who.id, sizeof c->who.id, "%s", sub->valuestring);
	copy_claim(claims, "name", c->who.name, sizeof c->who.name);
	copy_claim(claims, "email", c->who.email, sizeof c->who.email);
	cache_store(c, digest, claims);
	cJSON_Delete(claims);
	return 0;
}

static int agent_token(struct call *c, int grace_s, const char *agent);

/* A token outlives nothing: once its agent (or its whole town) is gone, or its tokens were
 * revoked, it opens no door. Checked on every request, remembered tokens included. A Mayor acting
 * on a member's message (x-gastown-on-message) acts for that member. */
static int agent_still_here(struct call *c)
{
	const cJSON *h = cJSON_GetObjectItemCaseSensitive(c->meta, "headers");
	const char *on = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(h, "x-gastown-on-message"));
	int64_t gen = agent_token_gen(c, c->who.id);

	if (c->err.code != ERR_NONE)
		return -1;
	if (gen < 0) {
		c->who.kind = PRINCIPAL_NONE;
		return refuse(c, "unknown_agent", "the agent of this token no longer exists");
	}
	if (gen != c->who.token_gen) {
		c->who.kind = PRINCIPAL_NONE;
		return refuse(c, "revoked", "this agent token was revoked");
	}
	if (!on)
		return 0;
	c->who.on_message = 1;
	return mayor_acts_on(c, on);
}

int auth_agent(struct call *c, int grace_s)
{
	const char *agent = c->nseg > 4 ? c->seg[4] : "";

	if (c->who_verified && c->who.kind != PRINCIPAL_AGENT)
		return refuse(c, "not_an_agent", "this route takes an agent token");
	if (c->who_verified)
		return strcmp(c->who.id, agent) == 0 ? 0 : err_set(&c->err, ERR_FORBIDDEN, "agent_id",
								  "an agent token acts for its own agent only");
	return agent_token(c, grace_s, agent);
}

int auth_person_or_agent(struct call *c)
{
	const char *token;
	char kid[32];

	if (c->who_verified)
		return 0;
	token = call_bearer(c);
	if (token && jwt_header_kid(token, kid, sizeof kid) && strcmp(kid, "town-agent") == 0)
		return agent_token(c, 60, NULL);
	return auth_user(c);
}

/* Verify an agent token of this town; agent, when given, must be its subject. */
static int agent_token(struct call *c, int grace_s, const char *agent)
{
	const char *token = call_bearer(c);
	cJSON *claims = NULL;
	const cJSON *sub, *town, *kind, *rb;
	struct err ignored = {0};
	unsigned char digest[32];
	enum jwt_result r;

	if (!token)
		return c->err.code != ERR_NONE ? -1 : refuse(c, "missing", "an agent token is required");
	if (cache_lookup(c, token, PRINCIPAL_AGENT, digest)) {
		if (agent && strcmp(c->who.id, agent) != 0)
			return err_set(&c->err, ERR_FORBIDDEN, "agent_id", "an agent token acts for its own agent only");
		return agent_still_here(c);
	}
	r = agent_token_verify(c, token, grace_s, &claims);
	if (r != JWT_OK)
		return refuse(c, jwt_result_name(r), r == JWT_EXPIRED ? "the agent token has expired: refresh it"
						      : "the agent token is not valid for this town");
	sub = cJSON_GetObjectItemCaseSensitive(claims, "sub");
	town = cJSON_GetObjectItemCaseSensitive(claims, "town");
	kind = cJSON_GetObjectItemCaseSensitive(claims, "kind");
	rb = cJSON_GetObjectItemCaseSensitive(claims, "requested_by");
	/* The signature already ties the token to this town's key; the claims say the same. */
	if (!cJSON_IsString(sub) || !cJSON_IsString(town) || !cJSON_IsString(kind) ||
	    strcmp(kind->valuestring, "agent") != 0 || strcmp(town->valuestring, c->cfg->object_id) != 0) {
		cJSON_Delete(claims);
		return refuse(c, "malformed", "the token is not an agent token of this town");
	}
	if (agent && strcmp(sub->valuestring, agent) != 0) {
		cJSON_Delete(claims);
		return err_set(&c->err, ERR_FORBIDDEN, "agent_id", "an agent token acts for its own agent only");
	}
	c->who.kind = PRINCIPAL_AGENT;
	snprintf(c->who.id, sizeof c->who.id, "%s", sub->valuestring);
	snprintf(c->who.requested_by, sizeof c->who.requested_by, "%s",
		 cJSON_IsString(rb) ? rb->valuestring : "");
	/* json_int checks gen's range before it converts it (a converted NaN or 1e300 is undefined). */
	if (json_int(claims, "gen", 1, 0, INT64_MAX, &c->who.token_gen, &ignored) < 0 ||
	    !cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(claims, "orig_iat"))) {
		cJSON_Delete(claims);
		c->who.kind = PRINCIPAL_NONE;
		return refuse(c, "malformed", "the token is not an agent token of this town");
	}
	c->who.token_orig_iat = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(claims, "orig_iat"));
	cache_store(c, digest, claims);
	cJSON_Delete(claims);
	return agent_still_here(c);
}

int auth_internal_caller(struct call *c, const char *kind, const char *id)
{
	const cJSON *h = cJSON_GetObjectItemCaseSensitive(c->meta, "headers");
	const char *who = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(h, "x-gastown-caller"));
	char want[200];

	snprintf(want, sizeof want, "%s:%s", kind, id);
	if (!who || strcmp(who, want) != 0)
		return err_set(&c->err, ERR_FORBIDDEN, NULL, "only %s may make this call", want);
	return 0;
}
