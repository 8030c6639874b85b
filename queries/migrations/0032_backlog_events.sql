-- 0032_backlog_events: one definition of when an action item entered and
-- left the open backlog, read by trends flow and trends concentration.
-- Never edit once landed: add a new file.
--
-- Why: both sections count the items open at each period's end, and each
-- built its own scope and events from the same rules. The session of
-- 2026-12-05 found concentration's copy of two rules wrong (its own closed
-- stretches, and the creation where flow uses tracked_since) while flow's
-- were right; the two then read the same macros, but the next rule change
-- still needed two edits (0031 was one). Here the whole rule lives once:
-- which items count, from when, and each close and reopening. flow counts
-- the kinds; concentration sums them per service. The same rows (both sections
-- compared by hash over 1M items and 10M versions; the tests seed the
-- two faults and compare the sections' open counts).
--
-- backlog_events(as_of, service_filter): for each tracked action item as
-- of the end of as_of (items_as_of), of service_filter's service when
-- given, its service then (NULL when missing) and one row per event:
-- t (TIMESTAMP, UTC) and kind:
--   opened    when it entered the tracked backlog (tracked_since(): its
--             creation, or the day it was first labelled when history
--             shows it untracked before);
--   closed    the start of each closed stretch (closed_stretches(as_of):
--             from the close until the item was reopened or closed again,
--             as recorded by the end of as_of);
--   reopened  the end of each closed stretch that ended.
-- Open at a moment: opened - closed + reopened over the events before it.
CREATE MACRO backlog_events(as_of, service_filter) AS TABLE
WITH scope AS (
    SELECT a.source, a.key, a.service, coalesce(t.tracked_since, a.created_at)::TIMESTAMP AS created
    FROM items_as_of(as_of) a
    LEFT JOIN tracked_since() t ON t.source = a.source AND t.key = a.key
    WHERE a.kind = 'action_item' AND a.tracking = 'tracked'
      AND (service_filter::VARCHAR IS NULL OR a.service = service_filter::VARCHAR)
),
stretches AS (
    SELECT s.source, s.key, s.service, r.closed::TIMESTAMP AS closed, r.reopened::TIMESTAMP AS reopened
    FROM closed_stretches(as_of) r JOIN scope s USING (source, key)
)
SELECT source, key, service, created AS t, 'opened' AS kind FROM scope
UNION ALL
SELECT source, key, service, closed, 'closed' FROM stretches
UNION ALL
SELECT source, key, service, reopened, 'reopened' FROM stretches WHERE reopened IS NOT NULL;
