-- health/repeats: incidents whose failure mode already had action items: a repeat while an earlier item was still open, despite a completed fix, or after the earlier items were declined.
-- Parameters: $1 as_of (DATE: incidents started on or before it, the backlog as it stood at its end), $2 service (VARCHAR, NULL = every service), $3 lookback_days (BIGINT: how far back an incident without a linked risk looks for items of its service and theme or type).
-- Output columns: incident, title, service, started_at, failure_mode, class, prior_items, prior_open, prior_done, prior_declined, prior_keys, open_keys, done_keys, source.
--
-- The classification is the table macro repeat_incidents (migration
-- 0009_as_of_speed), shared with health/monthly_repeat_linked; its header has
-- the rules. In short: the failure mode is the linked risk, followed
-- through the chain action item → incident → risk; without a link, the
-- same service and the same theme or type within lookback_days. Earlier
-- items are those created before the incident started, judged as they
-- stood at that moment (item_history). class:
--   repeat_while_open          an earlier item was still open
--   repeat_despite_completion  none open, at least one done
--   repeat_after_decline       all earlier items declined or duplicates
-- No earlier item: not a repeat, no row. prior_keys lists the earlier
-- items oldest first, open_keys those open then, done_keys those done (the
-- rest were declined or duplicates); prior_* count them.
SELECT key AS incident, title, service, started AS started_at, fm AS failure_mode, class,
       prior_items::BIGINT AS prior_items, prior_open::BIGINT AS prior_open,
       prior_done::BIGINT AS prior_done, prior_declined::BIGINT AS prior_declined,
       prior_keys, open_keys, done_keys, source
FROM repeat_incidents($1::DATE, $2::VARCHAR, $3::BIGINT)
ORDER BY started_at, incident, source
