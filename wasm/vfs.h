/*
 * vfs.h - what the rest of the wasm layer tells the SQLite VFS over Durable Object storage.
 */
#ifndef GASTOWN_WASM_VFS_H
#define GASTOWN_WASM_VFS_H

/* The time of the engine call about to run (epoch ms): SQLite's clock ('now' in SQL) reads it, so
 * that one call sees one time, the same the engine itself was given. 0 means the host's clock. */
void vfs_set_call_time(double now_ms);

#endif
