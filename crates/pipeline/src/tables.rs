//! The tables of the ingest stage, built from what validation kept: `quarantine`,
//! `source_counts` and `offices`; the data dictionary `columns`; and `tenure_bands`, the
//! bands' sort order.

use arrow::array::{ArrayRef, Int64Builder, RecordBatch, StringBuilder};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use retention_contract::TenureBand;
use retention_contract::rows::OfficeRow;
use retention_ingest::{Outcome, QuarantineRow, SourceCount};
use std::sync::Arc;

/// `quarantine`: every refused row (CONTRACT.md section 2).
pub(crate) fn quarantine_table(rows: &[QuarantineRow]) -> RecordBatch {
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

/// `source_counts`: rows read, accepted and quarantined per source.
pub(crate) fn source_counts_table(counts: &[SourceCount]) -> RecordBatch {
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

/// `offices`: the accepted offices, in file order.
pub(crate) fn offices_table(o: &Outcome<OfficeRow>) -> RecordBatch {
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

/// `tenure_bands`: each tenure band with its sort key, and `ALL` last, so that a reader
/// orders bands by joining it (`order by tenure_band_order`) where their text would put
/// 06-12m last; with the first and last tenure day of each band (section 3).
pub(crate) fn tenure_bands_table() -> RecordBatch {
    let (mut band, mut order) = (StringBuilder::new(), Int64Builder::new());
    let (mut first, mut last) = (Int64Builder::new(), Int64Builder::new());
    for b in TenureBand::ALL {
        let (from, to) = b.tenure_days();
        band.append_value(b.label());
        order.append_option(TenureBand::order_of_label(b.label()));
        first.append_value(i64::from(from));
        last.append_option((to != i32::MAX).then_some(i64::from(to)));
    }
    band.append_value("ALL");
    order.append_option(TenureBand::order_of_label("ALL"));
    first.append_null();
    last.append_null();
    let schema = Schema::new(vec![
        Field::new("tenure_band", DataType::Utf8, false),
        Field::new("tenure_band_order", DataType::Int64, false),
        Field::new("first_tenure_day", DataType::Int64, true),
        Field::new("last_tenure_day", DataType::Int64, true),
    ]);
    let columns: Vec<ArrayRef> = vec![
        Arc::new(band.finish()),
        Arc::new(order.finish()),
        Arc::new(first.finish()),
        Arc::new(last.finish()),
    ];
    RecordBatch::try_new(Arc::new(schema), columns).expect("schema matches")
}

/// The schema of the `columns` table (the data dictionary).
pub(crate) fn columns_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("table_name", DataType::Utf8, false),
        Field::new("column_name", DataType::Utf8, false),
        Field::new("position", DataType::Int64, false),
        Field::new("data_type", DataType::Utf8, false),
        Field::new("nullable", DataType::Boolean, false),
        Field::new("description", DataType::Utf8, false),
        Field::new("contract_section", DataType::Utf8, false),
    ]))
}

/// `columns`: one row per published column of `tables` (name and the schema written,
/// `columns` itself included last), with its description and contract section from
/// [`crate::dictionary`]. A column the dictionary lacks is an internal error: every
/// published column is described.
pub(crate) fn columns_table(tables: &[(String, SchemaRef)]) -> Result<RecordBatch, String> {
    let own = columns_schema();
    let mut all: Vec<(&str, &SchemaRef)> = tables.iter().map(|(n, s)| (n.as_str(), s)).collect();
    all.push(("columns", &own));
    let (mut table, mut column, mut position) = (
        StringBuilder::new(),
        StringBuilder::new(),
        Int64Builder::new(),
    );
    let (mut data_type, mut nullable, mut description, mut section) = (
        StringBuilder::new(),
        arrow::array::BooleanBuilder::new(),
        StringBuilder::new(),
        StringBuilder::new(),
    );
    for (name, schema) in all {
        for (i, field) in schema.fields().iter().enumerate() {
            let doc = crate::dictionary::columns_of(name)
                .find(|c| c.column == field.name())
                .ok_or_else(|| {
                    format!(
                        "published column {name}.{} has no entry in the data dictionary (crates/pipeline/src/dictionary.rs)",
                        field.name()
                    )
                })?;
            table.append_value(name);
            column.append_value(field.name());
            position.append_value(i as i64 + 1);
            data_type.append_value(field.data_type().to_string());
            nullable.append_value(field.is_nullable());
            description.append_value(doc.description);
            section.append_value(doc.section);
        }
    }
    let columns: Vec<ArrayRef> = vec![
        Arc::new(table.finish()),
        Arc::new(column.finish()),
        Arc::new(position.finish()),
        Arc::new(data_type.finish()),
        Arc::new(nullable.finish()),
        Arc::new(description.finish()),
        Arc::new(section.finish()),
    ];
    Ok(RecordBatch::try_new(own, columns).expect("schema matches"))
}
