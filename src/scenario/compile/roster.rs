//! An agent's week: `shift` (a daily window or a table of weekdays), `breaks` and `absence`.

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

impl Compiler<'_> {
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
        // Per weekday, the window worked (`None`: off).
        let mut days: [Option<Shift>; 7] = [None; 7];
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
        match shift.get_ref() {
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
                days = [Some(w); 7];
            }
            toml::Value::Table(t) => {
                let mut bad = false;
                let mut entries = Vec::new();
                for (k, v) in t {
                    let path = format!("{key}.{k}");
                    let Some(list) = day_key(k) else {
                        self.err(
                            path,
                            Some(shift.span()),
                            format!("\"{k}\" is not a weekday or a range of them"),
                        )
                        .hint =
                            Some("keys are mon, tue, ..., sun, or ranges such as mon-fri".into());
                        bad = true;
                        continue;
                    };
                    match as_window(self, path, v) {
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
                        days[d] = *w;
                    }
                    for (other, list) in clash {
                        self.err(
                            format!("{key}.{k}"),
                            Some(shift.span()),
                            format!("{} in both {other} and {k}", list.join(", ")),
                        )
                        .hint = Some("ranges may not overlap; a single day (such as fri = \"08:00-14:00\") overrides a range".into());
                        bad = true;
                    }
                }
                let mut single: [Option<&String>; 7] = [None; 7];
                for (k, list, w) in entries.iter().filter(|e| e.1.len() == 1) {
                    if let Some(other) = single[list[0]] {
                        self.err(
                            format!("{key}.{k}"),
                            Some(shift.span()),
                            format!("{} is given twice ({other} and {k})", WEEKDAYS[list[0]]),
                        );
                        bad = true;
                    }
                    single[list[0]] = Some(k);
                    days[list[0]] = *w;
                }
                if bad {
                    return None;
                }
                if days.iter().all(Option::is_none) {
                    self.err(
                        key,
                        Some(shift.span()),
                        "the agent is off every day and never works",
                    )
                    .hint = Some(HINT.into());
                    return None;
                }
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
        }
        let shifts: Vec<(u64, u64)> = days
            .iter()
            .enumerate()
            .filter_map(|(d, w)| {
                let w = (*w)?;
                let len = (w.end + DAY - w.start) % DAY;
                Some((d as u64 * DAY + w.start, if len == 0 { DAY } else { len }))
            })
            .collect();
        let breaks = self.breaks(i, a, &shifts)?;
        Some(Roster::new(&shifts, &breaks))
    }

    /// `breaks`: each taken every day at its time, and it must fall inside a shift.
    fn breaks(&mut self, i: usize, a: &RawAgent, shifts: &[(u64, u64)]) -> Option<Vec<(u64, u64)>> {
        let Some(list) = &a.breaks else {
            return Some(Vec::new());
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
            // On each day the break starts inside a shift, it must end inside the same shift.
            let mut inside_any = false;
            for d in 0..7 {
                let start = d * DAY + at;
                let holder = shifts.iter().find(|&&(s, l)| (start + WEEK - s) % WEEK < l);
                if let Some(&(s, l)) = holder {
                    inside_any = true;
                    if (start + WEEK - s) % WEEK + len > l {
                        self.err(
                            key.clone(),
                            Some(b.at.span()),
                            format!(
                                "the break at {} runs past the end of the {} shift",
                                b.at.get_ref(),
                                WEEKDAYS[(s / DAY) as usize]
                            ),
                        )
                        .hint = Some("a break lies inside the shift it interrupts".into());
                        ok = false;
                        break;
                    }
                    out.push((start, len));
                }
            }
            if !inside_any {
                self.err(
                    key,
                    Some(b.at.span()),
                    format!("the break at {} falls outside every shift", b.at.get_ref()),
                );
                ok = false;
            }
        }
        ok.then_some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::day_key;

    #[test]
    fn day_keys_name_days_and_ranges() {
        assert_eq!(day_key("mon"), Some(vec![0]));
        assert_eq!(day_key("mon-fri"), Some(vec![0, 1, 2, 3, 4]));
        assert_eq!(day_key("fri-mon"), Some(vec![4, 5, 6, 0]));
        assert_eq!(day_key("sun-sun"), Some(vec![6]));
        assert_eq!(day_key("monday"), None);
        assert_eq!(day_key("mon-xyz"), None);
    }
}
