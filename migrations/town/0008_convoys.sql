-- Convoys: batches of beads tracked to landing. Their graph is the blocking dependencies among
-- their beads; a series convoy chains its beads in order.
CREATE TABLE convoys (
	seq INTEGER PRIMARY KEY,
	id TEXT NOT NULL UNIQUE,
	title TEXT NOT NULL,
	mode TEXT NOT NULL CHECK (mode IN ('series', 'fan-out')),
	state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'landed', 'failed')),
	requested_by TEXT NOT NULL,
	created_by TEXT NOT NULL,
	created_ms REAL NOT NULL,
	updated_ms REAL NOT NULL,
	landed_ms REAL
);

CREATE TABLE convoy_beads (
	convoy TEXT NOT NULL,
	bead TEXT NOT NULL,
	position INTEGER NOT NULL,
	PRIMARY KEY (convoy, bead)
) WITHOUT ROWID;
CREATE INDEX convoy_beads_bead ON convoy_beads(bead);
