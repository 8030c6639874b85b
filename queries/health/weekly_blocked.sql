-- health/weekly_blocked: blocked open action items clustered by what blocks them, with issue references resolved to item keys.
-- Parameters: $1 as_of (DATE), $2 service (VARCHAR, NULL = every service).
-- Output columns: blocker, blocker_title, blocker_open, items, keys, oldest_age_days.
--
-- Blocked: open as of the end of as_of (open_action_items) with status
-- `blocked` or a Blocked by value. The blocker, in this order:
--   a reference in the text: `owner/repo#N` (case-insensitive), `#N`
--     (resolved against the item's repository), a Jira key `ABC-123`
--     (upper case) or an issue URL (…/owner/repo/issues/N, …/browse/ABC-1):
--     the key it names, so "Blocked on #12" and "acme/pay#12" meet
--   otherwise the text lower-cased, trimmed of spaces and trailing
--     punctuation, inner white space collapsed
--   `(unspecified)` when only the status says blocked.
-- blocker_title / blocker_open: the blocking item's title and whether it
-- was open at the end of as_of (items_as_of), when recur has it (same
-- source; keys compared case-insensitively, so a Jira key matches). Most
-- items first.
WITH blocked AS (
    SELECT a.source, a.key, a.container, a.age_days, trim(coalesce(a.blocked_by, '')) AS text
    FROM open_action_items($1::DATE, $2::VARCHAR, 0, 0, 0, 0) a
    WHERE a.status = 'blocked' OR nullif(trim(a.blocked_by), '') IS NOT NULL
),
refs AS (
    SELECT b.*,
           coalesce(
               nullif(lower(regexp_extract(text, '/([A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+)/issues/([0-9]+)', 1)
                      || '#' || regexp_extract(text, '/([A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+)/issues/([0-9]+)', 2)), '#'),
               nullif(regexp_extract(text, '/browse/([A-Z][A-Z0-9_]+-[0-9]+)', 1), ''),
               nullif(lower(regexp_extract(text, '([A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+#[0-9]+)', 1)), ''),
               nullif(regexp_extract(text, '(^|[^A-Za-z0-9_])([A-Z][A-Z0-9_]+-[0-9]+)', 2), ''),
               CASE WHEN regexp_matches(text, '(^|[^A-Za-z0-9_/])#[0-9]+')
                    THEN lower(container) || regexp_extract(text, '(^|[^A-Za-z0-9_/])(#[0-9]+)', 2) END
           ) AS ref
    FROM blocked b
),
clustered AS (
    SELECT r.*,
           CASE WHEN r.ref IS NOT NULL THEN r.ref
                WHEN r.text = '' THEN '(unspecified)'
                ELSE regexp_replace(regexp_replace(lower(r.text), '\s+', ' ', 'g'), '[[:punct:][:space:]]+$', '')
           END AS blocker
    FROM refs r
),
-- The blocking items as they stood then (only those named: a semi-join
-- keeps the as-of read to them).
-- The items named as blockers, as they stood: their keys are found in
-- `items` (every item recorded has its row there), so the backlog as of
-- the day is read for those alone; a filter on lower(key) over the whole
-- backlog cost a third of the section over 1M items.
blockers AS (
    SELECT h.source, lower(h.key) AS k, h.key, h.title, h.state
    FROM items_as_of($1::DATE) h
    SEMI JOIN (
        SELECT i.source, i.key FROM items i
        WHERE lower(i.key) IN (SELECT lower(blocker) FROM clustered WHERE ref IS NOT NULL)
    ) named ON named.source = h.source AND named.key = h.key
)
SELECT c.blocker, arg_min(i.title, (i.source, i.key)) AS blocker_title,
       arg_min(i.state = 'open', (i.source, i.key)) AS blocker_open,
       count(*) AS items, list(c.key ORDER BY c.key) AS keys, max(c.age_days) AS oldest_age_days
FROM clustered c
LEFT JOIN blockers i ON c.ref IS NOT NULL AND i.source = c.source AND i.k = lower(c.blocker)
GROUP BY c.blocker
ORDER BY items DESC, oldest_age_days DESC, c.blocker
