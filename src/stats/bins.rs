//! [`Bins`]: the counts of an HdrHistogram (1-tick floor, 3 significant digits) without its
//! fixed array, so that a tally that sees few waits holds few bytes.
//!
//! A histogram over a run of a week with a 1 us floor has about 30,000 bins (240 KB of
//! counters); a collector used to hold one per rule, per team and overall, allocated up front.
//! Here a chat's bin is computed once ([`bin_of`], the index `hdrhistogram` itself would use)
//! and counted in each tally the chat belongs to. A tally starts with no counters at all, keeps
//! the bins it has seen in a small open-addressing table, and moves to a dense array (the
//! `hdrhistogram` layout) when the table would outgrow [`SPARSE_SLOTS`] slots, so a row that
//! sees many distinct waits records as fast as before and a row that sees few costs a few
//! kilobytes.
//!
//! Every figure is read exactly as `hdrhistogram` reads it ([`Bins::quantiles`] is its
//! `value_at_quantile`), and a [`Bins`] serializes to the very bytes `hist_serde` writes for the
//! histogram with the same counts, so shards written before and after this change merge alike.
//! The tests check both against `hdrhistogram` on random data.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::hist_serde::Stored;

/// Significant digits (as `hdrhistogram`'s `sigfig`).
const SIGFIG: u8 = 3;
/// log2 of half the sub-buckets of a bucket: 2 x 10^3 rounds up to 2,048 sub-buckets.
const HALF_MAG: u32 = 10;
const HALF: usize = 1 << HALF_MAG;
/// The largest value of bucket 0 (all 2,048 sub-buckets at one tick each).
const SUB_MASK: u64 = (2 << HALF_MAG) - 1;
/// `hdrhistogram`'s `leading_zero_count_base`: 64 - unit magnitude (0) - 11.
const LZ_BASE: u32 = 64 - (HALF_MAG + 1);
/// Largest open-addressing table, in slots (12 bytes each), before a tally turns dense.
pub(super) const SPARSE_SLOTS: usize = 1024;
const EMPTY: u32 = u32::MAX;

/// The bin `hdrhistogram` counts `value` in (its `index_for`), for a 1-tick floor and 3
/// significant digits. Whether the bin exists depends on the histogram's upper bound.
#[inline]
pub(super) fn bin_of(value: u64) -> usize {
    let bucket = LZ_BASE - (value | SUB_MASK).leading_zeros();
    (((bucket + 1) as usize) << HALF_MAG) + (value >> bucket) as usize - HALF
}

/// `hdrhistogram`'s `bucket_for`.
fn bucket_of(value: u64) -> u32 {
    LZ_BASE - (value | SUB_MASK).leading_zeros()
}

/// The lowest value counted in `bin` (`hdrhistogram`'s `value_for`).
fn value_of(bin: usize) -> u64 {
    let bucket = (bin >> HALF_MAG) as i64 - 1;
    let sub = (bin & (HALF - 1)) as u64 + HALF as u64;
    if bucket < 0 {
        sub - HALF as u64
    } else {
        sub << bucket
    }
}

/// The highest value equivalent to `value` (`hdrhistogram`'s `highest_equivalent`).
fn highest_equivalent(value: u64) -> u64 {
    if value == u64::MAX {
        return u64::MAX;
    }
    let bucket = bucket_of(value);
    let lowest = (value >> bucket) << bucket;
    lowest.saturating_add(1 << bucket) - 1
}

/// The lowest value equivalent to `value` (`hdrhistogram`'s `lowest_equivalent`).
fn lowest_equivalent(value: u64) -> u64 {
    let bucket = bucket_of(value);
    (value >> bucket) << bucket
}

/// How many bins `hdrhistogram` allocates to track values up to `high`.
fn bins_for(high: u64) -> usize {
    let mut untrackable = SUB_MASK + 1;
    let mut buckets = 1usize;
    while untrackable <= high {
        if untrackable > u64::MAX / 2 {
            buckets += 1;
            break;
        }
        untrackable <<= 1;
        buckets += 1;
    }
    (buckets + 1) * HALF
}

/// A histogram's counts, sparse until they are many. See the module documentation.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Bins {
    /// The upper bound it was made with (kept for serialization).
    high: u64,
    /// Bins that exist (values above the last one are out of range).
    len: usize,
    repr: Repr,
}

#[derive(Debug, Clone, PartialEq)]
enum Repr {
    /// Open addressing with linear probing; `keys[i] == EMPTY` marks a free slot. The capacity
    /// is 0 or a power of two, never more than three quarters full.
    Sparse {
        keys: Vec<u32>,
        counts: Vec<u64>,
        used: usize,
    },
    /// One counter per bin, as `hdrhistogram` keeps them.
    Dense(Vec<u64>),
}

impl Bins {
    /// Empty bins for values from 0 to `high` (at least 2), allocating nothing yet.
    pub(super) fn new(high: u64) -> Bins {
        let high = high.max(2);
        Bins {
            high,
            len: bins_for(high),
            repr: Repr::Sparse {
                keys: Vec::new(),
                counts: Vec::new(),
                used: 0,
            },
        }
    }

    /// Counts one value in its bin (from [`bin_of`]); false if the bin is out of range.
    #[inline]
    pub(super) fn add(&mut self, bin: usize) -> bool {
        match &mut self.repr {
            Repr::Dense(counts) => match counts.get_mut(bin) {
                Some(c) => {
                    *c += 1;
                    true
                }
                None => false,
            },
            Repr::Sparse { keys, counts, .. } => {
                // Most values fall in a bin already seen: counted here, without the call.
                if let Some(slot) = find(keys, bin as u32) {
                    counts[slot] = counts[slot].saturating_add(1);
                    return true;
                }
                self.add_n(bin, 1)
            }
        }
    }

    /// Counts `n` values in `bin`; false if the bin is out of range.
    pub(super) fn add_n(&mut self, bin: usize, n: u64) -> bool {
        if bin >= self.len {
            return false;
        }
        if n == 0 {
            return true;
        }
        match &mut self.repr {
            Repr::Dense(counts) => counts[bin] = counts[bin].saturating_add(n),
            Repr::Sparse { keys, counts, used } => {
                if let Some(slot) = find(keys, bin as u32) {
                    counts[slot] = counts[slot].saturating_add(n);
                    return true;
                }
                if 4 * (*used + 1) > 3 * keys.len() {
                    if keys.len() >= SPARSE_SLOTS {
                        self.densify();
                        return self.add_n(bin, n);
                    }
                    grow(keys, counts);
                }
                let slot = find_free(keys, bin as u32);
                keys[slot] = bin as u32;
                counts[slot] = n;
                *used += 1;
            }
        }
        true
    }

    fn densify(&mut self) {
        let mut dense = vec![0u64; self.len];
        for (bin, n) in self.nonzero() {
            dense[bin] = n;
        }
        self.repr = Repr::Dense(dense);
    }

    /// Adds another tally's counts (the same bound: every bin fits).
    pub(super) fn merge(&mut self, other: &Bins) {
        match (&mut self.repr, &other.repr) {
            // Nothing here yet (as when a collector adds its first pair to a tally): a copy.
            (Repr::Sparse { used: 0, .. }, _) if self.high == other.high => {
                self.repr = other.repr.clone();
            }
            (Repr::Dense(a), Repr::Dense(b)) => {
                for (a, b) in a.iter_mut().zip(b) {
                    *a = a.saturating_add(*b);
                }
            }
            _ => {
                for (bin, n) in other.nonzero() {
                    self.add_n(bin, n);
                }
            }
        }
    }

    /// The non-empty bins and their counts, in order of bin.
    pub(super) fn nonzero(&self) -> Vec<(usize, u64)> {
        match &self.repr {
            Repr::Dense(counts) => counts
                .iter()
                .enumerate()
                .filter(|(_, n)| **n > 0)
                .map(|(bin, n)| (bin, *n))
                .collect(),
            Repr::Sparse { keys, counts, .. } => {
                let mut out: Vec<(usize, u64)> = keys
                    .iter()
                    .zip(counts)
                    .filter(|(k, n)| **k != EMPTY && **n > 0)
                    .map(|(k, n)| (*k as usize, *n))
                    .collect();
                out.sort_unstable();
                out
            }
        }
    }

    /// The highest value counted in `bin`: what `hdrhistogram`'s recorded-values iterator
    /// reports as `value_iterated_to` for it.
    pub(super) fn top_of(bin: usize) -> u64 {
        highest_equivalent(value_of(bin))
    }

    /// Values counted (`hdrhistogram`'s `len`).
    pub(super) fn count(&self) -> u64 {
        self.nonzero()
            .iter()
            .fold(0u64, |t, (_, n)| t.saturating_add(*n))
    }

    /// The values at `quantiles` (ascending), each exactly what `hdrhistogram`'s
    /// `value_at_quantile` returns for the same counts: the highest value of the first bin at
    /// which the running count reaches `ceil(q * count)` (at least 1); 0 when nothing was
    /// counted.
    pub(super) fn quantiles<const N: usize>(&self, quantiles: [f64; N]) -> [u64; N] {
        let bins = self.nonzero();
        let total = bins.iter().fold(0u64, |t, (_, n)| t.saturating_add(*n));
        quantiles.map(|q| {
            let q = if q > 1.0 { 1.0 } else { q };
            let target = ((q * total as f64).ceil() as u64).max(1);
            let mut running = 0u64;
            for &(bin, n) in &bins {
                running += n;
                if running >= target {
                    let v = value_of(bin);
                    return if q == 0.0 {
                        lowest_equivalent(v)
                    } else {
                        highest_equivalent(v)
                    };
                }
            }
            0
        })
    }

    /// Whether the next bin not seen yet would turn the counters dense.
    #[inline]
    pub(super) fn full(&self) -> bool {
        match &self.repr {
            Repr::Dense(_) => false,
            Repr::Sparse { keys, used, .. } => {
                keys.len() >= SPARSE_SLOTS && 4 * (*used + 1) > 3 * keys.len()
            }
        }
    }

    /// Memory held by the counters, in bytes.
    #[cfg(test)]
    pub(super) fn heap_bytes(&self) -> usize {
        match &self.repr {
            Repr::Dense(c) => c.capacity() * 8,
            Repr::Sparse { keys, counts, .. } => keys.capacity() * 4 + counts.capacity() * 8,
        }
    }

    #[cfg(test)]
    pub(super) fn is_dense(&self) -> bool {
        matches!(self.repr, Repr::Dense(_))
    }
}

/// The slot holding `key`, if any.
#[inline]
fn find(keys: &[u32], key: u32) -> Option<usize> {
    if keys.is_empty() {
        return None;
    }
    let mask = keys.len() - 1;
    let mut slot = hash(key) & mask;
    loop {
        match keys[slot] {
            k if k == key => return Some(slot),
            EMPTY => return None,
            _ => slot = (slot + 1) & mask,
        }
    }
}

/// The free slot where `key` goes (the table has one).
fn find_free(keys: &[u32], key: u32) -> usize {
    let mask = keys.len() - 1;
    let mut slot = hash(key) & mask;
    while keys[slot] != EMPTY {
        slot = (slot + 1) & mask;
    }
    slot
}

#[inline]
fn hash(key: u32) -> usize {
    (key.wrapping_mul(0x9E37_79B1) >> 16) as usize
}

/// Doubles the table (16 slots to start).
fn grow(keys: &mut Vec<u32>, counts: &mut Vec<u64>) {
    let cap = (keys.len() * 2).max(16);
    let old_keys = std::mem::replace(keys, vec![EMPTY; cap]);
    let old_counts = std::mem::replace(counts, vec![0; cap]);
    for (k, n) in old_keys.into_iter().zip(old_counts) {
        if k != EMPTY {
            let slot = find_free(keys, k);
            keys[slot] = k;
            counts[slot] = n;
        }
    }
}

impl Serialize for Bins {
    /// As `hist_serde` writes a histogram: bounds, precision, and each non-empty bin as (its
    /// highest value, count).
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        Stored {
            low: 1,
            high: self.high,
            sigfig: SIGFIG,
            buckets: self
                .nonzero()
                .into_iter()
                .map(|(bin, n)| (highest_equivalent(value_of(bin)), n))
                .collect(),
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for Bins {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Bins, D::Error> {
        use serde::de::Error;
        let st = Stored::deserialize(d)?;
        if st.low != 1 || st.sigfig != SIGFIG || st.high < 2 {
            return Err(D::Error::custom(format!(
                "a wait histogram has low 1, high >= 2 and 3 significant digits, not {}, {} and {}",
                st.low, st.high, st.sigfig
            )));
        }
        let mut bins = Bins::new(st.high);
        for (value, n) in st.buckets {
            if !bins.add_n(bin_of(value), n) {
                return Err(D::Error::custom("value out of range"));
            }
        }
        Ok(bins)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hdrhistogram::Histogram;
    use proptest::prelude::*;

    fn hdr(high: u64) -> Histogram<u64> {
        Histogram::new_with_bounds(1, high.max(2), 3).unwrap()
    }

    #[derive(Serialize)]
    struct Holder(#[serde(with = "super::super::hist_serde")] Histogram<u64>);

    /// Same values into both: same in-range verdicts, quantiles and serialized bytes.
    fn check_same(high: u64, values: &[u64]) {
        let (mut h, mut b) = (hdr(high), Bins::new(high));
        for &v in values {
            assert_eq!(h.record(v).is_ok(), b.add(bin_of(v)), "value {v}");
        }
        same(&h, &b);
    }

    fn same(h: &Histogram<u64>, b: &Bins) {
        let qs = [0.0, 0.001, 0.25, 0.5, 0.9, 0.95, 0.99, 0.999, 1.0];
        let mine = b.quantiles(qs);
        for (q, m) in qs.iter().zip(mine) {
            assert_eq!(h.value_at_quantile(*q), m, "quantile {q}");
        }
        assert_eq!(h.len(), b.count());
        assert_eq!(
            serde_json::to_string(&Holder(h.clone())).unwrap(),
            serde_json::to_string(b).unwrap()
        );
    }

    #[test]
    fn bins_are_hdrhistograms_bins() {
        let h = hdr(625_000 * 1_000_000);
        assert_eq!(bins_for(h.high()), h.distinct_values());
        for v in [
            0,
            1,
            2047,
            2048,
            2049,
            4095,
            4096,
            1_234_567,
            625_000_000_000,
        ] {
            assert!(h.equivalent(v, value_of(bin_of(v))), "{v}");
            assert_eq!(h.highest_equivalent(v), highest_equivalent(v));
            assert_eq!(h.lowest_equivalent(v), lowest_equivalent(v));
        }
        for high in [2, 3, 2047, 2048, 4096, 1 << 40, u64::MAX / 4, u64::MAX] {
            assert_eq!(bins_for(high), hdr(high).distinct_values(), "{high}");
        }
    }

    #[test]
    fn few_waits_hold_few_bytes_and_many_turn_dense() {
        let mut b = Bins::new(625_000 * 1_000_000);
        assert_eq!(b.heap_bytes(), 0);
        for v in 0..500u64 {
            b.add(bin_of(v * 1_000_003));
        }
        assert!(!b.is_dense());
        assert!(b.heap_bytes() <= SPARSE_SLOTS * 12, "{}", b.heap_bytes());
        let mut h = hdr(625_000 * 1_000_000);
        for v in 0..500u64 {
            h.record(v * 1_000_003).unwrap();
        }
        same(&h, &b);
        for v in 500..5_000u64 {
            b.add(bin_of(v * 1_000_003));
            h.record(v * 1_000_003).unwrap();
        }
        assert!(b.is_dense());
        same(&h, &b);
    }

    #[test]
    fn out_of_range_values_are_refused_as_hdrhistogram_refuses_them() {
        // The last bucket reaches a little past the bound, as hdrhistogram's does.
        check_same(10_000, &[0, 9_999, 10_000, 10_001, 16_383, 16_384, 1 << 40]);
    }

    #[test]
    fn a_bad_stored_histogram_is_refused() {
        let low = r#"{"low":1000,"high":5000,"sigfig":3,"buckets":[]}"#;
        assert!(serde_json::from_str::<Bins>(low).is_err());
        let over = r#"{"low":1,"high":5000,"sigfig":3,"buckets":[[100000000,1]]}"#;
        assert!(serde_json::from_str::<Bins>(over).is_err());
    }

    fn value() -> impl Strategy<Value = u64> {
        prop_oneof![
            Just(0u64),
            0u64..5_000,
            0u64..100_000_000,
            0u64..700_000_000_000,
            any::<u64>(),
        ]
    }

    proptest! {
        #[test]
        fn the_compact_bins_give_exactly_the_histogram(
            high in prop_oneof![Just(625_000_000_000u64), 2u64..1_000_000_000_000],
            values in proptest::collection::vec(value(), 0..3_000),
        ) {
            check_same(high, &values);
        }

        #[test]
        fn merged_bins_give_exactly_the_merged_histogram(
            parts in proptest::collection::vec(
                proptest::collection::vec(value(), 0..1_500), 1..4),
            dense_first in any::<bool>(),
        ) {
            let high = 625_000_000_000u64;
            let (mut h, mut b) = (hdr(high), Bins::new(high));
            if dense_first {
                b.densify();
            }
            for part in &parts {
                let (mut hp, mut bp) = (hdr(high), Bins::new(high));
                for &v in part {
                    let _ = hp.record(v);
                    bp.add(bin_of(v));
                }
                h.add(&hp).unwrap();
                b.merge(&bp);
                same(&h, &b);
            }
            let text = serde_json::to_string(&b).unwrap();
            let back: Bins = serde_json::from_str(&text).unwrap();
            same(&h, &back);
        }
    }
}
