/*
 * town.c - the host's calls to the town, all POSTs under /api/towns/:town/agents/:agent/ with the
 * agent's token. Calls whose answer matters now (heartbeat, token refresh) go out at once and
 * answer through a callback; reports (events, done, completed, usage) go through an outbox that
 * keeps their order and retries them while the town is unreachable.
 *
 * No call blocks: they run on libcurl's multi interface, whose sockets sit in an epoll set the
 * host's loop polls, as the metering proxy's upstream calls do (meter.c). A town that hangs on every
 * call costs each call its own timeout and nothing else: the agents' terminals, the HTTP side and
 * the model calls go on. The outbox keeps one entry in flight, its head, so order holds without
 * any bookkeeping of what was acknowledged out of turn.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <curl/curl.h>

#include "host.h"

#define ANSWER_MAX (1 << 20)
#define OUTBOX_MAX 1000
#define RETRY_MS 2000
#define GIVE_UP_MS (5 * 60 * 1000)
#define CONNECT_MS 3000L
#define CALL_MS 10000L
#define EVENTS 64                 /* socket events handled per turn */
#define CONNECTIONS 8             /* to the town at once; more calls wait in curl's queue */

struct outbox_entry {
	struct outbox_entry *next;
	char town[HOST_ID_MAX + 1], agent[HOST_ID_MAX + 1], what[32];
	char *token, *body;
	int droppable;
	int sending;              /* the head, while its POST is in flight: never dropped */
	int64_t queued_at;        /* mono */
};

struct town_call {
	struct town_call *next, *prev;  /* in town.calls */
	CURL *easy;
	struct curl_slist *headers;
	char *data;                     /* the answer so far */
	size_t len;
	char town[HOST_ID_MAX + 1], agent[HOST_ID_MAX + 1], what[32];
	town_done_fn *done;             /* NULL: the outbox head's delivery */
	void *arg;
	uint64_t tag;
	int status;                     /* once ended: the HTTP status, 0 when not reached */
	struct town_call *ended;        /* the calls that ended in one turn */
};

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct town_call *c = userdata;
	size_t n = size * nmemb;
	char *grown;

	if (c->len + n > ANSWER_MAX)
		return 0; /* stops the transfer: the town never answers that much */
	grown = realloc(c->data, c->len + n + 1);
	if (!grown)
		return 0;
	c->data = grown;
	memcpy(c->data + c->len, ptr, n);
	c->len += n;
	c->data[c->len] = '\0';
	return n;
}

/* curl: watch s for what (or stop watching it). */
static int on_socket(CURL *e, curl_socket_t s, int what, void *clientp, void *socketp)
{
	struct town *t = clientp;
	struct epoll_event ev = {.data.fd = s};

	(void)e;
	(void)socketp;
	if (what == CURL_POLL_REMOVE) {
		epoll_ctl(t->epfd, EPOLL_CTL_DEL, s, NULL); /* curl may have closed it already */
		return 0;
	}
	ev.events = (what & CURL_POLL_IN ? EPOLLIN : 0) | (what & CURL_POLL_OUT ? EPOLLOUT : 0);
	if (epoll_ctl(t->epfd, EPOLL_CTL_MOD, s, &ev) < 0 && errno == ENOENT &&
	    epoll_ctl(t->epfd, EPOLL_CTL_ADD, s, &ev) < 0)
		host_log("town: cannot watch a socket: %s", strerror(errno));
	return 0;
}

static int on_timer(CURLM *multi, long timeout_ms, void *clientp)
{
	struct town *t = clientp;

	(void)multi;
	t->curl_at = timeout_ms < 0 ? INT64_MAX : mono_ms() + timeout_ms;
	return 0;
}

int town_init(struct town *t, const char *base)
{
	size_t len;

	memset(t, 0, sizeof *t);
	t->epfd = -1;
	t->curl_at = INT64_MAX;
	snprintf(t->base, sizeof t->base, "%s", base);
	len = strlen(t->base);
	while (len > 0 && t->base[len - 1] == '/')
		t->base[--len] = '\0';
	t->epfd = epoll_create1(EPOLL_CLOEXEC);
	t->multi = curl_multi_init();
	if (t->epfd < 0 || !t->multi) {
		town_release(t);
		return -1;
	}
	curl_multi_setopt(t->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
	curl_multi_setopt(t->multi, CURLMOPT_SOCKETDATA, t);
	curl_multi_setopt(t->multi, CURLMOPT_TIMERFUNCTION, on_timer);
	curl_multi_setopt(t->multi, CURLMOPT_TIMERDATA, t);
	curl_multi_setopt(t->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)CONNECTIONS);
	return 0;
}

static void entry_free(struct outbox_entry *e)
{
	free(e->token);
	cJSON_free(e->body);
	free(e);
}

static void call_free(struct town *t, struct town_call *c)
{
	if (c->easy) {
		curl_multi_remove_handle(t->multi, c->easy); /* harmless when already removed */
		curl_easy_cleanup(c->easy);
	}
	curl_slist_free_all(c->headers);
	free(c->data);
	if (c->prev)
		c->prev->next = c->next;
	else
		t->calls = c->next;
	if (c->next)
		c->next->prev = c->prev;
	t->ncalls--;
	free(c);
}

void town_release(struct town *t)
{
	/* Calls in flight end without their callbacks: whoever waited is gone. */
	while (t->calls)
		call_free(t, t->calls);
	while (t->head) {
		struct outbox_entry *e = t->head;
		t->head = e->next;
		entry_free(e);
	}
	t->tail = NULL;
	t->queued = 0;
	if (t->multi)
		curl_multi_cleanup(t->multi);
	t->multi = NULL;
	if (t->epfd >= 0)
		close(t->epfd);
	t->epfd = -1;
}

/* Start a POST; the call is in t->calls until it ends. NULL when it could not start. */
static struct town_call *call_start(struct town *t, const char *town, const char *agent, const char *what,
				    const char *token, const char *body)
{
	struct town_call *c = calloc(1, sizeof *c);
	char url[2048], auth[HOST_TOKEN_MAX + 32];
	CURL *e;

	if (!c)
		return NULL;
	snprintf(c->town, sizeof c->town, "%s", town);
	snprintf(c->agent, sizeof c->agent, "%s", agent);
	snprintf(c->what, sizeof c->what, "%s", what);
	snprintf(url, sizeof url, "%s/api/towns/%s/agents/%s/%s", t->base, town, agent, what);
	snprintf(auth, sizeof auth, "authorization: Bearer %s", token);
	c->headers = curl_slist_append(NULL, "accept: application/json");
	if (c->headers && !curl_slist_append(c->headers, "content-type: application/json"))
		goto fail;
	if (c->headers && !curl_slist_append(c->headers, auth))
		goto fail;
	explicit_bzero(auth, sizeof auth);
	if (!c->headers || !(c->easy = e = curl_easy_init()))
		goto fail;
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_PRIVATE, c);
	curl_easy_setopt(e, CURLOPT_COPYPOSTFIELDS, body ? body : ""); /* also makes it a POST */
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, c->headers);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, c);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, CONNECT_MS);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, CALL_MS);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_USERAGENT, "gastown-host/0.1");
	if (curl_multi_add_handle(t->multi, e) != CURLM_OK)
		goto fail;
	c->next = t->calls;
	if (c->next)
		c->next->prev = c;
	t->calls = c;
	t->ncalls++;
	return c;
fail:
	explicit_bzero(auth, sizeof auth);
	if (c->easy)
		curl_easy_cleanup(c->easy);
	curl_slist_free_all(c->headers);
	free(c);
	host_log("town: cannot start %s of %s", what, agent);
	return NULL;
}

int town_call(struct town *t, const char *town, const char *agent, const char *what, const char *token,
	      const char *body, town_done_fn *done, void *arg, uint64_t tag)
{
	struct town_call *c = call_start(t, town, agent, what, token, body);

	if (!c)
		return -1;
	c->done = done;
	c->arg = arg;
	c->tag = tag;
	return 0;
}

/* Make room for one more entry: the oldest droppable one goes. 0, or -1 when none can. */
static int make_room(struct town *t)
{
	struct outbox_entry **p = &t->head, *prev = NULL;

	if (t->queued < OUTBOX_MAX)
		return 0;
	for (; *p; prev = *p, p = &(*p)->next) {
		if ((*p)->droppable && !(*p)->sending) {
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

/* The head's delivery answered (status 0: not reached): next, or the same again later. */
static void outbox_answered(struct town *t, int status)
{
	struct outbox_entry *e = t->head;

	e->sending = 0;
	if (status == 0 || status >= 500 || status == 429) {
		if (mono_ms() - e->queued_at < GIVE_UP_MS) {
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
	t->retry_at = 0;
}

/* Send the outbox's head unless it is in flight or waits for its retry. */
static void outbox_send(struct town *t)
{
	struct outbox_entry *e = t->head;

	if (!e || e->sending || mono_ms() < t->retry_at)
		return;
	if (call_start(t, e->town, e->agent, e->what, e->token, e->body))
		e->sending = 1;
	else
		t->retry_at = mono_ms() + RETRY_MS;
}

size_t town_pollfds(const struct town *t, struct pollfd *pfds, size_t n, size_t max)
{
	if (t->epfd >= 0 && n < max)
		pfds[n++] = (struct pollfd){.fd = t->epfd, .events = POLLIN};
	return n;
}

void town_run(struct town *t)
{
	struct epoll_event evs[EVENTS];
	struct town_call *ended = NULL;
	int running, n, left;
	CURLMsg *msg;

	if (!t->multi)
		return;
	outbox_send(t);
	n = epoll_wait(t->epfd, evs, EVENTS, 0);
	for (int i = 0; i < n; i++) {
		int what = (evs[i].events & EPOLLIN ? CURL_CSELECT_IN : 0) |
			   (evs[i].events & EPOLLOUT ? CURL_CSELECT_OUT : 0) |
			   (evs[i].events & (EPOLLERR | EPOLLHUP) ? CURL_CSELECT_ERR : 0);
		curl_multi_socket_action(t->multi, evs[i].data.fd, what, &running);
	}
	if (mono_ms() >= t->curl_at) {
		t->curl_at = INT64_MAX; /* curl sets the next one */
		curl_multi_socket_action(t->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	}
	/* Gather first, answer after: a callback may start calls of its own. */
	while ((msg = curl_multi_info_read(t->multi, &left))) {
		struct town_call *c = NULL;
		long status = 0;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&c);
		if (msg->data.result != CURLE_OK)
			host_log("town %s: %s/%s: %s", t->base, c->agent, c->what, curl_easy_strerror(msg->data.result));
		else
			curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &status);
		curl_multi_remove_handle(t->multi, c->easy);
		c->status = (int)status;
		c->ended = ended;
		ended = c;
	}
	while (ended) {
		struct town_call *c = ended;

		ended = c->ended;
		if (c->done) {
			cJSON *resp = c->data && c->status ? cJSON_Parse(c->data) : NULL;
			c->done(c->arg, c->tag, c->status, resp);
			cJSON_Delete(resp);
		} else if (t->head && t->head->sending) {
			outbox_answered(t, c->status);
		}
		call_free(t, c);
	}
	outbox_send(t);
}

int64_t town_deadline(const struct town *t)
{
	int64_t next = t->curl_at;

	if (t->head && !t->head->sending && t->retry_at < next)
		next = t->retry_at;
	return next;
}

void town_flush(struct town *t, int64_t ms)
{
	int64_t until = mono_ms() + ms;

	t->retry_at = 0;
	while (t->head && mono_ms() < until) {
		struct pollfd pfd = {.fd = t->epfd, .events = POLLIN};
		int64_t wait;

		town_run(t);
		if (t->head && !t->head->sending)
			break; /* a delivery failed: the town is not there to take the rest */
		wait = town_deadline(t) - mono_ms();
		if (wait > until - mono_ms())
			wait = until - mono_ms();
		if (wait > 100)
			wait = 100;
		if (wait > 0)
			poll(&pfd, 1, (int)wait);
	}
	if (t->queued)
		host_log("%zu reports were not delivered before stopping", t->queued);
}
