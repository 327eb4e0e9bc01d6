//! `rnx bench train`: time per training step of rnx's CTRNN against PyTorch on the identical
//! model and step (`benches/torch_ctrnn.py`), measured in the same run in alternating rounds;
//! plus achieved GFLOP/s against this machine's large-matmul throughput, and peak memory of each.

use super::EXIT_FAILURE;
use super::args::BenchArgs;
use super::stdout::outln;
use crate::nn::ctrnn::{Ctrnn, CtrnnConfig};
use crate::nn::trainer::{Batch, Trainer};
use crate::numerics::activation::Activation;
use crate::ops::Definition;
use crate::rng::Rng;
use candle_core::{Device, Tensor};
use std::collections::BTreeMap;
use std::process::Command;
use std::time::Instant;

const UNITS: usize = 256;
const INPUTS: usize = 3;
const OUTPUTS: usize = 2;
const STEPS: usize = 100;
const BATCH: usize = 64;

pub fn run(args: &BenchArgs) -> u8 {
    let threads = args.threads.max(1);
    eprintln!(
        "CTRNN N={UNITS}, {INPUTS} inputs, {OUTPUTS} outputs, T={STEPS}, batch {BATCH}, tanh, MSE + rate L2, AdamW, full BPTT; {threads} threads, {} rounds of {} steps each",
        args.rounds.max(1),
        args.iters
    );
    let pool = match rayon::ThreadPoolBuilder::new().num_threads(threads).build() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: cannot start {threads} threads: {e}");
            return EXIT_FAILURE;
        }
    };
    match pool.install(|| compare(args)) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("error: {e}");
            EXIT_FAILURE
        }
    }
}

/// One side's step times: the median of each round, and the fastest step of all.
#[derive(Default)]
struct Timings {
    round_medians: Vec<f64>,
    fastest: f64,
}

impl Timings {
    fn add(&mut self, median: f64, fastest: f64) {
        self.round_medians.push(median);
        self.fastest = if self.round_medians.len() == 1 {
            fastest
        } else {
            self.fastest.min(fastest)
        };
    }

    fn median(&self) -> f64 {
        median(self.round_medians.clone())
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

/// Rounds that alternate rnx and the PyTorch reference, so that both see the same share of a
/// shared machine's noise; the ratio is of the medians over rounds.
fn compare(args: &BenchArgs) -> Result<(), String> {
    let mut ours = RnxStep::new()?;
    for i in 0..args.warmup {
        ours.step(i)?;
    }
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/torch_ctrnn.py");
    let (mut rnx, mut torch) = (Timings::default(), Timings::default());
    let mut torch_about = None;
    for round in 0..args.rounds.max(1) {
        let times: Vec<f64> = (0..args.iters.max(1))
            .map(|i| ours.timed_step(args.warmup + round * args.iters + i))
            .collect::<Result<_, _>>()?;
        let fastest = times.iter().copied().fold(f64::INFINITY, f64::min);
        rnx.add(median(times), fastest);
        let Some(python) = &args.python else { continue };
        let v = torch_round(python, &script, args)?;
        let (m, f) = (v["median_ms"].as_f64(), v["min_ms"].as_f64());
        let (Some(m), Some(f)) = (m, f) else {
            return Err(format!("unexpected output from the reference: {v}"));
        };
        torch.add(m, f);
        eprintln!(
            "round {}: rnx {:.1} ms/step, PyTorch {m:.1} ms/step",
            round + 1,
            rnx.round_medians[round]
        );
        torch_about = Some(v);
    }
    let flops = step_flops();
    let matmul = matmul_gflops();
    outln!(
        "rnx (candle, cpu):  {:.1} ms/step (fastest {:.1})  {:.1} GFLOP/s  peak RSS {:.0} MB",
        rnx.median(),
        rnx.fastest,
        flops / rnx.median() / 1e6,
        peak_rss_mb()
    );
    outln!(
        "large-matmul throughput here: {matmul:.1} GFLOP/s (1024x1024x1024, candle), so the step reaches {:.0} % of it",
        100.0 * flops / rnx.median() / 1e6 / matmul
    );
    let Some(v) = torch_about else {
        outln!("reference: none (pass --python PATH to a python with torch; benches/setup_torch.sh makes one)");
        return Ok(());
    };
    outln!(
        "PyTorch {} (cpu):  {:.1} ms/step (fastest {:.1})  {:.1} GFLOP/s  peak RSS {:.0} MB",
        v["torch"].as_str().unwrap_or("?"),
        torch.median(),
        torch.fastest,
        flops / torch.median() / 1e6,
        v["peak_rss_mb"].as_f64().unwrap_or(f64::NAN)
    );
    outln!(
        "ratio rnx / PyTorch step time: {:.2} (median of rounds; fastest steps: {:.2}; target 0.5 or lower)",
        rnx.median() / torch.median(),
        rnx.fastest / torch.fastest
    );
    Ok(())
}

/// One run of the PyTorch script: its JSON line.
fn torch_round(
    python: &std::path::Path,
    script: &std::path::Path,
    args: &BenchArgs,
) -> Result<serde_json::Value, String> {
    let out = Command::new(python)
        .arg(script)
        .args([
            "--threads",
            &args.threads.max(1).to_string(),
            "--iters",
            &args.iters.max(1).to_string(),
            "--warmup",
            &args.warmup.to_string(),
        ])
        .output()
        .map_err(|e| format!("cannot run {}: {e}", python.display()))?;
    if !out.status.success() {
        return Err(format!(
            "the PyTorch reference failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(text.trim()).map_err(|_| format!("unexpected output from the reference: {text}"))
}

/// rnx's own trainer on one random batch, the benchmark's model and loss.
struct RnxStep {
    trainer: Trainer,
    rng: Rng,
    inputs: Tensor,
    targets: Tensor,
    mask: Tensor,
}

impl RnxStep {
    fn new() -> Result<RnxStep, String> {
        let device = Device::Cpu;
        let config = CtrnnConfig {
            units: UNITS,
            n_in: INPUTS,
            n_out: OUTPUTS,
            activation: Activation::Tanh,
            tau: 0.1,
            dt: 0.02,
            g: 1.2,
            input_noise: 0.0,
            recurrent_noise: 0.0,
            learn_initial_state: false,
            excitatory_fraction: None,
            density: 1.0,
            fixed: vec![],
            diffusion: None,
        };
        let mut rng = Rng::derive(0, "bench");
        let net = Ctrnn::init(config, &mut rng, &device).map_err(|e| e.to_string())?;
        let term = |op: &str| Definition {
            op: op.into(),
            params: Default::default(),
            terms: vec![],
            refs: BTreeMap::new(),
        };
        let loss = Definition {
            op: "loss".into(),
            params: Default::default(),
            terms: vec![(1.0, term("mse")), (1e-4, term("rate_l2"))],
            refs: BTreeMap::new(),
        };
        let loss = crate::nn::loss::Loss::parse(&loss).map_err(|e| e.to_string())?;
        let trainer = Trainer::new(net, loss, 1e-3, 1e-4, 1).map_err(|e| e.to_string())?;
        let random = |rng: &mut Rng, n: usize| (0..n).map(|_| rng.normal() as f32).collect::<Vec<f32>>();
        let tensor = |data: Vec<f32>, shape: (usize, usize, usize)| {
            Tensor::from_vec(data, shape, &device).map_err(|e| e.to_string())
        };
        let inputs = tensor(random(&mut rng, BATCH * STEPS * INPUTS), (BATCH, STEPS, INPUTS))?;
        let targets = tensor(random(&mut rng, BATCH * STEPS * OUTPUTS), (BATCH, STEPS, OUTPUTS))?;
        let mask = tensor(vec![1.0; BATCH * STEPS * OUTPUTS], (BATCH, STEPS, OUTPUTS))?;
        Ok(RnxStep {
            trainer,
            rng,
            inputs,
            targets,
            mask,
        })
    }

    fn step(&mut self, i: usize) -> Result<(), String> {
        let batch = Batch {
            inputs: &self.inputs,
            targets: &self.targets,
            mask: &self.mask,
            activity: None,
        };
        self.trainer
            .step(batch, &mut self.rng, 1.0, 1e-3, i)
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    /// Milliseconds for one step.
    fn timed_step(&mut self, i: usize) -> Result<f64, String> {
        let t = Instant::now();
        self.step(i)?;
        Ok(t.elapsed().as_secs_f64() * 1e3)
    }
}

/// Floating-point operations of one step: the recurrent matmuls forward (T of B x N x N) and
/// twice that backward, plus the input and output projections forward and backward.
fn step_flops() -> f64 {
    let (b, t, n) = (BATCH as f64, STEPS as f64, UNITS as f64);
    let recurrent = 2.0 * b * t * n * n;
    let projections = 2.0 * b * t * n * (INPUTS + OUTPUTS) as f64;
    3.0 * (recurrent + projections)
}

/// GFLOP/s of a large matmul with candle on this machine: the reference for "how busy".
fn matmul_gflops() -> f64 {
    let device = Device::Cpu;
    let n = 1024;
    let Ok(a) = Tensor::ones((n, n), candle_core::DType::F32, &device) else {
        return f64::NAN;
    };
    let mut best = f64::INFINITY;
    for _ in 0..5 {
        let t = Instant::now();
        if a.matmul(&a).is_err() {
            return f64::NAN;
        }
        best = best.min(t.elapsed().as_secs_f64());
    }
    2.0 * (n as f64).powi(3) / best / 1e9
}

/// This process's peak resident memory, from /proc (Linux).
fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).map(String::from))
        .and_then(|l| l.split_whitespace().nth(1).and_then(|kb| kb.parse::<f64>().ok()))
        .map_or(f64::NAN, |kb| kb / 1024.0)
}
