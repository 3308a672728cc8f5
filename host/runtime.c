/*
 * runtime.c - how each coding CLI the town names (docs/agents.md) is run: its command line, the
 * environment it needs on top of the agent's, and the configuration files it reads, all under the
 * agent's own HOME. Model calls go to the metering proxy; the town's MCP server is registered in
 * the CLI's own format, at the proxy's /m/<key>/mcp (the proxy adds the agent's token, so no file
 * here holds it). Builds text only: the caller writes the files and execs. No I/O.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stdarg.h>

#include "host.h"

/* Text being built; buf is malloc'd (NULL until the first append). */
struct strbuf_h {
	char *buf;
	size_t len;
};

static int strbuf_h_addf(struct strbuf_h *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int strbuf_h_addf(struct strbuf_h *b, const char *fmt, ...)
{
	va_list ap;
	char *more;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !(more = realloc(b->buf, b->len + (size_t)n + 1)))
		return -1;
	b->buf = more;
	va_start(ap, fmt);
	vsnprintf(b->buf + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

static int strbuf_h_add(struct strbuf_h *b, const char *s)
{
	return strbuf_h_addf(b, "%s", s);
}

static const char *const names[] = {
	[RUNTIME_SCRIPTED] = "scripted", [RUNTIME_COMMAND] = "command", [RUNTIME_CLAUDE] = "claude",
	[RUNTIME_CODEX] = "codex",       [RUNTIME_OPENCODE] = "opencode",
};

int runtime_kind_of(const char *name)
{
	for (size_t i = 0; name && i < sizeof names / sizeof names[0]; i++)
		if (strcmp(names[i], name) == 0)
			return (int)i;
	return -1;
}

int runtime_is_cli(enum runtime_kind k)
{
	return k == RUNTIME_CLAUDE || k == RUNTIME_CODEX || k == RUNTIME_OPENCODE;
}

/* A new file of out: path under home. 0, or -1 when out of room or memory. */
static int add_file(struct runtime_cmd *out, const char *home, const char *rel, char *text)
{
	struct runtime_file *f;

	if (!text || out->nfiles >= RUNTIME_FILES_MAX) {
		free(text);
		return -1;
	}
	f = &out->files[out->nfiles];
	if ((size_t)snprintf(f->path, sizeof f->path, "%s/%s", home, rel) >= sizeof f->path) {
		free(text);
		return -1;
	}
	f->text = text;
	out->nfiles++;
	return 0;
}

/* cJSON's text in memory of our own (free), so every file is released alike. */
static char *json_text(cJSON *root)
{
	char *t = cJSON_Print(root), *copy = t ? strdup(t) : NULL;

	cJSON_free(t);
	cJSON_Delete(root);
	return copy;
}

/* A TOML basic string: quotes, backslashes and controls escaped. */
static int toml_str(struct strbuf_h *b, const char *s)
{
	int rc = strbuf_h_add(b, "\"");

	for (; *s && rc == 0; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			rc = strbuf_h_addf(b, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			rc = strbuf_h_addf(b, "\\u%04x", c);
		else
			rc = strbuf_h_addf(b, "%c", c);
	}
	return rc ? -1 : strbuf_h_add(b, "\"");
}

/* ---- a persona's tools in each CLI's terms ------------------------------------------------------ */

/* The tool names are Claude Code's (Bash, Edit, mcp__gastown__gt_done, "Bash(git *)"). An MCP tool
 * is mcp__<server>__<tool>; a rule is the part in parentheses. */
static int is_mcp(const char *t)
{
	return strncmp(t, "mcp__", 5) == 0;
}

static size_t base_len(const char *t)
{
	const char *paren = strchr(t, '(');

	return paren ? (size_t)(paren - t) : strlen(t);
}

/* Claude Code: a deny list is --disallowedTools (it holds whatever the permission mode). An allow
 * list is the built-in tools it makes available (--tools: the model is offered no other) and the
 * rules it pre-approves; then nothing else may run: dontAsk refuses what was not approved instead
 * of asking nobody, and the town's own tools (mcp__gastown) stay approved so the agent can report. */
static int claude_tools(const struct runtime_in *in, struct strv *argv, int *restricted)
{
	const cJSON *t, *u;
	char builtin[2048] = "";
	size_t n = 0;
	int rc = 0;

	*restricted = in->allowed_tools != NULL;
	if (in->denied_tools) {
		rc |= strv_push(argv, "--disallowedTools");
		cJSON_ArrayForEach(t, in->denied_tools)
			rc |= strv_push(argv, t->valuestring);
	}
	if (!in->allowed_tools)
		return rc;
	cJSON_ArrayForEach(t, in->allowed_tools) {
		size_t len = base_len(t->valuestring);
		int seen = 0;

		if (is_mcp(t->valuestring))
			continue;
		/* Once each: "Bash(git *)" and "Bash(ls)" make Bash available once. */
		for (u = in->allowed_tools->child; u != t && !seen; u = u->next)
			seen = base_len(u->valuestring) == len && strncmp(u->valuestring, t->valuestring, len) == 0;
		if (!seen)
			n += (size_t)snprintf(builtin + n, n < sizeof builtin ? sizeof builtin - n : 0, "%s%.*s",
					      n ? "," : "", (int)len, t->valuestring);
	}
	if (n >= sizeof builtin)
		return -1;
	rc |= strv_push(argv, "--tools");
	rc |= strv_push(argv, builtin); /* "" offers none */
	rc |= strv_push(argv, "--allowedTools");
	cJSON_ArrayForEach(t, in->allowed_tools)
		rc |= strv_push(argv, t->valuestring);
	rc |= strv_push(argv, "mcp__gastown");
	rc |= strv_push(argv, "--permission-mode");
	rc |= strv_push(argv, "dontAsk");
	return rc;
}

/* opencode: the permission map, in its own lower-case names (bash, edit, read, webfetch; an MCP
 * tool is <server>_<tool>); a rule becomes a pattern of that tool. Allowed lists deny the rest. */
static void opencode_name(const char *t, char *out, size_t len)
{
	size_t n = base_len(t), o = 0;

	if (is_mcp(t)) {
		const char *tool = strstr(t + 5, "__");

		snprintf(out, len, "%.*s_%.*s", (int)(tool ? tool - t - 5 : 0), t + 5,
			 (int)(tool ? n - (size_t)(tool + 2 - t) : 0), tool ? tool + 2 : "");
		return;
	}
	for (size_t i = 0; i < n && o + 1 < len; i++)
		out[o++] = (char)(t[i] >= 'A' && t[i] <= 'Z' ? t[i] - 'A' + 'a' : t[i]);
	out[o] = '\0';
}

static void opencode_rule(cJSON *perm, const char *tool, const char *verdict, const char *otherwise)
{
	char name[128], pattern[128];
	const char *paren = strchr(tool, '(');
	cJSON *cur;

	opencode_name(tool, name, sizeof name);
	cur = cJSON_GetObjectItemCaseSensitive(perm, name);
	if (!paren) {
		cJSON_DeleteItemFromObjectCaseSensitive(perm, name);
		cJSON_AddStringToObject(perm, name, verdict);
		return;
	}
	snprintf(pattern, sizeof pattern, "%.*s", (int)(strlen(paren) - 2), paren + 1);
	if (!cJSON_IsObject(cur)) {
		cJSON_DeleteItemFromObjectCaseSensitive(perm, name);
		cur = cJSON_AddObjectToObject(perm, name);
		cJSON_AddStringToObject(cur, "*", otherwise);
	}
	cJSON_DeleteItemFromObjectCaseSensitive(cur, pattern);
	cJSON_AddStringToObject(cur, pattern, verdict);
}

static void opencode_tools(const struct runtime_in *in, cJSON *perm)
{
	const cJSON *t;

	if (in->allowed_tools) {
		cJSON_DeleteItemFromObjectCaseSensitive(perm, "edit");
		cJSON_DeleteItemFromObjectCaseSensitive(perm, "bash");
		cJSON_AddStringToObject(perm, "*", "deny");
		cJSON_AddStringToObject(perm, "gastown_*", "allow");
		cJSON_ArrayForEach(t, in->allowed_tools)
			opencode_rule(perm, t->valuestring, "allow", "deny");
	}
	cJSON_ArrayForEach(t, in->denied_tools)
		opencode_rule(perm, t->valuestring, "deny", "allow");
}

/* Codex has no per-tool switch for its own tools; the town's MCP tools it filters by name. So a
 * persona may only name mcp__gastown__* tools for it: anything else is refused, not ignored. */
static int codex_tools(const struct runtime_in *in, struct strbuf_h *b, struct herr *e)
{
	const cJSON *lists[2] = {in->allowed_tools, in->denied_tools}, *t;
	static const char *const keys[2] = {"enabled_tools", "disabled_tools"};
	int rc = 0;

	for (int i = 0; i < 2; i++)
		cJSON_ArrayForEach(t, lists[i])
			if (strncmp(t->valuestring, "mcp__gastown__", 14) || strchr(t->valuestring, '('))
				return herr_set(e, 400, "invalid", i ? "persona.denied_tools" : "persona.allowed_tools",
						"codex cannot %s its own tool '%.64s': a persona run on codex names only the"
						" town's tools (mcp__gastown__*)", i ? "deny" : "limit", t->valuestring);
	for (int i = 0; i < 2; i++) {
		if (!lists[i])
			continue;
		rc |= strbuf_h_addf(b, "%s = [", keys[i]);
		cJSON_ArrayForEach(t, lists[i])
			rc |= toml_str(b, t->valuestring + 14) | strbuf_h_add(b, t->next ? ", " : "");
		rc |= strbuf_h_add(b, "]\n");
	}
	return rc ? herr_set(e, 500, "internal", NULL, "out of memory") : 0;
}

/* Claude Code: print mode, stream-json, its MCP servers from our file only. */
static int claude(const struct runtime_in *in, struct runtime_cmd *out)
{
	cJSON *root = cJSON_CreateObject(), *srv;
	int rc = 0, restricted;

	srv = cJSON_AddObjectToObject(cJSON_AddObjectToObject(root, "mcpServers"), "gastown");
	cJSON_AddStringToObject(srv, "type", "http");
	cJSON_AddStringToObject(srv, "url", in->mcp_url);
	if (add_file(out, in->home, "mcp.json", json_text(root)) < 0)
		return -1;
	rc |= strv_push(&out->argv, "claude");
	rc |= strv_push(&out->argv, "-p");
	rc |= strv_push(&out->argv, in->prompt);
	if (claude_tools(in, &out->argv, &restricted) < 0)
		return -1;
	if (!restricted)
		rc |= strv_push(&out->argv, "--dangerously-skip-permissions");
	rc |= strv_push(&out->argv, "--output-format");
	rc |= strv_push(&out->argv, "stream-json");
	rc |= strv_push(&out->argv, "--verbose"); /* stream-json requires it */
	rc |= strv_push(&out->argv, "--mcp-config");
	rc |= strv_push(&out->argv, out->files[0].path);
	rc |= strv_push(&out->argv, "--strict-mcp-config");
	if (in->model) {
		rc |= strv_push(&out->argv, "--model");
		rc |= strv_push(&out->argv, in->model);
	}
	if (in->resume)
		rc |= strv_push(&out->argv, "--continue");
	/* No title or other side requests, no DNS, no telemetry, no self-update. */
	rc |= strv_push(&out->env, "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1");
	rc |= strv_push(&out->env, "DISABLE_TELEMETRY=1");
	rc |= strv_push(&out->env, "DISABLE_AUTOUPDATER=1");
	/* As root it refuses to skip permissions unless told it runs in a sandbox (it does: ours). */
	rc |= strv_push(&out->env, "IS_SANDBOX=1");
	/* Else the first turn may start before the MCP server has connected, without its tools. */
	rc |= strv_push(&out->env, "MCP_CONNECTION_NONBLOCKING=0");
	/* The town's tools in the tool list itself, not deferred behind a search tool: an agent's
	 * first move is gt_prime or gt_status, and the search costs a turn. */
	rc |= strv_push(&out->env, "ENABLE_TOOL_SEARCH=false");
	return rc ? -1 : 0;
}

/* Codex: exec mode; everything else in CODEX_HOME/config.toml. */
static int codex(const struct runtime_in *in, struct runtime_cmd *out, struct herr *e)
{
	struct strbuf_h b = {0};
	int rc = 0;

	if (in->model)
		rc |= strbuf_h_add(&b, "model = ") | toml_str(&b, in->model) | strbuf_h_add(&b, "\n");
	if (in->model_url)
		rc |= strbuf_h_add(&b, "model_provider = \"gastown\"\n");
	/* The worktree's .git is outside a workspace-write sandbox: commits would fail there. */
	rc |= strbuf_h_add(&b, "approval_policy = \"never\"\nsandbox_mode = \"danger-full-access\"\n"
			       "\n[analytics]\nenabled = false\n");
	if (in->model_url)
		rc |= strbuf_h_addf(&b, "\n[model_providers.gastown]\nname = \"Gastown metering proxy\"\n"
					"base_url = \"%s/openai/v1\"\nenv_key = \"OPENAI_API_KEY\"\n"
					"wire_api = \"responses\"\nrequest_max_retries = 0\nstream_max_retries = 0\n",
				  in->model_url);
	rc |= strbuf_h_add(&b, "\n[mcp_servers.gastown]\nurl = ") | toml_str(&b, in->mcp_url) |
	      strbuf_h_add(&b, "\n");
	if (rc || codex_tools(in, &b, e) < 0) {
		free(b.buf);
		return rc ? -1 : -2;
	}
	if (add_file(out, in->home, ".codex/config.toml", b.buf) < 0)
		return -1;
	rc |= strv_push(&out->argv, "codex");
	rc |= strv_push(&out->argv, "exec");
	rc |= strv_push(&out->argv, "--json");
	rc |= strv_push(&out->argv, "--skip-git-repo-check"); /* the Mayor's directory is no repository */
	if (in->resume) {
		rc |= strv_push(&out->argv, "resume");
		rc |= strv_push(&out->argv, "--last");
	}
	rc |= strv_push(&out->argv, in->prompt);
	rc |= strv_pushf(&out->env, "CODEX_HOME=%s/.codex", in->home);
	return rc ? -1 : 0;
}

/* opencode: run mode; its configuration from OPENCODE_CONFIG, the rig's own left out. */
static int opencode(const struct runtime_in *in, struct runtime_cmd *out)
{
	cJSON *root = cJSON_CreateObject(), *o, *mcp;
	char model[256] = "";
	int rc = 0;

	cJSON_AddStringToObject(root, "$schema", "https://opencode.ai/config.json");
	if (in->model_url) {
		const char *m = in->model ? in->model : "default";
		cJSON *prov = cJSON_AddObjectToObject(cJSON_AddObjectToObject(root, "provider"), "gastown");
		char url[HOST_PATH_MAX];

		snprintf(url, sizeof url, "%s/openai/v1", in->model_url);
		cJSON_AddStringToObject(prov, "npm", "@ai-sdk/openai-compatible");
		cJSON_AddStringToObject(prov, "name", "Gastown metering proxy");
		o = cJSON_AddObjectToObject(prov, "options");
		cJSON_AddStringToObject(o, "baseURL", url);
		cJSON_AddStringToObject(o, "apiKey", "{env:OPENAI_API_KEY}");
		o = cJSON_AddObjectToObject(cJSON_AddObjectToObject(prov, "models"), m);
		cJSON_AddStringToObject(o, "name", m);
		snprintf(model, sizeof model, "gastown/%s", m);
	} else if (in->model) {
		snprintf(model, sizeof model, "%s", in->model);
	}
	if (*model) {
		cJSON_AddStringToObject(root, "model", model);
		cJSON_AddStringToObject(root, "small_model", model);
	}
	o = cJSON_AddObjectToObject(root, "permission");
	cJSON_AddStringToObject(o, "edit", "allow");
	cJSON_AddStringToObject(o, "bash", "allow");
	opencode_tools(in, o);
	mcp = cJSON_AddObjectToObject(cJSON_AddObjectToObject(root, "mcp"), "gastown");
	cJSON_AddStringToObject(mcp, "type", "remote");
	cJSON_AddStringToObject(mcp, "url", in->mcp_url);
	cJSON_AddBoolToObject(mcp, "enabled", 1);
	cJSON_AddBoolToObject(root, "autoupdate", 0);
	cJSON_AddStringToObject(root, "share", "disabled");
	if (add_file(out, in->home, ".config/opencode/opencode.json", json_text(root)) < 0)
		return -1;
	rc |= strv_push(&out->argv, "opencode");
	rc |= strv_push(&out->argv, "run");
	rc |= strv_push(&out->argv, "--format");
	rc |= strv_push(&out->argv, "json");
	if (in->resume)
		rc |= strv_push(&out->argv, "--continue");
	rc |= strv_push(&out->argv, in->prompt);
	rc |= strv_pushf(&out->env, "OPENCODE_CONFIG=%s", out->files[0].path);
	/* A rig's own opencode.json could point the model elsewhere, past the meter. */
	rc |= strv_push(&out->env, "OPENCODE_DISABLE_PROJECT_CONFIG=1");
	rc |= strv_push(&out->env, "OPENCODE_DISABLE_AUTOUPDATE=1");
	rc |= strv_push(&out->env, "OPENCODE_DISABLE_SHARE=1");
	rc |= strv_push(&out->env, "OPENCODE_DISABLE_MODELS_FETCH=1");
	rc |= strv_push(&out->env, "OPENCODE_DISABLE_LSP_DOWNLOAD=1");
	rc |= strv_push(&out->env, "OPENCODE_DISABLE_DEFAULT_PLUGINS=1");
	return rc ? -1 : 0;
}

int runtime_build(const struct runtime_in *in, struct runtime_cmd *out, struct herr *e)
{
	int rc;

	memset(out, 0, sizeof *out);
	if (!runtime_is_cli(in->kind))
		return herr_set(e, 400, "invalid", "runtime.kind", "runtime.kind is not a CLI the host runs");
	if (!in->home || in->home[0] != '/' || !in->mcp_url || !in->prompt)
		return herr_set(e, 500, "internal", NULL, "the runtime needs a home, an MCP URL and a prompt");
	/* The model lands in a command line and a configuration file: one plain name of it. */
	if (in->model && (!*in->model || strlen(in->model) > 200 || strpbrk(in->model, "\"\\") ||
			  in->model[0] == '-'))
		return herr_set(e, 400, "invalid", "model", "model must be a plain name");
	for (const char *p = in->model; p && *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return herr_set(e, 400, "invalid", "model", "model has a control character");
	/* Each CLI keeps its state (sessions, caches) in the agent's home, not the host user's. */
	rc = strv_pushf(&out->env, "HOME=%s", in->home);
	rc |= strv_pushf(&out->env, "XDG_CONFIG_HOME=%s/.config", in->home);
	rc |= strv_pushf(&out->env, "XDG_DATA_HOME=%s/.local/share", in->home);
	rc |= strv_pushf(&out->env, "XDG_STATE_HOME=%s/.local/state", in->home);
	rc |= strv_pushf(&out->env, "XDG_CACHE_HOME=%s/.cache", in->home);
	if (rc == 0)
		rc = in->kind == RUNTIME_CLAUDE ? claude(in, out)
		     : in->kind == RUNTIME_CODEX ? codex(in, out, e) : opencode(in, out);
	if (rc == -2) { /* refused, e says why */
		runtime_cmd_clear(out);
		return -1;
	}
	if (rc < 0) {
		runtime_cmd_clear(out);
		return herr_set(e, 500, "internal", NULL, "out of memory, or the agent's home path is too long");
	}
	return 0;
}

void runtime_cmd_clear(struct runtime_cmd *c)
{
	strv_clear(&c->argv);
	strv_clear(&c->env);
	for (size_t i = 0; i < c->nfiles; i++)
		free(c->files[i].text);
	c->nfiles = 0;
}

int runtime_env_apply(struct strv *env, const struct strv *add)
{
	for (size_t i = 0; i < add->n; i++) {
		const char *var = add->v[i];
		size_t name = strcspn(var, "=") + 1;
		size_t j;

		for (j = 0; j < env->n; j++)
			if (strncmp(env->v[j], var, name) == 0)
				break;
		if (j < env->n) {
			char *copy = strdup(var);
			if (!copy)
				return -1;
			free(env->v[j]);
			env->v[j] = copy;
		} else if (strv_push(env, var) < 0) {
			return -1;
		}
	}
	return 0;
}
