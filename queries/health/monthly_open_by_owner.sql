-- health/monthly_open_by_owner: monthly review, open action items per team and owner with overdue counts and ages.
-- Parameters: $1 as_of (DATE), $2 service (VARCHAR, NULL = every service), $3 deadline_critical, $4 deadline_high, $5 deadline_medium, $6 deadline_low (BIGINT days).
-- Output columns: team, owner, open, overdue, median_age_days, p90_age_days.
-- Open as of the date and overdue exactly as in health/aging.
-- Missing team or owner shows as `(none)`. Most open first.
WITH open_items AS (
    SELECT coalesce(nullif(trim(team), ''), '(none)') AS team,
           coalesce(nullif(trim(owner), ''), '(none)') AS owner,
           age_days, overdue
    FROM open_action_items($1::DATE, $2::VARCHAR, $3::BIGINT, $4::BIGINT, $5::BIGINT, $6::BIGINT)
)
SELECT team, owner, count(*) AS open, count(*) FILTER (WHERE overdue) AS overdue,
       round(median(age_days), 1) AS median_age_days,
       round(quantile_cont(age_days, 0.9), 1) AS p90_age_days
FROM open_items
GROUP BY team, owner
ORDER BY open DESC, team, owner
