//! What every published Parquet file says about itself (issue #12, docs/tables.md): the
//! run it belongs to, as key-value metadata; each column's description, as field metadata
//! from [`crate::dictionary`]; a writer name that parquet-mr parses (so that Spark, Hive
//! and Trino trust the statistics of text columns); the order the rows are written in, as
//! sorting columns; and row groups small enough that readers can skip most of a large
//! table by its statistics.

use arrow::datatypes::{Field, Schema, SchemaRef};
use parquet::basic::Compression;
use parquet::errors::ParquetError;
use parquet::file::metadata::{KeyValue, SortingColumn};
use parquet::file::properties::WriterProperties;
use std::collections::HashMap;
use std::sync::Arc;

/// The CONTRACT.md this program implements, by the date of its last change taken in.
/// Bump it with every change that implements a change of CONTRACT.md.
pub const CONTRACT_VERSION: &str = "2026-12-04";

/// Rows per row group. At the benchmark agency's size (20,000 workers, 10 years),
/// worker_months (about 2.6 million rows) holds about 20 and survey_scores several.
pub const ROW_GROUP_ROWS: usize = 128 * 1024;

/// Rows per row group of the quarantine, whose rows are wide (the raw record) and few.
pub const QUARANTINE_ROW_GROUP_ROWS: usize = 8 * 1024;

/// The key-value metadata keys, each prefixed `retention.`.
pub const METADATA_KEYS: [&str; 5] = [
    "retention.run_id",
    "retention.as_of",
    "retention.table",
    "retention.contract_version",
    "retention.program_version",
];

/// The field-metadata key of a column's description.
pub const DESCRIPTION_KEY: &str = "description";

/// The writer name, in the form parquet-mr parses (`<app> version <x.y.z>`).
pub fn created_by() -> String {
    format!("retention version {}", env!("CARGO_PKG_VERSION"))
}

/// The columns each table's rows are sorted by, in order (ascending, no nulls in them).
/// Tables in an order that is not a column's natural order (the quarantine by source in
/// the contract's order, the offices in file order) declare none. A test reads every
/// published table back and checks the order it declares.
pub fn sorted_by(table: &str) -> &'static [&'static str] {
    match table {
        "worker_spells" => &["worker_key", "spell_no"],
        "worker_months" => &["worker_key", "month"],
        "survey_scores" => &["response_id"],
        "office_indicators" => &["period_type", "period_start", "office_id", "tenure_band"],
        "program_outcomes" => &["program", "cohort_id", "measure"],
        "worker_risk" => &["worker_key"],
        "risk_drivers" => &["office_id", "driver"],
        "hiring_plan" => &["office_id"],
        _ => &[],
    }
}

/// `schema` with each column's description from the dictionary as field metadata.
pub fn described(table: &str, schema: &SchemaRef) -> SchemaRef {
    let fields: Vec<Field> = schema
        .fields()
        .iter()
        .map(|f| match crate::dictionary::describe(table, f.name()) {
            Some(text) => {
                let mut metadata = f.metadata().clone();
                metadata.insert(DESCRIPTION_KEY.to_string(), text.to_string());
                f.as_ref().clone().with_metadata(metadata)
            }
            None => f.as_ref().clone(),
        })
        .collect();
    Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone()))
}

/// The writer properties of one table of one run.
pub fn writer_properties(
    table: &str,
    run_id: &str,
    as_of: &str,
    schema: &SchemaRef,
) -> Result<WriterProperties, ParquetError> {
    let values = [
        run_id,
        as_of,
        table,
        CONTRACT_VERSION,
        env!("CARGO_PKG_VERSION"),
    ];
    let metadata = METADATA_KEYS
        .iter()
        .zip(values)
        .map(|(k, v)| KeyValue::new(k.to_string(), v.to_string()))
        .collect();
    let index: HashMap<&str, usize> = schema
        .fields()
        .iter()
        .enumerate()
        .map(|(i, f)| (f.name().as_str(), i))
        .collect();
    let sorting = sorted_by(table)
        .iter()
        .map(|c| {
            index
                .get(c)
                .map(|&i| SortingColumn {
                    column_idx: i as i32,
                    descending: false,
                    nulls_first: true,
                })
                .ok_or_else(|| {
                    ParquetError::General(format!(
                        "table {table} declares it is sorted by {c}, a column it does not have"
                    ))
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let rows = if table == "quarantine" {
        QUARANTINE_ROW_GROUP_ROWS
    } else {
        ROW_GROUP_ROWS
    };
    Ok(WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_created_by(created_by())
        .set_key_value_metadata(Some(metadata))
        .set_sorting_columns((!sorting.is_empty()).then_some(sorting))
        .set_max_row_group_row_count(Some(rows))
        .build())
}
