//! A bounded fuzz pass over the scenario loader and the run: mutations of every bundled
//! scenario and fixture (extreme numbers, odd strings, lines dropped or doubled). Whatever the
//! input, `validate` ends with 0 or 2 without a panic, and a scenario that validates also runs
//! to the end, each within a time limit (a hang fails the test). The hostile inputs issue 8
//! found are kept as fixtures in `fixtures/invalid/`, each with its expected message.
//!
//! CI runs 48 cases; `PROPTEST_CASES=2000 cargo test --release --test it fuzz` runs a longer
//! pass by hand.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use proptest::prelude::*;

use crate::support::{root, tomls};

const NUMBERS: [&str; 10] = [
    "0",
    "-1",
    "1e308",
    "4294967295",
    "18446744073709551615",
    "1e-9",
    "nan",
    "inf",
    "0.5",
    "65536",
];
const STRINGS: [&str; 9] = [
    "\"\"",
    "\"99y\"",
    "\"0s\"",
    "\"/dev/zero\"",
    "\"-5m\"",
    "\"24:00-00:00\"",
    "\"1e300/s\"",
    "\"mon 25:00\"",
    "\"\\u001b[2J\"",
];

#[derive(Debug, Clone)]
enum Mutation {
    Number(usize, usize),
    Text(usize, usize),
    DropLine(usize),
    DoubleLine(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 0..NUMBERS.len()).prop_map(|(at, v)| Mutation::Number(at, v)),
        (any::<usize>(), 0..STRINGS.len()).prop_map(|(at, v)| Mutation::Text(at, v)),
        any::<usize>().prop_map(Mutation::DropLine),
        any::<usize>().prop_map(Mutation::DoubleLine),
    ]
}

/// Byte ranges of the runs of digits (numbers) or of the quoted strings in `text`.
fn spans(text: &str, numbers: bool) -> Vec<(usize, usize)> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let start = i;
        if numbers && b[i].is_ascii_digit() {
            while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'.') {
                i += 1;
            }
            out.push((start, i));
        } else if !numbers && b[i] == b'"' {
            i += 1;
            while i < b.len() && b[i] != b'"' && b[i] != b'\n' {
                i += 1;
            }
            if i < b.len() && b[i] == b'"' {
                out.push((start, i + 1));
            }
            i += 1;
        } else {
            i += 1;
        }
    }
    out
}

fn apply(text: &str, m: &Mutation) -> String {
    match *m {
        Mutation::Number(at, v) | Mutation::Text(at, v) => {
            let numbers = matches!(m, Mutation::Number(..));
            let found = spans(text, numbers);
            if found.is_empty() {
                return text.to_string();
            }
            let (s, e) = found[at % found.len()];
            let with = if numbers { NUMBERS[v] } else { STRINGS[v] };
            format!("{}{with}{}", &text[..s], &text[e..])
        }
        Mutation::DropLine(at) | Mutation::DoubleLine(at) => {
            let mut lines: Vec<&str> = text.lines().collect();
            if lines.is_empty() {
                return text.to_string();
            }
            let k = at % lines.len();
            if matches!(m, Mutation::DropLine(_)) {
                lines.remove(k);
            } else {
                lines.insert(k, lines[k]);
            }
            lines.join("\n") + "\n"
        }
    }
}

/// Runs routesim; fails the case if it is still running after `limit`.
fn run(args: &[&str], limit: Duration) -> Result<(Option<i32>, String), TestCaseError> {
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("routesim"))
        .current_dir(root())
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            let out = child.wait_with_output().unwrap();
            return Ok((
                out.status.code(),
                String::from_utf8_lossy(&out.stderr).into_owned(),
            ));
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            return Err(TestCaseError::fail(format!(
                "{args:?} still running after {limit:?}"
            )));
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn inputs() -> Vec<String> {
    tomls("scenarios")
        .into_iter()
        .chain(tomls("fixtures"))
        .map(|f| std::fs::read_to_string(f).unwrap())
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn mutated_scenarios_never_panic_or_hang(
        pick in any::<usize>(),
        mutations in prop::collection::vec(mutation(), 1..4),
    ) {
        let inputs = inputs();
        let mut text = inputs[pick % inputs.len()].clone();
        for m in &mutations {
            text = apply(&text, m);
        }
        let dir = tempfile::tempdir().unwrap();
        // Inside fixtures' folder depth, so relative data files still resolve.
        let path = dir.path().join("fuzz.toml");
        std::fs::write(&path, text.replace("fixtures/", &format!("{}/fixtures/", root().display()))).unwrap();
        let file = path.to_str().unwrap();
        let (code, err) = run(&["validate", file], Duration::from_secs(20))?;
        prop_assert!(!err.contains("panicked"), "{err}\n{text}");
        prop_assert!(matches!(code, Some(0) | Some(2)), "validate exit {code:?}: {err}\n{text}");
        if code == Some(0) {
            let (code, err) = run(
                &["run", file, "--quiet", "--duration", "2h", "--replications", "1"],
                Duration::from_secs(60),
            )?;
            prop_assert!(!err.contains("panicked"), "{err}\n{text}");
            // A scenario with thresholds may breach them (exit 1); nothing else may fail.
            let breach = code == Some(1) && text.contains("[[slo]]");
            prop_assert!(code == Some(0) || breach, "run exit {:?}: {}\n{}", code, err, text);
        }
    }
}
