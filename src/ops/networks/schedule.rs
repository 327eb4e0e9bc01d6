//! Learning-rate schedules.

/// The learning rate at `step` (0-based) of `steps`.
pub fn learning_rate(schedule: &str, base: f64, step: usize, steps: usize, warmup: usize) -> f64 {
    if step < warmup {
        return base * (step + 1) as f64 / warmup as f64;
    }
    let progress = (step - warmup) as f64 / (steps.saturating_sub(warmup)).max(1) as f64;
    match schedule {
        // Cosine decay to a tenth of the base rate.
        "cosine" => base * (0.1 + 0.9 * 0.5 * (1.0 + (std::f64::consts::PI * progress).cos())),
        // Halves the rate at 50 % and again at 75 % of training.
        "step" => {
            base * if progress >= 0.75 {
                0.25
            } else if progress >= 0.5 {
                0.5
            } else {
                1.0
            }
        }
        _ => base,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules_have_their_shapes() {
        assert_eq!(learning_rate("constant", 1e-3, 50, 100, 0), 1e-3);
        assert!((learning_rate("cosine", 1.0, 0, 100, 0) - 1.0).abs() < 1e-12);
        assert!((learning_rate("cosine", 1.0, 100, 100, 0) - 0.1).abs() < 1e-12);
        assert_eq!(learning_rate("step", 1.0, 80, 100, 0), 0.25);
        assert_eq!(learning_rate("constant", 1.0, 0, 100, 4), 0.25);
    }
}
