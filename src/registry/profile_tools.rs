//! Tools beyond the original: `profiles.load` (handles for files) and `sql.query`
//! (read-only SQL over every loaded profile).

use std::sync::Arc;
use std::time::Duration;

use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::execution::SendableRecordBatchStream;
use datafusion::logical_expr::LogicalPlan;
use datafusion::prelude::SQLOptions;
use futures::StreamExt;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::{args, CallError, Context, ErrorCode, JsonObject, ToolOutput, ToolSpec};
use crate::engine::QueryResult;
use crate::report::{write_result, OutputFormat};

#[derive(Deserialize, JsonSchema)]
struct LoadArgs {
    /// Profile files to decode and keep in memory (paths, or handles to reload).
    #[schemars(length(min = 1))]
    profiles: Vec<String>,
}

#[derive(Serialize, JsonSchema)]
struct Loaded {
    /// `handle:` + 16 hex: pass it as `profile` to the other tools.
    handle: String,
    /// The file, resolved.
    path: String,
    /// The profile's id in sql.query tables.
    profile_id: u32,
    samples: usize,
    /// `type/unit` of each sample type.
    sample_types: Vec<String>,
}

#[derive(Serialize, JsonSchema)]
struct LoadPayload {
    profiles: Vec<Loaded>,
}

async fn load(ctx: Arc<Context>, raw: JsonObject) -> Result<ToolOutput, CallError> {
    let a: LoadArgs = args::parse(raw)?;
    let mut loaded = Vec::new();
    for p in &a.profiles {
        let path = ctx.resolve("profiles", p)?;
        let (handle, lp) = ctx.store.load(&path).map_err(|e| e.field("profiles"))?;
        let types: Vec<String> = (0..lp.profile.sample_types.len())
            .map(|i| {
                format!(
                    "{}/{}",
                    lp.profile.sample_type_name(i),
                    lp.profile.sample_type_unit(i)
                )
            })
            .collect();
        loaded.push(Loaded {
            handle,
            path: path.display().to_string(),
            profile_id: lp.id,
            samples: lp.profile.samples.len(),
            sample_types: types,
        });
    }
    let summary = format!(
        "Loaded {} profile{}; pass the handles as `profile` to other tools, or query profile_id in sql.query.",
        loaded.len(),
        if loaded.len() == 1 { "" } else { "s" }
    );
    ToolOutput::new(summary, LoadPayload { profiles: loaded })
}

#[derive(Deserialize, JsonSchema)]
struct ExportArgs {
    /// Profiles to export (paths or handles); their rows keep distinct profile_ids.
    #[schemars(length(min = 1))]
    profiles: Vec<String>,
    /// Folder to write `<table>.parquet` into (created if missing).
    out_dir: String,
}

async fn export(ctx: Arc<Context>, raw: JsonObject) -> Result<ToolOutput, CallError> {
    let a: ExportArgs = args::parse(raw)?;
    let dir = ctx.paths.output("out_dir", &a.out_dir)?;
    let loaded = ctx.profiles("profiles", &a.profiles)?;
    let refs: Vec<&Arc<crate::tables::LoadedProfile>> = loaded.iter().collect();
    let engine = ctx.engine_with(&refs)?;
    let tables = crate::report::parquet::export_tables(&engine, &dir)
        .await
        .map_err(|e| CallError::invalid(format!("{}: {e}", dir.display())).field("out_dir"))?;
    let summary = format!(
        "Wrote {} Parquet files for {} profile{} into {}",
        tables.len(),
        loaded.len(),
        if loaded.len() == 1 { "" } else { "s" },
        dir.display()
    );
    ToolOutput::new(
        summary,
        json!({ "out_dir": dir.display().to_string(), "tables": tables }),
    )
}

const DEFAULT_MAX_ROWS: u64 = 1000;
const DEFAULT_TIMEOUT_MS: u64 = 30_000;

#[derive(Deserialize, JsonSchema)]
struct SqlArgs {
    /// One SELECT (or WITH ... SELECT, EXPLAIN, SHOW, DESCRIBE) over the tables below.
    query: String,
    /// Rows to return at most (default 1000); the result says when more were left out.
    #[schemars(range(min = 1, max = 100000))]
    max_rows: Option<u64>,
    /// Give up after this many milliseconds (default 30000).
    #[schemars(range(min = 1, max = 600000))]
    timeout_ms: Option<u64>,
}

/// Refuses plans that read anything but the profile tables: a table function or a table
/// name that is a file path could read the disk.
fn check_sources(plan: &LogicalPlan, allowed: &[String]) -> Result<(), CallError> {
    let mut bad: Option<String> = None;
    let walk = plan.apply_with_subqueries(|node| {
        if let LogicalPlan::TableScan(scan) = node {
            let name = scan.table_name.table().to_string();
            let schema = scan.table_name.schema().unwrap_or("public");
            let ours = allowed.contains(&name) && schema == "public";
            if !(ours || schema == "information_schema") {
                bad = Some(scan.table_name.to_string());
                return Ok(TreeNodeRecursion::Stop);
            }
        }
        Ok(TreeNodeRecursion::Continue)
    });
    walk.map_err(|e| CallError::internal(e.to_string()))?;
    match bad {
        Some(t) => Err(CallError::invalid(format!(
            "sql.query reads only the profile tables; {t:?} is not one of them"
        ))
        .field("query")
        .hint(format!("tables: {}", allowed.join(", ")))),
        None => Ok(()),
    }
}

async fn take_rows(
    mut stream: SendableRecordBatchStream,
    max_rows: usize,
) -> Result<(QueryResult, bool), CallError> {
    let schema = stream.schema();
    let (mut batches, mut rows, mut truncated) = (Vec::new(), 0usize, false);
    while let Some(batch) = stream.next().await {
        let batch = batch.map_err(|e| CallError::invalid(e.to_string()).field("query"))?;
        let room = max_rows - rows;
        if batch.num_rows() > room {
            batches.push(batch.slice(0, room));
            truncated = true;
            break;
        }
        rows += batch.num_rows();
        batches.push(batch);
    }
    Ok((QueryResult { schema, batches }, truncated))
}

#[derive(Serialize, JsonSchema)]
struct Column {
    name: String,
    /// Arrow data type.
    r#type: String,
}

#[derive(Serialize, JsonSchema)]
struct SqlPayload {
    columns: Vec<Column>,
    /// One object per row, keyed by column name.
    rows: Vec<serde_json::Map<String, Value>>,
    row_count: usize,
    /// More rows than max_rows were left out.
    truncated: bool,
}

async fn sql(ctx: Arc<Context>, raw: JsonObject) -> Result<ToolOutput, CallError> {
    let a: SqlArgs = args::parse(raw)?;
    let max_rows = usize::try_from(a.max_rows.unwrap_or(DEFAULT_MAX_ROWS)).unwrap_or(usize::MAX);
    let timeout = Duration::from_millis(a.timeout_ms.unwrap_or(DEFAULT_TIMEOUT_MS));
    let loaded = ctx.store.loaded();
    let refs: Vec<&Arc<crate::tables::LoadedProfile>> = loaded.iter().collect();
    let engine = ctx.engine_with(&refs)?;
    let options = SQLOptions::new()
        .with_allow_ddl(false)
        .with_allow_dml(false)
        .with_allow_statements(false);
    let refused = |e: datafusion::error::DataFusionError| {
        CallError::invalid(format!("sql.query: {e}"))
            .field("query")
            .hint("only read-only queries over the profile tables are allowed")
    };
    let run = async {
        let df = engine
            .session()
            .sql_with_options(&a.query, options)
            .await
            .map_err(refused)?;
        check_sources(df.logical_plan(), &engine.table_names())?;
        let stream = df.execute_stream().await.map_err(refused)?;
        take_rows(stream, max_rows).await
    };
    let (result, truncated) = tokio::time::timeout(timeout, run).await.map_err(|_| {
        CallError::new(
            ErrorCode::Canceled,
            format!("sql.query gave up after {} ms", timeout.as_millis()),
        )
        .hint("raise timeout_ms or narrow the query")
    })??;
    let mut json_rows = Vec::new();
    write_result(&result, OutputFormat::Json, &mut json_rows)
        .map_err(|e| CallError::internal(format!("sql.query result: {e}")))?;
    let rows: Vec<serde_json::Map<String, Value>> = serde_json::from_slice(&json_rows)
        .map_err(|e| CallError::internal(format!("sql.query result: {e}")))?;
    let columns: Vec<Column> = result
        .schema
        .fields()
        .iter()
        .map(|f| Column {
            name: f.name().clone(),
            r#type: f.data_type().to_string(),
        })
        .collect();
    let n = result.num_rows();
    let summary = format!(
        "sql.query: {n} row{}{}",
        if n == 1 { "" } else { "s" },
        if truncated {
            format!(" (first {max_rows}; raise max_rows for more)")
        } else {
            String::new()
        }
    );
    ToolOutput::new(
        summary,
        SqlPayload {
            columns,
            rows,
            row_count: n,
            truncated,
        },
    )
}

const SQL_DESCRIPTION: &str = "Read-only SQL (Apache DataFusion dialect) over every profile \
loaded with profiles.load; every table has profile_id (given by profiles.load). Tables: \
profiles (source, sample_types, default_sample_type, period, time_nanos, duration_nanos, ...), \
sample_types (sample_index, type, unit, column_name), samples (sample_id, location_ids leaf \
first, values, stack_id (equal for equal location_ids), and one Int64 column per sample type \
named after it, e.g. cpu, samples, \
alloc_space, inuse_space; `value` is the default type), frames (one row per sample and frame: \
depth 0 = leaf, function_name, file, line, is_inline, first_in_stack (sum over it for cum), \
location_id, and the value columns), stacks (stack = function names root first, depth, value \
columns), labels (sample_id, key, str, num, num_unit), locations, lines, functions, mappings. \
UDFs: stack_contains(stack, regex), stack_position, frame_at, leaf, root, stack_slice, \
fold_stack, is_app_frame, format_value(v, unit). DDL, DML, COPY, SET and reading files are \
refused.";

pub(super) fn specs() -> Vec<ToolSpec> {
    vec![
        ToolSpec {
            name: "profiles.load",
            description: "Decode profile files once and keep them in memory; returns a handle \
                          per file for the other tools' `profile` argument and its profile_id \
                          for sql.query.\n\nExample: {\"profiles\": [\"cpu.pb.gz\", \"heap.pb.gz\"]}"
                .to_string(),
            input_schema: args::schema_of::<LoadArgs>(),
            output_schema: Some(args::output_schema_of::<LoadPayload>()),
            writes: false,
            open_world: false,
            handler: |ctx, a| Box::pin(load(ctx, a)),
        },
        ToolSpec {
            name: "profiles.export",
            description: "Write every table of some profiles as Parquet, one file per table, \
                          for notebooks (pandas, polars, DuckDB); the files keep profile_id.\n\n\
                          Example: {\"profiles\": [\"cpu.pb.gz\"], \"out_dir\": \"parquet\"}"
                .to_string(),
            input_schema: args::schema_of::<ExportArgs>(),
            output_schema: None,
            writes: true,
            open_world: false,
            handler: |ctx, a| Box::pin(export(ctx, a)),
        },
        ToolSpec {
            name: "sql.query",
            description: format!(
                "{SQL_DESCRIPTION}\n\nExample: {{\"query\": \"SELECT function_name, sum(value) AS flat \
                 FROM frames WHERE depth = 0 GROUP BY 1 ORDER BY flat DESC LIMIT 10\"}}"
            ),
            input_schema: args::schema_of::<SqlArgs>(),
            output_schema: Some(args::output_schema_of::<SqlPayload>()),
            writes: false,
            open_world: false,
            handler: |ctx, a| Box::pin(sql(ctx, a)),
        },
    ]
}
