/*
 * test_settings.c - the settings the engine reads are one table each (src/town/town.c's
 * town_settings, src/town/rig.c's rig_settings): docs/api.md gives every one of them with the same
 * type, bounds and default, and a PATCH is refused exactly outside the bounds the table holds.
 * Runs from the repository root (make test does), where it reads docs/api.md.
 */
#include "harness.h"
#include "town/town.h"

#define DOC_PATH "docs/api.md"
#define DOC_MAX (512 * 1024)

static char doc[DOC_MAX];

static int load_doc(void)
{
	FILE *f = fopen(DOC_PATH, "rb");
	size_t n;

	if (!f) {
		printf("# cannot open %s (run from the repository root)\n", DOC_PATH);
		return -1;
	}
	n = fread(doc, 1, sizeof doc - 1, f);
	fclose(f);
	doc[n] = '\0';
	return n < sizeof doc - 1 ? 0 : -1;
}

/* Cell k (0: the first) of the table row that starts "| `name` |", trimmed, into out; -1 if none. */
static int cell(const char *name, int k, char *out, size_t len)
{
	char start[80];
	const char *row, *p, *end;

	snprintf(start, sizeof start, "\n| `%s` |", name);
	if (!(row = strstr(doc, start)))
		return -1;
	p = row + 2; /* past "\n|" */
	for (int i = 0; i < k; i++)
		if (!(p = strchr(p, '|')) || *++p == '\n')
			return -1;
	end = strchr(p, '|');
	if (!end || memchr(p, '\n', (size_t)(end - p)))
		return -1;
	while (*p == ' ')
		p++;
	while (end > p && end[-1] == ' ')
		end--;
	snprintf(out, len, "%.*s", (int)(end - p), p);
	return 0;
}

static const char *type_word(enum field_type t)
{
	return t == FT_STRING ? "string" : t == FT_INT ? "integer" : t == FT_NUMBER ? "number" : t == FT_BOOL ? "boolean" : "?";
}

static void the_docs_give_each_town_setting_as_the_table_does(void)
{
	char got[256], want[64];

	CHECK(load_doc() == 0);
	CHECK(town_settings.n == TOWN_LOG_KEEP + 1);
	for (size_t i = 0; i < town_settings.n; i++) {
		const struct field_rule *r = &town_settings.rule[i];
		int ok;

		if (cell(r->name, 1, got, sizeof got) < 0) {
			printf("# %s has no row in %s's settings table\n", r->name, DOC_PATH);
			CHECK(!"every town setting has a row");
			continue;
		}
		CHECK(strcmp(got, type_word(r->type)) == 0);
		/* Bounds: "min–max" (en dash), the start of a string's ("1–16 of ..."). */
		snprintf(want, sizeof want, "%lld–%lld", (long long)r->min, (long long)r->max);
		CHECK(cell(r->name, 2, got, sizeof got) == 0);
		ok = r->max == 0 || (r->type == FT_STRING ? strncmp(got, want, strlen(want)) == 0 : strcmp(got, want) == 0);
		if (!ok)
			printf("# %s: bounds '%s' in %s, %s in the table\n", r->name, got, DOC_PATH, want);
		CHECK(ok);
		if (r->flags & FR_DEFAULT) {
			snprintf(want, sizeof want, "%lld", (long long)r->def);
			ok = cell(r->name, 3, got, sizeof got) == 0 && strcmp(got, want) == 0;
			if (!ok)
				printf("# %s: default '%s' in %s, %s in the table\n", r->name, got, DOC_PATH, want);
			CHECK(ok);
		}
	}
}

/* A rig's max_attempts, wherever the docs give it: "`max_attempts` (1–20, default 5". */
static void the_docs_give_max_attempts_as_the_table_does(void)
{
	const struct field_rule *r = &rig_settings.rule[RIG_MAX_ATTEMPTS];
	char want[64];
	int seen = 0;

	CHECK(load_doc() == 0);
	CHECK(strcmp(r->name, "max_attempts") == 0);
	snprintf(want, sizeof want, "(%lld–%lld, default %lld", (long long)r->min, (long long)r->max, (long long)r->def);
	for (const char *p = strstr(doc, "max_attempts` ("); p; p = strstr(p + 1, "max_attempts` (")) {
		int ok = strncmp(p + strlen("max_attempts` "), want, strlen(want)) == 0;

		if (!ok)
			printf("# %s: '%.40s', the table says %s\n", DOC_PATH, p, want);
		CHECK(ok);
		seen++;
	}
	CHECK(seen >= 2);
}

static int patch(struct eng *e, const char *settings, struct t_res *r)
{
	char body[256];

	snprintf(body, sizeof body, "{\"settings\":%s}", settings);
	*r = t_request(e, "PATCH", "/api/towns/t1/settings", body, t_as("sarah"));
	return r->status;
}

/* At each bound a number is taken; just past it, refused with the table's bounds in the message. */
static void a_patch_is_refused_just_outside_the_bounds(void)
{
	struct eng *e = t_town(0);
	struct t_res r;
	char s[128], msg[128];

	for (int k = TOWN_LOST_AFTER_S; k <= TOWN_BREAKER_FAILURES; k++) {
		const struct field_rule *rule = &town_settings.rule[k];

		snprintf(s, sizeof s, "{\"%s\":%lld}", rule->name, (long long)rule->min);
		CHECK(patch(e, s, &r) == 200);
		t_res_free(&r);
		snprintf(s, sizeof s, "{\"%s\":%lld}", rule->name, (long long)rule->max);
		CHECK(patch(e, s, &r) == 200);
		t_res_free(&r);
		snprintf(msg, sizeof msg, "'%s' is a number from %lld to %lld", rule->name, (long long)rule->min,
			 (long long)rule->max);
		snprintf(s, sizeof s, "{\"%s\":%g}", rule->name, (double)rule->min - 0.5);
		CHECK(patch(e, s, &r) == 400 && t_streq(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(r.body, "error"), "field")), "settings"));
		CHECK(t_streq(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(r.body, "error"), "message")), msg));
		t_res_free(&r);
		snprintf(s, sizeof s, "{\"%s\":%g}", rule->name, (double)rule->max + 0.5);
		CHECK(patch(e, s, &r) == 400);
		t_res_free(&r);
		snprintf(s, sizeof s, "{\"%s\":null}", rule->name);
		CHECK(patch(e, s, &r) == 200);
		t_res_free(&r);
	}
	/* The prefix: its length bounds, its own field. */
	snprintf(s, sizeof s, "{\"bead_prefix\":\"%.*s\"}", (int)town_settings.rule[TOWN_BEAD_PREFIX].max, "abcdefghijklmnopqrstuvwxyz");
	CHECK(patch(e, s, &r) == 200);
	t_res_free(&r);
	snprintf(s, sizeof s, "{\"bead_prefix\":\"%.*s\"}", (int)town_settings.rule[TOWN_BEAD_PREFIX].max + 1, "abcdefghijklmnopqrstuvwxyz");
	CHECK(patch(e, s, &r) == 400 &&
	      t_streq(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(r.body, "error"), "field")), "settings.bead_prefix"));
	t_res_free(&r);
	eng_close(e);
	t_cleanup();
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	RUN(the_docs_give_each_town_setting_as_the_table_does);
	RUN(the_docs_give_max_attempts_as_the_table_does);
	RUN(a_patch_is_refused_just_outside_the_bounds);
	return t_done();
}
