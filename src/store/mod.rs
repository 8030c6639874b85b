//! The store: the only owner of the DuckDB connection.
//!
//! DuckDB's `Connection` is `Send` but not `Sync`, and every statement blocks,
//! so one dedicated thread owns it and runs jobs sent from async code
//! ([`Store::call`]). Submodules hold the SQL-facing pieces: migrations,
//! page ingestion with history, sync bookkeeping, scoring runs, write-back
//! bookkeeping and read-only queries.

mod backfill;
mod cycles;
mod export;
mod ingest;
pub mod lock;
mod migrate;
mod query;
mod reviews;
mod runs;
mod scores;
mod writeback;

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::thread::JoinHandle;

use duckdb::{AccessMode, Config, Connection};

pub use backfill::{BackfillProgress, BackfillTodo, BatchInputs, ContainerPlan};
pub use cycles::CycleRow;
pub use export::{ExportFormat, Exported, PUBLIC_TABLES};
pub use ingest::{
    prior_targets_sql, IngestStats, ItemRow, ASSIGN_ITEM_IDS, ITEM_ID_FAULTS, SETTLE_HISTORY,
};
pub use lock::{LockError, WriterLock};
pub use migrate::{migrate_to, Migration, MIGRATIONS};
pub use query::{QueryResult, RowSink};
pub use runs::{RunStats, SourceStatus};
pub use writeback::{LabelRecordRow, OpOutcome, OutboxRow, WritebackCounts};

/// Errors from the store, carrying the file and the statement that failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// Another process holds the database file open for writing.
    #[error("the database {path} is in use by another process ({holder}); stop it or use a different [store] path")]
    Locked {
        /// The file.
        path: PathBuf,
        /// What DuckDB said about the holder (it names the PID).
        holder: String,
    },
    /// The file exists but is not a DuckDB database.
    #[error("{path} is not a DuckDB database: {detail}")]
    NotADatabase {
        /// The file.
        path: PathBuf,
        /// DuckDB's message.
        detail: String,
    },
    /// The file was written by a newer recur.
    #[error("{path} has schema version {found}, newer than this recur understands ({known}); upgrade recur")]
    NewerSchema {
        /// The file.
        path: PathBuf,
        /// The version in the file.
        found: i64,
        /// The newest version this build knows.
        known: i64,
    },
    /// A read-only open of a file written by an older recur: only a
    /// writing command migrates it.
    #[error("{path} has schema version {found}, older than this recur's ({known}); run a writing command once (`recur sync`) to upgrade it")]
    OlderSchema {
        /// The file.
        path: PathBuf,
        /// The version in the file.
        found: i64,
        /// The newest version this build knows.
        known: i64,
    },
    /// A read-only open of a file that does not exist yet.
    #[error("{path} does not exist yet: run `recur sync` (or `recur demo`) first")]
    Missing {
        /// The file.
        path: PathBuf,
    },
    /// A migration failed.
    #[error("migration {name} failed: {source}")]
    Migration {
        /// The migration file name.
        name: String,
        /// DuckDB's error.
        source: duckdb::Error,
    },
    /// A named statement failed.
    #[error("{what} failed: {source}")]
    Sql {
        /// What was being done (a query file name or an operation).
        what: String,
        /// DuckDB's error.
        source: duckdb::Error,
    },
    /// Stored state that recur itself wrote could not be read back.
    #[error("corrupt {what}: {detail}")]
    Corrupt {
        /// What was being read.
        what: String,
        /// Why it could not be read.
        detail: String,
    },
    /// A file next to the database (an export) could not be written.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The error.
        source: std::io::Error,
    },
    /// A write through a read-only store.
    #[error("the database was opened read-only")]
    ReadOnly,
    /// The store's thread is gone.
    #[error("the store has been closed")]
    Closed,
}

/// Wraps a DuckDB error with what was being done.
/// A SQL string literal (single quotes doubled), for what DuckDB takes
/// only as a literal: the path of `ATTACH` or `COPY … TO`.
pub(crate) fn sql_literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

pub(crate) fn sql(what: impl Into<String>) -> impl FnOnce(duckdb::Error) -> StoreError {
    let what = what.into();
    move |source| StoreError::Sql { what, source }
}

type Job = Box<dyn FnOnce(&mut Connection) + Send>;

/// Handle to the database; clone it freely, all clones talk to one thread.
#[derive(Clone)]
pub struct Store {
    jobs: mpsc::Sender<Job>,
    path: PathBuf,
    read_only: bool,
    thread: std::sync::Arc<std::sync::Mutex<Option<JoinHandle<()>>>>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.path)
            .field("read_only", &self.read_only)
            .finish()
    }
}

/// How to open the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenMode {
    /// Read and write; creates the file and applies migrations.
    ReadWrite,
    /// Read only; the file must exist and be fully migrated.
    ReadOnly,
}

impl Store {
    /// Opens (and for [`OpenMode::ReadWrite`], creates and migrates) the
    /// database at `path`.
    /// DuckDB spills to disk beyond `memory_limit` (`"512MB"`, `[store]
    /// memory_limit`).
    pub async fn open(
        path: &Path,
        mode: OpenMode,
        memory_limit: &str,
    ) -> Result<Store, StoreError> {
        let path = path.to_path_buf();
        let p = path.clone();
        let limit = memory_limit.to_string();
        let conn = tokio::task::spawn_blocking(move || open_connection(&p, mode, &limit))
            .await
            .map_err(|_| StoreError::Closed)??;
        Ok(Self::spawn(conn, path, mode == OpenMode::ReadOnly))
    }

    /// An in-memory database with all migrations applied (tests, dry runs).
    pub fn open_in_memory() -> Result<Store, StoreError> {
        let config = Config::default()
            .with("autoinstall_known_extensions", "false")
            .and_then(|c| c.with("autoload_known_extensions", "false"))
            .map_err(sql("configure database"))?;
        let mut conn = Connection::open_in_memory_with_flags(config)
            .map_err(sql("open in-memory database"))?;
        migrate::migrate(&mut conn, Path::new(":memory:"))?;
        Ok(Self::spawn(conn, PathBuf::from(":memory:"), false))
    }

    fn spawn(mut conn: Connection, path: PathBuf, read_only: bool) -> Store {
        let (tx, rx) = mpsc::channel::<Job>();
        let thread = std::thread::Builder::new()
            .name("recur-store".into())
            .spawn(move || {
                for job in rx {
                    job(&mut conn);
                }
                // Dropping the connection here checkpoints and releases the
                // file lock before `close` returns.
                drop(conn);
            })
            .expect("spawning the store thread");
        Store {
            jobs: tx,
            path,
            read_only,
            thread: std::sync::Arc::new(std::sync::Mutex::new(Some(thread))),
        }
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `f` on the store thread.
    pub(crate) async fn call<R, F>(&self, f: F) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<R, StoreError> + Send + 'static,
    {
        self.submit(f).wait().await
    }

    /// Queues `f` on the store thread now, not when the answer is awaited:
    /// jobs run in the order they were submitted, so the caller may go on
    /// (fetch the next page) while this one runs, and any later call sees
    /// its effects.
    pub(crate) fn submit<R, F>(&self, f: F) -> Queued<R>
    where
        R: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<R, StoreError> + Send + 'static,
    {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let sent = self.jobs.send(Box::new(move |conn| {
            let _ = tx.send(f(conn));
        }));
        Queued(sent.map(|_| rx).map_err(|_| StoreError::Closed))
    }

    /// Sets the number of DuckDB's worker threads and returns the number
    /// before, to put back. A sync or a backfill runs on one: their merges
    /// are small statements over one batch that gain little from a second
    /// worker, while the fetch-and-parse side needs a core of its own — on
    /// two cores one worker made the 100k first sync 14 % faster (7.3 →
    /// 6.3 s, alternating runs), Jira's about 5 % and the backfill 11 %.
    /// Reports keep the pool.
    pub async fn set_threads(&self, threads: u32) -> Result<u32, StoreError> {
        self.call(move |conn| {
            let before: i64 = conn
                .query_row("SELECT current_setting('threads')::BIGINT", [], |r| {
                    r.get(0)
                })
                .map_err(sql("read DuckDB threads"))?;
            conn.execute_batch(&format!("SET threads = {}", threads.max(1)))
                .map_err(sql("set DuckDB threads"))?;
            Ok(before.max(1) as u32)
        })
        .await
    }

    /// Lowers DuckDB's memory limit to `cap` bytes when it is higher;
    /// `true` when it did (put the configured limit back with
    /// [`Store::set_memory_limit`]). A sync or backfill merges batches of
    /// 2,000 rows: it needs far less than the reports' limit, and DuckDB
    /// otherwise keeps its buffer pool filled up to that limit (measured on
    /// a 1M-issue first sync: a peak of 370 MB instead of 661 MB, 5 %
    /// slower).
    pub async fn cap_memory(&self, cap: u64) -> Result<bool, StoreError> {
        self.call(move |conn| {
            let text: String = conn
                .query_row("SELECT current_setting('memory_limit')", [], |r| r.get(0))
                .map_err(sql("read DuckDB memory limit"))?;
            if stated_bytes(&text).is_some_and(|current| current <= cap) {
                return Ok(false);
            }
            conn.execute_batch(&format!("SET memory_limit = '{cap}B'"))
                .map_err(sql("set DuckDB memory limit"))?;
            Ok(true)
        })
        .await
    }

    /// Writes the WAL into the database file now (DuckDB does it on close
    /// otherwise, under whatever memory limit is set then).
    pub async fn checkpoint(&self) -> Result<(), StoreError> {
        self.check_writable()?;
        self.call(|conn| conn.execute_batch("CHECKPOINT").map_err(sql("checkpoint")))
            .await
    }

    /// Sets DuckDB's memory limit (`"512MB"`: a validated `[store]
    /// memory_limit`).
    pub async fn set_memory_limit(&self, limit: &str) -> Result<(), StoreError> {
        let limit = limit.replace('\'', "");
        self.call(move |conn| {
            conn.execute_batch(&format!("SET memory_limit = '{limit}'"))
                .map_err(sql("set DuckDB memory limit"))
        })
        .await
    }

    pub(crate) fn check_writable(&self) -> Result<(), StoreError> {
        if self.read_only {
            Err(StoreError::ReadOnly)
        } else {
            Ok(())
        }
    }

    /// Closes the database and waits until the file is released.
    pub async fn close(self) {
        let thread = self.thread.lock().ok().and_then(|mut t| t.take());
        drop(self.jobs);
        if let Some(thread) = thread {
            let _ = tokio::task::spawn_blocking(move || thread.join()).await;
        }
    }
}

/// A job queued on the store thread ([`Store::submit`]); its answer comes
/// with [`Queued::wait`].
#[must_use = "a queued job's error is only seen by waiting for it"]
pub struct Queued<R>(Result<tokio::sync::oneshot::Receiver<Result<R, StoreError>>, StoreError>);

impl<R> Queued<R> {
    /// The job's answer (already there if it has run).
    pub async fn wait(self) -> Result<R, StoreError> {
        match self.0 {
            Ok(rx) => rx.await.map_err(|_| StoreError::Closed)?,
            Err(e) => Err(e),
        }
    }

    fn failed(e: StoreError) -> Self {
        Queued(Err(e))
    }
}

/// Rowid ranges `[from, to)` over the rows `sizes` lists (`rowid` and a
/// size in bytes, in rowid order), each of at most `max_rows` rows and
/// `max_bytes` bytes (a row larger alone is a range of its own), with the
/// bytes of each; the last range is open-ended. For work over every row's
/// long text (the raw JSON) that DuckDB cannot do in one statement within
/// its memory limit.
pub(crate) fn rowid_steps(
    conn: &Connection,
    sizes: &str,
    params: impl duckdb::Params,
    max_rows: usize,
    max_bytes: usize,
) -> duckdb::Result<Vec<(i64, i64, usize)>> {
    let mut steps = Vec::new();
    let mut stmt = conn.prepare(sizes)?;
    let rows = stmt.query_map(params, |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, Option<i64>>(1)?.unwrap_or(0) as usize,
        ))
    })?;
    let (mut start, mut count, mut bytes) = (None, 0, 0);
    for row in rows {
        let (rowid, len) = row?;
        let first = *start.get_or_insert(rowid);
        count += 1;
        bytes += len;
        if count >= max_rows || bytes >= max_bytes {
            steps.push((first, rowid + 1, bytes));
            (start, count, bytes) = (None, 0, 0);
        }
    }
    if let Some(first) = start {
        steps.push((first, i64::MAX, bytes));
    }
    Ok(steps)
}

fn open_connection(
    path: &Path,
    mode: OpenMode,
    memory_limit: &str,
) -> Result<Connection, StoreError> {
    if mode == OpenMode::ReadOnly && !path.exists() {
        return Err(StoreError::Missing {
            path: path.to_path_buf(),
        });
    }
    let access = match mode {
        OpenMode::ReadWrite => AccessMode::ReadWrite,
        OpenMode::ReadOnly => AccessMode::ReadOnly,
    };
    // The bundled DuckDB has no network and no ICU: never try to download
    // an extension (it would hang on a closed network and then fail with a
    // confusing message); a query that needs one fails at once instead.
    let config = Config::default()
        .access_mode(access)
        .and_then(|c| c.with("autoinstall_known_extensions", "false"))
        .and_then(|c| c.with("autoload_known_extensions", "false"))
        // A first sync writes many small transactions with large raw JSON;
        // the default 16 MB WAL threshold checkpoints (and re-compresses
        // string columns) every few pages. A checkpoint's cost grows with
        // the file, not with what changed since the last one (measured on
        // a 1M-issue first sync: 2 s for the first, 17.6 s for the ninth
        // at 256MB), so few large ones: at 1GB that sync's commits took
        // 36 s instead of 64. A kill leaves at most that much WAL, which
        // the next open replays (850 MB: 4 s, 262 MB RSS at 192MB limit).
        .and_then(|c| c.with("checkpoint_threshold", "1GB"))
        // Bounded, so a large first sync or report spills to disk instead
        // of growing the process (set by `[store] memory_limit`).
        .and_then(|c| c.with("memory_limit", memory_limit))
        .map_err(sql("configure database"))?;
    let mut conn =
        Connection::open_with_flags(path, config).map_err(|e| classify_open_error(path, e))?;
    match mode {
        OpenMode::ReadWrite => {
            migrate::migrate(&mut conn, path)?;
            // A checkpoint makes DuckDB write (and, for a new database,
            // create) the file; restrict it once it is there.
            conn.execute_batch("CHECKPOINT")
                .map_err(sql("checkpoint"))?;
            make_private(path);
        }
        OpenMode::ReadOnly => migrate::check_current(&conn, path)?,
    }
    Ok(conn)
}

/// Makes the database file readable by its owner only: it holds the
/// organisation's backlog. (DuckDB refuses a pre-created empty file, so the
/// mode is set right after it creates the file; the binary also runs with
/// umask 077 so the WAL is private from the start.)
fn make_private(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
    }
    #[cfg(not(unix))]
    let _ = path;
}

fn classify_open_error(path: &Path, e: duckdb::Error) -> StoreError {
    let msg = e.to_string();
    if msg.contains("Could not set lock") || msg.contains("Conflicting lock") {
        StoreError::Locked {
            path: path.to_path_buf(),
            holder: msg
                .split("Conflicting lock is held in")
                .nth(1)
                .map(|s| {
                    let s = s.split(" See also").next().unwrap_or(s);
                    format!("lock held by {}", s.trim().trim_end_matches('.'))
                })
                .unwrap_or(msg.clone()),
        }
    } else if msg.contains("not a valid DuckDB database")
        || msg.contains("is not a DuckDB database")
        || msg.contains("database file")
    {
        StoreError::NotADatabase {
            path: path.to_path_buf(),
            detail: msg,
        }
    } else {
        StoreError::Sql {
            what: format!("opening {}", path.display()),
            source: e,
        }
    }
}

/// Bytes of a size as DuckDB states a setting (`488.2 MiB`, `1.8 GiB`,
/// `0 bytes`); `None` for anything else.
fn stated_bytes(text: &str) -> Option<u64> {
    let (number, unit) = text.trim().split_once(' ')?;
    let n: f64 = number.parse().ok()?;
    let scale: f64 = match unit {
        "bytes" | "B" => 1.0,
        "KiB" => 1024.0,
        "MiB" => 1024.0 * 1024.0,
        "GiB" => 1024.0 * 1024.0 * 1024.0,
        "TiB" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        "KB" => 1e3,
        "MB" => 1e6,
        "GB" => 1e9,
        "TB" => 1e12,
        _ => return None,
    };
    Some((n * scale) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn threads(store: &Store) -> i64 {
        store
            .query("t", "SELECT current_setting('threads')::BIGINT", Vec::new())
            .await
            .unwrap()
            .rows[0][0]
            .as_i64()
            .unwrap()
    }

    #[tokio::test]
    async fn set_threads_returns_the_pool_it_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("t.duckdb"), OpenMode::ReadWrite, "128MB")
            .await
            .unwrap();
        store.execute_batch("t", "SET threads = 3").await.unwrap();
        let before = store.set_threads(1).await.unwrap();
        assert_eq!(before, 3);
        assert_eq!(threads(&store).await, 1);
        store.set_threads(before).await.unwrap();
        assert_eq!(threads(&store).await, 3);
        store.close().await;
    }

    async fn limit(store: &Store) -> String {
        let r = store
            .query("m", "SELECT current_setting('memory_limit')", Vec::new())
            .await
            .unwrap();
        r.rows[0][0].as_str().unwrap().to_string()
    }

    #[tokio::test]
    async fn cap_memory_lowers_only_a_higher_limit() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("m.duckdb"), OpenMode::ReadWrite, "512MB")
            .await
            .unwrap();
        let configured = limit(&store).await;
        assert!(store.cap_memory(256 << 20).await.unwrap());
        assert_eq!(limit(&store).await, "256.0 MiB");
        // At or under the cap already: left alone.
        assert!(!store.cap_memory(300 << 20).await.unwrap());
        assert_eq!(limit(&store).await, "256.0 MiB");
        store.set_memory_limit("512MB").await.unwrap();
        assert_eq!(limit(&store).await, configured);
        store.close().await;
    }

    #[test]
    fn duckdb_sizes_are_read() {
        assert_eq!(stated_bytes("256.0 MiB"), Some(256 << 20));
        assert_eq!(stated_bytes("0 bytes"), Some(0));
        assert_eq!(stated_bytes("1.5 GiB"), Some(3 << 29));
        assert_eq!(stated_bytes("lots"), None);
    }
}
