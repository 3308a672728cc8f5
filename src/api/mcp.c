/*
 * mcp.c - the town's MCP server: Model Context Protocol over Streamable HTTP, revision 2025-11-25
 * (2025-06-18 and 2025-03-26 negotiated), at POST /api/towns/:town/mcp, and an organization's at
 * POST /api/orgs/:org/mcp (its towns and fleet; each town is steered at its own). One JSON-RPC message per
 * POST, answered with one JSON object (never an SSE stream); stateless: no session id, and no
 * server-to-client stream (GET answers 405, which the spec allows). Callers are the HTTP API's: a
 * member's token (the town's tools, read-only ones for a viewer) or an agent's (its own tools).
 * Each tool is a route, run inside this call by route_call: authorized, validated and attributed
 * exactly as the same request over HTTP.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"

static const char *const versions[] = {"2025-11-25", "2025-06-18", "2025-03-26"};

/* JSON-RPC error codes. */
#define RPC_PARSE (-32700)
#define RPC_INVALID_REQUEST (-32600)
#define RPC_METHOD (-32601)
#define RPC_PARAMS (-32602)
#define RPC_NO_RESOURCE (-32002)

static int version_known(const char *v)
{
	for (size_t i = 0; i < sizeof versions / sizeof versions[0]; i++)
		if (strcmp(versions[i], v) == 0)
			return 1;
	return 0;
}

static cJSON *envelope(const cJSON *id)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "jsonrpc", "2.0");
	cJSON_AddItemToObject(o, "id", id ? cJSON_Duplicate(id, 1) : cJSON_CreateNull());
	return o;
}

/* A JSON-RPC error. With http_error set the HTTP status is that error's (the request is refused as
 * a whole, nothing stored); otherwise the answer is a 200 that carries the error. */
static int rpc_error(struct call *c, const cJSON *id, int code, const char *message, cJSON *data,
		     enum err_code http_error)
{
	cJSON *o = envelope(id), *e = cJSON_AddObjectToObject(o, "error");

	cJSON_AddNumberToObject(e, "code", code);
	cJSON_AddStringToObject(e, "message", message);
	if (data)
		cJSON_AddItemToObject(e, "data", data);
	if (http_error != ERR_NONE)
		err_set(&c->err, http_error, NULL, "%s", message);
	return call_reply_raw(c, 200, o);
}

static int rpc_result(struct call *c, const cJSON *id, cJSON *result)
{
	cJSON *o = envelope(id);

	cJSON_AddItemToObject(o, "result", result ? result : cJSON_CreateObject());
	return call_reply_raw(c, 200, o);
}

/* Origin, when a browser sends one, must be this server's own or a loopback page: a page elsewhere
 * must not drive a member's town through their browser (DNS rebinding). */
static int origin_allowed(const struct call *c)
{
	const char *origin = call_request_header(c, "origin"), *host = call_request_header(c, "host"), *p;

	if (!origin)
		return 1;
	if (strncmp(origin, "http://", 7) == 0)
		p = origin + 7;
	else if (strncmp(origin, "https://", 8) == 0)
		p = origin + 8;
	else
		return 0;
	if (host && strcmp(p, host) == 0)
		return 1;
	return strncmp(p, "127.0.0.1", 9) == 0 ? (p[9] == '\0' || p[9] == ':')
	     : strncmp(p, "localhost", 9) == 0 ? (p[9] == '\0' || p[9] == ':') : 0;
}

/* ---- who may use which tool --------------------------------------------------------------------- */

/* The tools this caller sees: MCP_AGENT for an agent; for a person by role. 0 with c->err set
 * when the caller may not use the town at all. */
static unsigned caller_tools(struct call *c)
{
	enum role role;

	/* An organization's endpoint: its own tools for any member; each town is steered at its own
	 * endpoint, with the caller's role there. */
	if (c->cfg->kind == ENG_ORG)
		return org_require(c, ROLE_VIEWER, &role) < 0 ? 0 : MCP_ORG;
	/* The Mayor acts for the member whose message it answers (its token names them). */
	if (c->who.kind == PRINCIPAL_AGENT)
		return strcmp(c->who.id, "mayor") == 0 ? MCP_AGENT | MCP_MAYOR : MCP_AGENT;
	if (town_require(c, ROLE_VIEWER, &role) < 0)
		return 0;
	return role >= ROLE_MEMBER ? MCP_READ | MCP_WRITE : MCP_READ;
}

/* ---- methods -------------------------------------------------------------------------------------- */

static int initialize(struct call *c, const cJSON *id, const cJSON *params)
{
	const char *asked = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(params, "protocolVersion"));
	cJSON *r = cJSON_CreateObject(), *caps, *info;
	char text[300];

	if (!cJSON_IsObject(params) || !asked) {
		cJSON_Delete(r);
		return rpc_error(c, id, RPC_PARAMS, "initialize needs params.protocolVersion", NULL, ERR_NONE);
	}
	/* The client's version when it is one of ours, else our latest: the client decides. */
	cJSON_AddStringToObject(r, "protocolVersion", version_known(asked) ? asked : versions[0]);
	caps = cJSON_AddObjectToObject(r, "capabilities");
	cJSON_AddBoolToObject(cJSON_AddObjectToObject(caps, "tools"), "listChanged", 0);
	{
		cJSON *res = cJSON_AddObjectToObject(caps, "resources");

		cJSON_AddBoolToObject(res, "subscribe", 0);
		cJSON_AddBoolToObject(res, "listChanged", 0);
	}
	info = cJSON_AddObjectToObject(r, "serverInfo");
	cJSON_AddStringToObject(info, "name", "gastown-edge");
	cJSON_AddStringToObject(info, "title", "Gastown");
	cJSON_AddStringToObject(info, "version", "0.1.0");
	if (c->cfg->kind == ENG_ORG)
		snprintf(text, sizeof text, "The Gastown organization '%s': its towns and its fleet figures. Each town "
			 "is an MCP server of its own at /api/towns/<town>/mcp.", c->cfg->object_id);
	else
		snprintf(text, sizeof text, "The Gastown town '%s': its beads (units of work), convoys, agents, mail, "
			 "escalations, costs and feed. Everything you do is recorded on the feed in your name.",
			 c->cfg->object_id);
	cJSON_AddStringToObject(r, "instructions", text);
	return rpc_result(c, id, r);
}

static int tools_list(struct call *c, const cJSON *id)
{
	unsigned mine = caller_tools(c);
	cJSON *r, *list;

	if (!mine)
		return -1;
	r = cJSON_CreateObject();
	list = cJSON_AddArrayToObject(r, "tools");
	for (size_t i = 0; i < mcp_tools_n; i++) {
		const struct mcp_tool *t = &mcp_tools[i];
		cJSON *o, *ann;

		if (!(t->who & mine))
			continue;
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "name", t->name);
		cJSON_AddStringToObject(o, "title", t->title);
		cJSON_AddStringToObject(o, "description", t->description);
		cJSON_AddItemToObject(o, "inputSchema", mcp_tool_schema(t));
		ann = cJSON_AddObjectToObject(o, "annotations");
		cJSON_AddBoolToObject(ann, "readOnlyHint", strcmp(t->method, "GET") == 0);
		cJSON_AddBoolToObject(ann, "openWorldHint", 0);
		cJSON_AddItemToArray(list, o);
	}
	return rpc_result(c, id, r);
}

/* Append name=value (value percent-encoded) to the query. -1 when it does not fit. */
static int query_add(char *q, size_t len, const char *name, const char *value)
{
	size_t at = strlen(q);
	char esc[600];

	if (id_escape(value, esc, sizeof esc) < 0)
		return -1;
	return (size_t)snprintf(q + at, len - at, "%s%s=%s", at ? "&" : "", name, esc) < len - at ? 0 : -1;
}

/* Split a tool's arguments into its path, query and body. 0, or -1 with why set (invalid params). */
static int bind_args(struct call *c, const struct mcp_tool *t, const cJSON *args, char *path, size_t plen,
		     char *query, size_t qlen, cJSON *body, char *why, size_t wlen)
{
	char names[4][32], esc[200];
	int n = mcp_tool_path_args(t, names, 4);
	const cJSON *a;
	size_t o = 0;

	/* The path, with each {x} filled. */
	for (const char *p = t->path; *p && o + 1 < plen;) {
		const char *end;
		char name[32];
		const char *value;

		if (*p != '{') {
			path[o++] = *p++;
			continue;
		}
		end = strchr(p, '}');
		snprintf(name, sizeof name, "%.*s", (int)(end - p - 1), p + 1);
		value = strcmp(name, "town") == 0 || strcmp(name, "org") == 0 ? c->cfg->object_id
		      : strcmp(name, "self") == 0 ? c->who.id
		      : cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(args, name));
		if (!value || !*value) {
			snprintf(why, wlen, "argument '%s' is required (a string)", name);
			return -1;
		}
		if (id_escape(value, esc, sizeof esc) < 0 || o + strlen(esc) + 1 >= plen) {
			snprintf(why, wlen, "argument '%s' is too long", name);
			return -1;
		}
		memcpy(path + o, esc, strlen(esc));
		o += strlen(esc);
		p = end + 1;
	}
	path[o] = '\0';
	query[0] = '\0';
	cJSON_ArrayForEach(a, args) {
		int in_path = 0;

		for (int i = 0; i < n; i++)
			in_path |= strcmp(names[i], a->string) == 0;
		if (in_path)
			continue;
		if (t->query && fields_rule(t->query, a->string)) {
			char num[32];
			const char *v = cJSON_IsString(a) ? a->valuestring : NULL;

			if (cJSON_IsBool(a))
				v = cJSON_IsTrue(a) ? "true" : "false";
			else if (cJSON_IsNumber(a) && snprintf(num, sizeof num, "%.17g", a->valuedouble) > 0)
				v = num;
			if (!v || query_add(query, qlen, a->string, v) < 0) {
				snprintf(why, wlen, "argument '%.60s' is not a usable %s", a->string,
					 v ? "value (too long)" : "string, number or boolean");
				return -1;
			}
			continue;
		}
		if (t->body && fields_rule(t->body, a->string)) {
			cJSON_AddItemToObject(body, a->string, cJSON_Duplicate(a, 1));
			continue;
		}
		snprintf(why, wlen, "tool '%s' has no argument '%.60s'", t->name, a->string);
		return -1;
	}
	return 0;
}

/* The route's answer as a tool result: its data, as text and as structured content (an object:
 * a list comes wrapped as {"result": [...]}); its error as a result with isError. */
static cJSON *tool_result(struct route_answer *a)
{
	cJSON *r = cJSON_CreateObject(), *content = cJSON_AddArrayToObject(r, "content"), *text, *structured;
	char *s;

	if (a->status >= 400) {
		structured = cJSON_CreateObject();
		cJSON *e = cJSON_AddObjectToObject(structured, "error");

		cJSON_AddStringToObject(e, "code", err_name(a->err.code));
		cJSON_AddStringToObject(e, "message", a->err.message);
		if (a->err.field[0])
			cJSON_AddStringToObject(e, "field", a->err.field);
		if (a->err.reason[0])
			cJSON_AddStringToObject(e, "reason", a->err.reason);
		cJSON_AddBoolToObject(r, "isError", 1);
	} else if (cJSON_IsObject(a->data)) {
		structured = a->data;
		a->data = NULL;
	} else {
		structured = cJSON_CreateObject();
		cJSON_AddItemToObject(structured, "result", a->data ? a->data : cJSON_CreateNull());
		a->data = NULL;
	}
	/* Printed once: the text is that print, and the structured content goes out as the same
	 * bytes (a raw item) rather than being printed from the tree again. */
	s = json_print(structured);
	cJSON_Delete(structured);
	text = cJSON_CreateObject();
	cJSON_AddStringToObject(text, "type", "text");
	cJSON_AddStringToObject(text, "text", s ? s : "{}");
	cJSON_AddItemToArray(content, text);
	cJSON_AddItemToObject(r, "structuredContent", cJSON_CreateRaw(s ? s : "{}"));
	cJSON_free(s);
	return r;
}

/* A tool whose route keeps its answer in another object (the agent log's search answers with a
 * pass): the host fills the result's text with that object's answer, an error's too (the reason a
 * query was refused is the agent's to read), from a proxy try (docs/host-abi.md, "proxy"). Until
 * it does, the text says the log could not be reached. */
static int tool_result_passed(struct call *c, const cJSON *id, struct route_answer *a)
{
	cJSON *p = c->pass, *r = cJSON_CreateObject(), *text, *proxy, *at, *t;

	c->pass = NULL;
	cJSON_Delete(a->data);
	a->data = NULL;
	text = cJSON_CreateObject();
	cJSON_AddStringToObject(text, "type", "text");
	cJSON_AddStringToObject(text, "text", "{\"error\":{\"code\":\"unavailable\",\"message\":\"the agent log could not be"
					     " reached: try again\"}}");
	cJSON_AddItemToArray(cJSON_AddArrayToObject(r, "content"), text);
	proxy = cJSON_CreateObject();
	at = cJSON_AddArrayToObject(proxy, "at");
	cJSON_AddItemToArray(at, cJSON_CreateString("result"));
	cJSON_AddItemToArray(at, cJSON_CreateString("content"));
	cJSON_AddItemToArray(at, cJSON_CreateNumber(0));
	cJSON_AddItemToArray(at, cJSON_CreateString("text"));
	t = cJSON_CreateObject();
	cJSON_AddStringToObject(t, "url", cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(p, "url")));
	cJSON_AddItemToObject(t, "headers", cJSON_DetachItemFromObjectCaseSensitive(p, "headers"));
	cJSON_AddNumberToObject(t, "timeout_ms", 10000);
	cJSON_AddBoolToObject(t, "any_status", 1);
	cJSON_AddItemToArray(cJSON_AddArrayToObject(proxy, "tries"), t);
	cJSON_Delete(p);
	cJSON_Delete(c->proxy);
	c->proxy = proxy;
	return rpc_result(c, id, r);
}

static int tools_call(struct call *c, const cJSON *id, const cJSON *params)
{
	const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(params, "name"));
	const cJSON *args = cJSON_GetObjectItemCaseSensitive(params, "arguments");
	const struct mcp_tool *t = name ? mcp_tool_named(name) : NULL;
	unsigned mine = caller_tools(c);
	char path[512], query[1024], why[160];
	struct route_answer a;
	cJSON *body;

	if (!mine)
		return -1;
	if (!cJSON_IsObject(params) || !name)
		return rpc_error(c, id, RPC_PARAMS, "tools/call needs params.name", NULL, ERR_NONE);
	/* A tool this caller is not shown does not exist for them. */
	if (!t || !(t->who & mine)) {
		snprintf(why, sizeof why, "no tool '%.60s' for you in this town", name);
		return rpc_error(c, id, RPC_PARAMS, why, NULL, ERR_NONE);
	}
	if (args && !cJSON_IsObject(args) && !cJSON_IsNull(args))
		return rpc_error(c, id, RPC_PARAMS, "params.arguments must be an object", NULL, ERR_NONE);
	body = cJSON_CreateObject();
	if (bind_args(c, t, cJSON_IsObject(args) ? args : NULL, path, sizeof path, query, sizeof query, body, why,
		      sizeof why) < 0) {
		cJSON_Delete(body);
		return rpc_error(c, id, RPC_PARAMS, why, NULL, ERR_NONE);
	}
	if (!t->body) {
		cJSON_Delete(body);
		body = NULL;
	}
	/* The body is route_call's now. */
	if (route_call(c, t->method, path, query[0] ? query : NULL, body, &a) < 0)
		return -1;
	if (c->pass && a.status < 400)
		return tool_result_passed(c, id, &a);
	return rpc_result(c, id, tool_result(&a));
}

/* The segment at p (up to '/' or the end) into out: where it ends, or NULL when it is empty or does
 * not fit. */
static const char *segment(const char *p, char *out, size_t cap)
{
	size_t n = strcspn(p, "/");

	if (n == 0 || n >= cap)
		return NULL;
	memcpy(out, p, n);
	out[n] = '\0';
	return p + n;
}

/* gastown://towns/<town>/beads/<id> and .../convoys/<id>: read through the same routes. */
static int resources_read(struct call *c, const cJSON *id, const cJSON *params)
{
	const char *uri = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(params, "uri"));
	char town[80], kind[16], rid[80], path[300];
	struct route_answer a;
	cJSON *r, *item;
	const char *p;
	char *s;

	if (!caller_tools(c))
		return -1;
	if (c->cfg->kind != ENG_TOWN || !uri || strncmp(uri, "gastown://towns/", 16) != 0 ||
	    !(p = segment(uri + 16, town, sizeof town)) || *p != '/' || !(p = segment(p + 1, kind, sizeof kind)) ||
	    *p != '/' || !(p = segment(p + 1, rid, sizeof rid)) || *p != '\0' || strcmp(town, c->cfg->object_id) != 0 ||
	    (strcmp(kind, "beads") != 0 && strcmp(kind, "convoys") != 0) || !id_valid(rid))
		return rpc_error(c, id, RPC_PARAMS, "no such resource: gastown://towns/<town>/beads/<id> or /convoys/<id>",
				 NULL, ERR_NONE);
	snprintf(path, sizeof path, "/api/towns/%s/%s/%s", town, kind, rid);
	if (route_call(c, "GET", path, NULL, NULL, &a) < 0)
		return -1;
	if (a.status >= 400) {
		cJSON *data = cJSON_CreateObject();

		cJSON_AddStringToObject(data, "uri", uri);
		return rpc_error(c, id, RPC_NO_RESOURCE, a.err.message, data, ERR_NONE);
	}
	s = json_print(a.data);
	cJSON_Delete(a.data);
	r = cJSON_CreateObject();
	item = cJSON_CreateObject();
	cJSON_AddStringToObject(item, "uri", uri);
	cJSON_AddStringToObject(item, "mimeType", "application/json");
	cJSON_AddStringToObject(item, "text", s ? s : "null");
	cJSON_free(s);
	cJSON_AddItemToArray(cJSON_AddArrayToObject(r, "contents"), item);
	return rpc_result(c, id, r);
}

static int resource_templates(struct call *c, const cJSON *id)
{
	static const struct {
		const char *name, *what;
	} kinds[] = {{"beads", "A bead: its fields, dependencies and runs."},
		     {"convoys", "A convoy: its beads in order and its state."}};
	cJSON *r = cJSON_CreateObject(), *list = cJSON_AddArrayToObject(r, "resourceTemplates");
	char uri[160];

	if (!caller_tools(c)) {
		cJSON_Delete(r);
		return -1;
	}
	for (size_t i = 0; c->cfg->kind == ENG_TOWN && i < sizeof kinds / sizeof kinds[0]; i++) {
		cJSON *o = cJSON_CreateObject();

		snprintf(uri, sizeof uri, "gastown://towns/%s/%s/{id}", c->cfg->object_id, kinds[i].name);
		cJSON_AddStringToObject(o, "uriTemplate", uri);
		cJSON_AddStringToObject(o, "name", kinds[i].name);
		cJSON_AddStringToObject(o, "description", kinds[i].what);
		cJSON_AddStringToObject(o, "mimeType", "application/json");
		cJSON_AddItemToArray(list, o);
	}
	return rpc_result(c, id, r);
}

static int empty_list(struct call *c, const cJSON *id, const char *key)
{
	cJSON *r;

	if (!caller_tools(c))
		return -1;
	r = cJSON_CreateObject();
	cJSON_AddArrayToObject(r, key);
	return rpc_result(c, id, r);
}

/* ---- the endpoint --------------------------------------------------------------------------------- */

/* The URL of this server's MCP endpoint for the town, as the client reached it: https unless the
 * host is a loopback one (make dev, tests). */
static int endpoint_url(const struct call *c, const char *collection, const char *id, char *out, size_t len)
{
	const char *host = call_request_header(c, "host");
	char esc[200];
	int local;

	if (!host || !*host || strchr(host, '/') || strchr(host, '"') || id_escape(id, esc, sizeof esc) < 0)
		return -1;
	local = strncmp(host, "127.0.0.1", 9) == 0 || strncmp(host, "localhost", 9) == 0;
	return (size_t)snprintf(out, len, "%s://%s/api/%s/%s/mcp", local ? "http" : "https", host, collection, esc) < len
		       ? 0 : -1;
}

/* A refused caller gets the HTTP API's answer; a 401 also says where to learn how to sign in
 * (RFC 9728 protected-resource metadata), which is how a standard MCP client finds the
 * authorization server. */
static int refuse_caller(struct call *c)
{
	char url[400], value[600];

	if (c->err.code != ERR_UNAUTHENTICATED)
		return -1;
	if (endpoint_url(c, c->cfg->kind == ENG_ORG ? "orgs" : "towns", c->cfg->object_id, url, sizeof url) == 0) {
		const char *path = strstr(url, "/api/");

		snprintf(value, sizeof value, "Bearer resource_metadata=\"%.*s/.well-known/oauth-protected-resource%s\"",
			 (int)(path - url), url, path);
		call_header(c, "www-authenticate", value);
	} else {
		call_header(c, "www-authenticate", "Bearer realm=\"gastown\"");
	}
	return -1;
}

int api_mcp_resource_metadata(struct call *c)
{
	const char *issuer = jwt_verifier_issuer(c->jwt);
	char url[400];
	cJSON *d;

	if (!id_valid(c->seg[4]))
		return err_set(&c->err, ERR_NOT_FOUND, NULL, "no such %s", strcmp(c->seg[3], "orgs") == 0 ? "org" : "town");
	if (endpoint_url(c, c->seg[3], c->seg[4], url, sizeof url) < 0)
		return err_set(&c->err, ERR_INVALID, "host", "the request names no usable Host");
	d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "resource", url);
	/* The identity provider that signs people's tokens; a deployment without an issuer (a shared
	 * development secret) has none to name. */
	if (issuer)
		cJSON_AddItemToArray(cJSON_AddArrayToObject(d, "authorization_servers"), cJSON_CreateString(issuer));
	cJSON_AddItemToArray(cJSON_AddArrayToObject(d, "bearer_methods_supported"), cJSON_CreateString("header"));
	cJSON_AddStringToObject(d, "resource_name", "Gastown town MCP server");
	return call_reply_raw(c, 200, d);
}

int api_mcp_post(struct call *c)
{
	const char *accept = call_request_header(c, "accept"), *version = call_request_header(c, "mcp-protocol-version"), *method;
	const cJSON *id, *params, *jsonrpc;
	struct err parse = {0};
	cJSON *msg;
	int rc;

	if (!origin_allowed(c))
		return rpc_error(c, NULL, RPC_INVALID_REQUEST, "this Origin may not use the town's MCP server", NULL,
				 ERR_FORBIDDEN);
	if (accept && !strstr(accept, "application/json") && !strstr(accept, "*/*"))
		return rpc_error(c, NULL, RPC_INVALID_REQUEST, "the client must accept application/json", NULL,
				 ERR_INVALID);
	if ((c->cfg->kind == ENG_ORG ? auth_user(c) : auth_person_or_agent(c)) < 0)
		return refuse_caller(c);
	msg = json_parse_strict(c->in->body, c->in->body_len, &parse);
	if (!msg)
		return rpc_error(c, NULL, RPC_PARSE, parse.message[0] ? parse.message : "not JSON", NULL, ERR_BAD_JSON);
	if (cJSON_IsArray(msg)) {
		cJSON_Delete(msg);
		return rpc_error(c, NULL, RPC_INVALID_REQUEST, "one JSON-RPC message per request: batches are not supported",
				 NULL, ERR_INVALID);
	}
	id = cJSON_GetObjectItemCaseSensitive(msg, "id");
	params = cJSON_GetObjectItemCaseSensitive(msg, "params");
	jsonrpc = cJSON_GetObjectItemCaseSensitive(msg, "jsonrpc");
	method = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(msg, "method"));
	if (!cJSON_IsObject(msg) || !cJSON_IsString(jsonrpc) || strcmp(jsonrpc->valuestring, "2.0") != 0 ||
	    (id && !cJSON_IsString(id) && !cJSON_IsNumber(id)) ||
	    (!method && !cJSON_GetObjectItemCaseSensitive(msg, "result") &&
	     !cJSON_GetObjectItemCaseSensitive(msg, "error"))) {
		rc = rpc_error(c, cJSON_IsString(id) || cJSON_IsNumber(id) ? id : NULL, RPC_INVALID_REQUEST,
			       "not a JSON-RPC 2.0 request, notification or response", NULL, ERR_INVALID);
		cJSON_Delete(msg);
		return rc;
	}
	/* After initialize the client names the version it speaks; one we do not speak is refused. */
	if (method && strcmp(method, "initialize") != 0 && version && !version_known(version)) {
		cJSON *data = cJSON_CreateObject(), *s = cJSON_AddArrayToObject(data, "supported");

		for (size_t i = 0; i < sizeof versions / sizeof versions[0]; i++)
			cJSON_AddItemToArray(s, cJSON_CreateString(versions[i]));
		cJSON_AddStringToObject(data, "requested", version);
		rc = rpc_error(c, id, RPC_INVALID_REQUEST, "unsupported MCP-Protocol-Version", data, ERR_INVALID);
		cJSON_Delete(msg);
		return rc;
	}
	/* A request without MCP-Protocol-Version speaks 2025-03-26 (the spec's rule for older
	 * clients), which is one of ours: nothing to refuse. */
	/* Notifications and responses: accepted, nothing to answer. */
	if (!method || !id) {
		cJSON_Delete(msg);
		return call_reply_raw(c, 202, NULL);
	}
	if (strcmp(method, "initialize") == 0)
		rc = initialize(c, id, params);
	else if (strcmp(method, "ping") == 0)
		rc = rpc_result(c, id, NULL);
	else if (strcmp(method, "tools/list") == 0)
		rc = tools_list(c, id);
	else if (strcmp(method, "tools/call") == 0)
		rc = tools_call(c, id, params);
	else if (strcmp(method, "resources/list") == 0)
		rc = empty_list(c, id, "resources");
	else if (strcmp(method, "resources/templates/list") == 0)
		rc = resource_templates(c, id);
	else if (strcmp(method, "resources/read") == 0)
		rc = resources_read(c, id, params);
	else if (strcmp(method, "prompts/list") == 0)
		rc = empty_list(c, id, "prompts");
	else {
		char why[120];

		snprintf(why, sizeof why, "no method '%.60s'", method);
		rc = rpc_error(c, id, RPC_METHOD, why, NULL, ERR_NONE);
	}
	cJSON_Delete(msg);
	return rc;
}

int api_mcp_other(struct call *c)
{
	call_header(c, "allow", "POST");
	return err_set(&c->err, ERR_METHOD, NULL, "the MCP endpoint takes POST only: this server keeps no stream"
		       " and no session");
}
