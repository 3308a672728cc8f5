/*
 * diffstat.c - what a branch changed, in git's own numbers: `git diff --numstat` and
 * `--name-status` of base...head read into the done report's diff object (per file: path, status,
 * additions, deletions, binary). git runs through a function the caller gives, so the same code
 * serves the host (refinery.c: what a merge landed) and gt (a polecat's done, in its worktree).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diffstat.h"

#define BRANCH_MAX 200

#define SHA_MAX 64

/* A path as git prints it: as it is, or C-quoted ("a\tb", octal escapes for other bytes). Into
 * out (cap bytes); 0, or -1 when it does not fit or is malformed. */
static int unquote(const char *s, size_t n, char *out, size_t cap)
{
	size_t o = 0;

	if (n < 2 || s[0] != '"' || s[n - 1] != '"') {
		if (n >= cap)
			return -1;
		memcpy(out, s, n);
		out[n] = '\0';
		return 0;
	}
	for (size_t i = 1; i + 1 < n; i++) {
		char ch = s[i];

		if (o + 1 >= cap)
			return -1;
		if (ch == '\\' && i + 2 < n) {
			char e = s[++i];
			if (e >= '0' && e <= '3' && i + 2 < n - 1) {
				if (s[i + 1] < '0' || s[i + 1] > '7' || s[i + 2] < '0' || s[i + 2] > '7')
					return -1;
				ch = (char)(((e - '0') << 6) | ((s[i + 1] - '0') << 3) | (s[i + 2] - '0'));
				i += 2;
			} else {
				ch = e == 't' ? '\t' : e == 'n' ? '\n' : e == 'r' ? '\r' : e == 'a' ? '\a' :
				     e == 'b' ? '\b' : e == 'f' ? '\f' : e == 'v' ? '\v' : e;
			}
		}
		out[o++] = ch;
	}
	out[o] = '\0';
	return 0;
}

/* Bytes that are not UTF-8 become '?': the town takes only valid UTF-8, and one odd file name
 * must not cost the whole report. */
static void utf8_fix(char *s)
{
	unsigned char *p = (unsigned char *)s;

	while (*p) {
		size_t n = *p < 0x80 ? 1 : (*p >> 5) == 6 && *p >= 0xc2 ? 2 : (*p >> 4) == 14 ? 3 :
			   (*p >> 3) == 30 && *p <= 0xf4 ? 4 : 0;
		size_t i = 1;

		while (n > 1 && i < n && (p[i] & 0xc0) == 0x80)
			i++;
		if (n == 0 || i < n) {
			*p++ = '?';
			continue;
		}
		p += n;
	}
}

static const char *status_name(char x)
{
	switch (x) {
	case 'A': return "added";
	case 'D': return "deleted";
	case 'T': return "type_changed";
	case 'R': return "renamed";
	case 'C': return "copied";
	default: return "modified";
	}
}

/* The next line of *p (without its newline) into line/len; 0 at the end. */
static int next_line(const char **p, const char **line, size_t *len)
{
	const char *nl;

	if (!**p)
		return 0;
	nl = strchr(*p, '\n');
	*line = *p;
	*len = nl ? (size_t)(nl - *p) : strlen(*p);
	*p = nl ? nl + 1 : *p + *len;
	return 1;
}

void diffstat_parse(const char *numstat, const char *names, cJSON *files)
{
	const char *np = numstat, *sp = names, *nl, *sl;
	size_t nlen, slen;
	char path[4 * DIFFSTAT_PATH_MAX], spath[4 * DIFFSTAT_PATH_MAX];
	int n = 0;

	while (n < DIFFSTAT_FILES_MAX && next_line(&np, &nl, &nlen) && next_line(&sp, &sl, &slen)) {
		const char *t1 = memchr(nl, '\t', nlen), *t2 = t1 ? memchr(t1 + 1, '\t', nlen - (size_t)(t1 + 1 - nl)) : NULL;
		const char *st = memchr(sl, '\t', slen);
		int binary;
		cJSON *f;

		if (!t1 || !t2 || !st || unquote(t2 + 1, nlen - (size_t)(t2 + 1 - nl), path, sizeof path) < 0 ||
		    unquote(st + 1, slen - (size_t)(st + 1 - sl), spath, sizeof spath) < 0 || strcmp(path, spath) != 0 ||
		    !*path)
			continue;
		utf8_fix(path);
		if (strlen(path) > DIFFSTAT_PATH_MAX)
			continue; /* NEEDSWORK: left out of the report (and its totals) rather than cut */
		/* Binary files have "-" for both counts. */
		binary = nl[0] == '-';
		f = cJSON_CreateObject();
		cJSON_AddStringToObject(f, "path", path);
		cJSON_AddStringToObject(f, "status", status_name(sl[0]));
		cJSON_AddNumberToObject(f, "additions", binary ? 0 : strtod(nl, NULL));
		cJSON_AddNumberToObject(f, "deletions", binary ? 0 : strtod(t1 + 1, NULL));
		cJSON_AddBoolToObject(f, "binary", binary);
		cJSON_AddItemToArray(files, f);
		n++;
	}
}

static int is_sha(const char *s)
{
	size_t n = strspn(s, "0123456789abcdef");

	return n >= 7 && n <= SHA_MAX && s[n] == '\0';
}

/* The languages the town's stats speak of, by file name ending; the first match wins. */
static const struct {
	const char *suffix, *language;
} languages[] = {
	{".c", "c"},          {".h", "c"},           {".cc", "cpp"},        {".cpp", "cpp"},     {".hpp", "cpp"},
	{".rs", "rust"},      {".go", "go"},         {".py", "python"},     {".js", "javascript"},
	{".mjs", "javascript"}, {".jsx", "javascript"}, {".ts", "typescript"}, {".tsx", "typescript"},
	{".java", "java"},    {".kt", "kotlin"},     {".rb", "ruby"},       {".php", "php"},     {".cs", "csharp"},
	{".swift", "swift"},  {".scala", "scala"},   {".ex", "elixir"},     {".exs", "elixir"}, {".sh", "shell"},
	{".lua", "lua"},      {".zig", "zig"},       {".hs", "haskell"},    {".ml", "ocaml"},    {".dart", "dart"},
};

const char *diffstat_language(const char *ls_files)
{
	size_t counts[sizeof languages / sizeof languages[0]] = {0}, best = 0;
	const char *winner = NULL;

	for (const char *p = ls_files; p && *p;) {
		size_t len = strcspn(p, "\n");

		for (size_t i = 0; i < sizeof languages / sizeof languages[0]; i++) {
			size_t n = strlen(languages[i].suffix);

			if (len > n && memcmp(p + len - n, languages[i].suffix, n) == 0) {
				counts[i]++;
				break;
			}
		}
		p += len + (p[len] == '\n');
	}
	/* Per language, not per suffix: .c and .h count together. */
	for (size_t i = 0; i < sizeof languages / sizeof languages[0]; i++) {
		size_t total = 0;

		for (size_t j = 0; j < sizeof languages / sizeof languages[0]; j++)
			if (strcmp(languages[j].language, languages[i].language) == 0)
				total += counts[j];
		if (total > best) {
			best = total;
			winner = languages[i].language;
		}
	}
	return winner ? winner : "other";
}

cJSON *diffstat_report(diffstat_git run, const char *dir, const char *base, const char *head)
{
	char from[SHA_MAX + 2] = "", to[SHA_MAX + 2] = "", range[2 * SHA_MAX + 8];
	char *numstat = malloc(DIFFSTAT_OUT_MAX), *names = malloc(DIFFSTAT_OUT_MAX);
	cJSON *r = NULL;

	/* Full ids: what the town stores is what anyone can ask the host or the platform for later. */
	const char *mb[] = {"merge-base", base, head, NULL};
	const char *rp[] = {"rev-parse", "--verify", "-q", NULL, NULL};
	const char *ns[] = {"-c", "core.quotePath=false", "diff", "--no-color", "--no-ext-diff", "--no-renames",
			    "--numstat", range, "--", NULL};
	const char *st[] = {"-c", "core.quotePath=false", "diff", "--no-color", "--no-ext-diff", "--no-renames",
			    "--name-status", range, "--", NULL};

	if (!numstat || !names)
		goto out;
	if (run(dir, from, sizeof from, mb) != 0 || !is_sha(from))
		goto out;
	{
		char spec[BRANCH_MAX + 16];
		snprintf(spec, sizeof spec, "%s^{commit}", head);
		rp[3] = spec;
		if (run(dir, to, sizeof to, rp) != 0 || !is_sha(to))
			goto out;
	}
	snprintf(range, sizeof range, "%s...%s", from, to);
	if (run(dir, numstat, DIFFSTAT_OUT_MAX, ns) != 0 || run(dir, names, DIFFSTAT_OUT_MAX, st) != 0)
		goto out;
	r = cJSON_CreateObject();
	cJSON_AddStringToObject(r, "base", from);
	cJSON_AddStringToObject(r, "head", to);
	diffstat_parse(numstat, names, cJSON_AddArrayToObject(r, "files"));
	/* The repository's language at head, for the town's outcome records (its file names: one
	 * listing, reusing the numstat buffer). */
	{
		const char *ls[] = {"ls-tree", "-r", "--name-only", to, NULL};

		if (run(dir, numstat, DIFFSTAT_OUT_MAX, ls) == 0)
			cJSON_AddStringToObject(r, "language", diffstat_language(numstat));
	}
out:
	free(numstat);
	free(names);
	return r;
}
