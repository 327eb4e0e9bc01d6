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
    /// Print every claim as holds, fails or not computed, with the numbers behind it.
    Claims(ClaimsArgs),
    /// List the operators, or describe one.
    Ops(OpsArgs),
    /// Benchmarks that print ratios against a reference measured in the same run.
    Bench(BenchArgs),
    /// Write one self-contained HTML page of every stage's figures, drawn from the cache.
    Report(ReportArgs),
    /// Pack a pipeline, its lock and its results into one archive to share.
    Pack(PackArgs),
    /// Unpack an archive into a folder, checking every hash, and seed the cache from it.
    Unpack(UnpackArgs),
    /// Recompute stages from their cached inputs and compare their outputs with the lock.
    Verify(VerifyArgs),
    /// Remove cache entries that no lock references.
    Gc(GcArgs),
    /// Inspect the cache.
    #[command(subcommand)]
    Cache(CacheCommand),
    /// Explain, stage by stage, why two runs differ (two lock files or two packs).
    Diff(DiffArgs),
    /// Print a shell completion script (e.g. `rnx completions bash > ~/.local/share/bash-completion/completions/rnx`).
    Completions(CompletionsArgs),
    /// Run stage specs written by the SLURM executor (what its jobs execute).
    #[command(hide = true)]
    Worker(WorkerArgs),
}

#[derive(Args)]
pub struct WorkerArgs {
    /// The shared cache folder.
    #[arg(long)]
    pub cache_dir: PathBuf,
    /// Stage spec files, run in order.
    #[arg(required = true)]
    pub specs: Vec<PathBuf>,
}

#[derive(Args)]
pub struct ReportArgs {
    #[command(flatten)]
    pub pipeline: PipelineArgs,
    #[command(flatten)]
    pub cache: CacheArgs,
    /// Only these stages (declaration names); default: all.
    pub stages: Vec<String>,
    /// The HTML file to write.
    #[arg(long, short = 'o', default_value = "report.html")]
    pub output: PathBuf,
    /// Also write every figure as its own SVG file into this folder.
    #[arg(long, value_name = "DIR")]
    pub svg_dir: Option<PathBuf>,
}

#[derive(Args)]
pub struct PackArgs {
    /// The `.rnx` pipeline file; its lock says what to pack (run it first).
    pub file: PathBuf,
    /// The archive to write (default: `NAME.rnxpack` in the current folder).
    #[arg(long, short = 'o')]
    pub output: Option<PathBuf>,
    /// Pack only these results: `final` (stages nothing else reads) or a comma-separated list of
    /// stages. Default: all.
    #[arg(long, value_name = "final|STAGE,...")]
    pub only: Option<String>,
    /// Also pack the files that path parameters name: `load` stages' and `trial_table` tasks' files, scripts and their `depends`.
    #[arg(long)]
    pub with_inputs: bool,
    #[command(flatten)]
    pub cache: CacheArgs,
}

#[derive(Args)]
pub struct UnpackArgs {
    /// The `.rnxpack` archive.
    pub pack: PathBuf,
    /// The folder to unpack into (default: the archive's name without `.rnxpack`).
    pub dir: Option<PathBuf>,
    /// The cache to seed. Default: as `rnx run` would find it for the unpacked pipeline
    /// (`$RNX_CACHE`, else `cache/` in the unpacked folder).
    #[arg(long)]
    pub cache_dir: Option<PathBuf>,
    /// Refuse archives that would unpack to more than this many bytes.
    #[arg(long, default_value_t = 64 << 30)]
    pub max_bytes: u64,
}

#[derive(Args)]
pub struct VerifyArgs {
    /// The `.rnx` pipeline file. It is planned with the profile and overrides its lock records.
    pub file: PathBuf,
    /// Stages to verify (a declaration's name, or one instance); default: all.
    pub stages: Vec<String>,
    #[command(flatten)]
    pub cache: CacheArgs,
    /// Relative tolerance for tables whose bytes differ (as numpy.allclose).
    #[arg(long, default_value_t = 1e-5)]
    pub rtol: f64,
    /// Absolute tolerance for tables whose bytes differ (as numpy.allclose).
    #[arg(long, default_value_t = 1e-8)]
    pub atol: f64,
    /// How many stages to recompute at once (default: the number of CPU cores).
    #[arg(long, short = 'j')]
    pub jobs: Option<usize>,
    /// Recompute nothing: check only that every stage's key, computed from the pipeline as
    /// written and the lock's record of its inputs, is the key the lock records.
    #[arg(long)]
    pub keys: bool,
}

#[derive(Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    pub shell: clap_complete::Shell,
}

#[derive(Args)]
pub struct GcArgs {
    /// Keep the entries this lock references (repeatable). Default: keep what the last run of
    /// every pipeline that used this cache references (the cache's run records).
    #[arg(long = "keep-lock", value_name = "FILE")]
    pub keep_locks: Vec<PathBuf>,
    /// Say what would be removed, and remove nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// The cache folder (default: `$RNX_CACHE`, else `cache/` in the current project).
    #[arg(long)]
    pub cache_dir: Option<PathBuf>,
}

#[derive(Subcommand)]
pub enum CacheCommand {
    /// List the cache's entries with their size, age and stage.
    Ls {
        /// The cache folder (default: `$RNX_CACHE`, else `cache/` in the current project).
        #[arg(long)]
        cache_dir: Option<PathBuf>,
    },
}

#[derive(Args)]
pub struct DiffArgs {
    /// A lock file or a pack.
    pub a: PathBuf,
    /// Another lock file or pack.
    pub b: PathBuf,
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
    /// The lock file `run` writes and `status`, `verify` and `pack` read.
    /// Default: `FILE.lock` beside the pipeline file.
    #[arg(long, value_name = "PATH")]
    pub lock: Option<PathBuf>,
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
    /// After the run, write the report (`rnx report`) to this file.
    #[arg(long, value_name = "HTML")]
    pub report: Option<PathBuf>,
    #[command(flatten)]
    pub slurm: SlurmArgs,
}

/// Where stages run, and what SLURM jobs ask for (these override the file's `slurm` block; a
/// stage's own `slurm` block overrides both).
#[derive(Args)]
pub struct SlurmArgs {
    /// `local` (this machine) or `slurm` (sbatch jobs against a shared cache). Default: the
    /// file's `executor`, else local.
    #[arg(long)]
    pub executor: Option<String>,
    /// SLURM partition.
    #[arg(long)]
    pub partition: Option<String>,
    /// SLURM account.
    #[arg(long)]
    pub account: Option<String>,
    /// SLURM time limit per job, as SLURM writes it (`30`, `2:00:00`).
    #[arg(long)]
    pub time: Option<String>,
    /// SLURM memory per job, as SLURM writes it (`4G`).
    #[arg(long)]
    pub mem: Option<String>,
    /// SLURM CPUs per job.
    #[arg(long)]
    pub cpus: Option<u32>,
    /// SLURM GPUs per job.
    #[arg(long)]
    pub gpus: Option<u32>,
    /// SLURM: how many small stages one job-array task runs (stages that train get a task each).
    #[arg(long, default_value_t = 8)]
    pub group: usize,
    /// SLURM: seconds between `squeue` polls.
    #[arg(long, default_value_t = 2.0)]
    pub poll: f64,
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
pub struct ClaimsArgs {
    #[command(flatten)]
    pub pipeline: PipelineArgs,
    #[command(flatten)]
    pub cache: CacheArgs,
    /// Print JSON: one object per claim.
    #[arg(long)]
    pub json: bool,
    /// Exit 1 when a claim fails or is not computed.
    #[arg(long)]
    pub strict: bool,
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
    /// Every row as a Markdown table, numbers at 3 significant digits (as pipelines/README.md
    /// quotes them), instead of the path and the first rows.
    #[arg(long)]
    pub markdown: bool,
}

#[derive(Args)]
pub struct OpsArgs {
    /// Describe this operator in full.
    pub name: Option<String>,
}

#[derive(Args)]
pub struct BenchArgs {
    /// Which benchmark: `engine` (plan, no-op run and status on generated pipelines, against
    /// Snakemake), `train` (one CTRNN training step, against PyTorch) or `tasks` (trials per
    /// second of a task written in the language, against the built-in operator for it).
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
    /// `train`: threads for both.
    #[arg(long, default_value_t = 2)]
    pub threads: usize,
    /// `train`: timed steps per round; `tasks`: batches per round.
    #[arg(long, default_value_t = 20)]
    pub iters: usize,
    /// `train`: rounds, alternating rnx and PyTorch; the ratio is of the medians over rounds.
    #[arg(long, default_value_t = 3)]
    pub rounds: usize,
    /// `train`: untimed steps first.
    #[arg(long, default_value_t = 3)]
    pub warmup: usize,
    /// Keep the generated work folders.
    #[arg(long)]
    pub keep: bool,
}
