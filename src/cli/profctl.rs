//! `profctl`: the tools as subcommands, pprof's text by default, `--json` for the payload.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{Args as ClapArgs, CommandFactory, FromArgMatches, Parser, Subcommand};

use super::CliError;
use crate::engine::Engine;
use crate::report::{pprof_text, write_atomically};
use crate::tools::pprof::combine::{self, BaseMode};
use crate::tools::pprof::{self, Granularity, ReportOptions, SourceOptions};
use crate::tools::ToolError;

#[derive(Parser, Debug)]
#[command(
    name = "profctl",
    version,
    about = "pprof analyses without Go: the profsql tools"
)]
pub struct Args {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// pprof parity tools.
    #[command(subcommand)]
    Pprof(PprofCommand),
}

#[derive(Subcommand, Debug)]
#[command(rename_all = "snake_case")]
pub enum PprofCommand {
    /// Flat and cum per node (`go tool pprof -top`).
    Top(TopArgs),
    /// Callers and callees of the nodes matching a regex (`go tool pprof -peek`).
    Peek(PeekArgs),
    /// Annotated source of the functions matching a regex (`go tool pprof -list`).
    List(ListArgs),
    /// Every sample's labels and stack (`go tool pprof -traces`).
    #[command(alias = "traces_head")]
    Traces(TracesArgs),
    /// The stacks of the samples through a function (`go tool pprof -traces -focus F`).
    FocusPaths(FocusPathsArgs),
    /// Sample value per label key and value (`go tool pprof -tags`).
    Tags(TagsArgs),
    /// Sample types, totals, header and label keys of a profile.
    Meta(MetaArgs),
    /// Merge profiles into one gzipped profile (`go tool pprof -proto P1 P2 ...`).
    Merge(MergeArgs),
    /// Per-function change between two profiles, in any unit, plus pprof's -diff_base top.
    DiffTop(DiffTopArgs),
}

/// Report options shared by the tools, with pprof's names.
#[derive(ClapArgs, Debug, Clone)]
#[command(rename_all = "snake_case")]
pub struct Opts {
    /// Sample type name or index (default: pprof's rule).
    #[arg(long)]
    pub sample_index: Option<String>,
    /// Average values over the first sample type (count).
    #[arg(long)]
    pub mean: bool,
    /// Keep samples with a frame matching this regex.
    #[arg(long, allow_hyphen_values = true)]
    pub focus: Option<String>,
    /// Drop samples with a frame matching this regex.
    #[arg(long, allow_hyphen_values = true)]
    pub ignore: Option<String>,
    /// Remove frames matching this regex.
    #[arg(long, allow_hyphen_values = true)]
    pub hide: Option<String>,
    /// Keep only frames matching this regex.
    #[arg(long, allow_hyphen_values = true)]
    pub show: Option<String>,
    /// Drop frames above the root-most frame matching this regex.
    #[arg(long, allow_hyphen_values = true)]
    pub show_from: Option<String>,
    /// Drop frames below the leaf-most frame matching this regex.
    #[arg(long, allow_hyphen_values = true)]
    pub prune_from: Option<String>,
    /// Keep samples whose labels match `[key=]regex,...` or a numeric range (`key=1kb:`).
    #[arg(long, alias = "tag_focus", allow_hyphen_values = true)]
    pub tagfocus: Option<String>,
    /// Drop samples whose labels match.
    #[arg(long, alias = "tag_ignore", allow_hyphen_values = true)]
    pub tagignore: Option<String>,
    /// Only consider label keys matching this regex.
    #[arg(long, alias = "tag_show", allow_hyphen_values = true)]
    pub tagshow: Option<String>,
    /// Ignore label keys matching this regex.
    #[arg(long, alias = "tag_hide", allow_hyphen_values = true)]
    pub taghide: Option<String>,
    /// Add frames named after these labels' values at the root (comma-separated keys).
    #[arg(long, allow_hyphen_values = true)]
    pub tagroot: Option<String>,
    /// Add frames named after these labels' values at the leaf (comma-separated keys).
    #[arg(long, allow_hyphen_values = true)]
    pub tagleaf: Option<String>,
    /// Percentages relative to the filtered total.
    #[arg(long)]
    pub relative_percentages: bool,
    /// Node granularity: functions, filefunctions, files, lines or addresses.
    #[arg(long, default_value = "functions")]
    pub granularity: String,
    /// Attribute inlined frames to the function they were inlined into.
    #[arg(long)]
    pub noinlines: bool,
    /// Hide nodes with negative values (diffs).
    #[arg(long)]
    pub drop_negative: bool,
    /// Prefix removed from the source paths recorded in the profile (':'-separated).
    #[arg(long)]
    pub trim_path: Option<String>,
    /// Source folder (repeatable): file names are shortened after its base name as pprof
    /// does; `list` searches it for sources (default: the working directory).
    #[arg(long, alias = "source_paths")]
    pub source_path: Vec<String>,
    /// Print the structured payload as JSON.
    #[arg(long)]
    pub json: bool,
}

impl Opts {
    fn options(&self) -> Result<ReportOptions, CliError> {
        Ok(ReportOptions {
            sample_index: self.sample_index.clone(),
            mean: self.mean,
            focus: self.focus.clone(),
            ignore: self.ignore.clone(),
            hide: self.hide.clone(),
            show: self.show.clone(),
            show_from: self.show_from.clone(),
            prune_from: self.prune_from.clone(),
            tagfocus: self.tagfocus.clone(),
            tagignore: self.tagignore.clone(),
            tagshow: self.tagshow.clone(),
            taghide: self.taghide.clone(),
            relative_percentages: self.relative_percentages,
            granularity: Granularity::parse(&self.granularity)?,
            noinlines: self.noinlines,
            drop_negative: self.drop_negative,
            trim_path: self.trim_path.clone(),
            source_path: self.source_path.clone(),
            ..ReportOptions::default()
        })
    }
}

/// The profile a report reads, optionally compared with bases.
#[derive(ClapArgs, Debug, Clone)]
#[command(rename_all = "snake_case")]
pub struct Common {
    /// Profile file (gzip, zstd or raw protobuf).
    #[arg(long)]
    pub profile: PathBuf,
    /// Subtract this profile (pprof's -base; repeatable): equal samples cancel.
    #[arg(long)]
    pub base: Vec<PathBuf>,
    /// Compare against this profile (pprof's -diff_base; repeatable): percentages are of
    /// the base's total.
    #[arg(long)]
    pub diff_base: Vec<PathBuf>,
    /// Scale the profile to the base's total before subtracting.
    #[arg(long)]
    pub normalize: bool,
    #[command(flatten)]
    pub opts: Opts,
}

impl Common {
    fn options(&self) -> Result<ReportOptions, CliError> {
        let mut o = self.opts.options()?;
        o.normalize = self.normalize;
        Ok(o)
    }
}

#[derive(ClapArgs, Debug)]
#[command(rename_all = "snake_case")]
pub struct TopArgs {
    #[command(flatten)]
    pub common: Common,
    /// Sort by cum.
    #[arg(long)]
    pub cum: bool,
    /// Show at most N nodes (0 = all).
    #[arg(long, default_value_t = 0)]
    pub nodecount: usize,
    /// Drop nodes whose cum is below this fraction of the total.
    #[arg(long, default_value_t = 0.005)]
    pub nodefraction: f64,
    /// Edge trimming fraction (kept for pprof compatibility; text reports show no edges).
    #[arg(long, default_value_t = 0.001)]
    pub edgefraction: f64,
}

#[derive(ClapArgs, Debug)]
#[command(rename_all = "snake_case")]
pub struct PeekArgs {
    #[command(flatten)]
    pub common: Common,
    /// Regex matched against node names.
    #[arg(long, allow_hyphen_values = true)]
    pub regex: String,
}

#[derive(ClapArgs, Debug)]
#[command(rename_all = "snake_case")]
pub struct ListArgs {
    #[command(flatten)]
    pub common: Common,
    /// Regex matched against function names.
    #[arg(long, allow_hyphen_values = true)]
    pub function: String,
    /// Repository root, searched for sources before any --source_path.
    #[arg(long)]
    pub repo_root: Option<String>,
}

#[derive(ClapArgs, Debug)]
#[command(rename_all = "snake_case")]
pub struct TracesArgs {
    #[command(flatten)]
    pub common: Common,
    /// Print at most N lines of text (0 = all).
    #[arg(long, alias = "max_lines", default_value_t = 200)]
    pub lines: usize,
    /// Keep at most N samples in the report (0 = all).
    #[arg(long, default_value_t = 0)]
    pub max_samples: usize,
}

#[derive(ClapArgs, Debug)]
#[command(rename_all = "snake_case")]
pub struct FocusPathsArgs {
    #[command(flatten)]
    pub common: Common,
    /// Regex of the function whose paths to show (pprof's -focus).
    #[arg(long, allow_hyphen_values = true)]
    pub function: String,
    /// Print at most N lines of text (0 = all).
    #[arg(long, alias = "max_lines", default_value_t = 200)]
    pub lines: usize,
    /// Keep at most N samples in the report (0 = all).
    #[arg(long, default_value_t = 0)]
    pub max_samples: usize,
}

#[derive(ClapArgs, Debug)]
#[command(rename_all = "snake_case")]
pub struct TagsArgs {
    #[command(flatten)]
    pub common: Common,
}

#[derive(ClapArgs, Debug)]
#[command(rename_all = "snake_case")]
pub struct MetaArgs {
    /// Profile file.
    #[arg(long)]
    pub profile: PathBuf,
    /// Print the structured payload as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(ClapArgs, Debug)]
#[command(rename_all = "snake_case")]
pub struct MergeArgs {
    /// Output file (gzipped profile.proto); written atomically.
    #[arg(long, alias = "output_path")]
    pub out: PathBuf,
    /// Profiles to merge (at least two).
    #[arg(required = true, num_args = 2..)]
    pub profiles: Vec<PathBuf>,
    /// Print the summary as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(ClapArgs, Debug)]
#[command(rename_all = "snake_case")]
pub struct DiffTopArgs {
    /// The earlier profile.
    #[arg(long)]
    pub before: PathBuf,
    /// The later profile.
    #[arg(long)]
    pub after: PathBuf,
    /// Compare cum instead of flat.
    #[arg(long)]
    pub cum: bool,
    /// Show at most N functions (0 = all).
    #[arg(long, default_value_t = 0)]
    pub nodecount: usize,
    #[command(flatten)]
    pub opts: Opts,
}

fn load(common: &Common) -> Result<(Engine, u32), CliError> {
    let (paths, mode) = match (common.base.is_empty(), common.diff_base.is_empty()) {
        (false, false) => {
            return Err(CliError::Usage(
                "--base and --diff_base cannot both be given".into(),
            ))
        }
        (true, _) => (&common.diff_base, BaseMode::Diff),
        (false, _) => (&common.base, BaseMode::Subtract),
    };
    let d = combine::Derivation {
        mode,
        normalize: common.normalize,
        tagroot: common.opts.tagroot.as_deref(),
        tagleaf: common.opts.tagleaf.as_deref(),
    };
    if paths.is_empty() && d.is_identity_without_bases() {
        // The profile as it is: its tables are built while it decodes.
        return Ok(Engine::from_env_loading(&common.profile)?);
    }
    let files: Vec<&Path> = std::iter::once(&common.profile)
        .chain(paths)
        .map(PathBuf::as_path)
        .collect();
    let (mut engine, mut decoded) = Engine::from_env_decoding(&files)?;
    let bases: Vec<&crate::decode::Profile> = decoded[1..].iter().collect();
    let (derived, warnings) = combine::derive(&decoded[0], &bases, &d)
        .map_err(|e| naming(e, std::iter::once(&common.profile).chain(paths)))?;
    for w in warnings {
        eprintln!("{w}");
    }
    decoded.truncate(1);
    let profile = match derived {
        Some(p) => p,
        None => decoded
            .pop()
            .ok_or_else(|| CliError::Usage("no profile".into()))?,
    };
    let id = engine.add_profile(common.profile.display().to_string(), profile)?;
    Ok((engine, id))
}

fn emit(text: &str, warnings: &[String]) -> Result<(), CliError> {
    for w in warnings {
        eprintln!("{w}");
    }
    let mut out = std::io::stdout().lock();
    reader_gone_is_fine(out.write_all(text.as_bytes()).and_then(|()| out.flush()))
}

/// A closed stdout (`profctl ... | head`) ends the output, as it does for other tools.
fn reader_gone_is_fine(r: std::io::Result<()>) -> Result<(), CliError> {
    match r {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

fn json<T: serde::Serialize>(v: &T) -> Result<String, CliError> {
    serde_json::to_string_pretty(v)
        .map(|s| s + "\n")
        .map_err(|e| CliError::Usage(format!("json: {e}")))
}

/// Text or JSON of a report.
fn render<T: serde::Serialize>(
    as_json: bool,
    r: &T,
    text: impl FnOnce(&T) -> String,
) -> Result<String, CliError> {
    if as_json {
        json(r)
    } else {
        Ok(text(r))
    }
}

/// What a command made, handed back to its caller once the output is written: a CLI about
/// to exit may leave it to the OS (`std::mem::forget`), which is faster than freeing a large
/// profile's tables piece by piece.
pub struct Leftovers {
    _held: Box<dyn std::any::Any>,
}

impl Leftovers {
    fn new<T: 'static>(value: T) -> Self {
        Self {
            _held: Box::new(value),
        }
    }
}

/// The command line for `argv` (program name first) when it names one of the dedicated
/// `pprof` subcommands: those parse with [`Args`] alone, so the registry (every tool's
/// spec and JSON schema, ~2 ms of a cold command before its file is even opened) need
/// not be built. None for any other command line.
pub fn dedicated_command(argv: &[std::ffi::OsString]) -> Option<clap::Command> {
    let [_, group, sub, ..] = argv else {
        return None;
    };
    let cmd = Args::command();
    let known = cmd
        .find_subcommand("pprof")
        .is_some_and(|p| p.find_subcommand(sub).is_some());
    (group == "pprof" && known).then_some(cmd)
}

/// profctl's whole command line: the dedicated subcommands plus the registry's (`tools`,
/// `call`, and one per tool without a dedicated subcommand).
pub fn command(registry: &crate::registry::Registry) -> clap::Command {
    super::tool_commands::augment(Args::command(), registry)
}

/// Runs what `command()` parsed.
pub async fn run_matches(
    m: clap::ArgMatches,
    registry: &crate::registry::Registry,
) -> Result<Leftovers, CliError> {
    if let Some(text) = super::tool_commands::run(&m, registry).await {
        let text = match text {
            Err(CliError::Failed { output, reason }) => {
                emit(&output, &[])?;
                return Err(CliError::Failed {
                    output: String::new(),
                    reason,
                });
            }
            t => t?,
        };
        emit(&text, &[])?;
        return Ok(Leftovers::new(()));
    }
    let args = Args::from_arg_matches(&m).map_err(|e| CliError::Usage(e.to_string()))?;
    run(args).await
}

pub async fn run(args: Args) -> Result<Leftovers, CliError> {
    let Command::Pprof(cmd) = args.command;
    match cmd {
        PprofCommand::Top(a) => {
            let mut o = a.common.options()?;
            o.cum = a.cum;
            o.nodecount = a.nodecount;
            o.nodefraction = a.nodefraction;
            o.edgefraction = a.edgefraction;
            let (engine, id) = load(&a.common)?;
            let r = pprof::top(&engine, id, &o).await?;
            emit(
                &render(a.common.opts.json, &r, pprof_text::top)?,
                &r.warnings,
            )?;
            Ok(Leftovers::new((engine, r)))
        }
        PprofCommand::Peek(a) => {
            let o = a.common.options()?;
            let (engine, id) = load(&a.common)?;
            let r = pprof::peek(&engine, id, &o, &a.regex).await?;
            emit(
                &render(a.common.opts.json, &r, pprof_text::peek)?,
                &r.warnings,
            )?;
            Ok(Leftovers::new((engine, r)))
        }
        PprofCommand::List(a) => {
            let o = a.common.options()?;
            let mut src = SourceOptions {
                source_path: a.repo_root.iter().cloned().collect(),
                trim_path: o.trim_path.clone().unwrap_or_default(),
                confine: None,
            };
            src.source_path.extend(o.source_path.iter().cloned());
            let (engine, id) = load(&a.common)?;
            let r = pprof::list(&engine, id, &o, &a.function, &src).await?;
            emit(
                &render(a.common.opts.json, &r, pprof_text::list)?,
                &r.warnings,
            )?;
            Ok(Leftovers::new((engine, r)))
        }
        PprofCommand::Traces(a) => {
            let o = a.common.options()?;
            traces(&a.common, &o, a.lines, a.max_samples).await
        }
        PprofCommand::FocusPaths(a) => {
            let mut o = a.common.options()?;
            o.focus = Some(pprof::traces::focus_with(&a.function, o.focus.take()));
            traces(&a.common, &o, a.lines, a.max_samples).await
        }
        PprofCommand::Tags(a) => {
            let o = a.common.options()?;
            let (engine, id) = load(&a.common)?;
            let r = pprof::tags(&engine, id, &o).await?;
            emit(
                &render(a.common.opts.json, &r, pprof_text::tags)?,
                &r.warnings,
            )?;
            Ok(Leftovers::new((engine, r)))
        }
        PprofCommand::Meta(a) => {
            let (mut engine, mut decoded) = Engine::from_env_decoding(&[&a.profile])?;
            let profile = decoded
                .pop()
                .ok_or_else(|| CliError::Usage("no profile".into()))?;
            let id = engine.add_profile(a.profile.display().to_string(), profile)?;
            let r = pprof::meta::meta(&engine, id).await?;
            emit(&render(a.json, &r, pprof_text::meta)?, &[])?;
            Ok(Leftovers::new((engine, r)))
        }
        PprofCommand::Merge(a) => merge(&a),
        PprofCommand::DiffTop(a) => {
            let mut o = a.opts.options()?;
            o.cum = a.cum;
            o.nodecount = a.nodecount;
            let (mut engine, decoded) = Engine::from_env_decoding(&[&a.before, &a.after])?;
            let [before, after]: [_; 2] = decoded
                .try_into()
                .map_err(|_| CliError::Usage("diff_top needs two profiles".into()))?;
            let ids = engine.add_profiles(vec![
                (a.before.display().to_string(), before),
                (a.after.display().to_string(), after),
            ])?;
            let [b, af]: [u32; 2] = ids
                .try_into()
                .map_err(|_| CliError::Usage("diff_top needs two profiles".into()))?;
            let r = pprof::diff_top::diff_top(&mut engine, b, af, &o).await?;
            emit(&render(a.opts.json, &r, pprof_text::diff_top)?, &r.warnings)?;
            Ok(Leftovers::new((engine, r)))
        }
    }
}

fn merge(a: &MergeArgs) -> Result<Leftovers, CliError> {
    // No engine: merging needs no SQL session.
    let paths: Vec<&Path> = a.profiles.iter().map(PathBuf::as_path).collect();
    let profiles = crate::engine::decode_all(&paths, &crate::engine::env_decode_options()?)?;
    let refs: Vec<&crate::decode::Profile> = profiles.iter().collect();
    let (bytes, r) = pprof::merge_files::merge(&refs).map_err(|e| naming(e, &a.profiles))?;
    write_atomically(&a.out, |f| Ok(f.write_all(&bytes)?))?;
    let message = format!("Merged {} profiles into {}", r.input_count, display(&a.out));
    let text = if a.json {
        json(&serde_json::json!({
            "output_path": display(&a.out),
            "input_count": r.input_count,
            "message": message,
            "result": r,
        }))?
    } else {
        format!("{message}\n")
    };
    emit(&text, &[])?;
    Ok(Leftovers::new((profiles, bytes)))
}

/// A tool error about several files, with the files named.
fn naming<'a>(e: ToolError, files: impl IntoIterator<Item = &'a PathBuf>) -> CliError {
    let names: Vec<String> = files.into_iter().map(|p| display(p)).collect();
    CliError::Usage(format!("{}: {e}", names.join(", ")))
}

fn display(p: &Path) -> String {
    p.display().to_string()
}

async fn traces(
    common: &Common,
    o: &ReportOptions,
    lines: usize,
    max_samples: usize,
) -> Result<Leftovers, CliError> {
    let (engine, id) = load(common)?;
    let r = pprof::traces(&engine, id, o, max_samples).await?;
    if common.opts.json {
        emit(&json(&r)?, &r.warnings)?;
        return Ok(Leftovers::new((engine, r)));
    }
    for w in &r.warnings {
        eprintln!("{w}");
    }
    // Streamed: all of a large profile's traces run to megabytes.
    let mut out = IoText::new(std::io::BufWriter::with_capacity(
        1 << 16,
        std::io::stdout().lock(),
    ));
    let mut head = pprof_text::Head::new(&mut out, lines);
    let written = pprof_text::write_traces(&mut head, &r).and_then(|()| head.finish().map(drop));
    out.done(written)?;
    Ok(Leftovers::new((engine, r)))
}

/// Text written through `std::fmt::Write` into an `io::Write`, keeping the first I/O error
/// (`fmt::Error` carries none).
struct IoText<W: Write> {
    inner: W,
    error: Option<std::io::Error>,
}

impl<W: Write> IoText<W> {
    fn new(inner: W) -> Self {
        Self { inner, error: None }
    }

    /// Flushes; the I/O error if writing failed.
    fn done(mut self, written: std::fmt::Result) -> Result<(), CliError> {
        if let Some(e) = self.error.take() {
            return reader_gone_is_fine(Err(e));
        }
        written.map_err(|_| CliError::Usage("could not format the report".into()))?;
        reader_gone_is_fine(self.inner.flush())
    }
}

impl<W: Write> std::fmt::Write for IoText<W> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.inner.write_all(s.as_bytes()).map_err(|e| {
            self.error.get_or_insert(e);
            std::fmt::Error
        })
    }
}

#[cfg(test)]
mod tests {
    use std::ffi::OsString;

    use clap::CommandFactory;

    use super::{command, dedicated_command, Args};
    use crate::registry::Registry;

    fn argv(words: &[&str]) -> Vec<OsString> {
        words.iter().map(OsString::from).collect()
    }

    #[test]
    fn only_dedicated_pprof_subcommands_skip_the_registry() {
        for sub in [
            "top",
            "peek",
            "list",
            "traces",
            "traces_head",
            "focus_paths",
            "tags",
            "meta",
            "merge",
            "diff_top",
        ] {
            assert!(
                dedicated_command(&argv(&["profctl", "pprof", sub, "--x"])).is_some(),
                "{sub}"
            );
        }
        for words in [
            &["profctl"][..],
            &["profctl", "pprof"],
            &["profctl", "tools"],
            &["profctl", "pprof", "callgraph"],
            &["profctl", "top", "pprof"],
            &["profctl", "pprof", "--help"],
        ] {
            assert!(dedicated_command(&argv(words)).is_none(), "{words:?}");
        }
    }

    #[test]
    fn dedicated_subcommands_parse_alike_with_and_without_the_registry() {
        // The fast path must accept and render exactly what the full command line does.
        let full = command(&Registry::new());
        let full = full.find_subcommand("pprof").expect("pprof group");
        let alone = Args::command();
        let alone = alone.find_subcommand("pprof").expect("pprof group");
        for sub in alone.get_subcommands() {
            let name = sub.get_name();
            let other = full.find_subcommand(name).expect(name);
            assert_eq!(
                sub.clone().render_long_help().to_string(),
                other.clone().render_long_help().to_string(),
                "{name}"
            );
        }
    }
}
