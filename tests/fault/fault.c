/*
 * fault.c - a fault at every host call (issue 17, section 2). The wasm module's own files
 * (wasm/exports.c, vfs.c, journal.c, the schema image) are built natively over a fake host that
 * keeps the shim's contract (worker-shim/object.js): each entry point runs in one storage
 * transaction, rolled back on a non-zero return, a trap or an answer >= 400; a non-zero return, a
 * trap, or a refusal that had stored an object's first blocks also throws the instance away, and
 * the next call opens a fresh one over the storage.
 *
 * A scripted workload runs step by step. For each write step the harness counts the host calls
 * the step makes, then re-runs it from the same state (same warm instance, same storage: a forked
 * child) once per call, trapping at that call, and for the calls that can report failure
 * (block_read, block_write, block_truncate) once more failing it instead. After each: storage is
 * what it was before the call (or, if the call still succeeded, exactly what the fault-free call
 * left), the retried call gives the fault-free answer and storage, and the object serves a read.
 * Chosen steps are re-run the same way with SQLite's allocator failing at each allocation.
 *
 * Not covered here: the shim's JavaScript itself (its transaction and instance handling are
 * modelled, not run), and allocations outside SQLite (cJSON, the journal buffer).
 */
#include "../../wasm/exports.c" /* the module's statics are the instance the host throws away */

#include <errno.h>
#include <setjmp.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>

#include "harness.h"
#include "sqlite3.h"

/* vfs.c, built for this harness with its SQLite entry points renamed: natively SQLite brings its
 * own (unix) VFS layer, and the block VFS is registered over it as the default. */
int vfs_os_init(void);

#define SECRET "container-secret-for-the-fault-harness-0123456789"
#define BLOCK 4096
/* A stored block: up to BLOCK bytes (vfs.c leaves a b-tree page's gap out), zero-padded, then its
 * length, so the digest sees both. */
#define SLOT (BLOCK + 8)
#define MAX_BLOCKS 65536
#define KINDS_MAX 200000
#define ANSWER_MAX (512 * 1024)

/* Every point runs in a forked child, and fork copies the page tables of all the parent touched:
 * ASan's default quarantine (256 MiB of freed memory kept poisoned) makes that ten times slower. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "quarantine_size_mb=4:malloc_context_size=4";
}

/* ---- the fake host: block storage with the shim's transactions ------------------------------- */

/* Blocks are never changed in place while a transaction may need them back: a write in a
 * transaction replaces the block's buffer, and the one from before stays with the snapshot. */
struct blocks {
	unsigned char *b[MAX_BLOCKS];
	int n;
};
static struct blocks store, snapshot;
static int in_txn;

static void txn_begin(void)
{
	snapshot = store;
	in_txn = 1;
}

static void txn_commit(void)
{
	for (int i = 0; i < snapshot.n; i++)
		if (snapshot.b[i] && snapshot.b[i] != store.b[i])
			free(snapshot.b[i]);
	snapshot.n = 0;
	in_txn = 0;
}

static void txn_rollback(void)
{
	for (int i = 0; i < store.n; i++)
		if (store.b[i] && (i >= snapshot.n || store.b[i] != snapshot.b[i]))
			free(store.b[i]);
	store = snapshot;
	in_txn = 0;
}

/* A digest of the object's storage: the block count and every block (two independent 64-bit
 * multiply-mix lanes: not cryptographic, but no change a call makes collides by chance; SHA-256
 * under ASan was a sixth of the run). With `content` set, the two header fields a connection
 * bumps once in its life under EXCLUSIVE locking (the file change counter at 24 and its copy at
 * 92) are left out: a retried call runs on a fresh instance, whose first commit bumps them where
 * the warm instance of the fault-free call did not. */
__attribute__((no_sanitize("address", "undefined")))
static void mix(uint64_t h[2], const unsigned char *p, size_t n)
{
	for (size_t i = 0; i + 8 <= n; i += 8) {
		uint64_t w;

		memcpy(&w, p + i, 8);
		h[0] = (h[0] ^ w) * 0x100000001b3ULL;
		h[1] = (h[1] + w) * 0x9e3779b97f4a7c15ULL;
		h[1] ^= h[1] >> 29;
	}
}

static void store_digest_of(unsigned char out[32], int content)
{
	static const unsigned char zero[SLOT];
	unsigned char first[SLOT], count[8] = {0};
	uint64_t h[2] = {0xcbf29ce484222325ULL, 0x84222325cbf29ce4ULL};

	memcpy(count, &store.n, sizeof store.n);
	mix(h, count, sizeof count);
	for (int i = 0; i < store.n; i++) {
		const unsigned char *b = store.b[i] ? store.b[i] : zero;

		if (i == 0 && content) {
			memcpy(first, b, SLOT);
			memset(first + 24, 0, 4);
			memset(first + 92, 0, 4);
			b = first;
		}
		mix(h, b, SLOT);
	}
	memset(out, 0, 32);
	memcpy(out, h, sizeof h);
}

static void store_digest(unsigned char out[32])
{
	store_digest_of(out, 0);
}

/* ---- host calls, counted, and the fault switch ------------------------------------------------ */

enum host_kind { H_READ, H_WRITE, H_COUNT, H_TRUNCATE, H_NOW, H_RANDOM, H_LOG };
static const char *const host_kind_name[] = {"block_read", "block_write", "block_count", "block_truncate",
					     "now_ms", "random", "log"};
/* The calls whose answer can say they failed (abi.h); the others can only trap. */
static int fallible(int kind)
{
	return kind == H_READ || kind == H_WRITE || kind == H_TRUNCATE;
}

enum fault { F_NONE, F_TRAP, F_FAIL, F_OOM };
static const char *const fault_name[] = {"none", "trap", "fail", "oom"};

static int counting;            /* inside an entry point: host calls are counted */
static long host_calls;         /* host calls of the current entry point */
static unsigned char *kinds;    /* when recording: the kind of each (shared with the parent) */
static long fault_at;           /* the host call (or SQLite allocation) that meets the fault */
static enum fault fault_mode;
static int fault_fired, init_writes;
static jmp_buf trap_jmp;
static double clock_ms = 1.7e12;
static uint64_t rand_state;

/* Count one host call; 1 when it must fail. A trap leaves through longjmp, as a wasm trap (or a
 * JavaScript exception thrown by an import) unwinds the module without running any of its code. */
static int host_point(enum host_kind kind)
{
	if (!counting)
		return 0;
	host_calls++;
	if (kinds && host_calls <= KINDS_MAX)
		kinds[host_calls - 1] = (unsigned char)kind;
	if (fault_mode == F_OOM || host_calls != fault_at)
		return 0;
	fault_fired = 1;
	if (fault_mode == F_TRAP)
		longjmp(trap_jmp, 1);
	return fault_mode == F_FAIL;
}

int32_t host_block_read(int32_t no, void *buf, int32_t len)
{
	int64_t stored;

	if (host_point(H_READ))
		return -1;
	if (no < 0 || no >= store.n || !store.b[no])
		return 0;
	memcpy(&stored, store.b[no] + BLOCK, sizeof stored);
	if (stored > len)
		stored = len;
	memcpy(buf, store.b[no], (size_t)stored);
	return (int32_t)stored;
}

int32_t host_block_write(int32_t no, const void *buf, int32_t len)
{
	if (host_point(H_WRITE))
		return -1;
	if (!in_txn)
		init_writes++;
	if (no < 0 || no >= MAX_BLOCKS || len <= 0 || len > BLOCK)
		return -1;
	if (!store.b[no] || (in_txn && no < snapshot.n && store.b[no] == snapshot.b[no]))
		store.b[no] = malloc(SLOT);
	memset(store.b[no], 0, SLOT);
	memcpy(store.b[no], buf, (size_t)len);
	{
		int64_t stored = len;

		memcpy(store.b[no] + BLOCK, &stored, sizeof stored);
	}
	if (no >= store.n)
		store.n = no + 1;
	return 0;
}

int32_t host_block_count(void)
{
	host_point(H_COUNT);
	return store.n;
}

int32_t host_block_truncate(int32_t count)
{
	if (host_point(H_TRUNCATE))
		return -1;
	if (!in_txn)
		init_writes++;
	for (int i = count; i < store.n; i++) {
		if (store.b[i] && (i >= snapshot.n || store.b[i] != snapshot.b[i]))
			free(store.b[i]);
		store.b[i] = NULL;
	}
	if (count < store.n)
		store.n = count;
	return 0;
}

double host_now_ms(void)
{
	host_point(H_NOW);
	return clock_ms;
}

/* Deterministic: the stream restarts with every entry point, so a retried call draws what the
 * fault-free call drew. */
void host_random(void *buf, int32_t len)
{
	unsigned char *p = buf;

	host_point(H_RANDOM);
	for (int32_t i = 0; i < len; i++) {
		rand_state ^= rand_state << 13;
		rand_state ^= rand_state >> 7;
		rand_state ^= rand_state << 17;
		p[i] = (unsigned char)rand_state;
	}
}

void host_log(int32_t level, const char *msg, int32_t len)
{
	host_point(H_LOG);
	if (getenv("FAULT_VERBOSE"))
		fprintf(stderr, "# module log %d: %.*s\n", (int)level, (int)len, msg);
}

/* ---- SQLite's allocator, failing at one allocation when asked -------------------------------- */

static sqlite3_mem_methods sqlite_mem;
static int oom_armed;
static long allocs;

static int oom_point(void)
{
	if (!oom_armed)
		return 0;
	allocs++;
	if (fault_mode != F_OOM || allocs != fault_at)
		return 0;
	fault_fired = 1;
	return 1;
}

static void *oom_malloc(int n)
{
	return oom_point() ? NULL : sqlite_mem.xMalloc(n);
}

static void *oom_realloc(void *p, int n)
{
	return oom_point() ? NULL : sqlite_mem.xRealloc(p, n);
}

static void oom_install(void)
{
	sqlite3_mem_methods m;

	sqlite3_config(SQLITE_CONFIG_GETMALLOC, &sqlite_mem);
	m = sqlite_mem;
	m.xMalloc = oom_malloc;
	m.xRealloc = oom_realloc;
	if (sqlite3_config(SQLITE_CONFIG_MALLOC, &m) != SQLITE_OK || sqlite3_initialize() != SQLITE_OK ||
	    vfs_os_init() != SQLITE_OK) {
		fprintf(stderr, "fault: cannot set SQLite up\n");
		exit(2);
	}
}

/* ---- the instance and one entry point, as the shim runs them ------------------------------- */

/* Input buffers must lie where a 32-bit "pointer" of the ABI can address them. */
static char *arena;
#define ARENA_SIZE (4 << 20)
static char config[512];

static int32_t at32(const void *p)
{
	return (int32_t)(uintptr_t)p;
}

/* A fresh instance over the storage, as the shim's #engine(). Outside the call's transaction
 * there, so it must not write (init_writes counts what it would have left behind). */
static int instance_open(void)
{
	size_t n = strlen(config);

	if (engine)
		return 0;
	memcpy(arena, config, n);
	return gt_init(at32(arena), (int32_t)n) == 0 ? 0 : -1;
}

/* Throw the instance away: its memory is abandoned, as a discarded wasm instance's would be. */
static void instance_discard(void)
{
	engine = NULL;
	out_meta = "{}";
	out_meta_len = 2;
	out_body = "";
	out_body_len = 0;
}

struct step {
	const char *label;  /* the write path, for the table */
	enum eng_event ev;
	char meta[8192];
	const char *body;
	int oom;            /* also fail each SQLite allocation */
	int want;           /* the fault-free status expected (0: any below 400) */
};

enum outcome { OUT_OK, OUT_REJECTED, OUT_FATAL, OUT_TRAPPED, OUT_NOOPEN };
static const char *const outcome_name[] = {"ok", "rejected", "fatal", "trapped", "no instance"};

static int out_status(void)
{
	cJSON *m = cJSON_ParseWithLength(out_meta, out_meta_len);
	int s = cJSON_GetNumberValue(cJSON_GetObjectItem(m, "status")) > 0
			? (int)cJSON_GetNumberValue(cJSON_GetObjectItem(m, "status")) : 0;

	cJSON_Delete(m);
	return s;
}

static uint64_t step_seed;

/* Run one entry point the way object.js's #run does. The fault switch is whatever is set. */
static enum outcome invoke(const struct step *s, int *status)
{
	size_t ml = strlen(s->meta), bl = s->body ? strlen(s->body) : 0;
	int32_t rc;

	*status = 0;
	if (instance_open() != 0)
		return OUT_NOOPEN;
	memcpy(arena, s->meta, ml);
	if (bl)
		memcpy(arena + ml, s->body, bl);
	txn_begin();
	host_calls = allocs = 0;
	fault_fired = 0;
	rand_state = step_seed;
	if (setjmp(trap_jmp)) {
		counting = oom_armed = 0;
		txn_rollback();
		instance_discard();
		return OUT_TRAPPED;
	}
	counting = oom_armed = 1;
	switch (s->ev) {
	case ENG_EV_ALARM:
		rc = gt_handle_alarm(at32(arena), (int32_t)ml);
		break;
	case ENG_EV_EFFECT_RESULT:
		rc = gt_handle_effect_result(at32(arena), (int32_t)ml, at32(arena + ml), (int32_t)bl);
		break;
	case ENG_EV_WS_MESSAGE:
		rc = gt_handle_ws_message(at32(arena), (int32_t)ml, at32(arena + ml), (int32_t)bl);
		break;
	default:
		rc = gt_handle_request(at32(arena), (int32_t)ml, at32(arena + ml), (int32_t)bl);
	}
	counting = oom_armed = 0;
	*status = out_status();
	if (rc != 0) {
		txn_rollback();
		instance_discard();
		return OUT_FATAL;
	}
	if (*status >= 400) {
		/* As object.js: an object without storage that stored some in a refused call (its image,
		 * before a spill) gets a new instance, whose VFS reads the image again. */
		int stored = snapshot.n == 0 && store.n > 0;

		txn_rollback();
		if (stored)
			instance_discard();
		return OUT_REJECTED;
	}
	txn_commit();
	return OUT_OK;
}

/* The answer, for comparing runs: the meta without next_alarm_ms, which a fresh instance always
 * states and a warm one only when it changed (engine.c), then the body. */
static size_t answer_text(char *buf, size_t cap, double *alarm)
{
	cJSON *m = cJSON_ParseWithLength(out_meta, out_meta_len);
	cJSON *a = cJSON_DetachItemFromObject(m, "next_alarm_ms");
	char *s = cJSON_PrintUnformatted(m);
	int n = snprintf(buf, cap, "%s\n%.*s", s ? s : "", (int)out_body_len, out_body);

	*alarm = cJSON_IsNumber(a) ? a->valuedouble : -1;
	cJSON_free(s);
	cJSON_Delete(a);
	cJSON_Delete(m);
	return n < 0 ? 0 : (size_t)n >= cap ? cap - 1 : (size_t)n;
}

/* ---- the campaign: one step, every fault point, each in a forked child ------------------------ */

struct reference {
	long host_calls, allocs;
	int outcome, status;
	unsigned char after[32];
	double alarm;
	size_t answer_len;
	char answer[ANSWER_MAX];
	unsigned char kinds[KINDS_MAX];
};

struct trial {
	int done, outcome, status, fired, violation;
	char why[300];
};

static struct reference *ref;
static struct trial *trial;
static char answer_buf[ANSWER_MAX];
static int quick, count_only;
static const struct step probe_step = {
	"probe", ENG_EV_REQUEST, "", NULL, 0, 0}; /* meta filled in main */
static struct step probe;

/* FAULT_DEBUG: the storage as one file, to compare runs with cmp -l. */
static void store_dump(const char *path)
{
	FILE *f;
	static const unsigned char zero[BLOCK];

	if (!getenv("FAULT_DEBUG") || !(f = fopen(path, "w")))
		return;
	for (int i = 0; i < store.n; i++)
		fwrite(store.b[i] ? store.b[i] : zero, 1, BLOCK, f);
	fclose(f);
}

/* Same answer and storage as the fault-free run. */
static int same_as_reference(const char *what, struct trial *t)
{
	unsigned char now[32];
	double alarm;
	size_t n = answer_text(answer_buf, sizeof answer_buf, &alarm);

	store_digest_of(now, 1);
	if (memcmp(now, ref->after, 32) != 0) {
		store_dump("/tmp/fault-trial.db");
		snprintf(t->why, sizeof t->why, "%s: storage differs from the fault-free call's", what);
		return 0;
	}
	if (n != ref->answer_len || memcmp(answer_buf, ref->answer, n) != 0 ||
	    (alarm >= 0 && ref->alarm >= 0 && alarm != ref->alarm)) {
		snprintf(t->why, sizeof t->why, "%s: answer differs from the fault-free call's: %.200s", what, answer_buf);
		return 0;
	}
	return 1;
}

static void run_trial(const struct step *s, enum fault mode, long k, const unsigned char before[32])
{
	unsigned char now[32];
	int status;
	enum outcome o;

	fault_mode = mode;
	fault_at = k;
	o = invoke(s, &status);
	trial->outcome = (int)o;
	trial->status = status;
	trial->fired = fault_fired;
	fault_mode = F_NONE;
	fault_at = 0;
	if (o == OUT_OK) {
		/* The fault was absorbed (SQLite survives some allocation failures): then the call must
		 * have done exactly what it does without one. */
		if (!same_as_reference("succeeded despite the fault", trial)) {
			trial->violation = 1;
			return;
		}
	} else {
		store_digest(now);
		if (memcmp(now, before, 32) != 0) {
			snprintf(trial->why, sizeof trial->why, "storage changed by a call that failed (%s)", outcome_name[o]);
			trial->violation = 1;
			return;
		}
		o = invoke(s, &status);
		if (o != OUT_OK) {
			snprintf(trial->why, sizeof trial->why, "the retried call failed: %s, status %d: %.200s", outcome_name[o],
				 status, out_body);
			trial->violation = 1;
			return;
		}
		if (!same_as_reference("the retried call", trial)) {
			trial->violation = 1;
			return;
		}
	}
	o = invoke(&probe, &status);
	if (o != OUT_OK) {
		snprintf(trial->why, sizeof trial->why, "the object no longer serves: %s, status %d", outcome_name[o], status);
		trial->violation = 1;
	}
}

struct tally {
	const char *label;
	long host_calls, points, violations, allocs, oom_points, oom_violations, rejected4xx;
};
static struct tally tallies[128];
static int ntallies;
static long total_points, total_violations, total_oom_points, total_oom_violations;

/* Fork; the child runs fn and leaves without cleaning up (its instance may be abandoned mid-call).
 * Returns the child's wait status. */
static int in_child(void (*fn)(const struct step *, enum fault, long, const unsigned char *), const struct step *s,
		    enum fault mode, long k, const unsigned char *before)
{
	pid_t pid;
	int ws = 0;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		perror("fork");
		exit(2);
	}
	if (pid == 0) {
		alarm(120);
		fn(s, mode, k, before);
		trial->done = 1;
		_exit(0);
	}
	while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
		;
	return ws;
}

static void run_reference(const struct step *s, enum fault mode, long k, const unsigned char *before)
{
	int status;

	(void)mode;
	(void)k;
	(void)before;
	kinds = ref->kinds;
	ref->outcome = (int)invoke(s, &status);
	kinds = NULL;
	ref->status = status;
	ref->host_calls = host_calls;
	ref->allocs = allocs;
	store_digest_of(ref->after, 1);
	store_dump("/tmp/fault-ref.db");
	ref->answer_len = answer_text(ref->answer, sizeof ref->answer, &ref->alarm);
}

/* The k of each point to try out of n candidates: all of them, or in the quick mode an even
 * spread of at most `most`, first and last included. */
static long pick(long i, long n, long most)
{
	if (!quick || n <= most)
		return i;
	return i * (n - 1) / (most - 1);
}

static long picks(long n, long most)
{
	return !quick || n <= most ? n : most;
}

static void report(const struct tally *t, const struct step *s, enum fault mode, long k, int ws)
{
	const char *kind = mode == F_OOM ? "allocation" : host_kind_name[ref->kinds[k - 1]];

	if (!WIFEXITED(ws) || WEXITSTATUS(ws) != 0 || !trial->done)
		snprintf(trial->why, sizeof trial->why, "the child died (%s %d)", WIFSIGNALED(ws) ? "signal" : "status",
			 WIFSIGNALED(ws) ? WTERMSIG(ws) : WEXITSTATUS(ws));
	(void)s;
	printf("VIOLATION %s: %s at %s %ld of %ld: %s\n", t->label, fault_name[mode], kind, k,
	       mode == F_OOM ? ref->allocs : ref->host_calls, trial->why);
}

static void campaign(const struct step *s)
{
	unsigned char before[32];
	struct tally *t = &tallies[ntallies++];
	static long fallible_at[KINDS_MAX];
	long nf = 0;
	int ws;

	t->label = s->label;
	store_digest(before);
	memset(ref, 0, sizeof *ref);
	memset(trial, 0, sizeof *trial);
	ws = in_child(run_reference, s, F_NONE, 0, before);
	if (!WIFEXITED(ws) || WEXITSTATUS(ws) != 0 || !trial->done || ref->outcome != OUT_OK) {
		printf("not ok - %s: the fault-free call failed (%s, status %d)\n", s->label,
		       trial->done ? outcome_name[ref->outcome] : "child died", ref->status);
		t->violations++;
		total_violations++;
		return;
	}
	t->host_calls = ref->host_calls;
	t->allocs = s->oom ? ref->allocs : 0;
	for (long i = 0; i < ref->host_calls && i < KINDS_MAX; i++)
		if (fallible(ref->kinds[i]))
			fallible_at[nf++] = i + 1;
	for (int mode = F_TRAP; mode <= F_OOM; mode++) {
		long n = mode == F_TRAP ? ref->host_calls : mode == F_FAIL ? nf : s->oom ? ref->allocs : 0;
		long most = mode == F_OOM ? 20 : mode == F_FAIL ? 4 : 6;

		if (count_only)
			break;

		for (long i = 0; i < picks(n, most); i++) {
			long j = pick(i, n, most);
			long k = mode == F_FAIL ? fallible_at[j] : j + 1;

			memset(trial, 0, sizeof *trial);
			ws = in_child(run_trial, s, (enum fault)mode, k, before);
			if (mode == F_OOM)
				t->oom_points++;
			else
				t->points++;
			if (trial->outcome == OUT_REJECTED && trial->status < 500)
				t->rejected4xx++;
			if (!WIFEXITED(ws) || WEXITSTATUS(ws) != 0 || !trial->done || trial->violation) {
				report(t, s, (enum fault)mode, k, ws);
				if (mode == F_OOM)
					t->oom_violations++;
				else
					t->violations++;
			}
		}
	}
	total_points += t->points;
	total_violations += t->violations;
	total_oom_points += t->oom_points;
	total_oom_violations += t->oom_violations;
}

/* ---- the workload ------------------------------------------------------------------------------ */

static int tested_steps, failed_steps;
static const char *only; /* FAULT_ONLY: test only the steps whose label contains this */
/* The read that shows the object still serves (a token good at the step's time is put in). */
static const char *probe_path = "/api/towns/t1";
static const char *probe_caller; /* an object-to-object read: the caller stamped, no token */

/* Run a step: its fault campaign first (from the state before it), then for real. Returns the
 * parsed answer (meta and body), or exits when the fault-free call does not answer as scripted. */
static void step_run(const struct step *s, cJSON **meta, cJSON **body)
{
	int status;
	enum outcome o;

	t_now = clock_ms;
	step_seed = 0x9e3779b97f4a7c15ULL * (uint64_t)(tested_steps + 1);
	/* The read that shows the object still serves, with a token good at this step's time. */
	if (probe_caller)
		snprintf(probe.meta, sizeof probe.meta,
			 "{\"method\":\"GET\",\"path\":\"%s\",\"query\":\"\",\"headers\":{\"x-gastown-caller\":\"%s\"}}",
			 probe_path, probe_caller);
	else
		snprintf(probe.meta, sizeof probe.meta, "{\"method\":\"GET\",\"path\":\"%s\",\"query\":\"\",\"headers\":%s}",
			 probe_path, t_as("sarah"));
	if (!only || strstr(s->label, only))
		campaign(s);
	o = invoke(s, &status);
	tested_steps++;
	if (o != OUT_OK || (s->want && status != s->want)) {
		printf("not ok - workload step %s (%s): %s, status %d: %.*s\n", s->label, s->meta, outcome_name[o], status,
		       (int)out_body_len, out_body);
		failed_steps++;
	}
	*meta = cJSON_ParseWithLength(out_meta, out_meta_len);
	*body = cJSON_ParseWithLength(out_body, out_body_len);
}

/* A request step; returns the body's "data" (owned by the returned root in *root). */
static const cJSON *req(const char *label, const char *method, const char *path, const char *body,
			const char *headers, int want, int oom, cJSON **root, cJSON **meta)
{
	static struct step s;
	cJSON *m, *b;

	memset(&s, 0, sizeof s);
	s.label = label;
	s.ev = ENG_EV_REQUEST;
	snprintf(s.meta, sizeof s.meta, "{\"method\":\"%s\",\"path\":\"%s\",\"query\":\"\",\"headers\":%s}", method, path,
		 headers ? headers : "{}");
	s.body = body;
	s.want = want;
	s.oom = oom;
	step_run(&s, &m, &b);
	if (meta)
		*meta = m;
	else
		cJSON_Delete(m);
	*root = b;
	return cJSON_GetObjectItem(b, "data");
}

/* A request whose answer is not needed. */
static void req_do(const char *label, const char *method, const char *path, const char *body, const char *headers,
		   int want)
{
	cJSON *root;

	req(label, method, path, body, headers, want, 0, &root, NULL);
	cJSON_Delete(root);
}

/* An event step (alarm, effect result); returns the meta (the caller deletes it). */
static cJSON *event(const char *label, enum eng_event ev, const char *meta, const char *body, int oom)
{
	static struct step s;
	cJSON *m, *b;

	memset(&s, 0, sizeof s);
	s.label = label;
	s.ev = ev;
	snprintf(s.meta, sizeof s.meta, "%s", meta);
	s.body = body;
	s.oom = oom;
	step_run(&s, &m, &b);
	cJSON_Delete(b);
	return m;
}

static const char *str_of(const cJSON *o, const char *k)
{
	const char *s = cJSON_GetStringValue(cJSON_GetObjectItem(o, k));

	return s ? s : "";
}

static const char *bearer(const char *token)
{
	static char h[2048];

	snprintf(h, sizeof h, "{\"authorization\":\"Bearer %s\"}", token);
	return h;
}

/* Headers of a GitHub delivery signed with the integration's webhook secret. */
static const char *github_signed(const char *event, const char *delivery, const char *body)
{
	static char h[512];
	unsigned char mac[32];
	char hex[65];

	mbedtls_md_hmac(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), (const unsigned char *)"hook-secret", 11,
			(const unsigned char *)body, strlen(body), mac);
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", mac[i]);
	snprintf(h, sizeof h, "{\"x-github-event\":\"%s\",\"x-github-delivery\":\"%s\",\"x-hub-signature-256\":\"sha256=%s\"}",
		 event, delivery, hex);
	return h;
}

/* The effects of an answer's meta whose url ends with suffix; the first, or NULL. */
static const cJSON *effect_to(const cJSON *meta, const char *suffix)
{
	const cJSON *f;

	cJSON_ArrayForEach(f, cJSON_GetObjectItem(meta, "effects")) {
		const char *url = str_of(f, "url");
		size_t n = strlen(url), m = strlen(suffix);

		if (n >= m && strcmp(url + n - m, suffix) == 0)
			return f;
	}
	return NULL;
}

/* An effect's answer: the output's meta (the caller deletes it). */
static cJSON *effect_answer(const char *label, const cJSON *fx, int status, const char *body, int oom)
{
	char meta[512];

	snprintf(meta, sizeof meta, "{\"id\":\"%s\",\"ok\":true,\"status\":%d,\"headers\":{}}", str_of(fx, "id"), status);
	return event(label, ENG_EV_EFFECT_RESULT, meta, body, oom);
}

static void effect_ok(const char *label, const cJSON *fx, int status, const char *body, int oom)
{
	cJSON_Delete(effect_answer(label, fx, status, body, oom));
}

static void workload(void)
{
	const char *sarah = strdup(t_as("sarah"));
	char path[256], crew[160], bead1[64], bead2[64], esc[64], convoy[64], body[1024], agent_token[1024];
	const cJSON *d, *fx;
	cJSON *root, *meta, *m;

	req_do("POST /towns/:town (create)", "POST", "/api/towns/t1", "{\"name\":\"T\"}", sarah, 201);
	req_do("PATCH /towns/:town", "PATCH", "/api/towns/t1", "{\"name\":\"Town\"}", sarah, 0);
	req_do("PATCH /towns/:town/settings", "PATCH", "/api/towns/t1/settings",
	       "{\"settings\":{\"quiet_after_s\":600}}", sarah, 0);
	req_do("POST /rigs", "POST", "/api/towns/t1/rigs",
	       "{\"id\":\"r\",\"git_url\":\"https://example.com/r.git\",\"max_polecats\":2}", sarah, 201);
	req_do("PATCH /rigs/:rig", "PATCH", "/api/towns/t1/rigs/r", "{\"max_polecats\":3}", sarah, 0);
	req_do("POST /agents", "POST", "/api/towns/t1/agents", "{\"role\":\"polecat\",\"rig\":\"r\"}", sarah, 201);
	req_do("POST /agents", "POST", "/api/towns/t1/agents", "{\"role\":\"mayor\"}", sarah, 201);
	req_do("PUT /members/:user", "PUT", "/api/towns/t1/members/bob", "{\"role\":\"member\",\"name\":\"Bob\"}", sarah, 0);
	req_do("PUT /members/:user", "PUT", "/api/towns/t1/members/vic", "{\"role\":\"viewer\"}", sarah, 0);

	d = req("POST /beads", "POST", "/api/towns/t1/beads", "{\"title\":\"Fix the login page\",\"rig\":\"r\"}", sarah,
		201, 1, &root, NULL);
	snprintf(bead1, sizeof bead1, "%s", str_of(d, "id"));
	cJSON_Delete(root);
	d = req("POST /beads", "POST", "/api/towns/t1/beads", "{\"title\":\"Write the docs\",\"held\":true}", sarah, 201,
		0, &root, NULL);
	snprintf(bead2, sizeof bead2, "%s", str_of(d, "id"));
	cJSON_Delete(root);
	snprintf(path, sizeof path, "/api/towns/t1/beads/%s", bead2);
	req_do("PATCH /beads/:bead", "PATCH", path, "{\"priority\":1,\"labels\":[\"docs\"]}", sarah, 0);
	snprintf(path, sizeof path, "/api/towns/t1/beads/%s/deps", bead2);
	snprintf(body, sizeof body, "{\"id\":\"%s\"}", bead1);
	req_do("POST /beads/:bead/deps", "POST", path, body, sarah, 0);
	snprintf(path, sizeof path, "/api/towns/t1/beads/%s/deps/%s", bead2, bead1);
	req_do("DELETE /beads/:bead/deps/:dep", "DELETE", path, NULL, sarah, 0);
	snprintf(path, sizeof path, "/api/towns/t1/beads/%s/sling", bead1);
	req_do("POST /beads/:bead/sling", "POST", path, "{}", sarah, 0);

	/* The tick dispatches the slung bead to the polecat: a start effect for its container. */
	clock_ms += 1000;
	meta = event("alarm tick (dispatch)", ENG_EV_ALARM, "{}", NULL, 1);
	fx = effect_to(meta, "/start");
	if (!fx) {
		printf("not ok - the tick started no agent: %s\n", cJSON_PrintUnformatted(meta));
		failed_steps++;
	} else {
		cJSON *start = cJSON_Parse(str_of(fx, "body"));

		snprintf(agent_token, sizeof agent_token, "%s", str_of(start, "token"));
		cJSON_Delete(start);
		snprintf(path, sizeof path, "%s", str_of(fx, "url"));
		effect_ok("effect result (agent start)", fx, 200, "{}", 1);
	}
	cJSON_Delete(meta);

	{
		char agent[64] = "";
		const char *a = strstr(path, "/agents/");

		if (a)
			snprintf(agent, sizeof agent, "%.*s", (int)strcspn(a + 8, "/"), a + 8);
		snprintf(path, sizeof path, "/api/towns/t1/agents/%s/heartbeat", agent);
		snprintf(body, sizeof body, "{\"bead\":\"%s\"}", bead1);
		req_do("POST /agents/:agent/heartbeat", "POST", path, body, bearer(agent_token), 0);
		snprintf(path, sizeof path, "/api/towns/t1/agents/%s/status", agent);
		req_do("POST /agents/:agent/status", "POST", path, "{\"message\":\"reading the code\"}", bearer(agent_token), 0);
		snprintf(path, sizeof path, "/api/towns/t1/agents/%s/events", agent);
		req_do("POST /agents/:agent/events", "POST", path, "{\"events\":[{\"type\":\"output\",\"text\":\"hi\"}]}",
		       bearer(agent_token), 0);
		snprintf(path, sizeof path, "/api/towns/t1/agents/%s/usage", agent);
		req_do("POST /agents/:agent/usage", "POST", path,
		       "{\"records\":[{\"id\":\"u1\",\"model\":\"m1\",\"input_tokens\":1000,\"output_tokens\":200,"
		       "\"cache_read_tokens\":0,\"cache_write_tokens\":0,\"cost_microusd\":null}]}", bearer(agent_token), 0);
		snprintf(path, sizeof path, "/api/towns/t1/agents/%s/mail", agent);
		req_do("POST /agents/:agent/mail", "POST", path, "{\"to\":\"mayor\",\"subject\":\"s\",\"body\":\"b\"}",
		       bearer(agent_token), 0);
		snprintf(path, sizeof path, "/api/towns/t1/agents/%s/escalations", agent);
		req_do("POST /agents/:agent/escalations", "POST", path, "{\"severity\":\"low\",\"title\":\"Stuck\"}",
		       bearer(agent_token), 0);
		snprintf(path, sizeof path, "/api/towns/t1/agents/%s/done", agent);
		snprintf(body, sizeof body, "{\"bead\":\"%s\",\"branch\":\"gt/%s/%s\",\"summary\":\"fixed\"}", bead1, agent,
			 bead1);
		req_do("POST /agents/:agent/done", "POST", path, body, bearer(agent_token), 0);
		snprintf(path, sizeof path, "/api/towns/t1/agents/%s/token", agent);
		req_do("POST /agents/:agent/token", "POST", path, NULL, sarah, 0);
		snprintf(path, sizeof path, "/api/towns/t1/agents/%s/token/revoke", agent);
		req_do("POST /agents/:agent/token/revoke", "POST", path, NULL, sarah, 0);
	}

	req_do("PUT /prices/:model", "PUT", "/api/towns/t1/prices/m1", "{\"input_per_mtok\":3,\"output_per_mtok\":15}",
	       sarah, 0);
	req_do("PUT /budgets/:scope/:key", "PUT", "/api/towns/t1/budgets/user-day/bob", "{\"limit_microusd\":20000}",
	       sarah, 0);
	req_do("DELETE /budgets/:scope/:key", "DELETE", "/api/towns/t1/budgets/user-day/bob", NULL, sarah, 0);
	req_do("DELETE /prices/:model", "DELETE", "/api/towns/t1/prices/m1", NULL, sarah, 0);

	d = req("POST /escalations", "POST", "/api/towns/t1/escalations", "{\"severity\":\"low\",\"title\":\"Disk\"}",
		sarah, 201, 0, &root, NULL);
	snprintf(esc, sizeof esc, "%s", str_of(d, "id"));
	cJSON_Delete(root);
	snprintf(path, sizeof path, "/api/towns/t1/escalations/%s/ack", esc);
	req_do("POST /escalations/:id/ack", "POST", path, NULL, sarah, 0);
	snprintf(path, sizeof path, "/api/towns/t1/escalations/%s/resolve", esc);
	req_do("POST /escalations/:id/resolve", "POST", path, NULL, sarah, 0);

	/* A route run inside another call (route_call, under its own savepoint). */
	d = req("POST /mcp (tools/call bead_create)", "POST", "/api/towns/t1/mcp",
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"bead_create\","
		"\"arguments\":{\"title\":\"Filed over MCP\"}}}", sarah, 200, 1, &root, NULL);
	if (cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(root, "result"), "isError")) || !cJSON_GetObjectItem(root, "result")) {
		printf("not ok - the MCP tool call failed: %s\n", cJSON_PrintUnformatted(root));
		failed_steps++;
	}
	cJSON_Delete(root);
	req_do("POST /mail", "POST", "/api/towns/t1/mail", "{\"to\":\"mayor\",\"subject\":\"s\",\"body\":\"b\"}", sarah, 0);
	req_do("POST /mayor/messages", "POST", "/api/towns/t1/mayor/messages", "{\"text\":\"What landed?\"}", sarah, 0);

	snprintf(body, sizeof body, "{\"title\":\"Release\",\"beads\":[\"%s\"]}", bead2);
	d = req("POST /convoys", "POST", "/api/towns/t1/convoys", body, sarah, 201, 0, &root, NULL);
	snprintf(convoy, sizeof convoy, "%s", str_of(d, "id"));
	cJSON_Delete(root);
	snprintf(path, sizeof path, "/api/towns/t1/convoys/%s/sling", convoy);
	req_do("POST /convoys/:convoy/sling", "POST", path, "{\"rig\":\"r\"}", sarah, 0);

	d = req("POST /crew", "POST", "/api/towns/t1/crew", "{\"name\":\"laptop\"}", t_as("bob"), 0, 0, &root, NULL);
	snprintf(crew, sizeof crew, "%s", str_of(cJSON_GetObjectItem(d, "agent"), "id"));
	cJSON_Delete(root);
	d = req("POST /beads", "POST", "/api/towns/t1/beads", "{\"title\":\"On my machine\"}", t_as("bob"), 201, 0, &root,
		NULL);
	snprintf(body, sizeof body, "{\"bead\":\"%s\"}", str_of(d, "id"));
	cJSON_Delete(root);
	snprintf(path, sizeof path, "/api/towns/t1/agents/%s/hook", crew);
	req_do("POST /agents/:agent/hook", "POST", path, body, t_as("bob"), 0);
	req_do("DELETE /agents/:agent/hook", "DELETE", path, NULL, t_as("bob"), 0);
	snprintf(path, sizeof path, "/api/towns/t1/crew/%s", crew);
	req_do("DELETE /crew/:agent", "DELETE", path, NULL, t_as("bob"), 0);

	/* Webhooks: the delivery is stored and answered; the alarm applies it. */
	req_do("PUT /integrations/:platform", "PUT", "/api/towns/t1/integrations/github",
	       "{\"secrets\":{\"webhook_secret\":\"hook-secret\"}}", sarah, 0);
	req_do("POST /rigs", "POST", "/api/towns/t1/rigs", "{\"id\":\"app\",\"git_url\":\"https://github.com/acme/app.git\"}",
	       sarah, 201);
	{
		const char *issue = "{\"action\":\"opened\",\"repository\":{\"full_name\":\"acme/app\",\"default_branch\":\"main\"},"
				    "\"sender\":{\"login\":\"octo\"},\"issue\":{\"number\":7,\"title\":\"Issue 7\","
				    "\"html_url\":\"https://github.com/acme/app/issues/7\",\"body\":\"Steps.\","
				    "\"labels\":[{\"name\":\"gastown\"}]}}";

		req_do("POST /hooks/:platform (delivery)", "POST", "/api/towns/t1/hooks/github", issue,
		       github_signed("issues", "d-7", issue), 202);
	}
	m = event("alarm tick (apply deliveries)", ENG_EV_ALARM, "{}", NULL, 1);
	cJSON_Delete(m);

	snprintf(path, sizeof path, "/api/towns/t1/beads/%s/close", bead2);
	req_do("POST /beads/:bead/close", "POST", path, "{\"reason\":\"done\"}", sarah, 0);
	d = req("POST /beads", "POST", "/api/towns/t1/beads", "{\"title\":\"Scratch\"}", sarah, 201, 0, &root, NULL);
	snprintf(path, sizeof path, "/api/towns/t1/beads/%s", str_of(d, "id"));
	cJSON_Delete(root);
	req_do("DELETE /beads/:bead", "DELETE", path, NULL, sarah, 0);
	req_do("DELETE /members/:user", "DELETE", "/api/towns/t1/members/vic", NULL, sarah, 0);
	req_do("DELETE /integrations/:platform", "DELETE", "/api/towns/t1/integrations/github", NULL, sarah, 0);
	req_do("POST /rigs", "POST", "/api/towns/t1/rigs", "{\"id\":\"tmp\",\"git_url\":\"https://example.com/tmp.git\"}",
	       sarah, 201);
	req_do("DELETE /rigs/:rig", "DELETE", "/api/towns/t1/rigs/tmp", NULL, sarah, 0);

	/* A note (into its FTS5 index), a formula installed from the registry and run as a molecule
	 * (docs/registry.md): the install's fetch is an effect, answered as the RegistryDO would. */
	req_do("POST /notes", "POST", "/api/towns/t1/notes", "{\"path\":\"src/payments/\",\"text\":\"a race in checkout\"}",
	       sarah, 201);
	req("POST /installs", "POST", "/api/towns/t1/installs", "{\"name\":\"release\"}", sarah, 202, 0, &root, &meta);
	if ((fx = effect_to(meta, "/_internal/packages/release/latest")))
		effect_ok("effect: install fetched", fx, 200,
			  "{\"data\":{\"name\":\"release\",\"kind\":\"formula\",\"org\":\"acme\",\"version\":\"1.0.0\","
			  "\"digest\":\"d\",\"spec\":{\"kind\":\"formula\",\"name\":\"release\",\"version\":\"1.0.0\","
			  "\"vars\":[{\"name\":\"v\",\"required\":true,\"default\":null}],\"steps\":["
			  "{\"id\":\"bump\",\"title\":\"Bump to {{v}}\",\"description\":\"\",\"needs\":[]},"
			  "{\"id\":\"tag\",\"title\":\"Tag {{v}}\",\"description\":\"\",\"needs\":[\"bump\"],"
			  "\"gate\":{\"type\":\"human\",\"id\":\"\",\"timeout\":\"\"}}]}}}",
			  0);
	else
		printf("not ok - workload: the install asked the registry for nothing\n"), failed_steps++;
	cJSON_Delete(meta);
	cJSON_Delete(root);
	req_do("POST /formulas/:name/runs", "POST", "/api/towns/t1/formulas/release/runs",
	       "{\"vars\":{\"v\":\"2.0\"},\"rig\":\"r\"}", sarah, 201);

	/* The town in the Wasteland (docs/wasteland.md): connected, a labelled bead queued, the first
	 * write answered with an operation, the operation polled on the alarm and found done. */
	req("PUT /wasteland", "PUT", "/api/towns/t1/wasteland",
	    "{\"owner\":\"acme\",\"database\":\"commons\",\"handle\":\"t1\",\"token\":\"dh-token\","
	    "\"api_url\":\"https://dolthub.test/api\"}", sarah, 200, 0, &root, &meta);
	if ((fx = effect_to(meta, "/acme/commons/write/main/main")))
		effect_ok("effect: wasteland write taken", fx, 200, "{\"operation_name\":\"operations/1\"}", 0);
	else
		printf("not ok - workload: the wasteland wrote nothing\n"), failed_steps++;
	cJSON_Delete(meta);
	cJSON_Delete(root);
	req_do("POST /beads (wasteland)", "POST", "/api/towns/t1/beads", "{\"title\":\"Wanted\",\"labels\":[\"wasteland\"]}",
	       sarah, 201);
	clock_ms += 1000;
	m = event("alarm tick (wasteland poll)", ENG_EV_ALARM, "{}", NULL, 1);
	if ((fx = effect_to(m, "/acme/commons/write?operationName=operations%2F1")))
		effect_ok("effect: wasteland write done", fx, 200,
			  "{\"done\":true,\"res_details\":{\"query_execution_status\":\"Success\"}}", 0);
	else
		printf("not ok - workload: the wasteland polled nothing\n"), failed_steps++;
	cJSON_Delete(m);

	/* Time passes: the escalation the agent raised comes due, lost agents are noticed. */
	clock_ms += 24 * 3600e3;
	m = event("alarm tick (a day later)", ENG_EV_ALARM, "{}", NULL, 1);
	cJSON_Delete(m);
	(void)meta;
	free((char *)sarah);
}

/* ---- a DoltSyncDO: its own object, over a store of its own --------------------------------------- */

/* A full sync of one page (docs/wasteland.md): started by its town, the page asked for and
 * answered, its statement written, the operation polled on the alarm and found done, the end told
 * and the handover answered. */
static void sync_workload(void)
{
	static const char town[] = "{\"x-gastown-caller\":\"town:t1\"}";
	cJSON *root, *meta, *m;
	const cJSON *fx;

	/* The town's instance closed, not abandoned: the process goes on, and its leak check with it. */
	if (engine)
		eng_close(engine);
	instance_discard();
	for (int i = 0; i < store.n; i++) {
		free(store.b[i]);
		store.b[i] = NULL;
	}
	store.n = 0;
	snprintf(config, sizeof config, "{\"kind\":\"sync\",\"id\":\"t1:5\",\"admin_token\":\"operator-secret\"}");
	probe_path = "/_internal/sync";
	probe_caller = "town:t1";
	req("POST /_internal/sync (full sync)", "POST", "/_internal/sync",
	    "{\"town\":\"t1\",\"sync\":\"5\",\"api_url\":\"https://dolthub.test/api\",\"owner\":\"acme\","
	    "\"database\":\"commons\",\"token\":\"dh-token\",\"timeout_s\":5}", town, 200, 1, &root, &meta);
	cJSON_Delete(root);
	if (!(fx = effect_to(meta, "/_internal/wasteland/full/5"))) {
		printf("not ok - workload: the full sync asked its town for nothing\n"), failed_steps++;
		cJSON_Delete(meta);
		return;
	}
	m = effect_answer("effect: full sync page", fx, 200,
			  "{\"data\":{\"statements\":[\"INSERT INTO wanted (id) VALUES ('w-1')\"],\"beads\":1,\"next_cursor\":0,"
			  "\"last\":true,\"api_url\":\"https://dolthub.test/api\",\"owner\":\"acme\",\"database\":\"commons\","
			  "\"token\":\"dh-token\",\"timeout_s\":5}}", 1);
	cJSON_Delete(meta);
	if ((fx = effect_to(m, "/acme/commons/write/main/main")))
		effect_ok("effect: full sync write taken", fx, 200, "{\"operation_name\":\"operations/9\"}", 1);
	else
		printf("not ok - workload: the full sync wrote nothing\n"), failed_steps++;
	cJSON_Delete(m);
	clock_ms += 1000;
	m = event("alarm tick (full sync poll)", ENG_EV_ALARM, "{}", NULL, 1);
	if ((fx = effect_to(m, "/acme/commons/write?operationName=operations%2F9"))) {
		cJSON *done = effect_answer("effect: full sync write done", fx, 200,
					    "{\"done\":true,\"res_details\":{\"query_execution_status\":\"Success\"}}", 1);

		if ((fx = effect_to(done, "/_internal/wasteland/full/5")))
			effect_ok("effect: full sync handed over", fx, 200, "{\"data\":{\"done\":true}}", 1);
		else
			printf("not ok - workload: the full sync never told its town it was done\n"), failed_steps++;
		cJSON_Delete(done);
	} else {
		printf("not ok - workload: the full sync polled nothing\n"), failed_steps++;
	}
	cJSON_Delete(m);
	m = event("GET /_internal/sync (done)", ENG_EV_REQUEST,
		  "{\"method\":\"GET\",\"path\":\"/_internal/sync\",\"query\":\"\",\"headers\":{\"x-gastown-caller\":\"town:t1\"}}",
		  NULL, 0);
	cJSON_Delete(m);
	m = cJSON_ParseWithLength(out_body, out_body_len);
	if (strcmp(str_of(cJSON_GetObjectItem(m, "data"), "state"), "done") != 0)
		printf("not ok - workload: the full sync is not done: %.*s\n", (int)out_body_len, out_body), failed_steps++;
	cJSON_Delete(m);
}

/* ---- the open path: a fresh instance over stored state --------------------------------------- */

static void run_open_trial(const struct step *s, enum fault mode, long k, const unsigned char *before)
{
	unsigned char now[32];
	int status, rc;

	(void)s;
	instance_discard();
	fault_mode = mode;
	fault_at = k;
	host_calls = 0;
	counting = 1;
	if (setjmp(trap_jmp) == 0)
		rc = instance_open();
	else
		rc = -1, instance_discard();
	counting = 0;
	fault_mode = F_NONE;
	trial->fired = fault_fired;
	if (rc != 0)
		instance_discard();
	store_digest(now);
	if (memcmp(now, before, 32) != 0 || init_writes) {
		snprintf(trial->why, sizeof trial->why, "opening the instance wrote storage");
		trial->violation = 1;
		return;
	}
	if (invoke(&probe, &status) != OUT_OK) {
		snprintf(trial->why, sizeof trial->why, "the object no longer serves (status %d)", status);
		trial->violation = 1;
	}
}

static void open_reference(const struct step *s, enum fault mode, long k, const unsigned char *before)
{
	(void)s;
	(void)mode;
	(void)k;
	(void)before;
	instance_discard();
	kinds = ref->kinds;
	host_calls = 0;
	counting = 1;
	ref->outcome = instance_open() == 0 ? OUT_OK : OUT_NOOPEN;
	counting = 0;
	kinds = NULL;
	ref->host_calls = host_calls;
	if (init_writes)
		ref->outcome = OUT_FATAL;
}

static void campaign_open(void)
{
	unsigned char before[32];
	struct tally *t = &tallies[ntallies++];
	int ws;

	t->label = "open (instance over stored state)";
	store_digest(before);
	memset(trial, 0, sizeof *trial);
	ws = in_child(open_reference, NULL, F_NONE, 0, before);
	if (!WIFEXITED(ws) || WEXITSTATUS(ws) != 0 || ref->outcome != OUT_OK) {
		printf("not ok - opening an instance failed or wrote storage\n");
		t->violations++;
		total_violations++;
		return;
	}
	t->host_calls = ref->host_calls;
	for (int mode = F_TRAP; mode <= F_FAIL; mode++)
		for (long k = 1; k <= ref->host_calls; k++) {
			if (mode == F_FAIL && !fallible(ref->kinds[k - 1]))
				continue;
			memset(trial, 0, sizeof *trial);
			ws = in_child(run_open_trial, NULL, (enum fault)mode, k, before);
			t->points++;
			if (!WIFEXITED(ws) || WEXITSTATUS(ws) != 0 || !trial->done || trial->violation) {
				printf("VIOLATION %s: %s at %s %ld of %ld: %s\n", t->label, fault_name[mode],
				       host_kind_name[ref->kinds[k - 1]], k, ref->host_calls,
				       trial->done ? trial->why : "the child died");
				t->violations++;
			}
		}
	total_points += t->points;
	total_violations += t->violations;
}

/* ---- main: run, print the table, write the summary -------------------------------------------- */

static void write_summary(const char *path, double secs)
{
	FILE *f = fopen(path, "w");

	if (!f) {
		perror(path);
		return;
	}
	fprintf(f, "{\"mode\":\"%s\",\"points\":%ld,\"violations\":%ld,\"oom_points\":%ld,\"oom_violations\":%ld,"
		   "\"workload_failures\":%d,\"seconds\":%.1f,\"paths\":[",
		quick ? "quick" : "full", total_points, total_violations, total_oom_points, total_oom_violations,
		failed_steps, secs);
	for (int i = 0; i < ntallies; i++)
		fprintf(f, "%s\n{\"path\":\"%s\",\"host_calls\":%ld,\"points\":%ld,\"violations\":%ld,\"allocations\":%ld,"
			   "\"oom_points\":%ld,\"oom_violations\":%ld,\"rejected_4xx\":%ld}",
			i ? "," : "", tallies[i].label, tallies[i].host_calls, tallies[i].points, tallies[i].violations,
			tallies[i].allocs, tallies[i].oom_points, tallies[i].oom_violations, tallies[i].rejected4xx);
	fprintf(f, "]}\n");
	fclose(f);
}

int main(int argc, char **argv)
{
	struct timespec t0, t1;
	const char *out = argc > 1 ? argv[1] : "build/prove/fault.json";
	double secs;

	quick = getenv("FAULT_QUICK") && strcmp(getenv("FAULT_QUICK"), "0") != 0;
	only = getenv("FAULT_ONLY");
	count_only = getenv("FAULT_COUNT") != NULL;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	setvbuf(stdout, NULL, _IOLBF, 0);
	oom_install();
	arena = mmap(NULL, ARENA_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	ref = mmap(NULL, sizeof *ref, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	trial = mmap(NULL, sizeof *trial, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (arena == MAP_FAILED || ref == MAP_FAILED || trial == MAP_FAILED || (uintptr_t)arena + ARENA_SIZE > INT32_MAX) {
		fprintf(stderr, "fault: cannot map memory\n");
		return 2;
	}
	snprintf(config, sizeof config,
		 "{\"kind\":\"town\",\"id\":\"t1\",\"admin_token\":\"operator-secret\",\"jwt\":{\"secret\":\"%s\"},"
		 "\"container_secret\":\"%s\"}", T_JWT_SECRET, SECRET);
	probe = probe_step;
	t_now = clock_ms;
	snprintf(probe.meta, sizeof probe.meta, "{\"method\":\"GET\",\"path\":\"/api/towns/t1\",\"query\":\"\",\"headers\":%s}",
		 t_as("sarah"));

	printf("# fault: a fault at every host call%s\n", quick ? " (quick: a spread of points per path)" : "");
	workload();
	if (!only || strstr("open", only))
		campaign_open();
	sync_workload();

	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("\n%-40s %10s %7s %10s %7s %7s %10s\n", "path", "host calls", "points", "violations", "allocs", "oom pts",
	       "oom viol.");
	for (int i = 0; i < ntallies; i++) {
		const struct tally *t = &tallies[i];

		printf("%-40s %10ld %7ld %10ld", t->label, t->host_calls, t->points, t->violations);
		if (t->allocs)
			printf(" %7ld %7ld %10ld", t->allocs, t->oom_points, t->oom_violations);
		printf("\n");
	}
	printf("%-40s %10s %7ld %10ld %7s %7ld %10ld\n", "total", "", total_points, total_violations, "", total_oom_points,
	       total_oom_violations);
	printf("# %d workload steps, %d failed; %.1f s\n", tested_steps, failed_steps, secs);
	write_summary(out, secs);
	return total_violations || total_oom_violations || failed_steps ? 1 : 0;
}
