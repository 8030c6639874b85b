-- 0028_prior_target: each history version records the target date before
-- it (prior_target), so target_moves reads only the versions that changed
-- an action item's date, with no window and no second pass.
-- Never edit once landed: add a new file.
--
-- prior_target: the target date of the latest earlier version of the item
-- (by valid_from) that counts for target_moves: an action item's, dated,
-- never superseded at once (0016). NULL when there is none. A target
-- removed and set again therefore counts from the date before it, as
-- target_moves always did. recur writes it with each version: the sync from
-- the open version it closes, the history backfill for the rebuilt versions
-- and every later one of their items.
--
-- Why: target_moves (deferred, quarterly chronic) grouped every dated
-- action-item version by item (6M rows over 1M items in the reports
-- bench, written in time order), then ran a lag() window over the items
-- whose date changed. A version whose date equals its prior_target adds
-- nothing to any of its columns: the moves and their days are target_date
-- against prior_target on the versions that changed the date, the first
-- and last target and the distinct dates are among those versions. In the
-- bench that is 600k rows instead of 6M. Measured over 1M items and 10M
-- versions in time order (python duckdb 2.0, 512MB, 2 threads, alternating,
-- rows equal by hash): target_moves alone 1.58-1.70 -> 1.08-1.13 s,
-- deferred 1.15-1.20 -> 0.58-0.61 s, quarterly chronic 2.20-2.22 -> 1.67-1.70 s.
-- Computing the column for those 10M versions took 11 s (660 MB RSS).
ALTER TABLE history_open ADD COLUMN prior_target DATE;
ALTER TABLE history_closed ADD COLUMN prior_target DATE;
ALTER TABLE ingest_staging ADD COLUMN prior_target DATE;
-- Ordered by valid_from; versions superseded at once share their start
-- with the next one and sort before it (valid_to NULLS LAST), and never
-- count themselves, so ties cannot change an answer.
CREATE TEMP TABLE migration_prior_targets AS
SELECT src, rid, p FROM (
    SELECT src, rid,
           last_value(CASE WHEN kind = 'action_item' AND (valid_to IS NULL OR valid_to > valid_from)
                           THEN target_date END IGNORE NULLS)
               OVER (PARTITION BY source, key ORDER BY valid_from, valid_to NULLS LAST
                     ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS p
    FROM (SELECT 'open' AS src, rowid AS rid, source, key, kind, target_date, valid_from, valid_to
          FROM history_open
          UNION ALL
          SELECT 'closed', rowid, source, key, kind, target_date, valid_from, valid_to
          FROM history_closed)
) WHERE p IS NOT NULL;
UPDATE history_open SET prior_target = m.p FROM migration_prior_targets m
WHERE m.src = 'open' AND history_open.rowid = m.rid;
UPDATE history_closed SET prior_target = m.p FROM migration_prior_targets m
WHERE m.src = 'closed' AND history_closed.rowid = m.rid;
DROP TABLE migration_prior_targets;
-- The view over the two tables takes the new column when it is next
-- bound (its text is SELECT *); binding it here lets the comment find it.
SELECT * FROM item_history LIMIT 0;
COMMENT ON COLUMN item_history.prior_target IS 'The target date before this version: that of the latest earlier version of an action item that had one and was not superseded at once (NULL: none). target_moves compares target_date with it.';

-- target_moves(as_of): per action item, how its target date moved in the
-- versions recorded by the end of as_of: moves later (each change to a
-- later date), the days those moves added, the first and the last target
-- date, and the distinct target dates before as_of (0027). Read from the
-- versions that changed the date (target_date not prior_target); the same
-- columns and rows as 0027's.
CREATE OR REPLACE MACRO target_moves(as_of) AS TABLE
SELECT source, key,
       count(*) FILTER (WHERE target_date > prior_target) AS moves,
       coalesce(sum(target_date - prior_target) FILTER (WHERE target_date > prior_target), 0) AS slip_days,
       arg_min(target_date, valid_from) AS first_target,
       arg_max(target_date, valid_from) AS last_target,
       coalesce(len(list_distinct(list(target_date) FILTER (WHERE target_date < as_of::DATE))), 0) AS past_targets
FROM item_history
WHERE kind = 'action_item' AND target_date IS NOT NULL
  AND target_date IS DISTINCT FROM prior_target
  AND valid_from < (as_of::DATE + 1)::TIMESTAMP::TIMESTAMPTZ
  AND (valid_to IS NULL OR valid_to > valid_from)
GROUP BY source, key;
