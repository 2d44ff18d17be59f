//! A fake `kubectl` for the pod path: `get pods` prints pod JSON, `port-forward` runs a
//! small Python TCP proxy from the local port to a test server, and every call is
//! logged to a file.

use std::path::{Path, PathBuf};

const SCRIPT: &str = r#"#!/bin/sh
# Fake kubectl for profsql's tests.
echo "$*" >> "$FAKE_KUBECTL_LOG"
for last; do :; done
case "$*" in
  *port-forward*)
    exec python3 "$FAKE_KUBECTL_DIR/proxy.py" "${last%%:*}" "$FAKE_KUBECTL_TARGET" ;;
  *"get pods"*)
    cat "$FAKE_KUBECTL_DIR/pods.json" ;;
  *"get pod "*)
    cat "$FAKE_KUBECTL_DIR/pod.json" ;;
  *)
    echo "fake kubectl: unsupported: $*" >&2; exit 1 ;;
esac
"#;

const PROXY: &str = r#"
import socket, sys, threading
local_port = int(sys.argv[1])
host, port = sys.argv[2].rsplit(":", 1)
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", local_port))
srv.listen(16)
def pipe(a, b):
    try:
        while True:
            d = a.recv(65536)
            if not d:
                break
            b.sendall(d)
    except OSError:
        pass
    finally:
        try:
            b.shutdown(socket.SHUT_WR)
        except OSError:
            pass
while True:
    c, _ = srv.accept()
    try:
        u = socket.create_connection((host, int(port)))
    except OSError:
        c.close()
        continue
    threading.Thread(target=pipe, args=(c, u), daemon=True).start()
    threading.Thread(target=pipe, args=(u, c), daemon=True).start()
"#;

pub struct FakeKubectl {
    pub dir: tempfile::TempDir,
}

impl FakeKubectl {
    /// A fake kubectl in a fresh folder (to be put first on PATH) whose port-forward
    /// proxies to `target` (host:port).
    pub fn new(target: &str) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let bin = dir.path().join("kubectl");
        std::fs::write(&bin, SCRIPT).expect("script");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        }
        std::fs::write(dir.path().join("proxy.py"), PROXY).expect("proxy");
        let pod = |name: &str, phase: &str, app: &str| {
            serde_json::json!({"metadata": {"name": name, "namespace": "staging", "labels": {"app": app}},
                               "status": {"phase": phase, "podIP": "10.0.0.7"}})
        };
        let pods = serde_json::json!({"items": [
            pod("api-7d9f-old", "Pending", "api"),
            pod("api-7d9f-x2", "Running", "api"),
        ]});
        std::fs::write(dir.path().join("pods.json"), pods.to_string()).expect("pods");
        std::fs::write(
            dir.path().join("pod.json"),
            pod("api-7d9f-x2", "Running", "api").to_string(),
        )
        .expect("pod");
        std::fs::write(dir.path().join("target"), target).expect("target");
        Self { dir }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    pub fn log_path(&self) -> PathBuf {
        self.dir.path().join("calls.log")
    }

    /// Environment for a process that should find this kubectl on PATH.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        let path = std::env::var("PATH").unwrap_or_default();
        let target = std::fs::read_to_string(self.dir.path().join("target")).unwrap_or_default();
        vec![
            ("PATH", format!("{}:{path}", self.dir.path().display())),
            ("FAKE_KUBECTL_DIR", self.dir.path().display().to_string()),
            ("FAKE_KUBECTL_LOG", self.log_path().display().to_string()),
            ("FAKE_KUBECTL_TARGET", target),
        ]
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}
