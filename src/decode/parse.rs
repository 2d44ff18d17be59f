//! Decodes an uncompressed profile.proto message and checks it the way pprof's
//! `postDecode` and `CheckValid` do.
//!
//! Two passes over the top level: the first reads everything but the samples (so location
//! ids can be resolved), the second decodes samples straight into the columnar store.

use foldhash::{HashMap, HashMapExt};

use prost::Message;

use std::sync::Arc;

use datafusion::arrow::array::{Array, StringArray, StringBuilder};

use super::model::{IdIndex, LabelRec, Location, NumLabel, Profile, SampleStore, ValueType};
use super::proto;
use super::wire::{Reader, LEN, VARINT};
use super::Reason;

const PROFILE_SAMPLE_TYPE: u64 = 1;
const PROFILE_SAMPLE: u64 = 2;
const PROFILE_MAPPING: u64 = 3;
const PROFILE_LOCATION: u64 = 4;
const PROFILE_FUNCTION: u64 = 5;
const PROFILE_STRING_TABLE: u64 = 6;
const PROFILE_DROP_FRAMES: u64 = 7;
const PROFILE_KEEP_FRAMES: u64 = 8;
const PROFILE_TIME_NANOS: u64 = 9;
const PROFILE_DURATION_NANOS: u64 = 10;
const PROFILE_PERIOD_TYPE: u64 = 11;
const PROFILE_PERIOD: u64 = 12;
const PROFILE_COMMENT: u64 = 13;
const PROFILE_DEFAULT_SAMPLE_TYPE: u64 = 14;
const PROFILE_DOC_URL: u64 = 15;

fn malformed(what: impl Into<String>) -> Reason {
    Reason::Malformed(what.into())
}

fn invalid(what: impl Into<String>) -> Reason {
    Reason::Invalid(what.into())
}

/// Raw header fields as found on the wire, before string indices are checked.
#[derive(Default)]
struct Header {
    sample_types: Vec<proto::ValueType>,
    strings: StringBuilder,
    drop_frames: i64,
    keep_frames: i64,
    time_nanos: i64,
    duration_nanos: i64,
    period_type: Option<proto::ValueType>,
    period: i64,
    comments: Vec<i64>,
    default_sample_type: i64,
    doc_url: i64,
    mappings: Vec<proto::Mapping>,
    locations: Vec<Location>,
    lines: Vec<proto::Line>,
    functions: Vec<proto::Function>,
    n_samples: usize,
}

impl Header {
    /// A header whose symbol tables have room for all that a message of `message_len`
    /// bytes can hold: each location, line and function takes at least 4 bytes on the
    /// wire, each string 2. Capacity never written is never faulted in, while growing by
    /// doubling copies each table and touches about twice its pages (on a cold run, a
    /// fresh page costs more than parsing into it). A reservation refused, or over
    /// `MAX_RESERVE` bytes, is left to growth.
    fn for_message(message_len: usize) -> Self {
        const MAX_RESERVE: usize = 1 << 30;
        fn reserve<T>(v: &mut Vec<T>, n: usize) {
            let n = n.min(MAX_RESERVE / std::mem::size_of::<T>().max(1));
            let _ = v.try_reserve_exact(n);
        }
        let mut h = Header::default();
        reserve(&mut h.locations, message_len / 4);
        reserve(&mut h.lines, message_len / 4);
        reserve(&mut h.functions, message_len / 4);
        // Offsets take 4 bytes a string.
        let strings = (message_len / 2).min(MAX_RESERVE / 4);
        h.strings = StringBuilder::with_capacity(strings, message_len.min(MAX_RESERVE));
        h
    }
}

/// Decodes a Location by hand: its lines go into the shared `lines` vector.
fn read_location(data: &[u8], lines: &mut Vec<proto::Line>) -> Result<Location, Reason> {
    let bad = || malformed("location: truncated or wrong wire type");
    let line_start = offset(lines.len())?;
    let mut loc = Location::default();
    let mut r = Reader::new(data);
    while !r.is_empty() {
        let (f, w) = r.key().ok_or_else(bad)?;
        match (f, w) {
            (1, VARINT) => loc.id = r.varint().ok_or_else(bad)?,
            (2, VARINT) => loc.mapping_id = r.varint().ok_or_else(bad)?,
            (3, VARINT) => loc.address = r.varint().ok_or_else(bad)?,
            (4, LEN) => {
                let mut line = proto::Line::default();
                let mut lr = Reader::new(r.bytes().ok_or_else(bad)?);
                while !lr.is_empty() {
                    let (lf, lw) = lr.key().ok_or_else(bad)?;
                    match (lf, lw) {
                        (1, VARINT) => line.function_id = lr.varint().ok_or_else(bad)?,
                        (2, VARINT) => line.line = lr.varint().ok_or_else(bad)? as i64,
                        (3, VARINT) => line.column = lr.varint().ok_or_else(bad)? as i64,
                        (1..=3, _) => return Err(bad()),
                        _ => lr.skip(lw).ok_or_else(bad)?,
                    }
                }
                lines.push(line);
            }
            (5, VARINT) => loc.is_folded = r.varint().ok_or_else(bad)? != 0,
            (1..=5, _) => return Err(bad()),
            _ => r.skip(w).ok_or_else(bad)?,
        }
    }
    loc.line_start = line_start;
    loc.line_end = offset(lines.len())?;
    Ok(loc)
}

fn sub<M: Message + Default>(r: &mut Reader, wire_type: u8, what: &str) -> Result<M, Reason> {
    if wire_type != LEN {
        return Err(malformed(format!("{what}: wrong wire type {wire_type}")));
    }
    let bytes = r
        .bytes()
        .ok_or_else(|| malformed(format!("{what}: truncated")))?;
    M::decode(bytes).map_err(|e| malformed(format!("{what}: {e}")))
}

fn int(r: &mut Reader, wire_type: u8, what: &str) -> Result<i64, Reason> {
    if wire_type != VARINT {
        return Err(malformed(format!("{what}: wrong wire type {wire_type}")));
    }
    r.varint()
        .map(|v| v as i64)
        .ok_or_else(|| malformed(format!("{what}: truncated varint")))
}

fn read_header(data: &[u8]) -> Result<Header, Reason> {
    let mut h = Header::for_message(data.len());
    read_header_into(&mut h, data)?;
    Ok(h)
}

/// Reads top-level fields (all but the samples) into `h`; `data` holds whole fields.
fn read_header_into(h: &mut Header, data: &[u8]) -> Result<(), Reason> {
    let mut r = Reader::new(data);
    while !r.is_empty() {
        let at = r.position();
        let (field, wt) = r
            .key()
            .ok_or_else(|| malformed(format!("bad field key at byte {at}")))?;
        match field {
            PROFILE_SAMPLE_TYPE => h.sample_types.push(sub(&mut r, wt, "sample_type")?),
            PROFILE_SAMPLE => {
                if wt != LEN {
                    return Err(malformed(format!("sample: wrong wire type {wt}")));
                }
                r.bytes()
                    .ok_or_else(|| malformed(format!("sample at byte {at}: truncated")))?;
                h.n_samples += 1;
            }
            PROFILE_MAPPING => h.mappings.push(sub(&mut r, wt, "mapping")?),
            PROFILE_LOCATION => {
                if wt != LEN {
                    return Err(malformed(format!("location: wrong wire type {wt}")));
                }
                let bytes = r.bytes().ok_or_else(|| malformed("location: truncated"))?;
                let loc = read_location(bytes, &mut h.lines)?;
                h.locations.push(loc);
            }
            PROFILE_FUNCTION => h.functions.push(sub(&mut r, wt, "function")?),
            PROFILE_STRING_TABLE => {
                if wt != LEN {
                    return Err(malformed(format!("string_table: wrong wire type {wt}")));
                }
                let bytes = r
                    .bytes()
                    .ok_or_else(|| malformed("string_table entry: truncated"))?;
                match std::str::from_utf8(bytes) {
                    Ok(s) => h.strings.append_value(s),
                    Err(_) => h.strings.append_value(String::from_utf8_lossy(bytes)),
                }
            }
            PROFILE_DROP_FRAMES => h.drop_frames = int(&mut r, wt, "drop_frames")?,
            PROFILE_KEEP_FRAMES => h.keep_frames = int(&mut r, wt, "keep_frames")?,
            PROFILE_TIME_NANOS => {
                // pprof's own decoder refuses a second non-zero time_nanos: that is what two
                // profiles written back to back into one file look like.
                if h.time_nanos != 0 {
                    return Err(Reason::Concatenated);
                }
                h.time_nanos = int(&mut r, wt, "time_nanos")?;
            }
            PROFILE_DURATION_NANOS => h.duration_nanos = int(&mut r, wt, "duration_nanos")?,
            PROFILE_PERIOD_TYPE => h.period_type = Some(sub(&mut r, wt, "period_type")?),
            PROFILE_PERIOD => h.period = int(&mut r, wt, "period")?,
            PROFILE_COMMENT => r
                .repeated_varint(wt, |v| h.comments.push(v as i64))
                .ok_or_else(|| malformed("comment: truncated or wrong wire type"))?,
            PROFILE_DEFAULT_SAMPLE_TYPE => {
                h.default_sample_type = int(&mut r, wt, "default_sample_type")?
            }
            PROFILE_DOC_URL => h.doc_url = int(&mut r, wt, "doc_url")?,
            _ => r
                .skip(wt)
                .ok_or_else(|| malformed(format!("field {field} at byte {at}: truncated")))?,
        }
    }
    Ok(())
}

/// Checks a string index and narrows it.
fn strx(n_strings: usize, index: i64, what: &dyn Fn() -> String) -> Result<u32, Reason> {
    if index < 0 || index as u64 >= n_strings as u64 {
        return Err(invalid(format!(
            "{}: string index {index} out of range (string_table has {n_strings} entries)",
            what()
        )));
    }
    Ok(index as u32)
}

fn build_index(ids: impl ExactSizeIterator<Item = u64>, what: &str) -> Result<IdIndex, Reason> {
    let n = ids.len();
    let mut dense = true;
    let mut map: HashMap<u64, u32> = HashMap::new();
    for (i, id) in ids.enumerate() {
        if id == 0 {
            return Err(invalid(format!(
                "{what} #{} has id 0 (ids must be non-zero)",
                i + 1
            )));
        }
        if dense && id == i as u64 + 1 {
            continue;
        }
        if dense {
            // First out-of-order id: fall back to a map holding everything so far.
            dense = false;
            map.reserve(n);
            for j in 0..i {
                map.insert(j as u64 + 1, j as u32);
            }
        }
        if map.insert(id, i as u32).is_some() {
            return Err(invalid(format!("{what} id {id} is not unique")));
        }
    }
    Ok(if dense {
        IdIndex::Dense(n)
    } else {
        IdIndex::Sparse(map)
    })
}

fn check_symbols(h: &Header, n: usize) -> Result<(IdIndex, IdIndex, IdIndex), Reason> {
    let mapping_index = build_index(h.mappings.iter().map(|m| m.id), "mapping")?;
    let function_index = build_index(h.functions.iter().map(|f| f.id), "function")?;
    let location_index = build_index(h.locations.iter().map(|l| l.id), "location")?;
    for m in &h.mappings {
        strx(n, m.filename, &|| format!("mapping {} filename", m.id))?;
        strx(n, m.build_id, &|| format!("mapping {} build_id", m.id))?;
    }
    for f in &h.functions {
        strx(n, f.name, &|| format!("function {} name", f.id))?;
        strx(n, f.system_name, &|| {
            format!("function {} system_name", f.id)
        })?;
        strx(n, f.filename, &|| format!("function {} filename", f.id))?;
    }
    for l in &h.locations {
        if l.mapping_id != 0 && mapping_index.get(l.mapping_id).is_none() {
            return Err(invalid(format!(
                "location {} refers to mapping {} which does not exist",
                l.id, l.mapping_id
            )));
        }
        let lines = h
            .lines
            .get(l.line_start as usize..l.line_end as usize)
            .unwrap_or(&[]);
        for line in lines {
            if line.function_id == 0 {
                return Err(invalid(format!(
                    "location {} has a line without a function (function_id 0)",
                    l.id
                )));
            }
            if function_index.get(line.function_id).is_none() {
                return Err(invalid(format!(
                    "location {} refers to function {} which does not exist",
                    l.id, line.function_id
                )));
            }
        }
    }
    Ok((mapping_index, location_index, function_index))
}

fn value_type(n: usize, v: &proto::ValueType, what: &str) -> Result<ValueType, Reason> {
    Ok(ValueType {
        r#type: strx(n, v.r#type, &|| format!("{what} type"))?,
        unit: strx(n, v.unit, &|| format!("{what} unit"))?,
    })
}

/// What a samples pass found that it could not judge alone.
#[derive(Default)]
struct SampleFindings {
    /// The first location id `map_id` could not map: (sample number, id).
    unmapped: Option<(usize, u64)>,
    /// Value count of the first sample.
    first_count: Option<usize>,
    /// The first sample whose value count differs from the expected one (the sample types'
    /// count when known, else the first sample's): (sample number, count).
    count_mismatch: Option<(usize, usize)>,
}

/// Decodes the samples into `store`. Location ids go through `map_id`; label strings are
/// checked against `n_strings`. Stops at the first unmappable id or count mismatch when
/// `n_types` is known; otherwise records them for the caller.
fn read_samples(
    data: &[u8],
    store: &mut SampleStore,
    map_id: &dyn Fn(u64) -> Option<u32>,
    n_types: Option<usize>,
    n_strings: usize,
) -> Result<SampleFindings, Reason> {
    let mut found = SampleFindings::default();
    read_samples_into(data, store, &mut found, map_id, n_types, n_strings)?;
    Ok(found)
}

/// `read_samples` adding to `store` and `found`; `data` holds whole top-level fields.
fn read_samples_into(
    data: &[u8],
    store: &mut SampleStore,
    found: &mut SampleFindings,
    map_id: &dyn Fn(u64) -> Option<u32>,
    n_types: Option<usize>,
    n_strings: usize,
) -> Result<(), Reason> {
    let mut r = Reader::new(data);
    let mut values: Vec<i64> = Vec::with_capacity(n_types.unwrap_or(4));
    while !r.is_empty() {
        let (field, wt) = r.key().ok_or_else(|| malformed("bad field key"))?;
        if field != PROFILE_SAMPLE {
            r.skip(wt).ok_or_else(|| malformed("truncated field"))?;
            continue;
        }
        let sample_no = store.len() + 1;
        let body = r.bytes().ok_or_else(|| malformed("sample: truncated"))?;
        let mut s = Reader::new(body);
        values.clear();
        let mut unmapped: Option<u64> = None;
        while !s.is_empty() {
            let (f, w) = s
                .key()
                .ok_or_else(|| malformed(format!("sample {sample_no}: bad field key")))?;
            let truncated =
                || malformed(format!("sample {sample_no}: truncated or wrong wire type"));
            match f {
                1 => s
                    .repeated_varint(w, |id| match map_id(id) {
                        Some(i) => store.loc_index.push(i),
                        None => {
                            unmapped.get_or_insert(id);
                        }
                    })
                    .ok_or_else(truncated)?,
                2 => s
                    .repeated_varint(w, |v| values.push(v as i64))
                    .ok_or_else(truncated)?,
                3 => {
                    let label = s.bytes().filter(|_| w == LEN).ok_or_else(truncated)?;
                    if let Some((key, str, num, unit)) = read_label(label, n_strings, sample_no)? {
                        let rec = label_rec(store, key, str, num, unit)?;
                        store.labels.push(rec);
                    }
                }
                _ => s.skip(w).ok_or_else(truncated)?,
            }
        }
        if let Some(id) = unmapped {
            found.unmapped.get_or_insert((sample_no, id));
            if n_types.is_some() {
                return Ok(());
            }
        }
        let first = *found.first_count.get_or_insert(values.len());
        let expected = n_types.unwrap_or(first);
        if values.len() != expected && found.count_mismatch.is_none() {
            found.count_mismatch = Some((sample_no, values.len()));
            if n_types.is_some() {
                return Ok(());
            }
        }
        store.values.extend_from_slice(&values);
        store.loc_offsets.push(offset(store.loc_index.len())?);
        store.label_offsets.push(offset(store.labels.len())?);
    }
    Ok(())
}

fn missing_location(sample_no: usize, id: u64) -> Reason {
    invalid(format!(
        "sample {sample_no} refers to location {id} which does not exist"
    ))
}

fn value_count_error(sample_no: usize, count: usize, n_types: usize) -> Reason {
    invalid(format!(
        "sample {sample_no} has {count} values but the profile has {n_types} sample types"
    ))
}

/// The sample (1-based) owning position `pos` of a flattened per-sample array.
fn owner(offsets: &[u32], pos: usize) -> usize {
    offsets.partition_point(|&o| (o as usize) <= pos)
}

/// Turns a samples pass made before the symbols were known into a checked store: the
/// value counts against the sample types, location ids into dense indices, label strings
/// into range.
fn finish_samples(
    mut store: SampleStore,
    found: SampleFindings,
    n_types: usize,
    location_index: &IdIndex,
    n_strings: usize,
) -> Result<SampleStore, Reason> {
    let count_error = |no: usize, count: usize| value_count_error(no, count, n_types);
    match (found.first_count, found.count_mismatch) {
        (Some(first), _) if first != n_types => return Err(count_error(1, first)),
        (_, Some((no, count))) => return Err(count_error(no, count)),
        _ => {}
    }
    for pos in 0..store.loc_index.len() {
        let id = u64::from(store.loc_index[pos]);
        match location_index.get(id) {
            Some(i) => store.loc_index[pos] = i,
            None => return Err(missing_location(owner(&store.loc_offsets, pos), id)),
        }
    }
    for (pos, l) in store.labels.iter().enumerate() {
        let unit = store.label_number(l).map_or(0, |(_, unit)| unit);
        let (key, str) = (l.key(), l.str());
        if let Some(&bad) = [key, str, unit].iter().find(|&&i| i as usize >= n_strings) {
            return Err(invalid(format!(
                "sample {} label: string index {bad} out of range (string_table has {n_strings} entries)",
                owner(&store.label_offsets, pos)
            )));
        }
    }
    store.n_types = n_types;
    Ok(store)
}

fn new_store(n_samples: usize, n_types: usize) -> SampleStore {
    let mut store = SampleStore {
        n_types,
        ..SampleStore::default()
    };
    store.loc_offsets.reserve(n_samples + 1);
    store.loc_offsets.push(0);
    store.label_offsets.reserve(n_samples + 1);
    store.label_offsets.push(0);
    store.values.reserve(n_samples * n_types);
    store
}

fn offset(n: usize) -> Result<u32, Reason> {
    u32::try_from(n).map_err(|_| invalid("more than 2^32 frames or labels in samples"))
}

/// Decodes one Label. Like pprof, a label with no string, number or unit carries nothing
/// and is dropped.
/// Returns (key, str, num, unit) with string indices checked against `n_strings`.
fn read_label(
    data: &[u8],
    n_strings: usize,
    sample_no: usize,
) -> Result<Option<(u32, u32, i64, u32)>, Reason> {
    let mut r = Reader::new(data);
    let (mut key, mut str, mut num, mut unit) = (0i64, 0i64, 0i64, 0i64);
    while !r.is_empty() {
        let (f, w) = r
            .key()
            .ok_or_else(|| malformed(format!("sample {sample_no} label: bad field key")))?;
        let v = match (f, w) {
            (1..=4, VARINT) => r.varint().map(|v| v as i64),
            (1..=4, _) => None,
            _ => r.skip(w).map(|_| 0),
        }
        .ok_or_else(|| malformed(format!("sample {sample_no} label: truncated")))?;
        match f {
            1 => key = v,
            2 => str = v,
            3 => num = v,
            4 => unit = v,
            _ => {}
        }
    }
    checked_label(key, str, num, unit, n_strings, sample_no)
}

/// A label's fields with string indices checked; None for a label that carries nothing.
fn checked_label(
    key: i64,
    str: i64,
    num: i64,
    unit: i64,
    n_strings: usize,
    sample_no: usize,
) -> Result<Option<(u32, u32, i64, u32)>, Reason> {
    let what = || format!("sample {sample_no} label");
    // Keys share their top bit with the numeric marker of LabelRec.
    let key = strx(n_strings.min(1 << 31), key, &what)?;
    let str = strx(n_strings, str, &what)?;
    let unit = strx(n_strings, unit, &what)?;
    if str == 0 && num == 0 && unit == 0 {
        return Ok(None);
    }
    Ok(Some((key, str, num, unit)))
}

/// A label record for the store (numbers go to its numeric list).
fn label_rec(
    store: &mut SampleStore,
    key: u32,
    str: u32,
    num: i64,
    unit: u32,
) -> Result<LabelRec, Reason> {
    Ok(if str != 0 {
        LabelRec::string(key, str)
    } else {
        store.numeric.push(NumLabel { num, unit });
        LabelRec::numeric(key, offset(store.numeric.len() - 1)?)
    })
}

/// Decodes and validates an uncompressed profile.
pub fn parse(data: &[u8]) -> Result<Profile, Reason> {
    if data.is_empty() {
        return Err(Reason::Empty);
    }
    // The samples are read on this thread while another reads everything else. Without the
    // symbols yet, location ids are kept as u32 and resolved afterwards; an id too large
    // for that sends us back to a second, sequential samples pass.
    let (header, early) = std::thread::scope(|scope| {
        let header = scope.spawn(|| read_header(data));
        let mut store = early_store(data.len());
        let mut found = SampleFindings::default();
        let early = early_samples_into(data, &mut store, &mut found).map(|()| (store, found));
        (header.join(), early)
    });
    let h = header.map_err(|_| invalid("internal error: the header reader panicked"))??;
    let n_samples = h.n_samples;
    assemble(h, |n, n_types, location_index| {
        let (early_store, found) = early?;
        if found.unmapped.is_none() {
            return finish_samples(early_store, found, n_types, location_index, n);
        }
        drop(early_store);
        let mut store = new_store(n_samples, n_types);
        let found = read_samples(
            data,
            &mut store,
            &|id| location_index.get(id),
            Some(n_types),
            n,
        )?;
        if let Some((no, id)) = found.unmapped {
            return Err(missing_location(no, id));
        }
        if let Some((no, count)) = found.count_mismatch {
            return Err(value_count_error(no, count, n_types));
        }
        Ok(store)
    })
}

/// The store for a samples pass made before the symbols are known, for a message of about
/// `message_len` bytes.
fn early_store(message_len: usize) -> SampleStore {
    let mut store = new_store(0, 0);
    // Every location id takes at least one byte, most two or more: reserving half the
    // message's size in ids spares the copies (and the pages they touch) of growing by
    // doubling, and the part never written is never faulted in.
    store.loc_index.reserve(message_len / 2);
    store
}

/// The samples pass made before the symbols are known: location ids are kept as u32 and
/// resolved (and label strings checked) by `finish_samples`.
fn early_samples_into(
    data: &[u8],
    store: &mut SampleStore,
    found: &mut SampleFindings,
) -> Result<(), Reason> {
    read_samples_into(
        data,
        store,
        found,
        &|id| u32::try_from(id).ok(),
        None,
        u32::MAX as usize,
    )
}

/// `parse` of a message of about `message_len` bytes that arrives in pieces, each a run of
/// whole top-level fields, in order: `header_pieces` and `sample_pieces` yield the same
/// pieces, the samples read on another thread while the caller produces them. Once the
/// header is read and checked, `with_symbols` runs on the profile's symbols (samples
/// empty; the sample count beside) while the samples are finished, and its result comes
/// back with the profile. None when the message is refused or needs `parse`'s second
/// samples pass: `parse` of the whole message then says why or does that pass, so a
/// caller falls back to it.
pub(super) fn parse_pieces<P: std::ops::Deref<Target = [u8]> + Send, T: Send>(
    header_pieces: impl Iterator<Item = P> + Send,
    sample_pieces: impl Iterator<Item = P> + Send,
    message_len: usize,
    with_symbols: impl Fn(&Profile, usize) -> T + Sync,
) -> Option<(Profile, T)> {
    std::thread::scope(|scope| {
        let samples = scope.spawn(move || {
            let mut store = early_store(message_len);
            let mut found = SampleFindings::default();
            // Stopping at an error drops the pieces' source, which tells the producer
            // to stop.
            for piece in sample_pieces {
                early_samples_into(&piece, &mut store, &mut found).ok()?;
            }
            Some((store, found))
        });
        let mut h = Header::for_message(message_len);
        let mut read = Ok(());
        for piece in header_pieces {
            read = read_header_into(&mut h, &piece);
            if read.is_err() {
                break;
            }
        }
        let n_samples = h.n_samples;
        let checked = read.and_then(|()| check_header(h));
        let Ok(checked) = checked else {
            // The samples thread ends with the pieces; its result is not needed.
            let _ = samples.join();
            return None;
        };
        let (symbols, store) = std::thread::scope(|inner| {
            let symbols = inner.spawn(|| with_symbols(&checked.profile, n_samples));
            let store = samples.join().ok().flatten().and_then(|(store, found)| {
                if found.unmapped.is_some() {
                    return None;
                }
                let p = &checked.profile;
                let n_types = p.sample_types.len();
                finish_samples(store, found, n_types, &p.location_index, checked.n_strings).ok()
            });
            (symbols.join(), store)
        });
        let symbols = symbols.unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        Some((checked.finish(store?).ok()?, symbols))
    })
}

/// A profile from a message this program built (a merge's result), with the same checks
/// as `parse` but without encoding it and reading it back.
pub fn from_message(msg: proto::ProfileMessage) -> Result<Profile, Reason> {
    // Everything sized up front: a merged profile's vectors are large, and growing them by
    // doubling copies them and faults their pages in twice.
    let text: usize = msg.string_table.iter().map(String::len).sum();
    let mut strings = StringBuilder::with_capacity(msg.string_table.len(), text);
    for s in &msg.string_table {
        strings.append_value(s);
    }
    let n_lines = msg.location.iter().map(|l| l.line.len()).sum();
    let (mut locations, mut lines) = (
        Vec::with_capacity(msg.location.len()),
        Vec::with_capacity(n_lines),
    );
    for l in msg.location {
        let line_start = offset(lines.len())?;
        lines.extend(l.line);
        locations.push(Location {
            id: l.id,
            mapping_id: l.mapping_id,
            address: l.address,
            is_folded: l.is_folded,
            line_start,
            line_end: offset(lines.len())?,
        });
    }
    let h = Header {
        sample_types: msg.sample_type,
        strings,
        drop_frames: msg.drop_frames,
        keep_frames: msg.keep_frames,
        time_nanos: msg.time_nanos,
        duration_nanos: msg.duration_nanos,
        period_type: msg.period_type,
        period: msg.period,
        comments: msg.comment,
        default_sample_type: msg.default_sample_type,
        doc_url: msg.doc_url,
        mappings: msg.mapping,
        locations,
        lines,
        functions: msg.function,
        n_samples: msg.sample.len(),
    };
    let samples = msg.sample;
    let frames: usize = samples.iter().map(|s| s.location_id.len()).sum();
    let labels: usize = samples.iter().map(|s| s.label.len()).sum();
    let profile = assemble(h, |n, n_types, location_index| {
        let mut store = new_store(samples.len(), n_types);
        store.loc_index.reserve(frames);
        store.labels.reserve(labels);
        for (i, s) in samples.iter().enumerate() {
            let sample_no = i + 1;
            for &id in &s.location_id {
                let index = location_index
                    .get(id)
                    .ok_or_else(|| missing_location(sample_no, id))?;
                store.loc_index.push(index);
            }
            if s.value.len() != n_types {
                return Err(value_count_error(sample_no, s.value.len(), n_types));
            }
            store.values.extend_from_slice(&s.value);
            for l in &s.label {
                if let Some((key, str, num, unit)) =
                    checked_label(l.key, l.str, l.num, l.num_unit, n, sample_no)?
                {
                    let rec = label_rec(&mut store, key, str, num, unit)?;
                    store.labels.push(rec);
                }
            }
            store.loc_offsets.push(offset(store.loc_index.len())?);
            store.label_offsets.push(offset(store.labels.len())?);
        }
        Ok(store)
    });
    // Three small allocations per sample: not the caller's wait.
    super::drop_elsewhere(samples);
    profile
}

/// The checks and assembly shared by `parse` and `from_message`: the header's strings and
/// symbols, then the samples from `samples(string count, sample type count, location index)`.
fn assemble(
    h: Header,
    samples: impl FnOnce(usize, usize, &IdIndex) -> Result<SampleStore, Reason>,
) -> Result<Profile, Reason> {
    let checked = check_header(h)?;
    let p = &checked.profile;
    let store = samples(checked.n_strings, p.sample_types.len(), &p.location_index)?;
    checked.finish(store)
}

/// A header that passed its checks: the profile without its samples.
struct Checked {
    profile: Profile,
    n_strings: usize,
    /// A check whose failure is reported only after the samples' (the order errors have
    /// always come in).
    late: Result<(), Reason>,
}

impl Checked {
    fn finish(mut self, samples: SampleStore) -> Result<Profile, Reason> {
        self.late?;
        self.profile.samples = samples;
        Ok(self.profile)
    }
}

fn check_header(mut h: Header) -> Result<Checked, Reason> {
    let strings: Arc<StringArray> = Arc::new(h.strings.finish());
    if strings.is_empty() {
        return Err(invalid(
            "string_table is empty (string_table[0] must be \"\")",
        ));
    }
    if !strings.value(0).is_empty() {
        return Err(invalid("string_table[0] must be \"\""));
    }
    let n = strings.len();
    if h.n_samples > 0 && h.sample_types.is_empty() {
        return Err(invalid("profile has samples but no sample types"));
    }
    let (mapping_index, location_index, function_index) = check_symbols(&h, n)?;
    let sample_types = h
        .sample_types
        .iter()
        .map(|v| value_type(n, v, "sample_type"))
        .collect::<Result<Vec<_>, _>>()?;
    let period_type = match &h.period_type {
        Some(v) => value_type(n, v, "period_type")?,
        None => ValueType::default(),
    };
    let comments = h
        .comments
        .iter()
        .map(|&c| strx(n, c, &|| "comment".to_string()))
        .collect::<Result<Vec<_>, _>>()?;
    let mut late = Ok(());
    let mut late_strx = |index: i64, what: &'static str| {
        strx(n, index, &|| what.into()).unwrap_or_else(|e| {
            if late.is_ok() {
                late = Err(e);
            }
            0
        })
    };
    let default_sample_type = late_strx(h.default_sample_type, "default_sample_type");
    let drop_frames = late_strx(h.drop_frames, "drop_frames");
    let keep_frames = late_strx(h.keep_frames, "keep_frames");
    let doc_url = late_strx(h.doc_url, "doc_url");
    let profile = Profile {
        default_sample_type,
        drop_frames,
        keep_frames,
        doc_url,
        strings,
        sample_types,
        time_nanos: h.time_nanos,
        duration_nanos: h.duration_nanos,
        period_type,
        period: h.period,
        comments,
        mappings: h.mappings,
        locations: h.locations,
        lines: h.lines,
        functions: h.functions,
        mapping_index,
        location_index,
        function_index,
        samples: SampleStore::default(),
    };
    Ok(Checked {
        profile,
        n_strings: n,
        late,
    })
}
