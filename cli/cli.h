/*
 * cli.h - the gt command-line client: shared types of its commands (gt.c holds the command table).
 * Commands are thin: parse options, call the API through http.c, print text or --json.
 */
#ifndef GASTOWN_CLI_H
#define GASTOWN_CLI_H

#include <stddef.h>

#include "cJSON.h"

struct cli {
	const char *url;   /* base URL of the worker, no trailing slash */
	char token[8192];  /* bearer token, "" if none */
	int json;          /* print raw JSON instead of text */
	const char *town;  /* --town or $GASTOWN_TOWN, NULL if neither */
};

/* town_cmds.c: the commands for what lives in a town. */
int cmd_town(struct cli *cli, int argc, char **argv);
int cmd_rig(struct cli *cli, int argc, char **argv);
int cmd_bead(struct cli *cli, int argc, char **argv);
int cmd_convoy(struct cli *cli, int argc, char **argv);
int cmd_mail(struct cli *cli, int argc, char **argv);
int cmd_feed(struct cli *cli, int argc, char **argv);

/* http.c: one request. Returns the HTTP status (0 when the server could not be reached, with the
 * reason in *err_out); *body_out is the parsed JSON body or NULL (the caller deletes it). */
int http_call(const struct cli *cli, const char *method, const char *path, const char *body,
	      cJSON **body_out, char *err_out, size_t err_len);

/* token.c */
/* Mint an HS256 JWT for a local development user; 0, or -1 with a reason in err. */
int token_mint(const char *secret, const char *user, const char *name, const char *email,
	       long ttl_s, long now_s, char *out, size_t out_len, char *err, size_t err_len);
/* The dev secret: $GASTOWN_JWT_SECRET, else the file .state/jwt-secret that make dev creates. */
int token_dev_secret(char *out, size_t len);
/* The saved token file path ($XDG_CONFIG_HOME or ~/.config)/gastown/token. */
int token_path(char *out, size_t len);
int token_save(const char *token, char *err, size_t err_len);
void token_load(struct cli *cli);

/* Print an API error envelope (or a transport error) to stderr; returns the exit status 1. */
int cli_fail(const struct cli *cli, int status, const cJSON *body, const char *transport_err);

#endif
