/*
 * wsaccept.c - the WebSocket handshake's Sec-WebSocket-Accept value (RFC 6455 section 4.2.2):
 * base64(SHA-1(key "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")). SHA-1 is here because the mbedTLS the
 * engine builds (src/tls_config.h) has SHA-256 only; it hashes a public value, nothing secret.
 */
#include <stdint.h>
#include <string.h>

#include "host.h"

#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

static uint32_t rol(uint32_t x, unsigned n)
{
	return (x << n) | (x >> (32 - n));
}

static void sha1_block(uint32_t h[5], const unsigned char *p)
{
	uint32_t w[80], a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];

	for (int i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (int i = 16; i < 80; i++)
		w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
	for (int i = 0; i < 80; i++) {
		uint32_t f, k, t;
		if (i < 20)
			f = (b & c) | (~b & d), k = 0x5a827999;
		else if (i < 40)
			f = b ^ c ^ d, k = 0x6ed9eba1;
		else if (i < 60)
			f = (b & c) | (b & d) | (c & d), k = 0x8f1bbcdc;
		else
			f = b ^ c ^ d, k = 0xca62c1d6;
		t = rol(a, 5) + f + e + k + w[i];
		e = d, d = c, c = rol(b, 30), b = a, a = t;
	}
	h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e;
}

/* SHA-1 of a short message (the key and the GUID: under 128 bytes). */
static void sha1_short(const unsigned char *msg, size_t len, unsigned char out[20])
{
	uint32_t h[5] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0};
	unsigned char buf[192] = {0};
	size_t total = (len + 8) / 64 * 64 + 64;
	uint64_t bits = (uint64_t)len * 8;

	memcpy(buf, msg, len);
	buf[len] = 0x80;
	for (int i = 0; i < 8; i++)
		buf[total - 1 - i] = (unsigned char)(bits >> (8 * i));
	for (size_t off = 0; off < total; off += 64)
		sha1_block(h, buf + off);
	for (int i = 0; i < 20; i++)
		out[i] = (unsigned char)(h[i / 4] >> (24 - 8 * (i % 4)));
}

int ws_accept(const char *key, char out[29])
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	unsigned char msg[128], d[21] = {0};
	size_t klen = strlen(key), n = 0;

	if (klen + sizeof WS_GUID - 1 > sizeof msg - 9)
		return -1;
	memcpy(msg, key, klen);
	memcpy(msg + klen, WS_GUID, sizeof WS_GUID - 1);
	sha1_short(msg, klen + sizeof WS_GUID - 1, d);
	/* 20 bytes: six whole groups of three and two bytes more, which take one '=' of padding. */
	for (size_t i = 0; i < 21; i += 3) {
		uint32_t v = (uint32_t)d[i] << 16 | (uint32_t)d[i + 1] << 8 | d[i + 2];
		out[n++] = b64[v >> 18 & 63];
		out[n++] = b64[v >> 12 & 63];
		out[n++] = b64[v >> 6 & 63];
		out[n++] = b64[v & 63];
	}
	out[27] = '=';
	out[28] = '\0';
	return 0;
}
