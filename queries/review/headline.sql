-- review/headline: the review pack's headline numbers as of the end of a day: open action items and risks, the active risks' expected cost and budget share, risks by priority, action items done in the last 30 days.
-- Parameters: $1 as_of (DATE).
-- Output columns: open_action_items, open_risks, open_bad_minutes, open_budget_share, p0, p1, p2, p3, done_last_30_days.
--
-- Items as they stood at the end of as_of (items_as_of, open_action_items);
-- scores from the scoring run in force then (score_run_at). Done: closed as
-- done (item_lifecycle) on one of the 30 days ending on as_of.
WITH p AS (SELECT $1::DATE AS as_of, score_run_at(($1::DATE + 1)::TIMESTAMP - INTERVAL 1 MICROSECOND) AS run_id),
snap AS (SELECT * FROM items_as_of($1::DATE) WHERE tracking = 'tracked'),
scores AS (SELECT h.* FROM score_history h, p WHERE h.run_id = p.run_id AND h.active)
SELECT
    (SELECT count(*) FROM snap WHERE kind = 'action_item' AND state = 'open') AS open_action_items,
    (SELECT count(*) FROM snap WHERE kind = 'risk' AND state = 'open') AS open_risks,
    (SELECT coalesce(sum(bad_minutes_per_year), 0) FROM scores) AS open_bad_minutes,
    (SELECT coalesce(sum(budget_share), 0) FROM scores) AS open_budget_share,
    (SELECT count(*) FROM scores WHERE priority = 'P0') AS p0,
    (SELECT count(*) FROM scores WHERE priority = 'P1') AS p1,
    (SELECT count(*) FROM scores WHERE priority = 'P2') AS p2,
    (SELECT count(*) FROM scores WHERE priority = 'P3') AS p3,
    (SELECT count(*) FROM snap a, p
     WHERE a.kind = 'action_item' AND a.lifecycle = 'done'
       AND a.closed_at::TIMESTAMP::DATE BETWEEN p.as_of - 29 AND p.as_of) AS done_last_30_days
