//! Operator schemas: the parameters, inputs and output tables each operator declares.
//!
//! The checker validates `.rnx` files against these; `rnx ops` prints them. Defaults are written
//! as `.rnx` source text and checked like user input, so a default can never disagree with its type.

use crate::units::Dimension;
use std::fmt;

/// The seven kinds of declaration. The first three are definitions, the others stages; a
/// `claim` is a stage that states whether a scientific claim holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
pub enum DeclKind {
    Task,
    Model,
    Loss,
    Data,
    Train,
    Analysis,
    Claim,
}

impl DeclKind {
    pub const ALL: [DeclKind; 7] = [
        DeclKind::Task,
        DeclKind::Model,
        DeclKind::Loss,
        DeclKind::Data,
        DeclKind::Train,
        DeclKind::Analysis,
        DeclKind::Claim,
    ];

    /// Definitions are configuration hashed into the stages that use them; stages run and write tables.
    pub fn is_stage(self) -> bool {
        matches!(
            self,
            DeclKind::Data | DeclKind::Train | DeclKind::Analysis | DeclKind::Claim
        )
    }

    pub fn keyword(self) -> &'static str {
        match self {
            DeclKind::Task => "task",
            DeclKind::Model => "model",
            DeclKind::Loss => "loss",
            DeclKind::Data => "data",
            DeclKind::Train => "train",
            DeclKind::Analysis => "analysis",
            DeclKind::Claim => "claim",
        }
    }

    pub fn from_keyword(word: &str) -> Option<DeclKind> {
        DeclKind::ALL.into_iter().find(|k| k.keyword() == word)
    }
}

impl fmt::Display for DeclKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.keyword())
    }
}

/// The type of a parameter.
#[derive(Debug, Clone, Copy)]
pub enum ParamType {
    Bool,
    Int {
        min: i64,
        max: i64,
    },
    Float {
        min: f64,
        max: f64,
    },
    /// A number with a unit of the given dimension, stored in SI units.
    Quantity {
        dim: Dimension,
        min: f64,
        max: f64,
    },
    Str,
    /// A file path, relative to the `.rnx` file that names it. The cache key hashes the file's
    /// content, not its name, so moving the file changes nothing and editing it reruns the stage.
    Path,
    /// One identifier out of a fixed set.
    Enum(&'static [&'static str]),
    List(&'static ParamType),
    /// A nested block with its own parameters.
    Block(&'static [ParamSpec]),
    /// A block whose entries the schema does not name: any names, each value a number, quantity
    /// (stored in SI), string, boolean, or a list or block of those. For parameters an operator
    /// passes on uninterpreted, such as a `script`'s `params`.
    FreeBlock,
}

impl ParamType {
    pub const fn int(min: i64, max: i64) -> ParamType {
        ParamType::Int { min, max }
    }
    pub const fn float(min: f64, max: f64) -> ParamType {
        ParamType::Float { min, max }
    }
    pub const fn time(min_s: f64, max_s: f64) -> ParamType {
        ParamType::Quantity {
            dim: Dimension::Time,
            min: min_s,
            max: max_s,
        }
    }
    pub const fn angle(min_rad: f64, max_rad: f64) -> ParamType {
        ParamType::Quantity {
            dim: Dimension::Angle,
            min: min_rad,
            max: max_rad,
        }
    }
}

impl fmt::Display for ParamType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParamType::Bool => f.write_str("a boolean"),
            ParamType::Int { min, max } if *min == i64::MIN && *max == i64::MAX => f.write_str("an integer"),
            ParamType::Int { min, max } => write!(f, "an integer in [{min}, {}]", fmt_int_bound(*max)),
            ParamType::Float { min, max } if min.is_infinite() && max.is_infinite() => f.write_str("a number"),
            ParamType::Float { min, max } => write!(f, "a number in [{}, {}]", fmt_bound(*min), fmt_bound(*max)),
            ParamType::Quantity { dim, min, max } => {
                write!(
                    f,
                    "{dim} ({}) in [{}, {}] {}",
                    dim.units().join(", "),
                    fmt_bound(*min),
                    fmt_bound(*max),
                    dim.si_unit()
                )
            }
            ParamType::Str => f.write_str("a string"),
            ParamType::Path => f.write_str("a file path"),
            ParamType::Enum(names) => write!(f, "one of {}", names.join(" | ")),
            ParamType::List(inner) => write!(f, "a list of ({inner})"),
            ParamType::Block(_) => f.write_str("a block"),
            ParamType::FreeBlock => {
                f.write_str("a block of any entries (numbers, quantities, strings, booleans, lists, blocks)")
            }
        }
    }
}

fn fmt_bound(x: f64) -> String {
    if x.is_infinite() {
        if x > 0.0 { "inf".into() } else { "-inf".into() }
    } else {
        crate::value::format_float(x)
    }
}

fn fmt_int_bound(x: i64) -> String {
    if x == i64::MAX { "inf".into() } else { x.to_string() }
}

/// One parameter of an operator.
#[derive(Debug, Clone, Copy)]
pub struct ParamSpec {
    pub name: &'static str,
    pub ty: ParamType,
    /// The default as `.rnx` source text; `None` makes the parameter required.
    pub default: Option<&'static str>,
    pub doc: &'static str,
}

impl ParamSpec {
    pub const fn new(name: &'static str, ty: ParamType, default: &'static str, doc: &'static str) -> ParamSpec {
        ParamSpec {
            name,
            ty,
            default: Some(default),
            doc,
        }
    }
    pub const fn required(name: &'static str, ty: ParamType, doc: &'static str) -> ParamSpec {
        ParamSpec {
            name,
            ty,
            default: None,
            doc,
        }
    }
}

/// One input of an operator: a reference to another declaration.
#[derive(Debug, Clone, Copy)]
pub struct InputSpec {
    pub name: &'static str,
    /// The declaration kinds this input accepts.
    pub accepts: &'static [DeclKind],
    pub required: bool,
    /// Whether the input takes a whole sweep family (`fit[*]`) rather than one instance.
    pub many: bool,
    pub doc: &'static str,
    /// The tables (and their columns) the operator reads from this input, checked against what
    /// the input writes before anything runs. Reads that depend on parameters are the
    /// operator's `StageOp::reads`.
    pub reads: &'static [TableNeed],
}

impl InputSpec {
    /// The one `task` input of an analysis that runs a network on that task.
    pub const fn task(doc: &'static str) -> InputSpec {
        InputSpec {
            name: "task",
            accepts: &[DeclKind::Task],
            required: true,
            many: false,
            doc,
            reads: &[],
        }
    }
}

/// A table an operator reads from one of its inputs, with the columns it needs.
#[derive(Debug, Clone, Copy)]
pub struct TableNeed {
    pub table: &'static str,
    pub columns: &'static [ColumnNeed],
    /// Not needed from an input that writes this file instead (a network's weights).
    pub unless_file: Option<&'static str>,
}

/// A column an operator needs, by name and the kind of values it must hold.
#[derive(Debug, Clone, Copy)]
pub struct ColumnNeed {
    pub name: &'static str,
    pub kind: ColumnKind,
}

impl ColumnNeed {
    /// A column of numbers (integers or floats).
    pub const fn number(name: &'static str) -> ColumnNeed {
        ColumnNeed {
            name,
            kind: ColumnKind::Number,
        }
    }
}

/// What kind of values a column holds, as far as an operator that reads it cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    /// Integers or floats.
    Number,
    Text,
    Bool,
    /// Anything else (lists, dates, ...).
    Other,
}

impl ColumnKind {
    /// The kind of an Arrow type name as `ColumnSpec::ty` writes it.
    pub fn of_type_name(ty: &str) -> ColumnKind {
        match ty {
            "int8" | "int16" | "int32" | "int64" | "uint8" | "uint16" | "uint32" | "uint64" | "float16" | "float32"
            | "float64" => ColumnKind::Number,
            "utf8" | "large_utf8" => ColumnKind::Text,
            "bool" | "boolean" => ColumnKind::Bool,
            _ => ColumnKind::Other,
        }
    }
}

impl fmt::Display for ColumnKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ColumnKind::Number => "numbers",
            ColumnKind::Text => "text",
            ColumnKind::Bool => "booleans",
            ColumnKind::Other => "values of another type",
        })
    }
}

/// One column of an output table.
#[derive(Debug, Clone, Copy)]
pub struct ColumnSpec {
    pub name: &'static str,
    /// Arrow type name as written to Parquet: `int64`, `float64`, `utf8`, ...
    pub ty: &'static str,
    pub doc: &'static str,
}

/// One output file of a stage: a Parquet table (with columns) or another file such as weights.
#[derive(Debug, Clone, Copy)]
pub struct OutputSpec {
    pub name: &'static str,
    pub doc: &'static str,
    /// Columns every instance writes. Sweep coordinates are added in front; operators may add
    /// further columns whose names depend on parameters (documented in `doc`).
    pub columns: &'static [ColumnSpec],
}

/// The full description of an operator.
#[derive(Debug, Clone, Copy)]
pub struct OpSchema {
    pub name: &'static str,
    /// The declaration kinds it may appear in (`loss` terms use `Loss`).
    pub kinds: &'static [DeclKind],
    /// Bumped whenever the operator's output could change for the same inputs; part of the cache key.
    pub version: u32,
    pub doc: &'static str,
    pub inputs: &'static [InputSpec],
    pub params: &'static [ParamSpec],
    pub outputs: &'static [OutputSpec],
}

impl OpSchema {
    pub fn param(&self, name: &str) -> Option<&ParamSpec> {
        self.params.iter().find(|p| p.name == name)
    }
    pub fn input(&self, name: &str) -> Option<&InputSpec> {
        self.inputs.iter().find(|i| i.name == name)
    }
}
