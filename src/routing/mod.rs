//! The routing core: a pure decision of where a chat goes.
//!
//! Given a chat (its matched rule and route step), the agents' state and a random source, the
//! core answers *which agent takes it now* or *which queue it waits in*; given an agent with a
//! free slot, it answers *which waiting chat it takes*. It knows nothing of events, clocks or
//! output: the simulator (and any load test) keeps a [`Board`] and [`Queues`] up to date and
//! asks.
//!
//! Speed: each target keeps an index of its *available* agents (on shift, below cap) ordered by
//! its strategy, so choosing an agent is a lookup, never a scan of the team. An agent's state
//! change updates the indexes of the few targets it belongs to.

use std::collections::{BTreeMap, BTreeSet};

use rand::{Rng, RngExt};

use crate::model::{
    Action, AgentId, Model, RuleId, SimTime, StepTarget, Strategy, TargetId, TeamId,
};

/// What the routing core knows about one agent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AgentState {
    /// Chats held now.
    pub load: u32,
    /// On shift now.
    pub on_shift: bool,
    /// When the load or shift last changed (used by `least_busy` ties and `longest_idle`).
    pub last_change: SimTime,
}

/// An index of a target's available agents, ordered for its strategy.
#[derive(Debug, Clone)]
enum Index {
    /// Agents ordered by a packed key; the first is the pick.
    Ordered(BTreeSet<u128>),
    /// Member positions; the pick is the first after the cursor, wrapping.
    RoundRobin {
        avail: BTreeSet<u32>,
        cursor: Option<u32>,
    },
    /// Member positions in any order, with each position's place in `avail` (or `NONE`).
    Random { avail: Vec<u32>, place: Vec<u32> },
}

const NONE: u32 = u32::MAX;

/// The agents' state and per-target indexes of who can take a chat now.
#[derive(Debug, Clone)]
pub struct Board {
    agents: Vec<AgentState>,
    index: Vec<Index>,
    on_shift: Vec<u32>,
}

/// Packs (primary, secondary, time, id) into one ordered key.
fn pack(p1: u32, p2: u32, time: SimTime, id: AgentId) -> u128 {
    let p1 = p1.min(u16::MAX as u32) as u128;
    let p2 = p2.min(u16::MAX as u32) as u128;
    (p1 << 112) | (p2 << 96) | ((time.0 as u128) << 32) | id.0 as u128
}

fn unpack_agent(key: u128) -> AgentId {
    AgentId(key as u32)
}

impl Board {
    /// A board with every agent off shift and idle.
    pub fn new(model: &Model) -> Board {
        let index = model
            .targets
            .iter()
            .map(|t| match t.strategy {
                Strategy::RoundRobin => Index::RoundRobin {
                    avail: BTreeSet::new(),
                    cursor: None,
                },
                Strategy::Random => Index::Random {
                    avail: Vec::new(),
                    place: vec![NONE; t.members.len()],
                },
                _ => Index::Ordered(BTreeSet::new()),
            })
            .collect();
        Board {
            agents: vec![AgentState::default(); model.agents.len()],
            index,
            on_shift: vec![0; model.targets.len()],
        }
    }

    /// One agent's state.
    #[inline]
    pub fn agent(&self, a: AgentId) -> AgentState {
        self.agents[a.ix()]
    }

    /// Whether the agent can take a chat now: on shift and below cap.
    #[inline]
    pub fn available(&self, model: &Model, a: AgentId) -> bool {
        let s = &self.agents[a.ix()];
        s.on_shift && s.load < model.agents[a.ix()].max_chats
    }

    /// The agent's key in an ordered index; `score` is its `most_skilled` rank in that target.
    fn key(model: &Model, strategy: Strategy, a: AgentId, s: &AgentState, score: u32) -> u128 {
        match strategy {
            Strategy::LeastBusy => pack(0, s.load, s.last_change, a),
            Strategy::LongestIdle => pack(0, 0, s.last_change, a),
            Strategy::MostSkilled => pack(
                u16::MAX as u32 - score.min(u16::MAX as u32),
                s.load,
                s.last_change,
                a,
            ),
            Strategy::Cheapest => pack(model.agents[a.ix()].cost_rank, s.load, s.last_change, a),
            Strategy::RoundRobin | Strategy::Random => 0,
        }
    }

    /// Applies `change` to an agent's state, keeping every index it belongs to in step.
    fn update(&mut self, model: &Model, a: AgentId, change: impl FnOnce(&mut AgentState)) {
        let was = self.available(model, a);
        let old = self.agents[a.ix()];
        change(&mut self.agents[a.ix()]);
        let now = self.available(model, a);
        let new = self.agents[a.ix()];
        for m in &model.agents[a.ix()].memberships {
            if old.on_shift != new.on_shift {
                let n = &mut self.on_shift[m.target.ix()];
                *n = if new.on_shift { *n + 1 } else { *n - 1 };
            }
            let strategy = model.targets[m.target.ix()].strategy;
            match &mut self.index[m.target.ix()] {
                Index::Ordered(set) => {
                    let (k_old, k_new) = (
                        Self::key(model, strategy, a, &old, m.score),
                        Self::key(model, strategy, a, &new, m.score),
                    );
                    if was && (!now || k_old != k_new) {
                        set.remove(&k_old);
                    }
                    if now && (!was || k_old != k_new) {
                        set.insert(k_new);
                    }
                }
                Index::RoundRobin { avail, .. } => {
                    if was && !now {
                        avail.remove(&m.pos);
                    } else if now && !was {
                        avail.insert(m.pos);
                    }
                }
                Index::Random { avail, place } => {
                    if was && !now {
                        let i = place[m.pos as usize] as usize;
                        avail.swap_remove(i);
                        if let Some(&moved) = avail.get(i) {
                            place[moved as usize] = i as u32;
                        }
                        place[m.pos as usize] = NONE;
                    } else if now && !was {
                        place[m.pos as usize] = avail.len() as u32;
                        avail.push(m.pos);
                    }
                }
            }
        }
    }

    /// Puts an agent on or off shift. Off shift, an agent takes no new chats; held chats go on.
    pub fn set_on_shift(&mut self, model: &Model, a: AgentId, on: bool, now: SimTime) {
        self.update(model, a, |s| {
            s.on_shift = on;
            s.last_change = now;
        });
    }

    /// Records that `a` took a chat offered through `target`.
    pub fn assign(&mut self, model: &Model, a: AgentId, target: TargetId, now: SimTime) {
        debug_assert!(
            self.available(model, a),
            "assigning to an unavailable agent"
        );
        self.update(model, a, |s| {
            s.load += 1;
            s.last_change = now;
        });
        if let Index::RoundRobin { cursor, .. } = &mut self.index[target.ix()] {
            *cursor = model.agents[a.ix()]
                .memberships
                .iter()
                .find(|m| m.target == target)
                .map(|m| m.pos);
        }
    }

    /// Records that `a` finished a chat.
    pub fn release(&mut self, model: &Model, a: AgentId, now: SimTime) {
        debug_assert!(self.agents[a.ix()].load > 0, "releasing an idle agent");
        self.update(model, a, |s| {
            s.load -= 1;
            s.last_change = now;
        });
    }

    /// The agent the target's strategy chooses among its available agents, if any.
    pub fn pick<R: Rng + ?Sized>(
        &self,
        model: &Model,
        target: TargetId,
        rng: &mut R,
    ) -> Option<AgentId> {
        let members = &model.targets[target.ix()].members;
        match &self.index[target.ix()] {
            Index::Ordered(set) => set.first().map(|&k| unpack_agent(k)),
            Index::RoundRobin { avail, cursor } => {
                let after = cursor.map_or(avail.first(), |c| {
                    avail.range(c + 1..).next().or(avail.first())
                });
                after.map(|&pos| members[pos as usize])
            }
            Index::Random { avail, .. } => (!avail.is_empty())
                .then(|| members[avail[rng.random_range(0..avail.len())] as usize]),
        }
    }

    /// How many of a target's agents are on shift now.
    #[inline]
    pub fn on_shift_count(&self, target: TargetId) -> u32 {
        self.on_shift[target.ix()]
    }

    /// How many of a target's agents are available now.
    pub fn available_count(&self, target: TargetId) -> usize {
        match &self.index[target.ix()] {
            Index::Ordered(set) => set.len(),
            Index::RoundRobin { avail, .. } => avail.len(),
            Index::Random { avail, .. } => avail.len(),
        }
    }
}

/// Order of a waiting chat within a queue: higher priority first, then earlier arrival, then
/// lower chat id. Packed so that queue order is plain integer order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct QueueKey(u128);

impl QueueKey {
    /// The lowest key (a placeholder for a chat not in any queue).
    pub const ZERO: QueueKey = QueueKey(0);

    /// The key of a chat with this priority (higher goes first), arrival time and id.
    pub fn new(priority: u16, arrival: SimTime, chat: u64) -> QueueKey {
        let inv = (u16::MAX - priority) as u128;
        QueueKey(
            (inv << 112)
                | ((arrival.0 as u128 & ((1 << 64) - 1)) << 48)
                | (chat as u128 & ((1 << 48) - 1)),
        )
    }
}

/// A queue a chat can wait in: one per target (same index), then one per agent (a personal
/// queue, for chats waiting for their owner).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct QueueId(pub u32);

impl QueueId {
    /// The personal queue of an agent.
    pub fn personal(model: &Model, agent: AgentId) -> QueueId {
        QueueId(model.targets.len() as u32 + agent.0)
    }
}

/// Chats waiting, one queue per target plus one per agent. Values are the caller's handles for
/// its chats.
#[derive(Debug, Clone)]
pub struct Queues {
    queues: Vec<BTreeMap<QueueKey, u32>>,
    len: usize,
}

impl Queues {
    /// Empty queues: one per target, then one per agent.
    pub fn new(model: &Model) -> Queues {
        Queues {
            queues: vec![BTreeMap::new(); model.targets.len() + model.agents.len()],
            len: 0,
        }
    }

    /// Chats waiting in all queues.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no chat waits.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Adds a chat to a queue.
    pub fn push(&mut self, queue: QueueId, key: QueueKey, chat: u32) {
        let old = self.queues[queue.0 as usize].insert(key, chat);
        debug_assert!(old.is_none(), "chat queued twice");
        self.len += 1;
    }

    /// Removes a chat from a queue (it left, or moved on to the next step).
    pub fn remove(&mut self, queue: QueueId, key: QueueKey) -> Option<u32> {
        let chat = self.queues[queue.0 as usize].remove(&key);
        self.len -= chat.is_some() as usize;
        chat
    }

    /// The waiting chat an agent with a free slot should take: the first in order among the
    /// heads of its personal queue and the queues of every target it belongs to. Returns the
    /// queue it waits in.
    pub fn next_for(&self, model: &Model, a: AgentId) -> Option<(QueueId, QueueKey, u32)> {
        let personal = QueueId::personal(model, a);
        let queues = model.agents[a.ix()]
            .memberships
            .iter()
            .map(|m| QueueId(m.target.0))
            .chain(std::iter::once(personal));
        let mut best: Option<(QueueId, QueueKey, u32)> = None;
        for q in queues {
            if let Some((&key, &chat)) = self.queues[q.0 as usize].first_key_value() {
                if best.is_none_or(|b| key < b.1) {
                    best = Some((q, key, chat));
                }
            }
        }
        best
    }
}

/// Route step index of a chat that has been handed to the fallback.
pub const FALLBACK_STEP: usize = u16::MAX as usize;

/// What the routing core needs to know about a chat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChatView {
    /// The rule it matched, if any.
    pub rule: Option<RuleId>,
    /// The route step to try first (0-based).
    pub step: usize,
    /// Steps already gone through without an agent (skipped or timed out).
    pub checks: u32,
    /// Its owner (account manager), if it has one.
    pub owner: Option<AgentId>,
}

/// Where a chat is offered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placement {
    /// The queue it waits in if nobody takes it now.
    pub queue: QueueId,
    /// The target reported as the chat's team (for an owner: the owner's first team).
    pub target: TargetId,
    /// The route step ([`FALLBACK_STEP`] once in the fallback).
    pub step: usize,
    /// Steps gone through without an agent before this one.
    pub checks: u32,
    /// How long it waits here before the next step; `None`: until answered or gone.
    pub timeout: Option<SimTime>,
}

/// The routing core's answer for a chat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// This agent takes the chat now.
    Assign {
        /// The agent.
        agent: AgentId,
        /// Where the chat was offered.
        at: Placement,
    },
    /// Nobody can take it now: it waits.
    Wait {
        /// Where it waits.
        at: Placement,
    },
    /// The rule sends the customer to another channel (index in `Model::channels`).
    Redirect(u32),
    /// Nobody who could take it is on shift (or the rule says so): after-hours reply and ticket.
    AfterHours,
}

/// Decides what happens to a chat now: a rule's action, or its route from `chat.step` on.
///
/// A step whose team has nobody on shift, or an owner step when the owner is off shift (or the
/// chat has no owner), is skipped and counts as a check. A chat leaves its route for the
/// fallback when it runs out of steps or reaches the fallback's `after_checks`; with no fallback,
/// or nobody on shift there, it gets the after-hours reply.
pub fn decide<R: Rng + ?Sized>(
    model: &Model,
    board: &Board,
    chat: ChatView,
    rng: &mut R,
) -> Decision {
    let Some(rule) = chat.rule else {
        return fallback(model, board, chat.checks, rng);
    };
    let steps = match &model.rules[rule.ix()].action {
        Action::Redirect(channel) => return Decision::Redirect(*channel),
        Action::AfterHours => return Decision::AfterHours,
        Action::Route(steps) => steps,
    };
    let after_checks = model.fallback.as_ref().and_then(|f| f.after_checks);
    let (mut step, mut checks) = (chat.step, chat.checks);
    while step < steps.len() && after_checks.is_none_or(|n| checks < n) {
        let s = &steps[step];
        let at = |queue, target| Placement {
            queue,
            target,
            step,
            checks,
            timeout: s.timeout,
        };
        match s.to {
            StepTarget::Target(t) if board.on_shift_count(t) > 0 => {
                return offer(model, board, at(QueueId(t.0), t), rng);
            }
            StepTarget::Owner => {
                if let Some(owner) = chat.owner.filter(|&o| board.agent(o).on_shift) {
                    let team = model.agents[owner.ix()]
                        .memberships
                        .first()
                        .map_or(TargetId(0), |m| m.target);
                    let at = at(QueueId::personal(model, owner), team);
                    return match board.available(model, owner) {
                        true => Decision::Assign { agent: owner, at },
                        false => Decision::Wait { at },
                    };
                }
            }
            StepTarget::Target(_) => {}
        }
        step += 1;
        checks += 1;
    }
    fallback(model, board, checks, rng)
}

/// Decides where a chat escalated to `team` goes: the queue it is offered at, and the agent who
/// takes it now, if any. An escalated chat never skips a team that has nobody on shift: it
/// waits for the next shift.
pub fn decide_escalation<R: Rng + ?Sized>(
    model: &Model,
    board: &Board,
    team: TeamId,
    rng: &mut R,
) -> (Placement, Option<AgentId>) {
    let target = model.teams[team.ix()].target;
    let at = Placement {
        queue: QueueId(target.0),
        target,
        step: FALLBACK_STEP,
        checks: 0,
        timeout: None,
    };
    (at, board.pick(model, target, rng))
}

fn fallback<R: Rng + ?Sized>(model: &Model, board: &Board, checks: u32, rng: &mut R) -> Decision {
    match &model.fallback {
        Some(f) if board.on_shift_count(f.target) > 0 => {
            let at = Placement {
                queue: QueueId(f.target.0),
                target: f.target,
                step: FALLBACK_STEP,
                checks,
                timeout: None,
            };
            offer(model, board, at, rng)
        }
        _ => Decision::AfterHours,
    }
}

fn offer<R: Rng + ?Sized>(model: &Model, board: &Board, at: Placement, rng: &mut R) -> Decision {
    match board.pick(model, at.target, rng) {
        Some(agent) => Decision::Assign { agent, at },
        None => Decision::Wait { at },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::parse_str;
    use rand::SeedableRng;
    use rand::rngs::Xoshiro256PlusPlus;

    fn model(strategy: &str) -> Model {
        let text = format!(
            r#"
[simulation]
duration = "1h"
[[teams]]
name = "t"
strategy = "{strategy}"
[[agents]]
name = "cheap"
count = 3
teams = ["t"]
max_chats = 2
cost = 1.0
level = 1
[[agents]]
name = "senior"
count = 3
teams = ["t"]
max_chats = 3
cost = 2.0
level = 3
[[traffic]]
name = "web"
rate = 1
handle_time = "1m"
[[rules]]
name = "all"
route = [{{ team = "t" }}]
"#
        );
        parse_str("t.toml", &text).unwrap()
    }

    /// The agent a strategy should pick, found by scanning every agent.
    fn reference(m: &Model, b: &Board, strategy: Strategy) -> Option<AgentId> {
        let avail = (0..m.agents.len() as u32)
            .map(AgentId)
            .filter(|&a| b.available(m, a));
        avail.min_by_key(|&a| {
            let s = b.agent(a);
            let ag = &m.agents[a.ix()];
            match strategy {
                Strategy::LeastBusy => (0, s.load, s.last_change, a),
                Strategy::LongestIdle => (0, 0, s.last_change, a),
                Strategy::MostSkilled => (u32::MAX - ag.level, s.load, s.last_change, a),
                Strategy::Cheapest => (ag.cost_rank, s.load, s.last_change, a),
                _ => unreachable!(),
            }
        })
    }

    #[test]
    fn indexed_picks_equal_a_full_scan_through_random_histories() {
        for strategy in [
            Strategy::LeastBusy,
            Strategy::LongestIdle,
            Strategy::MostSkilled,
            Strategy::Cheapest,
        ] {
            let m = model(strategy.name());
            let mut b = Board::new(&m);
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
            let t = TargetId(0);
            for step in 0..5_000u64 {
                let now = SimTime(step);
                let a = AgentId(rng.random_range(0..m.agents.len() as u32));
                match rng.random_range(0..4) {
                    0 => b.set_on_shift(&m, a, !b.agent(a).on_shift, now),
                    1 if b.agent(a).load > 0 => b.release(&m, a, now),
                    _ => {
                        if let Some(p) = b.pick(&m, t, &mut rng) {
                            b.assign(&m, p, t, now);
                        }
                    }
                }
                assert_eq!(
                    b.pick(&m, t, &mut rng),
                    reference(&m, &b, strategy),
                    "{strategy:?} step {step}"
                );
                for a in 0..m.agents.len() {
                    assert!(b.agent(AgentId(a as u32)).load <= m.agents[a].max_chats);
                }
            }
        }
    }

    #[test]
    fn round_robin_cycles_through_available_agents() {
        let m = model("round_robin");
        let mut b = Board::new(&m);
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
        for a in 0..6 {
            b.set_on_shift(&m, AgentId(a), a != 2, SimTime::ZERO);
        }
        let mut picked = Vec::new();
        for i in 0..7 {
            let a = b.pick(&m, TargetId(0), &mut rng).unwrap();
            picked.push(a.0);
            b.assign(&m, a, TargetId(0), SimTime(i));
            b.release(&m, a, SimTime(i));
        }
        assert_eq!(picked, [0, 1, 3, 4, 5, 0, 1]);
    }

    #[test]
    fn random_picks_only_available_agents_and_covers_them() {
        let m = model("random");
        let mut b = Board::new(&m);
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(9);
        for a in [0, 3, 5] {
            b.set_on_shift(&m, AgentId(a), true, SimTime::ZERO);
        }
        let mut seen = BTreeSet::new();
        for _ in 0..200 {
            seen.insert(b.pick(&m, TargetId(0), &mut rng).unwrap().0);
        }
        assert_eq!(seen.into_iter().collect::<Vec<_>>(), [0, 3, 5]);
        b.set_on_shift(&m, AgentId(3), false, SimTime(1));
        assert_eq!(b.available_count(TargetId(0)), 2);
    }

    #[test]
    fn queues_serve_priority_then_arrival_across_an_agents_targets() {
        let m = model("least_busy");
        let mut q = Queues::new(&m);
        let t = QueueId(0);
        q.push(t, QueueKey::new(0, SimTime(50), 2), 20);
        q.push(t, QueueKey::new(0, SimTime(10), 1), 10);
        q.push(t, QueueKey::new(5, SimTime(90), 3), 30);
        let order: Vec<u32> = std::iter::from_fn(|| {
            let (t, k, c) = q.next_for(&m, AgentId(0))?;
            q.remove(t, k);
            Some(c)
        })
        .collect();
        assert_eq!(order, [30, 10, 20]);
        assert!(q.is_empty());
    }
}
