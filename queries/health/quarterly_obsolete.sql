-- health/quarterly_obsolete: quarterly review, open action items untouched for more than 180 days: close them or recommit.
-- Parameters: $1 as_of (DATE), $2 service (VARCHAR, NULL = every service).
-- Output columns: key, title, owner, service, last_updated_on, untouched_days, age_days.
--
-- Open as of the date; untouched: the last activity that was not recur's own
-- write-back, as known at the end of as_of (items_as_of's activity_at), is
-- more than 180 days before as_of. Longest untouched first.
WITH p AS (
    SELECT $1::DATE AS as_of
)
SELECT a.key, a.title, a.owner, a.service, a.activity_at::TIMESTAMP::DATE AS last_updated_on,
       p.as_of - a.activity_at::TIMESTAMP::DATE AS untouched_days,
       a.age_days
FROM open_action_items($1::DATE, $2::VARCHAR, 0, 0, 0, 0) a, p
WHERE p.as_of - a.activity_at::TIMESTAMP::DATE > 180
ORDER BY untouched_days DESC, a.key
