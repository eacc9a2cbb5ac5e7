//! What row validation asks of its caller besides the fields: a symbol for each accepted
//! id, and the day a date's text names.
//!
//! The contract says what the answers mean: the same text always gives the same symbol,
//! and a date is what [`parse_date`] makes of it. [`PlainLookup`] answers exactly that,
//! plainly, for tests and small tools. The ingest crate answers faster (an interner tuned
//! for millions of ids, the last date parsed remembered) and keeps that machinery out of
//! this crate.

use crate::date::Day;
use crate::field::parse_date;
use std::collections::HashMap;

/// An accepted id, as a symbol: equal symbols for equal texts within one [`Lookup`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Sym(pub u32);

/// Symbols for ids and days for dates, asked for as rows are validated.
pub trait Lookup {
    /// The symbol of an id in contract column `column` that names one thing once or a
    /// few times (a session, a response).
    fn one_off(&mut self, column: usize, text: &str) -> Sym;
    /// The symbol of an id in contract column `column` that recurs all through a file
    /// (a worker, office, supervisor or cohort). The same text gives the same symbol as
    /// [`Lookup::one_off`] does.
    fn recurring(&mut self, column: usize, text: &str) -> Sym;
    /// The day `text` names, or None when it is not a date: [`parse_date`]'s answer.
    fn date(&mut self, text: &str) -> Option<Day> {
        parse_date(text)
    }
}

/// The plain [`Lookup`]: a standard hash map from text to symbol, symbols in order of
/// first appearance, every date parsed.
#[derive(Debug, Default, Clone)]
pub struct PlainLookup {
    symbols: HashMap<Box<str>, Sym>,
    texts: Vec<Box<str>>,
}

impl PlainLookup {
    /// The text of a symbol this lookup gave.
    pub fn resolve(&self, sym: Sym) -> &str {
        &self.texts[sym.0 as usize]
    }
}

impl Lookup for PlainLookup {
    fn one_off(&mut self, _: usize, text: &str) -> Sym {
        if let Some(&sym) = self.symbols.get(text) {
            return sym;
        }
        let sym = Sym(u32::try_from(self.texts.len()).expect("fewer than 2^32 ids"));
        self.texts.push(text.into());
        self.symbols.insert(text.into(), sym);
        sym
    }
    fn recurring(&mut self, column: usize, text: &str) -> Sym {
        self.one_off(column, text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_texts_share_a_symbol_whichever_way_they_are_asked() {
        let mut ids = PlainLookup::default();
        let a = ids.one_off(0, "W1");
        let b = ids.recurring(3, "W2");
        assert_eq!(ids.recurring(1, "W1"), a);
        assert_eq!(ids.one_off(0, "W2"), b);
        assert_ne!(a, b);
        assert_eq!((ids.resolve(a), ids.resolve(b)), ("W1", "W2"));
        assert_eq!(ids.date("2/29/2024"), Day::from_ymd(2024, 2, 29));
        assert_eq!(ids.date("2023-02-29"), None);
    }
}
