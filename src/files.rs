//! Files recur writes for people (reports with `--output`, `recur init`'s
//! configuration, the demo's files): private to the user, and never written
//! through a path someone else prepared.

use std::io::Write;
use std::path::Path;

/// Writes a file readable by its owner only (configurations hold tokens),
/// through a fresh temporary file in the same directory (created
/// exclusively, mode 0600) renamed into place: a symlink planted at `path`
/// is replaced, never written through, and a reader never sees half a file.
pub fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    write_private_with(path, |w| w.write_all(text.as_bytes()))
}

/// [`write_private`] with the content written by `fill` as it goes (a
/// report of hundreds of MB is never held whole in memory).
pub fn write_private_with(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".recur-")
        .suffix(".partial")
        .tempfile_in(dir)?;
    {
        let mut w = std::io::BufWriter::new(tmp.as_file_mut());
        fill(&mut w)?;
        w.flush()?;
    }
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Where a long answer is written while the database is open: an unnamed
/// temporary file (unlinked at once, so a killed process leaves nothing),
/// delivered to stdout or a file after the database is closed
/// ([`deliver`](Self::deliver)). Memory stays flat however long the
/// answer; a reader that stops reading (`recur report lint | less`) never
/// holds the database a daemon's cycle waits for; and an answer that fails
/// part-way is never shown half.
pub struct Spool(std::io::BufWriter<std::fs::File>);

impl Spool {
    /// An empty spool in the temporary directory.
    pub fn new() -> std::io::Result<Self> {
        Ok(Spool(std::io::BufWriter::with_capacity(
            256 * 1024,
            tempfile::tempfile()?,
        )))
    }

    /// Copies what was written to `path` (as [`write_private`] writes) or,
    /// without one, to stdout.
    pub fn deliver(self, path: Option<&Path>) -> std::io::Result<()> {
        use std::io::{Seek, SeekFrom};
        let mut file = self.0.into_inner().map_err(|e| e.into_error())?;
        file.seek(SeekFrom::Start(0))?;
        match path {
            Some(p) => write_private_with(p, |w| std::io::copy(&mut file, w).map(|_| ())),
            None => {
                let mut out = std::io::stdout().lock();
                std::io::copy(&mut file, &mut out)?;
                out.flush()
            }
        }
    }
}

impl Write for Spool {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Regression (files): `--output` and `recur init` replace a symlink
    /// planted at the target instead of writing through it, and the file is
    /// the owner's alone.
    #[cfg(unix)]
    #[test]
    fn write_private_replaces_a_planted_symlink_instead_of_writing_through_it() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim.txt");
        std::fs::write(&victim, "precious").unwrap();
        let out = dir.path().join("report.md");
        std::os::unix::fs::symlink(&victim, &out).unwrap();
        write_private(&out, "report").unwrap();
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
        assert!(!std::fs::symlink_metadata(&out)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "report");
        let mode = std::fs::metadata(&out).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        // No temporary file is left behind.
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 2, "{names:?}");
    }
}
