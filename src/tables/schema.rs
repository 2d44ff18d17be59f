//! Schemas of every table. The big tables end with one Int64 column per sample type name
//! seen across the loaded profiles (NULL for profiles without that type).

use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};

/// Tables generated on demand from the compact sample store.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LazyKind {
    Samples,
    Frames,
    Stacks,
    Labels,
}

impl LazyKind {
    pub const ALL: [LazyKind; 4] = [
        LazyKind::Samples,
        LazyKind::Frames,
        LazyKind::Stacks,
        LazyKind::Labels,
    ];

    pub fn table_name(self) -> &'static str {
        match self {
            LazyKind::Samples => "samples",
            LazyKind::Frames => "frames",
            LazyKind::Stacks => "stacks",
            LazyKind::Labels => "labels",
        }
    }

    /// Whether the table carries the per-sample value columns.
    pub fn has_values(self) -> bool {
        !matches!(self, LazyKind::Labels)
    }

    fn base_fields(self) -> Vec<Field> {
        let mut f = vec![
            Field::new("profile_id", DataType::UInt32, false),
            Field::new("sample_id", DataType::UInt64, false),
        ];
        match self {
            LazyKind::Samples => {
                f.push(Field::new(
                    "location_ids",
                    DataType::List(Arc::new(Field::new_list_field(DataType::UInt64, false))),
                    false,
                ));
                f.push(Field::new(
                    "values",
                    DataType::List(Arc::new(Field::new_list_field(DataType::Int64, false))),
                    false,
                ));
                f.push(Field::new("stack_id", DataType::UInt32, false));
            }
            LazyKind::Frames => {
                f.extend([
                    Field::new("depth", DataType::UInt32, false),
                    Field::new("location_index", DataType::UInt32, false),
                    Field::new("location_id", DataType::UInt64, false),
                    Field::new("line_index", DataType::UInt32, false),
                    Field::new("function_id", DataType::UInt64, true),
                    Field::new("function_name", dict_utf8(), false),
                    Field::new("file", dict_utf8(), true),
                    Field::new("line", DataType::Int64, false),
                    Field::new("column", DataType::Int64, false),
                    Field::new("is_inline", DataType::Boolean, false),
                    Field::new("first_in_stack", DataType::Boolean, false),
                    Field::new("mapping_id", DataType::UInt64, false),
                    Field::new("address", DataType::UInt64, false),
                    Field::new("function_name_id", DataType::UInt32, false),
                    Field::new("caller_name_id", DataType::UInt32, true),
                    Field::new("frame_key", DataType::UInt32, false),
                    Field::new("first_edge_in_stack", DataType::Boolean, false),
                ]);
            }
            LazyKind::Stacks => {
                f.push(Field::new(
                    "stack",
                    DataType::List(Arc::new(Field::new_list_field(DataType::Utf8, false))),
                    false,
                ));
                f.push(Field::new("depth", DataType::UInt32, false));
            }
            LazyKind::Labels => {
                f.extend([
                    Field::new("key", dict_utf8(), false),
                    Field::new("str", DataType::Utf8, true),
                    Field::new("num", DataType::Int64, true),
                    Field::new("num_unit", DataType::Utf8, true),
                ]);
            }
        }
        if self.has_values() {
            f.push(Field::new("value", DataType::Int64, true));
        }
        f
    }

    pub fn base_field_count(self) -> usize {
        self.base_fields().len()
    }

    /// Full schema with the given sample-type value columns appended.
    pub fn schema(self, value_columns: &[String]) -> SchemaRef {
        let mut fields = self.base_fields();
        if self.has_values() {
            fields.extend(
                value_columns
                    .iter()
                    .map(|c| Field::new(c, DataType::Int64, true)),
            );
        }
        Arc::new(Schema::new(fields))
    }
}

pub fn dict_utf8() -> DataType {
    DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8))
}

/// Column names no sample type may take (they would shadow a base column).
pub fn reserved_column_names() -> Vec<String> {
    LazyKind::ALL
        .iter()
        .flat_map(|k| k.base_fields())
        .map(|f| f.name().clone())
        .collect()
}

/// Column names for a profile's sample types: the type name, or `<name>_<index>` when the
/// name is reserved or repeats an earlier type of the same profile (`type_<index>` when it
/// is empty).
pub fn value_column_names(type_names: &[&str]) -> Vec<String> {
    let reserved = reserved_column_names();
    let mut out: Vec<String> = Vec::with_capacity(type_names.len());
    for (i, name) in type_names.iter().enumerate() {
        let taken =
            name.is_empty() || reserved.iter().any(|r| r == name) || out.iter().any(|o| o == name);
        out.push(if taken {
            format!("{}_{i}", if name.is_empty() { "type" } else { name })
        } else {
            name.to_string()
        });
    }
    out
}

pub fn small_schema(table: &str) -> SchemaRef {
    let u32f = |n: &str| Field::new(n, DataType::UInt32, false);
    let u64f = |n: &str| Field::new(n, DataType::UInt64, false);
    let i64f = |n: &str| Field::new(n, DataType::Int64, false);
    let utf8 = |n: &str, null: bool| Field::new(n, DataType::Utf8, null);
    let boolf = |n: &str| Field::new(n, DataType::Boolean, false);
    let list_utf8 = |n: &str| {
        Field::new(
            n,
            DataType::List(Arc::new(Field::new_list_field(DataType::Utf8, false))),
            false,
        )
    };
    let fields = match table {
        "profiles" => vec![
            u32f("profile_id"),
            utf8("source", false),
            list_utf8("sample_types"),
            utf8("default_sample_type", true),
            Field::new("default_sample_index", DataType::UInt32, true),
            utf8("period_type", true),
            utf8("period_unit", true),
            i64f("period"),
            i64f("time_nanos"),
            i64f("duration_nanos"),
            list_utf8("comments"),
            utf8("drop_frames", true),
            utf8("keep_frames", true),
            utf8("doc_url", true),
            u64f("num_samples"),
            u64f("num_locations"),
            u64f("num_functions"),
            u64f("num_mappings"),
        ],
        "sample_types" => vec![
            u32f("profile_id"),
            u32f("sample_index"),
            utf8("type", false),
            utf8("unit", false),
            utf8("column_name", false),
            boolf("is_default"),
        ],
        "locations" => vec![
            u32f("profile_id"),
            u64f("location_id"),
            u64f("mapping_id"),
            u64f("address"),
            boolf("is_folded"),
            u32f("num_lines"),
        ],
        "lines" => vec![
            u32f("profile_id"),
            u64f("location_id"),
            u32f("line_index"),
            u64f("function_id"),
            i64f("line"),
            i64f("column"),
        ],
        "functions" => vec![
            u32f("profile_id"),
            u64f("function_id"),
            Field::new("name", dict_utf8(), false),
            Field::new("system_name", dict_utf8(), false),
            Field::new("filename", dict_utf8(), false),
            i64f("start_line"),
        ],
        "nodes" => vec![
            u32f("profile_id"),
            utf8("granularity", false),
            u32f("frame_key"),
            u32f("node_id"),
        ],
        "node_names" => vec![
            u32f("profile_id"),
            utf8("granularity", false),
            u32f("node_id"),
            utf8("node", false),
        ],
        "function_names" => vec![
            u32f("profile_id"),
            u32f("function_name_id"),
            utf8("function_name", false),
        ],
        "mappings" => vec![
            u32f("profile_id"),
            u64f("mapping_id"),
            u64f("memory_start"),
            u64f("memory_limit"),
            u64f("file_offset"),
            utf8("filename", false),
            utf8("build_id", false),
            boolf("has_functions"),
            boolf("has_filenames"),
            boolf("has_line_numbers"),
            boolf("has_inline_frames"),
        ],
        _ => vec![],
    };
    Arc::new(Schema::new(fields))
}

/// Names of the tables built eagerly at load (all small).
/// Small tables built on first use (pprof's nodes cost a pass over every frame symbol
/// per granularity, which most queries never need).
pub const ON_DEMAND_TABLES: [&str; 2] = ["nodes", "node_names"];

pub const SMALL_TABLES: [&str; 7] = [
    "profiles",
    "function_names",
    "sample_types",
    "locations",
    "lines",
    "functions",
    "mappings",
];
