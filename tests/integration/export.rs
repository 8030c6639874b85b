//! `recur export`: every public view and table as Parquet or CSV, read back
//! by DuckDB with the same row counts; and `recur query` reading the files
//! and the catalog.

use crate::common::recur_bin as recur;
use crate::common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parquet_and_csv_exports_read_back_with_the_same_row_counts() {
    let sb = small_sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.duckdb");
    let cfg = recur::demo::sandbox_config(&sb.github_url(), &sb.github().repos(), &db);
    std::fs::write(dir.path().join("recur.toml"), cfg).unwrap();
    assert!(recur(dir.path(), &["sync"]).await.status.success());
    assert!(recur(dir.path(), &["score"]).await.status.success());

    let views: Vec<String> = query(
        &db,
        "SELECT view_name FROM duckdb_views() WHERE NOT internal AND schema_name = 'main' ORDER BY 1",
    )
    .await
    .into_iter()
    .map(|r| r[0].as_str().unwrap().to_string())
    .collect();
    assert!(
        views.contains(&"risk_scores".to_string()) && views.contains(&"writeback_log".to_string())
    );
    let mut names = views.clone();
    names.extend(recur::store::PUBLIC_TABLES.iter().map(|t| t.to_string()));
    for (format, ext, reader) in [
        ("parquet", "parquet", "read_parquet"),
        ("csv", "csv", "read_csv"),
    ] {
        let out_dir = dir.path().join(format!("out-{format}"));
        let out = recur(
            dir.path(),
            &["export", "--format", format, out_dir.to_str().unwrap()],
        )
        .await;
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        for name in &names {
            let file = out_dir.join(format!("{name}.{ext}"));
            assert!(file.exists(), "{}", file.display());
            let want = scalar(&db, &format!("SELECT count(*) FROM \"{name}\"")).await;
            let got = scalar(
                &db,
                &format!("SELECT count(*) FROM {reader}('{}')", file.display()),
            )
            .await;
            assert_eq!(got, want, "{format} {name}");
        }
        // Typed columns survive Parquet: labels stay a list, dates dates.
        if format == "parquet" {
            let t = query(
                &db,
                &format!(
                    "SELECT typeof(labels), typeof(created_at) FROM read_parquet('{}') LIMIT 1",
                    out_dir.join("items.parquet").display()
                ),
            )
            .await;
            assert_eq!(t[0][0], "VARCHAR[]");
            assert_eq!(t[0][1], "TIMESTAMP WITH TIME ZONE");
        }
    }
    // recur query reads exported files and the catalog.
    let file = dir.path().join("out-parquet").join("risks.parquet");
    let out = recur(
        dir.path(),
        &[
            "query",
            "--format",
            "json",
            &format!(
                "SELECT count(*) AS n FROM read_parquet('{}')",
                file.display()
            ),
        ],
    )
    .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v[0]["n"].as_i64().unwrap(),
        scalar(&db, "SELECT count(*) FROM risks").await
    );
    let out = recur(
        dir.path(),
        &[
            "query",
            "--format",
            "json",
            "SELECT count(*) AS n FROM information_schema.columns WHERE table_name = 'items'",
        ],
    )
    .await;
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v[0]["n"].as_i64().unwrap() > 40);
    sb.shutdown().await;
}
