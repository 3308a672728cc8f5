/*
 * fuzz_mcp.c - the town's MCP endpoint (POST /api/towns/t1/mcp, src/api/mcp.c): JSON-RPC messages
 * from each kind of caller, so tools/call reaches every tool's arguments with the roles that may
 * use it.
 *
 * Input: line 1 the choices: who calls (fz_who), the MCP-Protocol-Version (0 none, 1 2025-11-25,
 * 2 2025-06-18, 3 2025-03-26, 4 another), the Origin (0 none, 1 loopback, 2 another site); the rest
 * is the body, where "$bead" and the like name the town's objects (fz_expand).
 */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const versions[] = {NULL, "2025-11-25", "2025-06-18", "2025-03-26", "1999-01-01"};
	static const char *const origins[] = {NULL, "http://localhost:5173", "https://evil.example"};
	struct fz f = {data, size};
	char *choices = fz_line(&f), *body, auth[4200], headers[9000];
	size_t body_len;
	size_t n = strlen(choices);
	const char *who = fz_who(n > 0 ? (unsigned char)choices[0] - '0' : 0, auth, sizeof auth);
	const char *version = versions[(n > 1 ? (unsigned)(choices[1] - '0') : 0) % 5];
	const char *origin = origins[(n > 2 ? (unsigned)(choices[2] - '0') : 0) % 3];
	struct eng_output out;

	fz_world_init(ENG_TOWN, "t1", 0, fz_build_town);
	fz_world_reset();
	snprintf(headers, sizeof headers, "{\"content-type\":\"application/json\",\"accept\":\"application/json, "
		 "text/event-stream\",\"host\":\"town.example\"");
	if (who)
		snprintf(headers + strlen(headers), sizeof headers - strlen(headers), ",\"authorization\":\"%s\"", who);
	if (version)
		snprintf(headers + strlen(headers), sizeof headers - strlen(headers), ",\"mcp-protocol-version\":\"%s\"", version);
	if (origin)
		snprintf(headers + strlen(headers), sizeof headers - strlen(headers), ",\"origin\":\"%s\"", origin);
	strcat(headers, "}");
	body = fz_expand(f.p, f.n, &body_len);
	fz_request("POST", "/api/towns/t1/mcp", NULL, body, body_len, headers, &out);
	free(body);
	free(choices);
	return 0;
}
