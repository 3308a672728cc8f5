-- Agents of the town and their hooks (the bead each works on), plain-language status messages,
-- and the town's own key for the agent tokens it mints.
CREATE TABLE agents (
	id TEXT PRIMARY KEY,
	name TEXT NOT NULL UNIQUE,
	role TEXT NOT NULL CHECK (role IN ('mayor', 'polecat', 'refinery', 'triage')),
	rig TEXT,
	state TEXT NOT NULL DEFAULT 'idle' CHECK (state IN ('idle', 'working', 'stopped', 'lost')),
	hook TEXT UNIQUE,            -- one bead per agent; UNIQUE: one agent per bead
	requested_by TEXT,           -- the human at the root of the hooked work
	last_heartbeat_ms REAL,
	created_ms REAL NOT NULL,
	updated_ms REAL NOT NULL
);
CREATE UNIQUE INDEX agents_one_mayor ON agents(role) WHERE role = 'mayor';
CREATE UNIQUE INDEX agents_one_refinery ON agents(rig) WHERE role = 'refinery';

CREATE TABLE agent_status (
	seq INTEGER PRIMARY KEY,
	agent TEXT NOT NULL,
	message TEXT NOT NULL CHECK (length(message) BETWEEN 1 AND 280),
	at_ms REAL NOT NULL
);
CREATE INDEX agent_status_agent ON agent_status(agent, seq);

CREATE TABLE town_keys (
	name TEXT PRIMARY KEY,
	secret BLOB NOT NULL
);
