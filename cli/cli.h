/*
 * cli.h - the gt command-line client: shared types of its commands (gt.c holds the command table).
 * Commands are thin: parse options, call the API through http.c, print text or --json.
 */
#ifndef GASTOWN_CLI_H
#define GASTOWN_CLI_H

#include <getopt.h>
#include <stddef.h>
#include <stdio.h>

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

/* opt.c: the command line, read the same way by every command. */

/* What a command's --help prints (stdout, exit 0); a usage error repeats the synopsis on stderr. */
struct usage {
	const char *name;     /* the words after gt: "bead create" */
	const char *synopsis; /* after "gt ": operands and options; one line per form */
	const char *text;     /* what it does, then its options, each line ending in '\n'; or NULL */
};

/* A command with subcommands (bead create, bead list, ...): each is a command of its own. */
struct subcommand {
	const char *name;
	int (*run)(struct cli *cli, int argc, char **argv);
	const struct usage *usage;
};

#define OPT_MAX 24           /* a command's own long options */
#define OPT_HELP (-2)        /* opt_next printed the usage for --help: exit 0 */
#define OPT_BAD (-3)         /* opt_next printed a usage error: exit 2 */
#define OPT_EXIT(c) ((c) == OPT_HELP ? 0 : 2)
#define OPT_JSON 0x100       /* --json, which every command takes; own long-only options use 0x101.. */

/* One parse of a command's words. Operands are collected in order in pos[0..npos) (pointers into
 * argv, whose entries they reuse); options may come before or after them, and "--" ends options. */
struct opt {
	struct cli *cli;
	const struct usage *usage;
	int argc;
	char **argv;
	char **pos;
	int npos;
	char shortopts[32];
	struct option longopts[OPT_MAX + 3];
};

/* Begin parsing argv (argv[0] is the command's name) with the command's own options: short
 * letters in shortopts (may be NULL), longopts ending in a zero entry (at most OPT_MAX are used).
 * --help/-h and --json are every command's. Resets getopt's state. */
void opt_init(struct opt *o, struct cli *cli, const struct usage *u, const char *shortopts,
	      const struct option *longopts, int argc, char **argv);
/* The next option's value (optarg holds its argument), -1 when the options are over (o->pos and
 * o->npos are then complete), OPT_HELP after printing the usage, or OPT_BAD after printing why
 * (an unknown option, a missing value, or a value that is itself an option: `--user --name`). */
int opt_next(struct opt *o);
/* Check min <= npos <= max (max -1: no limit); -1 with the usage error printed. */
int opt_operands(const struct opt *o, int min, int max);
/* opt_init, opt_next and opt_operands for a command with no option of its own: -1 when it goes on
 * (o->pos holds min..max operands), else the exit status (0 after --help, 2 after an error). */
int opt_plain(struct opt *o, struct cli *cli, const struct usage *u, int min, int max, int argc,
	      char **argv);
/* s as a whole number in [min, max] into *out; -1 with the usage error printed (name: "--after"). */
int opt_long(const struct usage *u, const char *name, const char *s, long min, long max, long *out);
/* 0 when id follows the engine's id rule (src/id.c), else -1 with "not a valid <what> id" printed. */
int opt_id(const struct usage *u, const char *what, const char *id);
/* Print the usage to `to`; returns 0. */
int opt_usage(const struct usage *u, FILE *to);
/* Print "gt <name>: <message>", the synopsis and a pointer to --help on stderr; returns 2. */
int opt_fail(const struct usage *u, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Run the subcommand named by the first operand (--help and --json may come before it); the
 * command's help is u->text under its subcommands' synopses. Returns the exit status. */
int opt_dispatch(struct cli *cli, const struct usage *u, const struct subcommand *subs, size_t n,
		 int argc, char **argv);

/* gt.c: the town (cli->town) checked before a request names it: 0, or -1 with the reason printed
 * ("which town?" or "not a valid town id"); the caller exits 2. */
int cli_need_town(const struct cli *cli);
/* The same for an organization: org, else cli->org; 0 or -1 with the reason printed. */
int cli_need_org(const struct cli *cli, const char *org);

/* town_cmds.c: the commands for what lives in a town. */
int cmd_town(struct cli *cli, int argc, char **argv);
int cmd_rig(struct cli *cli, int argc, char **argv);
int cmd_bead(struct cli *cli, int argc, char **argv);
int cmd_convoy(struct cli *cli, int argc, char **argv);
int cmd_mail(struct cli *cli, int argc, char **argv);
int cmd_feed(struct cli *cli, int argc, char **argv);
int cmd_mayor(struct cli *cli, int argc, char **argv);

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

/* integration_cmds.c: a town's GitHub, GitLab and Slack integrations (`gt integration`): list,
 * set (secrets read from a file or stdin, never argv, never printed), rm, map and unmap logins.
 * Prints the answer (text, or the town's JSON with --json) or the error; returns the exit status:
 * 0, 1 for a refused or failed call, 2 for a bad argument or a secret that cannot be read. */
int cmd_integration(struct cli *cli, int argc, char **argv);

/* persona_cmds.c: a town's personas (`gt persona`): list, show, create, edit, delete. Prints the
 * answer (text, or the town's JSON with --json) or the error; returns the exit status: 0, 1 for a
 * refused or failed call, 2 for a bad argument or an --overlay-file that cannot be read. */
int cmd_persona(struct cli *cli, int argc, char **argv);
/* registry_cmds.c: the registry (`gt formula`, `gt config`): search, show, publish, deprecate,
 * install into a town, run a formula. */
int cmd_formula(struct cli *cli, int argc, char **argv);
int cmd_config(struct cli *cli, int argc, char **argv);
/* import_cmds.c: local Gas Town's beads in and out as bd's JSONL (`gt import`, `gt export`). */
int cmd_import(struct cli *cli, int argc, char **argv);
int cmd_export(struct cli *cli, int argc, char **argv);
/* wasteland_cmds.c: the town in the Wasteland (`gt wasteland`). */
int cmd_wasteland(struct cli *cli, int argc, char **argv);

/* agent_cmds.c: what an agent running in its worktree tells the town, and `gt sling`. The agent is
 * cli->agent; each call reads the agent's token again (token_load_agent). The functions print
 * their result (text, or the data with --json) or the error, and return the exit status: 0, 1
 * for a refused or failed call, 2 for a bad argument. */
int cmd_prime(struct cli *cli, int argc, char **argv);
int cmd_status(struct cli *cli, int argc, char **argv);
int cmd_note(struct cli *cli, int argc, char **argv);
int cmd_notes(struct cli *cli, int argc, char **argv);
int cmd_history(struct cli *cli, int argc, char **argv);
int cmd_search(struct cli *cli, int argc, char **argv);
int cmd_done(struct cli *cli, int argc, char **argv);
int cmd_escalate(struct cli *cli, int argc, char **argv);
int cmd_sling(struct cli *cli, int argc, char **argv);
int cmd_attempts(struct cli *cli, int argc, char **argv);
int cmd_stats(struct cli *cli, int argc, char **argv);
int cmd_record(struct cli *cli, int argc, char **argv);
int cmd_recommend(struct cli *cli, int argc, char **argv);
/* An agent's inbox (`gt mail inbox` when cli->as_agent); unread 1 for the unread only. */
int agent_mail_list(struct cli *cli, int unread);
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

/* connect.c: `gt connect TOWN_URL`, a member's machine joins as a crew agent and serves the town's
 * MCP endpoint on loopback for a local coding CLI; `gt disconnect AGENT`. Exit status 0, 1 for a
 * refused or failed call, 2 for a bad argument. */
int cmd_connect(struct cli *cli, int argc, char **argv);
int cmd_disconnect(struct cli *cli, int argc, char **argv);

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
/* The same with a body of another type (content_type: "application/toml"). */
int http_call_typed(const struct cli *cli, const char *method, const char *path, const char *body,
		    const char *content_type, cJSON **body_out, char *err_out, size_t err_len);
/* A request path built in pieces; overflow is set (and the rest dropped) when it does not fit. */
struct http_path {
	char s[1024];
	size_t n;
	int overflow;
};
/* Append lit as it is (slashes, '?', '&', '=' included). */
void http_path_lit(struct http_path *p, const char *lit);
/* Append seg percent-encoded: an id or a query value, whatever it holds. */
void http_path_seg(struct http_path *p, const char *seg);

/* call.c: one API call as a command makes it. */
/* Send body (consumed; NULL for none) to p. 0 with *res_out the whole answer (the caller deletes
 * it); 1 with the error printed (cli_fail) and *res_out NULL; 2 with "the request path is too long"
 * printed when p overflowed. The body's strings and the text sent are wiped before they are freed:
 * a body may hold secrets (gt integration set). */
int cli_call(struct cli *cli, const char *method, const struct http_path *p, cJSON *body, cJSON **res_out);
/* cli_call with text as the body, sent as content_type (a file published as it is). */
int cli_call_text(struct cli *cli, const char *method, const struct http_path *p, const char *text,
		  const char *content_type, cJSON **res_out);
/* Overwrite every string under o (a request body's secrets) before it is freed. */
void cli_wipe_strings(cJSON *o);
/* An answer's integer field o[k] for printing: 0 when absent, not a number or past an int's
 * range (converting such a double is undefined behaviour). */
int cli_int(const cJSON *o, const char *k);
/* Print v as indented JSON on a line of its own; "null" when v is NULL. */
void cli_print_json(const cJSON *v);
/* Print an answer's data: as JSON with --json (cli->json), else with text (NULL: nothing). */
void cli_print_data(const struct cli *cli, const cJSON *res, void (*text)(const cJSON *data));
/* cli_call, then cli_print_data on success; returns cli_call's exit status (0, 1 or 2). */
int cli_call_print(struct cli *cli, const char *method, const struct http_path *p, cJSON *body,
		   void (*text)(const cJSON *data));

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
