//! Renders DOT with Graphviz's `dot` program from PATH.

use std::io::Write;
use std::process::{Command, Stdio};

/// `dot -T<format>` of `text`; the error says what went wrong in one line.
pub fn render(text: &str, format: &str) -> Result<Vec<u8>, String> {
    let mut child = Command::new("dot")
        .arg(format!("-T{format}"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => "Graphviz `dot` is not on PATH".to_string(),
            _ => format!("cannot run Graphviz `dot`: {e}"),
        })?;
    // Written from another thread: dot may fill its stdout pipe before reading all input.
    let mut stdin = child.stdin.take().ok_or("no stdin for `dot`")?;
    let input = text.as_bytes().to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let out = child
        .wait_with_output()
        .map_err(|e| format!("Graphviz `dot` failed: {e}"))?;
    let _ = writer.join();
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        let first = err.lines().next().unwrap_or("no message");
        return Err(format!("Graphviz `dot` failed ({}): {first}", out.status));
    }
    Ok(out.stdout)
}
