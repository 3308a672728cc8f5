/*
 * journal.c - the rollback journal as a buffer in wasm memory. The host's storage transaction is
 * what makes a call atomic, so the journal never reaches storage; it exists only so that SQLite
 * can roll back a call the engine rejects. SQLite's own in-memory journal (journal_mode=MEMORY)
 * allocates and frees a chunk per KiB journaled on every transaction; this one is opened once,
 * with journal_mode=TRUNCATE and EXCLUSIVE locking, and keeps its buffer between transactions,
 * so a call journals its pages with copies alone.
 */
#include <stdlib.h>
#include <string.h>

#include "journal.h"

static int j_close(sqlite3_file *f)
{
	struct journal_file *j = (struct journal_file *)f;

	free(j->data);
	j->data = NULL;
	j->size = j->cap = 0;
	return SQLITE_OK;
}

static int j_read(sqlite3_file *f, void *out, int amount, sqlite3_int64 offset)
{
	struct journal_file *j = (struct journal_file *)f;
	sqlite3_int64 have = offset < j->size ? j->size - offset : 0;

	if (have >= amount) {
		memcpy(out, j->data + offset, (size_t)amount);
		return SQLITE_OK;
	}
	if (have > 0)
		memcpy(out, j->data + offset, (size_t)have);
	memset((unsigned char *)out + have, 0, (size_t)(amount - have));
	return SQLITE_IOERR_SHORT_READ;
}

static int j_write(sqlite3_file *f, const void *in, int amount, sqlite3_int64 offset)
{
	struct journal_file *j = (struct journal_file *)f;
	sqlite3_int64 end = offset + amount;

	if (end > j->cap) {
		sqlite3_int64 cap = j->cap ? j->cap : 64 * 1024;
		unsigned char *d;

		while (cap < end)
			cap *= 2;
		if (!(d = realloc(j->data, (size_t)cap)))
			return SQLITE_IOERR_NOMEM;
		j->data = d;
		j->cap = cap;
	}
	if (offset > j->size)
		memset(j->data + j->size, 0, (size_t)(offset - j->size));
	memcpy(j->data + offset, in, (size_t)amount);
	if (end > j->size)
		j->size = end;
	return SQLITE_OK;
}

/* The buffer is kept: the next transaction reuses it. */
static int j_truncate(sqlite3_file *f, sqlite3_int64 size)
{
	struct journal_file *j = (struct journal_file *)f;

	if (size < j->size)
		j->size = size;
	return SQLITE_OK;
}

/* No-ops shared with vfs.c: nothing here is synced or locked (one instance owns the object). */
int vfs_no_sync(sqlite3_file *f, int flags)
{
	(void)f;
	(void)flags;
	return SQLITE_OK;
}

static int j_file_size(sqlite3_file *f, sqlite3_int64 *size)
{
	*size = ((struct journal_file *)f)->size;
	return SQLITE_OK;
}

int vfs_no_lock(sqlite3_file *f, int level)
{
	(void)f;
	(void)level;
	return SQLITE_OK;
}

int vfs_no_reserved_lock(sqlite3_file *f, int *out)
{
	(void)f;
	*out = 0;
	return SQLITE_OK;
}

static int j_file_control(sqlite3_file *f, int op, void *arg)
{
	(void)f;
	(void)op;
	(void)arg;
	return SQLITE_NOTFOUND;
}

static int j_sector_size(sqlite3_file *f)
{
	(void)f;
	return 512;
}

static int j_device_characteristics(sqlite3_file *f)
{
	(void)f;
	return SQLITE_IOCAP_ATOMIC | SQLITE_IOCAP_SAFE_APPEND | SQLITE_IOCAP_SEQUENTIAL |
	       SQLITE_IOCAP_POWERSAFE_OVERWRITE;
}

static const sqlite3_io_methods journal_io = {
	.iVersion = 1,
	.xClose = j_close,
	.xRead = j_read,
	.xWrite = j_write,
	.xTruncate = j_truncate,
	.xSync = vfs_no_sync,
	.xFileSize = j_file_size,
	.xLock = vfs_no_lock,
	.xUnlock = vfs_no_lock,
	.xCheckReservedLock = vfs_no_reserved_lock,
	.xFileControl = j_file_control,
	.xSectorSize = j_sector_size,
	.xDeviceCharacteristics = j_device_characteristics,
};

void journal_open(sqlite3_file *f)
{
	struct journal_file *j = (struct journal_file *)f;

	memset(j, 0, sizeof *j);
	j->base.pMethods = &journal_io;
}
