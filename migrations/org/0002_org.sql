-- An organization: one row describing it, and its members with their roles. The object exists
-- once the org row exists; before that every route but creation answers 404.
CREATE TABLE org (
	id TEXT PRIMARY KEY,
	name TEXT NOT NULL,
	created_by TEXT NOT NULL,
	created_ms REAL NOT NULL,
	updated_ms REAL NOT NULL
);

CREATE TABLE members (
	user_id TEXT PRIMARY KEY,
	role TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
	name TEXT NOT NULL DEFAULT '',
	email TEXT NOT NULL DEFAULT '',
	added_by TEXT NOT NULL,
	added_ms REAL NOT NULL,
	updated_ms REAL NOT NULL
);
CREATE INDEX members_role ON members(role);
