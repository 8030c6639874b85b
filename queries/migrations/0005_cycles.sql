-- 0005_cycles: the daemon's cycles (`recur daemon`, src/daemon/): one row per
-- cycle of sync -> score -> write-back, with each step's outcome. Never edit
-- once landed: add a new file.

CREATE SEQUENCE cycle_ids START 1;

CREATE TABLE cycle_log (
    cycle_id         BIGINT PRIMARY KEY,
    started_at       TIMESTAMPTZ NOT NULL,
    finished_at      TIMESTAMPTZ NOT NULL,
    status           VARCHAR NOT NULL,   -- ok | failed | interrupted
    sync_outcome     VARCHAR NOT NULL,   -- ok | failed | skipped | interrupted
    score_outcome    VARCHAR NOT NULL,
    writeback_outcome VARCHAR NOT NULL,
    error            VARCHAR,            -- the first error, in words
    api_requests     BIGINT NOT NULL,    -- sync and write-back requests
    writes           BIGINT NOT NULL     -- write-back write requests
);

-- The daemon's cycles, newest first.
CREATE VIEW cycles AS
SELECT cycle_id, started_at, finished_at,
       date_diff('millisecond', started_at::TIMESTAMP, finished_at::TIMESTAMP) AS duration_ms,
       status, sync_outcome, score_outcome, writeback_outcome, error, api_requests, writes
FROM cycle_log;
