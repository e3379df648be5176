//! `routesim stress`: the breaking load against Erlang C, and the command's outputs.

use crate::queueing::erlang_c;
use crate::support::{command_on_text, root, routesim};

/// M/M/10: ten agents with one slot each, exponential handle times of 5 minutes, 96 chats an
/// hour (8 erlangs, 80% of the slots) at today's load, no abandonment.
const MMC: &str = r#"
[simulation]
duration = "40h"
warmup = "2h"
seed = 3
replications = 12
[[teams]]
name = "q"
[[agents]]
name = "a"
count = 10
teams = ["q"]
[[traffic]]
name = "web"
rate = "96/h"
handle_time = { dist = "exponential", mean = "5m" }
[[rules]]
name = "all"
route = [{ team = "q" }]
"#;

/// Erlang C's service level within `t` seconds at `m` times today's load.
fn sl(m: f64, t: f64) -> f64 {
    let (c, mu) = (10u32, 1.0 / 300.0);
    let a = 8.0 * m;
    if a >= c as f64 {
        return 0.0;
    }
    1.0 - erlang_c(c, a) * (-(c as f64 * mu - a * mu) * t).exp()
}

/// The multiplier at which Erlang C's service level within `t` falls to `level` (it falls
/// with the load), by bisection.
fn erlang_breaking(t: f64, level: f64) -> f64 {
    let (mut lo, mut hi) = (0.1, 1.25);
    for _ in 0..60 {
        let mid = (lo + hi) / 2.0;
        if sl(mid, t) >= level {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    lo
}

fn stress_json(text: &str, args: &[&str]) -> serde_json::Value {
    command_on_text("stress", text, args)
}

#[test]
fn the_breaking_load_of_an_sl_target_on_mmc_is_erlang_c_s_within_its_interval() {
    let theory = erlang_breaking(20.0, 0.8);
    let s = stress_json(MMC, &["--target", "sl(20s) >= 0.8"]);
    let b = &s["breaking"];
    let (m, low, high) = (
        b["multiplier"].as_f64().unwrap(),
        b["ci95_low"].as_f64().unwrap(),
        b["ci95_high"].as_f64().unwrap(),
    );
    let res = 0.01;
    eprintln!("Erlang C breaking load {theory:.4}; simulated {m} (95% CI {low} to {high})");
    assert!(low <= m && m <= high, "{b}");
    // The interval holds the theory's answer (its ends are found to the resolution)...
    assert!(
        low - res <= theory && theory <= high + res,
        "Erlang C's {theory} outside {low}..{high}"
    );
    // ...and is narrow enough for that to mean something: a tenth of the load either way.
    assert!(
        high - low <= 0.2 * theory,
        "interval {low}..{high} too wide to test"
    );
    // The curve brackets the answer: the target holds at the breaking load and fails just past.
    let curve = s["curve"].as_array().unwrap();
    let at = |x: f64| {
        curve
            .iter()
            .find(|p| (p["multiplier"].as_f64().unwrap() - x).abs() < 1e-9)
            .unwrap_or_else(|| panic!("no point at {x}"))
    };
    assert_eq!(at(m)["targets"][0]["holds"], true);
    let next = b["breaks_at"].as_f64().unwrap();
    assert!(next - m <= res + 1e-9, "{m} {next}");
    assert_eq!(at(next)["targets"][0]["holds"], false);
    // Each load's service level is Erlang C's within its own interval, widened for the bias of
    // a finite run: spot-checked at half today's load and at the breaking load.
    for x in [0.5, m] {
        let p = at(x);
        let (v, h) = (
            p["service_level"]["value"].as_f64().unwrap(),
            p["service_level"]["ci95"].as_f64().unwrap(),
        );
        assert!(
            (v - sl(x, 20.0)).abs() <= 1.5 * h + 1e-3,
            "at {x}: {v} ± {h} vs {}",
            sl(x, 20.0)
        );
    }
    // The curve runs from half today's load to past the breaking point.
    assert_eq!(curve[0]["multiplier"].as_f64(), Some(0.5));
    let last = curve.last().unwrap();
    assert_eq!(last["targets"][0]["holds"], false);
    assert_eq!(last["targets"][0]["close"], false);
}

#[test]
fn loads_see_the_same_customers_and_offered_traffic_grows_with_the_multiplier() {
    let s = stress_json(
        MMC,
        &[
            "--target",
            "wait.p95 <= 2m",
            "--target",
            "abandon <= 5%",
            "--duration",
            "8h",
            "--replications",
            "4",
        ],
    );
    let curve = s["curve"].as_array().unwrap();
    // Offered chats per replication in proportion to the load: the count at 1x is twice the
    // count at 0.5x, within the two counts' own 95% half-widths.
    let offered = |x: f64| {
        curve
            .iter()
            .find(|p| (p["multiplier"].as_f64().unwrap() - x).abs() < 1e-9)
            .map(|p| {
                let o = &p["offered"];
                (o["value"].as_f64().unwrap(), o["ci95"].as_f64().unwrap())
            })
            .unwrap()
    };
    let ((one, h1), (half, h2)) = (offered(1.0), offered(0.5));
    assert!(
        (one - 2.0 * half).abs() <= h1 + 2.0 * h2,
        "{half} ± {h2} -> {one} ± {h1}"
    );
    // Nobody abandons without patience: that target holds at every load and does not bound
    // the desk.
    let abandon = &s["targets"][1];
    assert!(abandon["breaks_at"].is_null(), "{abandon}");
    assert_eq!(s["first_broken"], "wait.p95 <= 2m");
    assert_eq!(s["breaking"]["multiplier"], s["targets"][0]["multiplier"]);
}

#[test]
fn out_writes_the_curve_the_answer_and_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("stress");
    let table = routesim()
        .args([
            "stress",
            "--quiet",
            "--replications",
            "3",
            "--duration",
            "2h",
        ])
        .arg(root().join("scenarios/support-desk.toml"))
        .args(["--target", "sl(30s) >= 0.8", "--out"])
        .arg(&out)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let table = String::from_utf8(table).unwrap();
    assert!(table.contains("breaking load: "), "{table}");
    let csv = std::fs::read_to_string(out.join("stress.csv")).unwrap();
    let answer: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("stress.json")).unwrap()).unwrap();
    // One CSV row per load, in the JSON's order.
    let curve = answer["curve"].as_array().unwrap();
    assert_eq!(csv.lines().count(), curve.len() + 1);
    for (line, p) in csv.lines().skip(1).zip(curve) {
        let m: f64 = line.split(',').next().unwrap().parse().unwrap();
        assert_eq!(Some(m), p["multiplier"].as_f64());
    }
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("id=\"breaking-load\""));
    assert!(html.contains("sweep-service-level"));
}

/// Three agents and 30 chats an hour over two hours: at an eighth of that load and below, a
/// replication often sees no chat at all.
const THIN: &str = r#"
[simulation]
duration = "2h"
seed = 3
replications = 2
[[teams]]
name = "t"
[[agents]]
name = "a"
count = 3
teams = ["t"]
[[traffic]]
name = "web"
rate = "30/h"
handle_time = { dist = "exponential", mean = "5m" }
patience = { dist = "exponential", mean = "3m" }
[[rules]]
name = "r"
route = [{ team = "t" }]
"#;

/// A load at which no chat arrives says nothing about a target: it was once counted as a
/// break, and the halving below a target not sure to hold reached such loads, so the answer
/// was "broken at the lowest load tried" (0.0078x) under a curve that held to 0.56x.
#[test]
fn loads_without_chats_are_neither_holds_nor_breaks() {
    for target in ["sl(20s) >= 1.0", "abandon <= 0"] {
        let s = stress_json(THIN, &["--target", target, "--duration", "30m"]);
        let curve = s["curve"].as_array().unwrap();
        assert!(
            curve
                .iter()
                .all(|p| p["offered"]["value"].as_f64() > Some(0.0)),
            "{target}: {curve:?}"
        );
        let lowest = curve[0]["multiplier"].as_f64().unwrap();
        // The answer is the last load held below the first break, as the curve shows it.
        let held = curve
            .iter()
            .take_while(|p| p["targets"][0]["holds"] == true)
            .last()
            .map(|p| p["multiplier"].as_f64().unwrap());
        assert_eq!(s["breaking"]["multiplier"].as_f64(), held, "{target}: {s}");
        assert!(held > Some(lowest), "{target}: it held above {lowest}: {s}");
        assert!(s["runs"].as_u64().unwrap() as usize >= curve.len());
    }
    // No load brings a chat into the measured part of the run: no answer, and the reason.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("thin.toml");
    std::fs::write(&path, THIN).unwrap();
    routesim()
        .args(["stress", "--quiet", "--duration", "1s", "--max", "2"])
        .arg(&path)
        .args(["--target", "sl(20s) >= 0.8"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "no chat arrived in the measured part of the run (after any warm-up) at any load from 0.5x to 2x",
        ));
}

#[test]
fn bad_questions_are_usage_errors() {
    let desk = root().join("scenarios/support-desk.toml");
    for (args, says) in [
        (
            vec!["--target", "sl(30s) >= 0.8", "--stream", "phone"],
            "phone",
        ),
        (
            vec!["--target", "sl(30s) >= 0.8", "--replications", "1"],
            "two or more",
        ),
        (
            vec!["--target", "sl(30s) >= 0.8", "--from", "3", "--max", "2"],
            "not below --max",
        ),
        (vec!["--target", "sl(30s) >= 0.8", "--step", "0"], "above 0"),
        // Finer than the six decimals loads are kept to: these asked for the same load for ever.
        (
            vec!["--target", "sl(30s) >= 0.8", "--resolution", "1e-7"],
            "at least 0.000001",
        ),
        (
            vec![
                "--target",
                "sl(30s) >= 0.8",
                "--step",
                "1e-7",
                "--resolution",
                "1e-7",
            ],
            "at least 0.000001",
        ),
        (vec!["--target", "nobody.sl(30s) >= 0.8"], "no team named"),
        // Loads past what the scenario allows are the stress options' fault, found before any
        // load runs (they were once found hundreds of loads in and blamed on --scale or
        // --duration, flags never given), and a --from finer than six decimals read as 0.
        (
            vec!["--target", "sl(30s) >= 0", "--max", "1500", "--step", "100"],
            "error: --max 1500: stream \"whatsapp\" would run at 1500× its volume, past the limit of 1000×; give --max 1000 or less",
        ),
        (
            vec!["--target", "sl(30s) >= 0.8", "--scale", "2", "--max", "600"],
            "give --max 500 or less",
        ),
        (
            vec![
                "--target",
                "sl(30s) >= 0.8",
                "--ramp",
                "10%/h",
                "--max",
                "5000",
            ],
            "--max 5000: a ramp rises to at most 1000× the volume; give --max 1000 or less",
        ),
        (
            vec!["--target", "sl(30s) >= 0.8", "--ramp", "0.0001%/h"],
            "error: --ramp: rising from 0.5 to --max 2 takes 1500000 hours and falling as long, past the limit of 10 years for a run",
        ),
        // Too short a ramp is the ramp's to fix, not the --duration no one gave.
        (
            vec![
                "--target",
                "sl(30s) >= 0.8",
                "--ramp",
                "100000%/h",
                "--from",
                "1",
                "--max",
                "1.1",
            ],
            "error: --ramp: rising from 1 to --max 1.1 at 100000%/h takes 0.36s and falling as long, under the shortest run of 1s",
        ),
        // A ramp has no grid: its step and resolution would be ignored.
        (
            vec![
                "--target",
                "sl(30s) >= 0.8",
                "--ramp",
                "10%/h",
                "--step",
                "0.3",
            ],
            "'--ramp <RATE>' cannot be used with '--step <MULTIPLIER>'",
        ),
        (
            vec![
                "--target",
                "sl(30s) >= 0.8",
                "--ramp",
                "10%/h",
                "--resolution",
                "0.1",
            ],
            "'--ramp <RATE>' cannot be used with '--resolution <MULTIPLIER>'",
        ),
        (
            vec!["--target", "sl(30s) >= 0.8", "--from", "1e-300"],
            "--from, --step and --resolution are at least 0.000001",
        ),
    ] {
        let out = routesim()
            .arg("stress")
            .arg(&desk)
            .arg("--quiet")
            // A ramp sets its own length.
            .args(if args.contains(&"--ramp") {
                &[][..]
            } else {
                &["--duration", "1h"][..]
            })
            .args(&args)
            .timeout(std::time::Duration::from_secs(60))
            .assert()
            .code(2)
            .get_output()
            .stderr
            .clone();
        let err = String::from_utf8(out).unwrap();
        assert!(err.contains(says), "{args:?}: {err}");
    }
}

/// The ramp these tests run on `text` (with `extra` flags): 40%/h from 0.5x to 1.3x and back,
/// 2 hours up and 2 down in 16 windows of 15 minutes, over 40 replications. Checks that each
/// window's offered chats are its load's: `per_hour` times the multiplier at its middle, within
/// four standard errors of a Poisson count averaged over the replications.
fn ramp(text: &str, extra: &[&str], per_hour: f64) -> serde_json::Value {
    let reps = 40.0;
    let args = [
        &[
            "--target",
            "sl(20s) >= 0.8",
            "--ramp",
            "40%/h",
            "--max",
            "1.3",
            "--replications",
            "40",
        ][..],
        extra,
    ]
    .concat();
    let s = stress_json(text, &args);
    let windows = s["windows"].as_array().unwrap();
    assert_eq!(windows.len(), 16);
    for w in windows {
        let (m, len, offered) = (
            w["multiplier"].as_f64().unwrap(),
            w["length"].as_f64().unwrap(),
            w["offered"].as_f64().unwrap(),
        );
        let want = per_hour / 3_600.0 * m * len;
        let se = (want / reps).sqrt();
        assert!(
            (offered - want).abs() <= 4.0 * se,
            "window at {}: offered {offered}, want {want} (se {se})",
            w["from"]
        );
    }
    s
}

#[test]
fn a_ramp_s_windows_carry_the_load_it_says_and_report_breaking_and_recovery() {
    let s = ramp(MMC, &[], 96.0);
    let windows = s["windows"].as_array().unwrap();
    assert_eq!(s["peak_at"].as_f64(), Some(7_200.0));
    // The loads rise to the peak and fall back, a tent.
    let loads: Vec<f64> = windows
        .iter()
        .map(|w| w["multiplier"].as_f64().unwrap())
        .collect();
    assert!(loads[..8].windows(2).all(|p| p[0] < p[1]), "{loads:?}");
    assert!(loads[8..].windows(2).all(|p| p[0] > p[1]), "{loads:?}");
    // The verdicts agree with the windows: the first break fails, every window from the
    // recovery on holds.
    let t = &s["targets"][0];
    let at = |x: &serde_json::Value| {
        windows
            .iter()
            .position(|w| w["from"] == *x)
            .unwrap_or_else(|| panic!("no window at {x}"))
    };
    if !t["broke_at"].is_null() {
        let k = at(&t["broke_at"]);
        assert!(
            windows[..k]
                .iter()
                .all(|w| w["targets"][0]["holds"] == true)
        );
        assert_eq!(windows[k]["targets"][0]["holds"], false);
        if t["recovered"] == true {
            let r = at(&t["recovered_at"]);
            assert!(
                windows[r..]
                    .iter()
                    .all(|w| w["targets"][0]["holds"] == true)
            );
            assert_eq!(windows[r - 1]["targets"][0]["holds"], false);
        }
    }
    // Erlang C says 0.89x breaks the target: a 1.3x peak must break it.
    assert!(!t["broke_at"].is_null(), "{t}");
}

/// A ramp's multiplier is relative to the traffic as scaled: a stream's own `scale` (1.5) and
/// `--scale 2` make each window carry 3 times 96 an hour times its multiplier.
#[test]
fn a_ramp_multiplies_the_scaled_traffic() {
    let text = MMC.replace("rate = \"96/h\"", "rate = \"96/h\"\nscale = 1.5");
    assert_ne!(text, MMC);
    ramp(&text, &["--scale", "2"], 3.0 * 96.0);
}
