//! profctl's commands over the tool registry, so the CLI and the MCP server never drift:
//! `profctl tools` lists every tool, `profctl call TOOL [JSON|@FILE]` runs any of them,
//! and each tool without a dedicated subcommand is `profctl <group> <tool> --<param>
//! VALUE ...`, its flags built from the tool's input schema (booleans are bare flags;
//! arrays repeat the flag or take JSON text; objects are JSON text or @FILE).

use std::sync::Arc;

use clap::{Arg, ArgAction, ArgMatches, Command};
use serde_json::{Map, Value};

use super::CliError;
use crate::registry::{cli_path, Context, PathPolicy, ProfileStore, Registry, ToolOutput};

/// Tools whose profctl subcommands are written by hand (pprof's own flag shapes).
pub const DEDICATED: [&str; 9] = [
    "pprof.top",
    "pprof.peek",
    "pprof.list",
    "pprof.traces_head",
    "pprof.focus_paths",
    "pprof.tags",
    "pprof.meta",
    "pprof.merge",
    "pprof.diff_top",
];

/// Adds `leaf` under the subcommand path `groups`, creating the groups on the way.
fn add_nested(cmd: Command, groups: &[String], leaf: Command) -> Command {
    let Some((first, rest)) = groups.split_first() else {
        return cmd.subcommand(leaf);
    };
    if cmd.find_subcommand(first).is_some() {
        cmd.mut_subcommand(first, |g| add_nested(g, rest, leaf))
    } else {
        let group = Command::new(first.clone())
            .about(format!("{first} tools"))
            .subcommand_required(true);
        cmd.subcommand(add_nested(group, rest, leaf))
    }
}

fn types(prop: &Value) -> Vec<String> {
    match prop.get("type") {
        Some(Value::String(t)) => vec![t.clone()],
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .map(String::from)
            .collect(),
        _ => Vec::new(),
    }
}

fn flag_for(name: &str, prop: &Value, required: bool) -> Arg {
    let help = prop
        .get("description")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let mut arg = Arg::new(name.to_string()).long(name.to_string()).help(help);
    // The original profctl's spelling.
    if name == "out_dir" {
        arg = arg.visible_alias("out");
    }
    let t = types(prop);
    if t.iter().any(|t| t == "boolean") {
        return arg.action(ArgAction::SetTrue);
    }
    // Values may start with '-' (negative numbers, regexes).
    let arg = arg.allow_hyphen_values(true).required(required);
    if t.iter().any(|t| t == "array") {
        arg.action(ArgAction::Append)
    } else {
        arg.action(ArgAction::Set)
    }
}

/// The subcommand of one tool, flags from its schema.
fn tool_command(sub: &str, spec: &crate::registry::ToolSpec) -> Command {
    let required: Vec<&str> = spec
        .input_schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let mut cmd = Command::new(sub.to_string())
        .about(
            spec.description
                .lines()
                .next()
                .unwrap_or_default()
                .to_string(),
        )
        .arg(
            Arg::new("json")
                .long("json")
                .action(ArgAction::SetTrue)
                .help("Print the structured payload as JSON"),
        );
    if let Some(props) = spec
        .input_schema
        .get("properties")
        .and_then(Value::as_object)
    {
        for (name, prop) in props {
            cmd = cmd.arg(flag_for(name, prop, required.contains(&name.as_str())));
        }
    }
    cmd
}

/// profctl's clap command with `tools`, `call` and the schema-built subcommands added.
pub fn augment(mut cmd: Command, registry: &Registry) -> Command {
    cmd = cmd
        .subcommand(
            Command::new("tools")
                .about("List every tool (the MCP server's list), with --json their schemas")
                .arg(Arg::new("json").long("json").action(ArgAction::SetTrue)),
        )
        .subcommand(
            Command::new("call")
                .about("Run any tool with JSON arguments, as an MCP client would")
                .arg(
                    Arg::new("tool")
                        .required(true)
                        .help("Tool name, e.g. pprof.top"),
                )
                .arg(Arg::new("arguments").help("JSON object, or @FILE holding one (default {})"))
                .arg(Arg::new("json").long("json").action(ArgAction::SetTrue)),
        );
    for spec in registry.tools() {
        if DEDICATED.contains(&spec.name) {
            continue;
        }
        let path = cli_path(spec.name);
        let Some((leaf, groups)) = path.split_last() else {
            continue;
        };
        cmd = add_nested(cmd, groups, tool_command(leaf, spec));
    }
    cmd
}

fn json_text(flag: &str, text: &str) -> Result<Value, CliError> {
    let body = match text.strip_prefix('@') {
        Some(file) => std::fs::read_to_string(file)
            .map_err(|e| CliError::Usage(format!("--{flag} @{file}: {e}")))?,
        None => text.to_string(),
    };
    serde_json::from_str(&body).map_err(|e| CliError::Usage(format!("--{flag}: not JSON: {e}")))
}

/// A flag's text as the JSON value the schema asks for.
fn value_of(flag: &str, prop: &Value, text: &str) -> Result<Value, CliError> {
    let t = types(prop);
    if t.iter().any(|t| t == "string") {
        return Ok(Value::String(text.to_string()));
    }
    if t.iter()
        .any(|t| t == "integer" || t == "number" || t == "object")
    {
        return json_text(flag, text);
    }
    // A union without a type (e.g. a handle or a list of them): JSON when it looks like
    // a list or an object.
    if t.is_empty() && (text.trim_start().starts_with('[') || text.trim_start().starts_with('{')) {
        return json_text(flag, text);
    }
    // Either a number or a name (sample_index): a number when it reads as one.
    Ok(serde_json::from_str::<Value>(text)
        .ok()
        .filter(Value::is_number)
        .unwrap_or_else(|| Value::String(text.to_string())))
}

fn arguments_from(
    m: &ArgMatches,
    spec: &crate::registry::ToolSpec,
) -> Result<Map<String, Value>, CliError> {
    let mut args = Map::new();
    let Some(props) = spec
        .input_schema
        .get("properties")
        .and_then(Value::as_object)
    else {
        return Ok(args);
    };
    for (name, prop) in props {
        let t = types(prop);
        if t.iter().any(|t| t == "boolean") {
            if m.get_flag(name) {
                args.insert(name.clone(), Value::Bool(true));
            }
        } else if t.iter().any(|t| t == "array") {
            let Some(values) = m.get_many::<String>(name) else {
                continue;
            };
            let values: Vec<&String> = values.collect();
            let items = prop.get("items").cloned().unwrap_or(Value::Null);
            let list = match values.as_slice() {
                [one] if one.trim_start().starts_with('[') || one.starts_with('@') => {
                    json_text(name, one)?
                }
                many => Value::Array(
                    many.iter()
                        .map(|v| value_of(name, &items, v))
                        .collect::<Result<_, _>>()?,
                ),
            };
            args.insert(name.clone(), list);
        } else if let Some(v) = m.get_one::<String>(name) {
            args.insert(name.clone(), value_of(name, prop, v)?);
        }
    }
    Ok(args)
}

fn print(out: &ToolOutput, as_json: bool) -> String {
    let pretty = serde_json::to_string_pretty(&out.payload).unwrap_or_default();
    if as_json {
        return pretty + "\n";
    }
    match out.payload.get("raw").and_then(Value::as_str) {
        Some(raw) => raw.to_string(),
        // A tool that wrote a file: its summary says where; --json has the details.
        None if out.payload.get("output_path").is_some() => format!("{}\n", out.summary),
        None => format!("{}\n\n{pretty}\n", out.summary),
    }
}

/// Runs a registry command if `m` is one; None for profctl's dedicated commands.
pub async fn run(m: &ArgMatches, registry: &Registry) -> Option<Result<String, CliError>> {
    let (name, sub) = m.subcommand()?;
    if name == "tools" {
        return Some(Ok(list(registry, sub.get_flag("json"))));
    }
    let (tool, args, as_json) = if name == "call" {
        let tool = sub.get_one::<String>("tool").cloned().unwrap_or_default();
        let args = match sub.get_one::<String>("arguments") {
            Some(text) => match json_text("arguments", text) {
                Ok(Value::Object(o)) => o,
                Ok(_) => {
                    return Some(Err(CliError::Usage(
                        "arguments must be a JSON object".into(),
                    )))
                }
                Err(e) => return Some(Err(e)),
            },
            None => Map::new(),
        };
        (tool, args, sub.get_flag("json"))
    } else {
        // Down the subcommands to the tool's own.
        let mut words = vec![name.to_string()];
        let mut tm = sub;
        while let Some((w, next)) = tm.subcommand() {
            words.push(w.to_string());
            tm = next;
        }
        let spec = registry
            .tools()
            .iter()
            .find(|s| !DEDICATED.contains(&s.name) && cli_path(s.name) == words)?;
        match arguments_from(tm, spec) {
            Ok(args) => (spec.name.to_string(), args, tm.get_flag("json")),
            Err(e) => return Some(Err(e)),
        }
    };
    Some(call(registry, &tool, args, as_json).await)
}

async fn call(
    registry: &Registry,
    tool: &str,
    args: Map<String, Value>,
    as_json: bool,
) -> Result<String, CliError> {
    let ctx = Context::new(ProfileStore::from_env()?, PathPolicy::open())
        .with_progress(Arc::new(super::progress::Bar::stderr()));
    let out = registry.call(Arc::new(ctx), tool, args).await?;
    let text = print(&out, as_json);
    // A verdict tool (regression_check) that failed: print the report, then exit 1.
    if out.payload.get("passed") == Some(&Value::Bool(false)) {
        return Err(CliError::Failed {
            output: text,
            reason: out.summary,
        });
    }
    Ok(text)
}

fn list(registry: &Registry, as_json: bool) -> String {
    if as_json {
        let tools: Vec<Value> = registry
            .tools()
            .iter()
            .map(|t| {
                serde_json::json!({
                    "name": t.name,
                    "description": t.description,
                    "input_schema": t.input_schema,
                })
            })
            .collect();
        return serde_json::to_string_pretty(&tools).unwrap_or_default() + "\n";
    }
    let mut out = String::new();
    for t in registry.tools() {
        let line = t.description.lines().next().unwrap_or_default();
        // The first sentence: some descriptions go on with a schema.
        let first = line.split_once(". ").map_or(line, |(s, _)| s);
        out.push_str(&format!("{:<20} {first}\n", t.name));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Output limits only shape MCP text; profctl prints everything.
    const MCP_ONLY: [&str; 3] = ["max_lines", "max_bytes", "truncate_strategy"];

    #[test]
    fn every_tool_is_a_profctl_command_taking_its_parameters() {
        let registry = Registry::new();
        let cmd = super::super::profctl::command(&registry);
        for spec in registry.tools() {
            let mut path = cli_path(spec.name);
            if spec.name == "pprof.traces_head" {
                path = vec!["pprof".into(), "traces".into()];
            }
            let mut found = &cmd;
            for w in &path {
                found = found
                    .find_subcommand(w)
                    .unwrap_or_else(|| panic!("{} has no profctl command", spec.name));
            }
            let (group, sub) = (&path[0], path.last().unwrap());
            let props = spec.input_schema["properties"].as_object().unwrap();
            for name in props.keys().filter(|k| !MCP_ONLY.contains(&k.as_str())) {
                let takes = found.get_arguments().any(|a| {
                    a.get_id() == name.as_str()
                        || a.get_long() == Some(name.as_str())
                        || a.get_all_aliases()
                            .is_some_and(|al| al.contains(&name.as_str()))
                });
                assert!(
                    takes,
                    "profctl {group} {sub} lacks --{name} ({})",
                    spec.name
                );
            }
        }
    }
}
