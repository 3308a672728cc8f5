/*
 * journal.h - the rollback journal of the object's database, held in wasm memory (journal.c).
 */
#ifndef GASTOWN_JOURNAL_H
#define GASTOWN_JOURNAL_H

#include "sqlite3.h"

struct journal_file {
	sqlite3_file base;
	unsigned char *data;
	sqlite3_int64 size, cap;
};

/* sqlite3_io_methods that do nothing, for every file of the wasm VFS. */
int vfs_no_sync(sqlite3_file *f, int flags);
int vfs_no_lock(sqlite3_file *f, int level);
int vfs_no_reserved_lock(sqlite3_file *f, int *out);

/* Open f (sqlite3_file space of at least sizeof(struct journal_file)) as an empty journal. */
void journal_open(sqlite3_file *f);

#endif
