-- health/quarterly_cross_cutting: themes with open action items in three or more services: one problem the organisation keeps meeting team by team.
-- Parameters: $1 as_of (DATE), $2 service (VARCHAR, NULL = every service).
-- Output columns: theme, services, service_list, open, keys.
--
-- Open tracked action items as of the end of as_of (open_action_items)
-- with a theme and a service; themes compared lower-cased and trimmed.
-- With --service, the themes open in that service and two or more others.
-- Most services first.
WITH open_items AS (
    SELECT lower(trim(theme)) AS theme, service, key
    FROM open_action_items($1::DATE, NULL, 0, 0, 0, 0)
    WHERE nullif(trim(theme), '') IS NOT NULL AND service IS NOT NULL
)
SELECT theme, count(DISTINCT service) AS services,
       list(DISTINCT service ORDER BY service) AS service_list,
       count(*) AS open, list(key ORDER BY key) AS keys
FROM open_items
GROUP BY theme
HAVING count(DISTINCT service) >= 3
   AND ($2::VARCHAR IS NULL OR bool_or(service = $2::VARCHAR))
ORDER BY services DESC, open DESC, theme
