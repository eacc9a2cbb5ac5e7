//! Indicators on a generated agency, checked by their invariants (CONTRACT.md sections
//! 5 and 6): ALL cells are sums of their parts, survival never rises, and no suppressed
//! survey value can be rebuilt by the differencing attack, in one step or several.

use crate::util::{bin, generate, read_table, run, run_pipeline};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn published(dir: &Path) -> PathBuf {
    let inbox = generate(
        dir,
        &[
            "--workers",
            "300",
            "--years",
            "4",
            "--offices",
            "5",
            "--seed",
            "21",
            "--as-of",
            "2025-06-30",
        ],
    );
    let wh = dir.join("wh");
    let (code, err) = run_pipeline(&inbox, &wh, "2025-06-30", None);
    assert_eq!(code, 0, "{err}");
    wh
}

type Row = BTreeMap<String, String>;

fn rows(wh: &Path, table: &str) -> Vec<Row> {
    let (names, rows) = read_table(wh, table);
    rows.into_iter()
        .map(|r| names.iter().cloned().zip(r).collect())
        .collect()
}

fn int(row: &Row, column: &str) -> i64 {
    row[column]
        .parse()
        .unwrap_or_else(|_| panic!("{column} = {}", row[column]))
}

#[test]
fn indicators_roll_up_and_suppression_holds() {
    let dir = tempfile::tempdir().unwrap();
    let wh = published(dir.path());
    let indicators = rows(&wh, "office_indicators");
    assert!(indicators.len() > 100, "{} rows", indicators.len());
    let periods: BTreeSet<(String, String)> = indicators
        .iter()
        .map(|r| (r["period_type"].clone(), r["period_start"].clone()))
        .collect();
    // 48 months of history by default is capped by the window of 120 months: the
    // generator's 4 years plus the initial workforce give the full window.
    assert_eq!(
        periods.iter().filter(|(t, _)| t == "trailing_12m").count(),
        1
    );
    let cell = |r: &Row| {
        (
            r["period_type"].clone(),
            r["period_start"].clone(),
            r["office_id"].clone(),
            r["tenure_band"].clone(),
        )
    };
    let by_cell: BTreeMap<_, &Row> = indicators.iter().map(|r| (cell(r), r)).collect();
    let get = |p: &(String, String), office: &str, band: &str, column: &str| -> i64 {
        by_cell
            .get(&(
                p.0.clone(),
                p.1.clone(),
                office.to_string(),
                band.to_string(),
            ))
            .map_or(0, |r| int(r, column))
    };
    let offices: BTreeSet<String> = indicators
        .iter()
        .map(|r| r["office_id"].clone())
        .filter(|o| o != "ALL")
        .collect();
    let bands = ["00-06m", "06-12m", "01-02y", "02-05y", "05y+"];
    for p in &periods {
        for column in [
            "exposure_days",
            "headcount_end",
            "separations",
            "voluntary_separations",
            "transfers_out",
            "sts_respondents",
        ] {
            // ALL office = sum over offices, for every band and for ALL.
            for band in bands.iter().copied().chain(["ALL"]) {
                let sum: i64 = offices.iter().map(|o| get(p, o, band, column)).sum();
                assert_eq!(
                    get(p, "ALL", band, column),
                    sum,
                    "{p:?} ALL/{band} {column}"
                );
            }
            // ALL band = sum over bands, for every office and for ALL.
            for office in offices.iter().map(String::as_str).chain(["ALL"]) {
                let sum: i64 = bands.iter().map(|b| get(p, office, b, column)).sum();
                assert_eq!(
                    get(p, office, "ALL", column),
                    sum,
                    "{p:?} {office}/ALL {column}"
                );
            }
        }
    }
    // Turnover is separations * 365.25 / exposure_days.
    for r in &indicators {
        let expected = int(r, "separations") as f64 * 365.25 / int(r, "exposure_days") as f64;
        let got: f64 = r["turnover_rate"].parse().unwrap();
        assert!((got - expected).abs() < 1e-9, "{r:?}");
        assert!(int(r, "exposure_days") > 0);
    }
    // Suppression: no mean below min_group_size respondents, and nothing suppressed can
    // be rebuilt from the visible cells.
    for (count, mean) in SURVEY_MEASURES {
        for r in &indicators {
            if int(r, count) > 0 && int(r, count) < 5 {
                assert_eq!(r[mean], "∅", "{r:?}");
            }
        }
    }
    assert!(
        survey_values_rebuilt(&indicators).1 > 0,
        "the fixture exercises suppression"
    );
    assert_eq!(survey_values_rebuilt(&indicators).0, Vec::<String>::new());
}

/// Each survey measure's respondents and mean columns.
const SURVEY_MEASURES: [(&str, &str); 3] = [
    ("sts_respondents", "sts_mean"),
    ("burnout_respondents", "burnout_mean"),
    ("resilience_respondents", "resilience_mean"),
];

/// The differencing attack (CONTRACT.md section 5) on every period and survey measure of
/// published office_indicators, and on the predicted columns of the trailing 12 months: the suppressed values it rebuilds (period, cell and
/// measure), and how many cells with respondents are suppressed in all.
fn survey_values_rebuilt(indicators: &[Row]) -> (Vec<String>, usize) {
    use retention_pipeline::suppression::{Cell, PublishedCell, differencing_attack};
    let mut periods: BTreeMap<(String, String), Vec<&Row>> = BTreeMap::new();
    for r in indicators {
        periods
            .entry((r["period_type"].clone(), r["period_start"].clone()))
            .or_default()
            .push(r);
    }
    let (mut rebuilt, mut suppressed) = (Vec::new(), 0);
    for (period, rows) in &periods {
        // The predicted columns are one more measure, counted by headcount_end on the
        // trailing 12 months: their turnover x headcount_end is the sum that adds up.
        let predicted = period.0 == "trailing_12m";
        let measures = SURVEY_MEASURES
            .iter()
            .chain(predicted.then_some(&("headcount_end", "predicted_turnover_12m")));
        for &(count, mean) in measures {
            let cells: Vec<PublishedCell> = rows
                .iter()
                .map(|r| PublishedCell {
                    cell: Cell {
                        office: r["office_id"].clone(),
                        band: r["tenure_band"].clone(),
                        respondents: int(r, count),
                    },
                    mean: r[mean].parse().ok(),
                })
                .collect();
            suppressed += cells
                .iter()
                .filter(|c| c.cell.respondents > 0 && c.mean.is_none())
                .count();
            for (i, _) in differencing_attack(&cells) {
                let c = &cells[i].cell;
                rebuilt.push(format!("{period:?} {}/{} {mean}", c.office, c.band));
            }
        }
    }
    (rebuilt, suppressed)
}

/// CONTRACT.md section 5: on generated agencies of several sizes, the differencing
/// attack rebuilds no suppressed survey value.
#[test]
fn suppression_survives_the_differencing_attack_at_several_sizes() {
    for (workers, offices, years, seed) in [
        ("80", "2", "2", "3"),
        ("500", "9", "3", "8"),
        ("1500", "25", "2", "13"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let inbox = generate(
            dir.path(),
            &[
                "--workers",
                workers,
                "--years",
                years,
                "--offices",
                offices,
                "--seed",
                seed,
                "--as-of",
                "2025-06-30",
                "--faults",
                "0",
            ],
        );
        let wh = dir.path().join("wh");
        let (code, err) = run_pipeline(&inbox, &wh, "2025-06-30", None);
        assert_eq!(code, 0, "{workers} workers: {err}");
        let (rebuilt, suppressed) = survey_values_rebuilt(&rows(&wh, "office_indicators"));
        assert!(suppressed > 0, "{workers} workers: nothing suppressed");
        assert_eq!(rebuilt, Vec::<String>::new(), "{workers} workers");
    }
}

#[test]
fn survival_curves_are_monotone_and_complete() {
    let dir = tempfile::tempdir().unwrap();
    let wh = published(dir.path());
    let curves = rows(&wh, "retention_curves");
    let mut groups: BTreeMap<(String, String), Vec<&Row>> = BTreeMap::new();
    for r in &curves {
        groups
            .entry((r["group_type"].clone(), r["group_value"].clone()))
            .or_default()
            .push(r);
    }
    assert!(groups.contains_key(&("state".to_string(), "ALL".to_string())));
    assert!(
        groups.keys().any(|(t, _)| t == "office") && groups.keys().any(|(t, _)| t == "hire_year")
    );
    for (group, points) in &groups {
        let t: Vec<i64> = points.iter().map(|r| int(r, "t_days")).collect();
        assert_eq!(t, [90, 180, 365, 730, 1095, 1826], "{group:?}");
        let mut last = 1.0f64;
        for r in points {
            if int(r, "at_risk") == 0 {
                assert_eq!(
                    (r["survival"].as_str(), r["ci_lower"].as_str()),
                    ("∅", "∅"),
                    "{group:?}"
                );
                continue;
            }
            let s: f64 = r["survival"].parse().unwrap();
            let (lo, hi): (f64, f64) = (
                r["ci_lower"].parse().unwrap(),
                r["ci_upper"].parse().unwrap(),
            );
            assert!(s <= last + 1e-12, "{group:?}: survival rises");
            assert!(
                lo <= s + 1e-12 && s <= hi + 1e-12,
                "{group:?}: {lo} {s} {hi}"
            );
            last = s;
        }
    }
    // Year-one survival of new hires is what the generator was built to produce: about
    // half leave in their first year.
    let state = &groups[&("state".to_string(), "ALL".to_string())];
    let s365: f64 = state[2]["survival"].parse().unwrap();
    assert!((0.3..0.8).contains(&s365), "survival at 365 days {s365}");
}

#[test]
fn query_prints_views_in_every_format_and_reports_sql_errors() {
    let dir = tempfile::tempdir().unwrap();
    let wh = published(dir.path());
    let w = wh.to_str().unwrap();
    let (code, out, err) = run(&[
        "query",
        "--warehouse",
        w,
        "select office_id, tenure_band from office_risk where office_id = 'ALL' order by tenure_band",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("| ALL       | 00-06m      |"), "{out}");
    assert!(out.trim_end().ends_with("(6 rows)"), "{out}");
    let (code, out, _) = run(&[
        "query",
        "--warehouse",
        w,
        "--format",
        "csv",
        "select source, rows_read from data_quality where reason = 'ALL' order by source",
    ]);
    assert_eq!(code, 0);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "source,rows_read");
    assert_eq!(lines.len(), 7, "{out}");
    let (code, out, _) = run(&[
        "query",
        "--warehouse",
        w,
        "--format",
        "json",
        "select count(*) as n from warehouse.worker_spells",
    ]);
    assert_eq!(code, 0);
    let parsed: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(parsed[0]["n"].as_u64().unwrap() > 100);
    let file = dir.path().join("out.parquet");
    let (code, _, err) = run(&[
        "query",
        "--warehouse",
        w,
        "--format",
        "parquet",
        "--output",
        file.to_str().unwrap(),
        "select * from retention_curves",
    ]);
    assert_eq!(code, 0, "{err}");
    let (_, rows) = crate::util::read_parquet(&file);
    assert!(rows.len() >= 6);
    // Views are aggregate only: no worker_key column anywhere.
    let (code, help, _) = run(&["query", "--help"]);
    assert_eq!(code, 0);
    let views: Vec<&str> = retention_pipeline::sql::VIEWS
        .iter()
        .map(|v| v.name)
        .collect();
    // clap may wrap the line: compare with runs of white space as one space.
    let flat = help.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        flat.contains(&format!("Views: {}.", views.join(", "))),
        "{help}"
    );
    for view in views {
        let (code, out, err) = run(&[
            "query",
            "--warehouse",
            w,
            "--format",
            "csv",
            &format!("select * from {view} limit 1"),
        ]);
        assert_eq!(code, 0, "{view}: {err}");
        assert!(
            !out.lines().next().unwrap_or("").contains("worker_key"),
            "{view} exposes worker keys"
        );
    }
    let (code, _, err) = run(&["query", "--warehouse", w, "select nonsense from nowhere"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("SQL error") && err.contains("nowhere"),
        "{err}"
    );
    let (code, _, err) = run(&[
        "query",
        "--warehouse",
        dir.path().join("empty").to_str().unwrap(),
        "select 1",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("no published run"), "{err}");
}

#[test]
fn program_outcomes_cover_every_cohort_and_measure() {
    let dir = tempfile::tempdir().unwrap();
    let wh = published(dir.path());
    let outcomes = rows(&wh, "program_outcomes");
    let cohorts: BTreeSet<(String, String)> = outcomes
        .iter()
        .map(|r| (r["program"].clone(), r["cohort_id"].clone()))
        .collect();
    assert!(
        cohorts.iter().any(|(p, _)| p == "RESILIENCE_ALLIANCE"),
        "{cohorts:?}"
    );
    assert_eq!(
        outcomes.len(),
        cohorts.len() * 3,
        "three measures per cohort"
    );
    let mut sts_changes = Vec::new();
    for r in &outcomes {
        let (enrolled, completed, pairs) =
            (int(r, "enrolled"), int(r, "completed"), int(r, "pairs"));
        assert!(pairs <= completed && completed <= enrolled, "{r:?}");
        if pairs < 5 {
            for column in [
                "pre_mean",
                "post_mean",
                "mean_change",
                "sd_change",
                "t_stat",
                "p_value",
                "effect_size_dz",
            ] {
                assert_eq!(r[column], "∅", "{column} shown for {pairs} pairs: {r:?}");
            }
        } else {
            let (pre, post, change): (f64, f64, f64) = (
                r["pre_mean"].parse().unwrap(),
                r["post_mean"].parse().unwrap(),
                r["mean_change"].parse().unwrap(),
            );
            assert!(
                (post - pre - change).abs() < 1e-9,
                "mean_change = post_mean - pre_mean: {r:?}"
            );
            let p: f64 = r["p_value"].parse().unwrap();
            assert!((0.0..=1.0).contains(&p));
            if r["program"] == "RESILIENCE_ALLIANCE" && r["measure"] == "sts_total" {
                sts_changes.push(change);
            }
        }
    }
    // The generator makes Resilience Alliance lower STS; the pairing finds it.
    assert!(
        !sts_changes.is_empty(),
        "some Resilience Alliance cohort has enough pairs"
    );
    let mean = sts_changes.iter().sum::<f64>() / sts_changes.len() as f64;
    assert!(
        mean < 0.0,
        "STS falls after the program on average: {sts_changes:?}"
    );
}

#[test]
fn models_that_merge_partitions_end_in_a_sort() {
    // A rerun must publish bit-identical tables, and the marts add floating-point values
    // in the row order of the models they read. One-partition models are ordered; a
    // union yields several partitions, which are collected in partition order when the
    // union is on top of its model, but merged in arrival order (CoalescePartitionsExec)
    // when it is inside, so such a model must end in an ORDER BY of its grain. This
    // reads every model's executed plan (RETENTION_PLAN_METRICS) of a real run.
    let dir = tempfile::tempdir().unwrap();
    let inbox = generate(
        dir.path(),
        &[
            "--workers",
            "200",
            "--years",
            "3",
            "--offices",
            "3",
            "--seed",
            "5",
            "--as-of",
            "2025-06-30",
            "--faults",
            "0",
        ],
    );
    let plans = dir.path().join("plans");
    std::fs::create_dir_all(&plans).unwrap();
    let out = bin()
        .env("RETENTION_PLAN_METRICS", &plans)
        .args(["run", "--inbox", inbox.to_str().unwrap(), "--warehouse"])
        .arg(dir.path().join("wh"))
        .args(["--as-of", "2025-06-30"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut unions_on_top = BTreeSet::new();
    let mut models = 0;
    for entry in std::fs::read_dir(&plans).unwrap() {
        let path = entry.unwrap().path();
        let plan = std::fs::read_to_string(&path).unwrap();
        models += 1;
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let top = plan.lines().next().unwrap_or_default();
        if top.starts_with("UnionExec") {
            unions_on_top.insert(name.clone());
        }
        if plan.contains("CoalescePartitionsExec") {
            assert!(
                top.starts_with("SortExec") || top.starts_with("SortPreservingMergeExec"),
                "{name} merges partitions but its plan starts with {top}"
            );
        }
    }
    assert!(models >= 10, "only {models} plans written");
    // Unions are kept on top of their own models (collected partition by partition)
    // rather than merged inside another; these are read by sums in the marts.
    for name in [
        "int_survey_placed",
        "int_supervision_months",
        "int_program_subjects",
    ] {
        assert!(
            unions_on_top.contains(name),
            "{name} no longer has a union on top: {unions_on_top:?}"
        );
    }
}

/// `retention query` for people and for pipes (issue #16): the table format shows 40 rows
/// by default with a footer saying how many there are, and floats to 4 decimals; a
/// machine format refuses two statements; Parquet output is plain Utf8; `-f -` reads
/// stdin; a reader that closes the pipe early ends it quietly with exit 0; an SQL error
/// says "SQL error" once.
#[test]
fn query_limits_rows_rounds_floats_and_writes_one_valid_result() {
    use std::io::{Read, Write};
    use std::process::Stdio;
    let dir = tempfile::tempdir().unwrap();
    let wh = published(dir.path());
    let w = wh.to_str().unwrap();
    let (code, out, err) = run(&[
        "query",
        "--warehouse",
        w,
        "select * from warehouse.worker_months",
    ]);
    assert_eq!(code, 0, "{err}");
    let footer = out.lines().last().unwrap();
    assert!(footer.contains("rows, 40 shown"), "{footer}");
    assert_eq!(
        out.lines().filter(|l| l.starts_with("| ")).count(),
        41,
        "header + 40 rows"
    );
    let (_, all, _) = run(&[
        "query",
        "--warehouse",
        w,
        "--max-rows",
        "0",
        "select * from warehouse.worker_months",
    ]);
    assert!(!all.contains("shown"));

    let (_, out, _) = run(&["query", "--warehouse", w, "select 0.39551711480223917 as x"]);
    assert!(out.contains("0.3955") && !out.contains("0.39551"), "{out}");
    let (_, csv, _) = run(&[
        "query",
        "--warehouse",
        w,
        "--format",
        "csv",
        "select 0.39551711480223917 as x",
    ]);
    assert!(csv.contains("0.39551711480223917"), "{csv}");

    for format in ["csv", "json", "parquet"] {
        let (code, _, err) = run(&[
            "query",
            "--warehouse",
            w,
            "--format",
            format,
            "--output",
            dir.path().join("two").to_str().unwrap(),
            "select 1; select 2",
        ]);
        assert_eq!(code, 2, "{format}: {err}");
        assert!(err.contains("writes one result"), "{err}");
    }

    let file = dir.path().join("offices.parquet");
    let (code, _, err) = run(&[
        "query",
        "--warehouse",
        w,
        "--format",
        "parquet",
        "--output",
        file.to_str().unwrap(),
        "select office_id, office_name from warehouse.offices",
    ]);
    assert_eq!(code, 0, "{err}");
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(
        std::fs::File::open(&file).unwrap(),
    )
    .unwrap();
    for field in reader.schema().fields() {
        assert_eq!(
            field.data_type(),
            &arrow::datatypes::DataType::Utf8,
            "{field:?}"
        );
    }

    let mut child = crate::util::bin()
        .args(["query", "--warehouse", w, "-f", "-", "--format", "csv"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"select 7 as x;")
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert_eq!(String::from_utf8_lossy(&output.stdout), "x\n7\n");

    // `| head -c 100`: the reader goes away after 100 bytes of a large result.
    let mut child = crate::util::bin()
        .args([
            "query",
            "--warehouse",
            w,
            "--format",
            "csv",
            "select * from warehouse.worker_months",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 100];
    child
        .stdout
        .as_mut()
        .unwrap()
        .read_exact(&mut first)
        .unwrap();
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stderr).trim().is_empty());

    let (code, _, err) = run(&["query", "--warehouse", w, "selec 1"]);
    assert_eq!(code, 2);
    assert_eq!(err.matches("SQL error").count(), 1, "{err}");

    // A script's error says where, as psql does: FILE:LINE.
    let script = dir.path().join("report.sql");
    std::fs::write(
        &script,
        "-- a report\nselect 1;\n\nselect\n  nope\nfrom warehouse.offices;\n",
    )
    .unwrap();
    let (code, _, err) = run(&["query", "--warehouse", w, "-f", script.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(
        err.starts_with(&format!("error: {}:4: SQL error: ", script.display())),
        "{err}"
    );
}

/// The interactive prompt on a terminal (issue #16), driven through a pseudo-terminal by
/// util-linux's `script`: `\timing`, `\d NAME` with the dictionary's descriptions, `\x`,
/// Ctrl-C dropping the statement being typed and cancelling a running one, the up arrow
/// recalling the last statement, `\q`.
#[test]
fn the_prompt_edits_lines_keeps_history_and_knows_meta_commands() {
    use std::io::Write;
    use std::process::Stdio;
    let dir = tempfile::tempdir().unwrap();
    let wh = published(dir.path());
    // `script` runs the command through $SHELL -c. Debian's dash does not exec a lone
    // command, so without `exec` the shell shares the terminal's process group and a
    // Ctrl-C kills it (script then exits 130) while `retention query` carries on.
    let command = format!(
        "exec {} query --warehouse {}",
        env!("CARGO_BIN_EXE_retention"),
        wh.display()
    );
    let mut child = std::process::Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .env("SHELL", "/bin/sh")
        .env("HOME", dir.path())
        .env("RETENTION_PSEUDONYM_KEY", "test-key")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("util-linux's script runs (Debian's bsdutils)");
    let mut stdin = child.stdin.take().unwrap();
    // What the terminal shows, read as it comes: each key is typed once the screen shows
    // what a person would wait for (on a busy machine a fixed pause is not enough).
    let screen = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let reader = {
        let screen = screen.clone();
        let mut stdout = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            use std::io::Read;
            let mut chunk = [0u8; 4096];
            while let Ok(n @ 1..) = stdout.read(&mut chunk) {
                let text = String::from_utf8_lossy(&chunk[..n]).replace('\r', "");
                screen.lock().unwrap().push_str(&text);
            }
        })
    };
    // Waits until `text` shows after byte `from`, and returns where it ends.
    let wait = |from: usize, text: &str| -> usize {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
        loop {
            {
                let shown = screen.lock().unwrap();
                if let Some(at) = shown.get(from..).and_then(|s| s.find(text)) {
                    return from + at + text.len();
                }
                assert!(
                    std::time::Instant::now() < deadline,
                    "waited 120 s for {text:?}; the screen:\n{shown}"
                );
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    };
    let prompt = "retention> ";
    // (what to wait for, in order, then the keys to type)
    let steps: &[(&[&str], &[u8])] = &[
        (&[prompt], b"\\timing\r"),
        (&["Timing is on.", prompt], b"select 1 as x;\r"),
        (&["Time: ", prompt], b"\\d offices\r"),
        (&["Time: ", prompt], b"\\d office_risk\r"),
        (&["Time: ", prompt], b"\\x\r"),
        (&[prompt], b"select 2 as y, 3 as z;\r"),
        (&["Time: ", prompt], b"\\x\r"),
        (&[prompt], b"select 4"),
        (&["select 4"], b"\x03"),
        (&[prompt], b"select 5 as w;\r"),
        (&["Time: ", prompt], b"\x1b[A\r"),
        (
            &["| w |", "Time: ", prompt],
            b"select count(*) as n from generate_series(1, 100000000000);\r",
        ),
        // Once the statement is running, Ctrl-C cancels it and the session goes on.
        (&["100000000000);"], b"\x03"),
        (&["Cancelled (Ctrl-C).", prompt], b"select 6 as v;\r"),
        (&["Time: ", prompt], b"\\q\r"),
    ];
    let mut at = 0;
    for (shown, keys) in steps {
        for text in *shown {
            at = wait(at, text);
        }
        if *keys == b"\x03" {
            // The echo shows before Enter is read and the statement reaches DataFusion.
            std::thread::sleep(std::time::Duration::from_millis(500));
        }
        stdin.write_all(keys).unwrap();
        stdin.flush().unwrap();
    }
    let status = child.wait().unwrap();
    reader.join().unwrap();
    let text = screen.lock().unwrap().clone();
    assert_eq!(status.code(), Some(0), "{text}");
    assert!(
        text.contains("Timing is on.") && text.contains("Time: "),
        "{text}"
    );
    assert!(
        text.contains("| office_name       | Utf8View  | NO          | The office's name."),
        "{text}"
    );
    assert!(text.contains("-[ RECORD 1 ]-\ny | 2\nz | 3"), "{text}");
    // A view's columns are described by the tables it reads.
    assert!(
        text.contains("View office_risk: The trailing 12 months per office and tenure band")
            && text.contains("| tenure_band_order ")
            && text.contains("| Sort key: 1 (00-06m) to 5 (05y+), 6 for ALL"),
        "{text}"
    );
    assert!(
        !text.contains("select 4select"),
        "Ctrl-C dropped the partial statement: {text}"
    );
    assert_eq!(
        text.matches("| w |").count(),
        2,
        "the up arrow ran it again: {text}"
    );
    assert!(
        text.contains("Cancelled (Ctrl-C).") && text.contains("| v |"),
        "Ctrl-C cancelled the running statement and the session went on: {text}"
    );
    assert!(!text.contains("error"), "{text}");
}
