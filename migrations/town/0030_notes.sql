-- Notes agents and people leave on a repository path for whoever works there next
-- (docs/memory.md): a file, or a directory when the path ends in '/'. The next bead that names the
-- path, or a file under it, gets the newest ones in its prime context.
CREATE TABLE notes (
	id TEXT PRIMARY KEY,
	path TEXT NOT NULL,
	rig TEXT NOT NULL DEFAULT '',
	text TEXT NOT NULL,
	author TEXT NOT NULL,
	bead TEXT,
	requested_by TEXT,
	created_ms REAL NOT NULL
);
CREATE INDEX notes_path ON notes(path);
CREATE INDEX notes_created ON notes(created_ms);
