//! Rules: conditions on a chat, the action they lead to, route steps, the fallback.

use super::desk::Bot;
use super::time::{Calendar, DAY, Shift, SimTime};
use super::{AttrId, NO_VALUE, TargetId, ValueId};

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
        /// Index in [`Model::calendars`](super::Model::calendars).
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
    /// Send the customer to another channel with an auto-reply (index in [`Model::channels`](super::Model::channels)).
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
    /// The message to a customer who left before an answer (the ticket is [`Tickets::missed`]).
    pub missed: bool,
    /// After a served chat: was your question resolved?
    pub resolved_check: bool,
    /// After a served chat: a rating request.
    pub rating: bool,
    /// The auto-reply of a redirect to another channel.
    pub redirect: bool,
}

/// Which tickets the desk creates (`[tickets]`), separate from the messages that go with them,
/// and who works them.
#[derive(Debug, Clone)]
pub struct Tickets {
    /// A ticket for every chat that gets the after-hours action.
    pub after_hours: bool,
    /// A ticket for every chat whose customer left before an answer and did not come back.
    pub missed: bool,
    /// Tickets become work for a team; `None`: they are only counted.
    pub work: Option<TicketWork>,
}

/// Tickets as work: a team's agents take them, one at a time each, when no chat waits for them
/// and they have a free slot.
#[derive(Debug, Clone)]
pub struct TicketWork {
    /// The team whose agents work the tickets.
    pub team: super::TeamId,
    /// How long one ticket takes (divided by the agent's `speed`).
    pub handle_time: super::Duration,
}

impl Default for Tickets {
    fn default() -> Self {
        Tickets {
            after_hours: true,
            missed: true,
            work: None,
        }
    }
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
