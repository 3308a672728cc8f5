-- Whether the organization's towns report their anonymised outcome totals to the platform's
-- figures (docs/casting.md); an admin may turn it off, which withdraws what was reported.
ALTER TABLE org ADD COLUMN share_stats INTEGER NOT NULL DEFAULT 1;
