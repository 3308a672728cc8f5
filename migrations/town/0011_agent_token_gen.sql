-- Agent tokens carry the agent's token generation; raising it revokes every token minted before.
ALTER TABLE agents ADD COLUMN token_gen INTEGER NOT NULL DEFAULT 0;
