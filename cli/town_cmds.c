/*
 * town_cmds.c - gt's commands for what lives in a town: town, rig, bead, convoy, mail, feed. Each
 * subcommand reads its options (opt.c), builds one request, sends it with call.c and prints the
 * answer (text, or the data with --json). The town is --town (a global option) or $GASTOWN_TOWN.
 * Exit status: 0 done, 1 the town refused or could not be reached, 2 a usage error.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

static const char *str(const cJSON *o, const char *k)
{
	const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, k));
	return s ? s : "";
}

/* /api/towns/:town<rest>[/:id], or -1 with the reason printed (the caller exits 2). */
static int town_path(const struct cli *cli, struct http_path *p, const char *rest, const char *id)
{
	if (cli_need_town(cli) < 0)
		return -1;
	http_path_lit(p, "/api/towns/");
	http_path_seg(p, cli->town);
	http_path_lit(p, rest);
	if (id) {
		http_path_lit(p, "/");
		http_path_seg(p, id);
	}
	return 0;
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
	       str(r, "merge_strategy"), cli_int(r, "max_polecats"));
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
	       cli_int(b, "priority"), str(b, "type"),
	       str(b, "title"));
	if (*str(b, "assignee"))
		printf("  @%s", str(b, "assignee"));
	if (*str(b, "rig"))
		printf("  [%s]", str(b, "rig"));
	/* Say why it is not running: it waits for `gt sling`. */
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(b, "held")))
		printf("  (held)");
	printf("\n");
}

static void print_bead_id(const cJSON *b)
{
	printf("%s\n", str(b, "id"));
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
	if (*str(b, "persona"))
		printf("  worked as %s (gt persona show %s)\n", str(b, "persona"), str(b, "persona"));
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(b, "held")))
		printf("  held: nothing starts it until `gt sling %s`\n", str(b, "id"));
	if (*str(b, "body"))
		printf("\n%s\n", str(b, "body"));
	cJSON_ArrayForEach(d, cJSON_GetObjectItemCaseSensitive(b, "deps"))
		printf("  %s %s (%s)\n", str(d, "kind"), str(d, "id"), str(d, "status"));
}

static void print_convoy(const cJSON *v)
{
	const cJSON *p = cJSON_GetObjectItemCaseSensitive(v, "progress"), *b;

	printf("%s  %s  %s, %s, %d/%d closed\n", str(v, "id"), str(v, "title"), str(v, "mode"), str(v, "state"),
	       cli_int(p, "closed"),
	       cli_int(p, "total"));
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

/* ---- town ---------------------------------------------------------------------------------------- */

static const struct usage town_usage = {"town", NULL, "Towns: the orchestration spaces you can see.\n"};

static const struct usage town_list_usage = {
	"town list", "town list", "The towns you can see, with your role in each.\n",
};

static const struct usage town_create_usage = {
	"town create", "town create ID [--name NAME]",
	"Create a town you own. ID is 1-64 of a-z A-Z 0-9 _ - (not starting with -).\n"
	"\n"
	"  --name NAME    its display name (default ID)\n",
};

static const struct usage town_show_usage = {"town show", "town show ID", "One town.\n"};

static const struct usage town_delete_usage = {
	"town delete", "town delete ID", "Delete a town and everything in it (owner only).\n",
};

static int town_list(struct cli *cli, int argc, char **argv)
{
	struct http_path p = {0};
	struct opt o;
	int rc = opt_plain(&o, cli, &town_list_usage, 0, 0, argc, argv);

	if (rc >= 0)
		return rc;
	http_path_lit(&p, "/api/me/towns");
	return cli_call_print(cli, "GET", &p, NULL, print_towns);
}

static int town_create(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {{"name", required_argument, 0, 'n'}, {0, 0, 0, 0}};
	const char *name = NULL;
	struct http_path p = {0};
	struct opt o;
	cJSON *b;
	int c;

	opt_init(&o, cli, &town_create_usage, NULL, opts, argc, argv);
	while ((c = opt_next(&o)) != -1) {
		if (c != 'n')
			return OPT_EXIT(c);
		name = optarg;
	}
	if (opt_operands(&o, 1, 1) < 0 || opt_id(&town_create_usage, "town", o.pos[0]) < 0)
		return 2;
	http_path_lit(&p, "/api/towns/");
	http_path_seg(&p, o.pos[0]);
	b = cJSON_CreateObject();
	cJSON_AddStringToObject(b, "name", name ? name : o.pos[0]);
	return cli_call_print(cli, "POST", &p, b, print_town);
}

/* town show and town delete: one town by id. */
static int town_one(struct cli *cli, int argc, char **argv, const struct usage *u, const char *method,
		    void (*text)(const cJSON *))
{
	struct http_path p = {0};
	struct opt o;
	int rc = opt_plain(&o, cli, u, 1, 1, argc, argv);

	if (rc >= 0)
		return rc;
	if (opt_id(u, "town", o.pos[0]) < 0)
		return 2;
	http_path_lit(&p, "/api/towns/");
	http_path_seg(&p, o.pos[0]);
	return cli_call_print(cli, method, &p, NULL, text);
}

static int town_show(struct cli *cli, int argc, char **argv)
{
	return town_one(cli, argc, argv, &town_show_usage, "GET", print_town);
}

static int town_delete(struct cli *cli, int argc, char **argv)
{
	return town_one(cli, argc, argv, &town_delete_usage, "DELETE", print_done);
}

int cmd_town(struct cli *cli, int argc, char **argv)
{
	static const struct subcommand subs[] = {
		{"list", town_list, &town_list_usage}, {"create", town_create, &town_create_usage},
		{"show", town_show, &town_show_usage}, {"delete", town_delete, &town_delete_usage},
	};

	return opt_dispatch(cli, &town_usage, subs, sizeof subs / sizeof subs[0], argc, argv);
}

/* ---- rig ----------------------------------------------------------------------------------------- */

static const struct usage rig_usage = {"rig", NULL, "Rigs: the git repositories a town works on.\n"};

static const struct usage rig_list_usage = {"rig list", "[--town TOWN] rig list", "The town's rigs.\n"};

static const struct usage rig_add_usage = {
	"rig add", "[--town TOWN] rig add ID GIT_URL [--branch BRANCH] [--merge direct|pr]",
	"Add a git repository to the town as rig ID.\n"
	"\n"
	"  --branch BRANCH        the branch work starts from and merges into (default main)\n"
	"  --merge direct|pr      the refinery merges itself (direct, the default) or opens a pull request\n",
};

static int rig_list(struct cli *cli, int argc, char **argv)
{
	struct http_path p = {0};
	struct opt o;
	int rc = opt_plain(&o, cli, &rig_list_usage, 0, 0, argc, argv);

	if (rc >= 0)
		return rc;
	if (town_path(cli, &p, "/rigs", NULL) < 0)
		return 2;
	return cli_call_print(cli, "GET", &p, NULL, print_rigs);
}

static int rig_add(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"branch", required_argument, 0, 'b'}, {"merge", required_argument, 0, 'm'}, {0, 0, 0, 0},
	};
	const char *branch = NULL, *merge = NULL;
	struct http_path p = {0};
	struct opt o;
	cJSON *b;
	int c;

	opt_init(&o, cli, &rig_add_usage, NULL, opts, argc, argv);
	while ((c = opt_next(&o)) != -1) {
		switch (c) {
		case 'b': branch = optarg; break;
		case 'm': merge = optarg; break;
		default: return OPT_EXIT(c);
		}
	}
	if (opt_operands(&o, 2, 2) < 0 || opt_id(&rig_add_usage, "rig", o.pos[0]) < 0)
		return 2;
	if (merge && strcmp(merge, "direct") != 0 && strcmp(merge, "pr") != 0)
		return opt_fail(&rig_add_usage, "--merge is direct or pr, not '%s'", merge);
	if (town_path(cli, &p, "/rigs", NULL) < 0)
		return 2;
	b = cJSON_CreateObject();
	cJSON_AddStringToObject(b, "id", o.pos[0]);
	cJSON_AddStringToObject(b, "git_url", o.pos[1]);
	if (branch)
		cJSON_AddStringToObject(b, "default_branch", branch);
	if (merge)
		cJSON_AddStringToObject(b, "merge_strategy", merge);
	return cli_call_print(cli, "POST", &p, b, print_rig);
}

int cmd_rig(struct cli *cli, int argc, char **argv)
{
	static const struct subcommand subs[] = {
		{"list", rig_list, &rig_list_usage}, {"add", rig_add, &rig_add_usage},
	};

	return opt_dispatch(cli, &rig_usage, subs, sizeof subs / sizeof subs[0], argc, argv);
}

/* ---- bead ---------------------------------------------------------------------------------------- */

static const struct usage bead_usage = {
	"bead", NULL,
	"Beads: the town's units of work. A bead filed with a rig is held: nothing starts it until\n"
	"`gt sling BEAD` hands it to the town's agents (or bead create --sling does at once).\n",
};

static const struct usage bead_create_usage = {
	"bead create", "[--town TOWN] bead create TITLE [options]",
	"File a bead; prints it (with -q, only its id). A title that starts with '-' goes after --.\n"
	"\n"
	"  --type TYPE          task (default), bug, feature, epic, chore, ...\n"
	"  --priority 0-4       0 is the most urgent (default 2)\n"
	"  --body TEXT          the description (a ```gt-script block drives the scripted agent)\n"
	"  --rig RIG            the rig it is for; the bead is held until `gt sling` (or --sling)\n"
	"  --sling              hand it to the rig's agents at once (needs --rig)\n"
	"  --label LABEL        a label; repeat for more\n"
	"  --assignee WHO       who works on it\n"
	"  --parent BEAD        the bead it is part of\n"
	"  -q, --quiet          print only the new bead's id (BEAD=$(gt bead create -q ...))\n",
};

static const struct usage bead_list_usage = {
	"bead list", "[--town TOWN] bead list [--status S] [--type T] [--label L] [--assignee A] [--rig R]\n"
		     "[--town TOWN] bead list [--parent BEAD] [--ready] [--limit N] [--cursor C]",
	"The town's beads, newest first, one page at a time (filters combine with AND).\n"
	"\n"
	"  --status STATUS      open, in_progress, in_review, blocked, closed, failed\n"
	"  --type TYPE          task, bug, feature, ...\n"
	"  --label LABEL, --assignee WHO, --rig RIG, --parent BEAD    exact matches\n"
	"  --ready              open beads whose blockers are all closed\n"
	"  --limit N            1-200 (default 50)\n"
	"  --cursor C           the next page, as the previous one said\n",
};

static const struct usage bead_show_usage = {
	"bead show", "[--town TOWN] bead show BEAD", "One bead, with its body and dependencies.\n",
};

static const struct usage bead_update_usage = {
	"bead update", "[--town TOWN] bead update BEAD [options]",
	"Change a bead; each changed field is recorded in the feed.\n"
	"\n"
	"  --status STATUS      open, in_progress, in_review, blocked, closed, failed\n"
	"  --title TITLE, --body TEXT, --type TYPE, --priority 0-4, --assignee WHO\n"
	"  --rig RIG            the rig (an open bead that is not held may start at once)\n"
	"  --hold               hold it until `gt sling`\n"
	"  --label LABEL        the labels, replacing the old ones; repeat for more\n",
};

static const struct usage bead_close_usage = {
	"bead close", "[--town TOWN] bead close BEAD [--reason TEXT]",
	"Close a bead.\n"
	"\n"
	"  --reason TEXT        why, kept with the bead\n",
};

enum { B_TYPE = 0x101, B_STATUS, B_PRIORITY, B_RIG, B_TITLE, B_BODY, B_ASSIGNEE, B_PARENT, B_LABEL,
       B_SLING, B_HOLD, B_READY, B_LIMIT, B_CURSOR, B_REASON };

/* A bead field option of create or update into b; 0, or the exit status 2 (printed). */
static int bead_field(const struct usage *u, cJSON *b, int c, const char *v)
{
	static const struct { int opt; const char *field; } text[] = {
		{B_TYPE, "type"}, {B_STATUS, "status"}, {B_RIG, "rig"}, {B_TITLE, "title"},
		{B_BODY, "body"}, {B_ASSIGNEE, "assignee"}, {B_PARENT, "parent"},
	};
	cJSON *labels;
	long n;

	for (size_t i = 0; i < sizeof text / sizeof text[0]; i++) {
		if (text[i].opt != c)
			continue;
		cJSON_DeleteItemFromObjectCaseSensitive(b, text[i].field);
		cJSON_AddStringToObject(b, text[i].field, v);
		return 0;
	}
	if (c == B_PRIORITY) {
		/* The range is the town's to check (it names the field); a word is a typo. */
		if (opt_long(u, "--priority", v, 0, 1000000, &n) < 0)
			return 2;
		cJSON_DeleteItemFromObjectCaseSensitive(b, "priority");
		cJSON_AddNumberToObject(b, "priority", (double)n);
		return 0;
	}
	if (c == B_LABEL) {
		if (!(labels = cJSON_GetObjectItemCaseSensitive(b, "labels")))
			labels = cJSON_AddArrayToObject(b, "labels");
		cJSON_AddItemToArray(labels, cJSON_CreateString(v));
		return 0;
	}
	return 2;
}

#define BEAD_FIELD_OPTIONS                                                                             \
	{"type", required_argument, 0, B_TYPE}, {"priority", required_argument, 0, B_PRIORITY},        \
	{"rig", required_argument, 0, B_RIG}, {"body", required_argument, 0, B_BODY},                  \
	{"assignee", required_argument, 0, B_ASSIGNEE}, {"label", required_argument, 0, B_LABEL}

static int bead_create(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		BEAD_FIELD_OPTIONS, {"parent", required_argument, 0, B_PARENT},
		{"sling", no_argument, 0, B_SLING}, {"quiet", no_argument, 0, 'q'}, {0, 0, 0, 0},
	};
	const struct usage *u = &bead_create_usage;
	cJSON *b = cJSON_CreateObject(), *res = NULL, *sling;
	struct http_path p = {0}, sp = {0};
	int c, quiet = 0, now = 0, rc = 0;
	const char *id, *rig = NULL;
	struct opt o;

	opt_init(&o, cli, u, "q", opts, argc, argv);
	while (rc == 0 && (c = opt_next(&o)) != -1) {
		if (c < 0) {
			cJSON_Delete(b);
			return OPT_EXIT(c);
		}
		if (c == 'q')
			quiet = 1;
		else if (c == B_SLING)
			now = 1;
		else
			rc = bead_field(u, b, c, optarg);
		if (c == B_RIG)
			rig = optarg; /* argv's, so it outlives b (cli_call() consumes b) */
	}
	if (rc == 0 && opt_operands(&o, 1, 1) < 0)
		rc = 2;
	if (rc == 0 && now && !rig)
		rc = opt_fail(u, "--sling needs --rig: the rig whose agents take the bead");
	if (rc == 0 && town_path(cli, &p, "/beads", NULL) < 0)
		rc = 2;
	if (rc != 0) {
		cJSON_Delete(b);
		return rc;
	}
	cJSON_AddStringToObject(b, "title", o.pos[0]);
	/* Filed with a rig, a bead would start at once: held, it waits for `gt sling` (as the
	 * dashboard files them), so it can be looked at, put in a convoy or given deps first. */
	if (rig)
		cJSON_AddTrueToObject(b, "held");
	if (quiet)
		cli->json = 0;
	if ((rc = cli_call(cli, "POST", &p, b, &res)) != 0)
		return rc;
	id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(res, "data"), "id"));
	if (now && id) {
		cJSON *slung = NULL;

		town_path(cli, &sp, "/beads", id);
		http_path_lit(&sp, "/sling");
		sling = cJSON_CreateObject();
		cJSON_AddStringToObject(sling, "rig", rig);
		if ((rc = cli_call(cli, "POST", &sp, sling, &slung)) != 0) {
			fprintf(stderr, "gt bead create: %s was filed, held; hand it over with `gt sling %s`\n", id, id);
		} else {
			cJSON_Delete(res);
			res = slung;
		}
	}
	if (rc == 0)
		cli_print_data(cli, res, quiet ? print_bead_id : print_bead);
	cJSON_Delete(res);
	return rc;
}

static int bead_list(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"status", required_argument, 0, B_STATUS}, {"type", required_argument, 0, B_TYPE},
		{"label", required_argument, 0, B_LABEL}, {"assignee", required_argument, 0, B_ASSIGNEE},
		{"rig", required_argument, 0, B_RIG}, {"parent", required_argument, 0, B_PARENT},
		{"ready", no_argument, 0, B_READY}, {"limit", required_argument, 0, B_LIMIT},
		{"cursor", required_argument, 0, B_CURSOR}, {0, 0, 0, 0},
	};
	struct http_path p = {0}, q = {0};
	struct opt o;
	int c;

	opt_init(&o, cli, &bead_list_usage, NULL, opts, argc, argv);
	while ((c = opt_next(&o)) != -1) {
		const struct option *l = opts;

		if (c < 0)
			return OPT_EXIT(c);
		while (l->val != c)
			l++;
		/* Each filter is the query parameter of the same name (docs/api.md); the town checks
		 * the values. */
		http_path_lit(&q, q.n ? "&" : "?");
		http_path_lit(&q, l->name);
		http_path_lit(&q, "=");
		http_path_seg(&q, c == B_READY ? "true" : optarg);
	}
	if (opt_operands(&o, 0, 0) < 0 || town_path(cli, &p, "/beads", NULL) < 0)
		return 2;
	http_path_lit(&p, q.s);
	p.overflow |= q.overflow;
	return cli_call_print(cli, "GET", &p, NULL, print_bead_page);
}

static int bead_show(struct cli *cli, int argc, char **argv)
{
	struct http_path p = {0};
	struct opt o;
	int rc = opt_plain(&o, cli, &bead_show_usage, 1, 1, argc, argv);

	if (rc >= 0)
		return rc;
	if (town_path(cli, &p, "/beads", o.pos[0]) < 0)
		return 2;
	return cli_call_print(cli, "GET", &p, NULL, print_bead_detail);
}

static int bead_update(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		BEAD_FIELD_OPTIONS, {"status", required_argument, 0, B_STATUS},
		{"title", required_argument, 0, B_TITLE}, {"hold", no_argument, 0, B_HOLD}, {0, 0, 0, 0},
	};
	const struct usage *u = &bead_update_usage;
	cJSON *b = cJSON_CreateObject();
	struct http_path p = {0};
	struct opt o;
	int c, rc = 0;

	opt_init(&o, cli, u, NULL, opts, argc, argv);
	while (rc == 0 && (c = opt_next(&o)) != -1) {
		if (c < 0) {
			cJSON_Delete(b);
			return OPT_EXIT(c);
		}
		if (c == B_HOLD) {
			cJSON_DeleteItemFromObjectCaseSensitive(b, "held");
			cJSON_AddTrueToObject(b, "held");
		} else {
			rc = bead_field(u, b, c, optarg);
		}
	}
	if (rc == 0 && opt_operands(&o, 1, 1) < 0)
		rc = 2;
	if (rc == 0 && cJSON_GetArraySize(b) == 0)
		rc = opt_fail(u, "nothing to change: give at least one option");
	if (rc == 0 && town_path(cli, &p, "/beads", o.pos[0]) < 0)
		rc = 2;
	if (rc != 0) {
		cJSON_Delete(b);
		return rc;
	}
	return cli_call_print(cli, "PATCH", &p, b, print_bead);
}

static int bead_close(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {{"reason", required_argument, 0, B_REASON}, {0, 0, 0, 0}};
	const char *reason = NULL;
	struct http_path p = {0};
	struct opt o;
	cJSON *b;
	int c;

	opt_init(&o, cli, &bead_close_usage, NULL, opts, argc, argv);
	while ((c = opt_next(&o)) != -1) {
		if (c != B_REASON)
			return OPT_EXIT(c);
		reason = optarg;
	}
	if (opt_operands(&o, 1, 1) < 0 || town_path(cli, &p, "/beads", o.pos[0]) < 0)
		return 2;
	http_path_lit(&p, "/close");
	b = cJSON_CreateObject();
	if (reason)
		cJSON_AddStringToObject(b, "reason", reason);
	return cli_call_print(cli, "POST", &p, b, print_bead);
}

int cmd_bead(struct cli *cli, int argc, char **argv)
{
	static const struct subcommand subs[] = {
		{"create", bead_create, &bead_create_usage}, {"list", bead_list, &bead_list_usage},
		{"show", bead_show, &bead_show_usage}, {"update", bead_update, &bead_update_usage},
		{"close", bead_close, &bead_close_usage},
	};

	return opt_dispatch(cli, &bead_usage, subs, sizeof subs / sizeof subs[0], argc, argv);
}

/* ---- convoy -------------------------------------------------------------------------------------- */

static const struct usage convoy_usage = {"convoy", NULL, "Convoys: batches of beads tracked to landing.\n"};

static const struct usage convoy_list_usage = {"convoy list", "[--town TOWN] convoy list", "The town's convoys.\n"};

static const struct usage convoy_show_usage = {
	"convoy show", "[--town TOWN] convoy show CONVOY", "One convoy, with its beads.\n",
};

static const struct usage convoy_create_usage = {
	"convoy create", "[--town TOWN] convoy create TITLE BEAD... [--series]",
	"Group beads in a convoy (sling it through the API or the dashboard).\n"
	"\n"
	"  --series     one after the other, each waiting for the one before (default: all at once)\n",
};

static const struct usage convoy_mode_usage = {
	"convoy mode", "[--town TOWN] convoy mode CONVOY series|fan-out",
	"How an open convoy's beads run: series, one after the other (each waits for the one before),\n"
	"or fan-out, all at once. Only the links series makes are added or taken away.\n",
};

static int convoy_list(struct cli *cli, int argc, char **argv)
{
	struct http_path p = {0};
	struct opt o;
	int rc = opt_plain(&o, cli, &convoy_list_usage, 0, 0, argc, argv);

	if (rc >= 0)
		return rc;
	if (town_path(cli, &p, "/convoys", NULL) < 0)
		return 2;
	return cli_call_print(cli, "GET", &p, NULL, print_convoys);
}

static int convoy_show(struct cli *cli, int argc, char **argv)
{
	struct http_path p = {0};
	struct opt o;
	int rc = opt_plain(&o, cli, &convoy_show_usage, 1, 1, argc, argv);

	if (rc >= 0)
		return rc;
	if (town_path(cli, &p, "/convoys", o.pos[0]) < 0)
		return 2;
	return cli_call_print(cli, "GET", &p, NULL, print_convoy);
}

static int convoy_create(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {{"series", no_argument, 0, 's'}, {0, 0, 0, 0}};
	struct http_path p = {0};
	cJSON *b, *beads;
	int c, series = 0;
	struct opt o;

	opt_init(&o, cli, &convoy_create_usage, NULL, opts, argc, argv);
	while ((c = opt_next(&o)) != -1) {
		if (c != 's')
			return OPT_EXIT(c);
		series = 1;
	}
	if (opt_operands(&o, 2, -1) < 0 || town_path(cli, &p, "/convoys", NULL) < 0)
		return 2;
	b = cJSON_CreateObject();
	cJSON_AddStringToObject(b, "title", o.pos[0]);
	if (series)
		cJSON_AddStringToObject(b, "mode", "series");
	beads = cJSON_AddArrayToObject(b, "beads");
	for (int i = 1; i < o.npos; i++)
		cJSON_AddItemToArray(beads, cJSON_CreateString(o.pos[i]));
	return cli_call_print(cli, "POST", &p, b, print_convoy);
}

static int convoy_mode(struct cli *cli, int argc, char **argv)
{
	struct http_path p = {0};
	struct opt o;
	cJSON *b;
	int rc = opt_plain(&o, cli, &convoy_mode_usage, 2, 2, argc, argv);

	if (rc >= 0)
		return rc;
	if (strcmp(o.pos[1], "series") && strcmp(o.pos[1], "fan-out"))
		return opt_fail(&convoy_mode_usage, "the mode is series or fan-out, not '%s'", o.pos[1]);
	if (town_path(cli, &p, "/convoys", o.pos[0]) < 0)
		return 2;
	b = cJSON_CreateObject();
	cJSON_AddStringToObject(b, "mode", o.pos[1]);
	return cli_call_print(cli, "PATCH", &p, b, print_convoy);
}

int cmd_convoy(struct cli *cli, int argc, char **argv)
{
	static const struct subcommand subs[] = {
		{"list", convoy_list, &convoy_list_usage}, {"show", convoy_show, &convoy_show_usage},
		{"create", convoy_create, &convoy_create_usage}, {"mode", convoy_mode, &convoy_mode_usage},
	};

	return opt_dispatch(cli, &convoy_usage, subs, sizeof subs / sizeof subs[0], argc, argv);
}

/* ---- mail ---------------------------------------------------------------------------------------- */

static const struct usage mail_usage = {
	"mail", NULL,
	"Mail to agents. A person sees the town's mail; an agent (with its token) its own inbox.\n",
};

static const struct usage mail_list_usage = {
	"mail list", "[--town TOWN] mail list | inbox [--unread]",
	"The town's newest 200 messages; for an agent, its inbox.\n"
	"\n"
	"  --unread     (agent) only the messages it has not read\n",
};

static const struct usage mail_send_usage = {
	"mail send", "[--town TOWN] mail send AGENT SUBJECT [BODY | --body TEXT]",
	"Send mail to an agent of the town (toast, mayor, refinery-web, ...).\n"
	"\n"
	"  --body TEXT  the message (or give it as the third operand)\n",
};

static int mail_list(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {{"unread", no_argument, 0, 'u'}, {0, 0, 0, 0}};
	struct http_path p = {0};
	int c, unread = 0;
	struct opt o;

	opt_init(&o, cli, &mail_list_usage, NULL, opts, argc, argv);
	while ((c = opt_next(&o)) != -1) {
		if (c != 'u')
			return OPT_EXIT(c);
		unread = 1;
	}
	if (opt_operands(&o, 0, 0) < 0)
		return 2;
	/* An agent's mail is its own, under /agents/:agent/mail (agent_cmds.c). */
	if (cli->as_agent)
		return agent_mail_list(cli, unread);
	if (unread)
		return opt_fail(&mail_list_usage, "--unread is for an agent's inbox; a person sees the town's mail");
	if (town_path(cli, &p, "/mail", NULL) < 0)
		return 2;
	return cli_call_print(cli, "GET", &p, NULL, print_mail);
}

static int mail_send(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {{"body", required_argument, 0, 'b'}, {0, 0, 0, 0}};
	const char *body = NULL;
	struct http_path p = {0};
	struct opt o;
	cJSON *b;
	int c;

	opt_init(&o, cli, &mail_send_usage, NULL, opts, argc, argv);
	while ((c = opt_next(&o)) != -1) {
		if (c != 'b')
			return OPT_EXIT(c);
		body = optarg;
	}
	if (opt_operands(&o, 2, body ? 2 : 3) < 0)
		return 2;
	if (o.npos == 3)
		body = o.pos[2];
	if (cli->as_agent)
		return agent_mail_send(cli, o.pos[0], o.pos[1], body);
	if (town_path(cli, &p, "/mail", NULL) < 0)
		return 2;
	b = cJSON_CreateObject();
	cJSON_AddStringToObject(b, "to", o.pos[0]);
	cJSON_AddStringToObject(b, "subject", o.pos[1]);
	if (body)
		cJSON_AddStringToObject(b, "body", body);
	return cli_call_print(cli, "POST", &p, b, print_sent);
}

int cmd_mail(struct cli *cli, int argc, char **argv)
{
	static const struct subcommand subs[] = {
		{"list", mail_list, &mail_list_usage}, {"inbox", mail_list, &mail_list_usage},
		{"send", mail_send, &mail_send_usage},
	};

	return opt_dispatch(cli, &mail_usage, subs, sizeof subs / sizeof subs[0], argc, argv);
}

/* ---- feed ---------------------------------------------------------------------------------------- */

static const struct usage feed_usage = {
	"feed", "[--town TOWN] feed [--after SEQ] [--follow]",
	"The town's activity, oldest first: every event after SEQ (default 0), with who acted for\n"
	"whom. A run shows as bead.slung, bead.dispatched, agent.status, bead.done, then the\n"
	"refinery's merge: bead.closed of the merge request and of the bead.\n"
	"\n"
	"  --after SEQ  only events after this one (each line starts with #SEQ)\n"
	"  --follow     keep printing new events as they happen, until interrupted (Ctrl-C)\n",
};

#define FEED_PAGE 500       /* the most the town sends at once */
#define FEED_POLL_MS 1000L  /* --follow: how often to ask again */

/* One page of events after *after into *events (taken from the answer); *after moves to the last
 * one. Returns the exit status. */
static int feed_page(struct cli *cli, long *after, cJSON **events)
{
	struct http_path p = {0};
	const cJSON *next;
	cJSON *res, *data;
	char q[64];
	int rc;

	*events = NULL;
	town_path(cli, &p, "/events", NULL);
	snprintf(q, sizeof q, "?after=%ld&limit=%d", *after, FEED_PAGE);
	http_path_lit(&p, q);
	if ((rc = cli_call(cli, "GET", &p, NULL, &res)) != 0)
		return rc;
	data = cJSON_GetObjectItemCaseSensitive(res, "data");
	next = cJSON_GetObjectItemCaseSensitive(data, "next_after");
	if (cJSON_IsNumber(next) && next->valuedouble > (double)*after)
		*after = (long)next->valuedouble;
	*events = cJSON_DetachItemFromObjectCaseSensitive(data, "events");
	cJSON_Delete(res);
	if (!cJSON_IsArray(*events)) {
		cJSON_Delete(*events);
		*events = cJSON_CreateArray();
	}
	return 0;
}

int cmd_feed(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"after", required_argument, 0, 'a'}, {"follow", no_argument, 0, 'f'}, {0, 0, 0, 0},
	};
	cJSON *all = NULL, *events, *e;
	int c, follow = 0, rc, got;
	long after = 0;
	struct opt o;

	opt_init(&o, cli, &feed_usage, NULL, opts, argc, argv);
	while ((c = opt_next(&o)) != -1) {
		if (c == 'a' && opt_long(&feed_usage, "--after", optarg, 0, 999999999999L, &after) < 0)
			return 2;
		else if (c == 'f')
			follow = 1;
		else if (c != 'a')
			return OPT_EXIT(c);
	}
	if (opt_operands(&o, 0, 0) < 0 || cli_need_town(cli) < 0)
		return 2;
	/* --json without --follow: one answer, as the town's page is ({"events", "next_after"}); else
	 * each event as it comes (with --json, one JSON object a line). */
	if (cli->json && !follow)
		all = cJSON_CreateArray();
	for (;;) {
		if ((rc = feed_page(cli, &after, &events)) != 0) {
			cJSON_Delete(all);
			return rc;
		}
		got = cJSON_GetArraySize(events);
		if (all) {
			while (cJSON_GetArraySize(events) > 0)
				cJSON_AddItemToArray(all, cJSON_DetachItemFromArray(events, 0));
		} else if (cli->json) {
			cJSON_ArrayForEach(e, events) {
				char *line = cJSON_PrintUnformatted(e);
				printf("%s\n", line ? line : "null");
				cJSON_free(line);
			}
		} else {
			cJSON *page = cJSON_CreateObject();

			cJSON_AddItemToObject(page, "events", events);
			events = NULL;
			print_feed(page);
			cJSON_Delete(page);
		}
		cJSON_Delete(events);
		fflush(stdout);
		if (got >= FEED_PAGE)
			continue; /* more pages up to the newest */
		if (!follow)
			break;
		struct timespec ts = {.tv_sec = FEED_POLL_MS / 1000, .tv_nsec = (FEED_POLL_MS % 1000) * 1000000L};
		nanosleep(&ts, NULL);
	}
	if (all) {
		cJSON *page = cJSON_CreateObject();

		cJSON_AddItemToObject(page, "events", all);
		cJSON_AddNumberToObject(page, "next_after", (double)after);
		cli_print_json(page);
		cJSON_Delete(page);
	}
	return 0;
}

/* ---- mayor --------------------------------------------------------------------------------------- */

static const struct usage mayor_usage = {
	"mayor", NULL,
	"Talk to the town's Mayor. With a command runtime (the town's mayor_runtime or runtime setting)\n"
	"a run of the Mayor answers each message, acting for you; with the scripted runtime messages wait\n"
	"in its inbox.\n",
};

static const struct usage mayor_ask_usage = {
	"mayor ask", "[--town TOWN] mayor ask TEXT [--wait SECONDS]",
	"Send the Mayor a message; prints its id.\n"
	"\n"
	"  --wait SECONDS   wait up to SECONDS for the answer and print it (exit 1 if none came)\n",
};

static const struct usage mayor_log_usage = {"mayor log", "[--town TOWN] mayor log",
					     "Your conversation with the Mayor, newest first.\n"};

static void print_conversation(const cJSON *list)
{
	const cJSON *m, *r;

	cJSON_ArrayForEach(m, list) {
		printf("you (%s): %s\n", str(m, "id"), str(m, "text"));
		cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(m, "replies"))
			printf("  mayor: %s\n", str(r, "text"));
	}
}

/* The replies to message id in the caller's conversation: a new array, or NULL when none yet. */
static cJSON *replies_to(struct cli *cli, const char *id)
{
	struct http_path p = {0};
	cJSON *res = NULL, *out = NULL;
	const cJSON *m;

	if (town_path(cli, &p, "/mayor/messages", NULL) < 0 || cli_call(cli, "GET", &p, NULL, &res) != 0)
		return NULL;
	cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(res, "data"))
		if (strcmp(str(m, "id"), id) == 0 && cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(m, "replies")) > 0)
			out = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(m, "replies"), 1);
	cJSON_Delete(res);
	return out;
}

static int mayor_ask(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {{"wait", required_argument, 0, 'w'}, {0, 0, 0, 0}};
	struct http_path p = {0};
	struct opt o;
	cJSON *b, *res = NULL, *replies = NULL;
	char id[64];
	long wait = 0;
	int c, rc;

	opt_init(&o, cli, &mayor_ask_usage, NULL, opts, argc, argv);
	while ((c = opt_next(&o)) != -1) {
		if (c != 'w')
			return OPT_EXIT(c);
		if (opt_long(&mayor_ask_usage, "--wait", optarg, 0, 3600, &wait) < 0)
			return 2;
	}
	if (opt_operands(&o, 1, 1) < 0)
		return 2;
	if (town_path(cli, &p, "/mayor/messages", NULL) < 0)
		return 2;
	b = cJSON_CreateObject();
	cJSON_AddStringToObject(b, "text", o.pos[0]);
	if ((rc = cli_call(cli, "POST", &p, b, &res)) != 0)
		return rc;
	snprintf(id, sizeof id, "%s", str(cJSON_GetObjectItemCaseSensitive(res, "data"), "id"));
	cJSON_Delete(res);
	if (!cli->json)
		printf("asked the Mayor (%s)\n", id);
	/* Poll the conversation once a second: the answer is a run of a coding CLI away. */
	for (long waited = 0; waited < wait && !(replies = replies_to(cli, id)); waited++)
		sleep(1);
	if (cli->json) {
		cJSON *o2 = cJSON_CreateObject();
		char *s;

		cJSON_AddStringToObject(o2, "id", id);
		cJSON_AddItemToObject(o2, "replies", replies ? replies : cJSON_CreateArray());
		s = cJSON_PrintUnformatted(o2);
		printf("%s\n", s ? s : "{}");
		cJSON_free(s);
		cJSON_Delete(o2);
		return wait && !replies ? 1 : 0;
	}
	if (replies) {
		const cJSON *r;

		cJSON_ArrayForEach(r, replies)
			printf("mayor: %s\n", str(r, "text"));
		cJSON_Delete(replies);
		return 0;
	}
	if (wait) {
		fprintf(stderr, "gt mayor ask: no answer within %ld s (gt mayor log shows it when it comes)\n", wait);
		return 1;
	}
	return 0;
}

static int mayor_log(struct cli *cli, int argc, char **argv)
{
	struct http_path p = {0};
	struct opt o;
	int rc = opt_plain(&o, cli, &mayor_log_usage, 0, 0, argc, argv);

	if (rc >= 0)
		return rc;
	if (town_path(cli, &p, "/mayor/messages", NULL) < 0)
		return 2;
	return cli_call_print(cli, "GET", &p, NULL, print_conversation);
}

int cmd_mayor(struct cli *cli, int argc, char **argv)
{
	static const struct subcommand subs[] = {
		{"ask", mayor_ask, &mayor_ask_usage}, {"log", mayor_log, &mayor_log_usage},
	};

	return opt_dispatch(cli, &mayor_usage, subs, sizeof subs / sizeof subs[0], argc, argv);
}
