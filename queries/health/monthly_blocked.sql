-- health/monthly_blocked: monthly review, open action items that are blocked and what blocks them.
-- Parameters: $1 as_of (DATE), $2 service (VARCHAR, NULL = every service).
-- Output columns: key, title, owner, service, status, blocked_by, age_days, untouched_days.
--
-- Blocked: open as of the date with status `blocked` or a Blocked by value
-- (`(unspecified)` when only the status says so). untouched_days: since the
-- last human activity known at the end of as_of (activity_as_of:
-- recur's own labels and comments never count). Oldest first.
WITH p AS (
    SELECT $1::DATE AS as_of
),
blocked AS (
    SELECT a.*, activity_as_of(p.as_of, a.from_history, a.created_at, a.valid_from, i.activity_at) AS active_at
    FROM open_action_items($1::DATE, $2::VARCHAR, 0, 0, 0, 0) a
    CROSS JOIN p
    LEFT JOIN items i ON i.source = a.source AND i.key = a.key
    WHERE a.status = 'blocked' OR nullif(trim(a.blocked_by), '') IS NOT NULL
)
SELECT b.key, b.title, b.owner, b.service, b.status,
       coalesce(nullif(trim(b.blocked_by), ''), '(unspecified)') AS blocked_by,
       b.age_days,
       greatest(p.as_of - b.active_at::TIMESTAMP::DATE, 0) AS untouched_days
FROM blocked b, p
ORDER BY b.age_days DESC, b.key, b.source
