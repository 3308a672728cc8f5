-- The member-list version each town has confirmed; the org re-sends until every active town has
-- the newest one.
ALTER TABLE org_towns ADD COLUMN acked_version INTEGER NOT NULL DEFAULT 0;
