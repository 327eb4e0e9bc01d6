//! Two-item report trials as the swap analyses read them: the cued item's colour (target), the
//! other item's colour (non-target), the distance between their locations, and the response.

use crate::ops::OpError;
use crate::ops::analysis::wide::float_column;
use crate::rng::wrap_angle;
use crate::schema::{ColumnNeed, TableNeed};
use arrow_array::RecordBatch;
use std::collections::BTreeMap;

/// Per-trial angles, radians.
pub struct ReportTrials {
    pub target: Vec<f64>,
    pub non_target: Vec<f64>,
    /// Circular distance between the two cue locations, in [0, pi].
    pub cue_distance: Vec<f64>,
    pub response: Vec<f64>,
}

const COLUMNS: [&str; 5] = ["loc_0", "loc_1", "col_0", "col_1", "cued"];

/// The `trials` table the swap analyses read, as an input declares it.
pub const TRIALS: TableNeed = TableNeed {
    table: "trials",
    columns: &[
        ColumnNeed::number("loc_0"),
        ColumnNeed::number("loc_1"),
        ColumnNeed::number("col_0"),
        ColumnNeed::number("col_1"),
        ColumnNeed::number("cued"),
        ColumnNeed::number("response"),
    ],
    unless_file: None,
};

impl ReportTrials {
    /// From condition columns (`loc_0`, `loc_1`, `col_0`, `col_1`, `cued`) and responses.
    pub fn from_columns(c: &BTreeMap<String, Vec<f64>>, response: Vec<f64>) -> Result<ReportTrials, OpError> {
        let missing: Vec<&str> = COLUMNS.iter().copied().filter(|k| !c.contains_key(*k)).collect();
        if !missing.is_empty() {
            return Err(OpError::invalid(format!(
                "swap analyses need two-item trials with the columns {}; missing: {}",
                COLUMNS.join(", "),
                missing.join(", ")
            )));
        }
        if c.contains_key("loc_2") {
            return Err(OpError::invalid(
                "swap analyses handle two items per trial; these trials have more",
            ));
        }
        let n = response.len();
        let mut out = ReportTrials {
            target: Vec::with_capacity(n),
            non_target: Vec::with_capacity(n),
            cue_distance: Vec::with_capacity(n),
            response,
        };
        for t in 0..n {
            let get = |k: &str| c[k].get(t).copied().unwrap_or(f64::NAN);
            let cued = get("cued");
            if cued != 0.0 && cued != 1.0 {
                return Err(OpError::invalid(format!(
                    "trial {t}: `cued` is {cued}; it must be 0 or 1"
                )));
            }
            let (target, other) = if cued == 0.0 {
                ("col_0", "col_1")
            } else {
                ("col_1", "col_0")
            };
            out.target.push(get(target));
            out.non_target.push(get(other));
            out.cue_distance.push(wrap_angle(get("loc_0") - get("loc_1")).abs());
        }
        if out
            .response
            .iter()
            .chain(&out.target)
            .chain(&out.non_target)
            .any(|v| !v.is_finite())
        {
            return Err(OpError::invalid("the trials hold NaN or infinite angles"));
        }
        Ok(out)
    }

    /// From the `trials` table of stage `stage`, with the condition columns and a `response`
    /// column (floats or integers).
    pub fn from_table(table: &RecordBatch, stage: &str) -> Result<ReportTrials, OpError> {
        let needed: Vec<&str> = COLUMNS.iter().chain(&["response"]).copied().collect();
        let missing: Vec<&str> = needed
            .iter()
            .copied()
            .filter(|k| table.column_by_name(k).is_none())
            .collect();
        if !missing.is_empty() {
            return Err(OpError::invalid(format!(
                "table `trials` of stage `{stage}` lacks the column{} {} (swap analyses need {})",
                if missing.len() == 1 { "" } else { "s" },
                missing.join(", "),
                needed.join(", ")
            )));
        }
        let mut columns = BTreeMap::new();
        for name in needed.iter().chain(&["loc_2"]) {
            if let Some(array) = table.column_by_name(name) {
                let values = number_column(array.as_ref()).ok_or_else(|| {
                    OpError::invalid(format!(
                        "column `{name}` of table `trials` of stage `{stage}` must hold numbers without missing values; it holds {}",
                        array.data_type()
                    ))
                })?;
                columns.insert(name.to_string(), values);
            }
        }
        let response = columns.remove("response").unwrap_or_default();
        Self::from_columns(&columns, response)
    }
}

/// A float or integer column without nulls, as f64.
fn number_column(array: &dyn arrow_array::Array) -> Option<Vec<f64>> {
    if array.null_count() > 0 {
        return None;
    }
    if let Ok(values) = float_column(array) {
        return Some(values);
    }
    if !array.data_type().is_integer() {
        return None;
    }
    let cast = arrow_cast::cast(array, &arrow_schema::DataType::Float64).ok()?;
    let floats = cast.as_any().downcast_ref::<arrow_array::Float64Array>()?;
    Some(floats.values().to_vec())
}
