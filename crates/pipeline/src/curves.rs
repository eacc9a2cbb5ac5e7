//! `retention_curves` (CONTRACT.md section 6): Kaplan-Meier survival of the employment
//! spells that started in the history window, statewide and by start office, start role
//! and hire year, at 90, 180, 365, 730, 1095 and 1826 days. The estimator and its
//! exponential-Greenwood intervals live in `retention-models`.

use arrow::array::{ArrayRef, Float64Builder, Int64Builder, RecordBatch, StringBuilder};
use arrow::datatypes::{DataType, Field, Schema};
use retention_contract::Day;
use retention_ingest::{OfficeSet, Roster};
use retention_models::{Observation, SurvivalPoint, kaplan_meier};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Time points of the curves, in days.
pub const TIME_POINTS: [i64; 6] = [90, 180, 365, 730, 1095, 1826];

/// Survival curves by group: `(group_type, group_value)` -> points at [`TIME_POINTS`].
pub fn curves(
    roster: &Roster,
    offices: &OfficeSet,
    window_start: Day,
    as_of: Day,
) -> Vec<((&'static str, String), Vec<SurvivalPoint>)> {
    let mut groups: BTreeMap<(usize, String), Vec<Observation>> = BTreeMap::new();
    for spells in &roster.spells {
        for spell in spells {
            if spell.start < window_start || spell.start > as_of {
                continue;
            }
            let observation = Observation {
                duration: spell.duration_days(as_of),
                event: spell.end.is_some(),
            };
            let first = spell.segments[0];
            for key in [
                (0, "ALL".to_string()),
                (1, offices.ids[first.office.0 as usize].to_string()),
                (2, first.role.code().to_string()),
                (3, spell.start.year().to_string()),
            ] {
                groups.entry(key).or_default().push(observation);
            }
        }
    }
    const TYPES: [&str; 4] = ["state", "office", "role", "hire_year"];
    groups
        .into_iter()
        .map(|((t, value), obs)| ((TYPES[t], value), kaplan_meier(&obs, &TIME_POINTS)))
        .collect()
}

/// The `retention_curves` table.
pub fn retention_curves(curves: &[((&'static str, String), Vec<SurvivalPoint>)]) -> RecordBatch {
    let (mut group_type, mut group_value) = (StringBuilder::new(), StringBuilder::new());
    let (mut t_days, mut at_risk, mut events) = (
        Int64Builder::new(),
        Int64Builder::new(),
        Int64Builder::new(),
    );
    let (mut survival, mut lower, mut upper) = (
        Float64Builder::new(),
        Float64Builder::new(),
        Float64Builder::new(),
    );
    for ((kind, value), points) in curves {
        for p in points {
            group_type.append_value(kind);
            group_value.append_value(value);
            t_days.append_value(p.t);
            at_risk.append_value(p.at_risk as i64);
            events.append_value(p.events as i64);
            survival.append_option(p.survival);
            lower.append_option(p.ci_lower);
            upper.append_option(p.ci_upper);
        }
    }
    let schema = Schema::new(vec![
        Field::new("group_type", DataType::Utf8, false),
        Field::new("group_value", DataType::Utf8, false),
        Field::new("t_days", DataType::Int64, false),
        Field::new("at_risk", DataType::Int64, false),
        Field::new("events", DataType::Int64, false),
        Field::new("survival", DataType::Float64, true),
        Field::new("ci_lower", DataType::Float64, true),
        Field::new("ci_upper", DataType::Float64, true),
    ]);
    let columns: Vec<ArrayRef> = vec![
        Arc::new(group_type.finish()),
        Arc::new(group_value.finish()),
        Arc::new(t_days.finish()),
        Arc::new(at_risk.finish()),
        Arc::new(events.finish()),
        Arc::new(survival.finish()),
        Arc::new(lower.finish()),
        Arc::new(upper.finish()),
    ];
    RecordBatch::try_new(Arc::new(schema), columns).expect("schema matches")
}
