/*
 * host.h - gastown-host, the local agent host: the "container" side of docs/container-protocol.md on
 * a developer machine. One header grouped by file, so it doubles as a table of contents.
 *
 * Two kinds of process run this binary:
 *   - the host itself (main.c): one thread, one poll loop over the HTTP server (libmicrohttpd in
 *     external epoll mode), the metering proxy (a second daemon, and libcurl's multi interface for
 *     its upstream calls), the agents' terminals and stderr pipes, the dashboard terminals attached
 *     to them (WebSockets, terminal.c) and the timers; calls to the town are blocking libcurl calls
 *     with short timeouts, made from that same loop;
 *   - `gastown-host agent-run SPEC`, the agent's own process (child.c): prepares the rig clone and
 *     the worktree, then execs the runtime in place, or performs a refinery merge (refinery.c).
 *     Its terminal (a PTY) and its stderr are the agent's output; so the git work of a start never
 *     blocks the host.
 */
#ifndef GASTOWN_HOST_H
#define GASTOWN_HOST_H

#include <limits.h>
#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cJSON.h"
#include "diffstat.h"

#define HOST_ID_MAX 128          /* town, agent, rig and bead ids */
#define HOST_BRANCH_MAX 200      /* branch names */
#define HOST_TOKEN_MAX 8192      /* an agent token */
#define HOST_BODY_MAX (1 << 20)  /* request bodies */
#define HOST_EVENT_TEXT_MAX 4096 /* one event's text, in bytes */
#define HOST_EVENTS_PER_CALL 50  /* lines per events call (the town takes up to 100) */
#define HOST_FLUSH_MS 500        /* events are sent at least this often */
#define HOST_KILL_AFTER_MS 5000  /* TERM, then KILL after this long */
#define HOST_MAX_AGENTS 256      /* processes one host runs at a time */
#define HOST_PATH_MAX 1024       /* every path the host builds stays below this */
#define HOST_PTY_COLS 120        /* an agent's terminal until a viewer resizes it */
#define HOST_PTY_ROWS 32
#define HOST_SCROLLBACK (64 * 1024) /* raw terminal output kept per agent for late viewers */
#define HOST_TERMINALS_MAX 32    /* dashboard terminals attached at once, over all agents */

/* Exit status of `agent-run` when it could not prepare the worktree or exec the runtime. */
#define HOST_EXIT_PREPARE 125

/* ---- util.c: time, files, ids, text ------------------------------------------------------------ */

int64_t wall_ms(void);  /* Unix time in ms: timestamps, signatures, token expiry */
int64_t mono_ms(void);  /* monotonic ms: deadlines */
void host_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Create dir and its parents (mode 0700 for the ones created); 0 or -1 with errno. */
int mkdir_p(const char *dir);
/* Write data to path atomically (a temporary file beside it, then rename); 0 or -1 with errno. */
int write_file_atomic(const char *path, const char *data, size_t len, mode_t mode);
/* Read a whole file of at most max bytes into a new NUL-terminated buffer (the caller frees);
 * NULL on error or when larger. */
char *read_file(const char *path, size_t max, size_t *len_out);
/* Remove a file tree (no symlink is followed); 0 or -1. */
int rm_tree(const char *path);
int path_exists(const char *path);

/* An id safe in a path and as a git argument: 1..max characters of [A-Za-z0-9._-] (and '/' when
 * slash, for branches), starting with a letter or digit, no "..", no "//", no trailing '/' or '.',
 * not ending in ".lock". */
int id_ok(const char *s, size_t max, int slash);
/* Replace invalid UTF-8 and NUL bytes with '?' and cut s to at most max bytes on a character
 * boundary; s is NUL-terminated on return. Returns the new length. */
size_t text_clean(char *s, size_t len, size_t max);
/* Copy src into dst (cap bytes) dropping control characters and '<' '>' so it can sit in a git
 * identity or a trailer. */
void ident_clean(char *dst, size_t cap, const char *src);

/* A NULL-terminated array of malloc'd strings (argv, envp). */
struct strv {
	char **v;
	size_t n, cap;
};
int strv_push(struct strv *s, const char *str);              /* copies str; 0 or -1 */
int strv_pushf(struct strv *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void strv_clear(struct strv *s);

/* ---- sign.c: the town's request signature ------------------------------------------------------ */

/* Check `x-gastown-signature: t=<ms>,v1=<hex>` against HMAC-SHA256(secret, t.METHOD.path.body)
 * and the 300 s window around now. 0 when valid, else -1 with a short reason in *why ("missing",
 * "malformed", "stale", "mismatch"). The comparison takes the same time whatever the bytes. */
int sign_check(const char *secret, size_t secret_len, const char *header, const char *method,
	       const char *path, const char *body, size_t body_len, int64_t now_ms, const char **why);

/* ---- runtime.c: the coding CLIs' command lines, environments and configuration files ---------- */

struct herr; /* start.c */

/* What a start's runtime.kind names. */
enum runtime_kind { RUNTIME_SCRIPTED, RUNTIME_COMMAND, RUNTIME_CLAUDE, RUNTIME_CODEX, RUNTIME_OPENCODE };
/* The kind of a runtime.kind name; -1 when unknown. */
int runtime_kind_of(const char *name);
/* Whether k is a coding CLI the host configures itself (runtime_build). */
int runtime_is_cli(enum runtime_kind k);

struct runtime_in {
	enum runtime_kind kind;
	const char *prompt;    /* the whole prompt, one argument */
	const char *model;     /* NULL: the CLI's default (or "default" behind the proxy, opencode) */
	const char *home;      /* absolute: the agent's own HOME, where the files go */
	const char *model_url; /* http://HOST:PORT/m/<run key> of the metering proxy; NULL: not metered */
	const char *mcp_url;   /* the town's MCP endpoint, through the proxy */
	int resume;            /* continue the CLI's last session in home (the Mayor) */
	/* A persona's tool lists (arrays of names in Claude Code's spelling; NULL: no restriction),
	 * turned into each CLI's own form (docs/casting.md). */
	const cJSON *allowed_tools, *denied_tools;
};
#define RUNTIME_FILES_MAX 2
struct runtime_file {
	char path[HOST_PATH_MAX]; /* absolute, under home */
	char *text;               /* owned */
};
struct runtime_cmd {
	struct strv argv;      /* argv[0] is looked up in PATH */
	struct strv env;       /* NAME=value, replacing the agent's own of the same name */
	struct runtime_file files[RUNTIME_FILES_MAX];
	size_t nfiles;
};
/* Build the command line, environment and files of a CLI runtime into out (which the caller
 * clears with runtime_cmd_clear, also after a failure). 0, or -1 with e set: 400 for a kind that is
 * no CLI or a model that is not a plain name, 500 out of memory. */
int runtime_build(const struct runtime_in *in, struct runtime_cmd *out, struct herr *e);
void runtime_cmd_clear(struct runtime_cmd *c);
/* Set each NAME=value of add in env, replacing an entry of the same name (getenv takes the first).
 * 0 or -1. */
int runtime_env_apply(struct strv *env, const struct strv *add);

/* ---- start.c: the start request, and what a start turns into ---------------------------------- */

/* An error answer: HTTP status, error code, optional field, message. */
struct herr {
	int status;
	const char *code;
	char field[64];
	char message[256];
};
int herr_set(struct herr *e, int status, const char *code, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* A validated start body. The strings point into root, which the struct owns. */
struct start {
	cJSON *root;
	const char *town, *agent;         /* from the path (copied into these arrays below) */
	char town_buf[HOST_ID_MAX + 1], agent_buf[HOST_ID_MAX + 1];
	const char *name, *role, *rig, *bead, *bead_title, *branch;
	const char *git_url, *default_branch;
	const cJSON *gates;               /* array of strings, or NULL */
	const char *token;
	int64_t token_expires_ms;         /* 0 when unknown */
	enum runtime_kind runtime;
	const char *command;              /* the command runtime's; NULL otherwise */
	int mayor, resume;                /* the Mayor's run: no rig, bead = the message it answers */
	const char *prompt, *model;       /* NULL when absent */
	/* llm: the town's gateway, metered (meter.c); NULL when the start has none. */
	const char *llm_base_url, *llm_api_key, *llm_model;
	char author_name[400], author_email[300];       /* the requester (or review.author) */
	char agent_name[400], agent_email[300];         /* "Toast (Polecat)", toast@demo.agents */
	int merge;                        /* a refinery start with a review: the host merges */
	const char *review_bead, *review_branch, *review_target;
	/* The persona the agent wears (docs/casting.md): NULL for none; its tool lists are arrays of
	 * checked tool names in Claude Code's spelling, NULL when empty. */
	const char *persona;
	const cJSON *allowed_tools, *denied_tools;
	const cJSON *persona_gates;       /* commands gt done runs before it reports; NULL for none */
};

/* Parse and validate a start body for town/agent (already valid ids). 0, or -1 with e set (400). */
int start_parse(const char *body, size_t len, const char *town, const char *agent, struct start *s,
		struct herr *e);
void start_release(struct start *s);

/* Where things live under the state dir. */
struct paths {
	char agent_dir[HOST_PATH_MAX], rig_dir[HOST_PATH_MAX], repo[HOST_PATH_MAX], lock[HOST_PATH_MAX];
	char work[HOST_PATH_MAX], token[HOST_PATH_MAX], log[HOST_PATH_MAX], spec[HOST_PATH_MAX];
	char result[HOST_PATH_MAX], home[HOST_PATH_MAX];
};
/* Fill p for an agent of a town working on a rig; -1 when a path would be too long. */
int paths_for(const char *state, const char *town, const char *agent, const char *rig, struct paths *p);

struct host_config;
/* The spec the agent-run child follows (a new JSON tree), and the agent's environment. metered:
 * the run's model calls go through the metering proxy, whose variables (meter_env) replace the
 * host's own OPENAI_* and ANTHROPIC_* ones. 0, or -1 when out of memory. */
cJSON *start_spec(const struct host_config *cfg, const struct start *s, const struct paths *p);
int start_env(const struct host_config *cfg, const struct start *s, const struct paths *p,
	      int metered, struct strv *env);

/* ---- town.c: calls to the town ----------------------------------------------------------------- */

struct outbox_entry;
struct town_call;
struct town {
	void *multi;                /* CURLM *: every call, its sockets in epfd */
	int epfd;
	int64_t curl_at;            /* mono ms: curl's next timeout, INT64_MAX when none */
	char base[1024];            /* base URL, no trailing slash */
	struct town_call *calls;    /* in flight */
	size_t ncalls;
	struct outbox_entry *head, *tail;
	size_t queued;
	int64_t retry_at;           /* mono ms: the outbox waits until then after a failure */
};
int town_init(struct town *t, const char *base);
/* Frees everything; calls in flight end without their callbacks. */
void town_release(struct town *t);
/* The answer to town_call: status is the HTTP status, 0 when the town could not be reached; resp
 * the parsed answer or NULL, the callee's to read and not to keep. tag is town_call's. */
typedef void town_done_fn(void *arg, uint64_t tag, int status, const cJSON *resp);
/* POST body (may be NULL) to /api/towns/<town>/agents/<agent>/<what> with the agent's token now;
 * done(arg, tag, ...) runs from town_run once it has answered (never from inside town_call). 0, or
 * -1 when the call could not start (done never runs then). */
int town_call(struct town *t, const char *town, const char *agent, const char *what, const char *token,
	      const char *body, town_done_fn *done, void *arg, uint64_t tag);
/* Queue a POST for delivery in order, retried while the town is unreachable or answers 5xx (for 5
 * minutes). Takes body (from cJSON_PrintUnformatted). droppable entries (events) give way first
 * when the queue is full. */
void town_queue(struct town *t, const char *town, const char *agent, const char *what,
		const char *token, char *body, int droppable);
/* The loop's part: add the calls' epoll fd to pfds at n (if it fits); move the calls on, answer
 * the ended ones, send the outbox's next entry. */
size_t town_pollfds(const struct town *t, struct pollfd *pfds, size_t n, size_t max);
void town_run(struct town *t);
int64_t town_deadline(const struct town *t); /* mono ms the loop must wake by, INT64_MAX if none */
/* Stopping: deliver what the outbox holds for at most ms, or until a delivery fails. */
void town_flush(struct town *t, int64_t ms);

/* ---- usage.c: the usage in a model call's answer (no I/O) --------------------------------------- */

enum usage_api { USAGE_OPENAI, USAGE_ANTHROPIC };

#define USAGE_MODEL_MAX 200

/* What one answer spent. found is 0 when the answer names no usage (an error, say). */
struct usage {
	int found;
	int64_t input, output, cache_read, cache_write; /* input excludes what was read from cache */
	int64_t cost_microusd;                          /* the upstream's own cost; -1 when none */
	char model[USAGE_MODEL_MAX + 1];                /* "" when the answer names none */
};
void usage_init(struct usage *u);
/* The usage in a whole JSON answer. Returns u->found. */
int usage_from_json(enum usage_api api, const char *body, size_t len, struct usage *u);

/* A server-sent event stream read as it arrives. Lines and events are bounded (256 KiB each): a
 * longer one is skipped, never held. */
struct usage_sse {
	enum usage_api api;
	char *line, *data;          /* the current line; the current event's data lines */
	size_t line_len, line_cap, data_len, data_cap;
	int line_over, data_over, has_data, after_cr;
	struct usage u;
};
void usage_sse_init(struct usage_sse *s, enum usage_api api);
/* Feed the next piece of the stream (cut anywhere). */
void usage_sse_feed(struct usage_sse *s, const char *buf, size_t len);
/* The stream has ended: the usage it carried into *u. Returns u->found. */
int usage_sse_end(struct usage_sse *s, struct usage *u);
void usage_sse_release(struct usage_sse *s);

/* Read a request body: its "model" into model (cap bytes, "" when none) and, for an OpenAI POST
 * to .../chat/completions with "stream": true, set stream_options.include_usage (other
 * stream_options fields kept). Returns 1 with *new_body (NUL-terminated, the caller frees with
 * cJSON_free) when the body changed, else 0 and NULL. */
int usage_request(enum usage_api api, const char *method, const char *path, const char *body,
		  size_t len, char **new_body, char *model, size_t model_cap);

/* ---- gates.c: a persona's gates before a CLI's done through MCP --------------------------------- */

struct gate_run {
	pid_t pid;          /* the child running the gates; -1 once it ended */
	int done, failed;   /* failed: -1 all passed, i gate i failed, -2 they could not run */
	int out_fd;         /* their output (stdout and stderr) */
	char out_path[64];
};
/* Start the gates (one command a line) in work, in a child of its own group. 0 or -1. */
int gates_start(struct gate_run *g, const char *gates, const char *work);
/* The child ended with status (the host's reaper says so). */
void gates_exited(struct gate_run *g, int status);
/* The last len - 1 bytes of their output into out, NUL-terminated; the count. */
size_t gates_output(struct gate_run *g, char *out, size_t len);
/* Stop them if they run, and remove their output. */
void gates_end(struct gate_run *g);

/* ---- meter.c: the metering proxy --------------------------------------------------------------- */

struct meter_run;   /* one agent process's run key and what its calls are charged to */
struct meter_proxy; /* one proxied call */

struct meter {
	void *mhd;                  /* struct MHD_Daemon *, on loopback */
	void *multi;                /* CURLM *, the upstream calls */
	int epfd;                   /* epoll set of curl's sockets (polled by the loop) */
	int64_t curl_at;            /* mono ms curl wants a timeout run; INT64_MAX for none */
	char host[64];              /* for the agents' URLs */
	unsigned port;
	struct town *town;          /* where usage records go (the host's outbox) */
	struct meter_run *runs;     /* live runs */
	struct meter_proxy *proxies;
	size_t nproxies;
};

/* Listen on host:port (port 0 picks one, written back into m->port); records go through town's
 * outbox. 0 or -1 (logged). */
int meter_start(struct meter *m, const char *host, unsigned port, struct town *town);
/* Close the listener, ending the calls in flight (their answers are cut; they make no record). */
void meter_stop(struct meter *m);
/* Add the fds to poll (at most 2) to pfds from n (at most max); returns the new count. */
size_t meter_pollfds(struct meter *m, struct pollfd *pfds, size_t n, size_t max);
/* Do whatever is ready: upstream sockets and timers, the listener, records due. */
void meter_run(struct meter *m);
int64_t meter_deadline(struct meter *m); /* mono ms */

/* A new run with a fresh random key, live at once: calls under /m/<key>/ go to base_url with
 * api_key (both NULL: the run has no gateway, only its MCP route), their records are charged to
 * town/agent/bead and sent with token; /m/<key>/mcp goes to the town's MCP endpoint with token. NULL when out of
 * memory or no randomness. The caller owns one reference, given back with meter_run_end. */
struct meter_run *meter_run_new(struct meter *m, const char *town, const char *agent, const char *bead,
				const char *base_url, const char *api_key, const char *token);
/* The agent's token changed: later reports carry the new one. */
void meter_run_token(struct meter_run *r, const char *token);
/* The agent's worktree and the branch its work left: a gt_done through /m/<key>/mcp gets the
 * diff of HEAD against origin/<base> there added to its arguments (diffstat.c). */
void meter_run_worktree(struct meter_run *r, const char *work, const char *base);
/* The persona's gates (an array of commands): a gt_done through /m/<key>/mcp runs them in the
 * worktree first (gates.c), and a failure answers the agent instead of reaching the town. 0 or -1. */
int meter_run_gates(struct meter_run *r, const cJSON *gates);
/* A child of the host ended: 1 when it was a proxy's gates (now told), 0 when not the meter's. */
int meter_child_exited(struct meter *m, pid_t pid, int status);
/* http://HOST:PORT/m/<key> of r into out; the town's MCP endpoint is its /mcp. 0, or -1 when too long. */
int meter_run_url(const struct meter *m, const struct meter_run *r, char *out, size_t len);
/* Push OPENAI_BASE_URL, ANTHROPIC_BASE_URL, OPENAI_API_KEY and ANTHROPIC_API_KEY for r. 0 or -1. */
int meter_env(const struct meter *m, const struct meter_run *r, struct strv *env);
/* The agent's process has ended: its key is refused from now on, its records are queued at once
 * (a call still in flight, from something the agent left running, reports when it completes).
 * Drops the caller's reference; r may be NULL. */
void meter_run_end(struct meter *m, struct meter_run *r);

/* ---- pty.c: the agent's terminal ---------------------------------------------------------------- */

/* A new pseudo-terminal: *master non-blocking, both close-on-exec, the slave without echo and
 * HOST_PTY_COLS x HOST_PTY_ROWS. 0, or -1 with errno. */
int pty_open(int *master, int *slave);
int pty_resize(int master, unsigned cols, unsigned rows); /* TIOCSWINSZ: 0 or -1 */
/* Whether byte c of a terminal's output is readable text (1) or part of an escape sequence or a
 * control character (0). *state carries the sequence across calls: 0 to start. */
int pty_printable(unsigned char *state, unsigned char c);

/* ---- wsaccept.c: the WebSocket handshake --------------------------------------------------------- */

/* Sec-WebSocket-Accept for a Sec-WebSocket-Key (at most 80 bytes). 0, or -1 when too long. */
int ws_accept(const char *key, char out[29]);

/* ---- agents.c: the process table --------------------------------------------------------------- */

enum agent_state { AGENT_RUNNING, AGENT_STOPPING };

/* The line being read from the terminal or the stderr pipe, escape sequences and control
 * characters left out; what a line has past HOST_EVENT_TEXT_MAX bytes is dropped. */
struct line_buf {
	char data[HOST_EVENT_TEXT_MAX + 1];
	size_t len;
	unsigned char vt;                  /* pty_printable's state */
};

/* A whole line of stdout as the agent log reads it (a runtime's JSON event can be long): grown
 * as needed up to HOST_LOG_LINE_MAX bytes, past which the line is dropped. */
#define HOST_LOG_LINE_MAX (1 << 20)
struct log_line {
	char *data;
	size_t len, cap;
	int over;                          /* the line outgrew the bound: skipped to its end */
};

/* ---- agent_log.c: output read as the agent log's events ---------------------------------------- */

struct host;
struct agent;
/* One whole line (NUL-terminated at len) the agent printed on stdout, or stderr with is_err. */
void agent_log_line(struct host *h, struct agent *a, int is_err, const char *line, size_t len);
/* Queue the events made so far as one POST .../log. */
void agent_log_flush(struct host *h, struct agent *a);

/* The last HOST_SCROLLBACK bytes of an agent's raw output, a ring (buf NULL until the first). */
struct scrollback {
	unsigned char *buf;
	size_t start, len;
};

struct agent {
	struct agent *next;
	char town[HOST_ID_MAX + 1], id[HOST_ID_MAX + 1], bead[HOST_ID_MAX + 1];
	int merge;                         /* a refinery merge: the child reports a done */
	int no_input;                      /* a CLI: its stdin is /dev/null, messages cannot reach it */
	struct paths paths;
	enum agent_state state;
	pid_t pid;                         /* also the process group */
	int pty_fd;                        /* the PTY's master: its input and output; -1 once closed */
	int err_fd;                        /* its stderr (a pipe: "error" events); -1 once closed */
	int log_fd;
	int64_t started_ms;                /* wall */
	int64_t next_heartbeat, flush_at, kill_at, refresh_at; /* mono; 0 = none */
	uint64_t serial;                   /* this host's own, never reused: answers find their agent */
	int heartbeat_busy, refresh_busy;  /* the call is in flight */
	char token[HOST_TOKEN_MAX];
	int64_t token_expires_ms;          /* wall, 0 when unknown */
	char stop_reason[256];
	struct line_buf out, err;
	struct scrollback sb;
	cJSON *events;                     /* array waiting to be sent */
	int nevents;
	struct log_line logline;           /* the stdout line being read whole, for the agent log */
	cJSON *log;                        /* agent log events waiting to be sent (agent_log.c) */
	int log_n;
	uint64_t log_count;                /* events made in this run: their ids */
	struct start *pending;             /* a start to run once this process has ended */
	struct meter_run *run;             /* its metered model calls; NULL when not metered */
};

struct host_config {
	char listen_host[64];
	unsigned port;
	char meter_host[64];               /* the metering proxy's listener */
	unsigned meter_port;
	char state[HOST_PATH_MAX];         /* absolute */
	char town_url[1024];
	char gt[HOST_PATH_MAX];
	char self[HOST_PATH_MAX];          /* this executable, for agent-run */
	char secret[512];
	size_t secret_len;
	int64_t heartbeat_ms;
};

struct term;

struct host {
	struct host_config cfg;
	struct agent *agents;
	size_t nagents;
	struct term *terms;                /* the attached dashboard terminals (terminal.c) */
	size_t nterms;
	struct town town;
	uint64_t agent_serial;             /* the last agent's */
	struct meter meter;
	void *mhd;                         /* struct MHD_Daemon * */
};

struct agent *agent_find(struct host *h, const char *town, const char *id);
/* Handle a start (takes s, freeing it in every case). Returns 200 (already running that bead) or
 * 202, or -1 with e set. */
int agent_start(struct host *h, struct start *s, struct herr *e);
/* TERM the agent's process group (KILL follows after 5 s); a pending start is dropped. */
void agent_stop(struct host *h, struct agent *a, const char *reason);
/* Write "[kind] text\n" on the agent's terminal (its input); 0, or -1 with e set (404, 503). */
int agent_message(struct agent *a, const char *kind, const char *text, struct herr *e);
/* Add the agents' open terminals and stderr pipes to pfds from index n (at most max in all),
 * owners[i] the agent of pfds[i]; returns the new count. */
size_t agents_pollfds(struct host *h, struct pollfd *pfds, struct agent **owners, size_t n, size_t max);
/* Read what the agent's terminal or pipe fd has for us (never frees the agent). */
void agent_on_readable(struct host *h, struct agent *a, int fd);
/* Reap ended processes: report them and start what was waiting. */
void agents_reap(struct host *h);
/* Heartbeats, token refresh, event flushes, KILL after TERM. */
void agents_tick(struct host *h);
int64_t agents_deadline(const struct host *h); /* mono ms */
/* Stop every agent and wait (at most 5 s, then KILL) until all have ended. */
void agents_shutdown(struct host *h);

/* ---- terminal.c: dashboard terminals over WebSocket ------------------------------------------- */

/* Raw output of agent a (crlf: turn "\n" into "\r\n", for its stderr, which no terminal driver
 * has seen): into its scrollback and to every terminal attached to it. */
void terminal_output(struct host *h, struct agent *a, const char *data, size_t n, int crlf);
/* An upgraded connection (fd, urh: MHD's struct MHD_UpgradeResponseHandle *, extra: what MHD read
 * past the request) becomes a terminal on town/agent; ro: its input is ignored. The scrollback
 * goes first. Always takes the connection (closes it when it cannot be served). */
void terminal_attach(struct host *h, const char *town, const char *agent, int ro, int fd, void *urh,
		     const char *extra, size_t extra_len);
/* Agent a's process has ended: its terminals are closed (1000, "agent ended"). */
void terminal_agent_ended(struct host *h, struct agent *a);
/* Add the terminals' sockets to pfds from n (at most max in all), owners[i] the terminal of
 * pfds[i]; returns the new count. */
size_t terminal_pollfds(struct host *h, struct pollfd *pfds, struct term **owners, size_t n, size_t max);
void terminal_on_ready(struct host *h, struct term *t, short revents);
/* Closing handshakes that took too long; the ended terminals are let go. Never during a loop over
 * pollfds owners: this frees them. */
void terminal_tick(struct host *h);
int64_t terminal_deadline(const struct host *h); /* mono ms */
/* Close every terminal (1001, "host shutting down"), waiting at most a second for the handshakes. */
void terminal_shutdown(struct host *h);
void scrollback_free(struct scrollback *sb);

/* ---- server.c: the HTTP routes ------------------------------------------------------------------ */

/* Start listening; 0 or -1 (logged). cfg.port 0 picks a free port, written back into cfg. */
int server_start(struct host *h);
int server_fd(struct host *h);       /* the fd to poll (MHD's epoll fd) */
int64_t server_timeout(struct host *h); /* ms until MHD needs a run, -1 for none */
void server_run(struct host *h);
void server_stop(struct host *h);

/* ---- git.c: the git command line ------------------------------------------------------------- */

/* Run git with args (NULL-terminated, without "git") in dir (NULL: here). stdin is /dev/null,
 * stderr is ours; stdout is captured into out (NUL-terminated, trailing newlines cut, truncated to
 * cap) when out is not NULL, else ours. Returns the exit status (128+n for signal n), -1 when git
 * could not be started. */
int git_run(const char *dir, char *out, size_t cap, const char *const *args);
/* Start `git push -- git_url :refs/heads/<branch>...` in repo (the rig's clone) and return at once:
 * its pid (reaped with the agents' children, its output dropped), or -1. Deleting a branch that is
 * gone already fails harmlessly. At most 32 branches. */
pid_t git_push_delete(const char *repo, const char *git_url, const char *const *branches, size_t n);
/* git_run with stdout captured as it is (no newline cut; NULs kept): *len bytes of it in out (at
 * most cap - 1, NUL-terminated; *len == cap - 1 means it may have been cut). */
int git_capture(const char *dir, char *out, size_t cap, size_t *len, const char *const *args);
int git(const char *dir, ...);                           /* args..., NULL; stdout is ours */
int git_out(const char *dir, char *out, size_t cap, ...); /* args..., NULL; stdout captured */
/* `/bin/sh -c command` in dir; exit status as git_run. */
int shell_run(const char *dir, const char *command);

/* Make the rig's clone exist and be current (clone, or set the URL and fetch), with our commit-msg
 * hook. fetch_required: a failing fetch is an error (else a warning). 0 or -1 (reason printed). */
int rig_ensure(const char *repo, const char *git_url, int fetch_required);
/* Make work a worktree of repo on branch: the local branch when it exists (a re-dispatch keeps its
 * commits), else origin/<branch>, else a new branch from origin/<base>. 0 or -1. */
int worktree_ensure(const char *repo, const char *work, const char *branch, const char *base);
/* Make work a worktree of repo (detached) if it is not one. 0 or -1. */
int worktree_ensure_detached(const char *repo, const char *work, const char *commitish);
/* Hold the rig's lock (flock on path) so two starts never run git on one clone at once. Returns
 * the fd to pass to rig_unlock, or -1. */
int rig_lock(const char *path);
void rig_unlock(int fd);
/* The lock files (`*.lock`) older than this call in every rig clone under state: a host killed
 * mid-git (its agents' sessions hang up with it) leaves them, and git then refuses that clone for
 * good. Called once at startup, before any agent runs. Returns how many were removed. */
int rig_clear_stale_locks(const char *state);

/* ---- diffstat.c: what a branch changed (diffstat.h: gt links it without this header) ------ */

/* ---- child.c, refinery.c: the agent-run process -------------------------------------------------- */

/* `gastown-host agent-run SPEC`: prepare and exec the runtime, or merge. Returns an exit status. */
int child_main(int argc, char **argv);
/* The refinery's merge, after the clone is ready; writes the done report to spec.result. Returns 0
 * when merged, 1 otherwise. */
int refinery_merge(const cJSON *spec);
const char *spec_str(const cJSON *spec, const char *key); /* "" when absent */

#endif
