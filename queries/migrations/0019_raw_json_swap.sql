-- 0019_raw_json_swap: the zstd copy of items.raw made by 0018 replaces the
-- column (same name, same NOT NULL, same comment; it is now the table's
-- last column, and every writer names its columns). Never edit once
-- landed: add a new file.
ALTER TABLE items DROP COLUMN raw;
ALTER TABLE items RENAME COLUMN raw_zstd TO raw;
ALTER TABLE items ALTER COLUMN raw SET NOT NULL;
COMMENT ON COLUMN items.raw IS 'The item''s JSON exactly as the tracker sent it.';
