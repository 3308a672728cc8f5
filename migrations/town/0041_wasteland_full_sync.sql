-- A full sync (docs/wasteland.md): every bead on the board written by a DoltSyncDO of its own,
-- named <town>:<full_id>, which asks the town for the rows a page at a time and says how far it
-- got. While one runs the town sends none of its queue: the handover, when the object has written
-- the last page, lets the queue (every change since the start) go after. The town's own paging of
-- a replay (replaying, replay_cursor) is gone with it.
ALTER TABLE wasteland DROP COLUMN replaying;
ALTER TABLE wasteland DROP COLUMN replay_cursor;
ALTER TABLE wasteland DROP COLUMN replayed;
ALTER TABLE wasteland ADD COLUMN full_id INTEGER NOT NULL DEFAULT 0;      -- the latest full sync's id, 0 for none
ALTER TABLE wasteland ADD COLUMN full_running INTEGER NOT NULL DEFAULT 0;
ALTER TABLE wasteland ADD COLUMN full_seen_ms REAL NOT NULL DEFAULT 0;    -- it was started or last spoke
ALTER TABLE wasteland ADD COLUMN full_paged INTEGER NOT NULL DEFAULT 0;   -- beads written so far
ALTER TABLE wasteland ADD COLUMN full_total INTEGER NOT NULL DEFAULT 0;   -- beads on the board when it last asked
ALTER TABLE wasteland ADD COLUMN full_writes INTEGER NOT NULL DEFAULT 0;
ALTER TABLE wasteland ADD COLUMN full_started_ms REAL;
ALTER TABLE wasteland ADD COLUMN full_done_ms REAL;
ALTER TABLE wasteland ADD COLUMN full_error TEXT;
