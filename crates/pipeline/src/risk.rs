//! The risk model of CONTRACT.md section 9: a discrete-time hazard model of "the spell
//! ends with a TERMINATION this month", fitted on the worker-month history by the ridge
//! logistic regression of `retention_models::logistic`, and what is computed with it:
//! each worker's 12-month separation probability, the backtest's predictions, and the
//! driver scenarios. The tables built from these live in `crate::risk_tables`; the
//! choices are documented in docs/model.md.
//!
//! Everything here is computed at a *cutoff*: the nightly run's is as-of, the backtest's
//! is train_end = as-of - 365. Data after the cutoff is not seen: a spell that ends after
//! it reads as open, and every feature is taken on a day `d` from rows dated on or before
//! `d` only (a training month m sees the day before its 1st; a prediction, the cutoff).
//!
//! Built by hand, on the worker's spells and facts grouped by worker, for the reason the
//! derived tables are: it walks each worker's months in order, which is a loop in Rust and
//! a tangle of window functions in SQL, and the design goes straight into the solver.

use crate::derive::{ByWorker, Pseudonyms, ScoredResponse, Session, WorkerFacts};
use retention_contract::history::Spell;
use retention_contract::{Day, Role};
use retention_ingest::Roster;
use retention_models::logistic::{self, Design, FitError, Options};

/// Tenure knots in days: 6 months, 1, 2, 5, 10, 15 and 20 years. The first four are the
/// tenure bands' edges; the later ones let long tenure (retirement) raise the hazard.
/// Each knot is a step column "tenure >= knot", so the ridge penalty shrinks each step
/// toward the band before it.
pub const TENURE_KNOTS: [i32; 7] = [183, 365, 730, 1826, 3652, 5479, 7305];

/// The dense columns of the design, in order; the office columns follow them.
pub const DENSE_COLUMNS: [&str; 27] = [
    "intercept",
    "tenure >= 6 months",
    "tenure >= 1 year",
    "tenure >= 2 years",
    "tenure >= 5 years",
    "tenure >= 10 years",
    "tenure >= 15 years",
    "tenure >= 20 years",
    "role INVESTIGATOR",
    "role SUPERVISOR",
    "role OTHER",
    "fte - 1",
    "caseload known",
    "caseload ratio - 1 (clamped to -1..2)",
    "caseload ratio above 1 (clamped to 0..2)",
    "supervision known",
    "supervision compliant last month",
    "supervision compliant share, last 3 months",
    "supervision hours last month / 4 (at most 3)",
    "sts_total known",
    "(sts_total - 30) / 10",
    "proqol_bo known",
    "(proqol_bo - 25) / 10",
    "brs_mean known",
    "brs_mean - 3",
    "in a program",
    "completed a program in the last 2 years",
];

/// Index of the first tenure column.
const TENURE: usize = 1;
const ROLE: usize = 8;
const FTE: usize = 11;
const CASELOAD: usize = 12;
const SUPERVISION: usize = 15;
const STS: usize = 19;
const BURNOUT: usize = 21;
const RESILIENCE: usize = 23;
const PROGRAM: usize = 25;
const DENSE: usize = DENSE_COLUMNS.len();

/// The ridge penalty of every column but the intercept: small against tens of thousands
/// of worker-months, it only keeps rare indicators finite.
const RIDGE: f64 = 1.0;
/// How much harder office columns are shrunk toward the state (a prior standard deviation
/// of about 0.45 on the log-odds scale): an office with few separations keeps close to the
/// state's hazard.
const OFFICE_PENALTY: f64 = 5.0;
/// Non-separation months kept per separation month in the fit (at least
/// [`MIN_NON_EVENTS`]); the kept ones weigh 1 / the share kept, so the fit estimates the
/// same hazard as on every month.
const NON_EVENTS_PER_EVENT: f64 = 5.0;
const MIN_NON_EVENTS: f64 = 50_000.0;
/// Days in a projected month: the 12-month probability advances tenure by this much a
/// month.
const MONTH_DAYS: f64 = 365.25 / 12.0;

/// What the model is built from.
#[derive(Clone, Copy)]
pub struct RiskInputs<'a> {
    /// Workers and their spells.
    pub roster: &'a Roster,
    /// Worker keys, and the order workers are visited in (so that adding or removing a
    /// worker does not reorder the others' rows).
    pub names: &'a Pseudonyms,
    /// caseload_standard of each office index.
    pub standards: &'a [u8],
    /// Each worker's snapshots, sessions and enrollments.
    pub facts: &'a WorkerFacts,
    /// Each worker's scored survey responses, by (administered_on, response_id).
    pub surveys: &'a ByWorker<ScoredResponse>,
    /// Monthly periods in the history window (training months lie in the window of the
    /// cutoff).
    pub history_months: u32,
    /// Supervision minutes a month for compliance.
    pub supervision_minutes: u32,
    /// INDIVIDUAL supervision minutes a month for compliance.
    pub supervision_individual_minutes: u32,
}

/// The features of one worker on one day, before they are laid out as a design row.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Features {
    /// Tenure in days on `d` (the day before the month, or as-of).
    pub tenure_days: i32,
    /// Role on `d`.
    pub role: Role,
    /// fte on `d`.
    pub fte: f64,
    /// Office index on `d`.
    pub office: u32,
    /// active_cases / (caseload_standard x fte) of the latest snapshot dated in
    /// [d - 34, d], office and fte taken on its date.
    pub caseload_ratio: Option<f64>,
    /// Supervision of the month up to `d` and the two before, when the supervision extract
    /// covers them: (compliant last month, compliant months of the 3, hours last month).
    pub supervision: Option<(bool, u8, f64)>,
    /// Latest sts_total, proqol_bo, brs_mean administered on or before `d`.
    pub scores: [Option<f64>; 3],
    /// Some enrollment has start_date <= d and no end_date, or one on or after d.
    pub in_program: bool,
    /// Some enrollment ended in [d - 730, d).
    pub completed_program: bool,
}

impl Features {
    /// The dense columns of the design row, with `tenure_days` in place of the features'
    /// own; the office column (`DENSE + office`) is the row's one other non-zero.
    fn dense(&self, tenure_days: i32) -> [f64; DENSE] {
        let mut x = [0.0; DENSE];
        x[0] = 1.0;
        for (k, knot) in TENURE_KNOTS.iter().enumerate() {
            x[TENURE + k] = f64::from(u8::from(tenure_days >= *knot));
        }
        match self.role {
            Role::Caseworker => {}
            Role::Investigator => x[ROLE] = 1.0,
            Role::Supervisor => x[ROLE + 1] = 1.0,
            Role::Other => x[ROLE + 2] = 1.0,
        }
        x[FTE] = self.fte - 1.0;
        if let Some(ratio) = self.caseload_ratio {
            x[CASELOAD] = 1.0;
            x[CASELOAD + 1] = (ratio - 1.0).clamp(-1.0, 2.0);
            x[CASELOAD + 2] = (ratio - 1.0).clamp(0.0, 2.0);
        }
        if let Some((compliant, months, hours)) = self.supervision {
            x[SUPERVISION] = 1.0;
            x[SUPERVISION + 1] = f64::from(u8::from(compliant));
            x[SUPERVISION + 2] = f64::from(months) / 3.0;
            x[SUPERVISION + 3] = (hours / 4.0).min(3.0);
        }
        let centres = [
            (STS, 30.0, 10.0),
            (BURNOUT, 25.0, 10.0),
            (RESILIENCE, 3.0, 1.0),
        ];
        for (value, (column, centre, scale)) in self.scores.iter().zip(centres) {
            if let Some(v) = value {
                x[column] = 1.0;
                x[column + 1] = (v - centre) / scale;
            }
        }
        x[PROGRAM] = f64::from(u8::from(self.in_program));
        x[PROGRAM + 1] = f64::from(u8::from(self.completed_program));
        x
    }
}

/// The training design: each row's dense columns and its office, stored without the
/// office columns' zeros (a tenth of the memory of the full matrix on 60 offices).
struct Sparse {
    dense: Vec<f64>,
    office: Vec<u32>,
    offices: usize,
}

impl Design for Sparse {
    fn rows(&self) -> usize {
        self.office.len()
    }
    fn columns(&self) -> usize {
        DENSE + self.offices
    }
    fn row(&self, i: usize, out: &mut Vec<(usize, f64)>) {
        out.clear();
        let dense = &self.dense[i * DENSE..(i + 1) * DENSE];
        out.extend(dense.iter().copied().enumerate().filter(|(_, v)| *v != 0.0));
        out.push((DENSE + self.office[i] as usize, 1.0));
    }
}

/// A driver of `risk_drivers` (section 9): the features changed in its scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Driver {
    /// The caseload ratio replaced by min(ratio, 1).
    Caseload,
    /// Every month compliant with the supervision policy.
    Supervision,
    /// sts_total and proqol_bo no higher, brs_mean no lower, than the state medians.
    Wellbeing,
    /// Every worker in a program.
    Program,
}

impl Driver {
    /// Every driver, in the order of section 9's table.
    pub const ALL: [Driver; 4] = [
        Driver::Caseload,
        Driver::Supervision,
        Driver::Wellbeing,
        Driver::Program,
    ];

    /// The `driver` value.
    pub fn name(self) -> &'static str {
        match self {
            Driver::Caseload => "caseload",
            Driver::Supervision => "supervision",
            Driver::Wellbeing => "wellbeing",
            Driver::Program => "program",
        }
    }

    /// The features as they would be in this driver's scenario. `medians` are the state
    /// medians of sts_total, proqol_bo and brs_mean; `policy_hours` the policy's minutes
    /// in hours.
    pub fn apply(self, f: &Features, medians: &[Option<f64>; 3], policy_hours: f64) -> Features {
        let mut f = *f;
        match self {
            Driver::Caseload => f.caseload_ratio = f.caseload_ratio.map(|r| r.min(1.0)),
            Driver::Supervision => {
                let hours = f.supervision.map_or(0.0, |(_, _, hours)| hours);
                f.supervision = Some((true, 3, hours.max(policy_hours)));
            }
            Driver::Wellbeing => {
                for (i, (value, median)) in f.scores.iter_mut().zip(medians).enumerate() {
                    if let (Some(v), Some(m)) = (value.as_mut(), median) {
                        // brs_mean (the third) is resilience: higher is better.
                        *v = if i == 2 { v.max(*m) } else { v.min(*m) };
                    }
                }
            }
            Driver::Program => f.in_program = true,
        }
        f
    }
}

/// The fitted hazard model.
#[derive(Debug, Clone)]
pub struct Model {
    /// One coefficient per column (dense, then offices); None when the training months
    /// held no separation, or nothing else, and there is nothing to fit: every hazard is
    /// then [`Model::constant`].
    pub coefficients: Option<Vec<f64>>,
    /// The monthly hazard when there is no fit: the share of training months that ended
    /// in a separation (0 or 1; 0 with no training month).
    pub constant: f64,
    /// Office columns.
    pub offices: usize,
    /// Training worker-months, separations among them, and the months kept in the fit.
    pub training: Training,
}

/// What the model was fitted on.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Training {
    /// Worker-months at risk.
    pub months: u64,
    /// Those that ended in a termination.
    pub events: u64,
    /// Worker-months in the fit (every event, a sample of the rest).
    pub kept: u64,
    /// The share of non-event months kept.
    pub share_kept: f64,
    /// Newton steps.
    pub iterations: usize,
}

impl Model {
    /// The linear predictor of features `f` with tenure `tenure_days`.
    fn eta(beta: &[f64], f: &Features, tenure_days: i32) -> f64 {
        let x = f.dense(tenure_days);
        x.iter().zip(beta).map(|(x, b)| x * b).sum::<f64>() + beta[DENSE + f.office as usize]
    }

    /// The monthly hazard of features `f` with tenure `tenure_days`.
    pub fn hazard(&self, f: &Features, tenure_days: i32) -> f64 {
        match &self.coefficients {
            Some(beta) => logistic::sigmoid(Self::eta(beta, f, tenure_days)),
            None => self.constant,
        }
    }

    /// The probability that the spell ends with a termination within 12 months: 1 - the
    /// product of (1 - hazard) over the 12 months, tenure advancing a month at a time.
    pub fn p_12m(&self, f: &Features) -> f64 {
        let Some(beta) = &self.coefficients else {
            return 1.0 - (1.0 - self.constant).powi(12);
        };
        let mut survive = 1.0;
        for month in 0..12 {
            let tenure = f.tenure_days + (f64::from(month) * MONTH_DAYS).round() as i32;
            survive *= 1.0 - logistic::sigmoid(Self::eta(beta, f, tenure));
        }
        1.0 - survive
    }
}

/// The spell as it looked on `cutoff`: its end (and so its event) only when dated on or
/// before the cutoff.
fn end_by(spell: &Spell, cutoff: Day) -> Option<Day> {
    spell.end.filter(|e| *e <= cutoff)
}

/// The `i`-th month-long window ending `i` months before `d` (i = 0: the one ending on
/// `d`): a calendar month when `d` is a month's last day, else from the same day a month
/// earlier, plus one day.
fn month_window(d: Day, i: i32) -> (Day, Day) {
    if d == d.month_end() {
        let start = d.month_start().add_months(-i);
        (start, start.month_end())
    } else {
        let end = d.add_months(-i);
        (d.add_months(-i - 1).add_days(1), end)
    }
}

/// A worker's features on day `d` of `spell` (which contains `d`), seeing rows dated on
/// or before `d` only. `first_session` is the day of the earliest supervision session
/// seen at the cutoff: months before its month lie outside the extract.
fn features(
    inputs: &RiskInputs<'_>,
    worker: u32,
    spell: &Spell,
    d: Day,
    first_session: Option<Day>,
) -> Features {
    let segment = spell.segment_on(d);
    let facts = inputs.facts;

    let snapshots = facts.snapshots.of(worker);
    let upto = snapshots.partition_point(|s| s.0 <= d);
    let caseload_ratio = snapshots[..upto]
        .last()
        .filter(|s| s.0.0 >= d.0 - 34)
        .and_then(|&(day, cases)| {
            let on = inputs.roster.spell_on(worker, day)?.segment_on(day);
            let standard = f64::from(*inputs.standards.get(on.office.0 as usize)?);
            Some(f64::from(cases) / (standard * on.fte))
        });

    let sessions = facts.sessions.of(worker);
    let month = |i: i32| -> Option<(bool, f64)> {
        let (from, to) = month_window(d, i);
        let first = first_session?;
        if from < first.month_start() {
            return None;
        }
        let lo = sessions.partition_point(|s: &Session| s.day < from);
        let hi = sessions.partition_point(|s: &Session| s.day <= to);
        let (mut minutes, mut individual) = (0u32, 0u32);
        for s in &sessions[lo..hi] {
            minutes += u32::from(s.minutes);
            if s.individual {
                individual += u32::from(s.minutes);
            }
        }
        let compliant = minutes >= inputs.supervision_minutes
            && individual >= inputs.supervision_individual_minutes;
        Some((compliant, f64::from(minutes) / 60.0))
    };
    let supervision = month(0).map(|(compliant, hours)| {
        let months = u8::from(compliant)
            + (1..3)
                .map(|i| month(i).map_or(0, |(c, _)| u8::from(c)))
                .sum::<u8>();
        (compliant, months, hours)
    });

    let responses = inputs.surveys.of(worker);
    let upto = responses.partition_point(|r| r.date <= d);
    let mut scores = [None; 3];
    for (i, score) in scores.iter_mut().enumerate() {
        *score = responses[..upto].iter().rev().find_map(|r| r.values[i]);
    }

    let (mut in_program, mut completed_program) = (false, false);
    for &(start, end) in facts.enrollments.of(worker) {
        if start > d {
            continue;
        }
        match end {
            Some(e) if e < d => completed_program |= e.0 >= d.0 - 730,
            _ => in_program = true,
        }
    }

    Features {
        tenure_days: d.0 - spell.start.0,
        role: segment.role,
        fte: segment.fte,
        office: segment.office.0,
        caseload_ratio,
        supervision,
        scores,
        in_program,
        completed_program,
    }
}

/// A stable hash of a worker id: with [`sample_draw`], which non-event months the fit
/// keeps. It depends on nothing but the id, so removing one worker's rows keeps the same
/// sample of everyone else's.
fn id_hash(worker_id: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in worker_id.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// A stable number in [0, 1) for a worker (its [`id_hash`]) and a month index (a final
/// splitmix64, so that nearby months draw far apart).
fn sample_draw(id_hash: u64, month: i32) -> f64 {
    let mut h = id_hash ^ (month as u32 as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    h ^= h >> 30;
    h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h ^= h >> 27;
    h = h.wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^= h >> 31;
    (h >> 11) as f64 / (1u64 << 53) as f64
}

/// The 1st of the last calendar month that ends on or before `cutoff`.
fn last_complete_month_start(cutoff: Day) -> Day {
    if cutoff == cutoff.month_end() {
        cutoff.month_start()
    } else {
        cutoff.month_start().add_months(-1)
    }
}

/// A spell's training months as month indexes: the first and the last, and whether the
/// last is the month it ends with a termination. The months run from the one after the
/// spell's first month (the day before its 1st is then in the spell), within the window,
/// to the month of the spell's end as seen on the cutoff, or the last whole month.
fn spell_months(spell: &Spell, cutoff: Day, window: (i32, i32)) -> Option<(i32, i32, bool)> {
    if spell.start > cutoff {
        return None;
    }
    let (window_start, last) = window;
    let first = (spell.start.month_index() + 1).max(window_start);
    let (stop, separated) = match end_by(spell, cutoff) {
        Some(e) if e.month_index() <= last => (e.month_index(), true),
        _ => (last, false),
    };
    (first <= stop).then_some((first, stop, separated))
}

/// The training window of a cutoff as month indexes: the history window's first month
/// and the last whole month.
fn training_window(inputs: &RiskInputs<'_>, cutoff: Day) -> (i32, i32) {
    (
        retention_contract::period::window_start(cutoff, inputs.history_months).month_index(),
        last_complete_month_start(cutoff).month_index(),
    )
}

/// Visits every training worker-month of the cutoff: each worker employed on the day
/// before a month's 1st whose spell does not end that day, in each whole month of the
/// history window ending on or before the cutoff; `visit(worker, spell, month index,
/// separated in the month)`.
fn training_months(
    inputs: &RiskInputs<'_>,
    cutoff: Day,
    mut visit: impl FnMut(u32, &Spell, i32, bool),
) {
    let window = training_window(inputs, cutoff);
    for &w in &inputs.names.order {
        for spell in &inputs.roster.spells[w as usize] {
            if let Some((first, stop, separated)) = spell_months(spell, cutoff, window) {
                for month in first..=stop {
                    visit(w, spell, month, separated && month == stop);
                }
            }
        }
    }
}

/// Fits the hazard model on the training months of `cutoff`.
pub fn fit(inputs: &RiskInputs<'_>, cutoff: Day) -> Result<Model, FitError> {
    let offices = inputs.standards.len();
    let started = std::time::Instant::now();
    let first_session = first_session_by(inputs.facts, cutoff);
    let mut training = Training::default();
    let window = training_window(inputs, cutoff);
    for spell in inputs.roster.spells.iter().flatten() {
        if let Some((first, stop, separated)) = spell_months(spell, cutoff, window) {
            training.months += (stop - first + 1) as u64;
            training.events += u64::from(separated);
        }
    }
    if training.events == 0 || training.events == training.months {
        return Ok(Model {
            coefficients: None,
            constant: if training.events == 0 { 0.0 } else { 1.0 },
            offices,
            training,
        });
    }
    let non_events = (training.months - training.events) as f64;
    let wanted = (NON_EVENTS_PER_EVENT * training.events as f64).max(MIN_NON_EVENTS);
    training.share_kept = (wanted / non_events).min(1.0);
    let mut design = Sparse {
        dense: Vec::new(),
        office: Vec::new(),
        offices,
    };
    let (mut y, mut weights) = (Vec::new(), Vec::new());
    let ids = &inputs.roster.worker_ids;
    let mut hashed = (u32::MAX, 0u64);
    training_months(inputs, cutoff, |w, spell, month, separated| {
        if hashed.0 != w {
            hashed = (w, id_hash(&ids[w as usize]));
        }
        if !separated && sample_draw(hashed.1, month) >= training.share_kept {
            return;
        }
        let day_before = Day::from_month_index(month).add_days(-1);
        let f = features(inputs, w, spell, day_before, first_session);
        design.dense.extend_from_slice(&f.dense(f.tenure_days));
        design.office.push(f.office);
        y.push(f64::from(u8::from(separated)));
        weights.push(if separated {
            1.0
        } else {
            1.0 / training.share_kept
        });
    });
    training.kept = y.len() as u64;
    let built = started.elapsed();
    let mut penalties = vec![1.0; DENSE + offices];
    penalties[0] = 0.0;
    penalties[DENSE..].fill(OFFICE_PENALTY);
    // The intercept starts at the logit of the monthly separation rate.
    let rate = training.events as f64 / training.months as f64;
    let options = Options {
        ridge: RIDGE,
        penalties,
        max_iterations: 30,
        tolerance: 1e-7,
        start: vec![(rate / (1.0 - rate)).ln()],
    };
    let fitted = logistic::fit_design(&design, &y, Some(&weights), &options)?;
    training.iterations = fitted.iterations;
    tracing::debug!(
        cutoff = %cutoff,
        design_ms = built.as_millis() as u64,
        fit_ms = (started.elapsed() - built).as_millis() as u64,
        "risk model design built and fitted"
    );
    Ok(Model {
        coefficients: Some(fitted.coefficients),
        constant: 0.0,
        offices,
        training,
    })
}

/// The earliest supervision session dated on or before the cutoff.
fn first_session_by(facts: &WorkerFacts, cutoff: Day) -> Option<Day> {
    facts
        .sessions
        .all()
        .iter()
        .map(|s| s.day)
        .filter(|d| *d <= cutoff)
        .min()
}

/// One worker predicted on the cutoff.
#[derive(Debug, Clone, Copy)]
pub struct Predicted {
    /// Worker index.
    pub worker: u32,
    /// The features on the cutoff.
    pub features: Features,
    /// Tenure in days on the cutoff (for the tenure band).
    pub tenure_on_cutoff: i32,
    /// p_separation_12m.
    pub p: f64,
    /// Whether the spell containing the cutoff ended with a termination dated after it
    /// (the backtest's event; read from the whole history, as-of bounding it).
    pub separated_after: bool,
}

/// Every worker employed on the cutoff whose spell does not end on it, in worker key
/// order, with their features and probability.
pub fn predict(inputs: &RiskInputs<'_>, model: &Model, cutoff: Day) -> Vec<Predicted> {
    let first_session = first_session_by(inputs.facts, cutoff);
    let mut out = Vec::new();
    for &w in &inputs.names.order {
        let Some(spell) = inputs.roster.spell_on(w, cutoff) else {
            continue;
        };
        if spell.end == Some(cutoff) {
            continue;
        }
        let features = features(inputs, w, spell, cutoff, first_session);
        out.push(Predicted {
            worker: w,
            features,
            tenure_on_cutoff: cutoff.0 - spell.start.0,
            p: model.p_12m(&features),
            separated_after: spell.end.is_some(),
        });
    }
    out
}

/// Enough history for a backtest: at least 12 calendar months ending on or before the
/// cutoff hold a day on which some worker was employed.
pub fn months_with_staff(roster: &Roster, cutoff: Day) -> usize {
    let last = last_complete_month_start(cutoff).month_index();
    let mut covered: Vec<(i32, i32)> = roster
        .spells
        .iter()
        .flatten()
        .filter(|s| s.start <= cutoff)
        .map(|s| {
            let end = end_by(s, cutoff).unwrap_or(cutoff);
            (s.start.month_index(), end.month_index().min(last))
        })
        .filter(|(a, b)| a <= b)
        .collect();
    covered.sort_unstable();
    let (mut count, mut reach) = (0usize, i32::MIN);
    for (a, b) in covered {
        let from = a.max(reach.saturating_add(1));
        if from <= b {
            count += (b - from + 1) as usize;
        }
        reach = reach.max(b);
    }
    count
}

/// Calibration by decile of p: (workers, mean p, share with an event), lowest decile
/// first (workers sorted by p, then cut into ten groups as equal as can be).
pub fn deciles(predicted: &[Predicted]) -> Vec<(usize, f64, f64)> {
    let mut sorted: Vec<(f64, bool)> = predicted.iter().map(|w| (w.p, w.separated_after)).collect();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
    let n = sorted.len();
    (0..10)
        .map(|d| &sorted[d * n / 10..(d + 1) * n / 10])
        .filter(|g| !g.is_empty())
        .map(|g| {
            let k = g.len() as f64;
            let p = g.iter().map(|w| w.0).sum::<f64>() / k;
            let events = g.iter().filter(|w| w.1).count() as f64;
            (g.len(), p, events / k)
        })
        .collect()
}

/// The median of the values present (the mean of the two middle ones when even).
pub fn median(values: impl Iterator<Item = f64>) -> Option<f64> {
    let mut v: Vec<f64> = values.collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> Day {
        Day::from_ymd(y, m, d).unwrap()
    }

    fn spell(start: Day, end: Option<Day>) -> Spell {
        use retention_contract::Sym;
        use retention_contract::history::Segment;
        Spell {
            start,
            end,
            end_reason: end.map(|_| retention_contract::TermReason::Voluntary),
            segments: vec![Segment {
                from: start,
                office: Sym(0),
                role: Role::Caseworker,
                fte: 1.0,
            }],
        }
    }

    /// The training months by hand. Worker 0 (hired Jan 15, left Apr 10) is at risk in
    /// February, March and April, and separates in April; worker 1 (hired Mar 1, the day
    /// before April's 1st is the first one employed) in April to June; worker 2 (May 1 to
    /// May 31) never, since the day before June's 1st is its last. A cutoff of June 15
    /// leaves June out: its outcome is not known yet.
    #[test]
    fn training_months_and_their_labels_by_hand() {
        let roster = Roster::new(
            vec!["W0".into(), "W1".into(), "W2".into()],
            vec![
                vec![spell(day(2025, 1, 15), Some(day(2025, 4, 10)))],
                vec![spell(day(2025, 3, 1), None)],
                vec![spell(day(2025, 5, 1), Some(day(2025, 5, 31)))],
            ],
        );
        let names = Pseudonyms {
            keys: vec!["a".into(), "b".into(), "c".into()],
            order: vec![0, 1, 2],
        };
        let facts = WorkerFacts {
            snapshots: ByWorker::new(3, std::iter::empty),
            sessions: ByWorker::new(3, std::iter::empty),
            enrollments: ByWorker::new(3, std::iter::empty),
        };
        let surveys = ByWorker::new(3, std::iter::empty);
        let inputs = RiskInputs {
            roster: &roster,
            names: &names,
            standards: &[10],
            facts: &facts,
            surveys: &surveys,
            history_months: 120,
            supervision_minutes: 240,
            supervision_individual_minutes: 120,
        };
        let months = |cutoff: Day| {
            let mut seen = Vec::new();
            training_months(&inputs, cutoff, |w, _, month, separated| {
                seen.push((w, Day::from_month_index(month).ymd().1, separated))
            });
            seen
        };
        assert_eq!(
            months(day(2025, 6, 30)),
            [
                (0, 2, false),
                (0, 3, false),
                (0, 4, true),
                (1, 4, false),
                (1, 5, false),
                (1, 6, false)
            ]
        );
        assert_eq!(months(day(2025, 6, 15)).len(), 5);
        // With the cutoff before April 10, worker 0's spell reads as open.
        assert!(months(day(2025, 3, 31)).iter().all(|m| !m.2));
        // Months with someone employed: January to June.
        assert_eq!(months_with_staff(&roster, day(2025, 6, 30)), 6);
        assert_eq!(months_with_staff(&roster, day(2025, 6, 29)), 5);
        // Features on a day: tenure is the days from the spell's start to it.
        let f = features(&inputs, 1, &roster.spells[1][0], day(2025, 3, 31), None);
        assert_eq!(f.tenure_days, 30);
        assert_eq!(
            (f.caseload_ratio, f.supervision, f.in_program),
            (None, None, false)
        );
    }

    /// One worker's features on 2025-03-31 by hand (a half-time caseworker of an office
    /// whose standard is 10 cases):
    /// - caseload: the latest snapshot in [Feb 25, Mar 31] is Mar 10 with 7 cases, so
    ///   7 / (10 x 0.5) = 1.4 (the Feb 1 snapshot, 20 cases, is older);
    /// - supervision: March holds 180 INDIVIDUAL and 60 GROUP minutes, 240 and 180, both
    ///   at the policy: compliant, 4 hours; February and January hold none: 1 of 3 months;
    /// - scores: sts_total and brs_mean from Feb 1, proqol_bo from Mar 15 (each the latest
    ///   response with that score); the Apr 2 response is after the day;
    /// - programs: one ended Feb 20 (completed), one started Mar 1 with no end (in one).
    ///
    /// Staffing on 2025-03-31 counts the 7 cases; on Apr 20 the snapshot is 41 days old.
    #[test]
    fn features_and_staffing_on_a_day_by_hand() {
        use crate::derive::ScoredResponse;
        use retention_contract::Sym;
        use retention_contract::history::Segment;
        let start = day(2025, 1, 1);
        let roster = Roster::new(
            vec!["W0".into()],
            vec![vec![Spell {
                start,
                end: None,
                end_reason: None,
                segments: vec![Segment {
                    from: start,
                    office: Sym(0),
                    role: Role::Caseworker,
                    fte: 0.5,
                }],
            }]],
        );
        let names = Pseudonyms {
            keys: vec!["a".into()],
            order: vec![0],
        };
        let snapshots = [(day(2025, 2, 1), 20u16), (day(2025, 3, 10), 7)];
        let sessions = [
            Session {
                day: day(2025, 3, 5),
                minutes: 180,
                individual: true,
                retention: false,
            },
            Session {
                day: day(2025, 3, 20),
                minutes: 60,
                individual: false,
                retention: true,
            },
        ];
        let enrollments = [
            (day(2025, 1, 10), Some(day(2025, 2, 20))),
            (day(2025, 3, 1), None),
        ];
        let responses = [
            ScoredResponse {
                date: day(2025, 2, 1),
                rank: 0,
                values: [Some(35.0), None, Some(2.5)],
            },
            ScoredResponse {
                date: day(2025, 3, 15),
                rank: 1,
                values: [None, Some(30.0), None],
            },
            ScoredResponse {
                date: day(2025, 4, 2),
                rank: 2,
                values: [Some(50.0), Some(50.0), Some(1.0)],
            },
        ];
        let facts = WorkerFacts {
            snapshots: ByWorker::new(1, || snapshots.iter().map(|s| (0, *s))),
            sessions: ByWorker::new(1, || sessions.iter().map(|s| (0, *s))),
            enrollments: ByWorker::new(1, || enrollments.iter().map(|e| (0, *e))),
        };
        let surveys = ByWorker::new(1, || responses.iter().map(|r| (0, *r)));
        let inputs = RiskInputs {
            roster: &roster,
            names: &names,
            standards: &[10],
            facts: &facts,
            surveys: &surveys,
            history_months: 120,
            supervision_minutes: 240,
            supervision_individual_minutes: 120,
        };
        let d = day(2025, 3, 31);
        let f = features(&inputs, 0, &roster.spells[0][0], d, Some(start));
        assert_eq!(f.tenure_days, 89);
        assert!((f.caseload_ratio.unwrap() - 1.4).abs() < 1e-12);
        assert_eq!(f.supervision, Some((true, 1, 4.0)));
        assert_eq!(f.scores, [Some(35.0), Some(30.0), Some(2.5)]);
        assert!(f.in_program && f.completed_program);
        // Before the supervision extract's first month, supervision is unknown.
        let late = features(&inputs, 0, &roster.spells[0][0], d, Some(day(2025, 4, 1)));
        assert_eq!(late.supervision, None);

        let staffing = |as_of: Day| crate::stage::model::staffing(&inputs, &[], as_of, 1)[0];
        let on = staffing(d);
        assert_eq!((on.headcount, on.fte, on.active_cases), (1, 0.5, 7));
        assert_eq!(staffing(day(2025, 4, 20)).active_cases, 0);
    }

    #[test]
    fn month_windows_are_calendar_months_at_a_month_end() {
        let d = Day::from_ymd(2026, 3, 31).unwrap();
        assert_eq!(month_window(d, 0), (Day::from_ymd(2026, 3, 1).unwrap(), d));
        assert_eq!(
            month_window(d, 1),
            (
                Day::from_ymd(2026, 2, 1).unwrap(),
                Day::from_ymd(2026, 2, 28).unwrap()
            )
        );
        let d = Day::from_ymd(2026, 3, 15).unwrap();
        assert_eq!(month_window(d, 0), (Day::from_ymd(2026, 2, 16).unwrap(), d));
        assert_eq!(
            month_window(d, 2),
            (
                Day::from_ymd(2025, 12, 16).unwrap(),
                Day::from_ymd(2026, 1, 15).unwrap()
            )
        );
    }

    #[test]
    fn deciles_by_hand() {
        let f = Features {
            tenure_days: 1,
            role: Role::Caseworker,
            fte: 1.0,
            office: 0,
            caseload_ratio: None,
            supervision: None,
            scores: [None; 3],
            in_program: false,
            completed_program: false,
        };
        // p = 0.00, 0.05, ..., 0.95; every fourth worker separated.
        let workers: Vec<Predicted> = (0..20)
            .map(|i| Predicted {
                worker: i,
                features: f,
                tenure_on_cutoff: 0,
                p: f64::from(19 - i) * 0.05,
                separated_after: i % 4 == 0,
            })
            .collect();
        let d = deciles(&workers);
        assert_eq!(d.len(), 10);
        // The lowest decile holds p 0.00 and 0.05 (workers 19 and 18): neither separated.
        assert_eq!(d[0].0, 2);
        assert!((d[0].1 - 0.025).abs() < 1e-12 && d[0].2 == 0.0);
        // The highest holds workers 0 and 1 (p 0.95, 0.90): one of two separated.
        assert!((d[9].1 - 0.925).abs() < 1e-12 && d[9].2 == 0.5);
    }

    #[test]
    fn medians_by_hand() {
        assert_eq!(median([3.0, 1.0, 2.0].into_iter()), Some(2.0));
        assert_eq!(median([4.0, 1.0, 2.0, 3.0].into_iter()), Some(2.5));
        assert_eq!(median(std::iter::empty()), None);
    }

    #[test]
    fn the_sample_draw_is_stable_and_spread() {
        let h = id_hash("W1");
        assert_eq!(sample_draw(h, 24300), sample_draw(id_hash("W1"), 24300));
        assert_ne!(sample_draw(h, 24300), sample_draw(id_hash("W2"), 24300));
        let draws: Vec<f64> = (0..1000).map(|m| sample_draw(h, m)).collect();
        let below_half = draws.iter().filter(|d| **d < 0.5).count();
        assert!((400..600).contains(&below_half), "{below_half}");
        assert!(draws.iter().all(|d| (0.0..1.0).contains(d)));
    }

    fn features_with(ratio: Option<f64>, scores: [Option<f64>; 3]) -> Features {
        Features {
            tenure_days: 100,
            role: Role::Caseworker,
            fte: 1.0,
            office: 0,
            caseload_ratio: ratio,
            supervision: Some((false, 1, 2.0)),
            scores,
            in_program: false,
            completed_program: false,
        }
    }

    #[test]
    fn scenarios_change_only_their_driver() {
        let f = features_with(Some(1.4), [Some(40.0), Some(20.0), Some(2.5)]);
        let medians = [Some(30.0), Some(25.0), Some(3.0)];
        let c = Driver::Caseload.apply(&f, &medians, 4.0);
        assert_eq!(c.caseload_ratio, Some(1.0));
        assert_eq!((c.scores, c.supervision), (f.scores, f.supervision));
        let s = Driver::Supervision.apply(&f, &medians, 4.0);
        assert_eq!(s.supervision, Some((true, 3, 4.0)));
        // For every worker: one outside the supervision extract is compliant too.
        let mut outside = f;
        outside.supervision = None;
        let s = Driver::Supervision.apply(&outside, &medians, 4.0);
        assert_eq!(s.supervision, Some((true, 3, 4.0)));
        let w = Driver::Wellbeing.apply(&f, &medians, 4.0);
        // sts lowered to the median, burnout already below it, resilience raised.
        assert_eq!(w.scores, [Some(30.0), Some(20.0), Some(3.0)]);
        let p = Driver::Program.apply(&f, &medians, 4.0);
        assert!(p.in_program && p.caseload_ratio == f.caseload_ratio);
        // Missing values stay missing.
        let none = features_with(None, [None; 3]);
        assert_eq!(Driver::Caseload.apply(&none, &medians, 4.0), none);
        assert_eq!(Driver::Wellbeing.apply(&none, &medians, 4.0), none);
        // No fit: a constant monthly hazard.
        let constant = Model {
            coefficients: None,
            constant: 1.0,
            offices: 1,
            training: Training::default(),
        };
        assert_eq!(constant.p_12m(&none), 1.0);
    }

    #[test]
    fn the_12_month_probability_compounds_monthly_hazards() {
        // Intercept only: a constant monthly hazard h gives 1 - (1 - h)^12.
        let mut beta = vec![0.0; DENSE + 1];
        beta[0] = (0.02_f64 / 0.98).ln();
        let model = Model {
            coefficients: Some(beta.clone()),
            constant: 0.0,
            offices: 1,
            training: Training::default(),
        };
        let f = features_with(None, [None; 3]);
        let expected = 1.0 - 0.98_f64.powi(12);
        assert!((model.p_12m(&f) - expected).abs() < 1e-12);
        // A step at 6 months: a worker 100 days in crosses it after 3 months (100 + 3 x
        // 30.44 = 191 days), so 3 months at h and 9 at the higher hazard.
        beta[TENURE] = 1.0;
        let model = Model {
            coefficients: Some(beta),
            constant: 0.0,
            offices: 1,
            training: Training::default(),
        };
        let high = logistic::sigmoid((0.02_f64 / 0.98).ln() + 1.0);
        let expected = 1.0 - 0.98_f64.powi(3) * (1.0 - high).powi(9);
        assert!((model.p_12m(&f) - expected).abs() < 1e-12);
        assert!((model.hazard(&f, 200) - high).abs() < 1e-15);
    }
}
