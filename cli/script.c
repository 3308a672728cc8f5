/*
 * script.c - `gt script`, the scripted agent: no model, only the instructions of the bead's
 * ```gt-script block (docs/container-protocol.md). The whole block is checked before anything runs,
 * so a typo on the last line does not leave half the work done. Each instruction is echoed to
 * stdout ("gt script: run make test") for the host to stream as events; the town calls are
 * agent_cmds.c's functions and the commands run through proc.c.
 */
#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli.h"

#define FENCE_OPEN "```gt-script"
#define FENCE_CLOSE "```"
#define SCRIPT_BYTES_MAX (8 * 1024 * 1024) /* a --file script; the town bounds a bead's body */
#define SCRIPT_LINES_MAX 20000
#define PATH_MAX_LEN 1024
#define SLEEP_MAX 600
#define MAIL_SUBJECT_MAX 200 /* the engine's limit, in bytes */

enum op { OP_WRITE, OP_APPEND, OP_RUN, OP_COMMIT, OP_STATUS, OP_MAIL, OP_ESCALATE, OP_SLEEP, OP_FAIL, OP_DONE };

static const char *const op_names[] = {"write", "append", "run", "commit", "status",
				       "mail", "escalate", "sleep", "fail", "done"};

struct step {
	enum op op;
	int line;            /* its line in the block, from 1 */
	char *arg;           /* the rest of the line; mail's agent, escalate's severity */
	char *arg2;          /* mail's text, escalate's title; NULL otherwise */
	const char *content; /* write and append: the lines up to ".", each with its '\n' */
	size_t content_len;
	long seconds;        /* sleep */
};

struct script {
	char *text;          /* the block's lines, each ending in '\n'; the steps point into it */
	struct step *steps;
	size_t n;
};

static void script_release(struct script *s)
{
	free(s->text);
	free(s->steps);
}

/* Print "gt script: line N: ..." to stderr; returns -1 so the parser can return it. */
static int bad_line(int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "gt script: line %d of the gt-script block: ", line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return -1;
}

/* The length of the line at p without its '\n' and without trailing blanks and '\r'. */
static size_t trimmed_len(const char *p, size_t n)
{
	while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t' || p[n - 1] == '\r'))
		n--;
	return n;
}

/* Copy the block after the line "```gt-script" up to the line "```" into *out (malloc'd, CRLF made
 * LF, each line ending in '\n'). 0, or 1 when there is no block, 2 when it is not closed. */
static int script_extract(const char *body, char **out)
{
	const char *p = body, *start = NULL;
	char *text, *w;

	*out = NULL;
	for (; *p; p += strcspn(p, "\n"), p += *p == '\n') {
		size_t n = trimmed_len(p, strcspn(p, "\n"));

		if (!start && n == strlen(FENCE_OPEN) && memcmp(p, FENCE_OPEN, n) == 0) {
			p += strcspn(p, "\n");
			start = p + (*p == '\n');
			if (!*p)
				break;
			continue;
		}
		if (start && n == strlen(FENCE_CLOSE) && memcmp(p, FENCE_CLOSE, n) == 0)
			break;
	}
	if (!start)
		return 1;
	if (!*p)
		return 2;
	/* At most one '\n' is added (to the last line) and every "\r\n" loses a byte. */
	if (!(text = malloc((size_t)(p - start) + 2)))
		return 2;
	w = text;
	for (const char *q = start; q < p; q++) {
		if (*q == '\r' && q + 1 < p && q[1] == '\n')
			continue;
		*w++ = *q;
	}
	if (w > text && w[-1] != '\n')
		*w++ = '\n';
	*w = '\0';
	*out = text;
	return 0;
}

/* Why the path is refused, or NULL: it stays inside the worktree and cannot pass as an option. */
static const char *path_problem(const char *path)
{
	size_t len = strlen(path);

	if (len == 0)
		return "a path is needed";
	if (len >= PATH_MAX_LEN)
		return "the path is too long";
	if (path[0] == '/')
		return "the path must be relative to the worktree, not absolute";
	if (path[0] == '-')
		return "the path must not start with '-'";
	if (path[len - 1] == '/')
		return "the path names a directory, not a file";
	for (const char *s = path; *s;) {
		size_t n = strcspn(s, "/");

		if (n == 2 && s[0] == '.' && s[1] == '.')
			return "the path must not contain '..'";
		s += n;
		s += strspn(s, "/");
	}
	return NULL;
}

/* Split "word rest" in place: returns rest (blanks skipped), "" when there is none. */
static char *split_word(char *s)
{
	char *rest = s + strcspn(s, " \t");

	if (*rest) {
		*rest++ = '\0';
		rest += strspn(rest, " \t");
	}
	return rest;
}

/* Check one instruction line (NUL-terminated and trimmed) into *st; -1 with the reason printed. */
static int parse_instruction(char *line, int no, struct step *st)
{
	char *arg = split_word(line), *end;
	const char *why;
	size_t k;

	for (k = 0; k < sizeof op_names / sizeof op_names[0]; k++)
		if (strcmp(line, op_names[k]) == 0)
			break;
	if (k == sizeof op_names / sizeof op_names[0])
		return bad_line(no, "unknown instruction '%s' (write, append, run, commit, status, mail, "
				    "escalate, sleep, fail, done)", line);
	*st = (struct step){.op = (enum op)k, .line = no, .arg = arg};
	switch (st->op) {
	case OP_WRITE:
	case OP_APPEND:
		if ((why = path_problem(arg)))
			return bad_line(no, "%s '%s': %s", line, arg, why);
		break;
	case OP_RUN:
	case OP_COMMIT:
		if (!*arg)
			return bad_line(no, "%s needs %s", line, st->op == OP_RUN ? "a command" : "a message");
		break;
	case OP_STATUS:
		if ((why = agent_check_status(arg)))
			return bad_line(no, "status: %s; this one has %zu", why, strlen(arg));
		break;
	case OP_MAIL:
	case OP_ESCALATE:
		st->arg2 = split_word(arg);
		if (!*arg || !*st->arg2)
			return bad_line(no, st->op == OP_MAIL ? "mail needs an agent and a text"
							     : "escalate needs a severity and a title");
		if (st->op == OP_ESCALATE && (why = agent_check_severity(arg)))
			return bad_line(no, "escalate: %s, not '%s'", why, arg);
		break;
	case OP_SLEEP:
		errno = 0;
		st->seconds = strtol(arg, &end, 10);
		if (!*arg || *end || errno || st->seconds < 0 || st->seconds > SLEEP_MAX)
			return bad_line(no, "sleep takes whole seconds from 0 to %d, not '%s'", SLEEP_MAX, arg);
		break;
	case OP_FAIL:
	case OP_DONE:
		break;
	}
	return 0;
}

/* Parse and check the whole block in s->text into s->steps; -1 with the reason printed. */
static int script_parse(struct script *s)
{
	size_t lines = 0;
	char *p = s->text;
	int no = 0;

	for (const char *q = s->text; *q; q++)
		lines += *q == '\n';
	if (lines > SCRIPT_LINES_MAX) {
		fprintf(stderr, "gt script: the gt-script block has %zu lines, more than %d\n", lines, SCRIPT_LINES_MAX);
		return -1;
	}
	if (!(s->steps = calloc(lines ? lines : 1, sizeof *s->steps))) {
		fprintf(stderr, "gt script: out of memory\n");
		return -1;
	}
	/* Instruction lines are cut into strings in place; content lines are left whole. */
	while (*p) {
		char *eol = strchr(p, '\n'), *line = p + strspn(p, " \t");
		struct step *st = &s->steps[s->n];

		no++;
		*eol = '\0';
		line[trimmed_len(line, (size_t)(eol - line))] = '\0';
		p = eol + 1;
		if (!*line || *line == '#')
			continue;
		if (parse_instruction(line, no, st) < 0)
			return -1;
		s->n++;
		if (st->op != OP_WRITE && st->op != OP_APPEND)
			continue;
		st->content = p;
		for (;;) {
			if (!*p)
				return bad_line(st->line, "%s %s has no closing line holding only '.'",
						op_names[st->op], st->arg);
			eol = strchr(p, '\n');
			no++;
			if (eol - p == 1 && *p == '.')
				break;
			p = eol + 1;
		}
		st->content_len = (size_t)(p - st->content);
		p = eol + 1;
	}
	return 0;
}

/* ---- running ------------------------------------------------------------------------------------- */

static int write_file(const struct step *st)
{
	char dir[PATH_MAX_LEN];
	FILE *f;
	int ok;

	/* Create the parent directories, as `write docs/guide.md` in a fresh tree needs. */
	snprintf(dir, sizeof dir, "%s", st->arg);
	for (char *slash = strchr(dir, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		if (mkdir(dir, 0777) < 0 && errno != EEXIST) {
			bad_line(st->line, "cannot create %s: %s", dir, strerror(errno));
			return 1;
		}
		*slash = '/';
	}
	if (!(f = fopen(st->arg, st->op == OP_WRITE ? "w" : "a"))) {
		bad_line(st->line, "cannot open %s: %s", st->arg, strerror(errno));
		return 1;
	}
	ok = fwrite(st->content, 1, st->content_len, f) == st->content_len;
	if (fclose(f) != 0 || !ok) {
		bad_line(st->line, "cannot write %s: %s", st->arg, strerror(errno));
		return 1;
	}
	return 0;
}

/* A command's exit status as the script's: its own, or 1 when it could not even start. */
static int run_failed(const struct step *st, const char *what, int rc, const char *err)
{
	if (rc < 0)
		bad_line(st->line, "%s", err);
	else
		bad_line(st->line, "%s failed with exit status %d", what, rc);
	return rc < 0 ? 1 : rc;
}

static int run_shell(const struct step *st)
{
	const char *argv[] = {"/bin/sh", "-c", st->arg, NULL};
	char err[256];
	int rc = proc_run(argv, NULL, 0, err, sizeof err);

	return rc == 0 ? 0 : run_failed(st, "the command", rc, err);
}

/* git add -A and git commit; a git failure ends the script with 1 (git's own 128 would read as a
 * signal), and nothing staged is no failure. */
static int git_commit(const struct step *st)
{
	const char *add[] = {"git", "add", "-A", NULL};
	const char *staged[] = {"git", "diff", "--cached", "--quiet", NULL};
	const char *commit[] = {"git", "commit", "--quiet", "-m", st->arg, NULL};
	char err[256];
	int rc;

	if ((rc = proc_run(add, NULL, 0, err, sizeof err)) != 0) {
		run_failed(st, "git add -A", rc, err);
		return 1;
	}
	/* git diff --quiet: 0 when nothing is staged, 1 when something is. */
	rc = proc_run(staged, NULL, 0, err, sizeof err);
	if (rc == 0) {
		printf("gt script: nothing to commit, skipped\n");
		fflush(stdout);
		return 0;
	}
	if (rc != 1) {
		run_failed(st, "git diff --cached", rc, err);
		return 1;
	}
	if ((rc = proc_run(commit, NULL, 0, err, sizeof err)) != 0) {
		run_failed(st, "git commit", rc, err);
		return 1;
	}
	return 0;
}

/* mail's text is the subject; one longer than the engine takes is cut (at a UTF-8 boundary, with
 * "...") and sent whole as the body. */
static int send_mail(struct cli *cli, const struct step *st)
{
	char subject[MAIL_SUBJECT_MAX + 1];
	size_t n = strlen(st->arg2);

	if (n <= MAIL_SUBJECT_MAX)
		return agent_mail_send(cli, st->arg, st->arg2, NULL);
	n = MAIL_SUBJECT_MAX - 3;
	while (n > 0 && ((unsigned char)st->arg2[n] & 0xC0) == 0x80)
		n--;
	snprintf(subject, sizeof subject, "%.*s...", (int)n, st->arg2);
	return agent_mail_send(cli, st->arg, subject, st->arg2);
}

static void sleep_seconds(long s)
{
	struct timespec left = {.tv_sec = s, .tv_nsec = 0};

	while (nanosleep(&left, &left) < 0 && errno == EINTR)
		;
}

/* ---- the persona's tools -------------------------------------------------------------------------- */

/* Does a comma-separated list (the host's GASTOWN_*_TOOLS, Claude Code's names) name tool for
 * subject: "Bash" names every command, "Bash(git *)" those the pattern matches. */
static int names_tool(const char *list, const char *tool, const char *subject)
{
	size_t n = strlen(tool);

	for (const char *p = list; p && *p;) {
		size_t len = strcspn(p, ",");

		if (len == n && strncmp(p, tool, n) == 0)
			return 1;
		if (len > n + 2 && strncmp(p, tool, n) == 0 && p[n] == '(' && p[len - 1] == ')') {
			char pattern[256];

			snprintf(pattern, sizeof pattern, "%.*s", (int)(len - n - 2), p + n + 1);
			if (fnmatch(pattern, subject, 0) == 0)
				return 1;
		}
		p += len + (p[len] == ',');
	}
	return 0;
}

/* The scripted agent keeps to its persona as a CLI would: run is the Bash tool, write the Write
 * tool, append the Edit tool (commit, status, done and the rest are the town's own tools, which a
 * persona leaves to every agent). Denied: 1 with the reason printed. */
static int persona_denies(const struct step *st)
{
	const char *tool = st->op == OP_RUN ? "Bash" : st->op == OP_WRITE ? "Write" : st->op == OP_APPEND ? "Edit" : NULL;
	const char *denied = getenv("GASTOWN_DENIED_TOOLS"), *allowed = getenv("GASTOWN_ALLOWED_TOOLS");
	const char *persona = getenv("GASTOWN_PERSONA");

	if (!tool)
		return 0;
	if (names_tool(denied, tool, st->arg) || (allowed && !names_tool(allowed, tool, st->arg))) {
		bad_line(st->line, "%s is denied to persona %s (%s %s)", tool, persona ? persona : "?", op_names[st->op],
			 st->arg);
		return 1;
	}
	return 0;
}

static int run_step(struct cli *cli, const struct step *st)
{
	printf("gt script: %s%s%s%s%s\n", op_names[st->op], *st->arg ? " " : "", st->arg,
	       st->arg2 ? " " : "", st->arg2 ? st->arg2 : "");
	fflush(stdout);
	if (persona_denies(st))
		return 1;
	switch (st->op) {
	case OP_WRITE:
	case OP_APPEND:
		return write_file(st);
	case OP_RUN:
		return run_shell(st);
	case OP_COMMIT:
		return git_commit(st);
	case OP_STATUS:
		return agent_status(cli, st->arg);
	case OP_MAIL:
		return send_mail(cli, st);
	case OP_ESCALATE:
		return agent_escalate(cli, st->arg, st->arg2, NULL, NULL);
	case OP_SLEEP:
		sleep_seconds(st->seconds);
		return 0;
	case OP_FAIL:
		fprintf(stderr, "gt script: failed: %s\n", *st->arg ? st->arg : "(no reason given)");
		return 1;
	case OP_DONE:
		return agent_done(cli, *st->arg ? st->arg : NULL);
	}
	return 1;
}

/* ---- the command --------------------------------------------------------------------------------- */

/* The whole file at path, NUL-terminated, at most SCRIPT_BYTES_MAX; NULL with the reason printed. */
static char *read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t n = 0;

	if (!f) {
		fprintf(stderr, "gt script: cannot open %s: %s\n", path, strerror(errno));
		return NULL;
	}
	if (!(buf = malloc(SCRIPT_BYTES_MAX + 1))) {
		fprintf(stderr, "gt script: out of memory\n");
	} else {
		n = fread(buf, 1, SCRIPT_BYTES_MAX + 1, f);
		if (ferror(f) || n > SCRIPT_BYTES_MAX) {
			fprintf(stderr, "gt script: cannot read %s (or it is larger than 8 MiB)\n", path);
			free(buf);
			buf = NULL;
		} else {
			buf[n] = '\0';
		}
	}
	fclose(f);
	return buf;
}

/* The gt-script block of --file or of the agent's bead into *text; 0 or the exit status. */
static int load_script(struct cli *cli, const char *file, char **text)
{
	const char *body, *bead = "the file";
	cJSON *res = NULL;
	char *buf = NULL;
	int rc;

	*text = NULL;
	if (file) {
		if (!(buf = read_file(file)))
			return 1;
		body = buf;
	} else {
		const cJSON *b;

		if ((rc = agent_prime(cli, &res)) != 0)
			return rc;
		b = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(res, "data"), "bead");
		if (!cJSON_IsObject(b)) {
			fprintf(stderr, "gt script: no bead is hooked to %s; nothing to do\n", cli->agent);
			cJSON_Delete(res);
			return 3;
		}
		body = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(b, "body"));
		bead = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(b, "id"));
		body = body ? body : "";
		bead = bead ? bead : "the bead";
	}
	rc = script_extract(body, text);
	if (rc == 1)
		fprintf(stderr, "gt script: %s has no ```gt-script block, so the scripted agent has nothing "
				"to do (write the instructions in a block opened by a line ```gt-script)\n", bead);
	else if (rc == 2)
		fprintf(stderr, "gt script: the gt-script block of %s has no closing ``` line\n", bead);
	free(buf);
	cJSON_Delete(res);
	return rc == 0 ? 0 : rc == 1 ? 3 : 2;
}

static const struct usage script_usage = {
	"script", "[--agent ID] script [--file PATH]",
	"(agent) The scripted agent: follow the ```gt-script block of my bead (or of PATH), checked\n"
	"whole before the first instruction runs (docs/container-protocol.md). Exit status: 0 done,\n"
	"1 on `fail` or a refused call, 2 a malformed script, 3 no block; a failed `run` ends it\n"
	"with that command's status.\n"
	"\n"
	"  --file PATH   the block from this file instead of the bead\n",
};

int cmd_script(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {{"file", required_argument, 0, 'f'}, {0, 0, 0, 0}};
	struct script s = {0};
	const char *file = NULL;
	struct opt o;
	int rc, c;

	opt_init(&o, cli, &script_usage, NULL, opts, argc, argv);
	while ((c = opt_next(&o)) != -1) {
		if (c != 'f')
			return OPT_EXIT(c);
		file = optarg;
	}
	if (opt_operands(&o, 0, 0) < 0)
		return 2;
	if ((rc = load_script(cli, file, &s.text)) != 0)
		return rc;
	if (script_parse(&s) < 0) {
		script_release(&s);
		return 2;
	}
	for (size_t i = 0; i < s.n && rc == 0; i++)
		rc = run_step(cli, &s.steps[i]);
	if (rc == 0)
		printf("gt script: finished (%zu instruction%s)\n", s.n, s.n == 1 ? "" : "s");
	script_release(&s);
	return rc;
}
