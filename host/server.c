/*
 * server.c - the host's HTTP side: libmicrohttpd in external epoll mode (the host's loop polls its
 * fd and calls server_run), one route table, the signature checked before any route but /health
 * sees the request. Handlers are thin: parse, call agents.c, answer with the API's envelope. The
 * terminal route upgrades its connection to a WebSocket and hands the socket to terminal.c.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "host.h"

/* One request's body, gathered across the access handler's calls. */
struct request {
	char *body;
	size_t len, cap;
	int too_large;
	/* A terminal's upgrade: what on_upgraded attaches the socket to. */
	char town[HOST_ID_MAX + 1], agent[HOST_ID_MAX + 1];
	int ro;
};

struct route {
	const char *method;
	const char *verb; /* NULL: /towns/:town/agents itself */
	enum MHD_Result (*run)(struct host *h, struct MHD_Connection *c, const char *town,
			       const char *agent, struct request *r);
};

/* ---- answers ------------------------------------------------------------------------------- */

static enum MHD_Result respond(struct MHD_Connection *c, int status, cJSON *envelope)
{
	char *text = cJSON_PrintUnformatted(envelope);
	struct MHD_Response *resp;
	enum MHD_Result ret;

	cJSON_Delete(envelope);
	if (!text)
		return MHD_NO;
	/* MUST_FREE hands text to MHD, which frees it with free(): cJSON allocates with malloc. */
	resp = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		cJSON_free(text);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "content-type", "application/json");
	ret = MHD_queue_response(c, (unsigned)status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result respond_data(struct MHD_Connection *c, int status, cJSON *data)
{
	cJSON *env = cJSON_CreateObject();

	cJSON_AddItemToObject(env, "data", data);
	return respond(c, status, env);
}

static enum MHD_Result respond_error(struct MHD_Connection *c, const struct herr *e, const char *reason)
{
	cJSON *env = cJSON_CreateObject(), *err = cJSON_AddObjectToObject(env, "error");

	cJSON_AddStringToObject(err, "code", e->code);
	if (e->field[0])
		cJSON_AddStringToObject(err, "field", e->field);
	cJSON_AddStringToObject(err, "message", e->message);
	if (reason)
		cJSON_AddStringToObject(err, "reason", reason);
	return respond(c, e->status, env);
}

static enum MHD_Result fail(struct MHD_Connection *c, int status, const char *code, const char *msg)
{
	struct herr e = {0};

	herr_set(&e, status, code, NULL, "%s", msg);
	return respond_error(c, &e, NULL);
}

/* A JSON object body (an empty body is {}); NULL after answering 400. */
static cJSON *parse_object(struct MHD_Connection *c, const struct request *r)
{
	cJSON *o = r->len ? cJSON_ParseWithLength(r->body, r->len) : cJSON_CreateObject();

	if (!o) {
		fail(c, 400, "bad_json", "the body is not valid JSON");
		return NULL;
	}
	if (!cJSON_IsObject(o)) {
		cJSON_Delete(o);
		fail(c, 400, "invalid", "the body must be a JSON object");
		return NULL;
	}
	return o;
}

/* ---- routes -------------------------------------------------------------------------------- */

static enum MHD_Result route_list(struct host *h, struct MHD_Connection *c, const char *town,
				  const char *agent, struct request *r)
{
	cJSON *list = cJSON_CreateArray();

	(void)agent;
	(void)r;
	for (struct agent *a = h->agents; a; a = a->next) {
		cJSON *o;
		if (strcmp(a->town, town) != 0)
			continue;
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "agent", a->id);
		cJSON_AddStringToObject(o, "bead", a->bead);
		cJSON_AddStringToObject(o, "state", a->state == AGENT_RUNNING ? "running" : "stopping");
		cJSON_AddNumberToObject(o, "pid", a->pid);
		cJSON_AddNumberToObject(o, "started_ms", (double)a->started_ms);
		cJSON_AddItemToArray(list, o);
	}
	return respond_data(c, 200, list);
}

static enum MHD_Result route_start(struct host *h, struct MHD_Connection *c, const char *town,
				   const char *agent, struct request *r)
{
	struct start *s = malloc(sizeof *s);
	struct herr e = {0};
	char bead[HOST_ID_MAX + 1];
	cJSON *data;
	int status;

	if (!s)
		return fail(c, 500, "internal", "out of memory");
	if (start_parse(r->body ? r->body : "", r->len, town, agent, s, &e) < 0) {
		free(s);
		return respond_error(c, &e, NULL);
	}
	snprintf(bead, sizeof bead, "%s", s->bead);
	status = agent_start(h, s, &e); /* s is agent_start's from here */
	if (status < 0)
		return respond_error(c, &e, NULL);
	data = cJSON_CreateObject();
	cJSON_AddStringToObject(data, "agent", agent);
	cJSON_AddStringToObject(data, "bead", bead);
	cJSON_AddStringToObject(data, "state", status == 200 ? "running" : "starting");
	return respond_data(c, status, data);
}

static enum MHD_Result route_stop(struct host *h, struct MHD_Connection *c, const char *town,
				  const char *agent, struct request *r)
{
	cJSON *body = parse_object(c, r), *data;
	struct agent *a = agent_find(h, town, agent);
	const char *reason;

	if (!body)
		return MHD_YES;
	reason = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(body, "reason"));
	if (a)
		agent_stop(h, a, reason && *reason ? reason : "the town stopped the agent");
	data = cJSON_CreateObject();
	cJSON_AddStringToObject(data, "agent", agent);
	cJSON_AddStringToObject(data, "state", a ? "stopping" : "stopped");
	cJSON_Delete(body);
	return respond_data(c, 200, data);
}

static enum MHD_Result route_message(struct host *h, struct MHD_Connection *c, const char *town,
				     const char *agent, struct request *r)
{
	cJSON *body = parse_object(c, r), *data;
	const char *kind, *text;
	struct herr e = {0};

	if (!body)
		return MHD_YES;
	kind = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(body, "kind"));
	text = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(body, "text"));
	if (!kind || (strcmp(kind, "nudge") != 0 && strcmp(kind, "mail") != 0))
		herr_set(&e, 400, "invalid", "kind", "kind must be nudge or mail");
	else if (!text)
		herr_set(&e, 400, "invalid", "text", "text is required");
	else
		agent_message(agent_find(h, town, agent), kind, text, &e);
	cJSON_Delete(body);
	if (e.status)
		return respond_error(c, &e, NULL);
	data = cJSON_CreateObject();
	cJSON_AddStringToObject(data, "agent", agent);
	cJSON_AddBoolToObject(data, "delivered", 1);
	return respond_data(c, 200, data);
}

/* ---- the terminal: a WebSocket ------------------------------------------------------------ */

/* Whether header name's comma-separated value has token (any case). */
static int header_has(struct MHD_Connection *c, const char *name, const char *token)
{
	const char *v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
	size_t want = strlen(token);

	while (v && *v) {
		size_t n;
		v += strspn(v, " \t,");
		n = strcspn(v, ",");
		while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
			n--;
		if (n == want && strncasecmp(v, token, n) == 0)
			return 1;
		v += strcspn(v, ",");
	}
	return 0;
}

/* A Sec-WebSocket-Key: 16 bytes in base64. */
static int ws_key_ok(const char *key)
{
	return key && strlen(key) == 24 && key[22] == '=' && key[23] == '=' &&
	       strspn(key, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/") == 22;
}

/* MHD has sent the 101: the socket is the terminal's from here on. */
static void on_upgraded(void *cls, struct MHD_Connection *c, void *con_cls, const char *extra_in,
			size_t extra_in_size, MHD_socket sock, struct MHD_UpgradeResponseHandle *urh)
{
	struct request *r = con_cls;

	(void)c;
	terminal_attach(cls, r->town, r->agent, r->ro, sock, urh, extra_in, extra_in_size);
}

static enum MHD_Result route_terminal(struct host *h, struct MHD_Connection *c, const char *town,
				      const char *agent, struct request *r)
{
	const char *key = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "sec-websocket-key");
	const char *version = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "sec-websocket-version");
	const char *mode = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "x-gastown-terminal-mode");
	struct MHD_Response *resp;
	enum MHD_Result ret;
	char accept[29];

	if (!header_has(c, "upgrade", "websocket") || !header_has(c, "connection", "upgrade") ||
	    !ws_key_ok(key) || !version || strcmp(version, "13") != 0 || ws_accept(key, accept) < 0)
		return fail(c, 400, "invalid", "the terminal is a WebSocket (version 13): GET with Upgrade: websocket");
	/* The town always says; a request that does not is only watching. */
	if (mode && strcmp(mode, "rw") != 0 && strcmp(mode, "ro") != 0)
		return fail(c, 400, "invalid", "x-gastown-terminal-mode must be rw or ro");
	if (!agent_find(h, town, agent))
		return fail(c, 404, "not_found", "the agent is not running");
	if (h->nterms >= HOST_TERMINALS_MAX)
		return fail(c, 503, "busy", "too many terminals are attached to this host");
	snprintf(r->town, sizeof r->town, "%s", town);
	snprintf(r->agent, sizeof r->agent, "%s", agent);
	r->ro = !mode || strcmp(mode, "rw") != 0;
	resp = MHD_create_response_for_upgrade(on_upgraded, h);
	if (!resp)
		return fail(c, 500, "internal", "out of memory");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_UPGRADE, "websocket"); /* MHD adds Connection */
	MHD_add_response_header(resp, "Sec-WebSocket-Accept", accept);
	ret = MHD_queue_response(c, MHD_HTTP_SWITCHING_PROTOCOLS, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* ---- a rig's diff: GET /towns/:town/rigs/:rig/diff/:base/:head ------------------------------ */

static int commit_ok(const char *s)
{
	size_t n = strlen(s);

	return n >= 7 && n <= 64 && strspn(s, "0123456789abcdef") == n;
}

/* The unified diff base...head from the rig's clone, as git prints it (text/plain): the town asks
 * for it while someone looks at a bead's diff. 404 when the clone or a commit is not here (the
 * town then asks the platform). NEEDSWORK: git runs in the host's loop (like the town calls); a
 * huge diff holds the other agents' I/O for as long as git takes. */
static enum MHD_Result route_diff(struct host *h, struct MHD_Connection *c, char *const *parts)
{
	struct paths p;
	char dotgit[HOST_PATH_MAX + 8], range[160], *out;
	size_t len = 0;
	struct MHD_Response *resp;
	enum MHD_Result ret;
	int rc;

	if (!id_ok(parts[1], HOST_ID_MAX, 0) || !id_ok(parts[3], HOST_ID_MAX, 0) || !commit_ok(parts[5]) ||
	    !commit_ok(parts[6]))
		return fail(c, 400, "invalid", "a diff is /towns/:town/rigs/:rig/diff/:base/:head with commit ids");
	if (paths_for(h->cfg.state, parts[1], "-", parts[3], &p) < 0)
		return fail(c, 400, "invalid", "the path is too long");
	snprintf(dotgit, sizeof dotgit, "%s/.git", p.repo);
	if (!path_exists(dotgit))
		return fail(c, 404, "not_found", "this host has no clone of the rig");
	for (int i = 5; i <= 6; i++) {
		char spec[80];
		const char *args[] = {"cat-file", "-e", spec, NULL};

		snprintf(spec, sizeof spec, "%s^{commit}", parts[i]);
		if (git_run(p.repo, NULL, 0, args) != 0)
			return fail(c, 404, "not_found", "the commits are not in this host's clone");
	}
	snprintf(range, sizeof range, "%s...%s", parts[5], parts[6]);
	if (!(out = malloc(HOST_BODY_MAX + 1)))
		return fail(c, 500, "internal", "out of memory");
	{
		const char *args[] = {"diff", "--no-color", "--no-ext-diff", "--no-renames", range, "--", NULL};
		rc = git_capture(p.repo, out, HOST_BODY_MAX + 1, &len, args);
	}
	if (rc != 0) {
		free(out);
		return fail(c, 500, "internal", "git diff failed");
	}
	if (len >= HOST_BODY_MAX) {
		free(out);
		return fail(c, 413, "too_large", "the diff is larger than 1 MiB");
	}
	resp = MHD_create_response_from_buffer(len, out, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(out);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "content-type", "text/plain; charset=utf-8");
	ret = MHD_queue_response(c, 200, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* POST /towns/<town>/rigs/<rig>/prune {"branches": [...], "rig": {"git_url"}}: the branches of
 * attempts that lost go from the origin (docs/container-protocol.md). Answered at once; the push
 * runs in a child of its own, so the loop never waits on the remote. */
static enum MHD_Result route_prune(struct host *h, struct MHD_Connection *c, char *const *parts,
				   const struct request *r)
{
	cJSON *body = cJSON_ParseWithLength(r->body ? r->body : "", r->len), *b;
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(body, "branches");
	const char *url = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(body, "rig"),
										 "git_url"));
	const char *names[32];
	struct paths p;
	size_t n = 0;
	pid_t pid;

	if (!id_ok(parts[1], HOST_ID_MAX, 0) || !id_ok(parts[3], HOST_ID_MAX, 0)) {
		cJSON_Delete(body);
		return fail(c, 400, "invalid", "the town or rig id is not valid");
	}
	if (!cJSON_IsArray(list) || cJSON_GetArraySize(list) < 1 || cJSON_GetArraySize(list) > 32 || !url || !*url ||
	    url[0] == '-' || strpbrk(url, "\r\n")) {
		cJSON_Delete(body);
		return fail(c, 400, "invalid", "a prune is {branches: [1 to 32 names], rig: {git_url}}");
	}
	cJSON_ArrayForEach(b, list) {
		if (!cJSON_IsString(b) || !id_ok(b->valuestring, HOST_BRANCH_MAX, 1)) {
			cJSON_Delete(body);
			return fail(c, 400, "invalid", "each branch is a branch name");
		}
		names[n++] = b->valuestring;
	}
	if (paths_for(h->cfg.state, parts[1], "-", parts[3], &p) < 0 || !path_exists(p.repo)) {
		cJSON_Delete(body);
		return fail(c, 404, "not_found", "this host has no clone of the rig");
	}
	pid = git_push_delete(p.repo, url, names, n);
	host_log("pruning %zu branch%s of rig %s at its origin (pid %ld)", n, n == 1 ? "" : "es", parts[3], (long)pid);
	cJSON_Delete(body);
	if (pid < 0)
		return fail(c, 500, "internal", "cannot start git");
	{
		cJSON *data = cJSON_CreateObject();

		cJSON_AddNumberToObject(data, "branches", (double)n);
		return respond_data(c, 202, data);
	}
}

/* /towns/<town>/rigs/<rig>/prune: the parts, or 0 when the path is not that. */
static int split_prune(const char *url, char *buf, size_t cap, char **parts)
{
	char *save = NULL;
	int n = 0;

	if (strlen(url) >= cap)
		return 0;
	memcpy(buf, url, strlen(url) + 1);
	for (char *q = strtok_r(buf, "/", &save); q && n < 6; q = strtok_r(NULL, "/", &save))
		parts[n++] = q;
	return n == 5 && strcmp(parts[0], "towns") == 0 && strcmp(parts[2], "rigs") == 0 && strcmp(parts[4], "prune") == 0;
}

/* /towns/<town>/rigs/<rig>/diff/<base>/<head>: the parts, or 0 when the path is not that. */
static int split_diff(const char *url, char *buf, size_t cap, char **parts)
{
	char *save = NULL;
	int n = 0;

	if (strlen(url) >= cap)
		return 0;
	memcpy(buf, url, strlen(url) + 1);
	for (char *q = strtok_r(buf, "/", &save); q && n < 8; q = strtok_r(NULL, "/", &save))
		parts[n++] = q;
	return n == 7 && strcmp(parts[0], "towns") == 0 && strcmp(parts[2], "rigs") == 0 &&
	       strcmp(parts[4], "diff") == 0;
}

static const struct route routes[] = {
	{"GET", NULL, route_list},
	{"POST", "start", route_start},
	{"POST", "stop", route_stop},
	{"POST", "message", route_message},
	{"GET", "terminal", route_terminal},
};

/* ---- dispatch ------------------------------------------------------------------------------ */

/* Split /towns/<town>/agents[/<agent>/<verb>]; 0, or -1 when the path is not one of ours. */
static int split_path(const char *url, char *town, char *agent, char *verb)
{
	char buf[512], *parts[6], *save = NULL;
	int n = 0;

	if (strlen(url) >= sizeof buf)
		return -1;
	memcpy(buf, url, strlen(url) + 1);
	for (char *p = strtok_r(buf, "/", &save); p && n < 6; p = strtok_r(NULL, "/", &save))
		parts[n++] = p;
	if ((n != 3 && n != 5) || strcmp(parts[0], "towns") != 0 || strcmp(parts[2], "agents") != 0 ||
	    strlen(parts[1]) > HOST_ID_MAX || (n == 5 && (strlen(parts[3]) > HOST_ID_MAX || strlen(parts[4]) > 15)))
		return -1;
	strcpy(town, parts[1]);
	strcpy(agent, n == 5 ? parts[3] : "");
	strcpy(verb, n == 5 ? parts[4] : "");
	return 0;
}

static enum MHD_Result dispatch(struct host *h, struct MHD_Connection *c, const char *url,
				const char *method, struct request *r)
{
	char town[HOST_ID_MAX + 1], agent[HOST_ID_MAX + 1], verb[16];
	const char *why = NULL;
	int path_ok = 0;

	if (strcmp(url, "/health") == 0 && strcmp(method, "GET") == 0) {
		cJSON *data = cJSON_CreateObject();
		cJSON_AddStringToObject(data, "status", "ok");
		cJSON_AddNumberToObject(data, "agents", (double)h->nagents);
		return respond_data(c, 200, data);
	}
	if (r->too_large)
		return fail(c, 413, "too_large", "the body is larger than 1 MiB");
	/* A GET has no body: the terminal's mode header is signed in its place, so a captured
	 * read-only request cannot be replayed as a writable one. */
	const char *mode = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "x-gastown-terminal-mode");
	const char *signed_body = r->body;
	size_t signed_len = r->len;

	if (strcmp(method, "GET") == 0 && r->len == 0 && mode) {
		signed_body = mode;
		signed_len = strlen(mode);
	}
	if (sign_check(h->cfg.secret, h->cfg.secret_len,
		       MHD_lookup_connection_value(c, MHD_HEADER_KIND, "x-gastown-signature"), method, url,
		       signed_body, signed_len, wall_ms(), &why) < 0) {
		struct herr e = {0};
		host_log("refused %s %s: signature %s", method, url, why);
		herr_set(&e, 401, "unauthenticated", NULL, "the request is not signed by the town (%s)", why);
		return respond_error(c, &e, why);
	}
	{
		char buf[512], *parts[8];

		if (split_diff(url, buf, sizeof buf, parts))
			return strcmp(method, "GET") == 0 ? route_diff(h, c, parts)
							  : fail(c, 405, "method_not_allowed", "method not allowed on this route");
		if (split_prune(url, buf, sizeof buf, parts))
			return strcmp(method, "POST") == 0 ? route_prune(h, c, parts, r)
							   : fail(c, 405, "method_not_allowed", "method not allowed on this route");
	}
	if (split_path(url, town, agent, verb) < 0)
		return fail(c, 404, "not_found", "no such route");
	if (!id_ok(town, HOST_ID_MAX, 0) || (agent[0] && !id_ok(agent, HOST_ID_MAX, 0)))
		return fail(c, 400, "invalid", "the town or agent id is not valid");
	for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
		if (strcmp(routes[i].verb ? routes[i].verb : "", verb) != 0)
			continue;
		path_ok = 1;
		if (strcmp(routes[i].method, method) == 0)
			return routes[i].run(h, c, town, agent, r);
	}
	return path_ok ? fail(c, 405, "method_not_allowed", "method not allowed on this route")
		       : fail(c, 404, "not_found", "no such route");
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_data_size, void **con_cls)
{
	struct request *r = *con_cls;

	(void)version;
	if (!r) {
		r = calloc(1, sizeof *r);
		*con_cls = r;
		return r ? MHD_YES : MHD_NO;
	}
	if (*upload_data_size) {
		size_t n = *upload_data_size;
		*upload_data_size = 0;
		if (r->too_large || r->len + n > HOST_BODY_MAX) {
			r->too_large = 1; /* read on to the end, then answer 413 */
			return MHD_YES;
		}
		if (r->len + n + 1 > r->cap) {
			size_t cap = r->cap ? r->cap : 4096;
			char *grown;
			while (cap < r->len + n + 1)
				cap *= 2;
			grown = realloc(r->body, cap);
			if (!grown)
				return MHD_NO;
			r->body = grown;
			r->cap = cap;
		}
		memcpy(r->body + r->len, upload_data, n);
		r->len += n;
		r->body[r->len] = '\0';
		return MHD_YES;
	}
	return dispatch(cls, c, url, method, r);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct request *r = *con_cls;

	(void)cls;
	(void)c;
	(void)toe;
	if (r) {
		free(r->body);
		free(r);
	}
	*con_cls = NULL;
}

/* The signature covers the path as sent: MHD must not decode %XX in it. */
static size_t keep_raw(void *cls, struct MHD_Connection *c, char *s)
{
	(void)cls;
	(void)c;
	return strlen(s);
}

int server_start(struct host *h)
{
	struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)h->cfg.port)};
	const union MHD_DaemonInfo *info;
	const char *host = strcmp(h->cfg.listen_host, "localhost") == 0 ? "127.0.0.1" : h->cfg.listen_host;
	struct MHD_Daemon *d;

	if (inet_pton(AF_INET, host, &addr.sin_addr) != 1) {
		host_log("--listen: '%s' is not an IPv4 address", h->cfg.listen_host);
		return -1;
	}
	if ((ntohl(addr.sin_addr.s_addr) >> 24) != 127)
		host_log("warning: listening on %s, not on loopback", host);
	/* ALLOW_UPGRADE: the terminals' WebSockets (MHD then also counts them in the limit). */
	d = MHD_start_daemon(MHD_USE_EPOLL | MHD_USE_ERROR_LOG | MHD_ALLOW_UPGRADE, (uint16_t)h->cfg.port,
			     NULL, NULL, on_request, h, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
			     MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
			     MHD_OPTION_UNESCAPE_CALLBACK, keep_raw, h,
			     MHD_OPTION_CONNECTION_LIMIT, (unsigned)64,
			     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30, MHD_OPTION_END);
	if (!d) {
		host_log("cannot listen on %s:%u", host, h->cfg.port);
		return -1;
	}
	info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	if (info)
		h->cfg.port = info->port;
	h->mhd = d;
	return 0;
}

int server_fd(struct host *h)
{
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(h->mhd, MHD_DAEMON_INFO_EPOLL_FD);

	return info ? info->epoll_fd : -1;
}

int64_t server_timeout(struct host *h)
{
	MHD_UNSIGNED_LONG_LONG t = 0;

	if (MHD_get_timeout(h->mhd, &t) != MHD_YES)
		return -1;
	return t > INT32_MAX ? INT32_MAX : (int64_t)t;
}

void server_run(struct host *h)
{
	MHD_run(h->mhd);
}

void server_stop(struct host *h)
{
	if (h->mhd)
		MHD_stop_daemon(h->mhd);
	h->mhd = NULL;
}
