//! Flattening a decoded profile into Arrow tables.
//!
//! Small tables are built at load; `samples`, `frames`, `stacks` and `labels` are generated
//! batch by batch when scanned (see `lazy.rs`), from the compact sample store.

mod generate;
mod lazy;
pub mod mask;
pub mod nodes;
mod on_demand;
pub mod schema;
mod small;
pub mod symbols;

use std::path::Path;

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::error::ArrowError;

pub use lazy::LazyTable;
pub use on_demand::OnDemandTable;
pub use schema::{LazyKind, ON_DEMAND_TABLES, SMALL_TABLES};

use crate::decode::{DecodeError, DecodeOptions, Profile};

/// Why a file could not be loaded: it did not decode, or its tables could not be built.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error(transparent)]
    Decode(#[from] DecodeError),
    #[error(transparent)]
    Arrow(#[from] ArrowError),
}

/// A profile ready to be queried: decoded data, frame symbols, and its small tables.
#[derive(Debug)]
pub struct LoadedProfile {
    pub id: u32,
    pub source: String,
    pub profile: Profile,
    pub symbols: symbols::Symbols,
    /// Column name of each sample type in the big tables.
    pub value_columns: Vec<String>,
    /// (table name, batch) for each small table.
    pub small: Vec<(&'static str, RecordBatch)>,
    /// pprof's nodes per granularity (`nodes::GRANULARITIES` order), built on first use.
    node_maps: [std::sync::OnceLock<nodes::NodeMap>; 5],
    /// The `nodes` and `node_names` batches, built on first use.
    node_tables: std::sync::OnceLock<Result<(RecordBatch, RecordBatch), String>>,
    /// The `samples.stack_id` of every sample, built on first use.
    stack_ids: std::sync::OnceLock<Vec<u32>>,
    /// Results of queries over this profile alone, by SQL text (see `memo_get`).
    memo: std::sync::Mutex<std::collections::VecDeque<(String, Memo)>>,
}

/// A remembered query result: schema and batches (batches share their buffers).
pub type Memo = (datafusion::arrow::datatypes::SchemaRef, Vec<RecordBatch>);

/// Query results a profile keeps; the oldest goes first.
const MEMO_ENTRIES: usize = 32;

/// What a profile's tables need of its symbols alone, built before (or while) its
/// samples are parsed: see [`LoadedProfile::decode_file`].
pub struct SymbolTables {
    symbols: symbols::Symbols,
    value_columns: Vec<String>,
    small: Result<Vec<(&'static str, RecordBatch)>, ArrowError>,
}

impl SymbolTables {
    /// The symbols and small tables of `profile`, which has `n_samples` samples (its
    /// sample store is not read).
    pub fn build(id: u32, source: &str, profile: &Profile, n_samples: usize) -> Self {
        let type_names: Vec<&str> = (0..profile.sample_types.len())
            .map(|i| profile.sample_type_name(i))
            .collect();
        let value_columns = schema::value_column_names(&type_names);
        let small = || small::build(id, source, profile, n_samples, &value_columns);
        // Independent, and together a fifth of a cold report's CPU on a large profile:
        // built side by side when there is a second core.
        let two_cores = std::thread::available_parallelism().is_ok_and(|n| n.get() >= 2);
        let (symbols, small) = if two_cores {
            let (symbols, small) = std::thread::scope(|scope| {
                let symbols = scope.spawn(|| symbols::build(profile));
                let small = small();
                (symbols.join(), small)
            });
            let symbols = symbols.unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            (symbols, small)
        } else {
            (symbols::build(profile), small())
        };
        Self {
            symbols,
            value_columns,
            small,
        }
    }
}

impl LoadedProfile {
    pub fn new(id: u32, source: impl Into<String>, profile: Profile) -> Result<Self, ArrowError> {
        let source = source.into();
        let tables = SymbolTables::build(id, &source, &profile, profile.samples.len());
        Self::with_tables(id, source, profile, tables)
    }

    /// Decodes `path` and builds its tables, the symbol tables while the samples are still
    /// being parsed (see [`crate::decode::decode_file_with`]).
    pub fn decode_file(id: u32, path: &Path, opts: &DecodeOptions) -> Result<Self, LoadError> {
        let source = path.display().to_string();
        let (profile, tables) = crate::decode::decode_file_with(path, opts, |p, n| {
            SymbolTables::build(id, &source, p, n)
        })?;
        Ok(Self::with_tables(id, source, profile, tables)?)
    }

    fn with_tables(
        id: u32,
        source: String,
        profile: Profile,
        tables: SymbolTables,
    ) -> Result<Self, ArrowError> {
        let SymbolTables {
            symbols,
            value_columns,
            small,
        } = tables;
        let mut small = small?;
        small.insert(1, ("function_names", small::function_names(id, &symbols)?));
        Ok(Self {
            id,
            source,
            profile,
            symbols,
            value_columns,
            small,
            node_maps: Default::default(),
            node_tables: Default::default(),
            stack_ids: Default::default(),
            memo: Default::default(),
        })
    }

    /// A remembered result of `sql`. Only for queries that read this profile alone and
    /// whose text decides the result (no per-call functions): the profile never changes,
    /// so neither does the answer, and repeated reports skip the scan.
    pub fn memo_get(&self, sql: &str) -> Option<Memo> {
        let memo = self.memo.lock().unwrap_or_else(|e| e.into_inner());
        memo.iter().find(|(k, _)| k == sql).map(|(_, m)| m.clone())
    }

    pub fn memo_put(&self, sql: &str, result: Memo) {
        let mut memo = self.memo.lock().unwrap_or_else(|e| e.into_inner());
        if memo.iter().any(|(k, _)| k == sql) {
            return;
        }
        if memo.len() >= MEMO_ENTRIES {
            memo.pop_front();
        }
        memo.push_back((sql.to_string(), result));
    }

    /// Roughly the memory this profile holds (decoded data, symbols, small tables), for a
    /// cache's budget. Node maps built later add to it, so callers keep a margin.
    pub fn approx_bytes(&self) -> u64 {
        use datafusion::arrow::array::Array;
        use std::mem::size_of_val;
        let p = &self.profile;
        let s = &p.samples;
        let vecs = size_of_val(p.mappings.as_slice())
            + size_of_val(p.locations.as_slice())
            + size_of_val(p.lines.as_slice())
            + size_of_val(p.functions.as_slice())
            + size_of_val(s.loc_offsets.as_slice())
            + size_of_val(s.loc_index.as_slice())
            + size_of_val(s.values.as_slice())
            + size_of_val(s.label_offsets.as_slice())
            + size_of_val(s.labels.as_slice())
            + size_of_val(s.numeric.as_slice())
            + size_of_val(self.symbols.loc_frame_offsets.as_slice())
            + size_of_val(self.symbols.frames.as_slice());
        let arrays = p.strings.get_array_memory_size()
            + self.symbols.names.get_array_memory_size()
            + self.symbols.files.get_array_memory_size();
        let small: usize = self
            .small
            .iter()
            .map(|(_, b)| b.get_array_memory_size())
            .sum();
        (vecs + arrays + small) as u64
    }

    /// pprof's node of every frame symbol at a granularity (unknown names read as
    /// `addresses`, the finest).
    pub fn node_map(&self, granularity: &str) -> &nodes::NodeMap {
        let i = nodes::GRANULARITIES
            .iter()
            .position(|g| *g == granularity)
            .unwrap_or(nodes::GRANULARITIES.len() - 1);
        self.node_maps[i]
            .get_or_init(|| nodes::build(&self.profile, &self.symbols, nodes::GRANULARITIES[i]))
    }

    /// Each sample's stack id: samples with the same location list share one id, numbered
    /// from 0 in order of first appearance. Grouping by this integer is far cheaper than
    /// grouping by the list.
    pub fn stack_ids(&self) -> &[u32] {
        self.stack_ids.get_or_init(|| {
            let store = &self.profile.samples;
            let mut seen: foldhash::HashMap<&[u32], u32> = Default::default();
            (0..store.len())
                .map(|i| {
                    let next = seen.len() as u32;
                    *seen.entry(store.locations(i)).or_insert(next)
                })
                .collect()
        })
    }

    /// The batches of the on-demand `nodes` and `node_names` tables.
    pub fn node_tables(&self) -> Result<(RecordBatch, RecordBatch), ArrowError> {
        self.node_tables
            .get_or_init(|| small::node_tables(self).map_err(|e| e.to_string()))
            .clone()
            .map_err(ArrowError::ComputeError)
    }

    /// The column holding sample type `index` in the big tables.
    pub fn value_column(&self, index: usize) -> Option<&str> {
        self.value_columns.get(index).map(String::as_str)
    }
}

/// Generates every batch of the lazily built tables of one profile, all columns, without a
/// query. For fuzzing and tests: it walks the same code a scan does.
pub fn generate_all(lp: &LoadedProfile) -> Result<Vec<RecordBatch>, ArrowError> {
    let mut out = Vec::new();
    for kind in LazyKind::ALL {
        let schema = kind.schema(&lp.value_columns);
        let columns: Vec<usize> = (0..schema.fields().len()).collect();
        let req = generate::Request {
            kind,
            schema: &schema,
            columns: &columns,
            full_schema: &schema,
            keep: None,
        };
        let n = lp.profile.samples.len();
        let mut start = 0;
        while start < n {
            let end = (start + 1024).min(n);
            out.push(generate::generate(
                &req,
                lp,
                generate::Chunk {
                    profile: 0,
                    start,
                    end,
                },
            )?);
            start = end;
        }
    }
    Ok(out)
}
