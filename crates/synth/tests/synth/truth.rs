//! `true_risk.csv` against the inbox it sits in: its workers and outcomes are the ones the
//! written job history implies for the backtest of CONTRACT.md section 9, and it agrees
//! with the summary `generate` returns.

use std::collections::{BTreeMap, HashMap};

use chrono::{Days, NaiveDate};
use retention_synth::AgencySpec;

use crate::support::{check_clean, run, spec};

/// The data rows of true_risk.csv as (worker_id, p, separated), checking the header.
fn read_truth(dir: &std::path::Path) -> Vec<(String, f64, bool)> {
    let text = std::fs::read_to_string(dir.join("true_risk.csv")).unwrap();
    assert!(text.ends_with('\n'));
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("worker_id,p_separation_12m,separated"));
    lines
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            assert_eq!(f.len(), 3, "{l:?}");
            let p: f64 = f[1].parse().unwrap();
            assert_eq!(p.to_string(), f[1], "p round-trips");
            let separated = match f[2] {
                "true" => true,
                "false" => false,
                other => panic!("separated {other:?}"),
            };
            (f[0].to_string(), p, separated)
        })
        .collect()
}

#[test]
fn true_risk_covers_the_backtest_workers_of_the_job_history() {
    for as_of in [(2025, 6, 30), (2025, 8, 13)] {
        let dir = tempfile::tempdir().unwrap();
        let s = AgencySpec {
            as_of: NaiveDate::from_ymd_opt(as_of.0, as_of.1, as_of.2).unwrap(),
            ..spec(250, 3, 4, 0.0)
        };
        let inbox = run(&s, dir.path());
        let train_end = s.as_of - Days::new(365);
        let (problems, spells) = check_clean(dir.path(), s.as_of, &HashMap::new());
        assert!(problems.is_empty(), "{problems:?}");

        // Employed on train_end, less spells ending on it; an event is a spell end after it.
        let mut expected: BTreeMap<String, bool> = BTreeMap::new();
        for (worker, list) in &spells {
            let on = list
                .iter()
                .find(|&&(a, b)| a <= train_end && b.is_none_or(|b| train_end <= b));
            if let Some(&(_, end)) = on
                && end != Some(train_end)
            {
                expected.insert(worker.clone(), end.is_some_and(|e| e <= s.as_of));
            }
        }
        let rows = read_truth(dir.path());
        let ids: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "sorted, no duplicates");
        let got: BTreeMap<String, bool> = rows.iter().map(|r| (r.0.clone(), r.2)).collect();
        assert_eq!(got, expected);

        let t = &inbox.truth;
        assert_eq!(t.train_end, train_end);
        assert_eq!(t.workers, rows.len() as u64);
        assert_eq!(t.events, rows.iter().filter(|r| r.2).count() as u64);
        let sum: f64 = rows.iter().map(|r| r.1).sum();
        assert!((sum - t.expected_events).abs() < 1e-9, "{sum} vs {t:?}");
        assert!(rows.iter().all(|r| r.1 > 0.0 && r.1 < 1.0));
        assert!(t.events > 0 && t.events < t.workers, "{t:?}");
        assert!(t.auc.is_some_and(|a| a > 0.5), "{t:?}");
    }
}
