-- 0013_backfill: history from the trackers' own change logs. Never edit
-- once landed: add a new file.

-- Where each version came from: `sync` (seen by a sync) or `backfill`
-- (rebuilt from the change log, before recur first saw the item). A
-- backfilled GitHub version knows labels, state, title and assignee from
-- the log but not the fields of the issue-form body, which keep their
-- first-synced values: body_fields_known = false says so.
ALTER TABLE item_history ADD COLUMN origin VARCHAR DEFAULT 'sync';
UPDATE item_history SET origin = 'sync';
ALTER TABLE item_history ADD COLUMN body_fields_known BOOLEAN DEFAULT true;
UPDATE item_history SET body_fields_known = true;

-- The change log as the tracker gave it, one row per change: who closed
-- an item, who relabelled it, when it was first labelled. change_json is
-- the change as recur reads it (to rebuild versions again).
CREATE TABLE item_events (
    source      VARCHAR NOT NULL,
    key         VARCHAR NOT NULL,
    event_id    VARCHAR NOT NULL,
    happened_at TIMESTAMPTZ NOT NULL,
    actor       VARCHAR,
    kind        VARCHAR NOT NULL,   -- labeled | unlabeled | closed | reopened | renamed | assignee | status | resolution | due_date | field | issue_type | other
    field       VARCHAR,
    from_value  VARCHAR,
    to_value    VARCHAR,
    change_json VARCHAR NOT NULL,
    PRIMARY KEY (source, key, event_id)
);
-- Where a page's events are appended before one set-based insert.
CREATE TABLE events_staging AS SELECT * FROM item_events LIMIT 0;

-- Backfill progress per item: `fetching` (cursor = the next log page),
-- `fetched` (every event stored), `rebuilt` (versions written). A kill
-- loses at most the page or the item in flight.
CREATE TABLE backfill_items (
    source     VARCHAR NOT NULL,
    key        VARCHAR NOT NULL,
    state      VARCHAR NOT NULL,
    cursor     VARCHAR,
    requests   BIGINT NOT NULL DEFAULT 0,
    versions   BIGINT,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (source, key)
);

-- Per container (GitHub repository): which listing backfill chose, the
-- estimates it chose by, and the cursor of a repository-wide listing.
CREATE TABLE backfill_containers (
    source             VARCHAR NOT NULL,
    container          VARCHAR NOT NULL,
    strategy           VARCHAR NOT NULL,   -- per_item | per_container
    estimate_per_item  BIGINT,
    estimate_container BIGINT,
    cursor             VARCHAR,
    done               BOOLEAN NOT NULL DEFAULT false,
    requests           BIGINT NOT NULL DEFAULT 0,
    updated_at         TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (source, container)
);

-- tracked_since(): per item, when it entered the tracked backlog: the
-- start of its first tracked version, or its creation when it was tracked
-- from its earliest known version on (labelled when opened, or history
-- that does not reach back further). Trend reports count an item as
-- opened then.
CREATE MACRO tracked_since() AS TABLE
WITH firsts AS (
    SELECT source, key, min(valid_from) AS first_version,
           min(valid_from) FILTER (WHERE tracking = 'tracked') AS first_tracked,
           any_value(created_at) AS created_at
    FROM item_history
    GROUP BY source, key
)
SELECT source, key,
       CASE WHEN first_tracked IS NULL THEN NULL
            WHEN first_tracked = first_version THEN created_at
            ELSE first_tracked END AS tracked_since
FROM firsts;
