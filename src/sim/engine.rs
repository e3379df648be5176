//! The engine: one replication's event loop, from arrivals to the last chat's record.

use std::collections::VecDeque;

use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};
use rand_distr::{Distribution, Exp1};

use super::chat::{Chat, Cold, NO_RULE, State};
use super::event::{Agenda, Kind};
use super::record::{
    AgentChange, ChangeCause, ChatRecord, Outcome, Recorder, RunResult, Service, TicketChange,
    TicketStep,
};
use super::replay::{Patience, ReplaySource, patience_beyond};
use crate::model::{
    AgentId, AttrChoice, AttrId, ChatContext, Escalate, Model, NO_VALUE, RuleId, SimTime,
    TICKS_PER_SEC, TeamId, Traffic, TrafficId, ValueId, WEEK,
};
use crate::prefetch::prefetch;
use crate::routing::{self, Board, ChatView, Decision, Placement, QueueKey, Queues, RuleIndex};

/// The seed of one random stream of one replication: SplitMix64 over (seed, replication, stream).
pub fn stream_seed(seed: u64, replication: u32, stream: u64) -> u64 {
    fn mix(mut z: u64) -> u64 {
        z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    mix(mix(mix(seed) ^ replication as u64) ^ stream)
}

/// Stream index of the absence draws (traffic streams count up from 0, rules' bots and
/// escalations down from `u64::MAX`).
const ABSENCE_STREAM: u64 = u64::MAX - 2;
/// Stream index of teams' wrap-up draws.
const WRAP_STREAM: u64 = u64::MAX - 3;
/// Stream index of retries: whether a customer comes back, when, and their new patience.
const RETRY_STREAM: u64 = u64::MAX - 4;
/// Stream index of tickets' handle times.
const TICKET_STREAM: u64 = u64::MAX - 5;

/// A ticket in the backlog or in an agent's hands.
#[derive(Debug, Clone, Copy)]
struct Ticket {
    opened: SimTime,
    /// The work, before the agent's speed.
    handle: SimTime,
    measured: bool,
}

/// Per agent, what the engine reads at every change of the agent besides the board, in one
/// place: on a desk of 100,000 agents almost every agent a chat reaches is out of cache, and
/// one line read here beats three (the slots in wrap-up, the ticket, the model's agent).
#[derive(Debug, Clone, Copy)]
struct Crew {
    /// The model's `speed`.
    speed: f64,
    /// Slots held by after-chat work.
    wrapping: u32,
    /// Works on a ticket (`ticket_of` holds it).
    ticket: bool,
}

/// Where a traffic stream's arrivals come from.
enum Source<'m> {
    /// A Poisson process: the stream's RNG and its next arrival in seconds (exact, unrounded).
    Poisson(Xoshiro256PlusPlus, f64),
    /// A chat log, read as the run goes.
    Replay(Box<ReplaySource<'m>>),
    /// A log that failed: no more arrivals (the replication is ending).
    Closed,
}

struct Engine<'m, R: Recorder, P: FnMut(u64)> {
    model: &'m Model,
    replication: u32,
    recorder: R,
    progress: P,
    now: SimTime,
    end: SimTime,
    /// Pending events, and each stream's next arrival.
    agenda: Agenda,
    board: Board,
    queues: Queues,
    rules: RuleIndex,
    chats: Vec<Chat>,
    /// Per chat slot, what only escalations and slowdowns need.
    cold: Vec<Cold>,
    free: Vec<u32>,
    /// Attribute values, `n_attrs` per chat slot.
    attrs: Vec<ValueId>,
    n_attrs: usize,
    next_id: u64,
    /// Per traffic stream, where its arrivals come from.
    streams: Vec<Source<'m>>,
    routing_rng: Xoshiro256PlusPlus,
    /// Draws for rules' bots (a rule is only known once the chat reaches routing).
    bot_rng: Xoshiro256PlusPlus,
    /// Draws for escalations (a team is only known once an agent has handled the chat).
    escalation_rng: Xoshiro256PlusPlus,
    /// Draws for teams' own wrap-up (the team is only known once an agent has handled the chat).
    wrap_rng: Xoshiro256PlusPlus,
    /// Draws for customers who come back (drawn when one gives up).
    retry_rng: Xoshiro256PlusPlus,
    /// Per agent, what the hot path reads besides the board (see [`Crew`]).
    crew: Vec<Crew>,
    /// Draws for tickets' handle times (drawn when a ticket is opened).
    ticket_rng: Xoshiro256PlusPlus,
    /// Tickets no agent has taken yet, oldest first.
    backlog: VecDeque<Ticket>,
    /// Per agent, the ticket it works on (one at a time).
    ticket_of: Vec<Option<Ticket>>,
    /// Per agent, the chats it holds (kept only with a concurrency slowdown).
    held: Vec<Vec<u32>>,
    flagged_now: u32,
    /// Chats with a bot now.
    in_bot: usize,
    result: RunResult,
    /// Whether the desk has more than [`PREFETCH_AGENTS`] agents.
    many_agents: bool,
    /// Whether the next ending chat's record is prefetched: on desks with many agents, or once
    /// more than [`PREFETCH_CHATS`] chat slots have been in use at once.
    prefetch_chats: bool,
    /// Whether a freed slot passes straight to the next waiting chat (see [`Engine::free_slot`]):
    /// on desks without a concurrency slowdown or tickets, and not in a test that compares.
    hand_over: bool,
}

/// Agents above which the engine prefetches an agent's records an event ahead and as a chat
/// starts (the threshold the board's own prefetch uses too). Below, they stay in the cache
/// anyway (some 150 bytes per agent across the board, the engine and the recorders).
const PREFETCH_AGENTS: usize = crate::prefetch::MANY_AGENTS;

/// Chat slots above which the engine prefetches the record of the next chat to end (on desks
/// with more than [`PREFETCH_AGENTS`] agents it always does). Below, the records (three cache
/// lines each, under 1 MB in all) stay in the second-level cache, and the hint would cost
/// instructions for nothing: 38 a chat, 1.6%, on M/M/100.
const PREFETCH_CHATS: usize = 4_096;

/// Runs one replication, giving every chat's record to `recorder`. `progress` is called now and
/// then with the simulated ticks elapsed since its last call.
pub fn run_replication<R: Recorder, P: FnMut(u64)>(
    model: &Model,
    replication: u32,
    recorder: R,
    progress: P,
) -> (RunResult, R) {
    let agenda = Agenda::new(model.traffic.len());
    run_with_agenda(model, replication, recorder, progress, agenda, true)
}

/// [`run_replication`] on a given (empty) agenda, and with or without hand-overs (see
/// [`Engine::free_slot`]): the tests give an agenda that renumbers early, and compare runs
/// without hand-overs.
fn run_with_agenda<R: Recorder, P: FnMut(u64)>(
    model: &Model,
    replication: u32,
    recorder: R,
    progress: P,
    agenda: Agenda,
    hand_over: bool,
) -> (RunResult, R) {
    let n_attrs = model.attributes.len();
    let many_agents = model.agents.len() > PREFETCH_AGENTS;
    let mut failure = None;
    let streams = (0..model.traffic.len())
        .map(|i| match &model.traffic[i].replay {
            None => Source::Poisson(
                Xoshiro256PlusPlus::seed_from_u64(stream_seed(
                    model.seed,
                    replication,
                    i as u64 + 1,
                )),
                0.0,
            ),
            Some(r) => {
                match ReplaySource::open(r, model.seed, replication, i, n_attrs, model.end()) {
                    Ok(src) => Source::Replay(Box::new(src)),
                    Err(e) => {
                        failure.get_or_insert(e);
                        Source::Closed
                    }
                }
            }
        })
        .collect();
    let mut e = Engine {
        model,
        replication,
        recorder,
        progress,
        now: SimTime::ZERO,
        end: model.end(),
        agenda,
        board: Board::new(model),
        queues: Queues::new(model),
        rules: RuleIndex::new(model),
        chats: Vec::new(),
        cold: Vec::new(),
        free: Vec::new(),
        attrs: Vec::new(),
        n_attrs,
        next_id: 0,
        streams,
        routing_rng: Xoshiro256PlusPlus::seed_from_u64(stream_seed(model.seed, replication, 0)),
        bot_rng: Xoshiro256PlusPlus::seed_from_u64(stream_seed(model.seed, replication, u64::MAX)),
        escalation_rng: Xoshiro256PlusPlus::seed_from_u64(stream_seed(
            model.seed,
            replication,
            u64::MAX - 1,
        )),
        wrap_rng: Xoshiro256PlusPlus::seed_from_u64(stream_seed(
            model.seed,
            replication,
            WRAP_STREAM,
        )),
        crew: model
            .agents
            .iter()
            .map(|a| Crew {
                speed: a.speed,
                wrapping: 0,
                ticket: false,
            })
            .collect(),
        retry_rng: Xoshiro256PlusPlus::seed_from_u64(stream_seed(
            model.seed,
            replication,
            RETRY_STREAM,
        )),
        ticket_rng: Xoshiro256PlusPlus::seed_from_u64(stream_seed(
            model.seed,
            replication,
            TICKET_STREAM,
        )),
        backlog: VecDeque::new(),
        ticket_of: vec![None; model.agents.len()],
        held: vec![Vec::new(); model.agents.len()],
        flagged_now: 0,
        in_bot: 0,
        result: RunResult {
            failure,
            ..RunResult::default()
        },
        many_agents,
        prefetch_chats: many_agents,
        hand_over: hand_over && model.slowdown.is_empty() && model.tickets.work.is_none(),
    };
    e.recorder.begin(model.warmup);
    e.init();
    e.run();
    e.finish();
    (e.result, e.recorder)
}

/// The steps every chat takes (its next arrival, rule, route, start of service, freed slot and
/// close) are `#[inline(always)]`, and so are the board's changes and picks they call: left to
/// itself the compiler kept them as calls, and each call saves and restores the registers its
/// caller holds. Inlined, M/M/100 took 6% less CPU (0.67 s to 0.63 s, least of six alternating
/// runs, with 4% fewer instructions); desk-1000 and 100,000 agents the same within 1.5%. The
/// recorders' `record` and `agent` stay calls: inlined too, they took M/M/100 back to 0.67 s.
impl<R: Recorder, P: FnMut(u64)> Engine<'_, R, P> {
    #[inline]
    fn schedule(&mut self, time: SimTime, kind: Kind) {
        self.agenda.schedule(time, kind);
    }

    fn init(&mut self) {
        let model = self.model;
        let week_time = model.week_time(SimTime::ZERO);
        for (a, agent) in model.agents.iter().enumerate() {
            let id = AgentId(a as u32);
            if agent.on_shift_at(week_time) && !self.absent(id, week_time) {
                self.board.set_on_shift(model, id, true, SimTime::ZERO);
                self.changed(id, ChangeCause::Shift);
            }
            if let Some(next) = agent.next_shift_change(week_time) {
                self.schedule(SimTime(next), Kind::Shift(a as u32));
            }
        }
        if model.warmup > SimTime::ZERO {
            self.schedule(model.warmup, Kind::WarmupEnd);
        }
        for s in 0..model.traffic.len() {
            self.schedule_arrival(s);
        }
    }

    /// Draws stream `s`'s next arrival by inverting its cumulative rate: an Exp(1) amount of
    /// "rate × time" is spent across the profile's constant-rate segments.
    #[inline(always)]
    fn schedule_arrival(&mut self, s: usize) {
        let traffic = &self.model.traffic[s];
        let (rng, t) = match &mut self.streams[s] {
            Source::Poisson(rng, t) => (rng, t),
            Source::Replay(src) => {
                match src.next_time() {
                    Ok(Some(at)) => self.agenda.arrival(at, s as u32),
                    Ok(None) => {}
                    Err(e) => self.fail(s, e),
                }
                return;
            }
            Source::Closed => return,
        };
        let mut budget: f64 = Exp1.sample(rng);
        let mut next = *t;
        let ramp = self.model.ramp.as_ref();
        if traffic.profile.points.len() == 1 && ramp.is_none() {
            next += budget / (traffic.rate * traffic.profile.points[0].1);
        } else {
            loop {
                let at = SimTime::from_secs_f64(next);
                let (mut mult, mut len) = traffic.profile.segment(self.model.week_time(at));
                // A ramp's steps cut the profile's segments.
                if let Some(r) = ramp {
                    let (by, until) = r.segment(at, self.model.warmup, TrafficId(s as u32));
                    (mult, len) = (mult * by, len.min(until));
                }
                let (rate, len) = (traffic.rate * mult, len as f64 / TICKS_PER_SEC as f64);
                if rate * len >= budget {
                    next += budget / rate;
                    break;
                }
                budget -= rate * len;
                next += len;
                if next >= self.end.as_secs_f64() {
                    break;
                }
            }
        }
        *t = next;
        let at = SimTime::from_secs_f64(next);
        if at < self.end {
            self.agenda.arrival(at, s as u32);
        }
    }

    /// A replayed log failed: its stream closes, and the replication ends after this event.
    #[cold]
    fn fail(&mut self, s: usize, e: String) {
        self.streams[s] = Source::Closed;
        self.result.failure.get_or_insert(e);
    }

    fn run(&mut self) {
        let mut reported = SimTime::ZERO;
        if self.result.failure.is_some() {
            self.end = self.now;
        }
        loop {
            if self.agenda.needs_renumber() && !self.renumber() {
                break;
            }
            let Some(ev) = self.agenda.next(self.end) else {
                break;
            };
            self.now = ev.time();
            // The next chat's end is known now: its record and its agent's start coming into
            // the cache while this event is handled (on a big desk they are long out of it;
            // on a small one they never leave it, and nothing is prefetched: PREFETCH_CHATS).
            if self.prefetch_chats
                && let Some((slot, agent)) = self.agenda.next_depart()
            {
                prefetch(&self.chats[slot as usize]);
                if self.many_agents {
                    self.prefetch_agent(AgentId(agent));
                }
            }
            self.result.events += 1;
            if self.result.events & 0xFFFF == 0 {
                (self.progress)(self.now.since(reported).0);
                reported = self.now;
            }
            let seq = ev.seq();
            match ev.kind() {
                Kind::Arrival(s) => self.arrive(s as usize),
                Kind::Depart { slot, .. } => self.depart(slot, seq),
                Kind::Abandon { slot } => self.abandon(slot, seq),
                Kind::Timeout { slot, step } => self.timeout(slot, seq, step),
                Kind::Shift(a) => self.shift(AgentId(a)),
                Kind::RedFlag { slot } => self.red_flag(slot, seq),
                Kind::BotDone { slot } => self.bot_done(slot, seq),
                Kind::WrapDone(a) => self.wrap_done(AgentId(a)),
                Kind::TicketDone(a) => self.ticket_done(AgentId(a)),
                Kind::Return { slot } => self.come_back(slot, seq),
                Kind::WarmupEnd => self.result.red_flag_peak = self.flagged_now,
            }
            if !self.recorder.keep_going() || self.result.failure.is_some() {
                self.end = self.now;
                break;
            }
        }
        (self.progress)(self.end.since(reported).0);
    }

    /// Renumbers the pending events (their sequence numbers are running out) and moves every
    /// chat's `valid_after` mark to the new numbers. False, with the replication failed, when
    /// too many events are pending for that.
    #[cold]
    fn renumber(&mut self) -> bool {
        let Some(old) = self.agenda.renumber() else {
            self.result.failure.get_or_insert_with(|| {
                "more events pending at once than the engine can order (about 55 million; a \
                 concurrency slowdown keeps the ends it reschedules pending until their time)"
                    .into()
            });
            self.end = self.now;
            return false;
        };
        for c in &mut self.chats {
            c.valid_after = old.partition_point(|&s| s <= c.valid_after) as u32;
        }
        true
    }

    /// Starts loading the records of an agent that changes soon.
    #[inline]
    fn prefetch_agent(&self, agent: AgentId) {
        prefetch(&self.crew[agent.ix()]);
        self.board.prefetch(agent);
        self.queues.prefetch(agent);
        self.recorder.prefetch_agent(agent);
    }

    fn alloc(&mut self) -> u32 {
        match self.free.pop() {
            Some(slot) => slot,
            None => {
                self.prefetch_chats |= self.chats.len() >= PREFETCH_CHATS;
                self.chats.push(Chat::EMPTY);
                self.cold.push(Cold::EMPTY);
                self.attrs
                    .extend(std::iter::repeat_n(NO_VALUE, self.n_attrs));
                (self.chats.len() - 1) as u32
            }
        }
    }

    fn arrive(&mut self, s: usize) {
        let model = self.model;
        let slot = self.alloc();
        let traffic = &model.traffic[s];
        let attrs =
            &mut self.attrs[slot as usize * self.n_attrs..(slot as usize + 1) * self.n_attrs];
        let drawn = match &mut self.streams[s] {
            Source::Poisson(rng, _) => {
                // Not `fill` on an empty slice: glibc's AVX-512 memset on the dangling pointer
                // of an empty slice measured 67 ns a call, 17% of an M/M/100 run without
                // attributes.
                if !attrs.is_empty() {
                    attrs.fill(NO_VALUE);
                }
                for (a, choice) in &traffic.attributes {
                    attrs[a.ix()] = choice.sample(rng);
                }
                let mut handle = traffic.handle_time.dist.sample(rng);
                if let Some(scale) = &traffic.handle_scale {
                    let (f, _) = scale.segment(model.week_time(self.now));
                    handle = SimTime::from_ticks_f64(handle.0 as f64 * f);
                }
                let patience = traffic.patience.as_ref().map(|p| p.dist.sample(rng));
                draw_rest(model, traffic, attrs, handle, patience, rng)
            }
            Source::Replay(src) => {
                let mut p = src.take();
                let fill = traffic.replay.as_ref().map_or(&[][..], |r| &r.fill[..]);
                let drawn = replayed(model, traffic, fill, attrs, &mut p);
                src.recycle(p);
                drawn
            }
            Source::Closed => unreachable!("a closed stream schedules no arrival"),
        };
        let Drawn {
            handle,
            patience,
            wrap,
            owner,
            bot,
        } = drawn;
        let id = self.next_id;
        self.next_id += 1;
        self.result.chats += 1;
        let c = &mut self.chats[slot as usize];
        *c = Chat {
            id,
            customer: id,
            valid_after: c.valid_after,
            state: State::Waiting,
            traffic: s as u32,
            owner,
            arrival: self.now,
            handle,
            wrap,
            patience,
            queued: self.now,
            had_bot: bot.is_some(),
            ..Chat::EMPTY
        };
        self.schedule_arrival(s);
        match bot {
            // A bot's chats count against max_waiting too: memory stays bounded whatever the
            // rate.
            Some(_) if self.waiting() >= self.model.max_waiting => {
                self.close(slot, Outcome::Blocked)
            }
            Some((time, resolves)) => self.start_bot(slot, 0, time, resolves),
            None => self.choose_rule(slot),
        }
    }

    /// Chats waiting: in a queue, or with a bot (both count against `max_waiting`).
    #[inline]
    fn waiting(&self) -> usize {
        self.queues.len() + self.in_bot
    }

    fn start_bot(&mut self, slot: u32, stage: u8, time: SimTime, resolves: bool) {
        let c = &mut self.chats[slot as usize];
        if !matches!(c.state, State::Bot { .. }) {
            self.in_bot += 1;
        }
        // The customer's patience runs from the first bot on: one who gives up while a bot
        // asks its questions is abandoned at the bot.
        let deadline = if c.deadline.is_some() {
            None
        } else {
            c.deadline = c.patience.map(|p| self.now.plus(p));
            c.deadline
        };
        c.state = State::Bot { stage, resolves };
        c.had_bot = true;
        self.schedule(self.now.plus(time), Kind::BotDone { slot });
        if let Some(d) = deadline.filter(|&d| d <= self.end) {
            self.schedule(d, Kind::Abandon { slot });
        }
    }

    fn bot_done(&mut self, slot: u32, seq: u32) {
        let c = &self.chats[slot as usize];
        let State::Bot { stage, resolves } = c.state else {
            return;
        };
        if seq <= c.valid_after {
            return;
        }
        if resolves {
            self.close(slot, Outcome::BotResolved);
        } else if stage == 0 {
            self.choose_rule(slot);
        } else {
            self.enter(slot);
        }
    }

    /// Picks the chat's rule now (time conditions see the current time), then its bot, if any.
    #[inline(always)]
    fn choose_rule(&mut self, slot: u32) {
        let model = self.model;
        // A desk with one queue needs no context (on M/M/100, 1% of the run built it).
        let rule = match self.rules.fixed() {
            Some(rule) => rule,
            None => {
                let n = self.n_attrs;
                let cx = ChatContext {
                    attrs: &self.attrs[slot as usize * n..(slot as usize + 1) * n],
                    week_time: model.week_time(self.now),
                    has_owner: self.chats[slot as usize].owner.is_some(),
                };
                self.rules.choose(model, &cx)
            }
        };
        let c = &mut self.chats[slot as usize];
        c.rule = rule.map_or(NO_RULE, |r| r.0);
        match rule.and_then(|r| model.rules[r.ix()].bot.as_ref()) {
            Some(bot) => {
                let time = bot.duration.dist.sample(&mut self.bot_rng);
                let resolves = self.bot_rng.random::<f64>() < bot.resolves;
                self.start_bot(slot, 1, time, resolves);
            }
            None => self.enter(slot),
        }
    }

    /// The chat reaches routing: its wait starts now, and its patience too unless a bot came
    /// first (then it has been running since).
    fn enter(&mut self, slot: u32) {
        let c = &mut self.chats[slot as usize];
        if matches!(c.state, State::Bot { .. }) {
            self.in_bot -= 1;
        }
        c.state = State::Waiting;
        c.queued = self.now;
        if !c.had_bot {
            c.deadline = c.patience.map(|p| self.now.plus(p));
        }
        self.route(slot, 0, 0, true);
    }

    fn rule_of(c: &Chat) -> Option<RuleId> {
        (c.rule != NO_RULE).then_some(RuleId(c.rule))
    }

    /// The chat's place in a queue: its rule's priority, then arrival, then id. Computed, not
    /// stored: the chat record stays 16 bytes smaller and 8-byte aligned.
    #[inline]
    fn key_of(&self, c: &Chat) -> QueueKey {
        let priority = Self::rule_of(c).map_or(0, |r| self.model.rules[r.ix()].priority);
        QueueKey::new(priority, c.arrival, c.id)
    }

    /// Asks the routing core where the chat goes from route step `step` on, and does it.
    #[inline(always)]
    fn route(&mut self, slot: u32, step: usize, checks: u32, first: bool) {
        let c = &self.chats[slot as usize];
        let view = ChatView {
            rule: Self::rule_of(c),
            step,
            checks,
            owner: c.owner,
        };
        match routing::decide(self.model, &self.board, view, &mut self.routing_rng) {
            Decision::Assign { agent, at } => {
                self.place(slot, &at);
                self.start_service(slot, agent, false);
            }
            Decision::Wait { at } => {
                if first && self.waiting() >= self.model.max_waiting {
                    self.place(slot, &at);
                    self.close(slot, Outcome::Blocked);
                    return;
                }
                self.place(slot, &at);
                let c = &self.chats[slot as usize];
                let key = self.key_of(c);
                let (deadline, had_bot, queued) = (c.deadline, c.had_bot, c.queued);
                self.queues.push(at.queue, key, slot);
                if let Some(timeout) = at.timeout {
                    self.schedule(
                        self.now.plus(timeout),
                        Kind::Timeout {
                            slot,
                            step: at.step as u16,
                        },
                    );
                }
                if first {
                    // A chat that had a bot has its abandonment scheduled already.
                    if let Some(deadline) = deadline.filter(|&d| d <= self.end && !had_bot) {
                        self.schedule(deadline, Kind::Abandon { slot });
                    }
                    if let Some(red) = self.model.red_after {
                        self.schedule(queued.plus(red), Kind::RedFlag { slot });
                    }
                }
            }
            Decision::Redirect(channel) => {
                self.chats[slot as usize].channel = Some(channel);
                self.close(slot, Outcome::Deflected);
            }
            Decision::AfterHours => self.close(slot, Outcome::AfterHours),
        }
    }

    fn place(&mut self, slot: u32, at: &Placement) {
        let c = &mut self.chats[slot as usize];
        c.queue = at.queue;
        c.target = Some(at.target);
        c.via = at.target;
        c.step = at.step as u16;
        c.checks = at.checks;
    }

    /// The chat stops waiting (answered, gone, or moved to a final outcome).
    fn unflag(&mut self, slot: u32) {
        let c = &mut self.chats[slot as usize];
        if c.flagged {
            c.flagged = false;
            self.flagged_now -= 1;
        }
    }

    fn red_flag(&mut self, slot: u32, seq: u32) {
        let c = &mut self.chats[slot as usize];
        if seq <= c.valid_after || c.state != State::Waiting {
            return;
        }
        c.flagged = true;
        self.flagged_now += 1;
        if self.now >= self.model.warmup {
            self.result.red_flag_peak = self.result.red_flag_peak.max(self.flagged_now);
        }
    }

    /// The agent takes the chat; `freed`: into a slot its last chat (or that chat's after-chat
    /// work) has just freed, which the board has not been told of (see [`Engine::free_slot`]).
    #[inline(always)]
    fn start_service(&mut self, slot: u32, agent: AgentId, freed: bool) {
        if self.many_agents {
            self.prefetch_agent(agent);
        }
        self.unflag(slot);
        // Its abandonment, timeout and red flag would find it answered: they go now.
        self.agenda.cancel(slot);
        let via = self.chats[slot as usize].via;
        let old_load = self.board.agent(agent).load;
        if freed {
            self.board.hand_over(self.model, agent, via, self.now);
        } else {
            self.board.assign(self.model, agent, via, self.now);
        }
        let measured = self.chats[slot as usize].arrival >= self.model.warmup;
        self.changed(agent, ChangeCause::Took { measured });
        let speed = self.crew[agent.ix()].speed;
        let c = &mut self.chats[slot as usize];
        c.state = State::InService;
        c.agent = agent;
        c.answered = self.now;
        // The drawn handle time is the work; the agent's speed decides how long it takes.
        if speed != 1.0 {
            c.handle = SimTime::from_ticks_f64(c.handle.0 as f64 / speed);
        }
        if self.model.slowdown.is_empty() {
            let done = self.now.plus(c.handle);
            if done <= self.end {
                let agent = agent.0;
                self.schedule(done, Kind::Depart { slot, agent });
            }
        } else {
            let cold = &mut self.cold[slot as usize];
            cold.work_left = c.handle.0 as f64;
            cold.progress_at = self.now;
            self.rescale(agent, old_load, Some(slot), None);
        }
    }

    /// Concurrency slowdown: brings the agent's chats up to date at the speed of `old_load`
    /// chats held, then reschedules their ends at the speed of the load held now.
    fn rescale(&mut self, agent: AgentId, old_load: u32, added: Option<u32>, removed: Option<u32>) {
        let factor = |load: u32| self.model.slowdown[(load.max(1) - 1) as usize];
        let (f_old, f_new) = (factor(old_load), factor(self.board.agent(agent).load));
        let mut held = std::mem::take(&mut self.held[agent.ix()]);
        if let Some(r) = removed {
            held.retain(|&x| x != r);
        }
        for &slot in &held {
            let c = &mut self.cold[slot as usize];
            c.work_left = (c.work_left - self.now.since(c.progress_at).0 as f64 / f_old).max(0.0);
            c.progress_at = self.now;
        }
        held.extend(added);
        for &slot in &held {
            let work_left = self.cold[slot as usize].work_left;
            // Its end scheduled before no longer applies.
            self.chats[slot as usize].valid_after = self.agenda.last_seq();
            let done = self.now.plus(SimTime::from_ticks_f64(work_left * f_new));
            if done <= self.end {
                let agent = agent.0;
                self.schedule(done, Kind::Depart { slot, agent });
            }
        }
        self.held[agent.ix()] = held;
    }

    fn depart(&mut self, slot: u32, seq: u32) {
        let c = &self.chats[slot as usize];
        if seq <= c.valid_after || c.state != State::InService {
            return; // rescheduled by a slowdown since
        }
        // Only what is needed, not the whole chat: this runs for every chat.
        let (via, agent, id, answered, drawn_wrap) = (c.via, c.agent, c.id, c.answered, c.wrap);
        // After-chat work keeps the slot: the team's own, else what the traffic drew.
        let team = self.model.targets[via.ix()].team;
        let wrap = match team.and_then(|t| self.model.teams[t.ix()].wrap_up.as_ref()) {
            Some(w) => w.dist.sample(&mut self.wrap_rng),
            None => drawn_wrap,
        };
        let speed = self.crew[agent.ix()].speed;
        let wrap = if wrap > SimTime::ZERO {
            SimTime::from_ticks_f64(wrap.0 as f64 / speed)
        } else {
            wrap
        };
        let service = Service {
            agent,
            chat: id,
            start: answered,
            end: self.now,
            finished: true,
        };
        // Nothing between the release and the agent's next chat can ask the board: the slot
        // passes straight on (an escalation would offer the chat to the board first).
        if wrap == SimTime::ZERO && self.hand_over && Self::escalation(self.model, team).is_none() {
            self.recorder.service(&service);
            self.close(slot, Outcome::Served);
            self.free_slot(agent);
            return;
        }
        let old_load = self.board.agent(agent).load;
        if wrap > SimTime::ZERO {
            self.crew[agent.ix()].wrapping += 1;
            self.changed(agent, ChangeCause::WrapUp);
            let done = self.now.plus(wrap);
            if done <= self.end {
                self.schedule(done, Kind::WrapDone(agent.0));
            }
        } else {
            self.board.release(self.model, agent, self.now);
            self.changed(agent, ChangeCause::Released);
        }
        if !self.model.slowdown.is_empty() {
            self.rescale(agent, old_load, None, Some(slot));
        }
        self.recorder.service(&service);
        if !self.escalate(slot) {
            self.close(slot, Outcome::Served);
        }
        self.pull(agent);
    }

    /// The agent finishes one chat's after-chat work: the slot frees, and it takes the next chat.
    fn wrap_done(&mut self, agent: AgentId) {
        self.crew[agent.ix()].wrapping -= 1;
        if self.hand_over {
            self.free_slot(agent);
            return;
        }
        let old_load = self.board.agent(agent).load;
        self.board.release(self.model, agent, self.now);
        self.changed(agent, ChangeCause::Released);
        if !self.model.slowdown.is_empty() {
            self.rescale(agent, old_load, None, None);
        }
        self.pull(agent);
    }

    /// After an agent finishes a chat, its team may pass it on. Returns whether it did: the chat
    /// then waits for the next team (its customer, already helped, does not abandon).
    fn escalate(&mut self, slot: u32) -> bool {
        let model = self.model;
        let Some(e) = Self::escalation(
            model,
            model.targets[self.chats[slot as usize].via.ix()].team,
        ) else {
            return false;
        };
        if self.escalation_rng.random::<f64>() >= e.share {
            return false;
        }
        let handle = e.handle_time.dist.sample(&mut self.escalation_rng);
        let (at, agent) =
            routing::decide_escalation(model, &self.board, e.to, &mut self.routing_rng);
        let key = self.key_of(&self.chats[slot as usize]);
        let last = self.agenda.last_seq();
        let c = &mut self.chats[slot as usize];
        let cold = &mut self.cold[slot as usize];
        if c.transfers == 0 {
            // The first service, before the next team's handle time replaces it.
            cold.first = (c.agent, c.answered, c.handle);
        }
        cold.escalated_at = self.now;
        c.valid_after = last; // its old abandon and timeout events no longer apply
        c.state = State::Waiting;
        c.transfers += 1;
        c.handle = handle;
        c.deadline = None;
        (c.via, c.queue) = (at.target, at.queue);
        match agent {
            Some(agent) => self.start_service(slot, agent, false),
            None => self.queues.push(at.queue, key, slot),
        }
        true
    }

    /// The escalation of the team a chat was offered through, if it has one.
    #[inline]
    fn escalation(model: &Model, team: Option<TeamId>) -> Option<&Escalate> {
        model.teams[team?.ix()].escalate.as_ref()
    }

    /// One of the agent's slots frees now, and nothing has asked the board since: the waiting
    /// chat the routing core chooses for the agent takes the slot at once, or the agent holds
    /// one chat fewer. Taking the chat straight into the slot is what a release and then an
    /// assignment at the same moment would do, in one change of the board and one of the
    /// agent's record: [`Board::hand_over`], and an [`AgentChange`] whose load is the one the
    /// agent had (a release's change at the same moment would have been followed by the
    /// assignment's, and no time passes between them). Only on desks where a free slot could
    /// go to nothing else first: no tickets (which a free slot may take), no concurrency
    /// slowdown (which reschedules the chats held at each change of load).
    #[inline(always)]
    fn free_slot(&mut self, agent: AgentId) {
        if self.board.agent(agent).on_shift
            && let Some((queue, key, slot)) = self.queues.next_for(self.model, agent)
        {
            self.queues.remove(queue, key);
            self.start_service(slot, agent, true);
            // An agent with more slots free may take more.
            self.pull(agent);
        } else {
            // Nobody waits for it (or it is off shift): pulling would find nothing.
            self.board.release(self.model, agent, self.now);
            self.changed(agent, ChangeCause::Released);
        }
    }

    /// Gives an agent with free slots the waiting chats the routing core chooses for it.
    #[inline(always)]
    fn pull(&mut self, agent: AgentId) {
        while self.board.available(self.model, agent) {
            let Some((queue, key, slot)) = self.queues.next_for(self.model, agent) else {
                break;
            };
            self.queues.remove(queue, key);
            self.start_service(slot, agent, false);
        }
        // No chat waits for it: a free slot may go to a ticket (checked here, not by a call,
        // since this runs at every release and most desks work no tickets).
        if self.model.tickets.work.is_some() {
            self.take_ticket(agent);
        }
    }

    /// A chat left a ticket: it joins the backlog, and an agent of the ticket team who has a
    /// free slot and no ticket takes it at once (no chat waits for such an agent, or it would
    /// have taken it).
    fn open_ticket(&mut self, measured: bool) {
        let Some(work) = &self.model.tickets.work else {
            return;
        };
        let handle = work.handle_time.dist.sample(&mut self.ticket_rng);
        self.backlog.push_back(Ticket {
            opened: self.now,
            handle,
            measured,
        });
        self.recorder.ticket(&TicketChange {
            time: self.now,
            opened: self.now,
            measured,
            step: TicketStep::Opened,
        });
        let team = &self.model.teams[work.team.ix()];
        // The team's strategy chooses; an agent already on a ticket passes it to the next free one.
        let picked = self
            .board
            .pick(self.model, team.target, &mut self.routing_rng)
            .filter(|a| self.ticket_of[a.ix()].is_none())
            .or_else(|| {
                team.members.iter().copied().find(|&a| {
                    self.ticket_of[a.ix()].is_none() && self.board.available(self.model, a)
                })
            });
        if let Some(agent) = picked {
            self.take_ticket(agent);
        }
    }

    /// The agent takes the oldest ticket, if it works tickets, has a free slot and no ticket.
    fn take_ticket(&mut self, agent: AgentId) {
        let Some(work) = &self.model.tickets.work else {
            return;
        };
        // Nothing starts at the very end: the run is over.
        if self.now >= self.end
            || self.ticket_of[agent.ix()].is_some()
            || !self.board.available(self.model, agent)
            || !self.model.agents[agent.ix()].teams.contains(&work.team)
        {
            return;
        }
        let Some(ticket) = self.backlog.pop_front() else {
            return;
        };
        let target = self.model.teams[work.team.ix()].target;
        let old_load = self.board.agent(agent).load;
        self.board.assign(self.model, agent, target, self.now);
        self.ticket_of[agent.ix()] = Some(ticket);
        self.crew[agent.ix()].ticket = true;
        self.changed(agent, ChangeCause::Ticket);
        self.recorder.ticket(&TicketChange {
            time: self.now,
            opened: ticket.opened,
            measured: ticket.measured,
            step: TicketStep::Started(agent),
        });
        let speed = self.crew[agent.ix()].speed;
        let done = self
            .now
            .plus(SimTime::from_ticks_f64(ticket.handle.0 as f64 / speed));
        if done <= self.end {
            self.schedule(done, Kind::TicketDone(agent.0));
        }
        if !self.model.slowdown.is_empty() {
            self.rescale(agent, old_load, None, None);
        }
    }

    /// The agent finishes its ticket: the slot frees, and it takes the next chat or ticket.
    fn ticket_done(&mut self, agent: AgentId) {
        let Some(ticket) = self.ticket_of[agent.ix()].take() else {
            return;
        };
        self.crew[agent.ix()].ticket = false;
        let old_load = self.board.agent(agent).load;
        self.board.release(self.model, agent, self.now);
        self.changed(agent, ChangeCause::Released);
        self.recorder.ticket(&TicketChange {
            time: self.now,
            opened: ticket.opened,
            measured: ticket.measured,
            step: TicketStep::Done(agent),
        });
        if !self.model.slowdown.is_empty() {
            self.rescale(agent, old_load, None, None);
        }
        self.pull(agent);
    }

    fn abandon(&mut self, slot: u32, seq: u32) {
        let c = &self.chats[slot as usize];
        let (traffic, attempt, queue, key) = (c.traffic, c.attempt, c.queue, self.key_of(c));
        let at_bot = matches!(c.state, State::Bot { .. });
        if seq <= c.valid_after || !(c.state == State::Waiting || at_bot) {
            return; // answered (or gone) since this was scheduled
        }
        if !at_bot {
            self.queues.remove(queue, key);
        }
        if let Some(r) = &self.model.traffic[traffic as usize].retry
            && attempt < crate::model::MAX_ATTEMPTS
            && self.retry_rng.random::<f64>() < r.share
        {
            self.chats[slot as usize].back_after = Some(r.delay.dist.sample(&mut self.retry_rng));
        }
        self.close(slot, Outcome::Abandoned);
    }

    /// A customer who gave up comes back: a new chat (new id, new patience) of the same
    /// customer, with the attributes, owner and handle time of the first attempt.
    fn come_back(&mut self, slot: u32, seq: u32) {
        let c = self.chats[slot as usize];
        if seq <= c.valid_after || c.state != State::Away {
            return;
        }
        let traffic = &self.model.traffic[c.traffic as usize];
        let patience = traffic
            .patience
            .as_ref()
            .map(|p| p.dist.sample(&mut self.retry_rng));
        let id = self.next_id;
        self.next_id += 1;
        self.result.chats += 1;
        self.chats[slot as usize] = Chat {
            id,
            customer: c.customer,
            attempt: c.attempt + 1,
            valid_after: c.valid_after,
            state: State::Waiting,
            traffic: c.traffic,
            owner: c.owner,
            arrival: self.now,
            handle: c.handle,
            wrap: c.wrap,
            patience,
            queued: self.now,
            ..Chat::EMPTY
        };
        self.choose_rule(slot);
    }

    fn timeout(&mut self, slot: u32, seq: u32, step: u16) {
        let c = &self.chats[slot as usize];
        if seq <= c.valid_after || c.state != State::Waiting || c.step != step {
            return;
        }
        let (queue, key, checks) = (c.queue, self.key_of(c), c.checks);
        self.queues.remove(queue, key);
        self.route(slot, step as usize + 1, checks + 1, false);
    }

    fn shift(&mut self, agent: AgentId) {
        let a = &self.model.agents[agent.ix()];
        let week_time = self.model.week_time(self.now);
        let on = a.on_shift_at(week_time) && !self.absent(agent, week_time);
        if let Some(next) = a.next_shift_change(week_time) {
            self.schedule(self.now.plus(SimTime(next)), Kind::Shift(agent.0));
        }
        if on != self.board.agent(agent).on_shift {
            self.board.set_on_shift(self.model, agent, on, self.now);
            self.changed(agent, ChangeCause::Shift);
        }
        if on {
            self.pull(agent);
        }
    }

    /// Whether the agent misses the shift that covers now. One draw per agent and shift, from a
    /// stream keyed by both: the answer does not depend on the events around it, a break inside
    /// the shift asks again and gets the same answer, and two scenarios run on the same seed lose
    /// the same agents on the same days.
    fn absent(&self, agent: AgentId, week_time: u64) -> bool {
        let a = &self.model.agents[agent.ix()];
        if a.absence <= 0.0 {
            return false;
        }
        let Some(ago) = a.shift.as_ref().and_then(|r| r.shift_started(week_time)) else {
            return false;
        };
        // The shift's start, a week later so that a shift begun before the run stays unsigned.
        let started = self.now.0 + WEEK - ago;
        let agent_stream = stream_seed(self.model.seed, self.replication, ABSENCE_STREAM);
        let bits = stream_seed(agent_stream ^ agent.0 as u64, 0, started);
        let u = (bits >> 11) as f64 * (1.0 / (1u64 << 53) as f64);
        u < a.absence
    }

    /// Tells the recorder an agent's state after a change.
    fn changed(&mut self, agent: AgentId, cause: ChangeCause) {
        let st = self.board.agent(agent);
        self.recorder.agent(&AgentChange {
            agent,
            time: self.now,
            load: st.load,
            wrapping: self.crew[agent.ix()].wrapping,
            ticket: self.crew[agent.ix()].ticket as u32,
            on_shift: st.on_shift,
            cause,
        });
    }

    /// Gives the chat's record to the recorder and frees its slot.
    #[inline(always)]
    fn close(&mut self, slot: u32, outcome: Outcome) {
        self.unflag(slot);
        self.agenda.cancel(slot);
        // Borrowed, not copied: the record is built from the slot in place.
        let c = &self.chats[slot as usize];
        if matches!(c.state, State::Bot { .. }) {
            self.in_bot -= 1;
        }
        let answered = outcome.answered();
        // Queue wait starts once the chat leaves its bots; a chat still with a bot has none.
        let queued = if matches!(c.state, State::Bot { .. }) {
            self.now
        } else {
            c.queued
        };
        let escalated = c.transfers > 0;
        let cold = &self.cold[slot as usize];
        let (first_agent, first_answered, first_handle) = if escalated {
            cold.first
        } else {
            (c.agent, c.answered, c.handle)
        };
        let wait = if answered {
            first_answered.since(queued)
        } else {
            self.now.since(queued)
        };
        let rec = ChatRecord {
            replication: self.replication,
            id: c.id,
            customer: c.customer,
            attempt: c.attempt,
            retry: c.back_after.is_some(),
            measured: c.arrival >= self.model.warmup,
            traffic: TrafficId(c.traffic),
            attrs: &self.attrs[slot as usize * self.n_attrs..(slot as usize + 1) * self.n_attrs],
            arrival: c.arrival,
            rule: Self::rule_of(c),
            // Redirected and after-hours chats never reached a team's queue, so count for none.
            // Chats turned away, redirected or given the after-hours action reached no team.
            target: c.target.filter(|_| {
                !matches!(
                    outcome,
                    Outcome::Deflected | Outcome::AfterHours | Outcome::Blocked
                )
            }),
            agent: answered.then_some(first_agent),
            wait,
            bot_time: c.had_bot.then(|| queued.since(c.arrival)),
            handle: answered.then_some(first_handle),
            outcome,
            channel: c.channel,
            owner: c.owner,
            checks: c.checks,
            transfers: c.transfers,
            second_wait: (escalated && c.state == State::InService)
                .then(|| c.answered.since(cold.escalated_at)),
            resolution: (outcome == Outcome::Served).then(|| self.now.since(c.arrival)),
        };
        let ticket = rec
            .leaves_ticket(&self.model.tickets)
            .then_some(rec.measured);
        self.recorder.record(&rec);
        if let Some(measured) = ticket {
            self.open_ticket(measured);
        }
        let (end, last) = (self.end, self.agenda.last_seq());
        let c = &mut self.chats[slot as usize];
        // Its pending events no longer apply.
        c.valid_after = last;
        // A customer coming back keeps the slot (and its attributes) until then.
        if let Some(back) = c.back_after.map(|d| self.now.plus(d))
            && back < end
        {
            c.state = State::Away;
            self.schedule(back, Kind::Return { slot });
            return;
        }
        c.state = State::Free;
        self.free.push(slot);
    }

    /// Reports the chats still in the system at the end, in arrival order.
    fn finish(&mut self) {
        self.now = self.end;
        self.result.ended = self.end;
        let mut live: Vec<(u64, u32)> = self
            .chats
            .iter()
            .enumerate()
            .filter(|(_, c)| !matches!(c.state, State::Free | State::Away))
            .map(|(slot, c)| (c.id, slot as u32))
            .collect();
        live.sort_unstable();
        for (_, slot) in live {
            let c = self.chats[slot as usize];
            if c.state == State::InService {
                self.recorder.service(&Service {
                    agent: c.agent,
                    chat: c.id,
                    start: c.answered,
                    end: self.end,
                    finished: false,
                });
            }
            let outcome = match c.state {
                State::InService => Outcome::InService,
                // Escalated and waiting for the next team: answered, still in progress.
                State::Waiting if c.transfers > 0 => Outcome::InService,
                _ => Outcome::Waiting,
            };
            self.close(slot, outcome);
        }
        self.recorder.finish(self.end);
    }
}

/// A chat's draws beyond its attributes, handle time and patience.
struct Drawn {
    handle: SimTime,
    patience: Option<SimTime>,
    wrap: SimTime,
    owner: Option<AgentId>,
    bot: Option<(SimTime, bool)>,
}

/// Draws a new chat's wrap-up, owner and bot, in the order every stream draws them.
#[inline(always)]
fn draw_rest<Rn: rand::Rng>(
    model: &Model,
    traffic: &Traffic,
    attrs: &[ValueId],
    handle: SimTime,
    patience: Option<SimTime>,
    rng: &mut Rn,
) -> Drawn {
    let wrap = traffic
        .wrap_up
        .as_ref()
        .map_or(SimTime::ZERO, |w| w.dist.sample(rng));
    // Drawn even when it cannot have one (see `Owner::draw`): common random numbers.
    let owner = traffic
        .owner
        .as_ref()
        .and_then(|o| o.draw(&model.teams, attrs, rng));
    let bot = traffic.bot.as_ref().map(|b| {
        (
            b.duration.dist.sample(rng),
            rng.random::<f64>() < b.resolves,
        )
    });
    Drawn {
        handle,
        patience,
        wrap,
        owner,
        bot,
    }
}

/// A replayed row's chat: the log's attributes (the stream's own `attributes` where a row has
/// none), its handle time and what it says of patience, the rest drawn from the copy's stream.
fn replayed(
    model: &Model,
    traffic: &Traffic,
    fill: &[(AttrId, AttrChoice)],
    attrs: &mut [ValueId],
    p: &mut super::replay::Pending,
) -> Drawn {
    let rng = &mut p.rng;
    attrs.copy_from_slice(&p.attrs);
    for (a, choice) in fill {
        if attrs[a.ix()] == NO_VALUE {
            attrs[a.ix()] = choice.sample(rng);
        }
    }
    let handle = p
        .handle
        .unwrap_or_else(|| traffic.handle_time.dist.sample(rng));
    let patience = match p.patience {
        Patience::Known(t) => Some(t),
        Patience::Beyond(w) => traffic
            .patience
            .as_ref()
            .map(|d| patience_beyond(d, w, rng)),
        Patience::Draw => traffic.patience.as_ref().map(|d| d.dist.sample(rng)),
    };
    draw_rest(model, traffic, attrs, handle, patience, rng)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::record::{Service, TicketChange};

    /// Everything a run tells its recorder, in order.
    #[derive(Default)]
    struct Log(Vec<String>);

    impl Recorder for Log {
        fn record(&mut self, rec: &ChatRecord<'_>) {
            self.0.push(format!("{rec:?}"));
        }
        fn service(&mut self, s: &Service) {
            self.0.push(format!("{s:?}"));
        }
        fn agent(&mut self, c: &AgentChange) {
            self.0.push(format!("{c:?}"));
        }
        fn ticket(&mut self, c: &TicketChange) {
            self.0.push(format!("{c:?}"));
        }
    }

    fn run(model: &Model, agenda: Agenda) -> (RunResult, Vec<String>) {
        let (result, log) = run_with_agenda(model, 0, Log::default(), |_| {}, agenda, true);
        (result, log.0)
    }

    fn models() -> Vec<(String, Model)> {
        let fixture = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/every-event.toml");
        (crate::scenario::tests::bundled().into_iter())
            .chain([fixture.into()])
            .map(|path| {
                let mut model = crate::scenario::load(&path).unwrap();
                model.duration = model.duration.min(SimTime(6 * 3_600 * TICKS_PER_SEC));
                (path.display().to_string(), model)
            })
            .collect()
    }

    /// A replication whose event numbers are renumbered every few hundred events (moving
    /// every chat's `valid_after` mark) tells its recorder exactly what one that never
    /// renumbers does: every chat, service, agent change and ticket, in the same order.
    #[test]
    fn renumbering_changes_nothing_a_run_reports() {
        let mut renumbered = 0;
        for (name, model) in models() {
            let streams = model.traffic.len();
            let (plain, expected) = run(&model, Agenda::new(streams));
            // Some six renumberings (at least 400 numbers: room for what is pending).
            let limit = (plain.events / 6).max(400) as u32;
            let (early, seen) = run(&model, Agenda::with_limit(streams, limit));
            assert!(plain.failure.is_none() && early.failure.is_none(), "{name}");
            assert_eq!(
                (early.events, early.chats),
                (plain.events, plain.chats),
                "{name}"
            );
            assert!(seen == expected, "{name}: the records differ");
            renumbered += usize::from(early.events > limit as u64);
        }
        // The fixture with every kind of event and most bundled scenarios.
        assert!(renumbered >= 6, "{renumbered} runs renumbered");
    }

    /// A replication that cancels waiting chats' abandonments, timeouts and red flags when
    /// they are answered or closed tells its recorder exactly what one that leaves them to
    /// come stale does; and on the fixture with every kind of event, cancelling happens.
    #[test]
    fn cancelling_changes_nothing_a_run_reports() {
        let mut fewer = Vec::new();
        for (name, model) in models() {
            let streams = model.traffic.len();
            let (cancelling, seen) = run(&model, Agenda::new(streams));
            let (plain, expected) = run(&model, Agenda::never_cancelling(streams));
            assert!(
                plain.failure.is_none() && cancelling.failure.is_none(),
                "{name}"
            );
            assert_eq!(cancelling.chats, plain.chats, "{name}");
            assert!(cancelling.events <= plain.events, "{name}");
            assert!(seen == expected, "{name}: the records differ");
            if cancelling.events < plain.events {
                fewer.push(name);
            }
        }
        assert!(
            fewer.iter().any(|n| n.ends_with("every-event.toml")) && fewer.len() >= 3,
            "cancelled in {fewer:?}"
        );
    }

    /// An agent's state: since when, load, slots wrapping up, slots on a ticket, on shift.
    type Stint = (u64, u32, u32, u32, bool);

    /// Per agent: the states it held for some time, its state now, chats taken, the most held.
    type Held = (Vec<Stint>, Stint, u64, u32);

    /// What a run tells its recorder, as far as any figure can see it: the chats, services and
    /// tickets, each in order, and per agent the states it held for some time, the chats it
    /// took and the most it held. Changes at one moment collapse into the last of them, which
    /// held for no time.
    #[derive(Default)]
    struct Seen {
        chats: Vec<String>,
        services: Vec<String>,
        tickets: Vec<String>,
        agents: Vec<Held>,
        /// Changes of agents told.
        changes: u64,
    }

    impl Recorder for Seen {
        fn record(&mut self, rec: &ChatRecord<'_>) {
            self.chats.push(format!("{rec:?}"));
        }
        fn service(&mut self, s: &Service) {
            self.services.push(format!("{s:?}"));
        }
        fn agent(&mut self, c: &AgentChange) {
            self.changes += 1;
            let a = c.agent.ix();
            if self.agents.len() <= a {
                self.agents.resize(a + 1, Default::default());
            }
            let (held, now, took, most) = &mut self.agents[a];
            if c.time.0 > now.0 {
                held.push(*now);
            }
            *now = (c.time.0, c.load, c.wrapping, c.ticket, c.on_shift);
            *took += u64::from(matches!(c.cause, ChangeCause::Took { .. }));
            *most = (*most).max(c.load);
        }
        fn ticket(&mut self, c: &TicketChange) {
            self.tickets.push(format!("{c:?}"));
        }
    }

    /// A replication whose agents take the next waiting chat straight into the slot a chat
    /// frees tells its recorder what one that releases the slot and then assigns it does, as
    /// far as any figure can see; and on most bundled scenarios hand-overs happen.
    #[test]
    fn handing_over_changes_nothing_a_run_reports() {
        let mut fewer = Vec::new();
        // The fixture with every kind of event has a slowdown and ticket work, either of which
        // turns hand-overs off: a copy without them exercises them with everything else.
        let (name, mut plain) = models().pop().expect("the fixture comes last");
        (plain.slowdown, plain.tickets.work) = (Vec::new(), None);
        let extra = (format!("{name} without slowdown or ticket work"), plain);
        for (name, model) in models().into_iter().chain([extra]) {
            let streams = model.traffic.len();
            let run = |hand_over| {
                let agenda = Agenda::new(streams);
                run_with_agenda(&model, 0, Seen::default(), |_| {}, agenda, hand_over)
            };
            let ((direct, seen), (plain, expected)) = (run(true), run(false));
            assert!(
                direct.failure.is_none() && plain.failure.is_none(),
                "{name}"
            );
            let result = |r: &RunResult| (r.events, r.chats, r.red_flag_peak, r.ended);
            assert_eq!(result(&direct), result(&plain), "{name}");
            assert!(seen.chats == expected.chats, "{name}: the chats differ");
            assert!(seen.services == expected.services, "{name}: services");
            assert!(seen.tickets == expected.tickets, "{name}: tickets");
            assert!(seen.agents == expected.agents, "{name}: agents' states");
            // Each hand-over is one change of the agent where there were two.
            assert!(seen.changes <= expected.changes, "{name}");
            if seen.changes < expected.changes {
                fewer.push(name);
            }
        }
        assert!(fewer.len() >= 6, "handed over in {fewer:?}");
        assert!(
            fewer
                .iter()
                .any(|n| n.ends_with("without slowdown or ticket work")),
            "{fewer:?}"
        );
    }

    /// With more events pending than the numbers left leave room for, the replication ends
    /// with a failure that says so, rather than ordering events wrongly.
    #[test]
    fn too_many_pending_events_fail_the_replication() {
        let (_, model) = models().pop().unwrap();
        let (result, _) = run(&model, Agenda::with_limit(model.traffic.len(), 16));
        let failure = result.failure.expect("a failure");
        assert!(failure.contains("more events pending"), "{failure}");
    }
}
