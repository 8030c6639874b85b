-- health/quarterly_teams: quarterly review, the teams carrying the most unresolved action items.
-- Parameters: $1 as_of (DATE), $2 service (VARCHAR, NULL = every service), $3 deadline_critical, $4 deadline_high, $5 deadline_medium, $6 deadline_low (BIGINT days).
-- Output columns: team, open, overdue, overdue_pct, small_sample, unowned, median_age_days, p90_age_days.
--
-- Open as of the date and overdue as in health/aging. unowned: open items
-- of the team without an owner. small_sample: overdue_pct rests on fewer
-- than 5 items. Most open first.
WITH open_items AS (
    SELECT coalesce(nullif(trim(team), ''), '(none)') AS team,
           nullif(trim(owner), '') IS NULL AS unowned, age_days, overdue
    FROM open_action_items($1::DATE, $2::VARCHAR, $3::BIGINT, $4::BIGINT, $5::BIGINT, $6::BIGINT)
)
SELECT team, count(*) AS open, count(*) FILTER (WHERE overdue) AS overdue,
       round(100.0 * count(*) FILTER (WHERE overdue) / count(*), 1) AS overdue_pct,
       count(*) < 5 AS small_sample,
       count(*) FILTER (WHERE unowned) AS unowned,
       round(median(age_days), 1) AS median_age_days,
       round(quantile_cont(age_days, 0.9), 1) AS p90_age_days
FROM open_items
GROUP BY team
ORDER BY open DESC, team
