/*
 * api_mail.c - mail to agents. People (members) send from /api/towns/:town/mail and read all of
 * the town's mail there (viewers); an agent sends, reads its inbox and marks messages read under
 * /api/towns/:town/agents/:agent/mail with its own token.
 */
#include <string.h>

#include "api/api.h"

struct mail_body {
	const char *to, *subject, *body;
};

/* Sent by a member or by an agent: one body. */
static const struct field_rule send_rules[] = {
	{"to", F_STR(struct mail_body, to), FR_REQUIRED, 0, 64},
	{"subject", F_STR(struct mail_body, subject), FR_REQUIRED, 1, 200},
	{"body", F_STR(struct mail_body, body), 0, 0, 65536},
};
const struct fields mail_send_body = FIELDS(send_rules, struct mail_body);

static int send_mail(struct call *c)
{
	struct mail_body in = {0};
	char id[48];
	cJSON *d;

	if (call_fields(c, &in, sizeof in) < 0 || mail_send(c, in.to, in.subject, in.body, id, sizeof id) < 0)
		return -1;
	d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "id", id);
	cJSON_AddStringToObject(d, "to", in.to);
	return call_reply(c, 201, d);
}

int api_mail_send(struct call *c)
{
	enum role caller;

	if (town_require(c, ROLE_MEMBER, &caller) < 0)
		return -1;
	return send_mail(c);
}

int api_mail_list(struct call *c)
{
	enum role caller;
	cJSON *list;

	if (town_require(c, ROLE_VIEWER, &caller) < 0 || !(list = mail_list_json(c, NULL, 0)))
		return -1;
	return call_reply(c, 200, list);
}

int api_agent_mail_send(struct call *c)
{
	return send_mail(c);
}

int api_agent_inbox(struct call *c)
{
	int unread = 0;
	cJSON *list;

	if (query_bool(c, "unread", &unread) < 0 || !(list = mail_list_json(c, c->seg[4], unread)))
		return -1;
	return call_reply(c, 200, list);
}

int api_agent_mail_read(struct call *c)
{
	if (mail_mark_read(c, c->seg[4], c->seg[6]) < 0)
		return -1;
	return call_reply(c, 200, NULL);
}
