-- What became of each piece of work (docs/casting.md): one row per work bead a polecat started
-- (an attempt of a bead slung several ways is one too), in the variant it ran, with the rig's
-- language and the bead's kind, ended with its result. The town's stats and an agent's record
-- are counts over it; costs keep their own records, this row only their sum.
CREATE TABLE outcomes (
	bead TEXT PRIMARY KEY,
	slung TEXT,
	agent TEXT NOT NULL,
	model TEXT,
	persona TEXT,
	runtime TEXT NOT NULL,
	language TEXT,
	kind TEXT NOT NULL,
	labels TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(labels)),
	result TEXT NOT NULL DEFAULT 'running' CHECK (result IN ('running', 'merged', 'superseded', 'failed', 'closed')),
	first_pass INTEGER NOT NULL DEFAULT 0,
	rework INTEGER NOT NULL DEFAULT 0,
	comments INTEGER NOT NULL DEFAULT 0,
	cost_microusd INTEGER NOT NULL DEFAULT 0,
	started_ms REAL NOT NULL,
	ended_ms REAL,
	wall_ms REAL
) WITHOUT ROWID;
CREATE INDEX outcomes_ended ON outcomes(result, ended_ms);
CREATE INDEX outcomes_agent ON outcomes(agent, started_ms);

-- The language a rig's repository is mostly written in, as the agent host last measured it.
ALTER TABLE rigs ADD COLUMN language TEXT;

-- The outcomes summed as they end, so the stats read a few rows however many outcomes there are:
-- per dimension (model, persona, runtime, agent, variant, or "all" with key ''), per kind of work
-- and language ('' for any). Superseded attempts are counted apart: neither a pass nor a failure.
CREATE TABLE outcome_totals (
	dim TEXT NOT NULL,
	key TEXT NOT NULL,
	kind TEXT NOT NULL,
	language TEXT NOT NULL,
	n INTEGER NOT NULL DEFAULT 0,          -- merged, failed or closed by hand
	first_pass INTEGER NOT NULL DEFAULT 0, -- merged with no rework
	merged INTEGER NOT NULL DEFAULT 0,
	superseded INTEGER NOT NULL DEFAULT 0,
	rework INTEGER NOT NULL DEFAULT 0,
	comments INTEGER NOT NULL DEFAULT 0,
	cost_microusd INTEGER NOT NULL DEFAULT 0,
	wall_ms REAL NOT NULL DEFAULT 0,
	PRIMARY KEY (dim, key, kind, language)
) WITHOUT ROWID;
