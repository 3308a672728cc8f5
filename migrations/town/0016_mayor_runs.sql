-- The living Mayor answers one member's message per run of its runtime: waiting (not yet taken up),
-- answering (the run that holds it on the Mayor's hook), answered. runs counts the runs that took it
-- up, so a message that keeps failing its runs is answered with a note instead of tried forever.
-- Messages stored before the Mayor lived were read by whoever read its inbox: answered.
ALTER TABLE mayor_messages ADD COLUMN state TEXT NOT NULL DEFAULT 'answered'
	CHECK (state IN ('waiting', 'answering', 'answered'));
ALTER TABLE mayor_messages ADD COLUMN runs INTEGER NOT NULL DEFAULT 0;
CREATE INDEX mayor_messages_waiting ON mayor_messages(seq) WHERE state = 'waiting';
