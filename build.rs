//! Links the one-shot binaries (`profctl`, `profsql`) as position-dependent executables.
//!
//! A PIE release build of profctl carries ~240,000 relative relocations (DataFusion's
//! vtables and static tables; `LD_DEBUG=statistics`) that the dynamic loader applies on
//! every start, writing megabytes of pages: `profctl --version` took 7.5 ms as PIE and
//! 4.7 ms without. Go links `go tool pprof` position-dependent by default too. The MCP
//! server, which stays up and talks to the network, keeps PIE and its address
//! randomisation.
fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let linux = std::env::var("CARGO_CFG_TARGET_OS").is_ok_and(|os| os == "linux");
    if linux {
        for bin in ["profctl", "profsql"] {
            println!("cargo:rustc-link-arg-bin={bin}=-no-pie");
        }
    }
}
