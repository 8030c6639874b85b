-- 0018_raw_json_zstd (first of two steps, 0019 ends it): items.raw, the
-- tracker's JSON, is stored with zstd. Never edit once landed: add a new
-- file.
--
-- Why: DuckDB picks a compression per column segment at each checkpoint,
-- and for text it tries FSST first. For the raw JSON (166 MB over 100k
-- GitHub issues, most of the file) building FSST symbol tables and
-- compressing was the largest single cost of a sync's store thread
-- (~14 % of its samples in perf), and zstd packs JSON tighter. A column
-- only takes a fixed compression from its definition (`USING
-- COMPRESSION`), so a new column replaces the old one. DuckDB refuses to
-- drop a column of a table with a primary key while the same transaction
-- holds updates to it: the copy is this migration, the swap 0019.
ALTER TABLE items ADD COLUMN raw_zstd VARCHAR USING COMPRESSION zstd;
UPDATE items SET raw_zstd = raw;
