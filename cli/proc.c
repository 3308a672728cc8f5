/*
 * proc.c - run a program the way an agent's command must be run: an argv vector through
 * posix_spawnp, never a shell line built from strings, standard input from /dev/null (the host
 * writes nudges to gt's own stdin, not to its children's), and stdout optionally captured.
 */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"

extern char **environ;

/* Read the pipe to its end: keep what fits in out (NUL-terminated), drop the rest so the child
 * never blocks on a full pipe. */
static void drain(int fd, char *out, size_t out_len)
{
	size_t used = 0;
	char scratch[4096];

	for (;;) {
		char *dst = used + 1 < out_len ? out + used : scratch;
		size_t room = used + 1 < out_len ? out_len - 1 - used : sizeof scratch;
		ssize_t n = read(fd, dst, room);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (dst != scratch)
			used += (size_t)n;
	}
	out[used] = '\0';
}

int proc_run(const char *const argv[], char *out, size_t out_len, char *err, size_t err_len)
{
	posix_spawn_file_actions_t fa;
	int fds[2] = {-1, -1}, status = 0, rc;
	pid_t pid;

	if (out && (out_len == 0 || pipe(fds) < 0)) {
		snprintf(err, err_len, "cannot run %s: %s", argv[0], out_len ? strerror(errno) : "no room");
		return -1;
	}
	/* Our buffered output must come out before the child's, as the host streams both. */
	fflush(stdout);
	fflush(stderr);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	if (out) {
		posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
		posix_spawn_file_actions_addclose(&fa, fds[0]);
		posix_spawn_file_actions_addclose(&fa, fds[1]);
	}
	/* posix_spawnp's argv is not const only for history's sake: it does not write to it. */
	rc = posix_spawnp(&pid, argv[0], &fa, NULL, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (out)
		close(fds[1]);
	if (rc != 0) {
		if (out)
			close(fds[0]);
		snprintf(err, err_len, "cannot run %s: %s", argv[0], strerror(rc));
		return -1;
	}
	if (out) {
		drain(fds[0], out, out_len);
		close(fds[0]);
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			snprintf(err, err_len, "cannot wait for %s: %s", argv[0], strerror(errno));
			return -1;
		}
	}
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}
