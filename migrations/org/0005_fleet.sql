-- The fleet: what each of the organization's towns reports about itself (its last 35 days), and
-- the teams people belong to for the quality figures. A town's report replaces its rows.
CREATE TABLE fleet_costs (
	town TEXT NOT NULL,
	day INTEGER NOT NULL,
	user TEXT NOT NULL,
	rig TEXT NOT NULL,
	cost_microusd INTEGER NOT NULL,
	PRIMARY KEY (town, day, user, rig)
) WITHOUT ROWID;

-- Work beads closed per day, requester and rig: how many, how many needed another round after
-- review or were reopened (reworked), how many merged on their first review (first_pass).
CREATE TABLE fleet_closed (
	town TEXT NOT NULL,
	day INTEGER NOT NULL,
	user TEXT NOT NULL,
	rig TEXT NOT NULL,
	closed INTEGER NOT NULL,
	reworked INTEGER NOT NULL,
	first_pass INTEGER NOT NULL,
	PRIMARY KEY (town, day, user, rig)
) WITHOUT ROWID;

CREATE TABLE fleet_reports (
	town TEXT PRIMARY KEY,
	reported_ms REAL NOT NULL
);

CREATE TABLE member_teams (
	user_id TEXT PRIMARY KEY,
	team TEXT NOT NULL
);
