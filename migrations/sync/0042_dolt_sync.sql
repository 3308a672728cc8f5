-- A DoltSyncDO (docs/wasteland.md, "Full sync"): one full sync of one town, named <town>:<id>. It
-- asks its town for a page of statements after cursor, writes them to DoltHub one at a time (one in
-- flight, its operation polled), and asks for the next page only once all of them were confirmed,
-- so a crash resumes at the page in hand. The token is the town's, dropped when the sync ends.
CREATE TABLE dolt_sync (
	one INTEGER PRIMARY KEY CHECK (one = 1),
	town TEXT NOT NULL,
	api_url TEXT NOT NULL,
	owner TEXT NOT NULL,
	db TEXT NOT NULL,
	token TEXT NOT NULL,
	timeout_ms REAL NOT NULL,
	state TEXT NOT NULL,           -- running, done, stopped (the town no longer wants it)
	cursor INTEGER NOT NULL,       -- the page to ask for next (0: the first)
	page TEXT,                     -- the page in hand: a JSON array of statements, NULL for none
	page_next INTEGER NOT NULL,    -- the cursor after it
	page_beads INTEGER NOT NULL,
	page_last INTEGER NOT NULL,    -- no page follows it
	step INTEGER NOT NULL,         -- its statements confirmed so far
	busy TEXT NOT NULL,            -- '' or what is in flight: page, write, wait, poll, report
	op TEXT NOT NULL,              -- the DoltHub operation being polled
	polls INTEGER NOT NULL,
	failures INTEGER NOT NULL,     -- in a row; the backoff grows with them
	next_ms REAL NOT NULL,         -- nothing sent before this (backoff)
	report_due INTEGER NOT NULL,   -- a failure the town has not heard of yet
	paged INTEGER NOT NULL,        -- beads written
	writes INTEGER NOT NULL,       -- confirmed writes
	last_error TEXT,
	started_ms REAL NOT NULL,
	done_ms REAL
);
