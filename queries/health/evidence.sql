-- health/evidence: done action items without evidence of completion.
-- Parameters: $1 as_of (DATE), $2 since (DATE, NULL = every done item), $3 service (VARCHAR, NULL = every service).
-- Output columns: key, title, owner, team, service, incident_ref, done_on, days_to_done.
--
-- Done as of the date: the version in force at its end (items_as_of) is a
-- tracked action item closed as done (item_lifecycle: the tracker's closing
-- reason decides, never a status label), finished (closed_at) on or before
-- as_of and, with --since, on or after since. Without evidence: the
-- Evidence (of completion) field of that version is empty. days_to_done
-- counts from creation.
WITH p AS (
    SELECT $1::DATE AS as_of, $2::DATE AS since, $3::VARCHAR AS service
),
done AS (
    SELECT a.*, a.closed_at::TIMESTAMP::DATE AS done_on
    FROM items_as_of($1::DATE) a
    WHERE a.kind = 'action_item' AND a.tracking = 'tracked' AND a.lifecycle = 'done'
)
SELECT d.key, d.title, d.owner, d.team, d.service, d.incident_ref, d.done_on,
       d.done_on - d.created_at::TIMESTAMP::DATE AS days_to_done
FROM done d, p
WHERE (p.since IS NULL OR d.done_on >= p.since)
  AND (p.service IS NULL OR d.service = p.service)
  AND nullif(trim(d.evidence), '') IS NULL
ORDER BY d.done_on DESC, d.key, d.source
