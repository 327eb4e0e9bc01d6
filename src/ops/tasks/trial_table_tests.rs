//! Tests of `trial_table`: a task's own trials survive the round trip through a file, draws are
//! deterministic and agree with `conditions`, and every malformed table is a named error.

use super::*;
use crate::value::Value;

fn params(path: &Path) -> Params {
    crate::ops::default_params("trial_table")
        .expect("known operator")
        .with("path", Value::Str(path.to_string_lossy().into_owned()))
        .with(
            "dt",
            Value::Quantity {
                si: 0.02,
                dim: crate::units::Dimension::Time,
            },
        )
}

fn from_csv(text: &str) -> Result<Box<dyn Task>, OpError> {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("trials.csv");
    std::fs::write(&path, text).expect("write");
    TrialTableTask.build(&params(&path))
}

fn message(text: &str) -> String {
    match from_csv(text) {
        Ok(_) => panic!("accepted:\n{text}"),
        Err(e) => e.to_string(),
    }
}

/// Two trials of lengths 3 and 2, two inputs, one output with its own mask, epochs, conditions.
const GOOD: &str = "trial,step,in_a,in_b,target_y,mask_y,epoch,condition,contrast\n\
                    7,1,0.5,1,0.25,1,go,1,0.5\n\
                    7,0,0.0,1,0,0,fix,1,0.5\n\
                    7,2,0.0,0,1,1,go,1,0.5\n\
                    3,0,1.0,0,0,0,fix,0,2\n\
                    3,1,0.0,0,-1,1,go,0,2\n";

#[test]
fn a_csv_becomes_padded_trials_in_trial_order() {
    let task = from_csv(GOOD).unwrap();
    let b = task.generate(3, "all", &mut Rng::derive(1, "t")).unwrap();
    assert_eq!((b.n_trials, b.n_steps), (3, 3));
    assert_eq!(b.input_names, ["a", "b"]);
    assert_eq!(b.output_names, ["y"]);
    assert_eq!(
        b.epoch_names,
        ["fix", "go"],
        "named epochs in order of first appearance"
    );
    assert_eq!(b.conditions["table_trial"], [3.0, 7.0, 3.0], "sorted by trial, cycling");
    assert_eq!(b.conditions["contrast"], [2.0, 0.5, 2.0]);
    assert_eq!(b.condition, [0, 1, 0]);
    assert_eq!(
        b.epochs,
        [0, 1, TrialBatch::PADDING, 0, 1, 1, 0, 1, TrialBatch::PADDING]
    );
    assert_eq!(b.targets, [0.0, -1.0, 0.0, 0.0, 0.25, 1.0, 0.0, -1.0, 0.0]);
    assert_eq!(
        b.mask,
        [0.0, 1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 1.0, 0.0],
        "padding is masked"
    );
    assert_eq!(
        &b.inputs[6..12],
        &[0.0, 1.0, 0.5, 1.0, 0.0, 0.0],
        "trial 7's rows in step order"
    );
    assert!((b.dt - 0.02).abs() < 1e-12);
}

#[test]
fn standard_draws_are_deterministic_and_match_conditions() {
    let task = from_csv(GOOD).unwrap();
    let a = task.generate(64, "standard", &mut Rng::derive(5, "t")).unwrap();
    let again = task.generate(64, "standard", &mut Rng::derive(5, "t")).unwrap();
    assert_eq!(a, again);
    let conditions = task.conditions(64, "standard", &mut Rng::derive(5, "t")).unwrap();
    assert_eq!(conditions["table_trial"], a.conditions["table_trial"]);
    let drawn = &a.conditions["table_trial"];
    assert!(
        drawn.contains(&3.0) && drawn.contains(&7.0),
        "both trials drawn: {drawn:?}"
    );
    assert!(task.generate(2, "novel", &mut Rng::derive(5, "t")).is_err());
}

#[test]
fn without_optional_columns_one_epoch_one_condition_and_every_step_counts() {
    let task = from_csv("trial,step,t,in_x,target_x\n0,0,0,1,1\n0,1,0.02,1,1\n1,0,0,2,2\n").unwrap();
    let b = task.generate(2, "all", &mut Rng::derive(1, "t")).unwrap();
    assert_eq!(b.epoch_names, ["trial"]);
    assert_eq!(b.condition, [0, 0]);
    assert_eq!(b.mask, [1.0, 1.0, 1.0, 0.0]);
    assert_eq!(b.conditions.keys().collect::<Vec<_>>(), ["table_trial"]);
}

#[test]
fn a_tasks_own_trials_survive_the_round_trip_through_a_file() {
    let reach = crate::ops::default_params("delayed_reach").expect("known operator");
    let source = super::super::DelayedReach.build(&reach).unwrap();
    let original = source.generate(5, "standard", &mut Rng::derive(9, "t")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("reach.parquet");
    let long = crate::ops::data::trials::long_table(&original).unwrap();
    crate::table::write_parquet(&path, &long).unwrap();
    let mut p = params(&path);
    p = p.with(
        "dt",
        Value::Quantity {
            si: original.dt,
            dim: crate::units::Dimension::Time,
        },
    );
    let b = TrialTableTask
        .build(&p)
        .unwrap()
        .generate(5, "all", &mut Rng::derive(0, "t"))
        .unwrap();
    assert_eq!(b.n_steps, original.n_steps);
    assert_eq!(b.input_names, original.input_names);
    assert_eq!(b.output_names, original.output_names);
    assert_eq!(b.epoch_names, original.epoch_names);
    assert_eq!(b.epochs, original.epochs);
    assert_eq!(b.inputs, original.inputs);
    assert_eq!(b.targets, original.targets);
    assert_eq!(b.mask, original.mask);
}

#[test]
fn malformed_tables_are_errors_that_name_the_file_and_column() {
    let cases: &[(&str, &[&str])] = &[
        ("step,in_x,target_x\n0,1,1\n", &["trials.csv", "`trial`"]),
        ("trial,in_x,target_x\n0,1,1\n", &["`step`"]),
        ("trial,step,target_x\n0,0,1\n", &["in_NAME"]),
        ("trial,step,in_x\n0,0,1\n", &["target_NAME"]),
        (
            "trial,step,in_x,target_x\n0,0,1,1\n0,2,1,1\n",
            &["trial 0", "step 1 is missing"],
        ),
        ("trial,step,in_x,target_x\n0,1,1,1\n", &["step 0 is missing"]),
        ("trial,step,in_x,target_x\n0,0,1,1\n0,0,1,1\n", &["step 0 twice"]),
        (
            "trial,step,in_x,target_x\n0,0,NaN,1\n",
            &["`in_x`", "NaN", "trial 0, step 0"],
        ),
        (
            "trial,step,in_x,target_x\n0,0,,1\n0,1,1,1\n",
            &["`in_x`", "missing value"],
        ),
        ("trial,step,in_x,target_x\n0,0,up,1\n", &["`in_x`", "numbers"]),
        ("trial,step,in_x,target_x\n0.5,0,1,1\n", &["`trial`", "integers"]),
        (
            "trial,step,in_x,target_x,gain\n0,0,1,1,1\n0,1,1,1,2\n",
            &["`gain`", "within trial 0"],
        ),
        (
            "trial,step,in_x,target_x,subject\n0,0,1,1,ann\n",
            &["`subject`", "numbers"],
        ),
        (
            "trial,step,in_x,target_x,mask_z\n0,0,1,1,1\n",
            &["`mask_z`", "target_z"],
        ),
        ("trial,step,in_x,target_x,mask,mask_x\n0,0,1,1,1,1\n", &["not both"]),
        ("trial,step,in_x,target_x,mask\n0,0,1,1,-1\n", &["`mask`", "negative"]),
        ("trial,step,in_,target_x\n0,0,1,1\n", &["`in_`"]),
        ("trial,step,in_x,target_x\n", &["trials.csv"]),
    ];
    for (text, needles) in cases {
        let m = message(text);
        for needle in *needles {
            assert!(m.contains(needle), "`{needle}` not in: {m}\nfor:\n{text}");
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let missing = TrialTableTask.build(&params(&dir.path().join("absent.csv")));
    assert!(missing.is_err_and(|e| e.to_string().contains("absent.csv")));
}

#[test]
fn integer_epochs_are_named_in_numeric_order() {
    let task = from_csv("trial,step,in_x,target_x,epoch\n0,0,1,1,10\n0,1,1,1,2\n").unwrap();
    let b = task.generate(1, "all", &mut Rng::derive(1, "t")).unwrap();
    assert_eq!(b.epoch_names, ["2", "10"]);
    assert_eq!(b.epochs, [1, 0]);
}
