-- 0015_ingest_one_lookup: the merge of a sync batch looks up the stored rows
-- of its items once. Never edit once landed: add a new file.
--
-- Why: each of the merge's steps (drop untracked strangers, drop stale
-- answers, carry the stored kind, keep recur's own edits' activity time,
-- decide what changed) joined `items` again: six scans of the whole table
-- per batch, the growing part of a first sync's store time (4.7 s of 83
-- for the strangers alone at 1M issues). One UPDATE now copies what the
-- steps need next to each staged row, and they read it there.
ALTER TABLE ingest_staging ADD COLUMN stored BOOLEAN DEFAULT false;
ALTER TABLE ingest_staging ADD COLUMN stored_updated_at TIMESTAMPTZ;
ALTER TABLE ingest_staging ADD COLUMN stored_hash VARCHAR;
ALTER TABLE ingest_staging ADD COLUMN stored_kind VARCHAR;
ALTER TABLE ingest_staging ADD COLUMN stored_tracking VARCHAR;
ALTER TABLE ingest_staging ADD COLUMN stored_activity_at TIMESTAMPTZ;
