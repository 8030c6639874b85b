-- 0033_item_ids: every version in the history carries its item's number,
-- item_id, so that the history is grouped and joined per item on one
-- integer instead of two strings.
-- Never edit once landed: add a new file.
--
-- Why: the reports' heaviest steps group or join all 10M versions of the
-- reports bench per item (the closed stretches, the target date moves,
-- tracked_since), and hashing and comparing (source, key), two strings,
-- is most of their cost. Measured over 1M items and 10M versions (python
-- duckdb 2.0, 512MB, 2 threads, the same answers): grouping the closed
-- action items' versions by (source, key, close) 0.72 -> 0.27 s by
-- (item_id, close); the target date moves 0.71 -> 0.17 s; the semi join of
-- tracked_since 0.98 -> 0.09 s. The macros that read it come in later
-- migrations.
--
-- item_id: a number from the sequence item_ids, one per (source, key), the
-- same in every version of the item, never reused. The sync gives a new
-- item the next number and each later version its item's; the history
-- backfill and set_tracking copy it from the item's open version (every
-- item has exactly one, 0023). Existing items are numbered here, their
-- closed versions taking the number of their open one.
CREATE SEQUENCE item_ids START 1;
ALTER TABLE history_open ADD COLUMN item_id BIGINT;
ALTER TABLE history_closed ADD COLUMN item_id BIGINT;
ALTER TABLE ingest_staging ADD COLUMN item_id BIGINT;
UPDATE history_open SET item_id = nextval('item_ids');
UPDATE history_closed c SET item_id = o.item_id
FROM history_open o
WHERE o.source = c.source AND o.key = c.key;
-- Bind the view (SELECT *) so that the comment finds the new column, as in 0028.
SELECT * FROM item_history LIMIT 0;
COMMENT ON COLUMN item_history.item_id IS 'The item''s number (sequence item_ids): one per source and key, the same in every version; reports group and join the history on it.';
