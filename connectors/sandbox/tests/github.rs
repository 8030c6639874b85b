//! The fake GitHub over real HTTP: paging and `Link`, filters, ETags, rate
//! limits, moved and deleted issues, label and comment writes, events,
//! every fault kind, determinism and shutdown. Each test starts its own
//! sandbox on `127.0.0.1:0`.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use recur_sandbox::{
    seed, Fault, FaultRule, GithubHandle, NewIssue, Sandbox, SandboxOptions, Scale,
};
use reqwest::{Client, Method, Response, StatusCode};
use serde_json::{json, Value};

const TOKEN: &str = "sandbox-token";

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

struct T {
    sb: Sandbox,
    gh: GithubHandle,
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
            gh: sb.github(),
            url: sb.github_url(),
            client: Client::new(),
            sb,
        }
    }

    fn abs(&self, path: &str) -> String {
        if path.starts_with("http") {
            path.to_string()
        } else {
            format!("{}{path}", self.url)
        }
    }

    async fn req(&self, method: Method, path: &str, body: Option<Value>) -> Response {
        let mut r = self
            .client
            .request(method, self.abs(path))
            .bearer_auth(TOKEN);
        if let Some(b) = body {
            r = r.json(&b);
        }
        r.send().await.expect("request answered")
    }

    async fn get(&self, path: &str) -> Response {
        self.req(Method::GET, path, None).await
    }

    async fn get_json(&self, path: &str) -> (StatusCode, reqwest::header::HeaderMap, Value) {
        let r = self.get(path).await;
        let status = r.status();
        let headers = r.headers().clone();
        let bytes = r.bytes().await.expect("body");
        let v = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).expect("JSON body")
        };
        (status, headers, v)
    }
}

fn header<'a>(h: &'a reqwest::header::HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

/// `Link` header as (rel, url) in order.
fn links(h: &reqwest::header::HeaderMap) -> Vec<(String, String)> {
    let Some(l) = header(h, "link") else {
        return Vec::new();
    };
    l.split(", <")
        .map(|part| {
            let part = part.trim_start_matches('<');
            let (url, rel) = part.split_once(">; rel=\"").expect("link part shape");
            (rel.trim_end_matches('"').to_string(), url.to_string())
        })
        .collect()
}

fn rels(h: &reqwest::header::HeaderMap) -> Vec<String> {
    links(h).into_iter().map(|(r, _)| r).collect()
}

fn next_link(h: &reqwest::header::HeaderMap) -> Option<String> {
    links(h)
        .into_iter()
        .find(|(r, _)| r == "next")
        .map(|(_, u)| u)
}

fn numbers(v: &Value) -> Vec<u64> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|i| i["number"].as_u64().expect("number"))
        .collect()
}

/// Follows `next` links from `path`, returning every entry and the pages.
async fn walk(t: &T, path: &str) -> (Vec<Value>, usize) {
    let mut url = Some(t.abs(path));
    let mut all = Vec::new();
    let mut pages = 0;
    while let Some(u) = url.take() {
        let (status, h, v) = t.get_json(&u).await;
        assert_eq!(status, StatusCode::OK, "{u}");
        all.extend(v.as_array().expect("array").iter().cloned());
        pages += 1;
        url = next_link(&h);
        assert!(pages < 10_000, "runaway paging");
    }
    (all, pages)
}

#[tokio::test]
async fn link_headers_have_githubs_shape_and_visit_every_entry_once() {
    let t = T::start(Scale::Small).await;
    let repo = "acme/payments";
    let total = t.gh.count_listing(repo, None, "all");
    let per_page = 7;
    let last = total.div_ceil(per_page);
    assert!(last >= 4, "need several pages, have {total} entries");

    let (_, h1, v1) = t
        .get_json(&format!(
            "/repos/{repo}/issues?state=all&per_page={per_page}"
        ))
        .await;
    assert_eq!(rels(&h1), ["next", "last"]);
    let l = links(&h1);
    let repo_id = t.get_json(&format!("/repos/{repo}")).await.2["id"]
        .as_u64()
        .unwrap();
    assert_eq!(
        l[0].1,
        format!(
            "{}/repositories/{repo_id}/issues?state=all&per_page={per_page}&page=2",
            t.url
        )
    );
    assert!(l[1].1.ends_with(&format!("page={last}")));
    assert_eq!(v1.as_array().unwrap().len(), per_page);

    let (_, h2, _) = t.get_json(&l[0].1).await;
    assert_eq!(rels(&h2), ["prev", "next", "last", "first"]);
    let (_, hl, vl) = t.get_json(&l[1].1).await;
    assert_eq!(rels(&hl), ["prev", "first"]);
    assert_eq!(vl.as_array().unwrap().len(), total - (last - 1) * per_page);

    let (all, pages) = walk(
        &t,
        &format!("/repos/{repo}/issues?state=all&per_page={per_page}&sort=updated"),
    )
    .await;
    assert_eq!(pages, last);
    let seen: Vec<u64> = all.iter().map(|i| i["number"].as_u64().unwrap()).collect();
    let unique: BTreeSet<u64> = seen.iter().copied().collect();
    assert_eq!(unique.len(), seen.len(), "an entry came twice");
    assert_eq!(
        unique.into_iter().collect::<Vec<_>>(),
        t.gh.issue_numbers(repo)
    );
    // Sorted by updated, descending by default.
    let updated: Vec<&str> = all
        .iter()
        .map(|i| i["updated_at"].as_str().unwrap())
        .collect();
    assert!(updated.windows(2).all(|w| w[0] >= w[1]));
}

#[tokio::test]
async fn a_single_page_has_no_link_header_and_defaults_are_github_defaults() {
    let t = T::start(Scale::Small).await;
    let repo = "acme/backup";
    for n in [2, 5] {
        t.gh.add_label(repo, n, "solo");
    }
    let (status, h, v) = t
        .get_json(&format!("/repos/{repo}/issues?labels=solo&state=all"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(header(&h, "link").is_none());
    assert_eq!(numbers(&v), [5, 2], "created, descending by default");
    // Default state is open, default page size 30 with a next link.
    let (_, h, v) = t.get_json(&format!("/repos/{repo}/issues")).await;
    assert_eq!(
        v.as_array().unwrap().len(),
        30.min(t.gh.count_listing(repo, None, "open"))
    );
    assert!(v.as_array().unwrap().iter().all(|i| i["state"] == "open"));
    assert_eq!(rels(&h), ["next", "last"]);
    // per_page above 100 is capped at 100.
    let (_, _, v) = t
        .get_json(&format!("/repos/{repo}/issues?state=all&per_page=500"))
        .await;
    assert_eq!(
        v.as_array().unwrap().len(),
        100.min(t.gh.count_listing(repo, None, "all"))
    );
}

#[tokio::test]
async fn labels_filter_is_and_and_case_insensitive() {
    let t = T::start(Scale::Empty).await;
    let repo = "acme/payments";
    let mk = |labels: &[&str]| NewIssue {
        title: "t".into(),
        labels: labels.iter().map(|s| s.to_string()).collect(),
        ..NewIssue::default()
    };
    // "Triage-Me" is new (created with the case given); "risk" exists and
    // "RISK" names it.
    let both = t.gh.create_issue(repo, mk(&["Triage-Me", "risk"]));
    let one = t.gh.create_issue(repo, mk(&["triage-me"]));
    let other = t.gh.create_issue(repo, mk(&["RISK"]));
    let list = |q: &'static str| {
        let t = &t;
        async move { numbers(&t.get_json(&format!("/repos/{repo}/issues?{q}")).await.2) }
    };
    assert_eq!(list("labels=triage-me,Risk").await, [both]);
    assert_eq!(list("labels=TRIAGE-ME").await, [one, both]);
    assert_eq!(list("labels=risk&direction=asc").await, [both, other]);
    assert_eq!(list("labels=risk,unknown").await, Vec::<u64>::new());
    assert_eq!(t.gh.count_listing(repo, Some("Risk"), "open"), 2);
    // Label names keep the case they were created with.
    let (_, _, v) = t.get_json(&format!("/repos/{repo}/issues/{both}")).await;
    let names: Vec<&str> = v["labels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Triage-Me", "risk"]);
    let (_, _, v) = t.get_json(&format!("/repos/{repo}/issues/{other}")).await;
    assert_eq!(v["labels"][0]["name"], "risk");
}

#[tokio::test]
async fn since_is_inclusive_and_writes_bump_updated_at() {
    let t = T::start(Scale::Small).await;
    let repo = "acme/platform";
    let before = t.gh.issue(repo, 4).unwrap().updated_at;
    t.gh.touch(repo, 4);
    let snap = t.gh.issue(repo, 4).unwrap();
    assert!(snap.updated_at > before);
    assert!((Utc::now() - snap.updated_at).num_seconds() < 5);
    let since = snap.updated_at.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let q = format!("/repos/{repo}/issues?state=all&sort=updated&since={since}");
    assert!(numbers(&t.get_json(&q).await.2).contains(&4));
    let later = (snap.updated_at + chrono::Duration::seconds(1)).format("%Y-%m-%dT%H:%M:%SZ");
    let q = format!("/repos/{repo}/issues?state=all&since={later}");
    assert!(!numbers(&t.get_json(&q).await.2).contains(&4));
    // An offset spelled with a raw '+' (form-decoded to a space) still works.
    let plus = (snap.updated_at + chrono::Duration::hours(2)).format("%Y-%m-%dT%H:%M:%S+02:00");
    let q = format!("/repos/{repo}/issues?state=all&since={plus}");
    assert!(numbers(&t.get_json(&q).await.2).contains(&4));
    let (status, _, v) = t
        .get_json(&format!("/repos/{repo}/issues?since=yesterday"))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(v["errors"][0]["field"], "since");
}

#[tokio::test]
async fn pull_requests_come_back_in_issue_listings() {
    let t = T::start(Scale::Small).await;
    let mut prs = 0;
    let mut tracked_prs = 0;
    for repo in seed::SMALL_REPOS {
        let (all, _) = walk(&t, &format!("/repos/{repo}/issues?state=all&per_page=100")).await;
        assert_eq!(all.len(), t.gh.count_listing(repo, None, "all"));
        for i in &all {
            let n = i["number"].as_u64().unwrap();
            let is_pr = i.get("pull_request").is_some();
            assert_eq!(is_pr, t.gh.issue(repo, n).unwrap().is_pull_request);
            if is_pr {
                prs += 1;
                assert!(i["draft"].is_boolean());
                assert!(i["html_url"].as_str().unwrap().contains("/pull/"));
                let labels = i["labels"].as_array().unwrap();
                tracked_prs += usize::from(
                    labels
                        .iter()
                        .any(|l| seed::TRACKED_LABELS.contains(&l["name"].as_str().unwrap())),
                );
            }
        }
    }
    assert!(prs > 10, "{prs} pull requests");
    assert!(tracked_prs > 0, "some pull requests carry tracked labels");
}

/// Keys of the recorded `get-issue.json` fixture (2025).
const ISSUE_KEYS: [&str; 32] = [
    "url",
    "repository_url",
    "labels_url",
    "comments_url",
    "events_url",
    "html_url",
    "id",
    "node_id",
    "number",
    "title",
    "user",
    "labels",
    "state",
    "locked",
    "assignee",
    "assignees",
    "milestone",
    "comments",
    "created_at",
    "updated_at",
    "closed_at",
    "author_association",
    "type",
    "active_lock_reason",
    "sub_issues_summary",
    "issue_dependencies_summary",
    "body",
    "closed_by",
    "reactions",
    "timeline_url",
    "performed_via_github_app",
    "state_reason",
];

/// Keys of a recorded user object.
const USER_KEYS: [&str; 19] = [
    "login",
    "id",
    "node_id",
    "avatar_url",
    "gravatar_id",
    "url",
    "html_url",
    "followers_url",
    "following_url",
    "gists_url",
    "starred_url",
    "subscriptions_url",
    "organizations_url",
    "repos_url",
    "events_url",
    "received_events_url",
    "type",
    "user_view_type",
    "site_admin",
];

#[tokio::test]
async fn issue_json_has_every_recorded_key() {
    let t = T::start(Scale::Small).await;
    let (all, _) = walk(&t, "/repos/acme/payments/issues?state=all&per_page=100").await;
    let issue = all
        .iter()
        .find(|i| i.get("pull_request").is_none())
        .unwrap();
    for key in ISSUE_KEYS {
        assert!(issue.get(key).is_some(), "issue JSON lacks {key}");
    }
    for key in USER_KEYS {
        assert!(issue["user"].get(key).is_some(), "user JSON lacks {key}");
    }
    let with_milestone = all
        .iter()
        .find(|i| !i["milestone"].is_null())
        .expect("a milestone");
    assert!(
        DateTime::parse_from_rfc3339(with_milestone["milestone"]["due_on"].as_str().unwrap())
            .is_ok()
    );
    assert!(all.iter().any(|i| !i["assignee"].is_null()));
    let reasons: BTreeSet<&str> = all
        .iter()
        .filter_map(|i| i["state_reason"].as_str())
        .collect();
    assert!(
        reasons.contains("completed") && reasons.contains("not_planned"),
        "{reasons:?}"
    );
    assert_eq!(
        issue["html_url"].as_str().unwrap(),
        format!("{}/acme/payments/issues/{}", t.url, issue["number"])
    );
    // The contrast risks are open and findable by title.
    for (n, title) in [
        (
            seed::DAILY_DEGRADATION_RISK_NUMBER,
            seed::DAILY_DEGRADATION_RISK_TITLE,
        ),
        (seed::FULL_OUTAGE_RISK_NUMBER, seed::FULL_OUTAGE_RISK_TITLE),
    ] {
        let (_, _, v) = t
            .get_json(&format!("/repos/acme/payments/issues/{n}"))
            .await;
        assert_eq!(v["title"], title);
        assert_eq!(v["state"], "open");
    }
    // Hostile text survives the round trip byte for byte.
    let sql = all
        .iter()
        .find(|i| i["title"] == seed::HOSTILE_SQL_TITLE)
        .expect("SQL title");
    assert!(sql["body"].as_str().unwrap().contains(seed::HOSTILE_SQL));
    assert!(all
        .iter()
        .any(|i| i["title"] == seed::HOSTILE_CONTROL_TITLE));
}

#[tokio::test]
async fn etag_gives_304_without_spending_a_point() {
    let t = T::start(Scale::Small).await;
    let path = "/repos/acme/payments/issues?labels=postmortem&state=all&per_page=10";
    let r = t.get(path).await;
    let etag = header(r.headers(), "etag").unwrap().to_string();
    assert!(etag.starts_with("W/\"") && etag.len() == 68, "{etag}");
    let body = r.bytes().await.unwrap();
    let sha = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(&body))
    };
    assert_eq!(etag, format!("W/\"{sha}\""));
    let spent = t.gh.rate_points_spent();
    let remaining = t.gh.rate_limit_remaining();

    let r = t
        .client
        .get(t.abs(path))
        .bearer_auth(TOKEN)
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(
        header(r.headers(), "x-ratelimit-remaining").unwrap(),
        remaining.to_string()
    );
    assert!(header(r.headers(), "x-ratelimit-reset").is_some());
    assert_eq!(header(r.headers(), "etag"), Some(etag.as_str()));
    assert!(r.bytes().await.unwrap().is_empty());
    assert_eq!(t.gh.rate_points_spent(), spent);
    assert_eq!(t.gh.rate_limit_remaining(), remaining);
    assert!(t.gh.request_log().last().unwrap().not_modified);

    // A change to an issue on the page changes the ETag.
    let first = t.get_json(path).await.2[0]["number"].as_u64().unwrap();
    t.gh.set_title("acme/payments", first, "Renamed by a human");
    let r = t
        .client
        .get(t.abs(path))
        .bearer_auth(TOKEN)
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_ne!(header(r.headers(), "etag").unwrap(), etag);
}

#[tokio::test]
async fn rate_limit_headers_on_every_answer_and_exhaustion_is_a_403() {
    let t = T::with(SandboxOptions {
        rate_limit: 50,
        ..opts(Scale::Empty, 1)
    })
    .await;
    let r = t.get("/repos/acme/nope/issues").await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    for h in [
        "x-ratelimit-limit",
        "x-ratelimit-remaining",
        "x-ratelimit-used",
        "x-ratelimit-reset",
        "x-ratelimit-resource",
    ] {
        assert!(r.headers().get(h).is_some(), "{h} missing on a 404");
    }
    assert_eq!(header(r.headers(), "x-ratelimit-limit"), Some("50"));
    assert_eq!(header(r.headers(), "x-ratelimit-remaining"), Some("49"));
    let reset: i64 = header(r.headers(), "x-ratelimit-reset")
        .unwrap()
        .parse()
        .unwrap();
    assert!(reset > Utc::now().timestamp() && reset <= Utc::now().timestamp() + 3600);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["message"], "Not Found");
    assert_eq!(v["status"], "404");
    assert_eq!(
        v["documentation_url"],
        "https://docs.github.com/rest/issues/issues#list-repository-issues"
    );

    let r = t.get("/no/such/route").await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert!(r.headers().get("x-ratelimit-remaining").is_some());
    assert_eq!(t.gh.requests("GET (unmatched)"), 1);

    t.gh.set_rate_limit_remaining(1);
    assert_eq!(t.get("/repos/acme/payments").await.status(), StatusCode::OK);
    let r = t.get("/repos/acme/payments").await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(header(r.headers(), "x-ratelimit-remaining"), Some("0"));
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["message"], "API rate limit exceeded for user ID 1.");
    // GET /rate_limit is free and still answers.
    let spent = t.gh.rate_points_spent();
    let (status, _, v) = t.get_json("/rate_limit").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["resources"]["core"]["remaining"], 0);
    assert_eq!(v["rate"]["limit"], 50);
    assert_eq!(t.gh.rate_points_spent(), spent);
    t.gh.set_rate_limit_remaining(50);
    assert_eq!(t.get("/repos/acme/payments").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn unknown_token_is_401_and_anonymous_has_its_own_budget() {
    let t = T::start(Scale::Empty).await;
    let r = t
        .client
        .get(t.abs("/repos/acme/payments"))
        .bearer_auth("wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(r.headers().get("x-ratelimit-remaining").is_some());
    let v: Value = r.json().await.unwrap();
    assert_eq!(
        v,
        json!({"message":"Bad credentials","documentation_url":"https://docs.github.com/rest","status":"401"})
    );
    // `token T` works as well as `Bearer T`.
    let r = t
        .client
        .get(t.abs("/user"))
        .header("authorization", "token human-token")
        .send()
        .await
        .unwrap();
    assert_eq!(r.json::<Value>().await.unwrap()["login"], "alice");
    let r = t
        .client
        .get(t.abs("/repos/acme/payments"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(header(r.headers(), "x-ratelimit-limit"), Some("60"));
    assert_eq!(header(r.headers(), "x-ratelimit-remaining"), Some("59"));
    // Anonymous writes need authentication.
    let r = t
        .client
        .post(t.abs("/repos/acme/payments/issues"))
        .json(&json!({"title":"x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(t.gh.issue_numbers("acme/payments").is_empty());
}

#[tokio::test]
async fn transferred_deleted_and_missing_issues() {
    let t = T::start(Scale::Small).await;
    let (from, to) = ("acme/payments", "acme/backup");
    let n = 30;
    let was = t.gh.issue(from, n).unwrap();
    let in_old_list = t.gh.count_listing(from, None, "all");
    let in_new_list = t.gh.count_listing(to, None, "all");
    let new_n = t.gh.transfer_issue(from, n, to);
    assert_eq!(
        t.gh.issue(from, n).unwrap().transferred_to,
        Some((to.to_string(), new_n))
    );

    let r = t
        .client
        .get(t.abs(&format!("/repos/{from}/issues/{n}")))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    // reqwest follows redirects by default; look at the raw answer instead.
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        r.url().path(),
        format!(
            "/repositories/{}/issues/{new_n}",
            t.get_json(&format!("/repos/{to}")).await.2["id"]
        )
    );
    let moved: Value = r.json().await.unwrap();
    assert_eq!(moved["repository_url"], format!("{}/repos/{to}", t.url));
    assert_eq!(moved["title"], was.title.as_str());

    let raw = Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = raw
        .get(t.abs(&format!("/repos/{from}/issues/{n}")))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::MOVED_PERMANENTLY);
    let location = header(r.headers(), "location").unwrap().to_string();
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["message"], "Moved Permanently");
    assert_eq!(v["url"], location.as_str());
    let r = raw
        .post(t.abs(&format!("/repos/{from}/issues/{n}/comments")))
        .bearer_auth(TOKEN)
        .json(&json!({"body":"hi"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::TEMPORARY_REDIRECT, "writes get 307");

    assert_eq!(t.gh.count_listing(from, None, "all"), in_old_list - 1);
    assert_eq!(t.gh.count_listing(to, None, "all"), in_new_list + 1);
    let (old_list, _) = walk(&t, &format!("/repos/{from}/issues?state=all&per_page=100")).await;
    assert!(!old_list.iter().any(|i| i["number"] == n));
    let (new_list, _) = walk(&t, &format!("/repos/{to}/issues?state=all&per_page=100")).await;
    assert!(new_list
        .iter()
        .any(|i| i["number"] == new_n && i["title"] == was.title.as_str()));

    t.gh.delete_issue(to, 3);
    let (status, _, v) = t.get_json(&format!("/repos/{to}/issues/3")).await;
    assert_eq!(status, StatusCode::GONE);
    assert_eq!(
        v,
        json!({"message":"This issue was deleted","documentation_url":"https://docs.github.com/rest/issues/issues#get-an-issue","status":"410"})
    );
    assert!(t.gh.issue(to, 3).unwrap().deleted);
    assert!(!t.gh.issue_numbers(to).contains(&3));

    let (status, _, v) = t.get_json(&format!("/repos/{to}/issues/99999")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(v["message"], "Not Found");
    let (status, _, _) = t.get_json("/repos/acme/nowhere/issues/1").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn label_writes_add_replace_remove() {
    let t = T::start(Scale::Small).await;
    let repo = "acme/platform";
    let n = 9;
    let before = t.gh.issue(repo, n).unwrap();
    let path = format!("/repos/{repo}/issues/{n}/labels");

    let r = t
        .req(Method::POST, &path, Some(json!({"labels": ["Foo", "bAr"]})))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    let names: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["name"].as_str().unwrap())
        .collect();
    for (l, want) in [("Foo", true), ("bAr", true)] {
        assert_eq!(names.contains(&l), want);
    }
    assert_eq!(
        names.len(),
        before.labels.len() + 2,
        "returns all labels of the issue"
    );
    let foo = v
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["name"] == "Foo")
        .unwrap();
    assert_eq!(foo["color"], "ededed");
    assert_eq!(foo["default"], false);
    assert!(t.gh.issue(repo, n).unwrap().updated_at > before.updated_at);

    // A bare array works too and adding an existing label is no change.
    let r = t.req(Method::POST, &path, Some(json!(["foo"]))).await;
    assert_eq!(
        r.json::<Value>().await.unwrap().as_array().unwrap().len(),
        names.len()
    );

    let r = t
        .req(Method::POST, &path, Some(json!({"labels": []})))
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let v: Value = r.json().await.unwrap();
    assert_eq!(
        v["message"],
        "Invalid request.\n\nNo subschema in \"anyOf\" matched."
    );
    assert_eq!(v["status"], "422");
    assert!(v["errors"].is_array());

    let long = "x".repeat(51);
    let r = t
        .req(Method::POST, &path, Some(json!({"labels": [long]})))
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        r.json::<Value>().await.unwrap()["errors"][0]["field"],
        "name"
    );
    let many: Vec<String> = (0..101).map(|i| format!("l{i}")).collect();
    let r = t
        .req(Method::PUT, &path, Some(json!({"labels": many})))
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let r = t
        .req(
            Method::PUT,
            &path,
            Some(json!({"labels": ["risk", "good first issue"]})),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        t.gh.issue(repo, n).unwrap().labels,
        ["good first issue", "risk"]
    );

    let r = t
        .req(
            Method::DELETE,
            &format!("{path}/good%20first%20issue"),
            None,
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v.as_array().unwrap().len(), 1);
    assert_eq!(v[0]["name"], "risk");
    let r = t
        .req(
            Method::DELETE,
            &format!("{path}/good%20first%20issue"),
            None,
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["message"], "Label does not exist");
    assert_eq!(v["status"], "404");

    let r = t.req(Method::PUT, &path, Some(json!({"labels": []}))).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(t.gh.issue(repo, n).unwrap().labels.is_empty());

    // Each change left an event by the token's user.
    let (_, _, ev) = t
        .get_json(&format!("/repos/{repo}/issues/{n}/events?per_page=100"))
        .await;
    let mine: Vec<(&str, &str)> = ev
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["actor"]["login"] == "recur-bot")
        .map(|e| {
            (
                e["event"].as_str().unwrap(),
                e["label"]["name"].as_str().unwrap(),
            )
        })
        .collect();
    assert!(mine.contains(&("labeled", "Foo")));
    assert!(mine.contains(&("unlabeled", "good first issue")));
    assert_eq!(
        t.gh.requests("DELETE /repos/{owner}/{repo}/issues/{number}/labels/{name}"),
        2
    );
    assert_eq!(
        t.gh.requests("POST /repos/{owner}/{repo}/issues/{number}/labels"),
        4
    );
}

#[tokio::test]
async fn comments_paginate_and_can_be_created_and_edited() {
    let t = T::start(Scale::Small).await;
    let repo = seed::CONTRAST_REPO;
    let (all, _) = walk(&t, &format!("/repos/{repo}/issues?state=all&per_page=100")).await;
    let n = all
        .iter()
        .find(|i| i["title"] == seed::MANY_COMMENTS_TITLE)
        .unwrap()["number"]
        .as_u64()
        .unwrap();

    let path = format!("/repos/{repo}/issues/{n}/comments");
    let (_, h, first) = t.get_json(&path).await;
    assert_eq!(first.as_array().unwrap().len(), 30);
    assert_eq!(rels(&h), ["next", "last"]);
    assert!(next_link(&h)
        .unwrap()
        .contains(&format!("/issues/{n}/comments?page=2")));
    let (comments, pages) = walk(&t, &path).await;
    assert_eq!(pages, 2);
    assert_eq!(comments.len(), seed::MANY_COMMENTS);
    let ids: Vec<u64> = comments.iter().map(|c| c["id"].as_u64().unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "ascending by id");

    let before = t.gh.issue(repo, n).unwrap();
    let r = t
        .req(
            Method::POST,
            &path,
            Some(json!({"body": "<!-- recur:v1 -->\nStatus: on track"})),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let c: Value = r.json().await.unwrap();
    assert_eq!(c["user"]["login"], "recur-bot");
    for key in [
        "id",
        "node_id",
        "url",
        "html_url",
        "body",
        "user",
        "created_at",
        "updated_at",
        "issue_url",
        "author_association",
        "performed_via_github_app",
        "reactions",
    ] {
        assert!(c.get(key).is_some(), "comment lacks {key}");
    }
    let id = c["id"].as_u64().unwrap();
    let after = t.gh.issue(repo, n).unwrap();
    assert_eq!(after.comments.len(), before.comments.len() + 1);
    assert!(after.updated_at >= before.updated_at);
    let (_, _, issue) = t.get_json(&format!("/repos/{repo}/issues/{n}")).await;
    assert_eq!(issue["comments"], seed::MANY_COMMENTS as u64 + 1);

    let r = t
        .req(
            Method::PATCH,
            &format!("/repos/{repo}/issues/comments/{id}"),
            Some(json!({"body": "edited"})),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.json::<Value>().await.unwrap()["body"], "edited");
    assert_eq!(
        t.gh.issue(repo, n).unwrap().comments.last().unwrap().body,
        "edited"
    );
    let (_, _, single) = t
        .get_json(&format!("/repos/{repo}/issues/comments/{id}"))
        .await;
    assert_eq!(single["body"], "edited");
    let (status, _, _) = t
        .get_json(&format!("/repos/acme/backup/issues/comments/{id}"))
        .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "comments are scoped to their repository"
    );

    // Repository-wide listing with `since` finds the fresh comment.
    let since = after.updated_at.format("%Y-%m-%dT%H:%M:%SZ");
    let (_, _, recent) = t
        .get_json(&format!("/repos/{repo}/issues/comments?since={since}"))
        .await;
    assert!(recent.as_array().unwrap().iter().any(|c| c["id"] == id));

    let big = "x".repeat(65_537);
    let r = t.req(Method::POST, &path, Some(json!({"body": big}))).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // The timeline shows comments among the events.
    let (_, _, tl) = t
        .get_json(&format!("/repos/{repo}/issues/{n}/timeline?per_page=100"))
        .await;
    assert!(tl
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["event"] == "commented" && e["id"] == id));
    assert_eq!(
        t.gh.requests("POST /repos/{owner}/{repo}/issues/{number}/comments"),
        2
    );
    assert_eq!(
        t.gh.requests("PATCH /repos/{owner}/{repo}/issues/comments/{id}"),
        1
    );
}

#[tokio::test]
async fn handle_edits_record_events_like_a_human() {
    let t = T::start(Scale::Empty).await;
    let repo = "acme/backup";
    let n = t.gh.create_issue(
        repo,
        NewIssue {
            title: "Restore drill".into(),
            body: "### Owner\n\n@bob\n\n".into(),
            labels: vec!["postmortem".into()],
            assignee: Some("bob".into()),
            ..NewIssue::default()
        },
    );
    t.gh.set_title(repo, n, "Restore drill, monthly");
    t.gh.add_label(repo, n, "risk");
    t.gh.remove_label(repo, n, "postmortem");
    t.gh.remove_label(repo, n, "never-there");
    t.gh.close(repo, n, "not_planned");
    let s = t.gh.issue(repo, n).unwrap();
    assert_eq!(
        (s.state.as_str(), s.state_reason.as_deref()),
        ("closed", Some("not_planned"))
    );
    t.gh.reopen(repo, n);
    let c = t.gh.add_comment(repo, n, "carol", "Still needed.");
    let s = t.gh.issue(repo, n).unwrap();
    assert_eq!(s.state_reason.as_deref(), Some("reopened"));
    assert_eq!(s.labels, ["risk"]);
    assert_eq!(s.assignees, ["bob"]);
    assert_eq!(s.comments[0].id, c);
    assert_eq!(s.comments[0].user, "carol");

    let (_, _, ev) = t
        .get_json(&format!("/repos/{repo}/issues/{n}/events"))
        .await;
    let kinds: Vec<&str> = ev
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "labeled",
            "renamed",
            "labeled",
            "unlabeled",
            "closed",
            "reopened"
        ]
    );
    assert!(ev.as_array().unwrap()[1..]
        .iter()
        .all(|e| e["actor"]["login"] == "alice"));
    assert_eq!(
        ev[1]["rename"],
        json!({"from": "Restore drill", "to": "Restore drill, monthly"})
    );
    assert_eq!(ev[4]["state_reason"], "not_planned");

    let pr = t.gh.create_issue(
        repo,
        NewIssue {
            title: "Fix".into(),
            pull_request: true,
            state_closed: Some("completed"),
            ..NewIssue::default()
        },
    );
    let (_, _, v) = t.get_json(&format!("/repos/{repo}/issues/{pr}")).await;
    assert!(v["pull_request"].is_object());
    assert_eq!(v["state"], "closed");
    // Writing to a repository that does not exist yet creates it.
    t.gh.create_issue(
        "acme/new-repo",
        NewIssue {
            title: "first".into(),
            ..NewIssue::default()
        },
    );
    assert!(t.gh.repos().contains(&"acme/new-repo".to_string()));
}

#[tokio::test]
async fn issues_can_be_created_and_updated_over_http() {
    let t = T::start(Scale::Empty).await;
    let repo = "acme/platform";
    let r = t
        .req(
            Method::POST,
            &format!("/repos/{repo}/issues"),
            Some(json!({"title": "New", "body": "b", "labels": ["incident"]})),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    assert!(header(r.headers(), "location")
        .unwrap()
        .ends_with(&format!("/repos/{repo}/issues/1")));
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["user"]["login"], "recur-bot");
    let r = t
        .req(
            Method::PATCH,
            &format!("/repos/{repo}/issues/1"),
            Some(json!({"state": "closed", "state_reason": "not_planned", "title": "Old"})),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    assert_eq!(
        (
            v["state"].as_str(),
            v["state_reason"].as_str(),
            v["title"].as_str()
        ),
        (Some("closed"), Some("not_planned"), Some("Old"))
    );
    assert!(v["closed_at"].is_string());
    let r = t
        .req(
            Method::PATCH,
            &format!("/repos/{repo}/issues/1"),
            Some(json!({"state": "sideways"})),
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = t
        .req(
            Method::POST,
            &format!("/repos/{repo}/issues"),
            Some(json!({"body": "no title"})),
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = t
        .client
        .post(t.abs(&format!("/repos/{repo}/issues")))
        .bearer_auth(TOKEN)
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn org_repos_page_with_links() {
    let t = T::start(Scale::Small).await;
    let (status, h, v) = t.get_json("/orgs/acme/repos?type=all&per_page=2").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v.as_array().unwrap().len(), 2);
    let next = next_link(&h).unwrap();
    assert!(
        next.contains("/organizations/") && next.contains("type=all&per_page=2&page=2"),
        "{next}"
    );
    let (all, pages) = walk(&t, "/orgs/acme/repos?per_page=2").await;
    assert_eq!(pages, 2);
    let mut names: Vec<String> = all
        .iter()
        .map(|r| r["full_name"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    let mut want = t.gh.repos();
    want.sort();
    assert_eq!(names, want);
    assert!(all
        .iter()
        .all(|r| r["has_issues"] == true && r["owner"]["login"] == "acme"));
    assert_eq!(
        t.get_json("/orgs/nobody/repos").await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(t.gh.requests("GET /orgs/{org}/repos"), 4);
}

async fn fault_once(t: &T, fault: Fault) -> Result<Response, reqwest::Error> {
    t.gh.push_fault(FaultRule {
        route: Some("/issues".into()),
        fault,
        times: 1,
    });
    t.client
        .get(t.abs("/repos/acme/payments/issues?state=all&per_page=50"))
        .bearer_auth(TOKEN)
        .send()
        .await
}

#[tokio::test]
async fn every_fault_kind_does_what_it_says() {
    let t = T::start(Scale::Small).await;
    let remaining = t.gh.rate_limit_remaining();

    let r = fault_once(
        &t,
        Fault::SecondaryLimit {
            status: 429,
            retry_after: Some(7),
        },
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(header(r.headers(), "retry-after"), Some("7"));
    let left: i64 = header(r.headers(), "x-ratelimit-remaining")
        .unwrap()
        .parse()
        .unwrap();
    assert!(left > 0);
    assert!(r.json::<Value>().await.unwrap()["message"]
        .as_str()
        .unwrap()
        .contains("secondary rate limit"));
    let r = fault_once(
        &t,
        Fault::SecondaryLimit {
            status: 403,
            retry_after: None,
        },
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(r.headers().get("retry-after").is_none());

    let r = fault_once(&t, Fault::PrimaryExhausted { reset_in_secs: 120 })
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(header(r.headers(), "x-ratelimit-remaining"), Some("0"));
    let reset: i64 = header(r.headers(), "x-ratelimit-reset")
        .unwrap()
        .parse()
        .unwrap();
    assert!((reset - Utc::now().timestamp() - 120).abs() <= 2);
    assert_eq!(
        r.json::<Value>().await.unwrap()["message"],
        "API rate limit exceeded for user ID 1."
    );

    let r = fault_once(&t, Fault::ServerError { status: 502 })
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_GATEWAY);
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        json!({"message": "Server Error"})
    );

    let e = fault_once(&t, Fault::ConnectionReset).await.unwrap_err();
    assert!(e.is_request() || e.is_connect(), "transport error: {e:?}");

    let r = fault_once(&t, Fault::TruncatedBody).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let promised: usize = header(r.headers(), "content-length")
        .unwrap()
        .parse()
        .unwrap();
    assert!(promised > 1000);
    let e = r.bytes().await.unwrap_err();
    assert!(
        e.is_body() || e.is_decode() || e.is_request(),
        "body error: {e:?}"
    );

    let r = fault_once(&t, Fault::MalformedJson).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let len: usize = header(r.headers(), "content-length")
        .unwrap()
        .parse()
        .unwrap();
    let body = r.bytes().await.unwrap();
    assert_eq!(body.len(), len);
    assert!(serde_json::from_slice::<Value>(&body).is_err());

    let r = fault_once(&t, Fault::HtmlError { status: 503 })
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(header(r.headers(), "content-type")
        .unwrap()
        .starts_with("text/html"));
    assert!(r.text().await.unwrap().contains("<html>"));

    let started = Instant::now();
    let r = fault_once(&t, Fault::Stall { millis: 300 }).await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        r.json::<Value>().await.unwrap().as_array().unwrap().len(),
        50
    );

    let r = fault_once(&t, Fault::Unauthorized).await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        r.json::<Value>().await.unwrap()["message"],
        "Bad credentials"
    );

    // Faults are counted and logged; only the stall spent a point.
    let log = t.gh.request_log();
    let faults: Vec<(Option<&str>, u16)> =
        log.iter().map(|r| (r.fault.as_deref(), r.status)).collect();
    assert_eq!(
        faults,
        [
            (Some("SecondaryLimit"), 429),
            (Some("SecondaryLimit"), 403),
            (Some("PrimaryExhausted"), 403),
            (Some("ServerError"), 502),
            (Some("ConnectionReset"), 0),
            (Some("TruncatedBody"), 200),
            (Some("MalformedJson"), 200),
            (Some("HtmlError"), 503),
            (Some("Stall"), 200),
            (Some("Unauthorized"), 401),
        ]
    );
    assert_eq!(t.gh.requests("GET /repos/{owner}/{repo}/issues"), 10);
    assert_eq!(t.gh.rate_limit_remaining(), remaining - 1);

    // The scripted list is used up; the next request is normal.
    assert_eq!(
        t.get("/repos/acme/payments/issues").await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_faulted_write_changes_nothing_and_route_filters_apply() {
    let t = T::start(Scale::Small).await;
    let repo = "acme/backup";
    let before = t.gh.issue(repo, 2).unwrap();
    t.gh.push_fault(FaultRule {
        route: Some("/comments".into()),
        fault: Fault::ServerError { status: 500 },
        times: 2,
    });
    // Not matching the filter: answered normally.
    assert_eq!(
        t.get(&format!("/repos/{repo}/issues/2")).await.status(),
        StatusCode::OK
    );
    for _ in 0..2 {
        let r = t
            .req(
                Method::POST,
                &format!("/repos/{repo}/issues/2/comments"),
                Some(json!({"body": "dup?"})),
            )
            .await;
        assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR);
    }
    assert_eq!(t.gh.issue(repo, 2).unwrap(), before);
    let r = t
        .req(
            Method::POST,
            &format!("/repos/{repo}/issues/2/comments"),
            Some(json!({"body": "once"})),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(
        t.gh.issue(repo, 2).unwrap().comments.len(),
        before.comments.len() + 1
    );

    // Random faults: deterministic for a seed, cleared on demand.
    let run = |seed: u64| {
        let t = &t;
        async move {
            t.gh.set_random_faults(0.5, vec![Fault::ServerError { status: 503 }], seed);
            let mut statuses = Vec::new();
            for _ in 0..20 {
                statuses.push(t.get("/rate_limit").await.status().as_u16());
            }
            t.gh.clear_faults();
            statuses
        }
    };
    let a = run(3).await;
    assert_eq!(a, run(3).await);
    assert!(a.contains(&503) && a.contains(&200), "{a:?}");
    assert_eq!(t.get("/rate_limit").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn same_seed_same_bytes() {
    let first_page = |seed: u64| async move {
        let t = T::with(opts(Scale::Small, seed)).await;
        let r = t
            .get("/repos/acme/payments/issues?state=all&per_page=100&page=2")
            .await;
        let body = r.text().await.unwrap();
        let out = body.replace(&t.url, "http://sandbox");
        t.sb.shutdown().await;
        out
    };
    let a = first_page(11).await;
    assert_eq!(a, first_page(11).await);
    assert_ne!(a, first_page(12).await);
    assert!(a.len() > 100_000, "a full page of issues");
}

#[tokio::test]
async fn demo_scale_has_six_repos_about_3000_issues_and_a_1mb_body() {
    let t = T::start(Scale::Demo).await;
    assert_eq!(t.gh.repos(), seed::DEMO_REPOS);
    let total: usize = seed::DEMO_REPOS
        .iter()
        .map(|r| t.gh.count_listing(r, None, "all"))
        .sum();
    assert!((2800..=3200).contains(&total), "{total}");
    let tracked: usize = seed::DEMO_REPOS
        .iter()
        .flat_map(|r| seed::TRACKED_LABELS.iter().map(move |l| (r, l)))
        .map(|(r, l)| t.gh.count_listing(r, Some(l), "all"))
        .sum();
    assert!(tracked > total / 4, "{tracked} tracked entries");
    let mut reasons = BTreeSet::new();
    for repo in seed::DEMO_REPOS {
        for n in t.gh.issue_numbers(repo) {
            reasons.extend(t.gh.issue(repo, n).unwrap().state_reason);
        }
    }
    let want = ["completed", "duplicate", "not_planned", "reopened"].map(String::from);
    assert_eq!(
        reasons,
        BTreeSet::from(want),
        "state reasons incl. one newer than most clients"
    );
    let (all, _) = walk(
        &t,
        "/repos/acme/payments/issues?labels=postmortem&state=all&per_page=100",
    )
    .await;
    let big = all
        .iter()
        .find(|i| i["title"] == seed::BIG_BODY_TITLE)
        .expect("huge body issue");
    assert!(big["body"].as_str().unwrap().len() >= seed::BIG_BODY_BYTES_DEMO);
}

#[tokio::test]
async fn bench_scale_serves_every_label_page() {
    let issues = 20_000;
    let started = Instant::now();
    let t = T::with(SandboxOptions {
        anchor: anchor(),
        ..SandboxOptions::bench(issues)
    })
    .await;
    let generated = started.elapsed();
    assert_eq!(t.gh.repos(), seed::bench_repos());
    let total: usize =
        t.gh.repos()
            .iter()
            .map(|r| t.gh.count_listing(r, None, "all"))
            .sum();
    assert_eq!(total, issues);
    let started = Instant::now();
    let mut entries = 0;
    let mut want = 0;
    for repo in t.gh.repos() {
        for label in seed::TRACKED_LABELS {
            want += t.gh.count_listing(&repo, Some(label), "all");
            let (all, _) = walk(
                &t,
                &format!("/repos/{repo}/issues?labels={label}&state=all&sort=created&direction=asc&per_page=100"),
            )
            .await;
            entries += all.len();
        }
    }
    assert_eq!(entries, want);
    let secs = started.elapsed().as_secs_f64();
    // A figure, not a pass/fail: debug builds are slow.
    println!(
        "bench {issues}: generated in {:.2}s, {entries} label entries served and parsed in {secs:.2}s ({:.0}/s)",
        generated.as_secs_f64(),
        entries as f64 / secs
    );
}

#[tokio::test]
async fn shutdown_stops_the_server() {
    let t = T::start(Scale::Empty).await;
    assert_eq!(t.get("/rate_limit").await.status(), StatusCode::OK);
    let url = t.url.clone();
    t.sb.shutdown().await;
    let e = Client::new()
        .get(format!("{url}/rate_limit"))
        .send()
        .await
        .unwrap_err();
    assert!(e.is_connect() || e.is_request(), "{e:?}");
}
