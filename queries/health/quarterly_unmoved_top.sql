-- health/quarterly_unmoved_top: top risks by expected cost at the last review that are still in the top and whose expected cost has not gone down, and for how many reviews they have stayed there.
-- Parameters: $1 as_of (DATE), $2 top (BIGINT), $3 review_interval_days (BIGINT), $4 service (VARCHAR, NULL = every service).
-- Output columns: risk, title, service, owner, rank_then, rank_now, bad_minutes_then, bad_minutes_now, change, reviews_in_top.
--
-- Reviews: the end of as_of and every review_interval_days ([reports]
-- review_interval_days, 28) before it, up to 12 back; each reads the
-- scoring run in force then (score_run_at). The top: the --top ([reports]
-- top_risks, 10) active risks with the most expected bad minutes per year
-- (ties by key). Listed: in the top at the review before and now, with no
-- reduction of expected bad minutes (movement is any reduction, not only a
-- change of priority band). reviews_in_top: consecutive reviews, counting
-- back from now, in which the risk was in the top. Most minutes first.
WITH p AS (
    SELECT $1::DATE AS as_of, $2::BIGINT AS top, $3::INTEGER AS step, $4::VARCHAR AS service
),
points AS (
    SELECT g.k, score_run_at((p.as_of + 1)::TIMESTAMP - INTERVAL 1 MICROSECOND - to_days((g.k * p.step)::INTEGER)) AS run_id
    FROM p, range(0, 13) AS g(k)
),
ranked AS (
    SELECT pt.k, h.source, h.key, h.title, h.service, h.owner, h.bad_minutes_per_year,
           row_number() OVER (PARTITION BY pt.k ORDER BY h.bad_minutes_per_year DESC, h.source, h.key) AS rank
    FROM points pt
    JOIN score_history h ON h.run_id = pt.run_id
    CROSS JOIN p
    WHERE h.active AND h.bad_minutes_per_year IS NOT NULL
      AND (p.service IS NULL OR h.service = p.service)
),
top AS (
    SELECT r.* FROM ranked r, p WHERE r.rank <= p.top
),
held AS (
    SELECT n.source, n.key, n.title, n.service, n.owner,
           b.rank AS rank_then, n.rank AS rank_now,
           b.bad_minutes_per_year AS then_m, n.bad_minutes_per_year AS now_m
    FROM top n JOIN top b ON b.k = 1 AND b.source = n.source AND b.key = n.key
    WHERE n.k = 0 AND n.bad_minutes_per_year >= b.bad_minutes_per_year
),
streaks AS (
    SELECT h.source, h.key,
           coalesce(min(pt.k) FILTER (WHERE t.key IS NULL), 13) AS reviews_in_top
    FROM held h
    CROSS JOIN points pt
    LEFT JOIN top t ON t.k = pt.k AND t.source = h.source AND t.key = h.key
    GROUP BY h.source, h.key
)
SELECT h.key AS risk, h.title, h.service, h.owner, h.rank_then, h.rank_now,
       round(h.then_m, 1) AS bad_minutes_then, round(h.now_m, 1) AS bad_minutes_now,
       round(h.now_m - h.then_m, 1) AS change, s.reviews_in_top
FROM held h JOIN streaks s USING (source, key)
ORDER BY h.now_m DESC, h.key, h.source
