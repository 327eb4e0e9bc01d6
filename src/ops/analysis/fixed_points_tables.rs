//! The tables `fixed_points` writes: its points with their Jacobian spectra, and the
//! trajectories it sampled them from, condition-averaged, in the same PC space.

use crate::numerics::fixed_points::FixedPoint;
use crate::ops::OpError;
use crate::table::TableBuilder;
use arrow_array::RecordBatch;
use std::collections::BTreeMap;

/// Rows of the points and eigenvalues tables.
#[derive(Default)]
pub struct PointsTable {
    condition: Vec<i64>,
    point: Vec<i64>,
    q: Vec<f64>,
    stable: Vec<bool>,
    max_modulus: Vec<f64>,
    pcs: [Vec<f64>; 3],
    e_condition: Vec<i64>,
    e_point: Vec<i64>,
    e_index: Vec<i64>,
    e_re: Vec<f64>,
    e_im: Vec<f64>,
    e_mod: Vec<f64>,
}

impl PointsTable {
    pub fn push(&mut self, condition: i64, index: i64, p: &FixedPoint, projection: &[f64]) {
        self.condition.push(condition);
        self.point.push(index);
        self.q.push(p.q);
        self.stable.push(p.stable);
        self.max_modulus.push(p.max_modulus);
        for (k, column) in self.pcs.iter_mut().enumerate() {
            column.push(projection.get(k).copied().unwrap_or(f64::NAN));
        }
        for (k, (re, im)) in p.eigenvalues.iter().enumerate() {
            self.e_condition.push(condition);
            self.e_point.push(index);
            self.e_index.push(k as i64);
            self.e_re.push(*re);
            self.e_im.push(*im);
            self.e_mod.push(re.hypot(*im));
        }
    }

    pub fn tables(self) -> Result<(RecordBatch, RecordBatch), OpError> {
        let [pc1, pc2, pc3] = self.pcs;
        let points = TableBuilder::new()
            .i64("condition", self.condition)
            .i64("point", self.point)
            .f64("q", self.q)
            .bool("stable", self.stable)
            .f64("max_modulus", self.max_modulus)
            .f64("pc_1", pc1)
            .f64("pc_2", pc2)
            .f64("pc_3", pc3)
            .build()?;
        let eigen = TableBuilder::new()
            .i64("condition", self.e_condition)
            .i64("point", self.e_point)
            .i64("index", self.e_index)
            .f64("re", self.e_re)
            .f64("im", self.e_im)
            .f64("modulus", self.e_mod)
            .build()?;
        Ok((points, eigen))
    }
}

/// Sums of the projected rates per condition and step, for the condition-averaged trajectories.
#[derive(Default)]
pub struct TrajectoryMeans {
    sums: BTreeMap<(i64, usize), ([f64; 3], usize)>,
}

impl TrajectoryMeans {
    /// Adds one trial's step, already projected on the PCs.
    pub fn push(&mut self, condition: i64, step: usize, projection: &[f64]) {
        let (sum, count) = self.sums.entry((condition, step)).or_insert(([0.0; 3], 0));
        for (s, v) in sum.iter_mut().zip(projection) {
            *s += v;
        }
        *count += 1;
    }

    /// One row per condition and step: time in seconds (`dt` per step) and the mean projection.
    pub fn table(self, dt: f64) -> Result<RecordBatch, OpError> {
        let (mut condition, mut t) = (Vec::new(), Vec::new());
        let mut pcs: [Vec<f64>; 3] = Default::default();
        for ((c, step), (sum, count)) in self.sums {
            condition.push(c);
            t.push(step as f64 * dt);
            for (column, s) in pcs.iter_mut().zip(sum) {
                column.push(s / count as f64);
            }
        }
        let [pc1, pc2, pc3] = pcs;
        Ok(TableBuilder::new()
            .i64("condition", condition)
            .f64("t", t)
            .f64("pc_1", pc1)
            .f64("pc_2", pc2)
            .f64("pc_3", pc3)
            .build()?)
    }
}
