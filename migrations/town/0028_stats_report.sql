-- What the town last sent the platform's StatsDO (docs/casting.md): the sequence of its newest
-- report (each report is all of its totals, so a resend is harmless and a late one is refused by
-- its number) and whether the platform holds rows of it (a withdrawal is sent once).
CREATE TABLE stats_report (
	id INTEGER PRIMARY KEY CHECK (id = 1),
	seq INTEGER NOT NULL,
	shared INTEGER NOT NULL,
	sent_ms REAL NOT NULL
);

-- Whether the owning organization lets its towns report (pushed with its members).
ALTER TABLE town ADD COLUMN org_share_stats INTEGER NOT NULL DEFAULT 1;
