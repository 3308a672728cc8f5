/*
 * fuzz_request.c - the request envelope and every town route's body, through eng_call on a town
 * with members, a rig, agents, beads, mail and integrations, so bodies reach the routes' own checks.
 *
 * Input: line 1 "METHOD PATTERN" of a route in the table (its :params filled with the town's ids),
 * else "METHOD PATH" sent as it is; line 2 the choices, one character each counted from '0': who
 * calls (fz_who), extra headers (bits: upgrade, origin, idempotency key, MCP version), then per
 * :param the known id it names ('7': an odd one); line 3 the query; the rest is the body, where "$bead" and
 * the like name the town's objects (fz_expand).
 */
#include "fuzz.h"
#include "api/api.h"

/* Values for a :param, the known ones first. */
static const char *param_value(const char *name, size_t nlen, unsigned choice)
{
	static const char *const odd[] = {"nope", "%00", "%2F", "..", "a%C3", "%E2%82%AC", "-x", "a%7Cb",
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"};
	const char *known[6] = {0};
	size_t k = 0;

#define IS(s) (nlen == strlen(s) && memcmp(name, s, nlen) == 0)
	if (IS("town"))
		known[k++] = "t1";
	else if (IS("rig"))
		known[k++] = "r";
	else if (IS("agent"))
		known[k++] = fz_town.polecat, known[k++] = fz_town.mayor, known[k++] = "refinery-r";
	else if (IS("bead") || IS("dep"))
		known[k++] = fz_town.bead, known[k++] = fz_town.bead2;
	else if (IS("convoy"))
		known[k++] = fz_town.convoy;
	else if (IS("mail"))
		known[k++] = fz_town.mail;
	else if (IS("escalation"))
		known[k++] = fz_town.escalation;
	else if (IS("user"))
		known[k++] = "bob", known[k++] = "vic", known[k++] = "ada", known[k++] = "sarah", known[k++] = "newbie";
	else if (IS("model"))
		known[k++] = "m1", known[k++] = "gpt-4o";
	else if (IS("scope"))
		known[k++] = "user-day", known[k++] = "rig-week", known[k++] = "town-month";
	else if (IS("key"))
		known[k++] = "bob", known[k++] = "r", known[k++] = "t1";
	else if (IS("platform"))
		known[k++] = "github", known[k++] = "gitlab", known[k++] = "slack";
	else if (IS("login"))
		known[k++] = "octocat";
#undef IS
	/* '0', '1', ... the known ids in turn; '7' (and every eighth choice) an odd one. */
	choice -= '0';
	if (k && choice % 8 != 7)
		return known[choice % 8 % k];
	return odd[choice / 8 % (sizeof odd / sizeof odd[0])];
}

/* The path of route r with its params filled by the choices. */
static void fill(const struct route *r, const char *choices, char *out, size_t cap)
{
	const char *p = r->pattern;
	size_t o = 0;

	while (*p && o + 1 < cap) {
		if (*p == ':') {
			size_t n = strcspn(p + 1, "/");
			const char *v = param_value(p + 1, n, *choices ? (unsigned char)*choices++ : 0);

			o += (size_t)snprintf(out + o, cap - o, "%s", v);
			p += n + 1;
		} else {
			out[o++] = *p++;
		}
	}
	out[o < cap ? o : cap - 1] = '\0';
}

static const struct route *find_route(const char *method, const char *pattern)
{
	for (size_t i = 0; i < route_count(); i++) {
		const struct route *r = route_at(i);

		if (r->kind == ENG_TOWN && strcmp(r->method, method) == 0 && strcmp(r->pattern, pattern) == 0)
			return r;
	}
	return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = {data, size};
	char *first, *choices, *query, *body, path[1024], auth[4200], headers[9000];
	size_t body_len;
	const char *method, *target, *who;
	const struct route *r;
	struct eng_output out;
	unsigned flags;
	char *sp;

	fz_world_init(ENG_TOWN, "t1", 0, fz_build_town);
	fz_world_reset();
	first = fz_line(&f);
	choices = fz_line(&f);
	query = fz_line(&f);
	sp = strchr(first, ' ');
	method = first;
	target = sp ? sp + 1 : "/";
	if (sp)
		*sp = '\0';
	if ((r = find_route(method, target)))
		fill(r, choices[0] && choices[1] ? choices + 2 : "", path, sizeof path);
	else
		snprintf(path, sizeof path, "%s", target);
	who = fz_who(choices[0] ? (unsigned char)choices[0] - '0' : 0, auth, sizeof auth);
	flags = choices[0] && choices[1] ? (unsigned char)choices[1] - '0' : 0;
	snprintf(headers, sizeof headers, "{\"content-type\":\"application/json\"");
	if (who)
		snprintf(headers + strlen(headers), sizeof headers - strlen(headers), ",\"authorization\":\"%s\"", who);
	if (flags & 1)
		strcat(headers, ",\"upgrade\":\"websocket\"");
	if (flags & 2)
		strcat(headers, ",\"origin\":\"https://evil.example\"");
	if (flags & 4)
		strcat(headers, ",\"idempotency-key\":\"k-1\"");
	if (flags & 8)
		strcat(headers, ",\"mcp-protocol-version\":\"2025-06-18\"");
	strcat(headers, "}");
	body = fz_expand(f.p, f.n, &body_len);
	fz_request(method, path, *query ? query : NULL, body, body_len, headers, &out);
	free(body);
	free(first);
	free(choices);
	free(query);
	return 0;
}
