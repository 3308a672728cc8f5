/*
 * test_commons.c - the Wasteland commons as SQL text (src/federation/commons.c): literals that
 * cannot break out of their quotes whatever a bead says, cut between characters; TIMESTAMP text in
 * UTC; ids that are the same for the same town and bead and differ otherwise; a bead's poster,
 * completion and rigs as the upserts the sync sends.
 */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "federation/federation.h"

static char *quoted(const char *s, size_t max)
{
	struct strbuf sb = {0};

	CHECK(commons_quote(&sb, s, max) == 0);
	return sb.buf;
}

static void literals(void)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{"", "''"},
		{"plain", "'plain'"},
		{"it's", "'it''s'"},
		{"back\\slash", "'back\\\\slash'"},
		{"'; DROP TABLE wanted; --", "'''; DROP TABLE wanted; --'"},
		{"\\'", "'\\\\'''"},
		{"line\nbreak", "'line\nbreak'"},
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *q = quoted(cases[i].in, 100);

		CHECK(t_streq(q, cases[i].out));
		free(q);
	}
	/* A cut never splits a character: "é" is two bytes, so three bytes of "aéé" keep "aé". */
	{
		char *q = quoted("a\xc3\xa9\xc3\xa9", 4);

		CHECK(t_streq(q, "'a\xc3\xa9'"));
		free(q);
	}
}

static void times_and_ids(void)
{
	char t[24], a[COMMONS_ID_MAX], b[COMMONS_ID_MAX], cid[COMMONS_ID_MAX], h[COMMONS_HANDLE_MAX];

	commons_time(1765920407117, t);
	CHECK(t_streq(t, "2025-12-16 21:26:47"));
	CHECK(commons_wanted_id("yard", "gt-1", a) == 0 && commons_wanted_id("yard", "gt-1", b) == 0);
	CHECK(t_streq(a, b) && strlen(a) == 12 && !strncmp(a, "w-", 2));
	CHECK(commons_wanted_id("yard", "gt-2", b) == 0 && !t_streq(a, b));
	CHECK(commons_wanted_id("barn", "gt-1", b) == 0 && !t_streq(a, b));
	CHECK(commons_completion_id(a, "yard-rig", cid) == 0 && strlen(cid) == 18 && !strncmp(cid, "c-", 2));
	commons_agent_handle("yard-rig", "polecat-1", h);
	CHECK(t_streq(h, "yard-rig-polecat-1"));
	CHECK(t_streq(commons_wanted_status("in_progress"), "claimed") && t_streq(commons_wanted_status("failed"), "open") &&
	      t_streq(commons_wanted_status("closed"), "completed") && t_streq(commons_wanted_status("in_review"), "in_review"));
	/* The schema: every table once, IF NOT EXISTS, and the version last. */
	CHECK(commons_schema_count() == 10 && commons_schema_statement(10) == NULL);
	for (size_t i = 0; i + 1 < commons_schema_count(); i++)
		CHECK(!strncmp(commons_schema_statement(i), "CREATE TABLE IF NOT EXISTS ", 27));
	CHECK(strstr(commons_schema_statement(9), "'schema_version', '1.2'") != NULL);
}

static void rows(void)
{
	struct commons_town town = {.town = "yard", .handle = "yard-rig", .owner = "acme"};
	cJSON *bead = cJSON_Parse("{\"id\":\"gt-1\",\"title\":\"Fix 'it'\",\"body\":\"b\",\"type\":\"task\",\"status\":\"closed\","
				  "\"priority\":7,\"labels\":[\"wasteland\",\"x\"],\"rig\":null,\"assignee\":null,"
				  "\"worked_by\":\"toast\",\"created_ms\":1765920407117,\"updated_ms\":1765920408000,"
				  "\"closed_ms\":1765920409000,\"metadata\":{\"pr_url\":\"https://example.com/pr/1\"}}");
	struct strbuf sb = {0};
	char wanted[COMMONS_ID_MAX];

	CHECK(bead != NULL);
	CHECK(commons_wanted_id("yard", "gt-1", wanted) == 0);
	CHECK(commons_wanted_begin(&sb) == 0 && commons_wanted_row(&sb, &town, bead, 1) == 0 && commons_wanted_end(&sb) == 0);
	CHECK(strstr(sb.buf, "'Fix ''it'''") != NULL);
	CHECK(strstr(sb.buf, "'[\"x\"]'") != NULL);                   /* the board's label is not a tag */
	CHECK(strstr(sb.buf, "'feature', 4,") != NULL);               /* a task is a feature; priority capped at 4 */
	CHECK(strstr(sb.buf, "'yard-rig-toast', 'completed'") != NULL);
	CHECK(strstr(sb.buf, "'https://example.com/pr/1'") != NULL);
	CHECK(strstr(sb.buf, "'2025-12-16 21:26:47', '2025-12-16 21:26:48')") != NULL);
	CHECK(strstr(sb.buf, "ON DUPLICATE KEY UPDATE") != NULL);
	free(sb.buf);
	sb = (struct strbuf){0};
	CHECK(commons_completion_begin(&sb) == 0 && commons_completion_row(&sb, &town, bead, wanted, 1) == 0 &&
	      commons_completion_end(&sb) == 0);
	CHECK(strstr(sb.buf, wanted) != NULL && strstr(sb.buf, "'yard-rig-toast'") != NULL);
	CHECK(strstr(sb.buf, "'2025-12-16 21:26:49'") != NULL);
	free(sb.buf);
	sb = (struct strbuf){0};
	CHECK(commons_rig_begin(&sb) == 0 && commons_rig_row(&sb, &town, NULL, "The Yard", 1765920407117, 1) == 0 &&
	      commons_rig_row(&sb, &town, "toast", "Toast", 1765920407117, 0) == 0 && commons_rig_end(&sb) == 0);
	CHECK(strstr(sb.buf, "('yard-rig', 'The Yard', 'acme', 'hop://acme/yard-rig/', 'gastown-edge', 1,") != NULL);
	CHECK(strstr(sb.buf, ", ('yard-rig-toast', 'Toast',") != NULL && strstr(sb.buf, "'agent', 'yard-rig')") != NULL);
	free(sb.buf);
	cJSON_Delete(bead);
}

int main(void)
{
	RUN(literals);
	RUN(times_and_ids);
	RUN(rows);
	return t_done();
}
