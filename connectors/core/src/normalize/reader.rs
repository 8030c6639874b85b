//! Reading one item's sections: looking a field up under any of its
//! headings, parsing it, and recording a [`Problem`] when the text cannot be
//! read.
//!
//! Problems are appended here in the order [`super::normalize()`] reads the
//! fields, which is the order its documentation promises; keeping one
//! collector (rather than one list per parser) is what makes that order
//! hold, and reports stable between runs.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use super::dates::{month_date, parse_date, MONTH_PRECISION};
use super::record::Problem;
use super::refs::parse_reference;
use super::text::{clean, parse_owner, parse_owners, parse_priority, text_value, UNKNOWN_PRIORITY};

/// Section values by normalised heading, and the problems met reading them.
pub(super) struct Reader<'a> {
    sections: BTreeMap<String, &'a str>,
    pub(super) problems: Vec<Problem>,
}

impl<'a> Reader<'a> {
    pub(super) fn new(sections: &'a BTreeMap<String, String>) -> Self {
        let mut by_key = BTreeMap::new();
        // Headings that differ only in case or spacing: the first in the
        // map's (sorted) order wins, so the choice is at least stable.
        for (heading, value) in sections {
            by_key.entry(heading_key(heading)).or_insert(value.as_str());
        }
        Reader {
            sections: by_key,
            problems: Vec::new(),
        }
    }

    /// The first of `headings` (normalised keys) that holds a non-blank value.
    pub(super) fn raw(&self, headings: &[&str]) -> Option<&'a str> {
        headings
            .iter()
            .filter_map(|h| self.sections.get(*h).copied())
            .find(|v| clean(v).is_some())
    }

    pub(super) fn text(&self, headings: &[&str]) -> Option<String> {
        self.raw(headings).and_then(text_value)
    }

    pub(super) fn parsed<T>(
        &mut self,
        field: &str,
        headings: &[&str],
        parse: fn(&str) -> Result<Option<T>, String>,
    ) -> Option<T> {
        let raw = self.raw(headings)?;
        match parse(raw) {
            Ok(value) => value,
            Err(reason) => {
                self.problem(field, raw, reason);
                None
            }
        }
    }

    /// A date; a month alone (`March 2026`, `2026-03`) reads as the month's
    /// first day, and a problem row says so (month precision), so nobody
    /// mistakes it for a day someone wrote.
    pub(super) fn date(&mut self, field: &str, headings: &[&str]) -> Option<NaiveDate> {
        let raw = self.raw(headings)?;
        match parse_date(raw) {
            Ok(value) => value,
            Err(reason) => match clean(raw).and_then(month_date) {
                Some(first) => {
                    self.problem(field, raw, format!("{MONTH_PRECISION}: read as {first}"));
                    Some(first)
                }
                None => {
                    self.problem(field, raw, reason);
                    None
                }
            },
        }
    }

    pub(super) fn owner(&mut self, field: &str, headings: &[&str]) -> Option<String> {
        let raw = self.raw(headings)?;
        self.checked_option(field, raw, parse_owner(raw), "no login or name found")
    }

    /// Every owner the Owner section names (no problem is reported here:
    /// [`Self::owner`] reports an unreadable one).
    pub(super) fn owners(&self, headings: &[&str]) -> Vec<String> {
        self.raw(headings).map(parse_owners).unwrap_or_default()
    }

    pub(super) fn priority(&mut self, field: &str, headings: &[&str]) -> Option<String> {
        let raw = self.raw(headings)?;
        self.checked_option(field, raw, parse_priority(raw), UNKNOWN_PRIORITY)
    }

    pub(super) fn reference(&mut self, field: &str, headings: &[&str]) -> Option<String> {
        let raw = self.raw(headings)?;
        self.checked_option(
            field,
            raw,
            parse_reference(raw),
            "no issue reference found (#12, owner/repo#12, OPS-12 or an issue URL)",
        )
    }

    /// For the `Option` parsers: blank text is simply absent, other text
    /// that gives nothing is a problem.
    pub(super) fn checked_option(
        &mut self,
        field: &str,
        raw: &str,
        parsed: Option<String>,
        reason: &str,
    ) -> Option<String> {
        if parsed.is_none() && clean(raw).is_some() {
            self.problem(field, raw, reason.to_string());
        }
        parsed
    }

    fn problem(&mut self, field: &str, raw: &str, reason: String) {
        self.problems.push(Problem {
            field: field.to_string(),
            raw: raw.trim().to_string(),
            reason,
        });
    }
}

/// Lower-cased, trimmed, trailing colon dropped, inner space collapsed.
fn heading_key(heading: &str) -> String {
    heading
        .trim()
        .trim_end_matches(':')
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}
