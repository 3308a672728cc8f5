/*
 * agents.c - the process table: one entry per agent that has a process, from its start to the
 * moment it is reaped and reported. Starts the agent-run child on a terminal of its own (pty.c),
 * turns its output into events (and passes it on to the dashboard terminals, terminal.c),
 * heartbeats and refreshes its token, stops it (TERM, KILL after 5 s), and reports its end.
 * Runs on the host's single thread: nothing here is shared with another thread.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "host.h"

#define READ_CHUNK 16384
#define REFRESH_RETRY_MS 10000

struct agent *agent_find(struct host *h, const char *town, const char *id)
{
	for (struct agent *a = h->agents; a; a = a->next)
		if (strcmp(a->town, town) == 0 && strcmp(a->id, id) == 0)
			return a;
	return NULL;
}

/* The agent a call was made for, if it still lives: an answer can outlive its agent. */
static struct agent *agent_by_serial(struct host *h, uint64_t serial)
{
	for (struct agent *a = h->agents; a; a = a->next)
		if (a->serial == serial)
			return a;
	return NULL;
}

static struct agent *agent_by_pid(struct host *h, pid_t pid)
{
	for (struct agent *a = h->agents; a; a = a->next)
		if (a->pid == pid)
			return a;
	return NULL;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* The agent's process group; the process itself while it has not made its session yet. */
static void kill_group(const struct agent *a, int sig)
{
	if (kill(-a->pid, sig) < 0 && errno == ESRCH)
		kill(a->pid, sig);
}

/* Also ends the agent's metered run (its key is refused from here on) and its terminals. */
static void agent_free(struct host *h, struct agent *a)
{
	meter_run_end(&h->meter, a->run);
	terminal_agent_ended(h, a);
	scrollback_free(&a->sb);
	close_fd(&a->pty_fd);
	close_fd(&a->err_fd);
	close_fd(&a->log_fd);
	cJSON_Delete(a->events);
	cJSON_Delete(a->log);
	free(a->logline.data);
	if (a->pending) {
		start_release(a->pending);
		free(a->pending);
	}
	free(a);
}

/* ---- output -> events ---------------------------------------------------------------------- */

static void flush_events(struct host *h, struct agent *a)
{
	cJSON *body;

	if (!a->nevents)
		return;
	body = cJSON_CreateObject();
	cJSON_AddItemToObject(body, "events", a->events);
	town_queue(&h->town, a->town, a->id, "events", a->token, cJSON_PrintUnformatted(body), 1);
	cJSON_Delete(body);
	a->events = NULL;
	a->nevents = 0;
	a->flush_at = 0;
	agent_log_flush(h, a);
}

static void event_push(struct host *h, struct agent *a, const char *type, char *text, size_t len)
{
	cJSON *ev;

	len = text_clean(text, len, HOST_EVENT_TEXT_MAX);
	if (a->log_fd >= 0) {
		text[len] = '\n';
		if (write(a->log_fd, text, len + 1) < 0) {
			/* The log is a convenience; the events are the record. */
		}
		text[len] = '\0';
	}
	if (!a->events)
		a->events = cJSON_CreateArray();
	ev = cJSON_CreateObject();
	cJSON_AddStringToObject(ev, "type", type);
	cJSON_AddStringToObject(ev, "text", text);
	cJSON_AddNumberToObject(ev, "at_ms", (double)wall_ms());
	cJSON_AddItemToArray(a->events, ev);
	if (++a->nevents == 1)
		a->flush_at = mono_ms() + HOST_FLUSH_MS;
	if (a->nevents >= HOST_EVENTS_PER_CALL)
		flush_events(h, a);
}

/* A byte of the whole stdout line the agent log reads; the line is dropped once past the bound. */
static void log_line_put(struct log_line *l, char ch)
{
	if (l->over)
		return;
	if (l->len + 1 >= l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 4096;
		char *p = cap <= HOST_LOG_LINE_MAX ? realloc(l->data, cap) : NULL;

		if (!p) {
			l->over = 1;
			return;
		}
		l->data = p;
		l->cap = cap;
	}
	l->data[l->len++] = ch;
}

/* The line ends: the agent log reads it whole (stdout) or as the event's text (stderr). */
static void line_end(struct host *h, struct agent *a, struct line_buf *lb, const char *type)
{
	struct log_line *l = &a->logline;

	event_push(h, a, type, lb->data, lb->len);
	if (lb == &a->err) {
		agent_log_line(h, a, 1, lb->data, lb->len);
	} else if (!l->over && l->len) {
		l->data[l->len] = '\0';
		agent_log_line(h, a, 0, l->data, l->len);
	}
	l->len = 0;
	l->over = 0;
	lb->len = 0;
	lb->vt = 0;
}

/* Events are a readable timeline: the terminal's escape sequences, CRs and other controls are
 * left out (the dashboard terminal gets the raw bytes). An escape cut by a newline ends there. */
static void line_feed(struct host *h, struct agent *a, struct line_buf *lb, const char *type,
		      const char *data, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (data[i] == '\n') {
			line_end(h, a, lb, type);
		} else if (!pty_printable(&lb->vt, (unsigned char)data[i])) {
			continue;
		} else {
			if (lb == &a->out)
				log_line_put(&a->logline, data[i]);
			if (lb->len < HOST_EVENT_TEXT_MAX)
				lb->data[lb->len++] = data[i];
			/* else: the line is longer than an event's text; its rest is dropped */
		}
	}
}

/* Up to four reads from fd; 1 when there may be more to read, 0 at EAGAIN or the end (EIO on
 * the terminal: no process has it open any more). */
static int read_some(struct host *h, struct agent *a, int fd)
{
	int is_out = fd == a->pty_fd;
	struct line_buf *lb = is_out ? &a->out : &a->err;
	char buf[READ_CHUNK];

	if (fd < 0 || (fd != a->pty_fd && fd != a->err_fd))
		return 0;
	/* A few reads at most: one chatty agent must not starve the loop. */
	for (int i = 0; i < 4; i++) {
		ssize_t n = read(fd, buf, sizeof buf);
		if (n > 0) {
			terminal_output(h, a, buf, (size_t)n, !is_out);
			line_feed(h, a, lb, is_out ? "output" : "error", buf, (size_t)n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		/* End of the stream: a last line without its newline still counts. */
		if (lb->len)
			line_end(h, a, lb, is_out ? "output" : "error");
		lb->len = 0;
		close_fd(is_out ? &a->pty_fd : &a->err_fd);
		return 0;
	}
	return 1;
}

void agent_on_readable(struct host *h, struct agent *a, int fd)
{
	read_some(h, a, fd);
}

size_t agents_pollfds(struct host *h, struct pollfd *pfds, struct agent **owners, size_t n, size_t max)
{
	for (struct agent *a = h->agents; a; a = a->next) {
		int fds[2] = {a->pty_fd, a->err_fd};
		for (int i = 0; i < 2; i++) {
			if (fds[i] < 0 || n >= max)
				continue;
			pfds[n] = (struct pollfd){.fd = fds[i], .events = POLLIN};
			owners[n++] = a;
		}
	}
	return n;
}

/* ---- the token ----------------------------------------------------------------------------- */

/* Keep the token and when to refresh it: once 2/3 of its remaining life has passed. */
static void adopt_token(struct agent *a, const char *token, int64_t expires_ms)
{
	int64_t now = wall_ms();

	snprintf(a->token, sizeof a->token, "%s", token);
	if (a->run)
		meter_run_token(a->run, token);
	a->token_expires_ms = expires_ms;
	a->refresh_at = expires_ms > 0 ? mono_ms() + (expires_ms > now ? (expires_ms - now) * 2 / 3 : 0) : 0;
	if (write_file_atomic(a->paths.token, token, strlen(token), 0600) < 0)
		host_log("%s: cannot write %s: %s", a->id, a->paths.token, strerror(errno));
}

static void on_refresh(void *arg, uint64_t serial, int status, const cJSON *resp)
{
	struct agent *a = agent_by_serial(arg, serial);
	const cJSON *data = cJSON_GetObjectItemCaseSensitive(resp, "data");
	const char *token = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(data, "token"));
	const cJSON *exp = cJSON_GetObjectItemCaseSensitive(data, "expires_ms");

	if (!a)
		return;
	a->refresh_busy = 0;
	if (status >= 200 && status <= 299 && token && *token && strlen(token) < sizeof a->token &&
	    !strpbrk(token, "\r\n") && cJSON_IsNumber(exp) && exp->valuedouble >= 0 &&
	    exp->valuedouble < 9e15) {
		adopt_token(a, token, (int64_t)exp->valuedouble);
		host_log("%s: token refreshed", a->id);
	} else {
		if (status)
			host_log("%s: token refresh answered %d", a->id, status);
		a->refresh_at = mono_ms() + REFRESH_RETRY_MS;
	}
}

static void refresh_token(struct host *h, struct agent *a)
{
	if (town_call(&h->town, a->town, a->id, "token/refresh", a->token, NULL, on_refresh, h, a->serial) < 0) {
		a->refresh_at = mono_ms() + REFRESH_RETRY_MS;
		return;
	}
	a->refresh_busy = 1;
}

/* ---- start --------------------------------------------------------------------------------- */

static int fail_errno(struct herr *e, const char *what, const char *path)
{
	return herr_set(e, 500, "internal", NULL, "%s %s: %s", what, path, strerror(errno));
}

/* A CLI's configuration files, in its home (kept across runs: the Mayor resumes its sessions). */
static int write_runtime_files(const struct runtime_cmd *rt, struct herr *e)
{
	for (size_t i = 0; i < rt->nfiles; i++) {
		char dir[HOST_PATH_MAX], *slash;

		snprintf(dir, sizeof dir, "%s", rt->files[i].path);
		if ((slash = strrchr(dir, '/')))
			*slash = '\0';
		if (mkdir_p(dir) < 0)
			return fail_errno(e, "cannot create", dir);
		if (write_file_atomic(rt->files[i].path, rt->files[i].text, strlen(rt->files[i].text), 0600) < 0)
			return fail_errno(e, "cannot write", rt->files[i].path);
	}
	return 0;
}

/* The spec and the token where the child finds them (and a CLI's files), and the log opened. */
static int write_files(const struct host *h, const struct start *s, const struct runtime_cmd *rt,
		       struct agent *a, struct herr *e)
{
	cJSON *spec;
	char *text;
	int rc;

	if (mkdir_p(a->paths.agent_dir) < 0)
		return fail_errno(e, "cannot create", a->paths.agent_dir);
	if (rt && (mkdir_p(a->paths.home) < 0 || write_runtime_files(rt, e) < 0))
		return e->status ? -1 : fail_errno(e, "cannot create", a->paths.home);
	unlink(a->paths.result);
	spec = start_spec(&h->cfg, s, &a->paths);
	if (rt) {
		cJSON *argv = cJSON_GetObjectItemCaseSensitive(spec, "argv");
		for (size_t i = 0; i < rt->argv.n; i++)
			cJSON_AddItemToArray(argv, cJSON_CreateString(rt->argv.v[i]));
	}
	text = cJSON_PrintUnformatted(spec);
	cJSON_Delete(spec);
	rc = text ? write_file_atomic(a->paths.spec, text, strlen(text), 0600) : -1;
	cJSON_free(text);
	if (rc < 0)
		return fail_errno(e, "cannot write", a->paths.spec);
	adopt_token(a, s->token, s->token_expires_ms);
	a->log_fd = open(a->paths.log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (a->log_fd >= 0)
		dprintf(a->log_fd, "--- %lld: %s starts on %s\n", (long long)wall_ms(), s->agent, s->bead);
	return 0;
}

/* Only async-signal-safe calls between fork and exec. The child leads a session of its own (so
 * its process group is its pid, for kill_group) with the terminal's slave as its controlling
 * terminal, stdin and stdout; stderr stays a pipe so that it is still told apart ("error"). */
static void exec_child(const struct host *h, int slave, int err[2], char **argv, char **envp)
{
	sigset_t none;

	/* The host's handlers are no use here: a TERM before the exec must end the child. */
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGCHLD, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
	if (setsid() < 0 || ioctl(slave, TIOCSCTTY, 0) < 0)
		_exit(HOST_EXIT_PREPARE);
	/* Agents live and die with their host, as they do with a container: an agent left running by
	 * a killed host would go on working on a bead the town has taken back. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (dup2(slave, 0) < 0 || dup2(slave, 1) < 0 || dup2(err[1], 2) < 0)
		_exit(HOST_EXIT_PREPARE);
	/* Nothing else of ours (sockets to the town, the listening socket) reaches the agent. */
	close_range(3, ~0U, 0);
	execve(h->cfg.self, argv, envp);
	_exit(HOST_EXIT_PREPARE);
}

static int spawn(struct host *h, const struct start *s, const struct runtime_cmd *rt, struct agent *a,
		 struct herr *e)
{
	int master = -1, slave = -1, err[2] = {-1, -1};
	char *argv[] = {"gastown-host", "agent-run", a->paths.spec, NULL};
	struct strv env = {0};
	int metered = s->llm_base_url != NULL;
	pid_t pid = -1;

	if (start_env(&h->cfg, s, &a->paths, metered, &env) < 0 ||
	    (metered && meter_env(&h->meter, a->run, &env) < 0) || (rt && runtime_env_apply(&env, &rt->env) < 0)) {
		herr_set(e, 500, "internal", NULL, "out of memory");
		goto done;
	}
	if (pty_open(&master, &slave) < 0) {
		fail_errno(e, "cannot open", "a terminal");
		goto done;
	}
	if (pipe2(err, O_CLOEXEC) < 0) {
		fail_errno(e, "cannot create", "a pipe");
		goto done;
	}
	pid = fork();
	if (pid < 0) {
		fail_errno(e, "cannot fork", "the agent");
		goto done;
	}
	if (pid == 0)
		exec_child(h, slave, err, argv, env.v);
	/* No setpgid(pid, pid) here: the child makes a session, which a group leader cannot. Until it
	 * has, kill_group signals it alone. */
	a->pid = pid;
	a->pty_fd = master;
	a->err_fd = err[0];
	master = err[0] = -1;
	fcntl(a->err_fd, F_SETFL, O_NONBLOCK);
done:
	close_fd(&master);
	close_fd(&slave); /* the child's now: the terminal reads EIO once no process has it open */
	close_fd(&err[0]);
	close_fd(&err[1]);
	strv_clear(&env);
	return pid > 0 ? 0 : -1;
}

/* Start the process for s. 0, or -1 with e set (nothing left behind). */
static int launch(struct host *h, const struct start *s, struct herr *e)
{
	struct agent *a = calloc(1, sizeof *a);
	struct runtime_cmd rt = {0}, *cli = NULL;

	if (!a)
		return herr_set(e, 500, "internal", NULL, "out of memory");
	a->pty_fd = a->err_fd = a->log_fd = -1;
	snprintf(a->town, sizeof a->town, "%s", s->town);
	snprintf(a->id, sizeof a->id, "%s", s->agent);
	snprintf(a->bead, sizeof a->bead, "%s", s->bead);
	a->merge = s->merge;
	if (paths_for(h->cfg.state, s->town, s->agent, s->rig, &a->paths) < 0) {
		agent_free(h, a);
		return herr_set(e, 400, "invalid", NULL, "the state directory path is too long");
	}
	/* Its model calls are metered through a key of its own, which lives as long as it does; a
	 * CLI reaches the town's MCP server through that key too. */
	if (s->llm_base_url || (runtime_is_cli(s->runtime) && !s->merge)) {
		a->run = meter_run_new(&h->meter, s->town, s->agent, s->bead, s->llm_base_url, s->llm_api_key,
				       s->token);
		if (!a->run) {
			agent_free(h, a);
			return herr_set(e, 500, "internal", NULL, "cannot make a run key");
		}
		if (!s->mayor && s->default_branch && *s->default_branch)
			meter_run_worktree(a->run, a->paths.work, s->default_branch);
		if (!s->mayor && s->persona_gates && meter_run_gates(a->run, s->persona_gates) < 0) {
			meter_run_end(&h->meter, a->run);
			a->run = NULL;
			agent_free(h, a);
			return herr_set(e, 500, "internal", NULL, "out of memory");
		}
	}
	if (runtime_is_cli(s->runtime) && !s->merge) {
		char base[HOST_PATH_MAX], mcp[HOST_PATH_MAX + 8];
		struct runtime_in in = {.kind = s->runtime, .prompt = s->prompt ? s->prompt : "",
					.model = s->model ? s->model : s->llm_model, .home = a->paths.home,
					.mcp_url = mcp, .resume = s->resume, .allowed_tools = s->allowed_tools,
					.denied_tools = s->denied_tools};

		if (meter_run_url(&h->meter, a->run, base, sizeof base) < 0) {
			agent_free(h, a);
			return herr_set(e, 500, "internal", NULL, "the metering proxy's URL is too long");
		}
		snprintf(mcp, sizeof mcp, "%s/mcp", base);
		in.model_url = s->llm_base_url ? base : NULL;
		if (runtime_build(&in, &rt, e) < 0) {
			runtime_cmd_clear(&rt);
			agent_free(h, a);
			return -1;
		}
		cli = &rt;
		a->no_input = 1;
	}
	if (write_files(h, s, cli, a, e) < 0 || spawn(h, s, cli, a, e) < 0) {
		runtime_cmd_clear(&rt);
		agent_free(h, a);
		return -1;
	}
	runtime_cmd_clear(&rt);
	a->state = AGENT_RUNNING;
	a->started_ms = wall_ms();
	/* The first heartbeat soon, not at once: the answer to this start goes out first, so a town
	 * that waits for it before taking the heartbeat is never waited on in turn. */
	a->next_heartbeat = mono_ms() + (h->cfg.heartbeat_ms < 1000 ? h->cfg.heartbeat_ms : 1000);
	a->serial = ++h->agent_serial;
	a->next = h->agents;
	h->agents = a;
	h->nagents++;
	host_log("started %s on %s (pid %ld%s%s)", a->id, a->bead, (long)a->pid,
		 a->merge ? ", refinery merge" : "", a->run ? ", metered" : "");
	return 0;
}

int agent_start(struct host *h, struct start *s, struct herr *e)
{
	struct agent *a = agent_find(h, s->town, s->agent);
	int rc = 202;

	if (a && a->state == AGENT_RUNNING && strcmp(a->bead, s->bead) == 0) {
		/* Already on it. A fresher token is still worth having. */
		if (s->token_expires_ms > a->token_expires_ms)
			adopt_token(a, s->token, s->token_expires_ms);
		rc = 200;
	} else if (a) {
		/* The town is the authority: what ran before ends, then this one starts. */
		if (a->state == AGENT_RUNNING) {
			char why[HOST_ID_MAX + 32];
			snprintf(why, sizeof why, "restarted on %s", s->bead);
			agent_stop(h, a, why);
		}
		if (a->pending) {
			start_release(a->pending);
			free(a->pending);
		}
		a->pending = s;
		host_log("%s: %s starts once %s has ended", a->id, s->bead, a->bead);
		return 202;
	} else if (h->nagents >= HOST_MAX_AGENTS) {
		rc = herr_set(e, 503, "busy", NULL, "this host runs %d agents already", HOST_MAX_AGENTS);
	} else if (launch(h, s, e) < 0) {
		rc = -1;
	}
	start_release(s);
	free(s);
	return rc;
}

/* ---- stop, message --------------------------------------------------------------------------- */

void agent_stop(struct host *h, struct agent *a, const char *reason)
{
	(void)h;
	if (a->pending) {
		start_release(a->pending);
		free(a->pending);
		a->pending = NULL;
	}
	if (a->state != AGENT_RUNNING)
		return;
	kill_group(a, SIGTERM);
	a->state = AGENT_STOPPING;
	a->kill_at = mono_ms() + HOST_KILL_AFTER_MS;
	snprintf(a->stop_reason, sizeof a->stop_reason, "stopped: %s", reason);
	host_log("stopping %s on %s (pid %ld): %s", a->id, a->bead, (long)a->pid, reason);
}

int agent_message(struct agent *a, const char *kind, const char *text, struct herr *e)
{
	char line[4096]; /* a terminal's line buffer (N_TTY_BUF_SIZE) */
	size_t len;
	ssize_t n;

	if (!a || a->state != AGENT_RUNNING || a->pty_fd < 0)
		return herr_set(e, 404, "not_found", NULL, "the agent is not running");
	if (a->no_input)
		return herr_set(e, 409, "conflict", NULL, "the agent's CLI reads no input: use its mail");
	len = (size_t)snprintf(line, sizeof line, "[%s] ", kind);
	/* One message, one line, and no control character: on a terminal ^C, ^D or ^S would signal
	 * the agent, end its input or stop its output. */
	for (const char *p = text; *p && len + 1 < sizeof line; p++)
		line[len++] = ((unsigned char)*p < 0x20 || *p == 0x7f) ? ' ' : *p;
	len = text_clean(line, len, sizeof line - 2);
	line[len++] = '\n';
	/* A terminal takes a line this short whole unless its input is full (64 KiB unread). */
	n = write(a->pty_fd, line, len);
	if (n == (ssize_t)len)
		return 0;
	if (n >= 0 || errno == EAGAIN || errno == EWOULDBLOCK)
		return herr_set(e, 503, "busy", NULL, "the agent is not reading its input");
	return herr_set(e, 404, "not_found", NULL, "the agent no longer reads its input");
}

/* ---- the end of a process ------------------------------------------------------------------- */

static void report_end(struct host *h, struct agent *a, int status)
{
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	cJSON *result = NULL, *body = cJSON_CreateObject();
	const char *reason = a->stop_reason[0] ? a->stop_reason : NULL;
	char *text = read_file(a->paths.result, 64 * 1024, NULL);

	result = text ? cJSON_Parse(text) : NULL;
	free(text);
	if (a->merge && cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(result, "done")))
		town_queue(&h->town, a->town, a->id, "done", a->token,
			   cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(result, "done")), 0);
	if (!reason)
		reason = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(result, "reason"));
	cJSON_AddStringToObject(body, "bead", a->bead);
	cJSON_AddNumberToObject(body, "exit_code", code);
	if (reason)
		cJSON_AddStringToObject(body, "reason", reason);
	town_queue(&h->town, a->town, a->id, "completed", a->token, cJSON_PrintUnformatted(body), 0);
	host_log("%s ended on %s (pid %ld, exit %d%s%s)", a->id, a->bead, (long)a->pid, code,
		 reason ? ", " : "", reason ? reason : "");
	if (a->log_fd >= 0)
		dprintf(a->log_fd, "--- %lld: exit %d\n", (long long)wall_ms(), code);
	cJSON_Delete(body);
	cJSON_Delete(result);
}

/* A start that waited for the end of the previous process; a failure is reported as its end. */
static void start_pending(struct host *h, struct start *s)
{
	struct herr e = {0};

	if (launch(h, s, &e) < 0) {
		cJSON *body = cJSON_CreateObject();
		host_log("cannot start %s on %s: %s", s->agent, s->bead, e.message);
		cJSON_AddStringToObject(body, "bead", s->bead);
		cJSON_AddNumberToObject(body, "exit_code", HOST_EXIT_PREPARE);
		cJSON_AddStringToObject(body, "reason", e.message);
		town_queue(&h->town, s->town, s->agent, "completed", s->token, cJSON_PrintUnformatted(body), 0);
		cJSON_Delete(body);
	}
	start_release(s);
	free(s);
}

static void unlink_agent(struct host *h, struct agent *a)
{
	for (struct agent **p = &h->agents; *p; p = &(*p)->next) {
		if (*p == a) {
			*p = a->next;
			h->nagents--;
			return;
		}
	}
}

void agents_reap(struct host *h)
{
	for (;;) {
		siginfo_t si = {0};
		struct agent *a;
		struct start *pending;
		int status;

		/* WNOWAIT: the zombie keeps its process group id reserved while we clean up after it. */
		if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) < 0 || si.si_pid == 0)
			return;
		a = agent_by_pid(h, si.si_pid);
		if (a)
			kill_group(a, SIGTERM); /* whatever it left running in its group */
		while (waitpid(si.si_pid, &status, 0) < 0 && errno == EINTR)
			;
		/* Not an agent: a persona's gates the metering proxy runs, or a prune's push. */
		if (!a) {
			meter_child_exited(&h->meter, si.si_pid, status);
			continue;
		}
		/* What is still in the terminal and the pipe is part of its output (bounded: something it
		 * left behind may hold them open and keep writing). */
		for (int i = 0; i < 64 && read_some(h, a, a->pty_fd); i++)
			;
		for (int i = 0; i < 64 && read_some(h, a, a->err_fd); i++)
			;
		if (a->out.len)
			line_end(h, a, &a->out, "output");
		if (a->err.len)
			line_end(h, a, &a->err, "error");
		flush_events(h, a);
		/* Its key dies with it; its usage goes before its end, while the town still counts it. */
		meter_run_end(&h->meter, a->run);
		a->run = NULL;
		report_end(h, a, status);
		unlink(a->paths.token);
		pending = a->pending;
		a->pending = NULL;
		unlink_agent(h, a);
		agent_free(h, a);
		if (pending)
			start_pending(h, pending);
	}
}

/* ---- timers ----------------------------------------------------------------------------------- */

static void on_heartbeat(void *arg, uint64_t serial, int status, const cJSON *resp)
{
	struct host *h = arg;
	struct agent *a = agent_by_serial(h, serial);

	(void)resp;
	if (!a)
		return;
	a->heartbeat_busy = 0;
	if (a->state != AGENT_RUNNING)
		return;
	if (status == 409)
		agent_stop(h, a, "the town no longer gives the bead to this agent (heartbeat 409)");
	else if (status == 401)
		agent_stop(h, a, "the token was revoked (heartbeat 401)");
	else if (status && (status < 200 || status > 299))
		host_log("%s: heartbeat answered %d", a->id, status);
}

/* One heartbeat at a time per agent: a town slower than the interval gets no pile of them. */
static void heartbeat(struct host *h, struct agent *a)
{
	char body[HOST_ID_MAX + 16];

	a->next_heartbeat = mono_ms() + h->cfg.heartbeat_ms;
	if (a->heartbeat_busy)
		return;
	snprintf(body, sizeof body, "{\"bead\":\"%s\"}", a->bead); /* ids need no escaping */
	if (town_call(&h->town, a->town, a->id, "heartbeat", a->token, body, on_heartbeat, h, a->serial) == 0)
		a->heartbeat_busy = 1;
}

void agents_tick(struct host *h)
{
	for (struct agent *a = h->agents; a; a = a->next) {
		if (a->state == AGENT_STOPPING && a->kill_at && mono_ms() >= a->kill_at) {
			host_log("%s (pid %ld) did not end after TERM: KILL", a->id, (long)a->pid);
			kill_group(a, SIGKILL);
			a->kill_at = 0;
		}
		if (a->state == AGENT_RUNNING && mono_ms() >= a->next_heartbeat)
			heartbeat(h, a);
		if (a->state == AGENT_RUNNING && a->refresh_at && !a->refresh_busy && mono_ms() >= a->refresh_at)
			refresh_token(h, a);
		if ((a->nevents || a->log_n) && mono_ms() >= a->flush_at)
			flush_events(h, a);
	}
}

static int64_t min64(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

int64_t agents_deadline(const struct host *h)
{
	int64_t next = INT64_MAX;

	for (const struct agent *a = h->agents; a; a = a->next) {
		if (a->state == AGENT_RUNNING) {
			next = min64(next, a->next_heartbeat);
			if (a->refresh_at && !a->refresh_busy) /* else its answer wakes the loop */
				next = min64(next, a->refresh_at);
		}
		if (a->state == AGENT_STOPPING && a->kill_at)
			next = min64(next, a->kill_at);
		if (a->nevents)
			next = min64(next, a->flush_at);
	}
	return next;
}

void agents_shutdown(struct host *h)
{
	struct pollfd pfds[2 * HOST_MAX_AGENTS];
	struct agent *owners[2 * HOST_MAX_AGENTS];
	int64_t give_up = mono_ms() + HOST_KILL_AFTER_MS + 2000;

	for (struct agent *a = h->agents; a; a = a->next)
		agent_stop(h, a, "the host is shutting down");
	/* KILL follows TERM after 5 s (agents_tick); a process that survives even that is left. */
	while (h->agents && mono_ms() < give_up) {
		size_t n = agents_pollfds(h, pfds, owners, 0, sizeof pfds / sizeof pfds[0]);
		if (poll(pfds, n, 50) > 0)
			for (size_t i = 0; i < n; i++)
				if (pfds[i].revents)
					agent_on_readable(h, owners[i], pfds[i].fd);
		agents_reap(h);
		agents_tick(h);
	}
	while (h->agents) {
		struct agent *a = h->agents;
		host_log("%s (pid %ld) is still running; leaving it", a->id, (long)a->pid);
		unlink_agent(h, a);
		agent_free(h, a);
	}
}
