-- health/aging: open action items by age bucket and priority, against each priority's deadline: how many, how many overdue.
-- Parameters: $1 as_of (DATE), $2 service (VARCHAR, NULL = every service), $3 deadline_critical, $4 deadline_high, $5 deadline_medium, $6 deadline_low (BIGINT days).
-- Output columns: priority, bucket, open, overdue, overdue_pct, small_sample, deadline_days, median_age_days, p90_age_days.
--
-- Open as of the date: the version of each item in force at the end of the
-- day is a tracked action item and open (open_action_items, migration
-- 0007). Priority, target date and service are that version's too. Age in days
-- from creation; buckets 0-30, 31-90, 91-180, >180. Priorities
-- critical/high/medium/low (P0-P3 read as those); anything else is
-- `(none)` and gets the low deadline. Overdue (overdue_on): past its target
-- date (target_date < as_of), or, without one, older than its priority's
-- deadline. One row per priority and bucket that has items, then one per
-- priority with bucket `all`, then priority `all`, bucket `all`.
-- small_sample: overdue_pct rests on fewer than 5 items.
WITH open_items AS (
    SELECT key, age_days, overdue, coalesce(level, '(none)') AS priority, deadline AS deadline_days
    FROM open_action_items($1::DATE, $2::VARCHAR, $3::BIGINT, $4::BIGINT, $5::BIGINT, $6::BIGINT)
),
judged AS (
    SELECT *,
           CASE WHEN age_days <= 30 THEN '0-30' WHEN age_days <= 90 THEN '31-90'
                WHEN age_days <= 180 THEN '91-180' ELSE '>180' END AS bucket
    FROM open_items
),
rows AS (
    SELECT coalesce(priority, 'all') AS priority, coalesce(bucket, 'all') AS bucket,
           count(*) AS open,
           count(*) FILTER (WHERE overdue) AS overdue,
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
