/*
 * registry_cmds.c - `gt formula` and `gt config`: the registry of formulas and agent configs
 * (docs/registry.md). Search and show read /api/registry; publish sends the file as it is written
 * (application/toml) through an org; install asks a town to fetch a version and waits until the
 * town has it pinned (or says why not); run makes a formula's molecule in the town.
 *
 * The engine holds every rule (a formula's cycle, an unknown variable, the line at fault); gt
 * checks only what goes into a path, and reads files.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "registry/registry.h" /* package_name_valid, REGISTRY_SOURCE_MAX: the engine's own rules */

#define INSTALL_WAIT_MS 30000

static const char *str(const cJSON *o, const char *k)
{
	const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, k));
	return s ? s : "";
}

static double num(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

/* NAME[@VERSION] split in place; 0, or 2 with the reason printed. */
static int name_version(const struct usage *u, char *arg, const char **name, const char **version, int need_version)
{
	char *at = strchr(arg, '@');

	*version = NULL;
	if (at) {
		*at = '\0';
		*version = at + 1;
	}
	*name = arg;
	if (!package_name_valid(arg))
		return opt_fail(u, "'%s' is not a package name (1-64 of a-z, 0-9, - _ ., a letter or digit first)", arg);
	if (need_version && (!*version || !**version))
		return opt_fail(u, "name the version: NAME@VERSION");
	if (*version && !**version)
		return opt_fail(u, "an empty version after '@'");
	return 0;
}

/* ---- printers ------------------------------------------------------------------------------------ */

static void print_outcomes(const cJSON *o)
{
	const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, "outcomes");

	printf("%.0f runs, %.0f landed, %.0f failed", num(x, "runs"), num(x, "landed"), num(x, "failed"));
}

static void print_search(const cJSON *data)
{
	const cJSON *items = cJSON_GetObjectItemCaseSensitive(data, "items"), *p;

	if (cJSON_GetArraySize(items) == 0) {
		printf("nothing in the registry matches\n");
		return;
	}
	printf("%-28s  %-7s  %-12s  %-16s  %-5s  %s\n", "NAME", "KIND", "LATEST", "ORG", "RUNS", "DESCRIPTION");
	cJSON_ArrayForEach(p, items)
		printf("%-28s  %-7s  %-12s  %-16s  %-5.0f  %.60s\n", str(p, "name"), str(p, "kind"),
		       *str(p, "latest") ? str(p, "latest") : "(deprecated)", str(p, "org"),
		       num(cJSON_GetObjectItemCaseSensitive(p, "outcomes"), "runs"), str(p, "description"));
}

static void print_package(const cJSON *p)
{
	const cJSON *v;

	printf("%s (%s) by %s\n", str(p, "name"), str(p, "kind"), str(p, "org"));
	if (*str(p, "description"))
		printf("  %s\n", str(p, "description"));
	printf("latest   %s\noutcomes ", *str(p, "latest") ? str(p, "latest") : "- (every version is deprecated)");
	print_outcomes(p);
	printf("\nversions:\n");
	cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(p, "versions")) {
		printf("  %-14s by %-16s ", str(v, "version"), str(v, "published_by"));
		print_outcomes(v);
		if (*str(v, "deprecated"))
			printf("  DEPRECATED: %s", str(v, "deprecated"));
		printf("\n");
	}
}

static void print_spec(const cJSON *spec)
{
	const cJSON *v, *s;

	if (!strcmp(str(spec, "kind"), "config")) {
		const cJSON *p = cJSON_GetObjectItemCaseSensitive(spec, "persona"), *g;

		printf("runtime  %s\ntitle    %s\nmodel    %s\n", *str(spec, "runtime") ? str(spec, "runtime") : "- (the rig's)",
		       str(p, "title"), *str(p, "model") ? str(p, "model") : "- (the rig's)");
		cJSON_ArrayForEach(g, cJSON_GetObjectItemCaseSensitive(p, "gates"))
			printf("gate     %s\n", g->valuestring);
		if (*str(p, "overlay"))
			printf("overlay:\n%s\n", str(p, "overlay"));
		return;
	}
	cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(spec, "vars")) {
		printf("var      %s%s", str(v, "name"), cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(v, "required")) ? " (required)" : "");
		const cJSON *e;
		int k = 0;

		if (cJSON_IsString(cJSON_GetObjectItemCaseSensitive(v, "default")))
			printf(" = %s", str(v, "default"));
		cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(v, "enum"))
			printf("%s%s", k++ ? "|" : " (one of ", e->valuestring);
		printf("%s", k ? ")" : "");
		if (*str(v, "pattern"))
			printf(" (like %s)", str(v, "pattern"));
		printf("%s%s\n", *str(v, "description") ? "  " : "", str(v, "description"));
	}
	cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(spec, "steps")) {
		const cJSON *n;
		int i = 0;

		const cJSON *gate = cJSON_GetObjectItemCaseSensitive(s, "gate");

		printf("step     %-16s %s", str(s, "id"), str(s, "title"));
		cJSON_ArrayForEach(n, cJSON_GetObjectItemCaseSensitive(s, "needs"))
			printf("%s%s", i++ ? ", " : "  (needs ", n->valuestring);
		printf("%s", i ? ")" : "");
		if (gate)
			printf("  [waits: gate %s %s]", str(gate, "type"), str(gate, "id"));
		printf("\n");
	}
}

static void print_version(const cJSON *v)
{
	printf("%s %s (%s) by %s, digest %.12s\n", str(v, "name"), str(v, "version"), str(v, "kind"), str(v, "org"),
	       str(v, "digest"));
	if (*str(v, "deprecated"))
		printf("DEPRECATED: %s\n", str(v, "deprecated"));
	printf("outcomes ");
	print_outcomes(v);
	printf("\n");
	print_spec(cJSON_GetObjectItemCaseSensitive(v, "spec"));
}

static void print_published(const cJSON *d)
{
	printf("published %s %s (%s) as %s, digest %.12s\n", str(d, "name"), str(d, "version"), str(d, "kind"),
	       str(d, "org"), str(d, "digest"));
}

static void print_installs(const cJSON *data)
{
	const cJSON *i;

	if (cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(data, "items")) == 0) {
		printf("nothing installed: gt formula install NAME[@VERSION]\n");
		return;
	}
	printf("%-28s  %-7s  %-12s  %-16s  %-9s  %s\n", "NAME", "KIND", "VERSION", "ORG", "STATE", "ASKED");
	cJSON_ArrayForEach(i, cJSON_GetObjectItemCaseSensitive(data, "items")) {
		printf("%-28s  %-7s  %-12s  %-16s  %-9s  %s\n", str(i, "name"), str(i, "kind"),
		       *str(i, "version") ? str(i, "version") : "-", *str(i, "org") ? str(i, "org") : "-", str(i, "state"),
		       str(i, "asked"));
		if (*str(i, "error"))
			printf("  %s\n", str(i, "error"));
	}
}

static void print_run(const cJSON *d)
{
	const cJSON *b;

	printf("ran %s@%s: run %s, convoy %s\n", str(d, "formula"), str(d, "version"), str(d, "run"), str(d, "convoy"));
	cJSON_ArrayForEach(b, cJSON_GetObjectItemCaseSensitive(d, "beads"))
		printf("  %-20s %s\n", str(b, "step"), str(b, "bead"));
}

static void print_done(const cJSON *d)
{
	(void)d;
	printf("done\n");
}

/* ---- usage --------------------------------------------------------------------------------------- */

static const struct usage formula_usage = {
	"formula", NULL,
	"Formulas: workflows as local Gas Town writes them (TOML: variables, steps and their needs),\n"
	"published by an organization for every town. A town installs a version, pinned, and each run\n"
	"becomes a molecule: one bead per step, blocked by the steps it needs, in one convoy.\n",
};
static const struct usage config_usage = {
	"config", NULL,
	"Agent configs: a persona (title, overlay, tools, gates, model) and a runtime, published by an\n"
	"organization. Installed into a town, a config becomes the town's persona of its name.\n",
};
static const struct usage search_usage = {
	"formula search", "formula search [QUERY] [--org ORG] [--deprecated]   (gt config search: configs)",
	"What the registry holds whose name or description contains QUERY, most run first.\n"
	"  --org ORG      published by ORG only\n"
	"  --deprecated   also packages whose every version is deprecated\n",
};
static const struct usage show_usage = {
	"formula show", "formula show NAME[@VERSION]",
	"A package with its versions and what became of their runs; with @VERSION (or @latest), that\n"
	"version's variables and steps (a config: its persona).\n",
};
static const struct usage publish_usage = {
	"formula publish", "[--org ORG] formula publish FILE   (- for stdin; gt config publish: the same)",
	"Publish a formula or an agent config file as your organization (its admins). The file says its\n"
	"name and version; a version, once published, never changes.\n",
};
static const struct usage deprecate_usage = {
	"formula deprecate", "[--org ORG] formula deprecate NAME@VERSION --reason TEXT",
	"Tell every town not to install a version, and why. `latest` moves to the newest release left.\n",
};
static const struct usage undeprecate_usage = {
	"formula undeprecate", "[--org ORG] formula undeprecate NAME@VERSION",
	"Take a deprecation back.\n",
};
static const struct usage install_usage = {
	"formula install", "[--town TOWN] formula install NAME[@VERSION] [--no-wait]",
	"Install a package into the town (its admins), pinned to VERSION (default: the latest), and\n"
	"wait until the town has it. A config becomes the town's persona of its name.\n"
	"  --no-wait   return once the town has asked the registry\n",
};
static const struct usage installed_usage = {
	"formula installed", "[--town TOWN] formula installed",
	"What the town installed: each package's pinned version, and why one failed.\n",
};
static const struct usage uninstall_usage = {
	"formula uninstall", "[--town TOWN] formula uninstall NAME",
	"Remove an installed package (a config's persona stays: beads may name it).\n",
};
static const struct usage run_usage = {
	"formula run", "[--town TOWN] formula run NAME [--var NAME=VALUE]... [--rig RIG] [--held]",
	"Run an installed formula: one bead per step, its variables put in, blocked by the steps it\n"
	"needs, in one convoy the reconciler works through.\n"
	"  --var NAME=VALUE   a variable of the formula; repeat for more\n"
	"  --rig RIG          the rig the steps are worked on\n"
	"  --held             the steps wait for `gt sling`\n",
};

/* ---- commands ------------------------------------------------------------------------------------ */

enum { R_ORG = 0x101, R_DEPRECATED, R_REASON, R_NO_WAIT, R_VAR, R_RIG, R_HELD };

static int search(struct cli *cli, int argc, char **argv, const char *kind)
{
	static const struct option opts[] = {
		{"org", required_argument, 0, R_ORG}, {"deprecated", no_argument, 0, R_DEPRECATED}, {0, 0, 0, 0},
	};
	const char *org = NULL;
	struct http_path p = {0};
	int c, all = 0;
	struct opt o;

	opt_init(&o, cli, &search_usage, NULL, opts, argc, argv);
	while ((c = opt_next(&o)) != -1) {
		if (c == R_ORG)
			org = optarg;
		else if (c == R_DEPRECATED)
			all = 1;
		else
			return OPT_EXIT(c);
	}
	if (opt_operands(&o, 0, 1) < 0)
		return 2;
	http_path_lit(&p, "/api/registry?kind=");
	http_path_lit(&p, kind);
	if (o.npos) {
		http_path_lit(&p, "&q=");
		http_path_seg(&p, o.pos[0]);
	}
	if (org) {
		http_path_lit(&p, "&org=");
		http_path_seg(&p, org);
	}
	if (all)
		http_path_lit(&p, "&deprecated=1");
	return cli_call_print(cli, "GET", &p, NULL, print_search);
}

static int run_search_formula(struct cli *cli, int argc, char **argv)
{
	return search(cli, argc, argv, "formula");
}

static int run_search_config(struct cli *cli, int argc, char **argv)
{
	return search(cli, argc, argv, "config");
}

static int run_show(struct cli *cli, int argc, char **argv)
{
	const char *name, *version;
	struct http_path p = {0};
	struct opt o;
	int rc;

	if ((rc = opt_plain(&o, cli, &show_usage, 1, 1, argc, argv)) >= 0)
		return rc;
	if ((rc = name_version(&show_usage, o.pos[0], &name, &version, 0)) != 0)
		return rc;
	http_path_lit(&p, "/api/registry/");
	http_path_seg(&p, name);
	if (version) {
		http_path_lit(&p, "/");
		http_path_seg(&p, version);
	}
	return cli_call_print(cli, "GET", &p, NULL, version ? print_version : print_package);
}

/* The file at path ("-": stdin) into a fresh buffer; NULL with the reason printed. */
static char *read_file(const struct usage *u, const char *path)
{
	int is_stdin = strcmp(path, "-") == 0;
	FILE *f = is_stdin ? stdin : fopen(path, "rb");
	size_t cap = REGISTRY_SOURCE_MAX + 2, n;
	char *buf;

	if (!f) {
		fprintf(stderr, "gt %s: cannot read '%s': %s\n", u->name, path, strerror(errno));
		return NULL;
	}
	if (!(buf = malloc(cap))) {
		fprintf(stderr, "gt %s: out of memory\n", u->name);
		if (!is_stdin)
			fclose(f);
		return NULL;
	}
	n = fread(buf, 1, cap - 1, f);
	buf[n] = '\0';
	if (ferror(f) || n == cap - 1 || strlen(buf) != n) {
		fprintf(stderr, "gt %s: '%s' %s\n", u->name, path,
			ferror(f) ? "could not be read" : n == cap - 1 ? "is larger than 64 KiB, the most a published file may be"
								 : "holds a NUL byte: a published file is text");
		free(buf);
		buf = NULL;
	}
	if (!is_stdin)
		fclose(f);
	return buf;
}

static int org_option(struct cli *cli, int argc, char **argv, const struct usage *u, const struct option *more,
		      struct opt *o, const char **org, const char **reason)
{
	static const struct option base[] = {{"org", required_argument, 0, R_ORG}, {0, 0, 0, 0}};
	int c;

	opt_init(o, cli, u, NULL, more ? more : base, argc, argv);
	while ((c = opt_next(o)) != -1) {
		if (c == R_ORG)
			*org = optarg;
		else if (c == R_REASON && reason)
			*reason = optarg;
		else
			return OPT_EXIT(c);
	}
	return cli_need_org(cli, *org) < 0 ? 2 : -1;
}

static int run_publish(struct cli *cli, int argc, char **argv)
{
	const char *org = NULL;
	struct http_path p = {0};
	cJSON *res = NULL;
	struct opt o;
	char *text;
	int rc;

	if ((rc = org_option(cli, argc, argv, &publish_usage, NULL, &o, &org, NULL)) >= 0)
		return rc;
	if (opt_operands(&o, 1, 1) < 0)
		return 2;
	if (!(text = read_file(&publish_usage, o.pos[0])))
		return 2;
	http_path_lit(&p, "/api/orgs/");
	http_path_seg(&p, org ? org : cli->org);
	http_path_lit(&p, "/registry");
	rc = cli_call_text(cli, "POST", &p, text, "application/toml", &res);
	free(text);
	if (rc == 0)
		cli_print_data(cli, res, print_published);
	cJSON_Delete(res);
	return rc;
}

static int deprecation(struct cli *cli, int argc, char **argv, int on)
{
	static const struct option opts[] = {
		{"org", required_argument, 0, R_ORG}, {"reason", required_argument, 0, R_REASON}, {0, 0, 0, 0},
	};
	const struct usage *u = on ? &deprecate_usage : &undeprecate_usage;
	const char *org = NULL, *reason = NULL, *name, *version;
	struct http_path p = {0};
	cJSON *body = NULL;
	struct opt o;
	int rc;

	if ((rc = org_option(cli, argc, argv, u, on ? opts : NULL, &o, &org, &reason)) >= 0)
		return rc;
	if (opt_operands(&o, 1, 1) < 0 || (rc = name_version(u, o.pos[0], &name, &version, 1)) != 0)
		return rc ? rc : 2;
	if (on && (!reason || !*reason))
		return opt_fail(u, "say why: --reason TEXT");
	http_path_lit(&p, "/api/orgs/");
	http_path_seg(&p, org ? org : cli->org);
	http_path_lit(&p, "/registry/");
	http_path_seg(&p, name);
	http_path_lit(&p, "/");
	http_path_seg(&p, version);
	http_path_lit(&p, "/deprecation");
	if (on) {
		body = cJSON_CreateObject();
		cJSON_AddStringToObject(body, "reason", reason);
	}
	return cli_call_print(cli, on ? "POST" : "DELETE", &p, body, print_version);
}

static int run_deprecate(struct cli *cli, int argc, char **argv)
{
	return deprecation(cli, argc, argv, 1);
}

static int run_undeprecate(struct cli *cli, int argc, char **argv)
{
	return deprecation(cli, argc, argv, 0);
}

static void install_path(const struct cli *cli, struct http_path *p, const char *name)
{
	http_path_lit(p, "/api/towns/");
	http_path_seg(p, cli->town);
	http_path_lit(p, "/installs");
	if (name) {
		http_path_lit(p, "/");
		http_path_seg(p, name);
	}
}

static int run_install(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {{"no-wait", no_argument, 0, R_NO_WAIT}, {0, 0, 0, 0}};
	const char *name, *version;
	struct http_path p = {0}, one = {0};
	cJSON *body, *res = NULL;
	int c, rc, wait = 1;
	long waited = 0;
	struct opt o;

	opt_init(&o, cli, &install_usage, NULL, opts, argc, argv);
	while ((c = opt_next(&o)) != -1) {
		if (c != R_NO_WAIT)
			return OPT_EXIT(c);
		wait = 0;
	}
	if (opt_operands(&o, 1, 1) < 0 || cli_need_town(cli) < 0)
		return 2;
	if ((rc = name_version(&install_usage, o.pos[0], &name, &version, 0)) != 0)
		return rc;
	install_path(cli, &p, NULL);
	install_path(cli, &one, name);
	body = cJSON_CreateObject();
	cJSON_AddStringToObject(body, "name", name);
	if (version)
		cJSON_AddStringToObject(body, "version", version);
	if ((rc = cli_call(cli, "POST", &p, body, &res)) != 0)
		return rc;
	/* The town fetches after answering: ask again until it has the version or says why not. */
	while (wait && !strcmp(str(cJSON_GetObjectItemCaseSensitive(res, "data"), "state"), "fetching")) {
		struct timespec ts = {0, 200 * 1000000L};

		if (waited >= INSTALL_WAIT_MS) {
			fprintf(stderr, "gt formula install: the town has not heard from the registry in %d s; "
					"see `gt formula installed`\n", INSTALL_WAIT_MS / 1000);
			cJSON_Delete(res);
			return 1;
		}
		nanosleep(&ts, NULL);
		waited += 200;
		cJSON_Delete(res);
		if ((rc = cli_call(cli, "GET", &one, NULL, &res)) != 0)
			return rc;
	}
	{
		const cJSON *d = cJSON_GetObjectItemCaseSensitive(res, "data");

		if (cli->json)
			cli_print_json(d);
		else if (!strcmp(str(d, "state"), "installed"))
			printf("installed %s %s (%s) from %s\n", str(d, "name"), str(d, "version"), str(d, "kind"), str(d, "org"));
		else if (!strcmp(str(d, "state"), "fetching"))
			printf("asked the registry for %s %s\n", str(d, "name"), str(d, "asked"));
		else
			fprintf(stderr, "gt formula install: %s: %s\n", str(d, "name"), str(d, "error"));
		rc = !strcmp(str(d, "state"), "failed");
	}
	cJSON_Delete(res);
	return rc;
}

static int run_installed(struct cli *cli, int argc, char **argv)
{
	struct http_path p = {0};
	struct opt o;
	int rc;

	if ((rc = opt_plain(&o, cli, &installed_usage, 0, 0, argc, argv)) >= 0)
		return rc;
	if (cli_need_town(cli) < 0)
		return 2;
	install_path(cli, &p, NULL);
	return cli_call_print(cli, "GET", &p, NULL, print_installs);
}

static int run_uninstall(struct cli *cli, int argc, char **argv)
{
	const char *name, *version;
	struct http_path p = {0};
	struct opt o;
	int rc;

	if ((rc = opt_plain(&o, cli, &uninstall_usage, 1, 1, argc, argv)) >= 0)
		return rc;
	if (cli_need_town(cli) < 0)
		return 2;
	if ((rc = name_version(&uninstall_usage, o.pos[0], &name, &version, 0)) != 0)
		return rc;
	install_path(cli, &p, name);
	return cli_call_print(cli, "DELETE", &p, NULL, print_done);
}

static int run_run(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"var", required_argument, 0, R_VAR}, {"rig", required_argument, 0, R_RIG},
		{"held", no_argument, 0, R_HELD}, {0, 0, 0, 0},
	};
	struct http_path p = {0};
	cJSON *body = cJSON_CreateObject(), *vars = cJSON_AddObjectToObject(body, "vars");
	const char *name, *version;
	struct opt o;
	int c, rc = 0;

	opt_init(&o, cli, &run_usage, NULL, opts, argc, argv);
	while ((c = opt_next(&o)) != -1) {
		char *eq;

		switch (c) {
		case R_VAR:
			if (!(eq = strchr(optarg, '=')) || eq == optarg) {
				rc = opt_fail(&run_usage, "--var takes NAME=VALUE, not '%s'", optarg);
				break;
			}
			*eq = '\0';
			cJSON_DeleteItemFromObjectCaseSensitive(vars, optarg);
			cJSON_AddStringToObject(vars, optarg, eq + 1);
			break;
		case R_RIG: cJSON_AddStringToObject(body, "rig", optarg); break;
		case R_HELD: cJSON_AddBoolToObject(body, "held", 1); break;
		default: rc = OPT_EXIT(c); break;
		}
		if (rc)
			break;
	}
	if (rc == 0 && (opt_operands(&o, 1, 1) < 0 || cli_need_town(cli) < 0))
		rc = 2;
	if (rc == 0)
		rc = name_version(&run_usage, o.pos[0], &name, &version, 0);
	if (rc == 0 && version)
		rc = opt_fail(&run_usage, "a town runs the version it installed: name it without '@'");
	if (rc != 0) {
		cJSON_Delete(body);
		return rc;
	}
	http_path_lit(&p, "/api/towns/");
	http_path_seg(&p, cli->town);
	http_path_lit(&p, "/formulas/");
	http_path_seg(&p, name);
	http_path_lit(&p, "/runs");
	return cli_call_print(cli, "POST", &p, body, print_run);
}

int cmd_formula(struct cli *cli, int argc, char **argv)
{
	static const struct subcommand subs[] = {
		{"search", run_search_formula, &search_usage}, {"show", run_show, &show_usage},
		{"publish", run_publish, &publish_usage}, {"deprecate", run_deprecate, &deprecate_usage},
		{"undeprecate", run_undeprecate, &undeprecate_usage}, {"install", run_install, &install_usage},
		{"installed", run_installed, &installed_usage}, {"uninstall", run_uninstall, &uninstall_usage},
		{"run", run_run, &run_usage},
	};

	return opt_dispatch(cli, &formula_usage, subs, sizeof subs / sizeof subs[0], argc, argv);
}

int cmd_config(struct cli *cli, int argc, char **argv)
{
	static const struct subcommand subs[] = {
		{"search", run_search_config, &search_usage}, {"show", run_show, &show_usage},
		{"publish", run_publish, &publish_usage}, {"deprecate", run_deprecate, &deprecate_usage},
		{"undeprecate", run_undeprecate, &undeprecate_usage}, {"install", run_install, &install_usage},
		{"installed", run_installed, &installed_usage}, {"uninstall", run_uninstall, &uninstall_usage},
	};

	return opt_dispatch(cli, &config_usage, subs, sizeof subs / sizeof subs[0], argc, argv);
}
