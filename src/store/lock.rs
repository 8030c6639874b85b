//! One writer per database file, across processes and across the daemon's
//! idle time: an advisory `flock` on `<db>.lock`, holding the holder's PID.
//!
//! DuckDB's own lock only lasts while a connection is open, and the daemon
//! closes its connection between cycles so that `recur report` and `recur
//! query` can read the file then. Without this lock a second daemon, or a
//! `recur sync` run by hand, could slip into that gap and interleave its
//! writes with the daemon's cycles. Read-only commands never take it.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// The lock file beside the database.
pub fn lock_path(db: &Path) -> PathBuf {
    let mut name = db.file_name().unwrap_or_default().to_os_string();
    name.push(".lock");
    db.with_file_name(name)
}

/// Why the lock could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another recur process holds it.
    #[error(
        "the database {db} is in use by {holder}; stop it first, or use a different [store] path"
    )]
    Held {
        /// The database.
        db: PathBuf,
        /// Who, as far as the lock file says (`recur daemon (pid 123)`).
        holder: String,
    },
    /// The lock file could not be created or locked.
    #[error("cannot lock {path}: {source}")]
    Io {
        /// The lock file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
}

/// The held lock; released when dropped (or when the process dies: `flock`
/// locks go with the file descriptor, so a SIGKILL never leaves it stuck).
#[derive(Debug)]
pub struct WriterLock {
    _file: File,
    path: PathBuf,
}

impl WriterLock {
    /// Takes the lock for `db` without waiting, recording `role` and this
    /// process's PID in the file.
    pub fn acquire(db: &Path, role: &str) -> Result<WriterLock, LockError> {
        let path = lock_path(db);
        let io = |source| LockError::Io {
            path: path.clone(),
            source,
        };
        let mut opts = OpenOptions::new();
        opts.read(true).write(true).create(true).truncate(false);
        // Never through a symlink planted where the lock file goes.
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.custom_flags(libc::O_NOFOLLOW).mode(0o600);
        }
        let mut file = opts.open(&path).map_err(io)?;
        if !try_lock(&file).map_err(io)? {
            let mut text = String::new();
            let _ = file.read_to_string(&mut text);
            let holder = text.trim();
            return Err(LockError::Held {
                db: db.to_path_buf(),
                holder: if holder.is_empty() {
                    "another recur process".into()
                } else {
                    holder.to_string()
                },
            });
        }
        file.set_len(0).map_err(io)?;
        file.seek(SeekFrom::Start(0)).map_err(io)?;
        writeln!(file, "recur {role} (pid {})", std::process::id()).map_err(io)?;
        file.flush().map_err(io)?;
        Ok(WriterLock { _file: file, path })
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(unix)]
fn try_lock(file: &File) -> std::io::Result<bool> {
    use std::os::unix::io::AsRawFd;
    // SAFETY: flock on a descriptor we own; no memory is involved.
    let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    if rc == 0 {
        return Ok(true);
    }
    let err = std::io::Error::last_os_error();
    if err.raw_os_error() == Some(libc::EWOULDBLOCK) {
        Ok(false)
    } else {
        Err(err)
    }
}

#[cfg(not(unix))]
fn try_lock(_file: &File) -> std::io::Result<bool> {
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Regression (files): a symlink planted where the lock file goes is
    /// refused, not followed (it could point at any file the user owns).
    #[cfg(unix)]
    #[test]
    fn the_lock_file_is_never_opened_through_a_symlink() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim.txt");
        std::fs::write(&victim, "precious").unwrap();
        let db = dir.path().join("r.duckdb");
        std::os::unix::fs::symlink(&victim, lock_path(&db)).unwrap();
        let e = WriterLock::acquire(&db, "test").unwrap_err();
        assert!(matches!(e, LockError::Io { .. }), "{e}");
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    }

    #[test]
    fn a_second_holder_is_refused_with_the_first_ones_pid() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("r.duckdb");
        let first = WriterLock::acquire(&db, "daemon").unwrap();
        assert_eq!(first.path(), dir.path().join("r.duckdb.lock"));
        let err = WriterLock::acquire(&db, "sync").unwrap_err().to_string();
        assert!(err.contains("r.duckdb"), "{err}");
        assert!(
            err.contains(&format!("recur daemon (pid {})", std::process::id())),
            "{err}"
        );
        drop(first);
        let again = WriterLock::acquire(&db, "sync");
        assert!(again.is_ok(), "released on drop");
    }
}
