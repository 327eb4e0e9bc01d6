//! Rate nonlinearities phi as scalar functions, with their derivatives.

/// The activations a `ctrnn` may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activation {
    Tanh,
    Relu,
    Softplus,
    Sigmoid,
    RectifiedTanh,
    Linear,
}

impl Activation {
    /// Every activation, in declaration order.
    pub const ALL: [Activation; 6] = [
        Activation::Tanh,
        Activation::Relu,
        Activation::Softplus,
        Activation::Sigmoid,
        Activation::RectifiedTanh,
        Activation::Linear,
    ];

    pub fn from_name(name: &str) -> Option<Activation> {
        Some(match name {
            "tanh" => Activation::Tanh,
            "relu" => Activation::Relu,
            "softplus" => Activation::Softplus,
            "sigmoid" => Activation::Sigmoid,
            "rectified_tanh" => Activation::RectifiedTanh,
            "linear" => Activation::Linear,
            _ => return None,
        })
    }

    pub fn apply(self, x: f64) -> f64 {
        match self {
            Activation::Tanh => x.tanh(),
            Activation::Relu => x.max(0.0),
            // log(1 + e^x) = max(x, 0) + log(1 + e^-|x|), which never overflows.
            Activation::Softplus => x.max(0.0) + (-x.abs()).exp().ln_1p(),
            Activation::Sigmoid => 1.0 / (1.0 + (-x).exp()),
            Activation::RectifiedTanh => x.tanh().max(0.0),
            Activation::Linear => x,
        }
    }

    /// d phi / dx; at the kinks of relu and rectified tanh the derivative is taken as 0.
    pub fn derivative(self, x: f64) -> f64 {
        match self {
            Activation::Tanh => 1.0 - x.tanh().powi(2),
            Activation::Relu => {
                if x > 0.0 {
                    1.0
                } else {
                    0.0
                }
            }
            Activation::Softplus | Activation::Sigmoid => {
                let s = 1.0 / (1.0 + (-x).exp());
                if self == Activation::Softplus { s } else { s * (1.0 - s) }
            }
            Activation::RectifiedTanh => {
                if x > 0.0 {
                    1.0 - x.tanh().powi(2)
                } else {
                    0.0
                }
            }
            Activation::Linear => 1.0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derivatives_match_finite_differences() {
        let all = Activation::ALL;
        for a in all {
            for &x in &[-2.0, -0.3, 0.4, 1.7, 30.0, -30.0] {
                let h = 1e-6;
                let numeric = (a.apply(x + h) - a.apply(x - h)) / (2.0 * h);
                assert!((numeric - a.derivative(x)).abs() < 1e-6, "{a:?} at {x}");
            }
        }
        assert_eq!(Activation::Softplus.apply(1000.0), 1000.0);
        assert_eq!(Activation::from_name("softplus"), Some(Activation::Softplus));
    }
}
