-- review/top_risks: the ten active risks with the highest expected cost in the scoring run in force at the review, beside their values at the previous review: the movement since then.
-- Parameters: $1 as_of (TIMESTAMPTZ: the review's moment, the end of its day), $2 previous (TIMESTAMPTZ: the previous review's moment, by default one review period earlier).
-- Output columns: key, title, priority, bad_minutes_per_year, previous_bad_minutes, previous_priority.
--
-- Both runs are the scoring runs in force at those moments (score_run_at),
-- not the two latest runs: under the daemon the run before the latest is
-- minutes old and shows no movement a review cares about. A risk without a
-- row in the previous run (new since, or no run yet) has NULL previous
-- values.
WITH latest AS (
    SELECT h.* FROM score_history h WHERE h.run_id = score_run_at($1::TIMESTAMPTZ) AND h.active
),
previous AS (
    SELECT h.* FROM score_history h WHERE h.run_id = score_run_at($2::TIMESTAMPTZ)
)
SELECT l.key, l.title, l.priority, l.bad_minutes_per_year,
       p.bad_minutes_per_year AS previous_bad_minutes, p.priority AS previous_priority
FROM latest l LEFT JOIN previous p ON p.source = l.source AND p.key = l.key
ORDER BY l.bad_minutes_per_year DESC NULLS LAST, l.key, l.source
LIMIT 10
