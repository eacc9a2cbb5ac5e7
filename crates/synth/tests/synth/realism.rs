//! The small agency behaves like a child-welfare workforce: 20-35% annual turnover, highest
//! in the first year of tenure, every source populated, and with faults on, every one of
//! the fifteen quarantine reasons present; group supervision held by units of a handful of
//! workers, not whole offices.

use std::collections::{BTreeSet, HashMap, HashSet};

use chrono::{Datelike, Months, NaiveDate};

use crate::support::{check_clean, read_expected, read_source, run, spec};

#[test]
fn small_agency_turnover_sources_and_reasons() {
    let dir = tempfile::tempdir().unwrap();
    let s = spec(400, 4, 5, 0.01);
    let inbox = run(&s, dir.path());

    let expected = read_expected(dir.path());
    let reasons: BTreeSet<&str> = expected.iter().map(|(_, _, r)| r.as_str()).collect();
    let all = [
        "MALFORMED_ROW",
        "MISSING_REQUIRED",
        "BAD_ID",
        "BAD_DATE",
        "BAD_NUMBER",
        "UNKNOWN_CODE",
        "OUT_OF_RANGE",
        "FUTURE_DATED",
        "DUPLICATE",
        "DUPLICATE_KEY",
        "INCONSISTENT_RESPONSE",
        "UNKNOWN_OFFICE",
        "UNKNOWN_WORKER",
        "INVALID_TRANSITION",
        "NOT_EMPLOYED",
    ];
    for r in all {
        assert!(
            reasons.contains(r),
            "no {r} among the expected quarantine reasons"
        );
    }
    assert_eq!(reasons.len(), 15);

    let mut skip: HashMap<String, HashSet<u64>> = HashMap::new();
    for (source, line, _) in &expected {
        skip.entry(source.clone()).or_default().insert(*line);
    }
    for (name, rows) in &inbox.rows {
        let clean = read_source(dir.path(), name, skip.get(*name).unwrap_or(&HashSet::new())).len();
        assert!(
            clean > 0 && *rows > clean as u64,
            "{name}: {clean} clean of {rows}"
        );
    }

    let (problems, spells) = check_clean(dir.path(), s.as_of, &skip);
    assert!(
        problems.is_empty(),
        "{:?}",
        &problems[..problems.len().min(10)]
    );

    // Turnover over the history window: separations per worker-year employed.
    let window_start = s.as_of.with_day(1).unwrap() - Months::new(4 * 12 - 1);
    let as_of = s.as_of;
    let mut exposure_days = 0i64;
    let mut separations = 0u32;
    // By tenure: (exposure days, separations) for tenure < 1 year and tenure > 2 years.
    let mut first_year = (0i64, 0u32);
    let mut long_tenure = (0i64, 0u32);
    let day_count = |from: NaiveDate, to: NaiveDate| (to - from).num_days() + 1;
    for list in spells.values() {
        for &(start, end) in list {
            let last = end.unwrap_or(as_of);
            let from = start.max(window_start);
            if from > last {
                continue;
            }
            exposure_days += day_count(from, last);
            let year1_end = start + chrono::Days::new(364);
            if from <= year1_end.min(last) {
                first_year.0 += day_count(from, year1_end.min(last));
            }
            let long_from = (start + chrono::Days::new(731)).max(from);
            if long_from <= last {
                long_tenure.0 += day_count(long_from, last);
            }
            if let Some(end) = end
                && end >= window_start
            {
                separations += 1;
                let tenure = (end - start).num_days();
                if tenure < 365 {
                    first_year.1 += 1;
                } else if tenure > 730 {
                    long_tenure.1 += 1;
                }
            }
        }
    }
    let turnover = separations as f64 / (exposure_days as f64 / 365.25);
    assert!(
        (0.20..=0.35).contains(&turnover),
        "annual turnover {turnover:.3}"
    );
    let headcount = exposure_days as f64 / ((as_of - window_start).num_days() + 1) as f64;
    assert!(
        (360.0..=440.0).contains(&headcount),
        "average headcount {headcount:.1}"
    );
    // Group sessions: one per supervisor's unit. They used to gather a whole office (about
    // 80 workers here); a unit is a handful.
    let supervision = read_source(
        dir.path(),
        "supervision_sessions",
        skip.get("supervision_sessions").unwrap_or(&HashSet::new()),
    );
    let mut attendees: HashMap<&str, usize> = HashMap::new();
    for r in &supervision {
        if r.get("format") == "GROUP" {
            *attendees.entry(r.get("session_id")).or_default() += 1;
        }
    }
    let mut sizes: Vec<usize> = attendees.into_values().collect();
    sizes.sort_unstable();
    assert!(sizes.len() > 100, "{} group sessions", sizes.len());
    let median = sizes[sizes.len() / 2];
    assert!(
        (2..=12).contains(&median),
        "median group session of {median}"
    );

    let rate = |(days, n): (i64, u32)| n as f64 / (days as f64 / 365.25);
    assert!(
        rate(first_year) > 1.4 * rate(long_tenure),
        "first-year separation rate {:.3} vs tenure > 2 years {:.3}",
        rate(first_year),
        rate(long_tenure)
    );
}
