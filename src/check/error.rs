//! Check errors: every mistake the checker can find, each with a span and, where known, a fix.

use miette::{Diagnostic, SourceSpan};

#[derive(Debug, Clone, thiserror::Error, Diagnostic)]
pub enum CheckError {
    #[error("{message}")]
    #[diagnostic(code(rnx::check::not_in_task))]
    NotInTask {
        message: String,
        #[label("{label}")]
        at: SourceSpan,
        label: String,
        #[help]
        help: Option<String>,
    },

    #[error("{message}")]
    #[diagnostic(code(rnx::check::table))]
    Table {
        message: String,
        #[label("{label}")]
        at: SourceSpan,
        label: String,
        #[help]
        help: Option<String>,
    },

    #[error("{message}")]
    #[diagnostic(code(rnx::check::task))]
    Task {
        message: String,
        #[label("{label}")]
        at: SourceSpan,
        label: String,
        #[help]
        help: Option<String>,
    },

    #[error("unknown operator `{name}`")]
    #[diagnostic(code(rnx::check::unknown_operator))]
    UnknownOperator {
        name: String,
        #[label("no {kind} operator has this name")]
        at: SourceSpan,
        kind: String,
        #[help]
        help: Option<String>,
    },

    #[error("`{op}` cannot be used in a `{kind}` declaration")]
    #[diagnostic(code(rnx::check::operator_kind))]
    OperatorKind {
        op: String,
        kind: String,
        #[label("this is a {allowed} operator")]
        at: SourceSpan,
        allowed: String,
        #[help]
        help: Option<String>,
    },

    #[error("`{op}` has no parameter `{name}`")]
    #[diagnostic(code(rnx::check::unknown_parameter))]
    UnknownParameter {
        op: String,
        name: String,
        #[label("unknown parameter")]
        at: SourceSpan,
        #[help]
        help: Option<String>,
    },

    #[error("`{name}` is given twice")]
    #[diagnostic(code(rnx::check::duplicate_parameter))]
    DuplicateParameter {
        name: String,
        #[label("given again here")]
        at: SourceSpan,
        #[label("first given here")]
        first: SourceSpan,
    },

    #[error("`{op}` needs parameter `{name}`")]
    #[diagnostic(code(rnx::check::missing_parameter))]
    MissingParameter {
        op: String,
        name: String,
        #[label("`{name}` is missing")]
        at: SourceSpan,
        #[help]
        help: String,
    },

    #[error("`{name}` must be {expected}, found {found}")]
    #[diagnostic(code(rnx::check::wrong_type))]
    WrongType {
        name: String,
        expected: String,
        found: String,
        #[label("expected {expected}")]
        at: SourceSpan,
        #[help]
        help: Option<String>,
    },

    #[error("`{name}` is {expected} and needs a unit")]
    #[diagnostic(code(rnx::check::missing_unit))]
    MissingUnit {
        name: String,
        expected: String,
        #[label("no unit")]
        at: SourceSpan,
        #[help]
        help: String,
    },

    #[error("`{name}` is {expected}, but `{unit}` is not a unit of it")]
    #[diagnostic(code(rnx::check::wrong_unit))]
    WrongUnit {
        name: String,
        expected: String,
        unit: String,
        #[label("wrong unit")]
        at: SourceSpan,
        #[help]
        help: String,
    },

    #[error("`{name}` = {value} is out of range")]
    #[diagnostic(code(rnx::check::out_of_range))]
    OutOfRange {
        name: String,
        value: String,
        #[label("must be in {range}")]
        at: SourceSpan,
        range: String,
    },

    #[error("`{value}` is not a valid `{name}`")]
    #[diagnostic(code(rnx::check::unknown_value))]
    UnknownEnumValue {
        name: String,
        value: String,
        #[label("expected one of: {options}")]
        at: SourceSpan,
        options: String,
        #[help]
        help: Option<String>,
    },

    #[error("unknown name `{name}`")]
    #[diagnostic(code(rnx::check::unknown_reference))]
    UnknownReference {
        name: String,
        #[label("nothing is declared with this name")]
        at: SourceSpan,
        #[help]
        help: Option<String>,
    },

    #[error("input `{input}` of `{op}` takes {expected}, but `{name}` is a `{found}`")]
    #[diagnostic(code(rnx::check::reference_kind))]
    ReferenceKind {
        op: String,
        input: String,
        name: String,
        expected: String,
        found: String,
        #[label("a `{found}` declaration")]
        at: SourceSpan,
    },

    #[error("`{op}` takes {max} input(s), but more were given")]
    #[diagnostic(code(rnx::check::too_many_arguments))]
    TooManyArguments {
        op: String,
        max: usize,
        #[label("extra argument")]
        at: SourceSpan,
        #[help]
        help: Option<String>,
    },

    #[error("`{op}` needs input `{input}`")]
    #[diagnostic(code(rnx::check::missing_input))]
    MissingInput {
        op: String,
        input: String,
        #[label("`{input}` is missing")]
        at: SourceSpan,
        #[help]
        help: String,
    },

    #[error("`{name}` is declared twice")]
    #[diagnostic(code(rnx::check::duplicate_declaration))]
    DuplicateDeclaration {
        name: String,
        #[label("declared again here")]
        at: SourceSpan,
        #[label("first declared here")]
        first: Option<SourceSpan>,
        #[help]
        help: Option<String>,
    },

    #[error("`{name}` depends on itself: {cycle}")]
    #[diagnostic(
        code(rnx::check::cycle),
        help("a stage cannot use its own output, directly or through others")
    )]
    Cycle {
        name: String,
        cycle: String,
        #[label("part of the cycle")]
        at: SourceSpan,
    },

    #[error("invalid sweep: {message}")]
    #[diagnostic(code(rnx::check::sweep))]
    BadSweep {
        message: String,
        #[label("here")]
        at: SourceSpan,
        #[help]
        help: Option<String>,
    },

    #[error("sweep coordinate `{coord}` comes from both `{first}` and `{second}`")]
    #[diagnostic(
        code(rnx::check::coordinate_clash),
        help(
            "two sweeps with the same name would give ambiguous instance names; sweep one parameter, or select a member with `{second}[{coord} = ...]`"
        )
    )]
    CoordinateClash {
        coord: String,
        first: String,
        second: String,
        #[label("both reach this declaration")]
        at: SourceSpan,
    },

    #[error("`{name}` has no sweep coordinate `{coord}`")]
    #[diagnostic(code(rnx::check::unknown_coordinate))]
    UnknownCoordinate {
        name: String,
        coord: String,
        #[label("not a coordinate of `{name}`")]
        at: SourceSpan,
        #[help]
        help: String,
    },

    #[error("`{value}` is not a value of sweep coordinate `{coord}`")]
    #[diagnostic(code(rnx::check::coordinate_value))]
    CoordinateValue {
        coord: String,
        value: String,
        #[label("not in the sweep")]
        at: SourceSpan,
        #[help]
        help: String,
    },

    #[error("input `{input}` of `{op}` takes one instance, but `{name}` here is a family of {count}")]
    #[diagnostic(code(rnx::check::family_input))]
    FamilyInput {
        op: String,
        input: String,
        name: String,
        count: usize,
        #[label("a whole family")]
        at: SourceSpan,
        #[help]
        help: String,
    },

    #[error("cannot use `{path}`: {reason}")]
    #[diagnostic(code(rnx::check::use_file))]
    UseFile {
        path: String,
        reason: String,
        #[label("in this `use`")]
        at: SourceSpan,
    },

    #[error("more than one `pipeline` header")]
    #[diagnostic(
        code(rnx::check::duplicate_header),
        help("a pipeline has one header, in its main file")
    )]
    DuplicateHeader {
        #[label("second header")]
        at: SourceSpan,
    },

    #[error("unknown profile `{name}`")]
    #[diagnostic(code(rnx::check::unknown_profile))]
    UnknownProfile {
        name: String,
        #[label("profile requested for this file")]
        at: Option<SourceSpan>,
        #[help]
        help: String,
    },

    #[error("only `loss` declarations can be sums of terms")]
    #[diagnostic(
        code(rnx::check::not_a_loss),
        help("declare it as `loss NAME = ...` and refer to it by name")
    )]
    NotALoss {
        #[label("a weighted sum in a `{kind}` declaration")]
        at: SourceSpan,
        kind: String,
    },

    #[error("definition `{name}` cannot depend on stage `{target}`")]
    #[diagnostic(
        code(rnx::check::definition_uses_stage),
        help("pass `{target}` to the stage that uses `{name}` instead")
    )]
    DefinitionUsesStage {
        name: String,
        target: String,
        #[label("a `{kind}` stage")]
        at: SourceSpan,
        kind: String,
    },

    #[error("cannot override `{path}`: {reason}")]
    #[diagnostic(code(rnx::check::override_target))]
    OverrideTarget {
        path: String,
        reason: String,
        #[label("here")]
        at: SourceSpan,
        #[help]
        help: Option<String>,
    },
}
