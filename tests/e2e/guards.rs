//! Run guards and key continuity (CONTRACT.md section 2, issue #12): each guard refuses
//! with exit 3 and a sentence naming the source and figures, leaves `current` byte for
//! byte as it was and a `.refused` record with the counts, and `--accept` lets the night
//! through; a changed pseudonym key refuses with exit 2 unless `--new-pseudonym-key`.

use crate::util::{bin, default_pipeline, generate, run};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn inbox(dir: &Path, workers: &str) -> PathBuf {
    generate(
        dir,
        &[
            "--workers",
            workers,
            "--years",
            "2",
            "--offices",
            "3",
            "--seed",
            "11",
            "--as-of",
            "2025-06-30",
        ],
    )
}

/// `retention run` with extra arguments; (exit code, stderr).
fn run_with(inbox: &Path, wh: &Path, as_of: &str, extra: &[&str]) -> (i32, String) {
    let pipeline = default_pipeline(inbox);
    let mut args = vec![
        "run",
        "--inbox",
        inbox.to_str().unwrap(),
        "--warehouse",
        wh.to_str().unwrap(),
        "--as-of",
        as_of,
        "--pipeline",
        pipeline.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let (code, _, err) = run(&args);
    (code, err)
}

/// `retention validate` with extra arguments; (exit code, stdout, stderr).
fn validate_with(inbox: &Path, extra: &[&str]) -> (i32, String, String) {
    let pipeline = default_pipeline(inbox);
    let mut args = vec![
        "validate",
        "--inbox",
        inbox.to_str().unwrap(),
        "--as-of",
        "2025-06-30",
        "--pipeline",
        pipeline.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    run(&args)
}

/// Every file under `current` (through the symlink) with its bytes, and where it points.
fn snapshot(wh: &Path) -> (PathBuf, BTreeMap<PathBuf, Vec<u8>>) {
    fn walk(dir: &Path, base: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, base, out);
            } else {
                out.insert(
                    path.strip_prefix(base).unwrap().to_path_buf(),
                    std::fs::read(&path).unwrap(),
                );
            }
        }
    }
    let mut files = BTreeMap::new();
    let current = wh.join("current");
    walk(&current, &current, &mut files);
    (std::fs::read_link(&current).unwrap(), files)
}

/// The manifest of the run in `current`.
fn current_manifest(wh: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(wh.join("current/run_manifest.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// The records of refused runs, oldest first.
fn refused_records(wh: &Path) -> Vec<serde_json::Value> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(wh.join("runs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".refused"))
        .collect();
    dirs.sort();
    dirs.iter()
        .map(|d| {
            let path = d.join("run_manifest.json");
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
                0o600,
                "a refused run's record is owner-only"
            );
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
        })
        .collect()
}

fn cut_to_header(inbox: &Path, file: &str) {
    let path = inbox.join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    let header = text.lines().next().unwrap();
    std::fs::write(&path, format!("{header}\n")).unwrap();
}

#[test]
fn an_empty_source_is_refused_until_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let inbox = inbox(dir.path(), "80");
    let wh = dir.path().join("wh");
    assert_eq!(run_with(&inbox, &wh, "2025-06-30", &[]).0, 0);
    let before = snapshot(&wh);
    cut_to_header(&inbox, "supervision_sessions.csv");
    cut_to_header(&inbox, "survey_responses.csv");
    // --accept drop: the empty sources also fell below half of the last run's rows.
    let (code, err) = run_with(&inbox, &wh, "2025-06-30", &["--accept", "drop"]);
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains(
            "refused to publish: supervision_sessions has no accepted row (0 read, 0 quarantined)"
        ),
        "{err}"
    );
    assert!(
        err.contains(
            ", survey_responses has no accepted row (0 read, 0 quarantined); every figure"
        ),
        "{err}"
    );
    assert!(err.contains("--accept empty"), "{err}");
    assert_eq!(snapshot(&wh), before, "current is untouched");
    let records = refused_records(&wh);
    assert_eq!(records.len(), 1);
    let record = &records[0];
    assert_eq!(record["exit_code"], 3);
    assert_eq!(record["as_of"], "2025-06-30");
    assert_eq!(record["inputs"][3]["source"], "supervision_sessions");
    assert_eq!(record["inputs"][3]["rows_read"], 0);
    assert!(record["inputs"][1]["rows_read"].as_u64().unwrap() > 0);
    let rules: Vec<&str> = record["refusals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["rule"].as_str().unwrap())
        .collect();
    assert_eq!(rules, ["empty", "empty"]);
    let (code, err) = run_with(
        &inbox,
        &wh,
        "2025-06-30",
        &["--accept", "empty", "--accept", "drop"],
    );
    assert_eq!(code, 0, "{err}");
    assert_ne!(snapshot(&wh).0, before.0, "published");
}

#[test]
fn a_sharp_drop_against_current_is_refused_until_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let big = inbox(&dir.path().join("big"), "120");
    let wh = dir.path().join("wh");
    assert_eq!(run_with(&big, &wh, "2025-06-30", &[]).0, 0);
    let last = current_manifest(&wh);
    let last_rows = last["inputs"][2]["rows_read"].as_u64().unwrap();
    let before = snapshot(&wh);
    // caseload_snapshots keeps its first 40% of rows (nothing else refers to them, so no
    // other rule fires).
    let path = big.join("caseload_snapshots.csv");
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let kept = (last_rows as usize * 2) / 5;
    std::fs::write(&path, lines[..=kept].join("\n") + "\n").unwrap();
    let (code, err) = run_with(&big, &wh, "2025-06-30", &[]);
    assert_eq!(code, 3, "{err}");
    let expected = format!(
        "caseload_snapshots has {kept} rows, fewer than min_rows_vs_last 0.5 x the {last_rows} rows of the run in current ({})",
        before.0.file_name().unwrap().to_string_lossy()
    );
    assert!(err.contains(&expected), "{err}\nexpected: {expected}");
    assert_eq!(snapshot(&wh), before);
    // validate says the same when told the warehouse, and skips the guard when not.
    let (code, out, err) = validate_with(&big, &["--warehouse", wh.to_str().unwrap()]);
    assert_eq!(code, 3, "{out}{err}");
    assert!(err.contains(&expected), "{err}");
    let (code, out, err) = validate_with(&big, &[]);
    assert!(out.contains("run guard drop not checked"), "{out}");
    assert_ne!(code, 3, "{err}");
    assert_eq!(snapshot(&wh), before, "validate writes nothing");
    let (code, err) = run_with(&big, &wh, "2025-06-30", &["--accept", "drop"]);
    assert_eq!(code, 0, "{err}");
}

#[test]
fn a_stale_as_of_is_refused_until_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let inbox = inbox(dir.path(), "60");
    let wh = dir.path().join("wh");
    assert_eq!(run_with(&inbox, &wh, "2025-06-30", &[]).0, 0);
    let before = snapshot(&wh);
    let latest = current_manifest(&wh);
    let latest_jobs = latest["inputs"][1]["latest_activity_date"]
        .as_str()
        .unwrap();
    // The generator's extracts run to as-of: the latest date is at most a few days before.
    assert!(
        ("2025-06-01"..="2025-06-30").contains(&latest_jobs),
        "{latest_jobs}"
    );
    let (code, err) = run_with(&inbox, &wh, "2030-01-01", &[]);
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains("as-of 2030-01-01 is ") && err.contains("more than max_staleness_days 31"),
        "{err}"
    );
    assert_eq!(snapshot(&wh), before);
    let record = refused_records(&wh).pop().unwrap();
    assert_eq!(record["refusals"][0]["rule"], "stale");
    let (code, err) = run_with(&inbox, &wh, "2030-01-01", &["--accept", "stale"]);
    assert_eq!(code, 0, "{err}");
}

#[test]
fn an_as_of_before_the_data_names_every_rule_that_fired() {
    let dir = tempfile::tempdir().unwrap();
    let inbox = inbox(dir.path(), "60");
    let wh = dir.path().join("wh");
    let (code, err) = run_with(&inbox, &wh, "1990-01-01", &[]);
    assert_eq!(code, 3, "{err}");
    // Every dated row is FUTURE_DATED: the shares, the empty sources and the staleness.
    assert!(err.contains("rows quarantined"), "{err}");
    assert!(err.contains("job_history has no accepted row"), "{err}");
    assert!(
        err.contains("no accepted row of job_history, caseload_snapshots, supervision_sessions or survey_responses has a date"),
        "{err}"
    );
    assert!(!wh.join("current").exists());
    assert_eq!(refused_records(&wh).len(), 1);
}

#[test]
fn a_changed_key_is_refused_unless_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    let inbox = inbox(dir.path(), "40");
    let wh = dir.path().join("wh");
    let go = |key: Option<&str>, extra: &[&str]| {
        let mut cmd = bin();
        match key {
            Some(k) => cmd.env("RETENTION_PSEUDONYM_KEY", k),
            None => cmd.env_remove("RETENTION_PSEUDONYM_KEY"),
        };
        let out = cmd
            .args([
                "run",
                "--inbox",
                inbox.to_str().unwrap(),
                "--warehouse",
                wh.to_str().unwrap(),
                "--as-of",
                "2025-06-30",
                "--pipeline",
                default_pipeline(&inbox).to_str().unwrap(),
            ])
            .args(extra)
            .output()
            .unwrap();
        (
            out.status.code().unwrap(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    // As under cron: no variable. The run creates the warehouse key and says so.
    let (code, err) = go(None, &[]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("created a new random pseudonym key"), "{err}");
    let fingerprint = current_manifest(&wh)["key_fingerprint"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(fingerprint.len(), 16);
    let before = snapshot(&wh);
    // The same warehouse key again: no word, same fingerprint.
    let (code, err) = go(None, &[]);
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains("created a new"), "{err}");
    assert_eq!(
        current_manifest(&wh)["key_fingerprint"],
        fingerprint.as_str()
    );
    let before_second = snapshot(&wh);
    assert_ne!(before.0, before_second.0);
    // A shell with the variable set: another key.
    let (code, err) = go(Some("test-key"), &[]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(&format!(
            "the pseudonym key changed: the run in current ({}) was published with key fingerprint {fingerprint}, this run's key has a9f55859462f4a48",
            before_second.0.file_name().unwrap().to_string_lossy()
        )),
        "{err}"
    );
    assert!(err.contains("--new-pseudonym-key"), "{err}");
    assert_eq!(snapshot(&wh), before_second);
    assert_eq!(refused_records(&wh).pop().unwrap()["exit_code"], 2);
    // validate --warehouse performs the same check (the test binary sets test-key).
    let (code, _, err) = validate_with(&inbox, &["--warehouse", wh.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("the pseudonym key changed"), "{err}");
    let (code, err) = go(Some("test-key"), &["--new-pseudonym-key"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(current_manifest(&wh)["key_fingerprint"], "a9f55859462f4a48");
}

#[test]
fn files_with_raw_ids_are_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let inbox = generate(
        dir.path(),
        &[
            "--workers",
            "40",
            "--years",
            "2",
            "--offices",
            "3",
            "--seed",
            "3",
            "--faults",
            "0.01",
            "--as-of",
            "2025-06-30",
        ],
    );
    let wh = dir.path().join("wh");
    assert_eq!(run_with(&inbox, &wh, "2025-06-30", &[]).0, 0);
    let mode = |table: &str| {
        let file = crate::util::table_file(&wh, table);
        std::fs::metadata(file).unwrap().permissions().mode() & 0o777
    };
    assert_eq!(mode("quarantine"), 0o600);
    // One person's risk is for analysts only (CONTRACT.md section 9).
    assert_eq!(mode("worker_risk"), 0o600);
    assert_eq!(
        mode("office_indicators") & 0o044,
        0o044,
        "aggregates stay readable"
    );
}
