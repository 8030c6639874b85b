//! Schema migrations: the numbered files in `queries/migrations/`, applied in
//! order, each in its own transaction together with its row in
//! `schema_migrations`, so a kill during a migration leaves the previous
//! version intact. A new database takes them all in one transaction: a
//! kill leaves it empty, and its first sync does not wait for a commit per
//! file.

use std::path::Path;

use duckdb::Connection;

use super::{sql, StoreError};

/// Work a migration does outside its file's transaction (see
/// [`Migration::before`]).
pub type BeforeFile = fn(&mut Connection) -> Result<(), StoreError>;

/// One migration file.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    /// Its number (the file's `NNNN` prefix).
    pub version: i64,
    /// Its file name.
    pub name: &'static str,
    /// Its SQL.
    pub sql: &'static str,
    /// Work done before the file's own transaction, in transactions of its
    /// own: for a change too large for one (see [`copy_raw_in_steps`]).
    /// It must leave the file's SQL correct whether it ran or not, since a
    /// kill can come between the two.
    pub before: Option<BeforeFile>,
}

/// Every migration, in order. A test checks this list against the files.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "0001_init.sql",
        sql: include_str!("../../queries/migrations/0001_init.sql"),
        before: None,
    },
    Migration {
        version: 2,
        name: "0002_views.sql",
        sql: include_str!("../../queries/migrations/0002_views.sql"),
        before: None,
    },
    Migration {
        version: 3,
        name: "0003_scores.sql",
        sql: include_str!("../../queries/migrations/0003_scores.sql"),
        before: None,
    },
    Migration {
        version: 4,
        name: "0004_writeback.sql",
        sql: include_str!("../../queries/migrations/0004_writeback.sql"),
        before: None,
    },
    Migration {
        version: 5,
        name: "0005_cycles.sql",
        sql: include_str!("../../queries/migrations/0005_cycles.sql"),
        before: None,
    },
    Migration {
        version: 6,
        name: "0006_repeat_classes.sql",
        sql: include_str!("../../queries/migrations/0006_repeat_classes.sql"),
        before: None,
    },
    Migration {
        version: 7,
        name: "0007_as_of.sql",
        sql: include_str!("../../queries/migrations/0007_as_of.sql"),
        before: None,
    },
    Migration {
        version: 8,
        name: "0008_scoring_fidelity.sql",
        sql: include_str!("../../queries/migrations/0008_scoring_fidelity.sql"),
        before: None,
    },
    Migration {
        version: 9,
        name: "0009_as_of_speed.sql",
        sql: include_str!("../../queries/migrations/0009_as_of_speed.sql"),
        before: None,
    },
    Migration {
        version: 10,
        name: "0010_run_clock.sql",
        sql: include_str!("../../queries/migrations/0010_run_clock.sql"),
        before: None,
    },
    Migration {
        version: 11,
        name: "0011_hostile.sql",
        sql: include_str!("../../queries/migrations/0011_hostile.sql"),
        before: None,
    },
    Migration {
        version: 12,
        name: "0012_review_questions.sql",
        sql: include_str!("../../queries/migrations/0012_review_questions.sql"),
        before: None,
    },
    Migration {
        version: 13,
        name: "0013_backfill.sql",
        sql: include_str!("../../queries/migrations/0013_backfill.sql"),
        before: None,
    },
    Migration {
        version: 14,
        name: "0014_views_for_other_tools.sql",
        sql: include_str!("../../queries/migrations/0014_views_for_other_tools.sql"),
        before: None,
    },
    Migration {
        version: 15,
        name: "0015_ingest_one_lookup.sql",
        sql: include_str!("../../queries/migrations/0015_ingest_one_lookup.sql"),
        before: None,
    },
    Migration {
        version: 16,
        name: "0016_superseded_versions.sql",
        sql: include_str!("../../queries/migrations/0016_superseded_versions.sql"),
        before: None,
    },
    Migration {
        version: 17,
        name: "0017_as_of_pushdown.sql",
        sql: include_str!("../../queries/migrations/0017_as_of_pushdown.sql"),
        before: None,
    },
    Migration {
        version: 18,
        name: "0018_raw_json_zstd.sql",
        sql: include_str!("../../queries/migrations/0018_raw_json_zstd.sql"),
        before: Some(copy_raw_in_steps),
    },
    Migration {
        version: 19,
        name: "0019_raw_json_swap.sql",
        sql: include_str!("../../queries/migrations/0019_raw_json_swap.sql"),
        before: None,
    },
    Migration {
        version: 20,
        name: "0020_target_moves_spans.sql",
        sql: include_str!("../../queries/migrations/0020_target_moves_spans.sql"),
        before: None,
    },
    Migration {
        version: 21,
        name: "0021_item_risks_inlined.sql",
        sql: include_str!("../../queries/migrations/0021_item_risks_inlined.sql"),
        before: None,
    },
    Migration {
        version: 22,
        name: "0022_repeat_incidents_inlined.sql",
        sql: include_str!("../../queries/migrations/0022_repeat_incidents_inlined.sql"),
        before: None,
    },
    Migration {
        version: 23,
        name: "0023_history_split.sql",
        sql: include_str!("../../queries/migrations/0023_history_split.sql"),
        before: None,
    },
    Migration {
        version: 24,
        name: "0024_as_of_first_versions.sql",
        sql: include_str!("../../queries/migrations/0024_as_of_first_versions.sql"),
        before: None,
    },
    Migration {
        version: 25,
        name: "0025_target_moves_inlined.sql",
        sql: include_str!("../../queries/migrations/0025_target_moves_inlined.sql"),
        before: None,
    },
    Migration {
        version: 26,
        name: "0026_tracked_since_late.sql",
        sql: include_str!("../../queries/migrations/0026_tracked_since_late.sql"),
        before: None,
    },
    Migration {
        version: 27,
        name: "0027_target_moves_past_targets.sql",
        sql: include_str!("../../queries/migrations/0027_target_moves_past_targets.sql"),
        before: None,
    },
    Migration {
        version: 28,
        name: "0028_prior_target.sql",
        sql: include_str!("../../queries/migrations/0028_prior_target.sql"),
        before: None,
    },
    Migration {
        version: 29,
        name: "0029_repeat_stretches_end_at_the_next_closure.sql",
        sql: include_str!(
            "../../queries/migrations/0029_repeat_stretches_end_at_the_next_closure.sql"
        ),
        before: None,
    },
    Migration {
        version: 30,
        name: "0030_item_risks_one_run.sql",
        sql: include_str!("../../queries/migrations/0030_item_risks_one_run.sql"),
        before: None,
    },
    Migration {
        version: 31,
        name: "0031_closed_stretches_as_of.sql",
        sql: include_str!("../../queries/migrations/0031_closed_stretches_as_of.sql"),
        before: None,
    },
    Migration {
        version: 32,
        name: "0032_backlog_events.sql",
        sql: include_str!("../../queries/migrations/0032_backlog_events.sql"),
        before: None,
    },
    Migration {
        version: 33,
        name: "0033_item_ids.sql",
        sql: include_str!("../../queries/migrations/0033_item_ids.sql"),
        before: None,
    },
    Migration {
        version: 34,
        name: "0034_history_by_item_id.sql",
        sql: include_str!("../../queries/migrations/0034_history_by_item_id.sql"),
        before: None,
    },
    Migration {
        version: 35,
        name: "0035_ingest_seen_this_run.sql",
        sql: include_str!("../../queries/migrations/0035_ingest_seen_this_run.sql"),
        before: None,
    },
];

/// The schema version this build writes.
pub fn latest() -> i64 {
    last_version(MIGRATIONS)
}

/// The version the last of `migrations` brings (0: none).
fn last_version(migrations: &[Migration]) -> i64 {
    migrations.last().map_or(0, |m| m.version)
}

fn current_version(conn: &Connection) -> Result<i64, StoreError> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             version BIGINT PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMPTZ NOT NULL)",
    )
    .map_err(sql("create schema_migrations"))?;
    conn.query_row(
        "SELECT coalesce(max(version), 0) FROM schema_migrations",
        [],
        |r| r.get(0),
    )
    .map_err(sql("read schema version"))
}

/// Applies every pending migration.
pub fn migrate(conn: &mut Connection, path: &Path) -> Result<(), StoreError> {
    migrate_to(conn, path, latest())
}

/// Applies the pending migrations up to `target` (tests build files as an
/// older build left them).
pub fn migrate_to(conn: &mut Connection, path: &Path, target: i64) -> Result<(), StoreError> {
    apply(conn, path, MIGRATIONS, target)
}

/// Applies the `migrations` newer than the file's version, up to `target`.
/// A file with none applied yet (a new database) takes them all in one
/// transaction: over the 34 files of 2026-12 that took a new database's
/// first sync 0.69 s with a commit per file. Work before a file
/// ([`Migration::before`]) is only for rows already stored, so a new
/// database skips it.
fn apply(
    conn: &mut Connection,
    path: &Path,
    migrations: &[Migration],
    target: i64,
) -> Result<(), StoreError> {
    let found = current_version(conn)?;
    let known = last_version(migrations);
    if found > known {
        return Err(StoreError::NewerSchema {
            path: path.to_path_buf(),
            found,
            known,
        });
    }
    let pending: Vec<&Migration> = migrations
        .iter()
        .filter(|m| m.version > found && m.version <= target)
        .collect();
    // A new database: every file in one transaction. Else one each.
    let per_transaction = if found == 0 { pending.len().max(1) } else { 1 };
    for group in pending.chunks(per_transaction) {
        if found > 0 {
            for before in group.iter().filter_map(|m| m.before) {
                before(conn)?;
            }
        }
        let tx = conn.transaction().map_err(sql("begin migration"))?;
        for m in group {
            apply_file(&tx, m)?;
        }
        commit(tx, group)?;
    }
    Ok(())
}

/// Runs one migration file and records it, in the caller's transaction.
fn apply_file(tx: &duckdb::Transaction<'_>, m: &Migration) -> Result<(), StoreError> {
    tx.execute_batch(m.sql)
        .map_err(|source| StoreError::Migration {
            name: m.name.to_string(),
            source,
        })?;
    tx.execute(
        "INSERT INTO schema_migrations VALUES (?, ?, now())",
        duckdb::params![m.version, m.name],
    )
    .map_err(sql(format!("record migration {}", m.name)))?;
    Ok(())
}

/// Commits the transaction that applied `applied` (the last names the
/// transaction in an error) and logs each.
fn commit(tx: duckdb::Transaction<'_>, applied: &[&Migration]) -> Result<(), StoreError> {
    tx.commit().map_err(|source| StoreError::Migration {
        name: applied.last().map_or("", |m| m.name).to_string(),
        source,
    })?;
    for m in applied {
        tracing::info!(migration = m.name, "Migration applied.");
    }
    Ok(())
}

/// Rows of `items` per step of [`copy_raw_in_steps`], at most.
const COPY_ROWS: usize = 2000;
/// JSON per step of [`copy_raw_in_steps`], at most (one item may exceed it
/// alone; it is then a step of its own).
const COPY_BYTES: usize = 16 << 20;
/// JSON copied between two checkpoints in [`copy_raw_in_steps`].
const COPY_CHECKPOINT: usize = 32 << 20;

/// Migration 0018's copy of `items.raw` into its zstd column, its
/// [`Migration::before`]: in transactions of at most [`COPY_ROWS`] rows and
/// [`COPY_BYTES`] of JSON (by rowid), with a checkpoint after every
/// [`COPY_CHECKPOINT`]. As one UPDATE it ran a 1M-item file (1.6 GB of
/// JSON) out of memory at the default 512MB, DuckDB keeping long texts in
/// memory until a checkpoint; measured on that file in steps (python
/// duckdb, a checkpoint every 64 MB): 37.5 s, 22 checkpoints. Resumable: a kill leaves `raw` whole
/// and the copied part copied; 0018 then copies what is left (nothing,
/// once this finished) and 0019 swaps the columns.
fn copy_raw_in_steps(conn: &mut Connection) -> Result<(), StoreError> {
    conn.execute_batch(
        "ALTER TABLE items ADD COLUMN IF NOT EXISTS raw_zstd VARCHAR USING COMPRESSION zstd",
    )
    .map_err(sql("add the zstd column of items.raw"))?;
    // The steps' rowid ranges, from the sizes of what is left to copy.
    let steps = super::rowid_steps(
        conn,
        "SELECT rowid, strlen(raw) FROM items WHERE raw_zstd IS NULL ORDER BY rowid",
        [],
        COPY_ROWS,
        COPY_BYTES,
    )
    .map_err(sql("measure raw JSON"))?;
    let mut unflushed = 0;
    for (from, to, bytes) in steps {
        let tx = conn.transaction().map_err(sql("begin copying raw JSON"))?;
        tx.execute(
            "UPDATE items SET raw_zstd = raw WHERE rowid >= ? AND rowid < ? AND raw_zstd IS NULL",
            duckdb::params![from, to],
        )
        .map_err(sql("copy raw JSON"))?;
        tx.commit().map_err(sql("commit copied raw JSON"))?;
        unflushed += bytes;
        if unflushed >= COPY_CHECKPOINT {
            conn.execute_batch("CHECKPOINT")
                .map_err(sql("checkpoint copied raw JSON"))?;
            unflushed = 0;
        }
    }
    conn.execute_batch("CHECKPOINT")
        .map_err(sql("checkpoint copied raw JSON"))
}

/// For read-only opens: the file must be at exactly this build's version.
pub fn check_current(conn: &Connection, path: &Path) -> Result<(), StoreError> {
    let found: i64 = conn
        .query_row(
            "SELECT coalesce(max(version), 0) FROM schema_migrations",
            [],
            |r| r.get(0),
        )
        .map_err(|e| StoreError::NotADatabase {
            path: path.to_path_buf(),
            detail: format!("no recur schema ({e})"),
        })?;
    if found > latest() {
        return Err(StoreError::NewerSchema {
            path: path.to_path_buf(),
            found,
            known: latest(),
        });
    }
    if found < latest() {
        return Err(StoreError::OlderSchema {
            path: path.to_path_buf(),
            found,
            known: latest(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(version: i64, sql: &'static str) -> Migration {
        Migration {
            version,
            name: "test.sql",
            sql,
            before: None,
        }
    }

    fn tables(conn: &Connection) -> Vec<String> {
        let mut stmt = conn
            .prepare("SELECT table_name FROM duckdb_tables() ORDER BY 1")
            .unwrap();
        let rows = stmt.query_map([], |r| r.get(0)).unwrap();
        rows.map(Result::unwrap).collect()
    }

    /// A new database takes every migration in one transaction: one that
    /// fails leaves it as it was, empty, where a database already at a
    /// version keeps each file applied before the failing one.
    #[test]
    fn a_new_database_takes_every_migration_in_one_transaction() {
        let path = Path::new(":memory:");
        let list = [
            file(1, "CREATE TABLE a (x INT);"),
            file(2, "CREATE TABLE b (y INT);"),
            file(3, "CREATE TABLE c (z INT);"),
            file(4, "not sql at all"),
        ];
        let mut new = Connection::open_in_memory().unwrap();
        let e = apply(&mut new, path, &list, 4).unwrap_err();
        assert!(matches!(e, StoreError::Migration { .. }), "{e}");
        assert_eq!(current_version(&new).unwrap(), 0);
        assert_eq!(tables(&new), ["schema_migrations"]);
        // Applied whole, it is what the files make, each recorded.
        apply(&mut new, path, &list[..3], 3).unwrap();
        assert_eq!(tables(&new), ["a", "b", "c", "schema_migrations"]);
        let recorded: i64 = new
            .query_row("SELECT count(*) FROM schema_migrations", [], |r| r.get(0))
            .unwrap();
        assert_eq!(recorded, 3);

        let mut old = Connection::open_in_memory().unwrap();
        apply(&mut old, path, &list[..1], 1).unwrap();
        assert!(apply(&mut old, path, &list, 4).is_err());
        assert_eq!(current_version(&old).unwrap(), 3);
        assert_eq!(tables(&old), ["a", "b", "c", "schema_migrations"]);
    }

    /// Regression (closure beats a status label, for data stored before
    /// 0007): upgrading re-derives closed items' status from their closing
    /// reason and keeps the contradicting label value as stated_status.
    #[test]
    fn upgrading_to_0007_lets_closure_beat_stored_status_labels() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate_to(&mut conn, Path::new(":memory:"), 6).unwrap();
        conn.execute_batch(
            "INSERT INTO items (source, key, kind, tracking, container, state, state_reason, status, \
               tracker_status, owner, created_at, updated_at, content_hash, raw, first_seen_at, last_synced_at) \
             SELECT 'gh', k, 'action_item', 'tracked', 'a', st, reason, status, NULL, 'bob', \
               now(), now(), 'h', '{}', now(), now() \
             FROM (VALUES ('a#1', 'closed', 'completed', 'in progress'), ('a#2', 'closed', 'not_planned', 'declined'), \
                          ('a#3', 'closed', 'duplicate', 'closed'), ('a#4', 'closed', 'Won''t Do', 'closed'), \
                          ('a#5', 'open', NULL, 'done'), ('a#6', 'open', NULL, 'in progress')) v(k, st, reason, status); \
             INSERT INTO item_history (source, key, kind, tracking, container, state, state_reason, status, owner, \
               created_at, updated_at, content_hash, valid_from, recorded_at) \
             SELECT source, key, kind, tracking, container, state, state_reason, status, owner, created_at, updated_at, \
               content_hash, updated_at, updated_at FROM items;",
        )
        .unwrap();
        migrate(&mut conn, Path::new(":memory:")).unwrap();
        for table in ["action_items", "item_history"] {
            let mut stmt = conn
                .prepare(&format!(
                    "SELECT key, status, stated_status, item_lifecycle(state, status) FROM {table} ORDER BY key"
                ))
                .unwrap();
            let rows: Vec<(String, String, Option<String>, String)> = stmt
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
                .unwrap()
                .map(Result::unwrap)
                .collect();
            let got: Vec<String> = rows
                .iter()
                .map(|(k, s, st, l)| format!("{k} {s} {} {l}", st.as_deref().unwrap_or("-")))
                .collect();
            assert_eq!(
                got,
                [
                    "a#1 done in progress done",
                    "a#2 declined - declined",
                    "a#3 duplicate - duplicate",
                    "a#4 declined - declined",
                    "a#5 accepted done open",
                    "a#6 in progress - open",
                ],
                "{table}"
            );
        }
    }
}
