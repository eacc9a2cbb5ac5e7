//! The two sources everything else is checked against: offices (rule 12's reference) and
//! job_history, whose replay (rule 14) defines the spells behind rules 13 and 15.

use crate::error::IngestError;
use crate::input::SourceFile;
use crate::roster::{OfficeSet, Roster};
use crate::validate::{Context, Outcome, QuarantineRow, ingest};
use retention_contract::history::replay;
use retention_contract::rows::{JobRow, OfficeRow, SourceRow};
use retention_contract::{Action, Reason, Sym};
use std::collections::HashMap;

/// Reads offices and returns the accepted set.
pub fn ingest_offices(
    file: SourceFile,
    ctx: &Context<'_>,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<(Outcome<OfficeRow>, OfficeSet), IngestError> {
    let outcome = ingest::<OfficeRow>(file, ctx, false, progress)?;
    let ids = outcome
        .accepted
        .iter()
        .map(|o| Box::<str>::from(outcome.ids.resolve(o.office_id)))
        .collect();
    Ok((outcome, OfficeSet::new(ids)))
}

/// Reads job_history (rules 1-12), replays each worker's rows in `(effective_date, line)`
/// order (rule 14) and returns the accepted rows with the roster of spells.
pub fn ingest_job_history(
    file: SourceFile,
    ctx: &Context<'_>,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<(Outcome<JobRow>, Roster), IngestError> {
    let offices = ctx
        .offices
        .expect("offices are validated before job_history");
    let mut outcome = ingest::<JobRow>(file, ctx, true, progress)?;

    // Group row positions by worker in first-appearance order; within a worker, by date
    // then line (positions are already in line order).
    let mut order: HashMap<Sym, u32> = HashMap::new();
    let mut per_worker: Vec<Vec<usize>> = Vec::new();
    for (pos, row) in outcome.accepted.iter().enumerate() {
        let next = per_worker.len() as u32;
        let w = *order.entry(row.worker).or_insert(next);
        if w == next {
            per_worker.push(Vec::new());
        }
        per_worker[w as usize].push(pos);
    }
    let mut invalid = vec![false; outcome.accepted.len()];
    let mut worker_ids = Vec::new();
    let mut spells = Vec::new();
    for positions in &mut per_worker {
        positions.sort_by_key(|&p| (outcome.accepted[p].date, outcome.lines[p]));
        let r = replay(positions.iter().map(|&p| &outcome.accepted[p]));
        for &i in &r.invalid {
            invalid[positions[i]] = true;
        }
        if r.spells.is_empty() {
            continue; // every row was invalid: the worker has no accepted row
        }
        let mut worker_spells = r.spells;
        for spell in &mut worker_spells {
            for seg in &mut spell.segments {
                let id = outcome.ids.resolve(seg.office);
                seg.office = Sym(offices.get(id).expect("rule 12 passed"));
            }
        }
        worker_ids.push(Box::<str>::from(
            outcome.ids.resolve(outcome.accepted[positions[0]].worker),
        ));
        spells.push(worker_spells);
    }

    let mut refused = Vec::new();
    let mut keep = invalid.iter().map(|b| !b);
    let (accepted, lines, raws) = (&mut outcome.accepted, &mut outcome.lines, &mut outcome.raws);
    for (pos, ((row, line), raw)) in accepted
        .iter()
        .zip(lines.iter())
        .zip(raws.iter())
        .enumerate()
    {
        if invalid[pos] {
            let state = if matches!(row.action, Action::Hire | Action::Rehire) {
                "already employed"
            } else {
                "not employed"
            };
            refused.push(QuarantineRow {
                source: outcome.source,
                line: u64::from(*line),
                reason: Reason::InvalidTransition,
                detail: format!(
                    "action {} on {} is impossible: worker {:?} is {state} then",
                    row.action.code(),
                    row.date,
                    outcome.ids.resolve(row.worker)
                ),
                raw: raw.clone(),
            });
        }
    }
    accepted.retain(|_| keep.next().expect("flag"));
    let mut keep = invalid.iter().map(|b| !b);
    lines.retain(|_| keep.next().expect("flag"));
    let mut keep = invalid.iter().map(|b| !b);
    raws.retain(|_| keep.next().expect("flag"));
    // Rows the replay refused no longer count for the stale guard.
    outcome.latest_activity = outcome
        .accepted
        .iter()
        .filter_map(SourceRow::activity_date)
        .max();
    outcome.quarantine.extend(refused);
    outcome.quarantine.sort_by_key(|q| q.line);
    Ok((outcome, Roster::new(worker_ids, spells)))
}
