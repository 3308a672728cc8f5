/*
 * container.c - what the town asks of its container (docs/container-protocol.md): start, stop and
 * message an agent. Each request is an effect to "container:/towns/:town/...", signed with the
 * deployment's container secret so the container runs nothing a stranger asked for. The start
 * request carries everything the agent needs: its bead, rig, branch, the human it works for, a
 * fresh token, the runtime to run and the prompt.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run/run.h"
#include "mbedtls/md.h"

#define CONTAINER_TIMEOUT_MS 30000
#define CONTAINER_DIFF_TIMEOUT_MS 5000 /* a diff asked while someone waits for the page */

/* The coding CLIs the container knows how to run itself (docs/agents.md): it builds their command
 * line, environment and configuration, so the town sends only the name. */
static const char *const clis[] = {"claude", "codex", "opencode"};

/* Runtimes with a preset command, not verified against their CLI: the prompt and the gt tools
 * reach them through the environment. */
static const struct {
	const char *name, *command;
} presets[] = {
	{"kilo", "kilo run \"$GASTOWN_PROMPT\""},
};

static int is_cli(const char *name)
{
	for (size_t i = 0; i < sizeof clis / sizeof clis[0]; i++)
		if (strcmp(clis[i], name) == 0)
			return 1;
	return 0;
}

int container_runtime_valid(const char *name)
{
	if (strcmp(name, "scripted") == 0 || strcmp(name, "command") == 0 || is_cli(name))
		return 1;
	for (size_t i = 0; i < sizeof presets / sizeof presets[0]; i++)
		if (strcmp(presets[i].name, name) == 0)
			return 1;
	return 0;
}

/* Sign "<t>.<METHOD>.<path>.<body>" with the container secret into the header value. */
static int sign(struct call *c, const char *method, const char *path, const char *body, char *out,
		size_t len)
{
	const char *key = c->cfg->container_secret;
	unsigned char mac[32];
	struct strbuf sb = {0};
	int rc;

	if (strbuf_addf(&sb, "%.0f.%s.%s.%s", c->now_ms, method, path, body ? body : "") < 0) {
		free(sb.buf);
		return err_set(&c->err, ERR_INTERNAL, NULL, "out of memory");
	}
	rc = mbedtls_md_hmac(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), (const unsigned char *)key,
			     strlen(key), (const unsigned char *)sb.buf, sb.len, mac);
	free(sb.buf);
	if (rc != 0)
		return err_set(&c->err, ERR_INTERNAL, NULL, "cannot sign the container request");
	rc = snprintf(out, len, "t=%.0f,v1=", c->now_ms);
	for (size_t i = 0; i < sizeof mac && (size_t)rc + 2 < len; i++)
		rc += snprintf(out + rc, len - (size_t)rc, "%02x", mac[i]);
	return 0;
}

/* Send a signed request to the container about agent; subject names the effect's purpose key. */
static int send(struct call *c, const char *method, const char *agent, const char *action, cJSON *body,
		const char *subject)
{
	char path[256], url[300], sig[160], fx[48];
	char *text = NULL;
	cJSON *headers;
	int rc = -1;

	if (!c->cfg->container_secret || !*c->cfg->container_secret)
		return err_set(&c->err, ERR_CONFLICT, NULL, "this deployment has no container to run agents");
	snprintf(path, sizeof path, "/towns/%s/agents/%s/%s", c->cfg->object_id, agent, action);
	snprintf(url, sizeof url, "container:%s", path);
	if (body && !(text = json_print(body)))
		return err_set(&c->err, ERR_INTERNAL, NULL, "out of memory");
	if (sign(c, method, path, text, sig, sizeof sig) == 0 && (headers = cJSON_CreateObject())) {
		struct effect_req r = {.purpose = "container", .subject = subject, .method = method, .url = url,
				       .headers = headers, .body = text, .timeout_ms = CONTAINER_TIMEOUT_MS};

		cJSON_AddStringToObject(headers, "content-type", "application/json");
		cJSON_AddStringToObject(headers, "x-gastown-signature", sig);
		rc = effect_submit(c, &r, fx, sizeof fx);
		cJSON_Delete(headers);
	}
	cJSON_free(text);
	return rc;
}

int container_stop(struct call *c, const char *agent, const char *reason)
{
	cJSON *b = cJSON_CreateObject();
	char subject[96];
	int rc;

	cJSON_AddStringToObject(b, "reason", reason);
	snprintf(subject, sizeof subject, "stop/%s", agent);
	rc = send(c, "POST", agent, "stop", b, subject);
	cJSON_Delete(b);
	return rc;
}

int container_message(struct call *c, const char *agent, const char *kind, const char *text)
{
	cJSON *b = cJSON_CreateObject();
	char subject[96];
	int rc;

	cJSON_AddStringToObject(b, "kind", kind);
	cJSON_AddStringToObject(b, "text", text);
	snprintf(subject, sizeof subject, "message/%s", agent);
	rc = send(c, "POST", agent, "message", b, subject);
	cJSON_Delete(b);
	return rc;
}

int container_terminal(struct call *c, const char *agent, int writable)
{
	char path[256], url[300], sig[160];
	cJSON *p, *headers;

	if (!c->cfg->container_secret || !*c->cfg->container_secret)
		return err_set(&c->err, ERR_CONFLICT, NULL, "this deployment has no container to run agents");
	snprintf(path, sizeof path, "/towns/%s/agents/%s/terminal", c->cfg->object_id, agent);
	snprintf(url, sizeof url, "container:%s", path);
	/* The mode is signed in place of the (absent) body: a watcher's request cannot become a typist's. */
	if (sign(c, "GET", path, writable ? "rw" : "ro", sig, sizeof sig) < 0)
		return -1;
	p = cJSON_CreateObject();
	cJSON_AddStringToObject(p, "url", url);
	headers = cJSON_AddObjectToObject(p, "headers");
	cJSON_AddStringToObject(headers, "x-gastown-signature", sig);
	cJSON_AddStringToObject(headers, "x-gastown-terminal-mode", writable ? "rw" : "ro");
	/* So the shim can close it when the person's access ends or changes (ws_close by tag). */
	{
		cJSON *tags = cJSON_AddArrayToObject(p, "tags");
		char tag[160];

		cJSON_AddItemToArray(tags, cJSON_CreateString("terminal"));
		snprintf(tag, sizeof tag, "user:%s", c->who.id);
		cJSON_AddItemToArray(tags, cJSON_CreateString(tag));
		snprintf(tag, sizeof tag, "terminal:%s", c->who.id);
		cJSON_AddItemToArray(tags, cJSON_CreateString(tag));
	}
	cJSON_Delete(c->proxy_websocket);
	c->proxy_websocket = p;
	return 0;
}

int container_prune(struct call *c, const char *rig, const cJSON *branches)
{
	char path[256], url[300], sig[160], fx[48], subject[96];
	cJSON *body, *headers;
	char *text;
	int rc = -1;

	if (!c->cfg->container_secret || !*c->cfg->container_secret)
		return 0;
	snprintf(path, sizeof path, "/towns/%s/rigs/%s/prune", c->cfg->object_id, rig);
	snprintf(url, sizeof url, "container:%s", path);
	body = cJSON_CreateObject();
	cJSON_AddItemToObject(body, "branches", cJSON_Duplicate(branches, 1));
	if (rig_run_json(c, rig, cJSON_AddObjectToObject(body, "rig")) < 0) {
		cJSON_Delete(body);
		return -1;
	}
	if (!(text = json_print(body))) {
		cJSON_Delete(body);
		return err_set(&c->err, ERR_INTERNAL, NULL, "out of memory");
	}
	cJSON_Delete(body);
	if (sign(c, "POST", path, text, sig, sizeof sig) == 0 && (headers = cJSON_CreateObject())) {
		struct effect_req r = {.purpose = "container", .subject = subject, .method = "POST", .url = url,
				       .headers = headers, .body = text, .timeout_ms = CONTAINER_TIMEOUT_MS};

		snprintf(subject, sizeof subject, "prune/%s", rig);
		cJSON_AddStringToObject(headers, "content-type", "application/json");
		cJSON_AddStringToObject(headers, "x-gastown-signature", sig);
		rc = effect_submit(c, &r, fx, sizeof fx);
		cJSON_Delete(headers);
	}
	cJSON_free(text);
	return rc;
}

int container_diff_try(struct call *c, const char *rig, const char *base, const char *head, cJSON *tries)
{
	char path[300], url[320], sig[160];
	cJSON *t, *headers, *set;

	if (!c->cfg->container_secret || !*c->cfg->container_secret)
		return 0;
	snprintf(path, sizeof path, "/towns/%s/rigs/%s/diff/%s/%s", c->cfg->object_id, rig, base, head);
	snprintf(url, sizeof url, "container:%s", path);
	if (sign(c, "GET", path, NULL, sig, sizeof sig) < 0)
		return -1;
	t = cJSON_CreateObject();
	cJSON_AddStringToObject(t, "url", url);
	headers = cJSON_AddObjectToObject(t, "headers");
	cJSON_AddStringToObject(headers, "x-gastown-signature", sig);
	cJSON_AddNumberToObject(t, "timeout_ms", CONTAINER_DIFF_TIMEOUT_MS);
	set = cJSON_AddObjectToObject(t, "set");
	cJSON_AddStringToObject(set, "source", "host");
	cJSON_AddNullToObject(set, "reason");
	cJSON_AddItemToArray(tries, t);
	return 0;
}

/* The result of a start decides the run (work.c); stops and messages only need a note when they
 * fail: the health checks catch an agent that keeps running regardless. */
int container_done(struct call *c, const char *subject, const cJSON *result, const char *body, size_t len)
{
	if (strncmp(subject, "start/", 6) == 0)
		return work_start_result(c, subject + 6, result, body, len);
	if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(result, "ok")))
		call_log(c, "warn", "container request failed", cJSON_CreateString(subject));
	return 0;
}

/* Which runtime the agent runs: the rig's setting, else the town's, else the scripted agent; NULL
 * when storage failed. */
static cJSON *runtime_json(struct call *c, const char *rig)
{
	struct town_runtime r = {"scripted", "", ""};
	cJSON *rt;

	if (town_runtime(c, rig, &r) < 0)
		return NULL;
	rt = cJSON_CreateObject();
	for (size_t i = 0; i < sizeof presets / sizeof presets[0]; i++)
		if (strcmp(presets[i].name, r.name) == 0)
			snprintf(r.command, sizeof r.command, "%s", presets[i].command);
	if (is_cli(r.name)) {
		cJSON_AddStringToObject(rt, "kind", r.name);
	} else if (strcmp(r.name, "scripted") == 0 || !*r.command) {
		cJSON_AddStringToObject(rt, "kind", "scripted");
	} else {
		cJSON_AddStringToObject(rt, "kind", "command");
		cJSON_AddStringToObject(rt, "preset", r.name);
		cJSON_AddStringToObject(rt, "command", r.command);
	}
	if (*r.model)
		cJSON_AddStringToObject(rt, "model", r.model);
	return rt;
}

static const char *str_of(const cJSON *o, const char *k)
{
	const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, k));

	return s ? s : "";
}

cJSON *container_assignment(struct call *c, const char *agent)
{
	cJSON *out = cJSON_CreateObject(), *a = cJSON_AddObjectToObject(out, "agent"), *bead, *rig, *who;
	const char *hook, *rig_id, *role;
	struct strbuf prompt = {0};

	if (agent_run_json(c, agent, a) < 0)
		goto fail;
	hook = str_of(a, "hook");
	rig_id = str_of(a, "rig");
	role = str_of(a, "role");
	if (!*hook) {
		cJSON_AddNullToObject(out, "bead");
		cJSON_AddNullToObject(out, "requested_by");
	} else {
		bead = cJSON_AddObjectToObject(out, "bead");
		if (bead_run_json(c, hook, bead) < 0)
			goto fail;
		if (!(who = member_person_json(c, str_of(a, "requested_by"))))
			goto fail;
		cJSON_AddItemToObject(out, "requested_by", who);
	}
	if (!*rig_id) {
		cJSON_AddNullToObject(out, "rig");
	} else {
		rig = cJSON_AddObjectToObject(out, "rig");
		if (rig_run_json(c, rig_id, rig) < 0)
			goto fail;
	}
	bead = cJSON_GetObjectItemCaseSensitive(out, "bead");
	cJSON_AddItemToObject(out, "branch", cJSON_IsObject(bead) && *str_of(bead, "branch")
		? cJSON_CreateString(str_of(bead, "branch")) : cJSON_CreateNull());
	strbuf_addf(&prompt, "You are %s, the %s %s of town %s%s%s.\n", str_of(a, "name"),
		    strcmp(role, "refinery") == 0 ? "refinery" : "polecat", "agent", c->cfg->object_id,
		    *rig_id ? ", working on rig " : "", rig_id);
	/* The persona the agent wears on this bead: its overlay leads the prompt's instructions, and
	 * the host gives the rest (tools, model) to the runtime in its own form. */
	if (*str_of(a, "persona")) {
		cJSON *p = cJSON_AddObjectToObject(out, "persona");

		if (persona_run_json(c, str_of(a, "persona"), p) < 0)
			goto fail;
		strbuf_addf(&prompt, "\nYou play the part of %s (persona %s) on this bead:\n%s\n", str_of(p, "title"),
			    str_of(p, "name"), str_of(p, "overlay"));
	} else {
		cJSON_AddNullToObject(out, "persona");
	}
	cJSON_DeleteItemFromObjectCaseSensitive(a, "persona");
	if (cJSON_IsObject(bead)) {
		struct strbuf named = {0};
		cJSON *memory = cJSON_AddArrayToObject(out, "memory");
		int rc;

		/* Both ways to report: gt on the command line, or the town's MCP tools of a CLI runtime,
		 * whose gt_done pushes nothing itself. */
		strbuf_addf(&prompt, "\nYour bead: %s - %s\n\n%s\n\nWork on branch %s. Report progress with"
				     " `gt status \"...\"` (or the gt_status tool), commit as you go, and finish with"
				     " `gt done` (or `git push origin HEAD`, then the gt_done tool). If you are"
				     " stuck, `gt escalate` (gt_escalate). Leave what the next agent on these files"
				     " should know with `gt note PATH \"...\"` (gt_note).\n", str_of(bead, "id"),
			    str_of(bead, "title"), str_of(bead, "body"), str_of(bead, "branch"));
		/* What earlier agents left on the paths the bead names (note.c). */
		strbuf_addf(&named, "%s\n%s", str_of(bead, "title"), str_of(bead, "body"));
		rc = note_context(c, str_of(bead, "id"), named.buf ? named.buf : "", &prompt, memory);
		free(named.buf);
		if (rc < 0)
			goto fail;
	}
	cJSON_AddStringToObject(out, "prompt", prompt.buf ? prompt.buf : "");
	free(prompt.buf);
	return out;
fail:
	free(prompt.buf);
	cJSON_Delete(out);
	return NULL;
}

/* The gates a merge of work runs: its persona's first (the part it played sets the bar), then the
 * rig's (in gates, an array; none when the rig has no object). */
static int refinery_gates(struct call *c, const char *work, cJSON *gates)
{
	char persona[PERSONA_NAME_MAX + 1] = "";
	const cJSON *g;
	cJSON *p;
	int i = 0;

	if (!cJSON_IsArray(gates) || bead_persona(c, work, persona, sizeof persona) < 0)
		return cJSON_IsArray(gates) ? -1 : 0;
	if (!*persona)
		return 0;
	if (!(p = persona_json(c, persona))) {
		/* Deleted since (only a finished bead's can be): the rig's gates alone. */
		return err_take(&c->err, ERR_NOT_FOUND) ? 0 : -1;
	}
	cJSON_ArrayForEach(g, cJSON_GetObjectItemCaseSensitive(p, "gates"))
		cJSON_InsertItemInArray(gates, i++, cJSON_Duplicate(g, 1));
	cJSON_Delete(p);
	return 0;
}

int container_start(struct call *c, const char *agent, const char *bead)
{
	cJSON *body = container_assignment(c, agent), *rt, *review;
	const cJSON *a, *rig, *b;
	char subject[160], *token;
	double expires;
	int rc;

	if (!body)
		return -1;
	a = cJSON_GetObjectItemCaseSensitive(body, "agent");
	rig = cJSON_GetObjectItemCaseSensitive(body, "rig");
	b = cJSON_GetObjectItemCaseSensitive(body, "bead");
	cJSON_DeleteItemFromObjectCaseSensitive((cJSON *)a, "hook");
	if (!(rt = runtime_json(c, cJSON_IsObject(rig) ? str_of(rig, "id") : ""))) {
		cJSON_Delete(body);
		return -1;
	}
	/* A persona's own model wins over the rig's and the town's. */
	if (*str_of(cJSON_GetObjectItemCaseSensitive(body, "persona"), "model")) {
		cJSON_DeleteItemFromObjectCaseSensitive(rt, "model");
		cJSON_AddStringToObject(rt, "model", str_of(cJSON_GetObjectItemCaseSensitive(body, "persona"), "model"));
	}
	/* An attempt's variant wins over both (its runtime and model are what it is there to try). */
	if (cJSON_IsObject(b) && strcmp(str_of(a, "role"), "polecat") == 0 && attempt_runtime(c, str_of(b, "id"), rt) < 0) {
		cJSON_Delete(rt);
		cJSON_Delete(body);
		return -1;
	}
	cJSON_AddItemToObject(body, "model", cJSON_GetObjectItemCaseSensitive(rt, "model")
		? cJSON_CreateString(str_of(rt, "model")) : cJSON_CreateNull());
	/* A polecat's run on work opens its outcome, in the variant it runs (outcome.c). */
	if (cJSON_IsObject(b) && strcmp(str_of(a, "role"), "polecat") == 0 &&
	    outcome_started(c, str_of(b, "id"), str_of(a, "id"), str_of(rt, "kind"),
			    cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(rt, "model")),
			    cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(body, "persona"), "name"))) < 0) {
		cJSON_Delete(rt);
		cJSON_Delete(body);
		return -1;
	}
	cJSON_AddItemToObject(body, "runtime", rt);
	/* The town's model gateway for the container's metering proxy. */
	if (town_llm_json(c, body, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(rt, "model"))) < 0) {
		cJSON_Delete(body);
		return -1;
	}
	token = agent_token_mint(c, agent, str_of(a, "requested_by"), 0, &expires);
	if (!token) {
		cJSON_Delete(body);
		return -1;
	}
	cJSON_AddStringToObject(body, "token", token);
	cJSON_free(token);
	cJSON_AddNumberToObject(body, "token_expires_ms", expires);
	if (strcmp(str_of(a, "role"), "refinery") == 0 && cJSON_IsObject(b)) {
		/* The refinery merges the work bead's branch into the rig's branch, keeping who asked. */
		const char *work = str_of(b, "parent");
		cJSON *author = member_person_json(c, str_of(a, "requested_by"));
		char worker[72] = "", name[128];
		int found = -1, named = 0;

		/* The name of the agent that did the work, else its id. */
		if (author && (found = bead_worked_by(c, work, worker, sizeof worker)) > 0 && *worker &&
		    (named = agent_name(c, worker, name, sizeof name)) == 0)
			snprintf(name, sizeof name, "%s", worker);
		if (found < 0 || named < 0 || refinery_gates(c, work, cJSON_GetObjectItemCaseSensitive(rig, "gates")) < 0) {
			cJSON_Delete(author);
			cJSON_Delete(body);
			return -1;
		}
		review = cJSON_AddObjectToObject(body, "review");
		cJSON_AddStringToObject(review, "bead", work);
		cJSON_AddStringToObject(review, "branch", str_of(b, "branch"));
		cJSON_AddStringToObject(review, "target", cJSON_IsObject(rig) ? str_of(rig, "default_branch") : "main");
		cJSON_AddItemToObject(review, "author", author);
		if (found)
			cJSON_AddStringToObject(review, "agent_name", *worker ? name : "");
	} else {
		cJSON_AddNullToObject(body, "review");
	}
	cJSON_DeleteItemFromObjectCaseSensitive((cJSON *)a, "requested_by");
	snprintf(subject, sizeof subject, "start/%s:%s", agent, bead);
	rc = send(c, "POST", agent, "start", body, subject);
	cJSON_Delete(body);
	return rc;
}

int container_runtime_is_command(struct call *c, const char *rig)
{
	cJSON *rt = runtime_json(c, rig);
	int yes;

	if (!rt)
		return -1;
	yes = strcmp(str_of(rt, "kind"), "scripted") != 0;
	cJSON_Delete(rt);
	return yes;
}

/* The Mayor has no bead, rig or branch: it runs in a directory of its own, answering the message
 * on its hook for the member who wrote it (its token names them), and resumes its session. */
int container_start_mayor(struct call *c, const char *message, const char *author, const char *prompt,
			  int resume)
{
	cJSON *body = cJSON_CreateObject(), *a = cJSON_AddObjectToObject(body, "agent"), *rt, *who;
	char subject[160], *token;
	double expires;
	int rc;

	cJSON_AddStringToObject(a, "id", "mayor");
	cJSON_AddStringToObject(a, "name", "Mayor");
	cJSON_AddStringToObject(a, "role", "mayor");
	cJSON_AddNullToObject(body, "bead");
	cJSON_AddNullToObject(body, "rig");
	cJSON_AddNullToObject(body, "branch");
	cJSON_AddStringToObject(body, "message", message);
	if (!(who = member_person_json(c, author)) || !(rt = runtime_json(c, NULL))) {
		cJSON_Delete(who);
		cJSON_Delete(body);
		return -1;
	}
	cJSON_AddItemToObject(body, "requested_by", who);
	cJSON_AddItemToObject(body, "model", cJSON_GetObjectItemCaseSensitive(rt, "model")
		? cJSON_CreateString(str_of(rt, "model")) : cJSON_CreateNull());
	cJSON_AddItemToObject(body, "runtime", rt);
	if (town_llm_json(c, body, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(rt, "model"))) < 0 ||
	    !(token = agent_token_mint(c, "mayor", author, 0, &expires))) {
		cJSON_Delete(body);
		return -1;
	}
	cJSON_AddStringToObject(body, "token", token);
	cJSON_free(token);
	cJSON_AddNumberToObject(body, "token_expires_ms", expires);
	cJSON_AddStringToObject(body, "prompt", prompt);
	cJSON_AddBoolToObject(body, "resume", resume);
	cJSON_AddNullToObject(body, "review");
	snprintf(subject, sizeof subject, "start/mayor:%s", message);
	rc = send(c, "POST", "mayor", "start", body, subject);
	cJSON_Delete(body);
	return rc;
}
