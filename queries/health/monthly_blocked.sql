-- health/monthly_blocked: monthly review, open action items that are blocked and what blocks them.
-- Parameters: $1 as_of (DATE), $2 service (VARCHAR, NULL = every service).
-- Output columns: key, title, owner, service, status, blocked_by, age_days, untouched_days.
--
-- Blocked: open as of the date with status `blocked` or a Blocked by value
-- (`(unspecified)` when only the status says so). untouched_days: since the
-- tracker's updated_at. Oldest first.
WITH p AS (
    SELECT $1::DATE AS as_of, ($1::DATE + 1)::TIMESTAMP AS t_end, $2::VARCHAR AS service
)
SELECT a.key, a.title, a.owner, a.service, a.status,
       coalesce(nullif(trim(a.blocked_by), ''), '(unspecified)') AS blocked_by,
       p.as_of - a.created_at::TIMESTAMP::DATE AS age_days,
       greatest(p.as_of - a.updated_at::TIMESTAMP::DATE, 0) AS untouched_days
    FROM items a, p
    WHERE a.kind = 'action_item' AND a.tracking = 'tracked'
      AND a.created_at::TIMESTAMP < p.t_end
      AND (a.state = 'open' OR coalesce(a.closed_at, a.updated_at)::TIMESTAMP >= p.t_end)
      AND (p.service IS NULL OR a.service = p.service)
  AND (a.status = 'blocked' OR nullif(trim(a.blocked_by), '') IS NOT NULL)
ORDER BY age_days DESC, a.key
