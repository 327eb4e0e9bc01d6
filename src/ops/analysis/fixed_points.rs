//! `fixed_points`: the trained network's fixed points under the constant input of one epoch, per
//! condition (Sussillo & Barak 2013; defaults after FixedPointFinder), their stability from the
//! Jacobian's eigenvalues, and how far the epoch's end state lies from the nearest stable point.
//!
//! Initial states are sampled from the network's own trajectories in that epoch (simulated again
//! here in f64, so that states are exact for every activation), plus small Gaussian noise.

use super::fixed_points_tables::{PointsTable, TrajectoryMeans};
use crate::figure::{Figure, Plot};
use crate::nn::{choose_device, nn_err};
use crate::numerics::fixed_points::{FixedPointConfig, find_fixed_points};
use crate::numerics::pca::pca;
use crate::numerics::rnn_map::RnnMap;
use crate::ops::networks::TRAINED_NETWORK;
use crate::ops::networks::load_network;
use crate::ops::tasks::task::TrialBatch;
use crate::ops::{OpError, StageContext, StageOp};
use crate::schema::{ColumnSpec, DeclKind, InputSpec, OpSchema, OutputSpec, ParamSpec, ParamType};
use crate::table::TableBuilder;
use std::collections::BTreeMap;

pub struct FixedPoints;

static SCHEMA: OpSchema = OpSchema {
    name: "fixed_points",
    kinds: &[DeclKind::Analysis],
    version: 3,
    doc: "Fixed points per condition under an epoch's mean input: q-minimisation from trajectory states, dedup, Jacobian eigenvalues, stability.",
    inputs: &[
        TRAINED_NETWORK,
        InputSpec {
            name: "task",
            accepts: &[DeclKind::Task],
            required: true,
            many: false,
            doc: "The task whose epoch input is held constant.",
            reads: &[],
        },
    ],
    params: &[
        ParamSpec::new(
            "epoch",
            ParamType::Str,
            "\"delay\"",
            "The epoch whose mean input (per condition) is held constant.",
        ),
        ParamSpec::new(
            "trials",
            ParamType::int(1, 100_000),
            "64",
            "Trials simulated to sample initial states.",
        ),
        ParamSpec::new(
            "inits",
            ParamType::int(1, 100_000),
            "16",
            "Initial states per condition.",
        ),
        ParamSpec::new(
            "init_noise",
            ParamType::float(0.0, 100.0),
            "0.01",
            "Std of Gaussian noise added to each initial state.",
        ),
        ParamSpec::new(
            "max_iters",
            ParamType::int(1, 10_000_000),
            "5000",
            "Adam iterations per initial state.",
        ),
        ParamSpec::new(
            "learning_rate",
            ParamType::float(0.0, 100.0),
            "0.01",
            "Adam's learning rate.",
        ),
        ParamSpec::new(
            "q_tolerance",
            ParamType::float(0.0, 1.0),
            "1e-10",
            "A point counts when q = 0.5 |F(x) - x|^2 is below this.",
        ),
        ParamSpec::new(
            "dedup_tolerance",
            ParamType::float(0.0, 1e6),
            "0.001",
            "Points closer than this are one.",
        ),
    ],
    outputs: &[
        OutputSpec {
            name: "points",
            doc: "One row per fixed point.",
            columns: &[
                ColumnSpec {
                    name: "condition",
                    ty: "int64",
                    doc: "Condition whose input was held.",
                },
                ColumnSpec {
                    name: "point",
                    ty: "int64",
                    doc: "Index within the condition.",
                },
                ColumnSpec {
                    name: "q",
                    ty: "float64",
                    doc: "0.5 |F(x) - x|^2 at the point.",
                },
                ColumnSpec {
                    name: "stable",
                    ty: "bool",
                    doc: "Every Jacobian eigenvalue inside the unit circle.",
                },
                ColumnSpec {
                    name: "max_modulus",
                    ty: "float64",
                    doc: "Largest eigenvalue modulus.",
                },
                ColumnSpec {
                    name: "pc_1",
                    ty: "float64",
                    doc: "Rates at the point on the trajectories' first PC.",
                },
                ColumnSpec {
                    name: "pc_2",
                    ty: "float64",
                    doc: "Second PC.",
                },
                ColumnSpec {
                    name: "pc_3",
                    ty: "float64",
                    doc: "Third PC.",
                },
            ],
        },
        OutputSpec {
            name: "eigenvalues",
            doc: "The Jacobian spectrum of every point, by decreasing modulus.",
            columns: &[
                ColumnSpec {
                    name: "condition",
                    ty: "int64",
                    doc: "Condition.",
                },
                ColumnSpec {
                    name: "point",
                    ty: "int64",
                    doc: "Point.",
                },
                ColumnSpec {
                    name: "index",
                    ty: "int64",
                    doc: "Rank by modulus.",
                },
                ColumnSpec {
                    name: "re",
                    ty: "float64",
                    doc: "Real part.",
                },
                ColumnSpec {
                    name: "im",
                    ty: "float64",
                    doc: "Imaginary part.",
                },
                ColumnSpec {
                    name: "modulus",
                    ty: "float64",
                    doc: "Modulus.",
                },
            ],
        },
        OutputSpec {
            name: "summary",
            doc: "One row per condition.",
            columns: &[
                ColumnSpec {
                    name: "condition",
                    ty: "int64",
                    doc: "Condition.",
                },
                ColumnSpec {
                    name: "points",
                    ty: "int64",
                    doc: "Fixed points found.",
                },
                ColumnSpec {
                    name: "stable",
                    ty: "int64",
                    doc: "Stable ones.",
                },
                ColumnSpec {
                    name: "end_distance",
                    ty: "float64",
                    doc: "Distance from the mean state at the epoch's end to the nearest stable point (NaN if none).",
                },
            ],
        },
        OutputSpec {
            name: "trajectories",
            doc: "The simulated trials' rates, averaged per condition and step, on the same PCs as the points.",
            columns: &[
                ColumnSpec {
                    name: "condition",
                    ty: "int64",
                    doc: "Condition.",
                },
                ColumnSpec {
                    name: "t",
                    ty: "float64",
                    doc: "Time from trial start, in seconds.",
                },
                ColumnSpec {
                    name: "pc_1",
                    ty: "float64",
                    doc: "Mean rates on the first PC.",
                },
                ColumnSpec {
                    name: "pc_2",
                    ty: "float64",
                    doc: "Second PC.",
                },
                ColumnSpec {
                    name: "pc_3",
                    ty: "float64",
                    doc: "Third PC.",
                },
            ],
        },
    ],
};

static FIGURES: &[Figure] = &[
    Figure {
        title: "Fixed points in PC space",
        table: "points",
        plot: Plot::PointsOverPaths {
            x: "pc_1",
            y: "pc_2",
            color: Some("stable"),
            paths: "trajectories",
            group: "condition",
        },
        x_label: "PC 1 of the trajectories (rate units)",
        y_label: "PC 2 (rate units)",
    },
    Figure {
        title: "Jacobian eigenvalues",
        table: "eigenvalues",
        plot: Plot::Points {
            x: "re",
            y: "im",
            color: None,
            unit_circle: true,
        },
        x_label: "real part",
        y_label: "imaginary part",
    },
];

impl StageOp for FixedPoints {
    fn schema(&self) -> &'static OpSchema {
        &SCHEMA
    }
    fn figures(&self) -> &'static [Figure] {
        FIGURES
    }

    fn uses_device(&self) -> bool {
        true
    }

    fn run(&self, ctx: &mut StageContext) -> Result<(), OpError> {
        let p = ctx.params;
        let epoch = p.str("epoch")?.to_string();
        let (trials, n_inits, init_noise) = (p.usize("trials")?, p.usize("inits")?, p.f64("init_noise")?);
        let cfg = FixedPointConfig {
            max_iters: p.usize("max_iters")?,
            learning_rate: p.f64("learning_rate")?,
            q_tolerance: p.f64("q_tolerance")?,
            dedup_tolerance: p.f64("dedup_tolerance")?,
            ..FixedPointConfig::default()
        };
        let device = choose_device(ctx.device)?;
        let net = load_network(ctx, ctx.stage_input("network")?, &device)?;
        let task = ctx.task("task")?;
        let batch = task.generate(trials, "standard", &mut ctx.rng("trials"))?;
        let epoch_index = batch.epoch_names.iter().position(|e| *e == epoch).ok_or_else(|| {
            OpError::invalid(format!(
                "the task has no epoch `{epoch}`; its epochs: {}",
                batch.epoch_names.join(", ")
            ))
        })? as u8;
        let flat = |t: &candle_core::Tensor| -> Result<Vec<f64>, OpError> {
            Ok(t.flatten_all()
                .and_then(|f| f.to_vec1::<f32>())
                .map_err(nn_err)?
                .into_iter()
                .map(f64::from)
                .collect())
        };
        let (w_rec, w_in, bias, x0) = (
            flat(&net.effective_w_rec().map_err(nn_err)?)?,
            flat(net.w_in.as_tensor())?,
            flat(net.b.as_tensor())?,
            flat(net.x0.as_tensor())?,
        );
        let (n, n_in, a) = (net.config.units, net.config.n_in, net.config.alpha());
        let drive_of = |u: &[f64]| -> Vec<f64> {
            (0..n)
                .map(|j| bias[j] + (0..n_in).map(|i| u[i] * w_in[i * n + j]).sum::<f64>())
                .collect()
        };
        let map_for = |drive: Vec<f64>| RnnMap {
            n,
            a,
            w_rec: w_rec.clone(),
            drive,
            activation: net.config.activation,
        };

        // Simulate every trial in f64, keeping the states inside the epoch, and all rates for PCA.
        let mut epoch_states: BTreeMap<i64, Vec<Vec<f64>>> = BTreeMap::new();
        let mut epoch_inputs: BTreeMap<i64, (Vec<f64>, usize)> = BTreeMap::new();
        let mut end_states: BTreeMap<i64, Vec<Vec<f64>>> = BTreeMap::new();
        let mut all_rates: Vec<f64> = Vec::new();
        let mut rate_rows: Vec<(i64, usize)> = Vec::new();
        for trial in 0..batch.n_trials {
            let condition = batch.condition[trial];
            let mut x = x0.clone();
            let mut last_in_epoch: Option<Vec<f64>> = None;
            for step in 0..batch.n_steps {
                let row = trial * batch.n_steps + step;
                if batch.epochs[row] == TrialBatch::PADDING {
                    break;
                }
                let u: Vec<f64> = batch.inputs[row * n_in..(row + 1) * n_in]
                    .iter()
                    .map(|&v| v as f64)
                    .collect();
                x = map_for(drive_of(&u)).step(&x);
                all_rates.extend(x.iter().map(|&v| net.config.activation.apply(v)));
                rate_rows.push((condition, step));
                if batch.epochs[row] == epoch_index {
                    epoch_states.entry(condition).or_default().push(x.clone());
                    let sum = epoch_inputs.entry(condition).or_insert_with(|| (vec![0.0; n_in], 0));
                    sum.0.iter_mut().zip(&u).for_each(|(s, v)| *s += v);
                    sum.1 += 1;
                    last_in_epoch = Some(x.clone());
                }
            }
            if let Some(end) = last_in_epoch {
                end_states.entry(condition).or_default().push(end);
            }
        }
        if epoch_states.is_empty() {
            return Err(OpError::invalid(format!("no trial has steps in epoch `{epoch}`")));
        }
        let rows = all_rates.len() / n;
        let pcs = pca(&all_rates, rows, n, 3).map_err(OpError::invalid)?;
        let mut trajectories = TrajectoryMeans::default();
        for (rates, &(condition, step)) in all_rates.chunks(n).zip(&rate_rows) {
            trajectories.push(condition, step, &pcs.project(rates));
        }

        let mut rng = ctx.rng("inits");
        let mut points_t = PointsTable::default();
        let (mut s_cond, mut s_points, mut s_stable, mut s_dist) = (vec![], vec![], vec![], vec![]);
        let conditions: Vec<i64> = epoch_states.keys().copied().collect();
        for (ci, condition) in conditions.iter().enumerate() {
            ctx.check_interrupted()?;
            ctx.progress(ci as u64, conditions.len() as u64, &format!("condition {condition}"));
            let states = &epoch_states[condition];
            let (sum, count) = &epoch_inputs[condition];
            let u: Vec<f64> = sum.iter().map(|s| s / *count as f64).collect();
            let map = map_for(drive_of(&u));
            let inits: Vec<Vec<f64>> = (0..n_inits)
                .map(|_| {
                    let pick = &states[rng.below(states.len() as u64) as usize];
                    pick.iter().map(|v| v + init_noise * rng.normal()).collect()
                })
                .collect();
            let found = find_fixed_points(&map, &inits, &cfg);
            let end = mean(end_states.get(condition).map(Vec::as_slice).unwrap_or(&[]), n);
            let nearest = found
                .iter()
                .filter(|p| p.stable)
                .map(|p| p.x.iter().zip(&end).map(|(a, b)| (a - b) * (a - b)).sum::<f64>().sqrt())
                .fold(f64::NAN, f64::min);
            s_cond.push(*condition);
            s_points.push(found.len() as i64);
            s_stable.push(found.iter().filter(|p| p.stable).count() as i64);
            s_dist.push(nearest);
            for (i, point) in found.iter().enumerate() {
                let rates: Vec<f64> = point.x.iter().map(|&v| net.config.activation.apply(v)).collect();
                points_t.push(*condition, i as i64, point, &pcs.project(&rates));
            }
        }
        let (points, eigen) = points_t.tables()?;
        ctx.write_table("points", points)?;
        ctx.write_table("eigenvalues", eigen)?;
        ctx.write_table("trajectories", trajectories.table(batch.dt)?)?;
        ctx.write_table(
            "summary",
            TableBuilder::new()
                .i64("condition", s_cond)
                .i64("points", s_points)
                .i64("stable", s_stable)
                .f64("end_distance", s_dist)
                .build()?,
        )
    }
}

fn mean(rows: &[Vec<f64>], n: usize) -> Vec<f64> {
    let mut m = vec![0.0; n];
    for r in rows {
        m.iter_mut().zip(r).for_each(|(a, v)| *a += v / rows.len() as f64);
    }
    m
}
