-- demo/oldest_open: the open tracked items that have waited longest.
-- Parameters: $1 = how many rows.
-- Output columns: key, kind, title, priority, owner, age_days.
SELECT key, kind, title, priority, owner,
       date_diff('day', created_at::TIMESTAMP, now()::TIMESTAMP) AS age_days
FROM items
WHERE state = 'open' AND tracking = 'tracked'
ORDER BY created_at, source, key
LIMIT $1;
