//! Typed access to an operator's checked parameters.

use crate::op_error::OpError;
use crate::value::Value;
use std::collections::BTreeMap;

/// The parameters of one declaration instance, with defaults filled in and sweeps resolved.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Params {
    values: BTreeMap<String, Value>,
}

impl Params {
    pub fn new(values: BTreeMap<String, Value>) -> Params {
        Params { values }
    }

    /// The same parameters with `name` set to `value` (for tests and programmatic use).
    pub fn with(mut self, name: &str, value: Value) -> Params {
        self.values.insert(name.to_string(), value);
        self
    }

    pub fn iter(&self) -> impl Iterator<Item = (&String, &Value)> {
        self.values.iter()
    }

    /// Removes a parameter and returns it.
    pub fn take(&mut self, name: &str) -> Option<Value> {
        self.values.remove(name)
    }

    pub fn get(&self, name: &str) -> Option<&Value> {
        self.values.get(name)
    }

    pub fn into_map(self) -> BTreeMap<String, Value> {
        self.values
    }

    fn require(&self, name: &str) -> Result<&Value, OpError> {
        self.values
            .get(name)
            .ok_or_else(|| OpError::internal(format!("parameter `{name}` is missing after checking")))
    }

    fn wrong(name: &str, want: &str, got: &Value) -> OpError {
        OpError::internal(format!("parameter `{name}` should be {want}, found {got}"))
    }

    /// Any numeric parameter as a float; quantities give their SI value (seconds, radians, hertz).
    pub fn f64(&self, name: &str) -> Result<f64, OpError> {
        let v = self.require(name)?;
        v.as_f64().ok_or_else(|| Self::wrong(name, "a number", v))
    }

    pub fn i64(&self, name: &str) -> Result<i64, OpError> {
        match self.require(name)? {
            Value::Int(i) => Ok(*i),
            Value::Quantity {
                si,
                dim: crate::units::Dimension::Steps,
            } => Ok(*si as i64),
            v => Err(Self::wrong(name, "an integer", v)),
        }
    }

    pub fn usize(&self, name: &str) -> Result<usize, OpError> {
        let i = self.i64(name)?;
        usize::try_from(i).map_err(|_| OpError::internal(format!("parameter `{name}` = {i} is negative")))
    }

    pub fn bool(&self, name: &str) -> Result<bool, OpError> {
        match self.require(name)? {
            Value::Bool(b) => Ok(*b),
            v => Err(Self::wrong(name, "a boolean", v)),
        }
    }

    /// A string or enumeration parameter.
    pub fn str(&self, name: &str) -> Result<&str, OpError> {
        match self.require(name)? {
            Value::Str(s) | Value::Enum(s) => Ok(s),
            v => Err(Self::wrong(name, "a string", v)),
        }
    }

    pub fn list_f64(&self, name: &str) -> Result<Vec<f64>, OpError> {
        match self.require(name)? {
            Value::List(items) => items
                .iter()
                .map(|v| v.as_f64().ok_or_else(|| Self::wrong(name, "a list of numbers", v)))
                .collect(),
            v => Err(Self::wrong(name, "a list", v)),
        }
    }

    pub fn list_str(&self, name: &str) -> Result<Vec<String>, OpError> {
        match self.require(name)? {
            Value::List(items) => items
                .iter()
                .map(|v| match v {
                    Value::Str(s) => Ok(s.clone()),
                    other => Err(Self::wrong(name, "a list of strings", other)),
                })
                .collect(),
            v => Err(Self::wrong(name, "a list", v)),
        }
    }

    /// A nested block parameter, as its own parameter set.
    pub fn block(&self, name: &str) -> Result<Params, OpError> {
        match self.require(name)? {
            Value::Block(entries) => Ok(Params::new(entries.clone())),
            v => Err(Self::wrong(name, "a block", v)),
        }
    }

    /// Whether an optional parameter (one whose default is the empty string or list) was given.
    pub fn is_set(&self, name: &str) -> bool {
        match self.values.get(name) {
            None => false,
            Some(Value::Str(s)) => !s.is_empty(),
            Some(Value::List(items)) => !items.is_empty(),
            Some(_) => true,
        }
    }
}
