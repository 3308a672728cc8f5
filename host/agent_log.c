/*
 * agent_log.c - an agent's output read as events of the town's agent log (docs/memory.md). Each
 * whole line the runtime prints is one event or several:
 *  - a JSON line of Claude Code's stream-json, Codex's `exec --json` or opencode's `--format json`
 *    becomes its messages, tool calls (with the file or command each is about) and results;
 *  - the scripted agent's echo ("gt script: write src/a.c") becomes what it did;
 *  - any other line is output, and a line on stderr an error.
 * Events go to the town in batches (POST .../log) through the outbox, which retries them while the
 * town is away. Each has an id made of the run's start, the host's serial for the agent and a count,
 * so a batch sent twice is taken once and a restarted host never reuses one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host.h"

#define LOG_TEXT_SENT 4096    /* what the log keeps of a text; the size says how long it was */
#define LOG_EVENTS_PER_BATCH 128
#define RESULT_PARTS_MAX 16

/* The length of s[0..n) cut to at most max bytes between UTF-8 characters. */
static size_t cut_utf8(const char *s, size_t n, size_t max)
{
	if (n <= max)
		return n;
	n = max;
	while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	return n;
}

static void add_event(struct host *h, struct agent *a, const char *kind, const char *tool, const char *path,
		      const char *text, size_t len)
{
	char id[96], *copy;
	cJSON *ev;
	size_t keep = cut_utf8(text, len, LOG_TEXT_SENT);

	if (!(copy = malloc(keep + 1)))
		return;
	memcpy(copy, text, keep);
	copy[keep] = '\0';
	if (!a->log)
		a->log = cJSON_CreateArray();
	snprintf(id, sizeof id, "%lld-%llu-%llu", (long long)a->started_ms, (unsigned long long)a->serial,
		 (unsigned long long)++a->log_count);
	ev = cJSON_CreateObject();
	cJSON_AddStringToObject(ev, "id", id);
	cJSON_AddStringToObject(ev, "kind", kind);
	if (tool && *tool)
		cJSON_AddStringToObject(ev, "tool", tool);
	if (path && *path)
		cJSON_AddStringToObject(ev, "path", path);
	if (a->bead[0])
		cJSON_AddStringToObject(ev, "bead", a->bead);
	cJSON_AddStringToObject(ev, "text", copy);
	if (len > keep)
		cJSON_AddNumberToObject(ev, "size", (double)len);
	cJSON_AddNumberToObject(ev, "at_ms", (double)wall_ms());
	cJSON_AddItemToArray(a->log, ev);
	free(copy);
	if (++a->log_n >= LOG_EVENTS_PER_BATCH)
		agent_log_flush(h, a);
}

static void add_text(struct host *h, struct agent *a, const char *kind, const char *tool, const char *path,
		     const char *text)
{
	if (text && *text)
		add_event(h, a, kind, tool, path, text, strlen(text));
}

static const char *str(const cJSON *o, const char *k)
{
	return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, k));
}

/* The file a tool's input names, under the names the runtimes give it. */
static const char *input_path(const cJSON *in)
{
	static const char *const keys[] = {"file_path", "filePath", "path", "notebook_path", NULL};

	for (int i = 0; keys[i]; i++)
		if (str(in, keys[i]))
			return str(in, keys[i]);
	return NULL;
}

/* A tool call: a shell command is a command event, anything else a tool event with its input. */
static void tool_call(struct host *h, struct agent *a, const char *tool, const cJSON *input)
{
	const char *cmd = str(input, "command") ? str(input, "command") : str(input, "cmd");
	char *json;

	if (cmd) {
		add_text(h, a, "command", tool, NULL, cmd);
		return;
	}
	json = input ? cJSON_PrintUnformatted(input) : NULL;
	add_text(h, a, "tool", tool, input_path(input), json && *json ? json : tool);
	cJSON_free(json);
}

/* A tool's result: a string, or content parts whose text is joined. */
static void tool_result(struct host *h, struct agent *a, const char *tool, const cJSON *content, int is_error)
{
	const char *kind = is_error ? "error" : "result";
	const cJSON *part;
	int n = 0;

	if (cJSON_IsString(content)) {
		add_text(h, a, kind, tool, NULL, content->valuestring);
		return;
	}
	cJSON_ArrayForEach(part, content) {
		if (n++ >= RESULT_PARTS_MAX)
			break;
		add_text(h, a, kind, tool, NULL, str(part, "text"));
	}
}

/* Claude Code's stream-json: assistant turns of text and tool_use blocks, user turns of
 * tool_result blocks, and the result at the end. */
static int claude_line(struct host *h, struct agent *a, const cJSON *j, const char *type)
{
	const cJSON *content = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "message"), "content");
	const cJSON *b;

	if (strcmp(type, "assistant") == 0 || strcmp(type, "user") == 0) {
		cJSON_ArrayForEach(b, content) {
			const char *bt = str(b, "type");

			if (!bt)
				continue;
			if (strcmp(bt, "text") == 0)
				add_text(h, a, "message", NULL, NULL, str(b, "text"));
			else if (strcmp(bt, "tool_use") == 0)
				tool_call(h, a, str(b, "name"), cJSON_GetObjectItemCaseSensitive(b, "input"));
			else if (strcmp(bt, "tool_result") == 0)
				tool_result(h, a, NULL, cJSON_GetObjectItemCaseSensitive(b, "content"),
					    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(b, "is_error")));
		}
		return 1;
	}
	if (strcmp(type, "result") == 0) {
		add_text(h, a, cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "is_error")) ? "error" : "status", NULL, NULL,
			 str(j, "result") ? str(j, "result") : str(j, "subtype"));
		return 1;
	}
	return strcmp(type, "system") == 0; /* its init: the tools and servers, not the work */
}

/* Codex's exec --json: items as they complete. */
static int codex_line(struct host *h, struct agent *a, const cJSON *j, const char *type)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(j, "item"), *ch;
	const char *it = str(item, "type");

	if (strcmp(type, "error") == 0) {
		add_text(h, a, "error", NULL, NULL, str(j, "message"));
		return 1;
	}
	if (strncmp(type, "thread.", 7) == 0 || strncmp(type, "turn.", 5) == 0 || strcmp(type, "item.started") == 0 ||
	    strcmp(type, "item.updated") == 0)
		return 1;
	if (strcmp(type, "item.completed") != 0 || !it)
		return 0;
	if (strcmp(it, "agent_message") == 0) {
		add_text(h, a, "message", NULL, NULL, str(item, "text"));
	} else if (strcmp(it, "command_execution") == 0) {
		add_text(h, a, "command", "shell", NULL, str(item, "command"));
		add_text(h, a, "result", "shell", NULL, str(item, "aggregated_output"));
	} else if (strcmp(it, "file_change") == 0) {
		cJSON_ArrayForEach(ch, cJSON_GetObjectItemCaseSensitive(item, "changes"))
			add_text(h, a, "file", str(ch, "kind"), str(ch, "path"), str(ch, "path"));
	} else if (strcmp(it, "mcp_tool_call") == 0) {
		tool_call(h, a, str(item, "tool"), cJSON_GetObjectItemCaseSensitive(item, "arguments"));
		tool_result(h, a, str(item, "tool"),
			    cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(item, "result"), "content"),
			    !cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(item, "error")) &&
				    cJSON_GetObjectItemCaseSensitive(item, "error") != NULL);
	} else if (strcmp(it, "error") == 0) {
		add_text(h, a, "error", NULL, NULL, str(item, "message"));
	}
	return 1; /* reasoning, todo lists: not kept */
}

/* opencode's --format json: parts of the session as they finish. */
static int opencode_line(struct host *h, struct agent *a, const cJSON *j, const char *type)
{
	const cJSON *part = cJSON_GetObjectItemCaseSensitive(j, "part");
	const cJSON *state = cJSON_GetObjectItemCaseSensitive(part, "state");

	if (strcmp(type, "text") == 0) {
		add_text(h, a, "message", NULL, NULL, str(part, "text"));
		return 1;
	}
	if (strcmp(type, "tool_use") == 0) {
		tool_call(h, a, str(part, "tool"), cJSON_GetObjectItemCaseSensitive(state, "input"));
		add_text(h, a, "result", str(part, "tool"), NULL, str(state, "output"));
		return 1;
	}
	return strcmp(type, "step_start") == 0 || strcmp(type, "step_finish") == 0;
}

/* The scripted agent's echo of each instruction (cli/script.c). */
static int scripted_line(struct host *h, struct agent *a, const char *line)
{
	static const char prefix[] = "gt script: ";
	const char *rest;

	if (strncmp(line, prefix, sizeof prefix - 1) != 0)
		return 0;
	rest = line + sizeof prefix - 1;
	if (strncmp(rest, "write ", 6) == 0 || strncmp(rest, "append ", 7) == 0)
		add_text(h, a, "file", rest[0] == 'w' ? "write" : "append", strchr(rest, ' ') + 1, rest);
	else if (strncmp(rest, "run ", 4) == 0)
		add_text(h, a, "command", "run", NULL, rest + 4);
	else
		add_text(h, a, "status", NULL, NULL, rest);
	return 1;
}

void agent_log_line(struct host *h, struct agent *a, int is_err, const char *line, size_t len)
{
	cJSON *j;
	const char *type;
	int taken = 0;

	if (!len)
		return;
	if (is_err) {
		add_event(h, a, "error", NULL, NULL, line, len);
		return;
	}
	if (line[0] == '{' && (j = cJSON_ParseWithLength(line, len)) != NULL) {
		if ((type = str(j, "type")) != NULL)
			taken = claude_line(h, a, j, type) || codex_line(h, a, j, type) || opencode_line(h, a, j, type);
		cJSON_Delete(j);
		if (taken)
			return;
	} else if (scripted_line(h, a, line)) {
		return;
	}
	add_event(h, a, "output", NULL, NULL, line, len);
}

void agent_log_flush(struct host *h, struct agent *a)
{
	cJSON *body;

	if (!a->log_n)
		return;
	body = cJSON_CreateObject();
	cJSON_AddItemToObject(body, "events", a->log);
	town_queue(&h->town, a->town, a->id, "log", a->token, cJSON_PrintUnformatted(body), 1);
	cJSON_Delete(body);
	a->log = NULL;
	a->log_n = 0;
}
