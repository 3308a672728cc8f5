-- The platform's figures by variant, as the StatsDO last answered the town's report (rows resting
-- on at least two towns and five outcomes): a bead's recommendation falls back to them when the
-- town's own work is too little to say anything (docs/casting.md).
CREATE TABLE platform_variants (
	kind TEXT NOT NULL,
	language TEXT NOT NULL,
	key TEXT NOT NULL,
	n INTEGER NOT NULL,
	first_pass INTEGER NOT NULL,
	merged INTEGER NOT NULL,
	superseded INTEGER NOT NULL,
	rework INTEGER NOT NULL,
	comments INTEGER NOT NULL,
	cost_microusd INTEGER NOT NULL,
	wall_ms REAL NOT NULL,
	towns INTEGER NOT NULL,
	PRIMARY KEY (kind, language, key)
) WITHOUT ROWID;
