//! Download progress on stderr with indicatif: one bar for all the bytes of a command,
//! drawn only when stderr is a terminal (never into pipes, logs or MCP stdio).

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::sources::Progress;

pub struct Bar {
    bar: ProgressBar,
}

impl Bar {
    /// A bar on stderr, hidden when stderr is not a terminal.
    pub fn stderr() -> Self {
        let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::hidden());
        if std::io::stderr().is_terminal() {
            bar.set_draw_target(ProgressDrawTarget::stderr());
        }
        bar.set_style(
            ProgressStyle::with_template("{spinner} {msg} {bytes}/{total_bytes} {bytes_per_sec}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        Self { bar }
    }
}

impl Progress for Bar {
    fn start(&self, label: &str, total: Option<u64>) {
        if let Some(t) = total {
            self.bar.inc_length(t);
        }
        self.bar.set_message(label.to_string());
    }

    fn advance(&self, bytes: u64) {
        self.bar.inc(bytes);
    }
}

impl Drop for Bar {
    fn drop(&mut self) {
        self.bar.finish_and_clear();
    }
}
