-- 0030_item_risks_one_run: item_risks reads the scores of the one scoring
-- run in force, not every run's. Never edit once landed: add a new file.
--
-- Why: 0021 joined score_history on `run_id = run.run_id` with the run
-- from a one-row CTE. As a join condition that run id is not a filter on
-- the scan: every run's active scores (1.9M rows for 20,000 risks scored
-- weekly for two years) were read and hashed, to keep 20,000 of them.
-- As a filter (`run_id = score_run_at(...)`) the scan keeps only the run
-- in force, and the rows of one run lie together in the file (a scorer
-- writes them at once), so most row groups are skipped. The same rows: the
-- join matched only the one run's rows before too. Measured over 1M
-- items, 10M history rows and 104 weekly runs of 20,000 risks (python
-- duckdb, 2 threads, 512MB, alternating, same rows by hash): see the
-- commit. A file with one scoring run answers as fast as before.
--
-- item_risks(as_of DATE): 0021's text, the scores read once for the run.
CREATE OR REPLACE MACRO item_risks(as_of) AS TABLE
WITH snap AS NOT MATERIALIZED (
    SELECT * FROM items_as_of(as_of) WHERE tracking = 'tracked'
),
scores AS (
    SELECT source, key, bad_minutes_per_year, priority
    FROM score_history
    WHERE run_id = score_run_at((as_of::DATE + 1)::TIMESTAMP - INTERVAL 1 MICROSECOND) AND active
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
LEFT JOIN scores h ON h.source = l.source AND h.key = l.reduces;
