//! `reach_teacher`: a reach whose targets are the muscle activity (EMG) of a fixed, physiologically
//! inspired rate network, the "biological" network of Salatiello & Giese 2020 (science.md,
//! pipeline 2).
//!
//! How the teacher is built (all from the task's own `seed`, so it is part of the definition):
//! - `units` tanh rate units, `tau dx/dt = -x + W tanh(x) + W_in u`, Euler steps of `dt`.
//! - W = Q (I + (e^{A dt} - I) / a) Q^T + P J P, with a = dt / tau: Q is a random orthonormal
//!   `units x 2 planes` embedding and A holds one damped rotation per plane, `[[-d, -w], [w, -d]]`,
//!   with frequencies w / 2 pi evenly spaced from `f_min` to `f_max` (1-3 Hz, the rotations jPCA
//!   finds in motor cortex, Churchland et al. 2012) and d = `damping`. Written this way, each
//!   Euler step of the linearised network advances the planes by exactly e^{A dt}; the tanh
//!   slope adds a little decay. J is a random matrix of gain `coupling` acting only in the
//!   complement of the rotation planes (P = I - Q Q^T), so the units are heterogeneous but the
//!   movement dynamics stay rotational.
//! - The target's position (cos, sin) is a preparatory input. W_in maps it to a preparatory state
//!   whose projection on each plane is a phase-shifted copy of the target direction; the
//!   network starts the trial at that state (its fixed point under the preparatory input, found
//!   by Newton's method), so the preparatory state sets the initial condition of the movement
//!   dynamics. The target also drives the complement of the planes (`hidden`), where J mixes and
//!   relaxes it after the go cue: condition-dependent activity that no muscle reads, as much of
//!   a real population's is, so only recorded units can teach it. A hold input adds a
//!   condition-independent offset that vanishes at the go cue.
//! - At the go cue both inputs switch off and the rotations unfold autonomously.
//! - `muscles` outputs: rectified linear read-outs `max(0, w_k . r + b_k)` with w_k random in
//!   the rotation planes, so each muscle bursts more than once during a reach (multiphasic EMG).
//!
//! Conditions: `n_conditions` reach directions evenly spaced on the circle (`standard`); the
//! `held_out` variant uses the directions halfway between them, which no network trains on.
//! Trials are noise-free: one condition gives one trajectory. The first `settle` of each trial is
//! left out of the loss, so that a student starting from its own initial state has time to
//! reach its preparatory state.

use crate::ops::tasks::task::{Recordings, Task, TrialBatch, steps, unknown_variant};
use crate::ops::{OpError, TaskOp};
use crate::params::Params;
use crate::rng::Rng;
use crate::schema::{DeclKind, OpSchema, ParamSpec, ParamType};
use crate::units::Dimension;
use nalgebra::{DMatrix, DVector};
use std::collections::BTreeMap;
use std::f64::consts::PI;
use std::sync::OnceLock;

pub struct ReachTeacher;

const HERTZ: ParamType = ParamType::Quantity {
    dim: Dimension::Frequency,
    min: 0.01,
    max: 100.0,
};

static SCHEMA: OpSchema = OpSchema {
    name: "reach_teacher",
    kinds: &[DeclKind::Task],
    version: 1,
    doc: "Reach whose targets are the EMG of a fixed rotational rate network (the teacher of Salatiello & Giese 2020). Variants: standard, held_out.",
    inputs: &[],
    params: &[
        ParamSpec::new("dt", ParamType::time(1e-4, 1.0), "10 ms", "Simulation step."),
        ParamSpec::new("units", ParamType::int(8, 2000), "200", "Teacher units."),
        ParamSpec::new("tau", ParamType::time(1e-3, 10.0), "50 ms", "Teacher time constant."),
        ParamSpec::new(
            "planes",
            ParamType::int(1, 8),
            "3",
            "Rotation planes embedded in the population.",
        ),
        ParamSpec::new("f_min", HERTZ, "1 Hz", "Slowest rotation."),
        ParamSpec::new("f_max", HERTZ, "3 Hz", "Fastest rotation."),
        ParamSpec::new(
            "damping",
            ParamType::float(0.0, 100.0),
            "2",
            "Decay rate of the linearised rotations, per second.",
        ),
        ParamSpec::new(
            "coupling",
            ParamType::float(0.0, 0.95),
            "0.8",
            "Gain of the random connectivity outside the rotation planes.",
        ),
        ParamSpec::new(
            "amplitude",
            ParamType::float(0.01, 3.0),
            "0.5",
            "Scale of the preparatory state: about the root-mean-square state of a unit in the planes (the hold input adds half as much outside them).",
        ),
        ParamSpec::new(
            "hidden",
            ParamType::float(0.0, 10.0),
            "1",
            "Condition-dependent input outside the planes, relative to `amplitude` (activity the muscles do not read).",
        ),
        ParamSpec::new("muscles", ParamType::int(1, 64), "8", "EMG outputs."),
        ParamSpec::new(
            "n_conditions",
            ParamType::int(2, 360),
            "8",
            "Trained reach directions; `held_out` lies halfway between them.",
        ),
        ParamSpec::new(
            "prep",
            ParamType::time(1e-3, 60.0),
            "300 ms",
            "Preparatory epoch before the go cue.",
        ),
        ParamSpec::new(
            "movement",
            ParamType::time(1e-3, 60.0),
            "700 ms",
            "Movement epoch after the go cue.",
        ),
        ParamSpec::new(
            "settle",
            ParamType::time(0.0, 60.0),
            "100 ms",
            "Start of each trial left out of the loss.",
        ),
        ParamSpec::new(
            "seed",
            ParamType::int(0, i64::MAX),
            "0",
            "Seed of the teacher's connectivity (part of the definition, not the pipeline seed).",
        ),
    ],
    outputs: &[],
};

const VARIANTS: &[&str] = &["standard", "held_out"];
const EPOCHS: [&str; 2] = ["prep", "movement"];
const NEWTON_ITERATIONS: usize = 100;

impl TaskOp for ReachTeacher {
    fn schema(&self) -> &'static OpSchema {
        &SCHEMA
    }

    fn epochs(&self) -> Option<&'static [&'static str]> {
        Some(&EPOCHS)
    }

    fn variants(&self) -> Option<&'static [&'static str]> {
        Some(VARIANTS)
    }

    fn build(&self, p: &Params) -> Result<Box<dyn Task>, OpError> {
        let dt = p.f64("dt")?;
        let (f_min, f_max) = (p.f64("f_min")?, p.f64("f_max")?);
        if f_max < f_min {
            return Err(OpError::invalid(format!(
                "`f_max` ({f_max} Hz) is below `f_min` ({f_min} Hz)"
            )));
        }
        let (units, planes) = (p.usize("units")?, p.usize("planes")?);
        if 2 * planes > units {
            return Err(OpError::invalid(format!(
                "{planes} rotation planes need at least {} units; got {units}",
                2 * planes
            )));
        }
        let (prep, settle) = (steps(p.f64("prep")?, dt, 1), steps(p.f64("settle")?, dt, 0));
        let movement = steps(p.f64("movement")?, dt, 1);
        if settle >= prep + movement {
            return Err(OpError::invalid("`settle` leaves no step of the trial in the loss"));
        }
        let config = TeacherConfig {
            dt,
            tau: p.f64("tau")?,
            units,
            planes,
            f_min,
            f_max,
            damping: p.f64("damping")?,
            coupling: p.f64("coupling")?,
            amplitude: p.f64("amplitude")?,
            hidden: p.f64("hidden")?,
            muscles: p.usize("muscles")?,
            seed: p.i64("seed")? as u64,
        };
        Ok(Box::new(TeacherTask {
            network: TeacherNetwork::new(&config),
            n_conditions: p.usize("n_conditions")?,
            prep,
            movement,
            settle,
            dt,
            trajectories: [OnceLock::new(), OnceLock::new()],
        }))
    }
}

/// The teacher's construction parameters.
struct TeacherConfig {
    dt: f64,
    tau: f64,
    units: usize,
    planes: usize,
    f_min: f64,
    f_max: f64,
    damping: f64,
    coupling: f64,
    amplitude: f64,
    hidden: f64,
    muscles: usize,
    seed: u64,
}

/// The fixed teacher network.
struct TeacherNetwork {
    alpha: f64,
    w_rec: DMatrix<f64>,
    /// `units x 3`: target x, target y, hold.
    w_in: DMatrix<f64>,
    /// `muscles x units`.
    w_out: DMatrix<f64>,
    b_out: DVector<f64>,
}

impl TeacherNetwork {
    fn new(c: &TeacherConfig) -> TeacherNetwork {
        let mut rng = Rng::derive(c.seed, "reach-teacher");
        let (n, k) = (c.units, 2 * c.planes);
        let q = orthonormal_columns(n, k, &mut rng);
        // G = e^{A dt} - I for the latent dynamics A (one damped rotation per plane), and the
        // preparatory map S from (cos, sin) of the target to the planes.
        let mut g = DMatrix::<f64>::zeros(k, k);
        let mut s = DMatrix::<f64>::zeros(k, 2);
        let per_plane = c.amplitude * (n as f64 / c.planes as f64).sqrt();
        for plane in 0..c.planes {
            let f = if c.planes == 1 {
                c.f_min
            } else {
                c.f_min + (c.f_max - c.f_min) * plane as f64 / (c.planes - 1) as f64
            };
            let w = 2.0 * PI * f;
            let (i, j) = (2 * plane, 2 * plane + 1);
            let decay = (-c.damping * c.dt).exp();
            let (cos, sin) = ((w * c.dt).cos() * decay, (w * c.dt).sin() * decay);
            g[(i, i)] = cos - 1.0;
            g[(j, j)] = cos - 1.0;
            g[(i, j)] = -sin;
            g[(j, i)] = sin;
            let phase = rng.uniform_in(0.0, 2.0 * PI);
            let (cp, sp) = (phase.cos() * per_plane, phase.sin() * per_plane);
            s[(i, 0)] = cp;
            s[(i, 1)] = -sp;
            s[(j, 0)] = sp;
            s[(j, 1)] = cp;
        }
        let complement = DMatrix::<f64>::identity(n, n) - &q * q.transpose();
        let j = DMatrix::from_fn(n, n, |_, _| rng.normal() * c.coupling / (n as f64).sqrt());
        // With W = Q (I + G / alpha) Q^T in the planes, one linearised Euler step
        // z <- (1 - alpha) z + alpha (W z) advances the planes by exactly e^{A dt}.
        let alpha = c.dt / c.tau;
        let rotation = &q * (DMatrix::<f64>::identity(k, k) + &g / alpha) * q.transpose();
        let w_rec = rotation + &complement * j * &complement;
        // Linearised steady state under input u: G z = -alpha Q^T W_in u. For z = S u this asks
        // W_in = -Q G S / alpha on the target inputs.
        let target_in = -(&q * &g * &s) / alpha;
        // The target also drives the complement: condition-dependent activity that the muscles
        // do not read, which only recordings can reveal.
        let hidden_in = &complement * DMatrix::from_fn(n, 2, |_, _| rng.normal() * c.amplitude * c.hidden);
        let target_in = target_in + hidden_in;
        let hold_direction = &complement * DVector::from_fn(n, |_, _| rng.normal());
        let hold_in = hold_direction.normalize() * (c.amplitude * (n as f64).sqrt() * 0.5);
        let mut w_in = DMatrix::<f64>::zeros(n, 3);
        w_in.columns_mut(0, 2).copy_from(&target_in);
        w_in.set_column(2, &hold_in);
        // Muscles read the rotation planes; the gain makes w . r of order one.
        let gain = 1.5 / (per_plane * (c.planes as f64).sqrt());
        let w_out = DMatrix::from_fn(c.muscles, k, |_, _| rng.normal() * gain) * q.transpose();
        let b_out = DVector::from_fn(c.muscles, |_, _| rng.normal() * 0.2);
        TeacherNetwork {
            alpha,
            w_rec,
            w_in,
            w_out,
            b_out,
        }
    }

    fn units(&self) -> usize {
        self.w_rec.nrows()
    }

    /// The fixed point of the network under constant input `u`, by Newton's method on
    /// F(x) = -x + W tanh(x) + W_in u from the linear solution.
    fn fixed_point(&self, u: &DVector<f64>) -> Result<DVector<f64>, OpError> {
        let n = self.units();
        let drive = &self.w_in * u;
        let identity = DMatrix::<f64>::identity(n, n);
        let mut x = (&identity - &self.w_rec)
            .lu()
            .solve(&drive)
            .ok_or_else(|| OpError::invalid("the teacher's linearised dynamics are singular"))?;
        for _ in 0..NEWTON_ITERATIONS {
            let r = x.map(f64::tanh);
            let residual = -&x + &self.w_rec * &r + &drive;
            if residual.amax() <= 1e-12 * drive.amax().max(1.0) {
                return Ok(x);
            }
            let slope = x.map(|v| 1.0 - v.tanh().powi(2));
            let jacobian = DMatrix::from_fn(n, n, |i, j| self.w_rec[(i, j)] * slope[j]) - &identity;
            let step = jacobian
                .lu()
                .solve(&residual)
                .ok_or_else(|| OpError::invalid("the teacher's preparatory state is degenerate"))?;
            x -= step;
        }
        Err(OpError::invalid(
            "the teacher's preparatory state did not converge; lower `amplitude`",
        ))
    }

    /// One reach towards `angle`.
    fn simulate(&self, angle: f64, prep: usize, movement: usize) -> Result<Reach, OpError> {
        let prep_input = DVector::from_vec(vec![angle.cos(), angle.sin(), 1.0]);
        let mut x = self.fixed_point(&prep_input)?;
        let (mut rates, mut emg) = (Vec::new(), Vec::new());
        let drive = &self.w_in * &prep_input;
        let silent = DVector::zeros(x.len());
        for t in 0..prep + movement {
            let r = x.map(f64::tanh);
            let y = (&self.w_out * &r + &self.b_out).map(|v| v.max(0.0));
            rates.extend(r.iter().map(|&v| v as f32));
            emg.extend(y.iter().map(|&v| v as f32));
            // The rate recorded at step t has taken in the preparatory input exactly when the
            // batch's u[t] is on (t < prep), as a student's rate at step t has taken in u[t].
            let input = if t + 1 < prep { &drive } else { &silent };
            x = &x * (1.0 - self.alpha) + (&self.w_rec * &r + input) * self.alpha;
        }
        Ok(Reach { rates, emg })
    }
}

/// The teacher's reach in one condition.
struct Reach {
    /// `[step][unit]`.
    rates: Vec<f32>,
    /// `[step][muscle]`.
    emg: Vec<f32>,
}

/// Every condition of one variant, computed on first use (or why it could not be).
type VariantReaches = OnceLock<Result<Vec<Reach>, String>>;

/// `k` orthonormal columns of length `n`, from Gaussian vectors by Gram-Schmidt.
fn orthonormal_columns(n: usize, k: usize, rng: &mut Rng) -> DMatrix<f64> {
    let mut q = DMatrix::<f64>::zeros(n, k);
    for col in 0..k {
        let mut v = DVector::from_fn(n, |_, _| rng.normal());
        for prev in 0..col {
            let p = q.column(prev).into_owned();
            v -= &p * p.dot(&v);
        }
        q.set_column(col, &v.normalize());
    }
    q
}

/// The configured task, with each variant's per-condition trajectories computed once.
struct TeacherTask {
    network: TeacherNetwork,
    n_conditions: usize,
    prep: usize,
    movement: usize,
    settle: usize,
    dt: f64,
    trajectories: [VariantReaches; 2],
}

impl TeacherTask {
    fn variant_index(&self, variant: &str) -> Result<usize, OpError> {
        VARIANTS
            .iter()
            .position(|v| *v == variant)
            .ok_or_else(|| unknown_variant("reach_teacher", variant, VARIANTS))
    }

    fn angle(&self, condition: usize, variant: usize) -> f64 {
        let spacing = 2.0 * PI / self.n_conditions as f64;
        spacing * condition as f64 + if variant == 1 { spacing / 2.0 } else { 0.0 }
    }

    /// Every condition's reach for a variant.
    fn trajectories(&self, variant: usize) -> Result<&Vec<Reach>, OpError> {
        self.trajectories[variant]
            .get_or_init(|| {
                (0..self.n_conditions)
                    .map(|c| {
                        self.network
                            .simulate(self.angle(c, variant), self.prep, self.movement)
                            .map_err(|e| e.to_string())
                    })
                    .collect()
            })
            .as_ref()
            .map_err(|e| OpError::invalid(e.clone()))
    }

    /// Trials of the given conditions of a variant.
    fn batch(&self, conditions: &[usize], variant: usize) -> Result<TrialBatch, OpError> {
        let trajectories = self.trajectories(variant)?;
        let n_steps = self.prep + self.movement;
        let muscles = self.network.w_out.nrows();
        let n = conditions.len();
        let (mut inputs, mut targets, mut mask) = (
            vec![0f32; n * n_steps * 3],
            Vec::with_capacity(n * n_steps * muscles),
            Vec::with_capacity(n * n_steps * muscles),
        );
        let mut epochs = Vec::with_capacity(n * n_steps);
        let mut columns: BTreeMap<String, Vec<f64>> = BTreeMap::new();
        for (trial, &c) in conditions.iter().enumerate() {
            let angle = self.angle(c, variant);
            for t in 0..n_steps {
                let row = (trial * n_steps + t) * 3;
                if t < self.prep {
                    inputs[row] = angle.cos() as f32;
                    inputs[row + 1] = angle.sin() as f32;
                    inputs[row + 2] = 1.0;
                }
                let counted = if t < self.settle { 0.0 } else { 1.0 };
                mask.extend(std::iter::repeat_n(counted, muscles));
                epochs.push(if t < self.prep { 0 } else { 1 });
            }
            targets.extend_from_slice(&trajectories[c].emg);
            columns.entry("target_angle".into()).or_default().push(angle);
            columns.entry("target_x".into()).or_default().push(angle.cos());
            columns.entry("target_y".into()).or_default().push(angle.sin());
            columns.entry("go_step".into()).or_default().push(self.prep as f64);
        }
        Ok(TrialBatch {
            n_trials: n,
            n_steps,
            dt: self.dt,
            input_names: vec!["target_x".into(), "target_y".into(), "hold".into()],
            output_names: (0..muscles).map(|k| format!("emg_{k}")).collect(),
            inputs,
            targets,
            mask,
            epoch_names: EPOCHS.iter().map(|s| s.to_string()).collect(),
            epochs,
            conditions: columns,
            condition: conditions.iter().map(|&c| c as i64).collect(),
        })
    }
}

impl Task for TeacherTask {
    fn variants(&self) -> &'static [&'static str] {
        VARIANTS
    }

    fn conditions(&self, n: usize, variant: &str, rng: &mut Rng) -> Result<BTreeMap<String, Vec<f64>>, OpError> {
        let v = self.variant_index(variant)?;
        let mut columns: BTreeMap<String, Vec<f64>> = BTreeMap::new();
        for _ in 0..n {
            let c = rng.below(self.n_conditions as u64) as usize;
            let angle = self.angle(c, v);
            columns.entry("condition".into()).or_default().push(c as f64);
            columns.entry("target_angle".into()).or_default().push(angle);
        }
        Ok(columns)
    }

    fn generate(&self, n: usize, variant: &str, rng: &mut Rng) -> Result<TrialBatch, OpError> {
        let v = self.variant_index(variant)?;
        let drawn = self.conditions(n, variant, rng)?;
        let conditions: Vec<usize> = drawn
            .get("condition")
            .map(|c| c.iter().map(|&x| x as usize).collect())
            .unwrap_or_default();
        self.batch(&conditions, v)
    }

    fn recordings(&self, variant: &str) -> Result<Recordings, OpError> {
        let v = self.variant_index(variant)?;
        let conditions: Vec<usize> = (0..self.n_conditions).collect();
        let batch = self.batch(&conditions, v)?;
        let rates = self
            .trajectories(v)?
            .iter()
            .flat_map(|r| r.rates.iter().copied())
            .collect();
        Ok(Recordings {
            batch,
            rates,
            units: self.network.units(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::numerics::motifs::prominent_extrema;
    use crate::value::Value;

    fn task(extra: &[(&str, Value)]) -> Box<dyn Task> {
        let mut p = crate::ops::default_params("reach_teacher").unwrap();
        for (k, v) in extra {
            p = p.with(k, v.clone());
        }
        ReachTeacher.build(&p).unwrap()
    }

    #[test]
    fn the_preparatory_state_is_a_fixed_point_and_rotations_follow() {
        let t = task(&[]);
        let rec = t.recordings("standard").unwrap();
        let (steps, n) = (rec.batch.n_steps, rec.units);
        assert_eq!(rec.batch.n_trials, 8);
        assert_eq!(rec.rates.len(), 8 * steps * n);
        // During the preparatory epoch the rates stay put.
        let at = |c: usize, s: usize| &rec.rates[(c * steps + s) * n..(c * steps + s + 1) * n];
        let drift: f32 = at(0, 0)
            .iter()
            .zip(at(0, 29))
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f32::max);
        assert!(drift < 1e-4, "preparatory drift {drift}");
        // After the go cue the population moves.
        let moved: f32 = at(0, 30)
            .iter()
            .zip(at(0, 60))
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f32::max);
        assert!(moved > 0.05, "movement change {moved}");
        // Rates are graded, not saturated.
        let rms = (rec.rates.iter().map(|r| r * r).sum::<f32>() / rec.rates.len() as f32).sqrt();
        assert!(rms > 0.1 && rms < 0.8, "rms rate {rms}");
    }

    /// With the defaults 28 of the 64 condition-muscle traces have two or more prominent bursts
    /// (a third is required).
    #[test]
    fn muscles_are_rectified_and_multiphasic() {
        let t = task(&[]);
        let rec = t.recordings("standard").unwrap();
        let b = &rec.batch;
        assert!(b.targets.iter().all(|&e| e >= 0.0));
        let muscles = b.n_outputs();
        let mut multiphasic = 0;
        for c in 0..b.n_trials {
            for m in 0..muscles {
                let trace: Vec<f64> = (30..b.n_steps)
                    .map(|s| b.targets[(c * b.n_steps + s) * muscles + m] as f64)
                    .collect();
                if prominent_extrema(&trace, 0.2) >= 2 {
                    multiphasic += 1;
                }
            }
        }
        assert!(
            multiphasic * 3 > b.n_trials * muscles,
            "{multiphasic} of {} muscle traces are multiphasic",
            b.n_trials * muscles
        );
    }

    #[test]
    fn held_out_directions_differ_and_the_teacher_is_deterministic() {
        let t = task(&[]);
        let a = t.recordings("standard").unwrap();
        let b = t.recordings("held_out").unwrap();
        assert_ne!(a.batch.targets, b.batch.targets);
        assert_eq!(a, task(&[]).recordings("standard").unwrap());
        let other = task(&[("seed", Value::Int(1))]).recordings("standard").unwrap();
        assert_ne!(a.rates, other.rates, "the seed makes another teacher");
        let mut rng = Rng::derive(3, "t");
        let trials = t.generate(5, "standard", &mut rng).unwrap();
        assert_eq!(trials.n_trials, 5);
        assert!(
            trials.mask[..10 * 8].iter().all(|&m| m == 0.0),
            "the settle steps do not count"
        );
        assert!(t.generate(1, "novel", &mut rng).is_err());
    }
}
