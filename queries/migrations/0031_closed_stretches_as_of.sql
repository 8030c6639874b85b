-- 0031_closed_stretches_as_of: the closed stretches of an action item as
-- recorded by the end of the day asked for, not as recorded since.
-- Never edit once landed: add a new file.
--
-- Why (a wrong answer): closed_stretches() read every version ever
-- recorded. A report for a past day changed when a later sync recorded
-- something about an earlier moment. An item closed on 02-01, then
-- reopened and closed again as declined on 03-30, which the sync saw with
-- the item's update of 04-03: asked for 03-31 after that sync, trends
-- flow counted a close and a reopening in March that nothing recorded by
-- 03-31 showed, and repeats called an incident of 03-31 a repeat after a
-- decline where, by 03-31, the item stood done since 02-01. Every other
-- history read of the reports (items_as_of, target_moves, item_risks)
-- already stops at the day's end.
--
-- closed_stretches(as_of): 0029's stretches over the versions that began
-- before the end of as_of; a version still in force then has no end yet
-- (its valid_to lies after the day). The same rules otherwise: closed
-- (closed_at, else the version's start), reopened (NULL while it lasts)
-- and lifecycle (of its last version: done, declined, duplicate);
-- consecutive closed versions with one close time are one stretch;
-- versions superseded at once never count (0016); a stretch ends when the
-- next, open, version begins or, at the latest, when the item's next
-- stretch begins. Its readers are repeat_incidents (below, 0029's text
-- calling it with as_of), trends flow and trends concentration.
DROP MACRO TABLE closed_stretches;
CREATE MACRO closed_stretches(as_of) AS TABLE
WITH closed_groups AS (
    SELECT h.source, h.key, coalesce(h.closed_at, h.valid_from) AS closed,
           CASE WHEN count(*) FILTER (WHERE h.valid_to < (as_of::DATE + 1)::TIMESTAMP::TIMESTAMPTZ) = count(*)
                THEN max(h.valid_to) END AS reopened,
           arg_max(item_lifecycle(h.state, h.status), h.valid_from) AS lifecycle
    FROM item_history h
    WHERE h.kind = 'action_item' AND h.state = 'closed'
      AND h.valid_from < (as_of::DATE + 1)::TIMESTAMP::TIMESTAMPTZ
      AND (h.valid_to IS NULL OR h.valid_to > h.valid_from)
    GROUP BY h.source, h.key, coalesce(h.closed_at, h.valid_from)
),
-- The items with a stretch that ended: only they can have two, and only
-- their stretches are ordered.
reclosed AS (
    SELECT DISTINCT source, key FROM closed_groups WHERE reopened IS NOT NULL
),
closed_runs AS (
    SELECT g.* FROM closed_groups g ANTI JOIN reclosed r ON r.source = g.source AND r.key = g.key
    UNION ALL
    SELECT source, key, closed,
           least(reopened, lead(closed) OVER (PARTITION BY source, key ORDER BY closed)) AS reopened,
           lifecycle
    FROM closed_groups g SEMI JOIN reclosed r ON r.source = g.source AND r.key = g.key
)
SELECT * FROM closed_runs;

-- repeat_incidents(as_of, service_filter, lookback_days): 0029's text with
-- the stretches as recorded by the end of as_of.
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
-- Each earlier item as it stood when the incident started: in a closed
-- stretch then (closed at or before, not yet reopened), or open.
states AS (
    SELECT pr.*, coalesce(r.lifecycle, 'open') AS lifecycle
    FROM pairs pr
    LEFT JOIN closed_stretches(as_of) r ON r.source = pr.source AND r.key = pr.key
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
