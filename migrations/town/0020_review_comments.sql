-- Review comments on the town's own pull requests (GitHub review comments, GitLab notes): each is
-- taken once, classified, and answered by the sub-bead made for it (bead NULL: none was made,
-- an approval or a reply in a thread already being addressed). The town's own replies are kept
-- too (kind 'own'), so they never come back as work.
CREATE TABLE review_comments (
	platform TEXT NOT NULL,
	comment TEXT NOT NULL,      -- the platform's id of the comment, note or review
	mr TEXT NOT NULL,           -- the merge-request bead of the pull request
	bead TEXT,                  -- the sub-bead made for it
	thread TEXT NOT NULL,       -- GitHub: the thread's first comment id ('' on the conversation); GitLab: the discussion id
	kind TEXT NOT NULL CHECK (kind IN ('fix', 'question', 'nit', 'architectural', 'approval', 'reply', 'own')),
	reviewer TEXT NOT NULL,
	replied INTEGER NOT NULL DEFAULT 0,
	resolved INTEGER NOT NULL DEFAULT 0,
	created_ms REAL NOT NULL,
	PRIMARY KEY (platform, comment)
) WITHOUT ROWID;
CREATE INDEX review_comments_bead ON review_comments(bead) WHERE bead IS NOT NULL;
CREATE INDEX review_comments_thread ON review_comments(mr, thread);
