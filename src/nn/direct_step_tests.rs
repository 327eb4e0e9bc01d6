//! The hand-differentiated step against candle's autograd on the same network, batch and noise:
//! the same term values and the same gradient on every variable, to f32 rounding.

use super::*;
use crate::definition::Definition;
use crate::nn::ctrnn::CtrnnConfig;
use crate::numerics::activation::Activation;
use crate::value::Value;
use candle_core::Device;
use std::collections::BTreeMap;

fn term(op: &str, params: &[(&str, Value)]) -> Definition {
    Definition {
        op: op.into(),
        params: crate::params::Params::new(params.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()),
        terms: vec![],
        refs: BTreeMap::new(),
    }
}

fn loss_of(terms: Vec<(f64, Definition)>) -> Loss {
    let def = Definition {
        op: "loss".into(),
        params: Default::default(),
        terms,
        refs: BTreeMap::new(),
    };
    Loss::parse(&def).expect("known loss terms")
}

struct Case {
    activation: Activation,
    dale: Option<f64>,
    density: f64,
    noise: (f64, f64),
    loss: Loss,
    repeats: usize,
}

fn random(rng: &mut Rng, n: usize, scale: f64) -> Vec<f32> {
    (0..n).map(|_| (rng.normal() * scale) as f32).collect()
}

fn check(case: Case) {
    let device = Device::Cpu;
    let (units, n_in, n_out, batch, steps) = (24, 3, 2, 6, 15);
    let config = CtrnnConfig {
        units,
        n_in,
        n_out,
        activation: case.activation,
        tau: 0.1,
        dt: 0.02,
        g: 1.4,
        input_noise: case.noise.0,
        recurrent_noise: case.noise.1,
        learn_initial_state: true,
        excitatory_fraction: case.dale,
        density: case.density,
        fixed: vec![],
        diffusion: None,
    };
    let mut rng = Rng::derive(5, "direct");
    let net = Ctrnn::init(config, &mut rng, &device).unwrap();
    // A non-zero initial state and biases, so that every path carries gradient.
    net.x0
        .set(&Tensor::from_vec(random(&mut rng, units, 0.5), (1, units), &device).unwrap())
        .unwrap();
    net.b
        .set(&Tensor::from_vec(random(&mut rng, units, 0.2), (1, units), &device).unwrap())
        .unwrap();
    net.b_out
        .set(&Tensor::from_vec(random(&mut rng, n_out, 0.2), (1, n_out), &device).unwrap())
        .unwrap();
    let tensor = |data: Vec<f32>, shape: (usize, usize, usize)| Tensor::from_vec(data, shape, &device).unwrap();
    let inputs = tensor(random(&mut rng, batch * steps * n_in, 1.0), (batch, steps, n_in));
    let targets = tensor(random(&mut rng, batch * steps * n_out, 0.5), (batch, steps, n_out));
    let mask = tensor(
        (0..batch * steps * n_out)
            .map(|i| if (i / n_out) % steps >= 4 { 1.0 } else { 0.0 })
            .collect(),
        (batch, steps, n_out),
    );
    let units_recorded = Tensor::new(&[3u32, 0, 17], &device).unwrap();
    let recorded = tensor(random(&mut rng, batch * steps * 3, 0.5), (batch, steps, 3));
    let counted = tensor(
        (0..batch * steps).map(|i| if i % 3 == 0 { 0.0 } else { 1.0 }).collect(),
        (batch, steps, 1),
    );
    let with = LossInputs {
        targets: &targets,
        mask: &mask,
        repeats: case.repeats,
        diffusion: None,
        activity: Some(loss::ActivityTargets {
            units: &units_recorded,
            rates: &recorded,
            mask: &counted,
        }),
    };

    let (terms, total, grads) =
        loss_and_gradients(&net, &case.loss, &with, &inputs, &mut Rng::derive(9, "noise")).unwrap();
    let rollout = net
        .forward(&inputs, Noise::default(), &mut Rng::derive(9, "noise"))
        .unwrap();
    let expected_terms = loss::evaluate(&case.loss, &net, &rollout, &with).unwrap();
    let expected_total = loss::total(&expected_terms).unwrap();
    let expected = expected_total.backward().unwrap();

    let scalar = |t: &Tensor| t.to_scalar::<f32>().unwrap();
    for (ours, theirs) in terms.iter().zip(&expected_terms) {
        let (a, b) = (scalar(&ours.value), scalar(&theirs.value));
        assert!(
            (a - b).abs() <= 1e-5 * b.abs().max(1e-3),
            "{}: {a} against {b}",
            ours.label
        );
    }
    assert!((scalar(&total) - scalar(&expected_total)).abs() <= 1e-5 * scalar(&expected_total).abs());
    let vars = [
        ("w_in", &net.w_in),
        ("w_rec", &net.w_rec),
        ("b", &net.b),
        ("w_out", &net.w_out),
        ("b_out", &net.b_out),
        ("x0", &net.x0),
    ];
    for (name, var) in vars {
        let ours = values(grads.get(var.as_tensor()).unwrap()).unwrap();
        let theirs = values(expected.get(var.as_tensor()).unwrap()).unwrap();
        let scale = theirs.iter().fold(0f32, |m, v| m.max(v.abs()));
        assert!(scale > 0.0, "{name}: no gradient to compare");
        for (k, (a, b)) in ours.iter().zip(&theirs).enumerate() {
            assert!(
                (a - b).abs() <= 2e-5 * scale,
                "{:?} {name}[{k}]: {a} against autograd's {b} (largest {scale})",
                case.activation
            );
        }
    }
}

fn include_all() -> Value {
    Value::List(
        ["in", "rec", "out"]
            .iter()
            .map(|s| Value::Enum(s.to_string()))
            .collect(),
    )
}

#[test]
fn agrees_with_autograd_for_mse_rate_and_weight_penalties() {
    check(Case {
        activation: Activation::Tanh,
        dale: None,
        density: 1.0,
        noise: (0.0, 0.0),
        loss: loss_of(vec![
            (1.0, term("mse", &[])),
            (0.05, term("rate_l2", &[])),
            (1e-3, term("weight_l2", &[("include", include_all())])),
            (0.02, term("rate_l2", &[])),
        ]),
        repeats: 1,
    });
}

#[test]
fn agrees_with_autograd_under_dales_law_masks_noise_and_activity() {
    for activation in [Activation::Softplus, Activation::RectifiedTanh, Activation::Sigmoid] {
        check(Case {
            activation,
            dale: Some(0.75),
            density: 0.6,
            noise: (0.1, 0.05),
            loss: loss_of(vec![
                (1.0, term("mse", &[])),
                (0.5, term("activity", &[])),
                (0.1, term("rate_l2", &[])),
                (1e-3, term("weight_l2", &[])),
            ]),
            repeats: 1,
        });
    }
}

#[test]
fn agrees_with_autograd_for_moments() {
    check(Case {
        activation: Activation::Relu,
        dale: None,
        density: 1.0,
        noise: (0.2, 0.1),
        loss: loss_of(vec![(1.0, term("moments", &[("covariance", Value::Float(0.5))]))]),
        repeats: 2,
    });
}
