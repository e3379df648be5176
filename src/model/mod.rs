//! The compiled, validated scenario: names resolved to dense ids, durations to integer ticks.
//!
//! Everything below this layer (routing, sim, stats) works on a [`Model`] and never sees TOML.
//! A model is immutable once built, so replications can share it across threads.
//!
//! Files: `time` (ticks, windows, profiles, calendars), `roster` (an agent's week), `dist`
//! (durations), `desk` (teams, agents, targets, traffic), `rules` (conditions, actions, routes),
//! `replay` (what a replayed stream's log was found to hold).

mod desk;
mod dist;
mod replay;
mod roster;
mod rules;
mod time;

pub use desk::*;
pub use dist::*;
pub use replay::*;
pub use roster::*;
pub use rules::*;
pub use time::*;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(pub u32);
        impl $name {
            /// The id as an index into the model's vector.
            #[inline]
            pub fn ix(self) -> usize {
                self.0 as usize
            }
        }
    };
}

id_type!(
    /// Index of an agent in [`Model::agents`].
    AgentId
);
id_type!(
    /// Index of a team in [`Model::teams`].
    TeamId
);
id_type!(
    /// Index of a routing target in [`Model::targets`].
    TargetId
);
id_type!(
    /// Index of a traffic stream in [`Model::traffic`].
    TrafficId
);
id_type!(
    /// Index of a rule in [`Model::rules`].
    RuleId
);
id_type!(
    /// Index of an attribute in [`Model::attributes`].
    AttrId
);

/// Index of a value within one attribute's [`Attribute::values`].
pub type ValueId = u32;
/// A chat's value for an attribute its traffic stream does not set.
pub const NO_VALUE: ValueId = u32::MAX;

/// A compiled scenario.
#[derive(Debug, Clone)]
pub struct Model {
    /// Name for reports (the scenario file name).
    pub name: String,
    /// Base seed.
    pub seed: u64,
    /// Independent replications.
    pub replications: u32,
    /// Warm-up before measuring.
    pub warmup: SimTime,
    /// Measured time after the warm-up.
    pub duration: SimTime,
    /// Ticks since Monday 00:00 at the end of the warm-up.
    pub start: u64,
    /// The clock stands still at `start` (`simulation.stationary`): rates, shifts, calendars
    /// and time conditions stay as they are at that moment for the whole run.
    pub stationary: bool,
    /// A load that rises and falls inside the run (`simulation.ramp`).
    pub ramp: Option<Ramp>,
    /// Service-level threshold.
    pub service_level: SimTime,
    /// Handle-time factor by chats held (index 0: one chat); empty: no slowdown.
    pub slowdown: Vec<f64>,
    /// Most chats waiting at once; an arrival that would wait beyond it is blocked.
    pub max_waiting: usize,
    /// Attributes.
    pub attributes: Vec<Attribute>,
    /// Teams.
    pub teams: Vec<Team>,
    /// Agents.
    pub agents: Vec<Agent>,
    /// Routing targets.
    pub targets: Vec<Target>,
    /// Traffic streams.
    pub traffic: Vec<Traffic>,
    /// Rules, in priority order.
    pub rules: Vec<Rule>,
    /// `[fallback]`: where chats go that match no rule or run out of route; `None` when the file
    /// has none (such chats get the after-hours action).
    pub fallback: Option<Fallback>,
    /// Skill names, such as `de`.
    pub skills: Vec<String>,
    /// Redirect channels named by rules, such as `email`.
    pub channels: Vec<String>,
    /// Calendars, such as `business_hours`.
    pub calendars: Vec<Calendar>,
    /// Automated messages switched on.
    pub messages: AutoMessages,
    /// Tickets switched on.
    pub tickets: Tickets,
    /// Chats unanswered longer than this are red-flagged.
    pub red_after: Option<SimTime>,
    /// Things worth a user's attention that do not stop the run.
    pub warnings: Vec<String>,
    /// `[[slo]]`: thresholds the run's report must meet, in file order.
    pub slos: Vec<Slo>,
    /// The scenario's hash, in hex (empty for a model built in code): FNV-1a over the file's
    /// text, then each data file it read ([`Model::inputs`]; see
    /// [`scenario_hash`](crate::scenario::scenario_hash)). What a report names its scenario
    /// by, so that a baseline from another desk is noticed, and what shards are merged by, so
    /// that parts of runs on other data (a roster changed between two shards) are not.
    pub source_hash: String,
    /// Each data file the scenario read (forecasts, rosters, durations, replayed logs), in the
    /// order read: its path as the scenario writes it, and the FNV-1a hash of its bytes.
    pub inputs: Vec<(String, String)>,
}

/// A load that rises and falls inside one run, as a load test's ramp: the traffic's multiplier
/// is `from` through the warm-up, rises from the end of the warm-up by `per_hour` each hour to
/// `to`, falls back at the same rate to `from`, and stays there. It changes once a minute, each
/// minute taking the ramp's value at its middle; it multiplies the stream's rate (profile,
/// forecast and `scale` included) of every stream, or of one.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ramp {
    /// Multiplier at the start and at the end.
    pub from: f64,
    /// Multiplier at the peak.
    pub to: f64,
    /// Change of the multiplier per hour, up and then down.
    pub per_hour: f64,
    /// The one stream it applies to; `None`: every stream.
    pub stream: Option<TrafficId>,
}

impl Ramp {
    /// How often the multiplier changes.
    pub const STEP: SimTime = SimTime(60 * TICKS_PER_SEC);

    /// Seconds from the end of the warm-up to the peak.
    pub fn rise_secs(&self) -> f64 {
        (self.to - self.from) / self.per_hour * 3_600.0
    }

    /// The ramp's exact value `secs` seconds after the end of the warm-up (a tent).
    pub fn value(&self, secs: f64) -> f64 {
        let rise = self.rise_secs();
        if secs <= 0.0 || secs >= 2.0 * rise {
            self.from
        } else if secs <= rise {
            self.from + self.per_hour * secs / 3_600.0
        } else {
            self.to - self.per_hour * (secs - rise) / 3_600.0
        }
    }

    /// The multiplier in force at `t` for stream `s` (given the warm-up's length), and the ticks
    /// until it next changes.
    pub fn segment(&self, t: SimTime, warmup: SimTime, s: TrafficId) -> (f64, u64) {
        const FOREVER: u64 = u64::MAX / 4;
        if self.stream.is_some_and(|only| only != s) {
            return (1.0, FOREVER);
        }
        if t < warmup {
            return (self.from, warmup.0 - t.0);
        }
        let since = t.0 - warmup.0;
        let end = (2.0 * self.rise_secs() * TICKS_PER_SEC as f64).ceil() as u64;
        if since >= end {
            return (self.from, FOREVER);
        }
        let k = since / Self::STEP.0;
        let mid = (k as f64 + 0.5) * Self::STEP.as_secs_f64();
        (self.value(mid), (k + 1) * Self::STEP.0 - since)
    }
}

/// A threshold's limit (`[[slo]] min`/`max`, `--assert`): a number in the units of the JSON
/// report (seconds, shares from 0 to 1, counts), a duration such as `"60s"`, or a percentage
/// such as `"80%"`. Which forms fit is the figure's business; the gate checks it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Limit {
    /// A plain number, in the JSON's units.
    Number(f64),
    /// A duration, in seconds.
    Secs(f64),
    /// A percentage, as a fraction (`"80%"` is 0.8).
    Percent(f64),
}

impl Limit {
    /// The limit in the JSON's units.
    pub fn value(self) -> f64 {
        match self {
            Limit::Number(v) | Limit::Secs(v) | Limit::Percent(v) => v,
        }
    }
}

/// Which side of its limit a threshold keeps a figure on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    /// `min`, `>=`.
    AtLeast,
    /// `max`, `<=`.
    AtMost,
}

/// One threshold of `[[slo]]` (an entry with both `min` and `max` gives two).
#[derive(Debug, Clone, PartialEq)]
pub struct Slo {
    /// The figure, as a path into the JSON report: `overall.wait.p95`,
    /// `teams.support.service_level`. Checked against the report's shape by the gate.
    pub metric: String,
    /// Which side of the limit.
    pub bound: Bound,
    /// The limit as written.
    pub limit: Limit,
    /// Where: `slo[0].max`.
    pub key: String,
    /// 1-based line of the entry's `metric`.
    pub line: Option<usize>,
}

impl Model {
    /// End of the run (warm-up plus duration).
    pub fn end(&self) -> SimTime {
        self.warmup.plus(self.duration)
    }

    /// Ticks since Monday 00:00 at simulated time `t` (always `start` when stationary).
    pub fn week_time(&self, t: SimTime) -> u64 {
        if self.stationary {
            return self.start;
        }
        self.clock_time(t)
    }

    /// Ticks since Monday 00:00 at simulated time `t` on the clock as it would run, `start`
    /// at the end of the warm-up, even when the run is stationary: what reports name their
    /// intervals by, so that a stationary run's read as the same run without `stationary`.
    pub fn clock_time(&self, t: SimTime) -> u64 {
        (self.start + WEEK - self.warmup.0 % WEEK + t.0) % WEEK
    }

    /// Time of day (ticks since midnight) at simulated time `t`.
    pub fn time_of_day(&self, t: SimTime) -> u64 {
        self.week_time(t) % DAY
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: u64 = 3_600 * TICKS_PER_SEC;

    #[test]
    fn week_time_counts_back_from_the_end_of_warmup() {
        let mut m = crate::scenario::parse_str("t.toml", crate::scenario::tests::MINIMAL).unwrap();
        m.start = DAY + 8 * H; // tue 08:00
        m.warmup = SimTime(H / 2);
        assert_eq!(m.week_time(SimTime(H / 2)), DAY + 8 * H);
        assert_eq!(m.time_of_day(SimTime::ZERO), 7 * H + H / 2);
        m.start = 0; // mon 00:00: the warm-up ran on Sunday night
        assert_eq!(m.week_time(SimTime::ZERO), WEEK - H / 2);
    }

    #[test]
    fn a_stationary_clock_stands_still_at_start() {
        let mut m = crate::scenario::parse_str("t.toml", crate::scenario::tests::MINIMAL).unwrap();
        (m.start, m.warmup, m.stationary) = (DAY + 8 * H, SimTime(H), true);
        for t in [0, H, 30 * H] {
            assert_eq!(m.week_time(SimTime(t)), DAY + 8 * H);
        }
    }
}
