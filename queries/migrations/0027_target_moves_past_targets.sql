-- 0027_target_moves_past_targets: target_moves also counts the distinct
-- target dates before the day (past_targets), so quarterly chronic groups
-- the dated versions once instead of twice.
-- Never edit once landed: add a new file.
--
-- Why: chronic's deadlines_missed grouped every dated action-item version
-- recorded by the day (5.2M rows over 1M items, written in time order) a
-- second time, next to target_moves' own grouping of the same rows, only to
-- count distinct dates. target_moves already knows them: an item whose
-- target date never changed has one (lo = hi: it counts when it lies
-- before the day), and the items whose date changed are the few it already
-- reads a second time for its lag() window. The same rows, the same filters
-- (dated, recorded by the day, never superseded at once). Measured over 1M
-- items and 10M versions in time order (python duckdb 2.0, 512MB, 2
-- threads, alternating, rows equal by hash): quarterly chronic 3.10-3.18
-- -> 2.14-2.15 s.
--
-- target_moves(as_of): 0025's text with past_targets added (a new last
-- column: the distinct target dates the item has had, in the versions
-- recorded by the end of as_of, that lie before as_of).
CREATE OR REPLACE MACRO target_moves(as_of) AS TABLE
WITH v AS NOT MATERIALIZED (
    SELECT source, key, valid_from, target_date
    FROM item_history
    WHERE kind = 'action_item' AND target_date IS NOT NULL
      AND valid_from < (as_of::DATE + 1)::TIMESTAMP::TIMESTAMPTZ
      AND (valid_to IS NULL OR valid_to > valid_from)
),
spans AS (
    SELECT source, key, min(target_date) AS lo, max(target_date) AS hi,
           arg_min(target_date, valid_from) AS first_target,
           arg_max(target_date, valid_from) AS last_target
    FROM v
    GROUP BY source, key
),
moved AS (
    SELECT source, key,
           count(*) FILTER (WHERE target_date > prev) AS moves,
           coalesce(sum(target_date - prev) FILTER (WHERE target_date > prev), 0) AS slip_days,
           count(DISTINCT target_date) FILTER (WHERE target_date < as_of::DATE) AS past_targets
    FROM (
        SELECT v.source, v.key, v.target_date,
               lag(v.target_date) OVER (PARTITION BY v.source, v.key ORDER BY v.valid_from) AS prev
        FROM v SEMI JOIN spans s ON s.source = v.source AND s.key = v.key AND s.lo < s.hi
    )
    GROUP BY source, key
)
SELECT s.source, s.key, coalesce(m.moves, 0) AS moves, coalesce(m.slip_days, 0) AS slip_days,
       s.first_target, s.last_target,
       CASE WHEN s.lo < s.hi THEN m.past_targets ELSE (s.lo < as_of::DATE)::BIGINT END AS past_targets
FROM spans s
LEFT JOIN moved m ON m.source = s.source AND m.key = s.key;
