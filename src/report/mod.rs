//! `rnx report`: one self-contained HTML file of the figures each stage's operator declares,
//! drawn from the cache: a section per stage declaration in DAG order with its parameters, cache
//! keys and run times, a sweep family drawn together; the pipeline's claims open it.

pub mod claims;
mod columns;
mod html;
mod legend;
mod plot;
mod replicates;
mod series;

pub use plot::{OVERLAY_MAX, render};
pub use series::Member;

use crate::cache::{Manifest, StageKey, Store};
use crate::exec::{State, status};
use crate::plan::Plan;
use html::{escape, table_html};

/// What a report holds, for the caller to say.
#[derive(Debug, Default)]
pub struct ReportSummary {
    pub sections: usize,
    pub figures: usize,
    /// Instances not in the cache (drawn as "not computed").
    pub missing: usize,
    /// Every figure as a file name (`STAGE-figure-title.svg`) and its SVG.
    pub svgs: Vec<(String, String)>,
}

/// Builds the report of `plan`'s declarations named in `only` (all when empty).
pub fn build(plan: &Plan, store: &Store, device: &str, title: &str, only: &[String]) -> (String, ReportSummary) {
    let states = status(plan, store, &Default::default(), device);
    let mut summary = ReportSummary::default();
    let mut body = claims::claims_html(&claims::collect(plan, store, &Default::default(), device));
    let mut seen = std::collections::BTreeSet::new();
    for &id in &plan.order {
        let decl = &plan.instances[id].decl_name;
        if !seen.insert(decl.clone()) || (!only.is_empty() && !only.contains(decl)) {
            continue;
        }
        let ids: Vec<usize> = plan
            .order
            .iter()
            .copied()
            .filter(|&i| plan.instances[i].decl_name == *decl)
            .collect();
        let op = plan.instances[id].op;
        let mut rows = Vec::new();
        let mut members = Vec::new();
        for &i in &ids {
            let inst = &plan.instances[i];
            let st = &states[plan.order.iter().position(|&o| o == i).unwrap_or(0)];
            let entry = match (&st.state, st.key.as_deref().and_then(StageKey::from_hex)) {
                (State::Cached, Some(key)) => store.lookup(&key).ok().flatten().map(|m| (key, m)),
                _ => None,
            };
            let coords: Vec<String> = inst.coords.iter().map(|(k, v)| format!("{k}={v}")).collect();
            let label = coords.join(", ");
            match &entry {
                Some((key, m)) => rows.push(vec![
                    inst.name.clone(),
                    key.short(),
                    format!("{:.2} s", m.seconds),
                    m.outputs.iter().map(|o| o.name.clone()).collect::<Vec<_>>().join(", "),
                ]),
                None => {
                    summary.missing += 1;
                    rows.push(vec![
                        inst.name.clone(),
                        "not computed".into(),
                        String::new(),
                        String::new(),
                    ]);
                }
            }
            members.push((
                label,
                inst.coords
                    .iter()
                    .map(|(k, v)| (k.clone(), v.to_string()))
                    .collect::<Vec<_>>(),
                entry,
            ));
        }
        summary.sections += 1;
        body.push_str(&format!(
            "<section id=\"{}\"><h2>{} <small>{}</small></h2>\n",
            escape(decl),
            escape(decl),
            escape(op.schema().name)
        ));
        body.push_str(&params_html(plan, ids[0]));
        body.push_str(&table_html(&["instance", "key", "run time", "outputs"], &rows));
        for fig in op.figures() {
            let mut family = Vec::new();
            let mut paths = Vec::new();
            for (label, coords, entry) in &members {
                let Some((key, m)) = entry else { continue };
                let mut batches = Vec::new();
                for table in fig.tables() {
                    let file = format!("{table}.parquet");
                    let path = store.entry_dir(key).join(&file);
                    if !has_output(m, &file) {
                        break;
                    }
                    let Ok(batch) = crate::table::read_parquet(&path) else {
                        break;
                    };
                    batches.push(batch);
                    paths.push(path);
                }
                if batches.len() < fig.tables().len() {
                    continue;
                }
                let backdrop = (batches.len() > 1).then(|| batches.remove(1));
                family.push(Member {
                    label: label.clone(),
                    coords: coords.clone(),
                    batch: batches.remove(0),
                    backdrop,
                });
            }
            if family.is_empty() {
                continue;
            }
            let figure_html = match render(fig, &family) {
                Ok((svg, points)) => {
                    summary.figures += 1;
                    let html = format!("<div class=\"svg\" data-points=\"{points}\">{svg}</div>");
                    summary.svgs.push((format!("{decl}-{}.svg", slug(fig.title)), svg));
                    html
                }
                Err(e) => format!("<p class=\"error\">cannot draw: {}</p>", escape(&e)),
            };
            let links: Vec<String> = paths
                .iter()
                .map(|p| {
                    let p = p.display().to_string();
                    format!("<a href=\"file://{}\">{}</a>", escape(&p), escape(&p))
                })
                .collect();
            body.push_str(&format!(
                "<figure data-figure=\"{}\"><figcaption>{}</figcaption>{figure_html}<p class=\"data\">data: {}</p></figure>\n",
                escape(fig.title),
                escape(fig.title),
                links.join(" · ")
            ));
        }
        if op.schema().name == "compare"
            && let Some((_, _, Some((key, _)))) = members.first()
            && let Ok(batch) = crate::table::read_parquet(&store.entry_dir(key).join("comparison.parquet"))
        {
            body.push_str(&html::batch_html(&batch, 60));
        }
        body.push_str("</section>\n");
    }
    (html::page(title, &body), summary)
}

/// A figure title as part of a file name: lower case, words joined by `-`.
fn slug(title: &str) -> String {
    title
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
        .collect::<Vec<_>>()
        .join("-")
}

fn has_output(m: &Manifest, file: &str) -> bool {
    m.outputs.iter().any(|o| o.name == file)
}

/// The declaration's parameters, from its first instance (sweep coordinates are in the rows).
fn params_html(plan: &Plan, id: usize) -> String {
    let inst = &plan.instances[id];
    let swept: Vec<&str> = inst.coords.iter().map(|(k, _)| k.as_str()).collect();
    let rows: Vec<Vec<String>> = inst
        .params
        .iter()
        .filter(|(k, _)| !swept.contains(&k.as_str()))
        .map(|(k, v)| vec![k.clone(), v.to_string()])
        .collect();
    format!(
        "<details><summary>parameters</summary>{}</details>",
        table_html(&["parameter", "value"], &rows)
    )
}
