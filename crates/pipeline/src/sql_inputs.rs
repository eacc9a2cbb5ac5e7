//! The relations the Rust stages hand to the SQL layers (`src_*`): reporting periods,
//! worker assignments as day ranges, the caseload snapshots placed and summed, and the
//! settings. Dates are day numbers (days since 1970-01-01), see `sql/README.md`. The
//! caseload sums carry the worker's index rather than its 16-character key: the table
//! has millions of rows and the key is not needed downstream.

use crate::config::Settings;
use crate::derive::{ByWorker, Pseudonyms};
use crate::run::RunRequest;
use crate::stage::derive::Derived;
use crate::stage::ingest::Checked;
use arrow::array::{
    ArrayRef, BooleanBuilder, Date32Builder, Float64Builder, Int32Builder, Int64Builder,
    RecordBatch, StringBuilder,
};
use arrow::datatypes::{DataType, Field, Schema};
use retention_contract::{Day, TenureBand};
use retention_ingest::{OfficeSet, Roster};
use std::sync::Arc;

fn batch(fields: Vec<Field>, columns: Vec<ArrayRef>) -> RecordBatch {
    RecordBatch::try_new(Arc::new(Schema::new(fields)), columns)
        .expect("columns match their schema")
}

/// `src_periods`: each month of the history window (ending on its last day or as-of),
/// and the trailing 12 months ending on as-of (CONTRACT.md section 5). A month also
/// carries its calendar month's last day, even past as-of (the trailing period: its
/// end), so that the SQL layers need no date arithmetic to tell a whole month.
pub fn periods(as_of: Day, history_months: u32) -> RecordBatch {
    let mut kind = StringBuilder::new();
    let (mut start, mut end) = (Date32Builder::new(), Date32Builder::new());
    let (mut start_day, mut end_day) = (Int32Builder::new(), Int32Builder::new());
    let mut calendar_end_day = Int32Builder::new();
    let mut days = Int64Builder::new();
    let mut push = |k: &str, s: Day, e: Day, calendar_end: Day| {
        kind.append_value(k);
        start.append_value(s.0);
        end.append_value(e.0);
        start_day.append_value(s.0);
        end_day.append_value(e.0);
        calendar_end_day.append_value(calendar_end.0);
        days.append_value(i64::from(e.0 - s.0 + 1));
    };
    let mut month = retention_contract::period::window_start(as_of, history_months);
    while month <= as_of {
        push(
            "month",
            month,
            month.month_end().min(as_of),
            month.month_end(),
        );
        month = month.add_months(1);
    }
    push(
        "trailing_12m",
        retention_contract::period::trailing_start(as_of),
        as_of,
        as_of,
    );
    batch(
        vec![
            Field::new("period_type", DataType::Utf8, false),
            Field::new("period_start", DataType::Date32, false),
            Field::new("period_end", DataType::Date32, false),
            Field::new("period_start_day", DataType::Int32, false),
            Field::new("period_end_day", DataType::Int32, false),
            Field::new("calendar_end_day", DataType::Int32, false),
            Field::new("days", DataType::Int64, false),
        ],
        vec![
            Arc::new(kind.finish()),
            Arc::new(start.finish()),
            Arc::new(end.finish()),
            Arc::new(start_day.finish()),
            Arc::new(end_day.finish()),
            Arc::new(calendar_end_day.finish()),
            Arc::new(days.finish()),
        ],
    )
}

/// `src_worker_band_ranges`: each assignment of `src_worker_segments` split by the tenure
/// band held on each of its days ([`TenureBand::ranges`], the contract's one definition
/// of the band on day d): the worker, spell, office, role and fte with the band and its
/// first and last day (`range_from`, `range_to`). Every SQL model that places a day in
/// an office and band joins these ranges.
///
/// Made from the segments batch rather than from the roster so that the SQL tests, whose
/// fixtures write `src_worker_segments` by hand, get their ranges from this same
/// function; the columns are cast to the types below first (a fixture's integers are
/// Int64).
pub fn worker_band_ranges(segments: &RecordBatch) -> RecordBatch {
    use arrow::array::AsArray;
    use arrow::datatypes::{Float64Type, Int32Type, Int64Type};
    let column = |name: &str, to: &DataType| {
        let c = segments
            .column_by_name(name)
            .unwrap_or_else(|| panic!("src_worker_segments has {name}"));
        assert_eq!(c.null_count(), 0, "src_worker_segments.{name} has no nulls");
        let strict = arrow::compute::CastOptions {
            safe: false,
            ..Default::default()
        };
        arrow::compute::cast_with_options(c, to, &strict)
            .unwrap_or_else(|e| panic!("src_worker_segments.{name} casts to {to} ({e})"))
    };
    let (worker, spell_no) = (
        column("worker", &DataType::Int32),
        column("spell_no", &DataType::Int64),
    );
    let (start, from, to) = (
        column("spell_start_day", &DataType::Int32),
        column("from_day", &DataType::Int32),
        column("to_day", &DataType::Int32),
    );
    let (key, office, role) = (
        column("worker_key", &DataType::Utf8),
        column("office_id", &DataType::Utf8),
        column("role", &DataType::Utf8),
    );
    let fte = column("fte", &DataType::Float64);
    let (worker, spell_no) = (
        worker.as_primitive::<Int32Type>(),
        spell_no.as_primitive::<Int64Type>(),
    );
    let (start, from, to) = (
        start.as_primitive::<Int32Type>(),
        from.as_primitive::<Int32Type>(),
        to.as_primitive::<Int32Type>(),
    );
    let (key, office, role) = (
        key.as_string::<i32>(),
        office.as_string::<i32>(),
        role.as_string::<i32>(),
    );
    let fte = fte.as_primitive::<Float64Type>();
    let n = segments.num_rows();
    let mut out_worker = Int32Builder::with_capacity(n * 2);
    let mut out_key = StringBuilder::new();
    let mut out_spell = Int64Builder::with_capacity(n * 2);
    let mut out_office = StringBuilder::new();
    let mut out_role = StringBuilder::new();
    let mut out_fte = Float64Builder::with_capacity(n * 2);
    let mut out_band = StringBuilder::new();
    let (mut out_from, mut out_to) = (
        Int32Builder::with_capacity(n * 2),
        Int32Builder::with_capacity(n * 2),
    );
    for i in 0..n {
        let ranges = TenureBand::ranges(Day(start.value(i)), Day(from.value(i)), Day(to.value(i)));
        for (band, first, last) in ranges {
            out_worker.append_value(worker.value(i));
            out_key.append_value(key.value(i));
            out_spell.append_value(spell_no.value(i));
            out_office.append_value(office.value(i));
            out_role.append_value(role.value(i));
            out_fte.append_value(fte.value(i));
            out_band.append_value(band.label());
            out_from.append_value(first.0);
            out_to.append_value(last.0);
        }
    }
    batch(
        vec![
            Field::new("worker", DataType::Int32, false),
            Field::new("worker_key", DataType::Utf8, false),
            Field::new("spell_no", DataType::Int64, false),
            Field::new("office_id", DataType::Utf8, false),
            Field::new("role", DataType::Utf8, false),
            Field::new("fte", DataType::Float64, false),
            Field::new("tenure_band", DataType::Utf8, false),
            Field::new("range_from", DataType::Int32, false),
            Field::new("range_to", DataType::Int32, false),
        ],
        vec![
            Arc::new(out_worker.finish()),
            Arc::new(out_key.finish()),
            Arc::new(out_spell.finish()),
            Arc::new(out_office.finish()),
            Arc::new(out_role.finish()),
            Arc::new(out_fte.finish()),
            Arc::new(out_band.finish()),
            Arc::new(out_from.finish()),
            Arc::new(out_to.finish()),
        ],
    )
}

/// `src_worker_segments`: one row per worker, spell and assignment, from its first day
/// to its last day up to as-of.
pub fn worker_segments(
    roster: &Roster,
    names: &Pseudonyms,
    offices: &OfficeSet,
    as_of: Day,
) -> RecordBatch {
    let mut worker = Int32Builder::new();
    let mut key = StringBuilder::new();
    let mut spell_no = Int64Builder::new();
    let mut spell_start = Int32Builder::new();
    let (mut from, mut to) = (Int32Builder::new(), Int32Builder::new());
    let mut office = StringBuilder::new();
    let mut role = StringBuilder::new();
    let mut fte = Float64Builder::new();
    for &w in &names.order {
        for (n, spell) in roster.spells[w as usize].iter().enumerate() {
            for (i, seg) in spell.segments.iter().enumerate() {
                let seg_last = spell.segment_last_day(i, as_of);
                worker.append_value(w as i32);
                key.append_value(&names.keys[w as usize]);
                spell_no.append_value(n as i64 + 1);
                spell_start.append_value(spell.start.0);
                from.append_value(seg.from.0);
                to.append_value(seg_last.0);
                office.append_value(&offices.ids[seg.office.0 as usize]);
                role.append_value(seg.role.code());
                fte.append_value(seg.fte);
            }
        }
    }
    batch(
        vec![
            Field::new("worker", DataType::Int32, false),
            Field::new("worker_key", DataType::Utf8, false),
            Field::new("spell_no", DataType::Int64, false),
            Field::new("spell_start_day", DataType::Int32, false),
            Field::new("from_day", DataType::Int32, false),
            Field::new("to_day", DataType::Int32, false),
            Field::new("office_id", DataType::Utf8, false),
            Field::new("role", DataType::Utf8, false),
            Field::new("fte", DataType::Float64, false),
        ],
        vec![
            Arc::new(worker.finish()),
            Arc::new(key.finish()),
            Arc::new(spell_no.finish()),
            Arc::new(spell_start.finish()),
            Arc::new(from.finish()),
            Arc::new(to.finish()),
            Arc::new(office.finish()),
            Arc::new(role.finish()),
            Arc::new(fte.finish()),
        ],
    )
}

/// `src_caseload_sides`: the accepted snapshots of the history window, each placed once
/// in the office, tenure band and fte of its snapshot_date (CONTRACT.md section 5,
/// caseload_worker_months), and summed per worker, calendar month, office, band and side
/// of the trailing period's start (`in_trailing`: dated in the trailing 12 months).
/// `int_caseload_groups` turns these sums into each period's groups.
///
/// Placed here rather than by a range join in SQL: each worker's snapshots and spells
/// are already in date order, so one walk places them, where the join and its
/// aggregation over 10 M snapshots took 1.5 s of the SQL stage (docs/performance.md).
/// Rows come worker by worker, months ascending, groups in order of their first
/// snapshot.
pub fn caseload_sides(
    roster: &Roster,
    offices: &OfficeSet,
    standards: &[f64],
    snapshots: &ByWorker<(Day, u16)>,
    window_start: Day,
    as_of: Day,
) -> RecordBatch {
    struct Group {
        office: u32,
        band: TenureBand,
        in_trailing: bool,
        cases: f64,
        standard: f64,
        snapshots: i64,
    }
    let trailing_start = retention_contract::period::trailing_start(as_of);
    let mut worker = Int32Builder::new();
    let mut month = Int32Builder::new();
    let mut office = StringBuilder::new();
    let mut band = StringBuilder::new();
    let mut in_trailing = BooleanBuilder::new();
    let mut cases = Float64Builder::new();
    let mut standard = Float64Builder::new();
    let mut count = Int64Builder::new();
    let mut groups: Vec<Group> = Vec::new();
    for w in 0..roster.len() as u32 {
        let mut current_month = None;
        let mut flush = |m: Day, groups: &mut Vec<Group>| {
            for g in groups.drain(..) {
                worker.append_value(w as i32);
                month.append_value(m.0);
                office.append_value(&offices.ids[g.office as usize]);
                band.append_value(g.band.label());
                in_trailing.append_value(g.in_trailing);
                cases.append_value(g.cases);
                standard.append_value(g.standard);
                count.append_value(g.snapshots);
            }
        };
        for &(day, active_cases) in snapshots.of(w) {
            if day < window_start || day > as_of {
                continue;
            }
            let spell = roster
                .spell_on(w, day)
                .expect("rule 15 placed the snapshot in a spell");
            let segment = spell.segment_on(day);
            let key = (
                segment.office.0,
                TenureBand::from_tenure_days(day.0 - spell.start.0),
                day >= trailing_start,
            );
            // The month's bounds are worked out only when a snapshot leaves the last one.
            if !current_month.is_some_and(|(first, next)| day >= first && day < next) {
                if let Some((first, _)) = current_month {
                    flush(first, &mut groups);
                }
                let first = day.month_start();
                current_month = Some((first, first.add_months(1)));
            }
            let at = match groups
                .iter()
                .position(|g| (g.office, g.band, g.in_trailing) == key)
            {
                Some(at) => at,
                None => {
                    groups.push(Group {
                        office: key.0,
                        band: key.1,
                        in_trailing: key.2,
                        cases: 0.0,
                        standard: 0.0,
                        snapshots: 0,
                    });
                    groups.len() - 1
                }
            };
            let g = &mut groups[at];
            g.cases += f64::from(active_cases);
            g.standard += standards[segment.office.0 as usize] * segment.fte;
            g.snapshots += 1;
        }
        if let Some((first, _)) = current_month {
            flush(first, &mut groups);
        }
    }
    batch(
        vec![
            Field::new("worker", DataType::Int32, false),
            Field::new("month_start_day", DataType::Int32, false),
            Field::new("office_id", DataType::Utf8, false),
            Field::new("tenure_band", DataType::Utf8, false),
            Field::new("in_trailing", DataType::Boolean, false),
            Field::new("cases_sum", DataType::Float64, false),
            Field::new("standard_sum", DataType::Float64, false),
            Field::new("snapshots", DataType::Int64, false),
        ],
        vec![
            Arc::new(worker.finish()),
            Arc::new(month.finish()),
            Arc::new(office.finish()),
            Arc::new(band.finish()),
            Arc::new(in_trailing.finish()),
            Arc::new(cases.finish()),
            Arc::new(standard.finish()),
            Arc::new(count.finish()),
        ],
    )
}

/// `src_settings`: the pipeline settings the SQL needs, the as-of day, and the first day
/// of the month of the earliest accepted supervision session (null when there is none:
/// then no month is supervision-eligible, CONTRACT.md section 5), one row.
pub fn settings(settings: &Settings, as_of: Day, first_session: Option<Day>) -> RecordBatch {
    let int = |v: Option<i64>| Arc::new(arrow::array::Int64Array::from(vec![v])) as ArrayRef;
    batch(
        vec![
            Field::new("min_group_size", DataType::Int64, false),
            Field::new("supervision_minutes", DataType::Int64, false),
            Field::new("supervision_individual_minutes", DataType::Int64, false),
            Field::new("as_of_day", DataType::Int64, false),
            Field::new("supervision_first_month_day", DataType::Int64, true),
        ],
        vec![
            int(Some(i64::from(settings.min_group_size))),
            int(Some(i64::from(settings.supervision_minutes))),
            int(Some(i64::from(settings.supervision_individual_minutes))),
            int(Some(i64::from(as_of.0))),
            int(first_session.map(|d| i64::from(d.month_start().0))),
        ],
    )
}

/// `src_program_enrollments`: accepted enrollments with the worker's key.
pub fn program_enrollments(
    enrollments: Option<&retention_ingest::Outcome<retention_contract::rows::EnrollmentRow>>,
    names: &Pseudonyms,
) -> RecordBatch {
    let mut key = StringBuilder::new();
    let (mut program, mut cohort) = (StringBuilder::new(), StringBuilder::new());
    let (mut start, mut end) = (Int32Builder::new(), Int32Builder::new());
    let (mut offered, mut attended) = (Int64Builder::new(), Int64Builder::new());
    if let Some(o) = enrollments {
        for row in &o.accepted {
            key.append_value(&names.keys[o.worker(row.worker) as usize]);
            program.append_value(row.program.code());
            cohort.append_value(o.ids.resolve(row.cohort));
            start.append_value(row.start.0);
            end.append_option(row.end.map(|d| d.0));
            offered.append_option(row.offered.map(i64::from));
            attended.append_option(row.attended.map(i64::from));
        }
    }
    batch(
        vec![
            Field::new("worker_key", DataType::Utf8, false),
            Field::new("program", DataType::Utf8, false),
            Field::new("cohort_id", DataType::Utf8, false),
            Field::new("start_day", DataType::Int32, false),
            Field::new("end_day", DataType::Int32, true),
            Field::new("sessions_offered", DataType::Int64, true),
            Field::new("sessions_attended", DataType::Int64, true),
        ],
        vec![
            Arc::new(key.finish()),
            Arc::new(program.finish()),
            Arc::new(cohort.finish()),
            Arc::new(start.finish()),
            Arc::new(end.finish()),
            Arc::new(offered.finish()),
            Arc::new(attended.finish()),
        ],
    )
}

/// A relation handed to the SQL stage.
pub struct SqlInput {
    pub(crate) name: &'static str,
    pub(crate) batches: Vec<RecordBatch>,
    /// Columns the rows are sorted on (see [`crate::sql::register`]).
    pub(crate) sorted_by: &'static [&'static str],
}

impl SqlInput {
    fn new(name: &'static str, batches: Vec<RecordBatch>) -> SqlInput {
        SqlInput {
            name,
            batches,
            sorted_by: &[],
        }
    }

    fn sorted_by(self, columns: &'static [&'static str]) -> SqlInput {
        SqlInput {
            sorted_by: columns,
            ..self
        }
    }
}

/// Every relation the SQL stage reads: `offices`, the derived tables (only the columns the
/// models read) and the `src_*` relations.
pub(crate) fn build(
    request: &RunRequest<'_>,
    checked: &Checked,
    derived: &Derived,
    offices: &RecordBatch,
) -> Vec<SqlInput> {
    let as_of = request.as_of;
    let segments = worker_segments(
        checked.roster(),
        &derived.names,
        checked.office_set(),
        as_of,
    );
    vec![
        SqlInput::new("offices", vec![offices.clone()]),
        SqlInput::new("worker_spells", vec![derived.spells.clone()]),
        SqlInput::new(
            "worker_months",
            derived
                .months
                .iter()
                .map(|batch| {
                    columns(
                        batch,
                        &[
                            "worker_key",
                            "month",
                            "office_id",
                            "tenure_band",
                            "days_employed",
                            "supervision_minutes",
                            "individual_minutes",
                            crate::derive::RETENTION_MINUTES,
                        ],
                    )
                })
                .collect(),
        )
        // Built worker by worker in key order, months ascending (`worker_months`).
        .sorted_by(&["worker_key", "month"]),
        SqlInput::new(
            "survey_scores",
            vec![columns(
                &derived.scores,
                &[
                    "response_id",
                    "worker_key",
                    "administered_on",
                    "office_id",
                    "tenure_band",
                    "sts_total",
                    "proqol_bo",
                    "brs_mean",
                ],
            )],
        ),
        SqlInput::new(
            "src_periods",
            vec![periods(as_of, request.config.settings.history_months)],
        ),
        SqlInput::new(
            "src_worker_band_ranges",
            vec![worker_band_ranges(&segments)],
        ),
        SqlInput::new("src_worker_segments", vec![segments]),
        SqlInput::new(
            "src_caseload_sides",
            vec![caseload_sides(
                checked.roster(),
                checked.office_set(),
                &caseload_standards(checked),
                &derived.facts.snapshots,
                derived.window_start,
                as_of,
            )],
        ),
        SqlInput::new(
            "src_settings",
            vec![settings(
                &request.config.settings,
                as_of,
                derived.first_session,
            )],
        ),
        SqlInput::new(
            "src_program_enrollments",
            vec![program_enrollments(
                checked.enrollments.as_ref(),
                &derived.names,
            )],
        ),
    ]
}

/// The columns of a derived table that the SQL models read. Registering only these lets
/// the others be freed once the table is written: a third of worker_months (read by
/// `int_supervision_eligible_months`) and half of survey_scores (read by
/// `stg_survey_scores`). A model that reads another column fails to plan, which every
/// end-to-end run would show.
fn columns(table: &RecordBatch, read: &[&str]) -> RecordBatch {
    let schema = table.schema();
    let indices: Vec<usize> = read
        .iter()
        .map(|name| {
            schema
                .index_of(name)
                .expect("the derived table has the column")
        })
        .collect();
    table
        .project(&indices)
        .expect("the indices come from the schema")
}

/// Each accepted office's caseload standard, by office index.
fn caseload_standards(checked: &Checked) -> Vec<f64> {
    let mut standards = vec![0.0; checked.office_set().ids.len()];
    for row in &checked.offices.accepted {
        let office = checked
            .office_set()
            .get(checked.offices.ids.resolve(row.office_id))
            .expect("accepted offices make up the office set");
        standards[office as usize] = f64::from(row.caseload_standard);
    }
    standards
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Array, AsArray, Int32Array, StringArray};
    use arrow::datatypes::{Float64Type, Int32Type, Int64Type};
    use retention_contract::history::{Segment, Spell};
    use retention_contract::{Role, Sym};

    fn day(y: i32, m: u32, d: u32) -> Day {
        Day::from_ymd(y, m, d).unwrap()
    }

    /// Segments as a SQL test writes them (integers as Int64, text as Utf8View), with
    /// `fte` given as `fte` (null allowed).
    fn fixture_segments(fte: Vec<Option<f64>>) -> RecordBatch {
        use arrow::array::{Float64Array, Int64Array, StringViewArray};
        let n = fte.len();
        let start = i64::from(day(2023, 7, 20).0);
        let rows: Vec<(i64, i64, &str)> = vec![
            (start, i64::from(day(2024, 2, 14).0), "A"),
            (
                i64::from(day(2024, 2, 15).0),
                i64::from(day(2024, 3, 31).0),
                "B",
            ),
        ];
        let ints = |v: Vec<i64>| Arc::new(Int64Array::from(v)) as ArrayRef;
        let texts = |v: Vec<&str>| Arc::new(StringViewArray::from(v)) as ArrayRef;
        RecordBatch::try_from_iter([
            ("worker", ints(vec![7; n])),
            ("worker_key", texts(vec!["k1"; n])),
            ("spell_no", ints(vec![1; n])),
            ("spell_start_day", ints(vec![start; n])),
            ("from_day", ints(rows.iter().map(|r| r.0).take(n).collect())),
            ("to_day", ints(rows.iter().map(|r| r.1).take(n).collect())),
            (
                "office_id",
                texts(rows.iter().map(|r| r.2).take(n).collect()),
            ),
            ("role", texts(vec!["CASEWORKER"; n])),
            ("fte", Arc::new(Float64Array::from(fte)) as ArrayRef),
        ])
        .unwrap()
    }

    /// CONTRACT.md section 3 (office on d, tenure band on d), by hand: the spell starts
    /// 2023-07-20, so tenure 183 days falls on 2024-01-19; the transfer to B on
    /// 2024-02-15 starts a new assignment in the same band.
    #[test]
    fn assignments_split_into_band_ranges_whatever_the_fixture_types() {
        let ranges = worker_band_ranges(&fixture_segments(vec![Some(1.0), Some(0.5)]));
        let text = |name: &str| {
            let c = ranges.column_by_name(name).unwrap();
            c.as_string::<i32>()
                .iter()
                .flatten()
                .map(str::to_string)
                .collect::<Vec<_>>()
        };
        let days = |name: &str| {
            let c = ranges.column_by_name(name).unwrap();
            c.as_primitive::<Int32Type>()
                .values()
                .iter()
                .map(|&d| Day(d))
                .collect::<Vec<_>>()
        };
        assert_eq!(text("office_id"), ["A", "A", "B"]);
        assert_eq!(text("tenure_band"), ["00-06m", "06-12m", "06-12m"]);
        assert_eq!(
            days("range_from"),
            [day(2023, 7, 20), day(2024, 1, 19), day(2024, 2, 15)]
        );
        assert_eq!(
            days("range_to"),
            [day(2024, 1, 18), day(2024, 2, 14), day(2024, 3, 31)]
        );
        let fte = ranges.column_by_name("fte").unwrap();
        assert_eq!(fte.as_primitive::<Float64Type>().values(), &[1.0, 1.0, 0.5]);
        let worker = ranges.column_by_name("worker").unwrap();
        assert_eq!(worker.as_primitive::<Int32Type>().values(), &[7, 7, 7]);
        let spell = ranges.column_by_name("spell_no").unwrap();
        assert_eq!(spell.as_primitive::<Int64Type>().values(), &[1, 1, 1]);
        assert_eq!(worker_band_ranges(&fixture_segments(vec![])).num_rows(), 0);
    }

    #[test]
    #[should_panic(expected = "src_worker_segments.fte has no nulls")]
    fn a_segment_with_a_null_is_refused() {
        worker_band_ranges(&fixture_segments(vec![Some(1.0), None]));
    }

    /// A batch's columns by name: the column, and its values as i32, f64 or strings.
    struct Columns<'a>(&'a RecordBatch);

    impl Columns<'_> {
        fn column(&self, name: &str) -> arrow::array::ArrayRef {
            self.0.column_by_name(name).unwrap().clone()
        }
        fn int(&self, name: &str) -> Vec<i32> {
            self.column(name)
                .as_primitive::<Int32Type>()
                .values()
                .to_vec()
        }
        fn float(&self, name: &str) -> Vec<f64> {
            self.column(name)
                .as_primitive::<Float64Type>()
                .values()
                .to_vec()
        }
        fn text(&self, name: &str) -> Vec<String> {
            let c = self.column(name);
            let strings = c.as_string::<i32>().iter();
            strings.map(|v| v.unwrap().to_string()).collect()
        }
    }

    /// `caseload_sides` for offices A (standard 10) and B (standard 12), a window from
    /// 2023-01-01, and snapshots given as (worker, (date, active cases)) in order.
    fn place(roster: &Roster, snapshots: &[(u32, (Day, u16))], as_of: Day) -> RecordBatch {
        let offices = OfficeSet::new(vec!["A".into(), "B".into()]);
        let snapshots = ByWorker::new(roster.len(), || snapshots.iter().copied());
        caseload_sides(
            roster,
            &offices,
            &[10.0, 12.0],
            &snapshots,
            day(2023, 1, 1),
            as_of,
        )
    }

    /// CONTRACT.md section 5, caseload_worker_months: each snapshot in the office, band and
    /// fte of its date, one group per worker, month, office and band (and side of the
    /// trailing start).
    #[test]
    fn snapshots_are_placed_on_their_date_and_summed_per_group_and_side() {
        let segment = |from, office, fte| Segment {
            from,
            office: Sym(office),
            role: Role::Caseworker,
            fte,
        };
        // W0: hired 2023-07-20 in A; to B (half time) on 2024-02-15; back to A on
        // 2024-02-20. W1: hired 2023-01-01 in B.
        let spells = vec![
            vec![Spell {
                start: day(2023, 7, 20),
                end: None,
                end_reason: None,
                segments: vec![
                    segment(day(2023, 7, 20), 0, 1.0),
                    segment(day(2024, 2, 15), 1, 0.5),
                    segment(day(2024, 2, 20), 0, 1.0),
                ],
            }],
            vec![Spell {
                start: day(2023, 1, 1),
                end: None,
                end_reason: None,
                segments: vec![segment(day(2023, 1, 1), 1, 1.0)],
            }],
        ];
        let roster = Roster::new(vec!["W0".into(), "W1".into()], spells);
        let sides = place(
            &roster,
            &[
                // Tenure 182 days (00-06m), then 183 (06-12m).
                (0, (day(2024, 1, 18), 10)),
                (0, (day(2024, 1, 19), 12)),
                // In B, then back in A: A's February group holds both A snapshots.
                (0, (day(2024, 2, 9), 7)),
                (0, (day(2024, 2, 16), 20)),
                (0, (day(2024, 2, 21), 9)),
                // Before the window: left out.
                (1, (day(2022, 12, 31), 99)),
                // As-of 2024-03-10: the trailing period starts 2023-03-11.
                (1, (day(2023, 3, 10), 5)),
                (1, (day(2023, 3, 11), 6)),
                (1, (day(2023, 3, 20), 8)),
            ],
            day(2024, 3, 10),
        );
        let c = Columns(&sides);
        let trailing = c.column("in_trailing");
        let trailing = trailing.as_boolean();
        let count = c.column("snapshots");
        let count = count.as_primitive::<Int64Type>();
        assert_eq!(sides.num_rows(), 6);
        assert_eq!(c.int("worker"), [0, 0, 0, 0, 1, 1]);
        assert_eq!(
            c.int("month_start_day"),
            [
                day(2024, 1, 1).0,
                day(2024, 1, 1).0,
                day(2024, 2, 1).0,
                day(2024, 2, 1).0,
                day(2023, 3, 1).0,
                day(2023, 3, 1).0
            ]
        );
        assert_eq!(c.text("office_id"), ["A", "A", "A", "B", "B", "B"]);
        assert_eq!(
            c.text("tenure_band"),
            ["00-06m", "06-12m", "06-12m", "06-12m", "00-06m", "00-06m"]
        );
        assert_eq!(
            (0..6).map(|i| trailing.value(i)).collect::<Vec<_>>(),
            [true, true, true, true, false, true]
        );
        assert_eq!(c.float("cases_sum"), [10.0, 12.0, 16.0, 20.0, 5.0, 14.0]);
        // A's standard 10 at fte 1 (twice in February); B's 12 at fte 0.5, and at fte 1.
        assert_eq!(c.float("standard_sum"), [10.0, 10.0, 20.0, 6.0, 12.0, 24.0]);
        assert_eq!(count.values().to_vec(), [1, 1, 2, 1, 1, 2]);
        assert_eq!(count.null_count(), 0);
    }

    /// A snapshot on a spell's last day belongs to that spell; a rehire within the same
    /// month starts a new spell, whose tenure (and band) starts again from zero.
    #[test]
    fn a_termination_day_and_a_rehire_within_the_month_are_placed_in_their_spells() {
        let spell = |start, end, office| Spell {
            start,
            end,
            end_reason: None,
            segments: vec![Segment {
                from: start,
                office: Sym(office),
                role: Role::Caseworker,
                fte: 1.0,
            }],
        };
        // Hired 2023-01-01 in A, the last day 2024-03-05; rehired 2024-03-20 in B.
        let roster = Roster::new(
            vec!["W0".into()],
            vec![vec![
                spell(day(2023, 1, 1), Some(day(2024, 3, 5)), 0),
                spell(day(2024, 3, 20), None, 1),
            ]],
        );
        let sides = place(
            &roster,
            &[
                // The last day: tenure 429 days, 01-02y, in A.
                (0, (day(2024, 3, 5), 8)),
                // Two days into the new spell: 00-06m, in B.
                (0, (day(2024, 3, 22), 10)),
                (0, (day(2024, 3, 29), 11)),
            ],
            day(2024, 3, 31),
        );
        let c = Columns(&sides);
        assert_eq!(sides.num_rows(), 2);
        assert_eq!(
            c.int("month_start_day"),
            [day(2024, 3, 1).0, day(2024, 3, 1).0]
        );
        assert_eq!(c.text("office_id"), ["A", "B"]);
        assert_eq!(c.text("tenure_band"), ["01-02y", "00-06m"]);
        assert_eq!(c.float("cases_sum"), [8.0, 21.0]);
        assert_eq!(c.float("standard_sum"), [10.0, 24.0]);
        assert_eq!(
            c.column("snapshots")
                .as_primitive::<Int64Type>()
                .values()
                .to_vec(),
            [1, 2]
        );
    }

    #[test]
    fn a_month_carries_its_calendar_end_even_past_as_of() {
        // As-of 2024-02-10: February's period ends on as-of, its calendar month on the 29th.
        let as_of = Day::from_ymd(2024, 2, 10).unwrap();
        let p = periods(as_of, 2);
        let column = |name: &str| {
            p.column_by_name(name)
                .unwrap()
                .as_any()
                .downcast_ref::<Int32Array>()
                .unwrap()
                .values()
                .to_vec()
        };
        let day = |y, m, d| Day::from_ymd(y, m, d).unwrap().0;
        let kinds = p.column_by_name("period_type").unwrap();
        let kinds = kinds.as_any().downcast_ref::<StringArray>().unwrap();
        assert_eq!(
            kinds.iter().flatten().collect::<Vec<_>>(),
            ["month", "month", "trailing_12m"]
        );
        assert_eq!(
            column("period_start_day"),
            [day(2024, 1, 1), day(2024, 2, 1), day(2023, 2, 11)]
        );
        assert_eq!(
            column("period_end_day"),
            [day(2024, 1, 31), day(2024, 2, 10), day(2024, 2, 10)]
        );
        assert_eq!(
            column("calendar_end_day"),
            [day(2024, 1, 31), day(2024, 2, 29), day(2024, 2, 10)]
        );
    }
}
