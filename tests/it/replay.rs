//! Replayed traffic (`replay = "chats.csv"`): a run's own log replayed through the same desk
//! gives back its figures; `--scale` thins and copies the log as documented (counts, nesting,
//! time-of-day shape); a log far larger than a data file streams; a log that changes under a
//! run fails it cleanly.

use std::collections::BTreeMap;
use std::path::Path;

use crate::support::{json, root, routesim, stdout_of};

/// A desk of two teams, with the arrivals line and the attributes line left to fill in.
const DESK: &str = r#"
[simulation]
duration = "6h"
seed = 5
replications = 20
start = "mon 09:00"

[[teams]]
name = "a"

[[teams]]
name = "b"

[[agents]]
name = "x"
count = 4
teams = ["a"]
max_chats = 2

[[agents]]
name = "y"
count = 3
teams = ["b", "a"]

[[traffic]]
name = "web"
ARRIVALS
handle_time = { dist = "exponential", mean = "4m" }
patience = { dist = "exponential", mean = "2m" }
ATTRIBUTES

[[rules]]
name = "billing"
when = { topic = "billing" }
route = [{ team = "b", timeout = "1m" }, { team = "a" }]

[[rules]]
name = "rest"
route = [{ team = "a" }]
"#;

fn desk(arrivals: &str, attributes: &str) -> String {
    DESK.replace("ARRIVALS", arrivals)
        .replace("ATTRIBUTES", attributes)
}

/// Runs a scenario file with extra arguments; returns the JSON report.
fn run_json(file: &Path, args: &[&str]) -> serde_json::Value {
    let mut all = vec!["run", "--format", "json", "--quiet"];
    all.extend_from_slice(args);
    let out = routesim()
        .args(&all)
        .arg(file)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    json(&out)
}

fn figure(v: &serde_json::Value, path: &str) -> f64 {
    path.split('.')
        .fold(v, |v, k| &v[k])
        .as_f64()
        .unwrap_or_else(|| panic!("{path} in {v}"))
}

/// Student t quantile (0.975) for 19 degrees of freedom: the CI's half-width over it, times
/// the square root of n, is one replication's standard deviation.
const T_19: f64 = 2.093;

/// Rows of `chats.csv` as maps of column to cell.
fn rows(path: &Path) -> Vec<BTreeMap<String, String>> {
    let mut r = csv::Reader::from_path(path).unwrap();
    let header = r.headers().unwrap().clone();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            header
                .iter()
                .zip(rec.iter())
                .map(|(h, c)| (h.to_string(), c.to_string()))
                .collect()
        })
        .collect()
}

/// A run with `--out`, then its own `chats.csv` (replication 0's rows) replayed through the
/// same desk: the replay is the same customers at the same times with the same handle times,
/// the abandoned ones with the patience they showed and the others with a patience drawn
/// beyond the wait they showed. So the replay gives back replication 0's figures, and, like
/// replication 0, lies within one replication's noise of the run's mean.
#[test]
fn replaying_a_runs_own_log_gives_back_its_figures() {
    let tmp = tempfile::tempdir().unwrap();
    let original = tmp.path().join("original.toml");
    std::fs::write(
        &original,
        desk(
            "rate = \"140/h\"",
            "attributes = { topic = { billing = 0.3, sales = 0.7 }, language = { en = 0.8, de = 0.2 } }",
        ),
    )
    .unwrap();
    let out = tmp.path().join("out");
    let all = run_json(&original, &["--out", out.to_str().unwrap()]);
    let first = run_json(&original, &["--replications", "1"]);
    let replay = tmp.path().join("replay.toml");
    std::fs::write(&replay, desk("replay = \"out/chats.csv\"", "")).unwrap();
    let again = run_json(&replay, &[]);
    let log = rows(&out.join("chats.csv"));
    let logged = log.iter().filter(|r| r["replication"] == "0").count() as f64;
    assert_eq!(figure(&again, "overall.offered"), logged);
    assert_eq!(figure(&first, "overall.offered"), logged);
    for f in [
        "overall.service_level",
        "overall.abandon_rate",
        "overall.wait.mean",
        "overall.answered",
    ] {
        let (orig, rep0, replayed) = (figure(&all, f), figure(&first, f), figure(&again, f));
        let ci_orig = figure(&all["ci95"], f);
        let ci_replay = figure(&again["ci95"], f);
        // One replication's standard deviation, from the run's own CI.
        let sd = ci_orig * 20f64.sqrt() / T_19;
        assert!(
            (replayed - orig).abs() <= 3.0 * sd + ci_replay,
            "{f}: replayed {replayed} vs the run's mean {orig} (one replication's sd {sd})"
        );
        // The replay's replications differ only in what the log does not say; what it says
        // is replication 0, so it gives back replication 0's figure within its own CI (and
        // within a small fraction of one replication's noise).
        assert!(
            (replayed - rep0).abs() <= ci_replay + 0.1 * sd,
            "{f}: replayed {replayed} +- {ci_replay} vs replication 0's {rep0} (sd {sd})"
        );
    }
}

/// Seconds since the start of every measured arrival in a run's chats.csv (replication 0).
fn arrivals(out: &Path) -> Vec<String> {
    rows(&out.join("chats.csv"))
        .into_iter()
        .filter(|r| r["replication"] == "0")
        .map(|r| r["arrival"].clone())
        .collect()
}

/// `--scale m` replays about m copies of each row: thinned at 0.5, doubled at 2, each within
/// the binomial (or, for the jittered copies lost past the run's ends, Poisson) noise of the
/// count.
#[test]
fn scale_thins_and_copies_the_log_by_its_multiplier() {
    let tmp = tempfile::tempdir().unwrap();
    let original = tmp.path().join("original.toml");
    std::fs::write(
        &original,
        desk(
            "rate = \"140/h\"",
            "attributes = { topic = { billing = 0.3, sales = 0.7 } }",
        ),
    )
    .unwrap();
    let out = tmp.path().join("out");
    run_json(
        &original,
        &["--out", out.to_str().unwrap(), "--replications", "1"],
    );
    let n = arrivals(&out).len() as f64;
    let replay = tmp.path().join("replay.toml");
    std::fs::write(&replay, desk("replay = \"out/chats.csv\"", "")).unwrap();
    let reps = 20.0;
    for (m, keep) in [(0.5, 0.5), (2.0, 0.0), (1.3, 0.3)] {
        let v = run_json(&replay, &["--scale", &m.to_string()]);
        let offered = figure(&v, "overall.offered");
        // Per replication, floor(m) copies of every row and one more with chance frac(m):
        // binomial. The mean over the replications has that variance over their number, plus
        // a Poisson allowance for the jittered copies that fall past the run's ends.
        let var = n * keep * (1.0 - keep) + n * (m - 1.0f64).max(0.0) * 0.05;
        let tol = 4.0 * (var / reps).sqrt() + 1.0;
        assert!(
            (offered - m * n).abs() <= tol,
            "scale {m}: {offered} offered vs {} expected (tolerance {tol})",
            m * n
        );
    }
}

/// The chats kept at a scale are kept at every larger one (same seed): the rows replayed at 0.5
/// are among those replayed at 0.8, as common random numbers want.
#[test]
fn rows_kept_at_a_smaller_scale_are_kept_at_a_larger_one() {
    let tmp = tempfile::tempdir().unwrap();
    let original = tmp.path().join("original.toml");
    std::fs::write(
        &original,
        desk(
            "rate = \"140/h\"",
            "attributes = { topic = { billing = 0.3, sales = 0.7 } }",
        ),
    )
    .unwrap();
    let out = tmp.path().join("out");
    run_json(
        &original,
        &["--out", out.to_str().unwrap(), "--replications", "1"],
    );
    let replay = tmp.path().join("replay.toml");
    std::fs::write(&replay, desk("replay = \"out/chats.csv\"", "")).unwrap();
    let mut kept = Vec::new();
    for m in ["0.5", "0.8"] {
        let dir = tmp.path().join(format!("at-{m}"));
        run_json(
            &replay,
            &[
                "--scale",
                m,
                "--replications",
                "1",
                "--out",
                dir.to_str().unwrap(),
            ],
        );
        let mut a = arrivals(&dir);
        a.sort();
        kept.push(a);
    }
    let (small, large) = (&kept[0], &kept[1]);
    assert!(small.len() < large.len());
    // Multiset inclusion: every arrival at 0.5 is matched by one at 0.8.
    let mut j = 0;
    for a in small {
        while j < large.len() && large[j] < *a {
            j += 1;
        }
        assert!(
            j < large.len() && large[j] == *a,
            "{a} kept at 0.5 but not at 0.8"
        );
        j += 1;
    }
}

/// Chats by hour of the day in the bundled Tuesday log, and in a replay of it.
fn by_hour(cells: impl Iterator<Item = u32>) -> BTreeMap<u32, f64> {
    let mut out = BTreeMap::new();
    for h in cells {
        *out.entry(h).or_default() += 1.0;
    }
    out
}

/// The replayed arrivals keep the log's time of day: at scale 1 the count of every hour is the
/// log's exactly; at scale 2 twice it, within the noise of the copies jittered into the
/// neighbouring hour.
#[test]
fn replayed_arrivals_keep_the_logs_time_of_day() {
    let log = rows(&root().join("scenarios/replay-tuesday.csv"));
    let want = by_hour(log.iter().map(|r| r["created_at"][11..13].parse().unwrap()));
    let tmp = tempfile::tempdir().unwrap();
    for m in [1.0, 2.0] {
        let out = tmp.path().join(format!("x{m}"));
        stdout_of(&[
            "run",
            "scenarios/replay-tuesday.toml",
            "--quiet",
            "--replications",
            "1",
            "--scale",
            &m.to_string(),
            "--out",
            out.to_str().unwrap(),
        ]);
        // The run starts at 06:00 (no warm-up): the hour is 6 plus the arrival's hours.
        let got = by_hour(
            arrivals(&out)
                .iter()
                .map(|a| 6 + (a.parse::<f64>().unwrap() / 3_600.0) as u32),
        );
        let hours: std::collections::BTreeSet<u32> =
            got.keys().chain(want.keys()).copied().collect();
        for h in hours {
            let (g, n) = (
                got.get(&h).copied().unwrap_or(0.0),
                want.get(&h).copied().unwrap_or(0.0),
            );
            if m == 1.0 {
                assert_eq!(g, n, "{h}:00");
            } else {
                // Copies of the rows near an hour's edges may land in the next; at most the
                // rows within the jitter (5 minutes) of an edge move, about a sixth of an
                // hour's, and of the hour beside it.
                let near = n.max(want.get(&(h + 1)).copied().unwrap_or(0.0)).max(
                    h.checked_sub(1)
                        .and_then(|p| want.get(&p))
                        .copied()
                        .unwrap_or(0.0),
                );
                let tol = 4.0 * (near / 6.0).sqrt() + 2.0;
                assert!((g - m * n).abs() <= tol, "{h}:00: {g} vs {}", m * n);
            }
        }
    }
}

/// A replay at a scale is byte-identical whatever the thread count, like any run.
#[test]
fn a_replay_is_the_same_whatever_the_thread_count() {
    let run = |threads: &str| {
        stdout_of(&[
            "run",
            "scenarios/replay-tuesday.toml",
            "--format",
            "json",
            "--quiet",
            "--scale",
            "1.7",
            "--threads",
            threads,
        ])
    };
    let one = run("1");
    assert_eq!(one, run("3"));
    let v = json(&one);
    // 1.7 copies of each of the 2,696 rows, over ten replications (binomial sd of the mean 7.5).
    assert!(
        (figure(&v, "overall.offered") - 1.7 * 2_696.0).abs() < 40.0,
        "{v}"
    );
}

/// `validate` says where the stream's arrivals come from and how many; explain knows the log's
/// values.
#[test]
fn validate_and_explain_describe_a_replayed_stream() {
    let out = String::from_utf8(stdout_of(&["validate", "scenarios/replay-tuesday.toml"])).unwrap();
    assert!(
        out.contains("replayed from scenarios/replay-tuesday.csv: 2696 of its 2696 rows in the run, tue 07:01 to tue 21:58"),
        "{out}"
    );
    let explain = String::from_utf8(stdout_of(&[
        "explain",
        "scenarios/replay-tuesday.toml",
        "--chat",
        "topic=billing,language=de",
        "--at",
        "tue 10:00",
    ]))
    .unwrap();
    assert!(explain.contains("german"), "{explain}");
    assert!(
        !explain.contains("no rule or traffic stream uses"),
        "{explain}"
    );
}

/// A log of a million rows, larger than any data file may be (64 MB), replays: it is read as
/// it streams, never whole.
#[test]
fn a_log_larger_than_a_data_file_streams() {
    use std::io::Write;
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("big.csv");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    writeln!(f, "arrival,handle_time,topic,note").unwrap();
    let pad = "x".repeat(48);
    for i in 0..1_000_000u64 {
        let topic = if i % 3 == 0 { "billing" } else { "sales" };
        writeln!(
            f,
            "{}.{},{},{topic},{pad}",
            i / 2,
            (i % 2) * 5,
            60 + i % 240
        )
        .unwrap();
    }
    f.into_inner().unwrap().sync_all().unwrap();
    assert!(std::fs::metadata(&path).unwrap().len() > 64 * 1024 * 1024);
    let scenario = tmp.path().join("big.toml");
    std::fs::write(
        &scenario,
        desk("replay = \"big.csv\"", "")
            .replace("duration = \"6h\"", "duration = \"1h\"")
            .replace("replications = 20", "replications = 2")
            .replace("count = 4", "count = 2000"),
    )
    .unwrap();
    let v = run_json(&scenario, &[]);
    // Two rows a second for the hour.
    assert_eq!(figure(&v, "overall.offered"), 7_200.0);
    let warnings = v["warnings"].to_string();
    assert!(warnings.contains("992800 rows"), "{warnings}");
}

/// A log that changes between the scenario's check and a replication fails the run with a
/// message naming it (exit code 3), never a panic or a report of rows nobody checked.
#[test]
fn a_log_that_changes_under_a_run_fails_it() {
    let tmp = tempfile::tempdir().unwrap();
    let log = tmp.path().join("log.csv");
    std::fs::write(&log, "arrival,handle_time\n0,60\n30,60\n60,60\n").unwrap();
    let scenario = tmp.path().join("s.toml");
    std::fs::write(&scenario, desk("replay = \"log.csv\"", "")).unwrap();
    let model = routesim::scenario::load(&scenario).unwrap();
    std::fs::write(&log, "arrival,handle_time\n0,60\n30,60\n60,-1\n90,60\n").unwrap();
    let (summary, _) =
        routesim::experiment::run(&model, 2, |_| routesim::experiment::Discard, &|_| {});
    let e = summary.failed().unwrap_err();
    assert_eq!(e.exit_code(), routesim::error::EXIT_FAILURE);
    assert!(e.to_string().contains("log.csv"), "{e}");
    assert!(e.to_string().contains("changed since"), "{e}");
}

/// A row that no longer reads when a replication reaches it (the log edited in place, its size
/// and modification time kept) is named by its own line, blank lines and CRLF ends counted:
/// csv's own count had said line 2.
#[test]
fn a_row_changed_under_a_run_is_named_by_its_own_line() {
    let tmp = tempfile::tempdir().unwrap();
    let log = tmp.path().join("log.csv");
    std::fs::write(&log, "arrival,handle_time\r\n0,60\r\n\r\n\r\n60,60\r\n").unwrap();
    let scenario = tmp.path().join("s.toml");
    std::fs::write(&scenario, desk("replay = \"log.csv\"", "")).unwrap();
    let model = routesim::scenario::load(&scenario).unwrap();
    let modified = std::fs::metadata(&log).unwrap().modified().unwrap();
    std::fs::write(&log, "arrival,handle_time\r\n0,60\r\n\r\n\r\n60,-1\r\n").unwrap();
    let file = std::fs::File::options().write(true).open(&log).unwrap();
    file.set_modified(modified).unwrap();
    drop(file);
    let (summary, _) =
        routesim::experiment::run(&model, 1, |_| routesim::experiment::Discard, &|_| {});
    let e = summary.failed().unwrap_err().to_string();
    assert!(e.contains("log.csv:5: a handle time is negative"), "{e}");
}

/// A duration past the 10-year limit on a replayed stream is refused at once (exit 2 with the
/// limit), like on any other stream. The replay's volume by hour of the week was worked out by
/// walking the run an hour at a time before the limit was checked, and `--duration 1e308`
/// walked for ever; a fuzzing pass found it.
#[test]
fn a_huge_duration_on_a_replayed_stream_is_refused_at_once() {
    for duration in ["1e308", "18446744073709551615", "11y"] {
        let started = std::time::Instant::now();
        let out = routesim()
            .args([
                "run",
                "scenarios/replay-tuesday.toml",
                "--quiet",
                "--threads",
                "1",
            ])
            .args(["--duration", duration])
            .timeout(std::time::Duration::from_secs(60))
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "--duration {duration}: {err}");
        assert!(
            err.contains("the limit is 10 years"),
            "--duration {duration}: {err}"
        );
        // The refusal takes no time: the walk was gone in milliseconds, a hang is minutes.
        assert!(started.elapsed().as_secs() < 30, "--duration {duration}");
    }
}

/// The bundled log is what its script writes (when python3 is here to run it).
#[test]
fn the_bundled_log_is_what_its_script_writes() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("log.csv");
    let ran = std::process::Command::new("python3")
        .arg(root().join("scripts/make-replay-log.py"))
        .arg(&out)
        .status();
    match ran {
        Ok(s) if s.success() => {}
        _ => {
            eprintln!("python3 not found: the bundled log is not checked against its script");
            return;
        }
    }
    let want = std::fs::read(root().join("scenarios/replay-tuesday.csv")).unwrap();
    assert!(
        std::fs::read(&out).unwrap() == want,
        "scenarios/replay-tuesday.csv differs from what scripts/make-replay-log.py writes"
    );
}
