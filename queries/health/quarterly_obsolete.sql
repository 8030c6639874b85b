-- health/quarterly_obsolete: quarterly review, open action items untouched for more than 180 days: close them or recommit.
-- Parameters: $1 as_of (DATE), $2 service (VARCHAR, NULL = every service).
-- Output columns: key, title, owner, service, last_updated_on, untouched_days, age_days.
--
-- Open as of the date; untouched: the last activity that was not recur's own
-- write-back, as known at the end of as_of (activity_as_of), is
-- more than 180 days before as_of. Longest untouched first.
WITH p AS (
    SELECT $1::DATE AS as_of
),
touched AS (
    SELECT a.*, activity_as_of(p.as_of, a.from_history, a.created_at, a.valid_from, i.activity_at)::TIMESTAMP::DATE AS last_updated_on
    FROM open_action_items($1::DATE, $2::VARCHAR, 0, 0, 0, 0) a
    CROSS JOIN p
    LEFT JOIN items i ON i.source = a.source AND i.key = a.key
)
SELECT t.key, t.title, t.owner, t.service, t.last_updated_on,
       p.as_of - t.last_updated_on AS untouched_days,
       t.age_days
FROM touched t, p
WHERE p.as_of - t.last_updated_on > 180
ORDER BY untouched_days DESC, t.key, t.source
