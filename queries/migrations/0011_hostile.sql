-- 0011_hostile: what safety against hostile input and shared limits needs
-- stored. Never edit once landed: add a new file.

-- Content creations (new comments, label additions) write-back sent, per
-- source: the pacer's per-hour window (GitHub's secondary limit of 500
-- creations an hour) spans runs, so daemon cycles together stay under it.
-- Rows older than a day are dropped by the next run.
CREATE TABLE writeback_creations (
    source VARCHAR NOT NULL,
    sent_at TIMESTAMPTZ NOT NULL
);
