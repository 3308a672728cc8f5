/*
 * federation/federation.h - the town beside other Gas Towns (docs/import-export.md): beads brought
 * in from local Gas Town's JSONL (`bd export`) and sent back in it. Over registry.
 */
#ifndef GASTOWN_FEDERATION_H
#define GASTOWN_FEDERATION_H

#include "registry/registry.h"

/* ---- beads_jsonl.c: bd's JSONL in and out ----------------------------------------------------- */

#define JSONL_LINES_MAX 2000     /* lines of one import request */
#define JSONL_EXTRA_MAX 262144   /* bytes of a line the town keeps without modelling */
#define JSONL_EXPORT_MAX 500     /* beads of one export page */

/* POST /api/towns/:town/import?first_line=&dry_run= : the body is JSONL, one bd issue a line. All
 * of it or none: the first bad line is 400 on field "line" with its number (counted from
 * first_line), and nothing is stored. A line's id that came before updates its bead. With dry_run
 * nothing is kept either way. Answers {lines, created, updated, skipped, dry_run}. */
int beads_jsonl_import(struct call *c);
/* GET /api/towns/:town/export?cursor=&limit= : the town's beads as bd's JSONL, oldest first, one
 * page: {jsonl, count, next_cursor}. */
int beads_jsonl_export(struct call *c);
/* A bead deleted: its line's id and extras go with it. */
int beads_jsonl_on_bead(struct call *c, const struct bead_change *ch);
int beads_jsonl_wipe(struct call *c);

#endif
