-- health/monthly_repeat_linked: monthly review, open action items linked to repeat incidents (by their incident, else by their risk).
-- Parameters: $1 as_of (DATE), $2 service (VARCHAR, NULL = every service).
-- Output columns: key, title, owner, priority, repeat_incident, class, linked_by.
--
-- Repeat incidents and their class exactly as in health/repeats (the shared
-- block below is kept identical to it). An open item (as of the date) is
-- listed when its incident_ref is a repeat incident (linked_by `incident`),
-- or else when its risk_ref is the failure mode of one (linked_by `risk`,
-- the latest such incident). The service filter applies to incidents, as in
-- health/repeats, and to items.
WITH p AS (
    SELECT ($1::DATE + 1)::TIMESTAMP AS t_end, $2::VARCHAR AS service
),
-- [repeats core: begin] (kept identical in monthly_repeat_linked.sql; a test compares them)
inc AS (
    SELECT i.key, i.title, i.service, coalesce(i.started_at, i.created_at)::TIMESTAMP AS started,
           coalesce(i.started_at, i.created_at)::TIMESTAMP::DATE AS started_day,
           CASE WHEN i.risk_ref IS NULL THEN 'service ' || i.service
                WHEN i.risk_ref LIKE '#%' THEN 'risk ' || i.container || i.risk_ref
                ELSE 'risk ' || i.risk_ref END AS fm
    FROM items i, p
    WHERE i.kind = 'incident' AND i.tracking = 'tracked'
      AND coalesce(i.started_at, i.created_at)::TIMESTAMP < p.t_end
      AND coalesce(i.risk_ref, i.service) IS NOT NULL
      AND (p.service IS NULL OR i.service = p.service)
),
-- Tracked action items with their failure modes, kept only for failure modes some incident has.
members AS (
    SELECT * FROM (
        SELECT source, key, created_at::TIMESTAMP AS created,
               'risk ' || CASE WHEN risk_ref LIKE '#%' THEN container || risk_ref ELSE risk_ref END AS fm
        FROM items WHERE kind = 'action_item' AND tracking = 'tracked' AND risk_ref IS NOT NULL
        UNION ALL
        SELECT source, key, created_at::TIMESTAMP, 'service ' || service
        FROM items WHERE kind = 'action_item' AND tracking = 'tracked' AND service IS NOT NULL
    )
    WHERE fm IN (SELECT fm FROM inc)
),
-- Closed stretches: consecutive closed versions share the close time; the
-- stretch ends when the next (open) version begins, or never.
closed_runs AS (
    SELECT source, key, coalesce(closed_at, valid_from)::TIMESTAMP AS closed,
           CASE WHEN count(valid_to) = count(*) THEN max(valid_to) END::TIMESTAMP AS reopened
    FROM item_history
    WHERE kind = 'action_item' AND state = 'closed'
    GROUP BY source, key, coalesce(closed_at, valid_from)
),
member_runs AS (
    SELECT m.fm, r.closed, r.reopened FROM closed_runs r JOIN members m USING (source, key)
),
-- +1 item and +1 open at creation, -1 open at each close, +1 at each reopening.
events AS (
    SELECT fm, created AS t, 1 AS d_created, 1 AS d_open FROM members
    UNION ALL
    SELECT fm, closed, 0, -1 FROM member_runs
    UNION ALL
    SELECT fm, reopened, 0, 1 FROM member_runs WHERE reopened IS NOT NULL
),
daily AS (
    SELECT fm, t::DATE AS day, sum(d_created) AS d_created, sum(d_open) AS d_open
    FROM events
    GROUP BY ALL
),
before_day AS (
    SELECT inc.key, sum(d.d_created) AS created, sum(d.d_open) AS open
    FROM inc JOIN daily d ON d.fm = inc.fm AND d.day < inc.started_day
    GROUP BY inc.key
),
same_day AS (
    SELECT inc.key,
           sum(e.d_created) FILTER (WHERE e.t < inc.started) AS created,
           sum(e.d_open) FILTER (WHERE e.t < inc.started OR (e.t = inc.started AND e.d_open < 0)) AS open
    FROM inc JOIN events e ON e.fm = inc.fm AND e.t::DATE = inc.started_day
    GROUP BY inc.key
),
counts AS (
    SELECT inc.*, coalesce(b.created, 0) + coalesce(s.created, 0) AS prior_items,
           coalesce(b.open, 0) + coalesce(s.open, 0) AS prior_open
    FROM inc
    LEFT JOIN before_day b USING (key)
    LEFT JOIN same_day s USING (key)
),
repeat_incidents AS (
    SELECT *, CASE WHEN prior_open > 0 THEN 'repeat_while_open' ELSE 'repeat_despite_completion' END AS class
    FROM counts
    WHERE prior_items > 0
),
-- [repeats core: end]
open_items AS (
    SELECT a.source, a.key, a.title, a.owner,
           CASE WHEN a.incident_ref LIKE '#%' THEN a.container || a.incident_ref ELSE a.incident_ref END AS incident_ref,
           CASE WHEN a.risk_ref LIKE '#%' THEN a.container || a.risk_ref ELSE a.risk_ref END AS risk_ref,
           CASE lower(trim(a.priority))
               WHEN 'critical' THEN 'critical' WHEN 'p0' THEN 'critical'
               WHEN 'high' THEN 'high' WHEN 'p1' THEN 'high'
               WHEN 'medium' THEN 'medium' WHEN 'p2' THEN 'medium'
               WHEN 'low' THEN 'low' WHEN 'p3' THEN 'low'
               ELSE '(none)' END AS priority
    FROM items a, p
    WHERE a.kind = 'action_item' AND a.tracking = 'tracked'
      AND a.created_at::TIMESTAMP < p.t_end
      AND (a.state = 'open' OR coalesce(a.closed_at, a.updated_at)::TIMESTAMP >= p.t_end)
      AND (p.service IS NULL OR a.service = p.service)
),
by_incident AS (
    SELECT o.source, o.key, o.title, o.owner, o.priority, r.key AS repeat_incident, r.class, 'incident' AS linked_by
    FROM open_items o JOIN repeat_incidents r ON r.key = o.incident_ref
),
-- Linked by risk only: the latest repeat incident of the item's risk.
by_risk AS (
    SELECT o.source, o.key, any_value(o.title) AS title, any_value(o.owner) AS owner,
           any_value(o.priority) AS priority,
           arg_max(r.key, r.started) AS repeat_incident, arg_max(r.class, r.started) AS class, 'risk' AS linked_by
    FROM open_items o JOIN repeat_incidents r ON r.fm = 'risk ' || o.risk_ref
    WHERE NOT EXISTS (SELECT 1 FROM by_incident b WHERE b.source = o.source AND b.key = o.key)
    GROUP BY o.source, o.key
)
SELECT key, title, owner, priority, repeat_incident, class, linked_by
FROM (SELECT * FROM by_incident UNION ALL SELECT * FROM by_risk)
ORDER BY key, source
