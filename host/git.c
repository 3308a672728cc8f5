/*
 * git.c - the git command line, as the agent-run child uses it: run git with an argv (never a
 * shell string), keep one clone per rig with our commit-msg hook, and one worktree per agent.
 * Runs only in the child process, so a slow clone never holds up the host's loop; the one
 * exception, rig_clear_stale_locks, runs once at startup before the loop.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "host.h"

#define ARGS_MAX 32

/* The commit-msg hook: the trailers of a bead's commits, from variables the host sets. */
static const char hook_script[] =
	"#!/bin/sh\n"
	"# Installed by gastown-host: adds the Gastown trailers to every commit made for a bead.\n"
	"[ -n \"$GASTOWN_BEAD\" ] || exit 0\n"
	"msg=$1\n"
	"set --\n"
	"if [ -n \"$GASTOWN_REQUESTED_BY_TRAILER\" ]; then\n"
	"\tset -- \"$@\" --trailer \"Requested-by: $GASTOWN_REQUESTED_BY_TRAILER\"\n"
	"fi\n"
	"if [ -n \"$GASTOWN_AGENT_TRAILER\" ]; then\n"
	"\tset -- \"$@\" --trailer \"Co-authored-by: $GASTOWN_AGENT_TRAILER\"\n"
	"fi\n"
	"set -- \"$@\" --trailer \"Bead-ID: $GASTOWN_BEAD\"\n"
	"if [ -n \"$GASTOWN_MODEL\" ]; then\n"
	"\tset -- \"$@\" --trailer \"Model: $GASTOWN_MODEL\"\n"
	"fi\n"
	"if [ -n \"$GASTOWN_PERSONA\" ]; then\n"
	"\tset -- \"$@\" --trailer \"Persona: $GASTOWN_PERSONA\"\n"
	"fi\n"
	"exec git interpret-trailers --in-place --if-exists addIfDifferent \"$@\" \"$msg\"\n";

static int exit_status(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return -1;
}

/* fork + exec file with argv in dir; stdout captured into out when given: as it is when raw is
 * given (*raw its length; cap reached means cut), else NUL-terminated with trailing newlines cut. */
static int spawn(const char *file, const char *dir, char *const argv[], char *out, size_t cap, size_t *raw)
{
	int pipefd[2] = {-1, -1}, status;
	size_t len = 0;
	pid_t pid;

	if (out && pipe2(pipefd, O_CLOEXEC) < 0)
		return -1;
	pid = fork();
	if (pid < 0) {
		if (out) {
			close(pipefd[0]);
			close(pipefd[1]);
		}
		return -1;
	}
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (devnull < 0 || dup2(devnull, 0) < 0 || (out && dup2(pipefd[1], 1) < 0) ||
		    (dir && chdir(dir) < 0))
			_exit(127);
		execvp(file, argv);
		_exit(127);
	}
	if (out) {
		char buf[4096];
		ssize_t n;

		close(pipefd[1]);
		/* Read to the end even past cap, so the child never blocks on a full pipe. */
		while ((n = read(pipefd[0], buf, sizeof buf)) != 0) {
			if (n < 0) {
				if (errno == EINTR)
					continue;
				break;
			}
			for (ssize_t i = 0; i < n && len + 1 < cap; i++)
				out[len++] = buf[i];
		}
		close(pipefd[0]);
		while (!raw && len > 0 && (out[len - 1] == '\n' || out[len - 1] == '\r'))
			len--;
		out[len] = '\0';
		if (raw)
			*raw = len;
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return exit_status(status);
}

int git_run(const char *dir, char *out, size_t cap, const char *const *args)
{
	char *argv[ARGS_MAX + 2];
	size_t n = 0;

	argv[n++] = "git";
	for (; *args && n < ARGS_MAX + 1; args++)
		argv[n++] = (char *)*args; /* exec's argv is not const, but it is not written */
	argv[n] = NULL;
	if (out && cap)
		out[0] = '\0';
	return spawn("git", dir, argv, out, cap, NULL);
}

int git_capture(const char *dir, char *out, size_t cap, size_t *len, const char *const *args)
{
	char *argv[ARGS_MAX + 2];
	size_t n = 0;

	argv[n++] = "git";
	for (; *args && n < ARGS_MAX + 1; args++)
		argv[n++] = (char *)*args;
	argv[n] = NULL;
	*len = 0;
	return spawn("git", dir, argv, out, cap, len);
}

static int git_va(const char *dir, char *out, size_t cap, va_list ap)
{
	const char *args[ARGS_MAX + 1];
	const char *a;
	size_t n = 0;

	while ((a = va_arg(ap, const char *)) != NULL && n < ARGS_MAX)
		args[n++] = a;
	args[n] = NULL;
	return git_run(dir, out, cap, args);
}

int git(const char *dir, ...)
{
	va_list ap;
	int rc;

	va_start(ap, dir);
	rc = git_va(dir, NULL, 0, ap);
	va_end(ap);
	return rc;
}

int git_out(const char *dir, char *out, size_t cap, ...)
{
	va_list ap;
	int rc;

	va_start(ap, cap);
	rc = git_va(dir, out, cap, ap);
	va_end(ap);
	return rc;
}

int shell_run(const char *dir, const char *command)
{
	char *argv[] = {"/bin/sh", "-c", (char *)command, NULL};

	return spawn("/bin/sh", dir, argv, NULL, 0, NULL);
}

int rig_lock(const char *path)
{
	char dir[HOST_PATH_MAX];
	int fd;

	snprintf(dir, sizeof dir, "%s", path);
	if (strrchr(dir, '/'))
		*strrchr(dir, '/') = '\0';
	if (mkdir_p(dir) < 0 || (fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0) {
		printf("gastown-host: cannot lock %s: %s\n", path, strerror(errno));
		return -1;
	}
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			close(fd);
			return -1;
		}
	}
	return fd;
}

void rig_unlock(int fd)
{
	if (fd >= 0)
		close(fd); /* closing releases the lock */
}

static int install_hook(const char *repo)
{
	char hooks[HOST_PATH_MAX], hook[HOST_PATH_MAX + 16];

	if ((size_t)snprintf(hooks, sizeof hooks, "%s/.git/hooks", repo) >= sizeof hooks)
		return -1;
	snprintf(hook, sizeof hook, "%s/commit-msg", hooks);
	if (mkdir_p(hooks) < 0 || write_file_atomic(hook, hook_script, sizeof hook_script - 1, 0755) < 0) {
		printf("gastown-host: cannot write %s: %s\n", hook, strerror(errno));
		return -1;
	}
	/* A core.hooksPath in the user's global config would bypass the hook: pin it here. */
	return git(repo, "config", "core.hooksPath", hooks, NULL) == 0 ? 0 : -1;
}

static int clone_rig(const char *repo, const char *git_url)
{
	char tmp[HOST_PATH_MAX + 8], dir[HOST_PATH_MAX], head[64];

	snprintf(dir, sizeof dir, "%s", repo);
	*strrchr(dir, '/') = '\0';
	snprintf(tmp, sizeof tmp, "%s.tmp", repo);
	if (mkdir_p(dir) < 0 || rm_tree(tmp) < 0)
		return -1;
	printf("gastown-host: cloning %s\n", git_url);
	fflush(stdout);
	/* Cloned aside and renamed: a clone cut short never looks like a clone. No checkout: the
	 * agents work in worktrees, and a detached HEAD leaves every branch free for them. */
	if (git(NULL, "clone", "-q", "--no-checkout", "--", git_url, tmp, NULL) != 0) {
		rm_tree(tmp);
		return -1;
	}
	if (git_out(tmp, head, sizeof head, "rev-parse", "-q", "--verify", "HEAD^{commit}", NULL) == 0 &&
	    git(tmp, "update-ref", "--no-deref", "HEAD", head, NULL) != 0)
		return -1;
	if (rename(tmp, repo) < 0) {
		rm_tree(tmp);
		return -1;
	}
	return 0;
}

int rig_ensure(const char *repo, const char *git_url, int fetch_required)
{
	char dotgit[HOST_PATH_MAX + 8];

	snprintf(dotgit, sizeof dotgit, "%s/.git", repo);
	if (!path_exists(dotgit)) {
		if (clone_rig(repo, git_url) < 0) {
			printf("gastown-host: cannot clone %s\n", git_url);
			return -1;
		}
	} else {
		/* The rig's URL may have changed since the clone. */
		if (git(repo, "remote", "set-url", "origin", git_url, NULL) != 0)
			return -1;
		if (git(repo, "fetch", "-q", "--prune", "origin", NULL) != 0) {
			printf("gastown-host: cannot fetch %s%s\n", git_url,
			       fetch_required ? "" : " (going on with what the clone has)");
			if (fetch_required)
				return -1;
		}
	}
	return install_hook(repo);
}

static int ref_exists(const char *repo, const char *prefix, const char *name)
{
	char ref[HOST_BRANCH_MAX + 64], sha[64];

	snprintf(ref, sizeof ref, "%s%s^{commit}", prefix, name);
	return git_out(repo, sha, sizeof sha, "rev-parse", "-q", "--verify", ref, NULL) == 0;
}

/* A directory that git sees as the top of a worktree of repo (an agent moved to another rig has
 * a worktree of the other rig's clone: not this one). */
static int is_worktree(const char *repo, const char *work)
{
	char dotgit[HOST_PATH_MAX + 8], top[HOST_PATH_MAX], common[HOST_PATH_MAX], want[PATH_MAX];

	snprintf(dotgit, sizeof dotgit, "%s/.git", work);
	if (!path_exists(dotgit))
		return 0;
	if (git_out(work, top, sizeof top, "rev-parse", "--show-toplevel", NULL) != 0 || strcmp(top, work) != 0)
		return 0;
	snprintf(dotgit, sizeof dotgit, "%s/.git", repo);
	return git_out(work, common, sizeof common, "rev-parse", "--path-format=absolute", "--git-common-dir",
		       NULL) == 0 && realpath(dotgit, want) && strcmp(common, want) == 0;
}

/* A directory in the way of a worktree is kept aside, never deleted: it may hold someone's work. */
static int move_aside(const char *work)
{
	char aside[HOST_PATH_MAX + 32];

	if (!path_exists(work))
		return 0;
	snprintf(aside, sizeof aside, "%s.old-%lld", work, (long long)wall_ms());
	printf("gastown-host: %s is not a worktree of this rig's clone; moved to %s\n", work, aside);
	return rename(work, aside);
}

int worktree_ensure(const char *repo, const char *work, const char *branch, const char *base)
{
	char start[HOST_BRANCH_MAX + 16], current[HOST_BRANCH_MAX + 16], dirty[64];
	int local = ref_exists(repo, "refs/heads/", branch);

	if (local)
		snprintf(start, sizeof start, "%s", branch);
	else if (ref_exists(repo, "refs/remotes/origin/", branch))
		snprintf(start, sizeof start, "origin/%s", branch);
	else
		snprintf(start, sizeof start, "origin/%s", base);
	if (!is_worktree(repo, work)) {
		if (move_aside(work) < 0)
			return -1;
		git(repo, "worktree", "prune", NULL);
		/* -f: another agent's worktree may still have this branch (a re-dispatch). */
		if (local)
			return git(repo, "worktree", "add", "-q", "-f", work, branch, NULL) == 0 ? 0 : -1;
		return git(repo, "worktree", "add", "-q", "-f", "--no-track", "-b", branch, work, start,
			   NULL) == 0 ? 0 : -1;
	}
	if (git_out(work, current, sizeof current, "symbolic-ref", "-q", "--short", "HEAD", NULL) == 0 &&
	    strcmp(current, branch) == 0)
		return 0;
	/* The worktree moves to another bead: what the last one left uncommitted goes to the stash. */
	if (git_out(work, dirty, sizeof dirty, "status", "--porcelain", "--untracked-files=no", NULL) == 0 &&
	    dirty[0] && git(work, "stash", "push", "-q", "-m", "gastown: left uncommitted", NULL) != 0)
		return -1;
	if (local)
		return git(work, "checkout", "-q", "--ignore-other-worktrees", branch, "--", NULL) == 0 ? 0 : -1;
	return git(work, "checkout", "-q", "--ignore-other-worktrees", "--no-track", "-b", branch, start,
		   "--", NULL) == 0 ? 0 : -1;
}

int worktree_ensure_detached(const char *repo, const char *work, const char *commitish)
{
	if (is_worktree(repo, work))
		return 0;
	if (move_aside(work) < 0)
		return -1;
	git(repo, "worktree", "prune", NULL);
	return git(repo, "worktree", "add", "-q", "-f", "--detach", work, commitish, NULL) == 0 ? 0 : -1;
}

/* ---- what a killed host leaves behind ------------------------------------------------------- */

static int older(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/* Lock files under dir (depth levels down at most; objects/ skipped: no locks, most of a clone). */
static int clear_locks_in(const char *dir, const struct timespec *before, int depth)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int removed = 0;

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		char path[HOST_PATH_MAX];
		struct stat st;
		size_t n = strlen(e->d_name);

		if (e->d_name[0] == '.' && (n == 1 || (n == 2 && e->d_name[1] == '.')))
			continue;
		if (snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= (int)sizeof path || lstat(path, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode) && depth > 0 && strcmp(e->d_name, "objects") != 0)
			removed += clear_locks_in(path, before, depth - 1);
		else if (S_ISREG(st.st_mode) && n > 5 && strcmp(e->d_name + n - 5, ".lock") == 0 &&
			 older(&st.st_mtim, before) && unlink(path) == 0) {
			host_log("removed %s, left by a git that a previous host's end cut short", path);
			removed++;
		}
	}
	closedir(d);
	return removed;
}

int rig_clear_stale_locks(const char *state)
{
	char pattern[HOST_PATH_MAX + 32];
	struct timespec now;
	glob_t g;
	int removed = 0;

	clock_gettime(CLOCK_REALTIME, &now);
	/* The clones' layout is paths_for's (start.c). */
	if (snprintf(pattern, sizeof pattern, "%s/towns/*/rigs/*/repo/.git", state) >= (int)sizeof pattern)
		return 0;
	if (glob(pattern, GLOB_NOSORT | GLOB_ONLYDIR, NULL, &g) != 0)
		return 0;
	/* Deep enough for refs/heads/polecat/<name>/<bead>.lock and worktrees/<name>/index.lock. */
	for (size_t i = 0; i < g.gl_pathc; i++)
		removed += clear_locks_in(g.gl_pathv[i], &now, 12);
	globfree(&g);
	return removed;
}

pid_t git_push_delete(const char *repo, const char *git_url, const char *const *branches, size_t n)
{
	char *argv[ARGS_MAX + 8], refspecs[ARGS_MAX][HOST_BRANCH_MAX + 16];
	size_t k = 0;
	pid_t pid;

	if (n == 0 || n > ARGS_MAX)
		return -1;
	argv[k++] = "git";
	argv[k++] = "push";
	argv[k++] = "--quiet";
	argv[k++] = "--";
	argv[k++] = (char *)git_url;
	/* ":refs/heads/<branch>" deletes exactly that branch, whatever else is named like it. */
	for (size_t i = 0; i < n; i++) {
		snprintf(refspecs[i], sizeof refspecs[i], ":refs/heads/%s", branches[i]);
		argv[k++] = refspecs[i];
	}
	argv[k] = NULL;
	if ((pid = fork()) != 0)
		return pid;
	{
		int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);

		if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(devnull, 1) < 0 || chdir(repo) < 0)
			_exit(127);
		setenv("GIT_TERMINAL_PROMPT", "0", 1);
		execvp("git", argv);
		_exit(127);
	}
}
