//! The query engine: a DataFusion session holding every loaded profile's tables.

pub mod canned;
mod ordered;

use std::path::Path;
use std::sync::Arc;

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::error::ArrowError;
use datafusion::datasource::MemTable;
use datafusion::error::DataFusionError;
use datafusion::prelude::{SessionConfig, SessionContext};

pub use canned::{CannedQuery, Param};

use crate::decode::{self, DecodeError, DecodeOptions, Profile};
use crate::tables::{
    LazyKind, LazyTable, LoadedProfile, OnDemandTable, ON_DEMAND_TABLES, SMALL_TABLES,
};

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Decode(#[from] DecodeError),
    #[error("{0}")]
    DataFusion(#[from] DataFusionError),
    #[error("{0}")]
    Arrow(#[from] ArrowError),
    #[error("{0}")]
    Query(String),
    #[error("no profile with id {0} is loaded")]
    UnknownProfile(u32),
}

impl From<crate::tables::LoadError> for EngineError {
    fn from(e: crate::tables::LoadError) -> Self {
        match e {
            crate::tables::LoadError::Decode(e) => Self::Decode(e),
            crate::tables::LoadError::Arrow(e) => Self::Arrow(e),
        }
    }
}

/// The result of a query: its schema (also when there are no rows) and its batches.
#[derive(Debug, Clone)]
pub struct QueryResult {
    pub schema: SchemaRef,
    pub batches: Vec<RecordBatch>,
}

impl QueryResult {
    pub fn num_rows(&self) -> usize {
        self.batches.iter().map(RecordBatch::num_rows).sum()
    }
}

/// Profiles plus the SQL session over them. Profile ids are assigned 0, 1, 2, ... in load
/// order. A clone shares the session and the profiles (for running queries on other
/// threads at once).
#[derive(Clone)]
pub struct Engine {
    ctx: SessionContext,
    profiles: Vec<Arc<LoadedProfile>>,
    decode_options: DecodeOptions,
    /// The id the next decoded profile gets: ids stay unique when profiles are removed or
    /// brought in already loaded.
    next_id: u32,
}

/// The decoding options of `PROFSQL_MAX_DECOMPRESSED` (the default cap when unset).
pub fn env_decode_options() -> Result<DecodeOptions, EngineError> {
    DecodeOptions::from_env().map_err(|reason| {
        EngineError::Decode(DecodeError {
            path: decode::MAX_DECOMPRESSED_ENV.to_string(),
            reason,
        })
    })
}

/// The cores this process may use, read once (each read opens the cgroup's CPU files).
fn cores() -> usize {
    static CORES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// `work` on each of `items`, as many at once as there are cores, a thread each (a lone
/// item runs here); results in the order of `items`, or the first error. `what` names
/// the work in the error of a thread that panicked.
fn on_cores<I: Send, T: Send>(
    items: Vec<I>,
    what: &str,
    work: impl Fn(I) -> Result<T, EngineError> + Sync,
) -> Result<Vec<T>, EngineError> {
    let mut out = Vec::with_capacity(items.len());
    let mut items = items.into_iter().peekable();
    while items.peek().is_some() {
        let group: Vec<I> = items.by_ref().take(cores()).collect();
        if group.len() == 1 {
            out.extend(
                group
                    .into_iter()
                    .map(&work)
                    .collect::<Result<Vec<_>, _>>()?,
            );
            continue;
        }
        std::thread::scope(|scope| {
            let work = &work;
            let handles: Vec<_> = group
                .into_iter()
                .map(|item| scope.spawn(move || work(item)))
                .collect();
            for h in handles {
                let t = h
                    .join()
                    .map_err(|_| EngineError::Query(format!("a {what} thread panicked")))?;
                out.push(t?);
            }
            Ok::<(), EngineError>(())
        })?;
    }
    Ok(out)
}

/// Decodes several files, as many at once as there are cores (inflating is
/// single-threaded); profiles in the order of `paths`, or the first error.
pub fn decode_all(paths: &[&Path], opts: &DecodeOptions) -> Result<Vec<Profile>, EngineError> {
    on_cores(paths.to_vec(), "decoding", |p| {
        Ok(decode::decode_file(p, opts)?)
    })
}

impl Engine {
    pub fn new(decode_options: DecodeOptions) -> Self {
        let partitions = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2);
        let config = SessionConfig::new()
            .with_target_partitions(partitions)
            .with_information_schema(true);
        let ctx = SessionContext::new_with_config(config);
        profsql_udfs::register_all(&ctx);
        let mut engine = Self {
            ctx,
            profiles: Vec::new(),
            decode_options,
            next_id: 0,
        };
        // Empty tables exist from the start so queries and `\d` work before any load.
        if let Err(e) = engine.register() {
            // Registering empty tables cannot fail for valid schemas; keep the engine usable.
            debug_assert!(false, "registering empty tables failed: {e}");
        }
        engine
    }

    /// An engine whose decompression cap comes from `PROFSQL_MAX_DECOMPRESSED`.
    pub fn from_env() -> Result<Self, EngineError> {
        Ok(Self::new(env_decode_options()?))
    }

    /// [`Engine::from_env`] plus `paths` decoded with its options (see [`decode_all`]),
    /// built side by side when a core is free: a new DataFusion session takes milliseconds
    /// that a one-shot command would otherwise spend waiting before it decodes. With a file
    /// per core, decoding already keeps every core busy and overlapping was slower.
    pub fn from_env_decoding(paths: &[&Path]) -> Result<(Self, Vec<Profile>), EngineError> {
        let opts = env_decode_options()?;
        Self::new_beside(opts, paths.len() < cores(), |opts| decode_all(paths, opts))
    }

    /// [`Engine::from_env`] with `path` loaded as profile 0, decoded and flattened while the
    /// session is created when a core is free; its symbol tables are built while its
    /// samples are finished (see [`LoadedProfile::decode_file`]).
    pub fn from_env_loading(path: &Path) -> Result<(Self, u32), EngineError> {
        let opts = env_decode_options()?;
        let (mut engine, loaded) = Self::new_beside(opts, cores() >= 2, |opts| {
            Ok(LoadedProfile::decode_file(0, path, opts)?)
        })?;
        let id = engine.add_loaded(Arc::new(loaded))?;
        Ok((engine, id))
    }

    /// A new engine and the result of `load`, run on another thread while the session is
    /// created when `overlap`, else first (an error then creates no session).
    fn new_beside<T: Send>(
        opts: DecodeOptions,
        overlap: bool,
        load: impl FnOnce(&DecodeOptions) -> Result<T, EngineError> + Send,
    ) -> Result<(Self, T), EngineError> {
        if !overlap {
            let loaded = load(&opts)?;
            return Ok((Self::new(opts), loaded));
        }
        std::thread::scope(|scope| {
            let loading = scope.spawn(|| load(&opts));
            let engine = Self::new(opts);
            let loaded = loading
                .join()
                .map_err(|_| EngineError::Query("a decoding thread panicked".into()))??;
            Ok((engine, loaded))
        })
    }

    pub fn session(&self) -> &SessionContext {
        &self.ctx
    }

    pub fn profiles(&self) -> &[Arc<LoadedProfile>] {
        &self.profiles
    }

    pub fn profile(&self, id: u32) -> Result<&Arc<LoadedProfile>, EngineError> {
        self.profiles
            .iter()
            .find(|p| p.id == id)
            .ok_or(EngineError::UnknownProfile(id))
    }

    /// Decodes a file and adds it to every table (its symbol tables built while its samples
    /// are finished). Returns its profile id.
    pub fn load_file(&mut self, path: &Path) -> Result<u32, EngineError> {
        let lp = LoadedProfile::decode_file(self.next_id, path, &self.decode_options)?;
        self.add_loaded(Arc::new(lp))
    }

    /// Decodes a file with this engine's options without adding it (to merge first).
    pub fn decode_file(&self, path: &Path) -> Result<Profile, EngineError> {
        Ok(decode::decode_file(path, &self.decode_options)?)
    }

    /// Decodes several files with this engine's options (see [`decode_all`]).
    pub fn decode_files(&self, paths: &[&Path]) -> Result<Vec<Profile>, EngineError> {
        decode_all(paths, &self.decode_options)
    }

    /// The id the next added profile gets (a profile built elsewhere can be given it).
    pub fn next_profile_id(&self) -> u32 {
        self.next_id
    }

    /// Adds an already decoded profile. Returns its profile id.
    pub fn add_profile(&mut self, source: String, profile: Profile) -> Result<u32, EngineError> {
        let id = self.next_id;
        self.add_loaded(Arc::new(LoadedProfile::new(id, source, profile)?))
    }

    /// Adds several decoded profiles, flattened side by side when there are cores for it
    /// (a profile's flattening keeps about one core busy). Returns their ids in order.
    pub fn add_profiles(
        &mut self,
        profiles: Vec<(String, Profile)>,
    ) -> Result<Vec<u32>, EngineError> {
        let first = self.next_id;
        let jobs = profiles
            .into_iter()
            .enumerate()
            .map(|(k, job)| {
                let id = u32::try_from(k).ok().and_then(|k| first.checked_add(k));
                id.map(|id| (id, job))
                    .ok_or_else(|| EngineError::Query("too many profiles loaded".into()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let loaded = on_cores(jobs, "flattening", |(id, (source, profile))| {
            Ok(LoadedProfile::new(id, source, profile)?)
        })?;
        loaded
            .into_iter()
            .map(|lp| self.add_loaded(Arc::new(lp)))
            .collect()
    }

    /// Adds a profile loaded elsewhere (a cache shared by several engines), under its own
    /// id. Returns that id.
    pub fn add_loaded(&mut self, lp: Arc<LoadedProfile>) -> Result<u32, EngineError> {
        let id = lp.id;
        if self.profiles.iter().any(|p| p.id == id) {
            return Err(EngineError::Query(format!(
                "a profile with id {id} is already loaded"
            )));
        }
        self.next_id = id
            .checked_add(1)
            .map(|n| n.max(self.next_id))
            .ok_or_else(|| EngineError::Query("too many profiles loaded".into()))?;
        self.profiles.push(lp);
        if let Err(e) = self.register() {
            self.profiles.pop();
            let _ = self.register();
            return Err(e);
        }
        Ok(id)
    }

    /// Sample-type columns across all profiles, in order of first appearance.
    fn value_columns(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for lp in &self.profiles {
            for c in &lp.value_columns {
                if !out.contains(c) {
                    out.push(c.clone());
                }
            }
        }
        out
    }

    /// (Re)registers every table over the current profile list. Cheap: the big tables are
    /// generated at scan time and the small ones are shared batches.
    fn register(&mut self) -> Result<(), EngineError> {
        for name in SMALL_TABLES {
            let schema = crate::tables::schema::small_schema(name);
            let batches: Vec<RecordBatch> = self
                .profiles
                .iter()
                .flat_map(|lp| lp.small.iter().filter(|(n, _)| *n == name))
                .map(|(_, b)| b.clone())
                .collect();
            let table = MemTable::try_new(schema, vec![batches])?;
            self.ctx.deregister_table(name)?;
            self.ctx.register_table(name, Arc::new(table))?;
        }
        for name in ON_DEMAND_TABLES {
            let table = OnDemandTable::new(name, self.profiles.clone());
            self.ctx.deregister_table(name)?;
            self.ctx.register_table(name, Arc::new(table))?;
        }
        let value_columns = self.value_columns();
        for kind in LazyKind::ALL {
            let table = LazyTable::new(kind, &value_columns, self.profiles.clone());
            self.ctx.deregister_table(kind.table_name())?;
            self.ctx
                .register_table(kind.table_name(), Arc::new(table))?;
        }
        Ok(())
    }

    /// Names of the profile tables, sorted.
    pub fn table_names(&self) -> Vec<String> {
        let mut names: Vec<String> = SMALL_TABLES
            .iter()
            .chain(ON_DEMAND_TABLES.iter())
            .map(|s| s.to_string())
            .chain(LazyKind::ALL.iter().map(|k| k.table_name().to_string()))
            .collect();
        names.sort();
        names
    }

    /// Schema of a registered table (profile tables or any table the user created).
    pub async fn table_schema(&self, name: &str) -> Result<SchemaRef, EngineError> {
        let table = self.ctx.table_provider(name).await?;
        Ok(table.schema())
    }

    /// Columns of a table as a result with columns `column`, `type`, `nullable`.
    pub async fn describe_table(&self, name: &str) -> Result<QueryResult, EngineError> {
        use datafusion::arrow::array::{BooleanArray, StringArray};
        use datafusion::arrow::datatypes::{DataType, Field, Schema};
        let schema = self.table_schema(name).await?;
        let out = Arc::new(Schema::new(vec![
            Field::new("column", DataType::Utf8, false),
            Field::new("type", DataType::Utf8, false),
            Field::new("nullable", DataType::Boolean, false),
        ]));
        let fields = schema.fields();
        let batch = RecordBatch::try_new(
            out.clone(),
            vec![
                Arc::new(StringArray::from_iter_values(
                    fields.iter().map(|f| f.name().clone()),
                )),
                Arc::new(StringArray::from_iter_values(
                    fields.iter().map(|f| f.data_type().to_string()),
                )),
                Arc::new(BooleanArray::from_iter(
                    fields.iter().map(|f| Some(f.is_nullable())),
                )),
            ],
        )?;
        Ok(QueryResult {
            schema: out,
            batches: vec![batch],
        })
    }

    /// Runs one SQL statement and collects its result.
    pub async fn sql(&self, query: &str) -> Result<QueryResult, EngineError> {
        collect(&self.ctx, query).await
    }

    /// Runs every statement of a script (statements separated by `;`), in order.
    pub async fn sql_script(&self, script: &str) -> Result<Vec<QueryResult>, EngineError> {
        let statements = datafusion::sql::parser::DFParser::parse_sql(script)?;
        let mut out = Vec::with_capacity(statements.len());
        for statement in statements {
            let state = self.ctx.state();
            let plan = state.statement_to_plan(statement).await?;
            let df = self.ctx.execute_logical_plan(plan).await?;
            let schema: SchemaRef = Arc::new(df.schema().as_arrow().clone());
            let batches = df.collect().await?;
            out.push(QueryResult { schema, batches });
        }
        Ok(out)
    }

    /// Runs one SQL statement and returns its result as a stream of batches, for outputs
    /// too large to hold at once.
    pub async fn sql_stream(
        &self,
        query: &str,
    ) -> Result<(SchemaRef, datafusion::execution::SendableRecordBatchStream), EngineError> {
        let df = self.ctx.sql(query).await?;
        let schema: SchemaRef = Arc::new(df.schema().as_arrow().clone());
        Ok((schema, df.execute_stream().await?))
    }

    /// Runs one SQL statement in a copy of the session that also knows `udfs`: functions
    /// scoped to one request (such as a tool's per-sample filter masks), invisible to
    /// every other query.
    pub async fn sql_with_udfs(
        &self,
        query: &str,
        udfs: &[datafusion::logical_expr::ScalarUDF],
    ) -> Result<QueryResult, EngineError> {
        if udfs.is_empty() {
            return self.sql(query).await;
        }
        collect(&with_udfs(self.ctx.state(), udfs), query).await
    }

    /// `sql`, remembered on `lp`: for a query that reads only that profile and whose text
    /// alone decides its result (no per-call UDFs).
    pub async fn sql_memoized(
        &self,
        lp: &LoadedProfile,
        query: &str,
    ) -> Result<QueryResult, EngineError> {
        if let Some((schema, batches)) = lp.memo_get(query) {
            return Ok(QueryResult { schema, batches });
        }
        let r = self.sql(query).await?;
        lp.memo_put(query, (r.schema.clone(), r.batches.clone()));
        Ok(r)
    }

    /// Like `sql_with_udfs`, on one partition: for a query whose ORDER BY is the lazy
    /// tables' own row order (profile, sample, depth), which then needs neither a sort nor
    /// a merge of partitions (a merge copies every row; traces read millions of frames).
    pub async fn sql_in_table_order(
        &self,
        query: &str,
        udfs: &[datafusion::logical_expr::ScalarUDF],
    ) -> Result<QueryResult, EngineError> {
        let started = std::time::Instant::now();
        let df = with_udfs(self.ctx.state(), udfs).sql(query).await?;
        let schema: SchemaRef = Arc::new(df.schema().as_arrow().clone());
        let task = Arc::new(df.task_ctx());
        let plan = df.create_physical_plan().await?;
        // Every partition at once when the plan allows (see `ordered`), else on one.
        if let Some(batches) = ordered::collect_concatenated(&plan, &task).await? {
            log_query(query, started);
            return Ok(QueryResult { schema, batches });
        }
        let mut state = self.ctx.state();
        state.config_mut().options_mut().execution.target_partitions = 1;
        collect(&with_udfs(state, udfs), query).await
    }

    /// Renders and runs a canned query.
    pub async fn run_canned(
        &self,
        query: &CannedQuery,
        params: &[(&str, Param)],
    ) -> Result<QueryResult, EngineError> {
        let sql = query.render(params)?;
        self.sql(&sql).await
    }
}

/// A session over `state` that also knows `udfs`.
fn with_udfs(
    state: datafusion::execution::SessionState,
    udfs: &[datafusion::logical_expr::ScalarUDF],
) -> SessionContext {
    let ctx = SessionContext::new_with_state(state);
    for udf in udfs {
        ctx.register_udf(udf.clone());
    }
    ctx
}

async fn collect(ctx: &SessionContext, query: &str) -> Result<QueryResult, EngineError> {
    let started = std::time::Instant::now();
    let df = ctx.sql(query).await?;
    let schema: SchemaRef = Arc::new(df.schema().as_arrow().clone());
    let batches = df.collect().await?;
    log_query(query, started);
    Ok(QueryResult { schema, batches })
}

/// With `PROFSQL_QUERY_TIMES` set, each query's time and first comment line go to stderr
/// (for finding slow canned queries; never on stdout, which MCP stdio owns).
fn log_query(query: &str, started: std::time::Instant) {
    if std::env::var_os("PROFSQL_QUERY_TIMES").is_none() {
        return;
    }
    let first = query
        .lines()
        .find(|l| l.trim_start().starts_with("--"))
        .or_else(|| query.lines().next())
        .unwrap_or("");
    let first: String = first.chars().take(90).collect();
    eprintln!(
        "[{:>7.1} ms] {first}",
        started.elapsed().as_secs_f64() * 1e3
    );
}
