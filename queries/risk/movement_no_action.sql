-- risk/movement_no_action: active risks with no open and no done action item ("accepted", or forgotten?), from the latest score run at or before $1.
-- Parameters: $1 = as of (TIMESTAMPTZ, RFC 3339 text).
-- Output columns: risk, title, priority, bad_minutes_per_year, owner, status, closed_action_items, source.
WITH run AS (
    SELECT run_id FROM score_runs
    WHERE scored_at <= $1::TIMESTAMPTZ
    ORDER BY scored_at DESC, run_id DESC
    LIMIT 1
)
SELECT h.key AS risk, h.title, h.priority, round(h.bad_minutes_per_year, 1) AS bad_minutes_per_year,
       h.owner, h.status, h.closed_action_items, h.source
FROM score_history h JOIN run USING (run_id)
WHERE h.active AND h.open_action_items = 0 AND h.done_action_items = 0
ORDER BY h.bad_minutes_per_year DESC NULLS LAST, h.source, h.key;
