-- The organization's towns, and a version that grows with every change to the members, so a town
-- applies the newest member list it is sent and ignores older ones that arrive late.
CREATE TABLE org_towns (
	town_id TEXT PRIMARY KEY,
	name TEXT NOT NULL,
	state TEXT NOT NULL CHECK (state IN ('creating', 'active', 'failed')),
	reason TEXT,
	created_by TEXT NOT NULL,
	created_ms REAL NOT NULL
);
CREATE TABLE org_meta (
	key TEXT PRIMARY KEY,
	value INTEGER NOT NULL
);
INSERT INTO org_meta(key, value) VALUES ('members_version', 0);
