/*
 * outbound.c - a call to a platform's API as the town: the integration's api_url (or the platform's
 * own), its token, the headers each platform wants. Every call is an effect; its purpose's handler
 * gets the answer. Tokens go into the effect's headers only, never into a stored row or a log.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hooks/hooks.h"
#include "sqlite3.h"

#define CALL_TIMEOUT_MS 15000
#define TOKEN_LEN 8193

static const char *const api_default[] = {"https://api.github.com", "https://gitlab.com/api/v4", "https://slack.com/api"};
static const char *const token_name[] = {"github_token", "gitlab_token", "slack_bot_token"};

int hook_api_base(struct call *c, enum hook_platform p, char *out, size_t len)
{
	return integration_setting(c, p, "api_url", api_default[p], out, len);
}

/* The effect itself, with the credential in its headers (bearer: "Bearer <token>" or GitLab's token). */
static int submit(struct call *c, enum hook_platform p, const char *credential, const char *purpose, const char *subject,
		  const char *method, const char *path, const char *text)
{
	char api[201], url[1400], fx[48];
	cJSON *headers;
	int rc;

	if (hook_api_base(c, p, api, sizeof api) < 0)
		return -1;
	snprintf(url, sizeof url, "%s%s", api, path);
	headers = cJSON_CreateObject();
	cJSON_AddStringToObject(headers, "user-agent", "gastown-edge");
	if (text)
		cJSON_AddStringToObject(headers, "content-type", "application/json");
	cJSON_AddStringToObject(headers, p == HOOK_GITLAB ? "private-token" : "authorization", credential);
	if (p == HOOK_GITHUB) {
		cJSON_AddStringToObject(headers, "accept", "application/vnd.github+json");
		cJSON_AddStringToObject(headers, "x-github-api-version", "2022-11-28");
	}
	{
		struct effect_req r = {.purpose = purpose, .subject = subject, .method = method, .url = url,
				       .headers = headers, .body = text, .timeout_ms = CALL_TIMEOUT_MS};

		rc = effect_submit(c, &r, fx, sizeof fx);
	}
	cJSON_Delete(headers);
	return rc < 0 ? -1 : 1;
}

static int call_rng(void *ctx, unsigned char *out, size_t n)
{
	return id_random((struct call *)ctx, out, n) < 0 ? -1 : 0;
}

/* Ask GitHub for an installation token, signed as the App (iat a minute back for clock skew, nine
 * minutes ahead: GitHub takes at most ten). 1 asked, 0 when the App's key does not sign, -1. */
static int exchange(struct call *c, const char *app, const char *installation)
{
	char key[8193], bearer[4200], path[96];
	cJSON *claims = cJSON_CreateObject();
	char *jwt;
	int rc = town_secret(c, "github_app_private_key", key, sizeof key);

	cJSON_AddNumberToObject(claims, "iat", (double)(long long)(c->now_ms / 1000) - 60);
	cJSON_AddNumberToObject(claims, "exp", (double)(long long)(c->now_ms / 1000) + 540);
	cJSON_AddStringToObject(claims, "iss", app);
	jwt = rc > 0 ? jwt_sign_rs256(key, claims, call_rng, c) : NULL;
	memset(key, 0, sizeof key);
	cJSON_Delete(claims);
	if (rc < 0)
		return -1;
	if (!jwt || strlen(jwt) + 8 > sizeof bearer) {
		cJSON_free(jwt);
		call_log(c, "warn", "the GitHub App's private key does not sign: nothing posted", NULL);
		return 0;
	}
	snprintf(bearer, sizeof bearer, "Bearer %s", jwt);
	cJSON_free(jwt);
	snprintf(path, sizeof path, "/app/installations/%s/access_tokens", installation);
	rc = submit(c, HOOK_GITHUB, bearer, "app-token", "github", "POST", path, NULL);
	memset(bearer, 0, sizeof bearer);
	return rc < 0 || integration_token_set(c, HOOK_GITHUB, NULL, 0, c->now_ms) < 0 ? -1 : 1;
}

/* As a GitHub App: with its cached installation token, or queued while one is asked for. */
static int as_app(struct call *c, const char *app, const char *purpose, const char *subject, const char *method,
		  const char *path, const char *text)
{
	char token[512], installation[24], bearer[530];
	double requested;
	sqlite3_stmt *st;
	int rc;

	if ((rc = integration_token(c, HOOK_GITHUB, token, sizeof token, &requested)) < 0 ||
	    integration_setting(c, HOOK_GITHUB, "installation_id", "", installation, sizeof installation) < 0)
		return -1;
	if (rc) {
		snprintf(bearer, sizeof bearer, "Bearer %s", token);
		rc = submit(c, HOOK_GITHUB, bearer, purpose, subject, method, path, text);
		memset(bearer, 0, sizeof bearer);
		return rc;
	}
	if (!*installation) {
		call_log(c, "warn", "nothing posted: the GitHub App's installation is not known yet (set installation_id,"
				    " or it is learned from the next delivery)", NULL);
		return 0;
	}
	if (!(st = db_prepare(c->db, "INSERT INTO hook_pending(platform, purpose, subject, method, path, body, created_ms)"
				     " VALUES ('github', ?, ?, ?, ?, ?, ?)", &c->err)))
		return -1;
	sqlite3_bind_text(st, 1, purpose, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, subject, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, method, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, path, -1, SQLITE_STATIC);
	if (text)
		sqlite3_bind_text(st, 5, text, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 6, c->now_ms);
	if (db_step_done(c->db, st, &c->err) < 0)
		return -1;
	/* One exchange at a time; one asked for over a minute ago without an answer is asked again. */
	if (requested > 0 && c->now_ms - requested < 60000.0)
		return 1;
	return (rc = exchange(c, app, installation)) != 0 ? rc : 0;
}

int hook_github_app(struct call *c)
{
	char app[24] = "", probe[2];
	int rc;

	if (integration_setting(c, HOOK_GITHUB, "app_id", "", app, sizeof app) < 0)
		return -1;
	if (!*app)
		return 0;
	return (rc = town_secret(c, "github_app_private_key", probe, sizeof probe)) < 0 ? -1 : rc > 0;
}

int hook_github_call(struct call *c, const char *purpose, const char *subject, const char *method, const char *path,
		     const cJSON *body)
{
	return hook_call(c, HOOK_GITHUB, purpose, subject, method, path, body);
}

int hook_call(struct call *c, enum hook_platform p, const char *purpose, const char *subject, const char *method,
	      const char *path, const cJSON *body)
{
	char token[TOKEN_LEN], auth[TOKEN_LEN + 16], app[24] = "";
	char *text = NULL;
	int rc = 0;

	if (body && !(text = json_print(body)))
		return err_set(&c->err, ERR_INTERNAL, NULL, "out of memory");
	/* A GitHub App (app_id and its private key) speaks with installation tokens; else the token. */
	if (p == HOOK_GITHUB && (integration_setting(c, p, "app_id", "", app, sizeof app) < 0 ||
				 (*app && (rc = town_secret(c, "github_app_private_key", token, 2)) < 0))) {
		cJSON_free(text);
		return -1;
	}
	if (*app && rc > 0) {
		rc = as_app(c, app, purpose, subject, method, path, text);
		cJSON_free(text);
		return rc;
	}
	if ((rc = town_secret(c, token_name[p], token, sizeof token)) <= 0) {
		cJSON_free(text);
		if (!rc)
			call_log(c, "warn", "nothing posted: the integration has no token", cJSON_CreateString(hook_platform_name(p)));
		return rc;
	}
	if (p == HOOK_GITLAB)
		snprintf(auth, sizeof auth, "%s", token);
	else
		snprintf(auth, sizeof auth, "Bearer %s", token);
	rc = submit(c, p, auth, purpose, subject, method, path, text);
	memset(token, 0, sizeof token);
	memset(auth, 0, sizeof auth);
	cJSON_free(text);
	return rc;
}

/* "2026-12-06T04:05:06Z" as ms since the epoch, or 0 when it is not that form. */
static double iso_ms(const char *s)
{
	double ms;

	return iso_time_ms(s, &ms) ? ms : 0;
}

int hook_app_token_done(struct call *c, const char *subject, const cJSON *result, const char *body, size_t len)
{
	sqlite3_stmt *st;
	cJSON *answer = NULL;
	const char *token = NULL;
	int status, rc = 0;
	struct {
		long long id;
		char purpose[EFFECT_PURPOSE_MAX], subject[EFFECT_SUBJECT_MAX], method[8], path[1000];
		char *body;
	} q;

	(void)subject;
	if (hook_answer_ok(result, &status) && (answer = json_parse_exact(body, len)))
		token = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(answer, "token"));
	if (token && *token && strlen(token) < 500) {
		double expires = iso_ms(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(answer, "expires_at")));

		rc = integration_token_set(c, HOOK_GITHUB, token, expires > 0 ? expires : c->now_ms + 3300000.0, 0);
	} else {
		call_log(c, "warn", "GitHub gave the App no installation token", cJSON_CreateNumber(status));
		rc = integration_token_set(c, HOOK_GITHUB, NULL, 0, 0);
		token = NULL;
	}
	cJSON_Delete(answer);
	/* Each waiting call is made now, or told it failed (its own retries take it from there). */
	while (rc == 0) {
		if (!(st = db_prepare(c->db, "SELECT id, purpose, subject, method, path, body FROM hook_pending"
					     " WHERE platform = 'github' ORDER BY id LIMIT 1", &c->err)))
			return -1;
		if ((rc = db_step_row(c->db, st, &c->err)) <= 0)
			break;
		q.id = sqlite3_column_int64(st, 0);
		snprintf(q.purpose, sizeof q.purpose, "%s", (const char *)sqlite3_column_text(st, 1));
		snprintf(q.subject, sizeof q.subject, "%s", (const char *)sqlite3_column_text(st, 2));
		snprintf(q.method, sizeof q.method, "%s", (const char *)sqlite3_column_text(st, 3));
		snprintf(q.path, sizeof q.path, "%s", (const char *)sqlite3_column_text(st, 4));
		q.body = sqlite3_column_type(st, 5) == SQLITE_NULL ? NULL : strdup((const char *)sqlite3_column_text(st, 5));
		sqlite3_reset(st);
		if (!(st = db_prepare(c->db, "DELETE FROM hook_pending WHERE id = ?", &c->err))) {
			free(q.body);
			return -1;
		}
		sqlite3_bind_int64(st, 1, q.id);
		rc = db_step_done(c->db, st, &c->err);
		if (rc == 0 && token) {
			cJSON *b = q.body ? cJSON_Parse(q.body) : NULL;

			rc = hook_call(c, HOOK_GITHUB, q.purpose, q.subject, q.method, q.path, b) < 0 ? -1 : 0;
			cJSON_Delete(b);
		} else if (rc == 0) {
			rc = effect_fail_unsent(c, q.purpose, q.subject, "no_token", "the GitHub App got no installation token");
		}
		free(q.body);
	}
	return rc < 0 ? -1 : 0;
}

int hook_pending_wipe(struct call *c)
{
	return db_exec(c->db, "DELETE FROM hook_pending", &c->err);
}


int hook_answer_ok(const cJSON *result, int *status)
{
	*status = effect_status(result);
	return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(result, "ok")) && *status >= 200 && *status < 300;
}
