-- health/checkpoint: for incidents closed in the last N days, every linked open action item that lacks an owner, a priority or a target date.
-- Parameters: $1 as_of (DATE), $2 days (BIGINT: the window ends on as_of and spans this many days), $3 service (VARCHAR, NULL = every service).
-- Output columns: incident, incident_title, incident_closed_on, key, title, owner, priority, target_date, missing.
--
-- The immediate postmortem checkpoint, as of the end of as_of (every item
-- as its version in force then, items_as_of). Incidents: tracked, closed
-- (closed_at) on a day in [as_of - days + 1, as_of]. Items: tracked action
-- items of the same source whose incident_ref is the incident, open as of
-- the date. missing lists the absent fields, comma-separated, in the order
-- owner, priority, target_date. A priority that is not
-- critical/high/medium/low or P0-P3 counts as missing. The service filter
-- applies to the item's service, else the incident's.
WITH p AS (
    SELECT $1::DATE AS as_of, $2::INTEGER AS days, $3::VARCHAR AS service
),
snap AS (
    SELECT * FROM items_as_of($1::DATE) WHERE tracking = 'tracked'
),
closed_incidents AS (
    SELECT i.source, i.key, i.title, i.service, i.closed_at::TIMESTAMP::DATE AS closed_on
    FROM snap i, p
    WHERE i.kind = 'incident' AND i.state = 'closed'
      AND i.closed_at::TIMESTAMP::DATE BETWEEN p.as_of - p.days + 1 AND p.as_of
),
linked AS (
    SELECT c.key AS incident, c.title AS incident_title, c.closed_on AS incident_closed_on,
           c.source, a.key, a.title, nullif(trim(a.owner), '') AS owner, a.level AS priority, a.target_date
    FROM closed_incidents c
    JOIN snap a ON a.source = c.source AND a.incident_ref = c.key
    CROSS JOIN p
    WHERE a.kind = 'action_item' AND a.state = 'open'
      AND (p.service IS NULL OR coalesce(a.service, c.service) = p.service)
)
SELECT incident, incident_title, incident_closed_on, key, title, owner, priority, target_date,
       concat_ws(', ', CASE WHEN owner IS NULL THEN 'owner' END,
                       CASE WHEN priority IS NULL THEN 'priority' END,
                       CASE WHEN target_date IS NULL THEN 'target_date' END) AS missing
FROM linked
WHERE owner IS NULL OR priority IS NULL OR target_date IS NULL
ORDER BY incident_closed_on DESC, incident, source, key
