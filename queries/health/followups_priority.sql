-- health/followups_priority: open action items whose priority is below what their linked risk or their incident's severity warrants.
-- Parameters: $1 as_of (DATE), $2 service (VARCHAR, NULL = every service).
-- Output columns: key, title, service, owner, priority, warranted, risk, risk_priority, incident, severity, reason.
--
-- As the backlog stood at the end of as_of, with the risk it reduces and
-- that risk's priority in the scoring run in force then (item_risks,
-- migration 0012). What a link warrants (the mapping, documented in the
-- README):
--   risk priority   P0 → critical, P1 → high, P2 → medium, P3 → low
--                   (risk_level); the risk the item links, else its
--                   incident's; only an active risk counts
--   severity        SEV1/S1/P0/critical → critical, SEV2/S2/P1/high → high,
--                   SEV3/S3/P2/medium → medium, SEV4 and below/low → low
--                   (severity_level)
-- warranted is the higher of the two; an item is listed when its own
-- priority level (none counts lowest) is below it. Highest warranted
-- first, then by the gap.
WITH judged AS (
    SELECT r.*, risk_level(r.risk_priority) AS by_risk, severity_level(r.inc_severity) AS by_severity
    FROM item_risks($1::DATE) r
    WHERE r.state = 'open' AND ($2::VARCHAR IS NULL OR r.service = $2::VARCHAR)
),
warranted AS (
    SELECT *,
           CASE WHEN level_rank(by_risk) >= level_rank(by_severity) THEN by_risk ELSE by_severity END AS warranted
    FROM judged
)
SELECT key, title, service, owner, coalesce(priority, '(none)') AS priority, warranted,
       CASE WHEN by_risk IS NOT NULL THEN reduces END AS risk, risk_priority,
       inc_key AS incident, inc_severity AS severity,
       concat_ws('; ',
           CASE WHEN level_rank(by_risk) > level_rank(level)
                THEN 'risk ' || reduces || ' is ' || risk_priority END,
           CASE WHEN level_rank(by_severity) > level_rank(level)
                THEN 'incident ' || inc_key || ' was ' || inc_severity END) AS reason
FROM warranted
WHERE level_rank(warranted) > level_rank(level)
ORDER BY level_rank(warranted) DESC, level_rank(warranted) - level_rank(level) DESC, key
