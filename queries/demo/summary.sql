-- demo/summary: items per kind, state and status, for the demo's overview.
-- Parameters: none.
-- Output columns: kind, state, status, tracking, items.
SELECT kind, state, coalesce(status, '(none)') AS status, tracking, count(*) AS items
FROM items
GROUP BY ALL
ORDER BY kind, state DESC, items DESC, status, tracking;
