//! Typed rows of each source and the per-row rules 2-8 of CONTRACT.md section 2
//! (MISSING_REQUIRED .. FUTURE_DATED). The rules that compare rows with each other or
//! with other sources (9-15) need state and live in the ingest crate.
//!
//! Fields arrive trimmed and indexed by contract column (an absent optional column is an
//! empty field). Columns are checked in the contract's order and the lowest-ranked reason
//! wins; among equal reasons the earliest column is named. Ignored fields (office_id on a
//! TERMINATION, reason on other actions) are neither checked nor kept, so they take no
//! part in DUPLICATE comparisons either.

use crate::codes::{Action, Focus, Instrument, Program, Role, SessionFormat, TermReason};
use crate::date::Day;
use crate::field::{MIN_DATE, is_valid_id, parse_date, parse_decimal, parse_int};
use crate::intern::{Interner, Sym};
use crate::reason::Reason;
use crate::source::Source;
use std::hash::{Hash, Hasher};

/// Why one row was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The reason code.
    pub reason: Reason,
    /// A sentence naming the field and value.
    pub detail: String,
}

impl Refusal {
    /// A refusal with a detail sentence.
    pub fn new(reason: Reason, detail: impl Into<String>) -> Refusal {
        Refusal {
            reason,
            detail: detail.into(),
        }
    }
}

/// What row validation needs besides the fields.
#[derive(Debug, Clone, Copy)]
pub struct RowContext {
    /// The run's as-of date; later dates are FUTURE_DATED.
    pub as_of: Day,
}

/// A decimal compared as a number (`1` = `1.0`), usable as a hash key.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct Decimal(pub f64);

impl Eq for Decimal {}
impl Hash for Decimal {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // Parsed decimals are finite and in range, so bit equality is numeric equality
        // once -0.0 is folded into 0.0.
        (self.0 + 0.0).to_bits().hash(state);
    }
}

/// A row type of one source.
pub trait SourceRow: Sized + Clone + Eq + Hash + Send + Sync {
    /// Key used by DUPLICATE_KEY.
    type Key: Eq + Hash + Copy;
    /// The source this row type belongs to.
    const SOURCE: Source;
    /// Checks rules 2-8 and builds the typed row, interning ids.
    fn validate(fields: &[&str], ctx: &RowContext, ids: &mut Interner) -> Result<Self, Refusal>;
    /// Contract columns that the consecutive rows of one group repeat (a response's
    /// header, a session's details), in column order; empty when rows form no groups.
    const GROUP: &'static [usize] = &[];
    /// [`SourceRow::validate`] for a row whose [`SourceRow::GROUP`] columns hold the
    /// same text as those of `group`, a row that passed rules 2-8: those columns cannot
    /// fail and give `group`'s values, so only the others are checked. The outcome is
    /// the one `validate` gives (a test compares the two).
    fn validate_in_group(
        group: &Self,
        fields: &[&str],
        ctx: &RowContext,
        ids: &mut Interner,
    ) -> Result<Self, Refusal> {
        let _ = group;
        Self::validate(fields, ctx, ids)
    }
    /// The key of CONTRACT.md section 1.
    fn key(&self) -> Self::Key;
    /// The key's leading id and an order value such that rows with equal keys have equal
    /// pairs. Extracts usually list one id's rows together, in rising order of the rest
    /// of the key, which lets rules 9-10 find most rows new without a hash probe.
    fn key_order(&self) -> (Sym, u32);
    /// Rule 12: the office the row names, if any.
    fn office(&self) -> Option<Sym> {
        None
    }
    /// Rules 13 and 15: the worker and the date that must lie in one of their spells.
    fn employment(&self) -> Option<(Sym, Day)> {
        None
    }
    /// Rule 11: the response id and the values every row of that response must share.
    fn response(&self) -> Option<(Sym, (Sym, Day, Instrument))> {
        None
    }
    /// The date the *stale* run guard reads (CONTRACT.md section 2): effective_date,
    /// snapshot_date, session_date or administered_on; None for the other sources.
    fn activity_date(&self) -> Option<Day> {
        None
    }
}

std::thread_local! {
    /// The date text parsed last on this thread (its bytes and length as one key) and
    /// its day.
    static LAST_DATE: std::cell::Cell<(u128, Option<Day>)> =
        const { std::cell::Cell::new((0, None)) };
}

/// [`parse_date`], answered by one comparison when the text is the one parsed last on
/// this thread: rows come in runs sharing a date (a response's items, a group session's
/// attendees), and parsing was 6% of validating the survey.
fn parse_date_again(text: &str) -> Option<Day> {
    let bytes = text.as_bytes();
    if bytes.is_empty() || bytes.len() > 15 {
        return parse_date(text);
    }
    let mut key = [0u8; 16];
    key[..bytes.len()].copy_from_slice(bytes);
    key[15] = bytes.len() as u8;
    let key = u128::from_le_bytes(key);
    LAST_DATE.with(|last| {
        let (known, day) = last.get();
        if known == key {
            return day;
        }
        let day = parse_date(text);
        last.set((key, day));
        day
    })
}

/// Accumulates the lowest-ranked failure over a row's fields.
struct Check<'a> {
    source: Source,
    fields: &'a [&'a str],
    ctx: &'a RowContext,
    worst: Option<(Reason, usize, String)>,
}

impl<'a> Check<'a> {
    fn new(source: Source, fields: &'a [&'a str], ctx: &'a RowContext) -> Self {
        Check {
            source,
            fields,
            ctx,
            worst: None,
        }
    }

    fn name(&self, col: usize) -> &'static str {
        self.source.columns()[col].name
    }

    fn fail(
        &mut self,
        reason: Reason,
        col: usize,
        detail: impl FnOnce(&'static str, &str) -> String,
    ) {
        if self.worst.as_ref().is_none_or(|(r, _, _)| reason < *r) {
            let text = detail(self.name(col), self.fields[col]);
            self.worst = Some((reason, col, text));
        }
    }

    /// The field, or None when missing (MISSING_REQUIRED when `required`).
    fn present(&mut self, col: usize, required: bool, why: &str) -> Option<&'a str> {
        let value = self.fields[col];
        if value.is_empty() {
            if required {
                self.fail(Reason::MissingRequired, col, |name, _| {
                    format!("required field {name} is missing{why}; fill it in the extract")
                });
            }
            return None;
        }
        Some(value)
    }

    fn id(&mut self, col: usize, required: bool, why: &str) -> Option<&'a str> {
        let value = self.present(col, required, why)?;
        if is_valid_id(value) {
            Some(value)
        } else {
            self.fail(Reason::BadId, col, |name, v| {
                format!("{name} {v:?} is not a valid id (1-64 of A-Z a-z 0-9 _ . -, and not ALL)")
            });
            None
        }
    }

    fn text(&mut self, col: usize, required: bool) -> Option<&'a str> {
        self.present(col, required, "")
    }

    fn date(&mut self, col: usize, required: bool, future_ok: bool) -> Option<Day> {
        let value = self.present(col, required, "")?;
        let Some(day) = parse_date_again(value) else {
            self.fail(Reason::BadDate, col, |name, v| {
                format!("{name} {v:?} is not a calendar date in YYYY-MM-DD or M/D/YYYY form")
            });
            return None;
        };
        if day < MIN_DATE {
            self.fail(Reason::OutOfRange, col, |name, v| {
                format!("{name} {v:?} is before 1950-01-01")
            });
            return None;
        }
        if !future_ok && day > self.ctx.as_of {
            let as_of = self.ctx.as_of;
            self.fail(Reason::FutureDated, col, |name, v| {
                format!("{name} {v:?} is after the as-of date {as_of}")
            });
            return None;
        }
        Some(day)
    }

    fn int(&mut self, col: usize, required: bool, lo: i64, hi: i64) -> Option<i64> {
        let value = self.present(col, required, "")?;
        let Some(n) = parse_int(value) else {
            self.fail(Reason::BadNumber, col, |name, v| {
                format!("{name} {v:?} is not an integer")
            });
            return None;
        };
        if !(lo..=hi).contains(&n) {
            self.fail(Reason::OutOfRange, col, |name, v| {
                format!("{name} {v:?} is outside {lo}..{hi}")
            });
            return None;
        }
        Some(n)
    }

    fn code<T>(
        &mut self,
        col: usize,
        required: bool,
        why: &str,
        parse: fn(&str) -> Option<T>,
        allowed: &str,
    ) -> Option<T> {
        let value = self.present(col, required, why)?;
        let parsed = parse(value);
        if parsed.is_none() {
            self.fail(Reason::UnknownCode, col, |name, v| {
                format!("{name} {v:?} is not one of {allowed}")
            });
        }
        parsed
    }

    fn finish<T>(self, build: impl FnOnce() -> T) -> Result<T, Refusal> {
        match self.worst {
            Some((reason, _, detail)) => Err(Refusal { reason, detail }),
            None => Ok(build()),
        }
    }
}

/// An accepted office.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OfficeRow {
    /// office_id
    pub office_id: Sym,
    /// office_name
    pub office_name: Box<str>,
    /// region
    pub region: Option<Box<str>>,
    /// caseload_standard: cases per full-time worker
    pub caseload_standard: u8,
}

impl SourceRow for OfficeRow {
    type Key = Sym;
    const SOURCE: Source = Source::Offices;
    fn validate(f: &[&str], ctx: &RowContext, ids: &mut Interner) -> Result<Self, Refusal> {
        let mut c = Check::new(Self::SOURCE, f, ctx);
        let office_id = c.id(0, true, "");
        let office_name = c.text(1, true);
        let region = c.text(2, false);
        let standard = c.int(3, true, 1, 100);
        c.finish(|| OfficeRow {
            office_id: ids.intern_common_in(0, office_id.expect("checked")),
            office_name: office_name.expect("checked").into(),
            region: region.map(Into::into),
            caseload_standard: standard.expect("checked") as u8,
        })
    }
    fn key(&self) -> Sym {
        self.office_id
    }
    fn key_order(&self) -> (Sym, u32) {
        (self.office_id, 0)
    }
}

/// An accepted job_history row, before defaults.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct JobRow {
    /// worker_id
    pub worker: Sym,
    /// effective_date
    pub date: Day,
    /// action
    pub action: Action,
    /// office after the action (None on TERMINATION, where it is ignored)
    pub office: Option<Sym>,
    /// role (required on HIRE/REHIRE)
    pub role: Option<Role>,
    /// fte as given
    pub fte: Option<Decimal>,
    /// reason (TERMINATION only)
    pub reason: Option<TermReason>,
    /// supervisor_id
    pub supervisor: Option<Sym>,
}

impl SourceRow for JobRow {
    type Key = (Sym, Day);
    const SOURCE: Source = Source::JobHistory;
    fn validate(f: &[&str], ctx: &RowContext, ids: &mut Interner) -> Result<Self, Refusal> {
        let mut c = Check::new(Self::SOURCE, f, ctx);
        let known = Action::parse(f[2]);
        let starts = matches!(known, Some(Action::Hire | Action::Rehire));
        let worker = c.id(0, true, "");
        let date = c.date(1, true, false);
        let action = c.code(2, true, "", Action::parse, Action::allowed());
        let office = if known == Some(Action::Termination) {
            None
        } else {
            c.id(
                3,
                known.is_some(),
                " (HIRE, REHIRE and TRANSFER name the office)",
            )
        };
        let role = c.code(
            4,
            starts,
            " (HIRE and REHIRE name the role)",
            Role::parse,
            Role::allowed(),
        );
        let fte = match c.present(5, false, "") {
            None => None,
            Some(v) => match parse_decimal(v) {
                None => {
                    c.fail(Reason::BadNumber, 5, |n, v| {
                        format!("{n} {v:?} is not a decimal")
                    });
                    None
                }
                Some(x) if !(x > 0.0 && x <= 1.0) => {
                    c.fail(Reason::OutOfRange, 5, |n, v| {
                        format!("{n} {v:?} is outside (0, 1]")
                    });
                    None
                }
                Some(x) => Some(Decimal(x)),
            },
        };
        let reason = if known == Some(Action::Termination) {
            c.code(
                6,
                true,
                " (TERMINATION needs a reason)",
                TermReason::parse,
                TermReason::allowed(),
            )
        } else {
            None
        };
        let supervisor = c.id(7, false, "");
        c.finish(|| JobRow {
            worker: ids.intern_common_in(0, worker.expect("checked")),
            date: date.expect("checked"),
            action: action.expect("checked"),
            office: office.map(|o| ids.intern_common_in(3, o)),
            role,
            fte,
            reason,
            supervisor: supervisor.map(|s| ids.intern_common_in(7, s)),
        })
    }
    fn activity_date(&self) -> Option<Day> {
        Some(self.date)
    }
    fn key(&self) -> (Sym, Day) {
        (self.worker, self.date)
    }
    fn key_order(&self) -> (Sym, u32) {
        (self.worker, self.date.order())
    }
    fn office(&self) -> Option<Sym> {
        self.office
    }
}

/// An accepted caseload snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SnapshotRow {
    /// worker_id
    pub worker: Sym,
    /// snapshot_date
    pub date: Day,
    /// active_cases
    pub active_cases: u16,
    /// new_assignments as given
    pub new_assignments: Option<u16>,
    /// removals as given
    pub removals: Option<u16>,
}

impl SourceRow for SnapshotRow {
    type Key = (Sym, Day);
    const SOURCE: Source = Source::CaseloadSnapshots;
    fn validate(f: &[&str], ctx: &RowContext, ids: &mut Interner) -> Result<Self, Refusal> {
        let mut c = Check::new(Self::SOURCE, f, ctx);
        let worker = c.id(0, true, "");
        let date = c.date(1, true, false);
        let active = c.int(2, true, 0, 1000);
        let new = c.int(3, false, 0, 1000);
        let removals = c.int(4, false, 0, 100);
        c.finish(|| SnapshotRow {
            worker: ids.intern_common_in(0, worker.expect("checked")),
            date: date.expect("checked"),
            active_cases: active.expect("checked") as u16,
            new_assignments: new.map(|n| n as u16),
            removals: removals.map(|n| n as u16),
        })
    }
    fn activity_date(&self) -> Option<Day> {
        Some(self.date)
    }
    fn key(&self) -> (Sym, Day) {
        (self.worker, self.date)
    }
    fn key_order(&self) -> (Sym, u32) {
        (self.worker, self.date.order())
    }
    fn employment(&self) -> Option<(Sym, Day)> {
        Some((self.worker, self.date))
    }
}

/// An accepted supervision session attendance.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SessionRow {
    /// session_id
    pub session: Sym,
    /// worker_id
    pub worker: Sym,
    /// supervisor_id
    pub supervisor: Option<Sym>,
    /// session_date
    pub date: Day,
    /// minutes
    pub minutes: u16,
    /// format
    pub format: SessionFormat,
    /// focus
    pub focus: Option<Focus>,
}

impl SourceRow for SessionRow {
    type Key = (Sym, Sym);
    const SOURCE: Source = Source::SupervisionSessions;
    fn validate(f: &[&str], ctx: &RowContext, ids: &mut Interner) -> Result<Self, Refusal> {
        let mut c = Check::new(Self::SOURCE, f, ctx);
        let session = c.id(0, true, "");
        let worker = c.id(1, true, "");
        let supervisor = c.id(2, false, "");
        let date = c.date(3, true, false);
        let minutes = c.int(4, true, 1, 600);
        let format = c.code(5, true, "", SessionFormat::parse, SessionFormat::allowed());
        let focus = c.code(6, false, "", Focus::parse, Focus::allowed());
        c.finish(|| SessionRow {
            session: ids.intern_in(0, session.expect("checked")),
            worker: ids.intern_common_in(1, worker.expect("checked")),
            supervisor: supervisor.map(|s| ids.intern_common_in(2, s)),
            date: date.expect("checked"),
            minutes: minutes.expect("checked") as u16,
            format: format.expect("checked"),
            focus,
        })
    }
    const GROUP: &'static [usize] = &[0, 2, 3, 4, 5, 6];
    fn validate_in_group(
        group: &Self,
        f: &[&str],
        ctx: &RowContext,
        ids: &mut Interner,
    ) -> Result<Self, Refusal> {
        let mut c = Check::new(Self::SOURCE, f, ctx);
        let worker = c.id(1, true, "");
        c.finish(|| SessionRow {
            worker: ids.intern_common_in(1, worker.expect("checked")),
            ..group.clone()
        })
    }
    fn activity_date(&self) -> Option<Day> {
        Some(self.date)
    }
    fn key(&self) -> (Sym, Sym) {
        (self.session, self.worker)
    }
    fn key_order(&self) -> (Sym, u32) {
        (self.session, self.worker.0)
    }
    fn employment(&self) -> Option<(Sym, Day)> {
        Some((self.worker, self.date))
    }
}

/// An accepted survey item response.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SurveyRow {
    /// response_id
    pub response: Sym,
    /// worker_id
    pub worker: Sym,
    /// administered_on
    pub date: Day,
    /// instrument
    pub instrument: Instrument,
    /// item number
    pub item: u8,
    /// value 1..5 as answered (not reversed)
    pub value: u8,
}

impl SourceRow for SurveyRow {
    type Key = (Sym, u8);
    const SOURCE: Source = Source::SurveyResponses;
    fn validate(f: &[&str], ctx: &RowContext, ids: &mut Interner) -> Result<Self, Refusal> {
        let mut c = Check::new(Self::SOURCE, f, ctx);
        let response = c.id(0, true, "");
        let worker = c.id(1, true, "");
        let date = c.date(2, true, false);
        let instrument = c.code(3, true, "", Instrument::parse, Instrument::allowed());
        // The item range depends on the instrument; without a known instrument only the
        // grammar is checked (the instrument's own refusal ranks first anyway).
        let max_item = instrument.map_or(i64::MAX, |i| i64::from(i.items()));
        let item = c.int(4, true, 1, max_item);
        let value = c.int(5, true, 1, 5);
        c.finish(|| SurveyRow {
            response: ids.intern_in(0, response.expect("checked")),
            worker: ids.intern_common_in(1, worker.expect("checked")),
            date: date.expect("checked"),
            instrument: instrument.expect("checked"),
            item: item.expect("checked") as u8,
            value: value.expect("checked") as u8,
        })
    }
    const GROUP: &'static [usize] = &[0, 1, 2, 3];
    fn validate_in_group(
        group: &Self,
        f: &[&str],
        ctx: &RowContext,
        _: &mut Interner,
    ) -> Result<Self, Refusal> {
        let mut c = Check::new(Self::SOURCE, f, ctx);
        let item = c.int(4, true, 1, i64::from(group.instrument.items()));
        let value = c.int(5, true, 1, 5);
        c.finish(|| SurveyRow {
            item: item.expect("checked") as u8,
            value: value.expect("checked") as u8,
            ..group.clone()
        })
    }
    fn activity_date(&self) -> Option<Day> {
        Some(self.date)
    }
    fn key(&self) -> (Sym, u8) {
        (self.response, self.item)
    }
    fn key_order(&self) -> (Sym, u32) {
        (self.response, u32::from(self.item))
    }
    fn employment(&self) -> Option<(Sym, Day)> {
        Some((self.worker, self.date))
    }
    fn response(&self) -> Option<(Sym, (Sym, Day, Instrument))> {
        Some((self.response, (self.worker, self.date, self.instrument)))
    }
}

/// An accepted program enrollment.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EnrollmentRow {
    /// worker_id
    pub worker: Sym,
    /// program
    pub program: Program,
    /// cohort_id
    pub cohort: Sym,
    /// start_date
    pub start: Day,
    /// end_date (may be after as-of)
    pub end: Option<Day>,
    /// sessions_offered
    pub offered: Option<u16>,
    /// sessions_attended
    pub attended: Option<u16>,
}

impl SourceRow for EnrollmentRow {
    type Key = (Sym, Program, Sym);
    const SOURCE: Source = Source::ProgramEnrollments;
    fn validate(f: &[&str], ctx: &RowContext, ids: &mut Interner) -> Result<Self, Refusal> {
        let mut c = Check::new(Self::SOURCE, f, ctx);
        let worker = c.id(0, true, "");
        let program = c.code(1, true, "", Program::parse, Program::allowed());
        let cohort = c.id(2, true, "");
        let start = c.date(3, true, false);
        let end = c.date(4, false, true);
        // Compared with the parsed start_date even when that is refused for being after
        // as-of: an end before the start is OUT_OF_RANGE (7), which ranks before
        // FUTURE_DATED (8).
        if let (Some(s), Some(e)) = (parse_date(f[3]), end)
            && e < s
        {
            c.fail(Reason::OutOfRange, 4, |n, v| {
                format!("{n} {v:?} is before start_date {s}")
            });
        }
        let offered = c.int(5, false, 0, 1000);
        let attended = c.int(6, false, 0, offered.unwrap_or(1000));
        c.finish(|| EnrollmentRow {
            worker: ids.intern_common_in(0, worker.expect("checked")),
            program: program.expect("checked"),
            cohort: ids.intern_common_in(2, cohort.expect("checked")),
            start: start.expect("checked"),
            end,
            offered: offered.map(|n| n as u16),
            attended: attended.map(|n| n as u16),
        })
    }
    fn key(&self) -> (Sym, Program, Sym) {
        (self.worker, self.program, self.cohort)
    }
    fn key_order(&self) -> (Sym, u32) {
        (self.worker, self.cohort.0)
    }
    fn employment(&self) -> Option<(Sym, Day)> {
        Some((self.worker, self.start))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> RowContext {
        RowContext {
            as_of: Day::from_ymd(2025, 6, 30).unwrap(),
        }
    }

    fn refuse<R: SourceRow + std::fmt::Debug>(fields: &[&str]) -> (Reason, String) {
        let e = R::validate(fields, &ctx(), &mut Interner::default()).unwrap_err();
        (e.reason, e.detail)
    }

    /// Every variant of a row, validated in the group of `first` and on its own,
    /// gives the same outcome (and the same symbols).
    fn group_agrees<R: SourceRow + std::fmt::Debug>(first: &[&str], variants: &[Vec<&str>]) {
        let mut ids = Interner::default();
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
        for text in texts {
            assert_eq!(parse_date_again(text), parse_date(text), "{text:?}");
        }
        assert_eq!(parse_date_again("2023-02-29"), None);
    }

    #[test]
    fn job_history_conditional_requirements_follow_the_action() {
        let (r, d) = refuse::<JobRow>(&["W1", "2024-01-01", "hire", "", "CASEWORKER", "", "", ""]);
        assert_eq!(r, Reason::MissingRequired);
        assert!(d.contains("office_id"), "{d}");
        let (r, d) = refuse::<JobRow>(&["W1", "2024-01-01", "REHIRE", "O1", "", "", "", ""]);
        assert_eq!((r, d.contains("role")), (Reason::MissingRequired, true));
        let (r, _) = refuse::<JobRow>(&["W1", "2024-01-01", "TERMINATION", "", "", "", "", ""]);
        assert_eq!(r, Reason::MissingRequired);
        // Office on a TERMINATION and reason elsewhere are ignored, even when malformed.
        let t = JobRow::validate(
            &[
                "W1",
                "2024-01-01",
                "TERMINATION",
                "bad id!",
                "",
                "",
                "quit",
                "",
            ],
            &ctx(),
            &mut Interner::default(),
        );
        assert_eq!(t.unwrap_err().reason, Reason::UnknownCode);
        let ok = JobRow::validate(
            &[
                "W1",
                "2024-01-01",
                "TERMINATION",
                "bad id!",
                "",
                "",
                "voluntary",
                "",
            ],
            &ctx(),
            &mut Interner::default(),
        )
        .unwrap();
        assert_eq!((ok.office, ok.reason), (None, Some(TermReason::Voluntary)));
        let ok = JobRow::validate(
            &["W1", "2024-01-01", "TRANSFER", "O2", "", "", "nonsense", ""],
            &ctx(),
            &mut Interner::default(),
        )
        .unwrap();
        assert_eq!(ok.reason, None);
        // An unknown action imposes no conditional requirement: UNKNOWN_CODE, not MISSING.
        assert_eq!(
            refuse::<JobRow>(&["W1", "2024-01-01", "FIRE", "", "", "", "", ""]).0,
            Reason::UnknownCode
        );
    }

    #[test]
    fn precedence_across_columns() {
        // BAD_ID (3) in a later column beats BAD_DATE (4) in an earlier one.
        assert_eq!(
            refuse::<SnapshotRow>(&["W 1", "2024-02-30", "3", "", ""]).0,
            Reason::BadId
        );
        assert_eq!(
            refuse::<SnapshotRow>(&["W1", "2024-02-30", "x", "", ""]).0,
            Reason::BadDate
        );
        assert_eq!(
            refuse::<SnapshotRow>(&["W1", "2024-02-03", "x", "", ""]).0,
            Reason::BadNumber
        );
        assert_eq!(
            refuse::<SnapshotRow>(&["W1", "2030-02-03", "1001", "", ""]).0,
            Reason::OutOfRange
        );
        assert_eq!(
            refuse::<SnapshotRow>(&["W1", "2030-02-03", "10", "", ""]).0,
            Reason::FutureDated
        );
        assert_eq!(
            refuse::<SnapshotRow>(&["W1", "1949-12-31", "10", "", ""]).0,
            Reason::OutOfRange
        );
        assert_eq!(
            refuse::<SnapshotRow>(&["", "2030-02-03", "zz", "", ""]).0,
            Reason::MissingRequired
        );
        // Same reason in two columns: the earlier column is named.
        let (_, d) = refuse::<SnapshotRow>(&["W1", "2024-02-03", "-3", "2000", ""]);
        assert!(d.starts_with("active_cases"), "{d}");
    }

    #[test]
    fn survey_item_range_depends_on_instrument() {
        let ok = |f: &[&str]| SurveyRow::validate(f, &ctx(), &mut Interner::default());
        assert!(ok(&["R1", "W1", "2024-01-01", "STSS", "17", "5"]).is_ok());
        assert_eq!(
            ok(&["R1", "W1", "2024-01-01", "STSS", "18", "5"])
                .unwrap_err()
                .reason,
            Reason::OutOfRange
        );
        assert!(ok(&["R1", "W1", "2024-01-01", "proqol5", "30", "1"]).is_ok());
        assert_eq!(
            ok(&["R1", "W1", "2024-01-01", "BRS", "7", "1"])
                .unwrap_err()
                .reason,
            Reason::OutOfRange
        );
        assert_eq!(
            ok(&["R1", "W1", "2024-01-01", "XYZ", "99", "1"])
                .unwrap_err()
                .reason,
            Reason::UnknownCode
        );
        assert_eq!(
            ok(&["R1", "W1", "2024-01-01", "BRS", "1", "0"])
                .unwrap_err()
                .reason,
            Reason::OutOfRange
        );
    }

    #[test]
    fn enrollment_end_may_be_future_but_not_before_start() {
        let v = |f: &[&str]| EnrollmentRow::validate(f, &ctx(), &mut Interner::default());
        let row = v(&[
            "W1",
            "RESILIENCE_ALLIANCE",
            "C1",
            "2025-06-01",
            "2025-09-01",
            "12",
            "12",
        ])
        .unwrap();
        assert_eq!(row.end, Day::from_ymd(2025, 9, 1));
        assert_eq!(
            v(&["W1", "OTHER", "C1", "2025-06-01", "2025-05-31", "", ""])
                .unwrap_err()
                .reason,
            Reason::OutOfRange
        );
        assert_eq!(
            v(&["W1", "OTHER", "C1", "2025-07-01", "", "", ""])
                .unwrap_err()
                .reason,
            Reason::FutureDated
        );
        assert_eq!(
            v(&["W1", "OTHER", "C1", "2025-06-01", "", "10", "11"])
                .unwrap_err()
                .reason,
            Reason::OutOfRange
        );
        assert!(v(&["W1", "OTHER", "C1", "2025-06-01", "", "", "1000"]).is_ok());
    }

    #[test]
    fn fte_is_a_decimal_in_the_half_open_unit_interval() {
        let v = |fte: &str| {
            JobRow::validate(
                &["W1", "2024-01-01", "HIRE", "O1", "OTHER", fte, "", ""],
                &ctx(),
                &mut Interner::default(),
            )
        };
        assert_eq!(v("1").unwrap().fte, Some(Decimal(1.0)));
        assert_eq!(v("1.0").unwrap(), v("1").unwrap());
        assert_eq!(v("0").unwrap_err().reason, Reason::OutOfRange);
        assert_eq!(v("1.01").unwrap_err().reason, Reason::OutOfRange);
        assert_eq!(v("1,0").unwrap_err().reason, Reason::BadNumber);
        assert_eq!(v("").unwrap().fte, None);
    }
}
