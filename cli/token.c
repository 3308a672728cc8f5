/*
 * token.c - development sign-in: mint an HS256 JWT from the local dev secret (the one make dev gives
 * the worker), and keep the token in the user's config directory so later commands send it.
 * Production sign-in uses tokens from the organization's identity provider instead. An agent's
 * token comes from the file its host keeps fresh.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "mbedtls/base64.h"
#include "mbedtls/md.h"

static int b64url(const unsigned char *in, size_t n, char *out, size_t cap)
{
	size_t len = 0;

	if (mbedtls_base64_encode((unsigned char *)out, cap, &len, in, n) != 0)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (out[i] == '+')
			out[i] = '-';
		else if (out[i] == '/')
			out[i] = '_';
		else if (out[i] == '=') {
			len = i;
			break;
		}
	}
	out[len] = '\0';
	return 0;
}

int token_mint(const char *secret, const char *user, const char *name, const char *email,
	       long ttl_s, long now_s, char *out, size_t out_len, char *err, size_t err_len)
{
	static const char header[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
	cJSON *claims = cJSON_CreateObject();
	char *payload, h[128], p[2048], sig[64];
	unsigned char mac[32];
	size_t used;

	cJSON_AddStringToObject(claims, "sub", user);
	if (name && *name)
		cJSON_AddStringToObject(claims, "name", name);
	if (email && *email)
		cJSON_AddStringToObject(claims, "email", email);
	cJSON_AddNumberToObject(claims, "iat", (double)now_s);
	cJSON_AddNumberToObject(claims, "exp", (double)(now_s + ttl_s));
	payload = cJSON_PrintUnformatted(claims);
	cJSON_Delete(claims);
	if (!payload || strlen(payload) > 1400) {
		cJSON_free(payload);
		snprintf(err, err_len, "the claims are too long");
		return -1;
	}
	if (b64url((const unsigned char *)header, strlen(header), h, sizeof h) < 0 ||
	    b64url((const unsigned char *)payload, strlen(payload), p, sizeof p) < 0) {
		cJSON_free(payload);
		snprintf(err, err_len, "cannot encode the token");
		return -1;
	}
	cJSON_free(payload);
	used = (size_t)snprintf(out, out_len, "%s.%s", h, p);
	if (used >= out_len ||
	    mbedtls_md_hmac(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), (const unsigned char *)secret,
			    strlen(secret), (const unsigned char *)out, used, mac) != 0 ||
	    b64url(mac, sizeof mac, sig, sizeof sig) < 0 ||
	    (size_t)snprintf(out + used, out_len - used, ".%s", sig) >= out_len - used) {
		snprintf(err, err_len, "cannot sign the token");
		return -1;
	}
	return 0;
}

int token_dev_secret(char *out, size_t len)
{
	const char *env = getenv("GASTOWN_JWT_SECRET");
	FILE *f;
	size_t n;

	if (env && *env) {
		snprintf(out, len, "%s", env);
		return 0;
	}
	f = fopen(".state/jwt-secret", "r");
	if (!f)
		return -1;
	n = fread(out, 1, len - 1, f);
	fclose(f);
	out[n] = '\0';
	out[strcspn(out, "\r\n")] = '\0';
	return out[0] ? 0 : -1;
}

int token_path(char *out, size_t len)
{
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");

	if (xdg && *xdg)
		return snprintf(out, len, "%s/gastown/token", xdg) < (int)len ? 0 : -1;
	if (home && *home)
		return snprintf(out, len, "%s/.config/gastown/token", home) < (int)len ? 0 : -1;
	return -1;
}

int token_save(const char *token, char *err, size_t err_len)
{
	char path[1024], dir[1024];
	FILE *f;

	if (token_path(path, sizeof path) < 0) {
		snprintf(err, err_len, "neither XDG_CONFIG_HOME nor HOME is set");
		return -1;
	}
	snprintf(dir, sizeof dir, "%s", path);
	*strrchr(dir, '/') = '\0';
	/* Create ~/.config and ~/.config/gastown as needed; the token file is the user's only. */
	*strrchr(dir, '/') = '\0';
	mkdir(dir, 0700);
	snprintf(dir, sizeof dir, "%s", path);
	*strrchr(dir, '/') = '\0';
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		snprintf(err, err_len, "cannot create %s: %s", dir, strerror(errno));
		return -1;
	}
	f = fopen(path, "w");
	if (!f || chmod(path, 0600) < 0 || fprintf(f, "%s\n", token) < 0) {
		snprintf(err, err_len, "cannot write %s: %s", path, strerror(errno));
		if (f)
			fclose(f);
		return -1;
	}
	fclose(f);
	return 0;
}

int token_load_agent(struct cli *cli)
{
	const char *file = getenv("GASTOWN_AGENT_TOKEN_FILE"), *env = getenv("GASTOWN_AGENT_TOKEN");
	FILE *f;
	size_t n;

	cli->token[0] = '\0';
	if (file && *file) {
		cli->as_agent = 1;
		if (!(f = fopen(file, "r")))
			return -1;
		n = fread(cli->token, 1, sizeof cli->token - 1, f);
		fclose(f);
		cli->token[n] = '\0';
		cli->token[strcspn(cli->token, "\r\n")] = '\0';
		return cli->token[0] ? 1 : -1;
	}
	if (env && *env) {
		cli->as_agent = 1;
		snprintf(cli->token, sizeof cli->token, "%s", env);
		return 1;
	}
	return 0;
}

void token_load(struct cli *cli)
{
	const char *env = getenv("GASTOWN_TOKEN");
	char path[1024];
	FILE *f;
	size_t n;

	/* An agent's own credentials win: in its worktree it acts as itself, not as its human. */
	if (token_load_agent(cli) != 0)
		return;
	if (env && *env) {
		snprintf(cli->token, sizeof cli->token, "%s", env);
		return;
	}
	if (token_path(path, sizeof path) < 0 || !(f = fopen(path, "r")))
		return;
	n = fread(cli->token, 1, sizeof cli->token - 1, f);
	fclose(f);
	cli->token[n] = '\0';
	cli->token[strcspn(cli->token, "\r\n")] = '\0';
}
