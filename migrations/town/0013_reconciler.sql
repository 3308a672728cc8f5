-- The reconciler: what it needs to dispatch beads to agents, follow them and retry them.
-- Beads: held ones wait for a person; attempts and retry_ms drive the backoff of failed runs;
-- reviews counts rounds sent back by the refinery; branch is the work's branch (on a merge request:
-- the branch to merge); worked_by is the agent that last worked on it (serial reuse, re-dispatch).
ALTER TABLE beads ADD COLUMN held INTEGER NOT NULL DEFAULT 0;
ALTER TABLE beads ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE beads ADD COLUMN retry_ms REAL;
ALTER TABLE beads ADD COLUMN reviews INTEGER NOT NULL DEFAULT 0;
ALTER TABLE beads ADD COLUMN branch TEXT;
ALTER TABLE beads ADD COLUMN worked_by TEXT;
ALTER TABLE beads ADD COLUMN failure TEXT;
-- The reconciler scans open beads of a rig in order every tick it dispatches: the index carries
-- every column the scan tests, and beads_status_by_id answers "is this blocker closed?" without
-- reading the bead, so a rig full of blocked beads costs index reads only.
CREATE INDEX beads_ready ON beads(rig, priority, seq, held, type, retry_ms, id, worked_by)
	WHERE status = 'open' AND rig IS NOT NULL;
CREATE INDEX beads_status_by_id ON beads(id, status);

-- Agents: when the current run started, the last sign of progress (a status, output, a report),
-- and how far the quiet-agent ladder went (0 none, 1 nudged, 2 triage asked).
ALTER TABLE agents ADD COLUMN started_ms REAL;
ALTER TABLE agents ADD COLUMN active_ms REAL;
ALTER TABLE agents ADD COLUMN quiet_stage INTEGER NOT NULL DEFAULT 0;

-- Failed runs of the last window, for the town-wide circuit breaker.
CREATE TABLE dispatch_failures (
	seq INTEGER PRIMARY KEY,
	at_ms REAL NOT NULL,
	bead TEXT NOT NULL,
	reason TEXT NOT NULL
);

-- Small named values of the reconciler (breaker_until_ms, ...).
CREATE TABLE reconciler_state (
	key TEXT PRIMARY KEY,
	value REAL NOT NULL
);

-- What agents printed, as the container streamed it; bounded per agent.
CREATE TABLE agent_events (
	seq INTEGER PRIMARY KEY,
	agent TEXT NOT NULL,
	bead TEXT,
	type TEXT NOT NULL,
	text TEXT NOT NULL,
	at_ms REAL NOT NULL
);
CREATE INDEX agent_events_agent ON agent_events(agent, seq);
