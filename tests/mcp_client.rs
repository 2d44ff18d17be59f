//! The MCP server end to end, driven by the official MCP Python SDK (`tests/mcp/
//! client_test.py`): stdio and HTTP, codex names, numbers against go tool pprof's
//! references, error codes, BASEDIR, sql.query refusals, 8 concurrent clients.
//! Needs a Python with `mcp` and `jsonschema` named by PROFSQL_TEST_PYTHON (.ci/run
//! installs one); without the variable the test says it is skipped.

mod common;

use std::path::Path;
use std::process::Command;

#[test]
fn official_python_client_checks() {
    let Ok(python) = std::env::var("PROFSQL_TEST_PYTHON") else {
        eprintln!("skipping the MCP client checks: PROFSQL_TEST_PYTHON is not set");
        return;
    };
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/mcp/client_test.py");
    let out = Command::new(python)
        .arg(script)
        .arg(env!("CARGO_BIN_EXE_pprof-mcp-server"))
        .arg(common::fixtures_dir())
        .output()
        .expect("run python");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "MCP client checks failed:\n{stderr}");
    assert!(stderr.contains("all MCP checks passed"), "{stderr}");
}
