//! Resolved parameter values: what operators receive after checking, and what cache keys hash.

use crate::units::Dimension;
use std::collections::BTreeMap;
use std::fmt;

/// A checked, unit-resolved value. Quantities are stored in SI units, so `500 ms` and `0.5 s` are equal.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Value {
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    /// One of an enumeration's names, such as `tanh`.
    Enum(String),
    Quantity {
        si: f64,
        dim: Dimension,
    },
    List(Vec<Value>),
    Block(BTreeMap<String, Value>),
}

impl Value {
    /// Feeds a canonical, unambiguous encoding of the value to a hasher. Floats are hashed by bit pattern.
    pub fn hash_into(&self, hasher: &mut blake3::Hasher) {
        match self {
            Value::Bool(b) => {
                hasher.update(b"b");
                hasher.update(&[*b as u8]);
            }
            Value::Int(i) => {
                hasher.update(b"i");
                hasher.update(&i.to_le_bytes());
            }
            Value::Float(x) => {
                hasher.update(b"f");
                hasher.update(&canonical_bits(*x).to_le_bytes());
            }
            Value::Str(s) => {
                hasher.update(b"s");
                hash_str(hasher, s);
            }
            Value::Enum(s) => {
                hasher.update(b"e");
                hash_str(hasher, s);
            }
            Value::Quantity { si, dim } => {
                hasher.update(b"q");
                hash_str(hasher, dim.si_unit());
                hasher.update(&canonical_bits(*si).to_le_bytes());
            }
            Value::List(items) => {
                hasher.update(b"l");
                hasher.update(&(items.len() as u64).to_le_bytes());
                for item in items {
                    item.hash_into(hasher);
                }
            }
            Value::Block(entries) => {
                hasher.update(b"k");
                hasher.update(&(entries.len() as u64).to_le_bytes());
                for (key, value) in entries {
                    hash_str(hasher, key);
                    value.hash_into(hasher);
                }
            }
        }
    }

    /// The value as a float, for numeric parameters (ints widen, quantities give their SI value).
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Int(i) => Some(*i as f64),
            Value::Float(x) => Some(*x),
            Value::Quantity { si, .. } => Some(*si),
            _ => None,
        }
    }
}

/// Hashes a length-prefixed string, so that concatenations cannot collide.
pub fn hash_str(hasher: &mut blake3::Hasher, s: &str) {
    hasher.update(&(s.len() as u64).to_le_bytes());
    hasher.update(s.as_bytes());
}

/// `-0.0` and `0.0` are the same parameter; every NaN is the same NaN.
fn canonical_bits(x: f64) -> u64 {
    if x == 0.0 {
        0
    } else if x.is_nan() {
        f64::NAN.to_bits()
    } else {
        x.to_bits()
    }
}

/// Formats a float the shortest way that reads back to the same number.
pub fn format_float(x: f64) -> String {
    if x.is_finite() && x == x.trunc() && x.abs() < 1e15 {
        format!("{x:.0}")
    } else {
        format!("{x}")
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Float(x) => f.write_str(&format_float(*x)),
            Value::Str(s) => write!(f, "{s:?}"),
            Value::Enum(s) => f.write_str(s),
            Value::Quantity { si, dim } => match dim {
                Dimension::Time if si.abs() < 1.0 && *si != 0.0 => {
                    write!(f, "{} ms", format_float(si * 1e3))
                }
                _ => write!(f, "{} {}", format_float(*si), dim.si_unit()),
            },
            Value::List(items) => {
                f.write_str("[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str("]")
            }
            Value::Block(entries) => {
                f.write_str("{")?;
                for (key, value) in entries {
                    write!(f, " {key} = {value}")?;
                }
                f.write_str(" }")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(v: &Value) -> blake3::Hash {
        let mut h = blake3::Hasher::new();
        v.hash_into(&mut h);
        h.finalize()
    }

    #[test]
    fn equal_quantities_hash_equal_and_kinds_do_not_collide() {
        let a = Value::Quantity {
            si: 0.5,
            dim: Dimension::Time,
        };
        assert_eq!(key(&a), key(&a.clone()));
        assert_ne!(key(&Value::Int(1)), key(&Value::Float(1.0)));
        assert_ne!(key(&Value::Str("tanh".into())), key(&Value::Enum("tanh".into())));
        assert_eq!(key(&Value::Float(0.0)), key(&Value::Float(-0.0)));
        let ab = Value::List(vec![Value::Str("a".into()), Value::Str("b".into())]);
        let a_b = Value::List(vec![Value::Str("ab".into())]);
        assert_ne!(key(&ab), key(&a_b));
    }

    #[test]
    fn display_reads_like_the_source() {
        assert_eq!(
            Value::Quantity {
                si: 0.5,
                dim: Dimension::Time
            }
            .to_string(),
            "500 ms"
        );
        assert_eq!(Value::Float(1e-3).to_string(), "0.001");
        assert_eq!(Value::Float(3.0).to_string(), "3");
    }
}
