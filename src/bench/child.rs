//! recur itself as a child process, as an operator runs it: its output,
//! wall time and peak RSS (recur's alone, without the in-process sandbox
//! serving it); and the daemon at rest between cycles (its RSS and whether
//! it holds the database file open).
//!
//! Peak RSS is the child's `VmHWM`, read from `/proc` every 20 ms while it
//! runs, not `wait4`'s `ru_maxrss`: Linux carries the parent's high-water
//! mark into a child spawned with a shared address space (vfork, as std
//! spawns), so `ru_maxrss` reported the bench's own sandbox-laden peak.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::app::Error;

/// One finished child.
pub(crate) struct ChildRun {
    pub stdout: String,
    pub secs: f64,
    pub peak_rss_mb: f64,
    /// The child's CPU time (user and system), in seconds.
    pub cpu_s: f64,
    /// This process's CPU time while the child ran: the in-process sandbox
    /// serving it, on the same cores (and the bench's own sampling of the
    /// child every 20 ms, a few milliseconds a second).
    pub serving_cpu_s: f64,
}

/// CPU seconds (user and system) of this process (`RUSAGE_SELF`, every
/// thread) or of its waited-for children (`RUSAGE_CHILDREN`).
fn cpu_seconds(who: libc::c_int) -> f64 {
    // SAFETY: getrusage only writes the struct it is given.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrusage(who, &mut ru) } != 0 {
        return 0.0;
    }
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    secs(ru.ru_utime) + secs(ru.ru_stime)
}

fn runtime(e: impl std::fmt::Display) -> Error {
    Error::Runtime(format!("bench child: {e}"))
}

fn recur() -> Result<Command, Error> {
    let exe = std::env::current_exe().map_err(runtime)?;
    let mut c = Command::new(exe);
    // Quiet logs: the child's stderr is only read on failure.
    c.env("RECUR_LOG", "warn");
    Ok(c)
}

/// Waits for `child`, sampling its peak RSS; returns its exit code and
/// the peak in MB.
fn wait_sampling(child: &mut std::process::Child) -> Result<(i32, f64), Error> {
    let pid = child.id();
    let mut peak_kb = 0.0f64;
    loop {
        if let Some(kb) = status_kb(pid, "VmHWM:") {
            peak_kb = peak_kb.max(kb);
        }
        if let Some(status) = child.try_wait().map_err(runtime)? {
            return Ok((status.code().unwrap_or(-1), peak_kb / 1024.0));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Runs `recur ARGS` to the end (on a blocking thread: the sandbox serving
/// it lives on this process's runtime).
pub(crate) async fn run(args: Vec<String>) -> Result<ChildRun, Error> {
    tokio::task::spawn_blocking(move || {
        let t = Instant::now();
        // The bench runs one child at a time, so the children's total
        // grows by this one's alone.
        let (own0, kids0) = (
            cpu_seconds(libc::RUSAGE_SELF),
            cpu_seconds(libc::RUSAGE_CHILDREN),
        );
        let mut child = recur()?
            .args(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(runtime)?;
        let mut err = child.stderr.take().expect("piped");
        let err_reader = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = err.read_to_string(&mut s);
            s
        });
        let mut out = child.stdout.take().expect("piped");
        let out_reader = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = out.read_to_string(&mut s);
            s
        });
        let (status, peak_rss_mb) = wait_sampling(&mut child)?;
        let secs = t.elapsed().as_secs_f64();
        let cpu_s = cpu_seconds(libc::RUSAGE_CHILDREN) - kids0;
        let serving_cpu_s = cpu_seconds(libc::RUSAGE_SELF) - own0;
        let stdout = out_reader.join().unwrap_or_default();
        let stderr = err_reader.join().unwrap_or_default();
        if status != 0 {
            return Err(runtime(format!(
                "recur {} exited with status {status}: {}",
                args.join(" "),
                stderr.trim()
            )));
        }
        Ok(ChildRun {
            stdout,
            secs,
            peak_rss_mb,
            cpu_s,
            serving_cpu_s,
        })
    })
    .await
    .map_err(runtime)?
}

/// The daemon between cycles.
pub(crate) struct AtRest {
    /// RSS a few seconds after its first cycle finished.
    pub rss_mb: f64,
    /// Of it, anonymous memory (heap, stacks): what the process holds.
    pub anon_mb: f64,
    /// Of it, file-backed pages (the binary's code touched by the cycle),
    /// which the kernel may drop and read back.
    pub file_mb: f64,
    /// Peak RSS over its life (its own: cycles run in worker processes).
    pub peak_rss_mb: f64,
    /// Open descriptors of the database file (or its WAL) at rest.
    pub db_files_open: usize,
}

/// A `kB` field of `/proc/PID/status` (`VmHWM:`, `VmRSS:`, …).
pub(super) fn status_kb(pid: u32, field: &str) -> Option<f64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = s.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Starts `recur --config CONFIG daemon`, waits for its first cycle to
/// finish, lets it settle, measures it, and stops it with SIGTERM.
pub(crate) async fn daemon_at_rest(config: &Path, db: &Path) -> Result<AtRest, Error> {
    let config = config.to_path_buf();
    let db = db.to_path_buf();
    tokio::task::spawn_blocking(move || {
        let mut cmd = recur()?;
        // The log line that says a cycle finished is at info.
        cmd.env("RECUR_LOG", "info");
        let mut child = cmd
            .arg("--config")
            .arg(&config)
            .arg("daemon")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(runtime)?;
        let pid = child.id();
        let (tx, rx) = std::sync::mpsc::channel();
        let err = child.stderr.take().expect("piped");
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                if line.contains("Cycle finished.") {
                    let _ = tx.send(());
                }
            }
        });
        let finished = rx.recv_timeout(Duration::from_secs(600)).is_ok();
        let measured = if finished {
            std::thread::sleep(Duration::from_secs(3));
            let open = std::fs::read_dir(format!("/proc/{pid}/fd"))
                .map(|d| {
                    d.filter_map(Result::ok)
                        .filter_map(|e| std::fs::read_link(e.path()).ok())
                        .filter(|p| {
                            p.starts_with(&db)
                                && p.to_string_lossy().len() <= db.to_string_lossy().len() + 4
                                && !p.to_string_lossy().ends_with(".lock")
                        })
                        .count()
                })
                .unwrap_or(0);
            let mb = |f: &str| status_kb(pid, f).unwrap_or(0.0) / 1024.0;
            Some((mb("VmRSS:"), mb("RssAnon:"), mb("RssFile:"), open))
        } else {
            None
        };
        let peak_rss_mb = status_kb(pid, "VmHWM:").unwrap_or(0.0) / 1024.0;
        // SAFETY: signalling our own child, not yet reaped.
        unsafe { libc::kill(pid as libc::pid_t, libc::SIGTERM) };
        child.wait().map_err(runtime)?;
        let (rss_mb, anon_mb, file_mb, db_files_open) =
            measured.ok_or_else(|| runtime("the daemon finished no cycle within 10 minutes"))?;
        Ok(AtRest {
            rss_mb,
            anon_mb,
            file_mb,
            peak_rss_mb,
            db_files_open,
        })
    })
    .await
    .map_err(runtime)?
}
