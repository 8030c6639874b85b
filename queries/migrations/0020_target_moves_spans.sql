-- 0020_target_moves_spans: target_moves runs its lag() window only over
-- the items whose target date ever changed.
-- Never edit once landed: add a new file.
--
-- Why: 0016's target_moves ran lag() over every action-item version with
-- a target date (5.7M of 10M history rows in the reports bench) to find
-- the few items whose date moved: the window was most of quarterly's
-- `chronic` and of `deferred`. An item whose versions all carry one date
-- has no move (a move is a date later than the version before's), so a
-- grouping pass first takes each item's earliest and latest date with its
-- first and current target, and the window runs only over the versions of
-- items whose dates differ. Measured over 1M items and 10M history rows
-- (python duckdb, 2 threads, 512MB, the two texts alternating): 3.0-3.1 s
-- -> 1.2-1.4 s when no date moved, 3.6-3.8 -> 2.5-2.6 s with a fifth of
-- the items moving (489,788 moves), with the same rows.
--
-- target_moves(as_of DATE): the same columns, types and rows as 0016's.
CREATE OR REPLACE MACRO target_moves(as_of) AS TABLE
WITH v AS (
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
           coalesce(sum(target_date - prev) FILTER (WHERE target_date > prev), 0) AS slip_days
    FROM (
        SELECT v.source, v.key, v.target_date,
               lag(v.target_date) OVER (PARTITION BY v.source, v.key ORDER BY v.valid_from) AS prev
        FROM v SEMI JOIN spans s ON s.source = v.source AND s.key = v.key AND s.lo < s.hi
    )
    GROUP BY source, key
)
SELECT s.source, s.key, coalesce(m.moves, 0) AS moves, coalesce(m.slip_days, 0) AS slip_days,
       s.first_target, s.last_target
FROM spans s
LEFT JOIN moved m ON m.source = s.source AND m.key = s.key;
