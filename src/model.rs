//! The compiled, validated scenario: names resolved to dense ids, durations to integer ticks.
//!
//! Everything below this layer (routing, sim, stats) works on a [`Model`] and never sees TOML.
//! A model is immutable once built, so replications can share it across threads.

use rand::Rng;
use rand::distr::{Distribution, Uniform};
use rand_distr::{Exp, Gamma, LogNormal};

/// Simulated time in integer ticks of one microsecond since the start of the run (the start of
/// the warm-up). Integer time makes event order exact and runs reproducible.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct SimTime(pub u64);

/// Ticks per simulated second.
pub const TICKS_PER_SEC: u64 = 1_000_000;
/// Ticks per day.
pub const DAY: u64 = 86_400 * TICKS_PER_SEC;
/// Ticks per week.
pub const WEEK: u64 = 7 * DAY;

impl SimTime {
    /// Zero.
    pub const ZERO: SimTime = SimTime(0);

    /// From seconds, rounded to the nearest tick; negative values become zero.
    pub fn from_secs_f64(secs: f64) -> SimTime {
        SimTime((secs * TICKS_PER_SEC as f64).round().max(0.0) as u64)
    }

    /// As seconds.
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / TICKS_PER_SEC as f64
    }

    /// `self + d`, saturating.
    pub fn plus(self, d: SimTime) -> SimTime {
        SimTime(self.0.saturating_add(d.0))
    }

    /// `self - earlier`, or zero if `earlier` is later.
    pub fn since(self, earlier: SimTime) -> SimTime {
        SimTime(self.0.saturating_sub(earlier.0))
    }
}

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

/// How a team's routing target chooses among its available agents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    /// Fewest chats held; ties go to the agent whose load changed longest ago, then lowest id.
    LeastBusy,
    /// The agent whose last assignment or release is oldest.
    LongestIdle,
    /// The next available agent after the one last chosen, in team order.
    RoundRobin,
    /// Uniformly at random among available agents.
    Random,
    /// Highest `level` first; ties as `least_busy`.
    MostSkilled,
    /// Lowest `cost` first; ties as `least_busy`.
    Cheapest,
}

impl Strategy {
    /// The name used in scenario files.
    pub fn name(self) -> &'static str {
        match self {
            Strategy::LeastBusy => "least_busy",
            Strategy::LongestIdle => "longest_idle",
            Strategy::RoundRobin => "round_robin",
            Strategy::Random => "random",
            Strategy::MostSkilled => "most_skilled",
            Strategy::Cheapest => "cheapest",
        }
    }
}

/// A probability distribution of durations.
#[derive(Debug, Clone)]
pub enum Dist {
    /// Always the same value (ticks).
    Constant(SimTime),
    /// Exponential with the given rate (per second).
    Exponential(Exp<f64>),
    /// Lognormal over seconds.
    LogNormal(LogNormal<f64>),
    /// Gamma over seconds.
    Gamma(Gamma<f64>),
    /// Uniform over seconds.
    Uniform(Uniform<f64>),
    /// Resampled uniformly from observed durations (ticks).
    Empirical(Vec<SimTime>),
}

impl Dist {
    /// Draws one duration.
    #[inline]
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> SimTime {
        match self {
            Dist::Constant(t) => *t,
            Dist::Exponential(d) => SimTime::from_secs_f64(d.sample(rng)),
            Dist::LogNormal(d) => SimTime::from_secs_f64(d.sample(rng)),
            Dist::Gamma(d) => SimTime::from_secs_f64(d.sample(rng)),
            Dist::Uniform(d) => SimTime::from_secs_f64(d.sample(rng)),
            Dist::Empirical(v) => v[rand::RngExt::random_range(rng, 0..v.len())],
        }
    }
}

/// A distribution together with its mean, for reports and load estimates.
#[derive(Debug, Clone)]
pub struct Duration {
    /// How to draw.
    pub dist: Dist,
    /// The distribution's mean in seconds.
    pub mean_secs: f64,
}

/// A daily shift: on from `start` to `end` (ticks since midnight); `end <= start` wraps midnight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shift {
    /// Start, ticks since midnight.
    pub start: u64,
    /// End, ticks since midnight.
    pub end: u64,
}

impl Shift {
    /// Whether the shift covers this time of day (ticks since midnight).
    pub fn covers(&self, tod: u64) -> bool {
        if self.start < self.end {
            tod >= self.start && tod < self.end
        } else {
            tod >= self.start || tod < self.end
        }
    }

    /// Ticks from time of day `tod` to the next start or end of the shift (always > 0).
    pub fn until_next_change(&self, tod: u64) -> u64 {
        let to = |edge: u64| {
            if edge > tod {
                edge - tod
            } else {
                edge + DAY - tod
            }
        };
        to(self.start).min(to(self.end))
    }

    /// Hours on shift per day.
    pub fn hours_per_day(&self) -> f64 {
        let len = if self.start < self.end {
            self.end - self.start
        } else {
            self.end + DAY - self.start
        };
        len as f64 / 3_600.0 / TICKS_PER_SEC as f64
    }
}

/// A rate multiplier that is constant between times of day.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    /// `(from time of day in ticks, multiplier)`, sorted, non-empty; the last one runs through
    /// midnight until the first.
    pub points: Vec<(u64, f64)>,
}

impl Profile {
    /// The flat profile (multiplier 1 all day).
    pub fn flat() -> Profile {
        Profile {
            points: vec![(0, 1.0)],
        }
    }

    /// The multiplier at time of day `tod` and the ticks until it next changes.
    pub fn segment(&self, tod: u64) -> (f64, u64) {
        let i = self.points.partition_point(|&(from, _)| from <= tod);
        let mult = if i == 0 {
            self.points[self.points.len() - 1].1
        } else {
            self.points[i - 1].1
        };
        let next = if i < self.points.len() {
            self.points[i].0
        } else {
            self.points[0].0 + DAY
        };
        (mult, next - tod)
    }

    /// The time-average of the multiplier over a day.
    pub fn mean(&self) -> f64 {
        let mut total = 0.0;
        let mut tod = 0;
        while tod < DAY {
            let (mult, len) = self.segment(tod);
            let len = len.min(DAY - tod);
            total += mult * len as f64;
            tod += len;
        }
        total / DAY as f64
    }

    /// The highest multiplier of the day.
    pub fn peak(&self) -> f64 {
        self.points.iter().map(|p| p.1).fold(0.0, f64::max)
    }
}

/// A named attribute and every value it can take.
#[derive(Debug, Clone)]
pub struct Attribute {
    /// Name, such as `topic`.
    pub name: String,
    /// Values, indexed by [`ValueId`].
    pub values: Vec<String>,
}

/// How a traffic stream sets one attribute.
#[derive(Debug, Clone)]
pub enum AttrChoice {
    /// Always this value.
    Fixed(ValueId),
    /// A weighted choice: values with cumulative probabilities (the last is 1).
    Weighted(Vec<(ValueId, f64)>),
}

impl AttrChoice {
    /// Draws a value.
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> ValueId {
        match self {
            AttrChoice::Fixed(v) => *v,
            AttrChoice::Weighted(cum) => {
                let u: f64 = rand::RngExt::random(rng);
                cum.iter()
                    .find(|&&(_, c)| u < c)
                    .unwrap_or(&cum[cum.len() - 1])
                    .0
            }
        }
    }

    /// Every value this choice can produce.
    pub fn support(&self) -> Vec<ValueId> {
        match self {
            AttrChoice::Fixed(v) => vec![*v],
            AttrChoice::Weighted(cum) => {
                let mut prev = 0.0;
                let mut out = Vec::new();
                for &(v, c) in cum {
                    if c > prev {
                        out.push(v);
                    }
                    prev = c;
                }
                out
            }
        }
    }
}

/// A stream of arriving chats.
#[derive(Debug, Clone)]
pub struct Traffic {
    /// Name.
    pub name: String,
    /// Base arrival rate, chats per second.
    pub rate: f64,
    /// Rate multiplier by time of day.
    pub profile: Profile,
    /// How long an agent takes to handle a chat.
    pub handle_time: Duration,
    /// How long a customer waits before leaving; `None`: forever.
    pub patience: Option<Duration>,
    /// Attributes set on each chat, indexed by [`AttrId`] order of appearance.
    pub attributes: Vec<(AttrId, AttrChoice)>,
    /// Which chats have an owner (account manager), and from which team.
    pub owner: Option<Owner>,
    /// A bot that talks to every chat of the stream before any rule is chosen.
    pub bot: Option<Bot>,
}

/// Owners of a traffic stream's existing customers.
#[derive(Debug, Clone)]
pub struct Owner {
    /// Share of eligible chats that have an owner.
    pub share: f64,
    /// The team owners are drawn from (uniformly).
    pub team: TeamId,
    /// If the stream sets `customer`, only chats with this value are eligible.
    pub existing: Option<(AttrId, ValueId)>,
}

/// A bot (or a question) a chat goes through before it is routed.
#[derive(Debug, Clone)]
pub struct Bot {
    /// Time with the bot.
    pub duration: Duration,
    /// Share of chats the bot resolves on its own.
    pub resolves: f64,
}

/// A weekly calendar (such as `business_hours`): open intervals per weekday.
#[derive(Debug, Clone, PartialEq)]
pub struct Calendar {
    /// Name, as rules refer to it.
    pub name: String,
    /// Per weekday (Monday first), open intervals in ticks since midnight.
    pub days: [Vec<Shift>; 7],
}

impl Calendar {
    /// Whether the calendar is open at this time of the week (ticks since Monday 00:00).
    pub fn is_open(&self, week_time: u64) -> bool {
        let (day, tod) = ((week_time / DAY) as usize % 7, week_time % DAY);
        // A window that crosses midnight belongs to the day it starts on.
        let yesterday = (day + 6) % 7;
        self.days[day].iter().any(|w| {
            if w.start < w.end {
                w.covers(tod)
            } else {
                tod >= w.start
            }
        }) || self.days[yesterday]
            .iter()
            .any(|w| w.start >= w.end && tod < w.end)
    }
}

/// What a condition of a rule's `when` can look at.
#[derive(Debug, Clone, Copy)]
pub struct ChatContext<'a> {
    /// Attribute values, indexed by attribute id.
    pub attrs: &'a [ValueId],
    /// Ticks since Monday 00:00 when the rule is chosen.
    pub week_time: u64,
    /// Whether the chat's customer has an owner (account manager).
    pub has_owner: bool,
}

/// One condition of a rule's `when`.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    /// The chat's value of `attr` is one of `values` (sorted).
    Attr {
        /// The attribute.
        attr: AttrId,
        /// Accepted values, sorted.
        values: Vec<ValueId>,
    },
    /// The time of day is inside this window (may cross midnight).
    Hours(Shift),
    /// The weekday is in this set (bit 0 = Monday).
    Days(u8),
    /// The calendar is open (`inside`) or closed.
    Calendar {
        /// Index in [`Model::calendars`].
        calendar: usize,
        /// True for inside the calendar, false for outside.
        inside: bool,
    },
    /// The chat has an owner (or has none).
    HasOwner(bool),
    /// Not all of these hold.
    Not(Vec<Condition>),
}

impl Condition {
    /// Whether the condition holds for this chat.
    pub fn matches(&self, cx: &ChatContext<'_>, calendars: &[Calendar]) -> bool {
        match self {
            Condition::Attr { attr, values } => {
                let v = cx.attrs[attr.ix()];
                v != NO_VALUE && values.binary_search(&v).is_ok()
            }
            Condition::Hours(w) => w.covers(cx.week_time % DAY),
            Condition::Days(mask) => mask & (1 << ((cx.week_time / DAY) % 7)) != 0,
            Condition::Calendar { calendar, inside } => {
                calendars[*calendar].is_open(cx.week_time) == *inside
            }
            Condition::HasOwner(want) => cx.has_owner == *want,
            Condition::Not(all) => !all.iter().all(|c| c.matches(cx, calendars)),
        }
    }

    /// The condition's value when only attributes are known: `None` if it depends on time or
    /// ownership.
    pub fn matches_attrs(&self, attrs: &[ValueId]) -> Option<bool> {
        match self {
            Condition::Attr { attr, values } => {
                let v = attrs[attr.ix()];
                Some(v != NO_VALUE && values.binary_search(&v).is_ok())
            }
            Condition::Not(all) => {
                let mut all_hold = true;
                for c in all {
                    match c.matches_attrs(attrs)? {
                        true => {}
                        false => all_hold = false,
                    }
                }
                Some(!all_hold)
            }
            _ => None,
        }
    }
}

/// Where a route step offers the chat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepTarget {
    /// A team's agents (with any skill requirement): one routing target.
    Target(TargetId),
    /// The chat's owner (account manager), if it has one.
    Owner,
}

/// One step of a route: where the chat waits, and for how long before the next step applies.
#[derive(Debug, Clone)]
pub struct Step {
    /// Where the chat is offered.
    pub to: StepTarget,
    /// Time waiting at this step before moving on; `None`: until answered or gone.
    pub timeout: Option<SimTime>,
}

/// What a rule does with the chats it matches.
#[derive(Debug, Clone)]
pub enum Action {
    /// Offer the chat along these steps; never empty.
    Route(Vec<Step>),
    /// Send the customer to another channel with an auto-reply (index in [`Model::channels`]).
    Redirect(u32),
    /// Reply with the after-hours message and create a ticket.
    AfterHours,
}

/// A routing rule.
#[derive(Debug, Clone)]
pub struct Rule {
    /// Name.
    pub name: String,
    /// All must match; empty matches every chat.
    pub when: Vec<Condition>,
    /// Queue priority of its chats: higher is served first.
    pub priority: u16,
    /// What happens to the chats it matches.
    pub action: Action,
    /// A bot its chats go through before the action.
    pub bot: Option<Bot>,
}

/// Where chats go that match no rule, or that ran through their route without an agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fallback {
    /// The target offered to (every agent, or one team).
    pub target: TargetId,
    /// After this many steps without an agent, a chat leaves its route for the fallback.
    pub after_checks: Option<u32>,
    /// Whether `[fallback]` was written (else it exists only for chats that match no rule).
    pub explicit: bool,
}

/// Which automated messages the desk sends (`[auto_messages]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AutoMessages {
    /// A greeting to every chat that enters the queue or reaches an agent.
    pub first_chat: bool,
    /// Tells the customer who took the chat.
    pub assigned: bool,
    /// The after-hours reply.
    pub after_hours: bool,
    /// The customer left before an answer: a message and a missed-chat ticket.
    pub missed: bool,
    /// After a served chat: was your question resolved?
    pub resolved_check: bool,
    /// After a served chat: a rating request.
    pub rating: bool,
    /// The auto-reply of a redirect to another channel.
    pub redirect: bool,
}

impl Default for AutoMessages {
    fn default() -> Self {
        AutoMessages {
            first_chat: true,
            assigned: true,
            after_hours: true,
            missed: true,
            resolved_check: false,
            rating: false,
            redirect: true,
        }
    }
}

/// A set of agents a chat can be offered to, with the strategy that picks among them.
///
/// Each team is one target; each (team, required skills) pair a route step names is another;
/// the fallback is another.
#[derive(Debug, Clone)]
pub struct Target {
    /// Name shown in reports (the team's name).
    pub name: String,
    /// The team this target is, if any.
    pub team: Option<TeamId>,
    /// How an agent is chosen.
    pub strategy: Strategy,
    /// Members in order.
    pub members: Vec<AgentId>,
    /// Skills a member needs, as (skill, minimum level); empty for a plain team.
    pub require: Vec<(u32, u32)>,
}

/// A team.
#[derive(Debug, Clone)]
pub struct Team {
    /// Name.
    pub name: String,
    /// How the team picks an agent.
    pub strategy: Strategy,
    /// Members in file order.
    pub members: Vec<AgentId>,
    /// The routing target for this team.
    pub target: TargetId,
    /// What share of the chats its agents finish goes on to another team.
    pub escalate: Option<Escalate>,
}

/// Tiered escalation: after handling a chat, a team passes a share of them on.
#[derive(Debug, Clone)]
pub struct Escalate {
    /// Share of handled chats passed on.
    pub share: f64,
    /// The team they queue for next.
    pub to: TeamId,
    /// How long that team takes with them.
    pub handle_time: Duration,
}

/// An agent's place in one target: the target and the agent's position among its members.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Membership {
    /// The target.
    pub target: TargetId,
    /// Position in [`Target::members`].
    pub pos: u32,
    /// What `most_skilled` ranks the agent by here: the sum of its levels in the target's
    /// required skills, or its `level` when nothing is required.
    pub score: u32,
}

/// One agent (an `[[agents]]` entry with `count = N` becomes N agents).
#[derive(Debug, Clone)]
pub struct Agent {
    /// Name, such as `support-3`.
    pub name: String,
    /// Teams, in file order.
    pub teams: Vec<TeamId>,
    /// Concurrency cap: chats held at once.
    pub max_chats: u32,
    /// Experience level (used by `most_skilled`).
    pub level: u32,
    /// Hourly cost (used by `cheapest` and reported as staffing cost).
    pub cost: f64,
    /// Rank of `cost` among all agents' distinct costs, 0 = cheapest.
    pub cost_rank: u32,
    /// Daily shift; `None`: always on.
    pub shift: Option<Shift>,
    /// Level in each skill, indexed like [`Model::skills`] (0: does not have it).
    pub skills: Vec<u32>,
    /// Targets this agent serves.
    pub memberships: Vec<Membership>,
}

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
    /// Where chats go that match no rule or run out of route; `None` if no chat can.
    pub fallback: Option<Fallback>,
    /// Skill names, such as `de`.
    pub skills: Vec<String>,
    /// Redirect channels named by rules, such as `email`.
    pub channels: Vec<String>,
    /// Calendars, such as `business_hours`.
    pub calendars: Vec<Calendar>,
    /// Automated messages switched on.
    pub messages: AutoMessages,
    /// Chats unanswered longer than this are red-flagged.
    pub red_after: Option<SimTime>,
    /// Things worth a user's attention that do not stop the run.
    pub warnings: Vec<String>,
}

impl Model {
    /// End of the run (warm-up plus duration).
    pub fn end(&self) -> SimTime {
        self.warmup.plus(self.duration)
    }

    /// Ticks since Monday 00:00 at simulated time `t`.
    pub fn week_time(&self, t: SimTime) -> u64 {
        (self.start + WEEK - self.warmup.0 % WEEK + t.0) % WEEK
    }

    /// Time of day (ticks since midnight) at simulated time `t`.
    pub fn time_of_day(&self, t: SimTime) -> u64 {
        self.week_time(t) % DAY
    }

    /// The first rule whose conditions all hold for this chat.
    pub fn match_rule(&self, cx: &ChatContext<'_>) -> Option<RuleId> {
        self.rules
            .iter()
            .position(|r| r.when.iter().all(|c| c.matches(cx, &self.calendars)))
            .map(|i| RuleId(i as u32))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: u64 = 3_600 * TICKS_PER_SEC;

    #[test]
    fn shift_covers_and_wraps_midnight() {
        let day = Shift {
            start: 8 * H,
            end: 16 * H,
        };
        assert!(
            !day.covers(7 * H) && day.covers(8 * H) && day.covers(15 * H) && !day.covers(16 * H)
        );
        assert_eq!(day.until_next_change(7 * H), H);
        assert_eq!(day.until_next_change(16 * H), 16 * H);
        let night = Shift {
            start: 22 * H,
            end: 6 * H,
        };
        assert!(night.covers(23 * H) && night.covers(2 * H) && !night.covers(12 * H));
        assert_eq!(night.until_next_change(23 * H), 7 * H);
        assert_eq!(night.hours_per_day(), 8.0);
    }

    #[test]
    fn profile_segments_wrap_from_the_last_point() {
        let p = Profile {
            points: vec![(8 * H, 1.0), (12 * H, 1.8), (18 * H, 0.4)],
        };
        assert_eq!(p.segment(2 * H), (0.4, 6 * H));
        assert_eq!(p.segment(8 * H), (1.0, 4 * H));
        assert_eq!(p.segment(20 * H), (0.4, 12 * H));
        assert_eq!(p.peak(), 1.8);
        // 8h at 0.4 before 08:00, 4h at 1.0, 6h at 1.8, 6h at 0.4.
        assert!((p.mean() - (8.0 * 0.4 + 4.0 + 6.0 * 1.8 + 6.0 * 0.4) / 24.0).abs() < 1e-12);
    }

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
    fn weighted_choice_follows_its_cumulative_weights() {
        use rand::SeedableRng;
        let c = AttrChoice::Weighted(vec![(0, 0.3), (1, 1.0)]);
        let mut rng = rand::rngs::Xoshiro256PlusPlus::seed_from_u64(1);
        let n = 100_000;
        let zeros = (0..n).filter(|_| c.sample(&mut rng) == 0).count() as f64;
        // Binomial standard error at p = 0.3 is 0.00145; allow 4 of them.
        assert!((zeros / n as f64 - 0.3).abs() < 4.0 * (0.3f64 * 0.7 / n as f64).sqrt());
        assert_eq!(c.support(), vec![0, 1]);
    }
}
