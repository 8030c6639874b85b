-- 0004_writeback: write-back bookkeeping (`recur writeback`, src/writeback/):
-- runs, the outbox of planned and applied operations, what recur last wrote
-- to each item, and `items.activity_at` (the last change that was not
-- recur's own). Never edit once landed: add a new file.

CREATE SEQUENCE writeback_run_ids START 1;

-- One row per write-back run of one source.
CREATE TABLE writeback_runs (
    run_id      BIGINT PRIMARY KEY,
    source      VARCHAR NOT NULL,
    started_at  TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ,
    status      VARCHAR NOT NULL,            -- running | ok | failed | interrupted
    planned     BIGINT NOT NULL DEFAULT 0,   -- operations in the plan
    applied     BIGINT NOT NULL DEFAULT 0,
    failed      BIGINT NOT NULL DEFAULT 0,
    skipped     BIGINT NOT NULL DEFAULT 0,   -- item moved or deleted
    deferred    BIGINT NOT NULL DEFAULT 0,   -- over [writeback] max_operations
    requests    BIGINT NOT NULL DEFAULT 0,   -- HTTP requests, reads included
    writes      BIGINT NOT NULL DEFAULT 0,   -- write requests (POST/PUT/PATCH/DELETE)
    retries     BIGINT NOT NULL DEFAULT 0,   -- requests sent again after a failure
    waited_ms   BIGINT NOT NULL DEFAULT 0,   -- pacing and rate-limit waits
    error       VARCHAR
);

-- The outbox: every planned operation, then its outcome. An operation is
-- `planned` when the run's plan is stored, `sending` just before its
-- request goes out, and then `applied`, `failed` (with the error),
-- `skipped` (item moved or deleted) or `deferred` (budget spent). A row
-- left in `sending` by a kill may or may not have landed: the next run
-- re-plans from the tracker's state and looks for an existing summary
-- comment before it creates one, so nothing is written twice.
CREATE TABLE writeback_outbox (
    run_id        BIGINT NOT NULL,
    seq           BIGINT NOT NULL,           -- order within the run
    idem_key      VARCHAR NOT NULL,          -- hash of (source, key, op, payload)
    source        VARCHAR NOT NULL,
    key           VARCHAR NOT NULL,
    op            VARCHAR NOT NULL,          -- labels | comment
    labels_add    VARCHAR[],
    labels_remove VARCHAR[],
    comment_id    VARCHAR,                   -- the comment edited or created
    state_hash    VARCHAR,                   -- the summary state a comment op writes
    body          VARCHAR,                   -- the summary as rendered (comment ops)
    reason        VARCHAR NOT NULL,          -- why, in words
    state         VARCHAR NOT NULL,          -- planned | sending | applied | failed | skipped | deferred
    http_status   INTEGER,
    error         VARCHAR,
    attempts      INTEGER NOT NULL DEFAULT 0,
    planned_at    TIMESTAMPTZ NOT NULL,
    applied_at    TIMESTAMPTZ,
    PRIMARY KEY (run_id, seq)
);

-- recur's labels per item: what it added and for which value, so a label
-- a person removed is not added back until the value it reflects changes.
CREATE TABLE writeback_labels (
    source     VARCHAR NOT NULL,
    key        VARCHAR NOT NULL,
    label      VARCHAR NOT NULL,             -- full name, prefix included
    value_key  VARCHAR NOT NULL,             -- the value the label reflected
    state      VARCHAR NOT NULL,             -- applied | suppressed (removed by a person)
    changed_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (source, key, label)
);

-- recur's summary comment per item, and the state it last wrote.
CREATE TABLE writeback_comments (
    source     VARCHAR NOT NULL,
    key        VARCHAR NOT NULL,
    comment_id VARCHAR NOT NULL,
    state_json VARCHAR NOT NULL,             -- the summary state (for "what changed")
    state_hash VARCHAR NOT NULL,
    written_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (source, key)
);

-- When recur last wrote to each item (local clock, after the answer): a
-- sync that finds only `updated_at` moved, not later than this, is seeing
-- recur's own edit, not a person's.
CREATE TABLE writeback_items (
    source        VARCHAR NOT NULL,
    key           VARCHAR NOT NULL,
    last_write_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (source, key)
);

-- The last change to an item that was not recur's own write-back: content
-- changes, or `updated_at` moving later than recur's last write (a person
-- commented, say). Reports about human activity read this, not updated_at.
ALTER TABLE items ADD COLUMN activity_at TIMESTAMPTZ;
UPDATE items SET activity_at = updated_at;

-- Audit: what was written where, when, and why (one row per operation that
-- reached a tracker or was skipped or failed).
CREATE VIEW writeback_log AS
SELECT o.applied_at AS written_at, o.source, o.key, i.url, o.op,
       o.labels_add, o.labels_remove, o.comment_id, o.reason, o.state AS outcome,
       o.http_status, o.error, o.attempts, o.run_id, o.seq, o.idem_key
FROM writeback_outbox o
LEFT JOIN items i ON i.source = o.source AND i.key = o.key
WHERE o.state IN ('applied', 'failed', 'skipped', 'sending');

-- Staged rows carry it too (appended last: the page Appender fills it with
-- the tracker's updated_at, and the merge keeps the stored value when the
-- only change is recur's own write).
ALTER TABLE ingest_staging ADD COLUMN activity_at TIMESTAMPTZ;
