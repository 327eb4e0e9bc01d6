//! The loss terms `train` computes, named once: a term's operator name parsed into `LossTerm`.

use crate::op_error::OpError;

/// One kind of loss term, as a `loss` definition's terms name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LossTerm {
    /// Masked mean squared error against the task's targets.
    Mse,
    /// Mean squared rate.
    RateL2,
    /// Squared weights of the chosen groups.
    WeightL2,
    /// The denoising loss of a diffusion training pass.
    Diffusion,
    /// Moments of the outputs over repeats of a trial.
    Moments,
    /// Recorded units' rates.
    Activity,
}

impl LossTerm {
    /// Every term, in the order their names are listed.
    pub const ALL: [LossTerm; 6] = [
        LossTerm::Mse,
        LossTerm::RateL2,
        LossTerm::WeightL2,
        LossTerm::Diffusion,
        LossTerm::Moments,
        LossTerm::Activity,
    ];

    /// The operator name a `loss` definition writes.
    pub fn name(self) -> &'static str {
        match self {
            LossTerm::Mse => "mse",
            LossTerm::RateL2 => "rate_l2",
            LossTerm::WeightL2 => "weight_l2",
            LossTerm::Diffusion => "diffusion",
            LossTerm::Moments => "moments",
            LossTerm::Activity => "activity",
        }
    }

    /// The term named `name`, or an error listing the terms `train` knows.
    pub fn parse(name: &str) -> Result<LossTerm, OpError> {
        LossTerm::ALL.into_iter().find(|t| t.name() == name).ok_or_else(|| {
            let valid: Vec<&str> = LossTerm::ALL.iter().map(|t| t.name()).collect();
            OpError::invalid(format!(
                "the loss term `{name}` is not supported by `train` (valid terms: {})",
                valid.join(", ")
            ))
        })
    }
}

impl std::fmt::Display for LossTerm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::LossTerm;

    #[test]
    fn every_name_parses_back_to_its_term() {
        for term in LossTerm::ALL {
            assert_eq!(LossTerm::parse(term.name()).ok(), Some(term));
        }
    }

    #[test]
    fn an_unknown_name_lists_the_valid_ones() {
        let Err(e) = LossTerm::parse("mae") else {
            panic!("`mae` is no loss term")
        };
        let text = e.to_string();
        assert!(text.contains("`mae`"), "{text}");
        assert!(
            text.contains("mse, rate_l2, weight_l2, diffusion, moments, activity"),
            "{text}"
        );
    }
}
