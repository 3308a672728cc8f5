-- The notes' words and paths in FTS5 (docs/memory.md): a bead's prime context gets the notes its
-- title and body speak of, not only those on the paths it names. External content: the index holds
-- no copy of the text; the triggers keep it in step with notes.
CREATE VIRTUAL TABLE note_search USING fts5(text, path, content='notes', content_rowid='rowid');
CREATE TRIGGER notes_ai AFTER INSERT ON notes BEGIN
	INSERT INTO note_search(rowid, text, path) VALUES (new.rowid, new.text, new.path);
END;
CREATE TRIGGER notes_ad AFTER DELETE ON notes BEGIN
	INSERT INTO note_search(note_search, rowid, text, path) VALUES ('delete', old.rowid, old.text, old.path);
END;
CREATE TRIGGER notes_au AFTER UPDATE ON notes BEGIN
	INSERT INTO note_search(note_search, rowid, text, path) VALUES ('delete', old.rowid, old.text, old.path);
	INSERT INTO note_search(rowid, text, path) VALUES (new.rowid, new.text, new.path);
END;
INSERT INTO note_search(note_search) VALUES ('rebuild');
