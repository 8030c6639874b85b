//! The `recur` binary: parses arguments, runs the command, and maps the
//! error chain to an exit code (0 ok, 1 runtime failure, 2 usage or
//! configuration error). anyhow is not needed: every error is typed.

use clap::Parser;
use recur::cli::{self, Cli};

fn main() {
    // Files recur creates (database, WAL, exports) hold the backlog: keep
    // them private to the user by default.
    #[cfg(unix)]
    // SAFETY: umask only changes this process's file-creation mask.
    unsafe {
        libc::umask(0o077);
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            std::process::exit(code);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("recur: cannot start the async runtime: {e}");
            std::process::exit(1);
        }
    };
    let result = runtime.block_on(cli::run(cli));
    // Leave background tasks (signal listeners, sandbox servers) behind.
    runtime.shutdown_timeout(std::time::Duration::from_secs(2));
    if let Err(e) = result {
        eprintln!("recur: {e}");
        std::process::exit(e.exit_code());
    }
}
