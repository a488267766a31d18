//! Where a JSON path's value is in a body: the line and column of an error
//! that a provider's mapping found after the parse, when serde_json no
//! longer says where it is (an empty id, an index out of range).
//!
//! Only errors take this path: the body is read again, up to the value, by
//! serde_json, and the position is the one serde_json gives an error raised
//! right after the value, as it does for a value the parse refuses.

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::fmt;

/// One step of a path: a key of an object, or a position in a list.
#[derive(Debug, PartialEq)]
enum Step<'p> {
    Key(&'p str),
    Index(usize),
}

/// The steps of an error's path (`result.images[0].index`, `[1].id`);
/// `None` for the whole body (`.`) or a key shown quoted (a key holding a
/// control character), which this does not read back.
fn steps(path: &str) -> Option<Vec<Step<'_>>> {
    if path == "." || path.contains('"') {
        return None;
    }
    let mut steps = Vec::new();
    for part in path.split('.') {
        let (key, mut indices) = match part.find('[') {
            Some(open) => part.split_at(open),
            None => (part, ""),
        };
        if !key.is_empty() {
            steps.push(Step::Key(key));
        }
        while let Some(rest) = indices.strip_prefix('[') {
            let (index, after) = rest.split_once(']')?;
            steps.push(Step::Index(index.parse().ok()?));
            indices = after;
        }
        if !indices.is_empty() || (key.is_empty() && part.is_empty()) {
            return None;
        }
    }
    (!steps.is_empty()).then_some(steps)
}

/// The message of the error raised at the value: no body's text is this.
const FOUND: &str = "\u{0}mjhook: the value sought\u{0}";

/// The line and column (1-based) of the value at `path` in `text`, where
/// serde_json would report an error about it: at its last character.
pub(crate) fn position(text: &str, path: &str) -> Option<(usize, usize)> {
    let steps = steps(path)?;
    let mut deserializer = serde_json::Deserializer::from_str(text);
    match (Seek { steps: &steps }).deserialize(&mut deserializer) {
        Err(error) if error.is_data() && error.to_string().starts_with(FOUND) => {
            Some((error.line(), error.column())).filter(|&(line, _)| line > 0)
        }
        _ => None,
    }
}

/// Walks to the value the steps lead to, and fails there ([`Found`]).
struct Seek<'s, 'p> {
    steps: &'s [Step<'p>],
}

impl<'de> DeserializeSeed<'de> for Seek<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        match self.steps.first() {
            None => deserializer.deserialize_any(Found),
            Some(Step::Key(_)) => deserializer.deserialize_map(self),
            Some(Step::Index(_)) => deserializer.deserialize_seq(self),
        }
    }
}

impl<'de> Visitor<'de> for Seek<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the value at an error's path")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let Some((Step::Key(wanted), rest)) = self.steps.split_first() else {
            return Ok(());
        };
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            if key == *wanted {
                return map.next_value_seed(Seek { steps: rest });
            }
            map.next_value::<IgnoredAny>()?;
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let Some((&Step::Index(wanted), rest)) = self.steps.split_first() else {
            return Ok(());
        };
        for _ in 0..wanted {
            if seq.next_element::<IgnoredAny>()?.is_none() {
                return Ok(());
            }
        }
        seq.next_element_seed(Seek { steps: rest }).map(|_| ())
    }
}

/// The value sought: read, then refused, so that serde_json says where as
/// it does for a value a wire type refuses.
struct Found;

macro_rules! found_scalars {
    ($($method:ident($ty:ty)),* $(,)?) => {
        $(
            fn $method<E: de::Error>(self, _: $ty) -> Result<(), E> {
                Err(E::custom(FOUND))
            }
        )*
    };
}

impl<'de> Visitor<'de> for Found {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any value")
    }

    found_scalars! {
        visit_bool(bool), visit_i64(i64), visit_u64(u64), visit_i128(i128),
        visit_u128(u128), visit_f64(f64), visit_str(&str),
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Err(E::custom(FOUND))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Err(de::Error::custom(FOUND))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Err(de::Error::custom(FOUND))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_reads_as_keys_and_positions() {
        assert_eq!(
            steps("result.images[0].index"),
            Some(vec![
                Step::Key("result"),
                Step::Key("images"),
                Step::Index(0),
                Step::Key("index"),
            ])
        );
        assert_eq!(steps("[1].id"), Some(vec![Step::Index(1), Step::Key("id")]));
        assert_eq!(steps("."), None);
        assert_eq!(steps("a..b"), None);
        assert_eq!(steps("a[x]"), None);
        assert_eq!(steps(r#""evil\nkey""#), None);
    }

    #[test]
    fn the_position_is_the_values_last_character() {
        let text = "{\n  \"task_id\": \"\",\n  \"tasks\": [{\"a\": 1}, {\"id\": 250}]\n}";
        assert_eq!(position(text, "task_id"), Some((2, 15)));
        assert_eq!(position(text, "tasks[1].id"), Some((3, 32)));
        assert_eq!(position(text, "tasks[2].id"), None);
        assert_eq!(position(text, "missing"), None);
        assert_eq!(position(text, "task_id.deeper"), None);
        assert_eq!(position("[{\"id\": \"\"}]", "[0].id"), Some((1, 10)));
    }
}
