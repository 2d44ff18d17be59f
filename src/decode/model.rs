//! The decoded profile: header, symbol tables as prost structs, samples in a columnar store.

use foldhash::HashMap;

use std::sync::Arc;

use datafusion::arrow::array::{Array, StringArray};

use super::proto::{Function, Line, Mapping};

/// A location. Its lines are `Profile::lines[line_start..line_end]` (one shared vector
/// instead of one allocation per location); line 0 is the innermost inlined callee.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Location {
    pub id: u64,
    pub mapping_id: u64,
    pub address: u64,
    pub is_folded: bool,
    pub line_start: u32,
    pub line_end: u32,
}

impl Location {
    pub fn num_lines(&self) -> usize {
        (self.line_end - self.line_start) as usize
    }
}

/// A sample type or period type, as indices into the string table.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ValueType {
    pub r#type: u32,
    pub unit: u32,
}

/// One label of a sample, in 8 bytes: profiles can carry millions of labels, and most are
/// strings. The key's top bit marks a numeric label, whose `value` then indexes
/// `SampleStore::numeric`; otherwise `value` is the string's index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LabelRec {
    key: u32,
    value: u32,
}

const NUMERIC: u32 = 1 << 31;

impl LabelRec {
    /// A string label. `key` must be below 2^31 (checked by the parser).
    pub fn string(key: u32, str: u32) -> Self {
        Self { key, value: str }
    }

    /// A numeric label whose number is `SampleStore::numeric[index]`.
    pub fn numeric(key: u32, index: u32) -> Self {
        Self {
            key: key | NUMERIC,
            value: index,
        }
    }

    pub fn key(&self) -> u32 {
        self.key & !NUMERIC
    }

    pub fn is_string(&self) -> bool {
        self.key & NUMERIC == 0
    }

    /// The string index of a string label (0 for a numeric one).
    pub fn str(&self) -> u32 {
        if self.is_string() {
            self.value
        } else {
            0
        }
    }

    /// For a numeric label, its index into `SampleStore::numeric`.
    pub fn numeric_index(&self) -> Option<usize> {
        (!self.is_string()).then_some(self.value as usize)
    }
}

/// The number and unit (string index) of a numeric label.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C, packed(4))]
pub struct NumLabel {
    pub num: i64,
    pub unit: u32,
}

/// All samples of a profile, column by column. Sample `i` has the locations
/// `loc_index[loc_offsets[i]..loc_offsets[i+1]]` (leaf first, as dense indices into
/// `Profile::locations`), the values `values[i*n_types..(i+1)*n_types]`, and the labels
/// `labels[label_offsets[i]..label_offsets[i+1]]`.
#[derive(Debug, Default)]
pub struct SampleStore {
    pub loc_offsets: Vec<u32>,
    pub loc_index: Vec<u32>,
    pub values: Vec<i64>,
    pub label_offsets: Vec<u32>,
    pub labels: Vec<LabelRec>,
    /// Numbers of the numeric labels, in order of appearance.
    pub numeric: Vec<NumLabel>,
    pub n_types: usize,
}

impl SampleStore {
    pub fn len(&self) -> usize {
        self.loc_offsets.len().saturating_sub(1)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn locations(&self, sample: usize) -> &[u32] {
        &self.loc_index[self.loc_offsets[sample] as usize..self.loc_offsets[sample + 1] as usize]
    }

    pub fn values(&self, sample: usize) -> &[i64] {
        &self.values[sample * self.n_types..(sample + 1) * self.n_types]
    }

    pub fn value(&self, sample: usize, type_index: usize) -> i64 {
        self.values[sample * self.n_types + type_index]
    }

    /// (number, unit string index) of a numeric label.
    pub fn label_number(&self, label: &LabelRec) -> Option<(i64, u32)> {
        let n = self.numeric.get(label.numeric_index()?)?;
        Some((n.num, n.unit))
    }

    pub fn labels(&self, sample: usize) -> &[LabelRec] {
        &self.labels[self.label_offsets[sample] as usize..self.label_offsets[sample + 1] as usize]
    }
}

/// Maps message ids to positions. Go writes ids 1..=n in order, which needs no table.
#[derive(Debug, Clone)]
pub enum IdIndex {
    Dense(usize),
    Sparse(HashMap<u64, u32>),
}

impl IdIndex {
    pub fn get(&self, id: u64) -> Option<u32> {
        match self {
            IdIndex::Dense(n) => {
                if id >= 1 && id <= *n as u64 {
                    Some((id - 1) as u32)
                } else {
                    None
                }
            }
            IdIndex::Sparse(map) => map.get(&id).copied(),
        }
    }
}

/// A validated profile. String fields hold indices into `strings`, the string table as an
/// Arrow array (non-UTF-8 bytes are replaced, as Go would print them).
#[derive(Debug)]
pub struct Profile {
    pub strings: Arc<StringArray>,
    pub sample_types: Vec<ValueType>,
    pub default_sample_type: u32,
    pub drop_frames: u32,
    pub keep_frames: u32,
    pub time_nanos: i64,
    pub duration_nanos: i64,
    pub period_type: ValueType,
    pub period: i64,
    pub comments: Vec<u32>,
    pub doc_url: u32,
    pub mappings: Vec<Mapping>,
    pub locations: Vec<Location>,
    /// Lines of all locations, location after location.
    pub lines: Vec<Line>,
    pub functions: Vec<Function>,
    pub mapping_index: IdIndex,
    pub location_index: IdIndex,
    pub function_index: IdIndex,
    pub samples: SampleStore,
}

impl Profile {
    pub fn str(&self, index: u32) -> &str {
        let i = index as usize;
        if i < self.strings.len() {
            self.strings.value(i)
        } else {
            ""
        }
    }

    /// String for an i64 index already validated to be in range.
    pub fn str_i64(&self, index: i64) -> &str {
        u32::try_from(index).map_or("", |i| self.str(i))
    }

    /// The function with this id; None for id 0 (no function) or an unknown id.
    pub fn function(&self, id: u64) -> Option<&Function> {
        if id == 0 {
            return None;
        }
        self.function_index
            .get(id)
            .and_then(|i| self.functions.get(i as usize))
    }

    /// The file name of a location's mapping (the binary); None without a mapping.
    pub fn mapping_file(&self, location: &Location) -> Option<&str> {
        self.mapping_index
            .get(location.mapping_id)
            .and_then(|m| self.mappings.get(m as usize))
            .map(|m| self.str_i64(m.filename))
    }

    pub fn lines_of(&self, location: &Location) -> &[Line] {
        self.lines
            .get(location.line_start as usize..location.line_end as usize)
            .unwrap_or(&[])
    }

    pub fn sample_type_name(&self, index: usize) -> &str {
        self.sample_types
            .get(index)
            .map_or("", |t| self.str(t.r#type))
    }

    pub fn sample_type_unit(&self, index: usize) -> &str {
        self.sample_types
            .get(index)
            .map_or("", |t| self.str(t.unit))
    }

    /// pprof's default sample index: the default_sample_type if it names a type, else the
    /// last type. `None` when the profile has no sample types.
    pub fn default_sample_index(&self) -> Option<usize> {
        if self.sample_types.is_empty() {
            return None;
        }
        let wanted = self.str(self.default_sample_type);
        if !wanted.is_empty() {
            if let Some(i) =
                (0..self.sample_types.len()).find(|&i| self.sample_type_name(i) == wanted)
            {
                return Some(i);
            }
        }
        Some(self.sample_types.len() - 1)
    }

    /// Resolves a `-sample_index` value as pprof does: empty means the default, a number is
    /// range-checked, a name matches a type (with `inuse_` stripped as a legacy alias).
    pub fn resolve_sample_index(&self, spec: &str) -> Result<usize, String> {
        let n = self.sample_types.len();
        if n == 0 {
            return Err("profile has no sample types".to_string());
        }
        let spec = spec.trim();
        if spec.is_empty() {
            return self
                .default_sample_index()
                .ok_or_else(|| "profile has no sample types".to_string());
        }
        if let Ok(i) = spec.parse::<i64>() {
            if i < 0 || i as usize >= n {
                return Err(format!(
                    "sample_index {spec} is outside the range [0..{}]",
                    n - 1
                ));
            }
            return Ok(i as usize);
        }
        let no_inuse = spec.strip_prefix("inuse_").unwrap_or(spec);
        (0..n)
            .find(|&i| {
                let t = self.sample_type_name(i);
                t == spec || t == no_inuse
            })
            .ok_or_else(|| {
                let names: Vec<&str> = (0..n).map(|i| self.sample_type_name(i)).collect();
                format!(
                    "sample_index {spec:?} must be one of: [{}]",
                    names.join(" ")
                )
            })
    }
}
