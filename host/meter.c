/*
 * meter.c - the metering proxy (docs/container-protocol.md, "Usage metering"): one loopback
 * listener, a second libmicrohttpd daemon in external epoll mode like server.c's, that forwards an
 * agent's model calls under /m/<run key>/{openai,anthropic}/... to the town's gateway with the real
 * key, streams each answer back as it arrives, and turns the usage in it into a record for the
 * town. The upstream calls run on libcurl's multi interface, driven by the host's loop through an
 * epoll set of curl's sockets, so no call ever blocks the loop. Reading usage is usage.c's; this
 * file moves bytes and owns the runs (keys and their records).
 *
 * A call's life: the body is gathered, the upstream call starts and the client's connection is
 * suspended; once the upstream's headers are in, the connection is resumed and answered with a
 * response whose reader hands out what the upstream sent so far, suspending the connection again
 * when there is nothing yet. At most METER_BUF_MAX bytes wait for a slow client: then curl pauses.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include <curl/curl.h>
#include <microhttpd.h>

#include "host.h"

#define METER_BODY_MAX (32u << 20)     /* a request body */
#define METER_BUF_MAX (256u << 10)     /* answer bytes held for a slow client */
#define METER_JSON_MAX (8u << 20)      /* a JSON answer kept whole to read its usage */
#define METER_HEADERS_MAX (64u << 10)  /* the upstream's answer headers */
#define METER_RECORDS_PER_CALL 100
#define METER_CONNECTIONS 128
#define METER_KEY_HEX 32
#define METER_URL_MAX 4096
#define METER_EVENTS 64                /* curl socket events handled per turn */
#define METER_ORPHAN_MS (120 * 1000)   /* a call its client left is read this long for its usage */

struct meter_run {
	struct meter_run *next;            /* in meter.runs while live */
	int refs;                          /* the agent's, and one per call in flight */
	int live;
	char key[METER_KEY_HEX + 1];
	char town[HOST_ID_MAX + 1], agent[HOST_ID_MAX + 1], bead[HOST_ID_MAX + 1];
	char *base_url, *api_key;          /* base_url without trailing '/' */
	char token[HOST_TOKEN_MAX];
	char work[HOST_PATH_MAX];          /* the agent's worktree, "" when not known: gt_done's diff */
	char base[HOST_BRANCH_MAX + 1];    /* the rig's default branch the diff is measured against */
	char *gates;                       /* the persona's gates, one a line; NULL: none */
	uint64_t seq;                      /* records made so far: ids are <key>-1, <key>-2, ... */
	cJSON *records;                    /* waiting to be queued */
	int nrecords;
	int64_t flush_at;                  /* mono; 0 when nothing waits */
};

enum proxy_state {
	P_NEW,      /* headers read: route and key not checked yet */
	P_BODY,     /* gathering the body */
	P_GATES,    /* a gt_done waits (suspended) on the persona's gates */
	P_UPSTREAM, /* the upstream call runs; the connection waits (suspended) for its headers */
	P_ANSWER,   /* a response is queued */
};

struct meter_proxy {
	struct meter_proxy *next, *prev;   /* in meter.proxies */
	struct meter *m;
	struct MHD_Connection *conn;
	struct meter_run *run;             /* a reference, once the key is known */
	enum usage_api api;
	int mcp;                           /* to the town's MCP endpoint: no usage, the agent's token */
	struct gate_run gates;             /* P_GATES: the gates of a gt_done */
	int gated;                         /* they passed: forward it */
	enum proxy_state state;
	char *uri;                         /* the request's path and query, as sent */
	const char *rest;                  /* into uri: what follows /m/<key>/<api> */
	char method[16];
	char *body;
	size_t len, cap;
	int too_large;
	char model[USAGE_MODEL_MAX + 1];   /* the request's, when the answer names none */

	CURL *easy;
	struct curl_slist *req_headers;
	char error[CURL_ERROR_SIZE];
	int status;                        /* the upstream's; 0 until its status line */
	struct curl_slist *resp_headers;
	size_t resp_headers_bytes;
	int headers_done, done, failed;    /* failed: the upstream call did not complete */
	int paused;                        /* curl is paused: the client is slow */
	int suspended;                     /* the connection is suspended: waits on upstream */
	int64_t orphan_until;              /* mono; set when the client left: conn is gone */

	char *out;                         /* bytes for the client: out[off, off + len) */
	size_t out_off, out_len, out_cap;

	int sse;                           /* the answer is an event stream */
	struct usage_sse events;
	char *json;                        /* else: the answer kept for its usage */
	size_t json_len, json_cap;
	int json_over;
};

/* ---- runs ---------------------------------------------------------------------------------- */

static void run_flush(struct meter *m, struct meter_run *r)
{
	cJSON *body;

	if (!r->nrecords)
		return;
	body = cJSON_CreateObject();
	cJSON_AddItemToObject(body, "records", r->records);
	/* Not droppable: this is what the human is charged. */
	town_queue(m->town, r->town, r->agent, "usage", r->token, cJSON_PrintUnformatted(body), 0);
	cJSON_Delete(body);
	r->records = NULL;
	r->nrecords = 0;
	r->flush_at = 0;
}

static void run_unref(struct meter *m, struct meter_run *r)
{
	if (!r || --r->refs > 0)
		return;
	run_flush(m, r);
	if (r->api_key) {
		explicit_bzero(r->api_key, strlen(r->api_key));
		free(r->api_key);
	}
	free(r->base_url);
	free(r->gates);
	explicit_bzero(r->token, sizeof r->token);
	free(r);
}

/* Queue a record; a run that has ended has no flush timer, so its records go at once. */
static void run_record(struct meter *m, struct meter_run *r, cJSON *rec)
{
	if (!r->records)
		r->records = cJSON_CreateArray();
	cJSON_AddItemToArray(r->records, rec);
	if (++r->nrecords == 1)
		r->flush_at = mono_ms() + HOST_FLUSH_MS;
	if (r->nrecords >= METER_RECORDS_PER_CALL || !r->live)
		run_flush(m, r);
}

static int random_key(char key[METER_KEY_HEX + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char raw[METER_KEY_HEX / 2];
	size_t got = 0;

	while (got < sizeof raw) {
		ssize_t n = getrandom(raw + got, sizeof raw - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	for (size_t i = 0; i < sizeof raw; i++) {
		key[2 * i] = hex[raw[i] >> 4];
		key[2 * i + 1] = hex[raw[i] & 15];
	}
	key[METER_KEY_HEX] = '\0';
	explicit_bzero(raw, sizeof raw);
	return 0;
}

struct meter_run *meter_run_new(struct meter *m, const char *town, const char *agent, const char *bead,
				const char *base_url, const char *api_key, const char *token)
{
	struct meter_run *r = calloc(1, sizeof *r);
	size_t len;

	if (!r)
		return NULL;
	r->refs = 1;
	r->base_url = base_url ? strdup(base_url) : NULL;
	r->api_key = api_key ? strdup(api_key) : NULL;
	if ((base_url && !r->base_url) || (api_key && !r->api_key) || random_key(r->key) < 0) {
		run_unref(m, r);
		return NULL;
	}
	len = r->base_url ? strlen(r->base_url) : 0;
	while (len > 0 && r->base_url[len - 1] == '/')
		r->base_url[--len] = '\0';
	snprintf(r->town, sizeof r->town, "%s", town);
	snprintf(r->agent, sizeof r->agent, "%s", agent);
	snprintf(r->bead, sizeof r->bead, "%s", bead);
	meter_run_token(r, token);
	r->live = 1;
	r->next = m->runs;
	m->runs = r;
	return r;
}

void meter_run_token(struct meter_run *r, const char *token)
{
	snprintf(r->token, sizeof r->token, "%s", token);
}

void meter_run_worktree(struct meter_run *r, const char *work, const char *base)
{
	snprintf(r->work, sizeof r->work, "%s", work);
	snprintf(r->base, sizeof r->base, "%s", base);
}

int meter_run_gates(struct meter_run *r, const cJSON *gates)
{
	size_t n = 0, len = 1;
	const cJSON *g;

	cJSON_ArrayForEach(g, gates)
		if (cJSON_IsString(g))
			len += strlen(g->valuestring) + 1;
	free(r->gates);
	if (!(r->gates = malloc(len)))
		return -1;
	r->gates[0] = '\0';
	cJSON_ArrayForEach(g, gates)
		if (cJSON_IsString(g))
			n += (size_t)snprintf(r->gates + n, len - n, "%s%s", n ? "\n" : "", g->valuestring);
	return 0;
}

static int is_str(const cJSON *v, const char *want)
{
	return cJSON_IsString(v) && strcmp(v->valuestring, want) == 0;
}

/* The JSON-RPC message is a call of the gt_done tool. */
static int is_done_call(const cJSON *rpc)
{
	const cJSON *params = cJSON_GetObjectItemCaseSensitive(rpc, "params");

	return cJSON_IsObject(rpc) && is_str(cJSON_GetObjectItemCaseSensitive(rpc, "method"), "tools/call") &&
	       is_str(cJSON_GetObjectItemCaseSensitive(params, "name"), "gt_done");
}

/* A CLI reports done through the town's MCP tool gt_done, which gt done's diff never sees: the
 * host adds what the branch changed to the call's arguments (when the agent gave none), as gt done
 * does for a scripted agent. Returns a new body (cJSON's, malloc'd) or NULL to send it as it is.
 * NEEDSWORK: git runs in the host's loop, as the town calls do. */
static char *mcp_done_diff(const struct meter_run *r, const char *body, size_t len)
{
	cJSON *rpc, *params, *args, *diff;
	char ref[HOST_BRANCH_MAX + 16];
	char *out = NULL;

	if (!r->work[0] || !r->base[0] || !len || !(rpc = cJSON_ParseWithLength(body, len)))
		return NULL;
	params = cJSON_GetObjectItemCaseSensitive(rpc, "params");
	args = cJSON_GetObjectItemCaseSensitive(params, "arguments");
	if (is_done_call(rpc) && cJSON_IsObject(args) && !cJSON_GetObjectItemCaseSensitive(args, "diff")) {
		snprintf(ref, sizeof ref, "origin/%s", r->base);
		if ((diff = diffstat_report(git_run, r->work, ref, "HEAD"))) {
			cJSON_AddItemToObject(args, "diff", diff);
			out = cJSON_PrintUnformatted(rpc);
		}
	}
	cJSON_Delete(rpc);
	return out;
}

int meter_run_url(const struct meter *m, const struct meter_run *r, char *out, size_t len)
{
	const char *host = strcmp(m->host, "0.0.0.0") == 0 ? "127.0.0.1" : m->host;

	return (size_t)snprintf(out, len, "http://%s:%u/m/%s", host, m->port, r->key) >= len ? -1 : 0;
}

int meter_env(const struct meter *m, const struct meter_run *r, struct strv *env)
{
	/* Agents run here: a listener on every address is still reached on loopback. */
	const char *host = strcmp(m->host, "0.0.0.0") == 0 ? "127.0.0.1" : m->host;
	int rc = 0;

	rc |= strv_pushf(env, "OPENAI_BASE_URL=http://%s:%u/m/%s/openai/v1", host, m->port, r->key);
	rc |= strv_pushf(env, "ANTHROPIC_BASE_URL=http://%s:%u/m/%s/anthropic", host, m->port, r->key);
	rc |= strv_pushf(env, "OPENAI_API_KEY=%s", r->key);
	rc |= strv_pushf(env, "ANTHROPIC_API_KEY=%s", r->key);
	return rc ? -1 : 0;
}

void meter_run_end(struct meter *m, struct meter_run *r)
{
	if (!r)
		return;
	for (struct meter_run **p = &m->runs; *p; p = &(*p)->next) {
		if (*p == r) {
			*p = r->next;
			break;
		}
	}
	r->next = NULL;
	r->live = 0;
	run_flush(m, r);
	run_unref(m, r);
}

/* The live run with this key (compared in constant time), or NULL. */
static struct meter_run *run_find(struct meter *m, const char *key)
{
	struct meter_run *found = NULL;

	for (struct meter_run *r = m->runs; r; r = r->next) {
		unsigned char diff = 0;
		for (size_t i = 0; i < METER_KEY_HEX; i++)
			diff |= (unsigned char)(r->key[i] ^ key[i]);
		if (!diff)
			found = r;
	}
	return found;
}

/* ---- answers of our own -------------------------------------------------------------------- */

static enum MHD_Result respond_error(struct meter_proxy *p, int status, const char *code, const char *msg)
{
	cJSON *env = cJSON_CreateObject(), *err = cJSON_AddObjectToObject(env, "error");
	struct MHD_Response *resp;
	enum MHD_Result ret;
	char *text;

	cJSON_AddStringToObject(err, "code", code);
	cJSON_AddStringToObject(err, "message", msg);
	text = cJSON_PrintUnformatted(env);
	cJSON_Delete(env);
	p->state = P_ANSWER;
	if (!text)
		return MHD_NO;
	resp = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		cJSON_free(text);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "content-type", "application/json");
	ret = MHD_queue_response(p->conn, (unsigned)status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* ---- a call's life ------------------------------------------------------------------------- */

static void wake(struct meter_proxy *p)
{
	if (p->suspended && p->conn) {
		p->suspended = 0;
		MHD_resume_connection(p->conn);
	}
}

static void proxy_free(struct meter *m, struct meter_proxy *p)
{
	if (p->easy) {
		curl_multi_remove_handle(m->multi, p->easy); /* harmless when already removed */
		curl_easy_cleanup(p->easy);
	}
	curl_slist_free_all(p->req_headers);
	curl_slist_free_all(p->resp_headers);
	usage_sse_release(&p->events);
	gates_end(&p->gates);
	run_unref(m, p->run);
	if (p->prev)
		p->prev->next = p->next;
	else
		m->proxies = p->next;
	if (p->next)
		p->next->prev = p->prev;
	m->nproxies--;
	free(p->uri);
	free(p->body);
	free(p->out);
	free(p->json);
	free(p);
}

/* Append to a buffer of ours, growing it; -1 when out of memory. */
static int buf_append(char **buf, size_t *len, size_t *cap, const char *data, size_t n)
{
	if (*len + n > *cap) {
		size_t grown = *cap ? *cap : 16384;
		char *q;
		while (grown < *len + n)
			grown *= 2;
		q = realloc(*buf, grown);
		if (!q)
			return -1;
		*buf = q;
		*cap = grown;
	}
	memcpy(*buf + *len, data, n);
	*len += n;
	return 0;
}

/* curl: the upstream's answer headers, one line at a time (trailers and 1xx answers included). */
static size_t on_header(char *data, size_t size, size_t nmemb, void *userdata)
{
	struct meter_proxy *p = userdata;
	size_t n = size * nmemb, len = n;
	char line[8192];

	if (p->headers_done)
		return n; /* trailers: not passed on */
	if (n >= 5 && memcmp(data, "HTTP/", 5) == 0) {
		const char *sp = memchr(data, ' ', n);
		size_t i = sp ? (size_t)(sp - data) + 1 : n;
		/* A new answer (after a 1xx): what came before does not count. */
		p->status = 0;
		for (int digits = 0; i < n && digits < 3 && data[i] >= '0' && data[i] <= '9'; i++, digits++)
			p->status = p->status * 10 + (data[i] - '0');
		p->sse = 0;
		curl_slist_free_all(p->resp_headers);
		p->resp_headers = NULL;
		p->resp_headers_bytes = 0;
		return n;
	}
	while (len > 0 && (data[len - 1] == '\n' || data[len - 1] == '\r'))
		len--;
	if (len == 0) {
		if (p->status >= 200) {
			p->headers_done = 1;
			wake(p);
		}
		return n;
	}
	if (len >= sizeof line || p->resp_headers_bytes + len > METER_HEADERS_MAX)
		return n; /* not passed on: no answer we forward needs such headers */
	memcpy(line, data, len);
	line[len] = '\0';
	if (strncasecmp(line, "content-type:", 13) == 0) {
		const char *v = line + 13;
		while (*v == ' ' || *v == '\t')
			v++;
		p->sse = strncasecmp(v, "text/event-stream", 17) == 0;
	}
	{
		struct curl_slist *l = curl_slist_append(p->resp_headers, line);
		if (!l)
			return 0; /* out of memory: the call fails */
		p->resp_headers = l;
	}
	p->resp_headers_bytes += len;
	return n;
}

/* curl: the upstream's answer body. Kept for the client (pausing when it holds enough already)
 * and read for its usage. */
static size_t on_body(char *data, size_t size, size_t nmemb, void *userdata)
{
	struct meter_proxy *p = userdata;
	size_t n = size * nmemb;

	if (p->orphan_until)
		goto read_usage; /* nobody to hand the bytes to */
	if (p->out_len && p->out_len + n > METER_BUF_MAX) {
		p->paused = 1;
		return CURL_WRITEFUNC_PAUSE; /* curl keeps these bytes and gives them again */
	}
	if (p->out_off && p->out_off + p->out_len + n > p->out_cap) {
		memmove(p->out, p->out + p->out_off, p->out_len);
		p->out_off = 0;
	}
	{
		size_t end = p->out_off + p->out_len;
		if (buf_append(&p->out, &end, &p->out_cap, data, n) < 0)
			return 0;
		p->out_len += n;
	}
read_usage:
	if (p->sse) {
		usage_sse_feed(&p->events, data, n);
	} else if (!p->json_over) {
		if (p->json_len + n > METER_JSON_MAX || buf_append(&p->json, &p->json_len, &p->json_cap, data, n) < 0)
			p->json_over = 1; /* too big to read its usage: no record, but the client still gets it */
	}
	wake(p);
	return n;
}

/* MHD: the next bytes of the answer for the client. */
static ssize_t on_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct meter_proxy *p = cls;
	size_t n;

	(void)pos;
	if (p->out_len) {
		n = p->out_len < max ? p->out_len : max;
		memcpy(buf, p->out + p->out_off, n);
		p->out_off += n;
		p->out_len -= n;
		if (!p->out_len)
			p->out_off = 0;
		if (p->paused && !p->done && p->out_len + CURL_MAX_WRITE_SIZE <= METER_BUF_MAX) {
			p->paused = 0;
			curl_easy_pause(p->easy, CURLPAUSE_CONT); /* may call on_body at once */
		}
		return (ssize_t)n;
	}
	if (p->done)
		return p->failed ? MHD_CONTENT_READER_END_WITH_ERROR : MHD_CONTENT_READER_END_OF_STREAM;
	/* Nothing yet: wait for the upstream (on_body, or the end of the call, resumes). */
	p->suspended = 1;
	MHD_suspend_connection(p->conn);
	return 0;
}

/* Hop-by-hop headers, and those the proxy sets itself: not forwarded either way. */
static int hop_header(const char *name)
{
	static const char *const hop[] = {"connection", "keep-alive", "proxy-connection", "proxy-authenticate",
					  "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade",
					  "content-length", "host", "expect", "date"};

	for (size_t i = 0; i < sizeof hop / sizeof hop[0]; i++)
		if (strcasecmp(name, hop[i]) == 0)
			return 1;
	return 0;
}

/* The upstream's headers are in: answer the client with them and stream the body. */
static enum MHD_Result answer(struct meter_proxy *p)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	if (!p->headers_done) {
		char msg[CURL_ERROR_SIZE + 64];
		snprintf(msg, sizeof msg, "the model gateway could not be reached: %s",
			 p->error[0] ? p->error : "no answer");
		return respond_error(p, 502, "bad_gateway", msg);
	}
	resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16 * 1024, on_read, p, NULL);
	if (!resp)
		return MHD_NO;
	for (const struct curl_slist *l = p->resp_headers; l; l = l->next) {
		char *colon = strchr(l->data, ':');
		const char *v;
		if (!colon)
			continue;
		*colon = '\0';
		for (v = colon + 1; *v == ' ' || *v == '\t'; v++)
			;
		if (!hop_header(l->data))
			MHD_add_response_header(resp, l->data, v);
		*colon = ':';
	}
	p->state = P_ANSWER;
	ret = MHD_queue_response(p->conn, (unsigned)(p->status >= 100 && p->status <= 999 ? p->status : 502), resp);
	MHD_destroy_response(resp);
	return ret;
}

/* The client's headers, less its credentials (the run key), hop-by-hop ones and encodings. */
static enum MHD_Result add_header(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct meter_proxy *p = cls;
	struct curl_slist *l;
	char line[16384];

	(void)kind;
	if (!key || hop_header(key) || strcasecmp(key, "authorization") == 0 ||
	    strcasecmp(key, "x-api-key") == 0 || strcasecmp(key, "accept-encoding") == 0)
		return MHD_YES;
	/* "name;" is how curl sends a header with an empty value. */
	if ((size_t)snprintf(line, sizeof line, value && *value ? "%s: %s" : "%s;", key, value ? value : "") >=
	    sizeof line)
		return MHD_YES;
	l = curl_slist_append(p->req_headers, line);
	if (l)
		p->req_headers = l;
	return MHD_YES;
}

static int has_header(const struct curl_slist *l, const char *name)
{
	size_t n = strlen(name);

	for (; l; l = l->next)
		if (strncasecmp(l->data, name, n) == 0 && (l->data[n] == ':' || l->data[n] == ';'))
			return 1;
	return 0;
}

/* Set up the upstream call for p and start it. 0, or -1 with nothing started. */
static int upstream_start(struct meter *m, struct meter_proxy *p)
{
	struct meter_run *r = p->run;
	char url[METER_URL_MAX], auth[HOST_TOKEN_MAX + 32], path[METER_URL_MAX];
	char *changed = NULL;
	size_t plen = strcspn(p->rest, "?");
	CURL *e;

	if (p->mcp) {
		if ((size_t)snprintf(url, sizeof url, "%s/api/towns/%s/mcp%s", m->town->base, r->town, p->rest) >= sizeof url)
			return -1;
	} else if ((size_t)snprintf(url, sizeof url, "%s%s", r->base_url, p->rest) >= sizeof url || plen >= sizeof path) {
		return -1;
	}
	memcpy(path, p->rest, plen < sizeof path ? plen : 0);
	path[plen < sizeof path ? plen : 0] = '\0';
	if (p->mcp && strcmp(p->method, "POST") == 0 && (changed = mcp_done_diff(r, p->body, p->len))) {
		free(p->body);
		p->body = changed;
		p->len = p->cap = strlen(changed);
	} else if (!p->mcp && usage_request(p->api, p->method, path, p->body ? p->body : "", p->len, &changed, p->model,
				     sizeof p->model)) {
		free(p->body);
		p->body = changed; /* from cJSON, which allocates with malloc */
		p->len = p->cap = strlen(changed);
	}
	MHD_get_connection_values(p->conn, MHD_HEADER_KIND, add_header, p);
	/* The CLI holds no token of the town's: the agent's current one goes with each MCP call. */
	if (p->mcp)
		snprintf(auth, sizeof auth, "authorization: Bearer %s", r->token);
	else if (!r->api_key) /* a gateway without a key: "name:" sends no such header */
		snprintf(auth, sizeof auth, "%s", p->api == USAGE_OPENAI ? "authorization:" : "x-api-key:");
	else if (p->api == USAGE_OPENAI)
		snprintf(auth, sizeof auth, "authorization: Bearer %s", r->api_key);
	else
		snprintf(auth, sizeof auth, "x-api-key: %s", r->api_key);
	/* Plain bytes from the upstream, so the usage can be read in them. */
	p->req_headers = curl_slist_append(p->req_headers, "accept-encoding: identity");
	if (p->req_headers && !has_header(p->req_headers, "content-type"))
		p->req_headers = curl_slist_append(p->req_headers, "content-type:");
	if (p->req_headers)
		p->req_headers = curl_slist_append(p->req_headers, "expect:");
	if (p->req_headers)
		p->req_headers = curl_slist_append(p->req_headers, auth);
	explicit_bzero(auth, sizeof auth);
	if (!p->req_headers)
		return -1;
	p->easy = e = curl_easy_init();
	if (!e)
		return -1;
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_PRIVATE, p);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, p->req_headers);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, p);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, p);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, p->error);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_PATH_AS_IS, 1L);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
	/* A model may think for minutes before its first byte; ten without one is a dead call. */
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, 600L);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	if (strcmp(p->method, "GET") == 0) {
		curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
	} else if (strcmp(p->method, "HEAD") == 0) {
		curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
	} else {
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)p->len);
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, p->body ? p->body : "");
		if (strcmp(p->method, "POST") != 0)
			curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, p->method);
	}
	usage_sse_init(&p->events, p->api);
	if (curl_multi_add_handle(m->multi, e) != CURLM_OK) {
		curl_easy_cleanup(e);
		p->easy = NULL;
		return -1;
	}
	return 0;
}

/* The usage the answer held, as a record of the run. */
static void record_usage(struct meter *m, struct meter_proxy *p)
{
	struct usage u;
	cJSON *rec;
	char id[METER_KEY_HEX + 32];

	if (p->mcp || !p->headers_done || p->status < 200 || p->status > 299)
		return;
	if (p->sse)
		usage_sse_end(&p->events, &u);
	else if (!p->json_over && p->json_len)
		usage_from_json(p->api, p->json, p->json_len, &u);
	else
		usage_init(&u);
	if (!u.found)
		return;
	snprintf(id, sizeof id, "%s-%llu", p->run->key, (unsigned long long)++p->run->seq);
	rec = cJSON_CreateObject();
	cJSON_AddStringToObject(rec, "id", id);
	cJSON_AddStringToObject(rec, "bead", p->run->bead);
	if (u.model[0] || p->model[0])
		cJSON_AddStringToObject(rec, "model", u.model[0] ? u.model : p->model);
	else
		cJSON_AddNullToObject(rec, "model");
	cJSON_AddNumberToObject(rec, "input_tokens", (double)u.input);
	cJSON_AddNumberToObject(rec, "output_tokens", (double)u.output);
	cJSON_AddNumberToObject(rec, "cache_read_tokens", (double)u.cache_read);
	cJSON_AddNumberToObject(rec, "cache_write_tokens", (double)u.cache_write);
	if (u.cost_microusd >= 0)
		cJSON_AddNumberToObject(rec, "cost_microusd", (double)u.cost_microusd);
	else
		cJSON_AddNullToObject(rec, "cost_microusd");
	cJSON_AddNumberToObject(rec, "at_ms", (double)wall_ms());
	run_record(m, p->run, rec);
}

/* The call has ended upstream: its usage becomes a record; the client gets the rest. */
static void upstream_done(struct meter *m, struct meter_proxy *p, CURLcode rc)
{
	curl_multi_remove_handle(m->multi, p->easy);
	p->done = 1;
	p->failed = rc != CURLE_OK;
	if (p->failed && !p->error[0])
		snprintf(p->error, sizeof p->error, "%s", curl_easy_strerror(rc));
	if (p->failed)
		host_log("meter: %s %.200s: %s", p->method, p->rest, p->error);
	wake(p);
	record_usage(m, p);
	if (p->orphan_until)
		proxy_free(m, p);
}

/* The client left while the upstream still answers: the model spends tokens all the same, so the
 * call goes on, unread by anyone, until its usage is known (or METER_ORPHAN_MS have passed). */
static void orphan(struct meter_proxy *p)
{
	p->conn = NULL;
	p->suspended = 0;
	p->out_off = p->out_len = 0;
	p->orphan_until = mono_ms() + METER_ORPHAN_MS;
	if (p->paused) {
		p->paused = 0;
		curl_easy_pause(p->easy, CURLPAUSE_CONT);
	}
}

/* ---- the listener -------------------------------------------------------------------------- */

/* Split /m/<key>/<api><rest>: the run, the api, the rest (path and query after the api). */
static enum MHD_Result route(struct meter *m, struct meter_proxy *p)
{
	const char *u = p->uri, *q;
	char key[METER_KEY_HEX + 1];

	if (strncmp(u, "/m/", 3) != 0 || strlen(u + 3) < METER_KEY_HEX || u[3 + METER_KEY_HEX] != '/')
		return respond_error(p, 404, "not_found", "no such route: /m/<run key>/openai/..., /m/<run key>/anthropic/... or /m/<run key>/mcp");
	memcpy(key, u + 3, METER_KEY_HEX);
	key[METER_KEY_HEX] = '\0';
	u += 3 + METER_KEY_HEX;
	if (strncmp(u, "/openai", 7) == 0 && (u[7] == '/' || u[7] == '?' || !u[7])) {
		p->api = USAGE_OPENAI;
		p->rest = u + 7;
	} else if (strncmp(u, "/anthropic", 10) == 0 && (u[10] == '/' || u[10] == '?' || !u[10])) {
		p->api = USAGE_ANTHROPIC;
		p->rest = u + 10;
	} else if (strncmp(u, "/mcp", 4) == 0 && (u[4] == '?' || !u[4])) {
		p->mcp = 1;
		p->rest = u + 4;
	} else {
		return respond_error(p, 404, "not_found", "no such route: /m/<run key>/openai/..., /m/<run key>/anthropic/... or /m/<run key>/mcp");
	}
	p->run = run_find(m, key);
	explicit_bzero(key, sizeof key);
	if (!p->run)
		return respond_error(p, 401, "unauthenticated", "no running agent has this run key");
	p->run->refs++;
	/* The gateway's base URL may have a path of its own: no dot segment climbs out of it. */
	for (q = p->rest; *q && *q != '?'; q++) {
		if (*q == '%' && q[1] == '2' && (q[2] == 'e' || q[2] == 'E'))
			return respond_error(p, 400, "invalid", "the path may not encode '.'");
		if (*q == '/' && q[1] == '.' && (q[2] == '/' || q[2] == '?' || !q[2] ||
						 (q[2] == '.' && (q[3] == '/' || q[3] == '?' || !q[3]))))
			return respond_error(p, 400, "invalid", "the path may not hold '.' or '..' segments");
	}
	for (q = p->rest; *q; q++)
		if ((unsigned char)*q <= 0x20 || *q == 0x7f)
			return respond_error(p, 400, "invalid", "the path has a control character");
	p->state = P_BODY;
	return MHD_YES;
}

/* A gt_done of a run with gates: they run first, the connection waits (meter_child_exited and
 * meter_run take it on). */
static enum MHD_Result gates_begin(struct meter_proxy *p)
{
	if (gates_start(&p->gates, p->run->gates, p->run->work) < 0)
		return respond_error(p, 500, "internal", "cannot run the persona's gates");
	host_log("meter: running the persona's gates before %s's gt_done (pid %ld)", p->run->agent, (long)p->gates.pid);
	p->state = P_GATES;
	p->suspended = 1;
	MHD_suspend_connection(p->conn);
	return MHD_YES;
}

/* The gates failed: the agent is told as MCP tells of a tool's failure (a result with isError),
 * with the failing gate and the end of its output; the town hears nothing. */
static enum MHD_Result gates_refuse(struct meter_proxy *p)
{
	cJSON *rpc = cJSON_ParseWithLength(p->body ? p->body : "", p->len), *out = cJSON_CreateObject(), *res, *item;
	char tail[2048], gate[512] = "?", text[3072];
	const char *g = p->run->gates;
	struct MHD_Response *resp;
	enum MHD_Result ret;
	char *s;

	for (int i = 0; g && *g; i++) {
		size_t len = strcspn(g, "\n");

		if (i == p->gates.failed)
			snprintf(gate, sizeof gate, "%.*s", (int)(len < sizeof gate ? len : sizeof gate - 1), g);
		g += len + (g[len] == '\n');
	}
	gates_output(&p->gates, tail, sizeof tail);
	if (p->gates.failed >= 0)
		snprintf(text, sizeof text, "The persona's gate `%s` failed: fix the work and call gt_done again; nothing was"
			 " reported.\n%s", gate, tail);
	else
		snprintf(text, sizeof text, "The persona's gates could not run in the worktree; nothing was reported.\n%s", tail);
	cJSON_AddStringToObject(out, "jsonrpc", "2.0");
	item = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(rpc, "id"), 1);
	cJSON_AddItemToObject(out, "id", item ? item : cJSON_CreateNull());
	res = cJSON_AddObjectToObject(out, "result");
	item = cJSON_CreateObject();
	cJSON_AddStringToObject(item, "type", "text");
	cJSON_AddStringToObject(item, "text", text);
	cJSON_AddItemToArray(cJSON_AddArrayToObject(res, "content"), item);
	cJSON_AddBoolToObject(res, "isError", 1);
	s = cJSON_PrintUnformatted(out);
	cJSON_Delete(out);
	cJSON_Delete(rpc);
	host_log("meter: %s's gt_done refused: the persona's gate `%s` failed", p->run->agent, gate);
	p->state = P_ANSWER;
	if (!s)
		return MHD_NO;
	if (!(resp = MHD_create_response_from_buffer(strlen(s), s, MHD_RESPMEM_MUST_FREE))) {
		cJSON_free(s);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "content-type", "application/json");
	ret = MHD_queue_response(p->conn, 200, resp);
	MHD_destroy_response(resp);
	return ret;
}

int meter_child_exited(struct meter *m, pid_t pid, int status)
{
	for (struct meter_proxy *p = m->proxies; p; p = p->next)
		if (p->state == P_GATES && p->gates.pid == pid) {
			gates_exited(&p->gates, status);
			wake(p);
			return 1;
		}
	return 0;
}

static enum MHD_Result forward(struct meter *m, struct meter_proxy *p)
{
	if (p->too_large)
		return respond_error(p, 413, "too_large", "the body is larger than 32 MiB");
	if (!p->run->live)
		return respond_error(p, 401, "unauthenticated", "the run of this key has ended");
	if (!p->mcp && !p->run->base_url)
		return respond_error(p, 404, "not_found", "the town gave this run no model gateway");
	if (p->mcp && p->run->gates && p->run->work[0] && !p->gated) {
		cJSON *rpc = cJSON_ParseWithLength(p->body ? p->body : "", p->len);
		int done = is_done_call(rpc);

		cJSON_Delete(rpc);
		if (done)
			return gates_begin(p);
	}
	if (upstream_start(m, p) < 0)
		return respond_error(p, 502, "bad_gateway", "cannot call the model gateway");
	p->state = P_UPSTREAM;
	p->suspended = 1;
	MHD_suspend_connection(p->conn); /* on_header or upstream_done resumes, then answer() */
	return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_data_size, void **con_cls)
{
	struct meter *m = cls;
	struct meter_proxy *p = *con_cls;

	(void)url;
	(void)version;
	if (!p)
		return MHD_NO;
	switch (p->state) {
	case P_NEW:
		p->conn = c;
		snprintf(p->method, sizeof p->method, "%s", method);
		return route(m, p);
	case P_BODY:
		if (*upload_data_size) {
			size_t n = *upload_data_size;
			*upload_data_size = 0;
			if (p->too_large || p->len + n > METER_BODY_MAX) {
				p->too_large = 1; /* read on to the end, then answer 413 */
				return MHD_YES;
			}
			return buf_append(&p->body, &p->len, &p->cap, upload_data, n) < 0 ? MHD_NO : MHD_YES;
		}
		return forward(m, p);
	case P_GATES:
		/* Resumed: the gates ended. */
		if (!p->gates.done)
			return MHD_YES;
		if (p->gates.failed != -1)
			return gates_refuse(p);
		p->gated = 1;
		return forward(m, p);
	case P_UPSTREAM:
		return answer(p);
	case P_ANSWER:
		break;
	}
	*upload_data_size = 0;
	return MHD_YES;
}

/* MHD, before the headers: the request's own record, with its URI as sent (query included). */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
	struct meter *m = cls;
	struct meter_proxy *p = calloc(1, sizeof *p);

	(void)c;
	if (!p)
		return NULL;
	p->uri = strdup(uri);
	if (!p->uri) {
		free(p);
		return NULL;
	}
	p->m = m;
	p->next = m->proxies;
	if (p->next)
		p->next->prev = p;
	m->proxies = p;
	m->nproxies++;
	return p;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct meter_proxy *p = *con_cls;

	(void)c;
	*con_cls = NULL;
	if (!p)
		return;
	if (p->easy && !p->done && !p->mcp && toe != MHD_REQUEST_TERMINATED_DAEMON_SHUTDOWN)
		orphan(p);
	else
		proxy_free(cls, p);
}

/* curl: watch s for what (or stop watching it). */
static int on_socket(CURL *e, curl_socket_t s, int what, void *clientp, void *socketp)
{
	struct meter *m = clientp;
	struct epoll_event ev = {.data.fd = s};

	(void)e;
	(void)socketp;
	if (what == CURL_POLL_REMOVE) {
		epoll_ctl(m->epfd, EPOLL_CTL_DEL, s, NULL); /* curl may have closed it already */
		return 0;
	}
	ev.events = (what & CURL_POLL_IN ? EPOLLIN : 0) | (what & CURL_POLL_OUT ? EPOLLOUT : 0);
	if (epoll_ctl(m->epfd, EPOLL_CTL_MOD, s, &ev) < 0 && errno == ENOENT &&
	    epoll_ctl(m->epfd, EPOLL_CTL_ADD, s, &ev) < 0)
		host_log("meter: cannot watch a socket: %s", strerror(errno));
	return 0;
}

static int on_timer(CURLM *multi, long timeout_ms, void *clientp)
{
	struct meter *m = clientp;

	(void)multi;
	m->curl_at = timeout_ms < 0 ? INT64_MAX : mono_ms() + timeout_ms;
	return 0;
}

int meter_start(struct meter *m, const char *host, unsigned port, struct town *town)
{
	struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	const union MHD_DaemonInfo *info;
	const char *ip = strcmp(host, "localhost") == 0 ? "127.0.0.1" : host;

	memset(m, 0, sizeof *m);
	m->epfd = -1;
	m->curl_at = INT64_MAX;
	m->town = town;
	snprintf(m->host, sizeof m->host, "%s", ip);
	if (inet_pton(AF_INET, ip, &addr.sin_addr) != 1) {
		host_log("--meter-listen: '%s' is not an IPv4 address", host);
		return -1;
	}
	if ((ntohl(addr.sin_addr.s_addr) >> 24) != 127)
		host_log("warning: the metering proxy listens on %s, not on loopback", ip);
	m->epfd = epoll_create1(EPOLL_CLOEXEC);
	m->multi = curl_multi_init();
	if (m->epfd < 0 || !m->multi) {
		host_log("meter: cannot set up the upstream calls");
		meter_stop(m);
		return -1;
	}
	curl_multi_setopt(m->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
	curl_multi_setopt(m->multi, CURLMOPT_SOCKETDATA, m);
	curl_multi_setopt(m->multi, CURLMOPT_TIMERFUNCTION, on_timer);
	curl_multi_setopt(m->multi, CURLMOPT_TIMERDATA, m);
	m->mhd = MHD_start_daemon(MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG,
				  (uint16_t)port, NULL, NULL, on_request, m,
				  MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
				  MHD_OPTION_URI_LOG_CALLBACK, on_uri, m,
				  MHD_OPTION_NOTIFY_COMPLETED, on_completed, m,
				  MHD_OPTION_CONNECTION_LIMIT, (unsigned)METER_CONNECTIONS,
				  MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(128 * 1024),
				  MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)300, MHD_OPTION_END);
	if (!m->mhd) {
		host_log("cannot listen on %s:%u for the metering proxy", ip, port);
		meter_stop(m);
		return -1;
	}
	info = MHD_get_daemon_info(m->mhd, MHD_DAEMON_INFO_BIND_PORT);
	m->port = info ? info->port : port;
	return 0;
}

void meter_stop(struct meter *m)
{
	if (m->mhd) {
		/* Suspended connections are resumed so the daemon can close them (and free their calls). */
		for (struct meter_proxy *p = m->proxies; p; p = p->next)
			wake(p);
		MHD_stop_daemon(m->mhd);
		m->mhd = NULL;
	}
	while (m->proxies)
		proxy_free(m, m->proxies);
	if (m->multi)
		curl_multi_cleanup(m->multi);
	m->multi = NULL;
	if (m->epfd >= 0)
		close(m->epfd);
	m->epfd = -1;
}

size_t meter_pollfds(struct meter *m, struct pollfd *pfds, size_t n, size_t max)
{
	const union MHD_DaemonInfo *info = m->mhd ? MHD_get_daemon_info(m->mhd, MHD_DAEMON_INFO_EPOLL_FD) : NULL;

	if (info && n < max)
		pfds[n++] = (struct pollfd){.fd = info->epoll_fd, .events = POLLIN};
	if (m->epfd >= 0 && n < max)
		pfds[n++] = (struct pollfd){.fd = m->epfd, .events = POLLIN};
	return n;
}

void meter_run(struct meter *m)
{
	struct epoll_event evs[METER_EVENTS];
	int running, n, left;
	CURLMsg *msg;

	if (!m->mhd)
		return;
	n = epoll_wait(m->epfd, evs, METER_EVENTS, 0);
	for (int i = 0; i < n; i++) {
		int what = (evs[i].events & EPOLLIN ? CURL_CSELECT_IN : 0) |
			   (evs[i].events & EPOLLOUT ? CURL_CSELECT_OUT : 0) |
			   (evs[i].events & (EPOLLERR | EPOLLHUP) ? CURL_CSELECT_ERR : 0);
		curl_multi_socket_action(m->multi, evs[i].data.fd, what, &running);
	}
	if (mono_ms() >= m->curl_at) {
		m->curl_at = INT64_MAX; /* curl sets the next one */
		curl_multi_socket_action(m->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	}
	while ((msg = curl_multi_info_read(m->multi, &left))) {
		struct meter_proxy *p = NULL;
		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&p);
		if (p)
			upstream_done(m, p, msg->data.result);
	}
	MHD_run(m->mhd);
	for (struct meter_proxy *p = m->proxies, *next; p; p = next) {
		next = p->next;
		if (p->orphan_until && mono_ms() >= p->orphan_until) {
			host_log("meter: %s %.200s: its client left %d s ago and it has not ended; what it used so far is recorded",
				 p->method, p->rest, METER_ORPHAN_MS / 1000);
			if (p->sse)
				record_usage(m, p); /* the stream's usage so far (a JSON answer has none yet) */
			proxy_free(m, p);
		}
	}
	for (struct meter_run *r = m->runs; r; r = r->next)
		if (r->nrecords && mono_ms() >= r->flush_at)
			run_flush(m, r);
}

int64_t meter_deadline(struct meter *m)
{
	MHD_UNSIGNED_LONG_LONG t = 0;
	int64_t next = m->curl_at, now = mono_ms();

	if (m->mhd && MHD_get_timeout(m->mhd, &t) == MHD_YES) {
		int64_t at = now + (t > INT32_MAX ? INT32_MAX : (int64_t)t);
		if (at < next)
			next = at;
	}
	for (const struct meter_run *r = m->runs; r; r = r->next)
		if (r->nrecords && r->flush_at < next)
			next = r->flush_at;
	for (const struct meter_proxy *p = m->proxies; p; p = p->next)
		if (p->orphan_until && p->orphan_until < next)
			next = p->orphan_until;
	return next;
}
