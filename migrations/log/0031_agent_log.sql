-- The agent log (docs/memory.md): what a town's agents did, as events their host read from each
-- runtime's output, kept in the town's own AgentLogDO rather than the TownDO. (agent, id) is the
-- host's name for an event: a resend is taken once. The bead and rig are the ones the agent was on
-- when its town passed the batch on.
CREATE TABLE log_events (
	seq INTEGER PRIMARY KEY,
	agent TEXT NOT NULL,
	id TEXT NOT NULL,
	bead TEXT NOT NULL,
	rig TEXT NOT NULL,
	kind TEXT NOT NULL,          -- message, tool, result, file, command, status, note, error, output
	tool TEXT NOT NULL,          -- the tool a tool call or result is of, '' for none
	path TEXT NOT NULL,          -- the file it read or wrote, '' for none
	text TEXT NOT NULL,          -- at most LOG_TEXT_KEEP bytes of it
	size INTEGER NOT NULL,       -- bytes of the text as the runtime wrote it (> length(text): cut)
	at_ms REAL NOT NULL,
	UNIQUE (agent, id)
);
CREATE INDEX log_events_agent ON log_events(agent, seq);
CREATE INDEX log_events_path ON log_events(path) WHERE path <> '';

-- Full-text search over the events' text, path and tool (FTS5, external content: the text is kept
-- once, in log_events; the triggers keep the index in step with every insert and trim).
CREATE VIRTUAL TABLE log_search USING fts5(text, path, tool, content='log_events', content_rowid='seq');
CREATE TRIGGER log_events_indexed AFTER INSERT ON log_events BEGIN
	INSERT INTO log_search(rowid, text, path, tool) VALUES (new.seq, new.text, new.path, new.tool);
END;
CREATE TRIGGER log_events_unindexed AFTER DELETE ON log_events BEGIN
	INSERT INTO log_search(log_search, rowid, text, path, tool) VALUES ('delete', old.seq, old.text, old.path, old.tool);
END;
