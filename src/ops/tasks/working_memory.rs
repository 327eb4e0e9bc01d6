//! `working_memory`: remember several items' colours, report the one at a cued location
//! (Radmard, Bays & Lengyel 2025; science.md, pipeline 3).
//!
//! Each item has a circular cue feature (location) and a circular report feature (colour), drawn
//! uniformly with a minimum circular separation between items in both. Epochs: stimulus, delay,
//! cue, cue delay, response. During the stimulus, the input is a conjunctive population code: a
//! grid of `n_tuning` x `n_tuning` units with von Mises tuning to location and colour, summed over
//! items. During the cue, `n_tuning` units code the cued location. During the response, a go
//! channel is on and `time_embedding` sinusoidal channels tell the network which response step
//! (for diffusion training, which denoising step) it is in. The target is the cued colour as a
//! point on a circle of radius `radius`; only response steps count in the loss.
//! Trials are grouped into 8 conditions by the octant of the cued colour.

use crate::ops::tasks::task::{Task, TrialBatch, steps, unknown_variant};
use crate::ops::{OpError, TaskOp};
use crate::params::Params;
use crate::rng::{Rng, wrap_angle};
use crate::schema::{DeclKind, OpSchema, ParamSpec, ParamType};
use std::collections::BTreeMap;
use std::f64::consts::PI;

pub struct WorkingMemory;

static SCHEMA: OpSchema = OpSchema {
    name: "working_memory",
    kinds: &[DeclKind::Task],
    version: 1,
    doc: "Multi-item working memory with a location cue and a 2-D colour report; population-coded inputs.",
    inputs: &[],
    params: &[
        ParamSpec::new("items", ParamType::int(1, 8), "2", "Items shown per trial."),
        ParamSpec::new("dt", ParamType::time(1e-4, 1.0), "20 ms", "Simulation step."),
        ParamSpec::new(
            "stimulus",
            ParamType::time(0.0, 60.0),
            "300 ms",
            "Duration of the stimulus epoch.",
        ),
        ParamSpec::new(
            "delay",
            ParamType::time(0.0, 60.0),
            "500 ms",
            "Delay between stimulus and cue.",
        ),
        ParamSpec::new(
            "cue",
            ParamType::time(0.0, 60.0),
            "200 ms",
            "Duration of the cue epoch.",
        ),
        ParamSpec::new(
            "cue_delay",
            ParamType::time(0.0, 60.0),
            "200 ms",
            "Delay between cue and response.",
        ),
        ParamSpec::new(
            "response_steps",
            ParamType::int(1, 10_000),
            "40",
            "Steps of the response epoch (the diffusion steps).",
        ),
        ParamSpec::new("n_tuning", ParamType::int(2, 64), "16", "Tuning curves per feature."),
        ParamSpec::new(
            "tuning_kappa",
            ParamType::float(0.0, 1e3),
            "5",
            "Concentration of the von Mises tuning curves.",
        ),
        ParamSpec::new(
            "min_separation",
            ParamType::angle(0.0, PI),
            "30 deg",
            "Minimum circular distance between any two items, in location and in colour.",
        ),
        ParamSpec::new(
            "radius",
            ParamType::float(1e-6, 1e6),
            "2.5",
            "Radius of the response circle.",
        ),
        ParamSpec::new(
            "time_embedding",
            ParamType::int(0, 64),
            "8",
            "Sinusoidal channels coding the response step.",
        ),
    ],
    outputs: &[],
};

const VARIANTS: &[&str] = &["standard"];
const EPOCHS: [&str; 5] = ["stimulus", "delay", "cue", "cue_delay", "response"];
/// Attempts to draw one trial's features before giving up on the separation constraint.
const MAX_TRIES: usize = 10_000;

impl TaskOp for WorkingMemory {
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
        let items = p.usize("items")?;
        let min_separation = p.f64("min_separation")?;
        if items > 1 && items as f64 * min_separation >= 2.0 * PI {
            return Err(OpError::invalid(format!(
                "{items} items cannot all be {:.1} degrees apart on a circle",
                min_separation.to_degrees()
            )));
        }
        let embedding = p.usize("time_embedding")?;
        Ok(Box::new(Wm {
            dt,
            items,
            epochs: [
                steps(p.f64("stimulus")?, dt, 1),
                steps(p.f64("delay")?, dt, 0),
                steps(p.f64("cue")?, dt, 1),
                steps(p.f64("cue_delay")?, dt, 0),
                p.usize("response_steps")?,
            ],
            n_tuning: p.usize("n_tuning")?,
            kappa: p.f64("tuning_kappa")?,
            min_separation,
            radius: p.f64("radius")?,
            embedding,
        }))
    }
}

struct Wm {
    dt: f64,
    items: usize,
    /// Steps in each epoch, in `EPOCHS` order.
    epochs: [usize; 5],
    n_tuning: usize,
    kappa: f64,
    min_separation: f64,
    radius: f64,
    embedding: usize,
}

/// Circular distance in [0, pi].
pub fn circular_distance(a: f64, b: f64) -> f64 {
    wrap_angle(a - b).abs()
}

impl Wm {
    fn tuning(&self, theta: f64, unit: usize) -> f64 {
        let preferred = 2.0 * PI * unit as f64 / self.n_tuning as f64;
        (self.kappa * ((theta - preferred).cos() - 1.0)).exp()
    }

    /// Draws features for all items with the separation constraint, by rejection.
    fn draw_features(&self, rng: &mut Rng) -> Result<Vec<f64>, OpError> {
        'attempt: for _ in 0..MAX_TRIES {
            let feats: Vec<f64> = (0..self.items).map(|_| rng.uniform_in(-PI, PI)).collect();
            for i in 0..feats.len() {
                for j in 0..i {
                    if circular_distance(feats[i], feats[j]) < self.min_separation {
                        continue 'attempt;
                    }
                }
            }
            return Ok(feats);
        }
        Err(OpError::invalid(
            "could not draw items with the required minimum separation; lower `min_separation`",
        ))
    }

    fn input_names(&self) -> Vec<String> {
        let mut names = Vec::new();
        for i in 0..self.n_tuning {
            for j in 0..self.n_tuning {
                names.push(format!("stim_{i}_{j}"));
            }
        }
        names.extend((0..self.n_tuning).map(|i| format!("cue_{i}")));
        names.extend((0..self.embedding).map(|k| format!("time_{k}")));
        names.push("go".into());
        names
    }

    /// Checks condition columns read from a data table and derives what is missing: the cued colour
    /// (`target_angle`), the cue distance and the condition index (octant of the cued colour).
    fn complete(&self, mut c: BTreeMap<String, Vec<f64>>) -> Result<BTreeMap<String, Vec<f64>>, OpError> {
        let mut required = vec!["cued".to_string()];
        for i in 0..self.items {
            required.push(format!("loc_{i}"));
            required.push(format!("col_{i}"));
        }
        let missing: Vec<&String> = required.iter().filter(|k| !c.contains_key(*k)).collect();
        if !missing.is_empty() {
            let names: Vec<&str> = missing.iter().map(|s| s.as_str()).collect();
            return Err(OpError::invalid(format!(
                "working_memory trials need the columns {}; missing: {}",
                required.join(", "),
                names.join(", ")
            )));
        }
        let n = c["cued"].len();
        if let Some((k, v)) = c.iter().find(|(_, v)| v.len() != n) {
            return Err(OpError::invalid(format!(
                "column `{k}` has {} values, `cued` has {n}",
                v.len()
            )));
        }
        if let Some((k, _)) = c.iter().find(|(_, v)| v.iter().any(|x| !x.is_finite())) {
            return Err(OpError::invalid(format!("column `{k}` holds NaN or infinite values")));
        }
        let mut target = Vec::with_capacity(n);
        let mut distance = Vec::with_capacity(n);
        let mut octant = Vec::with_capacity(n);
        for (t, &cued) in c["cued"].iter().enumerate() {
            if cued < 0.0 || cued.fract() != 0.0 || cued as usize >= self.items {
                return Err(OpError::invalid(format!(
                    "trial {t}: `cued` is {cued}; it must be an item index below {}",
                    self.items
                )));
            }
            let cued = cued as usize;
            let colour = c[&format!("col_{cued}")][t];
            let loc = c[&format!("loc_{cued}")][t];
            let d = (0..self.items)
                .filter(|&j| j != cued)
                .map(|j| circular_distance(loc, c[&format!("loc_{j}")][t]))
                .fold(f64::INFINITY, f64::min);
            target.push(colour);
            distance.push(if d.is_finite() { d } else { 0.0 });
            octant.push((((colour + PI) / (2.0 * PI) * 8.0).floor() as i64).rem_euclid(8) as f64);
        }
        c.insert("target_angle".into(), target);
        c.insert("cue_distance".into(), distance);
        c.insert("condition".into(), octant);
        Ok(c)
    }

    /// The sinusoidal code of response step `s`: pairs of sin and cos at doubling frequencies.
    fn time_code(&self, s: usize, k: usize) -> f64 {
        let total = self.epochs[4].max(1) as f64;
        let freq = (1u64 << (k / 2).min(30)) as f64;
        let phase = PI * (s as f64 + 0.5) / total * freq;
        if k.is_multiple_of(2) { phase.sin() } else { phase.cos() }
    }
}

impl Task for Wm {
    fn variants(&self) -> &'static [&'static str] {
        VARIANTS
    }

    fn conditions(&self, n: usize, variant: &str, rng: &mut Rng) -> Result<BTreeMap<String, Vec<f64>>, OpError> {
        if !VARIANTS.contains(&variant) {
            return Err(unknown_variant("working_memory", variant, VARIANTS));
        }
        let mut c: BTreeMap<String, Vec<f64>> = BTreeMap::new();
        for _ in 0..n {
            let locs = self.draw_features(rng)?;
            let cols = self.draw_features(rng)?;
            let cued = rng.below(self.items as u64) as usize;
            let cue_distance = (0..self.items)
                .filter(|&j| j != cued)
                .map(|j| circular_distance(locs[cued], locs[j]))
                .fold(f64::INFINITY, f64::min);
            let cue_distance = if cue_distance.is_finite() { cue_distance } else { 0.0 };
            for i in 0..self.items {
                c.entry(format!("loc_{i}")).or_default().push(locs[i]);
                c.entry(format!("col_{i}")).or_default().push(cols[i]);
            }
            c.entry("cued".into()).or_default().push(cued as f64);
            c.entry("cue_distance".into()).or_default().push(cue_distance);
            c.entry("target_angle".into()).or_default().push(cols[cued]);
            let octant = (((cols[cued] + PI) / (2.0 * PI) * 8.0).floor() as i64).rem_euclid(8);
            c.entry("condition".into()).or_default().push(octant as f64);
        }
        Ok(c)
    }

    fn generate(&self, n: usize, variant: &str, rng: &mut Rng) -> Result<TrialBatch, OpError> {
        let conditions = self.conditions(n, variant, rng)?;
        self.render(conditions)
    }

    fn render(&self, conditions: BTreeMap<String, Vec<f64>>) -> Result<TrialBatch, OpError> {
        let mut conditions = self.complete(conditions)?;
        let n = conditions.get("cued").map_or(0, Vec::len);
        let input_names = self.input_names();
        let n_in = input_names.len();
        let n_steps: usize = self.epochs.iter().sum();
        let starts: Vec<usize> = self
            .epochs
            .iter()
            .scan(0, |acc, &len| {
                let start = *acc;
                *acc += len;
                Some(start)
            })
            .collect();
        let (stim_off, cue_off, time_off, go_off) = (
            0,
            self.n_tuning * self.n_tuning,
            self.n_tuning * self.n_tuning + self.n_tuning,
            n_in - 1,
        );
        let mut inputs = vec![0f32; n * n_steps * n_in];
        let mut targets = vec![0f32; n * n_steps * 2];
        let mut mask = vec![0f32; n * n_steps * 2];
        let mut epochs = vec![0u8; n * n_steps];
        let get = |k: &str, t: usize| conditions.get(k).map_or(0.0, |v| v[t]);
        for trial in 0..n {
            // The stimulus code: the sum over items of the conjunctive tuning.
            let mut stim = vec![0f64; self.n_tuning * self.n_tuning];
            for item in 0..self.items {
                let (loc, col) = (get(&format!("loc_{item}"), trial), get(&format!("col_{item}"), trial));
                let loc_code: Vec<f64> = (0..self.n_tuning).map(|i| self.tuning(loc, i)).collect();
                let col_code: Vec<f64> = (0..self.n_tuning).map(|j| self.tuning(col, j)).collect();
                for i in 0..self.n_tuning {
                    for j in 0..self.n_tuning {
                        stim[i * self.n_tuning + j] += loc_code[i] * col_code[j];
                    }
                }
            }
            let cued = get("cued", trial) as usize;
            let cue_code: Vec<f64> = (0..self.n_tuning)
                .map(|i| self.tuning(get(&format!("loc_{cued}"), trial), i))
                .collect();
            let target = match conditions.get("response") {
                Some(response) => response[trial],
                None => get("target_angle", trial),
            };
            for t in 0..n_steps {
                let row = trial * n_steps + t;
                let epoch = (0..5).rev().find(|&e| t >= starts[e]).unwrap_or(0);
                epochs[row] = epoch as u8;
                let base = row * n_in;
                match epoch {
                    0 => {
                        for (k, v) in stim.iter().enumerate() {
                            inputs[base + stim_off + k] = *v as f32;
                        }
                    }
                    2 => {
                        for (k, v) in cue_code.iter().enumerate() {
                            inputs[base + cue_off + k] = *v as f32;
                        }
                    }
                    4 => {
                        let s = t - starts[4];
                        for k in 0..self.embedding {
                            inputs[base + time_off + k] = self.time_code(s, k) as f32;
                        }
                        inputs[base + go_off] = 1.0;
                        targets[row * 2] = (self.radius * target.cos()) as f32;
                        targets[row * 2 + 1] = (self.radius * target.sin()) as f32;
                        mask[row * 2] = 1.0;
                        mask[row * 2 + 1] = 1.0;
                    }
                    _ => {}
                }
            }
        }
        let condition = conditions
            .remove("condition")
            .unwrap_or_default()
            .into_iter()
            .map(|x| x as i64)
            .collect();
        Ok(TrialBatch {
            n_trials: n,
            n_steps,
            dt: self.dt,
            input_names,
            output_names: vec!["resp_x".into(), "resp_y".into()],
            inputs,
            targets,
            mask,
            epoch_names: EPOCHS.iter().map(|s| s.to_string()).collect(),
            epochs,
            conditions,
            condition,
        })
    }
}

#[cfg(test)]
#[allow(clippy::needless_range_loop)]
mod tests {
    use super::*;
    use crate::value::Value;

    pub fn task(items: i64, min_sep_deg: f64) -> Result<Box<dyn Task>, OpError> {
        let separation = Value::Quantity {
            si: min_sep_deg.to_radians(),
            dim: crate::units::Dimension::Angle,
        };
        let params = crate::ops::default_params("working_memory")
            .expect("known operator")
            .with("items", Value::Int(items))
            .with("min_separation", separation);
        WorkingMemory.build(&params)
    }

    #[test]
    fn items_respect_the_minimum_separation() {
        let t = task(3, 40.0).unwrap();
        let c = t.conditions(500, "standard", &mut Rng::derive(1, "wm")).unwrap();
        for trial in 0..500 {
            for feature in ["loc", "col"] {
                for i in 0..3 {
                    for j in 0..i {
                        let d =
                            circular_distance(c[&format!("{feature}_{i}")][trial], c[&format!("{feature}_{j}")][trial]);
                        assert!(d >= 40f64.to_radians() - 1e-12, "{feature} {d}");
                    }
                }
            }
        }
        assert!(task(8, 50.0).is_err(), "8 items cannot be 50 degrees apart");
    }

    #[test]
    fn epochs_inputs_and_targets_line_up() {
        let t = task(2, 30.0).unwrap();
        let b = t.generate(3, "standard", &mut Rng::derive(2, "wm")).unwrap();
        assert_eq!(b.n_steps, 15 + 25 + 10 + 10 + 40);
        assert_eq!(b.n_inputs(), 256 + 16 + 8 + 1);
        for trial in 0..3 {
            let row = |t: usize| trial * b.n_steps + t;
            assert_eq!(b.epochs[row(0)], 0);
            assert_eq!(b.epochs[row(b.n_steps - 1)], 4);
            let stim_energy: f32 = b.inputs[row(5) * b.n_inputs()..row(5) * b.n_inputs() + 256]
                .iter()
                .sum();
            assert!(stim_energy > 0.1, "stimulus drives the conjunctive units");
            let delay_energy: f32 = b.inputs[row(20) * b.n_inputs()..(row(20) + 1) * b.n_inputs()]
                .iter()
                .sum();
            assert_eq!(delay_energy, 0.0, "no input in the delay");
            // The cue code peaks at the unit preferring the cued location.
            let cue = &b.inputs[row(45) * b.n_inputs() + 256..row(45) * b.n_inputs() + 272];
            let peak = cue.iter().enumerate().max_by(|a, c| a.1.total_cmp(c.1)).unwrap().0;
            let cued = b.conditions["cued"][trial] as usize;
            let loc = b.conditions[&format!("loc_{cued}")][trial];
            assert!(circular_distance(2.0 * PI * peak as f64 / 16.0, loc) <= PI / 16.0 + 1e-9);
            // The target is the cued colour on the response circle, counted only in the response.
            let angle = b.conditions["target_angle"][trial];
            let last = row(b.n_steps - 1);
            assert!((b.targets[last * 2] as f64 - 2.5 * angle.cos()).abs() < 1e-5);
            assert_eq!(b.mask[row(30) * 2], 0.0);
            assert_eq!(b.mask[last * 2], 1.0);
        }
    }

    #[test]
    fn cue_distance_is_the_distance_to_the_other_item() {
        let t = task(2, 0.0).unwrap();
        let c = t.conditions(100, "standard", &mut Rng::derive(3, "wm")).unwrap();
        for trial in 0..100 {
            let d = circular_distance(c["loc_0"][trial], c["loc_1"][trial]);
            assert!((c["cue_distance"][trial] - d).abs() < 1e-12);
        }
    }
}
