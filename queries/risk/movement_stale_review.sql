-- risk/movement_stale_review: active risks whose last review is older than 90 days before $1, or that were never reviewed, from the latest score run at or before $1.
-- Parameters: $1 = as of (TIMESTAMPTZ, RFC 3339 text); $2 = service (VARCHAR, NULL = every service).
-- Output columns: risk, title, priority, bad_minutes_per_year, owner, last_reviewed, days_since_review, source.
-- (TIMESTAMPTZ values are cast to TIMESTAMP, i.e. UTC, before date arithmetic: the bundled DuckDB has no ICU extension.)
SELECT h.key AS risk, h.title, h.priority, round(h.bad_minutes_per_year, 1) AS bad_minutes_per_year,
       h.owner, h.last_reviewed_at AS last_reviewed,
       date_diff('day', h.last_reviewed_at, CAST(CAST($1::TIMESTAMPTZ AS TIMESTAMP) AS DATE)) AS days_since_review,
       h.source
FROM score_history h
WHERE h.run_id = score_run_at($1::TIMESTAMPTZ) AND h.active
  AND ($2::VARCHAR IS NULL OR h.service = $2::VARCHAR)
  AND (h.last_reviewed_at IS NULL
       OR date_diff('day', h.last_reviewed_at, CAST(CAST($1::TIMESTAMPTZ AS TIMESTAMP) AS DATE)) > 90)
ORDER BY h.bad_minutes_per_year DESC NULLS LAST, h.last_reviewed_at NULLS FIRST, h.source, h.key;
