/*
 * town_cmds.c - gt's commands for what lives in a town: town, rig, bead, convoy, mail, feed. Each
 * builds one request, sends it with http.c and prints the answer (text, or the data with --json).
 * The town is --town (a global option) or $GASTOWN_TOWN.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char *str(const cJSON *o, const char *k)
{
	const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, k));
	return s ? s : "";
}

/* One request; prints with text() or as JSON; returns the exit status. body is consumed. */
static int request(struct cli *cli, const char *method, const char *path, cJSON *body,
		   void (*text)(const cJSON *data))
{
	char err[256] = "", *payload = body ? cJSON_PrintUnformatted(body) : NULL;
	cJSON *res = NULL;
	int status = http_call(cli, method, path, payload, &res, err, sizeof err), rc = 0;
	const cJSON *data = cJSON_GetObjectItemCaseSensitive(res, "data");

	cJSON_Delete(body);
	cJSON_free(payload);
	if (status < 200 || status > 299) {
		rc = cli_fail(cli, status, res, err);
	} else if (cli->json) {
		char *s = cJSON_Print(data);
		printf("%s\n", s ? s : "null");
		cJSON_free(s);
	} else if (text) {
		text(data);
	}
	cJSON_Delete(res);
	return rc;
}

static int need_town(struct cli *cli)
{
	if (!cli->town || !*cli->town) {
		fprintf(stderr, "gt: which town? pass --town ID or set GASTOWN_TOWN\n");
		return -1;
	}
	return 0;
}

static int usage_error(const char *usage)
{
	fprintf(stderr, "usage: gt %s\n", usage);
	return 2;
}

/* ---- printers ------------------------------------------------------------------------------------ */

static void print_town(const cJSON *t)
{
	printf("%s  %s  (%s, owner %s:%s)\n", str(t, "id"), str(t, "name"), str(t, "role"),
	       str(cJSON_GetObjectItemCaseSensitive(t, "owner"), "kind"),
	       str(cJSON_GetObjectItemCaseSensitive(t, "owner"), "id"));
}

static void print_towns(const cJSON *list)
{
	const cJSON *t;

	if (cJSON_GetArraySize(list) == 0)
		printf("no towns yet: gt town create ID --name NAME\n");
	cJSON_ArrayForEach(t, list)
		print_town(t);
}

static void print_rig(const cJSON *r)
{
	printf("%-16s %s (%s, %s, up to %d polecats)\n", str(r, "id"), str(r, "git_url"), str(r, "default_branch"),
	       str(r, "merge_strategy"), (int)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(r, "max_polecats")));
}

static void print_rigs(const cJSON *list)
{
	const cJSON *r;

	cJSON_ArrayForEach(r, list)
		print_rig(r);
}

static void print_bead(const cJSON *b)
{
	printf("%-10s %-11s P%d %-8s %s", str(b, "id"), str(b, "status"),
	       (int)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(b, "priority")), str(b, "type"),
	       str(b, "title"));
	if (*str(b, "assignee"))
		printf("  @%s", str(b, "assignee"));
	if (*str(b, "rig"))
		printf("  [%s]", str(b, "rig"));
	printf("\n");
}

static void print_bead_page(const cJSON *page)
{
	const cJSON *b, *next = cJSON_GetObjectItemCaseSensitive(page, "next_cursor");

	cJSON_ArrayForEach(b, cJSON_GetObjectItemCaseSensitive(page, "beads"))
		print_bead(b);
	if (cJSON_IsNumber(next))
		printf("(more: --cursor %.0f)\n", next->valuedouble);
}

static void print_bead_detail(const cJSON *b)
{
	const cJSON *d;

	print_bead(b);
	printf("  requested by %s, created by %s\n", str(b, "requested_by"), str(b, "created_by"));
	if (*str(b, "body"))
		printf("\n%s\n", str(b, "body"));
	cJSON_ArrayForEach(d, cJSON_GetObjectItemCaseSensitive(b, "deps"))
		printf("  %s %s (%s)\n", str(d, "kind"), str(d, "id"), str(d, "status"));
}

static void print_convoy(const cJSON *v)
{
	const cJSON *p = cJSON_GetObjectItemCaseSensitive(v, "progress"), *b;

	printf("%s  %s  %s, %s, %d/%d closed\n", str(v, "id"), str(v, "title"), str(v, "mode"), str(v, "state"),
	       (int)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(p, "closed")),
	       (int)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(p, "total")));
	cJSON_ArrayForEach(b, cJSON_GetObjectItemCaseSensitive(v, "beads"))
		printf("  %-10s %-11s %s\n", str(b, "id"), str(b, "status"), str(b, "title"));
}

static void print_convoys(const cJSON *list)
{
	const cJSON *v;

	cJSON_ArrayForEach(v, list)
		print_convoy(v);
}

static void print_mail(const cJSON *list)
{
	const cJSON *m;

	cJSON_ArrayForEach(m, list)
		printf("%s  %s:%s -> %s  %s\n", str(m, "id"), str(cJSON_GetObjectItemCaseSensitive(m, "from"), "kind"),
		       str(cJSON_GetObjectItemCaseSensitive(m, "from"), "id"), str(m, "to"), str(m, "subject"));
}

static void print_sent(const cJSON *d)
{
	printf("sent %s to %s\n", str(d, "id"), str(d, "to"));
}

static void print_feed(const cJSON *page)
{
	const cJSON *e;

	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(page, "events")) {
		printf("#%.0f %-20s %-12s by %s", cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(e, "seq")),
		       str(e, "kind"), str(e, "subject"), str(e, "actor"));
		if (strcmp(str(e, "actor"), str(e, "requested_by")) != 0)
			printf(" for %s", str(e, "requested_by"));
		if (*str(e, "field"))
			printf("  %s: %s -> %s", str(e, "field"), *str(e, "old") ? str(e, "old") : "-", str(e, "new"));
		printf("\n");
	}
}

static void print_done(const cJSON *d)
{
	(void)d;
	printf("done\n");
}

/* ---- commands ------------------------------------------------------------------------------------ */

int cmd_town(struct cli *cli, int argc, char **argv)
{
	char path[512];

	if (argc >= 2 && strcmp(argv[1], "list") == 0)
		return request(cli, "GET", "/api/me/towns", NULL, print_towns);
	if (argc >= 3 && strcmp(argv[1], "create") == 0) {
		cJSON *b = cJSON_CreateObject();
		const char *name = argc >= 5 && strcmp(argv[3], "--name") == 0 ? argv[4] : argv[2];

		cJSON_AddStringToObject(b, "name", name);
		snprintf(path, sizeof path, "/api/towns/%s", argv[2]);
		return request(cli, "POST", path, b, print_town);
	}
	if (argc == 3 && (strcmp(argv[1], "show") == 0 || strcmp(argv[1], "delete") == 0)) {
		snprintf(path, sizeof path, "/api/towns/%s", argv[2]);
		return request(cli, argv[1][0] == 's' ? "GET" : "DELETE", path, NULL,
			       argv[1][0] == 's' ? print_town : print_done);
	}
	return usage_error("town list | create ID [--name NAME] | show ID | delete ID");
}

int cmd_rig(struct cli *cli, int argc, char **argv)
{
	char path[512];

	if (need_town(cli) < 0)
		return 2;
	snprintf(path, sizeof path, "/api/towns/%s/rigs", cli->town);
	if (argc >= 2 && strcmp(argv[1], "list") == 0)
		return request(cli, "GET", path, NULL, print_rigs);
	if (argc >= 4 && strcmp(argv[1], "add") == 0) {
		cJSON *b = cJSON_CreateObject();

		cJSON_AddStringToObject(b, "id", argv[2]);
		cJSON_AddStringToObject(b, "git_url", argv[3]);
		for (int i = 4; i + 1 < argc; i += 2) {
			if (strcmp(argv[i], "--branch") == 0)
				cJSON_AddStringToObject(b, "default_branch", argv[i + 1]);
			else if (strcmp(argv[i], "--merge") == 0)
				cJSON_AddStringToObject(b, "merge_strategy", argv[i + 1]);
		}
		return request(cli, "POST", path, b, print_rig);
	}
	return usage_error("--town T rig list | add ID GIT_URL [--branch B] [--merge direct|pr]");
}

/* Options shared by bead create and update; argv starts after the positional arguments. */
static int bead_options(cJSON *b, int argc, char **argv, int i)
{
	cJSON *labels = NULL;

	for (; i < argc; i++) {
		const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!v) {
			fprintf(stderr, "gt bead: %s needs a value\n", o);
			return -1;
		}
		if (strcmp(o, "--type") == 0 || strcmp(o, "--status") == 0 || strcmp(o, "--rig") == 0 ||
		    strcmp(o, "--title") == 0 || strcmp(o, "--body") == 0 || strcmp(o, "--assignee") == 0 ||
		    strcmp(o, "--parent") == 0)
			cJSON_AddStringToObject(b, o + 2, v);
		else if (strcmp(o, "--priority") == 0)
			cJSON_AddNumberToObject(b, "priority", strtol(v, NULL, 10));
		else if (strcmp(o, "--label") == 0) {
			if (!labels)
				labels = cJSON_AddArrayToObject(b, "labels");
			cJSON_AddItemToArray(labels, cJSON_CreateString(v));
		} else {
			fprintf(stderr, "gt bead: unknown option %s\n", o);
			return -1;
		}
		i++;
	}
	return 0;
}

int cmd_bead(struct cli *cli, int argc, char **argv)
{
	char path[1024], q[512] = "";

	if (need_town(cli) < 0)
		return 2;
	if (argc >= 3 && strcmp(argv[1], "create") == 0) {
		cJSON *b = cJSON_CreateObject();

		cJSON_AddStringToObject(b, "title", argv[2]);
		if (bead_options(b, argc, argv, 3) < 0) {
			cJSON_Delete(b);
			return 2;
		}
		snprintf(path, sizeof path, "/api/towns/%s/beads", cli->town);
		return request(cli, "POST", path, b, print_bead);
	}
	if (argc >= 2 && strcmp(argv[1], "list") == 0) {
		for (int i = 2; i < argc; i++) {
			size_t n = strlen(q);

			if (strcmp(argv[i], "--ready") == 0)
				snprintf(q + n, sizeof q - n, "%sready=true", n ? "&" : "?");
			else if (i + 1 < argc && strncmp(argv[i], "--", 2) == 0) {
				snprintf(q + n, sizeof q - n, "%s%s=%s", n ? "&" : "?", argv[i] + 2, argv[i + 1]);
				i++;
			} else
				return usage_error("--town T bead list [--status S] [--label L] [--assignee A] [--ready] [--limit N] [--cursor C]");
		}
		snprintf(path, sizeof path, "/api/towns/%s/beads%s", cli->town, q);
		return request(cli, "GET", path, NULL, print_bead_page);
	}
	if (argc == 3 && strcmp(argv[1], "show") == 0) {
		snprintf(path, sizeof path, "/api/towns/%s/beads/%s", cli->town, argv[2]);
		return request(cli, "GET", path, NULL, print_bead_detail);
	}
	if (argc >= 3 && strcmp(argv[1], "update") == 0) {
		cJSON *b = cJSON_CreateObject();

		if (bead_options(b, argc, argv, 3) < 0) {
			cJSON_Delete(b);
			return 2;
		}
		snprintf(path, sizeof path, "/api/towns/%s/beads/%s", cli->town, argv[2]);
		return request(cli, "PATCH", path, b, print_bead);
	}
	if (argc >= 3 && strcmp(argv[1], "close") == 0) {
		cJSON *b = cJSON_CreateObject();

		if (argc >= 5 && strcmp(argv[3], "--reason") == 0)
			cJSON_AddStringToObject(b, "reason", argv[4]);
		snprintf(path, sizeof path, "/api/towns/%s/beads/%s/close", cli->town, argv[2]);
		return request(cli, "POST", path, b, print_bead);
	}
	return usage_error("--town T bead create TITLE [--type T] [--priority 0-4] [--rig R] [--label L]...\n"
			   "       gt --town T bead list [filters] | show ID | update ID [--status S] [--title T]... | close ID [--reason R]");
}

int cmd_convoy(struct cli *cli, int argc, char **argv)
{
	char path[512];

	if (need_town(cli) < 0)
		return 2;
	snprintf(path, sizeof path, "/api/towns/%s/convoys", cli->town);
	if (argc >= 2 && strcmp(argv[1], "list") == 0)
		return request(cli, "GET", path, NULL, print_convoys);
	if (argc == 3 && strcmp(argv[1], "show") == 0) {
		snprintf(path + strlen(path), sizeof path - strlen(path), "/%s", argv[2]);
		return request(cli, "GET", path, NULL, print_convoy);
	}
	if (argc >= 4 && strcmp(argv[1], "create") == 0) {
		cJSON *b = cJSON_CreateObject(), *beads = cJSON_AddArrayToObject(b, "beads");

		cJSON_AddStringToObject(b, "title", argv[2]);
		for (int i = 3; i < argc; i++) {
			if (strcmp(argv[i], "--series") == 0)
				cJSON_AddStringToObject(b, "mode", "series");
			else
				cJSON_AddItemToArray(beads, cJSON_CreateString(argv[i]));
		}
		return request(cli, "POST", path, b, print_convoy);
	}
	return usage_error("--town T convoy list | show ID | create TITLE BEAD... [--series]");
}

int cmd_mail(struct cli *cli, int argc, char **argv)
{
	char path[512];

	/* An agent's mail is its own, under /agents/:agent/mail (agent_cmds.c). */
	if (cli->as_agent)
		return agent_mail(cli, argc, argv);
	if (need_town(cli) < 0)
		return 2;
	snprintf(path, sizeof path, "/api/towns/%s/mail", cli->town);
	if (argc >= 2 && (strcmp(argv[1], "list") == 0 || strcmp(argv[1], "inbox") == 0))
		return request(cli, "GET", path, NULL, print_mail);
	if (argc >= 4 && strcmp(argv[1], "send") == 0) {
		cJSON *b = cJSON_CreateObject();

		cJSON_AddStringToObject(b, "to", argv[2]);
		cJSON_AddStringToObject(b, "subject", argv[3]);
		if (argc >= 6 && strcmp(argv[4], "--body") == 0)
			cJSON_AddStringToObject(b, "body", argv[5]);
		else if (argc == 5)
			cJSON_AddStringToObject(b, "body", argv[4]);
		return request(cli, "POST", path, b, print_sent);
	}
	return usage_error("--town T mail list | send AGENT SUBJECT [BODY | --body TEXT]");
}

int cmd_feed(struct cli *cli, int argc, char **argv)
{
	char path[512];
	long after = 0;

	if (need_town(cli) < 0)
		return 2;
	if (argc >= 3 && strcmp(argv[1], "--after") == 0)
		after = strtol(argv[2], NULL, 10);
	else if (argc > 1)
		return usage_error("--town T feed [--after SEQ]");
	snprintf(path, sizeof path, "/api/towns/%s/events?after=%ld", cli->town, after);
	return request(cli, "GET", path, NULL, print_feed);
}
