//! Adopting recur in an organisation: where the token comes from (the
//! environment, as `gh` reads it) and the preflight `recur check`.

use std::path::Path;

use crate::cli::{recur, text};
use crate::common::*;

/// The sandbox configuration without its `token = …` line.
fn tokenless_config(sb: &recur_sandbox::Sandbox, db: &Path) -> String {
    recur::demo::sandbox_config(&sb.github_url(), &sb.github().repos(), db)
        .lines()
        .filter(|l| !l.starts_with("token"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_github_source_without_a_token_takes_gh_token_then_github_token_and_says_so() {
    let sb = small_sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("r.duckdb");
    std::fs::write(dir.path().join("recur.toml"), tokenless_config(&sb, &db)).unwrap();

    // Neither: a clear error naming every way to give one.
    let out = recur(dir.path(), &["sync"], &[]).await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(
        err.contains("GH_TOKEN") && err.contains("GITHUB_TOKEN"),
        "{err}"
    );

    // GITHUB_TOKEN alone works; the log says where the token came from and
    // never prints it.
    let out = recur(dir.path(), &["sync"], &[("GITHUB_TOKEN", "sandbox-token")]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let log = text(&out.stderr);
    assert!(
        log.contains("GITHUB_TOKEN") && log.contains("from the environment"),
        "{log}"
    );
    assert!(!log.contains("sandbox-token"), "the token leaked: {log}");

    // GH_TOKEN wins over GITHUB_TOKEN (a wrong one fails the sync: it was used).
    let out = recur(
        dir.path(),
        &["sync"],
        &[
            ("GH_TOKEN", "not-a-known-token"),
            ("GITHUB_TOKEN", "sandbox-token"),
        ],
    )
    .await;
    assert!(!out.status.success(), "GH_TOKEN was not the one used");
    assert!(!text(&out.stderr).contains("not-a-known-token"));
    sb.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_passes_on_a_ready_setup_and_names_every_problem_with_what_to_do() {
    let sb = small_sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("r.duckdb");
    let config = format!(
        "{}{}",
        recur::demo::sandbox_config(&sb.github_url(), &sb.github().repos(), &db),
        recur::demo::sandbox_jira_source(&sb.jira_url(), &sb.jira().projects(), false)
    );
    std::fs::write(dir.path().join("recur.toml"), &config).unwrap();

    // Ready: every check passes, one line each, exit 0.
    let out = recur(dir.path(), &["check", "--writes"], &[]).await;
    let text_out = text(&out.stdout);
    assert!(out.status.success(), "{text_out}{}", text(&out.stderr));
    assert!(text_out.contains("All checks passed."), "{text_out}");
    assert!(!text_out.contains('✗'), "{text_out}");
    for repo in sb.github().repos() {
        assert!(
            text_out.contains(&format!("✓ sandbox_gh container {repo}: reachable")),
            "{text_out}"
        );
        assert!(
            text_out.contains(&format!("✓ sandbox_gh write_access {repo}")),
            "{text_out}"
        );
    }
    assert!(
        text_out.contains("✓ sandbox_gh token: accepted; acts as"),
        "{text_out}"
    );
    assert!(
        text_out.contains("✓ sandbox_jira token: accepted; acts as"),
        "{text_out}"
    );
    assert!(
        text_out.contains("issues and pull requests carry it"),
        "{text_out}"
    );
    assert!(text_out.contains("✓ database"), "{text_out}");

    // JSON: the same checks, machine-readable.
    let out = recur(dir.path(), &["check", "--format", "json"], &[]).await;
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["ok"], true);
    assert_eq!(v["sources"].as_array().unwrap().len(), 2);

    // Problems: a label nobody created, a repository without issue forms,
    // a repository that does not exist, a database another recur holds.
    let repos = sb.github().repos();
    sb.github().remove_issue_forms(&repos[0]);
    let broken = config
        .replace(
            "action_item_labels = [\"postmortem\"]",
            "action_item_labels = [\"post-mortem\"]",
        )
        .replacen(
            &format!("{:?}", repos[0]),
            &format!("{:?}, \"acme/no-such-repo\"", repos[0]),
            1,
        );
    assert_ne!(broken, config);
    std::fs::write(dir.path().join("recur.toml"), &broken).unwrap();
    let lock = recur::store::WriterLock::acquire(&db, "test").unwrap();
    let out = recur(dir.path(), &["check"], &[]).await;
    drop(lock);
    let t = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(
        t.contains(&format!(
            "✗ sandbox_gh label {}: post-mortem: no such label",
            repos[0]
        )),
        "{t}"
    );
    assert!(
        t.contains(&format!("✗ sandbox_gh issue_forms {}", repos[0])),
        "{t}"
    );
    assert!(t.contains("copy config/github-issue-forms"), "{t}");
    assert!(
        t.contains("✗ sandbox_gh container acme/no-such-repo: not reachable (HTTP 404)"),
        "{t}"
    );
    assert!(t.contains("✗ database"), "{t}");
    assert!(t.contains("check(s) failed."), "{t}");

    // A refused token stops that source's checks at the first line.
    std::fs::write(
        dir.path().join("recur.toml"),
        config.replace("token = \"sandbox-token\"", "token = \"revoked\""),
    )
    .unwrap();
    let out = recur(dir.path(), &["check"], &[]).await;
    let t = text(&out.stdout);
    assert!(t.contains("✗ sandbox_gh token: refused (HTTP 401)"), "{t}");
    assert!(!t.contains("sandbox_gh container"), "{t}");
    assert!(!t.contains("revoked"), "the token is never printed: {t}");
    sb.shutdown().await;
}

const APP_KEY: &str = include_str!("../fixtures/github-app-key.pem");
const APP_PUBLIC_KEY: &str = include_str!("../fixtures/github-app-key.pub.pem");

fn app_config(sb: &recur_sandbox::Sandbox, dir: &Path, extra: &str) -> String {
    let key = dir.join("app.pem");
    std::fs::write(&key, APP_KEY).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    format!(
        "{}\napp_id = 4242\nprivate_key_file = {:?}\n[writeback]\nmin_interval_ms = 0\n{extra}",
        tokenless_config(sb, &dir.join("r.duckdb")),
        key.display().to_string()
    )
}

fn register(sb: &recur_sandbox::Sandbox, token_lifetime_secs: i64) {
    sb.github().register_app(recur_sandbox::SandboxApp {
        id: 4242,
        slug: "recur".into(),
        public_key_pem: APP_PUBLIC_KEY.into(),
        installation_id: 77,
        token_lifetime_secs,
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_github_app_syncs_and_writes_back_as_its_bot_and_renews_its_token() {
    let sb = small_sandbox().await;
    register(&sb, 3600);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("recur.toml"),
        app_config(&sb, dir.path(), ""),
    )
    .unwrap();
    for step in [&["sync"][..], &["score"], &["writeback"]] {
        let out = recur(dir.path(), step, &[]).await;
        assert!(out.status.success(), "{step:?}: {}", text(&out.stderr));
        assert!(!text(&out.stderr).contains("PRIVATE KEY"), "the key leaked");
    }
    // The summaries are the bot's, and recur knows them as its own: a
    // second write-back with nothing changed writes nothing.
    let gh = sb.github();
    let mut bot_comments = 0;
    for repo in gh.repos() {
        for n in gh.issue_numbers(&repo) {
            if let Some(i) = gh.issue(&repo, n) {
                for c in &i.comments {
                    if c.body.starts_with(recur_core::SUMMARY_MARKER) {
                        assert_eq!(c.user, "recur[bot]", "{repo}#{n}");
                        bot_comments += 1;
                    }
                }
            }
        }
    }
    assert!(bot_comments > 0);
    gh.reset_counters();
    let out = recur(dir.path(), &["writeback"], &[]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let writes = gh
        .request_log()
        .iter()
        .filter(|r| matches!(r.method.as_str(), "POST" | "PATCH" | "PUT" | "DELETE"))
        .filter(|r| !r.path_and_query.contains("access_tokens"))
        .count();
    assert_eq!(writes, 0, "a second write-back wrote again");
    // The preflight names the App's identity.
    let out = recur(dir.path(), &["check", "--writes"], &[]).await;
    let t = text(&out.stdout);
    assert!(out.status.success(), "{t}");
    assert!(
        t.contains("GitHub App accepted; its installation acts as recur[bot]"),
        "{t}"
    );
    sb.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_app_token_about_to_expire_is_renewed_and_a_wrong_key_is_refused() {
    // Tokens live 35 s and octocrab renews one with less than 30 s left:
    // after 6 s the next request takes a new token.
    let sb = small_sandbox().await;
    register(&sb, 35);
    let dir = tempfile::tempdir().unwrap();
    let text_cfg = app_config(&sb, dir.path(), "[sync]\nmax_retries = 1\n");
    let settings = recur::settings::Settings::from_toml(&text_cfg).expect("valid settings");
    let source = &settings.sources[0];
    let connector = recur::sources::connector(source, &settings.sync).unwrap();
    let store = recur::store::Store::open_in_memory().unwrap();
    let sleeper = RecordingSleeper::default();
    let run = || recur::sync::SyncJob {
        store: &store,
        connector: connector.as_ref(),
        rules: &source.rules,
        settings: &settings.sync,
        sleeper: &sleeper,
        full: true,
        on_page: None,
        clock: clock(),
    };
    run().run(recur::shutdown::no_shutdown()).await.unwrap();
    assert_eq!(sb.github().app_tokens_issued(), 1);
    tokio::time::sleep(std::time::Duration::from_secs(6)).await;
    run().run(recur::shutdown::no_shutdown()).await.unwrap();
    assert_eq!(sb.github().app_tokens_issued(), 2, "the token was renewed");
    store.close().await;

    // A key the App does not have: the JWT is refused, and the error says so.
    let other = tempfile::tempdir().unwrap();
    let cfg = app_config(&sb, other.path(), "[sync]\nmax_retries = 1\n");
    std::fs::write(
        other.path().join("app.pem"),
        include_str!("../fixtures/github-app-other-key.pem"),
    )
    .unwrap();
    std::fs::write(other.path().join("recur.toml"), cfg).unwrap();
    let out = recur(other.path(), &["sync"], &[]).await;
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(
        err.contains("JSON web token") || err.contains("401"),
        "{err}"
    );
    assert!(!err.contains("PRIVATE KEY"), "the key leaked");
    sb.shutdown().await;
}
