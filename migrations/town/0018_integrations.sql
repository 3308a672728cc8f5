-- Integrations: the platforms a town hears from (GitHub, GitLab, Slack) and answers on. Their
-- secrets live in town_secrets (write-only); these tables hold what may be shown.
CREATE TABLE integrations (
	platform TEXT PRIMARY KEY CHECK (platform IN ('github', 'gitlab', 'slack')),
	owner TEXT NOT NULL,       -- the member work from an unmapped platform user is requested by
	settings TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(settings)),
	created_ms REAL NOT NULL,
	updated_ms REAL NOT NULL
);

-- A platform's user (GitHub/GitLab login, Slack user id) is this member of the town.
CREATE TABLE integration_logins (
	platform TEXT NOT NULL,
	login TEXT NOT NULL COLLATE NOCASE,
	user_id TEXT NOT NULL,
	PRIMARY KEY (platform, login)
) WITHOUT ROWID;

-- Deliveries already taken, by the platform's own delivery id: a redelivery changes nothing.
-- Kept a week (GitHub redelivers up to 3 days back, GHES 7).
CREATE TABLE hook_deliveries (
	platform TEXT NOT NULL,
	delivery TEXT NOT NULL,
	event TEXT NOT NULL,
	outcome TEXT NOT NULL,
	bead TEXT,
	received_ms REAL NOT NULL,
	PRIMARY KEY (platform, delivery)
) WITHOUT ROWID;
CREATE INDEX hook_deliveries_age ON hook_deliveries(received_ms);

-- How many deliveries of each event came, by what became of them.
CREATE TABLE hook_counts (
	platform TEXT NOT NULL,
	event TEXT NOT NULL,
	outcome TEXT NOT NULL,
	n INTEGER NOT NULL,
	PRIMARY KEY (platform, event, outcome)
) WITHOUT ROWID;

-- Where a bead that came from a platform is answered: the issue (tracking comment) or the Slack
-- thread. want/posted are the message states ('working', 'landed', 'failed'); the post runs until
-- they agree, retried with backoff.
CREATE TABLE hook_links (
	bead TEXT PRIMARY KEY,
	platform TEXT NOT NULL,
	place TEXT NOT NULL,      -- github: owner/repo; gitlab: project id or path; slack: channel
	number TEXT NOT NULL,     -- github/gitlab: the issue number; slack: the thread's ts
	comment TEXT,             -- the tracking comment's id (or Slack message ts) once posted
	want TEXT NOT NULL,
	posted TEXT,
	attempts INTEGER NOT NULL DEFAULT 0,
	in_flight INTEGER NOT NULL DEFAULT 0,
	created_ms REAL NOT NULL,
	updated_ms REAL NOT NULL
) WITHOUT ROWID;
CREATE UNIQUE INDEX hook_links_place ON hook_links(platform, place, number);
