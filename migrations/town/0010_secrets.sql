-- Secrets a town holds (tokens for platforms and gateways): written, never read back in full.
CREATE TABLE town_secrets (
	name TEXT PRIMARY KEY,
	value TEXT NOT NULL,
	updated_by TEXT NOT NULL,
	updated_ms REAL NOT NULL
);
