-- health/monthly_completed_summary: monthly review, how many items were done in the last N days, how many with evidence, and how long they took.
-- Parameters: $1 as_of (DATE), $2 days (BIGINT: the window ends on as_of and spans this many days), $3 service (VARCHAR, NULL = every service).
-- Output columns: completed, with_evidence, with_evidence_pct, small_sample, median_days_to_done, p90_days_to_done.
--
-- Done as in health/monthly_completed. small_sample: fewer than 5 completions.
-- Always one row.
WITH p AS (
    SELECT $1::DATE AS as_of, $2::INTEGER AS days, $3::VARCHAR AS service
),
done AS (
    SELECT a.closed_at::TIMESTAMP::DATE AS done_on,
           a.closed_at::TIMESTAMP::DATE - a.created_at::TIMESTAMP::DATE AS days_to_done,
           nullif(trim(a.evidence), '') IS NOT NULL AS has_evidence
    FROM items_as_of($1::DATE) a, p
    WHERE a.kind = 'action_item' AND a.tracking = 'tracked' AND a.lifecycle = 'done'
      AND (p.service IS NULL OR a.service = p.service)
)
SELECT count(*) AS completed,
       count(*) FILTER (WHERE has_evidence) AS with_evidence,
       round(100.0 * count(*) FILTER (WHERE has_evidence) / nullif(count(*), 0), 1) AS with_evidence_pct,
       count(*) < 5 AS small_sample,
       round(median(days_to_done), 1) AS median_days_to_done,
       round(quantile_cont(days_to_done, 0.9), 1) AS p90_days_to_done
FROM done, p
WHERE done_on BETWEEN p.as_of - p.days + 1 AND p.as_of
