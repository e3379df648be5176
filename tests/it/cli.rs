//! The command line as a user meets it: help, output formats, exit codes.

use crate::support::{json, routesim, run_text, stdout_of};

#[test]
fn help_on_every_command_shows_examples() {
    for args in [
        vec!["--help"],
        vec!["run", "--help"],
        vec!["validate", "--help"],
        vec!["compare", "--help"],
        vec!["staff", "--help"],
        vec!["sweep", "--help"],
        vec!["explain", "--help"],
        vec!["bench", "--help"],
        vec!["merge", "--help"],
        vec!["completions", "--help"],
        vec!["man", "--help"],
    ] {
        let out = routesim()
            .args(&args)
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("Usage"), "{args:?}");
        if args.len() > 1 {
            assert!(text.contains("Examples:"), "{args:?}");
        }
    }
}

#[test]
fn contract_scenario_json_has_the_promised_keys() {
    let out = stdout_of(&[
        "run",
        "scenarios/support-desk.toml",
        "--format",
        "json",
        "--quiet",
        "--replications",
        "2",
    ]);
    let v = json(&out);
    for part in [&v["overall"], &v["teams"][0], &v["ci95"]["overall"]] {
        for k in [
            "offered",
            "answered",
            "abandoned",
            "abandon_rate",
            "service_level",
        ] {
            assert!(part.get(k).is_some(), "missing {k} in {part}");
        }
        for k in ["mean", "p50", "p90", "p95", "p99", "max"] {
            assert!(part["wait"].get(k).is_some(), "missing wait.{k}");
        }
    }
    assert_eq!(v["teams"][0]["name"], "support");
    for k in [
        "name",
        "handled",
        "occupancy",
        "mean_concurrency",
        "peak_concurrency",
    ] {
        assert!(v["agents"][0].get(k).is_some(), "missing agents[0].{k}");
    }
}

fn run_json(extra: &[&str]) -> Vec<u8> {
    let mut cmd = routesim();
    cmd.args([
        "run",
        "scenarios/support-desk.toml",
        "--format",
        "json",
        "--quiet",
    ])
    .args(extra);
    cmd.assert().success().get_output().stdout.clone()
}

#[test]
fn results_are_byte_identical_whatever_the_thread_count() {
    let one = run_json(&["--threads", "1", "--replications", "6"]);
    let two = run_json(&["--threads", "2", "--replications", "6"]);
    let many = run_json(&["--threads", "5", "--replications", "6"]);
    assert_eq!(one, two);
    assert_eq!(one, many);
    let other_seed = run_json(&["--threads", "2", "--replications", "6", "--seed", "8"]);
    assert_ne!(one, other_seed, "the seed must matter");
}

#[test]
fn flags_override_the_scenario() {
    let v = json(&run_json(&[
        "--seed",
        "99",
        "--replications",
        "1",
        "--duration",
        "2h",
    ]));
    assert_eq!(v["seed"], 99);
    assert_eq!(v["replications"], 1);
    assert_eq!(v["duration"], 7200.0);
    assert!(
        v.get("ci95").is_none(),
        "no confidence intervals from one replication"
    );
}

#[test]
fn out_dir_holds_summary_and_csvs_that_agree_with_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("results");
    let stdout = run_json(&["--replications", "3", "--out", out.to_str().unwrap()]);
    let summary = std::fs::read(out.join("summary.json")).unwrap();
    assert_eq!(stdout, summary);
    let v = json(&stdout);
    let mut chats = csv::Reader::from_path(out.join("chats.csv")).unwrap();
    let headers = chats.headers().unwrap().clone();
    assert_eq!(
        &headers,
        vec![
            "replication",
            "id",
            "traffic",
            "attributes",
            "arrival",
            "rule",
            "team",
            "agent",
            "wait",
            "handle_time",
            "outcome",
            "checks",
            "bot_time",
            "owner",
            "transfers",
            "second_wait",
            "customer",
            "attempt"
        ]
    );
    let rows: Vec<csv::StringRecord> = chats.records().map(Result::unwrap).collect();
    // One row per measured chat of every replication: offered is their mean.
    assert_eq!(
        rows.len() as f64,
        v["overall"]["offered"].as_f64().unwrap() * 3.0
    );
    let abandoned = rows.iter().filter(|r| &r[10] == "abandoned").count() as f64;
    assert_eq!(abandoned, v["overall"]["abandoned"].as_f64().unwrap() * 3.0);
    assert!(rows.iter().any(|r| r[3].contains("topic=")));
    let teams = std::fs::read_to_string(out.join("teams.csv")).unwrap();
    assert!(teams.starts_with("team,offered,answered"));
    assert_eq!(
        teams.lines().count(),
        1 + 1 + v["teams"].as_array().unwrap().len()
    );
    let agents = std::fs::read_to_string(out.join("agents.csv")).unwrap();
    assert_eq!(
        agents.lines().count(),
        1 + v["agents"].as_array().unwrap().len()
    );
    // Nothing temporary is left behind.
    let names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.starts_with('.')), "{names:?}");
}

#[test]
fn unwritable_out_dir_fails_with_exit_3_and_no_panic() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, "x").unwrap();
    // A folder that cannot be created (its parent is a file): a failure to write, exit 3.
    let out = routesim()
        .args(["run", "scenarios/support-desk.toml", "--quiet", "--out"])
        .arg(file.join("sub"))
        .assert()
        .code(3)
        .get_output()
        .stderr
        .clone();
    let err = String::from_utf8(out).unwrap();
    assert!(err.starts_with("error: cannot write"), "{err}");
    // A path that is a file is a usage mistake, exit 2.
    let out = routesim()
        .args(["run", "scenarios/support-desk.toml", "--quiet", "--out"])
        .arg(&file)
        .assert()
        .code(2)
        .get_output()
        .stderr
        .clone();
    assert!(
        String::from_utf8(out)
            .unwrap()
            .ends_with(": not a folder\n")
    );
}

/// A read-only output folder is refused before the run, whoever runs it (root included): the
/// swap needs only its parent to be writable, so it was replaced with exit 0, and its old set,
/// which could not be removed from it, was left beside it in a hidden folder at every run.
#[cfg(unix)]
#[test]
fn a_read_only_out_dir_is_refused_and_kept() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("res");
    routesim()
        .args(["run", "scenarios/support-desk.toml", "--quiet", "--out"])
        .arg(&out)
        .assert()
        .success();
    let before = std::fs::read(out.join("summary.json")).unwrap();
    std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o555)).unwrap();
    let err = routesim()
        .args([
            "run",
            "scenarios/support-desk.toml",
            "--quiet",
            "--seed",
            "9",
            "--out",
        ])
        .arg(&out)
        .assert()
        .code(3)
        .get_output()
        .stderr
        .clone();
    std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o755)).unwrap();
    let err = String::from_utf8(err).unwrap();
    assert!(err.contains("the folder is read-only;"), "{err}");
    assert_eq!(std::fs::read(out.join("summary.json")).unwrap(), before);
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["res"]);
}

#[test]
fn usage_errors_exit_2() {
    routesim().args(["run"]).assert().code(2);
    routesim()
        .args(["run", "scenarios/support-desk.toml", "--format", "yaml"])
        .assert()
        .code(2);
    // Overrides are checked by the scenario's own checks, and the message names the flag.
    for (flag, value, key) in [
        (
            "--replications",
            "0",
            "simulation.replications (set by --replications)",
        ),
        (
            "--duration",
            "0s",
            "simulation.duration (set by --duration)",
        ),
        (
            "--duration",
            "101y",
            "simulation.duration (set by --duration)",
        ),
    ] {
        let out = routesim()
            .args(["run", "scenarios/support-desk.toml", flag, value])
            .assert()
            .code(2)
            .get_output()
            .stderr
            .clone();
        let err = String::from_utf8(out).unwrap();
        assert!(
            err.starts_with(&format!("error: scenarios/support-desk.toml: {key}: ")),
            "{err}"
        );
    }
    routesim().args(["frobnicate"]).assert().code(2);
    // Thousands of threads for a tiny run spent a minute and a half starting them.
    routesim()
        .args(["run", "scenarios/support-desk.toml", "--threads", "10000"])
        .assert()
        .code(2);
    let out = routesim()
        .args(["run", "no/such/file.toml"])
        .assert()
        .code(2)
        .get_output()
        .stderr
        .clone();
    assert!(
        String::from_utf8(out)
            .unwrap()
            .starts_with("error: cannot read no/such/file.toml")
    );
}

#[test]
fn table_shows_teams_agents_and_humanised_times() {
    let out = stdout_of(&["run", "scenarios/support-desk.toml", "--quiet"]);
    let text = String::from_utf8(out).unwrap();
    for needle in [
        "overall",
        "support",
        "sales",
        "backup",
        "p95",
        "occupancy",
        "early-1",
        "more agents not shown",
    ] {
        assert!(text.contains(needle), "missing {needle}:\n{text}");
    }
    assert!(
        text.lines()
            .any(|l| l.starts_with("overall") && l.contains('s')),
        "{text}"
    );
}

#[test]
fn quiet_run_writes_nothing_to_stderr() {
    routesim()
        .args(["run", "scenarios/support-desk.toml", "--quiet"])
        .assert()
        .success()
        .stderr("");
}

#[test]
fn overload_without_patience_finishes_with_a_warning_and_bounded_waiting() {
    let out = routesim()
        .args(["run", "fixtures/overloaded.toml", "--format", "json"])
        .env("NO_COLOR", "1")
        .assert()
        .success()
        .get_output()
        .clone();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("warning: team support: offered load"),
        "{stderr}"
    );
    assert!(
        stderr.contains("were blocked because 2000 chats"),
        "{stderr}"
    );
    let v = json(&out.stdout);
    let o = &v["overall"];
    let waiting = o["waiting_at_end"].as_f64().unwrap();
    assert!(waiting <= 2000.0);
    assert!(o["blocked"].as_f64().unwrap() > 50_000.0, "{o}");
    // About 2,000 of 120,000 offered never drained (1.7% > 1%): the waits leave them out, and
    // the JSON says so, with the count.
    let censored = format!("{waiting:.0} chats per replication");
    let warned = v["warnings"].as_array().unwrap().iter().any(|w| {
        let w = w.as_str().unwrap();
        w.contains(&censored) && w.contains("still waiting when the run ended")
    });
    assert!(warned, "{}", v["warnings"]);
}

#[test]
fn explain_names_the_matching_rule_the_reasons_and_the_eligible_agents() {
    let out = stdout_of(&[
        "explain",
        "scenarios/caps-and-fallback.toml",
        "--chat",
        "topic=billing,channel=web",
        "--at",
        "tue 10:00",
    ]);
    let text = String::from_utf8(out).unwrap();
    for needle in [
        "rule 1 \"evening tech\": no match",
        "wants hours 16:00-20:00, but it is tue 10:00",
        "wants topic = tech, but topic is billing",
        "rule 4 \"billing\": matches",
        "step 1: billing (least_busy, moves on after 1m00s): 3 of 3 agents on shift",
        "fallback (after 3 steps without an agent",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
    }
    let closed = stdout_of(&[
        "explain",
        "scenarios/after-hours.toml",
        "--chat",
        "channel=web",
        "--at",
        "sat 15:00",
    ]);
    assert!(
        String::from_utf8(closed)
            .unwrap()
            .contains("action: after-hours reply and ticket")
    );
    // The owner step says what the routing core does: a busy owner is waited for until the
    // step's timeout (the core is asked on a board where everyone is at their cap).
    let owner = String::from_utf8(stdout_of(&[
        "explain",
        "scenarios/owner-then-least-busy.toml",
        "--chat",
        "customer=existing",
        "--owner",
        "manager-2",
        "--at",
        "tue 10:00",
    ]))
    .unwrap();
    for needle in [
        "step 1: owner (moves on after 2m00s): 1 of 1 agents on shift: manager-2",
        "if free: manager-2 takes it now (via account_managers); if all busy: it waits for its owner",
    ] {
        assert!(owner.contains(needle), "missing {needle:?} in:\n{owner}");
    }
    routesim()
        .args([
            "explain",
            "scenarios/owner-then-least-busy.toml",
            "--owner",
            "nobody",
        ])
        .assert()
        .code(2);
    routesim()
        .args(["explain", "scenarios/after-hours.toml", "--chat", "channel"])
        .assert()
        .code(2);
    routesim()
        .args(["explain", "scenarios/after-hours.toml", "--at", "someday"])
        .assert()
        .code(2);
    // One value per attribute: the match once read the last and the explanation the first.
    routesim()
        .args(["explain", "scenarios/support-desk.toml"])
        .args(["--chat", "topic=sales,topic=billing"])
        .assert()
        .code(2)
        .stderr("error: --chat: topic is given twice; a chat has one value of each attribute\n");
    // An escape sequence is not printed back to the terminal.
    routesim()
        .args(["explain", "scenarios/support-desk.toml"])
        .args(["--chat", "topic=bil\u{1b}[31mling"])
        .assert()
        .code(2)
        .stdout("")
        .stderr("error: --chat: a control character (such as an escape) is no attribute's value\n");
}

/// Chats with a bot count against `max_waiting` too, so memory stays bounded whatever the
/// rate (issue 8: they used to be left out and grew without end).
#[test]
fn chats_with_a_bot_count_against_max_waiting() {
    let v = run_text(
        r#"
[simulation]
duration = "1h"
max_waiting = 50
[[teams]]
name = "t"
[[agents]]
name = "a"
teams = ["t"]
[[traffic]]
name = "web"
rate = "100/s"
handle_time = "5m"
bot = { duration = "2h", resolves = 0.0 }
[[rules]]
name = "all"
route = [{ team = "t" }]
"#,
        &[],
    );
    let o = &v["overall"];
    assert_eq!(o["with_bot_at_end"].as_f64().unwrap(), 50.0, "{o}");
    assert!(o["blocked"].as_f64().unwrap() > 300_000.0, "{o}");
}

#[test]
fn completions_cover_every_command_and_bash_can_read_them() {
    let commands = [
        "run",
        "validate",
        "compare",
        "merge",
        "staff",
        "sweep",
        "explain",
        "bench",
        "completions",
        "man",
    ];
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let out = routesim().args(["completions", shell]).output().unwrap();
        assert!(out.status.success(), "{shell}");
        let script = String::from_utf8(out.stdout).unwrap();
        for c in commands {
            assert!(script.contains(c), "{shell} completions lack {c}");
        }
        // Flags of a subcommand, and values of an enum flag.
        assert!(script.contains("baseline"), "{shell}");
        assert!(script.contains("markdown"), "{shell}");
    }
    // bash parses the script it would source.
    let script = routesim()
        .args(["completions", "bash"])
        .output()
        .unwrap()
        .stdout;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("routesim.bash");
    std::fs::write(&file, script).unwrap();
    let check = std::process::Command::new("bash")
        .arg("-n")
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
}

#[test]
fn man_pages_document_every_command_and_render_cleanly() {
    let page = |args: &[&str]| {
        let out = routesim().arg("man").args(args).output().unwrap();
        assert!(out.status.success());
        String::from_utf8(out.stdout).unwrap()
    };
    let main = page(&[]);
    assert!(main.contains(".TH routesim 1"), "{main}");
    for c in [
        "run", "validate", "compare", "merge", "staff", "sweep", "explain", "bench",
    ] {
        assert!(main.contains(c), "routesim(1) lacks {c}");
    }
    let bench = page(&["bench"]);
    for flag in ["agents", "decisions", "busy"] {
        assert!(
            bench.contains(&format!("\\-\\-{flag}")),
            "routesim-bench(1) lacks --{flag}"
        );
    }
    let run = page(&["run"]);
    assert!(
        run.contains(".TH routesim-run 1  \"routesim-run 0.1.0\""),
        "{run}"
    );
    for flag in ["assert", "baseline", "junit", "breach"] {
        assert!(
            run.contains(&format!("\\-\\-{flag}")),
            "routesim-run(1) lacks --{flag}"
        );
    }
    // Exit codes are in the page, from the one list.
    assert!(run.contains("130"), "{run}");
    // An unknown command is a usage error with the list.
    routesim()
        .args(["man", "nope"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("commands: run, validate"));
    // groff, where present, renders the pages without a warning.
    for text in [&main, &run, &bench] {
        let Ok(mut child) = std::process::Command::new("groff")
            .args(["-man", "-Tutf8", "-ww", "-z"])
            .stdin(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
        else {
            eprintln!("note: groff not found; man pages not rendered");
            return;
        };
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success() && out.stderr.is_empty(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
