//! The site's own endpoints: fields, issue types, projects, the caller's
//! profile and the server info (which tells Cloud from Data Center).

use http::StatusCode;
use serde_json::{json, Value};

use super::super::clock::{self, now_ms};
use super::super::Shared;
use super::answer::Outcome;
use super::call::Call;
use super::messages::UNAUTHORIZED_MESSAGE;

/// `GET /field`.
pub(super) fn fields(sh: &Shared, call: &Call<'_>) -> Outcome {
    let w = sh.read();
    Outcome::ok(&call.ctx(&w).field_list())
}

/// `GET /issuetype`.
pub(super) fn issue_types(sh: &Shared, call: &Call<'_>) -> Outcome {
    let w = sh.read();
    Outcome::ok(&call.ctx(&w).issue_types())
}

/// `GET /project`.
pub(super) fn projects(sh: &Shared, call: &Call<'_>) -> Outcome {
    let w = sh.read();
    let ctx = call.ctx(&w);
    Outcome::ok(&Value::Array(
        (0..w.projects.len() as u32)
            .map(|p| ctx.project(p))
            .collect(),
    ))
}

/// `GET /myself`.
pub(super) fn myself(sh: &Shared, call: &Call<'_>) -> Outcome {
    let w = sh.read();
    match w.find_user(call.login) {
        Some(u) => {
            let mut v = call.ctx(&w).user(u);
            v["locale"] = json!("en_US");
            Outcome::ok(&v)
        }
        None => Outcome::message(StatusCode::UNAUTHORIZED, UNAUTHORIZED_MESSAGE),
    }
}

/// `GET /mypermissions?permissions=A,B[&projectKey=K]`: every permission
/// asked for, granted to any known user (the sandbox has no permission
/// schemes); 400 without `permissions`, as Cloud answers.
pub(super) fn my_permissions(sh: &Shared, call: &Call<'_>) -> Outcome {
    let w = sh.read();
    if w.find_user(call.login).is_none() {
        return Outcome::message(StatusCode::UNAUTHORIZED, UNAUTHORIZED_MESSAGE);
    }
    let Some(asked) = call.params.get("permissions") else {
        return Outcome::bad("The 'permissions' query parameter is required.");
    };
    let mut perms = serde_json::Map::new();
    for key in asked.split(',').map(str::trim).filter(|k| !k.is_empty()) {
        perms.insert(
            key.to_string(),
            json!({"id": key, "key": key, "name": key, "type": "PROJECT", "havePermission": true}),
        );
    }
    Outcome::ok(&json!({ "permissions": perms }))
}

/// `GET /serverInfo`: Cloud on v3 or with Basic credentials, Data Center
/// otherwise.
pub(super) fn server_info(call: &Call<'_>) -> Outcome {
    let cloud = call.v3 || call.basic;
    Outcome::ok(&json!({
        "baseUrl": call.base,
        "version": if cloud { "1001.0.0-SNAPSHOT" } else { "9.12.2" },
        "versionNumbers": if cloud { json!([1001, 0, 0]) } else { json!([9, 12, 2]) },
        "deploymentType": if cloud { "Cloud" } else { "Server" },
        "buildNumber": 100_275,
        "serverTime": clock::time(now_ms()),
        "scmInfo": "sandbox",
        "serverTitle": "Acme Jira"
    }))
}
