//! `u128` totals (sums of ticks, and of slots × ticks) in a shard's partial result: a JSON
//! number while they fit a `u64`, as in every run of a realistic length, and a decimal string
//! beyond. A partial result passes through `serde_json::Value`, which holds no integer past
//! `u64::MAX`: a shard of a long run with long handling (ten years of a bot taking 3,000 days, a
//! total of 3 × 10^19 ticks) could not be written, and one written as a float could not be
//! merged back (found by a review).

use serde::{Deserialize, Deserializer, Serializer, de::Error};

pub(super) fn serialize<S: Serializer>(v: &u128, s: S) -> Result<S::Ok, S::Error> {
    match u64::try_from(*v) {
        Ok(small) => s.serialize_u64(small),
        Err(_) => s.serialize_str(&v.to_string()),
    }
}

pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u128, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Wide {
        Small(u64),
        Text(String),
    }
    match Wide::deserialize(d)? {
        Wide::Small(v) => Ok(v as u128),
        Wide::Text(t) => t
            .parse()
            .map_err(|_| D::Error::custom(format!("not a total: {t:?}"))),
    }
}

#[cfg(test)]
mod tests {
    use serde::{Deserialize, Serialize};

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Total(#[serde(with = "super")] u128);

    /// Totals round-trip through a `Value` (as a partial result does) on both sides of
    /// `u64::MAX`, as a number below it and as text beyond.
    #[test]
    fn totals_past_u64_round_trip_through_a_value() {
        for v in [0, 1, u64::MAX as u128, u64::MAX as u128 + 1, u128::MAX] {
            let value = serde_json::to_value(Total(v)).unwrap();
            assert_eq!(value.is_u64(), v <= u64::MAX as u128, "{v}");
            let back: Total = serde_json::from_value(value).unwrap();
            assert_eq!(back, Total(v));
        }
        for bad in [
            serde_json::json!(1.5),
            serde_json::json!("-1"),
            serde_json::json!("x"),
        ] {
            assert!(serde_json::from_value::<Total>(bad).is_err());
        }
    }
}
