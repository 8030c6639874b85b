-- review/top_risks: the ten active risks with the highest expected cost in the latest scoring run, beside their values in the run before it: the movement since the last review.
-- Parameters: none.
-- Output columns: key, title, priority, bad_minutes_per_year, previous_bad_minutes, previous_priority.
WITH runs AS (
    SELECT run_id, row_number() OVER (ORDER BY scored_at DESC, run_id DESC) AS n FROM score_runs
),
latest AS (
    SELECT h.* FROM score_history h JOIN runs r ON r.run_id = h.run_id AND r.n = 1 WHERE h.active
),
previous AS (
    SELECT h.* FROM score_history h JOIN runs r ON r.run_id = h.run_id AND r.n = 2
)
SELECT l.key, l.title, l.priority, l.bad_minutes_per_year,
       p.bad_minutes_per_year AS previous_bad_minutes, p.priority AS previous_priority
FROM latest l LEFT JOIN previous p ON p.source = l.source AND p.key = l.key
ORDER BY l.bad_minutes_per_year DESC NULLS LAST, l.key
LIMIT 10
