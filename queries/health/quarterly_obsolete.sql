-- health/quarterly_obsolete: quarterly review, open action items untouched for more than 180 days: close them or recommit.
-- Parameters: $1 as_of (DATE), $2 service (VARCHAR, NULL = every service).
-- Output columns: key, title, owner, service, last_updated_on, untouched_days, age_days.
--
-- Open as of the date; untouched: the last activity that was not recur's own
-- write-back (activity_at, else the tracker's updated_at) is more than 180
-- days before as_of. Longest untouched first.
WITH p AS (
    SELECT $1::DATE AS as_of, ($1::DATE + 1)::TIMESTAMP AS t_end, $2::VARCHAR AS service
)
SELECT a.key, a.title, a.owner, a.service, coalesce(a.activity_at, a.updated_at)::TIMESTAMP::DATE AS last_updated_on,
       p.as_of - coalesce(a.activity_at, a.updated_at)::TIMESTAMP::DATE AS untouched_days,
       p.as_of - a.created_at::TIMESTAMP::DATE AS age_days
    FROM items a, p
    WHERE a.kind = 'action_item' AND a.tracking = 'tracked'
      AND a.created_at::TIMESTAMP < p.t_end
      AND (a.state = 'open' OR coalesce(a.closed_at, a.updated_at)::TIMESTAMP >= p.t_end)
      AND (p.service IS NULL OR a.service = p.service)
  AND p.as_of - coalesce(a.activity_at, a.updated_at)::TIMESTAMP::DATE > 180
ORDER BY untouched_days DESC, a.key
