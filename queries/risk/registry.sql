-- risk/registry: the risk registry: active risks (open, status neither retired nor mitigated) from the latest score run at or before $1, highest exposure (bad minutes per year) first.
-- Parameters: $1 = as of (TIMESTAMPTZ, RFC 3339 text): the latest score run at or before it is shown; $2 = service (VARCHAR, NULL = every service).
-- last_reviewed: the tracker's Last reviewed or a review recorded in recur by then, whichever is later (reviewed_on).
-- Output columns: risk, title, impact, scope, likelihood, score, band, priority, owner, status, last_reviewed, bad_minutes_per_year, budget_share, estimated, inversion, open_action_items, source, scored_at.
SELECT h.key AS risk, h.title, h.impact, h.scope, h.likelihood, h.ordinal AS score, h.band,
       h.priority, h.owner, h.status, reviewed_on(h.source, h.key, h.last_reviewed_at, CAST(CAST($1::TIMESTAMPTZ AS TIMESTAMP) AS DATE)) AS last_reviewed,
       round(h.bad_minutes_per_year, 1) AS bad_minutes_per_year,
       round(h.budget_share, 3) AS budget_share,
       h.estimated, h.inversion, h.open_action_items, h.source, h.scored_at
FROM score_history h
WHERE h.run_id = score_run_at($1::TIMESTAMPTZ) AND h.active
  AND ($2::VARCHAR IS NULL OR h.service = $2::VARCHAR)
ORDER BY h.bad_minutes_per_year DESC NULLS LAST, h.ordinal DESC NULLS LAST, h.source, h.key;
