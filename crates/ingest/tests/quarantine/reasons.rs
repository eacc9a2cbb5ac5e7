//! The fifteen quarantine reasons of CONTRACT.md section 2 on one hand-written agency
//! inbox (as-of 2025-06-30). Each fixture line carries its line number and, when it is
//! refused, the reason it must get and why; the expected lists below repeat them.

use crate::support::{Inbox, Run, csv, day, run};
use retention_contract::history::{Segment, Spell};
use retention_contract::{Reason, Role, Source, Sym, TermReason};
use std::collections::BTreeSet;

// One fixture line per file line, numbered: rustfmt would split them.
#[rustfmt::skip]
pub const OFFICES: &[&str] = &[
    /* 1 */ "office_id,office_name,region,caseload_standard",
    /* 2 */ "N1,North,Upstate,12",
    /* 3 */ "S1,South,,15",
    /* 4 */ "ALL,Everywhere,,10", // BAD_ID: reserved
    /* 5 */ "E1,,East,10", // MISSING_REQUIRED: office_name
    /* 6 */ "W1,West,,abc", // BAD_NUMBER
    /* 7 */ "W2,West Two,,0", // OUT_OF_RANGE: 1..100
    /* 8 */ " N1 , North ,Upstate,0012", // DUPLICATE of 2: trimmed, 0012 = 12
    /* 9 */ "S1,South Annex,,15", // DUPLICATE_KEY of 3
    /* 10 */ "S1,South Annex,,15", // DUPLICATE of 9, itself a DUPLICATE_KEY row
    /* 11 */ "X1,\"Broken\"x,,1", // MALFORMED_ROW: text after a closing quote
    /* 12 */ "C1,Central,,20",
    /* 13 */ "E2,East,,101", // OUT_OF_RANGE
];

// One fixture line per file line, numbered: rustfmt would split them.
#[rustfmt::skip]
pub const JOB_HISTORY: &[&str] = &[
    /* 1 */ "worker_id,effective_date,action,office_id,role,fte,reason,supervisor_id",
    /* 2 */ "a01,2020-01-06,HIRE,N1,CASEWORKER,1.0,,",
    /* 3 */ "a01,2021-03-01,TRANSFER,S1,,0.5,,",
    /* 4 */ "a01,2022-06-30,TERMINATION,not an id!,,,voluntary,", // office ignored on TERMINATION
    /* 5 */ "a01,2023-01-09,REHIRE,C1,INVESTIGATOR,,,a02",
    /* 6 */ "a02,2019-05-01,HIRE,S1,SUPERVISOR,1.0,whatever,", // reason ignored on HIRE
    /* 7 */ " a02 ,5/1/2019,hire,S1,supervisor,1,something else,", // DUPLICATE of 6
    /* 8 */ "a01,1/6/2020,TRANSFER,N1,,,,", // DUPLICATE_KEY of 2
    /* 9 */ "a03,2021-01-01,TRANSFER,N1,,,,", // INVALID_TRANSITION: not employed
    /* 10 */ "a03,2021-02-01,TERMINATION,,,,RETIREMENT,", // INVALID_TRANSITION: not employed
    /* 11 */ "a04,2021-01-15,TERMINATION,,,,INVOLUNTARY,", // valid: replay is in date order
    /* 12 */ "a04,2020-01-01,HIRE,N1,CASEWORKER,,,",
    /* 13 */ "a04,2020-06-01,HIRE,S1,CASEWORKER,,,", // INVALID_TRANSITION: already employed
    /* 14 */ "a04,2020-09-01,TRANSFER,C1,,,,", // valid: as if 13 were absent
    /* 15 */ "a04,2021-02-01,TERMINATION,,,,OTHER,", // INVALID_TRANSITION: not employed
    /* 16 */ "a04,2021-03-01,REHIRE,N1,OTHER,0.8,,",
    /* 17 */ "a05,2020-01-01,HIRE,Z9,CASEWORKER,,,", // UNKNOWN_OFFICE
    /* 18 */ "a05,2020-02-01,TERMINATION,,,,VOLUNTARY,", // INVALID_TRANSITION: hire refused
    /* 19 */ "a06,2020-01-01,FIRE,,,,,", // UNKNOWN_CODE, not MISSING_REQUIRED (office, role)
    /* 20 */ "a07,2020-13-01,HIRE,N1,,,,", // MISSING_REQUIRED (role) beats BAD_DATE
    /* 21 */ "a08,2020-02-30,HIRE,N1,CASEWORKER,,,sup 1", // BAD_ID (later column) beats BAD_DATE
    /* 22 */ "a09,2020-01-01,HIRE,N1,CASEWORKER,full,,", // BAD_NUMBER
    /* 23 */ "a09,2020-01-02,HIRE,N1,CASEWORKER,1.5,,", // OUT_OF_RANGE: fte in (0, 1]
    /* 24 */ "a09,2025-07-01,HIRE,N1,CASEWORKER,,,", // FUTURE_DATED
    /* 25 */ "a10,2020-01-01,TERMINATION,,,,,", // MISSING_REQUIRED: reason
    /* 26 */ "a01,2022-06-30,termination,ZZ,,,VOLUNTARY,", // DUPLICATE of 4: office not compared
    /* 27 */ "a04,2024-12-31,TERMINATION,Z9,,,RETIREMENT,", // valid: office not checked (rule 12)
    /* 28 */ "a02,2019-05-01,HIRE,S1,SUPERVISOR,,,", // DUPLICATE_KEY: missing fte is not 1.0
    /* 29 */ "a11,1949-12-31,HIRE,N1,CASEWORKER,,,", // OUT_OF_RANGE: before 1950
    /* 30 */ "a12,2020-01-01,HIRE,W1,CASEWORKER,,,", // UNKNOWN_OFFICE: W1's row was refused
    /* 31 */ "a13,2020-01-01,HIRE,n1,CASEWORKER,,,", // UNKNOWN_OFFICE: ids are case-sensitive
];

// Spells after the replay: a01 2020-01-06..2022-06-30 and 2023-01-09..; a02 2019-05-01..;
// a04 2020-01-01..2021-01-15 and 2021-03-01..2024-12-31. a03, a05, a09 have none.
// One fixture line per file line, numbered: rustfmt would split them.
#[rustfmt::skip]
pub const CASELOAD_SNAPSHOTS: &[&str] = &[
    /* 1 */ "worker_id,snapshot_date,active_cases,new_assignments,removals",
    /* 2 */ "a01,2020-01-06,7,,",
    /* 3 */ "a01 ,1/6/2020,07,,", // DUPLICATE of 2
    /* 4 */ "a01,2020-01-06,8,,", // DUPLICATE_KEY of 2
    /* 5 */ "a01,2022-06-30,10,1,0", // the termination date is employed
    /* 6 */ "a01,2022-07-01,10,,", // NOT_EMPLOYED: between TERMINATION and REHIRE
    /* 7 */ "a01,2023-01-08,10,,", // NOT_EMPLOYED: the day before the REHIRE
    /* 8 */ "a01,2023-01-09,10,,",
    /* 9 */ "a03,2021-01-15,5,,", // UNKNOWN_WORKER: only INVALID_TRANSITION rows
    /* 10 */ "zz9,2021-01-15,5,,", // UNKNOWN_WORKER: no rows at all
    /* 11 */ "a09,2021-01-15,5,,", // UNKNOWN_WORKER: rows refused by rules 1-8
    /* 12 */ "a01,2019-12-31,5,,", // NOT_EMPLOYED: before the HIRE
    /* 13 */ "a01,2025-07-01,5,,", // FUTURE_DATED
    /* 14 */ "a01,1949-12-31,5,,", // OUT_OF_RANGE: date
    /* 15 */ "a01,2024-01-01,1001,,", // OUT_OF_RANGE
    /* 16 */ "a01,2024-01-02,-3,,", // OUT_OF_RANGE: -3 is a number
    /* 17 */ "a01,2024-01-03,3.0,,", // BAD_NUMBER: not an integer
    /* 18 */ "a01,2021-02-29,3,,", // BAD_DATE: not a calendar date
    /* 19 */ "a01,2024-01-04,,,", // MISSING_REQUIRED
    /* 20 */ "a01,2024-01-05,5,0,101", // OUT_OF_RANGE: removals 0..100
    /* 21 */ "a01,2024-01-06,5,,",
    /* 22 */ "a04,2021-02-15,5,,", // NOT_EMPLOYED: gap of a04
    /* 23 */ "a04,2020-06-01,5,,", // employed: the refused HIRE did not end anything
    /* 24 */ "a05,2020-01-15,5,,", // UNKNOWN_WORKER: UNKNOWN_OFFICE and INVALID_TRANSITION rows
    /* 25 */ "a01,2025-06-30,5,,", // as-of itself
    /* 26 */ "a01,2020-01-06,8,,", // DUPLICATE of the DUPLICATE_KEY row 4
    /* 27 */ "a01,2022-07-01,10,,", // DUPLICATE of 6, which passed 1-8
    /* 28 */ "a04,2025-01-01,5,,", // NOT_EMPLOYED: after a04's last TERMINATION
    /* 29 */ "a01,2020-01-06,7,0,", // DUPLICATE_KEY of 2: a missing field equals only missing
    /* 30 */ "A01,2024-01-01,5,,", // UNKNOWN_WORKER: ids are case-sensitive
];

// One fixture line per file line, numbered: rustfmt would split them.
#[rustfmt::skip]
pub const SUPERVISION_SESSIONS: &[&str] = &[
    /* 1 */ "session_id,worker_id,supervisor_id,session_date,minutes,format,focus",
    /* 2 */ "s1,a01,a02,2023-02-01,60,individual,case",
    /* 3 */ "s1,a02,a02,2023-02-01,60,GROUP,", // another attendee: another key
    /* 4 */ "s2,a01,,2023-02-02,60,ONLINE,", // UNKNOWN_CODE
    /* 5 */ "s3,a01,,2023-02-03,0,GROUP,", // OUT_OF_RANGE: 1..600
    /* 6 */ "s4,a01,,2022-08-01,30,GROUP,", // NOT_EMPLOYED
    /* 7 */ "s1,a01,a02,2023-02-01,60,INDIVIDUAL,CASE", // DUPLICATE of 2: codes ignore case
    /* 8 */ "s1,a01,a02,2023-02-01,90,INDIVIDUAL,CASE", // DUPLICATE_KEY of 2
    /* 9 */ "s5,a01,,2023-02-05,601,BAD,", // UNKNOWN_CODE (later column) beats OUT_OF_RANGE
    /* 10 */ "s6,a01,,2023-02-06,60,GROUP,GOSSIP", // UNKNOWN_CODE: focus
    /* 11 */ "s7,a01,ALL,2023-02-07,60,GROUP,", // BAD_ID: supervisor_id
    /* 12 */ "s8,a01,,2023-02-08,60,,", // MISSING_REQUIRED: format
    /* 13 */ "s9,a01,,2023-02-09,60,GROUP,peer_support",
];

// One fixture line per file line, numbered: rustfmt would split them.
#[rustfmt::skip]
pub const SURVEY_RESPONSES: &[&str] = &[
    /* 1 */ "response_id,worker_id,administered_on,instrument,item,value",
    /* 2 */ "r1,a01,2023-03-01,BRS,1,4",
    /* 3 */ "r1,a01,3/1/2023,brs,2,5",
    /* 4 */ "r1,a02,2023-03-01,BRS,3,2", // INCONSISTENT_RESPONSE: worker_id
    /* 5 */ "r1,a01,2023-03-02,BRS,4,2", // INCONSISTENT_RESPONSE: administered_on
    /* 6 */ "r1,a01,2023-03-01,STSS,5,2", // INCONSISTENT_RESPONSE: instrument
    /* 7 */ "r1,a01,2023-03-01,BRS,7,2", // OUT_OF_RANGE: BRS has 6 items
    /* 8 */ "r1,a01,2023-03-01,BRS,2,3", // DUPLICATE_KEY of 3
    /* 9 */ "r1,a01,2023-03-01,BRS,02,5", // DUPLICATE of 3
    /* 10 */ "r2,a03,2023-03-01,STSS,1,3", // UNKNOWN_WORKER
    /* 11 */ "r3,a02,2023-03-01,PROQOL5,30,0", // OUT_OF_RANGE: value 1..5
    /* 12 */ "r4,a01,2022-09-01,STSS,1,1", // NOT_EMPLOYED (yet r4's first row: it passed 1-10)
    /* 13 */ "r5,a02,2024-05-01,STSS,1,9", // OUT_OF_RANGE (so not r5's first row)
    /* 14 */ "r5,a02,2024-05-02,STSS,2,3", // r5's first row
    /* 15 */ "r5,a02,2024-05-01,STSS,3,3", // INCONSISTENT_RESPONSE: differs from 14, not 13
    /* 16 */ "r6,a02,2024-05-01,XYZ,99,3", // UNKNOWN_CODE
    /* 17 */ "r7,a02,2024-05-01,PROQOL5,31,3", // OUT_OF_RANGE: PROQOL5 has 30 items
    /* 18 */ "r4,a01,2023-09-01,STSS,2,1", // INCONSISTENT_RESPONSE with 12
];

// One fixture line per file line, numbered: rustfmt would split them.
#[rustfmt::skip]
pub const PROGRAM_ENROLLMENTS: &[&str] = &[
    /* 1 */ "worker_id,program,cohort_id,start_date,end_date,sessions_offered,sessions_attended",
    /* 2 */ "a01,RESILIENCE_ALLIANCE,c2023,2023-02-01,2025-12-31,12,10", // end_date may be after as-of
    /* 3 */ "a02,support_group,c1,2025-06-30,,,",
    /* 4 */ "a02,SUPPORT_GROUP,c2,2025-07-01,,,", // FUTURE_DATED: start_date
    /* 5 */ "a02,OTHER,c3,2024-01-01,2023-12-31,,", // OUT_OF_RANGE: end before start
    /* 6 */ "a02,OTHER,c4,2024-01-01,,5,6", // OUT_OF_RANGE: attended > offered
    /* 7 */ "a02,YOGA,c5,2024-01-01,,,", // UNKNOWN_CODE
    /* 8 */ "a01,OTHER,c6,2022-10-01,,,", // NOT_EMPLOYED: start_date in a01's gap
    /* 9 */ "a02,OTHER,all,2024-01-01,,,", // BAD_ID: ALL in any case
    /* 10 */ "a01,RESILIENCE_ALLIANCE,c2023,2023-02-01,2025-12-31,12,9", // DUPLICATE_KEY of 2
    /* 11 */ "a02,OTHER,c7,2024-01-01,2024-02-30,,", // BAD_DATE: end_date
    /* 12 */ "a02,OTHER,c8,2024-01-01,,,1001", // OUT_OF_RANGE: 0..1000 without offered
    /* 13 */ "a02,OTHER,c9,2024-01-01,,,1000",
    /* 14 */ "zz9,OTHER,c9,2024-01-01,,,", // UNKNOWN_WORKER
    /* 15 */ "a02,OTHER,c10,2025-08-01,2025-07-15,,", // OUT_OF_RANGE (7) beats FUTURE_DATED (8)
];

/// The agency inbox, every source as plain CSV.
pub fn agency() -> Inbox {
    let inbox = Inbox::new();
    inbox
        .write("offices.csv", csv(OFFICES))
        .write("job_history.csv", csv(JOB_HISTORY))
        .write("caseload_snapshots.csv", csv(CASELOAD_SNAPSHOTS))
        .write("supervision_sessions.csv", csv(SUPERVISION_SESSIONS))
        .write("survey_responses.csv", csv(SURVEY_RESPONSES))
        .write("program_enrollments.csv", csv(PROGRAM_ENROLLMENTS));
    inbox
}

/// Every refused row of the agency inbox, by hand.
pub const EXPECTED: &[(&str, u64, &str)] = &[
    ("offices", 4, "BAD_ID"),
    ("offices", 5, "MISSING_REQUIRED"),
    ("offices", 6, "BAD_NUMBER"),
    ("offices", 7, "OUT_OF_RANGE"),
    ("offices", 8, "DUPLICATE"),
    ("offices", 9, "DUPLICATE_KEY"),
    ("offices", 10, "DUPLICATE"),
    ("offices", 11, "MALFORMED_ROW"),
    ("offices", 13, "OUT_OF_RANGE"),
    ("job_history", 7, "DUPLICATE"),
    ("job_history", 8, "DUPLICATE_KEY"),
    ("job_history", 9, "INVALID_TRANSITION"),
    ("job_history", 10, "INVALID_TRANSITION"),
    ("job_history", 13, "INVALID_TRANSITION"),
    ("job_history", 15, "INVALID_TRANSITION"),
    ("job_history", 17, "UNKNOWN_OFFICE"),
    ("job_history", 18, "INVALID_TRANSITION"),
    ("job_history", 19, "UNKNOWN_CODE"),
    ("job_history", 20, "MISSING_REQUIRED"),
    ("job_history", 21, "BAD_ID"),
    ("job_history", 22, "BAD_NUMBER"),
    ("job_history", 23, "OUT_OF_RANGE"),
    ("job_history", 24, "FUTURE_DATED"),
    ("job_history", 25, "MISSING_REQUIRED"),
    ("job_history", 26, "DUPLICATE"),
    ("job_history", 28, "DUPLICATE_KEY"),
    ("job_history", 29, "OUT_OF_RANGE"),
    ("job_history", 30, "UNKNOWN_OFFICE"),
    ("job_history", 31, "UNKNOWN_OFFICE"),
    ("caseload_snapshots", 3, "DUPLICATE"),
    ("caseload_snapshots", 4, "DUPLICATE_KEY"),
    ("caseload_snapshots", 6, "NOT_EMPLOYED"),
    ("caseload_snapshots", 7, "NOT_EMPLOYED"),
    ("caseload_snapshots", 9, "UNKNOWN_WORKER"),
    ("caseload_snapshots", 10, "UNKNOWN_WORKER"),
    ("caseload_snapshots", 11, "UNKNOWN_WORKER"),
    ("caseload_snapshots", 12, "NOT_EMPLOYED"),
    ("caseload_snapshots", 13, "FUTURE_DATED"),
    ("caseload_snapshots", 14, "OUT_OF_RANGE"),
    ("caseload_snapshots", 15, "OUT_OF_RANGE"),
    ("caseload_snapshots", 16, "OUT_OF_RANGE"),
    ("caseload_snapshots", 17, "BAD_NUMBER"),
    ("caseload_snapshots", 18, "BAD_DATE"),
    ("caseload_snapshots", 19, "MISSING_REQUIRED"),
    ("caseload_snapshots", 20, "OUT_OF_RANGE"),
    ("caseload_snapshots", 22, "NOT_EMPLOYED"),
    ("caseload_snapshots", 24, "UNKNOWN_WORKER"),
    ("caseload_snapshots", 26, "DUPLICATE"),
    ("caseload_snapshots", 27, "DUPLICATE"),
    ("caseload_snapshots", 28, "NOT_EMPLOYED"),
    ("caseload_snapshots", 29, "DUPLICATE_KEY"),
    ("caseload_snapshots", 30, "UNKNOWN_WORKER"),
    ("supervision_sessions", 4, "UNKNOWN_CODE"),
    ("supervision_sessions", 5, "OUT_OF_RANGE"),
    ("supervision_sessions", 6, "NOT_EMPLOYED"),
    ("supervision_sessions", 7, "DUPLICATE"),
    ("supervision_sessions", 8, "DUPLICATE_KEY"),
    ("supervision_sessions", 9, "UNKNOWN_CODE"),
    ("supervision_sessions", 10, "UNKNOWN_CODE"),
    ("supervision_sessions", 11, "BAD_ID"),
    ("supervision_sessions", 12, "MISSING_REQUIRED"),
    ("survey_responses", 4, "INCONSISTENT_RESPONSE"),
    ("survey_responses", 5, "INCONSISTENT_RESPONSE"),
    ("survey_responses", 6, "INCONSISTENT_RESPONSE"),
    ("survey_responses", 7, "OUT_OF_RANGE"),
    ("survey_responses", 8, "DUPLICATE_KEY"),
    ("survey_responses", 9, "DUPLICATE"),
    ("survey_responses", 10, "UNKNOWN_WORKER"),
    ("survey_responses", 11, "OUT_OF_RANGE"),
    ("survey_responses", 12, "NOT_EMPLOYED"),
    ("survey_responses", 13, "OUT_OF_RANGE"),
    ("survey_responses", 15, "INCONSISTENT_RESPONSE"),
    ("survey_responses", 16, "UNKNOWN_CODE"),
    ("survey_responses", 17, "OUT_OF_RANGE"),
    ("survey_responses", 18, "INCONSISTENT_RESPONSE"),
    ("program_enrollments", 4, "FUTURE_DATED"),
    ("program_enrollments", 5, "OUT_OF_RANGE"),
    ("program_enrollments", 6, "OUT_OF_RANGE"),
    ("program_enrollments", 7, "UNKNOWN_CODE"),
    ("program_enrollments", 8, "NOT_EMPLOYED"),
    ("program_enrollments", 9, "BAD_ID"),
    ("program_enrollments", 10, "DUPLICATE_KEY"),
    ("program_enrollments", 11, "BAD_DATE"),
    ("program_enrollments", 12, "OUT_OF_RANGE"),
    ("program_enrollments", 14, "UNKNOWN_WORKER"),
    ("program_enrollments", 15, "OUT_OF_RANGE"),
];

/// `(source, rows_read, accepted lines)` of the agency inbox, by hand.
const ACCEPTED: &[(Source, u64, &[u64])] = &[
    (Source::Offices, 12, &[2, 3, 12]),
    (Source::JobHistory, 30, &[2, 3, 4, 5, 6, 11, 12, 14, 16, 27]),
    (Source::CaseloadSnapshots, 29, &[2, 5, 8, 21, 23, 25]),
    (Source::SupervisionSessions, 12, &[2, 3, 13]),
    (Source::SurveyResponses, 17, &[2, 3, 14]),
    (Source::ProgramEnrollments, 14, &[2, 3, 13]),
];

fn agency_run() -> Run {
    run(&agency())
}

#[test]
fn every_refused_row_of_the_agency_inbox_has_its_hand_written_reason() {
    let run = agency_run();
    let got = run.all_refused();
    for (i, (want, got)) in EXPECTED.iter().zip(&got).enumerate() {
        assert_eq!(want, got, "refused row #{i}");
    }
    assert_eq!(got.len(), EXPECTED.len(), "number of refused rows");
}

#[test]
fn every_source_accounts_for_every_row() {
    let run = agency_run();
    for &(source, rows_read, lines) in ACCEPTED {
        let report = run.report(source);
        assert_eq!(report.rows_read, rows_read, "{source}: rows_read");
        assert_eq!(report.accepted_lines, lines, "{source}: accepted lines");
        let refused = EXPECTED.iter().filter(|e| e.0 == source.name()).count() as u64;
        assert_eq!(
            report.quarantine.len() as u64,
            refused,
            "{source}: quarantined"
        );
        assert_eq!(
            rows_read,
            lines.len() as u64 + refused,
            "{source}: the fixture's own arithmetic"
        );
        assert!(
            report.warnings.is_empty(),
            "{source}: {:?}",
            report.warnings
        );
    }
}

#[test]
fn the_agency_inbox_exercises_all_fifteen_reasons() {
    let run = agency_run();
    let seen: BTreeSet<Reason> = run
        .reports
        .iter()
        .flat_map(|r| r.quarantine.iter().map(|q| q.reason))
        .collect();
    assert_eq!(seen, Reason::ALL.into_iter().collect::<BTreeSet<_>>());
}

#[test]
fn details_name_the_column_and_the_value() {
    let run = agency_run();
    let cases: &[(Source, u64, &[&str])] = &[
        (Source::Offices, 6, &["caseload_standard", "\"abc\""]),
        (Source::Offices, 8, &["line 2"]),
        (Source::Offices, 9, &["office_id", "line 3"]),
        (Source::JobHistory, 20, &["role"]),
        (Source::JobHistory, 21, &["supervisor_id", "\"sup 1\""]),
        (
            Source::JobHistory,
            15,
            &["TERMINATION", "2021-02-01", "\"a04\""],
        ),
        (Source::JobHistory, 17, &["office_id", "\"Z9\""]),
        (Source::JobHistory, 19, &["action", "\"FIRE\""]),
        (
            Source::CaseloadSnapshots,
            6,
            &["snapshot_date", "2022-07-01", "\"a01\""],
        ),
        (Source::CaseloadSnapshots, 10, &["worker_id", "\"zz9\""]),
        (Source::CaseloadSnapshots, 16, &["active_cases", "\"-3\""]),
        (Source::SupervisionSessions, 9, &["format", "\"BAD\""]),
        (
            Source::SurveyResponses,
            4,
            &["worker_id", "\"a02\"", "\"r1\""],
        ),
        (
            Source::SurveyResponses,
            5,
            &["administered_on", "2023-03-02"],
        ),
        (
            Source::SurveyResponses,
            12,
            &["administered_on", "2022-09-01"],
        ),
        (
            Source::ProgramEnrollments,
            6,
            &["sessions_attended", "\"6\""],
        ),
        (Source::ProgramEnrollments, 8, &["start_date", "2022-10-01"]),
        (
            Source::ProgramEnrollments,
            15,
            &["end_date", "\"2025-07-15\""],
        ),
    ];
    for &(source, line, words) in cases {
        let detail = &run.row(source, line).detail;
        for word in words {
            assert!(
                detail.contains(word),
                "{source} line {line}: {detail:?} should contain {word:?}"
            );
        }
    }
}

#[test]
fn raw_is_the_record_text_as_written() {
    let run = agency_run();
    assert_eq!(run.row(Source::Offices, 11).raw, "X1,\"Broken\"x,,1");
    assert_eq!(
        run.row(Source::JobHistory, 7).raw,
        " a02 ,5/1/2019,hire,S1,supervisor,1,something else,"
    );
    // Refused after the stream ended (rule 14): the raw kept for accepted rows is used.
    assert_eq!(
        run.row(Source::JobHistory, 13).raw,
        "a04,2020-06-01,HIRE,S1,CASEWORKER,,,"
    );
    assert_eq!(
        run.row(Source::CaseloadSnapshots, 3).raw,
        "a01 ,1/6/2020,07,,"
    );
}

#[test]
fn replay_orders_by_date_and_continues_as_if_invalid_rows_were_absent() {
    let run = agency_run();
    let roster = &run.staff.roster;
    let ids: Vec<&str> = run.staff.offices.ids.iter().map(|s| &**s).collect();
    assert_eq!(ids, ["N1", "S1", "C1"]);
    let (n1, s1, c1) = (Sym(0), Sym(1), Sym(2));
    let workers: Vec<&str> = roster.worker_ids.iter().map(|s| &**s).collect();
    assert_eq!(
        workers,
        ["a01", "a02", "a04"],
        "a03, a05 and a09 have no accepted row"
    );

    let seg = |from: &str, office, role, fte| Segment {
        from: day(from),
        office,
        role,
        fte,
    };
    let a01 = vec![
        Spell {
            start: day("2020-01-06"),
            end: Some(day("2022-06-30")),
            end_reason: Some(TermReason::Voluntary),
            segments: vec![
                seg("2020-01-06", n1, Role::Caseworker, 1.0),
                // A TRANSFER without a role keeps it; its fte replaces the old one.
                seg("2021-03-01", s1, Role::Caseworker, 0.5),
            ],
        },
        Spell {
            start: day("2023-01-09"),
            end: None,
            end_reason: None,
            segments: vec![seg("2023-01-09", c1, Role::Investigator, 1.0)],
        },
    ];
    let a02 = vec![Spell {
        start: day("2019-05-01"),
        end: None,
        end_reason: None,
        segments: vec![seg("2019-05-01", s1, Role::Supervisor, 1.0)],
    }];
    // Line 11 (TERMINATION) comes first in the file but last in date order; the refused
    // HIRE of 2020-06-01 neither starts a spell nor changes the office.
    let a04 = vec![
        Spell {
            start: day("2020-01-01"),
            end: Some(day("2021-01-15")),
            end_reason: Some(TermReason::Involuntary),
            segments: vec![
                seg("2020-01-01", n1, Role::Caseworker, 1.0),
                seg("2020-09-01", c1, Role::Caseworker, 1.0),
            ],
        },
        Spell {
            start: day("2021-03-01"),
            end: Some(day("2024-12-31")),
            end_reason: Some(TermReason::Retirement),
            segments: vec![seg("2021-03-01", n1, Role::Other, 0.8)],
        },
    ];
    assert_eq!(roster.spells, vec![a01, a02, a04]);

    let a04 = roster.worker("a04").expect("a04");
    assert_eq!(
        roster.office_on(a04, day("2020-06-01")),
        Some(0),
        "still N1 on the refused HIRE's date"
    );
    assert_eq!(roster.office_on(a04, day("2020-09-01")), Some(2));
    assert_eq!(roster.office_on(a04, day("2021-02-01")), None);
    assert_eq!(roster.worker("a03"), None);
}

#[test]
fn invalid_transition_details_say_why() {
    let run = agency_run();
    assert!(
        run.row(Source::JobHistory, 13)
            .detail
            .contains("already employed")
    );
    assert!(
        run.row(Source::JobHistory, 9)
            .detail
            .contains("not employed")
    );
}

/// Regression: an end_date before a start_date that is itself after as-of was refused as
/// FUTURE_DATED (rule 8), because the end/start comparison was skipped once start_date
/// had failed its as-of check; the end_date is still out of its range, and rule 7 ranks
/// first.
#[test]
fn enrollment_end_before_a_future_start_is_out_of_range_not_future_dated() {
    let run = agency_run();
    assert_eq!(
        run.row(Source::ProgramEnrollments, 15).reason,
        Reason::OutOfRange
    );
    assert_eq!(
        run.row(Source::ProgramEnrollments, 4).reason,
        Reason::FutureDated
    );
}

/// Focused precedence cases, each row on its own so that no other rule interferes.
#[test]
fn precedence_between_two_applicable_reasons() {
    #[rustfmt::skip]
    const JOBS: &[&str] = &[
        /* 1 */ "worker_id,effective_date,action,office_id,role,fte,reason",
        /* 2 */ "w1,2020-01-01,HIRE,N1,CASEWORKER,,",
        /* 3 */ ",2020-02-30,HIRE,N1,CASEWORKER,,", // MISSING_REQUIRED beats BAD_DATE
        /* 4 */ "w2,2020-02-30,HIRE,N 1,CASEWORKER,,", // BAD_ID (later) beats BAD_DATE
        /* 5 */ "w3,2020-01-01,PROMOTE,,,,", // UNKNOWN_CODE, office and role not required
        /* 6 */ "w3,2020-01-01,PROMOTE,N1,BOSS,,", // UNKNOWN_CODE; role is also unknown
        /* 7 */ "w4,2020-01-01,HIRE,N1,CASEWORKER,x,", // BAD_NUMBER beats nothing else
        /* 8 */ "w4,2020-01-02,HIRE,N1,CHIEF,0,", // UNKNOWN_CODE (role) beats OUT_OF_RANGE (fte)
        /* 9 */ "w4,2030-01-03,HIRE,N1,CASEWORKER,2,", // OUT_OF_RANGE beats FUTURE_DATED
        /* 10 */ "w4,2030-01-04,HIRE,Q7,CASEWORKER,,", // FUTURE_DATED beats UNKNOWN_OFFICE
        /* 11 */ "w1,2020-01-01,HIRE,Q7,CASEWORKER,,", // DUPLICATE_KEY beats UNKNOWN_OFFICE
        /* 12 */ "w5,2020-01-01,TRANSFER,Q7,,,", // UNKNOWN_OFFICE beats INVALID_TRANSITION
        /* 13 */ "w6,2020-01-01,TERMINATION,,,,", // MISSING_REQUIRED: reason
        /* 14 */ "w6,2020-01-01,TERMINATION,,,,bored", // UNKNOWN_CODE: reason
    ];
    let inbox = Inbox::new();
    inbox
        .write(
            "offices.csv",
            csv(&["office_id,office_name,caseload_standard", "N1,North,10"]),
        )
        .write("job_history.csv", csv(JOBS));
    let run = run(&inbox);
    assert_eq!(
        run.refused(Source::JobHistory),
        [
            (3, "MISSING_REQUIRED"),
            (4, "BAD_ID"),
            (5, "UNKNOWN_CODE"),
            (6, "UNKNOWN_CODE"),
            (7, "BAD_NUMBER"),
            (8, "UNKNOWN_CODE"),
            (9, "OUT_OF_RANGE"),
            (10, "FUTURE_DATED"),
            (11, "DUPLICATE_KEY"),
            (12, "UNKNOWN_OFFICE"),
            (13, "MISSING_REQUIRED"),
            (14, "UNKNOWN_CODE"),
        ]
    );
    assert_eq!(run.accepted(Source::JobHistory), [2]);
    assert!(run.row(Source::JobHistory, 3).detail.contains("worker_id"));
    assert!(run.row(Source::JobHistory, 4).detail.contains("\"N 1\""));
    assert!(
        run.row(Source::JobHistory, 6).detail.contains("action"),
        "the earlier column is named"
    );
    assert!(run.row(Source::JobHistory, 8).detail.contains("\"CHIEF\""));
}

#[test]
fn hire_and_rehire_are_not_told_apart_and_a_same_office_transfer_is_valid() {
    #[rustfmt::skip]
    const JOBS: &[&str] = &[
        /* 1 */ "worker_id,effective_date,action,office_id,role,fte,reason",
        /* 2 */ "w1,2020-01-01,REHIRE,N1,CASEWORKER,,", // a first spell may start with REHIRE
        /* 3 */ "w1,2020-02-01,TRANSFER,N1,SUPERVISOR,0.5,", // same office: valid
        /* 4 */ "w1,2020-03-01,REHIRE,S1,CASEWORKER,,", // INVALID_TRANSITION: employed
        /* 5 */ "w1,2020-04-01,TERMINATION,,,,OTHER",
        /* 6 */ "w1,2020-04-02,HIRE,S1,OTHER,,", // a later spell may start with HIRE
        /* 7 */ "w1,2020-04-03,TRANSFER,N1,,,",
    ];
    let inbox = Inbox::new();
    inbox
        .write(
            "offices.csv",
            csv(&[
                "office_id,office_name,caseload_standard",
                "N1,North,10",
                "S1,South,10",
            ]),
        )
        .write("job_history.csv", csv(JOBS));
    let run = run(&inbox);
    assert_eq!(run.refused(Source::JobHistory), [(4, "INVALID_TRANSITION")]);
    let (n1, s1) = (Sym(0), Sym(1));
    let seg = |from: &str, office, role, fte| Segment {
        from: day(from),
        office,
        role,
        fte,
    };
    assert_eq!(
        run.staff.roster.spells,
        vec![vec![
            Spell {
                start: day("2020-01-01"),
                end: Some(day("2020-04-01")),
                end_reason: Some(TermReason::Other),
                segments: vec![
                    seg("2020-01-01", n1, Role::Caseworker, 1.0),
                    seg("2020-02-01", n1, Role::Supervisor, 0.5)
                ],
            },
            Spell {
                start: day("2020-04-02"),
                end: None,
                end_reason: None,
                // A new spell starts from its own role and the default fte 1.0.
                segments: vec![
                    seg("2020-04-02", s1, Role::Other, 1.0),
                    seg("2020-04-03", n1, Role::Other, 1.0)
                ],
            },
        ]]
    );
}

/// The stale guard's date (CONTRACT.md section 2) is the latest of the *accepted* rows:
/// a job_history row the replay refuses, or any quarantined row, does not count.
#[test]
fn latest_activity_counts_accepted_rows_only() {
    let inbox = Inbox::new();
    inbox
        .write(
            "offices.csv",
            csv(&["office_id,office_name,caseload_standard", "N1,North,12"]),
        )
        .write(
            "job_history.csv",
            csv(&[
                "worker_id,effective_date,action,office_id,role,reason",
                "b1,2020-01-01,HIRE,N1,CASEWORKER,",
                "b1,2021-01-01,TERMINATION,,,VOLUNTARY",
                "b1,2024-05-01,TERMINATION,,,VOLUNTARY", // INVALID_TRANSITION: not employed
            ]),
        )
        .write(
            "caseload_snapshots.csv",
            csv(&[
                "worker_id,snapshot_date,active_cases",
                "b1,2020-06-30,4",
                "b1,2020-12-31,5",
                "b1,2022-03-01,6", // NOT_EMPLOYED
            ]),
        );
    let read = retention_ingest::ingest_inbox(
        &retention_ingest::InboxRequest {
            inbox: inbox.path(),
            as_of: crate::support::as_of(),
            optional: &Source::ALL[2..],
            progress: &retention_ingest::NoProgress,
        },
        &(),
    )
    .unwrap();
    let latest: Vec<_> = read.counts.iter().map(|c| c.latest_activity).collect();
    assert_eq!(
        latest,
        [
            None,
            Some(day("2021-01-01")),
            Some(day("2020-12-31")),
            None,
            None,
            None
        ]
    );
}
