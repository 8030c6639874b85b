-- meta/history_inferred: whether any answer as of a day is inferred: the tracked items that existed by the end of as_of but were first synced later (meta/history_coverage's inferred, alone).
-- Parameters: $1 as_of (DATE).
-- Output columns: inferred.
--
-- The same rows as history_coverage's `inferred` (items_as_of, not
-- from_history). Asked first because it is cheap: the filter on
-- from_history leaves only items_as_of's branch for items first recorded
-- after the day (~10 ms over 1M items, where counting every tracked item
-- of the day reads the whole backlog, ~130 ms). Most days infer nothing,
-- and a report then needs no note.
SELECT count(*) AS inferred
FROM items_as_of($1::DATE)
WHERE tracking = 'tracked' AND NOT from_history
