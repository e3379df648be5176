//! The [`Board`]: every agent's state, and per-target indexes of who can take a chat now.

use std::collections::BTreeSet;

use rand::{Rng, RngExt};

use crate::model::{AgentId, Model, SimTime, Strategy, TargetId};

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

    /// The board at a moment of the week, for questions asked outside a run (`explain`, the
    /// lints): every agent on shift as its roster says, holding no chat, or (`all_busy`) every
    /// one on shift holding as many chats as its cap allows.
    pub fn at(model: &Model, week_time: u64, all_busy: bool) -> Board {
        let mut b = Board::new(model);
        for (a, agent) in model.agents.iter().enumerate() {
            let id = AgentId(a as u32);
            if agent.on_shift_at(week_time) {
                b.set_on_shift(model, id, true, SimTime::ZERO);
                if let (true, Some(m)) = (all_busy, agent.memberships.first()) {
                    for _ in 0..agent.max_chats {
                        b.assign(model, id, m.target, SimTime::ZERO);
                    }
                }
            }
        }
        b
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routing::tests::model;
    use rand::SeedableRng;
    use rand::rngs::Xoshiro256PlusPlus;

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
}
