/*
 * fuzz_gt.c - gt reading the town's answers: the error envelope it prints (cli_fail) and the
 * scripted agent's gt-script block, taken from the bead in the prime answer (cli/script.c, whose
 * parser is static: this file includes it). The rest of gt prints the answers' data field by field
 * with cJSON's getters and does not parse further.
 *
 * Input: byte 0 the choices (bit 0 --json, bit 1 an agent's token, bits 2-4 the status); the rest
 * is the answer's body, parsed as http.c does.
 */
#include "fuzz.h"
#include "../../cli/script.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int statuses[] = {0, 200, 400, 401, 403, 404, 409, 500};
	static int devnull = -1, saved = -1;
	struct fz f = {data, size};
	unsigned choice = fz_byte(&f);
	struct cli cli = {.url = "http://127.0.0.1:9", .json = choice & 1, .as_agent = (choice >> 1) & 1};
	char *text = malloc(f.n + 1);
	struct script s = {0};
	const char *body;
	cJSON *res;

	if (devnull < 0) {
		devnull = open("/dev/null", O_WRONLY);
		saved = dup(2);
	}
	memcpy(text, f.p, f.n);
	text[f.n] = '\0';
	res = cJSON_Parse(text);
	/* What gt prints goes to /dev/null; libFuzzer's own report still reaches stderr. */
	fflush(stderr);
	dup2(devnull, 2);
	cli_fail(&cli, statuses[(choice >> 2) % 8], res, "connection refused");
	body = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(res, "data"), "bead"), "body"));
	/* A bead's body, or the whole input when the answer holds none: the parser sees both. */
	if (script_extract(body ? body : text, &s.text) == 0)
		script_parse(&s);
	script_release(&s);
	fflush(stderr);
	dup2(saved, 2);
	cJSON_Delete(res);
	free(text);
	return 0;
}
