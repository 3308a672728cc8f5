/*
 * gates.c - a persona's gates before a CLI's done through MCP (docs/casting.md). `gt done` runs
 * them itself (GASTOWN_GATES); a CLI that reports through the town's gt_done tool reaches the
 * town through the metering proxy, which runs them here first: each command in the agent's
 * worktree, one after the other, in a child process group of its own with its output in a file.
 * The host's one reaper (agents_reap) hands the child's end to the proxy (meter_child_exited), so a
 * long test suite never holds up the host's other work.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "host.h"

#define GATE_EXIT_BASE 100 /* the child's exit: 0 all passed, BASE + i gate i failed, 99 could not run */

/* The child becomes a shell at once (the host's descriptors close on exec) that runs each line of
 * gates in work: no globbing of the list, each gate its own `sh -c`; exits as above. */
static const char gate_script[] =
	"set -f; IFS='\n'; n=0\n"
	"for g in $1; do\n"
	"  [ -n \"$g\" ] || continue\n"
	"  printf 'gate: %s\\n' \"$g\"\n"
	"  sh -c \"$g\" || exit $((100 + n))\n"
	"  n=$((n + 1))\n"
	"done\n";

static void run_gates(const char *gates, const char *work, int out)
{
	int devnull = open("/dev/null", O_RDONLY);
	sigset_t none;

	/* The host blocks the signals its loop waits for: the gates get the defaults. */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0 || chdir(work) != 0)
		_exit(99);
	execl("/bin/sh", "sh", "-c", gate_script, "gates", gates, (char *)NULL);
	_exit(99);
}

int gates_start(struct gate_run *g, const char *gates, const char *work)
{
	memset(g, 0, sizeof *g);
	g->pid = -1;
	snprintf(g->out_path, sizeof g->out_path, "/tmp/gastown-gates-XXXXXX");
	if ((g->out_fd = mkostemp(g->out_path, O_CLOEXEC)) < 0)
		return -1;
	g->pid = fork();
	if (g->pid < 0) {
		close(g->out_fd);
		unlink(g->out_path);
		g->out_fd = -1;
		return -1;
	}
	if (g->pid == 0) {
		setpgid(0, 0); /* its own group: stopping the gates stops what they started */
		run_gates(gates, work, g->out_fd);
	}
	setpgid(g->pid, g->pid);
	return 0;
}

void gates_exited(struct gate_run *g, int status)
{
	g->pid = -1;
	g->done = 1;
	g->failed = !WIFEXITED(status) ? -2
		  : WEXITSTATUS(status) == 0 ? -1
		  : WEXITSTATUS(status) >= GATE_EXIT_BASE ? WEXITSTATUS(status) - GATE_EXIT_BASE : -2;
}

size_t gates_output(struct gate_run *g, char *out, size_t len)
{
	off_t end = lseek(g->out_fd, 0, SEEK_END);
	off_t from = end > (off_t)len - 1 ? end - (off_t)len + 1 : 0;
	ssize_t n = from >= 0 ? pread(g->out_fd, out, len - 1, from) : -1;

	out[n > 0 ? n : 0] = '\0';
	return n > 0 ? (size_t)n : 0;
}

void gates_end(struct gate_run *g)
{
	/* Still running (its caller left): stopped; the reaper collects it. */
	if (g->pid > 0)
		kill(-g->pid, SIGKILL);
	g->pid = -1;
	if (g->out_fd > 0) {
		close(g->out_fd);
		unlink(g->out_path);
	}
	g->out_fd = -1;
}
