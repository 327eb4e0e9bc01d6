//! Tests of `op_params!`: one declaration yields the schema's parameter specs and a typed reader.

use rnx::params::Params;
use rnx::schema::ParamType;
use rnx::value::Value;

rnx::op_params! {
    /// Parameters of a test operator.
    pub struct TestParams {
        components: usize = ParamType::int(1, 64), "3", "Components kept.";
        path: String = ParamType::Path, required, "The file read.";
        label: Option<String> = ParamType::Str, "\"\"", "A label; empty for none.";
        scale: f64 = ParamType::float(0.0, 10.0), "1.5", "A scale.";
        names: Vec<String> = ParamType::List(&ParamType::Str), "[]", "Some names.";
    }
}

#[test]
fn the_declaration_yields_the_specs_in_order() {
    let specs = TestParams::PARAMS;
    let names: Vec<&str> = specs.iter().map(|s| s.name).collect();
    assert_eq!(names, ["components", "path", "label", "scale", "names"]);
    assert_eq!(specs[0].default, Some("3"));
    assert_eq!(specs[0].doc, "Components kept.");
    assert_eq!(specs[0].ty.to_string(), "an integer in [1, 64]");
    assert_eq!(specs[1].default, None);
    assert_eq!(specs[2].default, Some("\"\""));
}

#[test]
fn read_gives_typed_fields_and_none_for_an_unset_option() {
    let p = Params::default()
        .with("components", Value::Int(4))
        .with("path", Value::Str("a.csv".into()))
        .with("label", Value::Str(String::new()))
        .with("scale", Value::Float(2.0))
        .with("names", Value::List(vec![Value::Str("x".into())]));
    let read = TestParams::read(&p).unwrap();
    assert_eq!(read.components, 4);
    assert_eq!(read.path, "a.csv");
    assert_eq!(read.label, None);
    assert_eq!(read.scale, 2.0);
    assert_eq!(read.names, vec!["x".to_string()]);
    let set = TestParams::read(&p.clone().with("label", Value::Str("l".into()))).unwrap();
    assert_eq!(set.label.as_deref(), Some("l"));
}

#[test]
fn a_missing_or_mistyped_parameter_is_an_error_naming_it() {
    let p = Params::default().with("components", Value::Str("no".into()));
    let err = TestParams::read(&p).unwrap_err().to_string();
    assert!(err.contains("parameter `components` should be an integer"), "{err}");
    let p = Params::default().with("components", Value::Int(1));
    let err = TestParams::read(&p).unwrap_err().to_string();
    assert!(err.contains("parameter `path` is missing"), "{err}");
}
