-- health/monthly_open_by_service: monthly review, open action items per service with overdue counts and ages.
-- Parameters: $1 as_of (DATE), $2 service (VARCHAR, NULL = every service), $3 deadline_critical, $4 deadline_high, $5 deadline_medium, $6 deadline_low (BIGINT days).
-- Output columns: service, open, overdue, overdue_pct, small_sample, median_age_days, p90_age_days.
-- Open as of the date and overdue exactly as in health/aging.
-- Items without a service are grouped as `(none)`. Most open first.
WITH open_items AS (
    SELECT coalesce(nullif(trim(service), ''), '(none)') AS service, age_days, overdue
    FROM open_action_items($1::DATE, $2::VARCHAR, $3::BIGINT, $4::BIGINT, $5::BIGINT, $6::BIGINT)
)
SELECT service, count(*) AS open, count(*) FILTER (WHERE overdue) AS overdue,
       round(100.0 * count(*) FILTER (WHERE overdue) / count(*), 1) AS overdue_pct,
       count(*) < 5 AS small_sample,
       round(median(age_days), 1) AS median_age_days,
       round(quantile_cont(age_days, 0.9), 1) AS p90_age_days
FROM open_items
GROUP BY service
ORDER BY open DESC, service
