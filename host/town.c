/*
 * town.c - the host's calls to the town, all POSTs under /api/towns/:town/agents/:agent/ with the
 * agent's token. Calls whose answer matters now (heartbeat, token refresh) go out at once; reports
 * (events, done, completed) go through an outbox that keeps their order and retries them while
 * the town is unreachable. Calls block, with short timeouts: see main.c on why that is acceptable.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "host.h"

#define ANSWER_MAX (1 << 20)
#define OUTBOX_MAX 1000
#define RETRY_MS 2000
#define GIVE_UP_MS (5 * 60 * 1000)

struct outbox_entry {
	struct outbox_entry *next;
	char town[HOST_ID_MAX + 1], agent[HOST_ID_MAX + 1], what[32];
	char *token, *body;
	int droppable;
	int64_t queued_at; /* mono */
};

struct answer {
	char *data;
	size_t len;
};

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct answer *a = userdata;
	size_t n = size * nmemb;
	char *grown;

	if (a->len + n > ANSWER_MAX)
		return 0; /* stops the transfer: the town never answers that much */
	grown = realloc(a->data, a->len + n + 1);
	if (!grown)
		return 0;
	a->data = grown;
	memcpy(a->data + a->len, ptr, n);
	a->len += n;
	a->data[a->len] = '\0';
	return n;
}

int town_init(struct town *t, const char *base)
{
	size_t len;

	memset(t, 0, sizeof *t);
	snprintf(t->base, sizeof t->base, "%s", base);
	len = strlen(t->base);
	while (len > 0 && t->base[len - 1] == '/')
		t->base[--len] = '\0';
	t->curl = curl_easy_init();
	return t->curl ? 0 : -1;
}

static void entry_free(struct outbox_entry *e)
{
	free(e->token);
	cJSON_free(e->body);
	free(e);
}

void town_release(struct town *t)
{
	while (t->head) {
		struct outbox_entry *e = t->head;
		t->head = e->next;
		entry_free(e);
	}
	t->tail = NULL;
	t->queued = 0;
	if (t->curl)
		curl_easy_cleanup(t->curl);
	t->curl = NULL;
}

int town_post(struct town *t, const char *town, const char *agent, const char *what,
	      const char *token, const char *body, cJSON **resp)
{
	CURL *curl = t->curl;
	struct curl_slist *headers = NULL;
	struct answer a = {0};
	char url[2048], auth[HOST_TOKEN_MAX + 32];
	long status = 0;
	CURLcode rc;

	if (resp)
		*resp = NULL;
	snprintf(url, sizeof url, "%s/api/towns/%s/agents/%s/%s", t->base, town, agent, what);
	snprintf(auth, sizeof auth, "authorization: Bearer %s", token);
	headers = curl_slist_append(headers, "accept: application/json");
	headers = curl_slist_append(headers, "content-type: application/json");
	headers = curl_slist_append(headers, auth);
	curl_easy_reset(curl); /* keeps the open connections */
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_POST, 1L);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body ? body : "");
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &a);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 3000L);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 10000L);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_USERAGENT, "gastown-host/0.1");
	rc = curl_easy_perform(curl);
	if (rc != CURLE_OK) {
		host_log("town %s: %s/%s: %s", t->base, agent, what, curl_easy_strerror(rc));
	} else {
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
		if (resp && a.data)
			*resp = cJSON_Parse(a.data);
	}
	free(a.data);
	curl_slist_free_all(headers);
	return (int)status;
}

/* Make room for one more entry: the oldest droppable one goes. 0, or -1 when none can. */
static int make_room(struct town *t)
{
	struct outbox_entry **p = &t->head, *prev = NULL;

	if (t->queued < OUTBOX_MAX)
		return 0;
	for (; *p; prev = *p, p = &(*p)->next) {
		if ((*p)->droppable) {
			struct outbox_entry *e = *p;
			*p = e->next;
			if (t->tail == e)
				t->tail = prev;
			host_log("outbox full: dropped the output of %s", e->agent);
			entry_free(e);
			t->queued--;
			return 0;
		}
	}
	return -1;
}

void town_queue(struct town *t, const char *town, const char *agent, const char *what,
		const char *token, char *body, int droppable)
{
	struct outbox_entry *e;

	if (!body)
		return;
	e = calloc(1, sizeof *e);
	if (!e || make_room(t) < 0 || !(e->token = strdup(token))) {
		host_log("outbox: cannot queue %s of %s", what, agent);
		free(e);
		cJSON_free(body);
		return;
	}
	snprintf(e->town, sizeof e->town, "%s", town);
	snprintf(e->agent, sizeof e->agent, "%s", agent);
	snprintf(e->what, sizeof e->what, "%s", what);
	e->body = body;
	e->droppable = droppable;
	e->queued_at = mono_ms();
	if (t->tail)
		t->tail->next = e;
	else
		t->head = e;
	t->tail = e;
	t->queued++;
}

void town_drain(struct town *t)
{
	int64_t now = mono_ms();

	if (now < t->retry_at)
		return;
	while (t->head) {
		struct outbox_entry *e = t->head;
		int status = town_post(t, e->town, e->agent, e->what, e->token, e->body, NULL);

		if (status == 0 || status >= 500 || status == 429) {
			if (now - e->queued_at < GIVE_UP_MS) {
				/* Later, and in the same order: nothing after it goes first. */
				t->retry_at = mono_ms() + RETRY_MS;
				return;
			}
			host_log("gave up sending %s of %s after 5 minutes", e->what, e->agent);
		} else if (status < 200 || status > 299) {
			host_log("town answered %d to %s of %s", status, e->what, e->agent);
		}
		t->head = e->next;
		if (!t->head)
			t->tail = NULL;
		t->queued--;
		entry_free(e);
	}
	t->retry_at = 0;
}

int64_t town_deadline(const struct town *t)
{
	if (!t->head)
		return INT64_MAX;
	return t->retry_at;
}
