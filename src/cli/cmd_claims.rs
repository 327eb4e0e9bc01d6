//! `rnx claims FILE`: every `claim` of a pipeline as holds, fails or not computed, with the
//! numbers behind it, read from the cache; also printed at the end of `rnx run`.

use super::EXIT_FAILURE;
use super::args::ClaimsArgs;
use super::front::{Session, session};
use super::stdout::outln;
use crate::cache::{RunRecords, Store};
use crate::exec::{State, status};
use crate::ops::claims::{CLAIM_TABLE, Verdict};
use crate::plan::Plan;
use crate::schema::DeclKind;
use crate::value::format_float;

/// One claim instance and what the cache says of it.
pub struct ClaimLine {
    pub name: String,
    /// `None`: not computed (never run, or its inputs changed since).
    pub verdict: Option<Verdict>,
}

impl ClaimLine {
    fn state(&self) -> &'static str {
        match &self.verdict {
            Some(v) if v.holds => "holds",
            Some(_) => "fails",
            None => "not computed",
        }
    }
}

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

/// Every claim instance of the plan, in plan order, with its cached verdict.
pub fn collect(plan: &Plan, store: &Store, records: &RunRecords, device: &str) -> Vec<ClaimLine> {
    let states = status(plan, store, records, device);
    plan.order
        .iter()
        .zip(&states)
        .filter(|(id, _)| plan.instances[**id].kind == DeclKind::Claim)
        .map(|(&id, st)| {
            let verdict = match (st.state, st.key.as_deref()) {
                (State::Cached, Some(key)) => {
                    let path = store.objects().join(key).join(format!("{CLAIM_TABLE}.parquet"));
                    crate::table::read_parquet(&path).ok().and_then(|t| Verdict::read(&t))
                }
                _ => None,
            };
            ClaimLine {
                name: plan.instances[id].name.clone(),
                verdict,
            }
        })
        .collect()
}

/// The width of the longest claim name, for aligned lines.
pub fn name_width(lines: &[ClaimLine]) -> usize {
    lines.iter().map(|l| l.name.len()).max().unwrap_or(0)
}

/// `holds  name  statement: k of n, effect e [low, high], p`, the name padded to `width`.
pub fn describe(line: &ClaimLine, width: usize) -> String {
    let numbers = match &line.verdict {
        Some(v) => format!(
            "{}: {} of {}, effect {} [{}, {}]{}",
            v.statement,
            v.k,
            v.n,
            short(v.effect),
            short(v.ci_low),
            short(v.ci_high),
            if v.p.is_nan() {
                String::new()
            } else {
                format!(", p {}", short(v.p))
            }
        ),
        None => "run the pipeline to compute it".to_string(),
    };
    format!("{:<12}  {:<width$}  {numbers}", line.state(), line.name)
}

/// Four significant digits.
fn short(x: f64) -> String {
    if !x.is_finite() || x == 0.0 {
        return format_float(x);
    }
    let digits = (3 - x.abs().log10().floor() as i32).max(0) as usize;
    format!("{x:.digits$}")
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
