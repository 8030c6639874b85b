-- 0021_item_risks_inlined: item_risks reads the backlog as of the day
-- where it is used instead of materialising every column of it once.
-- Never edit once landed: add a new file.
--
-- Why: `snap` (items_as_of, all columns) is read twice, for the action
-- items and for their incidents, so DuckDB materialised it, every column
-- of 1M rows, before either reference could say which columns it needs.
-- Inlined (NOT MATERIALIZED), each reference reads only its own columns
-- (the incidents: key, severity, risk_ref); the as-of read runs twice but
-- costs less than the materialisation. The same rows: materialising a
-- CTE or not does not change what a deterministic query answers.
-- Measured over 1M items and 10M history rows (python duckdb, 2 threads,
-- 512MB, the two texts alternating): followups_priority 1.14 -> 0.63 s,
-- monthly_risk_reduction 0.72 -> 0.52 s, quarterly_promote 0.43-0.49 ->
-- 0.31-0.34 s.
--
-- item_risks(as_of DATE): 0012's text with the one hint.
CREATE OR REPLACE MACRO item_risks(as_of) AS TABLE
WITH snap AS NOT MATERIALIZED (
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
