//! A pipeline's claims as the cache knows them (holds, fails or not computed, with the numbers
//! behind each), for `rnx claims`, the end of `rnx run` and the top of the report.

use super::html::escape;
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
    pub fn state(&self) -> &'static str {
        match &self.verdict {
            Some(v) if v.holds => "holds",
            Some(_) => "fails",
            None => "not computed",
        }
    }
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
    format!("{:<12}  {:<width$}  {}", line.state(), line.name, numbers(line))
}

/// The statement and the numbers behind the verdict, or how to get them.
fn numbers(line: &ClaimLine) -> String {
    match &line.verdict {
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
    }
}

/// The claims section that opens a report; empty when the pipeline states none.
pub fn claims_html(lines: &[ClaimLine]) -> String {
    if lines.is_empty() {
        return String::new();
    }
    let held = lines.iter().filter(|l| l.state() == "holds").count();
    let mut out = format!(
        "<section id=\"claims\"><h2>Claims <small>{held} of {} hold</small></h2>\n<table><tr><th>state</th><th>claim</th><th>statement and numbers</th></tr>",
        lines.len()
    );
    for line in lines {
        let class = line.state().replace(' ', "-");
        out.push_str(&format!(
            "<tr><td class=\"{class}\">{}</td><td>{}</td><td>{}</td></tr>",
            line.state(),
            escape(&line.name),
            escape(&numbers(line))
        ));
    }
    out.push_str("</table>\n</section>\n");
    out
}

/// Four significant digits.
fn short(x: f64) -> String {
    if !x.is_finite() || x == 0.0 {
        return format_float(x);
    }
    let digits = (3 - x.abs().log10().floor() as i32).max(0) as usize;
    format!("{x:.digits$}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_claims_section_says_how_many_hold_and_escapes_statements() {
        let verdict = |holds| Verdict {
            statement: "a < b".into(),
            holds,
            k: 4,
            n: 5,
            effect: 0.25,
            ci_low: 0.1,
            ci_high: 0.4,
            p: f64::NAN,
        };
        let lines = [
            ClaimLine {
                name: "first".into(),
                verdict: Some(verdict(true)),
            },
            ClaimLine {
                name: "second".into(),
                verdict: Some(verdict(false)),
            },
            ClaimLine {
                name: "third".into(),
                verdict: None,
            },
        ];
        let html = claims_html(&lines);
        assert!(html.contains("1 of 3 hold"), "{html}");
        assert!(
            html.contains("a &lt; b: 4 of 5, effect 0.2500 [0.1000, 0.4000]"),
            "{html}"
        );
        assert!(html.contains("class=\"fails\"") && html.contains("not computed"));
        assert_eq!(claims_html(&[]), "");
    }
}
