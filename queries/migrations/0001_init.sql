-- 0001_init: the synced items (current state), their history, sync cursors,
-- sync runs and per-source state. Never edit once landed: add a new file.

-- Current state of every item recur has ever tracked, one row per (source, key).
-- Typed postmortem fields are flattened into nullable columns; `raw` is the
-- item's JSON exactly as the tracker sent it.
CREATE TABLE items (
    source                VARCHAR NOT NULL,
    key                   VARCHAR NOT NULL,
    kind                  VARCHAR NOT NULL,   -- action_item | incident | risk
    tracking              VARCHAR NOT NULL,   -- tracked | untracked | deleted | transferred
    container             VARCHAR NOT NULL,   -- owner/repo or project key
    number                BIGINT,
    external_id           VARCHAR,
    url                   VARCHAR,
    title                 VARCHAR,
    body                  VARCHAR,
    state                 VARCHAR NOT NULL,   -- open | closed
    state_reason          VARCHAR,
    tracker_status        VARCHAR,
    status                VARCHAR,
    labels                VARCHAR[],
    issue_type            VARCHAR,
    assignee              VARCHAR,
    owner                 VARCHAR,
    priority              VARCHAR,
    service               VARCHAR,
    team                  VARCHAR,
    incident_ref          VARCHAR,
    risk_ref              VARCHAR,
    item_type             VARCHAR,
    effect                VARCHAR,
    target_date           DATE,
    risk_rationale        VARCHAR,
    expected_outcome      VARCHAR,
    evidence              VARCHAR,
    blocked_by            VARCHAR,
    effort                VARCHAR,
    theme                 VARCHAR,
    impact                INTEGER,
    scope                 INTEGER,
    likelihood            INTEGER,
    ttd_minutes           DOUBLE,
    ttr_minutes           DOUBLE,
    users_pct             DOUBLE,
    occurrences_per_year  DOUBLE,
    days_between_failures DOUBLE,
    slo                   DOUBLE,
    last_reviewed_at      DATE,
    started_at            TIMESTAMPTZ,
    resolved_at           TIMESTAMPTZ,
    severity              VARCHAR,
    created_at            TIMESTAMPTZ NOT NULL,
    updated_at            TIMESTAMPTZ NOT NULL,
    closed_at             TIMESTAMPTZ,
    moved_to              VARCHAR,
    sections              VARCHAR,            -- JSON object: heading -> raw text
    links                 VARCHAR,            -- JSON array of {relation, target}
    problems              VARCHAR,            -- JSON array of {field, raw, reason}
    content_hash          VARCHAR NOT NULL,   -- hash of the normalised record (not raw, not updated_at)
    raw                   VARCHAR NOT NULL,
    first_seen_at         TIMESTAMPTZ NOT NULL,
    last_synced_at        TIMESTAMPTZ NOT NULL,
    sync_run_id           BIGINT,
    PRIMARY KEY (source, key)
);

-- A page of items on its way into `items`; filled and emptied inside one
-- transaction, so it is empty whenever no transaction is open.
CREATE TABLE ingest_staging AS SELECT * EXCLUDE (labels), ''::VARCHAR AS labels_json FROM items LIMIT 0;

-- One row per changed version of an item. `valid_from` is the tracker's
-- `updated_at` of the version (or the time recur saw a deletion/transfer);
-- `valid_to` is when the next version began (NULL for the current one).
CREATE TABLE item_history (
    source                VARCHAR NOT NULL,
    key                   VARCHAR NOT NULL,
    kind                  VARCHAR NOT NULL,
    tracking              VARCHAR NOT NULL,
    container             VARCHAR NOT NULL,
    title                 VARCHAR,
    state                 VARCHAR NOT NULL,
    state_reason          VARCHAR,
    status                VARCHAR,
    labels                VARCHAR[],
    owner                 VARCHAR,
    priority              VARCHAR,
    service               VARCHAR,
    team                  VARCHAR,
    incident_ref          VARCHAR,
    risk_ref              VARCHAR,
    item_type             VARCHAR,
    effect                VARCHAR,
    target_date           DATE,
    blocked_by            VARCHAR,
    evidence              VARCHAR,
    impact                INTEGER,
    scope                 INTEGER,
    likelihood            INTEGER,
    ttd_minutes           DOUBLE,
    ttr_minutes           DOUBLE,
    users_pct             DOUBLE,
    occurrences_per_year  DOUBLE,
    days_between_failures DOUBLE,
    slo                   DOUBLE,
    last_reviewed_at      DATE,
    created_at            TIMESTAMPTZ NOT NULL,
    updated_at            TIMESTAMPTZ NOT NULL,
    closed_at             TIMESTAMPTZ,
    content_hash          VARCHAR NOT NULL,
    valid_from            TIMESTAMPTZ NOT NULL,
    valid_to              TIMESTAMPTZ,
    recorded_at           TIMESTAMPTZ NOT NULL,
    sync_run_id           BIGINT
);

-- Where each listing of each container stands. `state` is JSON owned by the
-- sync loop; it moves in the same transaction as the page it describes.
CREATE TABLE cursors (
    source     VARCHAR NOT NULL,
    container  VARCHAR NOT NULL,
    state      VARCHAR NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (source, container)
);

CREATE SEQUENCE sync_run_ids START 1;

CREATE TABLE sync_run_log (
    id              BIGINT PRIMARY KEY,
    source          VARCHAR NOT NULL,
    started_at      TIMESTAMPTZ NOT NULL,
    finished_at     TIMESTAMPTZ,
    status          VARCHAR NOT NULL,         -- running | ok | failed
    full_sync       BOOLEAN NOT NULL,
    reconciled      BOOLEAN NOT NULL DEFAULT false,
    api_requests    BIGINT NOT NULL DEFAULT 0,
    not_modified    BIGINT NOT NULL DEFAULT 0,
    items_seen      BIGINT NOT NULL DEFAULT 0,
    items_upserted  BIGINT NOT NULL DEFAULT 0,
    pull_requests   BIGINT NOT NULL DEFAULT 0,
    malformed       BIGINT NOT NULL DEFAULT 0,
    retries         BIGINT NOT NULL DEFAULT 0,
    waited_ms       BIGINT NOT NULL DEFAULT 0,
    error           VARCHAR
);

-- Per-source facts `recur status` shows without network.
CREATE TABLE source_state (
    source                VARCHAR PRIMARY KEY,
    syncs_since_reconcile BIGINT NOT NULL DEFAULT 0,
    rate_limit            BIGINT,
    rate_remaining        BIGINT,
    rate_reset            TIMESTAMPTZ,
    last_success_at       TIMESTAMPTZ,
    updated_at            TIMESTAMPTZ NOT NULL
);

-- Values recur could not parse, kept with the item (also in items.problems).
CREATE TABLE malformed_entries (
    source      VARCHAR NOT NULL,
    key         VARCHAR NOT NULL,
    reason      VARCHAR NOT NULL,
    raw         VARCHAR NOT NULL,
    seen_at     TIMESTAMPTZ NOT NULL,
    sync_run_id BIGINT
);
