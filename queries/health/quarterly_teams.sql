-- health/quarterly_teams: quarterly review, the teams carrying the most unresolved action items.
-- Parameters: $1 as_of (DATE), $2 service (VARCHAR, NULL = every service), $3 deadline_critical, $4 deadline_high, $5 deadline_medium, $6 deadline_low (BIGINT days).
-- Output columns: team, open, overdue, overdue_pct, small_sample, unowned, median_age_days, p90_age_days.
--
-- Open as of the date and overdue as in health/aging. unowned: open items
-- of the team without an owner. small_sample: overdue_pct rests on fewer
-- than 5 items. Most open first.
WITH p AS (
    SELECT $1::DATE AS as_of, ($1::DATE + 1)::TIMESTAMP AS t_end, $2::VARCHAR AS service,
           $3::BIGINT AS d_critical, $4::BIGINT AS d_high, $5::BIGINT AS d_medium, $6::BIGINT AS d_low
),
open_items AS (
    SELECT coalesce(nullif(trim(a.team), ''), '(none)') AS team,
           nullif(trim(a.owner), '') IS NULL AS unowned,
           p.as_of - a.created_at::TIMESTAMP::DATE AS age_days,
           CASE WHEN a.target_date IS NOT NULL THEN a.target_date < p.as_of
                ELSE p.as_of - a.created_at::TIMESTAMP::DATE >
                     CASE CASE lower(trim(a.priority))
                         WHEN 'critical' THEN 'critical' WHEN 'p0' THEN 'critical'
                         WHEN 'high' THEN 'high' WHEN 'p1' THEN 'high'
                         WHEN 'medium' THEN 'medium' WHEN 'p2' THEN 'medium'
                         WHEN 'low' THEN 'low' WHEN 'p3' THEN 'low' END
                         WHEN 'critical' THEN p.d_critical WHEN 'high' THEN p.d_high
                         WHEN 'medium' THEN p.d_medium ELSE p.d_low END END AS overdue
    FROM items a, p
    WHERE a.kind = 'action_item' AND a.tracking = 'tracked'
      AND a.created_at::TIMESTAMP < p.t_end
      AND (a.state = 'open' OR coalesce(a.closed_at, a.updated_at)::TIMESTAMP >= p.t_end)
      AND (p.service IS NULL OR a.service = p.service)
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
