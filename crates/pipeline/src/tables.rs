//! The tables of the ingest stage, built from what validation kept: `quarantine`,
//! `source_counts` and `offices`.

use arrow::array::{ArrayRef, Int64Builder, RecordBatch, StringBuilder};
use arrow::datatypes::{DataType, Field, Schema};
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
