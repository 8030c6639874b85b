//! From endpoint to endpoint group; the legacy search is gone (410) on
//! Cloud and for Cloud-style credentials.

use std::sync::atomic::Ordering;

use http::{Method, StatusCode};

use super::super::Shared;
use super::answer::Outcome;
use super::call::Call;
use super::messages::GONE_MESSAGE;
use super::paths::Ep;
use super::search::Flavour;
use super::{comments, issues, search, site};

/// Runs an endpoint (the caller is known by now).
pub(super) fn execute(sh: &Shared, call: &Call<'_>, ep: &Ep) -> Outcome {
    match ep {
        Ep::Unknown => Outcome::message(StatusCode::NOT_FOUND, "null for uri: not found"),
        Ep::SearchJql => search::search(sh, call, Flavour::Cloud),
        Ep::Search => {
            if call.v3 || call.basic {
                Outcome::message(StatusCode::GONE, GONE_MESSAGE)
            } else {
                search::search(sh, call, Flavour::DataCenter)
            }
        }
        Ep::Field => site::fields(sh, call),
        Ep::IssueType => site::issue_types(sh, call),
        Ep::Project => site::projects(sh, call),
        Ep::Myself => site::myself(sh, call),
        Ep::MyPermissions => site::my_permissions(sh, call),
        Ep::ServerInfo => site::server_info(call),
        Ep::Issue(key) => {
            if call.method == Method::PUT {
                issues::edit_issue(sh, call, key)
            } else {
                issues::get_issue(sh, call, key)
            }
        }
        // Cloud only, as the bulk changelog.
        Ep::IssueBulk => {
            if (call.v3 || call.basic) && !sh.no_bulk_fetch.load(Ordering::Relaxed) {
                issues::bulk_fetch(sh, call)
            } else {
                Outcome::message(StatusCode::NOT_FOUND, "null for uri: not found")
            }
        }
        Ep::Changelog(key) => issues::changelog(sh, call, key),
        // Cloud only: Data Center has no bulk changelog.
        Ep::ChangelogBulk => {
            if (call.v3 || call.basic) && !sh.no_bulk_changelog.load(Ordering::Relaxed) {
                issues::bulk_changelog(sh, call)
            } else {
                Outcome::message(StatusCode::NOT_FOUND, "null for uri: not found")
            }
        }
        Ep::Comments(key) => {
            if call.method == Method::POST {
                comments::add_comment(sh, call, key)
            } else {
                comments::list_comments(sh, call, key)
            }
        }
        Ep::Comment(key, id) => {
            if call.method == Method::PUT {
                comments::update_comment(sh, call, key, id)
            } else {
                comments::get_comment(sh, call, key, id)
            }
        }
        Ep::CommentProps(id) => comments::comment_property_keys(sh, call, id),
        Ep::CommentProp(id, key) => comments::comment_property(sh, call, id, key),
    }
}
