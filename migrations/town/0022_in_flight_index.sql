-- The Mayor's context lists the open beads by requester, newest first, with every message: an index
-- of exactly those beads in that order makes it a walk of at most 200 entries instead of a scan and
-- sort of every open bead (a town fed by webhooks holds many, waiting for the Mayor).
CREATE INDEX beads_in_flight ON beads(requested_by, seq DESC) WHERE status NOT IN ('closed', 'failed');
