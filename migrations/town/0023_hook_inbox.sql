-- Deliveries taken but not yet applied. A platform is answered as soon as a delivery is verified,
-- read and stored here; the rules run on the alarm, many deliveries in one transaction, so the
-- platform's wait (GitHub's 10 s, Slack's 3 s) and the object's input gate never pay for the work.
-- what: the delivery as the rules read it (hooks/event.c), not the platform's whole payload.
CREATE TABLE hook_inbox (
	seq INTEGER PRIMARY KEY,
	platform TEXT NOT NULL,
	delivery TEXT NOT NULL,
	what TEXT NOT NULL
);

-- Why a delivery was ignored or failed, for whoever asks what became of it.
ALTER TABLE hook_deliveries ADD COLUMN why TEXT;
