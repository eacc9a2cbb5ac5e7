//! The derived tables of CONTRACT.md sections 3 and 4 on a hand-built inbox whose every
//! expected value was worked out by hand (the comments show the arithmetic).
//!
//! as-of 2024-03-31. Offices A (standard 10) and B (12).
//! W1: HIRE A 2023-12-10 as CASEWORKER; TRANSFER to B 2024-01-15 with fte 0.5;
//!     TERMINATION 2024-02-29 (VOLUNTARY, the last day worked); REHIRE A 2024-03-05 as
//!     INVESTIGATOR (fte back to the default 1.0).
//! W2: HIRE B 2023-06-01 as SUPERVISOR, fte 0.8; a second HIRE while employed is
//!     INVALID_TRANSITION and the replay carries on without it.
//! Pseudonyms use the key "test-key" (HMAC-SHA256, first 16 hex digits, computed
//! independently with Python's hmac): W1 = ef7f416ddf8af4f1, W2 = cc0347478c54c2cd.

use crate::util::{read_table, run, table_lines, write_inbox};

const W1: &str = "ef7f416ddf8af4f1";
const W2: &str = "cc0347478c54c2cd";

fn survey() -> String {
    let mut s = String::from("response_id,worker_id,administered_on,instrument,item,value\n");
    let mut add = |id: &str, worker: &str, date: &str, instrument: &str, values: &[(u8, u8)]| {
        for (item, value) in values {
            s.push_str(&format!(
                "{id},{worker},{date},{instrument},{item},{value}\n"
            ));
        }
    };
    // BRS 4,2,5,1,3,4 -> reversed 2,4,6: 4+4+5+5+3+2 = 23 -> 23/6
    add(
        "R1",
        "W2",
        "2023-10-15",
        "BRS",
        &[(1, 4), (2, 2), (3, 5), (4, 1), (5, 3), (6, 4)],
    );
    // STSS all 2: total 34 (mild), intrusion 10, avoidance 14, arousal 10
    add(
        "R2",
        "W2",
        "2024-01-31",
        "STSS",
        &(1..=17).map(|i| (i, 2)).collect::<Vec<_>>(),
    );
    // ProQOL all 3: every scale 10 * 3 = 30 (reversed 6 - 3 = 3), moderate
    add(
        "R5",
        "W1",
        "2024-02-10",
        "PROQOL5",
        &(1..=30).map(|i| (i, 3)).collect::<Vec<_>>(),
    );
    // STSS items 1-13 only: total needs 14 -> null; intrusion (2,3,6,10,13) complete -> 10;
    // avoidance 5 of 7 < 6 -> null; arousal 3 of 5 < 4 -> null
    add(
        "R6",
        "W2",
        "2024-03-20",
        "STSS",
        &(1..=13).map(|i| (i, 2)).collect::<Vec<_>>(),
    );
    // Same day, two BRS responses: "R9" > "R10" in byte order, so R9 is the latest.
    add(
        "R9",
        "W2",
        "2024-01-31",
        "BRS",
        &[(1, 5), (2, 1), (3, 5), (4, 1), (5, 5), (6, 1)],
    ); // all 5 after reversal
    add(
        "R10",
        "W2",
        "2024-01-31",
        "BRS",
        &(1..=6).map(|i| (i, 3)).collect::<Vec<_>>(),
    ); // 3.0
    s
}

fn inbox(dir: &std::path::Path) {
    write_inbox(
        dir,
        &[
            (
                "offices.csv",
                "office_id,office_name,region,caseload_standard\nA,Alpha,North,10\nB,Beta,,12\n",
            ),
            (
                "job_history.csv",
                "worker_id,effective_date,action,office_id,role,fte,reason,supervisor_id\n\
                 W1,2023-12-10,HIRE,A,CASEWORKER,,,\n\
                 W1,2024-01-15,TRANSFER,B,,0.5,,\n\
                 W1,2024-02-29,TERMINATION,,,,VOLUNTARY,\n\
                 W1,2024-03-05,REHIRE,A,INVESTIGATOR,,,\n\
                 W2,6/1/2023,hire,B,SUPERVISOR,0.8,,\n\
                 W2,2024-02-01,HIRE,A,CASEWORKER,,,\n",
            ),
            (
                "caseload_snapshots.csv",
                "worker_id,snapshot_date,active_cases,new_assignments,removals\n\
                 W1,2024-01-05,10,,\n\
                 W1,2024-01-12,12,,\n\
                 W1,2024-01-19,20,,\n\
                 W1,2024-02-29,7,,\n\
                 W1,2024-03-01,5,,\n\
                 W2,2024-01-31,9,,\n",
            ),
            (
                "supervision_sessions.csv",
                "session_id,worker_id,supervisor_id,session_date,minutes,format,focus\n\
                 S1,W1,W2,2024-01-10,60,INDIVIDUAL,CASE\n\
                 S2,W1,,2024-01-20,90,GROUP,\n\
                 S2,W2,,2024-01-20,90,GROUP,\n\
                 S3,W1,W2,2024-03-10,120,individual,RETENTION\n\
                 S4,W2,,2024-02-05,45,INDIVIDUAL,RETENTION\n",
            ),
            ("survey_responses.csv", &survey()),
            (
                "program_enrollments.csv",
                "worker_id,program,cohort_id,start_date,end_date,sessions_offered,sessions_attended\n\
                 W2,RESILIENCE_ALLIANCE,RA1,2023-09-15,2023-12-07,12,10\n\
                 W1,SUPPORT_GROUP,SG1,2024-03-06,,,\n",
            ),
        ],
    );
}

fn published() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let (inbox_dir, wh) = (dir.path().join("inbox"), dir.path().join("wh"));
    inbox(&inbox_dir);
    let (code, _, err) = run(&[
        "run",
        "--inbox",
        inbox_dir.to_str().unwrap(),
        "--warehouse",
        wh.to_str().unwrap(),
        "--as-of",
        "2024-03-31",
    ]);
    assert_eq!(code, 0, "{err}");
    (dir, wh)
}

#[test]
fn worker_spells_by_hand() {
    let (_dir, wh) = published();
    // durations: W2 2023-06-01..2024-03-31 = 305 days; W1 2023-12-10..2024-02-29 =
    // 22 + 31 + 29 = 82; W1 2024-03-05..2024-03-31 = 27.
    assert_eq!(
        table_lines(&wh, "worker_spells"),
        [
            format!("{W2}|1|2023-06-01|∅|∅|B|SUPERVISOR|305|true"),
            format!("{W1}|1|2023-12-10|2024-02-29|VOLUNTARY|A|CASEWORKER|82|false"),
            format!("{W1}|2|2024-03-05|∅|∅|A|INVESTIGATOR|27|true"),
        ]
    );
}

#[test]
fn worker_months_by_hand() {
    let (_dir, wh) = published();
    let w2 = |month: &str, band: &str, days: u32, rest: &str| {
        format!("{W2}|{month}|B|SUPERVISOR|{band}|0.8|{days}|false|∅|{rest}")
    };
    let brs_r1 = "3.8333333333333335"; // 23 / 6
    let expected = vec![
        w2("2023-06-01", "00-06m", 30, "∅|0|0|∅|∅|∅|false"),
        w2("2023-07-01", "00-06m", 31, "∅|0|0|∅|∅|∅|false"),
        w2("2023-08-01", "00-06m", 31, "∅|0|0|∅|∅|∅|false"),
        // RA1 runs 2023-09-15..2023-12-07: in_program from September to December.
        w2("2023-09-01", "00-06m", 30, "∅|0|0|∅|∅|∅|true"),
        w2(
            "2023-10-01",
            "00-06m",
            31,
            &format!("∅|0|0|∅|∅|{brs_r1}|true"),
        ),
        // tenure on 2023-11-30 is 182 days: still 00-06m; on 2023-12-31 it is 213.
        w2(
            "2023-11-01",
            "00-06m",
            30,
            &format!("∅|0|0|∅|∅|{brs_r1}|true"),
        ),
        w2(
            "2023-12-01",
            "06-12m",
            31,
            &format!("∅|0|0|∅|∅|{brs_r1}|true"),
        ),
        // January: snapshot 9; group session 90 minutes, none individual; STSS 34; BRS
        // from R9 (5.0), the larger response_id of the two on 2024-01-31.
        w2("2024-01-01", "06-12m", 31, "9.0|90|0|34.0|∅|5.0|false"),
        // February: one individual session of 45 minutes (RETENTION).
        w2("2024-02-01", "06-12m", 29, "∅|45|45|34.0|∅|5.0|false"),
        // R6 (2024-03-20) has no sts_total, so March keeps R2's 34.
        w2("2024-03-01", "06-12m", 31, "∅|0|0|34.0|∅|5.0|false"),
        // W1 December in A: 10th..31st = 22 days.
        format!("{W1}|2023-12-01|A|CASEWORKER|00-06m|1.0|22|false|∅|∅|0|0|∅|∅|∅|false"),
        // January: A through the 14th (the transfer takes effect on the 15th), B from the
        // 15th. Snapshots 10 and 12 fall in A (mean 11), 20 in B. Supervision (60
        // individual + 90 group) goes on the row of the office held on January 31: B.
        format!("{W1}|2024-01-01|A|CASEWORKER|00-06m|1.0|14|false|∅|11.0|∅|∅|∅|∅|∅|false"),
        format!("{W1}|2024-01-01|B|CASEWORKER|00-06m|0.5|17|false|∅|20.0|150|60|∅|∅|∅|false"),
        // February: employed through the 29th, the termination date (snapshot 7 counts).
        format!("{W1}|2024-02-01|B|CASEWORKER|00-06m|0.5|29|true|VOLUNTARY|7.0|0|0|∅|30.0|∅|false"),
        // March: rehired on the 5th (27 days); the 1 March snapshot fell in the gap and
        // was quarantined; the burnout score carries over from the earlier spell.
        format!("{W1}|2024-03-01|A|INVESTIGATOR|00-06m|1.0|27|false|∅|∅|120|120|∅|30.0|∅|true"),
    ];
    assert_eq!(table_lines(&wh, "worker_months"), expected);
}

/// Section 5's supervision columns of the `ALL` x `ALL` cell and section 7's attendance.
/// The earliest session is S1 on 2024-01-10, so months count from January 2024 on: W2's
/// months from June to December 2023, employed every day, read as no data (null), not as
/// unsupervised months. Eligible: W1's January (150 minutes: 60 individual CASE, 90
/// group with no focus, so 0 RETENTION) and February (employed through the 29th, 0
/// minutes; March starts with the rehire on the 5th, so S3's 120 RETENTION minutes count
/// nowhere); W2's January (90, no focus), February (45 RETENTION) and March (0).
#[test]
fn practice_measures_by_hand() {
    let (_dir, wh) = published();
    let (names, rows) = read_table(&wh, "office_indicators");
    let col = |name: &str| names.iter().position(|n| n == name).unwrap();
    let cells: Vec<String> = rows
        .iter()
        .filter(|r| r[col("office_id")] == "ALL" && r[col("tenure_band")] == "ALL")
        .filter(|r| {
            r[col("period_type")] == "trailing_12m"
                || r[col("period_start")].as_str() >= "2023-12-01"
        })
        .map(|r| {
            [
                "period_type",
                "period_start",
                "supervision_eligible_months",
                "supervision_compliance",
                "supervision_hours_mean",
                "retention_focus_share",
            ]
            .map(|c| r[col(c)].clone())
            .join("|")
        })
        .collect();
    // Hours: January (150 + 90) / 2 / 60 = 2; February 45 / 2 / 60 = 0.375; March 0.
    // Focus: January 0 / 240; February 45 / 45; March no minutes: null. The trailing 12
    // months: 5 months, 285 / 5 / 60 = 0.95 hours, 45 / 285 = 0.15789473684210525.
    assert_eq!(
        cells,
        [
            "month|2023-12-01|0|∅|∅|∅",
            "month|2024-01-01|2|0.0|2.0|0.0",
            "month|2024-02-01|2|0.0|0.375|1.0",
            "month|2024-03-01|1|0.0|0.0|∅",
            "trailing_12m|2023-04-01|5|0.0|0.95|0.15789473684210525",
        ]
    );
    // Each cohort has one enrollment, below min_group_size 5: attendance is null even for
    // RA1, whose 10 of 12 sessions could be computed; SG1's sessions_offered is missing.
    let (names, rows) = read_table(&wh, "program_outcomes");
    let col = |name: &str| names.iter().position(|n| n == name).unwrap();
    let rates: Vec<String> = rows
        .iter()
        .map(|r| {
            format!(
                "{}|{}|{}",
                r[col("cohort_id")],
                r[col("measure")],
                r[col("attendance_rate")]
            )
        })
        .collect();
    assert_eq!(
        rates,
        [
            "RA1|brs_mean|∅",
            "RA1|proqol_bo|∅",
            "RA1|sts_total|∅",
            "SG1|brs_mean|∅",
            "SG1|proqol_bo|∅",
            "SG1|sts_total|∅",
        ]
    );
}

#[test]
fn survey_scores_by_hand() {
    let (_dir, wh) = published();
    let none4 = "∅|∅|∅|∅";
    assert_eq!(
        table_lines(&wh, "survey_scores"),
        [
            format!(
                "R1|{W2}|2023-10-15|BRS|B|00-06m|6|{none4}|∅|∅|∅|3.8333333333333335|∅|∅|∅|∅|normal"
            ),
            format!("R10|{W2}|2024-01-31|BRS|B|06-12m|6|{none4}|∅|∅|∅|3.0|∅|∅|∅|∅|normal"),
            format!("R2|{W2}|2024-01-31|STSS|B|06-12m|17|34.0|10.0|14.0|10.0|∅|∅|∅|∅|mild|∅|∅|∅|∅"),
            format!(
                "R5|{W1}|2024-02-10|PROQOL5|B|00-06m|30|{none4}|30.0|30.0|30.0|∅|∅|moderate|moderate|moderate|∅"
            ),
            format!("R6|{W2}|2024-03-20|STSS|B|06-12m|13|∅|10.0|∅|∅|∅|∅|∅|∅|∅|∅|∅|∅|∅"),
            format!("R9|{W2}|2024-01-31|BRS|B|06-12m|6|{none4}|∅|∅|∅|5.0|∅|∅|∅|∅|high"),
        ]
    );
}

#[test]
fn quarantine_counts_and_offices_by_hand() {
    let (_dir, wh) = published();
    assert_eq!(
        table_lines(&wh, "offices"),
        ["A|Alpha|North|10", "B|Beta|∅|12"]
    );
    assert_eq!(
        table_lines(&wh, "source_counts"),
        [
            "offices|2|2|0",
            "job_history|6|5|1",
            "caseload_snapshots|6|5|1",
            "supervision_sessions|5|5|0",
            "survey_responses|78|78|0",
            "program_enrollments|2|2|0",
        ]
    );
    let q: Vec<String> = table_lines(&wh, "quarantine")
        .into_iter()
        .map(|l| l.split('|').take(3).collect::<Vec<_>>().join("|"))
        .collect();
    assert_eq!(
        q,
        [
            "job_history|7|INVALID_TRANSITION",
            "caseload_snapshots|6|NOT_EMPLOYED"
        ]
    );
}
