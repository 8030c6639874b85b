-- health/followups_incidents: every incident started in the last --days with its follow-up action items: who owns each, its state and target date.
-- Parameters: $1 as_of (DATE), $2 days (BIGINT), $3 service (VARCHAR, NULL = every service).
-- Output columns: incident, title, service, severity, started_day, risk, item, item_title, lifecycle, status, owner, priority, target_date.
--
-- As the backlog stood at the end of as_of (items_as_of). Incidents:
-- tracked, started (started_at, else created_at) in the --days up to and
-- including as_of. A follow-up is a tracked action item whose incident
-- reference is the incident (same source). One row per incident and
-- follow-up; an incident without any has one row with item NULL. Newest
-- incident first, its items by key.
WITH p AS (
    SELECT $1::DATE AS as_of, $2::INTEGER AS days, $3::VARCHAR AS service
),
-- Read where each side uses it: both sides refer to it, and materialised
-- it held every column of the backlog (1M items: 0.67-0.85 -> 0.43-0.50 s
-- inlined, the same rows).
snap AS NOT MATERIALIZED (
    SELECT * FROM items_as_of($1::DATE) WHERE tracking = 'tracked'
),
incidents AS (
    SELECT s.source, s.key, s.title, s.service, s.severity, s.risk_ref,
           coalesce(s.started_at, s.created_at)::TIMESTAMP::DATE AS started_day
    FROM snap s, p
    WHERE s.kind = 'incident'
      AND coalesce(s.started_at, s.created_at)::TIMESTAMP::DATE > p.as_of - p.days
      AND (p.service IS NULL OR s.service = p.service)
)
SELECT i.key AS incident, i.title, i.service, i.severity, i.started_day, i.risk_ref AS risk,
       a.key AS item, a.title AS item_title, a.lifecycle, a.status, a.owner, a.priority, a.target_date
FROM incidents i
LEFT JOIN snap a ON a.kind = 'action_item' AND a.source = i.source AND a.incident_ref = i.key
ORDER BY i.started_day DESC, i.key, i.source, a.key
