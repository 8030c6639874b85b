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
//! for `project`, `issuetype` or `status` is a 400 naming it.

use chrono::{NaiveDate, NaiveDateTime, TimeZone};

use super::catalog::{self, Cat, PRIORITIES};
use super::state::{Issue, World};

// ---------------------------------------------------------------------------
// Lexing.

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    LParen,
    RParen,
    Comma,
    /// `=`, `!=`, `>`, `>=`, `<`, `<=`, `~`, `!~`, `!`, `&&`, `||`.
    Sym(&'static str),
    Word(String),
    Str(String),
    End,
}

#[derive(Debug, Clone)]
struct Spanned {
    tok: Tok,
    /// 1-based character position.
    at: usize,
}

fn err_at(msg: String, at: usize) -> String {
    format!("Error in the JQL Query: {msg} (line 1, character {at})")
}

fn lex(jql: &str) -> Result<Vec<Spanned>, String> {
    let chars: Vec<char> = jql.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let at = i + 1;
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let two: String = chars[i..(i + 2).min(chars.len())].iter().collect();
        let sym = match two.as_str() {
            "!=" => Some("!="),
            ">=" => Some(">="),
            "<=" => Some("<="),
            "!~" => Some("!~"),
            "&&" => Some("&&"),
            "||" => Some("||"),
            _ => None,
        };
        if let Some(s) = sym {
            out.push(Spanned {
                tok: Tok::Sym(s),
                at,
            });
            i += 2;
            continue;
        }
        let one = match c {
            '(' => Some(Tok::LParen),
            ')' => Some(Tok::RParen),
            ',' => Some(Tok::Comma),
            '=' => Some(Tok::Sym("=")),
            '>' => Some(Tok::Sym(">")),
            '<' => Some(Tok::Sym("<")),
            '~' => Some(Tok::Sym("~")),
            '!' => Some(Tok::Sym("!")),
            '&' => Some(Tok::Sym("&&")),
            '|' => Some(Tok::Sym("||")),
            _ => None,
        };
        if let Some(t) = one {
            out.push(Spanned { tok: t, at });
            i += 1;
            continue;
        }
        if c == '"' || c == '\'' {
            let mut s = String::new();
            let mut j = i + 1;
            loop {
                let Some(&d) = chars.get(j) else {
                    return Err(err_at(
                        format!("The quoted string '{s}' has not been completed."),
                        at,
                    ));
                };
                if d == c {
                    break;
                }
                if d == '\\' {
                    let e = chars.get(j + 1).copied();
                    match e {
                        Some('"') | Some('\'') | Some('\\') | Some(' ') => s.push(e.unwrap_or(' ')),
                        Some('n') => s.push('\n'),
                        Some('r') => s.push('\r'),
                        Some('t') => s.push('\t'),
                        Some('u') => {
                            let hex: String = chars.iter().skip(j + 2).take(4).collect();
                            let ch = u32::from_str_radix(&hex, 16)
                                .ok()
                                .filter(|_| hex.len() == 4)
                                .and_then(char::from_u32)
                                .ok_or_else(|| {
                                    err_at(format!("Illegal Unicode escape '\\u{hex}'."), j + 1)
                                })?;
                            s.push(ch);
                            j += 4;
                        }
                        other => {
                            return Err(err_at(
                                format!(
                                    "Illegal escape sequence '\\{}' in the string.",
                                    other.map(String::from).unwrap_or_default()
                                ),
                                j + 1,
                            ))
                        }
                    }
                    j += 2;
                    continue;
                }
                s.push(d);
                j += 1;
            }
            out.push(Spanned {
                tok: Tok::Str(s),
                at,
            });
            i = j + 1;
            continue;
        }
        let mut j = i;
        while j < chars.len() {
            let d = chars[j];
            if d.is_whitespace() || "()=,!<>~\"'&|".contains(d) {
                break;
            }
            j += 1;
        }
        out.push(Spanned {
            tok: Tok::Word(chars[i..j].iter().collect()),
            at,
        });
        i = j;
    }
    out.push(Spanned {
        tok: Tok::End,
        at: chars.len() + 1,
    });
    Ok(out)
}

// ---------------------------------------------------------------------------
// Syntax.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
    Like,
    NotLike,
    In,
    NotIn,
    Is,
    IsNot,
}

impl Op {
    fn text(self) -> &'static str {
        match self {
            Op::Eq => "=",
            Op::Ne => "!=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Like => "~",
            Op::NotLike => "!~",
            Op::In => "in",
            Op::NotIn => "not in",
            Op::Is => "is",
            Op::IsNot => "is not",
        }
    }

    fn negative(self) -> bool {
        matches!(self, Op::Ne | Op::NotIn | Op::NotLike | Op::IsNot)
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Val {
    /// A word or quoted string (the flag says quoted).
    Text(String, bool),
    Empty,
    Func(String),
}

#[derive(Debug, Clone)]
enum Expr {
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Not(Box<Expr>),
    Clause {
        field: String,
        op: Op,
        values: Vec<Val>,
    },
}

struct Parser {
    toks: Vec<Spanned>,
    pos: usize,
}

fn describe(t: &Tok) -> String {
    match t {
        Tok::LParen => "'('".into(),
        Tok::RParen => "')'".into(),
        Tok::Comma => "','".into(),
        Tok::Sym(s) => format!("'{s}'"),
        Tok::Word(w) => format!("'{w}'"),
        Tok::Str(s) => format!("'{s}'"),
        Tok::End => "the end of the query".into(),
    }
}

impl Parser {
    fn peek(&self) -> &Tok {
        &self.toks[self.pos].tok
    }

    fn at(&self) -> usize {
        self.toks[self.pos].at
    }

    fn bump(&mut self) -> Tok {
        let t = self.toks[self.pos].tok.clone();
        if self.pos + 1 < self.toks.len() {
            self.pos += 1;
        }
        t
    }

    fn word_is(&self, w: &str) -> bool {
        matches!(self.peek(), Tok::Word(x) if x.eq_ignore_ascii_case(w))
    }

    fn word_at_is(&self, offset: usize, w: &str) -> bool {
        matches!(self.toks.get(self.pos + offset).map(|s| &s.tok), Some(Tok::Word(x)) if x.eq_ignore_ascii_case(w))
    }

    fn at_order_by(&self) -> bool {
        self.word_is("order") && self.word_at_is(1, "by")
    }

    fn or(&mut self) -> Result<Expr, String> {
        let mut parts = vec![self.and()?];
        while self.word_is("or") || *self.peek() == Tok::Sym("||") {
            self.bump();
            parts.push(self.and()?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Expr::Or(parts)
        })
    }

    fn and(&mut self) -> Result<Expr, String> {
        let mut parts = vec![self.not()?];
        while self.word_is("and") || *self.peek() == Tok::Sym("&&") {
            self.bump();
            parts.push(self.not()?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Expr::And(parts)
        })
    }

    fn not(&mut self) -> Result<Expr, String> {
        if self.word_is("not") || *self.peek() == Tok::Sym("!") {
            self.bump();
            return Ok(Expr::Not(Box::new(self.not()?)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Expr, String> {
        if *self.peek() == Tok::LParen {
            self.bump();
            let e = self.or()?;
            if *self.peek() != Tok::RParen {
                return Err(err_at(
                    format!("Expecting ')' but got {}.", describe(self.peek())),
                    self.at(),
                ));
            }
            self.bump();
            return Ok(e);
        }
        let at = self.at();
        let field = match self.bump() {
            Tok::Word(w) => w,
            Tok::Str(s) => s,
            other => {
                return Err(err_at(
                    format!("Expecting a field name but got {}.", describe(&other)),
                    at,
                ))
            }
        };
        let op_at = self.at();
        let op = match self.bump() {
            Tok::Sym("=") => Op::Eq,
            Tok::Sym("!=") => Op::Ne,
            Tok::Sym(">") => Op::Gt,
            Tok::Sym(">=") => Op::Ge,
            Tok::Sym("<") => Op::Lt,
            Tok::Sym("<=") => Op::Le,
            Tok::Sym("~") => Op::Like,
            Tok::Sym("!~") => Op::NotLike,
            Tok::Word(w) if w.eq_ignore_ascii_case("in") => Op::In,
            Tok::Word(w) if w.eq_ignore_ascii_case("not") && self.word_is("in") => {
                self.bump();
                Op::NotIn
            }
            Tok::Word(w) if w.eq_ignore_ascii_case("is") => {
                if self.word_is("not") {
                    self.bump();
                    Op::IsNot
                } else {
                    Op::Is
                }
            }
            other => {
                return Err(err_at(
                    format!(
                        "Expecting operator but got {}. The valid operators are '=', '!=', '<', '>', '<=', '>=', '~', '!~', 'IN', 'NOT IN', 'IS' and 'IS NOT'.",
                        describe(&other)
                    ),
                    op_at,
                ))
            }
        };
        let values = if matches!(op, Op::In | Op::NotIn) {
            if *self.peek() != Tok::LParen {
                return Err(err_at(
                    format!("Expecting '(' but got {}.", describe(self.peek())),
                    self.at(),
                ));
            }
            self.bump();
            let mut vals = vec![self.value()?];
            while *self.peek() == Tok::Comma {
                self.bump();
                vals.push(self.value()?);
            }
            if *self.peek() != Tok::RParen {
                return Err(err_at(
                    format!("Expecting ')' but got {}.", describe(self.peek())),
                    self.at(),
                ));
            }
            self.bump();
            vals
        } else {
            vec![self.value()?]
        };
        Ok(Expr::Clause { field, op, values })
    }

    fn value(&mut self) -> Result<Val, String> {
        let at = self.at();
        match self.bump() {
            Tok::Str(s) => Ok(Val::Text(s, true)),
            Tok::Word(w) => {
                if w.eq_ignore_ascii_case("empty") || w.eq_ignore_ascii_case("null") {
                    return Ok(Val::Empty);
                }
                if *self.peek() == Tok::LParen {
                    self.bump();
                    // Arguments are accepted and ignored.
                    while !matches!(self.peek(), Tok::RParen | Tok::End) {
                        self.bump();
                    }
                    if *self.peek() != Tok::RParen {
                        return Err(err_at(format!("Expecting ')' after '{w}('."), self.at()));
                    }
                    self.bump();
                    return Ok(Val::Func(w));
                }
                for reserved in ["and", "or", "not", "order", "in", "is"] {
                    if w.eq_ignore_ascii_case(reserved) {
                        return Err(err_at(
                            format!("Expecting either a value, list or function but got '{w}'. You must surround '{w}' in quotation marks to use it as a value."),
                            at,
                        ));
                    }
                }
                Ok(Val::Text(w, false))
            }
            other => Err(err_at(
                format!(
                    "Expecting either a value, list or function but got {}.",
                    describe(&other)
                ),
                at,
            )),
        }
    }
}

// ---------------------------------------------------------------------------
// Compilation against the world.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TimeField {
    Created,
    Updated,
    Resolved,
    Due,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SortField {
    Updated,
    Created,
    Resolved,
    Due,
    Key,
    Id,
    Summary,
    Priority,
}

#[derive(Debug, Clone)]
enum Test {
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
enum TextField {
    Summary,
    Description,
    Any,
}

#[derive(Debug, Clone, Copy)]
enum EmptyField {
    Labels,
    Assignee,
    Resolution,
    Due,
    Resolved,
    Description,
}

#[derive(Debug, Clone)]
enum Pred {
    And(Vec<Pred>),
    Or(Vec<Pred>),
    Not(Box<Pred>),
    /// `test`, negated when `neg` (and never true on an empty field then).
    Is {
        test: Test,
        neg: bool,
    },
}

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
            let field = sort_field(&name)
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

fn sort_field(name: &str) -> Option<SortField> {
    Some(match name.to_lowercase().as_str() {
        "updated" | "updateddate" => SortField::Updated,
        "created" | "createddate" => SortField::Created,
        "resolved" | "resolutiondate" => SortField::Resolved,
        "due" | "duedate" => SortField::Due,
        "key" | "issuekey" => SortField::Key,
        "id" => SortField::Id,
        "summary" => SortField::Summary,
        "priority" => SortField::Priority,
        _ => return None,
    })
}

fn lower(e: &Expr, w: &World, env: &Env, errors: &mut Vec<String>) -> Pred {
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
                match w.lookup(v) {
                    Some(i) => ids.push(i),
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

// ---------------------------------------------------------------------------
// Evaluation.

impl Query {
    /// True when the query has no restriction (only an `ORDER BY`, or
    /// nothing).
    pub(crate) fn unbounded(&self) -> bool {
        self.pred.is_none()
    }

    /// The projects the query can match at most, when it says.
    pub(crate) fn projects(&self) -> Option<Vec<u32>> {
        self.pred.as_ref().and_then(projects_of)
    }

    pub(crate) fn matches(&self, w: &World, i: u32) -> bool {
        self.pred.as_ref().is_none_or(|p| eval(p, w, i))
    }
}

fn projects_of(p: &Pred) -> Option<Vec<u32>> {
    match p {
        Pred::Is {
            test: Test::Project(ids),
            neg: false,
        } => Some(ids.clone()),
        Pred::And(parts) => parts.iter().find_map(projects_of),
        Pred::Or(parts) => {
            let mut all = Vec::new();
            for x in parts {
                all.extend(projects_of(x)?);
            }
            all.sort_unstable();
            all.dedup();
            Some(all)
        }
        _ => None,
    }
}

fn eval(p: &Pred, w: &World, i: u32) -> bool {
    match p {
        Pred::And(v) => v.iter().all(|x| eval(x, w, i)),
        Pred::Or(v) => v.iter().any(|x| eval(x, w, i)),
        Pred::Not(x) => !eval(x, w, i),
        Pred::Is { test, neg } => {
            let issue = &w.issues[i as usize];
            match test_value(test, issue, i) {
                // The field is empty: only IS EMPTY tests look at that.
                None => false,
                Some(hit) => hit != *neg,
            }
        }
    }
}

/// `Some(matches)`, or `None` when the field is empty (negations of it are
/// false too, as in Jira).
fn test_value(t: &Test, issue: &Issue, i: u32) -> Option<bool> {
    Some(match t {
        Test::Project(ids) => ids.contains(&issue.project),
        Test::Labels(ls) => {
            if issue.labels.is_empty() {
                return None;
            }
            issue
                .labels
                .iter()
                .any(|l| ls.iter().any(|x| x.eq_ignore_ascii_case(l)))
        }
        Test::Type(ts) => ts.contains(&issue.itype),
        Test::Status(ss) => ss.contains(&issue.status),
        Test::Cat(cs) => cs.contains(&issue.cat()),
        Test::Resolution(rs) => {
            let mine = issue
                .resolution
                .as_ref()
                .map(|r| r.to_lowercase().replace('’', "'"));
            rs.contains(&mine)
        }
        Test::Priority(ps) => ps.contains(&issue.priority),
        Test::Assignee(us) => us.contains(&issue.assignee?),
        Test::Reporter(us) => us.contains(&issue.reporter),
        Test::Key(ids) => ids.contains(&i),
        Test::Time(f, op, ms) => {
            let v = time_of(issue, *f)?;
            match op {
                Op::Eq => v == *ms,
                Op::Ne => v != *ms,
                Op::Gt => v > *ms,
                Op::Ge => v >= *ms,
                Op::Lt => v < *ms,
                Op::Le => v <= *ms,
                _ => false,
            }
        }
        Test::Text(f, needle) => {
            let summary = || issue.summary.to_lowercase().contains(needle.as_str());
            let desc = || {
                issue.description.as_ref().is_some_and(|d| {
                    super::adf::to_text(d)
                        .to_lowercase()
                        .contains(needle.as_str())
                })
            };
            match f {
                TextField::Summary => summary(),
                TextField::Description => desc(),
                TextField::Any => summary() || desc(),
            }
        }
        Test::Empty(f) => match f {
            EmptyField::Labels => issue.labels.is_empty(),
            EmptyField::Assignee => issue.assignee.is_none(),
            EmptyField::Resolution => issue.resolution.is_none(),
            EmptyField::Due => issue.duedate.is_none(),
            EmptyField::Resolved => issue.resolved.is_none(),
            EmptyField::Description => issue.description.is_none(),
        },
    })
}

fn time_of(issue: &Issue, f: TimeField) -> Option<i64> {
    match f {
        TimeField::Created => Some(issue.created),
        TimeField::Updated => Some(issue.updated),
        TimeField::Resolved => issue.resolved,
        TimeField::Due => issue
            .duedate
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|d| d.and_utc().timestamp_millis()),
    }
}

// ---------------------------------------------------------------------------
// Ordering.

/// One sort value; `Null` sorts after everything.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum SortVal {
    Int(i64),
    Str(String),
    Null,
}

/// The sort tuple of issue `i` under `order` (then id ascending, so the
/// order is total). Each entry carries its direction.
pub(crate) fn sort_key(w: &World, i: u32, order: &[(SortField, bool)]) -> Vec<(SortVal, bool)> {
    let issue = &w.issues[i as usize];
    let mut out = Vec::with_capacity(order.len() + 2);
    for (f, asc) in order {
        let int = |v: Option<i64>| v.map_or(SortVal::Null, SortVal::Int);
        match f {
            SortField::Updated => out.push((SortVal::Int(issue.updated), *asc)),
            SortField::Created => out.push((SortVal::Int(issue.created), *asc)),
            SortField::Resolved => out.push((int(issue.resolved), *asc)),
            SortField::Due => out.push((int(time_of(issue, TimeField::Due)), *asc)),
            SortField::Key => {
                out.push((
                    SortVal::Str(w.projects[issue.project as usize].key.clone()),
                    *asc,
                ));
                out.push((SortVal::Int(issue.number as i64), *asc));
            }
            SortField::Id => out.push((SortVal::Int(issue.id as i64), *asc)),
            SortField::Summary => out.push((SortVal::Str(issue.summary.to_lowercase()), *asc)),
            SortField::Priority => out.push((SortVal::Int(issue.priority as i64), *asc)),
        }
    }
    out.push((SortVal::Int(issue.id as i64), true));
    out
}

/// Compares two sort tuples built by [`sort_key`] (same order).
pub(crate) fn compare(a: &[(SortVal, bool)], b: &[(SortVal, bool)]) -> std::cmp::Ordering {
    for ((x, asc), (y, _)) in a.iter().zip(b) {
        let o = match (x, y) {
            // Empty values last whatever the direction.
            (SortVal::Null, SortVal::Null) => std::cmp::Ordering::Equal,
            (SortVal::Null, _) => return std::cmp::Ordering::Greater,
            (_, SortVal::Null) => return std::cmp::Ordering::Less,
            _ if *asc => x.cmp(y),
            _ => y.cmp(x),
        };
        if o != std::cmp::Ordering::Equal {
            return o;
        }
    }
    a.len().cmp(&b.len())
}

/// Jira's order when the query gives none: key descending.
pub(crate) const DEFAULT_ORDER: [(SortField, bool); 1] = [(SortField::Key, false)];

#[cfg(test)]
mod tests {
    use super::*;

    fn env() -> Env {
        Env {
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

    #[test]
    fn quoted_strings_unescape() {
        let t =
            lex(r#"labels = "say \"hi\"" OR labels = 'it\'s' OR summary ~ "a\u0041\\""#).unwrap();
        let strs: Vec<String> = t
            .into_iter()
            .filter_map(|s| match s.tok {
                Tok::Str(s) => Some(s),
                _ => None,
            })
            .collect();
        assert_eq!(strs, vec!["say \"hi\"", "it's", "aA\\"]);
    }
}
