/*
 * sign.c - checks the town's signature on a request: HMAC-SHA256 over "t.METHOD.path.body" with the
 * shared container secret, within 300 s of our clock. The only file that includes mbedTLS.
 */
#include <stdlib.h>
#include <string.h>

#include "host.h"
#include "mbedtls/md.h"

#define WINDOW_MS (300 * 1000)

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Split "t=<digits>,v1=<64 hex>" (in either order); 0 or -1. t_text points into header. */
static int parse_header(const char *header, const char **t_text, size_t *t_len, int64_t *t,
			unsigned char mac[32])
{
	const char *p = header;
	int have_t = 0, have_v1 = 0;

	while (*p) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);

		while (n > 0 && *p == ' ')
			p++, n--;
		if (n > 2 && strncmp(p, "t=", 2) == 0) {
			int64_t v = 0;
			if (n - 2 > 15)
				return -1;
			for (size_t i = 2; i < n; i++) {
				if (p[i] < '0' || p[i] > '9')
					return -1;
				v = v * 10 + (p[i] - '0');
			}
			*t_text = p + 2;
			*t_len = n - 2;
			*t = v;
			have_t = 1;
		} else if (n == 3 + 64 && strncmp(p, "v1=", 3) == 0) {
			for (size_t i = 0; i < 32; i++) {
				int hi = hexval(p[3 + 2 * i]), lo = hexval(p[4 + 2 * i]);
				if (hi < 0 || lo < 0)
					return -1;
				mac[i] = (unsigned char)(hi << 4 | lo);
			}
			have_v1 = 1;
		}
		/* Other schemes (a future v2) are ignored. */
		p += n;
		if (*p == ',')
			p++;
	}
	return have_t && have_v1 ? 0 : -1;
}

int sign_check(const char *secret, size_t secret_len, const char *header, const char *method,
	       const char *path, const char *body, size_t body_len, int64_t now_ms, const char **why)
{
	const mbedtls_md_info_t *info = mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);
	mbedtls_md_context_t ctx;
	unsigned char want[32], got[32];
	const char *t_text = NULL;
	size_t t_len = 0;
	int64_t t = 0;
	unsigned diff = 0;
	int rc;

	if (!header || !*header) {
		*why = "missing";
		return -1;
	}
	if (parse_header(header, &t_text, &t_len, &t, got) < 0) {
		*why = "malformed";
		return -1;
	}
	if (t > now_ms + WINDOW_MS || t < now_ms - WINDOW_MS) {
		*why = "stale";
		return -1;
	}
	mbedtls_md_init(&ctx);
	rc = mbedtls_md_setup(&ctx, info, 1);
	rc = rc ? rc : mbedtls_md_hmac_starts(&ctx, (const unsigned char *)secret, secret_len);
	rc = rc ? rc : mbedtls_md_hmac_update(&ctx, (const unsigned char *)t_text, t_len);
	rc = rc ? rc : mbedtls_md_hmac_update(&ctx, (const unsigned char *)".", 1);
	rc = rc ? rc : mbedtls_md_hmac_update(&ctx, (const unsigned char *)method, strlen(method));
	rc = rc ? rc : mbedtls_md_hmac_update(&ctx, (const unsigned char *)".", 1);
	rc = rc ? rc : mbedtls_md_hmac_update(&ctx, (const unsigned char *)path, strlen(path));
	rc = rc ? rc : mbedtls_md_hmac_update(&ctx, (const unsigned char *)".", 1);
	if (!rc && body_len)
		rc = mbedtls_md_hmac_update(&ctx, (const unsigned char *)body, body_len);
	rc = rc ? rc : mbedtls_md_hmac_finish(&ctx, want);
	mbedtls_md_free(&ctx);
	if (rc) {
		*why = "internal";
		return -1;
	}
	/* Constant time: every byte is compared whatever the earlier ones were. */
	for (size_t i = 0; i < sizeof want; i++)
		diff |= (unsigned)(want[i] ^ got[i]);
	if (diff) {
		*why = "mismatch";
		return -1;
	}
	return 0;
}
