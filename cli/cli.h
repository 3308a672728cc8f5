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
	const char *agent; /* --agent or $GASTOWN_AGENT, NULL if neither */
	const char *org;   /* --org or $GASTOWN_ORG, NULL if neither (a command's own --org wins) */
	int as_agent;      /* the token is an agent's ($GASTOWN_AGENT_TOKEN_FILE or _TOKEN is set) */
};

/* town_cmds.c: the commands for what lives in a town. */
int cmd_town(struct cli *cli, int argc, char **argv);
int cmd_rig(struct cli *cli, int argc, char **argv);
int cmd_bead(struct cli *cli, int argc, char **argv);
int cmd_convoy(struct cli *cli, int argc, char **argv);
int cmd_mail(struct cli *cli, int argc, char **argv);
int cmd_feed(struct cli *cli, int argc, char **argv);

/* cost_cmds.c: money. A town's costs, budgets and prices (cli->town), an organization's fleet and
 * teams (--org or cli->org). Amounts are typed in dollars ("5", "12.50", at most 6 decimals) and
 * sent as integer microdollars, converted exactly; money prints as dollars with at least the cents.
 * Each prints the answer (text, or the data with --json) or the error, and returns the exit
 * status: 0, 1 for a refused or failed call, 2 for a bad argument (a bad amount included). */
int cmd_costs(struct cli *cli, int argc, char **argv);
int cmd_budget(struct cli *cli, int argc, char **argv);
int cmd_price(struct cli *cli, int argc, char **argv);
int cmd_fleet(struct cli *cli, int argc, char **argv);
int cmd_team(struct cli *cli, int argc, char **argv);

/* agent_cmds.c: what an agent running in its worktree tells the town, and `gt sling`. The agent is
 * cli->agent; each call reads the agent's token again (token_load_agent). The functions print
 * their result (text, or the data with --json) or the error, and return the exit status: 0, 1
 * for a refused or failed call, 2 for a bad argument. */
int cmd_prime(struct cli *cli, int argc, char **argv);
int cmd_status(struct cli *cli, int argc, char **argv);
int cmd_done(struct cli *cli, int argc, char **argv);
int cmd_escalate(struct cli *cli, int argc, char **argv);
int cmd_sling(struct cli *cli, int argc, char **argv);
/* `gt mail` when cli->as_agent: send AGENT SUBJECT [BODY] | inbox. */
int agent_mail(struct cli *cli, int argc, char **argv);
/* GET .../agents/:agent/prime; on 0, *res_out is the whole answer (the caller deletes it). */
int agent_prime(struct cli *cli, cJSON **res_out);
int agent_status(struct cli *cli, const char *text);
/* Push HEAD to origin as $GASTOWN_BRANCH, then report the bead done; summary may be NULL. */
int agent_done(struct cli *cli, const char *summary);
int agent_mail_send(struct cli *cli, const char *to, const char *subject, const char *body);
/* bead NULL means $GASTOWN_BEAD (or none); body may be NULL. */
int agent_escalate(struct cli *cli, const char *severity, const char *title, const char *body,
		   const char *bead);
/* Local checks, so a script is refused before it runs: NULL when fine, else the reason. */
const char *agent_check_status(const char *text);
const char *agent_check_severity(const char *severity);

/* script.c: `gt script [--file PATH]`, the scripted agent: runs the bead's gt-script block. Exit
 * status 0; 1 on `fail` or a refused call; 2 for a malformed script; 3 when there is no block; a
 * failed `run` ends it with that command's status. */
int cmd_script(struct cli *cli, int argc, char **argv);

/* proc.c: run argv[0] (found on PATH) with stdin from /dev/null and wait for it. Returns its exit
 * status, 128 + the signal when it was killed, or -1 when it could not be run (reason in err).
 * When out is not NULL its stdout is captured there (NUL-terminated, cut at out_len - 1 bytes);
 * else it shares ours. stderr is always ours. */
int proc_run(const char *const argv[], char *out, size_t out_len, char *err, size_t err_len);

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
/* The token for this call: the agent's (token_load_agent), else $GASTOWN_TOKEN, else the saved one. */
void token_load(struct cli *cli);
/* The agent's token into cli->token: from the file $GASTOWN_AGENT_TOKEN_FILE (read on every call:
 * the host rewrites it when it refreshes the token), else $GASTOWN_AGENT_TOKEN. Sets cli->as_agent
 * when either is set. 1 when loaded, 0 when neither is set, -1 when the file cannot be read or is
 * empty (cli->token is then ""). */
int token_load_agent(struct cli *cli);

/* Print an API error envelope (or a transport error) to stderr; returns the exit status 1. */
int cli_fail(const struct cli *cli, int status, const cJSON *body, const char *transport_err);

#endif
