/*
 * auth.c - who is calling. The foundation knows one principal: the operator, holding the bearer token
 * configured for the deployment (GASTOWN_ADMIN_TOKEN). Human JWTs and agent tokens build on this file.
 */
#include <string.h>

#include "internal.h"
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

	if (!cJSON_IsString(v))
		return NULL;
	s = v->valuestring;
	if (strncmp(s, "Bearer ", 7) != 0 && strncmp(s, "bearer ", 7) != 0)
		return NULL;
	return s + 7;
}

int auth_operator(struct call *c)
{
	const char *token = call_bearer(c);
	const char *want = c->cfg->admin_token;

	if (!want || !*want)
		return err_set(&c->err, ERR_FORBIDDEN, NULL,
			       "operator routes are disabled: no admin token is configured");
	if (!token)
		return err_set(&c->err, ERR_UNAUTHENTICATED, "authorization",
			       "a bearer token is required");
	if (!token_equal(token, want))
		return err_set(&c->err, ERR_UNAUTHENTICATED, "authorization", "the token is not valid");
	return 0;
}
