-- The town itself: one row once it exists (before that every route but creation answers 404),
-- and who may use it. A personal town's members are its owner and whoever the owner adds.
CREATE TABLE town (
	id TEXT PRIMARY KEY,
	name TEXT NOT NULL,
	owner_kind TEXT NOT NULL CHECK (owner_kind IN ('user', 'org')),
	owner_id TEXT NOT NULL,
	created_by TEXT NOT NULL,
	created_ms REAL NOT NULL,
	updated_ms REAL NOT NULL,
	settings TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(settings))
);

-- Same shape as an organization's members: members.c serves both.
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
