/*
 * http.c - the client's only network code: one JSON request with libcurl, bounded response size;
 * and the request paths, built in pieces with ids and query values percent-encoded.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "cli.h"

#define RESPONSE_MAX (8 * 1024 * 1024)

struct buf {
	char *data;
	size_t len;
	int overflow;
};

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct buf *b = userdata;
	size_t n = size * nmemb;
	char *grown;

	if (b->len + n > RESPONSE_MAX) {
		b->overflow = 1;
		return 0; /* makes curl stop with an error */
	}
	grown = realloc(b->data, b->len + n + 1);
	if (!grown)
		return 0;
	b->data = grown;
	memcpy(b->data + b->len, ptr, n);
	b->len += n;
	b->data[b->len] = '\0';
	return n;
}

/* What became of one attempt: never sent (refused), cut after it may have arrived, or answered. */
enum attempt { SENT, REFUSED, CUT };

static int http_once(const struct cli *cli, const char *method, const char *path, const char *body, const char *type,
		     const char *key, cJSON **body_out, char *err_out, size_t err_len, enum attempt *what)
{
	CURL *curl = curl_easy_init();
	struct curl_slist *headers = NULL;
	struct buf b = {0};
	char url[4096], auth[8300], idem[200], ctype[100];
	long status = 0;
	CURLcode rc;

	*body_out = NULL;
	if (!curl) {
		snprintf(err_out, err_len, "cannot initialise libcurl");
		return 0;
	}
	snprintf(url, sizeof url, "%s%s", cli->url, path);
	headers = curl_slist_append(headers, "accept: application/json");
	if (body) {
		snprintf(ctype, sizeof ctype, "content-type: %s", type);
		headers = curl_slist_append(headers, ctype);
	}
	if (cli->token[0]) {
		snprintf(auth, sizeof auth, "authorization: Bearer %s", cli->token);
		headers = curl_slist_append(headers, auth);
	}
	if (key) {
		snprintf(idem, sizeof idem, "idempotency-key: %s", key);
		headers = curl_slist_append(headers, idem);
	}
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 5L);
	curl_easy_setopt(curl, CURLOPT_USERAGENT, "gt/0.1");
	if (body)
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
	rc = curl_easy_perform(curl);
	*what = rc == CURLE_COULDNT_CONNECT ? REFUSED
	      : rc == CURLE_GOT_NOTHING || rc == CURLE_RECV_ERROR || rc == CURLE_SEND_ERROR || rc == CURLE_PARTIAL_FILE ? CUT
	      : SENT;
	if (rc != CURLE_OK) {
		snprintf(err_out, err_len, "%s: %s", cli->url,
			 b.overflow ? "response larger than 8 MiB" : curl_easy_strerror(rc));
	} else {
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
		*body_out = b.data ? cJSON_Parse(b.data) : NULL;
	}
	free(b.data);
	curl_slist_free_all(headers);
	curl_easy_cleanup(curl);
	return (int)status;
}

/* An agent outlives restarts of its town's runtime. A request the town never received (the
 * connection was refused) is sent again for up to RETRY_BUDGET_MS; so is one that may have arrived
 * (the connection was cut, or the runtime answered 502-504 while restarting) when sending it twice
 * changes nothing: a GET, PUT or DELETE, or a POST, which an agent sends with an Idempotency-Key
 * the town answers again rather than act twice on (docs/api.md, "Retries"). People get the error
 * at once. */
#define RETRY_BUDGET_MS 30000L

/* A fresh key for one logical call: 128 random bits as hex. */
static void new_key(char *out, size_t len)
{
	unsigned char r[16] = {0};
	FILE *f = fopen("/dev/urandom", "rb");

	if (!f || fread(r, 1, sizeof r, f) != sizeof r) {
		/* No randomness: time and address still make a key unique enough for one agent. */
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		snprintf(out, len, "gt-%lld-%ld-%p", (long long)ts.tv_sec, ts.tv_nsec, (void *)out);
	} else {
		for (size_t i = 0; i < sizeof r && 2 * i + 3 < len; i++)
			snprintf(out + 2 * i, 3, "%02x", r[i]);
	}
	if (f)
		fclose(f);
}

int http_call(const struct cli *cli, const char *method, const char *path, const char *body,
	      cJSON **body_out, char *err_out, size_t err_len)
{
	return http_call_typed(cli, method, path, body, "application/json", body_out, err_out, err_len);
}

int http_call_typed(const struct cli *cli, const char *method, const char *path, const char *body, const char *type,
		    cJSON **body_out, char *err_out, size_t err_len)
{
	long waited = 0, wait = 250;
	int status, post = strcmp(method, "POST") == 0;
	enum attempt what;
	char key[64] = "";

	if (cli->as_agent && post)
		new_key(key, sizeof key);
	for (;;) {
		status = http_once(cli, method, path, body, type, *key ? key : NULL, body_out, err_out, err_len, &what);
		int again = what == REFUSED || what == CUT || status == 502 || status == 503 || status == 504;

		/* Only what is safe to repeat: never sent, or repeatable (a key, or not a POST). */
		if (what != REFUSED && post && !*key)
			again = 0;
		if (!again || !cli->as_agent || waited >= RETRY_BUDGET_MS)
			return status;
		cJSON_Delete(*body_out);
		*body_out = NULL;
		struct timespec ts = {.tv_sec = wait / 1000, .tv_nsec = (wait % 1000) * 1000000L};

		nanosleep(&ts, NULL);
		waited += wait;
		wait = wait * 2 > 4000 ? 4000 : wait * 2;
	}
}

void http_path_lit(struct http_path *p, const char *lit)
{
	size_t k = strlen(lit);

	if (p->n + k >= sizeof p->s) {
		p->overflow = 1;
		return;
	}
	memcpy(p->s + p->n, lit, k + 1);
	p->n += k;
}

void http_path_seg(struct http_path *p, const char *seg)
{
	static const char hex[] = "0123456789ABCDEF";

	for (const unsigned char *c = (const unsigned char *)seg; *c; c++) {
		char one[4] = {(char)*c, 0};

		if (!strchr("-._~", *c) && !(*c >= '0' && *c <= '9') && !(*c >= 'a' && *c <= 'z') &&
		    !(*c >= 'A' && *c <= 'Z')) {
			one[0] = '%';
			one[1] = hex[*c >> 4];
			one[2] = hex[*c & 15];
		}
		http_path_lit(p, one);
	}
}
