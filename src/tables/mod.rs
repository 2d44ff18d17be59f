//! Flattening a decoded profile into Arrow tables.
//!
//! Small tables are built at load; `samples`, `frames`, `stacks` and `labels` are generated
//! batch by batch when scanned (see `lazy.rs`), from the compact sample store.

mod generate;
mod lazy;
pub mod nodes;
pub mod schema;
mod small;
pub mod symbols;

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::error::ArrowError;

pub use lazy::LazyTable;
pub use schema::{LazyKind, SMALL_TABLES};

use crate::decode::Profile;

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
}

impl LoadedProfile {
    pub fn new(id: u32, source: impl Into<String>, profile: Profile) -> Result<Self, ArrowError> {
        let source = source.into();
        let type_names: Vec<&str> = (0..profile.sample_types.len())
            .map(|i| profile.sample_type_name(i))
            .collect();
        let value_columns = schema::value_column_names(&type_names);
        let symbols = symbols::build(&profile);
        let small = small::build(id, &source, &profile, &value_columns, &symbols)?;
        Ok(Self {
            id,
            source,
            profile,
            symbols,
            value_columns,
            small,
        })
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
