//! pprof's profile merge (`profile.Merge`), with the CLI's preparation steps
//! (`CompatibilizeSampleTypes`, `measurement.ScaleProfiles`, `Normalize`, `Scale(-1)` and
//! the `pprof::base` label of `-diff_base`). Output is a profile.proto message.
//!
//! Identity follows pprof exactly, because it decides which samples add up or cancel:
//! mappings by (size rounded up to 4 KiB, offset, build id or file), functions by (start
//! line, name, system name, file), locations by (address relative to the merged mapping,
//! mapping, lines, folded), samples by (locations, sorted string labels, sorted numeric
//! labels with units). Ids are renumbered 1..n in first-seen order.

use std::collections::BTreeMap;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;

use foldhash::{HashMap, HashMapExt};
use hashbrown::{hash_table, HashTable};

use crate::decode::proto::{
    Function, Label, Line, Location, Mapping, ProfileMessage, Sample, StringTable, ValueType,
};
use crate::decode::Profile;

/// The label `-diff_base` puts on base samples.
pub const BASE_LABEL: &str = "pprof::base";

/// Why profiles could not be merged.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum MergeError {
    #[error("no profiles to merge")]
    Empty,
    #[error("incompatible period types {0} and {1}")]
    PeriodTypes(String, String),
    #[error("incompatible sample types {0} and {1}")]
    SampleTypes(String, String),
    #[error("profiles have empty common sample type list")]
    NoCommonSampleType,
    #[error("{0}")]
    Units(String),
}

/// One source of a merge and how its samples are transformed first.
pub struct Source<'a> {
    pub profile: &'a Profile,
    /// Source sample type index of each output sample type.
    remap: Vec<usize>,
    /// Output sample types (type, unit) and period type/period after scaling.
    types: Vec<(String, String)>,
    period_type: (String, String),
    period: i64,
    default_sample_type: String,
    /// `ScaleN` steps applied in order; each drops samples it turns all zero.
    steps: Vec<Vec<f64>>,
    /// Extra string label set on every sample (replacing that key's values).
    set_label: Option<(String, String)>,
}

impl<'a> Source<'a> {
    pub fn new(profile: &'a Profile) -> Self {
        let n = profile.sample_types.len();
        Self {
            profile,
            remap: (0..n).collect(),
            types: (0..n)
                .map(|i| {
                    (
                        profile.sample_type_name(i).to_string(),
                        profile.sample_type_unit(i).to_string(),
                    )
                })
                .collect(),
            period_type: (
                profile.str(profile.period_type.r#type).to_string(),
                profile.str(profile.period_type.unit).to_string(),
            ),
            period: profile.period,
            default_sample_type: profile.str(profile.default_sample_type).to_string(),
            steps: Vec::new(),
            set_label: None,
        }
    }

    /// pprof's `Scale(r)`: every value times `r`, rounded.
    pub fn scale(mut self, r: f64) -> Self {
        self.steps.push(vec![r; self.types.len()]);
        self
    }

    /// Marks every sample as a base sample (`-diff_base`).
    pub fn mark_base(mut self) -> Self {
        self.set_label = Some((BASE_LABEL.to_string(), "true".to_string()));
        self
    }

    /// Raw signed sums per output sample type.
    fn sums(&self) -> Vec<i64> {
        let s = &self.profile.samples;
        let mut out = vec![0i64; self.remap.len()];
        for i in 0..s.len() {
            let v = s.values(i);
            for (o, &src) in out.iter_mut().zip(&self.remap) {
                *o = o.wrapping_add(v.get(src).copied().unwrap_or(0));
            }
        }
        out
    }

    /// This source's values of sample `i` after every step, or None when a step drops it.
    fn values(&self, i: usize) -> Option<Vec<i64>> {
        let raw = self.profile.samples.values(i);
        let mut v: Vec<i64> = self
            .remap
            .iter()
            .map(|&k| raw.get(k).copied().unwrap_or(0))
            .collect();
        for ratios in &self.steps {
            if ratios.iter().all(|&r| r == 1.0) {
                continue;
            }
            let mut keep = false;
            for (x, &r) in v.iter_mut().zip(ratios) {
                if r != 1.0 {
                    *x = ((*x as f64) * r).round() as i64;
                    keep |= *x != 0;
                }
            }
            if !keep {
                return None;
            }
        }
        Some(v)
    }
}

impl Source<'_> {
    /// pprof's `Normalize`: scales this source so each sample type sums like `base` (run
    /// before the base is negated). Both must have the same sample and period types.
    pub fn normalize_to(mut self, base: &Source<'_>) -> Result<Self, MergeError> {
        compatible(&self, base)?;
        let (b, s) = (base.sums(), self.sums());
        let ratios = b
            .iter()
            .zip(&s)
            .map(|(&b, &s)| if s == 0 { 0.0 } else { b as f64 / s as f64 })
            .collect();
        self.steps.push(ratios);
        Ok(self)
    }
}

fn type_list(types: &[(String, String)]) -> String {
    let items: Vec<String> = types.iter().map(|(t, u)| format!("{t}/{u}")).collect();
    format!("[{}]", items.join(" "))
}

/// pprof's `compatible`: same period type and the same ordered sample types.
fn compatible(a: &Source<'_>, b: &Source<'_>) -> Result<(), MergeError> {
    if a.period_type != b.period_type {
        return Err(MergeError::PeriodTypes(
            format!("{}/{}", a.period_type.0, a.period_type.1),
            format!("{}/{}", b.period_type.0, b.period_type.1),
        ));
    }
    if a.types != b.types {
        return Err(MergeError::SampleTypes(
            type_list(&a.types),
            type_list(&b.types),
        ));
    }
    Ok(())
}

/// The CLI's leniency before merging (pprof's `combineProfiles`): keep the sample types
/// every profile has (in the first profile's order), then convert each sample type and
/// the period to the finest unit any profile uses.
pub fn compatibilize(sources: &mut [Source<'_>]) -> Result<(), MergeError> {
    let Some(first) = sources.first() else {
        return Ok(());
    };
    let common: Vec<String> = first
        .types
        .iter()
        .map(|t| t.0.clone())
        .filter(|t| sources.iter().all(|s| s.types.iter().any(|u| &u.0 == t)))
        .collect();
    if common.is_empty() {
        return Err(MergeError::NoCommonSampleType);
    }
    for s in sources.iter_mut() {
        let idx: Vec<usize> = common
            .iter()
            .filter_map(|t| s.types.iter().position(|u| &u.0 == t))
            .collect();
        if idx.len() == s.types.len() && idx.iter().enumerate().all(|(i, &k)| i == k) {
            continue;
        }
        if !common.contains(&s.default_sample_type) {
            s.default_sample_type = common[0].clone();
        }
        s.remap = idx.iter().map(|&k| s.remap[k]).collect();
        s.types = idx.iter().map(|&k| s.types[k].clone()).collect();
    }
    scale_units(sources)
}

/// pprof's `measurement.ScaleProfiles`.
fn scale_units(sources: &mut [Source<'_>]) -> Result<(), MergeError> {
    use super::measurement::{common_unit, scale_factor};
    if sources.len() < 2 {
        return Ok(());
    }
    let periods: Vec<(String, String)> = sources
        .iter()
        .map(|s| s.period_type.clone())
        .filter(|p| !(p.0.is_empty() && p.1.is_empty()))
        .collect();
    let period =
        common_unit(&periods).map_err(|e| MergeError::Units(format!("period type: {e}")))?;
    let n = sources[0].types.len();
    if let Some(s) = sources.iter().find(|s| s.types.len() != n) {
        return Err(MergeError::Units(format!(
            "inconsistent samples type count: {n} != {}",
            s.types.len()
        )));
    }
    let mut finest = Vec::with_capacity(n);
    for i in 0..n {
        let ts: Vec<(String, String)> = sources.iter().map(|s| s.types[i].clone()).collect();
        finest.push(common_unit(&ts).map_err(|e| MergeError::Units(format!("sample types: {e}")))?);
    }
    for s in sources.iter_mut() {
        if let Some(p) = &period {
            if !(s.period_type.0.is_empty() && s.period_type.1.is_empty()) {
                let f = scale_factor(&s.period_type.1, &p.1);
                s.period = (s.period as f64 * f) as i64;
                s.period_type.1 = p.1.clone();
            }
        }
        let mut ratios = vec![1.0; n];
        for (i, t) in finest.iter().enumerate() {
            if let Some(t) = t {
                ratios[i] = scale_factor(&s.types[i].1, &t.1);
                s.types[i].1 = t.1.clone();
            }
        }
        s.steps.push(ratios);
    }
    Ok(())
}

#[derive(Hash, PartialEq, Eq)]
struct MappingKey {
    size: u64,
    offset: u64,
    /// Merged string id of the build id, else of the file (0: neither, a fake mapping).
    build_id_or_file: i64,
}

/// A location's identity. `lines` are pprof's line key slots 0..=2n of n lines (see
/// `location_key`); the later ones are always empty. Go compares them as hex strings,
/// which are equal exactly when these numbers are.
#[derive(Hash, PartialEq, Eq)]
struct LocationKey<'a> {
    addr: u64,
    mapping_id: u64,
    lines: &'a [i64],
    /// Slot 0 (the first line's function) is the only one that can be empty.
    first_slot_empty: bool,
    is_folded: bool,
}

/// Strings are ids in the merged string table: equal strings, equal ids.
#[derive(Hash, PartialEq, Eq)]
struct FunctionKey {
    start_line: i64,
    name: i64,
    system_name: i64,
    filename: i64,
}

impl FunctionKey {
    fn of(f: &Function) -> Self {
        Self {
            start_line: f.start_line,
            name: f.name,
            system_name: f.system_name,
            filename: f.filename,
        }
    }
}

/// String labels by key (key id, value ids in order) and numeric labels by key (key id,
/// values, unit ids), sorted by key text as pprof sorts them.
type Labels<'a> = (
    BTreeMap<&'a str, (i64, Vec<i64>)>,
    BTreeMap<&'a str, (i64, Vec<i64>, Vec<i64>)>,
);

#[derive(Hash, PartialEq, Eq)]
struct SampleKey {
    locations: Vec<u64>,
    strings: Vec<(i64, Vec<i64>)>,
    numbers: Vec<(i64, Vec<i64>, Vec<i64>)>,
}

/// A sample key's labels, built where strings are interned.
struct LabelKey {
    strings: Vec<(i64, Vec<i64>)>,
    numbers: Vec<(i64, Vec<i64>, Vec<i64>)>,
}

/// The identity tables hold only indexes into the merged output, whose entries are the
/// keys: four bytes a slot, where slots holding whole keys made the tables several
/// megabytes of scattered writes (page faults and cache misses). u32 indexes: 2^32
/// merged locations or samples would take hundreds of gigabytes before this point.
struct Merger {
    strings: StringTable,
    out: ProfileMessage,
    hasher: foldhash::fast::RandomState,
    mappings: HashMap<MappingKey, usize>,
    /// Indexes into `out.function`.
    functions: HashTable<u32>,
    /// Indexes into `out.location`.
    locations: HashTable<u32>,
    /// Line key slots of the location being mapped and of the one it is compared with
    /// (two buffers, not two per location).
    slots: Vec<i64>,
    other_slots: Vec<i64>,
}

/// pprof's line key slots of `lines` into `slots`. pprof sizes this array len*3 but
/// indexes it i*2..i*2+2, so a line's column is overwritten by the next line's function:
/// reproduce it, it decides identity. The slots past 2n are never written, and only slot
/// 0 can stay empty (a later line without a function leaves the column before it).
/// Function ids are merged ids, far below 2^63, so every slot fits an i64. (No lines:
/// one slot, the same 0 for every such location.)
fn line_slots(lines: &[Line], slots: &mut Vec<i64>) {
    slots.clear();
    slots.resize(lines.len() * 2 + 1, 0);
    for (i, l) in lines.iter().enumerate() {
        if l.function_id != 0 {
            slots[i * 2] = l.function_id as i64;
        }
        slots[i * 2 + 1] = l.line;
        slots[i * 2 + 2] = l.column;
    }
}

/// The key of merged location `l` (its slots written to `slots`).
fn location_key<'a>(
    l: &Location,
    mappings: &[Mapping],
    slots: &'a mut Vec<i64>,
) -> LocationKey<'a> {
    line_slots(&l.line, slots);
    let addr = match l
        .mapping_id
        .checked_sub(1)
        .and_then(|m| mappings.get(m as usize))
    {
        Some(m) => l.address.wrapping_sub(m.memory_start),
        None => l.address,
    };
    LocationKey {
        addr,
        mapping_id: l.mapping_id,
        lines: slots,
        first_slot_empty: l.line.first().is_some_and(|l| l.function_id == 0),
        is_folded: l.is_folded,
    }
}

/// Per-source memo tables (pprof clears them for each source).
struct SourceMemo<'a> {
    mappings: Vec<Option<(usize, i64)>>,
    /// Merged ids (0: not mapped yet; ids start at 1). Plain ids keep these small, and
    /// every frame of every sample looks one up.
    functions: Vec<u64>,
    /// Shared with the samples thread, which reads a sample's ids after it is sent.
    locations: &'a [AtomicU64],
    /// Source string index -> merged string id.
    strings: Vec<Option<i64>>,
}

impl Merger {
    /// The merged id of source string `index`.
    fn sid(&mut self, p: &Profile, memo: &mut SourceMemo<'_>, index: u32) -> i64 {
        let i = index as usize;
        if let Some(Some(id)) = memo.strings.get(i) {
            return *id;
        }
        let id = self.strings.add(p.str(index));
        if let Some(slot) = memo.strings.get_mut(i) {
            *slot = Some(id);
        }
        id
    }

    fn sid_i64(&mut self, p: &Profile, memo: &mut SourceMemo<'_>, index: i64) -> i64 {
        match u32::try_from(index) {
            Ok(i) => self.sid(p, memo, i),
            Err(_) => 0,
        }
    }

    fn map_mapping(
        &mut self,
        p: &Profile,
        memo: &mut SourceMemo<'_>,
        index: usize,
    ) -> (usize, i64) {
        if let Some(m) = memo.mappings[index] {
            return m;
        }
        let src = &p.mappings[index];
        let size = src.memory_limit.wrapping_sub(src.memory_start);
        let size = size.wrapping_add(0xfff);
        let size = size - size % 0x1000;
        let build_id = self.sid_i64(p, memo, src.build_id);
        let file = self.sid_i64(p, memo, src.filename);
        let key = MappingKey {
            size,
            offset: src.file_offset,
            // Id 0 is the empty string.
            build_id_or_file: if build_id != 0 { build_id } else { file },
        };
        let got = if let Some(&m) = self.mappings.get(&key) {
            let start = self.out.mapping[m].memory_start;
            (m, (start as i64).wrapping_sub(src.memory_start as i64))
        } else {
            let m = self.out.mapping.len();
            self.out.mapping.push(Mapping {
                id: m as u64 + 1,
                filename: file,
                build_id,
                ..src.clone()
            });
            self.mappings.insert(key, m);
            (m, 0)
        };
        memo.mappings[index] = Some(got);
        got
    }

    fn map_function(&mut self, p: &Profile, memo: &mut SourceMemo<'_>, index: usize) -> u64 {
        if memo.functions[index] != 0 {
            return memo.functions[index];
        }
        let src = &p.functions[index];
        let key = FunctionKey {
            start_line: src.start_line,
            name: self.sid_i64(p, memo, src.name),
            system_name: self.sid_i64(p, memo, src.system_name),
            filename: self.sid_i64(p, memo, src.filename),
        };
        let Self {
            out,
            hasher,
            functions,
            ..
        } = self;
        let found = functions.entry(
            hasher.hash_one(&key),
            |&i| FunctionKey::of(&out.function[i as usize]) == key,
            |&i| hasher.hash_one(FunctionKey::of(&out.function[i as usize])),
        );
        let index_out = match found {
            hash_table::Entry::Occupied(e) => *e.get() as usize,
            hash_table::Entry::Vacant(e) => {
                let i = out.function.len();
                out.function.push(Function {
                    id: i as u64 + 1,
                    name: key.name,
                    system_name: key.system_name,
                    filename: key.filename,
                    start_line: key.start_line,
                });
                e.insert(i as u32);
                i
            }
        };
        let id = index_out as u64 + 1;
        memo.functions[index] = id;
        id
    }

    fn map_location(&mut self, p: &Profile, memo: &mut SourceMemo<'_>, index: usize) -> u64 {
        let known = memo.locations[index].load(Ordering::Relaxed);
        if known != 0 {
            return known;
        }
        let src = p.locations[index];
        let mapping = p
            .mapping_index
            .get(src.mapping_id)
            .filter(|_| src.mapping_id != 0)
            .map(|m| self.map_mapping(p, memo, m as usize));
        let address = match mapping {
            Some((_, offset)) => (src.address as i64).wrapping_add(offset) as u64,
            None => src.address,
        };
        let src_lines = p.lines_of(&src);
        let mut lines = Vec::with_capacity(src_lines.len());
        for l in src_lines {
            let function_id = p
                .function_index
                .get(l.function_id)
                .filter(|_| l.function_id != 0)
                .map_or(0, |f| self.map_function(p, memo, f as usize));
            lines.push(Line {
                function_id,
                line: l.line,
                column: l.column,
            });
        }
        let location = Location {
            id: self.out.location.len() as u64 + 1,
            mapping_id: mapping.map_or(0, |(m, _)| m as u64 + 1),
            address,
            line: lines,
            is_folded: src.is_folded,
        };
        let Self {
            out,
            hasher,
            locations,
            slots,
            other_slots,
            ..
        } = self;
        let key = location_key(&location, &out.mapping, slots);
        let hash = hasher.hash_one(&key);
        let found = locations.entry(
            hash,
            |&i| location_key(&out.location[i as usize], &out.mapping, other_slots) == key,
            |&i| {
                hasher.hash_one(location_key(
                    &out.location[i as usize],
                    &out.mapping,
                    &mut Vec::new(),
                ))
            },
        );
        let id = match found {
            hash_table::Entry::Occupied(e) => *e.get() as u64 + 1,
            hash_table::Entry::Vacant(e) => {
                e.insert(out.location.len() as u32);
                out.location.push(location);
                out.location.len() as u64
            }
        };
        memo.locations[index].store(id, Ordering::Relaxed);
        id
    }

    /// Maps the locations of source sample `i` not mapped yet.
    fn map_frames(&mut self, p: &Profile, memo: &mut SourceMemo<'_>, i: usize) {
        for &l in p.samples.locations(i) {
            // Most frames repeat a location already mapped: no call for those.
            if memo.locations[l as usize].load(Ordering::Relaxed) == 0 {
                self.map_location(p, memo, l as usize);
            }
        }
    }

    /// The label part of source sample `i`'s key. `set_label`: the source's extra label
    /// as (key, key id, value id).
    fn label_key(
        &mut self,
        p: &Profile,
        memo: &mut SourceMemo<'_>,
        i: usize,
        set_label: Option<(&str, i64, i64)>,
    ) -> LabelKey {
        let store = &p.samples;
        let (mut strs, mut nums): Labels = Default::default();
        for l in store.labels(i) {
            let key = p.str(l.key());
            if l.is_string() {
                let v = self.sid(p, memo, l.str());
                match strs.get_mut(key) {
                    Some(e) => e.1.push(v),
                    None => {
                        let k = self.sid(p, memo, l.key());
                        strs.insert(key, (k, vec![v]));
                    }
                }
            } else if let Some((num, unit)) = store.label_number(l) {
                let u = self.sid(p, memo, unit);
                match nums.get_mut(key) {
                    Some(e) => {
                        e.1.push(num);
                        e.2.push(u);
                    }
                    None => {
                        let k = self.sid(p, memo, l.key());
                        nums.insert(key, (k, vec![num], vec![u]));
                    }
                }
            }
        }
        if let Some((k, kid, vid)) = set_label {
            strs.insert(k, (kid, vec![vid]));
        }
        LabelKey {
            strings: strs.into_values().collect(),
            numbers: nums
                .into_values()
                .map(|(k, v, u)| {
                    // A key without any unit has no unit list (pprof's NumUnit); id 0 is
                    // the empty string.
                    let u = if u.iter().all(|&u| u == 0) {
                        Vec::new()
                    } else {
                        u
                    };
                    (k, v, u)
                })
                .collect(),
        }
    }
}

/// The merged samples: each key once, in first-seen order, with its summed values.
struct SampleTable {
    hasher: foldhash::fast::RandomState,
    /// Indexes into `keys` and `values`.
    index: HashTable<u32>,
    keys: Vec<SampleKey>,
    values: Vec<Vec<i64>>,
}

impl SampleTable {
    fn with_capacity(n: usize) -> Self {
        Self {
            hasher: Default::default(),
            index: HashTable::with_capacity(n),
            keys: Vec::with_capacity(n),
            values: Vec::with_capacity(n),
        }
    }

    fn add(&mut self, key: SampleKey, values: Vec<i64>) {
        let Self {
            hasher,
            index,
            keys,
            values: sums,
        } = self;
        let found = index.entry(
            hasher.hash_one(&key),
            |&i| keys[i as usize] == key,
            |&i| hasher.hash_one(&keys[i as usize]),
        );
        match found {
            hash_table::Entry::Occupied(e) => {
                for (a, b) in sums[*e.get() as usize].iter_mut().zip(&values) {
                    *a = a.wrapping_add(*b);
                }
            }
            hash_table::Entry::Vacant(e) => {
                e.insert(keys.len() as u32);
                keys.push(key);
                sums.push(values);
            }
        }
    }

    /// The merged samples, locations and labels moved in from the keys.
    fn into_samples(self) -> Vec<Sample> {
        self.keys
            .into_iter()
            .zip(self.values)
            .map(|(key, value)| Sample {
                label: labels_of(&key),
                location_id: key.locations,
                value,
            })
            .collect()
    }
}

/// A kept source sample on its way to the samples thread: its locations are read there
/// from the source's published location ids.
struct SampleJob {
    source: usize,
    index: usize,
    values: Vec<i64>,
    labels: LabelKey,
}

/// Samples are handed over in batches of this many: one channel message each.
const BATCH: usize = 512;

/// The samples thread: builds each job's key and adds it to the table.
fn add_samples(
    sources: &[Source<'_>],
    published: &[Vec<AtomicU64>],
    jobs: mpsc::Receiver<Vec<SampleJob>>,
    capacity: usize,
) -> SampleTable {
    let mut table = SampleTable::with_capacity(capacity);
    for batch in jobs {
        for job in batch {
            let (Some(src), Some(ids)) = (sources.get(job.source), published.get(job.source))
            else {
                continue;
            };
            let locations = src
                .profile
                .samples
                .locations(job.index)
                .iter()
                .map(|&l| {
                    ids.get(l as usize)
                        .map_or(0, |id| id.load(Ordering::Relaxed))
                })
                .collect();
            let key = SampleKey {
                locations,
                strings: job.labels.strings,
                numbers: job.labels.numbers,
            };
            table.add(key, job.values);
        }
    }
    table
}

/// A new sample's labels, in its key's order.
fn labels_of(key: &SampleKey) -> Vec<Label> {
    let mut label = Vec::new();
    for (k, vs) in &key.strings {
        for &v in vs {
            label.push(Label {
                key: *k,
                str: v,
                ..Label::default()
            });
        }
    }
    for (k, vs, us) in &key.numbers {
        for (j, &v) in vs.iter().enumerate() {
            label.push(Label {
                key: *k,
                num: v,
                num_unit: us.get(j).copied().unwrap_or(0),
                ..Label::default()
            });
        }
    }
    label
}

/// pprof's `Merge`. The caller re-merges the result once more when it reports all-zero
/// samples (pprof does the same to drop what they referenced).
pub fn merge(sources: &[Source<'_>]) -> Result<(ProfileMessage, bool), MergeError> {
    let first = sources.first().ok_or(MergeError::Empty)?;
    for s in &sources[1..] {
        compatible(first, s)?;
    }
    // Sized for the largest source, so merging similar profiles never rehashes.
    let most = |n: fn(&Profile) -> usize| sources.iter().map(|s| n(s.profile)).max().unwrap_or(0);
    // A source whose samples all get an extra label (`-diff_base`'s base) shares no sample
    // with the others: its samples add to the count rather than fold into it.
    let (mut shared, mut own) = (0, 0);
    for s in sources {
        let n = s.profile.samples.len();
        if s.set_label.is_some() {
            own += n;
        } else {
            shared = usize::max(shared, n);
        }
    }
    let samples = shared + own;
    let mut m = Merger {
        strings: StringTable::with_capacity(most(|p| {
            datafusion::arrow::array::Array::len(p.strings.as_ref())
        })),
        out: ProfileMessage::default(),
        hasher: Default::default(),
        mappings: HashMap::new(),
        functions: HashTable::with_capacity(most(|p| p.functions.len())),
        locations: HashTable::with_capacity(most(|p| p.locations.len())),
        slots: Vec::new(),
        other_slots: Vec::new(),
    };
    m.out.function.reserve(most(|p| p.functions.len()));
    m.out.location.reserve(most(|p| p.locations.len()));
    // Header (pprof's combineHeaders).
    let (mut time, mut duration, mut period) = (0i64, 0i64, 0i64);
    let mut comments: Vec<String> = Vec::new();
    let (mut default_type, mut doc) = (String::new(), String::new());
    for s in sources {
        let p = s.profile;
        if time == 0 || p.time_nanos < time {
            time = p.time_nanos;
        }
        duration = duration.wrapping_add(p.duration_nanos);
        if period == 0 || period < s.period {
            period = s.period;
        }
        for &c in &p.comments {
            let c = p.str(c);
            if !comments.iter().any(|x| x == c) {
                comments.push(c.to_string());
            }
        }
        if default_type.is_empty() {
            default_type = s.default_sample_type.clone();
        }
        if doc.is_empty() {
            doc = p.str(p.doc_url).to_string();
        }
    }
    let fp = first.profile;
    m.out.sample_type = first
        .types
        .iter()
        .map(|(t, u)| ValueType {
            r#type: m.strings.add(t),
            unit: m.strings.add(u),
        })
        .collect();
    m.out.drop_frames = m.strings.add(fp.str(fp.drop_frames));
    m.out.keep_frames = m.strings.add(fp.str(fp.keep_frames));
    m.out.time_nanos = time;
    m.out.duration_nanos = duration;
    m.out.period_type = Some(ValueType {
        r#type: m.strings.add(&first.period_type.0),
        unit: m.strings.add(&first.period_type.1),
    });
    m.out.period = period;
    m.out.comment = comments.iter().map(|c| m.strings.add(c)).collect();
    m.out.default_sample_type = m.strings.add(&default_type);
    m.out.doc_url = m.strings.add(&doc);

    // Source location index -> merged id, written by this thread as it maps locations
    // and read by the samples thread for the samples sent after.
    let published: Vec<Vec<AtomicU64>> = sources
        .iter()
        .map(|s| {
            std::iter::repeat_with(|| AtomicU64::new(0))
                .take(s.profile.locations.len())
                .collect()
        })
        .collect();
    // This thread maps strings, functions and locations; another builds the samples'
    // keys and sums them, a batch behind.
    let table = std::thread::scope(|scope| {
        let (send, jobs) = mpsc::channel::<Vec<SampleJob>>();
        let published = &published;
        let samples_thread = scope.spawn(move || add_samples(sources, published, jobs, samples));
        for (k, s) in sources.iter().enumerate() {
            let p = s.profile;
            let mut memo = SourceMemo {
                mappings: vec![None; p.mappings.len()],
                functions: vec![0; p.functions.len()],
                locations: &published[k],
                strings: vec![None; datafusion::arrow::array::Array::len(p.strings.as_ref())],
            };
            if m.out.mapping.is_empty() && !p.mappings.is_empty() {
                m.map_mapping(p, &mut memo, 0);
            }
            // Interned once per source, not per sample.
            let set_label = s
                .set_label
                .as_ref()
                .map(|(k, v)| (k.as_str(), m.strings.add(k), m.strings.add(v)));
            let mut batch = Vec::with_capacity(BATCH);
            for i in 0..p.samples.len() {
                let Some(values) = s.values(i) else { continue };
                if values.iter().all(|&v| v == 0) {
                    continue;
                }
                m.map_frames(p, &mut memo, i);
                let labels = m.label_key(p, &mut memo, i, set_label);
                batch.push(SampleJob {
                    source: k,
                    index: i,
                    values,
                    labels,
                });
                if batch.len() == BATCH {
                    // A send fails only when the samples thread is gone, which its
                    // join below reports.
                    let _ = send.send(std::mem::replace(&mut batch, Vec::with_capacity(BATCH)));
                }
            }
            if !batch.is_empty() {
                let _ = send.send(batch);
            }
        }
        drop(send);
        samples_thread
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    });
    let Merger {
        strings, mut out, ..
    } = m;
    out.sample = table.into_samples();
    let has_zero = out.sample.iter().any(|s| s.value.iter().all(|&v| v == 0));
    out.string_table = strings.into_vec();
    Ok((out, has_zero))
}

#[cfg(test)]
mod tests {
    use super::{merge, Source};
    use crate::decode::proto::{Function, Line, Location, ProfileMessage, Sample, ValueType};

    /// pprof's location key lets a line's column be overwritten by the next line's
    /// function, so locations that differ only there are one location (and their samples
    /// one sample); a different line number keeps them apart.
    #[test]
    fn location_identity_follows_pprofs_line_key() {
        let line = |function_id, line, column| Line {
            function_id,
            line,
            column,
        };
        let location = |id, first: Line| Location {
            id,
            line: vec![first, line(2, 20, 0)],
            ..Default::default()
        };
        let function = |id, name| Function {
            id,
            name,
            ..Default::default()
        };
        let sample = |location, value| Sample {
            location_id: vec![location],
            value: vec![value],
            label: Vec::new(),
        };
        let msg = ProfileMessage {
            string_table: ["", "samples", "count", "f", "g"]
                .map(String::from)
                .to_vec(),
            sample_type: vec![ValueType { r#type: 1, unit: 2 }],
            function: vec![function(1, 3), function(2, 4)],
            location: vec![
                location(1, line(1, 10, 5)),
                location(2, line(1, 10, 9)),
                location(3, line(1, 11, 5)),
            ],
            sample: vec![sample(1, 1), sample(2, 10), sample(3, 100)],
            ..Default::default()
        };
        let p = crate::decode::from_message("m", msg).unwrap();
        let (out, has_zero) = merge(&[Source::new(&p)]).unwrap();
        assert!(!has_zero);
        assert_eq!(out.location.len(), 2);
        let by_location: Vec<(Vec<u64>, Vec<i64>)> = out
            .sample
            .iter()
            .map(|s| (s.location_id.clone(), s.value.clone()))
            .collect();
        assert_eq!(by_location, [(vec![1], vec![11]), (vec![2], vec![100])]);
    }
}
