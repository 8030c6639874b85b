//! The fake Jira over real HTTP: Cloud `search/jql` token paging with short
//! pages, the removed search (410), JQL errors, the profile-timezone trap,
//! field selection, custom fields by name, Data Center `startAt` paging,
//! moved and deleted issues, label edits, comments and their properties,
//! authentication, rate-limit and HTML faults, and determinism. Each test
//! starts its own sandbox on `127.0.0.1:0`.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use recur_sandbox::jira::{
    self, DAILY_DEGRADATION_RISK_KEY, FULL_OUTAGE_RISK_KEY, GONE_MESSAGE, ISSUE_NOT_FOUND_MESSAGE,
    MANY_COMMENTS, MANY_COMMENTS_KEY, MANY_HISTORIES, RICH_DESCRIPTION_KEY, UNAUTHORIZED_MESSAGE,
    UNBOUNDED_MESSAGE,
};
use recur_sandbox::{Fault, FaultRule, JiraHandle, NewJiraIssue, Sandbox, SandboxOptions, Scale};
use reqwest::{Client, Method, Response, StatusCode};
use serde_json::{json, Value};

const EMAIL: &str = "bot@acme.example";
const TOKEN: &str = "sandbox-token";
const TRACKED_LABELS: [&str; 3] = ["postmortem", "incident", "risk"];
const TRACKED_TYPES: [&str; 2] = ["Incident", "Risk"];
/// What recur asks for in every Cloud search (plus custom fields).
const RECUR_FIELDS: [&str; 16] = [
    "summary",
    "status",
    "resolution",
    "resolutiondate",
    "statuscategorychangedate",
    "labels",
    "issuetype",
    "assignee",
    "duedate",
    "created",
    "updated",
    "description",
    "issuelinks",
    "project",
    "priority",
    "parent",
];
const TRACKED_JQL: &str = r#"project = "OPS" AND (labels in ("postmortem","incident","risk") OR issuetype in ("Incident","Risk")) ORDER BY updated ASC, key ASC"#;

fn anchor() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2025-06-01T00:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

fn opts(scale: Scale, seed: u64) -> SandboxOptions {
    let mut o = match scale {
        Scale::Empty => SandboxOptions::empty(),
        Scale::Small => SandboxOptions::small(seed),
        Scale::Demo => SandboxOptions::demo(seed),
        Scale::Bench { issues } => SandboxOptions::bench(issues),
    };
    o.seed = seed;
    o.anchor = anchor();
    o
}

#[derive(Clone, Copy)]
enum Auth {
    /// Basic `bot@acme.example:sandbox-token` (Cloud).
    Cloud,
    /// Bearer `sandbox-token` (Data Center).
    Dc,
    None,
    Basic(&'static str, &'static str),
    Bearer(&'static str),
}

struct T {
    sb: Sandbox,
    j: JiraHandle,
    url: String,
    client: Client,
}

impl T {
    async fn start(scale: Scale) -> T {
        Self::with(opts(scale, 7)).await
    }

    async fn with(o: SandboxOptions) -> T {
        let sb = Sandbox::start(o).await.expect("sandbox starts");
        T {
            j: sb.jira(),
            url: sb.jira_url(),
            client: Client::new(),
            sb,
        }
    }

    async fn req_as(
        &self,
        auth: Auth,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Response {
        let mut r = self.client.request(method, format!("{}{path}", self.url));
        r = match auth {
            Auth::Cloud => r.basic_auth(EMAIL, Some(TOKEN)),
            Auth::Dc => r.bearer_auth(TOKEN),
            Auth::None => r,
            Auth::Basic(e, t) => r.basic_auth(e, Some(t)),
            Auth::Bearer(t) => r.bearer_auth(t),
        };
        if let Some(b) = body {
            r = r.json(&b);
        }
        r.send().await.expect("request answered")
    }

    async fn cloud(&self, method: Method, path: &str, body: Option<Value>) -> Response {
        self.req_as(Auth::Cloud, method, path, body).await
    }

    async fn get(&self, path: &str) -> Response {
        self.cloud(Method::GET, path, None).await
    }

    async fn get_json(&self, path: &str) -> Value {
        let r = self.get(path).await;
        assert_eq!(r.status(), StatusCode::OK, "GET {path}");
        r.json().await.unwrap()
    }

    async fn search(&self, body: Value) -> (StatusCode, Value) {
        let r = self
            .cloud(Method::POST, "/rest/api/3/search/jql", Some(body))
            .await;
        let s = r.status();
        (s, r.json().await.unwrap_or(Value::Null))
    }

    /// Every page of a Cloud search: (issues, page sizes).
    async fn walk_cloud(&self, jql: &str, fields: &[&str], max: u32) -> (Vec<Value>, Vec<usize>) {
        let mut token: Option<String> = None;
        let mut all = Vec::new();
        let mut sizes = Vec::new();
        loop {
            let mut body = json!({"jql": jql, "maxResults": max, "fields": fields});
            if let Some(t) = &token {
                body["nextPageToken"] = json!(t);
            }
            let (s, v) = self.search(body).await;
            assert_eq!(s, StatusCode::OK, "{v}");
            assert!(v.get("total").is_none(), "Cloud search has no total: {v}");
            let issues = v["issues"].as_array().unwrap().clone();
            sizes.push(issues.len());
            all.extend(issues);
            match v.get("nextPageToken").and_then(Value::as_str) {
                Some(t) => {
                    assert_eq!(v["isLast"], false);
                    assert_ne!(Some(t.to_string()), token, "the token moves");
                    token = Some(t.to_string());
                }
                None => {
                    assert_eq!(v["isLast"], true);
                    break;
                }
            }
            assert!(sizes.len() < 1000, "paging never ends");
        }
        (all, sizes)
    }
}

fn keys(issues: &[Value]) -> Vec<String> {
    issues
        .iter()
        .map(|i| i["key"].as_str().expect("key").to_string())
        .collect()
}

fn tracked(j: &JiraHandle, project: &str) -> Vec<String> {
    j.tracked_keys(project, &TRACKED_LABELS, &TRACKED_TYPES)
}

fn jira_time(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.3f%z")
        .unwrap_or_else(|e| panic!("{s:?}: {e}"))
        .with_timezone(&Utc)
}

fn field_ids(list: &Value) -> BTreeMap<String, String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["name"].as_str().unwrap().to_string(),
                f["id"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

// ---------------------------------------------------------------------------

#[tokio::test]
async fn cloud_token_paging_visits_every_tracked_issue_once_in_short_pages() {
    let t = T::start(Scale::Small).await;
    let want = tracked(&t.j, "OPS");
    assert!(
        want.len() > 60,
        "a third of ~300 is tracked: {}",
        want.len()
    );
    let (issues, sizes) = t.walk_cloud(TRACKED_JQL, &RECUR_FIELDS, 100).await;
    let got = keys(&issues);
    assert_eq!(got, want, "every tracked issue once, in updated/key order");
    assert!(sizes.len() > 2);
    // More than five fields: fewer than asked come back.
    assert!(sizes.iter().all(|s| *s <= 37), "{sizes:?}");
    assert!(
        sizes[..sizes.len() - 1].iter().all(|s| *s == 37),
        "{sizes:?}"
    );
    let mut last = DateTime::<Utc>::MIN_UTC;
    for i in &issues {
        let u = jira_time(i["fields"]["updated"].as_str().unwrap());
        assert!(u >= last, "ascending updated");
        last = u;
    }
    assert_eq!(
        t.j.requests("POST /rest/api/3/search/jql"),
        sizes.len() as u64
    );

    // Few fields: up to 100; the page-size knob caps further.
    let (issues, sizes) = t.walk_cloud(TRACKED_JQL, &["updated"], 100).await;
    assert_eq!(keys(&issues), want);
    assert_eq!(sizes[0], 100.min(want.len()));
    t.j.set_page_cap(Some(9));
    let (issues, sizes) = t.walk_cloud(TRACKED_JQL, &["updated"], 50).await;
    assert_eq!(keys(&issues), want);
    assert!(sizes.iter().all(|s| *s <= 9));
    t.j.set_page_cap(None);

    // GET works the same way, with fields as a comma list.
    // (Every issue of the project: more than a page even when few are tracked.)
    let q = format!(
        "/rest/api/3/search/jql?jql={}&fields=summary,updated&maxResults=1000",
        urlencode("project = OPS")
    );
    let v = t.get_json(&q).await;
    assert_eq!(v["issues"].as_array().unwrap().len(), 100, "capped at 100");
    assert!(v["nextPageToken"].is_string());
    assert_eq!(t.j.requests("GET /rest/api/3/search/jql"), 1);

    // A token from another query is refused.
    let token = v["nextPageToken"].as_str().unwrap();
    let (s, v) = t
        .search(json!({"jql": TRACKED_JQL, "nextPageToken": token, "fields": ["key"]}))
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn the_removed_search_answers_410_and_data_center_search_still_works() {
    let t = T::start(Scale::Small).await;
    for (method, path) in [
        (Method::GET, "/rest/api/3/search?jql=project%3DOPS"),
        (Method::POST, "/rest/api/3/search"),
        (Method::POST, "/rest/api/2/search"),
    ] {
        let r = t
            .cloud(method.clone(), path, Some(json!({"jql": "project = OPS"})))
            .await;
        assert_eq!(r.status(), StatusCode::GONE, "{method} {path}");
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["errorMessages"][0], GONE_MESSAGE);
    }
    assert_eq!(t.j.requests("POST /rest/api/3/search"), 1);
    assert_eq!(t.j.requests("GET /rest/api/3/search"), 1);
    // A Data Center client (Bearer PAT) still has the v2 search.
    let r = t
        .req_as(
            Auth::Dc,
            Method::POST,
            "/rest/api/2/search",
            Some(json!({"jql": "project = OPS", "maxResults": 3})),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn jql_errors_are_400s_with_jiras_messages() {
    let t = T::start(Scale::Small).await;
    let fixture = json!({"errorMessages": [UNBOUNDED_MESSAGE], "errors": {}});
    for jql in ["", "ORDER BY updated ASC", "  order by key desc"] {
        let (s, v) = t.search(json!({"jql": jql, "fields": ["summary"]})).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{jql:?}");
        assert_eq!(v, fixture, "{jql:?}");
    }
    let (s, v) = t.search(json!({"jql": r#"project = "NOPE""#})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(
        v["errorMessages"],
        json!(["The value 'NOPE' does not exist for the field 'project'."])
    );
    let (s, v) = t.search(json!({"jql": "project in (OPS, SRE)"})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(
        v["errorMessages"][0],
        "The value 'SRE' does not exist for the field 'project'."
    );
    for bad in [
        r#"project = "OPS"#,
        "project = OPS AND",
        "project = OPS labels = x",
        "project ~~ OPS",
        "(project = OPS",
        r#"labels = "a\qb""#,
    ] {
        let (s, v) = t.search(json!({"jql": bad})).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{bad:?}: {v}");
        let m = v["errorMessages"][0].as_str().unwrap_or("");
        assert!(m.starts_with("Error in the JQL Query:"), "{bad:?}: {m}");
    }
    let (s, v) = t
        .search(json!({"jql": "project = OPS AND colour = red"}))
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(
        v["errorMessages"][0],
        "Field 'colour' does not exist or you do not have permission to view it."
    );
    let (s, v) = t
        .search(json!({"jql": "project = OPS AND issuetype = Saga"}))
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(v["errorMessages"][0]
        .as_str()
        .unwrap()
        .contains("'issuetype'"));
    // Unknown body keys (a v2-style startAt) are refused on Cloud.
    let (s, _) = t
        .search(json!({"jql": "project = OPS", "startAt": 50}))
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    // Data Center has no unbounded rule.
    let r = t
        .req_as(
            Auth::Dc,
            Method::GET,
            "/rest/api/2/search?maxResults=1",
            None,
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    // Quoted values with escapes and unquoted ones both work.
    let (s, v) = t
        .search(json!({"jql": r#"project = OPS AND labels = "post\u006dortem" AND labels != "say \"hi\"""#, "fields": ["labels"], "maxResults": 5}))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    for i in v["issues"].as_array().unwrap() {
        assert!(i["fields"]["labels"]
            .as_array()
            .unwrap()
            .contains(&json!("postmortem")));
    }
}

#[tokio::test]
async fn epoch_millis_are_exact_but_minute_literals_are_read_in_the_profile_zone() {
    let t = T::start(Scale::Small).await;
    assert_eq!(t.j.user_timezone_offset_minutes(), -480);
    let key = tracked(&t.j, "OPS")[5].clone();
    let at = DateTime::parse_from_rfc3339("2025-06-01T10:30:30.250Z")
        .unwrap()
        .with_timezone(&Utc);
    t.j.set_updated(&key, at);
    assert_eq!(t.j.issue(&key).unwrap().updated, at);
    let minute_utc = DateTime::parse_from_rfc3339("2025-06-01T10:30:00Z")
        .unwrap()
        .timestamp_millis();
    let find = |jql: String| {
        let t = &t;
        async move {
            let (s, v) = t
                .search(json!({"jql": jql, "fields": ["updated"], "maxResults": 100}))
                .await;
            assert_eq!(s, StatusCode::OK, "{v}");
            keys(v["issues"].as_array().unwrap())
        }
    };
    // Every seeded issue is before the anchor (00:00Z): only ours is after.
    assert_eq!(
        find(format!("project = OPS AND updated >= {minute_utc}")).await,
        vec![key.clone()]
    );
    assert_eq!(
        find(format!(
            "project = OPS AND updated >= {}",
            at.timestamp_millis()
        ))
        .await,
        vec![key.clone()],
        "inclusive at the millisecond"
    );
    assert!(find(format!(
        "project = OPS AND updated > {}",
        at.timestamp_millis()
    ))
    .await
    .is_empty());
    // The trap: "10:30" is 10:30 at UTC-8, i.e. 18:30Z, after the issue.
    assert!(
        find(r#"project = OPS AND updated >= "2025-06-01 10:30""#.into())
            .await
            .is_empty(),
        "a UTC minute literal misses the issue"
    );
    assert_eq!(
        find(r#"project = OPS AND updated >= "2025/06/01 02:30""#.into()).await,
        vec![key.clone()],
        "the same instant written in the profile zone"
    );
    assert!(
        find(r#"project = OPS AND updated >= "2025-06-01 02:31""#.into())
            .await
            .is_empty(),
        "minute resolution"
    );
    // Timestamps are written in the profile zone with an offset without a colon.
    let v = t
        .get_json(&format!("/rest/api/3/issue/{key}?fields=updated,created"))
        .await;
    assert_eq!(v["fields"]["updated"], "2025-06-01T02:30:30.250-0800");
    assert!(v["fields"]["created"].as_str().unwrap().ends_with("-0800"));
}

#[tokio::test]
async fn fields_are_filtered_and_default_to_ids_only() {
    let t = T::start(Scale::Small).await;
    let (s, v) = t
        .search(json!({"jql": "project = OPS ORDER BY key ASC", "maxResults": 3}))
        .await;
    assert_eq!(s, StatusCode::OK);
    for i in v["issues"].as_array().unwrap() {
        let obj = i.as_object().unwrap();
        assert_eq!(obj.keys().collect::<Vec<_>>(), vec!["id"], "{i}");
    }
    let (_, v) = t
        .search(json!({"jql": "project = OPS ORDER BY key ASC", "maxResults": 2, "fields": ["summary", "labels"]}))
        .await;
    let first = &v["issues"][0];
    assert_eq!(first["key"], "OPS-1");
    assert!(first["self"]
        .as_str()
        .unwrap()
        .contains("/rest/api/3/issue/"));
    let names: BTreeSet<&str> = first["fields"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(names, BTreeSet::from(["summary", "labels"]));
    // *all has every custom field, unset ones as null; exclusions work.
    let (_, v) = t
        .search(json!({"jql": "key = OPS-1", "fields": ["*all", "-comment"]}))
        .await;
    let f = v["issues"][0]["fields"].as_object().unwrap();
    assert!(!f.contains_key("comment"));
    assert!(f.contains_key("customfield_10043"));
    assert!(f.contains_key("worklog"));
    assert!(f.values().any(Value::is_null));
    // GET issue defaults to all fields.
    let v = t.get_json("/rest/api/3/issue/OPS-1").await;
    assert!(v["fields"]["comment"]["comments"].is_array());
    assert!(
        v["fields"]
            .as_object()
            .unwrap()
            .keys()
            .filter(|k| k.starts_with("customfield_"))
            .count()
            >= 20
    );
    let v = t.get_json("/rest/api/3/issue/OPS-1?fields=summary").await;
    assert_eq!(v["fields"].as_object().unwrap().len(), 1);
}

#[tokio::test]
async fn custom_fields_are_found_by_name_and_render_like_jira() {
    let t = T::start(Scale::Small).await;
    let list = t.get_json("/rest/api/3/field").await;
    let ids = field_ids(&list);
    for name in [
        "Service",
        "Team",
        "Owner",
        "Target date",
        "Risk rationale",
        "Expected outcome",
        "Evidence of completion",
        "Blocked by",
        "Effort",
        "Theme",
        "Impact",
        "Scope",
        "Likelihood",
        "Time to detect (minutes)",
        "Time to repair (minutes)",
        "Users affected (%)",
        "Occurrences per year",
        "Days between failures",
        "SLO",
        "Last reviewed",
        "Started at",
        "Resolved at",
        "Severity",
    ] {
        let id = ids.get(name).unwrap_or_else(|| panic!("{name} listed"));
        assert!(id.starts_with("customfield_10"), "{name}: {id}");
    }
    let entry = list
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "Likelihood")
        .unwrap();
    assert_eq!(entry["custom"], true);
    assert_eq!(entry["schema"]["type"], "option");
    assert!(list
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["id"] == "summary" && f["custom"] == false));
    assert_eq!(
        t.get_json("/rest/api/2/field").await,
        list,
        "v2 lists the same"
    );
    let types = t.get_json("/rest/api/3/issuetype").await;
    let names: BTreeSet<&str> = types
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["name"].as_str().unwrap())
        .collect();
    for n in ["Task", "Bug", "Story", "Incident", "Risk"] {
        assert!(names.contains(n), "{n}");
    }

    let wanted = [
        "Likelihood",
        "Time to detect (minutes)",
        "Users affected (%)",
        "Owner",
        "SLO",
        "Target date",
        "Started at",
    ]
    .map(|n| ids[n].clone());
    let v = t
        .get_json(&format!(
            "/rest/api/3/issue/{DAILY_DEGRADATION_RISK_KEY}?fields=summary,issuetype,{}",
            wanted.join(",")
        ))
        .await;
    let f = &v["fields"];
    assert_eq!(f["issuetype"]["name"], "Risk");
    assert_eq!(f[&ids["Likelihood"]]["value"], "5 - Very high");
    assert_eq!(f[&ids["Time to detect (minutes)"]], json!(2.0));
    assert_eq!(f[&ids["Users affected (%)"]], json!(20.0));
    assert_eq!(f[&ids["SLO"]], "99.9");
    assert!(f[&ids["Owner"]]["accountId"].is_string());
    assert!(
        f[&ids["Target date"]].is_null(),
        "unset fields are present as null"
    );
    assert!(f[&ids["Started at"]].is_null());
    let snap = t.j.issue(FULL_OUTAGE_RISK_KEY).unwrap();
    assert_eq!(snap.fields["Occurrences per year"], json!(4.0));
    assert!(snap.labels.is_empty(), "tracked by type only");

    // Rich text: ADF on v3, a string on v2; dates as YYYY-MM-DD.
    let key = t.j.create_issue(
        "OPS",
        NewJiraIssue {
            summary: "Add an alert for checkout saturation".into(),
            description: "Line one\n\nLine two".into(),
            labels: vec!["postmortem".into()],
            fields: BTreeMap::from([
                ("Target date".to_string(), json!("2025-07-01")),
                ("Risk rationale".to_string(), json!("Pages the right team.")),
                ("Likelihood".to_string(), json!("3 - Medium")),
                ("Owner".to_string(), json!("carol")),
            ]),
            ..Default::default()
        },
    );
    let id = |n: &str| ids[n].clone();
    let v3 = t.get_json(&format!("/rest/api/3/issue/{key}")).await;
    assert_eq!(v3["fields"][id("Target date")], "2025-07-01");
    assert_eq!(v3["fields"][id("Risk rationale")]["type"], "doc");
    assert_eq!(v3["fields"]["description"]["type"], "doc");
    assert_eq!(v3["fields"][id("Likelihood")]["value"], "3 - Medium");
    let r = t
        .req_as(
            Auth::Dc,
            Method::GET,
            &format!("/rest/api/2/issue/{key}"),
            None,
        )
        .await;
    let v2: Value = r.json().await.unwrap();
    assert_eq!(v2["fields"][id("Risk rationale")], "Pages the right team.");
    assert_eq!(v2["fields"]["description"], "Line one\nLine two");
    assert_eq!(v2["fields"][id("Owner")]["name"], "carol");
    assert!(v2["fields"]["reporter"]["name"].is_string());
    assert!(v2["fields"]["reporter"].get("accountId").is_none());
}

#[tokio::test]
async fn data_center_pages_by_start_at_with_a_total() {
    let t = T::start(Scale::Small).await;
    let want = tracked(&t.j, "OPS");
    let mut start = 0usize;
    let mut got = Vec::new();
    loop {
        let r = t
            .req_as(
                Auth::Dc,
                Method::POST,
                "/rest/api/2/search",
                Some(json!({"jql": TRACKED_JQL, "startAt": start, "maxResults": 25, "fields": RECUR_FIELDS})),
            )
            .await;
        assert_eq!(r.status(), StatusCode::OK);
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["startAt"], start);
        assert_eq!(v["total"], want.len());
        assert_eq!(v["maxResults"], 25);
        let issues = v["issues"].as_array().unwrap();
        if let Some(i) = issues.first() {
            assert!(i["fields"]["description"].is_string() || i["fields"]["description"].is_null());
        }
        got.extend(keys(issues));
        start += issues.len();
        if issues.is_empty() || start >= v["total"].as_u64().unwrap() as usize {
            break;
        }
    }
    assert_eq!(got, want);
    assert_eq!(
        t.j.requests("POST /rest/api/2/search"),
        want.len().div_ceil(25) as u64
    );
    // GET, the default page and the cap.
    let r = t
        .req_as(
            Auth::Dc,
            Method::GET,
            &format!(
                "/rest/api/2/search?jql={}&maxResults=5000",
                urlencode(TRACKED_JQL)
            ),
            None,
        )
        .await;
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["maxResults"], 1000);
    // Default fields are the navigable ones (no comments).
    let first = &v["issues"][0]["fields"];
    assert!(first["summary"].is_string() && first.get("comment").is_none());
    // Unknown body keys: Jackson's message.
    let r = t
        .req_as(
            Auth::Dc,
            Method::POST,
            "/rest/api/2/search",
            Some(json!({"jql": "project = OPS", "nextPageToken": "x"})),
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let v: Value = r.json().await.unwrap();
    assert!(v["errorMessages"][0]
        .as_str()
        .unwrap()
        .contains("Unrecognized field"));
}

#[tokio::test]
async fn a_moved_issue_answers_under_its_new_key() {
    let t = T::start(Scale::Small).await;
    let old = tracked(&t.j, "OPS")[3].clone();
    let id = t.j.issue(&old).unwrap().id;
    let before = t.j.issue(&old).unwrap().updated;
    let new = t.j.move_issue(&old, "PAY");
    assert!(new.starts_with("PAY-"), "{new}");
    assert!(t.j.projects().contains(&"PAY".to_string()));
    for key in [&old, &new] {
        let v = t
            .get_json(&format!("/rest/api/3/issue/{key}?fields=summary,project"))
            .await;
        assert_eq!(v["key"], new.as_str(), "GET {key}");
        assert_eq!(v["id"], id.as_str());
        assert_eq!(v["fields"]["project"]["key"], "PAY");
    }
    let snap = t.j.issue(&old).unwrap();
    assert_eq!(snap.moved_to.as_deref(), Some(new.as_str()));
    assert!(snap.updated > before);
    assert_eq!(t.j.issue(&new).unwrap().moved_to, None);
    assert!(!t.j.keys("OPS").contains(&old));
    assert_eq!(t.j.keys("PAY"), vec![new.clone()]);
    let (_, v) = t
        .search(json!({"jql": TRACKED_JQL, "fields": ["key"], "maxResults": 5000}))
        .await;
    assert!(!keys(v["issues"].as_array().unwrap()).contains(&new));
    let (_, v) = t
        .search(json!({"jql": "project = PAY", "fields": ["summary"]}))
        .await;
    assert_eq!(keys(v["issues"].as_array().unwrap()), vec![new.clone()]);
    // The old key still finds it in JQL, and the move is in the history.
    let (_, v) = t
        .search(json!({"jql": format!("key = {old}"), "fields": ["summary"]}))
        .await;
    assert_eq!(keys(v["issues"].as_array().unwrap()), vec![new.clone()]);
    let v = t
        .get_json(&format!("/rest/api/3/issue/{new}/changelog"))
        .await;
    let last = v["values"].as_array().unwrap().last().unwrap().clone();
    let items = last["items"].as_array().unwrap();
    assert!(items.iter().any(|i| i["field"] == "Key"
        && i["fromString"] == old.as_str()
        && i["toString"] == new.as_str()));
}

#[tokio::test]
async fn deleted_issues_are_404_and_gone_from_searches() {
    let t = T::start(Scale::Small).await;
    let key = tracked(&t.j, "OPS")[0].clone();
    t.j.delete_issue(&key);
    let fixture = json!({"errorMessages": [ISSUE_NOT_FOUND_MESSAGE], "errors": {}});
    for path in [
        format!("/rest/api/3/issue/{key}"),
        format!("/rest/api/3/issue/{key}/comment"),
        "/rest/api/3/issue/OPS-13".to_string(),
        "/rest/api/3/issue/OPS-99999".to_string(),
    ] {
        let r = t.get(&path).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
        assert_eq!(r.json::<Value>().await.unwrap(), fixture, "{path}");
    }
    let r = t
        .cloud(
            Method::PUT,
            &format!("/rest/api/3/issue/{key}"),
            Some(json!({"update": {"labels": [{"add": "x"}]}})),
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let snap = t.j.issue(&key).unwrap();
    assert!(snap.deleted);
    assert!(t.j.issue("OPS-13").unwrap().deleted, "seeded gap");
    assert!(!tracked(&t.j, "OPS").contains(&key));
    let (issues, _) = t.walk_cloud(TRACKED_JQL, &["updated"], 100).await;
    assert!(!keys(&issues).contains(&key));
}

#[tokio::test]
async fn label_edits_add_remove_set_and_refuse_spaces() {
    let t = T::start(Scale::Small).await;
    let key = tracked(&t.j, "OPS")[1].clone();
    let before = t.j.issue(&key).unwrap();
    let put = |body: Value| {
        let t = &t;
        let key = key.clone();
        async move {
            t.cloud(Method::PUT, &format!("/rest/api/3/issue/{key}"), Some(body))
                .await
        }
    };
    let r =
        put(json!({"update": {"labels": [{"add": "sync-me"}, {"remove": "postmortem"}]}})).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert!(r.text().await.unwrap().is_empty());
    let after = t.j.issue(&key).unwrap();
    assert!(after.labels.contains(&"sync-me".to_string()));
    assert!(!after.labels.contains(&"postmortem".to_string()));
    assert!(after.updated > before.updated);
    assert_eq!(
        after.histories,
        before.histories + 1,
        "one edit, one history"
    );
    let v = t
        .get_json(&format!(
            "/rest/api/3/issue/{key}/changelog?startAt=0&maxResults=100"
        ))
        .await;
    let last = v["values"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["author"]["displayName"], "Recur Bot");
    assert_eq!(last["items"][0]["field"], "labels");

    // Spaces are refused, nothing changes.
    let r = put(json!({"update": {"labels": [{"add": "needs review"}]}})).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let v: Value = r.json().await.unwrap();
    assert!(
        v["errors"]["labels"].as_str().unwrap().contains("spaces"),
        "{v}"
    );
    assert_eq!(t.j.issue(&key).unwrap().labels, after.labels);

    // fields.labels replaces all; update set too.
    let r = put(json!({"fields": {"labels": ["b", "a"]}})).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(t.j.issue(&key).unwrap().labels, vec!["a", "b"]);
    let r = put(json!({"update": {"labels": [{"set": ["postmortem"]}]}})).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(t.j.issue(&key).unwrap().labels, vec!["postmortem"]);
    // A no-op edit changes nothing, not even `updated`.
    let settled = t.j.issue(&key).unwrap();
    let r = put(json!({"update": {"labels": [{"add": "postmortem"}]}})).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(t.j.issue(&key).unwrap().updated, settled.updated);
    // Unknown fields and bad payloads.
    let r = put(json!({"fields": {"colour": "red"}})).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let v: Value = r.json().await.unwrap();
    assert!(v["errors"]["colour"]
        .as_str()
        .unwrap()
        .contains("cannot be set"));
    let r = t
        .client
        .put(format!("{}/rest/api/3/issue/{key}", t.url))
        .basic_auth(EMAIL, Some(TOKEN))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    // v2 works the same; a summary edit shows up in the snapshot.
    let r = t
        .req_as(
            Auth::Dc,
            Method::PUT,
            &format!("/rest/api/2/issue/{key}"),
            Some(json!({"fields": {"summary": "Renamed over v2"}, "update": {"labels": [{"add": "dc"}]}})),
        )
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let s = t.j.issue(&key).unwrap();
    assert_eq!(s.summary, "Renamed over v2");
    assert_eq!(s.labels, vec!["dc", "postmortem"]);
    // The handle edits like a person.
    t.j.remove_label(&key, "dc");
    t.j.add_label(&key, "risk");
    assert_eq!(t.j.issue(&key).unwrap().labels, vec!["postmortem", "risk"]);
}

#[tokio::test]
async fn comments_page_edit_and_carry_properties() {
    let t = T::start(Scale::Small).await;
    // Paging over the many-comments issue.
    let mut seen = Vec::new();
    let mut start = 0;
    loop {
        let v = t
            .get_json(&format!(
                "/rest/api/3/issue/{MANY_COMMENTS_KEY}/comment?startAt={start}&maxResults=20"
            ))
            .await;
        assert_eq!(v["total"], MANY_COMMENTS);
        assert_eq!(v["startAt"], start);
        let page = v["comments"].as_array().unwrap();
        assert!(page.iter().all(|c| c["body"]["type"] == "doc"));
        seen.extend(page.iter().map(|c| c["id"].as_str().unwrap().to_string()));
        start += page.len();
        if page.is_empty() || start >= MANY_COMMENTS {
            break;
        }
    }
    assert_eq!(seen.len(), MANY_COMMENTS);
    assert_eq!(seen.iter().collect::<BTreeSet<_>>().len(), MANY_COMMENTS);

    let key = tracked(&t.j, "OPS")[2].clone();
    let before = t.j.issue(&key).unwrap();
    let doc = json!({"type": "doc", "version": 1, "content": [{"type": "paragraph", "content": [
        {"type": "text", "text": "Synced from GitHub "},
        {"type": "text", "text": "octo/repo#42", "marks": [{"type": "link", "attrs": {"href": "https://github.com/octo/repo/issues/42"}}]}
    ]}]});
    let r = t
        .cloud(
            Method::POST,
            &format!("/rest/api/3/issue/{key}/comment"),
            Some(json!({"body": doc, "properties": [{"key": "recur", "value": {"bot": true}}]})),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let c: Value = r.json().await.unwrap();
    let id = c["id"].as_str().unwrap().to_string();
    assert_eq!(c["author"]["displayName"], "Recur Bot");
    assert_eq!(c["body"], doc);
    let after = t.j.issue(&key).unwrap();
    assert!(after.updated > before.updated, "a comment bumps updated");
    assert_eq!(
        after.comments.last().unwrap(),
        &(
            id.clone(),
            "Synced from GitHub octo/repo#42".to_string(),
            "recur-bot".to_string()
        )
    );
    // v3 wants ADF; v2 wants a string.
    let r = t
        .cloud(
            Method::POST,
            &format!("/rest/api/3/issue/{key}/comment"),
            Some(json!({"body": "plain"})),
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = t
        .cloud(
            Method::POST,
            &format!("/rest/api/3/issue/{key}/comment"),
            Some(json!({"body": {"type": "doc", "version": 1, "content": []}})),
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST, "empty body");
    let r = t
        .req_as(
            Auth::Dc,
            Method::POST,
            &format!("/rest/api/2/issue/{key}/comment"),
            Some(json!({"body": "From Data Center"})),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let dc: Value = r.json().await.unwrap();
    assert_eq!(dc["body"], "From Data Center");
    // Edit replaces the body.
    let r = t
        .cloud(
            Method::PUT,
            &format!("/rest/api/3/issue/{key}/comment/{id}"),
            Some(json!({"body": {"type": "doc", "version": 1, "content": [{"type": "paragraph", "content": [{"type": "text", "text": "Edited"}]}]}})),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["body"]["content"][0]["content"][0]["text"], "Edited");
    assert_eq!(
        t.j.issue(&key).unwrap().comments[after.comments.len() - 1].1,
        "Edited"
    );
    // A comment of another issue is not found through this one.
    let r = t
        .get(&format!(
            "/rest/api/3/issue/{DAILY_DEGRADATION_RISK_KEY}/comment/{id}"
        ))
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    // Properties: set at creation, put (201 then 200), get, list, delete.
    let v = t
        .get_json(&format!("/rest/api/3/comment/{id}/properties/recur"))
        .await;
    assert_eq!(v, json!({"key": "recur", "value": {"bot": true}}));
    let p = format!("/rest/api/3/comment/{id}/properties/sync");
    let r = t.cloud(Method::PUT, &p, Some(json!({"hash": "abc"}))).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let r = t.cloud(Method::PUT, &p, Some(json!({"hash": "def"}))).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(t.get_json(&p).await["value"]["hash"], "def");
    let v = t
        .get_json(&format!("/rest/api/3/comment/{id}/properties"))
        .await;
    let names: Vec<&str> = v["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["key"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["recur", "sync"]);
    let v = t
        .get_json(&format!(
            "/rest/api/3/issue/{key}/comment?expand=properties&orderBy=-created&maxResults=1"
        ))
        .await;
    assert_eq!(
        v["comments"][0]["properties"].as_array().unwrap().len(),
        0,
        "newest first: the DC one"
    );
    let r = t
        .get(&format!("/rest/api/3/comment/{id}/properties/nope"))
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = t.cloud(Method::DELETE, &p, None).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(t.get(&p).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        t.get("/rest/api/3/comment/1/properties").await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        t.j.requests("PUT /rest/api/3/comment/{commentId}/properties/{propertyKey}"),
        2
    );
}

#[tokio::test]
async fn changelog_pages_and_expand_embeds_at_most_40() {
    let t = T::start(Scale::Small).await;
    let v = t
        .get_json(&format!(
            "/rest/api/3/issue/{MANY_COMMENTS_KEY}?fields=summary&expand=changelog"
        ))
        .await;
    let cl = &v["changelog"];
    assert_eq!(cl["total"], MANY_HISTORIES);
    assert_eq!(
        cl["histories"].as_array().unwrap().len(),
        jira::EMBEDDED_HISTORIES
    );
    assert_eq!(cl["startAt"], MANY_HISTORIES - jira::EMBEDDED_HISTORIES);
    let mut all = Vec::new();
    let mut start = 0;
    loop {
        let v = t
            .get_json(&format!(
                "/rest/api/3/issue/{MANY_COMMENTS_KEY}/changelog?startAt={start}&maxResults=20"
            ))
            .await;
        assert_eq!(v["total"], MANY_HISTORIES);
        let page = v["values"].as_array().unwrap().clone();
        start += page.len();
        all.extend(page);
        if v["isLast"] == true {
            assert!(v.get("nextPage").is_none());
            break;
        }
        assert!(v["nextPage"].is_string());
    }
    assert_eq!(all.len(), MANY_HISTORIES);
    let times: Vec<DateTime<Utc>> = all
        .iter()
        .map(|h| jira_time(h["created"].as_str().unwrap()))
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "oldest first");
    assert_eq!(
        &all[MANY_HISTORIES - 40..],
        cl["histories"].as_array().unwrap().as_slice()
    );
}

#[tokio::test]
async fn bad_credentials_are_a_plain_text_401() {
    let t = T::start(Scale::Empty).await;
    let path = "/rest/api/3/field";
    for auth in [
        Auth::Basic(EMAIL, "wrong"),
        Auth::Bearer("wrong"),
        Auth::Basic("someone@else.example", "not-a-token"),
    ] {
        let r = t.req_as(auth, Method::GET, path, None).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        assert!(r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain"));
        assert_eq!(r.text().await.unwrap(), UNAUTHORIZED_MESSAGE);
    }
    let r = t.req_as(Auth::None, Method::GET, path, None).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["errorMessages"][0], UNAUTHORIZED_MESSAGE);
    for auth in [
        Auth::Cloud,
        Auth::Dc,
        Auth::Basic("anyone@acme.example", "human-token"),
        Auth::Bearer("human-token"),
    ] {
        let r = t.req_as(auth, Method::GET, path, None).await;
        assert_eq!(r.status(), StatusCode::OK);
    }
    let me: Value = t
        .req_as(
            Auth::Basic("x@y.example", "human-token"),
            Method::GET,
            "/rest/api/3/myself",
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["timeZone"], jira::USER_TIMEZONE);
    assert!(me["displayName"].as_str().unwrap().starts_with("Alice"));
    assert_eq!(t.j.requests("GET /rest/api/3/field"), 8);
}

#[tokio::test]
async fn rate_limits_and_html_errors_come_from_the_fault_plan() {
    let t = T::start(Scale::Small).await;
    let body = json!({"jql": "project = OPS", "fields": ["summary"], "maxResults": 1});
    t.j.push_fault(FaultRule {
        route: Some("/search/jql".into()),
        fault: Fault::SecondaryLimit {
            status: 429,
            retry_after: Some(0),
        },
        times: 1,
    });
    let r = t
        .cloud(Method::POST, "/rest/api/3/search/jql", Some(body.clone()))
        .await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let h = r.headers().clone();
    assert_eq!(h["retry-after"], "0");
    assert_eq!(h["ratelimit-reason"], "jira-burst-based");
    let reset = h["x-ratelimit-reset"].to_str().unwrap();
    assert!(DateTime::parse_from_rfc3339(reset).is_ok(), "{reset}");
    assert_eq!(
        r.json::<Value>().await.unwrap()["errorMessages"][0],
        "Rate limit exceeded."
    );

    t.j.push_fault(FaultRule {
        route: None,
        fault: Fault::PrimaryExhausted { reset_in_secs: 30 },
        times: 1,
    });
    let r = t.get("/rest/api/3/issue/OPS-1").await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(r.headers()["retry-after"], "30");
    assert_eq!(r.headers()["ratelimit-reason"], "jira-quota-tenant-based");

    for (status, retry) in [(503u16, None), (429, Some("0"))] {
        t.j.push_fault(FaultRule {
            route: Some("/search".into()),
            fault: Fault::HtmlError { status },
            times: 1,
        });
        let r = t
            .cloud(Method::POST, "/rest/api/3/search/jql", Some(body.clone()))
            .await;
        assert_eq!(r.status().as_u16(), status);
        assert!(r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html"));
        assert_eq!(
            r.headers().get("retry-after").map(|v| v.to_str().unwrap()),
            retry
        );
        let text = r.text().await.unwrap();
        assert!(
            text.contains("Apache Tomcat") && text.contains(&format!("HTTP Status {status}")),
            "{text}"
        );
    }

    t.j.push_fault(FaultRule {
        route: None,
        fault: Fault::Unauthorized,
        times: 1,
    });
    let r = t.get("/rest/api/3/field").await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(r.text().await.unwrap(), UNAUTHORIZED_MESSAGE);

    // A faulted write is not executed; the log names the fault.
    let key = tracked(&t.j, "OPS")[0].clone();
    t.j.push_fault(FaultRule {
        route: Some(format!("/issue/{key}")),
        fault: Fault::ServerError { status: 502 },
        times: 1,
    });
    let r = t
        .cloud(
            Method::PUT,
            &format!("/rest/api/3/issue/{key}"),
            Some(json!({"fields": {"summary": "never"}})),
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_GATEWAY);
    assert_ne!(t.j.issue(&key).unwrap().summary, "never");
    let log = t.j.request_log();
    assert_eq!(log.last().unwrap().fault.as_deref(), Some("ServerError"));
    assert_eq!(log.last().unwrap().status, 502);
    assert_eq!(log.iter().filter(|r| r.fault.is_some()).count(), 6);
    // Connection resets and cut bodies are transport errors.
    t.j.push_fault(FaultRule {
        route: None,
        fault: Fault::ConnectionReset,
        times: 1,
    });
    assert!(t
        .client
        .get(format!("{}/rest/api/3/field", t.url))
        .basic_auth(EMAIL, Some(TOKEN))
        .send()
        .await
        .is_err());
    t.j.push_fault(FaultRule {
        route: None,
        fault: Fault::MalformedJson,
        times: 1,
    });
    let r = t.get("/rest/api/3/field").await;
    assert!(r.json::<Value>().await.is_err());
    t.j.push_fault(FaultRule {
        route: Some("/search/jql".into()),
        fault: Fault::TruncatedBody,
        times: 1,
    });
    let r = t
        .cloud(Method::POST, "/rest/api/3/search/jql", Some(body.clone()))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.bytes().await.is_err(), "the body is cut off");
    // After the faults, normal service.
    assert_eq!(t.get("/rest/api/3/field").await.status(), StatusCode::OK);
    t.j.reset_counters();
    assert_eq!(t.j.total_requests(), 0);
}

#[tokio::test]
async fn search_orders_as_asked_and_counts_per_route() {
    let t = T::start(Scale::Small).await;
    let (_, v) = t
        .search(json!({"jql": "project = OPS ORDER BY key DESC", "fields": ["summary"], "maxResults": 5}))
        .await;
    let ks = keys(v["issues"].as_array().unwrap());
    let nums: Vec<u64> = ks.iter().map(|k| k[4..].parse().unwrap()).collect();
    assert!(nums.windows(2).all(|w| w[0] > w[1]), "{ks:?}");
    let (_, v) = t
        .search(json!({"jql": "project = OPS AND statusCategory = Done AND resolution = \"Won't Do\" ORDER BY created DESC", "fields": ["created", "resolution", "status"], "maxResults": 20}))
        .await;
    let issues = v["issues"].as_array().unwrap();
    assert!(!issues.is_empty());
    for i in issues {
        assert_eq!(i["fields"]["status"]["statusCategory"]["key"], "done");
        assert_eq!(i["fields"]["resolution"]["name"], "Won't Do");
    }
    let created: Vec<DateTime<Utc>> = issues
        .iter()
        .map(|i| jira_time(i["fields"]["created"].as_str().unwrap()))
        .collect();
    assert!(created.windows(2).all(|w| w[0] >= w[1]));
    // Negative clauses skip empty fields, as in Jira.
    let (_, v) = t
        .search(json!({"jql": "project = OPS AND labels != postmortem", "fields": ["labels"], "maxResults": 100}))
        .await;
    for i in v["issues"].as_array().unwrap() {
        let ls = i["fields"]["labels"].as_array().unwrap();
        assert!(!ls.is_empty() && !ls.contains(&json!("postmortem")));
    }
    let (_, v) = t
        .search(json!({"jql": "project = OPS AND labels is EMPTY AND issuetype = Incident", "fields": ["labels", "issuetype"], "maxResults": 100}))
        .await;
    assert!(
        !v["issues"].as_array().unwrap().is_empty(),
        "incidents tracked by type only"
    );
    assert!(t.get("/rest/api/3/nope").await.status() == StatusCode::NOT_FOUND);
    assert_eq!(t.j.requests("GET (unmatched)"), 1);
    assert_eq!(t.j.requests("POST /rest/api/3/search/jql"), 4);
    // The GitHub counters never see Jira requests.
    assert_eq!(t.sb.github().total_requests(), 0);
}

#[tokio::test]
async fn handle_reads_and_edits_match_the_api() {
    let t = T::start(Scale::Small).await;
    let snap = t.j.issue(RICH_DESCRIPTION_KEY).unwrap();
    assert!(
        snap.description_text.contains("\u{1f9d1}\u{200d}\u{1f4bb}"),
        "{}",
        snap.description_text
    );
    assert!(snap.description_text.contains("@Alice"));
    let v = t
        .get_json(&format!(
            "/rest/api/3/issue/{RICH_DESCRIPTION_KEY}?fields=description"
        ))
        .await;
    let kinds: BTreeSet<&str> = v["fields"]["description"]["content"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["type"].as_str().unwrap())
        .collect();
    for k in [
        "heading",
        "paragraph",
        "bulletList",
        "orderedList",
        "codeBlock",
        "table",
        "panel",
    ] {
        assert!(kinds.contains(k), "{k}");
    }
    let key = t.j.create_issue(
        "OPS",
        NewJiraIssue {
            summary: "Risky thing".into(),
            issue_type: "Risk".into(),
            ..Default::default()
        },
    );
    assert!(tracked(&t.j, "OPS").contains(&key));
    assert_eq!(
        tracked(&t.j, "OPS").last(),
        Some(&key),
        "newest updated last"
    );
    t.j.transition(&key, "indeterminate", None);
    let s = t.j.issue(&key).unwrap();
    assert_eq!(
        (s.status.as_str(), s.status_category.as_str()),
        ("In Progress", "indeterminate")
    );
    t.j.transition(&key, "done", Some("Won't Do"));
    let v = t
        .get_json(&format!(
            "/rest/api/3/issue/{key}?fields=status,resolution,resolutiondate"
        ))
        .await;
    assert_eq!(v["fields"]["status"]["statusCategory"]["key"], "done");
    assert_eq!(v["fields"]["resolution"]["name"], "Won't Do");
    assert!(v["fields"]["resolutiondate"].is_string());
    t.j.transition(&key, "new", None);
    let v = t
        .get_json(&format!("/rest/api/3/issue/{key}?fields=status,resolution"))
        .await;
    assert_eq!(v["fields"]["status"]["name"], "To Do");
    assert!(v["fields"]["resolution"].is_null());
    t.j.set_summary(&key, "Renamed risk");
    t.j.set_field(&key, "Likelihood", json!("4 - High"));
    let s = t.j.issue(&key).unwrap();
    assert_eq!(s.summary, "Renamed risk");
    assert_eq!(s.fields["Likelihood"]["value"], "4 - High");
    // Edits in the same millisecond still move `updated`.
    let mut last = t.j.issue(&key).unwrap().updated;
    for n in 0..5 {
        t.j.add_label(&key, &format!("burst-{n}"));
        let now = t.j.issue(&key).unwrap().updated;
        assert!(now > last, "strictly later after every edit");
        last = now;
    }
    let c = t.j.add_comment(&key, "dave", "Looked at it.");
    assert_eq!(
        t.j.issue(&key).unwrap().comments[0],
        (c, "Looked at it.".into(), "dave".into())
    );
    // Links connect action items to incidents and risks.
    let linked =
        t.j.keys("OPS")
            .into_iter()
            .filter_map(|k| t.j.issue(&k))
            .flat_map(|s| s.links)
            .map(|(rel, _)| rel)
            .collect::<BTreeSet<_>>();
    for rel in ["is caused by", "causes", "relates to"] {
        assert!(linked.contains(rel), "{rel}: {linked:?}");
    }
}

#[tokio::test]
async fn the_same_seed_gives_the_same_site_and_another_seed_another() {
    async fn dump(seed: u64) -> Vec<Value> {
        let t = T::with(opts(Scale::Small, seed)).await;
        let (issues, _) = t.walk_cloud(TRACKED_JQL, &["*all"], 100).await;
        // Self links carry the port; everything else must match.
        let text = serde_json::to_string(&issues)
            .unwrap()
            .replace(&t.url, "http://SANDBOX");
        let mut out: Vec<Value> = serde_json::from_str(&text).unwrap();
        out.push(t.get_json("/rest/api/3/field").await);
        out
    }
    let a = dump(11).await;
    assert_eq!(a, dump(11).await);
    assert_ne!(a, dump(12).await);
    assert!(a.len() > 60);
}

#[tokio::test]
async fn bench_spreads_half_the_issues_over_two_projects() {
    let t = T::start(Scale::Bench { issues: 2000 }).await;
    assert_eq!(t.j.projects(), vec!["OPS", "PAY"]);
    let ops = t.j.keys("OPS").len();
    let pay = t.j.keys("PAY").len();
    assert!(
        (480..=500).contains(&ops) && (480..=500).contains(&pay),
        "{ops} {pay}"
    );
    let (_, v) = t
        .search(json!({"jql": "project in (OPS, PAY) AND updated >= -10000d", "fields": ["key"], "maxResults": 5000}))
        .await;
    assert_eq!(
        v["issues"].as_array().unwrap().len(),
        ops + pay,
        "ids-only pages go up to 5000"
    );
}
