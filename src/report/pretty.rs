//! Pretty JSON, byte for byte what `serde_json::to_writer_pretty` writes, without its cost per
//! string.
//!
//! `serde_json` scans every string a byte at a time through its escape table and writes it in
//! three calls, keys included: with 100,000 agents that was half of the report's time (about
//! 1,100,000 strings, each row's ten keys and its name). [`Serializer`] checks a string for a
//! byte that needs escaping in one pass and writes a string without any at once; a string
//! with one goes through `serde_json`'s own escaping. Everything else is written by
//! `serde_json`'s [`Formatter`] methods (numbers, `null`, the layout of [`Pretty`]), in the
//! order `serde_json`'s serializer calls them, so the bytes are the same.

use std::fmt::Display;
use std::io;

use serde::ser::{self, Impossible, Serialize};
use serde_json::ser::Formatter;

use super::Pretty;

/// Why a value could not be written: the writer failed, or the value is not JSON (a map key
/// that is not a string, a number, a boolean or a unit variant; a float key that is not
/// finite).
#[derive(Debug)]
pub enum Error {
    /// The writer failed.
    Io(io::Error),
    /// The value has no JSON form.
    Value(String),
}

impl Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Io(e) => e.fmt(f),
            Error::Value(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for Error {}

impl ser::Error for Error {
    fn custom<T: Display>(msg: T) -> Self {
        Error::Value(msg.to_string())
    }
}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Self {
        Error::Io(e)
    }
}

type Result<T> = std::result::Result<T, Error>;

/// Whether `s` has a byte JSON escapes: `"`, `\` or a control below 0x20 (`serde_json`'s
/// table; bytes of multi-byte characters are all 0x80 or above and never escaped).
#[inline]
fn needs_escape(s: &[u8]) -> bool {
    // Eight bytes at a time: a byte below 0x20, and a byte equal to `"` or `\` (one that is
    // zero after the xor), set the high bit of the result. These tests are exact for the word
    // as a whole, which is all that is asked.
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let below = |x: u64, n: u64| x.wrapping_sub(ONES * n) & !x & HIGH;
    let special =
        |x: u64| below(x, 0x20) | below(x ^ (ONES * 0x22), 1) | below(x ^ (ONES * 0x5C), 1);
    let word = |w: &[u8]| u64::from_le_bytes(w.try_into().expect("eight bytes"));
    if s.len() < 8 {
        return s.iter().any(|&b| b < 0x20 || b == b'"' || b == b'\\');
    }
    let mut words = s.chunks_exact(8);
    if words.any(|w| special(word(w)) != 0) {
        return true;
    }
    // The last eight bytes, which overlap the words read when the length is not a multiple.
    special(word(&s[s.len() - 8..])) != 0
}

/// Writes `s` as a JSON string. A string with no byte to escape is copied at once; any other
/// is escaped by `serde_json`.
#[inline(always)]
fn write_str(out: &mut Vec<u8>, s: &str) {
    if needs_escape(s.as_bytes()) {
        return serde_json::to_writer(out, s).expect("a string serializes into memory");
    }
    out.reserve(s.len() + 2);
    out.push(b'"');
    out.extend_from_slice(s.as_bytes());
    out.push(b'"');
}

/// Bytes gathered before they are passed on to the writer: small writes go into memory, where
/// they are a copy each, and the writer gets a few large ones.
const CHUNK: usize = 64 * 1024;

/// Slots of the cache of field names.
const FIELDS: usize = 256;

/// A field name's place in the cache: its address and length, the depth and whether it is the
/// first in its object.
type FieldId = (usize, usize, usize, bool);

/// A serializer that writes what `serde_json::Serializer::with_formatter(w, Pretty)` writes.
pub struct Serializer<W> {
    /// Written, not yet passed on.
    out: Vec<u8>,
    sink: W,
    f: Pretty,
    /// Field names as written lately, with what comes before their value (see
    /// `Compound::field`): a small cache by address, each slot the last name met there.
    fields: Vec<Option<(FieldId, Box<[u8]>)>>,
}

impl<W: io::Write> Serializer<W> {
    /// Writes into `sink`.
    pub fn new(sink: W) -> Self {
        Serializer {
            out: Vec::with_capacity(CHUNK + CHUNK / 2),
            sink,
            f: Pretty::default(),
            fields: vec![None; FIELDS],
        }
    }

    /// Passes what is written on to the writer, and returns it.
    pub fn finish(mut self) -> io::Result<W> {
        self.sink.write_all(&self.out)?;
        Ok(self.sink)
    }

    /// Passes what is written on once there is a chunk of it.
    #[inline]
    fn pass_on(&mut self) -> io::Result<()> {
        if self.out.len() >= CHUNK {
            self.sink.write_all(&self.out)?;
            self.out.clear();
        }
        Ok(())
    }

    /// `{"variant": ` of an externally tagged variant.
    fn variant_key(&mut self, variant: &str) -> io::Result<()> {
        self.f.begin_object(&mut self.out)?;
        self.f.begin_object_key(&mut self.out, true)?;
        write_str(&mut self.out, variant);
        self.f.end_object_key(&mut self.out)?;
        self.f.begin_object_value(&mut self.out)
    }
}

/// Where a compound is: nothing written in it (and already closed), before its first element,
/// or after one.
#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Empty,
    First,
    Rest,
}

/// An array or an object being written.
pub struct Compound<'a, W> {
    ser: &'a mut Serializer<W>,
    state: State,
}

impl<'a, W: io::Write> ser::Serializer for &'a mut Serializer<W> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Compound<'a, W>;
    type SerializeTuple = Compound<'a, W>;
    type SerializeTupleStruct = Compound<'a, W>;
    type SerializeTupleVariant = Compound<'a, W>;
    type SerializeMap = Compound<'a, W>;
    type SerializeStruct = Compound<'a, W>;
    type SerializeStructVariant = Compound<'a, W>;

    fn serialize_bool(self, v: bool) -> Result<()> {
        Ok(self.f.write_bool(&mut self.out, v)?)
    }
    fn serialize_i8(self, v: i8) -> Result<()> {
        Ok(self.f.write_i8(&mut self.out, v)?)
    }
    fn serialize_i16(self, v: i16) -> Result<()> {
        Ok(self.f.write_i16(&mut self.out, v)?)
    }
    fn serialize_i32(self, v: i32) -> Result<()> {
        Ok(self.f.write_i32(&mut self.out, v)?)
    }
    fn serialize_i64(self, v: i64) -> Result<()> {
        Ok(self.f.write_i64(&mut self.out, v)?)
    }
    fn serialize_i128(self, v: i128) -> Result<()> {
        Ok(self.f.write_i128(&mut self.out, v)?)
    }
    fn serialize_u8(self, v: u8) -> Result<()> {
        Ok(self.f.write_u8(&mut self.out, v)?)
    }
    fn serialize_u16(self, v: u16) -> Result<()> {
        Ok(self.f.write_u16(&mut self.out, v)?)
    }
    fn serialize_u32(self, v: u32) -> Result<()> {
        Ok(self.f.write_u32(&mut self.out, v)?)
    }
    fn serialize_u64(self, v: u64) -> Result<()> {
        Ok(self.f.write_u64(&mut self.out, v)?)
    }
    fn serialize_u128(self, v: u128) -> Result<()> {
        Ok(self.f.write_u128(&mut self.out, v)?)
    }
    fn serialize_f32(self, v: f32) -> Result<()> {
        // NaN and the infinities have no JSON form: `null`, as serde_json writes them.
        match v.is_finite() {
            true => self.f.write_f32(&mut self.out, v)?,
            false => self.f.write_null(&mut self.out)?,
        }
        Ok(())
    }
    fn serialize_f64(self, v: f64) -> Result<()> {
        match v.is_finite() {
            true => self.f.write_f64(&mut self.out, v)?,
            false => self.f.write_null(&mut self.out)?,
        }
        Ok(())
    }
    fn serialize_char(self, v: char) -> Result<()> {
        self.serialize_str(v.encode_utf8(&mut [0; 4]))
    }
    #[inline]
    fn serialize_str(self, v: &str) -> Result<()> {
        write_str(&mut self.out, v);
        Ok(())
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<()> {
        Ok(self.f.write_byte_array(&mut self.out, v)?)
    }
    fn serialize_none(self) -> Result<()> {
        self.serialize_unit()
    }
    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<()> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<()> {
        Ok(self.f.write_null(&mut self.out)?)
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<()> {
        self.serialize_unit()
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> Result<()> {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<()> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<()> {
        self.variant_key(variant)?;
        value.serialize(&mut *self)?;
        self.f.end_object_value(&mut self.out)?;
        Ok(self.f.end_object(&mut self.out)?)
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<Compound<'a, W>> {
        self.f.begin_array(&mut self.out)?;
        let state = if len == Some(0) {
            self.f.end_array(&mut self.out)?;
            State::Empty
        } else {
            State::First
        };
        Ok(Compound { ser: self, state })
    }
    fn serialize_tuple(self, len: usize) -> Result<Compound<'a, W>> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(self, _: &'static str, len: usize) -> Result<Compound<'a, W>> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Compound<'a, W>> {
        self.variant_key(variant)?;
        self.serialize_seq(Some(len))
    }
    fn serialize_map(self, len: Option<usize>) -> Result<Compound<'a, W>> {
        self.f.begin_object(&mut self.out)?;
        let state = if len == Some(0) {
            self.f.end_object(&mut self.out)?;
            State::Empty
        } else {
            State::First
        };
        Ok(Compound { ser: self, state })
    }
    fn serialize_struct(self, _: &'static str, len: usize) -> Result<Compound<'a, W>> {
        self.serialize_map(Some(len))
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Compound<'a, W>> {
        self.variant_key(variant)?;
        self.serialize_map(Some(len))
    }
}

impl<'a, W: io::Write> Compound<'a, W> {
    fn element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<()> {
        let first = self.state == State::First;
        self.ser.f.begin_array_value(&mut self.ser.out, first)?;
        self.state = State::Rest;
        value.serialize(&mut *self.ser)?;
        self.ser.f.end_array_value(&mut self.ser.out)?;
        Ok(self.ser.pass_on()?)
    }

    /// `]`, unless the array was closed when it was opened empty.
    fn end_array(self) -> Result<&'a mut Serializer<W>> {
        if self.state != State::Empty {
            self.ser.f.end_array(&mut self.ser.out)?;
        }
        Ok(self.ser)
    }

    /// `}`, unless the object was closed when it was opened empty.
    fn end_object(self) -> Result<&'a mut Serializer<W>> {
        if self.state != State::Empty {
            self.ser.f.end_object(&mut self.ser.out)?;
        }
        Ok(self.ser)
    }

    /// A key whose value follows: a `&'static str` field name, or any map key.
    #[inline]
    fn key<T: ?Sized + Serialize>(&mut self, key: &T) -> Result<()> {
        let first = self.state == State::First;
        self.ser.f.begin_object_key(&mut self.ser.out, first)?;
        self.state = State::Rest;
        key.serialize(KeySerializer {
            ser: &mut *self.ser,
        })?;
        Ok(self.ser.f.end_object_key(&mut self.ser.out)?)
    }

    /// A struct's field name and what comes before its value (the line break, the
    /// indentation, `": "`): the bytes are the same each time a name is met at a depth, so
    /// they are made once and copied after (a report's rows repeat the same ten names).
    #[inline]
    fn field(&mut self, key: &'static str) -> Result<()> {
        let first = self.state == State::First;
        self.state = State::Rest;
        let ser = &mut *self.ser;
        // A field name is static: its address and length say which it is.
        let id = (key.as_ptr() as usize, key.len(), ser.f.depth, first);
        let mix = (id.0 ^ id.1 << 48 ^ id.2 << 40 ^ (first as usize) << 39)
            .wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let home = mix >> (usize::BITS - FIELDS.trailing_zeros()) as usize;
        // The name's slot, or a free one near its home (else its home, whose name it replaces).
        let mut slot = home;
        for probe in 0..4 {
            let at = (home + probe) % FIELDS;
            match &ser.fields[at] {
                Some((seen, bytes)) if *seen == id => {
                    ser.out.extend_from_slice(bytes);
                    return Ok(());
                }
                Some(_) => {}
                None => {
                    slot = at;
                    break;
                }
            }
        }
        let start = ser.out.len();
        ser.f.begin_object_key(&mut ser.out, first)?;
        write_str(&mut ser.out, key);
        ser.f.end_object_key(&mut ser.out)?;
        ser.f.begin_object_value(&mut ser.out)?;
        ser.fields[slot] = Some((id, ser.out[start..].into()));
        Ok(())
    }

    #[inline]
    fn value<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<()> {
        self.ser.f.begin_object_value(&mut self.ser.out)?;
        value.serialize(&mut *self.ser)?;
        self.ser.f.end_object_value(&mut self.ser.out)?;
        Ok(self.ser.pass_on()?)
    }

    /// Closes the `{"variant": ...}` around a variant's contents.
    fn end_variant(ser: &mut Serializer<W>) -> Result<()> {
        ser.f.end_object_value(&mut ser.out)?;
        Ok(ser.f.end_object(&mut ser.out)?)
    }
}

impl<W: io::Write> ser::SerializeSeq for Compound<'_, W> {
    type Ok = ();
    type Error = Error;
    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<()> {
        self.element(value)
    }
    fn end(self) -> Result<()> {
        self.end_array().map(|_| ())
    }
}

impl<W: io::Write> ser::SerializeTuple for Compound<'_, W> {
    type Ok = ();
    type Error = Error;
    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<()> {
        self.element(value)
    }
    fn end(self) -> Result<()> {
        self.end_array().map(|_| ())
    }
}

impl<W: io::Write> ser::SerializeTupleStruct for Compound<'_, W> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<()> {
        self.element(value)
    }
    fn end(self) -> Result<()> {
        self.end_array().map(|_| ())
    }
}

impl<W: io::Write> ser::SerializeTupleVariant for Compound<'_, W> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<()> {
        self.element(value)
    }
    fn end(self) -> Result<()> {
        Self::end_variant(self.end_array()?)
    }
}

impl<W: io::Write> ser::SerializeMap for Compound<'_, W> {
    type Ok = ();
    type Error = Error;
    fn serialize_key<T: ?Sized + Serialize>(&mut self, key: &T) -> Result<()> {
        self.key(key)
    }
    fn serialize_value<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<()> {
        self.value(value)
    }
    fn end(self) -> Result<()> {
        self.end_object().map(|_| ())
    }
}

impl<W: io::Write> ser::SerializeStruct for Compound<'_, W> {
    type Ok = ();
    type Error = Error;
    #[inline]
    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<()> {
        self.field(key)?;
        value.serialize(&mut *self.ser)?;
        self.ser.f.end_object_value(&mut self.ser.out)?;
        Ok(self.ser.pass_on()?)
    }
    fn end(self) -> Result<()> {
        self.end_object().map(|_| ())
    }
}

impl<W: io::Write> ser::SerializeStructVariant for Compound<'_, W> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<()> {
        self.key(key)?;
        self.value(value)
    }
    fn end(self) -> Result<()> {
        Self::end_variant(self.end_object()?)
    }
}

/// A map key, as `serde_json` writes one: a string as it is; a number or a boolean in quotes;
/// anything else is an error.
struct KeySerializer<'a, W> {
    ser: &'a mut Serializer<W>,
}

impl<W: io::Write> KeySerializer<'_, W> {
    /// `write` between quotes.
    fn quoted(self, write: impl FnOnce(&mut Pretty, &mut Vec<u8>) -> io::Result<()>) -> Result<()> {
        let Serializer { out: w, f, .. } = self.ser;
        f.begin_string(w)?;
        write(f, w)?;
        Ok(f.end_string(w)?)
    }
}

fn key_must_be_a_string() -> Error {
    Error::Value("key must be a string".into())
}

impl<W: io::Write> ser::Serializer for KeySerializer<'_, W> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Impossible<(), Error>;
    type SerializeTuple = Impossible<(), Error>;
    type SerializeTupleStruct = Impossible<(), Error>;
    type SerializeTupleVariant = Impossible<(), Error>;
    type SerializeMap = Impossible<(), Error>;
    type SerializeStruct = Impossible<(), Error>;
    type SerializeStructVariant = Impossible<(), Error>;

    #[inline]
    fn serialize_str(self, v: &str) -> Result<()> {
        write_str(&mut self.ser.out, v);
        Ok(())
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> Result<()> {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<()> {
        value.serialize(self)
    }
    fn serialize_bool(self, v: bool) -> Result<()> {
        self.quoted(|f, w| f.write_bool(w, v))
    }
    fn serialize_i8(self, v: i8) -> Result<()> {
        self.quoted(|f, w| f.write_i8(w, v))
    }
    fn serialize_i16(self, v: i16) -> Result<()> {
        self.quoted(|f, w| f.write_i16(w, v))
    }
    fn serialize_i32(self, v: i32) -> Result<()> {
        self.quoted(|f, w| f.write_i32(w, v))
    }
    fn serialize_i64(self, v: i64) -> Result<()> {
        self.quoted(|f, w| f.write_i64(w, v))
    }
    fn serialize_i128(self, v: i128) -> Result<()> {
        self.quoted(|f, w| f.write_i128(w, v))
    }
    fn serialize_u8(self, v: u8) -> Result<()> {
        self.quoted(|f, w| f.write_u8(w, v))
    }
    fn serialize_u16(self, v: u16) -> Result<()> {
        self.quoted(|f, w| f.write_u16(w, v))
    }
    fn serialize_u32(self, v: u32) -> Result<()> {
        self.quoted(|f, w| f.write_u32(w, v))
    }
    fn serialize_u64(self, v: u64) -> Result<()> {
        self.quoted(|f, w| f.write_u64(w, v))
    }
    fn serialize_u128(self, v: u128) -> Result<()> {
        self.quoted(|f, w| f.write_u128(w, v))
    }
    fn serialize_f32(self, v: f32) -> Result<()> {
        if !v.is_finite() {
            return Err(Error::Value("float key must be finite".into()));
        }
        self.quoted(|f, w| f.write_f32(w, v))
    }
    fn serialize_f64(self, v: f64) -> Result<()> {
        if !v.is_finite() {
            return Err(Error::Value("float key must be finite".into()));
        }
        self.quoted(|f, w| f.write_f64(w, v))
    }
    fn serialize_char(self, v: char) -> Result<()> {
        self.serialize_str(v.encode_utf8(&mut [0; 4]))
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<()> {
        Err(key_must_be_a_string())
    }
    fn serialize_unit(self) -> Result<()> {
        Err(key_must_be_a_string())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<()> {
        Err(key_must_be_a_string())
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<()> {
        Err(key_must_be_a_string())
    }
    fn serialize_none(self) -> Result<()> {
        Err(key_must_be_a_string())
    }
    fn serialize_some<T: ?Sized + Serialize>(self, _: &T) -> Result<()> {
        Err(key_must_be_a_string())
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq> {
        Err(key_must_be_a_string())
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple> {
        Err(key_must_be_a_string())
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct> {
        Err(key_must_be_a_string())
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant> {
        Err(key_must_be_a_string())
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap> {
        Err(key_must_be_a_string())
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct> {
        Err(key_must_be_a_string())
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant> {
        Err(key_must_be_a_string())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use proptest::prelude::*;
    use serde::Serialize;

    /// What `serde_json` writes with [`super::Pretty`].
    fn serde_json_bytes<T: Serialize>(v: &T) -> Vec<u8> {
        let mut out = Vec::new();
        let mut ser = serde_json::Serializer::with_formatter(&mut out, super::Pretty::default());
        v.serialize(&mut ser).unwrap();
        out
    }

    fn ours<T: Serialize>(v: &T) -> Vec<u8> {
        let mut ser = super::Serializer::new(Vec::new());
        v.serialize(&mut ser).unwrap();
        ser.finish().unwrap()
    }

    #[derive(Debug, Serialize)]
    enum Kind {
        Unit,
        Newtype(f64),
        Tuple(u8, Option<String>),
        Struct { a: i128, b: Vec<u8> },
    }

    #[derive(Debug, Serialize)]
    struct Unit;

    #[derive(Debug, Serialize)]
    struct Row {
        name: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        maybe: Option<f32>,
        kinds: Vec<Kind>,
        by_number: BTreeMap<i64, bool>,
        by_flag: BTreeMap<bool, char>,
        by_unit: BTreeMap<String, Unit>,
        pair: (u64, f64),
        #[serde(with = "serde_bytes_like")]
        raw: Vec<u8>,
        empty: Vec<()>,
        nested: Vec<Vec<Row>>,
    }

    /// Bytes as serde's `serialize_bytes`, which `serde_json` writes as an array.
    mod serde_bytes_like {
        pub fn serialize<S: serde::Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
            s.serialize_bytes(v)
        }
    }

    fn row() -> impl Strategy<Value = Row> {
        // Any characters, controls and quotes included, in strings both shorter and longer
        // than a word.
        let text = || {
            proptest::string::string_regex("(.|[\\x00-\\x1f\"\\\\\u{7f}\u{e9}\u{1f600}]){0,20}")
                .unwrap()
        };
        (
            text(),
            proptest::option::of(any::<f32>()),
            any::<(u8, i128, f64, i64, bool, char, u64)>(),
            proptest::collection::vec(any::<u8>(), 0..3),
            proptest::option::of(text()),
            text(),
        )
            .prop_map(|(name, maybe, (u, i, f, k, flag, c, n), raw, opt, key)| {
                let kinds = vec![
                    Kind::Unit,
                    Kind::Newtype(f),
                    Kind::Tuple(u, opt),
                    Kind::Struct {
                        a: i,
                        b: raw.clone(),
                    },
                ];
                Row {
                    name: name.clone(),
                    maybe,
                    kinds,
                    by_number: [(k, flag), (k.wrapping_add(1), !flag)].into(),
                    by_flag: [(flag, c)].into(),
                    by_unit: [(key, Unit)].into(),
                    pair: (n, f64::from(f32::from_bits(n as u32))),
                    raw,
                    empty: Vec::new(),
                    nested: vec![Vec::new()],
                }
            })
    }

    proptest! {
        #[test]
        fn rows_are_written_as_serde_json_writes_them(rows in proptest::collection::vec(row(), 0..4)) {
            let (want, got) = (serde_json_bytes(&rows), ours(&rows));
            prop_assert_eq!(String::from_utf8(got).unwrap(), String::from_utf8(want).unwrap());
        }

        #[test]
        fn strings_are_escaped_as_serde_json_escapes_them(s in "(.|[\\x00-\\x1f\"\\\\]){0,40}") {
            prop_assert_eq!(ours(&s), serde_json_bytes(&s));
            prop_assert_eq!(super::needs_escape(s.as_bytes()), serde_json::to_string(&s).unwrap().len() != s.len() + 2);
        }
    }

    #[test]
    fn every_byte_is_escaped_or_not_as_serde_json_does_at_every_place_in_a_word() {
        for b in 0u8..0x80 {
            for at in 0..17 {
                let mut s = "abcdefghijklmnop".to_string();
                s.insert(at, b as char);
                assert_eq!(ours(&s), serde_json_bytes(&s), "byte {b:#x} at {at}");
            }
        }
    }

    #[test]
    fn map_keys_without_a_json_form_are_errors() {
        let by_pair: BTreeMap<(u8, u8), u8> = [((1, 2), 3)].into();
        let mut ser = super::Serializer::new(Vec::new());
        assert!(by_pair.serialize(&mut ser).is_err());
        let by_nan: Vec<(f64, u8)> = vec![(f64::NAN, 1)];
        let map: BTreeMap<String, f64> = [("x".into(), f64::INFINITY)].into();
        assert_eq!(ours(&map), serde_json_bytes(&map));
        assert_eq!(ours(&by_nan), serde_json_bytes(&by_nan));
    }

    #[test]
    fn a_report_larger_than_a_chunk_is_passed_on_whole() {
        let names: Vec<String> = (0..20_000).map(|k| format!("agent-{k}")).collect();
        let mut sink = Vec::new();
        super::super::json_to(&mut sink, &names).unwrap();
        let mut want = serde_json::to_vec_pretty(&names).unwrap();
        want.push(b'\n');
        assert_eq!(sink, want);
    }
}
