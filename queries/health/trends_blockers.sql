-- health/trends_blockers: per week or month, what blocks the most open action items at the period's end (the top five blockers).
-- Parameters: $1 as_of (DATE), $2 since (DATE, NULL = 12 periods back), $3 period (VARCHAR: week | month), $4 service (VARCHAR, NULL = every service).
-- Output columns: period_start, period_end, blocked_by, blocked_items, blocked_pct, rank.
--
-- From the versions recorded in item_history: an item counts as blocked
-- while a recorded version of it is open, tracked and blocked (status
-- `blocked` or a Blocked by value; `(unspecified)` when only the status says
-- so). The time before an item's first recorded version is not counted.
-- blocked_pct: share of all items blocked at the period's end. Blockers are
-- compared lower-cased. Up to five rows per period, most blocked first.
WITH p AS (
    SELECT $1::DATE AS as_of, $2::DATE AS since, $3::VARCHAR AS period, $4::VARCHAR AS service
),
-- Periods are calendar months or ISO weeks (Monday first); the last one is
-- cut at the end of as_of. Without since: the 12 periods up to as_of.
bounds AS (
    SELECT *,
           date_trunc(period, coalesce(since, CASE WHEN period = 'week' THEN as_of - 77
                                                   ELSE (as_of - INTERVAL 11 MONTH)::DATE END))::DATE AS first_start,
           (as_of + 1)::TIMESTAMP AS t_end
    FROM p
),
periods AS (
    SELECT s::DATE AS period_start,
           least(s + CASE WHEN b.period = 'week' THEN INTERVAL 7 DAY ELSE INTERVAL 1 MONTH END, b.t_end) AS period_end
    FROM bounds b, unnest(generate_series(b.first_start::TIMESTAMP, date_trunc(b.period, b.as_of),
                                          CASE WHEN b.period = 'week' THEN INTERVAL 7 DAY ELSE INTERVAL 1 MONTH END)) AS g(s)
),
blocked_versions AS (
    SELECT coalesce(nullif(lower(trim(h.blocked_by)), ''), '(unspecified)') AS blocked_by,
           h.valid_from::TIMESTAMP AS valid_from, h.valid_to::TIMESTAMP AS valid_to
    FROM item_history h, p
    WHERE h.kind = 'action_item' AND h.state = 'open' AND h.tracking = 'tracked'
      AND (h.status = 'blocked' OR nullif(trim(h.blocked_by), '') IS NOT NULL)
      AND (p.service IS NULL OR h.service = p.service)
),
events AS (
    SELECT blocked_by, valid_from AS t, 1 AS d FROM blocked_versions
    UNION ALL
    SELECT blocked_by, valid_to, -1 FROM blocked_versions WHERE valid_to IS NOT NULL
),
bucketed AS (
    SELECT e.blocked_by,
           CASE WHEN e.t >= b.first_start THEN date_trunc(b.period, e.t)::DATE END AS bucket,
           sum(e.d) AS d
    FROM events e, bounds b
    WHERE e.t < b.t_end
    GROUP BY 1, 2
),
blockers AS (
    SELECT DISTINCT blocked_by FROM bucketed
),
grid AS (
    SELECT k.blocked_by, pr.period_start, pr.period_end,
           coalesce(bf.d, 0) + sum(coalesce(bk.d, 0)) OVER (PARTITION BY k.blocked_by ORDER BY pr.period_start) AS blocked_items
    FROM blockers k
    CROSS JOIN periods pr
    LEFT JOIN bucketed bk ON bk.blocked_by = k.blocked_by AND bk.bucket = pr.period_start
    LEFT JOIN bucketed bf ON bf.blocked_by = k.blocked_by AND bf.bucket IS NULL
),
ranked AS (
    SELECT *, sum(blocked_items) OVER (PARTITION BY period_start) AS total,
           row_number() OVER (PARTITION BY period_start ORDER BY blocked_items DESC, blocked_by) AS rank
    FROM grid
)
SELECT period_start, (period_end - INTERVAL 1 DAY)::DATE AS period_end, blocked_by,
       blocked_items::BIGINT AS blocked_items,
       round(100.0 * blocked_items / total, 1) AS blocked_pct, rank
FROM ranked
WHERE blocked_items > 0 AND rank <= 5
ORDER BY period_start, rank
