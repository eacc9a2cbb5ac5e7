//! How ingest answers the contract's [`Lookup`] and skips work on rows that repeat their
//! group, fast. The contract says what the answers are; this module only makes them
//! cheap on extracts of millions of rows. Its tests check the fast answers against the
//! contract's: the same refusals and ids as [`retention_contract::PlainLookup`] gives,
//! the same dates as `parse_date`, and in a group the outcome of `validate`.
//!
//! - [`FastLookup`]: ids become symbols through the [`Interner`], and a date that is the
//!   text parsed last is answered by one comparison: rows come in runs sharing a date (a
//!   response's items, a group session's attendees), and parsing was 6% of validating
//!   the survey.
//! - [`KeyOrder`]: the key's leading id and an order value, which let rules 9-10 find
//!   most rows new without a hash probe.
//! - [`Grouped`]: consecutive rows of one survey response or one supervision session
//!   repeat the response's header or the session's details. A row whose group columns
//!   hold the same text as those of the last row that passed rules 2-8 has only its other
//!   columns checked: the repeated ones cannot fail and give that row's values.

use crate::intern::Interner;
use retention_contract::rows::{
    Check, EnrollmentRow, JobRow, OfficeRow, Refusal, RowContext, SessionRow, SnapshotRow,
    SourceRow, SurveyRow,
};
use retention_contract::{Day, Lookup, Source, Sym};

/// The ingest crate's [`Lookup`]: an [`Interner`] and the date parsed last.
#[derive(Debug, Default, Clone)]
pub struct FastLookup {
    /// The symbols given so far.
    pub ids: Interner,
    /// The date text parsed last (its bytes and length as one key) and its day.
    last_date: (u128, Option<Day>),
}

impl Lookup for FastLookup {
    #[inline]
    fn one_off(&mut self, column: usize, text: &str) -> Sym {
        self.ids.intern_in(column, text)
    }
    #[inline]
    fn recurring(&mut self, column: usize, text: &str) -> Sym {
        self.ids.intern_common_in(column, text)
    }
    #[inline]
    fn date(&mut self, text: &str) -> Option<Day> {
        let bytes = text.as_bytes();
        if bytes.is_empty() || bytes.len() > 15 {
            return retention_contract::field::parse_date(text);
        }
        let mut key = [0u8; 16];
        key[..bytes.len()].copy_from_slice(bytes);
        key[15] = bytes.len() as u8;
        let key = u128::from_le_bytes(key);
        if self.last_date.0 == key {
            return self.last_date.1;
        }
        let day = retention_contract::field::parse_date(text);
        self.last_date = (key, day);
        day
    }
}

/// The key's leading id and an order value such that rows with equal keys have equal
/// pairs. Extracts usually list one id's rows together, in rising order of the rest of
/// the key, which lets rules 9-10 find most rows new without a hash probe (`keys.rs`).
pub trait KeyOrder: SourceRow {
    /// The pair of this row's key.
    fn key_order(&self) -> (Sym, u32);
}

impl KeyOrder for OfficeRow {
    fn key_order(&self) -> (Sym, u32) {
        (self.office_id, 0)
    }
}
impl KeyOrder for JobRow {
    fn key_order(&self) -> (Sym, u32) {
        (self.worker, self.date.order())
    }
}
impl KeyOrder for SnapshotRow {
    fn key_order(&self) -> (Sym, u32) {
        (self.worker, self.date.order())
    }
}
impl KeyOrder for SessionRow {
    fn key_order(&self) -> (Sym, u32) {
        (self.session, self.worker.0)
    }
}
impl KeyOrder for SurveyRow {
    fn key_order(&self) -> (Sym, u32) {
        (self.response, u32::from(self.item))
    }
}
impl KeyOrder for EnrollmentRow {
    fn key_order(&self) -> (Sym, u32) {
        (self.worker, self.cohort.0)
    }
}

/// A row type whose consecutive rows may form groups that repeat some columns.
pub trait Grouped: KeyOrder {
    /// The contract columns the rows of one group repeat, in column order; empty when
    /// rows form no groups.
    const GROUP: &'static [usize] = &[];
    /// [`SourceRow::validate`] for a row whose [`Grouped::GROUP`] columns hold the same
    /// text as those of `group`, a row that passed rules 2-8. The outcome is the one
    /// `validate` gives (a test compares the two).
    fn validate_in_group(
        group: &Self,
        fields: &[&str],
        ctx: &RowContext,
        ids: &mut FastLookup,
    ) -> Result<Self, Refusal> {
        let _ = group;
        Self::validate(fields, ctx, ids)
    }
}

impl Grouped for OfficeRow {}
impl Grouped for JobRow {}
impl Grouped for SnapshotRow {}
impl Grouped for EnrollmentRow {}

/// The positions of `names` among `source`'s columns.
const fn positions<const N: usize>(source: Source, names: [&str; N]) -> [usize; N] {
    let mut out = [0; N];
    let mut i = 0;
    while i < N {
        out[i] = source.column(names[i]).index;
        i += 1;
    }
    out
}

impl Grouped for SessionRow {
    // Every column but worker_id: a session's attendees.
    const GROUP: &'static [usize] = &positions(
        Source::SupervisionSessions,
        [
            "session_id",
            "supervisor_id",
            "session_date",
            "minutes",
            "format",
            "focus",
        ],
    );
    fn validate_in_group(
        group: &Self,
        f: &[&str],
        ctx: &RowContext,
        ids: &mut FastLookup,
    ) -> Result<Self, Refusal> {
        const WORKER: retention_contract::Column = Source::SupervisionSessions.column("worker_id");
        let mut c = Check::new(f, ctx, ids);
        let worker = c.id(WORKER);
        c.finish(|ids| SessionRow {
            worker: ids.recurring(WORKER.index, worker.expect("checked")),
            ..group.clone()
        })
    }
}

impl Grouped for SurveyRow {
    // A response's header.
    const GROUP: &'static [usize] = &positions(
        Source::SurveyResponses,
        ["response_id", "worker_id", "administered_on", "instrument"],
    );
    fn validate_in_group(
        group: &Self,
        f: &[&str],
        ctx: &RowContext,
        ids: &mut FastLookup,
    ) -> Result<Self, Refusal> {
        const ITEM: retention_contract::Column = Source::SurveyResponses.column("item");
        const VALUE: retention_contract::Column = Source::SurveyResponses.column("value");
        let mut c = Check::new(f, ctx, ids);
        let item = c.int_up_to(ITEM, SurveyRow::last_item(Some(group.instrument)));
        let value = c.int(VALUE);
        c.finish(|_| SurveyRow {
            item: item.expect("checked") as u8,
            value: value.expect("checked") as u8,
            ..group.clone()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use retention_contract::field::parse_date;

    fn ctx() -> RowContext {
        RowContext {
            as_of: Day::from_ymd(2025, 6, 30).unwrap(),
        }
    }

    /// Every variant of a row, validated in the group of `first` and on its own,
    /// gives the same outcome (and the same symbols).
    fn group_agrees<R: Grouped + std::fmt::Debug>(first: &[&str], variants: &[Vec<&str>]) {
        let mut ids = FastLookup::default();
        let group = R::validate(first, &ctx(), &mut ids).expect("the group's first row passes");
        for fields in variants {
            for &c in R::GROUP {
                assert_eq!(fields[c], first[c], "a variant keeps the group columns");
            }
            let mut alone = ids.clone();
            let expected = R::validate(fields, &ctx(), &mut alone);
            let got = R::validate_in_group(&group, fields, &ctx(), &mut ids);
            assert_eq!(got, expected, "{fields:?}");
        }
    }

    /// Rows validated through the fast lookup and through the contract's plain one give
    /// the same refusals, and the same ids once their symbols are read back.
    #[test]
    fn the_fast_lookup_gives_what_the_plain_one_gives() {
        use retention_contract::PlainLookup;
        let rows: &[[&str; 7]] = &[
            ["S1", "W1", "W9", "2024-05-01", "60", "GROUP", "RETENTION"],
            ["S1", "W2", "W9", "2024-05-01", "60", "GROUP", "RETENTION"],
            ["S2", "W1", "", "5/2/2024", "30", "INDIVIDUAL", ""],
            ["S3", "W9", "W1", "2024-05-02", "30", "individual", ""],
            ["S0", "bad id!", "W1", "2024-05-02", "30", "INDIVIDUAL", ""],
            ["S4", "W3", "W1", "2024-02-30", "30", "INDIVIDUAL", ""],
            ["S4", "W3", "W1", "2024-05-03", "601", "INDIVIDUAL", ""],
            ["S10", "W1", "W2", "2024-05-03", "45", "INDIVIDUAL", "CASE"],
            ["S2", "W2", "", "2024-05-02", "30", "INDIVIDUAL", ""],
        ];
        let (mut fast, mut plain) = (FastLookup::default(), PlainLookup::default());
        for f in rows {
            let a = SessionRow::validate(f, &ctx(), &mut fast);
            let b = SessionRow::validate(f, &ctx(), &mut plain);
            match (a, b) {
                (Err(a), Err(b)) => assert_eq!(a, b, "{f:?}"),
                (Ok(a), Ok(b)) => {
                    let fast_ids = [a.session, a.worker].map(|s| fast.ids.resolve(s).to_string());
                    let plain_ids = [b.session, b.worker].map(|s| plain.resolve(s).to_string());
                    assert_eq!(fast_ids, plain_ids, "{f:?}");
                    assert_eq!(
                        a.supervisor.map(|s| fast.ids.resolve(s).to_string()),
                        b.supervisor.map(|s| plain.resolve(s).to_string())
                    );
                    assert_eq!(
                        (a.date, a.minutes, a.format, a.focus),
                        (b.date, b.minutes, b.format, b.focus)
                    );
                }
                (a, b) => panic!("{f:?}: {a:?} against {b:?}"),
            }
        }
    }

    #[test]
    fn a_row_in_its_group_is_validated_as_on_its_own() {
        let first = ["R1", "W1", "2024-05-01", "STSS", "3", "4"];
        let mut variants = Vec::new();
        for (item, value) in [
            ("1", "1"),
            ("17", "5"),
            ("18", "3"),
            ("0", "3"),
            ("x", "3"),
            ("", "3"),
            ("2", ""),
            ("2", "6"),
            ("2", "2.5"),
            ("", ""),
            ("99", "x"),
        ] {
            let mut row = first.to_vec();
            (row[4], row[5]) = (item, value);
            variants.push(row);
        }
        group_agrees::<SurveyRow>(&first, &variants);

        let first = ["S1", "W1", "W9", "2024-05-01", "60", "GROUP", "RETENTION"];
        let variants: Vec<Vec<&str>> = ["W2", "W1", "", "bad id!", "ALL", "W3"]
            .iter()
            .map(|&worker| {
                let mut row = first.to_vec();
                row[1] = worker;
                row
            })
            .collect();
        group_agrees::<SessionRow>(&first, &variants);
    }

    #[test]
    fn a_date_parsed_again_gives_what_parsing_gives() {
        // Repeats, near misses (same bytes, other length; a bad date between good ones)
        // and texts too long for the key all parse as parse_date parses them.
        let texts = [
            "2024-02-29",
            "2024-02-29",
            "2023-02-29",
            "2024-02-29",
            "2/29/2024",
            "2/29/2024",
            "2/29/202",
            "2/29/20244",
            "2024-02-29 ",
            "2024-02-29 00:00:00",
            "2024-02-29",
            "12/31/1999",
            "12/31/1999",
        ];
        let mut lookup = FastLookup::default();
        for text in texts {
            assert_eq!(lookup.date(text), parse_date(text), "{text:?}");
        }
        assert_eq!(lookup.date("2023-02-29"), None);
    }
}
