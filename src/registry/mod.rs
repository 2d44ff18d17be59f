//! The tool registry: each tool's name, description, input schema and handler, in one
//! place. The MCP server lists and calls tools from here, and profctl's `tools` and
//! `call` read the same list, so the two never drift. Input and output are JSON; nothing
//! here knows about MCP.

/// Writes `bytes` to an already checked output path, atomically, creating its folder.
fn write_file(out: &std::path::Path, bytes: &[u8]) -> Result<(), CallError> {
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| CallError::invalid(format!("{}: {e}", dir.display())))?;
    }
    // The error names the path already.
    crate::report::write_atomically(out, |f| Ok(std::io::Write::write_all(f, bytes)?))
        .map_err(|e| CallError::invalid(e.to_string()))
}

/// A `ToolSpec` whose input schema comes from `$args` and whose description ends with an
/// example call; `writes` marks tools that write files.
macro_rules! tool_spec {
    ($name:literal, $args:ty, $handler:ident, $writes:expr, $desc:expr, $example:expr) => {
        ToolSpec {
            name: $name,
            description: format!("{}\n\nExample: {}", $desc, $example),
            input_schema: args::schema_of::<$args>(),
            output_schema: None,
            writes: $writes,
            open_world: false,
            handler: |ctx, a| Box::pin($handler(ctx, a)),
        }
    };
}

mod analysis_tools;
mod args;
mod datadog_tools;
mod download_tools;
mod downloads;
mod error;
pub mod paths;
mod pprof_tools;
mod profile_tools;
pub mod store;
pub mod truncate;
mod visual_tools;

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;

use serde::Serialize;
use serde_json::{json, Map, Value};

pub use error::{CallError, ErrorCode};
pub use paths::PathPolicy;
pub use store::ProfileStore;

use crate::engine::Engine;
use crate::sources::datadog::{DatadogClient, DatadogConfig};
use crate::sources::{Progress, Quiet};
use crate::tables::LoadedProfile;

pub type JsonObject = Map<String, Value>;

/// A successful call: a one-line summary and the structured payload.
#[derive(Clone, Debug)]
pub struct ToolOutput {
    pub summary: String,
    pub payload: Value,
}

impl ToolOutput {
    fn new(summary: impl Into<String>, payload: impl Serialize) -> Result<Self, CallError> {
        Ok(Self {
            summary: summary.into(),
            payload: serde_json::to_value(payload)
                .map_err(|e| CallError::internal(format!("payload: {e}")))?,
        })
    }

    /// A regex that matched nothing: a result the agent can act on, not an error.
    fn no_match(tool: &str, pattern: &str) -> Self {
        let hint = "Try a broader regex (e.g., (?i)GetLimits), or use pprof.top with focus to \
                    find the exact function name.";
        Self {
            summary: format!("no matches found for regexp: {pattern}. Hint: {hint}"),
            payload: json!({
                "matched": false,
                "reason": "no_matches",
                "tool": tool,
                "hint": hint,
                "pattern": pattern,
            }),
        }
    }
}

type HandlerFuture = Pin<Box<dyn Future<Output = Result<ToolOutput, CallError>> + Send>>;
type Handler = fn(Arc<Context>, JsonObject) -> HandlerFuture;

pub struct ToolSpec {
    pub name: &'static str,
    pub description: String,
    pub input_schema: JsonObject,
    /// The payload's schema, for tools whose payload has one fixed shape.
    pub output_schema: Option<JsonObject>,
    /// True for tools that write files (`output_path`, `out_dir`); the rest only read.
    pub writes: bool,
    /// True for tools that reach other systems (Datadog, live endpoints, kubectl).
    pub open_world: bool,
    handler: Handler,
}

/// What calls share: the loaded profiles, the path rule, the Datadog clients (one per
/// site, so their rate limits hold across calls) and how downloads report progress.
pub struct Context {
    pub store: ProfileStore,
    pub paths: PathPolicy,
    datadog: std::sync::Mutex<std::collections::HashMap<String, Arc<DatadogClient>>>,
    progress: Arc<dyn Progress>,
}

impl Context {
    /// Writes `bytes` atomically to the output path argument `field` (under the output
    /// policy, creating folders); returns the real path.
    pub(crate) fn write_output(
        &self,
        field: &str,
        given: &str,
        bytes: &[u8],
    ) -> Result<PathBuf, CallError> {
        let out = self.paths.output(field, given)?;
        write_file(&out, bytes).map_err(|e| e.field(field))?;
        Ok(out.canonicalize().unwrap_or(out))
    }

    pub fn new(store: ProfileStore, paths: PathPolicy) -> Self {
        Self {
            store,
            paths,
            datadog: Default::default(),
            progress: Arc::new(Quiet),
        }
    }

    /// Reports download progress through `progress` (profctl draws bars).
    pub fn with_progress(mut self, progress: Arc<dyn Progress>) -> Self {
        self.progress = progress;
        self
    }

    pub fn progress(&self) -> &dyn Progress {
        self.progress.as_ref()
    }

    /// Uses `config` for Datadog calls without a `site` argument (tests point it at a
    /// local server; the server and profctl read the environment instead).
    pub fn with_datadog_config(self, config: DatadogConfig) -> Result<Self, CallError> {
        let client = Arc::new(DatadogClient::new(config)?);
        self.datadog
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(String::new(), client);
        Ok(self)
    }

    /// The Datadog client for `site` (None: `DD_SITE` or the default), configured from
    /// the environment on first use.
    pub fn datadog(&self, site: Option<&str>) -> Result<Arc<DatadogClient>, CallError> {
        let key = site.unwrap_or_default().to_string();
        let mut clients = self.datadog.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(c) = clients.get(&key) {
            return Ok(Arc::clone(c));
        }
        let client = Arc::new(DatadogClient::new(DatadogConfig::from_env(site)?)?);
        clients.insert(key, Arc::clone(&client));
        Ok(client)
    }

    /// From the environment (`PPROF_MCP_BASEDIR`, `PPROF_MCP_CACHE_BYTES`,
    /// `PROFSQL_MAX_DECOMPRESSED`).
    pub fn from_env() -> Result<Self, CallError> {
        Ok(Self::new(
            ProfileStore::from_env()?,
            PathPolicy::from_env()?,
        ))
    }

    /// A profile argument (a path or a handle) as a file to read.
    pub fn resolve(&self, field: &str, given: &str) -> Result<PathBuf, CallError> {
        if given.starts_with(store::HANDLE_PREFIX) {
            let path = self.store.path_of(given).map_err(|e| e.field(field))?;
            // Checked again: the file may have been replaced by a link since.
            return self.paths.input(field, &path.display().to_string());
        }
        self.paths.input(field, given)
    }

    /// A profile argument, decoded (or from the cache).
    pub fn profile(&self, field: &str, given: &str) -> Result<Arc<LoadedProfile>, CallError> {
        let path = self.resolve(field, given)?;
        Ok(self.store.load(&path).map_err(|e| e.field(field))?.1)
    }

    /// Several profile arguments, decoded (or from the cache), in order.
    pub fn profiles(
        &self,
        field: &str,
        given: &[String],
    ) -> Result<Vec<Arc<LoadedProfile>>, CallError> {
        given.iter().map(|g| self.profile(field, g)).collect()
    }

    /// An engine over some loaded profiles (cheap: tables are shared, not copied).
    fn engine_with(&self, profiles: &[&Arc<LoadedProfile>]) -> Result<Engine, CallError> {
        let mut engine = Engine::new(self.store.decode_options());
        for lp in profiles {
            // The same profile named twice (a path and its handle) is added once.
            if engine.profile(lp.id).is_err() {
                engine.add_loaded(Arc::clone(lp))?;
            }
        }
        Ok(engine)
    }
}

/// Every tool, sorted by name.
pub struct Registry {
    tools: Vec<ToolSpec>,
}

impl Default for Registry {
    fn default() -> Self {
        Self::new()
    }
}

impl Registry {
    pub fn new() -> Self {
        let mut tools = pprof_tools::specs();
        tools.extend(analysis_tools::specs());
        tools.extend(visual_tools::specs());
        tools.extend(profile_tools::specs());
        // These reach other systems.
        let remote = datadog_tools::specs()
            .into_iter()
            .chain(download_tools::specs());
        tools.extend(remote.map(|t| ToolSpec {
            open_world: true,
            ..t
        }));
        tools.sort_by(|a, b| a.name.cmp(b.name));
        Self { tools }
    }

    pub fn tools(&self) -> &[ToolSpec] {
        &self.tools
    }

    pub fn get(&self, name: &str) -> Option<&ToolSpec> {
        self.tools.iter().find(|t| t.name == name)
    }

    /// Checks the arguments against the tool's schema and runs it.
    pub async fn call(
        &self,
        ctx: Arc<Context>,
        name: &str,
        args: JsonObject,
    ) -> Result<ToolOutput, CallError> {
        let spec = self.get(name).ok_or_else(|| {
            CallError::not_found(format!("unknown tool {name:?}"))
                .hint("list the tools to see their names")
        })?;
        args::check(&spec.input_schema, &args)?;
        (spec.handler)(ctx, args).await
    }
}

/// The profctl subcommand words of a tool: its dotted name split, except where profctl
/// follows the original's command names (`profctl download`, `profctl datadog profiles
/// compare-range`, `profctl datadog metrics at`).
pub fn cli_path(tool: &str) -> Vec<String> {
    let fixed: &[&str] = match tool {
        "profiles.download" => &["download"],
        "datadog.profiles.compare_range" => &["datadog", "profiles", "compare-range"],
        "datadog.profiles.near_event" => &["datadog", "profiles", "near-event"],
        "datadog.function_history" => &["datadog", "profiles", "function-history"],
        "datadog.metrics_at_timestamp" => &["datadog", "metrics", "at"],
        _ => &[],
    };
    if fixed.is_empty() {
        tool.split('.').map(str::to_string).collect()
    } else {
        fixed.iter().map(|s| s.to_string()).collect()
    }
}

/// Arguments whose values may hold secrets: their keys are shown, their values are not.
const SECRET_VALUES: [&str; 1] = ["headers"];

/// The profctl command that gives the same result: `profctl <group> <tool> --key value`.
/// Output limits are left out (they only shape MCP text).
fn command_line(tool: &str, args: &JsonObject) -> String {
    let mut words: Vec<String> = vec!["profctl".into()];
    words.extend(cli_path(tool));
    let skip = ["max_lines", "max_bytes", "truncate_strategy"];
    for (k, v) in args.iter().filter(|(k, _)| !skip.contains(&k.as_str())) {
        let flag = format!("--{k}");
        let masked;
        let v = match v {
            Value::Object(o) if SECRET_VALUES.contains(&k.as_str()) => {
                masked = Value::Object(o.keys().map(|key| (key.clone(), json!("***"))).collect());
                &masked
            }
            other => other,
        };
        match v {
            Value::Bool(true) => words.push(flag),
            Value::Bool(false) | Value::Null => {}
            Value::Array(items) => {
                for item in items {
                    words.push(flag.clone());
                    words.push(shell_quote(&plain(item)));
                }
            }
            other => {
                words.push(flag);
                words.push(shell_quote(&plain(other)));
            }
        }
    }
    words.join(" ")
}

fn plain(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn shell_quote(s: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "-_./:=@%+,".contains(c);
    if !s.is_empty() && s.chars().all(safe) {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_lines_quote_what_a_shell_would_split() {
        let args: JsonObject = serde_json::from_str(
            r#"{"profile":"a b.pb.gz","cum":true,"mean":false,"nodecount":5,"source_path":["x","y"],"max_lines":3}"#,
        )
        .unwrap();
        assert_eq!(
            command_line("pprof.top", &args),
            "profctl pprof top --cum --nodecount 5 --profile 'a b.pb.gz' --source_path x --source_path y"
        );
    }

    #[test]
    fn command_lines_hide_header_values_and_follow_profctl_paths() {
        let args: JsonObject = serde_json::from_str(
            r#"{"url":"http://h:6060","headers":{"Authorization":"Bearer s3cret"}}"#,
        )
        .unwrap();
        let line = command_line("profiles.download", &args);
        assert_eq!(
            line,
            r#"profctl download --headers '{"Authorization":"***"}' --url http://h:6060"#
        );
        assert_eq!(
            cli_path("datadog.metrics_at_timestamp"),
            ["datadog", "metrics", "at"]
        );
        assert_eq!(cli_path("pprof.top"), ["pprof", "top"]);
    }

    #[test]
    fn every_schema_refuses_unknown_keys_and_names_are_sorted() {
        let r = Registry::new();
        let names: Vec<&str> = r.tools().iter().map(|t| t.name).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(names, sorted);
        for t in r.tools() {
            assert_eq!(t.input_schema["type"], "object", "{}", t.name);
            assert_eq!(t.input_schema["additionalProperties"], false, "{}", t.name);
            assert!(t.description.contains("Example:"), "{}", t.name);
            if let Some(o) = &t.output_schema {
                assert_eq!(o["type"], "object", "{}", t.name);
            }
        }
    }
}
