-- health/trends_concentration: per week or month, how concentrated the open action items are by service (Herfindahl index) and which service leads.
-- Parameters: $1 as_of (DATE), $2 since (DATE, NULL = 12 periods back), $3 period (VARCHAR: week | month), $4 service (VARCHAR, NULL = every service).
-- Output columns: period_start, period_end, open_at_end, services, hhi, top_service, top_service_pct.
--
-- Open at the end of each period exactly as in health/trends_flow; service
-- as of the end of as_of (`(none)` when missing). hhi: the sum of squared shares of open
-- items per service, from 1/services (even) to 1 (all in one service);
-- NULL when nothing is open. services: services with open items.
WITH p AS (
    SELECT $1::DATE AS as_of, $2::DATE AS since, $3::VARCHAR AS period, $4::VARCHAR AS service
),
-- Periods are calendar months or ISO weeks (Monday first); the last one is
-- cut at the end of as_of. Without since: the 12 periods up to as_of.
bounds AS (
    SELECT *,
           date_trunc(period, coalesce(since, CASE WHEN period = 'week' THEN as_of - 77
                                                   ELSE (as_of - INTERVAL 11 MONTH)::DATE END))::DATE AS first_start,
           (as_of + 1)::TIMESTAMP AS t_end
    FROM p
),
periods AS (
    SELECT s::DATE AS period_start,
           least(s + CASE WHEN b.period = 'week' THEN INTERVAL 7 DAY ELSE INTERVAL 1 MONTH END, b.t_end) AS period_end
    FROM bounds b, unnest(generate_series(b.first_start::TIMESTAMP, date_trunc(b.period, b.as_of),
                                          CASE WHEN b.period = 'week' THEN INTERVAL 7 DAY ELSE INTERVAL 1 MONTH END)) AS g(s)
),
-- Opened, closed and reopened exactly as in trends_flow: both read
-- backlog_events (migration 0032). This file kept its own copies of the
-- rules once, and both were wrong: an item closed again between two syncs
-- stood one open item short until its reopening, and an item labelled
-- late counted as open from its creation instead of its label.
events AS (
    SELECT coalesce(nullif(trim(service), ''), '(none)') AS service, t,
           CASE kind WHEN 'closed' THEN -1 ELSE 1 END AS d
    FROM backlog_events($1::DATE, $4::VARCHAR)
),
bucketed AS (
    SELECT e.service,
           CASE WHEN e.t >= b.first_start THEN date_trunc(b.period, e.t)::DATE END AS bucket,
           sum(e.d) AS d
    FROM events e, bounds b
    WHERE e.t < b.t_end
    GROUP BY 1, 2
),
services AS (
    SELECT DISTINCT service FROM bucketed
),
grid AS (
    SELECT s.service, pr.period_start, pr.period_end,
           coalesce(bf.d, 0) + sum(coalesce(bk.d, 0)) OVER (PARTITION BY s.service ORDER BY pr.period_start) AS open
    FROM services s
    CROSS JOIN periods pr
    LEFT JOIN bucketed bk ON bk.service = s.service AND bk.bucket = pr.period_start
    LEFT JOIN bucketed bf ON bf.service = s.service AND bf.bucket IS NULL
),
ranked AS (
    SELECT *, sum(open) OVER (PARTITION BY period_start) AS total,
           row_number() OVER (PARTITION BY period_start ORDER BY open DESC, service) AS rnk
    FROM grid
)
SELECT period_start, (period_end - INTERVAL 1 DAY)::DATE AS period_end,
       total::BIGINT AS open_at_end,
       count(*) FILTER (WHERE open > 0) AS services,
       CASE WHEN total > 0 THEN round(sum((open / total) ^ 2), 3) END AS hhi,
       max(service) FILTER (WHERE rnk = 1 AND open > 0) AS top_service,
       round(100.0 * max(open) FILTER (WHERE rnk = 1) / nullif(total, 0), 1) AS top_service_pct
FROM ranked
GROUP BY period_start, period_end, total
ORDER BY period_start
