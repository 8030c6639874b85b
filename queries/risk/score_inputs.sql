-- risk/score_inputs: every tracked risk with what `recur score` needs: its fields, its linked incidents (observed-frequency blend), its linked action items, and since when its scoring fields stand, all as they stood at the run's time.
-- Parameters: $1 = the run's time (TIMESTAMPTZ, RFC 3339 text): the backlog is read as of the end of its UTC day (items_as_of), so a run for a past month end (recur score --backfill) scores the registry as it stood then; incidents started between the risk's creation and $1 count towards the blend.
-- Output columns: source, key, title, state, status, active, service, owner, last_reviewed_at, created_at, impact, scope, likelihood, ttd_minutes, ttr_minutes, users_pct, occurrences_per_year, days_between_failures, slo, span_years, linked_incidents, incidents_in_window, open_action_items, done_action_items, closed_action_items, last_action_item_closed_at, estimate_changed_at.
-- (TIMESTAMPTZ values are cast to TIMESTAMP, i.e. UTC, before date arithmetic: the bundled DuckDB has no ICU extension.)
WITH snap AS (
    SELECT * FROM items_as_of(CAST(CAST($1::TIMESTAMPTZ AS TIMESTAMP) AS DATE)) WHERE tracking = 'tracked'
),
risk AS (
    SELECT * FROM snap WHERE kind = 'risk'
),
-- A reference names one risk: when two sources hold the key, the referring
-- item's own source wins.
incident_link AS (
    SELECT r.source, r.key, coalesce(i.started_at, i.created_at) AS started_at
    FROM snap i JOIN risk r ON r.key = i.risk_ref
    WHERE i.kind = 'incident'
    QUALIFY row_number() OVER (PARTITION BY i.source, i.key ORDER BY (r.source = i.source) DESC, r.source) = 1
),
incident_counts AS (
    SELECT l.source, l.key, count(*) AS linked_incidents,
           count(*) FILTER (WHERE l.started_at >= r.created_at AND l.started_at <= $1::TIMESTAMPTZ) AS incidents_in_window
    FROM incident_link l JOIN risk r USING (source, key)
    GROUP BY ALL
),
-- An action item reduces the risk it links, else the risk of the incident
-- it follows up (item → incident → risk).
action_ref AS (
    SELECT a.source, a.key, a.state, a.lifecycle, a.closed_at,
           coalesce(a.risk_ref, i.risk_ref) AS risk_ref
    FROM snap a
    LEFT JOIN snap i ON i.kind = 'incident' AND i.source = a.source AND i.key = a.incident_ref
    WHERE a.kind = 'action_item'
),
action_link AS (
    SELECT r.source, r.key, a.state, a.lifecycle, a.closed_at
    FROM action_ref a JOIN risk r ON r.key = a.risk_ref
    QUALIFY row_number() OVER (PARTITION BY a.source, a.key ORDER BY (r.source = a.source) DESC, r.source) = 1
),
action_counts AS (
    SELECT source, key,
           count(*) FILTER (WHERE state = 'open') AS open_action_items,
           count(*) FILTER (WHERE lifecycle = 'done') AS done_action_items,
           count(*) FILTER (WHERE state = 'closed') AS closed_action_items,
           max(closed_at) FILTER (WHERE state = 'closed') AS last_action_item_closed_at
    FROM action_link
    GROUP BY ALL
),
-- Versions (up to the run) whose scoring fields differ from the ones in
-- force; the estimate stands since the first version after the last such
-- one (or since the risk's creation when no recorded version differs).
versions AS (
    SELECT h.source, h.key, h.valid_from,
           (h.impact IS DISTINCT FROM r.impact OR h.scope IS DISTINCT FROM r.scope
            OR h.likelihood IS DISTINCT FROM r.likelihood OR h.ttd_minutes IS DISTINCT FROM r.ttd_minutes
            OR h.ttr_minutes IS DISTINCT FROM r.ttr_minutes OR h.users_pct IS DISTINCT FROM r.users_pct
            OR h.occurrences_per_year IS DISTINCT FROM r.occurrences_per_year
            OR h.days_between_failures IS DISTINCT FROM r.days_between_failures
            OR h.slo IS DISTINCT FROM r.slo) AS differs
    FROM item_history h JOIN risk r USING (source, key)
    WHERE h.valid_from <= $1::TIMESTAMPTZ
      AND (h.valid_to IS NULL OR h.valid_to > h.valid_from)  -- never superseded at once (0016)
),
last_difference AS (
    SELECT source, key, max(valid_from) AS differed_at
    FROM versions WHERE differs
    GROUP BY ALL
),
estimate AS (
    SELECT v.source, v.key, min(v.valid_from) AS estimate_changed_at
    FROM versions v JOIN last_difference d USING (source, key)
    WHERE NOT v.differs AND v.valid_from > d.differed_at
    GROUP BY ALL
)
SELECT r.source, r.key, r.title, r.state, r.status, risk_active(r.state, r.status) AS active,
       r.service, r.owner,
       reviewed_on(r.source, r.key, r.last_reviewed_at, CAST(CAST($1::TIMESTAMPTZ AS TIMESTAMP) AS DATE)) AS last_reviewed_at,
       r.created_at,
       r.impact, r.scope, r.likelihood, r.ttd_minutes, r.ttr_minutes, r.users_pct,
       r.occurrences_per_year, r.days_between_failures, r.slo,
       CAST(greatest(date_diff('second', CAST(r.created_at AS TIMESTAMP), CAST($1::TIMESTAMPTZ AS TIMESTAMP)), 0) AS DOUBLE) / 31557600 AS span_years,
       coalesce(ic.linked_incidents, 0) AS linked_incidents,
       coalesce(ic.incidents_in_window, 0) AS incidents_in_window,
       coalesce(ac.open_action_items, 0) AS open_action_items,
       coalesce(ac.done_action_items, 0) AS done_action_items,
       coalesce(ac.closed_action_items, 0) AS closed_action_items,
       ac.last_action_item_closed_at,
       CASE WHEN d.differed_at IS NULL THEN r.created_at
            ELSE coalesce(e.estimate_changed_at, r.valid_from) END AS estimate_changed_at
FROM risk r
LEFT JOIN incident_counts ic USING (source, key)
LEFT JOIN action_counts ac USING (source, key)
LEFT JOIN last_difference d USING (source, key)
LEFT JOIN estimate e USING (source, key)
ORDER BY r.source, r.key;
