//! Gathering a body's [`Shape`] during the typed parse, so that decoding
//! reads the bytes once.
//!
//! A provider's wire type is deserialized through thin adapters around
//! serde_json's deserializer: at the top level and one level into an
//! envelope they note each key and the values detection reads (`status`
//! and the [`WordKey`](crate::providers::format::WordKey)s) as they pass, exactly
//! as the scan does. Keys the wire
//! type does not know are still noted (serde asks for every key, and skipped
//! envelopes are walked with the same adapters), so the shape is the whole
//! body's, whatever type was parsed. Deeper values, and the values detection
//! does not read, go to serde_json through the [`strict`](super::strict)
//! adapters, which read what the wire type skips as a `Value` parse would.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use super::strict::{StrictEnum, StrictMap, StrictSeed, StrictSeq};
use super::{LaterRecord, Level, Scalar, Shape, Status};
use crate::providers::format::{Envelope, KeyInfo, KeyTable};

/// Parses `text` as `T`, noting its shape in `shape` (a fresh one, as
/// [`Shape::of`] gives) on the way.
#[inline]
pub(crate) fn parse<'de, T: de::Deserialize<'de>>(
    text: &'de str,
    shape: &mut Shape<'de>,
) -> Result<T, serde_json::Error> {
    let table = KeyTable::get();
    let mut json = serde_json::Deserializer::from_str(text);
    let value = T::deserialize(Noting {
        inner: &mut json,
        note: Note::Top(shape, table),
    })?;
    json.end()?;
    Ok(value)
}

/// Where a value's keys go.
enum Note<'s, 'de> {
    /// The body: its keys, its envelopes' levels.
    Top(&'s mut Shape<'de>, &'static KeyTable),
    /// An envelope's record(s).
    Inner(&'s mut Level<'de>, &'static KeyTable),
    /// One record of a list inside an envelope.
    Record(&'s mut Level<'de>, &'static KeyTable),
    /// A value detection reads: `status`'s, or a word key's.
    Value(&'s mut Status<'de>),
}

/// A deserializer that notes what passes through it.
struct Noting<'s, 'de, D> {
    inner: D,
    note: Note<'s, 'de>,
}

/// A visitor that notes what it is shown, then shows it to `inner`.
struct NotingVisitor<'s, 'de, V> {
    inner: V,
    note: Note<'s, 'de>,
}

macro_rules! forward_deserialize {
    ($($method:ident($($arg:ident: $ty:ty),*)),* $(,)?) => {
        $(
            fn $method<V: Visitor<'de>>(self, $($arg: $ty,)* visitor: V) -> Result<V::Value, D::Error> {
                self.inner.$method($($arg,)* NotingVisitor { inner: visitor, note: self.note })
            }
        )*
    };
}

impl<'s, 'de, D: Deserializer<'de>> Deserializer<'de> for Noting<'s, 'de, D> {
    type Error = D::Error;

    with_deserialize_methods!(forward_deserialize);

    /// A value the wire type skips is still read, so its keys (or, for a
    /// `status`, its kind and word) are noted as the scan notes them (and
    /// what lies deeper is read by the [`strict`](super::strict) adapters).
    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.inner.deserialize_any(NotingVisitor {
            inner: visitor,
            note: self.note,
        })
    }

    fn is_human_readable(&self) -> bool {
        self.inner.is_human_readable()
    }
}

impl<'s, 'de, V: Visitor<'de>> NotingVisitor<'s, 'de, V> {
    fn status(&mut self, status: Status<'de>) {
        if let Note::Value(slot) = &mut self.note {
            **slot = status;
        }
    }
}

macro_rules! forward_scalar {
    ($($method:ident($ty:ty) => $status:expr),* $(,)?) => {
        $(
            fn $method<E: de::Error>(mut self, value: $ty) -> Result<V::Value, E> {
                self.status($status(&value));
                self.inner.$method(value)
            }
        )*
    };
}

impl<'s, 'de, V: Visitor<'de>> Visitor<'de> for NotingVisitor<'s, 'de, V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.expecting(f)
    }

    forward_scalar! {
        visit_bool(bool) => |_: &bool| Status::Other,
        visit_i8(i8) => |code: &i8| Status::code(*code),
        visit_i16(i16) => |code: &i16| Status::code(*code),
        visit_i32(i32) => |code: &i32| Status::code(*code),
        visit_i64(i64) => |code: &i64| Status::code(*code),
        visit_i128(i128) => |code: &i128| Status::code(*code),
        visit_u8(u8) => |code: &u8| Status::code(*code),
        visit_u16(u16) => |code: &u16| Status::code(*code),
        visit_u32(u32) => |code: &u32| Status::code(*code),
        visit_u64(u64) => |code: &u64| Status::code(*code),
        visit_u128(u128) => |code: &u128| Status::code(*code),
        visit_f32(f32) => |_: &f32| Status::Other,
        visit_f64(f64) => |_: &f64| Status::Other,
        visit_char(char) => |_: &char| Status::Other,
    }

    fn visit_str<E: de::Error>(mut self, value: &str) -> Result<V::Value, E> {
        if matches!(self.note, Note::Value(_)) {
            self.status(Scalar::of_text(value).0);
        }
        self.inner.visit_str(value)
    }

    fn visit_borrowed_str<E: de::Error>(mut self, value: &'de str) -> Result<V::Value, E> {
        if matches!(self.note, Note::Value(_)) {
            self.status(Scalar::of_text(value).0);
        }
        self.inner.visit_borrowed_str(value)
    }

    fn visit_string<E: de::Error>(mut self, value: String) -> Result<V::Value, E> {
        if matches!(self.note, Note::Value(_)) {
            self.status(Scalar::of_text(&value).0);
        }
        self.inner.visit_string(value)
    }

    fn visit_bytes<E: de::Error>(mut self, value: &[u8]) -> Result<V::Value, E> {
        self.status(Status::Other);
        self.inner.visit_bytes(value)
    }

    // A `null` is no word, as if the key were absent (the scan agrees).
    fn visit_none<E: de::Error>(mut self) -> Result<V::Value, E> {
        self.status(Status::Absent);
        self.inner.visit_none()
    }

    fn visit_unit<E: de::Error>(mut self) -> Result<V::Value, E> {
        self.status(Status::Absent);
        self.inner.visit_unit()
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<V::Value, D::Error> {
        self.inner.visit_some(Noting {
            inner: deserializer,
            note: self.note,
        })
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<V::Value, D::Error> {
        self.inner.visit_newtype_struct(Noting {
            inner: deserializer,
            note: self.note,
        })
    }

    fn visit_map<A: MapAccess<'de>>(mut self, map: A) -> Result<V::Value, A::Error> {
        self.status(Status::Other);
        match self.note {
            Note::Top(shape, table) => {
                shape.top.records = 1;
                self.inner.visit_map(NotingMap {
                    inner: map,
                    level: Where::Top(shape),
                    table,
                    first: true,
                    later: LaterRecord::default(),
                    next: Next::Plain,
                })
            }
            Note::Inner(level, table) | Note::Record(level, table) => {
                let first = level.records == 0;
                level.records += 1;
                self.inner.visit_map(NotingMap {
                    inner: map,
                    level: Where::Inner(level),
                    table,
                    first,
                    later: LaterRecord::default(),
                    next: Next::Plain,
                })
            }
            Note::Value(_) => self.inner.visit_map(StrictMap(map)),
        }
    }

    fn visit_seq<A: SeqAccess<'de>>(mut self, seq: A) -> Result<V::Value, A::Error> {
        self.status(Status::Other);
        match self.note {
            Note::Top(shape, table) => {
                shape.is_list = true;
                shape.inner.push((Envelope::LIST, Level::default()));
                let level = &mut shape.inner.last_mut().expect("just pushed").1;
                self.inner.visit_seq(NotingSeq {
                    inner: seq,
                    level,
                    table,
                })
            }
            Note::Inner(level, table) => self.inner.visit_seq(NotingSeq {
                inner: seq,
                level,
                table,
            }),
            Note::Record(..) | Note::Value(_) => self.inner.visit_seq(StrictSeq(seq)),
        }
    }

    fn visit_enum<A: de::EnumAccess<'de>>(self, data: A) -> Result<V::Value, A::Error> {
        self.inner.visit_enum(StrictEnum(data))
    }
}

/// Which level a map's keys go to.
enum Where<'s, 'de> {
    Top(&'s mut Shape<'de>),
    Inner(&'s mut Level<'de>),
}

/// What the value after the last key is.
#[derive(Clone, Copy)]
enum Next {
    Plain,
    /// A value detection reads: `status` or a word key.
    Read(KeyInfo),
    Envelope(&'static str),
}

struct NotingMap<'s, 'de, A> {
    inner: A,
    level: Where<'s, 'de>,
    table: &'static KeyTable,
    /// Whether this is the level's first record (whose `status` counts).
    first: bool,
    /// What a later record says of its status.
    later: LaterRecord<'de>,
    next: Next,
}

impl<'s, 'de, A: MapAccess<'de>> MapAccess<'de> for NotingMap<'s, 'de, A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        let mut key = None;
        let value = self.inner.next_key_seed(KeySeed {
            inner: seed,
            table: self.table,
            key: &mut key,
        })?;
        if let Some(info) = key {
            self.next = Next::Plain;
            match &mut self.level {
                Where::Top(shape) => {
                    if info.is_status || info.word.is_some() {
                        self.next = Next::Read(info);
                    } else if let Some(envelope) = info.envelope {
                        if shape.inner(envelope).is_none() {
                            self.next = Next::Envelope(envelope);
                        }
                    }
                    shape.top.note(self.table, info);
                }
                Where::Inner(level) => {
                    if self.first {
                        if info.is_status || info.word.is_some() {
                            self.next = Next::Read(info);
                        }
                        level.note(self.table, info);
                    } else {
                        if info.is_status {
                            self.next = Next::Read(info);
                        }
                        self.later.note(info);
                        if level.is_new(info.id) {
                            level.note(self.table, info);
                        }
                    }
                }
            }
        } else if let Where::Inner(level) = &mut self.level {
            // The record ends.
            std::mem::take(&mut self.later).end(level);
        }
        Ok(value)
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, A::Error> {
        let read = match (self.next, &mut self.level) {
            (Next::Read(key), Where::Top(shape)) => shape.top.slot(key),
            (Next::Read(key), Where::Inner(level)) if self.first => level.slot(key),
            (Next::Read(key), Where::Inner(_)) => self.later.slot(key),
            _ => None,
        };
        if let Some(slot) = read {
            return self.inner.next_value_seed(NotingSeed {
                inner: seed,
                note: Note::Value(slot),
            });
        }
        match (self.next, &mut self.level) {
            (Next::Envelope(envelope), Where::Top(shape)) => {
                let mut level = Level::default();
                let value = self.inner.next_value_seed(NotingSeed {
                    inner: seed,
                    note: Note::Inner(&mut level, self.table),
                })?;
                // A scalar under an envelope key is no envelope (the scan
                // agrees: it records objects and lists only).
                if level.records > 0 || level.is_list {
                    shape.inner.push((envelope, level));
                }
                Ok(value)
            }
            _ => self.inner.next_value_seed(StrictSeed(seed)),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        self.inner.size_hint()
    }
}

struct NotingSeq<'s, 'de, A> {
    inner: A,
    level: &'s mut Level<'de>,
    table: &'static KeyTable,
}

impl<'s, 'de, A: SeqAccess<'de>> SeqAccess<'de> for NotingSeq<'s, 'de, A> {
    type Error = A::Error;

    fn next_element_seed<S: DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<Option<S::Value>, A::Error> {
        self.level.is_list = true;
        self.inner.next_element_seed(NotingSeed {
            inner: seed,
            note: Note::Record(self.level, self.table),
        })
    }

    fn size_hint(&self) -> Option<usize> {
        self.inner.size_hint()
    }
}

/// A seed whose deserializer notes what passes.
struct NotingSeed<'s, 'de, S> {
    inner: S,
    note: Note<'s, 'de>,
}

impl<'s, 'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for NotingSeed<'s, 'de, S> {
    type Value = S::Value;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<S::Value, D::Error> {
        self.inner.deserialize(Noting {
            inner: deserializer,
            note: self.note,
        })
    }
}

/// A map key's seed that looks the key up in the [`KeyTable`] as it passes.
struct KeySeed<'k, S> {
    inner: S,
    table: &'static KeyTable,
    key: &'k mut Option<KeyInfo>,
}

impl<'k, 'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for KeySeed<'k, S> {
    type Value = S::Value;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<S::Value, D::Error> {
        self.inner.deserialize(KeyDeserializer {
            inner: deserializer,
            table: self.table,
            key: self.key,
        })
    }
}

/// A key's deserializer: whatever the seed asks for, the key is read as the
/// string it is, looked up, and shown to the seed's visitor.
struct KeyDeserializer<'k, D> {
    inner: D,
    table: &'static KeyTable,
    key: &'k mut Option<KeyInfo>,
}

macro_rules! key_as_str {
    ($($method:ident($($arg:ident: $ty:ty),*)),* $(,)?) => {
        $(
            fn $method<V: Visitor<'de>>(self, $($arg: $ty,)* visitor: V) -> Result<V::Value, D::Error> {
                $(let _ = $arg;)*
                self.inner.deserialize_str(KeyVisitor {
                    inner: visitor,
                    table: self.table,
                    key: self.key,
                })
            }
        )*
    };
}

impl<'k, 'de, D: Deserializer<'de>> Deserializer<'de> for KeyDeserializer<'k, D> {
    type Error = D::Error;

    with_deserialize_methods!(key_as_str);
    key_as_str!(deserialize_ignored_any());
}

struct KeyVisitor<'k, V> {
    inner: V,
    table: &'static KeyTable,
    key: &'k mut Option<KeyInfo>,
}

impl<'k, 'de, V: Visitor<'de>> Visitor<'de> for KeyVisitor<'k, V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.expecting(f)
    }

    fn visit_borrowed_str<E: de::Error>(self, key: &'de str) -> Result<V::Value, E> {
        *self.key = Some(self.table.lookup(key));
        self.inner.visit_borrowed_str(key)
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<V::Value, E> {
        *self.key = Some(self.table.lookup(key));
        self.inner.visit_str(key)
    }

    fn visit_string<E: de::Error>(self, key: String) -> Result<V::Value, E> {
        *self.key = Some(self.table.lookup(&key));
        self.inner.visit_string(key)
    }
}
