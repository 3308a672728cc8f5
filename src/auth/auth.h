/*
 * auth/auth.h - who is calling: people (JWT), agents (the town's own tokens), the operator and other objects
 * of this worker. Over town, whose agents and Mayor it consults.
 */
#ifndef GASTOWN_AUTH_H
#define GASTOWN_AUTH_H

#include "town/town.h"

/* ---- auth.c ----------------------------------------------------------------------------------- */

/* Require the operator's bearer token (debug routes). -1 with ERR_UNAUTHENTICATED when missing or
 * wrong; constant-time in the token's content. */
int auth_operator(struct call *c);
/* Require a human: a bearer JWT that verifies, with a usable "sub". Fills c->who; -1 with
 * ERR_UNAUTHENTICATED and a reason (missing, malformed, bad_signature, expired, ...) otherwise. */
int auth_user(struct call *c);
/* Require a person or an agent of this town (the token's kid tells which key verifies it). */
int auth_person_or_agent(struct call *c);
/* Require the agent named in the path (/api/towns/:town/agents/:agent/...) holding a token this
 * town minted for it, accepted up to grace_s after expiry. Fills c->who. */
int auth_agent(struct call *c, int grace_s);
/* An /_internal call must come from the object kind:id (the host stamps the calling object on
 * every object-to-object call); ERR_FORBIDDEN otherwise. */
int auth_internal_caller(struct call *c, const char *kind, const char *id);
/* 1 if s can be a user id: 1-128 printable ASCII characters, no '/'. */
int user_id_valid(const char *s);

#endif
