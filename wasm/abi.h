/*
 * abi.h - the whole host ABI of the engine's wasm module, in both directions. Only i32 and f64 cross
 * the boundary (i64 would become a BigInt in JavaScript). Byte buffers cross as (pointer, length) in
 * the module's memory: the host asks for a buffer with buf_alloc, writes into it, passes it, and
 * frees it with buf_free (or keeps it for the next call). Output buffers belong to the module and stay valid until the next entry point.
 *
 * Calling order: _initialize (once, the reactor's libc start-up), init (once), then any number of
 * handle_* calls, each wrapped by the host in one storage transaction. A non-zero return from an
 * entry point, or a trap, means the host must roll its storage transaction back and throw the
 * instance away: the next request starts from a fresh instance over the unchanged storage.
 */
#ifndef GASTOWN_WASM_ABI_H
#define GASTOWN_WASM_ABI_H

#include <stdint.h>

#ifdef __wasm__
#define GT_IMPORT(name) __attribute__((import_module("gastown"), import_name(name)))
#define GT_EXPORT(name) __attribute__((export_name(name)))
#else
/* Built natively (tests/fault): the imports are plain functions of the fake host that links the
 * module's files, and the exports plain functions it calls. */
#define GT_IMPORT(name)
#define GT_EXPORT(name)
#endif

/* ---- imports: what the host provides ----------------------------------------------------------- */

/* Storage: the object's database as numbered fixed-size blocks (rows in Durable Object storage).
 * read returns the number of bytes copied (0 if the block does not exist); write returns 0 on success;
 * count returns how many blocks exist (blocks are dense from 0); truncate drops blocks >= count. */
GT_IMPORT("block_read") int32_t host_block_read(int32_t block, void *buf, int32_t len);
GT_IMPORT("block_write") int32_t host_block_write(int32_t block, const void *buf, int32_t len);
GT_IMPORT("block_count") int32_t host_block_count(void);
GT_IMPORT("block_truncate") int32_t host_block_truncate(int32_t count);

/* Clock: wall time in ms since the epoch. Randomness: fills len bytes. Log: level 0 debug .. 3 error. */
GT_IMPORT("now_ms") double host_now_ms(void);
GT_IMPORT("random") void host_random(void *buf, int32_t len);
GT_IMPORT("log") void host_log(int32_t level, const char *msg, int32_t len);

/* ---- exports: what the module provides (export names in quotes) ------------------------------- */

/* Buffers for the host to pass input in. gt_alloc returns 0 when memory is exhausted. */
int32_t gt_alloc(int32_t len);
void gt_free(int32_t ptr);

/* Largest body the engine accepts; the host reads at most this plus one byte and flags the rest. */
int32_t gt_body_limit(void);

/* config: JSON {"kind": "worker"|"town"|"org"|"user", "id", "admin_token"?, "test_hooks"?,
 *          "jwt"?: {"secret"?, "public_key"?, "issuer"?, "audience"?}}.
 * Returns 0, or -1 with the reason in the output meta. */
int32_t gt_init(int32_t cfg_ptr, int32_t cfg_len);

/* Entry points; see src/engine.h for the meta each takes. Return 0, or -1: fatal, roll the storage
 * transaction back and discard the instance (the output meta says why in "fatal"). */
int32_t gt_handle_request(int32_t meta_ptr, int32_t meta_len, int32_t body_ptr, int32_t body_len);
int32_t gt_handle_alarm(int32_t meta_ptr, int32_t meta_len);
int32_t gt_handle_effect_result(int32_t meta_ptr, int32_t meta_len, int32_t body_ptr,
				int32_t body_len);
int32_t gt_handle_ws_message(int32_t meta_ptr, int32_t meta_len, int32_t body_ptr,
			     int32_t body_len);

/* The output of the last entry point: meta JSON (status, headers, effects, next alarm, ...) and body. */
int32_t gt_out_meta_ptr(void);
int32_t gt_out_meta_len(void);
int32_t gt_out_body_ptr(void);
int32_t gt_out_body_len(void);

#endif
