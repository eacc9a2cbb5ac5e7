//! The command line as a user meets it: help texts, exit codes, error sentences.

use crate::util::{run, write_inbox};

#[test]
fn every_command_has_help_with_an_example() {
    for command in [
        "generate", "run", "validate", "demo", "query", "report", "runs", "serve", "users",
    ] {
        let (code, out, _) = run(&[command, "--help"]);
        assert_eq!(code, 0, "{command} --help");
        for part in [
            "Example",
            "Exit codes",
            "Environment",
            "RUST_LOG",
            "NO_COLOR",
        ] {
            assert!(out.contains(part), "{command} --help says {part}:\n{out}");
        }
    }
    let (code, out, _) = run(&["--help"]);
    assert_eq!(code, 0);
    assert!(out.contains("generate") && out.contains("validate"));
}

#[test]
fn bad_arguments_exit_2() {
    let (code, _, err) = run(&["run", "--inbox", "x"]);
    assert_eq!(code, 2, "missing --warehouse: {err}");
    let (code, _, err) = run(&[
        "run",
        "--inbox",
        "x",
        "--warehouse",
        "w",
        "--as-of",
        "2024-13-01",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("YYYY-MM-DD"), "{err}");
}

const OFFICES: &str = "office_id,office_name,region,caseload_standard\nA,Alpha,North,10\n";
const JOBS: &str = "worker_id,effective_date,action,office_id,role,fte,reason,supervisor_id\nW1,2024-01-02,HIRE,A,CASEWORKER,,,\n";

#[test]
fn missing_source_and_missing_column_exit_2_naming_file_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let inbox = dir.path().join("inbox");
    write_inbox(
        &inbox,
        &[
            ("offices.csv", OFFICES),
            (
                "job_history.csv",
                "worker_id,effective_date,action,role,fte,reason\n",
            ),
        ],
    );
    let wh = dir.path().join("wh");
    let (code, _, err) = run(&[
        "run",
        "--inbox",
        inbox.to_str().unwrap(),
        "--warehouse",
        wh.to_str().unwrap(),
        "--as-of",
        "2024-06-30",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("job_history.csv:1: missing column office_id"),
        "{err}"
    );
    // Every missing source is named, not only the first.
    for source in [
        "caseload_snapshots",
        "supervision_sessions",
        "survey_responses",
        "program_enrollments",
    ] {
        assert!(
            err.contains(&format!("no file for source {source}")),
            "{source}: {err}"
        );
    }
    assert!(!wh.join("current").exists(), "nothing published");
}

#[test]
fn empty_file_and_duplicate_header_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let inbox = dir.path().join("inbox");
    write_inbox(
        &inbox,
        &[
            ("offices.csv", "\n\n"),
            (
                "job_history.csv",
                "worker_id,Worker_ID ,effective_date,action,office_id,role,reason\n",
            ),
            (
                "caseload_snapshots.csv",
                "worker_id,snapshot_date,active_cases\n",
            ),
            (
                "supervision_sessions.csv",
                "session_id,worker_id,session_date,minutes,format\n",
            ),
            (
                "survey_responses.csv",
                "response_id,worker_id,administered_on,instrument,item,value\n",
            ),
            (
                "program_enrollments.csv",
                "worker_id,program,cohort_id,start_date\n",
            ),
        ],
    );
    let (code, _, err) = run(&[
        "validate",
        "--inbox",
        inbox.to_str().unwrap(),
        "--as-of",
        "2024-06-30",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("offices.csv: the file is empty"), "{err}");
    assert!(
        err.contains("job_history.csv:1:2: header name \"Worker_ID\" appears twice"),
        "{err}"
    );
}

#[test]
fn pipeline_file_problems_are_all_reported_with_key_and_value() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.toml");
    std::fs::write(
        &file,
        "[settings]\nhistory_months = 0\nmax_quarantine_share = \"lots\"\nshoe_size = 9\n",
    )
    .unwrap();
    let inbox = dir.path().join("inbox");
    write_inbox(
        &inbox,
        &[("offices.csv", OFFICES), ("job_history.csv", JOBS)],
    );
    let (code, _, err) = run(&[
        "run",
        "--inbox",
        inbox.to_str().unwrap(),
        "--warehouse",
        "unused",
        "--pipeline",
        file.to_str().unwrap(),
    ]);
    assert_eq!(code, 2, "{err}");
    let f = file.display().to_string();
    assert!(
        err.contains(&format!(
            "{f}: key settings.history_months = 0: out of range"
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "{f}: key settings.max_quarantine_share = \"lots\": must be a number"
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!("{f}: key settings.shoe_size = 9: unknown key")),
        "{err}"
    );
}

#[test]
fn quarantine_share_over_the_limit_exits_3_and_publishes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let inbox = dir.path().join("inbox");
    // 100 snapshots, 6 of them with a bad date: 6% > 5%.
    let mut snaps = String::from("worker_id,snapshot_date,active_cases\n");
    for i in 0..100 {
        let first = chrono::NaiveDate::from_ymd_opt(2024, 1, 2).unwrap();
        let date = if i < 6 {
            "2024-02-30".to_string()
        } else {
            (first + chrono::Days::new(i)).to_string()
        };
        snaps.push_str(&format!("W1,{date},{i}\n"));
    }
    write_inbox(
        &inbox,
        &[
            ("offices.csv", OFFICES),
            ("job_history.csv", JOBS),
            ("caseload_snapshots.csv", &snaps),
            (
                "supervision_sessions.csv",
                "session_id,worker_id,session_date,minutes,format\n",
            ),
            (
                "survey_responses.csv",
                "response_id,worker_id,administered_on,instrument,item,value\n",
            ),
            (
                "program_enrollments.csv",
                "worker_id,program,cohort_id,start_date\n",
            ),
        ],
    );
    let wh = dir.path().join("wh");
    let (code, _, err) = run(&[
        "run",
        "--inbox",
        inbox.to_str().unwrap(),
        "--warehouse",
        wh.to_str().unwrap(),
        "--as-of",
        "2024-06-30",
    ]);
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains("caseload_snapshots has 6 of 100 rows quarantined (6.0%)"),
        "{err}"
    );
    assert!(!wh.join("current").exists());
    let (code, out, _) = run(&[
        "validate",
        "--inbox",
        inbox.to_str().unwrap(),
        "--as-of",
        "2024-06-30",
    ]);
    assert_eq!(code, 3);
    assert!(
        out.contains("caseload_snapshots.csv:2: BAD_DATE snapshot_date \"2024-02-30\""),
        "{out}"
    );
    // Dropping one bad row puts the share at 5/99 = 5.05%: still refused; at 5 of 100 it passes.
    let fixed = snaps.replacen("W1,2024-02-30,0\n", "W1,2024-06-01,0\n", 1);
    std::fs::write(inbox.join("caseload_snapshots.csv"), fixed).unwrap();
    // The fixture's sessions, survey and enrollments are headers only: the empty guard
    // is accepted, since this test is about the share.
    let (code, _, err) = run(&[
        "run",
        "--inbox",
        inbox.to_str().unwrap(),
        "--warehouse",
        wh.to_str().unwrap(),
        "--as-of",
        "2024-06-30",
        "--accept",
        "empty",
    ]);
    assert_eq!(code, 0, "5 of 100 is not over 5%: {err}");
}

#[test]
fn demo_prints_counts_reasons_offices_and_the_five_worst() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("demo");
    let (code, out, err) = run(&[
        "demo",
        "--dir",
        d.to_str().unwrap(),
        "--workers",
        "300",
        "--years",
        "3",
        "--offices",
        "6",
        "--as-of",
        "2025-06-30",
    ]);
    assert_eq!(code, 0, "{err}");
    for heading in [
        "Rows per source",
        "Quarantined rows by reason",
        "Headcount and trailing-12-month turnover per office",
        "The five offices with the highest",
    ] {
        assert!(out.contains(heading), "{heading}: {out}");
    }
    let top = out
        .split("The five offices with the highest")
        .nth(1)
        .unwrap();
    let rows: Vec<&str> = top
        .lines()
        .skip(2)
        .take_while(|l| l.trim_start().starts_with("OFF"))
        .collect();
    assert_eq!(rows.len(), 5, "{top}");
    // Sorted by turnover, highest first.
    let rates: Vec<f64> = rows
        .iter()
        .map(|l| {
            l.split_whitespace()
                .nth(1)
                .unwrap()
                .trim_end_matches('%')
                .parse()
                .unwrap()
        })
        .collect();
    assert!(rates.windows(2).all(|w| w[0] >= w[1]), "{rates:?}");
    assert!(d.join("warehouse/current/office_indicators").is_dir());

    // The state's retention-focused share is the published trailing ALL x ALL value.
    let wh = d.join("warehouse");
    let (names, rows) = crate::util::read_table(&wh, "office_indicators");
    let col = |name: &str| names.iter().position(|n| n == name).unwrap();
    let state = rows
        .iter()
        .find(|r| {
            r[col("period_type")] == "trailing_12m"
                && r[col("office_id")] == "ALL"
                && r[col("tenure_band")] == "ALL"
        })
        .unwrap();
    let share: f64 = state[col("retention_focus_share")].parse().unwrap();
    let line = out
        .lines()
        .find(|l| l.contains("retention-focused"))
        .unwrap_or_else(|| panic!("no retention-focused line: {out}"));
    assert!(
        line.contains(&format!(
            "{:.1}% of their minutes were retention-focused",
            100.0 * share
        )),
        "{line} vs {share}"
    );
    // One attendance row per program of program_outcomes, with its cohort count.
    let (names, rows) = crate::util::read_table(&wh, "program_outcomes");
    let col = |name: &str| names.iter().position(|n| n == name).unwrap();
    let mut cohorts =
        std::collections::BTreeMap::<String, std::collections::BTreeSet<String>>::new();
    for r in &rows {
        cohorts
            .entry(r[col("program")].clone())
            .or_default()
            .insert(r[col("cohort_id")].clone());
    }
    assert!(!cohorts.is_empty());
    let table = out.split("Program attendance").nth(1).unwrap();
    for (program, ids) in &cohorts {
        let row = table
            .lines()
            .find(|l| l.split_whitespace().next() == Some(program.as_str()))
            .unwrap_or_else(|| panic!("no attendance row for {program}: {table}"));
        assert_eq!(
            row.split_whitespace().nth(1),
            Some(ids.len().to_string().as_str()),
            "{row}"
        );
    }
}

/// Logs fit for cron (issue #16): in JSON mode every stderr line, the final error
/// included, is one JSON object; text logs written to a file carry no colour codes; a
/// bare RUST_LOG level is for this program, DataFusion and its SQL parser staying at warn.
#[test]
fn logs_are_json_when_asked_plain_in_a_file_and_ours_at_debug() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-inbox");
    let wh = dir.path().join("wh");
    let out = crate::util::bin()
        .env("RUST_LOG", "info")
        .args([
            "--log-format",
            "json",
            "run",
            "--inbox",
            missing.to_str().unwrap(),
            "--warehouse",
            wh.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    let lines: Vec<serde_json::Value> = stderr
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let last = lines.last().expect("an error line");
    assert_eq!(last["level"], "ERROR");
    assert_eq!(last["exit_code"], 2);
    assert!(
        last["message"].as_str().unwrap().contains("no-such-inbox"),
        "{last}"
    );
    assert!(
        lines.iter().any(|l| l["message"] == "pipeline file"),
        "the pipeline file used is logged: {stderr}"
    );

    // validate's problems with the pipeline file are error events in JSON mode too.
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "[settings]\nbogus = 1\n").unwrap();
    let out = crate::util::bin()
        .args([
            "--log-format",
            "json",
            "validate",
            "--inbox",
            missing.to_str().unwrap(),
            "--pipeline",
            bad.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("bogus"), "{stderr}");
    for line in stderr.lines() {
        serde_json::from_str::<serde_json::Value>(line)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
    }

    // Text logs into a pipe (not a terminal): no ANSI escapes. RUST_LOG=debug: this
    // program's debug lines, none of the dependencies' (before, about 28,000 lines).
    let inbox = crate::util::generate(
        dir.path(),
        &[
            "--workers",
            "120",
            "--years",
            "2",
            "--offices",
            "3",
            "--as-of",
            "2025-06-30",
        ],
    );
    let out = crate::util::bin()
        .env("RUST_LOG", "debug")
        .args([
            "run",
            "--inbox",
            inbox.to_str().unwrap(),
            "--warehouse",
            wh.to_str().unwrap(),
            "--as-of",
            "2025-06-30",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(!stderr.contains('\u{1b}'), "colour codes in a file");
    assert!(stderr.contains("DEBUG"), "{stderr}");
    let lines = stderr.lines().count();
    assert!(lines < 300, "{lines} lines at RUST_LOG=debug");
    assert!(stderr.lines().all(|l| !l.contains("sqlparser")));
}

/// RUST_LOG as the help says: unset means this program's info lines; a bare level is for
/// this program only; `off` is silence; a value that is no level is the default; a list of
/// directives is taken as written. (This was a unit test of the binary's `log_filter`; it
/// moved here so that the binary needs no test build of its own, issue #27.)
#[test]
fn rust_log_levels_are_for_this_program_and_directives_as_written() {
    let dir = tempfile::tempdir().unwrap();
    let inbox = crate::util::generate(
        dir.path(),
        &[
            "--workers",
            "60",
            "--years",
            "1",
            "--offices",
            "2",
            "--as-of",
            "2025-06-30",
        ],
    );
    let levels = |rust_log: Option<&str>| -> Vec<String> {
        let mut cmd = crate::util::bin();
        cmd.env_remove("RUST_LOG");
        if let Some(v) = rust_log {
            cmd.env("RUST_LOG", v);
        }
        let out = cmd
            .args([
                "--log-format",
                "json",
                "validate",
                "--inbox",
                inbox.to_str().unwrap(),
            ])
            .args(["--as-of", "2025-06-30"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "RUST_LOG={rust_log:?}");
        String::from_utf8(out.stderr)
            .unwrap()
            .lines()
            .map(|l| {
                let v: serde_json::Value =
                    serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}"));
                v["level"].as_str().unwrap().to_string()
            })
            .collect()
    };
    let unset = levels(None);
    assert!(unset.iter().any(|l| l == "INFO"), "{unset:?}");
    assert!(!unset.iter().any(|l| l == "DEBUG"), "{unset:?}");
    let debug = levels(Some("debug"));
    assert!(debug.iter().any(|l| l == "DEBUG"), "{debug:?}");
    assert!(levels(Some("off")).is_empty());
    assert_eq!(levels(Some("loud")), unset, "not a level: the default");
    let warn = levels(Some("retention_ingest=warn,warn"));
    assert!(
        !warn.iter().any(|l| l == "INFO" || l == "DEBUG"),
        "{warn:?}"
    );
    let explicit = levels(Some("retention_ingest=debug,info"));
    assert!(explicit.iter().any(|l| l == "DEBUG"), "{explicit:?}");
}

/// `retention demo --dir` refuses a folder holding someone else's files, and touches
/// nothing (issue #16: it used to delete `demo2/inbox/important.xlsx`).
#[test]
fn demo_refuses_a_folder_with_files_it_did_not_write() {
    let dir = tempfile::tempdir().unwrap();
    let inbox = dir.path().join("inbox");
    std::fs::create_dir_all(&inbox).unwrap();
    let precious = inbox.join("important.xlsx");
    std::fs::write(&precious, "quarterly numbers").unwrap();
    let (code, out, err) = run(&["demo", "--dir", dir.path().to_str().unwrap()]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        err.contains("important.xlsx") && err.contains("did not write"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(&precious).unwrap(),
        "quarterly numbers"
    );
    assert!(!dir.path().join("warehouse").exists());

    std::fs::remove_file(&precious).unwrap();
    std::fs::write(dir.path().join("notes.txt"), "mine").unwrap();
    let (code, _, err) = run(&["demo", "--dir", dir.path().to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("notes.txt"), "{err}");
}

/// Input errors that name the cause (issue #16): a semicolon-separated export, a header
/// typo, a file name that differs in case, an impossible date, each as the sentence a
/// user reads.
#[test]
fn input_errors_name_the_likely_cause() {
    let dir = tempfile::tempdir().unwrap();
    let inbox = small_inbox(dir.path(), "2");
    let edit = |file: &str, change: &dyn Fn(&str) -> String| {
        let path = inbox.join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, change(&text)).unwrap();
    };
    edit("offices.csv", &|t| t.replace(',', ";"));
    edit("caseload_snapshots.csv", &|t| {
        t.replacen("snapshot_date", "snapshot_dt", 1)
    });
    std::fs::rename(
        inbox.join("supervision_sessions.csv"),
        inbox.join("Supervision_Sessions.CSV"),
    )
    .unwrap();
    let (code, _, err) = run(&[
        "validate",
        "--inbox",
        inbox.to_str().unwrap(),
        "--as-of",
        "2025-06-30",
    ]);
    assert_eq!(code, 2, "{err}");
    let at = |file: &str| inbox.join(file).display().to_string();
    for sentence in [
        format!(
            "{}:1: the header is one field holding semicolon separators: the file looks semicolon-separated; export it comma-separated (CSV)",
            at("offices.csv")
        ),
        format!(
            "{}:1: missing column snapshot_date (did you mean snapshot_dt?); add it to the extract",
            at("caseload_snapshots.csv")
        ),
        format!(
            "{}: no file for source supervision_sessions; expected supervision_sessions.csv, supervision_sessions.csv.gz or supervision_sessions.parquet in the inbox; found Supervision_Sessions.CSV, but file names are matched exactly: rename it to supervision_sessions.csv (or .csv.gz, .parquet)",
            inbox.display()
        ),
    ] {
        assert!(err.contains(&sentence), "expected\n{sentence}\nin\n{err}");
    }
    let (code, _, err) = run(&[
        "validate",
        "--inbox",
        inbox.to_str().unwrap(),
        "--as-of",
        "2026-02-30",
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains("\"2026-02-30\" is not a real date: February has 28 days in 2026"),
        "{err}"
    );
    let (_, _, err) = run(&[
        "validate",
        "--inbox",
        inbox.to_str().unwrap(),
        "--as-of",
        "2024-02-30",
    ]);
    assert!(err.contains("February has 29 days in 2024"), "{err}");
}

/// A Windows-1252 `é` in an extract (issue #16): the quarantined row names the column
/// and the likely encoding, so the analyst knows to re-export as UTF-8.
#[test]
fn a_row_in_another_encoding_names_its_column_and_encoding() {
    let dir = tempfile::tempdir().unwrap();
    let inbox = inbox_with_a_windows_1252_office(dir.path());
    let path = inbox.join("offices.csv");
    let (_, out, err) = run(&[
        "validate",
        "--inbox",
        inbox.to_str().unwrap(),
        "--as-of",
        "2025-06-30",
        "--show",
        "50",
    ]);
    let all = format!("{out}{err}");
    assert!(
        all.contains(&format!(
            "{}:2: MALFORMED_ROW the record is not valid UTF-8 (column office_name, byte 0xE9); it looks like Windows-1252 (or Latin-1) text: re-export the file as UTF-8",
            path.display()
        )),
        "{all}"
    );
    // The lost office cascades into the other sources: the refusal names the one line
    // that caused it first, then the shares.
    let wh = dir.path().join("wh");
    let (code, _, err) = run(&[
        "run",
        "--inbox",
        inbox.to_str().unwrap(),
        "--warehouse",
        wh.to_str().unwrap(),
        "--as-of",
        "2025-06-30",
    ]);
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains("error: refused to publish: the root cause is offices.csv line 2 (MALFORMED_ROW the record is not valid UTF-8 (column office_name, byte 0xE9); it looks like Windows-1252 (or Latin-1) text: re-export the file as UTF-8): rows of other sources that name an office refused there were quarantined as UNKNOWN_OFFICE or UNKNOWN_WORKER (caseload_snapshots "),
        "{err}"
    );
    assert!(
        err.contains("; fix offices.csv first, and the shares below follow; "),
        "{err}"
    );
}

/// A small agency (3 offices) whose first office's name holds a Windows-1252 `e-acute`:
/// that office is lost, and a third of every other source with it.
fn inbox_with_a_windows_1252_office(dir: &std::path::Path) -> std::path::PathBuf {
    let inbox = small_inbox(dir, "3");
    let path = inbox.join("offices.csv");
    let text = std::fs::read(&path).unwrap();
    let mut lines: Vec<Vec<u8>> = text.split(|b| *b == b'\n').map(<[u8]>::to_vec).collect();
    // office_id,office_name,...: put a Windows-1252 e-acute into the first office's name.
    let comma = lines[1].iter().position(|b| *b == b',').unwrap();
    lines[1].insert(comma + 1, 0xE9);
    std::fs::write(&path, lines.join(&b'\n')).unwrap();
    inbox
}

/// The pipeline file is `--pipeline`, else `WAREHOUSE/pipeline.toml`, never one found by
/// the working directory (issue #16: under cron that is not where the operator edited).
/// The file here lets the inbox above through (max_quarantine_share 0.9), so which file
/// was read shows in the exit code.
#[test]
fn the_pipeline_file_is_found_beside_the_warehouse_not_by_the_working_directory() {
    let dir = tempfile::tempdir().unwrap();
    let inbox = inbox_with_a_windows_1252_office(dir.path());
    let wh = dir.path().join("wh");
    let cwd = dir.path().join("elsewhere");
    std::fs::create_dir_all(cwd.join("pipelines")).unwrap();
    let lenient = "[settings]\nmax_quarantine_share = 0.9\n";
    std::fs::write(cwd.join("pipelines/nightly.toml"), lenient).unwrap();
    let run_in = |cwd: &std::path::Path| {
        let out = crate::util::bin()
            .current_dir(cwd)
            .env("RUST_LOG", "info")
            .args(["run", "--inbox", inbox.to_str().unwrap()])
            .args(["--warehouse", wh.to_str().unwrap(), "--as-of", "2025-06-30"])
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, err) = run_in(&cwd);
    assert_eq!(
        code,
        Some(3),
        "the working directory's file is not read: {err}"
    );
    assert!(
        err.contains("pipelines/nightly.toml in the working directory is not read")
            && err.contains(&format!(
                "pass --pipeline or copy it to {}",
                wh.join("pipeline.toml").display()
            )),
        "{err}"
    );
    std::fs::write(wh.join("pipeline.toml"), lenient).unwrap();
    let (code, err) = run_in(&cwd);
    assert_eq!(code, Some(0), "WAREHOUSE/pipeline.toml is read: {err}");
    assert!(
        err.contains(&format!(
            "pipeline_file={}",
            std::path::absolute(wh.join("pipeline.toml"))
                .unwrap()
                .display()
        )) && !err.contains("is not read"),
        "{err}"
    );
}

/// A small generated agency (60 workers, one year to 2025-06-30) in `dir/inbox`.
fn small_inbox(dir: &std::path::Path, offices: &str) -> std::path::PathBuf {
    crate::util::generate(
        dir,
        &[
            "--workers",
            "60",
            "--years",
            "1",
            "--offices",
            offices,
            "--as-of",
            "2025-06-30",
        ],
    )
}

/// The cron entry and the systemd units of docs/operations.md, tried as written (issue
/// #16): the cron line's command and the service's `ExecStart` run under an empty
/// environment from `/`, with `/usr/local/bin/retention` and `/data` replaced by this
/// test's binary and folder; the units pass `systemd-analyze verify`.
#[test]
fn the_scheduling_examples_run_as_written() {
    let docs = include_str!("../../docs/operations.md");
    let block = |fence: &str, first: &str| -> String {
        let mut blocks = docs.split("```").skip(1).step_by(2);
        blocks
            .find(|b| b.starts_with(fence) && b[fence.len()..].trim_start().starts_with(first))
            .unwrap_or_else(|| panic!("docs/operations.md has a {fence} block {first}"))
            [fence.len()..]
            .trim_start()
            .to_string()
    };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let today = String::from_utf8(
        std::process::Command::new("date")
            .arg("+%F")
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let today = today.trim();
    let night = data.join("inbox");
    crate::util::generate(
        &night,
        &[
            "--workers",
            "60",
            "--years",
            "1",
            "--offices",
            "3",
            "--as-of",
            today,
        ],
    );
    std::fs::rename(night.join("inbox"), data.join("inbox").join(today)).unwrap();
    std::fs::create_dir_all(data.join("log")).unwrap();
    let as_written = |command: &str| {
        command
            .replace("/usr/local/bin/retention", env!("CARGO_BIN_EXE_retention"))
            .replace("/data", data.to_str().unwrap())
    };
    let run_bare = |command: &str| {
        std::process::Command::new("/usr/bin/env")
            .args(["-i", "PATH=/usr/bin:/bin", "/bin/sh", "-c", command])
            .current_dir("/")
            .output()
            .unwrap()
    };

    // cron: `30 2 * * * USER COMMAND`, `\%` standing for `%`.
    let cron = block("cron", "# /etc/cron.d/retention");
    let entry = cron.lines().find(|l| l.starts_with("30 2 ")).unwrap();
    let fields: Vec<&str> = entry.splitn(7, ' ').collect();
    assert_eq!(fields[..6], ["30", "2", "*", "*", "*", "analytics"]);
    assert!(
        !fields[6].replace("\\%", "").contains('%'),
        "cron turns a bare % into a newline: {entry}"
    );
    let out = run_bare(&as_written(&fields[6].replace("\\%", "%")));
    let log = std::fs::read_to_string(data.join("log/retention.jsonl")).unwrap();
    assert_eq!(out.status.code(), Some(0), "{log}");
    let summary = std::fs::read_to_string(data.join("log/retention.txt")).unwrap();
    assert!(summary.contains("published run "), "{summary}");
    assert!(data.join("warehouse/current/run_manifest.json").is_file());
    for line in log.lines() {
        serde_json::from_str::<serde_json::Value>(line)
            .unwrap_or_else(|e| panic!("a log line is not JSON ({e}): {line}"));
    }
    assert!(
        log.contains("\"published; current now points at this run\""),
        "{log}"
    );

    // systemd: the units verify, and ExecStart (`%%` standing for `%`) runs.
    let service = block("ini", "# /etc/systemd/system/retention-nightly.service");
    let timer = block("ini", "# /etc/systemd/system/retention-nightly.timer");
    let units = dir.path().join("units");
    std::fs::create_dir_all(&units).unwrap();
    std::fs::write(units.join("retention-nightly.service"), &service).unwrap();
    std::fs::write(units.join("retention-nightly.timer"), &timer).unwrap();
    let verify = std::process::Command::new("systemd-analyze")
        .args(["verify", "--man=no"])
        .arg(units.join("retention-nightly.service"))
        .arg(units.join("retention-nightly.timer"))
        .output()
        .expect("systemd-analyze runs (Debian's systemd; make test installs it)");
    assert!(
        verify.status.success() && verify.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&verify.stderr)
    );
    let exec = service
        .lines()
        .find_map(|l| l.strip_prefix("ExecStart=/bin/sh -c '"))
        .and_then(|l| l.strip_suffix('\''))
        .expect("ExecStart=/bin/sh -c '...'");
    let out = run_bare(&as_written(&exec.replace("%%", "%")));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr
            .lines()
            .all(|l| serde_json::from_str::<serde_json::Value>(l).is_ok()),
        "{stderr}"
    );
    let runs = std::fs::read_dir(data.join("warehouse/runs"))
        .unwrap()
        .count();
    assert_eq!(runs, 2, "the service published a second run");
}
