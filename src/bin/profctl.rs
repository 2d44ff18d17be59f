//! `profctl`: the profsql tools as subcommands. All work is done by the library.

use std::process::ExitCode;

use clap::Parser;

fn run() -> anyhow::Result<()> {
    let args = profsql::cli::profctl::Args::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let leftovers = runtime.block_on(profsql::cli::profctl::run(args))?;
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
