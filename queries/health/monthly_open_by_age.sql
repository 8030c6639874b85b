-- health/monthly_open_by_age: monthly review, open action items by age bucket with overdue counts.
-- Parameters: $1 as_of (DATE), $2 service (VARCHAR, NULL = every service), $3 deadline_critical, $4 deadline_high, $5 deadline_medium, $6 deadline_low (BIGINT days).
-- Output columns: bucket, open, overdue, overdue_pct, small_sample, median_age_days, p90_age_days.
-- Open as of the date and overdue exactly as in health/aging.
-- small_sample: overdue_pct rests on fewer than 5 items.
WITH open_items AS (
    SELECT age_days, overdue FROM open_action_items($1::DATE, $2::VARCHAR, $3::BIGINT, $4::BIGINT, $5::BIGINT, $6::BIGINT)
)
SELECT CASE WHEN age_days <= 30 THEN '0-30' WHEN age_days <= 90 THEN '31-90'
            WHEN age_days <= 180 THEN '91-180' ELSE '>180' END AS bucket,
       count(*) AS open, count(*) FILTER (WHERE overdue) AS overdue,
       round(100.0 * count(*) FILTER (WHERE overdue) / count(*), 1) AS overdue_pct,
       count(*) < 5 AS small_sample,
       round(median(age_days), 1) AS median_age_days,
       round(quantile_cont(age_days, 0.9), 1) AS p90_age_days
FROM open_items
GROUP BY bucket
ORDER BY list_position(['0-30', '31-90', '91-180', '>180'], bucket)
