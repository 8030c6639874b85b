-- 0025_target_moves_inlined: target_moves reads its dated versions where
-- each of its two uses reads them, instead of materialising them once.
-- Never edit once landed: add a new file.
--
-- Why: `v` (every dated action-item version before the day's end, 5.7M
-- rows over 1M items) feeds the per-item spans and, for the items whose
-- date changed, the lag() window. DuckDB materialised it for the two
-- consumers; reading the history twice costs less than the copy. The same
-- rows: materialising a CTE or not does not change what a deterministic
-- query answers. Measured over 1M items and 10M versions in time order
-- with the split history (python duckdb 2.0, 512MB, alternating, rows
-- equal by hash): quarterly chronic 3.59-3.76 -> 3.35-3.38 s, and on a
-- copy where a fifth of the items moved their date 3.10-3.34 -> 2.57-2.61
-- s; deferred unchanged (1.03-1.40 s either way).
--
-- target_moves(as_of): 0020's text with the one hint added.
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
