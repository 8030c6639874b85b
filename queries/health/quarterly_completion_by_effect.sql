-- health/quarterly_completion_by_effect: quarterly review, completions in the last N days by reliability effect next to the open backlog's mix: closing the right items or the easiest ones?
-- Parameters: $1 as_of (DATE), $2 days (BIGINT: the window ends on as_of and spans this many days; 90 by default), $3 service (VARCHAR, NULL = every service).
-- Output columns: effect, completed, completed_pct, dropped, open, open_pct, median_days_to_done, p90_days_to_done, small_sample.
--
-- effect: the item's reliability effect (prevention, detection, mitigation,
-- recovery, learning), which the sync derives from its type with the table
-- documented at recur_core::normalize::effect_for_type (bug fix, testing,
-- upgrade... -> prevention; alerting, monitoring, dashboards... -> detection;
-- failover, rate limiting, circuit breakers... -> mitigation; runbooks,
-- rollback, backups... -> recovery; documentation, training, investigation...
-- -> learning); `(unmapped)` when the type is missing or unknown.
-- Every item as its version in force at the end of as_of (items_as_of).
-- completed: closed as done (item_lifecycle: the tracker's closing reason,
-- never a status label) in the window; dropped: closed as declined or
-- duplicate in the window; open: open as of the date.
-- completed_pct and open_pct are shares of all completions and of all open
-- items, so the two mixes can be compared row by row. Days to done are
-- medians and 90th percentiles over the completions. small_sample: fewer
-- than 5 completions in the row. All five effects are always listed.
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
    SELECT coalesce(effect, '(unmapped)') AS effect,
           count(*) FILTER (WHERE completed) AS completed,
           count(*) FILTER (WHERE dropped) AS dropped,
           count(*) FILTER (WHERE open) AS open,
           median(days_to_done) FILTER (WHERE completed) AS median_days,
           quantile_cont(days_to_done, 0.9) FILTER (WHERE completed) AS p90_days
    FROM classified
    GROUP BY ALL
),
effects AS (
    SELECT * FROM (VALUES ('prevention', 1), ('detection', 2), ('mitigation', 3), ('recovery', 4), ('learning', 5)) v(effect, ord)
    UNION ALL
    SELECT effect, 6 FROM grouped
    WHERE effect NOT IN ('prevention', 'detection', 'mitigation', 'recovery', 'learning')
      AND completed + dropped + open > 0
)
SELECT e.effect, coalesce(g.completed, 0) AS completed,
       coalesce(round(100.0 * g.completed / nullif(sum(g.completed) OVER (), 0), 1), 0) AS completed_pct,
       coalesce(g.dropped, 0) AS dropped,
       coalesce(g.open, 0) AS open,
       coalesce(round(100.0 * g.open / nullif(sum(g.open) OVER (), 0), 1), 0) AS open_pct,
       round(g.median_days, 1) AS median_days_to_done,
       round(g.p90_days, 1) AS p90_days_to_done,
       coalesce(g.completed, 0) < 5 AS small_sample
FROM effects e LEFT JOIN grouped g USING (effect)
ORDER BY e.ord, e.effect
