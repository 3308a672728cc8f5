/*
 * child.c - `gastown-host agent-run SPEC`: the first thing that runs in an agent's process. It makes
 * the rig's clone and the agent's worktree ready, then execs the runtime in place (same pid, same
 * pipes), or, for a refinery, performs the merge itself. What it prints is the agent's output.
 * On a failure it writes {"reason"} to the spec's result file and ends with HOST_EXIT_PREPARE.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host.h"

#define SPEC_MAX (1 << 20)

const char *spec_str(const cJSON *spec, const char *key)
{
	const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(spec, key));
	return s ? s : "";
}

static int prepare_failed(const cJSON *spec, const char *reason)
{
	cJSON *r = cJSON_CreateObject();
	char *text;

	fprintf(stderr, "gastown-host: %s\n", reason);
	cJSON_AddStringToObject(r, "reason", reason);
	text = cJSON_PrintUnformatted(r);
	if (text)
		write_file_atomic(spec_str(spec, "result"), text, strlen(text), 0600);
	cJSON_free(text);
	cJSON_Delete(r);
	return HOST_EXIT_PREPARE;
}

/* Exec the spec's argv in the directory we are in; a name without '/' is looked up in PATH. */
static int exec_runtime(const cJSON *spec, const char *what)
{
	const cJSON *argv_json = cJSON_GetObjectItemCaseSensitive(spec, "argv"), *a;
	char *argv[32];
	size_t n = 0;

	cJSON_ArrayForEach(a, argv_json)
		if (cJSON_IsString(a) && n + 1 < sizeof argv / sizeof argv[0])
			argv[n++] = a->valuestring;
	argv[n] = NULL;
	if (n == 0)
		return prepare_failed(spec, "no runtime to run");
	/* A CLI reads its input to the end (codex) or waits on it (claude): it gets none. Its output
	 * stays the terminal. */
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(spec, "stdin_null"))) {
		int fd = open("/dev/null", O_RDONLY);
		if (fd < 0 || dup2(fd, 0) < 0)
			return prepare_failed(spec, "cannot open /dev/null");
		close(fd);
	}
	printf("gastown-host: %s %s\n", spec_str(spec, "agent"), what);
	fflush(stdout);
	execvp(argv[0], argv);
	{
		char reason[HOST_PATH_MAX + 64];
		snprintf(reason, sizeof reason, "cannot run %s: %s", argv[0], strerror(errno));
		return prepare_failed(spec, reason);
	}
}

/* A polecat (or any agent with a runtime): clone, worktree, branch, then exec. */
static int run_agent(cJSON *spec)
{
	const char *repo = spec_str(spec, "repo"), *work = spec_str(spec, "work");
	const char *branch = spec_str(spec, "branch");
	char what[HOST_PATH_MAX + HOST_BRANCH_MAX + 32];
	int lock, rc;

	lock = rig_lock(spec_str(spec, "lock"));
	if (lock < 0)
		return prepare_failed(spec, "cannot lock the rig's clone");
	rc = rig_ensure(repo, spec_str(spec, "git_url"), 0);
	if (rc == 0)
		rc = worktree_ensure(repo, work, branch, spec_str(spec, "default_branch"));
	rig_unlock(lock);
	if (rc < 0)
		return prepare_failed(spec, "cannot prepare the worktree");
	if (chdir(work) < 0)
		return prepare_failed(spec, "cannot enter the worktree");
	snprintf(what, sizeof what, "works on %s in %s", branch, work);
	return exec_runtime(spec, what);
}

/* The Mayor: a directory of its own, kept between runs; no rig, no git. */
static int run_mayor(cJSON *spec)
{
	const char *work = spec_str(spec, "work");

	if (mkdir_p(work) < 0 || chdir(work) < 0)
		return prepare_failed(spec, "cannot enter the Mayor's directory");
	return exec_runtime(spec, "answers its message");
}

int child_main(int argc, char **argv)
{
	char *text;
	cJSON *spec;
	int rc;

	if (argc != 2) {
		fprintf(stderr, "usage: gastown-host agent-run SPEC (the host runs this itself)\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	text = read_file(argv[1], SPEC_MAX, NULL);
	spec = text ? cJSON_Parse(text) : NULL;
	free(text);
	if (!spec) {
		fprintf(stderr, "gastown-host: cannot read the spec %s\n", argv[1]);
		return HOST_EXIT_PREPARE;
	}
	rc = strcmp(spec_str(spec, "mode"), "refinery") == 0 ? refinery_merge(spec)
	     : strcmp(spec_str(spec, "mode"), "mayor") == 0 ? run_mayor(spec) : run_agent(spec);
	cJSON_Delete(spec);
	return rc;
}
