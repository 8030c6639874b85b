//! A JQL subset: enough for what recur sends and for the filters people
//! write by hand.
//!
//! Fields: `project`, `labels`, `issuetype` (`type`), `status`,
//! `statusCategory`, `resolution`, `priority`, `assignee`, `reporter`,
//! `key` (`issuekey`, `id`), `summary`, `description`, `text`, `created`,
//! `updated`, `resolutiondate` (`resolved`), `duedate` (`due`).
//! Operators: `= != > >= < <= ~ !~ IN, NOT IN, IS [NOT] EMPTY|NULL`;
//! `AND` / `OR` / `NOT` (and `&&`, `||`, `!`), parentheses; quoted strings
//! (`"…"` or `'…'`) with `\"`, `\'`, `\\`, `\n`, `\r`, `\t`, `\uXXXX`
//! escapes; `ORDER BY field [ASC|DESC], …`. Functions: `currentUser()`,
//! `now()`, `EMPTY`.
//!
//! Time values: a number is epoch **milliseconds** (exact); `"yyyy-MM-dd
//! HH:mm"`, `"yyyy/MM/dd HH:mm"`, `"yyyy-MM-dd"` and `"yyyy/MM/dd"` are
//! read in the API user's profile zone with minute resolution; `-5d`,
//! `-2h`, `-30m`, `-1w` are relative to now. That profile zone is the trap
//! the sandbox exists to spring: `"2025-05-31 10:30"` is 18:30 UTC when the
//! user sits at UTC−08:00.
//!
//! Like Jira, negative clauses never match an issue whose field is empty
//! (`labels != x` skips unlabelled issues), and a value that does not exist
//! for `project`, `issuetype` or `status` is a 400 naming it, as is an
//! issue key or id that names no live issue (a deleted one included),
//! unless Data Center's `validateQuery: false` asks for it to match
//! nothing ([`Env::lenient`]).
//!
//! Stages: `lex` (tokens) → `parse` (syntax tree) → `lower` (checked
//! against the site: a predicate or error messages) → `eval` (does an
//! issue match) and `order` (sort values and comparison); [`compile`] runs
//! the first three.

mod eval;
mod lex;
mod lower;
mod order;
mod parse;

use super::state::World;
use lex::{err_at, lex, Tok};
use lower::{lower, Pred};
use parse::{describe, Parser};

pub(crate) use order::{compare, sort_key, SortField, SortVal, DEFAULT_ORDER};

/// A parsed, validated query.
#[derive(Debug, Clone)]
pub(crate) struct Query {
    pred: Option<Pred>,
    pub order: Vec<(SortField, bool)>,
}

/// Who is asking and when: for `currentUser()`, relative dates and the
/// profile zone.
pub(crate) struct Env {
    pub user: Option<u32>,
    pub now_ms: i64,
    pub tz_offset_secs: i32,
    /// Data Center's `validateQuery: false`: an issue key or id that names
    /// no live issue matches nothing instead of failing the query (Jira
    /// turns those errors into warnings).
    pub lenient: bool,
}

/// Parses and validates `jql`; every problem found is one message.
pub(crate) fn compile(jql: &str, w: &World, env: &Env) -> Result<Query, Vec<String>> {
    let toks = lex(jql).map_err(|e| vec![e])?;
    let mut p = Parser { toks, pos: 0 };
    let expr = if *p.peek() == Tok::End || p.at_order_by() {
        None
    } else {
        Some(p.or().map_err(|e| vec![e])?)
    };
    let mut order = Vec::new();
    if p.at_order_by() {
        p.bump();
        p.bump();
        loop {
            let at = p.at();
            let name = match p.bump() {
                Tok::Word(w) => w,
                Tok::Str(s) => s,
                other => {
                    return Err(vec![err_at(
                        format!("Expecting a field name but got {}.", describe(&other)),
                        at,
                    )])
                }
            };
            let field = order::sort_field(&name)
                .ok_or_else(|| vec![format!("Not able to sort using field '{name}'.")])?;
            let mut asc = !matches!(
                field,
                SortField::Updated | SortField::Created | SortField::Resolved
            );
            if p.word_is("asc") {
                p.bump();
                asc = true;
            } else if p.word_is("desc") {
                p.bump();
                asc = false;
            }
            order.push((field, asc));
            if *p.peek() == Tok::Comma {
                p.bump();
                continue;
            }
            break;
        }
        if order.len() > 7 {
            return Err(vec![
                "The ORDER BY clause can contain a maximum of 7 fields.".into(),
            ]);
        }
    }
    if *p.peek() != Tok::End {
        return Err(vec![err_at(
            format!(
                "Expecting either 'OR' or 'AND' but got {}.",
                describe(p.peek())
            ),
            p.at(),
        )]);
    }
    let mut errors = Vec::new();
    let pred = expr.map(|e| lower(&e, w, env, &mut errors));
    if !errors.is_empty() {
        errors.dedup();
        return Err(errors);
    }
    Ok(Query { pred, order })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env() -> Env {
        Env {
            lenient: false,
            user: None,
            now_ms: 1_748_736_000_000,
            tz_offset_secs: -8 * 3600,
        }
    }

    fn world() -> World {
        let mut w = World::new();
        w.add_project("OPS", "Operations");
        w
    }

    #[test]
    fn parses_what_recur_sends() {
        let w = world();
        let q = compile(
            r#"project = "OPS" AND (labels in ("postmortem","incident") OR issuetype in ("Incident","Risk")) ORDER BY updated ASC, key ASC"#,
            &w,
            &env(),
        )
        .unwrap();
        assert!(!q.unbounded());
        assert_eq!(q.projects(), Some(vec![0]));
        assert_eq!(
            q.order,
            vec![(SortField::Updated, true), (SortField::Key, true)]
        );
        let q = compile(
            r#"project = "OPS" AND updated >= 1670494938889 ORDER BY updated ASC, key ASC"#,
            &w,
            &env(),
        )
        .unwrap();
        assert_eq!(q.projects(), Some(vec![0]));
        assert!(compile("ORDER BY key", &w, &env()).unwrap().unbounded());
        assert!(compile("", &w, &env()).unwrap().unbounded());
    }

    #[test]
    fn errors_name_the_problem() {
        let w = world();
        let e = compile(r#"project = "NOPE""#, &w, &env()).unwrap_err();
        assert_eq!(
            e,
            vec!["The value 'NOPE' does not exist for the field 'project'."]
        );
        let e = compile("project in (OPS, SRE, XX)", &w, &env()).unwrap_err();
        assert_eq!(e.len(), 2);
        let e = compile("foo = 1", &w, &env()).unwrap_err();
        assert!(e[0].contains("Field 'foo' does not exist"), "{e:?}");
        let e = compile(r#"project = "OPS"#, &w, &env()).unwrap_err();
        assert!(e[0].contains("has not been completed"), "{e:?}");
        let e = compile("project = OPS labels = x", &w, &env()).unwrap_err();
        assert!(e[0].contains("Expecting either 'OR' or 'AND'"), "{e:?}");
        let e = compile("issuetype = Saga", &w, &env()).unwrap_err();
        assert!(e[0].contains("'issuetype'"), "{e:?}");
        let e = compile("project = OPS ORDER BY colour", &w, &env()).unwrap_err();
        assert!(e[0].contains("Not able to sort"), "{e:?}");
        let e = compile(r#"updated >= "yesterday-ish""#, &w, &env()).unwrap_err();
        assert!(e[0].contains("Date value"), "{e:?}");
    }
}
