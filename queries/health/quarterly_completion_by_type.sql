-- health/quarterly_completion_by_type: quarterly review, completions in the last N days by action item type next to the open backlog's mix.
-- Parameters: $1 as_of (DATE), $2 days (BIGINT: the window ends on as_of and spans this many days; 90 by default), $3 service (VARCHAR, NULL = every service).
-- Output columns: type, effect, completed, completed_pct, dropped, open, open_pct, median_days_to_done, p90_days_to_done, small_sample.
--
-- As health/quarterly_completion_by_effect, per type (lower-cased; `(none)`
-- when missing) with the effect it maps to. Types with no completion, drop
-- or open item in scope are left out. Most completed first, then most open.
WITH p AS (
    SELECT $1::DATE AS as_of, $2::INTEGER AS days, $3::VARCHAR AS service
),
scoped AS (
    SELECT a.*, a.closed_at::TIMESTAMP AS finished
    FROM items_as_of($1::DATE) a, p
    WHERE a.kind = 'action_item' AND a.tracking = 'tracked'
      AND (p.service IS NULL OR a.service = p.service)
),
classified AS (
    SELECT s.*,
           s.lifecycle = 'done' AND s.finished::DATE BETWEEN p.as_of - p.days + 1 AND p.as_of AS completed,
           s.lifecycle IN ('declined', 'duplicate')
               AND s.finished::DATE BETWEEN p.as_of - p.days + 1 AND p.as_of AS dropped,
           s.state = 'open' AS open,
           s.finished::DATE - s.created_at::TIMESTAMP::DATE AS days_to_done
    FROM scoped s, p
),
grouped AS (
    SELECT coalesce(nullif(lower(trim(item_type)), ''), '(none)') AS type,
           coalesce(min(effect), '(unmapped)') AS effect,
           count(*) FILTER (WHERE completed) AS completed,
           count(*) FILTER (WHERE dropped) AS dropped,
           count(*) FILTER (WHERE open) AS open,
           median(days_to_done) FILTER (WHERE completed) AS median_days,
           quantile_cont(days_to_done, 0.9) FILTER (WHERE completed) AS p90_days
    FROM classified
    GROUP BY 1
)
SELECT type, effect, completed,
       coalesce(round(100.0 * completed / nullif(sum(completed) OVER (), 0), 1), 0) AS completed_pct,
       dropped, open,
       coalesce(round(100.0 * open / nullif(sum(open) OVER (), 0), 1), 0) AS open_pct,
       round(median_days, 1) AS median_days_to_done,
       round(p90_days, 1) AS p90_days_to_done,
       completed < 5 AS small_sample
FROM grouped
WHERE completed + dropped + open > 0
ORDER BY completed DESC, open DESC, type
