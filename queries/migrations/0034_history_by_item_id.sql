-- 0034_history_by_item_id: the macros that group or join the whole
-- history per item do it on item_id (0033), one integer, instead of
-- (source, key), two strings.
-- Never edit once landed: add a new file.
--
-- Why: hashing and comparing the two strings over 10M versions was most
-- of the cost of the closed stretches (repeats, monthly repeat_linked,
-- quarterly chronic, trends flow and concentration), of tracked_since
-- (trends) and of target_moves (deferred, chronic). The same rules and
-- the same rows; each macro's text below is its last one's with the item
-- read by its number, and item_id added as the last output column so that
-- callers join on it too. Figures: the commit that lands this file.

-- closed_stretches(as_of): 0031's.
CREATE OR REPLACE MACRO closed_stretches(as_of) AS TABLE
WITH closed_groups AS (
    SELECT h.item_id, any_value(h.source) AS source, any_value(h.key) AS key,
           coalesce(h.closed_at, h.valid_from) AS closed,
           CASE WHEN count(*) FILTER (WHERE h.valid_to < (as_of::DATE + 1)::TIMESTAMP::TIMESTAMPTZ) = count(*)
                THEN max(h.valid_to) END AS reopened,
           arg_max(item_lifecycle(h.state, h.status), h.valid_from) AS lifecycle
    FROM item_history h
    WHERE h.kind = 'action_item' AND h.state = 'closed'
      AND h.valid_from < (as_of::DATE + 1)::TIMESTAMP::TIMESTAMPTZ
      AND (h.valid_to IS NULL OR h.valid_to > h.valid_from)
    GROUP BY h.item_id, coalesce(h.closed_at, h.valid_from)
),
-- The items with a stretch that ended: only they can have two, and only
-- their stretches are ordered.
reclosed AS (
    SELECT DISTINCT item_id FROM closed_groups WHERE reopened IS NOT NULL
),
closed_runs AS (
    SELECT g.* FROM closed_groups g ANTI JOIN reclosed r ON r.item_id = g.item_id
    UNION ALL
    SELECT item_id, source, key, closed,
           least(reopened, lead(closed) OVER (PARTITION BY item_id ORDER BY closed)) AS reopened,
           lifecycle
    FROM closed_groups g SEMI JOIN reclosed r ON r.item_id = g.item_id
)
SELECT source, key, closed, reopened, lifecycle, item_id FROM closed_runs;

-- tracked_since(): 0026's.
CREATE OR REPLACE MACRO tracked_since() AS TABLE
WITH late AS (
    SELECT DISTINCT item_id FROM item_history
    WHERE tracking <> 'tracked' OR valid_to <= valid_from
),
firsts AS (
    SELECT h.item_id, any_value(h.source) AS source, any_value(h.key) AS key,
           min(h.valid_from) AS first_version,
           min(h.valid_from) FILTER (WHERE h.tracking = 'tracked'
                                     AND (h.valid_to IS NULL OR h.valid_to > h.valid_from)) AS first_tracked,
           any_value(h.created_at) AS created_at
    FROM item_history h SEMI JOIN late l ON l.item_id = h.item_id
    GROUP BY h.item_id
)
SELECT source, key,
       CASE WHEN first_tracked IS NULL THEN NULL
            WHEN first_tracked = first_version THEN created_at
            ELSE first_tracked END AS tracked_since,
       item_id
FROM firsts
UNION ALL
SELECT o.source, o.key, o.created_at AS tracked_since, o.item_id
FROM history_open o ANTI JOIN late l ON l.item_id = o.item_id;

-- target_moves(as_of): 0028's.
CREATE OR REPLACE MACRO target_moves(as_of) AS TABLE
SELECT any_value(source) AS source, any_value(key) AS key,
       count(*) FILTER (WHERE target_date > prior_target) AS moves,
       coalesce(sum(target_date - prior_target) FILTER (WHERE target_date > prior_target), 0) AS slip_days,
       arg_min(target_date, valid_from) AS first_target,
       arg_max(target_date, valid_from) AS last_target,
       coalesce(len(list_distinct(list(target_date) FILTER (WHERE target_date < as_of::DATE))), 0) AS past_targets,
       item_id
FROM item_history
WHERE kind = 'action_item' AND target_date IS NOT NULL
  AND target_date IS DISTINCT FROM prior_target
  AND valid_from < (as_of::DATE + 1)::TIMESTAMP::TIMESTAMPTZ
  AND (valid_to IS NULL OR valid_to > valid_from)
GROUP BY item_id;

-- repeat_incidents(as_of, service_filter, lookback_days): 0031's, the
-- earlier items' stretches joined on item_id.
CREATE OR REPLACE MACRO repeat_incidents(as_of, service_filter, lookback_days) AS TABLE
WITH p AS (
    SELECT (as_of::DATE + 1)::TIMESTAMP::TIMESTAMPTZ AS t_end, service_filter::VARCHAR AS service,
           lookback_days::BIGINT AS lookback
),
snap AS NOT MATERIALIZED (
    SELECT source, key, kind, title, service, risk_ref, incident_ref, theme, item_type, started_at, created_at, item_id
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
    SELECT a.source, a.key, a.item_id, a.created_at AS created, a.service,
           nullif(lower(trim(a.theme)), '') AS theme, nullif(lower(trim(a.item_type)), '') AS itype,
           coalesce(a.risk_ref, ai.risk_ref) AS risk_ref
    FROM snap a
    LEFT JOIN snap ai ON ai.kind = 'incident' AND ai.source = a.source AND ai.key = a.incident_ref
    WHERE a.kind = 'action_item'
),
pairs AS (
    SELECT inc.source AS inc_source, inc.key AS inc_key, inc.started, m.source, m.key, m.item_id, m.created
    FROM inc JOIN members m ON m.source = inc.source AND m.risk_ref = inc.risk_ref
    WHERE inc.risk_ref IS NOT NULL AND m.created < inc.started
    UNION ALL
    -- Same service and theme, or same service and type: two equi-joins
    -- (an OR in the join would compare every item of the service).
    SELECT DISTINCT * FROM (
        SELECT inc.source, inc.key, inc.started, m.source, m.key, m.item_id, m.created
        FROM inc JOIN members m ON m.service = inc.service AND m.theme = inc.theme, p
        WHERE inc.risk_ref IS NULL AND m.created < inc.started
          AND m.created::TIMESTAMP >= inc.started::TIMESTAMP - to_days(p.lookback::INTEGER)
        UNION ALL
        SELECT inc.source, inc.key, inc.started, m.source, m.key, m.item_id, m.created
        FROM inc JOIN members m ON m.service = inc.service AND m.itype = inc.itype, p
        WHERE inc.risk_ref IS NULL AND m.created < inc.started
          AND m.created::TIMESTAMP >= inc.started::TIMESTAMP - to_days(p.lookback::INTEGER)
    )
),
-- Each earlier item as it stood when the incident started: in a closed
-- stretch then (closed at or before, not yet reopened), or open.
states AS (
    SELECT pr.*, coalesce(r.lifecycle, 'open') AS lifecycle
    FROM pairs pr
    LEFT JOIN closed_stretches(as_of) r ON r.item_id = pr.item_id
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

-- backlog_events(as_of, service_filter): 0032's, joined on item_id.
CREATE OR REPLACE MACRO backlog_events(as_of, service_filter) AS TABLE
WITH scope AS (
    SELECT a.source, a.key, a.item_id, a.service, coalesce(t.tracked_since, a.created_at)::TIMESTAMP AS created
    FROM items_as_of(as_of) a
    LEFT JOIN tracked_since() t ON t.item_id = a.item_id
    WHERE a.kind = 'action_item' AND a.tracking = 'tracked'
      AND (service_filter::VARCHAR IS NULL OR a.service = service_filter::VARCHAR)
),
stretches AS (
    SELECT s.source, s.key, s.service, r.closed::TIMESTAMP AS closed, r.reopened::TIMESTAMP AS reopened
    FROM closed_stretches(as_of) r JOIN scope s ON s.item_id = r.item_id
)
SELECT source, key, service, created AS t, 'opened' AS kind FROM scope
UNION ALL
SELECT source, key, service, closed, 'closed' FROM stretches
UNION ALL
SELECT source, key, service, reopened, 'reopened' FROM stretches WHERE reopened IS NOT NULL;
