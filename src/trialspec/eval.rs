//! Evaluating expressions: scalars for variables and durations, arrays over an epoch's steps for
//! channels.

use super::ir::{BinOp, Expr, Func, UnOp};
use crate::rng::{Rng, wrap_angle};
use std::collections::{HashMap, HashSet};
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
/// every trial of a batch. Keyed by the node's address, so it lives no longer than the borrow
/// of the expressions it was built from.
pub struct TimeCache {
    nodes: HashSet<usize, BuildHasherDefault<AddressHasher>>,
    values: HashMap<(usize, usize), Arr, BuildHasherDefault<AddressHasher>>,
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
        let mut nodes = HashSet::default();
        for root in roots {
            mark_time_only(root, &mut nodes);
        }
        TimeCache {
            nodes,
            values: HashMap::default(),
        }
    }
}

/// Whether `expr` depends only on time within the epoch; marks every such node that is worth
/// keeping (anything but a constant).
fn mark_time_only(expr: &Expr, nodes: &mut HashSet<usize, BuildHasherDefault<AddressHasher>>) -> bool {
    let children: Vec<bool> = match expr {
        Expr::Const(_) | Expr::Steps(_) | Expr::Duration => return true,
        Expr::Var(_) | Expr::Signal(_) => return false,
        Expr::Time => Vec::new(),
        Expr::Unary(_, a) => vec![mark_time_only(a, nodes)],
        Expr::Binary(_, a, b) => vec![mark_time_only(a, nodes), mark_time_only(b, nodes)],
        Expr::Vector(items) => items.iter().map(|e| mark_time_only(e, nodes)).collect(),
        Expr::Call(func, args) => {
            let own: Vec<bool> = args.iter().map(|e| mark_time_only(e, nodes)).collect();
            // Noise draws and holds carry state: never the same twice.
            if matches!(func, Func::Noise { .. } | Func::Hold) {
                return false;
            }
            own
        }
    };
    let time_only = children.into_iter().all(|c| c);
    if time_only {
        nodes.insert(expr as *const Expr as usize);
    }
    time_only
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
    if !scope.cache.nodes.contains(&node) {
        return evaluate(expr, scope, hold_slot);
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
    let rows = a.rows.max(b.rows);
    let width = a.width.max(b.width);
    let mut data = Vec::with_capacity(rows * width);
    for r in 0..rows {
        for c in 0..width {
            data.push(f(a.at(r, c), b.at(r, c)));
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
}
