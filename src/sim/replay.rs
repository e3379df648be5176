//! A replayed stream's arrivals (`replay = "chats.csv"`), read from the log row by row in each
//! replication, as the engine's arrival source for the stream ([`ReplaySource`]). The log's
//! parser is the compiler's ([`crate::scenario::replay_log`]), which checked every row before
//! the run. Memory is one CSV record, the attribute values seen, and the rows of the
//! look-ahead window (the log's disorder plus the copies' jitter), never the rows read.
//!
//! **Scale.** Each row has a uniform `u`, drawn from (seed, replication, stream, row). Copy `k`
//! (k = 0, 1, ...) of the row is replayed when `k + u < scale`: at 0.5 about half the rows,
//! at 2.3 every row twice and 30% three times. The rows kept at a smaller scale are kept at
//! every larger one (common random numbers). Copy 0 arrives at the row's time; the others at a
//! uniform jitter of up to `jitter` either side of it, so the log's time-of-day shape stays.
//! Every copy keeps the row's attributes and handle time and draws the rest (patience where
//! the log does not know it, wrap-up, owner, bot) from a random stream of its own.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};

use super::engine::stream_seed;
use crate::model::{AttrId, Dist, Duration, NO_VALUE, Replay, SimTime, ValueId};
pub use crate::scenario::replay_log::Patience;
use crate::scenario::replay_log::{
    Filter, LogReader, Vocabulary, csv_problem, open, parse_row, sim_ticks,
};

/// A uniform in [0, 1) from 64 bits.
#[inline]
fn unit(bits: u64) -> f64 {
    (bits >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// Whether copy `k` of the row with uniform `u` is replayed at `scale` (k + u < scale): the
/// copies kept at a scale are kept at every larger one.
#[inline]
pub fn kept(k: u32, u: f64, scale: f64) -> bool {
    (k as f64) + u < scale
}

/// The row's uniform that decides its copies: from (stream's seed, row), so that it is the same
/// whatever the scale.
#[inline]
pub fn row_uniform(base: u64, row: u64) -> f64 {
    unit(stream_seed(base, 0, row))
}

/// Draws a patience known to be longer than `waited`: for an exponential, `waited` plus a fresh
/// draw (it is memoryless); otherwise the first of up to 100 draws above `waited`, or, when a
/// patience that long is too rare for that, `waited` plus a fresh draw.
pub fn patience_beyond<R: rand::Rng + ?Sized>(
    d: &Duration,
    waited: SimTime,
    rng: &mut R,
) -> SimTime {
    if let Dist::Exponential(_) = d.dist {
        return waited.plus(d.dist.sample(rng));
    }
    for _ in 0..100 {
        let p = d.dist.sample(rng);
        if p > waited {
            return p;
        }
    }
    waited.plus(d.dist.sample(rng))
}

/// One copy of a row, waiting in the look-ahead window to arrive.
#[derive(Debug)]
pub struct Pending {
    /// Attribute values, one per attribute of the model.
    pub attrs: Vec<ValueId>,
    /// The row's handle time, if the log has one.
    pub handle: Option<SimTime>,
    /// What the log says of its patience.
    pub patience: Patience,
    /// The copy's own random stream (the rest of its draws).
    pub rng: Xoshiro256PlusPlus,
}

/// Looks attribute names and values up in what the checked reading found: a value it did not
/// see means the log changed since.
struct Lookup<'r>(&'r Replay);

impl Vocabulary for Lookup<'_> {
    fn attr(&mut self, name: &str) -> Result<AttrId, String> {
        self.0.attr_names.get(name).copied().ok_or_else(changed)
    }
    fn value(&mut self, attr: AttrId, text: &str) -> Result<ValueId, String> {
        self.0
            .values
            .get(attr.ix())
            .and_then(|m| m.get(text))
            .copied()
            .ok_or_else(changed)
    }
}

fn changed() -> String {
    "the log changed since the scenario was checked".into()
}

/// A replayed stream's arrivals in one replication: reads the log row by row, makes each row's
/// copies, and hands them out in order of time through a look-ahead window as wide as the
/// log's disorder plus the jitter.
pub struct ReplaySource<'m> {
    replay: &'m Replay,
    reader: LogReader,
    record: csv::StringRecord,
    /// Seed of the stream in this replication: rows' uniforms and copies' streams come from it.
    base: u64,
    n_attrs: usize,
    /// The copies in the window, by (time, row, copy, index into `items`).
    window: BinaryHeap<Reverse<(u64, u64, u32, u32)>>,
    items: Vec<Option<Pending>>,
    free: Vec<u32>,
    spare: Vec<Vec<ValueId>>,
    scratch: Vec<ValueId>,
    /// Latest arrival read, ticks; rows read later are no earlier than this minus the disorder.
    frontier: i64,
    /// The time of the last copy handed out (they go out in order).
    last: u64,
    row: u64,
    done: bool,
    end: u64,
    lookahead: i64,
}

impl std::fmt::Debug for ReplaySource<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReplaySource")
            .field("path", &self.replay.path)
            .field("row", &self.row)
            .finish()
    }
}

impl<'m> ReplaySource<'m> {
    /// Opens the log for replication `replication` of stream `stream` (its index), checking
    /// that it is the file that was checked.
    pub fn open(
        replay: &'m Replay,
        seed: u64,
        replication: u32,
        stream: usize,
        n_attrs: usize,
        end: SimTime,
    ) -> Result<Self, String> {
        let fail = |e: String| format!("{}: {e}", replay.path.display());
        let meta =
            std::fs::metadata(&replay.path).map_err(|e| fail(format!("cannot read: {e}")))?;
        if (meta.len(), meta.modified().ok()) != replay.fingerprint {
            return Err(fail(changed()));
        }
        let mut reader = open(&replay.path).map_err(|e| fail(format!("cannot read: {e}")))?;
        let fields = match reader.headers() {
            Ok(h) => h.len(),
            Err(e) => {
                let line = reader.get_mut().of(e.position()).unwrap_or(1);
                let message = csv_problem(&e, line).message;
                return Err(format!("{}:{line}: {message}", replay.path.display()));
            }
        };
        if fields != replay.fields {
            return Err(fail(changed()));
        }
        Ok(ReplaySource {
            replay,
            reader,
            record: csv::StringRecord::new(),
            base: stream_seed(seed, replication, stream as u64 + 1),
            n_attrs,
            window: BinaryHeap::new(),
            items: Vec::new(),
            free: Vec::new(),
            spare: Vec::new(),
            scratch: Vec::new(),
            frontier: i64::MIN,
            last: 0,
            row: 0,
            done: false,
            end: end.0,
            lookahead: (replay.disorder.0 + replay.jitter.0) as i64,
        })
    }

    /// The time of the next copy to arrive, reading on as far as the window needs; `None` when
    /// the log has no more inside the run. An error (a row unreadable now, a log that changed)
    /// says where.
    pub fn next_time(&mut self) -> Result<Option<SimTime>, String> {
        loop {
            if let Some(&Reverse((t, ..))) = self.window.peek()
                && (self.done || (t as i64).saturating_add(self.lookahead) < self.frontier)
            {
                if t < self.last {
                    return Err(format!("{}: {}", self.replay.path.display(), changed()));
                }
                self.last = t;
                return Ok(Some(SimTime(t)));
            }
            if self.done {
                return Ok(None);
            }
            self.read_row()?;
        }
    }

    /// Takes the copy whose time [`next_time`](Self::next_time) gave.
    pub fn take(&mut self) -> Pending {
        let Reverse((.., i)) = self.window.pop().expect("next_time gave a time");
        self.free.push(i);
        self.items[i as usize].take().expect("a live entry")
    }

    /// Gives a taken copy's buffer back, so that the next rows allocate nothing.
    pub fn recycle(&mut self, p: Pending) {
        self.spare.push(p.attrs);
    }

    fn read_row(&mut self) -> Result<(), String> {
        let r = self.replay;
        let path = || r.path.display();
        match self.reader.read_record(&mut self.record) {
            Ok(true) => {}
            Ok(false) => {
                self.done = true;
                return Ok(());
            }
            Err(e) => {
                let line = self.reader.get_mut().of(e.position());
                let p = csv_problem(&e, line.unwrap_or(self.row + 2));
                return Err(format!("{}:{}: {}", path(), p.line, p.message));
            }
        }
        let row = self.row;
        self.row += 1;
        let line = (self.reader.get_mut())
            .of(self.record.position())
            .unwrap_or(row + 2);
        self.scratch.clear();
        self.scratch.resize(self.n_attrs, NO_VALUE);
        let filter = Filter {
            stream: &r.stream,
            replication: r.replication,
        };
        let parsed = parse_row(
            &r.columns,
            filter,
            &self.record,
            &mut Lookup(r),
            &mut self.scratch,
        );
        let cells = match parsed {
            Ok(Some(c)) => c,
            Ok(None) => return Ok(()),
            Err((_, e)) => {
                return Err(format!("{}:{line}: {e} ({})", path(), changed()));
            }
        };
        let t = sim_ticks(r.clock, cells.arrival)
            .map_err(|e| format!("{}:{line}: {e} ({})", path(), changed()))?;
        if t < self.frontier.saturating_sub(r.disorder.0 as i64) {
            return Err(format!("{}:{line}: {}", path(), changed()));
        }
        self.frontier = self.frontier.max(t);
        // Rows from here on only give copies at or after the end: the rest is not read.
        if self.frontier.saturating_sub(self.lookahead) >= self.end as i64 {
            self.done = true;
        }
        let u = row_uniform(self.base, row);
        let mut k = 0;
        while kept(k, u, r.scale) {
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(stream_seed(self.base, k + 1, row));
            let j = r.jitter.0 as i64;
            let at = if k == 0 || j == 0 {
                t
            } else {
                t + rng.random_range(-j..=j)
            };
            k += 1;
            if at < 0 || at >= self.end as i64 {
                continue;
            }
            let mut attrs = self.spare.pop().unwrap_or_default();
            attrs.clear();
            attrs.extend_from_slice(&self.scratch);
            let p = Pending {
                attrs,
                handle: cells.handle,
                patience: cells.patience,
                rng,
            };
            let i = match self.free.pop() {
                Some(i) => {
                    self.items[i as usize] = Some(p);
                    i
                }
                None => {
                    self.items.push(Some(p));
                    (self.items.len() - 1) as u32
                }
            };
            self.window.push(Reverse((at as u64, row, k - 1, i)));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kept_copies_nest_as_the_scale_grows() {
        let base = stream_seed(7, 0, 1);
        let copies = |row: u64, m: f64| {
            (0..)
                .take_while(|&k| kept(k, row_uniform(base, row), m))
                .count()
        };
        let mut total = [0usize; 4];
        for row in 0..20_000 {
            let c: Vec<usize> = [0.5, 0.8, 1.0, 2.3]
                .iter()
                .map(|&m| copies(row, m))
                .collect();
            assert!(c.windows(2).all(|w| w[0] <= w[1]), "row {row}: {c:?}");
            assert_eq!(c[2], 1);
            assert!((2..=3).contains(&c[3]));
            for (t, x) in total.iter_mut().zip(&c) {
                *t += x;
            }
        }
        // About m copies per row (binomial: sd of 0.5 x 20,000 is about 71).
        assert!((total[0] as f64 - 10_000.0).abs() < 400.0, "{total:?}");
        assert!((total[3] as f64 - 46_000.0).abs() < 400.0, "{total:?}");
    }

    #[test]
    fn patience_beyond_a_wait_is_longer_than_it() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
        let exp = Duration {
            dist: Dist::Exponential(rand_distr::Exp::new(1.0 / 60.0).unwrap()),
            mean_secs: 60.0,
        };
        let w = SimTime::from_secs_f64(120.0);
        let n = 20_000;
        let mean: f64 = (0..n)
            .map(|_| patience_beyond(&exp, w, &mut rng).as_secs_f64())
            .sum::<f64>()
            / n as f64;
        // Memoryless: 120 s plus a mean of 60 s (sd of the mean 0.42 s).
        assert!((mean - 180.0).abs() < 2.0, "{mean}");
        let constant = Duration {
            dist: Dist::Constant(SimTime::from_secs_f64(30.0)),
            mean_secs: 30.0,
        };
        assert_eq!(
            patience_beyond(&constant, w, &mut rng),
            SimTime::from_secs_f64(150.0)
        );
    }
}
