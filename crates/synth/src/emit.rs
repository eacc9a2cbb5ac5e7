//! The clean rows of each source, derived from the simulated [`Agency`] and streamed into a
//! [`Sink`].
//!
//! Snapshots are written worker by worker and sessions month by month, so nothing of the
//! two largest files is held in memory; survey responses are planned (one small entry per
//! worker and administration date), sorted, and their item rows streamed.

use chrono::{Datelike, Days, NaiveDate};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::SynthError;
use crate::agency::{Agency, Supervision, random_date};
use crate::codes::{Focus, Instrument, SessionFormat};
use crate::csv::{Sink, Source};
use crate::noise::{mix, normal};
use crate::rows::{EnrollmentRow, JobRow, OfficeRow, SessionRow, SnapshotRow, SurveyRow};

fn stream(seed: u64, tag: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(mix(seed ^ mix(tag)))
}

/// offices.csv rows, in id order.
pub(crate) fn offices<S: Source<Row = OfficeRow>>(
    agency: &Agency,
    sink: &mut Sink<S>,
) -> Result<(), SynthError> {
    for (i, o) in agency.offices.iter().enumerate() {
        sink.write(OfficeRow {
            office: i as u16,
            name: o.name.clone(),
            region: o.region,
            standard: o.standard,
        })?;
    }
    Ok(())
}

/// Number of job_history rows.
pub(crate) fn job_history_rows(agency: &Agency) -> u64 {
    agency.workers.iter().map(|w| w.events.len() as u64).sum()
}

/// job_history.csv rows, by date then worker.
pub(crate) fn job_history<S: Source<Row = JobRow>>(
    agency: &Agency,
    sink: &mut Sink<S>,
) -> Result<(), SynthError> {
    let mut order: Vec<(NaiveDate, u32, u32)> =
        Vec::with_capacity(job_history_rows(agency) as usize);
    for (w, worker) in agency.workers.iter().enumerate() {
        for (i, e) in worker.events.iter().enumerate() {
            order.push((e.date, w as u32, i as u32));
        }
    }
    order.sort_unstable();
    for (_, w, i) in order {
        sink.write(JobRow {
            worker: w,
            event: agency.workers[w as usize].events[i as usize],
        })?;
    }
    Ok(())
}

/// First Friday on or after `d`.
fn friday_on_or_after(d: NaiveDate) -> NaiveDate {
    let wd = d.weekday().num_days_from_monday() as u64;
    d + Days::new((4 + 7 - wd) % 7)
}

/// Rough number of snapshot rows (places the guaranteed bad rows).
pub(crate) fn snapshot_rows(agency: &Agency) -> u64 {
    agency.workers.len() as u64 / 2 * agency.months as u64 * 4
}

/// caseload_snapshots.csv rows: every Friday of every spell inside the window, worker by worker.
pub(crate) fn snapshots<S: Source<Row = SnapshotRow>>(
    agency: &Agency,
    sink: &mut Sink<S>,
) -> Result<(), SynthError> {
    let mut rng = stream(agency.seed, 3);
    for (wi, w) in agency.workers.iter().enumerate() {
        let worker = wi as u32;
        for spell in &w.spells {
            let end = spell.end.unwrap_or(agency.as_of).min(agency.as_of);
            let mut d = friday_on_or_after(spell.start.max(agency.first_month));
            while d <= end {
                let post = w.post_on(d).expect("employed on a spell day");
                let office = &agency.offices[post.office as usize];
                let ratio = agency.load_ratio(worker, post.office, agency.month_index(d))
                    * (0.05 * normal(&mut rng)).exp();
                let expected = office.standard as f64 * post.fte as f64 / 10.0 * ratio;
                let active = expected.round().clamp(0.0, 1000.0) as u32;
                let new_assignments = if rng.random_bool(0.03) {
                    None
                } else {
                    Some(rng.random_range(0..=6))
                };
                let u: f64 = rng.random();
                let removals = if u < 0.03 {
                    None
                } else if u < 0.73 {
                    Some(0)
                } else if u < 0.93 {
                    Some(1)
                } else {
                    Some(2)
                };
                sink.write(SnapshotRow {
                    worker,
                    date: d,
                    active,
                    new_assignments,
                    removals,
                })?;
                d = d + Days::new(7);
            }
        }
    }
    Ok(())
}

/// Rough number of session rows.
pub(crate) fn session_rows(agency: &Agency) -> u64 {
    agency.workers.len() as u64 / 2 * agency.months as u64 * 3
}

/// A worker present in one month: who, where, and the employed days of the month.
struct Present {
    worker: u32,
    office: u16,
    supervisor_role: bool,
    /// The supervisor named on the worker's latest job_history row.
    assigned: Option<u32>,
    /// Up to two employed stretches in the month (a termination and a rehire).
    spans: [(NaiveDate, NaiveDate); 2],
    n_spans: usize,
    supervision: Supervision,
}

impl Present {
    fn employed_on(&self, d: NaiveDate) -> bool {
        self.spans[..self.n_spans]
            .iter()
            .any(|&(a, b)| a <= d && d <= b)
    }

    /// A random employed day of the month, a weekday when a few tries find one.
    fn random_day<R: Rng>(&self, rng: &mut R) -> NaiveDate {
        let mut day = self.spans[0].0;
        for _ in 0..4 {
            let (a, b) = self.spans[rng.random_range(0..self.n_spans)];
            day = random_date(rng, a, b);
            if day.weekday().num_days_from_monday() < 5 {
                break;
            }
        }
        day
    }
}

fn draw_focus<R: Rng>(rng: &mut R) -> Option<Focus> {
    let u: f64 = rng.random();
    if u < 0.45 {
        Some(Focus::Case)
    } else if u < 0.60 {
        Some(Focus::Retention)
    } else if u < 0.70 {
        Some(Focus::PeerSupport)
    } else if u < 0.80 {
        Some(Focus::Other)
    } else {
        None
    }
}

/// supervision_sessions.csv rows, month by month: each office's group sessions (one per
/// supervisor's unit), then the individual ones. Full supervision is two individual sessions of 60-90 minutes and both
/// monthly group sessions of 60-90 minutes (at least 240 / 120); partial is one shorter
/// individual session and perhaps one group session; missed is none.
pub(crate) fn sessions<S: Source<Row = SessionRow>>(
    agency: &Agency,
    sink: &mut Sink<S>,
) -> Result<(), SynthError> {
    let mut rng = stream(agency.seed, 4);
    let mut session: u32 = 0;
    let mut present: Vec<Present> = Vec::new();
    let mut by_office: Vec<Vec<usize>> = vec![Vec::new(); agency.offices.len()];
    for m in 0..agency.months {
        let ms = agency.month_start(m);
        let me = agency.month_end(m);
        present.clear();
        for (wi, w) in agency.workers.iter().enumerate() {
            let mut p = Present {
                worker: wi as u32,
                office: 0,
                supervisor_role: false,
                assigned: None,
                spans: [(ms, ms); 2],
                n_spans: 0,
                supervision: agency.supervision(wi as u32, m as i64),
            };
            for s in &w.spells {
                let a = s.start.max(ms);
                let b = s.end.unwrap_or(me).min(me);
                if a <= b && p.n_spans < 2 {
                    p.spans[p.n_spans] = (a, b);
                    p.n_spans += 1;
                }
            }
            if p.n_spans == 0 {
                continue;
            }
            let last_day = p.spans[p.n_spans - 1].1;
            let post = w.post_on(last_day).expect("employed on a spell day");
            p.office = post.office;
            p.supervisor_role = post.role == crate::codes::Role::Supervisor;
            p.assigned = post.supervisor;
            present.push(p);
        }
        for list in &mut by_office {
            list.clear();
        }
        for (i, p) in present.iter().enumerate() {
            by_office[p.office as usize].push(i);
        }
        for (office, members) in by_office.iter().enumerate() {
            let supervisors: Vec<u32> = members
                .iter()
                .filter(|&&i| present[i].supervisor_role)
                .map(|&i| present[i].worker)
                .collect();
            // Group sessions: each supervisor's unit meets on its own (the workers who
            // name that supervisor, or, without one in this office, the office's
            // remaining workers together), as group supervision is held in practice.
            let mut units: Vec<(Option<u32>, Vec<usize>)> = Vec::new();
            for &i in members {
                let unit = present[i].assigned.filter(|s| supervisors.contains(s));
                match units.iter_mut().find(|(u, _)| *u == unit) {
                    Some((_, list)) => list.push(i),
                    None => units.push((unit, vec![i])),
                }
            }
            // A unit of one joins the office's remaining workers.
            let (mut kept, alone): (Vec<_>, Vec<_>) = units
                .into_iter()
                .partition(|(u, list)| u.is_none() || list.len() >= 2);
            for (_, list) in alone {
                match kept.iter_mut().find(|(u, _)| u.is_none()) {
                    Some((_, rest)) => rest.extend(list),
                    None => kept.push((None, list)),
                }
            }
            for (unit, unit_members) in &kept {
                if unit_members.len() < 2 {
                    continue;
                }
                for half in 0..2u64 {
                    let mut day = ms + Days::new(half * 14 + rng.random_range(0..14));
                    // Offices meet on weekdays: a Saturday moves to Friday, a Sunday to Monday.
                    match day.weekday().num_days_from_monday() {
                        5 if day > ms => day = day - Days::new(1),
                        6 => day = day + Days::new(1),
                        _ => {}
                    }
                    if day > me {
                        continue;
                    }
                    let minutes = rng.random_range(60..=90);
                    let lead = unit.or_else(|| {
                        (!supervisors.is_empty())
                            .then(|| supervisors[rng.random_range(0..supervisors.len())])
                    });
                    let focus = draw_focus(&mut rng);
                    session += 1;
                    for &i in unit_members {
                        let p = &present[i];
                        let attends = match p.supervision {
                            Supervision::Full => true,
                            Supervision::Partial => half == 0 && rng.random_bool(0.5),
                            Supervision::Missed => false,
                        };
                        let here = p.employed_on(day)
                            && agency.workers[p.worker as usize]
                                .post_on(day)
                                .is_some_and(|e| e.office as usize == office);
                        if attends && here {
                            sink.write(SessionRow {
                                session,
                                worker: p.worker,
                                supervisor: lead,
                                date: day,
                                minutes,
                                format: SessionFormat::Group,
                                focus,
                            })?;
                        }
                    }
                }
            }
            // Individual sessions.
            for &i in members {
                let p = &present[i];
                let count = match p.supervision {
                    Supervision::Full => 2,
                    Supervision::Partial => 1,
                    Supervision::Missed => 0,
                };
                let others = supervisors.iter().filter(|&&s| s != p.worker).count();
                let supervisor = if let Some(s) = p.assigned.filter(|s| supervisors.contains(s)) {
                    // The supervisor of record, while they supervise in this office.
                    Some(s)
                } else if others == 0 {
                    None
                } else {
                    // Else one of the office's supervisors, the same one all year.
                    let k = mix(agency.seed ^ ((p.worker as u64) << 20) ^ (ms.year() as u64))
                        as usize
                        % others;
                    supervisors
                        .iter()
                        .copied()
                        .filter(|&s| s != p.worker)
                        .nth(k)
                };
                for _ in 0..count {
                    let minutes = if count == 2 {
                        rng.random_range(60..=90)
                    } else {
                        rng.random_range(45..=90)
                    };
                    session += 1;
                    sink.write(SessionRow {
                        session,
                        worker: p.worker,
                        supervisor,
                        date: p.random_day(&mut rng),
                        minutes,
                        format: SessionFormat::Individual,
                        focus: draw_focus(&mut rng),
                    })?;
                }
            }
        }
    }
    Ok(())
}

/// One planned administration: a worker completing all three instruments on a date.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Administration {
    date: NaiveDate,
    worker: u32,
}

fn administrations(agency: &Agency, rng: &mut ChaCha8Rng) -> Vec<Administration> {
    let mut plan = Vec::new();
    for year in agency.first_month.year()..=agency.as_of.year() {
        for month in [4u32, 10] {
            let open = NaiveDate::from_ymd_opt(year, month, 1).expect("valid date");
            for (wi, w) in agency.workers.iter().enumerate() {
                let d = open + Days::new(rng.random_range(0..28));
                if d < agency.first_month || d > agency.as_of || !w.employed_on(d) {
                    continue;
                }
                if rng.random_bool(0.7) {
                    plan.push(Administration {
                        date: d,
                        worker: wi as u32,
                    });
                }
            }
        }
    }
    // Resilience Alliance participants: a pre survey in the 30 days before the start and a
    // post survey in the 30 days after the end, when employed then.
    for (wi, w) in agency.workers.iter().enumerate() {
        for &(start, end) in &w.programs {
            let pre = start - Days::new(rng.random_range(1..=30));
            if w.employed_on(pre) {
                plan.push(Administration {
                    date: pre,
                    worker: wi as u32,
                });
            }
            let post = end + Days::new(rng.random_range(1..=30));
            if post <= agency.as_of && w.employed_on(post) {
                plan.push(Administration {
                    date: post,
                    worker: wi as u32,
                });
            }
        }
    }
    plan.sort_unstable();
    plan
}

/// Rough number of survey rows.
pub(crate) fn survey_rows(agency: &Agency) -> u64 {
    agency.workers.len() as u64 / 2 * agency.months as u64 / 6 * 36
}

const PROQOL_CS: [u8; 10] = [3, 6, 12, 16, 18, 20, 22, 24, 27, 30];
const PROQOL_BO: [u8; 10] = [1, 4, 8, 10, 15, 17, 19, 21, 26, 29];
const PROQOL_BO_REVERSED: [u8; 5] = [1, 4, 15, 17, 29];

/// The mean raw answer to one item, given the respondent's latent levels. Reversed items
/// are answered the other way round, so that scoring (value -> 6 - value) recovers the level.
fn item_mean(instrument: Instrument, item: u8, sts: f64, burnout: f64, resilience: f64) -> f64 {
    match instrument {
        Instrument::Stss => 2.0 + 0.75 * sts,
        Instrument::Proqol5 => {
            if PROQOL_CS.contains(&item) {
                3.7 - 0.45 * burnout
            } else if PROQOL_BO.contains(&item) {
                let level = 2.5 + 0.55 * burnout;
                if PROQOL_BO_REVERSED.contains(&item) {
                    6.0 - level
                } else {
                    level
                }
            } else {
                2.2 + 0.6 * sts
            }
        }
        Instrument::Brs => {
            let level = 3.4 + 0.6 * resilience;
            if item.is_multiple_of(2) {
                6.0 - level
            } else {
                level
            }
        }
    }
}

/// survey_responses.csv rows: each administration gives three responses (STSS, PROQOL5,
/// BRS), each its own response_id, one row per answered item.
pub(crate) fn surveys<S: Source<Row = SurveyRow>>(
    agency: &Agency,
    sink: &mut Sink<S>,
) -> Result<(), SynthError> {
    let mut rng = stream(agency.seed, 5);
    let plan = administrations(agency, &mut rng);
    let mut response: u32 = 0;
    for a in plan {
        let w = &agency.workers[a.worker as usize];
        let mood = 0.3 * normal(&mut rng);
        let sts = w.sts_level(a.date) + mood;
        let burnout = w.burnout_level(a.date) + mood;
        let resilience = w.resilience() + 0.2 * normal(&mut rng) - 0.5 * mood;
        for &instrument in Instrument::ALL {
            response += 1;
            // Now and then a respondent gives up: fewer than 80% of items answered.
            let skip = if rng.random_bool(0.01) { 0.4 } else { 0.03 };
            for item in 1..=instrument.items() {
                if rng.random_bool(skip) {
                    continue;
                }
                let mean = item_mean(instrument, item, sts, burnout, resilience);
                let value = (mean + 0.75 * normal(&mut rng)).round().clamp(1.0, 5.0) as u8;
                sink.write(SurveyRow {
                    response,
                    worker: a.worker,
                    date: a.date,
                    instrument,
                    item,
                    value,
                })?;
            }
        }
    }
    Ok(())
}

/// program_enrollments.csv rows, by start date.
pub(crate) fn enrollments<S: Source<Row = EnrollmentRow>>(
    agency: &Agency,
    sink: &mut Sink<S>,
) -> Result<(), SynthError> {
    for e in &agency.enrollments {
        sink.write(EnrollmentRow {
            worker: e.worker,
            program: e.program,
            cohort: e.cohort.clone(),
            start: e.start,
            end: e.end,
            offered: e.offered,
            attended: e.attended,
        })?;
    }
    Ok(())
}
