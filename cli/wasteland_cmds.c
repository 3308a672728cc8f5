/*
 * wasteland_cmds.c - `gt wasteland`: the town in the Wasteland (docs/wasteland.md). Show the
 * connection and how far the sync is, connect the town to a DoltHub database, sync now (or replay
 * every bead on the board), disconnect. The token is read from a file or stdin, never from argv,
 * and never printed. The rules (admins connect, members read) are the town's; gt only asks.
 * Exit status: 0 done, 1 the town refused or could not be reached, 2 a usage error.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define TOKEN_MAX 1024 /* the route's limit */

enum { W_HANDLE = 0x101, W_NAME, W_API_URL, W_CADENCE, W_TIMEOUT, W_CREATE, W_TOKEN_FILE, W_TOKEN_STDIN, W_REPLAY,
       W_RIG };

static const char *str(const cJSON *o, const char *k)
{
	const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, k));
	return s ? s : "";
}

static double num(const cJSON *o, const char *k)
{
	return cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(o, k));
}

static int wl_path(const struct cli *cli, struct http_path *p, const char *tail)
{
	if (cli_need_town(cli) < 0)
		return -1;
	http_path_lit(p, "/api/towns/");
	http_path_seg(p, cli->town);
	http_path_lit(p, "/wasteland");
	http_path_lit(p, tail);
	return 0;
}

static void print_status(const cJSON *d)
{
	const cJSON *full = cJSON_GetObjectItemCaseSensitive(d, "full_sync");

	printf("%s/%s as %s (%s)\n", str(d, "owner"), str(d, "database"), str(d, "handle"), str(d, "display_name"));
	printf("  %-10s %s", "state", str(d, "state"));
	if (!strcmp(str(d, "state"), "schema"))
		printf(" (%.0f of %.0f statements)", num(d, "schema_step"), num(d, "schema_total"));
	printf("\n  %-10s %.0f queued, %.0f written, %.0f beads on the board\n", "sync", num(d, "queued"), num(d, "writes"),
	       num(d, "posted"));
	if (*str(d, "last_error"))
		printf("  %-10s %s (%.0f failures in a row)\n", "error", str(d, "last_error"), num(d, "failures"));
	/* The latest full sync: running (the queue waits for its handover) or when it handed over. */
	if (cJSON_IsObject(full)) {
		int running = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(full, "running"));

		printf("  %-10s %s: %.0f of %.0f beads, %.0f write%s\n", "full sync", running ? "running" : "done",
		       num(full, "paged"), num(full, "total"), num(full, "writes"), num(full, "writes") == 1 ? "" : "s");
		if (*str(full, "last_error"))
			printf("  %-10s %s\n", "", str(full, "last_error"));
	}
	printf("  %-10s every %.0f s, %s\n", "cadence", num(d, "cadence_s"), str(d, "api_url"));
	printf("  %-10s %s\n", "token", cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(d, "token_set")) ? "set" : "not set");
}

static const struct usage wasteland_usage = {
	"wasteland", NULL,
	"The town in the Wasteland: beads labelled `wasteland` are published as wanted posters, with\n"
	"their completions, to a commons on DoltHub (docs/wasteland.md). Members read the connection;\n"
	"admins change it. `gt wasteland` alone shows it.\n",
};

static const struct usage status_usage = {
	"wasteland status", "[--town TOWN] wasteland [status]",
	"The database, the town's handle, how far the sync is (queued, written), the last error, and\n"
	"the latest full sync (beads written of those on the board).\n",
};

static const struct usage connect_usage = {
	"wasteland connect",
	"[--town TOWN] wasteland connect OWNER/DATABASE --handle HANDLE (--token-file F | --token-stdin) [options]",
	"Connect the town to a DoltHub database (admins), or change the connection. The token is read\n"
	"from a file or stdin (one line), never from the command line; it is required the first time.\n"
	"  --handle HANDLE    the town's rig handle in the commons (its agents: HANDLE-AGENT)\n"
	"  --name NAME        the rig's display name\n"
	"  --create           make the database through DoltHub's API first\n"
	"  --api-url URL      DoltHub's API (default https://www.dolthub.com/api/v1alpha1)\n"
	"  --cadence SECONDS  how long a change may wait before it is written (default 300)\n"
	"  --timeout SECONDS  how long one call to DoltHub may take (default 30)\n",
};

static const struct usage sync_usage = {
	"wasteland sync", "[--town TOWN] wasteland sync [--replay]",
	"Write now (admins), without waiting for the cadence or a backoff.\n"
	"  --replay   queue every bead on the board again first (an equal commons stays equal)\n",
};

static const struct usage disconnect_usage = {
	"wasteland disconnect", "[--town TOWN] wasteland disconnect",
	"Stop publishing (admins): the queue and the token go; the commons keeps what it was sent.\n",
};

static int wl_status(struct cli *cli, int argc, char **argv)
{
	struct http_path p = {0};
	struct opt o;
	int rc = opt_plain(&o, cli, &status_usage, 0, 0, argc, argv);

	if (rc >= 0)
		return rc;
	return wl_path(cli, &p, "") < 0 ? 2 : cli_call_print(cli, "GET", &p, NULL, print_status);
}

/* One line of token from path (NULL: stdin) into out; 0, or -1 with the reason printed. */
static int read_token(const char *path, char *out, size_t len)
{
	FILE *f = path ? fopen(path, "rb") : stdin;
	size_t n;

	if (!f) {
		fprintf(stderr, "gt wasteland connect: cannot read '%s': %s\n", path, strerror(errno));
		return -1;
	}
	n = fgets(out, (int)len, f) ? strlen(out) : 0;
	if (path)
		fclose(f);
	while (n && (out[n - 1] == '\n' || out[n - 1] == '\r'))
		out[--n] = '\0';
	if (!n || n > TOKEN_MAX) {
		explicit_bzero(out, len);
		fprintf(stderr, "gt wasteland connect: the token is %s\n", n ? "longer than 1024 bytes" : "empty");
		return -1;
	}
	return 0;
}

static int wl_connect(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"handle", required_argument, 0, W_HANDLE}, {"name", required_argument, 0, W_NAME},
		{"api-url", required_argument, 0, W_API_URL}, {"cadence", required_argument, 0, W_CADENCE},
		{"timeout", required_argument, 0, W_TIMEOUT}, {"create", no_argument, 0, W_CREATE},
		{"token-file", required_argument, 0, W_TOKEN_FILE}, {"token-stdin", no_argument, 0, W_TOKEN_STDIN},
		{0, 0, 0, 0},
	};
	const struct usage *u = &connect_usage;
	const char *token_path = NULL, *slash;
	char token[TOKEN_MAX + 4], owner[128];
	cJSON *body = cJSON_CreateObject();
	struct http_path p = {0};
	int c, from_stdin = 0, rc = -1;
	long v;
	struct opt o;

	opt_init(&o, cli, u, NULL, opts, argc, argv);
	while (rc < 0 && (c = opt_next(&o)) != -1) {
		if (c < 0)
			rc = OPT_EXIT(c);
		else if (c == W_HANDLE || c == W_NAME || c == W_API_URL)
			cJSON_AddStringToObject(body, c == W_HANDLE ? "handle" : c == W_NAME ? "display_name" : "api_url", optarg);
		else if (c == W_CADENCE || c == W_TIMEOUT)
			rc = opt_long(u, c == W_CADENCE ? "--cadence" : "--timeout", optarg, 1, c == W_CADENCE ? 86400 : 120, &v) < 0
				     ? 2 : (cJSON_AddNumberToObject(body, c == W_CADENCE ? "cadence_s" : "timeout_s", (double)v), -1);
		else if (c == W_CREATE)
			cJSON_AddTrueToObject(body, "create");
		else if (c == W_TOKEN_FILE)
			token_path = optarg;
		else if (c == W_TOKEN_STDIN)
			from_stdin = 1;
		else
			rc = 2;
	}
	if (rc < 0 && opt_operands(&o, 1, 1) < 0)
		rc = 2;
	if (rc < 0 && (!(slash = strchr(o.pos[0], '/')) || slash == o.pos[0] || !slash[1] ||
		       (size_t)(slash - o.pos[0]) >= sizeof owner))
		rc = opt_fail(u, "'%s' is not OWNER/DATABASE", o.pos[0]);
	if (rc < 0 && !cJSON_GetObjectItemCaseSensitive(body, "handle"))
		rc = opt_fail(u, "--handle is required: the town's rig handle in the commons");
	if (rc < 0 && token_path && from_stdin)
		rc = opt_fail(u, "--token-file and --token-stdin: one or the other");
	if (rc >= 0) {
		cJSON_Delete(body);
		return rc;
	}
	snprintf(owner, sizeof owner, "%.*s", (int)(slash - o.pos[0]), o.pos[0]);
	cJSON_AddStringToObject(body, "owner", owner);
	cJSON_AddStringToObject(body, "database", slash + 1);
	if (token_path || from_stdin) {
		if (read_token(token_path, token, sizeof token) < 0) {
			cJSON_Delete(body);
			return 1;
		}
		cJSON_AddStringToObject(body, "token", token);
		explicit_bzero(token, sizeof token);
	}
	if (wl_path(cli, &p, "") < 0) {
		cli_wipe_strings(body);
		cJSON_Delete(body);
		return 2;
	}
	return cli_call_print(cli, "PUT", &p, body, print_status);
}

static int wl_sync(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {{"replay", no_argument, 0, W_REPLAY}, {0, 0, 0, 0}};
	struct http_path p = {0};
	int c, replay = 0;
	struct opt o;

	opt_init(&o, cli, &sync_usage, NULL, opts, argc, argv);
	while ((c = opt_next(&o)) != -1) {
		if (c < 0)
			return OPT_EXIT(c);
		replay = c == W_REPLAY ? 1 : replay;
	}
	if (opt_operands(&o, 0, 0) < 0 || wl_path(cli, &p, replay ? "/sync?replay=true" : "/sync") < 0)
		return 2;
	return cli_call_print(cli, "POST", &p, NULL, print_status);
}

static void print_gone(const cJSON *d)
{
	(void)d;
	printf("disconnected: the town no longer publishes to the Wasteland\n");
}

static int wl_disconnect(struct cli *cli, int argc, char **argv)
{
	struct http_path p = {0};
	struct opt o;
	int rc = opt_plain(&o, cli, &disconnect_usage, 0, 0, argc, argv);

	if (rc >= 0)
		return rc;
	return wl_path(cli, &p, "") < 0 ? 2 : cli_call_print(cli, "DELETE", &p, NULL, print_gone);
}

static const struct usage wanted_usage = {
	"wasteland wanted", "[--town TOWN] wasteland wanted",
	"Other towns' open posters on the board, most urgent first, as last read from the commons; and\n"
	"those claimed here, with their bead.\n",
};

static const struct usage claim_usage = {
	"wasteland claim", "[--town TOWN] wasteland claim POSTER [--rig RIG]",
	"Claim another town's poster (members): it becomes a bead of this town (in RIG), and the commons\n"
	"is told it is claimed with the next sync; done, the town writes its completion.\n",
};

static void print_poster(const cJSON *p)
{
	printf("%-14s P%.0f %-8s %-40.40s  by %s", str(p, "id"), num(p, "priority"), str(p, "type"), str(p, "title"),
	       str(p, "posted_by"));
	if (*str(p, "bead"))
		printf("  claimed as %s", str(p, "bead"));
	printf("\n");
}

static void print_board(const cJSON *d)
{
	const cJSON *p, *posters = cJSON_GetObjectItemCaseSensitive(d, "posters");

	cJSON_ArrayForEach(p, posters)
		print_poster(p);
	if (!cJSON_GetArraySize(posters))
		printf("no open posters on the board%s\n", cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(d, "read_ms"))
								 ? "" : " (not read yet)");
}

static int wl_wanted(struct cli *cli, int argc, char **argv)
{
	struct http_path p = {0};
	struct opt o;
	int rc = opt_plain(&o, cli, &wanted_usage, 0, 0, argc, argv);

	if (rc >= 0)
		return rc;
	return wl_path(cli, &p, "/wanted") < 0 ? 2 : cli_call_print(cli, "GET", &p, NULL, print_board);
}

static void print_claimed(const cJSON *b)
{
	printf("%s %s\n", str(b, "id"), str(b, "title"));
}

static int wl_claim(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {{"rig", required_argument, 0, W_RIG}, {0, 0, 0, 0}};
	struct http_path p = {0};
	cJSON *body = cJSON_CreateObject();
	struct opt o;
	int c;

	opt_init(&o, cli, &claim_usage, NULL, opts, argc, argv);
	while ((c = opt_next(&o)) != -1) {
		if (c < 0 || c != W_RIG) {
			cJSON_Delete(body);
			return c < 0 ? OPT_EXIT(c) : 2;
		}
		cJSON_DeleteItemFromObjectCaseSensitive(body, "rig");
		cJSON_AddStringToObject(body, "rig", optarg);
	}
	if (opt_operands(&o, 1, 1) < 0 || wl_path(cli, &p, "/wanted/") < 0) {
		cJSON_Delete(body);
		return 2;
	}
	http_path_seg(&p, o.pos[0]);
	http_path_lit(&p, "/claim");
	return cli_call_print(cli, "POST", &p, body, print_claimed);
}

int cmd_wasteland(struct cli *cli, int argc, char **argv)
{
	static const struct subcommand subs[] = {
		{"status", wl_status, &status_usage},
		{"connect", wl_connect, &connect_usage},
		{"sync", wl_sync, &sync_usage},
		{"disconnect", wl_disconnect, &disconnect_usage},
		{"wanted", wl_wanted, &wanted_usage},
		{"claim", wl_claim, &claim_usage},
	};

	/* `gt wasteland` alone shows the connection. */
	if (argc < 2)
		return wl_status(cli, argc, argv);
	return opt_dispatch(cli, &wasteland_usage, subs, sizeof subs / sizeof subs[0], argc, argv);
}
