/*
 * opt.c - how every gt command reads its command line: getopt_long over the command's own option
 * table plus --help/-h and --json, operands collected in order, and one way to report a usage
 * error (the bad word named, the synopsis, a pointer to --help; exit 2). It prints, and never
 * touches the network: --help and usage errors are decided before any request is made.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "auth/auth.h" /* id_valid: the engine's own id rule, so gt refuses what the town would */

#define FOOTER "Exit status: 0 done, 1 the town refused or could not be reached, 2 a usage error.\n"

/* "usage: gt ..." with each further synopsis line indented under the first. */
static void print_synopsis(const char *synopsis, FILE *to)
{
	const char *s = synopsis;

	fprintf(to, "usage: ");
	while (*s) {
		size_t n = strcspn(s, "\n");

		fprintf(to, "%sgt %.*s\n", s == synopsis ? "" : "       ", (int)n, s);
		s += n + (s[n] == '\n');
	}
}

int opt_usage(const struct usage *u, FILE *to)
{
	print_synopsis(u->synopsis, to);
	if (u->text)
		fprintf(to, "\n%s", u->text);
	fprintf(to, "\n%s", FOOTER);
	return 0;
}

int opt_fail(const struct usage *u, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "gt%s%s: ", *u->name ? " " : "", u->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	print_synopsis(u->synopsis, stderr);
	fprintf(stderr, "Run 'gt %s%s--help' for more.\n", u->name, *u->name ? " " : "");
	return 2;
}

void opt_init(struct opt *o, struct cli *cli, const struct usage *u, const char *shortopts,
	      const struct option *longopts, int argc, char **argv)
{
	static const struct option common[] = {
		{"help", no_argument, 0, 'h'}, {"json", no_argument, 0, OPT_JSON}, {0, 0, 0, 0},
	};
	size_t n = 0;

	*o = (struct opt){.cli = cli, .usage = u, .argc = argc, .argv = argv, .pos = argv + 1};
	/* '-': operands come back in order (value 1) whatever POSIXLY_CORRECT says, so options may
	 * follow them; ':': a missing value is reported as such, not as an unknown option. */
	snprintf(o->shortopts, sizeof o->shortopts, "-:h%s", shortopts ? shortopts : "");
	for (; longopts && longopts[n].name && n < OPT_MAX; n++)
		o->longopts[n] = longopts[n];
	memcpy(o->longopts + n, common, sizeof common);
	optind = 0; /* glibc: 0 starts a fresh scan, needed when the ordering mode changes */
	opterr = 0;
}

/* 1 for "-5", "-0.01", "-.5": a negative number where an option could be. */
static int is_number_like(const char *s)
{
	return s[0] == '-' && ((s[1] >= '0' && s[1] <= '9') || (s[1] == '.' && s[2] >= '0' && s[2] <= '9'));
}

/* 1 when name (up to '=' or its end) is one of the long options that takes no value. */
static int takes_no_value(const struct opt *o, const char *name)
{
	size_t n = strcspn(name, "=");

	for (const struct option *l = o->longopts; l->name; l++)
		if (strlen(l->name) == n && strncmp(l->name, name, n) == 0)
			return l->has_arg == no_argument;
	return 0;
}

int opt_next(struct opt *o)
{
	for (;;) {
		/* The word getopt is about to read: a long option, or a cluster of short ones. */
		int at = optind ? optind : 1, c;
		const char *word = at < o->argc ? o->argv[at] : "";
		int is_long = strncmp(word, "--", 2) == 0;
		int name_len = (int)strcspn(word, "=");

		/* "-5" and "-0.01" are numbers, not options (no option of gt is a digit): operands, so
		 * the check of the value names them ("'-5' is negative"). */
		if (at < o->argc && is_number_like(word)) {
			o->pos[o->npos++] = o->argv[at];
			optind = at + 1;
			if (o->shortopts[0] != '+')
				continue;
			/* '+': the first operand ends the options. */
			while (optind < o->argc)
				o->pos[o->npos++] = o->argv[optind++];
			return -1;
		}
		c = getopt_long(o->argc, o->argv, o->shortopts, o->longopts, NULL);
		if (c == -1) {
			/* After "--" the rest are operands, even those that start with '-'. */
			while (optind < o->argc)
				o->pos[o->npos++] = o->argv[optind++];
			return -1;
		}
		if (c == 1) {
			/* pos[k] is argv[k + 1], a word already read: the operands never overtake the
			 * scan (and '-' ordering never permutes argv). */
			o->pos[o->npos++] = optarg;
			continue;
		}
		if (c == OPT_JSON) {
			o->cli->json = 1;
			continue;
		}
		if (c == 'h') {
			opt_usage(o->usage, stdout);
			return OPT_HELP;
		}
		if (c == ':' || c == '?') {
			if (c == ':' && is_long)
				opt_fail(o->usage, "option '%.*s' needs a value", name_len, word);
			else if (c == ':')
				opt_fail(o->usage, "option '-%c' needs a value", optopt);
			else if (is_long && word[name_len] == '=' && takes_no_value(o, word + 2))
				opt_fail(o->usage, "option '%.*s' takes no value", name_len, word);
			else if (is_long)
				opt_fail(o->usage, "unknown option '%.*s'", name_len, word);
			else
				opt_fail(o->usage, "unknown option '-%c'", optopt);
			return OPT_BAD;
		}
		/* getopt takes the next word as the value even when it is an option: `--user --name X`
		 * would sign in as "--name". A value that starts with '-' is written --user=-x. */
		if (optarg && optarg == o->argv[optind - 1] && optarg[0] == '-' && optarg[1] &&
		    !is_number_like(optarg)) {
			char name[96];

			if (is_long)
				snprintf(name, sizeof name, "%.*s", name_len, word);
			else
				snprintf(name, sizeof name, "-%c", c);
			opt_fail(o->usage, "option '%s' needs a value, not the option '%s' (a value that starts "
					   "with '-' is written %s=VALUE)", name, optarg, is_long ? name : "--OPTION");
			return OPT_BAD;
		}
		return c;
	}
}

int opt_operands(const struct opt *o, int min, int max)
{
	if (o->npos < min) {
		opt_fail(o->usage, o->npos == 0 ? "missing operand" : "missing operand after '%s'",
			 o->npos ? o->pos[o->npos - 1] : "");
		return -1;
	}
	if (max >= 0 && o->npos > max) {
		opt_fail(o->usage, "unexpected argument '%s'", o->pos[max]);
		return -1;
	}
	return 0;
}

int opt_plain(struct opt *o, struct cli *cli, const struct usage *u, int min, int max, int argc,
	      char **argv)
{
	static const struct option none[] = {{0, 0, 0, 0}};
	int c;

	opt_init(o, cli, u, NULL, none, argc, argv);
	if ((c = opt_next(o)) != -1)
		return OPT_EXIT(c);
	return opt_operands(o, min, max) < 0 ? 2 : -1;
}

int opt_long(const struct usage *u, const char *name, const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	/* Digits only: strtol would take " 5", "+5" and "5x". */
	if (*s && strspn(s, "0123456789") == strlen(s) && strlen(s) <= 18) {
		v = strtol(s, &end, 10);
		if (v >= min && v <= max) {
			*out = v;
			return 0;
		}
	}
	opt_fail(u, "%s takes a whole number from %ld to %ld, not '%s'", name, min, max, s);
	return -1;
}

int opt_id(const struct usage *u, const char *what, const char *id)
{
	if (id_valid(id))
		return 0;
	opt_fail(u, "'%s' is not a valid %s id (1-64 of a-z A-Z 0-9 _ -, not starting with -)", id, what);
	return -1;
}

int opt_dispatch(struct cli *cli, const struct usage *u, const struct subcommand *subs, size_t n,
		 int argc, char **argv)
{
	static const struct option none[] = {{0, 0, 0, 0}};
	struct usage all = *u;
	char synopsis[4096] = "";
	size_t used = 0;
	struct opt o;
	int c;

	/* The command's synopsis is its subcommands'. */
	for (size_t i = 0; i < n && used < sizeof synopsis; i++)
		used += (size_t)snprintf(synopsis + used, sizeof synopsis - used, "%s%s", i ? "\n" : "",
					 subs[i].usage->synopsis);
	all.synopsis = synopsis;
	/* Options before the subcommand: --help and --json only ('+': stop at the subcommand). */
	opt_init(&o, cli, &all, NULL, none, argc, argv);
	snprintf(o.shortopts, sizeof o.shortopts, "+:h");
	if ((c = opt_next(&o)) != -1)
		return c < 0 ? OPT_EXIT(c) : 2; /* no option of its own: only --help and errors */
	if (o.npos == 0)
		return opt_fail(&all, "which subcommand?");
	for (size_t i = 0; i < n; i++) {
		if (strcmp(o.pos[0], subs[i].name) != 0)
			continue;
		/* The subcommand sees itself as argv[0], the rest of the words after it. */
		return subs[i].run(cli, o.npos, o.pos);
	}
	return opt_fail(&all, "unknown subcommand '%s'", o.pos[0]);
}
