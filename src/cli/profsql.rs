//! `profsql`: one-shot SQL, the interactive shell, raw `top`, and Parquet export.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::{Parser, Subcommand};

use super::CliError;
use crate::engine::{Engine, QueryResult};
use crate::report::{self, OutputFormat};
use crate::tools::top::{self, TopOptions};

#[derive(Parser, Debug)]
#[command(
    name = "profsql",
    version,
    about = "SQL over pprof profiles (Apache DataFusion)",
    long_about = "Loads pprof profiles (gzip, zstd or raw protobuf) as tables: profiles, sample_types, \
samples, frames, stacks, labels, locations, lines, functions, mappings. With -e, runs the SQL and \
prints the result; without, starts an interactive shell.",
    args_conflicts_with_subcommands = true
)]
pub struct Args {
    /// Profiles to load (profile ids 0, 1, ... in this order).
    pub profiles: Vec<PathBuf>,
    /// SQL to run (one or more statements separated by `;`); without it, an interactive shell.
    #[arg(short = 'e', long = "execute", allow_hyphen_values = true)]
    pub execute: Option<String>,
    /// Output format.
    #[arg(long, default_value = "table", value_parser = parse_format)]
    pub format: OutputFormat,
    /// Write the result to this file (atomically) instead of standard output.
    #[arg(short = 'o', long = "output")]
    pub output: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Flat and cum of every function as raw integers (pprof functions granularity,
    /// untrimmed), sorted like `go tool pprof -top`.
    Top {
        profile: PathBuf,
        /// Sample type: name (e.g. alloc_space) or index; default as pprof chooses.
        #[arg(long = "sample_index", alias = "sample-index")]
        sample_index: Option<String>,
        /// Sort by cum.
        #[arg(long)]
        cum: bool,
        #[arg(long, default_value = "table", value_parser = parse_format)]
        format: OutputFormat,
    },
    /// Write every table as Parquet, one file per table, into DIR.
    Export {
        #[arg(long)]
        out: PathBuf,
        #[arg(required = true)]
        profiles: Vec<PathBuf>,
    },
}

fn parse_format(s: &str) -> Result<OutputFormat, String> {
    s.parse()
}

fn load_all(engine: &mut Engine, paths: &[PathBuf]) -> Result<(), CliError> {
    for p in paths {
        engine.load_file(p)?;
    }
    Ok(())
}

/// Prints results to stdout, or to `output` through a temporary file and a rename.
fn emit(
    results: &[QueryResult],
    format: OutputFormat,
    output: Option<&Path>,
) -> Result<(), CliError> {
    match output {
        Some(path) => report::write_atomically(path, |file| {
            let mut w = std::io::BufWriter::new(file);
            for r in results {
                report::write_result(r, format, &mut w)?;
            }
            w.flush()?;
            Ok(())
        })?,
        None => {
            let stdout = std::io::stdout();
            let mut w = std::io::BufWriter::new(stdout.lock());
            for r in results {
                report::write_result(r, format, &mut w)?;
            }
            w.flush()?;
        }
    }
    Ok(())
}

pub async fn run(args: Args) -> Result<(), CliError> {
    let mut engine = Engine::from_env()?;
    match args.command {
        Some(Command::Top {
            profile,
            sample_index,
            cum,
            format,
        }) => {
            let id = engine.load_file(&profile)?;
            let result = top::top(&engine, id, &TopOptions { sample_index, cum }).await?;
            let stdout = std::io::stdout();
            let mut w = std::io::BufWriter::new(stdout.lock());
            if format == OutputFormat::Json {
                serde_json::to_writer_pretty(&mut w, &result)
                    .map_err(|e| CliError::Usage(e.to_string()))?;
                writeln!(w)?;
            } else {
                report::write_result(&top::rows_as_table(&result)?, format, &mut w)?;
            }
            w.flush()?;
            Ok(())
        }
        Some(Command::Export { out, profiles }) => {
            load_all(&mut engine, &profiles)?;
            let started = Instant::now();
            let written = report::parquet::export_tables(&engine, &out).await?;
            for t in &written {
                eprintln!("{}: {} rows -> {}", t.table, t.rows, t.path.display());
            }
            eprintln!(
                "exported {} tables in {:.2?}",
                written.len(),
                started.elapsed()
            );
            Ok(())
        }
        None => {
            load_all(&mut engine, &args.profiles)?;
            match args.execute {
                Some(sql) => {
                    let results = engine.sql_script(&sql).await?;
                    emit(&results, args.format, args.output.as_deref())
                }
                None => {
                    if args.output.is_some() {
                        return Err(CliError::Usage("-o needs -e".into()));
                    }
                    super::repl::run(engine, args.format).await
                }
            }
        }
    }
}
