-- What a POST sent with an Idempotency-Key answered, kept a day: the same caller sending the same
-- request with the same key again (a client retrying a call whose answer it never got) gets that
-- answer again, and nothing is made twice.
CREATE TABLE idempotent_replies (
	caller TEXT NOT NULL,
	key TEXT NOT NULL,
	method TEXT NOT NULL,
	path TEXT NOT NULL,
	body_digest TEXT NOT NULL,
	status INTEGER NOT NULL,
	data TEXT NOT NULL,
	created_ms REAL NOT NULL,
	PRIMARY KEY (caller, key)
) WITHOUT ROWID;
CREATE INDEX idempotent_replies_age ON idempotent_replies(created_ms);
