//! Events and their order: the [`Agenda`] of pending events, earliest first, ties in the order
//! they were scheduled (FIFO), so runs are deterministic.
//!
//! An event is packed into one 128-bit number (16 bytes), from the top: its time (49 bits of
//! ticks), the sequence number it was scheduled with (26 bits), its kind (4), a 17-bit payload
//! (a route step, or the agent of a chat's end, so that its records can be prefetched an event
//! ahead) and a data word (a chat slot, an agent or a stream). Ordering events is ordering the
//! numbers, and that is ordering by (time, sequence), since sequence numbers are unique. Smaller
//! entries than the enum they encode move less memory at every step of a heap operation, and
//! more of the heap stays in the cache: most of the engine's time on big desks. (24-byte events,
//! a word for a chat's epoch besides, measured 3% more CPU on M/M/100 and 7% more on 100,000
//! agents.)
//!
//! Each traffic stream's next arrival waits in a heap of its own, so the big heap holds only
//! the chats' and agents' events; both draw sequence numbers from one counter, so the order of
//! events is the one a single heap would give.
//!
//! The big heap is 4-ary ([`Quad`]): half the levels of a binary heap, so half the dependent
//! loads per pop, and a node's four children sit in one or two cache lines. Measured beside
//! std's binary heap on exponential delays: 20% less CPU per operation with 3,000 events
//! pending, 35% less with 100,000 (where each level of a binary heap is a cache miss). The
//! arrivals' heap holds one event per stream and stays std's: a `Quad` there measured 2% more
//! CPU on desk-1000 (three streams), for 40 lines of reversed `Ord` saved.
//!
//! **Stale events.** A chat's event may stop applying before it comes (the chat was answered
//! before it gave up, left, or had its end rescheduled). The chat then records the last
//! sequence number given (its `valid_after`), and an event of the chat with a sequence number no
//! greater is stale ([`Event::seq`]): the engine ignores it when it comes.
//!
//! **Cancelled events.** The commonest stale events were a waiting chat's abandonment and
//! timeout, left pending when it was answered: on desk-1000, 0.58 pops a chat of the big heap
//! for nothing, and a deeper heap for every other pop. A waiting chat's abandonment, timeout
//! and red flag therefore wait in a third heap ([`Waits`]) that knows where each is, and the
//! engine takes them out ([`Agenda::cancel`]) when the chat is answered or closed, when they
//! would have done nothing. That heap holds about two events per chat waiting. The order of
//! the events that come is unchanged: one counter numbers all three heaps' events.
//!
//! **Renumbering.** 26 bits of sequence number run out after 67 million events. Before they do
//! ([`Agenda::needs_renumber`], asked by the engine before each event), the pending events are
//! renumbered 1, 2, ... in the order of their numbers ([`Agenda::renumber`]), which keeps every
//! comparison between them as it was; it returns the old numbers in order, so that the engine
//! can move its chats' `valid_after` marks to the new numbering. Renumbering leaves room for
//! [`HEADROOM`] events before the next event is taken (about 8 times what one event can
//! schedule). So at most about 55 million events can be pending at once, and a replication
//! with more ends with a failure that says so. Only a concurrency slowdown comes near: each
//! change of an agent holding k chats reschedules their k ends and leaves the old ones pending
//! until their time, about 2k² events per agent (k = 10 on 100,000 agents is 20 million).
//! Events of 24 bytes, with a 43-bit number and a 32-bit epoch, had no such limit short of
//! memory.
//!
//! **Times** past 49 bits of ticks (17 years; a run is at most 10 years, see
//! [`MAX_HORIZON_SECS`](crate::scenario::limits::MAX_HORIZON_SECS)) are kept as the largest
//! time there is: such an event never comes, since every run ends before it.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use crate::model::{SimTime, TICKS_PER_SEC};

/// What happens at an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// The next chat of a traffic stream.
    Arrival(u32),
    /// A chat's handling by `agent` ends. The agent is a hint, so that its records can be
    /// fetched into the cache an event ahead; it keeps 17 bits (every agent a compiled desk
    /// can have, [`MAX_AGENTS`](crate::scenario::limits::MAX_AGENTS)), and the handler reads
    /// the chat's own.
    Depart { slot: u32, agent: u32 },
    /// A waiting chat's customer gives up.
    Abandon { slot: u32 },
    /// A route step's timeout.
    Timeout { slot: u32, step: u16 },
    /// An agent's shift or break changes.
    Shift(u32),
    /// A waiting chat passes the red-flag limit.
    RedFlag { slot: u32 },
    /// A chat's bot finishes.
    BotDone { slot: u32 },
    /// An agent finishes the after-chat work of one chat and frees its slot.
    WrapDone(u32),
    /// An agent finishes its ticket.
    TicketDone(u32),
    /// A customer who gave up comes back as a new attempt.
    Return { slot: u32 },
    /// The warm-up ends.
    WarmupEnd,
}

/// Bits of the time.
const TIME_BITS: u32 = 49;
/// Bits of the sequence number.
const SEQ_BITS: u32 = 26;
/// Where the sequence number starts.
const SEQ_SHIFT: u32 = 128 - TIME_BITS - SEQ_BITS;
/// Where the kind's tag starts.
const TAG_SHIFT: u32 = 49;
/// Where the payload starts.
const PAYLOAD_SHIFT: u32 = 32;
/// The payload's bits.
const PAYLOAD: u32 = (1 << (TAG_SHIFT - PAYLOAD_SHIFT)) - 1;
const _: () = assert!(SEQ_SHIFT == TAG_SHIFT + 4);
const _: () = assert!(crate::scenario::limits::MAX_AGENTS <= PAYLOAD as u64 + 1);
/// The latest time an event keeps; later ones are kept as this.
const TIME_MAX: u64 = (1 << TIME_BITS) - 1;
const _: () =
    assert!((crate::scenario::limits::MAX_HORIZON_SECS as u64 + 1) * TICKS_PER_SEC < TIME_MAX);
/// The largest sequence number.
const SEQ_MAX: u32 = (1 << SEQ_BITS) - 1;
/// Sequence numbers kept free when the engine takes an event: more than any event schedules.
/// The most is a shift that starts an agent with a concurrency slowdown and 1,000 free slots
/// ([`MAX_MAX_CHATS`](crate::scenario::limits::MAX_MAX_CHATS)): each chat it takes reschedules
/// the ends of all it holds, 1 + 2 + ... + 1,000 = 500,500 events.
pub(super) const HEADROOM: u32 = 1 << 22;
const _: () = {
    let most = crate::scenario::limits::MAX_MAX_CHATS as u64;
    assert!(most * (most + 1) / 2 + 10_000 < HEADROOM as u64);
};

/// A pending event, packed (see the module's doc). Ordered so that a `BinaryHeap`, a max-heap,
/// pops the earliest.
#[derive(Debug, Clone, Copy)]
pub(super) struct Event(u128);

impl Event {
    fn new(time: SimTime, seq: u32, kind: Kind) -> Event {
        let (tag, payload, data): (u32, u32, u32) = match kind {
            Kind::Arrival(s) => (0, 0, s),
            // The agent is a hint (the handler reads the chat's): masked, a desk past
            // MAX_AGENTS could not spill it into the tag.
            Kind::Depart { slot, agent } => (1, agent & PAYLOAD, slot),
            Kind::Abandon { slot } => (2, 0, slot),
            Kind::Timeout { slot, step } => (3, step as u32, slot),
            Kind::Shift(a) => (4, 0, a),
            Kind::RedFlag { slot } => (5, 0, slot),
            Kind::BotDone { slot } => (6, 0, slot),
            Kind::WrapDone(a) => (7, 0, a),
            Kind::TicketDone(a) => (8, 0, a),
            Kind::Return { slot } => (9, 0, slot),
            Kind::WarmupEnd => (10, 0, 0),
        };
        debug_assert!(seq <= SEQ_MAX);
        let time = time.0.min(TIME_MAX) as u128;
        Event(
            time << (128 - TIME_BITS)
                | (seq as u128) << SEQ_SHIFT
                | (tag as u128) << TAG_SHIFT
                | (payload as u128) << PAYLOAD_SHIFT
                | data as u128,
        )
    }

    /// When it happens.
    #[inline]
    pub(super) fn time(&self) -> SimTime {
        SimTime((self.0 >> (128 - TIME_BITS)) as u64)
    }

    /// The sequence number it was scheduled with: a chat's event is stale when this is no
    /// greater than the chat's `valid_after`.
    #[inline]
    pub(super) fn seq(&self) -> u32 {
        (self.0 >> SEQ_SHIFT) as u32 & SEQ_MAX
    }

    #[inline]
    fn key(&self) -> u128 {
        self.0
    }

    /// What happens.
    #[inline]
    pub(super) fn kind(&self) -> Kind {
        let data = self.0 as u32;
        let payload = (self.0 >> PAYLOAD_SHIFT) as u32 & PAYLOAD;
        match (self.0 >> TAG_SHIFT) as u32 & 0xF {
            0 => Kind::Arrival(data),
            1 => Kind::Depart {
                slot: data,
                agent: payload,
            },
            2 => Kind::Abandon { slot: data },
            3 => Kind::Timeout {
                slot: data,
                step: payload as u16,
            },
            4 => Kind::Shift(data),
            5 => Kind::RedFlag { slot: data },
            6 => Kind::BotDone { slot: data },
            7 => Kind::WrapDone(data),
            8 => Kind::TicketDone(data),
            9 => Kind::Return { slot: data },
            _ => Kind::WarmupEnd,
        }
    }
}

impl PartialEq for Event {
    fn eq(&self, o: &Self) -> bool {
        self.key() == o.key()
    }
}
impl Eq for Event {}
// Reversed: the earliest (time, sequence) is the greatest. The comparisons a heap makes are
// spelled out so that each is one 128-bit comparison, not a match on an `Ordering`.
impl PartialOrd for Event {
    #[inline]
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
    #[inline]
    fn lt(&self, o: &Self) -> bool {
        o.key() < self.key()
    }
    #[inline]
    fn le(&self, o: &Self) -> bool {
        o.key() <= self.key()
    }
    #[inline]
    fn gt(&self, o: &Self) -> bool {
        o.key() > self.key()
    }
    #[inline]
    fn ge(&self, o: &Self) -> bool {
        o.key() >= self.key()
    }
}
impl Ord for Event {
    #[inline]
    fn cmp(&self, o: &Self) -> Ordering {
        o.key().cmp(&self.key())
    }
}

/// The pending events of one replication.
#[derive(Debug)]
pub(super) struct Agenda {
    /// The chats' and agents' events, but for those in `waits`.
    events: Quad,
    /// Waiting chats' abandonments, timeouts and red flags, which [`Agenda::cancel`] takes out
    /// when the chat is answered or closed.
    waits: Waits,
    /// Each traffic stream's next arrival.
    arrivals: BinaryHeap<Event>,
    /// The last sequence number given.
    seq: u32,
    /// The sequence number past which [`Agenda::needs_renumber`] says so (`SEQ_MAX -
    /// HEADROOM` but in tests).
    limit: u32,
    /// Whether [`Agenda::cancel`] cancels (not in a test that runs without it, to compare).
    #[cfg(test)]
    cancels: bool,
}

impl Agenda {
    /// An empty agenda for this many traffic streams.
    pub(super) fn new(streams: usize) -> Agenda {
        Agenda {
            events: Quad::default(),
            waits: Waits::default(),
            arrivals: BinaryHeap::with_capacity(streams),
            seq: 0,
            limit: SEQ_MAX - HEADROOM,
            #[cfg(test)]
            cancels: true,
        }
    }

    /// An agenda whose [`Agenda::cancel`] does nothing, leaving every event to come (stale or
    /// not) as before there was cancelling, to test that cancelling changes nothing.
    #[cfg(test)]
    pub(super) fn never_cancelling(streams: usize) -> Agenda {
        Agenda {
            cancels: false,
            ..Agenda::new(streams)
        }
    }

    /// An agenda that wants renumbering after `limit` events, to test that renumbering keeps
    /// the order.
    #[cfg(test)]
    pub(super) fn with_limit(streams: usize, limit: u32) -> Agenda {
        Agenda {
            limit,
            ..Agenda::new(streams)
        }
    }

    #[inline]
    fn next_seq(&mut self) -> u32 {
        // Unreachable while the engine renumbers when told (see `HEADROOM`): a wrapped number
        // would spill into the kind.
        assert!(self.seq < SEQ_MAX, "event sequence numbers ran out");
        self.seq += 1;
        self.seq
    }

    /// The last sequence number given: a chat whose pending events stop applying now keeps it
    /// as its `valid_after`.
    #[inline]
    pub(super) fn last_seq(&self) -> u32 {
        self.seq
    }

    /// Whether the sequence numbers left are few enough that [`Agenda::renumber`] should run
    /// before the next event is taken.
    #[inline]
    pub(super) fn needs_renumber(&self) -> bool {
        self.seq >= self.limit
    }

    /// Schedules an event (not an arrival: see [`Agenda::arrival`]).
    #[inline(always)]
    pub(super) fn schedule(&mut self, time: SimTime, kind: Kind) {
        debug_assert!(!matches!(kind, Kind::Arrival(_)));
        let seq = self.next_seq();
        let e = Event::new(time, seq, kind);
        // A waiting chat's event goes where it can be cancelled. The engine never schedules
        // a second of a kind while one is pending (a chat's abandonment and red flag come
        // once an attempt, its next timeout after the last one came); were it to, the second
        // would go to the big heap and be judged stale or not when it comes, as before.
        if Waits::holds(kind) && self.waits.push(e) {
            return;
        }
        self.events.push(e);
    }

    /// Takes out the chat's pending abandonment, timeout and red flag. The engine calls it
    /// when the chat is answered or closed, when those events, had they come, would have
    /// found it no longer waiting (or its `valid_after` past them) and done nothing: taking
    /// them out changes what happens no more than ignoring them did, and saves a pop of the
    /// big heap each (desk-1000: 0.58 of them a chat).
    #[inline]
    pub(super) fn cancel(&mut self, slot: u32) {
        #[cfg(test)]
        if !self.cancels {
            return;
        }
        self.waits.cancel(slot);
    }

    /// Schedules a stream's next arrival.
    #[inline]
    pub(super) fn arrival(&mut self, time: SimTime, stream: u32) {
        let seq = self.next_seq();
        self.arrivals
            .push(Event::new(time, seq, Kind::Arrival(stream)));
    }

    /// The slot and agent of the earliest chat or agent event if it is a chat's end (arrivals
    /// are not looked at): a hint of what comes next.
    #[inline]
    pub(super) fn next_depart(&self) -> Option<(u32, u32)> {
        match self.events.peek()?.kind() {
            Kind::Depart { slot, agent } => Some((slot, agent)),
            _ => None,
        }
    }

    /// Takes the earliest event, if it happens no later than `end`.
    #[inline(always)]
    pub(super) fn next(&mut self, end: SimTime) -> Option<Event> {
        // A waiting chat's event first, if it is the earliest: on a desk without patience or
        // timeouts this is one test.
        if let Some(w) = self.waits.peek()
            && self.events.peek().is_none_or(|e| w.key() < e.key())
            && self.arrivals.peek().is_none_or(|a| w.key() < a.key())
        {
            return (w.time() <= end).then(|| self.waits.pop());
        }
        let arrival = match (self.arrivals.peek(), self.events.peek()) {
            (Some(a), Some(e)) => e.key() > a.key(),
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (None, None) => return None,
        };
        if arrival {
            let due = self.arrivals.peek().is_some_and(|e| e.time() <= end);
            due.then(|| self.arrivals.pop()).flatten()
        } else if self.events.peek().is_some_and(|e| e.time() <= end) {
            Some(self.events.pop())
        } else {
            None
        }
    }

    /// Gives the pending events sequence numbers 1, 2, ... in the order of their numbers, which
    /// keeps every comparison between them, and returns their old numbers in that order: a
    /// mark `m` (a chat's `valid_after`) becomes the count of old numbers `<= m`, so that the
    /// events after it stay after it. Returns `None`, changing nothing, when too many events
    /// are pending for the numbers left to make room: an eighth of them at least, so that
    /// renumbering (a sort of the pending events) comes at most every `limit / 8` events.
    #[cold]
    pub(super) fn renumber(&mut self) -> Option<Vec<u32>> {
        let pending = self.events.0.len() + self.waits.heap.len() + self.arrivals.len();
        if pending > (self.limit - self.limit / 8) as usize {
            return None;
        }
        let mut old: Vec<u32> = (self.events.0.iter())
            .chain(&self.waits.heap)
            .chain(self.arrivals.iter())
            .map(Event::seq)
            .collect();
        old.sort_unstable();
        let renumbered = |e: &Event| {
            let seq = old.partition_point(|&s| s < e.seq()) as u128 + 1;
            Event(e.0 & !((SEQ_MAX as u128) << SEQ_SHIFT) | seq << SEQ_SHIFT)
        };
        // The order of each heap is unchanged: every entry keeps its place.
        for e in self.events.0.iter_mut().chain(&mut self.waits.heap) {
            *e = renumbered(e);
        }
        let arrivals: Vec<Event> = self.arrivals.drain().map(|e| renumbered(&e)).collect();
        self.arrivals.extend(arrivals);
        self.seq = pending as u32;
        Some(old)
    }
}

/// Puts `e` at hole `i` of a 4-ary heap or above it, moving later parents down; `put` places
/// an entry (and, for [`Waits`], notes where).
#[inline(always)]
fn sift_up(
    v: &mut [Event],
    mut i: usize,
    e: Event,
    mut put: impl FnMut(&mut [Event], usize, Event),
) {
    let key = e.key();
    while i > 0 {
        let parent = (i - 1) / 4;
        let p = v[parent];
        if p.key() <= key {
            break;
        }
        put(v, i, p);
        i = parent;
    }
    put(v, i, e);
}

/// The earliest of entry `i`'s children in a 4-ary heap, and where it is; `None` for a leaf.
/// Four children are one slice of four, so its length is the only bounds check, and the child
/// is returned from the copy read for the comparison, not read from the heap again.
#[inline(always)]
fn earliest_child(v: &[Event], i: usize) -> Option<(usize, Event)> {
    let c = 4 * i + 1;
    if let Some(kids) = v.get(c..c + 4) {
        let (mut j, mut child) = (0, kids[0]);
        for (x, e) in kids.iter().enumerate().skip(1) {
            if e.key() < child.key() {
                (j, child) = (x, *e);
            }
        }
        Some((c + j, child))
    } else if c < v.len() {
        let j = (c + 1..v.len()).fold(c, |m, j| if v[j].key() < v[m].key() { j } else { m });
        Some((j, v[j]))
    } else {
        None
    }
}

/// A 4-ary min-heap of events by (time, order): `0[0]` is the earliest, and each entry is
/// no later than its four children `4i + 1 ..= 4i + 4`.
#[derive(Debug, Default)]
struct Quad(Vec<Event>);

impl Quad {
    #[inline]
    fn peek(&self) -> Option<&Event> {
        self.0.first()
    }

    #[inline]
    fn push(&mut self, e: Event) {
        let i = self.0.len();
        self.0.push(e);
        self.sift_up(i, e);
    }

    /// Puts `e` at hole `i` or above it, moving later parents down.
    #[inline]
    fn sift_up(&mut self, i: usize, e: Event) {
        sift_up(&mut self.0, i, e, |v, i, e| v[i] = e);
    }

    /// Takes the earliest event; the heap must not be empty. Kept out of line, so that the
    /// engine's loop takes an arrival without a call and gets the event back in registers.
    #[inline(never)]
    fn pop(&mut self) -> Event {
        let last = self.0.pop().expect("not empty");
        let Some(&top) = self.0.first() else {
            return last; // it was the only one
        };
        // The hole at the root goes down to the bottom by the earliest child (the last entry,
        // which refills it, almost always belongs near the bottom), then `last` goes up from
        // there: fewer comparisons than testing `last` at every level on the way down.
        let v = &mut self.0[..];
        let mut i = 0;
        while let Some((m, child)) = earliest_child(v, i) {
            v[i] = child;
            i = m;
        }
        self.sift_up(i, last);
        top
    }

    /// Takes the earliest event, if `ok` says so.
    #[cfg(test)]
    fn pop_if(&mut self, ok: impl FnOnce(&Event) -> bool) -> Option<Event> {
        self.0.first().is_some_and(ok).then(|| self.pop())
    }
}

/// Where an event in [`Waits`] is not.
const NOWHERE: u32 = u32::MAX;

/// The waiting chats' abandonments, timeouts and red flags: a 4-ary min-heap as [`Quad`], which
/// also knows where each slot's event of each of the three kinds is, so that a chat answered
/// before they come has them taken out rather than left to come for nothing. Most chats that
/// wait are answered before they give up or time out; left in the big heap, their events made
/// it deeper and cost a pop each. Here they cost a removal from a heap as small as the number
/// of chats waiting.
#[derive(Debug, Default)]
struct Waits {
    heap: Vec<Event>,
    /// At `4 * slot + k`, the place in `heap` of the slot's event of kind `k` (`Waits::owner`),
    /// or `NOWHERE`; the fourth of each four is unused.
    at: Vec<u32>,
}

impl Waits {
    /// Whether an event of this kind goes here.
    #[inline(always)]
    fn holds(kind: Kind) -> bool {
        matches!(
            kind,
            Kind::Abandon { .. } | Kind::Timeout { .. } | Kind::RedFlag { .. }
        )
    }

    /// Where in `at` the event's place is kept: its slot's four, and its kind among them.
    #[inline(always)]
    fn owner(e: &Event) -> usize {
        // Tags 2 (abandon), 3 (timeout) and 5 (red flag) to 0, 1 and 2.
        let tag = (e.0 >> TAG_SHIFT) as usize & 0xF;
        4 * (e.0 as u32 as usize) + (tag - 2).min(2)
    }

    #[inline]
    fn peek(&self) -> Option<&Event> {
        self.heap.first()
    }

    /// Puts `e` at place `i` and notes it.
    #[inline(always)]
    fn put(heap: &mut [Event], at: &mut [u32], i: usize, e: Event) {
        heap[i] = e;
        at[Self::owner(&e)] = i as u32;
    }

    /// Adds an event, unless its slot has one of its kind here already: false then.
    fn push(&mut self, e: Event) -> bool {
        let o = Self::owner(&e);
        if o >= self.at.len() {
            self.at.resize((o | 3) + 1, NOWHERE);
        }
        if self.at[o] != NOWHERE {
            return false;
        }
        let i = self.heap.len();
        self.heap.push(e);
        Self::sift_up(&mut self.heap, &mut self.at, i, e);
        true
    }

    /// Puts `e` at hole `i` or above it, moving later parents down.
    #[inline]
    fn sift_up(heap: &mut [Event], at: &mut [u32], i: usize, e: Event) {
        sift_up(heap, i, e, |v, i, e| Self::put(v, at, i, e));
    }

    /// Puts `e` at hole `i` or below it, moving earlier children up.
    #[inline]
    fn sift_down(heap: &mut [Event], at: &mut [u32], mut i: usize, e: Event) {
        while let Some((m, child)) = earliest_child(heap, i)
            && child.key() < e.key()
        {
            Self::put(heap, at, i, child);
            i = m;
        }
        Self::put(heap, at, i, e);
    }

    /// Takes out the event at place `i`.
    fn remove(&mut self, i: usize) -> Event {
        let (heap, at) = (&mut self.heap, &mut self.at[..]);
        let last = heap.pop().expect("not empty");
        let gone = heap.get(i).copied().unwrap_or(last);
        at[Self::owner(&gone)] = NOWHERE;
        if i < heap.len() {
            // `last` fills the hole, going up or down from it.
            if i > 0 && last.key() < heap[(i - 1) / 4].key() {
                Self::sift_up(heap, at, i, last);
            } else {
                Self::sift_down(heap, at, i, last);
            }
        }
        gone
    }

    /// Takes the earliest event; there must be one.
    fn pop(&mut self) -> Event {
        self.remove(0)
    }

    /// Takes out the slot's events.
    #[inline]
    fn cancel(&mut self, slot: u32) {
        if self.heap.is_empty() {
            return;
        }
        let s = 4 * slot as usize;
        let Some(&[a, t, r, _]) = self.at.get(s..s + 4) else {
            return;
        };
        if a & t & r == NOWHERE {
            return;
        }
        // Each removal can move the others: their places are read again.
        for k in 0..3 {
            let i = self.at[s + k];
            if i != NOWHERE {
                self.remove(i as usize);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng};

    /// Kind `k` (of 11) of a chat's or agent's event, for `slot` (or agent, or stream).
    fn make(k: usize, slot: u32) -> Kind {
        match k {
            0 => Kind::Arrival(slot),
            1 => Kind::Depart { slot, agent: 9 },
            2 => Kind::Abandon { slot },
            3 => Kind::Timeout { slot, step: 2 },
            4 => Kind::Shift(slot),
            5 => Kind::RedFlag { slot },
            6 => Kind::BotDone { slot },
            7 => Kind::WrapDone(slot),
            8 => Kind::TicketDone(slot),
            9 => Kind::Return { slot },
            _ => Kind::WarmupEnd,
        }
    }

    /// The chat slot of a chat's event.
    fn slot_of(kind: Kind) -> Option<u32> {
        match kind {
            Kind::Depart { slot, .. }
            | Kind::Abandon { slot }
            | Kind::Timeout { slot, .. }
            | Kind::RedFlag { slot }
            | Kind::BotDone { slot }
            | Kind::Return { slot } => Some(slot),
            _ => None,
        }
    }

    #[test]
    fn every_kind_survives_packing() {
        let extremes = [
            Kind::Depart {
                slot: u32::MAX,
                agent: PAYLOAD,
            },
            Kind::Timeout {
                slot: u32::MAX,
                step: u16::MAX,
            },
        ];
        let kinds = (0..11).map(|k| make(k, u32::MAX)).chain(extremes);
        for kind in kinds {
            for (time, seq) in [(TIME_MAX, SEQ_MAX), (0, 1), (12_345, 678)] {
                let e = Event::new(SimTime(time), seq, kind);
                assert_eq!(e.kind(), kind);
                assert_eq!((e.time(), e.seq()), (SimTime(time), seq));
            }
        }
        // A time past what an event keeps is kept as the latest, after every other.
        let late = Event::new(SimTime(u64::MAX), 1, Kind::WarmupEnd);
        assert_eq!(late.time(), SimTime(TIME_MAX));
        assert!(late.key() > Event::new(SimTime(TIME_MAX - 1), SEQ_MAX, Kind::WarmupEnd).key());
    }

    /// The hint of the next chat's end gives the slot and agent a Depart was packed with, and
    /// nothing for other kinds.
    #[test]
    fn the_next_depart_is_read_off_the_tag() {
        let mut agenda = Agenda::new(1);
        assert_eq!(agenda.next_depart(), None);
        agenda.schedule(SimTime(5), Kind::Timeout { slot: 7, step: 3 });
        assert_eq!(agenda.next_depart(), None);
        let (slot, agent) = (u32::MAX, PAYLOAD);
        agenda.schedule(SimTime(4), Kind::Depart { slot, agent });
        assert_eq!(agenda.next_depart(), Some((slot, agent)));
        for k in (0..11)
            .map(|k| make(k, 1))
            .filter(|k| !matches!(k, Kind::Arrival(_)))
        {
            let mut agenda = Agenda::new(1);
            agenda.schedule(SimTime(1), k);
            let expected = match k {
                Kind::Depart { slot, agent } => Some((slot, agent)),
                _ => None,
            };
            assert_eq!(agenda.next_depart(), expected, "{k:?}");
        }
    }

    /// What the tests see of an event: its time, kind, and whether it was stale.
    type Seen = (SimTime, Kind, bool);

    /// Pops every event of a random schedule, interleaving arrivals and other events, with
    /// chats' events going stale at random, and returns them; `limit` sets how often the
    /// agenda renumbers (as the engine does: before an event, moving the chats' marks). Half
    /// the slots whose events go stale have their waiting events cancelled too, as the engine
    /// does when a chat is answered or closed (and the other half not, as when it escalates).
    fn replay(seed: u64, limit: u32) -> (Vec<Seen>, usize) {
        let mut rng = rand::rngs::Xoshiro256PlusPlus::seed_from_u64(seed);
        let mut agenda = Agenda::with_limit(3, limit);
        let mut valid_after = [0u32; 8];
        let (mut now, mut renumbered) = (0, 0);
        let mut out = Vec::new();
        let mut take = |agenda: &mut Agenda, end: u64, valid_after: &[u32; 8]| {
            let e = agenda.next(SimTime(end))?;
            let stale = slot_of(e.kind()).is_some_and(|s| e.seq() <= valid_after[s as usize]);
            out.push((e.time(), e.kind(), stale));
            Some(e.time().0)
        };
        for _ in 0..5_000 {
            if agenda.needs_renumber() {
                let old = agenda.renumber().expect("room to renumber");
                for v in &mut valid_after {
                    *v = old.partition_point(|&s| s <= *v) as u32;
                }
                renumbered += 1;
            }
            for _ in 0..rng.random_range(0..3) {
                // Few distinct times, so that many events tie and FIFO order decides.
                let at = SimTime(now + rng.random_range(0..4));
                match make(rng.random_range(0..11), rng.random_range(0..8)) {
                    Kind::Arrival(s) => agenda.arrival(at, s % 3),
                    k => agenda.schedule(at, k),
                }
            }
            if rng.random_range(0..4) == 0 {
                let slot = rng.random_range(0..8);
                valid_after[slot] = agenda.last_seq();
                if slot % 2 == 0 {
                    agenda.cancel(slot as u32);
                }
            }
            if let Some(t) = take(&mut agenda, now + 2, &valid_after) {
                now = t;
            }
        }
        while take(&mut agenda, u64::MAX, &valid_after).is_some() {}
        (out, renumbered)
    }

    /// The reference: every event in one list with an unbounded number, taken by (time, order
    /// of scheduling). A slot's abandonment, timeout or red flag is cancellable when no other
    /// of its kind for the slot is (the first scheduled while none is pending); cancelling a
    /// slot, just after its mark has moved past all its events as in the engine, takes out its
    /// cancellable events. Returns the events and how many were cancelled.
    fn reference(seed: u64) -> (Vec<Seen>, usize) {
        let mut rng = rand::rngs::Xoshiro256PlusPlus::seed_from_u64(seed);
        let (mut now, mut seq, mut cancelled) = (0, 0u64, 0);
        let mut valid_after = [0u64; 8];
        // (time, number, kind, cancellable)
        let mut pending: Vec<(u64, u64, Kind, bool)> = Vec::new();
        let mut out = Vec::new();
        let mut take =
            |pending: &mut Vec<(u64, u64, Kind, bool)>, end: u64, valid_after: &[u64; 8]| {
                let i = (0..pending.len()).min_by_key(|&i| (pending[i].0, pending[i].1))?;
                if pending[i].0 > end {
                    return None;
                }
                let (t, s, k, _) = pending.remove(i);
                let stale = slot_of(k).is_some_and(|slot| s <= valid_after[slot as usize]);
                out.push((SimTime(t), k, stale));
                Some(t)
            };
        for _ in 0..5_000 {
            for _ in 0..rng.random_range(0..3) {
                let at = now + rng.random_range(0..4);
                seq += 1;
                let k = match make(rng.random_range(0..11), rng.random_range(0..8)) {
                    Kind::Arrival(s) => Kind::Arrival(s % 3),
                    k => k,
                };
                let same = |p: &(u64, u64, Kind, bool)| {
                    p.3 && std::mem::discriminant(&p.2) == std::mem::discriminant(&k)
                        && slot_of(p.2) == slot_of(k)
                };
                let cancellable = Waits::holds(k) && !pending.iter().any(same);
                pending.push((at, seq, k, cancellable));
            }
            if rng.random_range(0..4) == 0 {
                let slot = rng.random_range(0..8);
                valid_after[slot] = seq;
                if slot % 2 == 0 {
                    let before = pending.len();
                    pending.retain(|p| !(p.3 && slot_of(p.2) == Some(slot as u32)));
                    cancelled += before - pending.len();
                }
            }
            if let Some(t) = take(&mut pending, now + 2, &valid_after) {
                now = t;
            }
        }
        while take(&mut pending, u64::MAX, &valid_after).is_some() {}
        (out, cancelled)
    }

    #[test]
    fn events_come_out_by_time_then_order_of_scheduling() {
        for seed in 0..20 {
            let (seen, renumbered) = replay(seed, SEQ_MAX - HEADROOM);
            assert_eq!(renumbered, 0);
            let (expected, cancelled) = reference(seed);
            assert!(
                expected.iter().any(|e| e.2)
                    && expected.iter().any(|e| !e.2 && slot_of(e.1).is_some())
            );
            // Some waiting events were cancelled, and stale ones came too (the odd slots', or
            // those left in the big heap).
            assert!(cancelled > 0, "seed {seed}");
            assert!(expected.iter().any(|e| e.2 && Waits::holds(e.1)));
            assert_eq!(seen, expected, "seed {seed}");
        }
    }

    #[test]
    fn renumbering_keeps_the_order_and_what_is_stale() {
        for seed in 0..20 {
            // Renumbers every few hundred events.
            let (seen, renumbered) = replay(seed, 400);
            assert!(renumbered > 10, "seed {seed}: {renumbered}");
            assert_eq!(seen, reference(seed).0, "seed {seed}");
        }
    }

    /// With too many events pending for the numbers left, renumbering says so and changes
    /// nothing.
    #[test]
    fn renumbering_needs_room() {
        // Room for 8 numbers: renumbering needs an eighth of them free.
        let mut agenda = Agenda::with_limit(1, 8);
        for t in 0..8 {
            agenda.schedule(SimTime(t), Kind::WrapDone(1));
        }
        assert!(agenda.needs_renumber());
        assert_eq!(agenda.renumber(), None);
        assert_eq!(agenda.last_seq(), 8);
        agenda.next(SimTime(0));
        assert_eq!(agenda.renumber(), Some((2..=8).collect()));
        assert!(!agenda.needs_renumber());
        assert_eq!(
            agenda.next(SimTime(9)).map(|e| (e.time(), e.seq())),
            Some((SimTime(1), 1))
        );
    }

    /// The 4-ary heap against a sort, with pushes and pops interleaved at every size from
    /// empty (so every shape of a last, partial family of children comes up).
    #[test]
    fn quad_heap_takes_events_in_key_order() {
        let mut rng = rand::rngs::Xoshiro256PlusPlus::seed_from_u64(3);
        for round in 0..200 {
            let mut quad = Quad::default();
            let mut pending: Vec<u128> = Vec::new();
            let mut seq = 0;
            for _ in 0..rng.random_range(0..400) {
                if rng.random_range(0..3) > 0 || pending.is_empty() {
                    seq += 1;
                    // Few distinct times, so that ties on time are common.
                    let e = Event::new(SimTime(rng.random_range(0..50)), seq, Kind::WrapDone(1));
                    pending.push(e.key());
                    quad.push(e);
                } else {
                    let (i, _) = pending.iter().enumerate().min_by_key(|(_, k)| **k).unwrap();
                    let expected = pending.swap_remove(i);
                    assert_eq!(quad.pop_if(|_| true).map(|e| e.key()), Some(expected));
                }
                assert_eq!(quad.0.len(), pending.len(), "round {round}");
            }
            pending.sort_unstable();
            let rest: Vec<u128> = std::iter::from_fn(|| quad.pop_if(|_| true))
                .map(|e| e.key())
                .collect();
            assert_eq!(rest, pending, "round {round}");
        }
        // `pop_if` leaves the heap as it was when told no.
        let mut quad = Quad::default();
        quad.push(Event::new(SimTime(5), 1, Kind::WrapDone(1)));
        assert!(quad.pop_if(|e| e.time() <= SimTime(4)).is_none());
        assert_eq!(quad.peek().map(|e| e.time()), Some(SimTime(5)));
    }

    /// The waiting events' heap against a list: pushes (refused when the slot has one of the
    /// kind), cancellations and pops at random, every place it notes checked after each.
    #[test]
    fn waits_take_out_what_is_cancelled_and_keep_the_rest_in_order() {
        let mut rng = rand::rngs::Xoshiro256PlusPlus::seed_from_u64(11);
        for round in 0..100 {
            let mut waits = Waits::default();
            let mut pending: Vec<Event> = Vec::new();
            let slots = rng.random_range(1..60);
            for seq in 1..rng.random_range(0..600) {
                let slot = rng.random_range(0..slots);
                match rng.random_range(0..6) {
                    0..3 => {
                        let kind = [
                            Kind::Abandon { slot },
                            Kind::Timeout { slot, step: 1 },
                            Kind::RedFlag { slot },
                        ][rng.random_range(0..3)];
                        let e = Event::new(SimTime(rng.random_range(0..40)), seq, kind);
                        let same = std::mem::discriminant(&kind);
                        let has = (pending.iter()).any(|p| {
                            p.0 as u32 == slot && std::mem::discriminant(&p.kind()) == same
                        });
                        assert_eq!(waits.push(e), !has, "round {round}");
                        if !has {
                            pending.push(e);
                        }
                    }
                    3 | 4 => {
                        waits.cancel(slot);
                        pending.retain(|p| p.0 as u32 != slot);
                    }
                    _ => {
                        let first = pending.iter().map(Event::key).min();
                        assert_eq!(waits.peek().map(Event::key), first);
                        if first.is_some() {
                            let e = waits.pop();
                            pending.retain(|p| p.key() != e.key());
                        }
                    }
                }
                assert_eq!(waits.heap.len(), pending.len(), "round {round}");
                for (i, e) in waits.heap.iter().enumerate() {
                    assert_eq!(waits.at[Waits::owner(e)], i as u32);
                    assert!(i == 0 || waits.heap[(i - 1) / 4].key() <= e.key());
                }
                let noted = waits.at.iter().filter(|&&i| i != NOWHERE).count();
                assert_eq!(noted, pending.len(), "round {round}");
            }
            // What is left comes out in order, and leaves no place noted.
            pending.sort_unstable_by_key(Event::key);
            let rest: Vec<u128> =
                std::iter::from_fn(|| waits.peek().is_some().then(|| waits.pop()))
                    .map(|e| e.key())
                    .collect();
            assert_eq!(rest, pending.iter().map(Event::key).collect::<Vec<_>>());
            assert!(waits.at.iter().all(|&i| i == NOWHERE), "round {round}");
        }
    }
}
