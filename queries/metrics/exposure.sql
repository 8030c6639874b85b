-- metrics/exposure: the open exposure of the latest scoring run (recur_open_bad_minutes, recur_open_budget_share) and each source's last successful sync and rate limit left.
-- Parameters: none.
-- Output columns: source, bad_minutes, budget_share, last_success_epoch, rate_remaining.
--
-- One row per source in source_state; bad_minutes and budget_share are the
-- sums over that source's active risks (budget_share a fraction: 1.0 is a
-- whole yearly error budget).
SELECT st.source,
       coalesce(sum(r.bad_minutes_per_year), 0) AS bad_minutes,
       coalesce(sum(r.budget_share), 0) AS budget_share,
       epoch(any_value(st.last_success_at)::TIMESTAMP) AS last_success_epoch,
       any_value(st.rate_remaining) AS rate_remaining
FROM source_state st
LEFT JOIN risk_scores r ON r.source = st.source AND r.active
GROUP BY st.source
ORDER BY st.source
