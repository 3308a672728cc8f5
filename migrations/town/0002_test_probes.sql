-- Tables behind the /_test routes: the integration tests and the bench drive storage, alarms and
-- effects through them. Only reachable when the worker runs with GASTOWN_TEST_HOOKS=1.
CREATE TABLE test_kv (
	key TEXT PRIMARY KEY,
	value TEXT NOT NULL,
	updated_ms REAL NOT NULL
);
CREATE TABLE test_alarm (
	key TEXT PRIMARY KEY,
	due_ms REAL NOT NULL,
	fired_ms REAL,
	fired_count INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE test_effect (
	id TEXT PRIMARY KEY,
	effect_id TEXT NOT NULL,
	state TEXT NOT NULL,
	status INTEGER,
	error_code TEXT,
	error_message TEXT,
	body TEXT
);
