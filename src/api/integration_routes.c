/*
 * integration_routes.c - /api/towns/:town/integrations[/:platform[/logins/:login]]: members read,
 * admins connect a platform, set its secrets (write-only) and settings, and map platform logins to
 * members; and /api/towns/:town/hooks/:platform, where the platforms deliver (signed, no bearer).
 */
#include <string.h>

#include "api/api.h"

#define SETTINGS_MAX 4096
#define SECRETS_BODY_MAX 20000

struct integration_body {
	const char *owner;
	const cJSON *settings, *secrets;
};

static const struct field_rule integration_rules[] = {
	{"owner", F_STR(struct integration_body, owner), 0, 1, 128},
	{"settings", F_OBJ(struct integration_body, settings), 0, 0, SETTINGS_MAX, .msg[FF_BIG] = "settings are at most %u bytes"},
	{"secrets", F_OBJ(struct integration_body, secrets), 0, 0, SECRETS_BODY_MAX, .msg[FF_BIG] = "secrets are at most %u bytes"},
};
const struct fields integration_put_body = FIELDS(integration_rules, struct integration_body);

struct login_body {
	const char *user;
};

static const struct field_rule login_rules[] = {
	{"user", F_STR(struct login_body, user), FR_REQUIRED, 1, 128},
};
const struct fields integration_login_body = FIELDS(login_rules, struct login_body);

/* /api/towns/:town/integrations/:platform and /hooks/:platform: the platform segment. */
static int platform(struct call *c, enum hook_platform *p)
{
	int i = hook_platform_of(c->seg[4]);

	if (i < 0)
		return err_set(&c->err, ERR_NOT_FOUND, NULL, "no integration '%s': github, gitlab or slack", c->seg[4]);
	*p = (enum hook_platform)i;
	return 0;
}

static int reply_all(struct call *c, int status)
{
	cJSON *all = integrations_json(c);

	return all ? call_reply(c, status, all) : -1;
}

int api_integrations_get(struct call *c)
{
	enum role caller;

	if (town_require(c, ROLE_MEMBER, &caller) < 0)
		return -1;
	return reply_all(c, 200);
}

int api_integration_put(struct call *c)
{
	struct integration_body in = {0};
	enum hook_platform p = HOOK_GITHUB;
	enum role caller;

	if (town_require(c, ROLE_ADMIN, &caller) < 0 || platform(c, &p) < 0 || call_fields(c, &in, sizeof in) < 0 ||
	    integration_put(c, p, in.owner, in.settings, in.secrets) < 0)
		return -1;
	return reply_all(c, 200);
}

int api_integration_delete(struct call *c)
{
	enum hook_platform p = HOOK_GITHUB;
	enum role caller;

	if (town_require(c, ROLE_ADMIN, &caller) < 0 || platform(c, &p) < 0 || integration_delete(c, p) < 0)
		return -1;
	return reply_all(c, 200);
}

int api_integration_login_put(struct call *c)
{
	struct login_body in = {0};
	enum hook_platform p = HOOK_GITHUB;
	enum role caller;

	if (town_require(c, ROLE_ADMIN, &caller) < 0 || platform(c, &p) < 0 || call_fields(c, &in, sizeof in) < 0 ||
	    integration_login_put(c, p, c->seg[6], in.user) < 0)
		return -1;
	return reply_all(c, 200);
}

int api_integration_login_delete(struct call *c)
{
	enum hook_platform p = HOOK_GITHUB;
	enum role caller;

	if (town_require(c, ROLE_ADMIN, &caller) < 0 || platform(c, &p) < 0 || integration_login_put(c, p, c->seg[6], NULL) < 0)
		return -1;
	return reply_all(c, 200);
}

/* What became of one delivery: the id is the one the platform shows (GitHub's delivery GUID, GitLab's
 * Idempotency-Key, Slack's event_id or "cmd:" and a command's trigger_id). */
int api_hook_delivery_get(struct call *c)
{
	enum hook_platform p = HOOK_GITHUB;
	enum role caller;
	cJSON *d;

	if (town_require(c, ROLE_MEMBER, &caller) < 0 || platform(c, &p) < 0 || !(d = delivery_json(c, p, c->seg[6])))
		return -1;
	return call_reply(c, 200, d);
}

int api_hook_post(struct call *c)
{
	enum hook_platform p = HOOK_GITHUB;

	return platform(c, &p) < 0 ? -1 : hook_receive(c, p);
}
