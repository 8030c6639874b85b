-- 0022_repeat_incidents_inlined: repeat_incidents reads the backlog as of
-- the day where each of its three uses reads it, instead of materialising
-- it once.
-- Never edit once landed: add a new file.
--
-- Why: 0016 (as 0009 before it) marked `snap` MATERIALIZED: read three
-- times (incidents, action items, their incidents), it was copied once,
-- eleven columns of 1M rows. Since 0017 the as-of read filters the
-- history inside the scan, and reading it where it is used, each use with
-- its own columns and filters, costs less than the copy. The same rows:
-- materialising a CTE or not does not change what a deterministic query
-- answers. Measured over 1M items and 10M history rows (python duckdb, 2
-- threads, 512MB, the two texts alternating, rows equal by hash): repeats
-- 1.89-2.26 -> 1.54-1.55 s, monthly repeat_linked 2.10-2.19 -> 1.71-1.77 s,
-- quarterly chronic 2.58-2.76 -> 2.25-2.26 s.
--
-- repeat_incidents(as_of, service_filter, lookback_days): 0016's text with
-- the one hint changed.
CREATE OR REPLACE MACRO repeat_incidents(as_of, service_filter, lookback_days) AS TABLE
WITH p AS (
    SELECT (as_of::DATE + 1)::TIMESTAMP::TIMESTAMPTZ AS t_end, service_filter::VARCHAR AS service,
           lookback_days::BIGINT AS lookback
),
snap AS NOT MATERIALIZED (
    SELECT source, key, kind, title, service, risk_ref, incident_ref, theme, item_type, started_at, created_at
    FROM items_as_of(as_of) WHERE tracking = 'tracked' AND kind IN ('incident', 'action_item')
),
inc AS (
    SELECT i.source, i.key, i.title, i.service, i.risk_ref,
           nullif(lower(trim(i.theme)), '') AS theme, nullif(lower(trim(i.item_type)), '') AS itype,
           coalesce(i.started_at, i.created_at) AS started
    FROM snap i, p
    WHERE i.kind = 'incident' AND coalesce(i.started_at, i.created_at) < p.t_end
      AND (p.service IS NULL OR i.service = p.service)
),
members AS (
    SELECT a.source, a.key, a.created_at AS created, a.service,
           nullif(lower(trim(a.theme)), '') AS theme, nullif(lower(trim(a.item_type)), '') AS itype,
           coalesce(a.risk_ref, ai.risk_ref) AS risk_ref
    FROM snap a
    LEFT JOIN snap ai ON ai.kind = 'incident' AND ai.source = a.source AND ai.key = a.incident_ref
    WHERE a.kind = 'action_item'
),
pairs AS (
    SELECT inc.source AS inc_source, inc.key AS inc_key, inc.started, m.source, m.key, m.created
    FROM inc JOIN members m ON m.source = inc.source AND m.risk_ref = inc.risk_ref
    WHERE inc.risk_ref IS NOT NULL AND m.created < inc.started
    UNION ALL
    -- Same service and theme, or same service and type: two equi-joins
    -- (an OR in the join would compare every item of the service).
    SELECT DISTINCT * FROM (
        SELECT inc.source, inc.key, inc.started, m.source, m.key, m.created
        FROM inc JOIN members m ON m.service = inc.service AND m.theme = inc.theme, p
        WHERE inc.risk_ref IS NULL AND m.created < inc.started
          AND m.created::TIMESTAMP >= inc.started::TIMESTAMP - to_days(p.lookback::INTEGER)
        UNION ALL
        SELECT inc.source, inc.key, inc.started, m.source, m.key, m.created
        FROM inc JOIN members m ON m.service = inc.service AND m.itype = inc.itype, p
        WHERE inc.risk_ref IS NULL AND m.created < inc.started
          AND m.created::TIMESTAMP >= inc.started::TIMESTAMP - to_days(p.lookback::INTEGER)
    )
),
closed_runs AS (
    SELECT h.source, h.key, coalesce(h.closed_at, h.valid_from) AS closed,
           CASE WHEN count(h.valid_to) = count(*) THEN max(h.valid_to) END AS reopened,
           arg_max(item_lifecycle(h.state, h.status), h.valid_from) AS lifecycle
    FROM item_history h
    WHERE h.kind = 'action_item' AND h.state = 'closed'
      AND (h.valid_to IS NULL OR h.valid_to > h.valid_from)
    GROUP BY h.source, h.key, coalesce(h.closed_at, h.valid_from)
),
-- Each earlier item as it stood when the incident started: in a closed
-- stretch then (closed at or before, not yet reopened), or open.
states AS (
    SELECT pr.*, coalesce(r.lifecycle, 'open') AS lifecycle
    FROM pairs pr
    LEFT JOIN closed_runs r ON r.source = pr.source AND r.key = pr.key
         AND r.closed <= pr.started AND (r.reopened IS NULL OR r.reopened > pr.started)
),
counted AS (
    SELECT inc_source, inc_key,
           count(*) AS prior_items,
           count(*) FILTER (WHERE lifecycle = 'open') AS prior_open,
           count(*) FILTER (WHERE lifecycle = 'done') AS prior_done,
           count(*) FILTER (WHERE lifecycle IN ('declined', 'duplicate')) AS prior_declined,
           list(key ORDER BY created, key) AS prior_keys,
           list(key ORDER BY created, key) FILTER (WHERE lifecycle = 'open') AS open_keys,
           list(key ORDER BY created, key) FILTER (WHERE lifecycle = 'done') AS done_keys
    FROM states
    GROUP BY ALL
)
SELECT inc.source, inc.key, inc.title, inc.service, inc.started::TIMESTAMP AS started,
       inc.started::TIMESTAMP::DATE AS started_day,
       CASE WHEN inc.risk_ref IS NOT NULL THEN 'risk ' || inc.risk_ref
            ELSE 'service ' || inc.service || concat_ws(' or ', ', theme ' || inc.theme, 'type ' || inc.itype) END AS fm,
       c.prior_items, c.prior_open, c.prior_done, c.prior_declined,
       c.prior_keys, coalesce(c.open_keys, []) AS open_keys, coalesce(c.done_keys, []) AS done_keys,
       CASE WHEN c.prior_open > 0 THEN 'repeat_while_open'
            WHEN c.prior_done > 0 THEN 'repeat_despite_completion'
            ELSE 'repeat_after_decline' END AS class
FROM counted c
JOIN inc ON inc.source = c.inc_source AND inc.key = c.inc_key;
