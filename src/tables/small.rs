//! The small tables (profiles, sample_types, locations, lines, functions, mappings), built
//! eagerly into one record batch each per profile.

use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, BooleanArray, DictionaryArray, Int32Array, Int64Array, ListBuilder,
    RecordBatch, StringArray, StringBuilder, UInt32Array, UInt64Array,
};
use datafusion::arrow::datatypes::Int32Type;
use datafusion::arrow::error::ArrowError;

use super::schema::small_schema;
use super::symbols::Symbols;
use crate::decode::Profile;

fn nonempty(s: &str) -> Option<&str> {
    (!s.is_empty()).then_some(s)
}

fn list_of_strings<'a>(items: impl Iterator<Item = &'a str>) -> ArrayRef {
    let mut b = ListBuilder::new(StringBuilder::new()).with_field(Arc::new(
        datafusion::arrow::datatypes::Field::new_list_field(
            datafusion::arrow::datatypes::DataType::Utf8,
            false,
        ),
    ));
    for s in items {
        b.values().append_value(s);
    }
    b.append(true);
    Arc::new(b.finish())
}

/// A dictionary column over the profile's string table, keyed by string index.
fn string_table_dict(strings: &Arc<StringArray>, keys: Vec<i32>) -> Result<ArrayRef, ArrowError> {
    let dict = DictionaryArray::<Int32Type>::try_new(Int32Array::from(keys), strings.clone())?;
    Ok(Arc::new(dict))
}

/// The small tables of `p`, which has `n_samples` samples (its sample store may not be
/// filled yet: nothing else here reads it).
pub fn build(
    id: u32,
    source: &str,
    p: &Profile,
    n_samples: usize,
    value_columns: &[String],
) -> Result<Vec<(&'static str, RecordBatch)>, ArrowError> {
    let pid = |n: usize| profile_ids(id, n);
    let default_index = p.default_sample_index();

    let n_types = p.sample_types.len();
    let type_labels: Vec<String> = (0..n_types)
        .map(|i| format!("{}/{}", p.sample_type_name(i), p.sample_type_unit(i)))
        .collect();
    let profiles = RecordBatch::try_new(
        small_schema("profiles"),
        vec![
            pid(1),
            Arc::new(StringArray::from(vec![source])),
            list_of_strings(type_labels.iter().map(String::as_str)),
            Arc::new(StringArray::from(vec![
                default_index.map(|i| p.sample_type_name(i))
            ])),
            Arc::new(UInt32Array::from(vec![default_index.map(|i| i as u32)])),
            Arc::new(StringArray::from(vec![nonempty(
                p.str(p.period_type.r#type),
            )])),
            Arc::new(StringArray::from(vec![nonempty(p.str(p.period_type.unit))])),
            Arc::new(Int64Array::from(vec![p.period])),
            Arc::new(Int64Array::from(vec![p.time_nanos])),
            Arc::new(Int64Array::from(vec![p.duration_nanos])),
            list_of_strings(p.comments.iter().map(|&c| p.str(c))),
            Arc::new(StringArray::from(vec![nonempty(p.str(p.drop_frames))])),
            Arc::new(StringArray::from(vec![nonempty(p.str(p.keep_frames))])),
            Arc::new(StringArray::from(vec![nonempty(p.str(p.doc_url))])),
            Arc::new(UInt64Array::from(vec![n_samples as u64])),
            Arc::new(UInt64Array::from(vec![p.locations.len() as u64])),
            Arc::new(UInt64Array::from(vec![p.functions.len() as u64])),
            Arc::new(UInt64Array::from(vec![p.mappings.len() as u64])),
        ],
    )?;

    let sample_types = RecordBatch::try_new(
        small_schema("sample_types"),
        vec![
            pid(n_types),
            Arc::new(UInt32Array::from_iter_values(0..n_types as u32)),
            Arc::new(StringArray::from_iter_values(
                (0..n_types).map(|i| p.sample_type_name(i)),
            )),
            Arc::new(StringArray::from_iter_values(
                (0..n_types).map(|i| p.sample_type_unit(i)),
            )),
            Arc::new(StringArray::from_iter_values(value_columns.iter())),
            Arc::new(BooleanArray::from_iter(
                (0..n_types).map(|i| Some(Some(i) == default_index)),
            )),
        ],
    )?;

    let locs = &p.locations;
    let locations = RecordBatch::try_new(
        small_schema("locations"),
        vec![
            pid(locs.len()),
            Arc::new(UInt64Array::from_iter_values(locs.iter().map(|l| l.id))),
            Arc::new(UInt64Array::from_iter_values(
                locs.iter().map(|l| l.mapping_id),
            )),
            Arc::new(UInt64Array::from_iter_values(
                locs.iter().map(|l| l.address),
            )),
            Arc::new(BooleanArray::from_iter(
                locs.iter().map(|l| Some(l.is_folded)),
            )),
            Arc::new(UInt32Array::from_iter_values(
                locs.iter().map(|l| l.num_lines() as u32),
            )),
        ],
    )?;

    let line_rows: Vec<(u64, u32, &crate::decode::proto::Line)> = locs
        .iter()
        .flat_map(|l| {
            p.lines_of(l)
                .iter()
                .enumerate()
                .map(move |(k, line)| (l.id, k as u32, line))
        })
        .collect();
    let lines = RecordBatch::try_new(
        small_schema("lines"),
        vec![
            pid(line_rows.len()),
            Arc::new(UInt64Array::from_iter_values(line_rows.iter().map(|r| r.0))),
            Arc::new(UInt32Array::from_iter_values(line_rows.iter().map(|r| r.1))),
            Arc::new(UInt64Array::from_iter_values(
                line_rows.iter().map(|r| r.2.function_id),
            )),
            Arc::new(Int64Array::from_iter_values(
                line_rows.iter().map(|r| r.2.line),
            )),
            Arc::new(Int64Array::from_iter_values(
                line_rows.iter().map(|r| r.2.column),
            )),
        ],
    )?;

    let funcs = &p.functions;
    // Indices were validated against the string table, so they fit in i32 for any table
    // that fits in memory; saturate rather than wrap just in case.
    let key = |i: i64| i32::try_from(i).unwrap_or(0);
    let functions = RecordBatch::try_new(
        small_schema("functions"),
        vec![
            pid(funcs.len()),
            Arc::new(UInt64Array::from_iter_values(funcs.iter().map(|f| f.id))),
            string_table_dict(&p.strings, funcs.iter().map(|f| key(f.name)).collect())?,
            string_table_dict(
                &p.strings,
                funcs.iter().map(|f| key(f.system_name)).collect(),
            )?,
            string_table_dict(&p.strings, funcs.iter().map(|f| key(f.filename)).collect())?,
            Arc::new(Int64Array::from_iter_values(
                funcs.iter().map(|f| f.start_line),
            )),
        ],
    )?;

    let maps = &p.mappings;
    let mappings = RecordBatch::try_new(
        small_schema("mappings"),
        vec![
            pid(maps.len()),
            Arc::new(UInt64Array::from_iter_values(maps.iter().map(|m| m.id))),
            Arc::new(UInt64Array::from_iter_values(
                maps.iter().map(|m| m.memory_start),
            )),
            Arc::new(UInt64Array::from_iter_values(
                maps.iter().map(|m| m.memory_limit),
            )),
            Arc::new(UInt64Array::from_iter_values(
                maps.iter().map(|m| m.file_offset),
            )),
            Arc::new(StringArray::from_iter_values(
                maps.iter().map(|m| p.str_i64(m.filename)),
            )),
            Arc::new(StringArray::from_iter_values(
                maps.iter().map(|m| p.str_i64(m.build_id)),
            )),
            Arc::new(BooleanArray::from_iter(
                maps.iter().map(|m| Some(m.has_functions)),
            )),
            Arc::new(BooleanArray::from_iter(
                maps.iter().map(|m| Some(m.has_filenames)),
            )),
            Arc::new(BooleanArray::from_iter(
                maps.iter().map(|m| Some(m.has_line_numbers)),
            )),
            Arc::new(BooleanArray::from_iter(
                maps.iter().map(|m| Some(m.has_inline_frames)),
            )),
        ],
    )?;

    Ok(vec![
        ("profiles", profiles),
        ("sample_types", sample_types),
        ("locations", locations),
        ("lines", lines),
        ("functions", functions),
        ("mappings", mappings),
    ])
}

/// A `profile_id` column of `n` rows.
fn profile_ids(id: u32, n: usize) -> ArrayRef {
    Arc::new(UInt32Array::from(vec![id; n]))
}

/// The `function_names` table: the symbols' interned names by id.
pub fn function_names(id: u32, symbols: &Symbols) -> Result<RecordBatch, ArrowError> {
    let n = symbols.names.len();
    RecordBatch::try_new(
        small_schema("function_names"),
        vec![
            profile_ids(id, n),
            Arc::new(UInt32Array::from_iter_values(0..n as u32)),
            symbols.names.clone(),
        ],
    )
}

/// The `nodes` and `node_names` tables of a loaded profile: pprof's node of every frame
/// symbol, per granularity.
pub fn node_tables(lp: &super::LoadedProfile) -> Result<(RecordBatch, RecordBatch), ArrowError> {
    let id = lp.id;
    let (mut g1, mut key, mut node) = (Vec::new(), Vec::new(), Vec::new());
    let (mut g2, mut nid, mut name) = (Vec::new(), Vec::new(), Vec::new());
    for g in super::nodes::GRANULARITIES {
        let map = lp.node_map(g);
        for (k, &n) in map.node_of.iter().enumerate() {
            g1.push(g);
            key.push(k as u32);
            node.push(n);
        }
        for (n, s) in map.names.iter().enumerate() {
            g2.push(g);
            nid.push(n as u32);
            name.push(s.as_str());
        }
    }
    let nodes = RecordBatch::try_new(
        small_schema("nodes"),
        vec![
            Arc::new(UInt32Array::from(vec![id; key.len()])),
            Arc::new(StringArray::from(g1)),
            Arc::new(UInt32Array::from(key)),
            Arc::new(UInt32Array::from(node)),
        ],
    )?;
    let names = RecordBatch::try_new(
        small_schema("node_names"),
        vec![
            Arc::new(UInt32Array::from(vec![id; nid.len()])),
            Arc::new(StringArray::from(g2)),
            Arc::new(UInt32Array::from(nid)),
            Arc::new(StringArray::from(name)),
        ],
    )?;
    Ok((nodes, names))
}
