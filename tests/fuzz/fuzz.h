/*
 * fuzz.h - what the libFuzzer targets share: a reader over the fuzzer's bytes, and a town (or other
 * object) built once per process and put back after every input, so each input meets the same state
 * and a crash replays from its file alone. Putting it back is a rollback: once built, the engine
 * holds one transaction around every call (eng_test_hold) and each input starts with
 * eng_test_rewind. Every call gets the same clock and entropy that counts from the last reset: the
 * engine is deterministic, so the runs are too. Databases live in /dev/shm (or /tmp) and are
 * removed at exit. A target whose inputs first bring the object somewhere by scripted calls builds
 * one world per such place instead (fz_worlds_init) and picks one per input (fz_world_pick): the
 * scripted calls then run once per process, not once per input.
 */
#ifndef GASTOWN_FUZZ_H
#define GASTOWN_FUZZ_H

#include <fcntl.h>
#include <stdint.h>
#include <sys/stat.h>

#include "harness.h"

/* ---- the fuzzer's bytes ------------------------------------------------------------------------ */

struct fz {
	const uint8_t *p;
	size_t n;
};

/* The next byte, 0 once the input is spent. */
static inline unsigned fz_byte(struct fz *f)
{
	if (!f->n)
		return 0;
	f->n--;
	return *f->p++;
}

/* Up to one length byte's worth (0-255) of the next bytes, as a new NUL-terminated string (free it);
 * *len gets its length. Used for the short parts (query, header values) before a body. */
static inline char *fz_short(struct fz *f, size_t *len)
{
	size_t n = fz_byte(f);
	char *s;

	if (n > f->n)
		n = f->n;
	s = malloc(n + 1);
	memcpy(s, f->p, n);
	s[n] = '\0';
	f->p += n;
	f->n -= n;
	if (len)
		*len = n;
	return s;
}

/* One of the n choices by the next byte. */
#define FZ_PICK(f, arr) ((arr)[fz_byte(f) % (sizeof(arr) / sizeof((arr)[0]))])

/* ---- JSON text without a tree ---------------------------------------------------------------------- */

/* s (n bytes, may hold anything) as a JSON string literal appended to out (cap bytes, NUL-terminated). */
static inline void fz_json_str(char *out, size_t cap, const char *s, size_t n)
{
	size_t o = strlen(out);

	if (o + 2 >= cap)
		return;
	out[o++] = '"';
	for (size_t i = 0; i < n && o + 8 < cap; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '"' || ch == '\\') {
			out[o++] = '\\';
			out[o++] = (char)ch;
		} else if (ch < 0x20) {
			o += (size_t)snprintf(out + o, cap - o, "\\u%04x", ch);
		} else {
			out[o++] = (char)ch;
		}
	}
	out[o++] = '"';
	out[o] = '\0';
}

/* ---- an object built once, put back after each change -------------------------------------------- */

#define FZ_NOW 1.7e12
#define FZ_CONTAINER_SECRET "fuzz-container-secret-0123456789abcdef"

struct fz_world {
	struct eng *e;
	enum eng_kind kind;
	const char *id;
	int test_hooks;
	char path[128];
	unsigned counter;     /* calls since the last reset: the entropy */
	size_t resets;        /* inputs that changed the object */
	int building;         /* build() runs: every change is kept */
	double now_ms;        /* the clock: FZ_NOW, moved on only while building */
	unsigned built;       /* the counter when the world was built: ids drawn after it are new */
};

static struct fz_world fz_w; /* the world the calls go to */

/* The worlds built (one for fz_world_init); fz_w is a copy of the one picked, put back when
 * another is picked or at exit. */
#define FZ_WORLDS_MAX 8
static struct fz_world fz_worlds[FZ_WORLDS_MAX];
static unsigned fz_nworlds, fz_picked;

/* What the town holds, for the targets to name: ids found while building it. */
static struct {
	char polecat[64], mayor[64], bead[64], bead2[64], convoy[64], mail[64], escalation[64];
	char agent_token[4096], mayor_token[4096];
} fz_town;

/* The status of an output's meta ("{\"status\":NNN,..."), 0 when absent. */
static inline int fz_status(const struct eng_output *out)
{
	return out->meta_len > 13 && memcmp(out->meta, "{\"status\":", 10) == 0 ? atoi(out->meta + 10) : 0;
}

/* One event with the fixed clock. ENG_FATAL is a finding: the engine failed on input alone. */
static inline int fz_event(enum eng_event ev, const char *meta, size_t meta_len, const void *body, size_t body_len,
			   struct eng_output *out)
{
	unsigned char entropy[32] = {0x5a, 0x17, 0xc3};
	struct eng_input in = {.event = ev, .meta = meta, .meta_len = meta_len, .body = body ? body : "",
			       .body_len = body ? body_len : 0, .now_ms = fz_w.now_ms ? fz_w.now_ms : FZ_NOW, .entropy = entropy,
			       .entropy_len = sizeof entropy};
	int rc;

	fz_w.counter++;
	memcpy(entropy + 28, &fz_w.counter, sizeof fz_w.counter);
	rc = eng_call(fz_w.e, &in, out);
	if (rc != ENG_OK) {
		fprintf(stderr, "fuzz: eng_call returned ENG_FATAL: %.*s\n", (int)out->meta_len, out->meta);
		abort();
	}
	if (ev != ENG_EV_REQUEST && ev != ENG_EV_ALARM && getenv("FUZZ_VERBOSE"))
		fprintf(stderr, "fuzz: event %d %.*s -> %d %.200s\n", (int)ev, (int)meta_len, meta, fz_status(out), out->body);
	return fz_status(out);
}

/* A request; headers is a JSON object text or NULL. Returns the status. */
static inline int fz_request(const char *method, const char *path, const char *query, const void *body,
			     size_t body_len, const char *headers, struct eng_output *out)
{
	size_t cap = (strlen(method) + strlen(path) + (query ? strlen(query) : 0)) * 6 + (headers ? strlen(headers) : 2) + 128;
	char *meta = malloc(cap);
	int status;

	snprintf(meta, cap, "{\"method\":");
	fz_json_str(meta, cap, method, strlen(method));
	strcat(meta, ",\"path\":");
	fz_json_str(meta, cap, path, strlen(path));
	if (query) {
		strcat(meta, ",\"query\":");
		fz_json_str(meta, cap, query, strlen(query));
	}
	snprintf(meta + strlen(meta), cap - strlen(meta), ",\"headers\":%s}", headers ? headers : "{}");
	status = fz_event(ENG_EV_REQUEST, meta, strlen(meta), body, body_len, out);
	if (getenv("FUZZ_VERBOSE"))
		fprintf(stderr, "fuzz: %s %s -> %d %.200s\n", method, path, status, out->body);
	free(meta);
	return status;
}

/* The effects the world's building emitted: what the effect-result target answers. */
#define FZ_EFFECTS_MAX 64
static struct fz_effect {
	char id[48], method[16], url[200];
	char token[2048]; /* an agent start's token, "" for other effects */
} fz_effects[FZ_EFFECTS_MAX];
static size_t fz_neffects;

/* Note each effect of out (while building). */
static inline void fz_note_effects(const struct eng_output *out)
{
	cJSON *meta = cJSON_ParseWithLength(out->meta, out->meta_len);
	const cJSON *fx;

	cJSON_ArrayForEach(fx, cJSON_GetObjectItemCaseSensitive(meta, "effects")) {
		struct fz_effect *x = &fz_effects[fz_neffects];
		const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(fx, "id"));
		const char *method = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(fx, "method"));
		const char *url = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(fx, "url"));

		if (fz_neffects == FZ_EFFECTS_MAX || !id)
			break;
		snprintf(x->id, sizeof x->id, "%s", id);
		snprintf(x->method, sizeof x->method, "%s", method ? method : "");
		snprintf(x->url, sizeof x->url, "%s", url ? url : "");
		{
			cJSON *body = cJSON_Parse(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(fx, "body")));
			const char *token = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(body, "token"));

			snprintf(x->token, sizeof x->token, "%s", token ? token : "");
			cJSON_Delete(body);
		}
		fz_neffects++;
	}
	cJSON_Delete(meta);
}

/* For building a world: a request with a text body that must succeed; the data answered is parsed
 * into *data when data is given (the caller deletes it). */
static inline void fz_must(const char *method, const char *path, const char *body, const char *headers, cJSON **data)
{
	struct eng_output out;
	int status = fz_request(method, path, NULL, body, body ? strlen(body) : 0, headers, &out);

	if (status >= 300) {
		fprintf(stderr, "fuzz: setting up, %s %s answered %d: %.*s\n", method, path, status, (int)out.body_len,
			out.body);
		abort();
	}
	fz_note_effects(&out);
	if (data) {
		cJSON *root = cJSON_ParseWithLength(out.body, out.body_len);

		*data = cJSON_DetachItemFromObject(root, "data");
		cJSON_Delete(root);
	}
}

static inline void fz_open_engine(void)
{
	struct eng_config cfg = {.kind = fz_w.kind, .object_id = fz_w.id, .db_path = fz_w.path,
				 .admin_token = "operator-secret", .test_hooks = fz_w.test_hooks,
				 .jwt_secret = T_JWT_SECRET, .container_secret = FZ_CONTAINER_SECRET};
	char why[256];

	if (eng_open(&cfg, &fz_w.e, why, sizeof why) != ENG_OK) {
		fprintf(stderr, "fuzz: eng_open: %s\n", why);
		abort();
	}
	fz_w.counter = fz_w.built;
}

static void fz_world_atexit(void)
{
	if (getenv("FUZZ_VERBOSE"))
		fprintf(stderr, "fuzz: %zu inputs changed the object, %zu effects built; polecat %s, mayor %s, beads %s %s\n",
			fz_w.resets, fz_neffects, fz_town.polecat, fz_town.mayor, fz_town.bead, fz_town.bead2);
	for (size_t i = 0; getenv("FUZZ_VERBOSE") && i < fz_neffects; i++)
		fprintf(stderr, "fuzz: effect %zu: %s %s %s\n", i, fz_effects[i].id, fz_effects[i].method, fz_effects[i].url);
	fz_worlds[fz_picked] = fz_w;
	for (unsigned i = 0; i < fz_nworlds; i++) {
		eng_close(fz_worlds[i].e);
		unlink(fz_worlds[i].path);
	}
	fz_w.e = NULL;
}

/* How a world is built: plain() or staged(i). */
struct fz_builder {
	void (*plain)(void);
	void (*staged)(unsigned);
	unsigned i;
};

/* Build fz_w on a fresh database (the file name ends in tag), then open it again and hold. */
static inline void fz_world_build(enum eng_kind kind, const char *id, int test_hooks, const char *tag,
				  const struct fz_builder *b)
{
	memset(&fz_w, 0, sizeof fz_w);
	fz_w.kind = kind;
	fz_w.id = id;
	fz_w.test_hooks = test_hooks;
	snprintf(fz_w.path, sizeof fz_w.path, "%s/gastown-fuzz-%d%s.db", access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp",
		 (int)getpid(), tag);
	unlink(fz_w.path);
	fz_open_engine();
	fz_w.building = 1;
	if (b->plain)
		b->plain();
	if (b->staged)
		b->staged(b->i);
	fz_w.building = 0;
	fz_w.built = fz_w.counter;
	eng_close(fz_w.e);
	fz_open_engine();
	if (eng_test_hold(fz_w.e) != ENG_OK) {
		fprintf(stderr, "fuzz: cannot hold the transaction inputs are rolled back in\n");
		abort();
	}
}

/* Open an object of kind on a fresh database, run build() on it (every call committed), then open
 * it again, as a new instance would meet it, and hold the transaction every input is rolled back
 * in. Once per process. */
static inline void fz_world_init(enum eng_kind kind, const char *id, int test_hooks, void (*build)(void))
{
	struct fz_builder b = {.plain = build};

	if (fz_w.e)
		return;
	fz_world_build(kind, id, test_hooks, "", &b);
	fz_worlds[0] = fz_w;
	fz_nworlds = 1;
	atexit(fz_world_atexit);
}

/* n worlds of one object (n <= FZ_WORLDS_MAX), world i built by build(i) (every call committed,
 * the clock where build leaves it), each on its own database, opened again and held; world 0 is
 * picked. Once per process. */
static inline void fz_worlds_init(enum eng_kind kind, const char *id, int test_hooks, void (*build)(unsigned), unsigned n)
{
	if (fz_nworlds)
		return;
	for (unsigned i = 0; i < n && i < FZ_WORLDS_MAX; i++) {
		struct fz_builder b = {.staged = build, .i = i};
		char tag[16];

		snprintf(tag, sizeof tag, "-%u", i);
		fz_world_build(kind, id, test_hooks, tag, &b);
		fz_worlds[i] = fz_w;
		fz_nworlds = i + 1;
	}
	fz_w = fz_worlds[0];
	fz_picked = 0;
	atexit(fz_world_atexit);
}

/* Make world i the one the calls go to (fz_w), the one picked before put back as it is. */
static inline void fz_world_pick(unsigned i)
{
	if (i >= fz_nworlds || i == fz_picked)
		return;
	fz_worlds[fz_picked] = fz_w;
	fz_w = fz_worlds[i];
	fz_picked = i;
}

/* Before each input: the object as built (the last input's writes rolled back, the engine as
 * opened). Returns 1 when the last input had changed the object. */
static inline int fz_world_reset(void)
{
	int changed = 0;

	if (eng_test_rewind(fz_w.e, &changed) != ENG_OK) {
		fprintf(stderr, "fuzz: the rollback to the built object failed\n");
		abort();
	}
	fz_w.counter = fz_w.built;
	fz_w.resets += (size_t)changed;
	return changed;
}

/* ---- tokens ------------------------------------------------------------------------------------- */

/* The text up to the next '\n' (or the end) as a new string (free it); the reader moves past it. */
static inline char *fz_line(struct fz *f)
{
	const uint8_t *nl = memchr(f->p, '\n', f->n);
	size_t n = nl ? (size_t)(nl - f->p) : f->n;
	char *s = malloc(n + 1);

	memcpy(s, f->p, n);
	s[n] = '\0';
	f->p += n + (nl != NULL);
	f->n -= n + (nl != NULL);
	return s;
}

/* A headers object with a bearer token, in a static buffer. */
static inline const char *fz_bearer(const char *token)
{
	static char h[8400];

	snprintf(h, sizeof h, "{\"authorization\":\"Bearer %s\"}", token);
	return h;
}

/* ---- the town every engine target starts from ------------------------------------------------------ */

#define FZ_GITHUB_SECRET "fuzz-github-webhook-secret"
#define FZ_GITLAB_TOKEN "fuzz-gitlab-webhook-token"
#define FZ_SLACK_SECRET "fuzz-slack-signing-secret"

static inline void fz_copy_field(char *out, size_t cap, const cJSON *data, const char *field)
{
	const char *v = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(data, field));

	snprintf(out, cap, "%s", v ? v : "none");
}

/* Town t1 owned by sarah: admin ada, member bob, viewer vic; rig r (a GitHub repository), a polecat
 * and the Mayor with their tokens, two beads (one in a convoy), mail, an escalation, the three
 * integrations with their secrets, a price and a budget. */
static void __attribute__((unused)) fz_build_town(void)
{
	char path[256], body[512];
	cJSON *d;

	fz_must("POST", "/api/towns/t1", "{\"name\":\"T\"}", t_as("sarah"), NULL);
	fz_must("PUT", "/api/towns/t1/members/ada", "{\"role\":\"admin\",\"name\":\"Ada\"}", t_as("sarah"), NULL);
	fz_must("PUT", "/api/towns/t1/members/bob", "{\"role\":\"member\"}", t_as("sarah"), NULL);
	fz_must("PUT", "/api/towns/t1/members/vic", "{\"role\":\"viewer\"}", t_as("sarah"), NULL);
	fz_must("POST", "/api/towns/t1/rigs", "{\"id\":\"r\",\"git_url\":\"https://github.com/acme/app.git\"}", t_as("sarah"), NULL);
	fz_must("POST", "/api/towns/t1/rigs", "{\"id\":\"w\",\"git_url\":\"https://gitlab.com/acme/web.git\"}", t_as("sarah"), NULL);
	fz_must("POST", "/api/towns/t1/agents", "{\"role\":\"polecat\",\"rig\":\"r\"}", t_as("sarah"), &d);
	fz_copy_field(fz_town.polecat, sizeof fz_town.polecat, d, "id");
	cJSON_Delete(d);
	fz_must("POST", "/api/towns/t1/agents", "{\"role\":\"mayor\"}", t_as("sarah"), &d);
	fz_copy_field(fz_town.mayor, sizeof fz_town.mayor, d, "id");
	cJSON_Delete(d);
	fz_must("POST", "/api/towns/t1/beads", "{\"title\":\"Feature\",\"rig\":\"r\",\"labels\":[\"ui\"],"
		"\"body\":\"```gt-script\\nrun make\\ndone\\n```\"}", t_as("sarah"), &d);
	fz_copy_field(fz_town.bead, sizeof fz_town.bead, d, "id");
	cJSON_Delete(d);
	fz_must("POST", "/api/towns/t1/beads", "{\"title\":\"Other\"}", t_as("bob"), &d);
	fz_copy_field(fz_town.bead2, sizeof fz_town.bead2, d, "id");
	cJSON_Delete(d);
	snprintf(body, sizeof body, "{\"title\":\"C\",\"beads\":[\"%s\"]}", fz_town.bead2);
	fz_must("POST", "/api/towns/t1/convoys", body, t_as("sarah"), &d);
	fz_copy_field(fz_town.convoy, sizeof fz_town.convoy, d, "id");
	cJSON_Delete(d);
	snprintf(body, sizeof body, "{\"to\":\"%s\",\"subject\":\"s\",\"body\":\"b\"}", fz_town.polecat);
	fz_must("POST", "/api/towns/t1/mail", body, t_as("sarah"), &d);
	fz_copy_field(fz_town.mail, sizeof fz_town.mail, d, "id");
	cJSON_Delete(d);
	fz_must("POST", "/api/towns/t1/escalations", "{\"severity\":\"high\",\"title\":\"Stuck\"}", t_as("bob"), &d);
	fz_copy_field(fz_town.escalation, sizeof fz_town.escalation, d, "id");
	cJSON_Delete(d);
	fz_must("PUT", "/api/towns/t1/integrations/github", "{\"secrets\":{\"webhook_secret\":\"" FZ_GITHUB_SECRET "\",\"token\":\"ghp_fuzz\"}}",
		t_as("sarah"), NULL);
	fz_must("PUT", "/api/towns/t1/integrations/github/logins/octocat", "{\"user\":\"bob\"}", t_as("sarah"), NULL);
	fz_must("PUT", "/api/towns/t1/integrations/gitlab", "{\"secrets\":{\"webhook_token\":\"" FZ_GITLAB_TOKEN "\"}}",
		t_as("sarah"), NULL);
	fz_must("PUT", "/api/towns/t1/integrations/slack", "{\"secrets\":{\"signing_secret\":\"" FZ_SLACK_SECRET "\",\"bot_token\":\"xoxb-fuzz\"}}",
		t_as("sarah"), NULL);
	fz_must("PUT", "/api/towns/t1/prices/m1", "{\"input_per_mtok\":1,\"output_per_mtok\":2}", t_as("sarah"), NULL);
	fz_must("PUT", "/api/towns/t1/budgets/user-day/bob", "{\"limit_microusd\":20000}", t_as("sarah"), NULL);
	snprintf(path, sizeof path, "/api/towns/t1/agents/%s/hook", fz_town.polecat);
	snprintf(body, sizeof body, "{\"bead\":\"%s\"}", fz_town.bead);
	fz_must("POST", path, body, t_as("sarah"), NULL);
	snprintf(path, sizeof path, "/api/towns/t1/agents/%s/token", fz_town.polecat);
	fz_must("POST", path, NULL, t_as("sarah"), &d);
	fz_copy_field(fz_town.agent_token, sizeof fz_town.agent_token, d, "token");
	cJSON_Delete(d);
	snprintf(path, sizeof path, "/api/towns/t1/agents/%s/token", fz_town.mayor);
	fz_must("POST", path, NULL, t_as("sarah"), &d);
	fz_copy_field(fz_town.mayor_token, sizeof fz_town.mayor_token, d, "token");
	cJSON_Delete(d);
}

/* body with "$bead", "$bead2", "$polecat", "$mayor", "$convoy", "$mail" and "$escalation" replaced by
 * the town's ids, so a seed (and what the fuzzer makes of it) can name what exists; malloc'd. */
static inline char *fz_expand(const uint8_t *body, size_t len, size_t *out_len)
{
	const struct {
		const char *name;
		const char *value;
	} vars[] = {{"$bead2", fz_town.bead2}, {"$bead", fz_town.bead}, {"$polecat", fz_town.polecat},
		    {"$mayor", fz_town.mayor}, {"$convoy", fz_town.convoy}, {"$mail", fz_town.mail},
		    {"$escalation", fz_town.escalation}};
	char *out = malloc(len * 8 + 1);
	size_t o = 0;

	for (size_t i = 0; i < len;) {
		size_t k = 0, n = 0;

		if (body[i] == '$')
			for (k = 0; k < sizeof vars / sizeof vars[0]; k++)
				if (len - i >= (n = strlen(vars[k].name)) && memcmp(body + i, vars[k].name, n) == 0)
					break;
		if (body[i] == '$' && k < sizeof vars / sizeof vars[0]) {
			memcpy(out + o, vars[k].value, strlen(vars[k].value));
			o += strlen(vars[k].value);
			i += n;
		} else {
			out[o++] = (char)body[i++];
		}
	}
	out[o] = '\0';
	*out_len = o;
	return out;
}

/* Who calls, by a choice character: the owner, an admin, a member, a viewer, an outsider, the
 * polecat, the Mayor, nobody, the operator. Returns the "authorization" header's value or NULL. */
static inline const char *fz_who(unsigned choice, char *buf, size_t cap)
{
	static const char *const people[] = {"sarah", "ada", "bob", "vic", "mallory"};
	const char *h;

	choice %= 9;
	if (choice < 5) {
		h = t_as(people[choice]); /* {"authorization":"Bearer ..."} */
		snprintf(buf, cap, "%.*s", (int)(strlen(h) - strlen("{\"authorization\":\"") - 2),
			 h + strlen("{\"authorization\":\""));
		return buf;
	}
	if (choice == 5 || choice == 6) {
		snprintf(buf, cap, "Bearer %s", choice == 5 ? fz_town.agent_token : fz_town.mayor_token);
		return buf;
	}
	return choice == 7 ? NULL : "Bearer operator-secret";
}

#endif
