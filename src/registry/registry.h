/*
 * registry/registry.h - the platform's shared memory (docs/registry.md): formulas and agent configs
 * an organization publishes for every town, kept by the one RegistryDO (engine kind "registry",
 * id "platform"), and a town's side of them: what it installed, pinned to a version, and the
 * molecules its formulas became. Over memory.
 *
 * TOML is a syntax, not a meaning: the host parses a published file (docs/host-abi.md, "toml") and
 * the engine checks what it says here, keeping the source to point at the line at fault.
 */
#ifndef GASTOWN_REGISTRY_H
#define GASTOWN_REGISTRY_H

#include "memory/memory.h"

#define REGISTRY_ID "platform"
#define REGISTRY_NAME_MAX 64
#define REGISTRY_SOURCE_MAX 65536
#define REGISTRY_VERSIONS_MAX 1000
#define REGISTRY_LIST_MAX 100
#define FORMULA_STEPS_MAX 100 /* a molecule is one convoy: CONVOY_BEADS_MAX */
#define FORMULA_VARS_MAX 50
#define FORMULA_VAR_MAX 1000 /* a variable's value as a run gives it */

/* ---- semver.c: versions as semver.org orders them ---------------------------------------------- */

struct semver {
	long major, minor, patch;
	char pre[64]; /* the pre-release part after '-', "" for a release */
};
/* 1 when s is MAJOR.MINOR.PATCH[-PRE] (no leading zeros, no build part), with *v filled. */
int semver_parse(const char *s, struct semver *v);
/* <0, 0 or >0 as a orders before, with or after b (a pre-release before its release). */
int semver_cmp(const struct semver *a, const struct semver *b);

/* ---- package.c: what a published file says, checked --------------------------------------------- */

/* 1 when s can name a package: 1-64 of a-z 0-9 - _ ., a letter or digit first. */
int package_name_valid(const char *s);

/* A published file's meaning, from the host's parse of its TOML (value) and the source itself
 * (for the line of an error). A formula: {kind: "formula", name, version, type, description, vars:
 * [{name, description, required, default?}], steps: [{id, title, description, needs}]}; an agent
 * config: {kind: "config", name, version, description, persona: {title, overlay, model,
 * allowed_tools, denied_tools, gates}, runtime?}. NULL with e set: ERR_INVALID on field "source",
 * a reason (syntax, missing, type, form, unknown_step, cycle, unknown_variable, ...) and a message
 * "line N: ..." where the source shows the fault. */
cJSON *package_check(struct err *e, const cJSON *value, const char *source);

/* A formula's steps as a run makes them: titles and descriptions with the run's variables put in
 * ({{name}}), defaults for those not given. NULL with e set (ERR_INVALID on "vars.NAME": unknown,
 * required and missing, not a string, too long). */
cJSON *formula_render(struct err *e, const cJSON *spec, const cJSON *vars);

/* ---- registry.c: the RegistryDO --------------------------------------------------------------- */

/* POST /_internal/orgs/:org/publish, from that org's object (it checked the caller is an admin):
 * the host's TOML parse {source, value} or {source, error: {line, column, message}}. */
int registry_publish(struct call *c);
/* POST {reason} | DELETE /_internal/orgs/:org/packages/:name/:version/deprecation, from the org's
 * object: the version, deprecated or not. */
extern const struct fields registry_deprecation_body;
int registry_deprecate(struct call *c);
/* GET /api/registry?q=&kind=&org=&limit=: packages whose name or description holds q. */
int registry_search(struct call *c);
/* GET /api/registry/:name: a package with its versions and their outcomes. */
int registry_package(struct call *c);
/* GET /api/registry/:name/:version ("latest": the newest release not deprecated), and the same
 * for towns at /_internal/packages/:name/:version: the version's source and meaning. */
int registry_version(struct call *c);
/* POST /_internal/outcomes, from a town: {run, name, version, outcome: landed|failed}; a run is
 * counted once. */
extern const struct fields registry_outcome_body;
int registry_outcome(struct call *c);

/* ---- install.c: a town's installed packages ---------------------------------------------------- */

/* POST /api/towns/:town/installs {name, version?} (admins): fetched from the registry (a do://
 * effect, purpose "install"; timer "install" retries one not answered), then pinned. A config
 * becomes the town's persona of its name. */
int install_request(struct call *c, const char *name, const char *version);
int install_fetched(struct call *c, const char *subject, const cJSON *result, const char *body, size_t len);
int install_retry_fired(struct call *c, const char *key);
cJSON *installs_json(struct call *c);
/* One installed package with its meaning; NULL with ERR_NOT_FOUND (field name) when not installed. */
cJSON *install_json(struct call *c, const char *name);
int install_remove(struct call *c, const char *name);
/* The pinned meaning of an installed formula (owned by the caller), with its version; NULL with
 * ERR_NOT_FOUND, or ERR_CONFLICT while it is still being fetched or is not a formula. */
cJSON *install_formula(struct call *c, const char *name, char *version, size_t version_len);
int install_wipe(struct call *c);

/* ---- molecule.c: a formula run in a town ------------------------------------------------------- */

struct molecule_req {
	const char *name, *rig;
	const cJSON *vars; /* object of strings, or NULL */
	int held;          /* the steps wait to be slung */
};
/* One bead per step, blocked by the steps it needs, in one fan-out convoy: {run, convoy, formula,
 * version, beads: [{step, bead}]}, or NULL with c->err. */
cJSON *molecule_start(struct call *c, const struct molecule_req *r);
/* A run's convoy landed or failed: told to the registry once (a do:// effect, purpose "outcome";
 * timer "outcome" resends one not taken). */
int molecule_on_bead(struct call *c, const struct bead_change *ch);
int molecule_outcome_sent(struct call *c, const char *subject, const cJSON *result, const char *body, size_t len);
int molecule_outcome_fired(struct call *c, const char *key);
cJSON *molecule_runs_json(struct call *c, const char *name);
int molecule_wipe(struct call *c);

#endif
