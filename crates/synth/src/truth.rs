//! The generator's truth about separations, written as `true_risk.csv`.
//!
//! The pipeline's risk model is scored by a temporal backtest (CONTRACT.md section 9):
//! with `train_end = as_of - 365 days`, it predicts for the workers employed on train_end
//! (less those whose spell ends on train_end) whether their spell ends with a TERMINATION
//! in (train_end, as_of]. The simulation knows what no model can: the monthly separation
//! hazard it drew every worker's fate from ([`Agency::hazard`]). This module turns those
//! hazards into each backtest worker's true 12-month separation probability, the best
//! prediction any model could make, so tests and benchmarks can score the pipeline's
//! backtest against it.
//!
//! For one worker, with S the spell containing train_end:
//!
//! - `separated` is whether S ends (always by a TERMINATION) after train_end; every
//!   simulated date is on or before as-of. A termination followed by a rehire counts; a
//!   transfer does not end a spell.
//! - `p_separation_12m` is `1 - prod(1 - h_m)` over the simulated months after train_end,
//!   up to and including the month of as-of, where `h_m` is [`Agency::hazard`] for the
//!   worker in month m evaluated along the simulated path: tenure from S's start, the
//!   office the worker held when the simulation drew month m's separations (their post
//!   from the job history dated before the month's 1st), and their latent traits, programs,
//!   caseload and supervision as simulated. After the worker's termination the product
//!   goes on counterfactually, as if they had stayed, in the last office they held in S.
//!   The month containing train_end adds a factor when train_end is not its last day (see
//!   [`after_train_end`]).
//!
//! The probabilities are calibrated by construction: they are the simulation's own
//! hazards. They are not perfectly so, because the counterfactual months cannot know what
//! a worker who left would have done next (a transfer, a program), which a stayer's
//! months do reflect.

use chrono::{Days, NaiveDate};

use crate::TruthSummary;
use crate::agency::{Agency, Spell, Worker};
use crate::csv::push_worker_id;

/// Name of the truth file in the out folder.
pub(crate) const TRUE_RISK: &str = "true_risk.csv";

/// Header of `true_risk.csv`.
const HEADER: &str = "worker_id,p_separation_12m,separated";

/// One worker of the backtest.
#[derive(Clone, Debug)]
pub(crate) struct TruthRow {
    /// The worker's id as every source file writes it.
    pub id: String,
    /// True probability of a TERMINATION in (train_end, as_of].
    pub p: f64,
    /// Whether the spell containing train_end ends with a TERMINATION in (train_end, as_of].
    pub separated: bool,
}

/// The truth about the backtest's workers.
#[derive(Clone, Debug)]
pub(crate) struct Truth {
    /// as_of - 365 days.
    pub train_end: NaiveDate,
    /// One row per worker, sorted by id (byte order).
    pub rows: Vec<TruthRow>,
}

impl Truth {
    /// The summary returned by [`crate::generate`].
    pub(crate) fn summary(&self) -> TruthSummary {
        let p: Vec<f64> = self.rows.iter().map(|r| r.p).collect();
        let event: Vec<bool> = self.rows.iter().map(|r| r.separated).collect();
        TruthSummary {
            train_end: self.train_end,
            workers: self.rows.len() as u64,
            events: event.iter().filter(|&&e| e).count() as u64,
            expected_events: p.iter().sum(),
            auc: auc(&p, &event),
        }
    }

    /// The text of `true_risk.csv`: the header, then one row per worker; p is printed with
    /// Rust's shortest round-trip formatting of f64, `separated` as `true`/`false`.
    pub(crate) fn csv(&self) -> String {
        let mut text = String::with_capacity(HEADER.len() + 1 + 40 * self.rows.len());
        text.push_str(HEADER);
        text.push('\n');
        for r in &self.rows {
            text.push_str(&format!("{},{},{}\n", r.id, r.p, r.separated));
        }
        text
    }
}

/// The spell of `w` that contains `d`, unless that spell ends on `d` (CONTRACT.md
/// section 9 leaves those workers out: their departure is known).
pub(crate) fn backtest_spell(w: &Worker, d: NaiveDate) -> Option<Spell> {
    w.spells
        .iter()
        .find(|s| s.start <= d && s.end.is_none_or(|e| d <= e))
        .filter(|s| s.end != Some(d))
        .copied()
}

/// The hazard [`Agency::hazard`] gives `worker` in month `m` along the simulated path of
/// `spell`, which must have started before the month's 1st: the office is the worker's
/// post on the day before the 1st (a TRANSFER dated in month m is drawn after the month's
/// separations), or the last post of the spell once it has ended.
pub(crate) fn path_hazard(agency: &Agency, worker: u32, spell: &Spell, m: u32) -> f64 {
    let w = &agency.workers[worker as usize];
    let before = agency.month_start(m) - Days::new(1);
    let day = spell.end.map_or(before, |end| end.min(before));
    let post = w
        .post_on(day)
        .expect("a spell starting before the month has a post");
    debug_assert!(post.date >= spell.start);
    agency.hazard(worker, spell.start, post.office, m)
}

/// Probability that a worker with monthly hazard `h` is terminated after `train_end` in the
/// month that contains it, given no termination up to and including `train_end`.
///
/// The simulation draws a month's termination date uniformly from `lo..=me`, where `me` is
/// the month's last day and `lo` the month's 1st, or the start of a program the worker
/// enrolled in that month if later (a termination may not precede it). With `a` and `b`
/// the shares of those days after train_end and up to it, the probability is
/// `h * a / (1 - h * b)`. This is exact under the simulation's draw, except that it
/// ignores what a transfer drawn that month would reveal (the simulation never transfers
/// and terminates a worker in the same month), which would be using the outcome.
pub(crate) fn after_train_end(h: f64, lo: NaiveDate, train_end: NaiveDate, me: NaiveDate) -> f64 {
    if lo > me {
        return 0.0;
    }
    let n = (me - lo).num_days() + 1;
    let up_to = ((train_end - lo).num_days() + 1).clamp(0, n);
    let a = (n - up_to) as f64 / n as f64;
    let b = up_to as f64 / n as f64;
    h * a / (1.0 - h * b)
}

/// The truth for the backtest of an agency: every worker employed on train_end less those
/// whose spell ends on it, with their true p and outcome. Empty when nobody qualifies.
pub(crate) fn truth(agency: &Agency) -> Truth {
    let train_end = agency.as_of - Days::new(365);
    let m_te = agency.month_index(train_end);
    // The month containing train_end counts only when the simulation ran it and train_end
    // is not its last day (train_end < as-of, so month_end is the calendar month's end).
    let partial =
        (0..agency.months as i64).contains(&m_te) && train_end < agency.month_end(m_te as u32);
    let first_full = (m_te + 1).max(0) as u32;
    // In the partial month: its bounds and each worker's latest program start in it.
    let mut window = None;
    let mut late_start: Vec<Option<NaiveDate>> = Vec::new();
    if partial {
        let m = m_te as u32;
        let (ms, me) = (agency.month_start(m), agency.month_end(m));
        window = Some((m, ms, me));
        late_start = vec![None; agency.workers.len()];
        for e in &agency.enrollments {
            if ms <= e.start && e.start <= me {
                let slot = &mut late_start[e.worker as usize];
                *slot = Some(slot.map_or(e.start, |d| d.max(e.start)));
            }
        }
    }
    let mut rows = Vec::new();
    for (i, w) in agency.workers.iter().enumerate() {
        let worker = i as u32;
        let Some(spell) = backtest_spell(w, train_end) else {
            continue;
        };
        let mut survive = 1.0;
        // A worker hired or rehired in the month of train_end joined after the simulation
        // drew that month's separations: the month adds nothing for them.
        if let Some((m, ms, me)) = window
            && spell.start < ms
        {
            let h = path_hazard(agency, worker, &spell, m);
            let lo = late_start[i].unwrap_or(ms);
            survive *= 1.0 - after_train_end(h, lo, train_end, me);
        }
        for m in first_full..agency.months {
            survive *= 1.0 - path_hazard(agency, worker, &spell, m);
        }
        let mut id = Vec::with_capacity(8);
        push_worker_id(&mut id, worker);
        rows.push(TruthRow {
            id: String::from_utf8(id).expect("ASCII id"),
            p: 1.0 - survive,
            separated: spell.end.is_some(),
        });
    }
    rows.sort_by(|a, b| a.id.cmp(&b.id));
    Truth { train_end, rows }
}

/// The probability that a random case with an event has a higher `p` than a random case
/// without, ties counting one half; None when there are no events or only events.
///
/// Computed from the rank sum of the events (Mann-Whitney U) with mid-ranks for ties, in
/// O(n log n).
pub(crate) fn auc(p: &[f64], event: &[bool]) -> Option<f64> {
    assert_eq!(p.len(), event.len(), "one outcome per probability");
    let pos = event.iter().filter(|&&e| e).count();
    let neg = event.len() - pos;
    if pos == 0 || neg == 0 {
        return None;
    }
    let mut order: Vec<usize> = (0..p.len()).collect();
    order.sort_by(|&i, &j| p[i].total_cmp(&p[j]));
    let mut rank_sum = 0.0;
    let mut i = 0;
    while i < order.len() {
        let mut j = i + 1;
        while j < order.len() && p[order[j]].total_cmp(&p[order[i]]).is_eq() {
            j += 1;
        }
        // Ranks i+1..=j share their mean.
        let mid = (i + 1 + j) as f64 / 2.0;
        let events = order[i..j].iter().filter(|&&k| event[k]).count();
        rank_sum += mid * events as f64;
        i = j;
    }
    let (pos, neg) = (pos as f64, neg as f64);
    Some((rank_sum - pos * (pos + 1.0) / 2.0) / (pos * neg))
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use chrono::Months;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    use super::*;
    use crate::AgencySpec;
    use crate::agency::{simulate, simulate_logging_hazards};
    use crate::codes::Action;

    fn spec(
        workers: u32,
        years: u32,
        offices: u32,
        seed: u64,
        as_of: (i32, u32, u32),
    ) -> AgencySpec {
        AgencySpec {
            workers,
            years,
            offices,
            seed,
            as_of: NaiveDate::from_ymd_opt(as_of.0, as_of.1, as_of.2).unwrap(),
            faults: 0.0,
        }
    }

    fn id(worker: usize) -> String {
        format!("W{:06}", worker + 1)
    }

    #[test]
    fn auc_counts_pairs_with_ties_as_one_half() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        for n in [2usize, 3, 7, 40, 200] {
            for _ in 0..20 {
                // Few distinct values, so that ties are common.
                let p: Vec<f64> = (0..n)
                    .map(|_| rng.random_range(0..6) as f64 / 5.0)
                    .collect();
                let event: Vec<bool> = (0..n).map(|_| rng.random_bool(0.3)).collect();
                let mut wins = 0.0;
                let mut pairs = 0.0;
                for i in (0..n).filter(|&i| event[i]) {
                    for j in (0..n).filter(|&j| !event[j]) {
                        pairs += 1.0;
                        wins += if p[i] > p[j] {
                            1.0
                        } else if p[i] == p[j] {
                            0.5
                        } else {
                            0.0
                        };
                    }
                }
                let got = auc(&p, &event);
                if pairs == 0.0 {
                    assert_eq!(got, None);
                } else {
                    let got = got.expect("events and non-events");
                    assert!(
                        (got - wins / pairs).abs() < 1e-12,
                        "{got} vs {}",
                        wins / pairs
                    );
                }
            }
        }
        assert_eq!(auc(&[0.1, 0.9], &[false, true]), Some(1.0));
        assert_eq!(auc(&[0.1, 0.9], &[true, false]), Some(0.0));
        assert_eq!(auc(&[0.5, 0.5], &[true, false]), Some(0.5));
        assert_eq!(auc(&[], &[]), None);
        assert_eq!(auc(&[0.2, 0.3], &[true, true]), None);
    }

    #[test]
    fn the_month_of_train_end_conditions_on_no_termination_up_to_it() {
        let d = |day| NaiveDate::from_ymd_opt(2025, 6, day).unwrap();
        let h = 0.3;
        // Draw from June 1..=30, train_end June 10: P(after | none before) * P(none before)
        // + P(up to train_end) is the month's hazard.
        let q = after_train_end(h, d(1), d(10), d(30));
        let before = h * 10.0 / 30.0;
        assert!(((1.0 - before) * q + before - h).abs() < 1e-15);
        assert!((q - h * (20.0 / 30.0) / (1.0 - before)).abs() < 1e-15);
        // No day up to train_end can be drawn: the whole hazard lies after it.
        assert_eq!(after_train_end(h, d(11), d(10), d(30)), h);
        assert_eq!(after_train_end(h, d(20), d(10), d(30)), h);
        // train_end on the month's last day: nothing is left after it.
        assert_eq!(after_train_end(h, d(1), d(30), d(30)), 0.0);
    }

    #[test]
    fn nobody_in_the_backtest_gives_the_header_only() {
        let t = Truth {
            train_end: NaiveDate::from_ymd_opt(2025, 6, 30).unwrap(),
            rows: Vec::new(),
        };
        assert_eq!(t.csv(), "worker_id,p_separation_12m,separated\n");
        let s = t.summary();
        assert_eq!(
            (s.workers, s.events, s.expected_events, s.auc),
            (0, 0, 0.0, None)
        );
    }

    /// The truth's hazards are the simulation's: for every worker-month the simulation drew
    /// a separation for, the path hazard (office and tenure rebuilt from the history) is the
    /// same number, and the simulation drew for exactly the workers in a spell that started
    /// before the month's 1st and had not ended before it.
    #[test]
    fn path_hazards_are_the_hazards_the_simulation_drew_from() {
        for s in [
            spec(400, 4, 6, 5, (2026, 6, 30)),
            spec(300, 3, 3, 9, (2025, 11, 14)),
        ] {
            let (agency, log) = simulate_logging_hazards(&s);
            assert!(!log.is_empty());
            let mut drawn: BTreeSet<(u32, u32)> = BTreeSet::new();
            for &(worker, m, h) in &log {
                let ms = agency.month_start(m);
                let w = &agency.workers[worker as usize];
                let spell = w
                    .spells
                    .iter()
                    .find(|sp| sp.start < ms && sp.end.is_none_or(|e| e >= ms))
                    .expect("a worker drawn for is in a spell");
                let got = path_hazard(&agency, worker, spell, m);
                assert_eq!(got.to_bits(), h.to_bits(), "worker {worker} month {m}");
                assert!(drawn.insert((worker, m)), "drawn twice: {worker} {m}");
            }
            for m in 0..agency.months {
                let ms = agency.month_start(m);
                for (i, w) in agency.workers.iter().enumerate() {
                    let at_risk = w
                        .spells
                        .iter()
                        .any(|sp| sp.start < ms && sp.end.is_none_or(|e| e >= ms));
                    assert_eq!(
                        at_risk,
                        drawn.contains(&(i as u32, m)),
                        "worker {i} month {m}"
                    );
                }
            }
        }
    }

    /// Test 1: the backtest's workers and outcomes, replayed from each worker's job history
    /// (not from the truth's spells).
    #[test]
    fn workers_and_outcomes_follow_the_job_history() {
        for s in [
            spec(300, 3, 4, 21, (2026, 6, 30)),
            spec(300, 3, 4, 22, (2025, 9, 17)),
        ] {
            let agency = simulate(&s);
            let t = truth(&agency);
            let train_end = s.as_of - Days::new(365);
            assert_eq!(t.train_end, train_end);
            let mut expected: BTreeMap<String, bool> = BTreeMap::new();
            for (i, w) in agency.workers.iter().enumerate() {
                let mut events = w.events.clone();
                events.sort_by_key(|e| e.date);
                let Some(last) = events.iter().rev().find(|e| e.date <= train_end) else {
                    continue;
                };
                // Not employed on train_end, or the spell ends on it.
                if last.action == Action::Termination {
                    continue;
                }
                let separated = events.iter().any(|e| {
                    e.action == Action::Termination && e.date > train_end && e.date <= s.as_of
                });
                expected.insert(id(i), separated);
            }
            let got: BTreeMap<String, bool> =
                t.rows.iter().map(|r| (r.id.clone(), r.separated)).collect();
            assert_eq!(got.len(), t.rows.len(), "one row per worker");
            assert_eq!(got, expected);
            let ids: Vec<&str> = t.rows.iter().map(|r| r.id.as_str()).collect();
            assert!(ids.windows(2).all(|w| w[0] < w[1]), "sorted by id");
            assert!(t.rows.iter().all(|r| (0.0..=1.0).contains(&r.p)));
            assert!(expected.values().any(|&e| e) && expected.values().any(|&e| !e));
        }
    }

    /// Test 2: on a moderately sized agency the truth separates leavers from stayers and
    /// expects about as many events as happen.
    #[test]
    fn the_truth_is_discriminating_and_calibrated() {
        let s = spec(2000, 6, 10, 2026, (2026, 6, 30));
        let agency = simulate(&s);
        let sum = truth(&agency).summary();
        eprintln!("{sum:?}");
        assert_eq!(sum.train_end, NaiveDate::from_ymd_opt(2025, 6, 30).unwrap());
        assert!(sum.workers > 1800, "{sum:?}");
        assert!(sum.events > 200, "{sum:?}");
        let auc = sum.auc.expect("events and non-events");
        assert!(auc > 0.6, "{sum:?}");
        let ratio = sum.expected_events / sum.events as f64;
        assert!((0.85..=1.15).contains(&ratio), "{sum:?}");
        // The backtest spans exactly July 2025 to June 2026.
        let m = agency.month_index(sum.train_end) + 1;
        assert_eq!(
            agency.month_start(m as u32) + Months::new(11),
            NaiveDate::from_ymd_opt(2026, 6, 1).unwrap()
        );
        assert_eq!(m as u32 + 12, agency.months);
    }
}
