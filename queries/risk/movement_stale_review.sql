-- risk/movement_stale_review: active risks whose last review is older than 90 days before $1, or that were never reviewed, from the latest score run at or before $1.
-- Parameters: $1 = as of (TIMESTAMPTZ, RFC 3339 text); $2 = service (VARCHAR, NULL = every service).
-- Output columns: risk, title, priority, bad_minutes_per_year, owner, last_reviewed, days_since_review, source.
-- The last review: the tracker's Last reviewed, or a review recorded with
-- `recur review record` by then, whichever is later (reviewed_on).
-- (TIMESTAMPTZ values are cast to TIMESTAMP, i.e. UTC, before date arithmetic: the bundled DuckDB has no ICU extension.)
SELECT h.key AS risk, h.title, h.priority, round(h.bad_minutes_per_year, 1) AS bad_minutes_per_year,
       h.owner, reviewed_on(h.source, h.key, h.last_reviewed_at, CAST(CAST($1::TIMESTAMPTZ AS TIMESTAMP) AS DATE)) AS last_reviewed,
       date_diff('day', reviewed_on(h.source, h.key, h.last_reviewed_at, CAST(CAST($1::TIMESTAMPTZ AS TIMESTAMP) AS DATE)), CAST(CAST($1::TIMESTAMPTZ AS TIMESTAMP) AS DATE)) AS days_since_review,
       h.source
FROM score_history h
WHERE h.run_id = score_run_at($1::TIMESTAMPTZ) AND h.active
  AND ($2::VARCHAR IS NULL OR h.service = $2::VARCHAR)
  AND (reviewed_on(h.source, h.key, h.last_reviewed_at, CAST(CAST($1::TIMESTAMPTZ AS TIMESTAMP) AS DATE)) IS NULL
       OR date_diff('day', reviewed_on(h.source, h.key, h.last_reviewed_at, CAST(CAST($1::TIMESTAMPTZ AS TIMESTAMP) AS DATE)), CAST(CAST($1::TIMESTAMPTZ AS TIMESTAMP) AS DATE)) > 90)
ORDER BY h.bad_minutes_per_year DESC NULLS LAST, reviewed_on(h.source, h.key, h.last_reviewed_at, CAST(CAST($1::TIMESTAMPTZ AS TIMESTAMP) AS DATE)) NULLS FIRST, h.source, h.key;
