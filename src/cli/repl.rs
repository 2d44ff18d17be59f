//! The interactive shell: statements end with `;` and may span lines; backslash commands
//! inspect tables and load profiles.

use std::borrow::Cow;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use rustyline::completion::{Completer, Pair};
use rustyline::error::ReadlineError;
use rustyline::history::DefaultHistory;
use rustyline::{Context, Editor, Helper, Highlighter, Hinter, Validator};

use super::CliError;
use crate::engine::Engine;
use crate::report::{self, OutputFormat};

const HELP: &str = "\
SQL statements end with ';' and may span several lines.
  \\d            list tables
  \\d TABLE      describe a table's columns
  \\load PATH    load another profile
  \\timing       toggle query timing
  \\?            this help
  \\q            quit (also Ctrl-D)";

const META_COMMANDS: [&str; 5] = ["\\d", "\\load", "\\timing", "\\?", "\\q"];

/// Completes table names, column names and backslash commands.
#[derive(Helper, Hinter, Highlighter, Validator, Default)]
struct ReplHelper {
    words: Vec<String>,
}

impl Completer for ReplHelper {
    type Candidate = Pair;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        let head = &line[..pos];
        let start = head
            .rfind(|c: char| !(c.is_alphanumeric() || c == '_' || c == '\\'))
            .map_or(0, |i| i + 1);
        let word = &head[start..];
        if word.is_empty() {
            return Ok((pos, Vec::new()));
        }
        let candidates: Vec<Pair> = if word.starts_with('\\') {
            META_COMMANDS
                .iter()
                .filter(|c| c.starts_with(word))
                .map(|c| Pair {
                    display: c.to_string(),
                    replacement: c.to_string(),
                })
                .collect()
        } else {
            let lower = word.to_lowercase();
            self.words
                .iter()
                .filter(|w| w.to_lowercase().starts_with(&lower))
                .map(|w| Pair {
                    display: w.clone(),
                    replacement: w.clone(),
                })
                .collect()
        };
        Ok((start, candidates))
    }
}

/// Table and column names for completion, sorted and deduplicated.
async fn completion_words(engine: &Engine) -> Vec<String> {
    let mut words = Vec::new();
    for table in engine.table_names() {
        if let Ok(schema) = engine.table_schema(&table).await {
            words.extend(schema.fields().iter().map(|f| f.name().clone()));
        }
        words.push(table);
    }
    words.sort();
    words.dedup();
    words
}

fn history_path() -> Option<PathBuf> {
    dirs::data_dir().map(|d| d.join("profsql").join("history.txt"))
}

struct Shell {
    engine: Engine,
    format: OutputFormat,
    timing: bool,
}

impl Shell {
    fn print_error(e: impl std::fmt::Display) {
        eprintln!("Error: {e}");
    }

    async fn run_sql(&self, sql: &str) {
        let started = Instant::now();
        match self.engine.sql_script(sql).await {
            Ok(results) => {
                let stdout = std::io::stdout();
                let mut w = stdout.lock();
                for r in &results {
                    if let Err(e) = report::write_result(r, self.format, &mut w) {
                        Self::print_error(e);
                    }
                    let n = r.num_rows();
                    let _ = writeln!(w, "{n} row{}", if n == 1 { "" } else { "s" });
                }
                let _ = w.flush();
            }
            Err(e) => Self::print_error(e),
        }
        if self.timing {
            eprintln!("Time: {:.3} ms", started.elapsed().as_secs_f64() * 1e3);
        }
    }

    /// Runs a backslash command. Returns false when the shell should exit.
    async fn meta(&mut self, line: &str, helper_words: &mut Vec<String>) -> bool {
        let mut parts = line.splitn(2, char::is_whitespace);
        let cmd = parts.next().unwrap_or("");
        let arg = parts.next().map(str::trim).unwrap_or("");
        match cmd {
            "\\q" => return false,
            "\\?" | "\\h" => println!("{HELP}"),
            "\\timing" => {
                self.timing = !self.timing;
                println!("Timing is {}.", if self.timing { "on" } else { "off" });
            }
            "\\d" if arg.is_empty() => {
                for t in self.engine.table_names() {
                    println!("{t}");
                }
            }
            "\\d" => match self.engine.describe_table(arg.trim_end_matches(';')).await {
                Ok(r) => {
                    let mut out = std::io::stdout();
                    if let Err(e) = report::write_result(&r, OutputFormat::Table, &mut out) {
                        Self::print_error(e);
                    }
                }
                Err(e) => Self::print_error(e),
            },
            "\\load" if arg.is_empty() => Self::print_error("\\load needs a path"),
            "\\load" => match self.engine.load_file(Path::new(arg)) {
                Ok(id) => {
                    println!("loaded {arg} as profile_id {id}");
                    *helper_words = completion_words(&self.engine).await;
                }
                Err(e) => Self::print_error(e),
            },
            _ => Self::print_error(format!("unknown command {cmd}; \\? lists commands")),
        }
        true
    }
}

pub async fn run(engine: Engine, format: OutputFormat) -> Result<(), CliError> {
    let mut rl: Editor<ReplHelper, DefaultHistory> =
        Editor::new().map_err(|e| CliError::Readline(e.to_string()))?;
    let mut words = completion_words(&engine).await;
    rl.set_helper(Some(ReplHelper {
        words: words.clone(),
    }));
    let history = history_path();
    if let Some(h) = &history {
        // No history yet is normal on a first run.
        let _ = rl.load_history(h);
    }
    let mut shell = Shell {
        engine,
        format,
        timing: false,
    };
    eprintln!(
        "profsql: {} profile(s) loaded. \\? for help, \\q to quit.",
        shell.engine.profiles().len()
    );
    let mut buffer = String::new();
    loop {
        let prompt = if buffer.is_empty() {
            "profsql> "
        } else {
            "     ..> "
        };
        match rl.readline(prompt) {
            Ok(line) => {
                let trimmed = line.trim();
                if buffer.is_empty() {
                    if trimmed.is_empty() {
                        continue;
                    }
                    if trimmed.starts_with('\\') {
                        let _ = rl.add_history_entry(trimmed);
                        let before = words.len();
                        if !shell.meta(trimmed, &mut words).await {
                            break;
                        }
                        if words.len() != before {
                            rl.set_helper(Some(ReplHelper {
                                words: words.clone(),
                            }));
                        }
                        continue;
                    }
                    if matches!(trimmed, "quit" | "exit") {
                        break;
                    }
                }
                buffer.push_str(&line);
                buffer.push('\n');
                if trimmed.ends_with(';') {
                    let statement: Cow<str> = Cow::Owned(buffer.trim().to_string());
                    let _ = rl.add_history_entry(statement.as_ref());
                    shell.run_sql(&statement).await;
                    buffer.clear();
                }
            }
            Err(ReadlineError::Interrupted) => buffer.clear(),
            Err(ReadlineError::Eof) => break,
            Err(e) => return Err(CliError::Readline(e.to_string())),
        }
    }
    if let Some(h) = &history {
        if let Some(dir) = h.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        if let Err(e) = rl.save_history(h) {
            eprintln!("warning: could not save history to {}: {e}", h.display());
        }
    }
    Ok(())
}
