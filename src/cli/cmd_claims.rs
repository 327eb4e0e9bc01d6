//! `rnx claims FILE`: every `claim` of a pipeline as holds, fails or not computed, with the
//! numbers behind it, read from the cache (`report::claims`), as text or JSON.

use super::EXIT_FAILURE;
use super::args::ClaimsArgs;
use super::front::{Session, session};
use super::stdout::outln;
use crate::report::claims::{ClaimLine, collect, describe, name_width};

pub fn run(args: ClaimsArgs) -> u8 {
    let Ok(Session {
        front: f,
        device,
        store,
        records,
        ..
    }) = session(&args.pipeline, &args.cache)
    else {
        return EXIT_FAILURE;
    };
    let lines = collect(&f.plan, &store, &records, &device);
    if args.json {
        let json: Vec<serde_json::Value> = lines.iter().map(to_json).collect();
        outln!("{}", serde_json::to_string_pretty(&json).unwrap_or_default());
    } else if lines.is_empty() {
        eprintln!("{} declares no claims", args.pipeline.file.display());
    } else {
        let width = name_width(&lines);
        for line in &lines {
            outln!("{}", describe(line, width));
        }
    }
    let failing = lines.iter().any(|l| l.verdict.as_ref().is_none_or(|v| !v.holds));
    if args.strict && failing { EXIT_FAILURE } else { 0 }
}

fn to_json(line: &ClaimLine) -> serde_json::Value {
    let number = |x: f64| {
        if x.is_finite() {
            serde_json::json!(x)
        } else {
            serde_json::Value::Null
        }
    };
    match &line.verdict {
        Some(v) => serde_json::json!({
            "claim": line.name,
            "state": line.state(),
            "statement": v.statement,
            "k": v.k,
            "n": v.n,
            "effect": number(v.effect),
            "ci_low": number(v.ci_low),
            "ci_high": number(v.ci_high),
            "p": number(v.p),
        }),
        None => serde_json::json!({ "claim": line.name, "state": line.state() }),
    }
}
