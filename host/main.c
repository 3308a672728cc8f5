/*
 * main.c - gastown-host: options, signals and the loop.
 *
 * One thread. The loop polls MHD's epoll fd, the metering proxy's two (its listener's, and the
 * epoll set of its upstream sockets), the town calls' epoll set, every agent's terminal and stderr
 * pipe and the dashboard terminals' sockets with ppoll, the only place
 * where SIGCHLD, SIGTERM and SIGINT are unblocked, so a signal always wakes it and never lands
 * anywhere else. HTTP handlers, proxied calls, reaping and timers all run from here, so the agent
 * table needs no lock. Nothing here waits on the network: the calls to the town (town.c) and the
 * proxied model calls (meter.c) run on curl's multi interface, their sockets in epoll sets this
 * loop polls, so a town that hangs slows no agent and no answer. A start does its slow git work in
 * the agent's own process.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>

#include "host.h"

/* The one piece of global state: set by the handler of SIGTERM and SIGINT. */
static volatile sig_atomic_t stop_requested;

static void on_stop_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void on_child(int sig)
{
	(void)sig; /* only here to interrupt ppoll; the loop reaps */
}

static int usage(FILE *to)
{
	fprintf(to,
		"usage: gastown-host [--listen HOST:PORT] [--state DIR] [--town-url URL]\n"
		"                    [--secret-file FILE] [--gt PATH] [--heartbeat-ms N]\n"
		"                    [--meter-listen HOST:PORT]\n\n"
		"Runs a town's agents on this machine (docs/container-protocol.md).\n"
		"  --listen        address to listen on (default 127.0.0.1:8789; port 0 picks one)\n"
		"  --meter-listen  the metering proxy for the agents' model calls (default 127.0.0.1:0)\n"
		"  --state         where clones, worktrees and tokens live (default ./.state/host)\n"
		"  --town-url      the town's base URL (default $GASTOWN_URL or http://127.0.0.1:8787)\n"
		"  --secret-file   the container secret (default $GASTOWN_CONTAINER_SECRET)\n"
		"  --gt            the gt client for scripted agents (default: gt beside this program)\n"
		"  --heartbeat-ms  heartbeat interval per running agent (default 15000)\n");
	return to == stderr ? 2 : 0;
}

static int load_secret(struct host_config *cfg, const char *file)
{
	const char *env = getenv("GASTOWN_CONTAINER_SECRET");
	char *text = NULL;
	size_t len;

	if (file) {
		text = read_file(file, sizeof cfg->secret - 1, &len);
		if (!text) {
			fprintf(stderr, "gastown-host: cannot read the secret file %s\n", file);
			return -1;
		}
	} else if (env) {
		text = strdup(env);
	}
	if (!text) {
		fprintf(stderr, "gastown-host: no secret: --secret-file FILE or GASTOWN_CONTAINER_SECRET\n");
		return -1;
	}
	len = strcspn(text, "\r\n");
	text[len] = '\0';
	if (len >= sizeof cfg->secret || len < 32) {
		fprintf(stderr, "gastown-host: the container secret must be 32 to %zu bytes\n",
			sizeof cfg->secret - 1);
		free(text);
		return -1;
	}
	memcpy(cfg->secret, text, len + 1);
	cfg->secret_len = len;
	free(text);
	return 0;
}

/* HOST:PORT into host (64 bytes) and *port. */
static int parse_listen(char host[64], unsigned *port_out, const char *arg)
{
	const char *colon = strrchr(arg, ':');
	char *end;
	long port;

	if (!colon || colon == arg || (size_t)(colon - arg) >= 64)
		return -1;
	port = strtol(colon + 1, &end, 10);
	if (*end || end == colon + 1 || port < 0 || port > 65535)
		return -1;
	memcpy(host, arg, (size_t)(colon - arg));
	host[colon - arg] = '\0';
	*port_out = (unsigned)port;
	return 0;
}

static int parse_options(struct host_config *cfg, int argc, char **argv)
{
	static const struct option opts[] = {
		{"listen", required_argument, 0, 'l'}, {"state", required_argument, 0, 's'},
		{"town-url", required_argument, 0, 'u'}, {"secret-file", required_argument, 0, 'k'},
		{"gt", required_argument, 0, 'g'}, {"heartbeat-ms", required_argument, 0, 'b'},
		{"meter-listen", required_argument, 0, 'm'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0},
	};
	const char *state = "./.state/host", *secret_file = NULL, *url = getenv("GASTOWN_URL");
	char *end;
	int c;
	ssize_t n;

	snprintf(cfg->listen_host, sizeof cfg->listen_host, "127.0.0.1");
	cfg->port = 8789;
	snprintf(cfg->meter_host, sizeof cfg->meter_host, "127.0.0.1");
	cfg->meter_port = 0;
	cfg->heartbeat_ms = 15000;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'l':
			if (parse_listen(cfg->listen_host, &cfg->port, optarg) < 0) {
				fprintf(stderr, "gastown-host: --listen wants HOST:PORT, not '%s'\n", optarg);
				return 2;
			}
			break;
		case 'm':
			if (parse_listen(cfg->meter_host, &cfg->meter_port, optarg) < 0) {
				fprintf(stderr, "gastown-host: --meter-listen wants HOST:PORT, not '%s'\n", optarg);
				return 2;
			}
			break;
		case 's': state = optarg; break;
		case 'u': url = optarg; break;
		case 'k': secret_file = optarg; break;
		case 'g': snprintf(cfg->gt, sizeof cfg->gt, "%s", optarg); break;
		case 'b':
			cfg->heartbeat_ms = strtol(optarg, &end, 10);
			if (*end || cfg->heartbeat_ms < 10 || cfg->heartbeat_ms > 3600000) {
				fprintf(stderr, "gastown-host: --heartbeat-ms must be from 10 to 3600000\n");
				return 2;
			}
			break;
		case 'h': return usage(stdout) - 1; /* -1: exit 0 */
		default: return usage(stderr);
		}
	}
	if (optind < argc) {
		fprintf(stderr, "gastown-host: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	snprintf(cfg->town_url, sizeof cfg->town_url, "%s", url && *url ? url : "http://127.0.0.1:8787");
	if (load_secret(cfg, secret_file) < 0)
		return 2;
	n = readlink("/proc/self/exe", cfg->self, sizeof cfg->self - 1);
	if (n <= 0) {
		fprintf(stderr, "gastown-host: cannot find its own executable: %s\n", strerror(errno));
		return 1;
	}
	cfg->self[n] = '\0';
	if (!cfg->gt[0]) {
		char *slash;
		snprintf(cfg->gt, sizeof cfg->gt, "%s", cfg->self);
		slash = strrchr(cfg->gt, '/');
		if (slash && (size_t)(slash - cfg->gt) + 4 < sizeof cfg->gt)
			strcpy(slash + 1, "gt");
	}
	/* Absolute: agents run in their worktrees and find their token file through this path. */
	if (mkdir_p(state) < 0 || !realpath(state, cfg->state)) {
		fprintf(stderr, "gastown-host: cannot use the state dir %s: %s\n", state, strerror(errno));
		return 1;
	}
	return 0;
}

static int64_t clamp_wait(int64_t wait, int64_t deadline, int64_t now)
{
	if (deadline == INT64_MAX)
		return wait;
	deadline -= now;
	if (deadline < 0)
		deadline = 0;
	return deadline < wait ? deadline : wait;
}

/* One turn: wait for something to do (at most a second), then do it. */
static void loop_once(struct host *h, const sigset_t *waitmask)
{
	/* The server, the meter's two, the town's, the agents' terminals and pipes, the dashboard
	 * terminals. */
	enum { MAX = 4 + 2 * HOST_MAX_AGENTS + HOST_TERMINALS_MAX };
	struct pollfd pfds[MAX];
	struct agent *owners[MAX];
	struct term *terms[MAX];
	int64_t now = mono_ms(), wait = 1000, mhd = server_timeout(h);
	struct timespec ts;
	size_t n, first_agent, first_term;
	int ready;

	pfds[0] = (struct pollfd){.fd = server_fd(h), .events = POLLIN};
	first_agent = town_pollfds(&h->town, pfds, meter_pollfds(&h->meter, pfds, 1, MAX), MAX);
	first_term = agents_pollfds(h, pfds, owners, first_agent, MAX);
	n = terminal_pollfds(h, pfds, terms, first_term, MAX);
	if (mhd >= 0 && mhd < wait)
		wait = mhd;
	wait = clamp_wait(wait, agents_deadline(h), now);
	wait = clamp_wait(wait, terminal_deadline(h), now);
	wait = clamp_wait(wait, town_deadline(&h->town), now);
	wait = clamp_wait(wait, meter_deadline(&h->meter), now);
	ts.tv_sec = wait / 1000;
	ts.tv_nsec = (wait % 1000) * 1000000;
	ready = ppoll(pfds, n, &ts, waitmask);
	if (ready > 0) {
		for (size_t i = first_agent; i < first_term; i++)
			if (pfds[i].revents)
				agent_on_readable(h, owners[i], pfds[i].fd);
		for (size_t i = first_term; i < n; i++)
			if (pfds[i].revents)
				terminal_on_ready(h, terms[i], pfds[i].revents);
	}
	meter_run(&h->meter);
	server_run(h);
	agents_reap(h);
	agents_tick(h);
	town_run(&h->town); /* after the agents: what they queued goes out this turn */
	terminal_tick(h); /* last: it frees the terminals that ended, which terms[] may name */
}

int main(int argc, char **argv)
{
	struct host *h;
	struct sigaction sa = {0};
	sigset_t blocked, waitmask;
	int rc;

	if (argc >= 2 && strcmp(argv[1], "agent-run") == 0)
		return child_main(argc - 1, argv + 1);
	h = calloc(1, sizeof *h);
	if (!h)
		return 1;
	rc = parse_options(&h->cfg, argc, argv);
	if (rc != 0) {
		free(h);
		return rc < 0 ? 0 : rc;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0 || town_init(&h->town, h->cfg.town_url) < 0) {
		fprintf(stderr, "gastown-host: cannot initialise libcurl\n");
		free(h);
		return 1;
	}
	/* The signals stay blocked except inside ppoll: see the file's comment. */
	sigemptyset(&blocked);
	sigaddset(&blocked, SIGCHLD);
	sigaddset(&blocked, SIGTERM);
	sigaddset(&blocked, SIGINT);
	sigprocmask(SIG_BLOCK, &blocked, &waitmask);
	sigdelset(&waitmask, SIGCHLD);
	sigdelset(&waitmask, SIGTERM);
	sigdelset(&waitmask, SIGINT);
	sa.sa_handler = on_stop_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = on_child;
	sa.sa_flags = SA_NOCLDSTOP;
	sigaction(SIGCHLD, &sa, NULL);
	signal(SIGPIPE, SIG_IGN); /* a dead agent's stdin is an EPIPE, not our death */

	/* Before any agent runs: a lock file now is one that a killed predecessor's git left. */
	rig_clear_stale_locks(h->cfg.state);
	if (server_start(h) < 0 || meter_start(&h->meter, h->cfg.meter_host, h->cfg.meter_port, &h->town) < 0) {
		server_stop(h);
		town_release(&h->town);
		curl_global_cleanup();
		free(h);
		return 1;
	}
	h->cfg.meter_port = h->meter.port;
	host_log("listening on http://%s:%u (state %s, town %s, gt %s)", h->cfg.listen_host, h->cfg.port,
		 h->cfg.state, h->cfg.town_url, h->cfg.gt);
	host_log("metering proxy on http://%s:%u", h->meter.host, h->meter.port);
	while (!stop_requested)
		loop_once(h, &waitmask);

	host_log("shutting down");
	terminal_shutdown(h); /* MHD must not stop with an upgraded connection still open */
	server_stop(h);
	meter_stop(&h->meter); /* calls in flight are cut: their agents are about to stop */
	agents_shutdown(h);
	town_flush(&h->town, 5000); /* the reports of the agents just stopped, for a few seconds */
	town_release(&h->town);
	curl_global_cleanup();
	free(h);
	host_log("stopped");
	return 0;
}
