-- Other towns' wanted posters, read from the commons on the sync's cadence (docs/wasteland.md): the
-- open ones, and those this town claimed as a bead (bead set: kept when the poster is no longer open).
ALTER TABLE wasteland ADD COLUMN read_due_ms REAL NOT NULL DEFAULT 0;
ALTER TABLE wasteland ADD COLUMN read_ms REAL;
-- A replay in progress: the labelled beads are queued a page at a time, between writes, from the
-- newest (cursor 0) back; replayed counts the beads queued so far.
ALTER TABLE wasteland ADD COLUMN replaying INTEGER NOT NULL DEFAULT 0;
ALTER TABLE wasteland ADD COLUMN replay_cursor INTEGER NOT NULL DEFAULT 0;
ALTER TABLE wasteland ADD COLUMN replayed INTEGER NOT NULL DEFAULT 0;
-- A bead that is another town's poster claimed here: the poster's id (NULL for the town's own).
ALTER TABLE wasteland_posted ADD COLUMN foreign_id TEXT;

CREATE TABLE wasteland_wanted (
	id TEXT PRIMARY KEY,
	title TEXT NOT NULL,
	description TEXT NOT NULL,
	project TEXT NOT NULL,
	type TEXT NOT NULL,
	priority INTEGER NOT NULL,
	tags TEXT NOT NULL,            -- a JSON array of strings
	posted_by TEXT NOT NULL,
	effort_level TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	bead TEXT                      -- the bead it was claimed as here
);
