//! The other input formats of CONTRACT.md section 1: `<source>.csv.gz` reads exactly like
//! the plain CSV, and `<source>.parquet` is validated by the same rules on the text form
//! of each value, with 1-based row numbers as lines and the values joined by commas as
//! `raw`.

use crate::reasons::{
    CASELOAD_SNAPSHOTS, JOB_HISTORY, OFFICES, PROGRAM_ENROLLMENTS, SUPERVISION_SESSIONS,
    SURVEY_RESPONSES, agency,
};
use crate::support::{Inbox, csv, day, run, snapshots};
use arrow::array::{ArrayRef, Date32Array, RecordBatch, StringArray};
use arrow::datatypes::{Field, Schema};
use flate2::Compression;
use flate2::write::GzEncoder;
use parquet::arrow::ArrowWriter;
use retention_contract::Source;
use sha2::{Digest, Sha256};
use std::io::Write;
use std::sync::Arc;

fn gzip(text: &str) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(text.as_bytes()).expect("gzip");
    encoder.finish().expect("gzip")
}

#[test]
fn csv_gz_gives_the_same_outcome_as_plain_csv() {
    let gz = Inbox::new();
    for (name, lines) in [
        ("offices", OFFICES),
        ("job_history", JOB_HISTORY),
        ("caseload_snapshots", CASELOAD_SNAPSHOTS),
        ("supervision_sessions", SUPERVISION_SESSIONS),
        ("survey_responses", SURVEY_RESPONSES),
        ("program_enrollments", PROGRAM_ENROLLMENTS),
    ] {
        gz.write(&format!("{name}.csv.gz"), gzip(&csv(lines)));
    }
    let plain = run(&agency());
    let packed = run(&gz);
    for (a, b) in plain.reports.iter().zip(&packed.reports) {
        assert_eq!(a.source, b.source);
        assert_eq!(a.rows_read, b.rows_read, "{}", a.source);
        assert_eq!(a.accepted_lines, b.accepted_lines, "{}", a.source);
        assert_eq!(
            a.quarantine, b.quarantine,
            "{}: source, line, reason, detail and raw",
            a.source
        );
    }
    assert_eq!(packed.reports.len(), 6);
    assert_eq!(
        plain.staff.roster.worker_ids,
        packed.staff.roster.worker_ids
    );
    assert_eq!(plain.staff.roster.spells, packed.staff.roster.spells);
}

#[test]
fn sha256_is_of_the_file_bytes_as_stored() {
    let text = csv(CASELOAD_SNAPSHOTS);
    let packed = gzip(&text);
    for (name, bytes) in [
        ("caseload_snapshots.csv", text.into_bytes()),
        ("caseload_snapshots.csv.gz", packed),
    ] {
        let inbox = Inbox::new();
        inbox
            .write("offices.csv", csv(OFFICES))
            .write("job_history.csv", csv(JOB_HISTORY))
            .write(name, &bytes);
        let (outcome, _) = snapshots(&inbox);
        assert_eq!(
            outcome.sha256,
            hex::encode(Sha256::digest(&bytes)),
            "{name}"
        );
    }
}

/// Writes one batch to a Parquet file.
fn parquet(columns: Vec<(&str, ArrayRef)>) -> Vec<u8> {
    let fields: Vec<Field> = columns
        .iter()
        .map(|(n, a)| Field::new(*n, a.data_type().clone(), true))
        .collect();
    let schema = Arc::new(Schema::new(fields));
    let batch = RecordBatch::try_new(
        schema.clone(),
        columns.into_iter().map(|(_, a)| a).collect(),
    )
    .expect("batch");
    let mut bytes = Vec::new();
    let mut writer = ArrowWriter::try_new(&mut bytes, schema, None).expect("writer");
    writer.write(&batch).expect("write");
    writer.close().expect("close");
    bytes
}

#[test]
fn parquet_rows_are_validated_as_text_with_row_numbers_as_lines() {
    let date = |text: &str| Some(day(text).days_since_epoch());
    let dates: ArrayRef = Arc::new(Date32Array::from(vec![
        date("2024-01-01"), // 1: accepted
        None,               // 2: MISSING_REQUIRED
        date("2024-01-02"), // 3: BAD_NUMBER
        date("2024-01-01"), // 4: DUPLICATE of 1 (padded id, 05 = 5)
        date("1949-12-31"), // 5: OUT_OF_RANGE
        date("2022-07-01"), // 6: NOT_EMPLOYED
        date("2024-01-01"), // 7: DUPLICATE_KEY of 1
        date("2024-01-03"), // 8: UNKNOWN_WORKER
        date("2025-07-01"), // 9: FUTURE_DATED
        date("2024-01-04"), // 10: accepted
    ]));
    let workers: ArrayRef = Arc::new(StringArray::from(vec![
        Some("a01"),
        Some("a01"),
        Some("a01"),
        Some(" a01 "),
        Some("a01"),
        Some("a01"),
        Some("a01"),
        Some("a03"),
        Some("a01"),
        Some("a01"),
    ]));
    let cases: ArrayRef = Arc::new(StringArray::from(vec![
        Some("5"),
        Some("6"),
        Some("x"),
        Some("05"),
        Some("5"),
        Some("5"),
        Some("6"),
        Some("5"),
        Some("5"),
        Some("7"),
    ]));
    let removals: ArrayRef = Arc::new(StringArray::from(vec![
        None,
        None,
        None,
        None,
        None,
        None,
        None,
        None,
        None,
        Some("1"),
    ]));
    // Columns in another order and case than the contract's; new_assignments absent.
    let bytes = parquet(vec![
        ("SNAPSHOT_DATE", dates),
        ("worker_id", workers),
        ("Active_Cases", cases),
        ("removals", removals),
    ]);
    let inbox = Inbox::new();
    inbox
        .write("offices.csv", csv(OFFICES))
        .write("job_history.csv", csv(JOB_HISTORY))
        .write("caseload_snapshots.parquet", &bytes);
    let (outcome, report) = snapshots(&inbox);

    let refused: Vec<(u64, &str)> = report
        .quarantine
        .iter()
        .map(|q| (q.line, q.reason.code()))
        .collect();
    assert_eq!(
        refused,
        [
            (2, "MISSING_REQUIRED"),
            (3, "BAD_NUMBER"),
            (4, "DUPLICATE"),
            (5, "OUT_OF_RANGE"),
            (6, "NOT_EMPLOYED"),
            (7, "DUPLICATE_KEY"),
            (8, "UNKNOWN_WORKER"),
            (9, "FUTURE_DATED"),
        ]
    );
    assert_eq!(report.accepted_lines, [1, 10]);
    assert_eq!(report.rows_read, 10);
    let raws: Vec<&str> = report.quarantine.iter().map(|q| q.raw.as_str()).collect();
    assert_eq!(
        raws,
        [
            ",a01,6,",
            "2024-01-02,a01,x,",
            "2024-01-01, a01 ,05,",
            "1949-12-31,a01,5,",
            "2022-07-01,a01,5,",
            "2024-01-01,a01,6,",
            "2024-01-03,a03,5,",
            "2025-07-01,a01,5,",
        ]
    );
    assert!(
        report.quarantine[0].detail.contains("snapshot_date"),
        "{}",
        report.quarantine[0].detail
    );
    assert!(
        report.quarantine[4].detail.contains("2022-07-01"),
        "{}",
        report.quarantine[4].detail
    );
    let last = &outcome.accepted[1];
    assert_eq!(
        (
            last.date,
            last.active_cases,
            last.new_assignments,
            last.removals
        ),
        (day("2024-01-04"), 7, None, Some(1))
    );
    assert_eq!(outcome.sha256, hex::encode(Sha256::digest(&bytes)));
}

#[test]
fn parquet_header_rules_match_csv() {
    let ids: ArrayRef = Arc::new(StringArray::from(vec![Some("N1")]));
    let names: ArrayRef = Arc::new(StringArray::from(vec![Some("North")]));
    let inbox = Inbox::new();
    inbox.write(
        "offices.parquet",
        parquet(vec![("office_id", ids), ("office_name", names)]),
    );
    let ctx = retention_ingest::Context {
        row: retention_contract::rows::RowContext {
            as_of: crate::support::as_of(),
        },
        offices: None,
        roster: None,
    };
    let err =
        retention_ingest::ingest_offices(inbox.file(Source::Offices), &ctx, &|_| {}).unwrap_err();
    match err {
        retention_ingest::IngestError::MissingColumns { columns, .. } => {
            assert_eq!(columns, ["caseload_standard"])
        }
        other => panic!("{other:?}"),
    }

    let inbox = Inbox::new();
    inbox.write("offices.parquet", b"PAR1 but not parquet");
    let err =
        retention_ingest::ingest_offices(inbox.file(Source::Offices), &ctx, &|_| {}).unwrap_err();
    assert!(
        matches!(err, retention_ingest::IngestError::Parquet { .. }),
        "{err:?}"
    );
    assert!(err.is_bad_input());
}
