//! Faults never push a source over the pipeline's default `max_quarantine_share` (0.05 of a
//! source of 100 rows or more), whatever the size of the agency: issue #11's
//! `--workers 40000 --years 10 --offices 120 --faults 0.001` once wrote 8 bad `offices` rows
//! of 128 (6.2%) and the run refused it.

use std::collections::HashMap;

use proptest::prelude::*;
use retention_synth::AgencySpec;

use crate::support::{read_expected, run, spec};

/// The default share check of the pipeline, written out here rather than imported.
const CHECKED_FROM: u64 = 100;
const DEFAULT_LIMIT: f64 = 0.05;

/// Generates `s` and returns (source, rows, bad rows) for every source.
fn shares(s: &AgencySpec) -> Vec<(&'static str, u64, u64)> {
    let dir = tempfile::tempdir().unwrap();
    let inbox = run(s, dir.path());
    let mut bad: HashMap<String, u64> = HashMap::new();
    for (source, _, _) in read_expected(dir.path()) {
        *bad.entry(source).or_default() += 1;
    }
    inbox
        .rows
        .iter()
        .map(|&(name, rows)| (name, rows, bad.get(name).copied().unwrap_or(0)))
        .collect()
}

fn assert_under_limit(s: &AgencySpec) {
    for (name, rows, bad) in shares(s) {
        if rows >= CHECKED_FROM {
            assert!(
                bad as f64 <= DEFAULT_LIMIT * rows as f64,
                "{name}: {bad} bad rows of {rows} with {s:?}"
            );
        }
    }
}

#[test]
fn many_offices_take_only_the_bad_rows_that_fit() {
    // The case, with fewer workers: 120 offices.
    let s = AgencySpec {
        offices: 120,
        ..spec(300, 2, 120, 0.001)
    };
    let got = shares(&s);
    let (_, rows, bad) = got[0];
    assert_eq!(got[0].0, "offices");
    // 120 clean rows: 5 bad rows fit in 4% of 125, a sixth would not (6 > 0.04 * 126).
    assert_eq!((rows, bad), (125, 5), "{got:?}");
    assert_under_limit(&s);
}

#[test]
fn a_source_estimated_small_that_grows_past_the_check_is_trimmed() {
    // 99 offices are estimated below the share check, but their 7 guaranteed bad rows and
    // a few random ones take the file past 100 rows (found by the property below).
    for s in [
        AgencySpec {
            seed: 789,
            ..spec(70, 1, 99, 0.021244259637860908)
        },
        AgencySpec {
            seed: 382,
            ..spec(31, 1, 93, 0.01560080948776894)
        },
        AgencySpec {
            seed: 988,
            ..spec(54, 2, 28, 0.0146181908383508)
        },
    ] {
        assert_under_limit(&s);
    }
}

#[test]
fn small_sources_still_take_every_reason() {
    // 3 offices are never share-checked: each of the 7 office reasons gets its row.
    let got = shares(&spec(40, 1, 3, 0.001));
    assert_eq!(got[0].0, "offices");
    assert!(got[0].2 >= 7, "{got:?}");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 8, failure_persistence: None, ..ProptestConfig::default() })]
    #[test]
    fn no_source_is_over_the_default_share(
        workers in 20u32..400,
        years in 1u32..4,
        offices in 1u32..300,
        faults in 0.0f64..=0.04,
        seed in 0u64..1000,
    ) {
        assert_under_limit(&AgencySpec { seed, ..spec(workers, years, offices, faults) });
    }
}
