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
//!
//! Files: `rules` (which rule a chat follows: an ordered scan, and the index the simulator asks),
//! `board` (agents' state and availability indexes), `queues` (waiting chats), `decide` (where
//! the chat goes).

mod board;
mod decide;
mod queues;
mod rules;

pub use board::{AgentState, Board};
pub use decide::{ChatView, Decision, FALLBACK_STEP, Placement, decide, decide_escalation};
pub use queues::{QueueId, QueueKey, Queues};
pub use rules::{RuleIndex, choose_rule, failing_conditions};

#[cfg(test)]
pub(crate) mod tests {
    use crate::model::Model;
    use crate::scenario::parse_str;

    /// Six agents in one team with the given strategy: three cheap juniors holding 2 chats,
    /// three dearer seniors holding 3.
    pub(crate) fn model(strategy: &str) -> Model {
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
}
