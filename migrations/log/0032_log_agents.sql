-- How many events each agent has in the log, kept with every insert and trim, so keeping an agent's
-- newest log_keep events deletes exactly the excess, oldest first, without counting the rest.
CREATE TABLE log_agents (
	agent TEXT PRIMARY KEY,
	events INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO log_agents(agent, events) SELECT agent, count(*) FROM log_events GROUP BY agent;
