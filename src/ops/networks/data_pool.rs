//! Trials to train on, read from a data table (`train`'s optional data input): each row is one
//! trial's condition values and response, rendered into inputs and targets by the task.

use crate::ops::OpError;
use crate::ops::analysis::wide::float_column;
use crate::rng::Rng;
use arrow_array::{Array, Int64Array, RecordBatch};
use std::collections::BTreeMap;

/// The numeric columns of a data table, and its groups of repeated trials.
pub struct TrialPool {
    columns: BTreeMap<String, Vec<f64>>,
    /// Rows per group, where the table has a `group` column; otherwise every row alone.
    groups: Option<Vec<Vec<usize>>>,
    rows: usize,
}

impl TrialPool {
    /// Reads every float and integer column; a `group` column groups rows (equal values).
    pub fn from_table(table: &RecordBatch, stage: &str) -> Result<TrialPool, OpError> {
        let rows = table.num_rows();
        if rows == 0 {
            return Err(OpError::invalid(format!(
                "the data from `{stage}` has no rows to train on"
            )));
        }
        let mut columns = BTreeMap::new();
        let mut group_ids = None;
        for (field, array) in table.schema().fields().iter().zip(table.columns()) {
            let name = field.name();
            let values = if let Some(ints) = array.as_any().downcast_ref::<Int64Array>() {
                if name == "group" {
                    group_ids = Some(ints.values().to_vec());
                }
                ints.values().iter().map(|&v| v as f64).collect()
            } else if let Ok(values) = float_column(array.as_ref()) {
                values
            } else {
                continue;
            };
            if array.null_count() > 0 {
                return Err(OpError::invalid(format!(
                    "column `{name}` of the data from `{stage}` has missing values"
                )));
            }
            columns.insert(name.to_string(), values);
        }
        let groups = group_ids.map(|ids| {
            let mut by_id: BTreeMap<i64, Vec<usize>> = BTreeMap::new();
            for (row, id) in ids.into_iter().enumerate() {
                by_id.entry(id).or_default().push(row);
            }
            by_id.into_values().collect()
        });
        Ok(TrialPool { columns, groups, rows })
    }

    /// Checks that groups, where the table has them, hold `repeats` trials each.
    pub fn check_repeats(&self, repeats: usize, stage: &str) -> Result<(), OpError> {
        if let Some(groups) = &self.groups
            && let Some(bad) = groups.iter().find(|g| g.len() != repeats)
        {
            return Err(OpError::invalid(format!(
                "the data from `{stage}` has groups of {} trials but `repeats` is {repeats}; make them equal",
                bad.len()
            )));
        }
        Ok(())
    }

    /// Draws `n` trials (or groups), with replacement, each repeated `repeats` times (a group
    /// is its own repeats), as condition columns.
    pub fn draw(&self, n: usize, repeats: usize, rng: &mut Rng) -> BTreeMap<String, Vec<f64>> {
        let mut rows = Vec::with_capacity(n * repeats);
        for _ in 0..n {
            match &self.groups {
                Some(groups) => rows.extend(&groups[rng.below(groups.len() as u64) as usize]),
                None => {
                    let row = rng.below(self.rows as u64) as usize;
                    rows.extend(std::iter::repeat_n(row, repeats));
                }
            }
        }
        self.columns
            .iter()
            .map(|(name, values)| (name.clone(), rows.iter().map(|&r| values[r]).collect()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::TableBuilder;

    #[test]
    fn groups_are_drawn_whole_and_sizes_are_checked() {
        let table = TableBuilder::new()
            .i64("group", vec![0, 0, 1, 1])
            .f64("response", vec![0.1, 0.2, 0.3, 0.4])
            .utf8("component", &["a", "b", "c", "d"])
            .build()
            .unwrap();
        let pool = TrialPool::from_table(&table, "s").unwrap();
        assert!(pool.check_repeats(2, "s").is_ok());
        assert!(pool.check_repeats(3, "s").is_err());
        let drawn = pool.draw(5, 2, &mut Rng::derive(1, "t"));
        assert!(!drawn.contains_key("component"), "text columns are not conditions");
        let r = &drawn["response"];
        assert_eq!(r.len(), 10);
        for pair in r.chunks(2) {
            assert!(
                (pair[1] - pair[0] - 0.1).abs() < 1e-12,
                "a group is drawn in order: {pair:?}"
            );
        }
    }

    #[test]
    fn without_groups_each_row_is_repeated() {
        let table = TableBuilder::new()
            .f64("response", vec![1.0, 2.0, 3.0])
            .build()
            .unwrap();
        let pool = TrialPool::from_table(&table, "s").unwrap();
        let r = &pool.draw(4, 3, &mut Rng::derive(2, "t"))["response"];
        for triple in r.chunks(3) {
            assert!(triple.iter().all(|&v| v == triple[0]));
        }
        let empty = TableBuilder::new().f64("response", vec![]).build().unwrap();
        assert!(TrialPool::from_table(&empty, "s").is_err());
    }
}
