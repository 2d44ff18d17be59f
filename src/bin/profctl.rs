//! `profctl`: the profsql tools as subcommands. All work is done by the library.

use std::process::ExitCode;

use profsql::cli::profctl;
use profsql::registry::Registry;

fn run() -> anyhow::Result<()> {
    let registry = Registry::new();
    let matches = profctl::command(&registry).get_matches();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let leftovers = runtime.block_on(profctl::run_matches(matches, &registry))?;
    // The process ends here; the OS takes the memory back faster than freeing would.
    std::mem::forget(leftovers);
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("profctl: {e:#}");
            ExitCode::FAILURE
        }
    }
}
