-- health/quarterly_likelihood_rising: active risks whose linked incidents over the trailing 90 days came more often than their stated rate or than in the 90 days before.
-- Parameters: $1 as_of (DATE), $2 service (VARCHAR, NULL = every service).
-- Output columns: risk, title, service, owner, stated_per_year, trailing_90d, previous_90d, observed_per_year, exceeds.
--
-- As the backlog stood at the end of as_of (items_as_of). Active risks
-- (risk_active). Linked incidents: tracked incidents whose risk reference
-- is the risk (same source), by start (started_at, else created_at):
-- trailing_90d in the 90 days up to and including as_of, previous_90d in
-- the 90 before those. stated_per_year: occurrences per year, else 365.25 ÷
-- days between failures; NULL when neither is given. observed_per_year:
-- trailing_90d × 365.25 ÷ 90. exceeds: `stated` when trailing_90d is above
-- the stated rate for 90 days, `previous` when above previous_90d, `both`.
WITH snap AS (
    SELECT * FROM items_as_of($1::DATE) WHERE tracking = 'tracked'
),
risks AS (
    SELECT s.*,
           coalesce(s.occurrences_per_year, 365.25 / nullif(s.days_between_failures, 0)) AS stated
    FROM snap s
    WHERE s.kind = 'risk' AND risk_active(s.state, s.status)
      AND ($2::VARCHAR IS NULL OR s.service = $2::VARCHAR)
),
counts AS (
    SELECT r.source, r.key,
           count(i.key) FILTER (WHERE i.day > $1::DATE - 90) AS trailing,
           count(i.key) FILTER (WHERE i.day <= $1::DATE - 90 AND i.day > $1::DATE - 180) AS previous
    FROM risks r
    LEFT JOIN (SELECT source, key, risk_ref, coalesce(started_at, created_at)::TIMESTAMP::DATE AS day
               FROM snap WHERE kind = 'incident') i
           ON i.source = r.source AND i.risk_ref = r.key
    GROUP BY r.source, r.key
),
judged AS (
    SELECT r.source, r.key AS risk, r.title, r.service, r.owner, round(r.stated, 2) AS stated_per_year,
           c.trailing AS trailing_90d, c.previous AS previous_90d,
           round(c.trailing * 365.25 / 90, 2) AS observed_per_year,
           c.trailing > r.stated * 90 / 365.25 AS over_stated,
           c.trailing > c.previous AS over_previous
    FROM risks r JOIN counts c USING (source, key)
)
SELECT risk, title, service, owner, stated_per_year, trailing_90d, previous_90d, observed_per_year,
       CASE WHEN over_stated AND over_previous THEN 'both'
            WHEN over_stated THEN 'stated' ELSE 'previous' END AS exceeds
FROM judged
WHERE coalesce(over_stated, false) OR over_previous
ORDER BY observed_per_year DESC, risk, source
