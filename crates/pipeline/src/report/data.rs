//! What the report reads: the rows of a SQL statement over a run's session, with each
//! column by name as text or as a number, and the formats the page writes numbers in.

use arrow::array::{Array, ArrayRef, Float64Array, StringArray};
use arrow::compute::cast;
use arrow::datatypes::DataType;
use datafusion::prelude::SessionContext;
use retention_contract::field::parse_date;

/// The rows of one statement, columns cast once to text and (where numeric) to Float64.
pub struct Rows {
    names: Vec<String>,
    text: Vec<StringArray>,
    numbers: Vec<Option<Float64Array>>,
    len: usize,
}

impl Rows {
    /// Runs `sql` on `ctx`.
    pub async fn query(ctx: &SessionContext, sql: &str) -> Result<Rows, String> {
        let df = ctx.sql(sql).await.map_err(|e| format!("{e} (in: {sql})"))?;
        let schema = std::sync::Arc::new(df.schema().as_arrow().clone());
        let batches = df.collect().await.map_err(|e| format!("{e} (in: {sql})"))?;
        let batch = arrow::compute::concat_batches(&schema, &batches).map_err(|e| e.to_string())?;
        let mut rows = Rows {
            names: schema.fields().iter().map(|f| f.name().clone()).collect(),
            text: Vec::new(),
            numbers: Vec::new(),
            len: batch.num_rows(),
        };
        for column in batch.columns() {
            let text = cast(column, &DataType::Utf8).map_err(|e| e.to_string())?;
            rows.text.push(downcast::<StringArray>(&text).clone());
            let numeric = column.data_type().is_numeric();
            rows.numbers.push(if numeric {
                let n = cast(column, &DataType::Float64).map_err(|e| e.to_string())?;
                Some(downcast::<Float64Array>(&n).clone())
            } else {
                None
            });
        }
        Ok(rows)
    }

    /// The number of rows.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there is no row.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn index(&self, name: &str) -> usize {
        self.names
            .iter()
            .position(|n| n == name)
            .unwrap_or_else(|| panic!("the report's statement selects {name}"))
    }

    /// Column `name` of row `row` as text; None when null.
    pub fn text(&self, row: usize, name: &str) -> Option<String> {
        let a = &self.text[self.index(name)];
        a.is_valid(row).then(|| a.value(row).to_string())
    }

    /// Column `name` of row `row` as text; empty when null.
    pub fn str(&self, row: usize, name: &str) -> String {
        self.text(row, name).unwrap_or_default()
    }

    /// Numeric column `name` of row `row`; None when null.
    pub fn num(&self, row: usize, name: &str) -> Option<f64> {
        let a = self.numbers[self.index(name)]
            .as_ref()
            .unwrap_or_else(|| panic!("{name} is numeric"));
        a.is_valid(row).then(|| a.value(row))
    }
}

fn downcast<T: 'static>(array: &ArrayRef) -> &T {
    array
        .as_any()
        .downcast_ref::<T>()
        .expect("cast gives the asked type")
}

/// A share as a percentage with one decimal (`41.3%`); `–` when null.
pub fn pct(v: Option<f64>) -> String {
    v.map_or_else(|| "–".into(), |v| format!("{:.1}%", v * 100.0))
}

/// A number with `decimals` decimals; `–` when null.
pub fn num(v: Option<f64>, decimals: usize) -> String {
    v.map_or_else(|| "–".into(), |v| format!("{v:.decimals$}"))
}

/// A p-value as a reading writes it: `= 0.025`, `< 0.001`; `= –` when null.
pub fn p_value(v: Option<f64>) -> String {
    match v {
        Some(p) if p < 0.001 => "< 0.001".into(),
        v => format!("= {}", num(v, 3)),
    }
}

/// A whole number; `–` when null.
pub fn int(v: Option<f64>) -> String {
    v.map_or_else(|| "–".into(), |v| format!("{}", v.round() as i64))
}

/// The contract's month index (`Day::month_index`: `year * 12 + month - 1`) of an ISO
/// date's text.
pub fn month_index(date: &str) -> Option<i64> {
    parse_date(date).map(|d| i64::from(d.month_index()))
}

/// The days from the first to the second ISO date, both included.
pub fn days_between(first: &str, last: &str) -> Option<f64> {
    let (first, last) = (parse_date(first)?, parse_date(last)?);
    Some(f64::from(
        last.days_since_epoch() - first.days_since_epoch() + 1,
    ))
}

/// The month index of the last whole calendar month up to `as_of`: its own month when
/// as-of is the month's last day, else the month before.
pub fn last_whole_month(as_of: &str) -> i64 {
    match parse_date(as_of) {
        Some(d) if d == d.month_end() => i64::from(d.month_index()),
        Some(d) => i64::from(d.month_index()) - 1,
        None => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_dates() {
        assert_eq!(pct(Some(0.4128)), "41.3%");
        assert_eq!(pct(None), "–");
        assert_eq!(num(Some(2.0 / 3.0), 2), "0.67");
        assert_eq!(int(Some(4.6)), "5");
        assert_eq!(p_value(Some(0.0249)), "= 0.025");
        assert_eq!(p_value(Some(0.0004)), "< 0.001");
        assert_eq!(month_index("2025-06-30"), Some(2025 * 12 + 5));
        assert_eq!(days_between("2024-02-01", "2024-02-29"), Some(29.0));
    }
}
