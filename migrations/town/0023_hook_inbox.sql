-- Deliveries taken but not yet applied. A platform is answered as soon as a delivery is verified,
-- parsed and stored here; the rules run on the alarm, many deliveries in one transaction, so the
-- platform's wait (GitHub's 10 s, Slack's 3 s) and the object's input gate never pay for the work.
-- The body is the one that was signed; headers keeps only what the readers use (event name, ids).
CREATE TABLE hook_inbox (
	seq INTEGER PRIMARY KEY,
	platform TEXT NOT NULL,
	delivery TEXT NOT NULL,
	headers TEXT NOT NULL CHECK (json_valid(headers)),
	body BLOB NOT NULL
);

-- Why a delivery was ignored or failed, for whoever asks what became of it.
ALTER TABLE hook_deliveries ADD COLUMN why TEXT;
