//! Local stand-ins for remote services, each on 127.0.0.1:0 in its own thread: a fake
//! Datadog API with scripted faults, a `net/http/pprof`-style server, and a fake
//! `kubectl`. Tests point the real clients at them.
#![allow(dead_code)]

pub mod datadog;
pub mod kubectl;
pub mod pprof_server;

use std::io::Write;
use std::net::SocketAddr;
use std::path::Path;

/// Runs `app` on 127.0.0.1:0 in a thread with its own runtime; returns the address.
pub fn serve(app: axum::Router) -> SocketAddr {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind");
            tx.send(listener.local_addr().expect("addr"))
                .expect("send addr");
            axum::serve(listener, app).await.expect("serve");
        });
    });
    rx.recv().expect("server address")
}

/// A fixture profile's bytes.
pub fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name),
    )
    .expect("fixture")
}

/// A fixture profile, zstd-compressed instead of gzipped.
pub fn fixture_zstd(name: &str) -> Vec<u8> {
    let gz = fixture(name);
    let mut raw = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&gz[..]), &mut raw)
        .expect("gunzip");
    zstd::encode_all(&raw[..], 3).expect("zstd")
}

/// A zip of `members` (name, bytes), deflated.
pub fn zip_of(members: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts: zip::write::SimpleFileOptions = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in members {
        w.start_file(*name, opts).expect("zip entry");
        w.write_all(bytes).expect("zip write");
    }
    w.finish().expect("zip finish").into_inner()
}

/// A zip with a symbolic link entry.
pub fn zip_with_link() -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default();
    w.start_file("cpu.pprof", opts).expect("zip entry");
    w.write_all(&fixture("cpu.pb.gz")).expect("zip write");
    w.add_symlink("heap.pprof", "/etc/passwd", opts)
        .expect("link");
    w.finish().expect("zip finish").into_inner()
}

/// The usual Datadog bundle of Go profiles, from fixtures, in a subfolder.
pub fn go_bundle(cpu_fixture: &str) -> Vec<u8> {
    zip_of(&[
        ("profile/cpu.pprof", fixture(cpu_fixture)),
        ("profile/delta-heap.pprof", fixture("heap.pb.gz")),
        ("profile/delta-mutex.pprof", fixture("mutex.pb.gz")),
        ("profile/delta-block.pprof", fixture("block.pb.gz")),
        ("profile/goroutines.pprof", fixture("goroutine.pb.gz")),
        (
            "profile/metrics.json",
            br#"[["go_num_goroutine", 42], ["go_gcs_per_sec", 0.5]]"#.to_vec(),
        ),
    ])
}

/// Files in `dir` (recursively), as paths relative to it, sorted.
pub fn files_in(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    fn walk(base: &Path, d: &Path, out: &mut Vec<String>) {
        let Ok(rd) = std::fs::read_dir(d) else { return };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(base, &p, out);
            } else {
                out.push(p.strip_prefix(base).unwrap_or(&p).display().to_string());
            }
        }
    }
    walk(dir, dir, &mut out);
    out.sort();
    out
}
