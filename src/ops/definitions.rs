//! Schemas of the model and loss-term definitions, checked and hashed into the stages that use
//! them. The `train` stage builds the network (`nn::ctrnn`) and the loss (`nn::loss`) from them.

use crate::schema::{DeclKind, OpSchema, ParamSpec, ParamType};

const MODEL: &[DeclKind] = &[DeclKind::Model];
const LOSS: &[DeclKind] = &[DeclKind::Loss];

/// The continuous-time rate RNN (Euler-discretised), as in `science.md`.
pub static CTRNN: OpSchema = OpSchema {
    name: "ctrnn",
    kinds: MODEL,
    version: 1,
    doc: "Continuous-time rate RNN: x' = (1-a)x + a(W_rec r + W_in (u + noise) + b) + noise, r = phi(x), y = W_out r + b_out.",
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
        ParamSpec::new(
            "tau",
            ParamType::time(1e-4, 100.0),
            "100 ms",
            "Unit time constant; a = dt / tau with the task's dt.",
        ),
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
            "Std of Gaussian noise added to the inputs.",
        ),
        ParamSpec::new(
            "recurrent_noise",
            ParamType::float(0.0, 100.0),
            "0",
            "Std of the recurrent noise, scaled by sqrt(2a) per step.",
        ),
        ParamSpec::new(
            "initial_state",
            ParamType::Enum(&["zero", "learned"]),
            "zero",
            "Whether x[0] is zero or trained.",
        ),
        ParamSpec::new(
            "dale",
            ParamType::Bool,
            "false",
            "Dale's law: each unit's outgoing recurrent weights share one sign.",
        ),
        ParamSpec::new(
            "excitatory_fraction",
            ParamType::float(0.0, 1.0),
            "0.8",
            "With `dale = true`: the fraction of excitatory units (the first ones).",
        ),
        ParamSpec::new(
            "density",
            ParamType::float(0.0, 1.0),
            "1",
            "Probability that a recurrent connection exists (a fixed random mask).",
        ),
        ParamSpec::new(
            "fixed",
            ParamType::List(&ParamType::Enum(&["in", "rec", "out"])),
            "[]",
            "Weight groups kept at their initial values (not trained).",
        ),
    ],
    outputs: &[],
};

/// Masked mean squared error against the task's targets.
pub static MSE: OpSchema = OpSchema {
    name: "mse",
    kinds: LOSS,
    version: 1,
    doc: "Mean squared error between outputs and task targets, masked by the task's epochs.",
    inputs: &[],
    params: &[],
    outputs: &[],
};

/// Mean squared rate.
pub static RATE_L2: OpSchema = OpSchema {
    name: "rate_l2",
    kinds: LOSS,
    version: 1,
    doc: "Mean of r^2 over units, time steps and trials.",
    inputs: &[],
    params: &[],
    outputs: &[],
};

/// Student units against recorded teacher units.
pub static ACTIVITY: OpSchema = OpSchema {
    name: "activity",
    kinds: LOSS,
    version: 1,
    doc: "Masked mean squared error between assigned student units' rates and recorded teacher rates (train's data: a `sample_units` stage); 0 when no unit is recorded.",
    inputs: &[],
    params: &[],
    outputs: &[],
};

/// Squared Frobenius norm of weights.
pub static WEIGHT_L2: OpSchema = OpSchema {
    name: "weight_l2",
    kinds: LOSS,
    version: 1,
    doc: "Squared Frobenius norm of W_rec, and optionally of W_in and W_out.",
    inputs: &[],
    params: &[ParamSpec::new(
        "include",
        ParamType::List(&ParamType::Enum(&["rec", "in", "out"])),
        "[rec]",
        "Which weight matrices the norm covers.",
    )],
    outputs: &[],
};

/// The diffusion objective of pipeline 3 (`nn::diffusion`): teacher-forced denoising over the
/// response epoch with a linear DDPM schedule.
pub static DIFFUSION: OpSchema = OpSchema {
    name: "diffusion",
    kinds: LOSS,
    version: 1,
    doc: "Denoising objective: the response epoch runs a DDPM; the network's drift in its behavioural subspace learns the posterior mean.",
    inputs: &[],
    params: &[
        ParamSpec::new(
            "beta_start",
            ParamType::float(1e-6, 0.999),
            "0.01",
            "Noise variance beta_1 of the first diffusion step.",
        ),
        ParamSpec::new(
            "beta_end",
            ParamType::float(1e-6, 0.999),
            "0.3",
            "Noise variance beta_K of the last diffusion step (linear in between).",
        ),
        ParamSpec::new(
            "weighting",
            ParamType::Enum(&["uniform", "x0"]),
            "uniform",
            "Step weights: uniform on the posterior-mean error, or x0 (1/c0^2, normalised), which stresses the noisy early steps where only the stimulus tells which colour to report.",
        ),
    ],
    outputs: &[],
};

/// Moment matching of pipeline 3: per group of repeated trials, the mean and covariance of the
/// network's noisy responses against those of the targets.
pub static MOMENTS: OpSchema = OpSchema {
    name: "moments",
    kinds: LOSS,
    version: 1,
    doc: "Per group of repeated trials (train's `repeats`): squared error of the response mean plus squared Frobenius error of its covariance.",
    inputs: &[],
    params: &[ParamSpec::new(
        "covariance",
        ParamType::float(0.0, 1e6),
        "1",
        "Weight of the covariance error relative to the mean error.",
    )],
    outputs: &[],
};

#[cfg(test)]
mod tests {
    use crate::nn::loss_term::LossTerm;
    use crate::ops::registry::{Operator, operators};
    use crate::schema::DeclKind;

    /// The loss-term schemas the checker accepts are exactly the terms `train` computes.
    #[test]
    fn the_loss_term_schemas_are_the_terms_train_computes() {
        let mut schemas: Vec<&str> = operators()
            .iter()
            .filter_map(|op| match op {
                Operator::Definition(s) if s.kinds.contains(&DeclKind::Loss) => Some(s.name),
                _ => None,
            })
            .collect();
        let mut terms: Vec<&str> = LossTerm::ALL.iter().map(|t| t.name()).collect();
        schemas.sort_unstable();
        terms.sort_unstable();
        assert_eq!(schemas, terms);
    }
}
