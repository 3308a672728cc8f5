/*
 * gt.c - the gt command-line client: global options, the command table, help, and the commands
 * that need no town (health, me, login, dev-token). Each command is a thin entry point: parse its
 * options (opt.c), make one API call, print the result as text or, with --json, as the API's own
 * JSON. Exit status: 0 done, 1 the town refused or could not be reached, 2 a usage error.
 */
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "cli.h"
#include "auth/auth.h" /* id_valid, user_id_valid: the engine's own rules for ids */

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
	struct http_path p = {0};

	http_path_lit(&p, path);
	return cli_call_print(cli, "GET", &p, NULL, print_text);
}

static const char *str(const cJSON *o, const char *k)
{
	const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, k));
	return s ? s : "";
}

static void print_health(const cJSON *d)
{
	printf("%s %s: %s (schema %d, SQLite %s, built with %s)\n", str(d, "engine"), str(d, "version"),
	       str(d, "status"), cli_int(d, "schema_version"),
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

static const struct usage health_usage = {
	"health", "health",
	"The town's engine, its schema and SQLite versions. Needs no sign-in.\n",
};

static const struct usage me_usage = {
	"me", "me",
	"Who the town says you are: your user id, name and email, from your token.\n",
};

static int cmd_health(struct cli *cli, int argc, char **argv)
{
	struct opt o;
	int rc = opt_plain(&o, cli, &health_usage, 0, 0, argc, argv);

	return rc >= 0 ? rc : get_and_print(cli, "/health", print_health);
}

static int cmd_me(struct cli *cli, int argc, char **argv)
{
	struct opt o;
	int rc = opt_plain(&o, cli, &me_usage, 0, 0, argc, argv);

	return rc >= 0 ? rc : get_and_print(cli, "/api/me", print_me);
}

static const struct usage login_usage = {
	"login", "login --dev [--user ID] [--name NAME] [--email EMAIL] [--ttl SECONDS]",
	"Sign in to a local town (make dev) with a development token, saved for later commands in\n"
	"$XDG_CONFIG_HOME/gastown/token (else ~/.config/gastown/token). The token is signed with\n"
	"$GASTOWN_JWT_SECRET, else .state/jwt-secret that make dev writes.\n"
	"\n"
	"  --dev            a development token (the only sign-in so far)\n"
	"  --user ID        your user id; default $USER, else your login name\n"
	"  --name NAME      your name, as commits and the dashboard show it\n"
	"  --email EMAIL    your email, for commit trailers\n"
	"  --ttl SECONDS    how long the token lasts, 60 to 86400 (default 43200, 12 hours)\n",
};

static const struct usage dev_token_usage = {
	"dev-token", "dev-token [--user ID] [--name NAME] [--email EMAIL] [--ttl SECONDS]",
	"Print a development token (for curl, or to paste into the dashboard); nothing is saved.\n"
	"\n"
	"  --user ID        the token's user id; default $USER, else your login name\n"
	"  --name NAME      the user's name\n"
	"  --email EMAIL    the user's email\n"
	"  --ttl SECONDS    how long the token lasts, 60 to 86400 (default 43200, 12 hours)\n",
};

/* The default user: $USER, else the login name of the effective uid (a root shell often has no
 * $USER), else "dev". */
static const char *default_user(void)
{
	const char *env = getenv("USER");
	const struct passwd *pw;

	if (env && *env)
		return env;
	pw = getpwuid(geteuid());
	return pw && pw->pw_name && *pw->pw_name ? pw->pw_name : "dev";
}

/* dev-token and login --dev share the minting; login also saves the token. */
static int mint_dev(struct cli *cli, const struct usage *u, int argc, char **argv, int save)
{
	static const struct option opts[] = {
		{"user", required_argument, 0, 'u'}, {"name", required_argument, 0, 'n'},
		{"email", required_argument, 0, 'e'}, {"ttl", required_argument, 0, 't'},
		{"dev", no_argument, 0, 'd'}, {0, 0, 0, 0},
	};
	const char *user = NULL, *name = "", *email = "";
	char secret[512], token[4096], err[256];
	long ttl = 12 * 3600;
	int c, dev = 0;
	struct opt o;

	opt_init(&o, cli, u, NULL, opts, argc, argv);
	while ((c = opt_next(&o)) != -1) {
		switch (c) {
		case 'u': user = optarg; break;
		case 'n': name = optarg; break;
		case 'e': email = optarg; break;
		case 'd': dev = 1; break;
		case 't':
			if (strspn(optarg, "0123456789") != strlen(optarg) || !*optarg || strlen(optarg) > 9 ||
			    (ttl = strtol(optarg, NULL, 10)) < 60 || ttl > ENG_TOKEN_LIFETIME_MAX_S)
				return opt_fail(u, "--ttl must be from 60 to 86400 seconds (a day: the town takes no longer-lived token), not '%s'", optarg);
			break;
		default:
			return OPT_EXIT(c);
		}
	}
	if (opt_operands(&o, 0, 0) < 0)
		return 2;
	if (save && !dev)
		return opt_fail(u, "only --dev sign-in exists so far (a local development token)");
	if (!user)
		user = default_user();
	if (!user_id_valid(user))
		return opt_fail(u, "'%s' is not a valid user id (1-128 printable ASCII characters, no space or '/')",
				user);
	if (token_dev_secret(secret, sizeof secret) < 0) {
		fprintf(stderr, "gt %s: no dev secret: run `make dev` in the project (it writes "
				".state/jwt-secret) or set GASTOWN_JWT_SECRET\n", u->name);
		return 1;
	}
	if (token_mint(secret, user, name, email, ttl, (long)time(NULL), token, sizeof token, err,
		       sizeof err) < 0) {
		fprintf(stderr, "gt %s: %s\n", u->name, err);
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
	return mint_dev(cli, &dev_token_usage, argc, argv, 0);
}

static int cmd_login(struct cli *cli, int argc, char **argv)
{
	return mint_dev(cli, &login_usage, argc, argv, 1);
}

int cli_need_town(const struct cli *cli)
{
	if (!cli->town || !*cli->town) {
		fprintf(stderr, "gt: which town? pass --town ID or set GASTOWN_TOWN\n");
		return -1;
	}
	/* The engine's own rule: a bad id is a typo to name, not a town that cannot be reached. */
	if (!id_valid(cli->town)) {
		fprintf(stderr, "gt: '%s' is not a valid town id (1-64 of a-z A-Z 0-9 _ -, not starting "
				"with -): check --town or GASTOWN_TOWN\n", cli->town);
		return -1;
	}
	return 0;
}

int cli_need_org(const struct cli *cli, const char *org)
{
	if (!org)
		org = cli->org;
	if (!org || !*org) {
		fprintf(stderr, "gt: which organization? pass --org ID or set GASTOWN_ORG\n");
		return -1;
	}
	if (!id_valid(org)) {
		fprintf(stderr, "gt: '%s' is not a valid organization id (1-64 of a-z A-Z 0-9 _ -, not "
				"starting with -): check --org or GASTOWN_ORG\n", org);
		return -1;
	}
	return 0;
}

static int cmd_help(struct cli *cli, int argc, char **argv);

static const struct command commands[] = {
	{"health", cmd_health, "health                 the town's engine, schema and SQLite versions"},
	{"me", cmd_me, "me                     who the town says you are"},
	{"login", cmd_login, "login --dev [--user ID] [--name N] [--email E] [--ttl S]\n"
			     "                         sign in locally with a development token"},
	{"dev-token", cmd_dev_token, "dev-token [--user ID] [--name N] [--email E] [--ttl S]\n"
				     "                         print a development token"},
	{"town", cmd_town, "town list | create ID [--name N] | show ID | delete ID"},
	{"rig", cmd_rig, "rig list | add ID GIT_URL [--branch B] [--merge direct|pr]"},
	{"bead", cmd_bead, "bead create TITLE [opts] | list [filters] | show ID | update ID [opts] | close ID\n"
			   "                         (a bead filed with --rig is held until `gt sling`)"},
	{"convoy", cmd_convoy, "convoy list | show ID | create TITLE BEAD... [--series] | mode ID series|fan-out"},
	{"mail", cmd_mail, "mail list | inbox [--unread] | send AGENT SUBJECT [BODY | --body TEXT]\n"
			   "                         (an agent reads and sends its own mail)"},
	{"feed", cmd_feed, "feed [--after SEQ] [--follow]   the town's activity, with who acted for whom"},
	{"sling", cmd_sling, "sling BEAD [RIG] [--persona NAME] [--ways N [--variant SPEC]...]\n"
			     "                         hand a bead to the town's agents (on RIG, or its own rig)"},
	{"attempts", cmd_attempts, "attempts BEAD           the attempts of a bead slung several ways, side by side"},
	{"stats", cmd_stats, "stats [--by DIM] [--kind TYPE] [--language LANG] [--platform]\n"
			     "                         first-pass rates (95% Wilson interval, n) and cost per merged bead"},
	{"record", cmd_record, "record AGENT           an agent's outcomes: in total, by persona, language, model, kind"},
	{"recommend", cmd_recommend, "recommend BEAD         the variants to try for a bead, cheapest per merged bead first"},
	{"persona", cmd_persona, "persona list | show NAME | create NAME [opts] | edit NAME [opts] | delete NAME\n"
				 "                         the parts an agent plays on a bead: overlay, tools, gates, model"},
	{"formula", cmd_formula, "formula search [Q] | show NAME[@V] | publish FILE | deprecate NAME@V --reason R\n"
				 "                         | install NAME[@V] | installed | uninstall NAME | run NAME [--var K=V]...\n"
				 "                         workflows from the registry, installed pinned and run as molecules"},
	{"config", cmd_config, "config search [Q] | show NAME[@V] | publish FILE | install NAME[@V] | ...\n"
			       "                         agent configs from the registry: installed, a town's persona"},
	{"import", cmd_import, "import FILE [--dry-run]  local Gas Town's beads (bd's JSONL) into the town, all or nothing"},
	{"export", cmd_export, "export [-o FILE]       the town's beads as bd's JSONL"},
	{"wasteland", cmd_wasteland, "wasteland [status] | connect OWNER/DB --handle H --token-file F [opts] | sync [--replay]\n"
				     "                         | disconnect | wanted | claim POSTER [--rig RIG]\n"
				     "                         the town's wanted board in a Wasteland commons on DoltHub, and other towns'"},
	{"prime", cmd_prime, "prime                  (agent) my bead, rig, branch, requester and unread mail"},
	{"status", cmd_status, "status TEXT            (agent) tell the town what I am doing (1-280 characters)"},
	{"note", cmd_note, "note PATH TEXT         leave a note on a path for whoever works there next"},
	{"notes", cmd_notes, "notes [PATH]           the notes on a path (or all), newest first"},
	{"history", cmd_history, "history PATH           who last changed a path, and what they left there"},
	{"search", cmd_search, "search QUERY...        search what the town's agents did (the agent log)"},
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
	{"integration", cmd_integration, "integration [list [PLATFORM]] | set PLATFORM [opts] | rm PLATFORM\n"
					   "                         | map PLATFORM LOGIN USER | unmap PLATFORM LOGIN\n"
					   "                         GitHub, GitLab and Slack: hook URL, secrets (from a file or stdin), logins"},
	{"mayor", cmd_mayor, "mayor ask TEXT [--wait SECONDS] | log\n"
			     "                         talk to the town's Mayor"},
	{"connect", cmd_connect, "connect TOWN_URL [--name NAME] [--port PORT] [--write claude|codex|opencode] [--once]\n"
				 "                         join the town as a crew agent: this machine, with your coding CLI"},
	{"disconnect", cmd_disconnect, "disconnect AGENT         take a crew agent of yours offline"},
	{"script", cmd_script, "script [--file PATH]   (agent) follow the ```gt-script block of my bead"},
	{"help", cmd_help, "help [COMMAND [SUBCOMMAND]]   this list, or a command's usage (as COMMAND --help)"},
};

#define NCOMMANDS (sizeof commands / sizeof commands[0])

static const char global_synopsis[] =
	"[--url URL] [--town TOWN] [--org ORG] [--agent ID] [--json] COMMAND [options] [--] [operands]";

/* The whole top-level usage into buf (built from the command table); returns buf. */
static const char *global_text(char *buf, size_t len)
{
	size_t n = (size_t)snprintf(buf, len, "commands:\n");

	for (size_t i = 0; i < NCOMMANDS && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "  %s\n", commands[i].usage);
	if (n < len)
		snprintf(buf + n, len - n,
			 "\nEvery command takes --help (-h) and --json; options may follow operands, and --\n"
			 "ends the options (gt bead create -- \"-x is broken\"). A value that starts with '-'\n"
			 "is written --opt=VALUE.\n"
			 "\nThe server is --url or $GASTOWN_URL (default http://127.0.0.1:8787), the town --town or\n"
			 "$GASTOWN_TOWN, the organization --org or $GASTOWN_ORG; the token is $GASTOWN_TOKEN or the\n"
			 "one `gt login` saved. An agent is --agent or $GASTOWN_AGENT, with the token in\n"
			 "$GASTOWN_AGENT_TOKEN_FILE (read on every call).\n");
	return buf;
}

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strcmp(name, commands[i].name) == 0)
			return &commands[i];
	return NULL;
}

static int cmd_help(struct cli *cli, int argc, char **argv)
{
	static const struct usage u = {"help", "help [COMMAND [SUBCOMMAND]]",
				       "The list of commands, or one command's usage: the same as COMMAND --help.\n"};
	char text[8192], help[] = "--help", *words[4];
	const struct command *cmd;
	struct usage all = {"", global_synopsis, NULL};
	struct opt o;
	int rc;

	if ((rc = opt_plain(&o, cli, &u, 0, 2, argc, argv)) >= 0)
		return rc;
	if (o.npos == 0) {
		all.text = global_text(text, sizeof text);
		return opt_usage(&all, stdout);
	}
	if (!(cmd = find_command(o.pos[0])))
		return opt_fail(&u, "no command '%s' (gt help lists them)", o.pos[0]);
	/* COMMAND [SUBCOMMAND] --help: each command prints its own usage, without a request. */
	words[0] = o.pos[0];
	words[1] = o.npos == 2 ? o.pos[1] : help;
	words[2] = o.npos == 2 ? help : NULL;
	words[3] = NULL;
	return cmd->run(cli, o.npos + 1, words);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"url", required_argument, 0, 'U'}, {"town", required_argument, 0, 'T'},
		{"org", required_argument, 0, 'O'}, {"agent", required_argument, 0, 'A'}, {0, 0, 0, 0},
	};
	struct cli cli = {.url = getenv("GASTOWN_URL") ? getenv("GASTOWN_URL") : "http://127.0.0.1:8787",
			  .town = getenv("GASTOWN_TOWN"), .agent = getenv("GASTOWN_AGENT"),
			  .org = getenv("GASTOWN_ORG")};
	struct usage global = {"", global_synopsis, NULL};
	const struct command *cmd;
	char url[2048], text[8192];
	struct opt o;
	int c, rc;

	global.text = global_text(text, sizeof text);
	/* Global options come before the command ('+': stop at the first operand, the command);
	 * the command parses the words after it. */
	opt_init(&o, &cli, &global, NULL, opts, argc, argv);
	snprintf(o.shortopts, sizeof o.shortopts, "+:h");
	while ((c = opt_next(&o)) != -1) {
		switch (c) {
		case 'U': cli.url = optarg; break;
		case 'T': cli.town = optarg; break;
		case 'O': cli.org = optarg; break;
		case 'A': cli.agent = optarg; break;
		default: return OPT_EXIT(c);
		}
	}
	if (o.npos == 0) {
		opt_usage(&global, stderr);
		return 2;
	}
	if (!(cmd = find_command(o.pos[0])))
		return opt_fail(&global, "unknown command '%s' (gt help lists them)", o.pos[0]);
	snprintf(url, sizeof url, "%s", cli.url);
	if (url[0] && url[strlen(url) - 1] == '/')
		url[strlen(url) - 1] = '\0';
	cli.url = url;
	token_load(&cli);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = cmd->run(&cli, o.npos, o.pos);
	curl_global_cleanup();
	return rc;
}
