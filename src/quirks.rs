//! Shared serde adapters for the ways vendors bend JSON.
//!
//! Each adapter is written once and used by every provider whose wire format
//! needs it. The wire-side types here keep the vendor's *form* (a progress sent
//! as `"45%"` serializes back as `"45%"`), so tests and property generators can
//! produce every quirk from the typed wire structs, while validation happens
//! during deserialization, where serde still knows the JSON path and position
//! of a bad value.

use std::borrow::Cow;
use std::fmt;

use chrono::{DateTime, Datelike, Timelike, Utc};
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Unexpected, Visitor};
use serde::{Deserialize, Serialize, Serializer};

use crate::event::{JobError, Progress};

/// Text borrowed from the body where no escape is in the way, for
/// `serde_as` on `Cow<str>` fields (with `#[serde(borrow)]`): serde's own
/// `Cow<str>` always copies. Written here rather than taken from
/// `serde_with::BorrowCow` so that a value of the wrong type is "expected a
/// string", as it is for a `String`.
pub struct BorrowedText;

impl<'de: 'a, 'a> serde_with::DeserializeAs<'de, Cow<'a, str>> for BorrowedText {
    fn deserialize_as<D: Deserializer<'de>>(deserializer: D) -> Result<Cow<'a, str>, D::Error> {
        struct TextVisitor<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for TextVisitor<'a> {
            type Value = Cow<'a, str>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, text: &'de str) -> Result<Cow<'a, str>, E> {
                Ok(Cow::Borrowed(text))
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<Cow<'a, str>, E> {
                Ok(Cow::Owned(text.to_owned()))
            }
            fn visit_string<E: de::Error>(self, text: String) -> Result<Cow<'a, str>, E> {
                Ok(Cow::Owned(text))
            }
        }
        deserializer.deserialize_str(TextVisitor(std::marker::PhantomData))
    }
}

impl serde_with::SerializeAs<Cow<'_, str>> for BorrowedText {
    fn serialize_as<S: Serializer>(text: &Cow<'_, str>, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(text)
    }
}

/// `""`, a string of white space only, `null` and a missing field all mean
/// "none" (with `#[serde(default)]`); any other string is kept verbatim.
///
/// For `serde_as` on `Option<Cow<str>>`, borrowing from the body where no
/// escape is in the way. `None` serializes as `""`. Vendors pad empty
/// fields: a URL of `" "` or `"\t"` is no image, as `""` is not.
pub struct EmptyAsNone;

impl<'de: 'a, 'a> serde_with::DeserializeAs<'de, Option<Cow<'a, str>>> for EmptyAsNone {
    fn deserialize_as<D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Cow<'a, str>>, D::Error> {
        let text = Option::<BorrowedText>::deserialize_as(deserializer)?;
        Ok(text.filter(|text| !is_blank(text)))
    }
}

impl serde_with::SerializeAs<Option<Cow<'_, str>>> for EmptyAsNone {
    fn serialize_as<S: Serializer>(
        text: &Option<Cow<'_, str>>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(text.as_deref().unwrap_or_default())
    }
}

/// A message sent as a text or as a list of texts (NestJS's validation
/// errors: `"message": ["prompt should not be empty"]`), the list's texts
/// joined by `"; "`; blank texts, `null` and a missing field are none, as
/// with [`EmptyAsNone`], which it serializes as.
pub struct TextOrTexts;

impl<'de: 'a, 'a> serde_with::DeserializeAs<'de, Option<Cow<'a, str>>> for TextOrTexts {
    fn deserialize_as<D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Cow<'a, str>>, D::Error> {
        struct Message;
        impl<'de> Visitor<'de> for Message {
            type Value = Option<Cow<'de, str>>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a message: a text, or a list of texts")
            }
            fn visit_borrowed_str<E: de::Error>(self, text: &'de str) -> Result<Self::Value, E> {
                Ok(Some(Cow::Borrowed(text)))
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<Self::Value, E> {
                Ok(Some(Cow::Owned(text.to_owned())))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut joined = String::new();
                while let Some(text) = seq.next_element::<Option<Cow<'de, str>>>()? {
                    let text = text.as_deref().map(str::trim).unwrap_or_default();
                    if !text.is_empty() {
                        if !joined.is_empty() {
                            joined.push_str("; ");
                        }
                        joined.push_str(text);
                    }
                }
                Ok(Some(Cow::Owned(joined)))
            }
        }
        let text = deserializer.deserialize_any(Message)?;
        Ok(text.filter(|text| !is_blank(text)))
    }
}

impl serde_with::SerializeAs<Option<Cow<'_, str>>> for TextOrTexts {
    fn serialize_as<S: Serializer>(
        text: &Option<Cow<'_, str>>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        EmptyAsNone::serialize_as(text, serializer)
    }
}

/// Whether a vendor's text says nothing: empty or white space only.
pub fn is_blank(text: &str) -> bool {
    // Most text starts with a visible ASCII character, which settles it
    // without `trim`'s walk over characters from both ends.
    match text.as_bytes().first() {
        None => true,
        Some(byte) if byte.is_ascii_graphic() => false,
        Some(_) => text.trim().is_empty(),
    }
}

/// Takes the white space off both ends of `text` in place: a URL a vendor
/// padded (`" https://…/0.png "`) is the same URL, and in a job's list it
/// must count once. Allocates nothing (an unpadded text is left as it is).
pub(crate) fn trim_in_place(text: &mut String) {
    text.truncate(text.trim_end().len());
    let padding = text.len() - text.trim_start().len();
    if padding > 0 {
        text.drain(..padding);
    }
}

/// A list element that can be blank, for [`NullableList`]'s default reader
/// ([`Unblank`]): a blank one becomes the empty value, which no decoder
/// reads as an image, a prompt or a message.
pub trait Blank {
    /// Empties the value if it holds only white space.
    fn clear_if_blank(&mut self);
}

impl Blank for String {
    fn clear_if_blank(&mut self) {
        if is_blank(self) {
            self.clear();
        }
    }
}

impl Blank for crate::providers::midjourney_api::ImageUrl {
    fn clear_if_blank(&mut self) {
        self.0.clear_if_blank();
    }
}

/// Reads a [`Blank`] value and empties it when it is white space only: the
/// element reader [`NullableList`] uses unless told otherwise.
pub struct Unblank;

impl<'de, T: Deserialize<'de> + Blank> serde_with::DeserializeAs<'de, T> for Unblank {
    fn deserialize_as<D: Deserializer<'de>>(deserializer: D) -> Result<T, D::Error> {
        let mut value = T::deserialize(deserializer)?;
        value.clear_if_blank();
        Ok(value)
    }
}

/// A text element, borrowed from the body where no escape is in the way.
impl<'de: 'a, 'a> serde_with::DeserializeAs<'de, Cow<'a, str>> for Unblank {
    fn deserialize_as<D: Deserializer<'de>>(deserializer: D) -> Result<Cow<'a, str>, D::Error> {
        let text = BorrowedText::deserialize_as(deserializer)?;
        Ok(if is_blank(&text) {
            Cow::Borrowed("")
        } else {
            text
        })
    }
}

impl<T: Serialize> serde_with::SerializeAs<T> for Unblank {
    fn serialize_as<S: Serializer>(value: &T, serializer: S) -> Result<S::Ok, S::Error> {
        value.serialize(serializer)
    }
}

/// A size in pixels, as a number or as its digits in a string (TTAPI writes
/// its numbers as strings elsewhere too).
pub struct Pixels;

impl<'de> serde_with::DeserializeAs<'de, u32> for Pixels {
    fn deserialize_as<D: Deserializer<'de>>(deserializer: D) -> Result<u32, D::Error> {
        struct PixelsVisitor;
        impl Visitor<'_> for PixelsVisitor {
            type Value = u32;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a size in pixels, as a number or a string of digits")
            }
            fn visit_u64<E: de::Error>(self, pixels: u64) -> Result<u32, E> {
                u32::try_from(pixels)
                    .map_err(|_| E::invalid_value(Unexpected::Unsigned(pixels), &self))
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<u32, E> {
                let digits = text.trim();
                // Digits only: `u32::from_str` would take a sign too.
                let number = (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
                    .then(|| digits.parse().ok())
                    .flatten();
                number.ok_or_else(|| {
                    E::custom(format_args!(
                        "expected a size in pixels, as a number or a string of digits, found {}",
                        shown(text)
                    ))
                })
            }
        }
        deserializer.deserialize_any(PixelsVisitor)
    }
}

impl serde_with::SerializeAs<u32> for Pixels {
    fn serialize_as<S: Serializer>(pixels: &u32, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u32(*pixels)
    }
}

/// A vendor's text in an error message: escaped (control characters cannot
/// forge log lines) and cut after 80 characters, with the full length said.
pub(crate) fn shown(text: &str) -> String {
    const SHOWN: usize = 80;
    match text.char_indices().nth(SHOWN) {
        None => format!("{text:?}"),
        Some((cut, _)) => format!("{:?}… ({} bytes)", &text[..cut], text.len()),
    }
}

/// A key of the body in an error message: as it is, or escaped and quoted
/// when it holds a control character (a newline would forge a log line).
pub(crate) fn shown_key(key: &str) -> Cow<'_, str> {
    if key.chars().any(char::is_control) {
        Cow::Owned(format!("{key:?}"))
    } else {
        Cow::Borrowed(key)
    }
}

/// A value vendors send as an integer or as a string: ids, status codes. An
/// integer above `i64::MAX` (an unsigned id) is kept as its decimal text.
///
/// Exhaustive on purpose: a JSON scalar read as an id is one or the other.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum StringOrInt<'a> {
    /// `1234567890123`
    Int(i64),
    /// `"1234567890123"`, `"abc"`: borrowed from the body where no escape
    /// is in the way.
    Str(Cow<'a, str>),
}

impl<'a> StringOrInt<'a> {
    /// The value as text, keeping a string as it is.
    pub fn into_text(self) -> Cow<'a, str> {
        match self {
            StringOrInt::Int(int) => Cow::Owned(int.to_string()),
            StringOrInt::Str(text) => text,
        }
    }

    /// The value as text: a string verbatim, an integer in decimal.
    pub fn to_text(&self) -> Cow<'_, str> {
        match self {
            StringOrInt::Int(int) => Cow::Owned(int.to_string()),
            StringOrInt::Str(text) => Cow::Borrowed(text),
        }
    }

    /// Whether the value says nothing: blank text (an integer never does).
    pub fn is_blank(&self) -> bool {
        matches!(self, StringOrInt::Str(text) if is_blank(text))
    }

    /// The value as an integer: an integer, or a string holding one.
    pub fn as_int(&self) -> Option<i64> {
        match self {
            StringOrInt::Int(int) => Some(*int),
            StringOrInt::Str(text) => text.trim().parse().ok(),
        }
    }
}

impl Serialize for StringOrInt<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            StringOrInt::Int(int) => serializer.serialize_i64(*int),
            StringOrInt::Str(text) => serializer.serialize_str(text),
        }
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for StringOrInt<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct StringOrIntVisitor<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for StringOrIntVisitor<'a> {
            type Value = StringOrInt<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or an integer")
            }
            fn visit_i64<E: de::Error>(self, int: i64) -> Result<StringOrInt<'a>, E> {
                Ok(StringOrInt::Int(int))
            }
            fn visit_u64<E: de::Error>(self, int: u64) -> Result<StringOrInt<'a>, E> {
                // Above `i64::MAX` (an unsigned id): kept as its decimal text.
                Ok(i64::try_from(int).map_or_else(
                    |_| StringOrInt::Str(Cow::Owned(int.to_string())),
                    StringOrInt::Int,
                ))
            }
            fn visit_borrowed_str<E: de::Error>(
                self,
                text: &'de str,
            ) -> Result<StringOrInt<'a>, E> {
                Ok(StringOrInt::Str(Cow::Borrowed(text)))
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<StringOrInt<'a>, E> {
                Ok(StringOrInt::Str(Cow::Owned(text.to_owned())))
            }
            fn visit_string<E: de::Error>(self, text: String) -> Result<StringOrInt<'a>, E> {
                Ok(StringOrInt::Str(Cow::Owned(text)))
            }
        }
        deserializer.deserialize_any(StringOrIntVisitor(std::marker::PhantomData))
    }
}

/// A progress as vendors write it: `45`, `45.0`, `"45"`, `"45%"` or `""`.
///
/// Deserialization refuses anything that is not a percentage from 0 to 100,
/// naming what it found. Fractions are rounded down, so 99.9 is not done.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Percent<'a> {
    /// `45`
    Int(u8),
    /// `45.5`
    Float(f64),
    /// `"45"`, `"45%"`, `""`: already checked to read as a percentage or nothing.
    Text(Cow<'a, str>),
}

impl Percent<'_> {
    /// The percentage, or `None` for `""`.
    pub fn progress(&self) -> Option<Progress> {
        match self {
            Percent::Int(int) => Progress::new(*int),
            Percent::Float(float) => float_progress(*float),
            Percent::Text(text) => text_progress(text).ok().flatten(),
        }
    }
}

fn float_progress(float: f64) -> Option<Progress> {
    // Casting is exact here: the value is finite and within 0..=100.
    (float.is_finite() && (0.0..=100.0).contains(&float))
        .then(|| float.floor() as u8)
        .and_then(Progress::new)
}

/// Reads `"45"`, `" 45 % "`, `"45.5"` or `""` (none). Plain decimal only
/// (no exponent, sign, `inf` or `NaN`), read exactly: the fraction only
/// matters for telling 100 from more than 100, and is otherwise dropped.
fn text_progress(text: &str) -> Result<Option<Progress>, ()> {
    // What vendors send: up to three digits, nothing around them.
    if (1..=3).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit()) {
        return text
            .parse()
            .ok()
            .and_then(Progress::new)
            .map(Some)
            .ok_or(());
    }
    let number = text.trim();
    let number = number.strip_suffix('%').unwrap_or(number).trim_end();
    if number.is_empty() && !text.contains('%') {
        return Ok(None);
    }
    let (whole, fraction) = match number.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (number, None),
    };
    let digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || fraction.is_some_and(|fraction| !digits(fraction)) {
        return Err(());
    }
    let above_whole = fraction.is_some_and(|fraction| fraction.bytes().any(|b| b != b'0'));
    let whole = whole.trim_start_matches('0');
    match whole.parse::<u8>() {
        Ok(100) if above_whole => Err(()),
        Ok(percent) => Progress::new(percent).map(Some).ok_or(()),
        // Only zeros, or more digits than a percentage has.
        Err(_) if whole.is_empty() => Ok(Progress::new(0)),
        Err(_) => Err(()),
    }
}

impl Serialize for Percent<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Percent::Int(int) => serializer.serialize_u8(*int),
            Percent::Float(float) => serializer.serialize_f64(*float),
            Percent::Text(text) => serializer.serialize_str(text),
        }
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Percent<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct PercentVisitor<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for PercentVisitor<'a> {
            type Value = Percent<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(
                    "a progress from 0 to 100 (a number, or a string such as \"45\" or \"45%\")",
                )
            }
            fn visit_u64<E: de::Error>(self, int: u64) -> Result<Percent<'a>, E> {
                u8::try_from(int)
                    .ok()
                    .and_then(Progress::new)
                    .map(|progress| Percent::Int(progress.get()))
                    .ok_or_else(|| {
                        E::custom(format_args!(
                            "expected a progress from 0 to 100, found {int}"
                        ))
                    })
            }
            fn visit_i64<E: de::Error>(self, int: i64) -> Result<Percent<'a>, E> {
                match u64::try_from(int) {
                    Ok(int) => self.visit_u64(int),
                    Err(_) => Err(E::custom(format_args!(
                        "expected a progress from 0 to 100, found {int}"
                    ))),
                }
            }
            fn visit_f64<E: de::Error>(self, float: f64) -> Result<Percent<'a>, E> {
                float_progress(float)
                    .map(|_| Percent::Float(float))
                    .ok_or_else(|| {
                        E::custom(format_args!(
                            "expected a progress from 0 to 100, found {float}"
                        ))
                    })
            }
            fn visit_borrowed_str<E: de::Error>(self, text: &'de str) -> Result<Percent<'a>, E> {
                checked_percent(text).map(|()| Percent::Text(Cow::Borrowed(text)))
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<Percent<'a>, E> {
                checked_percent(text).map(|()| Percent::Text(Cow::Owned(text.to_owned())))
            }
        }
        fn checked_percent<E: de::Error>(text: &str) -> Result<(), E> {
            text_progress(text).map(|_| ()).map_err(|()| {
                E::custom(format_args!(
                    "expected a progress from 0 to 100, found the string {}",
                    shown(text)
                ))
            })
        }
        deserializer.deserialize_any(PercentVisitor(std::marker::PhantomData))
    }
}

/// An instant as vendors write it: epoch seconds or milliseconds, an RFC 3339
/// string (any offset, up to nanoseconds), a numeric string, `""`, or Go's zero
/// time `0001-01-01T00:00:00Z`. The last two mean "not set", and so do the
/// epochs `0` (an unset integer: GoAPI's v2 `ended_at` of a running task) and
/// `-62135596800` (Go's zero time in epoch seconds).
///
/// An epoch integer of 100 000 000 000 or more (the year 5138 in seconds) is
/// read as milliseconds; vendors send both, and no real timestamp is ambiguous.
/// An epoch with a fraction (`1717236000.25`, as Python's `time.time()`
/// writes it) is read to the millisecond, by [`FractionalEpoch`]'s rule.
///
/// The canonical model writes instants as RFC 3339 in UTC, which has room
/// for the years 0000 to 9999 and no leap second. An instant outside those
/// years once moved to UTC (`9999-12-31T23:59:59-01:00`, the epoch
/// `8210266876799999`) or on a leap second (`23:59:60`) is a decode error
/// naming the field, in either form: it could not be written back as the
/// `date-time` the schema promises.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Timestamp<'a> {
    /// `1709035361` or `1766916846000`
    Epoch(i64),
    /// An epoch written with a fraction, in milliseconds whatever its size:
    /// `1717236000.25` is `1717236000250`.
    EpochMillis(i64),
    /// `"2025-07-21T02:55:32Z"`, `""`, `"0001-01-01T00:00:00Z"`: the text as
    /// sent, with the instant it names (`None`: "not set"), read once when
    /// the body is. Built with [`Timestamp::text`].
    #[non_exhaustive]
    Text {
        /// The text as the vendor wrote it.
        text: Cow<'a, str>,
        /// The instant in UTC, or `None` when the text says "not set".
        instant: Option<DateTime<Utc>>,
    },
}

/// Integers at or above this are epoch milliseconds rather than seconds.
const EPOCH_MILLIS_FROM: i64 = 100_000_000_000;

impl<'a> Timestamp<'a> {
    /// A date-time as a vendor writes it (RFC 3339, an epoch in a string,
    /// `""`), or `None` when mjhook does not read it as one.
    pub fn text(text: impl Into<Cow<'a, str>>) -> Option<Timestamp<'a>> {
        let text = text.into();
        text_utc(&text)
            .ok()
            .map(|instant| Timestamp::Text { text, instant })
    }

    /// The instant in UTC, or `None` when the vendor says "not set".
    pub fn to_utc(&self) -> Option<DateTime<Utc>> {
        match self {
            Timestamp::Epoch(epoch) => epoch_utc(*epoch).ok().flatten(),
            Timestamp::EpochMillis(millis) => millis_utc(*millis).ok().flatten(),
            Timestamp::Text { instant, .. } => *instant,
        }
    }
}

/// Why a timestamp was refused.
enum Refused {
    /// Not a date-time or an epoch at all.
    Unreadable,
    /// Out of the years RFC 3339 can write (in UTC), with the year found
    /// when there is one to tell.
    OutOfRange(Option<i32>),
    /// On a leap second.
    LeapSecond,
}

impl Refused {
    /// The reason, after "found …".
    fn reason(&self) -> String {
        match self {
            Refused::Unreadable => String::new(),
            Refused::OutOfRange(Some(year)) => {
                format!(", the year {year} in UTC: RFC 3339 has room for the years 0000 to 9999")
            }
            Refused::OutOfRange(None) => {
                ", beyond any year RFC 3339 can write (0000 to 9999)".to_owned()
            }
            Refused::LeapSecond => {
                ", a leap second (second 60), which UTC date-times are not written with".to_owned()
            }
        }
    }
}

/// An instant the canonical model can write: years 0000 to 9999 in UTC, no
/// leap second.
fn writable(instant: DateTime<Utc>) -> Result<DateTime<Utc>, Refused> {
    if !(0..=9999).contains(&instant.year()) {
        return Err(Refused::OutOfRange(Some(instant.year())));
    }
    // chrono keeps a leap second as a nanosecond count of a billion or more.
    if instant.nanosecond() >= 1_000_000_000 {
        return Err(Refused::LeapSecond);
    }
    Ok(instant)
}

/// The instant of an epoch integer: `Err` when it cannot be written,
/// `Ok(None)` for the integers that mean "not set".
fn epoch_utc(epoch: i64) -> Result<Option<DateTime<Utc>>, Refused> {
    if epoch.unsigned_abs() >= EPOCH_MILLIS_FROM.unsigned_abs() {
        return millis_utc(epoch);
    }
    let instant = writable(DateTime::from_timestamp(epoch, 0).ok_or(Refused::OutOfRange(None))?)?;
    Ok((epoch != 0 && instant != GO_ZERO_TIME).then_some(instant))
}

/// The instant of epoch milliseconds, as [`epoch_utc`] reads an epoch.
fn millis_utc(millis: i64) -> Result<Option<DateTime<Utc>>, Refused> {
    let instant = DateTime::from_timestamp_millis(millis).ok_or(Refused::OutOfRange(None))?;
    let instant = writable(instant)?;
    Ok((millis != 0 && instant != GO_ZERO_TIME).then_some(instant))
}

/// Whether `text` is one or more ASCII digits.
fn is_digits(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())
}

fn text_utc(text: &str) -> Result<Option<DateTime<Utc>>, Refused> {
    if let Some(instant) = zulu_utc(text) {
        return Ok((instant != GO_ZERO_TIME).then_some(instant));
    }
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let digits = text.strip_prefix('-').unwrap_or(text);
    // One look for the first byte that is no digit: a date stops at its `-`.
    match digits.bytes().position(|b| !b.is_ascii_digit()) {
        None if !digits.is_empty() => {
            let epoch: i64 = text.parse().map_err(|_| Refused::OutOfRange(None))?;
            return epoch_utc(epoch);
        }
        // `"1717236000.25"`: a fractional epoch as text, read as the number is.
        Some(dot) if dot > 0 && digits[dot..].starts_with('.') && is_digits(&digits[dot + 1..]) => {
            let epoch: f64 = text.parse().map_err(|_| Refused::Unreadable)?;
            let millis = fractional_epoch_millis(epoch).ok_or(Refused::OutOfRange(None))?;
            return millis_utc(millis);
        }
        _ => {}
    }
    // RFC 3339, or ISO 8601's offset without a colon (`+0000`). A time
    // without any offset names no instant and stays an error.
    let instant = DateTime::parse_from_rfc3339(text)
        .or_else(|_| DateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f%z"))
        .map_err(|_| Refused::Unreadable)?
        .with_timezone(&Utc);
    let instant = writable(instant)?;
    // Go's zero time is what GoAPI sends for "not yet".
    Ok((instant != GO_ZERO_TIME).then_some(instant))
}

/// `2025-07-21T02:55:32Z` or `2025-07-21T02:55:32.217Z`: the one form nearly
/// every vendor sends, read by its fixed positions. chrono's general RFC 3339
/// parser cost more than the rest of a small body's decode; anything else
/// (another offset, a lowercase `t`, a leap second, an impossible date) is
/// `None` here and goes to chrono, which decides.
fn zulu_utc(text: &str) -> Option<DateTime<Utc>> {
    let (date_time, fraction) = text.strip_suffix('Z')?.split_at_checked(19)?;
    let [y1, y2, y3, y4, b'-', mo1, mo2, b'-', d1, d2, b'T', h1, h2, b':', mi1, mi2, b':', s1, s2] =
        *date_time.as_bytes()
    else {
        return None;
    };
    let number = |digits: &[u8]| {
        digits.iter().try_fold(0u32, |value, &digit| {
            digit
                .is_ascii_digit()
                .then(|| value * 10 + u32::from(digit - b'0'))
        })
    };
    let nanos = match fraction.as_bytes() {
        [] => 0,
        [b'.', digits @ ..] if (1..=9).contains(&digits.len()) => {
            number(digits)? * 10u32.pow(9 - digits.len() as u32)
        }
        _ => return None,
    };
    let second = number(&[s1, s2])?;
    if second > 59 {
        return None;
    }
    let year = number(&[y1, y2, y3, y4])?;
    let day =
        chrono::NaiveDate::from_ymd_opt(year as i32, number(&[mo1, mo2])?, number(&[d1, d2])?)?;
    let time = day.and_hms_nano_opt(number(&[h1, h2])?, number(&[mi1, mi2])?, second, nanos)?;
    Some(time.and_utc())
}

/// `0001-01-01T00:00:00Z`, the zero value of Go's `time.Time`, built at
/// compile time (so the `panic!`s below can only stop a build, never a
/// decode): it is compared with every timestamp read.
const GO_ZERO_TIME: DateTime<Utc> = match chrono::NaiveDate::from_ymd_opt(1, 1, 1) {
    Some(day) => match day.and_hms_opt(0, 0, 0) {
        Some(midnight) => midnight.and_utc(),
        None => panic!("midnight exists"),
    },
    None => panic!("the first of January of year 1 exists"),
};

impl Serialize for Timestamp<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Timestamp::Epoch(epoch) | Timestamp::EpochMillis(epoch) => {
                serializer.serialize_i64(*epoch)
            }
            Timestamp::Text { text, .. } => serializer.serialize_str(text),
        }
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Timestamp<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TimestampVisitor<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for TimestampVisitor<'a> {
            type Value = Timestamp<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an RFC 3339 date-time string or an epoch in seconds or milliseconds")
            }
            fn visit_i64<E: de::Error>(self, epoch: i64) -> Result<Timestamp<'a>, E> {
                epoch_utc(epoch)
                    .map(|_| Timestamp::Epoch(epoch))
                    .map_err(|refused| {
                        E::custom(format_args!(
                            "expected an epoch in seconds or milliseconds of a date-time RFC 3339 can write, found {epoch}{}",
                            refused.reason()
                        ))
                    })
            }
            fn visit_u64<E: de::Error>(self, epoch: u64) -> Result<Timestamp<'a>, E> {
                match i64::try_from(epoch) {
                    Ok(epoch) => self.visit_i64(epoch),
                    Err(_) => Err(E::custom(format_args!(
                        "expected an epoch in seconds or milliseconds of a date-time RFC 3339 can write, found {epoch}{}",
                        Refused::OutOfRange(None).reason()
                    ))),
                }
            }
            fn visit_f64<E: de::Error>(self, epoch: f64) -> Result<Timestamp<'a>, E> {
                // `1746000000.0`: a whole number written as a float.
                let whole = epoch as i64;
                if epoch.fract() == 0.0 && whole as f64 == epoch {
                    return self.visit_i64(whole);
                }
                let refused = |reason: &str| {
                    E::custom(format_args!(
                        "expected an epoch in seconds or milliseconds of a date-time RFC 3339 can write, found {epoch}{reason}"
                    ))
                };
                let millis = fractional_epoch_millis(epoch)
                    .ok_or_else(|| refused(&Refused::OutOfRange(None).reason()))?;
                millis_utc(millis)
                    .map(|_| Timestamp::EpochMillis(millis))
                    .map_err(|why| refused(&why.reason()))
            }
            fn visit_borrowed_str<E: de::Error>(self, text: &'de str) -> Result<Timestamp<'a>, E> {
                text_instant(text).map(|instant| Timestamp::Text {
                    text: Cow::Borrowed(text),
                    instant,
                })
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<Timestamp<'a>, E> {
                text_instant(text).map(|instant| Timestamp::Text {
                    text: Cow::Owned(text.to_owned()),
                    instant,
                })
            }
        }
        fn text_instant<E: de::Error>(text: &str) -> Result<Option<DateTime<Utc>>, E> {
            text_utc(text).map_err(|refused| {
                E::custom(format_args!(
                    "expected an RFC 3339 date-time or an epoch, found {}{}",
                    shown(text),
                    refused.reason()
                ))
            })
        }
        deserializer.deserialize_any(TimestampVisitor(std::marker::PhantomData))
    }
}

/// Epoch seconds written as a JSON number with a fraction, as AceData's task
/// records write `created_at` (`1720364607.967`); an integer is read too.
///
/// Read to the millisecond (the vendors' precision; the binary fraction of
/// `.967` is rounded, not cut). As for [`Timestamp`], `0` (and Go's zero
/// time) means "not set", a value of 100 000 000 000 or more is
/// milliseconds, and one out of the years RFC 3339 can write (0000 to 9999)
/// is refused. Strings are refused:
/// no vendor writes this form as one.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FractionalEpoch(pub f64);

impl FractionalEpoch {
    /// The instant in UTC, or `None` for `0`.
    pub fn to_utc(self) -> Option<DateTime<Utc>> {
        fractional_epoch_utc(self.0).ok().flatten()
    }
}

/// The instant of a fractional epoch, as [`epoch_utc`] reads an integer:
/// `Err` when not finite or out of the years RFC 3339 can write, `Ok(None)`
/// for the values that mean "not set".
fn fractional_epoch_utc(epoch: f64) -> Result<Option<DateTime<Utc>>, Refused> {
    millis_utc(fractional_epoch_millis(epoch).ok_or(Refused::OutOfRange(None))?)
}

/// A fractional epoch in whole milliseconds: seconds below
/// [`EPOCH_MILLIS_FROM`], milliseconds from there, rounded (the binary
/// fraction of `.967` is rounded, not cut); `None` when not finite or past
/// what an `i64` holds.
fn fractional_epoch_millis(epoch: f64) -> Option<i64> {
    // i64 holds every millisecond chrono can represent, and more.
    const LIMIT: f64 = 9.0e18;
    let millis = if epoch.abs() >= EPOCH_MILLIS_FROM as f64 {
        epoch.round()
    } else {
        (epoch * 1000.0).round()
    };
    // Exact: `millis` is a whole number well inside i64 (a NaN fails too).
    (millis.abs() < LIMIT).then_some(millis as i64)
}

impl Serialize for FractionalEpoch {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_f64(self.0)
    }
}

impl<'de> Deserialize<'de> for FractionalEpoch {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct FractionalEpochVisitor;
        impl Visitor<'_> for FractionalEpochVisitor {
            type Value = FractionalEpoch;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("epoch seconds as a number, such as 1720364607.967")
            }
            fn visit_f64<E: de::Error>(self, epoch: f64) -> Result<FractionalEpoch, E> {
                fractional_epoch_utc(epoch)
                    .map(|_| FractionalEpoch(epoch))
                    .map_err(|refused| {
                        E::custom(format_args!(
                            "expected epoch seconds (or milliseconds) of a date-time RFC 3339 can write, found {epoch}{}",
                            refused.reason()
                        ))
                    })
            }
            fn visit_i64<E: de::Error>(self, epoch: i64) -> Result<FractionalEpoch, E> {
                // Exact for every epoch chrono can represent; larger ones are refused anyway.
                self.visit_f64(epoch as f64)
            }
            fn visit_u64<E: de::Error>(self, epoch: u64) -> Result<FractionalEpoch, E> {
                self.visit_f64(epoch as f64)
            }
        }
        deserializer.deserialize_any(FractionalEpochVisitor)
    }
}

/// A JSON value that is sometimes one object and sometimes an array of them
/// (`data` in midjourney-api.com's envelope: one record in a webhook, a list
/// from job-status).
///
/// Written by hand rather than as an untagged enum so that an error inside an
/// element keeps its JSON path and position. Exhaustive on purpose: JSON has
/// no third way to hold one or several values.
#[derive(Clone, Debug, PartialEq)]
pub enum OneOrMany<T> {
    /// `{…}`
    One(Box<T>),
    /// `[{…}, …]`
    Many(Vec<T>),
}

impl<T> Default for OneOrMany<T> {
    fn default() -> Self {
        OneOrMany::Many(Vec::new())
    }
}

impl<T> OneOrMany<T> {
    /// Whether any of the values passes `test`.
    pub fn any(&self, test: impl FnMut(&T) -> bool) -> bool {
        match self {
            OneOrMany::One(value) => std::iter::once(value.as_ref()).any(test),
            OneOrMany::Many(values) => values.iter().any(test),
        }
    }

    /// The elements, in order.
    pub fn into_vec(self) -> Vec<T> {
        match self {
            OneOrMany::One(one) => vec![*one],
            OneOrMany::Many(many) => many,
        }
    }
}

impl<T: Serialize> Serialize for OneOrMany<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            OneOrMany::One(one) => one.serialize(serializer),
            OneOrMany::Many(many) => many.serialize(serializer),
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for OneOrMany<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct OneOrManyVisitor<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for OneOrManyVisitor<T> {
            type Value = OneOrMany<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object or an array of objects")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                T::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(|one| OneOrMany::One(Box::new(one)))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
                let records: Vec<serde_with::de::DeserializeAsWrap<T, ObjectOnly>> =
                    Vec::deserialize(de::value::SeqAccessDeserializer::new(seq))?;
                Ok(OneOrMany::Many(
                    records
                        .into_iter()
                        .map(|record| record.into_inner())
                        .collect(),
                ))
            }
        }
        deserializer.deserialize_any(OneOrManyVisitor(std::marker::PhantomData))
    }
}

/// A value that is skipped, never looked into.
///
/// Envelope wire types are generic over the type of their envelope field
/// (`data`, `tasks`); the records inside an envelope use `Skipped`, so a
/// body nesting envelopes inside envelopes is read through without being
/// kept (within serde_json's depth limit, as a `Value` parse reads it)
/// instead of driving the typed decoder into the records of records.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Skipped;

impl<'de> Deserialize<'de> for Skipped {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        de::IgnoredAny::deserialize(deserializer).map(|_| Skipped)
    }
}

impl Serialize for Skipped {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_unit()
    }
}

/// For `#[serde(default, deserialize_with = "present")]` on an
/// `Option<Skipped>`: whether a key is in the body, whatever its value,
/// `null` included (a plain `Option` reads `null` as absent). For keys whose
/// presence alone says what a body is (another API's key, say).
pub fn present<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Skipped>, D::Error> {
    Skipped::deserialize(deserializer).map(Some)
}

/// For `#[serde(default, deserialize_with = "filled")]` on an
/// `Option<Skipped>` whose presence says something (a result came): any
/// value but `null`, blank text and an empty list, which vendors send for
/// "none yet".
/// What the value holds is not read, so no value fails the decode.
pub fn filled<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Skipped>, D::Error> {
    struct Filled;
    impl<'de> Visitor<'de> for Filled {
        type Value = Option<Skipped>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("any value")
        }
        fn visit_str<E: de::Error>(self, text: &str) -> Result<Self::Value, E> {
            Ok((!is_blank(text)).then_some(Skipped))
        }
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Ok(Some(Skipped))
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Ok(Some(Skipped))
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Ok(Some(Skipped))
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Ok(Some(Skipped))
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: Deserializer<'de>>(self, inner: D) -> Result<Self::Value, D::Error> {
            inner.deserialize_any(Filled)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut filled = None;
            while let Some(de::IgnoredAny) = seq.next_element()? {
                filled = Some(Skipped);
            }
            Ok(filled)
        }
        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
            de::IgnoredAny.visit_map(map).map(|_| Some(Skipped))
        }
    }
    deserializer.deserialize_any(Filled)
}

/// A list in which `null` means nothing, for `serde_as` on `Vec` fields: the
/// whole list may be `null` (or missing, with `#[serde(default)]`), and a
/// `null` element becomes the element's default (an empty URL, an image
/// without a URL). Vendors send `null`, `[]` and omissions alike. A `null`
/// element keeps its place, as `""` does, because an image's index is its
/// place in the list; like every empty URL, it is no image. `A` reads each
/// element: by default [`Unblank`], which empties an element of white space
/// only (`" "` is no URL either, and keeps its place too), or
/// [`ObjectOnly`] for a list of records.
pub struct NullableList<A = Unblank>(std::marker::PhantomData<A>);

impl<'de, T: Default, A: serde_with::DeserializeAs<'de, T>> serde_with::DeserializeAs<'de, Vec<T>>
    for NullableList<A>
{
    fn deserialize_as<D: Deserializer<'de>>(deserializer: D) -> Result<Vec<T>, D::Error> {
        let items: Option<Vec<Option<serde_with::de::DeserializeAsWrap<T, A>>>> =
            Option::deserialize(deserializer)?;
        Ok(items
            .into_iter()
            .flatten()
            .map(|item| item.map(|item| item.into_inner()).unwrap_or_default())
            .collect())
    }
}

impl<T: Serialize, A> serde_with::SerializeAs<Vec<T>> for NullableList<A> {
    fn serialize_as<S: Serializer>(items: &Vec<T>, serializer: S) -> Result<S::Ok, S::Error> {
        items.serialize(serializer)
    }
}

/// Only a JSON object, for `serde_as` on struct-typed fields.
///
/// A derived struct also reads a JSON array, by position. No vendor sends
/// one, and a crafted array would decode into a silently wrong event, so
/// every struct in a wire format is read through this (the body itself,
/// nested objects, and the elements of a list of records).
pub struct ObjectOnly;

impl<'de, T: Deserialize<'de>> serde_with::DeserializeAs<'de, T> for ObjectOnly {
    fn deserialize_as<D: Deserializer<'de>>(deserializer: D) -> Result<T, D::Error> {
        struct ObjectVisitor<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for ObjectVisitor<T> {
            type Value = T;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
                T::deserialize(de::value::MapAccessDeserializer::new(map))
            }
        }
        deserializer.deserialize_map(ObjectVisitor(std::marker::PhantomData))
    }
}

impl<T: Serialize> serde_with::SerializeAs<T> for ObjectOnly {
    fn serialize_as<S: Serializer>(value: &T, serializer: S) -> Result<S::Ok, S::Error> {
        value.serialize(serializer)
    }
}

/// A failure as vendors report it: a bare message string, or an object with a
/// code and a message (GoAPI adds `raw_message`).
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum ErrorDetail<'a> {
    /// `"Content policy violation"`
    Text(Cow<'a, str>),
    /// `{"code": "content_policy_violation", "message": "…"}`
    Object(ErrorObject<'a>),
}

/// The object form of [`ErrorDetail`].
#[serde_with::serde_as]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ErrorObject<'a> {
    /// A machine-readable code: a string, or an integer where 0 means "no error".
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    pub code: Option<StringOrInt<'a>>,
    /// A human-readable message.
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    #[serde_as(as = "EmptyAsNone")]
    pub message: Option<Cow<'a, str>>,
    /// The upstream message behind `message` (GoAPI).
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    #[serde_as(as = "EmptyAsNone")]
    pub raw_message: Option<Cow<'a, str>>,
}

impl ErrorDetail<'_> {
    /// The canonical error, or `None` when the vendor's object says "no error"
    /// (GoAPI always sends `{"code": 0, "message": ""}`).
    pub fn to_job_error(&self) -> Option<JobError> {
        match self {
            ErrorDetail::Text(text) => JobError::from_vendor(None, Some(&**text)),
            ErrorDetail::Object(object) => {
                let code = object.code.as_ref().filter(|code| code.as_int() != Some(0));
                JobError::from_vendor(
                    code.map(|code| code.to_text().into_owned()),
                    with_upstream_text(object.message.as_deref(), object.raw_message.as_deref()),
                )
            }
        }
    }
}

/// GoAPI's and Legnext's failure text: `message`, with the upstream
/// `raw_message` after it in brackets when it adds something. Their
/// `message` is often generic (`"task failed"`) and the reason only in
/// `raw_message` (`"Banned prompt detected"`); either alone is taken as it is.
pub(crate) fn with_upstream_text<'t>(
    message: Option<&'t str>,
    raw_message: Option<&'t str>,
) -> Option<Cow<'t, str>> {
    let filled = |text: &&str| !is_blank(text);
    match (message.filter(filled), raw_message.filter(filled)) {
        (Some(message), Some(raw)) if !message.contains(raw.trim()) => Some(Cow::Owned(format!(
            "{} ({})",
            message.trim_end(),
            raw.trim()
        ))),
        (Some(message), _) => Some(Cow::Borrowed(message)),
        (None, raw) => raw.map(Cow::Borrowed),
    }
}

impl Serialize for ErrorDetail<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            ErrorDetail::Text(text) => serializer.serialize_str(text),
            ErrorDetail::Object(object) => object.serialize(serializer),
        }
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for ErrorDetail<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ErrorDetailVisitor(std::marker::PhantomData))
    }
}

struct ErrorDetailVisitor<'a>(std::marker::PhantomData<&'a ()>);

impl<'de: 'a, 'a> Visitor<'de> for ErrorDetailVisitor<'a> {
    type Value = ErrorDetail<'a>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an error message string or an error object")
    }
    fn visit_borrowed_str<E: de::Error>(self, text: &'de str) -> Result<ErrorDetail<'a>, E> {
        Ok(ErrorDetail::Text(Cow::Borrowed(text)))
    }
    fn visit_str<E: de::Error>(self, text: &str) -> Result<ErrorDetail<'a>, E> {
        Ok(ErrorDetail::Text(Cow::Owned(text.to_owned())))
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<ErrorDetail<'a>, A::Error> {
        ErrorObject::deserialize(de::value::MapAccessDeserializer::new(map))
            .map(ErrorDetail::Object)
    }
}

/// An `error` a vendor does not document: text or an object is a
/// failure's detail ([`ErrorDetail`]); any other value (`false`, `0`, a
/// list) says nothing, and cannot fail the decode. Boxed: a record rarely
/// has one, and moves the more often.
pub struct AnyErrorValue;

impl<'de: 'a, 'a> serde_with::DeserializeAs<'de, Option<Box<ErrorDetail<'a>>>> for AnyErrorValue {
    fn deserialize_as<D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Box<ErrorDetail<'a>>>, D::Error> {
        struct Detail<'a>(ErrorDetailVisitor<'a>);
        impl<'de: 'a, 'a> Visitor<'de> for Detail<'a> {
            type Value = Option<Box<ErrorDetail<'a>>>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_borrowed_str<E: de::Error>(self, text: &'de str) -> Result<Self::Value, E> {
                self.0.visit_borrowed_str(text).map(|d| Some(Box::new(d)))
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<Self::Value, E> {
                self.0.visit_str(text).map(|d| Some(Box::new(d)))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                self.0.visit_map(map).map(|d| Some(Box::new(d)))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<de::IgnoredAny>()?.is_some() {}
                Ok(None)
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(None)
            }
        }
        deserializer.deserialize_any(Detail(ErrorDetailVisitor(std::marker::PhantomData)))
    }
}

impl serde_with::SerializeAs<Option<Box<ErrorDetail<'_>>>> for AnyErrorValue {
    fn serialize_as<S: Serializer>(
        detail: &Option<Box<ErrorDetail<'_>>>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        detail.serialize(serializer)
    }
}

/// Prompt texts from a describe or shorten result, with Midjourney's keycap
/// numbering (`1️⃣ `) and surrounding white space removed.
///
/// Each item may itself hold several numbered prompts (GoAPI sends one
/// `description` string); it is split at every keycap marker that starts a
/// line, which is where Midjourney writes them. A keycap inside a line is the
/// prompt's own text (`a sign that reads 2️⃣4️⃣/7️⃣`), kept. An item without
/// markers is split into its non-empty lines. Empty prompts are dropped. A
/// shorten result's text as Midjourney writes it (`## Important tokens …
/// ## Shortened prompts 1️⃣ …`) gives only the prompts after its heading.
pub fn clean_prompts(items: impl IntoIterator<Item = impl AsRef<str>>) -> Vec<String> {
    let mut prompts = Vec::new();
    for item in items {
        let item = shortened_part(item.as_ref());
        if numbering_markers(item).next().is_some() {
            prompts.extend(split_at_keycaps(item).map(str::to_owned));
        } else {
            prompts.extend(
                item.lines()
                    .map(str::trim)
                    .filter(|line| !line.is_empty())
                    .map(str::to_owned),
            );
        }
    }
    prompts
}

/// A shorten result's numbered prompts: what follows the `## Shortened
/// prompts` heading (the token analysis before it is no prompt), or the
/// whole text when there is no such heading.
fn shortened_part(text: &str) -> &str {
    const HEADING: &[u8] = b"shortened prompts";
    // Only a Markdown heading can hold it; most texts have none.
    if !text.contains('#') {
        return text;
    }
    let heading_at = (text.as_bytes().windows(HEADING.len()))
        .position(|window| window.eq_ignore_ascii_case(HEADING));
    match heading_at {
        // The heading is ASCII, so it ends on a character boundary.
        Some(at) => &text[at + HEADING.len()..],
        None => text,
    }
}

const VARIATION_SELECTOR: char = '\u{FE0F}';
const COMBINING_KEYCAP: char = '\u{20E3}';

/// Where the numbering markers of `text` are, as (start, end) byte offsets:
/// an ASCII digit, an optional variation selector and the combining keycap
/// (`1️⃣`), with nothing but white space before it on its line. The keycap is
/// what is searched for.
fn numbering_markers(text: &str) -> impl Iterator<Item = (usize, usize)> + '_ {
    text.match_indices(COMBINING_KEYCAP)
        .filter_map(move |(at, keycap)| {
            let before = &text[..at];
            let before = before.strip_suffix(VARIATION_SELECTOR).unwrap_or(before);
            let digit = before.chars().next_back().filter(char::is_ascii_digit)?;
            let digit_at = before.len() - digit.len_utf8();
            // Only the white space just before the digit is looked at, so
            // a long line of keycaps costs linear time.
            let head =
                before[..digit_at].trim_end_matches(|c: char| c.is_whitespace() && c != '\n');
            (head.is_empty() || head.ends_with('\n')).then_some((digit_at, at + keycap.len()))
        })
}

/// The texts between numbering markers ([`numbering_markers`]), trimmed,
/// empty ones dropped.
fn split_at_keycaps(text: &str) -> impl Iterator<Item = &str> {
    let markers = numbering_markers(text);
    let mut start = 0;
    markers
        .chain(std::iter::once((text.len(), text.len())))
        .map(move |(marker_start, marker_end)| {
            // Markers come in order and do not overlap (a keycap is no
            // digit), so the range holds; `get` keeps a mistake from panicking.
            let piece = text.get(start..marker_start).unwrap_or_default();
            start = marker_end;
            piece
        })
        .map(str::trim)
        .filter(|piece| !piece.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_upstream_text_follows_the_message_when_it_adds_something() {
        let text = |message, raw| with_upstream_text(message, raw).map(Cow::into_owned);
        assert_eq!(
            text(Some("task failed"), Some("Banned prompt detected")).as_deref(),
            Some("task failed (Banned prompt detected)")
        );
        assert_eq!(
            text(Some("rejected: banned prompt"), Some(" banned prompt ")).as_deref(),
            Some("rejected: banned prompt")
        );
        assert_eq!(text(Some(" "), Some("timeout")).as_deref(), Some("timeout"));
        assert_eq!(text(Some("timeout"), Some("")).as_deref(), Some("timeout"));
        assert_eq!(text(None, None), None);
    }

    #[test]
    fn filled_is_any_value_but_null_blank_text_and_an_empty_list() {
        #[derive(Deserialize)]
        struct Result {
            #[serde(default, deserialize_with = "filled")]
            seed: Option<Skipped>,
        }
        let filled = |body: &str| {
            serde_json::from_str::<Result>(body)
                .map(|result| result.seed.is_some())
                .map_err(|error| error.to_string())
        };
        for body in [
            r#"{"seed": 7}"#,
            r#"{"seed": "7"}"#,
            r#"{"seed": [1]}"#,
            r#"{"seed": {}}"#,
            r#"{"seed": false}"#,
        ] {
            assert_eq!(filled(body), Ok(true), "{body}");
        }
        for body in [
            r#"{}"#,
            r#"{"seed": null}"#,
            r#"{"seed": " "}"#,
            r#"{"seed": []}"#,
        ] {
            assert_eq!(filled(body), Ok(false), "{body}");
        }
    }

    proptest::proptest! {
        /// Trimming in place gives `str::trim`'s text, whatever the padding.
        #[test]
        fn trim_in_place_is_trim(text in "[ \t\n\u{a0}\u{3000}]{0,3}[a-z/:.é ]{0,8}[ \t\r\u{2003}]{0,3}") {
            let mut trimmed = text.clone();
            trim_in_place(&mut trimmed);
            proptest::prop_assert_eq!(trimmed.as_str(), text.trim());
        }

        /// The fixed-position reading of `…Z` times agrees with chrono on
        /// every text it reads, and reads every valid one it is meant for.
        #[test]
        fn zulu_reading_agrees_with_chrono(
            text in "[0-9]{4}-[01][0-9]-[0-3][0-9][Tt ][0-2][0-9]:[0-6][0-9]:[0-6][0-9](\\.[0-9]{0,11})?[Zz]?"
        ) {
            zulu_reading_agrees(&text)?;
        }

        /// Digits from other scripts, multi-byte characters and signs where
        /// the fixed positions expect ASCII digits.
        #[test]
        fn zulu_reading_agrees_on_odd_characters(
            text in "[0-9é٣+-]{4}-[01é][0-9٣]-[0-3][0-9é]T[0-2][0-9٣]:[0-6][0-9]:[0-6][0-9é](\\.[0-9٣é]{0,4})?Z"
        ) {
            zulu_reading_agrees(&text)?;
        }
    }

    /// The fixed-position reading gives chrono's instant, or leaves the text
    /// to chrono when it is not the one ASCII form it is meant for.
    fn zulu_reading_agrees(text: &str) -> Result<(), proptest::test_runner::TestCaseError> {
        let chrono = DateTime::parse_from_rfc3339(text).map(|instant| instant.with_timezone(&Utc));
        match zulu_utc(text) {
            Some(instant) => proptest::prop_assert_eq!(Ok(instant), chrono),
            None => {
                let meant = text.is_ascii()
                    && text.ends_with('Z')
                    && text.as_bytes().get(10) == Some(&b'T')
                    && text.len() <= 30
                    && !text.ends_with(".Z")
                    && text.get(17..19).is_some_and(|second| second < "60");
                proptest::prop_assert!(!(meant && chrono.is_ok()), "{text} is read by chrono only");
            }
        }
        Ok(())
    }

    #[test]
    fn blank_is_empty_or_any_white_space_whatever_its_first_byte() {
        for blank in ["", " ", "\t\r\n ", "\u{3000}", "\u{a0} \u{2003}"] {
            assert!(is_blank(blank), "{blank:?}");
        }
        for text in ["a", " a", "\u{3000}a", "é", "\u{a0}x\u{a0}", "~"] {
            assert!(!is_blank(text), "{text:?}");
        }
    }

    fn progress(json: &str) -> Result<Option<u8>, String> {
        serde_json::from_str::<Percent>(json)
            .map(|percent| percent.progress().map(Progress::get))
            .map_err(|err| err.to_string())
    }

    #[test]
    fn percent_forms() {
        assert_eq!(progress("45"), Ok(Some(45)));
        assert_eq!(progress("\"45\""), Ok(Some(45)));
        assert_eq!(progress("\"45%\""), Ok(Some(45)));
        assert_eq!(progress("\" 45 % \""), Ok(Some(45)));
        assert_eq!(progress("99.9"), Ok(Some(99)));
        assert_eq!(progress("\"\""), Ok(None));
        assert_eq!(progress("\"099.99999999999999999999999\""), Ok(Some(99)));
        assert_eq!(progress("\"100.000\""), Ok(Some(100)));
        assert_eq!(progress("\"0.5\""), Ok(Some(0)));
        assert_eq!(progress("\"000\""), Ok(Some(0)));
        for bad in [
            "\"100.0000000000000000000001\"",
            "\"45.\"",
            "\"99999999999999999999\"",
            "101",
            "-1",
            "\"abc\"",
            "\"%\"",
            "\"-5\"",
            "\"1e2%\"",
            "\"NaN\"",
            "true",
            "\"100.5\"",
        ] {
            assert!(progress(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn percent_keeps_its_form() {
        for json in ["45", "\"45%\"", "\"\"", "12.5"] {
            let percent: Percent = serde_json::from_str(json).unwrap();
            assert_eq!(serde_json::to_string(&percent).unwrap(), json);
        }
    }

    fn instant(json: &str) -> Result<Option<String>, String> {
        serde_json::from_str::<Timestamp>(json)
            .map(|stamp| stamp.to_utc().map(|at| at.to_rfc3339()))
            .map_err(|err| err.to_string())
    }

    #[test]
    fn pixels_are_a_number_or_its_digits() {
        let pixels = |json: &str| {
            serde_json::from_str::<serde_with::de::DeserializeAsWrap<u32, Pixels>>(json)
                .map(serde_with::de::DeserializeAsWrap::into_inner)
                .map_err(|error| error.to_string())
        };
        assert_eq!(pixels("2048"), Ok(2048));
        assert_eq!(pixels(r#""2048""#), Ok(2048));
        assert_eq!(pixels(r#"" 64 ""#), Ok(64));
        for refused in [r#""+5""#, r#""wide""#, r#""""#, "-3", "1.5", "4294967296"] {
            assert!(pixels(refused).is_err(), "{refused}");
        }
    }

    #[test]
    fn timestamp_forms() {
        let expected = Some("2025-12-28T10:14:06+00:00".to_owned());
        let expected_whole = expected.clone();
        assert_eq!(instant("1766916846"), Ok(expected.clone()));
        assert_eq!(instant("1766916846000"), Ok(expected.clone()));
        assert_eq!(instant("\"1766916846\""), Ok(expected.clone()));
        assert_eq!(instant("\"2025-12-28T12:14:06+02:00\""), Ok(expected));
        assert_eq!(
            instant("\"2024-09-25T07:40:08.333962391Z\""),
            Ok(Some("2024-09-25T07:40:08.333962391+00:00".to_owned()))
        );
        assert_eq!(instant("\"0001-01-01T00:00:00Z\""), Ok(None));
        assert_eq!(instant("\"\""), Ok(None));
        // Unset integers: zero, and Go's zero time in epoch seconds.
        assert_eq!(instant("0"), Ok(None));
        assert_eq!(instant("\"0\""), Ok(None));
        assert_eq!(instant("-62135596800"), Ok(None));
        assert_eq!(
            instant("\"2025-12-28T10:14:06+0000\""),
            Ok(Some("2025-12-28T10:14:06+00:00".to_owned()))
        );
        assert!(instant("\"2025-12-28T10:14:06\"").is_err());
        assert_eq!(instant("1766916846.0"), Ok(expected_whole.clone()));
        // An epoch with a fraction, to the millisecond, as FractionalEpoch
        // reads it: seconds, or milliseconds from 10^11.
        assert_eq!(
            instant("1766916846.25"),
            Ok(Some("2025-12-28T10:14:06.250+00:00".to_owned()))
        );
        assert_eq!(
            instant("1766916846000.4"),
            Ok(Some("2025-12-28T10:14:06+00:00".to_owned()))
        );
        assert_eq!(
            instant("12.5"),
            Ok(Some("1970-01-01T00:00:12.500+00:00".to_owned()))
        );
        // The same as text.
        assert_eq!(
            instant("\"1766916846.25\""),
            Ok(Some("2025-12-28T10:14:06.250+00:00".to_owned()))
        );
        assert_eq!(
            instant("\" 1766916846000.4 \""),
            Ok(Some("2025-12-28T10:14:06+00:00".to_owned()))
        );
        for refused in [
            "\"1766916846.\"",
            "\".25\"",
            "\"1.2.3\"",
            "\"1e9\"",
            "\"9e15.5\"",
        ] {
            assert!(instant(refused).is_err(), "{refused}");
        }
        assert!(instant("1e300").is_err());
        assert!(instant("9e15").is_err());
        assert!(instant("\"yesterday\"").is_err());
        assert!(instant("9223372036854775807").is_err());
        assert!(instant("{}").is_err());
    }

    #[test]
    fn timestamps_rfc_3339_cannot_write_are_refused() {
        assert_eq!(
            instant("\"9999-12-31T23:59:59Z\""),
            Ok(Some("9999-12-31T23:59:59+00:00".to_owned()))
        );
        assert_eq!(
            instant("\"0000-01-01T00:00:00Z\""),
            Ok(Some("0000-01-01T00:00:00+00:00".to_owned()))
        );
        for (json, says) in [
            ("\"9999-12-31T23:59:59-01:00\"", "the year 10000 in UTC"),
            ("\"0000-01-01T00:30:00+01:00\"", "the year -1 in UTC"),
            ("\"2024-05-01T12:34:60Z\"", "leap second"),
            ("\"2016-12-31T23:59:60Z\"", "leap second"),
            ("8210266876799999", "the year 262142 in UTC"),
            ("\"8210266876799999\"", "the year 262142 in UTC"),
            ("253402300800000", "the year 10000 in UTC"),
            ("-62167219201", "the year -1 in UTC"),
            ("9223372036854775807", "beyond any year"),
            ("18446744073709551615", "beyond any year"),
            ("\"99999999999999999999\"", "beyond any year"),
        ] {
            let error = instant(json).unwrap_err();
            assert!(error.contains(says), "{json}: {error}");
        }
        // The last millisecond RFC 3339 can write (epoch seconds end in the
        // year 5138, where milliseconds begin).
        assert!(instant("253402300799999").is_ok());
    }

    #[test]
    fn long_or_odd_text_is_cut_and_escaped_in_errors() {
        let long = format!("\"{}\"", "x\\n".repeat(5_000));
        let error = instant(&long).unwrap_err();
        assert!(error.contains("(10000 bytes)"), "{error}");
        assert!(error.len() < 400, "{error}");
        assert!(!error.contains('\n'), "{error}");
        let error = progress("\"4\\u001b[2J5\"").unwrap_err();
        assert!(error.contains(r#""4\u{1b}[2J5""#), "{error}");
    }

    #[serde_with::serde_as]
    #[derive(Debug, Default, Deserialize, Serialize, PartialEq)]
    struct Urls<'a> {
        #[serde(borrow, default)]
        #[serde_as(as = "EmptyAsNone")]
        one: Option<Cow<'a, str>>,
        #[serde(borrow, default)]
        #[serde_as(as = "NullableList")]
        many: Vec<Cow<'a, str>>,
    }

    #[test]
    fn white_space_only_text_is_none() {
        let urls: Urls =
            serde_json::from_str(r#"{"one": " \t\n", "many": [" ", "a", null, "\t", " b "]}"#)
                .unwrap();
        assert_eq!(urls.one, None);
        assert_eq!(urls.many, ["", "a", "", "", " b "]);
        let urls: Urls = serde_json::from_str(r#"{"one": " a "}"#).unwrap();
        assert_eq!(urls.one.as_deref(), Some(" a "));
        // Text borrows from the body unless an escape is in the way.
        let urls: Urls =
            serde_json::from_str(r#"{"one": "a\u0062", "many": ["c", "d\n"]}"#).unwrap();
        assert!(matches!(urls.one, Some(Cow::Owned(ref text)) if text == "ab"));
        assert!(matches!(&urls.many[..], [Cow::Borrowed("c"), Cow::Owned(text)] if text == "d\n"));
        let urls: Urls = serde_json::from_str(r#"{"one": null, "many": null}"#).unwrap();
        assert_eq!(urls, Urls::default());
        assert_eq!(
            serde_json::to_string(&urls).unwrap(),
            r#"{"one":"","many":[]}"#
        );
    }

    #[test]
    fn fractional_epoch_forms() {
        let at = |json: &str| {
            serde_json::from_str::<FractionalEpoch>(json)
                .map(|epoch| epoch.to_utc().map(|at| at.to_rfc3339()))
                .map_err(|err| err.to_string())
        };
        assert_eq!(
            at("1720364607.967"),
            Ok(Some("2024-07-07T15:03:27.967+00:00".to_owned()))
        );
        assert_eq!(
            at("1720364607"),
            Ok(Some("2024-07-07T15:03:27+00:00".to_owned()))
        );
        assert_eq!(
            at("1720364607967.0"),
            Ok(Some("2024-07-07T15:03:27.967+00:00".to_owned()))
        );
        assert_eq!(at("0"), Ok(None));
        assert!(at("1e300").is_err());
        assert!(at("\"yesterday\"").unwrap_err().contains("yesterday"));
        // Microseconds are past the years RFC 3339 can write; Go's zero
        // time is "not set", as for every other epoch.
        assert!(at("1731438625000000")
            .unwrap_err()
            .contains("the year 56837 in UTC"));
        assert_eq!(at("-62135596800"), Ok(None));
    }

    #[test]
    fn string_or_int() {
        let id: StringOrInt = serde_json::from_str("1234567890123").unwrap();
        assert_eq!(id.to_text(), "1234567890123");
        let code: StringOrInt = serde_json::from_str("\"0\"").unwrap();
        assert_eq!(code.as_int(), Some(0));
        assert!(serde_json::from_str::<StringOrInt>("1.5").is_err());
        let big: StringOrInt = serde_json::from_str("18446744073709551615").unwrap();
        assert_eq!(big.to_text(), "18446744073709551615");
        assert_eq!(big.as_int(), None);
    }

    #[test]
    fn error_detail_zero_code_is_no_error() {
        let none: ErrorDetail =
            serde_json::from_str(r#"{"code":0,"raw_message":"","message":"","detail":null}"#)
                .unwrap();
        assert_eq!(none.to_job_error(), None);
        let some: ErrorDetail =
            serde_json::from_str(r#"{"code":10000,"message":"bad prompt"}"#).unwrap();
        let error = some.to_job_error().unwrap();
        assert_eq!(
            (error.code.as_deref(), error.message.as_str()),
            (Some("10000"), "bad prompt")
        );
        let text: ErrorDetail = serde_json::from_str(r#""Content policy violation""#).unwrap();
        assert_eq!(
            text.to_job_error().unwrap().message,
            "Content policy violation"
        );
    }

    #[test]
    fn prompts_lose_their_keycaps_and_split() {
        assert_eq!(
            clean_prompts([
                "1\u{FE0F}\u{20E3} a red fox --ar 3:2 ",
                "2\u{20E3}a grey wolf"
            ]),
            ["a red fox --ar 3:2", "a grey wolf"]
        );
        assert_eq!(
            clean_prompts([
                "1\u{FE0F}\u{20E3} one\n\n2\u{FE0F}\u{20E3} two --v 6\n\n3\u{FE0F}\u{20E3} three"
            ]),
            ["one", "two --v 6", "three"]
        );
        assert_eq!(
            clean_prompts(["plain prompt\n\nsecond line", ""]),
            ["plain prompt", "second line"]
        );
        assert_eq!(clean_prompts(["a 4:3 frame"]), ["a 4:3 frame"]);
    }

    #[test]
    fn only_a_digit_before_the_keycap_makes_a_marker() {
        // A keycap after two selectors, or after no digit, is text; `11⃣`
        // is no marker, nor is the second keycap of `1⃣⃣`.
        assert_eq!(
            clean_prompts(["x\u{20E3} a\n1\u{FE0F}\u{FE0F}\u{20E3} b\n11\u{20E3} c"]),
            ["x\u{20E3} a", "1\u{FE0F}\u{FE0F}\u{20E3} b", "11\u{20E3} c"]
        );
        assert_eq!(
            clean_prompts(["1\u{20E3}\u{20E3}2\u{20E3}"]),
            ["\u{20E3}2\u{20E3}"]
        );
    }

    #[test]
    fn a_keycap_inside_a_line_is_the_prompt_s_own_text() {
        // Numbering starts a line; a keycap after text is what the prompt
        // says, and an item's count of prompts stays.
        assert_eq!(
            clean_prompts([
                "1️⃣ birthday cake with 1️⃣ candle",
                "2️⃣ a poster that reads 2️⃣0️⃣2️⃣5️⃣ in neon",
            ]),
            [
                "birthday cake with 1️⃣ candle",
                "a poster that reads 2️⃣0️⃣2️⃣5️⃣ in neon"
            ]
        );
        assert_eq!(
            clean_prompts(["a neon sign that says 2️⃣4️⃣/7️⃣ --ar 3:2"]),
            ["a neon sign that says 2️⃣4️⃣/7️⃣ --ar 3:2"]
        );
        // Indented numbering is still numbering.
        assert_eq!(
            clean_prompts(["  1️⃣ one 2️⃣ too\n \t2️⃣ two"]),
            ["one 2️⃣ too", "two"]
        );
    }

    #[test]
    fn only_the_shortened_prompts_of_a_shorten_text_are_prompts() {
        let text = "## Important tokens\nfox **red**\n\n## Shortened prompts\n1️⃣ red fox\n\n2️⃣ fox";
        assert_eq!(clean_prompts([text]), ["red fox", "fox"]);
        // Without the heading every line counts; `#` elsewhere changes nothing.
        assert_eq!(clean_prompts(["1️⃣ a #1 fox"]), ["a #1 fox"]);
        assert_eq!(clean_prompts(["## Tokens\nfox"]), ["## Tokens", "fox"]);
    }
}
