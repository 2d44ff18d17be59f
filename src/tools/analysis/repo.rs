//! Code ownership: which Go modules a profile's functions belong to (`detect_repo`),
//! how much time goes to each dependency in go.mod (`vendor_analyze`), and which services
//! a repository builds (`repo.services.discover`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::knowledge::{self, KnownIssue};
use super::overhead::{int_column, text_column};
use super::{pct, round2};
use crate::engine::{Engine, Param};
use crate::tools::ToolError;

analysis_sql!(FUNCTION_LINES_SQL, "function_lines");

/// The package path of a Go function name: `github.com/a/b/pkg.(*T).M` ->
/// `github.com/a/b/pkg`; `main.f` -> `main`.
pub fn package_of(function: &str) -> &str {
    let slash = function.rfind('/').map_or(0, |i| i + 1);
    match function[slash..].find('.') {
        Some(dot) => &function[..slash + dot],
        None => function,
    }
}

/// The module a package path most likely belongs to, without go.mod: the path up to a
/// `pkg`, `cmd`, `internal` or `vendor` element; else three elements on the big code
/// hosts and two elsewhere. None for the standard library and the runtime (no dot in the
/// first element) and for `main`.
pub fn module_of(package: &str) -> Option<String> {
    let parts: Vec<&str> = package.split('/').collect();
    let first = parts.first()?;
    if !first.contains('.') {
        return None;
    }
    if let Some(i) = parts
        .iter()
        .enumerate()
        .skip(1)
        .find(|(_, p)| matches!(**p, "pkg" | "cmd" | "internal" | "vendor"))
        .map(|(i, _)| i)
    {
        return Some(parts[..i].join("/"));
    }
    let n = match *first {
        "github.com" | "gitlab.com" | "bitbucket.org" | "golang.org" => 3,
        _ => 2,
    };
    Some(parts[..n.min(parts.len())].join("/"))
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct ModulePath {
    pub module: String,
    /// Location lines of the profile in this module's functions.
    pub count: i64,
}

/// Module paths of a profile's functions, most location lines first.
pub async fn module_paths(engine: &Engine, id: u32) -> Result<Vec<ModulePath>, ToolError> {
    let sql = FUNCTION_LINES_SQL.render(&[("id", Param::Int(id.into()))])?;
    let r = engine.sql(&sql).await?;
    let mut counts: BTreeMap<String, i64> = BTreeMap::new();
    for b in &r.batches {
        let bad = |detail| ToolError::Internal {
            query: FUNCTION_LINES_SQL.name,
            detail,
        };
        let names = text_column(b, 0).map_err(bad)?;
        let n = int_column(b, 1).map_err(bad)?;
        for (name, n) in names.iter().zip(n) {
            if let Some(m) = module_of(package_of(name)) {
                *counts.entry(m).or_insert(0) += n;
            }
        }
    }
    let mut out: Vec<ModulePath> = counts
        .into_iter()
        .map(|(module, count)| ModulePath { module, count })
        .collect();
    out.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.module.cmp(&b.module)));
    Ok(out)
}

/// A go.mod file's module path and requirements.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct GoMod {
    pub module: String,
    /// (module path, version, indirect)
    pub requires: Vec<(String, String, bool)>,
}

/// Parses the parts of go.mod the analyses need (module, require lines and blocks).
pub fn parse_go_mod(text: &str) -> GoMod {
    let mut out = GoMod::default();
    let mut in_require = false;
    for raw in text.lines() {
        let (line, comment) = match raw.find("//") {
            Some(i) => (raw[..i].trim(), raw[i..].trim()),
            None => (raw.trim(), ""),
        };
        let indirect = comment.contains("indirect");
        if in_require {
            if line.starts_with(')') {
                in_require = false;
            } else if let Some(r) = require(line, indirect) {
                out.requires.push(r);
            }
            continue;
        }
        let mut words = line.split_whitespace();
        match words.next() {
            Some("module") => {
                out.module = words
                    .next()
                    .unwrap_or_default()
                    .trim_matches('"')
                    .to_string()
            }
            Some("require") => {
                let rest = line["require".len()..].trim();
                if rest.starts_with('(') {
                    in_require = true;
                } else if let Some(r) = require(rest, indirect) {
                    out.requires.push(r);
                }
            }
            _ => {}
        }
    }
    out
}

fn require(line: &str, indirect: bool) -> Option<(String, String, bool)> {
    let mut w = line.split_whitespace();
    let path = w.next()?.trim_matches('"').to_string();
    let version = w.next()?.to_string();
    Some((path, version, indirect))
}

/// The go.mod at `root`, if it can be read.
pub fn read_go_mod(root: &Path) -> Option<GoMod> {
    std::fs::read_to_string(root.join("go.mod"))
        .ok()
        .map(|t| parse_go_mod(&t))
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct RepoDetection {
    pub module_paths: Vec<ModulePath>,
    /// The module of the go.mod found for the profile, if any.
    pub app_module: Option<String>,
    pub detected_root: Option<String>,
    pub detection_notes: Vec<String>,
    /// high: a go.mod names a module of the profile; low: a folder of that name exists
    /// without a matching go.mod; none: nothing found.
    pub confidence: &'static str,
}

/// Finds the repository of a profile's code among `roots` (each checked as the repo
/// itself, then `<root>/<last path element>` and `<root>/<module path>` for each module).
pub async fn detect(
    engine: &Engine,
    id: u32,
    roots: &[PathBuf],
) -> Result<RepoDetection, ToolError> {
    let mut modules = module_paths(engine, id).await?;
    let mut notes = Vec::new();
    let no_modules = modules.is_empty();
    if no_modules {
        notes.push("no module paths in the profile's function names (only the standard library, runtime and main)".into());
    }
    for root in roots {
        let mut candidates = vec![root.clone()];
        for m in modules.iter().take(5) {
            if let Some(last) = m.module.rsplit('/').next() {
                candidates.push(root.join(last));
            }
            candidates.push(root.join(&m.module));
        }
        for dir in candidates {
            let Some(gomod) = read_go_mod(&dir) else {
                continue;
            };
            if modules.iter().any(|m| {
                m.module == gomod.module || m.module.starts_with(&format!("{}/", gomod.module))
            }) || modules.is_empty() && !gomod.module.is_empty()
            {
                notes.push(format!(
                    "{} declares module {}",
                    dir.join("go.mod").display(),
                    gomod.module
                ));
                let app = gomod.module.clone();
                let confidence = if no_modules { "low" } else { "high" };
                // The app's own packages first.
                modules.sort_by_key(|m| !m.module.starts_with(&app));
                return Ok(RepoDetection {
                    module_paths: modules.into_iter().take(5).collect(),
                    app_module: Some(app),
                    detected_root: Some(dir.display().to_string()),
                    detection_notes: notes,
                    confidence,
                });
            }
        }
    }
    for root in roots {
        for m in modules.iter().take(5) {
            let Some(last) = m.module.rsplit('/').next() else {
                continue;
            };
            let dir = root.join(last);
            if dir.join("main.go").is_file()
                || ["pkg", "cmd", "internal"]
                    .iter()
                    .any(|d| dir.join(d).is_dir())
            {
                notes.push(format!(
                    "{} looks like a Go repository but has no go.mod naming {}",
                    dir.display(),
                    m.module
                ));
                return Ok(RepoDetection {
                    module_paths: modules.into_iter().take(5).collect(),
                    app_module: None,
                    detected_root: Some(dir.display().to_string()),
                    detection_notes: notes,
                    confidence: "low",
                });
            }
        }
    }
    notes.push(format!(
        "no go.mod naming one of the profile's modules under {}",
        roots
            .iter()
            .map(|r| r.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    ));
    Ok(RepoDetection {
        module_paths: modules.into_iter().take(5).collect(),
        app_module: None,
        detected_root: None,
        detection_notes: notes,
        confidence: "none",
    })
}

/// The prefixes that mark the application's own frames: the go.mod module under
/// `repo_root` when there is one, else every module path the profile names; `main.` is
/// always the application's. The flag says whether a go.mod decided it.
pub async fn app_prefixes(
    engine: &Engine,
    id: u32,
    repo_root: Option<&Path>,
) -> Result<(Vec<String>, bool), ToolError> {
    let (mut out, from_go_mod) = match repo_root.and_then(read_go_mod) {
        Some(g) if !g.module.is_empty() => (vec![g.module], true),
        _ => (
            module_paths(engine, id)
                .await?
                .into_iter()
                .map(|m| m.module)
                .collect(),
            false,
        ),
    };
    out.push("main.".to_string());
    Ok((out, from_go_mod))
}

/// Whether `function` belongs to the code under `prefix` (a module path or `main.`).
pub fn owned_by(function: &str, prefix: &str) -> bool {
    if prefix.ends_with('.') || prefix.ends_with('/') {
        return function.starts_with(prefix);
    }
    function
        .strip_prefix(prefix)
        .is_some_and(|rest| rest.starts_with('/') || rest.starts_with('.'))
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct HotFunction {
    pub function: String,
    pub flat_pct: f64,
    pub cum_pct: f64,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct VendorHotspot {
    pub package: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    pub indirect: bool,
    pub total_flat_pct: f64,
    /// Share of samples with any frame in the package (each sample once).
    pub total_cum_pct: f64,
    pub hot_functions: Vec<HotFunction>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub known_issues: Vec<KnownIssue>,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct VendorAnalysis {
    pub module: Option<String>,
    pub vendor_hotspots: Vec<VendorHotspot>,
    pub total_vendor_pct: f64,
    pub total_app_pct: f64,
    pub warnings: Vec<String>,
}

/// Rows `(function, flat, cum)` per dependency.
pub type DependencyRows = BTreeMap<String, Vec<(String, i64, i64)>>;

/// Time per go.mod dependency: `rows` are (function, flat, cum) of every function; returns
/// the rows at or above `min_pct` per dependency, the application's flat and the
/// dependencies' flat.
pub fn vendor_rows(
    gomod: &GoMod,
    rows: &[(String, i64, i64)],
    total: i64,
    min_pct: f64,
) -> (DependencyRows, i64, i64) {
    let mut by_dep = DependencyRows::new();
    let (mut app_flat, mut vendor_flat) = (0i64, 0i64);
    for (name, flat, cum) in rows {
        let is_app = (!gomod.module.is_empty() && owned_by(name, &gomod.module))
            || name.starts_with("main.");
        if is_app {
            app_flat += flat;
            continue;
        }
        let dep = gomod
            .requires
            .iter()
            .filter(|(p, _, _)| owned_by(name, p))
            .max_by_key(|(p, _, _)| p.len());
        let Some((dep, _, _)) = dep else { continue };
        vendor_flat += flat;
        if pct(*flat, total) < min_pct && pct(*cum, total) < min_pct {
            continue;
        }
        by_dep
            .entry(dep.clone())
            .or_default()
            .push((name.clone(), *flat, *cum));
    }
    (by_dep, app_flat, vendor_flat)
}

/// The known issues of a dependency whose regex matches one of its hot functions.
pub fn issues_for(package: &str, functions: &[String]) -> Vec<KnownIssue> {
    knowledge::known_issues()
        .iter()
        .filter(|i| i.package == package || package.starts_with(&format!("{}/", i.package)))
        .filter(|i| {
            regex::Regex::new(&i.functions)
                .map(|re| functions.iter().any(|f| re.is_match(f)))
                .unwrap_or(false)
        })
        .cloned()
        .collect()
}

/// Sums of a package's rows, rounded for the payload.
pub fn hotspot(
    package: &str,
    gomod: &GoMod,
    rows: &[(String, i64, i64)],
    total: i64,
    cum_share: f64,
) -> VendorHotspot {
    let mut rows = rows.to_vec();
    rows.sort_by(|a, b| {
        b.1.cmp(&a.1)
            .then(b.2.cmp(&a.2))
            .then_with(|| a.0.cmp(&b.0))
    });
    let flat: i64 = rows.iter().map(|r| r.1).sum();
    let req = gomod.requires.iter().find(|(p, _, _)| p == package);
    let names: Vec<String> = rows.iter().map(|r| r.0.clone()).collect();
    VendorHotspot {
        package: package.to_string(),
        version: req.map(|r| r.1.clone()),
        indirect: req.is_some_and(|r| r.2),
        total_flat_pct: round2(pct(flat, total)),
        total_cum_pct: round2(cum_share),
        hot_functions: rows
            .iter()
            .take(5)
            .map(|(f, fl, c)| HotFunction {
                function: f.clone(),
                flat_pct: round2(pct(*fl, total)),
                cum_pct: round2(pct(*c, total)),
            })
            .collect(),
        known_issues: issues_for(package, &names),
    }
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct MainPackage {
    /// Folder relative to the repository root.
    pub path: String,
    /// Import path (module + folder) when a go.mod covers it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub import_path: Option<String>,
    /// The binary `go build` makes: the folder's name (the module's last element at the root).
    pub binary: String,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct ServiceName {
    pub service: String,
    pub file: String,
    pub line: usize,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Services {
    pub modules: Vec<(String, String)>,
    pub main_packages: Vec<MainPackage>,
    /// `DD_SERVICE` values (and `tags.datadoghq.com/service` labels) in manifests.
    pub datadog_services: Vec<ServiceName>,
    /// One per main package: the Datadog service name when a manifest names a service
    /// equal to the binary (or there is exactly one service), else the binary name.
    pub services: Vec<ServiceEntry>,
    pub warnings: Vec<String>,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct ServiceEntry {
    pub binary: String,
    pub service: String,
    pub path: String,
}

/// Folders a service scan skips (dependencies, fixtures, build output).
pub const SKIP_DIRS: [&str; 6] = [
    ".git",
    "vendor",
    "node_modules",
    "testdata",
    "third_party",
    "target",
];
const MAX_FILES: usize = 50_000;
const MAX_DEPTH: usize = 12;

/// The files below `root` (sorted, links not followed, hidden folders and `skip` left
/// out, at most 50,000 files 12 levels deep; a warning says when the cap cut the scan).
pub fn files_under(root: &Path, skip: &[&str], warnings: &mut Vec<String>) -> Vec<PathBuf> {
    fn walk(dir: &Path, depth: usize, skip: &[&str], files: &mut Vec<PathBuf>) -> bool {
        if depth > MAX_DEPTH {
            return true;
        }
        let Ok(entries) = std::fs::read_dir(dir) else {
            return true;
        };
        let mut entries: Vec<_> = entries.flatten().collect();
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            let Ok(t) = e.file_type() else { continue };
            let name = e.file_name().to_string_lossy().to_string();
            if t.is_dir() && !skip.contains(&name.as_str()) && !name.starts_with('.') {
                if !walk(&e.path(), depth + 1, skip, files) {
                    return false;
                }
            } else if t.is_file() {
                if files.len() >= MAX_FILES {
                    return false;
                }
                files.push(e.path());
            }
        }
        true
    }
    let mut files = Vec::new();
    if !walk(root, 0, skip, &mut files) {
        warnings.push(format!(
            "stopped after {MAX_FILES} files under {}",
            root.display()
        ));
    }
    files
}

fn rel(root: &Path, p: &Path) -> String {
    let r = p.strip_prefix(root).unwrap_or(p).display().to_string();
    if r.is_empty() {
        ".".into()
    } else {
        r
    }
}

/// DD_SERVICE values in a manifest: `DD_SERVICE=x`, `DD_SERVICE: x`, a Kubernetes env
/// entry (`name: DD_SERVICE` then `value: x`), or a `tags.datadoghq.com/service: x` label.
fn dd_services(text: &str) -> Vec<(usize, String)> {
    let re = regex::Regex::new(
        r#"(?:\bDD_SERVICE\b["']?\s*[=:]\s*|tags\.datadoghq\.com/service["']?\s*[=:]\s*)["']?([A-Za-z0-9_.\-]+)"#,
    )
    .ok();
    let mut out = Vec::new();
    let lines: Vec<&str> = text.lines().collect();
    for (i, l) in lines.iter().enumerate() {
        if let Some(c) = re.as_ref().and_then(|re| re.captures(l)) {
            out.push((i + 1, c[1].to_string()));
            continue;
        }
        let t = l.trim().trim_start_matches("- ");
        if t.replace(['"', '\''], "") == "name: DD_SERVICE" {
            if let Some(next) = lines.get(i + 1) {
                if let Some(v) = next.trim().strip_prefix("value:") {
                    let v = v.trim().trim_matches(['"', '\'']);
                    if !v.is_empty() {
                        out.push((i + 2, v.to_string()));
                    }
                }
            }
        }
    }
    out
}

fn is_manifest(p: &Path) -> bool {
    let name = p
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    name.ends_with(".yaml")
        || name.ends_with(".yml")
        || name.ends_with(".env")
        || name.ends_with(".json")
        || name.ends_with(".toml")
        || name.starts_with("dockerfile")
        || name == "procfile"
        || name == ".env"
}

/// Scans a repository for Go modules, main packages and Datadog service names.
pub fn discover_services(root: &Path) -> Services {
    let mut warnings = Vec::new();
    let files = files_under(root, &SKIP_DIRS, &mut warnings);
    let mut modules: Vec<(String, String)> = Vec::new();
    let mut mains: Vec<MainPackage> = Vec::new();
    let mut dd: Vec<ServiceName> = Vec::new();
    for f in &files {
        let name = f
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        if name == "go.mod" {
            if let Some(g) = f.parent().and_then(read_go_mod) {
                let dir = f.parent().map(|d| rel(root, d)).unwrap_or_default();
                modules.push((dir, g.module));
            }
        }
    }
    for f in &files {
        let name = f
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        let Ok(meta) = f.metadata() else { continue };
        if meta.len() > 4 << 20 {
            continue;
        }
        if name.ends_with(".go") && !name.ends_with("_test.go") {
            let Ok(text) = std::fs::read_to_string(f) else {
                continue;
            };
            let is_main = text.lines().any(|l| l.trim() == "package main")
                && text.lines().any(|l| l.starts_with("func main()"));
            let Some(dir) = f.parent() else { continue };
            let path = rel(root, dir);
            if is_main && !mains.iter().any(|m| m.path == path) {
                // The innermost go.mod covering the folder.
                let owner = modules
                    .iter()
                    .filter(|(d, _)| d == "." || path == *d || path.starts_with(&format!("{d}/")))
                    .max_by_key(|(d, _)| d.len());
                let import_path = owner.map(|(d, m)| {
                    let sub = if d == "." {
                        path.clone()
                    } else {
                        path.strip_prefix(d.as_str())
                            .unwrap_or("")
                            .trim_start_matches('/')
                            .to_string()
                    };
                    if sub == "." || sub.is_empty() {
                        m.clone()
                    } else {
                        format!("{m}/{sub}")
                    }
                });
                let binary = match (&import_path, path.as_str()) {
                    (Some(ip), _) => ip.rsplit('/').next().unwrap_or(ip).to_string(),
                    (None, ".") => root
                        .file_name()
                        .map(|n| n.to_string_lossy().to_string())
                        .unwrap_or_default(),
                    (None, p) => p.rsplit('/').next().unwrap_or(p).to_string(),
                };
                mains.push(MainPackage {
                    path,
                    import_path,
                    binary,
                });
            }
        } else if is_manifest(f) {
            let Ok(text) = std::fs::read_to_string(f) else {
                continue;
            };
            for (line, service) in dd_services(&text) {
                dd.push(ServiceName {
                    service,
                    file: rel(root, f),
                    line,
                });
            }
        }
    }
    mains.sort();
    dd.sort();
    dd.dedup();
    let distinct: std::collections::BTreeSet<&str> =
        dd.iter().map(|s| s.service.as_str()).collect();
    let services = mains
        .iter()
        .map(|m| {
            let service = if distinct.contains(m.binary.as_str()) {
                m.binary.clone()
            } else if distinct.len() == 1 && mains.len() == 1 {
                distinct
                    .iter()
                    .next()
                    .map(|s| s.to_string())
                    .unwrap_or_default()
            } else {
                m.binary.clone()
            };
            ServiceEntry {
                binary: m.binary.clone(),
                service,
                path: m.path.clone(),
            }
        })
        .collect();
    if mains.is_empty() {
        warnings.push(format!("no Go main package under {}", root.display()));
    }
    modules.sort();
    Services {
        modules,
        main_packages: mains,
        datadog_services: dd,
        services,
        warnings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packages_and_modules_of_function_names() {
        assert_eq!(
            package_of("github.com/a/b/pkg/x.(*T).M"),
            "github.com/a/b/pkg/x"
        );
        assert_eq!(package_of("main.main.func1"), "main");
        assert_eq!(package_of("encoding/json.Unmarshal"), "encoding/json");
        assert_eq!(
            module_of("github.com/a/b/pkg/x").as_deref(),
            Some("github.com/a/b")
        );
        assert_eq!(
            module_of("github.com/a/b/c/d").as_deref(),
            Some("github.com/a/b")
        );
        assert_eq!(
            module_of("go.temporal.io/sdk/internal").as_deref(),
            Some("go.temporal.io/sdk")
        );
        assert_eq!(
            module_of("google.golang.org/grpc/internal/transport").as_deref(),
            Some("google.golang.org/grpc")
        );
        assert_eq!(
            module_of("golang.org/x/net/http2").as_deref(),
            Some("golang.org/x/net")
        );
        assert_eq!(module_of("encoding/json"), None);
        assert_eq!(module_of("main"), None);
    }

    #[test]
    fn go_mod_requires_single_and_block() {
        let g = parse_go_mod(
            "module example.com/x\n\ngo 1.19\n\nrequire github.com/a/b v1.2.3\nrequire (\n\tgo.uber.org/zap v1.26.0\n\tgolang.org/x/sys v0.1.0 // indirect\n)\nreplace go.uber.org/zap => ./zap\n",
        );
        assert_eq!(g.module, "example.com/x");
        assert_eq!(
            g.requires,
            vec![
                ("github.com/a/b".into(), "v1.2.3".into(), false),
                ("go.uber.org/zap".into(), "v1.26.0".into(), false),
                ("golang.org/x/sys".into(), "v0.1.0".into(), true),
            ]
        );
    }

    #[test]
    fn ownership_needs_a_path_boundary() {
        assert!(owned_by(
            "go.uber.org/zap.(*Logger).Info",
            "go.uber.org/zap"
        ));
        assert!(owned_by("go.uber.org/zap/zapcore.x", "go.uber.org/zap"));
        assert!(!owned_by("go.uber.org/zapper.x", "go.uber.org/zap"));
        assert!(owned_by("main.main", "main."));
    }

    #[test]
    fn datadog_service_names_in_manifests() {
        let y = "env:\n  - name: DD_SERVICE\n    value: order-worker\nlabels:\n  tags.datadoghq.com/service: \"billing\"\n";
        assert_eq!(
            dd_services(y),
            vec![(3, "order-worker".into()), (5, "billing".into())]
        );
        assert_eq!(
            dd_services("ENV DD_SERVICE=api-gw\n"),
            vec![(1, "api-gw".into())]
        );
    }
}
