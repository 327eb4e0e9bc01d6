//! Reading a table's columns as numbers for plotting.

use crate::figure::Columns;
use arrow_array::cast::AsArray;
use arrow_array::types::{Float32Type, Float64Type, Int32Type, Int64Type};
use arrow_array::{Array, RecordBatch};
use arrow_schema::DataType;

/// A column as f64 (floats, integers and booleans); `None` if it is missing or not numeric.
pub fn numbers(batch: &RecordBatch, name: &str) -> Option<Vec<f64>> {
    let col = batch.column_by_name(name)?;
    let n = col.len();
    let get = |i: usize| !col.is_null(i);
    Some(match col.data_type() {
        DataType::Float64 => {
            let a = col.as_primitive::<Float64Type>();
            (0..n).map(|i| if get(i) { a.value(i) } else { f64::NAN }).collect()
        }
        DataType::Float32 => {
            let a = col.as_primitive::<Float32Type>();
            (0..n)
                .map(|i| if get(i) { f64::from(a.value(i)) } else { f64::NAN })
                .collect()
        }
        DataType::Int64 => {
            let a = col.as_primitive::<Int64Type>();
            (0..n)
                .map(|i| if get(i) { a.value(i) as f64 } else { f64::NAN })
                .collect()
        }
        DataType::Int32 => {
            let a = col.as_primitive::<Int32Type>();
            (0..n)
                .map(|i| if get(i) { f64::from(a.value(i)) } else { f64::NAN })
                .collect()
        }
        DataType::Boolean => {
            let a = col.as_boolean();
            (0..n).map(|i| if get(i) && a.value(i) { 1.0 } else { 0.0 }).collect()
        }
        _ => return None,
    })
}

/// A column's values as text (for labels).
pub fn labels(batch: &RecordBatch, name: &str) -> Option<Vec<String>> {
    let col = batch.column_by_name(name)?;
    let options = arrow_cast::display::FormatOptions::default();
    let fmt = arrow_cast::display::ArrayFormatter::try_new(col.as_ref(), &options).ok()?;
    Some((0..col.len()).map(|i| fmt.value(i).to_string()).collect())
}

/// The names a `Columns` selects in this table, in table order for the generated kinds.
pub fn select(batch: &RecordBatch, columns: &Columns) -> Vec<String> {
    select_excluding(batch, columns, &[])
}

/// As `select`, leaving out the columns named in `exclude` (before `Prefix` counts its `n`).
pub fn select_excluding(batch: &RecordBatch, columns: &Columns, exclude: &[String]) -> Vec<String> {
    let schema = batch.schema();
    let kept = |name: &str| !exclude.iter().any(|e| e == name);
    let is_float = |dt: &DataType| matches!(dt, DataType::Float64 | DataType::Float32);
    match columns {
        Columns::Named(names) => names
            .iter()
            .filter(|n| schema.field_with_name(n).is_ok() && kept(n))
            .map(|n| n.to_string())
            .collect(),
        Columns::Between(a, b) => {
            let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
            match (names.iter().position(|n| n == a), names.iter().position(|n| n == b)) {
                (Some(i), Some(j)) if i + 1 < j => schema.fields()[i + 1..j]
                    .iter()
                    .filter(|f| is_float(f.data_type()) && kept(f.name()))
                    .map(|f| f.name().clone())
                    .collect(),
                _ => Vec::new(),
            }
        }
        Columns::Prefix(prefix, n) => schema
            .fields()
            .iter()
            .filter(|f| f.name().starts_with(prefix) && is_float(f.data_type()) && kept(f.name()))
            .take(*n)
            .map(|f| f.name().clone())
            .collect(),
    }
}
