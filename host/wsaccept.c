/*
 * wsaccept.c - the WebSocket handshake's Sec-WebSocket-Accept value (RFC 6455 section 4.2.2):
 * base64(SHA-1(key "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")), with the mbedTLS the engine builds.
 */
#include <string.h>

#include <mbedtls/base64.h>
#include <mbedtls/sha1.h>

#include "host.h"

#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

int ws_accept(const char *key, char out[29])
{
	unsigned char msg[128], digest[20];
	size_t klen = strlen(key), written = 0;

	if (klen + sizeof WS_GUID - 1 > sizeof msg)
		return -1;
	memcpy(msg, key, klen);
	memcpy(msg + klen, WS_GUID, sizeof WS_GUID - 1);
	if (mbedtls_sha1(msg, klen + sizeof WS_GUID - 1, digest) != 0 ||
	    mbedtls_base64_encode((unsigned char *)out, 29, &written, digest, sizeof digest) != 0 || written != 28)
		return -1;
	return 0;
}
