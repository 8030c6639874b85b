//! JQL checked against the site: each clause becomes a predicate over
//! stored values (project ids, type and status indexes, user indexes, epoch
//! milliseconds), or an error naming what does not exist. Time operands are
//! read here, in the API user's zone.

use chrono::{NaiveDate, NaiveDateTime, TimeZone};

use super::super::catalog::{self, Cat, PRIORITIES};
use super::super::state::World;
use super::parse::{Expr, Op, Val};
use super::Env;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TimeField {
    Created,
    Updated,
    Resolved,
    Due,
}

#[derive(Debug, Clone)]
pub(super) enum Test {
    Project(Vec<u32>),
    Labels(Vec<String>),
    Type(Vec<u8>),
    Status(Vec<u8>),
    Cat(Vec<Cat>),
    /// Lower-case resolution names; `None` inside means Unresolved.
    Resolution(Vec<Option<String>>),
    Priority(Vec<u8>),
    Assignee(Vec<u32>),
    Reporter(Vec<u32>),
    Key(Vec<u32>),
    Time(TimeField, Op, i64),
    Text(TextField, String),
    /// `IS EMPTY` on a field.
    Empty(EmptyField),
}

#[derive(Debug, Clone, Copy)]
pub(super) enum TextField {
    Summary,
    Description,
    Any,
}

#[derive(Debug, Clone, Copy)]
pub(super) enum EmptyField {
    Labels,
    Assignee,
    Resolution,
    Due,
    Resolved,
    Description,
}

#[derive(Debug, Clone)]
pub(super) enum Pred {
    And(Vec<Pred>),
    Or(Vec<Pred>),
    Not(Box<Pred>),
    /// `test`, negated when `neg` (and never true on an empty field then).
    Is {
        test: Test,
        neg: bool,
    },
}

/// Checks an expression against the site; every problem is added to
/// `errors` (and the clause becomes a no-op).
pub(super) fn lower(e: &Expr, w: &World, env: &Env, errors: &mut Vec<String>) -> Pred {
    match e {
        Expr::And(v) => Pred::And(v.iter().map(|x| lower(x, w, env, errors)).collect()),
        Expr::Or(v) => Pred::Or(v.iter().map(|x| lower(x, w, env, errors)).collect()),
        Expr::Not(x) => Pred::Not(Box::new(lower(x, w, env, errors))),
        Expr::Clause { field, op, values } => match clause(field, *op, values, w, env) {
            Ok(p) => p,
            Err(mut es) => {
                errors.append(&mut es);
                Pred::And(Vec::new())
            }
        },
    }
}

fn texts(values: &[Val]) -> Vec<&str> {
    values
        .iter()
        .filter_map(|v| match v {
            Val::Text(t, _) => Some(t.as_str()),
            _ => None,
        })
        .collect()
}

fn clause(field: &str, op: Op, values: &[Val], w: &World, env: &Env) -> Result<Pred, Vec<String>> {
    let f = field.to_lowercase();
    let unsupported = || {
        vec![format!(
            "The operator '{}' is not supported by the '{field}' field.",
            op.text()
        )]
    };
    let is_empty_op = matches!(op, Op::Is | Op::IsNot);
    if is_empty_op && values.iter().any(|v| *v != Val::Empty) {
        return Err(vec![format!(
            "The operator '{}' only supports the 'EMPTY' or 'NULL' value for the '{field}' field.",
            op.text()
        )]);
    }
    let eq_ops = |op: Op| matches!(op, Op::Eq | Op::Ne | Op::In | Op::NotIn);
    let mk = |test: Test| Pred::Is {
        test,
        neg: op.negative(),
    };
    let empty = |e: EmptyField| Pred::Is {
        test: Test::Empty(e),
        neg: op == Op::IsNot,
    };
    let no_value =
        |name: &str, v: &str| format!("The value '{v}' does not exist for the field '{name}'.");
    match f.as_str() {
        "project" => {
            if !eq_ops(op) {
                return Err(unsupported());
            }
            let mut ids = Vec::new();
            let mut errs = Vec::new();
            for v in texts(values) {
                match w.project(v) {
                    Some(p) => ids.push(p),
                    None => errs.push(no_value("project", v)),
                }
            }
            if errs.is_empty() {
                Ok(mk(Test::Project(ids)))
            } else {
                Err(errs)
            }
        }
        "labels" | "label" => {
            if is_empty_op {
                return Ok(empty(EmptyField::Labels));
            }
            if !eq_ops(op) {
                return Err(unsupported());
            }
            Ok(mk(Test::Labels(
                texts(values).iter().map(|s| s.to_lowercase()).collect(),
            )))
        }
        "issuetype" | "type" => {
            if !eq_ops(op) {
                return Err(unsupported());
            }
            let mut ids = Vec::new();
            let mut errs = Vec::new();
            for v in texts(values) {
                match catalog::type_by_name(v) {
                    Some(t) => ids.push(t),
                    None => errs.push(no_value("issuetype", v)),
                }
            }
            if errs.is_empty() {
                Ok(mk(Test::Type(ids)))
            } else {
                Err(errs)
            }
        }
        "status" => {
            if !eq_ops(op) {
                return Err(unsupported());
            }
            let mut ids = Vec::new();
            let mut errs = Vec::new();
            for v in texts(values) {
                match catalog::status_by_name(v) {
                    Some(s) => ids.push(s),
                    None => errs.push(no_value("status", v)),
                }
            }
            if errs.is_empty() {
                Ok(mk(Test::Status(ids)))
            } else {
                Err(errs)
            }
        }
        "statuscategory" => {
            if !eq_ops(op) {
                return Err(unsupported());
            }
            let mut cats = Vec::new();
            let mut errs = Vec::new();
            for v in texts(values) {
                let by_id = [Cat::New, Cat::Indeterminate, Cat::Done]
                    .into_iter()
                    .find(|c| c.id().to_string() == v.trim());
                match Cat::parse(v).or(by_id) {
                    Some(c) => cats.push(c),
                    None => errs.push(no_value("statusCategory", v)),
                }
            }
            if errs.is_empty() {
                Ok(mk(Test::Cat(cats)))
            } else {
                Err(errs)
            }
        }
        "resolution" => {
            if is_empty_op {
                return Ok(empty(EmptyField::Resolution));
            }
            if !eq_ops(op) {
                return Err(unsupported());
            }
            let vals = values
                .iter()
                .map(|v| match v {
                    Val::Text(t, _) if t.eq_ignore_ascii_case("unresolved") => None,
                    Val::Text(t, _) => Some(t.to_lowercase().replace('’', "'")),
                    _ => None,
                })
                .collect();
            Ok(mk(Test::Resolution(vals)))
        }
        "priority" => {
            let mut ids = Vec::new();
            let mut errs = Vec::new();
            for v in texts(values) {
                match catalog::priority_by_name(v) {
                    Some(p) => ids.push(p),
                    None => errs.push(no_value("priority", v)),
                }
            }
            if !errs.is_empty() {
                return Err(errs);
            }
            match op {
                Op::Eq | Op::Ne | Op::In | Op::NotIn => Ok(mk(Test::Priority(ids))),
                // Higher priority = lower index.
                Op::Gt | Op::Ge | Op::Lt | Op::Le if ids.len() == 1 => {
                    let p = ids[0];
                    let set: Vec<u8> = (0..PRIORITIES.len() as u8)
                        .filter(|x| match op {
                            Op::Gt => *x < p,
                            Op::Ge => *x <= p,
                            Op::Lt => *x > p,
                            _ => *x >= p,
                        })
                        .collect();
                    Ok(Pred::Is {
                        test: Test::Priority(set),
                        neg: false,
                    })
                }
                _ => Err(unsupported()),
            }
        }
        "assignee" | "reporter" => {
            if is_empty_op && f == "assignee" {
                return Ok(empty(EmptyField::Assignee));
            }
            if !eq_ops(op) {
                return Err(unsupported());
            }
            let mut ids = Vec::new();
            let mut errs = Vec::new();
            for v in values {
                match v {
                    Val::Func(name) if name.eq_ignore_ascii_case("currentUser") => {
                        if let Some(u) = env.user {
                            ids.push(u);
                        }
                    }
                    Val::Func(name) => {
                        errs.push(format!("Unable to find JQL function '{name}()'."))
                    }
                    Val::Text(t, _) => match w.find_user(t) {
                        Some(u) => ids.push(u),
                        None => errs.push(format!(
                            "The value '{t}' does not exist for the field '{field}'."
                        )),
                    },
                    Val::Empty => {}
                }
            }
            if !errs.is_empty() {
                return Err(errs);
            }
            Ok(mk(if f == "assignee" {
                Test::Assignee(ids)
            } else {
                Test::Reporter(ids)
            }))
        }
        "key" | "issuekey" | "id" | "issue" => {
            if !eq_ops(op) {
                return Err(unsupported());
            }
            let mut ids = Vec::new();
            for v in texts(values) {
                // A deleted issue does not exist for JQL either.
                match w.lookup(v).filter(|i| !w.issues[*i as usize].deleted) {
                    Some(i) => ids.push(i),
                    None if env.lenient => {}
                    None => {
                        return Err(vec![format!(
                            "An issue with key '{v}' does not exist for field '{field}'."
                        )])
                    }
                }
            }
            Ok(mk(Test::Key(ids)))
        }
        "summary" | "description" | "text" => {
            if f == "description" && is_empty_op {
                return Ok(empty(EmptyField::Description));
            }
            if !matches!(op, Op::Like | Op::NotLike) {
                return Err(unsupported());
            }
            let t = texts(values)
                .first()
                .map(|s| s.to_lowercase())
                .unwrap_or_default();
            let tf = match f.as_str() {
                "summary" => TextField::Summary,
                "description" => TextField::Description,
                _ => TextField::Any,
            };
            Ok(mk(Test::Text(tf, t.trim_matches('*').to_string())))
        }
        "created" | "createddate" | "updated" | "updateddate" | "resolved" | "resolutiondate"
        | "due" | "duedate" => {
            let tf = match f.as_str() {
                "created" | "createddate" => TimeField::Created,
                "updated" | "updateddate" => TimeField::Updated,
                "resolved" | "resolutiondate" => TimeField::Resolved,
                _ => TimeField::Due,
            };
            if is_empty_op {
                return match tf {
                    TimeField::Due => Ok(empty(EmptyField::Due)),
                    TimeField::Resolved => Ok(empty(EmptyField::Resolved)),
                    _ => Err(unsupported()),
                };
            }
            let compare = match op {
                Op::Eq | Op::Ne | Op::Gt | Op::Ge | Op::Lt | Op::Le => op,
                Op::In | Op::NotIn => {
                    // `updated in (a, b)`: any of the instants.
                    let mut preds = Vec::new();
                    for v in values {
                        preds.push(Pred::Is {
                            test: Test::Time(tf, Op::Eq, time_value(field, v, env)?),
                            neg: false,
                        });
                    }
                    let any = Pred::Or(preds);
                    return Ok(if op == Op::NotIn {
                        Pred::Not(Box::new(any))
                    } else {
                        any
                    });
                }
                _ => return Err(unsupported()),
            };
            let ms = time_value(field, &values[0], env)?;
            Ok(Pred::Is {
                test: Test::Time(tf, compare, ms),
                neg: false,
            })
        }
        _ => Err(vec![format!(
            "Field '{field}' does not exist or you do not have permission to view it."
        )]),
    }
}

/// Epoch milliseconds of a time operand.
fn time_value(field: &str, v: &Val, env: &Env) -> Result<i64, Vec<String>> {
    let invalid = |s: &str| {
        vec![format!(
            "Date value '{s}' for field '{field}' is invalid. Valid formats include: 'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', or a period format e.g. '-5d', '4w 2d'."
        )]
    };
    let text = match v {
        Val::Func(name) if name.eq_ignore_ascii_case("now") => return Ok(env.now_ms),
        Val::Func(name) => return Err(vec![format!("Unable to find JQL function '{name}()'.")]),
        Val::Empty => return Err(invalid("EMPTY")),
        Val::Text(t, _) => t.trim(),
    };
    if let Ok(ms) = text.parse::<i64>() {
        return Ok(ms);
    }
    let zone = chrono::FixedOffset::east_opt(env.tz_offset_secs).ok_or_else(|| invalid(text))?;
    for fmt in ["%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M"] {
        if let Ok(d) = NaiveDateTime::parse_from_str(text, fmt) {
            return zone
                .from_local_datetime(&d)
                .single()
                .map(|d| d.timestamp_millis())
                .ok_or_else(|| invalid(text));
        }
    }
    for fmt in ["%Y-%m-%d", "%Y/%m/%d"] {
        if let Ok(d) = NaiveDate::parse_from_str(text, fmt) {
            return d
                .and_hms_opt(0, 0, 0)
                .and_then(|d| zone.from_local_datetime(&d).single())
                .map(|d| d.timestamp_millis())
                .ok_or_else(|| invalid(text));
        }
    }
    relative(text, env.now_ms).ok_or_else(|| invalid(text))
}

/// `-5d`, `4w 2d`, `-90m`, `+1h`: now plus the period.
fn relative(s: &str, now_ms: i64) -> Option<i64> {
    let (sign, rest) = match s.strip_prefix('-') {
        Some(r) => (-1, r),
        None => (1, s.strip_prefix('+').unwrap_or(s)),
    };
    let mut total: i64 = 0;
    let mut any = false;
    for part in rest.split_whitespace() {
        let unit = part.chars().last()?;
        let n: i64 = part[..part.len() - unit.len_utf8()].parse().ok()?;
        let ms = match unit {
            'w' => 7 * 86_400_000,
            'd' => 86_400_000,
            'h' => 3_600_000,
            'm' => 60_000,
            _ => return None,
        };
        total += n * ms;
        any = true;
    }
    any.then_some(now_ms + sign * total)
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

    #[test]
    fn minute_literals_are_read_in_the_profile_zone() {
        let v = time_value(
            "updated",
            &Val::Text("2025-05-31 10:30".into(), true),
            &env(),
        )
        .unwrap();
        // 10:30 at UTC-8 is 18:30 UTC.
        let want = chrono::DateTime::parse_from_rfc3339("2025-05-31T18:30:00Z")
            .unwrap()
            .timestamp_millis();
        assert_eq!(v, want);
        let v = time_value("updated", &Val::Text("1700000000123".into(), false), &env()).unwrap();
        assert_eq!(v, 1_700_000_000_123);
        assert_eq!(relative("-1d", 86_400_000), Some(0));
        assert_eq!(relative("4w 2d", 0), Some(30 * 86_400_000));
    }
}
