//! [`Queues`]: the chats waiting, one queue per target and one per agent, in priority order.

use std::collections::{BTreeMap, HashMap};

use crate::model::{AgentId, Model, SimTime, TargetId};

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
///
/// An agent with a free slot asks for the first chat among its targets' queues. Agents that
/// belong to the same targets share a *class*, and each class keeps a bitset of its targets
/// whose queues hold a chat (set and cleared when a queue fills or empties, for every class
/// that has the target), so the question looks at those queues only, not at every target the
/// agent belongs to.
#[derive(Debug, Clone)]
pub struct Queues {
    queues: Vec<BTreeMap<QueueKey, u32>>,
    len: usize,
    targets: usize,
    /// Per agent, its class.
    class_of: Vec<u32>,
    /// Per class, the range of its words in `busy` and of its targets in `class_targets`.
    classes: Vec<(u32, u32)>,
    /// Bit `i` of a class's words: the queue of its `i`-th target holds a chat.
    busy: Vec<u64>,
    /// The targets of every class, in the order of its members' memberships.
    class_targets: Vec<u32>,
    /// Per target, a range into `bits`: the word of `busy` and the bit it has in each class.
    target_bits: Vec<(u32, u32)>,
    bits: Vec<(u32, u64)>,
}

impl Queues {
    /// Empty queues: one per target, then one per agent.
    pub fn new(model: &Model) -> Queues {
        let mut ids: HashMap<Vec<TargetId>, u32> = HashMap::new();
        let mut class_of = Vec::with_capacity(model.agents.len());
        let (mut classes, mut class_targets) = (Vec::new(), Vec::new());
        let mut of_target: Vec<Vec<(u32, u64)>> = vec![Vec::new(); model.targets.len()];
        let mut words = 0u32;
        for agent in &model.agents {
            let key: Vec<TargetId> = agent.memberships.iter().map(|m| m.target).collect();
            let next = classes.len() as u32;
            let c = *ids.entry(key).or_insert(next);
            if c == next {
                let start = class_targets.len() as u32;
                for (i, m) in agent.memberships.iter().enumerate() {
                    class_targets.push(m.target.0);
                    of_target[m.target.ix()].push((words + i as u32 / 64, 1 << (i % 64)));
                }
                classes.push((words, start));
                words += agent.memberships.len().div_ceil(64) as u32;
            }
            class_of.push(c);
        }
        let (mut target_bits, mut bits) = (Vec::new(), Vec::new());
        for of in of_target {
            let start = bits.len() as u32;
            bits.extend(of);
            target_bits.push((start, bits.len() as u32));
        }
        Queues {
            queues: vec![BTreeMap::new(); model.targets.len() + model.agents.len()],
            len: 0,
            targets: model.targets.len(),
            class_of,
            classes,
            busy: vec![0; words as usize],
            class_targets,
            target_bits,
            bits,
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

    /// Marks a target's queue as holding chats, or not, in every class that has the target.
    fn mark(&mut self, queue: QueueId, busy: bool) {
        let q = queue.0 as usize;
        if q >= self.targets {
            return; // a personal queue
        }
        let (start, end) = self.target_bits[q];
        for &(w, bit) in &self.bits[start as usize..end as usize] {
            let word = &mut self.busy[w as usize];
            *word = if busy { *word | bit } else { *word & !bit };
        }
    }

    /// Adds a chat to a queue.
    pub fn push(&mut self, queue: QueueId, key: QueueKey, chat: u32) {
        let q = &mut self.queues[queue.0 as usize];
        let was_empty = q.is_empty();
        let old = q.insert(key, chat);
        debug_assert!(old.is_none(), "chat queued twice");
        self.len += 1;
        if was_empty {
            self.mark(queue, true);
        }
    }

    /// Removes a chat from a queue (it left, or moved on to the next step).
    pub fn remove(&mut self, queue: QueueId, key: QueueKey) -> Option<u32> {
        let q = &mut self.queues[queue.0 as usize];
        let chat = q.remove(&key);
        self.len -= chat.is_some() as usize;
        if chat.is_some() && q.is_empty() {
            self.mark(queue, false);
        }
        chat
    }

    /// The waiting chat an agent with a free slot should take: the first in order among the
    /// heads of its personal queue and the queues of every target it belongs to. Returns the
    /// queue it waits in.
    pub fn next_for(&self, model: &Model, a: AgentId) -> Option<(QueueId, QueueKey, u32)> {
        let personal = QueueId::personal(model, a);
        let mut best = self.queues[personal.0 as usize]
            .first_key_value()
            .map(|(&key, &chat)| (personal, key, chat));
        let c = self.class_of[a.ix()] as usize;
        let (words, targets) = self.classes[c];
        let (end_words, _) = self
            .classes
            .get(c + 1)
            .copied()
            .unwrap_or((self.busy.len() as u32, 0));
        for (w, &word) in self.busy[words as usize..end_words as usize]
            .iter()
            .enumerate()
        {
            let mut word = word;
            while word != 0 {
                let i = w * 64 + word.trailing_zeros() as usize;
                word &= word - 1;
                let q = QueueId(self.class_targets[targets as usize + i]);
                if let Some((&key, &chat)) = self.queues[q.0 as usize].first_key_value()
                    && best.is_none_or(|b| key < b.1)
                {
                    best = Some((q, key, chat));
                }
            }
        }
        best
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routing::tests::{model, random_desk};
    use rand::rngs::Xoshiro256PlusPlus;
    use rand::{RngExt, SeedableRng};

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

    /// The chat an agent should take, by a look at the head of every queue it may take from.
    fn scan(q: &Queues, m: &Model, a: AgentId) -> Option<(QueueId, QueueKey, u32)> {
        let targets = m.agents[a.ix()]
            .memberships
            .iter()
            .map(|ms| QueueId(ms.target.0));
        targets
            .chain([QueueId::personal(m, a)])
            .filter_map(|id| {
                let (&k, &c) = q.queues[id.0 as usize].first_key_value()?;
                Some((id, k, c))
            })
            .min_by_key(|x| x.1)
    }

    #[test]
    fn every_agent_takes_the_chat_a_look_at_all_its_queues_finds() {
        for seed in 0..200u64 {
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
            let m = random_desk(&mut rng);
            let mut q = Queues::new(&m);
            let queues = (m.targets.len() + m.agents.len()) as u32;
            let mut waiting: Vec<(QueueId, QueueKey)> = Vec::new();
            for id in 0..600u64 {
                // Fill and drain in turns, so queues often run empty and fill again.
                let filling = (id / 50) % 2 == 0;
                if filling || waiting.is_empty() {
                    let queue = QueueId(rng.random_range(0..queues));
                    let key = QueueKey::new(
                        rng.random_range(0..3),
                        SimTime(rng.random_range(0..100)),
                        id,
                    );
                    q.push(queue, key, id as u32);
                    waiting.push((queue, key));
                } else {
                    let (queue, key) = waiting.swap_remove(rng.random_range(0..waiting.len()));
                    assert!(q.remove(queue, key).is_some());
                }
                assert_eq!(q.len(), waiting.len());
                for a in 0..m.agents.len() as u32 {
                    let a = AgentId(a);
                    assert_eq!(q.next_for(&m, a), scan(&q, &m, a), "seed {seed} chat {id}");
                }
            }
        }
    }

    #[test]
    fn an_agent_in_seventy_teams_sees_the_queues_past_its_first_sixty_four() {
        let teams: Vec<String> = (0..70).map(|t| format!("\"t{t}\"")).collect();
        let mut text = String::from("[simulation]\nduration = \"1h\"\n");
        for t in 0..70 {
            text += &format!("[[teams]]\nname = \"t{t}\"\n");
        }
        text += &format!(
            "[[agents]]\nname = \"a\"\ncount = 2\nteams = [{}]\n",
            teams.join(", ")
        );
        text += "[[traffic]]\nname = \"web\"\nrate = 1\nhandle_time = \"1m\"\n";
        let m = crate::scenario::parse_str("t.toml", &text).unwrap();
        let mut q = Queues::new(&m);
        for (t, arrival) in [(69, 5), (64, 3), (63, 4), (0, 6)] {
            q.push(QueueId(t), QueueKey::new(0, SimTime(arrival), t as u64), t);
        }
        let order: Vec<u32> = std::iter::from_fn(|| {
            let (t, k, c) = q.next_for(&m, AgentId(1))?;
            q.remove(t, k);
            Some(c)
        })
        .collect();
        assert_eq!(order, [64, 63, 69, 0]);
    }
}
