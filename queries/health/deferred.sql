-- health/deferred: action items whose target date moved later two or more times: how often, by how many days, from what to what.
-- Parameters: $1 as_of (DATE), $2 service (VARCHAR, NULL = every service).
-- Output columns: key, title, service, owner, priority, lifecycle, moves, slip_days, first_target, current_target, overdue.
--
-- From item_history as recorded by the end of as_of (target_moves,
-- migration 0012): a move is a version whose target date is later than the
-- version before's; moving a date earlier is not a deferral. slip_days adds
-- up the days of the moves. Tracked action items as they stood then
-- (items_as_of), open or not (lifecycle says which); overdue: open and past
-- the current target. Most moves first, then the longest slip. slip_days
-- is a BIGINT (a sum is a HUGEINT), so the answer is read by column
-- (store::query).
SELECT a.key, a.title, a.service, a.owner, a.priority, a.lifecycle,
       m.moves, m.slip_days::BIGINT AS slip_days, m.first_target, m.last_target AS current_target,
       a.state = 'open' AND m.last_target < a.as_of AS overdue
FROM target_moves($1::DATE) m
JOIN items_as_of($1::DATE) a ON a.item_id = m.item_id
WHERE m.moves >= 2 AND a.tracking = 'tracked' AND a.kind = 'action_item'
  AND ($2::VARCHAR IS NULL OR a.service = $2::VARCHAR)
ORDER BY m.moves DESC, m.slip_days DESC, a.key, a.source
