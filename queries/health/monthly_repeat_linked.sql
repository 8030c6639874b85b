-- health/monthly_repeat_linked: monthly review, open action items linked to repeat incidents (by their incident, else by their risk).
-- Parameters: $1 as_of (DATE), $2 service (VARCHAR, NULL = every service).
-- Output columns: key, title, owner, priority, repeat_incident, class, linked_by.
--
-- Repeat incidents and their class exactly as in health/repeats: both
-- read the table macro repeat_incidents (migration 0006_repeat_classes).
-- An open item (as of the date) is listed when its incident_ref is a
-- repeat incident (linked_by `incident`),
-- or else when its risk_ref is the failure mode of one (linked_by `risk`,
-- the latest such incident). The service filter applies to incidents, as in
-- health/repeats, and to items.
WITH p AS (
    SELECT ($1::DATE + 1)::TIMESTAMP AS t_end, $2::VARCHAR AS service
),
repeats AS (
    SELECT * FROM repeat_incidents($1::DATE, $2::VARCHAR)
),
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
    FROM open_items o JOIN repeats r ON r.key = o.incident_ref
),
-- Linked by risk only: the latest repeat incident of the item's risk.
by_risk AS (
    SELECT o.source, o.key, any_value(o.title) AS title, any_value(o.owner) AS owner,
           any_value(o.priority) AS priority,
           arg_max(r.key, r.started) AS repeat_incident, arg_max(r.class, r.started) AS class, 'risk' AS linked_by
    FROM open_items o JOIN repeats r ON r.fm = 'risk ' || o.risk_ref
    WHERE NOT EXISTS (SELECT 1 FROM by_incident b WHERE b.source = o.source AND b.key = o.key)
    GROUP BY o.source, o.key
)
SELECT key, title, owner, priority, repeat_incident, class, linked_by
FROM (SELECT * FROM by_incident UNION ALL SELECT * FROM by_risk)
ORDER BY key, source
