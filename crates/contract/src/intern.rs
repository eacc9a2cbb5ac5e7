//! String interning for ids. A night's extracts repeat the same worker, response and
//! office ids millions of times; interning stores each distinct id once and lets rows
//! carry a 4-byte symbol, which keeps the hot path free of per-row allocation.
//!
//! The strings live in one arena (no allocation per id) and are found through a
//! hashbrown table of symbols hashed with foldhash, which is several times faster than
//! the standard library's DoS-resistant SipHash; ids come from the agency's own
//! extracts, so hash flooding is not a concern here.

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
}

impl Interner {
    fn text(&self, index: u32) -> &str {
        let i = index as usize;
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.arena[start..self.ends[i] as usize]
    }

    /// The symbol of `text`, adding it when new.
    pub fn intern(&mut self, text: &str) -> Sym {
        let hash = self.hasher.hash_one(text);
        if let Some(&index) = self.table.find(hash, |&i| self.text(i) == text) {
            return Sym(index);
        }
        let index = u32::try_from(self.ends.len()).expect("fewer than 2^32 distinct ids");
        self.arena.push_str(text);
        self.ends
            .push(u32::try_from(self.arena.len()).expect("ids total under 4 GiB"));
        let (arena, ends, hasher) = (&self.arena, &self.ends, &self.hasher);
        self.table.insert_unique(hash, index, |&i| {
            let i = i as usize;
            let start = if i == 0 { 0 } else { ends[i - 1] as usize };
            hasher.hash_one(&arena[start..ends[i] as usize])
        });
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
