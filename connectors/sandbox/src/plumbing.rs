//! The request plumbing every fake tracker shares: taking a request apart,
//! reading its body (bounded), asking the fault plan, answering the
//! transport-level faults, and counting every answer under its route
//! template. A tracker plugs in through [`Tracker`] and keeps what is its
//! own: routing, authentication, budgets, error formats, headers and the
//! endpoints.
//!
//! Flow of [`handle`]: route → body (too large: the tracker's 413) → fault
//! → [`Tracker::serve`] → log. A faulted request is not executed, except
//! for the faults that only shape the answer: a stall waits first,
//! [`Fault::SelfLink`] is passed to the tracker (only it knows where its
//! paging pointer lives) and [`Fault::Trickle`] slows the body down. The
//! error faults (rate limits, 5xx, HTML pages, 401, client errors) are
//! answered by the tracker in its own format ([`Tracker::refuse`]); the
//! transport faults (reset, cut-off body, cut-off JSON, oversize body) are
//! answered here, around documents and headers the tracker supplies.
//!
//! Every request is logged exactly once, when its answer is ready, with
//! the answer's status; a reset connection logs status 0.
//!
//! An answer the tracker served (or refused) without a fault is sent
//! gzip-compressed when the request says `Accept-Encoding: gzip`, as the
//! real trackers do, and counted as such; faulted answers never are, so a
//! fault shapes exactly the bytes a test asked for.

use std::borrow::Cow;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::Response;
use bytes::Bytes;
use http::header::{self, HeaderMap, HeaderValue};
use http::{Method, StatusCode};

use crate::counters::{Counters, RequestRecord};
use crate::faults::{Fault, Faults};
use crate::server::ConnCtl;

/// Largest request body read.
const MAX_REQUEST_BYTES: usize = 32 << 20;

/// A request taken apart, as every tracker sees it (the body comes
/// separately, once read).
pub(crate) struct Inbound {
    pub parts: http::request::Parts,
    /// The path and query exactly as requested: what fault rules match and
    /// the log shows.
    pub path_and_query: String,
    /// The raw query string; empty when there is none.
    pub query: String,
    /// The tracker's sequence number for this request, for its request-id
    /// headers.
    pub request_id: u64,
}

impl Inbound {
    pub(crate) fn method(&self) -> &Method {
        &self.parts.method
    }

    pub(crate) fn headers(&self) -> &HeaderMap {
        &self.parts.headers
    }

    /// Where the request came in, `http://{Host}` (or `fallback` without a
    /// `Host`): absolute URLs in answers (`Link`, `Location`, `self`) point
    /// there, so a client that reached the sandbox by another name follows
    /// them back.
    pub(crate) fn base(&self, fallback: &str) -> String {
        self.headers()
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .filter(|h| !h.is_empty())
            .map(|h| format!("http://{h}"))
            .unwrap_or_else(|| fallback.to_string())
    }
}

/// A percent-decoded path segment (repository names, issue keys, label
/// names, property keys).
pub(crate) fn decode_segment(seg: &str) -> String {
    percent_encoding::percent_decode_str(seg)
        .decode_utf8_lossy()
        .into_owned()
}

/// Decoded query parameters in request order, repeated keys kept.
pub(crate) struct Params(Vec<(String, String)>);

impl Params {
    pub(crate) fn parse(query: &str) -> Self {
        Params(
            url::form_urlencoded::parse(query.as_bytes())
                .into_owned()
                .collect(),
        )
    }

    /// The first value of `key`.
    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of `key`, in order.
    pub(crate) fn all(&self, key: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .collect()
    }
}

/// The faults a tracker answers itself, in its own error format and with
/// its own headers, without executing the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ErrorFault {
    /// [`Fault::SecondaryLimit`].
    SecondaryLimit {
        status: u16,
        retry_after: Option<u64>,
    },
    /// [`Fault::PrimaryExhausted`].
    PrimaryExhausted { reset_in_secs: u64 },
    /// [`Fault::ServerError`].
    ServerError { status: u16 },
    /// [`Fault::Unauthorized`].
    Unauthorized,
    /// [`Fault::HtmlError`].
    HtmlError { status: u16 },
    /// [`Fault::ClientError`].
    ClientError { status: u16, message: String },
}

/// What [`Tracker::serve`] did.
pub(crate) enum Served {
    /// The request ran; its answer goes after `think`, the server's own
    /// time (a slow site's large page), and a [`Fault::Trickle`] slows it
    /// down.
    Executed { resp: Response, think: Duration },
    /// Turned away before running (credentials, budget): sent as it is.
    Refused(Response),
}

/// What a fake tracker plugs into [`handle`].
pub(crate) trait Tracker: Send + Sync + 'static {
    /// The tracker's reading of a request: its endpoint, its caller, the
    /// base URL of its links.
    type Routed: Send + Sync;

    fn counters(&self) -> &Counters;

    fn faults(&self) -> &Faults;

    /// The next request id (a per-tracker sequence).
    fn next_request_id(&self) -> u64;

    /// The route template the request counts under (`"{METHOD} (unmatched)"`
    /// when none fits) and the tracker's reading of it.
    fn route(&self, rq: &Inbound) -> (Cow<'static, str>, Self::Routed);

    /// The answer to a body larger than the plumbing reads.
    fn too_large(&self, rq: &Inbound, routed: &Self::Routed) -> Response;

    /// The answer to an error fault.
    fn refuse(&self, rq: &Inbound, routed: &Self::Routed, fault: ErrorFault) -> Response;

    /// The whole document a cut-off fault ([`Fault::TruncatedBody`],
    /// [`Fault::MalformedJson`]) sends part of. Reads change nothing, so
    /// they may be rendered for real; anything else gets a stand-in.
    fn full_document(&self, rq: &Inbound, routed: &Self::Routed, body: &[u8]) -> Vec<u8>;

    /// A `200` JSON answer carrying `body`, with the tracker's usual
    /// headers.
    fn ok_json(&self, rq: &Inbound, routed: &Self::Routed, body: Bytes) -> Response;

    /// An empty answer with the tracker's fixed headers: what
    /// [`Fault::ConnectionReset`] falls back to on a connection that cannot
    /// be reset.
    fn bare(&self, rq: &Inbound, status: StatusCode) -> Response;

    /// Runs the request: authentication, budget, endpoint, and the answer
    /// with its headers. `self_link` asks for a [`Fault::SelfLink`] answer.
    fn serve(&self, rq: &Inbound, routed: Self::Routed, body: &[u8], self_link: bool) -> Served;
}

/// The axum handler of a tracker: every request, matched or not, goes
/// through here.
pub(crate) async fn handle<T: Tracker>(State(t): State<Arc<T>>, req: Request) -> Response {
    let t = &*t;
    let (parts, body) = req.into_parts();
    let path_and_query = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "/".to_string());
    let query = parts.uri.query().unwrap_or("").to_string();
    let rq = Inbound {
        parts,
        path_and_query,
        query,
        request_id: t.next_request_id(),
    };
    let (route, routed) = t.route(&rq);
    let record = |status: u16, fault: Option<&str>, gzipped: bool| {
        t.counters().record(
            &route,
            RequestRecord {
                method: rq.method().to_string(),
                path_and_query: rq.path_and_query.clone(),
                status,
                fault: fault.map(str::to_string),
                not_modified: status == StatusCode::NOT_MODIFIED.as_u16(),
                gzipped,
            },
        );
    };
    let logged = |resp: Response, fault: Option<&str>| {
        let gzipped = resp
            .headers()
            .get(header::CONTENT_ENCODING)
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"gzip"));
        record(resp.status().as_u16(), fault, gzipped);
        resp
    };
    let gzip = accepts_gzip(rq.headers()) && rq.method() != Method::HEAD;
    let body = match axum::body::to_bytes(body, MAX_REQUEST_BYTES).await {
        Ok(b) => b,
        Err(_) => return logged(t.too_large(&rq, &routed), None),
    };

    let mut fault_name = None;
    let mut self_link = false;
    let mut trickle = None;
    if let Some(fault) = t.faults().pick(&rq.path_and_query) {
        fault_name = Some(fault.name());
        let error = match fault {
            Fault::Stall { millis } => {
                tokio::time::sleep(Duration::from_millis(millis)).await;
                None
            }
            Fault::SelfLink => {
                self_link = true;
                None
            }
            Fault::Trickle { millis } => {
                trickle = Some(millis);
                None
            }
            Fault::ConnectionReset => {
                record(0, fault_name, false);
                return match rq.parts.extensions.get::<Arc<ConnCtl>>() {
                    Some(ctl) => {
                        ctl.reset();
                        // The connection task drops this future with the
                        // socket.
                        std::future::pending::<Response>().await
                    }
                    None => t.bare(&rq, StatusCode::BAD_GATEWAY),
                };
            }
            Fault::TruncatedBody | Fault::MalformedJson => {
                let full = Bytes::from(t.full_document(&rq, &routed, &body));
                let resp = if fault == Fault::MalformedJson {
                    t.ok_json(&rq, &routed, cut_document(&full))
                } else {
                    let (parts, _) = t.ok_json(&rq, &routed, full.clone()).into_parts();
                    truncated_response(parts, full)
                };
                return logged(resp, fault_name);
            }
            Fault::Oversize { bytes } => return logged(oversize_response(bytes), fault_name),
            Fault::SecondaryLimit {
                status,
                retry_after,
            } => Some(ErrorFault::SecondaryLimit {
                status,
                retry_after,
            }),
            Fault::PrimaryExhausted { reset_in_secs } => {
                Some(ErrorFault::PrimaryExhausted { reset_in_secs })
            }
            Fault::ServerError { status } => Some(ErrorFault::ServerError { status }),
            Fault::Unauthorized => Some(ErrorFault::Unauthorized),
            Fault::HtmlError { status } => Some(ErrorFault::HtmlError { status }),
            Fault::ClientError { status, message } => {
                Some(ErrorFault::ClientError { status, message })
            }
        };
        if let Some(e) = error {
            return logged(t.refuse(&rq, &routed, e), fault_name);
        }
    }

    let compress = gzip && fault_name.is_none();
    match t.serve(&rq, routed, &body, self_link) {
        Served::Executed { resp, think } => {
            if !think.is_zero() {
                tokio::time::sleep(think).await;
            }
            let resp = if compress { gzipped(resp).await } else { resp };
            let resp = logged(resp, fault_name);
            match trickle {
                Some(millis) => trickled(resp, millis),
                None => resp,
            }
        }
        Served::Refused(resp) => {
            let resp = if compress { gzipped(resp).await } else { resp };
            logged(resp, fault_name)
        }
    }
}

/// Whether `Accept-Encoding` lists `gzip` (or `*`) with a non-zero weight.
fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|item| {
            let mut parts = item.split(';').map(str::trim);
            let coding = parts.next().unwrap_or("");
            let refused = parts.any(|p| {
                p.strip_prefix("q=")
                    .and_then(|q| q.trim().parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            (coding.eq_ignore_ascii_case("gzip") || coding == "*") && !refused
        })
}

/// `resp` with its body gzip-compressed (`Content-Encoding: gzip`, the
/// compressed `Content-Length`, `Vary: Accept-Encoding`). Empty bodies
/// (a 304, a 204) and answers already encoded go as they are.
async fn gzipped(resp: Response) -> Response {
    use std::io::Write;
    if resp.headers().contains_key(header::CONTENT_ENCODING)
        || matches!(
            resp.status(),
            StatusCode::NO_CONTENT | StatusCode::NOT_MODIFIED
        )
    {
        return resp;
    }
    let (mut parts, body) = resp.into_parts();
    let plain = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(b) => b,
        // Only the streaming fault bodies can fail, and those are never
        // compressed; a 502 rather than a panic if one ever gets here.
        Err(_) => {
            parts.status = StatusCode::BAD_GATEWAY;
            return Response::from_parts(parts, Body::empty());
        }
    };
    if plain.is_empty() {
        return Response::from_parts(parts, Body::from(plain));
    }
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let packed = enc
        .write_all(&plain)
        .and_then(|()| enc.finish())
        .expect("gzip into memory does not fail");
    parts
        .headers
        .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    parts
        .headers
        .insert(header::CONTENT_LENGTH, HeaderValue::from(packed.len()));
    parts
        .headers
        .append(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    Response::from_parts(parts, Body::from(packed))
}

/// `body` cut roughly in half, for [`Fault::MalformedJson`]: never the
/// whole document, never empty (unless the document is).
fn cut_document(body: &Bytes) -> Bytes {
    let keep = (body.len() / 2).max(1).min(body.len().saturating_sub(1));
    body.slice(..keep)
}

/// For [`Fault::TruncatedBody`]: `parts` with the full `Content-Length` of
/// `body`, but only part of the body is sent before the connection closes.
fn truncated_response(mut parts: http::response::Parts, body: Bytes) -> Response {
    parts
        .headers
        .insert(header::CONTENT_LENGTH, HeaderValue::from(body.len()));
    let partial = cut_document(&body);
    let head = futures::stream::once(async move { Ok::<Bytes, std::io::Error>(partial) });
    let tail = futures::stream::once(async {
        // Let hyper flush the partial body first; erroring the body then
        // makes hyper close the connection mid-message.
        tokio::time::sleep(Duration::from_millis(30)).await;
        Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionAborted,
            "sandbox: body truncated on purpose",
        ))
    });
    use futures::StreamExt;
    Response::from_parts(parts, Body::from_stream(head.chain(tail)))
}

/// For [`Fault::Trickle`]: the same answer with its body sent one byte at
/// a time.
fn trickled(resp: Response, millis: u64) -> Response {
    let (mut parts, body) = resp.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    let stream = futures::stream::unfold(
        (body, None::<(Bytes, usize)>),
        move |(body, cur)| async move {
            let (bytes, at) = match cur {
                Some(c) => c,
                None => (axum::body::to_bytes(body, usize::MAX).await.ok()?, 0),
            };
            if at >= bytes.len() {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(millis)).await;
            let one = bytes.slice(at..at + 1);
            Some((
                Ok::<Bytes, std::io::Error>(one),
                (Body::empty(), Some((bytes, at + 1))),
            ))
        },
    );
    Response::from_parts(parts, Body::from_stream(stream))
}

/// For [`Fault::Oversize`]: a 200 whose body is `bytes` long, streamed in
/// 64 KiB chunks without a `Content-Length`.
fn oversize_response(bytes: usize) -> Response {
    const CHUNK: usize = 64 * 1024;
    let stream = futures::stream::unfold(0usize, move |sent| async move {
        if sent >= bytes {
            return None;
        }
        let n = CHUNK.min(bytes - sent);
        let mut chunk = vec![b' '; n];
        if sent == 0 {
            chunk[0] = b'[';
        }
        if sent + n == bytes {
            chunk[n - 1] = b']';
        }
        Some((Ok::<Bytes, std::io::Error>(Bytes::from(chunk)), sent + n))
    });
    let mut resp = Response::new(Body::from_stream(stream));
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_encoding_is_read_with_its_weights() {
        let h = |v: &str| {
            let mut m = HeaderMap::new();
            m.insert(header::ACCEPT_ENCODING, HeaderValue::from_str(v).unwrap());
            accepts_gzip(&m)
        };
        assert!(h("gzip"));
        assert!(h("br, GZIP;q=0.5"));
        assert!(h("*"));
        assert!(!h("identity"));
        assert!(!h("gzip;q=0"));
        assert!(!h("br, deflate"));
        assert!(!accepts_gzip(&HeaderMap::new()));
    }

    #[tokio::test]
    async fn a_gzipped_answer_decodes_to_the_same_body() {
        use std::io::Read;
        let body = r#"[{"number":1,"title":"x"}]"#.repeat(50);
        let resp = gzipped(Response::new(Body::from(body.clone()))).await;
        assert_eq!(resp.headers()[header::CONTENT_ENCODING], "gzip");
        let packed = axum::body::to_bytes(resp.into_body(), usize::MAX)
            .await
            .unwrap();
        assert!(packed.len() < body.len());
        let mut out = String::new();
        flate2::read::GzDecoder::new(&packed[..])
            .read_to_string(&mut out)
            .unwrap();
        assert_eq!(out, body);
        let empty = Response::builder()
            .status(StatusCode::NOT_MODIFIED)
            .body(Body::empty())
            .unwrap();
        let resp = gzipped(empty).await;
        assert!(!resp.headers().contains_key(header::CONTENT_ENCODING));
    }

    #[test]
    fn cut_document_is_never_whole() {
        let b = Bytes::from_static(b"[{\"a\":1}]");
        let c = cut_document(&b);
        assert!(!c.is_empty() && c.len() < b.len());
        assert!(serde_json::from_slice::<serde_json::Value>(&c).is_err());
        assert_eq!(cut_document(&Bytes::from_static(b"[]")).len(), 1);
    }
}
