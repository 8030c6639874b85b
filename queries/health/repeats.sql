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
WITH p AS (
    SELECT ($1::DATE + 1)::TIMESTAMP AS t_end, $2::VARCHAR AS service
),
-- [repeats core: begin] (kept identical in monthly_repeat_linked.sql; a test compares them)
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
),
repeat_incidents AS (
    SELECT *, CASE WHEN prior_open > 0 THEN 'repeat_while_open' ELSE 'repeat_despite_completion' END AS class
    FROM counts
    WHERE prior_items > 0
),
-- [repeats core: end]
result AS (
    SELECT key AS incident, title, service, started AS started_at, fm AS failure_mode, class,
           prior_items::BIGINT AS prior_items, prior_open::BIGINT AS prior_open
    FROM repeat_incidents
)
SELECT * FROM result ORDER BY started_at, incident
