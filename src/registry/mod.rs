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
            handler: |ctx, a| Box::pin($handler(ctx, a)),
        }
    };
}

mod args;
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
    handler: Handler,
}

/// What calls share: the loaded profiles and the path rule.
pub struct Context {
    pub store: ProfileStore,
    pub paths: PathPolicy,
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
        Self { store, paths }
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
        tools.extend(visual_tools::specs());
        tools.extend(profile_tools::specs());
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

/// The profctl command that gives the same result: `profctl <group> <tool> --key value`.
/// Output limits are left out (they only shape MCP text).
fn command_line(tool: &str, args: &JsonObject) -> String {
    let mut words: Vec<String> = vec!["profctl".into()];
    words.extend(tool.split('.').map(str::to_string));
    let skip = ["max_lines", "max_bytes", "truncate_strategy"];
    for (k, v) in args.iter().filter(|(k, _)| !skip.contains(&k.as_str())) {
        let flag = format!("--{k}");
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
