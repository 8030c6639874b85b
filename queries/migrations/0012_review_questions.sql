-- 0012_review_questions: what the review's questions need stored and
-- defined once. Never edit once landed: add a new file.

-- Every owner an item names (an acceptable action item names exactly one;
-- `owner` stays the first). Items stored before this have their one owner.
ALTER TABLE items ADD COLUMN owners VARCHAR[];
ALTER TABLE item_history ADD COLUMN owners VARCHAR[];
ALTER TABLE ingest_staging ADD COLUMN owners_json VARCHAR;
UPDATE items SET owners = [owner] WHERE owner IS NOT NULL;
UPDATE item_history SET owners = [owner] WHERE owner IS NOT NULL;

-- Reviews recorded with `recur review record`: the risk was reviewed on that
-- day, whatever its tracker says yet (write-back then carries the date into
-- the tracker's Last reviewed field).
CREATE TABLE risk_reviews (
    source      VARCHAR NOT NULL,
    key         VARCHAR NOT NULL,
    reviewed_on DATE NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (source, key, reviewed_on)
);

-- effort_days(effort): an effort estimate in working days. T-shirt sizes
-- XS 0.5, S 1, M 3, L 8, XL 20 (XXL 40); a number with an optional unit:
-- h/hour(s) (8 a day), d/day(s), w/week(s) (5 days), or a bare number of
-- days. NULL when unreadable or not positive.
CREATE MACRO effort_days(effort) AS (
    WITH t AS (SELECT lower(trim(coalesce(effort, ''))) AS e),
    m AS (SELECT e, regexp_extract(e, '^([0-9]+(\.[0-9]+)?)\s*([a-z]*)$', 1) AS n,
                    regexp_extract(e, '^([0-9]+(\.[0-9]+)?)\s*([a-z]*)$', 3) AS u FROM t)
    SELECT CASE
        WHEN e IN ('xs', 'extra small') THEN 0.5
        WHEN e IN ('s', 'small') THEN 1.0
        WHEN e IN ('m', 'medium') THEN 3.0
        WHEN e IN ('l', 'large') THEN 8.0
        WHEN e IN ('xl', 'extra large') THEN 20.0
        WHEN e IN ('xxl') THEN 40.0
        WHEN n = '' OR TRY_CAST(n AS DOUBLE) IS NULL OR TRY_CAST(n AS DOUBLE) <= 0 THEN NULL
        WHEN u IN ('h', 'hr', 'hrs', 'hour', 'hours') THEN TRY_CAST(n AS DOUBLE) / 8
        WHEN u IN ('', 'd', 'day', 'days', 'pd') THEN TRY_CAST(n AS DOUBLE)
        WHEN u IN ('w', 'wk', 'week', 'weeks') THEN TRY_CAST(n AS DOUBLE) * 5
        END
    FROM m
);

-- severity_level(severity): the priority an incident's severity warrants:
-- SEV1/S1/P0/critical/blocker → critical, SEV2/S2/P1/high/major → high,
-- SEV3/S3/P2/medium/moderate → medium, SEV4 and below/low/minor → low; NULL
-- for anything else.
CREATE MACRO severity_level(severity) AS (
    WITH t AS (SELECT regexp_replace(lower(trim(coalesce(severity, ''))), '[^a-z0-9]', '', 'g') AS s)
    SELECT CASE
        WHEN s IN ('sev0', 'sev1', 's0', 's1', 'p0', 'critical', 'blocker', 'highest') THEN 'critical'
        WHEN s IN ('sev2', 's2', 'p1', 'high', 'major') THEN 'high'
        WHEN s IN ('sev3', 's3', 'p2', 'medium', 'moderate') THEN 'medium'
        WHEN s IN ('sev4', 'sev5', 's4', 's5', 'p3', 'p4', 'low', 'minor', 'lowest') THEN 'low'
        END
    FROM t
);

-- level_rank(level): critical 4, high 3, medium 2, low 1, else 0: for
-- comparing priority levels.
CREATE MACRO level_rank(level) AS
    CASE level WHEN 'critical' THEN 4 WHEN 'high' THEN 3 WHEN 'medium' THEN 2 WHEN 'low' THEN 1 ELSE 0 END;

-- risk_level(priority): a risk's P0–P3 as the action-item level it
-- warrants (P0 critical … P3 low).
CREATE MACRO risk_level(priority) AS
    CASE priority WHEN 'P0' THEN 'critical' WHEN 'P1' THEN 'high' WHEN 'P2' THEN 'medium' WHEN 'P3' THEN 'low' END;

-- reviewed_on(source, key, last_reviewed_at, as_of): the last day the risk
-- was reviewed by the end of as_of: its tracker's Last reviewed, or a review
-- recorded in recur, whichever is later.
CREATE MACRO reviewed_on(src, k, last_reviewed_at, as_of) AS
    greatest(last_reviewed_at,
             (SELECT max(r.reviewed_on) FROM risk_reviews r
              WHERE r.source = src AND r.key = k AND r.reviewed_on <= as_of::DATE));

-- target_moves(as_of): per action item, how its target date moved in the
-- versions recorded by the end of as_of: moves later (each change to a
-- later date), the days those moves added, the first and the last target
-- date. A target removed and set again counts from the date before it.
CREATE MACRO target_moves(as_of) AS TABLE
WITH v AS (
    SELECT source, key, valid_from, target_date,
           lag(target_date) OVER (PARTITION BY source, key ORDER BY valid_from) AS prev
    FROM item_history
    WHERE kind = 'action_item' AND target_date IS NOT NULL
      AND valid_from < (as_of::DATE + 1)::TIMESTAMP::TIMESTAMPTZ
)
SELECT source, key,
       count(*) FILTER (WHERE target_date > prev) AS moves,
       coalesce(sum(target_date - prev) FILTER (WHERE target_date > prev), 0) AS slip_days,
       arg_min(target_date, valid_from) AS first_target,
       arg_max(target_date, valid_from) AS last_target
FROM v
GROUP BY source, key;

-- item_risks(as_of): every tracked action item as it stood at the end of
-- as_of (items_as_of) with the risk it reduces: the risk it links, else the
-- risk of the incident it follows up (item → incident → risk, same source),
-- and that risk's expected bad minutes per year and priority in the scoring
-- run in force then (score_run_at; an inactive risk lends nothing: NULL).
-- Columns: the items_as_of row, inc_key, inc_severity, reduces,
-- risk_minutes, risk_priority, effort_days.
CREATE MACRO item_risks(as_of) AS TABLE
WITH snap AS (
    SELECT * FROM items_as_of(as_of) WHERE tracking = 'tracked'
),
run AS (
    SELECT score_run_at((as_of::DATE + 1)::TIMESTAMP - INTERVAL 1 MICROSECOND) AS run_id
),
linked AS (
    SELECT a.*, inc.key AS inc_key, inc.severity AS inc_severity,
           coalesce(a.risk_ref, inc.risk_ref) AS reduces
    FROM snap a
    LEFT JOIN snap inc ON inc.kind = 'incident' AND inc.source = a.source AND inc.key = a.incident_ref
    WHERE a.kind = 'action_item'
)
SELECT l.*, h.bad_minutes_per_year AS risk_minutes, h.priority AS risk_priority,
       effort_days(l.effort) AS effort_days
FROM linked l
CROSS JOIN run
LEFT JOIN score_history h ON h.run_id = run.run_id AND h.source = l.source AND h.key = l.reduces AND h.active;

-- The action_items view gains every owner named.
CREATE OR REPLACE VIEW action_items AS
SELECT i.source, i.key, i.url, i.title, i.body, i.state, i.status, i.tracking, i.labels,
       i.owner, i.priority, i.service, i.team, i.created_at, i.updated_at, i.closed_at,
       r.incident_ref, r.risk_ref, i.item_type AS type, i.effect, i.target_date,
       i.risk_rationale, i.expected_outcome, i.evidence, i.blocked_by, i.effort, i.theme,
       item_lifecycle(i.state, i.status) AS lifecycle, i.stated_status, i.activity_at, i.owners
FROM items i JOIN item_refs r USING (source, key)
WHERE i.kind = 'action_item';
