//! `routesim bench`: the routing core alone, under load, timed one decision at a time.
//!
//! The core is driven as a live router would drive it, without the event queue or the engine:
//! the same [`RuleIndex`], [`decide`](routing::decide), [`Board`] and [`Queues`] the simulator
//! calls, on the scenario's desk scaled to each size asked for. This module sits above
//! `routing` and uses it as any caller does; the routing core knows nothing of it.
//!
//! **The desk.** For each size the scenario is compiled with every `[[agents]]` entry's count
//! scaled in proportion so that the desk has that many agents (each entry keeps at least one;
//! teams, skills, caps and rules as the file has them:
//! [`Overrides::agents_total`](crate::scenario::Overrides::agents_total)). Every agent is on
//! shift (rosters, breaks and absence are not applied: the bench measures a desk of N agents at
//! work). Each agent starts with a load drawn from Binomial(`max_chats`, busy), so that the
//! desk's occupancy is about `busy`: the `--busy` share, or by default the scenario's occupancy
//! in its busiest half hour as `validate` computes it (offered erlangs over chat slots on shift,
//! at most 1).
//!
//! **The chats.** Each decision's chat comes from one of the scenario's traffic streams, chosen
//! in proportion to the streams' rates at the bench's moment (`--at`, default the scenario's
//! start). Its attributes, patience and owner are drawn with the model's own samplers
//! ([`AttrChoice::sample`](crate::model::AttrChoice::sample),
//! [`Owner::draw`](crate::model::Owner::draw)), in the engine's order, from one RNG per stream
//! seeded as `run` seeds replication 1's streams. Bots are skipped: every chat reaches routing.
//!
//! **One decision, the timed part:** [`RuleIndex::choose`] for the chat's rule, [`routing::decide`]
//! from the route's first step (assign now, or wait in a queue, or a redirect or after-hours
//! reply), and applying it: [`Board::assign`] for an assignment, [`Queues::push`] for a wait.
//! One `Instant::now()` before and one `elapsed()` after; the timer's own cost (an empty pair,
//! measured before each size) is reported with the results, and taken out of decisions per
//! second, but not out of the latency percentiles.
//!
//! **The clock.** Decision i happens at i / λ seconds on a virtual clock (the board's, the
//! queue keys' and every deadline's). λ is the arrival rate that, by Little's law, keeps busy
//! of the desk's slots held when each chat holds its slot for its stream's mean handle time plus
//! `wrap_up`, the streams mixed as the bench chooses them: λ = busy × slots / mean hold. On the
//! scenario's own desk at its own occupancy this is its arrival rate (desk-1000: 6 chats/s at
//! 1,000 agents); on a desk scaled to N agents it scales with the desk, so a timeout of 60 s
//! spans the same share of the desk's turnover at every size.
//!
//! **Not timed:** drawing the chat, the bench's bookkeeping, and keeping the board in a steady
//! state. Before each decision, every deadline due by its time is followed, soonest first, as
//! the engine follows its `timeout` and `abandon` events (a [`BinaryHeap`] of deadlines, those
//! of chats taken or moved since skipped): a chat whose step's timeout
//! ([`Placement::timeout`](routing::Placement)) has passed leaves its queue
//! ([`Queues::remove`]) and [`routing::decide`] is asked from its rule's next step, with one
//! more check; it is assigned ([`Board::assign`]) or queued there with its queue key kept, with
//! the new step's timeout, or it is redirected or gets the after-hours reply, as in a run. A
//! customer gives up (leaves the queue) after the stream's `patience`, drawn when the chat
//! arrives, from the stream's RNG in the engine's order (attributes, handle time, patience,
//! wrap-up, owner; handle time and wrap-up are drawn and not used); a stream without
//! `patience` leaves after as long as the desk takes to make as many decisions as it has
//! agents, so queues stay bounded. After each decision, while the desk holds more chats than
//! `busy` of its slots, a chat in service chosen uniformly at random ends (as the next of many
//! exponential services would) with [`Board::release`], and its agent takes waiting chats as
//! the engine has it do ([`Queues::next_for`], [`Queues::remove`], [`Board::assign`]).
//!
//! Each size first makes a warm-up of decisions that are not recorded (a tenth of the
//! decisions, at least 1,000), then the measured ones, each recorded in an HdrHistogram (1 ns to
//! 10 s, three significant digits; a slower decision is counted as out of range, never
//! clamped). Counts of what the decisions did (assigned, waited, other), the mean occupancy and
//! the mean number waiting do not depend on timing: a seed gives the same ones on every run.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::Instant;

use hdrhistogram::Histogram;
use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::{
    AgentId, ChatContext, Model, RuleId, SimTime, TICKS_PER_SEC, TargetId, ValueId, WEEK,
};
use crate::routing::{self, Board, ChatView, Decision, QueueId, QueueKey, Queues, RuleIndex};
use crate::scenario::{Overrides, Source};

/// The sizes measured when none are given.
pub const DEFAULT_SIZES: [u32; 3] = [1_000, 10_000, 100_000];
/// Measured decisions per size when not given: the three default sizes take a few seconds.
pub const DEFAULT_DECISIONS: u64 = 1_000_000;

/// Most measured decisions per size: about a minute and a half of one core at 100,000 agents.
/// Unbounded, `--decisions 18446744073709551615` ran until killed (found by a fuzzing helper).
pub const MAX_DECISIONS: u64 = 1_000_000_000;
/// Stream index of the bench's own draws (which stream, initial loads, which chat ends):
/// apart from every stream the engine uses.
const BENCH_STREAM: u64 = u64::MAX - 64;
/// The histogram's range, ns.
const HIST_MAX_NS: u64 = 10_000_000_000;

/// What to measure.
#[derive(Debug, Clone, PartialEq)]
pub struct BenchOptions {
    /// Desk sizes, in agents (each from 1 to the scenario limit of 100,000).
    pub sizes: Vec<u32>,
    /// Measured decisions per size.
    pub decisions: u64,
    /// Target occupancy, 0 to 1; `None`: the scenario's in its busiest half hour.
    pub busy: Option<f64>,
    /// Seed; `None`: the scenario's `simulation.seed`.
    pub seed: Option<u64>,
    /// The moment of the week rules see (ticks since Monday 00:00); `None`: the scenario's
    /// start.
    pub at: Option<u64>,
}

impl Default for BenchOptions {
    fn default() -> Self {
        BenchOptions {
            sizes: DEFAULT_SIZES.to_vec(),
            decisions: DEFAULT_DECISIONS,
            busy: None,
            seed: None,
            at: None,
        }
    }
}

/// The result of `routesim bench`: one row per desk size. Times are in nanoseconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BenchResult {
    /// Scenario file name.
    pub scenario: String,
    /// Seed of the bench's draws.
    pub seed: u64,
    /// The moment rules see, as weekday and time (`mon 10:00`).
    pub at: String,
    /// Target occupancy: the share of the desk's chat slots held.
    pub busy: f64,
    /// Where `busy` came from: `"--busy"`, or `"scenario"` (its busiest half hour).
    pub busy_from: String,
    /// Measured decisions per size.
    pub decisions: u64,
    /// Decisions made before measuring, per size.
    pub warmup: u64,
    /// The timer's own cost: the median of an empty `Instant::now()` / `elapsed()` pair, ns.
    /// It is inside every latency below; `decisions_per_sec` has it taken out.
    pub timer_overhead_ns: u64,
    /// One row per size, in the order asked.
    pub sizes: Vec<SizeResult>,
}

/// The figures of one desk size.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SizeResult {
    /// Agents on the desk (all on shift).
    pub agents: u32,
    /// Their chat slots (`max_chats` summed over agents in at least one team).
    pub slots: u64,
    /// Measured decisions.
    pub decisions: u64,
    /// Decisions per second of the routing core: 1e9 over the mean latency less the timer's
    /// overhead.
    pub decisions_per_sec: f64,
    /// Latency of one decision, ns, the timer's overhead included.
    pub latency_ns: Latency,
    /// Decisions above 10 s (not in the percentiles).
    pub out_of_range: u64,
    /// Decisions that assigned the chat to an agent.
    pub assigned: u64,
    /// Decisions that queued the chat.
    pub waited: u64,
    /// Decisions that redirected the chat or gave the after-hours reply.
    pub other: u64,
    /// Mean share of the slots held, over the measured decisions (before each).
    pub occupancy: f64,
    /// Mean chats waiting in queues, over the measured decisions (before each).
    pub waiting: f64,
}

/// Percentiles of one decision's latency, ns.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Latency {
    /// Mean.
    pub mean: f64,
    /// Median.
    pub p50: u64,
    /// 99th percentile.
    pub p99: u64,
    /// 99.9th percentile.
    pub p999: u64,
    /// The slowest decision (exact).
    pub max: u64,
}

/// The moment rules see: `at`, or the scenario's start.
fn moment(model: &Model, at: Option<u64>) -> u64 {
    at.unwrap_or(model.start) % WEEK
}

/// The scenario's occupancy in its busiest half hour: offered erlangs over chat slots on
/// shift, as `validate` shows them (half hours with no slots left out), at most 1.
pub fn scenario_busy(model: &Model) -> f64 {
    crate::lint::staffing(model)
        .iter()
        .filter(|i| i.slots > 0.0)
        .map(|i| i.load / i.slots)
        .fold(0.0f64, f64::max)
        .min(1.0)
}

/// Checks the options a person gave; the message names the flag.
pub fn check(options: &BenchOptions) -> Result<()> {
    let max = crate::scenario::limits::MAX_AGENTS;
    if options.sizes.is_empty() {
        return Err(Error::Usage("--agents: give at least one desk size".into()));
    }
    if let Some(&n) = options.sizes.iter().find(|&&n| n == 0 || n as u64 > max) {
        return Err(Error::Usage(format!(
            "--agents: a desk size is from 1 to {max} agents, got {n}"
        )));
    }
    if options.decisions == 0 {
        return Err(Error::Usage("--decisions: must be at least 1".into()));
    }
    if let Some(b) = options.busy.filter(|b| !(0.0..=1.0).contains(b)) {
        return Err(Error::Usage(format!(
            "--busy: a share of the chat slots, from 0 to 1, got {b}"
        )));
    }
    Ok(())
}

/// Runs the bench on every size. `progress` hears of decisions made (warm-up included), now and
/// then, outside the timed part; `stop` is asked at the same moments, and once it says true the
/// bench ends with [`Error::Interrupted`].
pub fn run(
    source: &Source,
    options: &BenchOptions,
    progress: &dyn Fn(u64),
    stop: &dyn Fn() -> bool,
) -> Result<BenchResult> {
    check(options)?;
    let file = source.compile(&Overrides {
        seed: options.seed,
        ..Default::default()
    })?;
    if file.traffic.is_empty() {
        return Err(Error::Usage(format!(
            "{}: no [[traffic]] stream to draw chats from",
            file.name
        )));
    }
    let (busy, busy_from) = match options.busy {
        Some(b) => (b, "--busy"),
        None => (scenario_busy(&file), "scenario"),
    };
    let at = moment(&file, options.at);
    let warmup = warmup_of(options.decisions);
    let timer = timer_overhead();
    let mut sizes = Vec::with_capacity(options.sizes.len());
    for &agents in &options.sizes {
        let model = source.compile(&Overrides {
            seed: options.seed,
            agents_total: Some(agents),
            ..Default::default()
        })?;
        let mut desk = CoreDesk::new(&model, busy, at);
        let mut hist =
            Histogram::<u64>::new_with_bounds(1, HIST_MAX_NS, 3).expect("valid histogram bounds");
        let (mut max, mut out_of_range, mut sum) = (0u64, 0u64, 0u128);
        let (mut occupancy, mut waiting) = (0.0f64, 0.0f64);
        let mut counts = [0u64; 3];
        for i in 0..warmup + options.decisions {
            desk.draw();
            let measured = i >= warmup;
            if measured {
                occupancy += desk.load as f64 / desk.slots.max(1) as f64;
                waiting += desk.queues.len() as f64;
            }
            let t = Instant::now();
            let d = desk.decide();
            let ns = t.elapsed().as_nanos() as u64;
            desk.settle(d);
            if measured {
                counts[kind(&d)] += 1;
                sum += ns as u128;
                max = max.max(ns);
                if hist.record(ns).is_err() {
                    out_of_range += 1;
                }
            }
            if i % 4_096 == 4_095 {
                progress(4_096);
                if stop() {
                    return Err(Error::Interrupted);
                }
            }
        }
        progress((warmup + options.decisions) % 4_096);
        let n = options.decisions;
        let mean = sum as f64 / n as f64;
        sizes.push(SizeResult {
            agents,
            slots: desk.slots,
            decisions: n,
            decisions_per_sec: 1e9 / (mean - timer as f64).max(1.0),
            latency_ns: Latency {
                mean,
                p50: hist.value_at_quantile(0.5),
                p99: hist.value_at_quantile(0.99),
                p999: hist.value_at_quantile(0.999),
                max,
            },
            out_of_range,
            assigned: counts[0],
            waited: counts[1],
            other: counts[2],
            occupancy: occupancy / n as f64,
            waiting: waiting / n as f64,
        });
    }
    Ok(BenchResult {
        scenario: file.name.clone(),
        seed: file.seed,
        at: crate::model::WeekTime(at).to_string(),
        busy,
        busy_from: busy_from.into(),
        decisions: options.decisions,
        warmup,
        timer_overhead_ns: timer,
        sizes,
    })
}

/// Decisions made before measuring: a tenth of the measured ones, at least 1,000.
pub fn warmup_of(decisions: u64) -> u64 {
    (decisions / 10).max(1_000)
}

/// Decisions made in all, warm-ups included, for a progress bar.
pub fn total_decisions(options: &BenchOptions) -> u64 {
    (warmup_of(options.decisions) + options.decisions) * options.sizes.len() as u64
}

fn kind(d: &Decision) -> usize {
    match d {
        Decision::Assign { .. } => 0,
        Decision::Wait { .. } => 1,
        Decision::Redirect(_) | Decision::AfterHours => 2,
    }
}

/// Chats a second the bench's clock runs at: the rate that keeps `target_load` chats in
/// service (Little's law) when each holds its slot for its stream's mean handle time plus
/// wrap-up, the streams mixed in the shares `rates` (summing to `total`) choose them. On the
/// scenario's own desk at its own occupancy, that is its arrival rate; on a desk scaled to N
/// agents, the rate scaled with it. With nothing held, or no handle time, the streams' rate at
/// the moment (at least one chat a second).
fn arrival_rate(model: &Model, rates: &[f64], total: f64, target_load: u64) -> f64 {
    let hold: f64 = model
        .traffic
        .iter()
        .zip(rates)
        .map(|(t, r)| {
            let wrap = t.wrap_up.as_ref().map_or(0.0, |w| w.mean_secs);
            r / total * (t.handle_time.mean_secs + wrap)
        })
        .sum();
    if target_load > 0 && hold > 0.0 {
        target_load as f64 / hold
    } else {
        total.max(1.0)
    }
}

/// The median cost of an empty timed region, ns.
fn timer_overhead() -> u64 {
    let mut hist =
        Histogram::<u64>::new_with_bounds(1, HIST_MAX_NS, 3).expect("valid histogram bounds");
    for _ in 0..20_000 {
        let t = Instant::now();
        std::hint::black_box(());
        let _ = hist.record(t.elapsed().as_nanos() as u64);
    }
    hist.value_at_quantile(0.5)
}

/// A chat waiting in a queue, as the bench keeps it: where it waits and what the routing core
/// needs to move it on when its step times out.
#[derive(Debug, Clone, Copy)]
struct Waiting {
    /// Where it was offered (the agent who takes it is assigned through it).
    target: TargetId,
    queue: QueueId,
    key: QueueKey,
    rule: Option<RuleId>,
    step: usize,
    checks: u32,
    owner: Option<AgentId>,
    /// When its step times out, ticks; `None`: the step has no timeout.
    due: Option<u64>,
    /// Bumped each time the handle stops waiting: deadlines of an earlier chat no longer apply.
    epoch: u32,
}

/// What a deadline does when it comes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Due {
    /// The customer gives up (patience, or the cap).
    Leave,
    /// The step it waits at times out: on to the next step (the step it was set for).
    Timeout(usize),
}

/// A deadline in the heap: (when, order of scheduling, handle, epoch, what). The order of
/// scheduling breaks ties, so the same seed moves the same chats in the same order.
type Deadline = Reverse<(u64, u64, u32, u32, Due)>;

/// A desk driven through the routing core: the board, the queues and the compiled rules, with
/// the chats drawn from the scenario's streams. [`draw`](CoreDesk::draw), then
/// [`decide`](CoreDesk::decide) (the part to time), then [`settle`](CoreDesk::settle), once
/// per decision; the `cargo bench` benchmark drives it the same way.
#[derive(Debug)]
pub struct CoreDesk<'m> {
    model: &'m Model,
    rules: RuleIndex,
    board: Board,
    queues: Queues,
    week_time: u64,
    /// Per traffic stream, its RNG; and the cumulative shares streams are chosen by.
    streams: Vec<Xoshiro256PlusPlus>,
    stream_cum: Vec<f64>,
    routing_rng: Xoshiro256PlusPlus,
    rng: Xoshiro256PlusPlus,
    /// The drawn chat: its stream, attributes, owner and patience.
    stream: usize,
    attrs: Vec<ValueId>,
    owner: Option<AgentId>,
    patience: u64,
    /// Decisions made: the drawn chat's number and id.
    count: u64,
    /// The virtual clock, ticks: decision `count` happens at `count` over `rate`.
    now: u64,
    /// Ticks between decisions: one over the arrival rate.
    gap: f64,
    /// The handle the drawn chat has if it waits, and its key in the queue once it does.
    handle: u32,
    key: QueueKey,
    /// Chats waiting, by handle, and the handles free for reuse.
    waiting: Vec<Waiting>,
    free: Vec<u32>,
    /// Deadlines of waiting chats, soonest first; some no longer apply (lazy invalidation).
    deadlines: BinaryHeap<Deadline>,
    scheduled: u64,
    /// One entry per chat in service: its agent.
    held: Vec<AgentId>,
    /// Chats held, and the most the steady state allows.
    load: u64,
    target_load: u64,
    /// Chat slots of agents in a team.
    slots: u64,
    /// How long a chat of a stream without `patience` waits before it leaves, ticks.
    cap: u64,
    /// Chats moved on to a later step by a timeout, and chats that left a queue unanswered.
    moved: u64,
    left: u64,
}

impl<'m> CoreDesk<'m> {
    /// A desk of `model`'s agents, all on shift, with loads drawn so that `busy` of the slots
    /// are held, at moment `week_time` (ticks since Monday 00:00). Seeded from `model.seed`.
    pub fn new(model: &'m Model, busy: f64, week_time: u64) -> CoreDesk<'m> {
        let seed = |stream| {
            Xoshiro256PlusPlus::seed_from_u64(crate::sim::stream_seed(model.seed, 0, stream))
        };
        let mut rng = seed(BENCH_STREAM);
        let mut board = Board::new(model);
        let mut held = Vec::new();
        let mut slots = 0u64;
        for (a, agent) in model.agents.iter().enumerate() {
            let id = AgentId(a as u32);
            board.set_on_shift(model, id, true, SimTime::ZERO);
            let Some(m) = agent.memberships.first() else {
                continue; // in no team: never offered a chat
            };
            slots += agent.max_chats as u64;
            for _ in 0..agent.max_chats {
                if rng.random_bool(busy) {
                    board.assign(model, id, m.target, SimTime::ZERO);
                    held.push(id);
                }
            }
        }
        let rates: Vec<f64> = model
            .traffic
            .iter()
            .map(|t| t.rate * t.profile.segment(week_time).0)
            .collect();
        // At a moment no stream offers chats, the streams' base rates choose.
        let rates = if rates.iter().sum::<f64>() > 0.0 {
            rates
        } else {
            model.traffic.iter().map(|t| t.rate).collect()
        };
        // Streams with no rate at all (none offers chats, ever) are chosen alike.
        let total: f64 = rates.iter().sum();
        let (rates, total) = if total > 0.0 {
            (rates, total)
        } else {
            (vec![1.0; rates.len()], rates.len() as f64)
        };
        let mut acc = 0.0;
        let stream_cum: Vec<f64> = rates
            .iter()
            .map(|r| {
                acc += r / total;
                acc
            })
            .collect();
        let target_load = (busy * slots as f64).round() as u64;
        let rate = arrival_rate(model, &rates, total, target_load);
        let gap = TICKS_PER_SEC as f64 / rate;
        let load = held.len() as u64;
        CoreDesk {
            model,
            rules: RuleIndex::new(model),
            board,
            queues: Queues::new(model),
            week_time,
            streams: (0..model.traffic.len())
                .map(|s| seed(s as u64 + 1))
                .collect(),
            stream_cum,
            routing_rng: seed(0),
            rng,
            stream: 0,
            attrs: vec![crate::model::NO_VALUE; model.attributes.len()],
            owner: None,
            patience: 0,
            count: 0,
            now: 0,
            gap,
            handle: 0,
            key: QueueKey::ZERO,
            waiting: Vec::new(),
            free: Vec::new(),
            deadlines: BinaryHeap::new(),
            scheduled: 0,
            load,
            held,
            target_load,
            slots,
            cap: (model.agents.len().max(1) as f64 * gap).round() as u64,
            moved: 0,
            left: 0,
        }
    }

    /// Moves the clock to the next decision, follows every deadline due by then (not timed),
    /// and draws the next chat (not timed).
    pub fn draw(&mut self) {
        self.count += 1;
        self.now = (self.count as f64 * self.gap).round() as u64;
        self.follow_deadlines();
        let u: f64 = self.rng.random();
        let cum = &self.stream_cum;
        self.stream = cum.partition_point(|&c| c <= u).min(cum.len() - 1);
        let traffic = &self.model.traffic[self.stream];
        let rng = &mut self.streams[self.stream];
        self.attrs.fill(crate::model::NO_VALUE);
        for (a, choice) in &traffic.attributes {
            self.attrs[a.ix()] = choice.sample(rng);
        }
        // The engine's draws, in its order, up to the owner: handle time and wrap-up are not
        // used here, but drawn so each stream's sequence is the engine's.
        let _handle = traffic.handle_time.dist.sample(rng);
        self.patience = match &traffic.patience {
            Some(p) => p.dist.sample(rng).0,
            None => self.cap,
        };
        if let Some(w) = &traffic.wrap_up {
            let _wrap = w.dist.sample(rng);
        }
        self.owner = traffic
            .owner
            .as_ref()
            .and_then(|o| o.draw(&self.model.teams, &self.attrs, rng));
        self.handle = match self.free.last() {
            Some(&h) => h,
            None => self.waiting.len() as u32,
        };
    }

    /// One decision for the drawn chat, the part that is timed: its rule, where it goes, and
    /// that applied to the board (an agent takes it) or the queues (it waits).
    #[inline]
    pub fn decide(&mut self) -> Decision {
        let model = self.model;
        let cx = ChatContext {
            attrs: &self.attrs,
            week_time: self.week_time,
            has_owner: self.owner.is_some(),
        };
        let rule = self.rules.choose(model, &cx);
        let view = ChatView {
            rule,
            step: 0,
            checks: 0,
            owner: self.owner,
        };
        let now = SimTime(self.now);
        let d = routing::decide(model, &self.board, view, &mut self.routing_rng);
        match d {
            Decision::Assign { agent, at } => self.board.assign(model, agent, at.target, now),
            Decision::Wait { at } => {
                let priority = rule.map_or(0, |r| model.rules[r.ix()].priority);
                self.key = QueueKey::new(priority, now, self.count);
                self.queues.push(at.queue, self.key, self.handle);
            }
            Decision::Redirect(_) | Decision::AfterHours => {}
        }
        d
    }

    /// After a decision (not timed): the bench's records of it, then the steady state: chats
    /// end while the desk holds more than its share, and their agents take waiting chats.
    pub fn settle(&mut self, d: Decision) {
        match d {
            Decision::Assign { agent, .. } => {
                self.held.push(agent);
                self.load += 1;
            }
            Decision::Wait { at } => {
                let h = self.handle;
                // Its rule again, as `decide` chose it (not timed: `decide` keeps no more than
                // it did before the bench followed timeouts).
                let cx = ChatContext {
                    attrs: &self.attrs,
                    week_time: self.week_time,
                    has_owner: self.owner.is_some(),
                };
                let rule = self.rules.choose(self.model, &cx);
                let w = Waiting {
                    target: at.target,
                    queue: at.queue,
                    key: self.key,
                    rule,
                    step: at.step,
                    checks: at.checks,
                    owner: self.owner,
                    due: at.timeout.map(|t| self.now + t.0),
                    epoch: 0,
                };
                let epoch = if h as usize == self.waiting.len() {
                    self.waiting.push(w);
                    0
                } else {
                    debug_assert_eq!(self.free.last(), Some(&h));
                    self.free.pop();
                    let epoch = self.waiting[h as usize].epoch;
                    self.waiting[h as usize] = Waiting { epoch, ..w };
                    epoch
                };
                self.schedule(self.now.saturating_add(self.patience), h, epoch, Due::Leave);
                if let Some(due) = w.due {
                    self.schedule(due, h, epoch, Due::Timeout(at.step));
                }
            }
            Decision::Redirect(_) | Decision::AfterHours => {}
        }
        let model = self.model;
        let now = SimTime(self.now);
        while self.load > self.target_load && !self.held.is_empty() {
            let i = self.rng.random_range(0..self.held.len());
            let agent = self.held.swap_remove(i);
            self.board.release(model, agent, now);
            self.load -= 1;
            while self.board.available(model, agent) {
                let Some((queue, key, h)) = self.queues.next_for(model, agent) else {
                    break;
                };
                self.queues.remove(queue, key);
                let target = self.waiting[h as usize].target;
                self.board.assign(model, agent, target, now);
                self.held.push(agent);
                self.load += 1;
                self.stop_waiting(h);
            }
        }
    }

    fn schedule(&mut self, at: u64, h: u32, epoch: u32, due: Due) {
        self.scheduled += 1;
        self.deadlines
            .push(Reverse((at, self.scheduled, h, epoch, due)));
    }

    /// The handle no longer waits: its deadlines lapse and it is free for the next chat.
    fn stop_waiting(&mut self, h: u32) {
        let w = &mut self.waiting[h as usize];
        w.epoch = w.epoch.wrapping_add(1);
        self.free.push(h);
    }

    /// Every deadline due by now, soonest first, as the engine follows its events: a customer
    /// who runs out of patience leaves the queue; a step that times out sends the chat to its
    /// rule's next step (`decide` from that step, then assigned or queued again, with its
    /// queue key kept), at the deadline's time on the board's clock.
    fn follow_deadlines(&mut self) {
        let model = self.model;
        while let Some(&Reverse((at, _, h, epoch, due))) = self.deadlines.peek() {
            if at > self.now {
                break;
            }
            self.deadlines.pop();
            let w = self.waiting[h as usize];
            if w.epoch != epoch {
                continue; // taken, gone or moved on since
            }
            match due {
                Due::Leave => {
                    self.queues.remove(w.queue, w.key);
                    self.left += 1;
                    self.stop_waiting(h);
                }
                Due::Timeout(step) if step == w.step => {
                    self.queues.remove(w.queue, w.key);
                    self.moved += 1;
                    let view = ChatView {
                        rule: w.rule,
                        step: step + 1,
                        checks: w.checks + 1,
                        owner: w.owner,
                    };
                    let t = SimTime(at);
                    match routing::decide(model, &self.board, view, &mut self.routing_rng) {
                        Decision::Assign { agent, at: p } => {
                            self.board.assign(model, agent, p.target, t);
                            self.held.push(agent);
                            self.load += 1;
                            self.stop_waiting(h);
                        }
                        Decision::Wait { at: p } => {
                            self.queues.push(p.queue, w.key, h);
                            let due = p.timeout.map(|t| at + t.0);
                            self.waiting[h as usize] = Waiting {
                                target: p.target,
                                queue: p.queue,
                                step: p.step,
                                checks: p.checks,
                                due,
                                ..w
                            };
                            if let Some(due) = due {
                                self.schedule(due, h, epoch, Due::Timeout(p.step));
                            }
                        }
                        Decision::Redirect(_) | Decision::AfterHours => self.stop_waiting(h),
                    }
                }
                Due::Timeout(_) => {} // set for a step it has left
            }
        }
    }

    /// Chats in service now.
    pub fn load(&self) -> u64 {
        self.load
    }

    /// Chat slots of the agents in a team.
    pub fn slots(&self) -> u64 {
        self.slots
    }

    /// Chats waiting now.
    pub fn waiting(&self) -> usize {
        self.queues.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn desk_1000() -> Source {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        Source::read(&root.join("scenarios/bench/desk-1000.toml")).unwrap()
    }

    #[test]
    fn the_board_holds_the_busy_share_of_its_slots_and_stays_there() {
        let source = desk_1000();
        for busy in [0.3, 0.75, 0.9] {
            let model = source
                .compile(&Overrides {
                    agents_total: Some(2_000),
                    ..Default::default()
                })
                .unwrap();
            let mut desk = CoreDesk::new(&model, busy, model.start);
            assert_eq!(model.agents.len(), 2_000);
            let share = |d: &CoreDesk<'_>| d.load() as f64 / d.slots() as f64;
            // Drawn: Binomial over 5,000 slots, sd below 0.007.
            assert!(
                (share(&desk) - busy).abs() < 0.03,
                "{busy}: {}",
                share(&desk)
            );
            let (mut waited, mut max_waiting) = (0, 0);
            for _ in 0..20_000 {
                desk.draw();
                let d = desk.decide();
                waited += matches!(d, Decision::Wait { .. }) as u32;
                desk.settle(d);
                assert!(desk.load() <= desk.target_load);
                max_waiting = max_waiting.max(desk.waiting());
            }
            // Route timeouts are followed: no chat still waits at a step past its timeout.
            let free: std::collections::HashSet<u32> = desk.free.iter().copied().collect();
            for (h, w) in desk.waiting.iter().enumerate() {
                if !free.contains(&(h as u32)) {
                    assert!(w.due.is_none_or(|d| d > desk.now), "{w:?} at {}", desk.now);
                }
            }
            if busy >= 0.75 {
                assert!(
                    desk.moved > 0 && desk.left > 0,
                    "{busy}: {} {}",
                    desk.moved,
                    desk.left
                );
            }
            assert!(
                (share(&desk) - busy).abs() < 0.03,
                "{busy}: {}",
                share(&desk)
            );
            // The queues stay bounded: chats move on after their step's timeout and leave
            // after their patience (exponential, mean 5 min: 1,200 decisions at 2,000 agents).
            assert!(max_waiting < 2_000, "{}", desk.waiting());
            if busy == 0.9 {
                assert!(waited > 0, "a busy desk queues some chats");
            }
        }
    }

    #[test]
    fn counts_do_not_depend_on_timing_and_sizes_scale() {
        let source = desk_1000();
        let options = BenchOptions {
            sizes: vec![100, 1_000],
            decisions: 3_000,
            busy: Some(0.9),
            ..Default::default()
        };
        let a = run(&source, &options, &|_| {}, &|| false).unwrap();
        let b = run(&source, &options, &|_| {}, &|| false).unwrap();
        let counts = |r: &BenchResult| {
            r.sizes
                .iter()
                .map(|s| {
                    (
                        s.agents,
                        s.assigned,
                        s.waited,
                        s.other,
                        s.occupancy,
                        s.waiting,
                    )
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(counts(&a), counts(&b));
        assert_eq!(a.sizes[1].slots, 2_500);
        for s in &a.sizes {
            assert_eq!(s.assigned + s.waited + s.other, 3_000);
            let l = s.latency_ns;
            assert!(
                l.p50 <= l.p99 && l.p99 <= l.p999 && l.p999 <= l.max,
                "{l:?}"
            );
        }
    }

    #[test]
    fn bad_options_name_their_flag() {
        let bad = |o: BenchOptions| check(&o).unwrap_err().to_string();
        let sizes = |v: Vec<u32>| BenchOptions {
            sizes: v,
            ..Default::default()
        };
        assert!(bad(sizes(vec![0])).starts_with("--agents"));
        assert!(bad(sizes(vec![200_000])).contains("from 1 to 100000"));
        assert!(
            bad(BenchOptions {
                busy: Some(1.5),
                ..Default::default()
            })
            .starts_with("--busy")
        );
        assert!(
            bad(BenchOptions {
                decisions: 0,
                ..Default::default()
            })
            .starts_with("--decisions")
        );
    }
}
