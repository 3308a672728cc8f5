/*
 * agent_cmds.c - what an agent tells its town from its worktree: prime, status, done, mail and
 * escalate under /api/towns/:town/agents/:agent/, and sling, which people use too. Every call
 * reads the agent's token again, since the host rewrites the token file when it refreshes it.
 * Git runs through proc.c as an argv vector, never through a shell. The scripted agent (script.c)
 * calls the agent_* functions directly.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "diffstat.h" /* the host's diff report, computed here in the worktree */

#define STATUS_MAX 280 /* the engine's limit; it counts UTF-8 bytes */

static const char *str(const cJSON *o, const char *k)
{
	const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, k));
	return s ? s : "";
}

static const cJSON *obj(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsObject(v) ? v : NULL;
}

/* Ids are slugs: anything else in a URL segment is a mistake, refused rather than escaped. */
static int seg_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > 128 || !isalnum((unsigned char)s[0]))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("-_.", s[i]))
			return 0;
	return 1;
}

/* /api/towns/:town[/agents/:agent]/<rest>, or -1 with the reason printed (the town or agent is
 * missing or no id, or the path is too long). agent 0 leaves the agent out. */
static int town_path(const struct cli *cli, int agent, const char *rest, struct http_path *p)
{
	if (cli_need_town(cli) < 0)
		return -1;
	if (agent && (!cli->agent || !*cli->agent)) {
		fprintf(stderr, "gt: which agent? pass --agent ID or set GASTOWN_AGENT\n");
		return -1;
	}
	if (agent && !seg_ok(cli->agent)) {
		fprintf(stderr, "gt: '%s' is not an agent id\n", cli->agent);
		return -1;
	}
	http_path_lit(p, "/api/towns/");
	http_path_seg(p, cli->town);
	if (agent) {
		http_path_lit(p, "/agents/");
		http_path_seg(p, cli->agent);
	}
	http_path_lit(p, "/");
	http_path_lit(p, rest);
	if (p->overflow) {
		fprintf(stderr, "gt: the request path is too long\n");
		return -1;
	}
	return 0;
}

/* The agent's token read again before a call (the host rewrites the file when it refreshes it):
 * 0, or 1 with the reason printed and body deleted. */
static int fresh_token(struct cli *cli, cJSON *body)
{
	if (cli->as_agent && token_load_agent(cli) < 0) {
		fprintf(stderr, "gt: cannot read the agent token from %s\n", getenv("GASTOWN_AGENT_TOKEN_FILE"));
		cJSON_Delete(body);
		return 1;
	}
	return 0;
}

/* cli_call with a fresh token; body is consumed. 0 with *res_out the answer (the caller deletes
 * it), or 1 with the error printed and *res_out NULL. */
static int call(struct cli *cli, const char *method, const struct http_path *p, cJSON *body, cJSON **res_out)
{
	*res_out = NULL;
	return fresh_token(cli, body) ? 1 : cli_call(cli, method, p, body, res_out);
}

/* cli_call_print with a fresh token; returns the exit status. */
static int call_and_print(struct cli *cli, const char *method, const struct http_path *p, cJSON *body,
			  void (*text)(const cJSON *data))
{
	return fresh_token(cli, body) ? 1 : cli_call_print(cli, method, p, body, text);
}

/* ---- printers ------------------------------------------------------------------------------------ */

/* Mail's sender is {kind, id} from the engine; a plain string is taken as it is. */
static void print_from(const cJSON *m)
{
	const cJSON *from = cJSON_GetObjectItemCaseSensitive(m, "from");

	if (cJSON_IsString(from))
		printf("%s", from->valuestring);
	else if (*str(from, "kind"))
		printf("%s:%s", str(from, "kind"), str(from, "id"));
	else
		printf("%s", str(from, "id"));
}

static void print_indented(const char *text)
{
	while (*text) {
		size_t n = strcspn(text, "\n");

		printf("    %.*s\n", (int)n, text);
		text += n + (text[n] == '\n');
	}
}

static void print_mail_list(const cJSON *list)
{
	const cJSON *m;

	if (cJSON_GetArraySize(list) == 0)
		printf("no mail\n");
	cJSON_ArrayForEach(m, list) {
		printf("%s%s  from ", str(m, "id"), cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(m, "read_ms")) ? "" : " *");
		print_from(m);
		printf("  %s\n", str(m, "subject"));
		print_indented(str(m, "body"));
	}
}

static void print_prime(const cJSON *d)
{
	const cJSON *a = obj(d, "agent"), *b = obj(d, "bead"), *r = obj(d, "rig"), *by = obj(d, "requested_by");
	const cJSON *mail = cJSON_GetObjectItemCaseSensitive(d, "mail");

	printf("agent   %s (%s), %s", str(a, "id"), str(a, "name"), str(a, "role"));
	if (*str(a, "rig"))
		printf(" on rig %s", str(a, "rig"));
	printf("\n");
	if (!b) {
		printf("bead    none: no work is hooked to you\n");
	} else {
		printf("bead    %s  %s  (%s, %s)\n", str(b, "id"), str(b, "title"), str(b, "type"), str(b, "status"));
		if (r)
			printf("rig     %s  %s (%s, merge %s)\n", str(r, "id"), str(r, "git_url"),
			       str(r, "default_branch"), str(r, "merge_strategy"));
		if (*str(d, "branch"))
			printf("branch  %s\n", str(d, "branch"));
		if (by)
			printf("for     %s <%s>\n", *str(by, "name") ? str(by, "name") : str(by, "id"), str(by, "email"));
		if (*str(b, "body"))
			printf("\n%s\n", str(b, "body"));
	}
	if (cJSON_GetArraySize(mail) > 0) {
		printf("\nunread mail (%d):\n", cJSON_GetArraySize(mail));
		print_mail_list(mail);
	}
	/* What earlier work left on the paths the bead names (notes and last changes). */
	if (cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(d, "memory")) > 0) {
		const cJSON *m;

		printf("\non the paths your bead names:\n");
		cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(d, "memory"))
			if (strcmp(str(m, "kind"), "note") == 0)
				printf("  note by %s on %s: %s\n", str(m, "author"), str(m, "path"), str(m, "text"));
			else
				printf("  %s changed %s for %s: %s\n", str(m, "worked_by"), str(m, "path"), str(m, "bead"),
				       str(m, "title"));
	}
}

static void print_posted(const cJSON *d)
{
	(void)d;
	printf("status posted\n");
}

static void print_sent(const cJSON *d)
{
	printf("sent %s to %s\n", str(d, "id"), str(d, "to"));
}

static void print_escalation(const cJSON *d)
{
	printf("escalated %s (%s)\n", str(d, "id"), str(d, "severity"));
}

static void print_bead(const cJSON *b)
{
	printf("%-10s %-11s %s", str(b, "id"), str(b, "status"), str(b, "title"));
	if (*str(b, "rig"))
		printf("  [%s]", str(b, "rig"));
	if (*str(b, "assignee"))
		printf("  @%s", str(b, "assignee"));
	if (*str(b, "persona"))
		printf("  as %s", str(b, "persona"));
	printf("\n");
}

/* ---- the calls ----------------------------------------------------------------------------------- */

const char *agent_check_status(const char *text)
{
	size_t n = strlen(text);

	return n >= 1 && n <= STATUS_MAX ? NULL : "a status is 1 to 280 characters (bytes of UTF-8)";
}

const char *agent_check_severity(const char *severity)
{
	static const char *const levels[] = {"low", "medium", "high", "critical"};

	for (size_t i = 0; i < sizeof levels / sizeof levels[0]; i++)
		if (strcmp(severity, levels[i]) == 0)
			return NULL;
	return "severity is low, medium, high or critical";
}

int agent_prime(struct cli *cli, cJSON **res_out)
{
	struct http_path p = {0};

	*res_out = NULL;
	if (town_path(cli, 1, "prime", &p) < 0)
		return 2;
	return call(cli, "GET", &p, NULL, res_out);
}

int agent_status(struct cli *cli, const char *text)
{
	const char *bad = agent_check_status(text);
	struct http_path p = {0};
	cJSON *b;

	if (bad) {
		fprintf(stderr, "gt status: %s; this one has %zu\n", bad, strlen(text));
		return 2;
	}
	if (town_path(cli, 1, "status", &p) < 0)
		return 2;
	b = cJSON_CreateObject();
	cJSON_AddStringToObject(b, "message", text);
	return call_and_print(cli, "POST", &p, b, print_posted);
}

/* Say so when the worktree has changes that the push will not carry. */
static void warn_uncommitted(void)
{
	const char *argv[] = {"git", "status", "--porcelain", NULL};
	char out[256], err[256];

	if (proc_run(argv, out, sizeof out, err, sizeof err) == 0 && out[0])
		fprintf(stderr, "gt done: warning: the worktree has uncommitted changes; they are not pushed\n");
}

static int is_sha(const char *s)
{
	size_t n = strspn(s, "0123456789abcdef");

	return (n == 40 || n == 64) && s[n] == '\0';
}

/* git as diffstat runs it (host.h's git_run contract) over proc_run: stdout captured, trailing
 * newlines cut. */
static int done_git(const char *dir, char *out, size_t cap, const char *const *args)
{
	const char *argv[40];
	char err[256];
	size_t n = 0;
	int rc;

	argv[n++] = "git";
	if (dir) {
		argv[n++] = "-C";
		argv[n++] = dir;
	}
	for (; *args && n + 1 < sizeof argv / sizeof argv[0]; args++)
		argv[n++] = *args;
	argv[n] = NULL;
	rc = proc_run(argv, out, cap, err, sizeof err);
	if (out && cap) {
		size_t len = strlen(out);
		while (len > 0 && (out[len - 1] == '\n' || out[len - 1] == '\r'))
			out[--len] = '\0';
	}
	return rc;
}

/* What the branch changed against where it left the base branch ($GASTOWN_BASE_BRANCH on origin,
 * else origin's HEAD): the done report's diff, NULL when git cannot say (done goes without it). */
static cJSON *done_diff(const char *head)
{
	const char *base = getenv("GASTOWN_BASE_BRANCH");
	char ref[256];

	snprintf(ref, sizeof ref, "origin/%s", base && *base ? base : "HEAD");
	return diffstat_report(done_git, NULL, ref, head);
}

/* POST the done report (takes b). A diff the town refuses (400 or 413 naming a diff field: a path
 * or a count git gave that the town does not take) must not cost the work its report: it goes
 * again without the diff. */
static int post_done(struct cli *cli, const struct http_path *p, cJSON *b, cJSON **res)
{
	char *payload, err[256] = "";
	const char *field;
	int status;

	*res = NULL;
	if (!cJSON_GetObjectItemCaseSensitive(b, "diff"))
		return call(cli, "POST", p, b, res);
	payload = cJSON_PrintUnformatted(b);
	status = payload ? http_call(cli, "POST", p->s, payload, res, err, sizeof err) : 0;
	cJSON_free(payload);
	if (status >= 200 && status <= 299) {
		cJSON_Delete(b);
		return 0;
	}
	field = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(*res, "error"), "field"));
	if ((status == 400 || status == 413) && field && strncmp(field, "diff", 4) == 0) {
		fprintf(stderr, "gt done: warning: the town refused the diff report (%s); reporting without it\n", field);
		cJSON_Delete(*res);
		cJSON_DeleteItemFromObjectCaseSensitive(b, "diff");
		return call(cli, "POST", p, b, res);
	}
	cli_fail(cli, status, *res, err);
	cJSON_Delete(*res);
	*res = NULL;
	cJSON_Delete(b);
	return 1;
}

/* The persona's gates (GASTOWN_GATES, one command a line, set by the agent host): each must pass in
 * the worktree before the work is pushed and reported. 0, or 1 with the failing gate named. */
static int persona_gates(void)
{
	const char *gates = getenv("GASTOWN_GATES");
	char cmd[1024], err[256];

	for (const char *p = gates; p && *p;) {
		size_t len = strcspn(p, "\n");
		const char *argv[] = {"/bin/sh", "-c", cmd, NULL};
		int rc;

		if (len > 0 && len < sizeof cmd) {
			snprintf(cmd, sizeof cmd, "%.*s", (int)len, p);
			printf("gt done: gate: %s\n", cmd);
			fflush(stdout);
			if ((rc = proc_run(argv, NULL, 0, err, sizeof err)) != 0) {
				fprintf(stderr, "gt done: the persona's gate `%s` failed (exit %d): fix the work and run gt done"
						" again; nothing was pushed or reported\n", cmd, rc);
				return 1;
			}
		}
		p += len + (p[len] == '\n');
	}
	return 0;
}

int agent_done(struct cli *cli, const char *summary)
{
	const char *bead = getenv("GASTOWN_BEAD"), *branch = getenv("GASTOWN_BRANCH"), *role = getenv("GASTOWN_ROLE");
	struct http_path p = {0};
	char refspec[512], sha[128], err[256];
	const char *push[] = {"git", "push", "--force", "origin", refspec, NULL};
	const char *head[] = {"git", "rev-parse", "HEAD", NULL};
	cJSON *res, *b;
	int rc;

	if (role && *role && strcmp(role, "polecat") != 0) {
		fprintf(stderr, "gt done: only a polecat reports done itself (the host reports a %s's result)\n", role);
		return 2;
	}
	if (!bead || !*bead || !branch || !*branch) {
		fprintf(stderr, "gt done: GASTOWN_BEAD and GASTOWN_BRANCH must be set (the agent host sets them)\n");
		return 2;
	}
	if (town_path(cli, 1, "done", &p) < 0)
		return 2;
	if (snprintf(refspec, sizeof refspec, "HEAD:refs/heads/%s", branch) >= (int)sizeof refspec) {
		fprintf(stderr, "gt done: the branch name is too long\n");
		return 2;
	}
	/* No token means the report would fail: find out before the push, not after it. */
	if (cli->as_agent && token_load_agent(cli) < 0) {
		fprintf(stderr, "gt done: cannot read the agent token from %s\n", getenv("GASTOWN_AGENT_TOKEN_FILE"));
		return 1;
	}
	warn_uncommitted();
	if (persona_gates() != 0)
		return 1;
	if ((rc = proc_run(push, NULL, 0, err, sizeof err)) != 0) {
		if (rc < 0)
			fprintf(stderr, "gt done: %s\n", err);
		fprintf(stderr, "gt done: pushing %s to origin failed (exit %d); nothing was reported\n", branch, rc);
		return 1;
	}
	rc = proc_run(head, sha, sizeof sha, err, sizeof err);
	sha[strcspn(sha, "\n")] = '\0';
	if (rc != 0 || !is_sha(sha)) {
		fprintf(stderr, "gt done: cannot read the HEAD commit (%s); nothing was reported\n", rc < 0 ? err : "git rev-parse");
		return 1;
	}
	b = cJSON_CreateObject();
	cJSON_AddStringToObject(b, "bead", bead);
	cJSON_AddStringToObject(b, "branch", branch);
	cJSON_AddStringToObject(b, "commit", sha);
	if (summary && *summary)
		cJSON_AddStringToObject(b, "summary", summary);
	{
		cJSON *diff = done_diff(sha);

		if (diff)
			cJSON_AddItemToObject(b, "diff", diff);
		else
			fprintf(stderr, "gt done: warning: git could not say what the branch changed; reporting without it\n");
	}
	if (post_done(cli, &p, b, &res) != 0)
		return 1;
	if (cli->json)
		cli_print_json(cJSON_GetObjectItemCaseSensitive(res, "data"));
	else
		printf("done: %s pushed to origin as %s at %.12s\n", bead, branch, sha);
	cJSON_Delete(res);
	return 0;
}

int agent_mail_send(struct cli *cli, const char *to, const char *subject, const char *body)
{
	struct http_path p = {0};
	cJSON *b;

	if (town_path(cli, 1, "mail", &p) < 0)
		return 2;
	b = cJSON_CreateObject();
	cJSON_AddStringToObject(b, "to", to);
	cJSON_AddStringToObject(b, "subject", subject);
	if (body)
		cJSON_AddStringToObject(b, "body", body);
	return call_and_print(cli, "POST", &p, b, print_sent);
}

int agent_escalate(struct cli *cli, const char *severity, const char *title, const char *body,
		   const char *bead)
{
	const char *bad = agent_check_severity(severity);
	struct http_path p = {0};
	cJSON *b;

	if (bad || !*title) {
		fprintf(stderr, "gt escalate: %s\n", bad ? bad : "the title must not be empty");
		return 2;
	}
	/* An agent raises it as itself; a person raises it in the town's list. */
	if (town_path(cli, cli->as_agent, "escalations", &p) < 0)
		return 2;
	if (!bead && cli->as_agent)
		bead = getenv("GASTOWN_BEAD");
	b = cJSON_CreateObject();
	cJSON_AddStringToObject(b, "severity", severity);
	cJSON_AddStringToObject(b, "title", title);
	if (body)
		cJSON_AddStringToObject(b, "body", body);
	if (bead && *bead)
		cJSON_AddStringToObject(b, "bead", bead);
	return call_and_print(cli, "POST", &p, b, print_escalation);
}

/* ---- commands ------------------------------------------------------------------------------------ */

static const struct usage prime_usage = {
	"prime", "[--agent ID] prime",
	"(agent) What the town has for me: my bead, its rig and branch, who asked for it, my unread\n"
	"mail. The agent is --agent or $GASTOWN_AGENT, its token in $GASTOWN_AGENT_TOKEN_FILE.\n",
};

static const struct usage status_usage = {
	"status", "[--agent ID] status TEXT...",
	"(agent) Tell the town what I am doing: the words, joined by spaces, 1-280 bytes. Text that\n"
	"starts with '-' goes after --.\n",
};

static const struct usage note_usage = {
	"note", "[--agent ID] note PATH TEXT...",
	"Leave a note on a repository path (a file, or a directory ending in '/') for whoever works\n"
	"there next: the words, joined by spaces, 1-2000 bytes. An agent's note is on the bead on its\n"
	"hook; a bead that names the path gets the newest notes in its prime context.\n",
};

static const struct usage notes_usage = {
	"notes", "notes [PATH] [--json]",
	"The notes on PATH (a file, a directory over it, or what is under it), or all, newest first.\n",
};

static const struct usage history_usage = {
	"history", "history PATH [--json]",
	"Who last worked on PATH (a file, or a directory ending in '/') and what they left there: the\n"
	"last changes to it from the beads' recorded diffs, and the notes on it, newest first.\n",
};

static const struct usage search_usage = {
	"search", "search [--agent ID] [--bead ID] [--kind KIND] [--path PREFIX] [--best] [--limit N] [QUERY...] [--json]",
	"Search what the town's agents did (the agent log): the words of QUERY in FTS5's syntax (all\n"
	"words, \"a phrase\", prefix*, OR, NOT), newest first, each with the words around the hits\n"
	"marked **like this**. With --path and no QUERY: the newest events on paths under PREFIX.\n"
	"\n"
	"  --agent ID       only this agent's events\n"
	"  --bead ID        only events of work on this bead\n"
	"  --kind KIND      message, tool, result, file, command, status, note, error or output\n"
	"  --path PREFIX    only events on paths starting with PREFIX\n"
	"  --best           best first (bm25 among the newest 500 matches) instead of newest\n"
	"  --limit N        at most N results (1-100, default 20)\n",
};

static const struct usage done_usage = {
	"done", "[--agent ID] done [--summary TEXT]",
	"(polecat) Push HEAD to origin as $GASTOWN_BRANCH, then report $GASTOWN_BEAD done; the\n"
	"refinery reviews and merges it. The agent host sets these variables.\n"
	"\n"
	"  --summary TEXT   what was done, for the merge request\n",
};

static const struct usage escalate_usage = {
	"escalate", "escalate low|medium|high|critical TITLE [--body TEXT] [--bead BEAD]",
	"Raise an escalation to the mayor and the town's people. An agent's is about its bead.\n"
	"\n"
	"  --body TEXT      the details\n"
	"  --bead BEAD      the bead it is about (an agent's default: $GASTOWN_BEAD)\n",
};

static const struct usage sling_usage = {
	"sling", "[--town TOWN] sling BEAD [RIG] [--persona NAME] [--ways N [--variant SPEC]...]",
	"Hand a bead to the town's agents: on RIG, or on the bead's own rig. Lifts its hold; a failed\n"
	"bead starts afresh. A polecat takes it once it is ready; `gt feed --follow` shows the run.\n"
	"\n"
	"  --persona NAME   the part the polecat plays on it (`gt persona list`); --persona '' takes\n"
	"                   the bead's persona off. Without it the bead keeps the one it has.\n"
	"  --ways N         N attempts at once (2 to the town's max_ways), each a polecat on its own\n"
	"                   branch; the first whose merge lands wins, the others are stopped\n"
	"                   (docs/casting.md). `gt attempts BEAD` compares them.\n"
	"  --variant SPEC   one attempt's variant, in order: model=M,persona=P,runtime=R (any of\n"
	"                   them); attempts without one run as slung.\n",
};

static const struct usage attempts_usage = {
	"attempts", "[--town TOWN] attempts BEAD [--json]",
	"The attempts of a bead slung several ways: each one's variant, its state (running, merged,\n"
	"superseded or failed), its bead and why it ended.\n",
};

/* "model=M,persona=P,runtime=R" into a variant object; 0, or -1 with the reason printed. */
static int parse_variant(const char *spec, cJSON *out)
{
	char buf[256], *save = NULL;

	if (strlen(spec) >= sizeof buf)
		return opt_fail(&sling_usage, "a --variant is at most %zu bytes", sizeof buf - 1), -1;
	snprintf(buf, sizeof buf, "%s", spec);
	for (char *kv = strtok_r(buf, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(kv, '=');

		if (!eq || eq == kv || !eq[1] ||
		    (strncmp(kv, "model=", 6) && strncmp(kv, "persona=", 8) && strncmp(kv, "runtime=", 8))) {
			opt_fail(&sling_usage, "'%s' in --variant is not model=, persona= or runtime= with a value", kv);
			return -1;
		}
		*eq = '\0';
		if (cJSON_GetObjectItemCaseSensitive(out, kv)) {
			opt_fail(&sling_usage, "--variant names %s twice", kv);
			return -1;
		}
		cJSON_AddStringToObject(out, kv, eq + 1);
	}
	return 0;
}

static void print_attempt(const cJSON *a)
{
	char variant[256] = "";
	size_t n = 0;
	static const char *const keys[] = {"persona", "model", "runtime"};

	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		if (*str(a, keys[i]))
			n += (size_t)snprintf(variant + n, n < sizeof variant ? sizeof variant - n : 0, "%s%s=%s",
					      n ? "," : "", keys[i], str(a, keys[i]));
	printf("%2d  %-10s %-11s %s", cli_int(a, "n"), str(a, "bead"),
	       str(a, "state"), n ? variant : "as slung");
	if (*str(a, "reason"))
		printf("\n    %s", str(a, "reason"));
	printf("\n");
}

static void print_attempts(const cJSON *list)
{
	const cJSON *a;

	if (!cJSON_GetArraySize(list))
		printf("(slung one way: no attempts)\n");
	cJSON_ArrayForEach(a, list)
		print_attempt(a);
}

static void print_sling(const cJSON *b)
{
	print_bead(b);
	if (cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(b, "ways")) > 0)
		print_attempts(cJSON_GetObjectItemCaseSensitive(b, "ways"));
}

int cmd_attempts(struct cli *cli, int argc, char **argv)
{
	struct http_path p = {0};
	char rest[256];
	struct opt o;
	int rc;

	if ((rc = opt_plain(&o, cli, &attempts_usage, 1, 1, argc, argv)) >= 0)
		return rc;
	if (!seg_ok(o.pos[0]))
		return opt_fail(&attempts_usage, "'%s' is not a bead id", o.pos[0]);
	snprintf(rest, sizeof rest, "beads/%s/attempts", o.pos[0]);
	if (town_path(cli, 0, rest, &p) < 0)
		return 2;
	return call_and_print(cli, "GET", &p, NULL, print_attempts);
}

int cmd_prime(struct cli *cli, int argc, char **argv)
{
	cJSON *res;
	struct opt o;
	int rc;

	if ((rc = opt_plain(&o, cli, &prime_usage, 0, 0, argc, argv)) >= 0)
		return rc;
	if ((rc = agent_prime(cli, &res)) != 0)
		return rc;
	cli_print_data(cli, res, print_prime);
	cJSON_Delete(res);
	return 0;
}

/* The operands from `from` on joined by spaces into out (max bytes, out holds max + 1): the words
 * after the command are the text, so an agent need not quote it. The joined length; out is left
 * empty when that is over max. */
static size_t join_words(const struct opt *o, int from, char *out, size_t max)
{
	size_t n = 0;

	for (int i = from; i < o->npos; i++)
		n += strlen(o->pos[i]) + (i > from);
	out[0] = '\0';
	if (n > max)
		return n;
	for (int i = from; i < o->npos; i++) {
		if (i > from)
			strcat(out, " ");
		strcat(out, o->pos[i]);
	}
	return n;
}

int cmd_status(struct cli *cli, int argc, char **argv)
{
	char text[STATUS_MAX + 2] = "";
	size_t n = 0;
	struct opt o;
	int rc;

	if ((rc = opt_plain(&o, cli, &status_usage, 1, -1, argc, argv)) >= 0)
		return rc;
	if ((n = join_words(&o, 0, text, STATUS_MAX)) == 0 || n > STATUS_MAX) {
		fprintf(stderr, "gt status: %s; this one has %zu\n", agent_check_status(""), n);
		return 2;
	}
	return agent_status(cli, text);
}

static void print_noted(const cJSON *d)
{
	printf("noted %s on %s\n", str(d, "id"), str(d, "path"));
}

static void print_notes(const cJSON *d)
{
	const cJSON *n;

	if (!cJSON_GetArraySize(d))
		printf("(no notes)\n");
	cJSON_ArrayForEach(n, d)
		printf("%s  %s  %s%s%s: %s\n", str(n, "id"), str(n, "path"), str(n, "author"), *str(n, "bead") ? " on " : "",
		       str(n, "bead"), str(n, "text"));
}

int cmd_note(struct cli *cli, int argc, char **argv)
{
	struct http_path p = {0};
	char text[2048] = "";
	size_t n = 0;
	struct opt o;
	cJSON *b;
	int rc;

	if ((rc = opt_plain(&o, cli, &note_usage, 2, -1, argc, argv)) >= 0)
		return rc;
	if ((n = join_words(&o, 1, text, 2000)) > 2000) {
		fprintf(stderr, "gt note: a note is 1-2000 bytes; this one has %zu\n", n);
		return 2;
	}
	/* An agent's note goes through its own route; a person's through the town's. */
	if (town_path(cli, cli->agent && *cli->agent, "notes", &p) < 0)
		return 2;
	b = cJSON_CreateObject();
	cJSON_AddStringToObject(b, "path", o.pos[0]);
	cJSON_AddStringToObject(b, "text", text);
	return call_and_print(cli, "POST", &p, b, print_noted);
}

int cmd_notes(struct cli *cli, int argc, char **argv)
{
	struct http_path p = {0};
	struct opt o;
	int rc;

	if ((rc = opt_plain(&o, cli, &notes_usage, 0, 1, argc, argv)) >= 0)
		return rc;
	if (town_path(cli, 0, "notes", &p) < 0)
		return 2;
	if (o.npos) {
		http_path_lit(&p, "?path=");
		http_path_seg(&p, o.pos[0]);
	}
	return call_and_print(cli, "GET", &p, NULL, print_notes);
}

static void print_history(const cJSON *d)
{
	const cJSON *x;

	printf("%s\n", str(d, "path"));
	if (!cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(d, "changes")))
		printf("  no recorded change\n");
	cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(d, "changes"))
		printf("  %s changed %s (+%.0f -%.0f) for %s: %s\n", str(x, "worked_by"), str(x, "path"),
		       cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(x, "additions")),
		       cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(x, "deletions")), str(x, "bead"), str(x, "title"));
	cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(d, "notes"))
		printf("  note by %s on %s: %s\n", str(x, "author"), str(x, "path"), str(x, "text"));
}

int cmd_history(struct cli *cli, int argc, char **argv)
{
	struct http_path p = {0};
	struct opt o;
	int rc;

	if ((rc = opt_plain(&o, cli, &history_usage, 1, 1, argc, argv)) >= 0)
		return rc;
	if (town_path(cli, 0, "history?path=", &p) < 0)
		return 2;
	http_path_seg(&p, o.pos[0]);
	return call_and_print(cli, "GET", &p, NULL, print_history);
}

static void print_search(const cJSON *d)
{
	const cJSON *x, *part;

	if (!cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(d, "results")))
		printf("nothing found\n");
	cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(d, "results")) {
		printf("%s%s%s %s", str(x, "agent"), *str(x, "bead") ? " on " : "", str(x, "bead"), str(x, "kind"));
		if (*str(x, "tool"))
			printf(" (%s)", str(x, "tool"));
		if (*str(x, "path"))
			printf(" %s", str(x, "path"));
		printf(":\n  ");
		cJSON_ArrayForEach(part, cJSON_GetObjectItemCaseSensitive(x, "snippet")) {
			const char *mark = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(part, "hit")) ? "**" : "";

			/* A snippet may span lines: one line per result reads better. */
			printf("%s", mark);
			for (const char *s = str(part, "text"); *s; s++)
				putchar(*s == '\n' ? ' ' : *s);
			printf("%s", mark);
		}
		printf("\n");
	}
}

int cmd_search(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"agent", required_argument, 0, 'a'}, {"bead", required_argument, 0, 'b'}, {"kind", required_argument, 0, 'k'},
		{"path", required_argument, 0, 'p'}, {"best", no_argument, 0, 'r'}, {"limit", required_argument, 0, 'l'},
		{0, 0, 0, 0},
	};
	const char *filter[4] = {NULL, NULL, NULL, NULL};
	static const char *const names[4] = {"agent", "bead", "kind", "path"};
	struct http_path p = {0};
	char query[512] = "", num[24];
	long limit = 0;
	int best = 0, c, sep = '?';
	struct opt o;

	opt_init(&o, cli, &search_usage, NULL, opts, argc, argv);
	while ((c = opt_next(&o)) != -1) {
		switch (c) {
		case 'a': filter[0] = optarg; break;
		case 'b': filter[1] = optarg; break;
		case 'k': filter[2] = optarg; break;
		case 'p': filter[3] = optarg; break;
		case 'r': best = 1; break;
		case 'l':
			if (opt_long(&search_usage, "--limit", optarg, 1, 100, &limit) < 0)
				return 2;
			break;
		default: return OPT_EXIT(c);
		}
	}
	if (opt_operands(&o, 0, -1) < 0)
		return 2;
	if (join_words(&o, 0, query, 500) > 500)
		return opt_fail(&search_usage, "a query is at most 500 bytes");
	if (!*query && !filter[3])
		return opt_fail(&search_usage, "what to search for: words, or --path PREFIX");
	if (town_path(cli, 0, "search", &p) < 0)
		return 2;
	if (*query) {
		http_path_lit(&p, "?q=");
		http_path_seg(&p, query);
		sep = '&';
	}
	for (int i = 0; i < 4; i++) {
		if (!filter[i])
			continue;
		http_path_lit(&p, sep == '?' ? "?" : "&");
		http_path_lit(&p, names[i]);
		http_path_lit(&p, "=");
		http_path_seg(&p, filter[i]);
		sep = '&';
	}
	if (best) {
		http_path_lit(&p, sep == '?' ? "?order=relevance" : "&order=relevance");
		sep = '&';
	}
	if (limit) {
		snprintf(num, sizeof num, "%climit=%ld", sep, limit);
		http_path_lit(&p, num);
	}
	if (p.overflow) {
		fprintf(stderr, "gt search: the request is too long\n");
		return 2;
	}
	return call_and_print(cli, "GET", &p, NULL, print_search);
}

int cmd_done(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {{"summary", required_argument, 0, 's'}, {0, 0, 0, 0}};
	const char *summary = NULL;
	struct opt o;
	int c;

	opt_init(&o, cli, &done_usage, NULL, opts, argc, argv);
	while ((c = opt_next(&o)) != -1) {
		if (c != 's')
			return OPT_EXIT(c);
		summary = optarg;
	}
	if (opt_operands(&o, 0, 0) < 0)
		return 2;
	return agent_done(cli, summary);
}

int agent_mail_list(struct cli *cli, int unread)
{
	struct http_path p = {0};

	if (town_path(cli, 1, unread ? "mail?unread=true" : "mail", &p) < 0)
		return 2;
	return call_and_print(cli, "GET", &p, NULL, print_mail_list);
}

int cmd_escalate(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"body", required_argument, 0, 'b'}, {"bead", required_argument, 0, 'B'}, {0, 0, 0, 0},
	};
	const char *body = NULL, *bead = NULL, *bad;
	struct opt o;
	int c;

	opt_init(&o, cli, &escalate_usage, NULL, opts, argc, argv);
	while ((c = opt_next(&o)) != -1) {
		switch (c) {
		case 'b': body = optarg; break;
		case 'B': bead = optarg; break;
		default: return OPT_EXIT(c);
		}
	}
	if (opt_operands(&o, 2, 2) < 0)
		return 2;
	if ((bad = agent_check_severity(o.pos[0])))
		return opt_fail(&escalate_usage, "%s, not '%s'", bad, o.pos[0]);
	return agent_escalate(cli, o.pos[0], o.pos[1], body, bead);
}

int cmd_sling(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {{"persona", required_argument, 0, 'p'}, {"ways", required_argument, 0, 'w'},
					     {"variant", required_argument, 0, 'v'}, {0, 0, 0, 0}};
	const char *persona = NULL;
	struct http_path p = {0};
	char rest[256];
	struct opt o;
	cJSON *b, *variants = cJSON_CreateArray();
	long ways = 0;
	int c;

	opt_init(&o, cli, &sling_usage, NULL, opts, argc, argv);
	while ((c = opt_next(&o)) != -1) {
		cJSON *v;

		switch (c) {
		case 'p':
			persona = optarg;
			break;
		case 'w':
			if (opt_long(&sling_usage, "--ways", optarg, 1, 8, &ways) < 0) {
				cJSON_Delete(variants);
				return 2;
			}
			break;
		case 'v':
			v = cJSON_CreateObject();
			cJSON_AddItemToArray(variants, v);
			if (parse_variant(optarg, v) < 0) {
				cJSON_Delete(variants);
				return 2;
			}
			break;
		default:
			cJSON_Delete(variants);
			return OPT_EXIT(c);
		}
	}
	if (cJSON_GetArraySize(variants) > 0 && ways < 2) {
		cJSON_Delete(variants);
		return opt_fail(&sling_usage, "--variant goes with --ways 2 or more");
	}
	if (opt_operands(&o, 1, 2) < 0) {
		cJSON_Delete(variants);
		return 2;
	}
	if (!seg_ok(o.pos[0])) {
		cJSON_Delete(variants);
		return opt_fail(&sling_usage, "'%s' is not a bead id", o.pos[0]);
	}
	snprintf(rest, sizeof rest, "beads/%s/sling", o.pos[0]);
	if (town_path(cli, 0, rest, &p) < 0) {
		cJSON_Delete(variants);
		return 2;
	}
	/* Without a rig the town keeps the bead's own; without --persona, the bead's persona. The
	 * town says whether the persona, the runtimes and the number of ways are allowed. */
	b = cJSON_CreateObject();
	if (o.npos == 2)
		cJSON_AddStringToObject(b, "rig", o.pos[1]);
	if (persona)
		cJSON_AddStringToObject(b, "persona", persona);
	if (ways)
		cJSON_AddNumberToObject(b, "ways", (double)ways);
	if (cJSON_GetArraySize(variants) > 0)
		cJSON_AddItemToObject(b, "variants", variants);
	else
		cJSON_Delete(variants);
	return call_and_print(cli, "POST", &p, b, print_sling);
}
