-- health/quarterly_promote: themes or failure modes with three or more small action items opened or closed in --days: candidates to promote to one project.
-- Parameters: $1 as_of (DATE), $2 days (BIGINT), $3 service (VARCHAR, NULL = every service).
-- Output columns: grouped_by, value, small_items, opened, closed, effort_days, keys.
--
-- Small: effort of at most 2 days (effort_days: XS, S, or up to 2d/16h).
-- Tracked action items as they stood at the end of as_of (item_risks),
-- created or closed in the --days up to as_of. Grouped once by theme
-- (lower-cased) and once by failure mode (the risk reduced: the item's
-- risk, else its incident's); a group is listed with three or more.
-- Most items first.
WITH small AS (
    SELECT key, lower(trim(theme)) AS theme, reduces, effort_days,
           created_at::TIMESTAMP::DATE > $1::DATE - $2::INTEGER AS opened,
           state = 'closed' AND closed_at::TIMESTAMP::DATE > $1::DATE - $2::INTEGER AS closed
    FROM item_risks($1::DATE)
    WHERE effort_days <= 2 AND ($3::VARCHAR IS NULL OR service = $3::VARCHAR)
),
in_window AS (
    SELECT * FROM small WHERE opened OR closed
),
groups AS (
    SELECT 'theme' AS grouped_by, theme AS value, * EXCLUDE (theme, reduces) FROM in_window WHERE nullif(theme, '') IS NOT NULL
    UNION ALL
    SELECT 'risk', reduces, * EXCLUDE (theme, reduces) FROM in_window WHERE reduces IS NOT NULL
)
SELECT grouped_by, value, count(*) AS small_items,
       count(*) FILTER (WHERE opened) AS opened, count(*) FILTER (WHERE closed) AS closed,
       sum(effort_days) AS effort_days, list(key ORDER BY key) AS keys
FROM groups
GROUP BY grouped_by, value
HAVING count(*) >= 3
ORDER BY small_items DESC, grouped_by, value
