/*
 * usage.c - what metering reads in a model call: the usage of an answer, whole (JSON) or streamed
 * (server-sent events, fed in as it arrives, in pieces cut anywhere), and the one change it makes
 * to a request (OpenAI streamed chat completions ask for usage in the stream). The shapes are the
 * table under "Usage metering" in docs/container-protocol.md. No I/O: bytes in, numbers out.
 */
#define _GNU_SOURCE
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "host.h"

#define SSE_LINE_MAX (256 * 1024) /* a longer line is dropped, and with it its event */
#define SSE_DATA_MAX (256 * 1024) /* one event's data */
#define TOKENS_MAX 1e15           /* more than any call spends; keeps the conversion defined */

static const cJSON *get(const cJSON *o, const char *key)
{
	return cJSON_GetObjectItemCaseSensitive(o, key);
}

/* A token count: a non-negative number (a fraction is cut). *present tells whether it was there. */
static int64_t tokens(const cJSON *o, const char *key, int *present)
{
	const cJSON *v = get(o, key);

	if (!cJSON_IsNumber(v) || !(v->valuedouble >= 0) || v->valuedouble > TOKENS_MAX)
		return 0;
	if (present)
		*present = 1;
	return (int64_t)v->valuedouble;
}

static void set_model(struct usage *u, const cJSON *model)
{
	size_t len;

	if (!cJSON_IsString(model) || !*model->valuestring)
		return;
	len = strlen(model->valuestring);
	if (len > USAGE_MODEL_MAX)
		len = USAGE_MODEL_MAX;
	memcpy(u->model, model->valuestring, len);
	/* The model goes into a JSON report: valid UTF-8 only. */
	text_clean(u->model, len, USAGE_MODEL_MAX);
}

/* usage.cost in USD -> integer microdollars, rounded; -1 when absent or not a sane amount. */
static int64_t cost_microusd(const cJSON *usage)
{
	const cJSON *v = get(usage, "cost");
	double micro;

	if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || v->valuedouble < 0)
		return -1;
	micro = v->valuedouble * 1e6;
	if (micro > TOKENS_MAX)
		return -1;
	return (int64_t)llround(micro);
}

/* An OpenAI-compatible usage object (chat completions, responses, embeddings). */
static void openai_usage(struct usage *u, const cJSON *usage)
{
	int present = 0;
	int64_t prompt, cached;
	const cJSON *details;

	if (!cJSON_IsObject(usage))
		return;
	prompt = get(usage, "prompt_tokens") ? tokens(usage, "prompt_tokens", &present)
					      : tokens(usage, "input_tokens", &present);
	u->output = get(usage, "completion_tokens") ? tokens(usage, "completion_tokens", &present)
						    : tokens(usage, "output_tokens", &present);
	if (!present)
		return;
	details = get(usage, "prompt_tokens_details");
	if (!cJSON_IsObject(details))
		details = get(usage, "input_tokens_details");
	cached = tokens(details, "cached_tokens", NULL);
	u->found = 1;
	u->cache_read = cached;
	u->input = prompt > cached ? prompt - cached : 0;
	u->cache_write = 0;
	u->cost_microusd = cost_microusd(usage);
}

/* An Anthropic usage object (a message, or message_start's message). */
static void anthropic_usage(struct usage *u, const cJSON *usage)
{
	int present = 0;

	if (!cJSON_IsObject(usage))
		return;
	u->input = tokens(usage, "input_tokens", &present);
	u->output = tokens(usage, "output_tokens", &present);
	u->cache_read = tokens(usage, "cache_read_input_tokens", NULL);
	u->cache_write = tokens(usage, "cache_creation_input_tokens", NULL);
	u->cost_microusd = -1;
	if (present)
		u->found = 1;
}

void usage_init(struct usage *u)
{
	memset(u, 0, sizeof *u);
	u->cost_microusd = -1;
}

int usage_from_json(enum usage_api api, const char *body, size_t len, struct usage *u)
{
	cJSON *root = cJSON_ParseWithLength(body, len);

	usage_init(u);
	if (!cJSON_IsObject(root)) {
		cJSON_Delete(root);
		return 0;
	}
	if (api == USAGE_OPENAI)
		openai_usage(u, get(root, "usage"));
	else
		anthropic_usage(u, get(root, "usage"));
	if (u->found)
		set_model(u, get(root, "model"));
	cJSON_Delete(root);
	return u->found;
}

/* ---- server-sent events -------------------------------------------------------------------- */

void usage_sse_init(struct usage_sse *s, enum usage_api api)
{
	memset(s, 0, sizeof *s);
	s->api = api;
	usage_init(&s->u);
}

void usage_sse_release(struct usage_sse *s)
{
	free(s->line);
	free(s->data);
	s->line = s->data = NULL;
	s->line_len = s->line_cap = s->data_len = s->data_cap = 0;
}

/* Make buf hold need bytes (at most max); -1 when it cannot. */
static int reserve(char **buf, size_t *cap, size_t need, size_t max)
{
	size_t grown = *cap ? *cap : 1024;
	char *p;

	if (need <= *cap)
		return 0;
	if (need > max)
		return -1;
	while (grown < need)
		grown *= 2;
	if (grown > max)
		grown = max;
	p = realloc(*buf, grown);
	if (!p)
		return -1;
	*buf = p;
	*cap = grown;
	return 0;
}

/* One complete event's data: a JSON chunk (or [DONE]). */
static void sse_event(struct usage_sse *s, const char *data, size_t len)
{
	const cJSON *type;
	cJSON *chunk;

	/* Most chunks carry text, not usage: only those that name it are parsed. */
	if (!memmem(data, len, "\"usage\"", 7))
		return;
	chunk = cJSON_ParseWithLength(data, len);
	if (!cJSON_IsObject(chunk)) {
		cJSON_Delete(chunk);
		return;
	}
	if (s->api == USAGE_OPENAI) {
		const cJSON *response = get(chunk, "response"); /* /v1/responses: response.completed */
		if (cJSON_IsObject(get(chunk, "usage"))) {
			openai_usage(&s->u, get(chunk, "usage"));
			set_model(&s->u, get(chunk, "model"));
		} else if (cJSON_IsObject(response) && cJSON_IsObject(get(response, "usage"))) {
			openai_usage(&s->u, get(response, "usage"));
			set_model(&s->u, get(response, "model"));
		}
	} else {
		type = get(chunk, "type");
		if (cJSON_IsString(type) && strcmp(type->valuestring, "message_start") == 0) {
			const cJSON *msg = get(chunk, "message");
			anthropic_usage(&s->u, get(msg, "usage"));
			set_model(&s->u, get(msg, "model"));
		} else if (cJSON_IsString(type) && strcmp(type->valuestring, "message_delta") == 0 &&
			   s->u.found) {
			const cJSON *usage = get(chunk, "usage");
			int present = 0;
			int64_t out = tokens(usage, "output_tokens", &present);
			if (present)
				s->u.output = out;
		}
	}
	cJSON_Delete(chunk);
}

static void sse_dispatch(struct usage_sse *s)
{
	if (s->has_data && !s->data_over)
		sse_event(s, s->data, s->data_len);
	s->data_len = 0;
	s->has_data = s->data_over = 0;
}

/* A complete line: a blank one ends the event; data lines add to it; other fields do not matter. */
static void sse_line(struct usage_sse *s)
{
	const char *v;
	size_t n;

	if (s->line_over) {
		s->data_over = 1; /* it may have been data: the event is incomplete */
	} else if (s->line_len == 0) {
		sse_dispatch(s);
	} else if (s->line_len >= 5 && memcmp(s->line, "data:", 5) == 0) {
		v = s->line + 5;
		n = s->line_len - 5;
		if (n && *v == ' ')
			v++, n--;
		/* Lines of one event are joined with '\n'. */
		if (reserve(&s->data, &s->data_cap, s->data_len + n + 1, SSE_DATA_MAX) < 0) {
			s->data_over = 1;
		} else if (!s->data_over) {
			if (s->has_data)
				s->data[s->data_len++] = '\n';
			memcpy(s->data + s->data_len, v, n);
			s->data_len += n;
		}
		s->has_data = 1;
	}
	s->line_len = 0;
	s->line_over = 0;
}

void usage_sse_feed(struct usage_sse *s, const char *buf, size_t len)
{
	size_t i = 0;

	while (i < len) {
		size_t j = i;
		if (s->after_cr) {
			s->after_cr = 0;
			if (buf[i] == '\n') { /* the LF of a CRLF */
				i++;
				continue;
			}
		}
		while (j < len && buf[j] != '\n' && buf[j] != '\r')
			j++;
		if (j > i && !s->line_over) {
			if (reserve(&s->line, &s->line_cap, s->line_len + (j - i), SSE_LINE_MAX) < 0) {
				s->line_over = 1;
			} else {
				memcpy(s->line + s->line_len, buf + i, j - i);
				s->line_len += j - i;
			}
		}
		if (j == len)
			return; /* the line goes on in the next piece */
		s->after_cr = buf[j] == '\r';
		sse_line(s);
		i = j + 1;
	}
}

int usage_sse_end(struct usage_sse *s, struct usage *u)
{
	/* A stream cut short of its last blank line still had its last event. */
	if (s->line_len || s->line_over)
		sse_line(s);
	sse_dispatch(s);
	*u = s->u;
	return u->found;
}

/* ---- the request --------------------------------------------------------------------------- */

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

int usage_request(enum usage_api api, const char *method, const char *path, const char *body,
		  size_t len, char **new_body, char *model, size_t model_cap)
{
	cJSON *root, *opts;
	const cJSON *m;
	size_t i = 0;

	*new_body = NULL;
	if (model_cap)
		model[0] = '\0';
	while (i < len && (body[i] == ' ' || body[i] == '\t' || body[i] == '\r' || body[i] == '\n'))
		i++;
	if (i == len || body[i] != '{')
		return 0;
	root = cJSON_ParseWithLength(body, len);
	if (!cJSON_IsObject(root)) {
		cJSON_Delete(root);
		return 0;
	}
	m = get(root, "model");
	if (cJSON_IsString(m) && model_cap) {
		size_t n = strlen(m->valuestring);
		if (n >= model_cap)
			n = model_cap - 1;
		memcpy(model, m->valuestring, n);
		text_clean(model, n, model_cap - 1);
	}
	if (api == USAGE_OPENAI && strcmp(method, "POST") == 0 && ends_with(path, "/chat/completions") &&
	    cJSON_IsTrue(get(root, "stream"))) {
		opts = cJSON_GetObjectItemCaseSensitive(root, "stream_options");
		if (!cJSON_IsObject(opts)) {
			/* Absent, null or not an object: ours replaces it. */
			cJSON_DeleteItemFromObjectCaseSensitive(root, "stream_options");
			opts = cJSON_AddObjectToObject(root, "stream_options");
		}
		if (opts && !cJSON_IsTrue(get(opts, "include_usage"))) {
			cJSON_DeleteItemFromObjectCaseSensitive(opts, "include_usage");
			cJSON_AddTrueToObject(opts, "include_usage");
			*new_body = cJSON_PrintUnformatted(root);
		}
	}
	cJSON_Delete(root);
	return *new_body ? 1 : 0;
}
