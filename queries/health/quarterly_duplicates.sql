-- health/quarterly_duplicates: quarterly review, candidate duplicates: open action items with near-identical titles within a service.
-- Parameters: $1 as_of (DATE), $2 service (VARCHAR, NULL = every service).
-- Output columns: service, key, title, duplicate_of, duplicate_of_title.
--
-- Near-identical: the same set of words once the title is lower-cased,
-- leading `[tags]` are dropped, punctuation becomes space, a trailing
-- plural s is dropped from words longer than three letters, and the words
-- a an the to of for on in at and or with are ignored. Word order does not
-- matter. Among open items (as of the date) of one service sharing that
-- key, the earliest created is the original; every later one is a row.
WITH open_items AS (
    SELECT a.source, a.key, a.title, a.service, a.created_at,
           regexp_replace(lower(coalesce(a.title, '')), '^(\[[^\]]*\]\s*)+', '') AS t
    FROM open_action_items($1::DATE, $2::VARCHAR, 0, 0, 0, 0) a
    WHERE a.service IS NOT NULL
),
keyed AS (
    SELECT *,
           list_sort(list_distinct(regexp_extract_all(
               regexp_replace(
                   regexp_replace(t, '\b(a|an|the|to|of|for|on|in|at|and|or|with)\b', ' ', 'g'),
                   '\b([a-z0-9]{3,})s\b', '\1', 'g'),
               '[a-z0-9]+'))) AS words
    FROM open_items
),
-- A title without a single word is nobody's duplicate: its key stands in.
-- (No WHERE on words: a filter on the partition key would be pushed below
-- the window and compute the normalisation twice.)
ranked AS (
    SELECT *,
           first_value(key) OVER w AS original,
           first_value(title) OVER w AS original_title
    FROM keyed
    WINDOW w AS (PARTITION BY service, CASE WHEN len(words) > 0 THEN array_to_string(words, ' ') ELSE key END
                 ORDER BY created_at, key, source)
)
SELECT service, key, title, original AS duplicate_of, original_title AS duplicate_of_title
FROM ranked
WHERE key <> original
ORDER BY service, duplicate_of, key, source
