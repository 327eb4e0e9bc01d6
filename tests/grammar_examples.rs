//! Every example in `grammar/README.md` is checked: blocks tagged `rnx` must be valid, blocks tagged
//! `rnx-error` must be rejected. The language reference cannot drift from the language.

mod common;

use common::{FrontResult, front_end};

fn blocks(tag: &str) -> Vec<(usize, String)> {
    let text = std::fs::read_to_string("grammar/README.md").expect("grammar/README.md");
    let mut out = Vec::new();
    let mut current: Option<(usize, String)> = None;
    for (i, line) in text.lines().enumerate() {
        match &mut current {
            None if line.trim_end() == format!("```{tag}") => current = Some((i + 1, String::new())),
            None => {}
            Some(_) if line.trim_end() == "```" => out.extend(current.take()),
            Some((_, body)) => {
                body.push_str(line);
                body.push('\n');
            }
        }
    }
    out
}

/// Checks a block in a scratch folder where each CSV file it `load`s exists, holding the shipped
/// behaviour trials (the check reads a loaded file's header).
fn run(block: &str) -> FrontResult {
    let dir = tempfile::tempdir().expect("temp dir");
    let trials = std::fs::read("pipelines/data/example_behaviour.csv").expect("shipped trials");
    for line in block.lines().filter(|l| l.contains("= load")) {
        if let Some(name) = line.split('"').nth(1).filter(|n| n.ends_with(".csv")) {
            std::fs::write(dir.path().join(name), &trials).expect("write");
        }
    }
    let path = dir.path().join("example.rnx");
    std::fs::write(&path, block).expect("write");
    front_end(&path, &[])
}

#[test]
fn valid_examples_check() {
    let examples = blocks("rnx");
    assert!(examples.len() >= 8, "found only {} examples", examples.len());
    for (line, block) in examples {
        if let FrontResult::Rejected(text) = run(&block) {
            panic!("grammar/README.md example at line {line} is rejected:\n{block}\n{text}");
        }
    }
}

#[test]
fn error_examples_are_rejected() {
    let examples = blocks("rnx-error");
    assert!(examples.len() >= 3, "found only {} error examples", examples.len());
    for (line, block) in examples {
        if let FrontResult::Planned(plan) = run(&block) {
            panic!("grammar/README.md error example at line {line} is accepted:\n{block}\n{plan}");
        }
    }
}
