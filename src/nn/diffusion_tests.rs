//! Tests of diffusion training: the schedule, the state reconstruction it relies on, and a
//! network that learns a known bimodal distribution.

use super::*;
use crate::definition::Definition;
use crate::nn::ctrnn::{CtrnnConfig, Noise};
use crate::nn::trainer::{Batch, Trainer};
use crate::numerics::activation::Activation;
use candle_core::{DType, Device};
use std::collections::BTreeMap;

/// The `diffusion` loss operator's defaults (its schema is `ops::definitions::DIFFUSION`), written
/// out because `nn` sits below `ops` and cannot ask the registry.
fn diffusion_defaults() -> crate::params::Params {
    crate::params::Params::new(BTreeMap::from([
        ("beta_start".to_string(), crate::value::Value::Float(0.01)),
        ("beta_end".to_string(), crate::value::Value::Float(0.3)),
        ("weighting".to_string(), crate::value::Value::Enum("uniform".into())),
    ]))
}

fn config(units: usize, n_in: usize, diffusion: Option<DiffusionConfig>) -> CtrnnConfig {
    CtrnnConfig {
        units,
        n_in,
        n_out: 2,
        activation: Activation::Tanh,
        tau: 0.1,
        dt: 0.02,
        g: 1.0,
        input_noise: 0.0,
        recurrent_noise: 0.0,
        learn_initial_state: false,
        excitatory_fraction: None,
        density: 1.0,
        fixed: vec![],
        diffusion,
    }
}

fn schedule(start: usize, steps: usize) -> DiffusionConfig {
    DiffusionConfig {
        beta_start: 0.01,
        beta_end: 0.3,
        response_start: start,
        response_steps: steps,
        weighting: Weighting::Uniform,
    }
}

#[test]
fn the_schedule_matches_ddpm() {
    let d = schedule(0, 40);
    let betas = d.betas();
    assert!((betas[0] - 0.01).abs() < 1e-12 && (betas[39] - 0.3).abs() < 1e-12);
    let bar = d.alpha_bars()[39];
    assert!(bar < 0.01, "the last step is nearly pure noise: alpha_bar = {bar}");
    // At t = 1 the posterior mean is x_0 itself.
    let (c0, ct) = d.posterior(1);
    assert!((c0 - 1.0).abs() < 1e-12 && ct.abs() < 1e-12);
    // The posterior mean is unbiased: with x_t = sqrt(bar_t) x_0 it returns sqrt(bar_(t-1)) x_0.
    let bars = d.alpha_bars();
    for t in 2..=40 {
        let (c0, ct) = d.posterior(t);
        let mean = c0 + ct * bars[t - 1].sqrt();
        assert!((mean - bars[t - 2].sqrt()).abs() < 1e-9, "t = {t}");
    }
    assert_eq!(d.sampling_std(39), 0.0, "no noise on the last step");
    assert!((d.sampling_std(0) - 0.3f64.sqrt()).abs() < 1e-12);
}

#[test]
fn the_behaviour_embedding_is_orthonormal() {
    let b = behaviour_embedding(30, 2, &mut Rng::derive(1, "b")).unwrap();
    let col = |j: usize| (0..30).map(|i| b[i * 2 + j] as f64).collect::<Vec<_>>();
    let dot = |u: &[f64], v: &[f64]| u.iter().zip(v).map(|(a, b)| a * b).sum::<f64>();
    let (u, v) = (col(0), col(1));
    assert!((dot(&u, &u) - 1.0).abs() < 1e-5 && (dot(&v, &v) - 1.0).abs() < 1e-5 && dot(&u, &v).abs() < 1e-5);
    assert!(behaviour_embedding(1, 2, &mut Rng::derive(1, "b")).is_err());
}

#[test]
fn states_reconstructed_from_rates_match_the_recurrence() {
    let device = Device::Cpu;
    let net = Ctrnn::init(config(12, 3, None), &mut Rng::derive(2, "init"), &device).unwrap();
    let mut rng = Rng::derive(3, "in");
    let inputs: Vec<f32> = (0..4 * 15 * 3).map(|_| rng.normal() as f32).collect();
    let inputs = Tensor::from_vec(inputs, (4, 15, 3), &device).unwrap();
    let x_init = Tensor::from_vec(
        (0..4 * 12).map(|i| (i as f32 * 0.37).sin()).collect::<Vec<_>>(),
        (4, 12),
        &device,
    )
    .unwrap();
    for fused in [true, false] {
        let mut net = net.to_dtype(DType::F32).unwrap();
        net.allow_fused = fused;
        let (drive, _) = net.drive(&inputs, Noise::default(), &mut Rng::derive(0, "n")).unwrap();
        let rates = net.recur(&drive, &x_init).unwrap();
        let states = net.states_from_rates(&drive, &x_init, &rates, None, false).unwrap();
        // phi of the reconstructed state is the rate the recurrence produced.
        let again = activate(Activation::Tanh, &states).unwrap();
        let diff = (again - &rates)
            .unwrap()
            .abs()
            .unwrap()
            .max_all()
            .unwrap()
            .to_scalar::<f32>()
            .unwrap();
        assert!(diff < 1e-4, "fused = {fused}: {diff}");
        let last = net.states_from_rates(&drive, &x_init, &rates, None, true).unwrap();
        let diff = (last - states.narrow(1, 14, 1).unwrap())
            .unwrap()
            .abs()
            .unwrap()
            .max_all()
            .unwrap()
            .to_scalar::<f32>()
            .unwrap();
        assert!(diff < 1e-5, "the last state alone agrees: {diff}");
    }
}

/// Inputs for an unconditional generation task: `prep` silent steps, then `k` response steps
/// with a go channel and a sinusoidal code of the step.
fn response_inputs(batch: usize, prep: usize, k: usize) -> Vec<f32> {
    let channels = 5;
    let mut inputs = vec![0f32; batch * (prep + k) * channels];
    for trial in 0..batch {
        for s in 0..k {
            let row = (trial * (prep + k) + prep + s) * channels;
            let phase = std::f64::consts::PI * (s as f64 + 0.5) / k as f64;
            inputs[row] = 1.0;
            inputs[row + 1] = phase.sin() as f32;
            inputs[row + 2] = phase.cos() as f32;
            inputs[row + 3] = (2.0 * phase).sin() as f32;
            inputs[row + 4] = (2.0 * phase).cos() as f32;
        }
    }
    inputs
}

/// The known answer: responses at (+2, 0) with weight 0.7 and (-2, 0) with 0.3. A trained
/// network's free-running samples are bimodal, with mode weights within 0.1 of the truth.
#[test]
fn a_trained_network_samples_a_bimodal_distribution() {
    let device = Device::Cpu;
    let (prep, k, batch, units) = (3, 20, 64, 48);
    let net = Ctrnn::init(
        config(units, 5, Some(schedule(prep, k))),
        &mut Rng::derive(4, "init"),
        &device,
    )
    .unwrap();
    let term = Definition {
        op: "diffusion".into(),
        params: diffusion_defaults(),
        terms: vec![],
        refs: BTreeMap::new(),
    };
    let loss = Definition {
        op: "loss".into(),
        params: Default::default(),
        terms: vec![(1.0, term)],
        refs: BTreeMap::new(),
    };
    let loss = crate::nn::loss::Loss::parse(&loss).unwrap();
    let mut trainer = Trainer::new(net, loss, 3e-3, 0.0, 1).unwrap();
    let inputs = Tensor::from_vec(response_inputs(batch, prep, k), (batch, prep + k, 5), &device).unwrap();
    let mask = Tensor::zeros((batch, prep + k, 2), DType::F32, &device).unwrap();
    let mut data_rng = Rng::derive(5, "data");
    let mut noise_rng = Rng::derive(6, "noise");
    for step in 0..1500 {
        let mut targets = vec![0f32; batch * (prep + k) * 2];
        for trial in 0..batch {
            let x = if data_rng.uniform() < 0.7 { 2.0 } else { -2.0 };
            let row = (trial * (prep + k) + prep + k - 1) * 2;
            targets[row] = x;
            targets[row + 1] = 0.0;
        }
        let targets = Tensor::from_vec(targets, (batch, prep + k, 2), &device).unwrap();
        let batch_ref = Batch {
            inputs: &inputs,
            targets: &targets,
            mask: &mask,
            activity: None,
        };
        let lr = 3e-3 * (1.0 - step as f64 / 1500.0).max(0.05);
        trainer.step(batch_ref, &mut noise_rng, 1.0, lr, step).unwrap();
    }
    let n = 1000;
    let inputs = Tensor::from_vec(response_inputs(n, prep, k), (n, prep + k, 5), &device).unwrap();
    let rollout = trainer
        .net
        .forward(&inputs, Noise::default(), &mut Rng::derive(7, "sample"))
        .unwrap();
    let ends: Vec<f32> = rollout
        .outputs
        .narrow(1, prep + k - 1, 1)
        .unwrap()
        .flatten_all()
        .unwrap()
        .to_vec1()
        .unwrap();
    let xs: Vec<f64> = ends.chunks(2).map(|p| p[0] as f64).collect();
    let right = xs.iter().filter(|&&x| x > 0.0).count() as f64 / n as f64;
    let near_modes = xs.iter().filter(|&&x| (x.abs() - 2.0).abs() < 0.8).count() as f64 / n as f64;
    let middle = xs.iter().filter(|&&x| x.abs() < 0.5).count() as f64 / n as f64;
    assert!((right - 0.7).abs() < 0.1, "weight of the +2 mode: {right}");
    assert!(near_modes > 0.7, "samples sit near the two modes: {near_modes}");
    assert!(middle < 0.1, "few samples between the modes: {middle}");
}

/// The folded recurrence (forcing inside the drive and the recurrent matrix) against a direct
/// step-by-step reference that overwrites the behavioural coordinates at every response step.
#[test]
fn folded_forcing_matches_step_by_step_forcing() {
    let device = Device::Cpu;
    let (prep, k, batch, units, n_in) = (4, 6, 3, 9, 5);
    let net = Ctrnn::init(
        config(units, n_in, Some(schedule(prep, k))),
        &mut Rng::derive(8, "init"),
        &device,
    )
    .unwrap();
    let inputs = Tensor::from_vec(response_inputs(batch, prep, k), (batch, prep + k, n_in), &device).unwrap();
    let targets = Tensor::new(&[[1.5f32, -0.5], [-2.0, 0.3], [0.2, 2.2]], &device).unwrap();

    // Reference, in f64, op by op.
    let reference = {
        let net = net.to_dtype(DType::F64).unwrap();
        let a = net.config.alpha();
        let b = net.behaviour.clone().unwrap();
        let (drive, _) = net.drive(&inputs, Noise::default(), &mut Rng::derive(1, "r")).unwrap();
        let w = net.effective_w_rec().unwrap();
        let step = |x: &Tensor, t: usize| -> Tensor {
            let drive_t = drive.narrow(1, t, 1).unwrap().squeeze(1).unwrap();
            ((x * (1.0 - a)).unwrap() + (activate(Activation::Tanh, x).unwrap().matmul(&w).unwrap() * a).unwrap())
                .unwrap()
                .add(&drive_t)
                .unwrap()
        };
        let mut x = net.initial_state(batch).unwrap();
        for t in 0..prep {
            x = step(&x, t);
        }
        let d = net.config.diffusion.clone().unwrap();
        let x0: Vec<Vec<f64>> = targets.to_dtype(DType::F64).unwrap().to_vec2().unwrap();
        let chain = forward_chain(&d, &x0, &mut Rng::derive(1, "r"));
        let x0 = targets.to_dtype(DType::F64).unwrap();
        let mut total = 0.0;
        for s in 0..k {
            let t = k - s;
            let yt = Tensor::from_vec(
                chain[t - 1].iter().map(|&v| v as f64).collect::<Vec<_>>(),
                (batch, 2),
                &device,
            )
            .unwrap();
            x = Ctrnn::force(&x, &yt, &b).unwrap();
            let mean = step(&x, prep + s);
            let (c0, ct) = d.posterior(t);
            let posterior = ((&x0 * c0).unwrap() + (&yt * ct).unwrap()).unwrap();
            let err = (mean.matmul(&b).unwrap() - posterior)
                .unwrap()
                .sqr()
                .unwrap()
                .mean_all()
                .unwrap();
            total += err.to_scalar::<f64>().unwrap();
            x = mean;
        }
        total / k as f64
    };
    for (dtype, fused) in [(DType::F64, false), (DType::F32, true), (DType::F32, false)] {
        let mut net = net.to_dtype(dtype).unwrap();
        net.allow_fused = fused;
        let (_, loss) = net
            .diffusion_rollout(&inputs, &targets, &mut Rng::derive(1, "r"))
            .unwrap();
        let loss = loss.to_dtype(DType::F64).unwrap().to_scalar::<f64>().unwrap();
        let tolerance = if dtype == DType::F64 { 1e-8 } else { 1e-4 };
        assert!(
            (loss - reference).abs() < tolerance * reference.max(1.0),
            "{dtype:?} fused={fused}: {loss} vs {reference}"
        );
    }
}

/// Conditioning: the response (+2 or -2 on the first axis) is set by a cue shown only before
/// the response epoch. A trained network's samples follow the cue.
#[test]
fn samples_follow_a_cue_given_before_the_response() {
    let device = Device::Cpu;
    let (prep, k, batch, units, channels) = (5, 20, 64, 48, 6);
    let net = Ctrnn::init(
        config(units, channels, Some(schedule(prep, k))),
        &mut Rng::derive(10, "init"),
        &device,
    )
    .unwrap();
    let term = Definition {
        op: "diffusion".into(),
        params: diffusion_defaults(),
        terms: vec![],
        refs: BTreeMap::new(),
    };
    let loss = Definition {
        op: "loss".into(),
        params: Default::default(),
        terms: vec![(1.0, term)],
        refs: BTreeMap::new(),
    };
    let loss = crate::nn::loss::Loss::parse(&loss).unwrap();
    let mut trainer = Trainer::new(net, loss, 3e-3, 0.0, 1).unwrap();
    let cued = |n: usize, rng: &mut Rng| -> (Tensor, Vec<f32>) {
        let base = response_inputs(n, prep, k);
        let mut inputs = Vec::with_capacity(n * (prep + k) * channels);
        let mut signs = Vec::with_capacity(n);
        for trial in 0..n {
            let sign = if rng.uniform() < 0.5 { 1.0f32 } else { -1.0 };
            signs.push(sign);
            for s in 0..prep + k {
                inputs.push(if s < prep { sign } else { 0.0 });
                let row = (trial * (prep + k) + s) * 5;
                inputs.extend_from_slice(&base[row..row + 5]);
            }
        }
        (
            Tensor::from_vec(inputs, (n, prep + k, channels), &device).unwrap(),
            signs,
        )
    };
    let mask = Tensor::zeros((batch, prep + k, 2), DType::F32, &device).unwrap();
    let (mut data_rng, mut noise_rng) = (Rng::derive(11, "data"), Rng::derive(12, "noise"));
    for step in 0..800 {
        let (inputs, signs) = cued(batch, &mut data_rng);
        let mut targets = vec![0f32; batch * (prep + k) * 2];
        for (trial, sign) in signs.iter().enumerate() {
            targets[(trial * (prep + k) + prep + k - 1) * 2] = 2.0 * sign;
        }
        let targets = Tensor::from_vec(targets, (batch, prep + k, 2), &device).unwrap();
        let b = Batch {
            inputs: &inputs,
            targets: &targets,
            mask: &mask,
            activity: None,
        };
        trainer.step(b, &mut noise_rng, 1.0, 3e-3, step).unwrap();
    }
    let (inputs, signs) = cued(500, &mut Rng::derive(13, "test"));
    let rollout = trainer
        .net
        .forward(&inputs, Noise::default(), &mut Rng::derive(14, "s"))
        .unwrap();
    let ends: Vec<f32> = rollout
        .outputs
        .narrow(1, prep + k - 1, 1)
        .unwrap()
        .flatten_all()
        .unwrap()
        .to_vec1()
        .unwrap();
    let agree = ends.chunks(2).zip(&signs).filter(|(p, s)| p[0] * **s > 0.0).count() as f64 / 500.0;
    assert!(agree > 0.9, "samples on the cued side: {agree}");
}
