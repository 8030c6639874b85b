//! Dates and timestamps as people write them in trackers: ISO forms, Jira's
//! offset without a colon, `2 March 2025`, and months without a day.
//!
//! A date is read **as written** (no time-zone shift), because a target date
//! is a calendar day in the author's head, not an instant.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime, TimeZone, Utc};

use super::text::scalar;

/// Reads a calendar date **as written**, without any time-zone shift:
/// `2025-03-02`, `2025/03/02`, `2.3.2025` (day first with dots),
/// `2025-03-02T10:00:00Z` and `2025-03-02 14:05 UTC` (the date part, the
/// time must still be valid), `2 March 2025`, `March 2, 2025`, `Mar 2 2025`,
/// `2nd March 2025`, `Sunday, 2 March 2025`.
///
/// `03/02/2025` is refused as ambiguous (day or month first?).
pub fn parse_date(s: &str) -> Result<Option<NaiveDate>, String> {
    let Some(t) = scalar(s, "a date")? else {
        return Ok(None);
    };
    date_parts(t).map(|(date, _)| Some(date))
}

/// Reads a point in time: RFC 3339 (`2025-03-02T14:05:09Z`,
/// `…+01:00`), Jira's `2022-12-08T02:22:18.889-0800` (offset without a
/// colon), `2025-03-02 14:05 UTC`, `2025-03-02 14:05:09`,
/// `2025-03-02T14:05` (UTC assumed when no zone is given; `Z`, `UTC`, `GMT`,
/// `±HH:MM`, `±HHMM`, `±HH` are understood), and any date [`parse_date`]
/// reads, as midnight UTC.
pub fn parse_timestamp(s: &str) -> Result<Option<DateTime<Utc>>, String> {
    let Some(t) = scalar(s, "a timestamp")? else {
        return Ok(None);
    };
    let (date, time) = date_parts(t)?;
    let Some((time, offset)) = time else {
        return Ok(Some(date.and_time(NaiveTime::MIN).and_utc()));
    };
    offset
        .from_local_datetime(&date.and_time(time))
        .single()
        .map(|dt| Some(dt.with_timezone(&Utc)))
        .ok_or_else(|| format!("not a valid timestamp: {t}"))
}

type TimeOfDay = Option<(NaiveTime, FixedOffset)>;

/// A date, and the time of day with its offset when one was written.
fn date_parts(t: &str) -> Result<(NaiveDate, TimeOfDay), String> {
    if let Some(date) = numeric_date(t)? {
        return Ok((date, None));
    }
    if let Some(date) = text_date(t) {
        return Ok((date, None));
    }
    // `YYYY-MM-DD` then `T` or a space then a time: the date is at most ten
    // characters, so only the first few cut points need trying.
    for (i, c) in t.char_indices().take(11) {
        if matches!(c, 'T' | 't' | ' ') {
            let (Some(head), Some(tail)) = (t.get(..i), t.get(i + 1..)) else {
                continue;
            };
            if let Some(date) = numeric_date(head)? {
                return Ok((date, Some(time_and_zone(tail)?)));
            }
        }
    }
    Err("not a date (write it as YYYY-MM-DD)".to_string())
}

/// `Ok(None)`: not digits-and-separators at all; `Err`: it is, but it is no
/// date or an ambiguous one.
fn numeric_date(s: &str) -> Result<Option<NaiveDate>, String> {
    let Some(sep) = s.chars().find(|c| !c.is_ascii_digit()) else {
        return Ok(None);
    };
    if !matches!(sep, '-' | '/' | '.') {
        return Ok(None);
    }
    let parts: Vec<&str> = s.split(sep).collect();
    let [a, b, c] = parts.as_slice() else {
        return Ok(None);
    };
    if [a, b, c]
        .iter()
        .any(|p| p.is_empty() || !p.bytes().all(|d| d.is_ascii_digit()))
    {
        return Ok(None);
    }
    let (year, month, day) = match (a.len(), b.len(), c.len()) {
        (4, 1..=2, 1..=2) => (a, b, c),
        // Day-first with dots is the common European form; nobody writes
        // month-first with dots.
        (1..=2, 1..=2, 4) if sep == '.' => (c, b, a),
        (1..=2, 1..=2, 4) => {
            return Err(
                "day and month order is ambiguous (write the date as YYYY-MM-DD)".to_string(),
            )
        }
        _ => return Ok(None),
    };
    let (Ok(y), Ok(m), Ok(d)) = (year.parse(), month.parse(), day.parse()) else {
        return Ok(None);
    };
    NaiveDate::from_ymd_opt(y, m, d)
        .map(Some)
        .ok_or_else(|| format!("no such date: {s}"))
}

const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

const WEEKDAYS: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

/// The reason given for a date written as a month only; the value is kept
/// (the month's first day), this marks its precision.
pub const MONTH_PRECISION: &str = "month precision";

/// The first day of a month written without a day: `March 2026`,
/// `Mar. 2026`, `March, 2026`, `2026-03`, `2026/03`.
pub fn month_date(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    if s.len() > 20 {
        return None;
    }
    if let Some((y, m)) = s.split_once(['-', '/']) {
        if y.len() == 4 && (1..=2).contains(&m.len()) && m.bytes().all(|d| d.is_ascii_digit()) {
            return NaiveDate::from_ymd_opt(year_number(y)?, m.parse().ok()?, 1);
        }
        return None;
    }
    let tokens: Vec<&str> = s
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|t| !t.is_empty())
        .collect();
    let [m, y] = tokens.as_slice() else {
        return None;
    };
    NaiveDate::from_ymd_opt(year_number(y)?, month_number(m)?, 1)
}

/// `2 March 2025`, `March 2, 2025`, `Mar 2 2025`, optionally after a
/// weekday.
fn text_date(s: &str) -> Option<NaiveDate> {
    let mut tokens: Vec<&str> = s
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|t| !t.is_empty())
        .collect();
    if tokens.len() == 4 && tokens.first().is_some_and(|t| is_weekday(t)) {
        tokens.remove(0);
    }
    let [a, b, c] = tokens.as_slice() else {
        return None;
    };
    let (day, month) = match month_number(a) {
        Some(month) => (day_number(b)?, month),
        None => (day_number(a)?, month_number(b)?),
    };
    NaiveDate::from_ymd_opt(year_number(c)?, month, day)
}

fn month_number(token: &str) -> Option<u32> {
    let t = token.trim_end_matches('.').to_lowercase();
    if t == "sept" {
        return Some(9);
    }
    let index = MONTHS
        .iter()
        .position(|m| *m == t || (t.len() == 3 && m.starts_with(t.as_str())))?;
    u32::try_from(index + 1).ok()
}

fn is_weekday(token: &str) -> bool {
    let t = token.trim_end_matches('.').to_lowercase();
    WEEKDAYS
        .iter()
        .any(|d| *d == t || (t.len() == 3 && d.starts_with(t.as_str())))
}

fn day_number(token: &str) -> Option<u32> {
    let lower = token.to_lowercase();
    let digits = ["st", "nd", "rd", "th"]
        .iter()
        .find_map(|suffix| lower.strip_suffix(suffix))
        .unwrap_or(&lower);
    if digits.is_empty() || digits.len() > 2 || !digits.bytes().all(|d| d.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

fn year_number(token: &str) -> Option<i32> {
    if token.len() != 4 || !token.bytes().all(|d| d.is_ascii_digit()) {
        return None;
    }
    token.parse().ok()
}

/// `14:05`, `14:05:09`, `14:05:09.889`, then an optional zone.
fn time_and_zone(rest: &str) -> Result<(NaiveTime, FixedOffset), String> {
    let rest = rest.trim();
    let end = rest
        .find(|c: char| !(c.is_ascii_digit() || c == ':' || c == '.'))
        .unwrap_or(rest.len());
    let (Some(time_text), Some(zone_text)) = (rest.get(..end), rest.get(end..)) else {
        return Err(format!("not a time of day: {rest}"));
    };
    let time = ["%H:%M:%S%.f", "%H:%M:%S", "%H:%M"]
        .iter()
        .find_map(|format| NaiveTime::parse_from_str(time_text, format).ok())
        .ok_or_else(|| format!("not a time of day: {time_text}"))?;
    Ok((time, zone(zone_text.trim())?))
}

fn zone(z: &str) -> Result<FixedOffset, String> {
    let unknown = || format!("unknown time zone {z:?} (use Z, UTC or an offset like +01:00)");
    let lower = z.to_ascii_lowercase();
    if matches!(lower.as_str(), "" | "z" | "utc" | "gmt") {
        return FixedOffset::east_opt(0).ok_or_else(unknown);
    }
    let offset = lower
        .strip_prefix("utc")
        .or_else(|| lower.strip_prefix("gmt"))
        .unwrap_or(&lower);
    let (sign, digits) = if let Some(d) = offset.strip_prefix('+') {
        (1, d)
    } else if let Some(d) = offset.strip_prefix(['-', '−']) {
        (-1, d)
    } else {
        return Err(unknown());
    };
    let (hours, minutes) = match digits.split_once(':') {
        Some(parts) => parts,
        None if digits.len() == 4 => (digits.get(..2).unwrap_or(""), digits.get(2..).unwrap_or("")),
        None => (digits, "0"),
    };
    let two_digits = |p: &str| (1..=2).contains(&p.len()) && p.bytes().all(|d| d.is_ascii_digit());
    if !two_digits(hours) || !two_digits(minutes) {
        return Err(unknown());
    }
    let (Ok(h), Ok(m)) = (hours.parse::<i32>(), minutes.parse::<i32>()) else {
        return Err(unknown());
    };
    if h > 23 || m > 59 {
        return Err(unknown());
    }
    FixedOffset::east_opt(sign * (h * 3600 + m * 60)).ok_or_else(unknown)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid test date")
    }

    pub(crate) fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, s)
            .single()
            .expect("valid test time")
    }

    #[test]
    fn a_month_alone_reads_as_its_first_day() {
        for (text, want) in [
            ("Mar. 2026", Some(date(2026, 3, 1))),
            ("march, 2026", Some(date(2026, 3, 1))),
            ("2026/12", Some(date(2026, 12, 1))),
            ("2026-13", None),
            ("Smarch 2026", None),
            ("2026", None),
        ] {
            assert_eq!(month_date(text), want, "{text}");
        }
    }

    #[test]
    fn dates_are_read_as_written() {
        let d = Ok(Some(date(2025, 3, 2)));
        for text in [
            "2025-03-02",
            "2025/03/02",
            "2025-3-2",
            "2025-03-02T10:00:00Z",
            "2025-03-02T23:30:00-08:00",
            "2025-03-02 14:05 UTC",
            "2022-12-08T02:22:18.889-0800"
                .replace("2022-12-08", "2025-03-02")
                .as_str(),
            "2 March 2025",
            "2nd March 2025",
            "March 2, 2025",
            "Mar 2 2025",
            "mar. 2, 2025",
            "Sunday, 2 March 2025",
            "2.3.2025",
            "`2025-03-02`",
            "  \"2025-03-02\" ",
        ] {
            assert_eq!(parse_date(text), d, "{text:?}");
        }
        assert_eq!(parse_date("1 Sept 2025"), Ok(Some(date(2025, 9, 1))));
    }

    #[test]
    fn bad_dates_are_errors() {
        for text in [
            "2025-02-30",
            "03/02/2025",
            "tomorrow",
            "2025-03-02 garbage",
            "2025-03-02T25:00Z",
            "2025-03-02T10:00 PST",
            "30 February 2025",
            "2025-03",
            "12345678901",
        ] {
            assert!(parse_date(text).is_err(), "{text:?}");
        }
        let reason = parse_date("03/02/2025").expect_err("ambiguous");
        assert!(reason.contains("ambiguous"), "{reason}");
        assert!(parse_date(&"2025-03-02 ".repeat(1000)).is_err());
    }

    #[test]
    fn timestamps() {
        let cases = [
            ("2025-03-02T14:05:09Z", utc(2025, 3, 2, 14, 5, 9)),
            ("2025-03-02T14:05:09+01:00", utc(2025, 3, 2, 13, 5, 9)),
            ("2025-03-02t14:05:09z", utc(2025, 3, 2, 14, 5, 9)),
            ("2025-03-02 14:05 UTC", utc(2025, 3, 2, 14, 5, 0)),
            ("2025-03-02 14:05:09", utc(2025, 3, 2, 14, 5, 9)),
            ("2025-03-02T14:05", utc(2025, 3, 2, 14, 5, 0)),
            ("2025-03-02 23:30 +0100", utc(2025, 3, 2, 22, 30, 0)),
            ("2025-03-02 23:30 GMT+1", utc(2025, 3, 2, 22, 30, 0)),
            ("2025-03-02", utc(2025, 3, 2, 0, 0, 0)),
            ("2 March 2025", utc(2025, 3, 2, 0, 0, 0)),
        ];
        for (text, want) in cases {
            assert_eq!(parse_timestamp(text), Ok(Some(want)), "{text:?}");
        }
        let jira = parse_timestamp("2022-12-08T02:22:18.889-0800")
            .expect("jira timestamp")
            .expect("present");
        assert_eq!(jira.to_rfc3339(), "2022-12-08T10:22:18.889+00:00");
        // The offset moves the instant across midnight; parse_date keeps the
        // written date.
        assert_eq!(
            parse_timestamp("2025-03-02T23:30:00-08:00"),
            Ok(Some(utc(2025, 3, 3, 7, 30, 0)))
        );
        for bad in [
            "2025-03-02T14",
            "2025-03-02 14:05 CEST",
            "2025-03-02 14:05 +25:00",
            "noon",
            "2025-03-02T14:05:09+123",
        ] {
            assert!(parse_timestamp(bad).is_err(), "{bad:?}");
        }
    }
}
