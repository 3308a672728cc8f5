-- Mail between agents (and from people to agents, the mayor above all), and escalations: problems
-- raised to people, re-raised with a higher severity while nobody acknowledges them.
CREATE TABLE mail (
	seq INTEGER PRIMARY KEY,
	id TEXT NOT NULL UNIQUE,
	from_kind TEXT NOT NULL CHECK (from_kind IN ('user', 'agent')),
	from_id TEXT NOT NULL,
	to_agent TEXT NOT NULL,
	subject TEXT NOT NULL,
	body TEXT NOT NULL DEFAULT '',
	requested_by TEXT NOT NULL,
	sent_ms REAL NOT NULL,
	read_ms REAL
);
CREATE INDEX mail_inbox ON mail(to_agent, seq);

CREATE TABLE escalations (
	seq INTEGER PRIMARY KEY,
	id TEXT NOT NULL UNIQUE,
	severity TEXT NOT NULL CHECK (severity IN ('low', 'medium', 'high', 'critical')),
	title TEXT NOT NULL,
	body TEXT NOT NULL DEFAULT '',
	bead TEXT,
	raised_by TEXT NOT NULL,
	requested_by TEXT NOT NULL,
	state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'acknowledged', 'resolved')),
	escalations INTEGER NOT NULL DEFAULT 1,  -- how many times it has been raised
	created_ms REAL NOT NULL,
	updated_ms REAL NOT NULL,
	acked_by TEXT,
	acked_ms REAL,
	resolved_ms REAL
);
CREATE INDEX escalations_state ON escalations(state, seq);
