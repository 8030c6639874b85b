-- health/monthly_due_this_month: monthly review, open action items whose target date falls in the as-of month.
-- Parameters: $1 as_of (DATE), $2 service (VARCHAR, NULL = every service).
-- Output columns: key, title, owner, priority, target_date, overdue.
--
-- Open as of the date, target_date in the calendar month of as_of;
-- overdue when the target date is before as_of. Earliest target first.
WITH p AS (
    SELECT $1::DATE AS as_of, ($1::DATE + 1)::TIMESTAMP AS t_end, $2::VARCHAR AS service,
           date_trunc('month', $1::DATE)::DATE AS month_start
)
SELECT a.key, a.title, a.owner,
       CASE lower(trim(a.priority))
               WHEN 'critical' THEN 'critical' WHEN 'p0' THEN 'critical'
               WHEN 'high' THEN 'high' WHEN 'p1' THEN 'high'
               WHEN 'medium' THEN 'medium' WHEN 'p2' THEN 'medium'
               WHEN 'low' THEN 'low' WHEN 'p3' THEN 'low'
               ELSE '(none)' END AS priority,
       a.target_date, a.target_date < p.as_of AS overdue
    FROM items a, p
    WHERE a.kind = 'action_item' AND a.tracking = 'tracked'
      AND a.created_at::TIMESTAMP < p.t_end
      AND (a.state = 'open' OR coalesce(a.closed_at, a.updated_at)::TIMESTAMP >= p.t_end)
      AND (p.service IS NULL OR a.service = p.service)
  AND a.target_date >= p.month_start AND a.target_date < (p.month_start + INTERVAL 1 MONTH)::DATE
ORDER BY a.target_date, a.key
