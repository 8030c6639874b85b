-- review/headline: the review pack's headline numbers: open action items and risks, the active risks' expected cost and budget share, risks by priority, action items done in the last 30 days.
-- Parameters: $1 as_of (DATE).
-- Output columns: open_action_items, open_risks, open_bad_minutes, open_budget_share, p0, p1, p2, p3, done_last_30_days.
WITH p AS (SELECT $1::DATE AS as_of)
SELECT
    (SELECT count(*) FROM action_items WHERE tracking = 'tracked' AND state = 'open') AS open_action_items,
    (SELECT count(*) FROM risks WHERE tracking = 'tracked' AND state = 'open') AS open_risks,
    (SELECT coalesce(sum(bad_minutes_per_year), 0) FROM risk_scores WHERE active) AS open_bad_minutes,
    (SELECT coalesce(sum(budget_share), 0) FROM risk_scores WHERE active) AS open_budget_share,
    (SELECT count(*) FROM risk_scores WHERE active AND priority = 'P0') AS p0,
    (SELECT count(*) FROM risk_scores WHERE active AND priority = 'P1') AS p1,
    (SELECT count(*) FROM risk_scores WHERE active AND priority = 'P2') AS p2,
    (SELECT count(*) FROM risk_scores WHERE active AND priority = 'P3') AS p3,
    (SELECT count(*) FROM action_items a, p
     WHERE a.tracking = 'tracked' AND a.status = 'done'
       AND coalesce(a.closed_at, a.updated_at)::TIMESTAMP::DATE BETWEEN p.as_of - 29 AND p.as_of) AS done_last_30_days
