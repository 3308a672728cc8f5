/*
 * test_jwt.c - JWT verification against the RFC 7515 Appendix A.1 (HS256) and A.2 (RS256) vectors,
 * and every way a token is refused: algorithm confusion, "none", bad segments, expiry, nbf,
 * issuer, audience, crit. Tokens beyond the RFC's are minted here with mbedTLS (HMAC) over exact
 * header and payload text.
 */
#include "harness.h"
#include "api/api.h"
#include "mbedtls/base64.h"
#include "mbedtls/md.h"

/* RFC 7515 A.1: the key, and the JWS of RFC 7519 §3.1 (header and payload contain CRLFs). */
static const char A1_KEY_B64URL[] =
	"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow";
static const char A1_TOKEN[] =
	"eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9."
	"eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ."
	"dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

/* RFC 7515 A.2: the JWS, and the RSA public key of A.2 (n, e=AQAB) as SubjectPublicKeyInfo PEM. */
static const char A2_TOKEN[] =
	"eyJhbGciOiJSUzI1NiJ9."
	"eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ."
	"cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7"
	"AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4"
	"BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K"
	"0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqv"
	"hJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrB"
	"p0igcN_IoypGlUPQGe77Rw";
static const char A2_PEM[] =
	"-----BEGIN PUBLIC KEY-----\n"
	"MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAofgWCuLjybRlzo0tZWJj\n"
	"NiuSfb4p4fAkd/wWJcyQoTbji9k0l8W26mPddxHmfHQp+Vaw+4qPCJrcS2mJPMEz\n"
	"P1Pt0Bm4d4QlL+yRT+SFd2lZS+pCgNMsD1W/YpRPEwOWvG6b32690r2jZ47soMZo\n"
	"9wGzjb/7OMg0LOL+bSf63kpaSHSXndS5z5rexMdbBYUsLA9e+KXBdQOS+UTo7WTB\n"
	"EMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6/I5IhlJH7aGhyxX\n"
	"FvUK+DWNmoudF8NAco9/h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXp\n"
	"oQIDAQAB\n"
	"-----END PUBLIC KEY-----\n";

/* 1300819380 is the vectors' exp; a time shortly before it, in ms. */
static const double BEFORE_EXP = 1300819300000.0;

static const char SECRET[] = "a-test-secret-that-is-long-enough-for-hs256";

static void b64url(const unsigned char *in, size_t n, char *out, size_t cap)
{
	size_t len = 0;

	mbedtls_base64_encode((unsigned char *)out, cap, &len, in, n);
	out[len] = '\0';
	for (size_t i = 0; i < len; i++) {
		if (out[i] == '+')
			out[i] = '-';
		else if (out[i] == '/')
			out[i] = '_';
		else if (out[i] == '=') {
			out[i] = '\0';
			break;
		}
	}
}

/* Mint header.payload.HS256(key) into out. */
static void mint(const char *header, const char *payload, const char *key, char *out, size_t cap)
{
	char h[1024], p[1024], sig[64];
	unsigned char mac[32];

	b64url((const unsigned char *)header, strlen(header), h, sizeof h);
	b64url((const unsigned char *)payload, strlen(payload), p, sizeof p);
	snprintf(out, cap, "%s.%s", h, p);
	mbedtls_md_hmac(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), (const unsigned char *)key,
			strlen(key), (const unsigned char *)out, strlen(out), mac);
	b64url(mac, sizeof mac, sig, sizeof sig);
	snprintf(out + strlen(out), cap - strlen(out), ".%s", sig);
}

static struct jwt_verifier *verifier(const char *secret, size_t secret_len, const char *pem,
				     const char *iss, const char *aud)
{
	struct jwt_config cfg = {.hs256_secret = secret, .hs256_secret_len = secret_len,
				 .rs256_public_pem = pem, .issuer = iss, .audience = aud, .leeway_s = 60};
	struct jwt_verifier *v = NULL;
	char why[128];

	if (jwt_verifier_new(&cfg, &v, why, sizeof why) < 0)
		printf("# verifier: %s\n", why);
	return v;
}

static enum jwt_result check(const struct jwt_verifier *v, const char *token, double now_ms)
{
	cJSON *claims = NULL;
	enum jwt_result r = jwt_verify(v, token, now_ms, &claims);

	if (r == JWT_OK)
		CHECK(cJSON_IsObject(claims));
	else
		CHECK(claims == NULL);
	cJSON_Delete(claims);
	return r;
}

static void rfc7515_a1_hs256_vector(void)
{
	unsigned char key[64];
	size_t klen = 0;
	char b64[sizeof A1_KEY_B64URL + 4];
	struct jwt_verifier *v;
	cJSON *claims = NULL;

	/* The key is given in base64url; turn it into base64 for mbedTLS's decoder. */
	snprintf(b64, sizeof b64, "%s==", A1_KEY_B64URL);
	for (char *p = b64; *p; p++)
		*p = *p == '-' ? '+' : *p == '_' ? '/' : *p;
	CHECK(mbedtls_base64_decode(key, sizeof key, &klen, (unsigned char *)b64, strlen(b64)) == 0);
	CHECK(klen == 64);

	v = verifier((const char *)key, klen, NULL, "joe", NULL);
	CHECK(v != NULL);
	CHECK(jwt_verify(v, A1_TOKEN, BEFORE_EXP, &claims) == JWT_OK);
	CHECK(cJSON_IsTrue(cJSON_GetObjectItem(claims, "http://example.com/is_root")));
	cJSON_Delete(claims);
	/* Expiry with the 60 s leeway: still valid 59 s after exp, refused at 60 s. */
	CHECK(check(v, A1_TOKEN, 1300819380000.0 + 59000) == JWT_OK);
	CHECK(check(v, A1_TOKEN, 1300819380000.0 + 60000) == JWT_EXPIRED);
	jwt_verifier_free(v);

	v = verifier((const char *)key, klen, NULL, "bob", NULL);
	CHECK(check(v, A1_TOKEN, BEFORE_EXP) == JWT_WRONG_ISSUER);
	jwt_verifier_free(v);
	v = verifier((const char *)key, klen, NULL, NULL, "gastown");
	CHECK(check(v, A1_TOKEN, BEFORE_EXP) == JWT_WRONG_AUDIENCE);
	jwt_verifier_free(v);
	/* Another key: the signature no longer verifies. */
	v = verifier(SECRET, 0, NULL, NULL, NULL);
	CHECK(check(v, A1_TOKEN, BEFORE_EXP) == JWT_BAD_SIGNATURE);
	jwt_verifier_free(v);
}

static void rfc7515_a2_rs256_vector(void)
{
	/* The A.2 token has no "aud"; with the audience a deployment must configure, a correct
	 * signature still stops at the audience check, after the signature and expiry checks. */
	struct jwt_verifier *v = verifier(NULL, 0, A2_PEM, "joe", "gastown");
	char tampered[sizeof A2_TOKEN];

	CHECK(v != NULL);
	CHECK(check(v, A2_TOKEN, BEFORE_EXP) == JWT_WRONG_AUDIENCE);
	CHECK(check(v, A2_TOKEN, 1300819380000.0 + 61000) == JWT_EXPIRED);
	memcpy(tampered, A2_TOKEN, sizeof tampered);
	tampered[sizeof tampered - 5] = tampered[sizeof tampered - 5] == 'A' ? 'B' : 'A';
	CHECK(check(v, tampered, BEFORE_EXP) == JWT_BAD_SIGNATURE);
	/* HS256 is not accepted by a verifier that only has the RSA key. */
	CHECK(check(v, A1_TOKEN, BEFORE_EXP) == JWT_ALG_NOT_ALLOWED);
	jwt_verifier_free(v);
}

/* The classic confusion: an HS256 token whose HMAC key is the server's RSA public key. */
static void hs_rs_confusion_is_refused(void)
{
	char token[2048];
	struct jwt_verifier *rs_only = verifier(NULL, 0, A2_PEM, NULL, "gastown");
	struct jwt_verifier *both = verifier(SECRET, 0, A2_PEM, NULL, "gastown");

	mint("{\"alg\":\"HS256\"}", "{\"sub\":\"mallory\",\"exp\":1300819380}", A2_PEM, token,
	     sizeof token);
	CHECK(check(rs_only, token, BEFORE_EXP) == JWT_ALG_NOT_ALLOWED);
	CHECK(check(both, token, BEFORE_EXP) == JWT_BAD_SIGNATURE);
	jwt_verifier_free(rs_only);
	jwt_verifier_free(both);
}

static void none_and_unknown_algorithms_are_refused(void)
{
	struct jwt_verifier *v = verifier(SECRET, 0, A2_PEM, NULL, "gastown");
	char token[2048];

	/* "none" with an empty signature: not three non-empty segments. */
	CHECK(check(v, "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4IiwiZXhwIjoxMzAwODE5MzgwfQ.", BEFORE_EXP) ==
	      JWT_MALFORMED);
	/* "none" with something in the signature slot. */
	CHECK(check(v, "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4IiwiZXhwIjoxMzAwODE5MzgwfQ.eA", BEFORE_EXP) ==
	      JWT_ALG_NOT_ALLOWED);
	mint("{\"alg\":\"HS512\"}", "{\"sub\":\"x\",\"exp\":1300819380}", SECRET, token, sizeof token);
	CHECK(check(v, token, BEFORE_EXP) == JWT_ALG_NOT_ALLOWED);
	mint("{\"alg\":\"hs256\"}", "{\"sub\":\"x\",\"exp\":1300819380}", SECRET, token, sizeof token);
	CHECK(check(v, token, BEFORE_EXP) == JWT_ALG_NOT_ALLOWED);
	jwt_verifier_free(v);
}

static void malformed_tokens_are_refused(void)
{
	struct jwt_verifier *v = verifier(SECRET, 0, NULL, NULL, NULL);
	char token[2048], bad[2100];
	static const char *const junk[] = {
		"", ".", "..", "a.b", "a.b.c.d", "abc", "a..c", ".b.c",
		"eyJhbGciOiJIUzI1NiJ9.e30.AAAA+AAA", /* '+' is base64, not base64url */
		"eyJhbGciOiJIUzI1NiJ9.e30=.AAAA",   /* padding */
		"W10.e30.AAAA",                     /* header is an array */
	};

	for (size_t i = 0; i < sizeof junk / sizeof junk[0]; i++)
		CHECK(check(v, junk[i], BEFORE_EXP) == JWT_MALFORMED);

	/* Valid signatures over bad content. */
	mint("{\"alg\":\"HS256\"} x", "{\"sub\":\"x\",\"exp\":1300819380}", SECRET, token, sizeof token);
	CHECK(check(v, token, BEFORE_EXP) == JWT_MALFORMED);
	mint("{\"alg\":\"HS256\"}", "{\"sub\":\"x\"}", SECRET, token, sizeof token);
	CHECK(check(v, token, BEFORE_EXP) == JWT_MALFORMED); /* no exp */
	mint("{\"alg\":\"HS256\"}", "{\"sub\":\"x\",\"exp\":\"soon\"}", SECRET, token, sizeof token);
	CHECK(check(v, token, BEFORE_EXP) == JWT_MALFORMED);
	mint("{\"alg\":\"HS256\",\"crit\":[\"b64\"],\"b64\":false}", "{\"sub\":\"x\",\"exp\":1300819380}",
	     SECRET, token, sizeof token);
	CHECK(check(v, token, BEFORE_EXP) == JWT_MALFORMED);
	mint("{\"alg\":\"HS256\",\"typ\":\"JOSE+JSON\"}", "{\"sub\":\"x\",\"exp\":1300819380}", SECRET,
	     token, sizeof token);
	CHECK(check(v, token, BEFORE_EXP) == JWT_MALFORMED);

	/* RFC 7519 4: a claim named twice is refused, not read as its first (or last) value; a
	 * header likewise. Claims that are not UTF-8, or cut at \u0000, are no claims either. */
	mint("{\"alg\":\"HS256\"}", "{\"sub\":\"x\",\"sub\":\"admin\",\"exp\":1300819380}", SECRET, token, sizeof token);
	CHECK(check(v, token, BEFORE_EXP) == JWT_MALFORMED);
	mint("{\"alg\":\"HS256\",\"alg\":\"none\"}", "{\"sub\":\"x\",\"exp\":1300819380}", SECRET, token, sizeof token);
	CHECK(check(v, token, BEFORE_EXP) == JWT_MALFORMED);
	mint("{\"alg\":\"HS256\"}", "{\"sub\":\"x\",\"name\":\"caf\xe9\",\"exp\":1300819380}", SECRET, token, sizeof token);
	CHECK(check(v, token, BEFORE_EXP) == JWT_MALFORMED);
	mint("{\"alg\":\"HS256\"}", "{\"sub\":\"x\\u0000y\",\"exp\":1300819380}", SECRET, token, sizeof token);
	CHECK(check(v, token, BEFORE_EXP) == JWT_MALFORMED);
	mint("{\"alg\":\"HS256\"}", "{\"sub\":\"x\",\"name\":\"caf\xc3\xa9\",\"exp\":1300819380}", SECRET, token, sizeof token);
	CHECK(check(v, token, BEFORE_EXP) == JWT_OK);

	/* A good token with a byte appended to the signature. */
	mint("{\"alg\":\"HS256\"}", "{\"sub\":\"x\",\"exp\":1300819380}", SECRET, token, sizeof token);
	CHECK(check(v, token, BEFORE_EXP) == JWT_OK);
	snprintf(bad, sizeof bad, "%sA", token);
	CHECK(check(v, bad, BEFORE_EXP) != JWT_OK);
	jwt_verifier_free(v);
}

static void time_issuer_and_audience_claims(void)
{
	struct jwt_verifier *v = verifier(SECRET, 0, NULL, "https://id.example", "gastown");
	char token[2048];

	mint("{\"alg\":\"HS256\",\"typ\":\"JWT\"}",
	     "{\"sub\":\"u1\",\"iss\":\"https://id.example\",\"aud\":[\"other\",\"gastown\"],"
	     "\"exp\":1300819380,\"nbf\":1300819000}", SECRET, token, sizeof token);
	CHECK(check(v, token, BEFORE_EXP) == JWT_OK);
	CHECK(check(v, token, 1300819000000.0 - 61000) == JWT_NOT_YET_VALID);
	CHECK(check(v, token, 1300819000000.0 - 59000) == JWT_OK);

	mint("{\"alg\":\"HS256\"}", "{\"sub\":\"u1\",\"iss\":\"https://id.example\",\"aud\":\"other\","
				    "\"exp\":1300819380}", SECRET, token, sizeof token);
	CHECK(check(v, token, BEFORE_EXP) == JWT_WRONG_AUDIENCE);
	mint("{\"alg\":\"HS256\"}", "{\"sub\":\"u1\",\"iss\":\"https://id.example\",\"exp\":1300819380}",
	     SECRET, token, sizeof token);
	CHECK(check(v, token, BEFORE_EXP) == JWT_WRONG_AUDIENCE); /* aud required when configured */
	mint("{\"alg\":\"HS256\"}", "{\"sub\":\"u1\",\"aud\":\"gastown\",\"exp\":1300819380}", SECRET,
	     token, sizeof token);
	CHECK(check(v, token, BEFORE_EXP) == JWT_WRONG_ISSUER);
	jwt_verifier_free(v);
}

static void a_lifetime_over_the_cap_is_refused(void)
{
	struct jwt_config cfg = {.hs256_secret = SECRET, .leeway_s = 60, .max_lifetime_s = 86400};
	struct jwt_verifier *v = NULL;
	char why[128], token[2048], payload[160];
	const double now_s = 1700000000;

	CHECK(jwt_verifier_new(&cfg, &v, why, sizeof why) == 0);
	/* A day from iat is the most; a minute of leeway; without iat, a day from now. */
	snprintf(payload, sizeof payload, "{\"sub\":\"u1\",\"iat\":%.0f,\"exp\":%.0f}", now_s - 3600, now_s - 3600 + 86400);
	mint("{\"alg\":\"HS256\"}", payload, SECRET, token, sizeof token);
	CHECK(check(v, token, now_s * 1000) == JWT_OK);
	snprintf(payload, sizeof payload, "{\"sub\":\"u1\",\"iat\":%.0f,\"exp\":%.0f}", now_s - 3600, now_s - 3600 + 86400 + 120);
	mint("{\"alg\":\"HS256\"}", payload, SECRET, token, sizeof token);
	CHECK(check(v, token, now_s * 1000) == JWT_TOO_LONG_LIVED);
	snprintf(payload, sizeof payload, "{\"sub\":\"u1\",\"exp\":%.0f}", now_s + 86400 * 365.0 * 1000);
	mint("{\"alg\":\"HS256\"}", payload, SECRET, token, sizeof token);
	CHECK(check(v, token, now_s * 1000) == JWT_TOO_LONG_LIVED);
	/* An iat in the future does not buy a longer life. */
	snprintf(payload, sizeof payload, "{\"sub\":\"u1\",\"iat\":%.0f,\"exp\":%.0f}", now_s + 86400, now_s + 2 * 86400);
	mint("{\"alg\":\"HS256\"}", payload, SECRET, token, sizeof token);
	CHECK(check(v, token, now_s * 1000) == JWT_TOO_LONG_LIVED);
	CHECK(strcmp(jwt_result_name(JWT_TOO_LONG_LIVED), "too_long_lived") == 0);
	jwt_verifier_free(v);
}

static void weak_keys_are_refused_at_configuration(void)
{
	struct jwt_config short_secret = {.hs256_secret = "too-short", .leeway_s = 60};
	struct jwt_config not_a_key = {.rs256_public_pem = "-----BEGIN PUBLIC KEY-----\nAAAA\n"
							   "-----END PUBLIC KEY-----\n"};
	struct jwt_verifier *v = NULL;
	char why[128];

	CHECK(jwt_verifier_new(&short_secret, &v, why, sizeof why) < 0 && v == NULL);
	CHECK(strstr(why, "32 bytes") != NULL);
	CHECK(jwt_verifier_new(&not_a_key, &v, why, sizeof why) < 0 && v == NULL);
	{
		struct jwt_config no_audience = {.rs256_public_pem = A2_PEM, .leeway_s = 60};

		CHECK(jwt_verifier_new(&no_audience, &v, why, sizeof why) < 0 && v == NULL);
		CHECK(strstr(why, "GASTOWN_JWT_AUDIENCE") != NULL);
	}
	v = verifier(NULL, 0, NULL, NULL, NULL);
	CHECK(v != NULL && !jwt_verifier_enabled(v));
	jwt_verifier_free(v);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	RUN(rfc7515_a1_hs256_vector);
	RUN(rfc7515_a2_rs256_vector);
	RUN(hs_rs_confusion_is_refused);
	RUN(none_and_unknown_algorithms_are_refused);
	RUN(malformed_tokens_are_refused);
	RUN(time_issuer_and_audience_claims);
	RUN(a_lifetime_over_the_cap_is_refused);
	RUN(weak_keys_are_refused_at_configuration);
	return t_done();
}
