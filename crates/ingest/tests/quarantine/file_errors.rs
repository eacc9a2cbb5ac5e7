//! Problems that stop a source from being read at all (CONTRACT.md section 1: exit code
//! 2 before anything is published): they are [`IngestError`]s, never quarantine rows.

use crate::support::{Inbox, as_of};
use retention_contract::Source;
use retention_contract::rows::{OfficeRow, RowContext};
use retention_ingest::{
    Context, Format, IngestError, OfficeSet, ingest, ingest_job_history, locate,
};

fn read_offices(contents: &[u8]) -> Result<u64, IngestError> {
    let inbox = Inbox::new();
    inbox.write("offices.csv", contents);
    let ctx = Context {
        row: RowContext { as_of: as_of() },
        offices: None,
        roster: None,
    };
    ingest::<OfficeRow>(inbox.file(Source::Offices), &ctx, false, &|_| {}).map(|o| o.rows_read)
}

fn read_job_history(contents: &str) -> Result<u64, IngestError> {
    let inbox = Inbox::new();
    inbox.write("job_history.csv", contents);
    let offices = OfficeSet::new(vec!["N1".into()]);
    let ctx = Context {
        row: RowContext { as_of: as_of() },
        offices: Some(&offices),
        roster: None,
    };
    ingest_job_history(inbox.file(Source::JobHistory), &ctx, &|_| {}).map(|(o, _)| o.rows_read)
}

#[test]
fn an_empty_file_has_no_header() {
    for contents in [&b""[..], b"\xEF\xBB\xBF", b"\n\n", b" \t\r\n\x0c\n  "] {
        let err = read_offices(contents).unwrap_err();
        assert!(
            matches!(err, IngestError::Empty { .. }),
            "{contents:?}: {err:?}"
        );
        assert!(err.is_bad_input());
        assert!(err.to_string().contains("offices.csv"), "{err}");
    }
}

#[test]
fn a_header_alone_is_a_file_with_no_rows() {
    assert_eq!(
        read_offices(b"office_id,office_name,caseload_standard").unwrap(),
        0
    );
}

#[test]
fn a_duplicate_header_name_fails_whatever_its_case_and_padding() {
    let err =
        read_offices(b"\noffice_id,office_name, Office_ID ,caseload_standard\nN1,North,N1,10\n")
            .unwrap_err();
    match &err {
        IngestError::DuplicateColumn {
            line, column, name, ..
        } => {
            assert_eq!((*line, *column, name.as_str()), (2, 3, "Office_ID"));
        }
        other => panic!("{other:?}"),
    }
    assert!(err.is_bad_input());
    assert!(err.to_string().contains("Office_ID"), "{err}");
}

#[test]
fn a_missing_required_column_is_named() {
    let err = read_offices(b"office_id,office_name,region\nN1,North,East\n").unwrap_err();
    match &err {
        IngestError::MissingColumns { line, columns, .. } => {
            assert_eq!((*line, columns.as_slice()), (1, &["caseload_standard"][..]))
        }
        other => panic!("{other:?}"),
    }
    let text = err.to_string();
    assert!(
        text.contains("offices.csv") && text.contains("caseload_standard"),
        "{text}"
    );

    let err = read_offices(b"region\nEast\n").unwrap_err();
    match &err {
        IngestError::MissingColumns { columns, .. } => {
            assert_eq!(
                columns.as_slice(),
                ["office_id", "office_name", "caseload_standard"]
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn conditional_columns_must_be_present_and_optional_ones_need_not_be() {
    // office_id is required only for some actions, but a column a rule can require must
    // be in the header.
    let err = read_job_history("worker_id,effective_date,action,role,fte,reason\n").unwrap_err();
    match &err {
        IngestError::MissingColumns { columns, .. } => {
            assert_eq!(columns.as_slice(), ["office_id"])
        }
        other => panic!("{other:?}"),
    }
    let err = read_job_history("worker_id,effective_date,action,office_id\n").unwrap_err();
    match &err {
        IngestError::MissingColumns { columns, .. } => {
            assert_eq!(columns.as_slice(), ["role", "reason"])
        }
        other => panic!("{other:?}"),
    }
    // fte and supervisor_id are optional.
    assert_eq!(
        read_job_history(
            "worker_id,effective_date,action,office_id,role,reason\nw1,2020-01-01,HIRE,N1,OTHER,\n"
        )
        .unwrap(),
        1
    );
}

#[test]
fn a_header_that_is_not_valid_csv_fails() {
    let cases: &[(&[u8], u64)] = &[
        (
            b"office_id,\"office_name,caseload_standard\nN1,North,10\n",
            1,
        ), // unterminated
        (
            b"office_id,office\"name,caseload_standard\nN1,North,10\n",
            1,
        ), // quote inside
        (
            b"\n\"office_id\"x,office_name,caseload_standard\nN1,North,10\n",
            2,
        ), // text after quote
        (
            b"office_id, \"office_name\",caseload_standard\nN1,North,10\n",
            1,
        ), // space before quote
        (
            b"office_id,office_name\xff,caseload_standard\nN1,North,10\n",
            1,
        ), // invalid UTF-8
    ];
    for (contents, want_line) in cases {
        let err = read_offices(contents).unwrap_err();
        match &err {
            IngestError::BadHeader { line, .. } => {
                assert_eq!(line, want_line, "{}", String::from_utf8_lossy(contents))
            }
            other => panic!("{}: {other:?}", String::from_utf8_lossy(contents)),
        }
        assert!(err.is_bad_input());
    }
}

#[test]
fn two_files_for_one_source_are_ambiguous() {
    let inbox = Inbox::new();
    inbox
        .write("offices.csv", "office_id\n")
        .write("offices.parquet", "not really parquet");
    let err = locate(inbox.path(), Source::Offices).unwrap_err();
    match &err {
        IngestError::Ambiguous {
            source_name, names, ..
        } => {
            assert_eq!(*source_name, Source::Offices);
            assert_eq!(names.as_slice(), ["offices.csv", "offices.parquet"]);
        }
        other => panic!("{other:?}"),
    }
    assert!(err.is_bad_input());
    // The other sources are unaffected.
    assert!(locate(inbox.path(), Source::JobHistory).unwrap().is_none());
}

#[test]
fn locate_finds_each_format_and_nothing_for_a_missing_source() {
    let inbox = Inbox::new();
    inbox
        .write("offices.csv", "x")
        .write("job_history.csv.gz", "x")
        .write("caseload_snapshots.parquet", "x")
        .write("survey_responses.txt", "x")
        .write("Supervision_Sessions.csv.bak", "x");
    std::fs::create_dir(inbox.path().join("program_enrollments.csv")).unwrap();
    let found = |s| {
        locate(inbox.path(), s)
            .unwrap()
            .map(|f| (f.format, f.path.file_name().unwrap().to_owned()))
    };
    assert_eq!(
        found(Source::Offices),
        Some((Format::Csv, "offices.csv".into()))
    );
    assert_eq!(
        found(Source::JobHistory),
        Some((Format::CsvGz, "job_history.csv.gz".into()))
    );
    assert_eq!(
        found(Source::CaseloadSnapshots),
        Some((Format::Parquet, "caseload_snapshots.parquet".into()))
    );
    assert_eq!(found(Source::SupervisionSessions), None);
    assert_eq!(found(Source::SurveyResponses), None);
    assert_eq!(
        found(Source::ProgramEnrollments),
        None,
        "a folder is not a file"
    );
}
