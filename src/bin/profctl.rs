//! `profctl`: the profsql tools as subcommands. All work is done by the library.

use std::ffi::OsString;
use std::io::Write;
use std::process::ExitCode;

use clap::FromArgMatches;
use profsql::cli::profctl;
use profsql::registry::Registry;

/// mimalloc for profctl's one-shot commands: under glibc's malloc the engine's threads and
/// the `-diff_base` merge lose much of their time to arena locks and page faults (README,
/// "Targets"). Without transparent huge pages (`no_thp`): on a machine whose memory is
/// fragmented, faulting them in stalls on compaction, and they raise peak RSS. profsql and
/// the MCP server keep glibc's: they hold profiles for long.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn run() -> anyhow::Result<()> {
    let argv: Vec<OsString> = std::env::args_os().collect();
    let runtime = || {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
    };
    let leftovers = if let Some(cmd) = profctl::dedicated_command(&argv) {
        let matches = cmd.get_matches_from(&argv);
        let args = profctl::Args::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
        runtime()?.block_on(profctl::run(args))?
    } else {
        let registry = Registry::new();
        let matches = profctl::command(&registry).get_matches_from(&argv);
        runtime()?.block_on(profctl::run_matches(matches, &registry))?
    };
    // The process ends here; the OS takes the memory back faster than freeing would.
    std::mem::forget(leftovers);
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => {
            // Once the output is out, nothing is left to do: end here rather than run the
            // exit handlers, where mimalloc walks and returns every page of the heap to
            // the OS (~2 ms of a cold command in `perf record`) just before the process
            // is torn down anyway. Everything the command wrote is complete by now: files
            // are renamed into place and the runtime, dropped in `run`, has joined its
            // blocking threads.
            // stderr is unbuffered: only stdout can still hold output.
            if let Err(e) = std::io::stdout().flush() {
                eprintln!("profctl: writing the output: {e}");
                return ExitCode::FAILURE;
            }
            // SAFETY: `_exit` ends the process at once; no Rust state is observed after it.
            unsafe { libc::_exit(0) }
        }
        Err(e) => {
            eprintln!("profctl: {e:#}");
            ExitCode::FAILURE
        }
    }
}
