/*
 * fuzz_jwt.c - JSON Web Tokens: jwt_verify and jwt_header_kid on raw tokens, on tokens whose header
 * and payload are the fuzzer's but whose HS256 signature holds (so the claims are read), and the
 * same tokens in the Authorization header of a person's, anyone's and an agent's route.
 *
 * Input: byte 0 the mode (bit 0: sign the header and payload, given as "header\npayload"; bit 1:
 * send through the engine, bits 2-3 which route); the rest the token or its two JSON parts.
 */
#include "fuzz.h"
#include "core/core.h"

/* RFC 7515 A.2's RSA public key (tests/native/test_jwt.c). */
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

static struct jwt_verifier *hs, *rs;

static void verifiers_free(void)
{
	jwt_verifier_free(hs);
	jwt_verifier_free(rs);
}

static void verifiers_init(void)
{
	struct jwt_config h = {.hs256_secret = T_JWT_SECRET, .issuer = "https://id.example", .audience = "gastown",
			       .leeway_s = 60};
	struct jwt_config r = {.rs256_public_pem = A2_PEM, .hs256_secret = T_JWT_SECRET, .audience = "gastown"};
	char why[256];

	if (hs)
		return;
	if (jwt_verifier_new(&h, &hs, why, sizeof why) < 0 || jwt_verifier_new(&r, &rs, why, sizeof why) < 0) {
		fprintf(stderr, "fuzz: jwt_verifier_new: %s\n", why);
		abort();
	}
	atexit(verifiers_free);
}

/* "header\npayload" as a token signed with the test secret; malloc'd. */
static char *sign(const uint8_t *p, size_t n)
{
	const uint8_t *nl = memchr(p, '\n', n);
	size_t hl = nl ? (size_t)(nl - p) : n, pl = nl ? n - hl - 1 : 0;
	size_t cap = (n + 64) * 4 / 3 + 128, len;
	char *out = malloc(cap);
	unsigned char mac[32];

	t_b64url(p, hl, out, cap);
	len = strlen(out);
	out[len++] = '.';
	t_b64url(nl ? nl + 1 : p + n, pl, out + len, cap - len);
	len = strlen(out);
	mbedtls_md_hmac(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), (const unsigned char *)T_JWT_SECRET,
			strlen(T_JWT_SECRET), (const unsigned char *)out, len, mac);
	out[len++] = '.';
	t_b64url(mac, sizeof mac, out + len, cap - len);
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const routes[][2] = {
		{"GET", "/api/towns/t1"}, {"GET", "/api/towns/t1/beads"}, {"POST", "/api/towns/t1/agents/%s/heartbeat"},
		{"POST", "/api/towns/t1/agents/%s/token/refresh"},
	};
	struct fz f = {data, size};
	unsigned mode = fz_byte(&f);
	char *token, kid[64], path[256];
	cJSON *claims = NULL;

	verifiers_init();
	if (mode & 1) {
		token = sign(f.p, f.n);
	} else {
		token = malloc(f.n + 1);
		memcpy(token, f.p, f.n);
		token[f.n] = '\0';
	}
	jwt_verify(hs, token, FZ_NOW, &claims);
	cJSON_Delete(claims);
	claims = NULL;
	jwt_verify(rs, token, FZ_NOW, &claims);
	cJSON_Delete(claims);
	jwt_header_kid(token, kid, sizeof kid);
	if (mode & 2) {
		size_t cap = strlen(token) * 6 + 64;
		char *headers = malloc(cap);
		struct eng_output out;
		unsigned which = (mode >> 2) % 4;

		fz_world_init(ENG_TOWN, "t1", 0, fz_build_town);
		fz_world_reset();
		snprintf(headers, cap, "{\"authorization\":");
		{
			/* "Bearer " and the token, escaped as JSON wants. */
			char *v = malloc(strlen(token) + 8);

			sprintf(v, "Bearer %s", token);
			fz_json_str(headers, cap, v, strlen(v));
			free(v);
		}
		strcat(headers, "}");
		snprintf(path, sizeof path, routes[which][1], fz_town.polecat);
		fz_request(routes[which][0], path, NULL, "{}", 2, headers, &out);
		free(headers);
	}
	free(token);
	return 0;
}
