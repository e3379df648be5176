//! The scenario file: TOML schema, parsing and validation, producing a [`Model`].
//!
//! Parsing runs in two passes, as nextest parses its config:
//! 1. `raw`: serde reads the file into the raw schema. Syntax errors, unknown keys, wrong types
//!    and unreadable values ([`values`]) stop here, reported with their key path and line.
//! 2. [`compile`]: names are resolved to ids and cross-references checked; every problem found is
//!    reported at once.

pub mod compile;
pub mod limits;
mod overrides;
mod raw;
pub mod replay_log;
pub mod values;

pub use overrides::{AgentWindows, Overrides, SET_PATHS};

use std::path::Path;

use crate::error::{Diagnostic, Diagnostics, Error, Result};
use crate::model::Model;

/// Reads and compiles a scenario file. Data files it names are found relative to its folder.
pub fn load(path: &Path) -> Result<Model> {
    load_with(path, &Overrides::default())
}

/// Reads a scenario file, applies `overrides` to it, and compiles the result.
pub fn load_with(path: &Path, overrides: &Overrides) -> Result<Model> {
    Source::read(path)?.compile(overrides)
}

/// A scenario file read once, to be compiled as often as a search needs, each time with its
/// own overrides.
#[derive(Debug, Clone)]
pub struct Source {
    path: std::path::PathBuf,
    name: String,
    text: String,
}

impl Source {
    /// Reads the file: any file that can be read (a pipe such as `<(make-scenario)` too), up
    /// to [`limits::MAX_SCENARIO_BYTES`]. Unbounded, `validate /dev/zero` read until memory
    /// ran out.
    pub fn read(path: &Path) -> Result<Source> {
        let limit = limits::MAX_SCENARIO_BYTES;
        let text = read_bounded(path, "a scenario file", limit).map_err(|source| Error::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let name = path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        Ok(Source {
            path: path.to_path_buf(),
            name,
            text,
        })
    }

    /// The file's text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The file's name, as reports give it.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Applies `overrides` and compiles; data files are found relative to the file's folder.
    pub fn compile(&self, overrides: &Overrides) -> Result<Model> {
        let base = self.path.parent().unwrap_or(Path::new("."));
        compile_text(&self.path, &self.name, &self.text, base, overrides)
    }
}

/// Compiles scenario text held in memory; data files are found relative to the current folder.
pub fn parse_str(name: &str, text: &str) -> Result<Model> {
    compile_text(
        Path::new(name),
        name,
        text,
        Path::new(""),
        &Overrides::default(),
    )
}

fn compile_text(
    path: &Path,
    name: &str,
    text: &str,
    base: &Path,
    overrides: &Overrides,
) -> Result<Model> {
    let fail = |items: Vec<Diagnostic>, unlisted| {
        Error::Scenario(Diagnostics {
            file: path.to_path_buf(),
            items,
            unlisted,
        })
    };
    let mut raw: raw::RawScenario = parse_toml(text).map_err(|d| fail(vec![d], 0))?;
    let plain = control_characters(text);
    if !plain.is_empty() {
        return Err(fail(plain, 0));
    }
    let overridden = overrides.apply(&mut raw).map_err(|d| fail(vec![d], 0))?;
    let mut model = compile::Compiler::new(text, base, overridden)
        .compile(name, raw)
        .map_err(|(diags, unlisted)| fail(diags, unlisted))?;
    model.source_hash = scenario_hash(text, &model.inputs);
    Ok(model)
}

/// Reads a data file (named by a scenario, or a stored report): a regular file (not a device, FIFO or folder) of at
/// most [`limits::MAX_DATA_FILE_BYTES`], as UTF-8 (a file that is not carries a [`NotUtf8`]).
pub fn read_data_file(path: &std::path::Path) -> std::io::Result<String> {
    if !std::fs::metadata(path)?.is_file() {
        return Err(std::io::Error::other("not a regular file"));
    }
    read_bounded(path, "a data file", limits::MAX_DATA_FILE_BYTES)
}

/// A file that is not UTF-8 (a spreadsheet saved as Latin-1 or Windows-1252, say): the
/// [`std::io::Error`] that [`read_data_file`] returns carries it, so that a message can name
/// the line rather than say only "stream did not contain valid UTF-8".
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("line {line} is not valid UTF-8 (the file must be UTF-8)")]
pub struct NotUtf8 {
    /// The line, from 1, of the first byte that is not UTF-8.
    pub line: u64,
}

/// Reads `path` as UTF-8, refusing it past `limit` bytes (`what` names the kind of file in the
/// message) without reading more than one byte beyond the limit. A file that is not UTF-8 is
/// an [`std::io::ErrorKind::InvalidData`] error carrying a [`NotUtf8`].
fn read_bounded(path: &Path, what: &str, limit: u64) -> std::io::Result<String> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(limit + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(std::io::Error::other(format!(
            "larger than {} MB, the limit for {what}",
            limit / (1024 * 1024)
        )));
    }
    String::from_utf8(bytes).map_err(|e| {
        let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line = valid.iter().filter(|&&b| b == b'\n').count() as u64 + 1;
        std::io::Error::new(std::io::ErrorKind::InvalidData, NotUtf8 { line })
    })
}

/// FNV-1a over the bytes, in hex: enough to notice a scenario edited between two runs (shards
/// and their merge, a baseline and the run checked against it).
pub fn content_hash(bytes: &[u8]) -> String {
    let mut h = Fnv1a::default();
    h.write(bytes);
    h.hex()
}

/// A scenario's hash ([`Model::source_hash`](crate::model::Model::source_hash)): FNV-1a over
/// its text, then over each data file it read, its path as written and its contents' hash, so
/// that an edit to either tells. A scenario that reads no data file hashes as its text alone
/// ([`content_hash`]), as reports and shards written before data files counted did.
pub fn scenario_hash(text: &str, inputs: &[(String, String)]) -> String {
    let mut h = Fnv1a::default();
    h.write(text.as_bytes());
    for (path, hash) in inputs {
        h.write(b"\0");
        h.write(path.as_bytes());
        h.write(b"\0");
        h.write(hash.as_bytes());
    }
    h.hex()
}

/// FNV-1a, fed in pieces: [`content_hash`]'s hash, for contents that are not one slice of
/// bytes (a shard's partial result, digested value by value).
#[derive(Debug, Clone, Copy)]
pub struct Fnv1a(u64);

impl Default for Fnv1a {
    fn default() -> Self {
        Fnv1a(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv1a {
    /// Adds the bytes.
    pub fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= b as u64;
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }

    /// Adds a word: one step of the hash for eight bytes ([`Fnv1aWords`]).
    fn write_word(&mut self, word: u64) {
        self.0 ^= word;
        self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
    }

    /// The hash so far, in hex.
    pub fn hex(&self) -> String {
        format!("{:016x}", self.0)
    }
}

/// FNV-1a over a stream's 8-byte little-endian words (the last one padded with zeros), fed in
/// reads of any length: eight times fewer steps of the hash's serial multiply than byte by
/// byte, so that hashing a replayed log as it is checked (`replay_log::Lines`) costs little
/// beside reading it (a 24 MB log: 0.04 s byte by byte). Each step is a bijection of the
/// state, so one changed word always changes the hash.
#[derive(Debug, Clone, Copy, Default)]
pub struct Fnv1aWords {
    hash: Fnv1a,
    /// Bytes of the word under way, in its low bytes first, and how many.
    word: u64,
    have: u32,
}

impl Fnv1aWords {
    /// Adds the bytes.
    pub fn write(&mut self, mut bytes: &[u8]) {
        while self.have > 0 && !bytes.is_empty() {
            self.push_byte(bytes[0]);
            bytes = &bytes[1..];
        }
        let mut words = bytes.chunks_exact(8);
        for w in &mut words {
            self.hash
                .write_word(u64::from_le_bytes(w.try_into().expect("8 bytes")));
        }
        for &b in words.remainder() {
            self.push_byte(b);
        }
    }

    fn push_byte(&mut self, b: u8) {
        self.word |= (b as u64) << (8 * self.have);
        self.have += 1;
        if self.have == 8 {
            self.hash.write_word(self.word);
            (self.word, self.have) = (0, 0);
        }
    }

    /// The hash, in hex, with the last word's bytes and the stream's length (`len` bytes) in it.
    pub fn hex(&self, len: u64) -> String {
        let mut h = self.hash;
        if self.have > 0 {
            h.write_word(self.word);
        }
        h.write_word(len);
        h.hex()
    }
}

/// Keys and string values with control characters (such as an escape sequence that would
/// repaint the terminal when a name is printed): refused, each with its key path.
fn control_characters(text: &str) -> Vec<Diagnostic> {
    fn walk(v: &toml::Value, path: &str, out: &mut Vec<Diagnostic>) {
        let bad = |s: &str| s.chars().any(char::is_control);
        match v {
            toml::Value::String(s) if bad(s) => out.push(
                Diagnostic::new(path, None, "a value may not contain control characters")
                    .with_hint(
                        "names and values are printed to terminals and CSV files as they are",
                    ),
            ),
            toml::Value::Array(items) => {
                for (i, x) in items.iter().enumerate() {
                    walk(x, &format!("{path}[{i}]"), out);
                }
            }
            toml::Value::Table(t) => {
                for (k, x) in t {
                    let sub = if path.is_empty() {
                        k.clone()
                    } else {
                        format!("{path}.{k}")
                    };
                    if bad(k) {
                        out.push(Diagnostic::new(
                            path,
                            None,
                            "a key may not contain control characters",
                        ));
                    }
                    walk(x, &sub, out);
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    if let Ok(table) = text.parse::<toml::Table>() {
        walk(&toml::Value::Table(table), "", &mut out);
    }
    out
}

/// The most parts a dotted key (`a.b.c` has three) may have: past it, the TOML parser stops
/// with "recursion limit" and no place.
const MAX_KEY_PARTS: usize = 80;

/// The byte offset and the number of parts of the first dotted key (or table header) with more
/// than [`MAX_KEY_PARTS`] parts, or else of the one with the most. Read with the parser's own
/// lexer, so dots in strings, quoted keys and comments are not counted.
fn deepest_key(text: &str) -> Option<(usize, usize)> {
    use toml_parser::parser::{Event, EventKind};
    let mut deepest: Option<(usize, usize)> = None;
    let (mut start, mut parts, mut after_dot) = (0, 0, false);
    let mut on_event = |e: Event| match e.kind() {
        EventKind::SimpleKey => {
            if after_dot {
                parts += 1;
            } else {
                (start, parts) = (e.span().start(), 1);
            }
            after_dot = false;
            // The same key grows; another takes over only while none is past the limit.
            let keep =
                deepest.is_some_and(|(s, p)| s != start && (p > MAX_KEY_PARTS || p >= parts));
            if !keep {
                deepest = Some((start, parts));
            }
        }
        EventKind::KeySep => after_dot = true,
        EventKind::Whitespace => {}
        _ => after_dot = false,
    };
    let source = toml_parser::Source::new(text);
    let tokens = source.lex().into_vec();
    toml_parser::parser::parse_document(&tokens, &mut on_event, &mut ());
    deepest
}

fn parse_toml(text: &str) -> std::result::Result<raw::RawScenario, Diagnostic> {
    let line = |span: Option<std::ops::Range<usize>>| {
        span.filter(|s| s.start <= text.len())
            .map(|s| text[..s.start].bytes().filter(|&b| b == b'\n').count() + 1)
    };
    let de = toml::Deserializer::parse(text).map_err(|e| {
        let mut message = e.message().trim().to_string();
        // Name the key the parser only points at.
        if let Some(key) = e
            .span()
            .filter(|_| message == "duplicate key")
            .and_then(|s| text.get(s))
        {
            message = format!("duplicate key `{}`", key.trim());
        }
        let mut at = line(e.span());
        // A dotted key too deep for the parser comes without a place: find it in the text.
        if at.is_none()
            && message == "recursion limit"
            && let Some((start, parts)) = deepest_key(text)
        {
            at = line(Some(start..start));
            message = if parts > MAX_KEY_PARTS {
                format!(
                    "a dotted key of {parts} parts nests tables too deeply (at most {MAX_KEY_PARTS} parts)"
                )
            } else {
                format!("a dotted key of {parts} parts nests tables too deeply")
            };
        }
        Diagnostic::new("", at, format!("malformed TOML: {message}"))
    })?;
    serde_path_to_error::deserialize(de).map_err(|e| {
        // `Spanned` wrappers show up as a path segment of their own; users never wrote it.
        let key = e
            .path()
            .to_string()
            .replace(".$__serde_spanned_private_value", "")
            .replace("$__serde_spanned_private_value", "");
        let inner = e.into_inner();
        let key = if key == "." {
            String::new()
        } else {
            key.trim_matches('.').to_string()
        };
        // Users never see the schema's type names (`struct RawSimulation`): they wrote tables.
        let mut message = inner.message().trim().to_string();
        if let Some(at) = message.find("expected struct Raw") {
            message.replace_range(at.., "expected a table");
        }
        let mut d = Diagnostic::new(key, line(inner.span()), message);
        if d.message.starts_with("unknown field") {
            d.hint = Some(
                "see the scenario reference in README.md for the keys each table takes".into(),
            );
        }
        d
    })
}

#[cfg(test)]
pub(crate) mod tests {
    #[test]
    fn a_scenario_hashes_as_its_text_and_each_data_file_it_read() {
        let text = "[simulation]\n";
        // No data file: the text's own hash, as reports and shards before data files counted.
        assert_eq!(
            super::scenario_hash(text, &[]),
            super::content_hash(text.as_bytes())
        );
        let one =
            |path: &str, bytes: &str| vec![(path.into(), super::content_hash(bytes.as_bytes()))];
        let base = super::scenario_hash(text, &one("r.csv", "name,mon\n"));
        assert_ne!(base, super::content_hash(text.as_bytes()));
        for other in [
            super::scenario_hash(text, &one("r.csv", "name,tue\n")),
            super::scenario_hash(text, &one("s.csv", "name,mon\n")),
            super::scenario_hash("[simulation]\n\n", &one("r.csv", "name,mon\n")),
        ] {
            assert_ne!(base, other);
        }
    }

    use super::*;

    /// The bundled examples, `scenarios/*.toml`, in name order: the tests that must hold for
    /// every one of them.
    pub fn bundled() -> Vec<std::path::PathBuf> {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios");
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "toml"))
            .collect();
        files.sort();
        files
    }

    /// The smallest valid scenario, for tests to build on.
    pub const MINIMAL: &str = r#"
[simulation]
duration = "1h"

[[teams]]
name = "support"

[[agents]]
name = "a"
count = 2
teams = ["support"]

[[traffic]]
name = "web"
rate = "1/min"
handle_time = "5m"
"#;

    #[test]
    fn a_file_that_is_not_utf8_is_refused_with_its_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.csv");
        let not_utf8 = |e: &std::io::Error| {
            e.get_ref()
                .and_then(|e| e.downcast_ref::<NotUtf8>())
                .copied()
        };
        // Saved as Latin-1: the é of "café" on the third line is one byte, 0xe9.
        std::fs::write(&path, b"start,volume\nmon 08:00,1\nmon 08:30,2,caf\xe9\n").unwrap();
        let e = read_data_file(&path).unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::InvalidData);
        assert_eq!(not_utf8(&e), Some(NotUtf8 { line: 3 }));
        assert_eq!(
            e.to_string(),
            "line 3 is not valid UTF-8 (the file must be UTF-8)"
        );
        std::fs::write(&path, b"caf\xe9\nmon\n").unwrap();
        assert_eq!(
            not_utf8(&read_data_file(&path).unwrap_err()),
            Some(NotUtf8 { line: 1 })
        );
        // UTF-8's own é (two bytes) is read as it is.
        std::fs::write(&path, "café\n").unwrap();
        assert_eq!(read_data_file(&path).unwrap(), "café\n");
        // Other errors carry no line.
        assert_eq!(not_utf8(&read_data_file(dir.path()).unwrap_err()), None);
    }

    #[test]
    fn overrides_are_checked_like_the_file_and_name_their_flag() {
        let ov = Overrides {
            duration: Some(0.0),
            replications: Some(0),
            seed: Some(9),
            ..Default::default()
        };
        let err = compile_text(Path::new("t.toml"), "t.toml", MINIMAL, Path::new(""), &ov);
        let Err(Error::Scenario(d)) = err else {
            panic!("expected errors")
        };
        let keys: Vec<(&str, Option<usize>)> =
            d.items.iter().map(|d| (d.key.as_str(), d.line)).collect();
        assert_eq!(
            keys,
            [
                ("simulation.duration (set by --duration)", None),
                ("simulation.replications (set by --replications)", None)
            ]
        );
        let ok = Overrides {
            duration: Some(7_200.0),
            replications: Some(3),
            seed: Some(9),
            ..Default::default()
        };
        let m = compile_text(Path::new("t.toml"), "t.toml", MINIMAL, Path::new(""), &ok).unwrap();
        assert_eq!(
            (m.duration.as_secs_f64(), m.replications, m.seed),
            (7_200.0, 3, 9)
        );
    }

    #[test]
    fn agents_total_scales_every_entry_in_proportion_and_keeps_one_each() {
        let text = "[simulation]\nduration = \"1h\"\n[[teams]]\nname = \"t\"\n\
            [[agents]]\nname = \"big\"\ncount = 30\nteams = [\"t\"]\n\
            [[agents]]\nname = \"mid\"\ncount = 9\nteams = [\"t\"]\n\
            [[agents]]\nname = \"one\"\nteams = [\"t\"]\n\
            [[traffic]]\nname = \"web\"\nrate = 1\nhandle_time = \"1m\"\n";
        let scaled = |total: u32| {
            let ov = Overrides {
                agents_total: Some(total),
                ..Default::default()
            };
            compile_text(Path::new("t.toml"), "t.toml", text, Path::new(""), &ov).map(|m| {
                ["big", "mid", "one"].map(|g| {
                    let prefix = format!("{g}-");
                    let n = m
                        .agents
                        .iter()
                        .filter(|a| a.name.starts_with(&prefix))
                        .count();
                    n.max(m.agents.iter().any(|a| a.name == g) as usize)
                })
            })
        };
        // 40 agents as the file has them; 1,000 in the file's proportions (30:9:1).
        assert_eq!(scaled(40).unwrap(), [30, 9, 1]);
        assert_eq!(scaled(1_000).unwrap(), [750, 225, 25]);
        // Every entry keeps one agent, taken from the largest.
        assert_eq!(scaled(3).unwrap(), [1, 1, 1]);
        assert_eq!(scaled(5).unwrap(), [3, 1, 1]);
        let Err(Error::Scenario(d)) = scaled(2) else {
            panic!("fewer agents than entries")
        };
        assert!(
            d.items[0].message.contains("fewer than the scenario's 3"),
            "{d}"
        );
    }

    #[test]
    fn a_group_count_is_set_by_name_and_an_unknown_group_is_an_error() {
        let compile = |name: &str, count: u32| {
            let ov = Overrides {
                counts: vec![(name.into(), count)],
                service_level: Some(45.0),
                ..Default::default()
            };
            compile_text(Path::new("t.toml"), "t.toml", MINIMAL, Path::new(""), &ov)
        };
        let m = compile("a", 5).unwrap();
        assert_eq!(m.agents.len(), 5);
        assert_eq!(m.service_level.as_secs_f64(), 45.0);
        let Err(Error::Scenario(d)) = compile("b", 5) else {
            panic!("expected an error")
        };
        assert!(
            d.items[0]
                .message
                .contains("no single [[agents]] entry named \"b\"")
        );
        // A count of 0 is checked as the file's own would be, naming the flag.
        let Err(Error::Scenario(d)) = compile("a", 0) else {
            panic!("expected an error")
        };
        assert!(
            d.items
                .iter()
                .any(|i| i.key == "agents[0].count (set by --vary)"),
            "{d:?}"
        );
    }

    /// Two teams, two groups, a lognormal stream and a two-step route, for `--set` paths.
    const SETTABLE: &str = r#"
[simulation]
duration = "1h"

[[teams]]
name = "support"

[[teams]]
name = "backup"

[[agents]]
name = "a"
count = 2
teams = ["support"]

[[agents]]
name = "b"
teams = ["backup"]

[[traffic]]
name = "web"
rate = "1/min"
handle_time = { dist = "lognormal", mean = "5m", sd = "2m" }

[[rules]]
name = "all"
route = [{ team = "support", timeout = "1m" }, { team = "backup" }]
"#;

    fn with_sets(sets: &[(&str, &str)], base: Overrides) -> Result<Model> {
        let ov = Overrides {
            sets: sets
                .iter()
                .map(|(p, v)| (p.to_string(), v.to_string()))
                .collect(),
            ..base
        };
        compile_text(Path::new("t.toml"), "t.toml", SETTABLE, Path::new(""), &ov)
    }

    #[test]
    fn scale_multiplies_the_file_s_own_scale_for_every_stream_or_the_one_named() {
        let m = with_sets(&[("traffic.web.scale", "1.5")], Overrides::default()).unwrap();
        let base = with_sets(&[], Overrides::default()).unwrap();
        assert_eq!(m.traffic[0].scale, 1.5);
        assert_eq!(m.traffic[0].rate, base.traffic[0].rate * 1.5);
        let both = with_sets(
            &[("traffic.web.scale", "1.5")],
            Overrides {
                scale: vec![(2.0, Some("web".into()))],
                ..Overrides::default()
            },
        )
        .unwrap();
        assert_eq!(both.traffic[0].scale, 3.0);
        assert_eq!(both.traffic[0].rate, base.traffic[0].rate * 3.0);
        let err = with_sets(
            &[],
            Overrides {
                scale: vec![(2.0, Some("phone".into()))],
                ..Overrides::default()
            },
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("phone"), "{err}");
        let err = with_sets(&[("traffic.web.scale", "0")], Overrides::default())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("traffic[0].scale") && err.contains("above 0"),
            "{err}"
        );
    }

    #[test]
    fn set_paths_address_entries_by_name_and_read_values_as_the_file_does() {
        let m = with_sets(
            &[
                ("simulation.warmup", "10m"),
                ("simulation.max_waiting", "50"),
                ("report.service_level", "45s"),
                ("agents.a.count", "5"),
                ("agents.b.max_chats", "3"),
                ("agents.a.cost", "12.5"),
                ("agents.b.speed", "2"),
                ("agents.a.level", "4"),
                ("teams.backup.strategy", "round_robin"),
                ("traffic.web.rate", "2/min"),
                ("traffic.web.handle_time.mean", "6m"),
                (
                    "traffic.web.patience",
                    "{ dist = \"exponential\", mean = \"3m\" }",
                ),
                ("rules.all.route[0].timeout", "90s"),
                ("rules.all.priority", "3"),
            ],
            Overrides::default(),
        )
        .unwrap();
        assert_eq!(m.warmup.as_secs_f64(), 600.0);
        assert_eq!(m.max_waiting, 50);
        assert_eq!(m.service_level.as_secs_f64(), 45.0);
        let names: Vec<&str> = m.agents.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, ["a-1", "a-2", "a-3", "a-4", "a-5", "b"]);
        assert_eq!((m.agents[0].cost, m.agents[0].level), (12.5, 4));
        assert_eq!((m.agents[5].max_chats, m.agents[5].speed), (3, 2.0));
        assert_eq!(m.teams[1].strategy, crate::model::Strategy::RoundRobin);
        assert_eq!(m.traffic[0].rate, 2.0 / 60.0);
        // The mean moves; the shape and sd stay the file's (a lognormal, sd 2m).
        let text = SETTABLE.replace("mean = \"5m\"", "mean = \"6m\"");
        let by_file = parse_str("t.toml", &text).unwrap();
        assert_eq!(
            format!("{:?}", m.traffic[0].handle_time),
            format!("{:?}", by_file.traffic[0].handle_time)
        );
        assert_eq!(m.traffic[0].patience.as_ref().unwrap().mean_secs, 180.0);
        let crate::model::Action::Route(steps) = &m.rules[0].action else {
            panic!("a route")
        };
        assert_eq!(steps[0].timeout.unwrap().as_secs_f64(), 90.0);
        assert_eq!(m.rules[0].priority, 3);
    }

    #[test]
    fn a_bad_set_names_its_path_or_its_value_and_what_exists() {
        // (path, value, expected key, message fragment, hint fragment)
        let cases: &[(&str, &str, &str, &str, &str)] = &[
            (
                "agents.a.count",
                "0",
                "agents[0].count (set by --set agents.a.count=0)",
                "count must be at least 1",
                "",
            ),
            (
                "agents.a.count",
                "many",
                "agents[0].count (set by --set agents.a.count=many)",
                "invalid type: string \"many\", expected u32",
                "",
            ),
            (
                "agents.zz.count",
                "1",
                "--set agents.zz.count",
                "no single [[agents]] entry named \"zz\"",
                "agent groups: a, b",
            ),
            (
                "agents.a.colour",
                "1",
                "--set agents.a.colour",
                "no such setting",
                "paths in agents: agents.NAME.count, agents.NAME.max_chats",
            ),
            (
                "nonsense",
                "1",
                "--set nonsense",
                "no such setting",
                "settable paths: simulation.seed",
            ),
            (
                "teams.sales.strategy",
                "random",
                "--set teams.sales.strategy",
                "no single [[teams]] entry named \"sales\"",
                "teams: support, backup",
            ),
            (
                "teams.support.strategy",
                "fastest",
                "teams[0].strategy (set by --set teams.support.strategy=fastest)",
                "unknown variant `fastest`",
                "",
            ),
            (
                "traffic.web.rate",
                "0/min",
                "traffic[0].rate (set by --set traffic.web.rate=0/min)",
                "a rate must be greater than zero",
                "",
            ),
            (
                "traffic.web.patience.mean",
                "1m",
                "--set traffic.web.patience.mean",
                "has no patience",
                "--set traffic.web.patience=VALUE",
            ),
            (
                "traffic.web.handle_time.mean",
                "0s",
                "traffic[0].handle_time (set by --set traffic.web.handle_time.mean=0s)",
                "`mean` must be greater than zero",
                "",
            ),
            (
                "rules.all.route[1].timeout",
                "1m",
                "rules[0].route[1].timeout (set by --set rules.all.route[1].timeout=1m)",
                "the last step has no next step",
                "add a [fallback]",
            ),
            (
                "rules.all.route[2].timeout",
                "1m",
                "--set rules.all.route[2].timeout",
                "rule \"all\" has no step route[2]: its route has 2 steps, route[0] to route[1]",
                "",
            ),
            (
                "rules.all.priority",
                "-1",
                "rules[0].priority (set by --set rules.all.priority=-1)",
                "priority must be between 0 and 65535",
                "",
            ),
            (
                "simulation.duration",
                "0",
                "simulation.duration (set by --set simulation.duration=0)",
                "greater than zero",
                "",
            ),
        ];
        for &(path, value, key, message, hint) in cases {
            let Err(Error::Scenario(d)) = with_sets(&[(path, value)], Overrides::default()) else {
                panic!("{path}={value}: expected an error")
            };
            // Other problems may follow from it (a team left without agents); this one is there.
            let item = d
                .items
                .iter()
                .find(|i| i.key == key)
                .unwrap_or_else(|| panic!("{path}={value}: no {key} in {d}"));
            assert_eq!(item.line, None, "{path}={value}");
            assert!(item.message.contains(message), "{path}={value}: {d}");
            let got = item.hint.as_deref().unwrap_or_default();
            assert!(got.contains(hint), "{path}={value}: {d}");
        }
    }

    #[test]
    fn a_key_set_twice_is_an_error_naming_both_flags() {
        let base = Overrides {
            seed: Some(2),
            ..Default::default()
        };
        let Err(Error::Scenario(d)) = with_sets(&[("simulation.seed", "1")], base) else {
            panic!("expected an error")
        };
        assert_eq!(
            d.items[0].message,
            "simulation.seed is set twice: by --seed and by --set simulation.seed=1"
        );
        // Two spellings of one key are one key.
        let Err(Error::Scenario(d)) = with_sets(
            &[
                ("traffic.web.handle_time", "4m"),
                ("traffic.web.handle_time.mean", "5m"),
            ],
            Overrides::default(),
        ) else {
            panic!("expected an error")
        };
        assert!(d.items[0].message.contains("set twice"), "{d}");
    }

    fn errors(text: &str) -> Vec<(String, Option<usize>, String)> {
        match parse_str("t.toml", text) {
            Ok(_) => panic!("expected an error"),
            Err(Error::Scenario(d)) => d
                .items
                .into_iter()
                .map(|d| (d.key, d.line, d.message))
                .collect(),
            Err(e) => panic!("unexpected error {e}"),
        }
    }

    fn one_error(text: &str) -> (String, Option<usize>, String) {
        let mut e = errors(text);
        assert_eq!(e.len(), 1, "{e:?}");
        e.remove(0)
    }

    #[test]
    fn minimal_scenario_compiles_with_defaults() {
        let m = parse_str("t.toml", MINIMAL).unwrap();
        assert_eq!(
            m.agents.iter().map(|a| a.name.as_str()).collect::<Vec<_>>(),
            ["a-1", "a-2"]
        );
        assert_eq!(m.replications, 1);
        assert_eq!(m.service_level.as_secs_f64(), 20.0);
        assert_eq!(m.agents[0].max_chats, 1);
        // No rules and no [fallback]: no target beyond the team's, and no chat is offered to
        // everyone (they get the after-hours action; the lints warn).
        assert!(m.fallback.is_none());
        assert_eq!(m.targets.len(), 1);
    }

    #[test]
    fn table_of_bad_inputs_names_key_and_line() {
        // (what to append or replace, expected key, expected line, expected message fragment)
        let cases: &[(&str, &str, &str, Option<usize>, &str)] = &[
            (
                "duration = \"1h\"",
                "duration = \"1x\"",
                "simulation.duration",
                Some(3),
                "cannot read duration",
            ),
            (
                "rate = \"1/min\"",
                "rate = \"0/min\"",
                "traffic[0].rate",
                Some(15),
                "greater than zero",
            ),
            (
                "rate = \"1/min\"",
                "rate = -2",
                "traffic[0].rate",
                Some(15),
                "greater than zero",
            ),
            (
                "count = 2",
                "count = 2\nmaxchats = 3",
                "agents[0].maxchats",
                Some(11),
                "unknown field",
            ),
            (
                "teams = [\"support\"]",
                "teams = [\"support\", \"sales\"]",
                "agents[0].teams[1]",
                Some(11),
                "no team named \"sales\"",
            ),
            (
                "handle_time = \"5m\"",
                "handle_time = { dist = \"gamma\", mean = \"5m\", sd = 0 }",
                "traffic[0].handle_time",
                Some(16),
                "`sd` must be greater than zero",
            ),
            (
                "handle_time = \"5m\"",
                "handle_time = { dist = \"empirical\", file = \"no/such.csv\" }",
                "traffic[0].handle_time.file",
                Some(16),
                "cannot read no/such.csv",
            ),
            (
                "[simulation]",
                "[simulation\n",
                "",
                Some(2),
                "malformed TOML",
            ),
        ];
        for (from, to, key, line, msg) in cases {
            let text = MINIMAL.replacen(from, to, 1);
            let (k, l, m) = one_error(&text);
            assert_eq!((k.as_str(), l), (*key, *line), "{to}: {m}");
            assert!(m.contains(msg), "{to}: {m}");
        }
    }

    #[test]
    fn cross_reference_errors_are_all_reported() {
        let text = format!(
            "{MINIMAL}\n[[teams]]\nname = \"empty\"\n\n[[rules]]\nname = \"r\"\nroute = [{{ team = \"nope\", timeout = \"1m\" }}, {{ team = \"support\", timeout = \"1m\" }}]\n"
        );
        let e = errors(&text);
        let keys: Vec<&str> = e.iter().map(|e| e.0.as_str()).collect();
        assert_eq!(
            keys,
            [
                "teams[1]",
                "rules[0].route[0].team",
                "rules[0].route[1].timeout"
            ],
            "{e:?}"
        );
        assert!(e[2].2.contains("last step"));
    }

    /// A dotted key past the parser's depth is named by its line (the parser gives none), as
    /// the other depth error is; dots in strings, quoted keys and comments before it do not
    /// count.
    #[test]
    fn a_dotted_key_too_deep_is_named_by_its_line() {
        let key = |parts: usize| vec!["a"; parts].join(".");
        let decoys = format!(
            "# {}\nnote = \"{}\"\n\"{}\" = 1\n",
            key(200),
            key(200),
            key(200)
        );
        let at = MINIMAL.lines().count() + 6;
        for (deep, line) in [
            (format!("[extra]\n{decoys}{}.b = 1\n", key(80)), at),
            (format!("[extra]\n{decoys}x = {{ {} = 1 }}\n", key(300)), at),
            (format!("{decoys}[{}]\n", key(81)), at - 1),
        ] {
            let (k, l, m) = one_error(&format!("{MINIMAL}\n{deep}"));
            assert_eq!((k.as_str(), l), ("", Some(line)), "{m}");
            assert!(m.starts_with("malformed TOML: a dotted key of "), "{m}");
            assert!(
                m.ends_with(" parts nests tables too deeply (at most 80 parts)"),
                "{m}"
            );
        }
        let (_, _, m) = one_error(&format!("{MINIMAL}\n[extra]\n{}.b = 1\n", key(300)));
        assert!(m.contains("of 301 parts"), "{m}");
        // At the limit the key is read (and refused as a key the schema does not have).
        let (k, _, m) = one_error(&format!("{MINIMAL}\n[extra]\n{} = 1\n", key(80)));
        assert_eq!(k, "extra", "{m}");
        assert!(m.contains("unknown field"), "{m}");
    }

    /// A rule's or a calendar's `days` takes ranges as a `shift` table does (`"mon-fri"` had
    /// meant Monday alone, without a word), and refuses words that only begin with a day.
    #[test]
    fn days_lists_take_ranges_and_only_weekdays() {
        use crate::model::{Condition, DAY, TICKS_PER_SEC};
        let with = |days: &str| {
            format!(
                "{MINIMAL}\n[business_hours]\ndays = [{days}]\nhours = \"09:00-17:00\"\n\
                 [[rules]]\nname = \"r\"\nwhen = {{ days = [{days}] }}\nroute = [{{ team = \"support\" }}]\n"
            )
        };
        let m = parse_str("t.toml", &with("\"fri-mon\", \"Wednesday\"")).unwrap();
        // Friday to Monday over the weekend, and Wednesday: all but Tuesday and Thursday.
        assert_eq!(m.rules[0].when, [Condition::Days(0b111_0101)]);
        let ten = 10 * 3_600 * TICKS_PER_SEC;
        let open: Vec<bool> = (0..7)
            .map(|d| m.calendars[0].is_open(d * DAY + ten))
            .collect();
        assert_eq!(open, [true, false, true, false, true, true, true]);
        for bad in ["\"monkey\"", "\"mon fri\"", "\"mon-xyz\""] {
            let e = parse_str("t.toml", &with(bad)).unwrap_err().to_string();
            assert!(
                e.contains("is not a weekday or a range of them"),
                "{bad}: {e}"
            );
        }
    }

    /// Attribute weights each finite but past the largest number together are refused (every
    /// chat had taken the last value); large ones that add up are read by their ratios.
    #[test]
    fn attribute_weights_must_add_up_to_a_number() {
        let with = |weights: &str| {
            let text = MINIMAL.replace(
                "handle_time = \"5m\"",
                &format!("handle_time = \"5m\"\nattributes = {{ topic = {{ {weights} }} }}"),
            );
            parse_str("t.toml", &text)
        };
        let e = with("a = 1e308, b = 1e308").unwrap_err().to_string();
        assert!(e.contains("traffic[0].attributes.topic"), "{e}");
        assert!(e.contains("add up past the largest number"), "{e}");
        let m = with("a = 1e307, b = 3e307").unwrap();
        match &m.traffic[0].attributes[0].1 {
            crate::model::AttrChoice::Weighted(cum) => {
                assert!((cum[0].1 - 0.25).abs() < 1e-12, "{cum:?}")
            }
            other => panic!("{other:?}"),
        }
    }

    /// At most [`limits::MAX_TRAFFIC`] streams: the next one is named with its line (without a
    /// bound, 80,000 streams took `validate` a minute and 914 MB).
    #[test]
    fn traffic_streams_are_bounded() {
        let with = |n: usize| {
            let streams: String = (1..n)
                .map(|i| {
                    format!(
                        "[[traffic]]\nname = \"s{i}\"\nrate = \"1/day\"\nhandle_time = \"5m\"\n"
                    )
                })
                .collect();
            parse_str("t.toml", &format!("{MINIMAL}{streams}"))
        };
        assert!(with(limits::MAX_TRAFFIC).is_ok());
        let e = with(limits::MAX_TRAFFIC + 1).unwrap_err().to_string();
        assert!(
            e.contains("traffic[1000]: 1001 traffic streams is too many"),
            "{e}"
        );
        let line = MINIMAL.lines().count() + 4 * (limits::MAX_TRAFFIC - 1) + 1;
        assert!(e.contains(&format!("t.toml:{line}:")), "{e}");
    }
}
