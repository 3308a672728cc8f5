-- A bead slung several ways at once (docs/casting.md): each attempt is a child bead worked like
-- any other, in its own variant (model, persona, runtime). The first attempt whose merge lands wins
-- and closes the bead; the others are stopped and superseded, not failed.
CREATE TABLE attempts (
	bead TEXT NOT NULL,
	n INTEGER NOT NULL CHECK (n >= 1),
	attempt TEXT NOT NULL UNIQUE,
	model TEXT,
	persona TEXT,
	runtime TEXT,
	state TEXT NOT NULL CHECK (state IN ('running', 'merged', 'superseded', 'failed')),
	reason TEXT,
	created_ms REAL NOT NULL,
	ended_ms REAL,
	PRIMARY KEY (bead, n)
) WITHOUT ROWID;
