-- Costs: every metered model call of an agent, charged to the human at the root of its work, with
-- daily totals per dimension that the roll-ups and budgets read (never the records themselves).
CREATE TABLE usage (
	id TEXT PRIMARY KEY,          -- the container's record id: a report sent again counts once
	at_ms REAL NOT NULL,
	day INTEGER NOT NULL,         -- UTC days since 1970-01-01
	agent TEXT NOT NULL,
	bead TEXT,                    -- the work bead charged (a merge request's or review's work bead)
	convoy TEXT,
	rig TEXT,
	requested_by TEXT NOT NULL,   -- the human charged ("unattributed" when the work has none)
	model TEXT NOT NULL,
	input_tokens INTEGER NOT NULL,
	output_tokens INTEGER NOT NULL,
	cache_read_tokens INTEGER NOT NULL,
	cache_write_tokens INTEGER NOT NULL,
	cost_microusd INTEGER NOT NULL,
	priced INTEGER NOT NULL       -- 1: priced from the town's table; 0: the upstream's own cost
) WITHOUT ROWID;

-- dim is bead, convoy, rig, agent, model, user or town (key '').
CREATE TABLE usage_daily (
	dim TEXT NOT NULL,
	key TEXT NOT NULL,
	day INTEGER NOT NULL,
	input_tokens INTEGER NOT NULL DEFAULT 0,
	output_tokens INTEGER NOT NULL DEFAULT 0,
	cache_read_tokens INTEGER NOT NULL DEFAULT 0,
	cache_write_tokens INTEGER NOT NULL DEFAULT 0,
	cost_microusd INTEGER NOT NULL DEFAULT 0,
	records INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (dim, day, key)
) WITHOUT ROWID;
CREATE INDEX usage_daily_key ON usage_daily(dim, key, day);

-- Prices in microdollars per million tokens. model is a name, or a prefix ending in '*'; '*' alone
-- prices whatever matches nothing else. The defaults are list prices at the time of writing.
CREATE TABLE model_prices (
	model TEXT PRIMARY KEY,
	input_per_mtok INTEGER NOT NULL CHECK (input_per_mtok BETWEEN 0 AND 1000000000),
	output_per_mtok INTEGER NOT NULL CHECK (output_per_mtok BETWEEN 0 AND 1000000000),
	cache_read_per_mtok INTEGER NOT NULL CHECK (cache_read_per_mtok BETWEEN 0 AND 1000000000),
	cache_write_per_mtok INTEGER NOT NULL CHECK (cache_write_per_mtok BETWEEN 0 AND 1000000000),
	updated_by TEXT NOT NULL,
	updated_ms REAL NOT NULL
);
INSERT INTO model_prices VALUES
	('claude-opus-4*', 15000000, 75000000, 1500000, 18750000, 'default', 0),
	('claude-sonnet-4*', 3000000, 15000000, 300000, 3750000, 'default', 0),
	('claude-3-7-sonnet*', 3000000, 15000000, 300000, 3750000, 'default', 0),
	('claude-3-5-haiku*', 800000, 4000000, 80000, 1000000, 'default', 0),
	('claude-haiku-4*', 1000000, 5000000, 100000, 1250000, 'default', 0),
	('gpt-4o-mini*', 150000, 600000, 75000, 0, 'default', 0),
	('gpt-4o*', 2500000, 10000000, 1250000, 0, 'default', 0),
	('gpt-4.1-mini*', 400000, 1600000, 100000, 0, 'default', 0),
	('gpt-4.1*', 2000000, 8000000, 500000, 0, 'default', 0),
	('gpt-5*', 1250000, 10000000, 125000, 0, 'default', 0),
	('o3*', 2000000, 8000000, 500000, 0, 'default', 0),
	('*', 3000000, 15000000, 300000, 3750000, 'default', 0);

-- Budgets: scope rig-day (key a rig), convoy (a convoy), user-day and user-week (a user),
-- town-month (key 'town'). soft_period/hard_period name the period whose warning and limit
-- escalation were already raised, so each is raised once per period, not once per tick.
CREATE TABLE budgets (
	scope TEXT NOT NULL CHECK (scope IN ('rig-day', 'convoy', 'user-day', 'user-week', 'town-month')),
	key TEXT NOT NULL,
	limit_microusd INTEGER NOT NULL CHECK (limit_microusd >= 0),
	soft_pct INTEGER NOT NULL DEFAULT 90 CHECK (soft_pct BETWEEN 1 AND 100),
	soft_period INTEGER,
	hard_period INTEGER,
	updated_by TEXT NOT NULL,
	updated_ms REAL NOT NULL,
	PRIMARY KEY (scope, key)
) WITHOUT ROWID;

-- A closed bead that was opened again counts as rework in the fleet's quality figures.
ALTER TABLE beads ADD COLUMN reopened INTEGER NOT NULL DEFAULT 0;
