-- A GitHub App's installation token, minted from the App's key and cached until shortly before it
-- expires (an hour); never shown. requested_ms marks an exchange on its way.
CREATE TABLE integration_tokens (
	platform TEXT PRIMARY KEY,
	token TEXT,
	expires_ms REAL NOT NULL DEFAULT 0,
	requested_ms REAL
);

-- Calls to a platform waiting for that token: made as soon as it comes, or told they failed.
CREATE TABLE hook_pending (
	id INTEGER PRIMARY KEY,
	platform TEXT NOT NULL,
	purpose TEXT NOT NULL,
	subject TEXT NOT NULL,
	method TEXT NOT NULL,
	path TEXT NOT NULL,
	body TEXT,
	created_ms REAL NOT NULL
);
