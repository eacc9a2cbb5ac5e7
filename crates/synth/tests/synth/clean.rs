//! Clean output breaks no contract rule; injected rows are listed with the right lines and
//! leave every other row clean; invalid specs are refused with a sentence.

use std::collections::{HashMap, HashSet};

use retention_synth::{SynthError, generate};

use crate::support::{SOURCES, check_clean, read_expected, read_source, run, spec};

#[test]
fn clean_inbox_has_unique_keys_and_no_rule_broken() {
    let dir = tempfile::tempdir().unwrap();
    let s = spec(300, 3, 5, 0.0);
    let inbox = run(&s, dir.path());
    assert_eq!(inbox.faults, 0);
    assert!(read_expected(dir.path()).is_empty());
    let (problems, _) = check_clean(dir.path(), s.as_of, &HashMap::new());
    assert!(
        problems.is_empty(),
        "{} problems, first: {:?}",
        problems.len(),
        &problems[..problems.len().min(10)]
    );
    // Reported counts are the data rows actually in the files.
    for (name, rows) in &inbox.rows {
        assert_eq!(
            *rows,
            read_source(dir.path(), name, &HashSet::new()).len() as u64,
            "{name}"
        );
    }
    let names: Vec<&str> = inbox.rows.iter().map(|(n, _)| *n).collect();
    assert_eq!(names, SOURCES);
}

#[test]
fn injected_rows_leave_the_clean_rows_clean() {
    let dir = tempfile::tempdir().unwrap();
    let s = spec(200, 3, 4, 0.03);
    let inbox = run(&s, dir.path());
    let expected = read_expected(dir.path());
    assert_eq!(inbox.faults, expected.len() as u64);
    let mut skip: HashMap<String, HashSet<u64>> = HashMap::new();
    for (source, line, _) in &expected {
        assert!(*line >= 2, "an injected row before the header");
        assert!(
            skip.entry(source.clone()).or_default().insert(*line),
            "{source}:{line} listed twice"
        );
    }
    // With the listed lines removed, what is left must be exactly a clean inbox: this also
    // proves the line numbers point at the injected rows and not at their neighbours.
    let (problems, _) = check_clean(dir.path(), s.as_of, &skip);
    assert!(
        problems.is_empty(),
        "{} problems, first: {:?}",
        problems.len(),
        &problems[..problems.len().min(10)]
    );
    for (name, rows) in &inbox.rows {
        let bytes = std::fs::read(dir.path().join(format!("{name}.csv"))).unwrap();
        let lines = bytes.iter().filter(|&&b| b == b'\n').count() as u64;
        assert_eq!(
            lines,
            rows + 1,
            "{name}: one line per record plus the header"
        );
        let bad = skip.get(*name).map_or(0, |s| s.len()) as u64;
        let clean = rows - bad;
        // Roughly faults * rows, plus one guaranteed row per applicable reason.
        assert!(
            bad as f64 <= 0.03 * clean as f64 * 1.6 + 16.0,
            "{name}: {bad} bad rows for {clean} clean"
        );
        assert!(bad >= 7, "{name}: only {bad} bad rows");
    }
}

#[test]
fn invalid_specs_are_refused_with_a_sentence() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (spec(0, 3, 5, 0.0), "workers"),
        (spec(10, 0, 5, 0.0), "years"),
        (spec(10, 3, 0, 0.0), "offices"),
        (spec(10, 3, 5, 0.6), "faults"),
        (spec(10, 3, 5, -0.1), "faults"),
        (spec(10, 40, 5, 0.0), "years"),
    ];
    for (s, word) in cases {
        match generate(&s, dir.path(), &mut |_| {}) {
            Err(SynthError::InvalidSpec(msg)) => {
                assert!(msg.contains(word), "{msg:?} should name {word}")
            }
            other => panic!("expected an invalid spec for {word}, got {other:?}"),
        }
    }
}
