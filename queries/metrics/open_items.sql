-- metrics/open_items: open tracked action items and risks by source, priority (P0-P3 from the latest scores, else none) and status, for recur_open_items.
-- Parameters: none.
-- Output columns: source, priority, status, n.
--
-- status is free text in the trackers (any `status:` label): bounded to the
-- statuses recur knows, else `other`, so one hostile or odd label neither
-- adds a series nor can break the scrape.
SELECT i.source,
       coalesce(r.priority, s.priority, 'none') AS priority,
       CASE WHEN nullif(trim(i.status), '') IS NULL THEN 'none'
            WHEN lower(trim(i.status)) IN ('proposed', 'accepted', 'open', 'to do', 'todo', 'in progress',
                                           'in review', 'blocked', 'mitigating', 'mitigated', 'retired',
                                           'on hold', 'backlog', 'selected for development')
                THEN lower(trim(i.status))
            ELSE 'other' END AS status,
       count(*) AS n
FROM items i
LEFT JOIN risk_scores r ON i.kind = 'risk' AND r.source = i.source AND r.key = i.key
LEFT JOIN action_item_scores s ON i.kind = 'action_item' AND s.source = i.source AND s.key = i.key
WHERE i.tracking = 'tracked' AND i.state = 'open' AND i.kind IN ('action_item', 'risk')
GROUP BY ALL
ORDER BY ALL
