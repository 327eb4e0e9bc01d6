//! The shared front of every pipeline command: load, check and plan, printing diagnostics on failure.

use super::args::{CacheArgs, PipelineArgs};
use crate::cache::{RunRecords, Store};
use crate::check::{CheckOptions, Pipeline, check};
use crate::diagnostic::{Diagnostic, render};
use crate::loader::{load, parse_overrides};
use crate::plan::{Plan, plan};
use crate::source::Sources;
use miette::GraphicalTheme;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

/// A checked and planned pipeline.
pub struct Front {
    pub pipeline: Pipeline,
    pub plan: Plan,
}

/// Loads, checks and plans; on any error prints every diagnostic to stderr and returns `Err`.
pub fn front(args: &PipelineArgs) -> Result<Front, ()> {
    let (loaded, mut diagnostics) = match load(&args.file) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("{:?}", miette::Report::new(e));
            return Err(());
        }
    };
    let mut sources = loaded.sources;
    let (overrides, set_errors) = parse_overrides(&mut sources, &args.sets);
    diagnostics.extend(set_errors);
    if !diagnostics.is_empty() {
        print_diagnostics(&diagnostics, &sources);
        return Err(());
    }
    let options = CheckOptions {
        profile: args.profile.clone(),
        overrides,
    };
    match check(&sources, &loaded.modules, &options) {
        Ok(pipeline) => {
            let plan = plan(&pipeline);
            Ok(Front { pipeline, plan })
        }
        Err(diagnostics) => {
            print_diagnostics(&diagnostics, &sources);
            Err(())
        }
    }
}

/// Prints diagnostics to stderr, in colour on a terminal unless `NO_COLOR` is set.
pub fn print_diagnostics(diagnostics: &[Diagnostic], sources: &Sources) {
    eprint!("{}", render(diagnostics, sources, theme()));
    let n = diagnostics.len();
    eprintln!("{n} error{}", if n == 1 { "" } else { "s" });
}

pub fn theme() -> GraphicalTheme {
    if std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none() {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    }
}

/// The cache folder for a pipeline file, as documented on `--cache-dir`.
pub fn cache_dir(args: &CacheArgs, file: &Path) -> PathBuf {
    if let Some(dir) = &args.cache_dir {
        return dir.clone();
    }
    if let Some(dir) = std::env::var_os("RNX_CACHE") {
        return PathBuf::from(dir);
    }
    let file_dir = file
        .canonicalize()
        .ok()
        .and_then(|p| p.parent().map(Path::to_path_buf))
        .unwrap_or_else(|| PathBuf::from("."));
    let mut dir = Some(file_dir.as_path());
    while let Some(d) = dir {
        if d.join(".git").exists() || d.join("rnx.toml").exists() {
            return d.join("cache");
        }
        dir = d.parent();
    }
    file_dir.join("cache")
}

/// A planned pipeline with its device class, cache and last run record: what `run`, `status`
/// and `show` all start from.
pub struct Session {
    pub front: Front,
    pub device: String,
    pub store: Store,
    pub records_path: PathBuf,
    pub records: RunRecords,
}

/// Loads, checks and plans the pipeline, resolves the device and opens the cache; on any error
/// prints it and returns `Err`.
pub fn session(pipeline: &PipelineArgs, cache: &CacheArgs) -> Result<Session, ()> {
    let front = front(pipeline)?;
    let device = device(cache, &front.pipeline)?;
    let (store, records_path, records) = open_cache(cache, &pipeline.file, &front.pipeline)?;
    Ok(Session {
        front,
        device,
        store,
        records_path,
        records,
    })
}

/// Opens the cache and the pipeline's last run record.
pub fn open_cache(args: &CacheArgs, file: &Path, pipeline: &Pipeline) -> Result<(Store, PathBuf, RunRecords), ()> {
    let dir = cache_dir(args, file);
    let store = Store::open(&dir).map_err(|e| eprintln!("{:?}", miette::Report::new(e)))?;
    let records_path = RunRecords::path(&store, &pipeline.name, file);
    let records = RunRecords::load(&records_path);
    Ok((store, records_path, records))
}

/// The device class stages run on: the flag, else the file's setting. `auto` means CUDA when this
/// build has it and a GPU answers, else the CPU; asking for CUDA without it is an error.
pub fn device(args: &CacheArgs, pipeline: &Pipeline) -> Result<String, ()> {
    let wanted = args.device.clone().unwrap_or_else(|| pipeline.device.clone());
    match wanted.as_str() {
        "cpu" => Ok("cpu".into()),
        "auto" if crate::nn::device::cuda_available() => Ok("cuda".into()),
        "auto" => Ok("cpu".into()),
        "cuda" if cfg!(feature = "cuda") => match crate::nn::choose_device("cuda") {
            Ok(_) => Ok("cuda".into()),
            Err(e) => {
                eprintln!("error: `device = cuda` was asked for, but {e}\n  help: use `--device cpu`");
                Err(())
            }
        },
        "cuda" => {
            eprintln!(
                "error: this rnx was built without CUDA support, so `device = cuda` cannot be honoured\n  help: rebuild with `cargo build --release --features cuda`, or use `--device cpu`"
            );
            Err(())
        }
        other => {
            eprintln!("error: unknown device `{other}`\n  help: use auto, cpu or cuda");
            Err(())
        }
    }
}
