/*
 * id.c - identifiers made from the host's entropy. A call gets a few fresh random bytes with its
 * input; SHA-256 in counter mode stretches them into as many bytes as the call needs, so ids are
 * unpredictable in production and reproducible in tests that feed fixed entropy.
 */
#include <string.h>

#include "core/core.h"
#include "mbedtls/sha256.h"

int id_random(struct call *c, unsigned char *out, size_t n)
{
	const struct eng_input *in = c->in;

	while (n > 0) {
		unsigned char block[32];
		unsigned char ctr[4];
		size_t take = n < sizeof block ? n : sizeof block;
		mbedtls_sha256_context h;

		ctr[0] = (unsigned char)(c->rand_counter >> 24);
		ctr[1] = (unsigned char)(c->rand_counter >> 16);
		ctr[2] = (unsigned char)(c->rand_counter >> 8);
		ctr[3] = (unsigned char)c->rand_counter;
		c->rand_counter++;
		mbedtls_sha256_init(&h);
		if (mbedtls_sha256_starts(&h, 0) != 0 ||
		    mbedtls_sha256_update(&h, in->entropy, in->entropy_len) != 0 ||
		    mbedtls_sha256_update(&h, ctr, sizeof ctr) != 0 ||
		    mbedtls_sha256_finish(&h, block) != 0) {
			mbedtls_sha256_free(&h);
			return err_set(&c->err, ERR_INTERNAL, NULL, "sha256 failed");
		}
		mbedtls_sha256_free(&h);
		memcpy(out, block, take);
		out += take;
		n -= take;
	}
	return 0;
}

int id_new(struct call *c, const char *prefix, int n, char *buf, size_t len)
{
	static const char alphabet[] = "0123456789abcdefghijklmnopqrstuvwxyz";
	unsigned char raw[32];
	size_t plen = strlen(prefix);

	if (n <= 0 || n > (int)sizeof raw || plen + 1 + (size_t)n + 1 > len)
		return err_set(&c->err, ERR_INTERNAL, NULL, "id buffer too small");
	if (c->in->entropy_len < 16)
		return err_set(&c->err, ERR_INTERNAL, NULL, "host gave no entropy");
	if (id_random(c, raw, (size_t)n) < 0)
		return -1;
	memcpy(buf, prefix, plen);
	buf[plen] = '-';
	/* raw % 36 is slightly biased; ids need uniqueness, not uniformity. */
	for (int i = 0; i < n; i++)
		buf[plen + 1 + (size_t)i] = alphabet[raw[i] % 36];
	buf[plen + 1 + (size_t)n] = '\0';
	return 0;
}

int id_escape(const char *in, char *out, size_t len)
{
	static const char hexd[] = "0123456789ABCDEF";
	size_t o = 0;

	for (; *in; in++) {
		unsigned char ch = (unsigned char)*in;
		int plain = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
			    (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == '.' || ch == '~';

		if (o + (plain ? 1 : 3) >= len)
			return -1;
		if (plain) {
			out[o++] = (char)ch;
		} else {
			out[o++] = '%';
			out[o++] = hexd[ch >> 4];
			out[o++] = hexd[ch & 15];
		}
	}
	out[o] = '\0';
	return 0;
}

int id_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 64 || s[0] == '-')
		return 0;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		      ch == '-' || ch == '_'))
			return 0;
	}
	return 1;
}
