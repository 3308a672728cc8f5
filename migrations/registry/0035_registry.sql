-- The registry (docs/registry.md): formulas and agent configs organizations publish for every town.
-- A name belongs to the org that published it first; a version, once published, never changes
-- (deprecating it says why not to use it). spec is the meaning the engine checked, source the file
-- as written.
CREATE TABLE registry_packages (
	name TEXT PRIMARY KEY,
	kind TEXT NOT NULL,          -- formula, config
	org TEXT NOT NULL,           -- the publisher
	description TEXT NOT NULL,   -- the newest version's
	latest TEXT NOT NULL,        -- the newest release not deprecated ('' when every version is)
	created_ms REAL NOT NULL,
	updated_ms REAL NOT NULL
);
CREATE TABLE registry_versions (
	name TEXT NOT NULL,
	version TEXT NOT NULL,
	source TEXT NOT NULL,
	spec TEXT NOT NULL,
	digest TEXT NOT NULL,        -- sha256 of the source, hex
	published_by TEXT NOT NULL,
	published_ms REAL NOT NULL,
	deprecated TEXT,             -- why, NULL when not
	PRIMARY KEY (name, version)
);
-- What became of each run of a formula version, as the towns that ran it told: one row per run.
CREATE TABLE registry_outcomes (
	town TEXT NOT NULL,
	run TEXT NOT NULL,
	name TEXT NOT NULL,
	version TEXT NOT NULL,
	outcome TEXT NOT NULL,       -- landed, failed
	at_ms REAL NOT NULL,
	PRIMARY KEY (town, run)
);
CREATE INDEX registry_outcomes_version ON registry_outcomes(name, version);
