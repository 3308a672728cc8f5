/*
 * vfs.c - SQLite's operating-system layer inside the wasm module. The database file is a run of
 * fixed-size blocks in the host's storage (one Durable Object storage row per block). The rollback
 * journal is a buffer in wasm memory (journal.c) and temporary files stay in SQLite's memory
 * (SQLITE_TEMP_STORE=3): neither reaches storage. Locking is a no-op: one instance owns the
 * object, and the host's storage transaction around each call provides atomicity.
 *
 * A b-tree page's unallocated space (between its cell pointers and its cells) is not stored: see
 * put_block. Pages are read back with zeros there.
 *
 * A fresh object (no blocks yet) reads its database from the compile-time schema image of its kind
 * (schema_image.h). The first write copies the whole image into storage, inside that call's
 * storage transaction, so a call that fails leaves no storage and the object never depends on an
 * image a later build may change.
 */
#include <string.h>

#include "abi.h"
#include "engine.h"
#include "journal.h"
#include "schema_image.h"
#include "sqlite3.h"
#include "vfs.h"

/* Equal to the engine's page size, so one page write is one storage row. */
#define BLOCK 4096

static const unsigned char zero_block[BLOCK];

_Static_assert(BLOCK == SCHEMA_IMAGE_PAGE, "the schema image is made of whole blocks");

struct block_file {
	sqlite3_file base;
	const struct schema_image *image; /* while storage is empty: the file's contents */
	unsigned char scratch[BLOCK];     /* for reads and writes that cover part of a block */
};

/*
 * A b-tree page keeps its header and cell pointers at the start and its cells at the end; what lies
 * between is SQLite's "unallocated space", which it never reads (it takes room from it by moving
 * the start of the cell content area down, and writes the cell there). A block leaves it out: the
 * head (header and pointers), then the tail (the cell content area), so a page half full costs
 * half the bytes in storage and fits one row of the host's own pages instead of spilling into an
 * overflow page (docs/performance.md, 2026-12-07: a 2.8 KB row costs 0.6 of a 4 KiB one). Any
 * other page (overflow, freelist trunk) is stored whole, so a block shorter than BLOCK is always
 * such a page, and its own header says where its head ends.
 *
 * head_end: where the head of the b-tree page p (block no) ends, 0 when p is not a b-tree page.
 * *content gets the start of its cell content area.
 */
static int head_end(const unsigned char *p, int32_t no, int *content)
{
	int h = no == 0 ? 100 : 0; /* page 1 starts with the database header */
	int type = p[h], size, cells, start;

	size = type == 0x0d || type == 0x0a ? 8 : type == 0x05 || type == 0x02 ? 12 : 0;
	if (!size)
		return 0;
	cells = p[h + 3] << 8 | p[h + 4];
	start = p[h + 5] << 8 | p[h + 6];
	if (start == 0)
		start = 65536; /* a 64 KiB page's empty content area; never a 4 KiB one */
	if (h + size + 2 * cells > start || start > BLOCK)
		return 0;
	*content = start;
	return h + size + 2 * cells;
}

/* Zero the unallocated space of page (block no), if it is a b-tree page: what storage keeps of it. */
static void clear_gap(unsigned char *page, int32_t no)
{
	int content = 0, head = head_end(page, no, &content);

	if (head)
		memset(page + head, 0, (size_t)(content - head));
}

/*
 * Store page (BLOCK bytes) as block no, its unallocated space left out. The gap is zeroed in page
 * too, which is SQLite's own copy when a whole page is written: SQLite never reads it, and its
 * cache then holds what storage holds, so a warm instance and a fresh one see the same bytes (the
 * debug route's digest, the fault harness's comparisons).
 */
static int put_block(int32_t no, unsigned char *page, unsigned char *scratch)
{
	int content = 0, head = head_end(page, no, &content);

	if (head)
		memset(page + head, 0, (size_t)(content - head));
	/* A small gap is not worth the copy. */
	if (!head || content - head < 64)
		return host_block_write(no, page, BLOCK);
	if (scratch != page)
		memcpy(scratch, page, (size_t)head);
	memmove(scratch + head, page + content, (size_t)(BLOCK - content));
	return host_block_write(no, scratch, head + BLOCK - content);
}

static int read_block(struct block_file *bf, int32_t no, unsigned char *buf)
{
	int32_t n;
	int content, head, tail;

	if (bf->image) {
		if (schema_image_page(bf->image, no, buf) != 0)
			return SQLITE_IOERR_READ;
		clear_gap(buf, no); /* as it will be stored */
		return SQLITE_OK;
	}
	n = host_block_read(no, buf, BLOCK);
	if (n < 0)
		return SQLITE_IOERR_READ;
	if (n == 0) {
		memset(buf, 0, BLOCK); /* past the end */
		return SQLITE_OK;
	}
	if (n == BLOCK)
		return SQLITE_OK;
	/* A page stored without its gap: the tail goes back to the end of the page. */
	memset(buf + n, 0, (size_t)(BLOCK - n));
	head = head_end(buf, no, &content);
	tail = n - head;
	if (!head || head > n || BLOCK - tail < head)
		return SQLITE_IOERR_READ;
	memmove(buf + BLOCK - tail, buf + head, (size_t)tail);
	memset(buf + head, 0, (size_t)(BLOCK - tail - head));
	return SQLITE_OK;
}

static int64_t file_size(const struct block_file *bf)
{
	return (int64_t)(bf->image ? bf->image->pages : host_block_count()) * BLOCK;
}

/* Before the first change to a fresh object's file: its image becomes real blocks. */
static int materialize(struct block_file *bf)
{
	const struct schema_image *im = bf->image;

	if (!im)
		return SQLITE_OK;
	for (int no = 0; no < im->pages; no++)
		if (schema_image_page(im, no, bf->scratch) != 0 || put_block(no, bf->scratch, bf->scratch) != 0)
			return SQLITE_IOERR_WRITE;
	bf->image = NULL;
	return SQLITE_OK;
}

static int x_close(sqlite3_file *f)
{
	(void)f;
	return SQLITE_OK;
}

static int x_read(sqlite3_file *f, void *out, int amount, sqlite3_int64 offset)
{
	struct block_file *bf = (struct block_file *)f;
	unsigned char *dst = out;
	sqlite3_int64 size = file_size(bf);
	int short_read = 0;

	while (amount > 0) {
		int32_t no = (int32_t)(offset / BLOCK);
		int within = (int)(offset % BLOCK);
		int take = BLOCK - within < amount ? BLOCK - within : amount;

		if (offset >= size) {
			memset(dst, 0, (size_t)amount);
			short_read = 1;
			break;
		}
		if (within == 0 && take == BLOCK) {
			if (read_block(bf, no, dst) != SQLITE_OK)
				return SQLITE_IOERR_READ;
		} else {
			if (read_block(bf, no, bf->scratch) != SQLITE_OK)
				return SQLITE_IOERR_READ;
			memcpy(dst, bf->scratch + within, (size_t)take);
		}
		dst += take;
		offset += take;
		amount -= take;
	}
	return short_read ? SQLITE_IOERR_SHORT_READ : SQLITE_OK;
}

static int x_write(sqlite3_file *f, const void *in, int amount, sqlite3_int64 offset)
{
	struct block_file *bf = (struct block_file *)f;
	const unsigned char *src = in;

	if (materialize(bf) != SQLITE_OK)
		return SQLITE_IOERR_WRITE;
	while (amount > 0) {
		int32_t no = (int32_t)(offset / BLOCK);
		int within = (int)(offset % BLOCK);
		int take = BLOCK - within < amount ? BLOCK - within : amount;
		/* SQLite's page, which put_block may change where SQLite never reads (its gap). */
		unsigned char *block = (unsigned char *)src;

		if (within != 0 || take != BLOCK) {
			/* Part of a block (SQLite writes whole pages; this covers odd callers). */
			if (read_block(bf, no, bf->scratch) != SQLITE_OK)
				return SQLITE_IOERR_WRITE;
			memcpy(bf->scratch + within, src, (size_t)take);
			block = bf->scratch;
		}
		/* Blocks are dense: fill any gap below this one so the count stays the file size. */
		for (int32_t gap = host_block_count(); gap < no; gap++)
			if (host_block_write(gap, zero_block, BLOCK) != 0)
				return SQLITE_IOERR_WRITE;
		if (put_block(no, block, bf->scratch) != 0)
			return SQLITE_IOERR_WRITE;
		src += take;
		offset += take;
		amount -= take;
	}
	return SQLITE_OK;
}

/* SQLite truncates to whole pages, and pages are whole blocks, so size is a multiple of BLOCK. */
static int x_truncate(sqlite3_file *f, sqlite3_int64 size)
{
	if (materialize((struct block_file *)f) != SQLITE_OK)
		return SQLITE_IOERR_TRUNCATE;
	return host_block_truncate((int32_t)((size + BLOCK - 1) / BLOCK)) == 0 ? SQLITE_OK
									   : SQLITE_IOERR_TRUNCATE;
}

static int x_file_size(sqlite3_file *f, sqlite3_int64 *size)
{
	*size = file_size((struct block_file *)f);
	return SQLITE_OK;
}

static int x_file_control(sqlite3_file *f, int op, void *arg)
{
	if (op == ENG_FCNTL_FROM_IMAGE) {
		*(int *)arg = ((struct block_file *)f)->image != NULL;
		return SQLITE_OK;
	}
	if (op == ENG_FCNTL_MEMORY_JOURNAL) {
		*(int *)arg = 1;
		return SQLITE_OK;
	}
	return SQLITE_NOTFOUND;
}

/* Nothing is ever torn here (a block is one storage row, written in the host's transaction), so
 * the sector size only sets the journal header's padding: SQLite writes one header of this size
 * per transaction. */
static int x_sector_size(sqlite3_file *f)
{
	(void)f;
	return 512;
}

static int x_device_characteristics(sqlite3_file *f)
{
	(void)f;
	/* A block write replaces the whole row at once; nothing reaches storage before commit. */
	return SQLITE_IOCAP_ATOMIC4K | SQLITE_IOCAP_SAFE_APPEND | SQLITE_IOCAP_SEQUENTIAL |
	       SQLITE_IOCAP_POWERSAFE_OVERWRITE;
}

static const sqlite3_io_methods block_io = {
	.iVersion = 1,
	.xClose = x_close,
	.xRead = x_read,
	.xWrite = x_write,
	.xTruncate = x_truncate,
	.xSync = vfs_no_sync,
	.xFileSize = x_file_size,
	.xLock = vfs_no_lock,
	.xUnlock = vfs_no_lock,
	.xCheckReservedLock = vfs_no_reserved_lock,
	.xFileControl = x_file_control,
	.xSectorSize = x_sector_size,
	.xDeviceCharacteristics = x_device_characteristics,
};

/* "town.db" -> "town". */
static const char *image_kind(const char *name, char *buf, size_t size)
{
	size_t n = name ? strcspn(name, ".") : 0;

	if (n == 0 || n >= size)
		return NULL;
	memcpy(buf, name, n);
	buf[n] = 0;
	return buf;
}

static int x_open(sqlite3_vfs *vfs, sqlite3_filename name, sqlite3_file *f, int flags, int *out)
{
	char kind[16];

	(void)vfs;
	/* The main database lives in storage and its journal in memory; anything else means a
	 * pragma was lost. */
	if (flags & SQLITE_OPEN_MAIN_JOURNAL) {
		journal_open(f);
		if (out)
			*out = flags;
		return SQLITE_OK;
	}
	if (!(flags & SQLITE_OPEN_MAIN_DB))
		return SQLITE_CANTOPEN;
	memset(f, 0, sizeof(struct block_file));
	f->pMethods = &block_io;
	/* The file is named after the object's kind (exports.c), which names its image. */
	if (host_block_count() == 0)
		((struct block_file *)f)->image = schema_image_for(image_kind(name, kind, sizeof kind));
	if (out)
		*out = flags;
	return SQLITE_OK;
}

static int x_delete(sqlite3_vfs *vfs, const char *name, int sync)
{
	(void)vfs;
	(void)name;
	(void)sync;
	return SQLITE_OK;
}

static int x_access(sqlite3_vfs *vfs, const char *name, int flags, int *out)
{
	(void)vfs;
	(void)name;
	(void)flags;
	/* No file but the database outlives an instance: a journal is never hot, because the host
	 * rolled storage back with the instance that held it. */
	*out = 0;
	return SQLITE_OK;
}

static int x_full_pathname(sqlite3_vfs *vfs, const char *name, int n, char *out)
{
	(void)vfs;
	sqlite3_snprintf(n, out, "%s", name);
	return SQLITE_OK;
}

static int x_randomness(sqlite3_vfs *vfs, int n, char *out)
{
	(void)vfs;
	host_random(out, n);
	return n;
}

static int x_sleep(sqlite3_vfs *vfs, int us)
{
	(void)vfs;
	return us; /* never waits: nothing else holds a lock */
}

/* The call's time, set before each engine call. The VFS is one per module instance, as SQLite
 * registers it; the time is the wasm layer's, not the engine's. */
static double call_now_ms;

void vfs_set_call_time(double now_ms)
{
	call_now_ms = now_ms;
}

static int x_current_time_int64(sqlite3_vfs *vfs, sqlite3_int64 *out)
{
	(void)vfs;
	/* Julian day in ms, as SQLite expects. */
	*out = (sqlite3_int64)((call_now_ms > 0 ? call_now_ms : host_now_ms()) + 210866760000000.0);
	return SQLITE_OK;
}

static int x_current_time(sqlite3_vfs *vfs, double *out)
{
	sqlite3_int64 ms;

	x_current_time_int64(vfs, &ms);
	*out = (double)ms / 86400000.0;
	return SQLITE_OK;
}

static int x_last_error(sqlite3_vfs *vfs, int n, char *out)
{
	(void)vfs;
	(void)n;
	(void)out;
	return 0;
}

static sqlite3_vfs block_vfs = {
	.iVersion = 2,
	.szOsFile = sizeof(struct block_file) > sizeof(struct journal_file) ? sizeof(struct block_file)
									      : sizeof(struct journal_file),
	.mxPathname = 256,
	.zName = "gastown-blocks",
	.xOpen = x_open,
	.xDelete = x_delete,
	.xAccess = x_access,
	.xFullPathname = x_full_pathname,
	.xRandomness = x_randomness,
	.xSleep = x_sleep,
	.xCurrentTime = x_current_time,
	.xGetLastError = x_last_error,
	.xCurrentTimeInt64 = x_current_time_int64,
};

/* With SQLITE_OS_OTHER, SQLite calls these instead of registering its own VFSes. */
int sqlite3_os_init(void)
{
	return sqlite3_vfs_register(&block_vfs, 1);
}

int sqlite3_os_end(void)
{
	return SQLITE_OK;
}
