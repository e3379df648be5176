//! HdrHistograms as exact, mergeable state in a shard's partial result: bounds, precision and
//! the count of every recorded bucket. Recording each bucket's count again at its highest
//! equivalent value rebuilds the same buckets, so every figure read back is the same.

use hdrhistogram::{Counter, Histogram};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A histogram as it is stored (also the stored form of [`Bins`](super::bins::Bins)).
#[derive(Serialize, Deserialize)]
pub(super) struct Stored {
    pub(super) low: u64,
    pub(super) high: u64,
    pub(super) sigfig: u8,
    /// (value, count) of each non-empty bucket, in order.
    pub(super) buckets: Vec<(u64, u64)>,
}

pub(super) fn serialize<T: Counter, S: Serializer>(
    h: &Histogram<T>,
    s: S,
) -> Result<S::Ok, S::Error> {
    Stored {
        low: h.low(),
        high: h.high(),
        sigfig: h.sigfig(),
        buckets: h
            .iter_recorded()
            .map(|v| (v.value_iterated_to(), v.count_at_value().as_u64()))
            .collect(),
    }
    .serialize(s)
}

pub(super) fn deserialize<'de, T: Counter, D: Deserializer<'de>>(
    d: D,
) -> Result<Histogram<T>, D::Error> {
    use serde::de::Error;
    let st = Stored::deserialize(d)?;
    let mut h = Histogram::new_with_bounds(st.low, st.high, st.sigfig).map_err(D::Error::custom)?;
    for (value, count) in st.buckets {
        let count =
            T::from_u64(count).ok_or_else(|| D::Error::custom("bucket count out of range"))?;
        h.record_n(value, count).map_err(D::Error::custom)?;
    }
    Ok(h)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize, Deserialize)]
    struct Holder(#[serde(with = "super")] Histogram<u64>);

    #[test]
    fn a_histogram_comes_back_with_the_same_figures() {
        let mut h = Histogram::<u64>::new_with_bounds(1, 10_000_000, 3).unwrap();
        for v in [1, 2, 2, 17, 999, 1_234_567, 9_999_999] {
            h.record(v).unwrap();
        }
        let text = serde_json::to_string(&Holder(h.clone())).unwrap();
        let back: Holder = serde_json::from_str(&text).unwrap();
        assert_eq!(back.0, h);
        for q in [0.0, 0.5, 0.9, 0.99, 1.0] {
            assert_eq!(back.0.value_at_quantile(q), h.value_at_quantile(q));
        }
        assert_eq!(
            (back.0.len(), back.0.max(), back.0.min()),
            (h.len(), h.max(), h.min())
        );
    }
}
