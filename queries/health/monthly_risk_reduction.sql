-- health/monthly_risk_reduction: open action items ranked by the expected bad minutes per year of the risk they reduce, per day of effort: high leverage, low effort first.
-- Parameters: $1 as_of (DATE), $2 service (VARCHAR, NULL = every service).
-- Output columns: rank, key, title, service, owner, priority, risk, risk_priority, bad_minutes_per_year, effort, effort_days, minutes_per_effort_day.
--
-- Open tracked action items as of the end of as_of that reduce a scored,
-- active risk (item_risks: the risk they link, else their incident's; the
-- scoring run in force then). effort_days reads the Effort field on the
-- documented scale (effort_days: XS 0.5, S 1, M 3, L 8, XL 20, XXL 40 days;
-- or a number with h/d/w). minutes_per_effort_day: bad minutes per year ÷
-- effort days. Items with a known effort rank first, by that; items
-- without one follow, by bad minutes (an unknown effort is not a small one).
SELECT row_number() OVER (ORDER BY minutes_per_effort_day DESC NULLS LAST, bad_minutes_per_year DESC, key, source) AS rank,
       * EXCLUDE (source)
FROM (
    SELECT source, key, title, service, owner, priority, reduces AS risk, risk_priority,
           round(risk_minutes, 1) AS bad_minutes_per_year, effort, effort_days,
           round(risk_minutes / effort_days, 1) AS minutes_per_effort_day
    FROM item_risks($1::DATE)
    WHERE state = 'open' AND risk_minutes > 0 AND ($2::VARCHAR IS NULL OR service = $2::VARCHAR)
)
ORDER BY rank
