-- Each bead's count of open blockers (its `blocks` dependencies on beads not closed), kept by
-- triggers so that every path that adds or drops a dependency, closes or reopens a blocker,
-- creates or deletes a bead keeps it, whoever wrote the SQL. The reconciler's scan of a rig's
-- startable beads reads ready beads only (beads_ready, now over open_blockers = 0): a rig full of
-- blocked beads costs it nothing, where it checked each of them for an open blocker every tick.
-- A blocker that does not exist (yet) counts for nothing, as the scan's join did.
ALTER TABLE beads ADD COLUMN open_blockers INTEGER NOT NULL DEFAULT 0;
UPDATE beads SET open_blockers = (SELECT count(*) FROM bead_deps d JOIN beads x ON x.id = d.depends_on
	WHERE d.bead = beads.id AND d.kind = 'blocks' AND x.status <> 'closed');

CREATE TRIGGER bead_deps_blocker_added AFTER INSERT ON bead_deps WHEN new.kind = 'blocks' BEGIN
	UPDATE beads SET open_blockers = open_blockers + 1 WHERE id = new.bead
		AND EXISTS (SELECT 1 FROM beads x WHERE x.id = new.depends_on AND x.status <> 'closed');
END;
CREATE TRIGGER bead_deps_blocker_dropped AFTER DELETE ON bead_deps WHEN old.kind = 'blocks' BEGIN
	UPDATE beads SET open_blockers = open_blockers - 1 WHERE id = old.bead
		AND EXISTS (SELECT 1 FROM beads x WHERE x.id = old.depends_on AND x.status <> 'closed');
END;
-- A blocker closed or reopened: every bead it blocks counts one less or one more.
CREATE TRIGGER beads_blocker_status AFTER UPDATE OF status ON beads
	WHEN (old.status = 'closed') <> (new.status = 'closed') BEGIN
	UPDATE beads SET open_blockers = open_blockers + iif(new.status = 'closed', -1, 1)
		WHERE id IN (SELECT bead FROM bead_deps WHERE depends_on = new.id AND kind = 'blocks');
END;
-- A blocker made after the dependency on it (an import names beads in any order), or deleted
-- while dependencies on it remain.
CREATE TRIGGER beads_blocker_made AFTER INSERT ON beads WHEN new.status <> 'closed' BEGIN
	UPDATE beads SET open_blockers = open_blockers + 1
		WHERE id IN (SELECT bead FROM bead_deps WHERE depends_on = new.id AND kind = 'blocks');
END;
CREATE TRIGGER beads_blocker_gone AFTER DELETE ON beads WHEN old.status <> 'closed' BEGIN
	UPDATE beads SET open_blockers = open_blockers - 1
		WHERE id IN (SELECT bead FROM bead_deps WHERE depends_on = old.id AND kind = 'blocks');
END;

DROP INDEX beads_ready;
CREATE INDEX beads_ready ON beads(rig, priority, seq, held, type, retry_ms, id, worked_by)
	WHERE status = 'open' AND rig IS NOT NULL AND open_blockers = 0;
-- The merge queue's head (bead_merge_head) was found by walking a rig's open beads in order until a
-- merge request came: every open bead of the rig, each tick, when none waits. Its own index makes
-- it one seek.
CREATE INDEX beads_merge_queue ON beads(rig, priority, seq, held, retry_ms, id)
	WHERE status = 'open' AND type = 'merge-request';
