//! Property tests for the GitHub parsers: arbitrary bytes as a page, a real
//! page with one entry mutated, lone surrogate escapes anywhere, and
//! arbitrary `Link` headers. No input panics; an entry that cannot be read
//! is reported with its JSON byte-exact, and its neighbours still map.

use proptest::prelude::*;
use serde_json::Value;

use crate::parse::{parse_link_next, parse_page};

const PAGE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/list-issues.page1.json"
);

fn page() -> Vec<Value> {
    let text = std::fs::read_to_string(PAGE).expect("fixture list-issues.page1.json");
    serde_json::from_str(&text).expect("a JSON array")
}

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| serde_json::json!(n)),
        ".{0,16}".prop_map(Value::String),
        Just(serde_json::json!([])),
        Just(serde_json::json!({})),
        Just(serde_json::json!({"name": 5})),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = parse_page("gh", "acme/x", &bytes);
    }

    #[test]
    fn one_mutated_entry_is_reported_and_its_neighbours_map(
        which in 0usize..30,
        field in 0usize..64,
        value in scalar(),
        remove in any::<bool>(),
    ) {
        let mut entries = page();
        let n = entries.len();
        let which = which % n;
        if let Value::Object(m) = &mut entries[which] {
            let key = m.keys().nth(field % m.len()).cloned().unwrap();
            if remove { m.remove(&key); } else { m.insert(key, value); }
        }
        let texts: Vec<String> = entries.iter().map(|e| e.to_string()).collect();
        let body = format!("[{}]", texts.join(","));
        let p = parse_page("gh", "acme/x", body.as_bytes()).expect("the page is valid JSON");
        prop_assert_eq!(p.items.len() + p.pull_requests + p.malformed.len(), n);
        for (i, t) in texts.iter().enumerate() {
            if i != which {
                prop_assert!(p.items.iter().any(|it| &it.raw == t) || p.pull_requests > 0);
            }
        }
        for m in &p.malformed {
            prop_assert_eq!(&m.raw, &texts[which]);
        }
    }

    #[test]
    fn lone_surrogates_never_panic_and_raw_stays_byte_exact(
        which in 0usize..30,
        at in 0usize..200,
        esc in prop_oneof![Just("\\ud800"), Just("\\udfff"), Just("\\ud83d"), Just("\\ud800\\ud800")],
    ) {
        let entries = page();
        let which = which % entries.len();
        let mut text = entries[which].to_string();
        // Put the escape inside the title string.
        let title_at = text.find("\"title\":\"").map(|i| i + 9).unwrap_or(0);
        let pos = title_at + at % 3;
        if text.is_char_boundary(pos) {
            text.insert_str(pos, esc);
        }
        let body = format!("[{text}]");
        if let Ok(p) = parse_page("gh", "acme/x", body.as_bytes()) {
            for it in &p.items {
                prop_assert_eq!(&it.raw, &text);
            }
            for m in &p.malformed {
                prop_assert_eq!(&m.raw, &text);
            }
        }
    }

    #[test]
    fn link_headers_never_panic_and_only_next_is_followed(
        parts in proptest::collection::vec(("[a-z0-9:/.?=&]{0,30}", prop_oneof![Just("next"), Just("last"), Just("prev"), Just("first")]), 0..5),
        noise in ".{0,20}",
    ) {
        let header = parts
            .iter()
            .map(|(u, rel)| format!("<{u}>; rel=\"{rel}\""))
            .chain(std::iter::once(noise))
            .collect::<Vec<_>>()
            .join(", ");
        let mut h = http::HeaderMap::new();
        if let Ok(v) = http::HeaderValue::from_str(&header) {
            h.insert(http::header::LINK, v);
        }
        if let Some(next) = parse_link_next(&h) {
            prop_assert!(
                parts.iter().any(|(u, rel)| *rel == "next" && u == &next)
                    || header.contains(&format!("<{next}>")),
                "{} from {}", next, header
            );
        }
    }
}
