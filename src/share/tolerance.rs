//! Comparing two tables within a tolerance, for verifying results across machines whose
//! floating-point arithmetic differs (other SIMD kernels, another BLAS, a GPU).
//!
//! Two tables agree when they have the same columns (names and types) and rows, every
//! non-float value is equal, and every float pair satisfies `|a - b| <= atol + rtol * |b|`
//! (NaN equals NaN) — the rule and defaults of `numpy.allclose`.

use arrow_array::{Array, Float32Array, Float64Array, RecordBatch};
use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tolerance {
    pub rtol: f64,
    pub atol: f64,
}

impl Default for Tolerance {
    fn default() -> Tolerance {
        Tolerance { rtol: 1e-5, atol: 1e-8 }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum TableComparison {
    /// Equal within the tolerance; the largest absolute difference and its column.
    Within {
        max_abs_diff: f64,
        column: String,
    },
    Differs(String),
}

/// Compares the Parquet tables at `a` (recomputed) and `b` (the reference).
pub fn compare_tables(a: &Path, b: &Path, tol: Tolerance) -> TableComparison {
    let read = |p: &Path| crate::table::read_parquet(p).map_err(|e| format!("cannot read `{}`: {e}", p.display()));
    match (read(a), read(b)) {
        (Ok(a), Ok(b)) => compare_batches(&a, &b, tol),
        (Err(e), _) | (_, Err(e)) => TableComparison::Differs(e),
    }
}

pub fn compare_batches(a: &RecordBatch, b: &RecordBatch, tol: Tolerance) -> TableComparison {
    if a.schema().fields() != b.schema().fields() {
        return TableComparison::Differs("the columns differ".into());
    }
    if a.num_rows() != b.num_rows() {
        return TableComparison::Differs(format!("{} rows, the reference has {}", a.num_rows(), b.num_rows()));
    }
    let mut worst = (0.0f64, String::new());
    for (field, (x, y)) in a.schema().fields().iter().zip(a.columns().iter().zip(b.columns())) {
        let name = field.name();
        let floats = |arr: &dyn Array| -> Option<Vec<Option<f64>>> {
            if let Some(f) = arr.as_any().downcast_ref::<Float64Array>() {
                return Some(f.iter().collect());
            }
            arr.as_any()
                .downcast_ref::<Float32Array>()
                .map(|f| f.iter().map(|v| v.map(f64::from)).collect())
        };
        match (floats(x.as_ref()), floats(y.as_ref())) {
            (Some(xs), Some(ys)) => {
                for (row, (u, v)) in xs.iter().zip(&ys).enumerate() {
                    match (u, v) {
                        (None, None) => {}
                        (Some(u), Some(v)) if u.is_nan() && v.is_nan() => {}
                        (Some(u), Some(v)) if u == v => {}
                        (Some(u), Some(v)) => {
                            let diff = (u - v).abs();
                            if diff.is_nan() || diff > tol.atol + tol.rtol * v.abs() {
                                return TableComparison::Differs(format!(
                                    "column `{name}` row {row}: {u} against {v} (beyond rtol {}, atol {})",
                                    tol.rtol, tol.atol
                                ));
                            }
                            if diff > worst.0 {
                                worst = (diff, name.clone());
                            }
                        }
                        _ => {
                            return TableComparison::Differs(format!(
                                "column `{name}` row {row}: null against a value"
                            ));
                        }
                    }
                }
            }
            _ => {
                if x.as_ref() != y.as_ref() {
                    return TableComparison::Differs(format!("column `{name}` differs"));
                }
            }
        }
    }
    TableComparison::Within {
        max_abs_diff: worst.0,
        column: worst.1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::{ArrayRef, StringArray};
    use std::sync::Arc;

    fn batch(xs: &[f64], labels: &[&str]) -> RecordBatch {
        RecordBatch::try_from_iter([
            ("x", Arc::new(Float64Array::from(xs.to_vec())) as ArrayRef),
            ("label", Arc::new(StringArray::from(labels.to_vec())) as ArrayRef),
        ])
        .unwrap()
    }

    #[test]
    fn floats_within_tolerance_agree_and_report_the_largest_difference() {
        let a = batch(&[1.0, 2.0 + 1e-9, f64::NAN], &["a", "b", "c"]);
        let b = batch(&[1.0, 2.0, f64::NAN], &["a", "b", "c"]);
        match compare_batches(&a, &b, Tolerance::default()) {
            TableComparison::Within { max_abs_diff, column } => {
                assert!(max_abs_diff > 0.0 && max_abs_diff < 1e-8);
                assert_eq!(column, "x");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_float_beyond_tolerance_or_a_changed_label_differs() {
        let b = batch(&[1.0, 2.0], &["a", "b"]);
        let far = batch(&[1.0, 2.001], &["a", "b"]);
        assert!(
            matches!(compare_batches(&far, &b, Tolerance::default()), TableComparison::Differs(m) if m.contains("row 1"))
        );
        let relabelled = batch(&[1.0, 2.0], &["a", "z"]);
        assert!(matches!(
            compare_batches(&relabelled, &b, Tolerance::default()),
            TableComparison::Differs(m) if m.contains("label")
        ));
        let loose = Tolerance { rtol: 1e-2, atol: 0.0 };
        assert!(matches!(
            compare_batches(&far, &b, loose),
            TableComparison::Within { .. }
        ));
    }
}
