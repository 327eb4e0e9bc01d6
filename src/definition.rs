//! A resolved definition (`task`, `model`, `loss`): an operator's name, its checked parameters and
//! the definitions it references.
//!
//! It sits below `ops` and `nn` so that both may use it (`ops` re-exports it as `ops::Definition`).

use crate::params::Params;
use std::collections::BTreeMap;

/// A resolved definition (`task`, `model`, `loss`) with the definitions it references.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Definition {
    pub op: String,
    pub params: Params,
    /// For `loss` definitions: the terms, each an operator with its parameters and weight.
    pub terms: Vec<(f64, Definition)>,
    pub refs: BTreeMap<String, Definition>,
}
