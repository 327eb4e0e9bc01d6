//! Drawing and rendering trials of a task written in the language.
//!
//! A batch is drawn in two passes from one generator: first every trial's variables (so that
//! `conditions` draws exactly what `generate` does), then each trial's signals, epochs and
//! channels in time order, channel by channel.

use crate::ops::OpError;
use crate::ops::tasks::task::{Task, TrialBatch, default_metrics, unknown_variant};
use crate::rng::Rng;
use crate::trialspec::eval::{self, EpochScope, TimeCache};
use crate::trialspec::{Channel, Dist, Expr, Func, TrialSpec, VarDef};
use std::collections::BTreeMap;
use std::f64::consts::PI;

pub const VARIANTS: &[&str] = &["standard"];

/// A checked task body with its settings, ready to draw trials.
pub struct DeclaredTask {
    spec: TrialSpec,
    dt: f64,
    tolerance: f64,
    max_tries: usize,
    /// Per channel (inputs, then targets): the part that covers each epoch, if any.
    part_of_epoch: Vec<Vec<Option<usize>>>,
    /// Per channel and part: the index of its first `hold` state, and how many it has.
    hold_slots: Vec<Vec<(usize, usize)>>,
    n_holds: usize,
}

impl DeclaredTask {
    pub fn new(spec: TrialSpec, dt: f64, tolerance: f64, max_tries: usize) -> DeclaredTask {
        let mut part_of_epoch = Vec::new();
        let mut hold_slots = Vec::new();
        let mut n_holds = 0;
        for channel in spec.inputs.iter().chain(&spec.targets) {
            let mut covers = vec![None; spec.epochs.len()];
            let mut slots = Vec::new();
            for (p, part) in channel.parts.iter().enumerate() {
                for &e in &part.epochs {
                    if let Some(slot) = covers.get_mut(e) {
                        *slot = Some(p);
                    }
                }
                let holds = count_holds(&part.expr);
                slots.push((n_holds, holds));
                n_holds += holds;
            }
            part_of_epoch.push(covers);
            hold_slots.push(slots);
        }
        DeclaredTask {
            spec,
            dt,
            tolerance,
            max_tries,
            part_of_epoch,
            hold_slots,
            n_holds,
        }
    }

    /// One trial's variables and the index of its combination of discrete values.
    fn draw_one(&self, rng: &mut Rng) -> Result<(Vec<f64>, i64), OpError> {
        for _ in 0..self.max_tries {
            let (vars, condition) = self.fill_vars(|_, dist, vars| Ok(self.sample(dist, vars, rng)))?;
            if self
                .spec
                .requires
                .iter()
                .all(|r| eval::truth(eval::scalar(r, &vars, self.dt)))
            {
                return Ok((vars, condition));
            }
        }
        Err(OpError::invalid(format!(
            "no draw of the task's variables met its `require` conditions in {} tries; loosen them or raise `max_tries`",
            self.max_tries
        )))
    }

    /// Every variable of one trial in declaration order: derived ones computed, drawn ones from
    /// `draw` (name, distribution, the variables so far; the value and its level for discrete
    /// distributions), and the index of the trial's combination of discrete levels.
    fn fill_vars(
        &self,
        mut draw: impl FnMut(&str, &Dist, &[f64]) -> Result<(f64, Option<usize>), OpError>,
    ) -> Result<(Vec<f64>, i64), OpError> {
        let mut vars = Vec::with_capacity(self.spec.vars.len());
        let mut condition = 0i64;
        for var in &self.spec.vars {
            let value = match &var.def {
                VarDef::Let(expr) => eval::scalar(expr, &vars, self.dt),
                VarDef::Draw(dist) => {
                    let (value, level) = draw(&var.name, dist, &vars)?;
                    if let (Some(level), Some(levels)) = (level, dist.levels()) {
                        condition = condition * levels as i64 + level as i64;
                    }
                    value
                }
            };
            vars.push(value);
        }
        Ok((vars, condition))
    }

    /// A value of a distribution, with its level for discrete ones.
    fn sample(&self, dist: &Dist, vars: &[f64], rng: &mut Rng) -> (f64, Option<usize>) {
        let at = |e: &Expr| eval::scalar(e, vars, self.dt);
        match dist {
            Dist::Choice(values) => {
                let k = rng.below(values.len() as u64) as usize;
                (at(&values[k]), Some(k))
            }
            Dist::Uniform(low, high) => (rng.uniform_in(at(low), at(high)), None),
            Dist::Normal(mean, sd) => (at(mean) + at(sd) * rng.normal(), None),
            Dist::Bernoulli(p) => {
                let one = rng.uniform() < at(p);
                (if one { 1.0 } else { 0.0 }, Some(one as usize))
            }
            Dist::Angle(None) => (rng.uniform_in(0.0, 2.0 * PI), None),
            Dist::Angle(Some(n)) => {
                let k = rng.below(*n as u64) as usize;
                (2.0 * PI * k as f64 / *n as f64, Some(k))
            }
            Dist::Int(low, high) => {
                let k = rng.below((high - low + 1) as u64) as usize;
                ((*low + k as i64) as f64, Some(k))
            }
        }
    }

    /// The level of a given value of a discrete distribution, for trials read from a table.
    fn level_of(&self, dist: &Dist, value: f64, vars: &[f64]) -> Option<usize> {
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0);
        match dist {
            Dist::Choice(values) => values.iter().position(|e| close(eval::scalar(e, vars, self.dt), value)),
            Dist::Bernoulli(_) => Some((value != 0.0) as usize),
            Dist::Angle(Some(n)) => {
                let k = (value.rem_euclid(2.0 * PI) / (2.0 * PI) * *n as f64).round() as usize % n;
                Some(k)
            }
            Dist::Int(low, high) => {
                let k = value.round() as i64;
                (k >= *low && k <= *high).then(|| (k - low) as usize)
            }
            _ => None,
        }
    }

    /// Steps of each epoch of a trial with these variables.
    fn epoch_steps(&self, vars: &[f64]) -> Result<Vec<usize>, OpError> {
        self.spec
            .epochs
            .iter()
            .map(|epoch| {
                let seconds = eval::scalar(&epoch.duration, vars, self.dt);
                let steps = (seconds / self.dt).round();
                if !seconds.is_finite() || steps < 1.0 {
                    return Err(OpError::invalid(format!(
                        "epoch `{}` lasts {seconds} s in a drawn trial, less than one step of {} s; every epoch must last at least one step",
                        epoch.name, self.dt
                    )));
                }
                Ok(steps as usize)
            })
            .collect()
    }

    /// Renders trials with the given variables. Signals and noise come from `rng`.
    fn render_trials(&self, vars: Vec<Vec<f64>>, condition: Vec<i64>, rng: &mut Rng) -> Result<TrialBatch, OpError> {
        let n_trials = vars.len();
        let steps: Vec<Vec<usize>> = vars.iter().map(|v| self.epoch_steps(v)).collect::<Result<_, _>>()?;
        let lengths: Vec<usize> = steps.iter().map(|s| s.iter().sum()).collect();
        let n_steps = lengths.iter().copied().max().unwrap_or(0);
        let input_names = names(&self.spec.inputs);
        let output_names = names(&self.spec.targets);
        let (n_in, n_out) = (input_names.len(), output_names.len());
        let mut inputs = vec![0f32; n_trials * n_steps * n_in];
        let mut targets = vec![0f32; n_trials * n_steps * n_out];
        let mut mask = vec![0f32; n_trials * n_steps * n_out];
        let mut epochs = vec![TrialBatch::PADDING; n_trials * n_steps];
        let channels: Vec<&Channel> = self.spec.inputs.iter().chain(&self.spec.targets).collect();
        let mut cache = TimeCache::new(channels.iter().flat_map(|c| c.parts.iter().map(|p| &p.expr)));
        let n_inputs = self.spec.inputs.len();

        for t in 0..n_trials {
            let signals: Vec<(Vec<f64>, usize)> = self
                .spec
                .signals
                .iter()
                .map(|s| {
                    let p = eval::scalar(&s.rate, &vars[t], self.dt) * self.dt;
                    let values = (0..lengths[t] * s.width)
                        .map(|_| {
                            if rng.uniform() < p {
                                if rng.uniform() < 0.5 { -1.0 } else { 1.0 }
                            } else {
                                0.0
                            }
                        })
                        .collect();
                    (values, s.width)
                })
                .collect();
            let mut holds = vec![Vec::new(); self.n_holds];
            let mut start = 0;
            for (e, &len) in steps[t].iter().enumerate() {
                let first_row = t * n_steps + start;
                epochs[first_row..first_row + len].fill(e as u8);
                if self.spec.mask[e] {
                    mask[first_row * n_out..(first_row + len) * n_out].fill(1.0);
                }
                let (mut in_col, mut out_col) = (0, 0);
                for (c, channel) in channels.iter().enumerate() {
                    let is_input = c < n_inputs;
                    let col = if is_input { &mut in_col } else { &mut out_col };
                    let offset = *col;
                    *col += channel.width;
                    let Some(p) = self.part_of_epoch[c][e] else {
                        continue;
                    };
                    let (first_hold, _) = self.hold_slots[c][p];
                    let mut scope = EpochScope {
                        vars: &vars[t],
                        signals: &signals,
                        start,
                        steps: len,
                        dt: self.dt,
                        holds: &mut holds[..],
                        rng,
                        cache: &mut cache,
                    };
                    let mut slot = first_hold;
                    let value = eval::array(&channel.parts[p].expr, &mut scope, &mut slot);
                    let (buffer, width) = if is_input {
                        (&mut inputs, n_in)
                    } else {
                        (&mut targets, n_out)
                    };
                    let first = (t * n_steps + start) * width + offset;
                    if value.rows == 1 {
                        write_constant(buffer, first, width, len, channel.width, &value);
                        continue;
                    }
                    let rows = buffer[first..].chunks_mut(width).take(len);
                    if value.rows == len && value.width == channel.width {
                        for (row, values) in rows.zip(value.data.chunks(channel.width)) {
                            for (cell, &x) in row[..channel.width].iter_mut().zip(values) {
                                *cell = x as f32;
                            }
                        }
                    } else {
                        for (s, row) in rows.enumerate() {
                            for (k, cell) in row[..channel.width].iter_mut().enumerate() {
                                *cell = value.at(s, k) as f32;
                            }
                        }
                    }
                }
                start += len;
            }
        }
        let mut conditions = BTreeMap::new();
        for (i, var) in self.spec.vars.iter().enumerate() {
            conditions.insert(var.name.clone(), vars.iter().map(|v| v[i]).collect());
        }
        Ok(TrialBatch {
            n_trials,
            n_steps,
            dt: self.dt,
            input_names,
            output_names,
            inputs,
            targets,
            mask,
            epoch_names: self.spec.epochs.iter().map(|e| e.name.clone()).collect(),
            epochs,
            conditions,
            condition,
        })
    }

    fn draw(&self, n: usize, variant: &str, rng: &mut Rng) -> Result<(Vec<Vec<f64>>, Vec<i64>), OpError> {
        if !VARIANTS.contains(&variant) {
            return Err(unknown_variant("declared task", variant, VARIANTS));
        }
        let mut vars = Vec::with_capacity(n);
        let mut condition = Vec::with_capacity(n);
        for _ in 0..n {
            let (v, c) = self.draw_one(rng)?;
            vars.push(v);
            condition.push(c);
        }
        Ok((vars, condition))
    }
}

impl Task for DeclaredTask {
    fn variants(&self) -> &'static [&'static str] {
        VARIANTS
    }

    fn conditions(&self, n: usize, variant: &str, rng: &mut Rng) -> Result<BTreeMap<String, Vec<f64>>, OpError> {
        let (vars, _) = self.draw(n, variant, rng)?;
        Ok(self
            .spec
            .vars
            .iter()
            .enumerate()
            .map(|(i, var)| (var.name.clone(), vars.iter().map(|v| v[i]).collect()))
            .collect())
    }

    fn generate(&self, n: usize, variant: &str, rng: &mut Rng) -> Result<TrialBatch, OpError> {
        let (vars, condition) = self.draw(n, variant, rng)?;
        self.render_trials(vars, condition, rng)
    }

    /// Trials whose drawn variables come from a table: one column per `var ~` (derived `var =`
    /// values are recomputed). Signals and noise are drawn from a generator seeded by the values.
    fn render(&self, columns: BTreeMap<String, Vec<f64>>) -> Result<TrialBatch, OpError> {
        let missing: Vec<&str> = self
            .spec
            .vars
            .iter()
            .filter(|v| matches!(v.def, VarDef::Draw(_)) && !columns.contains_key(&v.name))
            .map(|v| v.name.as_str())
            .collect();
        if !missing.is_empty() {
            return Err(OpError::invalid(format!(
                "the data table lacks the task's variable columns: {}",
                missing.join(", ")
            )));
        }
        let n = columns.values().next().map_or(0, Vec::len);
        let mut hasher = blake3::Hasher::new();
        let mut all_vars = Vec::with_capacity(n);
        let mut condition = Vec::with_capacity(n);
        for row in 0..n {
            let (vars, index) = self.fill_vars(|name, dist, vars| {
                let value = columns[name].get(row).copied().unwrap_or(f64::NAN);
                if !value.is_finite() {
                    return Err(OpError::invalid(format!(
                        "row {row}: column `{name}` is {value}; the task needs a number"
                    )));
                }
                Ok((value, self.level_of(dist, value, vars)))
            })?;
            for value in &vars {
                hasher.update(&value.to_le_bytes());
            }
            all_vars.push(vars);
            condition.push(index);
        }
        let digest = hasher.finalize();
        let mut seed = [0u8; 8];
        seed.copy_from_slice(&digest.as_bytes()[..8]);
        let mut rng = Rng::derive(u64::from_le_bytes(seed), "declared-render");
        self.render_trials(all_vars, condition, &mut rng)
    }

    /// Masked MSE and R^2, and how often outputs are within `tolerance` of their targets: over all
    /// masked steps (`step_accuracy`), and at each trial's last masked step (`final_accuracy`, the
    /// fraction of trials whose outputs are all within it there).
    fn metrics(&self, batch: &TrialBatch, outputs: &[f32]) -> Vec<(String, f64)> {
        let mut metrics = default_metrics(batch, outputs);
        let n_out = batch.n_outputs();
        let (mut hits, mut counted, mut final_hits, mut finals) = (0.0, 0.0, 0.0, 0.0);
        for t in 0..batch.n_trials {
            let mut last_ok = None;
            for s in 0..batch.n_steps {
                let row = (t * batch.n_steps + s) * n_out;
                let mut any = false;
                let mut all_ok = true;
                for k in 0..n_out {
                    if batch.mask[row + k] > 0.0 {
                        any = true;
                        let ok = (outputs[row + k] - batch.targets[row + k]).abs() as f64 <= self.tolerance;
                        hits += ok as u8 as f64;
                        counted += 1.0;
                        all_ok &= ok;
                    }
                }
                if any {
                    last_ok = Some(all_ok);
                }
            }
            if let Some(ok) = last_ok {
                finals += 1.0;
                final_hits += ok as u8 as f64;
            }
        }
        let ratio = |a: f64, b: f64| if b > 0.0 { a / b } else { f64::NAN };
        metrics.push(("step_accuracy".into(), ratio(hits, counted)));
        metrics.push(("final_accuracy".into(), ratio(final_hits, finals)));
        metrics
    }
}

/// Writes a value constant over an epoch into `len` rows of a zero-filled buffer, `row_width`
/// apart from `first`; an all-zero value (+0.0, the buffer's bytes) writes nothing.
fn write_constant(buffer: &mut [f32], first: usize, row_width: usize, len: usize, width: usize, value: &eval::Arr) {
    let once: Vec<f32> = (0..width).map(|k| value.at(0, k) as f32).collect();
    if once.iter().all(|x| x.to_bits() == 0) {
        return;
    }
    for row in 0..len {
        let begin = first + row * row_width;
        for (cell, &x) in buffer[begin..begin + width].iter_mut().zip(&once) {
            *cell = x;
        }
    }
}

fn names(channels: &[Channel]) -> Vec<String> {
    channels.iter().flat_map(Channel::column_names).collect()
}

/// How many `hold`s an expression holds (each keeps its own state).
fn count_holds(expr: &Expr) -> usize {
    match expr {
        Expr::Unary(_, a) => count_holds(a),
        Expr::Binary(_, a, b) => count_holds(a) + count_holds(b),
        Expr::Call(func, args) => (*func == Func::Hold) as usize + args.iter().map(count_holds).sum::<usize>(),
        Expr::Vector(items) => items.iter().map(count_holds).sum(),
        _ => 0,
    }
}
