/*
 * tls_config.h - the mbedTLS features the engine compiles in (MBEDTLS_CONFIG_FILE). Only what the
 * engine uses: SHA-256 and HMAC (ids, token digests, HS256), RSA PKCS#1 v1.5 verification with PEM
 * public keys (RS256). Nothing that expects an operating system: no time, sockets, files or entropy
 * polling (randomness comes from the host with each call).
 */
#ifndef GASTOWN_TLS_CONFIG_H
#define GASTOWN_TLS_CONFIG_H

#define MBEDTLS_SHA256_C
/* gastown-host only: Sec-WebSocket-Accept (RFC 6455), over a public value. Not in the wasm: md.c's
 * table would keep it reachable there (about 2.7 KB gzip) though nothing calls it. */
#ifndef __wasm__
#define MBEDTLS_SHA1_C
#endif
#define MBEDTLS_MD_C
#define MBEDTLS_BIGNUM_C
#define MBEDTLS_RSA_C
#define MBEDTLS_PKCS1_V15
#define MBEDTLS_OID_C
#define MBEDTLS_ASN1_PARSE_C
#define MBEDTLS_PK_C
#define MBEDTLS_PK_PARSE_C
#define MBEDTLS_BASE64_C
#define MBEDTLS_PEM_PARSE_C

#endif
