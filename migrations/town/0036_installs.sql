-- What the town installed from the registry (docs/registry.md), pinned: the version fetched and its
-- meaning are kept here, so a new version published later changes nothing until installed again.
CREATE TABLE installs (
	name TEXT PRIMARY KEY,
	asked TEXT NOT NULL,         -- the version asked for, or 'latest'
	state TEXT NOT NULL,         -- fetching, installed, failed
	kind TEXT NOT NULL,          -- formula, config ('' until fetched)
	version TEXT NOT NULL,       -- the pinned version ('' until fetched)
	org TEXT NOT NULL,
	digest TEXT NOT NULL,
	spec TEXT,
	error TEXT,
	installed_by TEXT NOT NULL,
	requested_ms REAL NOT NULL,
	installed_ms REAL
);
-- Each run of an installed formula: its molecule is the convoy; the outcome goes to the registry once.
CREATE TABLE molecule_runs (
	id TEXT PRIMARY KEY,
	name TEXT NOT NULL,
	version TEXT NOT NULL,
	convoy TEXT NOT NULL,
	vars TEXT NOT NULL,
	started_by TEXT NOT NULL,
	requested_by TEXT NOT NULL,
	started_ms REAL NOT NULL,
	outcome TEXT,                -- landed, failed; NULL while open
	reported INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE molecule_beads (
	bead TEXT PRIMARY KEY,
	run TEXT NOT NULL,
	step TEXT NOT NULL
);
CREATE INDEX molecule_beads_run ON molecule_beads(run);
