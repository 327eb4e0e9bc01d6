//! The continuous-time rate RNN of science.md, Euler-discretised, batched over trials:
//!
//! ```text
//! x[t+1] = (1 - a) x[t] + a (phi(x[t]) W_rec + (u[t] + s_in xi) W_in + b) + sqrt(2a) s_rec xi'
//! r[t]   = phi(x[t+1]),   y[t] = r[t] W_out + b_out,   a = dt / tau
//! ```
//!
//! Row-vector convention: `W_rec[i][j]` is the weight from unit i to unit j. The output at step t
//! reads the state that has taken in the input of step t.

use super::diffusion::{DiffusionConfig, behaviour_embedding};
use super::fused::FusedRecurrence;
use super::nn_err;
use super::tensor_ops::activate;
use crate::numerics::activation::Activation;
use crate::op_error::OpError;
use crate::params::Params;
use crate::rng::Rng;
use candle_core::{DType, Device, Tensor, Var};

/// A `ctrnn` definition's parameters, with the task's sizes and step.
#[derive(Debug, Clone, PartialEq)]
pub struct CtrnnConfig {
    pub units: usize,
    pub n_in: usize,
    pub n_out: usize,
    pub activation: Activation,
    pub tau: f64,
    pub dt: f64,
    pub g: f64,
    pub input_noise: f64,
    pub recurrent_noise: f64,
    pub learn_initial_state: bool,
    /// Dale's law: the fraction of excitatory units, or `None` for unconstrained signs.
    pub excitatory_fraction: Option<f64>,
    /// Probability that a recurrent connection exists (1 = all-to-all).
    pub density: f64,
    /// Weight groups that keep their initial values: any of `in`, `rec`, `out`.
    pub fixed: Vec<String>,
    /// Set for a network trained with the `diffusion` loss: its output is a subspace of its state,
    /// and it samples its response by denoising (`diffusion.rs`).
    pub diffusion: Option<DiffusionConfig>,
}

impl CtrnnConfig {
    /// Reads a `ctrnn` definition's parameters; sizes and `dt` come from the task.
    pub fn from_params(p: &Params, n_in: usize, n_out: usize, dt: f64) -> Result<CtrnnConfig, OpError> {
        let name = p.str("activation")?;
        let activation =
            Activation::from_name(name).ok_or_else(|| OpError::internal(format!("unknown activation `{name}`")))?;
        let fixed = match p.get("fixed") {
            Some(crate::value::Value::List(items)) => items.iter().map(|v| v.to_string()).collect(),
            _ => Vec::new(),
        };
        let tau = p.f64("tau")?;
        if dt > tau {
            return Err(OpError::invalid(format!(
                "the task's step dt = {dt} s is longer than tau = {tau} s; the Euler step would be unstable"
            )));
        }
        Ok(CtrnnConfig {
            units: p.usize("units")?,
            n_in,
            n_out,
            activation,
            tau,
            dt,
            g: p.f64("g")?,
            input_noise: p.f64("input_noise")?,
            recurrent_noise: p.f64("recurrent_noise")?,
            learn_initial_state: p.str("initial_state")? == "learned",
            excitatory_fraction: if p.bool("dale")? {
                Some(p.f64("excitatory_fraction")?)
            } else {
                None
            },
            density: p.f64("density")?,
            fixed,
            diffusion: None,
        })
    }

    pub fn alpha(&self) -> f64 {
        self.dt / self.tau
    }
}

/// The network's parameters as candle variables.
pub struct Ctrnn {
    pub config: CtrnnConfig,
    pub w_in: Var,
    /// Unconstrained recurrent weights; the effective matrix applies the mask and Dale's signs.
    pub w_rec: Var,
    pub b: Var,
    pub w_out: Var,
    pub b_out: Var,
    pub x0: Var,
    /// 0/1 connectivity mask, `[N, N]`.
    mask: Tensor,
    /// +1 for excitatory and -1 for inhibitory presynaptic units, `[N, 1]`, with Dale's law.
    signs: Option<Tensor>,
    pub device: Device,
    /// Use the fused CPU recurrence where it applies (f32 on the CPU); tests turn it off to compare.
    pub allow_fused: bool,
    /// With diffusion: the fixed orthonormal embedding `[N, n_out]` of the response space in the state.
    pub behaviour: Option<Tensor>,
}

/// Trajectories of one forward pass.
pub struct Rollout {
    /// `[B, T, N]`: r[t] = phi(x[t+1]).
    pub rates: Tensor,
    /// `[B, T, n_out]`.
    pub outputs: Tensor,
}

/// `n` independent N(0, std^2) values, drawn in Box-Muller pairs.
pub(crate) fn gaussian(rng: &mut Rng, n: usize, std: f64) -> Vec<f32> {
    let mut out = Vec::with_capacity(n + 1);
    while out.len() < n {
        let (a, b) = rng.normal_pair();
        out.push((a * std) as f32);
        out.push((b * std) as f32);
    }
    out.truncate(n);
    out
}

impl Ctrnn {
    /// A freshly initialised network: W_rec ~ N(0, g^2/N) (masked, with Dale's signs if asked),
    /// W_in ~ N(0, 1/n_in), W_out ~ N(0, 1/N), biases and initial state zero.
    pub fn init(config: CtrnnConfig, rng: &mut Rng, device: &Device) -> Result<Ctrnn, OpError> {
        let n = config.units;
        let mut w_rec = gaussian(rng, n * n, config.g / (n as f64).sqrt());
        let mask: Vec<f32> = (0..n * n)
            .map(|_| if rng.uniform() < config.density { 1.0 } else { 0.0 })
            .collect();
        let signs = config.excitatory_fraction.map(|fe| {
            let n_exc = ((fe * n as f64).round() as usize).min(n);
            // Inhibitory weights are scaled so that the mean input to a unit is balanced.
            let inhibitory_scale = if n_exc < n {
                n_exc as f32 / (n - n_exc) as f32
            } else {
                1.0
            };
            (0..n)
                .map(|i| if i < n_exc { 1.0 } else { -inhibitory_scale })
                .collect::<Vec<f32>>()
        });
        if signs.is_some() {
            for w in w_rec.iter_mut() {
                *w = w.abs();
            }
        }
        let w_in = gaussian(rng, config.n_in * n, 1.0 / (config.n_in.max(1) as f64).sqrt());
        let w_out = gaussian(rng, n * config.n_out, 1.0 / (n as f64).sqrt());
        let tensor = |data: Vec<f32>, shape: (usize, usize)| Tensor::from_vec(data, shape, device).map_err(nn_err);
        let var = |data: Vec<f32>, shape: (usize, usize)| Var::from_tensor(&tensor(data, shape)?).map_err(nn_err);
        let behaviour = match &config.diffusion {
            Some(_) => Some(tensor(behaviour_embedding(n, config.n_out, rng)?, (n, config.n_out))?),
            None => None,
        };
        Ok(Ctrnn {
            behaviour,
            w_in: var(w_in, (config.n_in, n))?,
            w_rec: var(w_rec, (n, n))?,
            b: var(vec![0.0; n], (1, n))?,
            w_out: var(w_out, (n, config.n_out))?,
            b_out: var(vec![0.0; config.n_out], (1, config.n_out))?,
            x0: var(vec![0.0; n], (1, n))?,
            mask: tensor(mask, (n, n))?,
            signs: match signs {
                Some(s) => Some(tensor(s, (n, 1))?),
                None => None,
            },
            device: device.clone(),
            allow_fused: true,
            config,
        })
    }

    /// The variables the optimiser trains.
    pub fn trainable(&self) -> Vec<Var> {
        let mut vars = Vec::new();
        let fixed = |g: &str| self.config.fixed.iter().any(|f| f == g);
        if !fixed("in") {
            vars.push(self.w_in.clone());
        }
        if !fixed("rec") {
            vars.push(self.w_rec.clone());
        }
        vars.push(self.b.clone());
        // A diffusion network reads its response from its state, not through W_out.
        if self.behaviour.is_none() {
            if !fixed("out") {
                vars.push(self.w_out.clone());
            }
            vars.push(self.b_out.clone());
        }
        if self.config.learn_initial_state {
            vars.push(self.x0.clone());
        }
        vars
    }

    /// The recurrent matrix the dynamics use: masked, and sign-constrained under Dale's law.
    pub fn effective_w_rec(&self) -> candle_core::Result<Tensor> {
        let masked = match &self.signs {
            Some(signs) => self.w_rec.as_tensor().abs()?.broadcast_mul(signs)?,
            None => self.w_rec.as_tensor().clone(),
        };
        masked.mul(&self.mask)
    }

    /// Runs the network on inputs `[B, T, n_in]`, with the model's own noise plus extra noise. A
    /// diffusion network samples its response (`diffusion.rs`); its outputs are its state's
    /// behavioural coordinates.
    pub fn forward(&self, inputs: &Tensor, extra: Noise, rng: &mut Rng) -> candle_core::Result<Rollout> {
        let (drive, noise) = self.drive(inputs, extra, rng)?;
        let drive = match noise {
            Some(noise) => (drive + noise)?,
            None => drive,
        };
        let x0 = self.initial_state(inputs.dim(0)?)?;
        if self.behaviour.is_some() {
            return self.sample_responses(&drive, &x0, rng);
        }
        let rates = self.recur(&drive, &x0)?;
        let outputs = self.readout(&rates)?;
        Ok(Rollout { rates, outputs })
    }

    /// x[0] for a batch, `[B, N]`.
    pub(crate) fn initial_state(&self, batch: usize) -> candle_core::Result<Tensor> {
        self.x0
            .as_tensor()
            .broadcast_as((batch, self.config.units))?
            .contiguous()
    }

    /// The per-step drive `a (u W_in + b)` `[B, T, N]`, and apart from it the recurrent noise
    /// `sqrt(2a) s_rec xi` where there is any. Input noise is drawn first, then recurrent noise.
    pub(crate) fn drive(
        &self,
        inputs: &Tensor,
        extra: Noise,
        rng: &mut Rng,
    ) -> candle_core::Result<(Tensor, Option<Tensor>)> {
        let (u, noise) = self.noisy_inputs(inputs, extra, rng)?;
        Ok((self.project_inputs(&u)?, noise))
    }

    /// The inputs with input noise `[B, T, n_in]`, and the recurrent noise `[B, T, N]` if any.
    pub(crate) fn noisy_inputs(
        &self,
        inputs: &Tensor,
        extra: Noise,
        rng: &mut Rng,
    ) -> candle_core::Result<(Tensor, Option<Tensor>)> {
        let (batch, steps, n_in) = inputs.dims3()?;
        let n = self.config.units;
        let dtype = self.w_rec.dtype();
        let a = self.config.alpha();
        let s_in = self.config.input_noise + extra.input;
        let s_rec = self.config.recurrent_noise + extra.recurrent;
        let mut u = inputs.to_dtype(dtype)?;
        if s_in > 0.0 {
            let noise = Tensor::from_vec(
                gaussian(rng, batch * steps * n_in, s_in),
                (batch, steps, n_in),
                &self.device,
            )?;
            u = (u + noise.to_dtype(dtype)?)?;
        }
        let noise = if s_rec > 0.0 {
            let std = (2.0 * a).sqrt() * s_rec;
            let noise = Tensor::from_vec(gaussian(rng, batch * steps * n, std), (batch, steps, n), &self.device)?;
            Some(noise.to_dtype(dtype)?)
        } else {
            None
        };
        Ok((u, noise))
    }

    /// `a (u W_in + b)` for inputs `[B, T, n_in]`: every step's projection in one matmul.
    pub(crate) fn project_inputs(&self, u: &Tensor) -> candle_core::Result<Tensor> {
        let (batch, steps, n_in) = u.dims3()?;
        let drive = u
            .contiguous()?
            .reshape((batch * steps, n_in))?
            .matmul(self.w_in.as_tensor())?
            .broadcast_add(self.b.as_tensor())?;
        (drive * self.config.alpha())?.reshape((batch, steps, self.config.units))
    }

    /// The recurrence from `x_init` `[B, N]` under `drive` `[B, T, N]`: the rates `[B, T, N]`.
    pub(crate) fn recur(&self, drive: &Tensor, x_init: &Tensor) -> candle_core::Result<Tensor> {
        self.recur_with(drive, x_init, &self.effective_w_rec()?)
    }

    /// The recurrence with a given recurrent matrix (diffusion training folds its forcing into it).
    pub(crate) fn recur_with(&self, drive: &Tensor, x_init: &Tensor, w_rec: &Tensor) -> candle_core::Result<Tensor> {
        let dtype = self.w_rec.dtype();
        let a = self.config.alpha();
        if self.allow_fused && self.device.is_cpu() && dtype == DType::F32 {
            // The whole recurrence in one operation with a hand-written backward (`fused.rs`).
            let op = FusedRecurrence {
                alpha: a as f32,
                activation: self.config.activation,
            };
            drive
                .contiguous()?
                .apply_op3(&w_rec.contiguous()?, &x_init.contiguous()?, op)
        } else {
            // Op by op, differentiated by candle's autograd: f64 (gradient checks) and CUDA.
            let steps = drive.dim(1)?;
            let w_rec = (w_rec * a)?;
            let mut x = x_init.clone();
            let mut rates = Vec::with_capacity(steps);
            let mut r = activate(self.config.activation, &x)?;
            for t in 0..steps {
                let input_t = drive.narrow(1, t, 1)?.squeeze(1)?;
                x = ((x * (1.0 - a))? + r.matmul(&w_rec)?)?.add(&input_t)?;
                r = activate(self.config.activation, &x)?;
                rates.push(r.clone());
            }
            Tensor::stack(&rates, 1)
        }
    }

    /// `y = r W_out + b_out` for rates `[B, T, N]`.
    pub(crate) fn readout(&self, rates: &Tensor) -> candle_core::Result<Tensor> {
        let (batch, steps, n) = rates.dims3()?;
        rates
            .contiguous()?
            .reshape((batch * steps, n))?
            .matmul(self.w_out.as_tensor())?
            .broadcast_add(self.b_out.as_tensor())?
            .reshape((batch, steps, self.config.n_out))
    }

    /// The states x[t+1] behind `rates` (from `recur` on `drive` and `x_init`), projected on `proj`
    /// `[N, k]` (all of the state where `None`); only the last step's where `last_only`. The Euler
    /// step is linear in the state given the rates, so the states are a decaying sum
    /// x[t+1] = (1-a)^(t+1) x[0] + sum_s (1-a)^(t-s) (a phi(x[s]) W_rec + drive[s]):
    /// one matmul, differentiable, with no change to the fused recurrence.
    pub(crate) fn states_from_rates(
        &self,
        drive: &Tensor,
        x_init: &Tensor,
        rates: &Tensor,
        proj: Option<&Tensor>,
        last_only: bool,
    ) -> candle_core::Result<Tensor> {
        let (batch, steps, n) = rates.dims3()?;
        let dtype = rates.dtype();
        let a = self.config.alpha();
        let first = activate(self.config.activation, x_init)?.unsqueeze(1)?;
        let previous = if steps > 1 {
            Tensor::cat(&[&first, &rates.narrow(1, 0, steps - 1)?], 1)?
        } else {
            first
        };
        let w_rec = (self.effective_w_rec()? * a)?;
        let (w_rec, drive, x_init) = match proj {
            Some(p) => (
                w_rec.matmul(p)?,
                drive.contiguous()?.reshape((batch * steps, n))?.matmul(p)?,
                x_init.matmul(p)?,
            ),
            None => (w_rec, drive.contiguous()?.reshape((batch * steps, n))?, x_init.clone()),
        };
        let k = w_rec.dim(1)?;
        let increments = (previous.contiguous()?.reshape((batch * steps, n))?.matmul(&w_rec)? + drive)?
            .reshape((batch, steps, k))?;
        let leak = 1.0 - a;
        let rows: Vec<usize> = if last_only {
            vec![steps - 1]
        } else {
            (0..steps).collect()
        };
        let mut weights = vec![0f64; rows.len() * steps];
        let mut carry = vec![0f64; rows.len()];
        for (i, &t) in rows.iter().enumerate() {
            for s in 0..=t {
                weights[i * steps + s] = leak.powi((t - s) as i32);
            }
            carry[i] = leak.powi(t as i32 + 1);
        }
        let weights = Tensor::from_vec(weights, (1, rows.len(), steps), &self.device)?
            .to_dtype(dtype)?
            .broadcast_as((batch, rows.len(), steps))?
            .contiguous()?;
        let carry = Tensor::from_vec(carry, (1, rows.len(), 1), &self.device)?.to_dtype(dtype)?;
        let summed = weights.matmul(&increments.contiguous()?)?;
        summed.broadcast_add(&carry.broadcast_mul(&x_init.unsqueeze(1)?)?)
    }

    /// The same network with every variable converted to `dtype` (f64 for gradient checks).
    pub fn to_dtype(&self, dtype: DType) -> candle_core::Result<Ctrnn> {
        let convert = |v: &Var| Var::from_tensor(&v.as_tensor().to_dtype(dtype)?);
        Ok(Ctrnn {
            config: self.config.clone(),
            w_in: convert(&self.w_in)?,
            w_rec: convert(&self.w_rec)?,
            b: convert(&self.b)?,
            w_out: convert(&self.w_out)?,
            b_out: convert(&self.b_out)?,
            x0: convert(&self.x0)?,
            mask: self.mask.to_dtype(dtype)?,
            signs: match &self.signs {
                Some(s) => Some(s.to_dtype(dtype)?),
                None => None,
            },
            device: self.device.clone(),
            allow_fused: self.allow_fused,
            behaviour: match &self.behaviour {
                Some(b) => Some(b.to_dtype(dtype)?),
                None => None,
            },
        })
    }

    /// The effective weights by name, as saved and as analyses use them.
    pub fn named_weights(&self) -> candle_core::Result<Vec<(String, Tensor)>> {
        let mut named = vec![
            ("b".into(), self.b.as_tensor().clone()),
            ("b_out".into(), self.b_out.as_tensor().clone()),
            ("w_in".into(), self.w_in.as_tensor().clone()),
            ("w_out".into(), self.w_out.as_tensor().clone()),
            ("w_rec".into(), self.effective_w_rec()?),
            ("x0".into(), self.x0.as_tensor().clone()),
        ];
        if let Some(b) = &self.behaviour {
            named.push(("behaviour".into(), b.clone()));
        }
        Ok(named)
    }
}

/// Noise added on top of the model's own, for evaluation and robustness.
#[derive(Debug, Clone, Copy, Default)]
pub struct Noise {
    pub input: f64,
    pub recurrent: f64,
}

/// Puts a trial batch's inputs, targets and mask on a device as `[B, T, C]` tensors.
pub fn batch_tensors(
    b: &crate::trial_batch::TrialBatch,
    device: &Device,
) -> candle_core::Result<(Tensor, Tensor, Tensor)> {
    let inputs = Tensor::from_slice(&b.inputs, (b.n_trials, b.n_steps, b.n_inputs()), device)?;
    let targets = Tensor::from_slice(&b.targets, (b.n_trials, b.n_steps, b.n_outputs()), device)?;
    let mask = Tensor::from_slice(&b.mask, (b.n_trials, b.n_steps, b.n_outputs()), device)?;
    Ok((inputs, targets, mask))
}

impl Ctrnn {
    /// A network from saved effective weights (for evaluation and analysis): the mask and Dale's
    /// signs are already applied in `w_rec`, so none are applied again.
    pub fn from_weights(
        config: CtrnnConfig,
        weights: &std::collections::BTreeMap<String, Tensor>,
        device: &Device,
    ) -> Result<Ctrnn, OpError> {
        let get = |name: &str| {
            weights
                .get(name)
                .ok_or_else(|| OpError::invalid(format!("the weights file has no tensor `{name}`")))
                .and_then(|t| t.to_device(device).map_err(nn_err))
                .and_then(|t| Var::from_tensor(&t).map_err(nn_err))
        };
        let n = config.units;
        let mut config = config;
        config.excitatory_fraction = None;
        Ok(Ctrnn {
            w_in: get("w_in")?,
            w_rec: get("w_rec")?,
            b: get("b")?,
            w_out: get("w_out")?,
            b_out: get("b_out")?,
            x0: get("x0")?,
            mask: Tensor::ones((n, n), DType::F32, device).map_err(nn_err)?,
            signs: None,
            device: device.clone(),
            allow_fused: true,
            behaviour: match &config.diffusion {
                Some(_) => Some(
                    weights
                        .get("behaviour")
                        .ok_or_else(|| {
                            OpError::invalid("a diffusion network's weights file has no `behaviour` tensor")
                        })?
                        .to_device(device)
                        .map_err(nn_err)?,
                ),
                None => None,
            },
            config,
        })
    }
}

#[cfg(test)]
mod gradient_check {
    //! Backpropagation through time checked against central finite differences, in f64.

    use super::*;
    use crate::definition::Definition;
    use crate::nn::loss;
    use crate::nn::loss::plain;
    use std::collections::BTreeMap;

    fn config(activation: Activation, dale: Option<f64>) -> CtrnnConfig {
        CtrnnConfig {
            units: 5,
            n_in: 2,
            n_out: 2,
            activation,
            tau: 0.1,
            dt: 0.02,
            g: 1.5,
            input_noise: 0.0,
            recurrent_noise: 0.0,
            learn_initial_state: true,
            excitatory_fraction: dale,
            density: 0.8,
            fixed: vec![],
            diffusion: None,
        }
    }

    fn loss_def() -> Definition {
        let term = |op: &str| Definition {
            op: op.into(),
            params: Default::default(),
            terms: vec![],
            refs: BTreeMap::new(),
        };
        Definition {
            op: "loss".into(),
            params: Default::default(),
            terms: vec![(1.0, term("mse")), (0.3, term("rate_l2"))],
            refs: BTreeMap::new(),
        }
    }

    fn check(activation: Activation, dale: Option<f64>) {
        let device = Device::Cpu;
        let mut rng = Rng::derive(11, "grad");
        let mut net = Ctrnn::init(config(activation, dale), &mut rng, &device)
            .unwrap()
            .to_dtype(DType::F64)
            .unwrap();
        // A non-zero initial state and bias, so that every path carries gradient.
        net.x0 = Var::from_tensor(&Tensor::new(&[[0.3f64, -0.2, 0.5, 0.1, -0.4]], &device).unwrap()).unwrap();
        net.b = Var::from_tensor(&Tensor::new(&[[0.1f64, -0.1, 0.2, 0.0, 0.05]], &device).unwrap()).unwrap();
        let (b, t) = (3, 6);
        let inputs: Vec<f64> = (0..b * t * 2).map(|i| ((i * 7 % 11) as f64 / 5.0) - 1.0).collect();
        let targets: Vec<f64> = (0..b * t * 2).map(|i| ((i * 3 % 7) as f64 / 4.0) - 0.5).collect();
        let mask: Vec<f64> = (0..b * t * 2)
            .map(|i| if (i / 2) % t >= 2 { 1.0 } else { 0.0 })
            .collect();
        let inputs = Tensor::from_vec(inputs, (b, t, 2), &device).unwrap();
        let targets = Tensor::from_vec(targets, (b, t, 2), &device).unwrap();
        let mask = Tensor::from_vec(mask, (b, t, 2), &device).unwrap();
        let def = loss::Loss::parse(&loss_def()).unwrap();
        let value = |net: &Ctrnn| -> f64 {
            let rollout = net
                .forward(&inputs, Noise::default(), &mut Rng::derive(0, "none"))
                .unwrap();
            let terms = loss::evaluate(&def, net, &rollout, &plain(&targets, &mask)).unwrap();
            loss::total(&terms).unwrap().to_scalar::<f64>().unwrap()
        };
        let rollout = net
            .forward(&inputs, Noise::default(), &mut Rng::derive(0, "none"))
            .unwrap();
        let terms = loss::evaluate(&def, &net, &rollout, &plain(&targets, &mask)).unwrap();
        let grads = loss::total(&terms).unwrap().backward().unwrap();
        let eps = 1e-6;
        for var in [&net.w_rec, &net.w_in, &net.w_out, &net.b, &net.x0] {
            let analytic: Vec<f64> = grads
                .get(var.as_tensor())
                .unwrap()
                .flatten_all()
                .unwrap()
                .to_vec1()
                .unwrap();
            let base: Vec<f64> = var.as_tensor().flatten_all().unwrap().to_vec1().unwrap();
            let shape = var.as_tensor().shape().clone();
            for k in 0..base.len() {
                let mut nudged = base.clone();
                nudged[k] = base[k] + eps;
                var.set(&Tensor::from_vec(nudged.clone(), shape.clone(), &device).unwrap())
                    .unwrap();
                let up = value(&net);
                nudged[k] = base[k] - eps;
                var.set(&Tensor::from_vec(nudged, shape.clone(), &device).unwrap())
                    .unwrap();
                let down = value(&net);
                var.set(&Tensor::from_vec(base.clone(), shape.clone(), &device).unwrap())
                    .unwrap();
                let numeric = (up - down) / (2.0 * eps);
                let scale = numeric.abs().max(analytic[k].abs()).max(1e-6);
                assert!(
                    (numeric - analytic[k]).abs() / scale < 1e-5,
                    "{activation:?}: d/dw[{k}] analytic {} numeric {numeric}",
                    analytic[k]
                );
            }
        }
    }

    #[test]
    fn bptt_matches_finite_differences_for_tanh() {
        check(Activation::Tanh, None);
    }

    #[test]
    fn bptt_matches_finite_differences_for_softplus_with_dales_law() {
        check(Activation::Softplus, Some(0.6));
    }
}

#[cfg(test)]
mod fused_agrees {
    //! The fused CPU recurrence against op-by-op autograd: same outputs, same gradients (f32).

    use super::*;
    use crate::definition::Definition;
    use crate::nn::loss;
    use crate::nn::loss::plain;
    use std::collections::BTreeMap;

    fn run(net: &Ctrnn, fused: bool) -> (Vec<f32>, Vec<Vec<f32>>) {
        let mut net_view = net.to_dtype(DType::F32).unwrap();
        net_view.allow_fused = fused;
        let device = Device::Cpu;
        let (b, t, n_in, n_out) = (4, 9, 3, 2);
        let mut rng = Rng::derive(5, "data");
        let random = |rng: &mut Rng, k: usize| (0..k).map(|_| rng.normal() as f32).collect::<Vec<f32>>();
        let inputs = Tensor::from_vec(random(&mut rng, b * t * n_in), (b, t, n_in), &device).unwrap();
        let targets = Tensor::from_vec(random(&mut rng, b * t * n_out), (b, t, n_out), &device).unwrap();
        let mask = Tensor::ones((b, t, n_out), DType::F32, &device).unwrap();
        let term = |op: &str| Definition {
            op: op.into(),
            params: Default::default(),
            terms: vec![],
            refs: BTreeMap::new(),
        };
        let def = Definition {
            op: "loss".into(),
            params: Default::default(),
            terms: vec![(1.0, term("mse")), (0.5, term("rate_l2"))],
            refs: BTreeMap::new(),
        };
        let def = loss::Loss::parse(&def).unwrap();
        let rollout = net_view
            .forward(&inputs, Noise::default(), &mut Rng::derive(0, "n"))
            .unwrap();
        let total = loss::total(&loss::evaluate(&def, &net_view, &rollout, &plain(&targets, &mask)).unwrap()).unwrap();
        let grads = total.backward().unwrap();
        let outputs = rollout.outputs.flatten_all().unwrap().to_vec1().unwrap();
        let g = [
            &net_view.w_rec,
            &net_view.w_in,
            &net_view.w_out,
            &net_view.b,
            &net_view.x0,
        ]
        .iter()
        .map(|v| {
            grads
                .get(v.as_tensor())
                .unwrap()
                .flatten_all()
                .unwrap()
                .to_vec1()
                .unwrap()
        })
        .collect();
        (outputs, g)
    }

    #[test]
    fn fused_and_autograd_agree_for_every_activation() {
        for activation in Activation::ALL {
            let config = CtrnnConfig {
                units: 7,
                n_in: 3,
                n_out: 2,
                activation,
                tau: 0.1,
                dt: 0.02,
                g: 1.3,
                input_noise: 0.0,
                recurrent_noise: 0.0,
                learn_initial_state: true,
                excitatory_fraction: Some(0.7),
                density: 0.9,
                fixed: vec![],
                diffusion: None,
            };
            let mut net = Ctrnn::init(config, &mut Rng::derive(9, "init"), &Device::Cpu).unwrap();
            net.x0 =
                Var::from_tensor(&Tensor::new(&[[0.2f32, -0.5, 0.1, 0.4, -0.3, 0.6, 0.05]], &Device::Cpu).unwrap())
                    .unwrap();
            let (out_f, grad_f) = run(&net, true);
            let (out_a, grad_a) = run(&net, false);
            for (x, y) in out_f.iter().zip(&out_a) {
                assert!((x - y).abs() < 1e-5, "{activation:?}: output {x} vs {y}");
            }
            for (gf, ga) in grad_f.iter().zip(&grad_a) {
                let scale = ga.iter().map(|v| v.abs()).fold(1e-6, f32::max);
                for (x, y) in gf.iter().zip(ga) {
                    assert!((x - y).abs() / scale < 1e-4, "{activation:?}: gradient {x} vs {y}");
                }
            }
        }
    }
}
