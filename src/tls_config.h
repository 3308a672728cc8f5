/*
 * tls_config.h - the mbedTLS features the engine compiles in (MBEDTLS_CONFIG_FILE). Only what the
 * engine uses: a smaller wasm, and no module that expects an operating system (no time, no sockets,
 * no file system, no entropy poll: randomness comes from the host with each call).
 */
#ifndef GASTOWN_MBEDTLS_CONFIG_H
#define GASTOWN_MBEDTLS_CONFIG_H

#define MBEDTLS_SHA256_C

#endif
