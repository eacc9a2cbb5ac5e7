//! The job-history replay of CONTRACT.md sections 2 and 3: a worker's rows, in
//! `(effective_date, line)` order, become employment spells; a row impossible in the
//! history so far is INVALID_TRANSITION and the replay continues as if it were absent.

use crate::codes::{Action, Role, TermReason};
use crate::date::Day;
use crate::lookup::Sym;
use crate::rows::JobRow;

/// Office, role and fte held from `from` until the next segment starts or the spell ends.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Segment {
    /// First day of the assignment.
    pub from: Day,
    /// Office (its symbol from the job_history validation's `Lookup`).
    pub office: Sym,
    /// Role.
    pub role: Role,
    /// Full-time equivalent.
    pub fte: f64,
}

/// One employment spell: start to termination (both inclusive), or open.
#[derive(Debug, Clone, PartialEq)]
pub struct Spell {
    /// HIRE/REHIRE date.
    pub start: Day,
    /// TERMINATION date, the last day worked; None while open.
    pub end: Option<Day>,
    /// The TERMINATION's reason.
    pub end_reason: Option<TermReason>,
    /// Assignments in date order; the first starts on `start`.
    pub segments: Vec<Segment>,
}

/// The spell of a worker's `spells` (in start order, as [`replay`] gives them) in which
/// the worker is employed on `day` (CONTRACT.md section 3, ignoring as-of); None when
/// not employed that day.
pub fn spell_on(spells: &[Spell], day: Day) -> Option<&Spell> {
    let i = spells.partition_point(|s| s.start <= day);
    spells[..i].last().filter(|s| s.contains(day))
}

impl Spell {
    /// Whether the worker is employed on `day` in this spell (ignoring as-of).
    pub fn contains(&self, day: Day) -> bool {
        day >= self.start && self.end.is_none_or(|e| day <= e)
    }

    /// The assignment in force on `day`, which must lie in the spell.
    pub fn segment_on(&self, day: Day) -> &Segment {
        let i = self.segments.partition_point(|s| s.from <= day);
        &self.segments[i.max(1) - 1]
    }

    /// Last day of the spell up to `as_of`.
    pub fn last_day(&self, as_of: Day) -> Day {
        self.end.map_or(as_of, |e| e.min(as_of))
    }

    /// Last day of segment `i` up to `as_of`: the day before the next segment starts, or
    /// the spell's last day. Before the segment's `from` when it starts after as-of.
    pub fn segment_last_day(&self, i: usize, as_of: Day) -> Day {
        let last = self.last_day(as_of);
        self.segments
            .get(i + 1)
            .map_or(last, |next| next.from.add_days(-1))
            .min(last)
    }

    /// duration_days of CONTRACT.md section 3: end date (as-of while open) - start + 1.
    pub fn duration_days(&self, as_of: Day) -> i64 {
        i64::from(self.end.unwrap_or(as_of).0 - self.start.0 + 1)
    }
}

/// The spells of one worker and the rows the replay refused.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Replay {
    /// Spells in start order.
    pub spells: Vec<Spell>,
    /// Positions (in the input order) of INVALID_TRANSITION rows.
    pub invalid: Vec<usize>,
}

/// Replays one worker's rows, already sorted by `(effective_date, line)`.
pub fn replay<'a>(rows: impl IntoIterator<Item = &'a JobRow>) -> Replay {
    let mut out = Replay::default();
    let mut open: Option<Spell> = None;
    for (pos, row) in rows.into_iter().enumerate() {
        match (row.action, open.as_mut()) {
            (Action::Hire | Action::Rehire, None) => {
                let segment = Segment {
                    from: row.date,
                    office: row.office.expect("HIRE names an office"),
                    role: row.role.expect("HIRE names a role"),
                    fte: row.fte.map_or(1.0, |f| f.0),
                };
                open = Some(Spell {
                    start: row.date,
                    end: None,
                    end_reason: None,
                    segments: vec![segment],
                });
            }
            (Action::Transfer, Some(spell)) => {
                let last = *spell.segments.last().expect("a spell has a segment");
                spell.segments.push(Segment {
                    from: row.date,
                    office: row.office.expect("TRANSFER names an office"),
                    role: row.role.unwrap_or(last.role),
                    fte: row.fte.map_or(last.fte, |f| f.0),
                });
            }
            (Action::Termination, Some(_)) => {
                let mut spell = open.take().expect("matched Some");
                spell.end = Some(row.date);
                spell.end_reason = row.reason;
                out.spells.push(spell);
            }
            _ => out.invalid.push(pos),
        }
    }
    out.spells.extend(open);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rows::Decimal;

    fn row(
        day: i32,
        action: Action,
        office: Option<u32>,
        role: Option<Role>,
        fte: Option<f64>,
    ) -> JobRow {
        JobRow {
            worker: Sym(0),
            date: Day(day),
            action,
            office: office.map(Sym),
            role,
            fte: fte.map(Decimal),
            reason: (action == Action::Termination).then_some(TermReason::Voluntary),
            supervisor: None,
        }
    }

    #[test]
    fn spells_transfers_and_invalid_rows() {
        let rows = [
            row(0, Action::Transfer, Some(1), None, None), // not employed: invalid
            row(10, Action::Hire, Some(1), Some(Role::Caseworker), None), // spell 1
            row(20, Action::Hire, Some(2), Some(Role::Caseworker), None), // employed: invalid
            row(
                30,
                Action::Transfer,
                Some(2),
                Some(Role::Supervisor),
                Some(0.5),
            ), // new office, role, fte
            row(40, Action::Termination, None, None, None), // ends spell 1 on day 40
            row(41, Action::Termination, None, None, None), // not employed: invalid
            row(42, Action::Rehire, Some(3), Some(Role::Other), Some(0.8)), // spell 2, open
        ];
        let r = replay(&rows);
        assert_eq!(r.invalid, vec![0, 2, 5]);
        assert_eq!(r.spells.len(), 2);
        let s1 = &r.spells[0];
        assert_eq!(
            (s1.start, s1.end, s1.end_reason),
            (Day(10), Some(Day(40)), Some(TermReason::Voluntary))
        );
        assert!(s1.contains(Day(40)) && !s1.contains(Day(41)) && !s1.contains(Day(9)));
        // Transfer placement: through day 29 the old office, from day 30 the new one.
        assert_eq!(s1.segment_on(Day(29)).office, Sym(1));
        assert_eq!(s1.segment_on(Day(30)).office, Sym(2));
        assert_eq!(
            (s1.segment_on(Day(30)).role, s1.segment_on(Day(30)).fte),
            (Role::Supervisor, 0.5)
        );
        assert_eq!(
            (s1.segment_on(Day(10)).role, s1.segment_on(Day(10)).fte),
            (Role::Caseworker, 1.0)
        );
        let s2 = &r.spells[1];
        assert_eq!((s2.start, s2.end, s2.segments[0].fte), (Day(42), None, 0.8));
        assert_eq!(s2.last_day(Day(100)), Day(100));
        // Segments end the day before the next begins, the last one on the spell's last
        // day up to as-of; duration counts both ends, to as-of while open.
        assert_eq!(s1.segments.len(), 2);
        assert_eq!(s1.segment_last_day(0, Day(100)), Day(29));
        assert_eq!(s1.segment_last_day(1, Day(100)), Day(40));
        assert_eq!(s1.segment_last_day(1, Day(35)), Day(35));
        assert_eq!(s1.segment_last_day(0, Day(20)), Day(20));
        assert_eq!(s1.duration_days(Day(100)), 31);
        assert_eq!(s2.duration_days(Day(100)), 59);
    }

    #[test]
    fn transfer_keeps_role_and_fte_when_not_given() {
        let rows = [
            row(
                0,
                Action::Hire,
                Some(1),
                Some(Role::Investigator),
                Some(0.8),
            ),
            row(5, Action::Transfer, Some(1), None, None),
        ];
        let r = replay(&rows);
        assert_eq!(r.spells[0].segment_on(Day(6)).role, Role::Investigator);
        assert_eq!(r.spells[0].segment_on(Day(6)).fte, 0.8);
    }
}
