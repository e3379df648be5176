//! Routing targets (teams, skill groups, the fallback) and each agent's memberships.

use super::rules::FallbackSpec;
use crate::model::*;

/// Builds routing targets (one per team, one per skill group a step names, and one over every
/// agent for a `[fallback]` that names no team)
/// and each agent's memberships and cost rank.
pub(super) fn build_targets(
    model: &mut Model,
    fallback: Option<FallbackSpec>,
    skill_targets: &[(TeamId, Vec<(u32, u32)>)],
) {
    for (a, agent) in model.agents.iter().enumerate() {
        for &t in &agent.teams {
            model.teams[t.ix()].members.push(AgentId(a as u32));
        }
    }
    model.targets = model
        .teams
        .iter()
        .enumerate()
        .map(|(i, t)| Target {
            name: t.name.clone(),
            team: Some(TeamId(i as u32)),
            strategy: t.strategy,
            members: t.members.clone(),
            require: Vec::new(),
        })
        .collect();
    for (team, require) in skill_targets {
        let t = &model.teams[team.ix()];
        let skills: Vec<String> = require
            .iter()
            .map(|&(s, l)| format!("{}>={l}", model.skills[s as usize]))
            .collect();
        let members = t
            .members
            .iter()
            .copied()
            .filter(|a| {
                require
                    .iter()
                    .all(|&(s, l)| model.agents[a.ix()].skills[s as usize] >= l)
            })
            .collect();
        model.targets.push(Target {
            name: format!("{} [{}]", t.name, skills.join(", ")),
            team: Some(*team),
            strategy: t.strategy,
            members,
            require: require.clone(),
        });
    }
    let everyone = |model: &mut Model, strategy| {
        model.targets.push(Target {
            name: "(fallback)".into(),
            team: None,
            strategy,
            members: (0..model.agents.len() as u32).map(AgentId).collect(),
            require: Vec::new(),
        });
        TargetId(model.targets.len() as u32 - 1)
    };
    model.fallback = match fallback {
        Some(FallbackSpec {
            team: Some(team),
            after_checks,
            ..
        }) => Some(Fallback {
            target: model.teams[team.ix()].target,
            after_checks,
        }),
        Some(FallbackSpec {
            team: None,
            after_checks,
            strategy,
        }) => Some(Fallback {
            target: everyone(model, strategy),
            after_checks,
        }),
        None => None,
    };
    // Each agent's memberships allocated once at their size: with 100,000 agents, growing
    // them a push at a time was an allocation and a copy more per agent, and room for three
    // more memberships each.
    let mut count = vec![0u32; model.agents.len()];
    for a in model.targets.iter().flat_map(|t| &t.members) {
        count[a.ix()] += 1;
    }
    for (agent, &n) in model.agents.iter_mut().zip(&count) {
        agent.memberships.reserve_exact(n as usize);
    }
    for (t, target) in model.targets.iter().enumerate() {
        for (pos, a) in target.members.iter().enumerate() {
            let agent = &mut model.agents[a.ix()];
            let score = match target.require.is_empty() {
                true => agent.level,
                false => target
                    .require
                    .iter()
                    .map(|&(s, _)| agent.skills[s as usize])
                    .sum(),
            };
            agent.memberships.push(Membership {
                target: TargetId(t as u32),
                pos: pos as u32,
                score,
            });
        }
    }
    let mut costs: Vec<f64> = model.agents.iter().map(|a| a.cost).collect();
    costs.sort_by(f64::total_cmp);
    costs.dedup();
    for a in &mut model.agents {
        a.cost_rank = costs.partition_point(|&c| c < a.cost) as u32;
    }
}
