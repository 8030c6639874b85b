//! JQL tokens: symbols, words and quoted strings (with their escapes),
//! each with its character position for error messages.

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Tok {
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
pub(super) struct Spanned {
    pub tok: Tok,
    /// 1-based character position.
    pub at: usize,
}

/// A JQL error message at 1-based character `at`, worded as Jira does.
pub(super) fn err_at(msg: String, at: usize) -> String {
    format!("Error in the JQL Query: {msg} (line 1, character {at})")
}

/// Splits `jql` into tokens; quoted strings are unescaped here.
pub(super) fn lex(jql: &str) -> Result<Vec<Spanned>, String> {
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

#[cfg(test)]
mod tests {
    use super::*;

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
