//! Who worked when: the accepted offices and the employment spells replayed from
//! job_history. Later sources check rules 12, 13 and 15 against it, and the pipeline
//! derives every worker-level fact from it.

use retention_contract::Day;
use retention_contract::history::Spell;
use std::collections::HashMap;

/// Accepted offices, in file order; their position is the office index used everywhere
/// downstream (segments of [`Roster`] spells carry it as `Sym(index)`).
#[derive(Debug, Clone, Default)]
pub struct OfficeSet {
    /// office_id of each accepted office.
    pub ids: Vec<Box<str>>,
    index: HashMap<Box<str>, u32>,
}

impl OfficeSet {
    /// Builds the set from accepted office ids in file order.
    pub fn new(ids: Vec<Box<str>>) -> OfficeSet {
        let index = ids
            .iter()
            .enumerate()
            .map(|(i, id)| (id.clone(), i as u32))
            .collect();
        OfficeSet { ids, index }
    }

    /// Index of an office id.
    pub fn get(&self, id: &str) -> Option<u32> {
        self.index.get(id).copied()
    }
}

/// Workers with at least one accepted job_history row, and their spells.
#[derive(Debug, Clone, Default)]
pub struct Roster {
    /// worker_id of each worker, by worker index.
    pub worker_ids: Vec<Box<str>>,
    /// Spells of each worker in start order; segment offices are office indexes.
    pub spells: Vec<Vec<Spell>>,
    index: HashMap<Box<str>, u32>,
    /// Every spell's first and last day (`Day(i32::MAX)` while open), worker after
    /// worker: rules 13 and 15 ask whether a worker was employed on a day once per row of
    /// the large sources, and this contiguous copy (a megabyte for tens of thousands of
    /// workers) stays in cache where following each worker's own vector did not.
    periods: Vec<(Day, Day)>,
    /// Worker i's periods are `periods[starts[i]..starts[i + 1]]`.
    starts: Vec<u32>,
}

impl Roster {
    /// Builds a roster; `workers[i]` is worker i's id and `spells[i]` their spells.
    pub fn new(worker_ids: Vec<Box<str>>, spells: Vec<Vec<Spell>>) -> Roster {
        let index = worker_ids
            .iter()
            .enumerate()
            .map(|(i, id)| (id.clone(), i as u32))
            .collect();
        let mut periods = Vec::new();
        let mut starts = vec![0];
        for worker in &spells {
            periods.extend(
                worker
                    .iter()
                    .map(|s| (s.start, s.end.unwrap_or(Day(i32::MAX)))),
            );
            starts.push(u32::try_from(periods.len()).expect("fewer than 2^32 spells"));
        }
        Roster {
            worker_ids,
            spells,
            index,
            periods,
            starts,
        }
    }

    /// Whether `worker` was employed on `day` (in some spell, ignoring as-of). Answered
    /// from the contiguous copy of the spells' days; a test requires the contract's
    /// answer ([`Roster::spell_on`]) for every day around every spell.
    pub fn employed_on(&self, worker: u32, day: Day) -> bool {
        self.period_on(worker, day).is_some()
    }

    /// The first and last day (`Day(i32::MAX)` while open) of `worker`'s spell containing
    /// `day`, if any.
    pub fn period_on(&self, worker: u32, day: Day) -> Option<(Day, Day)> {
        let w = worker as usize;
        let periods = &self.periods[self.starts[w] as usize..self.starts[w + 1] as usize];
        let i = periods.partition_point(|p| p.0 <= day);
        (i > 0 && day <= periods[i - 1].1).then(|| periods[i - 1])
    }

    /// Index of a worker id with an accepted job_history row.
    pub fn worker(&self, id: &str) -> Option<u32> {
        self.index.get(id).copied()
    }

    /// The spell of `worker` containing `day` (the contract's
    /// [`retention_contract::history::spell_on`]).
    pub fn spell_on(&self, worker: u32, day: Day) -> Option<&Spell> {
        retention_contract::history::spell_on(&self.spells[worker as usize], day)
    }

    /// Office index of `worker` on `day`, if employed.
    pub fn office_on(&self, worker: u32, day: Day) -> Option<u32> {
        self.spell_on(worker, day)
            .map(|s| s.segment_on(day).office.0)
    }

    /// Number of workers.
    pub fn len(&self) -> usize {
        self.worker_ids.len()
    }

    /// True when no worker has an accepted row.
    pub fn is_empty(&self) -> bool {
        self.worker_ids.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spell(start: i32, end: Option<i32>) -> Spell {
        Spell {
            start: Day(start),
            end: end.map(Day),
            end_reason: None,
            segments: Vec::new(),
        }
    }

    #[test]
    fn employed_on_covers_each_spell_from_its_first_to_its_last_day() {
        let roster = Roster::new(
            vec!["W1".into(), "W2".into(), "W3".into()],
            vec![
                vec![spell(100, Some(199)), spell(300, None)],
                vec![],
                vec![spell(50, Some(50))],
            ],
        );
        let w1: Vec<bool> = [99, 100, 199, 200, 299, 300, i32::MAX - 1]
            .iter()
            .map(|&d| roster.employed_on(0, Day(d)))
            .collect();
        assert_eq!(w1, [false, true, true, false, false, true, true]);
        assert!(!roster.employed_on(1, Day(100)));
        assert_eq!(roster.period_on(0, Day(150)), Some((Day(100), Day(199))));
        assert_eq!(
            roster.period_on(0, Day(400)),
            Some((Day(300), Day(i32::MAX)))
        );
        assert_eq!(roster.period_on(0, Day(250)), None);
        assert_eq!(
            [49, 50, 51].map(|d| roster.employed_on(2, Day(d))),
            [false, true, false]
        );
        assert_eq!(roster.worker("W3"), Some(2));
        // The contiguous copy answers as the contract's spell_on does (CONTRACT.md section
        // 3, employed on d), on every day.
        for w in 0..3 {
            for d in 0..500 {
                let period = roster.period_on(w, Day(d));
                let spell = roster.spell_on(w, Day(d));
                assert_eq!(
                    period,
                    spell.map(|s| (s.start, s.end.unwrap_or(Day(i32::MAX)))),
                    "worker {w}, day {d}"
                );
            }
        }
    }
}
