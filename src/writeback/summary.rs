//! recur's summary comment: the state it shows (a [`SummaryState`], built
//! from `queries/writeback/summary.sql` and the item's flags), and how that
//! state becomes the tracker-neutral [`Summary`] document.
//!
//! The state holds rounded, stably worded values only, so its hash changes
//! when something a reader cares about changed, not every time the blended
//! frequency moves in the fourth digit. The comment is rewritten exactly
//! when the hash changes; "what changed" compares with the state stored at
//! the last write.

use recur_core::{Block, Summary};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// One flag as the comment states it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlagLine {
    /// The full label, prefix included.
    pub label: String,
    /// Why, in words.
    pub reason: String,
    /// A person removed the label; recur leaves it off until its value changes.
    pub suppressed: bool,
}

/// Everything the summary comment says, in stable form.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SummaryState {
    /// `risk` or `action_item`.
    pub kind: String,
    /// `open`, `closed` or `untracked`.
    pub status: String,
    /// P0–P3.
    pub priority: Option<String>,
    /// `own score`, `risk` or `own priority`.
    pub basis: Option<String>,
    /// The linked risk an action item inherits from.
    pub risk_key: Option<String>,
    /// impact × scope × likelihood.
    pub ordinal: Option<i64>,
    /// low | medium | high | critical.
    pub band: Option<String>,
    /// The three levels.
    pub levels: Option<(i64, i64, i64)>,
    /// Expected bad minutes per year (3 significant digits).
    pub bad_minutes: Option<String>,
    /// Occurrences per year.
    pub per_year: Option<String>,
    /// Minutes per occurrence (detect + repair).
    pub minutes: Option<String>,
    /// Share of users affected, percent.
    pub users_pct: Option<String>,
    /// The full-outage multiplier, when applied.
    pub outage_multiplier: Option<String>,
    /// The SLO, percent.
    pub slo_pct: Option<String>,
    /// The yearly error budget in minutes.
    pub budget_minutes: Option<String>,
    /// The share of that budget, percent.
    pub budget_share_pct: Option<String>,
    /// Some expected-cost input came from a level table.
    pub estimated: bool,
    /// Flags, in label order.
    pub flags: Vec<FlagLine>,
}

impl SummaryState {
    /// The hash the comment is rewritten on.
    pub fn hash(&self) -> String {
        let json = serde_json::to_string(self).expect("summary state serialises");
        hex::encode(&Sha256::digest(json.as_bytes())[..16])
    }

    /// True when any flag is on (suppressed ones count: the comment
    /// explains them).
    pub fn flagged(&self) -> bool {
        !self.flags.is_empty()
    }
}

/// `x` to three significant digits, without trailing zeros after a point.
pub fn sig3(x: f64) -> String {
    if !x.is_finite() {
        return "n/a".into();
    }
    if x == 0.0 {
        return "0".into();
    }
    let mag = x.abs().log10().floor() as i32;
    let decimals = (2 - mag).max(0) as usize;
    let scale = 10f64.powi(mag - 2);
    let rounded = (x / scale).round() * scale;
    let s = format!("{rounded:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

fn kind_name(kind: &str) -> &str {
    match kind {
        "risk" => "risk",
        "action_item" => "action item",
        other => other,
    }
}

/// What changed between the state last written and this one, in words.
pub fn changes(prev: Option<&SummaryState>, now: &SummaryState) -> Vec<String> {
    let Some(prev) = prev else {
        return vec!["first summary from recur".into()];
    };
    let mut out = Vec::new();
    let show = |v: &Option<String>| v.clone().unwrap_or_else(|| "none".into());
    if prev.status != now.status {
        out.push(format!("status {} → {}", prev.status, now.status));
    }
    if prev.priority != now.priority {
        out.push(format!(
            "priority {} → {}",
            show(&prev.priority),
            show(&now.priority)
        ));
    }
    if prev.ordinal != now.ordinal {
        let o = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_else(|| "none".into());
        out.push(format!(
            "ordinal score {} → {}",
            o(prev.ordinal),
            o(now.ordinal)
        ));
    }
    if prev.bad_minutes != now.bad_minutes {
        out.push(format!(
            "expected bad minutes per year {} → {}",
            show(&prev.bad_minutes),
            show(&now.bad_minutes)
        ));
    }
    if prev.budget_share_pct != now.budget_share_pct && prev.bad_minutes == now.bad_minutes {
        out.push(format!(
            "error-budget share {}% → {}%",
            show(&prev.budget_share_pct),
            show(&now.budget_share_pct)
        ));
    }
    for f in &now.flags {
        match prev.flags.iter().find(|p| p.label == f.label) {
            None => out.push(format!("flag added: {}", f.label)),
            Some(p) if p.suppressed != f.suppressed && f.suppressed => {
                out.push(format!("label {} was removed by a person", f.label))
            }
            Some(p) if p.reason != f.reason => {
                out.push(format!("{}: {}", f.label, f.reason));
            }
            _ => {}
        }
    }
    for p in &prev.flags {
        if !now.flags.iter().any(|f| f.label == p.label) {
            out.push(format!("flag cleared: {}", p.label));
        }
    }
    if out.is_empty() {
        out.push("wording or inputs of the breakdown updated".into());
    }
    out
}

/// The comment for `state`, with what changed since `prev`.
pub fn render(key: &str, state: &SummaryState, prev: Option<&SummaryState>) -> Summary {
    let mut blocks = Vec::new();
    let what = kind_name(&state.kind);
    let head = match (&state.priority, state.flagged()) {
        (Some(p), true) => format!("recur summary for {what} {key}: {p}"),
        (None, true) => format!("recur summary for {what} {key}"),
        (_, false) => format!("recur summary for {what} {key}: no longer flagged"),
    };
    blocks.push(Block::Heading(head));
    if state.status != "open" {
        blocks.push(Block::Paragraph(format!(
            "This {what} is {}; recur no longer flags it. This comment is kept as a record.",
            state.status
        )));
    } else if !state.flagged() {
        blocks.push(Block::Paragraph(
            "No recur flag applies any more; this comment is kept as a record.".into(),
        ));
    }
    let mut score = Vec::new();
    match (state.basis.as_deref(), &state.risk_key) {
        (Some("risk"), Some(r)) => score.push(format!(
            "Priority {} inherited from its linked risk {r}; the numbers below are that risk's.",
            state.priority.clone().unwrap_or_default()
        )),
        (Some("own priority"), _) => score.push(format!(
            "Priority {} from the item's own priority field (no linked, scored risk).",
            state.priority.clone().unwrap_or_default()
        )),
        _ => {}
    }
    if let (Some(o), Some((i, s, l))) = (state.ordinal, state.levels) {
        score.push(format!(
            "Ordinal: impact {i} × scope {s} × likelihood {l} = {o} ({})",
            state.band.clone().unwrap_or_default()
        ));
    }
    if let Some(bm) = &state.bad_minutes {
        let mut line = format!("Expected cost: {bm} bad minutes per year");
        if let (Some(py), Some(m), Some(u)) = (&state.per_year, &state.minutes, &state.users_pct) {
            line.push_str(&format!(
                " = {py} per year × {m} minutes to detect and repair × {u}% of users"
            ));
        }
        if let Some(x) = &state.outage_multiplier {
            line.push_str(&format!(" × {x} (full-outage multiplier)"));
        }
        score.push(line);
    }
    if let (Some(share), Some(budget), Some(slo)) = (
        &state.budget_share_pct,
        &state.budget_minutes,
        &state.slo_pct,
    ) {
        score.push(format!(
            "That is {share}% of the yearly error budget of {budget} minutes at a {slo}% SLO."
        ));
    }
    if state.estimated {
        score.push("Some inputs are estimated from the level tables, not stated.".into());
    }
    if !score.is_empty() {
        blocks.push(Block::Heading("Score".into()));
        blocks.push(Block::Bullets(score));
    }
    if state.flagged() {
        blocks.push(Block::Heading("Flags".into()));
        blocks.push(Block::Bullets(
            state
                .flags
                .iter()
                .map(|f| {
                    if f.suppressed {
                        format!(
                            "{}: {} (label removed by a person; recur adds it again only when this changes)",
                            f.label, f.reason
                        )
                    } else {
                        format!("{}: {}", f.label, f.reason)
                    }
                })
                .collect(),
        ));
    }
    blocks.push(Block::Heading("Changes since the last update".into()));
    blocks.push(Block::Bullets(changes(prev, state)));
    blocks.push(Block::Footer(
        "Written by recur, which keeps postmortem follow-up work from rotting. Labels with recur's prefix are managed by recur; edits to this comment are overwritten.".into(),
    ));
    Summary {
        blocks,
        fingerprint: state.hash(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sig3_rounds_to_three_significant_digits() {
        assert_eq!(sig3(480.4), "480");
        assert_eq!(sig3(12345.0), "12300");
        assert_eq!(sig3(0.91234), "0.912");
        assert_eq!(sig3(1.0), "1");
        assert_eq!(sig3(0.0), "0");
        assert_eq!(sig3(99.96), "100");
    }

    #[test]
    fn changes_name_priority_flags_and_numbers() {
        let prev = SummaryState {
            kind: "risk".into(),
            status: "open".into(),
            priority: Some("P2".into()),
            bad_minutes: Some("300".into()),
            flags: vec![FlagLine {
                label: "recur:needs-owner".into(),
                reason: "no owner is named".into(),
                suppressed: false,
            }],
            ..SummaryState::default()
        };
        let mut now = prev.clone();
        now.priority = Some("P1".into());
        now.bad_minutes = Some("480".into());
        now.flags = vec![FlagLine {
            label: "recur:stale-review".into(),
            reason: "never reviewed".into(),
            suppressed: false,
        }];
        let c = changes(Some(&prev), &now);
        assert!(c.contains(&"priority P2 → P1".to_string()), "{c:?}");
        assert!(c.contains(&"expected bad minutes per year 300 → 480".to_string()));
        assert!(c.contains(&"flag added: recur:stale-review".to_string()));
        assert!(c.contains(&"flag cleared: recur:needs-owner".to_string()));
        assert_ne!(prev.hash(), now.hash());
        assert_eq!(now.hash(), now.clone().hash());
    }

    #[test]
    fn unflagged_summary_says_so() {
        let s = SummaryState {
            kind: "action_item".into(),
            status: "closed".into(),
            ..SummaryState::default()
        };
        let doc = render("OPS-1", &s, None);
        let text = recur_core::render_wiki(&doc);
        assert!(text.contains("no longer flagged"), "{text}");
        assert!(text.contains("is closed"), "{text}");
        assert!(text.contains("Written by recur"), "{text}");
    }
}
