-- 0026_tracked_since_late: tracked_since() groups the history only of the
-- items with a version that was untracked or superseded at once; every
-- other item was tracked from its creation, read from its one open version.
-- Never edit once landed: add a new file.
--
-- Why: the macro grouped every version of every item (1M groups over 10M
-- versions written in time order: 2.9 of trends flow's 3 s). Its answer is
-- the item's creation unless a version at or before the first tracked one
-- is untracked or superseded at once (0016), so only those items need
-- their history grouped. trends flow had inlined this rewrite (session of
-- 2026-12-04); it now lives here, once, for every query and every user of
-- the macro, and flow calls the macro again. Since 0023 every item has
-- exactly one version in history_open, which gives the other items their
-- row. The same rows (the test compares the answer with 0016's macro over
-- generated histories).
CREATE OR REPLACE MACRO tracked_since() AS TABLE
WITH late AS (
    SELECT DISTINCT source, key FROM item_history
    WHERE tracking <> 'tracked' OR valid_to <= valid_from
),
firsts AS (
    SELECT h.source, h.key, min(h.valid_from) AS first_version,
           min(h.valid_from) FILTER (WHERE h.tracking = 'tracked'
                                     AND (h.valid_to IS NULL OR h.valid_to > h.valid_from)) AS first_tracked,
           any_value(h.created_at) AS created_at
    FROM item_history h SEMI JOIN late l ON l.source = h.source AND l.key = h.key
    GROUP BY h.source, h.key
)
SELECT source, key,
       CASE WHEN first_tracked IS NULL THEN NULL
            WHEN first_tracked = first_version THEN created_at
            ELSE first_tracked END AS tracked_since
FROM firsts
UNION ALL
SELECT o.source, o.key, o.created_at AS tracked_since
FROM history_open o ANTI JOIN late l ON l.source = o.source AND l.key = o.key;
