-- Beads, the units of work, their dependencies and labels, and the town's activity feed.
-- seq orders beads by creation and is the cursor of listings; id is what people see.
CREATE TABLE beads (
	seq INTEGER PRIMARY KEY,
	id TEXT NOT NULL UNIQUE,
	type TEXT NOT NULL CHECK (type IN ('task', 'bug', 'feature', 'epic', 'chore', 'message',
		'merge-request', 'escalation', 'convoy')),
	status TEXT NOT NULL CHECK (status IN ('open', 'in_progress', 'in_review', 'blocked', 'closed',
		'failed')),
	priority INTEGER NOT NULL CHECK (priority BETWEEN 0 AND 4),
	title TEXT NOT NULL,
	body TEXT NOT NULL DEFAULT '',
	labels TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(labels)),
	metadata TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(metadata)),
	assignee TEXT,
	parent TEXT,
	rig TEXT,
	requested_by TEXT NOT NULL, -- the human at the root of the chain of work
	created_by TEXT NOT NULL,   -- who created it (a human or, later, an agent)
	created_ms REAL NOT NULL,
	updated_ms REAL NOT NULL,
	closed_ms REAL,
	close_reason TEXT
);
CREATE INDEX beads_status ON beads(status, seq);
CREATE INDEX beads_assignee ON beads(assignee, seq) WHERE assignee IS NOT NULL;
CREATE INDEX beads_parent ON beads(parent) WHERE parent IS NOT NULL;

-- bead depends on depends_on. For 'blocks', depends_on must close before bead can start.
CREATE TABLE bead_deps (
	bead TEXT NOT NULL,
	depends_on TEXT NOT NULL,
	kind TEXT NOT NULL CHECK (kind IN ('blocks', 'parent-child', 'related', 'discovered-from')),
	created_ms REAL NOT NULL,
	PRIMARY KEY (bead, depends_on, kind)
) WITHOUT ROWID;
CREATE INDEX bead_deps_reverse ON bead_deps(depends_on, kind);

-- Labels again, one row each, so filtering by label is an index lookup.
CREATE TABLE bead_labels (
	label TEXT NOT NULL,
	seq INTEGER NOT NULL,
	PRIMARY KEY (label, seq)
) WITHOUT ROWID;

-- The activity feed: every change, who made it and for whom.
CREATE TABLE events (
	seq INTEGER PRIMARY KEY,
	at_ms REAL NOT NULL,
	kind TEXT NOT NULL,          -- bead.created, bead.updated, bead.closed, bead.deleted, ...
	subject TEXT NOT NULL,       -- the bead (or other object) it is about
	actor TEXT NOT NULL,
	requested_by TEXT NOT NULL,
	field TEXT,
	old TEXT,
	new TEXT
);
CREATE INDEX events_subject ON events(subject, seq);
