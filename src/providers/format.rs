//! Each format described once, as data: the keys it knows, the evidence that
//! identifies it, and its envelopes.
//!
//! Detection ([`mod@crate::detect`]), the named-provider check of
//! [`crate::decode`], and their error messages all read these descriptions;
//! nothing else decides which format a body is.
//!
//! The rules:
//! - A key that some known format sends and `P` does not is *foreign* to `P`.
//!   A body with a foreign key, at the top or inside an envelope, whatever its
//!   value (`null` included), is not `P`: decoding it as `P` would drop what
//!   that key holds. A key no known format sends is an extra field, ignored;
//!   but where `P`'s evidence is weak ([`Signature::closed`]), a body needs
//!   four keys some format knows for each such key, or it is another API's
//!   body that shares a few keys with `P`.
//! - A body is `P` only on positive evidence: one of `P`'s [`Signature`]s
//!   holds on its record (or on the envelope, for a vendor's error reply).
//!   A signature names keys, and may ask `status`, `type` or `event` for one
//!   of `P`'s words: many APIs send `{id, type, status}` or `{event,
//!   payload}`, and their words are what tells them apart.
//! - `detect` names the one format with evidence and no foreign key; none is
//!   "unknown format", several is a tie, and both are errors.

mod key_index;

use std::sync::OnceLock;

use serde::de::{self, Deserialize, Deserializer, Visitor};

use super::Provider;
use key_index::KeyIndex;

/// How one provider's bodies look.
#[derive(Debug)]
pub struct Format {
    /// The provider this describes.
    pub provider: Provider,
    /// The keys its wire types read, derived from their serde field lists
    /// ([`fields_of`]): a record's and its envelopes'.
    pub wire_keys: fn() -> Vec<&'static str>,
    /// Keys the vendor is documented to send that the wire types do not read.
    pub also_sends: &'static [&'static str],
    /// Ways a job record shows it is this format.
    pub record: &'static [Signature],
    /// Envelopes around one record or a list of them.
    pub envelopes: &'static [Envelope],
    /// Ways the vendor's error replies (no record at all) show it.
    pub replies: &'static [Signature],
}

/// One way a level of a body (a record, or an envelope) shows its format.
#[derive(Debug, Clone, Copy)]
pub struct Signature {
    /// Every one of these keys is present.
    pub all: &'static [&'static str],
    /// At least one of these keys is present (empty: no condition).
    pub any: &'static [&'static str],
    /// What `status` must hold.
    pub status: StatusMark,
    /// By [`WordKey`] slot, the words that key holds if present (`type`
    /// one of the format's job types), or `None` for any;
    /// [`Signature::all`] says whether it must be present.
    pub words: [Option<&'static [&'static str]>; WordKey::ALL.len()],
    /// By [`WordKey`] slot, whether its word must be written as the format
    /// writes it, in capitals (`IMAGINE`), not in the lower case other
    /// APIs write the same word in (`upload`).
    pub words_in_capitals: [bool; WordKey::ALL.len()],
    /// Whether the level may hold no key but `all`'s and `any`'s.
    pub only: bool,
    /// Whether the level's keys must be ones the format knows: for weak
    /// evidence (an id and a common status word), which a look-alike body
    /// with keys of its own must not pass for. A body with one key no
    /// format knows for every four that some format knows still passes
    /// (unknown fields are ignored, and vendors add fields now and then),
    /// except beside an [`Signature::only`] signature's keys.
    pub closed: bool,
    /// Whether the signature counts only when the provider is named: for a
    /// body that this format and another send alike (an id alone), which
    /// detection leaves to the other format and a named decode still reads.
    pub named_only: bool,
    /// With `only`: further keys the level may hold besides `all` and `any`.
    pub among: &'static [&'static str],
    /// Whether `code`, if present, must be an HTTP status (100–599): a
    /// vendor that answers in HTTP statuses, where many APIs answer
    /// `{"code": 0, "msg": …}`.
    pub http_code: bool,
    /// Whether `error`, if present, must be an object: a format whose
    /// errors are `{code, message}`, where many APIs send text.
    pub error_object: bool,
    /// Whether `error`, if present, must be text: a format whose errors are
    /// messages, where others send `{code, message}`.
    pub error_text: bool,
}

impl Signature {
    /// A signature of keys alone.
    pub const fn keys(all: &'static [&'static str], any: &'static [&'static str]) -> Self {
        Signature {
            all,
            any,
            status: StatusMark::Any,
            words: [None; WordKey::ALL.len()],
            words_in_capitals: [false; WordKey::ALL.len()],
            only: false,
            closed: false,
            named_only: false,
            among: &[],
            http_code: false,
            error_object: false,
            error_text: false,
        }
    }

    /// The same keys, with a condition on `status`.
    pub const fn status(mut self, status: StatusMark) -> Self {
        self.status = status;
        self
    }

    /// The same, with `key`, if present, holding one of `words` (ASCII case
    /// ignored, `-`, `_` and space alike). Name `key` in `all` too when it
    /// must be present.
    pub const fn word(mut self, key: WordKey, words: &'static [&'static str]) -> Self {
        self.words[key.slot()] = Some(words);
        self
    }

    /// The same, with `key`, if present, holding one of `words` written in
    /// capitals, as a format that sends them so writes them.
    pub const fn word_in_capitals(mut self, key: WordKey, words: &'static [&'static str]) -> Self {
        self.words_in_capitals[key.slot()] = true;
        self.word(key, words)
    }

    /// Whether `key`'s word must be in capitals ([`Signature::word_in_capitals`]).
    pub(crate) fn in_capitals(&self, key: WordKey) -> bool {
        self.words_in_capitals[key.slot()]
    }

    /// The word keys this signature asks words of, with the words.
    pub(crate) fn word_marks(
        &self,
    ) -> impl Iterator<Item = (WordKey, &'static [&'static str])> + '_ {
        WordKey::ALL
            .into_iter()
            .filter_map(|key| Some((key, self.words[key.slot()]?)))
    }

    /// The same keys, and nothing else: no other key, known or not (an id
    /// alone is weak evidence, and a body with more is another API's).
    pub const fn only(mut self) -> Self {
        self.only = true;
        self.closed = true;
        self
    }

    /// The same keys, beside no others than `among` of the keys some format
    /// knows (keys no format knows as [`Signature::closed`] allows): for a
    /// record whose keys are the format's but whose format also knows keys
    /// that never stand beside it (a list envelope's, an error reply's).
    pub const fn only_among(mut self, among: &'static [&'static str]) -> Self {
        self.among = among;
        self.only = true;
        self.closed = true;
        self
    }

    /// The same, on a level whose every key the format knows.
    pub const fn closed(mut self) -> Self {
        self.closed = true;
        self
    }

    /// The same, with `code`, if present, an HTTP status.
    pub const fn http_code(mut self) -> Self {
        self.http_code = true;
        self
    }

    /// The same, with `error`, if present, an object.
    pub const fn error_object(mut self) -> Self {
        self.error_object = true;
        self
    }

    /// The same, with `error`, if present, text.
    pub const fn error_text(mut self) -> Self {
        self.error_text = true;
        self
    }

    /// The same, counted only when the provider is named.
    pub const fn named_only(mut self) -> Self {
        self.named_only = true;
        self
    }
}

/// A condition on a level's `status` value.
#[derive(Debug, Clone, Copy)]
pub enum StatusMark {
    /// Any value, or none.
    Any,
    /// A string equal to one of these words (ASCII case ignored, `-`, `_`
    /// and space alike).
    Words(&'static [&'static str]),
    /// An API result code: an integer, or a string of digits.
    Code,
    /// No `status`, or one of these words: for a record that may leave its
    /// status to an envelope, but whose own must be the format's.
    NoneOrWords(&'static [&'static str]),
    /// No `status`, or an API result code: for a vendor whose statuses are
    /// numbers, where other APIs send words.
    NoneOrCode,
    /// A string spelled as one of these words (white space around it
    /// aside; the words are lower case, with `_` between parts): for weak
    /// evidence, where other APIs send the same word in their own case
    /// (Celery's `PENDING` beside APIFRAME's `pending`).
    Exact(&'static [&'static str]),
    /// No `status`, or one of these words written as a format that sends
    /// them in capitals writes them, not in the folded lower case other
    /// APIs send (Scenario's `success` beside TTAPI's `SUCCESS`).
    NoneOrCapitals(&'static [&'static str]),
}

/// A key other than `status` whose value can be evidence: many APIs send
/// `type` and `event` with words of their own ([`Signature::word`]), and
/// `code` with result codes of their own ([`Signature::http_code`]), and
/// `error` as text where a format sends an object
/// ([`Signature::error_object`]); `model` names a vendor's other APIs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum WordKey {
    /// `type`: what kind of job or object.
    Type,
    /// `event`: what happened.
    Event,
    /// `code`: an API result code.
    Code,
    /// `error`: an error's text, or an object of its parts.
    Error,
    /// `model`: which of a vendor's APIs a task belongs to, where one task
    /// format serves several.
    Model,
    /// `action`: what a job does (`IMAGINE`), where other APIs name their
    /// own (`render`).
    Action,
}

impl WordKey {
    /// Every word key, in the order of their slots in a level.
    pub const ALL: [WordKey; 6] = [
        WordKey::Type,
        WordKey::Event,
        WordKey::Code,
        WordKey::Error,
        WordKey::Model,
        WordKey::Action,
    ];

    /// The key's name in a body.
    pub const fn name(self) -> &'static str {
        match self {
            WordKey::Type => "type",
            WordKey::Event => "event",
            WordKey::Code => "code",
            WordKey::Error => "error",
            WordKey::Model => "model",
            WordKey::Action => "action",
        }
    }

    /// Its slot among a level's words.
    pub(crate) const fn slot(self) -> usize {
        self as usize
    }
}

/// An envelope: a key holding one record or a list of records, with keys
/// of its own beside it.
#[derive(Debug, Clone, Copy)]
pub struct Envelope {
    /// The key holding the record(s); [`Envelope::LIST`] for a body that is
    /// itself a JSON array of records.
    pub key: &'static str,
    /// What the envelope's own level shows (`None`: the key alone is enough).
    pub outer: Option<Signature>,
    /// The record's id key that the envelope may carry for it (an echo, or
    /// the only copy).
    pub carries_id: Option<&'static str>,
    /// Further ways a record shows its format inside this envelope, once the
    /// envelope's own level has shown it.
    pub record: &'static [Signature],
}

impl Envelope {
    /// The key name for a body that is a bare JSON array of records.
    pub const LIST: &'static str = "[]";
}

/// The serde field names (aliases included) of a struct's `Deserialize`, or
/// nothing for a type that is not a struct.
///
/// serde passes a derived struct's field list to `deserialize_struct`; this
/// asks for it and stops there, so a format's keys are written once, in its
/// wire types.
pub fn fields_of<'de, T: Deserialize<'de>>() -> &'static [&'static str] {
    struct FieldList(std::cell::Cell<&'static [&'static str]>);

    #[derive(Debug)]
    struct Stop;
    impl std::fmt::Display for Stop {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("field list read")
        }
    }
    impl std::error::Error for Stop {}
    impl de::Error for Stop {
        fn custom<M: std::fmt::Display>(_: M) -> Self {
            Stop
        }
    }

    impl<'de> Deserializer<'de> for &FieldList {
        type Error = Stop;
        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Stop> {
            Err(Stop)
        }
        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Stop> {
            self.0.set(fields);
            Err(Stop)
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
            bytes byte_buf option unit unit_struct newtype_struct seq tuple
            tuple_struct map enum identifier ignored_any
        }
    }

    let list = FieldList(std::cell::Cell::new(&[]));
    let _ = T::deserialize(&list);
    list.0.get()
}

/// A set of providers, one bit each.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Providers(u32);

impl Providers {
    pub(crate) fn with(self, provider: Provider) -> Self {
        Providers(self.0 | 1 << provider.index())
    }

    /// The providers of `self` and of `other`.
    pub(crate) fn union(self, other: Providers) -> Self {
        Providers(self.0 | other.0)
    }

    /// Every provider not in `self`.
    pub(crate) fn complement(self) -> Self {
        Providers(!self.0)
    }

    pub(crate) fn has(self, provider: Provider) -> bool {
        self.0 & 1 << provider.index() != 0
    }

    pub(crate) fn iter(self) -> impl Iterator<Item = Provider> {
        Provider::ALL.into_iter().filter(move |p| self.has(*p))
    }
}

/// Bits over the [`KeyTable`]'s keys.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct KeyBits([u64; KeyBits::WORDS]);

impl KeyBits {
    const WORDS: usize = 4;
    const CAPACITY: usize = Self::WORDS * 64;

    pub(crate) fn insert(&mut self, key: u16) {
        self.0[usize::from(key) / 64] |= 1 << (key % 64);
    }

    pub(crate) fn contains(&self, key: u16) -> bool {
        self.0[usize::from(key) / 64] & 1 << (key % 64) != 0
    }

    pub(crate) fn len(&self) -> usize {
        self.0.iter().map(|word| word.count_ones() as usize).sum()
    }

    pub(crate) fn contains_all(&self, other: &KeyBits) -> bool {
        self.0.iter().zip(other.0).all(|(a, b)| a & b == b)
    }

    pub(crate) fn intersects(&self, other: &KeyBits) -> bool {
        self.0.iter().zip(other.0).any(|(a, b)| a & b != 0)
    }

    pub(crate) fn is_subset_of(&self, other: &KeyBits) -> bool {
        other.contains_all(self)
    }

    pub(crate) fn without(&self, other: &KeyBits) -> KeyBits {
        let mut out = *self;
        for (a, b) in out.0.iter_mut().zip(other.0) {
            *a &= !b;
        }
        out
    }

    pub(crate) fn union(&self, other: &KeyBits) -> KeyBits {
        let mut out = *self;
        for (a, b) in out.0.iter_mut().zip(other.0) {
            *a |= b;
        }
        out
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = u16> + '_ {
        self.0.iter().enumerate().flat_map(|(word, bits)| {
            let mut rest = *bits;
            std::iter::from_fn(move || {
                (rest != 0).then(|| {
                    let bit = rest.trailing_zeros() as u16;
                    rest &= rest - 1;
                    word as u16 * 64 + bit
                })
            })
        })
    }
}

/// A [`Signature`] with its keys as bits.
#[derive(Debug)]
pub(crate) struct CompiledSignature {
    pub(crate) all: KeyBits,
    pub(crate) any: KeyBits,
    pub(crate) status: StatusMark,
    /// `all` and `any` together: the keys an `only` signature allows.
    pub(crate) allowed: KeyBits,
    pub(crate) only: bool,
    pub(crate) closed: bool,
    /// Whether no key that no format knows may stand beside the keys, however
    /// many known keys the body has: an [`Signature::only`] signature names
    /// every key its level holds (an id alone, a bare reply), the weakest
    /// evidence there is.
    pub(crate) exact: bool,
    pub(crate) source: Signature,
}

impl CompiledSignature {
    /// Whether the signature asks for values of the format's own: a
    /// `status`, or words of a word key (keys alone, such as `code` or
    /// `timestamp`, are every API's).
    pub(crate) fn asks_values(&self) -> bool {
        !matches!(self.status, StatusMark::Any) || self.source.word_marks().next().is_some()
    }
}

/// An [`Envelope`] with its keys as bits.
#[derive(Debug)]
pub(crate) struct CompiledEnvelope {
    pub(crate) key: &'static str,
    pub(crate) outer: Option<CompiledSignature>,
    pub(crate) carries_id: Option<u16>,
    pub(crate) record: Vec<CompiledSignature>,
}

/// A [`Format`] with its keys as bits.
#[derive(Debug)]
pub(crate) struct CompiledFormat {
    pub(crate) format: &'static Format,
    /// Every key the format knows.
    pub(crate) knows: KeyBits,
    pub(crate) record: Vec<CompiledSignature>,
    pub(crate) envelopes: Vec<CompiledEnvelope>,
    pub(crate) replies: Vec<CompiledSignature>,
}

/// Every key some format knows, numbered, with the formats that know it.
#[derive(Debug)]
pub(crate) struct KeyTable {
    /// The keys by name, while the table is built.
    interned: rustc_hash::FxHashMap<&'static str, u16>,
    /// The keys by name, once it is: looked up once per key of every body.
    index: KeyIndex,
    names: Vec<&'static str>,
    /// What [`KeyTable::lookup`] answers, by key number.
    infos: Vec<KeyInfo>,
    owners: Vec<Providers>,
    /// The keys some format declares as an envelope: the scan looks one
    /// level into their objects.
    envelope_keys: KeyBits,
    /// The number of `status`, whose value detection reads.
    status: u16,
    /// The numbers of the [`WordKey`]s, by slot.
    words: [u16; WordKey::ALL.len()],
    pub(crate) formats: Vec<CompiledFormat>,
}

/// What the [`KeyTable`] knows of one key of a body, from one lookup.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct KeyInfo {
    /// The key's number, if some format knows it.
    pub(crate) id: Option<u16>,
    /// Whether it is `status`.
    pub(crate) is_status: bool,
    /// The [`WordKey`] it is, if any.
    pub(crate) word: Option<WordKey>,
    /// The key, if some format declares it an envelope.
    pub(crate) envelope: Option<&'static str>,
    /// Whether the key, which no format knows, names a status
    /// ([`names_a_status`]).
    pub(crate) names_a_status: bool,
}

/// Whether `key` names a job's status or state: it is `status` or `state`
/// in another case (`Status`), or its last two words (split at every
/// character that is not an ASCII letter or digit, and where a lower-case
/// letter meets an upper-case one) are a job's name and
/// `status` or `state`: `task_status`, `jobStatus`, `processing_state`,
/// `generationStatus`. Not `status_url`, `statusCode` or `webhookStatus`,
/// whose status is something else's. A body that states its job's status
/// under a key a format does not read, and no `status`, is not that
/// format's: decoding it would derive a status from the rest and ignore the
/// one it states (`{task_id, task_status: "FAILED", image_urls}` is no
/// finished APIFRAME task).
pub(crate) fn names_a_status(key: &str) -> bool {
    /// What the word before `status` names when the status is a job's.
    const JOB_WORDS: &[&str] = &[
        "task",
        "job",
        "generation",
        "processing",
        "process",
        "run",
        "prediction",
        "render",
        "operation",
        "execution",
        "work",
    ];
    let words = words_of(key);
    match words.as_slice() {
        [.., last]
            if !["status", "state"]
                .iter()
                .any(|w| last.eq_ignore_ascii_case(w)) =>
        {
            false
        }
        [_] => true,
        [.., before, _] => JOB_WORDS
            .iter()
            .any(|word| before.eq_ignore_ascii_case(word)),
        [] => false,
    }
}

/// The words of a key: split at characters that are neither letters nor
/// digits and where a lower-case letter is followed by an upper-case one.
fn words_of(key: &str) -> smallvec::SmallVec<[&str; 8]> {
    let bytes = key.as_bytes();
    let mut words = smallvec::SmallVec::new();
    let mut start = None;
    for (at, &byte) in bytes.iter().enumerate() {
        if !byte.is_ascii_alphanumeric() {
            if let Some(from) = start.take() {
                words.push(&key[from..at]);
            }
            continue;
        }
        let camel = at > 0 && bytes[at - 1].is_ascii_lowercase() && byte.is_ascii_uppercase();
        match start {
            Some(from) if camel => {
                words.push(&key[from..at]);
                start = Some(at);
            }
            Some(_) => {}
            None => start = Some(at),
        }
    }
    if let Some(from) = start {
        words.push(&key[from..]);
    }
    words
}

impl KeyTable {
    /// The table, built from the formats on first use.
    pub(crate) fn get() -> &'static KeyTable {
        static TABLE: OnceLock<KeyTable> = OnceLock::new();
        TABLE.get_or_init(|| KeyTable::build(Provider::ALL.iter().map(|p| p.format())))
    }

    fn build(formats: impl Iterator<Item = &'static Format>) -> KeyTable {
        let mut table = KeyTable {
            interned: rustc_hash::FxHashMap::default(),
            index: KeyIndex::new(&[]),
            names: Vec::new(),
            infos: Vec::new(),
            owners: Vec::new(),
            envelope_keys: KeyBits::default(),
            status: 0,
            words: [0; WordKey::ALL.len()],
            formats: Vec::new(),
        };
        let formats: Vec<&'static Format> = formats.collect();
        for format in &formats {
            let mut knows = KeyBits::default();
            let keys = (format.wire_keys)();
            let declared = keys.iter().chain(format.also_sends);
            let in_signatures = format
                .record
                .iter()
                .chain(format.replies)
                .chain(format.envelopes.iter().filter_map(|e| e.outer.as_ref()))
                .chain(format.envelopes.iter().flat_map(|e| e.record))
                .flat_map(|s| s.all.iter().chain(s.any));
            let envelope_keys = format.envelopes.iter().map(|e| &e.key);
            for key in declared.chain(in_signatures).chain(envelope_keys) {
                let id = table.intern(key);
                table.owners[usize::from(id)] = table.owners[usize::from(id)].with(format.provider);
                knows.insert(id);
            }
            table.formats.push(CompiledFormat {
                format,
                knows,
                record: Vec::new(),
                envelopes: Vec::new(),
                replies: Vec::new(),
            });
        }
        // After the formats' keys, so that keys keep the order the formats
        // list them in (which messages follow).
        table.status = table.intern("status");
        table.words = WordKey::ALL.map(|key| table.intern(key.name()));
        for n in 0..table.formats.len() {
            let format = table.formats[n].format;
            for envelope in format.envelopes {
                if envelope.key != Envelope::LIST {
                    let id = table.intern(envelope.key);
                    table.envelope_keys.insert(id);
                }
            }
            let record = format.record.iter().map(|s| table.compile(s)).collect();
            let replies = format.replies.iter().map(|s| table.compile(s)).collect();
            let envelopes = format
                .envelopes
                .iter()
                .map(|envelope| CompiledEnvelope {
                    key: envelope.key,
                    outer: envelope.outer.as_ref().map(|s| table.compile(s)),
                    carries_id: envelope.carries_id.map(|key| table.intern(key)),
                    record: envelope.record.iter().map(|s| table.compile(s)).collect(),
                })
                .collect();
            let compiled = &mut table.formats[n];
            compiled.record = record;
            compiled.replies = replies;
            compiled.envelopes = envelopes;
        }
        table.index = KeyIndex::new(&table.names);
        table.infos = (0..table.names.len())
            .map(|id| table.info(u16::try_from(id).expect("interned as a u16")))
            .collect();
        table
    }

    fn intern(&mut self, key: &'static str) -> u16 {
        if let Some(id) = self.interned.get(key) {
            return *id;
        }
        let id = u16::try_from(self.names.len()).expect("fewer keys than u16::MAX");
        assert!(
            usize::from(id) < KeyBits::CAPACITY,
            "the formats know more keys than KeyBits holds"
        );
        self.interned.insert(key, id);
        self.names.push(key);
        self.owners.push(Providers::default());
        id
    }

    fn compile(&mut self, signature: &Signature) -> CompiledSignature {
        let mut all = KeyBits::default();
        for key in signature.all {
            all.insert(self.intern(key));
        }
        let mut any = KeyBits::default();
        for key in signature.any {
            any.insert(self.intern(key));
        }
        let mut among = KeyBits::default();
        for key in signature.among {
            among.insert(self.intern(key));
        }
        CompiledSignature {
            all,
            any,
            allowed: all.union(&any).union(&among),
            status: signature.status,
            only: signature.only,
            closed: signature.closed,
            // An id alone, with nothing asked of its values, is as weak.
            exact: (signature.only && signature.among.is_empty())
                || (signature.all.len() == 1
                    && signature.any.is_empty()
                    && matches!(signature.status, StatusMark::Any)
                    && signature.word_marks().next().is_none()),
            source: *signature,
        }
    }

    /// What the table knows of `key`: its number, whether it is `status`,
    /// whether it is a declared envelope (a list body's [`Envelope::LIST`]
    /// is not a key). One probe of the [`KeyIndex`]: this runs for every
    /// key of a body.
    pub(crate) fn lookup(&self, key: &str) -> KeyInfo {
        match self.index.get(key, &self.names) {
            Some(id) => self.infos[usize::from(id)],
            None => KeyInfo {
                names_a_status: names_a_status(key),
                ..KeyInfo::default()
            },
        }
    }

    /// What [`KeyTable::lookup`] answers for the key numbered `id`.
    fn info(&self, id: u16) -> KeyInfo {
        KeyInfo {
            id: Some(id),
            is_status: id == self.status,
            word: WordKey::ALL
                .into_iter()
                .find(|key| self.words[key.slot()] == id),
            envelope: self
                .envelope_keys
                .contains(id)
                .then(|| self.names[usize::from(id)]),
            names_a_status: false,
        }
    }

    /// A key's name.
    pub(crate) fn name(&self, id: u16) -> &'static str {
        self.names[usize::from(id)]
    }

    /// The formats that know a key.
    pub(crate) fn owners(&self, id: u16) -> Providers {
        self.owners[usize::from(id)]
    }

    /// A provider's compiled format.
    pub(crate) fn format(&self, provider: Provider) -> &CompiledFormat {
        &self.formats[provider.index()]
    }
}

/// What a signature needs, in words, for error messages.
pub(crate) fn describe(signature: &Signature) -> String {
    let mut parts = Vec::new();
    if !signature.all.is_empty() {
        parts.push(every_key(signature.all));
    }
    if !signature.any.is_empty() {
        let any = some_keys(signature.any);
        parts.push(if signature.any.len() == 1 {
            any
        } else {
            format!("one of {any}")
        });
    }
    match signature.status {
        StatusMark::Any => {}
        StatusMark::Code => parts.push("a numeric `status`".to_owned()),
        StatusMark::NoneOrCode => parts.push("`status`, if any, numeric".to_owned()),
        StatusMark::Words(words) => parts.push(format!("`status` {}", words.join("/"))),
        StatusMark::Exact(words) => {
            parts.push(format!("`status` {}, in that spelling", words.join("/")));
        }
        StatusMark::NoneOrWords(words) => {
            parts.push(format!("`status`, if any, {}", words.join("/")));
        }
        StatusMark::NoneOrCapitals(words) => {
            parts.push(format!(
                "`status`, if any, {}, in capitals",
                words.join("/")
            ));
        }
    }
    for (key, words) in signature.word_marks() {
        let capitals = if signature.in_capitals(key) {
            ", in capitals"
        } else {
            ""
        };
        parts.push(format!("`{}` {}{capitals}", key.name(), words.join("/")));
    }
    if signature.http_code {
        parts.push("`code`, if any, an HTTP status".to_owned());
    }
    if signature.error_object {
        parts.push("`error`, if any, an object".to_owned());
    }
    if signature.error_text {
        parts.push("`error`, if any, text".to_owned());
    }
    let mut text = parts.join(" with ");
    if signature.only && !signature.among.is_empty() {
        text.push_str(" and no key but its own record's");
    } else if signature.only {
        text.push_str(" and nothing else");
    } else if signature.closed {
        text.push_str(" and few keys of its own");
    }
    text
}

/// Keys that are all needed, in words: "`job_id` and `status`".
pub(crate) fn every_key(keys: &[&str]) -> String {
    keys.iter()
        .map(|key| format!("`{key}`"))
        .collect::<Vec<_>>()
        .join(" and ")
}

/// Keys of which one is needed, the first few named: "`a`, `b`, … (9 keys)".
pub(crate) fn some_keys(keys: &[impl AsRef<str>]) -> String {
    const NAMED: usize = 4;
    let mut named: Vec<String> = keys
        .iter()
        .take(NAMED)
        .map(|key| format!("`{}`", key.as_ref()))
        .collect();
    if keys.len() > NAMED {
        named.push(format!("… ({} keys)", keys.len()));
    }
    named.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_names_a_status_when_its_last_words_are_a_jobs_status() {
        for key in [
            "task_status",
            "jobStatus",
            "TaskStatus",
            "processing_state",
            "Status",
            "STATE",
            "generation-status",
            "TASK_STATUS",
            "data.job.status",
        ] {
            assert!(names_a_status(key), "{key}");
        }
        for key in [
            "status_url",
            "statusCode",
            "statement",
            "upstate",
            "jobstatus",
            "stat",
            "webhookStatus",
            "payment_status",
            "request_status",
            "bot_status",
            "délai_status",
            "",
            "_",
        ] {
            assert!(!names_a_status(key), "{key}");
        }
    }

    #[test]
    fn every_key_fits_in_key_bits() {
        let table = KeyTable::get();
        // 195 with the eleven formats: room for more, checked here rather
        // than at the first decode.
        assert!(
            table.names.len() <= KeyBits::CAPACITY,
            "{}",
            table.names.len()
        );
    }
}
