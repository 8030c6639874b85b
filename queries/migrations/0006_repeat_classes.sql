-- 0006_repeat_classes: one definition of repeat incidents, shared by
-- health/repeats and health/monthly_repeat_linked (it used to be copied in
-- both). A table macro, because the classification depends on the as-of
-- date and the service filter. Never edit once landed: add a new file.
--
-- repeat_incidents(as_of DATE, service VARCHAR or NULL): incidents started
-- on or before as_of whose failure mode already had tracked action items,
-- with key, title, service, started (TIMESTAMP, UTC), started_day, fm (the
-- failure mode: `risk …` or `service …`), prior_items, prior_open and class
-- (`repeat_while_open` | `repeat_despite_completion`). The rules are in
-- the header of queries/health/repeats.sql.
CREATE MACRO repeat_incidents(as_of, service_filter) AS TABLE
WITH p AS (
    SELECT (as_of::DATE + 1)::TIMESTAMP AS t_end, service_filter::VARCHAR AS service
),
inc AS (
    SELECT i.key, i.title, i.service, coalesce(i.started_at, i.created_at)::TIMESTAMP AS started,
           coalesce(i.started_at, i.created_at)::TIMESTAMP::DATE AS started_day,
           CASE WHEN i.risk_ref IS NULL THEN 'service ' || i.service
                WHEN i.risk_ref LIKE '#%' THEN 'risk ' || i.container || i.risk_ref
                ELSE 'risk ' || i.risk_ref END AS fm
    FROM items i, p
    WHERE i.kind = 'incident' AND i.tracking = 'tracked'
      AND coalesce(i.started_at, i.created_at)::TIMESTAMP < p.t_end
      AND coalesce(i.risk_ref, i.service) IS NOT NULL
      AND (p.service IS NULL OR i.service = p.service)
),
-- Tracked action items with their failure modes, kept only for failure modes some incident has.
members AS (
    SELECT * FROM (
        SELECT source, key, created_at::TIMESTAMP AS created,
               'risk ' || CASE WHEN risk_ref LIKE '#%' THEN container || risk_ref ELSE risk_ref END AS fm
        FROM items WHERE kind = 'action_item' AND tracking = 'tracked' AND risk_ref IS NOT NULL
        UNION ALL
        SELECT source, key, created_at::TIMESTAMP, 'service ' || service
        FROM items WHERE kind = 'action_item' AND tracking = 'tracked' AND service IS NOT NULL
    )
    WHERE fm IN (SELECT fm FROM inc)
),
-- Closed stretches: consecutive closed versions share the close time; the
-- stretch ends when the next (open) version begins, or never.
closed_runs AS (
    SELECT source, key, coalesce(closed_at, valid_from)::TIMESTAMP AS closed,
           CASE WHEN count(valid_to) = count(*) THEN max(valid_to) END::TIMESTAMP AS reopened
    FROM item_history
    WHERE kind = 'action_item' AND state = 'closed'
    GROUP BY source, key, coalesce(closed_at, valid_from)
),
member_runs AS (
    SELECT m.fm, r.closed, r.reopened FROM closed_runs r JOIN members m USING (source, key)
),
-- +1 item and +1 open at creation, -1 open at each close, +1 at each reopening.
events AS (
    SELECT fm, created AS t, 1 AS d_created, 1 AS d_open FROM members
    UNION ALL
    SELECT fm, closed, 0, -1 FROM member_runs
    UNION ALL
    SELECT fm, reopened, 0, 1 FROM member_runs WHERE reopened IS NOT NULL
),
daily AS (
    SELECT fm, t::DATE AS day, sum(d_created) AS d_created, sum(d_open) AS d_open
    FROM events
    GROUP BY ALL
),
before_day AS (
    SELECT inc.key, sum(d.d_created) AS created, sum(d.d_open) AS open
    FROM inc JOIN daily d ON d.fm = inc.fm AND d.day < inc.started_day
    GROUP BY inc.key
),
same_day AS (
    SELECT inc.key,
           sum(e.d_created) FILTER (WHERE e.t < inc.started) AS created,
           sum(e.d_open) FILTER (WHERE e.t < inc.started OR (e.t = inc.started AND e.d_open < 0)) AS open
    FROM inc JOIN events e ON e.fm = inc.fm AND e.t::DATE = inc.started_day
    GROUP BY inc.key
),
counts AS (
    SELECT inc.*, coalesce(b.created, 0) + coalesce(s.created, 0) AS prior_items,
           coalesce(b.open, 0) + coalesce(s.open, 0) AS prior_open
    FROM inc
    LEFT JOIN before_day b USING (key)
    LEFT JOIN same_day s USING (key)
)
SELECT *, CASE WHEN prior_open > 0 THEN 'repeat_while_open' ELSE 'repeat_despite_completion' END AS class
FROM counts
WHERE prior_items > 0;
