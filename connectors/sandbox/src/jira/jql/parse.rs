//! JQL syntax: conditions (`AND`, `OR`, `NOT`, parentheses) over clauses
//! `field operator value(s)`, parsed into an [`Expr`] tree.

use super::lex::{err_at, Spanned, Tok};

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
    pub(super) fn text(self) -> &'static str {
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

    pub(super) fn negative(self) -> bool {
        matches!(self, Op::Ne | Op::NotIn | Op::NotLike | Op::IsNot)
    }
}

#[derive(Debug, Clone, PartialEq)]
/// A clause operand.
pub(super) enum Val {
    /// A word or quoted string (the flag says quoted).
    Text(String, bool),
    Empty,
    Func(String),
}

#[derive(Debug, Clone)]
/// A parsed condition, before it is checked against the site.
pub(super) enum Expr {
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Not(Box<Expr>),
    Clause {
        field: String,
        op: Op,
        values: Vec<Val>,
    },
}

/// A recursive-descent parser over the tokens: `OR` binds loosest, then
/// `AND`, then `NOT`.
pub(super) struct Parser {
    pub toks: Vec<Spanned>,
    pub pos: usize,
}

/// How an error message names a token.
pub(super) fn describe(t: &Tok) -> String {
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
    pub(super) fn peek(&self) -> &Tok {
        &self.toks[self.pos].tok
    }

    pub(super) fn at(&self) -> usize {
        self.toks[self.pos].at
    }

    pub(super) fn bump(&mut self) -> Tok {
        let t = self.toks[self.pos].tok.clone();
        if self.pos + 1 < self.toks.len() {
            self.pos += 1;
        }
        t
    }

    pub(super) fn word_is(&self, w: &str) -> bool {
        matches!(self.peek(), Tok::Word(x) if x.eq_ignore_ascii_case(w))
    }

    fn word_at_is(&self, offset: usize, w: &str) -> bool {
        matches!(self.toks.get(self.pos + offset).map(|s| &s.tok), Some(Tok::Word(x)) if x.eq_ignore_ascii_case(w))
    }

    pub(super) fn at_order_by(&self) -> bool {
        self.word_is("order") && self.word_at_is(1, "by")
    }

    /// A whole condition.
    pub(super) fn or(&mut self) -> Result<Expr, String> {
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
