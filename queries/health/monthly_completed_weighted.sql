-- health/monthly_completed_weighted: action items completed in the last --days, counted and weighted by the bad minutes of the risk they reduced and by effort: right work, or easy work?
-- Parameters: $1 as_of (DATE), $2 days (BIGINT), $3 service (VARCHAR, NULL = every service).
-- Output columns: effect, completed, with_risk, risks, risk_weight, effort_days, effort_known, minutes_per_effort_day.
--
-- Completed: tracked action items done (lifecycle, not declined or
-- duplicate) as of the end of as_of whose close falls in the --days up to
-- as_of. with_risk: those reducing a scored, active risk (item_risks: the
-- risk they link, else their incident's; the scoring run in force then);
-- risks: how many distinct risks. risk_weight: each item weighted by its
-- risk's expected bad minutes per year, summed (a weight, not minutes
-- removed: two items of one risk count it twice). effort_days: summed
-- where known (effort_known of completed); minutes_per_effort_day:
-- risk_weight ÷ effort days over the items with both. One row per
-- reliability effect (`(none)`), then `all`; most weight first.
WITH done AS (
    SELECT *
    FROM item_risks($1::DATE)
    WHERE lifecycle = 'done'
      AND closed_at::TIMESTAMP::DATE > $1::DATE - $2::INTEGER
      AND ($3::VARCHAR IS NULL OR service = $3::VARCHAR)
)
SELECT coalesce(effect, CASE WHEN grouping(effect) = 0 THEN '(none)' ELSE 'all' END) AS effect,
       count(*) AS completed,
       count(risk_minutes) AS with_risk,
       count(DISTINCT CASE WHEN risk_minutes IS NOT NULL THEN reduces END) AS risks,
       round(coalesce(sum(risk_minutes), 0), 1) AS risk_weight,
       coalesce(sum(effort_days), 0) AS effort_days,
       count(effort_days) AS effort_known,
       round(sum(risk_minutes) FILTER (WHERE effort_days IS NOT NULL)
             / nullif(sum(effort_days) FILTER (WHERE risk_minutes IS NOT NULL), 0), 1) AS minutes_per_effort_day
FROM done
GROUP BY GROUPING SETS ((effect), ())
ORDER BY grouping(effect), risk_weight DESC, completed DESC, effect
