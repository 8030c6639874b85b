//! recur: pulls labelled postmortem issues (action items, incidents, risks)
//! from GitHub and Jira into one DuckDB file, analyses them with SQL kept in
//! `queries/`, and writes results back to the trackers.
//!
//! # Layers
//!
//! Calls go one way, down. A module imports from its own layer or lower,
//! never higher; `layers::every_module_imports_only_its_own_layer_or_lower`
//! reads every `crate::…` path of `src/` and enforces it (and
//! `cargo test --lib layers -- --nocapture` prints the import graph).
//!
//! 5. [`cli`]: the command line (clap) and what it prints; only `main`
//!    imports it.
//! 4. Drivers, which run use cases: [`daemon`] (the schedule, /healthz,
//!    /metrics, reports over HTTP), [`demo`] (`recur demo` against the
//!    sandbox trackers), [`bench`] (benchmark figures).
//! 3. [`app`]: one function per use case (sync, score, write-back, report,
//!    review, one daemon cycle) on an open store; `app::Error` carries the
//!    exit code.
//! 2. Features: [`sync`] (the pull loop: cursors, paging, budgets),
//!    [`scoring`] (the two risk models and the scoring run), [`writeback`]
//!    (plan, outbox, apply), [`reports`] (the report catalogue: health, risk,
//!    user reports), [`review`] (the HTML review pack).
//! 1. Foundation: [`store`] (the only owner of the DuckDB connection, and
//!    the writer lock), [`settings`] (every config section; a leaf),
//!    [`sources`] (connectors from settings), [`retry`] (the one retry
//!    loop), [`shutdown`] (shutdown as a value, sleepers), [`clock`] (one
//!    "now" per run), [`queries`] (the SQL of `queries/`, built in),
//!    [`output`] (table / JSON / CSV), [`files`] (private files, written
//!    safely), [`logging`], [`alloc`] (jemalloc, the process's malloc).
//!
//! Below them all, the workspace crates in `connectors/`: `recur-core`
//! (records, the `Connector` and `Writer` traits), `recur-github`,
//! `recur-jira`, and `recur-sandbox` (the loopback trackers, behind the
//! default `demo` feature).

pub mod alloc;
pub mod app;
pub mod backfill;
#[cfg(feature = "demo")]
pub mod bench;
pub mod cli;
pub mod clock;
pub mod daemon;
#[cfg(feature = "demo")]
pub mod demo;
pub mod files;
pub mod logging;
pub mod output;
pub mod queries;
pub mod reports;
pub mod retry;
pub mod review;
pub mod scoring;
pub mod settings;
pub mod shutdown;
pub mod sources;
pub mod store;
pub mod sync;
pub mod writeback;

#[cfg(test)]
mod layers {
    //! The layer rule of the module map above, read from the source.

    use std::collections::{BTreeMap, BTreeSet};
    use std::path::Path;

    /// Every top-level module and its layer (higher calls lower).
    const LAYERS: &[(&str, u8)] = &[
        ("cli", 5),
        ("daemon", 4),
        ("demo", 4),
        ("bench", 4),
        ("app", 3),
        ("sync", 2),
        ("backfill", 2),
        ("scoring", 2),
        ("writeback", 2),
        ("reports", 2),
        ("review", 2),
        ("store", 1),
        ("settings", 1),
        ("sources", 1),
        ("retry", 1),
        ("shutdown", 1),
        ("clock", 1),
        ("queries", 1),
        ("output", 1),
        ("files", 1),
        ("logging", 1),
        ("alloc", 1),
    ];

    fn layer(module: &str) -> Option<u8> {
        LAYERS.iter().find(|(m, _)| *m == module).map(|(_, l)| *l)
    }

    /// module -> the modules its code (not its comments, not its tests)
    /// names through `crate::`.
    fn imports() -> BTreeMap<String, BTreeSet<String>> {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        let mut stack = vec![src.clone()];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).expect("src/ is readable") {
                let path = entry.expect("entry").path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                if path.extension().and_then(|e| e.to_str()) != Some("rs") {
                    continue;
                }
                let rel = path.strip_prefix(&src).expect("under src");
                let first = rel.components().next().expect("a component");
                let module = first
                    .as_os_str()
                    .to_string_lossy()
                    .trim_end_matches(".rs")
                    .to_string();
                if module == "lib" || module == "main" {
                    continue;
                }
                let text = std::fs::read_to_string(&path).expect("readable");
                let code = text.split("#[cfg(test)]").next().unwrap_or("");
                let used = out.entry(module.clone()).or_default();
                for line in code.lines() {
                    let line = line.trim_start();
                    if line.starts_with("//") {
                        continue;
                    }
                    for (i, _) in line.match_indices("crate::") {
                        let name: String = line[i + "crate::".len()..]
                            .chars()
                            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                            .collect();
                        if !name.is_empty() && name != module {
                            used.insert(name);
                        }
                    }
                }
            }
        }
        out
    }

    /// The imports of `graph` that break the rule, in words.
    fn violations(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<String> {
        let mut wrong = Vec::new();
        for (module, used) in graph {
            let Some(mine) = layer(module) else {
                wrong.push(format!("{module} is not in the module map (LAYERS)"));
                continue;
            };
            for u in used {
                match layer(u) {
                    Some(theirs) if theirs > mine => wrong.push(format!(
                        "{module} (layer {mine}) imports {u} (layer {theirs})"
                    )),
                    Some(_) => {}
                    None => wrong.push(format!("{module} imports {u}, which is not in LAYERS")),
                }
            }
        }
        wrong
    }

    #[test]
    fn every_module_imports_only_its_own_layer_or_lower() {
        let graph = imports();
        // The graph, for anyone who wants to see it: layer, module, what it
        // imports.
        for (module, used) in &graph {
            println!(
                "{} {module} -> {}",
                layer(module).unwrap_or(0),
                used.iter().cloned().collect::<Vec<_>>().join(", ")
            );
        }
        let wrong = violations(&graph);
        assert!(wrong.is_empty(), "layer rule broken:\n{}", wrong.join("\n"));
        assert!(graph["cli"].contains("app") && graph["app"].contains("store"));
    }

    /// The rule can fail: a feature reaching up into the use cases, or a
    /// module missing from the map, is reported.
    #[test]
    fn an_upward_import_would_be_reported() {
        let mut graph = BTreeMap::new();
        graph.insert("sync".to_string(), BTreeSet::from(["app".to_string()]));
        graph.insert("store".to_string(), BTreeSet::from(["clock".to_string()]));
        graph.insert("newcomer".to_string(), BTreeSet::new());
        let wrong = violations(&graph);
        assert_eq!(wrong.len(), 2, "{wrong:?}");
        assert!(wrong[0].contains("newcomer") || wrong[1].contains("newcomer"));
        assert!(wrong
            .iter()
            .any(|w| w == "sync (layer 2) imports app (layer 3)"));
    }
}
