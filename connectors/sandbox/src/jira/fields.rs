//! Jira's fields: the system fields (as `GET /field` lists them, in the
//! order an issue carries them) and which fields an answer carries
//! (`fields=` of search and get issue: `*all`, `*navigable`, exclusions,
//! ids).

/// A system field as `GET /field` lists it.
pub(crate) struct SystemField {
    pub id: &'static str,
    pub name: &'static str,
    /// Schema type; `-` for none.
    pub kind: &'static str,
    pub items: Option<&'static str>,
    pub navigable: bool,
    pub orderable: bool,
    pub searchable: bool,
    pub clauses: &'static [&'static str],
}

const fn sf(
    id: &'static str,
    name: &'static str,
    kind: &'static str,
    items: Option<&'static str>,
    navigable: bool,
    clauses: &'static [&'static str],
) -> SystemField {
    SystemField {
        id,
        name,
        kind,
        items,
        navigable,
        orderable: navigable,
        searchable: !clauses.is_empty(),
        clauses,
    }
}

/// The system fields, in the order Jira writes them in an issue.
pub(crate) const SYSTEM_FIELDS: [SystemField; 38] = [
    sf(
        "statuscategorychangedate",
        "Status Category Changed",
        "datetime",
        None,
        true,
        &["statusCategoryChangedDate"],
    ),
    sf(
        "issuetype",
        "Issue Type",
        "issuetype",
        None,
        true,
        &["issuetype", "type"],
    ),
    sf("parent", "Parent", "-", None, true, &["parent"]),
    sf(
        "timespent",
        "Time Spent",
        "number",
        None,
        true,
        &["timespent"],
    ),
    sf("project", "Project", "project", None, true, &["project"]),
    sf(
        "fixVersions",
        "Fix versions",
        "array",
        Some("version"),
        true,
        &["fixVersion"],
    ),
    sf(
        "aggregatetimespent",
        "Σ Time Spent",
        "number",
        None,
        true,
        &[],
    ),
    sf(
        "resolution",
        "Resolution",
        "resolution",
        None,
        true,
        &["resolution"],
    ),
    sf(
        "resolutiondate",
        "Resolved",
        "datetime",
        None,
        true,
        &["resolutiondate", "resolved"],
    ),
    sf(
        "workratio",
        "Work Ratio",
        "number",
        None,
        true,
        &["workratio"],
    ),
    sf("watches", "Watchers", "watches", None, true, &["watchers"]),
    sf(
        "lastViewed",
        "Last Viewed",
        "datetime",
        None,
        true,
        &["lastViewed"],
    ),
    sf(
        "created",
        "Created",
        "datetime",
        None,
        true,
        &["created", "createdDate"],
    ),
    sf(
        "priority",
        "Priority",
        "priority",
        None,
        true,
        &["priority"],
    ),
    sf(
        "labels",
        "Labels",
        "array",
        Some("string"),
        true,
        &["labels"],
    ),
    sf(
        "timeestimate",
        "Remaining Estimate",
        "number",
        None,
        true,
        &["remainingEstimate", "timeestimate"],
    ),
    sf(
        "aggregatetimeoriginalestimate",
        "Σ Original Estimate",
        "number",
        None,
        true,
        &[],
    ),
    sf(
        "versions",
        "Affects versions",
        "array",
        Some("version"),
        true,
        &["affectedVersion"],
    ),
    sf(
        "issuelinks",
        "Linked Issues",
        "array",
        Some("issuelinks"),
        true,
        &["issueLink"],
    ),
    sf("assignee", "Assignee", "user", None, true, &["assignee"]),
    sf(
        "updated",
        "Updated",
        "datetime",
        None,
        true,
        &["updated", "updatedDate"],
    ),
    sf("status", "Status", "status", None, true, &["status"]),
    sf(
        "components",
        "Components",
        "array",
        Some("component"),
        true,
        &["component"],
    ),
    sf(
        "timeoriginalestimate",
        "Original estimate",
        "number",
        None,
        true,
        &["originalEstimate", "timeoriginalestimate"],
    ),
    sf(
        "description",
        "Description",
        "string",
        None,
        true,
        &["description"],
    ),
    sf(
        "timetracking",
        "Time tracking",
        "timetracking",
        None,
        false,
        &[],
    ),
    sf(
        "security",
        "Security Level",
        "securitylevel",
        None,
        true,
        &["level"],
    ),
    sf(
        "aggregatetimeestimate",
        "Σ Remaining Estimate",
        "number",
        None,
        true,
        &[],
    ),
    sf(
        "attachment",
        "Attachment",
        "array",
        Some("attachment"),
        true,
        &["attachments"],
    ),
    sf("summary", "Summary", "string", None, true, &["summary"]),
    sf("creator", "Creator", "user", None, true, &["creator"]),
    sf(
        "subtasks",
        "Sub-tasks",
        "array",
        Some("issuelinks"),
        true,
        &["subtasks"],
    ),
    sf("reporter", "Reporter", "user", None, true, &["reporter"]),
    sf(
        "environment",
        "Environment",
        "string",
        None,
        true,
        &["environment"],
    ),
    sf(
        "duedate",
        "Due date",
        "date",
        None,
        true,
        &["due", "duedate"],
    ),
    sf("votes", "Votes", "votes", None, true, &["votes"]),
    sf(
        "comment",
        "Comment",
        "comments-page",
        None,
        false,
        &["comment"],
    ),
    sf(
        "worklog",
        "Log Work",
        "array",
        Some("worklog"),
        false,
        &["worklogAuthor", "worklogComment", "worklogDate"],
    ),
];

/// Which fields an answer carries (`fields=` of search and get issue).
#[derive(Debug, Clone, Default)]
pub(crate) struct Sel {
    all: bool,
    navigable: bool,
    include: Vec<String>,
    exclude: Vec<String>,
    /// Only `{"id": …}` per issue (the v3 search default).
    pub id_only: bool,
    /// `id`, `self`, `key` and no `fields`.
    pub key_only: bool,
}

/// What an empty `fields` means.
#[derive(Debug, Clone, Copy)]
pub(crate) enum SelDefault {
    IdOnly,
    Navigable,
    All,
}

impl Sel {
    /// Reads `fields` items (each may be a comma list): `*all`,
    /// `*navigable`, `-field` exclusions, `id`, `key`, field ids. Unknown
    /// ids are ignored, as Jira does.
    pub(crate) fn parse<S: AsRef<str>>(items: &[S], default: SelDefault) -> Sel {
        let mut s = Sel::default();
        let mut any = false;
        let mut key = false;
        for item in items {
            for f in item
                .as_ref()
                .split(',')
                .map(str::trim)
                .filter(|f| !f.is_empty())
            {
                any = true;
                match f {
                    "*all" => s.all = true,
                    "*navigable" => s.navigable = true,
                    "id" => {}
                    "key" => key = true,
                    _ => match f.strip_prefix('-') {
                        Some(x) => s.exclude.push(x.to_lowercase()),
                        None => s.include.push(f.to_lowercase()),
                    },
                }
            }
        }
        if !any {
            match default {
                SelDefault::IdOnly => s.id_only = true,
                SelDefault::Navigable => s.navigable = true,
                SelDefault::All => s.all = true,
            }
            return s;
        }
        if !s.all && !s.navigable && s.include.is_empty() {
            if key {
                s.key_only = true;
            } else if s.exclude.is_empty() {
                s.id_only = true;
            } else {
                // Only exclusions: the navigable fields minus those.
                s.navigable = true;
            }
        }
        s
    }

    /// Whether field `id` (navigable or not) is in the answer.
    pub(crate) fn wants(&self, id: &str, navigable: bool) -> bool {
        let lid = id.to_lowercase();
        if self.exclude.contains(&lid) {
            return false;
        }
        self.all || (self.navigable && navigable) || self.include.contains(&lid)
    }

    /// How many fields were named (a star counts as many), for page sizing.
    pub(crate) fn weight(&self) -> usize {
        if self.all || self.navigable {
            usize::MAX
        } else {
            self.include.len()
        }
    }

    /// Only ids or keys were asked for.
    pub(crate) fn ids_only(&self) -> bool {
        self.id_only || self.key_only
    }
}
