/*
 * import_cmds.c - `gt import` and `gt export`: local Gas Town's beads in and out as bd's JSONL
 * (docs/import-export.md). A file larger than one request goes in parts of whole lines, each
 * numbered from its place in the file; every part is first sent as a dry run, so a bad line
 * anywhere stores nothing at all. Export pages through the town and writes one line a bead.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define PART_BYTES (900 * 1024) /* under the engine's 1 MiB body limit */
#define PART_LINES 2000         /* JSONL_LINES_MAX */
#define FILE_MAX (256L * 1024 * 1024)

static const struct usage import_usage = {
	"import", "[--town TOWN] import FILE [--dry-run]   (FILE - for stdin)",
	"Bring local Gas Town's beads into the town (its admins): FILE is bd's JSONL (`bd export`,\n"
	".beads/issues.jsonl). A line's id seen before updates its bead. A bad line anywhere stores\n"
	"nothing; its number is told.\n"
	"  --dry-run   check every line, store nothing\n",
};

static const struct usage export_usage = {
	"export", "[--town TOWN] export [-o FILE]",
	"The town's beads as bd's JSONL, one line a bead, oldest first: to FILE, or stdout.\n",
};

static char *slurp(const char *path, size_t *len)
{
	int is_stdin = strcmp(path, "-") == 0;
	FILE *f = is_stdin ? stdin : fopen(path, "rb");
	size_t cap = 1 << 16, n = 0;
	char *buf;

	if (!f) {
		fprintf(stderr, "gt import: cannot read '%s': %s\n", path, strerror(errno));
		return NULL;
	}
	buf = malloc(cap + 1);
	while (buf) {
		size_t got = fread(buf + n, 1, cap - n, f);

		n += got;
		if (n < cap)
			break;
		if (cap >= (size_t)FILE_MAX) {
			fprintf(stderr, "gt import: '%s' is larger than 256 MiB\n", path);
			free(buf);
			buf = NULL;
			break;
		}
		cap *= 2;
		{
			char *more = realloc(buf, cap + 1);

			if (!more)
				free(buf);
			buf = more;
		}
	}
	if (buf && ferror(f)) {
		fprintf(stderr, "gt import: cannot read '%s'\n", path);
		free(buf);
		buf = NULL;
	}
	if (!is_stdin)
		fclose(f);
	if (buf) {
		buf[n] = '\0';
		*len = n;
	}
	return buf;
}

/* Send each part of text (whole lines, at most PART_BYTES and PART_LINES) to the town. Totals are
 * added into tot[3] (created, updated, lines). 0, or cli_call's status. */
static int send_parts(struct cli *cli, const char *text, size_t len, int dry, long tot[3])
{
	size_t at = 0;
	long line = 1;

	while (at < len) {
		size_t end = at, lines = 0;
		struct http_path p = {0};
		char q[80], *part;
		cJSON *res = NULL;
		const cJSON *d;
		int rc;

		/* Whole lines up to the limits; one line longer than a part is sent alone (and refused). */
		while (end < len && lines < PART_LINES) {
			const char *nl = memchr(text + end, '\n', len - end);
			size_t next = nl ? (size_t)(nl - text) + 1 : len;

			if (lines > 0 && next - at > PART_BYTES)
				break;
			end = next;
			lines++;
		}
		http_path_lit(&p, "/api/towns/");
		http_path_seg(&p, cli->town);
		snprintf(q, sizeof q, "/import?first_line=%ld%s", line, dry ? "&dry_run=true" : "");
		http_path_lit(&p, q);
		if (!(part = strndup(text + at, end - at))) {
			fprintf(stderr, "gt import: out of memory\n");
			return 1;
		}
		rc = cli_call_text(cli, "POST", &p, part, "application/x-ndjson", &res);
		free(part);
		if (rc != 0)
			return rc;
		d = cJSON_GetObjectItemCaseSensitive(res, "data");
		tot[0] += (long)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(d, "created"));
		tot[1] += (long)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(d, "updated"));
		tot[2] += (long)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(d, "lines"));
		cJSON_Delete(res);
		line += (long)lines;
		at = end;
	}
	return 0;
}

int cmd_import(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {{"dry-run", no_argument, 0, 0x101}, {0, 0, 0, 0}};
	long checked[3] = {0}, done[3] = {0};
	int c, dry = 0, rc;
	struct opt o;
	size_t len;
	char *text;

	opt_init(&o, cli, &import_usage, NULL, opts, argc, argv);
	while ((c = opt_next(&o)) != -1) {
		if (c != 0x101)
			return OPT_EXIT(c);
		dry = 1;
	}
	if (opt_operands(&o, 1, 1) < 0 || cli_need_town(cli) < 0)
		return 2;
	if (!(text = slurp(o.pos[0], &len)))
		return 2;
	/* Every part checked before any is stored: all of the file, or none of it. */
	rc = send_parts(cli, text, len, 1, checked);
	if (rc == 0 && !dry)
		rc = send_parts(cli, text, len, 0, done);
	free(text);
	if (rc != 0)
		return rc;
	if (dry)
		printf("checked %ld lines: %ld would be new beads, %ld would be updated; nothing stored\n", checked[2], checked[0],
		       checked[1]);
	else
		printf("imported %ld lines: %ld new beads, %ld updated\n", done[2], done[0], done[1]);
	return 0;
}

int cmd_export(struct cli *cli, int argc, char **argv)
{
	const char *path;
	double cursor = 0;
	long beads = 0;
	FILE *to = stdout;
	struct opt o;
	int c, rc = 0;

	static const struct option none[] = {{0, 0, 0, 0}};

	path = NULL;
	opt_init(&o, cli, &export_usage, "o:", none, argc, argv);
	while ((c = opt_next(&o)) != -1) {
		if (c != 'o')
			return OPT_EXIT(c);
		path = optarg;
	}
	if (opt_operands(&o, 0, 0) < 0 || cli_need_town(cli) < 0)
		return 2;
	if (path && !(to = fopen(path, "wb"))) {
		fprintf(stderr, "gt export: cannot write '%s': %s\n", path, strerror(errno));
		return 2;
	}
	for (;;) {
		struct http_path p = {0};
		char q[64];
		cJSON *res = NULL;
		const cJSON *d, *next;

		http_path_lit(&p, "/api/towns/");
		http_path_seg(&p, cli->town);
		snprintf(q, sizeof q, "/export?cursor=%.0f", cursor);
		http_path_lit(&p, q);
		if ((rc = cli_call(cli, "GET", &p, NULL, &res)) != 0)
			break;
		d = cJSON_GetObjectItemCaseSensitive(res, "data");
		fputs(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(d, "jsonl")), to);
		beads += (long)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(d, "count"));
		next = cJSON_GetObjectItemCaseSensitive(d, "next_cursor");
		cursor = cJSON_IsNumber(next) ? next->valuedouble : 0;
		cJSON_Delete(res);
		if (!cursor)
			break;
	}
	if (path && fclose(to) != 0 && rc == 0) {
		fprintf(stderr, "gt export: cannot write '%s'\n", path);
		rc = 1;
	}
	if (rc == 0 && path)
		printf("exported %ld beads to %s\n", beads, path);
	return rc;
}
