//! [`decide`]: where a chat goes now, from its rule's action and route.

use rand::Rng;

use super::board::Board;
use super::queues::QueueId;
use crate::model::{Action, AgentId, Model, RuleId, SimTime, StepTarget, TargetId, TeamId};

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
#[inline(always)]
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
