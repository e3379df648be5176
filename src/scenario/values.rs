//! Scalar values of the scenario file: durations, rates, times of day, shifts, distributions.
//!
//! Each type checks itself while it is deserialized, so a bad value is reported by the TOML
//! parser with its line and key path, like any other type error.

use std::fmt;

use serde::Deserialize;

pub use crate::model::Limit;
use serde::de::{self, Deserializer, Visitor};

/// A duration in seconds: `45s`, `2m`, `1h30m`, `500ms`, or a plain number of seconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Secs(pub f64);

/// Parses a duration string; plain numbers are seconds.
pub fn parse_duration(s: &str) -> Result<f64, String> {
    let t = s.trim();
    if let Ok(n) = t.parse::<f64>() {
        return check_secs(n);
    }
    if t.starts_with('-') {
        return Err(format!("a duration must be zero or more, got \"{s}\""));
    }
    // humantime reads at most nine decimals (a nanosecond of a second) and says more only as
    // "too large or cannot be represented", which this is not.
    let decimals = t
        .split('.')
        .skip(1)
        .map(|after| after.bytes().take_while(u8::is_ascii_digit).count())
        .max();
    if decimals.is_some_and(|d| d > 9) {
        return Err(format!(
            "cannot read duration \"{s}\": at most 9 decimal places are read; write fewer, or a number of seconds"
        ));
    }
    humantime::parse_duration(t).map(|d| d.as_secs_f64()).map_err(|e| {
        format!("cannot read duration \"{s}\" ({e}); write e.g. \"45s\", \"2m\", \"1h30m\" or a number of seconds")
    })
}

fn check_secs(n: f64) -> Result<f64, String> {
    if n.is_finite() && n >= 0.0 {
        Ok(n)
    } else {
        Err(format!(
            "a duration must be zero or more seconds, got {}",
            super::limits::num(n)
        ))
    }
}

/// Visits a value written as a number or as a string, with a parser for each form.
struct NumOrStr<T> {
    expecting: &'static str,
    num: fn(f64) -> Result<T, String>,
    text: fn(&str) -> Result<T, String>,
}

impl<T> Visitor<'_> for NumOrStr<T> {
    type Value = T;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(self.expecting)
    }
    fn visit_str<E: de::Error>(self, s: &str) -> Result<T, E> {
        (self.text)(s).map_err(E::custom)
    }
    fn visit_i64<E: de::Error>(self, n: i64) -> Result<T, E> {
        (self.num)(n as f64).map_err(E::custom)
    }
    fn visit_u64<E: de::Error>(self, n: u64) -> Result<T, E> {
        (self.num)(n as f64).map_err(E::custom)
    }
    fn visit_f64<E: de::Error>(self, n: f64) -> Result<T, E> {
        (self.num)(n).map_err(E::custom)
    }
}

impl<'de> Deserialize<'de> for Secs {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NumOrStr {
            expecting: "a duration such as \"45s\", \"2m\", \"1h30m\" or a number of seconds",
            num: |n| check_secs(n).map(Secs),
            text: |s| parse_duration(s).map(Secs),
        })
    }
}

/// Parses a limit: `0.8`, `80%`, `60s`, `1m30s`.
pub fn parse_limit(s: &str) -> Result<Limit, String> {
    let t = s.trim();
    let number = |n: &str| {
        n.trim()
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .ok_or_else(|| {
                format!("cannot read limit \"{s}\"; write a number (0.8), a percentage (\"80%\") or a duration (\"60s\")")
            })
    };
    if let Some(p) = t.strip_suffix('%') {
        return number(p).map(|v| Limit::Percent(v / 100.0));
    }
    if t.parse::<f64>().is_ok() {
        return number(t).map(Limit::Number);
    }
    parse_duration(t).map(Limit::Secs).map_err(|_| {
        format!("cannot read limit \"{s}\"; write a number (0.8), a percentage (\"80%\") or a duration (\"60s\")")
    })
}

impl<'de> Deserialize<'de> for Limit {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NumOrStr {
            expecting: "a number, a percentage such as \"80%\" or a duration such as \"60s\"",
            num: |n| {
                if n.is_finite() {
                    Ok(Limit::Number(n))
                } else {
                    Err("a limit must be a finite number".into())
                }
            },
            text: parse_limit,
        })
    }
}

/// An arrival rate in chats per second: `"96/min"`, `"5760/h"`, or a number per second.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate(pub f64);

/// Parses a rate string such as `96/min`.
pub fn parse_rate(s: &str) -> Result<f64, String> {
    let bad = || {
        format!(
            "cannot read rate \"{s}\"; write e.g. \"96/min\", \"5760/h\", \"2/s\" or a number per second"
        )
    };
    let (num, unit) = match s.split_once('/') {
        Some((n, u)) => (n.trim(), u.trim()),
        None => (s.trim(), "s"),
    };
    let n: f64 = num.parse().map_err(|_| bad())?;
    let per = match unit {
        "s" | "sec" | "second" => 1.0,
        "m" | "min" | "minute" => 60.0,
        "h" | "hr" | "hour" => 3_600.0,
        "d" | "day" => 86_400.0,
        _ => return Err(bad()),
    };
    check_rate(n / per)
}

fn check_rate(r: f64) -> Result<f64, String> {
    use super::limits::{MAX_RATE_PER_SEC, num};
    if !(r.is_finite() && r > 0.0) {
        Err(format!("a rate must be greater than zero, got {}", num(r)))
    } else if r > MAX_RATE_PER_SEC {
        Err(format!(
            "a rate of {}/s is too large: the limit is {}/s per stream",
            num(r),
            num(MAX_RATE_PER_SEC)
        ))
    } else {
        Ok(r)
    }
}

impl<'de> Deserialize<'de> for Rate {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NumOrStr {
            expecting: "a rate such as \"96/min\" or a number per second",
            num: |n| check_rate(n).map(Rate),
            text: |s| parse_rate(s).map(Rate),
        })
    }
}

/// Parses `HH:MM` (or `HH:MM:SS`) into seconds since midnight; `24:00` is allowed as an end.
pub fn parse_time_of_day(s: &str) -> Result<u32, String> {
    let bad = || format!("cannot read time of day \"{s}\"; write it as HH:MM, e.g. \"08:30\"");
    let parts: Vec<&str> = s.trim().split(':').collect();
    if parts.len() < 2 || parts.len() > 3 || parts.iter().any(|p| p.is_empty() || p.len() > 2) {
        return Err(bad());
    }
    let nums: Vec<u32> = parts
        .iter()
        .map(|p| p.parse().map_err(|_| bad()))
        .collect::<Result<_, _>>()?;
    let (h, m, sec) = (nums[0], nums[1], nums.get(2).copied().unwrap_or(0));
    if m >= 60 || sec >= 60 || h > 24 || (h == 24 && (m, sec) != (0, 0)) {
        return Err(bad());
    }
    Ok(h * 3_600 + m * 60 + sec)
}

/// Parses `mon 08:00` (weekday optional, default Monday) into seconds since Monday 00:00.
pub fn parse_week_time(s: &str) -> Result<u32, String> {
    let t = s.trim();
    let (day, time) = match t.split_once(char::is_whitespace) {
        Some((d, rest)) => (Some(d), rest.trim()),
        None if t.contains(':') => (None, t),
        None => (Some(t), "00:00"),
    };
    let day_ix = match day {
        None => 0,
        Some(d) => weekday_index(d).ok_or_else(|| {
            format!("cannot read \"{s}\": \"{d}\" is not a weekday; write e.g. \"mon 08:00\"")
        })?,
    };
    let tod = parse_time_of_day(time)?;
    if tod >= 86_400 {
        return Err(format!(
            "cannot read \"{s}\": a start time must be before 24:00"
        ));
    }
    Ok(day_ix * 86_400 + tod)
}

/// The index (Monday = 0) of a weekday name: `mon` or `Monday`, in any case. Nothing else:
/// any word that began with a day's letters had counted as that day, so `"mon-fri"` in a
/// rule's `days` meant Monday alone, without a word (found by a fuzzing helper).
pub fn weekday_index(d: &str) -> Option<u32> {
    const DAYS: [&str; 7] = [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    ];
    let d = d.to_ascii_lowercase();
    DAYS.iter()
        .position(|full| d == *full || d == full[..3])
        .map(|i| i as u32)
}

/// Parses a shift `08:00-16:00` into (start, end) seconds since midnight. `24:00` ends a window
/// (`18:00-24:00`) but does not start one: `24:00-08:00` had been read as `00:00-08:00`, while
/// `start = "mon 24:00"` was refused.
pub fn parse_shift(s: &str) -> Result<(u32, u32), String> {
    let (a, b) = s.split_once('-').ok_or_else(|| {
        format!("cannot read shift \"{s}\"; write it as \"08:00-16:00\" (may cross midnight)")
    })?;
    let (start, end) = (parse_time_of_day(a)?, parse_time_of_day(b)? % 86_400);
    if start >= 86_400 {
        return Err(format!(
            "shift \"{s}\" starts at 24:00, which only ends a day; write \"00:00-{}\"",
            b.trim()
        ));
    }
    if start == end {
        return Err(format!(
            "shift \"{s}\" starts and ends at the same time; leave `shift` out for an agent who is always on"
        ));
    }
    Ok((start, end))
}

/// A distribution of durations as written: a bare duration (constant) or a table with `dist`.
#[derive(Debug, Clone, PartialEq)]
pub enum DistSpec {
    /// A fixed duration in seconds.
    Constant(f64),
    /// Exponential with this mean.
    Exponential {
        /// Mean seconds.
        mean: f64,
    },
    /// Lognormal with this mean and standard deviation.
    LogNormal {
        /// Mean seconds.
        mean: f64,
        /// Standard deviation in seconds.
        sd: f64,
    },
    /// Gamma with this mean and standard deviation.
    Gamma {
        /// Mean seconds.
        mean: f64,
        /// Standard deviation in seconds.
        sd: f64,
    },
    /// Uniform between two durations.
    Uniform {
        /// Lower bound, seconds.
        min: f64,
        /// Upper bound, seconds.
        max: f64,
    },
    /// Resampled from a CSV file of durations, relative to the scenario file.
    Empirical {
        /// The file as written.
        file: String,
    },
}

#[derive(Deserialize)]
#[serde(tag = "dist", rename_all = "lowercase", deny_unknown_fields)]
enum RawDist {
    Constant { value: Secs },
    Exponential { mean: Secs },
    Lognormal { mean: Secs, sd: Secs },
    Gamma { mean: Secs, sd: Secs },
    Uniform { min: Secs, max: Secs },
    Empirical { file: String },
}

impl RawDist {
    fn check(self) -> Result<DistSpec, String> {
        let positive = |name: &str, v: f64| {
            if v > 0.0 {
                Ok(v)
            } else {
                Err(format!("`{name}` must be greater than zero"))
            }
        };
        Ok(match self {
            RawDist::Constant { value } => DistSpec::Constant(value.0),
            RawDist::Exponential { mean } => DistSpec::Exponential {
                mean: positive("mean", mean.0)?,
            },
            RawDist::Lognormal { mean, sd } => DistSpec::LogNormal {
                mean: positive("mean", mean.0)?,
                sd: sd.0,
            },
            RawDist::Gamma { mean, sd } => DistSpec::Gamma {
                mean: positive("mean", mean.0)?,
                sd: positive("sd", sd.0)?,
            },
            RawDist::Uniform { min, max } => {
                if min.0 > max.0 {
                    return Err(format!(
                        "uniform `min` ({}s) is greater than `max` ({}s)",
                        min.0, max.0
                    ));
                }
                DistSpec::Uniform {
                    min: min.0,
                    max: max.0,
                }
            }
            RawDist::Empirical { file } => DistSpec::Empirical { file },
        })
    }
}

impl<'de> Deserialize<'de> for DistSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match toml::Value::deserialize(d)? {
            toml::Value::Table(t) => {
                let raw = RawDist::deserialize(t).map_err(|e| de::Error::custom(e.message()))?;
                raw.check().map_err(de::Error::custom)
            }
            other => Secs::deserialize(other)
                .map(|s| DistSpec::Constant(s.0))
                .map_err(|e| de::Error::custom(e.message())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_take_units_and_plain_seconds() {
        for (s, want) in [
            ("45s", 45.0),
            ("2m", 120.0),
            ("1h30m", 5_400.0),
            ("1h 30m", 5_400.0),
            ("500ms", 0.5),
            ("90", 90.0),
            ("1.5", 1.5),
        ] {
            assert_eq!(parse_duration(s), Ok(want), "{s}");
        }
        for s in ["", "fast", "-3", "-5m", "2 parsecs"] {
            assert!(parse_duration(s).is_err(), "{s}");
        }
        // Nine decimals are read; ten are refused for what they are, not as "too large".
        assert_eq!(parse_duration("1.123456789m"), Ok(67.40740734));
        for s in ["7.1234567891m", "1m 0.0000000001s"] {
            let e = parse_duration(s).unwrap_err();
            assert!(e.contains("at most 9 decimal places"), "{s}: {e}");
        }
    }

    #[test]
    fn rates_take_a_unit_or_mean_per_second() {
        assert_eq!(parse_rate("96/min"), Ok(1.6));
        assert_eq!(parse_rate("5760/h"), Ok(1.6));
        assert_eq!(parse_rate("2"), Ok(2.0));
        assert!(
            parse_rate("0/min")
                .unwrap_err()
                .contains("greater than zero")
        );
        assert!(parse_rate("-1/min").is_err());
        assert!(parse_rate("3/fortnight").is_err());
    }

    #[test]
    fn weekdays_are_their_names_and_nothing_else() {
        assert_eq!(weekday_index("mon"), Some(0));
        assert_eq!(weekday_index("Wednesday"), Some(2));
        assert_eq!(weekday_index("SUN"), Some(6));
        for not in ["mon-fri", "monkey", "mo", "tues", "sat sun", "", "fri "] {
            assert_eq!(weekday_index(not), None, "{not:?}");
        }
        assert!(parse_week_time("wed-fri 08:00").is_err());
    }

    #[test]
    fn times_of_day_weekdays_and_shifts() {
        assert_eq!(parse_time_of_day("08:30"), Ok(8 * 3_600 + 30 * 60));
        assert_eq!(parse_time_of_day("24:00"), Ok(86_400));
        for s in ["8", "25:00", "08:60", "08:30:00:00", "aa:bb"] {
            assert!(parse_time_of_day(s).is_err(), "{s}");
        }
        assert_eq!(parse_week_time("mon 08:00"), Ok(8 * 3_600));
        assert_eq!(parse_week_time("Wednesday 00:30"), Ok(2 * 86_400 + 1_800));
        assert_eq!(parse_week_time("14:00"), Ok(14 * 3_600));
        assert!(parse_week_time("someday 08:00").is_err());
        assert_eq!(parse_shift("08:00-16:00"), Ok((28_800, 57_600)));
        assert_eq!(parse_shift("22:00-06:00"), Ok((79_200, 21_600)));
        assert_eq!(parse_shift("00:00-24:00"), Err("shift \"00:00-24:00\" starts and ends at the same time; leave `shift` out for an agent who is always on".into()));
        assert!(parse_shift("08:00").is_err());
    }

    #[test]
    fn a_window_ends_at_24_00_but_does_not_start_there() {
        assert_eq!(parse_shift("18:00-24:00"), Ok((64_800, 0)));
        assert_eq!(parse_shift("22:00-24:00:00"), Ok((79_200, 0)));
        // Read as 00:00-08:00 before, while `start = "mon 24:00"` was refused.
        assert_eq!(
            parse_shift("24:00-08:00"),
            Err("shift \"24:00-08:00\" starts at 24:00, which only ends a day; write \"00:00-08:00\"".into())
        );
        for s in ["24:00:00-06:00", "24:00-24:00", " 24:00 - 00:30"] {
            let e = parse_shift(s).unwrap_err();
            assert!(
                e.contains("starts at 24:00, which only ends a day"),
                "{s}: {e}"
            );
        }
    }

    #[derive(Deserialize, Debug)]
    struct Holder {
        d: DistSpec,
    }

    fn dist(s: &str) -> Result<DistSpec, String> {
        toml::from_str::<Holder>(&format!("d = {s}"))
            .map(|h| h.d)
            .map_err(|e| e.message().to_string())
    }

    #[test]
    fn distributions_parse_and_check_their_parameters() {
        assert_eq!(dist("\"5m\""), Ok(DistSpec::Constant(300.0)));
        assert_eq!(
            dist("{ dist = \"exponential\", mean = \"2m\" }"),
            Ok(DistSpec::Exponential { mean: 120.0 })
        );
        assert_eq!(
            dist("{ dist = \"lognormal\", mean = \"6m\", sd = \"3m\" }"),
            Ok(DistSpec::LogNormal {
                mean: 360.0,
                sd: 180.0
            })
        );
        assert!(
            dist("{ dist = \"exponential\", mean = 0 }")
                .unwrap_err()
                .contains("`mean` must be greater than zero")
        );
        assert!(
            dist("{ dist = \"uniform\", min = \"2m\", max = \"1m\" }")
                .unwrap_err()
                .contains("greater than `max`")
        );
        assert!(
            dist("{ dist = \"weibull\", mean = 3 }")
                .unwrap_err()
                .contains("unknown variant")
        );
        assert!(
            dist("{ dist = \"exponential\", mean = 3, sd = 1 }")
                .unwrap_err()
                .contains("unknown field")
        );
    }
}
