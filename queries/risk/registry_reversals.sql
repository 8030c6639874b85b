-- risk/registry_reversals: the reversals of the scoring run in force at $1: among its top risks by expected cost ([scoring] reversal_top), each pair the ordinal ranks the other way round: A costs more bad minutes a year though its ordinal score is lower.
-- Parameters: $1 = as of (TIMESTAMPTZ, RFC 3339 text); $2 = service (VARCHAR, NULL = every service: pairs with both risks in it).
-- Output columns: risk, title, bad_minutes_per_year, score, band, priority, outranks, outranks_title, outranks_bad_minutes_per_year, outranks_score, outranks_band, outranks_priority, reading.
--
-- Computed by `recur score` (src/scoring.rs, reversals) and stored in
-- score_reversals; ordered by the costlier risk's rank, then the other's.
SELECT a.key AS risk, a.title, round(a.bad_minutes_per_year, 1) AS bad_minutes_per_year,
       a.ordinal AS score, a.band, a.priority,
       b.key AS outranks, b.title AS outranks_title,
       round(b.bad_minutes_per_year, 1) AS outranks_bad_minutes_per_year,
       b.ordinal AS outranks_score, b.band AS outranks_band, b.priority AS outranks_priority,
       a.key || ' outranks ' || b.key || ' by expected cost though its ordinal score is lower ('
           || a.ordinal || ' < ' || b.ordinal || ')' AS reading
FROM score_reversals r
JOIN score_history a ON a.run_id = r.run_id AND a.source = r.source AND a.key = r.key
JOIN score_history b ON b.run_id = r.run_id AND b.source = r.other_source AND b.key = r.other_key
WHERE r.run_id = score_run_at($1::TIMESTAMPTZ)
  AND ($2::VARCHAR IS NULL OR (a.service = $2::VARCHAR AND b.service = $2::VARCHAR))
ORDER BY r.seq
