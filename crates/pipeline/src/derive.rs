//! Derived facts of CONTRACT.md sections 3 and 4, computed in Rust from the replayed
//! spells: `worker_spells`, `survey_scores` and `worker_months`. These are procedural
//! (walking each worker's spells day range by day range) and would be awkward and slow
//! as SQL; the indicator layers built on them are SQL.
//!
//! Every output is sorted (by worker_key, then date or spell; survey scores by
//! response_id), so a rerun over the same inputs writes the same rows in the same order.

use arrow::array::{
    ArrayRef, BooleanBuilder, Date32Builder, Float64Builder, Int64Builder, RecordBatch,
    StringBuilder,
};
use arrow::datatypes::{DataType, Field, Schema};
use hmac::{Hmac, Mac};
use retention_contract::rows::{EnrollmentRow, SessionRow, SnapshotRow, SurveyRow};
use retention_contract::scoring::{self, SCALES, idx};
use retention_contract::{Day, Focus, Instrument, Role, SessionFormat, TenureBand, TermReason};
use retention_ingest::{OfficeSet, Outcome, Roster};
use sha2::Sha256;
use std::sync::Arc;

/// The first 16 lowercase hex digits of HMAC-SHA256(key, message).
fn hmac16(key: &[u8], message: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(message);
    hex::encode(&mac.finalize().into_bytes()[..8])
}

/// The first 16 lowercase hex digits of HMAC-SHA256(key, worker_id) (section 3).
pub fn worker_key(key: &[u8], worker_id: &str) -> String {
    hmac16(key, worker_id.as_bytes())
}

/// The key's fingerprint, recorded in every manifest so that a changed key is noticed
/// (section 2): HMAC-SHA256(key, `retention key fingerprint`), 16 hex digits.
pub fn key_fingerprint(key: &[u8]) -> String {
    hmac16(key, b"retention key fingerprint")
}

/// Pseudonyms of every roster worker, and the worker order sorted by pseudonym.
pub struct Pseudonyms {
    /// worker_key by worker index.
    pub keys: Vec<String>,
    /// Worker indexes sorted by worker_key.
    pub order: Vec<u32>,
}

impl Pseudonyms {
    /// Computes every worker's key.
    pub fn new(roster: &Roster, key: &[u8]) -> Pseudonyms {
        let keys: Vec<String> = roster
            .worker_ids
            .iter()
            .map(|id| worker_key(key, id))
            .collect();
        let mut order: Vec<u32> = (0..keys.len() as u32).collect();
        order.sort_by(|&a, &b| keys[a as usize].cmp(&keys[b as usize]).then(a.cmp(&b)));
        Pseudonyms { keys, order }
    }
}

/// Rows grouped by worker index (compressed-sparse-row layout: worker w's items are
/// `items[offsets[w]..offsets[w + 1]]`), built by a counting sort in two linear passes.
pub struct ByWorker<T> {
    offsets: Vec<usize>,
    items: Vec<T>,
}

impl<T: Copy> ByWorker<T> {
    /// Groups `(worker, item)` pairs produced twice by `pairs`.
    pub fn new<I: Iterator<Item = (u32, T)>>(workers: usize, pairs: impl Fn() -> I) -> ByWorker<T> {
        let mut offsets = vec![0usize; workers + 1];
        let mut count = 0usize;
        for (w, _) in pairs() {
            offsets[w as usize + 1] += 1;
            count += 1;
        }
        for w in 0..workers {
            offsets[w + 1] += offsets[w];
        }
        let mut next = offsets.clone();
        // Every slot is overwritten below; the first item only fills them meanwhile
        // (one allocation, where `Option`s would cost a second one to unwrap).
        let mut items = match pairs().next() {
            Some((_, first)) => vec![first; count],
            None => Vec::new(),
        };
        for (w, item) in pairs() {
            items[next[w as usize]] = item;
            next[w as usize] += 1;
        }
        debug_assert!((0..workers).all(|w| next[w] == offsets[w + 1]));
        ByWorker { offsets, items }
    }

    /// Sorts each worker's items.
    pub fn sort_each_by_key<K: Ord>(&mut self, key: impl Fn(&T) -> K) {
        for w in 0..self.offsets.len() - 1 {
            let (a, b) = (self.offsets[w], self.offsets[w + 1]);
            self.items[a..b].sort_by_key(&key);
        }
    }

    /// Every worker's items, worker after worker.
    pub fn all(&self) -> &[T] {
        &self.items
    }

    /// Items of worker `w`.
    pub fn of(&self, w: u32) -> &[T] {
        &self.items[self.offsets[w as usize]..self.offsets[w as usize + 1]]
    }
}

fn utf8(name: &str, nullable: bool) -> Field {
    Field::new(name, DataType::Utf8, nullable)
}

fn batch(fields: Vec<Field>, columns: Vec<ArrayRef>) -> RecordBatch {
    RecordBatch::try_new(Arc::new(Schema::new(fields)), columns)
        .expect("columns match their schema")
}

/// Tenure band on `day` of a spell that started on `start`.
fn band(start: Day, day: Day) -> &'static str {
    TenureBand::from_tenure_days(day.0 - start.0).label()
}

/// `worker_spells`: one row per spell, every spell whatever its start date.
pub fn worker_spells(
    roster: &Roster,
    names: &Pseudonyms,
    offices: &OfficeSet,
    as_of: Day,
) -> RecordBatch {
    let mut key = StringBuilder::new();
    let mut spell_no = Int64Builder::new();
    let mut start = Date32Builder::new();
    let mut end = Date32Builder::new();
    let mut reason = StringBuilder::new();
    let mut office = StringBuilder::new();
    let mut role = StringBuilder::new();
    let mut duration = Int64Builder::new();
    let mut censored = BooleanBuilder::new();
    for &w in &names.order {
        for (n, spell) in roster.spells[w as usize].iter().enumerate() {
            key.append_value(&names.keys[w as usize]);
            spell_no.append_value(n as i64 + 1);
            start.append_value(spell.start.0);
            end.append_option(spell.end.map(|e| e.0));
            reason.append_option(spell.end_reason.map(TermReason::code));
            let first = spell.segments[0];
            office.append_value(&offices.ids[first.office.0 as usize]);
            role.append_value(first.role.code());
            duration.append_value(spell.duration_days(as_of));
            censored.append_value(spell.end.is_none());
        }
    }
    batch(
        vec![
            utf8("worker_key", false),
            Field::new("spell_no", DataType::Int64, false),
            Field::new("start_date", DataType::Date32, false),
            Field::new("end_date", DataType::Date32, true),
            utf8("end_reason", true),
            utf8("start_office_id", false),
            utf8("start_role", false),
            Field::new("duration_days", DataType::Int64, false),
            Field::new("censored", DataType::Boolean, false),
        ],
        vec![
            Arc::new(key.finish()),
            Arc::new(spell_no.finish()),
            Arc::new(start.finish()),
            Arc::new(end.finish()),
            Arc::new(reason.finish()),
            Arc::new(office.finish()),
            Arc::new(role.finish()),
            Arc::new(duration.finish()),
            Arc::new(censored.finish()),
        ],
    )
}

/// One scored response, as worker_months needs it.
#[derive(Debug, Clone, Copy)]
pub struct ScoredResponse {
    /// administered_on
    pub date: Day,
    /// Position of the response in byte order of response_id (for tie-breaks).
    pub rank: u32,
    /// sts_total, proqol_bo, brs_mean
    pub values: [Option<f64>; 3],
}

/// `survey_scores` (one row per accepted response_id, sorted by response_id) and each
/// worker's scored responses sorted by (administered_on, response_id).
pub fn survey_scores(
    survey: Option<&Outcome<SurveyRow>>,
    roster: &Roster,
    names: &Pseudonyms,
    offices: &OfficeSet,
) -> (RecordBatch, ByWorker<ScoredResponse>) {
    struct Response {
        id: u32,
        worker: u32,
        date: Day,
        instrument: Instrument,
        answered: u8,
        answers: [u8; 31],
    }
    let mut responses: Vec<Response> = Vec::new();
    if let Some(survey) = survey {
        let mut slot_of = vec![u32::MAX; survey.ids.len()];
        for row in &survey.accepted {
            let slot = &mut slot_of[row.response.0 as usize];
            if *slot == u32::MAX {
                *slot = responses.len() as u32;
                responses.push(Response {
                    id: row.response.0,
                    worker: survey.worker(row.worker),
                    date: row.date,
                    instrument: row.instrument,
                    answered: 0,
                    answers: [0; 31],
                });
            }
            let r = &mut responses[*slot as usize];
            r.answers[row.item as usize] = row.value;
            r.answered += 1;
        }
        responses.sort_by(|a, b| {
            survey
                .ids
                .resolve(retention_contract::Sym(a.id))
                .cmp(survey.ids.resolve(retention_contract::Sym(b.id)))
        });
    }
    let resolve = |id: u32| {
        survey
            .expect("responses come from the survey")
            .ids
            .resolve(retention_contract::Sym(id))
    };

    let mut response_id = StringBuilder::new();
    let mut key = StringBuilder::new();
    let mut date = Date32Builder::new();
    let mut instrument = StringBuilder::new();
    let mut office = StringBuilder::new();
    let mut tenure = StringBuilder::new();
    let mut answered = Int64Builder::new();
    let mut scales: Vec<Float64Builder> = SCALES.iter().map(|_| Float64Builder::new()).collect();
    let mut bands: Vec<StringBuilder> = (0..5).map(|_| StringBuilder::new()).collect();
    let mut scored = Vec::with_capacity(responses.len());
    for (rank, r) in responses.iter().enumerate() {
        let spell = roster
            .spell_on(r.worker, r.date)
            .expect("rule 15 placed the response in a spell");
        let s = scoring::score(r.instrument, &r.answers);
        response_id.append_value(resolve(r.id));
        key.append_value(&names.keys[r.worker as usize]);
        date.append_value(r.date.0);
        instrument.append_value(r.instrument.code());
        office.append_value(&offices.ids[spell.segment_on(r.date).office.0 as usize]);
        tenure.append_value(band(spell.start, r.date));
        answered.append_value(i64::from(r.answered));
        for (builder, value) in scales.iter_mut().zip(s.values) {
            builder.append_option(value);
        }
        bands[0].append_option(s.values[idx::STS_TOTAL].map(scoring::sts_band));
        bands[1].append_option(s.values[idx::PROQOL_CS].map(scoring::proqol_band));
        bands[2].append_option(s.values[idx::PROQOL_BO].map(scoring::proqol_band));
        bands[3].append_option(s.values[idx::PROQOL_STS].map(scoring::proqol_band));
        bands[4].append_option(s.values[idx::BRS_MEAN].map(scoring::brs_band));
        scored.push((
            r.worker,
            ScoredResponse {
                date: r.date,
                rank: rank as u32,
                values: [
                    s.values[idx::STS_TOTAL],
                    s.values[idx::PROQOL_BO],
                    s.values[idx::BRS_MEAN],
                ],
            },
        ));
    }
    let mut fields = vec![
        utf8("response_id", false),
        utf8("worker_key", false),
        Field::new("administered_on", DataType::Date32, false),
        utf8("instrument", false),
        utf8("office_id", false),
        utf8("tenure_band", false),
        Field::new("items_answered", DataType::Int64, false),
    ];
    fields.extend(
        SCALES
            .iter()
            .map(|s| Field::new(s.name, DataType::Float64, true)),
    );
    fields.extend(
        [
            "sts_band",
            "proqol_cs_band",
            "proqol_bo_band",
            "proqol_sts_band",
            "brs_band",
        ]
        .map(|n| utf8(n, true)),
    );
    let mut columns: Vec<ArrayRef> = vec![
        Arc::new(response_id.finish()),
        Arc::new(key.finish()),
        Arc::new(date.finish()),
        Arc::new(instrument.finish()),
        Arc::new(office.finish()),
        Arc::new(tenure.finish()),
        Arc::new(answered.finish()),
    ];
    columns.extend(scales.iter_mut().map(|b| Arc::new(b.finish()) as ArrayRef));
    columns.extend(bands.iter_mut().map(|b| Arc::new(b.finish()) as ArrayRef));

    let mut by_worker = ByWorker::new(roster.len(), || scored.iter().copied());
    by_worker.sort_each_by_key(|r| (r.date, r.rank));
    (batch(fields, columns), by_worker)
}

/// One accepted supervision session of a worker: what the monthly supervision sums need.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Session {
    /// session_date
    pub day: Day,
    /// minutes
    pub minutes: u16,
    /// format is INDIVIDUAL
    pub individual: bool,
    /// focus is RETENTION (a missing focus is not)
    pub retention: bool,
}

/// Accepted rows of the worker-linked sources, grouped by worker.
pub struct WorkerFacts {
    /// (snapshot_date, active_cases), by date
    pub snapshots: ByWorker<(Day, u16)>,
    /// supervision sessions, by date
    pub sessions: ByWorker<Session>,
    /// (start_date, end_date)
    pub enrollments: ByWorker<(Day, Option<Day>)>,
}

impl WorkerFacts {
    /// Each worker's accepted snapshots, sorted by date (absent source: none).
    pub fn snapshots(workers: usize, o: Option<&Outcome<SnapshotRow>>) -> ByWorker<(Day, u16)> {
        let mut by_worker = ByWorker::new(workers, || {
            o.into_iter().flat_map(|o| {
                o.accepted
                    .iter()
                    .map(move |r| (o.worker(r.worker), (r.date, r.active_cases)))
            })
        });
        by_worker.sort_each_by_key(|s| s.0);
        by_worker
    }

    /// Each worker's accepted sessions, sorted by date (absent source: none).
    pub fn sessions(workers: usize, o: Option<&Outcome<SessionRow>>) -> ByWorker<Session> {
        let mut by_worker = ByWorker::new(workers, || {
            o.into_iter().flat_map(|o| {
                o.accepted.iter().map(move |r| {
                    (
                        o.worker(r.worker),
                        Session {
                            day: r.date,
                            minutes: r.minutes,
                            individual: r.format == SessionFormat::Individual,
                            retention: r.focus == Some(Focus::Retention),
                        },
                    )
                })
            })
        });
        by_worker.sort_each_by_key(|s| s.day);
        by_worker
    }

    /// Each worker's accepted enrollments (absent source: none).
    pub fn enrollments(
        workers: usize,
        o: Option<&Outcome<EnrollmentRow>>,
    ) -> ByWorker<(Day, Option<Day>)> {
        ByWorker::new(workers, || {
            o.into_iter().flat_map(|o| {
                o.accepted
                    .iter()
                    .map(move |r| (o.worker(r.worker), (r.start, r.end)))
            })
        })
    }
}

/// One (month, office) of one worker while it is being accumulated.
#[derive(Debug, Clone)]
struct MonthCell {
    month: i32,
    office: u32,
    days: i32,
    last_day: Day,
    role: Role,
    fte: f64,
    spell_start: Day,
    separated: bool,
    separation_reason: Option<TermReason>,
    cases_sum: u64,
    cases_n: u32,
}

/// What `worker_months` is built from.
#[derive(Clone, Copy)]
pub struct MonthInputs<'a> {
    /// Workers and their spells.
    pub roster: &'a Roster,
    /// Worker keys, and the order of the rows.
    pub names: &'a Pseudonyms,
    /// Office ids.
    pub offices: &'a OfficeSet,
    /// Each worker's snapshots, sessions and enrollments.
    pub facts: &'a WorkerFacts,
    /// Each worker's scored survey responses.
    pub surveys: &'a ByWorker<ScoredResponse>,
    /// First day of the history window.
    pub window_start: Day,
    /// The run's as-of date.
    pub as_of: Day,
}

/// A column of the derived `worker_months` batches that the SQL stage reads but the
/// published table does not hold (CONTRACT.md section 4 lists its columns): the minutes
/// of the month's sessions whose focus is RETENTION, on the row that carries
/// `supervision_minutes` (null on the worker's other rows of the month), for section 5's
/// `retention_focus_share`.
pub const RETENTION_MINUTES: &str = "retention_minutes";

/// The published columns of a derived `worker_months` batch: all but [`RETENTION_MINUTES`].
pub fn published_months(batch: &RecordBatch) -> RecordBatch {
    let schema = batch.schema();
    let kept: Vec<usize> = (0..batch.num_columns())
        .filter(|&i| schema.field(i).name() != RETENTION_MINUTES)
        .collect();
    batch.project(&kept).expect("the kept columns exist")
}

/// `worker_months`: one row per worker, calendar month of the history window and office
/// in which the worker was employed at least one day of the month up to as-of, in worker
/// key order. Built in two batches, the first and second half of the workers, on two
/// threads (the table has millions of rows, and nothing else runs at that point); the
/// batches are written and read in order, as one table.
pub fn worker_months(inputs: &MonthInputs<'_>) -> Vec<RecordBatch> {
    let order = &inputs.names.order;
    let (first, second) = order.split_at(order.len() / 2);
    std::thread::scope(|scope| {
        let later = scope.spawn(|| worker_months_of(inputs, second));
        let earlier = worker_months_of(inputs, first);
        vec![
            earlier,
            later.join().expect("the worker_months thread panicked"),
        ]
    })
}

/// `worker_months` rows of `workers`, in that order.
fn worker_months_of(inputs: &MonthInputs<'_>, workers: &[u32]) -> RecordBatch {
    let MonthInputs {
        roster,
        names,
        offices,
        facts,
        surveys,
        window_start,
        as_of,
    } = *inputs;
    let mut key = StringBuilder::new();
    let mut month_col = Date32Builder::new();
    let mut office_col = StringBuilder::new();
    let mut role_col = StringBuilder::new();
    let mut band_col = StringBuilder::new();
    let mut fte_col = Float64Builder::new();
    let mut days_col = Int64Builder::new();
    let mut separated_col = BooleanBuilder::new();
    let mut reason_col = StringBuilder::new();
    let mut caseload_col = Float64Builder::new();
    let mut minutes_col = Int64Builder::new();
    let mut individual_col = Int64Builder::new();
    let mut retention_col = Int64Builder::new();
    let mut survey_cols: [Float64Builder; 3] = std::array::from_fn(|_| Float64Builder::new());
    let mut program_col = BooleanBuilder::new();

    let mut cells: Vec<MonthCell> = Vec::new();
    for &w in workers {
        cells.clear();
        let spells = &roster.spells[w as usize];
        for spell in spells {
            for (i, seg) in spell.segments.iter().enumerate() {
                let seg_last = spell.segment_last_day(i, as_of);
                let mut from = seg.from.max(window_start);
                while from <= seg_last {
                    let month_last = from.month_end().min(seg_last);
                    let month = from.month_index();
                    let days = month_last.0 - from.0 + 1;
                    let found = cells
                        .iter_mut()
                        .rev()
                        .take_while(|c| c.month == month)
                        .find(|c| c.office == seg.office.0);
                    let cell = match found {
                        Some(c) => c,
                        None => {
                            cells.push(MonthCell {
                                month,
                                office: seg.office.0,
                                days: 0,
                                last_day: month_last,
                                role: seg.role,
                                fte: seg.fte,
                                spell_start: spell.start,
                                separated: false,
                                separation_reason: None,
                                cases_sum: 0,
                                cases_n: 0,
                            });
                            cells.last_mut().expect("just pushed")
                        }
                    };
                    cell.days += days;
                    if month_last >= cell.last_day {
                        cell.last_day = month_last;
                        cell.role = seg.role;
                        cell.fte = seg.fte;
                        cell.spell_start = spell.start;
                    }
                    from = month_last.add_days(1);
                }
            }
            if let Some(end) = spell.end
                && end >= window_start
                && end <= as_of
            {
                let office = spell.segment_on(end).office.0;
                let month = end.month_index();
                if let Some(c) = cells
                    .iter_mut()
                    .find(|c| c.month == month && c.office == office)
                {
                    c.separated = true;
                    c.separation_reason = spell.end_reason;
                }
            }
        }
        if cells.is_empty() {
            continue;
        }
        cells.sort_by(|a, b| {
            a.month
                .cmp(&b.month)
                .then_with(|| offices.ids[a.office as usize].cmp(&offices.ids[b.office as usize]))
        });

        for &(day, cases) in facts.snapshots.of(w) {
            if day < window_start {
                continue;
            }
            let office = roster
                .office_on(w, day)
                .expect("rule 15 placed the snapshot in a spell");
            let month = day.month_index();
            let first = cells.partition_point(|c| c.month < month);
            if let Some(c) = cells[first..]
                .iter_mut()
                .take_while(|c| c.month == month)
                .find(|c| c.office == office)
            {
                c.cases_sum += u64::from(cases);
                c.cases_n += 1;
            }
        }

        let sessions = facts.sessions.of(w);
        let mut next_session = sessions.partition_point(|s| s.day < window_start);
        let enrollments = facts.enrollments.of(w);
        let responses = surveys.of(w);
        let mut next_response = 0usize;
        let mut latest: [Option<f64>; 3] = [None; 3];
        let mut i = 0;
        while i < cells.len() {
            let month = cells[i].month;
            let mut j = i;
            while j < cells.len() && cells[j].month == month {
                j += 1;
            }
            let month_start = Day::from_month_index(month);
            let month_end = month_start.month_end();
            let (mut minutes, mut individual, mut retention) = (0i64, 0i64, 0i64);
            while next_session < sessions.len() && sessions[next_session].day <= month_end {
                let s = sessions[next_session];
                if s.day >= month_start {
                    minutes += i64::from(s.minutes);
                    if s.individual {
                        individual += i64::from(s.minutes);
                    }
                    if s.retention {
                        retention += i64::from(s.minutes);
                    }
                }
                next_session += 1;
            }
            while next_response < responses.len() && responses[next_response].date <= month_end {
                for (slot, v) in latest.iter_mut().zip(responses[next_response].values) {
                    if v.is_some() {
                        *slot = v;
                    }
                }
                next_response += 1;
            }
            let in_program = enrollments
                .iter()
                .any(|&(s, e)| s <= month_end && e.is_none_or(|e| e >= month_start));
            let supervised = (i..j)
                .max_by_key(|&k| cells[k].last_day)
                .expect("a month has cells");
            for (k, c) in cells[i..j].iter().enumerate() {
                key.append_value(&names.keys[w as usize]);
                month_col.append_value(month_start.0);
                office_col.append_value(&offices.ids[c.office as usize]);
                role_col.append_value(c.role.code());
                band_col.append_value(band(c.spell_start, c.last_day));
                fte_col.append_value(c.fte);
                days_col.append_value(i64::from(c.days));
                separated_col.append_value(c.separated);
                reason_col.append_option(
                    c.separation_reason
                        .filter(|_| c.separated)
                        .map(TermReason::code),
                );
                caseload_col.append_option(
                    (c.cases_n > 0).then(|| c.cases_sum as f64 / f64::from(c.cases_n)),
                );
                let here = i + k == supervised;
                minutes_col.append_option(here.then_some(minutes));
                individual_col.append_option(here.then_some(individual));
                retention_col.append_option(here.then_some(retention));
                for (builder, v) in survey_cols.iter_mut().zip(latest) {
                    builder.append_option(v);
                }
                program_col.append_value(in_program);
            }
            i = j;
        }
    }
    let [mut sts, mut bo, mut brs] = survey_cols;
    batch(
        vec![
            utf8("worker_key", false),
            Field::new("month", DataType::Date32, false),
            utf8("office_id", false),
            utf8("role", false),
            utf8("tenure_band", false),
            Field::new("fte", DataType::Float64, false),
            Field::new("days_employed", DataType::Int64, false),
            Field::new("separated", DataType::Boolean, false),
            utf8("separation_reason", true),
            Field::new("caseload_mean", DataType::Float64, true),
            Field::new("supervision_minutes", DataType::Int64, true),
            Field::new("individual_minutes", DataType::Int64, true),
            Field::new("sts_total", DataType::Float64, true),
            Field::new("proqol_bo", DataType::Float64, true),
            Field::new("brs_mean", DataType::Float64, true),
            Field::new("in_program", DataType::Boolean, false),
            Field::new(RETENTION_MINUTES, DataType::Int64, true),
        ],
        vec![
            Arc::new(key.finish()),
            Arc::new(month_col.finish()),
            Arc::new(office_col.finish()),
            Arc::new(role_col.finish()),
            Arc::new(band_col.finish()),
            Arc::new(fte_col.finish()),
            Arc::new(days_col.finish()),
            Arc::new(separated_col.finish()),
            Arc::new(reason_col.finish()),
            Arc::new(caseload_col.finish()),
            Arc::new(minutes_col.finish()),
            Arc::new(individual_col.finish()),
            Arc::new(sts.finish()),
            Arc::new(bo.finish()),
            Arc::new(brs.finish()),
            Arc::new(program_col.finish()),
            Arc::new(retention_col.finish()),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::util::display::array_value_to_string;
    use retention_contract::Sym;
    use retention_contract::history::{Segment, Spell};

    fn day(y: i32, m: u32, d: u32) -> Day {
        Day::from_ymd(y, m, d).unwrap()
    }

    #[test]
    fn keys_and_the_fingerprint_by_hand() {
        // Python: hmac.new(b'test-key', msg, hashlib.sha256).hexdigest()[:16]
        assert_eq!(worker_key(b"test-key", "W1"), "ef7f416ddf8af4f1");
        assert_eq!(key_fingerprint(b"test-key"), "a9f55859462f4a48");
    }

    /// Worker W1: hired 2025-01-20 in office 0, transferred to office 1 on 2025-02-10 (as
    /// a supervisor at 0.5 fte), terminated 2025-03-05 (voluntary). Worker W2: hired
    /// 2024-12-30 in office 1, still employed.
    fn fixture() -> (Roster, OfficeSet) {
        let offices = OfficeSet::new(vec!["OFF0".into(), "OFF1".into()]);
        let seg = |from, office, role, fte| Segment {
            from,
            office: Sym(office),
            role,
            fte,
        };
        let w1 = Spell {
            start: day(2025, 1, 20),
            end: Some(day(2025, 3, 5)),
            end_reason: Some(TermReason::Voluntary),
            segments: vec![
                seg(day(2025, 1, 20), 0, Role::Caseworker, 1.0),
                seg(day(2025, 2, 10), 1, Role::Supervisor, 0.5),
            ],
        };
        let w2 = Spell {
            start: day(2024, 12, 30),
            end: None,
            end_reason: None,
            segments: vec![seg(day(2024, 12, 30), 1, Role::Caseworker, 1.0)],
        };
        let roster = Roster::new(vec!["W1".into(), "W2".into()], vec![vec![w1], vec![w2]]);
        (roster, offices)
    }

    fn rows(batch: &RecordBatch, columns: &[&str]) -> Vec<Vec<String>> {
        (0..batch.num_rows())
            .map(|r| {
                columns
                    .iter()
                    .map(|c| {
                        let col = batch.column_by_name(c).expect("column");
                        if col.is_null(r) {
                            "NULL".to_string()
                        } else {
                            array_value_to_string(col, r).unwrap()
                        }
                    })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn tenure_band_on_a_day_counts_from_the_spell_start() {
        let start = day(2025, 1, 1);
        assert_eq!(band(start, start), "00-06m");
        assert_eq!(band(start, Day(start.0 + 182)), "00-06m");
        assert_eq!(band(start, Day(start.0 + 183)), "06-12m");
        assert_eq!(band(start, Day(start.0 + 1826)), "05y+");
    }

    #[test]
    fn spells_by_hand() {
        let (roster, offices) = fixture();
        let names = Pseudonyms::new(&roster, b"k");
        let spells = worker_spells(&roster, &names, &offices, day(2025, 6, 30));
        let mut got = rows(
            &spells,
            &[
                "spell_no",
                "start_date",
                "end_date",
                "end_reason",
                "start_office_id",
                "start_role",
                "duration_days",
                "censored",
            ],
        );
        got.sort();
        let want = [
            // 2024-12-30 .. 2025-06-30 (as-of) inclusive: 2 + 181 days.
            [
                "1",
                "2024-12-30",
                "NULL",
                "NULL",
                "OFF1",
                "CASEWORKER",
                "183",
                "true",
            ],
            // 2025-01-20 .. 2025-03-05 inclusive: 12 + 28 + 5 days; the start's office and role.
            [
                "1",
                "2025-01-20",
                "2025-03-05",
                "VOLUNTARY",
                "OFF0",
                "CASEWORKER",
                "45",
                "false",
            ],
        ];
        assert_eq!(got, want.map(|r| r.map(String::from).to_vec()).to_vec());
        // Rows come in worker-key order.
        let keys = rows(&spells, &["worker_key"]);
        assert!(keys.windows(2).all(|w| w[0] <= w[1]));
    }

    #[test]
    fn months_split_at_transfers_and_end_on_the_separation() {
        let (roster, offices) = fixture();
        let names = Pseudonyms::new(&roster, b"k");
        let workers = roster.len();
        let facts = WorkerFacts {
            snapshots: WorkerFacts::snapshots(workers, None),
            sessions: WorkerFacts::sessions(workers, None),
            enrollments: WorkerFacts::enrollments(workers, None),
        };
        let surveys: ByWorker<ScoredResponse> =
            ByWorker::new(workers, std::iter::empty::<(u32, ScoredResponse)>);
        let months = worker_months(&MonthInputs {
            roster: &roster,
            names: &names,
            offices: &offices,
            facts: &facts,
            surveys: &surveys,
            window_start: day(2025, 1, 1),
            as_of: day(2025, 3, 31),
        });
        let w1 = &names.keys[0];
        let mut got: Vec<Vec<String>> = months
            .iter()
            .flat_map(|b| {
                rows(
                    b,
                    &[
                        "worker_key",
                        "month",
                        "office_id",
                        "role",
                        "fte",
                        "days_employed",
                        "separated",
                        "separation_reason",
                        "supervision_minutes",
                    ],
                )
            })
            .filter(|r| &r[0] == w1)
            .map(|r| r[1..].to_vec())
            .collect();
        got.sort();
        // The month's supervision minutes (0: no session) sit on one row of the month, the
        // office of the worker's last day in it; the worker's other rows of the month hold null.
        let want = [
            // January: the 20th to the 31st.
            [
                "2025-01-01",
                "OFF0",
                "CASEWORKER",
                "1.0",
                "12",
                "false",
                "NULL",
                "0",
            ],
            // February: the 1st to the 9th in OFF0, the 10th to the 28th in OFF1.
            [
                "2025-02-01",
                "OFF0",
                "CASEWORKER",
                "1.0",
                "9",
                "false",
                "NULL",
                "NULL",
            ],
            [
                "2025-02-01",
                "OFF1",
                "SUPERVISOR",
                "0.5",
                "19",
                "false",
                "NULL",
                "0",
            ],
            // March: the 1st to the 5th, separated in the office of the last day.
            [
                "2025-03-01",
                "OFF1",
                "SUPERVISOR",
                "0.5",
                "5",
                "true",
                "VOLUNTARY",
                "0",
            ],
        ];
        assert_eq!(got, want.map(|r| r.map(String::from).to_vec()).to_vec());
        // W2 is employed every day of the window: 31 + 28 + 31 days in one office.
        let w2_days: i64 = months
            .iter()
            .flat_map(|b| rows(b, &["worker_key", "days_employed"]))
            .filter(|r| r[0] == names.keys[1])
            .map(|r| r[1].parse::<i64>().unwrap())
            .sum();
        assert_eq!(w2_days, 90);
    }

    #[test]
    fn by_worker_groups_in_the_order_given() {
        let pairs = [(1u32, 'a'), (0, 'b'), (1, 'c'), (2, 'd'), (1, 'e')];
        let g = ByWorker::new(4, || pairs.iter().copied());
        assert_eq!(g.of(0), ['b']);
        assert_eq!(g.of(1), ['a', 'c', 'e']);
        assert_eq!(g.of(2), ['d']);
        assert!(g.of(3).is_empty());
    }
}
