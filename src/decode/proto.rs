//! The small messages of profile.proto, derived with prost.
//!
//! `Profile` and `Sample` are not derived: the top level and the samples are decoded by hand in
//! `parse.rs` so that samples go straight into a compact columnar store instead of one heap
//! object per sample.

use prost::Message;

#[derive(Clone, PartialEq, Message)]
pub struct ValueType {
    #[prost(int64, tag = "1")]
    pub r#type: i64,
    #[prost(int64, tag = "2")]
    pub unit: i64,
}

#[derive(Clone, PartialEq, Message)]
pub struct Mapping {
    #[prost(uint64, tag = "1")]
    pub id: u64,
    #[prost(uint64, tag = "2")]
    pub memory_start: u64,
    #[prost(uint64, tag = "3")]
    pub memory_limit: u64,
    #[prost(uint64, tag = "4")]
    pub file_offset: u64,
    #[prost(int64, tag = "5")]
    pub filename: i64,
    #[prost(int64, tag = "6")]
    pub build_id: i64,
    #[prost(bool, tag = "7")]
    pub has_functions: bool,
    #[prost(bool, tag = "8")]
    pub has_filenames: bool,
    #[prost(bool, tag = "9")]
    pub has_line_numbers: bool,
    #[prost(bool, tag = "10")]
    pub has_inline_frames: bool,
}

#[derive(Clone, PartialEq, Message)]
pub struct Line {
    #[prost(uint64, tag = "1")]
    pub function_id: u64,
    #[prost(int64, tag = "2")]
    pub line: i64,
    #[prost(int64, tag = "3")]
    pub column: i64,
}

#[derive(Clone, PartialEq, Message)]
pub struct Location {
    #[prost(uint64, tag = "1")]
    pub id: u64,
    #[prost(uint64, tag = "2")]
    pub mapping_id: u64,
    #[prost(uint64, tag = "3")]
    pub address: u64,
    /// line[0] is the innermost inlined callee, the last line the caller it was inlined into.
    #[prost(message, repeated, tag = "4")]
    pub line: Vec<Line>,
    #[prost(bool, tag = "5")]
    pub is_folded: bool,
}

#[derive(Clone, PartialEq, Message)]
pub struct Function {
    #[prost(uint64, tag = "1")]
    pub id: u64,
    #[prost(int64, tag = "2")]
    pub name: i64,
    #[prost(int64, tag = "3")]
    pub system_name: i64,
    #[prost(int64, tag = "4")]
    pub filename: i64,
    #[prost(int64, tag = "5")]
    pub start_line: i64,
}

/// A sample, as written. Decoding reads samples by hand (see `parse.rs`); this message is
/// for writing profiles (tests, the synthetic generator, merge output).
#[derive(Clone, PartialEq, Message)]
pub struct Sample {
    /// Leaf first.
    #[prost(uint64, repeated, tag = "1")]
    pub location_id: Vec<u64>,
    #[prost(int64, repeated, tag = "2")]
    pub value: Vec<i64>,
    #[prost(message, repeated, tag = "3")]
    pub label: Vec<Label>,
}

#[derive(Clone, PartialEq, Message)]
pub struct Label {
    #[prost(int64, tag = "1")]
    pub key: i64,
    #[prost(int64, tag = "2")]
    pub str: i64,
    #[prost(int64, tag = "3")]
    pub num: i64,
    #[prost(int64, tag = "4")]
    pub num_unit: i64,
}

/// The whole profile message, for writing. See `Sample` for why decoding does not use it.
#[derive(Clone, PartialEq, Message)]
pub struct ProfileMessage {
    #[prost(message, repeated, tag = "1")]
    pub sample_type: Vec<ValueType>,
    #[prost(message, repeated, tag = "2")]
    pub sample: Vec<Sample>,
    #[prost(message, repeated, tag = "3")]
    pub mapping: Vec<Mapping>,
    #[prost(message, repeated, tag = "4")]
    pub location: Vec<Location>,
    #[prost(message, repeated, tag = "5")]
    pub function: Vec<Function>,
    #[prost(string, repeated, tag = "6")]
    pub string_table: Vec<String>,
    #[prost(int64, tag = "7")]
    pub drop_frames: i64,
    #[prost(int64, tag = "8")]
    pub keep_frames: i64,
    #[prost(int64, tag = "9")]
    pub time_nanos: i64,
    #[prost(int64, tag = "10")]
    pub duration_nanos: i64,
    #[prost(message, optional, tag = "11")]
    pub period_type: Option<ValueType>,
    #[prost(int64, tag = "12")]
    pub period: i64,
    #[prost(int64, repeated, tag = "13")]
    pub comment: Vec<i64>,
    #[prost(int64, tag = "14")]
    pub default_sample_type: i64,
    #[prost(int64, tag = "15")]
    pub doc_url: i64,
}

/// Builds a string table while writing a profile.
#[derive(Debug)]
pub struct StringTable {
    strings: Vec<String>,
    /// Positions in `strings`, found by the text's hash: each text is held (and hashed)
    /// once, where a map keyed by text would hold a second copy.
    index: hashbrown::HashTable<u32>,
    hasher: foldhash::fast::RandomState,
}

impl Default for StringTable {
    fn default() -> Self {
        Self::with_capacity(0)
    }
}

impl StringTable {
    /// A table with room for `n` strings besides "".
    pub fn with_capacity(n: usize) -> Self {
        let mut t = Self {
            strings: Vec::with_capacity(n + 1),
            index: hashbrown::HashTable::with_capacity(n + 1),
            hasher: Default::default(),
        };
        t.add("");
        t
    }

    pub fn add(&mut self, s: &str) -> i64 {
        use std::hash::BuildHasher;
        let Self {
            strings,
            index,
            hasher,
        } = self;
        let entry = index.entry(
            hasher.hash_one(s),
            |&i| strings[i as usize] == s,
            |&i| hasher.hash_one(strings[i as usize].as_str()),
        );
        match entry {
            hashbrown::hash_table::Entry::Occupied(e) => i64::from(*e.get()),
            hashbrown::hash_table::Entry::Vacant(e) => {
                let i = strings.len();
                e.insert(i as u32);
                strings.push(s.to_string());
                i as i64
            }
        }
    }

    pub fn into_vec(self) -> Vec<String> {
        self.strings
    }
}

#[cfg(test)]
mod tests {
    use super::StringTable;

    /// Equal texts share an id, new texts get the next one, and ids stay right as the
    /// index outgrows the room it was made with.
    #[test]
    fn string_table_ids_are_first_seen_positions() {
        let mut t = StringTable::with_capacity(2);
        let texts: Vec<String> = (0..500).map(|i| format!("s{}", i % 300)).collect();
        let ids: Vec<i64> = texts.iter().map(|s| t.add(s)).collect();
        assert_eq!(t.add(""), 0);
        for (s, &id) in texts.iter().zip(&ids) {
            assert_eq!(t.add(s), id);
        }
        let table = t.into_vec();
        assert_eq!(table.len(), 301);
        assert_eq!(table[0], "");
        for (s, &id) in texts.iter().zip(&ids) {
            assert_eq!(&table[id as usize], s);
        }
        assert_eq!(ids[..300], (1..=300).collect::<Vec<i64>>()[..]);
    }
}
