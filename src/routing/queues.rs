//! [`Queues`]: the chats waiting, one queue per target and one per agent, in priority order.

use std::collections::BTreeMap;

use crate::model::{AgentId, Model, SimTime};

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
            if let Some((&key, &chat)) = self.queues[q.0 as usize].first_key_value()
                && best.is_none_or(|b| key < b.1)
            {
                best = Some((q, key, chat));
            }
        }
        best
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routing::tests::model;

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
