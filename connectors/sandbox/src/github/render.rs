//! The lowest layer of the fake GitHub's JSON: appending strings, numbers
//! and timestamps to a byte buffer, and the fragments rendered once when a
//! record is created (users, organisations, labels, milestones) and then
//! spliced into every answer that embeds them.
//!
//! It knows nothing of the world's types, so `state` (which caches the
//! fragments) and `json` (which writes whole answers) both build on it
//! without importing each other.

/// Appends `s` as a JSON string literal (quotes included).
pub(crate) fn esc(out: &mut Vec<u8>, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let short: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x08 => b"\\b",
            0x0c => b"\\f",
            0..=0x1f => {
                out.extend_from_slice(&bytes[start..i]);
                out.extend_from_slice(b"\\u00");
                out.push(HEX[usize::from(b >> 4)]);
                out.push(HEX[usize::from(b & 0xf)]);
                start = i + 1;
                continue;
            }
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..i]);
        out.extend_from_slice(short);
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

/// Appends `s` verbatim.
#[inline]
pub(crate) fn raw(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(s.as_bytes());
}

/// Appends a non-negative integer.
pub(crate) fn num(out: &mut Vec<u8>, mut n: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&buf[i..]);
}

/// Appends a signed integer.
pub(crate) fn inum(out: &mut Vec<u8>, n: i64) {
    if n < 0 {
        out.push(b'-');
    }
    num(out, n.unsigned_abs());
}

/// Days since 1970-01-01 → (year, month, day), proleptic Gregorian
/// (Howard Hinnant's `civil_from_days`).
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// `YYYY-MM-DDTHH:MM:SSZ` of epoch seconds.
#[cfg(test)]
pub(crate) fn timestamp(secs: i64) -> String {
    let mut out = Vec::with_capacity(20);
    ts_bare(&mut out, secs);
    String::from_utf8(out).unwrap_or_default()
}

fn two(out: &mut Vec<u8>, v: u32) {
    out.push(b'0' + (v / 10) as u8);
    out.push(b'0' + (v % 10) as u8);
}

fn ts_bare(out: &mut Vec<u8>, secs: i64) {
    let (y, m, d) = civil(secs.div_euclid(86_400));
    let rem = secs.rem_euclid(86_400) as u32;
    let y = y.clamp(0, 9999) as u32;
    two(out, y / 100);
    two(out, y % 100);
    out.push(b'-');
    two(out, m);
    out.push(b'-');
    two(out, d);
    out.push(b'T');
    two(out, rem / 3600);
    out.push(b':');
    two(out, rem / 60 % 60);
    out.push(b':');
    two(out, rem % 60);
    out.push(b'Z');
}

/// Appends a quoted timestamp.
pub(crate) fn ts(out: &mut Vec<u8>, secs: i64) {
    out.push(b'"');
    ts_bare(out, secs);
    out.push(b'"');
}

/// Appends a quoted timestamp, or `null`.
pub(crate) fn ts_opt(out: &mut Vec<u8>, secs: Option<i64>) {
    match secs {
        Some(s) => ts(out, s),
        None => raw(out, "null"),
    }
}

fn base64(input: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut s = String::with_capacity(input.len().div_ceil(3) * 4);
    for chunk in input.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for k in 0..4 {
            if k <= chunk.len() {
                s.push(T[(n >> (18 - 6 * k) & 63) as usize] as char);
            } else {
                s.push('=');
            }
        }
    }
    s
}

/// A percent-encoded path segment (label names in URLs, bot logins).
pub(crate) fn seg(s: &str) -> String {
    const SET: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~')
        .remove(b':');
    percent_encoding::utf8_percent_encode(s, SET).to_string()
}

/// A user (or organisation) object, rendered once per user.
pub(crate) fn user_json(base: &str, login: &str, id: u64, kind: &str) -> String {
    let node = base64(format!("04:{kind}{id}").as_bytes());
    let u = format!("{base}/users/{}", seg(login));
    let html = if kind == "Bot" {
        format!("{base}/apps/{}", login.trim_end_matches("[bot]"))
    } else {
        format!("{base}/{login}")
    };
    let mut out = Vec::with_capacity(1024);
    raw(&mut out, "{\"login\":");
    esc(&mut out, login);
    raw(&mut out, ",\"id\":");
    num(&mut out, id);
    raw(&mut out, ",\"node_id\":");
    esc(&mut out, &node);
    raw(
        &mut out,
        &format!(
            ",\"avatar_url\":\"https://avatars.githubusercontent.com/u/{id}?v=4\",\"gravatar_id\":\"\",\
             \"url\":\"{u}\",\"html_url\":\"{html}\",\"followers_url\":\"{u}/followers\",\
             \"following_url\":\"{u}/following{{/other_user}}\",\"gists_url\":\"{u}/gists{{/gist_id}}\",\
             \"starred_url\":\"{u}/starred{{/owner}}{{/repo}}\",\"subscriptions_url\":\"{u}/subscriptions\",\
             \"organizations_url\":\"{u}/orgs\",\"repos_url\":\"{u}/repos\",\
             \"events_url\":\"{u}/events{{/privacy}}\",\"received_events_url\":\"{u}/received_events\",\
             \"type\":\"{kind}\",\"user_view_type\":\"public\",\"site_admin\":false}}"
        ),
    );
    String::from_utf8(out).unwrap_or_default()
}

/// A label object.
pub(crate) fn label_json(
    repo_api: &str,
    id: u64,
    name: &str,
    color: &str,
    description: Option<&str>,
    default: bool,
) -> String {
    let mut out = Vec::with_capacity(256);
    raw(&mut out, "{\"id\":");
    num(&mut out, id);
    raw(
        &mut out,
        &format!(",\"node_id\":\"LA_kwDOSBX{id:X}\",\"url\":"),
    );
    esc(&mut out, &format!("{repo_api}/labels/{}", seg(name)));
    raw(&mut out, ",\"name\":");
    esc(&mut out, name);
    raw(&mut out, ",\"color\":");
    esc(&mut out, color);
    raw(
        &mut out,
        if default {
            ",\"default\":true"
        } else {
            ",\"default\":false"
        },
    );
    raw(&mut out, ",\"description\":");
    match description {
        Some(d) => esc(&mut out, d),
        None => raw(&mut out, "null"),
    }
    out.push(b'}');
    String::from_utf8(out).unwrap_or_default()
}

/// A milestone object (counts as of generation time).
#[allow(clippy::too_many_arguments)]
pub(crate) fn milestone_json(
    repo_api: &str,
    repo_html: &str,
    id: u64,
    number: u64,
    title: &str,
    creator: &str,
    created: i64,
    due_on: i64,
    open: u64,
    closed: u64,
) -> String {
    let mut out = Vec::with_capacity(1536);
    raw(
        &mut out,
        &format!(
            "{{\"url\":\"{repo_api}/milestones/{number}\",\"html_url\":\"{repo_html}/milestone/{number}\",\
             \"labels_url\":\"{repo_api}/milestones/{number}/labels\",\"id\":{id},\
             \"node_id\":\"MI_kwDOSBX{id:X}\",\"number\":{number},\"title\":"
        ),
    );
    esc(&mut out, title);
    raw(&mut out, ",\"description\":\"\",\"creator\":");
    raw(&mut out, creator);
    raw(&mut out, ",\"open_issues\":");
    num(&mut out, open);
    raw(&mut out, ",\"closed_issues\":");
    num(&mut out, closed);
    raw(&mut out, ",\"state\":\"open\",\"created_at\":");
    ts(&mut out, created);
    raw(&mut out, ",\"updated_at\":");
    ts(&mut out, created);
    raw(&mut out, ",\"due_on\":");
    ts(&mut out, due_on);
    raw(&mut out, ",\"closed_at\":null}");
    String::from_utf8(out).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_matches_serde_json() {
        for s in [
            "plain",
            "quote \" and \\ backslash",
            "\u{1}\u{1b}[31m red \u{7f}",
            "tab\tnew\nline\r\u{8}\u{c}",
            "\u{202e}rtl \u{1f469}\u{200d}\u{1f4bb}",
            "'); DROP TABLE items;--",
        ] {
            let mut out = Vec::new();
            esc(&mut out, s);
            let back: String = serde_json::from_slice(&out).unwrap();
            assert_eq!(back, s);
        }
    }

    #[test]
    fn timestamps_match_chrono() {
        for secs in [
            0i64,
            951_782_400,
            1_709_210_096,
            1_740_873_600,
            4_102_444_799,
        ] {
            let want = chrono::DateTime::from_timestamp(secs, 0)
                .unwrap()
                .format("%Y-%m-%dT%H:%M:%SZ")
                .to_string();
            assert_eq!(timestamp(secs), want);
        }
    }

    #[test]
    fn user_node_id_is_githubs_base64() {
        // The recorded fixture's user 1 has node id "MDQ6VXNlcjE=".
        assert_eq!(base64(b"04:User1"), "MDQ6VXNlcjE=");
        let u: serde_json::Value =
            serde_json::from_str(&user_json("http://h", "dependabot[bot]", 9, "Bot")).unwrap();
        assert_eq!(u["url"], "http://h/users/dependabot%5Bbot%5D");
        assert_eq!(u["type"], "Bot");
    }

    #[test]
    fn numbers_render() {
        let mut out = Vec::new();
        num(&mut out, 0);
        out.push(b' ');
        num(&mut out, 18_446_744_073_709_551_615);
        out.push(b' ');
        inum(&mut out, -42);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "0 18446744073709551615 -42"
        );
    }
}
