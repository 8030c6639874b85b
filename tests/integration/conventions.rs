//! The command-line conventions (issue "Fit the tools reliability teams
//! already use"): completions and manual pages generated from clap's own
//! definition, the configuration search order, lists from the
//! environment, `-q`/`-v` against `RECUR_LOG`, colour and progress only on
//! a terminal.

use std::path::{Path, PathBuf};
use std::process::Output;

use crate::cli::{recur, text};
use crate::common::*;

/// Every command of the tree, depth first, with its path of names
/// (`["recur", "review", "record"]`), as clap_mangen builds it.
fn commands() -> Vec<(Vec<String>, clap::Command)> {
    fn walk(cmd: &clap::Command, path: Vec<String>, out: &mut Vec<(Vec<String>, clap::Command)>) {
        // Hidden subcommands (`recur worker`, started by the daemon) are
        // not for people: no page, as hidden options are not named.
        for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
            let mut p = path.clone();
            p.push(sub.get_name().to_string());
            walk(sub, p, out);
        }
        out.push((path, cmd.clone()));
    }
    let mut root = recur::cli::command().disable_help_subcommand(true);
    root.build();
    let mut out = Vec::new();
    walk(&root, vec!["recur".into()], &mut out);
    out
}

/// How an argument is spelled on the command line: `--long`, `-s`, or the
/// positional's value name.
fn spelling(arg: &clap::Arg) -> String {
    if let Some(l) = arg.get_long() {
        format!("--{l}")
    } else if let Some(s) = arg.get_short() {
        format!("-{s}")
    } else {
        arg.get_value_names()
            .and_then(|v| v.first())
            .map(|v| v.to_string())
            .unwrap_or_else(|| arg.get_id().to_string().to_uppercase())
    }
}

/// A roff page as words: `\-` is a plain hyphen.
fn roff_text(page: &str) -> String {
    page.replace("\\-", "-")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn completions_name_every_subcommand_for_each_shell() {
    let dir = tempfile::tempdir().unwrap();
    let all = commands();
    assert!(all.len() > 15, "the tree was walked: {}", all.len());
    for shell in ["bash", "zsh", "fish"] {
        let out = recur(dir.path(), &["completions", shell], &[]).await;
        assert!(out.status.success(), "{shell}: {}", text(&out.stderr));
        let script = text(&out.stdout);
        for (path, _) in &all[..all.len() - 1] {
            let name = path.last().unwrap();
            assert!(
                script.contains(name.as_str()),
                "{shell} completion lacks {name}"
            );
        }
        if shell == "bash" {
            assert!(script.contains("complete -F _recur"), "{script}");
            // Options too, so `recur sync --<TAB>` offers them.
            assert!(script.contains("--backfill") && script.contains("--dry-run"));
        }
    }
    let out = recur(dir.path(), &["completions", "tcsh"], &[]).await;
    assert_eq!(
        out.status.code(),
        Some(2),
        "an unknown shell is a usage error"
    );
}

/// recur(1) names every subcommand; every command's page names each of its
/// options and arguments, all read from clap's `Command`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_man_pages_name_every_subcommand_and_option() {
    let dir = tempfile::tempdir().unwrap();
    let pages = dir.path().join("man1");
    let out = recur(dir.path(), &["man", "--dir", pages.to_str().unwrap()], &[]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = recur(dir.path(), &["man"], &[]).await;
    assert!(stdout.status.success());
    let root = std::fs::read_to_string(pages.join("recur.1")).expect("recur.1");
    assert_eq!(text(&stdout.stdout), root, "`recur man` prints recur.1");
    let mut checked = 0;
    for (path, cmd) in commands() {
        let file = pages.join(format!("{}.1", path.join("-")));
        let page = roff_text(
            &std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display())),
        );
        for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
            assert!(
                page.contains(&format!("{}-{}", path.join("-"), sub.get_name())),
                "{} does not name {}",
                file.display(),
                sub.get_name()
            );
        }
        for arg in cmd.get_arguments().filter(|a| !a.is_hide_set()) {
            let spelt = spelling(arg);
            assert!(
                page.contains(&spelt),
                "{} does not name {spelt}",
                file.display()
            );
            checked += 1;
        }
    }
    assert!(checked > 50, "options checked: {checked}");
}

/// A config whose database path says which file it is.
fn config_named(dir: &Path, name: &str) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let file = dir.join("recur.toml");
    std::fs::write(&file, format!("[store]\npath = \"{name}.duckdb\"\n")).unwrap();
    file
}

async fn status_json(cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> serde_json::Value {
    let mut all = args.to_vec();
    all.extend(["status", "--format", "json"]);
    let out = recur(cwd, &all, env).await;
    assert!(
        out.status.success(),
        "{args:?} {env:?}: {}",
        text(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// --config, then RECUR_CONFIG, then ./recur.toml, then
/// $XDG_CONFIG_HOME/recur/recur.toml, then ~/.config/recur/recur.toml, then
/// /etc/recur/recur.toml (not written by a test: it belongs to the
/// machine; the unit tests of `settings::locate` cover it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_config_file_is_found_in_the_documented_order() {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    let cwd = r.join("cwd");
    let flag = config_named(&r.join("flag"), "flag");
    let named = config_named(&r.join("named"), "named");
    config_named(&cwd, "cwd");
    config_named(&r.join("xdg/recur"), "xdg");
    config_named(&r.join("home/.config/recur"), "home");
    let home = r.join("home");
    let xdg = r.join("xdg");
    let (home, xdg) = (home.to_str().unwrap(), xdg.to_str().unwrap());
    let named_s = named.to_str().unwrap();
    let env = [
        ("HOME", home),
        ("XDG_CONFIG_HOME", xdg),
        ("RECUR_CONFIG", named_s),
    ];
    let found = |v: &serde_json::Value| {
        (
            v["config"]["found_by"].as_str().unwrap().to_string(),
            v["database"].as_str().unwrap().to_string(),
        )
    };
    let v = status_json(&cwd, &["--config", flag.to_str().unwrap()], &env).await;
    assert_eq!(found(&v), ("flag".into(), "flag.duckdb".into()));
    assert_eq!(v["config"]["path"], flag.to_str().unwrap());
    let v = status_json(&cwd, &[], &env).await;
    assert_eq!(found(&v), ("env".into(), "named.duckdb".into()));
    let env = &env[..2];
    let v = status_json(&cwd, &[], env).await;
    assert_eq!(found(&v), ("working_dir".into(), "cwd.duckdb".into()));
    std::fs::remove_file(cwd.join("recur.toml")).unwrap();
    let v = status_json(&cwd, &[], env).await;
    assert_eq!(found(&v), ("user".into(), "xdg.duckdb".into()));
    // Without XDG_CONFIG_HOME (empty is unset): ~/.config.
    let v = status_json(&cwd, &[], &[("HOME", home), ("XDG_CONFIG_HOME", "")]).await;
    assert_eq!(found(&v), ("user".into(), "home.duckdb".into()));
    // Nothing found: the system file if this machine has one, else defaults.
    let nowhere = r.join("nowhere");
    let nowhere = nowhere.to_str().unwrap();
    let v = status_json(
        &cwd,
        &[],
        &[("HOME", nowhere), ("XDG_CONFIG_HOME", nowhere)],
    )
    .await;
    if Path::new(recur::settings::SYSTEM_CONFIG).exists() {
        assert_eq!(v["config"]["found_by"], "system");
    } else {
        assert_eq!(found(&v), ("defaults".into(), "recur.duckdb".into()));
        assert!(v["config"]["path"].is_null());
    }
    // The table says which file it read, too.
    let out = recur(&cwd, &["status"], env).await;
    let table = text(&out.stdout);
    assert!(
        table.contains(&format!(
            "config: {xdg}/recur/recur.toml (found by the user configuration directory)"
        )),
        "{table}"
    );
    // A file the user named must exist: RECUR_CONFIG to nowhere is exit 2.
    let out = recur(
        &cwd,
        &["status"],
        &[("RECUR_CONFIG", "/no/such/recur.toml")],
    )
    .await;
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("/no/such/recur.toml"));
}

/// `RECUR_SOURCES__<NAME>__REPOS=a,b` replaces the file's list.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_list_setting_comes_comma_separated_from_the_environment() {
    let sb = small_sandbox().await;
    let repos = sb.github().repos();
    assert!(repos.len() >= 3, "{repos:?}");
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.duckdb");
    std::fs::write(
        dir.path().join("recur.toml"),
        recur::demo::sandbox_config(&sb.github_url(), &["acme/not-this-one".into()], &db),
    )
    .unwrap();
    let two = format!("{}, {}", repos[0], repos[1]);
    let out = recur(
        dir.path(),
        &["sync", "--format", "json"],
        &[("RECUR_SOURCES__SANDBOX_GH__REPOS", &two)],
    )
    .await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["sources"][0]["containers"], 2, "{v:#}");
    let synced = query(&db, "SELECT DISTINCT container FROM items ORDER BY 1").await;
    let synced: Vec<&str> = synced.iter().map(|r| r[0].as_str().unwrap()).collect();
    let mut want = vec![repos[0].as_str(), repos[1].as_str()];
    want.sort();
    assert_eq!(synced, want);
    sb.shutdown().await;
}

fn stderr(o: &Output) -> String {
    text(&o.stderr)
}

/// -q beats RECUR_LOG=trace; -v beats RECUR_LOG=error; and a piped stderr
/// (a file, journald) never gets colour.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quiet_and_verbose_beat_recur_log_and_pipes_get_no_colour() {
    let sb = small_sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.duckdb");
    let cfg = recur::demo::sandbox_config(&sb.github_url(), &sb.github().repos(), &db);
    std::fs::write(dir.path().join("recur.toml"), cfg).unwrap();
    let loud = recur(dir.path(), &["sync"], &[("RECUR_LOG", "trace")]).await;
    assert!(loud.status.success());
    assert!(
        stderr(&loud).contains("Container read"),
        "{}",
        stderr(&loud)
    );
    assert!(!stderr(&loud).contains('\u{1b}'), "no ANSI into a pipe");
    let quiet = recur(dir.path(), &["-q", "sync"], &[("RECUR_LOG", "trace")]).await;
    assert!(quiet.status.success());
    assert_eq!(stderr(&quiet), "", "-q: errors only");
    assert!(
        text(&quiet.stdout).contains("sandbox_gh:"),
        "results still print"
    );

    let plain = recur(dir.path(), &["status"], &[("RECUR_LOG", "error")]).await;
    assert!(!stderr(&plain).contains("DEBUG"), "{}", stderr(&plain));
    for flags in [&["-v"][..], &["-vv"], &["--verbose"]] {
        let mut args = flags.to_vec();
        args.push("status");
        let out = recur(dir.path(), &args, &[("RECUR_LOG", "error")]).await;
        assert!(out.status.success(), "{}", stderr(&out));
        let err = stderr(&out);
        assert!(
            err.contains("DEBUG") && err.contains("Configuration read."),
            "{flags:?}: {err}"
        );
        assert!(!err.contains('\u{1b}'), "no ANSI into a pipe: {err:?}");
    }
    let both = recur(dir.path(), &["-q", "-v", "status"], &[]).await;
    assert_eq!(both.status.code(), Some(2), "-q and -v conflict");
    sb.shutdown().await;
}

/// Runs `recur ARGS` with a terminal as stdin, stdout and stderr
/// (util-linux `script`); the transcript is both streams.
async fn on_a_terminal(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Option<(bool, String)> {
    if std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("no `script` on this machine: the terminal half is not tested");
        return None;
    }
    let line = std::iter::once(env!("CARGO_BIN_EXE_recur"))
        .chain(args.iter().copied())
        .collect::<Vec<_>>()
        .join(" ");
    let mut cmd = tokio::process::Command::new("script");
    cmd.current_dir(dir)
        .args(["-qec", &line, "/dev/null"])
        .env_remove("RECUR_CONFIG")
        .env_remove("NO_COLOR")
        .env("TERM", "xterm")
        .env(recur::clock::NOW_ENV, clock().now().to_rfc3339())
        .env("RECUR_LOG", "info");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().await.expect("script runs");
    Some((out.status.success(), text(&out.stdout)))
}

/// On a terminal: coloured log lines (none with NO_COLOR) and write-back's
/// bar with its ETA; through a pipe, neither.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn colour_and_progress_only_on_a_terminal() {
    let sb = small_sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.duckdb");
    let cfg = recur::demo::sandbox_config(&sb.github_url(), &sb.github().repos(), &db);
    // Five paced writes, 300 ms apart: long enough for the bar to draw.
    std::fs::write(
        dir.path().join("recur.toml"),
        format!("{cfg}\n[writeback]\nmin_interval_ms = 300\nmax_operations = 5\ncreations_per_minute = 100000\ncreations_per_hour = 100000\n"),
    )
    .unwrap();
    assert!(recur(dir.path(), &["sync"], &[]).await.status.success());
    assert!(recur(dir.path(), &["score"], &[]).await.status.success());
    let piped = recur(dir.path(), &["writeback"], &[]).await;
    assert!(piped.status.success(), "{}", stderr(&piped));
    assert!(!stderr(&piped).contains("ETA"), "no bar into a pipe");
    let Some((ok, tty)) = on_a_terminal(dir.path(), &["writeback"], &[]).await else {
        sb.shutdown().await;
        return;
    };
    assert!(ok, "{tty}");
    assert!(
        tty.contains("writes, ETA"),
        "the bar on a terminal: {tty:?}"
    );
    // `status` draws no bar: any escape in its transcript is a log colour.
    let (ok, tty) = on_a_terminal(dir.path(), &["-v", "status"], &[])
        .await
        .unwrap();
    assert!(ok && tty.contains("DEBUG"), "{tty}");
    assert!(tty.contains("\u{1b}["), "colour on a terminal: {tty:?}");
    let (ok, tty) = on_a_terminal(dir.path(), &["-v", "status"], &[("NO_COLOR", "1")])
        .await
        .unwrap();
    assert!(ok && tty.contains("DEBUG"), "{tty}");
    assert!(!tty.contains('\u{1b}'), "NO_COLOR: {tty:?}");
    sb.shutdown().await;
}

/// Write-back's progress, as the feature layer reports it: 0 of N first,
/// then each settled operation, N being the run's budget when the plan is
/// bigger; nothing for a dry run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writeback_reports_its_progress_operation_by_operation() {
    let sb = small_sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.duckdb");
    let text = format!(
        "{}\n[writeback]\nmin_interval_ms = 0\nmax_operations = 7\ncreations_per_minute = 100000\ncreations_per_hour = 100000\n",
        recur::demo::sandbox_config(&sb.github_url(), &sb.github().repos(), &db)
    );
    let settings = recur::settings::Settings::from_toml(&text).unwrap();
    sync(&settings).await;
    score(&settings).await;
    let calls = std::sync::Mutex::new(Vec::new());
    let progress = |name: &str, done: u64, total: u64| {
        calls.lock().unwrap().push((name.to_string(), done, total));
    };
    let store = recur::store::Store::open(
        &db,
        recur::store::OpenMode::ReadWrite,
        &settings.memory_limit,
    )
    .await
    .unwrap();
    let sources: Vec<_> = settings.sources.iter().collect();
    let sleeper = RecordingSleeper::default();
    let run = recur::app::Run {
        sleeper: &sleeper,
        shutdown: recur::shutdown::no_shutdown(),
        clock: clock(),
    };
    let dry = recur::app::writeback(&store, &settings, &sources, true, &run, Some(&progress))
        .await
        .map_err(|(_, e)| e)
        .unwrap();
    assert!(
        dry[0].counts.planned > 7,
        "a plan over the budget: {:?}",
        dry[0].counts
    );
    assert!(calls.lock().unwrap().is_empty(), "a dry run sends nothing");
    let done = recur::app::writeback(&store, &settings, &sources, false, &run, Some(&progress))
        .await
        .map_err(|(_, e)| e)
        .unwrap();
    store.close().await;
    let want: Vec<(String, u64, u64)> = (0..=7).map(|i| ("sandbox_gh".to_string(), i, 7)).collect();
    assert_eq!(*calls.lock().unwrap(), want);
    assert_eq!(
        done[0].counts.applied + done[0].counts.skipped + done[0].counts.failed,
        7
    );
    sb.shutdown().await;
}
