//! profsql: pprof profiles as Arrow tables, queried with SQL on Apache DataFusion.
//!
//! Layers, each depending only on the ones below it: the front doors (`cli`, `mcp`) ->
//! `registry` (every tool's name, schema and handler, JSON in and out) -> `report` (output
//! formats) and `sources` (Datadog, net/http/pprof, kubectl downloads) -> `tools` (canned
//! queries) -> `engine` (DataFusion session) -> `tables` (Arrow flattening) -> `decode`
//! (pprof parsing).

pub mod cli;
pub mod decode;
pub mod engine;
pub mod mcp;
pub mod registry;
pub mod report;
pub mod sources;
pub mod tables;
pub mod tools;

pub use datafusion;
pub use engine::{Engine, EngineError, QueryResult};
