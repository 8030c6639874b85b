-- health/monthly_blocked: monthly review, open action items that are blocked and what blocks them.
-- Parameters: $1 as_of (DATE), $2 service (VARCHAR, NULL = every service).
-- Output columns: key, title, owner, service, status, blocked_by, age_days, untouched_days.
--
-- Blocked: open as of the date with status `blocked` or a Blocked by value
-- (`(unspecified)` when only the status says so). untouched_days: since the
-- last human activity known at the end of as_of (items_as_of's activity_at:
-- recur's own labels and comments never count). Oldest first.
WITH p AS (
    SELECT $1::DATE AS as_of
)
SELECT a.key, a.title, a.owner, a.service, a.status,
       coalesce(nullif(trim(a.blocked_by), ''), '(unspecified)') AS blocked_by,
       a.age_days,
       greatest(p.as_of - a.activity_at::TIMESTAMP::DATE, 0) AS untouched_days
FROM open_action_items($1::DATE, $2::VARCHAR, 0, 0, 0, 0) a, p
WHERE a.status = 'blocked' OR nullif(trim(a.blocked_by), '') IS NOT NULL
ORDER BY a.age_days DESC, a.key
