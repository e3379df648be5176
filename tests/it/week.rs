//! The planner's week: weekday shifts, breaks and absence, checked against rosters rebuilt by
//! hand and against the binomial chance of an absence.

use std::collections::HashMap;

use routesim::model::{AgentId, SimTime, TICKS_PER_SEC};
use routesim::sim::{AgentChange, ChatRecord, Recorder, run_replication};

use crate::support::{json, routesim};

/// Writes `files` (name, content) to one temporary folder, runs the first, a scenario, with
/// `--format json --out` and `args`, and returns its stdout and `chats.csv` as written.
fn run_files(files: &[(&str, &str)], args: &[&str]) -> (Vec<u8>, String) {
    let dir = tempfile::tempdir().expect("temporary folder");
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).expect("writable");
    }
    let out = dir.path().join("out");
    let stdout = routesim()
        .args(["run", "--quiet", "--format", "json"])
        .arg(dir.path().join(files[0].0))
        .arg("--out")
        .arg(&out)
        .args(args)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let chats = std::fs::read_to_string(out.join("chats.csv")).expect("chats.csv written");
    (stdout, chats)
}

/// The rows of a `chats.csv`, each as column -> cell.
fn rows_of(chats: &str) -> Vec<HashMap<String, String>> {
    let mut r = csv::Reader::from_reader(chats.as_bytes());
    let header: Vec<String> = r
        .headers()
        .expect("a header")
        .iter()
        .map(String::from)
        .collect();
    r.records()
        .map(|rec| {
            let rec = rec.expect("valid CSV");
            header
                .iter()
                .cloned()
                .zip(rec.iter().map(String::from))
                .collect()
        })
        .collect()
}

/// Runs a scenario with `--out` and returns the rows of `chats.csv`, each as column -> cell.
fn chats_csv(text: &str, args: &[&str]) -> Vec<HashMap<String, String>> {
    rows_of(&run_files(&[("scenario.toml", text)], args).1)
}

const ROSTERED: &str = r#"
[simulation]
duration = "14d"
start = "mon 00:00"
seed = 7

[[teams]]
name = "desk"

[[agents]]
name = "day"
count = 3
teams = ["desk"]
max_chats = 2
shift = { mon-fri = "08:00-16:00", fri = "08:00-14:00", sat = "10:00-14:00" }
breaks = [{ at = "12:00", for = "30m" }]

[[agents]]
name = "night"
count = 2
teams = ["desk"]
shift = { sun-thu = "22:00-06:00" }
breaks = [{ at = "02:00", for = "15m" }]

[[traffic]]
name = "web"
rate = "30/h"
handle_time = { dist = "exponential", mean = "4m" }
patience = { dist = "exponential", mean = "20m" }

[[rules]]
name = "all"
route = [{ team = "desk" }]
"#;

/// The roster above, written out by hand: whether an agent of `group` works at `secs` since
/// Monday 00:00.
fn works(group: &str, secs: f64) -> bool {
    let day = (secs / 86_400.0).floor() as usize % 7;
    let h = secs % 86_400.0 / 3_600.0;
    match group {
        "day" => {
            let shift = match day {
                0..=3 => (8.0..16.0).contains(&h),
                4 => (8.0..14.0).contains(&h),
                5 => (10.0..14.0).contains(&h),
                _ => false,
            };
            shift && !(12.0..12.5).contains(&h)
        }
        "night" => {
            // Sunday to Thursday nights: 22:00 that day to 06:00 the next.
            let evening = h >= 22.0 && matches!(day, 6 | 0..=3);
            let morning = h < 6.0 && (0..=4).contains(&day);
            (evening || morning) && !(2.0..2.25).contains(&h)
        }
        _ => unreachable!("no group {group}"),
    }
}

/// ROSTERED with both groups' weeks in roster files (`day.csv` and `night.csv`, returned with
/// it) instead of `shift` and `breaks`: the day agents as one row with a count, the night
/// agents one row each, named as `count` would name them.
fn rostered_from_files() -> (String, &'static str, &'static str) {
    let text = ROSTERED
        .replace(
            "count = 3\nteams = [\"desk\"]\nmax_chats = 2\n\
             shift = { mon-fri = \"08:00-16:00\", fri = \"08:00-14:00\", sat = \"10:00-14:00\" }\n\
             breaks = [{ at = \"12:00\", for = \"30m\" }]\n",
            "roster = \"day.csv\"\nteams = [\"desk\"]\nmax_chats = 2\n",
        )
        .replace(
            "count = 2\nteams = [\"desk\"]\nshift = { sun-thu = \"22:00-06:00\" }\n\
             breaks = [{ at = \"02:00\", for = \"15m\" }]\n",
            "roster = \"night.csv\"\nteams = [\"desk\"]\n",
        );
    assert!(
        !text.contains("shift") && !text.contains("breaks"),
        "{text}"
    );
    // A byte-order mark, headers in any case, full day names, a day off written out, a blank
    // line, a lunch and an empty second break column: a WFM export as it comes.
    let day = "\u{feff}Name,Count,Monday,Tuesday,Wednesday,Thursday,Friday,Saturday,Sunday,Lunch,Break 2\n\
               day,3,08:00-16:00,08:00-16:00,08:00-16:00,08:00-16:00,08:00-14:00,10:00-14:00,off,12:00-12:30,\n\n";
    let night = "name,sun,mon,tue,wed,thu,break\n\
                 night-1,22:00-06:00,22:00-06:00,22:00-06:00,22:00-06:00,22:00-06:00,02:00-02:15\n\
                 night-2,22:00-06:00,22:00-06:00,22:00-06:00,22:00-06:00,22:00-06:00,02:00-02:15\n";
    (text, day, night)
}

/// Checks every answered chat against the roster written out by hand (`works`), and that the
/// check has something to bite on.
fn audit(rows: &[HashMap<String, String>]) {
    let mut answered = HashMap::<&str, usize>::new();
    let mut at_hour = [0usize; 24];
    for r in rows.iter().filter(|r| !r["agent"].is_empty()) {
        let secs: f64 = ["arrival", "bot_time", "wait"]
            .iter()
            .map(|c| r[*c].parse::<f64>().unwrap_or(0.0))
            .sum();
        let group = r["agent"].rsplit_once('-').expect("agent-N").0;
        assert!(
            works(group, secs % (7.0 * 86_400.0)),
            "{} answered chat {} at {secs} s, off its roster",
            r["agent"],
            r["id"]
        );
        *answered
            .entry(if group == "day" { "day" } else { "night" })
            .or_default() += 1;
        at_hour[(secs % 86_400.0 / 3_600.0) as usize] += 1;
    }
    // Not vacuous: both groups work, and chats are answered in the hours around each break.
    let n = |g: &str| answered.get(g).copied().unwrap_or(0);
    assert!(n("day") > 500 && n("night") > 200, "{answered:?}");
    assert!(
        at_hour[12] > 0 && at_hour[2] > 0 && at_hour[7] == 0,
        "{at_hour:?}"
    );
}

#[test]
fn no_chat_is_answered_off_shift_or_on_a_break() {
    audit(&chats_csv(ROSTERED, &[]));
}

#[test]
fn no_chat_is_answered_off_a_roster_files_shifts_or_on_its_breaks() {
    let (text, day, night) = rostered_from_files();
    let (_, chats) = run_files(
        &[
            ("scenario.toml", &text),
            ("day.csv", day),
            ("night.csv", night),
        ],
        &[],
    );
    audit(&rows_of(&chats));
}

/// Roster files saved with CRLF ends, as Windows tools write them (the BOM, blank line and
/// empty last cell included), give the run their LF twins give, byte for byte, but for the
/// scenario's hash, which covers the files' bytes (they differ) and nothing else.
#[test]
fn crlf_roster_files_run_as_their_lf_twins() {
    let (text, day, night) = rostered_from_files();
    let run = |day: &str, night: &str| {
        run_files(
            &[
                ("scenario.toml", &text),
                ("day.csv", day),
                ("night.csv", night),
            ],
            &["--duration", "2d"],
        )
    };
    let lf = run(day, night);
    let crlf = run(&day.replace('\n', "\r\n"), &night.replace('\n', "\r\n"));
    let hash = |report: &[u8]| json(report)["scenario_hash"].as_str().unwrap().to_string();
    let (lf_hash, crlf_hash) = (hash(&lf.0), hash(&crlf.0));
    assert_ne!(lf_hash, crlf_hash);
    let crlf_report = String::from_utf8(crlf.0)
        .unwrap()
        .replace(&crlf_hash, &lf_hash);
    assert!(lf.0 == crlf_report.as_bytes(), "the reports differ");
    assert!(lf.1 == crlf.1, "chats.csv differs");
}

#[test]
fn a_roster_file_compiles_to_the_agents_its_toml_twin_does() {
    // With absence, so the draws keyed by agent and shift start must line up too.
    let absent = |t: &str| {
        t.replace(
            "teams = [\"desk\"]\n",
            "teams = [\"desk\"]\nabsence = 0.2\n",
        )
    };
    let (files, day, night) = rostered_from_files();
    let (toml, files) = (absent(ROSTERED), absent(&files));
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in [
        ("toml.toml", &*toml),
        ("files.toml", &*files),
        ("day.csv", day),
        ("night.csv", night),
    ] {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    let load = |name: &str| routesim::scenario::load(&dir.path().join(name)).unwrap();
    let (a, b) = (load("toml.toml"), load("files.toml"));
    let agents = |m: &routesim::model::Model| {
        m.agents
            .iter()
            .map(|a| {
                (
                    a.name.clone(),
                    a.shift.clone(),
                    a.absence,
                    a.max_chats,
                    a.teams.clone(),
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(agents(&a).len(), 5);
    assert!(agents(&a).iter().all(|a| a.1.is_some() && a.2 == 0.2));
    assert_eq!(agents(&a), agents(&b));
    // And a run of each gives the same report and the same chats, byte for byte.
    let (report_toml, chats_toml) = run_files(&[("scenario.toml", &toml)], &[]);
    let (report_files, chats_files) = run_files(
        &[
            ("scenario.toml", &files),
            ("day.csv", day),
            ("night.csv", night),
        ],
        &[],
    );
    assert!(chats_toml.lines().count() > 1_000);
    // The same report but for the hash naming each scenario file's text.
    let without_hash = |report: &[u8]| {
        let mut v: serde_json::Value = serde_json::from_slice(report).expect("JSON");
        v.as_object_mut()
            .expect("an object")
            .remove("scenario_hash");
        v
    };
    assert_ne!(
        report_toml, report_files,
        "the files differ, and so do their hashes"
    );
    assert!(
        without_hash(&report_toml) == without_hash(&report_files),
        "the reports differ"
    );
    assert!(chats_toml == chats_files, "chats.csv differs");
}

/// Counts the shifts each agent starts (the first time on shift after being off).
#[derive(Default)]
struct Starts(Vec<(AgentId, SimTime)>, Vec<bool>);

impl Recorder for Starts {
    fn record(&mut self, _: &ChatRecord<'_>) {}

    fn agent(&mut self, c: &AgentChange) {
        if self.1.len() <= c.agent.ix() {
            self.1.resize(c.agent.ix() + 1, false);
        }
        if c.on_shift && !self.1[c.agent.ix()] {
            self.0.push((c.agent, c.time));
        }
        self.1[c.agent.ix()] = c.on_shift;
    }
}

#[test]
fn absence_misses_whole_shifts_at_its_rate() {
    let text = |absence: f64| {
        format!(
            "[simulation]\nduration = \"28d\"\nseed = 3\n[[teams]]\nname = \"desk\"\n\
             [[agents]]\nname = \"a\"\ncount = 40\nteams = [\"desk\"]\n\
             shift = {{ mon-fri = \"08:00-16:00\" }}\nbreaks = [{{ at = \"12:00\", for = \"1h\" }}]\nabsence = {absence}\n\
             [[traffic]]\nname = \"t\"\nrate = \"1/h\"\nhandle_time = 60\n"
        )
    };
    let full = routesim::scenario::parse_str("a.toml", &text(0.0)).unwrap();
    let (_, Starts(all, _)) = run_replication(&full, 0, Starts::default(), |_| {});
    // Without absence, every agent comes on twice a working day (the start and after lunch).
    assert_eq!(all.len(), 40 * 20 * 2);
    let p = 0.3;
    let m = routesim::scenario::parse_str("a.toml", &text(p)).unwrap();
    let (_, Starts(some, _)) = run_replication(&m, 0, Starts::default(), |_| {});
    // An absent agent misses its whole shift: it never comes on after lunch alone.
    let mornings = |v: &[(AgentId, SimTime)]| {
        v.iter()
            .filter(|(_, t)| t.0 % (86_400 * TICKS_PER_SEC) == 8 * 3_600 * TICKS_PER_SEC)
            .count()
    };
    assert_eq!(some.len(), 2 * mornings(&some));
    let shifts = (40 * 20) as f64;
    let missed = 1.0 - mornings(&some) as f64 / shifts;
    // Binomial standard error of the share missed over 800 shifts; allow four.
    let se = (p * (1.0 - p) / shifts).sqrt();
    assert!(
        (missed - p).abs() < 4.0 * se,
        "missed {missed}, want {p} ± {}",
        4.0 * se
    );
    // Absence is drawn per agent and shift, whatever else happens: more traffic, same absences.
    let busier = routesim::scenario::parse_str("a.toml", &text(p).replace("1/h", "90/h")).unwrap();
    let (_, Starts(again, _)) = run_replication(&busier, 0, Starts::default(), |_| {});
    assert_eq!(some, again);
}

fn retrying(share: f64) -> String {
    format!(
        r#"
[simulation]
duration = "2d"
seed = 5
replications = 2
[[teams]]
name = "desk"
[[agents]]
name = "a"
count = 3
teams = ["desk"]
[[traffic]]
name = "web"
rate = "40/h"
handle_time = {{ dist = "exponential", mean = "5m" }}
patience = {{ dist = "exponential", mean = "3m" }}
retry = {{ share = {share}, delay = 600 }}
[[rules]]
name = "all"
route = [{{ team = "desk" }}]
"#
    )
}

#[test]
fn retries_are_new_attempts_of_the_same_customer() {
    let rows = chats_csv(&retrying(0.4), &[]);
    let secs = |r: &HashMap<String, String>, c: &str| r[c].parse::<f64>().unwrap_or(0.0);
    let by_id: HashMap<(&str, &str), &HashMap<String, String>> = rows
        .iter()
        .map(|r| ((r["replication"].as_str(), r["id"].as_str()), r))
        .collect();
    let (mut first, mut retries, mut abandoned) = (0, 0, 0);
    for r in &rows {
        let attempt: u32 = r["attempt"].parse().unwrap();
        if r["outcome"] == "abandoned" {
            abandoned += 1;
        }
        if attempt == 1 {
            first += 1;
            assert_eq!(r["customer"], r["id"]);
            continue;
        }
        retries += 1;
        // The attempt before it is the same customer's, abandoned 600 s (the delay) before this
        // one arrived.
        let before = rows
            .iter()
            .filter(|p| p["replication"] == r["replication"] && p["customer"] == r["customer"])
            .find(|p| p["attempt"].parse::<u32>().unwrap() == attempt - 1)
            .expect("the previous attempt is recorded");
        assert_eq!(before["outcome"], "abandoned");
        assert_eq!(before["attributes"], r["attributes"]);
        let left = secs(before, "arrival") + secs(before, "wait");
        assert!((secs(r, "arrival") - left - 600.0).abs() < 1e-5, "{r:?}");
        assert!(by_id.contains_key(&(r["replication"].as_str(), r["customer"].as_str())));
    }
    // About 40% of abandoned chats come back (binomial, four standard errors; a few return
    // after the end of the run and are not seen).
    let share = retries as f64 / abandoned as f64;
    let se = (0.4f64 * 0.6 / abandoned as f64).sqrt();
    assert!(
        abandoned > 300 && (share - 0.4).abs() < 4.0 * se,
        "{retries} of {abandoned}"
    );
    assert_eq!(first + retries, rows.len());

    // The report counts the same, and attempts offered are first contacts plus retries.
    let j = crate::support::run_text(&retrying(0.4), &[]);
    let c = &j["customers"];
    let offered = j["overall"]["offered"].as_f64().unwrap();
    let (f, r) = (
        c["first_contacts"].as_f64().unwrap(),
        c["retries"].as_f64().unwrap(),
    );
    assert_eq!(f + r, offered);
    assert_eq!((f * 2.0, r * 2.0), (first as f64, retries as f64));
}

#[test]
fn with_every_customer_coming_back_none_is_lost_for_good() {
    // Patience long next to the waits: a customer may give up a few times, never ten.
    // (at 30/h on three agents, 83% busy).
    let long = retrying(1.0)
        .replace("mean = \"3m\"", "mean = \"10m\"")
        .replace("40/h", "30/h");
    let j = crate::support::run_text(&long, &[]);
    let c = &j["customers"];
    assert!(
        j["overall"]["abandoned"].as_f64().unwrap() > 5.0,
        "{}",
        j["overall"]
    );
    assert_eq!(c["gave_up"].as_f64(), Some(0.0));
    assert_eq!(c["abandon_rate"].as_f64(), Some(0.0));
    // Without retries, every abandoned chat is a customer lost.
    let j = crate::support::run_text(&retrying(0.0), &[]);
    assert_eq!(j["customers"]["gave_up"], j["overall"]["abandoned"]);
    assert_eq!(j["customers"]["retries"].as_f64(), Some(0.0));
}

/// Counts arrivals per weekday.
struct PerDay<'m>(&'m routesim::model::Model, [u64; 7]);

impl Recorder for PerDay<'_> {
    fn record(&mut self, r: &ChatRecord<'_>) {
        let day = self.0.week_time(r.arrival) / (86_400 * TICKS_PER_SEC);
        self.1[day as usize] += 1;
    }
}

#[test]
fn weekday_multipliers_scale_each_day_of_the_profile() {
    let text = "[simulation]\nduration = \"28d\"\nseed = 9\n[[teams]]\nname = \"desk\"\n\
        [[agents]]\nname = \"a\"\ncount = 50\nteams = [\"desk\"]\n\
        [[traffic]]\nname = \"t\"\nrate = \"60/h\"\nhandle_time = 60\n\
        profile = { \"08:00\" = 1.0, \"20:00\" = 0.25 }\n\
        weekdays = { mon-fri = 1.0, fri = 1.5, sat = 0.5, sun = 0 }\n";
    let m = routesim::scenario::parse_str("w.toml", text).unwrap();
    let (_, PerDay(_, n)) = run_replication(&m, 0, PerDay(&m, [0; 7]), |_| {});
    // Per day: 12 h at 60/h and 12 h at 15/h = 900 chats, times the weekday's factor, over four
    // weeks; Poisson noise, four standard deviations.
    for (d, f) in [1.0, 1.0, 1.0, 1.0, 1.5, 0.5, 0.0].iter().enumerate() {
        let want = 4.0 * 900.0 * f;
        assert!(
            (n[d] as f64 - want).abs() <= 4.0 * want.sqrt(),
            "day {d}: {} chats, want {want}",
            n[d]
        );
    }
}

/// Counts arrivals per hour of the week.
struct PerHour<'m>(&'m routesim::model::Model, Vec<u64>);

impl Recorder for PerHour<'_> {
    fn record(&mut self, r: &ChatRecord<'_>) {
        let hour = self.0.week_time(r.arrival) / (3_600 * TICKS_PER_SEC);
        self.1[hour as usize] += 1;
    }
}

#[test]
fn a_profile_per_weekday_shapes_each_day_of_the_week() {
    let text = "[simulation]\nduration = \"28d\"\nseed = 11\n[[teams]]\nname = \"desk\"\n\
        [[agents]]\nname = \"a\"\ncount = 50\nteams = [\"desk\"]\n\
        [[traffic]]\nname = \"t\"\nrate = \"60/h\"\nhandle_time = 60\n\
        profile = { mon-fri = { \"08:00\" = 1.0, \"12:00\" = 2.0, \"18:00\" = 0.25 }, \
                    fri = { \"08:00\" = 1.5, \"16:00\" = 0 }, sat = { \"10:00\" = 0.5, \"14:00\" = 0 } }\n\
        weekdays = { thu = 2 }\n";
    let m = routesim::scenario::parse_str("p.toml", text).unwrap();
    let (_, PerHour(_, n)) = run_replication(&m, 0, PerHour(&m, vec![0; 168]), |_| {});
    // The week written out by hand, stretch by stretch: (day, from hour, to hour, multiplier
    // including the weekday's). A day opens with its own last multiplier; Friday's range entry
    // is overridden by its own; Sunday is not named, so closed.
    let mut want: Vec<(usize, usize, usize, f64)> = Vec::new();
    for (day, f) in [(0, 1.0), (1, 1.0), (2, 1.0), (3, 2.0)] {
        want.extend([
            (day, 0, 8, 0.25 * f),
            (day, 8, 12, f),
            (day, 12, 18, 2.0 * f),
            (day, 18, 24, 0.25 * f),
        ]);
    }
    want.extend([(4, 0, 8, 0.0), (4, 8, 16, 1.5), (4, 16, 24, 0.0)]);
    want.extend([
        (5, 0, 10, 0.0),
        (5, 10, 14, 0.5),
        (5, 14, 24, 0.0),
        (6, 0, 24, 0.0),
    ]);
    assert_eq!(want.iter().map(|w| w.2 - w.1).sum::<usize>(), 168);
    for (day, from, to, mult) in want {
        let got: u64 = n[day * 24 + from..day * 24 + to].iter().sum();
        // Four weeks at 60/h: Poisson counts, four standard deviations; none where the rate is 0.
        let expect = 4.0 * 60.0 * mult * (to - from) as f64;
        assert!(
            (got as f64 - expect).abs() <= 4.0 * expect.sqrt(),
            "day {day} {from:02}:00-{to:02}:00: {got} chats, want {expect}"
        );
    }
}

#[test]
fn a_profile_for_every_day_is_the_daily_profile() {
    let text = |profile: &str| {
        format!(
            "[simulation]\nduration = \"7d\"\n[[teams]]\nname = \"d\"\n[[agents]]\nname = \"a\"\nteams = [\"d\"]\n\
             [[traffic]]\nname = \"t\"\nrate = \"60/h\"\nhandle_time = 60\nprofile = {profile}\nweekdays = {{ fri = 1.5, sat = 0.5 }}\n"
        )
    };
    let daily = "{ \"08:00\" = 1.0, \"12:00\" = 1.8, \"18:00\" = 0.4 }";
    let profile = |p: &str| {
        routesim::scenario::parse_str("p.toml", &text(p))
            .unwrap()
            .traffic[0]
            .profile
            .clone()
    };
    let old = profile(daily);
    assert_eq!(old, profile(&format!("{{ mon-sun = {daily} }}")));
    assert_eq!(
        old,
        profile(&format!(
            "{{ mon-thu = {daily}, fri-sat = {daily}, sun = {daily} }}"
        ))
    );
    // Not a vacuous comparison: leaving Sunday out closes it.
    let closed = profile(&format!("{{ mon-sat = {daily} }}"));
    assert_ne!(old, closed);
    assert!((closed.mean() - old.mean() * 6.0 / 7.0).abs() < 1e-12);
}

/// A desk whose traffic comes from `csv`, written to a file the scenario names by its full path
/// (the file lives as long as the returned folder).
fn forecast_desk(csv: &str, extra: &str) -> (String, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temporary folder");
    let file = dir.path().join("f.csv");
    std::fs::write(&file, csv).unwrap();
    let text = format!(
        "[simulation]\nduration = \"7d\"\nseed = 21\n{extra}\n[[teams]]\nname = \"desk\"\n\
         [[agents]]\nname = \"a\"\ncount = 30\nteams = [\"desk\"]\n\
         [[traffic]]\nname = \"t\"\nforecast = '{}'\nhandle_time = {{ dist = \"exponential\", mean = \"4m\" }}\n\
         [[rules]]\nname = \"all\"\nroute = [{{ team = \"desk\" }}]\n",
        file.display()
    );
    (text, dir)
}

#[test]
fn forecast_volumes_arrive_in_their_intervals() {
    // Tuesday 09:00 to 12:00 in half hours, with a quiet and a busy stretch, as dates.
    let volumes = [5.0, 20.0, 60.0, 120.0, 80.0, 0.0];
    let mut csv = String::from("start,volume\n");
    for (k, v) in volumes.iter().enumerate() {
        csv += &format!("2026-12-01T{:02}:{:02},{v}\n", 9 + k / 2, (k % 2) * 30);
    }
    let reps = 20.0;
    let (text, _dir) = forecast_desk(&csv, "replications = 20");
    let j = crate::support::run_text(&text, &["--interval", "30m"]);
    let rows = j["intervals"].as_array().unwrap();
    let offered = |start: &str| {
        rows.iter()
            .find(|r| r["start"] == start)
            .map_or(0.0, |r| r["offered"].as_f64().unwrap())
    };
    for (k, v) in volumes.iter().enumerate() {
        let start = format!("tue {:02}:{:02}", 9 + k / 2, (k % 2) * 30);
        // The mean of 20 Poisson counts of mean v has standard deviation sqrt(v / 20).
        let got = offered(&start);
        assert!(
            (got - v).abs() <= 4.0 * (v / reps).sqrt() + 1e-9,
            "{start}: {got} chats on average, forecast {v}"
        );
    }
    // Nothing arrives outside the forecast's intervals.
    let total: f64 = rows.iter().map(|r| r["offered"].as_f64().unwrap()).sum();
    let inside: f64 = volumes.iter().sum();
    assert!((total - inside).abs() <= 4.0 * (inside / reps).sqrt());
    assert_eq!(
        offered("tue 08:30") + offered("tue 12:00") + offered("mon 10:00"),
        0.0
    );
}

#[test]
fn a_forecasts_handle_time_scales_the_chats_of_its_interval() {
    let csv = "start,volume,handle_time\nwed 10:00,300,2m\nwed 11:00,300,8m\n";
    let (text, _dir) = forecast_desk(csv, "");
    let rows = chats_csv(&text, &[]);
    // Arrivals are seconds since Monday 00:00 (no warm-up): Wednesday 10:00 is 208,800 s.
    let mean_handle = |from: f64| {
        let h: Vec<f64> = rows
            .iter()
            .filter(|r| !r["handle_time"].is_empty())
            .filter(|r| (from..from + 3_600.0).contains(&r["arrival"].parse::<f64>().unwrap()))
            .map(|r| r["handle_time"].parse::<f64>().unwrap())
            .collect();
        (h.iter().sum::<f64>() / h.len() as f64, h.len() as f64)
    };
    for (from, want) in [(208_800.0, 120.0), (212_400.0, 480.0)] {
        let (mean, n) = mean_handle(from);
        // Exponential handle times: the standard error of the mean is want / sqrt(n).
        assert!(
            n > 200.0 && (mean - want).abs() < 4.0 * want / n.sqrt(),
            "{mean} over {n}, want {want}"
        );
    }
}

/// The README's worked example: the bundled planner's week meets its service level over the
/// week, its worst half hour is Monday 11:00 (a lunch in the peak), and moving that lunch to
/// 13:00 lifts it.
#[test]
fn the_planners_week_finds_its_bad_half_hour() {
    let root = crate::support::root();
    let text = std::fs::read_to_string(root.join("scenarios/planner-week.toml")).unwrap();
    // Run from a temporary folder: its data files are named by their full paths.
    let mut text = text;
    for file in ["planner-week-forecast.csv", "planner-week-weekend.csv"] {
        let full = root.join("scenarios").join(file);
        assert!(text.contains(&format!("\"{file}\"")), "{file}");
        text = text.replace(&format!("\"{file}\""), &format!("'{}'", full.display()));
    }
    let sl = |j: &serde_json::Value, start: &str| {
        j["intervals"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["start"] == start)
            .and_then(|r| r["service_level"].as_f64())
            .unwrap()
    };
    let before = crate::support::run_text(&text, &["--interval", "30m"]);
    let worst = before["intervals"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["offered"].as_f64().unwrap() > 20.0)
        .min_by(|a, b| {
            let s = |r: &serde_json::Value| r["service_level"].as_f64().unwrap();
            s(a).total_cmp(&s(b))
        })
        .unwrap();
    assert_eq!(worst["start"], "mon 11:00");
    // validate names the same half hour first, from the load against the slots alone.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("week.toml");
    std::fs::write(&path, &text).unwrap();
    let out = routesim().arg("validate").arg(&path).assert().success();
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(stdout.contains("worst half hours: mon 11:00"), "{stdout}");
    assert!(before["overall"]["service_level"].as_f64().unwrap() > 0.9);
    assert!(sl(&before, "mon 11:00") < 0.7);
    let moved = text.replacen("at = \"11:00\"", "at = \"13:00\"", 1);
    let after = crate::support::run_text(&moved, &["--interval", "30m"]);
    assert!(sl(&after, "mon 11:00") > sl(&before, "mon 11:00") + 0.2);
}

#[test]
fn a_customer_comes_back_at_most_nine_times() {
    // Nobody waits at all and everyone comes back at once: without a cap this never ends.
    let text = "[simulation]\nduration = \"1h\"\n[[teams]]\nname = \"d\"\n[[agents]]\nname = \"a\"\nteams = [\"d\"]\n\
        [[traffic]]\nname = \"t\"\nrate = \"20/h\"\nhandle_time = \"10h\"\npatience = 0\nretry = { share = 1, delay = 0 }\n\
        [[rules]]\nname = \"r\"\nroute = [{ team = \"d\" }]\n";
    let rows = chats_csv(text, &[]);
    let most = rows
        .iter()
        .map(|r| r["attempt"].parse::<u32>().unwrap())
        .max()
        .unwrap();
    assert_eq!(most, routesim::model::MAX_ATTEMPTS);
    let first = rows.iter().filter(|r| r["attempt"] == "1").count();
    assert!(rows.len() <= first * routesim::model::MAX_ATTEMPTS as usize);
}

#[test]
fn a_weekday_forecast_may_run_over_the_end_of_the_week() {
    let csv = "start,volume\nsun 23:00,50\nsun 23:30,50\nmon 00:00,50\nmon 00:30,50\n";
    let (text, _dir) = forecast_desk(csv, "replications = 4");
    let j = crate::support::run_text(&text, &["--interval", "30m"]);
    let rows = j["intervals"].as_array().unwrap();
    for start in ["sun 23:30", "mon 00:00"] {
        let r = rows.iter().find(|r| r["start"] == start).unwrap();
        assert!(r["offered"].as_f64().unwrap() > 20.0, "{start}: {r}");
    }
}

#[test]
fn validate_shows_load_against_slots_by_half_hour_and_names_the_worst() {
    // 60/h of 6 minutes is 6 erlangs; from 10:00 to 11:00 the rate doubles to 12. Ten agents
    // hold one chat each, and four of them lunch at 10:30.
    let text = "[simulation]\nduration = \"1d\"\n[[teams]]\nname = \"d\"\n\
        [[agents]]\nname = \"a\"\ncount = 6\nteams = [\"d\"]\nshift = \"08:00-16:00\"\n\
        [[agents]]\nname = \"b\"\ncount = 4\nteams = [\"d\"]\nshift = \"08:00-16:00\"\nbreaks = [{ at = \"10:30\", for = \"30m\" }]\n\
        [[traffic]]\nname = \"t\"\nrate = \"60/h\"\nhandle_time = \"6m\"\nprofile = { \"08:00\" = 1, \"10:00\" = 2, \"11:00\" = 1, \"16:00\" = 0 }\n\
        [[rules]]\nname = \"r\"\nroute = [{ team = \"d\" }]\n";
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v.toml");
    std::fs::write(&path, text).unwrap();
    let out = routesim().arg("validate").arg(&path).assert().success();
    let stdout = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    let row = |start: &str| {
        stdout
            .lines()
            .find(|l| l.starts_with(start))
            .map(|l| l.split_whitespace().skip(2).collect::<Vec<_>>().join(" "))
            .unwrap_or_default()
    };
    assert_eq!(row("mon 09:30"), "6.0 10.0 60%", "{stdout}");
    assert_eq!(row("mon 10:00"), "12.0 10.0 120%", "{stdout}");
    assert_eq!(row("mon 10:30"), "12.0 6.0 200%", "{stdout}");
    assert_eq!(row("mon 15:30"), "6.0 10.0 60%", "{stdout}");
    assert!(row("mon 16:00").is_empty(), "{stdout}");
    assert!(
        stdout.contains("worst half hours: mon 10:30 (12.0 erlangs on 6.0 slots, 200%), mon 10:00 (12.0 erlangs on 10.0 slots, 120%)"),
        "{stdout}"
    );
}

#[test]
fn a_weekday_can_be_worked_round_the_clock() {
    let text = "[simulation]\nduration = \"7d\"\n[[teams]]\nname = \"d\"\n\
        [[agents]]\nname = \"a\"\nteams = [\"d\"]\nshift = { sat = \"00:00-24:00\" }\n\
        [[traffic]]\nname = \"t\"\nrate = \"1/h\"\nhandle_time = 60\n";
    let m = routesim::scenario::parse_str("d.toml", text).unwrap();
    let a = &m.agents[0];
    let at = |day: u64, hour: u64| (day * 24 + hour) * 3_600 * TICKS_PER_SEC;
    assert!(a.on_shift_at(at(5, 0)) && a.on_shift_at(at(5, 23)));
    assert!(!a.on_shift_at(at(4, 23)) && !a.on_shift_at(at(6, 0)));
}

#[test]
fn a_roster_files_names_are_checked_with_the_rest_and_its_counts_bounded() {
    let validate = |csv: &str| {
        let dir = tempfile::tempdir().unwrap();
        let text = "[simulation]\nduration = \"1d\"\n[[teams]]\nname = \"d\"\n\
            [[agents]]\nname = \"ana\"\nteams = [\"d\"]\n\
            [[agents]]\nname = \"group\"\nteams = [\"d\"]\nroster = \"r.csv\"\n\
            [[traffic]]\nname = \"t\"\nrate = \"1/h\"\nhandle_time = 60\n";
        std::fs::write(dir.path().join("s.toml"), text).unwrap();
        std::fs::write(dir.path().join("r.csv"), csv).unwrap();
        let out = routesim()
            .arg("validate")
            .arg(dir.path().join("s.toml"))
            .assert()
            .code(2);
        let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
        stderr.replace(&format!("{}/", dir.path().display()), "")
    };
    // Names are used as written, so they meet the scenario's other agents; a count names its
    // agents NAME-1 … NAME-N, which may meet a row named so.
    let e = validate("name,mon\nbo,08:00-16:00\nana,08:00-16:00\nbo,2,\nbo,09:00-17:00\n");
    assert!(
        e.contains("r.csv:3: an agent named \"ana\" is already defined by agents[0]"),
        "{e}"
    );
    assert!(
        e.contains("r.csv:4: this row has 3 cells, the header 2 cells"),
        "{e}"
    );
    assert!(
        e.contains("r.csv:5: an agent named \"bo\" is already defined by r.csv:2"),
        "{e}"
    );
    let e = validate("name,count,mon\nbo,2,08:00-16:00\nbo-2,,08:00-16:00\n");
    assert!(
        e.contains("r.csv:3: an agent named \"bo-2\" is already defined by r.csv:2"),
        "{e}"
    );
    // A count is refused before anything is made of it.
    let e = validate("name,count,mon\nbo,99999999999,08:00-16:00\n");
    assert!(
        e.contains("r.csv:2: too many agents: a scenario holds at most 100000 in all"),
        "{e}"
    );
    let e = validate("name,count,mon\nbo,60000,08:00-16:00\ncy,40000,08:00-16:00\n");
    assert!(e.contains("r.csv:3: too many agents"), "{e}");
    // Without rows, the group has nobody.
    let e = validate("name,mon\n");
    assert!(e.contains("r.csv holds no agents"), "{e}");
}

/// A stationary run's intervals are named as the same run's without `stationary`: from `start`
/// at the end of the warm-up. They had been named a warm-up late (mon 17:00 for mon 16:00),
/// since a stationary clock stands at `start` from time 0.
#[test]
fn a_stationary_runs_intervals_are_named_from_start() {
    let text = |stationary: bool| {
        format!(
            "[simulation]\nduration = \"2h\"\nwarmup = \"1h\"\nstart = \"mon 16:00\"\n\
             stationary = {stationary}\nseed = 1\n[[teams]]\nname = \"t\"\n\
             [[agents]]\nname = \"a\"\ncount = 5\nteams = [\"t\"]\n\
             [[traffic]]\nname = \"web\"\nrate = \"30/h\"\nhandle_time = \"5m\"\n\
             [[rules]]\nname = \"r\"\nroute = [{{ team = \"t\" }}]\n"
        )
    };
    let starts = |stationary: bool| {
        let report = crate::support::run_text(&text(stationary), &["--interval", "60m"]);
        (report["intervals"].as_array().unwrap().iter())
            .map(|i| i["start"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(starts(true), ["mon 16:00", "mon 17:00"]);
    assert_eq!(starts(true), starts(false));
}
