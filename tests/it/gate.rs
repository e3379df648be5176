//! Gates: `[[slo]]`, `--assert`, `--baseline`, JUnit, Markdown, and the exit codes one by one,
//! on the bundled CI example (`scenarios/ci-gate.toml`) and its deliberately worse rule set
//! (`fixtures/ci-gate-worse.toml`).

use std::ffi::OsString;
use std::path::Path;
use std::process::Output;

use crate::support::{json, root, routesim};

const GOOD: &str = "scenarios/ci-gate.toml";
const WORSE: &str = "fixtures/ci-gate-worse.toml";

fn run(file: &str, args: &[&str]) -> Output {
    routesim().args(["run", file]).args(args).output().unwrap()
}

/// A figure of a JSON report by its gate path, found independently of the gate's own lookup.
fn figure(report: &serde_json::Value, path: &str) -> Option<f64> {
    let mut cur = report;
    let mut parts = path.split('.');
    while let Some(p) = parts.next() {
        cur = match cur {
            serde_json::Value::Array(rows) => {
                let row = rows.iter().find(|r| r["name"] == p)?;
                match parts.next() {
                    Some(next) => &row[next],
                    None => row,
                }
            }
            other => &other[p],
        };
    }
    cur.as_f64()
}

/// Checks every threshold's verdict against its value, interval and limit, worked out here.
fn verdicts_follow_from_the_figures(report: &serde_json::Value, strict: bool) {
    let gates = &report["gates"];
    for t in gates["thresholds"].as_array().unwrap() {
        let metric = t["metric"].as_str().unwrap();
        let value = figure(report, metric).unwrap();
        let half = figure(&report["ci95"], metric).unwrap_or(0.0);
        assert_eq!(t["value"].as_f64(), Some(value), "{t}");
        assert_eq!(t["ci95"].as_f64().unwrap_or(0.0), half, "{t}");
        let limit = t["limit"].as_f64().unwrap();
        let at_most = t["op"] == "<=";
        let worst = if at_most { value - half } else { value + half };
        let past = |x: f64| if at_most { x > limit } else { x < limit };
        let breached = if strict { past(worst) } else { past(value) };
        assert_eq!(t["passed"].as_bool(), Some(!breached), "{t}");
        let straddles = (value - half..=value + half).contains(&limit) && half > 0.0;
        assert_eq!(
            t["verdict"].as_str().unwrap().contains("CI includes"),
            straddles,
            "{t}"
        );
    }
    let all = gates["thresholds"]
        .as_array()
        .unwrap()
        .iter()
        .all(|t| t["passed"] == true);
    let base = gates["baseline"]["rows"]
        .as_array()
        .is_none_or(|rows| rows.iter().all(|r| r["passed"] == true));
    assert_eq!(gates["passed"].as_bool(), Some(all && base));
}

#[test]
fn the_gate_example_passes_and_its_worse_rule_set_fails() {
    let good = run(GOOD, &["--format", "json", "--quiet"]);
    assert_eq!(good.status.code(), Some(0));
    let good = json(&good.stdout);
    assert_eq!(good["gates"]["passed"], true);
    assert_eq!(good["gates"]["thresholds"].as_array().unwrap().len(), 4);
    verdicts_follow_from_the_figures(&good, false);

    let worse = run(WORSE, &["--format", "json"]);
    assert_eq!(worse.status.code(), Some(1));
    let stderr = String::from_utf8(worse.stderr.clone()).unwrap();
    let worse = json(&worse.stdout);
    verdicts_follow_from_the_figures(&worse, false);
    let failed: Vec<&str> = worse["gates"]["thresholds"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["passed"] == false)
        .map(|t| t["metric"].as_str().unwrap())
        .collect();
    // Billing chats that cannot overflow wait for the billing team: its service level falls
    // far below the limit, and more customers give up.
    assert!(
        failed.contains(&"teams.billing.service_level"),
        "{failed:?}"
    );
    assert!(failed.contains(&"overall.abandon_rate"), "{failed:?}");
    // stderr names each breach with its value and interval.
    for m in &failed {
        assert!(stderr.contains(m), "{stderr}");
    }
    assert!(stderr.contains(" ± "), "{stderr}");
}

#[test]
fn the_worse_rule_set_differs_from_the_example_only_in_its_rule() {
    let code = |p: &str| {
        std::fs::read_to_string(root().join(p))
            .unwrap()
            .lines()
            .filter(|l| !l.trim_start().starts_with('#'))
            .map(String::from)
            .collect::<Vec<_>>()
    };
    let (good, worse) = (code(GOOD), code(WORSE));
    assert_eq!(good.len(), worse.len());
    let differ: Vec<(&String, &String)> = good.iter().zip(&worse).filter(|(a, b)| a != b).collect();
    assert_eq!(differ.len(), 1, "{differ:?}");
    assert!(differ[0].0.starts_with("route = ") && differ[0].1.starts_with("route = "));
}

#[test]
fn strict_breaches_need_the_whole_interval_past_the_limit() {
    let estimate = json(&run(WORSE, &["--format", "json", "--quiet"]).stdout);
    let out = run(WORSE, &["--format", "json", "--quiet", "--breach", "ci"]);
    let strict = json(&out.stdout);
    assert_eq!(strict["gates"]["rule"], "ci");
    verdicts_follow_from_the_figures(&strict, true);
    // The example's p95 is past its limit with an interval that includes it: a breach by the
    // estimate, not by the interval.
    let p95 = |r: &serde_json::Value| r["gates"]["thresholds"][0].clone();
    assert_eq!(p95(&estimate)["metric"], "overall.wait.p95");
    assert_eq!(p95(&estimate)["passed"], false);
    assert!(
        p95(&estimate)["verdict"]
            .as_str()
            .unwrap()
            .contains("add replications")
    );
    assert_eq!(p95(&strict)["passed"], true);
    // The billing team's service level is far below its limit either way.
    assert_eq!(out.status.code(), Some(1));
}

/// Runs `xmllint` on a JUnit file against the schema of the format. Without xmllint, the check
/// is required on CI (`.ci/run` installs it) and skipped elsewhere with a note.
fn junit_is_valid(file: &Path) {
    let schema = root().join("fixtures/junit/junit.xsd");
    let out = std::process::Command::new("xmllint")
        .args(["--noout", "--schema"])
        .arg(&schema)
        .arg(file)
        .output();
    match out {
        Ok(out) => assert!(
            out.status.success(),
            "xmllint refuses {}: {}",
            file.display(),
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(e) => {
            assert!(
                std::env::var_os("CI").is_none(),
                "xmllint is needed on CI ({e}): apt-get install libxml2-utils"
            );
            eprintln!("note: xmllint not found ({e}); JUnit XML not validated here");
        }
    }
}

#[test]
fn a_baseline_catches_the_regression_and_a_run_matches_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let base_dir = dir.path().join("base");
    let out = run(GOOD, &["--quiet", "--out", base_dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    let base = base_dir.join("summary.json");
    let base = base.to_str().unwrap();

    // The same desk, seed and binary: the same figures, no change, no warning.
    let same = run(GOOD, &["--format", "json", "--baseline", base]);
    assert_eq!(same.status.code(), Some(0));
    let same = json(&same.stdout);
    let rows = same["gates"]["baseline"]["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 5);
    for r in rows {
        assert_eq!(r["change"], 0.0, "{r}");
        assert_eq!(r["verdict"], "no clear change", "{r}");
    }
    assert_eq!(same["gates"]["warnings"].as_array().unwrap().len(), 0);

    // The worse rule set, with a tolerance that covers the p95 but not the service level.
    let junit = dir.path().join("gate.xml");
    let out = run(
        WORSE,
        &[
            "--format",
            "json",
            "--quiet",
            "--baseline",
            base,
            "--tolerance",
            "overall.wait.p95=+200%",
            "--tolerance",
            "teams.billing.service_level=-0.05",
            "--junit",
            junit.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let worse = json(&out.stdout);
    let base_json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(base_dir.join("summary.json")).unwrap()).unwrap();
    let rows = worse["gates"]["baseline"]["rows"].as_array().unwrap();
    let row = |m: &str| rows.iter().find(|r| r["metric"] == m).unwrap().clone();
    // Each row's change, tolerance and noise, worked out here from the two reports.
    for r in rows {
        let m = r["metric"].as_str().unwrap();
        let (b, n) = (figure(&base_json, m).unwrap(), figure(&worse, m).unwrap());
        assert_eq!(r["change"].as_f64(), Some(n - b), "{r}");
        let hb = figure(&base_json["ci95"], m).unwrap();
        let hn = figure(&worse["ci95"], m).unwrap();
        assert!((r["noise"].as_f64().unwrap() - (hb * hb + hn * hn).sqrt()).abs() < 1e-12);
    }
    assert_eq!(row("overall.service_level")["verdict"], "regressed");
    assert_eq!(row("teams.billing.service_level")["verdict"], "regressed");
    assert_eq!(row("teams.billing.service_level")["tolerance"], 0.05);
    let p95 = row("overall.wait.p95");
    let allowed = 2.0 * figure(&base_json, "overall.wait.p95").unwrap();
    assert_eq!(p95["tolerance"].as_f64(), Some(allowed));
    assert_eq!(p95["passed"], p95["change"].as_f64().unwrap() <= allowed);
    // The scenario file changed: said, not fatal.
    let warnings = worse["gates"]["warnings"].to_string();
    assert!(
        warnings.contains("another version of the scenario file"),
        "{warnings}"
    );

    // JUnit: one test case per threshold and per baseline figure, the failures the gate's.
    junit_is_valid(&junit);
    let xml = std::fs::read_to_string(&junit).unwrap();
    let cases = worse["gates"]["thresholds"].as_array().unwrap().len() + rows.len();
    let failed = worse["gates"]["thresholds"]
        .as_array()
        .unwrap()
        .iter()
        .chain(rows)
        .filter(|c| c["passed"] == false)
        .count();
    assert!(xml.contains(&format!("tests=\"{cases}\"")), "{xml}");
    assert!(xml.contains(&format!("failures=\"{failed}\"")), "{xml}");
    assert_eq!(xml.matches("<testcase ").count(), cases);
    assert_eq!(xml.matches("<failure ").count(), failed);
}

/// With one replication a report has no intervals, so the noise of a change is unknown: the
/// gate still judges each change on its tolerance (with the same seed that is a fair test of
/// what changed), and a warning says so, louder when the seeds differ and chance alone moves
/// the figures. Two replications each: no such warning.
#[test]
fn a_baseline_of_one_replication_says_its_noise_is_unknown() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("base.json");
    let warnings = |base_reps: &str, args: &[&str]| {
        let out = run(GOOD, &["--format", "json", "--replications", base_reps]);
        std::fs::write(&base, &out.stdout).unwrap();
        let mut all = vec!["--format", "json", "--baseline", base.to_str().unwrap()];
        all.extend(args);
        let now = json(&run(GOOD, &all).stdout);
        let w = now["gates"]["warnings"].as_array().unwrap().clone();
        w.iter()
            .map(|w| w.as_str().unwrap().to_string())
            .filter(|w| w.contains("noise cannot be told"))
            .collect::<Vec<_>>()
    };
    let same_seed = warnings("1", &["--replications", "1"]);
    assert_eq!(same_seed.len(), 1, "{same_seed:?}");
    assert!(same_seed[0].contains("the baseline and this run are of one replication each"));
    assert!(
        same_seed[0].contains("the seed is the same"),
        "{same_seed:?}"
    );
    let other_seed = warnings("1", &["--replications", "3", "--seed", "99"]);
    assert_eq!(other_seed.len(), 1, "{other_seed:?}");
    assert!(other_seed[0].contains("the baseline is of one replication"));
    assert!(other_seed[0].contains("the seeds differ"), "{other_seed:?}");
    assert!(warnings("2", &["--replications", "2"]).is_empty());
}

#[test]
fn exit_codes_one_by_one() {
    // 0: every threshold met.
    assert_eq!(run(GOOD, &["--quiet"]).status.code(), Some(0));
    // 1: a threshold breached.
    assert_eq!(run(WORSE, &["--quiet"]).status.code(), Some(1));
    // 1 also from the command line alone, on a scenario without [[slo]].
    let out = run(
        "scenarios/support-desk.toml",
        &["--quiet", "--assert", "overall.wait.max <= 1s"],
    );
    assert_eq!(out.status.code(), Some(1));
    // 2: bad input (a threshold on a figure that does not exist), before anything runs.
    let out = run(GOOD, &["--assert", "overall.wiat.p95 <= 60s"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    // 2 also for a limit no time can fail (or meet): a slip of sign.
    let out = run(GOOD, &["--assert", "overall.wait.p95 <= -1"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("is never negative"), "{err}");
    // 3: the run could not finish its job (the JUnit file's folder does not exist).
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no/such/folder/gate.xml");
    let out = run(GOOD, &["--quiet", "--junit", missing.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.starts_with("error: cannot write"), "{err}");
    // 130 (interrupted) is checked with real signals in faults.rs.
}

/// A baseline whose compared figures no run could have written is refused (exit 2, naming the
/// file and the figure) before anything runs; compared as it was, a service level of 1e308
/// read as a regression ("inf%"), and text where a figure belongs as "no value".
#[test]
fn a_damaged_baseline_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let good = run(GOOD, &["--quiet", "--format", "json"]);
    assert_eq!(good.status.code(), Some(0));
    let report = json(&good.stdout);
    let cases: [(&str, serde_json::Value, &str); 5] = [
        (
            "/overall/service_level",
            1e308.into(),
            "1.0e308 is not a share (0 to 1)",
        ),
        (
            "/overall/service_level",
            "high".into(),
            "\"high\" is not a figure",
        ),
        (
            "/overall/wait/p95",
            (-5.0).into(),
            "-5 is not a time in seconds",
        ),
        (
            "/overall/abandon_rate",
            1.5.into(),
            "1.5 is not a share (0 to 1)",
        ),
        (
            "/ci95/overall/wait/mean",
            (-1.0).into(),
            "-1 is not a confidence half-width",
        ),
    ];
    for (i, (at, value, why)) in cases.into_iter().enumerate() {
        let mut damaged = report.clone();
        *damaged.pointer_mut(at).unwrap_or_else(|| panic!("{at}")) = value;
        let file = dir.path().join(format!("base{i}.json"));
        std::fs::write(&file, serde_json::to_vec(&damaged).unwrap()).unwrap();
        let out = run(GOOD, &["--quiet", "--baseline", file.to_str().unwrap()]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{at}: {err}");
        assert!(out.stdout.is_empty(), "{at}");
        let key = at.trim_start_matches('/').replace('/', ".");
        assert_eq!(
            err.trim(),
            format!(
                "error: {}: {key}: {why}: a damaged report, not one a run wrote",
                file.display()
            )
        );
    }
    // Text in a team's row, a figure a tolerance names: refused as well.
    let mut damaged = report.clone();
    let team = damaged["teams"][0]["name"].as_str().unwrap().to_string();
    damaged["teams"][0]["service_level"] = "oops".into();
    let file = dir.path().join("row.json");
    std::fs::write(&file, serde_json::to_vec(&damaged).unwrap()).unwrap();
    let tolerance = format!("teams.{team}.service_level=-0.1");
    let args = [
        "--quiet",
        "--baseline",
        file.to_str().unwrap(),
        "--tolerance",
        &tolerance,
    ];
    let out = run(GOOD, &args);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains(&format!(
            "teams.{team}.service_level: \"oops\" is not a figure"
        )),
        "{err}"
    );
    // The report itself, untouched, is a baseline like any other.
    let file = dir.path().join("base.json");
    std::fs::write(&file, &good.stdout).unwrap();
    let out = run(GOOD, &["--quiet", "--baseline", file.to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A JUnit file inside the `--out` folder is refused before anything runs, however the path
/// is spelt: the folder is replaced whole by the run's set, so the file would overwrite one of
/// the set's own (a `summary.json` holding XML, exit 0) or be a stranger that makes the next
/// run on the folder refuse it.
#[test]
fn junit_inside_the_out_folder_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("out");
    let out_arg = out_dir.to_str().unwrap();
    let spellings = [
        out_dir.join("summary.json"),
        out_dir.join("gate.xml"),
        dir.path().join("out/../out/./gate.xml"),
    ];
    let with_junit = |junit: &Path| {
        let junit = junit.to_str().unwrap();
        run(GOOD, &["--quiet", "--out", out_arg, "--junit", junit])
    };
    for junit in &spellings {
        let out = with_junit(junit);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{junit:?}: {err}");
        assert!(err.contains("inside the --out folder"), "{err}");
        assert!(out.stdout.is_empty());
        assert!(!out_dir.exists(), "nothing is claimed before the refusal");
    }
    // Beside the folder is fine, however it is spelt (through the folder not yet made, too),
    // and the set stays the set.
    for (spelt, file) in [("out/../via.xml", "via.xml"), ("gate.xml", "gate.xml")] {
        let out = with_junit(&dir.path().join(spelt));
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{spelt}: {err}");
        junit_is_valid(&dir.path().join(file));
    }
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out_dir.join("summary.json")).unwrap()).unwrap();
    assert!(summary["overall"].is_object());
}

/// A JUnit path that is a device or a pipe is written into, not replaced by a regular file
/// (`--junit /dev/full` had turned the device into one). Tested through a link to the
/// process's own stdout, a pipe here, so that a regression replaces only the link.
#[test]
fn junit_into_a_pipe_is_written_into_it() {
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("gate.xml");
    std::os::unix::fs::symlink("/proc/self/fd/1", &link).unwrap();
    let out = run(GOOD, &["--quiet", "--junit", link.to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("<testsuites"), "{stdout}");
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
}

/// A JUnit file is written as a shell redirection would write it: a new one gets 0666 less the
/// umask (as a file this test creates beside it), one written over keeps its mode (both had
/// been 0600, the temporary file's, which a CI job's upload as another user could not read),
/// and a link to a file has that file replaced, not the link.
#[test]
fn junit_gets_the_permissions_a_redirection_would() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o7777;
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("plain");
    std::fs::File::create(&plain).unwrap();
    let junit = dir.path().join("gate.xml");
    let write = || {
        let out = run(GOOD, &["--quiet", "--junit", junit.to_str().unwrap()]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{err}");
    };
    write();
    assert_eq!(mode(&junit), mode(&plain));
    for kept in [0o640, 0o604] {
        std::fs::set_permissions(&junit, std::fs::Permissions::from_mode(kept)).unwrap();
        write();
        assert_eq!(mode(&junit), kept);
        junit_is_valid(&junit);
    }
    // Through a link, as a redirection: the file it points to is replaced, the link stays.
    let real = dir.path().join("real.xml");
    std::fs::rename(&junit, &real).unwrap();
    std::fs::write(&real, "old").unwrap();
    std::os::unix::fs::symlink("real.xml", &junit).unwrap();
    write();
    let link = std::fs::symlink_metadata(&junit).unwrap();
    assert!(link.file_type().is_symlink());
    junit_is_valid(&real);
    assert_eq!(mode(&real), 0o604);
}

#[test]
fn the_exit_codes_in_the_readme_are_the_ones_the_binary_uses() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let section = readme
        .split("## Errors and exit codes")
        .nth(1)
        .expect("README has the section");
    let table: Vec<(u8, String)> = section
        .lines()
        .skip_while(|l| !l.starts_with("| code"))
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .map(|l| {
            let cells: Vec<&str> = l.trim_matches('|').split('|').map(str::trim).collect();
            (cells[0].parse().unwrap(), cells[1].to_string())
        })
        .collect();
    let codes: Vec<u8> = routesim::error::EXIT_CODES.iter().map(|c| c.0).collect();
    assert_eq!(table.iter().map(|c| c.0).collect::<Vec<_>>(), codes);
    // And --help lists them.
    let help = routesim().args(["run", "--help"]).output().unwrap().stdout;
    let help = String::from_utf8(help).unwrap();
    for (code, meaning) in routesim::error::EXIT_CODES {
        assert!(help.contains(&format!("{code:>3}  {meaning}")), "{help}");
    }
}

#[test]
fn markdown_summarises_the_run_and_its_gate() {
    let out = run(WORSE, &["--format", "markdown", "--quiet"]);
    assert_eq!(out.status.code(), Some(1));
    let md = String::from_utf8(out.stdout).unwrap();
    assert!(
        md.starts_with("### routesim: ci-gate-worse.toml — gate FAILED"),
        "{md}"
    );
    assert!(md.contains("| overall |"), "{md}");
    assert!(
        md.contains("| `teams.billing.service_level >= 0.8` |"),
        "{md}"
    );
    assert!(md.contains("❌ breached"), "{md}");
    // Every table row has as many cells as its header.
    for block in md.split("\n\n").filter(|b| b.starts_with('|')) {
        let widths: Vec<usize> = block
            .lines()
            .map(|l| l.replace("\\|", "").matches('|').count())
            .collect();
        assert!(widths.iter().all(|w| *w == widths[0]), "{block}");
    }
}

#[test]
fn merge_checks_the_gate_of_the_whole_run() {
    let cmd: Vec<OsString> = ["run", WORSE].iter().map(OsString::from).collect();
    let merged = crate::shard::merged(&cmd, 2, &["--format", "json", "--quiet"]);
    assert_eq!(merged.status.code(), Some(1));
    let one = run(WORSE, &["--format", "json", "--quiet"]);
    assert_eq!(
        merged.stdout, one.stdout,
        "merged and one-machine reports differ"
    );
    // The gate flags go to merge, not to the shards.
    let out = run(
        GOOD,
        &["--shard", "0/2", "--assert", "overall.wait.p95 <= 60s"],
    );
    assert_eq!(out.status.code(), Some(2));
}
