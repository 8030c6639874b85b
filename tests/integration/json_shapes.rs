//! The `--format json` documents kept stable: each command's output, run
//! through the binary against the sandbox, is compared with its shape file
//! `tests/fixtures/json_shapes/NAME.json`. A shape file mirrors the
//! document with a type at each leaf:
//!
//! - `"string"`, `"integer"`, `"number"`, `"boolean"`; a trailing `?`
//!   allows null (`"string?"`);
//! - an object: exactly these keys, so a renamed, dropped or added field
//!   fails (an added one is added to the shape file and the README);
//! - `{"$null_or": SHAPE}`: null, or SHAPE;
//! - `[SHAPE]`: an array whose every element matches SHAPE.
//!
//! Inside an array the scenario leaves empty, or a `$null_or` it leaves
//! null, nothing can be checked: each test names the paths it accepts as
//! unvisited, and any other unvisited path fails, so coverage only shrinks
//! on purpose. A new command's JSON (`check`) gets a shape file and a test
//! calling [`assert_shape`].

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value;

use crate::cli::{recur, text};
use crate::common::*;

/// Where `actual` differs from `shape`, one line per difference; `seen`
/// collects the shape paths that met a value.
fn check(
    shape: &Value,
    actual: &Value,
    path: &str,
    errors: &mut Vec<String>,
    seen: &mut BTreeSet<String>,
) {
    seen.insert(path.to_string());
    match shape {
        Value::String(ty) => {
            let (ty, nullable) = match ty.strip_suffix('?') {
                Some(t) => (t, true),
                None => (ty.as_str(), false),
            };
            let ok = match actual {
                Value::Null => nullable,
                Value::String(_) => ty == "string",
                Value::Bool(_) => ty == "boolean",
                Value::Number(n) => {
                    ty == "number" || (ty == "integer" && (n.is_i64() || n.is_u64()))
                }
                _ => false,
            };
            if !ok {
                errors.push(format!("{path}: expected {shape}, got {actual}"));
            }
        }
        Value::Object(fields) if fields.contains_key("$null_or") => {
            if !actual.is_null() {
                check(&fields["$null_or"], actual, path, errors, seen);
            }
        }
        Value::Object(fields) => {
            let Some(obj) = actual.as_object() else {
                errors.push(format!("{path}: expected an object, got {actual}"));
                return;
            };
            for (key, inner) in fields {
                let child = format!("{path}.{key}");
                match obj.get(key) {
                    Some(v) => check(inner, v, &child, errors, seen),
                    None => errors.push(format!("{child}: missing")),
                }
            }
            for key in obj.keys().filter(|k| !fields.contains_key(*k)) {
                errors.push(format!("{path}.{key}: not in the shape file"));
            }
        }
        Value::Array(inner) if inner.len() == 1 => {
            let Some(items) = actual.as_array() else {
                errors.push(format!("{path}: expected an array, got {actual}"));
                return;
            };
            for item in items {
                check(&inner[0], item, &format!("{path}[]"), errors, seen);
            }
        }
        other => errors.push(format!("{path}: bad shape {other}")),
    }
}

/// Every path a shape describes.
fn paths(shape: &Value, path: &str, out: &mut BTreeSet<String>) {
    out.insert(path.to_string());
    match shape {
        Value::Object(f) if f.contains_key("$null_or") => paths(&f["$null_or"], path, out),
        Value::Object(f) => {
            for (k, v) in f {
                paths(v, &format!("{path}.{k}"), out);
            }
        }
        Value::Array(inner) if inner.len() == 1 => paths(&inner[0], &format!("{path}[]"), out),
        _ => {}
    }
}

/// The differences between `actual` and `shape`, and the shape paths not
/// visited that are not in `unvisited_ok` (paths as `$.sources[].gone`).
fn differences(shape: &Value, actual: &Value, unvisited_ok: &[&str]) -> Vec<String> {
    let mut errors = Vec::new();
    let mut seen = BTreeSet::new();
    check(shape, actual, "$", &mut errors, &mut seen);
    let mut all = BTreeSet::new();
    paths(shape, "$", &mut all);
    for p in all.difference(&seen) {
        let accepted = unvisited_ok.iter().any(|ok| {
            p == ok || p.starts_with(&format!("{ok}.")) || p.starts_with(&format!("{ok}[]"))
        });
        if !accepted {
            errors.push(format!("{p}: never met a value in this scenario"));
        }
    }
    errors
}

/// Asserts that `stdout` is one JSON document of the shape
/// `tests/fixtures/json_shapes/{name}.json`.
pub(crate) fn assert_shape(name: &str, stdout: &[u8], unvisited_ok: &[&str]) -> Value {
    let file = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/json_shapes")
        .join(format!("{name}.json"));
    let shape: Value = serde_json::from_str(&std::fs::read_to_string(&file).expect("shape file"))
        .expect("the shape file is JSON");
    let actual: Value = serde_json::from_slice(stdout).unwrap_or_else(|e| {
        panic!(
            "{name}: stdout is not one JSON document ({e}): {}",
            text(stdout)
        )
    });
    let errors = differences(&shape, &actual, unvisited_ok);
    assert!(
        errors.is_empty(),
        "{name}: the JSON differs from {}:\n{}\n\ndocument:\n{actual:#}",
        file.display(),
        errors.join("\n")
    );
    actual
}

/// The checker itself can fail: a renamed, dropped, added or retyped field,
/// and an array never seen non-empty, are each reported.
#[test]
fn the_shape_check_catches_renamed_dropped_and_retyped_fields() {
    let shape: Value = serde_json::json!({
        "sources": [{"source": "string", "n": "integer", "err": "string?",
                     "bf": {"$null_or": {"items": "integer"}}}],
        "ok": "boolean"
    });
    let good = serde_json::json!({"sources": [{"source": "a", "n": 1, "err": null, "bf": {"items": 2}}], "ok": true});
    assert_eq!(differences(&shape, &good, &[]), Vec::<String>::new());
    let renamed = serde_json::json!({"sources": [{"name": "a", "n": 1, "err": null, "bf": null}], "ok": true});
    let e = differences(&shape, &renamed, &[]);
    assert!(
        e.iter().any(|l| l.contains("$.sources[].source: missing")),
        "{e:?}"
    );
    assert!(
        e.iter()
            .any(|l| l.contains("$.sources[].name: not in the shape file")),
        "{e:?}"
    );
    assert!(
        e.iter()
            .any(|l| l.contains("$.sources[].bf.items: never met")),
        "{e:?}"
    );
    let retyped = serde_json::json!({"sources": [{"source": "a", "n": "1", "err": 3, "bf": null}], "ok": true});
    let e = differences(&shape, &retyped, &["$.sources[].bf"]);
    assert_eq!(e.len(), 2, "{e:?}");
    let empty = serde_json::json!({"sources": [], "ok": true});
    assert_eq!(
        differences(&shape, &empty, &["$.sources[]"]),
        Vec::<String>::new()
    );
    assert!(!differences(&shape, &empty, &[]).is_empty());
}

/// A directory with the sandbox's configuration, synced and scored.
async fn synced(sb: &recur_sandbox::Sandbox, score: bool) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.duckdb");
    let cfg = recur::demo::sandbox_config(&sb.github_url(), &sb.github().repos(), &db);
    std::fs::write(
        dir.path().join("recur.toml"),
        format!("{cfg}\n[writeback]\nmin_interval_ms = 0\ncreations_per_minute = 100000\ncreations_per_hour = 100000\n"),
    )
    .unwrap();
    let out = recur(dir.path(), &["sync"], &[]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    if score {
        let out = recur(dir.path(), &["score"], &[]).await;
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_shape_of_sync_with_its_backfill() {
    let sb = small_sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.duckdb");
    let cfg = recur::demo::sandbox_config(&sb.github_url(), &sb.github().repos(), &db);
    // Backfill only when asked (`--backfill`), so the second sync has none.
    std::fs::write(
        dir.path().join("recur.toml"),
        format!("{cfg}\n[sync]\nbackfill = false\n"),
    )
    .unwrap();
    let out = recur(dir.path(), &["sync", "--backfill", "--format", "json"], &[]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v = assert_shape("sync", &out.stdout, &[]);
    let gh = &v["sources"][0];
    assert_eq!(gh["source"], "sandbox_gh");
    assert!(gh["items_seen"].as_u64().unwrap() > 0);
    assert!(gh["backfill"]["items"].as_u64().unwrap() > 0, "{v:#}");
    // Without backfill the key stays, null.
    let out = recur(dir.path(), &["sync", "--format", "json"], &[]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v = assert_shape("sync", &out.stdout, &["$.sources[].backfill"]);
    assert!(v["sources"][0]["backfill"].is_null());
    sb.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_shape_of_score() {
    let sb = small_sandbox().await;
    let dir = synced(&sb, false).await;
    // The first run ever also scores the past month ends: `past` is full.
    let out = recur(dir.path(), &["score", "--format", "json"], &[]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v = assert_shape("score", &out.stdout, &[]);
    assert!(v["run"]["risks"].as_u64().unwrap() > 0);
    assert!(!v["past"].as_array().unwrap().is_empty());
    sb.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_shape_of_status() {
    let sb = small_sandbox().await;
    let dir = synced(&sb, false).await;
    sb.shutdown().await;
    let out = recur(dir.path(), &["status", "--format", "json"], &[]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v = assert_shape("status", &out.stdout, &[]);
    assert_eq!(v["config"]["found_by"], "working_dir");
    assert_eq!(v["config"]["path"], "recur.toml");
    assert!(v["sources"][0]["items_tracked"].as_i64().unwrap() > 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_shape_of_writeback_dry_run_and_run() {
    let sb = small_sandbox().await;
    let dir = synced(&sb, true).await;
    // Nothing in the sandbox has a label a person removed, or a label the
    // tracker cannot take.
    let empty = ["$.sources[].suppressed[]", "$.sources[].invalid[]"];
    let out = recur(
        dir.path(),
        &["writeback", "--dry-run", "--format", "json"],
        &[],
    )
    .await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v = assert_shape("writeback", &out.stdout, &empty);
    assert_eq!(v["dry_run"], true);
    assert!(v["sources"][0]["run_id"].is_null());
    let out = recur(dir.path(), &["writeback", "--format", "json"], &[]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v = assert_shape("writeback", &out.stdout, &empty);
    assert_eq!(v["dry_run"], false);
    assert!(v["sources"][0]["run_id"].as_i64().is_some());
    assert!(v["sources"][0]["counts"]["applied"].as_u64().unwrap() > 0);
    sb.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_shape_of_check() {
    let sb = small_sandbox().await;
    let dir = synced(&sb, false).await;
    let out = recur(dir.path(), &["check", "--writes", "--format", "json"], &[]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v = assert_shape("check", &out.stdout, &[]);
    assert_eq!(v["ok"], true);
    assert!(!v["sources"][0]["checks"].as_array().unwrap().is_empty());
    sb.shutdown().await;
}
