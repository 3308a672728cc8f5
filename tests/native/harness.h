/*
 * harness.h - a minimal TAP-style harness for the native tests, plus helpers that drive the engine
 * through engine.h only: open an engine on a fresh database file, send a request, read the output.
 */
#ifndef GASTOWN_TEST_HARNESS_H
#define GASTOWN_TEST_HARNESS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cJSON.h"
#include "engine.h"
#include "mbedtls/base64.h"
#include "mbedtls/md.h"

/* The HS256 secret every test engine accepts (t_token mints with it). */
#define T_JWT_SECRET "native-test-secret-0123456789abcdef-0123456789"

static int t_pass __attribute__((unused)), t_fail __attribute__((unused));
static const char *t_name __attribute__((unused)) = "";
/* test_harness.c only: the next RUN is meant to run no CHECK (it still counts as a failure). */
static int t_expect_empty __attribute__((unused));

#define CHECK(cond)                                                                            \
	do {                                                                                   \
		if (cond) {                                                                    \
			t_pass++;                                                              \
		} else {                                                                       \
			t_fail++;                                                              \
			printf("not ok - %s: %s (%s:%d)\n", t_name, #cond, __FILE__, __LINE__); \
		}                                                                              \
	} while (0)

/* A test that ran no CHECK proved nothing: it fails. */
#define RUN(fn)                                                                   \
	do {                                                                      \
		t_name = #fn;                                                     \
		int failed_before = t_fail, checked_before = t_pass + t_fail;     \
		fn();                                                             \
		if (t_pass + t_fail == checked_before) {                          \
			t_fail++;                                                 \
			printf("%s - %s: no CHECK ran\n",                        \
			       t_expect_empty ? "# expected" : "not ok", #fn);    \
		} else if (t_fail == failed_before) {                             \
			printf("ok - %s\n", #fn);                                \
		}                                                                 \
	} while (0)

static inline int t_done(void)
{
	printf("# %d passed, %d failed\n", t_pass, t_fail);
	return t_fail ? 1 : 0;
}

/* A fresh database path under /tmp, removed by t_cleanup. */
static char t_db[256];

static inline const char *t_fresh_db(void)
{
	snprintf(t_db, sizeof t_db, "/tmp/gastown-test-%d-%d.db", (int)getpid(), rand());
	unlink(t_db);
	return t_db;
}

static inline void t_cleanup(void)
{
	if (t_db[0])
		unlink(t_db);
}

/* Set to give the engines opened next a container to start agents in (the reconciler's tests). */
static const char *t_container_secret __attribute__((unused));

static inline struct eng *t_open(enum eng_kind kind, const char *id, int test_hooks)
{
	struct eng_config cfg = {.kind = kind, .object_id = id, .test_hooks = test_hooks,
				 .admin_token = "operator-secret", .jwt_secret = T_JWT_SECRET,
				 .container_secret = t_container_secret};
	struct eng *e = NULL;
	char why[256];

	cfg.db_path = kind == ENG_WORKER ? NULL : t_db;
	if (eng_open(&cfg, &e, why, sizeof why) != ENG_OK) {
		printf("not ok - eng_open: %s\n", why);
		exit(1);
	}
	return e;
}

/* The parsed output of one call; free with t_res_free. */
struct t_res {
	int rc;
	int status;
	cJSON *meta;
	cJSON *body;
};

static inline void t_res_free(struct t_res *r)
{
	cJSON_Delete(r->meta);
	cJSON_Delete(r->body);
	memset(r, 0, sizeof *r);
}

static double t_now = 1.7e12;
/* 1: every call gets the same entropy (to force id collisions). */
static int t_fixed_entropy __attribute__((unused));

static inline struct t_res t_event(struct eng *e, enum eng_event ev, const char *meta, const char *body)
{
	static const unsigned char entropy[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
	static unsigned char fresh[32];
	struct eng_input in = {.event = ev, .meta = meta, .meta_len = strlen(meta),
			       .body = body ? body : "", .body_len = body ? strlen(body) : 0,
			       .now_ms = t_now, .entropy = fresh, .entropy_len = sizeof fresh};
	struct eng_output out;
	struct t_res r = {0};

	/* Vary the entropy per call, as a host would, but reproducibly. Four bytes, not two: with two,
	 * one call in 65,536 drew the same ids as an earlier one, and a test making a thousand calls
	 * over a copied database met its template's escalation id again. */
	memcpy(fresh, entropy, sizeof fresh);
	if (!t_fixed_entropy)
		for (int i = 28; i < 32; i++)
			fresh[i] = (unsigned char)rand();
	r.rc = eng_call(e, &in, &out);
	r.meta = cJSON_ParseWithLength(out.meta, out.meta_len);
	r.body = cJSON_ParseWithLength(out.body, out.body_len);
	r.status = cJSON_GetObjectItem(r.meta, "status") ? cJSON_GetObjectItem(r.meta, "status")->valueint : 0;
	return r;
}

/* Send a request; headers_json may be NULL. */
static inline struct t_res t_request(struct eng *e, const char *method, const char *path, const char *body,
			      const char *headers_json)
{
	char meta[4096], p[1024];
	const char *q = strchr(path, '?');

	/* As the shim does: the query travels apart from the path. */
	snprintf(p, sizeof p, "%.*s", q ? (int)(q - path) : (int)strlen(path), path);
	snprintf(meta, sizeof meta, "{\"method\":\"%s\",\"path\":\"%s\",\"query\":\"%s\",\"headers\":%s}",
		 method, p, q ? q : "", headers_json ? headers_json : "{}");
	return t_event(e, ENG_EV_REQUEST, meta, body);
}

static inline void t_b64url(const unsigned char *in, size_t n, char *out, size_t cap)
{
	size_t len = 0;

	mbedtls_base64_encode((unsigned char *)out, cap, &len, in, n);
	out[len] = '\0';
	for (size_t i = 0; i < len; i++) {
		if (out[i] == '=') {
			out[i] = '\0';
			break;
		}
		out[i] = out[i] == '+' ? '-' : out[i] == '/' ? '_' : out[i];
	}
}

/* Headers JSON with a bearer token for user (valid for an hour at t_now), in a static buffer. */
static inline const char *t_as(const char *user)
{
	static char headers[2048];
	char payload[256], h[64], p[512], sig[64], signing[600];
	unsigned char mac[32];

	snprintf(payload, sizeof payload, "{\"sub\":\"%s\",\"exp\":%.0f}", user, t_now / 1000 + 3600);
	t_b64url((const unsigned char *)"{\"alg\":\"HS256\"}", 15, h, sizeof h);
	t_b64url((const unsigned char *)payload, strlen(payload), p, sizeof p);
	snprintf(signing, sizeof signing, "%s.%s", h, p);
	mbedtls_md_hmac(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), (const unsigned char *)T_JWT_SECRET,
			strlen(T_JWT_SECRET), (const unsigned char *)signing, strlen(signing), mac);
	t_b64url(mac, sizeof mac, sig, sizeof sig);
	snprintf(headers, sizeof headers, "{\"authorization\":\"Bearer %s.%s\"}", signing, sig);
	return headers;
}

/* A fresh town "t1" owned by sarah; with_polecat adds rig "r" and polecat "toast". */
static inline struct eng *t_town(int with_polecat)
{
	struct eng *e;
	struct t_res r;

	t_fresh_db();
	e = t_open(ENG_TOWN, "t1", 0);
	r = t_request(e, "POST", "/api/towns/t1", "{\"name\":\"T\"}", t_as("sarah"));
	CHECK(r.status == 201);
	t_res_free(&r);
	if (with_polecat) {
		r = t_request(e, "POST", "/api/towns/t1/rigs", "{\"id\":\"r\",\"git_url\":\"https://example.com/r.git\"}",
			      t_as("sarah"));
		t_res_free(&r);
		r = t_request(e, "POST", "/api/towns/t1/agents", "{\"role\":\"polecat\",\"rig\":\"r\"}", t_as("sarah"));
		CHECK(r.status == 201);
		t_res_free(&r);
	}
	return e;
}

/* The error code of an error response, or "" */
static inline const char *t_error_code(const struct t_res *r)
{
	const cJSON *c = cJSON_GetObjectItem(cJSON_GetObjectItem(r->body, "error"), "code");
	return cJSON_IsString(c) ? c->valuestring : "";
}

/* String equality where a missing value (NULL) is a mismatch, not a crash. */
static inline int t_streq(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

static inline const cJSON *t_data(const struct t_res *r, const char *field)
{
	return cJSON_GetObjectItem(cJSON_GetObjectItem(r->body, "data"), field);
}

#endif
