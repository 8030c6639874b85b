-- risk/registry_total: total open bad minutes per year against the error budget, one row per SLO in use, from the same score run as risk/registry; what is left is the unallocated budget (negative: over budget).
-- Parameters: $1 = as of (TIMESTAMPTZ, RFC 3339 text): the latest score run at or before it is used; $2 = service (VARCHAR, NULL = every service).
-- Output columns: slo, budget_minutes, active_risks, scored_risks, bad_minutes_per_year, budget_share, unallocated_budget_minutes.
SELECT h.slo, round(h.budget_minutes, 2) AS budget_minutes,
       count(*) AS active_risks,
       count(h.bad_minutes_per_year) AS scored_risks,
       round(coalesce(sum(h.bad_minutes_per_year), 0), 1) AS bad_minutes_per_year,
       round(coalesce(sum(h.bad_minutes_per_year), 0) / h.budget_minutes, 3) AS budget_share,
       round(h.budget_minutes - coalesce(sum(h.bad_minutes_per_year), 0), 1) AS unallocated_budget_minutes
FROM score_history h
WHERE h.run_id = score_run_at($1::TIMESTAMPTZ) AND h.active
  AND ($2::VARCHAR IS NULL OR h.service = $2::VARCHAR)
GROUP BY h.slo, h.budget_minutes
ORDER BY h.slo DESC;
