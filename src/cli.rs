//! The command line: flags become a run configuration, results go to stdout or files.
//!
//! Tables and JSON go to stdout; progress, warnings and timing to stderr. Output files are
//! written to a temporary name in the same folder and renamed into place, so a file is either
//! whole or absent.

use std::fs;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use clap::{Args, Parser, Subcommand, ValueEnum};

use routesim::error::{EXIT_BREACHED, EXIT_INTERRUPTED, EXIT_SUCCESS, Error, Result};
use routesim::experiment::{self, Summary};
use routesim::model::Model;
use routesim::report;

use crate::outdir::{ChatsFile, OutDir};
use routesim::scenario;

const RUN_EXAMPLES: &str = "Examples:
  routesim run scenarios/support-desk.toml
  routesim run scenarios/support-desk.toml --format json > result.json
  routesim run scenarios/support-desk.toml --replications 8 --seed 42 --out results/
  routesim run scenarios/bench/mmc-100.toml --threads 1 --quiet
  routesim run scenarios/support-desk.toml --interval 30m
  routesim run scenarios/replay-tuesday.toml --scale 1.3   # a replayed chat log at 130% volume
  routesim run scenarios/ci-gate.toml --junit gate.xml        # exits 1 if a [[slo]] is breached
  routesim run desk.toml --assert 'overall.wait.p95 <= 60s' --assert 'teams.support.service_level >= 0.8'
  routesim run desk.toml --baseline main/summary.json --tolerance 'overall.wait.p95=+10%' --format markdown

Gates: a threshold names a figure by its path in the JSON report (overall.wait.p95,
teams.NAME.service_level, agents.NAME.occupancy...) and a limit: 60s, 0.8 or 80%. It is
breached when its estimate is past the limit (--breach ci: when its whole 95% interval is),
and the verdict says when the interval still includes the limit. Against --baseline, a figure
regresses when it got worse by more than its --tolerance and than the noise (the 95%
half-width of the change).";

const COMPARE_EXAMPLES: &str = "Examples:
  routesim compare scenarios/support-desk.toml rules-b.toml
  routesim compare current.toml more-staff.toml other-rules.toml --replications 20
  routesim compare a.toml b.toml --format json > comparison.json
  routesim compare a.toml b.toml --format csv > comparison.csv

The scenarios run with the same seed and replications. When their traffic and [simulation]
timing are the same, replication r of each sees the same customers, and the intervals come from
the per-replication differences (paired), which are much narrower than comparing two separate
intervals. Otherwise the comparison says why and uses Welch's unpaired intervals.";

const STAFF_EXAMPLES: &str = "Examples:
  routesim staff scenarios/support-desk.toml --target 'sl(30s) >= 0.9' --vary early
  routesim staff desk.toml --target 'sl(20s) >= 80%' --target 'abandon <= 5%' --vary support --vary sales
  routesim staff desk.toml --target 'support.wait.p90 <= 1m' --vary support --minimize cost --format json
  routesim staff desk.toml --target 'sl(20s) >= 0.8' --vary support --per-interval 30m --format csv > need.csv

Targets: sl(T) >= share, abandon <= share, wait.mean / wait.p90 / wait.p95 <= time, each for the
whole desk or one team (support.sl(30s) >= 0.9). --vary names an [[agents]] entry whose count
the search sets. The search starts from Erlang C at the peak quarter-hour and simulates every
staffing on the same customers; it prints the targets at the answer and with one agent fewer.";

const MERGE_EXAMPLES: &str = "Examples:
  routesim run desk.toml --replications 40 --shard 0/4 > part-0.json   # ... and 1/4, 2/4, 3/4
  routesim merge part-*.json
  routesim merge part-*.json --format json --out results/
  routesim sweep desk.toml --set 'agents.early.count=6..13' --shard 1/4 > sweep-1.json   # ...
  routesim merge sweep-*.json --format csv

The merged report is byte for byte the one `routesim run` prints for the same scenario, seed,
replications and --interval on one machine. The scenario file must be where the shards read it,
unchanged.";

const SWEEP_EXAMPLES: &str = "Examples:
  routesim sweep scenarios/support-desk.toml --set 'agents.early.count=6..10'
  routesim sweep desk.toml --set 'agents.support.count=8..16/2' --set 'rules.tech.route[0].timeout=30s,60s,90s'
  routesim sweep desk.toml --set 'traffic.web.handle_time.mean=6m,7m,8m' --format json > sweep.json
  routesim sweep desk.toml --set 'teams.support.strategy=least_busy,round_robin' --out results/

VALUES: a list (30s,60s,90s), or whole numbers lo..hi (both included) or lo..hi/step. The
grid is every combination, the last --set varying fastest, at most 10000 points. Every point
runs with the same seed and replications, so when no --set touches the traffic or the
[simulation] timing, every point sees the same customers (common random numbers). Every point
is compiled before any runs.

PATH: simulation.seed|replications|duration|warmup|max_waiting, report.service_level,
agents.NAME.count|max_chats|cost|speed|absence|level, teams.NAME.strategy,
traffic.NAME.rate|scale|handle_time|handle_time.mean|patience|patience.mean,
rules.NAME.priority, rules.NAME.route[N].timeout; NAME is an entry's name, N a step's
position from 0. A value is written as in the file: 8, 0.5, 30s, 2/min, round_robin, { dist = \"exponential\", mean = \"4m\" }.";

const VALIDATE_EXAMPLES: &str = "Examples:
  routesim validate scenarios/support-desk.toml";

const BENCH_EXAMPLES: &str = "Examples:
  routesim bench scenarios/bench/desk-1000.toml
  routesim bench scenarios/support-desk.toml --agents 1000,10000 --busy 0.9
  routesim bench scenarios/bench/desk-1000.toml --decisions 1000000 --format json > core.json
  routesim bench scenarios/caps-and-fallback.toml --at 'tue 10:00' --seed 7 --quiet

The scenario's [[agents]] entries are scaled in proportion to each size (teams, skills, caps and
rules as written); every agent is on shift, with loads drawn so that the --busy share of chat
slots is held. Chats come from the scenario's traffic streams, drawn as a run draws them.

Timed, one decision at a time: choose the rule, decide (assign or wait), and apply that to the
board or a queue. Not timed: drawing the chat, and keeping the desk steady (after each decision
random chats end until the busy share is held again, their agents take waiting chats, and a chat
that waited through as many decisions as there are agents leaves). Latencies include the
timer's own cost, which is printed and taken out of decisions/s.";

const EXPLAIN_EXAMPLES: &str = "Examples:
  routesim explain scenarios/support-desk.toml --chat 'topic=billing,channel=web'
  routesim explain scenarios/after-hours.toml --chat 'channel=web' --at 'sat 15:00'
  routesim explain scenarios/owner-then-least-busy.toml --chat 'customer=existing' --owner manager-2";

/// Simulate customer-chat routing rules before you ship them.
#[derive(Debug, Parser)]
#[command(
    name = "routesim",
    version,
    about,
    after_help = format!("Run `routesim help run` for the options of a run.\n\n{}", routesim::error::exit_codes_help())
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Simulate a scenario and report wait times, service level and agent load.
    #[command(after_help = format!("{RUN_EXAMPLES}\n\n{}", routesim::error::exit_codes_help()))]
    Run(RunArgs),
    /// Check a scenario file and summarise what it defines.
    #[command(after_help = VALIDATE_EXAMPLES)]
    Validate(ValidateArgs),
    /// Run scenarios on the same customers and report each figure's difference to the first,
    /// with a 95% confidence interval and a verdict.
    #[command(after_help = COMPARE_EXAMPLES)]
    Compare(CompareArgs),
    /// Combine the partial results of `run --shard K/N` into the report of the whole run.
    #[command(after_help = format!("{MERGE_EXAMPLES}\n\n{}", routesim::error::exit_codes_help()))]
    Merge(MergeArgs),
    /// Find the fewest agents (or the lowest cost) for which every target holds.
    #[command(after_help = STAFF_EXAMPLES)]
    Staff(StaffArgs),
    /// Run the scenario at every combination of values of some settings, each with the same
    /// seed and replications, and report the key figures with their 95% confidence intervals.
    #[command(after_help = SWEEP_EXAMPLES)]
    Sweep(SweepArgs),
    /// Find the largest traffic multiplier at which every target still holds, with its 95%
    /// confidence interval, and the curve from half today's load to past the breaking point.
    #[command(after_help = STRESS_EXAMPLES)]
    Stress(StressArgs),
    /// Show which rule a chat matches, why earlier rules do not, and who could take it.
    #[command(after_help = EXPLAIN_EXAMPLES)]
    Explain(ExplainArgs),
    /// Measure the routing core alone under load: decisions per second and the latency of one
    /// decision, at desks of 1,000, 10,000 and 100,000 agents.
    #[command(after_help = format!("{BENCH_EXAMPLES}\n\n{}", routesim::error::exit_codes_help()))]
    Bench(BenchArgs),
    /// Print a shell's completion script for routesim.
    #[command(after_help = COMPLETIONS_EXAMPLES)]
    Completions(CompletionsArgs),
    /// Print routesim's man page (roff), or one command's.
    #[command(after_help = MAN_EXAMPLES)]
    Man(ManArgs),
}

const STRESS_EXAMPLES: &str = "Examples:
  routesim stress scenarios/support-desk.toml --target 'sl(30s) >= 0.8'
  routesim stress desk.toml --target 'sl(20s) >= 0.8' --target 'abandon <= 5%' --out stress/
  routesim stress desk.toml --target 'wait.p95 <= 2m' --stream web --format csv > curve.csv
  routesim stress desk.toml --target 'sl(20s) >= 0.8' --ramp 10%/h --max 2   # one run, up and back down

Loads are multiples of today's traffic (the file's, times any --scale): of every stream, or of
the one --stream names. Every load runs on the same seed and replications, and a multiplier only
shrinks the gaps between arrivals, so every load sees the same customers (common random numbers).
The grid runs from --from (0.5) in steps of --step (0.1; twice that past 2x, five times past 5x)
until every target fails with its whole 95% interval past its limit, and one step more; then each
target's breaking load is found by bisection to --resolution (0.01). Its 95% interval runs from
the largest load below which the target holds with its whole interval to the smallest at which it
fails with its whole interval. The desk's breaking load is the least of its targets'. Targets are
written as for `routesim staff`.

--ramp RATE runs once instead, on a clock standing still at the scenario's start: the load rises
from --from by RATE an hour to --max (2 by default) and falls back, changing every minute; it
reports when each target first broke and whether it held again on the way down, by window of
--interval (15m). A ramp takes whole-desk targets on sl, abandon, wait.mean and wait.p90.";

const COMPLETIONS_EXAMPLES: &str = "Examples:
  routesim completions bash > ~/.local/share/bash-completion/completions/routesim
  routesim completions zsh > ~/.zfunc/_routesim      # with fpath+=(~/.zfunc) before compinit
  routesim completions fish > ~/.config/fish/completions/routesim.fish";

const MAN_EXAMPLES: &str = "Examples:
  routesim man | man -l -
  routesim man run | man -l -
  routesim man > /usr/local/share/man/man1/routesim.1";

/// Options of `routesim completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// Options of `routesim man`.
#[derive(Debug, Args)]
pub struct ManArgs {
    /// A command whose page to print (`routesim-run(1)`) instead of routesim's.
    #[arg(value_name = "COMMAND")]
    pub command: Option<String>,
}

fn completions(args: &CompletionsArgs) -> Result<u8> {
    use clap::CommandFactory;
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "routesim", &mut out);
    emit(&out)?;
    Ok(EXIT_SUCCESS)
}

fn man(args: &ManArgs) -> Result<u8> {
    use clap::CommandFactory;
    let mut cmd = Cli::command();
    cmd.build();
    let page = match &args.command {
        None => cmd,
        Some(name) => {
            let Some(sub) = cmd.find_subcommand(name) else {
                let names: Vec<&str> = cmd.get_subcommands().map(|c| c.get_name()).collect();
                return Err(Error::Usage(format!(
                    "man: no command named \"{name}\"; commands: {}",
                    names.join(", ")
                )));
            };
            sub.clone()
                .name(format!("routesim-{name}"))
                .bin_name(format!("routesim {name}"))
                .version(env!("CARGO_PKG_VERSION"))
        }
    };
    let mut out = Vec::new();
    clap_mangen::Man::new(page)
        .render(&mut out)
        .expect("rendering into memory cannot fail");
    emit(&out)?;
    Ok(EXIT_SUCCESS)
}

/// Options of `routesim explain`.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The scenario file (TOML).
    pub file: PathBuf,
    /// The chat's attributes, as name=value pairs separated by commas.
    #[arg(long, value_name = "ATTRS", default_value = "")]
    pub chat: String,
    /// The moment, as weekday and time [default: the scenario's `simulation.start`].
    #[arg(long, value_name = "WHEN")]
    pub at: Option<String>,
    /// The customer has an owner (account manager).
    #[arg(long)]
    pub has_owner: bool,
    /// The customer's owner, by agent name (such as `am-2`); implies --has-owner.
    #[arg(long, value_name = "AGENT")]
    pub owner: Option<String>,
}

/// Output format of `bench`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BenchFormat {
    /// A table for people.
    Table,
    /// JSON for scripts: latencies in ns, throughput per second.
    Json,
}

/// Options of `routesim bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// The scenario file (TOML).
    pub file: PathBuf,
    /// Desk sizes to measure, in agents, separated by commas (each 1 to 100000).
    #[arg(
        long,
        value_name = "N,...",
        value_delimiter = ',',
        value_parser = parse_desk_size,
        default_value = "1000,10000,100000"
    )]
    pub agents: Vec<u32>,
    /// Measured decisions per size (after a warm-up of a tenth of them, at least 1000); at most
    /// 1,000,000,000.
    #[arg(long, value_name = "N", default_value_t = routesim::corebench::DEFAULT_DECISIONS,
          value_parser = clap::value_parser!(u64).range(1..=routesim::corebench::MAX_DECISIONS))]
    pub decisions: u64,
    /// Share of the chat slots held, 0 to 1 [default: the scenario's occupancy in its busiest
    /// half hour, as `validate` shows it].
    #[arg(long, value_name = "SHARE")]
    pub busy: Option<f64>,
    /// Seed of the chats and loads drawn [default: the scenario's `simulation.seed`].
    #[arg(long)]
    pub seed: Option<u64>,
    /// The moment the rules see, as weekday and time [default: the scenario's
    /// `simulation.start`].
    #[arg(long, value_name = "WHEN")]
    pub at: Option<String>,
    /// Output format on stdout.
    #[arg(long, value_enum, default_value_t = BenchFormat::Table)]
    pub format: BenchFormat,
    /// No progress bar on stderr.
    #[arg(long, short)]
    pub quiet: bool,
}

/// Reads one desk size of `--agents`.
fn parse_desk_size(s: &str) -> std::result::Result<u32, String> {
    let max = scenario::limits::MAX_AGENTS;
    match s.trim().parse::<u64>() {
        Ok(n) if (1..=max).contains(&n) => Ok(n as u32),
        _ => Err(format!(
            "a desk size is a whole number of agents from 1 to {max}, such as --agents 1000,10000"
        )),
    }
}

/// Output format of `run`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A table for people.
    Table,
    /// JSON for scripts and CI (times in seconds).
    Json,
    /// A compact summary in Markdown, for a pull request comment or a CI job summary.
    Markdown,
}

/// When a threshold counts as breached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BreachArg {
    /// When its point estimate is past the limit; the verdict says if the 95% interval still
    /// includes the limit.
    Estimate,
    /// Only when its whole 95% interval is past the limit.
    Ci,
}

/// Gates: what makes a run fail a CI job (exit 1).
#[derive(Debug, Args)]
pub struct GateArgs {
    /// A threshold on a figure of the JSON report, such as 'overall.wait.p95 <= 60s' or
    /// 'teams.support.service_level >= 0.8' (repeatable; checked with the scenario's
    /// [[slo]]). A breach exits 1.
    #[arg(long = "assert", value_name = "THRESHOLD")]
    pub asserts: Vec<String>,
    /// When a threshold counts as breached: `estimate`, when its point estimate is past the
    /// limit; `ci`, only when its whole 95% interval is.
    #[arg(long, value_enum, default_value_t = BreachArg::Estimate, value_name = "RULE")]
    pub breach: BreachArg,
    /// A stored report to compare with (a run's summary.json, or what `--format json`
    /// printed): a figure worse than its tolerance and than the noise fails the gate (exit 1).
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// How much a figure may get worse than the baseline, such as 'overall.wait.p95=+10%' or
    /// 'overall.service_level=-0.02' (repeatable; a figure named here is compared too).
    #[arg(long = "tolerance", value_name = "PATH=AMOUNT", requires = "baseline")]
    pub tolerances: Vec<String>,
    /// Also write the gate as JUnit XML to FILE: one test case per threshold and per figure
    /// compared with the baseline.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
}

impl GateArgs {
    fn given(&self) -> bool {
        !self.asserts.is_empty() || self.baseline.is_some() || self.junit.is_some()
    }

    /// The gate of `model`, checked before anything runs.
    fn gate(&self, model: &Model, file: &Path) -> Result<routesim::gate::Gate> {
        let gate = routesim::gate::Gate::new(
            model,
            file,
            &routesim::gate::GateSpec {
                asserts: &self.asserts,
                rule: match self.breach {
                    BreachArg::Estimate => routesim::gate::BreachRule::Estimate,
                    BreachArg::Ci => routesim::gate::BreachRule::Ci,
                },
                baseline: self.baseline.as_deref(),
                tolerances: &self.tolerances,
            },
        )?;
        if self.junit.is_some() && gate.is_empty() {
            return Err(Error::Usage(
                "--junit writes one test case per threshold: add [[slo]] to the scenario, --assert or --baseline".into(),
            ));
        }
        Ok(gate)
    }
}

/// Options of `routesim run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The scenario file (TOML).
    pub file: PathBuf,
    /// Output format on stdout.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Also write summary.json, teams.csv, agents.csv, intervals.csv, chats.csv and
    /// report.html (the report with charts, for a browser) into this folder (created if
    /// missing).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Report by interval of the clock: 15m, 30m or 60m (in the table, the JSON's `intervals`
    /// and intervals.csv) [default with --out: 30m].
    #[arg(long, value_name = "LENGTH", value_parser = parse_interval_flag)]
    pub interval: Option<u64>,
    /// Base seed [default: the scenario's `simulation.seed`].
    #[arg(long)]
    pub seed: Option<u64>,
    /// Replications [default: the scenario's `simulation.replications`].
    #[arg(long)]
    pub replications: Option<u32>,
    /// Measured duration, e.g. 8h [default: the scenario's `simulation.duration`].
    #[arg(long, value_parser = parse_duration_flag)]
    pub duration: Option<f64>,
    /// Multiply every traffic stream's volume by this, e.g. 1.3 for 130% (on top of each
    /// stream's own `scale`; a replayed log is thinned or repeated, see README "Replay").
    #[arg(long, value_name = "FACTOR", value_parser = parse_scale_flag)]
    pub scale: Option<f64>,
    /// Worker threads for replications (0 to 1024); 0 means one per core. Never more than the
    /// replications are started. Results do not depend on it.
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u16).range(0..=1024))]
    pub threads: u16,
    /// No progress bar, warnings or timing on stderr.
    #[arg(long, short)]
    pub quiet: bool,
    /// Run only shard K of N (K from 0) of the replications and print its partial result as
    /// JSON, for `routesim merge`. `--shard N` takes K from SLURM_ARRAY_TASK_ID or
    /// JOB_COMPLETION_INDEX.
    #[arg(long, value_name = "K/N", conflicts_with_all = ["out", "format"])]
    pub shard: Option<String>,
    #[command(flatten)]
    pub gate: GateArgs,
}

impl RunArgs {
    /// The scenario's values these flags replace.
    fn overrides(&self) -> scenario::Overrides {
        scenario::Overrides {
            seed: self.seed,
            replications: self.replications,
            duration: self.duration,
            scale: self.scale.map(|m| (m, None)).into_iter().collect(),
            ..Default::default()
        }
    }
}

/// Options of `routesim merge`.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The partial results of `run --shard`, one per shard, in any order.
    #[arg(required = true, value_name = "PART")]
    pub parts: Vec<PathBuf>,
    /// Output format on stdout (csv: for a sweep's parts; markdown: for a run's).
    #[arg(long, value_enum, default_value_t = MergeFormat::Table)]
    pub format: MergeFormat,
    /// Also write into this folder what the merged command would have written: for a run,
    /// summary.json, teams.csv, agents.csv, intervals.csv and report.html (not chats.csv: the
    /// chats stayed with the shards); for a sweep, sweep.csv and report.html; for a
    /// comparison, comparison.csv and report.html.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// No warnings on stderr.
    #[arg(long, short)]
    pub quiet: bool,
    #[command(flatten)]
    pub gate: GateArgs,
}

/// Output format of `merge`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MergeFormat {
    /// A table for people.
    Table,
    /// JSON for scripts (times in seconds, shares as fractions).
    Json,
    /// CSV: a sweep's rows.
    Csv,
    /// A compact summary in Markdown (a run's parts).
    Markdown,
}

/// Output format of `compare`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CompareFormat {
    /// A table for people.
    Table,
    /// JSON for scripts (times in seconds, shares as fractions).
    Json,
    /// CSV, one row per figure and scenario.
    Csv,
}

/// Options of `routesim compare`.
#[derive(Debug, Args)]
pub struct CompareArgs {
    /// The scenario files (TOML): the first, and those compared with it.
    #[arg(required = true, num_args = 2.., value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Output format on stdout.
    #[arg(long, value_enum, default_value_t = CompareFormat::Table)]
    pub format: CompareFormat,
    /// Also write comparison.csv (as --format csv prints it) and report.html (the figures side
    /// by side, for a browser) into this folder (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub runs: RunsArgs,
    /// Run only shard K of N (K from 0) of the replications of every scenario and print its
    /// partial result as JSON, for `routesim merge`. `--shard N` takes K from
    /// SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX.
    #[arg(long, value_name = "K/N", conflicts_with_all = ["format", "out"])]
    pub shard: Option<String>,
}

/// How every run of a command that runs a scenario many times is made (`compare`, `staff`,
/// `sweep`).
#[derive(Debug, Args)]
pub struct RunsArgs {
    /// Base seed of every run [default: the (first) scenario's `simulation.seed`].
    #[arg(long)]
    pub seed: Option<u64>,
    /// Replications of every run, at least 2 [default: the (first) scenario's
    /// `simulation.replications`].
    #[arg(long)]
    pub replications: Option<u32>,
    /// Measured duration of every run, e.g. 8h [default: each scenario's own].
    #[arg(long, value_parser = parse_duration_flag)]
    pub duration: Option<f64>,
    /// Multiply every traffic stream's volume by this, e.g. 1.3 for 130% (on top of each
    /// stream's own `scale`; a replayed log is thinned or repeated, see README "Replay").
    #[arg(long, value_name = "FACTOR", value_parser = parse_scale_flag)]
    pub scale: Option<f64>,
    /// Worker threads for replications (0 to 1024); 0 means one per core. Results do not
    /// depend on it.
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u16).range(0..=1024))]
    pub threads: u16,
    /// No progress or warnings on stderr.
    #[arg(long, short)]
    pub quiet: bool,
}

impl RunsArgs {
    fn overrides(&self) -> scenario::Overrides {
        scenario::Overrides {
            seed: self.seed,
            replications: self.replications,
            duration: self.duration,
            scale: self.scale.map(|m| (m, None)).into_iter().collect(),
            ..Default::default()
        }
    }
}

/// What `staff` makes smallest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MinimizeArg {
    /// Agents in the varied groups.
    Agents,
    /// Staffing cost (the groups' `cost` x hours on shift).
    Cost,
}

/// Options of `routesim staff`.
#[derive(Debug, Args)]
pub struct StaffArgs {
    /// The scenario file (TOML).
    pub file: PathBuf,
    /// A target every answer must meet, such as 'sl(20s) >= 0.8' (repeatable).
    #[arg(long = "target", required = true, value_name = "TARGET", value_parser = parse_target)]
    pub targets: Vec<routesim::target::Target>,
    /// An [[agents]] entry whose count the search sets (repeatable).
    #[arg(long, required = true, value_name = "GROUP")]
    pub vary: Vec<String>,
    /// What to make smallest.
    #[arg(long, value_enum, default_value_t = MinimizeArg::Agents)]
    pub minimize: MinimizeArg,
    /// The requirement per interval of the clock (15m, 30m or 60m): each interval run
    /// stationary, then the whole run with the curve as roster.
    #[arg(long, value_name = "LENGTH", value_parser = parse_interval_flag)]
    pub per_interval: Option<u64>,
    /// With --per-interval: run only shard K of N (K from 0) of the intervals and print its
    /// partial result as JSON, for `routesim merge` (which then checks the whole run with the
    /// curve). `--shard N` takes K from SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX.
    #[arg(
        long,
        value_name = "K/N",
        requires = "per_interval",
        conflicts_with = "format"
    )]
    pub shard: Option<String>,
    /// Output format on stdout (csv: the per-interval curve, with --per-interval).
    #[arg(long, value_enum, default_value_t = CompareFormat::Table)]
    pub format: CompareFormat,
    #[command(flatten)]
    pub runs: RunsArgs,
}

/// Options of `routesim stress`.
#[derive(Debug, Args)]
pub struct StressArgs {
    /// The scenario file (TOML).
    pub file: PathBuf,
    /// A target every load up to the breaking one must meet, such as 'sl(20s) >= 0.8'
    /// (repeatable).
    #[arg(long = "target", required = true, value_name = "TARGET", value_parser = parse_target)]
    pub targets: Vec<routesim::target::Target>,
    /// Multiply only this [[traffic]] stream's volume [default: every stream's].
    #[arg(long, value_name = "NAME")]
    pub stream: Option<String>,
    /// The lowest load of the grid, as a multiple of today's.
    #[arg(long, value_name = "MULTIPLIER", default_value_t = routesim::stress::DEFAULT_FROM)]
    pub from: f64,
    /// The grid's step below 2x (twice it up to 5x, five times it beyond).
    #[arg(long, value_name = "MULTIPLIER", default_value_t = routesim::stress::DEFAULT_STEP, conflicts_with = "ramp")]
    pub step: f64,
    /// How close the bisections bring the breaking load and its interval's ends.
    #[arg(long, value_name = "MULTIPLIER", default_value_t = routesim::stress::DEFAULT_RESOLUTION, conflicts_with = "ramp")]
    pub resolution: f64,
    /// The highest load the grid goes to [default: 20], or the ramp's peak [default: 2].
    #[arg(long, value_name = "MULTIPLIER")]
    pub max: Option<f64>,
    /// Instead of a grid of runs, one run whose load rises from --from by this much an hour
    /// to --max and falls back, such as 10%/h; reports when each target first broke and
    /// whether the desk recovered, by window of --interval.
    #[arg(long, value_name = "RATE", value_parser = parse_ramp_flag)]
    pub ramp: Option<f64>,
    /// With --ramp: the windows' length, 15m, 30m or 60m.
    #[arg(long, value_name = "LENGTH", value_parser = parse_interval_flag, requires = "ramp", default_value = "15m")]
    pub interval: u64,
    /// Output format on stdout (csv: the curve, as stress.csv).
    #[arg(long, value_enum, default_value_t = CompareFormat::Table)]
    pub format: CompareFormat,
    /// Also write stress.csv (the curve), stress.json (the answer) and report.html (the curve
    /// with charts, for a browser) into this folder (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub runs: RunsArgs,
}

/// Output format of `sweep`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SweepFormat {
    /// A table for people, one line per point.
    Table,
    /// JSON for scripts (times in seconds, shares as fractions).
    Json,
    /// CSV, one row per point: what --out writes to sweep.csv.
    Csv,
}

/// Options of `routesim sweep`.
#[derive(Debug, Args)]
pub struct SweepArgs {
    /// The scenario file (TOML).
    pub file: PathBuf,
    /// A setting and its values, such as 'agents.support.count=8..16' (repeatable; the grid
    /// is every combination).
    #[arg(long = "set", required = true, value_name = "PATH=VALUES", value_parser = parse_axis)]
    pub sets: Vec<routesim::sweep::Axis>,
    /// Output format on stdout.
    #[arg(long, value_enum, default_value_t = SweepFormat::Table)]
    pub format: SweepFormat,
    /// Also write sweep.csv and report.html (the sweep with charts, for a browser) into this
    /// folder (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub runs: RunsArgs,
    /// Run only shard K of N (K from 0) of the grid's points and print its partial result as
    /// JSON, for `routesim merge`. `--shard N` takes K from SLURM_ARRAY_TASK_ID or
    /// JOB_COMPLETION_INDEX.
    #[arg(long, value_name = "K/N", conflicts_with_all = ["out", "format"])]
    pub shard: Option<String>,
}

fn parse_axis(s: &str) -> std::result::Result<routesim::sweep::Axis, String> {
    s.parse()
}

fn parse_target(s: &str) -> std::result::Result<routesim::target::Target, String> {
    s.parse()
}

/// Options of `routesim validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// The scenario file (TOML).
    pub file: PathBuf,
}

/// Reads a volume multiplier: a number above 0 and at most the profile multiplier's limit.
fn parse_scale_flag(s: &str) -> std::result::Result<f64, String> {
    let max = scenario::limits::MAX_MULTIPLIER;
    match s.trim().parse::<f64>() {
        Ok(x) if x.is_finite() && x > 0.0 && x <= max => Ok(x),
        _ => Err(format!(
            "a volume multiplier is a number above 0 and at most {}, such as 1.3 for 130%",
            scenario::limits::num(max)
        )),
    }
}

/// Reads an interval length: 15m, 30m or 60m, in ticks.
fn parse_interval_flag(s: &str) -> std::result::Result<u64, String> {
    let secs = scenario::values::parse_duration(s)?;
    match secs as u64 {
        900 | 1_800 | 3_600 if secs.fract() == 0.0 => {
            Ok(secs as u64 * routesim::model::TICKS_PER_SEC)
        }
        _ => Err("an interval is 15m, 30m or 60m".into()),
    }
}

/// Reads a duration; whether it is a sensible one is the scenario's check, as for the file.
fn parse_duration_flag(s: &str) -> std::result::Result<f64, String> {
    scenario::values::parse_duration(s)
}

/// Runs a parsed command line; returns the exit code.
pub fn run(cli: Cli) -> Result<u8> {
    match cli.command {
        Command::Run(args) => run_scenario(&args),
        Command::Validate(args) => validate(&args),
        Command::Compare(args) => compare(&args),
        Command::Staff(args) => staff(&args),
        Command::Merge(args) => merge(&args),
        Command::Sweep(args) => sweep(&args),
        Command::Stress(args) => stress(&args),
        Command::Explain(args) => explain(&args),
        Command::Bench(args) => bench(&args),
        Command::Completions(args) => completions(&args),
        Command::Man(args) => man(&args),
    }
}

/// The message for an error, as printed on stderr.
pub fn render_error(e: &Error) -> String {
    match e {
        Error::Scenario(d) => {
            let limit = routesim::scenario::limits::MAX_DIAGNOSTICS;
            let mut out = String::new();
            for (i, item) in d.items.iter().take(limit).enumerate() {
                let one = routesim::error::Diagnostics {
                    file: d.file.clone(),
                    items: vec![item.clone()],
                    unlisted: 0,
                };
                if i > 0 {
                    out.push('\n');
                }
                out.push_str(&format!("error: {one}"));
            }
            let hidden = d.items.len().saturating_sub(limit) as u64 + d.unlisted;
            if hidden > 0 {
                out.push_str(&format!("\n... and {hidden} more problems, not shown"));
            }
            let found = d.items.len() as u64 + d.unlisted;
            if found > 1 {
                out.push_str(&format!("\n{found} problems found in {}", d.file.display()));
            }
            out
        }
        Error::Interrupted => e.to_string(),
        other => format!("error: {other}"),
    }
}

fn merge(args: &MergeArgs) -> Result<u8> {
    use routesim::shard::AnyPartial;
    let (mut runs, mut sweeps, mut compares, mut staffs) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for p in &args.parts {
        match routesim::shard::read(p)? {
            AnyPartial::Run(p) => runs.push(*p),
            AnyPartial::Sweep(p) => sweeps.push(*p),
            AnyPartial::Compare(p) => compares.push(*p),
            AnyPartial::Staff(p) => staffs.push(*p),
        }
    }
    let kinds: Vec<&str> = [
        ("run", runs.is_empty()),
        ("sweep", sweeps.is_empty()),
        ("compare", compares.is_empty()),
        ("staff", staffs.is_empty()),
    ]
    .into_iter()
    .filter_map(|(name, none)| (!none).then_some(name))
    .collect();
    if kinds.len() > 1 {
        return Err(Error::Usage(format!(
            "the parts mix the shards of different commands ({}): merge one command's at a time",
            kinds.join(", ")
        )));
    }
    if runs.is_empty() && args.gate.given() {
        return Err(Error::Usage(
            "--assert, --baseline and --junit judge a run's report: these parts are not a run's"
                .into(),
        ));
    }
    if runs.is_empty() && args.format == MergeFormat::Markdown {
        return Err(Error::Usage(
            "--format markdown is for a run's parts".into(),
        ));
    }
    if !staffs.is_empty() {
        if args.out.is_some() {
            return Err(Error::Usage(
                "--out is for the parts of a run, a sweep or a comparison; a staffing curve prints to stdout".into(),
            ));
        }
        // The merge runs the whole window once with the curve as roster (minutes on a busy
        // desk): a spinner says so, and an interrupt stops it (exit 130, nothing printed).
        let spinner = spinner(args.quiet, "merging");
        watch_for_interrupts();
        let step = |what: &str| {
            if let Some(s) = &spinner {
                s.set_message(what.to_string());
            }
        };
        let merged = routesim::shard::merge_staff(staffs, 0, &step, &interrupted);
        if let Some(s) = &spinner {
            s.finish_and_clear();
        }
        let (need, notes) = merged?;
        emit(&match args.format {
            MergeFormat::Table => report::staff::requirement_table(&need).into_bytes(),
            MergeFormat::Json => report::json(&need),
            MergeFormat::Csv => report::staff::requirement_csv(&need),
            MergeFormat::Markdown => unreachable!("refused above"),
        })?;
        if !args.quiet {
            for n in notes {
                note(format_args!("warning: {n}"));
            }
        }
        return Ok(EXIT_SUCCESS);
    }
    if !compares.is_empty() {
        let out_dir = args.out.as_deref().map(OutDir::claim).transpose()?;
        let (comparison, notes) = routesim::shard::merge_compare(compares)?;
        if let Some(out) = out_dir {
            write_comparison(out, &comparison)?;
        }
        emit(&match args.format {
            MergeFormat::Table => report::compare::table(&comparison).into_bytes(),
            MergeFormat::Json => report::json(&comparison),
            MergeFormat::Csv => report::compare::csv(&comparison),
            MergeFormat::Markdown => unreachable!("refused above"),
        })?;
        if !args.quiet {
            for n in notes {
                note(format_args!("warning: {n}"));
            }
        }
        return Ok(EXIT_SUCCESS);
    }
    junit_outside(args.gate.junit.as_deref(), args.out.as_deref())?;
    let out_dir = args.out.as_deref().map(OutDir::claim).transpose()?;
    let (out, notes) = if sweeps.is_empty() {
        let format = match args.format {
            MergeFormat::Table => Format::Table,
            MergeFormat::Json => Format::Json,
            MergeFormat::Markdown => Format::Markdown,
            MergeFormat::Csv => {
                return Err(Error::Usage(
                    "--format csv is for a sweep's parts; a run's merge prints table, json or markdown (--out writes its CSV files)".into(),
                ));
            }
        };
        let merged = routesim::shard::merge(runs, 0)?;
        let gate = args.gate.gate(&merged.model, &merged.scenario)?;
        let summary = merged.summary;
        let gates = (!gate.is_empty()).then(|| gate.check(&summary));
        if let Some(out) = out_dir {
            write_set(out.staging(), &summary, &merged.waits, gates.as_ref())?;
            out.commit()?;
        }
        if let (Some(path), Some(g)) = (&args.gate.junit, &gates) {
            write_file(path, &report::gate::junit(&summary, g))?;
        }
        let intervals = summary.intervals.is_some();
        emit_report(&summary, gates.as_ref(), format, intervals)?;
        if !args.quiet {
            for n in merged.notes {
                note(format_args!("warning: {n}"));
            }
        }
        return Ok(gate_exit(gates.as_ref(), format, args.quiet));
    } else {
        let (sweep, notes) = routesim::shard::merge_sweep(sweeps)?;
        let csv = report::sweep::csv(&sweep);
        if let Some(out) = out_dir {
            write_synced(out.staging(), "sweep.csv", &csv)?;
            write_synced(
                out.staging(),
                "report.html",
                report::html::sweep(&sweep).as_bytes(),
            )?;
            out.commit()?;
        }
        let out = match args.format {
            MergeFormat::Table => report::sweep::table(&sweep).into_bytes(),
            MergeFormat::Json => report::json(&sweep),
            MergeFormat::Csv | MergeFormat::Markdown => csv,
        };
        (out, notes)
    };
    emit(&out)?;
    if !args.quiet {
        for n in notes {
            note(format_args!("warning: {n}"));
        }
    }
    Ok(EXIT_SUCCESS)
}

fn run_scenario(args: &RunArgs) -> Result<u8> {
    if let Some(spec) = &args.shard {
        return run_shard(args, spec);
    }
    let overrides = args.overrides();
    let model = scenario::load_with(&args.file, &overrides)?;
    let gate = args.gate.gate(&model, &args.file)?;
    junit_outside(args.gate.junit.as_deref(), args.out.as_deref())?;
    watch_for_interrupts();
    // Claimed before simulating: an unwritable or busy folder fails now, not after the run.
    let out_dir = args.out.as_deref().map(OutDir::claim).transpose()?;
    let started = Instant::now();
    // --out always writes intervals.csv, by half-hour unless --interval says otherwise (and
    // with only its header, and a warning, for a run too long for half-hours).
    let fits = |len: u64| {
        routesim::stats::intervals::IntervalCollector::new(&model, routesim::model::SimTime(len))
    };
    if let Some(len) = args.interval {
        fits(len).map_err(|e| Error::Usage(format!("--interval: {e}")))?;
    }
    let half_hour = 1_800 * routesim::model::TICKS_PER_SEC;
    let options = experiment::RunOptions {
        threads: args.threads as usize,
        interval: args
            .interval
            .or(out_dir.as_ref().map(|_| half_hour))
            .map(routesim::model::SimTime),
    };
    let summary = match &out_dir {
        Some(out) => {
            // run_with's two steps, so that the pooled collector gives report.html its curves.
            let chats = ChatsFile::create(&model, out.staging(), 0)?;
            let (part, _) = with_progress(&[&model], args.quiet, |progress| {
                experiment::run_part(
                    &model,
                    &options,
                    0..model.replications,
                    |r| (chats.rows(r), Interrupt),
                    progress,
                )
            });
            let waits = part.collector.wait_curves(&model);
            let summary = experiment::summary(&model, &options, part);
            summary.failed()?;
            if !interrupted() {
                let gates = (!gate.is_empty()).then(|| gate.check(&summary));
                write_set(out.staging(), &summary, &waits, gates.as_ref())?;
                chats.finish(model.replications)?;
            }
            summary
        }
        None => {
            with_progress(&[&model], args.quiet, |progress| {
                experiment::run_with(&model, &options, |_| Interrupt, progress)
            })
            .0
        }
    };
    summary.failed()?;
    // An interrupted run's report is partial: nothing is judged on it.
    let gates = (!gate.is_empty() && !interrupted()).then(|| gate.check(&summary));
    // An interrupted run leaves DIR as it was; the staging folder goes when dropped.
    if let (Some(out), false) = (out_dir, interrupted()) {
        out.commit()?;
    }
    let elapsed = started.elapsed();
    if let (Some(path), Some(g)) = (&args.gate.junit, &gates) {
        write_file(path, &report::gate::junit(&summary, g))?;
    }
    emit_report(
        &summary,
        gates.as_ref(),
        args.format,
        args.interval.is_some(),
    )?;
    if !args.quiet {
        // The table shows its warnings itself; JSON carries them in `warnings` for machines,
        // and people watching the terminal see them here.
        if args.format == Format::Json && !summary.warnings.is_empty() {
            note(format_args!(
                "{}",
                report::warning_lines(&summary.warnings).trim_end()
            ));
        }
        let secs = elapsed.as_secs_f64().max(1e-9);
        note(format_args!(
            "simulated {} chats in {} replication(s) in {:.2}s ({:.0} chats/s)",
            summary.simulated_chats,
            summary.replications,
            secs,
            summary.simulated_chats as f64 / secs
        ));
    }
    if interrupted() {
        note(format_args!(
            "interrupted: the report above covers the time simulated so far; no --out files were written{}",
            if gate.is_empty() {
                ""
            } else {
                ", and no threshold was checked"
            }
        ));
        return Ok(EXIT_INTERRUPTED);
    }
    Ok(gate_exit(gates.as_ref(), args.format, args.quiet))
}

/// [`run_report`] on stdout. JSON is written as it is made: with 100,000 agents it is 27 MB,
/// which would otherwise be held whole (and copied as it grew) at the run's peak of memory.
fn emit_report(
    summary: &Summary,
    gates: Option<&routesim::gate::Gates>,
    format: Format,
    intervals: bool,
) -> Result<()> {
    match format {
        Format::Json => emit_with(|w| report::gate::json_to(w, summary, gates)),
        _ => emit(&run_report(summary, gates, format, intervals)),
    }
}

/// A run's report on stdout: the table (with the intervals' and the gate's), JSON or Markdown.
fn run_report(
    summary: &Summary,
    gates: Option<&routesim::gate::Gates>,
    format: Format,
    intervals: bool,
) -> Vec<u8> {
    match format {
        Format::Table => {
            let mut out = report::table::table(summary);
            if intervals {
                out = out + "\n" + &report::table::intervals(summary);
            }
            if let Some(g) = gates {
                out = out + "\n" + &report::gate::table(g);
            }
            out.into_bytes()
        }
        Format::Json => report::gate::json(summary, gates),
        Format::Markdown => report::gate::markdown(summary, gates).into_bytes(),
    }
}

/// The exit code of a gated run, saying on stderr what failed (the table says it on stdout).
fn gate_exit(gates: Option<&routesim::gate::Gates>, format: Format, quiet: bool) -> u8 {
    let Some(g) = gates else { return EXIT_SUCCESS };
    if !quiet && format != Format::Table {
        for w in &g.warnings {
            note(format_args!("warning: {w}"));
        }
    }
    if g.passed {
        return EXIT_SUCCESS;
    }
    if !quiet {
        for line in report::gate::failures(g) {
            note(format_args!("gate: {line}"));
        }
    }
    EXIT_BREACHED
}

/// `run --shard`: one share of the replications, its partial result on stdout.
fn run_shard(args: &RunArgs, spec: &str) -> Result<u8> {
    let shard =
        routesim::shard::Shard::parse(spec, |v| std::env::var(v).ok()).map_err(Error::Usage)?;
    if args.gate.given() {
        return Err(Error::Usage(
            "--assert, --baseline and --junit judge the whole run: give them to `routesim merge`, which also checks the scenario's [[slo]]".into(),
        ));
    }
    let overrides = args.overrides();
    let model = scenario::load_with(&args.file, &overrides)?;
    let options = experiment::RunOptions {
        threads: args.threads as usize,
        interval: args.interval.map(routesim::model::SimTime),
    };
    let partial = with_progress(&[&model], args.quiet, |progress| {
        routesim::shard::run_shard(&args.file, &overrides, &options, shard, progress)
    })?;
    emit(&report::json(&partial))?;
    Ok(EXIT_SUCCESS)
}

fn compare(args: &CompareArgs) -> Result<u8> {
    // The first scenario's seed and replications go to all, so that they can pair.
    let first = scenario::load_with(&args.files[0], &args.runs.overrides())?;
    let overrides = scenario::Overrides {
        seed: Some(first.seed),
        replications: Some(first.replications),
        ..args.runs.overrides()
    };
    let mut models = vec![first];
    for f in &args.files[1..] {
        models.push(scenario::load_with(f, &overrides)?);
    }
    routesim::compare::name_apart(&mut models, &args.files);
    let options = experiment::RunOptions {
        threads: args.runs.threads as usize,
        interval: None,
    };
    let refs: Vec<&Model> = models.iter().collect();
    if let Some(spec) = &args.shard {
        let shard =
            routesim::shard::Shard::parse(spec, |v| std::env::var(v).ok()).map_err(Error::Usage)?;
        let partial = with_progress(&refs, args.runs.quiet, |progress| {
            routesim::shard::run_compare_shard(
                &args.files,
                &models,
                args.runs.duration,
                args.runs.scale,
                args.runs.threads as usize,
                shard,
                progress,
            )
        })?;
        emit(&report::json(&partial))?;
        return Ok(EXIT_SUCCESS);
    }
    routesim::compare::check(&models)?;
    watch_for_interrupts();
    // Claimed before simulating: an unwritable or busy folder fails now, not after the runs.
    let out_dir = args.out.as_deref().map(OutDir::claim).transpose()?;
    let comparison = with_progress(&refs, args.runs.quiet, |progress| {
        routesim::compare::compare_until(&models, &options, &interrupted, progress)
    })?;
    // An interrupted comparison reports nothing; the staging folder goes when dropped.
    let Some(comparison) = comparison else {
        note(format_args!(
            "interrupted: no comparison was printed and no --out files were written"
        ));
        return Ok(EXIT_INTERRUPTED);
    };
    if let Some(out) = out_dir {
        write_comparison(out, &comparison)?;
    }
    let out = match args.format {
        CompareFormat::Table => report::compare::table(&comparison).into_bytes(),
        CompareFormat::Csv => report::compare::csv(&comparison),
        CompareFormat::Json => report::json(&comparison),
    };
    emit(&out)?;
    if !args.runs.quiet && args.format != CompareFormat::Table && !comparison.warnings.is_empty() {
        note(format_args!(
            "{}",
            report::warning_lines(&comparison.warnings).trim_end()
        ));
    }
    Ok(EXIT_SUCCESS)
}

/// Writes a comparison's set (comparison.csv, report.html) and swaps it in.
fn write_comparison(out: OutDir, c: &routesim::compare::Comparison) -> Result<()> {
    write_synced(out.staging(), "comparison.csv", &report::compare::csv(c))?;
    write_synced(
        out.staging(),
        "report.html",
        report::html::compare(c).as_bytes(),
    )?;
    out.commit()
}

fn staff(args: &StaffArgs) -> Result<u8> {
    let source = scenario::Source::read(&args.file)?;
    let query = routesim::staff::Query {
        targets: args.targets.clone(),
        vary: args.vary.clone(),
        minimize: match args.minimize {
            MinimizeArg::Agents => routesim::staff::Minimize::Agents,
            MinimizeArg::Cost => routesim::staff::Minimize::Cost,
        },
        base: args.runs.overrides(),
        threads: args.runs.threads as usize,
    };
    // A spinner naming the staffing being simulated, when someone is watching.
    let spinner = spinner(args.runs.quiet, "simulating");
    watch_for_interrupts();
    let step = |what: &str| {
        if let Some(s) = &spinner {
            s.set_message(what.to_string());
        }
    };
    if let (Some(len), Some(spec)) = (args.per_interval, &args.shard) {
        let shard =
            routesim::shard::Shard::parse(spec, |v| std::env::var(v).ok()).map_err(Error::Usage)?;
        let partial =
            routesim::shard::run_staff_shard(&args.file, &query, len, shard, &step, &interrupted);
        if let Some(s) = &spinner {
            s.finish_and_clear();
        }
        emit(&report::json(&partial?))?;
        return Ok(EXIT_SUCCESS);
    }
    if let Some(len) = args.per_interval {
        let need = routesim::staff::per_interval(&source, &query, len, &step, &interrupted);
        if let Some(s) = &spinner {
            s.finish_and_clear();
        }
        let need = need?;
        emit(&match args.format {
            CompareFormat::Table => report::staff::requirement_table(&need).into_bytes(),
            CompareFormat::Json => report::json(&need),
            CompareFormat::Csv => report::staff::requirement_csv(&need),
        })?;
        if !args.runs.quiet && args.format != CompareFormat::Table && !need.warnings.is_empty() {
            note(format_args!(
                "{}",
                report::warning_lines(&need.warnings).trim_end()
            ));
        }
        return Ok(EXIT_SUCCESS);
    }
    if args.format == CompareFormat::Csv {
        return Err(Error::Usage(
            "--format csv gives the per-interval curve: add --per-interval 30m".into(),
        ));
    }
    let answer = routesim::staff::staff(&source, &query, &step, &interrupted);
    if let Some(s) = &spinner {
        s.finish_and_clear();
    }
    let answer = answer?;
    let out = match args.format {
        CompareFormat::Json => report::json(&answer),
        _ => report::staff::table(&answer).into_bytes(),
    };
    emit(&out)?;
    if !args.runs.quiet && args.format == CompareFormat::Json && !answer.warnings.is_empty() {
        note(format_args!(
            "{}",
            report::warning_lines(&answer.warnings).trim_end()
        ));
    }
    Ok(EXIT_SUCCESS)
}

fn sweep(args: &SweepArgs) -> Result<u8> {
    if let Some(spec) = &args.shard {
        let shard =
            routesim::shard::Shard::parse(spec, |v| std::env::var(v).ok()).map_err(Error::Usage)?;
        let source = scenario::Source::read(&args.file)?;
        let plan = routesim::sweep::plan(&source, &args.sets, &args.runs.overrides())?;
        watch_for_interrupts();
        let partial = with_progress_of(plan.ticks, args.runs.quiet, |progress| {
            routesim::shard::run_sweep_shard(
                &args.file,
                &args.sets,
                &args.runs.overrides(),
                args.runs.threads as usize,
                shard,
                &interrupted,
                progress,
            )
        })?;
        let Some(partial) = partial else {
            note(format_args!("interrupted: no partial result was printed"));
            return Ok(EXIT_INTERRUPTED);
        };
        emit(&report::json(&partial))?;
        return Ok(EXIT_SUCCESS);
    }
    let source = scenario::Source::read(&args.file)?;
    // Every point compiles before anything runs or any folder is claimed.
    let plan = routesim::sweep::plan(&source, &args.sets, &args.runs.overrides())?;
    watch_for_interrupts();
    let out_dir = args.out.as_deref().map(OutDir::claim).transpose()?;
    let sweep = with_progress_of(plan.ticks, args.runs.quiet, |progress| {
        routesim::sweep::run(
            &source,
            &plan,
            args.runs.threads as usize,
            &interrupted,
            progress,
        )
    })?;
    // An interrupted sweep reports nothing; the staging folder goes when dropped.
    let Some(sweep) = sweep else {
        note(format_args!(
            "interrupted: no report was printed and no --out files were written"
        ));
        return Ok(EXIT_INTERRUPTED);
    };
    let csv = report::sweep::csv(&sweep);
    if let Some(out) = out_dir {
        write_synced(out.staging(), "sweep.csv", &csv)?;
        write_synced(
            out.staging(),
            "report.html",
            report::html::sweep(&sweep).as_bytes(),
        )?;
        out.commit()?;
    }
    let out = match args.format {
        SweepFormat::Table => report::sweep::table(&sweep).into_bytes(),
        SweepFormat::Json => report::json(&sweep),
        SweepFormat::Csv => csv,
    };
    emit(&out)?;
    if !args.runs.quiet && args.format != SweepFormat::Table && !sweep.warnings.is_empty() {
        note(format_args!(
            "{}",
            report::warning_lines(&sweep.warnings).trim_end()
        ));
    }
    Ok(EXIT_SUCCESS)
}

/// A spinner on stderr saying `{doing} {msg}`, when someone is watching and not `--quiet`.
fn spinner(quiet: bool, doing: &str) -> Option<indicatif::ProgressBar> {
    (!quiet && std::io::stderr().is_terminal()).then(|| {
        let s = indicatif::ProgressBar::new_spinner();
        s.set_style(
            indicatif::ProgressStyle::with_template(&format!(
                "{{spinner}} {{elapsed}} {doing} {{msg}}"
            ))
            .expect("valid template"),
        );
        s.enable_steady_tick(Duration::from_millis(100));
        s
    })
}

/// Reads a ramp's rate: `10%/h`, `0.1/h` or `2%/min`, as the multiplier's change per hour.
fn parse_ramp_flag(s: &str) -> std::result::Result<f64, String> {
    let bad = || {
        format!(
            "a ramp is a change of the load per hour or minute, such as 10%/h or 1%/min; got \"{s}\""
        )
    };
    let (amount, per) = s.trim().rsplit_once('/').ok_or_else(bad)?;
    let hours = match per.trim() {
        "h" | "hour" => 1.0,
        "m" | "min" | "minute" => 1.0 / 60.0,
        _ => return Err(bad()),
    };
    let amount = amount.trim();
    let x: f64 = match amount.strip_suffix('%') {
        Some(p) => p.trim().parse::<f64>().map_err(|_| bad())? / 100.0,
        None => amount.parse().map_err(|_| bad())?,
    };
    let per_hour = x / hours;
    if !(per_hour.is_finite() && per_hour > 0.0 && per_hour <= scenario::limits::MAX_MULTIPLIER) {
        return Err(bad());
    }
    Ok(per_hour)
}

fn stress_ramp(args: &StressArgs, source: &scenario::Source, per_hour: f64) -> Result<u8> {
    if args.runs.duration.is_some() {
        return Err(Error::Usage(
            "--ramp sets the run's length (up from --from to --max and back); leave out --duration"
                .into(),
        ));
    }
    let q = routesim::stress::RampQuery {
        targets: args.targets.clone(),
        stream: args.stream.clone(),
        base: args.runs.overrides(),
        threads: args.runs.threads as usize,
        from: args.from,
        to: args.max.unwrap_or(2.0),
        per_hour,
        interval: args.interval,
    };
    watch_for_interrupts();
    let out_dir = args.out.as_deref().map(OutDir::claim).transpose()?;
    let spinner = spinner(args.runs.quiet, "simulating the ramp");
    let answer = routesim::stress::ramp(source, &q, &interrupted, &|_| {});
    if let Some(s) = &spinner {
        s.finish_and_clear();
    }
    let answer = answer?;
    let Some(answer) = answer else {
        note(format_args!(
            "interrupted: no report was printed and no --out files were written"
        ));
        return Ok(EXIT_INTERRUPTED);
    };
    let html = answer
        .summary
        .as_ref()
        .map(|summary| report::html::run(summary, &Default::default()));
    let set = StressSet {
        csv: report::stress::ramp_csv(&answer),
        json: report::json(&answer),
        html,
        table: report::stress::ramp_table(&answer),
        warnings: &answer.warnings,
    };
    set.finish(args, out_dir)
}

/// What a stress test writes and prints, its grid's or its ramp's.
struct StressSet<'a> {
    csv: Vec<u8>,
    json: Vec<u8>,
    html: Option<String>,
    table: String,
    warnings: &'a [String],
}

impl StressSet<'_> {
    /// Writes `--out`'s set (stress.csv, stress.json, report.html), then prints the format
    /// asked for, and the warnings on stderr where the table does not show them.
    fn finish(self, args: &StressArgs, out_dir: Option<OutDir>) -> Result<u8> {
        if let Some(out) = out_dir {
            write_synced(out.staging(), "stress.csv", &self.csv)?;
            write_synced(out.staging(), "stress.json", &self.json)?;
            if let Some(html) = &self.html {
                write_synced(out.staging(), "report.html", html.as_bytes())?;
            }
            out.commit()?;
        }
        emit(&match args.format {
            CompareFormat::Table => self.table.into_bytes(),
            CompareFormat::Json => self.json,
            CompareFormat::Csv => self.csv,
        })?;
        if !args.runs.quiet && args.format != CompareFormat::Table && !self.warnings.is_empty() {
            note(format_args!(
                "{}",
                report::warning_lines(self.warnings).trim_end()
            ));
        }
        Ok(EXIT_SUCCESS)
    }
}

fn stress(args: &StressArgs) -> Result<u8> {
    let source = scenario::Source::read(&args.file)?;
    if let Some(per_hour) = args.ramp {
        return stress_ramp(args, &source, per_hour);
    }
    let query = routesim::stress::Query {
        threads: args.runs.threads as usize,
        from: args.from,
        step: args.step,
        resolution: args.resolution,
        max: args.max.unwrap_or(routesim::stress::DEFAULT_MAX),
        ..routesim::stress::Query::new(
            args.targets.clone(),
            args.stream.clone(),
            args.runs.overrides(),
        )
    };
    watch_for_interrupts();
    let out_dir = args.out.as_deref().map(OutDir::claim).transpose()?;
    // A spinner naming the load being simulated, when someone is watching.
    let spinner = spinner(args.runs.quiet, "simulating load");
    let step = |what: &str| {
        if let Some(s) = &spinner {
            s.set_message(what.to_string());
        }
    };
    let answer = routesim::stress::stress(&source, &query, &step, &interrupted);
    if let Some(s) = &spinner {
        s.finish_and_clear();
    }
    let Some(answer) = answer? else {
        note(format_args!(
            "interrupted: no report was printed and no --out files were written"
        ));
        return Ok(EXIT_INTERRUPTED);
    };
    let set = StressSet {
        csv: report::stress::csv(&answer),
        json: report::json(&answer),
        html: Some(report::html::stress(&answer)),
        table: report::stress::table(&answer),
        warnings: &answer.warnings,
    };
    set.finish(args, out_dir)
}

/// Refuses a `--junit` file inside the `--out` folder: the folder is replaced whole by the
/// run's set, so the file would either land on one of the set's own files (a `summary.json`
/// holding XML) or be a stranger that makes the next run on that folder refuse it.
fn junit_outside(junit: Option<&Path>, out: Option<&Path>) -> Result<()> {
    let (Some(junit), Some(out)) = (junit, out) else {
        return Ok(());
    };
    if resolved(junit).starts_with(resolved(out)) {
        return Err(Error::Usage(format!(
            "--junit {}: inside the --out folder {}, which the run replaces whole; write it elsewhere",
            junit.display(),
            out.display()
        )));
    }
    Ok(())
}

/// A path made absolute and resolved component by component: symbolic links and `..` in the
/// part that exists as the file system has them, `..` in the rest by dropping the component
/// before it; so two spellings of one place compare equal even before the place exists.
fn resolved(p: &Path) -> PathBuf {
    let mut real = PathBuf::new();
    for c in std::env::current_dir()
        .unwrap_or_default()
        .join(p)
        .components()
    {
        match c {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                real.pop();
            }
            other => {
                real.push(other);
                if let Ok(r) = real.canonicalize() {
                    real = r;
                }
            }
        }
    }
    real
}

/// Set by the first SIGINT or SIGTERM.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::Relaxed)
}

/// On SIGINT or SIGTERM, stop the replications where they are (the [`Interrupt`] recorder
/// says so to the engine), so the partial report can be printed and the staging folder removed.
/// A second signal exits at once.
fn watch_for_interrupts() {
    let _ = ctrlc::set_handler(|| {
        if INTERRUPTED.swap(true, Ordering::Relaxed) {
            std::process::exit(EXIT_INTERRUPTED.into());
        }
    });
}

/// A recorder that only tells the engine to stop once an interrupt has arrived.
struct Interrupt;

impl routesim::sim::Recorder for Interrupt {
    #[inline]
    fn record(&mut self, _: &routesim::sim::ChatRecord<'_>) {}

    #[inline]
    fn keep_going(&self) -> bool {
        !interrupted()
    }
}

/// Writes a command's output to stdout. A closed pipe (`| head`) is success: the reader took
/// what it wanted. Any other failure (a full disk, `/dev/full`) is an error, so a CI job cannot
/// pass on a report that was never written.
pub fn emit(bytes: &[u8]) -> Result<()> {
    emit_with(|out| out.write_all(bytes))
}

/// [`emit`] for output written as it is made, through a buffer (which passes large writes
/// straight on): the same bytes, and the same errors.
fn emit_with(
    write: impl FnOnce(&mut std::io::BufWriter<std::io::StdoutLock<'static>>) -> std::io::Result<()>,
) -> Result<()> {
    let mut out = std::io::BufWriter::with_capacity(64 * 1024, std::io::stdout().lock());
    match write(&mut out).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Error::Write {
            path: PathBuf::from("<stdout>"),
            source: e,
        }),
        _ => Ok(()),
    }
}

/// What clap says when it does not hand over arguments: usage errors on stderr (exit 2), and
/// `--help` and `--version` on stdout, exit 0, or 3 when stdout cannot be written, as for any
/// command's output (clap's own `exit` ignores that: `--help > /dev/full` exited 0).
pub fn arguments_refused(e: &clap::Error) -> std::process::ExitCode {
    use std::io::IsTerminal;
    if e.use_stderr() {
        let _ = e.print();
        return std::process::ExitCode::from(e.exit_code() as u8);
    }
    let text = match std::io::stdout().is_terminal() {
        true => e.render().ansi().to_string(),
        false => e.render().to_string(),
    };
    match emit(text.as_bytes()) {
        Ok(()) => std::process::ExitCode::from(e.exit_code() as u8),
        Err(err) => {
            note(format_args!("{}", render_error(&err)));
            std::process::ExitCode::from(err.exit_code())
        }
    }
}

/// A line on stderr. If stderr itself cannot be written there is nowhere left to say so, and
/// that must not turn into a panic.
pub fn note(line: std::fmt::Arguments<'_>) {
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

/// Runs `work` with a progress bar on stderr, shown only if stderr is a terminal, `quiet` is
/// off, and the work is still going after half a second.
fn with_progress<T: Send>(
    models: &[&Model],
    quiet: bool,
    work: impl FnOnce(&(dyn Fn(u64) + Sync)) -> T + Send,
) -> T {
    let total = models
        .iter()
        .map(|m| m.end().0.saturating_mul(m.replications as u64))
        .fold(0u64, u64::saturating_add);
    with_progress_of(total, quiet, work)
}

/// [`with_progress`] for work of `total` simulated ticks (a sweep's points are compiled one at
/// a time, so it has no models to count them from).
fn with_progress_of<T: Send>(
    total: u64,
    quiet: bool,
    work: impl FnOnce(&(dyn Fn(u64) + Sync)) -> T + Send,
) -> T {
    with_progress_labeled(total, quiet, "simulating", work)
}

/// [`with_progress_of`] for work of `total` units of any kind, named by `label` in the bar.
fn with_progress_labeled<T: Send>(
    total: u64,
    quiet: bool,
    label: &str,
    work: impl FnOnce(&(dyn Fn(u64) + Sync)) -> T + Send,
) -> T {
    let done_ticks = AtomicU64::new(0);
    let finished = AtomicBool::new(false);
    let progress = |dt: u64| {
        done_ticks.fetch_add(dt, Ordering::Relaxed);
    };
    if quiet || !std::io::stderr().is_terminal() {
        return work(&progress);
    }
    std::thread::scope(|s| {
        let watcher = s.spawn(|| {
            let start = Instant::now();
            let mut bar: Option<indicatif::ProgressBar> = None;
            while !finished.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(100));
                if bar.is_none() && start.elapsed() > Duration::from_millis(500) {
                    let b = indicatif::ProgressBar::new(total);
                    b.set_style(
                        indicatif::ProgressStyle::with_template(&format!(
                            "{{spinner}} {label} [{{bar:40}}] {{percent}}% ({{elapsed}}, ~{{eta}} left)"
                        ))
                        .expect("valid template")
                        .progress_chars("=> "),
                    );
                    bar = Some(b);
                }
                if let Some(b) = &bar {
                    b.set_position(done_ticks.load(Ordering::Relaxed));
                }
            }
            if let Some(b) = bar {
                b.finish_and_clear();
            }
        });
        let out = work(&progress);
        finished.store(true, Ordering::Relaxed);
        let _ = watcher.join();
        out
    })
}

/// Writes one run's set into the (private, fresh) staging folder: the summary (with its gate),
/// the CSVs and the HTML report (with `waits`, the run's wait curves), each flushed to disk.
/// A run's chats.csv is written there as it runs ([`ChatsFile`]); a merged run has none (its
/// chats stayed with the shards).
fn write_set(
    dir: &Path,
    summary: &Summary,
    waits: &routesim::stats::WaitCurves,
    gates: Option<&routesim::gate::Gates>,
) -> Result<()> {
    let write = |name: &str, bytes: &[u8]| write_synced(dir, name, bytes);
    write("summary.json", &report::gate::json(summary, gates))?;
    write("teams.csv", &report::csv::teams(summary))?;
    write("agents.csv", &report::csv::agents(summary))?;
    write("intervals.csv", &report::csv::intervals(summary))?;
    write("report.html", report::html::run(summary, waits).as_bytes())?;
    Ok(())
}

/// Writes a file whole or not at all: into a temporary file beside it, then renamed over it.
/// A path that is a device or a pipe (`/dev/stdout`, `/dev/null`, a FIFO) is written into, as a
/// shell redirection would: renamed over, `--junit /dev/full` had replaced the device with a
/// regular file (found by a fuzzing helper).
///
/// As a redirection would, too: a symbolic link to a file has its file replaced, not the link,
/// and the file keeps its permissions (a new one gets 0666 less the umask). A temporary file
/// is made 0600, and a CI job's upload running as another user could not read the `--junit`
/// report.
fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let err = |source| Error::Write {
        path: path.to_path_buf(),
        source,
    };
    let old = fs::metadata(path).ok();
    if old.as_ref().is_some_and(|m| !m.is_file() && !m.is_dir()) {
        let mut f = fs::OpenOptions::new().write(true).open(path).map_err(err)?;
        return f.write_all(bytes).and_then(|()| f.flush()).map_err(err);
    }
    // Through a link to a file, the file is what is replaced.
    let linked = fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
    let target = match linked && old.as_ref().is_some_and(fs::Metadata::is_file) {
        true => fs::canonicalize(path).map_err(err)?,
        false => path.to_path_buf(),
    };
    let dir = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    // Made with the mode it ends with (the umask may narrow it, never widen it), so that a
    // private file is never readable by others on its way.
    let kept = old.filter(fs::Metadata::is_file).map(|m| m.permissions());
    let mode = kept.clone().unwrap_or(fs::Permissions::from_mode(0o666));
    let mut tmp = tempfile::Builder::new()
        .permissions(mode)
        .tempfile_in(dir)
        .map_err(err)?;
    // Then exactly the old mode, past the umask, where the file system allows it (vfat and
    // some network mounts refuse): the report matters more than its mode.
    if let Some(p) = kept {
        let _ = tmp.as_file().set_permissions(p);
    }
    tmp.write_all(bytes)
        .and_then(|()| tmp.as_file().sync_all())
        .map_err(err)?;
    tmp.persist(&target).map_err(|e| err(e.error))?;
    Ok(())
}

/// Writes `bytes` to `dir/name` and flushes it to disk.
fn write_synced(dir: &Path, name: &str, bytes: &[u8]) -> Result<()> {
    let path = dir.join(name);
    let mut f = fs::File::create(&path).map_err(|source| Error::Write {
        path: path.clone(),
        source,
    })?;
    f.write_all(bytes)
        .and_then(|()| f.sync_all())
        .map_err(|source| Error::Write { path, source })
}

fn explain(args: &ExplainArgs) -> Result<u8> {
    let model = scenario::load(&args.file)?;
    // Printed back in the explanation: an escape sequence would repaint the terminal (a
    // scenario's own names cannot hold one).
    if args.chat.chars().any(char::is_control) {
        return Err(Error::Usage(
            "--chat: a control character (such as an escape) is no attribute's value".into(),
        ));
    }
    let mut attrs = Vec::new();
    for pair in args
        .chat
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        match pair.split_once('=') {
            Some((k, _)) if attrs.iter().any(|(seen, _)| seen == k.trim()) => {
                return Err(Error::Usage(format!(
                    "--chat: {} is given twice; a chat has one value of each attribute",
                    k.trim()
                )));
            }
            Some((k, v)) if !k.trim().is_empty() => {
                attrs.push((k.trim().to_string(), v.trim().to_string()))
            }
            _ => {
                return Err(Error::Usage(format!(
                    "--chat: cannot read \"{pair}\"; write name=value pairs, e.g. --chat 'topic=returns,channel=web'"
                )));
            }
        }
    }
    let week_time = match &args.at {
        None => model.start,
        Some(at) => {
            scenario::values::parse_week_time(at).map_err(|e| Error::Usage(format!("--at: {e}")))?
                as u64
                * routesim::model::TICKS_PER_SEC
        }
    };
    let owner = match &args.owner {
        None => None,
        Some(name) => Some(
            model
                .agents
                .iter()
                .position(|a| &a.name == name)
                .map(|a| routesim::model::AgentId(a as u32))
                .ok_or_else(|| {
                    Error::Usage(format!(
                        "--owner: no agent named \"{name}\" (agents are named like {})",
                        model.agents[0].name
                    ))
                })?,
        ),
    };
    if let Some(o) = owner.filter(|o| model.agents[o.ix()].teams.is_empty()) {
        return Err(Error::Usage(format!(
            "--owner: {} is in no team, so no customer has it as owner (owners come from a traffic stream's owner team)",
            model.agents[o.ix()].name
        )));
    }
    let probe = report::explain::Probe {
        attrs,
        owner,
        has_owner: args.has_owner,
        week_time,
    };
    emit(report::explain::explain(&model, &probe).as_bytes())?;
    Ok(EXIT_SUCCESS)
}

fn bench(args: &BenchArgs) -> Result<u8> {
    let source = scenario::Source::read(&args.file)?;
    let at = args
        .at
        .as_deref()
        .map(|at| {
            scenario::values::parse_week_time(at)
                .map(|secs| secs as u64 * routesim::model::TICKS_PER_SEC)
                .map_err(|e| Error::Usage(format!("--at: {e}")))
        })
        .transpose()?;
    let options = routesim::corebench::BenchOptions {
        sizes: args.agents.clone(),
        decisions: args.decisions,
        busy: args.busy,
        seed: args.seed,
        at,
    };
    routesim::corebench::check(&options)?;
    let total = routesim::corebench::total_decisions(&options);
    watch_for_interrupts();
    let result = with_progress_labeled(total, args.quiet, "deciding", |progress| {
        routesim::corebench::run(&source, &options, progress, &interrupted)
    })?;
    emit(&match args.format {
        BenchFormat::Table => report::bench::table(&result).into_bytes(),
        BenchFormat::Json => report::json(&result),
    })?;
    Ok(EXIT_SUCCESS)
}

fn validate(args: &ValidateArgs) -> Result<u8> {
    let model = scenario::load(&args.file)?;
    // The thresholds' figures are checked against the report's shape, as `run` checks them.
    routesim::gate::Gate::new(&model, &args.file, &Default::default())?;
    emit(report::describe::describe(&model).as_bytes())?;
    emit(report::describe::staffing(&routesim::lint::staffing(&model)).as_bytes())?;
    let warnings = routesim::lint::warnings(&model);
    if !warnings.is_empty() {
        note(format_args!(
            "{}",
            report::warning_lines(&warnings).trim_end()
        ));
    }
    Ok(EXIT_SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn sweep_help_lists_exactly_the_paths_set_can_address() {
        // "PATH: a.b|c, d.e; ..." up to the first "; N" note: `a.b|c` is a.b and a.c.
        let text = SWEEP_EXAMPLES.split("PATH: ").nth(1).unwrap();
        let text = text.split("; NAME is").next().unwrap().replace('\n', " ");
        let mut listed: Vec<String> = Vec::new();
        for group in text.split(", ") {
            // The alternatives follow the first field: traffic.NAME.rate|handle_time.mean.
            let (head, others) = group.trim().split_once('|').unwrap_or((group.trim(), ""));
            let (stem, first) = head.rsplit_once('.').unwrap();
            let others = others.split('|').filter(|f| !f.is_empty());
            for field in std::iter::once(first).chain(others) {
                listed.push(format!("{stem}.{field}"));
            }
        }
        let mut want: Vec<String> = scenario::SET_PATHS.iter().map(|p| p.to_string()).collect();
        listed.sort();
        want.sort();
        assert_eq!(listed, want);
    }
}
