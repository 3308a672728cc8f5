/*
 * jwt.c - verification of compact JSON Web Tokens (RFC 7519) signed with HS256 or RS256 (RFC 7515),
 * following RFC 8725: the algorithm must be on the allow-list fixed by configuration (never chosen by
 * the token: "none" and HS/RS confusion are impossible because each algorithm has its own key), the
 * signature is checked over the encoded segments as received, and only then are the claims read.
 * This file knows tokens, not users: auth.c turns verified claims into a principal.
 */
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <string.h>

#include "core/core.h"
#include "mbedtls/base64.h"
#include "mbedtls/constant_time.h"
#include "mbedtls/md.h"
#include "mbedtls/pk.h"

#define TOKEN_MAX 8192

struct jwt_verifier {
	unsigned char *secret; /* HS256 key, or NULL when HS256 is not accepted */
	size_t secret_len;
	mbedtls_pk_context pk; /* RS256 key, used when has_pk */
	int has_pk;
	char *issuer;   /* required "iss", or NULL */
	char *audience; /* required in "aud", or NULL */
	int leeway_s;
	int max_lifetime_s;
};

static const char *const names[] = {
	[JWT_OK] = "ok",
	[JWT_MALFORMED] = "malformed",
	[JWT_ALG_NOT_ALLOWED] = "alg_not_allowed",
	[JWT_BAD_SIGNATURE] = "bad_signature",
	[JWT_EXPIRED] = "expired",
	[JWT_NOT_YET_VALID] = "not_yet_valid",
	[JWT_WRONG_ISSUER] = "wrong_issuer",
	[JWT_WRONG_AUDIENCE] = "wrong_audience",
	[JWT_TOO_LONG_LIVED] = "too_long_lived",
};

const char *jwt_result_name(enum jwt_result r)
{
	return names[r];
}

static char *dup_str(const char *s)
{
	char *d;

	if (!s || !*s)
		return NULL;
	d = malloc(strlen(s) + 1);
	if (d)
		strcpy(d, s);
	return d;
}

void jwt_verifier_free(struct jwt_verifier *v)
{
	if (!v)
		return;
	if (v->secret) {
		mbedtls_platform_zeroize(v->secret, v->secret_len);
		free(v->secret);
	}
	mbedtls_pk_free(&v->pk);
	free(v->issuer);
	free(v->audience);
	free(v);
}

int jwt_verifier_new(const struct jwt_config *cfg, struct jwt_verifier **out, char *errbuf,
		     size_t errlen)
{
	struct jwt_verifier *v = calloc(1, sizeof *v);

	*out = NULL;
	if (!v) {
		snprintf(errbuf, errlen, "out of memory");
		return -1;
	}
	mbedtls_pk_init(&v->pk);
	v->leeway_s = cfg->leeway_s;
	v->max_lifetime_s = cfg->max_lifetime_s;
	if (cfg->hs256_secret && (cfg->hs256_secret_len || *cfg->hs256_secret)) {
		size_t len = cfg->hs256_secret_len ? cfg->hs256_secret_len : strlen(cfg->hs256_secret);

		/* RFC 8725 §3.5: an HMAC key must carry enough entropy; 32 bytes is SHA-256's size. */
		if (len < 32) {
			snprintf(errbuf, errlen, "the JWT secret must be at least 32 bytes");
			jwt_verifier_free(v);
			return -1;
		}
		v->secret_len = len;
		v->secret = malloc(v->secret_len);
		if (v->secret)
			memcpy(v->secret, cfg->hs256_secret, v->secret_len);
	}
	if (cfg->rs256_public_pem && *cfg->rs256_public_pem) {
		const char *pem = cfg->rs256_public_pem;
		int rc = mbedtls_pk_parse_public_key(&v->pk, (const unsigned char *)pem, strlen(pem) + 1);

		if (rc != 0 || mbedtls_pk_get_type(&v->pk) != MBEDTLS_PK_RSA ||
		    mbedtls_pk_get_bitlen(&v->pk) < 2048) {
			snprintf(errbuf, errlen, "the JWT public key is not an RSA public key of 2048 bits or more");
			jwt_verifier_free(v);
			return -1;
		}
		v->has_pk = 1;
		/* An identity provider's key signs tokens for every application it serves: only the
		 * audience tells which are for this one (RFC 8725 §3.9). */
		if (!cfg->audience || !*cfg->audience) {
			snprintf(errbuf, errlen, "an RS256 public key needs an audience (GASTOWN_JWT_AUDIENCE)");
			jwt_verifier_free(v);
			return -1;
		}
	}
	v->issuer = dup_str(cfg->issuer);
	v->audience = dup_str(cfg->audience);
	if ((cfg->hs256_secret && (cfg->hs256_secret_len || *cfg->hs256_secret) && !v->secret) ||
	    (cfg->issuer && *cfg->issuer && !v->issuer) ||
	    (cfg->audience && *cfg->audience && !v->audience)) {
		snprintf(errbuf, errlen, "out of memory");
		jwt_verifier_free(v);
		return -1;
	}
	*out = v;
	return 0;
}

int jwt_verifier_enabled(const struct jwt_verifier *v)
{
	return v && (v->secret || v->has_pk);
}

/* Decode one base64url segment (no padding) into a fresh NUL-terminated buffer; NULL if it is not
 * base64url. */
static unsigned char *b64url_decode(const char *s, size_t n, size_t *out_len)
{
	size_t padded = (n + 3) / 4 * 4, cap = padded / 4 * 3 + 1;
	char *tmp = malloc(padded + 1);
	unsigned char *out = malloc(cap);

	if (!tmp || !out || n % 4 == 1)
		goto fail;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];

		if (ch == '-')
			ch = '+';
		else if (ch == '_')
			ch = '/';
		else if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9')))
			goto fail; /* '+', '/' and '=' are base64, not base64url */
		tmp[i] = ch;
	}
	for (size_t i = n; i < padded; i++)
		tmp[i] = '=';
	if (mbedtls_base64_decode(out, cap - 1, out_len, (unsigned char *)tmp, padded) != 0)
		goto fail;
	out[*out_len] = '\0';
	free(tmp);
	return out;
fail:
	free(tmp);
	free(out);
	return NULL;
}

static cJSON *decode_json_segment(const char *s, size_t n)
{
	size_t len;
	unsigned char *raw = b64url_decode(s, n, &len);
	struct err ignored = {0};
	/* Strict: RFC 7519 wants a claim named twice refused (cJSON would keep the first), and the
	 * claims that become a member's name and email must be valid UTF-8. */
	cJSON *v = raw ? json_parse_strict((const char *)raw, len, &ignored) : NULL;

	free(raw);
	if (v && !cJSON_IsObject(v)) {
		cJSON_Delete(v);
		return NULL;
	}
	return v;
}

static enum jwt_result check_signature(const struct jwt_verifier *v, const char *alg,
				       const char *signed_part, size_t signed_len,
				       const unsigned char *sig, size_t sig_len)
{
	const mbedtls_md_info_t *sha256 = mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);
	unsigned char mac[32];

	if (strcmp(alg, "HS256") == 0 && v->secret) {
		if (mbedtls_md_hmac(sha256, v->secret, v->secret_len, (const unsigned char *)signed_part,
				    signed_len, mac) != 0)
			return JWT_BAD_SIGNATURE;
		if (sig_len != sizeof mac || mbedtls_ct_memcmp(mac, sig, sizeof mac) != 0)
			return JWT_BAD_SIGNATURE;
		return JWT_OK;
	}
	if (strcmp(alg, "RS256") == 0 && v->has_pk) {
		if (sig_len != mbedtls_pk_get_len(&v->pk) ||
		    mbedtls_md(sha256, (const unsigned char *)signed_part, signed_len, mac) != 0 ||
		    mbedtls_pk_verify((mbedtls_pk_context *)&v->pk, MBEDTLS_MD_SHA256, mac, sizeof mac,
				      sig, sig_len) != 0)
			return JWT_BAD_SIGNATURE;
		return JWT_OK;
	}
	return JWT_ALG_NOT_ALLOWED;
}

static enum jwt_result check_header(const cJSON *h, const char **alg)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(h, "alg");
	const cJSON *typ = cJSON_GetObjectItemCaseSensitive(h, "typ");

	if (!cJSON_IsString(a))
		return JWT_MALFORMED;
	/* We understand no header extensions, so a token that requires one cannot be accepted. */
	if (cJSON_GetObjectItemCaseSensitive(h, "crit"))
		return JWT_MALFORMED;
	if (typ && (!cJSON_IsString(typ) || (strcasecmp(typ->valuestring, "JWT") != 0 &&
					    strcasecmp(typ->valuestring, "at+jwt") != 0)))
		return JWT_MALFORMED;
	*alg = a->valuestring;
	return JWT_OK;
}

static int audience_matches(const cJSON *aud, const char *want)
{
	const cJSON *item;

	if (cJSON_IsString(aud))
		return strcmp(aud->valuestring, want) == 0;
	cJSON_ArrayForEach(item, aud)
		if (cJSON_IsString(item) && strcmp(item->valuestring, want) == 0)
			return 1;
	return 0;
}

/* RFC 7519 §4.1: exp and nbf are NumericDates; a small leeway absorbs clock skew. */
static enum jwt_result check_claims(const struct jwt_verifier *v, const cJSON *p, double now_ms)
{
	const cJSON *exp = cJSON_GetObjectItemCaseSensitive(p, "exp");
	const cJSON *nbf = cJSON_GetObjectItemCaseSensitive(p, "nbf");
	const cJSON *iss = cJSON_GetObjectItemCaseSensitive(p, "iss");
	double now = now_ms / 1000.0;

	/* Tokens without an expiry would be valid forever (RFC 8725 §3.10): refuse them. */
	if (!cJSON_IsNumber(exp) || (nbf && !cJSON_IsNumber(nbf)))
		return JWT_MALFORMED;
	if (now >= exp->valuedouble + v->leeway_s)
		return JWT_EXPIRED;
	if (nbf && now < nbf->valuedouble - v->leeway_s)
		return JWT_NOT_YET_VALID;
	/* A token that lives for years is a key that never rotates (RFC 8725 §3.10): its life is
	 * counted from iat, or from now when it has none. */
	if (v->max_lifetime_s > 0) {
		const cJSON *iat = cJSON_GetObjectItemCaseSensitive(p, "iat");
		double from = cJSON_IsNumber(iat) && iat->valuedouble < now ? iat->valuedouble : now;

		if (exp->valuedouble - from > (double)v->max_lifetime_s + v->leeway_s)
			return JWT_TOO_LONG_LIVED;
	}
	if (v->issuer && (!cJSON_IsString(iss) || strcmp(iss->valuestring, v->issuer) != 0))
		return JWT_WRONG_ISSUER;
	if (v->audience && !audience_matches(cJSON_GetObjectItemCaseSensitive(p, "aud"), v->audience))
		return JWT_WRONG_AUDIENCE;
	return JWT_OK;
}

static int b64url_encode(const unsigned char *in, size_t n, char *out, size_t cap)
{
	size_t len = 0;

	if (mbedtls_base64_encode((unsigned char *)out, cap, &len, in, n) != 0)
		return -1;
	while (len > 0 && out[len - 1] == '=')
		len--;
	out[len] = '\0';
	for (size_t i = 0; i < len; i++)
		out[i] = out[i] == '+' ? '-' : out[i] == '/' ? '_' : out[i];
	return 0;
}

char *jwt_sign_hs256(const unsigned char *key, size_t key_len, const char *kid, const cJSON *claims)
{
	cJSON *header = cJSON_CreateObject();
	char *h = NULL, *p = NULL, *out = NULL;
	unsigned char mac[32];
	size_t hl, pl, cap;

	cJSON_AddStringToObject(header, "alg", "HS256");
	cJSON_AddStringToObject(header, "typ", "JWT");
	if (kid)
		cJSON_AddStringToObject(header, "kid", kid);
	h = json_print(header);
	p = json_print(claims);
	cJSON_Delete(header);
	if (!h || !p)
		goto out;
	hl = strlen(h);
	pl = strlen(p);
	cap = (hl + pl + 64) * 4 / 3 + 128;
	out = cJSON_malloc(cap);
	if (!out || b64url_encode((const unsigned char *)h, hl, out, cap) < 0)
		goto fail;
	hl = strlen(out);
	out[hl] = '.';
	if (b64url_encode((const unsigned char *)p, pl, out + hl + 1, cap - hl - 1) < 0)
		goto fail;
	pl = strlen(out);
	if (mbedtls_md_hmac(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), key, key_len,
			    (const unsigned char *)out, pl, mac) != 0)
		goto fail;
	out[pl] = '.';
	if (b64url_encode(mac, sizeof mac, out + pl + 1, cap - pl - 1) < 0)
		goto fail;
	goto out;
fail:
	cJSON_free(out);
	out = NULL;
out:
	cJSON_free(h);
	cJSON_free(p);
	return out;
}

int jwt_header_kid(const char *token, char *out, size_t len)
{
	const char *dot = strchr(token, '.');
	cJSON *h = dot ? decode_json_segment(token, (size_t)(dot - token)) : NULL;
	const char *kid = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(h, "kid"));
	int found = kid != NULL;

	snprintf(out, len, "%s", kid ? kid : "");
	cJSON_Delete(h);
	return found;
}

enum jwt_result jwt_verify(const struct jwt_verifier *v, const char *token, double now_ms,
			   cJSON **claims)
{
	const char *dot1, *dot2;
	const char *alg = NULL;
	cJSON *header = NULL, *payload = NULL;
	unsigned char *sig = NULL;
	size_t n = strlen(token), sig_len = 0;
	enum jwt_result r = JWT_MALFORMED;

	*claims = NULL;
	if (n == 0 || n > TOKEN_MAX)
		return JWT_MALFORMED;
	dot1 = strchr(token, '.');
	dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
	/* Exactly three non-empty segments: an unsigned token ("x.y.") is never accepted. */
	if (!dot1 || !dot2 || strchr(dot2 + 1, '.') || dot1 == token || dot2 == dot1 + 1 || !dot2[1])
		return JWT_MALFORMED;
	header = decode_json_segment(token, (size_t)(dot1 - token));
	payload = decode_json_segment(dot1 + 1, (size_t)(dot2 - dot1 - 1));
	sig = b64url_decode(dot2 + 1, strlen(dot2 + 1), &sig_len);
	if (!header || !payload || !sig)
		goto out;
	if ((r = check_header(header, &alg)) != JWT_OK)
		goto out;
	if ((r = check_signature(v, alg, token, (size_t)(dot2 - token), sig, sig_len)) != JWT_OK)
		goto out;
	if ((r = check_claims(v, payload, now_ms)) != JWT_OK)
		goto out;
	*claims = payload;
	payload = NULL;
out:
	cJSON_Delete(header);
	cJSON_Delete(payload);
	free(sig);
	return r;
}

const char *jwt_verifier_issuer(const struct jwt_verifier *v)
{
	return v && v->issuer && *v->issuer ? v->issuer : NULL;
}

char *jwt_sign_rs256(const char *pem, const cJSON *claims, int (*rng)(void *, unsigned char *, size_t), void *rng_ctx)
{
	static const char header[] = "{\"alg\":\"RS256\",\"typ\":\"JWT\"}";
	mbedtls_pk_context pk;
	unsigned char hash[32], sig[MBEDTLS_PK_SIGNATURE_MAX_SIZE];
	char *p = json_print(claims), *out = NULL;
	size_t pl, cap, len, sig_len = 0;

	mbedtls_pk_init(&pk);
	if (!p)
		goto out;
	pl = strlen(p);
	cap = (sizeof header + pl) * 4 / 3 + sizeof sig * 4 / 3 + 16;
	/* A PEM key is parsed with its terminating NUL counted, as mbedTLS asks. */
	if (mbedtls_pk_parse_key(&pk, (const unsigned char *)pem, strlen(pem) + 1, NULL, 0, rng, rng_ctx) != 0 ||
	    !mbedtls_pk_can_do(&pk, MBEDTLS_PK_RSA) || !(out = cJSON_malloc(cap)) ||
	    b64url_encode((const unsigned char *)header, sizeof header - 1, out, cap) < 0)
		goto fail;
	len = strlen(out);
	out[len++] = '.';
	if (b64url_encode((const unsigned char *)p, pl, out + len, cap - len) < 0)
		goto fail;
	len = strlen(out);
	if (mbedtls_md(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), (const unsigned char *)out, len, hash) != 0 ||
	    mbedtls_pk_sign(&pk, MBEDTLS_MD_SHA256, hash, sizeof hash, sig, sizeof sig, &sig_len, rng, rng_ctx) != 0)
		goto fail;
	out[len++] = '.';
	if (b64url_encode(sig, sig_len, out + len, cap - len) < 0)
		goto fail;
	goto out;
fail:
	cJSON_free(out);
	out = NULL;
out:
	mbedtls_pk_free(&pk);
	cJSON_free(p);
	return out;
}
