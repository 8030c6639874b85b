-- 0010_run_clock: every run records the clock it judged by (src/clock.rs):
-- the one "now" fixed at its start that its reports, deadlines, scores
-- and flags used (score_runs.scored_at already is that). Never edit once
-- landed: add a new file.

ALTER TABLE sync_run_log ADD COLUMN clock TIMESTAMPTZ;
ALTER TABLE writeback_runs ADD COLUMN clock TIMESTAMPTZ;
ALTER TABLE cycle_log ADD COLUMN clock TIMESTAMPTZ;

CREATE OR REPLACE VIEW sync_runs AS
SELECT source, started_at, finished_at, status, api_requests, not_modified, items_upserted,
       id AS run_id, full_sync, reconciled, items_seen, pull_requests, malformed, retries, waited_ms, error,
       clock
FROM sync_run_log;

CREATE OR REPLACE VIEW cycles AS
SELECT cycle_id, started_at, finished_at,
       date_diff('millisecond', started_at::TIMESTAMP, finished_at::TIMESTAMP) AS duration_ms,
       status, sync_outcome, score_outcome, writeback_outcome, error, api_requests, writes, clock
FROM cycle_log;
