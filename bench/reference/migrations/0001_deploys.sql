-- The simple design's table: one row per deploy, deduplicated and numbered
-- per stream by its two unique indexes.
CREATE TABLE deploys (
	stream TEXT NOT NULL,
	dedup_id TEXT NOT NULL,
	number INTEGER NOT NULL,
	payload TEXT NOT NULL,
	PRIMARY KEY (stream, dedup_id),
	UNIQUE (stream, number)
) WITHOUT ROWID;
