-- A town owned by an organization keeps the organization's members as its own; the version of
-- the last list applied lets late, older lists be ignored.
ALTER TABLE town ADD COLUMN org_members_version INTEGER NOT NULL DEFAULT 0;
