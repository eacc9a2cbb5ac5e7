//! The SQL layers (`sql/` in the repository, dbt's layering): staging -> intermediate ->
//! marts, run by DataFusion over the tables the Rust stages produced, and the views
//! leadership queries. The SQL files are compiled into the binary so that a run never
//! depends on the working directory; each file is one relation, named by its file name.
//!
//! Staging models become DataFusion views (renames and casts, folded into the plans that
//! read them). Intermediate models and marts are each computed once and registered as
//! in-memory tables for the models after them: DataFusion inlines a view (and a CTE)
//! everywhere it is used, so a view read by three models was computed three times, and
//! the planner sees a computed table's exact row count when it picks join sides.

use arrow::array::RecordBatch;
use arrow::compute::concat_batches;
use datafusion::datasource::MemTable;
use datafusion::physical_plan::{collect_partitioned, display::DisplayableExecutionPlan};
use datafusion::prelude::{SessionConfig, SessionContext};
use std::sync::Arc;
use std::time::Instant;
use tracing::{debug, warn};

/// Names a folder into which each computed model's executed plan, with per-operator metrics, is
/// written (`<model>.txt`, intermediate models and marts): the profiling aid of
/// docs/performance.md.
pub const PLAN_METRICS_ENV: &str = "RETENTION_PLAN_METRICS";

/// One SQL relation: its layer (folder), name (file stem) and text.
#[derive(Debug, Clone, Copy)]
pub struct Model {
    /// `staging`, `intermediate`, `marts` or `views`.
    pub layer: &'static str,
    /// Relation name.
    pub name: &'static str,
    /// The SQL (a query; the first line states the grain).
    pub sql: &'static str,
}

impl Model {
    /// A view's one-line description (its `-- view: ` first line).
    pub fn description(&self) -> Option<&'static str> {
        self.sql.lines().next()?.strip_prefix("-- view: ")
    }

    /// The published tables the SQL reads (`warehouse.NAME`), in order of first mention.
    pub fn reads(&self) -> Vec<&'static str> {
        let sql = self.sql;
        let mut out: Vec<&'static str> = Vec::new();
        for (at, _) in sql.match_indices("warehouse.") {
            let rest = &sql[at + "warehouse.".len()..];
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            if end > 0 && !out.contains(&&rest[..end]) {
                out.push(&rest[..end]);
            }
        }
        out
    }

    /// The description of a view's column: the data dictionary's, of the first table the
    /// view reads that has a column of that name.
    pub fn column_description(&self, column: &str) -> Option<&'static str> {
        self.reads()
            .into_iter()
            .find_map(|t| crate::dictionary::describe(t, column))
    }
}

macro_rules! model {
    ($layer:literal, $name:literal) => {
        Model {
            layer: $layer,
            name: $name,
            sql: include_str!(concat!("../../../sql/", $layer, "/", $name, ".sql")),
        }
    };
}

/// The pipeline's models: every model comes after the models it reads.
pub const MODELS: &[Model] = &[
    model!("staging", "stg_periods"),
    model!("staging", "stg_offices"),
    model!("staging", "stg_worker_segments"),
    model!("staging", "stg_worker_band_ranges"),
    model!("staging", "stg_worker_spells"),
    model!("staging", "stg_caseload_sides"),
    model!("staging", "stg_survey_scores"),
    model!("staging", "stg_program_enrollments"),
    // Intermediate models, in the order they are started when their inputs are ready:
    // those that free a large input (survey_scores, worker_months, the caseload sums)
    // first, which keeps the stage's peak memory down, then the longest first, so that
    // no long model is left to run alone at the end while the other core idles.
    model!("intermediate", "int_survey_measures"),
    model!("intermediate", "int_supervision_eligible_months"),
    model!("intermediate", "int_caseload_groups"),
    model!("intermediate", "int_program_pairs"),
    model!("intermediate", "int_program_subjects"),
    model!("intermediate", "int_survey_placed"),
    model!("intermediate", "int_survey_latest_by_period"),
    model!("intermediate", "int_program_retention"),
    model!("intermediate", "int_cell_caseload"),
    model!("intermediate", "int_cell_survey"),
    model!("intermediate", "int_supervision_months"),
    model!("intermediate", "int_cell_supervision"),
    model!("intermediate", "int_exposure_by_period"),
    model!("intermediate", "int_cell_exposure"),
    model!("intermediate", "int_separations_placed"),
    model!("intermediate", "int_transfers_out_placed"),
    model!("marts", "office_indicators_unsuppressed"),
    model!("marts", "program_pairs"),
    model!("marts", "program_outcomes_unsuppressed"),
];

/// The leadership views, aggregate only.
pub const VIEWS: &[Model] = &[
    model!("views", "data_quality"),
    model!("views", "office_risk"),
    model!("views", "turnover_trend"),
    model!("views", "supervision"),
    model!("views", "wellbeing"),
    model!("views", "retention_curves"),
    model!("views", "programs"),
    model!("views", "risk_drivers"),
    model!("views", "hiring_plan"),
];

/// A failing SQL model.
#[derive(Debug, thiserror::Error)]
#[error("SQL model {layer}/{name}.sql failed: {message}")]
pub struct SqlError {
    /// Layer of the model.
    pub layer: String,
    /// Model name.
    pub name: String,
    /// DataFusion's message.
    pub message: String,
}

/// A DataFusion session for interactive queries: two partitions (the machines' cores).
pub fn session() -> SessionContext {
    session_with_partitions(2)
}

/// The pipeline's session: one partition, so that every floating-point sum is added in
/// the same order on every run and a rerun publishes bit-identical tables (with two,
/// averages differed in the last bit between identical runs).
pub fn pipeline_session() -> SessionContext {
    session_with_partitions(1)
}

fn session_with_partitions(partitions: usize) -> SessionContext {
    let config = SessionConfig::new()
        .with_target_partitions(partitions)
        .with_batch_size(8192)
        .with_information_schema(true);
    SessionContext::new_with_config(config)
}

/// Registers an in-memory table of one or more batches with one schema, read in order
/// as one partition. `sorted_by` names columns the rows are sorted on, ascending, in
/// that order (empty: no order is declared). DataFusion trusts a declared order (an
/// aggregation grouped by its leading columns then streams group by group instead of
/// holding every group in a hash table), so debug builds, which the tests run, check it.
pub fn register(
    ctx: &SessionContext,
    name: &str,
    batches: Vec<RecordBatch>,
    sorted_by: &[&str],
) -> Result<(), SqlError> {
    let err = |e: datafusion::error::DataFusionError| SqlError {
        layer: "input".into(),
        name: name.into(),
        message: e.to_string(),
    };
    let schema = batches
        .first()
        .expect("an input has at least one batch")
        .schema();
    debug_assert!(
        is_sorted(&batches, sorted_by),
        "input {name} is not sorted by {sorted_by:?} as declared"
    );
    let mut table = MemTable::try_new(schema, vec![batches]).map_err(err)?;
    if !sorted_by.is_empty() {
        let order = sorted_by
            .iter()
            .map(|c| datafusion::prelude::col(*c).sort(true, false))
            .collect();
        table = table.with_sort_order(vec![order]);
    }
    ctx.register_table(name, Arc::new(table)).map_err(err)?;
    Ok(())
}

/// True when consecutive rows of `batches` never decrease on `columns`, compared in turn
/// (nulls last, as [`register`] declares them).
fn is_sorted(batches: &[RecordBatch], columns: &[&str]) -> bool {
    if columns.is_empty() {
        return true;
    }
    // Empty batches would hide the boundary between the batches around them.
    let batches: Vec<&RecordBatch> = batches.iter().filter(|b| b.num_rows() > 0).collect();
    use arrow::array::make_comparator;
    use arrow::compute::SortOptions;
    use std::cmp::Ordering;
    let options = SortOptions {
        descending: false,
        nulls_first: false,
    };
    // Each batch's rows against each other, and each batch's first row against the
    // previous batch's last.
    let pairs = batches.windows(2).map(|w| (w[0], w[1]));
    let within = batches.iter().map(|b| (*b, *b));
    for (before, after) in pairs.chain(within) {
        let same = std::ptr::eq(before, after);
        let comparators: Vec<_> = columns
            .iter()
            .map(|c| {
                let (a, b) = (
                    before.column_by_name(c).expect("a declared column exists"),
                    after.column_by_name(c).expect("a declared column exists"),
                );
                make_comparator(a, b, options).expect("the column is comparable")
            })
            .collect();
        let compare = |i: usize, j: usize| {
            comparators
                .iter()
                .map(|cmp| cmp(i, j))
                .find(|o| *o != Ordering::Equal)
                .unwrap_or(Ordering::Equal)
        };
        let out_of_order = if same {
            (1..after.num_rows()).any(|j| compare(j - 1, j) == Ordering::Greater)
        } else {
            before.num_rows() > 0
                && after.num_rows() > 0
                && compare(before.num_rows() - 1, 0) == Ordering::Greater
        };
        if out_of_order {
            return false;
        }
    }
    true
}

/// How many models are computed at once. Each runs in one partition (see
/// [`pipeline_session`]), so two at a time keep both cores busy while every model's
/// result stays bit-identical from run to run.
const CONCURRENT_MODELS: usize = 2;

/// Registers every staging model as a view, computes the intermediate models and marts,
/// and returns each mart's rows in `models` order.
///
/// A model is started once every model it names has been computed, at most
/// [`CONCURRENT_MODELS`] at a time, earliest in `models` first; a relation is freed once
/// no model still to finish names it.
pub async fn run_models(
    ctx: &SessionContext,
    models: &'static [Model],
) -> Result<Vec<(&'static str, RecordBatch)>, SqlError> {
    for m in models.iter().filter(|m| m.layer == "staging") {
        ctx.sql(&format!("create view {} as {}", m.name, m.sql))
            .await
            .map_err(model_error(m))?
            .collect()
            .await
            .map_err(model_error(m))?;
    }
    let computed: Vec<&'static Model> = models.iter().filter(|m| m.layer != "staging").collect();
    // The models each one reads, by position in `computed`.
    let needs: Vec<Vec<usize>> = computed
        .iter()
        .map(|m| {
            (0..computed.len())
                .filter(|&k| mentions(m.sql, computed[k].name))
                .collect()
        })
        .collect();
    let mut started = vec![false; computed.len()];
    let mut finished = vec![false; computed.len()];
    let mut results: Vec<Option<RecordBatch>> = vec![None; computed.len()];
    let mut running = tokio::task::JoinSet::new();
    loop {
        while running.len() < CONCURRENT_MODELS {
            let Some(next) =
                (0..computed.len()).find(|&k| !started[k] && needs[k].iter().all(|&d| finished[d]))
            else {
                break;
            };
            started[next] = true;
            let (ctx, model) = (ctx.clone(), computed[next]);
            running.spawn(async move { (next, compute(&ctx, model).await) });
        }
        let Some(joined) = running.join_next().await else {
            break;
        };
        let (k, result) = joined.map_err(|e| SqlError {
            layer: "runtime".into(),
            name: "model task".into(),
            message: e.to_string(),
        })?;
        let (schema, batches) = result?;
        let m = computed[k];
        if m.layer == "marts" {
            let mart = concat_batches(&schema, &batches).map_err(|e| model_error(m)(e.into()))?;
            results[k] = Some(mart);
        }
        register(ctx, m.name, batches, &[])?;
        finished[k] = true;
        let unfinished: Vec<Model> = (0..computed.len())
            .filter(|&u| !finished[u])
            .map(|u| *computed[u])
            .collect();
        drop_unused(ctx, &unfinished).map_err(model_error(m))?;
    }
    if let Some(k) = (0..computed.len()).find(|&k| !finished[k]) {
        return Err(SqlError {
            layer: computed[k].layer.into(),
            name: computed[k].name.into(),
            message: "never started: it names a model that comes after it".into(),
        });
    }
    Ok(computed
        .iter()
        .zip(results)
        .filter_map(|(m, batch)| batch.map(|b| (m.name, b)))
        .collect())
}

/// Computes one model into its batches in row order (at least one, empty if need be),
/// logging its time and, when [`PLAN_METRICS_ENV`] is set, writing its executed plan with
/// metrics. The batches are kept as the plan made them: concatenating a model's output
/// into one batch copied every intermediate table once more into freshly touched memory.
async fn compute(
    ctx: &SessionContext,
    m: &Model,
) -> Result<(arrow::datatypes::SchemaRef, Vec<RecordBatch>), SqlError> {
    let err = model_error(m);
    let started = Instant::now();
    let df = ctx.sql(m.sql).await.map_err(err)?;
    let schema = Arc::new(df.schema().as_arrow().clone());
    let plan = df.create_physical_plan().await.map_err(err)?;
    // Partition by partition, in partition order: `collect` would merge the partitions of
    // a top-level union in whatever order they finish, and later models sum these rows in
    // row order. (A plan that merges partitions inside must end in an ORDER BY; an
    // end-to-end test checks every model's plan for it.)
    let partitions = collect_partitioned(plan.clone(), ctx.task_ctx())
        .await
        .map_err(err)?;
    let mut batches: Vec<RecordBatch> = partitions
        .into_iter()
        .flatten()
        .filter(|b| b.num_rows() > 0)
        .collect();
    if batches.is_empty() {
        batches.push(RecordBatch::new_empty(schema.clone()));
    }
    let elapsed_ms = started.elapsed().as_millis() as u64;
    debug!(
        model = m.name,
        rows = batches.iter().map(RecordBatch::num_rows).sum::<usize>(),
        bytes = memory_size(&batches),
        elapsed_ms,
        "model computed"
    );
    if let Some(dir) = std::env::var_os(PLAN_METRICS_ENV) {
        // The executed plan with its metrics (rows, time per operator): what `EXPLAIN
        // ANALYZE` shows, without running the query twice.
        let text = DisplayableExecutionPlan::with_metrics(plan.as_ref())
            .indent(true)
            .to_string();
        let path = std::path::Path::new(&dir).join(format!("{}.txt", m.name));
        if let Err(e) = std::fs::write(&path, text) {
            warn!(path = %path.display(), error = %e, "could not write the plan metrics");
        }
    }
    Ok((schema, batches))
}

/// Bytes held by `batches`, each buffer counted once however many batches share it
/// (an operator's output batches are often slices of one array).
pub fn memory_size(batches: &[RecordBatch]) -> usize {
    fn add(data: &arrow::array::ArrayData, seen: &mut std::collections::HashSet<usize>) -> usize {
        let mut bytes = 0;
        let buffers = data
            .buffers()
            .iter()
            .chain(data.nulls().map(|n| n.buffer()));
        for buffer in buffers {
            if seen.insert(buffer.data_ptr().as_ptr() as usize) {
                bytes += buffer.capacity();
            }
        }
        bytes
            + data
                .child_data()
                .iter()
                .map(|c| add(c, seen))
                .sum::<usize>()
    }
    let mut seen = std::collections::HashSet::new();
    batches
        .iter()
        .flat_map(|b| b.columns())
        .map(|c| add(&c.to_data(), &mut seen))
        .sum()
}

fn model_error(m: &Model) -> impl Fn(datafusion::error::DataFusionError) -> SqlError + Copy + '_ {
    move |e| SqlError {
        layer: m.layer.into(),
        name: m.name.into(),
        message: e.to_string(),
    }
}

/// Deregisters every table and view no remaining model names, so that its rows are freed
/// as soon as the last model reading them is computed (a view keeps the tables it reads
/// alive until it goes too). This keeps the SQL stage's memory near that of its largest
/// step rather than the sum of all of them.
fn drop_unused(
    ctx: &SessionContext,
    remaining: &[Model],
) -> Result<(), datafusion::error::DataFusionError> {
    let Some(schema) = ctx
        .catalog("datafusion")
        .and_then(|catalog| catalog.schema("public"))
    else {
        return Ok(());
    };
    for name in schema.table_names() {
        if !remaining.iter().any(|m| mentions(m.sql, &name)) {
            schema.deregister_table(&name)?;
        }
    }
    Ok(())
}

/// Whether `sql` names `name` as a whole identifier outside `--` comments.
fn mentions(sql: &str, name: &str) -> bool {
    let is_ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    sql.lines()
        .map(|line| line.split("--").next().unwrap_or(""))
        .any(|code| {
            code.match_indices(name).any(|(at, _)| {
                let before = code[..at].chars().next_back();
                let after = code[at + name.len()..].chars().next();
                !before.is_some_and(is_ident) && !after.is_some_and(is_ident)
            })
        })
}

/// Registers the leadership views over tables already registered in the `warehouse`
/// schema (published tables live there; the views, which are what leadership queries,
/// take the plain names).
pub async fn register_views(ctx: &SessionContext) -> Result<(), SqlError> {
    for v in VIEWS {
        let name = v.name;
        let err = |e: datafusion::error::DataFusionError| SqlError {
            layer: v.layer.into(),
            name: v.name.into(),
            message: e.to_string(),
        };
        ctx.sql(&format!("create view {name} as {}", v.sql))
            .await
            .map_err(err)?
            .collect()
            .await
            .map_err(err)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One person's risk is for analysts only: no leadership view reads worker_risk
    /// (CONTRACT.md section 9); what they show of it comes through office_indicators,
    /// risk_drivers and hiring_plan, which follow its suppression.
    #[test]
    fn no_leadership_view_reads_worker_risk() {
        for view in VIEWS {
            assert!(
                !mentions(view.sql, "worker_risk"),
                "view {} reads worker_risk",
                view.name
            );
        }
        let names: Vec<&str> = VIEWS.iter().map(|v| v.name).collect();
        assert!(names.contains(&"risk_drivers") && names.contains(&"hiring_plan"));
    }

    #[test]
    fn mentions_matches_whole_identifiers_only() {
        let sql = "select * from int_caseload_groups as g join stg_periods as p";
        assert!(mentions(sql, "int_caseload_groups"));
        assert!(mentions(sql, "stg_periods"));
        assert!(!mentions(sql, "int_caseload"));
        assert!(!mentions(sql, "caseload_groups"));
        assert!(!mentions(sql, "periods"));
        assert!(!mentions(
            "-- int_caseload_groups sums these\nselect 1",
            "int_caseload_groups"
        ));
    }

    #[test]
    fn every_model_reads_only_relations_computed_before_it() {
        // drop_unused frees a relation once no later model names it, which is only right
        // if MODELS is in dependency order.
        for (i, m) in MODELS.iter().enumerate() {
            for later in &MODELS[i + 1..] {
                assert!(
                    !mentions(m.sql, later.name),
                    "{} reads {}, which comes after it in MODELS",
                    m.name,
                    later.name
                );
            }
        }
    }

    #[test]
    fn every_model_states_its_grain() {
        for m in MODELS.iter().chain(VIEWS) {
            let first = m.sql.lines().next().unwrap_or("");
            assert!(
                first.starts_with("-- grain: ") || first.starts_with("-- view: "),
                "{}/{}.sql opens with its grain: {first}",
                m.layer,
                m.name
            );
        }
    }

    fn batch(worker: &[i32], day: &[i32]) -> RecordBatch {
        use arrow::array::Int32Array;
        RecordBatch::try_from_iter([
            (
                "worker",
                Arc::new(Int32Array::from(worker.to_vec())) as arrow::array::ArrayRef,
            ),
            ("day", Arc::new(Int32Array::from(day.to_vec()))),
        ])
        .unwrap()
    }

    #[test]
    fn a_declared_order_is_checked_within_and_across_batches() {
        let sorted = vec![batch(&[1, 1, 2], &[5, 9, 1]), batch(&[2, 3], &[1, 0])];
        assert!(is_sorted(&sorted, &["worker", "day"]));
        assert!(is_sorted(&sorted, &["worker"]));
        assert!(is_sorted(&sorted, &[]));
        // The second column is compared only where the first ties.
        assert!(!is_sorted(&sorted, &["day"]));
        let within = vec![batch(&[1, 1], &[9, 5])];
        assert!(!is_sorted(&within, &["worker", "day"]));
        let across = vec![batch(&[1, 2], &[1, 1]), batch(&[1, 3], &[1, 1])];
        assert!(!is_sorted(&across, &["worker"]));
        let hidden = vec![batch(&[2], &[0]), batch(&[], &[]), batch(&[1], &[0])];
        assert!(!is_sorted(&hidden, &["worker"]));
    }

    #[test]
    fn memory_size_counts_a_buffer_shared_by_slices_once() {
        let whole = batch(&[1, 2, 3, 4], &[5, 6, 7, 8]);
        let one = memory_size(std::slice::from_ref(&whole));
        assert!(one >= 2 * 4 * 4, "two columns of four i32: {one}");
        let halves = vec![whole.slice(0, 2), whole.slice(2, 2)];
        assert_eq!(memory_size(&halves), one);
        let copy = batch(&[1, 2, 3, 4], &[5, 6, 7, 8]);
        assert_eq!(memory_size(&[whole, copy]), 2 * one);
    }

    #[test]
    #[cfg(debug_assertions)]
    #[should_panic(expected = "is not sorted by")]
    fn registering_an_input_out_of_its_declared_order_fails_in_debug_builds() {
        let ctx = pipeline_session();
        let _ = register(&ctx, "t", vec![batch(&[2, 1], &[0, 0])], &["worker"]);
    }
}
