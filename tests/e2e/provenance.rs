//! What a published warehouse says about itself (issue #12): file names unique to their
//! run, `current.json`, provenance metadata in every file, a description for every
//! column, declared sort orders that hold, the `columns` dictionary and docs/tables.md in
//! agreement, `tenure_bands` and the views' `tenure_band_order`, and `retention query` sessions that never mix runs.

use crate::util::{default_pipeline, generate, read_parquet, run_pipeline, table_file};
use arrow::datatypes::SchemaRef;
use parquet::file::reader::{FileReader, SerializedFileReader};
use retention_pipeline::{dictionary, provenance};
use std::collections::HashMap;
use std::path::Path;

/// Set to rewrite docs/tables.md's dictionary from the published schemas.
const BLESS_ENV: &str = "RETENTION_BLESS_DOCS";

fn published(dir: &Path) -> std::path::PathBuf {
    let inbox = generate(
        dir,
        &[
            "--workers",
            "150",
            "--years",
            "3",
            "--offices",
            "4",
            "--seed",
            "21",
            "--faults",
            "0.01",
            "--as-of",
            "2025-06-30",
        ],
    );
    let wh = dir.join("wh");
    let (code, err) = run_pipeline(&inbox, &wh, "2025-06-30", Some(&default_pipeline(&inbox)));
    assert_eq!(code, 0, "{err}");
    wh
}

fn tables(wh: &Path) -> Vec<String> {
    let manifest: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(wh.join("current/run_manifest.json")).unwrap(),
    )
    .unwrap();
    let mut names: Vec<String> = manifest["tables"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    let rank = |n: &str| dictionary::COLUMNS.iter().position(|c| c.table == n);
    names.sort_by_key(|n| rank(n));
    names
}

fn schema_of(path: &Path) -> SchemaRef {
    let file = std::fs::File::open(path).unwrap();
    parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
        .unwrap()
        .schema()
        .clone()
}

#[test]
fn every_file_carries_its_provenance_and_descriptions() {
    let dir = tempfile::tempdir().unwrap();
    let wh = published(dir.path());
    let run_id = std::fs::read_link(wh.join("current"))
        .unwrap()
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    let pointer: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(wh.join("current.json")).unwrap()).unwrap();
    assert_eq!(pointer["run_id"], run_id.as_str());
    assert_eq!(pointer["path"], format!("runs/{run_id}"));
    assert_eq!(pointer["as_of"], "2025-06-30");
    assert!(pointer["published_at"].as_str().unwrap().ends_with('Z'));

    let names = tables(&wh);
    assert_eq!(names.last().map(String::as_str), Some("columns"));
    let mut schemas = Vec::new();
    for table in &names {
        let path = table_file(&wh, table);
        assert_eq!(
            path.file_name().unwrap().to_string_lossy(),
            format!("part-0-{run_id}.parquet"),
            "{table}: a file name unique to its run"
        );
        let reader = SerializedFileReader::new(std::fs::File::open(&path).unwrap()).unwrap();
        let meta = reader.metadata().file_metadata();
        assert_eq!(
            meta.created_by(),
            Some(format!("retention version {}", env!("CARGO_PKG_VERSION")).as_str()),
            "parquet-mr parses `<app> version <x.y.z>`"
        );
        let kv: HashMap<&str, &str> = meta
            .key_value_metadata()
            .unwrap()
            .iter()
            .filter_map(|k| Some((k.key.as_str(), k.value.as_deref()?)))
            .collect();
        assert_eq!(kv["retention.run_id"], run_id, "{table}");
        assert_eq!(kv["retention.as_of"], "2025-06-30");
        assert_eq!(kv["retention.table"], table.as_str());
        assert_eq!(
            kv["retention.contract_version"],
            provenance::CONTRACT_VERSION
        );
        assert_eq!(kv["retention.program_version"], env!("CARGO_PKG_VERSION"));
        let schema = schema_of(&path);
        for field in schema.fields() {
            let description = field.metadata().get("description");
            assert_eq!(
                description.map(String::as_str),
                dictionary::describe(table, field.name()),
                "{table}.{} is described in the file as in the dictionary",
                field.name()
            );
            assert!(
                description.is_some(),
                "{table}.{} has a description",
                field.name()
            );
        }
        // The declared sort order is declared in the file and holds for its rows.
        let declared: Vec<String> = reader
            .metadata()
            .row_groups()
            .first()
            .and_then(|rg| rg.sorting_columns())
            .map(|cols| {
                cols.iter()
                    .map(|c| schema.field(c.column_idx as usize).name().clone())
                    .collect()
            })
            .unwrap_or_default();
        assert_eq!(declared, provenance::sorted_by(table), "{table}");
        for rg in reader.metadata().row_groups() {
            assert!(rg.num_rows() as usize <= provenance::ROW_GROUP_ROWS);
        }
        assert_sorted(&path, provenance::sorted_by(table));
        schemas.push((table.clone(), schema));
    }

    // The dictionary table lists exactly the published columns, in order.
    let (names_cols, rows) = read_parquet(&table_file(&wh, "columns"));
    assert_eq!(
        names_cols,
        [
            "table_name",
            "column_name",
            "position",
            "data_type",
            "nullable",
            "description",
            "contract_section"
        ]
    );
    let listed: Vec<(String, String, String)> = rows
        .iter()
        .map(|r| (r[0].clone(), r[1].clone(), r[2].clone()))
        .collect();
    let expected: Vec<(String, String, String)> = schemas
        .iter()
        .flat_map(|(t, s)| {
            s.fields()
                .iter()
                .enumerate()
                .map(move |(i, f)| (t.clone(), f.name().clone(), (i + 1).to_string()))
        })
        .collect();
    assert_eq!(listed, expected);
    let dictionary_columns: Vec<(String, String)> = dictionary::COLUMNS
        .iter()
        .map(|c| (c.table.to_string(), c.column.to_string()))
        .collect();
    let published_columns: Vec<(String, String)> = expected
        .iter()
        .map(|(t, c, _)| (t.clone(), c.clone()))
        .collect();
    assert_eq!(
        published_columns, dictionary_columns,
        "the dictionary describes exactly the published columns, in order"
    );

    // docs/tables.md holds the dictionary as the code renders it.
    let refs: Vec<(&str, SchemaRef)> = schemas
        .iter()
        .map(|(t, s)| (t.as_str(), s.clone()))
        .collect();
    let rendered = dictionary::markdown(&refs);
    let docs_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/tables.md");
    let docs = std::fs::read_to_string(&docs_path).unwrap();
    let (begin, end) = ("<!-- dictionary:begin -->\n", "<!-- dictionary:end -->");
    let start = docs
        .find(begin)
        .expect("docs/tables.md has the dictionary markers")
        + begin.len();
    let stop = docs.find(end).unwrap();
    if std::env::var_os(BLESS_ENV).is_some() {
        let updated = format!("{}{rendered}{}", &docs[..start], &docs[stop..]);
        std::fs::write(&docs_path, updated).unwrap();
    } else {
        assert_eq!(
            &docs[start..stop],
            rendered,
            "docs/tables.md's dictionary is stale: rerun this test with {BLESS_ENV}=1 and review the diff"
        );
    }
}

/// The rows of the file at `path` are in ascending order of `columns`.
fn assert_sorted(path: &Path, columns: &[&str]) {
    if columns.is_empty() {
        return;
    }
    use arrow::row::{RowConverter, SortField};
    let file = std::fs::File::open(path).unwrap();
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
        .unwrap()
        .build()
        .unwrap();
    let mut converter = None;
    let mut previous: Option<arrow::row::OwnedRow> = None;
    for batch in reader {
        let batch = batch.unwrap();
        let arrays: Vec<_> = columns
            .iter()
            .map(|c| batch.column_by_name(c).unwrap().clone())
            .collect();
        let converter = converter.get_or_insert_with(|| {
            RowConverter::new(
                arrays
                    .iter()
                    .map(|a| SortField::new(a.data_type().clone()))
                    .collect(),
            )
            .unwrap()
        });
        let rows = converter.convert_columns(&arrays).unwrap();
        for row in rows.iter() {
            if let Some(p) = &previous {
                assert!(
                    p.row() <= row,
                    "{}: rows out of order by {columns:?}",
                    path.display()
                );
            }
            previous = Some(row.owned());
        }
    }
}

#[test]
fn tenure_bands_order_the_bands_in_every_view_that_shows_one() {
    let dir = tempfile::tempdir().unwrap();
    let wh = published(dir.path());
    assert_eq!(
        crate::util::table_lines(&wh, "tenure_bands"),
        [
            "00-06m|1|0|182",
            "06-12m|2|183|364",
            "01-02y|3|365|729",
            "02-05y|4|730|1825",
            "05y+|5|1826|∅",
            "ALL|6|∅|∅"
        ]
    );
    // The contract's tables keep exactly their columns; the views carry the order.
    let (names, _) = read_parquet(&table_file(&wh, "office_indicators"));
    assert!(!names.iter().any(|n| n == "tenure_band_order"));
    for view in ["office_risk", "supervision", "turnover_trend", "wellbeing"] {
        let (code, out, err) = crate::util::run(&[
            "query",
            "--warehouse",
            wh.to_str().unwrap(),
            "--format",
            "csv",
            &format!(
                "select distinct tenure_band, tenure_band_order from {view} order by tenure_band_order"
            ),
        ]);
        assert_eq!(code, 0, "{err}");
        assert_eq!(
            out,
            "tenure_band,tenure_band_order\n00-06m,1\n06-12m,2\n01-02y,3\n02-05y,4\n05y+,5\nALL,6\n",
            "{view}"
        );
    }
}

#[test]
fn a_query_session_reads_one_run_while_another_publishes() {
    let dir = tempfile::tempdir().unwrap();
    let wh = published(dir.path());
    let inbox = dir.path().join("inbox");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let session = runtime
        .block_on(retention_pipeline::query::open(&wh))
        .unwrap();
    let join = "select distinct cast(o.period_end as varchar) as period_end, s.rows_read \
                from office_indicators o join source_counts s on s.source = 'job_history' \
                join worker_spells w on true \
                where o.period_type = 'trailing_12m'";
    let ask = |ctx: &datafusion::prelude::SessionContext| {
        let (_, batches) = runtime
            .block_on(retention_pipeline::query::execute(ctx, join))
            .unwrap();
        arrow::util::pretty::pretty_format_batches(&batches)
            .unwrap()
            .to_string()
    };
    let before = ask(&session);
    assert!(before.contains("2025-06-30"), "{before}");
    // Another run publishes with another as-of (and so other trailing rows).
    let (code, err) = run_pipeline(&inbox, &wh, "2025-06-20", Some(&default_pipeline(&inbox)));
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        ask(&session),
        before,
        "the open session still reads its own run, whole"
    );
    let fresh = runtime
        .block_on(retention_pipeline::query::open(&wh))
        .unwrap();
    let after = ask(&fresh);
    assert!(
        after.contains("2025-06-20") && !after.contains("2025-06-30"),
        "{after}"
    );
}
