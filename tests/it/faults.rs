//! Faults around the process: stdout that is a closed pipe or a full disk, stderr that cannot
//! be written. A closed pipe is success (the reader took what it wanted); any other failure to
//! write the output is exit 1 with a message, never a panic and never a silent exit 0.

use std::fs::OpenOptions;
use std::process::{Command, Stdio};

use crate::support::root;

const COMMANDS: [&[&str]; 4] = [
    &["validate", "scenarios/support-desk.toml"],
    &[
        "explain",
        "scenarios/support-desk.toml",
        "--chat",
        "topic=sales",
    ],
    &["run", "scenarios/support-desk.toml", "--quiet"],
    &["run", "scenarios/support-desk.toml", "--format", "json"],
];

fn routesim(args: &[&str]) -> Command {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("routesim"));
    cmd.current_dir(root()).args(args).stdin(Stdio::null());
    cmd
}

fn dev_full() -> std::fs::File {
    OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full exists on Linux")
}

#[test]
fn a_full_stdout_is_an_error_and_a_closed_pipe_is_success() {
    for args in COMMANDS {
        let out = routesim(args)
            .stdout(dev_full())
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?} > /dev/full: {err}");
        assert!(
            err.contains("error: cannot write <stdout>: "),
            "{args:?}: {err}"
        );
        assert!(!err.contains("panicked"), "{args:?}: {err}");

        // The reading end is closed before the program starts, so every write fails with
        // EPIPE, deterministically.
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let out = routesim(args)
            .stdout(writer)
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?} | closed: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
}

#[test]
fn a_failing_stderr_never_panics_and_keeps_the_exit_code() {
    for args in COMMANDS {
        let out = routesim(args).stderr(dev_full()).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?} 2> /dev/full");
        assert!(!out.stdout.is_empty());
    }
    // Bad input still exits 2 when its message cannot be written.
    let out = routesim(&["validate", "fixtures/invalid/unknown-team.toml"])
        .stderr(dev_full())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
