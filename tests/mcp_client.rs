//! The MCP server end to end, driven by the official MCP Python SDK (`tests/mcp/
//! client_test.py`): stdio and HTTP, codex names, numbers against go tool pprof's
//! references, error codes, BASEDIR, sql.query refusals, 8 concurrent clients, and the
//! Datadog and download tools against a fake Datadog API and a local pprof server.
//! Needs a Python with `mcp` and `jsonschema` named by PROFSQL_TEST_PYTHON (.ci/run
//! installs one); without the variable the test says it is skipped.

mod common;
mod fakes;

use std::path::Path;
use std::process::Command;

#[test]
fn official_python_client_checks() {
    let Ok(python) = std::env::var("PROFSQL_TEST_PYTHON") else {
        eprintln!("skipping the MCP client checks: PROFSQL_TEST_PYTHON is not set");
        return;
    };
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/mcp/client_test.py");
    // The source tools run against local fakes: three profiles of `api` in the last hour.
    let now = chrono::Utc::now();
    let dd = fakes::datadog::FakeDatadog::start(
        (0..3)
            .map(|i| {
                fakes::datadog::FakeProfile::new(
                    i,
                    "api",
                    now - chrono::Duration::minutes(10 * i as i64 + 1),
                    fakes::go_bundle("cpu.pb.gz"),
                )
            })
            .collect(),
    );
    let live = fakes::pprof_server::FakePprof::start();
    let kubectl = fakes::kubectl::FakeKubectl::new(&live.addr.to_string());
    let out = Command::new(python)
        .envs(dd.env())
        .envs(kubectl.env())
        .env("PROFSQL_TEST_PPROF_URL", live.url())
        .arg(script)
        .arg(env!("CARGO_BIN_EXE_pprof-mcp-server"))
        .arg(common::fixtures_dir())
        .output()
        .expect("run python");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "MCP client checks failed:\n{stderr}");
    assert!(stderr.contains("all MCP checks passed"), "{stderr}");
    assert!(!stderr.contains("skipping the source checks"), "{stderr}");
    assert!(!dd.hits("list").is_empty() && !dd.hits("download").is_empty());
}
