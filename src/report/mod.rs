//! Exporters: turn a [`Summary`](crate::experiment::Summary) (or a comparison, a staffing, a
//! sweep) into bytes (a terminal table, JSON, CSV, an HTML page with charts).
//!
//! Exporters are pure: they return bytes and never touch files or the terminal; the CLI decides
//! where the bytes go. [`csv::ChatWriter`] is the one streaming exporter: a recorder that writes
//! each chat's row as the simulation produces it.

pub mod bench;
pub mod compare;
pub mod csv;
pub mod describe;
pub mod explain;
pub mod gate;
pub mod html;
mod pretty;
pub mod staff;
pub mod stress;
pub mod sweep;
pub mod table;

/// A summary (or a comparison, a staffing) as pretty-printed JSON, ending with a newline.
/// Times are in seconds.
pub fn json<T: serde::Serialize>(summary: &T) -> Vec<u8> {
    let mut out = Vec::with_capacity(128 * 1024);
    json_to(&mut out, summary).expect("results serialize");
    out
}

/// [`json`] written into `w` as it is made, for a report too large to hold twice (100,000
/// agents make 27 MB of it): the bytes are the same. An error is the writer's, or a value
/// without a JSON form (which the reports do not hold).
pub fn json_to<W: std::io::Write, T: ?Sized + serde::Serialize>(
    w: W,
    value: &T,
) -> std::io::Result<()> {
    let mut ser = pretty::Serializer::new(w);
    value.serialize(&mut ser).map_err(|e| match e {
        pretty::Error::Io(e) => e,
        pretty::Error::Value(m) => std::io::Error::other(m),
    })?;
    std::io::Write::write_all(&mut ser.finish()?, b"\n")
}

/// `serde_json`'s `PrettyFormatter` (two spaces a level), byte for byte, with a line's break
/// and indentation written at once: `PrettyFormatter` writes the indentation a level at a
/// time, one small copy each, which was most of the cost of a report with 100,000 agents.
#[derive(Debug, Default)]
struct Pretty {
    depth: usize,
    has_value: bool,
}

/// `,` and a line break, then the indentation of the deepest level written at once.
const BREAKS: &[u8; 2 + 2 * 32] =
    b",\n                                                                ";

impl Pretty {
    /// A line break (after a comma unless `first`) and the current indentation.
    fn new_line<W: ?Sized + std::io::Write>(&self, w: &mut W, first: bool) -> std::io::Result<()> {
        let from = if first { 1 } else { 0 };
        match BREAKS.get(from..2 + 2 * self.depth) {
            Some(text) => w.write_all(text),
            None => {
                w.write_all(&BREAKS[from..2])?;
                (0..self.depth).try_for_each(|_| w.write_all(b"  "))
            }
        }
    }
}

impl Pretty {
    /// `[` or `{`: one level deeper, nothing in it yet.
    #[inline]
    fn open<W: ?Sized + std::io::Write>(&mut self, w: &mut W, b: &[u8]) -> std::io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        w.write_all(b)
    }

    /// `]` or `}`: on a line of its own after a value, at the outer level.
    #[inline]
    fn close<W: ?Sized + std::io::Write>(&mut self, w: &mut W, b: &[u8]) -> std::io::Result<()> {
        self.depth -= 1;
        if self.has_value {
            self.new_line(w, true)?;
        }
        w.write_all(b)
    }
}

impl serde_json::ser::Formatter for Pretty {
    #[inline]
    fn begin_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.open(w, b"[")
    }

    #[inline]
    fn end_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.close(w, b"]")
    }

    #[inline]
    fn begin_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.new_line(w, first)
    }

    #[inline]
    fn end_array_value<W: ?Sized + std::io::Write>(&mut self, _: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    #[inline]
    fn begin_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.open(w, b"{")
    }

    #[inline]
    fn end_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.close(w, b"}")
    }

    #[inline]
    fn begin_object_key<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.new_line(w, first)
    }

    #[inline]
    fn begin_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        w.write_all(b": ")
    }

    #[inline]
    fn end_object_value<W: ?Sized + std::io::Write>(&mut self, _: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

/// Warnings as lines for people: `warning: ...`, the first
/// [`MAX_DIAGNOSTICS`](crate::scenario::limits::MAX_DIAGNOSTICS), then how many more (the JSON
/// keeps them all).
pub fn warning_lines(warnings: &[String]) -> String {
    let limit = crate::scenario::limits::MAX_DIAGNOSTICS;
    let mut out = String::new();
    for w in warnings.iter().take(limit) {
        out.push_str("warning: ");
        out.push_str(w);
        out.push('\n');
    }
    if warnings.len() > limit {
        out.push_str(&format!(
            "warning: ... and {} more warnings, not shown (--format json lists them all)\n",
            warnings.len() - limit
        ));
    }
    out
}

/// A duration in seconds for people: `4.2s`, `42s`, `1m30s`, `2h05m`; `-` for none.
pub fn human_secs(secs: Option<f64>) -> String {
    let Some(s) = secs else { return "-".into() };
    if s < 9.95 {
        format!("{s:.1}s")
    } else if s < 59.5 {
        format!("{s:.0}s")
    } else if s < 3_599.5 {
        let t = s.round() as u64;
        format!("{}m{:02}s", t / 60, t % 60)
    } else {
        let t = (s / 60.0).round() as u64;
        format!("{}h{:02}m", t / 60, t % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::human_secs;

    #[test]
    fn durations_are_humanised() {
        let cases = [
            (None, "-"),
            (Some(0.0), "0.0s"),
            (Some(4.24), "4.2s"),
            (Some(42.4), "42s"),
            (Some(90.0), "1m30s"),
            (Some(3_599.9), "1h00m"),
            (Some(7_500.0), "2h05m"),
        ];
        for (s, want) in cases {
            assert_eq!(human_secs(s), want, "{s:?}");
        }
    }
}

#[cfg(test)]
mod json_tests {
    use proptest::prelude::*;
    use serde_json::Value;

    fn value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<f64>().prop_map(|x| serde_json::json!(x)),
            any::<i64>().prop_map(|x| serde_json::json!(x)),
            "[a-z \"\\\n]{0,5}".prop_map(Value::String),
        ];
        leaf.prop_recursive(40, 400, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                proptest::collection::btree_map("[a-z\"]{0,3}", inner, 0..4)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn json_is_what_to_vec_pretty_writes(v in value()) {
            let mut expected = serde_json::to_vec_pretty(&v).unwrap();
            expected.push(b'\n');
            prop_assert_eq!(String::from_utf8(super::json(&v)).unwrap(), String::from_utf8(expected).unwrap());
        }
    }

    #[test]
    fn json_deeper_than_the_indentation_at_hand_is_still_pretty() {
        let mut v = serde_json::json!({"a": [1, {"b": []}], "c": {}});
        for _ in 0..40 {
            v = serde_json::json!({ "x": [v] });
        }
        let mut expected = serde_json::to_vec_pretty(&v).unwrap();
        expected.push(b'\n');
        assert_eq!(super::json(&v), expected);
    }
}
