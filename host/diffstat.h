/*
 * diffstat.h - what a branch changed, in git's own numbers (diffstat.c). Its own header because gt
 * links diffstat.c too (a polecat's done report) and must not see the rest of host.h.
 */
#ifndef GASTOWN_DIFFSTAT_H
#define GASTOWN_DIFFSTAT_H

#include <stddef.h>

#include "cJSON.h"

#define DIFFSTAT_FILES_MAX 1000         /* files in one report (the town takes at most 1000) */
#define DIFFSTAT_OUT_MAX (1024 * 1024)  /* bytes of one git listing read */
#define DIFFSTAT_PATH_MAX 1024          /* bytes of a path the town takes */

/* How diffstat runs git: git_run's contract (gt passes its own). */
typedef int (*diffstat_git)(const char *dir, char *out, size_t cap, const char *const *args);
/* The done report's diff of base...head in dir: {base, head, files: [{path, status, additions,
 * deletions, binary}], language}, base the merge base of base and head (full ids), at most DIFFSTAT_FILES_MAX
 * files, renames as a deletion and an addition. A new object, NULL when git failed. */
cJSON *diffstat_report(diffstat_git run, const char *dir, const char *base, const char *head);
/* The repository's main language from a listing of its files (one path per line): the language
 * with the most files among those the table knows ("c", "rust", "python", ...), "other" when
 * none is known. No I/O. */
const char *diffstat_language(const char *ls_files);
/* The files of `git diff --no-renames --numstat` and `--name-status` outputs (same order), into
 * files (at most DIFFSTAT_FILES_MAX). Lines that do not parse are skipped. No I/O. */
void diffstat_parse(const char *numstat, const char *names, cJSON *files);

#endif
