//! Build script: records the git commit the binary is built from, as
//! `BUILD_COMMIT` for `recur_build_info{commit}`.
//!
//! Not `RECUR_…`: cargo also puts a build script's `rustc-env` variables
//! into the environment of `cargo run` and `cargo test`, where settings
//! read every `RECUR_` variable as a configuration key and refuse unknown
//! ones.
//!
//! The build must never fail for want of git: a crate tarball, a vendored
//! copy or a machine without git gets "unknown". `BUILD_COMMIT` set
//! in the environment wins (packagers who build from a tarball but know
//! the commit).

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=BUILD_COMMIT");
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let commit = match std::env::var("BUILD_COMMIT") {
        // Bounded to what a commit or version name uses: the value goes
        // into a cargo directive line and a metric label.
        Ok(c) if !c.trim().is_empty() => c
            .trim()
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || ".-_+".contains(*c))
            .take(64)
            .collect(),
        _ => git_commit(&manifest).unwrap_or_else(|| "unknown".into()),
    };
    println!("cargo:rustc-env=BUILD_COMMIT={commit}");
}

/// `git rev-parse` in `dir`, trimmed; `None` when git is missing or fails.
fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (!text.is_empty()).then_some(text)
}

/// The short commit of HEAD, when `dir` is itself the top of a git work
/// tree (not a copy sitting somewhere inside an unrelated repository, such
/// as a home directory kept in git); and tells cargo to run again when
/// HEAD moves, so a new commit is not reported as the old one.
fn git_commit(dir: &Path) -> Option<String> {
    let top = git(dir, &["rev-parse", "--show-toplevel"])?;
    let same = |a: &Path, b: &Path| match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    if !same(Path::new(&top), dir) {
        return None;
    }
    let commit = git(dir, &["rev-parse", "--short", "HEAD"])?;
    // HEAD lives in the (per-worktree) git dir; the branch it names, loose
    // or packed, in the common dir. Only existing files are named: cargo
    // reruns a script on every build while a named file is missing.
    let resolve = |p: String| {
        let p = PathBuf::from(p);
        if p.is_absolute() {
            p
        } else {
            dir.join(p)
        }
    };
    let mut watch = Vec::new();
    if let Some(git_dir) = git(dir, &["rev-parse", "--git-dir"]).map(resolve) {
        watch.push(git_dir.join("HEAD"));
    }
    if let Some(common) = git(dir, &["rev-parse", "--git-common-dir"]).map(resolve) {
        if let Some(branch) = git(dir, &["rev-parse", "--symbolic-full-name", "HEAD"]) {
            if branch.starts_with("refs/") {
                watch.push(common.join(branch));
            }
        }
        watch.push(common.join("packed-refs"));
    }
    for path in watch.iter().filter(|p| p.exists()) {
        println!("cargo:rerun-if-changed={}", path.display());
    }
    Some(commit)
}
