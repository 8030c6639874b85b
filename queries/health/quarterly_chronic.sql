-- health/quarterly_chronic: open action items to escalate: past two or more target dates, deferred twice or more, or open through two or more repeat incidents.
-- Parameters: $1 as_of (DATE), $2 service (VARCHAR, NULL = every service), $3 lookback_days (BIGINT).
-- Output columns: key, title, service, owner, priority, age_days, deadlines_missed, deferrals, repeat_incidents, reasons.
--
-- Open tracked action items as of the end of as_of (open_action_items).
-- deadlines_missed: the distinct target dates the item has had (item_history
-- by then) that lie before as_of: it was open past each (target_moves'
-- past_targets, migration 0027). deferrals: target date moves later
-- (target_moves' moves). repeat_incidents: incidents that
-- repeated the item's failure mode while it was open (repeat_incidents,
-- class repeat_while_open; the item among its open_keys). Listed when any
-- of the three reaches 2. Most reasons first, then oldest.
WITH open_items AS (
    SELECT * FROM open_action_items($1::DATE, $2::VARCHAR, 0, 0, 0, 0)
),
repeats AS (
    SELECT r.source, k AS key, count(DISTINCT r.key) AS n
    FROM repeat_incidents($1::DATE, NULL, $3::BIGINT) r, unnest(r.open_keys) AS u(k)
    GROUP BY ALL
),
judged AS (
    SELECT o.source, o.key, o.title, o.service, o.owner, o.priority, o.age_days,
           coalesce(t.past_targets, 0) AS deadlines_missed, coalesce(t.moves, 0) AS deferrals,
           coalesce(r.n, 0) AS repeat_incidents
    FROM open_items o
    LEFT JOIN target_moves($1::DATE) t ON t.item_id = o.item_id
    LEFT JOIN repeats r ON r.source = o.source AND r.key = o.key
)
SELECT * EXCLUDE (source),
       concat_ws('; ',
           CASE WHEN deadlines_missed >= 2 THEN 'past ' || deadlines_missed || ' target dates' END,
           CASE WHEN deferrals >= 2 THEN 'deferred ' || deferrals || ' times' END,
           CASE WHEN repeat_incidents >= 2 THEN repeat_incidents || ' repeat incidents while open' END) AS reasons
FROM judged
WHERE deadlines_missed >= 2 OR deferrals >= 2 OR repeat_incidents >= 2
ORDER BY (deadlines_missed >= 2)::INT + (deferrals >= 2)::INT + (repeat_incidents >= 2)::INT DESC,
         age_days DESC, key, source
