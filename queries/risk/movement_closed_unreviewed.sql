-- risk/movement_closed_unreviewed: active risks whose action items are all closed but whose fields were not re-reviewed since the last one closed (closing an item does not lower a risk: its fields must be re-estimated), from the latest score run at or before $1.
-- Parameters: $1 = as of (TIMESTAMPTZ, RFC 3339 text); $2 = service (VARCHAR, NULL = every service).
-- Output columns: risk, title, priority, bad_minutes_per_year, owner, closed_action_items, last_action_item_closed_at, last_reviewed, estimate_changed_at, source.
-- Re-reviewed means a Last reviewed date (or a review recorded with `recur review record`: reviewed_on) on or after the day the last item closed, or scoring fields changed after it.
-- (TIMESTAMPTZ values are cast to TIMESTAMP, i.e. UTC, before date arithmetic: the bundled DuckDB has no ICU extension.)
SELECT h.key AS risk, h.title, h.priority, round(h.bad_minutes_per_year, 1) AS bad_minutes_per_year,
       h.owner, h.closed_action_items, h.last_action_item_closed_at,
       reviewed_on(h.source, h.key, h.last_reviewed_at, CAST(CAST($1::TIMESTAMPTZ AS TIMESTAMP) AS DATE)) AS last_reviewed, h.estimate_changed_at, h.source
FROM score_history h
WHERE h.run_id = score_run_at($1::TIMESTAMPTZ) AND h.active
  AND ($2::VARCHAR IS NULL OR h.service = $2::VARCHAR)
  AND h.open_action_items = 0
  AND h.closed_action_items > 0
  AND (reviewed_on(h.source, h.key, h.last_reviewed_at, CAST(CAST($1::TIMESTAMPTZ AS TIMESTAMP) AS DATE)) IS NULL OR reviewed_on(h.source, h.key, h.last_reviewed_at, CAST(CAST($1::TIMESTAMPTZ AS TIMESTAMP) AS DATE)) < CAST(CAST(h.last_action_item_closed_at AS TIMESTAMP) AS DATE))
  AND (h.estimate_changed_at IS NULL OR h.estimate_changed_at <= h.last_action_item_closed_at)
ORDER BY h.bad_minutes_per_year DESC NULLS LAST, h.source, h.key;
