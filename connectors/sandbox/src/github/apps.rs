//! GitHub Apps in the fake GitHub: registered Apps (id, slug, public key,
//! one installation), JWTs verified as GitHub does (RS256 against the App's
//! public key, `iss` = the App id, not expired), and installation tokens
//! that expire (a request with an expired one is a 401, as on GitHub).

use std::collections::HashMap;
use std::sync::Mutex;

use super::now_secs;

/// An App registered with [`super::GithubHandle::register_app`].
#[derive(Debug, Clone)]
pub struct SandboxApp {
    /// The App's id (the JWT's `iss`).
    pub id: u64,
    /// Its slug: its installation writes as `{slug}[bot]`.
    pub slug: String,
    /// The public half of its key (PEM, `BEGIN PUBLIC KEY`).
    pub public_key_pem: String,
    /// Its one installation (on every repository of the sandbox).
    pub installation_id: u64,
    /// How long an installation token lives, in seconds (GitHub: 3600).
    pub token_lifetime_secs: i64,
}

/// Registered Apps and the installation tokens issued.
#[derive(Default)]
pub(crate) struct Apps {
    apps: Mutex<Vec<SandboxApp>>,
    /// token → (login, expiry, epoch seconds).
    tokens: Mutex<HashMap<String, (String, i64)>>,
    issued: std::sync::atomic::AtomicU64,
}

/// What a bearer credential is, as far as Apps go.
pub(crate) enum AppCaller {
    /// A valid JWT of this App.
    Jwt(u64),
    /// A live installation token acting as this login.
    Installation(String),
    /// An installation token past its expiry.
    Expired,
    /// Not an App credential.
    None,
}

impl Apps {
    pub(crate) fn register(&self, app: SandboxApp) {
        self.apps
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(app);
    }

    pub(crate) fn issued(&self) -> u64 {
        self.issued.load(std::sync::atomic::Ordering::SeqCst)
    }

    pub(crate) fn app(&self, id: u64) -> Option<SandboxApp> {
        self.apps
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .find(|a| a.id == id)
            .cloned()
    }

    /// Classifies a bearer credential.
    pub(crate) fn caller(&self, bearer: &str) -> AppCaller {
        if let Some((login, exp)) = self
            .tokens
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(bearer)
            .cloned()
        {
            return if exp > now_secs() {
                AppCaller::Installation(login)
            } else {
                AppCaller::Expired
            };
        }
        if bearer.split('.').count() != 3 {
            return AppCaller::None;
        }
        let apps = self.apps.lock().unwrap_or_else(|e| e.into_inner()).clone();
        for app in apps {
            let Ok(key) = jsonwebtoken::DecodingKey::from_rsa_pem(app.public_key_pem.as_bytes())
            else {
                continue;
            };
            let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
            // `iss` is checked below: the library counts only a string
            // `iss` as present, and octocrab sends the id as a number.
            v.set_required_spec_claims(&["exp"]);
            v.leeway = 0;
            // `iss` is the App id, a number or its text (GitHub takes both),
            // so it is compared here rather than by the library (strings only).
            if let Ok(t) = jsonwebtoken::decode::<serde_json::Value>(bearer, &key, &v) {
                let iss = &t.claims["iss"];
                if iss.as_u64() == Some(app.id) || iss.as_str() == Some(app.id.to_string().as_str())
                {
                    return AppCaller::Jwt(app.id);
                }
            }
        }
        AppCaller::None
    }

    /// Issues an installation token for `app`: (token, expiry).
    pub(crate) fn issue(&self, app: &SandboxApp) -> (String, i64) {
        let n = self
            .issued
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst)
            + 1;
        let token = format!("ghs_sandbox{}x{n}", app.installation_id);
        let exp = now_secs() + app.token_lifetime_secs;
        self.tokens
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(token.clone(), (format!("{}[bot]", app.slug), exp));
        (token, exp)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PUBLIC: &str = include_str!("../../../../tests/fixtures/github-app-key.pub.pem");
    const PRIVATE: &str = include_str!("../../../../tests/fixtures/github-app-key.pem");
    const OTHER: &str = include_str!("../../../../tests/fixtures/github-app-other-key.pem");

    fn jwt(key: &str, iss: serde_json::Value, exp_in: i64) -> String {
        let now = now_secs();
        let claims = serde_json::json!({"iss": iss, "iat": now - 60, "exp": now + exp_in});
        let key = jsonwebtoken::EncodingKey::from_rsa_pem(key.as_bytes()).unwrap();
        jsonwebtoken::encode(
            &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256),
            &claims,
            &key,
        )
        .unwrap()
    }

    #[test]
    fn only_an_unexpired_jwt_signed_by_the_apps_key_for_its_id_is_the_app() {
        let apps = Apps::default();
        apps.register(SandboxApp {
            id: 4242,
            slug: "recur".into(),
            public_key_pem: PUBLIC.into(),
            installation_id: 1,
            token_lifetime_secs: 60,
        });
        let ok = |t: &str| matches!(apps.caller(t), AppCaller::Jwt(4242));
        assert!(ok(&jwt(PRIVATE, serde_json::json!(4242), 540)));
        assert!(ok(&jwt(PRIVATE, serde_json::json!("4242"), 540)));
        assert!(
            !ok(&jwt(OTHER, serde_json::json!(4242), 540)),
            "another key"
        );
        assert!(
            !ok(&jwt(PRIVATE, serde_json::json!(4243), 540)),
            "another app"
        );
        assert!(!ok(&jwt(PRIVATE, serde_json::json!(4242), -10)), "expired");
        let (token, _) = apps.issue(&apps.app(4242).unwrap());
        assert!(matches!(apps.caller(&token), AppCaller::Installation(l) if l == "recur[bot]"));
    }
}
