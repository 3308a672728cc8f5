/*
 * connect.c - `gt connect` and `gt disconnect`: a member's own machine joins a town as a crew
 * agent (POST /api/towns/:town/crew) and a local coding CLI works in the town through its MCP
 * server, as that agent.
 *
 * The CLI is not given the agent's token. Agent tokens live 15 minutes and are refreshed; a CLI
 * reads its MCP configuration once, at start. So `gt connect` serves the town's MCP endpoint on a
 * loopback port and forwards each request with the token it holds now, and the configurations it
 * prints or writes name that local URL with no secret in them. While it runs it sends the agent's
 * heartbeats and refreshes the token; on Ctrl-C (or SIGTERM) it disconnects the agent. The signals
 * are waited for (sigtimedwait) between heartbeats, so no handler and no global flag is needed.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <microhttpd.h>

#include "cli.h"

#define PROXY_BODY_MAX (1024 * 1024)    /* the town refuses larger bodies anyway */
#define PROXY_ANSWER_MAX (8 * 1024 * 1024)
#define HEARTBEAT_S 15
#define REFRESH_BEFORE_MS (5 * 60 * 1000.0) /* refresh a token this long before it expires */
#define DEFAULT_PORT 8791

struct session {
	struct cli member;       /* the member's token: join and disconnect */
	struct cli agent;        /* the agent's token: heartbeats, refresh, and the proxy's requests */
	pthread_mutex_t lock;    /* agent.token, read by the proxy's threads while the loop refreshes it */
	char town[128], id[128], upstream[4096];
	double expires_ms;
};

/* ---- the proxy: loopback MCP endpoint -> the town's, with the current token ------------------- */

struct pending {
	char *data;
	size_t len;
	int overflow;
};

struct answer {
	char *data;
	size_t len;
};

static size_t take(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct answer *a = arg;
	size_t n = size * nmemb;
	char *grown;

	if (a->len + n > PROXY_ANSWER_MAX || !(grown = realloc(a->data, a->len + n + 1)))
		return 0;
	a->data = grown;
	memcpy(a->data + a->len, ptr, n);
	a->len += n;
	return n;
}

static enum MHD_Result reply(struct MHD_Connection *con, unsigned status, const char *type, const char *body,
			     size_t len)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result rc;

	if (!r)
		return MHD_NO;
	if (type)
		MHD_add_response_header(r, "content-type", type);
	rc = MHD_queue_response(con, status, r);
	MHD_destroy_response(r);
	return rc;
}

/* The client's headers that mean something to the MCP server travel on; the token is ours. */
static struct curl_slist *forward_headers(struct MHD_Connection *con, struct session *s)
{
	static const char *const names[] = {"content-type", "accept", "mcp-protocol-version", "mcp-session-id",
					    "last-event-id"};
	struct curl_slist *h = NULL;
	char line[8400];

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		const char *v = MHD_lookup_connection_value(con, MHD_HEADER_KIND, names[i]);

		if (v && snprintf(line, sizeof line, "%s: %s", names[i], v) < (int)sizeof line)
			h = curl_slist_append(h, line);
	}
	pthread_mutex_lock(&s->lock);
	snprintf(line, sizeof line, "authorization: Bearer %s", s->agent.token);
	pthread_mutex_unlock(&s->lock);
	return curl_slist_append(h, line);
}

static enum MHD_Result forward(struct MHD_Connection *con, struct session *s, const char *method,
			       const struct pending *p)
{
	CURL *curl = curl_easy_init();
	struct curl_slist *headers;
	struct answer a = {0};
	char *type = NULL;
	long status = 502;
	enum MHD_Result rc;

	if (!curl)
		return reply(con, 500, "text/plain", "cannot initialise libcurl\n", 26);
	headers = forward_headers(con, s);
	curl_easy_setopt(curl, CURLOPT_URL, s->upstream);
	curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, take);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &a);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, 120L);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(curl, CURLOPT_USERAGENT, "gt-connect/0.1");
	if (strcmp(method, "POST") == 0) {
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, p->data ? p->data : "");
		curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)p->len);
	}
	if (curl_easy_perform(curl) == CURLE_OK) {
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
		curl_easy_getinfo(curl, CURLINFO_CONTENT_TYPE, &type);
		rc = reply(con, (unsigned)status, type, a.data ? a.data : "", a.len);
	} else {
		static const char msg[] = "{\"error\":{\"code\":\"unreachable\",\"message\":\"the town cannot be reached\"}}";

		rc = reply(con, 502, "application/json", msg, sizeof msg - 1);
	}
	free(a.data);
	curl_slist_free_all(headers);
	curl_easy_cleanup(curl);
	return rc;
}

/* name (a Host value, or an Origin's after its scheme) is this machine: 127.0.0.1, localhost or
 * [::1], with or without a port. */
static int loopback_name(const char *name)
{
	static const char *const hosts[] = {"127.0.0.1", "localhost", "[::1]"};

	for (size_t i = 0; i < sizeof hosts / sizeof hosts[0]; i++) {
		size_t n = strlen(hosts[i]);

		if (strncmp(name, hosts[i], n) == 0 && (name[n] == '\0' || name[n] == ':'))
			return 1;
	}
	return 0;
}

/* The proxy adds the agent's token by itself, so a web page must not reach it: a page whose name
 * was rebound to 127.0.0.1 still sends its own name as Host and Origin (DNS rebinding). Only
 * requests naming this machine pass; a client outside a browser sends no Origin. */
static int from_this_machine(struct MHD_Connection *con)
{
	const char *host = MHD_lookup_connection_value(con, MHD_HEADER_KIND, "host");
	const char *origin = MHD_lookup_connection_value(con, MHD_HEADER_KIND, "origin");

	if (!host || !loopback_name(host))
		return 0;
	if (!origin)
		return 1;
	if (strncmp(origin, "http://", 7) == 0)
		return loopback_name(origin + 7);
	return strncmp(origin, "https://", 8) == 0 && loopback_name(origin + 8);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *con, const char *url, const char *method,
				  const char *version, const char *data, size_t *size, void **state)
{
	struct session *s = cls;
	struct pending *p = *state;

	(void)version;
	if (!p) {
		if (!(p = calloc(1, sizeof *p)))
			return MHD_NO;
		*state = p;
		return MHD_YES;
	}
	if (*size) {
		char *grown;

		if (p->len + *size > PROXY_BODY_MAX || !(grown = realloc(p->data, p->len + *size + 1)))
			p->overflow = 1;
		else {
			p->data = grown;
			memcpy(p->data + p->len, data, *size);
			p->len += *size;
			p->data[p->len] = '\0';
		}
		*size = 0;
		return MHD_YES;
	}
	if (!from_this_machine(con)) {
		static const char msg[] = "only this machine may use the proxy: Host and Origin must be 127.0.0.1,"
					  " localhost or [::1]\n";

		return reply(con, 403, "text/plain", msg, sizeof msg - 1);
	}
	if (strcmp(url, "/mcp") != 0)
		return reply(con, 404, "text/plain", "the town's MCP endpoint is /mcp\n", 32);
	if (p->overflow)
		return reply(con, 413, "text/plain", "the body is larger than 1 MiB\n", 30);
	return forward(con, s, method, p);
}

static void on_done(void *cls, struct MHD_Connection *con, void **state, enum MHD_RequestTerminationCode why)
{
	struct pending *p = *state;

	(void)cls;
	(void)con;
	(void)why;
	if (p) {
		free(p->data);
		free(p);
		*state = NULL;
	}
}

static struct MHD_Daemon *proxy_start(struct session *s, unsigned port, unsigned *bound)
{
	struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
	struct MHD_Daemon *d;
	const union MHD_DaemonInfo *info;

	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, (uint16_t)port, NULL,
			     NULL, on_request, s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
			     MHD_OPTION_NOTIFY_COMPLETED, on_done, NULL, MHD_OPTION_CONNECTION_TIMEOUT, 300u,
			     MHD_OPTION_END);
	if (!d)
		return NULL;
	info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	*bound = info ? info->port : port;
	return d;
}

/* ---- the configurations a local CLI is given ---------------------------------------------------- */

static cJSON *claude_config(const char *url)
{
	cJSON *c = cJSON_CreateObject(), *g = cJSON_AddObjectToObject(cJSON_AddObjectToObject(c, "mcpServers"), "gastown");

	cJSON_AddStringToObject(g, "type", "http");
	cJSON_AddStringToObject(g, "url", url);
	return c;
}

static cJSON *opencode_config(const char *url)
{
	cJSON *c = cJSON_CreateObject(), *g = cJSON_AddObjectToObject(cJSON_AddObjectToObject(c, "mcp"), "gastown");

	cJSON_AddStringToObject(g, "type", "remote");
	cJSON_AddStringToObject(g, "url", url);
	return c;
}

static void codex_config(const char *url, char *out, size_t len)
{
	snprintf(out, len, "[mcp_servers.gastown]\nurl = \"%s\"\n", url);
}

/* Merge the gastown entry of conf (under key) into the JSON file at path, keeping the rest. */
static int write_json(const char *path, const char *key, const cJSON *conf, char *err, size_t elen)
{
	cJSON *root = NULL, *section;
	FILE *f = fopen(path, "r");
	char *text;
	int rc = -1;

	if (f) {
		char buf[65536];
		size_t n = fread(buf, 1, sizeof buf - 1, f);

		fclose(f);
		buf[n] = '\0';
		if (!(root = cJSON_Parse(buf)) || !cJSON_IsObject(root)) {
			snprintf(err, elen, "%s is not a JSON object: not changed", path);
			cJSON_Delete(root);
			return -1;
		}
	} else {
		root = cJSON_CreateObject();
	}
	if (!(section = cJSON_GetObjectItemCaseSensitive(root, key)) || !cJSON_IsObject(section)) {
		cJSON_DeleteItemFromObjectCaseSensitive(root, key);
		section = cJSON_AddObjectToObject(root, key);
	}
	cJSON_DeleteItemFromObjectCaseSensitive(section, "gastown");
	cJSON_AddItemToObject(section, "gastown",
			      cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(conf, key),
										 "gastown"), 1));
	text = cJSON_Print(root);
	if (text && (f = fopen(path, "w"))) {
		rc = fputs(text, f) < 0 || fputc('\n', f) == EOF ? -1 : 0;
		rc |= fclose(f) ? -1 : 0;
	}
	if (rc < 0)
		snprintf(err, elen, "cannot write %s: %s", path, strerror(errno));
	cJSON_free(text);
	cJSON_Delete(root);
	return rc;
}

/* Codex's config.toml: the [mcp_servers.gastown] table replaced (or added), the rest kept. */
static int write_codex(const char *url, char *path, size_t plen, char *err, size_t elen)
{
	const char *home = getenv("CODEX_HOME"), *user = getenv("HOME");
	char table[4200], *old = NULL, *out;
	size_t n = 0, cap = 0;
	FILE *f;

	if (home && *home)
		snprintf(path, plen, "%s/config.toml", home);
	else if (user && *user) {
		snprintf(path, plen, "%s/.codex", user);
		mkdir(path, 0700);
		snprintf(path, plen, "%s/.codex/config.toml", user);
	} else {
		snprintf(err, elen, "neither CODEX_HOME nor HOME is set");
		return -1;
	}
	codex_config(url, table, sizeof table);
	if ((f = fopen(path, "r"))) {
		ssize_t got = getdelim(&old, &cap, '\0', f);

		fclose(f);
		n = got > 0 ? (size_t)got : 0;
	}
	if (!(out = malloc(n + strlen(table) + 2))) {
		free(old);
		snprintf(err, elen, "out of memory");
		return -1;
	}
	out[0] = '\0';
	/* Copy every line but those of the old [mcp_servers.gastown] table. */
	int skipping = 0;

	for (char *line = old, *next; line && *line; line = next) {
		size_t k;

		next = strchr(line, '\n');
		next = next ? next + 1 : line + strlen(line);
		k = (size_t)(next - line);
		if (line[0] == '[')
			skipping = strncmp(line, "[mcp_servers.gastown]", 21) == 0;
		if (!skipping)
			strncat(out, line, k);
	}
	if (*out && out[strlen(out) - 1] != '\n')
		strcat(out, "\n");
	strcat(out, table);
	free(old);
	if (!(f = fopen(path, "w")) || fputs(out, f) < 0 || fclose(f)) {
		snprintf(err, elen, "cannot write %s: %s", path, strerror(errno));
		free(out);
		return -1;
	}
	free(out);
	return 0;
}

/* ---- the session: join, heartbeats, token refresh, leave -------------------------------------- */

/* base URL and town from a town URL: .../api/towns/<town>[/...] or .../towns/<town>[/...]; else
 * the URL is the server's and the town is --town. */
static int parse_town_url(const char *url, const char *town_opt, char *base, size_t blen, char *town, size_t tlen)
{
	const char *at = strstr(url, "/api/towns/"), *id;
	size_t k;

	id = at ? at + 11 : (at = strstr(url, "/towns/")) ? at + 7 : NULL;
	if (!at) {
		k = strlen(url);
		while (k > 0 && url[k - 1] == '/')
			k--;
		snprintf(base, blen, "%.*s", (int)k, url);
		if (!town_opt)
			return -1;
		snprintf(town, tlen, "%s", town_opt);
		return 0;
	}
	snprintf(base, blen, "%.*s", (int)(at - url), url);
	k = strcspn(id, "/?#");
	snprintf(town, tlen, "%.*s", (int)k, id);
	return k ? 0 : -1;
}

static int join(struct session *s, const char *name)
{
	struct http_path p = {0};
	cJSON *body = cJSON_CreateObject(), *res = NULL;
	const cJSON *d;
	char *text, err[512] = "";
	int status;

	cJSON_AddStringToObject(body, "name", name);
	text = cJSON_PrintUnformatted(body);
	cJSON_Delete(body);
	http_path_lit(&p, "/api/towns/");
	http_path_seg(&p, s->town);
	http_path_lit(&p, "/crew");
	status = http_call(&s->member, "POST", p.s, text, &res, err, sizeof err);
	cJSON_free(text);
	if (status != 200 && status != 201) {
		cli_fail(&s->member, status, res, err);
		cJSON_Delete(res);
		return -1;
	}
	d = cJSON_GetObjectItemCaseSensitive(res, "data");
	snprintf(s->id, sizeof s->id, "%s",
		 cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(d, "agent"), "id")));
	snprintf(s->agent.token, sizeof s->agent.token, "%s", cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(d, "token")));
	s->expires_ms = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(d, "expires_ms"));
	snprintf(s->upstream, sizeof s->upstream, "%s%s", s->member.url,
		 cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(d, "mcp_path")));
	cJSON_Delete(res);
	return 0;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

/* One agent call of the session ("heartbeat", "token/refresh"); the status, 0 when unreachable. */
static int agent_call(struct session *s, const char *what, const char *body, cJSON **res, char *err, size_t elen)
{
	struct http_path p = {0};
	struct cli c;

	http_path_lit(&p, "/api/towns/");
	http_path_seg(&p, s->town);
	http_path_lit(&p, "/agents/");
	http_path_seg(&p, s->id);
	http_path_lit(&p, "/");
	http_path_lit(&p, what);
	pthread_mutex_lock(&s->lock);
	c = s->agent;
	pthread_mutex_unlock(&s->lock);
	return http_call(&c, "POST", p.s, body, res, err, elen);
}

/* A heartbeat, and a new token when this one ends within five minutes. -1 when the town refused
 * the agent (revoked, disconnected elsewhere): the session is over. */
static int keep_alive(struct session *s)
{
	cJSON *res = NULL;
	char err[512] = "";
	int status = agent_call(s, "heartbeat", "{}", &res, err, sizeof err);

	if (status == 401) {
		cli_fail(&s->agent, status, res, err);
		cJSON_Delete(res);
		return -1;
	}
	if (status == 0)
		fprintf(stderr, "gt connect: %s (trying again)\n", err);
	cJSON_Delete(res);
	res = NULL;
	if (s->expires_ms - now_ms() > REFRESH_BEFORE_MS)
		return 0;
	status = agent_call(s, "token/refresh", NULL, &res, err, sizeof err);
	if (status == 200 || status == 201) {
		const cJSON *d = cJSON_GetObjectItemCaseSensitive(res, "data");
		const char *t = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(d, "token"));

		if (t) {
			pthread_mutex_lock(&s->lock);
			snprintf(s->agent.token, sizeof s->agent.token, "%s", t);
			s->expires_ms = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(d, "expires_ms"));
			pthread_mutex_unlock(&s->lock);
		}
	} else if (status == 401) {
		cli_fail(&s->agent, status, res, err);
		cJSON_Delete(res);
		return -1;
	}
	cJSON_Delete(res);
	return 0;
}

static int leave(struct cli *member, const char *town, const char *id)
{
	struct http_path p = {0};
	cJSON *res = NULL;
	char err[512] = "";
	int status;

	http_path_lit(&p, "/api/towns/");
	http_path_seg(&p, town);
	http_path_lit(&p, "/crew/");
	http_path_seg(&p, id);
	status = http_call(member, "DELETE", p.s, NULL, &res, err, sizeof err);
	if (status != 200) {
		cli_fail(member, status, res, err);
		cJSON_Delete(res);
		return 1;
	}
	cJSON_Delete(res);
	return 0;
}

static void print_connected(const struct session *s, const char *name, const char *local, const char *written,
			    int json)
{
	cJSON *claude = claude_config(local), *opencode = opencode_config(local);
	char codex[4200], *a, *b;

	codex_config(local, codex, sizeof codex);
	if (json) {
		cJSON *o = cJSON_CreateObject(), *cf;
		char *text;

		cJSON_AddStringToObject(o, "town", s->town);
		cJSON_AddStringToObject(o, "agent", s->id);
		cJSON_AddStringToObject(o, "name", name);
		cJSON_AddStringToObject(o, "mcp_url", local);
		cJSON_AddStringToObject(o, "upstream", s->upstream);
		cf = cJSON_AddObjectToObject(o, "configs");
		cJSON_AddItemToObject(cf, "claude", cJSON_Duplicate(claude, 1));
		cJSON_AddItemToObject(cf, "opencode", cJSON_Duplicate(opencode, 1));
		cJSON_AddStringToObject(cf, "codex", codex);
		if (written)
			cJSON_AddStringToObject(o, "written", written);
		text = cJSON_PrintUnformatted(o);
		printf("%s\n", text ? text : "{}");
		cJSON_free(text);
		cJSON_Delete(o);
	} else {
		a = cJSON_Print(claude);
		b = cJSON_Print(opencode);
		printf("Connected to town %s as crew agent %s (%s).\n"
		       "The town's MCP server for your coding CLI: %s (this process forwards it with the agent's\n"
		       "token; keep it running).\n\n"
		       "Claude Code (.mcp.json):\n%s\n\nCodex (~/.codex/config.toml):\n%s\nopencode (opencode.json):\n%s\n\n",
		       s->town, s->id, name, local, a ? a : "", codex, b ? b : "");
		if (written)
			printf("Written to %s.\n", written);
		printf("Heartbeats every %d s; Ctrl-C disconnects.\n", HEARTBEAT_S);
		cJSON_free(a);
		cJSON_free(b);
	}
	fflush(stdout);
	cJSON_Delete(claude);
	cJSON_Delete(opencode);
}

int cmd_connect(struct cli *cli, int argc, char **argv)
{
	static const struct usage u = {
		"connect", "connect TOWN_URL [--name NAME] [--port PORT] [--write claude|codex|opencode] [--once]",
		"Join the town as a crew agent of yours: this machine, with the coding CLI you run here. TOWN_URL\n"
		"is the town's address (https://host/api/towns/TOWN, or the server's with --town). Prints the\n"
		"MCP configuration for Claude Code, Codex and opencode, which names a loopback address this\n"
		"process serves and forwards to the town with the agent's token; then sends heartbeats until\n"
		"Ctrl-C, which disconnects. Work reaches the agent on its hook (gt sling is for rigs).\n"
		"  --name NAME   the machine's name in the town (default: the host name)\n"
		"  --port PORT   the loopback port to serve the MCP endpoint on (default 8791; 0: any free one)\n"
		"  --write CLI   also write the configuration: claude (./.mcp.json), opencode (./opencode.json),\n"
		"                codex ($CODEX_HOME/config.toml, default ~/.codex/config.toml)\n"
		"  --once        join, print, send one heartbeat and exit, connected (no endpoint is served)\n"};
	static const struct option longopts[] = {
		{"name", required_argument, 0, 0x101}, {"port", required_argument, 0, 0x102},
		{"write", required_argument, 0, 0x103}, {"once", no_argument, 0, 0x104}, {0, 0, 0, 0}};
	struct session s;
	struct opt o;
	const char *name = NULL, *write = NULL;
	char host[256] = "", base[2048], local[128], written[1200] = "", err[512] = "";
	long port = DEFAULT_PORT;
	unsigned bound = 0;
	int once = 0, c, rc = 0;
	struct MHD_Daemon *d = NULL;
	sigset_t sigs;

	opt_init(&o, cli, &u, NULL, longopts, argc, argv);
	while ((c = opt_next(&o)) != -1) {
		if (c == OPT_HELP || c == OPT_BAD)
			return OPT_EXIT(c);
		if (c == 0x101)
			name = optarg;
		else if (c == 0x102 && opt_long(&u, "--port", optarg, 0, 65535, &port) < 0)
			return 2;
		else if (c == 0x103)
			write = optarg;
		else if (c == 0x104)
			once = 1;
	}
	if (opt_operands(&o, 1, 1) < 0)
		return 2;
	if (write && strcmp(write, "claude") && strcmp(write, "codex") && strcmp(write, "opencode"))
		return opt_fail(&u, "--write is claude, codex or opencode");
	if (!name) {
		gethostname(host, sizeof host - 1);
		name = *host ? host : "crew";
	}
	memset(&s, 0, sizeof s);
	if (parse_town_url(o.pos[0], cli->town, base, sizeof base, s.town, sizeof s.town) < 0)
		return opt_fail(&u, "which town? give https://host/api/towns/TOWN, or --town");
	if (opt_id(&u, "town", s.town) < 0)
		return 2;
	if (cli->as_agent)
		return opt_fail(&u, "this is a member's command: unset GASTOWN_AGENT_TOKEN_FILE");
	s.member = *cli;
	s.member.url = base;
	s.agent = s.member;
	s.agent.as_agent = 1;
	pthread_mutex_init(&s.lock, NULL);
	/* Block the signals before any thread starts, so that only sigtimedwait sees them. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	if (join(&s, name) < 0) {
		rc = 1;
		goto out;
	}
	if (!once && !(d = proxy_start(&s, (unsigned)port, &bound))) {
		fprintf(stderr, "gt connect: cannot serve the MCP endpoint on 127.0.0.1:%ld (in use? try --port)\n", port);
		leave(&s.member, s.town, s.id);
		rc = 1;
		goto out;
	}
	snprintf(local, sizeof local, "http://127.0.0.1:%u/mcp", once ? (unsigned)port : bound);
	if (write) {
		cJSON *conf = strcmp(write, "claude") == 0 ? claude_config(local) : opencode_config(local);
		int w = strcmp(write, "codex") == 0 ? write_codex(local, written, sizeof written, err, sizeof err)
			: write_json(strcmp(write, "claude") == 0 ? ".mcp.json" : "opencode.json",
				     strcmp(write, "claude") == 0 ? "mcpServers" : "mcp", conf, err, sizeof err);

		if (strcmp(write, "codex") != 0)
			snprintf(written, sizeof written, "%s", strcmp(write, "claude") == 0 ? ".mcp.json" : "opencode.json");
		cJSON_Delete(conf);
		if (w < 0) {
			fprintf(stderr, "gt connect: %s\n", err);
			written[0] = '\0';
		}
	}
	print_connected(&s, name, local, *written ? written : NULL, cli->json);
	if (keep_alive(&s) < 0 || once) {
		rc = once ? 0 : 1;
		goto out;
	}
	for (;;) {
		struct timespec wait = {.tv_sec = HEARTBEAT_S};
		int sig = sigtimedwait(&sigs, NULL, &wait);

		if (sig == SIGINT || sig == SIGTERM) {
			rc = leave(&s.member, s.town, s.id);
			if (!cli->json)
				printf("Disconnected %s.\n", s.id);
			break;
		}
		if (keep_alive(&s) < 0) {
			rc = 1;
			break;
		}
	}
out:
	if (d)
		MHD_stop_daemon(d);
	pthread_mutex_destroy(&s.lock);
	return rc;
}

int cmd_disconnect(struct cli *cli, int argc, char **argv)
{
	static const struct usage u = {"disconnect", "disconnect AGENT",
				       "Take a crew agent of yours offline (an admin may take anyone's): its tokens stop\n"
				       "working; what is on its hook goes back to the pool after the town's lost_after_s.\n"};
	struct opt o;
	int rc;

	if ((rc = opt_plain(&o, cli, &u, 1, 1, argc, argv)) >= 0)
		return rc;
	if (cli_need_town(cli) < 0 || opt_id(&u, "agent", o.pos[0]) < 0)
		return 2;
	rc = leave(cli, cli->town, o.pos[0]);
	if (rc == 0 && !cli->json)
		printf("Disconnected %s.\n", o.pos[0]);
	return rc;
}
