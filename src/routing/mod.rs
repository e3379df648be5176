//! The routing core: a pure decision of where a chat goes.
//!
//! Given a chat (its matched rule and route step), the agents' state and a random source, the
//! core answers *which agent takes it now* or *which queue it waits in*; given an agent with a
//! free slot, it answers *which waiting chat it takes*. It knows nothing of events, clocks or
//! output: the simulator (and any load test) keeps a [`Board`] and [`Queues`] up to date and
//! asks.
//!
//! Speed: choosing an agent is a lookup, never a scan of the team, and an agent's change of load
//! or shift costs the same however many teams and skill groups it belongs to. Agents that
//! belong to the same targets with the same ranks there (as the agents of one `[[agents]]`
//! entry do) form a class, which keeps indexes of its *available* agents (on shift, below cap)
//! in the orders the strategies need; a target takes the best of its classes' bests (`board`).
//! Likewise an agent with a free slot looks only at those of its targets' queues that hold a
//! chat (`queues`).
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
    use rand::RngExt;
    use rand::rngs::Xoshiro256PlusPlus;

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

    pub(crate) const STRATEGIES: [&str; 6] = [
        "least_busy",
        "longest_idle",
        "round_robin",
        "random",
        "most_skilled",
        "cheapest",
    ];

    /// A random desk: teams of every strategy, agent groups in random sets of teams with random
    /// caps, levels, costs and skills, skill groups named by route steps, and a fallback over
    /// everyone.
    pub(crate) fn random_desk(rng: &mut Xoshiro256PlusPlus) -> Model {
        let mut text = String::from("[simulation]\nduration = \"1h\"\n");
        let teams = rng.random_range(1..5);
        for t in 0..teams {
            let s = STRATEGIES[rng.random_range(0..6)];
            text += &format!("[[teams]]\nname = \"t{t}\"\nstrategy = \"{s}\"\n");
        }
        for g in 0..teams + rng.random_range(0..3) {
            let mut in_teams: Vec<String> = (0..teams)
                .filter(|_| rng.random_bool(0.5))
                .map(|t| format!("\"t{t}\""))
                .collect();
            if g < teams {
                in_teams.push(format!("\"t{g}\"")); // every team has an agent
                in_teams.sort();
                in_teams.dedup();
            }
            text += &format!(
                "[[agents]]\nname = \"g{g}\"\ncount = {}\nteams = [{}]\nmax_chats = {}\n\
                 level = {}\ncost = {}\nskills = {{ x = {}, y = {} }}\n",
                rng.random_range(1..5),
                in_teams.join(", "),
                rng.random_range(1..4),
                rng.random_range(1..4),
                rng.random_range(0..3),
                rng.random_range(0..3),
                rng.random_range(0..3),
            );
        }
        text += "[[traffic]]\nname = \"web\"\nrate = 1\nhandle_time = \"1m\"\n";
        text += "[[rules]]\nname = \"r\"\nroute = [";
        for t in 0..teams {
            text += &format!(
                "{{ team = \"t{t}\", timeout = \"1m\" }}, \
                 {{ team = \"t{t}\", require = {{ x = 1 }}, timeout = \"1m\" }}, \
                 {{ team = \"t{t}\", require = {{ x = 1, y = 2 }}, timeout = \"1m\" }}, "
            );
        }
        text += "{ team = \"t0\" }]\n";
        let s = STRATEGIES[rng.random_range(0..6)];
        text += &format!("[fallback]\nstrategy = \"{s}\"\n");
        crate::scenario::parse_str("t.toml", &text).unwrap()
    }
}
