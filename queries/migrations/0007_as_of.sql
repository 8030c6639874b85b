-- 0007_as_of: one definition of each state, and the backlog as it stood on
-- any past day. Every report reads items through items_as_of(D) (the
-- version of each item in force at the end of D, UTC) and judges it with
-- the macros below, so "open", "done", "overdue" and "active" mean the
-- same thing everywhere. Never edit once landed: add a new file.

-- What a person wrote as the status (Status section or `status:` label),
-- beside `status`, which the tracker's state decides (closure wins).
ALTER TABLE items ADD COLUMN stated_status VARCHAR;
ALTER TABLE ingest_staging ADD COLUMN stated_status VARCHAR;

-- History keeps every field a report reads, so a past day is answered from
-- the version of that day, not from today's row.
ALTER TABLE item_history ADD COLUMN stated_status VARCHAR;
ALTER TABLE item_history ADD COLUMN tracker_status VARCHAR;
ALTER TABLE item_history ADD COLUMN issue_type VARCHAR;
ALTER TABLE item_history ADD COLUMN assignee VARCHAR;
ALTER TABLE item_history ADD COLUMN risk_rationale VARCHAR;
ALTER TABLE item_history ADD COLUMN expected_outcome VARCHAR;
ALTER TABLE item_history ADD COLUMN effort VARCHAR;
ALTER TABLE item_history ADD COLUMN theme VARCHAR;
ALTER TABLE item_history ADD COLUMN severity VARCHAR;
ALTER TABLE item_history ADD COLUMN started_at TIMESTAMPTZ;
ALTER TABLE item_history ADD COLUMN resolved_at TIMESTAMPTZ;
ALTER TABLE item_history ADD COLUMN moved_to VARCHAR;

-- Versions recorded before this migration did not keep these fields; the
-- item's current values are the best knowledge there is (every version
-- recorded from now on keeps its own).
UPDATE item_history h
SET tracker_status = i.tracker_status, issue_type = i.issue_type, assignee = i.assignee,
    risk_rationale = i.risk_rationale, expected_outcome = i.expected_outcome, effort = i.effort,
    theme = i.theme, severity = i.severity, started_at = i.started_at, resolved_at = i.resolved_at,
    moved_to = i.moved_to
FROM items i
WHERE i.source = h.source AND i.key = h.key;

-- Closure wins over a status label (recur-core's normalize does this for
-- every item synced from now on; this fixes the rows already stored). A
-- closed row's status comes from its closing reason; a status that said
-- otherwise is kept as stated_status. An open row whose status said
-- "finished" keeps that as stated_status and gets the open status it would
-- have had without the label.
-- The closing reason's status with the default reason lists of
-- recur-core's normalize (a helper of this migration only).
CREATE TEMP MACRO closed_status_of(reason) AS
    CASE WHEN regexp_replace(lower(replace(coalesce(reason, ''), '’', '''')), '[\s_-]+', ' ', 'g')
              IN ('not planned', 'won''t do', 'won''t fix', 'wont fix', 'wontfix', 'declined', 'rejected',
                  'cannot reproduce', 'can''t reproduce', 'obsolete') THEN 'declined'
         WHEN lower(reason) = 'duplicate' THEN 'duplicate'
         ELSE 'done' END;

UPDATE items SET
    stated_status = CASE WHEN status NOT IN ('closed', closed_status_of(state_reason)) THEN status END,
    status = closed_status_of(state_reason)
WHERE state = 'closed';

UPDATE item_history SET
    stated_status = CASE WHEN status NOT IN ('closed', closed_status_of(state_reason)) THEN status END,
    status = closed_status_of(state_reason)
WHERE state = 'closed';

DROP MACRO closed_status_of;

UPDATE items SET
    stated_status = CASE WHEN status IN ('resolved', 'fixed', 'completed', 'complete') THEN 'done' ELSE status END,
    status = CASE WHEN nullif(trim(tracker_status), '') IS NOT NULL
                      THEN regexp_replace(lower(trim(tracker_status)), '[\s_-]+', ' ', 'g')
                  WHEN nullif(trim(blocked_by), '') IS NOT NULL THEN 'blocked'
                  WHEN nullif(trim(owner), '') IS NOT NULL THEN 'accepted'
                  ELSE 'proposed' END
WHERE state = 'open' AND status IN ('done', 'declined', 'duplicate', 'closed', 'resolved', 'fixed', 'completed', 'complete');

UPDATE item_history SET
    stated_status = CASE WHEN status IN ('resolved', 'fixed', 'completed', 'complete') THEN 'done' ELSE status END,
    status = CASE WHEN nullif(trim(tracker_status), '') IS NOT NULL
                      THEN regexp_replace(lower(trim(tracker_status)), '[\s_-]+', ' ', 'g')
                  WHEN nullif(trim(blocked_by), '') IS NOT NULL THEN 'blocked'
                  WHEN nullif(trim(owner), '') IS NOT NULL THEN 'accepted'
                  ELSE 'proposed' END
WHERE state = 'open' AND status IN ('done', 'declined', 'duplicate', 'closed', 'resolved', 'fixed', 'completed', 'complete');

-- ------------------------------------------------------------ definitions

-- item_lifecycle(state, status): open | done | declined | duplicate. The
-- tracker's state decides open or closed; a closed item is declined or a
-- duplicate only when its closing reason says so (status, which recur-core
-- derives from the reason alone), else done.
CREATE MACRO item_lifecycle(state, status) AS
    CASE WHEN state = 'open' THEN 'open'
         WHEN status IN ('declined', 'duplicate') THEN status
         ELSE 'done' END;

-- status_mismatch(state, status, stated_status): a status a person wrote
-- that contradicts the tracker: an open item labelled finished, or a closed
-- one labelled with an open status or with another closing reason.
CREATE MACRO status_mismatch(state, status, stated_status) AS
    stated_status IS NOT NULL
    AND CASE WHEN state = 'open' THEN stated_status IN ('done', 'declined', 'duplicate', 'closed')
             ELSE stated_status NOT IN ('closed', item_lifecycle(state, status)) END;

-- priority_level(priority): critical | high | medium | low (P0–P3 read as
-- those), NULL for anything else.
CREATE MACRO priority_level(priority) AS
    CASE lower(trim(priority))
        WHEN 'critical' THEN 'critical' WHEN 'p0' THEN 'critical'
        WHEN 'high' THEN 'high' WHEN 'p1' THEN 'high'
        WHEN 'medium' THEN 'medium' WHEN 'p2' THEN 'medium'
        WHEN 'low' THEN 'low' WHEN 'p3' THEN 'low' END;

-- deadline_days(level, critical, high, medium, low): the days an item of
-- that priority level may stay open without a target date; items without
-- a priority get the low deadline.
CREATE MACRO deadline_days(level, d_critical, d_high, d_medium, d_low) AS
    CASE level WHEN 'critical' THEN d_critical WHEN 'high' THEN d_high
               WHEN 'medium' THEN d_medium ELSE d_low END;

-- overdue_on(as_of, created_at, target_date, deadline): past its target
-- date (target_date < as_of), or without one older than the deadline.
CREATE MACRO overdue_on(as_of, created_at, target_date, deadline) AS
    CASE WHEN target_date IS NOT NULL THEN target_date < as_of
         ELSE as_of - created_at::TIMESTAMP::DATE > deadline END;

-- risk_active(state, status): a risk counts in the registry while open and
-- neither retired nor mitigated.
CREATE MACRO risk_active(state, status) AS
    state = 'open' AND coalesce(lower(trim(status)), '') NOT IN ('retired', 'mitigated');

-- resolve_ref(container, ref): `#12` in acme/pay is acme/pay#12.
CREATE MACRO resolve_ref(container, ref) AS
    CASE WHEN ref LIKE '#%' THEN container || ref ELSE ref END;

-- items_as_of(as_of DATE): every item as it stood at the end of as_of
-- (UTC): the version of item_history in force then, with
--   state, closed_at   as of that moment (a closed version without a close
--                      time closed when the version began)
--   lifecycle          item_lifecycle of it
--   level              priority_level(priority)
--   incident_ref, risk_ref  resolved against the item's container
--   activity_at        the last human activity known by then: the item's
--                      activity_at when it is earlier, else the start of the
--                      version in force (recur's own writes never count)
--   age_days           as_of − creation day
--   from_history       false when recur's history does not reach back to
--                      as_of (the item was first synced later): its earliest
--                      version stands in, with the state it must have had
--                      (closed only if it closed by then), status NULL when
--                      that differs from the version's
--   url, number        from the current row (they never change)
-- Items created after as_of are absent. Reports filter tracking and kind.
CREATE MACRO items_as_of(as_of) AS TABLE
WITH p AS (
    SELECT as_of::DATE AS as_of, (as_of::DATE + 1)::TIMESTAMP AS t_end
),
in_force AS (
    SELECT h.*, true AS from_history
    FROM item_history h, p
    WHERE h.valid_from::TIMESTAMP < p.t_end
      AND (h.valid_to IS NULL OR h.valid_to::TIMESTAMP >= p.t_end)
    QUALIFY row_number() OVER (PARTITION BY h.source, h.key ORDER BY h.valid_from DESC) = 1
),
before_history AS (
    SELECT h.*, false AS from_history
    FROM item_history h, p
    WHERE h.created_at::TIMESTAMP < p.t_end
      AND NOT EXISTS (SELECT 1 FROM in_force f WHERE f.source = h.source AND f.key = h.key)
    QUALIFY row_number() OVER (PARTITION BY h.source, h.key ORDER BY h.valid_from) = 1
),
v AS (
    SELECT * FROM in_force
    UNION ALL
    SELECT * FROM before_history
),
judged AS (
    SELECT v.*,
           CASE WHEN v.from_history OR v.state = 'open' THEN v.state
                WHEN v.closed_at IS NOT NULL AND v.closed_at::TIMESTAMP < p.t_end THEN 'closed'
                ELSE 'open' END AS state_then,
           p.as_of, p.t_end
    FROM v, p
)
SELECT j.* EXCLUDE (state, status, closed_at, incident_ref, risk_ref, state_then, t_end),
       j.state_then AS state,
       CASE WHEN j.state_then = j.state THEN j.status END AS status,
       CASE WHEN j.state_then = 'closed' THEN coalesce(j.closed_at, j.valid_from) END AS closed_at,
       item_lifecycle(j.state_then, CASE WHEN j.state_then = j.state THEN j.status END) AS lifecycle,
       priority_level(j.priority) AS level,
       resolve_ref(j.container, j.incident_ref) AS incident_ref,
       resolve_ref(j.container, j.risk_ref) AS risk_ref,
       CASE WHEN NOT j.from_history THEN j.created_at
            WHEN i.activity_at IS NOT NULL AND i.activity_at::TIMESTAMP < j.t_end THEN i.activity_at
            ELSE j.valid_from END AS activity_at,
       j.as_of - j.created_at::TIMESTAMP::DATE AS age_days,
       i.url, i.number
FROM judged j
LEFT JOIN items i ON i.source = j.source AND i.key = j.key;

-- open_action_items(as_of DATE, service VARCHAR or NULL, d_critical, d_high,
-- d_medium, d_low BIGINT days): the tracked action items open at the end of
-- as_of (items_as_of), of one service or all, with
--   deadline  deadline_days of their priority level
--   overdue   overdue_on as of that day
-- The one definition of "open" and "overdue" that aging, monthly,
-- quarterly and the review pack read.
CREATE MACRO open_action_items(as_of, service_filter, d_critical, d_high, d_medium, d_low) AS TABLE
SELECT a.*,
       deadline_days(a.level, d_critical::BIGINT, d_high::BIGINT, d_medium::BIGINT, d_low::BIGINT) AS deadline,
       overdue_on(a.as_of, a.created_at, a.target_date,
                  deadline_days(a.level, d_critical::BIGINT, d_high::BIGINT, d_medium::BIGINT, d_low::BIGINT)) AS overdue
FROM items_as_of(as_of) a
WHERE a.kind = 'action_item' AND a.tracking = 'tracked' AND a.state = 'open'
  AND (service_filter::VARCHAR IS NULL OR a.service = service_filter::VARCHAR);

-- repeat_incidents(as_of DATE, service VARCHAR or NULL, lookback_days
-- BIGINT): tracked incidents started on or before as_of whose failure mode
-- already had tracked action items, as the backlog stood at the end of
-- as_of (items_as_of). Replaces 0006's version. Columns: source, key,
-- title, service, started (TIMESTAMP, UTC), started_day, fm (the failure
-- mode, in words), prior_items, prior_open, prior_done, prior_declined,
-- prior_keys, open_keys, done_keys, declined_keys (earlier items' keys,
-- oldest first) and class.
--
-- Failure mode: the incident's linked risk, (source, key). An action item
-- belongs to the risk it links, else to the risk of the incident it
-- follows up (item → incident → risk). An incident without a linked risk
-- matches the action items of the same service with the same theme or the
-- same type created within lookback_days before it (fm `service S, theme
-- T` / `type Y`); with neither theme nor type it cannot repeat anything.
-- Earlier items: created before the incident started (started_at, else
-- created_at); one created at that very instant is not earlier.
-- Each earlier item's state when the incident started comes from
-- item_history (the version in force at that instant; before its first
-- recorded version, open unless it had closed by then); one closed at
-- that very instant is no longer open.
-- class, first that applies:
--   repeat_while_open          an earlier item was still open
--   repeat_despite_completion  none open, and at least one was done: a
--                              completed fix did not prevent it
--   repeat_after_decline       the earlier items were all declined or
--                              closed as duplicates
CREATE OR REPLACE MACRO repeat_incidents(as_of, service_filter, lookback_days) AS TABLE
WITH p AS (
    SELECT (as_of::DATE + 1)::TIMESTAMP AS t_end, service_filter::VARCHAR AS service,
           lookback_days::BIGINT AS lookback
),
snap AS (
    SELECT * FROM items_as_of(as_of) WHERE tracking = 'tracked'
),
inc AS (
    SELECT i.source, i.key, i.title, i.service, i.risk_ref,
           nullif(lower(trim(i.theme)), '') AS theme, nullif(lower(trim(i.item_type)), '') AS itype,
           coalesce(i.started_at, i.created_at)::TIMESTAMP AS started
    FROM snap i, p
    WHERE i.kind = 'incident'
      AND coalesce(i.started_at, i.created_at)::TIMESTAMP < p.t_end
      AND (p.service IS NULL OR i.service = p.service)
),
members AS (
    SELECT a.source, a.key, a.created_at::TIMESTAMP AS created, a.service,
           nullif(lower(trim(a.theme)), '') AS theme, nullif(lower(trim(a.item_type)), '') AS itype,
           coalesce(a.risk_ref, ai.risk_ref) AS risk_ref
    FROM snap a
    LEFT JOIN snap ai ON ai.kind = 'incident' AND ai.source = a.source AND ai.key = a.incident_ref
    WHERE a.kind = 'action_item'
),
pairs AS (
    SELECT inc.source AS inc_source, inc.key AS inc_key, inc.started,
           'risk ' || inc.risk_ref AS fm, m.source, m.key, m.created
    FROM inc JOIN members m ON m.source = inc.source AND m.risk_ref = inc.risk_ref
    WHERE inc.risk_ref IS NOT NULL AND m.created < inc.started
    UNION ALL
    SELECT inc.source, inc.key, inc.started,
           'service ' || inc.service || concat_ws(' or ', ', theme ' || inc.theme, 'type ' || inc.itype),
           m.source, m.key, m.created
    FROM inc JOIN members m ON m.service = inc.service
         AND (m.theme = inc.theme OR m.itype = inc.itype), p
    WHERE inc.risk_ref IS NULL AND m.created < inc.started
      AND m.created >= inc.started - to_days(p.lookback::INTEGER)
),
-- The version of each earlier item in force when the incident started.
at_start AS (
    SELECT pr.inc_source, pr.inc_key, pr.source, pr.key, pr.created,
           item_lifecycle(h.state, h.status) AS lifecycle
    FROM pairs pr JOIN item_history h ON h.source = pr.source AND h.key = pr.key
    WHERE h.valid_from::TIMESTAMP <= pr.started
      AND (h.valid_to IS NULL OR h.valid_to::TIMESTAMP > pr.started)
    QUALIFY row_number() OVER (PARTITION BY pr.inc_source, pr.inc_key, pr.source, pr.key
                               ORDER BY h.valid_from DESC) = 1
),
-- Before an item's first recorded version: open unless it had closed.
before_history AS (
    SELECT pr.inc_source, pr.inc_key, pr.source, pr.key, pr.created,
           CASE WHEN h.state = 'closed' AND coalesce(h.closed_at, h.valid_from)::TIMESTAMP <= pr.started
                THEN item_lifecycle(h.state, h.status) ELSE 'open' END AS lifecycle
    FROM pairs pr JOIN item_history h ON h.source = pr.source AND h.key = pr.key
    WHERE NOT EXISTS (SELECT 1 FROM at_start s WHERE s.inc_source = pr.inc_source AND s.inc_key = pr.inc_key
                                               AND s.source = pr.source AND s.key = pr.key)
    QUALIFY row_number() OVER (PARTITION BY pr.inc_source, pr.inc_key, pr.source, pr.key
                               ORDER BY h.valid_from) = 1
),
states AS (
    SELECT * FROM at_start UNION ALL SELECT * FROM before_history
),
counted AS (
    SELECT inc_source, inc_key,
           count(*) AS prior_items,
           count(*) FILTER (WHERE lifecycle = 'open') AS prior_open,
           count(*) FILTER (WHERE lifecycle = 'done') AS prior_done,
           count(*) FILTER (WHERE lifecycle IN ('declined', 'duplicate')) AS prior_declined,
           list(key ORDER BY created, key) AS prior_keys,
           list(key ORDER BY created, key) FILTER (WHERE lifecycle = 'open') AS open_keys,
           list(key ORDER BY created, key) FILTER (WHERE lifecycle = 'done') AS done_keys,
           list(key ORDER BY created, key) FILTER (WHERE lifecycle IN ('declined', 'duplicate')) AS declined_keys
    FROM states
    GROUP BY ALL
)
SELECT inc.source, inc.key, inc.title, inc.service, inc.started, inc.started::DATE AS started_day,
       any_value(pr.fm) AS fm,
       c.prior_items, c.prior_open, c.prior_done, c.prior_declined,
       c.prior_keys, coalesce(c.open_keys, []) AS open_keys, coalesce(c.done_keys, []) AS done_keys,
       coalesce(c.declined_keys, []) AS declined_keys,
       CASE WHEN c.prior_open > 0 THEN 'repeat_while_open'
            WHEN c.prior_done > 0 THEN 'repeat_despite_completion'
            ELSE 'repeat_after_decline' END AS class
FROM counted c
JOIN inc ON inc.source = c.inc_source AND inc.key = c.inc_key
JOIN pairs pr ON pr.inc_source = c.inc_source AND pr.inc_key = c.inc_key
GROUP BY ALL;

-- Scores know the risk's service, so the registry can be asked for one.
ALTER TABLE score_history ADD COLUMN service VARCHAR;
UPDATE score_history h SET service = i.service FROM items i WHERE i.source = h.source AND i.key = h.key;

-- score_run_at(t TIMESTAMPTZ or TIMESTAMP in UTC): the scoring run in
-- force at t: the latest run at or before it (ties to the higher run id);
-- NULL before the first.
CREATE MACRO score_run_at(t) AS (
    SELECT run_id FROM score_runs WHERE scored_at::TIMESTAMP <= t::TIMESTAMP
    ORDER BY scored_at DESC, run_id DESC LIMIT 1
);

-- The public views gain the one definition of each state: lifecycle (open,
-- done, declined, duplicate) and the status a person wrote.
CREATE OR REPLACE VIEW action_items AS
SELECT i.source, i.key, i.url, i.title, i.body, i.state, i.status, i.tracking, i.labels,
       i.owner, i.priority, i.service, i.team, i.created_at, i.updated_at, i.closed_at,
       r.incident_ref, r.risk_ref, i.item_type AS type, i.effect, i.target_date,
       i.risk_rationale, i.expected_outcome, i.evidence, i.blocked_by, i.effort, i.theme,
       item_lifecycle(i.state, i.status) AS lifecycle, i.stated_status, i.activity_at
FROM items i JOIN item_refs r USING (source, key)
WHERE i.kind = 'action_item';

CREATE OR REPLACE VIEW incidents AS
SELECT i.source, i.key, i.url, i.title, i.body, i.state, i.status, i.tracking, i.labels,
       i.owner, i.priority, i.service, i.team, i.created_at, i.updated_at, i.closed_at,
       i.started_at, i.resolved_at, i.severity, r.risk_ref, i.users_pct,
       item_lifecycle(i.state, i.status) AS lifecycle, i.stated_status, i.theme, i.item_type AS type
FROM items i JOIN item_refs r USING (source, key)
WHERE i.kind = 'incident';

CREATE OR REPLACE VIEW risks AS
SELECT i.source, i.key, i.url, i.title, i.body, i.state, i.status, i.tracking, i.labels,
       i.owner, i.priority, i.service, i.team, i.created_at, i.updated_at, i.closed_at,
       i.impact, i.scope, i.likelihood, i.ttd_minutes, i.ttr_minutes, i.users_pct,
       i.occurrences_per_year, i.days_between_failures, i.slo, i.last_reviewed_at,
       item_lifecycle(i.state, i.status) AS lifecycle, i.stated_status,
       risk_active(i.state, i.status) AS active
FROM items i
WHERE i.kind = 'risk';

-- The latest run's scores, now with the risk's service.
CREATE OR REPLACE VIEW risk_scores AS
WITH latest AS (
    SELECT run_id FROM score_runs ORDER BY scored_at DESC, run_id DESC LIMIT 1
)
SELECT h.source, h.key, h.title, h.ordinal, h.band, h.per_year, h.bad_minutes_per_year,
       h.budget_share, h.priority, h.estimated, h.inversion, h.open_action_items, h.owner,
       h.status, h.last_reviewed_at, h.scored_at,
       h.run_id, h.state, h.active, h.impact, h.scope, h.likelihood, h.levels_from_numbers,
       h.minutes, h.users_pct, h.per_year_stated, h.linked_incidents, h.incidents_in_window,
       h.window_years, h.outage_multiplier_applied, h.slo, h.budget_minutes,
       h.derived_from_levels, h.inversions, h.done_action_items, h.closed_action_items,
       h.service
FROM score_history h JOIN latest USING (run_id);

-- Action items with the priority of the risk they reduce (latest run): the
-- risk they link, else the risk of the incident they follow up. Only an
-- active risk lends its priority: an item of a mitigated or retired risk
-- falls back to its own priority (critical → P0, high → P1, medium → P2,
-- low → P3, and the band of that name). When a reference matches risks in
-- two sources, the item's own source wins.
CREATE OR REPLACE VIEW action_item_scores AS
WITH refs AS (
    SELECT a.*, coalesce(a.risk_ref, i.risk_ref) AS reduces
    FROM action_items a
    LEFT JOIN incidents i ON i.source = a.source AND i.key = a.incident_ref AND i.tracking = 'tracked'
),
linked AS (
    SELECT a.source, a.key, r.source AS risk_source, r.key AS risk_key, r.ordinal, r.band,
           r.priority, r.bad_minutes_per_year, r.budget_share, r.scored_at
    FROM refs a JOIN risk_scores r ON r.key = a.reduces AND r.active
    QUALIFY row_number() OVER (PARTITION BY a.source, a.key
                               ORDER BY (r.source = a.source) DESC, r.source) = 1
)
SELECT a.source, a.key, a.title,
       coalesce(l.priority, CASE priority_level(a.priority) WHEN 'critical' THEN 'P0' WHEN 'high' THEN 'P1'
                                            WHEN 'medium' THEN 'P2' WHEN 'low' THEN 'P3' END) AS priority,
       CASE WHEN l.priority IS NOT NULL THEN 'risk'
            WHEN priority_level(a.priority) IS NOT NULL THEN 'own priority' END AS basis,
       coalesce(l.band, priority_level(a.priority)) AS band,
       l.ordinal, l.bad_minutes_per_year, l.budget_share,
       a.reduces AS risk_ref, l.risk_source, l.risk_key,
       a.priority AS own_priority, a.state, a.status, a.owner, a.target_date, l.scored_at
FROM refs a LEFT JOIN linked l USING (source, key)
WHERE a.tracking = 'tracked';
