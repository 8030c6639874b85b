//! The risk registry's reports, `recur report registry` and `recur report
//! movement`: named sections from the SQL of `queries/risk/`, over the
//! scoring run in force at the asked moment.

use chrono::{DateTime, Utc};
use duckdb::types::Value;

use crate::queries;
use crate::store::{QueryResult, Store, StoreError};

/// RFC 3339 text with an explicit offset, as bound for `TIMESTAMPTZ`
/// parameters (`$1::TIMESTAMPTZ`).
fn timestamp_param(t: DateTime<Utc>) -> Value {
    Value::Text(t.format("%Y-%m-%d %H:%M:%S%.6f+00:00").to_string())
}

fn text(v: Option<String>) -> Value {
    v.map(Value::Text).unwrap_or(Value::Null)
}

async fn section(
    store: &Store,
    title: &str,
    file: &str,
    params: Vec<Value>,
) -> Result<(String, QueryResult), StoreError> {
    let file = queries::get(file);
    let result = store.query(file.name, file.sql, params).await?;
    Ok((title.to_string(), result))
}

/// `recur report registry`: the active risks (of `service`, or all) of the
/// scoring run in force at `as_of`, highest bad minutes first, then the
/// budget totals.
pub async fn registry(
    store: &Store,
    as_of: DateTime<Utc>,
    service: Option<&str>,
) -> Result<Vec<(String, QueryResult)>, StoreError> {
    let at = timestamp_param(as_of);
    let svc = text(service.map(str::to_string));
    Ok(vec![
        section(
            store,
            "Risk registry: active risks, highest bad minutes per year first",
            "risk/registry.sql",
            vec![at.clone(), svc.clone()],
        )
        .await?,
        section(
            store,
            "Error budget: open bad minutes per year against it, and what is left unallocated",
            "risk/registry_total.sql",
            vec![at.clone(), svc.clone()],
        )
        .await?,
        section(
            store,
            "reversals",
            "risk/registry_reversals.sql",
            vec![at, svc],
        )
        .await?,
    ])
}

/// `recur report movement`: the burn-down, the top `top_n` risks unmoved
/// for more than 60 days, stale reviews, no owner, no open or done action
/// item, and action items all closed without a re-review; as of `as_of`.
pub async fn movement(
    store: &Store,
    as_of: DateTime<Utc>,
    top_n: usize,
    service: Option<&str>,
) -> Result<Vec<(String, QueryResult)>, StoreError> {
    let at = timestamp_param(as_of);
    let svc = text(service.map(str::to_string));
    let n = Value::BigInt(i64::try_from(top_n).unwrap_or(i64::MAX));
    let mut out = Vec::new();
    for (title, file, params) in [
        (
            "Burn-down: open bad minutes per year, last score run of each day",
            "risk/movement_burndown.sql",
            vec![at.clone(), svc.clone()],
        ),
        (
            "Not moved for more than 60 days (same priority, no action item closed)",
            "risk/movement_unmoved.sql",
            vec![at.clone(), n, svc.clone()],
        ),
        (
            "Last review older than 90 days",
            "risk/movement_stale_review.sql",
            vec![at.clone(), svc.clone()],
        ),
        (
            "No owner",
            "risk/movement_no_owner.sql",
            vec![at.clone(), svc.clone()],
        ),
        (
            "No open or done action item (accepted, or forgotten?)",
            "risk/movement_no_action.sql",
            vec![at.clone(), svc.clone()],
        ),
        (
            "Action items all closed, risk not re-reviewed since",
            "risk/movement_closed_unreviewed.sql",
            vec![at.clone(), svc.clone()],
        ),
    ] {
        out.push(section(store, title, file, params).await?);
    }
    Ok(out)
}
