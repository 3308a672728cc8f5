/*
 * terminal.c - dashboard terminals: WebSockets attached to the agents' PTYs. server.c does the
 * handshake (libmicrohttpd's upgrade); the socket is then ours, non-blocking, polled by the host's
 * one loop, with libwslay (sans I/O) doing the framing. On attach the agent's scrollback goes out,
 * then every chunk of its output, as binary frames; text frames {"type":"input"} and
 * {"type":"resize"} come back. A viewer that does not read is dropped rather than buffered for.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>
#include <wslay/wslay.h>

#include "host.h"

#define QUEUE_MAX (256 * 1024)    /* output waiting for one viewer; past it the viewer is dropped */
#define RECV_MSG_MAX (64 * 1024)  /* one message from a viewer (wslay closes with 1009 past it) */
#define RECV_TURN_MAX (64 * 1024) /* read from one viewer per loop turn: none starves the others */
#define INPUT_MAX 4096            /* the data of one input message */
#define CLOSE_WAIT_MS 2000        /* for the viewer's answer to our close */
#define DIM_MIN 10                /* columns and rows a resize may ask for */
#define DIM_MAX 500

struct term {
	struct term *next;
	struct agent *agent;          /* NULL once its process has ended */
	char name[2 * HOST_ID_MAX + 2]; /* town/agent, for the log */
	int fd;
	struct MHD_UpgradeResponseHandle *urh;
	wslay_event_context_ptr ws;
	int ro;                       /* a viewer only: input and resize are ignored */
	char *early;                  /* what MHD read past the request, read before the socket */
	size_t early_len, early_off;
	size_t turn_read;
	int64_t close_by;             /* mono ms: our close frame is queued; 0 when not closing */
	int dead;                     /* to be let go by terminal_tick */
};

/* ---- the scrollback ------------------------------------------------------------------------ */

static void scrollback_push(struct scrollback *sb, const char *data, size_t n)
{
	size_t at;

	if (!sb->buf && !(sb->buf = malloc(HOST_SCROLLBACK)))
		return; /* no scrollback for late viewers; live output still flows */
	if (n >= HOST_SCROLLBACK) {
		memcpy(sb->buf, data + n - HOST_SCROLLBACK, HOST_SCROLLBACK);
		sb->start = 0;
		sb->len = HOST_SCROLLBACK;
		return;
	}
	at = (sb->start + sb->len) % HOST_SCROLLBACK;
	for (size_t done = 0; done < n;) {
		size_t piece = n - done < HOST_SCROLLBACK - at ? n - done : HOST_SCROLLBACK - at;
		memcpy(sb->buf + at, data + done, piece);
		done += piece;
		at = (at + piece) % HOST_SCROLLBACK;
	}
	sb->len += n;
	if (sb->len > HOST_SCROLLBACK) {
		sb->start = (sb->start + sb->len - HOST_SCROLLBACK) % HOST_SCROLLBACK;
		sb->len = HOST_SCROLLBACK;
	}
}

void scrollback_free(struct scrollback *sb)
{
	free(sb->buf);
	*sb = (struct scrollback){0};
}

/* ---- sending ------------------------------------------------------------------------------- */

static void drop(struct term *t, const char *why)
{
	if (!t->dead)
		host_log("terminal on %s: %s", t->name, why);
	t->dead = 1;
}

/* Send what wslay has queued, as far as the socket takes it now. */
static void flush(struct term *t)
{
	if (!t->dead && wslay_event_want_write(t->ws) && wslay_event_send(t->ws) != 0)
		drop(t, "cannot send");
}

static void queue_binary(struct term *t, const void *data, size_t n)
{
	struct wslay_event_msg msg = {.opcode = WSLAY_BINARY_FRAME, .msg = data, .msg_length = n};

	if (t->dead || t->close_by || n == 0)
		return;
	if (wslay_event_get_queued_msg_length(t->ws) + n > QUEUE_MAX) {
		drop(t, "dropped: the viewer does not read");
		return;
	}
	if (wslay_event_queue_msg(t->ws, &msg) != 0)
		drop(t, "cannot queue output");
}

static void close_with(struct term *t, uint16_t code, const char *reason)
{
	if (t->dead || t->close_by)
		return;
	if (wslay_event_queue_close(t->ws, code, (const uint8_t *)reason, strlen(reason)) != 0) {
		drop(t, "cannot queue the close");
		return;
	}
	t->close_by = mono_ms() + CLOSE_WAIT_MS;
}

/* Output of agent a: the scrollback, then every terminal attached to it. */
static void emit(struct host *h, struct agent *a, const char *data, size_t n)
{
	scrollback_push(&a->sb, data, n);
	for (struct term *t = h->terms; t; t = t->next) {
		if (t->agent != a)
			continue;
		queue_binary(t, data, n);
		flush(t);
	}
}

void terminal_output(struct host *h, struct agent *a, const char *data, size_t n, int crlf)
{
	char buf[8192];
	size_t len = 0;

	if (!crlf) {
		emit(h, a, data, n);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (data[i] == '\n')
			buf[len++] = '\r';
		buf[len++] = data[i];
		if (len + 2 > sizeof buf) {
			emit(h, a, buf, len);
			len = 0;
		}
	}
	if (len)
		emit(h, a, buf, len);
}

/* The scrollback in order: its older part, then what wrapped around. */
static void send_scrollback(struct term *t, const struct scrollback *sb)
{
	size_t first, skip = 0;

	if (!sb->buf || !sb->len)
		return;
	first = sb->len < HOST_SCROLLBACK - sb->start ? sb->len : HOST_SCROLLBACK - sb->start;
	/* A full ring starts anywhere: not in the middle of a UTF-8 character. */
	if (sb->len == HOST_SCROLLBACK)
		while (skip < 3 && skip < first && (sb->buf[sb->start + skip] & 0xc0) == 0x80)
			skip++;
	queue_binary(t, sb->buf + sb->start + skip, first - skip);
	queue_binary(t, sb->buf, sb->len - first);
}

/* ---- receiving ----------------------------------------------------------------------------- */

static ssize_t ws_recv(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, int flags, void *user)
{
	struct term *t = user;
	ssize_t n;

	(void)flags;
	if (t->early_off < t->early_len) {
		size_t k = t->early_len - t->early_off < len ? t->early_len - t->early_off : len;
		memcpy(buf, t->early + t->early_off, k);
		t->early_off += k;
		return (ssize_t)k;
	}
	if (t->turn_read >= RECV_TURN_MAX) {
		wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK); /* the rest on the next turn */
		return -1;
	}
	do
		n = recv(t->fd, buf, len, 0);
	while (n < 0 && errno == EINTR);
	if (n > 0) {
		t->turn_read += (size_t)n;
		return n;
	}
	/* The end of the stream is a failure too: a viewer closes with a close frame. */
	wslay_event_set_error(ctx, n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) ? WSLAY_ERR_WOULDBLOCK
										  : WSLAY_ERR_CALLBACK_FAILURE);
	return -1;
}

static ssize_t ws_send(wslay_event_context_ptr ctx, const uint8_t *data, size_t len, int flags, void *user)
{
	struct term *t = user;
	ssize_t n;

	do
		n = send(t->fd, data, len, MSG_NOSIGNAL | (flags & WSLAY_MSG_MORE ? MSG_MORE : 0));
	while (n < 0 && errno == EINTR);
	if (n >= 0)
		return n;
	wslay_event_set_error(ctx, errno == EAGAIN || errno == EWOULDBLOCK ? WSLAY_ERR_WOULDBLOCK
									   : WSLAY_ERR_CALLBACK_FAILURE);
	return -1;
}

/* A whole number from lo to hi, or -1. */
static int dim(const cJSON *v)
{
	if (!cJSON_IsNumber(v) || v->valuedouble < DIM_MIN || v->valuedouble > DIM_MAX ||
	    v->valuedouble != (double)(int)v->valuedouble)
		return -1;
	return (int)v->valuedouble;
}

/* {"type":"input","data":"..."} or {"type":"resize","cols":N,"rows":M}; anything else is
 * ignored. What the terminal does not take at once is dropped: a viewer types, it does not
 * stream. */
static void on_text(struct term *t, const uint8_t *msg, size_t len)
{
	cJSON *o = cJSON_ParseWithLength((const char *)msg, len);
	const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "type"));
	int fd = t->agent->pty_fd;

	if (!type || t->ro || fd < 0) {
		cJSON_Delete(o);
		return;
	}
	if (strcmp(type, "input") == 0) {
		const char *data = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "data"));
		size_t n = data ? strlen(data) : 0;
		if (n > 0 && n <= INPUT_MAX && write(fd, data, n) < 0 && errno != EAGAIN)
			host_log("terminal on %s: cannot write input: %s", t->name, strerror(errno));
	} else if (strcmp(type, "resize") == 0) {
		int cols = dim(cJSON_GetObjectItemCaseSensitive(o, "cols"));
		int rows = dim(cJSON_GetObjectItemCaseSensitive(o, "rows"));
		if (cols > 0 && rows > 0)
			pty_resize(fd, (unsigned)cols, (unsigned)rows);
	}
	cJSON_Delete(o);
}

/* Pings are answered and closes returned by wslay itself. */
static void ws_on_msg(wslay_event_context_ptr ctx, const struct wslay_event_on_msg_recv_arg *arg, void *user)
{
	struct term *t = user;

	(void)ctx;
	if (t->dead || t->close_by || !t->agent)
		return;
	if (arg->opcode == WSLAY_TEXT_FRAME)
		on_text(t, arg->msg, arg->msg_length);
	else if (arg->opcode == WSLAY_BINARY_FRAME)
		close_with(t, WSLAY_CODE_UNSUPPORTED_DATA, "binary frames are not accepted");
}

/* ---- attach, poll, close ------------------------------------------------------------------- */

void terminal_attach(struct host *h, const char *town, const char *agent, int ro, int fd, void *urh,
		     const char *extra, size_t extra_len)
{
	static const struct wslay_event_callbacks callbacks = {
		.recv_callback = ws_recv, .send_callback = ws_send, .on_msg_recv_callback = ws_on_msg,
	};
	struct term *t = h->nterms < HOST_TERMINALS_MAX ? calloc(1, sizeof *t) : NULL;
	struct agent *a = agent_find(h, town, agent);
	int flags = fcntl(fd, F_GETFL);

	if (!t || flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0 ||
	    wslay_event_context_server_init(&t->ws, &callbacks, t) != 0 ||
	    (extra_len && !(t->early = malloc(extra_len)))) {
		host_log("terminal on %s/%s: cannot attach", town, agent);
		if (t && t->ws)
			wslay_event_context_free(t->ws);
		free(t);
		MHD_upgrade_action(urh, MHD_UPGRADE_ACTION_CLOSE);
		return;
	}
	wslay_event_config_set_max_recv_msg_length(t->ws, RECV_MSG_MAX);
	if (extra_len)
		memcpy(t->early, extra, extra_len);
	t->early_len = extra_len;
	t->fd = fd;
	t->urh = urh;
	t->ro = ro;
	snprintf(t->name, sizeof t->name, "%s/%s", town, agent);
	t->next = h->terms;
	h->terms = t;
	h->nterms++;
	if (a) {
		t->agent = a;
		send_scrollback(t, &a->sb);
		host_log("terminal attached to %s (%s)", t->name, ro ? "ro" : "rw");
	} else {
		close_with(t, WSLAY_CODE_NORMAL_CLOSURE, "agent ended"); /* it ended during the handshake */
	}
	flush(t);
}

void terminal_agent_ended(struct host *h, struct agent *a)
{
	for (struct term *t = h->terms; t; t = t->next) {
		if (t->agent != a)
			continue;
		t->agent = NULL;
		close_with(t, WSLAY_CODE_NORMAL_CLOSURE, "agent ended");
		flush(t);
	}
}

size_t terminal_pollfds(struct host *h, struct pollfd *pfds, struct term **owners, size_t n, size_t max)
{
	for (struct term *t = h->terms; t && n < max; t = t->next) {
		short events = 0;
		if (t->dead)
			continue;
		if (wslay_event_want_read(t->ws))
			events |= POLLIN;
		if (wslay_event_want_write(t->ws))
			events |= POLLOUT;
		pfds[n] = (struct pollfd){.fd = t->fd, .events = events};
		owners[n++] = t;
	}
	return n;
}

/* Both closes have gone by (or the socket failed): nothing more to do on this one. */
static void check_done(struct term *t)
{
	if (!t->dead && !wslay_event_want_read(t->ws) && !wslay_event_want_write(t->ws))
		t->dead = 1;
}

void terminal_on_ready(struct host *h, struct term *t, short revents)
{
	(void)h;
	if (t->dead)
		return;
	if (revents & (POLLIN | POLLHUP | POLLERR)) {
		t->turn_read = 0;
		if (!wslay_event_want_read(t->ws) || wslay_event_recv(t->ws) != 0) {
			drop(t, "the viewer went away");
			return;
		}
	}
	flush(t);
	check_done(t);
}

static void release(struct term *t)
{
	wslay_event_context_free(t->ws);
	shutdown(t->fd, SHUT_RDWR);
	MHD_upgrade_action(t->urh, MHD_UPGRADE_ACTION_CLOSE); /* MHD closes the socket */
	free(t->early);
	free(t);
}

void terminal_tick(struct host *h)
{
	int64_t now = mono_ms();

	for (struct term **p = &h->terms; *p;) {
		struct term *t = *p;
		if (!t->dead && t->close_by && now >= t->close_by)
			drop(t, "no answer to the close");
		check_done(t);
		if (!t->dead) {
			p = &t->next;
			continue;
		}
		*p = t->next;
		h->nterms--;
		release(t);
	}
}

int64_t terminal_deadline(const struct host *h)
{
	int64_t next = INT64_MAX;

	for (const struct term *t = h->terms; t; t = t->next)
		if (!t->dead && t->close_by && t->close_by < next)
			next = t->close_by;
	return next;
}

void terminal_shutdown(struct host *h)
{
	struct pollfd pfds[HOST_TERMINALS_MAX];
	struct term *owners[HOST_TERMINALS_MAX];
	int64_t give_up = mono_ms() + 1000;

	for (struct term *t = h->terms; t; t = t->next) {
		t->agent = NULL;
		close_with(t, WSLAY_CODE_GOING_AWAY, "host shutting down");
		flush(t);
	}
	terminal_tick(h);
	while (h->terms && mono_ms() < give_up) {
		size_t n = terminal_pollfds(h, pfds, owners, 0, HOST_TERMINALS_MAX);
		if (poll(pfds, n, 50) > 0)
			for (size_t i = 0; i < n; i++)
				if (pfds[i].revents)
					terminal_on_ready(h, owners[i], pfds[i].revents);
		terminal_tick(h);
	}
	for (struct term *t = h->terms; t; t = t->next)
		t->dead = 1;
	terminal_tick(h);
}
