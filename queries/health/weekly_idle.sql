-- health/weekly_idle: critical and high open action items nobody has touched for more than 7 days.
-- Parameters: $1 as_of (DATE), $2 service (VARCHAR, NULL = every service).
-- Output columns: key, title, service, owner, priority, status, target_date, last_activity, idle_days.
--
-- Open tracked action items as of the end of as_of (open_action_items) of
-- priority level critical or high (P0/P1), whose last human activity known
-- then (activity_as_of: recur's own labels and comments never count) is
-- more than 7 days before as_of. Longest idle first.
WITH judged AS (
    SELECT a.*, activity_as_of(a.as_of, a.from_history, a.created_at, a.valid_from, i.activity_at) AS active_at
    FROM open_action_items($1::DATE, $2::VARCHAR, 0, 0, 0, 0) a
    LEFT JOIN items i ON i.source = a.source AND i.key = a.key
    WHERE a.level IN ('critical', 'high')
)
SELECT key, title, service, owner, priority, status, target_date,
       active_at::TIMESTAMP::DATE AS last_activity,
       as_of - active_at::TIMESTAMP::DATE AS idle_days
FROM judged
WHERE as_of - active_at::TIMESTAMP::DATE > 7
ORDER BY idle_days DESC, key, source
