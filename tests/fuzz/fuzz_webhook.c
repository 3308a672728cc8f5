/*
 * fuzz_webhook.c - deliveries from GitHub, GitLab and Slack (POST /api/towns/t1/hooks/:platform) to
 * a town with the three integrations configured. The harness signs the fuzzer's body with the
 * integration's secret (unless told not to), so bodies get past the signature into the platforms'
 * readers (src/hooks/) and the rules.
 *
 * Input: line 1 "PLATFORM EVENT" (github: X-GitHub-Event; gitlab: X-Gitlab-Event; slack: "form"
 * or "json", the content type); line 2 the choices: signature (0 valid, 1 wrong, 2 none) and
 * delivery id (0 one, 1 none, 2 too long); the rest is the body.
 */
#include "fuzz.h"
#include "core/core.h"

/* The event header is cut to this, so the headers always fit. */
#define EVENT_MAX 200

static void hex(const unsigned char *mac, char *out)
{
	for (int i = 0; i < 32; i++)
		sprintf(out + 2 * i, "%02x", mac[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = {data, size};
	char *first = fz_line(&f), *choices = fz_line(&f), *event, sig[80] = "", headers[2048], path[64];
	unsigned sign = choices[0] ? (unsigned char)choices[0] % 3 : 0;
	unsigned delivery = choices[0] && choices[1] ? (unsigned char)choices[1] % 3 : 0;
	const char *ids[] = {"d-1", NULL, "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"
					  "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"};
	const char *id = ids[delivery];
	struct eng_output out;
	unsigned char mac[32];

	fz_world_init(ENG_TOWN, "t1", 0, fz_build_town);
	fz_world_reset();
	event = strchr(first, ' ');
	if (event)
		*event++ = '\0';
	else
		event = "";
	snprintf(path, sizeof path, "/api/towns/t1/hooks/%.20s", first);
	if (strcmp(first, "gitlab") == 0) {
		snprintf(headers, sizeof headers, "{\"x-gitlab-event\":");
		fz_json_str(headers, sizeof headers, event, strnlen(event, EVENT_MAX));
		if (sign != 2)
			snprintf(headers + strlen(headers), sizeof headers - strlen(headers), ",\"x-gitlab-token\":\"%s\"",
				 sign == 0 ? FZ_GITLAB_TOKEN : "wrong");
		if (id)
			snprintf(headers + strlen(headers), sizeof headers - strlen(headers), ",\"idempotency-key\":\"%s\"", id);
	} else if (strcmp(first, "slack") == 0) {
		static const char ts[] = "1700000000";
		struct mac_part parts[] = {{"v0:", 3}, {ts, strlen(ts)}, {":", 1}, {f.p, f.n}};

		mac_hmac_sha256(FZ_SLACK_SECRET, strlen(FZ_SLACK_SECRET), parts, 4, mac);
		strcpy(sig, "v0=");
		hex(mac, sig + 3);
		if (sign == 1)
			sig[3] ^= 1;
		snprintf(headers, sizeof headers, "{\"content-type\":\"%s\",\"x-slack-request-timestamp\":\"%s\"",
			 strcmp(event, "json") == 0 ? "application/json" : "application/x-www-form-urlencoded", ts);
		if (sign != 2)
			snprintf(headers + strlen(headers), sizeof headers - strlen(headers), ",\"x-slack-signature\":\"%s\"", sig);
		if (delivery == 1)
			strcat(headers, ",\"x-slack-retry-num\":\"1\"");
	} else {
		struct mac_part part = {f.p, f.n};

		mac_hmac_sha256(FZ_GITHUB_SECRET, strlen(FZ_GITHUB_SECRET), &part, 1, mac);
		strcpy(sig, "sha256=");
		hex(mac, sig + 7);
		if (sign == 1)
			sig[7] ^= 1;
		snprintf(headers, sizeof headers, "{\"content-type\":\"application/json\",\"x-github-event\":");
		fz_json_str(headers, sizeof headers, event, strnlen(event, EVENT_MAX));
		if (sign != 2)
			snprintf(headers + strlen(headers), sizeof headers - strlen(headers), ",\"x-hub-signature-256\":\"%s\"", sig);
		if (id)
			snprintf(headers + strlen(headers), sizeof headers - strlen(headers), ",\"x-github-delivery\":\"%s\"", id);
	}
	strcat(headers, "}");
	fz_request("POST", path, NULL, f.p, f.n, headers, &out);
	free(first);
	free(choices);
	return 0;
}
