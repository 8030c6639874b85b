//! Files recur writes for people (reports with `--output`, `recur init`'s
//! configuration, the demo's files): private to the user, and never written
//! through a path someone else prepared.

use std::io::Write;
use std::path::{Path, PathBuf};

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
    let mut file = PrivateFile::create(path)?;
    fill(&mut file)?;
    file.commit()
}

/// A file being written as [`write_private`] does, for a writer that must
/// be owned (a report streamed from the store's thread). It appears at its
/// path only when [`commit`](Self::commit)ted; dropped before that, the
/// temporary file is removed and nothing was replaced.
pub struct PrivateFile {
    path: PathBuf,
    w: std::io::BufWriter<tempfile::NamedTempFile>,
}

impl PrivateFile {
    /// Starts the file that will be `path`.
    pub fn create(path: &Path) -> std::io::Result<Self> {
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        let tmp = tempfile::Builder::new()
            .prefix(".recur-")
            .suffix(".partial")
            .tempfile_in(dir)?;
        Ok(PrivateFile {
            path: path.to_path_buf(),
            w: std::io::BufWriter::new(tmp),
        })
    }

    /// Flushes, syncs and renames the file into place.
    pub fn commit(self) -> std::io::Result<()> {
        let tmp = self.w.into_inner().map_err(|e| e.into_error())?;
        tmp.as_file().sync_all()?;
        tmp.persist(&self.path).map_err(|e| e.error)?;
        Ok(())
    }
}

impl Write for PrivateFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.w.write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.w.flush()
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
