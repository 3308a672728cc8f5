-- Crew agents: a member's own machine joined to the town (`gt connect`), with the coding CLI they
-- run there. A crew agent is owned by that member; work is hooked to it by hand, never dispatched
-- to it. The role check is part of the table, so the table is made again with 'crew' allowed.
CREATE TABLE agents_new (
	id TEXT PRIMARY KEY,
	name TEXT NOT NULL UNIQUE,
	role TEXT NOT NULL CHECK (role IN ('mayor', 'polecat', 'refinery', 'triage', 'crew')),
	rig TEXT,
	state TEXT NOT NULL DEFAULT 'idle' CHECK (state IN ('idle', 'working', 'stopped', 'lost')),
	hook TEXT UNIQUE,
	requested_by TEXT,
	last_heartbeat_ms REAL,
	created_ms REAL NOT NULL,
	updated_ms REAL NOT NULL,
	token_gen INTEGER NOT NULL DEFAULT 0,
	started_ms REAL,
	active_ms REAL,
	quiet_stage INTEGER NOT NULL DEFAULT 0,
	owner TEXT CHECK ((role = 'crew') = (owner IS NOT NULL))
);
INSERT INTO agents_new (id, name, role, rig, state, hook, requested_by, last_heartbeat_ms, created_ms,
			updated_ms, token_gen, started_ms, active_ms, quiet_stage)
	SELECT id, name, role, rig, state, hook, requested_by, last_heartbeat_ms, created_ms, updated_ms,
	       token_gen, started_ms, active_ms, quiet_stage FROM agents;
DROP TABLE agents;
ALTER TABLE agents_new RENAME TO agents;
CREATE UNIQUE INDEX agents_one_mayor ON agents(role) WHERE role = 'mayor';
CREATE UNIQUE INDEX agents_one_refinery ON agents(rig) WHERE role = 'refinery';
CREATE INDEX agents_crew ON agents(owner) WHERE role = 'crew';
