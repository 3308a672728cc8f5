-- Conversations with the Mayor: each member's messages, the context the engine gave the Mayor with
-- each, and the Mayor's replies. Whatever the Mayor does on a message is done for its author.
CREATE TABLE mayor_messages (
	seq INTEGER PRIMARY KEY,
	id TEXT NOT NULL UNIQUE,
	author TEXT NOT NULL,
	text TEXT NOT NULL,
	context TEXT NOT NULL CHECK (json_valid(context)),
	mail_id TEXT NOT NULL,
	created_ms REAL NOT NULL
);
CREATE INDEX mayor_messages_author ON mayor_messages(author, seq);

CREATE TABLE mayor_replies (
	seq INTEGER PRIMARY KEY,
	message TEXT NOT NULL,
	text TEXT NOT NULL,
	created_ms REAL NOT NULL
);
CREATE INDEX mayor_replies_message ON mayor_replies(message, seq);
