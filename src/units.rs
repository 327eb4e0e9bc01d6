//! Physical units of quantities in `.rnx` files and their conversion to SI.

use std::fmt;

/// What a quantity measures. A parameter accepts exactly one dimension.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
pub enum Dimension {
    /// Durations: `ms`, `s`. Stored in seconds.
    Time,
    /// Rates: `Hz`. Stored in hertz.
    Frequency,
    /// Angles: `deg`, `rad`. Stored in radians.
    Angle,
    /// A count of simulation steps: `steps`.
    Steps,
}

impl Dimension {
    /// The unit values of this dimension are stored in, used when printing them.
    pub fn si_unit(self) -> &'static str {
        match self {
            Dimension::Time => "s",
            Dimension::Frequency => "Hz",
            Dimension::Angle => "rad",
            Dimension::Steps => "steps",
        }
    }

    /// The units a user may write for this dimension, for help messages.
    pub fn units(self) -> &'static [&'static str] {
        match self {
            Dimension::Time => &["ms", "s"],
            Dimension::Frequency => &["Hz"],
            Dimension::Angle => &["deg", "rad"],
            Dimension::Steps => &["steps"],
        }
    }
}

impl fmt::Display for Dimension {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            Dimension::Time => "a duration",
            Dimension::Frequency => "a frequency",
            Dimension::Angle => "an angle",
            Dimension::Steps => "a number of steps",
        };
        f.write_str(name)
    }
}

/// What a unit written after a number means.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum UnitMeaning {
    /// A unit of a dimension, with the factor that converts it to the SI unit.
    Of(Dimension, f64),
    /// `%`: a plain number divided by 100.
    Percent,
}

/// Looks up a unit as the grammar accepts it.
pub fn unit_meaning(unit: &str) -> Option<UnitMeaning> {
    Some(match unit {
        "ms" => UnitMeaning::Of(Dimension::Time, 1e-3),
        "s" => UnitMeaning::Of(Dimension::Time, 1.0),
        "Hz" => UnitMeaning::Of(Dimension::Frequency, 1.0),
        "deg" => UnitMeaning::Of(Dimension::Angle, std::f64::consts::PI / 180.0),
        "rad" => UnitMeaning::Of(Dimension::Angle, 1.0),
        "steps" => UnitMeaning::Of(Dimension::Steps, 1.0),
        "%" => UnitMeaning::Percent,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_unit_is_known_and_has_its_dimension() {
        for dim in [
            Dimension::Time,
            Dimension::Frequency,
            Dimension::Angle,
            Dimension::Steps,
        ] {
            for unit in dim.units() {
                match unit_meaning(unit) {
                    Some(UnitMeaning::Of(d, _)) => assert_eq!(d, dim, "{unit}"),
                    other => panic!("{unit} resolves to {other:?}"),
                }
            }
        }
        assert_eq!(unit_meaning("%"), Some(UnitMeaning::Percent));
        assert_eq!(unit_meaning("kg"), None);
    }
}
