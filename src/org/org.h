/*
 * org/org.h - organizations, the towns they own, and a person's registry of their towns and orgs.
 */
#ifndef GASTOWN_ORG_H
#define GASTOWN_ORG_H

#include "auth/auth.h"

/* ---- org.c ------------------------------------------------------------------------------------ */

int org_exists(struct call *c, int *exists);
/* Create the org with the caller as its owner; ERR_CONFLICT when it exists. */
int org_create(struct call *c, const char *id, const char *name);
int org_rename(struct call *c, const char *name);
/* The org as JSON (a new tree), NULL with c->err set on failure. */
cJSON *org_json(struct call *c);
/* Whether the organization's towns report to the platform's figures (docs/casting.md): 1, 0, -1.
 * Setting it pushes the choice to every town with the members (a town that stops withdraws). */
int org_share_stats(struct call *c);
int org_set_share_stats(struct call *c, int on);
/* member_require for this organization. */
int org_require(struct call *c, enum role min, enum role *caller);
/* The org's name into out: 1, or 0 before the org exists, or -1 when storage failed. */
int org_name(struct call *c, char *out, size_t len);

/* ---- org_town.c: towns owned by an organization ----------------------------------------------- */

/* The org asks a new town's object to create itself, with the org's members (ERR_CONFLICT if the
 * org already has that town). The answer comes back as the effect result org_town_created. */
int org_town_create(struct call *c, const char *town, const char *name);
/* Tell one person's registry their role in this org, or (role NULL) that they left it. */
int org_registry_update(struct call *c, const char *user_id, const char *role);
/* After any change to the org's members: send the new list, versioned, to every org town. */
int org_members_push(struct call *c);
cJSON *org_towns_json(struct call *c);
int org_town_created(struct call *c, const char *town, const cJSON *result, const char *body, size_t len);
int org_members_pushed(struct call *c, const char *town, const cJSON *result, const char *body, size_t len);
/* The retry timer of a creation that got no answer. */
int org_create_timer_fired(struct call *c, const char *town);
/* The retry timer: re-send the newest member list to towns that have not confirmed it. */
int org_push_timer_fired(struct call *c, const char *key);
/* The town's side: /_internal/create and /_internal/org-members. */
int town_create_for_org(struct call *c);
int town_apply_org_members(struct call *c);
/* Their bodies (the route table's). */
extern const struct fields town_create_for_org_body, town_org_members_body;
/* The org's side of an org town's deletion (/_internal/towns/:town from that town). */
int org_town_forget(struct call *c);
/* 1 when town is one of the org's towns (in any state), 0 if not, -1 when storage failed. */
int org_town_exists(struct call *c, const char *town);

/* ---- user.c: a person's registry --------------------------------------------------------------- */

/* One entry of a person's registry, as a town or an organization sends it (checked by the route's
 * fields; owner_kind and owner_id are a town's only). */
struct registry_entry {
	const char *name, *role, *owner_kind, *owner_id;
};

int user_town_put(struct call *c, const char *town_id, const struct registry_entry *e);
int user_town_delete(struct call *c, const char *town_id);
cJSON *user_towns_json(struct call *c);
int user_org_put(struct call *c, const char *org_id, const struct registry_entry *e);
int user_org_delete(struct call *c, const char *org_id);
cJSON *user_orgs_json(struct call *c);

#endif
