//! Teams, agents, escalations and the concurrency slowdown.

use std::collections::HashMap;

use toml::Spanned;

use super::Compiler;
use crate::model::*;
use crate::scenario::limits;
use crate::scenario::raw::*;

/// One agent of an `[[agents]]` entry, before the entry's shared keys are added.
struct Member {
    name: String,
    shift: Option<Roster>,
    /// `path:line` of its row, when it comes from a roster file.
    at: Option<String>,
}

/// The agents of an `[[agents]]` entry: `NAME-1` … `NAME-N` (or `NAME` alone) with one shift,
/// made one at a time as they are added (a desk may have 100,000 of them, and a list of them
/// all would only be copied into the model), or a list (a staffing curve, a roster file).
enum Members {
    Counted {
        base: String,
        count: Option<u32>,
        shift: Option<Roster>,
    },
    Listed(Vec<Member>),
}

impl Members {
    /// How many (at most [`limits::MAX_AGENTS`]: counts are checked before).
    fn len(&self) -> usize {
        match self {
            Members::Counted { count, .. } => count.unwrap_or(1) as usize,
            Members::Listed(list) => list.len(),
        }
    }

    fn into_iter(self) -> Box<dyn Iterator<Item = Member>> {
        match self {
            Members::Counted { base, count, shift } => {
                Box::new(expand(base, count).map(move |name| Member {
                    name,
                    shift: shift.clone(),
                    at: None,
                }))
            }
            Members::Listed(list) => Box::new(list.into_iter()),
        }
    }
}

/// The names of `count` identical agents, `NAME-1` … `NAME-N`; without a count, the name alone.
fn expand(base: String, count: Option<u32>) -> impl Iterator<Item = String> {
    let alone = count.is_none().then(|| base.clone());
    (1..=count.unwrap_or(0))
        .map(move |k| {
            // Without `format!`: a desk may have 100,000 of them.
            let mut digits = itoa::Buffer::new();
            let k = digits.format(k);
            let mut name = String::with_capacity(base.len() + 1 + k.len());
            name.push_str(&base);
            name.push('-');
            name.push_str(k);
            name
        })
        .chain(alone)
}

/// Where an agent name was defined: an `[[agents]]` entry, or a roster file's row.
#[derive(Debug, Clone, PartialEq)]
enum Place {
    Entry(usize),
    Row(String),
}

impl std::fmt::Display for Place {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Place::Entry(i) => write!(f, "agents[{i}]"),
            Place::Row(at) => f.write_str(at),
        }
    }
}

/// The agents' names so far, to find a name defined twice. An open-addressing table of
/// indexes into the agents, whose own names are compared, so that no name is copied to be a
/// key (a `HashMap<String, _>` allocated a key per agent, most of a 100,000-agent start with
/// the place's `format!`). Where a name was defined is worked out only for a duplicate.
struct Names {
    /// Agent index + 1 in each slot, 0 when free; a power of two long, at most half full.
    slots: Vec<u32>,
    used: usize,
    hasher: std::hash::RandomState,
    /// The entry each agent index from here on comes from: (first agent, entry), in order.
    entries: Vec<(u32, usize)>,
    /// The roster row of agents from a roster file, by agent index, in order.
    rows: Vec<(u32, String)>,
    /// Names a duplicate has redefined since: the duplicate's place is the one reported next
    /// (as the map of names to places kept the latest).
    redefined: HashMap<u32, Place>,
}

impl Names {
    fn new() -> Names {
        Names {
            slots: vec![0; 64],
            used: 0,
            hasher: std::hash::RandomState::new(),
            entries: Vec::new(),
            rows: Vec::new(),
            redefined: HashMap::new(),
        }
    }

    /// Where `name` is among the agents: `Err` with the index of the agent who has it, or
    /// `Ok` with the free slot it would take.
    fn find(&self, name: &str, agents: &[Agent]) -> Result<usize, u32> {
        use std::hash::BuildHasher;
        let mask = self.slots.len() - 1;
        let mut i = self.hasher.hash_one(name) as usize & mask;
        loop {
            match self.slots[i] {
                0 => return Ok(i),
                k if agents[k as usize - 1].name == name => return Err(k - 1),
                _ => i = (i + 1) & mask,
            }
        }
    }

    /// Room for `n` more names without the table growing (each growth hashes every name
    /// again).
    fn reserve(&mut self, n: usize, agents: &[Agent]) {
        let want = (self.used + n).saturating_mul(2).next_power_of_two();
        if want > self.slots.len() {
            self.rehash(want, agents);
        }
    }

    /// The table at `len` slots, each agent at its place there.
    fn rehash(&mut self, len: usize, agents: &[Agent]) {
        let old = std::mem::replace(&mut self.slots, vec![0; len]);
        for k in old.into_iter().filter(|&k| k != 0) {
            if let Ok(i) = self.find(&agents[k as usize - 1].name, agents) {
                self.slots[i] = k;
            }
        }
    }

    /// The place of agent `k` as it was first defined, or of the duplicate that redefined its
    /// name last; from now on, `place` is where the name counts as defined.
    fn redefine(&mut self, k: u32, place: Place) -> Place {
        let prev = self.redefined.insert(k, place);
        prev.unwrap_or_else(|| self.place_of(k))
    }

    /// The last of `agents` has just been added, from `place`, at `slot` (from [`Names::find`]
    /// before it was added).
    fn insert(&mut self, slot: usize, place: Place, agents: &[Agent]) {
        let ix = agents.len() as u32 - 1;
        match place {
            Place::Entry(e) => {
                if self.entries.last().is_none_or(|&(_, last)| last != e) {
                    self.entries.push((ix, e));
                }
            }
            Place::Row(at) => self.rows.push((ix, at)),
        }
        self.slots[slot] = ix + 1;
        self.used += 1;
        if self.used * 2 > self.slots.len() {
            self.rehash(2 * self.slots.len(), agents);
        }
    }

    /// The place of agent `k`, as it was added.
    fn place_of(&self, k: u32) -> Place {
        if let Ok(r) = self.rows.binary_search_by_key(&k, |r| r.0) {
            return Place::Row(self.rows[r].1.clone());
        }
        let e = self.entries.partition_point(|&(first, _)| first <= k);
        Place::Entry(self.entries[e - 1].1)
    }
}

impl Compiler<'_> {
    pub(super) fn teams(&mut self, raw: &RawScenario) -> (Vec<Team>, HashMap<String, TeamId>) {
        if raw.teams.is_empty() {
            self.err(
                "teams",
                None,
                "no [[teams]]: a scenario needs at least one team",
            );
        }
        let mut ix: HashMap<String, TeamId> = HashMap::new();
        let mut teams = Vec::new();
        for (i, t) in raw.teams.iter().enumerate() {
            let t = t.get_ref();
            let name = t.name.get_ref().trim();
            if name.is_empty() {
                self.err(
                    format!("teams[{i}].name"),
                    Some(t.name.span()),
                    "a team needs a name",
                );
            } else if let Some(first) = ix.get(name) {
                // The name stays the first team's: agents that list it belong to that one.
                debug_assert!(first.ix() < i);
                self.err(
                    format!("teams[{i}].name"),
                    Some(t.name.span()),
                    format!("a team named \"{name}\" is already defined"),
                );
            } else {
                ix.insert(name.to_string(), TeamId(i as u32));
            }
            let strategy = t.strategy.unwrap_or(Strategy::LeastBusy);
            let wrap_up = t
                .wrap_up
                .as_ref()
                .and_then(|w| self.duration(format!("teams[{i}].wrap_up"), w));
            teams.push(Team {
                name: name.to_string(),
                strategy,
                members: Vec::new(),
                target: TargetId(i as u32),
                escalate: None,
                wrap_up,
            });
        }
        (teams, ix)
    }

    pub(super) fn team_ref(
        &mut self,
        key: String,
        name: &Spanned<String>,
        ix: &HashMap<String, TeamId>,
    ) -> Option<TeamId> {
        let found = ix.get(name.get_ref().as_str()).copied();
        if found.is_none() {
            let mut known: Vec<&str> = ix.keys().map(String::as_str).collect();
            known.sort_unstable();
            self.err(
                key,
                Some(name.span()),
                format!("no team named \"{}\"", name.get_ref()),
            )
            .hint = Some(format!("teams defined: {}", known.join(", ")));
        }
        found
    }

    pub(super) fn agents(
        &mut self,
        raw: &RawScenario,
        team_ix: &HashMap<String, TeamId>,
    ) -> Vec<Agent> {
        if raw.agents.is_empty() {
            self.err(
                "agents",
                None,
                "no [[agents]]: a scenario needs at least one agent",
            );
        }
        let mut agents: Vec<Agent> = Vec::new();
        // Each agent's name, and where it is defined.
        let mut names = Names::new();
        for (i, a) in raw.agents.iter().enumerate() {
            let (a_span, a) = (a.span(), a.get_ref());
            let base = a.name.get_ref().trim();
            if base.is_empty() {
                self.err(
                    format!("agents[{i}].name"),
                    Some(a.name.span()),
                    "an agent needs a name",
                );
            }
            let mut teams = Vec::new();
            for (j, t) in a.teams.iter().enumerate() {
                if let Some(id) = self.team_ref(format!("agents[{i}].teams[{j}]"), t, team_ix)
                    && !teams.contains(&id)
                {
                    teams.push(id);
                }
            }
            let max_chats = a.max_chats.as_ref().map_or(1, |m| *m.get_ref());
            if !(1..=limits::MAX_MAX_CHATS).contains(&max_chats) {
                let span = a.max_chats.as_ref().map(|m| m.span());
                self.err(
                    format!("agents[{i}].max_chats"),
                    span,
                    format!(
                        "max_chats must be between 1 and {}, got {max_chats}",
                        limits::MAX_MAX_CHATS
                    ),
                );
            }
            let cost = a.cost.as_ref().map_or(0.0, |c| *c.get_ref());
            if !(cost.is_finite() && (0.0..=limits::MAX_COST).contains(&cost)) {
                let span = a.cost.as_ref().map(|c| c.span());
                self.err(
                    format!("agents[{i}].cost"),
                    span,
                    format!(
                        "cost must be between 0 and {} per hour, got {}",
                        limits::num(limits::MAX_COST),
                        limits::num(cost)
                    ),
                );
            }
            let speed = a.speed.as_ref().map_or(1.0, |v| *v.get_ref());
            if !(speed.is_finite() && limits::SPEED.contains(&speed)) {
                self.err(
                    format!("agents[{i}].speed"),
                    a.speed.as_ref().map(|v| v.span()),
                    format!(
                        "speed must be between {} and {} (handle times are divided by it), got {}",
                        limits::SPEED.start(),
                        limits::SPEED.end(),
                        limits::num(speed)
                    ),
                );
            }
            // Checked before anything is allocated for the agents.
            let room = limits::MAX_AGENTS.saturating_sub(agents.len() as u64);
            let members = match &a.roster {
                // A staffing curve (an override): one agent per list of windows.
                None if a.windows.is_some() => Members::Listed(
                    a.windows
                        .iter()
                        .flatten()
                        .take(room as usize)
                        .enumerate()
                        .map(|(k, w)| Member {
                            name: format!("{base}-{}", k + 1),
                            shift: Some(Roster::new(w, &[])),
                            at: None,
                        })
                        .collect(),
                ),
                None => self.members(i, a, base, room),
                Some(file) => {
                    let given: Vec<&str> = [
                        ("shift", a.shift.is_some()),
                        ("breaks", a.breaks.is_some()),
                        ("count", a.count.is_some()),
                    ]
                    .iter()
                    .filter(|g| g.1)
                    .map(|g| g.0)
                    .collect();
                    if !given.is_empty() {
                        self.err(
                            format!("agents[{i}].roster"),
                            Some(file.span()),
                            format!(
                                "a roster file gives each agent its shift and breaks; drop {} here",
                                given.join("/")
                            ),
                        )
                        .hint = Some("the file's weekday columns give each row's shift, its break columns the breaks, and a count column identical agents".into());
                    }
                    let rows = self.roster_file(i, file, room);
                    if rows.is_empty() {
                        // One stands in for the group (the file is wrong, with a diagnostic),
                        // so its teams are not reported empty as well.
                        Members::Listed(vec![Member {
                            name: base.to_string(),
                            shift: None,
                            at: None,
                        }])
                    } else {
                        Members::Listed(
                            rows.into_iter()
                                .flat_map(|r| {
                                    expand(r.name, r.count).map(move |name| Member {
                                        name,
                                        shift: Some(r.roster.clone()),
                                        at: Some(r.at.clone()),
                                    })
                                })
                                .collect(),
                        )
                    }
                }
            };
            let absence = match &a.absence {
                None => 0.0,
                Some(v) if a.shift.is_none() && a.roster.is_none() && a.windows.is_none() => {
                    self.err(
                        format!("agents[{i}].absence"),
                        Some(v.span()),
                        "absence needs a shift: it is the chance of missing a whole shift",
                    );
                    0.0
                }
                Some(v) => self.share(format!("agents[{i}].absence"), v),
            };
            // The entry's skill levels, indexed by skill: registered by its first agent added
            // (the skills of an entry whose every agent is a duplicate are never registered).
            let mut levels: Option<Vec<u32>> = None;
            agents.reserve(members.len());
            names.reserve(members.len(), &agents);
            for Member { name, shift, at } in members.into_iter() {
                let slot = match names.find(&name, &agents) {
                    Ok(slot) => slot,
                    Err(k) => {
                        let prev =
                            names.redefine(k, at.clone().map_or(Place::Entry(i), Place::Row));
                        match at {
                            None => self.err(
                                format!("agents[{i}].name"),
                                Some(a_span.clone()),
                                format!("an agent named \"{name}\" is already defined by {prev}"),
                            ),
                            Some(at) => self.err(
                                format!("agents[{i}].roster"),
                                a.roster.as_ref().map(|r| r.span()),
                                format!(
                                    "{at}: an agent named \"{name}\" is already defined by {prev}"
                                ),
                            ),
                        };
                        continue;
                    }
                };
                let skills = match &levels {
                    Some(levels) => levels.clone(),
                    None => {
                        let mut skills = Vec::new();
                        for (name, &level) in &a.skills {
                            let id = self.skill(name) as usize;
                            skills.resize(skills.len().max(id + 1), 0);
                            skills[id] = level;
                        }
                        levels.insert(skills).clone()
                    }
                };
                agents.push(Agent {
                    name,
                    teams: teams.clone(),
                    max_chats: max_chats.max(1),
                    level: a.level.unwrap_or(1),
                    cost,
                    speed,
                    cost_rank: 0,
                    shift,
                    absence,
                    skills,
                    memberships: Vec::new(),
                });
                names.insert(slot, at.map_or(Place::Entry(i), Place::Row), &agents);
            }
        }
        for a in &mut agents {
            a.skills.resize(self.skills.len(), 0);
        }
        agents
    }

    /// `[tickets]`: which chats leave one, and (with `team` and `handle_time`) who works them.
    pub(super) fn tickets(
        &mut self,
        raw: &RawScenario,
        team_ix: &HashMap<String, TeamId>,
    ) -> Tickets {
        let Some(t) = &raw.tickets else {
            return Tickets::default();
        };
        let (span, t) = (t.span(), t.get_ref());
        let defaults = Tickets::default();
        let work = match (&t.team, &t.handle_time) {
            (None, None) => None,
            (Some(team), Some(handle)) => {
                let team = self.team_ref("tickets.team".into(), team, team_ix);
                let handle_time = self.duration("tickets.handle_time".into(), handle);
                team.zip(handle_time)
                    .map(|(team, handle_time)| TicketWork { team, handle_time })
            }
            (Some(_), None) | (None, Some(_)) => {
                self.err(
                    "tickets",
                    Some(span),
                    "ticket work needs both `team` and `handle_time`",
                )
                .hint = Some(
                    "write team = \"support\", handle_time = { dist = \"exponential\", mean = \"10m\" }, or neither to only count tickets"
                        .into(),
                );
                None
            }
        };
        Tickets {
            after_hours: t.after_hours.unwrap_or(defaults.after_hours),
            missed: t.missed.unwrap_or(defaults.missed),
            work,
        }
    }

    /// The agents of an entry without a roster file: one, or `count` of them, each with the
    /// entry's `shift`.
    fn members(&mut self, i: usize, a: &RawAgent, base: &str, room: u64) -> Members {
        let mut count = a.count.as_ref().map(|c| *c.get_ref());
        if count == Some(0) {
            self.err(
                format!("agents[{i}].count"),
                a.count.as_ref().map(|c| c.span()),
                "count must be at least 1",
            );
        } else if count.unwrap_or(1) as u64 > room {
            self.err(
                format!("agents[{i}].count"),
                a.count.as_ref().map(|c| c.span()),
                format!(
                    "too many agents: a scenario holds at most {} in all",
                    limits::MAX_AGENTS
                ),
            );
            // One stands in for them, so the rest of the file is still checked sensibly.
            count = None;
        }
        let shift = self.roster(i, a);
        Members::Counted {
            base: base.to_string(),
            count,
            shift,
        }
    }

    pub(super) fn check_team_sizes(&mut self, raw: &RawScenario, model: &Model) {
        for (i, t) in raw.teams.iter().enumerate() {
            let id = TeamId(i as u32);
            let name = &model.teams[i].name;
            // A team without a name, or with another's, is refused already; no agent can list it.
            let named =
                !name.is_empty() && model.teams.iter().position(|t| t.name == *name) == Some(i);
            if named && !model.agents.iter().any(|a| a.teams.contains(&id)) {
                self.err(
                    format!("teams[{i}]"),
                    Some(t.span()),
                    format!("team \"{name}\" has no agents"),
                )
                .hint = Some("list the team in some agent's `teams`, or remove it".into());
            }
        }
    }

    pub(super) fn escalations(
        &mut self,
        raw: &RawScenario,
        teams: &mut [Team],
        team_ix: &HashMap<String, TeamId>,
    ) {
        for (i, t) in raw.teams.iter().enumerate() {
            let Some(e) = &t.get_ref().escalate else {
                continue;
            };
            let key = format!("teams[{i}].escalate");
            let raw_e = e.get_ref();
            let share = self.share(format!("{key}.share"), &raw_e.share);
            let to = self.team_ref(format!("{key}.to"), &raw_e.to, team_ix);
            let handle_time = self.duration(format!("{key}.handle_time"), &raw_e.handle_time);
            if let (Some(to), Some(handle_time), Some(team)) = (to, handle_time, teams.get_mut(i)) {
                team.escalate = Some(Escalate {
                    share,
                    to,
                    handle_time,
                });
            }
        }
        // A chain of escalations must end: follow each team's chain; meeting a team twice is a loop.
        for start in 0..teams.len() {
            let mut seen = vec![start];
            let mut at = start;
            while let Some(next) = teams[at].escalate.as_ref().map(|e| e.to.ix()) {
                if seen.contains(&next) {
                    if next == start {
                        let path: Vec<&str> = seen
                            .iter()
                            .chain([&next])
                            .map(|&t| teams[t].name.as_str())
                            .collect();
                        let span = raw.teams[start]
                            .get_ref()
                            .escalate
                            .as_ref()
                            .map(|e| e.span());
                        self.err(
                            format!("teams[{start}].escalate.to"),
                            span,
                            format!("escalation loop: {}", path.join(" -> ")),
                        )
                        .hint = Some(
                            "escalation must end at a team that does not escalate further".into(),
                        );
                    }
                    break;
                }
                seen.push(next);
                at = next;
            }
        }
    }

    pub(super) fn slowdown(&mut self, raw: &RawScenario, agents: &[Agent]) -> Vec<f64> {
        let Some(s) = &raw.simulation.concurrency_slowdown else {
            return Vec::new();
        };
        let factors = s.get_ref().clone();
        if factors.iter().any(|f| !(f.is_finite() && *f > 0.0)) {
            self.err(
                "simulation.concurrency_slowdown",
                Some(s.span()),
                "every factor must be greater than zero",
            );
        }
        if let Some(a) = agents.iter().find(|a| a.max_chats as usize > factors.len()) {
            self.err(
                "simulation.concurrency_slowdown",
                Some(s.span()),
                format!(
                    "{} factors, but agent {} holds up to {} chats",
                    factors.len(),
                    a.name,
                    a.max_chats
                ),
            )
            .hint = Some(
                "give one factor per number of chats held, up to the largest max_chats".into(),
            );
        }
        factors
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::error::Error;
    use crate::scenario::{Overrides, compile_text};

    /// The messages of a scenario with these `[[agents]]` entries (TOML), in order.
    fn messages(agents: &str) -> Vec<String> {
        messages_of(&format!(
            "[simulation]\nduration = \"1h\"\n[[teams]]\nname = \"t\"\n{agents}\n\
             [[traffic]]\nname = \"web\"\nrate = 1\nhandle_time = \"1m\"\n"
        ))
    }

    /// The messages of a whole scenario, in order.
    fn messages_of(text: &str) -> Vec<String> {
        let ov = Overrides::default();
        match compile_text(Path::new("t.toml"), "t.toml", text, Path::new(""), &ov) {
            Err(Error::Scenario(d)) => d
                .items
                .iter()
                .map(|d| format!("{}: {}", d.key, d.message))
                .collect(),
            Err(e) => panic!("{e}"),
            Ok(_) => Vec::new(),
        }
    }

    #[test]
    fn a_name_defined_again_names_the_definition_before_it() {
        // A duplicate counts as the name's latest definition, so a third names the second.
        let e = messages(
            "[[agents]]\nname = \"a\"\ncount = 3\nteams = [\"t\"]\n\
             [[agents]]\nname = \"a-2\"\nteams = [\"t\"]\n\
             [[agents]]\nname = \"a-2\"\nteams = [\"t\"]\n\
             [[agents]]\nname = \"x\"\nteams = [\"t\"]\n\
             [[agents]]\nname = \"x\"\nteams = [\"t\"]\n\
             [[agents]]\nname = \"x\"\ncount = 1\nteams = [\"t\"]\n\
             [[agents]]\nname = \"x-1\"\nteams = [\"t\"]\n",
        );
        assert_eq!(
            e,
            [
                "agents[1].name: an agent named \"a-2\" is already defined by agents[0]",
                "agents[2].name: an agent named \"a-2\" is already defined by agents[1]",
                "agents[4].name: an agent named \"x\" is already defined by agents[3]",
                "agents[6].name: an agent named \"x-1\" is already defined by agents[5]",
            ]
        );
    }

    /// Names are read trimmed, so `"t "` is `"t"` again: only that is reported. The second
    /// team had taken the name over, and the first, whose agents list `"t"`, was said to have
    /// none.
    #[test]
    fn a_name_again_with_spaces_is_only_a_duplicate() {
        let desk = |team2: &str, agent2: &str, stream2: &str, rule2: &str| {
            format!(
                "[simulation]\nduration = \"1h\"\n\
                 [[teams]]\nname = \"t\"\n[[teams]]\nname = \"{team2}\"\n\
                 [[agents]]\nname = \"a\"\nteams = [\"t\"]\n\
                 [[agents]]\nname = \"{agent2}\"\nteams = [\"t\"]\n\
                 [[traffic]]\nname = \"web\"\nrate = 1\nhandle_time = \"1m\"\n\
                 [[traffic]]\nname = \"{stream2}\"\nrate = 1\nhandle_time = \"1m\"\n\
                 [[rules]]\nname = \"r\"\nroute = [{{ team = \"t\" }}]\n\
                 [[rules]]\nname = \"{rule2}\"\nroute = [{{ team = \"t\" }}]\n"
            )
        };
        for (team, agent, stream, rule) in [("t ", " a", "web ", " r "), (" t", "a ", " web", "r ")]
        {
            assert_eq!(
                messages_of(&desk(team, agent, stream, rule)),
                [
                    "teams[1].name: a team named \"t\" is already defined",
                    "agents[1].name: an agent named \"a\" is already defined by agents[0]",
                    "traffic[1].name: a traffic stream named \"web\" is already defined",
                    "rules[1].name: a rule named \"r\" is already defined",
                ]
            );
        }
        // A team of its own, unlisted by any agent, is still named.
        let e = messages_of(&desk("u", "b", "mail", "s"));
        assert_eq!(e, ["teams[1]: team \"u\" has no agents"]);
    }

    #[test]
    fn names_are_found_among_many_agents() {
        // Past the table's first size, with duplicates of early, middle and last agents.
        let e = messages(
            "[[agents]]\nname = \"a\"\ncount = 5000\nteams = [\"t\"]\n\
             [[agents]]\nname = \"b\"\nteams = [\"t\"]\n\
             [[agents]]\nname = \"a-1\"\nteams = [\"t\"]\n\
             [[agents]]\nname = \"a-2500\"\nteams = [\"t\"]\n\
             [[agents]]\nname = \"b\"\nteams = [\"t\"]\n\
             [[agents]]\nname = \"a-5000\"\nteams = [\"t\"]\n\
             [[agents]]\nname = \"a-5001\"\nteams = [\"t\"]\n",
        );
        assert_eq!(
            e,
            [
                "agents[2].name: an agent named \"a-1\" is already defined by agents[0]",
                "agents[3].name: an agent named \"a-2500\" is already defined by agents[0]",
                "agents[4].name: an agent named \"b\" is already defined by agents[1]",
                "agents[5].name: an agent named \"a-5000\" is already defined by agents[0]",
            ]
        );
    }

    #[test]
    fn counted_agents_are_named_in_order() {
        let names: Vec<String> = super::expand("s".into(), Some(3)).collect();
        assert_eq!(names, ["s-1", "s-2", "s-3"]);
        let names: Vec<String> = super::expand("s".into(), None).collect();
        assert_eq!(names, ["s"]);
    }
}
