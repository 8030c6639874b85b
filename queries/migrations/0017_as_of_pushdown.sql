-- 0017_as_of_pushdown: items_as_of filters item_history on the day itself,
-- not through a one-row CTE, so DuckDB pushes the filter into the scan.
-- Never edit once landed: add a new file.
--
-- Why: 0009 wrote the end of the day once, in `p`, and joined it
-- (`FROM item_history h, p WHERE h.valid_from < p.t_end ...`). DuckDB
-- plans that as a nested-loop join over the whole table: every column a
-- report asks for is read and decompressed for all 10M history rows, and
-- only then filtered down to the 1M versions in force. Written against the
-- day itself, the condition becomes a table filter: valid_from and
-- valid_to are read first and the other columns only for the rows that
-- pass. Measured over 1M items and 10M history rows (python duckdb,
-- 2 threads, 512MB): most reports 20-50 % faster (monthly_completed 430 ->
-- 260 ms, followups_priority 1.9 -> 1.2 s, monthly_risk_reduction 1.5 ->
-- 0.8 s, deferred 1.8 -> 1.15 s), with the same rows.
-- The second branch (items first recorded after the day) keeps the join
-- with `p`: there the join with `items` comes first and its keys filter
-- the history scan down to a few thousand rows; written inline, DuckDB
-- scanned ~440k history rows for it instead.
--
-- items_as_of(as_of DATE): the same columns and rows as 0016's.
CREATE OR REPLACE MACRO items_as_of(as_of) AS TABLE
WITH p AS (
    SELECT (as_of::DATE + 1)::TIMESTAMP::TIMESTAMPTZ AS t_end
),
v AS (
    -- The version in force at the end of the day.
    SELECT h.*, true AS from_history
    FROM item_history h
    WHERE h.valid_from < (as_of::DATE + 1)::TIMESTAMP::TIMESTAMPTZ
      AND (h.valid_to IS NULL OR h.valid_to >= (as_of::DATE + 1)::TIMESTAMP::TIMESTAMPTZ)
    UNION ALL
    -- Items that existed then but were first recorded later: their first
    -- version stands in.
    SELECT h.*, false AS from_history
    FROM items i, p, item_history h
    WHERE i.history_from >= p.t_end AND i.created_at < p.t_end
      AND h.source = i.source AND h.key = i.key AND h.valid_from = i.history_from
      AND (h.valid_to IS NULL OR h.valid_to > h.valid_from)
),
judged AS (
    SELECT v.*,
           CASE WHEN v.from_history OR v.state = 'open' THEN v.state
                WHEN v.closed_at IS NOT NULL
                     AND v.closed_at < (as_of::DATE + 1)::TIMESTAMP::TIMESTAMPTZ THEN 'closed'
                ELSE 'open' END AS state_then,
           as_of::DATE AS as_of
    FROM v
)
SELECT j.* EXCLUDE (state, status, closed_at, incident_ref, risk_ref, state_then),
       j.state_then AS state,
       CASE WHEN j.state_then = j.state THEN j.status END AS status,
       CASE WHEN j.state_then = 'closed' THEN coalesce(j.closed_at, j.valid_from) END AS closed_at,
       item_lifecycle(j.state_then, CASE WHEN j.state_then = j.state THEN j.status END) AS lifecycle,
       priority_level(j.priority) AS level,
       resolve_ref(j.container, j.incident_ref) AS incident_ref,
       resolve_ref(j.container, j.risk_ref) AS risk_ref,
       j.as_of - j.created_at::TIMESTAMP::DATE AS age_days
FROM judged j;
