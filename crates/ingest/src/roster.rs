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
}

impl Roster {
    /// Builds a roster; `workers[i]` is worker i's id and `spells[i]` their spells.
    pub fn new(worker_ids: Vec<Box<str>>, spells: Vec<Vec<Spell>>) -> Roster {
        let index = worker_ids
            .iter()
            .enumerate()
            .map(|(i, id)| (id.clone(), i as u32))
            .collect();
        Roster {
            worker_ids,
            spells,
            index,
        }
    }

    /// Index of a worker id with an accepted job_history row.
    pub fn worker(&self, id: &str) -> Option<u32> {
        self.index.get(id).copied()
    }

    /// The spell of `worker` containing `day`.
    pub fn spell_on(&self, worker: u32, day: Day) -> Option<&Spell> {
        let spells = &self.spells[worker as usize];
        let i = spells.partition_point(|s| s.start <= day);
        spells[..i].last().filter(|s| s.contains(day))
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
