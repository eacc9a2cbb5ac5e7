//! A 2000-worker, ten-year, 60-office agency: run by hand (`--ignored`) to time generation
//! and extrapolate to 20000 workers. Set `SYNTH_OUT` to keep the inbox for inspection and
//! `SYNTH_SPEC=workers,years,offices,seed,faults[,as_of]` to generate another agency instead.

use crate::support::{run, spec};

#[test]
#[ignore = "slow in debug builds; run by hand to time generation"]
fn two_thousand_workers_ten_years() {
    let mut s = retention_synth::AgencySpec {
        seed: 2025,
        ..spec(2000, 10, 60, 0.01)
    };
    if let Some(text) = std::env::var_os("SYNTH_SPEC") {
        let v: Vec<String> = text
            .to_string_lossy()
            .split(',')
            .map(str::to_string)
            .collect();
        s.workers = v[0].parse().unwrap();
        s.years = v[1].parse().unwrap();
        s.offices = v[2].parse().unwrap();
        s.seed = v[3].parse().unwrap();
        s.faults = v[4].parse().unwrap();
        if let Some(as_of) = v.get(5) {
            s.as_of = as_of.parse().unwrap();
        }
    }
    let keep = std::env::var_os("SYNTH_OUT");
    let tmp = tempfile::tempdir().unwrap();
    let dir = keep
        .as_ref()
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| tmp.path().to_path_buf());
    let inbox = run(&s, &dir);
    assert!(inbox.rows.iter().all(|(_, n)| *n > 0), "{inbox:?}");
    eprintln!("{inbox:?}");
}
