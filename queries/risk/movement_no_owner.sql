-- risk/movement_no_owner: active risks with no owner, from the latest score run at or before $1.
-- Parameters: $1 = as of (TIMESTAMPTZ, RFC 3339 text); $2 = service (VARCHAR, NULL = every service).
-- Output columns: risk, title, priority, bad_minutes_per_year, status, last_reviewed, source.
SELECT h.key AS risk, h.title, h.priority, round(h.bad_minutes_per_year, 1) AS bad_minutes_per_year,
       h.status, h.last_reviewed_at AS last_reviewed, h.source
FROM score_history h
WHERE h.run_id = score_run_at($1::TIMESTAMPTZ) AND h.active
  AND ($2::VARCHAR IS NULL OR h.service = $2::VARCHAR) AND h.owner IS NULL
ORDER BY h.bad_minutes_per_year DESC NULLS LAST, h.source, h.key;
