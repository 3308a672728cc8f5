/*
 * outbound.c - a call to a platform's API as the town: the integration's api_url (or the platform's
 * own), its token, the headers each platform wants. Every call is an effect; its purpose's handler
 * gets the answer. Tokens go into the effect's headers only, never into a stored row or a log.
 */
#include <stdio.h>
#include <string.h>

#include "hooks/hooks.h"

#define CALL_TIMEOUT_MS 15000
#define TOKEN_LEN 8193

static const char *const api_default[] = {"https://api.github.com", "https://gitlab.com/api/v4", "https://slack.com/api"};
static const char *const token_name[] = {"github_token", "gitlab_token", "slack_bot_token"};

int hook_api_base(struct call *c, enum hook_platform p, char *out, size_t len)
{
	return integration_setting(c, p, "api_url", api_default[p], out, len);
}

int hook_call(struct call *c, enum hook_platform p, const char *purpose, const char *subject, const char *method,
	      const char *path, const cJSON *body)
{
	char api[201], token[TOKEN_LEN], auth[TOKEN_LEN + 16], url[1400], fx[48];
	char *text = NULL;
	cJSON *headers;
	int rc;

	if (hook_api_base(c, p, api, sizeof api) < 0 || (rc = town_secret(c, token_name[p], token, sizeof token)) < 0)
		return -1;
	if (!rc) {
		call_log(c, "warn", "nothing posted: the integration has no token", cJSON_CreateString(hook_platform_name(p)));
		return 0;
	}
	if (body && !(text = json_print(body)))
		return err_set(&c->err, ERR_INTERNAL, NULL, "out of memory");
	snprintf(url, sizeof url, "%s%s", api, path);
	headers = cJSON_CreateObject();
	cJSON_AddStringToObject(headers, "user-agent", "gastown-edge");
	if (text)
		cJSON_AddStringToObject(headers, "content-type", "application/json");
	if (p == HOOK_GITLAB) {
		cJSON_AddStringToObject(headers, "private-token", token);
	} else {
		snprintf(auth, sizeof auth, "Bearer %s", token);
		cJSON_AddStringToObject(headers, "authorization", auth);
		memset(auth, 0, sizeof auth);
	}
	if (p == HOOK_GITHUB) {
		cJSON_AddStringToObject(headers, "accept", "application/vnd.github+json");
		cJSON_AddStringToObject(headers, "x-github-api-version", "2022-11-28");
	}
	memset(token, 0, sizeof token);
	{
		struct effect_req r = {.purpose = purpose, .subject = subject, .method = method, .url = url,
				       .headers = headers, .body = text, .timeout_ms = CALL_TIMEOUT_MS};

		rc = effect_submit(c, &r, fx, sizeof fx);
	}
	cJSON_Delete(headers);
	cJSON_free(text);
	return rc < 0 ? -1 : 1;
}

void hook_url_escape(const char *in, char *out, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	for (; *in && o + 4 < len; in++) {
		unsigned char ch = (unsigned char)*in;

		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || strchr("-._~", ch)) {
			out[o++] = (char)ch;
		} else {
			out[o++] = '%';
			out[o++] = hex[ch >> 4];
			out[o++] = hex[ch & 15];
		}
	}
	out[o] = '\0';
}

int hook_answer_ok(const cJSON *result, int *status)
{
	*status = (int)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(result, "status"));
	return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(result, "ok")) && *status >= 200 && *status < 300;
}
