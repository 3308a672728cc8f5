/*
 * call.c - one API call as a command makes it: send the body, print the error or hand back the
 * answer, print the answer's data as text or --json. The network is http.c's; the error's words
 * are cli_fail's (gt.c). Commands that read the answer themselves use cli_call alone.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

int cli_int(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsNumber(v) && v->valuedouble > -2147483648.0 && v->valuedouble < 2147483648.0 ? (int)v->valuedouble : 0;
}

void cli_wipe_strings(cJSON *o)
{
	cJSON *s;

	cJSON_ArrayForEach(s, o) {
		if (cJSON_IsString(s) && s->valuestring)
			explicit_bzero(s->valuestring, strlen(s->valuestring));
		cli_wipe_strings(s);
	}
}

int cli_call(struct cli *cli, const char *method, const struct http_path *p, cJSON *body, cJSON **res_out)
{
	char err[256] = "", *payload;
	int status, had_body = body != NULL;

	*res_out = NULL;
	if (p->overflow) {
		cJSON_Delete(body);
		fprintf(stderr, "gt: the request path is too long\n");
		return 2;
	}
	payload = body ? cJSON_PrintUnformatted(body) : NULL;
	cli_wipe_strings(body);
	cJSON_Delete(body);
	if (had_body && !payload) {
		fprintf(stderr, "gt: out of memory\n");
		return 1;
	}
	status = http_call(cli, method, p->s, payload, res_out, err, sizeof err);
	if (payload) {
		explicit_bzero(payload, strlen(payload));
		cJSON_free(payload);
	}
	if (status >= 200 && status <= 299)
		return 0;
	cli_fail(cli, status, *res_out, err);
	cJSON_Delete(*res_out);
	*res_out = NULL;
	return 1;
}

int cli_call_text(struct cli *cli, const char *method, const struct http_path *p, const char *text,
		  const char *content_type, cJSON **res_out)
{
	char err[256] = "";
	int status;

	*res_out = NULL;
	if (p->overflow) {
		fprintf(stderr, "gt: the request path is too long\n");
		return 2;
	}
	status = http_call_typed(cli, method, p->s, text, content_type, res_out, err, sizeof err);
	if (status >= 200 && status <= 299)
		return 0;
	cli_fail(cli, status, *res_out, err);
	cJSON_Delete(*res_out);
	*res_out = NULL;
	return 1;
}

void cli_print_json(const cJSON *v)
{
	char *s = cJSON_Print(v);

	printf("%s\n", s ? s : "null");
	cJSON_free(s);
}

void cli_print_data(const struct cli *cli, const cJSON *res, void (*text)(const cJSON *data))
{
	const cJSON *data = cJSON_GetObjectItemCaseSensitive(res, "data");

	if (cli->json)
		cli_print_json(data);
	else if (text)
		text(data);
}

int cli_call_print(struct cli *cli, const char *method, const struct http_path *p, cJSON *body,
		   void (*text)(const cJSON *data))
{
	cJSON *res;
	int rc = cli_call(cli, method, p, body, &res);

	if (rc == 0)
		cli_print_data(cli, res, text);
	cJSON_Delete(res);
	return rc;
}
