//! A sweep family's table split into groups of replicates: one group per value of the family's
//! other coordinates (and of any `by` columns), holding one row per value of the replicate
//! coordinate (`seed`). What `summary` and `paired` reduce.

use super::concat::stack;
use crate::ops::{OpError, StageContext, StageOutput};
use arrow_array::{Array, ArrayRef, Float64Array, RecordBatch};
use arrow_schema::DataType;
use std::collections::BTreeMap;

/// The stacked table of a family and its groups.
pub struct Replicates {
    pub table: RecordBatch,
    /// The columns that tell groups apart: coordinates other than `over`, then `by`.
    pub keys: Vec<String>,
    /// The column holding the replicate coordinate.
    pub over: String,
    pub groups: Vec<Group>,
}

/// One group: its key values as text (for naming it) and, per replicate value, its row.
pub struct Group {
    pub label: Vec<String>,
    /// The group's first row, whose key columns give the group's key values.
    pub first_row: usize,
    pub rows: BTreeMap<String, usize>,
}

/// Stacks table `table` of every member and groups its rows. `over` must be one of the
/// family's coordinates; every `by` must be a column; a replicate value may occur once per group.
pub fn group(
    ctx: &StageContext,
    members: &[StageOutput],
    table: &str,
    over: &str,
    by: &[String],
    family: &str,
) -> Result<Replicates, OpError> {
    if members.is_empty() {
        return Err(OpError::invalid(format!("`{family}` has no instances")));
    }
    let coords: Vec<String> = members[0].coords.iter().map(|(n, _)| n.clone()).collect();
    if !coords.iter().any(|c| c == over) {
        return Err(OpError::invalid(format!(
            "`{}` does not vary `{over}` (its coordinates: {}); give the stage `replicates = N`, or name the coordinate with `over`",
            members[0].stage,
            if coords.is_empty() {
                "none".to_string()
            } else {
                coords.join(", ")
            }
        )));
    }
    let stacked = stack(ctx, members, table)?;
    // A coordinate whose name a table column already has is written as `coord_NAME`.
    let column_of = |coord: &str| {
        let renamed = format!("coord_{coord}");
        if stacked.column_by_name(&renamed).is_some() {
            renamed
        } else {
            coord.to_string()
        }
    };
    let over_column = column_of(over);
    let mut keys: Vec<String> = coords.iter().filter(|c| *c != over).map(|c| column_of(c)).collect();
    for b in by {
        if stacked.column_by_name(b).is_none() {
            return Err(OpError::invalid(format!("`by`: the table has no column `{b}`")));
        }
        if !keys.contains(b) {
            keys.push(b.clone());
        }
    }
    let text = |name: &str| -> Result<Vec<String>, OpError> {
        let column = stacked
            .column_by_name(name)
            .ok_or_else(|| OpError::invalid(format!("the table has no column `{name}`")))?;
        (0..column.len())
            .map(|r| {
                arrow_cast::display::array_value_to_string(column, r).map_err(|e| OpError::internal(e.to_string()))
            })
            .collect()
    };
    let key_text: Vec<Vec<String>> = keys.iter().map(|k| text(k)).collect::<Result<_, _>>()?;
    let over_text = text(&over_column)?;
    let mut groups: Vec<Group> = Vec::new();
    for row in 0..stacked.num_rows() {
        let label: Vec<String> = key_text.iter().map(|k| k[row].clone()).collect();
        let index = match groups.iter().position(|g| g.label == label) {
            Some(i) => i,
            None => {
                groups.push(Group {
                    label,
                    first_row: row,
                    rows: BTreeMap::new(),
                });
                groups.len() - 1
            }
        };
        let group = &mut groups[index];
        if group.rows.insert(over_text[row].clone(), row).is_some() {
            let at = keys
                .iter()
                .zip(&group.label)
                .map(|(k, v)| format!("{k} = {v}"))
                .collect::<Vec<_>>()
                .join(", ");
            return Err(OpError::invalid(format!(
                "table `{table}` has more than one row for {over} = {}{}; name the column that tells them apart in `by`",
                over_text[row],
                if at.is_empty() {
                    String::new()
                } else {
                    format!(" at {at}")
                }
            )));
        }
    }
    Ok(Replicates {
        table: stacked,
        keys,
        over: over_column,
        groups,
    })
}

/// A column's values as f64, nulls as NaN; `None` for a column that is not numeric.
pub fn numbers(table: &RecordBatch, name: &str) -> Option<Vec<f64>> {
    let column: &ArrayRef = table.column_by_name(name)?;
    if !column.data_type().is_numeric() {
        return None;
    }
    let cast = arrow_cast::cast(column, &DataType::Float64).ok()?;
    let floats = cast.as_any().downcast_ref::<Float64Array>()?;
    Some(
        (0..floats.len())
            .map(|i| if floats.is_null(i) { f64::NAN } else { floats.value(i) })
            .collect(),
    )
}

/// The key columns of each group's first row, as a table's leading columns.
pub fn key_columns(rep: &Replicates, rows_per_group: usize) -> Result<Vec<(String, ArrayRef)>, OpError> {
    let indices: Vec<u64> = rep
        .groups
        .iter()
        .flat_map(|g| std::iter::repeat_n(g.first_row as u64, rows_per_group))
        .collect();
    let indices = arrow_array::UInt64Array::from(indices);
    rep.keys
        .iter()
        .map(|k| {
            let column = rep.table.column_by_name(k).expect("key columns exist");
            let taken =
                arrow_select::take::take(column, &indices, None).map_err(|e| OpError::internal(e.to_string()))?;
            Ok((k.clone(), taken))
        })
        .collect()
}

/// The pairs (a, b) of a group and its partner in another family, matched by replicate value
/// with finite values in both, and how many replicates were left out.
pub fn pair_up(a: &Group, b: Option<&Group>, va: &[f64], vb: &[f64]) -> (Vec<(f64, f64)>, usize) {
    let mut pairs = Vec::new();
    let mut left_out = 0;
    for (seed, &row) in &a.rows {
        match b.and_then(|h| h.rows.get(seed)) {
            Some(&other) if va[row].is_finite() && vb[other].is_finite() => pairs.push((va[row], vb[other])),
            _ => left_out += 1,
        }
    }
    if let Some(h) = b {
        left_out += h.rows.keys().filter(|s| !a.rows.contains_key(*s)).count();
    }
    (pairs, left_out)
}

/// The one group of a family that a claim is about; an error naming the groups if there are several.
pub fn only_group<'a>(rep: &'a Replicates, which: &str) -> Result<&'a Group, OpError> {
    match rep.groups.as_slice() {
        [one] => Ok(one),
        groups => Err(OpError::invalid(format!(
            "`{which}` has {} groups (by {}); a claim is about one: select it, e.g. `x[{} = ...]`",
            groups.len(),
            rep.keys.join(", "),
            rep.keys.first().map_or("coord", |k| k.trim_start_matches("coord_"))
        ))),
    }
}
