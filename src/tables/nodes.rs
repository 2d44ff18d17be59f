//! pprof graph nodes per granularity: for every frame symbol (a line of a location, or a
//! location without lines), the node it belongs to and the node's printable name, as
//! pprof's `Aggregate` + `NodeInfo.PrintableName` make them.
//!
//! Node identity is the printable name within a granularity. pprof keys nodes by the full
//! `NodeInfo`, which differs only for nameless frames of distinct binaries sharing a base
//! name (printed identically anyway).

use std::borrow::Cow;

use datafusion::arrow::array::Array;
use foldhash::HashMap;

use super::symbols::{path_base, unnamed_frame_name, Symbols};
use crate::decode::Profile;

/// The granularities, in the order of the `nodes` table's `granularity` column.
pub const GRANULARITIES: [&str; 5] = ["functions", "filefunctions", "files", "lines", "addresses"];

/// Nodes of one granularity: `node_of[frame_key]` is a dense node id into `names`.
#[derive(Debug)]
pub struct NodeMap {
    pub node_of: std::sync::Arc<Vec<u32>>,
    pub names: Vec<String>,
}

/// Go's `filepath.Clean` for slash-separated paths.
pub fn clean_path(path: &str) -> Cow<'_, str> {
    if path.is_empty() {
        return Cow::Borrowed(".");
    }
    let rooted = path.starts_with('/');
    let needs = path.contains("//")
        || path.split('/').any(|c| c == "." || c == "..")
        || (path.len() > 1 && path.ends_with('/'));
    if !needs {
        return Cow::Borrowed(path);
    }
    let mut out: Vec<&str> = Vec::new();
    for c in path.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                if out.last().is_some_and(|l| *l != "..") {
                    out.pop();
                } else if !rooted {
                    out.push("..");
                }
            }
            c => out.push(c),
        }
    }
    let joined = out.join("/");
    Cow::Owned(match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_string(),
        (false, false) => joined,
    })
}

/// pprof's `trimPath` with no configured trim path: strips `/proc/self/cwd/` prefixes.
/// `trim` adds configured prefixes (list separated by ':'), `search` the source path
/// heuristic (strip up to the base name of a search directory).
pub fn trim_path<'a>(path: &'a str, trim: &str, search: &[String]) -> &'a str {
    if trim.is_empty() {
        for dir in search {
            let want = format!("/{}/", path_base(dir));
            if let Some(found) = path.find(&want) {
                return &path[found + want.len()..];
            }
        }
    }
    let configured = trim.split(':').filter(|s| !s.is_empty());
    for prefix in configured.chain(["/proc/self/cwd/./", "/proc/self/cwd/"]) {
        let with_slash = if prefix.ends_with('/') {
            Cow::Borrowed(prefix)
        } else {
            Cow::Owned(format!("{prefix}/"))
        };
        if let Some(rest) = path.strip_prefix(with_slash.as_ref()) {
            return rest;
        }
    }
    path
}

/// Builds the node map of one granularity.
pub fn build(profile: &Profile, symbols: &Symbols, granularity: &str) -> NodeMap {
    build_with(profile, symbols, granularity, "", &[])
}

/// Builds the node map of one granularity with pprof's `-trim_path` and `-source_path`
/// applied to file names first, as pprof's reports do.
pub fn build_with(
    profile: &Profile,
    symbols: &Symbols,
    granularity: &str,
    trim: &str,
    search: &[String],
) -> NodeMap {
    let mut ids: HashMap<String, u32> = HashMap::default();
    let mut names: Vec<String> = Vec::new();
    let mut node_of = Vec::with_capacity(symbols.frames.len());
    // At functions granularity a named frame's node is its name alone, which the symbols
    // have interned already: its node is found by that id, with no string built.
    let by_name_id = granularity == "functions";
    let mut node_of_name = vec![u32::MAX; if by_name_id { symbols.names.len() } else { 0 }];
    for (li, loc) in profile.locations.iter().enumerate() {
        for f in symbols.location_frames(li as u32) {
            let func = profile.function(f.function_id);
            let name = func.map_or("", |fun| profile.str_i64(fun.name));
            if by_name_id && !name.is_empty() {
                if let Some(slot) = node_of_name.get_mut(f.name as usize) {
                    if *slot == u32::MAX {
                        *slot = names.len() as u32;
                        names.push(name.to_string());
                    }
                    node_of.push(*slot);
                    continue;
                }
            }
            let file = func
                .map(|fun| profile.str_i64(fun.filename))
                .filter(|s| !s.is_empty())
                .map(|s| clean_path(trim_path(s, trim, search)).into_owned())
                .unwrap_or_default();
            let printable = printable(
                granularity,
                name,
                &file,
                f.line,
                f.column,
                loc.address,
                || unnamed_frame_name(profile, li),
            );
            // pprof's NodeInfo carries the binary and the function's start line when the
            // node has no function name (always at files granularity), so such nodes
            // split by function even when they print the same.
            let nameless = name.is_empty() || granularity == "files";
            let key = if nameless {
                let start = func.map_or(-1, |fun| fun.start_line);
                let objfile = profile.mapping_file(loc).unwrap_or("");
                format!("{printable}\0{objfile}\0{start}")
            } else {
                printable.clone()
            };
            let next = names.len() as u32;
            let id = *ids.entry(key).or_insert_with(|| {
                names.push(printable);
                next
            });
            node_of.push(id);
        }
    }
    NodeMap {
        node_of: std::sync::Arc::new(node_of),
        names,
    }
}

/// `NodeInfo.PrintableName` after `Aggregate` for the granularity.
fn printable(
    granularity: &str,
    name: &str,
    file: &str,
    line: i64,
    column: i64,
    address: u64,
    objfile: impl FnOnce() -> String,
) -> String {
    let (keep_name, keep_file, keep_line, keep_addr) = match granularity {
        "functions" => (true, false, false, false),
        "filefunctions" => (true, true, false, false),
        "files" => (false, true, false, false),
        "lines" => (true, true, true, false),
        _ => (true, true, true, true),
    };
    let name = if keep_name { name } else { "" };
    let file = if keep_file { file } else { "" };
    let line = if keep_line { line } else { 0 };
    let mut parts: Vec<String> = Vec::with_capacity(3);
    if keep_addr && address != 0 {
        parts.push(format!("{address:016x}"));
    }
    if !name.is_empty() {
        parts.push(name.to_string());
    }
    if line != 0 {
        if keep_addr && column != 0 {
            parts.push(format!("{file}:{line}:{column}"));
        } else {
            parts.push(format!("{file}:{line}"));
        }
    } else if !file.is_empty() {
        parts.push(file.to_string());
    } else if name.is_empty() {
        parts.push(objfile());
    }
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_clean_like_go() {
        assert_eq!(clean_path("a//b/./c/../d"), "a/b/d");
        assert_eq!(clean_path("/../x"), "/x");
        assert_eq!(clean_path("x/"), "x");
        assert_eq!(trim_path("/proc/self/cwd/main.go", "", &[]), "main.go");
        assert_eq!(trim_path("/src/app/x.go", "/src", &[]), "app/x.go");
        assert_eq!(
            trim_path("/build/my-proj/a/b.go", "", &["/home/me/my-proj".into()]),
            "a/b.go"
        );
    }

    #[test]
    fn printable_names() {
        let obj = || "[libc.so.6]".to_string();
        assert_eq!(
            printable("functions", "main.f", "m.go", 3, 0, 0x10, obj),
            "main.f"
        );
        assert_eq!(
            printable("files", "main.f", "m.go", 3, 0, 0x10, obj),
            "m.go"
        );
        assert_eq!(
            printable("files", "main.f", "", 3, 0, 0x10, obj),
            "[libc.so.6]"
        );
        assert_eq!(
            printable("lines", "main.f", "m.go", 3, 0, 0, obj),
            "main.f m.go:3"
        );
        assert_eq!(
            printable("lines", "main.f", "m.go", 0, 0, 0, obj),
            "main.f m.go"
        );
        assert_eq!(
            printable("addresses", "main.f", "m.go", 3, 7, 0x10, obj),
            "0000000000000010 main.f m.go:3:7"
        );
        assert_eq!(
            printable("addresses", "", "", 0, 0, 0x10, obj),
            "0000000000000010 [libc.so.6]"
        );
    }
}
