//! Command-line arguments, declared with clap.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "rnx",
    version,
    about = "Declarative, cached pipelines for recurrent-neural-network experiments"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Check a pipeline file and report every error in it.
    Check(PipelineArgs),
    /// Run a pipeline: every stage that is not cached, in parallel where possible.
    Run(RunArgs),
    /// Show each stage instance's state and why it would rerun.
    Status(StatusArgs),
    /// Print the stage DAG as Graphviz DOT (or Mermaid).
    Graph(GraphArgs),
    /// Print the first rows of a stage's output table and its path.
    Show(ShowArgs),
    /// List the operators, or describe one.
    Ops(OpsArgs),
    /// Benchmarks that print ratios against a reference measured in the same run.
    Bench(BenchArgs),
}

/// Which pipeline, with which overrides.
#[derive(Args, Clone)]
pub struct PipelineArgs {
    /// The `.rnx` pipeline file.
    pub file: PathBuf,
    /// Apply a named profile from the file (for example `quick` or `full`).
    #[arg(long)]
    pub profile: Option<String>,
    /// Override a parameter: `--set stage.param=value` (repeatable; applied after the profile).
    #[arg(long = "set", value_name = "NAME.PARAM=VALUE")]
    pub sets: Vec<String>,
}

#[derive(Args, Clone)]
pub struct CacheArgs {
    /// The cache folder. Default: `$RNX_CACHE`, else `cache/` in the project root (the nearest
    /// folder above the pipeline file holding `.git` or `rnx.toml`), else beside the file.
    #[arg(long)]
    pub cache_dir: Option<PathBuf>,
    /// Where stages that use a device run: auto, cpu or cuda. Overrides the file's `device`.
    #[arg(long)]
    pub device: Option<String>,
}

#[derive(Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub pipeline: PipelineArgs,
    #[command(flatten)]
    pub cache: CacheArgs,
    /// How many stages may run at once (default: the number of CPU cores).
    #[arg(long, short = 'j')]
    pub jobs: Option<usize>,
    /// Say what would run, and why, without running anything.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Args)]
pub struct StatusArgs {
    #[command(flatten)]
    pub pipeline: PipelineArgs,
    #[command(flatten)]
    pub cache: CacheArgs,
    /// Print one JSON object per stage instance.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args)]
pub struct GraphArgs {
    #[command(flatten)]
    pub pipeline: PipelineArgs,
    /// Print Mermaid instead of DOT.
    #[arg(long)]
    pub mermaid: bool,
}

#[derive(Args)]
pub struct ShowArgs {
    #[command(flatten)]
    pub pipeline: PipelineArgs,
    #[command(flatten)]
    pub cache: CacheArgs,
    /// The stage, or one instance of it such as `fit[activation=tanh]`.
    pub stage: String,
    /// Which table (default: the stage's first).
    #[arg(long)]
    pub table: Option<String>,
    /// How many rows to print.
    #[arg(long, short = 'n', default_value_t = 10)]
    pub rows: usize,
}

#[derive(Args)]
pub struct OpsArgs {
    /// Describe this operator in full.
    pub name: Option<String>,
}

#[derive(Args)]
pub struct BenchArgs {
    /// Which benchmark: `engine` (plan, no-op run and status on generated pipelines, against
    /// Snakemake) or `train` (one CTRNN training step, against PyTorch).
    pub what: String,
    /// Pipeline sizes, in stages.
    #[arg(long, value_delimiter = ',', default_values_t = vec![2000, 20000])]
    pub sizes: Vec<usize>,
    /// Timed repetitions; the best is reported.
    #[arg(long, default_value_t = 3)]
    pub repeat: usize,
    /// Parallel stages for the (untimed) first run.
    #[arg(long, default_value_t = 2)]
    pub jobs: usize,
    /// The snakemake executable to compare with (default: `snakemake` on PATH).
    #[arg(long)]
    pub snakemake: Option<PathBuf>,
    /// Largest size for which Snakemake builds its outputs itself; above it they are made directly.
    #[arg(long, default_value_t = 5000)]
    pub snakemake_build_limit: usize,
    /// `train`: a python with torch, to run the PyTorch reference.
    #[arg(long)]
    pub python: Option<PathBuf>,
    /// `train`: threads for both (set RAYON_NUM_THREADS to the same for rnx's matmuls).
    #[arg(long, default_value_t = 2)]
    pub threads: usize,
    /// `train`: timed steps (median reported).
    #[arg(long, default_value_t = 20)]
    pub iters: usize,
    /// `train`: untimed steps first.
    #[arg(long, default_value_t = 3)]
    pub warmup: usize,
    /// Keep the generated work folders.
    #[arg(long)]
    pub keep: bool,
}
