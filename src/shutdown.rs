//! Shutdown as a value: one `watch` channel whose receiver every long-running
//! step takes as a parameter, and waits that end early when it fires. The
//! process's signal handler (SIGINT, SIGTERM) is one way to fire it; tests
//! and the daemon's HTTP side fire their own.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use tokio::sync::watch;

/// A shutdown signal: `true` once shutdown is requested.
pub type Shutdown = watch::Receiver<bool>;

/// A shutdown that never fires.
pub fn no_shutdown() -> Shutdown {
    let (tx, rx) = watch::channel(false);
    // Keep the sender alive forever so `changed()` never resolves.
    std::mem::forget(tx);
    rx
}

/// Whether shutdown has been requested.
pub fn is_requested(sd: &Shutdown) -> bool {
    *sd.borrow()
}

/// Resolves once shutdown is requested (never, if the sender is gone
/// without asking).
pub async fn requested(sd: &mut Shutdown) {
    loop {
        if *sd.borrow_and_update() {
            return;
        }
        if sd.changed().await.is_err() {
            // The sender is gone: nobody can ask for shutdown any more.
            std::future::pending::<()>().await;
        }
    }
}

/// Waits between attempts. Tests substitute a recorder so that waits are
/// asserted, not slept.
pub trait Sleeper: Send + Sync {
    /// Sleeps for `d`.
    fn sleep(&self, d: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + '_>>;
}

/// Real sleeping on the tokio timer.
#[derive(Debug, Default, Clone, Copy)]
pub struct TokioSleeper;

impl Sleeper for TokioSleeper {
    fn sleep(&self, d: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        Box::pin(tokio::time::sleep(d))
    }
}

/// Sleeps `d` on `sleeper` unless shutdown comes first; `false` on
/// shutdown.
pub async fn sleep(sleeper: &dyn Sleeper, d: Duration, shutdown: &Shutdown) -> bool {
    if is_requested(shutdown) {
        return false;
    }
    let mut sd = shutdown.clone();
    tokio::select! {
        _ = sleeper.sleep(d) => !is_requested(shutdown),
        _ = requested(&mut sd) => false,
    }
}

/// A shutdown signal that fires on SIGINT or SIGTERM.
pub fn on_signal() -> Shutdown {
    let (tx, rx) = watch::channel(false);
    tokio::spawn(async move {
        wait_for_signal().await;
        tracing::warn!("Shutdown requested; finishing the current step.");
        let _ = tx.send(true);
        // Keep the sender alive so receivers see `true`, not a closed channel.
        std::future::pending::<()>().await;
    });
    rx
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
