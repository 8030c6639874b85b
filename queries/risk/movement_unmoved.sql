-- risk/movement_unmoved: the top $2 active risks by bad minutes that have not moved for more than 60 days before $1: the same priority in every score run since, and no linked action item closed since.
-- Parameters: $1 = as of (TIMESTAMPTZ, RFC 3339 text); $2 = how many rows (BIGINT); $3 = service (VARCHAR, NULL = every service).
-- Output columns: risk, title, priority, bad_minutes_per_year, owner, status, unchanged_since, days_unmoved, last_action_item_closed_at, source.
-- The priority stands since the first run after the last run that gave a different one; for a risk whose
-- priority never differed, since the earlier of its first run and the time its scoring fields took their values.
-- (TIMESTAMPTZ values are cast to TIMESTAMP, i.e. UTC, before date arithmetic: the bundled DuckDB has no ICU extension.)
WITH cur AS (
    SELECT h.* FROM score_history h
    WHERE h.run_id = score_run_at($1::TIMESTAMPTZ) AND h.active
      AND ($3::VARCHAR IS NULL OR h.service = $3::VARCHAR)
),
past AS (
    SELECT c.source, c.key, p.scored_at,
           p.priority IS DISTINCT FROM c.priority AS differs
    FROM cur c JOIN score_history p USING (source, key)
    WHERE p.scored_at <= $1::TIMESTAMPTZ
),
last_change AS (
    SELECT source, key, max(scored_at) FILTER (WHERE differs) AS changed_at
    FROM past GROUP BY ALL
),
since AS (
    SELECT p.source, p.key, l.changed_at, min(p.scored_at) AS streak_start
    FROM past p JOIN last_change l USING (source, key)
    WHERE l.changed_at IS NULL OR p.scored_at > l.changed_at
    GROUP BY ALL
),
unmoved AS (
    SELECT c.*, CASE WHEN s.changed_at IS NULL THEN least(s.streak_start, c.estimate_changed_at)
                     ELSE s.streak_start END AS unchanged_since
    FROM cur c JOIN since s USING (source, key)
)
SELECT key AS risk, title, priority, round(bad_minutes_per_year, 1) AS bad_minutes_per_year,
       owner, status, unchanged_since,
       date_diff('day', CAST(unchanged_since AS TIMESTAMP), CAST($1::TIMESTAMPTZ AS TIMESTAMP)) AS days_unmoved,
       last_action_item_closed_at, source
FROM unmoved
WHERE date_diff('day', CAST(unchanged_since AS TIMESTAMP), CAST($1::TIMESTAMPTZ AS TIMESTAMP)) > 60
  AND (last_action_item_closed_at IS NULL OR last_action_item_closed_at < unchanged_since)
ORDER BY bad_minutes_per_year DESC NULLS LAST, ordinal DESC NULLS LAST, source, key
LIMIT $2;
