//! `rnx bench train`: time per training step of rnx's CTRNN against PyTorch on the identical
//! model and step (`benches/torch_ctrnn.py`), measured in the same run; plus achieved GFLOP/s
//! against this machine's large-matmul throughput, and peak memory of each.

use super::EXIT_FAILURE;
use super::args::BenchArgs;
use super::stdout::outln;
use crate::analysis::activation::Activation;
use crate::nn::ctrnn::{Ctrnn, CtrnnConfig};
use crate::nn::trainer::{Batch, Trainer};
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
    let threads = args.threads;
    eprintln!(
        "CTRNN N={UNITS}, {INPUTS} inputs, {OUTPUTS} outputs, T={STEPS}, batch {BATCH}, tanh, MSE + rate L2, AdamW, full BPTT; {threads} threads"
    );
    let ours = match time_rnx(args.iters, args.warmup) {
        Ok(ms) => ms,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_FAILURE;
        }
    };
    let ours_peak = peak_rss_mb();
    let flops = step_flops();
    let matmul = matmul_gflops();
    outln!(
        "rnx (candle, cpu):  {:.1} ms/step  {:.1} GFLOP/s  peak RSS {:.0} MB",
        ours,
        flops / ours / 1e6,
        ours_peak
    );
    outln!(
        "large-matmul throughput here: {matmul:.1} GFLOP/s (1024x1024x1024, candle), so the step reaches {:.0} % of it",
        100.0 * flops / ours / 1e6 / matmul
    );
    let Some(python) = &args.python else {
        outln!("reference: none (pass --python PATH to a python with torch; benches/setup_torch.sh makes one)");
        return 0;
    };
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/torch_ctrnn.py");
    let out = Command::new(python)
        .arg(&script)
        .args([
            "--threads",
            &threads.to_string(),
            "--iters",
            &args.iters.to_string(),
            "--warmup",
            &args.warmup.to_string(),
        ])
        .output();
    let out = match out {
        Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout).into_owned(),
        Ok(o) => {
            eprintln!(
                "error: the PyTorch reference failed:\n{}",
                String::from_utf8_lossy(&o.stderr)
            );
            return EXIT_FAILURE;
        }
        Err(e) => {
            eprintln!("error: cannot run {}: {e}", python.display());
            return EXIT_FAILURE;
        }
    };
    let Ok(v) = serde_json::from_str::<serde_json::Value>(out.trim()) else {
        eprintln!("error: unexpected output from the reference: {out}");
        return EXIT_FAILURE;
    };
    let theirs = v["median_ms"].as_f64().unwrap_or(f64::NAN);
    outln!(
        "PyTorch {} (cpu):  {:.1} ms/step  {:.1} GFLOP/s  peak RSS {:.0} MB",
        v["torch"].as_str().unwrap_or("?"),
        theirs,
        flops / theirs / 1e6,
        v["peak_rss_mb"].as_f64().unwrap_or(f64::NAN)
    );
    outln!(
        "ratio rnx / PyTorch step time: {:.2} (target 0.5 or lower)",
        ours / theirs
    );
    0
}

/// Median milliseconds per training step of rnx's own trainer on random data.
fn time_rnx(iters: usize, warmup: usize) -> Result<f64, String> {
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
    let mut trainer = Trainer::new(net, loss, 1e-3, 1e-4, 1).map_err(|e| e.to_string())?;
    let random = |rng: &mut Rng, n: usize| (0..n).map(|_| rng.normal() as f32).collect::<Vec<f32>>();
    let inputs = Tensor::from_vec(
        random(&mut rng, BATCH * STEPS * INPUTS),
        (BATCH, STEPS, INPUTS),
        &device,
    )
    .map_err(|e| e.to_string())?;
    let targets = Tensor::from_vec(
        random(&mut rng, BATCH * STEPS * OUTPUTS),
        (BATCH, STEPS, OUTPUTS),
        &device,
    )
    .map_err(|e| e.to_string())?;
    let mask = Tensor::ones((BATCH, STEPS, OUTPUTS), candle_core::DType::F32, &device).map_err(|e| e.to_string())?;
    let mut times = Vec::new();
    for i in 0..warmup + iters {
        let t = Instant::now();
        trainer
            .step(
                Batch {
                    inputs: &inputs,
                    targets: &targets,
                    mask: &mask,
                    activity: None,
                },
                &mut rng,
                1.0,
                1e-3,
                i,
            )
            .map_err(|e| e.to_string())?;
        if i >= warmup {
            times.push(t.elapsed().as_secs_f64() * 1e3);
        }
    }
    times.sort_by(f64::total_cmp);
    Ok(times[times.len() / 2])
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
