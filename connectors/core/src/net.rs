//! Reaching a tracker through a corporate network, the part both
//! connectors share: the TLS root set (the system's roots plus a source's
//! private CA, [`tls_config`]), the `proxy` setting ([`parse_proxy`],
//! [`ProxySetting`]), and naming a certificate failure so an operator sees
//! what to set ([`certificate_problem`]).
//!
//! Why here and not in each connector: GitHub goes through reqwest 0.13
//! (under octocrab) and Jira through reqwest 0.12 (gouqi's version). Both
//! use the one rustls 0.23 in the tree, so one [`rustls::ClientConfig`]
//! built here makes them trust exactly the same roots. Each connector only
//! turns [`ProxySetting`] into its own reqwest version's `Proxy`.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use rustls::RootCertStore;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;

/// Why a CA file or a proxy URL cannot be used. Each names the file or
/// URL; the caller adds the source and key (`sources.NAME.ca_file`).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NetError {
    /// The CA file cannot be read.
    #[error("{}: cannot read it: {source}", path.display())]
    CaUnreadable {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The CA file is not PEM, or holds no `CERTIFICATE` block.
    #[error("{}: {reason}", path.display())]
    CaNotPem {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// A certificate in the CA file cannot be a trust anchor.
    #[error("{}: certificate {index} cannot be trusted as a CA: {reason}", path.display())]
    CaRejected {
        /// The file.
        path: PathBuf,
        /// Which certificate (1-based, in file order).
        index: usize,
        /// rustls's reason.
        reason: String,
    },
    /// The proxy setting is not a usable proxy URL.
    #[error("{text:?} is not a proxy URL (http://host:port): {reason}")]
    Proxy {
        /// The setting as written (credentials, if any, masked).
        text: String,
        /// What is wrong with it.
        reason: String,
    },
    /// rustls refused the configuration (no usable protocol version).
    #[error("cannot set up TLS: {0}")]
    Tls(String),
}

/// The certificates of a source's `ca_file`, read and checked when the
/// settings load (not at the first request, hours later).
#[derive(Clone)]
pub struct CaBundle {
    path: PathBuf,
    certs: Vec<CertificateDer<'static>>,
}

impl std::fmt::Debug for CaBundle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CaBundle")
            .field("path", &self.path)
            .field("certificates", &self.certs.len())
            .finish()
    }
}

impl CaBundle {
    /// Reads a PEM file holding one or more CA certificates.
    pub fn read(path: &Path) -> Result<Self, NetError> {
        let bytes = std::fs::read(path).map_err(|source| NetError::CaUnreadable {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_pem(path, &bytes)
    }

    /// Parses PEM text (named `path` in errors). Other PEM blocks (a key
    /// someone concatenated in) are skipped; at least one `CERTIFICATE`
    /// must be there, and each must be usable as a trust anchor.
    pub fn from_pem(path: &Path, pem: &[u8]) -> Result<Self, NetError> {
        let not_pem = |reason: String| NetError::CaNotPem {
            path: path.to_path_buf(),
            reason,
        };
        let certs = CertificateDer::pem_slice_iter(pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| not_pem(format!("not a PEM file: {e}")))?;
        if certs.is_empty() {
            return Err(not_pem(
                "holds no PEM certificate (-----BEGIN CERTIFICATE-----)".into(),
            ));
        }
        // Try them as anchors now, so a certificate rustls cannot use fails
        // the settings load rather than the first request.
        let mut scratch = RootCertStore::empty();
        for (i, cert) in certs.iter().enumerate() {
            scratch
                .add(cert.clone())
                .map_err(|e| NetError::CaRejected {
                    path: path.to_path_buf(),
                    index: i + 1,
                    reason: e.to_string(),
                })?;
        }
        Ok(CaBundle {
            path: path.to_path_buf(),
            certs,
        })
    }

    /// The file the certificates came from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// How many certificates it holds.
    pub fn len(&self) -> usize {
        self.certs.len()
    }

    /// Never true for a bundle that was read (one certificate at least).
    pub fn is_empty(&self) -> bool {
        self.certs.is_empty()
    }
}

/// The system's roots, loaded once per process: reading the OS store
/// (`/etc/ssl/certs`, or `SSL_CERT_FILE` / `SSL_CERT_DIR`) costs a few
/// milliseconds and hundreds of parses, and every connector build asks.
/// Without any, webpki-roots (Mozilla's list compiled in) stands in, and
/// that is logged once.
fn base_roots() -> &'static RootCertStore {
    static ROOTS: OnceLock<RootCertStore> = OnceLock::new();
    ROOTS.get_or_init(|| {
        let loaded = rustls_native_certs::load_native_certs();
        let mut roots = RootCertStore::empty();
        let (added, ignored) = roots.add_parsable_certificates(loaded.certs);
        if ignored > 0 || !loaded.errors.is_empty() {
            tracing::debug!(
                added,
                ignored,
                errors = loaded.errors.len(),
                "Some system CA certificates could not be used."
            );
        }
        if roots.is_empty() {
            tracing::warn!(
                errors = ?loaded.errors.iter().map(|e| e.to_string()).collect::<Vec<_>>(),
                "The system has no CA certificates; trusting the built-in Mozilla roots (webpki-roots) instead."
            );
            roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        }
        roots
    })
}

/// The TLS client configuration of one source: the system's roots plus
/// `ca`, rustls with the ring provider, HTTP/1.1 (no ALPN: neither client
/// is built with HTTP/2).
pub fn tls_config(ca: Option<&CaBundle>) -> Result<rustls::ClientConfig, NetError> {
    let mut roots = base_roots().clone();
    if let Some(ca) = ca {
        for (i, cert) in ca.certs.iter().enumerate() {
            roots.add(cert.clone()).map_err(|e| NetError::CaRejected {
                path: ca.path.clone(),
                index: i + 1,
                reason: e.to_string(),
            })?;
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| NetError::Tls(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

/// A source's `proxy` setting, checked: an `http://` or `https://` URL with
/// a host and nothing after it but `/`. It may carry `user:password@`,
/// which [`ProxySetting`]'s `Debug` and [`ProxySetting::display`] mask.
pub fn parse_proxy(text: &str) -> Result<url::Url, NetError> {
    let bad = |reason: &str| NetError::Proxy {
        text: masked_text(text),
        reason: reason.to_string(),
    };
    let url = url::Url::parse(text.trim()).map_err(|e| bad(&e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad("the scheme must be http or https"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(bad("it names no host"));
    }
    if !matches!(url.path(), "" | "/") || url.query().is_some() || url.fragment().is_some() {
        return Err(bad("a proxy URL has no path, query or fragment"));
    }
    Ok(url)
}

/// The URL with any password replaced by `***`, for logs and errors.
fn masked(url: &url::Url) -> String {
    let mut u = url.clone();
    if u.password().is_some() {
        let _ = u.set_password(Some("***"));
    }
    u.to_string()
}

/// `text` with the part between `://` and `@` masked when it holds a `:`
/// (a password), for errors about a URL that did not parse.
fn masked_text(text: &str) -> String {
    let Some((scheme, rest)) = text.split_once("://") else {
        return text.to_string();
    };
    match rest.split_once('@') {
        Some((userinfo, host)) if userinfo.contains(':') => {
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{scheme}://{user}:***@{host}")
        }
        _ => text.to_string(),
    }
}

/// A source's explicit proxy (it overrides `HTTPS_PROXY`/`HTTP_PROXY`;
/// `NO_PROXY` still applies). `None` in a connector's config means: the
/// environment's proxies, which both reqwest versions read by default.
#[derive(Clone, PartialEq, Eq)]
pub struct ProxySetting(pub url::Url);

impl ProxySetting {
    /// For logs and errors: the URL with its password masked.
    pub fn display(&self) -> String {
        masked(&self.0)
    }
}

impl std::fmt::Debug for ProxySetting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ProxySetting({})", self.display())
    }
}

/// When `e` (or an error in its chain) is a TLS certificate rejection,
/// what rustls said (`invalid peer certificate: UnknownIssuer`). Such a
/// failure does not pass with retrying; the caller reports it at once,
/// with what to configure.
pub fn certificate_problem(e: &(dyn std::error::Error + 'static)) -> Option<String> {
    // Bounded: a chain is a handful of errors deep; a cycle must not hang.
    fn visit(err: &(dyn std::error::Error + 'static), depth: usize) -> Option<String> {
        if depth > 32 {
            return None;
        }
        if let Some(r) = as_certificate_error(err) {
            return Some(r);
        }
        // `io::Error::source` skips the error it wraps (it returns the
        // wrapped error's source), and TLS errors come up wrapped in one
        // `io::Error` or more: look inside explicitly.
        if let Some(inner) = err
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            if let Some(r) = visit(inner, depth + 1) {
                return Some(r);
            }
        }
        visit(err.source()?, depth + 1)
    }
    visit(e, 0)
}

/// The error of a request whose TLS certificate was rejected: not
/// transient (retrying cannot mend it), and saying what to configure.
pub fn untrusted_certificate(
    source_name: &str,
    what: &str,
    problem: &str,
) -> crate::ConnectorError {
    crate::ConnectorError::Http {
        source_name: source_name.to_string(),
        status: 0,
        url: what.to_string(),
        message: format!(
            "the server's TLS certificate is not trusted ({problem}); if this network uses a \
             private CA (or a TLS-inspecting proxy), set sources.{source_name}.ca_file to its PEM file"
        ),
    }
}

fn as_certificate_error(e: &(dyn std::error::Error + 'static)) -> Option<String> {
    match e.downcast_ref::<rustls::Error>()? {
        err @ (rustls::Error::InvalidCertificate(_)
        | rustls::Error::NoCertificatesPresented
        | rustls::Error::UnsupportedNameType) => Some(err.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ca_pem() -> String {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params.self_signed(&key).unwrap().pem()
    }

    #[test]
    fn a_pem_file_with_several_certificates_is_read_whole() {
        let dir = tempfile_dir();
        let path = dir.join("two.pem");
        std::fs::write(&path, format!("{}\n{}", ca_pem(), ca_pem())).unwrap();
        let ca = CaBundle::read(&path).unwrap();
        assert_eq!(ca.len(), 2);
        let cfg = tls_config(Some(&ca)).unwrap();
        assert!(cfg.alpn_protocols.is_empty());
        assert!(format!("{ca:?}").contains("certificates: 2"));
    }

    #[test]
    fn a_missing_a_non_pem_and_an_empty_ca_file_are_errors_naming_the_file() {
        let dir = tempfile_dir();
        let missing = dir.join("missing.pem");
        let e = CaBundle::read(&missing).unwrap_err();
        assert!(matches!(e, NetError::CaUnreadable { .. }), "{e}");
        assert!(e.to_string().contains("missing.pem"), "{e}");

        let text = dir.join("text.pem");
        std::fs::write(&text, "just some text\n").unwrap();
        let e = CaBundle::read(&text).unwrap_err();
        assert!(matches!(e, NetError::CaNotPem { .. }), "{e}");
        assert!(e.to_string().contains("no PEM certificate"), "{e}");

        let broken = dir.join("broken.pem");
        std::fs::write(
            &broken,
            "-----BEGIN CERTIFICATE-----\n!!!not base64!!!\n-----END CERTIFICATE-----\n",
        )
        .unwrap();
        let e = CaBundle::read(&broken).unwrap_err();
        assert!(matches!(e, NetError::CaNotPem { .. }), "{e}");

        let garbage = dir.join("garbage.pem");
        std::fs::write(
            &garbage,
            "-----BEGIN CERTIFICATE-----\naGVsbG8=\n-----END CERTIFICATE-----\n",
        )
        .unwrap();
        let e = CaBundle::read(&garbage).unwrap_err();
        assert!(matches!(e, NetError::CaRejected { index: 1, .. }), "{e}");
    }

    #[test]
    fn proxy_urls_are_checked_and_their_passwords_never_shown() {
        assert_eq!(
            parse_proxy("http://proxy.corp:3128").unwrap().as_str(),
            "http://proxy.corp:3128/"
        );
        assert!(parse_proxy("https://proxy.corp/").is_ok());
        for bad in [
            "proxy.corp:3128",
            "socks5://proxy.corp:1080",
            "http://",
            "http://proxy.corp:3128/path",
            "http://proxy.corp:notaport",
        ] {
            assert!(parse_proxy(bad).is_err(), "{bad} was accepted");
        }
        let e = parse_proxy("ftp://bob:hunter2@proxy.corp").unwrap_err();
        assert!(!e.to_string().contains("hunter2"), "{e}");
        let e = parse_proxy("http://bob:hunter2@proxy.corp:x").unwrap_err();
        assert!(!e.to_string().contains("hunter2"), "{e}");
        let p = ProxySetting(parse_proxy("http://bob:hunter2@proxy.corp:3128").unwrap());
        assert!(!format!("{p:?}").contains("hunter2"));
        assert!(
            p.display().contains("bob:***@proxy.corp"),
            "{}",
            p.display()
        );
    }

    #[test]
    fn a_certificate_error_is_found_inside_an_io_error() {
        let tls = rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer);
        let io = std::io::Error::new(std::io::ErrorKind::InvalidData, tls);
        #[derive(Debug, thiserror::Error)]
        #[error("error sending request")]
        struct Outer(#[source] std::io::Error);
        let found = certificate_problem(&Outer(io)).unwrap();
        assert!(found.contains("UnknownIssuer"), "{found}");
        let tls = rustls::Error::InvalidCertificate(rustls::CertificateError::Expired);
        let twice =
            std::io::Error::other(std::io::Error::new(std::io::ErrorKind::InvalidData, tls));
        let found = certificate_problem(&Outer(twice)).unwrap();
        assert!(found.contains("Expired"), "{found}");
        let other = std::io::Error::new(std::io::ErrorKind::ConnectionReset, "reset");
        assert_eq!(certificate_problem(&Outer(other)), None);
    }

    /// A fresh directory under the system temp dir, per test.
    fn tempfile_dir() -> PathBuf {
        use std::sync::atomic::{AtomicU64, Ordering};
        static N: AtomicU64 = AtomicU64::new(0);
        let dir = std::env::temp_dir().join(format!(
            "recur-core-net-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }
}
