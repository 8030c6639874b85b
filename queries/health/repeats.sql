-- health/repeats: incidents whose failure mode already had action items: a repeat while an earlier item was still open, or despite all of them being closed.
-- Parameters: $1 as_of (DATE: incidents started on or before it), $2 service (VARCHAR, NULL = every service).
-- Output columns: incident, title, service, started_at, failure_mode, class, prior_items, prior_open.
--
-- Failure mode: the incident's linked risk (`risk acme/ops#7`); without one,
-- its service (`service payments`). A tracked action item belongs to the
-- failure mode of its risk and to that of its service. Its earlier items are
-- those created before the incident started (`started_at`, else created_at).
-- class: `repeat_while_open` when at least one earlier item was open at that
-- moment, `repeat_despite_completion` when every earlier item had been
-- closed (done, declined or otherwise). No earlier item: not a repeat, no row.
-- prior_items counts the earlier items, prior_open those open at the start.
--
-- Open intervals come from item_history, not today's state: an item is
-- open from its creation (also before its first recorded version) except
-- during its closed stretches. A closed stretch starts at the close time the
-- closed versions carry (closed_at, else valid_from) and ends when the next,
-- open, version begins (a reopening), or never. Only the current tracking
-- counts (an item untracked for a while in the past is not split up).
-- Counting is a sweep per failure mode: +1 item and +1 open at creation, -1
-- open at each close, +1 at each reopening; events before the incident's day
-- come from daily totals, events on its day are compared exactly. That keeps
-- the work linear in the size of history (no per-incident scan of items).
-- Ties: an item created at the very instant an incident starts is not
-- earlier; one closed at that instant is no longer open.
-- The classification is the table macro repeat_incidents (migration
-- 0006_repeat_classes), shared with health/monthly_repeat_linked.
WITH result AS (
    SELECT key AS incident, title, service, started AS started_at, fm AS failure_mode, class,
           prior_items::BIGINT AS prior_items, prior_open::BIGINT AS prior_open
    FROM repeat_incidents($1::DATE, $2::VARCHAR)
)
SELECT * FROM result ORDER BY started_at, incident
