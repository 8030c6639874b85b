-- health/quarterly_themes: quarterly review, the themes that dominate the open backlog.
-- Parameters: $1 as_of (DATE), $2 service (VARCHAR, NULL = every service), $3 deadline_critical, $4 deadline_high, $5 deadline_medium, $6 deadline_low (BIGINT days).
-- Output columns: theme, open, open_pct, overdue, median_age_days.
--
-- Open as of the date and overdue as in health/aging. Theme: the Theme
-- field, `(none)` when empty. open_pct: share of all open items. Largest first.
WITH p AS (
    SELECT $1::DATE AS as_of, ($1::DATE + 1)::TIMESTAMP AS t_end, $2::VARCHAR AS service,
           $3::BIGINT AS d_critical, $4::BIGINT AS d_high, $5::BIGINT AS d_medium, $6::BIGINT AS d_low
),
open_items AS (
    SELECT coalesce(nullif(lower(trim(a.theme)), ''), '(none)') AS theme,
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
SELECT theme, count(*) AS open,
       round(100.0 * count(*) / sum(count(*)) OVER (), 1) AS open_pct,
       count(*) FILTER (WHERE overdue) AS overdue,
       round(median(age_days), 1) AS median_age_days
FROM open_items
GROUP BY theme
ORDER BY open DESC, theme
