//! The daemon's HTTP surface: `/healthz` and `/metrics` on `[daemon]
//! listen` (nothing of the backlog's content), and `/reports/{name}.json`
//! with the review pack at `/reports/review.html` on `[daemon]
//! reports_listen` only, behind a bearer token. Both check the `Host`
//! header ([`super::serve`]). Reports are read between cycles (they wait
//! for a running cycle to finish), through a read-only connection, so the
//! HTTP API and `recur report` give the same answers.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::json;

use super::DaemonState;
use crate::settings::Settings;
use crate::store::{OpenMode, Store};

/// How long a report request waits for a running cycle.
const REPORT_WAIT: Duration = Duration::from_secs(120);

/// `/healthz` and `/metrics`, answering only to `hosts`.
pub(super) fn ops_router(state: Arc<DaemonState>, hosts: Arc<Vec<String>>) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .with_state(state)
        .layer(axum::middleware::from_fn(move |req, next| {
            super::serve::check_host(hosts.clone(), req, next)
        }))
}

/// `/reports/*`, answering only to `hosts` and with the bearer `token`.
pub(super) fn reports_router(
    state: Arc<DaemonState>,
    hosts: Arc<Vec<String>>,
    token: Arc<String>,
) -> Router {
    Router::new()
        .route("/reports/{file}", get(report))
        .with_state(state)
        .layer(axum::middleware::from_fn(move |req, next| {
            super::serve::check_bearer(token.clone(), req, next)
        }))
        .layer(axum::middleware::from_fn(move |req, next| {
            super::serve::check_host(hosts.clone(), req, next)
        }))
}

async fn healthz(State(st): State<Arc<DaemonState>>) -> Response {
    let (healthy, body) = st.health();
    let code = if healthy {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (code, axum::Json(body)).into_response()
}

/// OpenMetrics when the scraper asks for it (Prometheus does, in its
/// `Accept`), else the classic text format, which every other reader —
/// `curl | promtool check metrics`, older agents — parses with HELP and
/// TYPE for every counter (see `metrics::openmetrics_to_text`).
async fn metrics(State(st): State<Arc<DaemonState>>, headers: header::HeaderMap) -> Response {
    let open = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.contains("application/openmetrics-text"));
    if open {
        (
            [(
                header::CONTENT_TYPE,
                "application/openmetrics-text; version=1.0.0; charset=utf-8",
            )],
            st.metrics.encode(),
        )
            .into_response()
    } else {
        (
            [(
                header::CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8",
            )],
            st.metrics.encode_text(),
        )
            .into_response()
    }
}

fn error(code: StatusCode, message: String) -> Response {
    (code, axum::Json(json!({ "error": message }))).into_response()
}

async fn report(State(st): State<Arc<DaemonState>>, Path(file): Path<String>) -> Response {
    let (name, html) = match (file.strip_suffix(".json"), file.strip_suffix(".html")) {
        (Some(n), _) => (n, false),
        (None, Some("review")) => ("review", true),
        _ => {
            return error(
                StatusCode::NOT_FOUND,
                format!("{file}: reports are served as /reports/NAME.json, the review pack as /reports/review.html"),
            )
        }
    };
    let guard = match tokio::time::timeout(REPORT_WAIT, st.cycle_lock.lock()).await {
        Ok(g) => g,
        Err(_) => {
            return error(
                StatusCode::SERVICE_UNAVAILABLE,
                "a cycle is still running; try again".into(),
            )
        }
    };
    let answer = match &st.cycles {
        super::Cycles::InProcess => answer_report(&st.settings, name, html).await,
        super::Cycles::Worker(w) => w.report(name, html).await,
    };
    drop(guard);
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if !status.is_success() {
        return error(status, answer.body);
    }
    (
        status,
        [(header::CONTENT_TYPE, answer.content_type)],
        answer.body,
    )
        .into_response()
}

/// A report request's answer, as data (it may come from a worker).
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub(crate) struct ReportAnswer {
    /// The HTTP status.
    pub status: u16,
    /// The body's content type (for a success).
    pub content_type: String,
    /// The rendered report, or the error's message.
    pub body: String,
}

impl ReportAnswer {
    pub(crate) fn error(status: StatusCode, message: String) -> Self {
        ReportAnswer {
            status: status.as_u16(),
            content_type: String::new(),
            body: message,
        }
    }
}

/// Opens the database read-only, runs the report `name` (the review pack
/// as HTML when `html`) and renders it.
pub(crate) async fn answer_report(settings: &Settings, name: &str, html: bool) -> ReportAnswer {
    // Each request is a run of its own, with its own clock.
    let clock = crate::clock::Clock::start_or_now();
    let store = match Store::open(
        &settings.store_path,
        OpenMode::ReadOnly,
        &settings.memory_limit,
    )
    .await
    {
        Ok(s) => s,
        Err(e) => return ReportAnswer::error(StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
    };
    let params = crate::reports::ReportParams {
        now: Some(clock.now()),
        ..crate::reports::ReportParams::from_settings(settings)
    };
    if html {
        let page = crate::app::review(&store, settings, clock.today(), &params).await;
        store.close().await;
        return match page {
            Ok(p) => ReportAnswer {
                status: 200,
                content_type: "text/html; charset=utf-8".into(),
                body: p,
            },
            Err(e) => ReportAnswer::error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
        };
    }
    // Rendered as the rows are read: the body is the only copy held.
    let result =
        match crate::reports::Renderer::new(Vec::new(), name, crate::reports::ReportFormat::Json) {
            Ok(out) => crate::app::report_into(&store, settings, name, &params, out)
                .await
                .and_then(|(out, _)| Ok(out.finish()?)),
            Err(e) => Err(e.into()),
        };
    store.close().await;
    match result {
        Ok(body) => ReportAnswer {
            status: 200,
            content_type: "application/json".into(),
            body: String::from_utf8(body)
                .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
        },
        Err(e) if e.exit_code() == 2 => ReportAnswer::error(StatusCode::NOT_FOUND, e.to_string()),
        Err(e) => ReportAnswer::error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}
