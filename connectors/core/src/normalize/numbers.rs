//! Numbers as people write them in risk forms: plain numbers with unit
//! words, percentages, levels 1-5, durations in minutes and SLOs.
//!
//! All of them go through one decimal lexer ([`lex_decimal`]) instead of
//! `str::parse::<f64>`, so `1e3`, `inf` and `NaN` are refused and `99.9 %`
//! and `0.999` give the very same SLO.

use super::text::scalar;

/// An unsigned decimal as written: integer and fraction digits.
struct Decimal {
    int: String,
    frac: String,
}

impl Decimal {
    fn value(&self) -> Option<f64> {
        let int = if self.int.is_empty() { "0" } else { &self.int };
        let frac = if self.frac.is_empty() {
            "0"
        } else {
            &self.frac
        };
        format!("{int}.{frac}")
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
    }

    /// The value divided by 100, done on the text: the result is the
    /// correctly rounded fraction, so `99.9 %` and `0.999` give the same f64.
    fn hundredth(&self) -> Option<f64> {
        let digits = format!("{}{}", self.int, self.frac);
        let text = match self.int.len().checked_sub(2) {
            Some(point) if point > 0 => {
                format!("{}.{}", digits.get(..point)?, digits.get(point..)?)
            }
            _ => format!("0.{}{digits}", "0".repeat(2 - self.int.len().min(2))),
        };
        text.parse::<f64>().ok().filter(|v| v.is_finite())
    }
}

/// Reads an unsigned decimal at the start of `s`: digits with optional `,`
/// thousands groups (`1,000`), then an optional `.` fraction (`.5` too).
/// Returns it and the rest of `s`.
fn lex_decimal(s: &str) -> Option<(Decimal, &str)> {
    let b = s.as_bytes();
    let digit_at = |i: usize| b.get(i).is_some_and(u8::is_ascii_digit);
    let mut i = 0;
    let mut int = String::new();
    while digit_at(i) {
        int.push(char::from(b[i]));
        i += 1;
    }
    if (1..=3).contains(&int.len()) {
        while b.get(i) == Some(&b',')
            && digit_at(i + 1)
            && digit_at(i + 2)
            && digit_at(i + 3)
            && !digit_at(i + 4)
        {
            int.extend(b[i + 1..i + 4].iter().map(|d| char::from(*d)));
            i += 4;
        }
    }
    let mut frac = String::new();
    if b.get(i) == Some(&b'.') && digit_at(i + 1) {
        i += 1;
        while digit_at(i) {
            frac.push(char::from(b[i]));
            i += 1;
        }
    }
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    // Only ASCII bytes were consumed, so `i` is a character boundary.
    Some((Decimal { int, frac }, s.get(i..).unwrap_or("")))
}

/// The reason for text that is a negative number, or a generic one.
fn not_a_number(t: &str, what: &str) -> String {
    let negative = t
        .strip_prefix(['-', '−'])
        .is_some_and(|rest| lex_decimal(rest.trim_start()).is_some());
    if negative {
        format!("{what} must not be negative")
    } else {
        format!("not {what}")
    }
}

/// Reads a percentage: `25`, `25%`, `25 %`, `25 percent`, `0.5 %` → 25.0,
/// 0.5. Must be within 0..=100.
pub fn parse_percent(s: &str) -> Result<Option<f64>, String> {
    let Some(t) = scalar(s, "a percentage")? else {
        return Ok(None);
    };
    let Some((decimal, rest)) = lex_decimal(t) else {
        return Err(not_a_number(t, "a percentage"));
    };
    if !is_percent_sign(rest) && !rest.trim().is_empty() {
        return Err(format!("not a percentage: {t}"));
    }
    let value = decimal
        .value()
        .ok_or_else(|| format!("not a percentage: {t}"))?;
    if value > 100.0 {
        return Err(format!("{value} is more than 100 %"));
    }
    Ok(Some(value))
}

fn is_percent_sign(rest: &str) -> bool {
    let r = rest.trim();
    r == "%" || r.eq_ignore_ascii_case("percent") || r.eq_ignore_ascii_case("pct")
}

/// Reads a level 1..=5: a leading whole number (`3`, `3 - Medium`,
/// `3 (medium)`, `3/5`, `3.0`; the words after it are the form's own labels
/// and are not checked) or a word: very low = 1, low = 2, medium/moderate = 3,
/// high = 4, very high/critical = 5; for likelihood also rare = 1,
/// unlikely = 2, possible = 3, likely = 4, almost certain = 5.
pub fn parse_level(s: &str) -> Result<Option<i32>, String> {
    let Some(t) = scalar(s, "a level")? else {
        return Ok(None);
    };
    if let Some((decimal, rest)) = lex_decimal(t) {
        if rest.chars().next().is_some_and(char::is_alphanumeric) {
            return Err(format!("not a level 1-5: {t}"));
        }
        let value = decimal
            .value()
            .ok_or_else(|| format!("not a level 1-5: {t}"))?;
        if !(1.0..=5.0).contains(&value) {
            return Err(format!("level {value} is not between 1 and 5"));
        }
        // Exact comparison is right here: `3.0` is a level, `3.5` is not.
        return (1..=5)
            .find(|n| f64::from(*n) == value)
            .map(Some)
            .ok_or_else(|| format!("level {value} is not a whole number"));
    }
    let lower = t.to_lowercase();
    let head = lower
        .split(['(', ':', '–', '—', ',', '/'])
        .next()
        .unwrap_or("");
    let words: Vec<&str> = head
        .split(|c: char| c.is_whitespace() || c == '-' || c == '_')
        .filter(|w| !w.is_empty())
        .collect();
    // The whole text, then its first two words, then its first word:
    // `very low` before `very`, `high impact` as `high`.
    [words.len(), 2, 1]
        .iter()
        .filter_map(|n| words.get(..*n))
        .find_map(|w| level_word(&w.join(" ")))
        .map(Some)
        .ok_or_else(|| not_a_number(t, "a level 1-5"))
}

fn level_word(w: &str) -> Option<i32> {
    match w {
        "very low" | "rare" => Some(1),
        "low" | "unlikely" => Some(2),
        "medium" | "moderate" | "possible" => Some(3),
        "high" | "likely" => Some(4),
        "very high" | "critical" | "almost certain" => Some(5),
        _ => None,
    }
}

/// Reads a non-negative number: `10`, `10.5`, `1,000`. A unit word after
/// it is ignored (`10 min`, `10 minutes`, `4 per year`, `90 days`); no unit is
/// converted here (see [`parse_minutes`] for durations).
pub fn parse_number(s: &str) -> Result<Option<f64>, String> {
    let Some(t) = scalar(s, "a number")? else {
        return Ok(None);
    };
    let Some((decimal, rest)) = lex_decimal(t) else {
        return Err(not_a_number(t, "a number"));
    };
    let rest = rest.trim();
    let unit_word = rest
        .chars()
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '/')
        && rest
            .chars()
            .all(|c| c.is_alphabetic() || c.is_whitespace() || matches!(c, '/' | '.'));
    if !rest.is_empty() && !unit_word {
        return Err(format!("not a number: {t}"));
    }
    decimal
        .value()
        .map(Some)
        .ok_or_else(|| format!("not a number: {t}"))
}

/// Reads a duration in minutes: `10` (minutes), `10 min`, `10m`, `2h`,
/// `2 hours`, `1h 30m`, `1h30m`, `1 hour and 30 minutes`, `1.5 h`,
/// `90 minutes`, `30s`, `1d`, `1w`. A number without a unit is minutes and
/// may only come last (`1h 30`).
pub fn parse_minutes(s: &str) -> Result<Option<f64>, String> {
    let Some(t) = scalar(s, "a duration")? else {
        return Ok(None);
    };
    let lower = t.to_lowercase();
    let mut rest = lower.as_str();
    let mut total = 0.0;
    let mut parts = 0;
    loop {
        rest = rest.trim_start_matches(|c: char| c.is_whitespace() || c == ',');
        if parts > 0 {
            if let Some(after_and) = rest.strip_prefix("and ") {
                rest = after_and;
                continue;
            }
        }
        if rest.is_empty() {
            break;
        }
        let Some((decimal, after)) = lex_decimal(rest) else {
            return Err(not_a_number(t, "a duration"));
        };
        let after = after.trim_start();
        let unit_end = after
            .find(|c: char| !c.is_alphabetic())
            .unwrap_or(after.len());
        let (unit, tail) = (
            after.get(..unit_end).unwrap_or(""),
            after.get(unit_end..).unwrap_or(""),
        );
        let (per, div) = if unit.is_empty() {
            if !tail.trim().is_empty() {
                return Err(format!("a number without a unit must come last: {t}"));
            }
            (1.0, 1.0)
        } else {
            minutes_per(unit).ok_or_else(|| format!("unknown unit {unit:?} in {t}"))?
        };
        let value = decimal
            .value()
            .ok_or_else(|| format!("not a duration: {t}"))?;
        total += value * per / div;
        parts += 1;
        rest = tail;
    }
    if parts == 0 || !f64::is_finite(total) {
        return Err(format!("not a duration: {t}"));
    }
    Ok(Some(total))
}

/// Minutes per unit as a ratio, so 30 s is exactly 0.5.
fn minutes_per(unit: &str) -> Option<(f64, f64)> {
    match unit {
        "s" | "sec" | "secs" | "second" | "seconds" => Some((1.0, 60.0)),
        "m" | "min" | "mins" | "minute" | "minutes" => Some((1.0, 1.0)),
        "h" | "hr" | "hrs" | "hour" | "hours" => Some((60.0, 1.0)),
        "d" | "day" | "days" => Some((1440.0, 1.0)),
        "w" | "wk" | "wks" | "week" | "weeks" => Some((10080.0, 1.0)),
        _ => None,
    }
}

/// Reads an SLO as a fraction: `99.9 %` or `99.9` (a number of 1 or more is
/// a percentage) → 0.999; `0.999` (below 1, a fraction) → 0.999. The result
/// must lie strictly between 0 and 1.
pub fn parse_slo(s: &str) -> Result<Option<f64>, String> {
    let Some(t) = scalar(s, "an SLO")? else {
        return Ok(None);
    };
    let Some((decimal, rest)) = lex_decimal(t) else {
        return Err(not_a_number(t, "an SLO"));
    };
    let percent = is_percent_sign(rest);
    if !percent && !rest.trim().is_empty() {
        return Err(format!("not an SLO: {t}"));
    }
    let value = decimal.value().ok_or_else(|| format!("not an SLO: {t}"))?;
    let fraction = if percent || value >= 1.0 {
        decimal.hundredth()
    } else {
        Some(value)
    }
    .ok_or_else(|| format!("not an SLO: {t}"))?;
    if fraction > 0.0 && fraction < 1.0 {
        Ok(Some(fraction))
    } else {
        Err(format!(
            "an SLO must lie between 0 % and 100 %, exclusive: {t}"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn percentages() {
        for (text, want) in [
            ("25", 25.0),
            ("25%", 25.0),
            ("25 %", 25.0),
            ("0.5 %", 0.5),
            (".5%", 0.5),
            ("100", 100.0),
            ("0", 0.0),
            ("12 percent", 12.0),
        ] {
            assert_eq!(parse_percent(text), Ok(Some(want)), "{text:?}");
        }
        for bad in [
            "101",
            "-5",
            "about 10",
            "10%%",
            "1e2",
            "NaN",
            "inf",
            "10 % of users",
        ] {
            assert!(parse_percent(bad).is_err(), "{bad:?}");
        }
        assert!(parse_percent("-5")
            .expect_err("negative")
            .contains("negative"));
    }

    #[test]
    fn levels() {
        for (text, want) in [
            ("3", 3),
            ("3 - Medium", 3),
            ("3 (medium)", 3),
            ("3: medium", 3),
            ("3/5", 3),
            ("3.0", 3),
            ("1", 1),
            ("5", 5),
            ("very low", 1),
            ("Low", 2),
            ("MEDIUM", 3),
            ("high", 4),
            ("Very High", 5),
            ("very-high", 5),
            ("critical", 5),
            ("Medium (3)", 3),
            ("high impact", 4),
            ("Almost certain", 5),
        ] {
            assert_eq!(parse_level(text), Ok(Some(want)), "{text:?}");
        }
        for bad in ["0", "6", "35", "3.5", "3rd", "extreme", "-1", "level three"] {
            assert!(parse_level(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn numbers() {
        for (text, want) in [
            ("10", 10.0),
            ("10.5", 10.5),
            ("1,000", 1000.0),
            ("1,000,000.25", 1_000_000.25),
            ("10 min", 10.0),
            ("10 minutes", 10.0),
            ("4 per year", 4.0),
            ("4/year", 4.0),
            ("0", 0.0),
        ] {
            assert_eq!(parse_number(text), Ok(Some(want)), "{text:?}");
        }
        for bad in ["-3", "ten", "1,00", "10 or 20", "10%", "1e3", "inf"] {
            assert!(parse_number(bad).is_err(), "{bad:?}");
        }
        assert!(parse_number("-3")
            .expect_err("negative")
            .contains("negative"));
    }

    #[test]
    fn minutes() {
        for (text, want) in [
            ("10", 10.0),
            ("10 min", 10.0),
            ("10m", 10.0),
            ("2h", 120.0),
            ("2 hours", 120.0),
            ("1h 30m", 90.0),
            ("1h30m", 90.0),
            ("1h, 30m", 90.0),
            ("1 hour and 30 minutes", 90.0),
            ("1h 30", 90.0),
            ("1.5 h", 90.0),
            ("90 minutes", 90.0),
            ("30s", 0.5),
            ("1d", 1440.0),
            ("1 week", 10080.0),
            ("2 HRS", 120.0),
        ] {
            assert_eq!(parse_minutes(text), Ok(Some(want)), "{text:?}");
        }
        for bad in [
            "10 20",
            "2 fortnights",
            "-5 min",
            "h",
            "about 5 min",
            "5 min and",
        ] {
            assert!(parse_minutes(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn slos() {
        for (text, want) in [
            ("99.9", 0.999),
            ("99.9%", 0.999),
            ("99.9 %", 0.999),
            ("0.999", 0.999),
            ("99.95", 0.9995),
            ("99", 0.99),
            ("0.5%", 0.005),
        ] {
            assert_eq!(parse_slo(text), Ok(Some(want)), "{text:?}");
        }
        for bad in [
            "100",
            "100%",
            "0",
            "0%",
            "150",
            "-0.5",
            "high",
            "99.9 per cent",
        ] {
            assert!(parse_slo(bad).is_err(), "{bad:?}");
        }
    }

    proptest! {
        #[test]
        fn percent_forms_agree(n in 0u32..=100, frac in proptest::option::of(0u32..100)) {
            let text = match frac {
                Some(f) => format!("{n}.{f:02}"),
                None => n.to_string(),
            };
            let plain = parse_percent(&text);
            if text.parse::<f64>().is_ok_and(|v| v <= 100.0) {
                prop_assert_eq!(plain.clone(), Ok(text.parse::<f64>().ok()));
            } else {
                prop_assert!(plain.is_err());
            }
            prop_assert_eq!(parse_percent(&format!("{text}%")), plain.clone());
            prop_assert_eq!(parse_percent(&format!("{text} %")), plain);
        }

        #[test]
        fn slo_percent_and_fraction_agree(x in "[0-9]{1,8}") {
            let percent = parse_slo(&format!("99.{x}"));
            prop_assert!(percent.is_ok());
            prop_assert_eq!(percent.clone(), parse_slo(&format!("0.99{x}")));
            prop_assert_eq!(percent, parse_slo(&format!("99.{x}%")));
        }
    }
}
