//! Evaluating expressions: scalars for variables and durations, arrays over an epoch's steps for
//! channels.

use super::ir::{BinOp, Expr, Func, UnOp};
use crate::rng::{Rng, wrap_angle};
use std::collections::HashMap;
use std::f64::consts::PI;
use std::hash::{BuildHasherDefault, Hasher};

/// Values over `rows` steps and `width` columns, row-major. One row means constant in time.
#[derive(Debug, Clone)]
pub struct Arr {
    pub rows: usize,
    pub width: usize,
    pub data: Vec<f64>,
}

impl Arr {
    fn scalar(x: f64) -> Arr {
        Arr {
            rows: 1,
            width: 1,
            data: vec![x],
        }
    }

    /// The value at (step, column), broadcasting one row over all steps and one column over all.
    #[inline]
    pub fn at(&self, row: usize, col: usize) -> f64 {
        let r = if self.rows == 1 { 0 } else { row };
        let c = if self.width == 1 { 0 } else { col };
        self.data[r * self.width + c]
    }

    fn map(mut self, f: impl Fn(f64) -> f64) -> Arr {
        for x in &mut self.data {
            *x = f(*x);
        }
        self
    }
}

/// Everything a channel expression can see while one epoch of one trial is rendered.
pub struct EpochScope<'a> {
    pub vars: &'a [f64],
    /// Per signal: `[trial step][column]` over the whole trial, with its width.
    pub signals: &'a [(Vec<f64>, usize)],
    /// The epoch's first step within the trial.
    pub start: usize,
    /// Steps in the epoch.
    pub steps: usize,
    pub dt: f64,
    /// Per `hold` in the expression (in traversal order): its last non-zero values.
    pub holds: &'a mut [Vec<f64>],
    pub rng: &'a mut Rng,
    pub cache: &'a mut TimeCache,
}

/// The values of subexpressions that depend on nothing but time within the epoch and the
/// epoch's length (`(t / duration) ^ 3`, `ramp(0, 1)`), computed once per length and reused for
/// every trial of a batch; and which subexpressions are single numbers fixed for a trial
/// (`cos(angle)`), computed without arrays. Keyed by the node's address, so it lives no longer
/// than the borrow of the expressions it was built from.
pub struct TimeCache {
    nodes: HashMap<usize, NodeKind, BuildHasherDefault<AddressHasher>>,
    values: HashMap<(usize, usize), Arr, BuildHasherDefault<AddressHasher>>,
}

/// What a subexpression depends on, where that lets it skip ordinary evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NodeKind {
    /// Only time within the epoch and the epoch's length: cached per length.
    TimeOnly,
    /// One number per trial (trial variables and constants): evaluated as a scalar.
    PerTrial,
}

/// A hasher for node addresses and step counts, looked up at every node: a multiply per word
/// (SipHash's resistance to chosen keys buys nothing for addresses).
#[derive(Default)]
struct AddressHasher(u64);

impl Hasher for AddressHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }
    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

impl TimeCache {
    /// A cache for the subexpressions of `roots`.
    pub fn new<'a>(roots: impl IntoIterator<Item = &'a Expr>) -> TimeCache {
        let mut nodes = HashMap::default();
        for root in roots {
            classify(root, &mut nodes);
        }
        TimeCache {
            nodes,
            values: HashMap::default(),
        }
    }
}

/// What a subexpression depends on: `time_only` if nothing but time within the epoch,
/// `per_trial` if it is one number fixed for the trial.
#[derive(Clone, Copy)]
struct Deps {
    time_only: bool,
    per_trial: bool,
}

/// Classifies `expr` and its subexpressions, recording the compound ones worth special handling
/// (leaves cost no more to evaluate than to look up).
fn classify(expr: &Expr, nodes: &mut HashMap<usize, NodeKind, BuildHasherDefault<AddressHasher>>) -> Deps {
    let both = |time_only, per_trial| Deps { time_only, per_trial };
    let all = |deps: &[Deps]| both(deps.iter().all(|d| d.time_only), deps.iter().all(|d| d.per_trial));
    let deps = match expr {
        Expr::Const(_) | Expr::Steps(_) => return both(true, true),
        Expr::Duration => return both(true, false),
        Expr::Var(_) => return both(false, true),
        Expr::Signal(_) => return both(false, false),
        Expr::Time => both(true, false),
        Expr::Unary(_, a) => classify(a, nodes),
        Expr::Binary(_, a, b) => all(&[classify(a, nodes), classify(b, nodes)]),
        Expr::Vector(items) => {
            let deps: Vec<Deps> = items.iter().map(|e| classify(e, nodes)).collect();
            let d = all(&deps);
            both(d.time_only, d.per_trial && items.len() == 1)
        }
        Expr::Call(func, args) => {
            let d = all(&args.iter().map(|e| classify(e, nodes)).collect::<Vec<_>>());
            match func {
                // Noise draws and holds carry state: never the same twice.
                Func::Noise { .. } | Func::Hold => both(false, false),
                // Functions of time, or wider than one column.
                Func::Ramp | Func::VonMises { .. } | Func::OneHot { .. } => both(d.time_only, false),
                _ => both(d.time_only, d.per_trial && args.len() <= MAX_POINTWISE_ARGS),
            }
        }
    };
    let key = expr as *const Expr as usize;
    if deps.time_only {
        nodes.insert(key, NodeKind::TimeOnly);
    } else if deps.per_trial {
        nodes.insert(key, NodeKind::PerTrial);
    }
    deps
}

/// The most arguments a pointwise function takes (`clip`, `if`).
const MAX_POINTWISE_ARGS: usize = 3;

/// A per-trial number, computed as array evaluation would compute it on one row (integer
/// powers by repeated multiplication, as `binary_arrays` does), so both give the same bits.
fn per_trial(expr: &Expr, vars: &[f64], dt: f64) -> f64 {
    match expr {
        Expr::Const(x) => *x,
        Expr::Steps(n) => n * dt,
        Expr::Var(i) => vars.get(*i).copied().unwrap_or(f64::NAN),
        Expr::Unary(op, a) => unary(*op, per_trial(a, vars, dt)),
        Expr::Binary(BinOp::Pow, a, b) => {
            let (x, e) = (per_trial(a, vars, dt), per_trial(b, vars, dt));
            if e.fract() == 0.0 && e.abs() <= 64.0 {
                x.powi(e as i32)
            } else {
                x.powf(e)
            }
        }
        Expr::Binary(op, a, b) => binary(*op, per_trial(a, vars, dt), per_trial(b, vars, dt)),
        Expr::Call(func, args) => {
            let mut values = [0.0; MAX_POINTWISE_ARGS];
            for (slot, a) in values.iter_mut().zip(args) {
                *slot = per_trial(a, vars, dt);
            }
            pointwise(*func, &values[..args.len().min(MAX_POINTWISE_ARGS)]).unwrap_or(f64::NAN)
        }
        Expr::Vector(items) if items.len() == 1 => per_trial(&items[0], vars, dt),
        // `classify` marks nothing else as per-trial.
        _ => f64::NAN,
    }
}

/// A scalar expression of trial variables (the checker allows nothing else where this is used).
pub fn scalar(expr: &Expr, vars: &[f64], dt: f64) -> f64 {
    match expr {
        Expr::Const(x) => *x,
        Expr::Steps(n) => n * dt,
        Expr::Var(i) => vars.get(*i).copied().unwrap_or(f64::NAN),
        Expr::Unary(op, a) => unary(*op, scalar(a, vars, dt)),
        Expr::Binary(op, a, b) => binary(*op, scalar(a, vars, dt), scalar(b, vars, dt)),
        Expr::Call(func, args) => {
            let values: Vec<f64> = args.iter().map(|a| scalar(a, vars, dt)).collect();
            pointwise(*func, &values).unwrap_or(f64::NAN)
        }
        Expr::Vector(items) if items.len() == 1 => scalar(&items[0], vars, dt),
        // Time, signals, noise and vectors never reach a scalar context (the checker refuses them).
        _ => f64::NAN,
    }
}

/// Evaluates an expression over one epoch. `hold_slot` numbers the `hold`s met so far.
pub fn array(expr: &Expr, scope: &mut EpochScope, hold_slot: &mut usize) -> Arr {
    let node = expr as *const Expr as usize;
    match scope.cache.nodes.get(&node) {
        None => return evaluate(expr, scope, hold_slot),
        Some(NodeKind::PerTrial) => return Arr::scalar(per_trial(expr, scope.vars, scope.dt)),
        Some(NodeKind::TimeOnly) => {}
    }
    // A time-only node holds no `hold`, so skipping its evaluation leaves the numbering intact.
    if let Some(value) = scope.cache.values.get(&(node, scope.steps)) {
        return value.clone();
    }
    let value = evaluate(expr, scope, hold_slot);
    scope.cache.values.insert((node, scope.steps), value.clone());
    value
}

fn evaluate(expr: &Expr, scope: &mut EpochScope, hold_slot: &mut usize) -> Arr {
    match expr {
        Expr::Const(x) => Arr::scalar(*x),
        Expr::Steps(n) => Arr::scalar(n * scope.dt),
        Expr::Var(i) => Arr::scalar(scope.vars.get(*i).copied().unwrap_or(f64::NAN)),
        Expr::Signal(i) => {
            let (values, width) = &scope.signals[*i];
            let begin = scope.start * width;
            Arr {
                rows: scope.steps,
                width: *width,
                data: values[begin..begin + scope.steps * width].to_vec(),
            }
        }
        Expr::Time => Arr {
            rows: scope.steps,
            width: 1,
            data: (0..scope.steps).map(|s| s as f64 * scope.dt).collect(),
        },
        Expr::Duration => Arr::scalar(scope.steps as f64 * scope.dt),
        Expr::Unary(op, a) => array(a, scope, hold_slot).map(|x| unary(*op, x)),
        Expr::Binary(op, a, b) => {
            let a = array(a, scope, hold_slot);
            let b = array(b, scope, hold_slot);
            binary_arrays(*op, a, b)
        }
        Expr::Vector(items) => {
            let parts: Vec<Arr> = items.iter().map(|e| array(e, scope, hold_slot)).collect();
            let rows = parts.iter().map(|p| p.rows).max().unwrap_or(1);
            let width: usize = parts.iter().map(|p| p.width).sum();
            let mut data = Vec::with_capacity(rows * width);
            for r in 0..rows {
                for p in &parts {
                    data.extend((0..p.width).map(|c| p.at(r, c)));
                }
            }
            Arr { rows, width, data }
        }
        Expr::Call(func, args) => call(*func, args, scope, hold_slot),
    }
}

fn call(func: Func, args: &[Expr], scope: &mut EpochScope, hold_slot: &mut usize) -> Arr {
    match func {
        Func::Noise { width } => {
            let sd = array(&args[0], scope, hold_slot);
            let rows = scope.steps;
            let mut data = Vec::with_capacity(rows * width);
            for r in 0..rows {
                for c in 0..width {
                    data.push(sd.at(r, c) * scope.rng.normal());
                }
            }
            Arr { rows, width, data }
        }
        Func::Ramp => {
            let from = array(&args[0], scope, hold_slot);
            let to = array(&args[1], scope, hold_slot);
            let rows = scope.steps;
            let width = from.width.max(to.width);
            let mut data = Vec::with_capacity(rows * width);
            for r in 0..rows {
                let frac = if rows > 1 { r as f64 / (rows - 1) as f64 } else { 1.0 };
                for c in 0..width {
                    let (a, b) = (from.at(r, c), to.at(r, c));
                    data.push(a + (b - a) * frac);
                }
            }
            Arr { rows, width, data }
        }
        Func::VonMises { n } => {
            let angle = array(&args[0], scope, hold_slot);
            let kappa = array(&args[1], scope, hold_slot);
            let rows = angle.rows.max(kappa.rows);
            let mut data = Vec::with_capacity(rows * n);
            for r in 0..rows {
                let (theta, k) = (angle.at(r, 0), kappa.at(r, 0));
                for unit in 0..n {
                    let preferred = 2.0 * PI * unit as f64 / n as f64;
                    data.push((k * ((theta - preferred).cos() - 1.0)).exp());
                }
            }
            Arr { rows, width: n, data }
        }
        Func::OneHot { n } => {
            let index = array(&args[0], scope, hold_slot);
            let mut data = vec![0.0; index.rows * n];
            for r in 0..index.rows {
                let k = index.at(r, 0).round();
                if k >= 0.0 && (k as usize) < n {
                    data[r * n + k as usize] = 1.0;
                }
            }
            Arr {
                rows: index.rows,
                width: n,
                data,
            }
        }
        Func::Hold => {
            let slot = *hold_slot;
            *hold_slot += 1;
            let value = array(&args[0], scope, hold_slot);
            let initial = match args.get(1) {
                Some(e) => array(e, scope, hold_slot),
                None => Arr::scalar(0.0),
            };
            let state = &mut scope.holds[slot];
            if state.len() != value.width.max(initial.width) {
                *state = (0..value.width.max(initial.width)).map(|c| initial.at(0, c)).collect();
            }
            let rows = scope.steps;
            let mut data = Vec::with_capacity(rows * state.len());
            for r in 0..rows {
                for (c, held) in state.iter_mut().enumerate() {
                    let x = value.at(r, c);
                    if x != 0.0 && !x.is_nan() {
                        *held = x;
                    }
                    data.push(*held);
                }
            }
            Arr {
                rows,
                width: state.len(),
                data,
            }
        }
        _ => {
            let values: Vec<Arr> = args.iter().map(|a| array(a, scope, hold_slot)).collect();
            zip(&values, |v| pointwise(func, v).unwrap_or(f64::NAN))
        }
    }
}

/// A binary operation over two arrays, with one loop per operator (dispatched once, not per
/// element) and the common shapes (same shape, or one side a single number) without broadcasting.
fn binary_arrays(op: BinOp, a: Arr, b: Arr) -> Arr {
    match op {
        BinOp::Add => combine(a, b, |x, y| x + y),
        BinOp::Sub => combine(a, b, |x, y| x - y),
        BinOp::Mul => combine(a, b, |x, y| x * y),
        BinOp::Div => combine(a, b, |x, y| x / y),
        BinOp::Pow => match b.data.as_slice() {
            [e] if b.rows == 1 && b.width == 1 && e.fract() == 0.0 && e.abs() <= 64.0 => {
                let n = *e as i32;
                a.map(|x| x.powi(n))
            }
            _ => combine(a, b, f64::powf),
        },
        _ => combine(a, b, |x, y| binary(op, x, y)),
    }
}

fn combine(mut a: Arr, mut b: Arr, f: impl Fn(f64, f64) -> f64) -> Arr {
    if a.rows == b.rows && a.width == b.width {
        for (x, y) in a.data.iter_mut().zip(&b.data) {
            *x = f(*x, *y);
        }
        return a;
    }
    if b.rows == 1 && b.width == 1 {
        let y = b.data[0];
        for x in &mut a.data {
            *x = f(*x, y);
        }
        return a;
    }
    if a.rows == 1 && a.width == 1 {
        let x = a.data[0];
        for y in &mut b.data {
            *y = f(x, *y);
        }
        return b;
    }
    // Broadcasting: a single row or column is read with a stride of 0.
    let rows = a.rows.max(b.rows);
    let width = a.width.max(b.width);
    let strides = |x: &Arr| (if x.rows == 1 { 0 } else { x.width }, usize::from(x.width != 1));
    let ((a_row, a_col), (b_row, b_col)) = (strides(&a), strides(&b));
    let mut data = Vec::with_capacity(rows * width);
    for r in 0..rows {
        let (a_first, b_first) = (r * a_row, r * b_row);
        for c in 0..width {
            data.push(f(a.data[a_first + c * a_col], b.data[b_first + c * b_col]));
        }
    }
    Arr { rows, width, data }
}

/// Applies `f` element by element over broadcast operands.
fn zip(operands: &[Arr], f: impl Fn(&[f64]) -> f64) -> Arr {
    let rows = operands.iter().map(|a| a.rows).max().unwrap_or(1);
    let width = operands.iter().map(|a| a.width).max().unwrap_or(1);
    let mut data = Vec::with_capacity(rows * width);
    let mut args = vec![0.0; operands.len()];
    for r in 0..rows {
        for c in 0..width {
            for (slot, a) in args.iter_mut().zip(operands) {
                *slot = a.at(r, c);
            }
            data.push(f(&args));
        }
    }
    Arr { rows, width, data }
}

/// Whether a value counts as true: non-zero and not NaN.
pub fn truth(x: f64) -> bool {
    x != 0.0 && !x.is_nan()
}

fn flag(b: bool) -> f64 {
    if b { 1.0 } else { 0.0 }
}

fn unary(op: UnOp, x: f64) -> f64 {
    match op {
        UnOp::Neg => -x,
        UnOp::Not => flag(!truth(x)),
    }
}

fn binary(op: BinOp, a: f64, b: f64) -> f64 {
    match op {
        BinOp::Or => flag(truth(a) || truth(b)),
        BinOp::And => flag(truth(a) && truth(b)),
        BinOp::Eq => flag(a == b),
        BinOp::Ne => flag(a != b),
        BinOp::Lt => flag(a < b),
        BinOp::Le => flag(a <= b),
        BinOp::Gt => flag(a > b),
        BinOp::Ge => flag(a >= b),
        BinOp::Add => a + b,
        BinOp::Sub => a - b,
        BinOp::Mul => a * b,
        BinOp::Div => a / b,
        BinOp::Pow => a.powf(b),
    }
}

/// Functions of plain numbers; `None` for those that need time, randomness or state.
fn pointwise(func: Func, v: &[f64]) -> Option<f64> {
    Some(match func {
        Func::Abs => v[0].abs(),
        Func::Sign => {
            if v[0] > 0.0 {
                1.0
            } else if v[0] < 0.0 {
                -1.0
            } else {
                0.0
            }
        }
        Func::Sqrt => v[0].sqrt(),
        Func::Exp => v[0].exp(),
        Func::Log => v[0].ln(),
        Func::Sin => v[0].sin(),
        Func::Cos => v[0].cos(),
        Func::Tanh => v[0].tanh(),
        Func::Min => v[0].min(v[1]),
        Func::Max => v[0].max(v[1]),
        Func::Clip => v[0].max(v[1]).min(v[2]),
        Func::If => {
            if truth(v[0]) {
                v[1]
            } else {
                v[2]
            }
        }
        Func::Step => flag(v[0] >= 0.0),
        Func::Wrap => wrap_angle(v[0]),
        Func::CircDist => wrap_angle(v[0] - v[1]).abs(),
        Func::Ramp | Func::Noise { .. } | Func::VonMises { .. } | Func::OneHot { .. } | Func::Hold => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval_with(expr: &Expr, cache: &mut TimeCache, vars: &[f64], steps: usize, rng: &mut Rng) -> Vec<f64> {
        let mut scope = EpochScope {
            vars,
            signals: &[],
            start: 0,
            steps,
            dt: 0.01,
            holds: &mut [],
            rng,
            cache,
        };
        array(expr, &mut scope, &mut 0).data
    }

    #[test]
    fn cached_time_only_parts_give_what_evaluation_gives_for_every_length_and_trial() {
        // x * (t / duration) ^ 3 + noise(0.1): the power is kept, the variable and the noise are not.
        let time = Expr::Binary(BinOp::Div, Box::new(Expr::Time), Box::new(Expr::Duration));
        let cube = Expr::Binary(BinOp::Pow, Box::new(time), Box::new(Expr::Const(3.0)));
        let scaled = Expr::Binary(BinOp::Mul, Box::new(Expr::Var(0)), Box::new(cube));
        let noise = Expr::Call(Func::Noise { width: 1 }, vec![Expr::Const(0.1)]);
        let expr = Expr::Binary(BinOp::Add, Box::new(scaled), Box::new(noise));
        let mut cache = TimeCache::new([&expr]);
        assert_eq!(cache.nodes.len(), 3, "time, t / duration and its cube are time-only");
        let mut empty = TimeCache::new([]);
        for (x, steps) in [(1.0, 5), (2.0, 5), (-1.0, 7), (3.0, 5)] {
            let (mut a, mut b) = (Rng::derive(9, "a"), Rng::derive(9, "a"));
            let cached = eval_with(&expr, &mut cache, &[x], steps, &mut a);
            let fresh = eval_with(&expr, &mut empty, &[x], steps, &mut b);
            assert_eq!(cached, fresh, "x = {x}, {steps} steps");
        }
        assert_eq!(cache.values.len(), 6, "three nodes for each of two lengths");
    }

    #[test]
    fn per_trial_numbers_give_the_bits_that_array_evaluation_gives() {
        // x ^ 3 + clip(x, 0, 1) * cos(x) - 1.5 ^ 0.5, scaled by time: the sum is one number per
        // trial, the product with `t` is not.
        let var = || Box::new(Expr::Var(0));
        let cube = Expr::Binary(BinOp::Pow, var(), Box::new(Expr::Const(3.0)));
        let clip = Expr::Call(Func::Clip, vec![Expr::Var(0), Expr::Const(0.0), Expr::Const(1.0)]);
        let cos = Expr::Call(Func::Cos, vec![Expr::Var(0)]);
        let product = Expr::Binary(BinOp::Mul, Box::new(clip), Box::new(cos));
        let root = Expr::Binary(BinOp::Pow, Box::new(Expr::Const(1.5)), Box::new(Expr::Const(0.5)));
        let sum = Expr::Binary(BinOp::Add, Box::new(cube), Box::new(product));
        let number = Expr::Binary(BinOp::Sub, Box::new(sum), Box::new(root));
        let expr = Expr::Binary(BinOp::Mul, Box::new(number), Box::new(Expr::Time));
        let mut cache = TimeCache::new([&expr]);
        let outer = &expr as *const Expr as usize;
        assert_eq!(
            cache.nodes.get(&outer),
            None,
            "a product with time is evaluated as an array"
        );
        let Expr::Binary(_, number_node, _) = &expr else {
            unreachable!()
        };
        let number_key = &**number_node as *const Expr as usize;
        assert_eq!(cache.nodes.get(&number_key), Some(&NodeKind::PerTrial));
        let mut empty = TimeCache::new([]);
        for x in [0.3, -2.0, 1.7, 1e-8] {
            let (mut a, mut b) = (Rng::derive(1, "a"), Rng::derive(1, "a"));
            let fast = eval_with(&expr, &mut cache, &[x], 4, &mut a);
            let plain = eval_with(&expr, &mut empty, &[x], 4, &mut b);
            let bits = |v: &[f64]| v.iter().map(|y| y.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&fast), bits(&plain), "x = {x}");
        }
    }
}
