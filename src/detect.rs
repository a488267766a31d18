//! Which provider sent these bytes.
//!
//! Detection reads the keys at the top level, and one level into a `data`,
//! `payload` or `tasks` envelope, in one pass that skips every value it does
//! not need (no `serde_json::Value` is built). Each provider's format is then
//! scored by the keys only it sends; the single best score wins. No fitting
//! format, or a tie, is an error that lists the keys seen and the shapes
//! tried.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::error::DecodeError;
use crate::providers::{DecodeOptions, Provider};

/// Names the provider whose format `bytes` has (default size limit).
pub fn detect(bytes: &[u8]) -> Result<Provider, DecodeError> {
    DecodeOptions::default().detect(bytes)
}

/// What each provider's shape is, for error messages.
const TRIED: &str = "asyncapi (`job_id`, or `id` with `type`, `result`, `updated_at`…; REST `data` list), \
apiframe (`task_id`/`taskId` with `task_type`, `percentage`, `original_image_url`, `image_urls`…; `tasks` list), \
goapi (`task_id` with `task_result`, `output`, `meta`…; `{timestamp, data}`; `{code, data, message}`), \
imagineapi (`{event, payload}` or `{data}` holding `id` with `upscaled_urls`, `user_created`…), \
midjourney_api (`taskId` with `jobId`, `images`, `failReason`…, or a numeric `status`; `{status, data}`)";

pub(crate) fn detect_unchecked(bytes: &[u8]) -> Result<Provider, DecodeError> {
    let shape = Shape::scan(bytes)?;
    let scores = Provider::ALL.map(|provider| (provider, shape.score(provider)));
    let best = scores.iter().map(|(_, score)| *score).max().unwrap_or(0);
    let winners: Vec<Provider> = scores
        .iter()
        .filter(|(_, score)| best > 0 && *score == best)
        .map(|(provider, _)| *provider)
        .collect();
    match winners.as_slice() {
        [provider] => Ok(*provider),
        [] => Err(DecodeError::Undetected {
            seen: shape.seen(),
            tried: TRIED.to_owned(),
        }),
        _ => Err(DecodeError::Ambiguous {
            seen: shape.seen(),
            candidates: winners,
        }),
    }
}

/// What a `status` value looks like. Vendors' status vocabularies differ
/// in kind: midjourney-api.com sends codes (`0`, `"1"`), the others words.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Kind {
    #[default]
    Absent,
    /// `0`, `1001`
    Number,
    /// `"0"`, `"1001"`
    NumericText,
    /// `"processing"`, `"SUCCESS"`
    Word,
    Other,
}

impl Kind {
    fn is_code(self) -> bool {
        matches!(self, Kind::Number | Kind::NumericText)
    }
}

/// The keys of one object: the body, or the object inside its envelope.
#[derive(Debug, Default)]
struct Level<'de> {
    keys: Vec<Cow<'de, str>>,
    /// The keys detection knows, as bits: scoring asks many questions of
    /// few keys, so each key is looked up once, when it is read.
    known: u64,
    status: Kind,
    /// GoAPI's v2 submit reply is the only body whose `status` is "success".
    status_is_success: bool,
    /// The `event` string, when it is one.
    event: Option<Cow<'de, str>>,
}

impl<'de> Level<'de> {
    fn push(&mut self, key: Cow<'de, str>) {
        self.known |= bit_of(&key);
        self.keys.push(key);
    }

    fn has(&self, keys: u64) -> bool {
        self.known & keys == keys
    }

    fn count(&self, keys: u64) -> u32 {
        (self.known & keys).count_ones()
    }

    /// Whether every key of the level is one of `keys`.
    fn only(&self, keys: u64) -> bool {
        self.keys.len() == self.count(keys) as usize
    }
}

/// Declares the keys detection knows: a bit constant for each, and the
/// lookup from a key's name to its bit.
macro_rules! known_keys {
    ($($bit:ident = $name:literal,)*) => {
        #[allow(non_camel_case_types, clippy::upper_case_acronyms)]
        enum KeyIndex { $($bit,)* }
        $(const $bit: u64 = 1 << KeyIndex::$bit as u32;)*
        fn bit_of(key: &str) -> u64 {
            match key {
                $($name => $bit,)*
                _ => 0,
            }
        }
    };
}

known_keys! {
    TASK_ID = "task_id",
    TASK_ID_CAMEL = "taskId",
    JOB_ID = "job_id",
    ID = "id",
    STATUS = "status",
    MESSAGE = "message",
    CODE = "code",
    DATA = "data",
    TIMESTAMP = "timestamp",
    TOTAL = "total",
    LIMIT = "limit",
    OFFSET = "offset",
    TYPE = "type",
    RESULT = "result",
    PARAMETERS = "parameters",
    PARENT_JOB_ID = "parent_job_id",
    IMAGE_INDEX = "image_index",
    UPDATED_AT = "updated_at",
    COMPLETED_AT = "completed_at",
    TASK_TYPE = "task_type",
    PERCENTAGE = "percentage",
    ORIGINAL_IMAGE_URL = "original_image_url",
    IMAGE_URLS = "image_urls",
    IMAGE_URL = "image_url",
    CONTENT = "content",
    FULL_CONTENT = "full_content",
    SREF = "sref",
    SEED = "seed",
    VIDEO_URLS = "video_urls",
    VIDEO_URL = "video_url",
    TASK_RESULT = "task_result",
    OUTPUT = "output",
    META = "meta",
    INPUT = "input",
    CONFIG = "config",
    PROCESS_TIME = "process_time",
    RETRY_COUNT = "retry_count",
    LOGS = "logs",
    DETAIL = "detail",
    JOB_ID_CAMEL = "jobId",
    IMAGES = "images",
    IMAGE = "image",
    FAIL_REASON = "failReason",
    CREATED_AT_CAMEL = "createdAt",
    MJ_PROMPT = "mjPrompt",
    UPSCALED_URLS = "upscaled_urls",
    UPSCALED = "upscaled",
    USER_CREATED = "user_created",
    DATE_CREATED = "date_created",
    RESULTS = "results",
    REF = "ref",
    URL = "url",
    ERRORS = "errors",
    TIME = "time",
}

/// What detection saw of a body.
#[derive(Debug, Default)]
struct Shape<'de> {
    top: Level<'de>,
    /// The envelope key (`data`, `payload`, `tasks`) and the object in it (the
    /// first element of an array).
    inner: Option<(&'static str, Level<'de>)>,
}

const ENVELOPES: [&str; 3] = ["data", "payload", "tasks"];

const APIFRAME_KEYS: u64 = TASK_TYPE
    | PERCENTAGE
    | ORIGINAL_IMAGE_URL
    | IMAGE_URLS
    | IMAGE_URL
    | CONTENT
    | FULL_CONTENT
    | SREF
    | SEED
    | VIDEO_URLS
    | VIDEO_URL;
/// APIFRAME's keys that neither GoAPI (at the top level) nor midjourney-api.com
/// has: results and `percentage`. Its other keys (`seed`, `task_type`…) are
/// shared with relatives.
const APIFRAME_ONLY: u64 = ORIGINAL_IMAGE_URL | IMAGE_URLS | CONTENT | PERCENTAGE | IMAGE_URL;
const GOAPI_KEYS: u64 =
    TASK_RESULT | OUTPUT | META | INPUT | CONFIG | PROCESS_TIME | RETRY_COUNT | LOGS | DETAIL;
const MIDJOURNEY_API_KEYS: u64 =
    JOB_ID_CAMEL | IMAGES | IMAGE | FAIL_REASON | CREATED_AT_CAMEL | MJ_PROMPT;
const ASYNCAPI_KEYS: u64 = JOB_ID
    | RESULT
    | TYPE
    | TIMESTAMP
    | PARAMETERS
    | PARENT_JOB_ID
    | IMAGE_INDEX
    | UPDATED_AT
    | COMPLETED_AT;
const IMAGINEAPI_KEYS: u64 =
    UPSCALED_URLS | UPSCALED | USER_CREATED | DATE_CREATED | RESULTS | REF | URL;

impl<'de> Shape<'de> {
    fn scan(bytes: &'de [u8]) -> Result<Self, DecodeError> {
        let mut json = serde_json::Deserializer::from_slice(bytes);
        let shape = (&mut json)
            .deserialize_any(ShapeVisitor)
            .and_then(|shape| json.end().map(|()| shape))
            .map_err(|error| DecodeError::from_json(None, ".".to_owned(), error))?;
        shape.map_err(|found| DecodeError::NotAnObject {
            provider: None,
            found: found.to_owned(),
        })
    }

    fn seen(&self) -> Vec<String> {
        let mut seen: Vec<String> = self.top.keys.iter().map(|key| key.to_string()).collect();
        if let Some((envelope, inner)) = &self.inner {
            seen.extend(inner.keys.iter().map(|key| format!("{envelope}.{key}")));
        }
        seen
    }

    /// How strongly the body looks like `provider`'s format: 0 is not at all.
    fn score(&self, provider: Provider) -> u32 {
        let top = &self.top;
        let inner = self
            .inner
            .as_ref()
            .map(|(envelope, level)| (*envelope, level));
        match provider {
            Provider::Asyncapi => match inner {
                Some(("data", record)) if !top.has(JOB_ID) && !top.has(ID) => {
                    asyncapi_record(record) + top.count(TOTAL | LIMIT | OFFSET)
                }
                _ if top.status == Kind::Word
                    && top.count(CODE | MESSAGE) > 0
                    && top.count(DATA | JOB_ID | ID | TASK_ID | TASK_ID_CAMEL) == 0 =>
                {
                    // The REST error reply `{status: "ERROR", code, message}`
                    // (`code` or `message` may be missing).
                    1
                }
                _ => asyncapi_record(top),
            },
            Provider::Apiframe => match inner {
                Some(("tasks", task)) => 2 + apiframe_record(task),
                _ => apiframe_record(top),
            },
            Provider::Goapi => match inner {
                // An envelope may echo its task's `task_id`.
                Some(("data", task)) if !top.has(TASK_ID) || task.count(TASK_ID | STATUS) > 0 => {
                    let envelope = top.count(TIMESTAMP | CODE);
                    if task.has(TASK_ID) || top.has(TASK_ID) {
                        envelope + 1 + task.count(GOAPI_KEYS)
                    } else {
                        envelope
                    }
                }
                _ if !top.has(TASK_ID) && top.has(CODE) && top.has(MESSAGE) && top.has(DATA) => 1,
                // An account notification `{type, time, message, detail}`:
                // GoAPI's, though not a task (decoding says so).
                _ if !top.has(TASK_ID) && top.has(TYPE | TIME) && !top.has(DATA) => 1,
                _ => goapi_record(top),
            },
            Provider::Imagineapi => match inner {
                Some(("payload", image)) => 2 + imagineapi_record(image),
                Some(("data", image)) if !top.has(STATUS) => imagineapi_record(image),
                // Directus's error reply `{"errors": [...]}`.
                None if top.has(ERRORS) && top.only(ERRORS) => 1,
                // An image object on its own.
                None => imagineapi_record(top),
                _ => 0,
            },
            Provider::MidjourneyApi => match inner {
                // An envelope may carry its record's `taskId`, or echo it.
                Some(("data", record))
                    if !top.has(TASK_ID_CAMEL) || record.count(TASK_ID_CAMEL | STATUS) > 0 =>
                {
                    let envelope = u32::from(top.status.is_code());
                    if record.has(TASK_ID_CAMEL) || top.has(TASK_ID_CAMEL) {
                        envelope + midjourney_api_record(record, Enveloped(true))
                    } else {
                        envelope.min(u32::from(record.keys.is_empty()))
                    }
                }
                // `{status: 1001, message, data: null}`: an error reply.
                _ if top.status.is_code()
                    && top.has(MESSAGE)
                    && top
                        .keys
                        .iter()
                        .all(|key| ["status", "message", "data"].contains(&key.as_ref())) =>
                {
                    1
                }
                _ => midjourney_api_record(top, Enveloped(false)),
            },
        }
    }
}

fn asyncapi_record(record: &Level<'_>) -> u32 {
    let event_is_job = record
        .event
        .as_deref()
        .is_some_and(|event| event.starts_with("job."));
    if record.has(JOB_ID) || (record.has(ID) && record.count(ASYNCAPI_KEYS) > 0) || event_is_job {
        1 + record.count(ASYNCAPI_KEYS) + u32::from(event_is_job)
    } else {
        0
    }
}

fn apiframe_record(record: &Level<'_>) -> u32 {
    let has_id = record.has(TASK_ID) || record.has(TASK_ID_CAMEL);
    // GoAPI's results; its other keys (`meta`, `input`…) are common words
    // an APIFRAME body with results of its own may carry.
    let goapi_results = record.count(TASK_RESULT | OUTPUT) > 0;
    let goapi_body = record.count(GOAPI_KEYS) > 0 && record.count(APIFRAME_ONLY) == 0;
    // APIFRAME has no envelope.
    let enveloped = record.has(DATA);
    if !has_id || goapi_results || goapi_body || enveloped || record.status.is_code() {
        return 0;
    }
    1 + record.count(APIFRAME_KEYS) + u32::from(record.has(TASK_ID) && record.only(TASK_ID))
}

fn goapi_record(record: &Level<'_>) -> u32 {
    // GoAPI keeps its results under `task_result` or `output`, never at the
    // top, where APIFRAME has them.
    if record.has(TASK_ID)
        && (record.count(GOAPI_KEYS) > 0 || record.status_is_success)
        && (record.count(APIFRAME_ONLY) == 0 || record.count(TASK_RESULT | OUTPUT) > 0)
    {
        2 + record.count(GOAPI_KEYS)
    } else {
        0
    }
}

fn imagineapi_record(record: &Level<'_>) -> u32 {
    if record.has(ID) && record.count(IMAGINEAPI_KEYS) > 0 && !record.has(TYPE) {
        1 + record.count(IMAGINEAPI_KEYS)
    } else {
        0
    }
}

/// Whether a record sits in an envelope's `data`.
struct Enveloped(bool);

/// A record's score; one in an envelope may leave its `taskId` to the
/// envelope (the caller checks that one of them has it).
fn midjourney_api_record(record: &Level<'_>, Enveloped(enveloped): Enveloped) -> u32 {
    // A bare `{taskId, status: "<word>"}` is APIFRAME's (`taskId` is its
    // alias), unless a key of this vendor's says otherwise; APIFRAME has no
    // envelope, so inside one a word is this vendor's undocumented status form.
    let apiframe_status =
        record.status == Kind::Word && !enveloped && record.count(MIDJOURNEY_API_KEYS) == 0;
    let has_id = enveloped || record.has(TASK_ID_CAMEL);
    if !has_id || record.count(APIFRAME_ONLY) > 0 || apiframe_status {
        return 0;
    }
    1 + record.count(MIDJOURNEY_API_KEYS) + u32::from(record.status.is_code())
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

/// Scans the body; when it is not an object, says what it is.
struct ShapeVisitor;

impl<'de> Visitor<'de> for ShapeVisitor {
    type Value = Result<Shape<'de>, &'static str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut shape = Shape::default();
        while let Some(key) = map.next_key::<Key<'de>>()? {
            let envelope = ENVELOPES.iter().find(|envelope| **envelope == key.0);
            match (envelope, &shape.inner) {
                (Some(envelope), None) => {
                    if let Some(level) = map.next_value_seed(InnerSeed)? {
                        shape.inner = Some((envelope, level));
                    }
                }
                _ => read_value(&mut shape.top, &key.0, &mut map)?,
            }
            shape.top.push(key.0);
        }
        Ok(Ok(shape))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Err("an array"))
    }

    scalar_arms!(found => Err(found));
}

/// Reads one value of a level: `status` and `event` are looked at, the rest skipped.
fn read_value<'de, A: MapAccess<'de>>(
    level: &mut Level<'de>,
    key: &str,
    map: &mut A,
) -> Result<(), A::Error> {
    match key {
        "status" => {
            let status = map.next_value::<Scalar<'de>>()?;
            level.status = status.kind;
            level.status_is_success = status
                .text
                .is_some_and(|text| text.trim().eq_ignore_ascii_case("success"));
        }
        "event" => level.event = map.next_value::<Scalar<'de>>()?.text,
        _ => {
            map.next_value::<IgnoredAny>()?;
        }
    }
    Ok(())
}

/// The keys of the object inside an envelope (or of an array's first object).
struct InnerSeed;

impl<'de> DeserializeSeed<'de> for InnerSeed {
    type Value = Option<Level<'de>>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(InnerVisitor)
    }
}

struct InnerVisitor;

impl<'de> Visitor<'de> for InnerVisitor {
    type Value = Option<Level<'de>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut level = Level::default();
        while let Some(key) = map.next_key::<Key<'de>>()? {
            read_value(&mut level, &key.0, &mut map)?;
            level.push(key.0);
        }
        Ok(Some(level))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let first = seq.next_element_seed(InnerSeed)?.flatten();
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        // An empty list still says "a list of records is here".
        Ok(Some(first.unwrap_or_default()))
    }

    scalar_arms!(_found => None);
}

/// A key, borrowed from the input when it has no escapes.
struct Key<'de>(Cow<'de, str>);

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

/// A value read for its kind, and for its text when it is a string;
/// containers are skipped whole.
struct Scalar<'de> {
    kind: Kind,
    text: Option<Cow<'de, str>>,
}

impl<'de> Scalar<'de> {
    fn of_text(text: Cow<'de, str>) -> Self {
        let digits = text.trim();
        let numeric = !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit());
        Scalar {
            kind: if numeric {
                Kind::NumericText
            } else {
                Kind::Word
            },
            text: Some(text),
        }
    }

    fn of_kind(kind: Kind) -> Self {
        Scalar { kind, text: None }
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
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Scalar<'de>, E> {
                Ok(Scalar::of_kind(Kind::Number))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Scalar<'de>, E> {
                Ok(Scalar::of_kind(Kind::Number))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Scalar<'de>, E> {
                Ok(Scalar::of_kind(Kind::Number))
            }
            fn visit_borrowed_str<E: de::Error>(self, text: &'de str) -> Result<Scalar<'de>, E> {
                Ok(Scalar::of_text(Cow::Borrowed(text)))
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<Scalar<'de>, E> {
                Ok(Scalar::of_text(Cow::Owned(text.to_owned())))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Scalar<'de>, E> {
                Ok(Scalar::of_kind(Kind::Other))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Scalar<'de>, E> {
                Ok(Scalar::of_kind(Kind::Other))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Scalar<'de>, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Scalar::of_kind(Kind::Other))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Scalar<'de>, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Scalar::of_kind(Kind::Other))
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
    fn a_body_two_formats_fit_equally_is_ambiguous() {
        // APIFRAME spells its id `taskId` in one example; midjourney-api.com
        // always does. With nothing else to go on, neither wins.
        let error = detected(r#"{"taskId": "t"}"#).unwrap_err();
        assert_eq!(
            error,
            DecodeError::Ambiguous {
                seen: vec!["taskId".to_owned()],
                candidates: vec![Provider::Apiframe, Provider::MidjourneyApi],
            }
        );
        assert!(
            error.to_string().contains("apiframe and midjourney_api"),
            "{error}"
        );
    }

    #[test]
    fn an_unknown_shape_lists_the_keys_seen_including_inside_the_envelope() {
        let error = detected(r#"{"order": 1, "data": {"sku": "a"}}"#).unwrap_err();
        let DecodeError::Undetected { seen, tried } = &error else {
            panic!("{error:?}");
        };
        assert_eq!(seen, &["order", "data", "data.sku"]);
        assert!(tried.contains("midjourney_api"));
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
