//! The index of earlier rows by key, for rules 9 (DUPLICATE) and 10 (DUPLICATE_KEY).
//!
//! Written by hand rather than as one hash table over every row: probing such a table
//! costs two cache misses per row on the large sources (its control bytes, then its
//! slot), which was most of validation's time. Extracts list one id's rows together
//! (a response's items, a session's attendees) or in rising order of the rest of the key
//! (a worker's snapshots by date). So rows are first grouped by the key's leading id, a
//! dense symbol from the source's interner, and each group remembers its largest order
//! value ([`KeyOrder::key_order`]): a row above it is new without looking further,
//! touching only memory the previous rows of its group touched. Otherwise the group's
//! rows are walked through a chain of earlier rows when the group is short, and a group
//! that grows long is moved once into a hash table of its own, where its later rows are
//! probed (one table per group keeps the probes of a group's rows, which usually come
//! together, within a few cache lines). The work stays linear in the rows read whatever
//! their order, and answers do not depend on it.

use crate::fast::KeyOrder;
use hashbrown::{DefaultHashBuilder, HashTable};
use std::hash::BuildHasher;

/// A group this long is moved into a hash table at its next out-of-order row.
const CHAIN_LIMIT: u32 = 32;
/// `Group::count` of a group whose rows are in a hash table (`Group::max` is then the
/// table's position in `KeyIndex::hashed`).
const HASHED: u32 = u32::MAX;

#[derive(Debug, Clone, Copy, Default)]
struct Group {
    /// The group's latest row, plus one (0: none yet).
    last: u32,
    /// Rows in the group, or `HASHED`.
    count: u32,
    /// Largest order value of the group's rows (or its hash table).
    max: u32,
}

/// Earlier rows with a row's key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Earlier {
    /// The first of them (which passed rules 1-9).
    pub first_with_key: u32,
    /// The first of them equal to the row in every field, if any.
    pub first_equal: Option<u32>,
}

/// Earlier candidate rows by key. Indices are positions in the caller's `candidates`,
/// which must only ever be appended to.
#[derive(Default)]
pub(crate) struct KeyIndex {
    groups: Vec<Group>,
    /// Per row: the previous row of its group, plus one (0: none, or hashed).
    prev: Vec<u32>,
    /// The hash tables of the groups that grew long out of order.
    hashed: Vec<HashTable<u32>>,
    hasher: DefaultHashBuilder,
}

impl KeyIndex {
    /// Room for `rows` more rows.
    pub fn reserve(&mut self, rows: usize) {
        self.prev.reserve(rows);
    }

    /// The earlier rows of `candidates` with `row`'s key, if any.
    pub fn earlier<R: KeyOrder>(&mut self, candidates: &[R], row: &R) -> Option<Earlier> {
        let (lead, order) = row.key_order();
        let slot = lead.0 as usize;
        if self.groups.len() <= slot {
            self.groups.resize(slot + 1, Group::default());
        }
        let group = self.groups[slot];
        let table = if group.count == HASHED {
            group.max
        } else {
            if group.count == 0 || order > group.max {
                return None;
            }
            if group.count <= CHAIN_LIMIT {
                let mut at = group.last;
                let chain = std::iter::from_fn(|| {
                    let index = at.checked_sub(1)?;
                    at = self.prev[index as usize];
                    Some(index)
                });
                return scan(chain, candidates, row);
            }
            self.hash_group(slot, candidates)
        };
        let hash = self.hasher.hash_one(row.key());
        let indices = self.hashed[table as usize].iter_hash(hash).copied();
        scan(indices, candidates, row)
    }

    /// Records `candidates[index]`, which must be `row` (pushed or about to be).
    pub fn add<R: KeyOrder>(&mut self, candidates: &[R], index: u32, row: &R) {
        let (lead, order) = row.key_order();
        let slot = lead.0 as usize;
        if self.groups.len() <= slot {
            self.groups.resize(slot + 1, Group::default());
        }
        let group = &mut self.groups[slot];
        if group.count == HASHED {
            self.prev.push(0);
            let hasher = &self.hasher;
            let hash = hasher.hash_one(row.key());
            self.hashed[group.max as usize].insert_unique(hash, index, |&i| {
                hasher.hash_one(candidates[i as usize].key())
            });
        } else {
            self.prev.push(group.last);
            group.last = index + 1;
            group.max = if group.count == 0 {
                order
            } else {
                group.max.max(order)
            };
            group.count += 1;
        }
    }

    /// Moves a group's rows into a hash table of its own; returns the table's position.
    fn hash_group<R: KeyOrder>(&mut self, slot: usize, candidates: &[R]) -> u32 {
        let hasher = &self.hasher;
        let group = &mut self.groups[slot];
        let mut table = HashTable::with_capacity(2 * group.count as usize);
        let mut at = group.last;
        while let Some(index) = at.checked_sub(1) {
            at = self.prev[index as usize];
            let hash = hasher.hash_one(candidates[index as usize].key());
            table.insert_unique(hash, index, |&i: &u32| {
                hasher.hash_one(candidates[i as usize].key())
            });
        }
        let position = u32::try_from(self.hashed.len()).expect("fewer than 2^32 groups");
        self.hashed.push(table);
        *group = Group {
            last: 0,
            count: HASHED,
            max: position,
        };
        position
    }
}

/// Of `indices`, the earliest with `row`'s key and the earliest equal to `row`.
fn scan<R: KeyOrder>(
    indices: impl Iterator<Item = u32>,
    candidates: &[R],
    row: &R,
) -> Option<Earlier> {
    let key = row.key();
    let mut found: Option<Earlier> = None;
    for index in indices {
        let other = &candidates[index as usize];
        if other.key() != key {
            continue;
        }
        let equal = (other == row).then_some(index);
        found = Some(match found {
            None => Earlier {
                first_with_key: index,
                first_equal: equal,
            },
            Some(f) => Earlier {
                first_with_key: f.first_with_key.min(index),
                first_equal: match (f.first_equal, equal) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                },
            },
        });
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fast::FastLookup;
    use retention_contract::Day;
    use retention_contract::rows::{RowContext, SnapshotRow, SourceRow};

    fn snapshot(ids: &mut FastLookup, worker: &str, date: &str, cases: &str) -> SnapshotRow {
        let ctx = RowContext {
            as_of: Day::from_ymd(2030, 1, 1).unwrap(),
        };
        SnapshotRow::validate(&[worker, date, cases, "", ""], &ctx, ids).unwrap()
    }

    /// Feeds rows in order, as the validator does, and returns each row's answer.
    fn answers<R: KeyOrder>(rows: Vec<R>) -> Vec<Option<Earlier>> {
        let mut index = KeyIndex::default();
        let mut candidates = Vec::new();
        let mut out = Vec::new();
        for row in rows {
            let earlier = index.earlier(&candidates, &row);
            out.push(earlier);
            if earlier.is_some_and(|e| e.first_equal.is_some()) {
                continue;
            }
            let i = candidates.len() as u32;
            index.add(&candidates, i, &row);
            candidates.push(row);
        }
        out
    }

    fn hit(first_with_key: u32, first_equal: Option<u32>) -> Option<Earlier> {
        Some(Earlier {
            first_with_key,
            first_equal,
        })
    }

    #[test]
    fn rising_rows_are_new_and_repeats_name_the_earliest_row() {
        let mut ids = FastLookup::default();
        let rows = vec![
            snapshot(&mut ids, "W1", "2024-01-01", "5"),
            snapshot(&mut ids, "W1", "2024-01-08", "5"),
            snapshot(&mut ids, "W2", "2024-01-01", "5"),
            // Same key as row 0, other values: DUPLICATE_KEY naming candidate 0.
            snapshot(&mut ids, "W1", "2024-01-01", "6"),
            // Equal to candidate 3 (the DUPLICATE_KEY row): DUPLICATE naming it.
            snapshot(&mut ids, "W1", "2024-01-01", "6"),
            // Equal to candidate 0.
            snapshot(&mut ids, "W1", "2024-01-01", "5"),
            // Below W1's largest date but new.
            snapshot(&mut ids, "W1", "2024-01-05", "5"),
        ];
        assert_eq!(
            answers(rows),
            vec![
                None,
                None,
                None,
                hit(0, None),
                hit(0, Some(3)),
                hit(0, Some(0)),
                None
            ]
        );
    }

    #[test]
    fn long_groups_out_of_order_give_the_same_answers_as_short_ones() {
        // A worker with 100 weekly snapshots listed newest first, so every row after the
        // first is below the group's largest date and the group is hashed at row 34;
        // then repeats of rows 0, 50 and 99, one with another value.
        let mut ids = FastLookup::default();
        let date = |i: i32| Day(Day::from_ymd(2024, 1, 1).unwrap().0 + 7 * i).to_string();
        let mut rows: Vec<_> = (0..100)
            .rev()
            .map(|i| snapshot(&mut ids, "W1", &date(i), "5"))
            .collect();
        rows.push(snapshot(&mut ids, "W1", &date(99), "5"));
        rows.push(snapshot(&mut ids, "W1", &date(49), "5"));
        rows.push(snapshot(&mut ids, "W1", &date(0), "7"));
        rows.push(snapshot(&mut ids, "W1", &date(0), "7"));
        let got = answers(rows);
        assert!(got[..100].iter().all(Option::is_none));
        assert_eq!(
            got[100..],
            [
                hit(0, Some(0)),
                hit(50, Some(50)),
                hit(99, None),
                hit(99, Some(100))
            ]
        );
    }
}
