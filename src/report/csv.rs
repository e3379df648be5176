//! CSV exporters: teams and agents from a summary, and the streaming per-chat writer.

use std::io::Write;

use crate::experiment::Summary;
use crate::model::{AgentId, Model, NO_VALUE, RuleId, SimTime, TICKS_PER_SEC, TargetId, ValueId};
use crate::sim::{ChatRecord, Outcome, Recorder};

fn opt(x: Option<f64>) -> String {
    x.map_or(String::new(), |v| v.to_string())
}

fn finish(w: csv::Writer<Vec<u8>>) -> Vec<u8> {
    w.into_inner().expect("writing to memory cannot fail")
}

/// `teams.csv`: one row per team (and `overall` first), as in the JSON: counts are means per
/// replication, ratios and waits pooled over replications. Times in seconds.
pub fn teams(s: &Summary) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let header = [
        "team",
        "offered",
        "answered",
        "abandoned",
        "blocked",
        "waiting_at_end",
        "in_service_at_end",
        "abandon_rate",
        "service_level",
        "wait_mean",
        "wait_p50",
        "wait_p90",
        "wait_p95",
        "wait_p99",
        "wait_max",
    ];
    w.write_record(header).expect("in memory");
    let rows = std::iter::once(("overall", &s.figures.overall)).chain(
        s.figures
            .teams
            .iter()
            .map(|t| (t.name.as_str(), &t.figures)),
    );
    for (name, f) in rows {
        let x = &f.wait;
        w.write_record([
            name.to_string(),
            f.offered.to_string(),
            f.answered.to_string(),
            f.abandoned.to_string(),
            f.blocked.to_string(),
            f.waiting_at_end.to_string(),
            f.in_service_at_end.to_string(),
            opt(f.abandon_rate),
            opt(f.service_level),
            opt(x.mean),
            opt(x.p50),
            opt(x.p90),
            opt(x.p95),
            opt(x.p99),
            opt(x.max),
        ])
        .expect("in memory");
    }
    finish(w)
}

/// `agents.csv`: one row per agent, as in the JSON: counts and hours are means per replication,
/// occupancy pooled, peaks the largest seen.
pub fn agents(s: &Summary) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "agent",
        "handled",
        "occupancy",
        "mean_concurrency",
        "peak_concurrency",
        "on_shift_hours",
        "staffing_cost",
        "wrap_up",
        "tickets",
    ])
    .expect("in memory");
    for a in &s.figures.agents {
        w.write_record([
            a.name.clone(),
            a.handled.to_string(),
            opt(a.occupancy),
            opt(a.mean_concurrency),
            a.peak_concurrency.to_string(),
            a.on_shift_hours.to_string(),
            a.staffing_cost.to_string(),
            opt(a.wrap_up),
            opt(a.tickets),
        ])
        .expect("in memory");
    }
    finish(w)
}

/// `intervals.csv`: one row per interval of the measured window (figures as in the JSON's
/// `intervals`). Empty when the summary has no interval report.
pub fn intervals(s: &Summary) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "start",
        "from",
        "length",
        "offered",
        "answered",
        "abandoned",
        "service_level",
        "wait_mean",
        "wait_p90",
        "agents_on_shift",
        "occupancy",
        "tickets_backlog",
    ])
    .expect("in memory");
    for i in s.intervals.iter().flatten() {
        w.write_record([
            i.start.clone(),
            i.from.to_string(),
            i.length.to_string(),
            i.offered.to_string(),
            i.answered.to_string(),
            i.abandoned.to_string(),
            opt(i.service_level),
            opt(i.wait_mean),
            opt(i.wait_p90),
            i.agents_on_shift.to_string(),
            opt(i.occupancy),
            opt(i.tickets_backlog),
        ])
        .expect("in memory");
    }
    finish(w)
}

/// The header of `chats.csv`.
pub const CHATS_HEADER: [&str; 18] = [
    "replication",
    "id",
    "traffic",
    "attributes",
    "arrival",
    "rule",
    "team",
    "agent",
    "wait",
    "handle_time",
    "outcome",
    "checks",
    "bot_time",
    "owner",
    "transfers",
    "second_wait",
    "customer",
    "attempt",
];

/// Streams `chats.csv` rows (without the header) for the measured chats of one replication.
/// Times are seconds since the end of the warm-up (arrival) or durations in seconds.
/// The first write error stops the writer; [`ChatWriter::finish`] returns it.
///
/// A row is a few hundred nanoseconds of a chat's life, so it is serialised by hand into one
/// reused buffer (no `String` per field, no `csv::Writer` between), with the `csv` crate's
/// rules: a field is quoted when it holds a comma, a quote, `\r` or `\n`, and its quotes are
/// doubled. The buffer is handed to `out` in large writes, so `out` needs no buffer of its own.
/// The unit tests hold the rows to what `csv::Writer` makes of the same fields.
pub struct ChatWriter<'m, W: Write> {
    model: &'m Model,
    out: Option<W>,
    error: Option<std::io::Error>,
    /// Rows gathered, `buf[..len]`; the buffer keeps room for one more row past `CHUNK` (and
    /// `COPY` bytes more), so a row is written at a cursor, a field at a time, rather than
    /// pushed byte by byte.
    buf: Vec<u8>,
    len: usize,
    /// Every name a row can hold, as the row writes it, made once rather than checked for
    /// characters that need quoting in every row.
    traffic: Fields,
    rules: Fields,
    /// Per target, its team's name or `(fallback)`.
    teams: Fields,
    agents: Fields,
    /// Per outcome, in the order of `Outcome::ALL`.
    outcomes: Fields,
}

/// Names of one kind as CSV fields (quoted where they need it), end to end in one buffer.
#[derive(Debug, Default)]
struct Fields {
    bytes: Vec<u8>,
    ends: Vec<usize>,
}

impl Fields {
    fn new<'a>(names: impl Iterator<Item = &'a str>) -> Fields {
        let mut f = Fields::default();
        for name in names {
            push_field(&mut f.bytes, name);
            f.ends.push(f.bytes.len());
        }
        // Room to read `COPY` bytes from any field's start (see `Row::field`).
        f.bytes.resize(f.bytes.len() + COPY, 0);
        f
    }

    /// The `i`-th name's field, with the bytes after it to make `COPY` if it is shorter.
    #[inline]
    fn padded(&self, i: usize) -> (&[u8], usize) {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        (&self.bytes[start..], self.ends[i] - start)
    }

    /// The longest field.
    fn longest(&self) -> usize {
        let mut start = 0;
        let mut longest = 0;
        for &end in &self.ends {
            longest = longest.max(end - start);
            start = end;
        }
        longest
    }

    /// The field of `i`, or an empty field, as [`Fields::padded`] gives it.
    #[inline]
    fn opt(&self, i: Option<usize>) -> (&[u8], usize) {
        i.map_or((&[0; COPY], 0), |i| self.padded(i))
    }
}

/// What `ChatWriter` gathers before handing it to its writer.
const CHUNK: usize = 1 << 16;

impl<'m, W: Write> ChatWriter<'m, W> {
    /// A writer of rows to `out`.
    pub fn new(model: &'m Model, out: W) -> Self {
        let team = |t: &crate::model::Target| {
            t.team
                .map_or("(fallback)", |team| model.teams[team.ix()].name.as_str())
        };
        let traffic = Fields::new(model.traffic.iter().map(|t| t.name.as_str()));
        let rules = Fields::new(model.rules.iter().map(|r| r.name.as_str()));
        let teams = Fields::new(model.targets.iter().map(team));
        let agents = Fields::new(model.agents.iter().map(|a| a.name.as_str()));
        // The longest row there can be: every name at its longest, the attributes all set
        // and quoted (each byte doubled at worst), numbers at their widest.
        let attrs: usize = model
            .attributes
            .iter()
            .map(|a| a.name.len() + 2 + a.values.iter().map(String::len).max().unwrap_or(0))
            .sum();
        let longest = COPY
            + traffic.longest()
            + rules.longest()
            + teams.longest()
            + 2 * agents.longest()
            + 2 * attrs
            + 2
            + 4 * 10
            + 2 * 20
            + 5 * SECS_WIDTH
            + OUTCOME_WIDTH
            + CHATS_HEADER.len();
        ChatWriter {
            model,
            out: Some(out),
            error: None,
            buf: vec![0; CHUNK + longest],
            len: 0,
            traffic,
            rules,
            teams,
            agents,
            outcomes: Fields::new(Outcome::ALL.iter().map(|o| o.name())),
        }
    }

    /// Writes out the rows gathered so far; an error stops the writer.
    fn drain(&mut self) {
        if self.error.is_some() {
            return;
        }
        let out = self.out.as_mut().expect("not finished");
        if let Err(e) = out.write_all(&self.buf[..self.len]) {
            self.error = Some(e);
        }
        self.len = 0;
    }

    /// Flushes and returns the underlying writer, or the first error met.
    pub fn finish(mut self) -> Result<W, std::io::Error> {
        self.drain();
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        let mut w = self.out.take().expect("finish is called once");
        w.flush()?;
        Ok(w)
    }
}

/// Whether the `csv` crate (by default) quotes a field holding `b`.
#[inline]
fn special(b: u8) -> bool {
    matches!(b, b',' | b'"' | b'\r' | b'\n')
}

/// Appends `field` as the `csv` crate writes it by default: as it is, or quoted (with its
/// quotes doubled) when it holds a comma, a quote, `\r` or `\n`.
fn push_field(buf: &mut Vec<u8>, field: &str) {
    let bytes = field.as_bytes();
    let start = buf.len();
    buf.reserve(bytes.len());
    for &b in bytes {
        if special(b) {
            buf.truncate(start);
            push_quoted(buf, bytes);
            return;
        }
        buf.push(b);
    }
}

fn push_quoted(buf: &mut Vec<u8>, bytes: &[u8]) {
    buf.push(b'"');
    for &b in bytes {
        if b == b'"' {
            buf.push(b'"');
        }
        buf.push(b);
    }
    buf.push(b'"');
}

/// Below this many ticks (about 31 years) a time in seconds has at most 15 significant digits,
/// so `f64`'s shortest round-trip text, which `secs` must reproduce, is the exact decimal.
const EXACT_BELOW: u64 = 1_000_000_000_000_000;

/// The most bytes [`Row::secs`] writes: 20 digits and a point, or `f64`'s shortest text of a
/// time past [`EXACT_BELOW`] (at most 17 significant digits and a point).
const SECS_WIDTH: usize = 24;
/// The longest outcome's name, and then some.
const OUTCOME_WIDTH: usize = 16;
/// Short fields are copied as this many bytes, whatever their length, and the cursor moved by
/// their length: a fixed-size copy is two moves where a copy of any length is a call to
/// `memcpy`. The row's buffer and every source keep this much room past their ends.
const COPY: usize = 16;

/// `10^k` at `k`, for every power a `u64` holds.
const POW10: [u64; 20] = {
    let mut t = [1u64; 20];
    let mut k = 1;
    while k < 20 {
        t[k] = t[k - 1] * 10;
        k += 1;
    }
    t
};

/// How many decimal digits `n` has (one for 0): `log10` from the bit length (1233 / 4096 is
/// just below log10(2)), one less when `n` is below that power of ten.
#[inline(always)]
fn digit_count(n: u64) -> usize {
    let n = n | 1; // the same count, and a bit length of at least one
    let t = ((64 - n.leading_zeros() as usize) * 1233) >> 12;
    t + 1 - usize::from(n < POW10[t])
}

/// Writes `n`'s `len` decimal digits (its [`digit_count`]) at the front of `out`, two at a
/// time from the last.
#[inline(always)]
fn put_digits(out: &mut [u8], mut n: u64, len: usize) {
    let mut i = len;
    while n >= 100 {
        let d = (n % 100) as usize * 2;
        n /= 100;
        i -= 2;
        out[i..i + 2].copy_from_slice(&PAIRS[d..d + 2]);
    }
    if n >= 10 {
        let d = n as usize * 2;
        out[i - 2..i].copy_from_slice(&PAIRS[d..d + 2]);
    } else {
        out[i - 1] = b'0' + n as u8;
    }
}

/// The eight decimal digits of `n < 10^8`, leading zeros included, as byte values 0 to 9,
/// the first digit in the lowest byte (where it lies in memory, read little-endian). Computed
/// in the lanes of one word: the two halves of four digits, then their four pairs, then the
/// eight digits, each split by a multiply and a shift (`x * 5243 >> 19` is `x / 100` below
/// 43,699, `x * 103 >> 10` is `x / 10` below 179), so a number costs the same dozen
/// instructions whatever its length, where dividing by 100 in a loop was a chain as long as
/// its digits.
#[inline(always)]
fn eight_digits(n: u64) -> u64 {
    debug_assert!(n < 100_000_000);
    let halves = (n / 10_000) | ((n % 10_000) << 32);
    let hundreds = ((halves * 5243) >> 19) & 0x0000_007F_0000_007F;
    let pairs = hundreds | (halves - hundreds * 100) << 16;
    let tens = ((pairs * 103) >> 10) & 0x000F_000F_000F_000F;
    tens | (pairs - tens * 10) << 8
}

/// Added to [`eight_digits`], makes them characters.
const ZEROS: u64 = 0x3030_3030_3030_3030;

/// Two decimal digits per entry, "00" to "99".
const PAIRS: &[u8; 200] = b"\
0001020304050607080910111213141516171819\
2021222324252627282930313233343536373839\
4041424344454647484950515253545556575859\
6061626364656667686970717273747576777879\
8081828384858687888990919293949596979899";

/// One row written at a cursor into room made for it beforehand (see `ChatWriter::new`).
struct Row<'a> {
    out: &'a mut [u8],
    at: usize,
}

impl Row<'_> {
    #[inline(always)]
    fn byte(&mut self, b: u8) {
        self.out[self.at] = b;
        self.at += 1;
    }

    #[inline(always)]
    fn bytes(&mut self, bytes: &[u8]) {
        let end = self.at + bytes.len();
        self.out[self.at..end].copy_from_slice(bytes);
        self.at = end;
    }

    /// Copies a field of `len` bytes from the front of `src`, which holds at least `COPY`
    /// bytes when `len` is less, then the separator `sep` (written inside the block copied:
    /// one store, no bounds check of its own).
    #[inline(always)]
    fn field(&mut self, (src, len): (&[u8], usize), sep: u8) {
        if len < COPY {
            let block = &mut self.out[self.at..self.at + COPY];
            block.copy_from_slice(&src[..COPY]);
            block[len] = sep;
            self.at += len + 1;
        } else {
            self.bytes(&src[..len]);
            self.byte(sep);
        }
    }

    /// Appends `n`'s digits. Below 10^8 (nearly every number a row holds) the eight digits
    /// are made at once, shifted to drop the leading zeros and stored as one word, and the
    /// cursor moves by the digits' count; the bytes stored past them are overwritten by what
    /// comes next (the row keeps room for a word past any field).
    #[inline(always)]
    fn digits(&mut self, n: u64) {
        let len = digit_count(n);
        if n < 100_000_000 {
            let text = (eight_digits(n) | ZEROS) >> (8 * (8 - len));
            self.out[self.at..self.at + 8].copy_from_slice(&text.to_le_bytes());
        } else {
            put_digits(&mut self.out[self.at..self.at + len], n, len);
        }
        self.at += len;
    }

    /// Appends `n` in decimal; most of a row's numbers are single digits (the replication,
    /// checks, transfers, attempt), two stores with the separator.
    #[inline(always)]
    fn int(&mut self, n: impl Into<u64>, sep: u8) {
        let n = n.into();
        if n < 10 {
            let out = &mut self.out[self.at..self.at + 2];
            out[0] = b'0' + n as u8;
            out[1] = sep;
            self.at += 2;
            return;
        }
        self.digits(n);
        self.byte(sep);
    }

    /// Appends `t` in seconds, byte for byte as `t.as_secs_f64().to_string()` prints it (`0`,
    /// `1.5`, `0.000001`) but from the integer ticks. `as_secs_f64` rounds ticks / 10^6
    /// correctly, and any two decimals of at most 15 significant digits are different
    /// doubles, so the shortest text that reads back as that double is the decimal itself,
    /// trailing zeros dropped: the whole seconds, then (unless the fraction is 0) the point
    /// and the fraction's six digits but its trailing zeros, which are the word's high zero
    /// bytes. Inlined in every field that writes it (its call was a fifth of the row's
    /// instructions); a time past `EXACT_BELOW` is a call away.
    #[inline(always)]
    fn secs(&mut self, t: SimTime, sep: u8) {
        const _: () = assert!(TICKS_PER_SEC == 1_000_000);
        if t.0 >= EXACT_BELOW {
            self.long_secs(t, sep);
            return;
        }
        let (whole, frac) = (t.0 / TICKS_PER_SEC, t.0 % TICKS_PER_SEC);
        self.digits(whole);
        if frac == 0 {
            self.byte(sep);
            return;
        }
        // Eight digits of which the first two are 0: the fraction's six are bytes 2 to 7.
        let d = eight_digits(frac);
        let kept = 6 - (d.leading_zeros() / 8) as usize;
        let out = &mut self.out[self.at..self.at + 10];
        out[0] = b'.';
        out[1..9].copy_from_slice(&((d >> 16) | ZEROS).to_le_bytes());
        out[1 + kept] = sep;
        self.at += kept + 2;
    }

    /// [`secs`](Row::secs) of a time past `EXACT_BELOW` (some 31 years), as `f64` prints it.
    #[cold]
    #[inline(never)]
    fn long_secs(&mut self, t: SimTime, sep: u8) {
        self.bytes(t.as_secs_f64().to_string().as_bytes());
        self.byte(sep);
    }

    #[inline(always)]
    fn opt_secs(&mut self, t: Option<SimTime>, sep: u8) {
        match t {
            Some(t) => self.secs(t, sep),
            None => self.byte(sep),
        }
    }

    /// Appends a chat's attributes, `name=value` joined by `;` (the values it has), as one
    /// field.
    fn attrs(&mut self, m: &Model, attrs: &[ValueId]) {
        let start = self.at;
        for (i, &v) in attrs.iter().enumerate() {
            if v == NO_VALUE {
                continue;
            }
            if self.at > start {
                self.byte(b';');
            }
            let a = &m.attributes[i];
            self.bytes(a.name.as_bytes());
            self.byte(b'=');
            self.bytes(a.values[v as usize].as_bytes());
        }
        if self.out[start..self.at].iter().any(|&b| special(b)) {
            // Rare (a name or value with a comma or a quote): quote what was just written.
            let joined = self.out[start..self.at].to_vec();
            self.at = start;
            let mut quoted = Vec::with_capacity(2 * joined.len() + 2);
            push_quoted(&mut quoted, &joined);
            self.bytes(&quoted);
        }
    }
}

impl<W: Write> Recorder for ChatWriter<'_, W> {
    fn record(&mut self, r: &ChatRecord<'_>) {
        if !r.measured || self.error.is_some() {
            return;
        }
        let m = self.model;
        let agent = |a: Option<AgentId>| self.agents.opt(a.map(AgentId::ix));
        let mut b = Row {
            out: &mut self.buf[self.len..],
            at: 0,
        };
        b.int(r.replication, b',');
        b.int(r.id, b',');
        b.field(self.traffic.padded(r.traffic.ix()), b',');
        b.attrs(m, r.attrs);
        b.byte(b',');
        b.secs(r.arrival.since(m.warmup), b',');
        b.field(self.rules.opt(r.rule.map(RuleId::ix)), b',');
        b.field(self.teams.opt(r.target.map(TargetId::ix)), b',');
        b.field(agent(r.agent), b',');
        b.secs(r.wait, b',');
        b.opt_secs(r.handle, b',');
        b.field(self.outcomes.padded(r.outcome as usize), b',');
        b.int(r.checks, b',');
        b.opt_secs(r.bot_time, b',');
        b.field(agent(r.owner), b',');
        b.int(r.transfers, b',');
        b.opt_secs(r.second_wait, b',');
        b.int(r.customer, b',');
        b.int(r.attempt, b'\n');
        self.len += b.at;
        if self.len >= CHUNK {
            self.drain();
        }
    }

    /// A writer that failed stops the run: simulating on would only produce a file that is
    /// then thrown away.
    fn keep_going(&self) -> bool {
        self.error.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{RuleId, TargetId, TrafficId};
    use crate::sim::Outcome;
    use proptest::prelude::*;

    /// What `write` puts in a row, which must end with the separator it was given.
    fn written(room: usize, write: impl FnOnce(&mut Row<'_>)) -> String {
        let mut out = vec![0u8; room];
        let mut row = Row {
            out: &mut out,
            at: 0,
        };
        write(&mut row);
        let at = row.at;
        assert_eq!(out[at - 1], b';', "the separator last");
        String::from_utf8(out[..at - 1].to_vec()).unwrap()
    }

    fn secs_text(t: u64) -> String {
        written(SECS_WIDTH + 1, |row| row.secs(SimTime(t), b';'))
    }

    fn int_text(n: u64) -> String {
        written(40, |row| row.int(n, b';'))
    }

    #[test]
    fn integers_read_as_their_display() {
        let mut edges = vec![0, u64::MAX, u32::MAX as u64];
        for p in 0..20 {
            let ten = 10u64.pow(p);
            edges.extend([ten - 1, ten, ten + 1]);
        }
        for n in edges.into_iter().chain(0..100_000) {
            assert_eq!(int_text(n), n.to_string());
        }
    }

    #[test]
    fn seconds_read_as_the_f64_display_of_every_small_time() {
        for t in (0..300_000).chain(999_000..1_001_000) {
            assert_eq!(
                secs_text(t),
                SimTime(t).as_secs_f64().to_string(),
                "{t} ticks"
            );
        }
        for t in [
            EXACT_BELOW - 1,
            EXACT_BELOW,
            EXACT_BELOW + 1,
            (1 << 53) - 1,
            1 << 53,
            (1 << 53) + 1,
            u64::MAX,
        ] {
            assert_eq!(
                secs_text(t),
                SimTime(t).as_secs_f64().to_string(),
                "{t} ticks"
            );
        }
    }

    proptest! {
        #[test]
        fn seconds_read_as_the_f64_display(t in 0u64..EXACT_BELOW * 2, small in 0u64..1_000_000_000) {
            prop_assert_eq!(secs_text(t), SimTime(t).as_secs_f64().to_string());
            prop_assert_eq!(secs_text(small), SimTime(small).as_secs_f64().to_string());
            prop_assert_eq!(int_text(t), t.to_string());
        }

        /// Numbers below 10^8 take the eight-digits-at-once path: every length of it at
        /// random (the range above draws almost only from the loop's, past 10^8), and times
        /// whose whole seconds run to nine digits.
        #[test]
        fn word_at_once_numbers_read_as_their_display(
            n in 0u64..100_000_000,
            whole in 0u64..1_000_000_000,
            frac in 0u64..1_000_000,
        ) {
            prop_assert_eq!(int_text(n), n.to_string());
            let t = whole * TICKS_PER_SEC + frac;
            prop_assert_eq!(secs_text(t), SimTime(t).as_secs_f64().to_string());
        }

        #[test]
        fn fields_are_quoted_as_the_csv_crate_quotes_them(
            fields in proptest::collection::vec("[a-c ,;=\"\r\n'#]{0,6}", 1..5)
        ) {
            let mut ours = Vec::new();
            for (i, f) in fields.iter().enumerate() {
                if i > 0 {
                    ours.push(b',');
                }
                push_field(&mut ours, f);
            }
            ours.push(b'\n');
            let mut theirs = csv::WriterBuilder::new().has_headers(false).from_writer(Vec::new());
            theirs.write_record(&fields).unwrap();
            // The crate quotes a lone empty field (an empty record would not read back); a
            // chats.csv row has 18 fields.
            prop_assume!(fields != [""]);
            prop_assert_eq!(ours, theirs.into_inner().unwrap());
        }
    }

    /// A desk whose names need quoting: commas and quotes in streams, rules, teams, agents,
    /// attributes and their values.
    const AWKWARD: &str = r#"
[simulation]
duration = "1h"
[[teams]]
name = "sup,port"
[[teams]]
name = 'say "hi"'
[[agents]]
name = 'a"b'
count = 2
teams = ["sup,port"]
[[agents]]
name = "plain"
teams = ['say "hi"']
[[traffic]]
name = "web, chat"
rate = "30/h"
handle_time = "5m"
attributes = { topic = { "bill,ing" = 1, tech = 3 }, lang = { en = 1, 'd"e' = 1 } }
[[rules]]
name = 'the "tech" rule'
when = { topic = "tech" }
route = [ { team = "sup,port", timeout = "1m" }, { team = 'say "hi"' } ]
[[rules]]
name = "rest"
route = [ { team = 'say "hi"' } ]
"#;

    /// The row as it was written before the hand-made serialiser: every field a `String`, the
    /// record written by `csv::Writer`.
    fn reference(m: &Model, r: &ChatRecord<'_>) -> Vec<u8> {
        let secs = |t: SimTime| t.as_secs_f64().to_string();
        let attrs = r
            .attrs
            .iter()
            .enumerate()
            .filter(|&(_, &v)| v != NO_VALUE)
            .map(|(i, &v)| {
                let a = &m.attributes[i];
                format!("{}={}", a.name, a.values[v as usize])
            })
            .collect::<Vec<_>>()
            .join(";");
        let name = |a: Option<AgentId>| a.map_or(String::new(), |a| m.agents[a.ix()].name.clone());
        let team = r.target.map_or("", |t| {
            m.targets[t.ix()]
                .team
                .map_or("(fallback)", |team| m.teams[team.ix()].name.as_str())
        });
        let row = [
            r.replication.to_string(),
            r.id.to_string(),
            m.traffic[r.traffic.ix()].name.clone(),
            attrs,
            secs(r.arrival.since(m.warmup)),
            r.rule
                .map_or(String::new(), |x| m.rules[x.ix()].name.clone()),
            team.to_string(),
            name(r.agent),
            secs(r.wait),
            r.handle.map_or(String::new(), secs),
            r.outcome.name().to_string(),
            r.checks.to_string(),
            r.bot_time.map_or(String::new(), secs),
            name(r.owner),
            r.transfers.to_string(),
            r.second_wait.map_or(String::new(), secs),
            r.customer.to_string(),
            r.attempt.to_string(),
        ];
        let mut w = csv::WriterBuilder::new()
            .has_headers(false)
            .from_writer(Vec::new());
        w.write_record(&row).unwrap();
        w.into_inner().unwrap()
    }

    const OUTCOMES: [Outcome; 8] = Outcome::ALL;

    fn time() -> impl Strategy<Value = SimTime> {
        prop_oneof![Just(0u64), 0u64..10_000, 0u64..10_000_000_000, any::<u64>()].prop_map(SimTime)
    }

    #[allow(clippy::type_complexity)]
    fn record() -> impl Strategy<
        Value = (
            Vec<ValueId>,
            [u64; 4],
            [Option<u32>; 4],
            [SimTime; 2],
            [Option<SimTime>; 3],
            usize,
        ),
    > {
        (
            proptest::collection::vec(prop_oneof![Just(NO_VALUE), 0u32..2], 2..=2),
            any::<[u64; 4]>(),
            any::<[Option<u32>; 4]>(),
            [time(), time()],
            [
                proptest::option::of(time()),
                proptest::option::of(time()),
                proptest::option::of(time()),
            ],
            0..OUTCOMES.len(),
        )
    }

    proptest! {
        #[test]
        fn rows_are_what_csv_writer_makes_of_the_fields(
            records in proptest::collection::vec(record(), 1..20)
        ) {
            let m = crate::scenario::parse_str("awkward.toml", AWKWARD).unwrap();
            let mut ours = ChatWriter::new(&m, Vec::new());
            let mut theirs = Vec::new();
            for (attrs, n, picks, [arrival, wait], [handle, bot_time, second_wait], outcome) in &records {
                let pick = |x: Option<u32>, len: usize| x.map(|x| x % len as u32);
                let rec = ChatRecord {
                    replication: n[0] as u32,
                    id: n[1],
                    customer: n[2],
                    attempt: n[3] as u32,
                    retry: false,
                    measured: true,
                    traffic: TrafficId(0),
                    attrs,
                    arrival: *arrival,
                    rule: pick(picks[0], m.rules.len()).map(RuleId),
                    target: pick(picks[1], m.targets.len()).map(TargetId),
                    agent: pick(picks[2], m.agents.len()).map(AgentId),
                    wait: *wait,
                    bot_time: *bot_time,
                    handle: *handle,
                    outcome: OUTCOMES[*outcome],
                    channel: None,
                    owner: pick(picks[3], m.agents.len()).map(AgentId),
                    checks: (n[0] >> 32) as u32,
                    transfers: (n[1] >> 40) as u32,
                    second_wait: *second_wait,
                    resolution: None,
                };
                ours.record(&rec);
                theirs.extend(reference(&m, &rec));
            }
            let ours = ours.finish().unwrap();
            prop_assert_eq!(String::from_utf8(ours).unwrap(), String::from_utf8(theirs).unwrap());
        }
    }

    #[test]
    fn unmeasured_chats_have_no_row_and_large_rows_reach_the_writer_whole() {
        let m = crate::scenario::parse_str("awkward.toml", AWKWARD).unwrap();
        let mut w = ChatWriter::new(&m, Vec::new());
        let attrs = [0, 1];
        let mut rec = ChatRecord {
            replication: 0,
            id: 0,
            customer: 0,
            attempt: 1,
            retry: false,
            measured: false,
            traffic: TrafficId(0),
            attrs: &attrs,
            arrival: SimTime(1_500_000),
            rule: Some(RuleId(0)),
            target: Some(TargetId(0)),
            agent: Some(AgentId(1)),
            wait: SimTime(0),
            bot_time: None,
            handle: Some(SimTime(300_000_001)),
            outcome: Outcome::Served,
            channel: None,
            owner: None,
            checks: 1,
            transfers: 0,
            second_wait: None,
            resolution: None,
        };
        w.record(&rec);
        rec.measured = true;
        let mut expected = Vec::new();
        for id in 0..5_000 {
            rec.id = id;
            w.record(&rec);
            expected.extend(reference(&m, &rec));
        }
        let got = w.finish().unwrap();
        assert!(got.len() > CHUNK);
        assert_eq!(got, expected);
        let first = String::from_utf8(got).unwrap();
        let first = first.lines().next().unwrap();
        assert!(first.starts_with("0,0,\"web, chat\","), "{first}");
        for piece in [",1.5,\"the \"\"tech\"\" rule\",", ",0,300.000001,served,1,"] {
            assert!(first.contains(piece), "{piece} in {first}");
        }
    }
}
