//! The [`Collector`]: the recorder that folds a replication's chats and agent changes into
//! tallies. Collectors of several replications merge, and [`Collector::figures`] reads the
//! report from whatever has been merged.

use super::agents::AgentLoad;
use super::curve::{CURVE_STEPS, WaitCurve, WaitCurves};
use super::figures::*;
use super::tally::{Durations, PairTally, Tally};
use super::tickets::TicketTally;
use crate::model::{AgentId, AutoMessages, Model, SimTime, TICKS_PER_SEC, Tickets};
use crate::sim::{AgentChange, ChatRecord, Outcome, Recorder, RunResult, TicketChange};

/// The [`Recorder`] that measures one replication, and the pooled tallies of several. It
/// serializes exactly (counts, sums, histograms' buckets), so a shard's collector can be merged
/// on another machine with the same result.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Collector {
    threshold: SimTime,
    messages_on: AutoMessages,
    /// Only needed while recording; a collector read back from a shard only merges.
    #[serde(skip)]
    tickets_on: Tickets,
    red_after: Option<SimTime>,
    /// Replications merged into this collector.
    reps: u32,
    overall: Tally,
    /// Per team row (see `row_of`).
    teams: Vec<Tally>,
    /// Per rule, then chats that matched none.
    rules: Vec<Tally>,
    transfers: u64,
    second_wait: Durations,
    resolution: Durations,
    channels: Vec<u64>,
    /// Automated messages and tickets by kind, set by `finish` from the overall tally.
    messages: [u64; 7],
    tickets: [u64; 2],
    /// The backlog and first responses, with ticket work.
    ticket_work: Option<TicketTally>,
    flagged: u64,
    /// Most chats red-flagged at once (the largest over merged replications).
    red_flag_peak: u32,
    /// Team row of each target (skill targets fold into their team; the fallback over every
    /// agent is the row after the teams).
    row_of: Vec<usize>,
    bot_chats: u64,
    #[serde(with = "super::wide_serde")]
    bot_time: u128,
    /// First contacts, retries, and abandoned chats whose customer did not come back.
    customers: [u64; 3],
    agents: AgentLoad,
    /// Where this replication's chats are counted until `finish` adds them to the tallies
    /// above. Only needed while recording, as `tickets_on`.
    #[serde(skip)]
    pairs: Pairs,
}

/// A collector's chats while it records, one [`PairTally`] per (rule, team row) pair: a chat
/// counts in the overall tally, its team row's and its rule's, and counting it once in its
/// pair and adding the pairs to those three at the end is the same (see [`Tally::absorb`]) for
/// a third of the work per chat. A pair's tally is made when its first chat comes, so a rule
/// costs a row of indices, not a tally per team row it never routes to.
///
/// Memory stays what the three kinds of tallies alone would hold: a pair's waits are counted
/// sparsely (a few KB), and only as many pairs as there are tallies may turn dense (a
/// histogram over the whole run, some 250 KB). A pair that fills up past that is added to its
/// three tallies there and then and starts again empty, which is exact because a tally's
/// figures are counts, integer sums, maxima and histogram bins.
#[derive(Debug, Clone, Default)]
struct Pairs {
    /// Columns of `index`: one per team row, then one for chats that reached no team.
    cols: usize,
    /// Column of each target (its team row, as `row_of`).
    col_of: Vec<u32>,
    /// Per rule (then "no rule") and column, the position of its pair in `tallies`, or
    /// `NO_PAIR`.
    index: Vec<u32>,
    /// The pairs' tallies, in the order of their first chat, and their (rule, column).
    tallies: Vec<PairTally>,
    keys: Vec<(u32, u32)>,
    /// The histograms' upper bound.
    high: u64,
    /// Pairs that may still turn dense.
    dense_left: usize,
}

/// In [`Pairs::index`]: no chat of this pair yet.
const NO_PAIR: u32 = u32::MAX;

impl Pairs {
    fn new(rules: usize, rows: usize, row_of: &[usize], high: u64) -> Pairs {
        let cols = rows + 1;
        Pairs {
            cols,
            col_of: row_of.iter().map(|&r| r as u32).collect(),
            index: vec![NO_PAIR; rules * cols],
            tallies: Vec::new(),
            keys: Vec::new(),
            high,
            // As many as the overall tally, the team rows and the rules.
            dense_left: 1 + rows + rules,
        }
    }

    /// The tally of the pair at `cell` of `index` (rule `rule`, column `col`), made now.
    #[cold]
    #[inline(never)]
    fn open(&mut self, cell: usize, rule: usize, col: usize) -> u32 {
        let ix = self.tallies.len() as u32;
        self.tallies.push(PairTally::new(self.high));
        self.keys.push((rule as u32, col as u32));
        self.index[cell] = ix;
        ix
    }
}

impl Collector {
    /// A collector for a model's teams, rules and agents.
    pub fn new(model: &Model) -> Collector {
        let high = model.end().0;
        let row_of: Vec<usize> = model
            .targets
            .iter()
            .map(|t| t.team.map_or(model.teams.len(), |team| team.ix()))
            .collect();
        let rows = model.teams.len() + has_everyone_row(model) as usize;
        Collector {
            threshold: model.service_level,
            messages_on: model.messages,
            tickets_on: model.tickets.clone(),
            red_after: model.red_after,
            reps: 1,
            overall: Tally::new(high),
            teams: vec![Tally::new(high); rows],
            rules: vec![Tally::new(high); model.rules.len() + 1],
            transfers: 0,
            second_wait: Durations::new(high),
            resolution: Durations::new(high),
            channels: vec![0; model.channels.len()],
            messages: [0; 7],
            tickets: [0; 2],
            ticket_work: model.tickets.work.as_ref().map(|_| TicketTally::new(high)),
            flagged: 0,
            red_flag_peak: 0,
            pairs: Pairs::new(model.rules.len() + 1, rows, &row_of, high),
            row_of,
            bot_chats: 0,
            bot_time: 0,
            customers: [0; 3],
            agents: AgentLoad::new(model.agents.len(), model.end()),
        }
    }

    /// Takes what only the engine knows of a replication (the red-flag peak).
    pub fn absorb(&mut self, run: &RunResult) {
        self.red_flag_peak = self.red_flag_peak.max(run.red_flag_peak);
    }

    /// Adds another replication's tallies to these. Merge in replication order: the result
    /// does not depend on it, but floating-point sums are kept reproducible anyway.
    pub fn merge(&mut self, o: &Collector) {
        debug_assert!(
            o.pairs.tallies.is_empty(),
            "a collector is merged after its finish"
        );
        self.reps += o.reps;
        self.overall.merge(&o.overall);
        for (a, b) in self.teams.iter_mut().zip(&o.teams) {
            a.merge(b);
        }
        for (a, b) in self.rules.iter_mut().zip(&o.rules) {
            a.merge(b);
        }
        self.transfers += o.transfers;
        self.second_wait.merge(&o.second_wait);
        self.resolution.merge(&o.resolution);
        for (a, b) in self.channels.iter_mut().zip(&o.channels) {
            *a += b;
        }
        for (a, b) in self.messages.iter_mut().zip(&o.messages) {
            *a += b;
        }
        for (a, b) in self.tickets.iter_mut().zip(&o.tickets) {
            *a += b;
        }
        if let (Some(a), Some(b)) = (&mut self.ticket_work, &o.ticket_work) {
            a.merge(b);
        }
        self.flagged += o.flagged;
        self.red_flag_peak = self.red_flag_peak.max(o.red_flag_peak);
        self.bot_chats += o.bot_chats;
        for (a, b) in self.customers.iter_mut().zip(&o.customers) {
            *a += b;
        }
        self.bot_time += o.bot_time;
        self.agents.merge(&o.agents);
    }

    /// Waits that fell outside the histogram's range (none are expected: a wait cannot exceed
    /// the run). Counted rather than clamped, so a bug here cannot hide.
    pub fn out_of_range(&self) -> u64 {
        self.overall.waits.out_of_range
    }

    /// Whether this collector has the shape of `fresh`, a new one for the same model: as many
    /// teams, rules, channels and agents, tickets or none. A part read back (a shard's file)
    /// may have been edited; one of another shape panicked where its tallies are read by the
    /// model's indexes (found by a fuzzing helper).
    pub fn fits(&self, fresh: &Collector) -> bool {
        self.teams.len() == fresh.teams.len()
            && self.rules.len() == fresh.rules.len()
            && self.channels.len() == fresh.channels.len()
            && self.row_of == fresh.row_of
            && self.ticket_work.is_some() == fresh.ticket_work.is_some()
            && self.agents.same_size(&fresh.agents)
    }

    /// The figures of the replications merged so far: counts (and hours, costs) are means per
    /// replication; ratios, percentiles and mean times come from the pooled chats and agent
    /// time; maxima and peaks are the largest seen.
    pub fn figures(&self, model: &Model) -> RepFigures {
        let reps = self.reps;
        let per_rep = |n: u64| n as f64 / reps.max(1) as f64;
        let rule_names = model
            .rules
            .iter()
            .map(|r| r.name.as_str())
            .chain(["(no rule)"]);
        let rules = rule_names
            .zip(&self.rules)
            .map(|(name, tally)| RuleFigures {
                name: name.to_string(),
                matched: per_rep(tally.offered),
                figures: tally.figures(reps),
            })
            .collect();
        let agents: Vec<AgentFigures> = model
            .agents
            .iter()
            .zip(&self.agents.times)
            .map(|(a, times)| {
                let on_shift_secs = times.on_shift as f64 / TICKS_PER_SEC as f64;
                let busy = to_f64(times.busy) / TICKS_PER_SEC as f64;
                let wrap = to_f64(times.wrap) / TICKS_PER_SEC as f64;
                let ticket = to_f64(times.ticket) / TICKS_PER_SEC as f64;
                let hours = on_shift_secs / 3_600.0 / reps.max(1) as f64;
                AgentFigures {
                    name: a.name.clone(),
                    handled: per_rep(times.handled),
                    occupancy: (on_shift_secs > 0.0)
                        .then(|| busy / (on_shift_secs * a.max_chats as f64)),
                    mean_concurrency: (on_shift_secs > 0.0).then(|| busy / on_shift_secs),
                    wrap_up: (on_shift_secs > 0.0)
                        .then(|| wrap / (on_shift_secs * a.max_chats as f64)),
                    tickets: (on_shift_secs > 0.0)
                        .then(|| ticket / (on_shift_secs * a.max_chats as f64)),
                    peak_concurrency: times.peak as f64,
                    on_shift_hours: hours,
                    staffing_cost: hours * a.cost,
                }
            })
            .collect();
        let jain = jain_index(agents.iter().filter_map(|a| a.occupancy));
        let names = model
            .teams
            .iter()
            .map(|t| (t.name.as_str(), &t.members[..]))
            .chain([("(fallback)", &[][..])]);
        let teams = names
            .zip(&self.teams)
            .map(|((name, members), tally)| TeamFigures {
                name: name.to_string(),
                figures: tally.figures(reps),
                jain_occupancy: jain_index(members.iter().filter_map(|a| agents[a.ix()].occupancy)),
            })
            .collect();
        let m = &self.messages;
        RepFigures {
            overall: self.overall.figures(reps),
            teams,
            rules,
            agents,
            channels: model
                .channels
                .iter()
                .zip(&self.channels)
                .map(|(c, &n)| ChannelFigures {
                    channel: c.clone(),
                    deflected: per_rep(n),
                })
                .collect(),
            messages: MessageFigures {
                first_chat: per_rep(m[0]),
                assigned: per_rep(m[1]),
                after_hours: per_rep(m[2]),
                missed: per_rep(m[3]),
                resolved_check: per_rep(m[4]),
                rating: per_rep(m[5]),
                redirect: per_rep(m[6]),
            },
            tickets: TicketFigures {
                after_hours: per_rep(self.tickets[0]),
                missed: per_rep(self.tickets[1]),
                work: model
                    .tickets
                    .work
                    .as_ref()
                    .zip(self.ticket_work.as_ref())
                    .map(|(w, tally)| tally.figures(&model.teams[w.team.ix()].name, reps)),
            },
            red_flags: RedFlagFigures {
                after: self.red_after.map(SimTime::as_secs_f64),
                flagged: per_rep(self.flagged),
                peak: self.red_flag_peak as f64,
            },
            fairness: FairnessFigures {
                jain_occupancy: jain,
            },
            escalation: EscalationFigures {
                escalated: per_rep(self.overall.escalated),
                transfers: per_rep(self.transfers),
                second_wait: self.second_wait.figures(),
                time_to_resolution: self.resolution.figures(),
            },
            bot: BotFigures {
                chats: per_rep(self.bot_chats),
                resolved: per_rep(self.rules.iter().map(|t| t.bot_resolved).sum::<u64>()),
                mean_time: (self.bot_chats > 0)
                    .then(|| self.bot_time as f64 / self.bot_chats as f64 / TICKS_PER_SEC as f64),
            },
            customers: CustomerFigures {
                first_contacts: per_rep(self.customers[0]),
                retries: per_rep(self.customers[1]),
                gave_up: per_rep(self.customers[2]),
                abandon_rate: (self.customers[0] > 0)
                    .then(|| self.customers[2] as f64 / self.customers[0] as f64),
            },
        }
    }
}

impl Collector {
    /// The wait curves of the chats merged so far (see [`WaitCurves`]): the whole desk, then
    /// each team row named as in [`Collector::figures`].
    pub fn wait_curves(&self, model: &Model) -> WaitCurves {
        let curve = |name: &str, tally: &Tally| WaitCurve {
            name: name.to_string(),
            chats: tally.waits.n,
            points: tally.waits.curve(CURVE_STEPS),
        };
        let names = model
            .teams
            .iter()
            .map(|t| t.name.as_str())
            .chain(["(fallback)"]);
        WaitCurves {
            overall: curve("overall", &self.overall),
            teams: names
                .zip(&self.teams)
                .map(|(name, tally)| curve(name, tally))
                .collect(),
        }
    }
}

impl Recorder for Collector {
    fn begin(&mut self, measured_from: SimTime) {
        self.agents.begin(measured_from);
        if let Some(t) = &mut self.ticket_work {
            t.begin(measured_from);
        }
    }

    #[inline]
    fn record(&mut self, rec: &ChatRecord<'_>) {
        if !rec.measured {
            return;
        }
        // Counted once, in its (rule, team row) pair; `finish` adds the pairs to the overall,
        // team and rule tallies.
        let p = &mut self.pairs;
        let rule = rec.rule.map_or(self.rules.len() - 1, |r| r.ix());
        let col = rec.target.map_or(p.cols - 1, |t| p.col_of[t.ix()] as usize);
        let cell = rule * p.cols + col;
        let mut ix = p.index[cell];
        if ix == NO_PAIR {
            ix = p.open(cell, rule, col);
        }
        if p.tallies[ix as usize].full() {
            self.make_room(ix as usize);
        }
        self.pairs.tallies[ix as usize].add(rec, self.threshold);
        self.customers[(rec.attempt > 1) as usize] += 1;
        if rec.outcome == Outcome::Abandoned && !rec.retry {
            self.customers[2] += 1;
        }
        if let Some(b) = rec.bot_time {
            self.bot_chats += 1;
            self.bot_time += b.0 as u128;
        }
        if rec.transfers > 0 {
            self.transfers += rec.transfers as u64;
            if let Some(w) = rec.second_wait {
                self.second_wait.add(w);
            }
            if let Some(r) = rec.resolution {
                self.resolution.add(r);
            }
        }
        if let Some(c) = rec.channel {
            self.channels[c as usize] += 1;
        }
        if self.red_after.is_some_and(|r| rec.wait > r) {
            self.flagged += 1;
        }
        // Automated messages and tickets depend on the outcome alone: `finish` reads them from
        // the overall tally.
    }

    #[inline]
    fn agent(&mut self, change: &AgentChange) {
        self.agents.change(change);
    }

    #[inline]
    fn prefetch_agent(&self, agent: AgentId) {
        self.agents.prefetch(agent);
    }

    fn ticket(&mut self, change: &TicketChange) {
        if let Some(t) = &mut self.ticket_work {
            t.change(change);
        }
    }

    fn finish(&mut self, end: SimTime) {
        self.add_pairs();
        self.count_messages_and_tickets();
        self.agents.finish(end);
        if let Some(t) = &mut self.ticket_work {
            t.finish(end);
        }
    }
}

impl Collector {
    /// Adds each (rule, team row) pair's chats to the overall tally, its team row's and its
    /// rule's, and forgets the pairs (their memory too).
    fn add_pairs(&mut self) {
        let tallies = std::mem::take(&mut self.pairs.tallies);
        let keys = std::mem::take(&mut self.pairs.keys);
        for (&key, pair) in keys.iter().zip(&tallies) {
            self.absorb_pair(key, pair);
        }
        self.pairs.index.fill(NO_PAIR);
    }

    /// Adds a pair's chats to the overall tally, its team row's and its rule's.
    fn absorb_pair(&mut self, (rule, col): (u32, u32), pair: &PairTally) {
        let (rule, col) = (rule as usize, col as usize);
        let at_bot = col == self.pairs.cols - 1;
        self.overall.absorb(pair, at_bot);
        if !at_bot {
            self.teams[col].absorb(pair, false);
        }
        self.rules[rule].absorb(pair, at_bot);
    }

    /// The pair at `ix` is about to turn dense: it may, if few enough pairs have; otherwise
    /// its chats go to its three tallies now and it starts again empty.
    #[cold]
    #[inline(never)]
    fn make_room(&mut self, ix: usize) {
        let p = &mut self.pairs;
        if p.dense_left > 0 {
            p.dense_left -= 1;
            p.tallies[ix].dense_ok = true;
            return;
        }
        let pair = std::mem::replace(&mut p.tallies[ix], PairTally::new(p.high));
        let key = p.keys[ix];
        self.absorb_pair(key, &pair);
    }

    /// Sets the automated messages and tickets of this replication from its overall tally and
    /// customers, once at the end rather than per chat (each depends only on a chat's outcome,
    /// and on whether an abandoning customer comes back). Called before any merge.
    fn count_messages_and_tickets(&mut self) {
        let (on, o) = (&self.messages_on, &self.overall);
        let served = o.answered - o.in_service;
        let if_on = |on: bool, n: u64| if on { n } else { 0 };
        self.messages = [
            // Greetings go to chats that entered a queue or reached an agent: not to customers
            // who gave up still with a bot (they had been counted as greeted).
            if_on(
                on.first_chat,
                o.answered + o.abandoned - o.abandoned_at_bot + o.waiting,
            ),
            if_on(on.assigned, o.answered),
            if_on(on.after_hours, o.after_hours),
            if_on(on.missed, o.abandoned),
            if_on(on.resolved_check, served),
            if_on(on.rating, served),
            if_on(on.redirect, o.deflected),
        ];
        // `ChatRecord::leaves_ticket`: every after-hours chat, and every abandoned one whose
        // customer does not come back (`customers[2]`).
        self.tickets = [
            if_on(self.tickets_on.after_hours, o.after_hours),
            if_on(self.tickets_on.missed, self.customers[2]),
        ];
    }
}

/// `v as f64`, the cheap way when `v` fits a `u64` (the same number: both conversions round
/// to the nearest `f64`), as it always does in practice. The general conversion is a call of
/// some 36 instructions, three per agent in [`Collector::figures`], which adds up at 100,000
/// agents.
#[inline]
fn to_f64(v: u128) -> f64 {
    match u64::try_from(v) {
        Ok(v) => v as f64,
        Err(_) => wide_to_f64(v),
    }
}

/// `v as f64` for a `v` past `u64`, out of line: with both conversions inline the compiler
/// computes the general one every time and picks.
#[cold]
#[inline(never)]
fn wide_to_f64(v: u128) -> f64 {
    v as f64
}

/// Jain's fairness index of some values: (sum x)^2 / (n sum x^2); `None` if all are zero.
fn jain_index(xs: impl Iterator<Item = f64>) -> Option<f64> {
    let (mut n, mut sum, mut sum_sq) = (0.0, 0.0, 0.0);
    for x in xs {
        n += 1.0;
        sum += x;
        sum_sq += x * x;
    }
    (sum_sq > 0.0).then(|| sum * sum / (n * sum_sq))
}

/// Whether the model has a fallback target over every agent (reported as `(fallback)`).
fn has_everyone_row(model: &Model) -> bool {
    model.targets.iter().any(|t| t.team.is_none())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jain_index_is_one_when_even_and_one_over_n_when_one_carries_all() {
        assert_eq!(jain_index([0.5, 0.5, 0.5].into_iter()), Some(1.0));
        assert!((jain_index([0.9, 0.0, 0.0].into_iter()).unwrap() - 1.0 / 3.0).abs() < 1e-12);
        assert_eq!(jain_index([0.0, 0.0].into_iter()), None);
    }

    /// The bundled scenario with rules, teams and the fallback over every agent.
    fn caps_and_fallback() -> Model {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/scenarios/caps-and-fallback.toml"
        );
        crate::scenario::load(std::path::Path::new(path)).unwrap()
    }

    /// Chats counted once in their (rule, team row) pair and added to the three tallies at
    /// the end give the very tallies of counting each chat in all three as it comes (the
    /// former way, `Tally::add`), for random chats of every outcome, with or without a rule,
    /// a team or the fallback over every agent, waits past the histogram's range included.
    #[test]
    fn chats_counted_in_pairs_are_the_chats_counted_in_three_tallies() {
        use crate::model::{RuleId, TargetId};
        use proptest::prelude::*;
        use proptest::test_runner::{Config, TestRunner};
        let model = caps_and_fallback();
        assert!(has_everyone_row(&model) && model.rules.len() > 1);
        let outcomes = Outcome::ALL;
        let high = model.end().0;
        let chat = (
            any::<bool>(),
            0..=model.rules.len(),
            0..=model.targets.len(),
            0..outcomes.len(),
            prop_oneof![Just(0u64), 0..100_000_000u64, 0..2 * high],
            0u32..3,
        );
        let mut runner = TestRunner::new(Config::with_cases(64));
        runner
            .run(&proptest::collection::vec(chat, 0..600), |chats| {
                let mut c = Collector::new(&model);
                let mut overall = Tally::new(high);
                let mut teams = vec![Tally::new(high); c.teams.len()];
                let mut rules = vec![Tally::new(high); c.rules.len()];
                c.begin(SimTime::ZERO);
                for (k, &(measured, rule, target, outcome, wait, transfers)) in
                    chats.iter().enumerate()
                {
                    let rec = ChatRecord {
                        id: k as u64,
                        customer: k as u64,
                        measured,
                        rule: (rule < model.rules.len()).then_some(RuleId(rule as u32)),
                        target: (target < model.targets.len()).then_some(TargetId(target as u32)),
                        wait: SimTime(wait),
                        outcome: outcomes[outcome],
                        transfers,
                        ..ChatRecord::blank()
                    };
                    c.record(&rec);
                    if measured {
                        let bin = super::super::bins::bin_of(wait);
                        overall.add(&rec, c.threshold, bin);
                        if let Some(t) = rec.target {
                            teams[c.row_of[t.ix()]].add(&rec, c.threshold, bin);
                        }
                        rules[rule].add(&rec, c.threshold, bin);
                    }
                }
                c.finish(SimTime(1));
                let json = |t: &[Tally]| serde_json::to_string(t).unwrap();
                prop_assert_eq!(json(&[c.overall.clone()]), json(&[overall]));
                prop_assert_eq!(json(&c.teams), json(&teams));
                prop_assert_eq!(json(&c.rules), json(&rules));
                prop_assert!(c.pairs.tallies.is_empty());
                Ok(())
            })
            .unwrap();
    }

    /// Pairs past the number that may turn dense are added to their tallies as they fill up
    /// and start again: the tallies are still the three-tally way's, and no more pairs than
    /// allowed ever hold a dense histogram (found in review: 50 rules over 30 teams held a
    /// dense histogram per pair, 163 MB against 21 MB before pairs).
    #[test]
    fn pairs_that_fill_up_past_the_dense_budget_are_added_early_with_the_same_result() {
        use crate::model::{RuleId, TargetId};
        use rand::{RngExt, SeedableRng};
        let model = caps_and_fallback();
        let high = model.end().0;
        for budget in [0, 1, 3] {
            let mut rng = rand::rngs::Xoshiro256PlusPlus::seed_from_u64(budget as u64);
            let mut c = Collector::new(&model);
            c.pairs.dense_left = budget;
            let mut overall = Tally::new(high);
            let mut teams = vec![Tally::new(high); c.teams.len()];
            let mut rules = vec![Tally::new(high); c.rules.len()];
            c.begin(SimTime::ZERO);
            for k in 0..40_000u64 {
                let rule = rng.random_range(0..=model.rules.len().min(2));
                let target = rng.random_range(0..model.targets.len().min(2));
                let rec = ChatRecord {
                    id: k,
                    customer: k,
                    rule: (rule < model.rules.len()).then_some(RuleId(rule as u32)),
                    target: Some(TargetId(target as u32)),
                    // Waits over many bins, so that pairs fill their sparse tables.
                    wait: SimTime(rng.random_range(0..high)),
                    ..ChatRecord::blank()
                };
                c.record(&rec);
                let bin = super::super::bins::bin_of(rec.wait.0);
                overall.add(&rec, c.threshold, bin);
                teams[c.row_of[target]].add(&rec, c.threshold, bin);
                rules[rule].add(&rec, c.threshold, bin);
                let dense = c
                    .pairs
                    .tallies
                    .iter()
                    .filter(|p| p.waits_are_dense())
                    .count();
                assert!(dense <= budget, "{dense} dense pairs, {budget} allowed");
            }
            assert!(c.pairs.tallies.len() >= 4, "the test needs several pairs");
            c.finish(SimTime(1));
            let json = |t: &[Tally]| serde_json::to_string(t).unwrap();
            assert_eq!(json(&[c.overall.clone()]), json(&[overall]));
            assert_eq!(json(&c.teams), json(&teams));
            assert_eq!(json(&c.rules), json(&rules));
        }
    }

    /// Messages and tickets read from the tallies at the end are what counting them chat by
    /// chat gives, for every outcome, with and without a retry, each kind on or off.
    #[test]
    fn messages_and_tickets_at_the_end_are_the_per_chat_counts() {
        use crate::model::{RuleId, TargetId};
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/support-desk.toml");
        let model = crate::scenario::load(std::path::Path::new(path)).unwrap();
        let outcomes = Outcome::ALL;
        for mask in [0u32, 0b1_0101_0101, 0b10_1010_1010, 0b11_1111_1111] {
            let bit = |i: u32| mask & (1 << i) != 0;
            let mut c = Collector::new(&model);
            c.messages_on = AutoMessages {
                first_chat: bit(0),
                assigned: bit(1),
                after_hours: bit(2),
                missed: bit(3),
                resolved_check: bit(4),
                rating: bit(5),
                redirect: bit(6),
            };
            c.tickets_on.after_hours = bit(7);
            c.tickets_on.missed = bit(8);
            let (mut messages, mut tickets) = ([0u64; 7], [0u64; 2]);
            c.begin(SimTime::ZERO);
            for (k, &outcome) in outcomes.iter().cycle().take(8 * 13).enumerate() {
                let rec = ChatRecord {
                    id: k as u64,
                    customer: k as u64,
                    attempt: 1 + (k % 3 == 0) as u32,
                    retry: k % 5 == 0,
                    measured: k % 7 != 0,
                    rule: (k % 2 == 0).then_some(RuleId(0)),
                    target: (k % 4 != 1).then_some(TargetId(0)),
                    wait: SimTime(k as u64 * 1_000_000),
                    outcome,
                    ..ChatRecord::blank()
                };
                if rec.measured {
                    let on = &c.messages_on;
                    // A customer who gave up still with a bot reached no team, and never
                    // entered a queue.
                    let entered = match outcome {
                        Outcome::Served | Outcome::InService | Outcome::Waiting => true,
                        Outcome::Abandoned => rec.target.is_some(),
                        _ => false,
                    };
                    let sent = [
                        on.first_chat && entered,
                        on.assigned && outcome.answered(),
                        on.after_hours && outcome == Outcome::AfterHours,
                        on.missed && outcome == Outcome::Abandoned,
                        on.resolved_check && outcome == Outcome::Served,
                        on.rating && outcome == Outcome::Served,
                        on.redirect && outcome == Outcome::Deflected,
                    ];
                    for (n, sent) in messages.iter_mut().zip(sent) {
                        *n += sent as u64;
                    }
                    if rec.leaves_ticket(&c.tickets_on) {
                        tickets[(outcome == Outcome::Abandoned) as usize] += 1;
                    }
                }
                c.record(&rec);
            }
            c.finish(SimTime(1));
            assert_eq!(
                (c.messages, c.tickets),
                (messages, tickets),
                "mask {mask:b}"
            );
            assert!(messages.iter().any(|&n| n > 0) || mask == 0);
        }
    }
}
