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
use crate::lookup::{Lookup, Sym};
use crate::reason::Reason;
use crate::source::{Column, Kind, Requirement, Source};
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
    /// Checks rules 2-8 and builds the typed row, its ids made symbols by `ids`.
    fn validate<L: Lookup>(fields: &[&str], ctx: &RowContext, ids: &mut L)
    -> Result<Self, Refusal>;
    /// The key of CONTRACT.md section 1.
    fn key(&self) -> Self::Key;
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

/// The column `name` of the row type's source, resolved when compiling: a name the
/// source does not declare stops the build.
macro_rules! col {
    ($name:literal) => {
        const { <Self as SourceRow>::SOURCE.column($name) }
    };
}

/// Checks a row's fields against their columns' declarations ([`Source::columns`]) and
/// keeps the lowest-ranked failure; among equal reasons the earliest column is named.
/// Each check answers the value, or None when the field is missing or refused.
pub struct Check<'a, L> {
    fields: &'a [&'a str],
    ctx: &'a RowContext,
    ids: &'a mut L,
    worst: Option<(Reason, usize, String)>,
}

impl<'a, L: Lookup> Check<'a, L> {
    /// A check of one row's fields (indexed by contract column).
    pub fn new(fields: &'a [&'a str], ctx: &'a RowContext, ids: &'a mut L) -> Self {
        Check {
            fields,
            ctx,
            ids,
            worst: None,
        }
    }

    /// Records a failure of `column`, kept when it ranks below the worst so far.
    pub fn fail(
        &mut self,
        reason: Reason,
        column: Column,
        detail: impl FnOnce(&'static str, &str) -> String,
    ) {
        if self
            .worst
            .as_ref()
            .is_none_or(|&(r, c, _)| (reason, column.index) < (r, c))
        {
            let text = detail(column.name, self.fields[column.index]);
            self.worst = Some((reason, column.index, text));
        }
    }

    /// The field, or None when missing (MISSING_REQUIRED when `required`).
    fn present(&mut self, column: Column, required: bool, why: &str) -> Option<&'a str> {
        let value = self.fields[column.index];
        if value.is_empty() {
            if required {
                self.fail(Reason::MissingRequired, column, |name, _| {
                    format!("required field {name} is missing{why}; fill it in the extract")
                });
            }
            return None;
        }
        Some(value)
    }

    /// Whether the declaration requires the field in every row.
    fn required(column: Column) -> bool {
        column.requirement == Requirement::Required
    }

    /// An id column, required as declared (a conditional column uses [`Check::id_when`]).
    pub fn id(&mut self, column: Column) -> Option<&'a str> {
        debug_assert_ne!(
            column.requirement,
            Requirement::Conditional,
            "{}",
            column.name
        );
        self.id_when(column, Self::required(column), "")
    }

    /// An id column the row requires when `required` (`why` says when).
    pub fn id_when(&mut self, column: Column, required: bool, why: &str) -> Option<&'a str> {
        debug_assert_eq!(column.kind, Kind::Id, "{}", column.name);
        let value = self.present(column, required, why)?;
        if is_valid_id(value) {
            Some(value)
        } else {
            self.fail(Reason::BadId, column, |name, v| {
                format!("{name} {v:?} is not a valid id (1-64 of A-Z a-z 0-9 _ . -, and not ALL)")
            });
            None
        }
    }

    /// A text column, required as declared.
    pub fn text(&mut self, column: Column) -> Option<&'a str> {
        debug_assert_ne!(
            column.requirement,
            Requirement::Conditional,
            "{}",
            column.name
        );
        debug_assert_eq!(column.kind, Kind::Text, "{}", column.name);
        self.present(column, Self::required(column), "")
    }

    /// A date column, required and bounded as declared.
    pub fn date(&mut self, column: Column) -> Option<Day> {
        let Kind::Date { future } = column.kind else {
            unreachable!("{} is not a date column", column.name)
        };
        let value = self.present(column, Self::required(column), "")?;
        let Some(day) = self.ids.date(value) else {
            self.fail(Reason::BadDate, column, |name, v| {
                format!("{name} {v:?} is not a calendar date in YYYY-MM-DD or M/D/YYYY form")
            });
            return None;
        };
        if day < MIN_DATE {
            self.fail(Reason::OutOfRange, column, |name, v| {
                format!("{name} {v:?} is before 1950-01-01")
            });
            return None;
        }
        if !future && day > self.ctx.as_of {
            let as_of = self.ctx.as_of;
            self.fail(Reason::FutureDated, column, |name, v| {
                format!("{name} {v:?} is after the as-of date {as_of}")
            });
            return None;
        }
        Some(day)
    }

    /// An integer column, required and in the range declared.
    pub fn int(&mut self, column: Column) -> Option<i64> {
        self.int_up_to(column, i64::MAX)
    }

    /// An integer column whose declared upper bound the row lowers to `hi`.
    pub fn int_up_to(&mut self, column: Column, hi: i64) -> Option<i64> {
        let Kind::Int { lo, hi: declared } = column.kind else {
            unreachable!("{} is not an integer column", column.name)
        };
        let hi = hi.min(declared);
        let value = self.present(column, Self::required(column), "")?;
        let Some(n) = parse_int(value) else {
            self.fail(Reason::BadNumber, column, |name, v| {
                format!("{name} {v:?} is not an integer")
            });
            return None;
        };
        if !(lo..=hi).contains(&n) {
            self.fail(Reason::OutOfRange, column, |name, v| {
                format!("{name} {v:?} is outside {lo}..{hi}")
            });
            return None;
        }
        Some(n)
    }

    /// A decimal column in (0, 1], required as declared.
    pub fn fraction(&mut self, column: Column) -> Option<Decimal> {
        debug_assert_eq!(column.kind, Kind::Fraction, "{}", column.name);
        let value = self.present(column, Self::required(column), "")?;
        match parse_decimal(value) {
            None => {
                self.fail(Reason::BadNumber, column, |n, v| {
                    format!("{n} {v:?} is not a decimal")
                });
                None
            }
            Some(x) if !(x > 0.0 && x <= 1.0) => {
                self.fail(Reason::OutOfRange, column, |n, v| {
                    format!("{n} {v:?} is outside (0, 1]")
                });
                None
            }
            Some(x) => Some(Decimal(x)),
        }
    }

    /// A code column, required as declared (a conditional column uses
    /// [`Check::code_when`]): `parse` reads it, `allowed` lists the codes.
    pub fn code<T>(
        &mut self,
        column: Column,
        parse: fn(&str) -> Option<T>,
        allowed: &str,
    ) -> Option<T> {
        debug_assert_ne!(
            column.requirement,
            Requirement::Conditional,
            "{}",
            column.name
        );
        self.code_when(column, Self::required(column), "", parse, allowed)
    }

    /// A code column the row requires when `required` (`why` says when).
    pub fn code_when<T>(
        &mut self,
        column: Column,
        required: bool,
        why: &str,
        parse: fn(&str) -> Option<T>,
        allowed: &str,
    ) -> Option<T> {
        debug_assert_eq!(column.kind, Kind::Code, "{}", column.name);
        let value = self.present(column, required, why)?;
        let parsed = parse(value);
        if parsed.is_none() {
            self.fail(Reason::UnknownCode, column, |name, v| {
                format!("{name} {v:?} is not one of {allowed}")
            });
        }
        parsed
    }

    /// The refusal of the worst failure, or the row `build` makes (its ids made symbols
    /// by the lookup) when no field failed.
    pub fn finish<T>(self, build: impl FnOnce(&mut L) -> T) -> Result<T, Refusal> {
        match self.worst {
            Some((reason, _, detail)) => Err(Refusal { reason, detail }),
            None => Ok(build(self.ids)),
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
    fn validate<L: Lookup>(f: &[&str], ctx: &RowContext, ids: &mut L) -> Result<Self, Refusal> {
        let mut c = Check::new(f, ctx, ids);
        let office_id = c.id(col!("office_id"));
        let office_name = c.text(col!("office_name"));
        let region = c.text(col!("region"));
        let standard = c.int(col!("caseload_standard"));
        c.finish(|ids| OfficeRow {
            office_id: ids.recurring(col!("office_id").index, office_id.expect("checked")),
            office_name: office_name.expect("checked").into(),
            region: region.map(Into::into),
            caseload_standard: standard.expect("checked") as u8,
        })
    }
    fn key(&self) -> Sym {
        self.office_id
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
    fn validate<L: Lookup>(f: &[&str], ctx: &RowContext, ids: &mut L) -> Result<Self, Refusal> {
        let action_column = col!("action");
        let known = Action::parse(f[action_column.index]);
        let starts = matches!(known, Some(Action::Hire | Action::Rehire));
        let mut c = Check::new(f, ctx, ids);
        let worker = c.id(col!("worker_id"));
        let date = c.date(col!("effective_date"));
        let action = c.code(action_column, Action::parse, Action::allowed());
        let office = if known == Some(Action::Termination) {
            None
        } else {
            c.id_when(
                col!("office_id"),
                known.is_some(),
                " (HIRE, REHIRE and TRANSFER name the office)",
            )
        };
        let role = c.code_when(
            col!("role"),
            starts,
            " (HIRE and REHIRE name the role)",
            Role::parse,
            Role::allowed(),
        );
        let fte = c.fraction(col!("fte"));
        let reason = if known == Some(Action::Termination) {
            c.code_when(
                col!("reason"),
                true,
                " (TERMINATION needs a reason)",
                TermReason::parse,
                TermReason::allowed(),
            )
        } else {
            None
        };
        let supervisor = c.id(col!("supervisor_id"));
        c.finish(|ids| JobRow {
            worker: ids.recurring(col!("worker_id").index, worker.expect("checked")),
            date: date.expect("checked"),
            action: action.expect("checked"),
            office: office.map(|o| ids.recurring(col!("office_id").index, o)),
            role,
            fte,
            reason,
            supervisor: supervisor.map(|s| ids.recurring(col!("supervisor_id").index, s)),
        })
    }
    fn activity_date(&self) -> Option<Day> {
        Some(self.date)
    }
    fn key(&self) -> (Sym, Day) {
        (self.worker, self.date)
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
    fn validate<L: Lookup>(f: &[&str], ctx: &RowContext, ids: &mut L) -> Result<Self, Refusal> {
        let mut c = Check::new(f, ctx, ids);
        let worker = c.id(col!("worker_id"));
        let date = c.date(col!("snapshot_date"));
        let active = c.int(col!("active_cases"));
        let new = c.int(col!("new_assignments"));
        let removals = c.int(col!("removals"));
        c.finish(|ids| SnapshotRow {
            worker: ids.recurring(col!("worker_id").index, worker.expect("checked")),
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
    fn validate<L: Lookup>(f: &[&str], ctx: &RowContext, ids: &mut L) -> Result<Self, Refusal> {
        let mut c = Check::new(f, ctx, ids);
        let session = c.id(col!("session_id"));
        let worker = c.id(col!("worker_id"));
        let supervisor = c.id(col!("supervisor_id"));
        let date = c.date(col!("session_date"));
        let minutes = c.int(col!("minutes"));
        let format = c.code(
            col!("format"),
            SessionFormat::parse,
            SessionFormat::allowed(),
        );
        let focus = c.code(col!("focus"), Focus::parse, Focus::allowed());
        c.finish(|ids| SessionRow {
            session: ids.one_off(col!("session_id").index, session.expect("checked")),
            worker: ids.recurring(col!("worker_id").index, worker.expect("checked")),
            supervisor: supervisor.map(|s| ids.recurring(col!("supervisor_id").index, s)),
            date: date.expect("checked"),
            minutes: minutes.expect("checked") as u16,
            format: format.expect("checked"),
            focus,
        })
    }
    fn activity_date(&self) -> Option<Day> {
        Some(self.date)
    }
    fn key(&self) -> (Sym, Sym) {
        (self.session, self.worker)
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

impl SurveyRow {
    /// The greatest item number `instrument` has; without a known instrument only the
    /// declared range is checked (the instrument's own refusal ranks first anyway).
    pub fn last_item(instrument: Option<Instrument>) -> i64 {
        instrument.map_or(i64::MAX, |i| i64::from(i.items()))
    }
}

impl SourceRow for SurveyRow {
    type Key = (Sym, u8);
    const SOURCE: Source = Source::SurveyResponses;
    fn validate<L: Lookup>(f: &[&str], ctx: &RowContext, ids: &mut L) -> Result<Self, Refusal> {
        let mut c = Check::new(f, ctx, ids);
        let response = c.id(col!("response_id"));
        let worker = c.id(col!("worker_id"));
        let date = c.date(col!("administered_on"));
        let instrument = c.code(col!("instrument"), Instrument::parse, Instrument::allowed());
        let item = c.int_up_to(col!("item"), SurveyRow::last_item(instrument));
        let value = c.int(col!("value"));
        c.finish(|ids| SurveyRow {
            response: ids.one_off(col!("response_id").index, response.expect("checked")),
            worker: ids.recurring(col!("worker_id").index, worker.expect("checked")),
            date: date.expect("checked"),
            instrument: instrument.expect("checked"),
            item: item.expect("checked") as u8,
            value: value.expect("checked") as u8,
        })
    }
    fn activity_date(&self) -> Option<Day> {
        Some(self.date)
    }
    fn key(&self) -> (Sym, u8) {
        (self.response, self.item)
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
    fn validate<L: Lookup>(f: &[&str], ctx: &RowContext, ids: &mut L) -> Result<Self, Refusal> {
        let (start_column, end_column) = (col!("start_date"), col!("end_date"));
        let mut c = Check::new(f, ctx, ids);
        let worker = c.id(col!("worker_id"));
        let program = c.code(col!("program"), Program::parse, Program::allowed());
        let cohort = c.id(col!("cohort_id"));
        let start = c.date(start_column);
        let end = c.date(end_column);
        // Compared with the parsed start_date even when that is refused for being after
        // as-of: an end before the start is OUT_OF_RANGE (7), which ranks before
        // FUTURE_DATED (8).
        if let (Some(s), Some(e)) = (parse_date(f[start_column.index]), end)
            && e < s
        {
            c.fail(Reason::OutOfRange, end_column, |n, v| {
                format!("{n} {v:?} is before start_date {s}")
            });
        }
        let offered = c.int(col!("sessions_offered"));
        let attended = c.int_up_to(col!("sessions_attended"), offered.unwrap_or(i64::MAX));
        c.finish(|ids| EnrollmentRow {
            worker: ids.recurring(col!("worker_id").index, worker.expect("checked")),
            program: program.expect("checked"),
            cohort: ids.recurring(col!("cohort_id").index, cohort.expect("checked")),
            start: start.expect("checked"),
            end,
            offered: offered.map(|n| n as u16),
            attended: attended.map(|n| n as u16),
        })
    }
    fn key(&self) -> (Sym, Program, Sym) {
        (self.worker, self.program, self.cohort)
    }
    fn employment(&self) -> Option<(Sym, Day)> {
        Some((self.worker, self.start))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lookup::PlainLookup;

    fn ctx() -> RowContext {
        RowContext {
            as_of: Day::from_ymd(2025, 6, 30).unwrap(),
        }
    }

    fn refuse<R: SourceRow + std::fmt::Debug>(fields: &[&str]) -> (Reason, String) {
        let e = R::validate(fields, &ctx(), &mut PlainLookup::default()).unwrap_err();
        (e.reason, e.detail)
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
            &mut PlainLookup::default(),
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
            &mut PlainLookup::default(),
        )
        .unwrap();
        assert_eq!((ok.office, ok.reason), (None, Some(TermReason::Voluntary)));
        let ok = JobRow::validate(
            &["W1", "2024-01-01", "TRANSFER", "O2", "", "", "nonsense", ""],
            &ctx(),
            &mut PlainLookup::default(),
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
        let ok = |f: &[&str]| SurveyRow::validate(f, &ctx(), &mut PlainLookup::default());
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
        let v = |f: &[&str]| EnrollmentRow::validate(f, &ctx(), &mut PlainLookup::default());
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
                &mut PlainLookup::default(),
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
