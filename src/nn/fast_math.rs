//! Branch-free f32 exp and tanh that the compiler vectorises, for the fused CPU recurrence.
//!
//! libm's scalar `tanhf` costs several times PyTorch's vectorised one on the RNN's hot path.
//! These are accurate to a few units in the seventh digit, well below f32 training noise. The
//! slice functions run 8 lanes wide where the CPU has AVX2 (detected at run time) and 4 wide
//! otherwise, with the same operations in the same order, so their results are the same bits.

use crate::numerics::activation::Activation;

/// `v.round()` (halves away from zero, up to the sign of a zero) for v <= 0 and |v| < 2^31,
/// without a libm call: truncation
/// through an integer conversion, then one step down where the dropped fraction is half or more.
#[inline(always)]
fn round_nonpositive(v: f32) -> f32 {
    let truncated = (v as i32) as f32;
    if v - truncated <= -0.5 {
        truncated - 1.0
    } else {
        truncated
    }
}

/// e^x for x <= 0 (inputs below -87 give e^-87): Cody-Waite reduction x = n ln2 + r, |r| <= ln2/2,
/// then a degree-7 Taylor polynomial for e^r, scaled by 2^n through the exponent bits.
#[inline(always)]
pub fn exp_nonpositive(x: f32) -> f32 {
    let x = x.max(-87.0);
    let n = round_nonpositive(x * std::f32::consts::LOG2_E);
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
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        #[target_feature(enable = "avx2")]
        fn wide(activation: Activation, x: &[f32], out: &mut [f32]) {
            activate_lanes(activation, x, out)
        }
        // SAFETY: the CPU supports AVX2, checked just above.
        return unsafe { wide(activation, x, out) };
    }
    activate_lanes(activation, x, out)
}

/// phi'(x) from the rate r = phi(x) alone, elementwise into `out` (see `derivative_lanes`).
pub fn derivative_from_rate(activation: Activation, r: &[f32], out: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        #[target_feature(enable = "avx2")]
        fn wide(activation: Activation, r: &[f32], out: &mut [f32]) {
            derivative_lanes(activation, r, out)
        }
        // SAFETY: the CPU supports AVX2, checked just above.
        return unsafe { wide(activation, r, out) };
    }
    derivative_lanes(activation, r, out)
}

/// `out *= phi'(x)`, elementwise, with phi'(x) from the rate r = phi(x) (see `derivative_lanes`).
pub fn scale_by_derivative(activation: Activation, r: &[f32], out: &mut [f32]) {
    const BLOCK: usize = 64;
    let mut slope = [0f32; BLOCK];
    for (r, out) in r.chunks(BLOCK).zip(out.chunks_mut(BLOCK)) {
        derivative_from_rate(activation, r, &mut slope[..r.len()]);
        out.iter_mut().zip(&slope).for_each(|(o, &s)| *o *= s);
    }
}

#[inline(always)]
fn activate_lanes(activation: Activation, x: &[f32], out: &mut [f32]) {
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
#[inline(always)]
fn derivative_lanes(activation: Activation, r: &[f32], out: &mut [f32]) {
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

    #[test]
    fn rounding_matches_the_standard_library_exactly() {
        let tricky = [-0.5f32, -0.49999997, -0.50000006, -1.5, -2.5, -0.0, -125.5, -3.4999998];
        for v in tricky.into_iter().chain((0..400_000).map(|i| -(i as f32) * 3.1e-4)) {
            // Equal as numbers: a zero's sign is lost, which n * ln2 and the exponent ignore.
            assert_eq!(round_nonpositive(v), v.round(), "{v}");
        }
    }

    #[test]
    fn wide_and_narrow_lanes_give_the_same_bits() {
        let x: Vec<f32> = (0..4099).map(|i| -12.0 + 24.0 * i as f32 / 4099.0).collect();
        for activation in Activation::ALL {
            let (mut wide, mut narrow) = (vec![0f32; x.len()], vec![0f32; x.len()]);
            activate(activation, &x, &mut wide);
            activate_lanes(activation, &x, &mut narrow);
            assert!(wide.iter().zip(&narrow).all(|(a, b)| a.to_bits() == b.to_bits()));
            let rates = narrow.clone();
            derivative_from_rate(activation, &rates, &mut wide);
            derivative_lanes(activation, &rates, &mut narrow);
            assert!(wide.iter().zip(&narrow).all(|(a, b)| a.to_bits() == b.to_bits()));
        }
    }
}
