-- health/monthly_repeat_linked: monthly review, open action items linked to repeat incidents (by their incident, else by their risk).
-- Parameters: $1 as_of (DATE), $2 service (VARCHAR, NULL = every service), $3 lookback_days (BIGINT: as in health/repeats).
-- Output columns: key, title, owner, priority, repeat_incident, class, linked_by.
--
-- Repeat incidents and their class exactly as in health/repeats: both
-- read the table macro repeat_incidents (migration 0009_as_of_speed). An item
-- open as of the date (open_action_items) is listed when its incident_ref
-- is a repeat incident of its source (linked_by `incident`), or else when
-- its risk_ref is the failure mode of one (linked_by `risk`, the latest
-- such incident). The service filter applies to incidents, as in
-- health/repeats, and to items.
WITH repeats AS MATERIALIZED (
    SELECT source, key, started, fm, class FROM repeat_incidents($1::DATE, $2::VARCHAR, $3::BIGINT)
),
open_items AS (
    SELECT a.source, a.key, a.title, a.owner, a.incident_ref, a.risk_ref,
           coalesce(a.level, '(none)') AS priority
    FROM open_action_items($1::DATE, $2::VARCHAR, 0, 0, 0, 0) a
),
by_incident AS (
    SELECT o.source, o.key, o.title, o.owner, o.priority, r.key AS repeat_incident, r.class, 'incident' AS linked_by
    FROM open_items o JOIN repeats r ON r.source = o.source AND r.key = o.incident_ref
),
-- Linked by risk only: the latest repeat incident of the item's risk (of
-- two that started at the same time, the higher key, so every run agrees).
by_risk AS (
    SELECT o.source, o.key, any_value(o.title) AS title, any_value(o.owner) AS owner,
           any_value(o.priority) AS priority,
           arg_max(r.key, (r.started, r.key)) AS repeat_incident, arg_max(r.class, (r.started, r.key)) AS class,
           'risk' AS linked_by
    FROM open_items o JOIN repeats r ON r.source = o.source AND r.fm = 'risk ' || o.risk_ref
    WHERE NOT EXISTS (SELECT 1 FROM by_incident b WHERE b.source = o.source AND b.key = o.key)
    GROUP BY o.source, o.key
)
SELECT key, title, owner, priority, repeat_incident, class, linked_by
FROM (SELECT * FROM by_incident UNION ALL SELECT * FROM by_risk)
ORDER BY key, source
