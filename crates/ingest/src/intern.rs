//! String interning for ids. A night's extracts repeat the same worker, response and
//! office ids millions of times; interning stores each distinct id once and lets rows
//! carry a 4-byte symbol, which keeps the hot path free of per-row allocation.
//!
//! The strings live in one arena (no allocation per id) and are found through a
//! hashbrown table of symbols hashed with foldhash, which is several times faster than
//! the standard library's DoS-resistant SipHash; ids come from the agency's own
//! extracts, so hash flooding is not a concern here.
//!
//! Ids that recur all through a file (workers, supervisors, offices, cohorts) are also
//! kept in a small front table with its own copy of their text, so that looking them up
//! stays within a megabyte or two of cache-resident memory even when the main table
//! holds millions of one-off ids (supervision sessions): there, each lookup of a worker
//! in the main table cost several cache misses (its control bytes, its slot, the id's
//! bounds and its text). Both tables give the same symbol for the same text.
//!
//! One-off ids (sessions, responses) mostly arrive in ascending order, because extracts
//! number them as they are recorded. An id above the run's last (below), and neither a
//! recurring id nor one of the few taken off the run's end, is new without a look in
//! the main table: it is appended to that sorted *run* instead, which costs no cache miss (a hash table insert costs two, and
//! the supervision extract has one new session id every other row). An id inside the
//! run's range is found by binary search. When such searches grow common (ids out of
//! order), the run is moved into the main table once and interning goes on as before.

use hashbrown::{DefaultHashBuilder, HashTable};
use retention_contract::Sym;
use std::hash::BuildHasher;

/// Assigns each distinct string a [`Sym`], in order of first appearance.
#[derive(Debug, Default, Clone)]
pub struct Interner {
    /// Every symbol but those of the run.
    table: HashTable<u32>,
    hasher: DefaultHashBuilder,
    arena: String,
    ends: Vec<u32>,
    /// Symbols of one-off ids that arrived in ascending order; not in `table`.
    run: Vec<u32>,
    /// One-off ids in `table` that are above the run's last id (ids taken off the run's
    /// end, see [`Interner::takes_the_runs_end`]); every such id is here. Recurring ids in
    /// `table` are all in the front table, which is looked in before an id joins the run.
    high: HashTable<u32>,
    /// The greatest one-off id hashed into `table` below the run's last (None: none).
    /// The run's end is only taken off above it, so that those ids stay below the run.
    table_max: Option<u32>,
    /// Binary searches of the run so far.
    run_searches: usize,
    /// The run was moved into `table` (ids came too often out of order).
    run_closed: bool,
    /// The front table of recurring ids: positions in `common_syms`.
    common: HashTable<u32>,
    common_arena: String,
    common_ends: Vec<u32>,
    common_syms: Vec<Sym>,
    /// Per column, the symbol interned last there by [`Interner::intern_in`], plus one
    /// (0: none).
    previous: [u32; COLUMNS],
    /// Per column, the front table position of the id interned last there by
    /// [`Interner::intern_common_in`], plus one (0: none).
    previous_common: [u32; COLUMNS],
}

/// Columns whose previous value is remembered (no source has more).
const COLUMNS: usize = 8;

/// The `index`th string of an arena and its end offsets.
#[inline]
fn slice<'a>(arena: &'a str, ends: &[u32], index: u32) -> &'a str {
    let i = index as usize;
    let start = if i == 0 { 0 } else { ends[i - 1] as usize };
    &arena[start..ends[i] as usize]
}

/// Whether the `index`th string of an arena is `text` (see [`same_text`]).
#[inline]
fn is_at(arena: &str, ends: &[u32], index: u32, text: &str) -> bool {
    let i = index as usize;
    let start = if i == 0 { 0 } else { ends[i - 1] as usize };
    same_text(&arena.as_bytes()[start..ends[i] as usize], text.as_bytes())
}

/// Whether two short texts (ids, dates, codes) are equal: for 4 to 16 bytes, as two
/// overlapping words each instead of a call to `memcmp`, which cost more than the
/// comparison on texts this short.
#[inline]
pub fn same_text(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    let word = |s: &[u8], k: usize| u64::from_le_bytes(s[k..k + 8].try_into().expect("8 bytes"));
    let half = |s: &[u8], k: usize| u32::from_le_bytes(s[k..k + 4].try_into().expect("4 bytes"));
    match n {
        8..=16 => word(a, 0) == word(b, 0) && word(a, n - 8) == word(b, n - 8),
        4..=7 => half(a, 0) == half(b, 0) && half(a, n - 4) == half(b, n - 4),
        _ => a == b,
    }
}

impl Interner {
    fn text(&self, index: u32) -> &str {
        slice(&self.arena, &self.ends, index)
    }

    fn is(&self, index: u32, text: &str) -> bool {
        is_at(&self.arena, &self.ends, index, text)
    }

    /// Room for `additional` more distinct strings in the main table, the run and the
    /// string ends, shared between table and run as the strings so far were.
    pub fn reserve(&mut self, additional: usize) {
        let in_table = if self.is_empty() {
            additional
        } else {
            (additional as u128 * self.table.len() as u128 / self.len() as u128) as usize
        };
        let (arena, ends, hasher) = (&self.arena, &self.ends, &self.hasher);
        self.table
            .reserve(in_table, |&i| hasher.hash_one(slice(arena, ends, i)));
        self.run.reserve(additional - in_table);
        self.ends.reserve(additional);
    }

    /// The symbol of `text`, adding it when new.
    pub fn intern(&mut self, text: &str) -> Sym {
        let hash = self.hasher.hash_one(text);
        if !self.run_closed && self.run.last().is_none_or(|&last| text > self.text(last)) {
            // Above the run: new, unless it is a recurring id or one taken off the run.
            let (arena, ends) = (&self.common_arena, &self.common_ends);
            if let Some(&at) = self.common.find(hash, |&i| is_at(arena, ends, i, text)) {
                return self.common_syms[at as usize];
            }
            if let Some(&sym) = self.high.find(hash, |&i| self.is(i, text)) {
                return Sym(sym);
            }
            let sym = self.push(text);
            self.run.push(sym.0);
            return sym;
        }
        self.intern_hashed(text, hash, false)
    }

    /// Appends `text` to the arena as a new symbol (in neither table nor run yet).
    fn push(&mut self, text: &str) -> Sym {
        let index = u32::try_from(self.ends.len()).expect("fewer than 2^32 distinct ids");
        self.arena.push_str(text);
        self.ends
            .push(u32::try_from(self.arena.len()).expect("ids total under 4 GiB"));
        Sym(index)
    }

    /// The symbol of `text` if it is in the run.
    fn in_run(&mut self, text: &str) -> Option<Sym> {
        let (&first, &last) = (self.run.first()?, self.run.last()?);
        if text < self.text(first) || text > self.text(last) {
            return None;
        }
        self.run_searches += 1;
        let found = self
            .run
            .binary_search_by(|&s| self.text(s).cmp(text))
            .ok()
            .map(|k| Sym(self.run[k]));
        // A search costs a score of cache misses: once they are not rare, hashing the
        // run's ids once is cheaper than searching on.
        if self.run_searches > 4096 + self.run.len() / 2 {
            self.close_run();
        }
        found
    }

    /// Moves the run into the main table; later ids are all hashed.
    fn close_run(&mut self) {
        let run = std::mem::take(&mut self.run);
        let (arena, ends, hasher) = (&self.arena, &self.ends, &self.hasher);
        self.table
            .reserve(run.len(), |&i| hasher.hash_one(slice(arena, ends, i)));
        for sym in run {
            let hash = hasher.hash_one(slice(arena, ends, sym));
            self.table
                .insert_unique(hash, sym, |&i| hasher.hash_one(slice(arena, ends, i)));
        }
        self.run_closed = true;
    }

    /// The symbol of an id that recurs throughout its file (a worker, supervisor, office
    /// or cohort): the same symbol [`Interner::intern`] gives, found through the small
    /// front table.
    pub fn intern_common(&mut self, text: &str) -> Sym {
        self.common_entry(text).0
    }

    /// The symbol of a recurring id and its position in the front table.
    fn common_entry(&mut self, text: &str) -> (Sym, u32) {
        let hash = self.hasher.hash_one(text);
        let (arena, ends) = (&self.common_arena, &self.common_ends);
        if let Some(&at) = self.common.find(hash, |&i| is_at(arena, ends, i, text)) {
            return (self.common_syms[at as usize], at);
        }
        let sym = self.intern_hashed(text, hash, true);
        let at = u32::try_from(self.common_syms.len()).expect("fewer than 2^32 distinct ids");
        self.common_arena.push_str(text);
        self.common_ends
            .push(u32::try_from(self.common_arena.len()).expect("ids total under 4 GiB"));
        self.common_syms.push(sym);
        let (arena, ends, hasher) = (&self.common_arena, &self.common_ends, &self.hasher);
        self.common
            .insert_unique(hash, at, |&i| hasher.hash_one(slice(arena, ends, i)));
        (sym, at)
    }

    /// [`Interner::intern`] for a value of `column`, which is often the value of the row
    /// before (a response's items, a group session's attendees): that case is answered
    /// by one comparison with the previous value, without hashing.
    pub fn intern_in(&mut self, column: usize, text: &str) -> Sym {
        if let Some(previous) = self.previous[column].checked_sub(1)
            && self.is(previous, text)
        {
            return Sym(previous);
        }
        let sym = self.intern(text);
        self.previous[column] = sym.0 + 1;
        sym
    }

    /// [`Interner::intern_common`] for a value of `column` (see [`Interner::intern_in`]);
    /// the previous value is compared in the front table's own copy, which stays in cache.
    pub fn intern_common_in(&mut self, column: usize, text: &str) -> Sym {
        if let Some(at) = self.previous_common[column].checked_sub(1)
            && is_at(&self.common_arena, &self.common_ends, at, text)
        {
            return self.common_syms[at as usize];
        }
        let (sym, at) = self.common_entry(text);
        self.previous_common[column] = at + 1;
        sym
    }

    /// The symbol of `text` from the main table or the run, adding it to the main table
    /// when new (`recurring`: it is also going into the front table).
    fn intern_hashed(&mut self, text: &str, hash: u64, recurring: bool) -> Sym {
        if let Some(&index) = self.table.find(hash, |&i| self.is(i, text)) {
            return Sym(index);
        }
        if let Some(sym) = self.in_run(text) {
            return sym;
        }
        let sym = self.push(text);
        if !recurring && !self.run_closed && self.takes_the_runs_end(text) {
            self.run.push(sym.0);
            return sym;
        }
        let (arena, ends, hasher) = (&self.arena, &self.ends, &self.hasher);
        self.table
            .insert_unique(hash, sym.0, |&i| hasher.hash_one(slice(arena, ends, i)));
        if !recurring && self.table_max.is_none_or(|m| text > self.text(m)) {
            self.table_max = Some(sym.0);
        }
        sym
    }

    /// For a new one-off id below the run's last: when it lies above all but the last
    /// few ids of the run, those few are taken off its end (into the table, and `high`)
    /// and true is returned: the id is then the run's new end. A stray id far above its
    /// neighbours (a typing error, `SX001458` among `S0559314`) would otherwise leave
    /// every later id below the run.
    fn takes_the_runs_end(&mut self, text: &str) -> bool {
        const FEW: usize = 4;
        const HIGH_LIMIT: usize = 1 << 16;
        if self.table_max.is_some_and(|m| text < self.text(m)) {
            return false;
        }
        let n = self.run.len();
        let keep = self.run[n.saturating_sub(FEW + 1)..].partition_point(|&s| self.text(s) < text)
            + n.saturating_sub(FEW + 1);
        if n - keep > FEW || self.high.len() + (n - keep) > HIGH_LIMIT {
            return false;
        }
        let (arena, ends, hasher) = (&self.arena, &self.ends, &self.hasher);
        for sym in self.run.drain(keep..) {
            let hash = hasher.hash_one(slice(arena, ends, sym));
            let rehash = |&i: &u32| hasher.hash_one(slice(arena, ends, i));
            self.table.insert_unique(hash, sym, rehash);
            self.high.insert_unique(hash, sym, rehash);
        }
        true
    }

    /// The symbol of `text`, if it was interned.
    pub fn get(&self, text: &str) -> Option<Sym> {
        let hash = self.hasher.hash_one(text);
        if let Some(&i) = self.table.find(hash, |&i| self.is(i, text)) {
            return Some(Sym(i));
        }
        self.run
            .binary_search_by(|&s| self.text(s).cmp(text))
            .ok()
            .map(|k| Sym(self.run[k]))
    }

    /// The string behind a symbol.
    pub fn resolve(&self, sym: Sym) -> &str {
        self.text(sym.0)
    }

    /// Number of distinct strings.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// True when nothing was interned.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_at_compares_every_byte_at_every_length() {
        // Each length from 0 to 20 against itself and against each one-byte change.
        for n in 0..=20u8 {
            let text: String = (0..n).map(|k| char::from(b'a' + k)).collect();
            let (arena, ends) = (format!("xy{text}"), vec![2, 2 + u32::from(n)]);
            assert!(is_at(&arena, &ends, 1, &text), "length {n}");
            assert!(!is_at(&arena, &ends, 1, &format!("{text}z")));
            for k in 0..usize::from(n) {
                let mut other = text.clone().into_bytes();
                other[k] = b'Z';
                let other = String::from_utf8(other).expect("ascii");
                assert!(!is_at(&arena, &ends, 1, &other), "length {n}, byte {k}");
            }
        }
    }

    #[test]
    fn same_text_same_symbol_and_case_matters() {
        let mut i = Interner::default();
        let a = i.intern("W1");
        assert_eq!(i.intern("W1"), a);
        assert_ne!(i.intern("w1"), a);
        assert_eq!(i.resolve(a), "W1");
        assert_eq!(i.get("W2"), None);
        assert_eq!(i.len(), 2);
    }

    #[test]
    fn common_ids_get_the_same_symbols_as_others() {
        let mut i = Interner::default();
        let s1 = i.intern("S1");
        let w1 = i.intern_common("W1");
        assert_eq!(i.intern("W1"), w1);
        assert_eq!(i.intern_common("S1"), s1);
        assert_eq!(i.intern_common("S1"), s1);
        let w2 = i.intern("W2");
        assert_eq!(i.intern_common("W2"), w2);
        assert_eq!(i.intern_common("W1"), w1);
        assert_eq!((i.len(), i.resolve(w2)), (3, "W2"));
        i.reserve(1000);
        assert_eq!((i.intern("W2"), i.intern_common("W3")), (w2, Sym(3)));
    }

    #[test]
    fn a_column_repeating_its_previous_value_gets_the_same_symbol() {
        let mut i = Interner::default();
        let r1 = i.intern_in(0, "R1");
        let w1 = i.intern_common_in(1, "W1");
        assert_eq!(i.intern_in(0, "R1"), r1);
        assert_eq!(i.intern_common_in(1, "W1"), w1);
        // Another column's previous value is not this one's.
        assert_eq!(i.intern_in(1, "R1"), r1);
        assert_eq!(i.intern_common_in(0, "W1"), w1);
        let r2 = i.intern_in(0, "R2");
        assert_eq!((r2, i.intern("R2"), i.intern_in(0, "R1")), (Sym(2), r2, r1));
        assert_eq!(i.len(), 3);
    }

    #[test]
    fn many_ids_survive_table_growth() {
        let mut i = Interner::default();
        let syms: Vec<Sym> = (0..10_000).map(|n| i.intern(&format!("R{n}"))).collect();
        for (n, sym) in syms.iter().enumerate() {
            assert_eq!(i.resolve(*sym), format!("R{n}"));
            assert_eq!(i.get(&format!("R{n}")), Some(*sym));
        }
        assert_eq!(i.intern(""), Sym(10_000));
        assert_eq!(i.resolve(Sym(10_000)), "");
    }

    #[test]
    fn ascending_one_off_ids_and_recurring_ids_share_one_symbol_space() {
        let mut i = Interner::default();
        let s1 = i.intern_in(0, "S1");
        let w9 = i.intern_common_in(1, "W9");
        let s2 = i.intern_in(0, "S2");
        // A one-off id equal to a recurring one, and the other way round.
        assert_eq!(i.intern_in(0, "W9"), w9);
        assert_eq!(i.intern_common("S2"), s2);
        // Out of order: found in the run, or new in the table.
        assert_eq!(i.intern("S1"), s1);
        let s0 = i.intern("S0");
        assert_eq!(i.intern("S3"), Sym(4));
        assert_eq!(i.intern("S0"), s0);
        for (text, sym) in [("S0", s0), ("S1", s1), ("S2", s2), ("W9", w9)] {
            assert_eq!((i.get(text), i.resolve(sym)), (Some(sym), text));
        }
        assert_eq!(i.get("S4"), None);
        assert_eq!(i.len(), 5);
    }

    #[test]
    fn a_run_searched_too_often_moves_into_the_table_and_keeps_its_symbols() {
        let mut i = Interner::default();
        let ids: Vec<String> = (0..20_000).map(|n| format!("S{n:06}")).collect();
        let syms: Vec<Sym> = ids.iter().map(|id| i.intern(id)).collect();
        assert_eq!((i.run.len(), i.table.len()), (20_000, 0));
        // Every id again, newest first: binary searches until the run is closed.
        for (id, sym) in ids.iter().zip(&syms).rev() {
            assert_eq!(i.intern(id), *sym);
        }
        assert!(i.run_closed);
        assert_eq!((i.run.len(), i.table.len()), (0, 20_000));
        assert_eq!(i.intern("S999999"), Sym(20_000));
        for (id, sym) in ids.iter().zip(&syms) {
            assert_eq!((i.get(id), i.intern_common(id)), (Some(*sym), *sym));
        }
    }

    #[test]
    fn a_stray_id_above_its_neighbours_is_taken_off_the_run() {
        let mut i = Interner::default();
        let s1 = i.intern("S0001");
        let stray = i.intern("SX001");
        let s2 = i.intern("S0002");
        let later: Vec<Sym> = (3..100).map(|n| i.intern(&format!("S{n:04}"))).collect();
        assert_eq!((i.table.len(), i.high.len(), i.run.len()), (1, 1, 99));
        assert_eq!(i.intern("SX001"), stray);
        assert_eq!(i.intern_common("SX001"), stray);
        assert_eq!((i.intern("S0001"), i.intern("S0002")), (s1, s2));
        assert_eq!(i.intern("S0099"), later[96]);
        // Five strays in a row are more than the few taken off: the next id is hashed.
        for n in 0..5 {
            i.intern(&format!("SY{n}"));
        }
        let next = i.intern("S0100");
        assert_eq!((i.table.len(), i.get("S0100")), (2, Some(next)));
    }

    proptest::proptest! {
        /// Whatever the mix of calls and order of ids, a text's symbol is the number of
        /// distinct texts before its first appearance.
        #[test]
        fn symbols_follow_first_appearance(
            calls in proptest::collection::vec((0u8..5, 0usize..3, "[RSW][0-9]{0,2}"), 0..400)
        ) {
            let mut i = Interner::default();
            let mut first: Vec<String> = Vec::new();
            for (kind, column, text) in calls {
                let expected = match first.iter().position(|t| *t == text) {
                    Some(at) => at,
                    None if kind == 4 => {
                        proptest::prop_assert_eq!(i.get(&text), None);
                        continue;
                    }
                    None => {
                        first.push(text.clone());
                        first.len() - 1
                    }
                };
                let sym = match kind {
                    0 => i.intern(&text),
                    1 => i.intern_common(&text),
                    2 => i.intern_in(column, &text),
                    3 => i.intern_common_in(column, &text),
                    _ => i.get(&text).expect("interned before"),
                };
                proptest::prop_assert_eq!(sym, Sym(expected as u32));
                proptest::prop_assert_eq!(i.resolve(sym), text.as_str());
            }
            proptest::prop_assert_eq!(i.len(), first.len());
        }
    }
}
