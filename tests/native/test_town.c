/*
 * test_town.c - creating a town (or an organization) under an id that is taken: a member may hear
 * that it exists; anyone else gets the one answer every unavailable id gets, whoever holds it, so
 * creation cannot be used to learn which towns exist. A refused creation changes nothing.
 */
#include "harness.h"

static const char *OP = "{\"authorization\":\"Bearer operator-secret\"}";

static const char *err_str(const struct t_res *r, const char *key)
{
	return cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(r->body, "error"), key));
}

/* The error body of r as text (malloc'd), to compare two answers whole. */
static char *error_text(const struct t_res *r)
{
	return cJSON_PrintUnformatted(cJSON_GetObjectItem(r->body, "error"));
}

static void digest(struct eng *e, const char *path, char *out, size_t len)
{
	struct t_res r = t_request(e, "GET", path, NULL, OP);

	snprintf(out, len, "%s", cJSON_GetStringValue(t_data(&r, "digest")) ? cJSON_GetStringValue(t_data(&r, "digest")) : "?");
	t_res_free(&r);
}

static void a_taken_town_id_tells_outsiders_nothing(void)
{
	struct eng *e = t_town(0); /* t1, sarah's */
	char before[80], after[80], *personal, *by_org;
	struct t_res r;

	r = t_request(e, "PUT", "/api/towns/t1/members/vic", "{\"role\":\"viewer\"}", t_as("sarah"));
	CHECK(r.status == 200);
	t_res_free(&r);
	digest(e, "/api/towns/t1/debug/storage", before, sizeof before);

	/* An outsider: not available, no more. */
	r = t_request(e, "POST", "/api/towns/t1", "{\"name\":\"Mine\"}", t_as("mallory"));
	CHECK(r.status == 409 && t_streq(t_error_code(&r), "conflict"));
	CHECK(t_streq(err_str(&r, "field"), "town_id") && t_streq(err_str(&r, "reason"), "unavailable"));
	CHECK(!strstr(err_str(&r, "message"), "exist"));
	personal = error_text(&r);
	t_res_free(&r);
	/* Whoever can see the town may hear why: the owner, a viewer. */
	r = t_request(e, "POST", "/api/towns/t1", "{\"name\":\"Again\"}", t_as("sarah"));
	CHECK(r.status == 409 && t_streq(err_str(&r, "reason"), "exists") && strstr(err_str(&r, "message"), "already exists"));
	t_res_free(&r);
	r = t_request(e, "POST", "/api/towns/t1", "{\"name\":\"Again\"}", t_as("vic"));
	CHECK(r.status == 409 && t_streq(err_str(&r, "reason"), "exists"));
	t_res_free(&r);
	/* Bad input still comes first, for an outsider as on a free id. */
	r = t_request(e, "POST", "/api/towns/t1", "{}", t_as("mallory"));
	CHECK(r.status == 400 && t_streq(err_str(&r, "field"), "name"));
	t_res_free(&r);
	digest(e, "/api/towns/t1/debug/storage", after, sizeof after);
	CHECK(strcmp(before, after) == 0);
	eng_close(e);
	t_cleanup();

	/* A town an organization holds answers outsiders exactly the same. */
	t_fresh_db();
	e = t_open(ENG_TOWN, "t1", 0);
	r = t_request(e, "POST", "/_internal/create", "{\"org_id\":\"acme\",\"name\":\"Web\",\"created_by\":\"ann\","
		      "\"version\":1,\"members\":[{\"user_id\":\"ann\",\"role\":\"owner\"}]}",
		      "{\"x-gastown-caller\":\"org:acme\"}");
	CHECK(r.status == 201);
	t_res_free(&r);
	r = t_request(e, "POST", "/api/towns/t1", "{\"name\":\"Mine\"}", t_as("mallory"));
	by_org = error_text(&r);
	CHECK(r.status == 409 && personal && by_org && strcmp(personal, by_org) == 0);
	t_res_free(&r);
	/* And another organization asking for it hears the same. */
	r = t_request(e, "POST", "/_internal/create", "{\"org_id\":\"evil\",\"name\":\"Web\",\"created_by\":\"eve\","
		      "\"version\":1,\"members\":[{\"user_id\":\"eve\",\"role\":\"owner\"}]}",
		      "{\"x-gastown-caller\":\"org:evil\"}");
	CHECK(r.status == 409 && t_streq(err_str(&r, "reason"), "unavailable"));
	t_res_free(&r);
	cJSON_free(personal);
	cJSON_free(by_org);
	eng_close(e);
	t_cleanup();
}

static void a_taken_org_id_tells_outsiders_nothing(void)
{
	struct eng *e;
	struct t_res r;
	char before[80], after[80];

	t_fresh_db();
	e = t_open(ENG_ORG, "acme", 0);
	r = t_request(e, "POST", "/api/orgs/acme", "{\"name\":\"Acme\"}", t_as("sarah"));
	CHECK(r.status == 201);
	t_res_free(&r);
	digest(e, "/api/orgs/acme/debug/storage", before, sizeof before);
	r = t_request(e, "POST", "/api/orgs/acme", "{\"name\":\"Mine\"}", t_as("mallory"));
	CHECK(r.status == 409 && t_streq(err_str(&r, "field"), "org_id") && t_streq(err_str(&r, "reason"), "unavailable"));
	CHECK(!strstr(err_str(&r, "message"), "exist"));
	t_res_free(&r);
	r = t_request(e, "POST", "/api/orgs/acme", "{\"name\":\"Again\"}", t_as("sarah"));
	CHECK(r.status == 409 && t_streq(err_str(&r, "reason"), "exists"));
	t_res_free(&r);
	digest(e, "/api/orgs/acme/debug/storage", after, sizeof after);
	CHECK(strcmp(before, after) == 0);
	eng_close(e);
	t_cleanup();
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	RUN(a_taken_town_id_tells_outsiders_nothing);
	RUN(a_taken_org_id_tells_outsiders_nothing);
	return t_done();
}
