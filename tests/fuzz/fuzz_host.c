/*
 * fuzz_host.c - what the agent host reads from outside, without its sockets (libmicrohttpd parses
 * HTTP itself): the metering proxy's usage in OpenAI and Anthropic answers, whole JSON and
 * server-sent events cut anywhere (host/usage.c), the request body it rewrites; the town's request
 * signature (host/sign.c); the start request (host/start.c); git's numstat listings (diffstat.c).
 *
 * Input: byte 0 the reader (and bit 3 the API, OpenAI or Anthropic), byte 1 its own choice (the
 * SSE piece size, the request path); the rest its bytes. The signature reader takes
 * "header\nbody"; diffstat "numstat\x01names".
 */
#include "fuzz.h"
#include "host.h"

static const char SIGN_SECRET[] = "fuzz-host-secret-0123456789";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const paths[] = {"/v1/chat/completions", "/v1/responses", "/v1/messages", "/x"};
	struct fz f = {data, size};
	unsigned mode = fz_byte(&f), choice = fz_byte(&f);
	enum usage_api api = (mode >> 3) & 1 ? USAGE_ANTHROPIC : USAGE_OPENAI;
	char *text = malloc(f.n + 1);
	struct usage u;

	memcpy(text, f.p, f.n);
	text[f.n] = '\0';
	switch (mode % 6) {
	case 0:
		usage_from_json(api, (const char *)f.p, f.n, &u);
		break;
	case 1: {
		struct usage_sse s;
		size_t piece = choice ? choice : f.n + 1;

		usage_sse_init(&s, api);
		for (size_t i = 0; i < f.n; i += piece)
			usage_sse_feed(&s, (const char *)f.p + i, f.n - i < piece ? f.n - i : piece);
		usage_sse_end(&s, &u);
		usage_sse_release(&s);
		break;
	}
	case 2: {
		char *body = NULL, model[USAGE_MODEL_MAX + 1];

		usage_request(api, choice & 4 ? "GET" : "POST", paths[choice % 4], (const char *)f.p, f.n, &body, model,
			      sizeof model);
		cJSON_free(body);
		break;
	}
	case 3: {
		char *nl = strchr(text, '\n');
		const char *why = NULL;
		size_t body_len = nl ? f.n - (size_t)(nl + 1 - text) : 0;

		if (nl)
			*nl = '\0';
		sign_check(SIGN_SECRET, sizeof SIGN_SECRET - 1, text, "POST", "/towns/t1/agents/toast/start",
			   nl ? nl + 1 : "", body_len, (int64_t)FZ_NOW, &why);
		break;
	}
	case 4: {
		struct start s;
		struct herr e = {0};

		memset(&s, 0, sizeof s);
		if (start_parse((const char *)f.p, f.n, "t1", "toast", &s, &e) == 0)
			start_release(&s);
		break;
	}
	default: {
		char *sep = memchr(text, 1, f.n);
		cJSON *files = cJSON_CreateArray();

		if (sep)
			*sep = '\0';
		diffstat_parse(text, sep ? sep + 1 : "", files);
		cJSON_Delete(files);
		/* The same listing as a repository's files: a language, never NULL. */
		if (!diffstat_language(text))
			abort();
		break;
	}
	}
	free(text);
	return 0;
}
