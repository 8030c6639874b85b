-- 0002_views: the public SQL surface (README "SQL surface"). Views only, so
-- they can be replaced by later migrations without touching data.

-- References written as `#12` are resolved against the item's own repository.
CREATE VIEW item_refs AS
SELECT source, key,
       CASE WHEN incident_ref LIKE '#%' THEN container || incident_ref ELSE incident_ref END AS incident_ref,
       CASE WHEN risk_ref LIKE '#%' THEN container || risk_ref ELSE risk_ref END AS risk_ref
FROM items;

CREATE VIEW action_items AS
SELECT i.source, i.key, i.url, i.title, i.body, i.state, i.status, i.tracking, i.labels,
       i.owner, i.priority, i.service, i.team, i.created_at, i.updated_at, i.closed_at,
       r.incident_ref, r.risk_ref, i.item_type AS type, i.effect, i.target_date,
       i.risk_rationale, i.expected_outcome, i.evidence, i.blocked_by, i.effort, i.theme
FROM items i JOIN item_refs r USING (source, key)
WHERE i.kind = 'action_item';

CREATE VIEW incidents AS
SELECT i.source, i.key, i.url, i.title, i.body, i.state, i.status, i.tracking, i.labels,
       i.owner, i.priority, i.service, i.team, i.created_at, i.updated_at, i.closed_at,
       i.started_at, i.resolved_at, i.severity, r.risk_ref, i.users_pct
FROM items i JOIN item_refs r USING (source, key)
WHERE i.kind = 'incident';

CREATE VIEW risks AS
SELECT i.source, i.key, i.url, i.title, i.body, i.state, i.status, i.tracking, i.labels,
       i.owner, i.priority, i.service, i.team, i.created_at, i.updated_at, i.closed_at,
       i.impact, i.scope, i.likelihood, i.ttd_minutes, i.ttr_minutes, i.users_pct,
       i.occurrences_per_year, i.days_between_failures, i.slo, i.last_reviewed_at
FROM items i
WHERE i.kind = 'risk';

CREATE VIEW sync_runs AS
SELECT source, started_at, finished_at, status, api_requests, not_modified, items_upserted,
       id AS run_id, full_sync, reconciled, items_seen, pull_requests, malformed, retries, waited_ms, error
FROM sync_run_log;

-- Items with values recur could not parse: the raw text is kept, the item is not dropped.
CREATE VIEW parse_problems AS
SELECT i.source, i.key, i.kind, p.field, p.raw, p.reason
FROM items i, LATERAL (
    SELECT unnest(from_json(i.problems, '[{"field":"VARCHAR","raw":"VARCHAR","reason":"VARCHAR"}]'), recursive := true)
) p
WHERE i.problems <> '[]';
