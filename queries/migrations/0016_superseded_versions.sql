-- 0016_superseded_versions: a version that was never in force is ignored,
-- and every "latest version" pick has a total order. Never edit once
-- landed: add a new file.
--
-- Why: ingest opens a new version of an item whenever its normalised
-- content changes, from the tracker's updated_at. When the content changes
-- but updated_at does not (a change of recur's rules or of recur itself,
-- e.g. [sources] declined_resolutions, read on the next full sync; or two
-- tracker edits within one second, the resolution of its timestamps), the
-- new version starts at the same instant as the one it replaces, which is
-- closed there: a version with valid_to = valid_from, in force for no
-- time at all. Three macros read it as if it had been:
--   * items_as_of, for a day before an item's first recorded version,
--     stands the first version in (valid_from = history_from): both
--     versions matched, and the item was counted twice;
--   * repeat_incidents took an earlier item's lifecycle from its latest
--     closed version by valid_from alone, a tie between the two: done or
--     declined by chance, so a repeat's class changed between runs;
--   * target_moves ordered versions by valid_from alone: a superseded
--     target date counted (or not, by chance) as a deferral, and the first
--     and current target could swap;
--   * tracked_since could date an item's entry into the tracked backlog
--     from a tracked version superseded at once.
-- A superseded version stays in item_history (it records what recur
-- believed and when: recorded_at); the readers skip it. Among the versions
-- left, valid_from is unique per item (two versions starting together
-- means the first was superseded), so ordering by it is total again.
-- (Ordering by (valid_from, recorded_at) instead cost 150 ms more over
-- 10M history rows, for no other case.)

-- items_as_of(as_of DATE): as in 0009; the first version standing in for
-- an item first recorded after the day is the one in force from then.
CREATE OR REPLACE MACRO items_as_of(as_of) AS TABLE
WITH p AS (
    SELECT as_of::DATE AS as_of, (as_of::DATE + 1)::TIMESTAMP::TIMESTAMPTZ AS t_end
),
v AS (
    -- The version in force at the end of the day.
    SELECT h.*, true AS from_history
    FROM item_history h, p
    WHERE h.valid_from < p.t_end AND (h.valid_to IS NULL OR h.valid_to >= p.t_end)
    UNION ALL
    -- Items that existed then but were first recorded later: their first
    -- version stands in.
    SELECT h.*, false AS from_history
    FROM items i, p, item_history h
    WHERE i.history_from >= p.t_end AND i.created_at < p.t_end
      AND h.source = i.source AND h.key = i.key AND h.valid_from = i.history_from
      AND (h.valid_to IS NULL OR h.valid_to > h.valid_from)
),
judged AS (
    SELECT v.*,
           CASE WHEN v.from_history OR v.state = 'open' THEN v.state
                WHEN v.closed_at IS NOT NULL AND v.closed_at < p.t_end THEN 'closed'
                ELSE 'open' END AS state_then,
           p.as_of
    FROM v, p
)
SELECT j.* EXCLUDE (state, status, closed_at, incident_ref, risk_ref, state_then),
       j.state_then AS state,
       CASE WHEN j.state_then = j.state THEN j.status END AS status,
       CASE WHEN j.state_then = 'closed' THEN coalesce(j.closed_at, j.valid_from) END AS closed_at,
       item_lifecycle(j.state_then, CASE WHEN j.state_then = j.state THEN j.status END) AS lifecycle,
       priority_level(j.priority) AS level,
       resolve_ref(j.container, j.incident_ref) AS incident_ref,
       resolve_ref(j.container, j.risk_ref) AS risk_ref,
       j.as_of - j.created_at::TIMESTAMP::DATE AS age_days
FROM judged j;


-- repeat_incidents(as_of, service, lookback_days): as in 0009; closed
-- stretches skip superseded versions, so the lifecycle of a stretch is its
-- latest version's, one version.
CREATE OR REPLACE MACRO repeat_incidents(as_of, service_filter, lookback_days) AS TABLE
WITH p AS (
    SELECT (as_of::DATE + 1)::TIMESTAMP::TIMESTAMPTZ AS t_end, service_filter::VARCHAR AS service,
           lookback_days::BIGINT AS lookback
),
snap AS MATERIALIZED (
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

-- target_moves(as_of): as in 0012, over the versions that were in force.
CREATE OR REPLACE MACRO target_moves(as_of) AS TABLE
WITH v AS (
    SELECT source, key, valid_from, target_date,
           lag(target_date) OVER (PARTITION BY source, key ORDER BY valid_from) AS prev
    FROM item_history
    WHERE kind = 'action_item' AND target_date IS NOT NULL
      AND valid_from < (as_of::DATE + 1)::TIMESTAMP::TIMESTAMPTZ
      AND (valid_to IS NULL OR valid_to > valid_from)
)
SELECT source, key,
       count(*) FILTER (WHERE target_date > prev) AS moves,
       coalesce(sum(target_date - prev) FILTER (WHERE target_date > prev), 0) AS slip_days,
       arg_min(target_date, valid_from) AS first_target,
       arg_max(target_date, valid_from) AS last_target
FROM v
GROUP BY source, key;

-- tracked_since(): as in 0013; the first tracked version is one that was
-- in force (a tracked version superseded at once by an untracked one never
-- put the item in the tracked backlog).
CREATE OR REPLACE MACRO tracked_since() AS TABLE
WITH firsts AS (
    SELECT source, key, min(valid_from) AS first_version,
           min(valid_from) FILTER (WHERE tracking = 'tracked'
                                   AND (valid_to IS NULL OR valid_to > valid_from)) AS first_tracked,
           any_value(created_at) AS created_at
    FROM item_history
    GROUP BY source, key
)
SELECT source, key,
       CASE WHEN first_tracked IS NULL THEN NULL
            WHEN first_tracked = first_version THEN created_at
            ELSE first_tracked END AS tracked_since
FROM firsts;

-- For SQL written by people and other tools against item_history.
COMMENT ON COLUMN item_history.valid_to IS 'When the next version began; NULL for the current one. Equal to valid_from for a version superseded at once (the content changed but the tracker''s updated_at did not, e.g. a rule change re-read on a full sync): never in force, skip it with valid_to IS NULL OR valid_to > valid_from (TIMESTAMPTZ).';
