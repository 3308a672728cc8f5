-- What the town has yet to give its agent log's search (docs/memory.md): beads (created or
-- deleted) and notes, by id, sent in batches on the "log-index" timer. agent is the bead's
-- creator or the note's author (the log keeps them under it); sent names the batch that carries
-- the row, '' until one does.
CREATE TABLE log_index_queue (
	kind TEXT NOT NULL CHECK (kind IN ('bead', 'note')),
	id TEXT NOT NULL,
	agent TEXT NOT NULL,
	sent TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (kind, id)
) WITHOUT ROWID;
