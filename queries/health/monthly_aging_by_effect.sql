-- health/monthly_aging_by_effect: open action items by priority and reliability effect: how many, how many older than 90 days, how many overdue ("three critical prevention items older than 90 days").
-- Parameters: $1 as_of (DATE), $2 service (VARCHAR, NULL = every service), $3 deadline_critical, $4 deadline_high, $5 deadline_medium, $6 deadline_low (BIGINT days).
-- Output columns: priority, effect, open, older_than_90, overdue, oldest_age_days.
--
-- Open as of the end of as_of (open_action_items: one definition of open
-- and overdue). priority: the level (critical, high, medium, low;
-- `(none)`); effect: prevention, detection, mitigation, recovery, learning
-- or `(none)`. Highest priority first, then the most items.
SELECT priority, effect,
       count(*) AS open,
       count(*) FILTER (WHERE age_days > 90) AS older_than_90,
       count(*) FILTER (WHERE overdue) AS overdue,
       max(age_days) AS oldest_age_days
FROM (SELECT coalesce(level, '(none)') AS priority, coalesce(effect, '(none)') AS effect, age_days, overdue
      FROM open_action_items($1::DATE, $2::VARCHAR, $3::BIGINT, $4::BIGINT, $5::BIGINT, $6::BIGINT))
GROUP BY priority, effect
ORDER BY list_position(['critical', 'high', 'medium', 'low', '(none)'], priority), open DESC, effect
