#!/usr/bin/env python3
"""Issue 12's benchmarks: every speed and memory case, measured in CPU time, as one Markdown table.

Run by hand from anywhere (not by `.ci/run`; it takes a few minutes and its figures depend on the
machine):

    python3 benches/bench.py                 # build, generate, run every case in 3 rounds, print the table
    python3 benches/bench.py --callgrind     # instructions per chat at the margin (mmc-100, bare loop)
    python3 benches/bench.py --generate DIR  # only write the generated growth scenarios into DIR

Options: --runs N (rounds, default 3; each figure is from the least time of the N), --scale F
(multiplies every measured duration; 0.3 for a quick look), --ceiling DIR (the bare loop's
crate, default ../shared/ceiling beside the repository), --no-build, --routesim BIN (measure this
binary, e.g. scripts/build-pgo.sh's target/pgo/release/routesim, instead of building
target/release/routesim), --keep (keep the temporary
folder), --raw FILE (also write every measured run, one JSON object per line: round, group,
case, chats, cpu_s, wall_s, rss_kb).
Python 3.9+, standard library only; valgrind for --callgrind. The table goes to stdout, progress
to stderr. Exit 0 when every case ran, whether or not its goal is met; 1 when a command failed or
a generated scenario does not validate cleanly; 2 on bad usage.

How it measures. Every command runs under `/usr/bin/time -f %M` (GNU time, for its peak RSS)
and its CPU time, user + sys, comes from wait4(2) on that wrapper, to the microsecond:
`time -f "%U %S"` itself rounds to 10 ms, a fifth of the bare loop's 0.05 s at 1 M chats.
(wait4's own peak RSS cannot be used: a child spawned from Python inherits Python's size as its
high-water mark.) The machine has 2 cores shared with other builds, so every figure is CPU time,
which other load moves less, except the threads rows, whose point is wall time. The cases run
in rounds, and within a round, in groups of runs made next to each other: the bare loop,
mmc-100 and mmc-100 with --out; each growth case, its start-up run and a run of the growth base
of its own; the two thread counts (rounds 2, 4, ... run each group backwards, so with an even
number of rounds a drift within a group favours neither side). Each figure comes from a case's
least CPU time over the rounds: on this shared host, other work only ever adds to a run's time,
in bursts that catch a run here and there and in slow spells that last minutes, so under that
assumption the least time is the closest bound on what the code itself costs (the argument of
Chen and Revels, "Robust benchmarking in noisy environments", 2016, made for many timings in one
process; the time BenchmarkTools.jl's @btime reports). It is more lenient than the median, and
a slow spell that covers the whole benchmark it cannot undo; a short run dodges bursts more
often than a long one, so it favours the bare loop a little against mmc-100; and the threads
rows' least wall times are those of the rounds that found the second core idle. The medians are
shown beside the least times, and under the table, each ratio taken within every group (median
and range over the rounds), which shows how far the host moved. Chat counts come from `--format
json`'s `simulated_chats` (warm-up included: every chat the engine simulated). Runs use
`--threads 1 --quiet --format json`.

Cases (sizes in the constants below; each scenario is checked with `routesim validate`, which
must print no warning, and the generated ones with `routesim explain`, which must show them
routing as designed):
  mmc-100          scenarios/bench/mmc-100.toml at 3x its duration (3 M chats), next to the bare
                   loop `limit-mmc N` on the same N in every round. Goal: >= 0.35 of the bare
                   loop's chats per CPU-s
  desk-1000        scenarios/bench/desk-1000.toml as it is (1 M chats). Goal: >= 3 M chats per CPU-s
  growth           generated into a temporary folder (see `scenarios()`): a base of one rule, one
                   team, 100 agents (M/M/100 at 96%, as mmc-100) and the base with 1,000 rules of
                   which the last matches ~90% of chats (plus a control with the same 1,000-valued
                   attribute and one rule), 64 required skills, agents in 100 teams, and 100,000
                   agents at the same load per agent. Goals: <= 1.5x the base's CPU per chat
                   (100,000 agents: <= 3x), <= 16 KB of peak RSS per rule, and for 100,000 agents
                   a start-up plus aggregation (`--duration 1s`) under 0.2 s CPU and 100 MB
  --out            the mmc-100 run with `--out DIR`. Goal: at most 2x the CPU without it
  threads          mmc-100 with `--replications 4`, `--threads 1` against `--threads 2`, in wall
                   time. Goal: >= 1.8x faster. It needs a core to spare; the report says when the
                   load average left none. Beside them, for reference, two single-thread
                   processes of half the replications each, side by side (wall time per chat
                   against `--threads 1`'s): what the host gives two busy cores, which
                   `--threads 2` cannot beat
Runs use `--quiet --format json --threads 1` (the threads rows: 1 or 2). A run that warns is noted
under the table, except for chats still queued when it stops, which a desk at 96% load always has.
--callgrind runs mmc-100 under valgrind for 17h21m40s and 34h43m20s, as README's "Instructions"
paragraph does, and the bare loop on the same chat counts: instructions are repeatable where
seconds are not.

Columns of the table:
  case             what runs
  chats            chats simulated (routesim: `simulated_chats`; bare loop: its argument N)
  CPU s            least user + sys CPU seconds of the whole process over the rounds
  median CPU s     median of the same
  start-up CPU s   least CPU seconds of the same command with `--duration 1s`: parsing,
                   compiling, lints, set-up, aggregation and output, with almost no chats
  ns per chat      CPU per chat beyond start-up: (CPU - start-up CPU) / (chats - start-up chats);
                   plain CPU / chats where no start-up is measured; "–" when the run is too short
                   for the difference to mean anything (raise --scale)
  chats per CPU-s  chats / CPU s, start-up included (the issue's "chats per CPU-second")
  vs reference     mmc-100: its chats per CPU-s over the bare loop's (same N; the least time of
                   each, which may come from different rounds: the line under the table gives
                   the ratio within each round);
                   growth rows: ns per chat over the growth base's (start-up left out, since it is
                   a fixed cost that would otherwise depend on how long this script runs a case;
                   it is in its own column); memory per rule: (peak RSS of the 1,000-rule run -
                   the base's) / 1,000; --out: CPU s with --out over without; threads: wall time
                   with 1 thread over 2
  goal, met        issue 12's goal and whether the figure (from the least times) meets it
  peak RSS MB      median peak resident set size (MB = 1,024 KB; GNU time's %M counts KiB)
"""

import argparse
import json
import math
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO / "scenarios" / "bench"

# Sizes, chosen so that each case took about 1 s of CPU on the code of 2026-11-25, and (since
# 2026-12-06) so that each growth case runs at least 0.15 s beyond its start-up: at 300 k, 300 k
# and 500 k chats, the 1,000 rules, 100 teams and 100,000 agents had run 0.05, 0.04 and 0.13 to
# 0.25 s beyond it, a margin that the host's noise in the two runs it is the difference of could
# halve or double. Growth rows compare CPU per
# chat beyond start-up, so their sizes need not match the base's. --scale multiplies them all.
MMC_DURATION = 3 * 624_960  # 3 x mmc-100.toml's 173h36m: 3.0 M chats
DESK_DURATION = 166_680  # desk-1000.toml's own 46h18m: 1.0 M chats
THREADS_DURATION = 624_960  # mmc-100.toml's own 173h36m, x THREADS_REPLICATIONS
THREADS_REPLICATIONS = 4
GROWTH_CHATS = {  # chats wanted of each generated scenario
    "base": 3.0e6,
    "rules": 1.0e6,
    "topics": 3.0e6,
    "skills": 3.0e6,
    "teams": 1.5e6,
    "agents": 1.5e6,
}
GROWTH_RATE = 1.6  # chats/s of the growth base, as mmc-100
STARTUP = "1s"  # the least duration routesim takes
TIME = "/usr/bin/time"  # GNU time, for peak RSS (see Runner.measure)


class BenchError(Exception):
    """A failed command or check; reported on stderr, exit 1."""


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def fmt_duration(seconds):
    """Seconds as routesim reads them: 520h48m, 52h5m, 5m12s."""
    seconds = int(round(seconds))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    out = (f"{h}h" if h else "") + (f"{m}m" if m else "") + (f"{s}s" if s else "")
    return out or "1s"


# ---------------------------------------------------------------------------------------------
# Generated scenarios. Every one is the growth base (one team of 100 agents, one stream of
# 1.6 chats/s with exponential handle times of mean 60 s: M/M/100 at 96% load, like mmc-100.toml)
# with one dimension grown. The script checks that each validates without a warning, and that
# the routing core treats it as designed (`explain`, and the JSON's per-rule counts).
# ---------------------------------------------------------------------------------------------

RARE_TOPICS = [f"t{i:04d}" for i in range(1, 1000)]
# One topic carries ~90% of the chats and is listed first, so the attribute draw (a scan of
# cumulative weights in file order) stops at once for it. The 999 others are rare but produced
# (a condition on a value no stream produces is a lint warning), and common enough (~100 chats
# each in a 1 M-chat run) that every rule's statistics are touched, so lazily allocated
# per-rule state shows in the memory per rule.
RARE_WEIGHT = 0.0001
SKILLS = [f"s{i:02d}" for i in range(1, 65)]
TEAMS = [f"t{i:03d}" for i in range(1, 101)]
AGENTS_100K = 100_000
AGENTS_STREAMS = 2  # 1,600 chats/s; a stream may have at most 1,000


def _team(name):
    return f'[[teams]]\nname = "{name}"\nstrategy = "least_busy"\n\n'


def _agents(count, teams, skills=None):
    names = ", ".join(f'"{t}"' for t in teams)
    text = f'[[agents]]\nname = "agent"\ncount = {count}\nteams = [{names}]\n'
    if skills:
        text += "skills = { " + ", ".join(f"{s} = 1" for s in skills) + " }\n"
    return text + "\n"


def _traffic(name="chats", rate=GROWTH_RATE, topics=False):
    text = (
        f'[[traffic]]\nname = "{name}"\nrate = {rate}\n'
        'handle_time = { dist = "exponential", mean = "60s" }\n'
    )
    if topics:
        weights = ", ".join(f"{t} = {RARE_WEIGHT}" for t in RARE_TOPICS)
        text += f"attributes = {{ topic = {{ a-common = 1.0, {weights} }} }}\n"
    return text + "\n"


def _rule(name, step, when=None):
    text = f'[[rules]]\nname = "{name}"\n'
    if when:
        text += f"when = {{ {when} }}\n"
    return text + f"route = [ {step} ]\n\n"


def _header(comment):
    lines = "".join(f"# {line}\n" for line in comment.strip().splitlines())
    return (
        "# Generated by benches/bench.py for issue 12's growth cases; do not edit.\n"
        f"{lines}\n[simulation]\nduration = \"173h36m\"\nseed = 1\n\n"
    )


def scenarios():
    """The growth scenarios: key -> (TOML text, chats per simulated second)."""
    step = '{ team = "agents" }'
    base = (
        _header("Growth base: one rule, one team, 100 agents (M/M/100 at 96% load).")
        + _team("agents")
        + _agents(100, ["agents"])
        + _traffic()
        + _rule("all", step)
    )
    rules = (
        _header(
            "1,000 rules; ~90% of chats (topic a-common) are checked against 999 rules that\n"
            "do not match before the last one does. Every rule routes to the same team."
        )
        + _team("agents")
        + _agents(100, ["agents"])
        + _traffic(topics=True)
        + "".join(_rule(f"rule-{t}", step, f'topic = "{t}"') for t in RARE_TOPICS)
        + _rule("last", step, 'topic = "a-common"')
    )
    topics = (
        _header(
            "Control for the 1,000-rule case: the same traffic (1,000 topic values), one rule,\n"
            "so the cost of drawing the topic is told apart from the cost of the rules."
        )
        + _team("agents")
        + _agents(100, ["agents"])
        + _traffic(topics=True)
        + _rule("all", step)
    )
    require = ", ".join(f"{s} = 1" for s in SKILLS)
    skills = (
        _header("64 skills: every agent has all 64, and the route step requires all 64.")
        + _team("agents")
        + _agents(100, ["agents"], SKILLS)
        + _traffic()
        + _rule("all", f'{{ team = "agents", require = {{ {require} }} }}')
    )
    teams = (
        _header(
            "Every agent is in 100 teams; the rule routes to the first. Each change of an\n"
            "agent's load touches its 100 teams."
        )
        + "".join(_team(t) for t in TEAMS)
        + _agents(100, TEAMS)
        + _traffic()
        + _rule("all", f'{{ team = "{TEAMS[0]}" }}')
    )
    rate = GROWTH_RATE * AGENTS_100K / 100 / AGENTS_STREAMS
    agents = (
        _header(
            "100,000 agents in one team and the same load per agent: 1,600 chats/s in two\n"
            "streams of 800 (a stream may have at most 1,000 chats/s)."
        )
        + _team("agents")
        + _agents(AGENTS_100K, ["agents"])
        + "".join(_traffic(f"chats-{i + 1}", rate) for i in range(AGENTS_STREAMS))
        + _rule("all", step)
    )
    big_rate = GROWTH_RATE * AGENTS_100K / 100
    return {
        "base": (base, GROWTH_RATE),
        "rules": (rules, GROWTH_RATE),
        "topics": (topics, GROWTH_RATE),
        "skills": (skills, GROWTH_RATE),
        "teams": (teams, GROWTH_RATE),
        "agents": (agents, big_rate),
    }


# ---------------------------------------------------------------------------------------------
# Measuring
# ---------------------------------------------------------------------------------------------


@dataclass
class Measure:
    cpu: float  # user + sys seconds
    wall: float
    rss_kb: int
    stdout: str
    chats: int = 0
    warnings: list = field(default_factory=list)
    json: dict = field(default_factory=dict)


class Runner:
    def __init__(self, tmp):
        self.tmp = Path(tmp)
        self.count = 0

    def measure(self, cmd, keep_stdout=True):
        """Runs cmd under `/usr/bin/time -f %M`.

        CPU comes from wait4 on `time`, which includes the child it reaped, to the microsecond
        (time itself adds about 1 ms). Peak RSS comes from `time`'s %M: wait4's own ru_maxrss
        would report at least this Python process's size, which a child inherits as its
        high-water mark when it is spawned.
        """
        self.count += 1
        out_path = self.tmp / f"stdout-{self.count}"
        err_path = self.tmp / f"stderr-{self.count}"
        rss_path = self.tmp / f"rss-{self.count}"
        wrapped = [TIME, "-f", "%M", "-o", str(rss_path)] + [str(c) for c in cmd]
        with open(out_path, "wb") as out, open(err_path, "wb") as err:
            start = time.perf_counter()
            try:
                proc = subprocess.Popen(wrapped, stdout=out, stderr=err)
            except OSError as e:
                raise BenchError(f"cannot start {TIME}: {e}") from e
            _, status, usage = os.wait4(proc.pid, 0)
            wall = time.perf_counter() - start
            proc.returncode = os.waitstatus_to_exitcode(status)
        stdout = out_path.read_text(errors="replace") if keep_stdout else ""
        stderr = err_path.read_text(errors="replace")
        rss = rss_path.read_text().strip().splitlines() if rss_path.exists() else []
        for path in (out_path, err_path, rss_path):
            path.unlink(missing_ok=True)
        if proc.returncode != 0:
            raise BenchError(
                f"command failed (exit {proc.returncode}): {' '.join(map(str, cmd))}\n"
                + stderr[-3000:]
            )
        if not rss or not rss[-1].isdigit():
            raise BenchError(f"no peak RSS from {TIME} for {' '.join(map(str, cmd))}: {rss}")
        return Measure(usage.ru_utime + usage.ru_stime, wall, int(rss[-1]), stdout), stderr


@dataclass
class Job:
    """One command measured once per round."""

    key: str
    cmd: list
    kind: str = "routesim"  # routesim | bare | pair (cmd twice at once, chats counted twice)
    out_dir: bool = False  # give it a fresh --out folder each time


def routesim_cmd(binary, scenario, duration, *extra, threads=1):
    return [binary, "run", scenario, "--quiet", "--format", "json", "--duration", duration,
            "--threads", str(threads), *extra]


def run_job(runner, job, binary_bare, mmc_chats):
    cmd = list(job.cmd)
    out = None
    if job.kind == "bare":
        cmd = [binary_bare, str(mmc_chats)]
    if job.kind == "pair":
        # Under one `time`, so that wait4 counts both processes' CPU; the second's JSON is read.
        cmd = ["sh", "-c", '"$0" "$@" > /dev/null & "$0" "$@"; wait', *cmd]
    if job.out_dir:
        out = runner.tmp / f"out-{runner.count}"  # a fresh name: count grows with each command
        cmd += ["--out", out]
    m, _ = runner.measure(cmd)
    if out is not None:
        shutil.rmtree(out)  # outside the measurement: a fresh folder each time
    if job.kind == "bare":
        found = re.match(r"limit: (\d+) chats", m.stdout)
        if not found:
            raise BenchError(f"unexpected output of the bare loop: {m.stdout[:200]!r}")
        m.chats = int(found.group(1))
    else:
        try:
            report = json.loads(m.stdout)
        except json.JSONDecodeError as e:
            raise BenchError(f"no JSON from {' '.join(map(str, cmd))}: {e}") from e
        m.chats = int(report["simulated_chats"]) * (2 if job.kind == "pair" else 1)
        m.warnings = report.get("warnings") or []
        m.json = report
    m.stdout = ""
    return m


# ---------------------------------------------------------------------------------------------
# Checks on the generated scenarios
# ---------------------------------------------------------------------------------------------


def validate(binary, path, runner):
    """`routesim validate` must pass with nothing on stderr (warnings go there)."""
    _, stderr = runner.measure([binary, "validate", path], keep_stdout=False)
    if stderr.strip():
        raise BenchError(f"{path.name}: `routesim validate` is not clean:\n{stderr.strip()}")


def check_design(binary, gen, runner):
    """Asks the routing core (`routesim explain`) whether each case routes as designed."""
    m, _ = runner.measure([binary, "explain", gen / "rules.toml", "--chat", "topic=a-common"])
    failing = len(re.findall(r'^rule \d+ "[^"]*": no match', m.stdout, re.M))
    if failing != 999 or 'rule 1000 "last": matches' not in m.stdout:
        raise BenchError(f"rules.toml: explain shows {failing} failing rules before a match, not 999")
    m, _ = runner.measure([binary, "explain", gen / "skills.toml"])
    if not re.search(r"step 1: agents \[s01>=1, .*s64>=1\] \(.*\): 100 of 100 agents on shift", m.stdout):
        raise BenchError("skills.toml: explain does not show step 1 requiring s01..s64 of all 100 agents")
    m, _ = runner.measure([binary, "explain", gen / "teams.toml"])
    if not re.search(r"step 1: t001 \(.*\): 100 of 100 agents on shift", m.stdout):
        raise BenchError("teams.toml: explain does not show step 1 offering to all 100 agents of t001")


def check_run(key, m):
    """Checks a run did what its case claims; returns a note for the report, if any."""
    # At 96% load some chats are always queued when a run stops; routesim says so, rightly.
    warnings = [w for w in m.warnings if "still waiting when the run ended" not in w]
    if warnings:
        return "the run warned: " + "; ".join(warnings)
    report = m.json
    if key == "rules":
        matched = {r["name"]: r["matched"] for r in report["rules"]}
        total = sum(matched.values())
        touched = sum(1 for n, v in matched.items() if n.startswith("rule-") and v > 0)
        if total <= 0 or matched.get("last", 0) / total < 0.85:
            raise BenchError(f"rules: the last rule matched {matched.get('last')} of {total}")
        return f"the last rule matched {matched['last'] / total:.1%} of chats; {touched} of 999 rare rules matched some"
    if key == "teams":
        offered = {t["name"]: t["offered"] for t in report["teams"]}
        others = sum(v for n, v in offered.items() if n != TEAMS[0])
        if others:
            raise BenchError(f"teams: {others} chats went to a team other than {TEAMS[0]}")
    return None


# ---------------------------------------------------------------------------------------------
# The benchmark
# ---------------------------------------------------------------------------------------------


def build(ceiling, routesim):
    if routesim is None:
        log("building routesim (cargo build --release) ...")
        subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=REPO, check=True)
    log(f"building the bare loop in {ceiling} ...")
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ceiling, check=True)


def machine_line():
    """The cores, the CPU and the load. A VM's model name can be as bare as "AMD EPYC", so the
    CPU's family, model and clock are given too: the same code has measured twice as fast per
    chat on one such host as on another, and the ratio to the bare loop moved from 0.39 to 0.25
    (README, Speed), so a figure means little without the host it was taken on."""
    info = {}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            if not key.strip():
                break  # the first processor's block is enough
            info.setdefault(key.strip(), value.strip())
    except OSError:
        pass
    cpu = info.get("model name") or platform.processor()
    detail = [f"{k} {info[k]}" for k in ("cpu family", "model") if k in info]
    if "cpu MHz" in info:
        detail.append(f"{float(info['cpu MHz']):.0f} MHz")
    if detail:
        cpu += f" ({', '.join(detail)})"
    load = os.getloadavg()
    return f"{os.cpu_count()} cores, {cpu}; load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}"


def git_line():
    try:
        rev = subprocess.run(
            ["git", "-C", str(REPO), "log", "-1", "--format=%h %s"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(REPO), "status", "--porcelain", "--", "src", "Cargo.toml", "Cargo.lock"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()
        return rev + (" (with uncommitted changes to src/)" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def routesim_binary(args):
    """The routesim measured: --routesim's, else the one `cargo build --release` makes."""
    return args.routesim.resolve() if args.routesim else REPO / "target" / "release" / "routesim"


def shown(path):
    """A path as the report shows it: relative to the repository where it is inside it."""
    text = str(path)
    return text[len(str(REPO)) + 1:] if text.startswith(str(REPO) + "/") else text


def display(arg, tmp, binary):
    """A command's argument as the report shows it: `routesim` for the binary measured, paths
    relative to the repository or GEN."""
    text = str(arg)
    if text == str(binary):
        return "routesim"
    gen = str(Path(tmp) / "scenarios")
    if text.startswith(gen):
        return "GEN" + text[len(gen):]
    return shown(text)


def med(values):
    return statistics.median(values)


def fmt_rate(r):
    return f"{r / 1e6:.2f} M"


def benchmark(args, binary, bare, tmp):
    runner = Runner(tmp)
    gen = Path(tmp) / "scenarios"
    gen.mkdir()
    texts = scenarios()
    for key, (text, _) in texts.items():
        (gen / f"{key}.toml").write_text(text)
    log("checking the scenarios: routesim validate, explain ...")
    for path in [BENCH / "mmc-100.toml", BENCH / "desk-1000.toml"] + sorted(gen.glob("*.toml")):
        validate(binary, path, runner)
    check_design(binary, gen, runner)

    s = args.scale
    mmc = BENCH / "mmc-100.toml"
    desk = BENCH / "desk-1000.toml"
    mmc_d = fmt_duration(MMC_DURATION * s)
    jobs = [
        Job("mmc", routesim_cmd(binary, mmc, mmc_d)),
        Job("bare", [], kind="bare"),
        Job("mmc-out", routesim_cmd(binary, mmc, mmc_d), out_dir=True),
        Job("desk", routesim_cmd(binary, desk, fmt_duration(DESK_DURATION * s))),
    ]
    for key, wanted in GROWTH_CHATS.items():
        _, rate = texts[key]
        jobs.append(Job(key, routesim_cmd(binary, gen / f"{key}.toml", fmt_duration(wanted / rate * s))))
    reps = ["--replications", str(THREADS_REPLICATIONS)]
    for n in (1, 2):
        jobs.append(Job(f"threads{n}", routesim_cmd(binary, mmc, fmt_duration(THREADS_DURATION * s), *reps, threads=n)))
    half = ["--replications", str(THREADS_REPLICATIONS // 2)]
    jobs.append(Job("processes2", routesim_cmd(binary, mmc, fmt_duration(THREADS_DURATION * s), *half), kind="pair"))
    # start-up: the same command with the least duration
    for job in list(jobs):
        if job.kind == "routesim" and not job.key.startswith("threads"):
            cmd = list(job.cmd)
            cmd[cmd.index("--duration") + 1] = STARTUP
            jobs.append(Job(job.key + "/start", cmd, out_dir=job.out_dir))

    # Warm the page cache and the binaries before anything counts; the mmc-100 run also tells
    # the bare loop's N (the same chat count), which the first round needs before its mmc-100.
    by_key = {job.key: job for job in jobs}
    mmc_chats = run_job(runner, by_key["mmc"], bare, None).chats
    runner.measure([bare, "1000"])

    # Each goal that is a ratio compares runs made next to each other, in one group, so that
    # the host's slow and fast spells (which last seconds to minutes) fall on both sides of it
    # alike: the bare loop, mmc-100 and mmc-100 with --out; each growth case with its start-up
    # run and a run of the growth base of its own; the two thread counts. Odd rounds run each
    # group backwards, so that a drift within a group favours neither side.
    # The base runs once per round for its own row ("base", in the first growth group) and once
    # more beside each other growth case, as "base@<case>": those only make the pairs.
    growth = [k for k in GROWTH_CHATS if k != "base"]
    groups = [["bare", "mmc", "mmc-out"], ["desk"]]
    groups += [["base" if i == 0 else f"base@{k}", k + "/start", k] for i, k in enumerate(growth)]
    groups += [["threads1", "threads2", "processes2"]]
    for k in growth[1:]:
        by_key[f"base@{k}"] = by_key["base"]
    grouped = {k for g in groups for k in g}
    groups += [[job.key for job in jobs if job.key not in grouped]]  # the other start-up runs

    results = {key: [] for key in by_key}
    rounds = []  # per round, per group: {key: Measure}
    raw = open(args.raw, "w") if args.raw else None  # written as each run ends
    notes = {}
    for r in range(args.runs):
        rounds.append([])
        for group in groups:
            done = {}
            for key in (group if r % 2 == 0 else reversed(group)):
                job = by_key[key]
                log(f"round {r + 1}/{args.runs}: {key}")
                m = run_job(runner, job, bare, mmc_chats)
                if not key.endswith("/start"):
                    note = check_run(key, m)
                    if note:
                        notes[key] = note
                prior = results[key]
                if prior and prior[0].chats != m.chats:
                    raise BenchError(f"{key}: {m.chats} chats, but {prior[0].chats} before (not deterministic?)")
                m.json = {}
                results[key].append(m)
                done[key] = m
                if raw:
                    raw.write(json.dumps({"round": r + 1, "group": len(rounds[-1]) + 1, "case": key,
                                          "chats": m.chats, "cpu_s": round(m.cpu, 6),
                                          "wall_s": round(m.wall, 6), "rss_kb": m.rss_kb}) + "\n")
                    raw.flush()
            rounds[-1].append(done)
    if raw:
        raw.close()
    return jobs, results, rounds, notes


def met(ok):
    return "yes" if ok else "**no**"


def summarise(args, jobs, results, rounds, notes, started, tmp):
    # Every figure comes from each case's least CPU time over the rounds (see the top of the
    # file: other work only ever adds to a run's time). The medians, and the ratios of runs
    # made side by side in each round, are printed too, to show how much the host moved.
    cpu = {k: min(m.cpu for m in v) for k, v in results.items()}
    median_cpu = {k: med([m.cpu for m in v]) for k, v in results.items()}
    wall = {k: min(m.wall for m in v) for k, v in results.items()}
    rss = {k: med([m.rss_kb for m in v]) for k, v in results.items()}
    chats = {k: v[0].chats for k, v in results.items()}

    def per_chat(k, cpu_k=None, start_k=None):
        """CPU per chat beyond start-up (the least of each, or the given run's); None when the
        margin is within the noise of the start-up, that is the case ran too short."""
        cpu_k = cpu[k] if cpu_k is None else cpu_k
        start = k + "/start"
        if start in cpu:
            start_k = cpu[start] if start_k is None else start_k
            if cpu_k - start_k < 0.2 * cpu_k or chats[k] <= chats[start]:
                return None
            return (cpu_k - start_k) / (chats[k] - chats[start])
        return cpu_k / chats[k]

    short = []

    rows = []

    def row(label, k, vs="", goal="", ok=None, startup=True, show_chat=True):
        start = k + "/start"
        rows.append([
            label,
            f"{chats[k]:,}",
            f"{cpu[k]:.3f}",
            f"{median_cpu[k]:.3f}",
            f"{cpu[start]:.3f}" if startup and start in cpu else "–",
            f"{per_chat(k) * 1e9:,.0f}" if show_chat and per_chat(k) else "–",
            fmt_rate(chats[k] / cpu[k]) if show_chat else "–",
            vs,
            goal,
            "–" if ok is None else met(ok),
            f"{rss[k] / 1024:.1f}",
        ])

    spreads = []

    def paired(label, keys, f, fmt):
        """Notes the spread of a ratio taken within each group of each round that ran `keys`
        (f(group), None when a run was too short to tell)."""
        xs = []
        for rnd in rounds:
            for g in rnd:
                if set(keys) <= g.keys():
                    x = f(g)
                    if x is not None:
                        xs.append(x)
        if xs:
            spreads.append(f"{label} {fmt.format(med(xs))} ({fmt.format(min(xs))}–{fmt.format(max(xs))})")

    # mmc-100 over the bare loop, in chats per CPU-s: the same N, so the CPU times' ratio.
    x = cpu["bare"] / cpu["mmc"]
    row("M/M/100 (`mmc-100.toml`)", "mmc", f"{x:.3f} of the bare loop", "≥ 0.35", x >= 0.35)
    paired("M/M/100 over the bare loop", ["bare", "mmc"], lambda g: g["bare"].cpu / g["mmc"].cpu, "{:.3f}")
    row(f"bare loop (`limit-mmc {chats['bare']}`)", "bare", "reference")
    desk_rate = chats["desk"] / cpu["desk"]
    row("desk-1000 (`desk-1000.toml`)", "desk", "–", "≥ 3 M chats per CPU-s", desk_rate >= 3e6)
    base = per_chat("base")
    row("growth base: 1 rule, 1 team, 100 agents", "base", "reference")
    growth = [
        ("1,000 rules, only the last matches", "rules", 1.5),
        ("control: 1,000 topic values, 1 rule", "topics", None),
        ("64 skills, the step requires all 64", "skills", 1.5),
        ("every agent in 100 teams", "teams", 1.5),
        ("100,000 agents, 1,600 chats/s", "agents", 3.0),
    ]
    if base is None:
        raise BenchError("the growth base ran too short to tell its CPU per chat: raise --scale")
    for label, k, goal in growth:
        if per_chat(k) is None:
            short.append(k)
            row(label, k, "too short to tell", f"≤ {goal}×" if goal else "", None)
            continue
        x = per_chat(k) / base
        row(label, k, f"{x:.2f}× base per chat", f"≤ {goal}×" if goal else "", None if goal is None else x <= goal)

        base_key = f"base@{k}" if f"base@{k}" in results else "base"  # the base run beside it

        def growth_ratio(g, k=k, base_key=base_key):
            own = per_chat(k, g[k].cpu, g[k + "/start"].cpu)
            # the base's start-up (a few ms) is its least, from the round's other start-up runs
            ref = per_chat("base", g[base_key].cpu)
            return None if own is None or ref is None else own / ref

        paired(k, [k, k + "/start", base_key], growth_ratio, "{:.2f}×")
        if k == "rules":
            per_rule = (rss["rules"] - rss["base"]) / 1000
            rows.append(["1,000 rules: memory per rule", "", "", "", "", "", "", f"{per_rule:,.1f} KB per rule",
                         "≤ 16 KB", met(per_rule <= 16), f"{rss['rules'] / 1024:.1f}"])
    k = "agents/start"
    ok = cpu[k] < 0.2 and rss[k] < 100 * 1024
    rows.append(["100,000 agents: start-up + aggregation (`--duration 1s`)", f"{chats[k]:,}", f"{cpu[k]:.3f}",
                 f"{median_cpu[k]:.3f}", "–", "–", "–", f"wall {wall[k]:.2f} s", "< 0.2 s CPU and < 100 MB", met(ok),
                 f"{rss[k] / 1024:.1f}"])
    x = cpu["mmc-out"] / cpu["mmc"]
    row("M/M/100 with `--out DIR`", "mmc-out", f"{x:.2f}× CPU without `--out`", "≤ 2× (adds ≤ 1×)", x <= 2.0)
    paired("`--out`", ["mmc", "mmc-out"], lambda g: g["mmc-out"].cpu / g["mmc"].cpu, "{:.2f}×")
    x = wall["threads1"] / wall["threads2"]
    for label, k, vs, goal, ok in [
        (f"{THREADS_REPLICATIONS} replications, `--threads 1`", "threads1", f"wall {wall['threads1']:.2f} s: reference", "", None),
        (f"{THREADS_REPLICATIONS} replications, `--threads 2`", "threads2", f"wall {wall['threads2']:.2f} s: {x:.2f}× faster", "≥ 1.8×", x >= 1.8),
    ]:
        row(label, k, vs, goal, ok, startup=False)
    # per chat: the two processes' replications (0 and 1, twice) are not quite the four's chats
    y = (wall["threads1"] / chats["threads1"]) / (wall["processes2"] / chats["processes2"])
    row(f"2 processes of {THREADS_REPLICATIONS // 2} replications at once, `--threads 1` each", "processes2",
        f"wall {wall['processes2']:.2f} s: {y:.2f}× faster (what the host gives two busy cores)", "", None,
        startup=False)
    paired("threads", ["threads1", "threads2"], lambda g: g["threads1"].wall / g["threads2"].wall, "{:.2f}×")
    paired("two processes", ["threads1", "processes2"],
           lambda g: (g["threads1"].wall / g["threads1"].chats) / (g["processes2"].wall / g["processes2"].chats), "{:.2f}×")

    head = ["case", "chats", "CPU s", "median CPU s", "start-up CPU s", "ns per chat", "chats per CPU-s", "vs reference", "goal", "met", "peak RSS MB"]
    print(f"routesim benchmarks (issue 12): `{args.command}`, {args.runs} rounds, each case's least CPU time")
    print()
    print(f"- code: {git_line()}; binary: {shown(routesim_binary(args))}")
    print(f"- machine: {machine_line()} (at the end; {started} at the start)")
    print("- CPU time (user + sys, from wait4) everywhere except the threads rows, which compare wall time;")
    print("  every figure but the median CPU s and peak RSS from each case's least time over the rounds")
    print()
    print("| " + " | ".join(head) + " |")
    print("|" + "|".join("---:" if 0 < i < 7 or i == 10 else "---" for i in range(len(head))) + "|")
    for r in rows:
        print("| " + " | ".join(r) + " |")
    print()
    spread = []
    for k, v in results.items():
        if len(v) > 1 and not k.endswith("/start") and "@" not in k:
            c = [m.cpu for m in v]
            spread.append(f"{k} {min(c):.2f}–{max(c):.2f}")
    if spread:
        print("CPU s across rounds (min–max): " + ", ".join(spread) + ".")
    if spreads:
        print("The same ratios taken between runs made next to each other in each round (median, min–max "
              "over the rounds): " + ", ".join(spreads) + ".")
    starts = ", ".join(f"{k[:-6]} {rss[k] / 1024:.1f}" for k in results if k.endswith("/start"))
    print(f"Peak RSS MB of the start-up runs: {starts}.")
    for k, note in notes.items():
        print(f"{k}: {note}.")
    load = os.getloadavg()[0]
    if load > (os.cpu_count() or 1) - 1:
        print(f"The threads rows need a second core to spare; the load average was {load:.1f} on "
              f"{os.cpu_count()} cores, so they measure the scheduler more than routesim: "
              f"`--threads 2` used {med([m.cpu / m.wall for m in results['threads2']]):.2f} cores on average (median).")
    if short:
        print(f"Too short to tell the CPU per chat beyond start-up: {', '.join(short)} (raise --scale).")
    print()
    binary = routesim_binary(args)
    print(f"Commands (`routesim` is {shown(binary)}, `GEN` the generated scenarios; each")
    print("start-up run is the same command with `--duration 1s`; `--out` gets a fresh folder):")
    print()
    for job in jobs:
        if job.key.endswith("/start"):
            continue
        cmd = [f"limit-mmc {chats['bare']}"] if job.kind == "bare" else job.cmd
        text = " ".join(display(c, tmp, binary) for c in cmd) + (" --out DIR" if job.out_dir else "")
        twice = ", twice at once" if job.kind == "pair" else ""
        print(f"- {job.key}: `{text}`{twice}")


def callgrind(args, binary, bare, tmp):
    """Instructions per chat at the margin: two durations, difference over difference."""
    if shutil.which("valgrind") is None:
        raise BenchError("--callgrind needs valgrind (apt-get install valgrind)")
    runner = Runner(tmp)
    mmc = BENCH / "mmc-100.toml"
    durations = [fmt_duration(62_500 * args.scale), fmt_duration(125_000 * args.scale)]  # 17h21m40s, 34h43m20s

    def collected(cmd):
        out = Path(tmp) / f"callgrind-{runner.count + 1}.out"
        m, stderr = runner.measure(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", *cmd])
        found = re.search(r"Collected : (\d+)", stderr)
        if not found:
            raise BenchError(f"no instruction count from callgrind:\n{stderr[-2000:]}")
        return int(found.group(1)), m

    rows = []
    for d in durations:
        log(f"callgrind: mmc-100 --duration {d}")
        instr, m = collected(routesim_cmd(binary, mmc, d))
        chats = int(json.loads(m.stdout)["simulated_chats"])
        log(f"callgrind: limit-mmc {chats}")
        bare_instr, _ = collected([bare, str(chats)])
        rows.append((d, chats, instr, bare_instr))
    (d1, c1, i1, b1), (d2, c2, i2, b2) = rows
    margin = (i2 - i1) / (c2 - c1)
    bare_margin = (b2 - b1) / (c2 - c1)
    print(f"routesim instructions (callgrind, issue 12): `{args.command}`")
    print()
    print(f"- code: {git_line()}; binary: {shown(routesim_binary(args))}")
    print()
    print("| run | chats | routesim instructions | bare loop instructions (same chats) |")
    print("|---|---:|---:|---:|")
    for d, c, i, b in rows:
        print(f"| `mmc-100.toml --duration {d}` | {c:,} | {i:,} | {b:,} |")
    print(f"| margin per chat ({c2 - c1:,} more chats) | | {margin:,.0f} | {bare_margin:,.0f} |")
    print()
    print(f"routesim: {margin:,.0f} instructions per chat at the margin; the bare loop: {bare_margin:,.0f} "
          f"(a ratio of {bare_margin / margin:.3f}).")


def main():
    parser = argparse.ArgumentParser(
        description="Issue 12's benchmarks (see the comment at the top of this file).")
    parser.add_argument("--runs", type=int, default=3, help="rounds; each figure is from the least time (default 3)")
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies every measured duration (default 1)")
    parser.add_argument("--ceiling", type=Path, default=REPO.parent / "shared" / "ceiling",
                        help="the bare loop's crate (default ../shared/ceiling beside the repository)")
    parser.add_argument("--no-build", action="store_true", help="use the binaries as they are")
    parser.add_argument("--routesim", type=Path, metavar="BIN",
                        help="measure this routesim (e.g. target/pgo/release/routesim from "
                             "scripts/build-pgo.sh) instead of building target/release/routesim")
    parser.add_argument("--raw", type=Path, metavar="FILE",
                        help="also write every measured run to FILE, one JSON object per line")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder and say where")
    parser.add_argument("--callgrind", action="store_true", help="instructions per chat at the margin instead")
    parser.add_argument("--generate", type=Path, metavar="DIR", help="only write the generated scenarios into DIR")
    args = parser.parse_args()
    args.command = " ".join(["python3", "benches/bench.py"] + sys.argv[1:])
    if args.runs < 1 or args.scale <= 0:
        parser.error("--runs must be at least 1 and --scale above 0")

    if args.generate:
        args.generate.mkdir(parents=True, exist_ok=True)
        for key, (text, _) in scenarios().items():
            (args.generate / f"{key}.toml").write_text(text)
            log(f"wrote {args.generate / (key + '.toml')}")
        return 0

    ceiling = args.ceiling.resolve()
    if not os.access(TIME, os.X_OK):
        raise BenchError(f"{TIME} (GNU time) is missing: apt-get install time")
    if not (ceiling / "Cargo.toml").is_file():
        raise BenchError(f"no bare loop at {ceiling} (give its crate with --ceiling DIR)")
    if not args.no_build:
        try:
            build(ceiling, args.routesim)
        except subprocess.CalledProcessError as e:
            raise BenchError(f"build failed: {' '.join(e.cmd)}") from e
    binary = routesim_binary(args)
    bare = ceiling / "target" / "release" / "limit-mmc"
    for b in (binary, bare):
        if not os.access(b, os.X_OK):
            raise BenchError(f"{b} is missing: build it, or leave out --no-build")

    started = "load average {:.1f} {:.1f} {:.1f}".format(*os.getloadavg())
    tmp = tempfile.mkdtemp(prefix="routesim-bench-")
    try:
        if args.callgrind:
            callgrind(args, binary, bare, tmp)
        else:
            jobs, results, rounds, notes = benchmark(args, binary, bare, tmp)
            summarise(args, jobs, results, rounds, notes, started, tmp)

    finally:
        if args.keep:
            log(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        sys.exit(130)
