//! Serving the daemon's routers with the limits `axum::serve` lacks, since
//! the endpoints may face a network: a deadline for a request's headers
//! (without a timer hyper waits forever for a client that trickles bytes:
//! slowloris), a deadline for the whole connection, one request per
//! connection, a `Host` allow-list (a web page that rebinds its own DNS
//! name to 127.0.0.1 cannot read the reports through a browser), and a
//! bearer token compared in constant time for the reports.

use std::time::Duration;

use axum::extract::Request;
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;

use crate::shutdown::Shutdown;

/// How long a client may take to send a request's headers.
pub const HEADER_DEADLINE: Duration = Duration::from_secs(10);

/// How long one connection (one request: keep-alive is off) may last,
/// including a report that waits up to two minutes for a running cycle.
pub const CONNECTION_DEADLINE: Duration = Duration::from_secs(150);

/// Accepts connections on `listener` and serves `router` on each until
/// `shutdown` fires.
pub async fn serve(listener: tokio::net::TcpListener, router: Router, mut shutdown: Shutdown) {
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = crate::shutdown::requested(&mut shutdown) => return,
        };
        let (stream, _) = match accepted {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(error = %e, "Accepting a connection failed.");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let service = TowerToHyperService::new(router.clone());
        tokio::spawn(async move {
            let mut b = hyper::server::conn::http1::Builder::new();
            b.timer(TokioTimer::new())
                .header_read_timeout(HEADER_DEADLINE)
                .keep_alive(false);
            let conn = b.serve_connection(TokioIo::new(stream), service);
            if tokio::time::timeout(CONNECTION_DEADLINE, conn)
                .await
                .is_err()
            {
                tracing::debug!("A connection ran past its deadline and was closed.");
            }
        });
    }
}

/// Answers 421 to a request whose `Host` is not one of `allowed` (lower
/// case, with or without port as listed).
pub async fn check_host(
    allowed: std::sync::Arc<Vec<String>>,
    req: Request,
    next: Next,
) -> Response {
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(|h| h.trim().to_ascii_lowercase());
    match host {
        Some(h) if allowed.contains(&h) => next.run(req).await,
        _ => (
            StatusCode::MISDIRECTED_REQUEST,
            "unknown Host: set [daemon] allowed_hosts to the names clients use",
        )
            .into_response(),
    }
}

/// Answers 401 unless the request carries `Authorization: Bearer <token>`.
pub async fn check_bearer(token: std::sync::Arc<String>, req: Request, next: Next) -> Response {
    let given = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.strip_prefix("Bearer "))
        .unwrap_or("");
    if constant_time_eq(given.trim().as_bytes(), token.as_bytes()) {
        next.run(req).await
    } else {
        (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
            "reports need Authorization: Bearer <[daemon] reports_token>",
        )
            .into_response()
    }
}

/// Compares without stopping at the first difference, so the time taken
/// does not tell an attacker how much of a guess was right.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let mut diff = a.len() ^ b.len();
    for i in 0..a.len().max(b.len()) {
        let x = a.get(i).copied().unwrap_or(0);
        let y = b.get(i).copied().unwrap_or(0xff);
        diff |= usize::from(x ^ y);
    }
    diff == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_time_eq_is_equality() {
        assert!(constant_time_eq(b"secret-token-123", b"secret-token-123"));
        assert!(!constant_time_eq(b"secret-token-124", b"secret-token-123"));
        assert!(!constant_time_eq(b"secret", b"secret-token-123"));
        assert!(!constant_time_eq(b"", b"x"));
        assert!(constant_time_eq(b"", b""));
    }
}
