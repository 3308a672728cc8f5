-- The platform's figures (docs/casting.md): what each town last reported of its outcomes, under a
-- one-way name (no town id is kept here), and the cross-town totals the alarm sums from them.
-- A report replaces its town's rows; one with a lower sequence than the last taken is stale.
CREATE TABLE stats_reporters (
	reporter TEXT PRIMARY KEY,   -- hex SHA-256 of the town id
	seq INTEGER NOT NULL,
	rows INTEGER NOT NULL,       -- 0: the town withdrew (its organization opted out)
	reported_ms REAL NOT NULL
);

-- One town's totals, per dimension (all, model, persona, runtime, variant), kind of work and
-- language, '' for any: the same columns as the town's outcome_totals.
CREATE TABLE stats_contributions (
	reporter TEXT NOT NULL,
	dim TEXT NOT NULL,
	key TEXT NOT NULL,
	kind TEXT NOT NULL,
	language TEXT NOT NULL,
	n INTEGER NOT NULL,
	first_pass INTEGER NOT NULL,
	merged INTEGER NOT NULL,
	superseded INTEGER NOT NULL,
	rework INTEGER NOT NULL,
	comments INTEGER NOT NULL,
	cost_microusd INTEGER NOT NULL,
	wall_ms REAL NOT NULL,
	PRIMARY KEY (reporter, dim, key, kind, language)
) WITHOUT ROWID;

-- The contributions summed across towns, with how many towns each row rests on.
CREATE TABLE stats_totals (
	dim TEXT NOT NULL,
	kind TEXT NOT NULL,
	language TEXT NOT NULL,
	key TEXT NOT NULL,
	towns INTEGER NOT NULL,
	n INTEGER NOT NULL,
	first_pass INTEGER NOT NULL,
	merged INTEGER NOT NULL,
	superseded INTEGER NOT NULL,
	rework INTEGER NOT NULL,
	comments INTEGER NOT NULL,
	cost_microusd INTEGER NOT NULL,
	wall_ms REAL NOT NULL,
	PRIMARY KEY (dim, kind, language, key)
) WITHOUT ROWID;
