//! The desk: teams, agents, routing targets, and the traffic that reaches them.

use rand::Rng;

use super::dist::Duration;
use super::replay::Replay;
use super::roster::Roster;
use super::time::Profile;
use super::{AgentId, AttrId, TargetId, TeamId, ValueId};

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
    #[inline(always)]
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> ValueId {
        match self {
            AttrChoice::Fixed(v) => *v,
            AttrChoice::Weighted(cum) => {
                let u: f64 = rand::RngExt::random(rng);
                cum[Self::index(cum, u)].0
            }
        }
    }

    /// The first value whose cumulative probability is above `u` (the last if none is, which
    /// rounding could make happen; `u < 1` and the compiler makes the last exactly 1). The
    /// first [`SCANNED`] are all compared, since a common value is usually named among them;
    /// the rest, in order, are halved: a 1,000-valued topic with one common value cost 90
    /// instructions a chat scanned, some 10 now.
    #[inline]
    fn index(cum: &[(ValueId, f64)], u: f64) -> usize {
        const SCANNED: usize = 8;
        // `c <= u` holds for a prefix: the probabilities only grow, and none is NaN. So the
        // first value above `u` is the count of those at or below it, counted without a
        // branch that depends on `u` (a scan that stops where `u` falls mispredicts its exit
        // about once a draw).
        let head = &cum[..cum.len().min(SCANNED)];
        let below = head.iter().filter(|&&(_, c)| c <= u).count();
        let i = if below < head.len() {
            below
        } else {
            SCANNED
                + cum
                    .get(SCANNED..)
                    .map_or(0, |rest| rest.partition_point(|&(_, c)| c <= u))
        };
        i.min(cum.len() - 1)
    }

    /// Every value this choice can produce, with its probability.
    pub fn distribution(&self) -> Vec<(ValueId, f64)> {
        match self {
            AttrChoice::Fixed(v) => vec![(*v, 1.0)],
            AttrChoice::Weighted(cum) => {
                let mut prev = 0.0;
                let mut out = Vec::new();
                for &(v, c) in cum {
                    if c > prev {
                        out.push((v, c - prev));
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
    /// Base arrival rate, chats per second, `scale` included.
    pub rate: f64,
    /// The multiplier of the stream's volume (`scale` in the file, times `--scale`): already
    /// in `rate`.
    pub scale: f64,
    /// Rate multiplier by time of the week.
    pub profile: Profile,
    /// Multiplier of the drawn handle times by time of arrival (a forecast's mean handle time
    /// per interval, relative to `handle_time`'s mean); `None`: 1 throughout.
    pub handle_scale: Option<Profile>,
    /// How long an agent takes to handle a chat.
    pub handle_time: Duration,
    /// How long a customer waits before leaving; `None`: forever.
    pub patience: Option<Duration>,
    /// After-chat work that keeps the agent's slot busy once the customer has left; `None`:
    /// none (a team's own `wrap_up` overrides it).
    pub wrap_up: Option<Duration>,
    /// Attributes set on each chat, indexed by [`AttrId`] order of appearance.
    pub attributes: Vec<(AttrId, AttrChoice)>,
    /// Which chats have an owner (account manager), and from which team.
    pub owner: Option<Owner>,
    /// A bot that talks to every chat of the stream before any rule is chosen.
    pub bot: Option<Bot>,
    /// Customers who abandon and come back.
    pub retry: Option<Retry>,
    /// Arrivals replayed from a chat log (`replay`) instead of drawn: `rate` and `profile` are
    /// then the log's own volume by hour of the week (times `scale`), for load estimates and
    /// checks, and `attributes` its mix of values, for reports.
    pub replay: Option<std::sync::Arc<Replay>>,
}

/// Most attempts of one customer (the first contact and nine returns): the engine lets nobody
/// come back more often, so a customer's work is bounded even with `share = 1` and no patience.
pub const MAX_ATTEMPTS: u32 = 10;

/// Customers who gave up coming back: a share of abandoned chats return after a delay as a new
/// attempt of the same customer, with the same attributes and handle time.
#[derive(Debug, Clone)]
pub struct Retry {
    /// Share of abandoned chats whose customer comes back.
    pub share: f64,
    /// Time from giving up to coming back.
    pub delay: Duration,
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

impl Owner {
    /// Draws a new chat's owner from the owner team's members: whether it has one, and who.
    /// Both draws are made even when the chat cannot have one, so that every chat of a stream
    /// uses the same draws whatever the rules (common random numbers). The engine and
    /// `routesim bench` both draw owners here.
    #[inline(always)]
    pub fn draw<R: Rng + ?Sized>(
        &self,
        teams: &[Team],
        attrs: &[ValueId],
        rng: &mut R,
    ) -> Option<AgentId> {
        let members = &teams[self.team.ix()].members;
        let (u, k): (f64, usize) = (
            rand::RngExt::random(rng),
            rand::RngExt::random_range(rng, 0..members.len()),
        );
        let eligible = self.existing.is_none_or(|(a, v)| attrs[a.ix()] == v);
        (eligible && u < self.share).then(|| members[k])
    }
}

/// A bot (or a question) a chat goes through before it is routed.
#[derive(Debug, Clone)]
pub struct Bot {
    /// Time with the bot.
    pub duration: Duration,
    /// Share of chats the bot resolves on its own.
    pub resolves: f64,
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
    /// After-chat work for the chats its agents handle; overrides the traffic's.
    pub wrap_up: Option<Duration>,
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
    /// How fast the agent works: its handle times are the drawn ones divided by this (1: as
    /// drawn; 0.8: a junior taking 25% longer; 1.25: an expert).
    pub speed: f64,
    /// Rank of `cost` among all agents' distinct costs, 0 = cheapest.
    pub cost_rank: u32,
    /// When the agent is rostered to work (shifts minus breaks); `None`: always on.
    pub shift: Option<Roster>,
    /// Chance that the agent misses a whole shift, drawn per agent and shift.
    pub absence: f64,
    /// Level in each skill, indexed like [`Model::skills`](super::Model::skills) (0: does not have it).
    pub skills: Vec<u32>,
    /// Targets this agent serves.
    pub memberships: Vec<Membership>,
}

impl Agent {
    /// Whether the agent is rostered to work at this time of the week (ticks since Monday
    /// 00:00): on shift and not on a break. Absence is decided by the engine on top of this.
    ///
    /// The one answer to "is this agent working now": the engine, `explain`, `validate`'s lints
    /// and the tests all ask here.
    #[inline]
    pub fn on_shift_at(&self, week_time: u64) -> bool {
        self.shift.as_ref().is_none_or(|s| s.covers(week_time))
    }

    /// Ticks from `week_time` until the agent next starts or stops working (a shift or a break
    /// starts or ends); `None` if that never happens.
    pub fn next_shift_change(&self, week_time: u64) -> Option<u64> {
        self.shift
            .as_ref()
            .and_then(|s| s.until_next_change(week_time))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weighted_choice_follows_its_cumulative_weights() {
        use rand::SeedableRng;
        let c = AttrChoice::Weighted(vec![(0, 0.3), (1, 1.0)]);
        let mut rng = rand::rngs::Xoshiro256PlusPlus::seed_from_u64(1);
        let n = 100_000;
        let zeros = (0..n).filter(|_| c.sample(&mut rng) == 0).count() as f64;
        // Binomial standard error at p = 0.3 is 0.00145; allow 4 of them.
        assert!((zeros / n as f64 - 0.3).abs() < 4.0 * (0.3f64 * 0.7 / n as f64).sqrt());
        let d = c.distribution();
        assert_eq!(d.iter().map(|x| x.0).collect::<Vec<_>>(), [0, 1]);
        assert!((d[0].1 - 0.3).abs() < 1e-12 && (d[1].1 - 0.7).abs() < 1e-12);
    }

    /// The scan-then-halve search finds what a plain scan finds, on lists shorter and longer
    /// than the part scanned, with values of zero weight (equal neighbours), at and between
    /// the cumulative probabilities.
    #[test]
    fn value_search_agrees_with_a_scan() {
        use rand::{RngExt, SeedableRng};
        let scan = |cum: &[(ValueId, f64)], u: f64| {
            (cum.iter().position(|&(_, c)| u < c)).unwrap_or(cum.len() - 1)
        };
        let mut rng = rand::rngs::Xoshiro256PlusPlus::seed_from_u64(5);
        for len in (1..40).chain([1_000]) {
            let mut weights: Vec<f64> = (0..len)
                .map(|_| match rng.random_range(0..4) {
                    0 => 0.0,
                    _ => rng.random::<f64>(),
                })
                .collect();
            weights[0] += 1e-3;
            let total: f64 = weights.iter().sum();
            let mut acc = 0.0;
            let mut cum: Vec<(ValueId, f64)> = (weights.iter().enumerate())
                .map(|(i, w)| {
                    acc += w / total;
                    (i as ValueId, acc)
                })
                .collect();
            // As the compiler leaves them: the last exactly 1, those before it possibly a
            // rounding above 1 (when the last weights are zero). The search counts the values
            // at or below `u`, which is the scan's answer only because `u < 1`.
            cum.last_mut().unwrap().1 = 1.0;
            if len > 2 && rng.random_range(0..4) == 0 {
                cum[len - 2].1 = 1.0 + f64::EPSILON;
            }
            let at = cum.iter().map(|c| c.1).filter(|&c| c < 1.0);
            for u in at
                .chain((0..200).map(|_| rng.random::<f64>()))
                .chain([0.0, 1.0 - f64::EPSILON / 2.0])
            {
                assert_eq!(
                    AttrChoice::index(&cum, u),
                    scan(&cum, u),
                    "len {len}, u {u}"
                );
            }
        }
    }
}
