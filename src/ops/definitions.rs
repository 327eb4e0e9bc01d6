//! Schemas of the model and loss-term definitions. They are checked and hashed into the stages
//! that use them; the `train` stage that consumes them comes with the neural core.

use crate::schema::{DeclKind, OpSchema, ParamSpec, ParamType};

const MODEL: &[DeclKind] = &[DeclKind::Model];
const LOSS: &[DeclKind] = &[DeclKind::Loss];

/// The continuous-time rate RNN (Euler-discretised), as in `science.md`.
pub static CTRNN: OpSchema = OpSchema {
    name: "ctrnn",
    kinds: MODEL,
    version: 1,
    doc: "Continuous-time rate RNN: x' = (1-a)x + a(W_rec r + W_in (u + noise) + b) + noise, r = phi(x), y = W_out r + b_out. Checked and hashed; no stage trains it yet.",
    inputs: &[],
    params: &[
        ParamSpec::new(
            "units",
            ParamType::int(1, 100_000),
            "64",
            "Number of recurrent units N.",
        ),
        ParamSpec::new(
            "activation",
            ParamType::Enum(&["tanh", "relu", "softplus", "sigmoid", "rectified_tanh", "linear"]),
            "tanh",
            "Rate nonlinearity phi.",
        ),
        ParamSpec::new("tau", ParamType::time(1e-4, 100.0), "100 ms", "Unit time constant."),
        ParamSpec::new("dt", ParamType::time(1e-5, 10.0), "10 ms", "Euler step; a = dt / tau."),
        ParamSpec::new(
            "g",
            ParamType::float(0.0, 100.0),
            "1.2",
            "Initial recurrent gain: W_rec ~ N(0, g^2/N).",
        ),
        ParamSpec::new(
            "input_noise",
            ParamType::float(0.0, 100.0),
            "0",
            "Std of Gaussian noise added to inputs.",
        ),
        ParamSpec::new(
            "recurrent_noise",
            ParamType::float(0.0, 100.0),
            "0",
            "Std of the recurrent noise (scaled by sqrt(2a)).",
        ),
        ParamSpec::new(
            "initial_state",
            ParamType::Enum(&["zero", "learned"]),
            "zero",
            "Whether x[0] is zero or trained.",
        ),
        ParamSpec::new(
            "excitatory_fraction",
            ParamType::float(0.0, 1.0),
            "1",
            "Dale's law: fraction of excitatory units; 1 with `dale = false` means unconstrained.",
        ),
        ParamSpec::new(
            "dale",
            ParamType::Bool,
            "false",
            "Constrain recurrent and output weights by Dale's law.",
        ),
        ParamSpec::new(
            "seed_offset",
            ParamType::int(0, i64::MAX),
            "0",
            "Added to the stage seed for weight initialisation.",
        ),
    ],
    outputs: &[],
};

/// Masked mean squared error against the task's targets.
pub static MSE: OpSchema = OpSchema {
    name: "mse",
    kinds: LOSS,
    version: 1,
    doc: "Mean squared error between outputs and task targets, masked by the task's epochs. Checked and hashed; no stage trains with it yet.",
    inputs: &[],
    params: &[],
    outputs: &[],
};

/// Mean squared rate.
pub static RATE_L2: OpSchema = OpSchema {
    name: "rate_l2",
    kinds: LOSS,
    version: 1,
    doc: "Mean of r^2 over units, time steps and trials. Checked and hashed; no stage trains with it yet.",
    inputs: &[],
    params: &[],
    outputs: &[],
};

/// Squared Frobenius norm of weights.
pub static WEIGHT_L2: OpSchema = OpSchema {
    name: "weight_l2",
    kinds: LOSS,
    version: 1,
    doc: "Squared Frobenius norm of W_rec, and optionally of W_in and W_out. Checked and hashed; no stage trains with it yet.",
    inputs: &[],
    params: &[ParamSpec::new(
        "include",
        ParamType::List(&ParamType::Enum(&["rec", "in", "out"])),
        "[rec]",
        "Which weight matrices the norm covers.",
    )],
    outputs: &[],
};
