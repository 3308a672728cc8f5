-- A person's registry: the towns they can see. Towns keep it current through effects
-- (/_internal/towns/:town), so listing one's towns needs no fan-out over every town.
CREATE TABLE my_towns (
	town_id TEXT PRIMARY KEY,
	name TEXT NOT NULL,
	role TEXT NOT NULL,
	owner_kind TEXT NOT NULL,
	owner_id TEXT NOT NULL,
	updated_ms REAL NOT NULL
);
