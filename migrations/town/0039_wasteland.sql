-- The town in the Wasteland (docs/wasteland.md): the DoltHub database it publishes to, how far the
-- commons' schema got, the one write in flight; and the queue of beads whose rows are still to be
-- written, which is the sync's cursor: a row leaves it only once DoltHub confirmed the write.
CREATE TABLE wasteland (
	one INTEGER PRIMARY KEY CHECK (one = 1),
	gen INTEGER NOT NULL,          -- bumped when the target changes: answers of an older one are dropped
	api_url TEXT NOT NULL,
	owner TEXT NOT NULL,
	db TEXT NOT NULL,
	handle TEXT NOT NULL,
	display_name TEXT NOT NULL,
	cadence_ms REAL NOT NULL,
	timeout_ms REAL NOT NULL,
	create_db INTEGER NOT NULL,    -- 1 until the database was made through the API
	schema_step INTEGER NOT NULL,  -- the next statement of the commons' schema to write
	rig_due INTEGER NOT NULL,      -- the town's own rig row is to be written
	busy TEXT NOT NULL,            -- '' or what is in flight: create, write, poll
	what TEXT NOT NULL,            -- of a write: schema, rig or rows
	op TEXT NOT NULL,              -- the DoltHub operation being polled
	polls INTEGER NOT NULL,
	failures INTEGER NOT NULL,     -- in a row; the backoff grows with them
	next_ms REAL NOT NULL,         -- no write before this (backoff)
	last_error TEXT,
	last_ok_ms REAL,
	writes INTEGER NOT NULL,       -- confirmed writes
	connected_by TEXT NOT NULL,
	connected_ms REAL NOT NULL
);

CREATE TABLE wasteland_queue (
	seq INTEGER PRIMARY KEY,
	bead TEXT NOT NULL,
	part INTEGER NOT NULL,         -- 0 the agent's rig, 1 the wanted poster, 2 its completion
	inflight INTEGER NOT NULL DEFAULT 0,
	dirty INTEGER NOT NULL DEFAULT 0, -- changed while in flight: sent again once confirmed
	UNIQUE (bead, part)
);
CREATE INDEX wasteland_queue_order ON wasteland_queue(part, seq);

-- Beads once put on the board: one that loses its label or goes is withdrawn, not forgotten.
CREATE TABLE wasteland_posted (
	bead TEXT PRIMARY KEY
);
