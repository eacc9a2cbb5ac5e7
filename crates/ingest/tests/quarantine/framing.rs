//! CSV framing (CONTRACT.md section 1 "CSV rules" and the MALFORMED_ROW rule of section
//! 2): blank lines, quoted line breaks, broken quoting and where a broken record ends,
//! field counts, UTF-8, BOM, CRLF, and header matching.

use crate::reasons::{JOB_HISTORY, OFFICES};
use crate::support::{Inbox, csv, day, run, snapshots};
use retention_contract::Source;

/// An inbox with the agency's offices and job_history (a01 is employed from 2023-01-09)
/// and the given snapshot file.
fn with_snapshots(bytes: &[u8]) -> Inbox {
    let inbox = Inbox::new();
    inbox
        .write("offices.csv", csv(OFFICES))
        .write("job_history.csv", csv(JOB_HISTORY))
        .write("caseload_snapshots.csv", bytes);
    inbox
}

#[test]
fn records_blank_lines_quotes_and_broken_records() {
    let mut file: Vec<u8> = Vec::new();
    // Header: BOM, names in another order and case, padded; an unknown column; the
    // optional new_assignments and removals absent.
    file.extend(b"\xEF\xBB\xBF Snapshot_Date , WORKER_ID ,Active_Cases,notes\r\n"); // 1
    file.extend(b"\r\n"); // 2: blank
    file.extend(b"2024-01-01,a01,5,\"multi\r\nline note\"\r\n"); // 3-4: one record
    file.extend(b"2024-01-02,a01,6,plain\n"); // 5: LF line end among CRLF
    file.extend(b" \t\x0c \r\n"); // 6: whitespace only, blank
    file.extend(b"2024-01-03,a01,7\r\n"); // 7: three fields, header has four
    file.extend(b"2024-01-04,a01,8,\"quoted\"tail\r\n"); // 8: text after a closing quote
    file.extend(b"2024-01-05,a01,9,a\"b\r\n"); // 9: quote inside an unquoted field
    file.extend(b"2024-01-06,a01,10, \"spaced\"\r\n"); // 10: space before an opening quote
    file.extend(b"2024-01-07,a01,11,caf\xff\r\n"); // 11: invalid UTF-8
    file.extend(b"\"2024-01-08\", a01 ,\"12\",\"say \"\"hi\"\"\"\r\n"); // 12: quoted, padded
    file.extend(b"2024-01-09,a01,13,\"a\r\nb\"c,d\r\n"); // 13-14: error on line 14 ends it there
    file.extend(b"2024-01-10,a01,14,ok\r\n"); // 15
    file.extend(b"2024-01-11,a01,15,x,y\r\n"); // 16: five fields
    file.extend(b"2024-01-12,a01,16,\"caf\xc3\"\r\n"); // 17: invalid UTF-8 inside quotes
    file.extend(b"2024-01-13,a01,17,\"never closed\r\n"); // 18: unterminated: the rest
    file.extend(b"2024-01-14,a01,18,swallowed\r\n"); // 19
    file.extend(b"\r\n"); // 20
    file.extend(b"2024-01-15,a01,19,swallowed too\r\n"); // 21
    let inbox = with_snapshots(&file);
    let (outcome, report) = snapshots(&inbox);

    let refused: Vec<(u64, &str)> = report
        .quarantine
        .iter()
        .map(|q| (q.line, q.reason.code()))
        .collect();
    let malformed = "MALFORMED_ROW";
    assert_eq!(
        refused,
        [
            (7, malformed),
            (8, malformed),
            (9, malformed),
            (10, malformed),
            (11, malformed),
            (13, malformed),
            (16, malformed),
            (17, malformed),
            (18, malformed)
        ]
    );
    assert_eq!(report.accepted_lines, [3, 5, 12, 15]);
    assert_eq!(report.rows_read, 13);

    let raw = |line: u64| {
        report
            .quarantine
            .iter()
            .find(|q| q.line == line)
            .expect("refused")
            .raw
            .as_str()
    };
    assert_eq!(raw(8), "2024-01-04,a01,8,\"quoted\"tail");
    assert_eq!(raw(10), "2024-01-06,a01,10, \"spaced\"");
    assert_eq!(raw(11), "2024-01-07,a01,11,caf\u{FFFD}");
    assert_eq!(raw(13), "2024-01-09,a01,13,\"a\r\nb\"c,d");
    assert_eq!(raw(17), "2024-01-12,a01,16,\"caf\u{FFFD}\"");
    assert_eq!(
        raw(18),
        "2024-01-13,a01,17,\"never closed\r\n2024-01-14,a01,18,swallowed\r\n\r\n2024-01-15,a01,19,swallowed too"
    );
    let detail = |line: u64| {
        report
            .quarantine
            .iter()
            .find(|q| q.line == line)
            .expect("refused")
            .detail
            .as_str()
    };
    assert!(
        detail(7).contains('3') && detail(7).contains('4'),
        "{}",
        detail(7)
    );
    assert!(detail(11).contains("UTF-8"), "{}", detail(11));

    // The accepted rows' values, read through the reordered header and the quoting.
    let values: Vec<(&str, _, u16, Option<u16>)> = outcome
        .accepted
        .iter()
        .map(|r| {
            (
                outcome.ids.resolve(r.worker),
                r.date,
                r.active_cases,
                r.new_assignments,
            )
        })
        .collect();
    assert_eq!(
        values,
        [
            ("a01", day("2024-01-01"), 5, None),
            ("a01", day("2024-01-02"), 6, None),
            ("a01", day("2024-01-08"), 12, None),
            ("a01", day("2024-01-10"), 14, None)
        ]
    );
    assert_eq!(report.warnings.len(), 1, "{:?}", report.warnings);
    assert!(
        report.warnings[0].contains("\"notes\""),
        "{}",
        report.warnings[0]
    );
}

#[test]
fn blank_lines_before_the_header_count_and_the_last_record_needs_no_line_end() {
    let inbox = Inbox::new();
    inbox
        .write(
            "offices.csv",
            "\n  \t\n\"OFFICE_ID\",Office_Name,caseload_standard\n\n\r\nN1,North,10\n\x0c\nS1,South,20\n   \t",
        )
        .write("job_history.csv", "worker_id,effective_date,action,office_id,role,reason\r\nw1,2020-01-01,HIRE,S1,OTHER,\r\nw2,2020-01-01,HIRE,N1,OTHER,");
    let run = run(&inbox);
    assert_eq!(run.accepted(Source::Offices), [6, 8]);
    assert_eq!(run.report(Source::Offices).rows_read, 2);
    assert_eq!(run.accepted(Source::JobHistory), [2, 3]);
    assert_eq!(run.report(Source::JobHistory).rows_read, 2);
}

#[test]
fn a_quote_error_in_a_later_line_of_a_quoted_field_ends_the_record_there() {
    // Line 3 opens a quoted field that closes on line 5 and is followed by text: the
    // record (line 3) ends at the end of line 5; line 6 is a record of its own.
    let inbox = Inbox::new();
    inbox
        .write(
            "offices.csv",
            "office_id,office_name,caseload_standard\nN1,North,10\nS1,\"South\nstill\nend\" x,10\nC1,Central,10\n",
        )
        .write(
            "job_history.csv",
            "worker_id,effective_date,action,office_id,role,reason\n",
        );
    let run = run(&inbox);
    assert_eq!(run.refused(Source::Offices), [(3, "MALFORMED_ROW")]);
    assert_eq!(run.accepted(Source::Offices), [2, 6]);
    assert_eq!(
        run.row(Source::Offices, 3).raw,
        "S1,\"South\nstill\nend\" x,10"
    );
    assert_eq!(run.report(Source::JobHistory).rows_read, 0);
}

#[test]
fn an_unterminated_quote_on_the_last_line_is_one_record() {
    let inbox = Inbox::new();
    inbox
        .write(
            "offices.csv",
            "office_id,office_name,caseload_standard\nN1,North,10\nS1,\"South,10",
        )
        .write(
            "job_history.csv",
            "worker_id,effective_date,action,office_id,role,reason\n",
        );
    let run = run(&inbox);
    assert_eq!(run.refused(Source::Offices), [(3, "MALFORMED_ROW")]);
    assert_eq!(run.row(Source::Offices, 3).raw, "S1,\"South,10");
    assert_eq!(run.accepted(Source::Offices), [2]);
}

#[test]
fn quoted_and_unquoted_fields_with_padding_compare_equal() {
    // Trimming comes after unquoting: `" N1 "` is N1, so line 3 duplicates line 2.
    let inbox = Inbox::new();
    inbox
        .write(
            "offices.csv",
            "office_id,office_name,caseload_standard\nN1,North,10\n\" N1 \",\"North \",\"010\"\n",
        )
        .write(
            "job_history.csv",
            "worker_id,effective_date,action,office_id,role,reason\n",
        );
    let run = run(&inbox);
    assert_eq!(run.refused(Source::Offices), [(3, "DUPLICATE")]);
}

/// Regression: two adjacent fields each holding half of a UTF-8 character (`\xC3` and
/// `\xA9`) concatenate into valid UTF-8 in the unquoted data, so the record passed the
/// UTF-8 check and then panicked when a field was sliced off mid-character. The record's
/// bytes are invalid UTF-8: MALFORMED_ROW (and in a header, a header that is not valid).
#[test]
fn fields_splitting_a_character_are_invalid_utf8_not_a_panic() {
    let inbox = Inbox::new();
    inbox
        .write(
            "offices.csv",
            b"office_id,office_name,caseload_standard\nN1,\xC3,\xA9\nS1,\"\xC3\",\"\xA9\"\nC1,Central,10\n",
        )
        .write(
            "job_history.csv",
            "worker_id,effective_date,action,office_id,role,reason\n",
        );
    let run = run(&inbox);
    assert_eq!(
        run.refused(Source::Offices),
        [(2, "MALFORMED_ROW"), (3, "MALFORMED_ROW")]
    );
    assert_eq!(run.row(Source::Offices, 2).raw, "N1,\u{FFFD},\u{FFFD}");
    assert_eq!(run.accepted(Source::Offices), [4]);

    let header = Inbox::new();
    header.write(
        "offices.csv",
        b"office_id,office_name,caseload_standard,\xC3,\xA9\n",
    );
    let ctx = retention_ingest::Context {
        row: retention_contract::rows::RowContext {
            as_of: crate::support::as_of(),
        },
        offices: None,
        roster: None,
    };
    let err =
        retention_ingest::ingest_offices(header.file(Source::Offices), &ctx, &|_| {}).unwrap_err();
    assert!(
        matches!(
            err,
            retention_ingest::IngestError::BadHeader { line: 1, .. }
        ),
        "{err:?}"
    );
}

/// A file more than twice the framer's 1 MiB buffer, with records spanning two lines and
/// CRLF line ends, so that records, escaped quotes and CRLF pairs straddle refills.
#[test]
fn records_straddling_buffer_refills_keep_their_lines() {
    let rows = 40_000;
    let mut file = String::from("office_id,office_name,caseload_standard\r\n");
    for i in 0..rows {
        // Lengths vary so that buffer ends fall at many different offsets in a record.
        let pad = "x".repeat(i % 37);
        file.push_str(&format!(
            "O{i},\"Office \"\"{i}\"\"{pad}\r\nsecond line\",{}\r\n",
            i % 100 + 1
        ));
    }
    file.push_str("Z1,\"never closed\r\n");
    assert!(file.len() > 2 << 20, "{}", file.len());
    let inbox = Inbox::new();
    inbox.write("offices.csv", &file).write(
        "job_history.csv",
        "worker_id,effective_date,action,office_id,role,reason\n",
    );
    let run = run(&inbox);
    let expected: Vec<u64> = (0..rows as u64).map(|i| 2 + 2 * i).collect();
    assert_eq!(run.accepted(Source::Offices), expected);
    assert_eq!(
        run.refused(Source::Offices),
        [(2 + 2 * rows as u64, "MALFORMED_ROW")]
    );
    assert_eq!(run.staff.offices.ids.len(), rows);
    assert_eq!(&*run.staff.offices.ids[rows - 1], format!("O{}", rows - 1));
}
