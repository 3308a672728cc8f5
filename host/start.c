/*
 * start.c - what a start request means: validate its body once, then derive from it the paths
 * under the state dir, the spec the agent-run child follows and the agent's environment. No I/O.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host.h"

#define COMMAND_MAX (64 * 1024)
#define PROMPT_MAX (100 * 1024) /* an environment string may be 128 KiB at most (Linux) */
#define GIT_URL_MAX 2048
#define LLM_URL_MAX 2048
#define LLM_KEY_MAX 4096

extern char **environ;

int herr_set(struct herr *e, int status, const char *code, const char *field, const char *fmt, ...)
{
	va_list ap;

	e->status = status;
	e->code = code;
	snprintf(e->field, sizeof e->field, "%s", field ? field : "");
	va_start(ap, fmt);
	vsnprintf(e->message, sizeof e->message, fmt, ap);
	va_end(ap);
	return -1;
}

static const cJSON *get(const cJSON *o, const char *key)
{
	return cJSON_GetObjectItemCaseSensitive(o, key);
}

/* A string member: NULL when absent or null; -1 (e set) when another type or longer than max. */
static int opt_str(const cJSON *o, const char *key, const char *field, size_t max, const char **out,
		   struct herr *e)
{
	const cJSON *v = get(o, key);

	*out = NULL;
	if (!v || cJSON_IsNull(v))
		return 0;
	if (!cJSON_IsString(v))
		return herr_set(e, 400, "invalid", field, "%s must be a string", field);
	if (strlen(v->valuestring) > max)
		return herr_set(e, 400, "invalid", field, "%s is longer than %zu bytes", field, max);
	*out = v->valuestring;
	return 0;
}

static int need_id(const cJSON *o, const char *key, const char *field, int slash, const char **out,
		   struct herr *e)
{
	size_t max = slash ? HOST_BRANCH_MAX : HOST_ID_MAX;

	if (opt_str(o, key, field, max, out, e) < 0)
		return -1;
	if (!*out)
		return herr_set(e, 400, "invalid", field, "%s is required", field);
	if (!id_ok(*out, max, slash))
		return herr_set(e, 400, "invalid", field, "%s '%.64s' is not a valid name", field, *out);
	return 0;
}

static int parse_git_url(struct start *s, const cJSON *rig, struct herr *e)
{
	if (opt_str(rig, "git_url", "rig.git_url", GIT_URL_MAX, &s->git_url, e) < 0)
		return -1;
	if (!s->git_url || !*s->git_url)
		return herr_set(e, 400, "invalid", "rig.git_url", "rig.git_url is required");
	/* Passed to git after "--", but a leading '-' or a control character has no business here. */
	if (s->git_url[0] == '-')
		return herr_set(e, 400, "invalid", "rig.git_url", "rig.git_url may not start with '-'");
	for (const char *p = s->git_url; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return herr_set(e, 400, "invalid", "rig.git_url", "rig.git_url has a control character");
	return 0;
}

static int parse_runtime(struct start *s, struct herr *e)
{
	const cJSON *rt = get(s->root, "runtime");
	const char *kind = NULL;
	int k;

	if (!cJSON_IsObject(rt))
		return herr_set(e, 400, "invalid", "runtime", "runtime must be an object");
	if (opt_str(rt, "kind", "runtime.kind", 32, &kind, e) < 0)
		return -1;
	if ((k = runtime_kind_of(kind)) < 0)
		return herr_set(e, 400, "invalid", "runtime.kind",
				"runtime.kind must be scripted, command, claude, codex or opencode");
	s->runtime = (enum runtime_kind)k;
	if (s->runtime != RUNTIME_COMMAND)
		return 0;
	if (opt_str(rt, "command", "runtime.command", COMMAND_MAX, &s->command, e) < 0)
		return -1;
	if (!s->command || !*s->command)
		return herr_set(e, 400, "invalid", "runtime.command", "runtime.command is required");
	return 0;
}

/* A string with no control character (it ends up in a header or an environment variable). */
static int no_controls(const char *v, const char *field, struct herr *e)
{
	for (const char *p = v; p && *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return herr_set(e, 400, "invalid", field, "%s has a control character", field);
	return 0;
}

/* llm: the town's model gateway, which the metering proxy forwards the agent's calls to. */
static int parse_llm(struct start *s, struct herr *e)
{
	const cJSON *llm = get(s->root, "llm");
	const char *url;

	if (!llm || cJSON_IsNull(llm))
		return 0;
	if (!cJSON_IsObject(llm))
		return herr_set(e, 400, "invalid", "llm", "llm must be an object or null");
	if (opt_str(llm, "base_url", "llm.base_url", LLM_URL_MAX, &s->llm_base_url, e) < 0 ||
	    opt_str(llm, "api_key", "llm.api_key", LLM_KEY_MAX, &s->llm_api_key, e) < 0 ||
	    opt_str(llm, "model", "llm.model", 200, &s->llm_model, e) < 0)
		return -1;
	url = s->llm_base_url;
	if (!url || (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0) ||
	    strlen(url) <= (size_t)(url[4] == 's' ? 8 : 7))
		return herr_set(e, 400, "invalid", "llm.base_url", "llm.base_url must be an http(s) URL");
	if (strpbrk(url, " ?#"))
		return herr_set(e, 400, "invalid", "llm.base_url", "llm.base_url may have no space, query or fragment");
	/* A gateway without a key (a model server on the machine, say): its calls go without one. */
	if (s->llm_api_key && !*s->llm_api_key)
		s->llm_api_key = NULL;
	if (s->llm_model && !*s->llm_model)
		s->llm_model = NULL;
	if (no_controls(url, "llm.base_url", e) < 0 || no_controls(s->llm_api_key, "llm.api_key", e) < 0 ||
	    no_controls(s->llm_model, "llm.model", e) < 0)
		return -1;
	return 0;
}

/* review: what a refinery merges. */
static int parse_review(struct start *s, const cJSON *review, struct herr *e)
{
	const cJSON *author = get(review, "author");
	const char *name = NULL, *email = NULL;

	if (!cJSON_IsObject(review))
		return herr_set(e, 400, "invalid", "review", "review must be an object or null");
	if (need_id(review, "bead", "review.bead", 0, &s->review_bead, e) < 0 ||
	    need_id(review, "branch", "review.branch", 1, &s->review_branch, e) < 0)
		return -1;
	if (get(review, "target")) {
		if (need_id(review, "target", "review.target", 1, &s->review_target, e) < 0)
			return -1;
	} else {
		s->review_target = s->default_branch;
	}
	if (author && !cJSON_IsObject(author) && !cJSON_IsNull(author))
		return herr_set(e, 400, "invalid", "review.author", "review.author must be an object");
	if (opt_str(author, "name", "review.author.name", 200, &name, e) < 0 ||
	    opt_str(author, "email", "review.author.email", 200, &email, e) < 0)
		return -1;
	/* The merge is authored by the human the work was done for. */
	if (name && *name)
		ident_clean(s->author_name, sizeof s->author_name, name);
	if (email && *email)
		ident_clean(s->author_email, sizeof s->author_email, email);
	s->merge = 1;
	return 0;
}

static int parse_requester(struct start *s, struct herr *e)
{
	const cJSON *rb = get(s->root, "requested_by");
	const char *id = NULL, *name = NULL, *email = NULL;

	if (rb && !cJSON_IsNull(rb) && !cJSON_IsObject(rb))
		return herr_set(e, 400, "invalid", "requested_by", "requested_by must be an object");
	if (opt_str(rb, "id", "requested_by.id", HOST_ID_MAX, &id, e) < 0 ||
	    opt_str(rb, "name", "requested_by.name", 200, &name, e) < 0 ||
	    opt_str(rb, "email", "requested_by.email", 200, &email, e) < 0)
		return -1;
	ident_clean(s->author_name, sizeof s->author_name, name && *name ? name : id);
	if (email && *email)
		ident_clean(s->author_email, sizeof s->author_email, email);
	else if (id && *id) {
		char buf[HOST_ID_MAX + 32];
		snprintf(buf, sizeof buf, "%s@users.noreply", id);
		ident_clean(s->author_email, sizeof s->author_email, buf);
	}
	return 0;
}

/* "Toast (Polecat)" and toast@demo.agents; the author falls back to the agent itself. */
static void set_identities(struct start *s)
{
	char role[HOST_ID_MAX + 1], name[200];

	snprintf(role, sizeof role, "%s", s->role);
	role[0] = (char)toupper((unsigned char)role[0]);
	ident_clean(name, sizeof name, s->name && *s->name ? s->name : s->agent);
	if (!name[0])
		snprintf(name, sizeof name, "%s", s->agent);
	snprintf(s->agent_name, sizeof s->agent_name, "%s (%s)", name, role);
	snprintf(s->agent_email, sizeof s->agent_email, "%s@%s.agents", s->agent, s->town);
	if (!s->author_name[0])
		snprintf(s->author_name, sizeof s->author_name, "%s", s->agent_name);
	if (!s->author_email[0])
		snprintf(s->author_email, sizeof s->author_email, "%s", s->agent_email);
}

/* The Mayor answers a message (its bead here) in a directory of its own: no rig, no branch. */
static int parse_mayor(struct start *s, struct herr *e)
{
	const cJSON *resume = get(s->root, "resume");

	if (need_id(s->root, "message", "message", 0, &s->bead, e) < 0)
		return -1;
	if (s->runtime == RUNTIME_SCRIPTED)
		return herr_set(e, 400, "invalid", "runtime.kind", "the Mayor runs a CLI or a command, not the scripted agent");
	s->mayor = 1;
	s->resume = cJSON_IsTrue(resume);
	s->rig = "";
	s->git_url = "";
	s->default_branch = "";
	s->branch = "";
	return 0;
}

/* A tool name as the town checks it (persona.c): a letter, then letters, digits, _ . -, and at
 * most one "(rule)" of printable characters without parentheses or commas. */
static int tool_ok(const char *t)
{
	size_t n = strlen(t), name;

	if (n < 1 || n > 100 || !isalpha((unsigned char)t[0]))
		return 0;
	name = strspn(t, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-");
	if (name == n)
		return 1;
	if (t[name] != '(' || t[n - 1] != ')' || n - name < 3)
		return 0;
	for (size_t i = name + 1; i < n - 1; i++)
		if ((unsigned char)t[i] < 0x20 || (unsigned char)t[i] > 0x7e || strchr("(),", t[i]))
			return 0;
	return 1;
}

static int parse_tools(const cJSON *persona, const char *key, const cJSON **out, struct herr *e)
{
	const cJSON *list = get(persona, key), *t;
	char field[64];
	int n = 0;

	snprintf(field, sizeof field, "persona.%s", key);
	*out = NULL;
	if (!list || cJSON_IsNull(list))
		return 0;
	if (!cJSON_IsArray(list))
		return herr_set(e, 400, "invalid", field, "%s must be an array of tool names", field);
	cJSON_ArrayForEach(t, list) {
		if (!cJSON_IsString(t) || !tool_ok(t->valuestring))
			return herr_set(e, 400, "invalid", field, "%s holds something that is not a tool name", field);
		if (++n > 32)
			return herr_set(e, 400, "invalid", field, "%s names at most 32 tools", field);
	}
	*out = n ? list : NULL;
	return 0;
}

/* persona: null, or {name, allowed_tools?, denied_tools?, ...}; its overlay is in the prompt
 * already and its gates in rig.gates (the town put them there). */
static int parse_persona(struct start *s, struct herr *e)
{
	const cJSON *p = get(s->root, "persona");

	if (!p || cJSON_IsNull(p))
		return 0;
	if (!cJSON_IsObject(p))
		return herr_set(e, 400, "invalid", "persona", "persona must be an object or null");
	if (need_id(p, "name", "persona.name", 0, &s->persona, e) < 0 ||
	    parse_tools(p, "allowed_tools", &s->allowed_tools, e) < 0 || parse_tools(p, "denied_tools", &s->denied_tools, e) < 0)
		return -1;
	/* Its gates: gt done runs them (one a line in the environment) before it pushes. */
	{
		const cJSON *gates = get(p, "gates"), *g;
		int n = 0;

		if (gates && !cJSON_IsNull(gates)) {
			if (!cJSON_IsArray(gates))
				return herr_set(e, 400, "invalid", "persona.gates", "persona.gates must be an array of commands");
			cJSON_ArrayForEach(g, gates) {
				if (!cJSON_IsString(g) || !*g->valuestring || strlen(g->valuestring) > 500 || strchr(g->valuestring, '\n') ||
				    ++n > 10)
					return herr_set(e, 400, "invalid", "persona.gates", "persona.gates holds 1 to 10 one-line commands");
			}
			s->persona_gates = n ? gates : NULL;
		}
	}
	return 0;
}

static int parse_body(struct start *s, struct herr *e)
{
	const cJSON *agent = get(s->root, "agent"), *bead = get(s->root, "bead"), *rig = get(s->root, "rig");
	const cJSON *review = get(s->root, "review"), *exp = get(s->root, "token_expires_ms");
	const char *id = NULL;

	if (!cJSON_IsObject(agent))
		return herr_set(e, 400, "invalid", "agent", "agent must be an object");
	if (opt_str(agent, "id", "agent.id", HOST_ID_MAX, &id, e) < 0)
		return -1;
	if (id && strcmp(id, s->agent) != 0)
		return herr_set(e, 400, "invalid", "agent.id", "agent.id '%.64s' is not the agent of the path", id);
	if (opt_str(agent, "name", "agent.name", 200, &s->name, e) < 0 ||
	    need_id(agent, "role", "agent.role", 0, &s->role, e) < 0)
		return -1;
	if (strcmp(s->role, "mayor") == 0 && (!bead || cJSON_IsNull(bead))) {
		if (parse_runtime(s, e) < 0 || parse_mayor(s, e) < 0)
			return -1;
	} else if (!cJSON_IsObject(bead) || !cJSON_IsObject(rig)) {
		return herr_set(e, 400, "invalid", !cJSON_IsObject(bead) ? "bead" : "rig", "bead and rig must be objects");
	} else if (need_id(bead, "id", "bead.id", 0, &s->bead, e) < 0 ||
	    opt_str(bead, "title", "bead.title", 1000, &s->bead_title, e) < 0 ||
	    need_id(rig, "id", "rig.id", 0, &s->rig, e) < 0 || parse_git_url(s, rig, e) < 0) {
		return -1;
	}
	if (s->mayor) {
		/* no rig: no default branch or gates */
	} else if (get(rig, "default_branch")) {
		if (need_id(rig, "default_branch", "rig.default_branch", 1, &s->default_branch, e) < 0)
			return -1;
	} else {
		s->default_branch = "main";
	}
	s->gates = get(rig, "gates");
	if (s->gates && cJSON_IsNull(s->gates))
		s->gates = NULL;
	if (s->gates) {
		const cJSON *g;
		if (!cJSON_IsArray(s->gates))
			return herr_set(e, 400, "invalid", "rig.gates", "rig.gates must be an array of commands");
		cJSON_ArrayForEach(g, s->gates)
			if (!cJSON_IsString(g) || !*g->valuestring || strlen(g->valuestring) > COMMAND_MAX)
				return herr_set(e, 400, "invalid", "rig.gates", "each gate must be a command");
	}
	if (opt_str(s->root, "token", "token", HOST_TOKEN_MAX - 1, &s->token, e) < 0)
		return -1;
	if (!s->token || !*s->token || strpbrk(s->token, "\r\n"))
		return herr_set(e, 400, "invalid", "token", "token is required");
	if (exp && !cJSON_IsNull(exp)) {
		if (!cJSON_IsNumber(exp) || exp->valuedouble < 0 || exp->valuedouble > 9e15)
			return herr_set(e, 400, "invalid", "token_expires_ms", "token_expires_ms must be a time in ms");
		s->token_expires_ms = (int64_t)exp->valuedouble;
	}
	if (parse_runtime(s, e) < 0 || parse_requester(s, e) < 0 ||
	    opt_str(s->root, "prompt", "prompt", PROMPT_MAX, &s->prompt, e) < 0 ||
	    opt_str(s->root, "model", "model", 200, &s->model, e) < 0)
		return -1;
	/* The model ends up in a trailer: one line of it. */
	if (no_controls(s->model, "model", e) < 0 || parse_llm(s, e) < 0 || parse_persona(s, e) < 0)
		return -1;
	if (s->mayor) {
		/* parsed above */
	} else if (strcmp(s->role, "refinery") == 0 && review && !cJSON_IsNull(review)) {
		if (parse_review(s, review, e) < 0)
			return -1;
	} else if (need_id(s->root, "branch", "branch", 1, &s->branch, e) < 0) {
		return -1;
	}
	set_identities(s);
	return 0;
}

int start_parse(const char *body, size_t len, const char *town, const char *agent, struct start *s,
		struct herr *e)
{
	memset(s, 0, sizeof *s);
	snprintf(s->town_buf, sizeof s->town_buf, "%s", town);
	snprintf(s->agent_buf, sizeof s->agent_buf, "%s", agent);
	s->town = s->town_buf;
	s->agent = s->agent_buf;
	s->root = cJSON_ParseWithLength(body, len);
	if (!s->root)
		return herr_set(e, 400, "bad_json", NULL, "the body is not valid JSON");
	if (!cJSON_IsObject(s->root) || parse_body(s, e) < 0) {
		if (!cJSON_IsObject(s->root))
			herr_set(e, 400, "invalid", NULL, "the body must be a JSON object");
		start_release(s);
		return -1;
	}
	return 0;
}

void start_release(struct start *s)
{
	cJSON_Delete(s->root);
	s->root = NULL;
}

#define PATHF(dst, ...) ((size_t)snprintf(dst, sizeof dst, __VA_ARGS__) >= sizeof dst)

int paths_for(const char *state, const char *town, const char *agent, const char *rig, struct paths *p)
{
	if (PATHF(p->agent_dir, "%s/towns/%s/agents/%s", state, town, agent) ||
	    PATHF(p->rig_dir, "%s/towns/%s/rigs/%s", state, town, rig) ||
	    PATHF(p->repo, "%s/repo", p->rig_dir) || PATHF(p->lock, "%s/lock", p->rig_dir) ||
	    PATHF(p->work, "%s/work", p->agent_dir) || PATHF(p->token, "%s/token", p->agent_dir) ||
	    PATHF(p->log, "%s/agent.log", p->agent_dir) || PATHF(p->spec, "%s/spec.json", p->agent_dir) ||
	    PATHF(p->result, "%s/result.json", p->agent_dir) || PATHF(p->home, "%s/home", p->agent_dir))
		return -1;
	return 0;
}

/* The merge commit's message: the same trailers as the hook gives a bead's commits. */
static char *merge_message(const struct start *s)
{
	char *msg = NULL;
	char title[1001];
	int rc;

	/* The title on the subject line: one line of it. */
	snprintf(title, sizeof title, "%s", s->bead_title && *s->bead_title ? s->bead_title : s->review_bead);
	for (char *p = title; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	rc = asprintf(&msg, "Merge %s (%s)\n\nRequested-by: %s <%s>\nCo-authored-by: %s <%s>\nBead-ID: %s\n%s%s%s",
		      s->review_branch, title, s->author_name, s->author_email, s->agent_name,
		      s->agent_email, s->review_bead, s->model ? "Model: " : "", s->model ? s->model : "",
		      s->model ? "\n" : "");
	return rc < 0 ? NULL : msg;
}

cJSON *start_spec(const struct host_config *cfg, const struct start *s, const struct paths *p)
{
	cJSON *spec = cJSON_CreateObject(), *argv = cJSON_CreateArray();
	char *msg = NULL;

	cJSON_AddItemToObject(spec, "argv", argv);
	cJSON_AddStringToObject(spec, "mode", s->merge ? "refinery" : s->mayor ? "mayor" : "agent");
	/* A CLI reads its standard input to its end, or waits on it: give it none. */
	cJSON_AddBoolToObject(spec, "stdin_null", runtime_is_cli(s->runtime) && !s->merge);
	cJSON_AddStringToObject(spec, "agent", s->agent);
	cJSON_AddStringToObject(spec, "repo", p->repo);
	cJSON_AddStringToObject(spec, "work", p->work);
	cJSON_AddStringToObject(spec, "lock", p->lock);
	cJSON_AddStringToObject(spec, "result", p->result);
	cJSON_AddStringToObject(spec, "git_url", s->git_url);
	cJSON_AddStringToObject(spec, "default_branch", s->default_branch);
	cJSON_AddStringToObject(spec, "bead", s->bead);
	if (s->merge) {
		msg = merge_message(s);
		cJSON_AddStringToObject(spec, "branch", s->review_branch);
		cJSON_AddStringToObject(spec, "target", s->review_target);
		cJSON_AddStringToObject(spec, "merge_message", msg ? msg : "Merge");
		cJSON_AddItemToObject(spec, "gates",
				      s->gates ? cJSON_Duplicate(s->gates, 1) : cJSON_CreateArray());
		free(msg);
	} else {
		cJSON_AddStringToObject(spec, "branch", s->branch);
		if (runtime_is_cli(s->runtime)) {
			/* runtime_build's argv, set by the caller */
		} else if (s->command) {
			cJSON_AddItemToArray(argv, cJSON_CreateString("/bin/sh"));
			cJSON_AddItemToArray(argv, cJSON_CreateString("-c"));
			cJSON_AddItemToArray(argv, cJSON_CreateString(s->command));
		} else {
			cJSON_AddItemToArray(argv, cJSON_CreateString(cfg->gt));
			cJSON_AddItemToArray(argv, cJSON_CreateString("script"));
		}
	}
	return spec;
}

/* The host's environment is the agent's, less what is the host's own (its secret, the user's
 * token, GASTOWN_*) and the GIT_* variables that would point git elsewhere. Runtimes such as
 * claude need HOME and their own keys, hence not PATH alone; but a metered run's model calls go
 * through the proxy, with no key of the user's beside them. The agent's terminal is not the
 * host's: TERM, COLUMNS, LINES and the pagers are set for it (start_env). */
static int inherited(const char *var, int metered)
{
	static const char *const terminal_vars[] = {"TERM=", "COLUMNS=", "LINES=", "PAGER="};

	static const char *const metered_vars[] = {"OPENAI_BASE_URL=", "OPENAI_API_KEY=", "ANTHROPIC_BASE_URL=",
						   "ANTHROPIC_API_KEY=", "ANTHROPIC_AUTH_TOKEN="};
	static const char *const keep_git[] = {"GIT_SSH=", "GIT_SSH_COMMAND=", "GIT_ASKPASS=",
					       "GIT_SSL_CAINFO=", "GIT_SSL_CAPATH=", "GIT_CONFIG_GLOBAL=",
					       "GIT_CONFIG_NOSYSTEM="};

	if (strncmp(var, "GASTOWN_", 8) == 0)
		return 0;
	for (size_t i = 0; i < sizeof terminal_vars / sizeof terminal_vars[0]; i++)
		if (strncmp(var, terminal_vars[i], strlen(terminal_vars[i])) == 0)
			return 0;
	for (size_t i = 0; metered && i < sizeof metered_vars / sizeof metered_vars[0]; i++)
		if (strncmp(var, metered_vars[i], strlen(metered_vars[i])) == 0)
			return 0;
	if (strncmp(var, "GIT_", 4) != 0)
		return 1;
	for (size_t i = 0; i < sizeof keep_git / sizeof keep_git[0]; i++)
		if (strncmp(var, keep_git[i], strlen(keep_git[i])) == 0)
			return 1;
	return 0;
}

/* NAME=a,b,c of a list of tool names (nothing when the list is NULL). 0 or -1. */
static int tools_env(struct strv *env, const char *name, const cJSON *list)
{
	char buf[4096];
	size_t n = 0;
	const cJSON *t;

	if (!list)
		return 0;
	cJSON_ArrayForEach(t, list)
		n += (size_t)snprintf(buf + n, n < sizeof buf ? sizeof buf - n : 0, "%s%s", n ? "," : "", t->valuestring);
	if (n >= sizeof buf)
		return -1;
	return strv_pushf(env, "%s=%s", name, buf);
}

int start_env(const struct host_config *cfg, const struct start *s, const struct paths *p,
	      int metered, struct strv *env)
{
	int rc = 0;

	const char *slash = strrchr(cfg->gt, '/');
	int gt_dir = slash ? (int)(slash - cfg->gt) : 0, has_path = 0;

	/* gt's own directory leads PATH: the prompt tells every agent to run `gt status`, `gt note`
	 * and `gt done`, whatever PATH the host itself was given. */
	for (char **e = environ; *e; e++) {
		if (!inherited(*e, metered))
			continue;
		if (strncmp(*e, "PATH=", 5) == 0 && gt_dir > 0) {
			rc |= strv_pushf(env, "PATH=%.*s:%s", gt_dir, cfg->gt, *e + 5);
			has_path = 1;
		} else {
			rc |= strv_push(env, *e);
		}
	}
	if (!has_path && gt_dir > 0)
		rc |= strv_pushf(env, "PATH=%.*s:/usr/local/bin:/usr/bin:/bin", gt_dir, cfg->gt);
	rc |= strv_pushf(env, "GASTOWN_URL=%s", cfg->town_url);
	rc |= strv_pushf(env, "GASTOWN_TOWN=%s", s->town);
	rc |= strv_pushf(env, "GASTOWN_AGENT=%s", s->agent);
	rc |= strv_pushf(env, "GASTOWN_ROLE=%s", s->role);
	rc |= strv_pushf(env, "GASTOWN_BEAD=%s", s->bead);
	rc |= strv_pushf(env, "GASTOWN_BRANCH=%s", s->merge ? s->review_branch : s->branch);
	/* What the branch is measured against at done (gt done's diff report). */
	if (s->default_branch && *s->default_branch)
		rc |= strv_pushf(env, "GASTOWN_BASE_BRANCH=%s", s->default_branch);
	rc |= strv_pushf(env, "GASTOWN_AGENT_TOKEN_FILE=%s", p->token);
	rc |= strv_pushf(env, "GASTOWN_PROMPT=%s", s->prompt ? s->prompt : "");
	/* The persona for the scripted agent and commands (a CLI gets it in its own configuration
	 * too) and for the commit trailer. Tool names hold no comma. */
	if (s->persona) {
		rc |= strv_pushf(env, "GASTOWN_PERSONA=%s", s->persona);
		rc |= tools_env(env, "GASTOWN_ALLOWED_TOOLS", s->allowed_tools);
		rc |= tools_env(env, "GASTOWN_DENIED_TOOLS", s->denied_tools);
		if (s->persona_gates) {
			char gates[6000];
			size_t n = 0;
			const cJSON *g;

			cJSON_ArrayForEach(g, s->persona_gates)
				n += (size_t)snprintf(gates + n, n < sizeof gates ? sizeof gates - n : 0, "%s%s", n ? "\n" : "",
						      g->valuestring);
			rc |= n < sizeof gates ? strv_pushf(env, "GASTOWN_GATES=%s", gates) : -1;
		}
	}
	if (s->model || s->llm_model)
		rc |= strv_pushf(env, "GASTOWN_MODEL=%s", s->model ? s->model : s->llm_model);
	rc |= strv_pushf(env, "GIT_AUTHOR_NAME=%s", s->author_name);
	rc |= strv_pushf(env, "GIT_AUTHOR_EMAIL=%s", s->author_email);
	rc |= strv_pushf(env, "GIT_COMMITTER_NAME=%s", s->agent_name);
	rc |= strv_pushf(env, "GIT_COMMITTER_EMAIL=%s", s->agent_email);
	rc |= strv_pushf(env, "GASTOWN_REQUESTED_BY_TRAILER=%s <%s>", s->author_name, s->author_email);
	rc |= strv_pushf(env, "GASTOWN_AGENT_TRAILER=%s <%s>", s->agent_name, s->agent_email);
	/* No prompt for credentials (nobody answers at the agent's terminal), and no transport that
	 * runs commands. */
	rc |= strv_push(env, "GIT_TERMINAL_PROMPT=0");
	rc |= strv_push(env, "GIT_ALLOW_PROTOCOL=file:git:http:https:ssh");
	/* Its stdout is a terminal that a dashboard's xterm.js shows; a pager there would wait for
	 * a key that nobody presses. */
	rc |= strv_push(env, "TERM=xterm-256color");
	rc |= strv_push(env, "PAGER=cat");
	rc |= strv_push(env, "GIT_PAGER=cat");
	return rc ? -1 : 0;
}
