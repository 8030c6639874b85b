-- risk/movement_no_owner: active risks with no owner, from the latest score run at or before $1.
-- Parameters: $1 = as of (TIMESTAMPTZ, RFC 3339 text).
-- Output columns: risk, title, priority, bad_minutes_per_year, status, last_reviewed, source.
WITH run AS (
    SELECT run_id FROM score_runs
    WHERE scored_at <= $1::TIMESTAMPTZ
    ORDER BY scored_at DESC, run_id DESC
    LIMIT 1
)
SELECT h.key AS risk, h.title, h.priority, round(h.bad_minutes_per_year, 1) AS bad_minutes_per_year,
       h.status, h.last_reviewed_at AS last_reviewed, h.source
FROM score_history h JOIN run USING (run_id)
WHERE h.active AND h.owner IS NULL
ORDER BY h.bad_minutes_per_year DESC NULLS LAST, h.source, h.key;
