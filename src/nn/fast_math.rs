//! Branch-free f32 exp and tanh that the compiler vectorises, for the fused CPU recurrence.
//!
//! libm's scalar `tanhf` costs several times PyTorch's vectorised one on the RNN's hot path.
//! These are accurate to a few units in the seventh digit, well below f32 training noise.

use crate::analysis::activation::Activation;

/// e^x for x <= 0 (inputs below -87 give e^-87): Cody-Waite reduction x = n ln2 + r, |r| <= ln2/2,
/// then a degree-7 Taylor polynomial for e^r, scaled by 2^n through the exponent bits.
#[inline(always)]
pub fn exp_nonpositive(x: f32) -> f32 {
    let x = x.max(-87.0);
    let n = (x * std::f32::consts::LOG2_E).round();
    // ln 2 split in two so that n * ln2 is exact in f32 for the n that occur here.
    let r = (x - n * 0.693_145_75) - n * 1.428_606_8e-6;
    let p = 1.0
        + r * (1.0
            + r * (0.5 + r * (1.0 / 6.0 + r * (1.0 / 24.0 + r * (1.0 / 120.0 + r * (1.0 / 720.0 + r / 5040.0))))));
    let scale = f32::from_bits(((n as i32 + 127) as u32) << 23);
    p * scale
}

/// tanh(x) = sign(x) (1 - e) / (1 + e), e = exp(-2|x|).
#[inline(always)]
pub fn tanh(x: f32) -> f32 {
    let e = exp_nonpositive(-2.0 * x.abs().min(10.0));
    ((1.0 - e) / (1.0 + e)).copysign(x)
}

/// phi(x) into `out`, elementwise.
pub fn activate(activation: Activation, x: &[f32], out: &mut [f32]) {
    match activation {
        Activation::Tanh => out.iter_mut().zip(x).for_each(|(o, &v)| *o = tanh(v)),
        Activation::Relu => out.iter_mut().zip(x).for_each(|(o, &v)| *o = v.max(0.0)),
        Activation::Softplus => out
            .iter_mut()
            .zip(x)
            .for_each(|(o, &v)| *o = v.max(0.0) + exp_nonpositive(-v.abs()).ln_1p()),
        Activation::Sigmoid => out.iter_mut().zip(x).for_each(|(o, &v)| {
            let e = exp_nonpositive(-v.abs());
            *o = if v >= 0.0 { 1.0 / (1.0 + e) } else { e / (1.0 + e) };
        }),
        Activation::RectifiedTanh => out.iter_mut().zip(x).for_each(|(o, &v)| *o = tanh(v).max(0.0)),
        Activation::Linear => out.copy_from_slice(x),
    }
}

/// phi'(x) from the rate r = phi(x) alone, elementwise into `out`. Every activation allows it:
/// tanh' = 1 - r^2, relu' = [r > 0], softplus' = sigmoid(x) = 1 - e^-r, sigmoid' = r (1 - r).
/// At the kink of relu and rectified tanh (x = 0, so r = 0) the derivative is taken as 0.
pub fn derivative_from_rate(activation: Activation, r: &[f32], out: &mut [f32]) {
    let it = out.iter_mut().zip(r);
    match activation {
        Activation::Tanh => it.for_each(|(o, &r)| *o = 1.0 - r * r),
        Activation::Relu => it.for_each(|(o, &r)| *o = if r > 0.0 { 1.0 } else { 0.0 }),
        Activation::Softplus => it.for_each(|(o, &r)| *o = 1.0 - exp_nonpositive(-r)),
        Activation::Sigmoid => it.for_each(|(o, &r)| *o = r * (1.0 - r)),
        Activation::RectifiedTanh => it.for_each(|(o, &r)| *o = if r > 0.0 { 1.0 - r * r } else { 0.0 }),
        Activation::Linear => it.for_each(|(o, _)| *o = 1.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_and_tanh_match_the_standard_library() {
        let mut worst_exp: f32 = 0.0;
        let mut worst_tanh: f32 = 0.0;
        for i in 0..200_000 {
            let x = -20.0 + 40.0 * i as f32 / 200_000.0;
            if x <= 0.0 {
                worst_exp = worst_exp.max((exp_nonpositive(x) - x.exp()).abs() / x.exp());
            }
            worst_tanh = worst_tanh.max((tanh(x) - x.tanh()).abs());
        }
        assert!(worst_exp < 5e-7, "relative exp error {worst_exp}");
        assert!(worst_tanh < 5e-7, "absolute tanh error {worst_tanh}");
        assert_eq!(tanh(0.0), 0.0);
        assert!(exp_nonpositive(-200.0) < 1e-37);
    }
}
