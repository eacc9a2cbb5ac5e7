//! String interning for ids. A night's extracts repeat the same worker, response and
//! office ids millions of times; interning stores each distinct id once and lets rows
//! carry a 4-byte symbol, which keeps the hot path free of per-row allocation.

use std::collections::HashMap;

/// An interned id: an index into the [`Interner`] that produced it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Sym(pub u32);

/// Assigns each distinct string a [`Sym`], in order of first appearance.
#[derive(Debug, Default, Clone)]
pub struct Interner {
    index: HashMap<Box<str>, Sym>,
    strings: Vec<Box<str>>,
}

impl Interner {
    /// The symbol of `text`, adding it when new.
    pub fn intern(&mut self, text: &str) -> Sym {
        if let Some(&sym) = self.index.get(text) {
            return sym;
        }
        let sym = Sym(u32::try_from(self.strings.len()).expect("fewer than 2^32 distinct ids"));
        self.strings.push(text.into());
        self.index.insert(text.into(), sym);
        sym
    }

    /// The symbol of `text`, if it was interned.
    pub fn get(&self, text: &str) -> Option<Sym> {
        self.index.get(text).copied()
    }

    /// The string behind a symbol.
    pub fn resolve(&self, sym: Sym) -> &str {
        &self.strings[sym.0 as usize]
    }

    /// Number of distinct strings.
    pub fn len(&self) -> usize {
        self.strings.len()
    }

    /// True when nothing was interned.
    pub fn is_empty(&self) -> bool {
        self.strings.is_empty()
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
}
