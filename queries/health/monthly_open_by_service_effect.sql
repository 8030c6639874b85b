-- health/monthly_open_by_service_effect: open action items by service and reliability effect: where the backlog prevents, detects or only documents.
-- Parameters: $1 as_of (DATE), $2 service (VARCHAR, NULL = every service).
-- Output columns: service, prevention, detection, mitigation, recovery, learning, other, open.
--
-- Open as of the end of as_of (open_action_items). other: any other
-- effect, or none. One row per service (`(none)` for items without one),
-- the most open items first.
SELECT coalesce(service, '(none)') AS service,
       count(*) FILTER (WHERE effect = 'prevention') AS prevention,
       count(*) FILTER (WHERE effect = 'detection') AS detection,
       count(*) FILTER (WHERE effect = 'mitigation') AS mitigation,
       count(*) FILTER (WHERE effect = 'recovery') AS recovery,
       count(*) FILTER (WHERE effect = 'learning') AS learning,
       count(*) FILTER (WHERE effect IS NULL OR effect NOT IN ('prevention', 'detection', 'mitigation', 'recovery', 'learning')) AS other,
       count(*) AS open
FROM open_action_items($1::DATE, $2::VARCHAR, 0, 0, 0, 0)
GROUP BY coalesce(service, '(none)')
ORDER BY open DESC, service
