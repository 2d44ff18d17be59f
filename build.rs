//! Links the one-shot binaries (`profctl`, `profsql`) as position-dependent executables.
//!
//! A PIE build of these binaries carries ~600,000 relative relocations (DataFusion's
//! vtables and static tables) that the dynamic loader applies on every start, touching
//! megabytes of pages: about 2 ms of each cold command (`LD_DEBUG=statistics`). Go builds
//! `go tool pprof` position-dependent by default too. The MCP server, which stays up and
//! talks to the network, keeps PIE and its address randomisation.
fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let linux = std::env::var("CARGO_CFG_TARGET_OS").is_ok_and(|os| os == "linux");
    if linux {
        for bin in ["profctl", "profsql"] {
            println!("cargo:rustc-link-arg-bin={bin}=-no-pie");
        }
    }
}
