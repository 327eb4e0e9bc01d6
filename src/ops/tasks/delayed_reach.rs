//! `delayed_reach`: a centre-out reach after an instructed delay (Kao 2019; science.md, pipeline 1).
//!
//! A trial: hold at the centre; a target appears on a circle; after a random delay (so the go
//! time cannot be timed) the hold signal drops; after a reaction time the hand follows a
//! minimum-jerk path to the target and stays there. Inputs: the target's position while it is
//! shown (until go) and the hold signal. Outputs: the hand's position. Every real step counts in
//! the loss; padding after a shorter trial does not.

use crate::ops::tasks::task::{Task, TrialBatch, steps, unknown_variant};
use crate::ops::{OpError, TaskOp};
use crate::params::Params;
use crate::rng::Rng;
use crate::schema::{DeclKind, OpSchema, ParamSpec, ParamType};
use std::collections::BTreeMap;
use std::f64::consts::PI;

pub struct DelayedReach;

static SCHEMA: OpSchema = OpSchema {
    name: "delayed_reach",
    kinds: &[DeclKind::Task],
    version: 1,
    doc: "Delayed centre-out reach: target, random delay, go cue, minimum-jerk hand path. Variants: standard, target_switch, novel_targets.",
    inputs: &[],
    params: &[
        ParamSpec::new("dt", ParamType::time(1e-4, 1.0), "10 ms", "Simulation step."),
        ParamSpec::new(
            "n_targets",
            ParamType::int(1, 360),
            "8",
            "Targets evenly spaced on the circle.",
        ),
        ParamSpec::new(
            "radius",
            ParamType::float(1e-6, 1e6),
            "1",
            "Distance of the targets from the centre.",
        ),
        ParamSpec::new(
            "hold",
            ParamType::time(0.0, 60.0),
            "200 ms",
            "Hold at the centre before the target appears.",
        ),
        ParamSpec::new(
            "delay_min",
            ParamType::time(0.0, 60.0),
            "300 ms",
            "Shortest delay between target and go cue.",
        ),
        ParamSpec::new(
            "delay_max",
            ParamType::time(0.0, 60.0),
            "700 ms",
            "Longest delay; drawn uniformly between the two.",
        ),
        ParamSpec::new(
            "reaction",
            ParamType::time(0.0, 60.0),
            "120 ms",
            "From the go cue to movement onset.",
        ),
        ParamSpec::new(
            "movement",
            ParamType::time(1e-3, 60.0),
            "500 ms",
            "Duration of the minimum-jerk reach.",
        ),
        ParamSpec::new(
            "post",
            ParamType::time(0.0, 60.0),
            "200 ms",
            "Hold at the target after the reach.",
        ),
    ],
    outputs: &[],
};

const VARIANTS: &[&str] = &["standard", "target_switch", "novel_targets"];
const EPOCHS: [&str; 5] = ["hold", "delay", "reaction", "movement", "post"];

impl TaskOp for DelayedReach {
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
        let (delay_min, delay_max) = (p.f64("delay_min")?, p.f64("delay_max")?);
        if delay_max < delay_min {
            return Err(OpError::invalid(format!(
                "`delay_max` ({} s) is shorter than `delay_min` ({} s)",
                delay_max, delay_min
            )));
        }
        Ok(Box::new(Reach {
            dt,
            n_targets: p.usize("n_targets")?,
            radius: p.f64("radius")?,
            hold: steps(p.f64("hold")?, dt, 1),
            delay_min: steps(delay_min, dt, 1),
            delay_max: steps(delay_max, dt, 1),
            reaction: steps(p.f64("reaction")?, dt, 0),
            movement: steps(p.f64("movement")?, dt, 1),
            post: steps(p.f64("post")?, dt, 0),
        }))
    }
}

/// A configured delayed-reach task, with durations in steps.
struct Reach {
    dt: f64,
    n_targets: usize,
    radius: f64,
    hold: usize,
    delay_min: usize,
    delay_max: usize,
    reaction: usize,
    movement: usize,
    post: usize,
}

/// Minimum-jerk position profile: 0 at s = 0, 1 at s = 1, zero velocity and acceleration at both ends.
pub fn minimum_jerk(s: f64) -> f64 {
    let s = s.clamp(0.0, 1.0);
    s * s * s * (10.0 - 15.0 * s + 6.0 * s * s)
}

impl Reach {
    fn angle(&self, index: usize, variant: &str) -> f64 {
        let offset = if variant == "novel_targets" {
            PI / self.n_targets as f64
        } else {
            0.0
        };
        2.0 * PI * index as f64 / self.n_targets as f64 + offset
    }
}

impl Task for Reach {
    fn variants(&self) -> &'static [&'static str] {
        VARIANTS
    }

    fn conditions(&self, n: usize, variant: &str, rng: &mut Rng) -> Result<BTreeMap<String, Vec<f64>>, OpError> {
        if !VARIANTS.contains(&variant) {
            return Err(unknown_variant("delayed_reach", variant, VARIANTS));
        }
        let mut c: BTreeMap<String, Vec<f64>> = BTreeMap::new();
        for _ in 0..n {
            let target = rng.below(self.n_targets as u64) as usize;
            let delay = self.delay_min + rng.below((self.delay_max - self.delay_min + 1) as u64) as usize;
            let go = self.hold + delay;
            let (initial, switch_step) = if variant == "target_switch" && self.n_targets > 1 {
                let other = (target + 1 + rng.below(self.n_targets as u64 - 1) as usize) % self.n_targets;
                // The switch falls in the middle half of the delay, so both targets are seen.
                let lo = delay / 4;
                let hi = (3 * delay / 4).max(lo);
                (other, self.hold + lo + rng.below((hi - lo + 1) as u64) as usize)
            } else {
                (target, self.hold)
            };
            let angle = self.angle(target, variant);
            let push =
                |c: &mut BTreeMap<String, Vec<f64>>, k: &str, v: f64| c.entry(k.to_string()).or_default().push(v);
            push(&mut c, "condition", target as f64);
            push(&mut c, "target_angle", angle);
            push(&mut c, "target_x", self.radius * angle.cos());
            push(&mut c, "target_y", self.radius * angle.sin());
            push(&mut c, "initial_angle", self.angle(initial, variant));
            push(&mut c, "switch_step", switch_step as f64);
            push(&mut c, "delay", delay as f64 * self.dt);
            push(&mut c, "go_step", go as f64);
        }
        Ok(c)
    }

    fn generate(&self, n: usize, variant: &str, rng: &mut Rng) -> Result<TrialBatch, OpError> {
        let mut conditions = self.conditions(n, variant, rng)?;
        let col = |c: &BTreeMap<String, Vec<f64>>, k: &str| c.get(k).cloned().unwrap_or_default();
        let go = col(&conditions, "go_step");
        let length = |g: f64| g as usize + self.reaction + self.movement + self.post;
        let n_steps = go.iter().map(|&g| length(g)).max().unwrap_or(0);
        let (n_in, n_out) = (3, 2);
        let mut inputs = vec![0f32; n * n_steps * n_in];
        let mut targets = vec![0f32; n * n_steps * n_out];
        let mut mask = vec![0f32; n * n_steps * n_out];
        let mut epochs = vec![TrialBatch::PADDING; n * n_steps];
        let (angle, initial, switch) = (
            col(&conditions, "target_angle"),
            col(&conditions, "initial_angle"),
            col(&conditions, "switch_step"),
        );
        for trial in 0..n {
            let g = go[trial] as usize;
            let move_start = g + self.reaction;
            let (fx, fy) = (self.radius * angle[trial].cos(), self.radius * angle[trial].sin());
            let (ix, iy) = (self.radius * initial[trial].cos(), self.radius * initial[trial].sin());
            for t in 0..length(go[trial]) {
                let row = trial * n_steps + t;
                let (tx, ty) = if t < self.hold || t >= g {
                    (0.0, 0.0)
                } else if t < switch[trial] as usize {
                    (ix, iy)
                } else {
                    (fx, fy)
                };
                inputs[row * n_in] = tx as f32;
                inputs[row * n_in + 1] = ty as f32;
                inputs[row * n_in + 2] = if t < g { 1.0 } else { 0.0 };
                let s = if t < move_start {
                    0.0
                } else {
                    minimum_jerk((t - move_start) as f64 / self.movement as f64)
                };
                targets[row * n_out] = (fx * s) as f32;
                targets[row * n_out + 1] = (fy * s) as f32;
                mask[row * n_out] = 1.0;
                mask[row * n_out + 1] = 1.0;
                epochs[row] = if t < self.hold {
                    0
                } else if t < g {
                    1
                } else if t < move_start {
                    2
                } else if t < move_start + self.movement {
                    3
                } else {
                    4
                };
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
            input_names: vec!["target_x".into(), "target_y".into(), "hold".into()],
            output_names: vec!["hand_x".into(), "hand_y".into()],
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
mod tests {
    use super::*;
    use crate::value::Value;

    fn task(delay_ms: (f64, f64)) -> Box<dyn Task> {
        let q = |ms: f64| Value::Quantity {
            si: ms / 1000.0,
            dim: crate::units::Dimension::Time,
        };
        let params = crate::ops::default_params("delayed_reach")
            .expect("known operator")
            .with("delay_min", q(delay_ms.0))
            .with("delay_max", q(delay_ms.1));
        DelayedReach.build(&params).expect("valid task")
    }

    #[test]
    fn minimum_jerk_has_its_known_shape() {
        assert_eq!(minimum_jerk(0.0), 0.0);
        assert!((minimum_jerk(0.5) - 0.5).abs() < 1e-12);
        assert!((minimum_jerk(1.0) - 1.0).abs() < 1e-12);
        // Velocity is zero at both ends: tiny steps barely move.
        assert!(minimum_jerk(0.01) < 1e-4 && 1.0 - minimum_jerk(0.99) < 1e-4);
    }

    #[test]
    fn a_trial_holds_waits_then_reaches_the_target() {
        let t = task((300.0, 300.0));
        let b = t.generate(4, "standard", &mut Rng::derive(1, "t")).unwrap();
        assert_eq!(b.n_steps, 20 + 30 + 12 + 50 + 20);
        for trial in 0..4 {
            let at = |step: usize, ch: usize| b.targets[(trial * b.n_steps + step) * 2 + ch] as f64;
            let input = |step: usize, ch: usize| b.inputs[(trial * b.n_steps + step) * 3 + ch];
            let angle = b.conditions["target_angle"][trial];
            assert_eq!(
                (at(61, 0), at(61, 1)),
                (0.0, 0.0),
                "still at the centre during the reaction time"
            );
            assert!((at(b.n_steps - 1, 0) - angle.cos()).abs() < 1e-6);
            assert!((at(b.n_steps - 1, 1) - angle.sin()).abs() < 1e-6);
            assert_eq!(input(10, 0), 0.0, "no target during the hold");
            assert!(
                (input(30, 0) as f64 - angle.cos()).abs() < 1e-6,
                "target shown in the delay"
            );
            assert_eq!((input(49, 2), input(50, 2)), (1.0, 0.0), "hold drops at go");
            assert_eq!(input(55, 0), 0.0, "target off after go");
        }
    }

    #[test]
    fn delays_vary_and_padding_is_masked() {
        let t = task((300.0, 700.0));
        let b = t.generate(64, "standard", &mut Rng::derive(2, "t")).unwrap();
        let delays = &b.conditions["delay"];
        let lo = delays.iter().cloned().fold(f64::INFINITY, f64::min);
        let hi = delays.iter().cloned().fold(0.0, f64::max);
        assert!(lo >= 0.3 - 1e-9 && hi <= 0.7 + 1e-9 && hi - lo > 0.2, "{lo} {hi}");
        let shortest = (0..64).min_by(|&a, &c| delays[a].total_cmp(&delays[c])).unwrap();
        let last = shortest * b.n_steps + b.n_steps - 1;
        assert_eq!(b.mask[last * 2], 0.0);
        assert_eq!(b.epochs[last], TrialBatch::PADDING);
    }

    #[test]
    fn variants_switch_targets_and_use_novel_angles() {
        let t = task((400.0, 400.0));
        let s = t.generate(16, "target_switch", &mut Rng::derive(3, "t")).unwrap();
        for trial in 0..16 {
            assert_ne!(
                s.conditions["initial_angle"][trial],
                s.conditions["target_angle"][trial]
            );
        }
        let n = t.generate(16, "novel_targets", &mut Rng::derive(3, "t")).unwrap();
        for &a in &n.conditions["target_angle"] {
            let k = a / (2.0 * PI / 8.0);
            assert!((k - k.round()).abs() > 0.4, "novel angle {a} is a trained one");
        }
        assert!(t.generate(1, "mirror", &mut Rng::derive(3, "t")).is_err());
    }
}
