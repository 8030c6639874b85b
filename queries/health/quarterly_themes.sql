-- health/quarterly_themes: quarterly review, the themes that dominate the open backlog.
-- Parameters: $1 as_of (DATE), $2 service (VARCHAR, NULL = every service), $3 deadline_critical, $4 deadline_high, $5 deadline_medium, $6 deadline_low (BIGINT days).
-- Output columns: theme, open, open_pct, overdue, median_age_days.
--
-- Open as of the date and overdue as in health/aging. Theme: the Theme
-- field, `(none)` when empty. open_pct: share of all open items. Largest first.
WITH open_items AS (
    SELECT coalesce(nullif(lower(trim(theme)), ''), '(none)') AS theme, age_days, overdue
    FROM open_action_items($1::DATE, $2::VARCHAR, $3::BIGINT, $4::BIGINT, $5::BIGINT, $6::BIGINT)
)
SELECT theme, count(*) AS open,
       round(100.0 * count(*) / sum(count(*)) OVER (), 1) AS open_pct,
       count(*) FILTER (WHERE overdue) AS overdue,
       round(median(age_days), 1) AS median_age_days
FROM open_items
GROUP BY theme
ORDER BY open DESC, theme
