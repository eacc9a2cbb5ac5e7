//! Bad rows: for each source, how to make a row that CONTRACT.md section 2 quarantines with
//! exactly a chosen reason, without changing what happens to any clean row.
//!
//! The rules that keep clean data clean:
//! - rows failing rules 1-8 are inert (they take part in no duplicate or key comparison and
//!   in no job replay), so they may copy anything;
//! - a DUPLICATE copies a clean row already written; a DUPLICATE_KEY re-uses the key of a
//!   clean row already written (never the same key twice, or the second copy would be a
//!   DUPLICATE of the first);
//! - rows that pass rule 10 (INCONSISTENT_RESPONSE, UNKNOWN_OFFICE, UNKNOWN_WORKER,
//!   INVALID_TRANSITION, NOT_EMPLOYED) use keys that no clean row and no other injected row
//!   has: fresh session/response/cohort ids, unknown worker ids, or a (worker, date) on which
//!   the worker has no clean row.

use std::collections::{HashSet, VecDeque};

use chrono::{Days, NaiveDate};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::agency::{Agency, Event, random_date};
use crate::codes::{Action, Instrument, Program, Reason, Role, SeparationReason};
use crate::csv::{Fields, Look, Record, Source, date_text, raw_record, record};
use crate::rows::{
    ENROLLMENTS_HEADER, EnrollmentRow, JOB_HISTORY_HEADER, JobRow, OFFICES_HEADER, OfficeRow,
    SESSIONS_HEADER, SNAPSHOTS_HEADER, SURVEYS_HEADER, SessionRow, SnapshotRow, SurveyRow,
};

/// The fields of a row, spelled plainly, ready to be spoiled.
fn fields_of<R: Record>(row: &R, look: Look) -> Vec<Vec<u8>> {
    let mut f = Fields::default();
    row.render(look, &mut f);
    f.to_vecs()
}

fn set(fields: &mut [Vec<u8>], i: usize, value: &str) {
    fields[i] = value.as_bytes().to_vec();
}

fn pick<'a, R: Rng>(rng: &mut R, options: &[&'a str]) -> &'a str {
    options[rng.random_range(0..options.len())]
}

fn recent_row<T: Clone, R: Rng>(rng: &mut R, recent: &VecDeque<T>) -> Option<T> {
    if recent.is_empty() {
        return None;
    }
    Some(recent[rng.random_range(0..recent.len())].clone())
}

/// A row with broken framing: wrong field count, a quote inside an unquoted field, text
/// after a closing quote, a space before an opening quote, or invalid UTF-8. Never an
/// unterminated quote (it would swallow the rest of the file).
fn malformed<R: Rng>(mut fields: Vec<Vec<u8>>, rng: &mut R) -> Vec<u8> {
    match rng.random_range(0..6) {
        0 => {
            fields.push(b"extra".to_vec());
            record(&fields)
        }
        1 => {
            fields.pop();
            record(&fields)
        }
        2 => {
            let f = &mut fields[0];
            let at = f.len() / 2;
            f.insert(at, b'"');
            raw_record(&fields)
        }
        3 => {
            let inner = fields[0].clone();
            fields[0] = [&b"\""[..], &inner, &b"\"x"[..]].concat();
            raw_record(&fields)
        }
        4 => {
            let inner = fields[0].clone();
            fields[0] = [&b" \""[..], &inner, &b"\""[..]].concat();
            raw_record(&fields)
        }
        _ => {
            fields[0].extend_from_slice(&[0xFF, 0xFE]);
            raw_record(&fields)
        }
    }
}

const BAD_IDS: &[&str] = &[
    "W#0042", "all", "ALL", "All", "W 17", "wörker", "W/12", "W000012;", "x'1",
];
const BAD_DATES: &[&str] = &[
    "2021-02-30",
    "2021-1-5",
    "13/1/2020",
    "yesterday",
    "2020-13-01",
    "20200105",
    "2/30/2021",
    "1/5/20",
];
const BAD_INTS: &[&str] = &["12a", "1.5", "seven", "--3", "1e3", "4 5"];
const BAD_DECIMALS: &[&str] = &["1.2.3", "0.8x", ".", "one", "1..0"];

fn bad_id_value<R: Rng>(rng: &mut R) -> String {
    if rng.random_bool(0.1) {
        "W".repeat(65)
    } else {
        pick(rng, BAD_IDS).to_string()
    }
}

fn future_date<R: Rng>(as_of: NaiveDate, rng: &mut R) -> Vec<u8> {
    date_text(as_of + Days::new(rng.random_range(1..=400)))
}

const BEFORE_1950: &str = "1949-12-31";

/// A look that spells a row differently but parses equal (possibly identical bytes).
fn duplicate_look<R: Rng>(rng: &mut R) -> Look {
    Look {
        us_date: rng.random_bool(0.4),
        lower: rng.random_bool(0.4),
        quote: false,
        pad: rng.random_bool(0.3),
        spaces: rng.random_bool(0.3),
    }
}

fn duplicate_of<R: Record, G: Rng>(row: &R, rng: &mut G) -> Vec<u8> {
    let look = duplicate_look(rng);
    let mut f = Fields::default();
    row.render(look, &mut f);
    let mut out = Vec::new();
    crate::csv::push_record(&mut out, (0..f.len()).map(|i| f.get(i)), look);
    out
}

/// An id no clean row uses for a worker.
fn ghost_worker(n: u32) -> String {
    format!("U{n:06}")
}

// ---------------------------------------------------------------------------------------

/// Bad rows of offices.csv.
pub(crate) struct OfficeFaults {
    rekeyed: HashSet<u16>,
}

impl OfficeFaults {
    pub(crate) fn new() -> Self {
        OfficeFaults {
            rekeyed: HashSet::new(),
        }
    }
}

impl Source for OfficeFaults {
    type Row = OfficeRow;
    const NAME: &'static str = "offices";
    const HEADER: &'static [&'static str] = OFFICES_HEADER;
    const REASONS: &'static [Reason] = &[
        Reason::MalformedRow,
        Reason::MissingRequired,
        Reason::BadId,
        Reason::BadNumber,
        Reason::OutOfRange,
        Reason::Duplicate,
        Reason::DuplicateKey,
    ];

    fn bad(
        &mut self,
        reason: Reason,
        rng: &mut ChaCha8Rng,
        recent: &VecDeque<OfficeRow>,
    ) -> Option<Vec<u8>> {
        let row = recent_row(rng, recent)?;
        let mut f = fields_of(&row, Look::default());
        match reason {
            Reason::MalformedRow => return Some(malformed(f, rng)),
            Reason::MissingRequired => {
                let i = [0, 1, 3][rng.random_range(0..3)];
                set(&mut f, i, if rng.random_bool(0.5) { "" } else { "  " });
                if i != 3 && rng.random_bool(0.3) {
                    set(&mut f, 3, pick(rng, BAD_INTS));
                }
            }
            Reason::BadId => {
                f[0] = bad_id_value(rng).into_bytes();
                if rng.random_bool(0.3) {
                    set(&mut f, 3, "500");
                }
            }
            Reason::BadNumber => set(&mut f, 3, pick(rng, BAD_INTS)),
            Reason::OutOfRange => set(&mut f, 3, pick(rng, &["0", "150", "-3", "101"])),
            Reason::Duplicate => return Some(duplicate_of(&row, rng)),
            Reason::DuplicateKey => {
                let row = recent
                    .iter()
                    .find(|r| !self.rekeyed.contains(&r.office))?
                    .clone();
                self.rekeyed.insert(row.office);
                let mut f = fields_of(&row, Look::default());
                let name = format!("{} Annex", row.name);
                set(&mut f, 1, &name);
                return Some(record(&f));
            }
            _ => return None,
        }
        Some(record(&f))
    }
}

// ---------------------------------------------------------------------------------------

/// Bad rows of job_history.csv.
pub(crate) struct JobFaults<'a> {
    agency: &'a Agency,
    /// (worker, date) keys taken by injected rows that pass rule 10, or re-keyed.
    used: HashSet<(u32, NaiveDate)>,
    unknown_office: u32,
}

impl<'a> JobFaults<'a> {
    pub(crate) fn new(agency: &'a Agency) -> Self {
        JobFaults {
            agency,
            used: HashSet::new(),
            unknown_office: 0,
        }
    }

    /// A real worker and a date on which that worker has no clean action and no injected
    /// row, for which `want(worker, date)` holds.
    fn free_key(
        &mut self,
        rng: &mut ChaCha8Rng,
        want: impl Fn(&Agency, u32, NaiveDate) -> bool,
        date_for: impl Fn(&Agency, u32, &mut ChaCha8Rng) -> Option<NaiveDate>,
    ) -> Option<(u32, NaiveDate)> {
        for _ in 0..200 {
            let w = rng.random_range(0..self.agency.workers.len()) as u32;
            let Some(d) = date_for(self.agency, w, rng) else {
                continue;
            };
            let worker = &self.agency.workers[w as usize];
            if d > self.agency.as_of
                || worker.has_action_on(d)
                || self.used.contains(&(w, d))
                || !want(self.agency, w, d)
            {
                continue;
            }
            self.used.insert((w, d));
            return Some((w, d));
        }
        None
    }
}

fn window_date(agency: &Agency, _w: u32, rng: &mut ChaCha8Rng) -> Option<NaiveDate> {
    Some(random_date(rng, agency.first_month, agency.as_of))
}

/// A date inside one of the worker's spells, strictly after its start.
fn spell_date(agency: &Agency, w: u32, rng: &mut ChaCha8Rng) -> Option<NaiveDate> {
    let worker = &agency.workers[w as usize];
    let s = worker.spells[rng.random_range(0..worker.spells.len())];
    let end = s.end.unwrap_or(agency.as_of).min(agency.as_of);
    let lo = s.start + Days::new(1);
    if lo > end {
        return None;
    }
    Some(random_date(rng, lo, end))
}

fn spoil_base(row: &JobRow) -> JobRow {
    // Bad numbers and ranges go on a row whose fte is validated for sure.
    let mut row = *row;
    if row.event.action == Action::Termination {
        row.event.action = Action::Transfer;
        row.event.reason = None;
    }
    row
}

impl Source for JobFaults<'_> {
    type Row = JobRow;
    const NAME: &'static str = "job_history";
    const HEADER: &'static [&'static str] = JOB_HISTORY_HEADER;
    const REASONS: &'static [Reason] = &[
        Reason::MalformedRow,
        Reason::MissingRequired,
        Reason::BadId,
        Reason::BadDate,
        Reason::BadNumber,
        Reason::UnknownCode,
        Reason::OutOfRange,
        Reason::FutureDated,
        Reason::Duplicate,
        Reason::DuplicateKey,
        Reason::UnknownOffice,
        Reason::InvalidTransition,
    ];

    fn bad(
        &mut self,
        reason: Reason,
        rng: &mut ChaCha8Rng,
        recent: &VecDeque<JobRow>,
    ) -> Option<Vec<u8>> {
        let row = recent_row(rng, recent)?;
        let mut f = fields_of(&row, Look::default());
        let action = row.event.action;
        match reason {
            Reason::MalformedRow => return Some(malformed(f, rng)),
            Reason::MissingRequired => {
                let conditional = match action {
                    Action::Hire | Action::Rehire => [3, 4][rng.random_range(0..2)],
                    Action::Transfer => 3,
                    Action::Termination => 6,
                };
                let i = [0, 1, 2, conditional][rng.random_range(0..4)];
                set(&mut f, i, "");
                if i != 1 && rng.random_bool(0.3) {
                    set(&mut f, 1, pick(rng, BAD_DATES));
                }
            }
            Reason::BadId => {
                f[0] = bad_id_value(rng).into_bytes();
                if rng.random_bool(0.4) {
                    set(&mut f, 2, "PROMOTION");
                }
            }
            Reason::BadDate => set(&mut f, 1, pick(rng, BAD_DATES)),
            Reason::BadNumber => {
                f = fields_of(&spoil_base(&row), Look::default());
                set(&mut f, 5, pick(rng, BAD_DECIMALS));
            }
            Reason::UnknownCode => match action {
                Action::Termination if rng.random_bool(0.5) => {
                    set(&mut f, 6, pick(rng, &["LAYOFF", "FIRED"]))
                }
                Action::Hire | Action::Rehire if rng.random_bool(0.5) => {
                    set(&mut f, 4, pick(rng, &["DIRECTOR", "INTERN"]))
                }
                _ => set(&mut f, 2, pick(rng, &["PROMOTION", "LEAVE", "RETIRE"])),
            },
            Reason::OutOfRange => {
                if rng.random_bool(0.3) {
                    set(&mut f, 1, BEFORE_1950);
                } else {
                    f = fields_of(&spoil_base(&row), Look::default());
                    set(&mut f, 5, pick(rng, &["1.5", "0", "-0.5", "2", "0.0"]));
                }
            }
            Reason::FutureDated => f[1] = future_date(self.agency.as_of, rng),
            Reason::Duplicate => return Some(duplicate_of(&row, rng)),
            Reason::DuplicateKey => {
                let row = recent
                    .iter()
                    .rev()
                    .find(|r| !self.used.contains(&(r.worker, r.event.date)))?
                    .to_owned();
                self.used.insert((row.worker, row.event.date));
                let mut changed = row;
                match row.event.action {
                    Action::Termination => {
                        let now = row.event.reason.unwrap_or(SeparationReason::Other);
                        let others: Vec<SeparationReason> = SeparationReason::ALL
                            .iter()
                            .copied()
                            .filter(|r| *r != now)
                            .collect();
                        changed.event.reason = Some(others[rng.random_range(0..others.len())]);
                    }
                    _ => {
                        // An explicit fte that differs from the original (a missing fte
                        // differs from every explicit one).
                        changed.event.show_fte = true;
                        changed.event.fte = if row.event.show_fte && row.event.fte == 5 {
                            8
                        } else {
                            5
                        };
                    }
                }
                return Some(record(&fields_of(&changed, Look::default())));
            }
            Reason::UnknownOffice => {
                let (w, d) = self.free_key(rng, |_, _, _| true, window_date)?;
                self.unknown_office += 1;
                let action = if self.agency.workers[w as usize].employed_on(d) {
                    Action::Transfer
                } else {
                    Action::Hire
                };
                let event = Event {
                    date: d,
                    action,
                    office: 0,
                    role: Role::Caseworker,
                    fte: 10,
                    reason: None,
                    supervisor: None,
                    show_role: true,
                    show_fte: true,
                };
                let mut f = fields_of(&JobRow { worker: w, event }, Look::default());
                let office = format!("CLOSED{:02}", self.unknown_office);
                set(&mut f, 3, &office);
                return Some(record(&f));
            }
            Reason::InvalidTransition => {
                let variant = rng.random_range(0..3);
                let (w, d) = if variant < 2 {
                    self.free_key(
                        rng,
                        |a, w, d| !a.workers[w as usize].employed_on(d),
                        |a, w, rng| a.idle_date(w, rng),
                    )?
                } else {
                    self.free_key(
                        rng,
                        |a, w, d| a.workers[w as usize].employed_on(d),
                        spell_date,
                    )?
                };
                let office = rng.random_range(0..self.agency.offices.len()) as u16;
                let (action, reason) = match variant {
                    0 => (Action::Termination, Some(SeparationReason::Voluntary)),
                    1 => (Action::Transfer, None),
                    _ => (
                        if rng.random_bool(0.5) {
                            Action::Hire
                        } else {
                            Action::Rehire
                        },
                        None,
                    ),
                };
                let event = Event {
                    date: d,
                    action,
                    office,
                    role: Role::Caseworker,
                    fte: 10,
                    reason,
                    supervisor: None,
                    show_role: action != Action::Termination,
                    show_fte: action != Action::Termination,
                };
                return Some(record(&fields_of(
                    &JobRow { worker: w, event },
                    Look::default(),
                )));
            }
            _ => return None,
        }
        Some(record(&f))
    }
}

// ---------------------------------------------------------------------------------------

/// Bad rows of caseload_snapshots.csv.
pub(crate) struct SnapshotFaults<'a> {
    agency: &'a Agency,
    used: HashSet<(u32, NaiveDate)>,
    ghosts: u32,
}

impl<'a> SnapshotFaults<'a> {
    pub(crate) fn new(agency: &'a Agency) -> Self {
        SnapshotFaults {
            agency,
            used: HashSet::new(),
            ghosts: 0,
        }
    }
}

impl Source for SnapshotFaults<'_> {
    type Row = SnapshotRow;
    const NAME: &'static str = "caseload_snapshots";
    const HEADER: &'static [&'static str] = SNAPSHOTS_HEADER;
    const REASONS: &'static [Reason] = &[
        Reason::MalformedRow,
        Reason::MissingRequired,
        Reason::BadId,
        Reason::BadDate,
        Reason::BadNumber,
        Reason::OutOfRange,
        Reason::FutureDated,
        Reason::Duplicate,
        Reason::DuplicateKey,
        Reason::UnknownWorker,
        Reason::NotEmployed,
    ];

    fn bad(
        &mut self,
        reason: Reason,
        rng: &mut ChaCha8Rng,
        recent: &VecDeque<SnapshotRow>,
    ) -> Option<Vec<u8>> {
        let row = recent_row(rng, recent)?;
        let mut f = fields_of(&row, Look::default());
        match reason {
            Reason::MalformedRow => return Some(malformed(f, rng)),
            Reason::MissingRequired => {
                let i = rng.random_range(0..3);
                set(&mut f, i, "");
                if i != 1 && rng.random_bool(0.3) {
                    set(&mut f, 1, pick(rng, BAD_DATES));
                }
            }
            Reason::BadId => {
                f[0] = bad_id_value(rng).into_bytes();
                if rng.random_bool(0.3) {
                    set(&mut f, 1, pick(rng, BAD_DATES));
                }
            }
            Reason::BadDate => set(&mut f, 1, pick(rng, BAD_DATES)),
            Reason::BadNumber => {
                let i = rng.random_range(2..5);
                set(&mut f, i, pick(rng, BAD_INTS));
            }
            Reason::OutOfRange => match rng.random_range(0..4) {
                0 => set(&mut f, 2, pick(rng, &["5000", "1001", "-3"])),
                1 => set(&mut f, 3, "1200"),
                2 => set(&mut f, 4, pick(rng, &["150", "101", "-1"])),
                _ => set(&mut f, 1, BEFORE_1950),
            },
            Reason::FutureDated => f[1] = future_date(self.agency.as_of, rng),
            Reason::Duplicate => return Some(duplicate_of(&row, rng)),
            Reason::DuplicateKey => {
                let row = *recent
                    .iter()
                    .rev()
                    .find(|r| !self.used.contains(&(r.worker, r.date)))?;
                self.used.insert((row.worker, row.date));
                let mut changed = row;
                changed.active = if row.active < 995 {
                    row.active + rng.random_range(1..=5)
                } else {
                    row.active - 1
                };
                return Some(record(&fields_of(&changed, Look::default())));
            }
            Reason::UnknownWorker => {
                self.ghosts += 1;
                f[0] = ghost_worker(self.ghosts).into_bytes();
                f[1] = date_text(random_date(rng, self.agency.first_month, self.agency.as_of));
            }
            Reason::NotEmployed => {
                for _ in 0..100 {
                    let w = rng.random_range(0..self.agency.workers.len()) as u32;
                    let Some(d) = self.agency.idle_date(w, rng) else {
                        continue;
                    };
                    if self.used.insert((w, d)) {
                        let changed = SnapshotRow {
                            worker: w,
                            date: d,
                            ..row
                        };
                        return Some(record(&fields_of(&changed, Look::default())));
                    }
                }
                return None;
            }
            _ => return None,
        }
        Some(record(&f))
    }
}

// ---------------------------------------------------------------------------------------

/// Bad rows of supervision_sessions.csv.
pub(crate) struct SessionFaults<'a> {
    agency: &'a Agency,
    rekeyed: HashSet<(u32, u32)>,
    fresh: u32,
}

impl<'a> SessionFaults<'a> {
    pub(crate) fn new(agency: &'a Agency) -> Self {
        SessionFaults {
            agency,
            rekeyed: HashSet::new(),
            fresh: 0,
        }
    }

    fn fresh_session(&mut self) -> Vec<u8> {
        self.fresh += 1;
        format!("SX{:06}", self.fresh).into_bytes()
    }
}

impl Source for SessionFaults<'_> {
    type Row = SessionRow;
    const NAME: &'static str = "supervision_sessions";
    const HEADER: &'static [&'static str] = SESSIONS_HEADER;
    const REASONS: &'static [Reason] = &[
        Reason::MalformedRow,
        Reason::MissingRequired,
        Reason::BadId,
        Reason::BadDate,
        Reason::BadNumber,
        Reason::UnknownCode,
        Reason::OutOfRange,
        Reason::FutureDated,
        Reason::Duplicate,
        Reason::DuplicateKey,
        Reason::UnknownWorker,
        Reason::NotEmployed,
    ];

    fn bad(
        &mut self,
        reason: Reason,
        rng: &mut ChaCha8Rng,
        recent: &VecDeque<SessionRow>,
    ) -> Option<Vec<u8>> {
        let row = recent_row(rng, recent)?;
        let mut f = fields_of(&row, Look::default());
        match reason {
            Reason::MalformedRow => return Some(malformed(f, rng)),
            Reason::MissingRequired => {
                let i = [0, 1, 3, 4, 5][rng.random_range(0..5)];
                set(&mut f, i, "");
                if i != 3 && rng.random_bool(0.3) {
                    set(&mut f, 3, pick(rng, BAD_DATES));
                }
            }
            Reason::BadId => {
                let i = [0, 1, 2][rng.random_range(0..3)];
                f[i] = bad_id_value(rng).into_bytes();
                if rng.random_bool(0.4) {
                    set(&mut f, 5, "PHONE");
                }
            }
            Reason::BadDate => set(&mut f, 3, pick(rng, BAD_DATES)),
            Reason::BadNumber => set(&mut f, 4, pick(rng, BAD_INTS)),
            Reason::UnknownCode => {
                if rng.random_bool(0.5) {
                    set(&mut f, 5, pick(rng, &["PHONE", "TEAM", "ONE_ON_ONE"]));
                } else {
                    set(&mut f, 6, pick(rng, &["LUNCH", "ADMIN"]));
                }
            }
            Reason::OutOfRange => {
                if rng.random_bool(0.25) {
                    set(&mut f, 3, BEFORE_1950);
                } else {
                    set(&mut f, 4, pick(rng, &["0", "601", "-5", "1440"]));
                }
            }
            Reason::FutureDated => f[3] = future_date(self.agency.as_of, rng),
            Reason::Duplicate => return Some(duplicate_of(&row, rng)),
            Reason::DuplicateKey => {
                let row = *recent
                    .iter()
                    .rev()
                    .find(|r| !self.rekeyed.contains(&(r.session, r.worker)))?;
                self.rekeyed.insert((row.session, row.worker));
                let mut changed = row;
                changed.minutes = if row.minutes < 590 {
                    row.minutes + rng.random_range(1..=10)
                } else {
                    row.minutes - 5
                };
                return Some(record(&fields_of(&changed, Look::default())));
            }
            Reason::UnknownWorker => {
                f[0] = self.fresh_session();
                f[1] = ghost_worker(self.fresh).into_bytes();
                f[3] = date_text(random_date(rng, self.agency.first_month, self.agency.as_of));
            }
            Reason::NotEmployed => {
                for _ in 0..100 {
                    let w = rng.random_range(0..self.agency.workers.len()) as u32;
                    let Some(d) = self.agency.idle_date(w, rng) else {
                        continue;
                    };
                    let changed = SessionRow {
                        worker: w,
                        date: d,
                        ..row
                    };
                    let mut f = fields_of(&changed, Look::default());
                    f[0] = self.fresh_session();
                    return Some(record(&f));
                }
                return None;
            }
            _ => return None,
        }
        Some(record(&f))
    }
}

// ---------------------------------------------------------------------------------------

/// A response already written in full: who, when, which instrument, which items.
#[derive(Clone, Copy)]
struct Response {
    response: u32,
    worker: u32,
    date: NaiveDate,
    instrument: Instrument,
    /// Bit i set when item i was answered.
    items: u64,
}

/// Bad rows of survey_responses.csv.
pub(crate) struct SurveyFaults<'a> {
    agency: &'a Agency,
    current: Option<Response>,
    done: VecDeque<Response>,
    /// (response, item) keys taken by injected rows that pass rule 9.
    used: HashSet<(u32, u8)>,
    fresh: u32,
}

impl<'a> SurveyFaults<'a> {
    pub(crate) fn new(agency: &'a Agency) -> Self {
        SurveyFaults {
            agency,
            current: None,
            done: VecDeque::new(),
            used: HashSet::new(),
            fresh: 0,
        }
    }

    fn fresh_response(&mut self) -> Vec<u8> {
        self.fresh += 1;
        format!("RX{:07}", self.fresh).into_bytes()
    }

    fn inconsistent(&mut self, rng: &mut ChaCha8Rng) -> Option<Vec<u8>> {
        if self.done.is_empty() {
            return None;
        }
        for _ in 0..20 {
            let r = self.done[rng.random_range(0..self.done.len())];
            let skipped: Vec<u8> = (1..=r.instrument.items())
                .filter(|&i| r.items & (1 << i) == 0 && !self.used.contains(&(r.response, i)))
                .collect();
            let mut row = SurveyRow {
                response: r.response,
                worker: r.worker,
                date: r.date,
                instrument: r.instrument,
                item: 1,
                value: rng.random_range(1..=5),
            };
            if r.instrument != Instrument::Proqol5 && rng.random_bool(0.6) {
                // Another instrument, at an item number beyond this one's range: a new key.
                row.instrument = Instrument::Proqol5;
                row.item = rng.random_range(r.instrument.items() + 1..=30);
            } else if !skipped.is_empty() {
                row.item = skipped[rng.random_range(0..skipped.len())];
                if rng.random_bool(0.5) {
                    let other = rng.random_range(0..self.agency.workers.len()) as u32;
                    row.worker = if other == r.worker {
                        (other + 1) % self.agency.workers.len() as u32
                    } else {
                        other
                    };
                    if row.worker == r.worker {
                        continue;
                    }
                } else {
                    row.date = r.date - Days::new(rng.random_range(1..=30));
                }
            } else {
                continue;
            }
            if !self.used.insert((row.response, row.item)) {
                continue;
            }
            return Some(record(&fields_of(&row, Look::default())));
        }
        None
    }
}

impl Source for SurveyFaults<'_> {
    type Row = SurveyRow;
    const NAME: &'static str = "survey_responses";
    const HEADER: &'static [&'static str] = SURVEYS_HEADER;
    const REASONS: &'static [Reason] = &[
        Reason::MalformedRow,
        Reason::MissingRequired,
        Reason::BadId,
        Reason::BadDate,
        Reason::BadNumber,
        Reason::UnknownCode,
        Reason::OutOfRange,
        Reason::FutureDated,
        Reason::Duplicate,
        Reason::DuplicateKey,
        Reason::InconsistentResponse,
        Reason::UnknownWorker,
        Reason::NotEmployed,
    ];

    fn observe(&mut self, row: &SurveyRow) {
        match &mut self.current {
            Some(r) if r.response == row.response => r.items |= 1 << row.item,
            _ => {
                if let Some(r) = self.current.take() {
                    if self.done.len() == 16 {
                        self.done.pop_front();
                    }
                    self.done.push_back(r);
                }
                self.current = Some(Response {
                    response: row.response,
                    worker: row.worker,
                    date: row.date,
                    instrument: row.instrument,
                    items: 1 << row.item,
                });
            }
        }
    }

    fn end_of_rows(&mut self) {
        if let Some(r) = self.current.take() {
            self.done.push_back(r);
        }
    }

    fn bad(
        &mut self,
        reason: Reason,
        rng: &mut ChaCha8Rng,
        recent: &VecDeque<SurveyRow>,
    ) -> Option<Vec<u8>> {
        let row = recent_row(rng, recent)?;
        let mut f = fields_of(&row, Look::default());
        match reason {
            Reason::MalformedRow => return Some(malformed(f, rng)),
            Reason::MissingRequired => {
                let i = rng.random_range(0..6);
                set(&mut f, i, "");
                if i != 2 && rng.random_bool(0.3) {
                    set(&mut f, 2, pick(rng, BAD_DATES));
                }
            }
            Reason::BadId => {
                let i = rng.random_range(0..2);
                f[i] = bad_id_value(rng).into_bytes();
                if rng.random_bool(0.4) {
                    set(&mut f, 3, "PHQ9");
                }
            }
            Reason::BadDate => set(&mut f, 2, pick(rng, BAD_DATES)),
            Reason::BadNumber => {
                let i = rng.random_range(4..6);
                set(&mut f, i, pick(rng, BAD_INTS));
            }
            Reason::UnknownCode => set(&mut f, 3, pick(rng, &["PHQ9", "GAD7", "STS"])),
            Reason::OutOfRange => match rng.random_range(0..4) {
                0 => {
                    let instrument = Instrument::ALL[rng.random_range(0..3)];
                    set(&mut f, 3, instrument.code());
                    let item = (instrument.items() + rng.random_range(1..=3)).to_string();
                    set(&mut f, 4, &item);
                }
                1 => set(&mut f, 4, "0"),
                2 => set(&mut f, 5, pick(rng, &["6", "0", "-1"])),
                _ => set(&mut f, 2, BEFORE_1950),
            },
            Reason::FutureDated => f[2] = future_date(self.agency.as_of, rng),
            Reason::Duplicate => return Some(duplicate_of(&row, rng)),
            Reason::DuplicateKey => {
                let row = *recent
                    .iter()
                    .rev()
                    .find(|r| !self.used.contains(&(r.response, r.item)))?;
                self.used.insert((row.response, row.item));
                let changed = SurveyRow {
                    value: row.value % 5 + 1,
                    ..row
                };
                return Some(record(&fields_of(&changed, Look::default())));
            }
            Reason::InconsistentResponse => return self.inconsistent(rng),
            Reason::UnknownWorker => {
                f[0] = self.fresh_response();
                f[1] = ghost_worker(self.fresh).into_bytes();
                f[2] = date_text(random_date(rng, self.agency.first_month, self.agency.as_of));
            }
            Reason::NotEmployed => {
                for _ in 0..100 {
                    let w = rng.random_range(0..self.agency.workers.len()) as u32;
                    let Some(d) = self.agency.idle_date(w, rng) else {
                        continue;
                    };
                    let changed = SurveyRow {
                        worker: w,
                        date: d,
                        ..row
                    };
                    let mut f = fields_of(&changed, Look::default());
                    f[0] = self.fresh_response();
                    return Some(record(&f));
                }
                return None;
            }
            _ => return None,
        }
        Some(record(&f))
    }
}

// ---------------------------------------------------------------------------------------

/// Bad rows of program_enrollments.csv.
pub(crate) struct EnrollmentFaults<'a> {
    agency: &'a Agency,
    rekeyed: HashSet<(u32, Program, String)>,
    fresh: u32,
}

impl<'a> EnrollmentFaults<'a> {
    pub(crate) fn new(agency: &'a Agency) -> Self {
        EnrollmentFaults {
            agency,
            rekeyed: HashSet::new(),
            fresh: 0,
        }
    }
}

impl Source for EnrollmentFaults<'_> {
    type Row = EnrollmentRow;
    const NAME: &'static str = "program_enrollments";
    const HEADER: &'static [&'static str] = ENROLLMENTS_HEADER;
    const REASONS: &'static [Reason] = &[
        Reason::MalformedRow,
        Reason::MissingRequired,
        Reason::BadId,
        Reason::BadDate,
        Reason::BadNumber,
        Reason::UnknownCode,
        Reason::OutOfRange,
        Reason::FutureDated,
        Reason::Duplicate,
        Reason::DuplicateKey,
        Reason::UnknownWorker,
        Reason::NotEmployed,
    ];

    fn bad(
        &mut self,
        reason: Reason,
        rng: &mut ChaCha8Rng,
        recent: &VecDeque<EnrollmentRow>,
    ) -> Option<Vec<u8>> {
        let row = recent_row(rng, recent)?;
        let mut f = fields_of(&row, Look::default());
        match reason {
            Reason::MalformedRow => return Some(malformed(f, rng)),
            Reason::MissingRequired => {
                let i = rng.random_range(0..4);
                set(&mut f, i, "");
                if i != 3 && rng.random_bool(0.3) {
                    set(&mut f, 3, pick(rng, BAD_DATES));
                }
            }
            Reason::BadId => {
                let i = [0, 2][rng.random_range(0..2)];
                f[i] = bad_id_value(rng).into_bytes();
                if rng.random_bool(0.4) {
                    set(&mut f, 1, "YOGA");
                }
            }
            Reason::BadDate => {
                let i = if rng.random_bool(0.7) { 3 } else { 4 };
                set(&mut f, i, pick(rng, BAD_DATES));
            }
            Reason::BadNumber => {
                let i = rng.random_range(5..7);
                set(&mut f, i, pick(rng, BAD_INTS));
            }
            Reason::UnknownCode => set(&mut f, 1, pick(rng, &["YOGA", "MENTORING"])),
            Reason::OutOfRange => match rng.random_range(0..4) {
                0 => f[4] = date_text(row.start - Days::new(rng.random_range(1..=60))),
                1 => {
                    set(&mut f, 5, "12");
                    set(&mut f, 6, "13");
                }
                2 => set(&mut f, 5, "5000"),
                _ => {
                    set(&mut f, 3, BEFORE_1950);
                    set(&mut f, 4, "");
                }
            },
            Reason::FutureDated => {
                let start = self.agency.as_of + Days::new(rng.random_range(1..=300));
                f[3] = date_text(start);
                f[4] = date_text(start + Days::new(83));
            }
            Reason::Duplicate => return Some(duplicate_of(&row, rng)),
            Reason::DuplicateKey => {
                let row = recent
                    .iter()
                    .rev()
                    .find(|r| {
                        !self
                            .rekeyed
                            .contains(&(r.worker, r.program, r.cohort.clone()))
                    })?
                    .clone();
                self.rekeyed
                    .insert((row.worker, row.program, row.cohort.clone()));
                let end = match row.end {
                    Some(e) => Some(e + Days::new(7)),
                    None => Some(row.start + Days::new(90)),
                };
                let changed = EnrollmentRow { end, ..row };
                return Some(record(&fields_of(&changed, Look::default())));
            }
            Reason::UnknownWorker => {
                self.fresh += 1;
                f[0] = ghost_worker(self.fresh).into_bytes();
                f[2] = format!("GH{:05}", self.fresh).into_bytes();
                let start = random_date(rng, self.agency.first_month, self.agency.as_of);
                f[3] = date_text(start);
                f[4] = Vec::new();
            }
            Reason::NotEmployed => {
                for _ in 0..100 {
                    let w = rng.random_range(0..self.agency.workers.len()) as u32;
                    let Some(d) = self.agency.idle_date(w, rng) else {
                        continue;
                    };
                    self.fresh += 1;
                    let changed = EnrollmentRow {
                        worker: w,
                        cohort: format!("NE{:05}", self.fresh),
                        start: d,
                        end: Some(d + Days::new(83)),
                        ..row
                    };
                    return Some(record(&fields_of(&changed, Look::default())));
                }
                return None;
            }
            _ => return None,
        }
        Some(record(&f))
    }
}
