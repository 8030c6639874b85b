-- health/aging: open action items by age bucket and priority, against each priority's deadline: how many, how many overdue.
-- Parameters: $1 as_of (DATE), $2 service (VARCHAR, NULL = every service), $3 deadline_critical, $4 deadline_high, $5 deadline_medium, $6 deadline_low (BIGINT days).
-- Output columns: priority, bucket, open, overdue, overdue_pct, small_sample, deadline_days, median_age_days, p90_age_days.
--
-- Open as of the date: tracked, created on or before it, not closed by its
-- end. Age in days from creation; buckets 0-30, 31-90, 91-180, >180.
-- Priorities critical/high/medium/low (P0-P3 read as those); anything else
-- is `(none)` and gets the low deadline. Overdue: past its target date
-- (target_date < as_of), or, without one, older than its priority's
-- deadline. One row per priority and bucket that has items, then one per
-- priority with bucket `all`, then priority `all`, bucket `all`.
-- small_sample: overdue_pct rests on fewer than 5 items.
WITH p AS (
    SELECT $1::DATE AS as_of, ($1::DATE + 1)::TIMESTAMP AS t_end, $2::VARCHAR AS service,
           $3::BIGINT AS d_critical, $4::BIGINT AS d_high, $5::BIGINT AS d_medium, $6::BIGINT AS d_low
),
open_items AS (
    SELECT a.key, p.as_of - a.created_at::TIMESTAMP::DATE AS age_days, a.target_date, p.as_of,
           CASE lower(trim(a.priority))
               WHEN 'critical' THEN 'critical' WHEN 'p0' THEN 'critical'
               WHEN 'high' THEN 'high' WHEN 'p1' THEN 'high'
               WHEN 'medium' THEN 'medium' WHEN 'p2' THEN 'medium'
               WHEN 'low' THEN 'low' WHEN 'p3' THEN 'low'
               ELSE '(none)' END AS priority,
           p.d_critical, p.d_high, p.d_medium, p.d_low
    FROM items a, p
    WHERE a.kind = 'action_item' AND a.tracking = 'tracked'
      AND a.created_at::TIMESTAMP < p.t_end
      AND (a.state = 'open' OR coalesce(a.closed_at, a.updated_at)::TIMESTAMP >= p.t_end)
      AND (p.service IS NULL OR a.service = p.service)
),
judged AS (
    SELECT *,
           CASE priority WHEN 'critical' THEN d_critical WHEN 'high' THEN d_high
                         WHEN 'medium' THEN d_medium ELSE d_low END AS deadline_days,
           CASE WHEN age_days <= 30 THEN '0-30' WHEN age_days <= 90 THEN '31-90'
                WHEN age_days <= 180 THEN '91-180' ELSE '>180' END AS bucket
    FROM open_items
),
rows AS (
    SELECT coalesce(priority, 'all') AS priority, coalesce(bucket, 'all') AS bucket,
           count(*) AS open,
           count(*) FILTER (WHERE CASE WHEN target_date IS NOT NULL THEN target_date < as_of
                                       ELSE age_days > deadline_days END) AS overdue,
           CASE WHEN grouping(priority) = 0 THEN any_value(deadline_days) END AS deadline_days,
           round(median(age_days), 1) AS median_age_days,
           round(quantile_cont(age_days, 0.9), 1) AS p90_age_days
    FROM judged
    GROUP BY GROUPING SETS ((priority, bucket), (priority), ())
)
SELECT priority, bucket, open, overdue,
       round(100.0 * overdue / open, 1) AS overdue_pct,
       open < 5 AS small_sample,
       deadline_days, median_age_days, p90_age_days
FROM rows
WHERE open > 0
ORDER BY list_position(['critical', 'high', 'medium', 'low', '(none)', 'all'], priority),
         list_position(['0-30', '31-90', '91-180', '>180', 'all'], bucket)
