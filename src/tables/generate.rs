//! Builds record batches of the big tables (samples, frames, stacks, labels) for a range of
//! samples, producing only the projected columns.

use std::sync::Arc;

use datafusion::arrow::array::{
    new_null_array, Array, ArrayRef, BooleanArray, DictionaryArray, Int32Array, Int64Array,
    ListArray, RecordBatch, RecordBatchOptions, StringArray, StringBuilder, UInt32Array,
    UInt64Array,
};
use datafusion::arrow::buffer::OffsetBuffer;
use datafusion::arrow::datatypes::{DataType, Field, Int32Type, SchemaRef};
use datafusion::arrow::error::ArrowError;

use super::schema::LazyKind;
use super::LoadedProfile;

/// A contiguous range of samples of one profile.
#[derive(Clone, Copy, Debug)]
pub struct Chunk {
    pub profile: usize,
    pub start: usize,
    pub end: usize,
}

/// What one scan asks for: the projected columns, with value columns resolved per profile.
pub struct Request<'a> {
    pub kind: LazyKind,
    /// Output schema (already projected).
    pub schema: &'a SchemaRef,
    /// Column positions in the full table schema, in output order.
    pub columns: &'a [usize],
    /// For a value column position: the full schema's column name.
    pub full_schema: &'a SchemaRef,
    /// Frames only: the samples to generate, by sample id (out of range = dropped).
    pub keep: Option<&'a [bool]>,
}

/// Which sample type a column reads, if it is a value column; `Err(())` if it is a base
/// column. `Ok(None)` means the profile has no such type (NULL column).
fn value_source(req: &Request, lp: &LoadedProfile, col: usize) -> Result<Option<usize>, ()> {
    let base = req.kind.base_field_count();
    if !req.kind.has_values() {
        return Err(());
    }
    if col == base - 1 {
        return Ok(lp.profile.default_sample_index());
    }
    if col < base {
        return Err(());
    }
    let name = req.full_schema.field(col).name();
    Ok(lp.value_columns.iter().position(|c| c == name))
}

fn value_column(lp: &LoadedProfile, type_index: Option<usize>, samples: &[u32]) -> ArrayRef {
    match type_index {
        Some(t) => Arc::new(Int64Array::from_iter_values(
            samples
                .iter()
                .map(|&s| lp.profile.samples.value(s as usize, t)),
        )),
        None => new_null_array(&DataType::Int64, samples.len()),
    }
}

fn finish(
    schema: &SchemaRef,
    columns: Vec<ArrayRef>,
    rows: usize,
) -> Result<RecordBatch, ArrowError> {
    RecordBatch::try_new_with_options(
        schema.clone(),
        columns,
        &RecordBatchOptions::new().with_row_count(Some(rows)),
    )
}

pub fn generate(
    req: &Request,
    lp: &LoadedProfile,
    chunk: Chunk,
) -> Result<RecordBatch, ArrowError> {
    match req.kind {
        LazyKind::Samples => samples(req, lp, chunk),
        LazyKind::Frames => frames(req, lp, chunk),
        LazyKind::Stacks => stacks(req, lp, chunk),
        LazyKind::Labels => labels(req, lp, chunk),
    }
}

fn pid_column(lp: &LoadedProfile, n: usize) -> ArrayRef {
    Arc::new(UInt32Array::from(vec![lp.id; n]))
}

fn sample_id_column(rows: &[u32]) -> ArrayRef {
    Arc::new(UInt64Array::from_iter_values(
        rows.iter().map(|&s| s as u64),
    ))
}

fn samples(req: &Request, lp: &LoadedProfile, c: Chunk) -> Result<RecordBatch, ArrowError> {
    let store = &lp.profile.samples;
    let rows: Vec<u32> = (c.start as u32..c.end as u32).collect();
    let mut out = Vec::with_capacity(req.columns.len());
    for &col in req.columns {
        if let Ok(t) = value_source(req, lp, col) {
            out.push(value_column(lp, t, &rows));
            continue;
        }
        out.push(match col {
            0 => pid_column(lp, rows.len()),
            1 => sample_id_column(&rows),
            2 => {
                let lo = store.loc_offsets[c.start] as usize;
                let hi = store.loc_offsets[c.end] as usize;
                let ids = UInt64Array::from_iter_values(
                    store.loc_index[lo..hi]
                        .iter()
                        .map(|&l| lp.profile.locations[l as usize].id),
                );
                let offsets = OffsetBuffer::new(
                    store.loc_offsets[c.start..=c.end]
                        .iter()
                        .map(|&o| (o as usize - lo) as i32)
                        .collect(),
                );
                Arc::new(ListArray::try_new(
                    Arc::new(Field::new_list_field(DataType::UInt64, false)),
                    offsets,
                    Arc::new(ids),
                    None,
                )?)
            }
            3 => {
                let n = store.n_types;
                let vals = Int64Array::from_iter_values(
                    store.values[c.start * n..c.end * n].iter().copied(),
                );
                let offsets = OffsetBuffer::new((0..=rows.len()).map(|i| (i * n) as i32).collect());
                Arc::new(ListArray::try_new(
                    Arc::new(Field::new_list_field(DataType::Int64, false)),
                    offsets,
                    Arc::new(vals),
                    None,
                )?)
            }
            4 => Arc::new(UInt32Array::from(lp.stack_ids()[c.start..c.end].to_vec())),
            _ => {
                return Err(ArrowError::InvalidArgumentError(format!(
                    "samples has no column {col}"
                )))
            }
        });
    }
    finish(req.schema, out, rows.len())
}

/// Row coordinates of the frames of a chunk: which sample, location and frame each row is.
struct FrameRows {
    sample: Vec<u32>,
    depth: Vec<u32>,
    loc_pos: Vec<u32>,
    loc: Vec<u32>,
    frame: Vec<u32>,
    first: Vec<bool>,
}

/// Which per-row coordinates a frames batch needs; the rest are not built.
struct FrameNeeds {
    depth: bool,
    loc_pos: bool,
    loc: bool,
    first: bool,
}

fn frame_rows(
    lp: &LoadedProfile,
    c: Chunk,
    needs: &FrameNeeds,
    keep: Option<&[bool]>,
) -> FrameRows {
    let want_first = needs.first;
    let store = &lp.profile.samples;
    let sym = &lp.symbols;
    let kept = |s: usize| keep.is_none_or(|k| k.get(s).copied().unwrap_or(false));
    let frames_of = |s: usize| {
        store
            .locations(s)
            .iter()
            .map(|&l| {
                (sym.loc_frame_offsets[l as usize + 1] - sym.loc_frame_offsets[l as usize]) as usize
            })
            .sum::<usize>()
    };
    let total: usize = (c.start..c.end).filter(|&s| kept(s)).map(frames_of).sum();
    let mut r = FrameRows {
        sample: Vec::with_capacity(total),
        depth: Vec::with_capacity(if needs.depth { total } else { 0 }),
        loc_pos: Vec::with_capacity(if needs.loc_pos { total } else { 0 }),
        loc: Vec::with_capacity(if needs.loc { total } else { 0 }),
        frame: Vec::with_capacity(total),
        first: Vec::with_capacity(if want_first { total } else { 0 }),
    };
    // Per-name stamp of the last sample that used it: marks the first (leaf-most)
    // occurrence of each function in a sample without a per-sample set.
    let mut seen: Vec<u32> = if want_first {
        vec![u32::MAX; sym.names.len()]
    } else {
        Vec::new()
    };
    for s in (c.start..c.end).filter(|&s| kept(s)) {
        let mut depth = 0u32;
        for (pos, &l) in store.locations(s).iter().enumerate() {
            let lo = sym.loc_frame_offsets[l as usize];
            let hi = sym.loc_frame_offsets[l as usize + 1];
            for f in lo..hi {
                r.sample.push(s as u32);
                r.frame.push(f);
                if needs.depth {
                    r.depth.push(depth);
                }
                if needs.loc_pos {
                    r.loc_pos.push(pos as u32);
                }
                if needs.loc {
                    r.loc.push(l);
                }
                if want_first {
                    let name = sym.frames[f as usize].name as usize;
                    r.first.push(seen[name] != s as u32);
                    seen[name] = s as u32;
                }
                depth += 1;
            }
        }
    }
    r
}

/// For each row, whether it is the leaf-most occurrence in its sample of its (caller,
/// function) pair: summing values over these rows counts every call edge once per sample,
/// even through recursion (pprof's edge weights). Root rows (no caller) are false.
fn first_edges(lp: &LoadedProfile, r: &FrameRows) -> Vec<bool> {
    let sym = &lp.symbols;
    first_edge_flags(&r.sample, sym.names.len(), |i| {
        sym.frames[r.frame[i] as usize].name
    })
}

/// `first_edges` over rows given by their sample and function name (`name(row)`, below
/// `n_names`).
fn first_edge_flags(sample: &[u32], n_names: usize, name: impl Fn(usize) -> u32) -> Vec<bool> {
    // Past this many repeated callees in one sample, its pairs are hashed rather than
    // searched for leaf-ward: deep recursion stays linear.
    const SCAN_REPEATS: u32 = 8;
    let n = sample.len();
    // A pair can repeat in a sample only if its callee does (recursion): a per-function
    // stamp of the last sample it was a callee in decides most rows, and only a repeated
    // callee needs its pair looked for among the sample's earlier rows.
    let mut callee_seen = vec![u32::MAX; n_names];
    let mut pairs: foldhash::HashSet<(u32, u32)> = Default::default();
    let mut pairs_sample = u32::MAX;
    let (mut sample_start, mut repeats) = (0, 0u32);
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let s = sample[i];
        if i == 0 || sample[i - 1] != s {
            sample_start = i;
            repeats = 0;
        }
        if i + 1 >= n || sample[i + 1] != s {
            out.push(false);
            continue;
        }
        let pair = (name(i + 1), name(i));
        let stamp = &mut callee_seen[pair.1 as usize];
        if *stamp != s {
            *stamp = s;
            if pairs_sample == s {
                pairs.insert(pair);
            }
            out.push(true);
            continue;
        }
        repeats += 1;
        if repeats <= SCAN_REPEATS {
            let earlier = (sample_start..i).any(|j| name(j) == pair.1 && name(j + 1) == pair.0);
            out.push(!earlier);
            continue;
        }
        if pairs_sample != s {
            pairs.clear();
            pairs_sample = s;
            pairs.extend((sample_start..i).map(|j| (name(j + 1), name(j))));
        }
        out.push(pairs.insert(pair));
    }
    out
}

fn frames(req: &Request, lp: &LoadedProfile, c: Chunk) -> Result<RecordBatch, ArrowError> {
    const FIRST_IN_STACK: usize = 12;
    const FIRST_EDGE_IN_STACK: usize = 18;
    let has = |col: usize| req.columns.contains(&col);
    let needs = FrameNeeds {
        depth: has(2),
        loc_pos: has(3),
        loc: has(4) || has(13) || has(14),
        first: has(FIRST_IN_STACK),
    };
    let mut r = frame_rows(lp, c, &needs, req.keep);
    let n = r.sample.len();
    let sym = &lp.symbols;
    let mut first_edge = if has(FIRST_EDGE_IN_STACK) {
        first_edges(lp, &r)
    } else {
        Vec::new()
    };
    let fr = |i: usize| &sym.frames[r.frame[i] as usize];
    let loc = |i: usize| &lp.profile.locations[r.loc[i] as usize];
    let mut out = Vec::with_capacity(req.columns.len());
    for &col in req.columns {
        if let Ok(t) = value_source(req, lp, col) {
            out.push(value_column(lp, t, &r.sample));
            continue;
        }
        let a: ArrayRef = match col {
            0 => pid_column(lp, n),
            1 => sample_id_column(&r.sample),
            2 => Arc::new(UInt32Array::from(std::mem::take(&mut r.depth))),
            3 => Arc::new(UInt32Array::from(std::mem::take(&mut r.loc_pos))),
            4 => Arc::new(UInt64Array::from_iter_values((0..n).map(|i| loc(i).id))),
            5 => Arc::new(UInt32Array::from_iter_values(
                (0..n).map(|i| fr(i).line_index),
            )),
            6 => Arc::new(UInt64Array::from_iter(
                (0..n).map(|i| Some(fr(i).function_id).filter(|&f| f != 0)),
            )),
            7 => Arc::new(DictionaryArray::<Int32Type>::try_new(
                Int32Array::from_iter_values((0..n).map(|i| fr(i).name as i32)),
                sym.names.clone(),
            )?),
            8 => Arc::new(DictionaryArray::<Int32Type>::try_new(
                Int32Array::from_iter((0..n).map(|i| fr(i).file.map(|f| f as i32))),
                sym.files.clone(),
            )?),
            9 => Arc::new(Int64Array::from_iter_values((0..n).map(|i| fr(i).line))),
            10 => Arc::new(Int64Array::from_iter_values((0..n).map(|i| fr(i).column))),
            11 => Arc::new(BooleanArray::from_iter(
                (0..n).map(|i| Some(fr(i).is_inline)),
            )),
            FIRST_IN_STACK => Arc::new(BooleanArray::from(std::mem::take(&mut r.first))),
            13 => Arc::new(UInt64Array::from_iter_values(
                (0..n).map(|i| loc(i).mapping_id),
            )),
            15 => Arc::new(UInt32Array::from_iter_values((0..n).map(|i| fr(i).name))),
            // The function of the frame one step toward the root, in the same sample:
            // the caller edge of pprof's graph. Rows of a sample are leaf first.
            16 => Arc::new(UInt32Array::from_iter((0..n).map(|i| {
                (i + 1 < n && r.sample[i + 1] == r.sample[i]).then(|| fr(i + 1).name)
            }))),
            14 => Arc::new(UInt64Array::from_iter_values(
                (0..n).map(|i| loc(i).address),
            )),
            17 => Arc::new(UInt32Array::from(r.frame.clone())),
            FIRST_EDGE_IN_STACK => Arc::new(BooleanArray::from(std::mem::take(&mut first_edge))),
            _ => {
                return Err(ArrowError::InvalidArgumentError(format!(
                    "frames has no column {col}"
                )))
            }
        };
        out.push(a);
    }
    finish(req.schema, out, n)
}

fn stacks(req: &Request, lp: &LoadedProfile, c: Chunk) -> Result<RecordBatch, ArrowError> {
    let store = &lp.profile.samples;
    let sym = &lp.symbols;
    let rows: Vec<u32> = (c.start as u32..c.end as u32).collect();
    let mut out = Vec::with_capacity(req.columns.len());
    for &col in req.columns {
        if let Ok(t) = value_source(req, lp, col) {
            out.push(value_column(lp, t, &rows));
            continue;
        }
        let a: ArrayRef =
            match col {
                0 => pid_column(lp, rows.len()),
                1 => sample_id_column(&rows),
                2 | 3 => {
                    let mut names = StringBuilder::new();
                    let mut offsets: Vec<i32> = Vec::with_capacity(rows.len() + 1);
                    let mut depths: Vec<u32> = Vec::with_capacity(rows.len());
                    offsets.push(0);
                    let mut count: usize = 0;
                    for s in c.start..c.end {
                        let before = count;
                        // Root first: locations from the end, lines from the caller.
                        for &l in store.locations(s).iter().rev() {
                            for f in sym.location_frames(l).iter().rev() {
                                names.append_value(sym.names.value(f.name as usize));
                                count += 1;
                            }
                        }
                        depths.push((count - before) as u32);
                        offsets.push(i32::try_from(count).map_err(|_| {
                            ArrowError::ComputeError("stack batch too large".into())
                        })?);
                    }
                    if col == 3 {
                        Arc::new(UInt32Array::from(depths))
                    } else {
                        Arc::new(ListArray::try_new(
                            Arc::new(Field::new_list_field(DataType::Utf8, false)),
                            OffsetBuffer::new(offsets.into()),
                            Arc::new(names.finish()),
                            None,
                        )?)
                    }
                }
                _ => {
                    return Err(ArrowError::InvalidArgumentError(format!(
                        "stacks has no column {col}"
                    )))
                }
            };
        out.push(a);
    }
    finish(req.schema, out, rows.len())
}

fn labels(req: &Request, lp: &LoadedProfile, c: Chunk) -> Result<RecordBatch, ArrowError> {
    let store = &lp.profile.samples;
    let p = &lp.profile;
    let lo = store.label_offsets[c.start] as usize;
    let hi = store.label_offsets[c.end] as usize;
    let recs = &store.labels[lo..hi];
    let mut owner: Vec<u32> = Vec::with_capacity(recs.len());
    for s in c.start..c.end {
        let k = (store.label_offsets[s + 1] - store.label_offsets[s]) as usize;
        owner.extend(std::iter::repeat_n(s as u32, k));
    }
    let n = recs.len();
    let mut out = Vec::with_capacity(req.columns.len());
    for &col in req.columns {
        let a: ArrayRef = match col {
            0 => pid_column(lp, n),
            1 => sample_id_column(&owner),
            2 => Arc::new(DictionaryArray::<Int32Type>::try_new(
                Int32Array::from_iter_values(recs.iter().map(|r| r.key() as i32)),
                lp.profile.strings.clone(),
            )?),
            3 => Arc::new(StringArray::from_iter(
                recs.iter().map(|r| r.is_string().then(|| p.str(r.str()))),
            )),
            4 => Arc::new(Int64Array::from_iter(
                recs.iter()
                    .map(|r| store.label_number(r).map(|(num, _)| num)),
            )),
            5 => Arc::new(StringArray::from_iter(recs.iter().map(|r| {
                store
                    .label_number(r)
                    .filter(|&(_, unit)| unit != 0)
                    .map(|(_, unit)| p.str(unit))
            }))),
            _ => {
                return Err(ArrowError::InvalidArgumentError(format!(
                    "labels has no column {col}"
                )))
            }
        };
        out.push(a);
    }
    finish(req.schema, out, n)
}

#[cfg(test)]
mod tests {
    use super::first_edge_flags;

    /// The definition: a row's (caller, function) pair has not occurred leaf-ward of it in
    /// its sample.
    fn by_definition(sample: &[u32], names: &[u32]) -> Vec<bool> {
        let n = sample.len();
        (0..n)
            .map(|i| {
                let has_caller = i + 1 < n && sample[i + 1] == sample[i];
                let pair = |j: usize| (names[j + 1], names[j]);
                let earlier = (0..i).rev().take_while(|&j| sample[j] == sample[i]);
                has_caller && earlier.clone().all(|j| pair(j) != pair(i))
            })
            .collect()
    }

    #[test]
    fn first_edges_match_the_definition_through_recursion() {
        // Stacks over three names, so recursion (A B A B ...) and repeated callees with
        // new callers (A B, C B) are frequent, some deep enough for more than
        // SCAN_REPEATS repeats; a small LCG keeps the cases reproducible.
        let mut state = 0x2545_f491_u64;
        let mut next = |m: u64| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            ((state >> 33) % m) as u32
        };
        let (mut sample, mut names) = (Vec::new(), Vec::new());
        for s in 0..400 {
            for _ in 0..=next(if s % 4 == 0 { 60 } else { 9 }) {
                sample.push(s);
                names.push(next(3));
            }
        }
        let got = first_edge_flags(&sample, 3, |i| names[i]);
        assert_eq!(got, by_definition(&sample, &names));
        assert!(got.iter().any(|&f| f) && got.iter().any(|&f| !f));
    }
}
