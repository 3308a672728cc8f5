/*
 * mac.c - message authentication for what other systems send us: HMAC-SHA256 over a message given
 * in parts (a platform signs "v0:<ts>:<body>" without the caller building it) and comparisons that
 * take the same time wherever the inputs differ. It verifies; it holds no keys.
 */
#include <string.h>

#include "core/core.h"
#include "mbedtls/constant_time.h"
#include "mbedtls/md.h"

int mac_hmac_sha256(const void *key, size_t key_len, const struct mac_part *parts, size_t nparts,
		    unsigned char out[32])
{
	mbedtls_md_context_t md;
	int rc;

	mbedtls_md_init(&md);
	rc = mbedtls_md_setup(&md, mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), 1) ||
	     mbedtls_md_hmac_starts(&md, key, key_len);
	for (size_t i = 0; !rc && i < nparts; i++)
		rc = mbedtls_md_hmac_update(&md, parts[i].p, parts[i].len);
	rc = rc || mbedtls_md_hmac_finish(&md, out);
	mbedtls_md_free(&md);
	return rc ? -1 : 0;
}

int mac_sha256_hex(const void *p, size_t len, char out[65])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char sum[32];

	if (mbedtls_md(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), p, len, sum) != 0)
		return -1;
	for (int i = 0; i < 32; i++) {
		out[2 * i] = digits[sum[i] >> 4];
		out[2 * i + 1] = digits[sum[i] & 15];
	}
	out[64] = '\0';
	return 0;
}

static int unhex(char ch)
{
	return ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
	     : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10 : -1;
}

int mac_equal_hex(const unsigned char mac[32], const char *hex)
{
	unsigned char got[32];

	if (!hex || strlen(hex) != 64)
		return 0;
	for (int i = 0; i < 32; i++) {
		int hi = unhex(hex[2 * i]), lo = unhex(hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return 0;
		got[i] = (unsigned char)(hi * 16 + lo);
	}
	return mbedtls_ct_memcmp(mac, got, sizeof got) == 0;
}

/* Both are hashed first, so the time taken depends on neither length nor where they differ. */
int mac_equal_text(const char *a, const char *b)
{
	unsigned char ha[32], hb[32];
	static const char key[] = "gastown-compare";
	struct mac_part pa = {a, a ? strlen(a) : 0}, pb = {b, b ? strlen(b) : 0};

	if (!a || !b || mac_hmac_sha256(key, sizeof key - 1, &pa, 1, ha) < 0 ||
	    mac_hmac_sha256(key, sizeof key - 1, &pb, 1, hb) < 0)
		return 0;
	return mbedtls_ct_memcmp(ha, hb, sizeof ha) == 0;
}
