//! The accept loop: HTTP/1.1 connections served by hyper around an axum
//! `Router`, with a per-connection control that lets a handler kill its own
//! connection (a real TCP reset, for the `ConnectionReset` fault) and a
//! graceful shutdown. Tracker-agnostic: any fake built on a `Router` can use
//! it.
//!
//! `axum::serve` is not used because it gives a handler no way to drop the
//! connection it is answering on.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Notify};
use tokio::task::JoinSet;
use tower::ServiceExt;

/// How long [`ServerHandle::shutdown`] waits for open connections.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

/// Put in every request's extensions: lets the handler kill the connection
/// the request arrived on.
#[derive(Default)]
pub(crate) struct ConnCtl {
    kill: Notify,
}

impl ConnCtl {
    /// Closes the connection with a TCP reset and without any response;
    /// the request future is dropped with it.
    pub(crate) fn reset(&self) {
        // `notify_one` stores a permit, so the kill is not lost if the
        // connection task is not waiting at this very moment.
        self.kill.notify_one();
    }
}

/// The running accept loop.
pub(crate) struct ServerHandle {
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl ServerHandle {
    /// Asks the loop to stop without waiting.
    pub(crate) fn signal(&self) {
        let _ = self.stop.send(true);
    }

    /// Stops accepting and waits for open connections (bounded).
    pub(crate) async fn shutdown(self) {
        self.signal();
        let _ = self.task.await;
    }
}

/// Serves `router` on `listener` until [`ServerHandle::shutdown`].
pub(crate) fn spawn(listener: TcpListener, router: Router) -> ServerHandle {
    let (stop, stop_rx) = watch::channel(false);
    let task = tokio::spawn(accept_loop(listener, router, stop_rx));
    ServerHandle { stop, task }
}

async fn accept_loop(listener: TcpListener, router: Router, mut stop: watch::Receiver<bool>) {
    let mut conns = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    conns.spawn(serve_conn(stream, router.clone(), stop.clone()));
                }
                Err(e) => {
                    // Out of file descriptors and the like: back off rather
                    // than spin.
                    tracing::warn!(error = %e, "Sandbox accept failed.");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
            _ = stop.changed() => break,
        }
    }
    drop(listener);
    let drained = tokio::time::timeout(DRAIN_TIMEOUT, async {
        while conns.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        conns.abort_all();
    }
}

async fn serve_conn(stream: TcpStream, router: Router, mut stop: watch::Receiver<bool>) {
    let _ = stream.set_nodelay(true);
    // A second descriptor on the same socket, kept so that a kill can set
    // SO_LINGER to zero after hyper has taken the stream: closing then sends
    // a RST, which clients see as "connection reset", not a clean EOF.
    let (stream, twin) = match split_twin(stream) {
        Ok(pair) => pair,
        Err(e) => {
            tracing::warn!(error = %e, "Sandbox could not set up a connection.");
            return;
        }
    };
    let ctl = Arc::new(ConnCtl::default());
    let svc_ctl = ctl.clone();
    let service = hyper::service::service_fn(move |mut req: http::Request<Incoming>| {
        req.extensions_mut().insert(svc_ctl.clone());
        let router = router.clone();
        async move { router.oneshot(req.map(Body::new)).await }
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .keep_alive(true)
        .serve_connection(TokioIo::new(stream), service);
    let mut conn = Box::pin(conn);
    let mut draining = false;
    loop {
        tokio::select! {
            _ = conn.as_mut() => break,
            _ = ctl.kill.notified() => {
                let _ = socket2::SockRef::from(&twin).set_linger(Some(Duration::ZERO));
                break;
            }
            changed = stop.changed(), if !draining => {
                draining = true;
                if changed.is_ok() {
                    conn.as_mut().graceful_shutdown();
                }
            }
        }
    }
    // Both descriptors close here; with linger zero the last close resets.
    drop(conn);
    drop(twin);
}

fn split_twin(stream: TcpStream) -> std::io::Result<(TcpStream, std::net::TcpStream)> {
    let std_stream = stream.into_std()?;
    let twin = std_stream.try_clone()?;
    Ok((TcpStream::from_std(std_stream)?, twin))
}
