//! The simulated agency: offices, workers with a latent stress level, their job histories
//! and program enrollments, produced by a month-by-month simulation.
//!
//! Everything later written to the inbox is derived from the [`Agency`] built here. The
//! file writers never decide who is employed when: they read spells from here, and they
//! read each worker-month's caseload and supervision from the same stateless functions
//! ([`Agency::load_ratio`], [`Agency::supervision`]) that fed the separation hazard, so the
//! effects the analytics should find (caseload, missed supervision, secondary traumatic
//! stress, resilience, the Resilience Alliance program) are really in the data. The hazard
//! itself is the pure [`Agency::hazard`], which the generator's truth (module `truth`)
//! evaluates again along each worker's path to give their true separation probability.

use chrono::{Datelike, Days, Months, NaiveDate};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::AgencySpec;
use crate::codes::{Action, Program, Role, SeparationReason};
use crate::noise::{normal, shuffle, sigmoid, unit, unit_normal};

/// Tag of the stateless noise behind a worker-month's caseload.
const TAG_LOAD: u64 = 11;
/// Tag of the stateless noise behind a worker-month's supervision.
const TAG_SUPERVISION: u64 = 12;

/// Monthly separation hazard of a worker with every risk factor at its mean.
const BASE_MONTHLY_HAZARD: f64 = 0.018;
/// Monthly probability of a transfer (about 5% a year).
const MONTHLY_TRANSFER: f64 = 0.05 / 12.0;
/// Share of non-retirement leavers who come back.
const REHIRE_SHARE: f64 = 0.12;
/// How much a completed Resilience Alliance program lowers the latent STS level.
const PROGRAM_STS_RELIEF: f64 = 0.45;

const PLACES: [&str; 48] = [
    "Northfield",
    "Riverside",
    "Cedar Falls",
    "Maple Grove",
    "Harbor",
    "Pinecrest",
    "Stone Ridge",
    "Lakeview",
    "Fairmont",
    "Clearwater",
    "Ashford",
    "Brookhaven",
    "Elmwood",
    "Granite Hill",
    "Westbrook",
    "Oak Valley",
    "Silver Creek",
    "Hollis",
    "Kingsbury",
    "Marlow",
    "Redwood",
    "Sutton",
    "Thornbury",
    "Willow Bend",
    "Bayport",
    "Copper Basin",
    "Dunmore",
    "Eastgate",
    "Foxborough",
    "Glenwood",
    "Highland",
    "Ironwood",
    "Juniper",
    "Kettle Falls",
    "Linden",
    "Millbrook",
    "Newport",
    "Orchard Park",
    "Prairie",
    "Quarry Hill",
    "Rockport",
    "Sandy Point",
    "Timberline",
    "Union",
    "Valley Forge",
    "Whitman",
    "York",
    "Zion",
];

const REGIONS: [&str; 6] = ["North", "South", "East", "West", "Central", "Coastal"];

/// One office.
pub(crate) struct Office {
    pub name: String,
    pub region: Option<&'static str>,
    pub standard: u32,
    /// Relative size: the share of the headcount the office aims for.
    weight: f64,
    /// Log-scale caseload pressure of the office (some offices are chronically over standard).
    pub load_effect: f64,
}

/// One job_history row as simulated.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Event {
    pub date: NaiveDate,
    pub action: Action,
    /// Office after the action (the office left, on a TERMINATION).
    pub office: u16,
    pub role: Role,
    /// fte in tenths: 10, 8 or 5.
    pub fte: u8,
    pub reason: Option<SeparationReason>,
    pub supervisor: Option<u32>,
    /// Whether the role column is written (a TRANSFER may leave it empty = unchanged).
    pub show_role: bool,
    /// Whether the fte column is written (empty = default).
    pub show_fte: bool,
}

/// An employment spell, both ends inclusive; `end` is None while open.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Spell {
    pub start: NaiveDate,
    pub end: Option<NaiveDate>,
}

/// A worker's supervision in one month.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Supervision {
    /// Two individual sessions and the office's group sessions: meets 240 / 120 minutes.
    Full,
    /// One short individual session and perhaps one group session.
    Partial,
    /// No supervision at all.
    Missed,
}

/// One worker: latent traits and history.
pub(crate) struct Worker {
    /// Latent stress, standard normal: drives caseload, supervision, STS, resilience, hazard.
    pub stress: f64,
    sts_dev: f64,
    brs_dev: f64,
    load_dev: f64,
    pub events: Vec<Event>,
    pub spells: Vec<Spell>,
    /// Resilience Alliance enrollments: (start_date, end_date).
    pub programs: Vec<(NaiveDate, NaiveDate)>,
}

impl Worker {
    /// Whether some spell contains `d`.
    pub(crate) fn employed_on(&self, d: NaiveDate) -> bool {
        self.spells
            .iter()
            .any(|s| s.start <= d && s.end.is_none_or(|e| d <= e))
    }

    /// The latest HIRE/REHIRE/TRANSFER on or before `d` (the worker's post on `d` when employed).
    pub(crate) fn post_on(&self, d: NaiveDate) -> Option<&Event> {
        self.events
            .iter()
            .rev()
            .find(|e| e.date <= d && e.action != Action::Termination)
    }

    /// Whether some job_history action of the worker is dated `d`.
    pub(crate) fn has_action_on(&self, d: NaiveDate) -> bool {
        self.events.iter().any(|e| e.date == d)
    }

    /// Latent secondary traumatic stress on `d` (standard-normal scale), lowered after a
    /// completed Resilience Alliance program.
    pub(crate) fn sts_level(&self, d: NaiveDate) -> f64 {
        let relief = if self.programs.iter().any(|&(_, end)| d > end) {
            PROGRAM_STS_RELIEF
        } else {
            0.0
        };
        0.8 * self.stress + 0.6 * self.sts_dev - relief
    }

    /// Latent burnout on `d`.
    pub(crate) fn burnout_level(&self, d: NaiveDate) -> f64 {
        let relief = if self.programs.iter().any(|&(_, end)| d > end) {
            0.25
        } else {
            0.0
        };
        0.8 * self.stress + 0.3 * self.sts_dev - relief
    }

    /// Latent resilience (BRS scale, standard-normal): lower for stressed workers.
    pub(crate) fn resilience(&self) -> f64 {
        -0.6 * self.stress + 0.8 * self.brs_dev
    }
}

/// One program enrollment.
#[derive(Clone, Debug)]
pub(crate) struct Enrollment {
    pub worker: u32,
    pub program: Program,
    pub cohort: String,
    pub start: NaiveDate,
    pub end: Option<NaiveDate>,
    pub offered: Option<u32>,
    pub attended: Option<u32>,
}

/// The whole simulated agency.
pub(crate) struct Agency {
    pub seed: u64,
    pub as_of: NaiveDate,
    /// First day of the first simulated month.
    pub first_month: NaiveDate,
    pub months: u32,
    pub offices: Vec<Office>,
    pub workers: Vec<Worker>,
    pub enrollments: Vec<Enrollment>,
}

impl Agency {
    /// Months since `first_month` (negative before the window).
    pub(crate) fn month_index(&self, d: NaiveDate) -> i64 {
        (d.year() as i64 * 12 + d.month0() as i64)
            - (self.first_month.year() as i64 * 12 + self.first_month.month0() as i64)
    }

    /// First day of simulated month `m`.
    pub(crate) fn month_start(&self, m: u32) -> NaiveDate {
        self.first_month + Months::new(m)
    }

    /// Last day of simulated month `m`, or as-of if earlier.
    pub(crate) fn month_end(&self, m: u32) -> NaiveDate {
        let end = self.first_month + Months::new(m + 1) - Days::new(1);
        end.min(self.as_of)
    }

    /// The share of simulated month `m` that lies up to as-of: 1 for a whole month, less
    /// for the month of as-of when as-of is not its last day. The month's separation and
    /// transfer chances are for that share of it, so the days before as-of see the same
    /// daily rate as any other (issue #28: a whole month's separations used to be pressed
    /// into the days of the last, partial month).
    pub(crate) fn month_share(&self, m: u32) -> f64 {
        let ms = self.month_start(m);
        let whole = (self.first_month + Months::new(m + 1) - ms).num_days();
        let covered = (self.month_end(m) - ms).num_days() + 1;
        covered as f64 / whole as f64
    }

    /// Caseload pressure of a worker in an office in month `m`: active cases over
    /// `caseload_standard * fte`, before week-to-week noise.
    pub(crate) fn load_ratio(&self, worker: u32, office: u16, m: i64) -> f64 {
        let w = &self.workers[worker as usize];
        let month_noise = 0.05 * unit_normal(self.seed, worker, m, TAG_LOAD);
        (self.offices[office as usize].load_effect + w.load_dev + month_noise).exp()
    }

    /// Supervision a worker receives in month `m`; stressed workers miss more.
    pub(crate) fn supervision(&self, worker: u32, m: i64) -> Supervision {
        let w = &self.workers[worker as usize];
        let p_miss = sigmoid(-1.7 + 0.7 * w.stress);
        let u = unit(self.seed, worker, m, TAG_SUPERVISION);
        if u < 0.4 * p_miss {
            Supervision::Missed
        } else if u < p_miss {
            Supervision::Partial
        } else {
            Supervision::Full
        }
    }

    /// Monthly separation hazard of `worker` in simulated month `m`: the probability that
    /// the simulation terminates them in that month (in its days up to as-of, for the
    /// month of as-of: [`Agency::month_share`]), given that they are employed at the
    /// month's start in a spell that started on `spell_start` and work in `office`.
    ///
    /// A pure function of the agency: the simulation calls it for every worker employed
    /// when a month's separations are drawn, and the generator's truth (module `truth`)
    /// calls it along each worker's simulated path. Programs enter only once they have
    /// started (`start <= ms`), so the worker's final program list gives the same value the
    /// simulation saw while the list was still growing.
    pub(crate) fn hazard(&self, worker: u32, spell_start: NaiveDate, office: u16, m: u32) -> f64 {
        let ms = self.month_start(m);
        let w = &self.workers[worker as usize];
        let tenure = (ms - spell_start).num_days();
        let mut log_h = BASE_MONTHLY_HAZARD.ln();
        if tenure < 365 {
            log_h += 0.75;
        }
        if tenure > 15 * 365 {
            log_h += 0.6;
        }
        let ratio = self.load_ratio(worker, office, m as i64);
        log_h += 1.0 * (ratio - 1.0).clamp(-0.3, 0.8);
        if self.supervision(worker, m as i64) != Supervision::Full {
            log_h += 0.45;
        }
        log_h += 0.30 * w.sts_level(ms);
        log_h -= 0.25 * w.resilience();
        for &(start, end) in &w.programs {
            if start <= ms && ms <= end {
                log_h -= 0.1;
            } else if end < ms && ms <= end + Days::new(730) {
                log_h -= 0.3;
            }
        }
        let h = log_h.exp().min(0.6);
        let share = self.month_share(m);
        if share < 1.0 {
            1.0 - (1.0 - h).powf(share)
        } else {
            h
        }
    }

    /// A date on which the worker is not employed (before the first hire, in a gap between
    /// spells, or after the last termination), within 1950..=as-of.
    pub(crate) fn idle_date<R: Rng>(&self, worker: u32, rng: &mut R) -> Option<NaiveDate> {
        let w = &self.workers[worker as usize];
        let floor = NaiveDate::from_ymd_opt(1950, 1, 1).expect("valid date");
        let mut ranges: Vec<(NaiveDate, NaiveDate)> = Vec::new();
        let first = w.spells.first()?.start;
        ranges.push((
            (first - Days::new(3 * 365)).max(floor),
            first - Days::new(1),
        ));
        for pair in w.spells.windows(2) {
            if let Some(end) = pair[0].end {
                ranges.push((end + Days::new(1), pair[1].start - Days::new(1)));
            }
        }
        if let Some(end) = w.spells.last().and_then(|s| s.end) {
            ranges.push((end + Days::new(1), self.as_of));
        }
        ranges.retain(|(lo, hi)| lo <= hi && *hi <= self.as_of);
        if ranges.is_empty() {
            return None;
        }
        let (lo, hi) = ranges[rng.random_range(0..ranges.len())];
        Some(random_date(rng, lo, hi))
    }
}

/// A uniform date in `lo..=hi`.
pub(crate) fn random_date<R: Rng>(rng: &mut R, lo: NaiveDate, hi: NaiveDate) -> NaiveDate {
    let span = (hi - lo).num_days().max(0) as u64;
    lo + Days::new(rng.random_range(0..=span))
}

/// A scheduled program start.
enum ProgramStart {
    /// Resilience Alliance cohort, with its id.
    Resilience(String),
    /// Support group of one office, with its cohort id.
    SupportGroup(u16, String),
    /// Retention supervision for recent hires, with its cohort id.
    RetentionSupervision(String),
}

/// What the simulation tracks about a worker while it runs.
#[derive(Clone, Copy)]
struct Live {
    employed: bool,
    office: u16,
    role: Role,
    fte: u8,
    spell_start: NaiveDate,
    last_action: NaiveDate,
    /// A termination may not be dated before this day (program starts must lie in a spell).
    min_termination: NaiveDate,
    last_program: Option<NaiveDate>,
}

struct Simulation {
    rng: ChaCha8Rng,
    agency: Agency,
    live: Vec<Live>,
    employed: Vec<u32>,
    headcount: Vec<f64>,
    target: Vec<f64>,
    supervisors: Vec<Vec<u32>>,
    rehires: Vec<(NaiveDate, u32)>,
    /// When kept (tests only): every hazard drawn against.
    hazard_log: Option<HazardLog>,
}

/// Separation hazards as drawn against: (worker, month, hazard).
type HazardLog = Vec<(u32, u32, f64)>;

/// Runs the simulation for `spec`. The spec has been validated.
pub(crate) fn simulate(spec: &AgencySpec) -> Agency {
    run_simulation(spec, None).0
}

/// Runs the simulation for `spec` and also returns every separation hazard it drew
/// against, as (worker, month, hazard), in the order drawn.
#[cfg(test)]
pub(crate) fn simulate_logging_hazards(spec: &AgencySpec) -> (Agency, HazardLog) {
    let (agency, log) = run_simulation(spec, Some(Vec::new()));
    (agency, log.unwrap_or_default())
}

fn run_simulation(spec: &AgencySpec, hazard_log: Option<HazardLog>) -> (Agency, Option<HazardLog>) {
    let mut rng = ChaCha8Rng::seed_from_u64(spec.seed);
    let months = spec.years * 12;
    let as_of_month = spec.as_of.with_day(1).expect("day 1 exists");
    let first_month = as_of_month - Months::new(months - 1);
    let offices = make_offices(spec.offices, &mut rng);
    let total_weight: f64 = offices.iter().map(|o| o.weight).sum();
    let target: Vec<f64> = offices
        .iter()
        .map(|o| spec.workers as f64 * o.weight / total_weight)
        .collect();
    let office_count = offices.len();
    let mut sim = Simulation {
        rng,
        agency: Agency {
            seed: spec.seed,
            as_of: spec.as_of,
            first_month,
            months,
            offices,
            workers: Vec::new(),
            enrollments: Vec::new(),
        },
        live: Vec::new(),
        employed: Vec::new(),
        headcount: vec![0.0; office_count],
        target,
        supervisors: vec![Vec::new(); office_count],
        rehires: Vec::new(),
        hazard_log,
    };
    sim.initial_workforce(spec.workers);
    let programs = sim.program_schedule(spec.workers);
    let mut next_program = 0;
    for m in 0..months {
        let ms = sim.agency.month_start(m);
        let me = sim.agency.month_end(m);
        while next_program < programs.len() && programs[next_program].0 <= me {
            let (date, start) = &programs[next_program];
            if *date >= ms {
                sim.start_program(*date, start);
            }
            next_program += 1;
        }
        sim.separations_and_transfers(m, ms, me);
        sim.rehires_due(me);
        sim.hires(m, spec.workers, ms, me);
    }
    let hazard_log = sim.hazard_log;
    let mut agency = sim.agency;
    for w in &mut agency.workers {
        w.spells = spells_of(&w.events);
    }
    agency.enrollments.sort_by(|a, b| {
        (a.start, a.program.code(), &a.cohort, a.worker).cmp(&(
            b.start,
            b.program.code(),
            &b.cohort,
            b.worker,
        ))
    });
    (agency, hazard_log)
}

/// Spells from a worker's events in date order.
fn spells_of(events: &[Event]) -> Vec<Spell> {
    let mut spells: Vec<Spell> = Vec::new();
    for e in events {
        match e.action {
            Action::Hire | Action::Rehire => spells.push(Spell {
                start: e.date,
                end: None,
            }),
            Action::Termination => {
                if let Some(s) = spells.last_mut() {
                    s.end = Some(e.date);
                }
            }
            Action::Transfer => {}
        }
    }
    spells
}

fn make_offices(count: u32, rng: &mut ChaCha8Rng) -> Vec<Office> {
    let regions = match count {
        0..=19 => 4,
        20..=39 => 5,
        _ => 6,
    };
    (0..count as usize)
        .map(|i| {
            let place = PLACES[i % PLACES.len()];
            let mut name = if i < PLACES.len() {
                format!("{place} County Office")
            } else {
                format!("{place} County Office {}", i / PLACES.len() + 1)
            };
            // A few names carry a comma, so the offices file exercises RFC 4180 quoting.
            if rng.random_bool(0.12) {
                name.push_str(", Main Street");
            }
            let region = if rng.random_bool(0.04) {
                None
            } else {
                Some(REGIONS[i % regions])
            };
            // A quarter of the offices are chronically over standard; a fixed share keeps
            // agency-wide turnover steady from one seed to the next.
            let chronic = i % 4 == 1;
            Office {
                name,
                region,
                standard: rng.random_range(12..=18),
                weight: (0.6 * normal(rng)).exp(),
                load_effect: 0.07 * normal(rng) + if chronic { 0.22 } else { -0.03 },
            }
        })
        .collect()
}

fn draw_role(rng: &mut ChaCha8Rng) -> Role {
    let u: f64 = rng.random();
    if u < 0.60 {
        Role::Caseworker
    } else if u < 0.85 {
        Role::Investigator
    } else if u < 0.95 {
        Role::Supervisor
    } else {
        Role::Other
    }
}

fn draw_fte(rng: &mut ChaCha8Rng) -> u8 {
    let u: f64 = rng.random();
    if u < 0.86 {
        10
    } else if u < 0.94 {
        8
    } else {
        5
    }
}

impl Simulation {
    /// A new worker whose latent stress is shifted by `stress_shift` (negative for the
    /// initial workforce: long-tenured workers are the survivors of a stress-driven hazard).
    fn new_worker(&mut self, stress_shift: f64) -> u32 {
        let rng = &mut self.rng;
        let stress = normal(rng) + stress_shift;
        let worker = Worker {
            stress,
            sts_dev: normal(rng),
            brs_dev: normal(rng),
            load_dev: 0.12 * stress + 0.06 * normal(rng),
            events: Vec::new(),
            spells: Vec::new(),
            programs: Vec::new(),
        };
        let day = self.agency.first_month;
        self.agency.workers.push(worker);
        self.live.push(Live {
            employed: false,
            office: 0,
            role: Role::Caseworker,
            fte: 10,
            spell_start: day,
            last_action: day,
            min_termination: day,
            last_program: None,
        });
        (self.agency.workers.len() - 1) as u32
    }

    /// The office a new hire goes to: the ones furthest below their target size are favoured.
    fn office_for_hire(&mut self) -> u16 {
        let weights: Vec<f64> = self
            .target
            .iter()
            .zip(&self.headcount)
            .map(|(t, h)| (t - h).max(0.0) + 0.05 * t + 1e-9)
            .collect();
        let total: f64 = weights.iter().sum();
        let mut u = self.rng.random::<f64>() * total;
        for (i, w) in weights.iter().enumerate() {
            if u < *w {
                return i as u16;
            }
            u -= w;
        }
        (weights.len() - 1) as u16
    }

    fn pick_supervisor(&mut self, office: u16, worker: u32, role: Role) -> Option<u32> {
        if role == Role::Supervisor {
            return None;
        }
        let list = &self.supervisors[office as usize];
        let candidates = list.iter().filter(|&&s| s != worker).count();
        if candidates == 0 {
            return None;
        }
        let k = self.rng.random_range(0..candidates);
        list.iter().copied().filter(|&s| s != worker).nth(k)
    }

    fn join_office(&mut self, worker: u32, office: u16, role: Role) {
        self.headcount[office as usize] += 1.0;
        if role == Role::Supervisor {
            self.supervisors[office as usize].push(worker);
        }
    }

    fn leave_office(&mut self, worker: u32, office: u16, role: Role) {
        self.headcount[office as usize] -= 1.0;
        if role == Role::Supervisor {
            let list = &mut self.supervisors[office as usize];
            if let Some(pos) = list.iter().position(|&s| s == worker) {
                list.remove(pos);
            }
        }
    }

    fn start_spell(
        &mut self,
        worker: u32,
        date: NaiveDate,
        action: Action,
        office: u16,
        role: Role,
        fte: u8,
    ) {
        let supervisor = self.pick_supervisor(office, worker, role);
        let show_fte = fte != 10 || self.rng.random_bool(0.85);
        self.agency.workers[worker as usize].events.push(Event {
            date,
            action,
            office,
            role,
            fte,
            reason: None,
            supervisor,
            show_role: true,
            show_fte,
        });
        let live = &mut self.live[worker as usize];
        live.employed = true;
        live.office = office;
        live.role = role;
        live.fte = fte;
        live.spell_start = date;
        live.last_action = date;
        live.min_termination = date + Days::new(1);
        self.join_office(worker, office, role);
        self.employed.push(worker);
    }

    fn initial_workforce(&mut self, workers: u32) {
        let floor = NaiveDate::from_ymd_opt(1990, 1, 1).expect("valid date");
        for _ in 0..workers {
            // Skewed towards short tenure, as a workforce with 25-30% turnover is.
            let u: f64 = self.rng.random();
            let tenure_days = 1 + (u.powf(1.5) * 8.0 * 365.0) as u64;
            let worker = self.new_worker(-0.15 * (tenure_days as f64 / 365.0).min(4.0));
            let office = self.office_for_hire();
            let date = (self.agency.first_month - Days::new(tenure_days)).max(floor);
            let role = draw_role(&mut self.rng);
            let fte = draw_fte(&mut self.rng);
            self.start_spell(worker, date, Action::Hire, office, role, fte);
        }
        // The first pass picked supervisors before all of them existed: pick again among
        // the office's supervisors hired no later than the worker.
        for i in 0..self.employed.len() {
            let worker = self.employed[i];
            let e = self.agency.workers[worker as usize].events[0];
            if e.role == Role::Supervisor {
                continue;
            }
            let candidates: Vec<u32> = self.supervisors[e.office as usize]
                .iter()
                .copied()
                .filter(|&s| {
                    s != worker && self.agency.workers[s as usize].events[0].date <= e.date
                })
                .collect();
            let choice = if candidates.is_empty() {
                None
            } else {
                Some(candidates[self.rng.random_range(0..candidates.len())])
            };
            self.agency.workers[worker as usize].events[0].supervisor = choice;
        }
    }

    /// Program starts over the window, in date order.
    fn program_schedule(&mut self, workers: u32) -> Vec<(NaiveDate, ProgramStart)> {
        let mut plan: Vec<(NaiveDate, ProgramStart)> = Vec::new();
        let first = self.agency.first_month;
        let as_of = self.agency.as_of;
        let cohorts_per_year = (workers / 1500).clamp(3, 26);
        for year in first.year()..=as_of.year() {
            let jan1 = NaiveDate::from_ymd_opt(year, 1, 1).expect("valid date");
            for c in 0..cohorts_per_year {
                let offset = 20 + c as u64 * 330 / cohorts_per_year as u64;
                let mut d = jan1 + Days::new(offset);
                while d.weekday().num_days_from_monday() != 0 {
                    d = d + Days::new(1);
                }
                let letter = (b'A' + c as u8) as char;
                plan.push((d, ProgramStart::Resilience(format!("RA{year}{letter}"))));
            }
            for o in 0..self.agency.offices.len() {
                if self.rng.random_bool(0.35) {
                    let d = jan1 + Days::new(self.rng.random_range(0..360));
                    plan.push((
                        d,
                        ProgramStart::SupportGroup(o as u16, format!("SG{year}-OFF{:03}", o + 1)),
                    ));
                }
            }
            for q in 0..4u32 {
                let d = NaiveDate::from_ymd_opt(year, 3 * q + 1, 10).expect("valid date");
                plan.push((
                    d,
                    ProgramStart::RetentionSupervision(format!("RS{year}Q{}", q + 1)),
                ));
            }
        }
        plan.retain(|(d, _)| *d >= first + Months::new(1) && *d <= as_of);
        plan.sort_by_key(|(d, _)| *d);
        plan
    }

    fn enroll(
        &mut self,
        worker: u32,
        program: Program,
        cohort: &str,
        start: NaiveDate,
        end: Option<NaiveDate>,
    ) {
        let (offered, attended) = match program {
            Program::ResilienceAlliance => (Some(12), Some(self.rng.random_range(6..=12))),
            Program::SupportGroup => {
                if end.is_some() || self.rng.random_bool(0.5) {
                    (Some(26), Some(self.rng.random_range(0..=26)))
                } else if self.rng.random_bool(0.3) {
                    (None, None)
                } else {
                    (None, Some(self.rng.random_range(0..=26)))
                }
            }
            Program::RetentionSupervision => {
                if end.is_some_and(|e| e <= self.agency.as_of) {
                    (Some(12), Some(self.rng.random_range(4..=12)))
                } else {
                    (Some(12), None)
                }
            }
            // The simulation runs no program of this kind.
            Program::Other => (None, None),
        };
        self.agency.enrollments.push(Enrollment {
            worker,
            program,
            cohort: cohort.to_string(),
            start,
            end,
            offered,
            attended,
        });
        let live = &mut self.live[worker as usize];
        live.min_termination = live.min_termination.max(start);
    }

    fn start_program(&mut self, date: NaiveDate, start: &ProgramStart) {
        match start {
            ProgramStart::Resilience(cohort) => {
                let mut candidates: Vec<u32> = self
                    .employed
                    .iter()
                    .copied()
                    .filter(|&w| {
                        let live = &self.live[w as usize];
                        live.spell_start + Days::new(45) <= date
                            && self.agency.workers[w as usize].stress > 0.2
                            && live.last_program.is_none_or(|p| p + Days::new(730) < date)
                    })
                    .collect();
                shuffle(&mut candidates, &mut self.rng);
                let n = self.rng.random_range(10..=20).min(candidates.len());
                let end = date + Days::new(83);
                for &w in &candidates[..n] {
                    self.enroll(w, Program::ResilienceAlliance, cohort, date, Some(end));
                    self.live[w as usize].last_program = Some(date);
                    self.agency.workers[w as usize].programs.push((date, end));
                }
            }
            ProgramStart::SupportGroup(office, cohort) => {
                let mut candidates: Vec<u32> = self
                    .employed
                    .iter()
                    .copied()
                    .filter(|&w| {
                        self.live[w as usize].office == *office
                            && self.live[w as usize].spell_start <= date
                    })
                    .collect();
                shuffle(&mut candidates, &mut self.rng);
                let n = self.rng.random_range(4..=10).min(candidates.len());
                for &w in &candidates[..n] {
                    let end = if self.rng.random_bool(0.5) {
                        None
                    } else {
                        Some(date + Days::new(181))
                    };
                    self.enroll(w, Program::SupportGroup, cohort, date, end);
                }
            }
            ProgramStart::RetentionSupervision(cohort) => {
                let offices = self.agency.offices.len() as u64;
                let seed = self.agency.seed;
                let candidates: Vec<u32> = self
                    .employed
                    .iter()
                    .copied()
                    .filter(|&w| {
                        let live = &self.live[w as usize];
                        let tenure = (date - live.spell_start).num_days();
                        // About half the offices run it in a given quarter.
                        let quarter_office =
                            date.num_days_from_ce() as u64 * offices + live.office as u64;
                        let runs = crate::noise::mix(seed ^ quarter_office).is_multiple_of(2);
                        (0..=150).contains(&tenure) && runs
                    })
                    .take(40)
                    .collect();
                let end = Some(date + Days::new(364));
                for w in candidates {
                    self.enroll(w, Program::RetentionSupervision, cohort, date, end);
                }
            }
        }
    }

    fn separation_reason(&mut self, tenure_days: i64) -> SeparationReason {
        if tenure_days > 12 * 365 && self.rng.random_bool(0.45) {
            return SeparationReason::Retirement;
        }
        let u: f64 = self.rng.random();
        if u < 0.74 {
            SeparationReason::Voluntary
        } else if u < 0.88 {
            SeparationReason::Involuntary
        } else if u < 0.97 {
            SeparationReason::Other
        } else {
            SeparationReason::Retirement
        }
    }

    fn separations_and_transfers(&mut self, m: u32, ms: NaiveDate, me: NaiveDate) {
        let mut i = 0;
        while i < self.employed.len() {
            let worker = self.employed[i];
            let live = self.live[worker as usize];
            let h = self.agency.hazard(worker, live.spell_start, live.office, m);
            if let Some(log) = &mut self.hazard_log {
                log.push((worker, m, h));
            }
            let u: f64 = self.rng.random();
            if u < h {
                let lo = ms
                    .max(live.last_action + Days::new(1))
                    .max(live.min_termination);
                if lo <= me {
                    let date = random_date(&mut self.rng, lo, me);
                    self.terminate(worker, date);
                    self.employed.swap_remove(i);
                    continue;
                }
            } else if u < h + MONTHLY_TRANSFER * self.agency.month_share(m) {
                let lo = ms.max(live.last_action + Days::new(1));
                if lo <= me {
                    let date = random_date(&mut self.rng, lo, me);
                    self.transfer(worker, date);
                }
            }
            i += 1;
        }
    }

    fn terminate(&mut self, worker: u32, date: NaiveDate) {
        let live = self.live[worker as usize];
        let reason = self.separation_reason((date - live.spell_start).num_days());
        self.agency.workers[worker as usize].events.push(Event {
            date,
            action: Action::Termination,
            office: live.office,
            role: live.role,
            fte: live.fte,
            reason: Some(reason),
            supervisor: None,
            show_role: false,
            show_fte: false,
        });
        self.leave_office(worker, live.office, live.role);
        let l = &mut self.live[worker as usize];
        l.employed = false;
        l.last_action = date;
        if reason != SeparationReason::Retirement && self.rng.random_bool(REHIRE_SHARE) {
            let back = date + Days::new(self.rng.random_range(30..=730));
            if back <= self.agency.as_of {
                self.rehires.push((back, worker));
            }
        }
    }

    fn transfer(&mut self, worker: u32, date: NaiveDate) {
        let live = self.live[worker as usize];
        let offices = self.agency.offices.len();
        let mut office = live.office;
        let moves = offices > 1 && self.rng.random_bool(0.85);
        if moves {
            while office == live.office {
                office = self.office_for_hire();
                if self.rng.random_bool(0.2) {
                    office = self.rng.random_range(0..offices) as u16;
                }
            }
        }
        let mut role = live.role;
        let mut fte = live.fte;
        let change_role = !moves || self.rng.random_bool(0.15);
        let change_fte = self.rng.random_bool(0.12);
        if change_role {
            role = match live.role {
                Role::Caseworker => {
                    if self.rng.random_bool(0.5) {
                        Role::Supervisor
                    } else {
                        Role::Investigator
                    }
                }
                Role::Investigator => Role::Caseworker,
                Role::Supervisor => Role::Other,
                Role::Other => Role::Caseworker,
            };
        }
        if change_fte {
            fte = if fte == 10 { 8 } else { 10 };
        }
        let show_role = role != live.role || self.rng.random_bool(0.2);
        let show_fte = fte != live.fte || self.rng.random_bool(0.2);
        self.leave_office(worker, live.office, live.role);
        let supervisor = self.pick_supervisor(office, worker, role);
        self.join_office(worker, office, role);
        self.agency.workers[worker as usize].events.push(Event {
            date,
            action: Action::Transfer,
            office,
            role,
            fte,
            reason: None,
            supervisor,
            show_role,
            show_fte,
        });
        let l = &mut self.live[worker as usize];
        l.office = office;
        l.role = role;
        l.fte = fte;
        l.last_action = date;
    }

    fn rehires_due(&mut self, me: NaiveDate) {
        let mut due: Vec<(NaiveDate, u32)> = Vec::new();
        self.rehires.retain(|&(d, w)| {
            if d <= me {
                due.push((d, w));
                false
            } else {
                true
            }
        });
        due.sort();
        for (date, worker) in due {
            let live = self.live[worker as usize];
            debug_assert!(!live.employed && live.last_action < date);
            let office = if self.rng.random_bool(0.6) {
                live.office
            } else {
                self.office_for_hire()
            };
            let role = if self.rng.random_bool(0.9) {
                live.role
            } else {
                draw_role(&mut self.rng)
            };
            let fte = draw_fte(&mut self.rng);
            self.start_spell(worker, date, Action::Rehire, office, role, fte);
        }
    }

    fn hires(&mut self, m: u32, workers: u32, ms: NaiveDate, me: NaiveDate) {
        let seasonal = 1.0 + 0.015 * (std::f64::consts::TAU * m as f64 / 12.0).sin();
        let target = workers as f64 * seasonal;
        let noise = normal(&mut self.rng) * (workers as f64).sqrt() * 0.15;
        let needed = (target - self.employed.len() as f64 + noise)
            .round()
            .max(0.0) as u32;
        for _ in 0..needed {
            let worker = self.new_worker(0.0);
            let office = self.office_for_hire();
            let date = random_date(&mut self.rng, ms, me);
            let role = draw_role(&mut self.rng);
            let fte = draw_fte(&mut self.rng);
            self.start_spell(worker, date, Action::Hire, office, role, fte);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn agency_ending(as_of: NaiveDate, workers: u32, years: u32) -> Agency {
        simulate(&AgencySpec {
            workers,
            years,
            offices: 12,
            seed: 42,
            as_of,
            faults: 0.0,
        })
    }

    /// By hand: the month of as-of covers its days up to as-of; every other month, 1.
    #[test]
    fn month_share_is_the_days_up_to_as_of_in_the_last_month_only() {
        let a = agency_ending(day(2026, 12, 7), 20, 1);
        assert_eq!(a.month_share(0), 1.0);
        assert_eq!(a.month_share(10), 1.0);
        assert!((a.month_share(11) - 7.0 / 31.0).abs() < 1e-12);
        // A leap February: as-of on its 10th, and on its last day.
        let a = agency_ending(day(2024, 2, 10), 20, 1);
        assert!((a.month_share(11) - 10.0 / 29.0).abs() < 1e-12);
        let a = agency_ending(day(2024, 2, 29), 20, 1);
        assert_eq!(a.month_share(11), 1.0);
    }

    /// Issue #28: with as-of on December 7, the days of December up to it see
    /// separations at the daily rate of the six whole months before (they used to see a
    /// whole month's worth: about 4.4 times the rate).
    #[test]
    fn the_last_partial_month_separates_at_the_daily_rate_of_the_months_before() {
        let a = agency_ending(day(2026, 12, 7), 3000, 2);
        let terminations: Vec<NaiveDate> = a
            .workers
            .iter()
            .flat_map(|w| w.events.iter())
            .filter(|e| e.action == Action::Termination)
            .map(|e| e.date)
            .collect();
        let count = |from: NaiveDate, to: NaiveDate| {
            terminations
                .iter()
                .filter(|d| **d >= from && **d <= to)
                .count() as f64
        };
        let last = count(day(2026, 12, 1), day(2026, 12, 7)) / 7.0;
        let before = count(day(2026, 6, 1), day(2026, 11, 30)) / 183.0;
        assert!(before > 1.0, "{before} separations a day before December");
        let ratio = last / before;
        assert!(
            (0.4..=1.7).contains(&ratio),
            "December's daily rate {last:.2} against {before:.2} before: {ratio:.2} times"
        );
    }
}
