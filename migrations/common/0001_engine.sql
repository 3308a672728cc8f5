-- Every object's engine bookkeeping: timers that drive the Durable Object alarm, and the outbox of
-- outbound calls (effects) whose results come back through the host.
CREATE TABLE timers (
	kind TEXT NOT NULL,
	key TEXT NOT NULL,
	due_ms REAL NOT NULL,
	PRIMARY KEY (kind, key)
);
CREATE INDEX timers_due ON timers(due_ms);

CREATE TABLE effects (
	id TEXT PRIMARY KEY,
	purpose TEXT NOT NULL,
	subject TEXT NOT NULL,
	method TEXT NOT NULL,
	url TEXT NOT NULL,
	state TEXT NOT NULL CHECK (state IN ('pending', 'done', 'failed')),
	created_ms REAL NOT NULL,
	deadline_ms REAL NOT NULL,
	resolved_ms REAL
);
CREATE INDEX effects_pending ON effects(deadline_ms) WHERE state = 'pending';
