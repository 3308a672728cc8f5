-- The organizations a person belongs to, kept current by the organizations through effects.
CREATE TABLE my_orgs (
	org_id TEXT PRIMARY KEY,
	name TEXT NOT NULL,
	role TEXT NOT NULL,
	updated_ms REAL NOT NULL
);
