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

use hashbrown::{DefaultHashBuilder, HashTable};
use std::hash::BuildHasher;

/// An interned id: an index into the [`Interner`] that produced it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Sym(pub u32);

/// Assigns each distinct string a [`Sym`], in order of first appearance.
#[derive(Debug, Default, Clone)]
pub struct Interner {
    table: HashTable<u32>,
    hasher: DefaultHashBuilder,
    arena: String,
    ends: Vec<u32>,
    /// The front table of recurring ids: positions in `common_syms`.
    common: HashTable<u32>,
    common_arena: String,
    common_ends: Vec<u32>,
    common_syms: Vec<Sym>,
    /// Per column, the symbol interned last there, plus one (0: none).
    previous: [u32; COLUMNS],
}

/// Columns whose previous value is remembered (no source has more).
const COLUMNS: usize = 8;

/// The `index`th string of an arena and its end offsets.
fn slice<'a>(arena: &'a str, ends: &[u32], index: u32) -> &'a str {
    let i = index as usize;
    let start = if i == 0 { 0 } else { ends[i - 1] as usize };
    &arena[start..ends[i] as usize]
}

impl Interner {
    fn text(&self, index: u32) -> &str {
        slice(&self.arena, &self.ends, index)
    }

    /// Room for `additional` more distinct strings in the main table without rehashing.
    pub fn reserve(&mut self, additional: usize) {
        let (arena, ends, hasher) = (&self.arena, &self.ends, &self.hasher);
        self.table
            .reserve(additional, |&i| hasher.hash_one(slice(arena, ends, i)));
    }

    /// The symbol of `text`, adding it when new.
    pub fn intern(&mut self, text: &str) -> Sym {
        let hash = self.hasher.hash_one(text);
        self.intern_hashed(text, hash)
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
        if let Some(&at) = self.common.find(hash, |&i| slice(arena, ends, i) == text) {
            return (self.common_syms[at as usize], at);
        }
        let sym = self.intern_hashed(text, hash);
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
            && self.text(previous) == text
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
        if let Some(at) = self.previous[column].checked_sub(1)
            && slice(&self.common_arena, &self.common_ends, at) == text
        {
            return self.common_syms[at as usize];
        }
        let (sym, at) = self.common_entry(text);
        self.previous[column] = at + 1;
        sym
    }

    fn intern_hashed(&mut self, text: &str, hash: u64) -> Sym {
        if let Some(&index) = self.table.find(hash, |&i| self.text(i) == text) {
            return Sym(index);
        }
        let index = u32::try_from(self.ends.len()).expect("fewer than 2^32 distinct ids");
        self.arena.push_str(text);
        self.ends
            .push(u32::try_from(self.arena.len()).expect("ids total under 4 GiB"));
        let (arena, ends, hasher) = (&self.arena, &self.ends, &self.hasher);
        self.table
            .insert_unique(hash, index, |&i| hasher.hash_one(slice(arena, ends, i)));
        Sym(index)
    }

    /// The symbol of `text`, if it was interned.
    pub fn get(&self, text: &str) -> Option<Sym> {
        let hash = self.hasher.hash_one(text);
        self.table
            .find(hash, |&i| self.text(i) == text)
            .map(|&i| Sym(i))
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
}
