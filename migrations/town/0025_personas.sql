-- A persona: the part an agent plays on a bead (docs/casting.md). The built-in ones live in the
-- engine (src/town/persona.c); this table holds the ones a town defines. Tool lists are JSON arrays
-- of tool names in Claude Code's spelling (Bash, Edit, Read, mcp__gastown__gt_done...), which the
-- agent host turns into each runtime's own configuration; gates are commands run before the rig's
-- own at merge.
CREATE TABLE personas (
	name TEXT PRIMARY KEY,
	title TEXT NOT NULL,
	overlay TEXT NOT NULL DEFAULT '',
	allowed_tools TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(allowed_tools)),
	denied_tools TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(denied_tools)),
	gates TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(gates)),
	model TEXT,
	created_by TEXT NOT NULL,
	created_ms REAL NOT NULL,
	updated_ms REAL NOT NULL
) WITHOUT ROWID;

-- The persona a bead is worked in (NULL: the plain polecat), and the one an agent wears now.
ALTER TABLE beads ADD COLUMN persona TEXT;
ALTER TABLE agents ADD COLUMN persona TEXT;
