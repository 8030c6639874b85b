-- health/monthly_due_this_month: monthly review, open action items whose target date falls in the as-of month.
-- Parameters: $1 as_of (DATE), $2 service (VARCHAR, NULL = every service).
-- Output columns: key, title, owner, priority, target_date, overdue.
--
-- Open as of the date, target_date in the calendar month of as_of;
-- overdue when the target date is before as_of. Earliest target first.
WITH p AS (
    SELECT $1::DATE AS as_of, date_trunc('month', $1::DATE)::DATE AS month_start
)
SELECT a.key, a.title, a.owner, coalesce(a.level, '(none)') AS priority,
       a.target_date, a.target_date < p.as_of AS overdue
FROM open_action_items($1::DATE, $2::VARCHAR, 0, 0, 0, 0) a, p
WHERE a.target_date >= p.month_start AND a.target_date < (p.month_start + INTERVAL 1 MONTH)::DATE
ORDER BY a.target_date, a.key, a.source
