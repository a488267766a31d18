//! The [`KeyTable`](super::KeyTable)'s lookup by name, which runs once for
//! every key of every body.
//!
//! Keys are short (`status`, `taskId`, `imageUrl`): a key of up to 16 bytes
//! is told exactly by its length and two 8-byte words read from its ends,
//! so one multiply hashes it and two integer compares confirm it, with no
//! byte-by-byte hashing and no `memcmp` call. Longer keys are confirmed by
//! their text. A general-purpose map costs about three times as much per
//! key, which is a tenth of decoding a small body.

/// Open addressing over the keys' fingerprints, with linear probing.
#[derive(Debug)]
pub(super) struct KeyIndex {
    slots: Vec<Slot>,
    /// `slots.len() - 1` (a power of two minus one).
    mask: usize,
}

#[derive(Clone, Copy, Debug)]
struct Slot {
    fingerprint: Fingerprint,
    /// The key's number; [`Slot::EMPTY`] for a free slot.
    id: u16,
}

impl Slot {
    const EMPTY: u16 = u16::MAX;
}

/// A key's length and the words read from its two ends: the whole key when
/// it has at most 16 bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Fingerprint {
    len: usize,
    head: u64,
    tail: u64,
}

impl Fingerprint {
    /// The length past which a fingerprint no longer holds every byte.
    const EXACT_UP_TO: usize = 16;

    #[inline]
    fn of(key: &[u8]) -> Fingerprint {
        let len = key.len();
        let (head, tail) = match len {
            8.. => (word_at(key, 0), word_at(key, len - 8)),
            4..8 => {
                let half = |at: usize| {
                    u64::from(u32::from_le_bytes([
                        key[at],
                        key[at + 1],
                        key[at + 2],
                        key[at + 3],
                    ]))
                };
                (half(0) | half(len - 4) << 32, 0)
            }
            1..4 => (
                u64::from(key[0]) | u64::from(key[len / 2]) << 8 | u64::from(key[len - 1]) << 16,
                0,
            ),
            0 => (0, 0),
        };
        Fingerprint { len, head, tail }
    }

    fn hash(&self) -> usize {
        let mixed = (self.head ^ self.tail.rotate_left(23) ^ self.len as u64)
            .wrapping_mul(0x9E37_79B9_7F4A_7C15);
        // The high bits are the well-mixed ones.
        (mixed >> 32) as usize
    }
}

/// The little-endian word of the 8 bytes of `key` from `at`.
fn word_at(key: &[u8], at: usize) -> u64 {
    let mut word = [0; 8];
    word.copy_from_slice(&key[at..at + 8]);
    u64::from_le_bytes(word)
}

impl KeyIndex {
    /// An index of `names`, each found as its position in the list.
    pub(super) fn new(names: &[&str]) -> KeyIndex {
        // A quarter full: most lookups of a key no format knows end at the
        // first free slot.
        let size = (names.len() * 4).next_power_of_two().max(8);
        let empty = Slot {
            fingerprint: Fingerprint::default(),
            id: Slot::EMPTY,
        };
        let mut index = KeyIndex {
            slots: vec![empty; size],
            mask: size - 1,
        };
        for (id, name) in names.iter().enumerate() {
            let id = u16::try_from(id)
                .ok()
                .filter(|id| *id != Slot::EMPTY)
                .expect("fewer keys than u16::MAX");
            let fingerprint = Fingerprint::of(name.as_bytes());
            let mut at = fingerprint.hash() & index.mask;
            while index.slots[at].id != Slot::EMPTY {
                at = (at + 1) & index.mask;
            }
            index.slots[at] = Slot { fingerprint, id };
        }
        index
    }

    /// The number of `key`, if it is one of the names; `names` is the list
    /// the index was built from, which confirms long keys.
    #[inline]
    pub(super) fn get(&self, key: &str, names: &[&str]) -> Option<u16> {
        let fingerprint = Fingerprint::of(key.as_bytes());
        let mut at = fingerprint.hash() & self.mask;
        loop {
            let slot = self.slots[at];
            if slot.id == Slot::EMPTY {
                return None;
            }
            if slot.fingerprint == fingerprint
                && (fingerprint.len <= Fingerprint::EXACT_UP_TO
                    || names[usize::from(slot.id)] == key)
            {
                return Some(slot.id);
            }
            at = (at + 1) & self.mask;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_every_key_and_no_other() {
        let names = [
            "",
            "a",
            "ab",
            "abc",
            "abcd",
            "abcde",
            "id",
            "di",
            "status",
            "taskId",
            "task_id",
            "imageUrl",
            "imageUrls",
            "image_urls",
            "sixteen_bytes_xx",
            "seventeen_bytes_x",
            "a_key_of_more_than_sixteen_bytes",
            "a_key_of_more_than_sixteen_bytez",
        ];
        let index = KeyIndex::new(&names);
        for (id, name) in names.iter().enumerate() {
            assert_eq!(index.get(name, &names), Some(id as u16), "{name}");
        }
        for stranger in [
            "b",
            "ba",
            "acb",
            "abdc",
            "abcdf",
            "Status",
            "task_Id",
            "imageurl",
            "sixteen_bytes_xy",
            "seventeen_bytes_y",
            "a_key_of_more_than_sixteen_bytes_",
            "a_key_of_mor_than_sixteen_bytes",
            "a_key_of_more_xhan_sixteen_bytes",
        ] {
            assert_eq!(index.get(stranger, &names), None, "{stranger}");
        }
    }

    #[test]
    fn keys_of_up_to_sixteen_bytes_are_told_by_their_fingerprint() {
        // Every position of a short key is in its fingerprint: changing any
        // one byte changes it.
        for len in 1..=Fingerprint::EXACT_UP_TO {
            let key = vec![b'k'; len];
            for at in 0..len {
                let mut other = key.clone();
                other[at] = b'j';
                assert_ne!(Fingerprint::of(&key), Fingerprint::of(&other), "{len} {at}");
            }
        }
    }
}
