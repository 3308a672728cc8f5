/*
 * gt.c - the gt command-line client: global options, the command table and the commands. Each
 * command is a thin entry point: parse its options, make one API call, print the result as text
 * or, with --json, as the API's own JSON.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "cli.h"

struct command {
	const char *name;
	int (*run)(struct cli *cli, int argc, char **argv);
	const char *usage;
};

int cli_fail(const struct cli *cli, int status, const cJSON *body, const char *transport_err)
{
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(body, "error");
	const char *code = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "code"));
	const char *msg = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "message"));
	const char *reason = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "reason"));

	if (status == 0)
		fprintf(stderr, "gt: cannot reach the town: %s\n", transport_err);
	else if (cli->json && body) {
		char *s = cJSON_PrintUnformatted(body);
		fprintf(stderr, "%s\n", s ? s : "");
		cJSON_free(s);
	}
	else if (code)
		fprintf(stderr, "gt: %s (%d %s%s%s)\n", msg ? msg : "request failed", status, code,
			reason ? ", " : "", reason ? reason : "");
	else
		fprintf(stderr, "gt: the server answered %d without a JSON error\n", status);
	if (status == 401 && cli->as_agent)
		fprintf(stderr, "gt: the agent token was refused; the host keeps $GASTOWN_AGENT_TOKEN_FILE fresh\n");
	else if (status == 401)
		fprintf(stderr, "gt: sign in with `gt login --dev` (local) or set GASTOWN_TOKEN\n");
	return 1;
}

/* GET a path and print its data: the JSON with --json, else through print_text. */
static int get_and_print(struct cli *cli, const char *path, void (*print_text)(const cJSON *data))
{
	char err[256] = "";
	cJSON *body = NULL;
	int status = http_call(cli, "GET", path, NULL, &body, err, sizeof err), rc = 0;

	if (status < 200 || status > 299) {
		rc = cli_fail(cli, status, body, err);
	} else if (cli->json) {
		char *s = cJSON_Print(cJSON_GetObjectItemCaseSensitive(body, "data"));
		printf("%s\n", s ? s : "null");
		cJSON_free(s);
	} else {
		print_text(cJSON_GetObjectItemCaseSensitive(body, "data"));
	}
	cJSON_Delete(body);
	return rc;
}

static const char *str(const cJSON *o, const char *k)
{
	const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, k));
	return s ? s : "";
}

static void print_health(const cJSON *d)
{
	printf("%s %s: %s (schema %d, SQLite %s, built with %s)\n", str(d, "engine"), str(d, "version"),
	       str(d, "status"), (int)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(d, "schema_version")),
	       str(d, "sqlite_version"), str(d, "built_with"));
}

static void print_me(const cJSON *d)
{
	printf("%s", str(d, "id"));
	if (*str(d, "name"))
		printf(" (%s)", str(d, "name"));
	if (*str(d, "email"))
		printf(" <%s>", str(d, "email"));
	printf("\n");
}

static int no_args(int argc, char **argv, const char *name)
{
	if (argc > 1) {
		fprintf(stderr, "gt %s: unexpected argument '%s'\n", name, argv[1]);
		return -1;
	}
	return 0;
}

static int cmd_health(struct cli *cli, int argc, char **argv)
{
	return no_args(argc, argv, "health") < 0 ? 2 : get_and_print(cli, "/health", print_health);
}

static int cmd_me(struct cli *cli, int argc, char **argv)
{
	return no_args(argc, argv, "me") < 0 ? 2 : get_and_print(cli, "/api/me", print_me);
}

/* dev-token and login --dev share the minting; login also saves the token. */
static int mint_dev(int argc, char **argv, const char *cmd, int save)
{
	static const struct option opts[] = {
		{"user", required_argument, 0, 'u'}, {"name", required_argument, 0, 'n'},
		{"email", required_argument, 0, 'e'}, {"ttl", required_argument, 0, 't'},
		{"dev", no_argument, 0, 'd'}, {0, 0, 0, 0},
	};
	const char *user = getenv("USER") ? getenv("USER") : "dev", *name = "", *email = "";
	char secret[512], token[4096], err[256];
	long ttl = 12 * 3600;
	int c, dev = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'u': user = optarg; break;
		case 'n': name = optarg; break;
		case 'e': email = optarg; break;
		case 'd': dev = 1; break;
		case 't':
			ttl = strtol(optarg, NULL, 10);
			if (ttl < 60 || ttl > 30L * 24 * 3600) {
				fprintf(stderr, "gt %s: --ttl must be from 60 to 2592000 seconds\n", cmd);
				return 2;
			}
			break;
		default:
			return 2;
		}
	}
	if (save && !dev) {
		fprintf(stderr, "gt login: only --dev sign-in exists so far (a local development token)\n");
		return 2;
	}
	if (token_dev_secret(secret, sizeof secret) < 0) {
		fprintf(stderr, "gt %s: no dev secret: run `make dev` in the project (it writes "
				".state/jwt-secret) or set GASTOWN_JWT_SECRET\n", cmd);
		return 1;
	}
	if (token_mint(secret, user, name, email, ttl, (long)time(NULL), token, sizeof token, err,
		       sizeof err) < 0) {
		fprintf(stderr, "gt %s: %s\n", cmd, err);
		return 1;
	}
	if (!save) {
		printf("%s\n", token);
		return 0;
	}
	if (token_save(token, err, sizeof err) < 0) {
		fprintf(stderr, "gt login: %s\n", err);
		return 1;
	}
	token_path(secret, sizeof secret);
	printf("signed in as %s (development token, valid %ld s, saved in %s)\n", user, ttl, secret);
	return 0;
}

static int cmd_dev_token(struct cli *cli, int argc, char **argv)
{
	(void)cli;
	return mint_dev(argc, argv, "dev-token", 0);
}

static int cmd_login(struct cli *cli, int argc, char **argv)
{
	(void)cli;
	return mint_dev(argc, argv, "login", 1);
}

static const struct command commands[] = {
	{"health", cmd_health, "health                 the town's engine, schema and SQLite versions"},
	{"me", cmd_me, "me                     who the town says you are"},
	{"login", cmd_login, "login --dev [--user ID] [--name N] [--email E] [--ttl S]\n"
			     "                         sign in locally with a development token"},
	{"dev-token", cmd_dev_token, "dev-token [--user ID] [--name N] [--email E] [--ttl S]\n"
				     "                         print a development token"},
	{"town", cmd_town, "town list | create ID [--name N] | show ID | delete ID"},
	{"rig", cmd_rig, "rig list | add ID GIT_URL [--branch B] [--merge direct|pr]"},
	{"bead", cmd_bead, "bead create TITLE [opts] | list [filters] | show ID | update ID [opts] | close ID"},
	{"convoy", cmd_convoy, "convoy list | show ID | create TITLE BEAD... [--series]"},
	{"mail", cmd_mail, "mail list | inbox [--unread] | send AGENT SUBJECT [BODY | --body TEXT]\n"
			   "                         (an agent reads and sends its own mail)"},
	{"feed", cmd_feed, "feed [--after SEQ]    the town's activity, with who acted for whom"},
	{"sling", cmd_sling, "sling BEAD [RIG]       hand a bead to the town's agents (on RIG, or its own rig)"},
	{"prime", cmd_prime, "prime                  (agent) my bead, rig, branch, requester and unread mail"},
	{"status", cmd_status, "status TEXT            (agent) tell the town what I am doing (1-280 characters)"},
	{"done", cmd_done, "done [--summary TEXT]  (polecat) push HEAD to origin as $GASTOWN_BRANCH, report the bead done"},
	{"escalate", cmd_escalate, "escalate low|medium|high|critical TITLE [--body TEXT] [--bead ID]\n"
				   "                         raise an escalation (an agent's is about its bead)"},
	{"costs", cmd_costs, "costs [--by user|rig|convoy|model|agent|bead|town] [--day|--week|--month|--all] [--date D]\n"
			     "                         what the town spent (today by default), in dollars and tokens"},
	{"budget", cmd_budget, "budget list | set SCOPE KEY DOLLARS [--soft PCT] | rm SCOPE KEY\n"
			       "                         spending limits: rig-day, convoy, user-day, user-week, town-month (KEY town)"},
	{"price", cmd_price, "price list | set MODEL IN OUT [CACHE_READ [CACHE_WRITE]] | rm MODEL\n"
			     "                         what a model costs, in dollars per million tokens"},
	{"fleet", cmd_fleet, "fleet [--org ORG] [--day|--week|--month] [--date D]\n"
			     "                         an organization's towns, people, rigs and teams: cost, velocity, rework"},
	{"team", cmd_team, "team set USER TEAM [--org ORG] | rm USER [--org ORG]\n"
			   "                         which team a member's work counts for in the fleet"},
	{"script", cmd_script, "script [--file PATH]   (agent) follow the ```gt-script block of my bead"},
};

static int usage(FILE *to)
{
	fprintf(to, "usage: gt [--url URL] [--town TOWN] [--org ORG] [--agent ID] [--json] <command> [options]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		fprintf(to, "  %s\n", commands[i].usage);
	fprintf(to, "\nThe server is $GASTOWN_URL (default http://127.0.0.1:8787), the town --town or "
		    "$GASTOWN_TOWN,\nthe organization --org or $GASTOWN_ORG; the token is $GASTOWN_TOKEN or the one "
		    "`gt login` saved.\nAn agent is --agent or $GASTOWN_AGENT, with the token in "
		    "$GASTOWN_AGENT_TOKEN_FILE (read on every call).\n");
	return to == stderr ? 2 : 0;
}

int main(int argc, char **argv)
{
	struct cli cli = {.url = getenv("GASTOWN_URL") ? getenv("GASTOWN_URL") : "http://127.0.0.1:8787",
			  .town = getenv("GASTOWN_TOWN"), .agent = getenv("GASTOWN_AGENT"),
			  .org = getenv("GASTOWN_ORG")};
	char url[2048];
	int i = 1, rc;

	/* Global options come before the command; the command parses the rest. */
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--json") == 0)
			cli.json = 1;
		else if (strcmp(argv[i], "--url") == 0 && i + 1 < argc)
			cli.url = argv[++i];
		else if (strcmp(argv[i], "--town") == 0 && i + 1 < argc)
			cli.town = argv[++i];
		else if (strcmp(argv[i], "--org") == 0 && i + 1 < argc)
			cli.org = argv[++i];
		else if (strcmp(argv[i], "--agent") == 0 && i + 1 < argc)
			cli.agent = argv[++i];
		else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return usage(stdout);
		else
			return usage(stderr);
	}
	if (i >= argc)
		return usage(stderr);
	snprintf(url, sizeof url, "%s", cli.url);
	if (url[0] && url[strlen(url) - 1] == '/')
		url[strlen(url) - 1] = '\0';
	cli.url = url;
	token_load(&cli);
	for (size_t k = 0; k < sizeof commands / sizeof commands[0]; k++) {
		if (strcmp(argv[i], commands[k].name) != 0)
			continue;
		/* --json may also follow the command: take it out before the command parses. */
		int n = i + 1;
		for (int j = i + 1; j < argc; j++) {
			if (strcmp(argv[j], "--json") == 0)
				cli.json = 1;
			else
				argv[n++] = argv[j];
		}
		argc = n;
		curl_global_init(CURL_GLOBAL_DEFAULT);
		rc = commands[k].run(&cli, argc - i, argv + i);
		curl_global_cleanup();
		return rc;
	}
	fprintf(stderr, "gt: unknown command '%s'\n", argv[i]);
	return usage(stderr);
}
