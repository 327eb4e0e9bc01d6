//! `rnx show FILE STAGE`: the path and first rows of a stage's output table.

use super::EXIT_FAILURE;
use super::args::ShowArgs;
use super::front::{Session, session};
use super::stdout::{out, outln};
use super::table_print::head;
use crate::check::did_you_mean;
use crate::exec::{State, status};

pub fn run(args: ShowArgs) -> u8 {
    let Ok(Session {
        front: f,
        device,
        store,
        records_path: _,
        lock_path: _,
        records,
    }) = session(&args.pipeline, &args.cache)
    else {
        return EXIT_FAILURE;
    };
    let ids = f.plan.find(&args.stage);
    if ids.is_empty() {
        eprintln!("error: no stage `{}` in {}", args.stage, args.pipeline.file.display());
        if let Some(help) = did_you_mean(&args.stage, f.plan.instances.iter().map(|i| i.decl_name.as_str())) {
            eprintln!("  help: {help}");
        }
        return EXIT_FAILURE;
    }
    let states = status(&f.plan, &store, &records, &device);
    let mut code = 0;
    for id in ids {
        let inst = &f.plan.instances[id];
        let st = &states[f.plan.order.iter().position(|&o| o == id).unwrap_or(id)];
        let (State::Cached, Some(key)) = (st.state, st.key.as_deref()) else {
            eprintln!(
                "{}: not computed yet; run `rnx run {}` first",
                inst.name,
                args.pipeline.file.display()
            );
            code = EXIT_FAILURE;
            continue;
        };
        let dir = store.objects().join(key);
        let tables: Vec<String> = records
            .instances
            .get(&inst.name)
            .map(|r| r.outputs.iter().map(|o| o.name.clone()).collect::<Vec<_>>())
            .or_else(|| {
                crate::cache::StageKey::from_hex(key)
                    .and_then(|k| store.lookup(&k).ok().flatten())
                    .map(|m| m.outputs.into_iter().map(|o| o.name).collect())
            })
            .unwrap_or_default()
            .into_iter()
            .filter(|n| n.ends_with(".parquet"))
            .collect();
        let wanted = match &args.table {
            Some(t) => format!("{t}.parquet"),
            None => tables.first().cloned().unwrap_or_default(),
        };
        if !tables.contains(&wanted) {
            let names: Vec<&str> = tables.iter().map(|t| t.trim_end_matches(".parquet")).collect();
            eprintln!(
                "error: `{}` has no table `{}`; its tables: {}",
                inst.name,
                wanted.trim_end_matches(".parquet"),
                names.join(", ")
            );
            code = EXIT_FAILURE;
            continue;
        }
        let path = dir.join(&wanted);
        match crate::table::read_parquet(&path) {
            Ok(batch) if args.markdown => out!("{}", crate::table::markdown(&batch)),
            Ok(batch) => {
                outln!(
                    "{}  ({} rows; tables: {})",
                    path.display(),
                    batch.num_rows(),
                    tables.join(", ")
                );
                out!("{}", head(&batch, args.rows));
            }
            Err(e) => {
                eprintln!("error: {e}");
                code = EXIT_FAILURE;
            }
        }
    }
    code
}
