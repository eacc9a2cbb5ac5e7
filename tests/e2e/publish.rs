//! Publishing: reruns publish the same tables, a crashed or killed run leaves `current`
//! complete and readable, a second concurrent run is refused, old runs are pruned.

use crate::util::{bin, default_pipeline, generate, read_table, run, run_pipeline};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

const TABLES: [&str; 8] = [
    "quarantine",
    "source_counts",
    "offices",
    "worker_spells",
    "worker_months",
    "survey_scores",
    "office_indicators",
    "retention_curves",
];

fn generated_inbox(dir: &Path, workers: &str) -> PathBuf {
    generate(
        dir,
        &[
            "--workers",
            workers,
            "--years",
            "3",
            "--offices",
            "4",
            "--seed",
            "5",
            "--faults",
            "0.002",
            "--as-of",
            "2025-06-30",
        ],
    )
}

fn run_into(inbox: &Path, wh: &Path) -> (i32, String) {
    run_pipeline(inbox, wh, "2025-06-30", Some(&default_pipeline(inbox)))
}

fn current_target(wh: &Path) -> PathBuf {
    std::fs::read_link(wh.join("current")).expect("current is a symlink")
}

/// Every table of `current` is readable and the manifest names them all.
fn assert_current_complete(wh: &Path) {
    for table in TABLES {
        let _ = read_table(wh, table);
    }
    let manifest: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(wh.join("current/run_manifest.json")).unwrap(),
    )
    .unwrap();
    for table in TABLES {
        assert!(manifest["tables"][table].is_u64(), "manifest lists {table}");
    }
}

#[test]
fn a_rerun_publishes_identical_tables() {
    let dir = tempfile::tempdir().unwrap();
    let inbox = generated_inbox(dir.path(), "120");
    let wh = dir.path().join("wh");
    assert_eq!(run_into(&inbox, &wh).0, 0);
    let first: Vec<_> = TABLES.iter().map(|t| read_table(&wh, t)).collect();
    let first_run = current_target(&wh);
    assert_eq!(run_into(&inbox, &wh).0, 0);
    assert_ne!(current_target(&wh), first_run, "a rerun is a new run");
    let second: Vec<_> = TABLES.iter().map(|t| read_table(&wh, t)).collect();
    assert_eq!(first, second);
    // The manifest records what was read.
    let manifest: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(wh.join("current/run_manifest.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(manifest["as_of"], "2025-06-30");
    assert_eq!(manifest["inputs"].as_array().unwrap().len(), 6);
    assert_eq!(manifest["inputs"][1]["source"], "job_history");
    assert_eq!(manifest["inputs"][1]["sha256"].as_str().unwrap().len(), 64);
    assert_eq!(manifest["tables"]["source_counts"], 6);
}

#[test]
fn a_crash_before_the_swap_leaves_current_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let inbox = generated_inbox(dir.path(), "60");
    let wh = dir.path().join("wh");
    assert_eq!(run_into(&inbox, &wh).0, 0);
    let before = current_target(&wh);
    let status = bin()
        .args([
            "run",
            "--inbox",
            inbox.to_str().unwrap(),
            "--warehouse",
            wh.to_str().unwrap(),
            "--as-of",
            "2025-06-30",
        ])
        .args(["--pipeline", default_pipeline(&inbox).to_str().unwrap()])
        .env("RETENTION_CRASH_POINT", "after-tables")
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(!status.success(), "the run aborted");
    assert_eq!(current_target(&wh), before);
    assert_current_complete(&wh);
    let partials = std::fs::read_dir(wh.join("runs"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .ends_with(".partial")
        })
        .count();
    assert_eq!(partials, 1, "the crashed run left its partial folder");
    // The next run cleans up and publishes.
    assert_eq!(run_into(&inbox, &wh).0, 0);
    assert_ne!(current_target(&wh), before);
    let partials = std::fs::read_dir(wh.join("runs"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .ends_with(".partial")
        })
        .count();
    assert_eq!(partials, 0);
}

#[test]
fn a_killed_run_leaves_current_complete_and_readable() {
    let dir = tempfile::tempdir().unwrap();
    let inbox = generated_inbox(dir.path(), "400");
    let wh = dir.path().join("wh");
    assert_eq!(run_into(&inbox, &wh).0, 0);
    let before = current_target(&wh);
    // Kill runs at several moments; whatever the moment, current is a complete run.
    for delay_ms in [5u64, 50, 150, 400] {
        let mut child = bin()
            .args([
                "run",
                "--inbox",
                inbox.to_str().unwrap(),
                "--warehouse",
                wh.to_str().unwrap(),
                "--as-of",
                "2025-06-30",
            ])
            .args(["--pipeline", default_pipeline(&inbox).to_str().unwrap()])
            .stderr(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        assert_current_complete(&wh);
    }
    assert!(
        wh.join(&before).exists() || current_target(&wh) != before,
        "the previous run is still on disk unless a newer one replaced it"
    );
    assert_eq!(
        run_into(&inbox, &wh).0,
        0,
        "the lock of a killed run is released"
    );
    assert_current_complete(&wh);
}

#[test]
fn a_second_concurrent_run_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let inbox = generated_inbox(dir.path(), "30");
    let wh = dir.path().join("wh");
    std::fs::create_dir_all(&wh).unwrap();
    // Hold the warehouse lock as a running pipeline would.
    let lock = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(wh.join(".lock"))
        .unwrap();
    lock.try_lock().unwrap();
    let (code, err) = run_into(&inbox, &wh);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("another run is using this warehouse"), "{err}");
    assert!(!wh.join("current").exists());
    drop(lock);
    assert_eq!(run_into(&inbox, &wh).0, 0);
}

#[test]
fn only_the_newest_runs_are_kept() {
    let dir = tempfile::tempdir().unwrap();
    let inbox = generated_inbox(dir.path(), "30");
    let wh = dir.path().join("wh");
    let pipeline = dir.path().join("p.toml");
    std::fs::write(
        &pipeline,
        "[settings]\nmax_quarantine_share = 1.0\n[publish]\nkeep_runs = 2\n",
    )
    .unwrap();
    for _ in 0..4 {
        let (code, _, err) = run(&[
            "run",
            "--inbox",
            inbox.to_str().unwrap(),
            "--warehouse",
            wh.to_str().unwrap(),
            "--as-of",
            "2025-06-30",
            "--pipeline",
            pipeline.to_str().unwrap(),
        ]);
        assert_eq!(code, 0, "{err}");
    }
    let mut runs: Vec<String> = std::fs::read_dir(wh.join("runs"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    runs.sort();
    assert_eq!(runs.len(), 2);
    assert_eq!(current_target(&wh), Path::new("runs").join(&runs[1]));
}

#[test]
fn the_pseudonym_key_is_created_once_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let inbox = generated_inbox(dir.path(), "30");
    let wh = dir.path().join("wh");
    let go = || {
        let out = bin()
            .env_remove("RETENTION_PSEUDONYM_KEY")
            .args([
                "run",
                "--inbox",
                inbox.to_str().unwrap(),
                "--warehouse",
                wh.to_str().unwrap(),
                "--as-of",
                "2025-06-30",
            ])
            .args(["--pipeline", default_pipeline(&inbox).to_str().unwrap()])
            .output()
            .unwrap();
        assert!(out.status.success());
        read_table(&wh, "worker_spells").1
    };
    let first = go();
    let key = wh.join(".pseudonym_key");
    assert_eq!(
        std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert_eq!(std::fs::read(&key).unwrap().len(), 32);
    assert_eq!(go(), first, "the same key gives the same worker keys");
    // Worker keys are 16 lowercase hex digits and never a raw id.
    for row in &first {
        assert_eq!(row[0].len(), 16);
        assert!(
            row[0]
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        );
    }
}

/// `retention runs list` shows the kept runs (current marked, refused records with their
/// reason); `runs rollback` points current and current.json at a kept run atomically,
/// is refused for a run that is not kept complete (exit 2) and while a run holds the
/// lock (exit 1), and `query` then reads the rolled-back run.
#[test]
fn runs_are_listed_and_current_rolls_back() {
    let dir = tempfile::tempdir().unwrap();
    let inbox = crate::util::generate(
        dir.path(),
        &[
            "--workers",
            "80",
            "--years",
            "2",
            "--offices",
            "2",
            "--as-of",
            "2025-06-30",
        ],
    );
    let wh = dir.path().join("wh");
    let w = wh.to_str().unwrap();
    for _ in 0..2 {
        let (code, err) = crate::util::run_pipeline(&inbox, &wh, "2025-06-30", None);
        assert_eq!(code, 0, "{err}");
    }
    let missing = dir.path().join("missing");
    let (code, _) = crate::util::run_pipeline(&missing, &wh, "2025-06-30", None);
    assert_eq!(code, 2);
    let mut runs: Vec<String> = std::fs::read_dir(wh.join("runs"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| !n.ends_with(".refused"))
        .collect();
    runs.sort();
    let (first, second) = (&runs[0], &runs[1]);

    let (code, out, err) = crate::util::run(&["runs", "list", "--warehouse", w]);
    assert_eq!(code, 0, "{err}");
    let line = |id: &str| out.lines().find(|l| l.contains(id)).unwrap().to_string();
    assert!(line(second).starts_with('*') && line(second).contains("published"));
    assert!(line(first).starts_with(' '));
    assert!(out.contains("refused") && out.contains("exit 2:"), "{out}");
    assert!(out.contains("(3 runs; * is current)"), "{out}");

    let (code, out, err) = crate::util::run(&["runs", "rollback", "--warehouse", w, first]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.trim(), format!("current -> runs/{first}"));
    assert_eq!(
        std::fs::read_link(wh.join("current")).unwrap(),
        std::path::Path::new("runs").join(first)
    );
    let pointer: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(wh.join("current.json")).unwrap()).unwrap();
    assert_eq!(pointer["run_id"], first.as_str());
    let (_, out, _) = crate::util::run(&[
        "query",
        "--warehouse",
        w,
        "--format",
        "csv",
        "select count(*) as n from warehouse.columns",
    ]);
    assert!(out.starts_with("n\n"), "{out}");

    // `query --run` reads a kept run other than current; a run not kept is exit 2.
    let manifest_run = |run: &str| {
        let (code, out, err) = crate::util::run(&[
            "query",
            "--warehouse",
            w,
            "--run",
            run,
            "--format",
            "csv",
            "select count(*) as n from warehouse.offices",
        ]);
        (code, out, err)
    };
    let (code, out, err) = manifest_run(second);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("n\n"), "{out}");
    let (code, _, err) = manifest_run("nope");
    assert_eq!(code, 2);
    assert!(err.contains("no complete run nope"), "{err}");

    for bad in ["nope", "../wh", &format!("{second}.refused")] {
        let (code, _, err) = crate::util::run(&["runs", "rollback", "--warehouse", w, bad]);
        assert_eq!(code, 2, "{bad}: {err}");
        assert!(err.contains("no complete run"), "{err}");
    }
    // While a run holds the lock, nothing moves.
    let lock = std::fs::OpenOptions::new()
        .write(true)
        .open(wh.join(".lock"))
        .unwrap();
    lock.try_lock().unwrap();
    let (code, _, err) = crate::util::run(&["runs", "rollback", "--warehouse", w, second]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("another run is using this warehouse"), "{err}");
    assert_eq!(
        std::fs::read_link(wh.join("current")).unwrap(),
        std::path::Path::new("runs").join(first)
    );
}
