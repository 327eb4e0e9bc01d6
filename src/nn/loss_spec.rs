//! A `loss` definition parsed once: each term's kind, weight and parameters, and the checks on
//! which terms `train` can compute together.

use super::loss_term::LossTerm;
use crate::definition::Definition;
use crate::op_error::OpError;

/// One term of a parsed loss: its kind, its weight and its definition (for its parameters).
#[derive(Debug, Clone)]
pub struct Term {
    pub kind: LossTerm,
    pub weight: f64,
    pub def: Definition,
}

/// A `loss` definition with each term's name parsed once into a `LossTerm`.
#[derive(Debug, Clone)]
pub struct Loss {
    pub terms: Vec<Term>,
}

impl Loss {
    /// Parses every term's name; an unknown one is an error listing the valid names.
    pub fn parse(def: &Definition) -> Result<Loss, OpError> {
        let terms = def
            .terms
            .iter()
            .map(|(weight, term)| {
                Ok(Term {
                    kind: LossTerm::parse(&term.op)?,
                    weight: *weight,
                    def: term.clone(),
                })
            })
            .collect::<Result<_, OpError>>()?;
        Ok(Loss { terms })
    }

    /// The terms of one kind.
    pub fn of(&self, kind: LossTerm) -> impl Iterator<Item = &Term> {
        self.terms.iter().filter(move |t| t.kind == kind)
    }

    /// Whether the loss has a term of this kind.
    pub fn has(&self, kind: LossTerm) -> bool {
        self.of(kind).next().is_some()
    }

    /// Whether the loss trains by denoising.
    pub fn is_diffusion(&self) -> bool {
        self.has(LossTerm::Diffusion)
    }

    /// Whether the loss fits recorded units.
    pub fn has_activity(&self) -> bool {
        self.has(LossTerm::Activity)
    }

    /// The labels of the terms, in order: `mse`, `rate_l2`, or `weight_l2#2` when repeated.
    pub fn labels(&self) -> Vec<String> {
        let mut labels = Vec::new();
        for (i, term) in self.terms.iter().enumerate() {
            let same: Vec<usize> = (0..self.terms.len())
                .filter(|&j| self.terms[j].kind == term.kind)
                .collect();
            labels.push(if same.len() == 1 {
                term.kind.name().to_string()
            } else {
                format!("{}#{}", term.kind, same.iter().position(|&j| j == i).unwrap_or(0) + 1)
            });
        }
        labels
    }

    /// Checks, before training, that the terms can be computed together, and that a `moments`
    /// term has repeated trials to take moments over.
    pub fn check_supported(&self, repeats: usize) -> Result<(), OpError> {
        use LossTerm::{Activity, Diffusion, Moments, Mse};
        if self.has(Diffusion) && (self.has(Mse) || self.has(Moments)) {
            return Err(OpError::invalid(
                "`diffusion` trains the response distribution by denoising; it cannot be combined with `mse` or `moments` in one loss",
            ));
        }
        if self.has(Diffusion) && self.has(Activity) {
            return Err(OpError::invalid(
                "`activity` fits recorded rates along free-running trajectories; it cannot be combined with `diffusion`, whose training pass is teacher-forced",
            ));
        }
        if self.of(Activity).count() > 1 {
            return Err(OpError::invalid("a loss can hold one `activity` term"));
        }
        if self.of(Diffusion).count() > 1 {
            return Err(OpError::invalid("a loss can hold one `diffusion` term"));
        }
        if self.has(Moments) && repeats < 2 {
            return Err(OpError::invalid(
                "the `moments` term needs `repeats` of at least 2 in the `train` stage: moments are taken over repeats of a trial",
            ));
        }
        Ok(())
    }
}
