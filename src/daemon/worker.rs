//! Cycle workers: `recur daemon` runs each cycle (and its start-up
//! migration) in a child process, `recur worker`, and keeps only the
//! schedule, the HTTP side and the metrics itself.
//!
//! Why a process and not a task: DuckDB's buffer pool, its allocator
//! arenas and the code pages a cycle touches (sync, scoring, write-back,
//! the whole of DuckDB) stay resident in a process that ran them, so a
//! daemon that ran its cycles itself rested at 53–66 MB, most of it code it
//! would not run again for an hour; a worker's memory goes back to the
//! system when it exits. And a cycle that crashes or is killed by the
//! kernel for memory is then a failed cycle in `/healthz`, not a dead
//! daemon.
//!
//! The protocol is one JSON request line on the worker's stdin (the
//! configuration the daemon started with, and the task) and one JSON reply
//! on its stdout; its log lines go to the stderr it shares with the daemon.
//! The daemon keeps the worker's stdin open while it runs and closes it to
//! ask it to stop: the worker then stops at its next safe point, exactly
//! like a cycle run in the daemon itself. A pipe, not a signal, because a
//! signal can arrive before the worker has installed its handler (and kill
//! it), and because a daemon that dies outright closes the pipe too. The
//! worker runs in its own process group, so a terminal's Ctrl-C reaches the
//! daemon alone, which passes it on. The daemon holds the writer lock for
//! its whole life; a worker runs only under the daemon that started it (it
//! checks the lock's holder is its parent).

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use chrono::Utc;
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::http::ReportAnswer;
use super::{CycleReport, Health};
use crate::app::Error;
use crate::settings::{Secret, Settings};
use crate::shutdown::Shutdown;
use crate::store::{CycleRow, LockError, WriterLock};

/// What a worker is asked to do.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "task", rename_all = "snake_case")]
enum Task {
    /// Create or migrate the database and read the last recorded cycle.
    Start,
    /// Run one cycle; `pending` are earlier cycles not yet recorded.
    Cycle {
        /// When the daemon started the cycle: the row's `started_at`, the
        /// same in the worker's record and in the daemon's, should the
        /// worker die after recording it.
        started_at: chrono::DateTime<Utc>,
        /// The schedule's period in seconds (how long to wait for a reader).
        period_secs: u64,
        /// Earlier cycles not yet in `cycle_log`.
        pending: Vec<CycleRow>,
    },
    /// Answer a `/reports/…` request (read-only).
    Report {
        /// The report's name.
        name: String,
        /// The review pack as HTML.
        html: bool,
    },
}

/// The request on a worker's stdin.
#[derive(Serialize, Deserialize)]
struct Request {
    /// The configuration file the daemon read, when it read one.
    config_path: Option<PathBuf>,
    /// Its text as the daemon read it at start: a worker runs with the
    /// configuration the daemon validated, not with a file edited since.
    config_text: Option<String>,
    /// The task.
    #[serde(flatten)]
    task: Task,
}

/// Without the configuration text: it may hold tokens.
impl std::fmt::Debug for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Request")
            .field("config_path", &self.config_path)
            .field("config_text", &self.config_text.as_ref().map(|_| "***"))
            .field("task", &self.task)
            .finish()
    }
}

/// The reply on a worker's stdout.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Reply<T> {
    /// The task's result.
    Ok(T),
    /// Why it failed, and the exit code the same error gives a command.
    Error { message: String, exit_code: i32 },
}

/// How the daemon starts its workers.
#[derive(Debug, Clone)]
pub struct Worker {
    exe: PathBuf,
    args: Vec<String>,
    config_path: Option<PathBuf>,
    config_text: Option<Secret>,
}

impl Worker {
    /// Workers run `exe` (the recur binary) with `args` before the
    /// subcommand (the log flags `-q`, `-v`), with the configuration
    /// `settings` were read from.
    pub fn new(exe: PathBuf, args: Vec<String>, settings: &Settings) -> Self {
        Worker {
            exe,
            args,
            config_path: settings.config_path.clone(),
            config_text: settings.config_text.clone(),
        }
    }

    /// Creates or migrates the database and reads the last recorded cycle
    /// back (for `/healthz` after a restart).
    pub(super) async fn start(&self) -> Result<Health, Error> {
        match self.call::<Health>(Task::Start, None).await {
            Ok(Reply::Ok(h)) => Ok(h),
            Ok(Reply::Error {
                message,
                exit_code: 2,
            }) => Err(Error::Usage(message)),
            Ok(Reply::Error { message, .. }) => Err(Error::Runtime(message)),
            Err(e) => Err(Error::Runtime(e)),
        }
    }

    /// Runs one cycle in a worker. Never fails, it reports: a worker that
    /// dies or answers nonsense is a failed cycle (interrupted, when the
    /// daemon was stopping), kept to be recorded by the next one.
    pub(super) async fn cycle(
        &self,
        period: Duration,
        started_at: chrono::DateTime<Utc>,
        pending: Vec<CycleRow>,
        shutdown: Shutdown,
    ) -> CycleReport {
        // The cycle's clock, as a cycle in the daemon would have it
        // (RECUR_NOW in tests and replays).
        let clock = crate::clock::Clock::start_or_now();
        let task = Task::Cycle {
            started_at,
            period_secs: period.as_secs(),
            pending: pending.clone(),
        };
        let why = match self.call::<CycleReport>(task, Some(shutdown.clone())).await {
            Ok(Reply::Ok(report)) => return report,
            Ok(Reply::Error { message, .. }) => message,
            Err(e) => e,
        };
        let status = if crate::shutdown::is_requested(&shutdown) {
            "interrupted"
        } else {
            "failed"
        };
        tracing::error!(reason = %why, "Cycle {status}.");
        let mut report = CycleReport::new(started_at, clock, pending);
        report.conclude(clock, [status; 3], Some(why));
        report.keep_for_later();
        report
    }

    /// Answers a `/reports/…` request in a worker; a worker that fails
    /// is a 500 with the reason.
    pub(super) async fn report(&self, name: &str, html: bool) -> ReportAnswer {
        let task = Task::Report {
            name: name.to_string(),
            html,
        };
        let message = match self.call::<ReportAnswer>(task, None).await {
            Ok(Reply::Ok(answer)) => return answer,
            Ok(Reply::Error { message, .. }) => message,
            Err(e) => e,
        };
        tracing::error!(report = %name, reason = %message, "Report request failed.");
        ReportAnswer::error(axum::http::StatusCode::INTERNAL_SERVER_ERROR, message)
    }

    /// Starts a worker, hands it the task and reads its reply. On
    /// shutdown the worker's stdin is closed and the worker waited for: it
    /// stops at its next safe point, as a cycle in the daemon would.
    async fn call<T: serde::de::DeserializeOwned>(
        &self,
        task: Task,
        shutdown: Option<Shutdown>,
    ) -> Result<Reply<T>, String> {
        let request = Request {
            config_path: self.config_path.clone(),
            config_text: self.config_text.as_ref().map(|t| t.expose().to_string()),
            task,
        };
        let mut body = serde_json::to_vec(&request).map_err(|e| e.to_string())?;
        body.push(b'\n');
        let mut cmd = tokio::process::Command::new(&self.exe);
        cmd.args(&self.args)
            .arg("worker")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true);
        // Its own process group: a terminal's Ctrl-C reaches the daemon
        // alone, which passes the stop on through the pipe.
        #[cfg(unix)]
        cmd.process_group(0).arg0("recur");
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("cannot start a cycle worker ({}): {e}", self.exe.display()))?;
        let pid = child.id().unwrap_or(0);
        let mut stdin = child.stdin.take();
        let mut stdout = child.stdout.take().expect("piped");
        // The worker reads this line before anything else, so the write
        // waits at most for it to start. A worker that exits at once (a
        // broken binary) closes the pipe, which its status explains.
        if let Some(pipe) = stdin.as_mut() {
            let _ = pipe.write_all(&body).await;
            let _ = pipe.flush().await;
        }
        let read = async move {
            let mut out = Vec::new();
            let _ = stdout.read_to_end(&mut out).await;
            out
        };
        let wait = async {
            let mut sd = shutdown.clone();
            loop {
                tokio::select! {
                    status = child.wait() => return status,
                    _ = wait_requested(&mut sd), if stdin.is_some() => {
                        // End of input: the worker's signal to stop.
                        stdin = None;
                    }
                }
            }
        };
        let (out, status) = tokio::join!(read, wait);
        let status =
            status.map_err(|e| format!("cannot wait for the cycle worker (pid {pid}): {e}"))?;
        let ended = || {
            format!(
                "the cycle worker (pid {pid}) {}; its log lines say why",
                describe(status)
            )
        };
        match serde_json::from_slice::<Reply<T>>(&out) {
            Ok(reply) => Ok(reply),
            // A usage or configuration error before it could answer (the
            // command line's exit 2): kept as such, so the daemon exits 2
            // too when it happens at start.
            Err(_) if status.code() == Some(2) => Ok(Reply::Error {
                message: ended(),
                exit_code: 2,
            }),
            Err(_) if !status.success() => Err(ended()),
            Err(e) => Err(format!(
                "the cycle worker (pid {pid}) gave no readable answer: {e}"
            )),
        }
    }
}

/// Resolves once `sd` asks for shutdown; never without one.
async fn wait_requested(sd: &mut Option<Shutdown>) {
    match sd {
        Some(sd) => crate::shutdown::requested(sd).await,
        None => std::future::pending().await,
    }
}

/// "exited with status 3", "was killed by signal 9 (SIGKILL: out of
/// memory?)".
fn describe(status: std::process::ExitStatus) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(sig) = status.signal() {
            let hint = match sig {
                libc::SIGKILL => " (SIGKILL: the kernel's out-of-memory killer, or someone)",
                libc::SIGSEGV => " (SIGSEGV: a crash)",
                libc::SIGABRT => " (SIGABRT: an abort, e.g. a failed DuckDB assertion)",
                _ => "",
            };
            return format!("was killed by signal {sig}{hint}");
        }
    }
    match status.code() {
        Some(c) => format!("exited with status {c}"),
        None => "ended without a status".into(),
    }
}

/// `recur worker`: reads one request on stdin, runs it, writes one reply
/// on stdout. `verbosity` are the command line's log flags.
pub async fn serve(verbosity: crate::logging::Verbosity) -> Result<(), Error> {
    // stdin on a thread of its own: the request line, then the wait for
    // its end (the daemon's "stop"). Not tokio's stdin: its reads run on
    // the blocking pool, which the runtime's shutdown would wait for.
    let (line_tx, line_rx) = tokio::sync::oneshot::channel();
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    std::thread::spawn(move || {
        use std::io::BufRead;
        let mut stdin = std::io::stdin().lock();
        let mut line = String::new();
        let read = stdin.read_line(&mut line).map(|_| line);
        let _ = line_tx.send(read);
        let _ = std::io::copy(&mut stdin, &mut std::io::sink());
        let _ = stop_tx.send(true);
    });
    let line = line_rx
        .await
        .map_err(|e| Error::Runtime(e.to_string()))?
        .map_err(|e| Error::Runtime(format!("cannot read the request: {e}")))?;
    let request: Request = serde_json::from_str(&line).map_err(|e| {
        Error::Usage(format!(
            "`recur worker` runs only under `recur daemon`, which writes its request on stdin ({e})"
        ))
    })?;
    let settings = Settings::load_text(
        request.config_path.as_deref(),
        request.config_text,
        std::env::vars(),
    )?;
    crate::logging::init(&settings.log, verbosity);
    let shutdown = either(stop_rx, crate::shutdown::on_signal());
    let reply = match run(&settings, request.task, shutdown).await {
        Ok(value) => Reply::Ok(value),
        Err(e) => Reply::Error {
            message: e.to_string(),
            exit_code: e.exit_code(),
        },
    };
    let text = serde_json::to_string(&reply).map_err(|e| Error::Runtime(e.to_string()))?;
    println!("{text}");
    Ok(())
}

/// A shutdown that fires when either of two does.
fn either(a: Shutdown, b: Shutdown) -> Shutdown {
    let (tx, rx) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        let (mut a, mut b) = (a, b);
        tokio::select! {
            _ = crate::shutdown::requested(&mut a) => {}
            _ = crate::shutdown::requested(&mut b) => {}
        }
        let _ = tx.send(true);
        // Keep the sender: receivers must see `true`, not a closed channel.
        std::future::pending::<()>().await;
    });
    rx
}

async fn run(
    settings: &Settings,
    task: Task,
    shutdown: Shutdown,
) -> Result<serde_json::Value, Error> {
    // Reports only read; a cycle or the migration writes, under the lock.
    let _lock = match &task {
        Task::Report { .. } => None,
        _ => under_the_daemon(&settings.store_path)?,
    };
    let value = match task {
        Task::Report { name, html } => {
            serde_json::to_value(super::http::answer_report(settings, &name, html).await)
        }
        Task::Start => serde_json::to_value(super::start(settings).await?),
        Task::Cycle {
            started_at,
            period_secs,
            pending,
        } => {
            let report = super::run_cycle(
                settings,
                Duration::from_secs(period_secs),
                started_at,
                pending,
                shutdown,
            )
            .await;
            serde_json::to_value(report)
        }
    };
    value.map_err(|e| Error::Runtime(e.to_string()))
}

/// A worker writes only under the daemon that started it: the writer lock
/// must be held by its parent (or be free, when that parent has just died:
/// the worker then holds it itself until it exits).
fn under_the_daemon(db: &Path) -> Result<Option<WriterLock>, Error> {
    match WriterLock::acquire(db, "daemon worker") {
        Ok(lock) => Ok(Some(lock)),
        Err(LockError::Held { holder, .. }) if holder_pid(&holder) == Some(parent_pid()) => {
            Ok(None)
        }
        Err(e) => Err(e.into()),
    }
}

/// The PID in a lock holder's text (`recur daemon (pid 123)`).
fn holder_pid(holder: &str) -> Option<u32> {
    holder
        .rsplit_once("(pid ")
        .and_then(|(_, rest)| rest.strip_suffix(')'))
        .and_then(|p| p.parse().ok())
}

fn parent_pid() -> u32 {
    #[cfg(unix)]
    {
        // SAFETY: getppid has no preconditions.
        (unsafe { libc::getppid() }) as u32
    }
    #[cfg(not(unix))]
    {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lock_holder_pid_is_read_from_its_text() {
        assert_eq!(holder_pid("recur daemon (pid 4242)"), Some(4242));
        assert_eq!(holder_pid("another recur process"), None);
        assert_eq!(holder_pid("recur daemon (pid x)"), None);
    }

    #[test]
    fn a_request_never_prints_its_configuration_text() {
        let r = Request {
            config_path: None,
            config_text: Some("token = \"ghp_secret\"".into()),
            task: Task::Start,
        };
        assert!(!format!("{r:?}").contains("ghp_secret"));
    }

    #[test]
    fn requests_and_replies_round_trip() {
        let r = Request {
            config_path: Some("/etc/recur/recur.toml".into()),
            config_text: Some("[store]\npath = \"x.duckdb\"\n".into()),
            task: Task::Cycle {
                started_at: Utc::now(),
                period_secs: 3600,
                pending: vec![],
            },
        };
        let text = serde_json::to_string(&r).unwrap();
        let back: Request = serde_json::from_str(&text).unwrap();
        assert!(matches!(
            back.task,
            Task::Cycle {
                period_secs: 3600,
                ..
            }
        ));
        let reply: Reply<u32> = serde_json::from_str(
            &serde_json::to_string(&Reply::<u32>::Error {
                message: "no".into(),
                exit_code: 2,
            })
            .unwrap(),
        )
        .unwrap();
        assert!(matches!(reply, Reply::Error { exit_code: 2, .. }));
    }
}
