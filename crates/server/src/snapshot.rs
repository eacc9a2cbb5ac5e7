//! What one published run looks like to each role: a DataFusion context per role, built
//! when `current` moves to a new run.
//!
//! A context per role, not one filtered context: pg_catalog and information_schema list
//! what their context holds, so the leadership context holds the views and nothing else,
//! and no query, catalog lookup or plan can name a table it does not have.
//!
//! - The leadership views are computed once per run and held in memory (they are small
//!   and change once a night), as relations of type VIEW, in schema `public`.
//! - The analyst context adds every published table (read from the run's folder) in
//!   schema `warehouse`, and under its plain name where no view takes it, as
//!   `retention query` does; but not `quarantine`, whose `raw` and `detail` hold the
//!   refused rows' text with raw worker ids.
//! - `obj_description`, `col_description` and `pg_get_viewdef` answer from the data
//!   dictionary, so psql's `\dv+` and `\d+ VIEW` show descriptions; a view's definition
//!   is its description, never its SQL (which names the tables leadership cannot see).

use crate::users::Role;
use arrow::array::{Array, ArrayRef, Int64Array, StringArray};
use arrow::datatypes::{DataType, SchemaRef};
use async_trait::async_trait;
use datafusion::catalog::{Session, TableProvider};
use datafusion::common::ScalarValue;
use datafusion::datasource::MemTable;
use datafusion::error::Result as DfResult;
use datafusion::logical_expr::{
    ColumnarValue, Expr, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
    TableProviderFilterPushDown, TableType, TypeSignature, Volatility,
};
use datafusion::physical_plan::ExecutionPlan;
use datafusion::prelude::{SessionConfig, SessionContext};
use datafusion_postgres::datafusion_pg_catalog::pg_catalog::context::EmptyContextProvider;
use datafusion_postgres::datafusion_pg_catalog::pg_catalog::setup_pg_catalog;
use retention_pipeline::sql::VIEWS;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

/// The database name clients connect to (any name is accepted; this one is reported).
pub const DATABASE: &str = "retention";

/// One published run, as each role sees it.
pub struct Snapshot {
    /// The run id.
    pub run_id: String,
    /// Counts snapshots built since the server started.
    pub generation: u64,
    leadership: Arc<SessionContext>,
    analyst: Arc<SessionContext>,
}

impl Snapshot {
    /// The context of `role`.
    pub fn context(&self, role: Role) -> &Arc<SessionContext> {
        match role {
            Role::Leadership => &self.leadership,
            Role::Analyst => &self.analyst,
        }
    }
}

/// A served relation, read only: no `insert_into`, so no write reaches the warehouse. The
/// views are in-memory tables shown as VIEW; the analyst's tables keep their own type.
#[derive(Debug)]
struct ReadOnly {
    inner: Arc<dyn TableProvider>,
    table_type: TableType,
}

impl ReadOnly {
    fn table(inner: Arc<dyn TableProvider>) -> Arc<ReadOnly> {
        let table_type = inner.table_type();
        Arc::new(ReadOnly { inner, table_type })
    }

    fn view(inner: MemTable) -> Arc<ReadOnly> {
        Arc::new(ReadOnly {
            inner: Arc::new(inner),
            table_type: TableType::View,
        })
    }
}

#[async_trait]
impl TableProvider for ReadOnly {
    fn schema(&self) -> SchemaRef {
        self.inner.schema()
    }
    fn table_type(&self) -> TableType {
        self.table_type
    }
    fn supports_filters_pushdown(
        &self,
        filters: &[&Expr],
    ) -> DfResult<Vec<TableProviderFilterPushDown>> {
        self.inner.supports_filters_pushdown(filters)
    }
    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> DfResult<Arc<dyn ExecutionPlan>> {
        self.inner.scan(state, projection, filters, limit).await
    }
}

fn context() -> SessionContext {
    let config = SessionConfig::new()
        .with_default_catalog_and_schema(DATABASE, "public")
        .with_create_default_catalog_and_schema(true)
        .with_information_schema(true)
        .with_target_partitions(2)
        .with_batch_size(8192);
    SessionContext::new_with_config(config)
}

/// Builds the contexts of run `run_id` of `warehouse`.
pub async fn load(
    warehouse: &Path,
    run_id: &str,
    generation: u64,
) -> Result<Snapshot, retention_pipeline::query::QueryError> {
    use retention_pipeline::query::{QueryError, open_run};
    let all = open_run(warehouse, Some(run_id)).await?;
    let setup = |name: &str, e: datafusion::error::DataFusionError| {
        QueryError::Setup(retention_pipeline::sql::SqlError {
            layer: "server".into(),
            name: name.into(),
            message: e.to_string(),
        })
    };
    let mut views: Vec<(&str, Arc<dyn TableProvider>)> = Vec::new();
    for v in VIEWS {
        let df = all
            .sql(&format!("select * from {}", v.name))
            .await
            .map_err(|e| setup(v.name, e))?;
        let schema: SchemaRef = Arc::new(df.schema().as_arrow().clone());
        let batches = df.collect().await.map_err(|e| setup(v.name, e))?;
        let table = MemTable::try_new(schema, vec![batches]).map_err(|e| setup(v.name, e))?;
        views.push((v.name, ReadOnly::view(table)));
    }

    let leadership = context();
    for (name, table) in &views {
        leadership
            .register_table(*name, table.clone())
            .map_err(|e| setup(name, e))?;
    }

    let analyst = context();
    let run = warehouse.join("runs").join(run_id);
    let tables =
        retention_pipeline::query::register_run_tables(&analyst, &run, &["quarantine"]).await?;
    // Read-only whatever a statement asks: the guard refuses writes, and a table that
    // cannot be written to is the second lock.
    for table in &tables {
        for name in [format!("warehouse.{table}"), table.clone()] {
            if VIEWS.iter().any(|v| v.name == name) {
                continue;
            }
            if let Some(provider) = analyst
                .deregister_table(name.as_str())
                .map_err(|e| setup(&name, e))?
            {
                analyst
                    .register_table(name.as_str(), ReadOnly::table(provider))
                    .map_err(|e| setup(&name, e))?;
            }
        }
    }
    for (name, table) in &views {
        analyst
            .register_table(*name, table.clone())
            .map_err(|e| setup(name, e))?;
    }

    // Leadership reads descriptions that name no table: the dictionary's "worker_risk"
    // reads "worker risk" there.
    let mut unseen = tables.clone();
    unseen.push("quarantine".into());
    for (ctx, hidden) in [(&leadership, unseen), (&analyst, Vec::new())] {
        setup_pg_catalog(ctx, DATABASE, EmptyContextProvider)
            .map_err(|e| setup("pg_catalog", *e))?;
        describe(ctx, &hidden)
            .await
            .map_err(|e| setup("pg_catalog", e))?;
    }
    Ok(Snapshot {
        run_id: run_id.to_string(),
        generation,
        leadership: Arc::new(leadership),
        analyst: Arc::new(analyst),
    })
}

/// Registers `obj_description`, `col_description` and `pg_get_viewdef` over the relations
/// of `ctx`, keyed by the oids its pg_class gives them.
async fn describe(ctx: &SessionContext, hidden: &[String]) -> DfResult<()> {
    let rows = ctx
        .sql(
            "select cast(c.oid as bigint) as oid, n.nspname, c.relname \
             from pg_catalog.pg_class as c \
             join pg_catalog.pg_namespace as n on n.oid = c.relnamespace \
             where n.nspname in ('public', 'warehouse')",
        )
        .await?
        .collect()
        .await?;
    let mut relations: HashMap<i64, String> = HashMap::new();
    let mut columns: HashMap<(i64, i64), String> = HashMap::new();
    let mut definitions: HashMap<i64, String> = HashMap::new();
    for batch in &rows {
        let oid = arrow::compute::cast(batch.column(0), &DataType::Int64)?;
        let oid = oid
            .as_any()
            .downcast_ref::<Int64Array>()
            .expect("cast to Int64");
        let names: Vec<ArrayRef> = (1..3)
            .map(|i| arrow::compute::cast(batch.column(i), &DataType::Utf8))
            .collect::<Result<_, _>>()?;
        let schema = names[0]
            .as_any()
            .downcast_ref::<StringArray>()
            .expect("text");
        let name = names[1]
            .as_any()
            .downcast_ref::<StringArray>()
            .expect("text");
        for i in 0..batch.num_rows() {
            let (oid, schema, name) = (oid.value(i), schema.value(i), name.value(i));
            let Ok(table) = ctx.table_provider(format!("{schema}.{name}")).await else {
                continue;
            };
            let view = VIEWS.iter().find(|v| v.name == name && schema == "public");
            if let Some(about) = view.and_then(|v| v.description()) {
                let about = unnamed(about, hidden);
                relations.insert(oid, about.clone());
                definitions.insert(
                    oid,
                    format!(" -- {about} (computed by retention when a run publishes)"),
                );
            }
            for (k, field) in table.schema().fields().iter().enumerate() {
                let described = match view {
                    Some(v) => v.column_description(field.name()),
                    None => retention_pipeline::dictionary::describe(name, field.name()),
                };
                if let Some(d) = described {
                    columns.insert((oid, k as i64 + 1), unnamed(d, hidden));
                }
            }
        }
    }
    ctx.register_udf(ScalarUDF::new_from_impl(Lookup::new(
        "obj_description",
        relations
            .into_iter()
            .map(|(oid, d)| ((oid, 0), d))
            .collect(),
        false,
    )));
    ctx.register_udf(ScalarUDF::new_from_impl(Lookup::new(
        "col_description",
        columns,
        true,
    )));
    ctx.register_udf(ScalarUDF::new_from_impl(Lookup::new(
        "pg_get_viewdef",
        definitions
            .into_iter()
            .map(|(oid, d)| ((oid, 0), d))
            .collect(),
        false,
    )));
    // SQLAlchemy and other drivers read the PostgreSQL version from version().
    ctx.register_udf(Fixed::udf(
        "version",
        Some(0),
        ScalarValue::Utf8(Some(format!(
            "PostgreSQL 16.6 on retention {} (Apache DataFusion 55)",
            env!("CARGO_PKG_VERSION")
        ))),
    ));
    // Asked by drivers, unknown here: psycopg (under SQLAlchemy) looks types such as
    // hstore up with to_regtype(); SQLAlchemy's inspector asks for a column's sequence;
    // psql's `\dv+` shows sizes (empty). SQLAlchemy describes identity columns and collations
    // (there are none) with json_build_object() and pg_collation_is_visible().
    for (name, arguments, data_type) in [
        ("to_regtype", Some(1), DataType::Int32),
        ("pg_get_serial_sequence", Some(2), DataType::Utf8),
        ("pg_table_size", Some(1), DataType::Int64),
        ("pg_size_pretty", Some(1), DataType::Utf8),
        ("json_build_object", None, DataType::Utf8),
        ("pg_collation_is_visible", Some(1), DataType::Boolean),
    ] {
        ctx.register_udf(Fixed::unknown(name, arguments, &data_type));
    }
    Ok(())
}

/// `text` with every table name of `hidden` written as words (`worker_risk` as
/// `worker risk`), so that a description does not name a relation its reader cannot see.
fn unnamed(text: &str, hidden: &[String]) -> String {
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut out = text.to_string();
    for name in hidden.iter().filter(|n| n.contains('_')) {
        let mut from = 0;
        while let Some(at) = out[from..].find(name.as_str()).map(|i| i + from) {
            let end = at + name.len();
            let alone = !out[..at].ends_with(word) && !out[end..].starts_with(word);
            if alone {
                out.replace_range(at..end, &name.replace('_', " "));
            }
            from = end;
        }
    }
    out
}

/// A function of an oid (and, for `col_description`, a column number) answered from a
/// map; anything else it is given (`'pg_class'`, psql's `true`) is ignored.
#[derive(Debug, PartialEq, Eq, Hash)]
struct Lookup {
    name: &'static str,
    signature: Signature,
    by_column: bool,
    entries: Vec<((i64, i64), String)>,
}

impl Lookup {
    fn new(name: &'static str, map: HashMap<(i64, i64), String>, by_column: bool) -> Lookup {
        let mut entries: Vec<_> = map.into_iter().collect();
        entries.sort();
        Lookup {
            name,
            signature: Signature::one_of(
                vec![TypeSignature::Any(1), TypeSignature::Any(2)],
                Volatility::Stable,
            ),
            by_column,
            entries,
        }
    }

    fn get(&self, key: (i64, i64)) -> Option<&str> {
        self.entries
            .binary_search_by(|(k, _)| k.cmp(&key))
            .ok()
            .map(|i| self.entries[i].1.as_str())
    }
}

impl ScalarUDFImpl for Lookup {
    fn name(&self) -> &str {
        self.name
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _: &[DataType]) -> DfResult<DataType> {
        Ok(DataType::Utf8)
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> DfResult<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let as_int = |a: &ArrayRef| -> DfResult<Int64Array> {
            let cast = arrow::compute::cast(a, &DataType::Int64)?;
            Ok(cast
                .as_any()
                .downcast_ref::<Int64Array>()
                .expect("cast to Int64")
                .clone())
        };
        let oids = as_int(&arrays[0])?;
        let column = match (self.by_column, arrays.get(1)) {
            (true, Some(a)) => Some(as_int(a)?),
            _ => None,
        };
        let out: StringArray = (0..oids.len())
            .map(|i| {
                if oids.is_null(i) {
                    return None;
                }
                let k = column
                    .as_ref()
                    .map_or(Some(0), |c| (!c.is_null(i)).then(|| c.value(i)))?;
                self.get((oids.value(i), k)).map(str::to_string)
            })
            .collect();
        let out: ArrayRef = Arc::new(out);
        if args
            .args
            .iter()
            .all(|a| matches!(a, ColumnarValue::Scalar(_)))
        {
            return Ok(ColumnarValue::Scalar(ScalarValue::try_from_array(&out, 0)?));
        }
        Ok(ColumnarValue::Array(out))
    }
}

/// A function drivers call whose answer here is fixed: `version()`, or unknown (null) for
/// a size the server does not report, a type or sequence that does not exist.
#[derive(Debug, PartialEq, Eq, Hash)]
struct Fixed {
    name: &'static str,
    value: ScalarValue,
    signature: Signature,
}

impl Fixed {
    /// `arguments` None: any number.
    fn udf(name: &'static str, arguments: Option<usize>, value: ScalarValue) -> ScalarUDF {
        let signature = match arguments {
            Some(0) => Signature::exact(vec![], Volatility::Stable),
            Some(n) => Signature::any(n, Volatility::Stable),
            None => Signature::variadic_any(Volatility::Stable),
        };
        ScalarUDF::new_from_impl(Fixed {
            name,
            value,
            signature,
        })
    }

    /// The null of `data_type`.
    fn unknown(name: &'static str, arguments: Option<usize>, data_type: &DataType) -> ScalarUDF {
        let null = ScalarValue::try_from(data_type).expect("a null of a primitive type");
        Fixed::udf(name, arguments, null)
    }
}

impl ScalarUDFImpl for Fixed {
    fn name(&self) -> &str {
        self.name
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _: &[DataType]) -> DfResult<DataType> {
        Ok(self.value.data_type())
    }
    fn invoke_with_args(&self, _: ScalarFunctionArgs) -> DfResult<ColumnarValue> {
        Ok(ColumnarValue::Scalar(self.value.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::unnamed;

    #[test]
    fn descriptions_name_no_hidden_table() {
        let hidden = ["worker_risk".to_string(), "office_indicators".to_string()];
        assert_eq!(
            unnamed(
                "Workers of worker_risk in the office; null where office_indicators suppresses (worker_risk_x stays).",
                &hidden
            ),
            "Workers of worker risk in the office; null where office indicators suppresses (worker_risk_x stays)."
        );
    }
}
