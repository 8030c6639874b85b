-- writeback/summary: the score breakdown for recur's summary comment on each tracked action item and risk of one source.
-- Parameters: $1 source (VARCHAR).
-- Output columns: source, key, kind, state, priority, basis, risk_key, ordinal, band, impact, scope, likelihood, bad_minutes_per_year, per_year, minutes, users_pct, outage_multiplier, slo, budget_minutes, budget_share, estimated.
--
-- Risks: their own row of the latest scoring run (risk_scores). Action
-- items: the priority from action_item_scores; when it comes from a linked
-- risk, that risk's breakdown (basis 'risk', risk_key names it); from the
-- item's own priority field, no numbers (basis 'own priority').
-- Items without any score have NULL breakdown columns.
WITH p AS (SELECT $1::VARCHAR AS source)
SELECT i.source, i.key, i.kind, i.state,
       coalesce(r.priority, s.priority) AS priority,
       CASE WHEN i.kind = 'risk' AND r.key IS NOT NULL THEN 'own score' ELSE s.basis END AS basis,
       CASE WHEN i.kind = 'action_item' THEN s.risk_key END AS risk_key,
       coalesce(r.ordinal, lr.ordinal) AS ordinal,
       coalesce(r.band, lr.band, s.band) AS band,
       coalesce(r.impact, lr.impact) AS impact,
       coalesce(r.scope, lr.scope) AS scope,
       coalesce(r.likelihood, lr.likelihood) AS likelihood,
       coalesce(r.bad_minutes_per_year, lr.bad_minutes_per_year) AS bad_minutes_per_year,
       coalesce(r.per_year, lr.per_year) AS per_year,
       coalesce(r.minutes, lr.minutes) AS minutes,
       coalesce(r.users_pct, lr.users_pct) AS users_pct,
       coalesce(r.outage_multiplier_applied, lr.outage_multiplier_applied) AS outage_multiplier,
       coalesce(r.slo, lr.slo) AS slo,
       coalesce(r.budget_minutes, lr.budget_minutes) AS budget_minutes,
       coalesce(r.budget_share, lr.budget_share) AS budget_share,
       coalesce(r.estimated, lr.estimated) AS estimated
FROM items i
JOIN p ON i.source = p.source
LEFT JOIN risk_scores r ON i.kind = 'risk' AND r.source = i.source AND r.key = i.key
LEFT JOIN action_item_scores s ON i.kind = 'action_item' AND s.source = i.source AND s.key = i.key
LEFT JOIN risk_scores lr ON s.basis = 'risk' AND lr.source = s.risk_source AND lr.key = s.risk_key
WHERE i.tracking = 'tracked' AND i.kind IN ('action_item', 'risk')
ORDER BY i.key
