-- health/monthly_completed: monthly review, action items done in the last N days, with or without evidence of completion.
-- Parameters: $1 as_of (DATE), $2 days (BIGINT: the window ends on as_of and spans this many days), $3 service (VARCHAR, NULL = every service).
-- Output columns: key, title, owner, service, done_on, days_to_done, has_evidence, evidence.
--
-- Done: as of the end of as_of (items_as_of) a tracked action item closed
-- as done (item_lifecycle: the tracker's closing reason decides, never a
-- status label), closed on a day in [as_of - days + 1, as_of]. Most recent
-- first.
WITH p AS (
    SELECT $1::DATE AS as_of, $2::INTEGER AS days, $3::VARCHAR AS service
),
done AS (
    SELECT a.*, a.closed_at::TIMESTAMP::DATE AS done_on
    FROM items_as_of($1::DATE) a
    WHERE a.kind = 'action_item' AND a.tracking = 'tracked' AND a.lifecycle = 'done'
)
SELECT d.key, d.title, d.owner, d.service, d.done_on,
       d.done_on - d.created_at::TIMESTAMP::DATE AS days_to_done,
       nullif(trim(d.evidence), '') IS NOT NULL AS has_evidence,
       d.evidence
FROM done d, p
WHERE d.done_on BETWEEN p.as_of - p.days + 1 AND p.as_of
  AND (p.service IS NULL OR d.service = p.service)
ORDER BY d.done_on DESC, d.key, d.source
