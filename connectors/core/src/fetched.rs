//! A page read from the tracker whose entries are not mapped yet
//! ([`Fetched`]), and the answer's body kept with where each entry lies in
//! it ([`Entries`]).
//!
//! Why: a page's request and its mapping used to follow one another, the
//! tracker idle while recur mapped, recur idle while the tracker built the
//! next page. Everything the walk needs to ask for the next page (the
//! `Link` header, Jira's `nextPageToken` or `startAt`) is read before the
//! entries are mapped, which is most of a page's CPU; so the sync asks for
//! the next page first and maps this one while the tracker answers.

use std::fmt;
use std::ops::Range;

use crate::{Page, PageRequest, RateLimit};

/// A page whose entries may still have to be mapped ([`Fetched::map`]).
pub struct Fetched {
    /// What the answer said besides its entries (next, etag, rate, 304).
    head: Page,
    /// Maps the entries; `None` when the page came mapped.
    entries: Option<Box<dyn FnOnce() -> Page + Send>>,
}

impl Fetched {
    /// A page mapped already.
    pub fn mapped(page: Page) -> Self {
        Fetched {
            head: page,
            entries: None,
        }
    }

    /// A page whose `head` carries the answer's next request, ETag and
    /// rate figures, and whose entries `map` maps (its items, pull
    /// requests, malformed entries and newest timestamp are taken; the
    /// rest of what it returns is ignored).
    pub fn unmapped(head: Page, map: impl FnOnce() -> Page + Send + 'static) -> Self {
        Fetched {
            head,
            entries: Some(Box::new(map)),
        }
    }

    /// The next page's request, known before the entries are mapped.
    pub fn next(&self) -> Option<&PageRequest> {
        self.head.next.as_ref()
    }

    /// The rate-limit figures of the answer.
    pub fn rate(&self) -> Option<RateLimit> {
        self.head.rate
    }

    /// The whole page, its entries mapped.
    pub fn map(self) -> Page {
        let Some(map) = self.entries else {
            return self.head;
        };
        let mapped = map();
        Page {
            items: mapped.items,
            pull_requests: mapped.pull_requests,
            malformed: mapped.malformed,
            newest: mapped.newest,
            ..self.head
        }
    }
}

impl fmt::Debug for Fetched {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Fetched")
            .field("head", &self.head)
            .field("mapped", &self.entries.is_none())
            .finish()
    }
}

/// An answer's body and the text of each of its entries, owned together
/// so the entries can be mapped after the answer was read, without reading
/// the JSON a second time.
pub struct Entries {
    body: Vec<u8>,
    spans: Vec<Range<usize>>,
}

impl Entries {
    /// Reads `body` with `read`, which returns what else it needs of the
    /// answer and the entries' texts as slices of the body it was given
    /// (a JSON reader's borrowed raw values). An entry that is not a slice
    /// of the body (a reader that copied) is copied into a body of its own
    /// with the rest, so every reader gives the same entries.
    pub fn read<T, E>(
        body: Vec<u8>,
        read: impl for<'b> FnOnce(&'b [u8]) -> Result<(T, Vec<&'b str>), E>,
    ) -> Result<(T, Entries), E> {
        let (found, spans) = {
            let (found, texts) = read(&body)?;
            let start = body.as_ptr() as usize;
            let spans: Option<Vec<Range<usize>>> = texts
                .iter()
                .map(|t| {
                    let at = (t.as_ptr() as usize).checked_sub(start)?;
                    (at + t.len() <= body.len()).then_some(at..at + t.len())
                })
                .collect();
            match spans {
                Some(spans) => (found, Ok(spans)),
                None => (found, Err(concat(&texts))),
            }
        };
        let entries = match spans {
            Ok(spans) => Entries { body, spans },
            Err((body, spans)) => Entries { body, spans },
        };
        Ok((found, entries))
    }

    /// How many entries there are.
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// Each entry's text, in order.
    pub fn iter(&self) -> impl Iterator<Item = &str> + '_ {
        self.spans.iter().map(|r| {
            // Each span is the text of a `&str` taken from this body (or
            // copied into it whole), so it is UTF-8 and on char bounds.
            std::str::from_utf8(&self.body[r.clone()]).expect("an entry's span is text")
        })
    }
}

/// Copies texts into one buffer, with where each lies.
fn concat(texts: &[&str]) -> (Vec<u8>, Vec<Range<usize>>) {
    let mut body = Vec::with_capacity(texts.iter().map(|t| t.len()).sum());
    let spans = texts
        .iter()
        .map(|t| {
            let at = body.len();
            body.extend_from_slice(t.as_bytes());
            at..body.len()
        })
        .collect();
    (body, spans)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Item, Listing, Malformed};

    fn item(key: &str) -> Item {
        Item {
            key: key.into(),
            ..crate::history::tests::item()
        }
    }

    fn request(url: &str) -> PageRequest {
        PageRequest {
            container: "acme/x".into(),
            listing: Listing::Keys,
            url: url.into(),
            token: None,
            etag: None,
        }
    }

    #[test]
    fn entries_are_the_slices_the_reader_took_of_the_body() {
        let body = br#"{"issues":[{"a":1}, {"b":"\u00e9"} ,[]],"next":"t"}"#.to_vec();
        let (next, entries) = Entries::read(body, |b| {
            let text = std::str::from_utf8(b).map_err(|_| "not text")?;
            let first = &text[11..18];
            let second = &text[20..34];
            let third = &text[36..38];
            Ok::<_, &str>(("t".to_string(), vec![first, second, third]))
        })
        .unwrap();
        assert_eq!(next, "t");
        assert_eq!(entries.len(), 3);
        assert_eq!(
            entries.iter().collect::<Vec<_>>(),
            [r#"{"a":1}"#, r#"{"b":"\u00e9"}"#, "[]"]
        );
    }

    #[test]
    fn entries_a_reader_copied_are_kept_in_a_body_of_their_own() {
        let body = b"[1,2]".to_vec();
        let (_, entries) = Entries::read(body, |_| {
            // Not slices of the body: texts the reader made.
            let made: Vec<&'static str> = vec!["{\"x\":1}", "é", ""];
            Ok::<_, ()>(((), made))
        })
        .unwrap();
        assert_eq!(entries.iter().collect::<Vec<_>>(), ["{\"x\":1}", "é", ""]);
        let (_, none) = Entries::read(Vec::new(), |_| Ok::<_, ()>(((), Vec::new()))).unwrap();
        assert!(none.is_empty());
    }

    #[test]
    fn a_reader_error_is_returned_as_it_is() {
        let r = Entries::read(b"[".to_vec(), |_| Err::<((), Vec<&str>), _>("truncated"));
        assert_eq!(r.err(), Some("truncated"));
    }

    #[test]
    fn mapping_keeps_the_head_and_takes_the_entries() {
        let head = Page {
            next: Some(request("/next")),
            etag: Some("\"e\"".into()),
            rate: Some(RateLimit {
                limit: Some(5000),
                remaining: Some(7),
                reset: None,
            }),
            // Ignored: the entries come from the mapping.
            pull_requests: 9,
            ..Page::default()
        };
        let newest = chrono::DateTime::parse_from_rfc3339("2026-12-05T10:00:00Z")
            .unwrap()
            .to_utc();
        let fetched = Fetched::unmapped(head, move || Page {
            items: vec![item("acme/x#1")],
            pull_requests: 2,
            malformed: vec![Malformed {
                key: "acme/x#2".into(),
                reason: "no title".into(),
                raw: "{}".into(),
            }],
            newest: Some(newest),
            // Ignored: the head says where the next page is.
            next: Some(request("/elsewhere")),
            etag: Some("other".into()),
            ..Page::default()
        });
        assert_eq!(fetched.next().map(|r| r.url.as_str()), Some("/next"));
        assert_eq!(fetched.rate().and_then(|r| r.remaining), Some(7));
        let page = fetched.map();
        assert_eq!(page.items.len(), 1);
        assert_eq!(page.items[0].key, "acme/x#1");
        assert_eq!(page.pull_requests, 2);
        assert_eq!(page.malformed[0].key, "acme/x#2");
        assert_eq!(page.newest, Some(newest));
        assert_eq!(page.next.map(|r| r.url), Some("/next".to_string()));
        assert_eq!(page.etag.as_deref(), Some("\"e\""));
        assert_eq!(page.rate.and_then(|r| r.remaining), Some(7));

        let whole = Fetched::mapped(Page {
            pull_requests: 4,
            ..Page::default()
        });
        assert!(format!("{whole:?}").contains("mapped: true"));
        assert_eq!(whole.map().pull_requests, 4);
    }
}
