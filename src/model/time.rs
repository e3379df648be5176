//! Time: integer ticks, daily windows, rate profiles by time of day, weekly calendars.

/// Simulated time in integer ticks of one microsecond since the start of the run (the start of
/// the warm-up). Integer time makes event order exact and runs reproducible.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Default,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(transparent)]
pub struct SimTime(pub u64);

/// Ticks per simulated second.
pub const TICKS_PER_SEC: u64 = 1_000_000;
/// Ticks per day.
pub const DAY: u64 = 86_400 * TICKS_PER_SEC;
/// Ticks per week.
pub const WEEK: u64 = 7 * DAY;

impl SimTime {
    /// Zero.
    pub const ZERO: SimTime = SimTime(0);

    /// From seconds, rounded to the nearest tick; negative values become zero.
    #[inline]
    pub fn from_secs_f64(secs: f64) -> SimTime {
        SimTime::from_ticks_f64(secs * TICKS_PER_SEC as f64)
    }

    /// From a number of ticks, rounded to the nearest (halves away from zero); negative values
    /// and NaN become zero, values past `u64::MAX` saturate. Exactly
    /// `ticks.round().max(0.0) as u64`, without the call to libm's `round` that the baseline
    /// x86-64 target makes for every drawn time (about 70 instructions a chat): below 2^52 the
    /// truncation and the fraction it leaves are both exact, and above it every `f64` is an
    /// integer already.
    #[inline]
    pub fn from_ticks_f64(ticks: f64) -> SimTime {
        const EXACT: f64 = (1u64 << 52) as f64;
        // Negative, zero and NaN (which compares false with everything) give zero.
        if ticks.is_nan() || ticks <= 0.0 {
            return SimTime::ZERO;
        }
        if ticks >= EXACT {
            return SimTime(ticks as u64);
        }
        // Through i64, which holds every value here: x86-64's conversions between doubles and
        // integers are signed, and a u64 one takes several instructions where these take one.
        let whole = ticks as i64;
        SimTime(whole as u64 + (ticks - whole as f64 >= 0.5) as u64)
    }

    /// As seconds.
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / TICKS_PER_SEC as f64
    }

    /// `self + d`, saturating.
    pub fn plus(self, d: SimTime) -> SimTime {
        SimTime(self.0.saturating_add(d.0))
    }

    /// `self - earlier`, or zero if `earlier` is later.
    pub fn since(self, earlier: SimTime) -> SimTime {
        SimTime(self.0.saturating_sub(earlier.0))
    }
}
/// A daily window: on from `start` to `end` (ticks since midnight); `end <= start` wraps midnight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shift {
    /// Start, ticks since midnight.
    pub start: u64,
    /// End, ticks since midnight.
    pub end: u64,
}

impl Shift {
    /// Whether the shift covers this time of day (ticks since midnight).
    pub fn covers(&self, tod: u64) -> bool {
        if self.start < self.end {
            tod >= self.start && tod < self.end
        } else {
            tod >= self.start || tod < self.end
        }
    }
}

/// A rate multiplier that is constant between times of the week (a daily profile is the same
/// day seven times, or one day per weekday, scaled by the weekday's multiplier; a forecast is
/// its intervals).
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    /// `(from time of the week in ticks, multiplier)`, sorted, non-empty, within `0..WEEK`; the
    /// last one runs through the end of the week until the first.
    pub points: Vec<(u64, f64)>,
}

impl Profile {
    /// A daily profile (`(time of day, multiplier)`, sorted) repeated every day, each day's
    /// multipliers scaled by that weekday's factor (Monday first).
    pub fn daily(points: &[(u64, f64)], weekdays: [f64; 7]) -> Profile {
        Profile::weekly(&std::array::from_fn(|_| points), weekdays)
    }

    /// A daily profile per weekday (Monday first; `(time of day, multiplier)`, sorted), each
    /// scaled by that weekday's factor. A day is its own: from its midnight to its first time,
    /// its own last multiplier holds, as in a daily profile (the evening before does not run on).
    pub fn weekly(days: &[&[(u64, f64)]; 7], weekdays: [f64; 7]) -> Profile {
        let mut out: Vec<(u64, f64)> =
            Vec::with_capacity(days.iter().map(|p| p.len()).sum::<usize>() + 7);
        for (d, (points, f)) in days.iter().zip(weekdays).enumerate() {
            let day = d as u64 * DAY;
            // The day opens with what runs over midnight in its own profile.
            if points.first().is_none_or(|p| p.0 > 0) {
                let last = points.last().map_or(1.0, |p| p.1);
                out.push((day, last * f));
            }
            out.extend(points.iter().map(|&(t, m)| (day + t, m * f)));
        }
        // Merge runs of one multiplier: fewer segments for the engine to walk.
        out.dedup_by(|b, a| a.1 == b.1);
        // Sunday night runs on into Monday: the week's first point may be the last one again.
        if out.len() > 1 && out[0].1 == out[out.len() - 1].1 {
            out.remove(0);
        }
        Profile { points: out }
    }

    /// The multiplier at time of the week `week_time` and the ticks until it next changes.
    pub fn segment(&self, week_time: u64) -> (f64, u64) {
        let tod = week_time % WEEK;
        let i = self.points.partition_point(|&(from, _)| from <= tod);
        let mult = if i == 0 {
            self.points[self.points.len() - 1].1
        } else {
            self.points[i - 1].1
        };
        let next = if i < self.points.len() {
            self.points[i].0
        } else {
            self.points[0].0 + WEEK
        };
        (mult, next - tod)
    }

    /// The time-average of the multiplier over a week.
    pub fn mean(&self) -> f64 {
        let mut total = 0.0;
        let mut t = 0;
        while t < WEEK {
            let (mult, len) = self.segment(t);
            let len = len.min(WEEK - t);
            total += mult * len as f64;
            t += len;
        }
        total / WEEK as f64
    }

    /// The highest multiplier of the day.
    pub fn peak(&self) -> f64 {
        self.points.iter().map(|p| p.1).fold(0.0, f64::max)
    }
}
/// A weekly calendar (such as `business_hours`): open intervals per weekday.
#[derive(Debug, Clone, PartialEq)]
pub struct Calendar {
    /// Name, as rules refer to it.
    pub name: String,
    /// Per weekday (Monday first), open intervals in ticks since midnight.
    pub days: [Vec<Shift>; 7],
}

impl Calendar {
    /// Whether the calendar is open at this time of the week (ticks since Monday 00:00).
    pub fn is_open(&self, week_time: u64) -> bool {
        let (day, tod) = ((week_time / DAY) as usize % 7, week_time % DAY);
        // A window that crosses midnight belongs to the day it starts on.
        let yesterday = (day + 6) % 7;
        self.days[day].iter().any(|w| {
            if w.start < w.end {
                w.covers(tod)
            } else {
                tod >= w.start
            }
        }) || self.days[yesterday]
            .iter()
            .any(|w| w.start >= w.end && tod < w.end)
    }
}

/// Days from 1970-01-01 to a civil date (proleptic Gregorian; H. Hinnant's algorithm).
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// A length of time in ticks, shown as a scenario would write it: `45s`, `12m30s`, `3h05m`,
/// `2d4h` (rounded to its largest two units).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Length(pub u64);

impl std::fmt::Display for Length {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = (self.0 as f64 / TICKS_PER_SEC as f64).round() as u64;
        match s {
            0..60 => write!(f, "{s}s"),
            60..3_600 => write!(f, "{}m{:02}s", s / 60, s % 60),
            3_600..86_400 => write!(f, "{}h{:02}m", s / 3_600, s / 60 % 60),
            _ => write!(f, "{}d{}h", s / 86_400, s / 3_600 % 24),
        }
    }
}

/// Weekday names as scenario files and reports write them, Monday first.
pub const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// A moment of the week, in ticks since Monday 00:00; shown as `tue 10:00`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct WeekTime(pub u64);

impl std::fmt::Display for WeekTime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let day = WEEKDAYS[(self.0 / DAY) as usize % 7];
        write!(f, "{day} {}", TimeOfDay(self.0 % DAY))
    }
}

/// A time of day, in ticks since midnight; shown as `09:30`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TimeOfDay(pub u64);

impl std::fmt::Display for TimeOfDay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let secs = self.0 / TICKS_PER_SEC;
        write!(f, "{:02}:{:02}", secs / 3_600 % 24, secs / 60 % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: u64 = 3_600 * TICKS_PER_SEC;

    /// The fast rounding is libm's `round`, floored at zero, on every kind of value: edges of
    /// halves, the largest `f64` below one half, the 2^52 boundary, huge, negative, NaN and
    /// infinite values, and a million random bit patterns.
    #[test]
    fn ticks_round_exactly_as_libm_does() {
        use rand::{RngExt, SeedableRng};
        let reference = |x: f64| x.round().max(0.0) as u64;
        let mut xs = vec![
            0.0,
            -0.0,
            0.5,
            1.5,
            2.5,
            0.499_999_999_999_999_94,
            1.0 - f64::EPSILON / 2.0,
            4_503_599_627_370_495.5,
            4_503_599_627_370_496.0,
            4_503_599_627_370_497.0,
            9_007_199_254_740_993.0,
            1e19,
            1.9e19,
            1e300,
            -0.5,
            -1e9,
            f64::MIN_POSITIVE,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
        ];
        let mut rng = rand::rngs::Xoshiro256PlusPlus::seed_from_u64(12);
        for _ in 0..1_000_000 {
            xs.push(f64::from_bits(rng.random::<u64>()));
            xs.push(rng.random::<f64>() * 1e12);
            xs.push((rng.random_range(0..1u64 << 40) as f64) + 0.5);
        }
        for x in xs {
            assert_eq!(SimTime::from_ticks_f64(x).0, reference(x), "{x:e}");
            assert_eq!(SimTime::from_secs_f64(x).0, reference(x * 1e6), "{x:e} s");
        }
    }

    #[test]
    fn moments_of_the_week_read_as_people_write_them() {
        assert_eq!(
            WeekTime(DAY + 10 * H + 5 * 60 * TICKS_PER_SEC).to_string(),
            "tue 10:05"
        );
        assert_eq!(WeekTime(7 * DAY - 1).to_string(), "sun 23:59");
        assert_eq!(TimeOfDay(0).to_string(), "00:00");
    }

    #[test]
    fn shift_covers_and_wraps_midnight() {
        let day = Shift {
            start: 8 * H,
            end: 16 * H,
        };
        assert!(
            !day.covers(7 * H) && day.covers(8 * H) && day.covers(15 * H) && !day.covers(16 * H)
        );
        let night = Shift {
            start: 22 * H,
            end: 6 * H,
        };
        assert!(night.covers(23 * H) && night.covers(2 * H) && !night.covers(12 * H));
    }

    #[test]
    fn profile_segments_wrap_from_the_last_point() {
        let daily = [(8 * H, 1.0), (12 * H, 1.8), (18 * H, 0.4)];
        let p = Profile::daily(&daily, [1.0; 7]);
        assert_eq!(p.segment(2 * H), (0.4, 6 * H));
        assert_eq!(p.segment(8 * H), (1.0, 4 * H));
        // From 18:00 the night runs to 08:00 the next day, and Sunday's into Monday.
        assert_eq!(p.segment(20 * H), (0.4, 12 * H));
        assert_eq!(p.segment(6 * DAY + 20 * H), (0.4, 12 * H));
        assert_eq!(p.peak(), 1.8);
        // 8h at 0.4 before 08:00, 4h at 1.0, 6h at 1.8, 6h at 0.4.
        let day_mean = (8.0 * 0.4 + 4.0 + 6.0 * 1.8 + 6.0 * 0.4) / 24.0;
        assert!((p.mean() - day_mean).abs() < 1e-12);
        // Saturday at half, Sunday closed: the week's mean is five and a half days' worth.
        let mut week = [1.0; 7];
        (week[5], week[6]) = (0.5, 0.0);
        let p = Profile::daily(&daily, week);
        assert_eq!(p.segment(5 * DAY + 13 * H), (0.9, 5 * H));
        // A weekday's factor holds from its midnight: Monday's small hours are Monday's.
        assert_eq!(p.segment(6 * DAY + 13 * H), (0.0, 11 * H));
        assert_eq!(p.segment(6 * DAY + 23 * H), (0.0, H));
        assert_eq!(p.segment(2 * H), (0.4, 6 * H));
        assert!((p.mean() - day_mean * 5.5 / 7.0).abs() < 1e-12);
    }

    #[test]
    fn each_weekday_can_have_its_own_day() {
        let week = [(8 * H, 1.0), (12 * H, 2.0)];
        let sat = [(10 * H, 0.5), (14 * H, 0.0)];
        let off = [(0, 0.0)];
        let days: [&[(u64, f64)]; 7] = [&week, &week, &week, &week, &week, &sat, &off];
        let mut factors = [1.0; 7];
        factors[4] = 1.5;
        let p = Profile::weekly(&days, factors);
        // A day opens with its own last multiplier, not the evening before's.
        assert_eq!(p.segment(2 * H), (2.0, 6 * H));
        assert_eq!(p.segment(4 * DAY + 13 * H), (3.0, 11 * H));
        assert_eq!(p.segment(5 * DAY), (0.0, 10 * H));
        assert_eq!(p.segment(5 * DAY + 11 * H), (0.5, 3 * H));
        assert_eq!(p.segment(5 * DAY + 15 * H), (0.0, 9 * H + DAY));
        let day = 8.0 * 2.0 + 4.0 + 12.0 * 2.0;
        let want = (4.0 * day + 1.5 * day + 4.0 * 0.5) / (7.0 * 24.0);
        assert!((p.mean() - want).abs() < 1e-12);
        // The same day every day is the daily profile.
        assert_eq!(
            Profile::weekly(&[&week; 7], factors),
            Profile::daily(&week, factors)
        );
    }
}
