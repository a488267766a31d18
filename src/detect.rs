//! Which format these bytes are, from each format's declared evidence.
//!
//! One pass over the body reads the keys at the top level and one level into
//! an envelope (`data`, `payload`, `tasks`, `items`, or a body that is a list), and
//! the values of each level's `status` and [`WordKey`]s (`type`, `event`,
//! `code`, `error`); every other value is skipped, and no
//! `serde_json::Value` is built. Each [`Format`](crate::providers::format::Format)
//! is then checked against what was seen: a format fits when the body shows
//! its evidence and carries no key that only other formats send. A level
//! without `status` that states its job's status under a key no format
//! knows (`task_status`, `jobStatus`) fits none: decoding it would ignore
//! the status it states. The one
//! format that fits is the answer; none ("unknown format") or several (a tie)
//! is an error that lists the keys seen and why each format does not fit.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

/// Calls `$forward!` with every `Deserializer` method an adapter passes
/// on as it is, with the arguments each takes beside its visitor: all but
/// `deserialize_ignored_any`, which each adapter reads in its own way.
macro_rules! with_deserialize_methods {
    ($forward:ident) => {
        $forward! {
            deserialize_any(),
            deserialize_bool(), deserialize_i8(), deserialize_i16(), deserialize_i32(),
            deserialize_i64(), deserialize_i128(), deserialize_u8(), deserialize_u16(),
            deserialize_u32(), deserialize_u64(), deserialize_u128(), deserialize_f32(),
            deserialize_f64(), deserialize_char(), deserialize_str(), deserialize_string(),
            deserialize_bytes(), deserialize_byte_buf(), deserialize_option(), deserialize_unit(),
            deserialize_seq(), deserialize_map(), deserialize_identifier(),
            deserialize_unit_struct(name: &'static str),
            deserialize_newtype_struct(name: &'static str),
            deserialize_tuple(len: usize),
            deserialize_tuple_struct(name: &'static str, len: usize),
            deserialize_struct(name: &'static str, fields: &'static [&'static str]),
            deserialize_enum(name: &'static str, variants: &'static [&'static str]),
        }
    };
}

mod record;
mod strict;

pub(crate) use strict::{parse as parse_strict, Strict};

use crate::error::{DecodeError, PayloadText};
use crate::event::Folded;
use crate::providers::format::{
    describe, every_key, some_keys, CompiledFormat, CompiledSignature, Envelope, KeyBits, KeyInfo,
    KeyTable, Providers, Signature, StatusMark, WordKey,
};
use crate::providers::{DecodeOptions, Provider};

/// Names the provider whose format `bytes` has (default size limit).
pub fn detect(bytes: &[u8]) -> Result<Provider, DecodeError> {
    DecodeOptions::default().detect(bytes)
}

/// Detection of a body whose size and text were checked.
pub(crate) fn detect_unchecked(text: &str) -> Result<Provider, DecodeError> {
    Shape::scan(text, None)?.detect()
}

/// Parses `text` as `T` and gathers its shape into `shape`, a fresh one
/// ([`Shape::of`]), in the same pass (filled in place: a shape is too large
/// to move around for free).
#[inline]
pub(crate) fn parse_noting<'de, T: de::Deserialize<'de>>(
    text: &'de str,
    shape: &mut Shape<'de>,
) -> Result<T, serde_json::Error> {
    record::parse(text, shape)
}

/// Checks that `text` may be decoded as `provider`: a JSON object (or list)
/// with `provider`'s evidence and no foreign key.
pub(crate) fn check(provider: Provider, text: &str) -> Result<(), DecodeError> {
    Shape::scan(text, Some(provider))?.check(provider)
}

/// What a level's `status`, or one of its word keys, holds.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) enum Status<'de> {
    /// No such key, or `null`.
    #[default]
    Absent,
    /// An integer, or a string of digits: an API result code; `http` when
    /// it is an HTTP status (100–599), which is all a signature asks of
    /// it ([`Signature::http_code`]).
    Code {
        http: bool,
    },
    /// A word, folded as the status tables are ([`Folded`]) once, when
    /// read.
    Word(Folded<'de>),
    /// Text longer than any word a format asks for (an error's message,
    /// say): no mark matches it, so it is neither folded nor kept.
    Text,
    Other,
}

impl Status<'_> {
    /// A numeric result code.
    pub(crate) fn code(code: impl TryInto<u16>) -> Self {
        let http = code
            .try_into()
            .is_ok_and(|code| (100..=599).contains(&code));
        Status::Code { http }
    }
}

/// How many known keys make room for one that no format knows: a vendor
/// adds a field to a body of its own now and then, while another API's
/// body that shares a few keys with a format has more of its own. (With one
/// key added to each fixture, 4 refuses 19 of 397, all of them an id alone
/// or three known keys or fewer; 3 would let five bodies of
/// `fixtures/foreign/` pass.)
const KNOWN_PER_UNKNOWN: usize = 4;

/// How a format fits a body, weakest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Fit {
    /// Only through an empty list in one of its envelopes, whose level
    /// shows nothing of the format's own.
    EmptyEnvelope,
    /// Its evidence: a record's, a reply's, or an envelope's level.
    Evidence,
}

/// The keys of one object: the body, or the object(s) inside its envelope.
#[derive(Debug, Default)]
pub(crate) struct Level<'de> {
    /// The keys some format knows, as bits of the [`KeyTable`].
    known: KeyBits,
    /// The formats that do not know one of `known`: kept as keys are noted,
    /// so that detection tries only the formats left.
    ruled_out: Providers,
    /// The first [`DecodeError::LISTED`] key names, for messages; kept only
    /// by a scan for a message ([`Level::collecting`]), so that a decode
    /// that succeeds allocates nothing for them.
    names: Vec<Cow<'de, str>>,
    /// Whether to keep `names`.
    collecting: bool,
    /// How many keys the level has (the first object's, for a list).
    count: usize,
    /// How many records a list holds (1 for an object).
    records: usize,
    /// Whether the level is a list (possibly empty).
    is_list: bool,
    status: Status<'de>,
    /// What the [`WordKey`]s hold, by slot.
    words: [Status<'de>; WordKey::ALL.len()],
    /// The values of `status` (first) and the [`WordKey`]s as sent, for
    /// messages: kept, as `names` are, only by a scan for a message.
    sent: [Option<&'de RawValue>; 1 + WordKey::ALL.len()],
    /// Whether a key no format knows names a job's status (`task_status`,
    /// [`names_a_status`](crate::providers::format::names_a_status)); what
    /// that means for the level is [`Level::status_elsewhere`]'s.
    unknown_status_key: bool,
    /// Whether a list's record after the first does what
    /// [`Level::status_elsewhere`] speaks of ([`LaterRecord`]).
    later_status_elsewhere: bool,
    /// The key of the first such record that names its status, for
    /// messages: kept, as `names` are, only by a scan for a message.
    later_status_key: Option<Cow<'de, str>>,
}

impl<'de> Level<'de> {
    /// An empty level that keeps its key names if `collecting`.
    fn collecting(collecting: bool) -> Self {
        Level {
            collecting,
            ..Level::default()
        }
    }

    /// Notes a key, `id` being its number in the [`KeyTable`], keeping its
    /// name if the level collects them.
    fn push(&mut self, table: &KeyTable, info: KeyInfo, key: Cow<'de, str>) {
        if self.note(table, info) && self.collecting && self.names.len() < DecodeError::LISTED {
            self.names.push(key);
        }
    }

    /// Notes a key by what the table knows of it: the typed parse's levels
    /// collect no names, so it need not keep the key's text.
    /// Returns whether the key counted: a known key seen before does not.
    pub(crate) fn note(&mut self, table: &KeyTable, info: KeyInfo) -> bool {
        self.unknown_status_key |= info.names_a_status;
        if let Some(id) = info.id {
            if self.known.contains(id) {
                // A repeated key is no unknown key: the typed parse refuses
                // it by name.
                return false;
            }
            self.known.insert(id);
            self.ruled_out = self.ruled_out.union(table.owners(id).complement());
        }
        self.count += 1;
        true
    }

    /// Whether the level has every key `signature` requires, and it
    /// requires some.
    fn has_keys_of(&self, signature: &CompiledSignature) -> bool {
        !signature.source.all.is_empty() && self.known.contains_all(&signature.all)
    }

    /// Whether `signature` holds on this level, with `extra` keys (an id an
    /// envelope carries for its record) counted as present; `tolerated`:
    /// whether the body's keys no format knows are few enough to be a
    /// vendor's additions ([`Shape::unknown_keys_tolerated`]).
    fn shows(&self, signature: &CompiledSignature, extra: &KeyBits, tolerated: bool) -> bool {
        let keys = self.known.union(extra);
        // Keys first: comparing bits is cheaper than comparing words.
        let keys_hold = keys.contains_all(&signature.all)
            && (signature.source.any.is_empty() || keys.intersects(&signature.any))
            && (!signature.only || keys.is_subset_of(&signature.allowed))
            && (!signature.closed || !self.has_unknown_keys() || (tolerated && !signature.exact));
        keys_hold
            && self.status_fits(&signature.status)
            && (signature.source.word_marks())
                .all(|(key, words)| self.word_fits(key, words, signature.source.in_capitals(key)))
            && (!signature.source.http_code || self.code_is_http())
            && (!signature.source.error_object || self.error_is_object())
            && (!signature.source.error_text || self.error_is_text())
    }

    /// Where the value of `key` goes, if detection reads it: `status`, or
    /// a [`WordKey`].
    pub(crate) fn slot(&mut self, key: KeyInfo) -> Option<&mut Status<'de>> {
        if key.is_status {
            Some(&mut self.status)
        } else {
            key.word.map(|word| &mut self.words[word.slot()])
        }
    }

    /// Where the value of `key` as sent goes, beside [`Level::slot`].
    fn sent_slot(&mut self, key: KeyInfo) -> Option<&mut Option<&'de RawValue>> {
        if key.is_status {
            Some(&mut self.sent[0])
        } else {
            key.word.map(|word| &mut self.sent[1 + word.slot()])
        }
    }

    /// Which of `keys` the level lacks, for messages.
    fn missing<'k>(&self, keys: &[&'k str]) -> Vec<&'k str> {
        let table = KeyTable::get();
        (keys.iter().copied())
            .filter(|key| (table.lookup(key).id).is_none_or(|id| !self.known.contains(id)))
            .collect()
    }

    /// Whether the level has no `status` but states its job's status under
    /// a key no format knows (`task_status`): no format's decoder would
    /// read it, and one would derive a status from the rest instead. A
    /// level with its own `status` keeps it; the other key is then only
    /// one more that no format knows.
    ///
    /// In a list, any record may be the one: each is decoded as a job.
    fn status_elsewhere(&self) -> bool {
        self.first_status_elsewhere() || self.later_status_elsewhere
    }

    /// Whether the level's (first) record is what [`Level::status_elsewhere`]
    /// speaks of.
    fn first_status_elsewhere(&self) -> bool {
        states_status_elsewhere(self.unknown_status_key, &self.status)
    }

    /// Whether the level has keys no format knows.
    fn has_unknown_keys(&self) -> bool {
        self.unknown_keys() > 0
    }

    /// How many keys of the level no format knows.
    fn unknown_keys(&self) -> usize {
        self.count - self.known.len()
    }

    /// Whether the level's `status` is what `mark` asks for.
    fn status_fits(&self, mark: &StatusMark) -> bool {
        match (mark, &self.status) {
            (StatusMark::Any, _)
            | (StatusMark::Code, Status::Code { .. })
            | (
                StatusMark::NoneOrWords(_) | StatusMark::NoneOrCode | StatusMark::NoneOrCapitals(_),
                Status::Absent,
            )
            | (StatusMark::NoneOrCode, Status::Code { .. }) => true,
            (StatusMark::Words(words) | StatusMark::NoneOrWords(words), Status::Word(word)) => {
                words.iter().any(|candidate| word.matches(candidate))
            }
            (StatusMark::Exact(words), Status::Word(word)) => {
                word.is_as_sent() && words.iter().any(|candidate| word.matches(candidate))
            }
            (StatusMark::NoneOrCapitals(words), Status::Word(word)) => {
                !word.is_as_sent() && words.iter().any(|candidate| word.matches(candidate))
            }
            _ => false,
        }
    }

    /// Whether the level's `code`, if present, is an HTTP status.
    fn code_is_http(&self) -> bool {
        matches!(
            self.words[WordKey::Code.slot()],
            Status::Absent | Status::Code { http: true }
        )
    }

    /// Whether the level's `error`, if present, is an object (or another
    /// value that is neither text nor a number).
    fn error_is_object(&self) -> bool {
        matches!(
            self.words[WordKey::Error.slot()],
            Status::Absent | Status::Other
        )
    }

    /// Whether the level's `error`, if present, is text.
    fn error_is_text(&self) -> bool {
        matches!(
            self.words[WordKey::Error.slot()],
            Status::Absent | Status::Word(_) | Status::Text
        )
    }

    /// Whether the level's `key`, if present, holds one of `words`, in
    /// `capitals` if asked (whether it must be present is the signature's
    /// keys' business).
    fn word_fits(&self, key: WordKey, words: &[&str], capitals: bool) -> bool {
        match &self.words[key.slot()] {
            Status::Absent => true,
            Status::Word(word) => {
                (!capitals || !word.is_as_sent())
                    && words.iter().any(|candidate| word.matches(candidate))
            }
            _ => false,
        }
    }
}

/// What the scan saw of a body.
#[derive(Debug, Default)]
pub(crate) struct Shape<'de> {
    top: Level<'de>,
    /// The body is a JSON array (its objects are in `inner` under
    /// [`Envelope::LIST`]).
    is_list: bool,
    /// The objects inside envelope keys, by key: most bodies have one
    /// envelope at most, held without an allocation.
    inner: smallvec::SmallVec<[(&'static str, Level<'de>); 1]>,
    /// The provider being checked, for error messages.
    named: Option<Provider>,
    /// The body, to scan again for key names when a message needs them.
    text: &'de str,
}

impl<'de> Shape<'de> {
    /// The shape of `text` before anything of it is noted.
    pub(crate) fn of(text: &'de str) -> Self {
        Shape {
            text,
            ..Shape::default()
        }
    }

    fn scan(text: &'de str, named: Option<Provider>) -> Result<Self, DecodeError> {
        Shape::scan_keeping(text, named, false)
    }

    /// A scan that keeps key names (`names`) for messages.
    fn scan_keeping(
        text: &'de str,
        named: Option<Provider>,
        names: bool,
    ) -> Result<Self, DecodeError> {
        let table = KeyTable::get();
        let mut json = serde_json::Deserializer::from_str(text);
        let shape = Strict(&mut json)
            .deserialize_any(ShapeVisitor { table, names })
            .and_then(|shape| json.end().map(|()| shape))
            .map_err(|error| DecodeError::from_json(named, ".".to_owned(), error))?;
        let mut shape = shape.map_err(|found| DecodeError::NotAnObject {
            provider: named,
            found: found.to_owned(),
        })?;
        shape.named = named;
        shape.text = text;
        Ok(shape)
    }

    fn inner(&self, key: &str) -> Option<&Level<'de>> {
        self.inner
            .iter()
            .find(|(envelope, _)| *envelope == key)
            .map(|(_, level)| level)
    }

    /// Every level, with the prefix its keys' paths take.
    fn levels(&self) -> impl Iterator<Item = (String, &Level<'de>)> {
        let top = (!self.is_list).then(|| (String::new(), &self.top));
        top.into_iter().chain(self.inner.iter().map(|(key, level)| {
            let prefix = if *key == Envelope::LIST {
                "[]".to_owned()
            } else {
                format!("{key}.")
            };
            (prefix, level)
        }))
    }

    /// The same shape with its key names, when it was gathered without
    /// them (the typed parse keeps none): messages list them.
    fn with_names(&self) -> Option<Shape<'de>> {
        let unnamed = self
            .levels()
            .any(|(_, level)| level.count > 0 && level.names.is_empty());
        unnamed
            .then(|| Shape::scan_keeping(self.text, self.named, true).ok())
            .flatten()
    }

    fn seen(&self) -> Vec<String> {
        if let Some(named) = self.with_names() {
            return named.seen();
        }
        let mut seen = Vec::new();
        let mut more = 0;
        for (prefix, level) in self.levels() {
            let prefix = if prefix == "[]" {
                "[].".to_owned()
            } else {
                prefix
            };
            // A later record's key that states its status is named by the
            // message's reason, so it is listed among the keys seen too.
            let later_status_key =
                (level.later_status_key.iter()).filter(|key| !level.names.contains(key));
            seen.extend(
                (level.names.iter().chain(later_status_key))
                    .map(|key| format!("{prefix}{}", crate::quirks::shown_key(key))),
            );
            more += level.count - level.names.len();
        }
        if seen.len() > DecodeError::LISTED {
            more += seen.len() - DecodeError::LISTED;
            seen.truncate(DecodeError::LISTED);
        }
        if more > 0 {
            seen.push(format!("… and {more} more"));
        }
        seen
    }

    /// The levels whose keys count: the body's (unless it is a list) and
    /// its envelopes'.
    fn levels_read(&self) -> impl Iterator<Item = &Level<'de>> {
        (!self.is_list)
            .then_some(&self.top)
            .into_iter()
            .chain(self.inner.iter().map(|(_, level)| level))
    }

    /// Whether the body's keys that no format knows are few enough to be
    /// fields a vendor added to a body of its own: at most one for every
    /// [`KNOWN_PER_UNKNOWN`] keys some format knows, counted over the body's
    /// levels. Another API's body that happens to share a few keys has
    /// more of its own.
    fn unknown_keys_tolerated(&self) -> bool {
        let (known, unknown) = (self.levels_read()).fold((0, 0), |(known, unknown), level| {
            (known + level.known.len(), unknown + level.unknown_keys())
        });
        unknown * KNOWN_PER_UNKNOWN <= known
    }

    /// Whether `format` fits: no key of another format, and its evidence.
    /// `named`: the caller named the format, so named-only evidence counts.
    /// Nothing is allocated: this runs on every decode.
    fn fits(&self, format: &CompiledFormat, named: bool) -> bool {
        self.fit(format, named).is_some()
    }

    /// How `format` fits, if it does ([`Shape::fits`]).
    fn fit(&self, format: &CompiledFormat, named: bool) -> Option<Fit> {
        let counts = |signature: &CompiledSignature| named || !signature.source.named_only;
        // A key the format does not know: `push` ruled the format out; a
        // status under a key no format knows rules every format out.
        if self
            .levels_read()
            .any(|level| level.ruled_out.has(format.format.provider) || level.status_elsewhere())
        {
            return None;
        }
        let no_extra = KeyBits::default();
        let tolerated = self.unknown_keys_tolerated();
        let mut fit = None;
        for envelope in &format.envelopes {
            let (outer, inner) = if envelope.key == Envelope::LIST {
                if !self.is_list {
                    continue;
                }
                (None, self.inner(Envelope::LIST))
            } else {
                (Some(&self.top), self.inner(envelope.key))
            };
            let Some(inner) = inner else { continue };
            let outer_shows = match (&envelope.outer, outer) {
                (Some(signature), Some(outer)) => outer.shows(signature, &no_extra, tolerated),
                _ => true,
            };
            if !outer_shows {
                continue;
            }
            if inner.records == 0 {
                // An empty list says nothing of whose it is; the level
                // around it may, by its words (keys such as `code` or the
                // envelope's own are every API's).
                let outer_is_evidence = envelope
                    .outer
                    .as_ref()
                    .is_some_and(CompiledSignature::asks_values);
                if outer_is_evidence {
                    return Some(Fit::Evidence);
                }
                // Nor do keys no format knows around it, unless they are
                // few enough to be a vendor's additions: `{object: "list",
                // data: [], has_more, …}` is another API's empty page. A
                // bare `[]` has no key at all: any API's empty list. A
                // provider named is taken at its word: its page holds no
                // job.
                if (tolerated && outer.is_some()) || named {
                    fit = Some(Fit::EmptyEnvelope);
                }
                continue;
            }
            let mut carried = KeyBits::default();
            if let (Some(id), Some(outer)) = (envelope.carries_id, outer) {
                if outer.known.contains(id) {
                    carried.insert(id);
                }
            }
            let mut signatures = format.record.iter().chain(&envelope.record);
            if signatures.any(|s| counts(s) && inner.shows(s, &carried, tolerated)) {
                return Some(Fit::Evidence);
            }
        }
        let bare = !self.is_list
            && format
                .record
                .iter()
                .any(|s| counts(s) && self.top.shows(s, &no_extra, tolerated));
        // A reply is the vendor's answer without a job: an envelope that
        // holds an object with keys holds a record, whose evidence counts.
        let no_record = self.inner.iter().all(|(_, level)| level.count == 0);
        let reply = !self.is_list
            && no_record
            && (format.replies.iter()).any(|s| self.top.shows(s, &no_extra, tolerated));
        if bare || reply {
            Some(Fit::Evidence)
        } else {
            fit
        }
    }

    /// Why `format` does not fit, or `None` when it does (for messages).
    fn misfit(&self, table: &KeyTable, format: &CompiledFormat, named: bool) -> Option<Misfit> {
        if self.fits(format, named) {
            return None;
        }
        let mut foreign = Vec::new();
        for (prefix, level) in self.levels() {
            for id in level.known.without(&format.knows).iter() {
                if foreign.len() < DecodeError::LISTED {
                    let path = if prefix == "[]" {
                        format!("[].{}", table.name(id))
                    } else {
                        format!("{prefix}{}", table.name(id))
                    };
                    foreign.push((path, table.owners(id).iter().collect()));
                }
            }
        }
        if let Some(why) = foreign
            .is_empty()
            .then(|| self.status_elsewhere_reason())
            .flatten()
        {
            return Some(Misfit::NoEvidence(why));
        }
        if foreign.is_empty() {
            let tolerated = self.unknown_keys_tolerated();
            // Beside an envelope the top level still says what the body
            // has: a record's keys there are not "missing".
            let flat = !self.is_list && self.inner.is_empty();
            let top_has_record_keys =
                !self.is_list && format.record.iter().any(|s| self.top.has_keys_of(s));
            let sends_lists =
                (format.envelopes.iter()).any(|envelope| envelope.key == Envelope::LIST);
            if self.is_list && !sends_lists {
                let why = "it is a list, and the format's bodies are objects".to_owned();
                return Some(Misfit::NoEvidence(why));
            }
            let records = self.inner(Envelope::LIST).map(|list| list.records);
            if self.is_list && records == Some(0) {
                let why = "it is an empty list, any API's: no job in it shows whose".to_owned();
                return Some(Misfit::NoEvidence(why));
            }
            let why = self.envelope_misfit(format).unwrap_or_else(|| {
                if flat || top_has_record_keys {
                    return needs(format, Some(&self.top), &[], "it", tolerated);
                }
                // Else the record inside one of the format's envelopes,
                // if the body has one, says most.
                let record = format.envelopes.iter().find_map(|envelope| {
                    let level = self.inner(envelope.key).filter(|level| level.count > 0)?;
                    Some((envelope, level))
                });
                match record {
                    Some((envelope, level)) => {
                        let subject = if envelope.key == Envelope::LIST {
                            "each record".to_owned()
                        } else {
                            format!("its `{}`", envelope.key)
                        };
                        needs(format, Some(level), &envelope.record, &subject, tolerated)
                    }
                    None => needs(format, None, &[], "it", tolerated),
                }
            });
            Some(Misfit::NoEvidence(why))
        } else {
            Some(Misfit::Foreign(foreign))
        }
    }

    /// Why a level that states its job's status where no format reads it
    /// ([`Level::status_elsewhere`]) fits no format, if one does: the key,
    /// escaped, as a path, when the shape kept its name.
    fn status_elsewhere_reason(&self) -> Option<String> {
        let table = KeyTable::get();
        let mut levels = self.levels().filter(|(_, level)| level.status_elsewhere());
        let (prefix, level) = levels.next()?;
        let first_record = level.first_status_elsewhere();
        let named = if first_record {
            level.names.iter().find(|name| {
                crate::providers::format::names_a_status(name) && table.lookup(name).id.is_none()
            })
        } else {
            level.later_status_key.as_ref()
        };
        let (whose, its) = if first_record {
            ("it has", "its job's")
        } else {
            ("one of its jobs has", "its")
        };
        let under = match named {
            Some(name) => {
                let name = crate::quirks::shown_key(name);
                let prefix = if prefix == "[]" {
                    "[]."
                } else {
                    prefix.as_str()
                };
                format!("under `{prefix}{name}`, a key no format sends")
            }
            None => "under a key no format sends".to_owned(),
        };
        Some(format!(
            "{whose} no `status` but states {its} status {under}: that status would be ignored"
        ))
    }

    /// Why a record inside one of `format`'s envelopes does not count
    /// although it shows the format's evidence: the envelope's own level
    /// lacks what the envelope asks of it.
    fn envelope_misfit(&self, format: &CompiledFormat) -> Option<String> {
        let no_extra = KeyBits::default();
        let tolerated = self.unknown_keys_tolerated();
        format.envelopes.iter().find_map(|envelope| {
            let outer = envelope.outer.as_ref().filter(|_| !self.is_list)?;
            let inner = self.inner(envelope.key)?;
            let record_shows = (format.record.iter().chain(&envelope.record))
                .any(|signature| inner.shows(signature, &no_extra, tolerated));
            (record_shows && !self.top.shows(outer, &no_extra, tolerated)).then(|| {
                format!(
                    "its `{}` holds a record, but around it: {}",
                    envelope.key,
                    lacks(&self.top, outer, tolerated)
                )
            })
        })
    }

    pub(crate) fn detect(&self) -> Result<Provider, DecodeError> {
        if let Some(provider) = Decided::detected(self) {
            // Tests and fuzzing check every remembered decision.
            debug_assert_eq!(self.detect_anew().ok(), Some(provider), "{self:?}");
            return Ok(provider);
        }
        let detected = self.detect_anew()?;
        Decided::remember(self, |decided| decided.detected = Some(detected));
        Ok(detected)
    }

    fn detect_anew(&self) -> Result<Provider, DecodeError> {
        let table = KeyTable::get();
        // A format that does not know one of the body's keys cannot fit:
        // only the others are tried.
        let ruled_out = self.levels_read().fold(Providers::default(), |out, level| {
            out.union(level.ruled_out)
        });
        let mut fits = [None; Provider::ALL.len()];
        for format in &table.formats {
            let provider = format.format.provider;
            if !ruled_out.has(provider) {
                fits[provider.index()] = self.fit(format, false);
            }
        }
        // An empty envelope is the least evidence: a format that shows more
        // wins over the formats that have only that.
        let best = fits.iter().flatten().max().copied();
        let mut best_fitting = Provider::ALL
            .into_iter()
            .filter(|provider| best.is_some() && fits[provider.index()] == best);
        if let (Some(only), None) = (best_fitting.next(), best_fitting.next()) {
            return Ok(only);
        }
        match self.with_names() {
            Some(named) => named.undecided(best),
            None => self.undecided(best),
        }
    }

    /// The error of a body that no format, or several, fit as well as
    /// `best`; from a shape with key names, which its messages list.
    fn undecided(&self, best: Option<Fit>) -> Result<Provider, DecodeError> {
        let table = KeyTable::get();
        let mut fits = Vec::new();
        let mut tried = Vec::new();
        for format in &table.formats {
            match self.misfit(table, format, false) {
                None if self.fit(format, false) == best => fits.push(format.format.provider),
                None => {}
                Some(misfit) => tried.push((format.format.provider, misfit)),
            }
        }
        // Nearest first: the formats that know every key and lack only
        // evidence say most about what the body is missing.
        tried.sort_by_key(|(_, misfit)| matches!(misfit, Misfit::Foreign(_)));
        let tried = tried
            .into_iter()
            .map(|(provider, misfit)| (provider, misfit.brief()))
            .collect();
        match fits.as_slice() {
            [provider] => Ok(*provider),
            [] => Err(DecodeError::Undetected {
                seen: self.seen(),
                tried,
            }),
            _ => Err(DecodeError::Ambiguous {
                seen: self.seen(),
                candidates: fits,
            }),
        }
    }

    pub(crate) fn check(&self, provider: Provider) -> Result<(), DecodeError> {
        if Decided::fits_named(self, provider) {
            debug_assert!(
                self.fits(KeyTable::get().format(provider), true),
                "{provider}: {self:?}"
            );
            return Ok(());
        }
        let table = KeyTable::get();
        if self.fits(table.format(provider), true) {
            Decided::remember(self, |decided| {
                decided.fits_named = decided.fits_named.with(provider);
            });
            return Ok(());
        }
        match self.with_names() {
            Some(named) => named.refusal(provider),
            None => self.refusal(provider),
        }
    }

    /// Why the body is not `provider`'s, as the error the named decode
    /// gives; from a shape with key names, which its messages list.
    fn refusal(&self, provider: Provider) -> Result<(), DecodeError> {
        let table = KeyTable::get();
        match self.misfit(table, table.format(provider), true) {
            None => Ok(()),
            Some(Misfit::Foreign(foreign)) => Err(DecodeError::WrongProvider {
                provider,
                path: foreign[0].0.clone(),
                foreign,
                lacks: None,
            }),
            Some(Misfit::NoEvidence(needs)) => Err(DecodeError::WrongProvider {
                provider,
                path: ".".to_owned(),
                foreign: Vec::new(),
                lacks: Some(format!(
                    "{needs} (keys seen: {})",
                    crate::error::Keys(&self.seen())
                )),
            }),
        }
    }
}

/// One level's decisive parts, kept after the body is gone: what
/// [`Shape::fit`] reads of a level (the keys some format knows and how many
/// others it has, which also tell whether it holds any; whether it holds no
/// record; the words it holds).
#[derive(Debug, PartialEq, Eq)]
struct LevelKey {
    known: KeyBits,
    unknown: usize,
    unknown_status_key: bool,
    later_status_elsewhere: bool,
    recordless: bool,
    status: StatusKey,
    words: [StatusKey; WordKey::ALL.len()],
}

/// A level's `status`, or one of its word keys, as [`LevelKey`] keeps it.
#[derive(Debug, PartialEq, Eq)]
enum StatusKey {
    Absent,
    Code {
        http: bool,
    },
    /// Folded, as [`Status::Word`] holds it, and whether it was sent so
    /// ([`StatusMark::Exact`] tells the two apart).
    Word(Vec<u8>, bool),
    Text,
    Other,
}

impl StatusKey {
    fn of(status: &Status) -> Self {
        match status {
            Status::Absent => StatusKey::Absent,
            Status::Code { http } => StatusKey::Code { http: *http },
            Status::Word(word) => StatusKey::Word(word.to_vec(), word.is_as_sent()),
            Status::Text => StatusKey::Text,
            Status::Other => StatusKey::Other,
        }
    }

    fn matches(&self, status: &Status) -> bool {
        match (self, status) {
            (StatusKey::Absent, Status::Absent)
            | (StatusKey::Text, Status::Text)
            | (StatusKey::Other, Status::Other) => true,
            (StatusKey::Code { http: kept }, Status::Code { http }) => kept == http,
            (StatusKey::Word(kept, as_sent), Status::Word(word)) => {
                kept[..] == **word && *as_sent == word.is_as_sent()
            }
            _ => false,
        }
    }
}

impl LevelKey {
    fn of(level: &Level) -> Self {
        LevelKey {
            known: level.known,
            unknown: level.unknown_keys(),
            unknown_status_key: level.unknown_status_key,
            later_status_elsewhere: level.later_status_elsewhere,
            recordless: level.records == 0,
            status: StatusKey::of(&level.status),
            words: level.words.each_ref().map(StatusKey::of),
        }
    }

    /// Whether `level` is decided as this key was.
    fn matches(&self, level: &Level) -> bool {
        self.known == level.known
            && self.unknown == level.unknown_keys()
            && self.unknown_status_key == level.unknown_status_key
            && self.later_status_elsewhere == level.later_status_elsewhere
            && self.recordless == (level.records == 0)
            && self.status.matches(&level.status)
            // A fold, not `all`: no branch per word, which costs less here.
            && (self.words.iter().zip(&level.words))
                .fold(true, |same, (kept, word)| same & kept.matches(word))
    }
}

/// A body's decisive parts: every level's, and whether it is a list.
#[derive(Debug, PartialEq, Eq)]
struct ShapeKey {
    is_list: bool,
    top: LevelKey,
    inner: Vec<(&'static str, LevelKey)>,
}

impl ShapeKey {
    fn of(shape: &Shape) -> Self {
        ShapeKey {
            is_list: shape.is_list,
            top: LevelKey::of(&shape.top),
            inner: (shape.inner.iter())
                .map(|(key, level)| (*key, LevelKey::of(level)))
                .collect(),
        }
    }

    /// Whether `shape` is decided as this key was.
    fn matches(&self, shape: &Shape) -> bool {
        self.is_list == shape.is_list
            && self.top.matches(&shape.top)
            && self.inner.len() == shape.inner.len()
            && (self.inner.iter().zip(&shape.inner))
                .all(|((kept_key, kept), (key, level))| kept_key == key && kept.matches(level))
    }
}

/// The decisions made for the last body shape seen on this thread.
///
/// Bodies come in runs from one vendor, with the same keys and a handful of
/// status words, and deciding a format (every candidate's signatures)
/// costs more than comparing a shape: a body shaped like the last one is
/// decided as it was. Only successes are kept; an error is worked out anew,
/// with its message.
#[derive(Debug)]
struct Decided {
    key: ShapeKey,
    /// What `detect` named.
    detected: Option<Provider>,
    /// The providers this shape fits when named.
    fits_named: Providers,
}

thread_local! {
    static LAST_DECIDED: std::cell::RefCell<Option<Decided>> = const { std::cell::RefCell::new(None) };
}

impl Decided {
    fn detected(shape: &Shape) -> Option<Provider> {
        LAST_DECIDED.with_borrow(|last| {
            last.as_ref()
                .filter(|last| last.key.matches(shape))
                .and_then(|last| last.detected)
        })
    }

    fn fits_named(shape: &Shape, provider: Provider) -> bool {
        LAST_DECIDED.with_borrow(|last| {
            last.as_ref()
                .is_some_and(|last| last.key.matches(shape) && last.fits_named.has(provider))
        })
    }

    /// Records a decision on `shape`, forgetting those on another.
    fn remember(shape: &Shape, decide: impl FnOnce(&mut Decided)) {
        LAST_DECIDED.with_borrow_mut(|last| {
            let decided = match last {
                Some(decided) if decided.key.matches(shape) => decided,
                _ => last.insert(Decided {
                    key: ShapeKey::of(shape),
                    detected: None,
                    fits_named: Providers::default(),
                }),
            };
            decide(decided);
        });
    }
}

/// Why a format does not fit a body.
enum Misfit {
    /// Keys (paths) that other formats send, with those formats.
    Foreign(Vec<(String, Vec<Provider>)>),
    /// What the format's evidence is, in words.
    NoEvidence(String),
}

impl Misfit {
    /// The reason without the formats that send each foreign key: in a
    /// list of every format's reasons, those would name the formats again
    /// and again.
    fn brief(&self) -> String {
        match self {
            Misfit::Foreign(foreign) => {
                const NAMED: usize = 3;
                let mut keys: Vec<String> = foreign
                    .iter()
                    .take(NAMED)
                    .map(|(key, _)| format!("`{key}`"))
                    .collect();
                // `misfit` lists at most LISTED keys: past that, no count.
                if foreign.len() >= DecodeError::LISTED {
                    keys.push("…".to_owned());
                } else if foreign.len() > NAMED {
                    keys.push(format!("… ({} keys)", foreign.len()));
                }
                format!("it carries {}", keys.join(", "))
            }
            Misfit::NoEvidence(needs) => needs.clone(),
        }
    }
}

impl fmt::Display for Misfit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Misfit::Foreign(foreign) => {
                f.write_str("it carries ")?;
                crate::error::write_foreign(f, foreign)
            }
            Misfit::NoEvidence(needs) => f.write_str(needs),
        }
    }
}

/// Why a body shows none of a format's record evidence, in words, of
/// `subject` ("it", or "its `data`" for the record in an envelope). For a
/// level (`top`) that has every key one of the format's signatures (or
/// `also`, an envelope's) requires, or is an error reply's keys and no
/// others, what else that signature asks for and the level lacks; otherwise
/// the format's first signature.
fn needs(
    format: &CompiledFormat,
    top: Option<&Level>,
    also: &[CompiledSignature],
    subject: &str,
    tolerated: bool,
) -> String {
    // The nearest signature: one whose keys the body has, and better, one
    // whose keys and any of whose other keys it has.
    let nearest = top.and_then(|level| {
        let has_keys = |signature: &&CompiledSignature| level.has_keys_of(signature);
        let has_any = |signature: &&CompiledSignature| {
            signature.source.any.is_empty() || level.known.intersects(&signature.any)
        };
        let reply_keys_alone = |signature: &&CompiledSignature| {
            signature.source.only && level.known.is_subset_of(&signature.allowed)
        };
        let replies = format.replies.iter().filter(reply_keys_alone);
        let mut candidates = (format.record.iter().chain(also).chain(replies)).filter(has_keys);
        let first = candidates.clone().next()?;
        Some((level, candidates.find(has_any).unwrap_or(first)))
    });
    let Some((level, signature)) = nearest else {
        let Some(first) = format.format.record.first() else {
            return format!("{subject} has no record");
        };
        // A flat body: the keys of the first signature it lacks (its id,
        // mostly) are all there is to say, and formats with the same id
        // share the reason.
        if let Some(level) = top.filter(|_| !first.all.is_empty()) {
            let lacks = level.missing(first.all);
            return format!("{subject} has no {}", every_key(&lacks));
        }
        if first.all.is_empty() && first.any.len() > 1 {
            return format!("{subject} has none of {}", some_keys(first.any));
        }
        // What it must have: whether other keys may stand beside it, and
        // what its word keys hold or an optional status, matter only once
        // it has it.
        return format!(
            "{subject} has no {}",
            describe(&Signature {
                only: false,
                closed: false,
                words: [None; WordKey::ALL.len()],
                error_object: false,
                error_text: false,
                status: match first.status {
                    StatusMark::NoneOrCode => StatusMark::Any,
                    status => status,
                },
                ..*first
            })
        );
    };
    let has = every_key(signature.source.all);
    format!(
        "{subject} has {has}, but {}",
        lacks(level, signature, tolerated)
    )
}

/// What `level` lacks of `signature`, in words.
fn lacks(level: &Level, signature: &CompiledSignature, tolerated: bool) -> String {
    let source = &signature.source;
    if !level.known.contains_all(&signature.all) {
        format!("it has no {}", every_key(&level.missing(source.all)))
    } else if !source.any.is_empty() && !level.known.intersects(&signature.any) {
        format!("none of {}", some_keys(source.any))
    } else if signature.closed && level.has_unknown_keys() && (signature.exact || !tolerated) {
        let table = KeyTable::get();
        let unknown: Vec<String> = (level.names.iter())
            .filter(|key| table.lookup(key).id.is_none())
            .map(|key| format!("`{}`", crate::quirks::shown_key(key)))
            .collect();
        if unknown.is_empty() {
            "keys no known format sends beside them".to_owned()
        } else {
            format!("also {}, which no known format sends", unknown.join(", "))
        }
    } else if source.only && !level.known.is_subset_of(&signature.allowed) {
        "other keys beside them".to_owned()
    } else if !level.status_fits(&source.status) {
        match source.status {
            StatusMark::Words(words) | StatusMark::NoneOrWords(words) => {
                word_misfit("status", words, &level.status, level.sent[0])
            }
            StatusMark::Exact(words) | StatusMark::NoneOrCapitals(words) => {
                let spelling = match &level.status {
                    Status::Word(word) => words.iter().find(|candidate| word.matches(candidate)),
                    _ => None,
                };
                match (spelling, &level.status) {
                    // The word, but in another spelling than the format's.
                    (Some(spelling), Status::Word(word)) => format!(
                        "its `status` `{}` is not spelled as the format writes it (`{spelling}`)",
                        PayloadText(&as_sent(word, level.sent[0])),
                    ),
                    _ => word_misfit("status", words, &level.status, level.sent[0]),
                }
            }
            _ => "its `status` is not a numeric code".to_owned(),
        }
    } else if let Some((key, words)) = (source.word_marks())
        .find(|&(key, words)| !level.word_fits(key, words, source.in_capitals(key)))
    {
        let (found, sent) = (&level.words[key.slot()], level.sent[1 + key.slot()]);
        match found {
            // The word, but not in the capitals the format writes it in.
            Status::Word(word) if words.iter().any(|candidate| word.matches(candidate)) => format!(
                "its `{}` `{}` is not in the capitals the format writes it in",
                key.name(),
                PayloadText(&as_sent(word, sent)),
            ),
            _ => word_misfit(key.name(), words, found, sent),
        }
    } else if source.http_code && !level.code_is_http() {
        "its `code` is no HTTP status".to_owned()
    } else if source.error_object && !level.error_is_object() {
        "its `error` is no object".to_owned()
    } else if source.error_text && !level.error_is_text() {
        "its `error` is no text".to_owned()
    } else {
        "that counts only when the provider is named".to_owned()
    }
}

/// A word as the vendor wrote it (quoted from `sent`, the value as sent,
/// when the scan kept it), not as the tables fold it.
fn as_sent<'a>(word: &'a Folded<'_>, sent: Option<&'a RawValue>) -> Cow<'a, str> {
    sent.and_then(|sent| serde_json::from_str::<Cow<str>>(sent.get()).ok())
        .unwrap_or_else(|| word.to_text())
}

/// Why `found`, the value of `key` (`sent`, when the scan kept it), is
/// none of `words`, in words.
fn word_misfit(key: &str, words: &[&str], found: &Status, sent: Option<&RawValue>) -> String {
    let words = words.join(", ");
    match found {
        Status::Word(word) => {
            let word = as_sent(word, sent);
            format!("its `{key}` `{}` is none of {words}", PayloadText(&word))
        }
        Status::Text => format!("its `{key}` is text longer than any of {words}"),
        Status::Absent => format!("no `{key}` (one of {words})"),
        _ => {
            // A number or `true` is shown as sent; an object or a list is
            // named.
            let found = match sent.map(|raw| raw.get().trim()) {
                Some(raw) if raw.starts_with('{') => " an object,".to_owned(),
                Some(raw) if raw.starts_with('[') => " a list,".to_owned(),
                Some(raw) if raw.len() <= 40 => format!(" {},", PayloadText(raw)),
                _ => String::new(),
            };
            format!("its `{key}` is{found} no word (one of {words})")
        }
    }
}

/// Visitor methods for the scalars, which hold no keys: each gives
/// `$value`, with `$found` naming the scalar's JSON type.
macro_rules! scalar_arms {
    ($found:ident => $value:expr) => {
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            let $found = "a boolean";
            Ok($value)
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
            let $found = "a number";
            Ok($value)
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
            let $found = "a number";
            Ok($value)
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
            let $found = "a number";
            Ok($value)
        }
        fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
            let $found = "a string";
            Ok($value)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            let $found = "null";
            Ok($value)
        }
    };
}

/// Scans the body; when it is neither an object nor a list, says what it is.
struct ShapeVisitor<'t> {
    table: &'t KeyTable,
    /// Whether levels keep their key names.
    names: bool,
}

impl<'de> Visitor<'de> for ShapeVisitor<'_> {
    type Value = Result<Shape<'de>, &'static str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut shape = Shape {
            top: Level::collecting(self.names),
            ..Shape::default()
        };
        shape.top.records = 1;
        while let Some(key) = map.next_key::<Key<'de>>()? {
            let info = self.table.lookup(&key.0);
            match info.envelope {
                Some(envelope) if shape.inner(envelope).is_none() => {
                    let seed = InnerSeed {
                        table: self.table,
                        names: self.names,
                    };
                    if let Some(level) = map.next_value_seed(seed)? {
                        shape.inner.push((envelope, level));
                    }
                }
                _ => read_value(&mut shape.top, info, &mut map)?,
            }
            shape.top.push(self.table, info, key.0);
        }
        Ok(Ok(shape))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        let mut values = Counted {
            inner: seq,
            count: 0,
        };
        let level = InnerVisitor {
            table: self.table,
            names: self.names,
        }
        .visit_seq(&mut values)?;
        if values.count > 0 && level.as_ref().is_none_or(|level| level.records == 0) {
            // Lists of records are bodies (an empty one holds no job); a
            // list of anything else is not.
            return Ok(Err("an array with no JSON object in it"));
        }
        Ok(Ok(Shape {
            is_list: true,
            inner: level
                .into_iter()
                .map(|level| (Envelope::LIST, level))
                .collect(),
            ..Shape::default()
        }))
    }

    scalar_arms!(found => Err(found));
}

/// A list's values, counted as they are read: an empty list is a list
/// body without a job, a list of scalars no body at all.
struct Counted<A> {
    inner: A,
    count: usize,
}

impl<'de, A: SeqAccess<'de>> SeqAccess<'de> for Counted<A> {
    type Error = A::Error;

    fn next_element_seed<S: DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<Option<S::Value>, A::Error> {
        let value = self.inner.next_element_seed(seed)?;
        self.count += usize::from(value.is_some());
        Ok(value)
    }

    fn size_hint(&self) -> Option<usize> {
        self.inner.size_hint()
    }
}

/// Reads one value of a level (in a list, of its first record): `status`
/// and the word keys are looked at, the rest skipped.
fn read_value<'de, A: MapAccess<'de>>(
    level: &mut Level<'de>,
    key: KeyInfo,
    map: &mut A,
) -> Result<(), A::Error> {
    if level.slot(key).is_none() {
        map.next_value::<IgnoredAny>()?;
    } else if level.collecting {
        // A scan for a message keeps the value as sent too, to quote it.
        let sent = map.next_value::<&'de RawValue>()?;
        let scalar = serde_json::from_str::<Scalar<'de>>(sent.get()).map_err(de::Error::custom)?;
        if let Some(slot) = level.slot(key) {
            *slot = scalar.0;
        }
        if let Some(slot) = level.sent_slot(key) {
            *slot = Some(sent);
        }
    } else if let Some(slot) = level.slot(key) {
        *slot = map.next_value::<Scalar<'de>>()?.0;
    }
    Ok(())
}

/// The keys of the object inside an envelope, or of every object in a list
/// (a list's `status` is its first record's).
struct InnerSeed<'t> {
    table: &'t KeyTable,
    names: bool,
}

impl<'de> DeserializeSeed<'de> for InnerSeed<'_> {
    type Value = Option<Level<'de>>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(InnerVisitor {
            table: self.table,
            names: self.names,
        })
    }
}

struct InnerVisitor<'t> {
    table: &'t KeyTable,
    names: bool,
}

impl<'de> InnerVisitor<'_> {
    fn read_object<A: MapAccess<'de>>(
        &self,
        level: &mut Level<'de>,
        mut map: A,
    ) -> Result<(), A::Error> {
        let first = level.records == 0;
        level.records += 1;
        let mut later = LaterRecord::default();
        // The name of a later record's key that names a status, for messages.
        let mut later_key = None;
        while let Some(key) = map.next_key::<Key<'de>>()? {
            let info = self.table.lookup(&key.0);
            if first {
                read_value(level, info, &mut map)?;
                level.push(self.table, info, key.0);
                continue;
            }
            match later.slot(info) {
                Some(slot) => *slot = map.next_value::<Scalar<'de>>()?.0,
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
            later.note(info);
            if info.names_a_status && level.collecting && later_key.is_none() {
                later_key = Some(key.0.clone());
            }
            if level.is_new(info.id) {
                level.push(self.table, info, key.0);
            }
        }
        if !first && later.end(level) && level.later_status_key.is_none() {
            level.later_status_key = later_key;
        }
        Ok(())
    }
}

impl<'de> Level<'de> {
    /// Whether a later record's key (numbered `id`) adds to what the first
    /// ones showed.
    pub(crate) fn is_new(&self, id: Option<u16>) -> bool {
        id.is_some_and(|id| !self.known.contains(id))
    }
}

/// What a list's record after the first says of its status, gathered as
/// its keys pass. Only the first record's `status` is the level's, but
/// every record is decoded as a job: one with no `status` (or a null one)
/// that states its status under a key no format knows makes the level
/// [`Level::status_elsewhere`] as the first record would.
#[derive(Default)]
pub(crate) struct LaterRecord<'de> {
    status: Status<'de>,
    unknown_status_key: bool,
}

impl<'de> LaterRecord<'de> {
    /// Notes one of the record's keys.
    pub(crate) fn note(&mut self, key: KeyInfo) {
        self.unknown_status_key |= key.names_a_status;
    }

    /// Where the value of `key` goes, if it is the record's `status`.
    pub(crate) fn slot(&mut self, key: KeyInfo) -> Option<&mut Status<'de>> {
        key.is_status.then_some(&mut self.status)
    }

    /// Ends the record: what it says goes to its `level`. Returns whether
    /// it states its status elsewhere.
    pub(crate) fn end(self, level: &mut Level<'de>) -> bool {
        let elsewhere = states_status_elsewhere(self.unknown_status_key, &self.status);
        level.later_status_elsewhere |= elsewhere;
        elsewhere
    }
}

/// Whether a record with `status` states its job's status elsewhere, when
/// `unknown_status_key` says a key no format knows names a status.
fn states_status_elsewhere(unknown_status_key: bool, status: &Status) -> bool {
    unknown_status_key && matches!(status, Status::Absent)
}

impl<'de> Visitor<'de> for InnerVisitor<'_> {
    type Value = Option<Level<'de>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        let mut level = Level::collecting(self.names);
        self.read_object(&mut level, map)?;
        Ok(Some(level))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut level = Level::collecting(self.names);
        while seq
            .next_element_seed(RecordSeed {
                visitor: &self,
                level: &mut level,
            })?
            .is_some()
        {}
        Ok(Some(level))
    }

    scalar_arms!(_found => None);
}

/// One element of a list: an object's keys join the list's level; any other
/// value is skipped.
struct RecordSeed<'v, 't, 'l, 'de> {
    visitor: &'v InnerVisitor<'t>,
    level: &'l mut Level<'de>,
}

impl<'de> DeserializeSeed<'de> for RecordSeed<'_, '_, '_, 'de> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for RecordSeed<'_, '_, '_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        self.visitor.read_object(self.level, map)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(())
    }

    scalar_arms!(_found => ());
}

/// A key, borrowed from the input when it has no escapes.
pub(crate) struct Key<'de>(pub(crate) Cow<'de, str>);

impl<'de> de::Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, key: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(key)))
            }
            fn visit_str<E: de::Error>(self, key: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(key.to_owned())))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

/// A `status` value, read for what kind of status it is; containers are
/// skipped whole.
struct Scalar<'de>(Status<'de>);

impl<'de> Scalar<'de> {
    fn of_text(text: &str) -> Self {
        match Folded::inline(text) {
            // A blank word states nothing, as a `null` (APIFRAME sends
            // `"status": ""` on finished tasks).
            Some(word) if word.is_empty() => Scalar(Status::Absent),
            Some(word) if word.iter().all(u8::is_ascii_digit) => {
                // Past `u64`, a code is no HTTP status either.
                let code = std::str::from_utf8(&word)
                    .ok()
                    .and_then(|digits| digits.parse::<u64>().ok());
                Scalar(Status::code(code.unwrap_or(u64::MAX)))
            }
            // Folded on the stack: it borrows nothing from `text`.
            Some(word) => Scalar(Status::Word(word)),
            None if text.trim().bytes().all(|b| b.is_ascii_digit()) => {
                Scalar(Status::code(u64::MAX))
            }
            None => Scalar(Status::Text),
        }
    }
}

impl<'de> de::Deserialize<'de> for Scalar<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ScalarVisitor;
        impl<'de> Visitor<'de> for ScalarVisitor {
            type Value = Scalar<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_i64<E: de::Error>(self, code: i64) -> Result<Scalar<'de>, E> {
                Ok(Scalar(Status::code(code)))
            }
            fn visit_u64<E: de::Error>(self, code: u64) -> Result<Scalar<'de>, E> {
                Ok(Scalar(Status::code(code)))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Scalar<'de>, E> {
                Ok(Scalar(Status::Other))
            }
            fn visit_borrowed_str<E: de::Error>(self, text: &'de str) -> Result<Scalar<'de>, E> {
                Ok(Scalar::of_text(text))
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<Scalar<'de>, E> {
                Ok(Scalar::of_text(text))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Scalar<'de>, E> {
                Ok(Scalar(Status::Other))
            }
            // A `null` is no word, as if the key were absent.
            fn visit_unit<E: de::Error>(self) -> Result<Scalar<'de>, E> {
                Ok(Scalar(Status::Absent))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Scalar<'de>, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Scalar(Status::Other))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Scalar<'de>, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Scalar(Status::Other))
            }
        }
        deserializer.deserialize_any(ScalarVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detected(body: &str) -> Result<Provider, DecodeError> {
        detect(body.as_bytes())
    }

    /// Detects each body of `sequence` in turn, twice over (so that each
    /// decision is met both anew and remembered), asserting the provider
    /// it names, then runs `check` on it.
    fn detect_in_turn(
        sequence: &[(&str, Option<Provider>)],
        check: impl Fn(&str, Option<Provider>),
    ) {
        for _ in 0..2 {
            for &(body, provider) in sequence {
                assert_eq!(
                    detected(body).ok(),
                    provider,
                    "{body}: {:?}",
                    detected(body)
                );
                check(body, provider);
            }
        }
    }

    /// A flat body decided like the one before it must match it in every
    /// part that decides: keys, keys no format knows, status (its spelling
    /// too: APIFRAME's `{task_id, status}` needs its words as it writes them).
    #[test]
    fn a_remembered_decision_holds_only_for_the_same_shape() {
        let sequence = [
            (r#"{"task_id": "a", "status": "processing"}"#, true),
            (r#"{"task_id": "b", "status": "processing", "x": 1}"#, false),
            (r#"{"task_id": "c", "status": "processing"}"#, true),
            (r#"{"task_id": "d", "status": "PROCESSING"}"#, false),
            (r#"{"task_id": "e", "status": "no such word"}"#, false),
            (r#"{"task_id": "f", "status": 3}"#, false),
            (r#"{"task_id": "g", "status": "processing"}"#, true),
            (r#"{"task_id": "h", "status": null}"#, false),
        ];
        for _ in 0..2 {
            for (body, fits) in sequence {
                assert_eq!(detected(body).is_ok(), fits, "{body}: {:?}", detected(body));
                assert_eq!(
                    crate::decode(Provider::Apiframe, body.as_bytes()).is_ok(),
                    fits,
                    "{body} named"
                );
            }
        }
    }

    /// Text past [`Folded::INLINE`] bytes is read as [`Status::Text`],
    /// which matches no word: so no format may ask for a longer word.
    #[test]
    fn every_word_a_format_asks_for_is_short_enough_to_match() {
        for provider in Provider::ALL {
            let format = provider.format();
            let envelopes = format.envelopes.iter();
            let signatures = (format.record.iter())
                .chain(format.replies)
                .chain(
                    envelopes
                        .clone()
                        .filter_map(|envelope| envelope.outer.as_ref()),
                )
                .chain(envelopes.flat_map(|envelope| envelope.record));
            for signature in signatures {
                let status_words = match signature.status {
                    StatusMark::Words(words)
                    | StatusMark::NoneOrWords(words)
                    | StatusMark::Exact(words)
                    | StatusMark::NoneOrCapitals(words) => words,
                    _ => &[],
                };
                if let StatusMark::Exact(words) = signature.status {
                    for word in words {
                        assert!(
                            crate::event::fold_word(word).is_as_sent(),
                            "{provider}: {word} is not folded"
                        );
                    }
                }
                let marks = signature.word_marks().flat_map(|(_, words)| words);
                for word in status_words.iter().chain(marks) {
                    assert!(word.len() <= Folded::INLINE, "{provider}: {word}");
                }
            }
        }
        assert_eq!(Scalar::of_text(&"x".repeat(31)).0, Status::Text);
        assert!(matches!(Scalar::of_text(" pending ").0, Status::Word(_)));
    }

    /// An envelope's decision is remembered too, and holds only when every
    /// level, the record's included, is shaped as before.
    #[test]
    fn a_remembered_decision_on_an_envelope_holds_only_for_the_same_levels() {
        let kie = Some(Provider::Kie);
        // AsyncAPI's created reply, TTAPI's submit reply too.
        let tie = None;
        let sequence = [
            (
                r#"{"code": 200, "msg": "ok", "data": {"taskId": "a"}}"#,
                kie,
            ),
            (
                r#"{"code": 200, "msg": "ok", "data": {"taskId": "b", "x": 1, "y": 2}}"#,
                None,
            ),
            (
                r#"{"code": 200, "msg": "ok", "data": {"taskId": "c"}}"#,
                kie,
            ),
            (r#"{"code": 0, "msg": "ok", "data": {"taskId": "d"}}"#, None),
            (r#"{"code": 200, "msg": "ok", "data": []}"#, kie),
            (
                r#"{"status": "SUCCESS", "message": "m", "data": {"job_id": "e"}}"#,
                tie,
            ),
            (
                r#"{"status": "nope", "message": "m", "data": {"job_id": "f"}}"#,
                None,
            ),
            (
                r#"{"status": "SUCCESS", "message": "m", "data": {"job_id": "g", "task_id": "h"}}"#,
                None,
            ),
            (
                r#"{"status": "SUCCESS", "message": "m", "data": {"job_id": "i"}}"#,
                tie,
            ),
            (r#"[{"taskId": "j", "status": "SUCCESS"}]"#, None),
            (r#"[]"#, None),
        ];
        detect_in_turn(&sequence, |body, provider| {
            let auto = crate::decode_all(None, body.as_bytes());
            if let Some(provider) = provider {
                let named = crate::decode_all(Some(provider), body.as_bytes());
                assert_eq!(named.is_ok(), auto.is_ok(), "{body} named");
                assert!(crate::decode_all(Some(Provider::Goapi), body.as_bytes()).is_err());
            } else {
                assert!(auto.is_err(), "{body}");
            }
        });
    }

    /// A word key decides as `status` does, and a remembered decision
    /// holds only for the same words (or kind of code).
    #[test]
    fn a_word_key_must_hold_one_of_the_formats_words() {
        let sequence = [
            (
                r#"{"id": "a", "type": "imagine", "status": "pending"}"#,
                Some(Provider::Asyncapi),
            ),
            (
                r#"{"id": "b", "type": "image_generation_call", "status": "pending"}"#,
                None,
            ),
            (
                r#"{"id": "c", "type": "Upscale", "status": "pending"}"#,
                Some(Provider::Asyncapi),
            ),
            (r#"{"id": "d", "type": 3, "status": "pending"}"#, None),
            (
                r#"{"job_id": "e", "event": "job.completed", "status": "completed"}"#,
                Some(Provider::Asyncapi),
            ),
            (
                r#"{"job_id": "f", "event": "generation.completed", "status": "completed"}"#,
                None,
            ),
            (
                r#"{"event": "images.items.update", "payload": {"id": "g"}}"#,
                Some(Provider::Imagineapi),
            ),
            (
                r#"{"event": "transcription.success", "payload": {"id": "h"}}"#,
                None,
            ),
            // An unknown event still counts beside the image's own keys.
            (
                r#"{"event": "images.items.delete", "payload": {"id": "i", "upscaled_urls": []}}"#,
                Some(Provider::Imagineapi),
            ),
            (r#"{"jobId": "j", "progress": "10"}"#, Some(Provider::Ttapi)),
            (
                r#"{"jobId": "k", "progress": "10", "status": "ON_QUEUE"}"#,
                Some(Provider::Ttapi),
            ),
            (
                r#"{"jobId": "l", "progress": 10, "status": "running"}"#,
                None,
            ),
            // A word key that need not be there must be the format's when it is.
            (
                r#"{"job_id": "m", "status": "completed", "timestamp": "2026-03-02T10:00:00Z"}"#,
                Some(Provider::Asyncapi),
            ),
            (
                r#"{"job_id": "n", "status": "completed", "type": "blend"}"#,
                Some(Provider::Asyncapi),
            ),
            (
                r#"{"job_id": "o", "status": "completed", "type": "video"}"#,
                None,
            ),
            // Every word key a signature names is checked, not only the first.
            (
                r#"{"job_id": "o2", "event": "job.completed", "status": "completed", "type": "video"}"#,
                None,
            ),
            (
                r#"{"task_id": "p", "image_url": "https://a.example/p.png"}"#,
                Some(Provider::Apiframe),
            ),
            (
                r#"{"task_id": "q", "status": "success", "image_url": "https://a.example/q.png"}"#,
                None,
            ),
            // `code` is read as a result code: an HTTP status, or not.
            (r#"{"code": 404, "msg": "r"}"#, Some(Provider::Kie)),
            (r#"{"code": 0, "msg": "s"}"#, None),
            (r#"{"code": "401", "msg": "t"}"#, Some(Provider::Kie)),
            (r#"{"code": 1000, "msg": "u"}"#, None),
        ];
        detect_in_turn(&sequence, |body, provider| {
            for named in Provider::ALL {
                if provider.is_none() {
                    assert!(
                        crate::decode(named, body.as_bytes()).is_err(),
                        "{body} as {named}"
                    );
                }
            }
        });
    }

    #[test]
    fn each_shape_names_its_provider() {
        let cases = [
            (
                r#"{"event": "job.completed", "job_id": "j", "status": "completed"}"#,
                Provider::Asyncapi,
            ),
            (
                r#"{"data": [{"id": "j", "type": "imagine", "status": "completed"}], "total": 1}"#,
                Provider::Asyncapi,
            ),
            (r#"{"task_id": "t"}"#, Provider::Apiframe),
            (r#"{"tasks": []}"#, Provider::Apiframe),
            (
                r#"{"task_id": "t", "status": "success", "message": ""}"#,
                Provider::Goapi,
            ),
            (
                r#"{"timestamp": 1, "data": {"task_id": "t", "output": null}}"#,
                Provider::Goapi,
            ),
            (
                r#"{"event": "images.items.update", "payload": {"id": "i", "url": null}}"#,
                Provider::Imagineapi,
            ),
            (
                r#"{"status": 0, "data": [{"taskId": "t", "status": 1}]}"#,
                Provider::MidjourneyApi,
            ),
            (
                r#"{"status": 1001, "message": "quota not enough"}"#,
                Provider::MidjourneyApi,
            ),
            (
                r#"{"job_id": "j", "task_type": "diffusion", "status": "pending"}"#,
                Provider::Legnext,
            ),
            (
                r#"{"timestamp": 1, "data": {"job_id": "j", "output": null}}"#,
                Provider::Legnext,
            ),
            (
                r#"{"code": 400, "message": "bad", "raw_message": "", "detail": null}"#,
                Provider::Legnext,
            ),
            (
                r#"{"code": 200, "msg": "success", "data": {"taskId": "t"}}"#,
                Provider::Kie,
            ),
            (
                r#"{"code": 200, "msg": "success", "data": {"taskId": "t", "successFlag": 0}}"#,
                Provider::Kie,
            ),
            (r#"{"code": 401, "msg": "unauthorized"}"#, Provider::Kie),
        ];
        for (body, provider) in cases {
            assert_eq!(detected(body), Ok(provider), "{body}");
        }
    }

    #[test]
    fn escaped_keys_are_read_as_their_text() {
        assert_eq!(
            detected(r#"{"task\u005fid": "t", "task_result": {}}"#),
            Ok(Provider::Goapi)
        );
    }

    #[test]
    fn an_id_alone_is_the_submit_reply_of_the_format_that_sends_it_so() {
        // APIFRAME's submit reply is `{task_id}` alone; midjourney-api.com's
        // is `{taskId}` inside its envelope. A bare `{taskId}` is many APIs'
        // reply, and no midjourney-api.com body.
        assert_eq!(detected(r#"{"task_id": "t"}"#), Ok(Provider::Apiframe));
        assert_eq!(
            detected(r#"{"status": 0, "message": "ok", "data": {"taskId": "t"}}"#),
            Ok(Provider::MidjourneyApi)
        );
        assert!(matches!(
            detected(r#"{"taskId": "t"}"#),
            Err(DecodeError::Undetected { .. })
        ));
        assert!(crate::decode(Provider::MidjourneyApi, br#"{"taskId": "t"}"#).is_err());
    }

    #[test]
    fn a_list_body_is_a_list_of_records_or_no_body() {
        // midjourney-proxy's `list-by-condition` is the one list body; an
        // empty one holds no job, and shows nothing of whose it is.
        let unknown = crate::decode_auto(b"[]").unwrap_err().to_string();
        assert!(
            unknown.contains("not midjourney_proxy: it is an empty list"),
            "{unknown}"
        );
        assert_eq!(
            crate::decode(Provider::MidjourneyProxy, b"[]"),
            Err(DecodeError::NoJob {
                provider: Provider::MidjourneyProxy,
                path: ".".to_owned(),
            })
        );
        assert!(matches!(
            crate::decode_auto(b"[1, 2]"),
            Err(DecodeError::NotAnObject { .. })
        ));
        let records = br#"[{"task_id": "t", "status": "pending"}]"#;
        let error = crate::decode(Provider::Apiframe, records).unwrap_err();
        assert!(error.to_string().contains("it is a list"), "{error}");
    }

    #[test]
    fn an_errors_list_is_directus_only_by_its_entries() {
        let directus = r#"{"errors": [{"message": "no", "extensions": {"code": "FORBIDDEN"}}]}"#;
        assert_eq!(detected(directus), Ok(Provider::Imagineapi));
        // Other APIs' errors, with keys other formats know.
        for other in [
            r#"{"errors": [{"code": "invalidWidth", "message": "bad", "parameter": "width"}]}"#,
            r#"{"errors": [{"message": "bad", "type": "validation"}]}"#,
        ] {
            assert!(
                matches!(detected(other), Err(DecodeError::Undetected { .. })),
                "{other}"
            );
        }
    }

    #[test]
    fn an_empty_list_in_an_envelope_yields_to_the_evidence_around_it() {
        // `data: []` says nothing of whose it is: four formats put records
        // in a `data` list. What stands beside it decides.
        assert_eq!(
            detected(r#"{"status": "ON_QUEUE", "message": "", "jobId": "j", "data": []}"#),
            Ok(Provider::Ttapi)
        );
        assert_eq!(
            detected(r#"{"status": 0, "message": "success", "data": []}"#),
            Ok(Provider::MidjourneyApi)
        );
        assert_eq!(
            detected(r#"{"status": "1002", "message": "busy", "data": []}"#),
            Ok(Provider::MidjourneyApi)
        );
        // With nothing of a format's own beside it, it is still every such
        // format's.
        for generic in [
            r#"{"data": []}"#,
            r#"{"code": 0, "message": "success", "data": []}"#,
            r#"{"timestamp": 1700000000, "data": []}"#,
        ] {
            assert!(
                matches!(
                    detected(generic),
                    Err(DecodeError::Ambiguous { ref candidates, .. }) if candidates.len() > 1
                ),
                "{generic}: {:?}",
                detected(generic)
            );
        }
    }

    #[test]
    fn an_unknown_shape_lists_the_keys_seen_including_inside_the_envelope() {
        let error = detected(r#"{"order": 1, "data": {"sku": "a"}}"#).unwrap_err();
        let DecodeError::Undetected { seen, tried } = &error else {
            panic!("{error:?}");
        };
        assert_eq!(seen, &["order", "data", "data.sku"]);
        assert!(tried.iter().any(|(p, _)| *p == Provider::MidjourneyApi));
    }

    #[test]
    fn keys_of_its_own_beside_words_every_job_api_uses_refuse_the_body() {
        // AsyncAPI's and midjourney-api.com's keys and words are generic job
        // API vocabulary: with keys of their own beside them (more than one
        // for every four known), these are other APIs' bodies (a scraper's
        // webhook, a wrapper's reply). The same bodies without those keys
        // are the format's.
        for (body, provider) in [
            (
                r#"{"job_id": "j", "event": "job.completed", "status": "completed",
                    "timestamp": "2025-03-01T10:00:00Z", "leads_collected": 42, "actor": "a"}"#,
                Provider::Asyncapi,
            ),
            (
                r#"{"id": "j", "type": "upscale", "status": "completed",
                    "parameters": {}, "output_url": "https://a.example/x4.png", "cost": 1}"#,
                Provider::Asyncapi,
            ),
            (
                r#"{"status": 0, "message": "ok", "requestId": "r", "traceId": "t",
                    "data": {"taskId": "t", "status": 1, "images": ["https://a.example/0.png"]}}"#,
                Provider::MidjourneyApi,
            ),
            (
                r#"{"taskId": "t", "status": 2, "failReason": "banned", "region": "eu"}"#,
                Provider::MidjourneyApi,
            ),
            (
                r#"{"task_id": "t", "task_type": "text2img", "status": "failed", "reason": "x"}"#,
                Provider::Apiframe,
            ),
            // KIE's other products: beside an id alone (the submit reply's
            // evidence), no key of its own is a field a vendor added.
            (
                r#"{"code": 200, "msg": "success",
                    "data": {"taskId": "t", "info": {"result_urls": ["https://a.example/0.png"]}}}"#,
                Provider::Kie,
            ),
        ] {
            assert!(detected(body).is_err(), "{body}");
            let unknown = [
                r#", "leads_collected": 42, "actor": "a""#,
                r#", "output_url": "https://a.example/x4.png", "cost": 1"#,
                r#", "requestId": "r", "traceId": "t""#,
                r#", "region": "eu""#,
                r#", "reason": "x""#,
                r#", "info": {"result_urls": ["https://a.example/0.png"]}"#,
            ];
            let own = unknown
                .iter()
                .fold(body.to_owned(), |text, key| text.replace(key, ""));
            assert_eq!(detected(&own), Ok(provider), "{own}");
        }
    }

    /// Unknown fields are ignored where they are few: a vendor's body with
    /// one field added decodes as it did without it.
    #[test]
    fn a_field_a_vendor_adds_to_a_body_of_its_own_is_ignored() {
        for (body, added, provider) in [
            (
                r#"{"job_id": "j", "event": "job.completed", "status": "completed",
                    "timestamp": "2025-03-01T10:00:00Z",
                    "result": {"images": [{"url": "https://a.example/0.png"}]}}"#,
                r#", "webhook_version": 2}"#,
                Provider::Asyncapi,
            ),
            (
                r#"{"status": 0, "message": "ok",
                    "data": {"taskId": "t", "status": 1, "images": ["https://a.example/0.png"]}}"#,
                r#", "requestId": "r"}"#,
                Provider::MidjourneyApi,
            ),
            (
                r#"{"task_id": "t", "task_type": "imagine", "status": "processing",
                    "percentage": "40"}"#,
                r#", "queue_position": 3}"#,
                Provider::Apiframe,
            ),
        ] {
            let open = body.strip_suffix('}').expect("an object");
            let with_field = format!("{open}{added}");
            let plain = crate::decode(provider, body.as_bytes()).expect(body);
            assert_eq!(crate::decode_auto(with_field.as_bytes()), Ok(plain.clone()));
            assert_eq!(crate::decode(provider, with_field.as_bytes()), Ok(plain));
        }
        // Inside a result, beside the spec's keys, too.
        let seeded = r#"{"job_id": "j", "event": "job.completed", "status": "completed",
            "timestamp": "2025-03-01T10:00:00Z",
            "result": {"images": [{"url": "https://a.example/0.png"}], "seed": 7}}"#;
        let event = crate::decode(Provider::Asyncapi, seeded.as_bytes()).expect(seeded);
        assert_eq!(event.images.len(), 1);
        // A result of none of them is another API's.
        let foreign = seeded.replace(r#""images""#, r#""urls""#);
        assert!(crate::decode(Provider::Asyncapi, foreign.as_bytes()).is_err());
        // Nor does a `null` list of the spec's count beside keys of its own.
        let nulled = foreign.replace(r#", "seed": 7"#, r#", "images": null"#);
        assert!(nulled.contains(r#""images": null"#), "{nulled}");
        assert!(crate::decode(Provider::Asyncapi, nulled.as_bytes()).is_err());
        let empty = r#"{"job_id": "j", "event": "job.completed", "status": "completed",
            "timestamp": "2025-03-01T10:00:00Z", "result": {"images": null}}"#;
        assert!(crate::decode(Provider::Asyncapi, empty.as_bytes()).is_ok());
    }

    #[test]
    fn an_asyncapi_webhook_holds_no_list_or_error_reply_keys() {
        let webhook = r#"{"job_id": "j", "event": "job.completed", "status": "completed",
            "timestamp": "2025-03-01T10:00:00Z""#;
        assert_eq!(detected(&format!("{webhook}}}")), Ok(Provider::Asyncapi));
        // AsyncAPI knows `data`, `message` and `code`, but from its job list
        // and its error reply, never beside a webhook's keys: other job APIs
        // send them there.
        for extra in [
            r#""data": {"processed_items": 40}"#,
            r#""message": "input file missing", "code": "E_INPUT""#,
            r#""total": 3"#,
        ] {
            let body = format!("{webhook}, {extra}}}");
            assert!(detected(&body).is_err(), "{body}");
            assert!(
                crate::decode(Provider::Asyncapi, body.as_bytes()).is_err(),
                "{body}"
            );
        }
    }

    #[test]
    fn a_key_with_a_control_character_is_listed_escaped() {
        let message = detected("{\"evil\\nkey\": 1, \"tab\\there\": 2}")
            .unwrap_err()
            .to_string();
        assert!(
            !message.contains('\n') && !message.contains('\t'),
            "{message}"
        );
        assert!(
            message.contains(r#"keys seen: "evil\nkey", "tab\there")"#),
            "{message}"
        );
    }

    /// A word that fits no format is quoted as the vendor spelled it, not
    /// in the folded form the tables match, and escaped as vendor text is.
    #[test]
    fn a_word_that_fits_no_format_is_quoted_as_sent() {
        for body in [
            r#"{"task_id": "t", "status": "IN-PROGRESS"}"#,
            r#"{"task_id": "t", "status": "In Progress"}"#,
            r#"{"task_id": "t", "status": "IN-\u0050ROGRESS"}"#,
        ] {
            let sent = serde_json::from_str::<serde_json::Value>(body).unwrap()["status"]
                .as_str()
                .unwrap()
                .to_owned();
            for message in [
                detected(body).unwrap_err().to_string(),
                crate::decode(Provider::Apiframe, body.as_bytes())
                    .unwrap_err()
                    .to_string(),
            ] {
                assert!(
                    message.contains(&format!("its `status` `{sent}` is none of")),
                    "{message}"
                );
            }
        }
        let message = detected("{\"task_id\": \"t\", \"status\": \"odd\\u202eword\"}")
            .unwrap_err()
            .to_string();
        assert!(message.contains(r"`odd\u{202e}word`"), "{message}");
    }
    #[test]
    fn formats_that_fail_alike_share_one_reason_nearest_first() {
        let message = detected(r#"{"challenge": "c-1"}"#).unwrap_err().to_string();
        assert!(
            message.contains("; not apiframe, goapi: it has no `task_id`;"),
            "{message}"
        );
        let message = detected(r#"{"job_id": "j", "status": "processing", "progress": 4}"#)
            .unwrap_err()
            .to_string();
        // AsyncAPI knows every key and lacks only a status word: it comes
        // first, before the formats that do not know the keys.
        let nearest = message.find("; not asyncapi: it has `job_id` and `status`, but");
        let others = message.find("it carries `job_id`");
        assert!(nearest.is_some() && nearest < others, "{message}");
        assert!(
            !message.contains("(asyncapi"),
            "owners are left out: {message}"
        );
    }

    #[test]
    fn bad_json_is_a_positioned_syntax_error() {
        let error = detected("{\n  \"task_id\": \"t\",\n  oops\n}").unwrap_err();
        assert!(
            matches!(
                error,
                DecodeError::Syntax {
                    line: 3,
                    provider: None,
                    ..
                }
            ),
            "{error:?}"
        );
    }
}
