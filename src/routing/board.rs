//! The [`Board`]: every agent's state, and indexes of who can take a chat now.
//!
//! **Classes.** Agents that belong to the same targets (teams, skill groups, the fallback), with
//! the same rank in each (`most_skilled`'s score, `cheapest`'s cost), form a *class*: agents
//! written as one `[[agents]]` entry share one. Each class keeps the indexes of its available
//! agents; a target asks each of its classes for its best agent and takes the best of those.
//! So an agent's change of load or shift updates its own class only, at a cost that does not
//! grow with the targets it belongs to or the skills it has, and a pick costs one look per class
//! of the target (as many as the `[[agents]]` entries that feed it, however many agents they
//! hold).
//!
//! **A class's indexes**, each kept only when one of the class's targets needs it:
//! - *by load* (`least_busy`, `most_skilled`, `cheapest`): one queue per load level, in order of
//!   the last change, then id. Within a class those strategies differ only in the rank, which
//!   is the same for every member, so all three read the front of the lowest non-empty level.
//! - *by time* (`longest_idle`): one queue in order of the last change, then id.
//! - *by id* (`round_robin`): a bitset of the available members. A target's members are in id
//!   order, so "the next after the one chosen last, in team order" is the next id.
//!
//! A change sets the agent's last change to now, the latest time there is, so its new entry
//! goes at the back of a queue (among changes at the same moment, by id). Old entries are never
//! searched for: a change bumps the agent's *stamp*, which makes all its earlier entries stale.
//! The fronts are kept live (the queues the agent's stale entry may head are trimmed at each
//! change), so a pick reads fronts only; a queue that grows to more than twice its class's
//! available agents is swept of stale entries, so memory stays bounded.
//!
//! **`random`** draws a position in a per-target list whose order follows the target's
//! history (the draws must stay what they were), so that list is still updated for each of an
//! agent's `random` targets, but only when the agent's availability changes. Counts of agents
//! on shift are per target too, and change only with shifts.

use std::collections::{HashMap, VecDeque};

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

/// The board's record of one agent.
#[derive(Debug, Clone, Copy, Default)]
struct Slot {
    state: AgentState,
    /// Bumped at every change: entries with an older stamp are stale.
    stamp: u32,
    /// `max_chats`, kept here so the hot path does not read the model's agent.
    cap: u32,
    class: u32,
    /// Position among the class's members.
    local: u32,
}

impl Slot {
    #[inline]
    fn available(&self) -> bool {
        self.state.on_shift && self.state.load < self.cap
    }
}

/// An agent's place in a class's queue, as of one change.
#[derive(Debug, Clone, Copy)]
struct Entry {
    time: SimTime,
    agent: u32,
    stamp: u32,
}

impl Entry {
    /// Whether the agent has not changed since. The time is compared too, so a stamp that has
    /// wrapped round (2^32 changes of one agent) cannot bring an old entry back.
    #[inline]
    fn live(&self, slots: &[Slot]) -> bool {
        let s = &slots[self.agent as usize];
        s.stamp == self.stamp && s.state.last_change == self.time
    }
}

/// Entries in (time, agent) order; stale ones are dropped from the front, or swept.
#[derive(Debug, Clone, Default)]
struct Fifo(VecDeque<Entry>);

impl Fifo {
    #[inline(always)]
    fn push(&mut self, e: Entry, slots: &[Slot], live: u32) {
        let q = &mut self.0;
        if q.len() > 2 * live as usize + 32 {
            q.retain(|e| e.live(slots));
        }
        // Changes come in time order: the entry goes at the back, unless changes at the same
        // moment (or a caller outside a run) put a later key there.
        let key = (e.time, e.agent);
        match q.back() {
            Some(b) if (b.time, b.agent) > key => {
                let at = q.partition_point(|x| (x.time, x.agent) < key);
                q.insert(at, e);
            }
            _ => q.push_back(e),
        }
    }

    /// Drops stale entries from the front.
    #[inline]
    fn trim(&mut self, slots: &[Slot]) {
        while let Some(f) = self.0.front()
            && !f.live(slots)
        {
            self.0.pop_front();
        }
        // The next trim checks the entry behind the front: on a big desk its agent's slot is
        // long out of the cache by then (measured on 100,000 agents: 2–4% less CPU).
        if slots.len() > crate::prefetch::MANY_AGENTS
            && let Some(next) = self.0.get(1)
        {
            crate::prefetch::prefetch(&slots[next.agent as usize]);
        }
    }

    #[inline]
    fn front(&self) -> Option<&Entry> {
        self.0.front()
    }
}

/// A set of small integers with "first member at or after" in a few word reads.
#[derive(Debug, Clone, Default)]
struct Bits {
    words: Vec<u64>,
    /// Bit `w` is set when `words[w]` is not zero.
    summary: Vec<u64>,
}

impl Bits {
    fn new(n: usize) -> Bits {
        let words = n.div_ceil(64);
        Bits {
            words: vec![0; words],
            summary: vec![0; words.div_ceil(64)],
        }
    }

    fn set(&mut self, i: usize, on: bool) {
        let (w, b) = (i / 64, 1u64 << (i % 64));
        if on {
            self.words[w] |= b;
        } else {
            self.words[w] &= !b;
        }
        let (s, sb) = (w / 64, 1u64 << (w % 64));
        if self.words[w] != 0 {
            self.summary[s] |= sb;
        } else {
            self.summary[s] &= !sb;
        }
    }

    /// The first member `>= from`.
    fn first_from(&self, from: usize) -> Option<usize> {
        let w = from / 64;
        let here = *self.words.get(w)? & (!0u64 << (from % 64));
        if here != 0 {
            return Some(w * 64 + here.trailing_zeros() as usize);
        }
        // The next non-empty word after `w`, by the summary.
        let next = w + 1;
        let mut s = next / 64;
        let mut bits = *self.summary.get(s)? & (!0u64 << (next % 64));
        loop {
            if bits != 0 {
                let w = s * 64 + bits.trailing_zeros() as usize;
                return Some(w * 64 + self.words[w].trailing_zeros() as usize);
            }
            s += 1;
            bits = *self.summary.get(s)?;
        }
    }
}

/// Agents that belong to the same targets with the same ranks, and indexes of those available.
#[derive(Debug, Clone, Default)]
struct Class {
    /// In id order.
    members: Vec<AgentId>,
    /// Members available now.
    live: u32,
    /// By load: one queue per load level (empty when no target of the class needs it).
    by_load: Vec<Fifo>,
    /// Bit `l` set when `by_load[l]` is not empty.
    levels: Vec<u64>,
    /// By time, when a target of the class needs it.
    by_time: Option<Fifo>,
    /// By position, when a target of the class needs it.
    by_id: Option<Bits>,
    /// Whether a target of the class is `random` (only then are the agents' places in
    /// `Board::random` read: on a big desk each read is a cache miss).
    random: bool,
}

impl Class {
    /// The front of the lowest non-empty load level.
    #[inline]
    fn least_loaded(&self) -> Option<(u32, &Entry)> {
        for (w, &bits) in self.levels.iter().enumerate() {
            if bits != 0 {
                let l = w * 64 + bits.trailing_zeros() as usize;
                return self.by_load[l].front().map(|e| (l as u32, e));
            }
        }
        None
    }

    fn set_level(&mut self, l: usize) {
        let bit = 1u64 << (l % 64);
        if self.by_load[l].0.is_empty() {
            self.levels[l / 64] &= !bit;
        } else {
            self.levels[l / 64] |= bit;
        }
    }
}

/// A target: its strategy and its classes, each with the rank its members have here.
#[derive(Debug, Clone)]
struct TargetIndex {
    strategy: Strategy,
    /// Range into `Board::ranks`.
    classes: (u32, u32),
    /// `round_robin`: the agent this target chose last, if it is a member.
    cursor: Option<AgentId>,
    /// `random`: member positions in any order, with each position's place there (or `NONE`).
    avail: Vec<u32>,
    place: Vec<u32>,
}

const NONE: u32 = u32::MAX;

/// The agents' state and indexes of who can take a chat now.
#[derive(Debug, Clone)]
pub struct Board {
    slots: Vec<Slot>,
    classes: Vec<Class>,
    targets: Vec<TargetIndex>,
    /// (class, rank) of every target's classes: the rank is what the strategy orders by before
    /// load (0 for `least_busy`), the same for all the class's members.
    ranks: Vec<(u32, u32)>,
    on_shift: Vec<u32>,
    /// Per agent, a range into `random`: its (target, position) in each `random` target.
    random_of: Vec<(u32, u32)>,
    random: Vec<(u32, u32)>,
}

/// What a strategy orders by before load, for an agent whose score in the target is `score`.
/// Clamped to 16 bits as the packed keys of earlier versions were, so ties fall as they did.
fn rank(model: &Model, strategy: Strategy, a: AgentId, score: u32) -> u32 {
    let max = u16::MAX as u32;
    match strategy {
        Strategy::MostSkilled => max - score.min(max),
        Strategy::Cheapest => model.agents[a.ix()].cost_rank.min(max),
        _ => 0,
    }
}

impl Board {
    /// A board with every agent off shift and idle.
    pub fn new(model: &Model) -> Board {
        let mut slots = vec![Slot::default(); model.agents.len()];
        let mut classes: Vec<Class> = Vec::new();
        let mut ids: HashMap<Vec<(u32, u32)>, u32> = HashMap::new();
        let mut random_of = Vec::with_capacity(model.agents.len());
        let mut random = Vec::new();
        // The key of the agent before and its class: the agents of one `[[agents]]` entry are
        // neighbours with one key, so most agents take their class from the one before without
        // a key of their own allocated and hashed (which was most of a 100,000-agent start).
        let mut key: Vec<(u32, u32)> = Vec::new();
        let mut prev: Vec<(u32, u32)> = Vec::new();
        let mut prev_class: Option<u32> = None;
        for (a, agent) in model.agents.iter().enumerate() {
            let id = AgentId(a as u32);
            key.clear();
            key.extend(agent.memberships.iter().map(|m| {
                let s = model.targets[m.target.ix()].strategy;
                (m.target.0, rank(model, s, id, m.score))
            }));
            let c = match prev_class {
                Some(c) if prev == key => c,
                _ => {
                    let c = match ids.get(&key) {
                        Some(&c) => c,
                        None => {
                            let next = classes.len() as u32;
                            ids.insert(key.clone(), next);
                            classes.push(Class::default());
                            next
                        }
                    };
                    std::mem::swap(&mut key, &mut prev);
                    prev_class = Some(c);
                    c
                }
            };
            let class = &mut classes[c as usize];
            class.members.push(id);
            slots[a] = Slot {
                cap: agent.max_chats,
                class: c,
                local: class.members.len() as u32 - 1,
                ..Slot::default()
            };
            let start = random.len() as u32;
            for m in &agent.memberships {
                if model.targets[m.target.ix()].strategy == Strategy::Random {
                    random.push((m.target.0, m.pos));
                }
            }
            random_of.push((start, random.len() as u32));
        }
        let mut of_target: Vec<Vec<(u32, u32)>> = vec![Vec::new(); model.targets.len()];
        for (c, class) in classes.iter_mut().enumerate() {
            let first = class.members[0];
            let cap = class
                .members
                .iter()
                .map(|a| model.agents[a.ix()].max_chats)
                .max()
                .unwrap_or(0) as usize;
            for m in &model.agents[first.ix()].memberships {
                let strategy = model.targets[m.target.ix()].strategy;
                of_target[m.target.ix()].push((c as u32, rank(model, strategy, first, m.score)));
                match strategy {
                    Strategy::LeastBusy | Strategy::MostSkilled | Strategy::Cheapest => {
                        if class.by_load.is_empty() {
                            class.by_load = vec![Fifo::default(); cap];
                            class.levels = vec![0; cap.div_ceil(64)];
                        }
                    }
                    Strategy::LongestIdle => {
                        class.by_time.get_or_insert_with(Fifo::default);
                    }
                    Strategy::RoundRobin => {
                        if class.by_id.is_none() {
                            class.by_id = Some(Bits::new(class.members.len()));
                        }
                    }
                    Strategy::Random => class.random = true,
                }
            }
        }
        let mut ranks = Vec::new();
        let targets = model
            .targets
            .iter()
            .zip(of_target)
            .map(|(t, of)| {
                debug_assert!(
                    t.members.windows(2).all(|w| w[0] < w[1]),
                    "a target's members are in id order"
                );
                let start = ranks.len() as u32;
                ranks.extend(of);
                let random = t.strategy == Strategy::Random;
                TargetIndex {
                    strategy: t.strategy,
                    classes: (start, ranks.len() as u32),
                    cursor: None,
                    avail: Vec::new(),
                    place: if random {
                        vec![NONE; t.members.len()]
                    } else {
                        Vec::new()
                    },
                }
            })
            .collect();
        Board {
            slots,
            classes,
            targets,
            ranks,
            on_shift: vec![0; model.targets.len()],
            random_of,
            random,
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
        self.slots[a.ix()].state
    }

    /// Starts loading the agent's state into the cache, for a change that comes soon.
    #[inline]
    pub fn prefetch(&self, a: AgentId) {
        crate::prefetch::prefetch(&self.slots[a.ix()]);
    }

    /// Whether the agent can take a chat now: on shift and below cap.
    #[inline]
    pub fn available(&self, _model: &Model, a: AgentId) -> bool {
        self.slots[a.ix()].available()
    }

    /// Applies `change` to an agent's state, keeping its class's indexes in step. Costs the
    /// same whatever the number of the agent's targets, except for counts of agents on shift
    /// (when the shift changes) and `random` targets (when the availability changes).
    #[inline]
    fn update(&mut self, model: &Model, a: AgentId, change: impl FnOnce(&mut AgentState)) {
        let s = &mut self.slots[a.ix()];
        let (old, was) = (s.state, s.available());
        change(&mut s.state);
        s.stamp = s.stamp.wrapping_add(1);
        let s = *s;
        let (new, now) = (s.state, s.available());
        if old.on_shift != new.on_shift {
            for m in &model.agents[a.ix()].memberships {
                let n = &mut self.on_shift[m.target.ix()];
                *n = if new.on_shift { *n + 1 } else { *n - 1 };
            }
        }
        let class = &mut self.classes[s.class as usize];
        if was != now {
            class.live = if now { class.live + 1 } else { class.live - 1 };
            if let Some(bits) = &mut class.by_id {
                bits.set(s.local as usize, now);
            }
            let (start, end) = if class.random {
                self.random_of[a.ix()]
            } else {
                (0, 0)
            };
            for &(t, pos) in &self.random[start as usize..end as usize] {
                let TargetIndex { avail, place, .. } = &mut self.targets[t as usize];
                if now {
                    place[pos as usize] = avail.len() as u32;
                    avail.push(pos);
                } else {
                    let i = place[pos as usize] as usize;
                    avail.swap_remove(i);
                    if let Some(&moved) = avail.get(i) {
                        place[moved as usize] = i as u32;
                    }
                    place[pos as usize] = NONE;
                }
            }
        }
        let entry = Entry {
            time: new.last_change,
            agent: a.0,
            stamp: s.stamp,
        };
        let slots = &self.slots;
        if !class.by_load.is_empty() {
            if now {
                let l = new.load as usize;
                class.by_load[l].push(entry, slots, class.live);
                class.set_level(l);
            }
            if was {
                let l = old.load as usize;
                class.by_load[l].trim(slots);
                class.set_level(l);
            }
        }
        if let Some(q) = &mut class.by_time {
            if now {
                q.push(entry, slots, class.live);
            }
            if was {
                q.trim(slots);
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
    #[inline(always)]
    pub fn assign(&mut self, model: &Model, a: AgentId, target: TargetId, now: SimTime) {
        debug_assert!(
            self.available(model, a),
            "assigning to an unavailable agent"
        );
        self.update(model, a, |s| {
            s.load += 1;
            s.last_change = now;
        });
        self.chosen(model, a, target);
    }

    /// Records that `a` finished a chat and at once took another, offered through `target`:
    /// what [`Board::release`] and then [`Board::assign`] at `now` would make of the board, in
    /// one change. An agent at its cap stays unavailable throughout, so none of its class's
    /// indexes is touched (two changes would have added it to one and taken it out again).
    #[inline(always)]
    pub fn hand_over(&mut self, model: &Model, a: AgentId, target: TargetId, now: SimTime) {
        debug_assert!(
            self.slots[a.ix()].state.load > 0 && self.slots[a.ix()].state.on_shift,
            "handing over from an idle agent or one off shift"
        );
        let s = &mut self.slots[a.ix()];
        if s.available() {
            self.update(model, a, |s| s.last_change = now);
        } else {
            // At its cap before and after: what `update` does for a change that leaves the
            // agent unavailable, without the call (most hand-overs on a busy desk).
            s.state.last_change = now;
            s.stamp = s.stamp.wrapping_add(1);
        }
        self.chosen(model, a, target);
    }

    /// `round_robin`: the target's next choice starts after `a`, if it is a member.
    #[inline]
    fn chosen(&mut self, model: &Model, a: AgentId, target: TargetId) {
        let t = &mut self.targets[target.ix()];
        if t.strategy == Strategy::RoundRobin {
            let member = model.targets[target.ix()].members.binary_search(&a).is_ok();
            t.cursor = member.then_some(a);
        }
    }

    /// Records that `a` finished a chat.
    #[inline(always)]
    pub fn release(&mut self, model: &Model, a: AgentId, now: SimTime) {
        debug_assert!(self.slots[a.ix()].state.load > 0, "releasing an idle agent");
        self.update(model, a, |s| {
            s.load -= 1;
            s.last_change = now;
        });
    }

    /// The agent the target's strategy chooses among its available agents, if any.
    #[inline(always)]
    pub fn pick<R: Rng + ?Sized>(
        &self,
        model: &Model,
        target: TargetId,
        rng: &mut R,
    ) -> Option<AgentId> {
        let t = &self.targets[target.ix()];
        let classes = &self.ranks[t.classes.0 as usize..t.classes.1 as usize];
        match t.strategy {
            Strategy::LeastBusy | Strategy::MostSkilled | Strategy::Cheapest => classes
                .iter()
                .filter_map(|&(c, rank)| {
                    let (load, e) = self.classes[c as usize].least_loaded()?;
                    Some((rank, load, e.time, e.agent))
                })
                .min()
                .map(|k| AgentId(k.3)),
            Strategy::LongestIdle => classes
                .iter()
                .filter_map(|&(c, _)| {
                    let e = self.classes[c as usize].by_time.as_ref()?.front()?;
                    Some((e.time, e.agent))
                })
                .min()
                .map(|k| AgentId(k.1)),
            Strategy::RoundRobin => {
                let first_from = |after: Option<AgentId>| {
                    classes
                        .iter()
                        .filter_map(|&(c, _)| {
                            let class = &self.classes[c as usize];
                            let from = match after {
                                None => 0,
                                Some(x) if self.slots[x.ix()].class == c => {
                                    self.slots[x.ix()].local as usize + 1
                                }
                                Some(x) => class.members.partition_point(|&m| m <= x),
                            };
                            let i = class.by_id.as_ref()?.first_from(from)?;
                            Some(class.members[i])
                        })
                        .min()
                };
                t.cursor
                    .and_then(|c| first_from(Some(c)))
                    .or_else(|| first_from(None))
            }
            Strategy::Random => {
                let members = &model.targets[target.ix()].members;
                (!t.avail.is_empty())
                    .then(|| members[t.avail[rng.random_range(0..t.avail.len())] as usize])
            }
        }
    }

    /// How many of a target's agents are on shift now.
    #[inline]
    pub fn on_shift_count(&self, target: TargetId) -> u32 {
        self.on_shift[target.ix()]
    }

    /// How many of a target's agents are available now.
    pub fn available_count(&self, target: TargetId) -> usize {
        let t = &self.targets[target.ix()];
        self.ranks[t.classes.0 as usize..t.classes.1 as usize]
            .iter()
            .map(|&(c, _)| self.classes[c as usize].live as usize)
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routing::tests::{model, random_desk};
    use rand::SeedableRng;
    use rand::rngs::Xoshiro256PlusPlus;
    use std::collections::BTreeSet;

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

    /// What each target should pick, by a scan of its members in team order: the strategy's
    /// key for the ordered ones, the member after the last one chosen for `round_robin`, and
    /// for `random` the draw from a list of available positions kept as the draws need it
    /// (appended when one becomes available, swap-removed when not).
    struct Scan {
        cursor: Vec<Option<usize>>,
        lists: Vec<Vec<usize>>,
    }

    impl Scan {
        fn new(m: &Model) -> Scan {
            Scan {
                cursor: vec![None; m.targets.len()],
                lists: vec![Vec::new(); m.targets.len()],
            }
        }

        /// Keeps the `random` lists after `a`'s availability went from `was` to `now`.
        fn changed(&mut self, m: &Model, a: AgentId, was: bool, now: bool) {
            for (t, target) in m.targets.iter().enumerate() {
                let Some(pos) = target.members.iter().position(|&x| x == a) else {
                    continue;
                };
                let list = &mut self.lists[t];
                if now && !was {
                    list.push(pos);
                } else if was && !now {
                    let i = list.iter().position(|&p| p == pos).unwrap();
                    list.swap_remove(i);
                }
            }
        }

        fn assigned(&mut self, m: &Model, a: AgentId, t: TargetId) {
            self.cursor[t.ix()] = m.targets[t.ix()].members.iter().position(|&x| x == a);
        }

        fn pick(&self, m: &Model, b: &Board, t: TargetId, rng: &mut impl Rng) -> Option<AgentId> {
            let target = &m.targets[t.ix()];
            let avail = |&(_, &a): &(usize, &AgentId)| b.available(m, a);
            let members = target.members.iter().enumerate();
            let score = |a: AgentId| {
                m.agents[a.ix()]
                    .memberships
                    .iter()
                    .find(|ms| ms.target == t)
                    .unwrap()
                    .score
            };
            match target.strategy {
                Strategy::RoundRobin => {
                    let after = self.cursor[t.ix()].map_or(0, |c| c + 1);
                    let mut open = members.filter(avail);
                    let first = open.clone().next();
                    open.find(|&(p, _)| p >= after).or(first).map(|(_, &a)| a)
                }
                Strategy::Random => {
                    let list = &self.lists[t.ix()];
                    (!list.is_empty())
                        .then(|| target.members[list[rng.random_range(0..list.len())]])
                }
                s => members.filter(avail).map(|(_, &a)| a).min_by_key(|&a| {
                    let st = b.agent(a);
                    let cap = |x: u32| x.min(u16::MAX as u32);
                    let first = match s {
                        Strategy::MostSkilled => u16::MAX as u32 - cap(score(a)),
                        Strategy::Cheapest => cap(m.agents[a.ix()].cost_rank),
                        _ => 0,
                    };
                    let load = if s == Strategy::LongestIdle {
                        0
                    } else {
                        st.load
                    };
                    (first, load, st.last_change, a)
                }),
            }
        }
    }

    #[test]
    fn every_target_picks_as_a_scan_of_its_members_through_random_histories() {
        for seed in 0..300u64 {
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
            let m = random_desk(&mut rng);
            let (n, targets) = (m.agents.len() as u32, m.targets.len() as u32);
            let mut b = Board::new(&m);
            let mut scan = Scan::new(&m);
            for step in 0..400u64 {
                // Several changes share a moment, as at a shift change or a busy second.
                let now = SimTime(step / 3);
                let a = AgentId(rng.random_range(0..n));
                let was = b.available(&m, a);
                match rng.random_range(0..6) {
                    0 => b.set_on_shift(&m, a, !b.agent(a).on_shift, now),
                    1 | 2 if b.agent(a).load > 0 => b.release(&m, a, now),
                    _ => {
                        let t = TargetId(rng.random_range(0..targets));
                        // Both draw from a copy of the same stream, for `random`.
                        let mut r2 = rng.clone();
                        let picked = b.pick(&m, t, &mut rng);
                        let expected = scan.pick(&m, &b, t, &mut r2);
                        assert_eq!(picked, expected, "seed {seed} step {step} target {t:?}");
                        if let Some(p) = picked {
                            let was = b.available(&m, p);
                            b.assign(&m, p, t, now);
                            scan.changed(&m, p, was, b.available(&m, p));
                            scan.assigned(&m, p, t);
                        }
                        continue;
                    }
                }
                scan.changed(&m, a, was, b.available(&m, a));
                for t in 0..targets {
                    let t = TargetId(t);
                    let mut r2 = rng.clone();
                    let expected = scan.pick(&m, &b, t, &mut r2);
                    assert_eq!(
                        b.pick(&m, t, &mut rng.clone()),
                        expected,
                        "seed {seed} step {step} target {t:?}"
                    );
                    let members = &m.targets[t.ix()].members;
                    let open = members.iter().filter(|&&x| b.available(&m, x)).count();
                    assert_eq!(b.available_count(t), open);
                    let on = members.iter().filter(|&&x| b.agent(x).on_shift).count();
                    assert_eq!(b.on_shift_count(t) as usize, on);
                }
            }
        }
    }

    /// A hand-over leaves the board as a release and an assignment at the same moment do: two
    /// boards through the same random histories, one handing over where the other releases
    /// and assigns, pick the same agents for every target and hold the same states.
    #[test]
    fn a_hand_over_is_a_release_and_an_assignment() {
        // Hand-overs, and those from an agent at its cap (which skip the indexes).
        let (mut handed, mut full) = (0, 0);
        for seed in 0..200u64 {
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
            let m = random_desk(&mut rng);
            let (n, targets) = (m.agents.len() as u32, m.targets.len() as u32);
            let (mut one, mut two) = (Board::new(&m), Board::new(&m));
            for step in 0..400u64 {
                let now = SimTime(step / 3);
                let a = AgentId(rng.random_range(0..n));
                let t = TargetId(rng.random_range(0..targets));
                let st = one.agent(a);
                match rng.random_range(0..6) {
                    0 => {
                        one.set_on_shift(&m, a, !st.on_shift, now);
                        two.set_on_shift(&m, a, !st.on_shift, now);
                    }
                    1 if st.load > 0 => {
                        one.release(&m, a, now);
                        two.release(&m, a, now);
                    }
                    2 | 3 if st.load > 0 && st.on_shift => {
                        one.release(&m, a, now);
                        one.assign(&m, a, t, now);
                        two.hand_over(&m, a, t, now);
                        handed += 1;
                        full += (st.load == m.agents[a.ix()].max_chats) as u32;
                    }
                    _ => {
                        if let Some(p) = one.pick(&m, t, &mut rng.clone()) {
                            one.assign(&m, p, t, now);
                            two.assign(&m, p, t, now);
                        }
                    }
                }
                for x in 0..n {
                    assert_eq!(one.agent(AgentId(x)), two.agent(AgentId(x)), "seed {seed}");
                }
                for t in (0..targets).map(TargetId) {
                    assert_eq!(
                        one.pick(&m, t, &mut rng.clone()),
                        two.pick(&m, t, &mut rng.clone()),
                        "seed {seed} step {step} target {t:?}"
                    );
                    assert_eq!(one.available_count(t), two.available_count(t));
                }
            }
        }
        assert!(
            handed > 10_000 && full > 2_000,
            "{handed} hand-overs, {full} at the cap"
        );
    }

    #[test]
    fn queues_stay_bounded_when_nobody_is_picked() {
        // Only assign and release, never a pick from the front: the sweep keeps the queues
        // within twice the available agents (plus a constant).
        let m = model("longest_idle");
        let mut b = Board::new(&m);
        for a in 0..6 {
            b.set_on_shift(&m, AgentId(a), true, SimTime::ZERO);
        }
        for step in 1..10_000u64 {
            let a = AgentId(1 + (step % 5) as u32);
            b.assign(&m, a, TargetId(0), SimTime(step));
            b.release(&m, a, SimTime(step));
        }
        let class = &b.classes[b.slots[0].class as usize];
        assert!(class.by_time.as_ref().unwrap().0.len() <= 2 * 6 + 33);
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(0);
        assert_eq!(b.pick(&m, TargetId(0), &mut rng), Some(AgentId(0)));
    }

    #[test]
    fn bits_find_the_first_member_from_a_place() {
        let mut bits = Bits::new(10_000);
        for i in [3, 64, 4_095, 4_096, 9_999] {
            bits.set(i, true);
        }
        assert_eq!(bits.first_from(0), Some(3));
        assert_eq!(bits.first_from(4), Some(64));
        assert_eq!(bits.first_from(65), Some(4_095));
        assert_eq!(bits.first_from(4_097), Some(9_999));
        assert_eq!(bits.first_from(10_000), None);
        bits.set(9_999, false);
        assert_eq!(bits.first_from(4_097), None);
    }
}
