-- Rigs: the git repositories a town works on, and how work lands in them.
CREATE TABLE rigs (
	id TEXT PRIMARY KEY,
	git_url TEXT NOT NULL,
	default_branch TEXT NOT NULL DEFAULT 'main',
	merge_strategy TEXT NOT NULL DEFAULT 'direct' CHECK (merge_strategy IN ('direct', 'pr')),
	max_polecats INTEGER NOT NULL DEFAULT 4 CHECK (max_polecats BETWEEN 1 AND 50),
	settings TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(settings)),
	created_by TEXT NOT NULL,
	created_ms REAL NOT NULL,
	updated_ms REAL NOT NULL
);
