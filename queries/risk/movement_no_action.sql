-- risk/movement_no_action: active risks with no open and no done action item ("accepted", or forgotten?), from the latest score run at or before $1.
-- Parameters: $1 = as of (TIMESTAMPTZ, RFC 3339 text); $2 = service (VARCHAR, NULL = every service).
-- Output columns: risk, title, priority, bad_minutes_per_year, owner, status, closed_action_items, source.
SELECT h.key AS risk, h.title, h.priority, round(h.bad_minutes_per_year, 1) AS bad_minutes_per_year,
       h.owner, h.status, h.closed_action_items, h.source
FROM score_history h
WHERE h.run_id = score_run_at($1::TIMESTAMPTZ) AND h.active
  AND ($2::VARCHAR IS NULL OR h.service = $2::VARCHAR) AND h.open_action_items = 0 AND h.done_action_items = 0
ORDER BY h.bad_minutes_per_year DESC NULLS LAST, h.source, h.key;
