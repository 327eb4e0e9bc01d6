//! Reading the unit-rate columns (`r_0`, `r_1`, ...) of a trajectories table as an f64 matrix.

use crate::ops::OpError;
use arrow_array::{Array, Float32Array, Float64Array, Int64Array, RecordBatch};

/// Rows x units, row-major, from the `r_k` columns in k order.
pub fn rate_matrix(table: &RecordBatch) -> Result<(Vec<f64>, usize, usize), OpError> {
    let schema = table.schema();
    let mut columns: Vec<(usize, usize)> = schema
        .fields()
        .iter()
        .enumerate()
        .filter_map(|(i, f)| {
            f.name()
                .strip_prefix("r_")
                .and_then(|k| k.parse::<usize>().ok())
                .map(|k| (k, i))
        })
        .collect();
    columns.sort();
    if columns.is_empty() {
        return Err(OpError::invalid(
            "the table has no unit-rate columns (r_0, r_1, ...); is it a trajectories table?",
        ));
    }
    let rows = table.num_rows();
    let units = columns.len();
    let mut data = vec![0.0; rows * units];
    for (u, (_, i)) in columns.iter().enumerate() {
        let col = float_column(table.column(*i).as_ref())?;
        for r in 0..rows {
            data[r * units + u] = col[r];
        }
    }
    Ok((data, rows, units))
}

/// Any float column as f64 values.
pub fn float_column(array: &dyn Array) -> Result<Vec<f64>, OpError> {
    if let Some(a) = array.as_any().downcast_ref::<Float32Array>() {
        return Ok(a.values().iter().map(|&v| v as f64).collect());
    }
    if let Some(a) = array.as_any().downcast_ref::<Float64Array>() {
        return Ok(a.values().to_vec());
    }
    Err(OpError::invalid("expected a float column"))
}

/// An integer column by name.
pub fn int_column(table: &RecordBatch, name: &str) -> Result<Vec<i64>, OpError> {
    table
        .column_by_name(name)
        .and_then(|c| c.as_any().downcast_ref::<Int64Array>().map(|a| a.values().to_vec()))
        .ok_or_else(|| OpError::invalid(format!("the table has no integer column `{name}`")))
}
