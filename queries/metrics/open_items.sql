-- metrics/open_items: open tracked action items and risks by source, priority (P0-P3 from the latest scores, else none) and status, for recur_open_items.
-- Parameters: none.
-- Output columns: source, priority, status, n.
SELECT i.source,
       coalesce(r.priority, s.priority, 'none') AS priority,
       coalesce(nullif(lower(trim(i.status)), ''), 'none') AS status,
       count(*) AS n
FROM items i
LEFT JOIN risk_scores r ON i.kind = 'risk' AND r.source = i.source AND r.key = i.key
LEFT JOIN action_item_scores s ON i.kind = 'action_item' AND s.source = i.source AND s.key = i.key
WHERE i.tracking = 'tracked' AND i.state = 'open' AND i.kind IN ('action_item', 'risk')
GROUP BY ALL
ORDER BY ALL
