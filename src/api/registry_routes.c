/*
 * registry_routes.c - the doors to the registry (docs/registry.md). Reading is anyone's who is
 * signed in: the worker forwards /api/registry to the RegistryDO. Publishing and deprecating are an
 * org admin's: the org's object checks the role and passes the request on, stamped with the org
 * and the user (docs/host-abi.md, "pass"). A town installs and runs what it fetched.
 */
#include <stdio.h>
#include <string.h>

#include "api/api.h"

/* GET /api/registry[/...] at the worker: the platform's one RegistryDO answers. */
int api_registry_forward(struct call *c)
{
	c->forward = cJSON_CreateObject();
	cJSON_AddStringToObject(c->forward, "kind", "registry");
	cJSON_AddStringToObject(c->forward, "id", REGISTRY_ID);
	return call_reply(c, 200, NULL);
}

/* Pass the request on to the registry at /_internal/orgs/:org/<rest>, naming the user. */
static int pass_to_registry(struct call *c, const char *rest)
{
	char org[200], url[720];
	cJSON *p, *h;

	query_escape(c->cfg->object_id, org, sizeof org);
	snprintf(url, sizeof url, "do://registry/%s/_internal/orgs/%s/%s", REGISTRY_ID, org, rest);
	p = cJSON_CreateObject();
	cJSON_AddStringToObject(p, "url", url);
	h = cJSON_AddObjectToObject(p, "headers");
	cJSON_AddStringToObject(h, "x-registry-user", c->who.id);
	cJSON_Delete(c->pass);
	c->pass = p;
	return call_reply(c, 200, cJSON_CreateNull());
}

/* POST /api/orgs/:org/registry (org admins): a formula or agent config file, as application/toml. */
int api_registry_publish(struct call *c)
{
	enum role caller;

	if (org_require(c, ROLE_ADMIN, &caller) < 0)
		return -1;
	/* Only the host sets "toml": the body is then its parse of the file the client sent. */
	if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c->meta, "toml")))
		return err_set(&c->err, ERR_INVALID, "source",
			       "publish the file itself, with Content-Type: application/toml");
	return pass_to_registry(c, "publish");
}

/* POST|DELETE /api/orgs/:org/registry/:name/:version/deprecation (org admins): {reason} to
 * deprecate a version, DELETE to take that back. */
int api_registry_deprecate(struct call *c)
{
	char rest[440], name[200], version[200];
	enum role caller;

	struct {
		const char *reason;
	} in = {0};

	/* The body is checked here too: a refusal costs the registry nothing. */
	if (org_require(c, ROLE_ADMIN, &caller) < 0 || (c->fields && call_fields(c, &in, sizeof in) < 0))
		return -1;
	query_escape(c->seg[4], name, sizeof name);
	query_escape(c->seg[5], version, sizeof version);
	snprintf(rest, sizeof rest, "packages/%s/%s/deprecation", name, version);
	return pass_to_registry(c, rest);
}

/* GET /api/towns/:town/installs (viewers up, the town's agents). */
int api_installs_list(struct call *c)
{
	enum role caller;
	cJSON *list, *out;

	if (town_require(c, ROLE_VIEWER, &caller) < 0 || !(list = installs_json(c)))
		return -1;
	out = cJSON_CreateObject();
	cJSON_AddItemToObject(out, "items", list);
	return call_reply(c, 200, out);
}

struct install_in {
	const char *name, *version;
};

static const struct field_rule install_rules[] = {
	{"name", F_STR(struct install_in, name), FR_REQUIRED, 1, REGISTRY_NAME_MAX},
	{"version", F_STR(struct install_in, version), 0, 1, 80},
};
const struct fields install_body = FIELDS(install_rules, struct install_in);

/* POST /api/towns/:town/installs {name, version?} (admins): 202, fetched after the call. */
int api_install(struct call *c)
{
	struct install_in in = {0};
	enum role caller;
	cJSON *out;

	if (town_require(c, ROLE_ADMIN, &caller) < 0 || call_fields(c, &in, sizeof in) < 0 ||
	    install_request(c, in.name, in.version ? in.version : "latest") < 0 || !(out = install_json(c, in.name)))
		return -1;
	return call_reply(c, 202, out);
}

/* GET /api/towns/:town/installs/:name (viewers up, the town's agents): with its meaning and runs. */
int api_install_get(struct call *c)
{
	enum role caller;
	cJSON *out;

	if (town_require(c, ROLE_VIEWER, &caller) < 0 || !(out = install_json(c, c->seg[4])))
		return -1;
	return call_reply(c, 200, out);
}

/* DELETE /api/towns/:town/installs/:name (admins). A config's persona stays: beads may name it. */
int api_install_remove(struct call *c)
{
	enum role caller;

	if (town_require(c, ROLE_ADMIN, &caller) < 0 || install_remove(c, c->seg[4]) < 0)
		return -1;
	return call_reply(c, 200, NULL);
}

struct run_in {
	const char *rig;
	const cJSON *vars;
	int held;
};

static const struct field_rule run_rules[] = {
	{"vars", F_OBJ(struct run_in, vars), 0, 0, 64 * 1024, .msg[FF_TYPE] = "'vars' is an object of strings"},
	{"rig", F_STR(struct run_in, rig), 0, 0, 64},
	{"held", F_BOOL(struct run_in, held), 0, 0, 0},
};
const struct fields formula_run_body = FIELDS_OPTIONAL(run_rules, struct run_in);

/* POST /api/towns/:town/formulas/:name/runs {vars?, rig?, held?} (members, the town's agents). */
int api_formula_run(struct call *c)
{
	struct run_in in = {.held = -1};
	struct molecule_req r;
	enum role caller;
	cJSON *out;

	if (town_require(c, ROLE_MEMBER, &caller) < 0 || call_fields(c, &in, sizeof in) < 0)
		return -1;
	r = (struct molecule_req){.name = c->seg[4], .rig = in.rig, .vars = in.vars, .held = in.held == 1};
	if (!(out = molecule_start(c, &r)))
		return -1;
	return call_reply(c, 201, out);
}
