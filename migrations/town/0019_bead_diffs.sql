-- What a bead changed: the branch, the commits the diff runs between and per-file stats, as the
-- agent host computed them with git at done (and, once merged, what landed). The unified diff
-- itself is not kept: it is asked of the agent host or the platform when someone looks.
-- files: [{path, status, additions, deletions, binary}]; the totals are the engine's sums of it.
CREATE TABLE bead_diffs (
	bead TEXT PRIMARY KEY,
	branch TEXT NOT NULL DEFAULT '',
	base TEXT NOT NULL,
	head TEXT NOT NULL,
	files TEXT NOT NULL CHECK (json_valid(files)),
	n_files INTEGER NOT NULL,
	additions INTEGER NOT NULL,
	deletions INTEGER NOT NULL,
	landed INTEGER NOT NULL DEFAULT 0,
	recorded_ms REAL NOT NULL
) WITHOUT ROWID;
