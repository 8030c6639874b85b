-- meta/history_coverage: how far recur's history reaches for a report as of a day: where it cannot answer, the report's metadata says so rather than guessing from today.
-- Parameters: $1 as_of (DATE).
-- Output columns: items, from_history, inferred, history_from.
--
-- Over the tracked items that existed by the end of as_of (items_as_of):
-- from_history counts those answered by the version in force then;
-- inferred those first synced later, whose state that day is inferred from
-- their earliest recorded version (open unless closed by then; other
-- fields as first recorded). history_from: the earliest recorded version
-- of any item (NULL: nothing synced yet).
SELECT count(*) AS items,
       count(*) FILTER (WHERE from_history) AS from_history,
       count(*) FILTER (WHERE NOT from_history) AS inferred,
       (SELECT min(valid_from) FROM item_history) AS history_from
FROM items_as_of($1::DATE)
WHERE tracking = 'tracked'
