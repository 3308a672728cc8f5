-- A bead's label rows by the bead: its labels are rewritten on every label change and dropped with
-- it, each a DELETE ... WHERE seq = ?, which without this index read every label row of the town
-- (bead creation grew with the town: 85 µs a bead over the first 3,000 labelled ones, 157 µs over
-- the next 3,000, natively; a new bead now skips the DELETE too).
CREATE INDEX bead_labels_seq ON bead_labels(seq);
-- Made for the reconciler's "is this blocker closed?" checks (0013), which open_blockers (0043)
-- replaced: what still reads a bead's status by id finds it through the id's own index, and each
-- bead created or changed writes one index page less.
DROP INDEX beads_status_by_id;
