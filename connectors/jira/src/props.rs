//! Property tests for every parser of Jira data: ADF → text on arbitrary
//! JSON, timestamps in every observed format, JQL quoting that no label can
//! break out of, and issue JSON mutated field by field. They prove "no
//! panic on any input; what cannot be read is reported, never dropped".

use chrono::{DateTime, FixedOffset, TimeZone, Utc};
use proptest::prelude::*;
use recur_core::Listing;
use serde_json::{json, Value};

use crate::adf::adf_to_text;
use crate::fields::FieldMap;
use crate::jql::{listing_jql, quote, strip_order_by, Scope};
use crate::parse::{map_issues, parse_issue, parse_jira_time, MapCtx};

/// Arbitrary JSON, biased toward ADF-like shapes.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|f| json!(f)),
        ".{0,12}".prop_map(Value::String),
        prop_oneof![
            Just("doc"),
            Just("paragraph"),
            Just("text"),
            Just("mention"),
            Just("hardBreak"),
            Just("table")
        ]
        .prop_map(|t| json!({ "type": t })),
    ];
    leaf.prop_recursive(5, 64, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            (
                prop_oneof![
                    Just("doc"),
                    Just("paragraph"),
                    Just("text"),
                    Just("bulletList"),
                    Just("listItem"),
                    Just("codeBlock"),
                    Just("mention"),
                    Just("emoji"),
                    Just("inlineCard"),
                    Just("heading"),
                    Just("weird")
                ],
                proptest::collection::vec(inner.clone(), 0..4),
                proptest::option::of(".{0,10}"),
                proptest::option::of(inner.clone()),
            )
                .prop_map(|(t, content, text, attrs)| {
                    let mut m = serde_json::Map::new();
                    m.insert("type".into(), json!(t));
                    m.insert("content".into(), Value::Array(content));
                    if let Some(text) = text {
                        m.insert("text".into(), json!(text));
                    }
                    if let Some(a) = attrs {
                        m.insert("attrs".into(), a);
                    }
                    Value::Object(m)
                }),
            proptest::collection::btree_map(".{0,6}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Reads one JQL string literal at the start of `s`: (value, rest).
fn read_literal(s: &str) -> Option<(String, &str)> {
    let mut chars = s.char_indices();
    if chars.next()?.1 != '"' {
        return None;
    }
    let mut out = String::new();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some((out, &s[i + 1..])),
            '\\' => match chars.next()?.1 {
                '"' => out.push('"'),
                '\\' => out.push('\\'),
                'n' => out.push('\n'),
                'r' => out.push('\r'),
                't' => out.push('\t'),
                'u' => {
                    let hex: String = (0..4)
                        .filter_map(|_| chars.next().map(|(_, c)| c))
                        .collect();
                    out.push(char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?);
                }
                _ => return None,
            },
            c => out.push(c),
        }
    }
    None
}

fn site() -> url::Url {
    url::Url::parse("https://example.atlassian.net/").unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn adf_to_text_never_panics(v in json_value()) {
        let _ = adf_to_text(&v);
    }

    #[test]
    fn adf_paragraph_texts_come_out_in_order(
        texts in proptest::collection::vec("[a-zA-Z0-9]([a-zA-Z0-9 ,.]{0,18}[a-zA-Z0-9])?", 1..6)
    ) {
        let doc = json!({
            "type": "doc", "version": 1,
            "content": texts.iter().map(|t| json!({
                "type": "paragraph",
                "content": [{"type": "text", "text": t}]
            })).collect::<Vec<_>>()
        });
        let out = adf_to_text(&doc);
        let mut at = 0;
        for t in &texts {
            let found = out[at..].find(t.as_str());
            prop_assert!(found.is_some(), "{t:?} missing after {at} in {out:?}");
            at += found.unwrap() + t.len();
        }
    }

    #[test]
    fn jira_time_never_panics(s in ".{0,40}") {
        let _ = parse_jira_time(&s);
    }

    #[test]
    fn jira_time_reads_every_observed_format(
        secs in 0i64..4_000_000_000,
        millis in 0u32..1000,
        offset_min in -720i32..=840,
        form in 0usize..4,
    ) {
        let offset = FixedOffset::east_opt(offset_min * 60).unwrap();
        let t: DateTime<FixedOffset> = offset
            .timestamp_opt(secs, millis * 1_000_000)
            .unwrap();
        let sign = if offset_min < 0 { '-' } else { '+' };
        let (h, m) = (offset_min.abs() / 60, offset_min.abs() % 60);
        let base = t.format("%Y-%m-%dT%H:%M:%S").to_string();
        let (text, want) = match form {
            // Cloud: millis and an offset without a colon.
            0 => (format!("{base}.{millis:03}{sign}{h:02}{m:02}"), t.with_timezone(&Utc)),
            // With a colon.
            1 => (format!("{base}.{millis:03}{sign}{h:02}:{m:02}"), t.with_timezone(&Utc)),
            // No millis.
            2 => (format!("{base}{sign}{h:02}{m:02}"), (t - chrono::Duration::milliseconds(millis as i64)).with_timezone(&Utc)),
            // UTC as Z.
            _ => {
                let u = t.with_timezone(&Utc);
                (format!("{}.{millis:03}Z", u.format("%Y-%m-%dT%H:%M:%S")), u)
            }
        };
        prop_assert_eq!(parse_jira_time(&text), Some(want), "{}", text);
    }

    #[test]
    fn jira_time_reads_near_misses_only_as_their_own_day(s in "[0-9]{4}-[0-9]{2}-[0-9]{2}[ T]?[0-9]{0,2}:?[0-9]{0,2}") {
        // Without a time, the only reading is the date's midnight UTC (the
        // lenient rule for human-entered fields, shared with the form
        // parser); never another guess, never the wrong day.
        if let Some(t) = parse_jira_time(&s) {
            if !s.contains(':') {
                prop_assert_eq!(t.time(), chrono::NaiveTime::MIN, "{:?} read as {}", s, t);
                prop_assert_eq!(t.date_naive().format("%Y-%m-%d").to_string(), s[..10].to_string());
            }
        }
    }

    #[test]
    fn quoted_labels_read_back_exactly(label in any::<String>()) {
        let q = quote(&label);
        let (back, rest) = read_literal(&q).expect("one literal");
        prop_assert_eq!(back, label);
        prop_assert_eq!(rest, "");
    }

    #[test]
    fn listing_jql_keeps_its_scope_and_quotes_every_label(
        project in "[A-Z][A-Z0-9]{1,9}",
        labels in proptest::collection::vec(any::<String>(), 0..4),
        types in proptest::collection::vec(".{0,12}", 0..3),
        since in proptest::option::of(0i64..4_000_000_000_000),
        filter in proptest::option::of(".{0,40}"),
    ) {
        let scope = match &filter {
            Some(f) => Scope::Filter(f),
            None => Scope::Project(&project),
        };
        for listing in [
            Listing::Tracked,
            Listing::Keys,
            Listing::Since { since: since.and_then(|ms| Utc.timestamp_millis_opt(ms).single()) },
            Listing::Label { label: labels.first().cloned().unwrap_or_default() },
        ] {
            let jql = listing_jql(&scope, &listing, &labels, &types);
            match &filter {
                None => prop_assert!(jql.starts_with(&format!("project = \"{project}\"")), "{}", jql),
                Some(f) => prop_assert!(jql.starts_with(&format!("({})", strip_order_by(f))), "{}", jql),
            }
            prop_assert!(jql.ends_with("ORDER BY updated ASC, key ASC"), "{}", jql);
            if let (Listing::Since { since: Some(t) }, None) = (&listing, &filter) {
                prop_assert!(jql.contains(&format!("updated >= {}", t.timestamp_millis())), "{}", jql);
            }
        }
    }

    #[test]
    fn mutated_issue_json_never_panics_and_bad_entries_are_kept(
        path in proptest::collection::vec(0usize..40, 1..3),
        replacement in json_value(),
        remove in any::<bool>(),
    ) {
        let raw = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/issue.real.json"
        ))
        .expect("fixture issue.real.json");
        let mut v: Value = serde_json::from_str(raw.trim()).unwrap();
        // Walk into the document by index over object keys / array items,
        // then replace or remove what is there.
        let mut node = &mut v;
        for (depth, i) in path.iter().enumerate() {
            let last = depth + 1 == path.len();
            let next: Option<&mut Value> = match node {
                Value::Object(m) if !m.is_empty() => {
                    let key = m.keys().nth(i % m.len()).cloned().unwrap();
                    if last && remove {
                        m.remove(&key);
                        None
                    } else {
                        m.get_mut(&key)
                    }
                }
                Value::Array(a) if !a.is_empty() => {
                    let n = a.len();
                    a.get_mut(i % n)
                }
                _ => None,
            };
            match next {
                Some(n) if !last => node = n,
                Some(n) => { *n = replacement.clone(); break; }
                None => break,
            }
        }
        let text = v.to_string();
        let map = FieldMap::default();
        let site = site();
        let ctx = MapCtx { site: &site, fields: &map };
        let _ = parse_issue(&text, &ctx);
        // On a page with a good entry beside it, the good one maps and the
        // mutated one either maps or is reported with its JSON byte-exact.
        let good = raw.trim().to_string();
        let page_text = format!("[{good},{text}]");
        let entries: Vec<&serde_json::value::RawValue> = serde_json::from_str(&page_text).unwrap();
        let page = map_issues(&entries, "TESTKEY13", &ctx);
        prop_assert!(page.items.iter().any(|i| i.raw == good));
        prop_assert_eq!(page.items.len() + page.malformed.len(), 2);
        for m in &page.malformed {
            prop_assert_eq!(&m.raw, &text);
        }
    }
}
