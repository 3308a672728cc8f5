/*
 * integration_cmds.c - `gt integration`: a town's GitHub, GitLab and Slack integrations. List them
 * (owner, which secrets are set, the hook URL to paste into the platform, logins, deliveries), set
 * one up, remove it, map platform logins to members. Secrets are read from a file or stdin, never
 * from argv (argv shows in `ps` and in shell history), and never printed: the town answers only
 * whether each is set. The rules (admins write, members read) are the town's; gt only asks.
 * Exit status: 0 done, 1 the town refused or could not be reached, 2 a usage error.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cli.h"
#include "auth/auth.h" /* user_id_valid: the engine's own rule, so a typo is named before a request */

#define SECRET_MAX 8192 /* the town's limit on one secret (src/town/town.c) */

/* What each platform takes: its secrets (the webhook's, then what the town posts with) and its
 * settings, under the API's names (docs/api.md, "Integrations and webhooks"); NULL-padded. */
#define PF_SECRETS 3
#define PF_SETTINGS 6
struct platform {
	const char *name;
	const char *secrets[PF_SECRETS];
	const char *settings[PF_SETTINGS];
};

static const struct platform platforms[] = {
	{"github", {"webhook_secret", "token", "private_key"},
	 {"api_url", "dashboard_url", "command", "app_id", "installation_id", "bot_login"}},
	{"gitlab", {"webhook_token", "token"}, {"api_url", "dashboard_url", "command", "bot_login"}},
	{"slack", {"signing_secret", "bot_token"}, {"api_url", "dashboard_url", "rig"}},
};
#define NPLATFORMS (sizeof platforms / sizeof platforms[0])

/* Every secret name of every platform; option --<name>-file is I_FILE + index, -stdin I_STDIN + i. */
static const char *const secret_names[] = {"webhook_secret", "webhook_token", "token", "signing_secret", "bot_token",
					   "private_key"};
#define NSECRET_NAMES (sizeof secret_names / sizeof secret_names[0])

enum { I_OWNER = 0x101, I_API_URL, I_DASHBOARD_URL, I_COMMAND, I_RIG, I_APP_ID, I_INSTALLATION_ID, I_BOT_LOGIN, I_UNSET,
       I_FILE = 0x140, I_STDIN = 0x160 };

static const char *str(const cJSON *o, const char *k)
{
	const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, k));
	return s ? s : "";
}

static const struct platform *platform_of(const char *name)
{
	for (size_t i = 0; i < NPLATFORMS; i++)
		if (strcmp(platforms[i].name, name) == 0)
			return &platforms[i];
	return NULL;
}

/* The PLATFORM operand: its description, or NULL with the usage error printed. */
static const struct platform *platform_arg(const struct usage *u, const char *name)
{
	const struct platform *p = platform_of(name);

	if (!p)
		opt_fail(u, "no platform '%s': github, gitlab or slack", name);
	return p;
}

static int has(const char *const *names, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (names[i] && strcmp(names[i], name) == 0)
			return 1;
	return 0;
}

/* The names, comma-separated, into buf (for a message). */
static const char *listed(const char *const *names, size_t n, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && names[i] && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%s", i ? ", " : "", names[i]);
	return buf;
}

/* "--token-file" from ("token", "file"). */
static void option_name(char *out, size_t len, const char *name, const char *kind)
{
	snprintf(out, len, "--%s-%s", name, kind);
	for (char *c = out + 2; *c; c++)
		*c = *c == '_' ? '-' : *c;
}

/* /api/towns/:town/integrations[/:platform[/logins/:login]], or -1 with the reason printed. */
static int integ_path(const struct cli *cli, struct http_path *p, const char *platform, const char *login)
{
	if (cli_need_town(cli) < 0)
		return -1;
	http_path_lit(p, "/api/towns/");
	http_path_seg(p, cli->town);
	http_path_lit(p, "/integrations");
	if (platform) {
		http_path_lit(p, "/");
		http_path_seg(p, platform);
	}
	if (login) {
		http_path_lit(p, "/logins/");
		http_path_seg(p, login);
	}
	if (p->overflow) {
		fprintf(stderr, "gt: the request path is too long\n");
		return -1;
	}
	return 0;
}

/* ---- printing ---------------------------------------------------------------------------------- */

/* "Label        " then the items of o as fn prints them, separated; `none` when o is empty. */
static void print_row(const char *label, const cJSON *o, void (*fn)(const cJSON *item), const char *sep,
		      const char *none)
{
	const cJSON *it;
	int n = 0;

	printf("  %-12s ", label);
	cJSON_ArrayForEach(it, o) {
		printf("%s", n++ ? sep : "");
		fn(it);
	}
	printf("%s\n", n ? "" : none);
}

static void print_secret(const cJSON *s)
{
	printf("%s %s", s->string, cJSON_IsTrue(s) ? "set" : "not set");
}

static void print_setting(const cJSON *s)
{
	printf("%s %s", s->string, cJSON_IsString(s) ? s->valuestring : "?");
}

static void print_login(const cJSON *l)
{
	printf("%s -> %s", str(l, "login"), str(l, "user"));
}

static void print_outcome(const cJSON *n)
{
	printf("%.0f %s", cJSON_GetNumberValue(n), n->string);
}

static void print_delivery(const cJSON *event)
{
	const cJSON *n;
	int k = 0;

	printf("%s: ", event->string);
	cJSON_ArrayForEach(n, event) {
		printf("%s", k++ ? ", " : "");
		print_outcome(n);
	}
}

/* One platform: connected or not, and what to do next. */
static void print_platform(const struct cli *cli, const struct platform *pf, const cJSON *it)
{
	char hint[64];

	if (!cJSON_IsObject(it)) {
		option_name(hint, sizeof hint, pf->secrets[0], "file");
		printf("%s: not connected (gt integration set %s %s FILE)\n", pf->name, pf->name, hint);
		return;
	}
	printf("%s: connected, owner %s\n", pf->name, str(it, "owner"));
	/* The address the platform is given: this town's base URL, as gt reaches it, and the path. */
	printf("  %-12s %s%s\n", "hook URL", cli->url, str(it, "hook_path"));
	print_row("secrets", cJSON_GetObjectItemCaseSensitive(it, "secrets"), print_secret, ", ", "none");
	print_row("settings", cJSON_GetObjectItemCaseSensitive(it, "settings"), print_setting, ", ", "defaults");
	print_row("logins", cJSON_GetObjectItemCaseSensitive(it, "logins"), print_login, ", ", "none mapped");
	print_row("deliveries", cJSON_GetObjectItemCaseSensitive(it, "deliveries"), print_delivery, "; ", "none yet");
}

/* The answer's data (every platform), or one platform of it; with --json, the town's own JSON. */
static void print_answer(const struct cli *cli, const cJSON *res, const struct platform *only)
{
	const cJSON *data = cJSON_GetObjectItemCaseSensitive(res, "data");

	if (cli->json) {
		cli_print_json(only ? cJSON_GetObjectItemCaseSensitive(data, only->name) : data);
		return;
	}
	for (size_t i = 0; i < NPLATFORMS; i++)
		if (!only || only == &platforms[i])
			print_platform(cli, &platforms[i], cJSON_GetObjectItemCaseSensitive(data, platforms[i].name));
}

/* One request whose answer is every integration; prints `only`'s (or all). The exit status. */
static int request(struct cli *cli, const char *method, const struct http_path *p, cJSON *body,
		   const struct platform *only)
{
	cJSON *res = NULL;
	int rc = cli_call(cli, method, p, body, &res);

	if (rc == 0)
		print_answer(cli, res, only);
	cJSON_Delete(res);
	return rc;
}

/* ---- reading a secret -------------------------------------------------------------------------- */

/* A secret from path, or from stdin when path is NULL, into out[0..len) (NUL-terminated), without
 * its line ending; len is SECRET_MAX + 4: room for "\r\n", and a full buffer means too long. A
 * terminal is read as one line without echo. 0, or -1 with the reason printed (cannot be read,
 * empty, longer than SECRET_MAX bytes, a NUL byte or a second line in it). */
static int read_secret(const char *opt, const char *path, char *out, size_t len, int lines)
{
	FILE *f = path ? fopen(path, "rb") : stdin;
	struct termios saved, quiet;
	int tty = !path && isatty(STDIN_FILENO), echo_off = 0, failed, full;
	size_t n;

	if (!f) {
		fprintf(stderr, "gt integration set: %s: cannot read '%s': %s\n", opt, path, strerror(errno));
		return -1;
	}
	if (tty) {
		fprintf(stderr, "%s (not shown): ", opt);
		if (tcgetattr(STDIN_FILENO, &saved) == 0) {
			quiet = saved;
			quiet.c_lflag &= ~(tcflag_t)ECHO;
			echo_off = tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) == 0;
		}
		n = fgets(out, (int)len, f) ? strlen(out) : 0;
		if (echo_off)
			tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
		fprintf(stderr, "\n");
	} else {
		n = fread(out, 1, len - 1, f);
	}
	failed = ferror(f);
	if (path)
		fclose(f);
	out[n] = '\0';
	full = n == len - 1;
	if (failed) {
		explicit_bzero(out, len);
		fprintf(stderr, "gt integration set: %s: cannot read %s: %s\n", opt, path ? path : "stdin", strerror(errno));
		return -1;
	}
	if (strlen(out) != n) {
		explicit_bzero(out, len);
		fprintf(stderr, "gt integration set: %s: the secret holds a NUL byte\n", opt);
		return -1;
	}
	while (n && (out[n - 1] == '\n' || out[n - 1] == '\r'))
		out[--n] = '\0';
	if (full || n > SECRET_MAX) {
		explicit_bzero(out, len);
		fprintf(stderr, "gt integration set: %s: a secret is at most %d bytes\n", opt, SECRET_MAX);
		return -1;
	}
	if (n == 0) {
		fprintf(stderr, "gt integration set: %s: the secret is empty\n", opt);
		return -1;
	}
	if (!lines && strpbrk(out, "\r\n")) {
		explicit_bzero(out, len);
		fprintf(stderr, "gt integration set: %s: the secret has more than one line (one secret, on one line)\n", opt);
		return -1;
	}
	return 0;
}

/* ---- the subcommands --------------------------------------------------------------------------- */

static const struct usage integration_usage = {
	"integration", NULL,
	"The town's GitHub, GitLab and Slack integrations: platform events become beads, and the\n"
	"town answers on the issue or in the thread (docs/integrations.md). Members list them; admins\n"
	"change them. `gt integration` alone lists them.\n",
};

static const struct usage list_usage = {
	"integration list", "[--town TOWN] integration [list [PLATFORM]]",
	"Each platform (or only PLATFORM: github, gitlab, slack): connected or not, its owner, which\n"
	"secrets are set (never their values), the hook URL to paste into the platform's webhook\n"
	"settings (this town's URL, --url or $GASTOWN_URL, and the hook's path), its settings, the\n"
	"platform logins mapped to members, and the deliveries counted by event and outcome.\n",
};

static const struct usage set_usage = {
	"integration set",
	"[--town TOWN] integration set github|gitlab|slack [options]",
	"Connect a platform, or change its secrets and settings (admins). Only what is given changes.\n"
	"A secret is read from a file or from stdin, never from the command line (it would show in\n"
	"`ps` and in your shell's history); the file's line ending is dropped. A terminal on stdin is\n"
	"read as one line, not echoed.\n"
	"\n"
	"  github:  --webhook-secret-file F | --webhook-secret-stdin   the webhook's secret\n"
	"           --token-file F | --token-stdin                     the token the town posts with\n"
	"           --private-key-file F | --private-key-stdin         a GitHub App's private key (PEM,\n"
	"                                                              many lines), with --app-id\n"
	"  gitlab:  --webhook-token-file F | --webhook-token-stdin     the webhook's secret token\n"
	"           --token-file F | --token-stdin                     a project access token (api)\n"
	"  slack:   --signing-secret-file F | --signing-secret-stdin   the app's signing secret\n"
	"           --bot-token-file F | --bot-token-stdin             the bot token (xoxb-...)\n"
	"\n"
	"  --api-url URL        the platform's API (self-managed GitLab, GitHub Enterprise)\n"
	"  --dashboard-url URL  this town's dashboard, linked from the answers the town posts\n"
	"  --command /WORD      (github, gitlab) the comment command that makes work (default /gastown)\n"
	"  --rig RIG            (slack) the rig Slack's work goes to\n"
	"  --app-id N           (github) the GitHub App the town speaks as, with its private key\n"
	"  --installation-id N  (github) the App's installation (else learned from a delivery)\n"
	"  --bot-login NAME     (github, gitlab) the account the town posts as: its comments are never work\n"
	"  --owner USER         the member work from unmapped platform users is requested by\n"
	"  --unset NAME         remove a setting or a secret by its name (dashboard_url, token, ...);\n"
	"                       repeat for more\n"
	"\n"
	"Only one secret can come from stdin at a time.\n",
};

static const struct usage rm_usage = {
	"integration rm", "[--town TOWN] integration rm github|gitlab|slack",
	"Disconnect a platform (admins): its settings, secrets and logins are removed; its deliveries\n"
	"are refused from then on.\n",
};

static const struct usage map_usage = {
	"integration map", "[--town TOWN] integration map github|gitlab|slack LOGIN USER",
	"Map a platform login (a GitHub or GitLab user name, a Slack user id U...) to member USER\n"
	"(admins): that person's issues and commands are requested by USER, and their `/gastown`\n"
	"comments are taken.\n",
};

static const struct usage unmap_usage = {
	"integration unmap", "[--town TOWN] integration unmap github|gitlab|slack LOGIN",
	"Remove a login's mapping (admins).\n",
};

static int integration_list(struct cli *cli, int argc, char **argv)
{
	const struct platform *only = NULL;
	struct http_path p = {0};
	struct opt o;
	int rc = opt_plain(&o, cli, &list_usage, 0, 1, argc, argv);

	if (rc >= 0)
		return rc;
	if (o.npos == 1 && !(only = platform_arg(&list_usage, o.pos[0])))
		return 2;
	if (integ_path(cli, &p, NULL, NULL) < 0)
		return 2;
	return request(cli, "GET", &p, NULL, only);
}

/* A secret option of set: which one, and where from (path NULL: stdin). */
#define SECRET_OPTS_MAX 4
struct secret_src {
	const char *name, *path;
	char opt[40];
};

/* The options of set into *body (settings, secrets to remove, owner) and src (secrets to read);
 * -1 when it goes on (*pf is the platform), else the exit status (0 after --help, 2 after a usage
 * error, printed). */
static int set_options(struct opt *o, const struct platform **pf, cJSON *body, struct secret_src *src, int *nsrc)
{
	static const char *const setting_of[] = {
		[I_API_URL - I_OWNER] = "api_url", [I_DASHBOARD_URL - I_OWNER] = "dashboard_url",
		[I_COMMAND - I_OWNER] = "command", [I_RIG - I_OWNER] = "rig", [I_APP_ID - I_OWNER] = "app_id",
		[I_INSTALLATION_ID - I_OWNER] = "installation_id", [I_BOT_LOGIN - I_OWNER] = "bot_login",
	};
	const struct usage *u = &set_usage;
	cJSON *settings = cJSON_AddObjectToObject(body, "settings"), *secrets = cJSON_AddObjectToObject(body, "secrets"), *to;
	const cJSON *s;
	int c, stdin_used = 0, from_stdin;
	char name[64], names[200];

	*nsrc = 0;
	while ((c = opt_next(o)) != -1) {
		from_stdin = c >= I_STDIN && c < I_STDIN + (int)NSECRET_NAMES;
		if (c < 0) {
			return OPT_EXIT(c);
		} else if (c == I_OWNER) {
			if (!user_id_valid(optarg))
				return opt_fail(u, "--owner: '%s' is not a valid user id", optarg);
			cJSON_DeleteItemFromObjectCaseSensitive(body, "owner");
			cJSON_AddStringToObject(body, "owner", optarg);
		} else if (c >= I_API_URL && c <= I_BOT_LOGIN) {
			cJSON_DeleteItemFromObjectCaseSensitive(settings, setting_of[c - I_OWNER]);
			cJSON_AddStringToObject(settings, setting_of[c - I_OWNER], optarg);
		} else if (c == I_UNSET) {
			/* Either spelling: dashboard_url or dashboard-url. */
			snprintf(name, sizeof name, "%s", optarg);
			for (char *x = name; *x; x++)
				*x = *x == '-' ? '_' : *x;
			to = has(secret_names, NSECRET_NAMES, name) ? secrets : settings;
			cJSON_DeleteItemFromObjectCaseSensitive(to, name);
			cJSON_AddNullToObject(to, name);
		} else if (from_stdin || (c >= I_FILE && c < I_FILE + (int)NSECRET_NAMES)) {
			if (*nsrc == SECRET_OPTS_MAX)
				return opt_fail(u, "too many secret options");
			if (from_stdin && stdin_used++)
				return opt_fail(u, "only one secret can come from stdin at a time");
			src[*nsrc] = (struct secret_src){.name = secret_names[c - (from_stdin ? I_STDIN : I_FILE)],
							 .path = from_stdin ? NULL : optarg};
			option_name(src[*nsrc].opt, sizeof src[*nsrc].opt, src[*nsrc].name, from_stdin ? "stdin" : "file");
			++*nsrc;
		} else {
			return 2;
		}
	}
	if (opt_operands(o, 1, 1) < 0 || !(*pf = platform_arg(u, o->pos[0])))
		return 2;
	/* What the platform takes, checked here so the mistake is named as the option typed. */
	for (int i = 0; i < *nsrc; i++) {
		if (!has((*pf)->secrets, PF_SECRETS, src[i].name))
			return opt_fail(u, "%s: %s has no secret %s (its secrets: %s)", src[i].opt, (*pf)->name,
					src[i].name, listed((*pf)->secrets, PF_SECRETS, names, sizeof names));
		for (int j = 0; j < i; j++)
			if (strcmp(src[i].name, src[j].name) == 0)
				return opt_fail(u, "%s is given twice", src[i].name);
		if (cJSON_GetObjectItemCaseSensitive(secrets, src[i].name))
			return opt_fail(u, "%s is both set and unset", src[i].name);
	}
	cJSON_ArrayForEach(s, secrets)
		if (!has((*pf)->secrets, PF_SECRETS, s->string))
			return opt_fail(u, "--unset %s: %s has no secret %s (its secrets: %s)", s->string,
					(*pf)->name, s->string, listed((*pf)->secrets, PF_SECRETS, names, sizeof names));
	cJSON_ArrayForEach(s, settings)
		if (!has((*pf)->settings, PF_SETTINGS, s->string))
			return opt_fail(u, "%s%s: %s takes no setting %s (its settings: %s)",
					cJSON_IsNull(s) ? "--unset " : "--", s->string, (*pf)->name, s->string,
					listed((*pf)->settings, PF_SETTINGS, names, sizeof names));
	return -1;
}

static int integration_set(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"owner", required_argument, 0, I_OWNER}, {"api-url", required_argument, 0, I_API_URL},
		{"dashboard-url", required_argument, 0, I_DASHBOARD_URL}, {"command", required_argument, 0, I_COMMAND},
		{"rig", required_argument, 0, I_RIG}, {"unset", required_argument, 0, I_UNSET},
		{"app-id", required_argument, 0, I_APP_ID}, {"installation-id", required_argument, 0, I_INSTALLATION_ID},
		{"bot-login", required_argument, 0, I_BOT_LOGIN},
		{"webhook-secret-file", required_argument, 0, I_FILE + 0}, {"webhook-secret-stdin", no_argument, 0, I_STDIN + 0},
		{"webhook-token-file", required_argument, 0, I_FILE + 1}, {"webhook-token-stdin", no_argument, 0, I_STDIN + 1},
		{"token-file", required_argument, 0, I_FILE + 2}, {"token-stdin", no_argument, 0, I_STDIN + 2},
		{"signing-secret-file", required_argument, 0, I_FILE + 3}, {"signing-secret-stdin", no_argument, 0, I_STDIN + 3},
		{"bot-token-file", required_argument, 0, I_FILE + 4}, {"bot-token-stdin", no_argument, 0, I_STDIN + 4},
		{"private-key-file", required_argument, 0, I_FILE + 5}, {"private-key-stdin", no_argument, 0, I_STDIN + 5},
		{0, 0, 0, 0},
	};
	struct secret_src src[SECRET_OPTS_MAX];
	char value[SECRET_MAX + 4];
	const struct platform *pf = NULL;
	cJSON *body = cJSON_CreateObject(), *secrets;
	struct http_path p = {0};
	int nsrc = 0, rc;
	struct opt o;

	opt_init(&o, cli, &set_usage, NULL, opts, argc, argv);
	if ((rc = set_options(&o, &pf, body, src, &nsrc)) >= 0 || integ_path(cli, &p, pf->name, NULL) < 0) {
		cJSON_Delete(body);
		return rc >= 0 ? rc : 2;
	}
	secrets = cJSON_GetObjectItemCaseSensitive(body, "secrets");
	for (int i = 0; i < nsrc; i++) {
		/* A PEM key is many lines; every other secret is one. */
		if (read_secret(src[i].opt, src[i].path, value, sizeof value, strcmp(src[i].name, "private_key") == 0) < 0) {
			cli_wipe_strings(body);
			cJSON_Delete(body);
			return 2;
		}
		cJSON_AddStringToObject(secrets, src[i].name, value);
		explicit_bzero(value, sizeof value);
	}
	/* Empty parts are left out: the town changes only what is sent. */
	if (cJSON_GetArraySize(secrets) == 0)
		cJSON_DeleteItemFromObjectCaseSensitive(body, "secrets");
	if (cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(body, "settings")) == 0)
		cJSON_DeleteItemFromObjectCaseSensitive(body, "settings");
	return request(cli, "PUT", &p, body, pf);
}

static int integration_rm(struct cli *cli, int argc, char **argv)
{
	const struct platform *pf;
	struct http_path p = {0};
	cJSON *res = NULL;
	struct opt o;
	int rc = opt_plain(&o, cli, &rm_usage, 1, 1, argc, argv);

	if (rc >= 0)
		return rc;
	if (!(pf = platform_arg(&rm_usage, o.pos[0])) || integ_path(cli, &p, pf->name, NULL) < 0)
		return 2;
	if ((rc = cli_call(cli, "DELETE", &p, NULL, &res)) == 0) {
		if (cli->json)
			print_answer(cli, res, NULL);
		else
			printf("removed the %s integration, its secrets and its logins\n", pf->name);
	}
	cJSON_Delete(res);
	return rc;
}

/* map and unmap: PLATFORM LOGIN [USER]. */
static int login_change(struct cli *cli, int argc, char **argv, const struct usage *u, int map)
{
	const struct platform *pf;
	struct http_path p = {0};
	cJSON *body = NULL;
	struct opt o;
	int rc = opt_plain(&o, cli, u, map ? 3 : 2, map ? 3 : 2, argc, argv);

	if (rc >= 0)
		return rc;
	if (!(pf = platform_arg(u, o.pos[0])))
		return 2;
	if (!*o.pos[1] || strlen(o.pos[1]) > 128)
		return opt_fail(u, "a login is 1 to 128 characters");
	if (map && !user_id_valid(o.pos[2]))
		return opt_fail(u, "'%s' is not a valid user id", o.pos[2]);
	if (integ_path(cli, &p, pf->name, o.pos[1]) < 0)
		return 2;
	if (map) {
		body = cJSON_CreateObject();
		cJSON_AddStringToObject(body, "user", o.pos[2]);
	}
	return request(cli, map ? "PUT" : "DELETE", &p, body, pf);
}

static int integration_map(struct cli *cli, int argc, char **argv)
{
	return login_change(cli, argc, argv, &map_usage, 1);
}

static int integration_unmap(struct cli *cli, int argc, char **argv)
{
	return login_change(cli, argc, argv, &unmap_usage, 0);
}

int cmd_integration(struct cli *cli, int argc, char **argv)
{
	static const struct subcommand subs[] = {
		{"list", integration_list, &list_usage}, {"set", integration_set, &set_usage},
		{"rm", integration_rm, &rm_usage}, {"map", integration_map, &map_usage},
		{"unmap", integration_unmap, &unmap_usage},
	};
	int operands = 0, help = 0;

	/* `gt integration` alone (or with --json) lists: the question asked most. */
	for (int i = 1; i < argc; i++) {
		if (argv[i][0] != '-')
			operands++;
		else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			help++;
	}
	if (!operands && !help)
		return integration_list(cli, argc, argv);
	return opt_dispatch(cli, &integration_usage, subs, sizeof subs / sizeof subs[0], argc, argv);
}
