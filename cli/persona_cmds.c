/*
 * persona_cmds.c - `gt persona`: the parts an agent can play in a town (list, show, create, edit,
 * delete), over /api/towns/:town/personas. The town holds the rules (it refuses a bad tool name or
 * a built-in's name, and says why); gt checks a persona's name before it goes into a path, and reads
 * an --overlay-file. Slinging a bead with a persona is `gt sling --persona` (agent_cmds.c).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "town/town.h" /* persona_name_valid, PERSONA_OVERLAY_MAX: the engine's own rules */

#define NAME_RULE "1-40 of a-z, 0-9 and -, a letter first"

static const char *str(const cJSON *o, const char *k)
{
	const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, k));
	return s ? s : "";
}

/* ---- requests ------------------------------------------------------------------------------------ */

/* /api/towns/:town/personas[/:name], or -1 with the reason printed (the caller exits 2). */
static int persona_path(const struct cli *cli, struct http_path *p, const char *name)
{
	if (cli_need_town(cli) < 0)
		return -1;
	http_path_lit(p, "/api/towns/");
	http_path_seg(p, cli->town);
	http_path_lit(p, "/personas");
	if (name) {
		http_path_lit(p, "/");
		http_path_seg(p, name);
	}
	return 0;
}

/* ---- printers ------------------------------------------------------------------------------------ */

/* The items of a list of strings, joined by sep; at most max of them (then "and N more"). */
static void print_joined(const cJSON *list, const char *sep, int max)
{
	const cJSON *item;
	int i = 0, n = cJSON_GetArraySize(list);

	cJSON_ArrayForEach(item, list) {
		if (max > 0 && i == max) {
			printf(" and %d more", n - max);
			return;
		}
		printf("%s%s", i++ ? sep : "", cJSON_GetStringValue(item) ? item->valuestring : "?");
	}
}

/* What the persona may use, in a few words: "any", "allow A, B; deny C". */
static void print_tools(const cJSON *p)
{
	const cJSON *allow = cJSON_GetObjectItemCaseSensitive(p, "allowed_tools");
	const cJSON *deny = cJSON_GetObjectItemCaseSensitive(p, "denied_tools");

	if (cJSON_GetArraySize(allow) == 0 && cJSON_GetArraySize(deny) == 0) {
		printf("any");
		return;
	}
	if (cJSON_GetArraySize(allow) > 0) {
		printf("allow ");
		print_joined(allow, ", ", 3);
	}
	if (cJSON_GetArraySize(deny) > 0) {
		printf("%sdeny ", cJSON_GetArraySize(allow) > 0 ? "; " : "");
		print_joined(deny, ", ", 3);
	}
}

static const char *model_of(const cJSON *p)
{
	return *str(p, "model") ? str(p, "model") : "-";
}

static void print_personas(const cJSON *list)
{
	const cJSON *p;
	int wn = 4, wt = 5, wm = 5, n;

	if (cJSON_GetArraySize(list) == 0) {
		printf("no personas: gt persona create NAME\n");
		return;
	}
	cJSON_ArrayForEach(p, list) {
		wn = (n = (int)strlen(str(p, "name"))) > wn ? n : wn;
		wt = (n = (int)strlen(str(p, "title"))) > wt ? n : wt;
		wm = (n = (int)strlen(model_of(p))) > wm ? n : wm;
	}
	wt = wt > 40 ? 40 : wt;
	printf("%-*s  %-*s  %-7s  %-*s  %s\n", wn, "NAME", wt, "TITLE", "BUILTIN", wm, "MODEL", "TOOLS");
	/* In the town's order: the built-ins, then the town's own by name. */
	cJSON_ArrayForEach(p, list) {
		printf("%-*s  %-*.*s  %-7s  %-*s  ", wn, str(p, "name"), wt, wt, str(p, "title"),
		       cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(p, "builtin")) ? "yes" : "no", wm, model_of(p));
		print_tools(p);
		printf("\n");
	}
}

/* A list of strings one per line, the first after the label, the rest under it; or `none`. */
static void print_lines(const char *label, const cJSON *list, const char *none)
{
	const cJSON *item;
	int i = 0;

	if (cJSON_GetArraySize(list) == 0)
		printf("%-9s%s\n", label, none);
	cJSON_ArrayForEach(item, list)
		printf("%-9s%s\n", i++ ? "" : label, cJSON_GetStringValue(item) ? item->valuestring : "?");
}

static void print_persona(const cJSON *p)
{
	const char *overlay = str(p, "overlay");
	size_t n = strlen(overlay);

	printf("%-9s%s\n", "name", str(p, "name"));
	printf("%-9s%s\n", "title", str(p, "title"));
	printf("%-9s%s\n", "builtin", cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(p, "builtin")) ? "yes" : "no");
	printf("%-9s%s\n", "model", *str(p, "model") ? str(p, "model") : "- (the rig's)");
	printf("%-9s", "allowed");
	if (cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(p, "allowed_tools")) == 0)
		printf("- (any tool not denied)");
	else
		print_joined(cJSON_GetObjectItemCaseSensitive(p, "allowed_tools"), ", ", 0);
	printf("\n%-9s", "denied");
	if (cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(p, "denied_tools")) == 0)
		printf("-");
	else
		print_joined(cJSON_GetObjectItemCaseSensitive(p, "denied_tools"), ", ", 0);
	printf("\n");
	print_lines("gates", cJSON_GetObjectItemCaseSensitive(p, "gates"), "- (the rig's only)");
	if (*str(p, "created_by"))
		printf("%-9s%s\n", "created", str(p, "created_by"));
	/* The overlay in full, as the agent gets it. */
	if (n == 0) {
		printf("overlay  -\n");
		return;
	}
	printf("overlay:\n%s%s", overlay, overlay[n - 1] == '\n' ? "" : "\n");
}

static void print_created(const cJSON *p)
{
	printf("created persona %s (%s)\n", str(p, "name"), str(p, "title"));
}

static void print_changed(const cJSON *p)
{
	printf("changed persona %s (%s)\n", str(p, "name"), str(p, "title"));
}

static void print_deleted(const cJSON *d)
{
	(void)d;
	printf("deleted\n");
}

/* ---- usage --------------------------------------------------------------------------------------- */

#define FIELD_HELP                                                                                     \
	"  --title TEXT         what it is called (a new one's default: NAME)\n"                                      \
	"  --overlay TEXT       what the agent is told, added to its prompt (at most 8000 bytes)\n"      \
	"  --overlay-file FILE  the overlay from FILE (- for stdin)\n"                                      \
	"  --allow TOOL         a tool it may use (Bash, Edit, Read, Bash(git *), mcp__...); repeat\n"    \
	"                       for more; with an allow list, it may use only those\n"                    \
	"  --deny TOOL          a tool it may not use; repeat for more\n"                                 \
	"  --gate CMD           a command its work must pass at merge, before the rig's; repeat\n"       \
	"  --model MODEL        the model it runs on (default: the rig's)\n"

static const struct usage persona_usage = {
	"persona", NULL,
	"Personas: the parts an agent plays on a bead (`gt sling BEAD --persona NAME`): an overlay on\n"
	"its prompt, the tools it may and may not use, gates and a model. Six are built in; admins add\n"
	"the town's own.\n",
};

static const struct usage persona_list_usage = {
	"persona list", "[--town TOWN] persona list",
	"The town's personas, the built-in ones first: title, model, tools.\n",
};

static const struct usage persona_show_usage = {
	"persona show", "[--town TOWN] persona show NAME",
	"One persona, every field, its overlay in full.\n",
};

static const struct usage persona_create_usage = {
	"persona create", "[--town TOWN] persona create NAME [options]",
	"Add a persona to the town (admins). NAME is " NAME_RULE ",\n"
	"and not a built-in's.\n"
	"\n" FIELD_HELP,
};

static const struct usage persona_edit_usage = {
	"persona edit", "[--town TOWN] persona edit NAME [options]",
	"Change a town's persona (admins); what is not given stays. --allow, --deny and --gate replace\n"
	"their list ('' empties it); --model '' goes back to the rig's model.\n"
	"\n" FIELD_HELP,
};

static const struct usage persona_delete_usage = {
	"persona delete", "[--town TOWN] persona delete NAME",
	"Delete a town's persona (admins); not while a bead still to be worked names it.\n",
};

/* ---- commands ------------------------------------------------------------------------------------ */

/* NAME as a persona's name: 0, or 2 with the usage error printed. */
static int name_arg(const struct usage *u, const char *name)
{
	if (persona_name_valid(name))
		return 0;
	return opt_fail(u, "'%s' is not a persona name (" NAME_RULE ")", name);
}

static int run_list(struct cli *cli, int argc, char **argv)
{
	struct http_path p = {0};
	struct opt o;
	int rc = opt_plain(&o, cli, &persona_list_usage, 0, 0, argc, argv);

	if (rc >= 0)
		return rc;
	if (persona_path(cli, &p, NULL) < 0)
		return 2;
	return cli_call_print(cli, "GET", &p, NULL, print_personas);
}

/* show and delete: one NAME, no option of their own. */
static int run_one(struct cli *cli, int argc, char **argv, const struct usage *u, const char *method,
		       void (*text)(const cJSON *data))
{
	struct http_path p = {0};
	struct opt o;
	int rc = opt_plain(&o, cli, u, 1, 1, argc, argv);

	if (rc >= 0)
		return rc;
	if (name_arg(u, o.pos[0]) != 0 || persona_path(cli, &p, o.pos[0]) < 0)
		return 2;
	return cli_call_print(cli, method, &p, NULL, text);
}

static int run_show(struct cli *cli, int argc, char **argv)
{
	return run_one(cli, argc, argv, &persona_show_usage, "GET", print_persona);
}

static int run_delete(struct cli *cli, int argc, char **argv)
{
	return run_one(cli, argc, argv, &persona_delete_usage, "DELETE", print_deleted);
}

/* The overlay from path ("-": stdin) into out[0..len), len PERSONA_OVERLAY_MAX + 2 (a full buffer
 * means too long). 0, or 2 with the reason printed. */
static int read_overlay(const struct usage *u, const char *path, char *out, size_t len)
{
	int is_stdin = strcmp(path, "-") == 0, failed;
	FILE *f = is_stdin ? stdin : fopen(path, "rb");
	size_t n;

	if (!f) {
		fprintf(stderr, "gt %s: --overlay-file: cannot read '%s': %s\n", u->name, path, strerror(errno));
		return 2;
	}
	n = fread(out, 1, len - 1, f);
	failed = ferror(f);
	if (!is_stdin)
		fclose(f);
	out[n] = '\0';
	if (failed) {
		fprintf(stderr, "gt %s: --overlay-file: cannot read '%s'\n", u->name, path);
		return 2;
	}
	if (n == len - 1) {
		fprintf(stderr, "gt %s: --overlay-file: '%s' is longer than %d bytes, the most an overlay may be "
				"(it goes into every prompt of the persona)\n", u->name, path, PERSONA_OVERLAY_MAX);
		return 2;
	}
	if (strlen(out) != n) {
		fprintf(stderr, "gt %s: --overlay-file: '%s' holds a NUL byte: an overlay is text\n", u->name, path);
		return 2;
	}
	return 0;
}

enum { P_TITLE = 0x101, P_OVERLAY, P_OVERLAY_FILE, P_ALLOW, P_DENY, P_GATE, P_MODEL };

/* A list option into the list field of b: TOOL or CMD appended, '' for an empty list. */
static void add_to_list(cJSON *b, const char *field, const char *v)
{
	cJSON *list = cJSON_GetObjectItemCaseSensitive(b, field);

	if (!list)
		list = cJSON_AddArrayToObject(b, field);
	if (*v)
		cJSON_AddItemToArray(list, cJSON_CreateString(v));
}

/* create and edit: NAME and the fields given, as a POST or a PATCH. */
static int run_write(struct cli *cli, int argc, char **argv, int create)
{
	static const struct option opts[] = {
		{"title", required_argument, 0, P_TITLE}, {"overlay", required_argument, 0, P_OVERLAY},
		{"overlay-file", required_argument, 0, P_OVERLAY_FILE}, {"allow", required_argument, 0, P_ALLOW},
		{"deny", required_argument, 0, P_DENY}, {"gate", required_argument, 0, P_GATE},
		{"model", required_argument, 0, P_MODEL}, {0, 0, 0, 0},
	};
	const struct usage *u = create ? &persona_create_usage : &persona_edit_usage;
	const char *overlay = NULL, *overlay_file = NULL;
	char text[PERSONA_OVERLAY_MAX + 2];
	struct http_path p = {0};
	cJSON *b = cJSON_CreateObject();
	int c, rc = 0;
	struct opt o;

	opt_init(&o, cli, u, NULL, opts, argc, argv);
	while ((c = opt_next(&o)) != -1) {
		switch (c) {
		case P_TITLE:
			cJSON_DeleteItemFromObjectCaseSensitive(b, "title");
			cJSON_AddStringToObject(b, "title", optarg);
			break;
		case P_OVERLAY: overlay = optarg; break;
		case P_OVERLAY_FILE: overlay_file = optarg; break;
		case P_ALLOW: add_to_list(b, "allowed_tools", optarg); break;
		case P_DENY: add_to_list(b, "denied_tools", optarg); break;
		case P_GATE: add_to_list(b, "gates", optarg); break;
		case P_MODEL:
			cJSON_DeleteItemFromObjectCaseSensitive(b, "model");
			cJSON_AddStringToObject(b, "model", optarg);
			break;
		default:
			cJSON_Delete(b);
			return OPT_EXIT(c);
		}
	}
	if (opt_operands(&o, 1, 1) < 0)
		rc = 2;
	if (rc == 0)
		rc = name_arg(u, o.pos[0]);
	if (rc == 0 && overlay && overlay_file)
		rc = opt_fail(u, "choose one: --overlay TEXT or --overlay-file FILE");
	if (rc == 0 && overlay_file && (rc = read_overlay(u, overlay_file, text, sizeof text)) == 0)
		overlay = text;
	if (rc == 0 && overlay)
		cJSON_AddStringToObject(b, "overlay", overlay);
	if (rc == 0 && !create && !b->child)
		rc = opt_fail(u, "nothing to change: give --title, --overlay, --allow, --deny, --gate or --model");
	if (rc == 0 && persona_path(cli, &p, create ? NULL : o.pos[0]) < 0)
		rc = 2;
	if (rc != 0) {
		cJSON_Delete(b);
		return rc;
	}
	if (create)
		cJSON_AddStringToObject(b, "name", o.pos[0]);
	return cli_call_print(cli, create ? "POST" : "PATCH", &p, b, create ? print_created : print_changed);
}

static int run_create(struct cli *cli, int argc, char **argv)
{
	return run_write(cli, argc, argv, 1);
}

static int run_edit(struct cli *cli, int argc, char **argv)
{
	return run_write(cli, argc, argv, 0);
}

int cmd_persona(struct cli *cli, int argc, char **argv)
{
	static const struct subcommand subs[] = {
		{"list", run_list, &persona_list_usage}, {"show", run_show, &persona_show_usage},
		{"create", run_create, &persona_create_usage}, {"edit", run_edit, &persona_edit_usage},
		{"delete", run_delete, &persona_delete_usage},
	};

	return opt_dispatch(cli, &persona_usage, subs, sizeof subs / sizeof subs[0], argc, argv);
}
