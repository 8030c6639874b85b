//! JSON shapes of the fake Jira, after the recorded responses in
//! `connectors/jira/tests/fixtures`: issues (with the fields `fields`
//! selects), users, statuses, comments, histories, the field and
//! issue-type lists, and error bodies.
//!
//! One renderer serves both flavours: on REST v3 (Cloud) rich text is ADF
//! and users carry `accountId`; on REST v2 (Data Center) rich text is a
//! plain string and users carry `name` and `key`.

use serde_json::{json, Map, Value};

use super::adf;
use super::catalog::{self, CfKind, CUSTOM_FIELDS, ISSUE_TYPES, LINK_TYPES, PRIORITIES, STATUSES};
use super::clock::time;
use super::fields::{Sel, SYSTEM_FIELDS};
use super::state::{self, CfVal, Issue, World};

/// `{"errorMessages": [...], "errors": {...}}`.
pub(crate) fn errors(messages: &[String], fields: &[(String, String)]) -> Vec<u8> {
    let errs: Map<String, Value> = fields
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    serde_json::to_vec(&json!({"errorMessages": messages, "errors": errs})).unwrap_or_default()
}

/// What rendering needs besides the world.
pub(crate) struct Ctx<'a> {
    pub w: &'a World,
    /// `http://127.0.0.1:PORT`.
    pub base: &'a str,
    /// REST v3 (Cloud shapes) rather than v2 (Data Center shapes).
    pub v3: bool,
}

impl Ctx<'_> {
    fn api(&self) -> String {
        format!("{}/rest/api/{}", self.base, if self.v3 { 3 } else { 2 })
    }

    /// ADF on v3, plain text on v2.
    pub(crate) fn rich(&self, doc: &Value) -> Value {
        if self.v3 {
            doc.clone()
        } else {
            Value::String(adf::to_text(doc))
        }
    }

    pub(crate) fn user(&self, u: u32) -> Value {
        let user = &self.w.users[u as usize];
        let avatar = |size: u32| {
            format!(
                "{}/secure/useravatar?size={size}&ownerId={}",
                self.base, user.account_id
            )
        };
        let avatars = json!({
            "48x48": avatar(48), "24x24": avatar(24), "16x16": avatar(16), "32x32": avatar(32)
        });
        if self.v3 {
            json!({
                "self": format!("{}/user?accountId={}", self.api(), user.account_id),
                "accountId": user.account_id,
                "emailAddress": user.email,
                "avatarUrls": avatars,
                "displayName": user.display,
                "active": true,
                "timeZone": super::USER_TIMEZONE,
                "accountType": "atlassian"
            })
        } else {
            json!({
                "self": format!("{}/user?username={}", self.api(), user.login),
                "name": user.login,
                "key": user.dc_key,
                "emailAddress": user.email,
                "avatarUrls": avatars,
                "displayName": user.display,
                "active": true,
                "timeZone": super::USER_TIMEZONE
            })
        }
    }

    pub(crate) fn status(&self, s: u8) -> Value {
        let st = &STATUSES[s as usize];
        json!({
            "self": format!("{}/status/{}", self.api(), st.id),
            "description": "",
            "iconUrl": format!("{}/", self.base),
            "name": st.name,
            "id": st.id,
            "statusCategory": {
                "self": format!("{}/statuscategory/{}", self.api(), st.cat.id()),
                "id": st.cat.id(),
                "key": st.cat.key(),
                "colorName": st.cat.color(),
                "name": st.cat.name()
            }
        })
    }

    pub(crate) fn issue_type(&self, t: u8) -> Value {
        let ty = &ISSUE_TYPES[t as usize];
        json!({
            "self": format!("{}/issuetype/{}", self.api(), ty.id),
            "id": ty.id,
            "description": ty.description,
            "iconUrl": format!("{}/images/icons/issuetypes/{}.svg", self.base, ty.icon),
            "name": ty.name,
            "subtask": false,
            "avatarId": 10300 + t as u32,
            "hierarchyLevel": ty.hierarchy
        })
    }

    pub(crate) fn priority(&self, p: u8) -> Value {
        let (id, name, icon) = PRIORITIES[p as usize];
        json!({
            "self": format!("{}/priority/{id}", self.api()),
            "iconUrl": format!("{}/images/icons/priorities/{icon}.svg", self.base),
            "name": name,
            "id": id
        })
    }

    pub(crate) fn project(&self, p: u32) -> Value {
        let pr = &self.w.projects[p as usize];
        let avatar = |size: &str| {
            format!(
                "{}/rest/api/3/universal_avatar/view/type/project/avatar/10425{size}",
                self.base
            )
        };
        json!({
            "self": format!("{}/project/{}", self.api(), pr.id),
            "id": pr.id.to_string(),
            "key": pr.key,
            "name": pr.name,
            "projectTypeKey": "software",
            "simplified": false,
            "avatarUrls": {
                "48x48": avatar(""),
                "24x24": avatar("?size=small"),
                "16x16": avatar("?size=xsmall"),
                "32x32": avatar("?size=medium")
            }
        })
    }

    fn resolution(&self, name: &str) -> Value {
        let id = catalog::resolution_id(name);
        json!({
            "self": format!("{}/resolution/{id}", self.api()),
            "id": id,
            "description": catalog::resolution_description(name),
            "name": name
        })
    }

    fn issue_self(&self, issue: &Issue) -> String {
        format!("{}/issue/{}", self.api(), issue.id)
    }

    fn links(&self, i: u32) -> Value {
        let issue = &self.w.issues[i as usize];
        let mut out = Vec::new();
        for l in &issue.links {
            let link = &self.w.links[*l as usize];
            let (side, other) = if link.outward == i {
                ("outwardIssue", link.inward)
            } else {
                ("inwardIssue", link.outward)
            };
            let o = &self.w.issues[other as usize];
            if o.deleted {
                continue;
            }
            let (tid, name, inward, outward) = LINK_TYPES[link.ltype as usize];
            let mut entry = json!({
                "id": link.id.to_string(),
                "self": format!("{}/issueLink/{}", self.api(), link.id),
                "type": {
                    "id": tid,
                    "name": name,
                    "inward": inward,
                    "outward": outward,
                    "self": format!("{}/issueLinkType/{tid}", self.api())
                }
            });
            entry[side] = json!({
                "id": o.id.to_string(),
                "key": self.w.key_of(other),
                "self": self.issue_self(o),
                "fields": {
                    "summary": o.summary,
                    "status": self.status(o.status),
                    "priority": self.priority(o.priority),
                    "issuetype": self.issue_type(o.itype)
                }
            });
            out.push(entry);
        }
        Value::Array(out)
    }

    pub(crate) fn custom_value(&self, ix: u16, v: &CfVal) -> Value {
        match v {
            CfVal::Text(s) => Value::String(s.clone()),
            CfVal::Select(s) => {
                let id = self.w.find_option_id(ix, s).unwrap_or(0);
                json!({
                    "self": format!("{}/customFieldOption/{id}", self.api()),
                    "value": s,
                    "id": id.to_string()
                })
            }
            CfVal::User(u) => self.user(*u),
            CfVal::Date(d) => Value::String(d.format("%Y-%m-%d").to_string()),
            CfVal::DateTime(ms) => Value::String(time(*ms)),
            CfVal::Number(n) => json!(n),
            CfVal::Adf(doc) => self.rich(doc),
        }
    }

    pub(crate) fn comment(&self, i: u32, c: u32, with_properties: bool) -> Value {
        let issue = &self.w.issues[i as usize];
        let cm = &issue.comments[c as usize];
        let mut v = json!({
            "self": format!("{}/comment/{}", self.issue_self(issue), cm.id),
            "id": cm.id.to_string(),
            "author": self.user(cm.author),
            "body": self.rich(&cm.body),
            "updateAuthor": self.user(cm.update_author),
            "created": time(cm.created),
            "updated": time(cm.updated)
        });
        if self.v3 {
            v["jsdPublic"] = Value::Bool(true);
        }
        if with_properties {
            v["properties"] = cm
                .properties
                .iter()
                .map(|(k, val)| json!({"key": k, "value": val}))
                .collect();
        }
        v
    }

    pub(crate) fn history(&self, h: &state::History) -> Value {
        json!({
            "id": h.id.to_string(),
            "author": self.user(h.author),
            "created": time(h.created),
            "items": h.items.iter().map(|it| {
                let mut m = json!({"field": it.field, "fieldtype": it.fieldtype});
                if let Some(id) = &it.field_id {
                    m["fieldId"] = Value::String(id.clone());
                }
                m["from"] = json!(it.from);
                m["fromString"] = json!(it.from_string);
                m["to"] = json!(it.to);
                m["toString"] = json!(it.to_string);
                m
            }).collect::<Vec<_>>()
        })
    }

    fn system_value(&self, i: u32, id: &str) -> Option<Value> {
        let issue = &self.w.issues[i as usize];
        let key = self.w.key_of(i);
        Some(match id {
            "statuscategorychangedate" => Value::String(time(issue.status_changed)),
            "issuetype" => self.issue_type(issue.itype),
            "timespent"
            | "aggregatetimespent"
            | "timeestimate"
            | "timeoriginalestimate"
            | "aggregatetimeestimate"
            | "aggregatetimeoriginalestimate"
            | "lastViewed"
            | "security"
            | "environment" => Value::Null,
            "project" => self.project(issue.project),
            "fixVersions" | "versions" | "components" | "attachment" | "subtasks" => json!([]),
            "resolution" => issue
                .resolution
                .as_deref()
                .map_or(Value::Null, |r| self.resolution(r)),
            "resolutiondate" => issue
                .resolved
                .map_or(Value::Null, |t| Value::String(time(t))),
            "workratio" => json!(-1),
            "watches" => json!({
                "self": format!("{}/issue/{key}/watchers", self.api()),
                "watchCount": 1,
                "isWatching": false
            }),
            "created" => Value::String(time(issue.created)),
            "updated" => Value::String(time(issue.updated)),
            "priority" => self.priority(issue.priority),
            "labels" => json!(issue.labels),
            "issuelinks" => self.links(i),
            "assignee" => issue.assignee.map_or(Value::Null, |u| self.user(u)),
            "reporter" => self.user(issue.reporter),
            "creator" => self.user(issue.reporter),
            "status" => self.status(issue.status),
            "timetracking" => json!({}),
            "description" => issue
                .description
                .as_ref()
                .map_or(Value::Null, |d| self.rich(d)),
            "summary" => Value::String(issue.summary.clone()),
            "duedate" => issue.duedate.map_or(Value::Null, |d| {
                Value::String(d.format("%Y-%m-%d").to_string())
            }),
            "votes" => json!({
                "self": format!("{}/issue/{key}/votes", self.api()),
                "votes": 0,
                "hasVoted": false
            }),
            "progress" | "aggregateprogress" => json!({"progress": 0, "total": 0}),
            "comment" => {
                let n = issue.comments.len();
                json!({
                    "comments": (0..n as u32).map(|c| self.comment(i, c, false)).collect::<Vec<_>>(),
                    "self": format!("{}/comment", self.issue_self(issue)),
                    "maxResults": n,
                    "total": n,
                    "startAt": 0
                })
            }
            "worklog" => json!({"startAt": 0, "maxResults": 20, "total": 0, "worklogs": []}),
            // No parent: Jira leaves the key out.
            _ => return None,
        })
    }

    /// One issue as selected by `sel`, with `changelog` embedded when asked
    /// (at most [`EMBEDDED_HISTORIES`], the most recent).
    pub(crate) fn issue(&self, i: u32, sel: &Sel, changelog: bool) -> Value {
        let issue = &self.w.issues[i as usize];
        let id = issue.id.to_string();
        if sel.id_only {
            return json!({"id": id});
        }
        let mut v = json!({
            "expand": "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations",
            "id": id,
            "self": self.issue_self(issue),
            "key": self.w.key_of(i)
        });
        let mut fields = Map::new();
        for f in SYSTEM_FIELDS {
            if sel.wants(f.id, f.navigable) {
                if let Some(val) = self.system_value(i, f.id) {
                    fields.insert(f.id.to_string(), val);
                }
            }
        }
        for (ix, (num, _, _)) in CUSTOM_FIELDS.iter().enumerate() {
            let fid = format!("customfield_{num}");
            if sel.wants(&fid, true) {
                let val = issue
                    .cf(ix as u16)
                    .map_or(Value::Null, |cv| self.custom_value(ix as u16, cv));
                fields.insert(fid, val);
            }
        }
        if !fields.is_empty() || !sel.key_only {
            v["fields"] = Value::Object(fields);
        }
        if changelog {
            let n = issue.histories.len();
            let start = n.saturating_sub(EMBEDDED_HISTORIES);
            v["changelog"] = json!({
                "startAt": start,
                "maxResults": n - start,
                "total": n,
                "histories": issue.histories[start..].iter().map(|h| self.history(h)).collect::<Vec<_>>()
            });
        }
        v
    }

    /// `GET /field`: system fields, then custom fields.
    pub(crate) fn field_list(&self) -> Value {
        let mut out = Vec::new();
        for f in SYSTEM_FIELDS {
            let mut schema = json!({"type": f.kind, "system": f.id});
            if let Some(items) = f.items {
                schema = json!({"type": f.kind, "items": items, "system": f.id});
            }
            let mut entry = json!({
                "id": f.id,
                "key": f.id,
                "name": f.name,
                "custom": false,
                "orderable": f.orderable,
                "navigable": f.navigable,
                "searchable": f.searchable,
                "clauseNames": f.clauses
            });
            if f.kind != "-" {
                entry["schema"] = schema;
            }
            out.push(entry);
        }
        for (num, name, kind) in CUSTOM_FIELDS {
            let (ty, custom) = kind.schema();
            let mut schema = json!({
                "type": ty,
                "custom": format!("com.atlassian.jira.plugin.system.customfieldtypes:{custom}"),
                "customId": num
            });
            if kind == CfKind::Text && name == "Rank" {
                schema["custom"] = json!("com.pyxis.greenhopper.jira:gh-lexo-rank");
            }
            out.push(json!({
                "id": format!("customfield_{num}"),
                "key": format!("customfield_{num}"),
                "name": name,
                "untranslatedName": name,
                "custom": true,
                "orderable": true,
                "navigable": true,
                "searchable": true,
                "clauseNames": [format!("cf[{num}]"), name],
                "schema": schema
            }));
        }
        Value::Array(out)
    }

    /// `GET /issuetype`.
    pub(crate) fn issue_types(&self) -> Value {
        Value::Array(
            (0..ISSUE_TYPES.len() as u8)
                .map(|t| {
                    let mut v = self.issue_type(t);
                    v["untranslatedName"] = json!(ISSUE_TYPES[t as usize].name);
                    v
                })
                .collect(),
        )
    }

    /// `expand=names`: field id → name for every field.
    pub(crate) fn names(&self) -> Value {
        let mut m = Map::new();
        for f in SYSTEM_FIELDS {
            m.insert(f.id.to_string(), json!(f.name));
        }
        for (num, name, _) in CUSTOM_FIELDS {
            m.insert(format!("customfield_{num}"), json!(name));
        }
        Value::Object(m)
    }
}

/// How many histories `expand=changelog` embeds.
pub const EMBEDDED_HISTORIES: usize = 40;
