-- risk/movement_burndown: the burn-down: total open bad minutes per year of the active risks, from the last score run of each UTC day up to $1, with the change since the previous day shown.
-- Parameters: $1 = as of (TIMESTAMPTZ, RFC 3339 text): runs after it are left out; $2 = service (VARCHAR, NULL = every service: the risks of that service only).
-- Output columns: day, run_id, scored_at, active_risks, p0, p1, p2, p3, open_bad_minutes_per_year, change.
-- (TIMESTAMPTZ values are cast to TIMESTAMP, i.e. UTC, before date arithmetic: the bundled DuckDB has no ICU extension.)
WITH runs AS (
    SELECT run_id, scored_at, CAST(CAST(scored_at AS TIMESTAMP) AS DATE) AS day
    FROM score_runs
    WHERE scored_at <= $1::TIMESTAMPTZ
    QUALIFY row_number() OVER (PARTITION BY CAST(CAST(scored_at AS TIMESTAMP) AS DATE) ORDER BY scored_at DESC, run_id DESC) = 1
),
totals AS (
    SELECT r.day, r.run_id, r.scored_at,
           count(h.key) AS active_risks,
           count(h.key) FILTER (WHERE h.priority = 'P0') AS p0,
           count(h.key) FILTER (WHERE h.priority = 'P1') AS p1,
           count(h.key) FILTER (WHERE h.priority = 'P2') AS p2,
           count(h.key) FILTER (WHERE h.priority = 'P3') AS p3,
           coalesce(sum(h.bad_minutes_per_year), 0) AS open_bad
    FROM runs r LEFT JOIN score_history h ON h.run_id = r.run_id AND h.active
        AND ($2::VARCHAR IS NULL OR h.service = $2::VARCHAR)
    GROUP BY ALL
)
SELECT day, run_id, scored_at, active_risks, p0, p1, p2, p3,
       round(open_bad, 1) AS open_bad_minutes_per_year,
       round(open_bad - lag(open_bad) OVER (ORDER BY day), 1) AS change
FROM totals
ORDER BY day;
