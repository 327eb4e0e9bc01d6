//! The shared front of every pipeline command: load, check and plan, printing diagnostics on failure.

use super::args::{CacheArgs, PipelineArgs};
use crate::cache::{RunRecords, Store};
use crate::check::diagnostic::{Diagnostic, render};
use crate::check::{CheckOptions, Pipeline, check};
use crate::loader::{load, parse_overrides};
use crate::plan::{Plan, check_tables, plan};
use crate::source::Sources;
use crate::table::FileSchemaReader;
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
            let table_errors = check_tables(&pipeline, &plan, &FileSchemaReader::default());
            if !table_errors.is_empty() {
                print_diagnostics(&table_errors, &pipeline.sources);
                return Err(());
            }
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
    project_cache(&file_dir)
}

/// `cache/` in the project holding `dir` (the nearest folder holding `.git` or `rnx.toml`),
/// else in `dir` itself.
pub fn project_cache(file_dir: &Path) -> PathBuf {
    let mut dir = Some(file_dir);
    while let Some(d) = dir {
        if d.join(".git").exists() || d.join("rnx.toml").exists() {
            return d.join("cache");
        }
        dir = d.parent();
    }
    file_dir.join("cache")
}

/// The cache of a command that names no pipeline (`gc`, `cache ls`): the flag, else
/// `$RNX_CACHE`, else the project cache of `near` (a file) or of the current folder.
pub fn cache_dir_near(flag: Option<&Path>, near: Option<&Path>) -> PathBuf {
    if let Some(dir) = flag {
        return dir.to_path_buf();
    }
    if let Some(dir) = std::env::var_os("RNX_CACHE") {
        return PathBuf::from(dir);
    }
    let start = near
        .map(crate::share::absolute)
        .and_then(|p| p.parent().map(Path::to_path_buf))
        .or_else(|| std::env::current_dir().ok())
        .unwrap_or_else(|| PathBuf::from("."));
    project_cache(&start)
}

/// The store at `dir` if there is one (`None`, said on stderr, if not); `Err` once printed.
pub fn existing_store(dir: &Path) -> Result<Option<Store>, ()> {
    if !dir.exists() {
        eprintln!("no cache at {}", dir.display());
        return Ok(None);
    }
    Store::open(dir).map(Some).map_err(report)
}

/// Prints an error with its help to stderr.
pub fn report(e: impl miette::Diagnostic + Send + Sync + 'static) {
    eprintln!("{:?}", miette::Report::new(e));
}

/// A planned pipeline with its device class, cache and last run record: what `run`, `status`
/// and `show` all start from.
pub struct Session {
    pub front: Front,
    pub device: String,
    pub store: Store,
    pub records_path: PathBuf,
    /// The cache's record of the last run, completed from the lock file for instances the cache
    /// has no record of (a fresh clone, an unpacked pack, another cache folder).
    pub records: RunRecords,
    pub lock_path: PathBuf,
}

/// Loads, checks and plans the pipeline, resolves the device and opens the cache; on any error
/// prints it and returns `Err`.
pub fn session(pipeline: &PipelineArgs, cache: &CacheArgs) -> Result<Session, ()> {
    let front = front(pipeline)?;
    let device = device(cache, &front.pipeline)?;
    let (store, records_path, mut records) = open_cache(cache, &pipeline.file, &front.pipeline)?;
    let lock_path = lock_path(cache, &pipeline.file);
    if lock_path.exists() {
        match crate::share::Lockfile::read(&lock_path) {
            Ok(lock) if lock.pipeline == front.pipeline.name => {
                for (name, record) in lock.as_records().instances {
                    records.instances.entry(name).or_insert(record);
                }
            }
            Ok(_) => {}
            Err(e) => eprintln!("warning: {e} (ignored)"),
        }
    }
    Ok(Session {
        front,
        device,
        store,
        records_path,
        records,
        lock_path,
    })
}

/// The lock file of a pipeline: `--lock`, else `FILE.lock` beside it.
pub fn lock_path(args: &CacheArgs, file: &Path) -> PathBuf {
    args.lock
        .clone()
        .unwrap_or_else(|| crate::share::default_lock_path(file))
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
