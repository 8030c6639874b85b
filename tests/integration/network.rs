//! Corporate networks (issue #18): a private CA (`ca_file`), proxies (the
//! `proxy` key, `HTTPS_PROXY` in the environment, `NO_PROXY`) and gzip, for
//! both connectors.
//!
//! Everything stays on loopback: a TLS front with a certificate for
//! 127.0.0.1 signed by a CA made in the test forwards to the plain sandbox,
//! and a CONNECT proxy made in the test counts the tunnels it opens.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use recur::settings::Settings;
use recur_sandbox::Sandbox;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::cli::{recur, text};
use crate::common::*;

/// A CA made for one test, and its PEM file.
struct TestCa {
    ca_file: PathBuf,
    acceptor: tokio_rustls::TlsAcceptor,
}

impl TestCa {
    /// A CA, and a server certificate for `127.0.0.1` and `localhost`
    /// signed by it; the CA's certificate is written to `dir/test-ca.pem`.
    fn new(dir: &Path) -> TestCa {
        let ca_key = rcgen::KeyPair::generate().unwrap();
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "recur test CA");
        ca_params.key_usages = vec![
            rcgen::KeyUsagePurpose::KeyCertSign,
            rcgen::KeyUsagePurpose::DigitalSignature,
        ];
        let ca_cert = ca_params.self_signed(&ca_key).unwrap();
        let issuer = rcgen::Issuer::new(ca_params, ca_key);

        let leaf_key = rcgen::KeyPair::generate().unwrap();
        let leaf_params =
            rcgen::CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()])
                .unwrap();
        let leaf = leaf_params.signed_by(&leaf_key, &issuer).unwrap();

        let ca_file = dir.join("test-ca.pem");
        std::fs::write(&ca_file, ca_cert.pem()).unwrap();

        let key = rustls::pki_types::PrivateKeyDer::Pkcs8(
            rustls::pki_types::PrivatePkcs8KeyDer::from(leaf_key.serialize_der()),
        );
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![leaf.der().clone()], key)
            .unwrap();
        TestCa {
            ca_file,
            acceptor: tokio_rustls::TlsAcceptor::from(Arc::new(config)),
        }
    }
}

/// The sandbox's address (host and port of its URL).
fn sandbox_addr(sb: &Sandbox) -> SocketAddr {
    let url = url::Url::parse(&sb.github_url()).unwrap();
    format!("{}:{}", url.host_str().unwrap(), url.port().unwrap())
        .parse()
        .unwrap()
}

/// A TLS front on `127.0.0.1:0` that forwards each connection, decrypted,
/// to `upstream`. Returns its `https://127.0.0.1:PORT` URL.
async fn tls_front(ca: &TestCa, upstream: SocketAddr) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let acceptor = ca.acceptor.clone();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                // A client that does not trust the certificate hangs up
                // during the handshake: nothing to forward then.
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let Ok(mut up) = TcpStream::connect(upstream).await else {
                    return;
                };
                let _ = tokio::io::copy_bidirectional(&mut tls, &mut up).await;
            });
        }
    });
    format!("https://127.0.0.1:{port}")
}

/// A CONNECT proxy on `127.0.0.1:0` that counts the tunnels it opens and
/// notes where each went (and counts, separately, any request that is not a
/// CONNECT, which it refuses).
struct Proxy {
    url: String,
    tunnels: Arc<AtomicU64>,
    targets: Arc<Mutex<Vec<String>>>,
    refused: Arc<AtomicU64>,
}

impl Proxy {
    async fn start() -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let proxy = Proxy {
            url,
            tunnels: Arc::default(),
            targets: Arc::default(),
            refused: Arc::default(),
        };
        let (t, g, r) = (
            proxy.tunnels.clone(),
            proxy.targets.clone(),
            proxy.refused.clone(),
        );
        tokio::spawn(async move {
            loop {
                let Ok((conn, _)) = listener.accept().await else {
                    return;
                };
                let (t, g, r) = (t.clone(), g.clone(), r.clone());
                tokio::spawn(async move {
                    let _ = Proxy::serve(conn, &t, &g, &r).await;
                });
            }
        });
        proxy
    }

    async fn serve(
        mut conn: TcpStream,
        tunnels: &AtomicU64,
        targets: &Mutex<Vec<String>>,
        refused: &AtomicU64,
    ) -> std::io::Result<()> {
        // The request head, byte by byte up to the blank line: nothing of
        // the tunnelled stream may be read past it.
        let mut head = Vec::new();
        while !head.ends_with(b"\r\n\r\n") {
            let mut b = [0u8; 1];
            if conn.read(&mut b).await? == 0 || head.len() > 8192 {
                return Ok(());
            }
            head.push(b[0]);
        }
        let head = String::from_utf8_lossy(&head);
        let mut first = head.lines().next().unwrap_or("").split_whitespace();
        let (method, target) = (first.next().unwrap_or(""), first.next().unwrap_or(""));
        if method != "CONNECT" {
            refused.fetch_add(1, Ordering::SeqCst);
            conn.write_all(b"HTTP/1.1 405 Method Not Allowed\r\ncontent-length: 0\r\n\r\n")
                .await?;
            return Ok(());
        }
        let mut upstream = TcpStream::connect(target).await?;
        tunnels.fetch_add(1, Ordering::SeqCst);
        targets.lock().unwrap().push(target.to_string());
        conn.write_all(b"HTTP/1.1 200 Connection Established\r\n\r\n")
            .await?;
        tokio::io::copy_bidirectional(&mut conn, &mut upstream).await?;
        Ok(())
    }

    fn tunnels(&self) -> u64 {
        self.tunnels.load(Ordering::SeqCst)
    }

    /// Whether a tunnel went to `url`'s host and port.
    fn tunnelled_to(&self, url: &str) -> bool {
        let u = url::Url::parse(url).unwrap();
        let target = format!("{}:{}", u.host_str().unwrap(), u.port().unwrap());
        self.targets.lock().unwrap().contains(&target)
    }
}

/// The sandbox GitHub source at `urls.0` and Jira source at `urls.1`, each
/// with `extra` lines (`ca_file = …`, `proxy = …`) added to its table.
fn config(sb: &Sandbox, urls: (&str, &str), db: &Path, extra: &str) -> String {
    format!(
        "{}{extra}\n{}{extra}\n",
        recur::demo::sandbox_config(urls.0, &sb.github().repos(), db),
        recur::demo::sandbox_jira_source(urls.1, &sb.jira().projects(), false),
    )
}

/// The TLS front's URLs for GitHub (`127.0.0.1`) and Jira (`localhost`):
/// two names for one front, so a proxy's tunnels tell the connectors apart.
fn front_urls(front: &str) -> (String, String) {
    (front.to_string(), front.replace("127.0.0.1", "localhost"))
}

/// One source of `text` (0: GitHub, 1: Jira) on its own.
fn one_source(text: &str, index: usize) -> Settings {
    let mut s = Settings::from_toml(text).expect("valid settings");
    let source = s.sources.remove(index);
    s.sources = vec![source];
    s
}

fn ca_line(ca: &TestCa) -> String {
    format!("ca_file = {:?}\n", ca.ca_file.display().to_string())
}

/// key, kind, title and state of every item: what a sync through the
/// network must get the same as a direct one (the raw JSON carries the
/// address it was fetched from, so it is left out).
async fn items(db: &Path) -> Vec<Vec<serde_json::Value>> {
    query(
        db,
        "SELECT source, key, kind, title, state FROM items ORDER BY source, key",
    )
    .await
}

/// Both sources synced straight from the sandbox over plain http.
async fn direct_items(sb: &Sandbox, dir: &Path) -> Vec<Vec<serde_json::Value>> {
    let db = dir.join("direct.duckdb");
    let text = config(sb, (&sb.github_url(), &sb.github_url()), &db, "");
    for i in 0..2 {
        sync(&one_source(&text, i)).await;
    }
    let rows = items(&db).await;
    assert!(rows.len() > 10, "the sandbox has items: {rows:?}");
    rows
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_with_a_private_ca_syncs_only_with_its_ca_file() {
    let sb = small_sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    let ca = TestCa::new(dir.path());
    let front = tls_front(&ca, sandbox_addr(&sb)).await;
    let (gh_url, jira_url) = front_urls(&front);
    let urls = (gh_url.as_str(), jira_url.as_str());
    let want = direct_items(&sb, dir.path()).await;

    // Without ca_file: each connector fails at once (no retries: a
    // certificate does not become trusted by waiting), saying why and
    // what to set.
    let db = dir.path().join("untrusted.duckdb");
    let text = config(&sb, urls, &db, "");
    for (i, name) in [(0, "sandbox_gh"), (1, "sandbox_jira")] {
        let sleeper = RecordingSleeper::default();
        let e = sync_with(&one_source(&text, i), &sleeper, false)
            .await
            .expect_err("an untrusted certificate fails the sync")
            .to_string();
        assert!(
            e.contains("certificate is not trusted")
                && e.contains("UnknownIssuer")
                && e.contains(&format!("sources.{name}.ca_file")),
            "{e}"
        );
        assert!(sleeper.waits().is_empty(), "retried: {:?}", sleeper.waits());
    }

    // With it: the same items as a direct sync.
    let db = dir.path().join("trusted.duckdb");
    let text = config(&sb, urls, &db, &ca_line(&ca));
    for i in 0..2 {
        sync(&one_source(&text, i)).await;
    }
    assert_eq!(items(&db).await, want);
    sb.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_proxy_key_sends_both_connectors_through_the_proxy() {
    let sb = small_sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    let ca = TestCa::new(dir.path());
    let front = tls_front(&ca, sandbox_addr(&sb)).await;
    let (gh_url, jira_url) = front_urls(&front);
    let urls = (gh_url.as_str(), jira_url.as_str());
    let want = direct_items(&sb, dir.path()).await;
    let proxy = Proxy::start().await;

    let db = dir.path().join("proxied.duckdb");
    let extra = format!("{}proxy = {:?}\n", ca_line(&ca), proxy.url);
    let text = config(&sb, urls, &db, &extra);
    sync(&one_source(&text, 0)).await;
    assert!(
        proxy.tunnelled_to(&gh_url),
        "GitHub did not go through the proxy"
    );
    sync(&one_source(&text, 1)).await;
    assert!(
        proxy.tunnelled_to(&jira_url),
        "Jira did not go through the proxy"
    );
    assert_eq!(proxy.refused.load(Ordering::SeqCst), 0);
    assert_eq!(items(&db).await, want);
    sb.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_proxy_in_the_environment_is_honoured_and_no_proxy_bypasses_it() {
    let sb = small_sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    let ca = TestCa::new(dir.path());
    let front = tls_front(&ca, sandbox_addr(&sb)).await;
    let (gh_url, jira_url) = front_urls(&front);
    let urls = (gh_url.as_str(), jira_url.as_str());
    let want = direct_items(&sb, dir.path()).await;

    // HTTPS_PROXY (and the lower-case form) in recur's environment.
    for var in ["HTTPS_PROXY", "https_proxy"] {
        let proxy = Proxy::start().await;
        let run = dir.path().join(var);
        std::fs::create_dir(&run).unwrap();
        let db = run.join("r.duckdb");
        std::fs::write(
            run.join("recur.toml"),
            config(&sb, urls, &db, &ca_line(&ca)),
        )
        .unwrap();
        let out = recur(&run, &["sync"], &[(var, &proxy.url)]).await;
        assert!(out.status.success(), "{var}: {}", text(&out.stderr));
        assert!(
            proxy.tunnelled_to(&gh_url) && proxy.tunnelled_to(&jira_url),
            "{var}: tunnels to {:?}",
            proxy.targets.lock().unwrap()
        );
        assert_eq!(items(&db).await, want, "{var}");
    }

    // NO_PROXY covering the host: no tunnel, whether the proxy comes from
    // the environment or from the `proxy` key, and the sync still works.
    for (name, key_proxy) in [("env", false), ("key", true)] {
        let proxy = Proxy::start().await;
        let run = dir.path().join(format!("no_proxy_{name}"));
        std::fs::create_dir(&run).unwrap();
        let db = run.join("r.duckdb");
        let mut extra = ca_line(&ca);
        let mut env = vec![("NO_PROXY", "localhost,127.0.0.1")];
        if key_proxy {
            extra.push_str(&format!("proxy = {:?}\n", proxy.url));
        } else {
            env.push(("HTTPS_PROXY", &proxy.url));
        }
        std::fs::write(run.join("recur.toml"), config(&sb, urls, &db, &extra)).unwrap();
        let out = recur(&run, &["sync"], &env).await;
        assert!(out.status.success(), "{name}: {}", text(&out.stderr));
        assert_eq!(proxy.tunnels(), 0, "{name}: NO_PROXY was not honoured");
        assert_eq!(items(&db).await, want, "{name}");
    }
    sb.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_connectors_ask_for_gzip_and_read_compressed_pages() {
    let sb = small_sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    let want = direct_items(&sb, dir.path()).await;
    assert_eq!(
        want.iter().filter(|r| r[0] == "sandbox_gh").count(),
        expected_tracked(&sb.github()).len()
    );

    // Every answer with a body that recur received was compressed.
    for (tracker, log, gzipped) in [
        (
            "github",
            sb.github().request_log(),
            sb.github().gzip_answers(),
        ),
        ("jira", sb.jira().request_log(), sb.jira().gzip_answers()),
    ] {
        let ok: Vec<_> = log.iter().filter(|r| r.status == 200).collect();
        assert!(!ok.is_empty(), "{tracker}: no 200 answers");
        assert!(
            ok.iter().all(|r| r.gzipped),
            "{tracker}: uncompressed answers: {:?}",
            ok.iter().filter(|r| !r.gzipped).collect::<Vec<_>>()
        );
        assert!(gzipped >= ok.len() as u64, "{tracker}: {gzipped} gzipped");
    }
    sb.shutdown().await;
}

/// The size cap counts what the answer decodes to, not what travelled: a
/// page that compresses to a few kilobytes but decodes past the cap fails
/// the sync naming the cap.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_size_cap_applies_to_the_decoded_page() {
    let sb = Sandbox::start(recur_sandbox::SandboxOptions::empty())
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let gh = sb.github();
    let repo = gh.repos()[0].clone();
    for i in 0..3 {
        gh.create_issue(
            &repo,
            recur_sandbox::NewIssue {
                title: format!("Large postmortem {i}"),
                body: "the same sentence, many times over. ".repeat(16_000),
                labels: vec!["postmortem".into()],
                ..Default::default()
            },
        );
    }
    let db = dir.path().join("r.duckdb");
    let text = format!(
        "{}\n[sync]\nmax_response_mib = 1\n",
        recur::demo::sandbox_config(&sb.github_url(), &gh.repos(), &db)
    );
    let e = sync_with(
        &Settings::from_toml(&text).unwrap(),
        &RecordingSleeper::default(),
        false,
    )
    .await
    .expect_err("a page over the cap fails")
    .to_string();
    assert!(e.contains("1 MiB cap"), "{e}");
    assert!(gh.gzip_answers() > 0, "the page did not travel compressed");
    sb.shutdown().await;
}
