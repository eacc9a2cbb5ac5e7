//! The relations the Rust stages hand to the SQL layers (`src_*`): reporting periods,
//! worker assignments as day ranges, caseload snapshots and the settings. Dates are day
//! numbers (days since 1970-01-01), see `sql/README.md`. Snapshots carry the worker's
//! index rather than its 16-character key: the table has millions of rows and only
//! joins to the worker's ranges, which carry both.

use crate::config::Settings;
use crate::derive::{Pseudonyms, WorkerFacts};
use arrow::array::{
    ArrayRef, Date32Builder, Float64Builder, Int32Builder, Int64Builder, RecordBatch, StringBuilder,
};
use arrow::datatypes::{DataType, Field, Schema};
use retention_contract::Day;
use retention_ingest::{OfficeSet, Roster};
use std::sync::Arc;

fn batch(fields: Vec<Field>, columns: Vec<ArrayRef>) -> RecordBatch {
    RecordBatch::try_new(Arc::new(Schema::new(fields)), columns)
        .expect("columns match their schema")
}

/// First day of the history window: the 1st of the month `history_months - 1` months
/// before as-of's month.
pub fn window_start(as_of: Day, history_months: u32) -> Day {
    as_of.month_start().add_months(1 - history_months as i32)
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
    let mut month = window_start(as_of, history_months);
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
        crate::headline::trailing_start(as_of),
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
            let last = spell.last_day(as_of);
            for (i, seg) in spell.segments.iter().enumerate() {
                let seg_last = spell
                    .segments
                    .get(i + 1)
                    .map_or(last, |next| next.from.add_days(-1))
                    .min(last);
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

/// `src_caseload_snapshots`: accepted snapshots inside the history window.
pub fn caseload_snapshots(facts: &WorkerFacts, workers: usize, window_start: Day) -> RecordBatch {
    // Sized exactly: this is the SQL stage's largest input (10 M rows on the benchmark).
    let rows = (0..workers as u32)
        .map(|w| {
            facts
                .snapshots
                .of(w)
                .iter()
                .filter(|(d, _)| *d >= window_start)
                .count()
        })
        .sum();
    let mut worker = Int32Builder::with_capacity(rows);
    let mut day = Int32Builder::with_capacity(rows);
    let mut month = Int32Builder::with_capacity(rows);
    let mut cases = Int32Builder::with_capacity(rows);
    for w in 0..workers as u32 {
        for &(d, n) in facts.snapshots.of(w) {
            if d < window_start {
                continue;
            }
            worker.append_value(w as i32);
            day.append_value(d.0);
            month.append_value(d.month_start().0);
            cases.append_value(i32::from(n));
        }
    }
    batch(
        vec![
            Field::new("worker", DataType::Int32, false),
            Field::new("snapshot_day", DataType::Int32, false),
            Field::new("month_start_day", DataType::Int32, false),
            Field::new("active_cases", DataType::Int32, false),
        ],
        vec![
            Arc::new(worker.finish()),
            Arc::new(day.finish()),
            Arc::new(month.finish()),
            Arc::new(cases.finish()),
        ],
    )
}

/// `src_settings`: the pipeline settings the SQL needs and the as-of day, one row.
pub fn settings(settings: &Settings, as_of: Day) -> RecordBatch {
    let int = |v: i64| Arc::new(arrow::array::Int64Array::from(vec![v])) as ArrayRef;
    batch(
        vec![
            Field::new("min_group_size", DataType::Int64, false),
            Field::new("supervision_minutes", DataType::Int64, false),
            Field::new("supervision_individual_minutes", DataType::Int64, false),
            Field::new("as_of_day", DataType::Int64, false),
        ],
        vec![
            int(i64::from(settings.min_group_size)),
            int(i64::from(settings.supervision_minutes)),
            int(i64::from(settings.supervision_individual_minutes)),
            int(i64::from(as_of.0)),
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
    if let Some(o) = enrollments {
        for row in &o.accepted {
            key.append_value(&names.keys[o.worker(row.worker) as usize]);
            program.append_value(row.program.code());
            cohort.append_value(o.ids.resolve(row.cohort));
            start.append_value(row.start.0);
            end.append_option(row.end.map(|d| d.0));
        }
    }
    batch(
        vec![
            Field::new("worker_key", DataType::Utf8, false),
            Field::new("program", DataType::Utf8, false),
            Field::new("cohort_id", DataType::Utf8, false),
            Field::new("start_day", DataType::Int32, false),
            Field::new("end_day", DataType::Int32, true),
        ],
        vec![
            Arc::new(key.finish()),
            Arc::new(program.finish()),
            Arc::new(cohort.finish()),
            Arc::new(start.finish()),
            Arc::new(end.finish()),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Int32Array, StringArray};

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
