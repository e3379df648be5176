//! An agent's week: `shift` (a daily window or a table of weekdays), `breaks` and `absence`.
//!
//! Both ways of writing a week, a `shift` table in the scenario and a row of a roster file
//! (`roster_file`), end in one window (or none) per weekday and breaks as (time of day, length)
//! pairs; [`week_roster`] turns those into the [`Roster`] and is the one place a break is
//! checked against the shifts. [`Compiler::day_table`] resolves a table keyed by weekdays and
//! ranges (shift tables, per-weekday traffic profiles) by one set of rules.

use std::ops::Range;

use toml::Spanned;

use super::Compiler;
use crate::model::*;
use crate::scenario::raw::RawAgent;
use crate::scenario::values;

const HINT: &str = "write shift = \"08:00-16:00\" (every day) or shift = { mon-fri = \"08:00-16:00\", sat = \"10:00-14:00\" } (other days off)";

/// The weekdays a shift table's key names: `mon`, or a range such as `mon-fri` (`fri-mon` wraps
/// over the weekend).
pub(super) fn day_key(k: &str) -> Option<Vec<usize>> {
    let day = |d: &str| {
        values::weekday_index(d.trim())
            .map(|i| i as usize)
            .filter(|_| d.trim().len() == 3)
    };
    match k.split_once('-') {
        None => day(k).map(|d| vec![d]),
        Some((a, b)) => {
            let (a, b) = (day(a)?, day(b)?);
            Some((0..=(b + 7 - a) % 7).map(|k| (a + k) % 7).collect())
        }
    }
}

/// A break that does not lie inside a shift.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Misplaced {
    /// It starts inside the shift that starts on this weekday and runs past its end.
    RunsPast(usize),
    /// No shift holds its start on any day.
    Outside,
}

impl Misplaced {
    /// What is wrong with the break that starts at `at` (as the user wrote it).
    pub(super) fn message(self, at: &str) -> String {
        match self {
            Misplaced::RunsPast(d) => format!(
                "the break at {at} runs past the end of the {} shift",
                WEEKDAYS[d]
            ),
            Misplaced::Outside => format!("the break at {at} falls outside every shift"),
        }
    }

    /// How to fix it, if there is more to say.
    pub(super) fn hint(self) -> Option<String> {
        match self {
            Misplaced::RunsPast(_) => Some("a break lies inside the shift it interrupts".into()),
            Misplaced::Outside => None,
        }
    }
}

/// An agent's week from the window worked each weekday (`None`: off; a window whose start
/// equals its end is the whole day) and breaks as (time of day, length) pairs, each taken every
/// day the agent works at that time. A break must lie inside the shift it starts in, and fall in
/// some shift: the ones that do not are returned by their index in `breaks`.
pub(super) fn week_roster(
    days: &[Option<Shift>; 7],
    breaks: &[(u64, u64)],
) -> Result<Roster, Vec<(usize, Misplaced)>> {
    let shifts: Vec<(u64, u64)> = days
        .iter()
        .enumerate()
        .filter_map(|(d, w)| {
            let w = (*w)?;
            let len = (w.end + DAY - w.start) % DAY;
            Some((d as u64 * DAY + w.start, if len == 0 { DAY } else { len }))
        })
        .collect();
    let mut taken = Vec::new();
    let mut wrong = Vec::new();
    for (j, &(at, len)) in breaks.iter().enumerate() {
        // On each day the break starts inside a shift, it must end inside the same shift.
        let mut inside_any = false;
        for d in 0..7 {
            let start = d * DAY + at;
            let holder = shifts.iter().find(|&&(s, l)| (start + WEEK - s) % WEEK < l);
            if let Some(&(s, l)) = holder {
                inside_any = true;
                if (start + WEEK - s) % WEEK + len > l {
                    wrong.push((j, Misplaced::RunsPast((s / DAY) as usize)));
                    break;
                }
                taken.push((start, len));
            }
        }
        if !inside_any {
            wrong.push((j, Misplaced::Outside));
        }
    }
    if wrong.is_empty() {
        Ok(Roster::new(&shifts, &taken))
    } else {
        Err(wrong)
    }
}

/// One of an agent's `breaks` that could be read.
struct Break<'a> {
    /// Its place in the list.
    index: usize,
    /// `at` as written, for messages.
    at: &'a Spanned<String>,
    /// (time of day, length).
    span: (u64, u64),
}

impl Compiler<'_> {
    /// A table keyed by weekdays and ranges of them (`{ mon-fri = ..., sat = ... }`) as one value
    /// per weekday, `None` for a day not named. Ranges may not overlap and a day may not be named
    /// twice; a single day overrides the range it is in. `value` reads an entry's value (with its
    /// key path), reporting its own problems; `example` shows a single day's entry in the hint.
    /// `None` after a diagnostic.
    pub(super) fn day_table<T: Clone>(
        &mut self,
        key: &str,
        span: Range<usize>,
        table: &toml::Table,
        example: &str,
        mut value: impl FnMut(&mut Self, String, &toml::Value) -> Option<T>,
    ) -> Option<[Option<T>; 7]> {
        let mut days: [Option<T>; 7] = std::array::from_fn(|_| None);
        let mut bad = false;
        let mut entries = Vec::new();
        for (k, v) in table {
            let path = format!("{key}.{k}");
            let Some(list) = day_key(k) else {
                self.err(
                    path,
                    Some(span.clone()),
                    format!("\"{k}\" is not a weekday or a range of them"),
                )
                .hint = Some("keys are mon, tue, ..., sun, or ranges such as mon-fri".into());
                bad = true;
                continue;
            };
            match value(self, path, v) {
                Some(w) => entries.push((k, list, w)),
                None => bad = true,
            }
        }
        // Ranges first, and they may not overlap; then single days, which override them.
        let mut by: [Option<&String>; 7] = [None; 7];
        for (k, list, w) in entries.iter().filter(|e| e.1.len() > 1) {
            let mut clash: Vec<(&String, Vec<&str>)> = Vec::new();
            for &d in list {
                if let Some(other) = by[d] {
                    match clash.iter_mut().find(|c| c.0 == other) {
                        Some(c) => c.1.push(WEEKDAYS[d]),
                        None => clash.push((other, vec![WEEKDAYS[d]])),
                    }
                }
                by[d] = Some(k);
                days[d] = Some(w.clone());
            }
            for (other, list) in clash {
                self.err(
                    format!("{key}.{k}"),
                    Some(span.clone()),
                    format!("{} in both {other} and {k}", list.join(", ")),
                )
                .hint = Some(format!(
                    "ranges may not overlap; a single day (such as {example}) overrides a range"
                ));
                bad = true;
            }
        }
        let mut single: [Option<&String>; 7] = [None; 7];
        for (k, list, w) in entries.iter().filter(|e| e.1.len() == 1) {
            if let Some(other) = single[list[0]] {
                self.err(
                    format!("{key}.{k}"),
                    Some(span.clone()),
                    format!("{} is given twice ({other} and {k})", WEEKDAYS[list[0]]),
                );
                bad = true;
            }
            single[list[0]] = Some(k);
            days[list[0]] = Some(w.clone());
        }
        (!bad).then_some(days)
    }

    /// The agent's roster; `None` when it is always on (or the entry is wrong, with a diagnostic).
    pub(super) fn roster(&mut self, i: usize, a: &RawAgent) -> Option<Roster> {
        let key = format!("agents[{i}].shift");
        let Some(shift) = &a.shift else {
            if let Some(b) = &a.breaks {
                self.err(
                    format!("agents[{i}].breaks"),
                    Some(b.span()),
                    "breaks need a shift: an agent without one works round the clock",
                )
                .hint = Some(HINT.into());
            }
            return None;
        };
        let as_window = |c: &mut Self, key: String, v: &toml::Value| -> Option<Option<Shift>> {
            match v.as_str() {
                Some(s) if s.trim().eq_ignore_ascii_case("off") => Some(None),
                // A whole day on (a daily `shift` would just be left out; a weekday's cannot).
                Some(s) if s.trim() == "00:00-24:00" => Some(Some(Shift { start: 0, end: 0 })),
                Some(s) => {
                    let spanned = Spanned::new(shift.span(), s.to_string());
                    c.window(key, &spanned).map(Some)
                }
                None => {
                    c.err(
                        key,
                        Some(shift.span()),
                        "a shift is a window such as \"08:00-16:00\", or \"off\"",
                    )
                    .hint = Some(HINT.into());
                    None
                }
            }
        };
        // Per weekday, the window worked (`None`: off).
        let days: [Option<Shift>; 7] = match shift.get_ref() {
            toml::Value::String(_) => {
                let w = as_window(self, key.clone(), shift.get_ref())?;
                let Some(w) = w else {
                    self.err(
                        key,
                        Some(shift.span()),
                        "an agent who is off every day never works",
                    )
                    .hint = Some(HINT.into());
                    return None;
                };
                [Some(w); 7]
            }
            toml::Value::Table(t) => {
                let days = self
                    .day_table(&key, shift.span(), t, "fri = \"08:00-14:00\"", as_window)?
                    .map(Option::flatten);
                if days.iter().all(Option::is_none) {
                    self.err(
                        key,
                        Some(shift.span()),
                        "the agent is off every day and never works",
                    )
                    .hint = Some(HINT.into());
                    return None;
                }
                days
            }
            _ => {
                self.err(
                    key,
                    Some(shift.span()),
                    "shift must be a window such as \"08:00-16:00\" or a table of weekdays",
                )
                .hint = Some(HINT.into());
                return None;
            }
        };
        let (breaks, parsed) = self.breaks(i, a);
        let pairs: Vec<(u64, u64)> = breaks.iter().map(|b| b.span).collect();
        match week_roster(&days, &pairs) {
            Ok(r) => parsed.then_some(r),
            Err(wrong) => {
                for (j, m) in wrong {
                    let Break { index, at, .. } = breaks[j];
                    self.err(
                        format!("agents[{i}].breaks[{index}]"),
                        Some(at.span()),
                        m.message(at.get_ref()),
                    )
                    .hint = m.hint();
                }
                None
            }
        }
    }

    /// `breaks` as written, the readable ones; and whether every one was readable.
    fn breaks<'a>(&mut self, i: usize, a: &'a RawAgent) -> (Vec<Break<'a>>, bool) {
        let Some(list) = &a.breaks else {
            return (Vec::new(), true);
        };
        let mut out = Vec::new();
        let mut ok = true;
        for (j, b) in list.get_ref().iter().enumerate() {
            let key = format!("agents[{i}].breaks[{j}]");
            let b = b.get_ref();
            let at = match values::parse_time_of_day(b.at.get_ref()) {
                Ok(t) if t < 86_400 => t as u64 * TICKS_PER_SEC,
                Ok(_) => {
                    self.err(
                        format!("{key}.at"),
                        Some(b.at.span()),
                        "a break starts before 24:00",
                    );
                    ok = false;
                    continue;
                }
                Err(e) => {
                    self.err(format!("{key}.at"), Some(b.at.span()), e);
                    ok = false;
                    continue;
                }
            };
            let len = SimTime::from_secs_f64(b.length.get_ref().0).0;
            if len == 0 || len >= DAY {
                self.err(
                    format!("{key}.for"),
                    Some(b.length.span()),
                    "a break lasts more than zero and less than a day",
                );
                ok = false;
                continue;
            }
            out.push(Break {
                index: j,
                at: &b.at,
                span: (at, len),
            });
        }
        (out, ok)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_keys_name_days_and_ranges() {
        assert_eq!(day_key("mon"), Some(vec![0]));
        assert_eq!(day_key("mon-fri"), Some(vec![0, 1, 2, 3, 4]));
        assert_eq!(day_key("fri-mon"), Some(vec![4, 5, 6, 0]));
        assert_eq!(day_key("sun-sun"), Some(vec![6]));
        assert_eq!(day_key("monday"), None);
        assert_eq!(day_key("mon-xyz"), None);
    }

    const H: u64 = 3_600 * TICKS_PER_SEC;

    #[test]
    fn breaks_lie_inside_the_shift_they_start_in() {
        let mut days = [None; 7];
        days[0] = Some(Shift {
            start: 8 * H,
            end: 16 * H,
        });
        days[6] = Some(Shift {
            start: 22 * H,
            end: 6 * H,
        });
        // A lunch on Monday, and a break in Sunday night's small hours (on Monday's clock).
        assert!(week_roster(&days, &[(12 * H, H / 2), (2 * H, H / 4)]).is_ok());
        let got = week_roster(
            &days,
            &[(15 * H + H / 2, H), (20 * H, H / 4), (5 * H, 2 * H)],
        );
        assert_eq!(
            got.unwrap_err(),
            vec![
                (0, Misplaced::RunsPast(0)),
                (1, Misplaced::Outside),
                (2, Misplaced::RunsPast(6))
            ]
        );
        assert_eq!(
            Misplaced::RunsPast(6).message("05:00"),
            "the break at 05:00 runs past the end of the sun shift"
        );
    }
}
