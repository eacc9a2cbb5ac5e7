//! Stage `derive`: the Rust-built tables of CONTRACT.md sections 3 and 4 (worker_spells,
//! worker_months, survey_scores), then their writing into the run folder beside the
//! building of the SQL stage's inputs ([`crate::sql_inputs`]).

use crate::derive::{
    ByWorker, MonthInputs, Pseudonyms, ScoredResponse, WorkerFacts, survey_scores, worker_months,
    worker_spells,
};
use crate::error::PipelineError;
use crate::run::RunRequest;
use crate::sql_inputs::SqlInput;
use crate::stage::ingest::Ingested;
use crate::warehouse::{RunFolder, WarehouseError};
use arrow::array::RecordBatch;
use retention_contract::Day;
use std::thread::JoinHandle;
use std::time::Instant;
use tracing::info;

/// What the stage derived.
pub struct Derived {
    /// The worker keys.
    pub(crate) names: Pseudonyms,
    /// `survey_scores`.
    pub(crate) scores: RecordBatch,
    /// Each worker's scored responses, by (administered_on, response_id).
    pub(crate) surveyed: ByWorker<ScoredResponse>,
    /// `worker_spells`.
    pub(crate) spells: RecordBatch,
    /// `worker_months`, in batches of whole workers.
    pub(crate) months: Vec<RecordBatch>,
    /// Each worker's snapshots, sessions and enrollments.
    pub(crate) facts: WorkerFacts,
    /// The day of the earliest accepted supervision session (CONTRACT.md section 5: the
    /// supervision columns count months from its month on).
    pub(crate) first_session: Option<Day>,
    /// First day of the history window.
    pub(crate) window_start: Day,
}

/// Builds the derived tables. `key` is the pseudonym key, or why it could not be read (a
/// problem reported only now, after validation's, so that bad inputs keep their exit code
/// whatever the state of the key).
pub fn run(
    request: &RunRequest<'_>,
    ingested: &mut Ingested,
    key: Result<Vec<u8>, WarehouseError>,
) -> Result<Derived, PipelineError> {
    let started = Instant::now();
    let as_of = request.as_of;
    let window_start =
        retention_contract::period::window_start(as_of, request.config.settings.history_months);
    let key = key?;
    let checked = &ingested.checked;
    let names = ingested
        .names
        .take()
        .unwrap_or_else(|| Pseudonyms::new(checked.roster(), &key));
    let (scores, scored) = ingested
        .survey
        .take()
        .unwrap_or_else(|| survey_scores(None, checked.roster(), &names, checked.office_set()));
    let spells = worker_spells(checked.roster(), &names, checked.office_set(), as_of);
    let workers = checked.roster().len();
    let facts = WorkerFacts {
        snapshots: ingested
            .snapshots
            .take()
            .unwrap_or_else(|| WorkerFacts::snapshots(workers, None)),
        sessions: ingested
            .sessions
            .take()
            .unwrap_or_else(|| WorkerFacts::sessions(workers, None)),
        enrollments: WorkerFacts::enrollments(workers, checked.enrollments.as_ref()),
    };
    let first_session = facts.sessions.all().iter().map(|s| s.day).min();
    let months = worker_months(&MonthInputs {
        roster: checked.roster(),
        names: &names,
        offices: checked.office_set(),
        facts: &facts,
        surveys: &scored,
        window_start,
        as_of,
    });
    let month_rows: usize = months.iter().map(RecordBatch::num_rows).sum();
    info!(
        elapsed_ms = started.elapsed().as_millis() as u64,
        worker_months = month_rows,
        "derived tables built"
    );
    Ok(Derived {
        names,
        scores,
        surveyed: scored,
        spells,
        months,
        facts,
        first_session,
        window_start,
    })
}

/// worker_months being encoded on a thread of its own.
pub struct MonthsWriter(JoinHandle<Result<(), WarehouseError>>);

impl MonthsWriter {
    /// Waits for the encoding to end.
    pub fn join(self) -> Result<(), WarehouseError> {
        self.0.join().expect("the worker_months writer panicked")
    }
}

/// What the SQL stage is handed: its inputs, and the writer of worker_months still at work.
pub struct HandOver {
    /// The `src_*` relations and the derived tables' columns the models read.
    pub inputs: Vec<SqlInput>,
    /// Joined after the SQL stage, before any error is returned.
    pub months_writer: MonthsWriter,
    /// (table, rows) of every table written so far, in publish order.
    pub written: Vec<(&'static str, usize)>,
}

/// Writes the ingest and derive tables into the run folder and builds the SQL inputs.
///
/// The tables are written now, so that the SQL stage, which reads them, can free each of
/// them once it is done with it (publishing stays atomic: nothing is visible until
/// `commit`). Writing them on a thread of their own beside the SQL stage saved half a
/// second but kept them all in memory longer, which cost 100 MB of the 2 GiB budget
/// (docs/performance.md).
pub fn write(
    request: &RunRequest<'_>,
    ingested: &Ingested,
    derived: Derived,
    folder: &RunFolder,
) -> Result<HandOver, PipelineError> {
    let checked = &ingested.checked;
    let offices = crate::tables::offices_table(&checked.offices);
    let started = Instant::now();
    let (quarantine, counts) = (
        crate::tables::quarantine_table(&checked.quarantine),
        crate::tables::source_counts_table(&checked.counts),
    );
    // worker_months, the largest, is encoded on a thread of its own that runs on into the
    // SQL stage (joined after it): the stage's models leave gaps on the two cores that
    // the encoding fills. It holds the table's columns that SQL does not read a little
    // longer (about 100 MB at the benchmark's peak of 1.6 GB).
    let months_writer = {
        let (folder, months) = (folder.clone(), derived.months.clone());
        MonthsWriter(std::thread::spawn(move || {
            let published: Vec<RecordBatch> =
                months.iter().map(crate::derive::published_months).collect();
            folder.write_batches("worker_months", &published)
        }))
    };
    // The SQL stage's inputs are built on a thread beside the writers (the snapshots'
    // placement alone takes a fifth of a second).
    let (others_written, inputs) = std::thread::scope(|scope| {
        let inputs = scope.spawn(|| crate::sql_inputs::build(request, checked, &derived, &offices));
        let others = [
            ("quarantine", &quarantine),
            ("source_counts", &counts),
            ("offices", &offices),
            ("worker_spells", &derived.spells),
            ("survey_scores", &derived.scores),
        ]
        .into_iter()
        .try_for_each(|(name, batch)| folder.write_table(name, batch));
        (
            others,
            inputs.join().expect("the SQL inputs thread panicked"),
        )
    });
    if let Err(e) = others_written {
        months_writer.join()?;
        return Err(e.into());
    }
    let written = vec![
        ("quarantine", checked.quarantine.len()),
        ("source_counts", checked.counts.len()),
        ("offices", offices.num_rows()),
        ("worker_spells", derived.spells.num_rows()),
        (
            "worker_months",
            derived.months.iter().map(RecordBatch::num_rows).sum(),
        ),
        ("survey_scores", derived.scores.num_rows()),
    ];
    info!(
        elapsed_ms = started.elapsed().as_millis() as u64,
        tables = written.len(),
        "derived tables written into the run folder"
    );
    // The SQL stage holds the only reference to what it reads (see `sql_inputs::columns`).
    drop(derived);
    Ok(HandOver {
        inputs,
        months_writer,
        written,
    })
}
