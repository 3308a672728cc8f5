-- Beads brought in from local Gas Town's JSONL, and sent back to it (docs/import-export.md): the id
-- the other system gave each, and what of its line the town does not model, kept whole so that an
-- export gives it back.
CREATE TABLE beads_jsonl (
	bead TEXT PRIMARY KEY,
	source_id TEXT NOT NULL UNIQUE,
	extra TEXT NOT NULL          -- a JSON object: the line's other fields, and originals the town changed
);
