//! One pipeline run, start to finish: find and check every input, validate the sources
//! in contract order, refuse the run when a quarantine share is over its limit, derive
//! the tables, and publish them atomically. `validate` stops after the checks.

use crate::config::{ConfigProblem, PipelineConfig};
use crate::derive::{
    ByWorker, MonthInputs, Pseudonyms, WorkerFacts, survey_scores, worker_months, worker_spells,
};
use crate::warehouse::{Warehouse, WarehouseError};
use arrow::array::{ArrayRef, Int64Builder, RecordBatch, StringBuilder};
use arrow::datatypes::{DataType, Field, Schema};
use retention_contract::rows::{EnrollmentRow, RowContext, SourceRow, SurveyRow};
use retention_contract::{Day, Reason, Source};
use retention_ingest::input::SourceReader;
use retention_ingest::{
    Context, IngestError, OfficeSet, Outcome, QuarantineRow, Roster, SourceFile, ingest,
    ingest_job_history, ingest_offices, locate,
};
use serde_json::json;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::{Mutex, OnceLock};
use std::time::Instant;
use tracing::{info, warn};

/// Environment variable that makes a run abort at a named point, for crash tests.
/// `after-tables` aborts once every table is written but before `current` moves.
pub const CRASH_POINT_ENV: &str = "RETENTION_CRASH_POINT";

/// Why a run did not publish.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// The pipeline file has problems (exit 2).
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Config(Vec<ConfigProblem>),
    /// Sources are missing or unreadable as CSV headers (exit 2, or 1 for I/O).
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Inputs(Vec<IngestError>),
    /// A quarantine share is over its limit (exit 3).
    #[error("{}", refusal_text(.limit, .sources))]
    QuarantineShare {
        /// `max_quarantine_share`.
        limit: f64,
        /// (source, quarantined, read) of each source over the limit.
        sources: Vec<(Source, u64, u64)>,
    },
    /// The warehouse could not be locked or written (exit 1).
    #[error(transparent)]
    Warehouse(#[from] WarehouseError),
    /// A bad invocation (exit 2).
    #[error("{0}")]
    Usage(String),
    /// An SQL model failed (exit 1: an internal error).
    #[error(transparent)]
    Sql(#[from] crate::sql::SqlError),
}

/// A relation handed to the SQL stage.
struct SqlInput {
    name: &'static str,
    batches: Vec<RecordBatch>,
    /// Columns the rows are sorted on (see [`crate::sql::register`]).
    sorted_by: &'static [&'static str],
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

/// Runs the SQL layers over the inputs on a small tokio runtime (DataFusion is async).
fn run_sql_stage(inputs: Vec<SqlInput>) -> Result<Vec<(&'static str, RecordBatch)>, PipelineError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| {
            PipelineError::Sql(crate::sql::SqlError {
                layer: "runtime".into(),
                name: "tokio".into(),
                message: e.to_string(),
            })
        })?;
    runtime.block_on(async {
        let ctx = crate::sql::pipeline_session();
        for input in inputs {
            let batches = &input.batches;
            tracing::debug!(
                input = input.name,
                rows = batches.iter().map(RecordBatch::num_rows).sum::<usize>(),
                bytes = batches
                    .iter()
                    .map(RecordBatch::get_array_memory_size)
                    .sum::<usize>(),
                "SQL input registered"
            );
            crate::sql::register(&ctx, input.name, input.batches, input.sorted_by)?;
        }
        Ok(crate::sql::run_models(&ctx, crate::sql::MODELS).await?)
    })
}

fn refusal_text(limit: &f64, sources: &[(Source, u64, u64)]) -> String {
    let parts: Vec<String> = sources
        .iter()
        .map(|(s, q, r)| {
            format!(
                "{s} has {q} of {r} rows quarantined ({:.1}%)",
                100.0 * *q as f64 / *r as f64
            )
        })
        .collect();
    format!(
        "refused to publish: {}, over max_quarantine_share {:.1}%; fix the extracts (see the quarantine with `retention validate`) or raise the limit in the pipeline file",
        parts.join("; "),
        100.0 * limit
    )
}

impl PipelineError {
    /// The process exit code of CONTRACT.md section 2.
    pub fn exit_code(&self) -> i32 {
        match self {
            PipelineError::Config(_) | PipelineError::Usage(_) => 2,
            PipelineError::Inputs(errors) => {
                if errors.iter().all(IngestError::is_bad_input) {
                    2
                } else {
                    1
                }
            }
            PipelineError::QuarantineShare { .. } => 3,
            PipelineError::Warehouse(_) | PipelineError::Sql(_) => 1,
        }
    }
}

/// Progress callbacks (the CLI draws bars with them; tests pass [`Silent`]).
pub trait Progress: Sync {
    /// A source starts: its file size in bytes.
    fn source_started(&self, _source: Source, _bytes: u64) {}
    /// Bytes of the source's file read so far.
    fn source_progress(&self, _source: Source, _bytes: u64) {}
    /// A source is done.
    fn source_finished(&self, _source: Source) {}
    /// A named stage starts.
    fn stage(&self, _name: &str) {}
}

/// Progress that shows nothing.
pub struct Silent;
impl Progress for Silent {}

/// What a run is asked to do.
pub struct RunRequest<'a> {
    /// The inbox folder.
    pub inbox: PathBuf,
    /// The reference date.
    pub as_of: Day,
    /// The pipeline file's settings.
    pub config: PipelineConfig,
    /// Path of the pipeline file, for the manifest.
    pub pipeline_file: Option<PathBuf>,
    /// Progress display.
    pub progress: &'a dyn Progress,
}

/// Counts of one source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceCount {
    /// The source.
    pub source: Source,
    /// The file read (None: an optional source that was absent).
    pub path: Option<PathBuf>,
    /// SHA-256 of the file.
    pub sha256: Option<String>,
    /// Records read.
    pub rows_read: u64,
    /// Accepted.
    pub rows_accepted: u64,
    /// Quarantined.
    pub rows_quarantined: u64,
}

/// Everything the checks found.
pub struct Checked {
    /// Per-source counts, in contract order.
    pub counts: Vec<SourceCount>,
    /// Every quarantined row, by source then line.
    pub quarantine: Vec<QuarantineRow>,
    /// Warnings about the inputs (unknown columns).
    pub warnings: Vec<String>,
    offices: Outcome<retention_contract::rows::OfficeRow>,
    office_set: OfficeSet,
    roster: Roster,
    enrollments: Option<Outcome<EnrollmentRow>>,
}

impl Checked {
    /// Quarantined rows per (source, reason).
    pub fn by_reason(&self) -> BTreeMap<(Source, Reason), u64> {
        let mut out = BTreeMap::new();
        for q in &self.quarantine {
            *out.entry((q.source, q.reason)).or_insert(0) += 1;
        }
        out
    }

    /// Sources whose quarantined share is over the limit (only sources of 100 rows or more).
    pub fn over_limit(&self, limit: f64) -> Vec<(Source, u64, u64)> {
        self.counts
            .iter()
            .filter(|c| {
                c.rows_read >= 100 && c.rows_quarantined as f64 / c.rows_read as f64 > limit
            })
            .map(|c| (c.source, c.rows_quarantined, c.rows_read))
            .collect()
    }
}

/// Finds every source file and reads every header, reporting all problems at once.
pub fn locate_inputs(
    inbox: &Path,
    config: &PipelineConfig,
) -> Result<Vec<Option<SourceFile>>, PipelineError> {
    if !inbox.is_dir() {
        return Err(PipelineError::Usage(format!(
            "{}: the inbox folder does not exist; pass the folder holding the extracts with --inbox",
            inbox.display()
        )));
    }
    let mut files = Vec::new();
    let mut problems = Vec::new();
    for source in Source::ALL {
        match locate(inbox, source) {
            Ok(Some(file)) => match SourceReader::open(file.clone()) {
                Ok(_) => files.push(Some(file)),
                Err(e) => {
                    problems.push(e);
                    files.push(None);
                }
            },
            Ok(None) if config.is_optional(source) => files.push(None),
            Ok(None) => {
                problems.push(IngestError::MissingSource {
                    source_name: source,
                    inbox: inbox.to_path_buf(),
                });
                files.push(None);
            }
            Err(e) => {
                problems.push(e);
                files.push(None);
            }
        }
    }
    if problems.is_empty() {
        Ok(files)
    } else {
        Err(PipelineError::Inputs(problems))
    }
}

/// Runs every check of CONTRACT.md sections 1 and 2 and keeps what was accepted.
pub fn check(request: &RunRequest<'_>) -> Result<Checked, PipelineError> {
    let then = Then {
        survey: &|_, _, _| (),
        facts: false,
    };
    check_then(request, &then).map(|(checked, _)| checked)
}

/// What a run derives from a large source alone, on the source's own thread as soon as
/// it is read: the sources take unequal times, and a core would otherwise idle while
/// the last of them is read.
struct Then<'a, S> {
    /// Run on the survey, given the roster and the offices (scoring it).
    survey: &'a (dyn Fn(&Outcome<SurveyRow>, &Roster, &OfficeSet) -> S + Sync),
    /// Gather each worker's snapshots and sessions ([`WorkerFacts`]).
    facts: bool,
}

/// What [`Then`] produced (None: the source is absent, or it was not asked for).
struct Early<S> {
    survey: Option<S>,
    snapshots: Option<ByWorker<(Day, u16)>>,
    sessions: Option<ByWorker<crate::derive::Session>>,
}

/// [`check`], also deriving what `then` asks for from each source as soon as it is read.
/// Nothing later reads the accepted rows of the survey, snapshots or sessions, so they
/// are freed once validation ends.
fn check_then<S: Send>(
    request: &RunRequest<'_>,
    then: &Then<'_, S>,
) -> Result<(Checked, Early<S>), PipelineError> {
    let files = locate_inputs(&request.inbox, &request.config)?;
    let row = RowContext {
        as_of: request.as_of,
    };
    let progress = request.progress;
    let one = |e: IngestError| PipelineError::Inputs(vec![e]);
    let started = Instant::now();

    let file = |s: Source| files[s as usize].clone();
    let offices_file = file(Source::Offices).expect("offices are required");
    progress.source_started(Source::Offices, size(&offices_file));
    let (offices, office_set) = ingest_offices(
        offices_file,
        &Context {
            row,
            offices: None,
            roster: None,
        },
        &|b| progress.source_progress(Source::Offices, b),
    )
    .map_err(one)?;
    progress.source_finished(Source::Offices);
    let jobs_file = file(Source::JobHistory).expect("job_history is required");
    progress.source_started(Source::JobHistory, size(&jobs_file));
    let ctx = Context {
        row,
        offices: Some(&office_set),
        roster: None,
    };
    let (jobs, roster) = ingest_job_history(jobs_file, &ctx, &|b| {
        progress.source_progress(Source::JobHistory, b)
    })
    .map_err(one)?;
    progress.source_finished(Source::JobHistory);
    info!(
        offices = office_set.ids.len(),
        workers = roster.len(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "offices and job history replayed"
    );

    // The four sources checked against the roster are independent and each is read by
    // one thread. One thread per source, rather than one per core taking them largest
    // first, lets the operating system share the cores until the last source is done:
    // with three large sources on two cores, a queue left one core idle for a third of
    // the stage (docs/performance.md).
    let ctx = Context {
        row,
        offices: Some(&office_set),
        roster: Some(&roster),
    };
    let rest: Vec<Source> = [
        Source::CaseloadSnapshots,
        Source::SupervisionSessions,
        Source::SurveyResponses,
        Source::ProgramEnrollments,
    ]
    .into_iter()
    .filter(|s| files[*s as usize].is_some())
    .collect();
    let snapshots = Mutex::new(None);
    let sessions = Mutex::new(None);
    let survey = Mutex::new(None);
    let enrollments = Mutex::new(None);
    let early = Mutex::new(Early {
        survey: None,
        snapshots: None,
        sessions: None,
    });
    let failure: Mutex<Option<IngestError>> = Mutex::new(None);
    std::thread::scope(|scope| {
        for &source in &rest {
            let (files, ctx, failure) = (&files, &ctx, &failure);
            let (snapshots, sessions, survey, enrollments, early) =
                (&snapshots, &sessions, &survey, &enrollments, &early);
            let (roster, office_set) = (&roster, &office_set);
            let workers = roster.len();
            scope.spawn(move || {
                let f = files[source as usize]
                    .clone()
                    .expect("filtered to present files");
                progress.source_started(source, size(&f));
                let p = |b| progress.source_progress(source, b);
                let early = || early.lock().expect("early");
                let result = match source {
                    Source::CaseloadSnapshots => run_one(f, ctx, &p).map(|o| {
                        if then.facts {
                            let facts = WorkerFacts::snapshots(workers, Some(&o));
                            early().snapshots = Some(facts);
                        }
                        store(snapshots, o);
                    }),
                    Source::SupervisionSessions => run_one(f, ctx, &p).map(|o| {
                        if then.facts {
                            let facts = WorkerFacts::sessions(workers, Some(&o));
                            early().sessions = Some(facts);
                        }
                        store(sessions, o);
                    }),
                    Source::SurveyResponses => run_one(f, ctx, &p).map(|o| {
                        let derived = (then.survey)(&o, roster, office_set);
                        early().survey = Some(derived);
                        store(survey, o);
                    }),
                    _ => run_one(f, ctx, &p).map(|o| store(enrollments, o)),
                };
                progress.source_finished(source);
                if let Err(e) = result {
                    failure.lock().expect("failure").get_or_insert(e);
                }
            });
        }
    });
    if let Some(e) = failure.into_inner().expect("failure") {
        return Err(one(e));
    }
    let early = early.into_inner().expect("lock");
    let (snapshots, sessions, survey, enrollments) = (
        snapshots.into_inner().expect("lock"),
        sessions.into_inner().expect("lock"),
        survey.into_inner().expect("lock"),
        enrollments.into_inner().expect("lock"),
    );

    let mut counts = Vec::new();
    let mut quarantine = Vec::new();
    let mut warnings = Vec::new();
    collect(
        Source::Offices,
        Some(&offices),
        &mut counts,
        &mut quarantine,
        &mut warnings,
    );
    collect(
        Source::JobHistory,
        Some(&jobs),
        &mut counts,
        &mut quarantine,
        &mut warnings,
    );
    collect(
        Source::CaseloadSnapshots,
        snapshots.as_ref(),
        &mut counts,
        &mut quarantine,
        &mut warnings,
    );
    collect(
        Source::SupervisionSessions,
        sessions.as_ref(),
        &mut counts,
        &mut quarantine,
        &mut warnings,
    );
    collect(
        Source::SurveyResponses,
        survey.as_ref(),
        &mut counts,
        &mut quarantine,
        &mut warnings,
    );
    collect(
        Source::ProgramEnrollments,
        enrollments.as_ref(),
        &mut counts,
        &mut quarantine,
        &mut warnings,
    );
    for w in &warnings {
        warn!("{w}");
    }
    for c in &counts {
        info!(source = %c.source, rows_read = c.rows_read, rows_accepted = c.rows_accepted, rows_quarantined = c.rows_quarantined, "source validated");
    }
    info!(
        elapsed_ms = started.elapsed().as_millis() as u64,
        quarantined = quarantine.len(),
        "validation finished"
    );
    let checked = Checked {
        counts,
        quarantine,
        warnings,
        offices,
        office_set,
        roster,
        enrollments,
    };
    Ok((checked, early))
}

fn store<T>(slot: &Mutex<Option<T>>, value: T) {
    *slot.lock().expect("slot") = Some(value);
}

fn size(file: &SourceFile) -> u64 {
    std::fs::metadata(&file.path).map_or(0, |m| m.len())
}

fn run_one<R: SourceRow>(
    file: SourceFile,
    ctx: &Context<'_>,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Outcome<R>, IngestError> {
    let started = Instant::now();
    let outcome = ingest::<R>(file, ctx, false, progress)?;
    tracing::debug!(
        source = %R::SOURCE,
        rows_read = outcome.rows_read,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "source read"
    );
    Ok(outcome)
}

fn collect<R>(
    source: Source,
    outcome: Option<&Outcome<R>>,
    counts: &mut Vec<SourceCount>,
    quarantine: &mut Vec<QuarantineRow>,
    warnings: &mut Vec<String>,
) {
    match outcome {
        Some(o) => {
            counts.push(SourceCount {
                source,
                path: Some(o.path.clone()),
                sha256: Some(o.sha256.clone()),
                rows_read: o.rows_read,
                rows_accepted: o.rows_accepted(),
                rows_quarantined: o.rows_quarantined(),
            });
            quarantine.extend(o.quarantine.iter().cloned());
            warnings.extend(o.warnings.iter().cloned());
        }
        None => counts.push(SourceCount {
            source,
            path: None,
            sha256: None,
            rows_read: 0,
            rows_accepted: 0,
            rows_quarantined: 0,
        }),
    }
}

/// What a published run produced.
#[derive(Debug, Clone)]
pub struct Published {
    /// The run id (the folder name under `runs/`).
    pub run_id: String,
    /// The run folder.
    pub run_dir: PathBuf,
    /// Table name and row count, in publish order.
    pub tables: Vec<(String, usize)>,
    /// Per-source counts.
    pub counts: Vec<SourceCount>,
    /// Quarantined rows per (source, reason).
    pub by_reason: BTreeMap<(Source, Reason), u64>,
    /// Headcount and trailing-12-month turnover per office.
    pub headlines: Vec<crate::headline::OfficeHeadline>,
    /// The state's trailing-12-month supervision practice.
    pub practice: Option<crate::headline::StatePractice>,
    /// The attendance of each program's cohorts.
    pub attendance: Vec<crate::headline::ProgramAttendance>,
}

/// Runs the pipeline and publishes into `warehouse`.
pub fn run(request: &RunRequest<'_>, warehouse_root: &Path) -> Result<Published, PipelineError> {
    let started_at = chrono::Utc::now();
    let warehouse = Warehouse::lock(warehouse_root)?;
    // The key is read now so that the survey can be scored on its own thread (see
    // `Then`), but a problem with it is reported after validation's, as before: bad
    // inputs keep their exit code whatever the state of the key.
    let key = warehouse.pseudonym_key();
    request.progress.stage("ingest");
    // The worker keys are made on the survey's thread, or after validation when there is
    // no survey.
    let names: OnceLock<Pseudonyms> = OnceLock::new();
    let score = |survey: &Outcome<SurveyRow>, roster: &Roster, offices: &OfficeSet| {
        let key = key.as_ref().ok()?;
        let started = Instant::now();
        let names = names.get_or_init(|| Pseudonyms::new(roster, key));
        let scored = survey_scores(Some(survey), roster, names, offices);
        tracing::debug!(
            elapsed_ms = started.elapsed().as_millis() as u64,
            "survey scored"
        );
        Some(scored)
    };
    let then = Then {
        survey: &score,
        facts: true,
    };
    let (checked, early) = check_then(request, &then)?;
    let over = checked.over_limit(request.config.settings.max_quarantine_share);
    if !over.is_empty() {
        return Err(PipelineError::QuarantineShare {
            limit: request.config.settings.max_quarantine_share,
            sources: over,
        });
    }

    request.progress.stage("derive");
    let derive_started = Instant::now();
    let as_of = request.as_of;
    let window_start =
        crate::sql_inputs::window_start(as_of, request.config.settings.history_months);
    let key = key?;
    let names = names.get_or_init(|| Pseudonyms::new(&checked.roster, &key));
    let (scores, scored) = early
        .survey
        .flatten()
        .unwrap_or_else(|| survey_scores(None, &checked.roster, names, &checked.office_set));
    let spells = worker_spells(&checked.roster, names, &checked.office_set, as_of);
    let workers = checked.roster.len();
    let facts = WorkerFacts {
        snapshots: early
            .snapshots
            .unwrap_or_else(|| WorkerFacts::snapshots(workers, None)),
        sessions: early
            .sessions
            .unwrap_or_else(|| WorkerFacts::sessions(workers, None)),
        enrollments: WorkerFacts::enrollments(workers, checked.enrollments.as_ref()),
    };
    // Supervision indicators count only months the extract covers (CONTRACT.md section 5).
    let first_session = facts.sessions.all().iter().map(|s| s.day).min();
    let months = worker_months(&MonthInputs {
        roster: &checked.roster,
        names,
        offices: &checked.office_set,
        facts: &facts,
        surveys: &scored,
        window_start,
        as_of,
    });
    drop(scored);
    let month_rows: usize = months.iter().map(RecordBatch::num_rows).sum();
    info!(
        elapsed_ms = derive_started.elapsed().as_millis() as u64,
        worker_months = month_rows,
        "derived tables built"
    );

    // The tables built so far are written into the new run folder now, so that the SQL
    // stage, which reads them, can free each of them once it is done with it
    // (publishing stays atomic: nothing is visible until `commit`). Writing them on a
    // thread of their own beside the SQL stage saved half a second but kept them all in
    // memory longer, which cost 100 MB of the 2 GiB budget (docs/performance.md).
    let run_id = format!(
        "{}-{:05}",
        started_at.format("%Y%m%dT%H%M%S%.3fZ"),
        std::process::id() % 100_000
    );
    let folder = warehouse.begin_run(&run_id)?;
    let offices = offices_table(&checked);
    let writing_started = Instant::now();
    let mut written: Vec<(&str, usize)> = Vec::new();
    // worker_months, the largest, is encoded on a thread of its own beside the others.
    let (quarantine, counts) = (
        quarantine_table(&checked.quarantine),
        source_counts_table(&checked.counts),
    );
    // The SQL stage's inputs are built on a thread beside the writers (the snapshots'
    // placement alone takes a fifth of a second).
    let build_inputs = || {
        vec![
            SqlInput::new("offices", vec![offices.clone()]),
            SqlInput::new("worker_spells", vec![spells.clone()]),
            SqlInput::new(
                "worker_months",
                months
                    .iter()
                    .map(|batch| {
                        sql_columns(
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
                vec![sql_columns(
                    &scores,
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
                vec![crate::sql_inputs::periods(
                    as_of,
                    request.config.settings.history_months,
                )],
            ),
            SqlInput::new(
                "src_worker_segments",
                vec![crate::sql_inputs::worker_segments(
                    &checked.roster,
                    names,
                    &checked.office_set,
                    as_of,
                )],
            ),
            SqlInput::new(
                "src_caseload_sides",
                vec![crate::sql_inputs::caseload_sides(
                    &checked.roster,
                    &checked.office_set,
                    &caseload_standards(&checked),
                    &facts.snapshots,
                    window_start,
                    as_of,
                )],
            ),
            SqlInput::new(
                "src_settings",
                vec![crate::sql_inputs::settings(
                    &request.config.settings,
                    as_of,
                    first_session,
                )],
            ),
            SqlInput::new(
                "src_program_enrollments",
                vec![crate::sql_inputs::program_enrollments(
                    checked.enrollments.as_ref(),
                    names,
                )],
            ),
        ]
    };
    // worker_months, the largest, is encoded on a thread of its own that runs on into the
    // SQL stage (joined after it): the stage's models leave gaps on the two cores that
    // the encoding fills. It holds the table's columns that SQL does not read a little
    // longer (about 100 MB at the benchmark's peak of 1.6 GB).
    let months_writer = {
        let (folder, months) = (folder.clone(), months.clone());
        std::thread::spawn(move || {
            let published: Vec<RecordBatch> =
                months.iter().map(crate::derive::published_months).collect();
            folder.write_batches("worker_months", &published)
        })
    };
    let (others_written, inputs) = std::thread::scope(|scope| {
        let inputs = scope.spawn(build_inputs);
        let others = [
            ("quarantine", &quarantine),
            ("source_counts", &counts),
            ("offices", &offices),
            ("worker_spells", &spells),
            ("survey_scores", &scores),
        ]
        .into_iter()
        .try_for_each(|(name, batch)| folder.write_table(name, batch));
        (
            others,
            inputs.join().expect("the SQL inputs thread panicked"),
        )
    });
    let join_months_writer = || {
        months_writer
            .join()
            .expect("the worker_months writer panicked")
    };
    if let Err(e) = others_written {
        join_months_writer()?;
        return Err(e.into());
    }
    drop((quarantine, counts));
    for (name, rows) in [
        ("quarantine", checked.quarantine.len()),
        ("source_counts", checked.counts.len()),
        ("offices", offices.num_rows()),
        ("worker_spells", spells.num_rows()),
        ("worker_months", month_rows),
        ("survey_scores", scores.num_rows()),
    ] {
        written.push((name, rows));
    }
    info!(
        elapsed_ms = writing_started.elapsed().as_millis() as u64,
        tables = written.len(),
        "derived tables written into the run folder"
    );

    request.progress.stage("sql");
    let sql_started = Instant::now();
    // The SQL stage holds the only reference to what it reads (see `sql_columns`).
    drop((facts, months, scores, spells));
    let marts = run_sql_stage(inputs);
    // Joined before any error is returned, so that nothing writes into the run folder
    // after the run has given up on it.
    join_months_writer()?;
    let marts = marts?;
    let mart = |name: &str| {
        marts
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, b)| b.clone())
            .expect("the mart is in MODELS")
    };
    let unsuppressed = mart("office_indicators_unsuppressed");
    let programs = crate::outcomes::program_outcomes(
        &mart("program_outcomes_unsuppressed"),
        &mart("program_pairs"),
        i64::from(request.config.settings.min_group_size),
    );
    let indicators = crate::suppression::apply(
        &unsuppressed,
        i64::from(request.config.settings.min_group_size),
        &crate::suppression::SURVEY,
    )
    .map_err(|e| {
        PipelineError::Sql(crate::sql::SqlError {
            layer: "suppression".into(),
            name: "office_indicators".into(),
            message: e.to_string(),
        })
    })?;
    let curves = crate::curves::retention_curves(&crate::curves::curves(
        &checked.roster,
        &checked.office_set,
        window_start,
        as_of,
    ));
    info!(
        elapsed_ms = sql_started.elapsed().as_millis() as u64,
        office_indicators = indicators.num_rows(),
        "indicators computed"
    );

    request.progress.stage("publish");
    for (name, batch) in [
        ("office_indicators", &indicators),
        ("retention_curves", &curves),
        ("program_outcomes", &programs),
    ] {
        folder.write_table(name, batch)?;
        written.push((name, batch.num_rows()));
    }
    if std::env::var(CRASH_POINT_ENV).as_deref() == Ok("after-tables") {
        std::process::abort();
    }
    let finished_at = chrono::Utc::now();
    let manifest = json!({
        "run_id": run_id,
        "program_version": env!("CARGO_PKG_VERSION"),
        "pipeline": request.config.pipeline.name,
        "pipeline_file": request.pipeline_file.as_ref().map(|p| p.display().to_string()),
        "as_of": as_of.to_string(),
        "started_at": started_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "finished_at": finished_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "inputs": checked.counts.iter().map(|c| json!({
            "source": c.source.name(),
            "path": c.path.as_ref().map(|p| p.display().to_string()),
            "sha256": c.sha256,
            "rows_read": c.rows_read,
            "rows_accepted": c.rows_accepted,
            "rows_quarantined": c.rows_quarantined,
        })).collect::<Vec<_>>(),
        "tables": written.iter().map(|(n, rows)| (n.to_string(), json!(rows))).collect::<serde_json::Map<_, _>>(),
    });
    folder.write_manifest(&manifest)?;
    let run_dir = warehouse.commit(folder, request.config.publish.keep_runs as usize)?;
    info!(run_id = %run_id, run_dir = %run_dir.display(), "published; current now points at this run");
    Ok(Published {
        run_id,
        run_dir,
        tables: written
            .iter()
            .map(|(n, rows)| (n.to_string(), *rows))
            .collect(),
        by_reason: checked.by_reason(),
        headlines: crate::headline::office_headlines(&indicators),
        practice: crate::headline::state_practice(&indicators),
        attendance: crate::headline::program_attendance(&programs),
        counts: checked.counts,
    })
}

/// The columns of a derived table that the SQL models read. Registering only these lets
/// the others be freed once the table is written: a third of worker_months (read by
/// `int_supervision_eligible_months`) and half of survey_scores (read by
/// `stg_survey_scores`). A model that reads another column fails to plan, which every
/// end-to-end run would show.
fn sql_columns(table: &RecordBatch, read: &[&str]) -> RecordBatch {
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
    let mut standards = vec![0.0; checked.office_set.ids.len()];
    for row in &checked.offices.accepted {
        let office = checked
            .office_set
            .get(checked.offices.ids.resolve(row.office_id))
            .expect("accepted offices make up the office set");
        standards[office as usize] = f64::from(row.caseload_standard);
    }
    standards
}

fn quarantine_table(rows: &[QuarantineRow]) -> RecordBatch {
    let mut source = StringBuilder::new();
    let mut line = Int64Builder::new();
    let mut reason = StringBuilder::new();
    let mut detail = StringBuilder::new();
    let mut raw = StringBuilder::new();
    for q in rows {
        source.append_value(q.source.name());
        line.append_value(q.line as i64);
        reason.append_value(q.reason.code());
        detail.append_value(&q.detail);
        raw.append_value(&q.raw);
    }
    let schema = Schema::new(vec![
        Field::new("source", DataType::Utf8, false),
        Field::new("line", DataType::Int64, false),
        Field::new("reason", DataType::Utf8, false),
        Field::new("detail", DataType::Utf8, false),
        Field::new("raw", DataType::Utf8, false),
    ]);
    let columns: Vec<ArrayRef> = vec![
        Arc::new(source.finish()),
        Arc::new(line.finish()),
        Arc::new(reason.finish()),
        Arc::new(detail.finish()),
        Arc::new(raw.finish()),
    ];
    RecordBatch::try_new(Arc::new(schema), columns).expect("schema matches")
}

fn source_counts_table(counts: &[SourceCount]) -> RecordBatch {
    let mut source = StringBuilder::new();
    let (mut read, mut accepted, mut quarantined) = (
        Int64Builder::new(),
        Int64Builder::new(),
        Int64Builder::new(),
    );
    for c in counts {
        source.append_value(c.source.name());
        read.append_value(c.rows_read as i64);
        accepted.append_value(c.rows_accepted as i64);
        quarantined.append_value(c.rows_quarantined as i64);
    }
    let schema = Schema::new(vec![
        Field::new("source", DataType::Utf8, false),
        Field::new("rows_read", DataType::Int64, false),
        Field::new("rows_accepted", DataType::Int64, false),
        Field::new("rows_quarantined", DataType::Int64, false),
    ]);
    let columns: Vec<ArrayRef> = vec![
        Arc::new(source.finish()),
        Arc::new(read.finish()),
        Arc::new(accepted.finish()),
        Arc::new(quarantined.finish()),
    ];
    RecordBatch::try_new(Arc::new(schema), columns).expect("schema matches")
}

fn offices_table(checked: &Checked) -> RecordBatch {
    let o = &checked.offices;
    let mut id = StringBuilder::new();
    let mut name = StringBuilder::new();
    let mut region = StringBuilder::new();
    let mut standard = Int64Builder::new();
    for row in &o.accepted {
        id.append_value(o.ids.resolve(row.office_id));
        name.append_value(&row.office_name);
        region.append_option(row.region.as_deref());
        standard.append_value(i64::from(row.caseload_standard));
    }
    let schema = Schema::new(vec![
        Field::new("office_id", DataType::Utf8, false),
        Field::new("office_name", DataType::Utf8, false),
        Field::new("region", DataType::Utf8, true),
        Field::new("caseload_standard", DataType::Int64, false),
    ]);
    let columns: Vec<ArrayRef> = vec![
        Arc::new(id.finish()),
        Arc::new(name.finish()),
        Arc::new(region.finish()),
        Arc::new(standard.finish()),
    ];
    RecordBatch::try_new(Arc::new(schema), columns).expect("schema matches")
}
