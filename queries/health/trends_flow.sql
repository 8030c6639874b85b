-- health/trends_flow: per week or month, action items opened, closed and reopened, open at the period's end, and incidents started: is the backlog growing faster than it closes?
-- Parameters: $1 as_of (DATE), $2 since (DATE, NULL = 12 periods back), $3 period (VARCHAR: week | month), $4 service (VARCHAR, NULL = every service).
-- Output columns: period_start, period_end, opened, closed, reopened, open_at_end, open_change, incidents, incidents_critical, incidents_high, incidents_medium, incidents_low, incidents_unrated, closure_ratio, small_sample.
--
-- Built from item_history, so it answers for past dates: an action item is
-- open from creation until it closes, and again from each reopening, as the
-- recorded versions show (the time before an item's first recorded version
-- counts as open from creation until its close; an item closed again with
-- no reopening recorded between, was reopened at the latest when it closed
-- again: closed_stretches, migration 0029; as recorded by the end of as_of,
-- 0031). An item is opened when it
-- entered the tracked backlog (tracked_since, migration 0013: its creation,
-- or the day it was first labelled when history shows it untracked
-- before). These rules live once, in backlog_events (migration 0032).
-- Items: tracked action
-- items as of the end of as_of, with their service then (items_as_of). period_end is the last day of the period. open_change:
-- open_at_end minus the previous period's (opened - closed + reopened).
-- incidents: tracked incidents started (started_at, else created_at) in
-- the period; incidents_critical … incidents_low split them by severity
-- (severity_level: SEV1 critical, SEV2 high, SEV3 medium, SEV4 and below
-- low), incidents_unrated those without a readable severity: incident
-- growth beside backlog growth. closure_ratio: closed / opened; small_sample: fewer than 5
-- items opened in the period.
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
-- The action items' events: backlog_events (migration 0032), the one
-- definition trends concentration reads too.
events AS (
    SELECT t, (kind = 'opened')::INT AS opened, (kind = 'closed')::INT AS closed,
           (kind = 'reopened')::INT AS reopened, 0 AS incidents, NULL::VARCHAR AS level
    FROM backlog_events($1::DATE, $4::VARCHAR)
    UNION ALL
    SELECT coalesce(i.started_at, i.created_at)::TIMESTAMP, 0, 0, 0, 1, coalesce(severity_level(i.severity), 'unrated')
    FROM items_as_of($1::DATE) i, p
    WHERE i.kind = 'incident' AND i.tracking = 'tracked' AND (p.service IS NULL OR i.service = p.service)
),
-- Everything before the first period lands in one bucket (NULL).
bucketed AS (
    SELECT CASE WHEN e.t >= b.first_start THEN date_trunc(b.period, e.t)::DATE END AS bucket,
           sum(opened) AS opened, sum(closed) AS closed, sum(reopened) AS reopened, sum(incidents) AS incidents,
           count(*) FILTER (WHERE level = 'critical') AS i_critical, count(*) FILTER (WHERE level = 'high') AS i_high,
           count(*) FILTER (WHERE level = 'medium') AS i_medium, count(*) FILTER (WHERE level = 'low') AS i_low,
           count(*) FILTER (WHERE level = 'unrated') AS i_unrated
    FROM events e, bounds b
    WHERE e.t < b.t_end
    GROUP BY 1
),
flow AS (
    SELECT pr.period_start, pr.period_end,
           coalesce(bk.opened, 0) AS opened, coalesce(bk.closed, 0) AS closed,
           coalesce(bk.reopened, 0) AS reopened, coalesce(bk.incidents, 0) AS incidents,
           coalesce(bk.i_critical, 0) AS i_critical, coalesce(bk.i_high, 0) AS i_high, coalesce(bk.i_medium, 0) AS i_medium,
           coalesce(bk.i_low, 0) AS i_low, coalesce(bk.i_unrated, 0) AS i_unrated,
           coalesce(bk.opened, 0) - coalesce(bk.closed, 0) + coalesce(bk.reopened, 0) AS open_change
    FROM periods pr LEFT JOIN bucketed bk ON bk.bucket = pr.period_start
)
SELECT f.period_start, (f.period_end - INTERVAL 1 DAY)::DATE AS period_end,
       f.opened::BIGINT AS opened, f.closed::BIGINT AS closed, f.reopened::BIGINT AS reopened,
       (coalesce((SELECT opened - closed + reopened FROM bucketed WHERE bucket IS NULL), 0)
        + sum(f.open_change) OVER (ORDER BY f.period_start))::BIGINT AS open_at_end,
       f.open_change::BIGINT AS open_change,
       f.incidents::BIGINT AS incidents,
       f.i_critical::BIGINT AS incidents_critical, f.i_high::BIGINT AS incidents_high,
       f.i_medium::BIGINT AS incidents_medium, f.i_low::BIGINT AS incidents_low,
       f.i_unrated::BIGINT AS incidents_unrated,
       round(f.closed / nullif(f.opened, 0), 2) AS closure_ratio,
       f.opened < 5 AS small_sample
FROM flow f
ORDER BY f.period_start
