-- A deleted town takes its agent log with it (docs/memory.md). The search index is emptied at once
-- ('delete-all'); the events up to wipe_upto then go in slices on the alarm, and the trigger that
-- would take each out of the index one by one leaves them alone (they are in it no more). Events
-- after wipe_upto (a new town of the same id) are untouched and indexed as usual.
CREATE TABLE log_state (
	id INTEGER PRIMARY KEY CHECK (id = 1),
	wipe_upto INTEGER NOT NULL
);
INSERT INTO log_state(id, wipe_upto) VALUES (1, 0);
DROP TRIGGER log_events_unindexed;
CREATE TRIGGER log_events_unindexed AFTER DELETE ON log_events
WHEN old.seq > (SELECT wipe_upto FROM log_state) BEGIN
	INSERT INTO log_search(log_search, rowid, text, path, tool) VALUES ('delete', old.seq, old.text, old.path, old.tool);
END;
