//! Streaming statistics: fold chat records into counts, running sums and histograms.
//!
//! A [`Collector`] is the [`Recorder`] of one replication; its memory does not grow with the
//! chats simulated (wait percentiles come from an HdrHistogram over integer ticks). At the end
//! it yields one [`RepFigures`]; [`aggregate`] turns the figures of all replications into their
//! means and 95% confidence half-widths, field by field.

use hdrhistogram::Histogram;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::model::{AutoMessages, Model, SimTime, TICKS_PER_SEC};
use crate::sim::{ChatRecord, Outcome, Recorder, RunResult};

/// Wait times of answered chats, in seconds. `None` where no chat was answered.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WaitFigures {
    /// Mean.
    pub mean: Option<f64>,
    /// Median.
    pub p50: Option<f64>,
    /// 90th percentile.
    pub p90: Option<f64>,
    /// 95th percentile.
    pub p95: Option<f64>,
    /// 99th percentile.
    pub p99: Option<f64>,
    /// Longest.
    pub max: Option<f64>,
}

/// Figures for a set of chats (all, or one team's).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Figures {
    /// Chats that arrived after the warm-up.
    pub offered: f64,
    /// Chats an agent answered (including those still in service at the end).
    pub answered: f64,
    /// Chats whose customer left before an answer.
    pub abandoned: f64,
    /// Chats turned away because `max_waiting` chats were already waiting.
    pub blocked: f64,
    /// Chats still waiting at the end.
    pub waiting_at_end: f64,
    /// Answered chats still in service at the end.
    pub in_service_at_end: f64,
    /// Chats a rule redirected to another channel (not lost: see `channels`).
    pub deflected: f64,
    /// Chats that got the after-hours reply and a ticket.
    pub after_hours: f64,
    /// Chats a bot resolved before any agent.
    pub bot_resolved: f64,
    /// Answered chats that a team passed on to another after handling them.
    pub escalated: f64,
    /// `abandoned / offered`.
    pub abandon_rate: Option<f64>,
    /// Chats answered within the threshold / (answered + abandoned).
    pub service_level: Option<f64>,
    /// Waits of answered chats.
    pub wait: WaitFigures,
}

/// A team's figures (a team is where a chat was answered or last waited).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TeamFigures {
    /// Team name; `(fallback)` for chats that matched no rule.
    pub name: String,
    /// The figures.
    #[serde(flatten)]
    pub figures: Figures,
    /// Jain's index over the occupancy of the team's agents (1 = evenly loaded).
    pub jain_occupancy: Option<f64>,
}

/// A rule's figures: the chats it matched.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RuleFigures {
    /// Rule name; `(no rule)` for chats that matched none.
    pub name: String,
    /// Chats the rule matched (its `offered`).
    pub matched: f64,
    /// The figures of those chats.
    #[serde(flatten)]
    pub figures: Figures,
}

/// Chats sent to one channel by redirects.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ChannelFigures {
    /// The channel, as rules name it (`email`).
    pub channel: String,
    /// Chats deflected to it.
    pub deflected: f64,
}

/// Automated messages sent, by kind (a kind switched off in `[auto_messages]` stays 0).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MessageFigures {
    /// Greetings to chats that entered the queue or reached an agent.
    pub first_chat: f64,
    /// "An agent took your chat".
    pub assigned: f64,
    /// After-hours replies.
    pub after_hours: f64,
    /// Messages to customers who left before an answer.
    pub missed: f64,
    /// "Was your question resolved?" after a served chat.
    pub resolved_check: f64,
    /// Rating requests after a served chat.
    pub rating: f64,
    /// Auto-replies of redirects.
    pub redirect: f64,
}

/// Tickets created, by kind.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TicketFigures {
    /// One per after-hours chat.
    pub after_hours: f64,
    /// One per missed chat, when the `missed` message is on.
    pub missed: f64,
}

/// Chats left unanswered longer than `report.red_after`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RedFlagFigures {
    /// The threshold, seconds; `null` when `red_after` is not set (and the counts are 0).
    pub after: Option<f64>,
    /// Chats flagged.
    pub flagged: f64,
    /// Most flagged chats waiting at the same moment.
    pub peak: f64,
}

/// Chats that went through a bot (a stream's or a rule's) before routing.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BotFigures {
    /// Chats that went through a bot.
    pub chats: f64,
    /// Of those, resolved by the bot.
    pub resolved: f64,
    /// Mean time with bots, seconds (apart from queue wait); `null` with no bot.
    pub mean_time: Option<f64>,
}

/// Escalations: chats a team passed on after handling them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EscalationFigures {
    /// Chats escalated at least once.
    pub escalated: f64,
    /// Escalations in all (a chat may be passed on more than once).
    pub transfers: f64,
    /// Wait in the last escalation queue, seconds, of escalated chats that were answered there.
    pub second_wait: WaitFigures,
    /// Arrival to the end of the last handling, seconds, of escalated chats served to the end.
    pub time_to_resolution: WaitFigures,
}

/// How evenly load spreads over agents.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FairnessFigures {
    /// Jain's index over agents' occupancy: 1 when all are equally loaded, 1/n when one agent
    /// carries everything. `null` when no agent was on shift.
    pub jain_occupancy: Option<f64>,
}

/// One agent's load over the measured window.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AgentFigures {
    /// Agent name.
    pub name: String,
    /// Chats answered (that arrived after the warm-up).
    pub handled: f64,
    /// Chat-slot seconds in use / chat-slot seconds on shift.
    pub occupancy: Option<f64>,
    /// Mean chats held while on shift.
    pub mean_concurrency: Option<f64>,
    /// Most chats held at once.
    pub peak_concurrency: f64,
    /// Hours on shift.
    pub on_shift_hours: f64,
    /// `cost` × hours on shift.
    pub staffing_cost: f64,
}

/// Everything measured in one replication.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RepFigures {
    /// All chats.
    pub overall: Figures,
    /// Per team, in file order, then the fallback if the scenario has one.
    pub teams: Vec<TeamFigures>,
    /// Per rule, in file order, then `(no rule)`.
    pub rules: Vec<RuleFigures>,
    /// Per agent.
    pub agents: Vec<AgentFigures>,
    /// Deflections per redirect channel.
    pub channels: Vec<ChannelFigures>,
    /// Automated messages sent.
    pub messages: MessageFigures,
    /// Tickets created.
    pub tickets: TicketFigures,
    /// Red flags.
    pub red_flags: RedFlagFigures,
    /// Bots.
    pub bot: BotFigures,
    /// Escalations.
    pub escalation: EscalationFigures,
    /// Load spread over agents.
    pub fairness: FairnessFigures,
}

/// Streaming tally of one set of chats.
#[derive(Debug, Clone)]
struct Tally {
    offered: u64,
    answered: u64,
    abandoned: u64,
    blocked: u64,
    waiting: u64,
    in_service: u64,
    deflected: u64,
    after_hours: u64,
    bot_resolved: u64,
    escalated: u64,
    within: u64,
    waits: Durations,
}

/// A streaming distribution of durations: count, exact sum and max, and a histogram for
/// percentiles. Out-of-range values are counted, not clamped.
#[derive(Debug, Clone)]
struct Durations {
    n: u64,
    sum: u128,
    max: u64,
    hist: Histogram<u64>,
    out_of_range: u64,
}

impl Durations {
    fn new(high: u64) -> Durations {
        // One-tick (1 us) floor, 3 significant digits: 0.1% resolution at any wait, and a zero
        // wait reads back as exactly zero (a coarser floor would report it as half a bucket).
        let hist = Histogram::new_with_bounds(1, high.max(2), 3).expect("valid histogram bounds");
        Durations {
            n: 0,
            sum: 0,
            max: 0,
            hist,
            out_of_range: 0,
        }
    }

    #[inline]
    fn add(&mut self, d: SimTime) {
        self.n += 1;
        self.sum += d.0 as u128;
        self.max = self.max.max(d.0);
        if self.hist.record(d.0).is_err() {
            self.out_of_range += 1;
        }
    }

    fn figures(&self) -> WaitFigures {
        let secs = |t: u64| t as f64 / TICKS_PER_SEC as f64;
        let some = self.n > 0;
        let q = |p: f64| some.then(|| secs(self.hist.value_at_quantile(p)));
        WaitFigures {
            mean: some.then(|| self.sum as f64 / self.n as f64 / TICKS_PER_SEC as f64),
            p50: q(0.50),
            p90: q(0.90),
            p95: q(0.95),
            p99: q(0.99),
            max: some.then(|| secs(self.max)),
        }
    }
}

impl Tally {
    fn new(high: u64) -> Tally {
        Tally {
            offered: 0,
            answered: 0,
            abandoned: 0,
            blocked: 0,
            waiting: 0,
            in_service: 0,
            deflected: 0,
            after_hours: 0,
            bot_resolved: 0,
            escalated: 0,
            within: 0,
            waits: Durations::new(high),
        }
    }

    #[inline]
    fn add(&mut self, rec: &ChatRecord<'_>, threshold: SimTime) {
        self.offered += 1;
        self.escalated += (rec.transfers > 0) as u64;
        match rec.outcome {
            Outcome::Served | Outcome::InService => {
                self.answered += 1;
                self.in_service += (rec.outcome == Outcome::InService) as u64;
                self.within += (rec.wait <= threshold) as u64;
                self.waits.add(rec.wait);
            }
            Outcome::Abandoned => self.abandoned += 1,
            Outcome::Waiting => self.waiting += 1,
            Outcome::Blocked => self.blocked += 1,
            Outcome::Deflected => self.deflected += 1,
            Outcome::AfterHours => self.after_hours += 1,
            Outcome::BotResolved => self.bot_resolved += 1,
        }
    }

    fn figures(&self) -> Figures {
        let ratio = |a: u64, b: u64| (b > 0).then(|| a as f64 / b as f64);
        Figures {
            offered: self.offered as f64,
            answered: self.answered as f64,
            abandoned: self.abandoned as f64,
            blocked: self.blocked as f64,
            waiting_at_end: self.waiting as f64,
            in_service_at_end: self.in_service as f64,
            deflected: self.deflected as f64,
            after_hours: self.after_hours as f64,
            bot_resolved: self.bot_resolved as f64,
            escalated: self.escalated as f64,
            abandon_rate: ratio(self.abandoned, self.offered),
            service_level: ratio(self.within, self.answered + self.abandoned),
            wait: self.waits.figures(),
        }
    }
}

/// The [`Recorder`] that measures one replication.
#[derive(Debug, Clone)]
pub struct Collector {
    threshold: SimTime,
    messages_on: AutoMessages,
    red_after: Option<SimTime>,
    overall: Tally,
    targets: Vec<Tally>,
    /// Per rule, then chats that matched none.
    rules: Vec<Tally>,
    transfers: u64,
    second_wait: Durations,
    resolution: Durations,
    channels: Vec<u64>,
    messages: [u64; 7],
    tickets: [u64; 2],
    flagged: u64,
    /// Team row of each target (skill targets fold into their team; the fallback over every
    /// agent is the row after the teams).
    row_of: Vec<usize>,
    bot_chats: u64,
    bot_time: u128,
}

impl Collector {
    /// A collector for a model's teams, rules and agents.
    pub fn new(model: &Model) -> Collector {
        let high = model.end().0;
        Collector {
            threshold: model.service_level,
            messages_on: model.messages,
            red_after: model.red_after,
            overall: Tally::new(high),
            targets: vec![Tally::new(high); model.teams.len() + has_everyone_row(model) as usize],
            rules: vec![Tally::new(high); model.rules.len() + 1],
            transfers: 0,
            second_wait: Durations::new(high),
            resolution: Durations::new(high),
            channels: vec![0; model.channels.len()],
            messages: [0; 7],
            tickets: [0; 2],
            flagged: 0,
            row_of: model
                .targets
                .iter()
                .map(|t| t.team.map_or(model.teams.len(), |team| team.ix()))
                .collect(),
            bot_chats: 0,
            bot_time: 0,
        }
    }

    /// Waits that fell outside the histogram's range (none are expected: a wait cannot exceed
    /// the run). Counted rather than clamped, so a bug here cannot hide.
    pub fn out_of_range(&self) -> u64 {
        self.overall.waits.out_of_range
    }

    /// The replication's figures, given the engine's agent time accounting.
    pub fn finish(&self, model: &Model, run: &RunResult) -> RepFigures {
        let rule_names = model
            .rules
            .iter()
            .map(|r| r.name.as_str())
            .chain(["(no rule)"]);
        let rules = rule_names
            .zip(&self.rules)
            .map(|(name, tally)| RuleFigures {
                name: name.to_string(),
                matched: tally.offered as f64,
                figures: tally.figures(),
            })
            .collect();
        let agents: Vec<AgentFigures> = model
            .agents
            .iter()
            .zip(&run.agents)
            .map(|(a, times)| {
                let on_shift_secs = times.on_shift as f64 / TICKS_PER_SEC as f64;
                let busy = times.busy as f64 / TICKS_PER_SEC as f64;
                let hours = on_shift_secs / 3_600.0;
                AgentFigures {
                    name: a.name.clone(),
                    handled: times.handled as f64,
                    occupancy: (on_shift_secs > 0.0)
                        .then(|| busy / (on_shift_secs * a.max_chats as f64)),
                    mean_concurrency: (on_shift_secs > 0.0).then(|| busy / on_shift_secs),
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
            .zip(&self.targets)
            .map(|((name, members), tally)| TeamFigures {
                name: name.to_string(),
                figures: tally.figures(),
                jain_occupancy: jain_index(members.iter().filter_map(|a| agents[a.ix()].occupancy)),
            })
            .collect();
        let m = &self.messages;
        RepFigures {
            overall: self.overall.figures(),
            teams,
            rules,
            agents,
            channels: model
                .channels
                .iter()
                .zip(&self.channels)
                .map(|(c, &n)| ChannelFigures {
                    channel: c.clone(),
                    deflected: n as f64,
                })
                .collect(),
            messages: MessageFigures {
                first_chat: m[0] as f64,
                assigned: m[1] as f64,
                after_hours: m[2] as f64,
                missed: m[3] as f64,
                resolved_check: m[4] as f64,
                rating: m[5] as f64,
                redirect: m[6] as f64,
            },
            tickets: TicketFigures {
                after_hours: self.tickets[0] as f64,
                missed: self.tickets[1] as f64,
            },
            red_flags: RedFlagFigures {
                after: self.red_after.map(SimTime::as_secs_f64),
                flagged: self.flagged as f64,
                peak: run.red_flag_peak as f64,
            },
            fairness: FairnessFigures {
                jain_occupancy: jain,
            },
            escalation: EscalationFigures {
                escalated: self.overall.escalated as f64,
                transfers: self.transfers as f64,
                second_wait: self.second_wait.figures(),
                time_to_resolution: self.resolution.figures(),
            },
            bot: BotFigures {
                chats: self.bot_chats as f64,
                resolved: self.rules.iter().map(|t| t.bot_resolved).sum::<u64>() as f64,
                mean_time: (self.bot_chats > 0)
                    .then(|| self.bot_time as f64 / self.bot_chats as f64 / TICKS_PER_SEC as f64),
            },
        }
    }
}

impl Recorder for Collector {
    #[inline]
    fn record(&mut self, rec: &ChatRecord<'_>) {
        if !rec.measured {
            return;
        }
        self.overall.add(rec, self.threshold);
        if let Some(t) = rec.target {
            self.targets[self.row_of[t.ix()]].add(rec, self.threshold);
        }
        if let Some(b) = rec.bot_time {
            self.bot_chats += 1;
            self.bot_time += b.0 as u128;
        }
        let rule = rec.rule.map_or(self.rules.len() - 1, |r| r.ix());
        self.rules[rule].add(rec, self.threshold);
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
        let on = &self.messages_on;
        let entered = matches!(
            rec.outcome,
            Outcome::Served | Outcome::InService | Outcome::Abandoned | Outcome::Waiting
        );
        let sent = [
            on.first_chat && entered,
            on.assigned && rec.outcome.answered(),
            on.after_hours && rec.outcome == Outcome::AfterHours,
            on.missed && rec.outcome == Outcome::Abandoned,
            on.resolved_check && rec.outcome == Outcome::Served,
            on.rating && rec.outcome == Outcome::Served,
            on.redirect && rec.outcome == Outcome::Deflected,
        ];
        for (count, sent) in self.messages.iter_mut().zip(sent) {
            *count += sent as u64;
        }
        self.tickets[0] += (rec.outcome == Outcome::AfterHours) as u64;
        self.tickets[1] += (on.missed && rec.outcome == Outcome::Abandoned) as u64;
    }
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

/// Two-sided 95% quantile of Student's t with `df` degrees of freedom.
pub fn t95(df: usize) -> f64 {
    const TABLE: [f64; 30] = [
        12.7062, 4.3027, 3.1824, 2.7764, 2.5706, 2.4469, 2.3646, 2.3060, 2.2622, 2.2281, 2.2010,
        2.1788, 2.1604, 2.1448, 2.1314, 2.1199, 2.1098, 2.1009, 2.0930, 2.0860, 2.0796, 2.0739,
        2.0687, 2.0639, 2.0595, 2.0555, 2.0518, 2.0484, 2.0452, 2.0423,
    ];
    match df {
        0 => f64::NAN,
        1..=30 => TABLE[df - 1],
        _ => {
            // Cornish-Fisher expansion around the normal quantile; error < 1e-4 past 30.
            let (z, v) = (1.959_963_984_540_054_f64, df as f64);
            z + (z.powi(3) + z) / (4.0 * v)
                + (5.0 * z.powi(5) + 16.0 * z.powi(3) + 3.0 * z) / (96.0 * v * v)
        }
    }
}

/// Means over replications, field by field, and (with two or more) 95% confidence half-widths.
///
/// Works on the serialized shape, so every numeric field of `T` is aggregated and the `ci95`
/// object has exactly the shape of the means. A field that is `null` in some replications is
/// averaged over the others.
pub fn aggregate<T: Serialize + DeserializeOwned>(reps: &[T]) -> (T, Option<T>) {
    use serde_json::Value;
    fn walk(vals: &[&Value]) -> (Value, Value) {
        match vals[0] {
            Value::Object(first) => {
                let (mut m, mut c) = (serde_json::Map::new(), serde_json::Map::new());
                for k in first.keys() {
                    let sub: Vec<&Value> = vals.iter().map(|v| &v[k.as_str()]).collect();
                    let (a, b) = walk(&sub);
                    m.insert(k.clone(), a);
                    c.insert(k.clone(), b);
                }
                (Value::Object(m), Value::Object(c))
            }
            Value::Array(first) => {
                let (mut m, mut c) = (Vec::new(), Vec::new());
                for i in 0..first.len() {
                    let sub: Vec<&Value> = vals.iter().map(|v| &v[i]).collect();
                    let (a, b) = walk(&sub);
                    m.push(a);
                    c.push(b);
                }
                (Value::Array(m), Value::Array(c))
            }
            Value::Number(_) | Value::Null => {
                let xs: Vec<f64> = vals.iter().filter_map(|v| v.as_f64()).collect();
                if xs.is_empty() {
                    return (Value::Null, Value::Null);
                }
                let n = xs.len() as f64;
                let mean = xs.iter().sum::<f64>() / n;
                let half = if xs.len() > 1 {
                    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
                    t95(xs.len() - 1) * (var / n).sqrt()
                } else {
                    0.0
                };
                (serde_json::json!(mean), serde_json::json!(half))
            }
            other => (other.clone(), other.clone()),
        }
    }
    let values: Vec<Value> = reps
        .iter()
        .map(|r| serde_json::to_value(r).expect("figures serialize"))
        .collect();
    let refs: Vec<&Value> = values.iter().collect();
    let (mean, ci) = walk(&refs);
    let mean = serde_json::from_value(mean).expect("aggregate has the figures' shape");
    let ci =
        (reps.len() > 1).then(|| serde_json::from_value(ci).expect("ci95 has the figures' shape"));
    (mean, ci)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tally_percentiles_are_exact_at_zero_and_within_a_tenth_of_a_percent() {
        use crate::model::{TICKS_PER_SEC, TrafficId};
        let mut t = Tally::new(3_600 * TICKS_PER_SEC);
        let waits = [
            0u64,
            0,
            0,
            0,
            0,
            0,
            2_500_000,
            90_000_000,
            600_000_000,
            1_234_567,
        ];
        for w in waits {
            let rec = ChatRecord {
                replication: 0,
                id: 0,
                measured: true,
                traffic: TrafficId(0),
                attrs: &[],
                arrival: SimTime::ZERO,
                rule: None,
                target: None,
                agent: None,
                wait: SimTime(w),
                handle: Some(SimTime(1)),
                outcome: Outcome::Served,
                channel: None,
                owner: None,
                checks: 0,
                bot_time: None,
                transfers: 0,
                second_wait: None,
                resolution: None,
            };
            t.add(&rec, SimTime(20 * TICKS_PER_SEC));
        }
        let f = t.figures();
        assert_eq!(f.wait.p50, Some(0.0));
        assert_eq!(f.wait.max, Some(600.0));
        let p90 = f.wait.p90.unwrap();
        assert!((p90 - 90.0).abs() <= 0.001 * 90.0, "{p90}");
        assert_eq!(f.service_level, Some(0.8));
        assert_eq!(f.offered, 10.0);
    }

    #[test]
    fn jain_index_is_one_when_even_and_one_over_n_when_one_carries_all() {
        assert_eq!(jain_index([0.5, 0.5, 0.5].into_iter()), Some(1.0));
        assert!((jain_index([0.9, 0.0, 0.0].into_iter()).unwrap() - 1.0 / 3.0).abs() < 1e-12);
        assert_eq!(jain_index([0.0, 0.0].into_iter()), None);
    }

    #[test]
    fn t_quantiles_match_tables_and_approach_the_normal() {
        assert_eq!(t95(1), 12.7062);
        assert!((t95(40) - 2.0211).abs() < 1e-3);
        assert!((t95(120) - 1.9799).abs() < 1e-3);
        assert!((t95(100_000) - 1.96).abs() < 1e-3);
    }

    #[test]
    fn aggregate_gives_means_and_student_half_widths() {
        let mk = |offered: f64, mean: Option<f64>| RepFigures {
            overall: Figures {
                offered,
                wait: WaitFigures {
                    mean,
                    ..Default::default()
                },
                ..Default::default()
            },
            teams: vec![TeamFigures {
                name: "t".into(),
                figures: Figures {
                    offered,
                    ..Default::default()
                },
                jain_occupancy: None,
            }],
            ..Default::default()
        };
        let (m, ci) = aggregate(&[mk(10.0, Some(1.0)), mk(14.0, None), mk(12.0, Some(3.0))]);
        let ci = ci.unwrap();
        assert_eq!(m.overall.offered, 12.0);
        assert_eq!(m.teams[0].name, "t");
        // sd = 2, n = 3: half-width = t(2) * 2 / sqrt(3).
        assert!((ci.overall.offered - 4.3027 * 2.0 / 3f64.sqrt()).abs() < 1e-9);
        // Null in one replication: averaged over the others.
        assert_eq!(m.overall.wait.mean, Some(2.0));
        assert_eq!(m.overall.wait.p50, None);
        let (_, none) = aggregate(&[mk(1.0, None)]);
        assert!(none.is_none());
    }
}
