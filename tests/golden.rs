//! Numbers against `go tool pprof`: exact flat/cum per function for every sample type, report
//! totals, and every sample of `-raw` (values, locations, string labels).

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use datafusion::arrow::array::{Array, AsArray, ListArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Int64Type, UInt64Type};
use profsql::tools::top::{top, TopOptions};
use profsql::Engine;

use common::*;

/// Compares `profsql top` with every exact reference in `dir`; returns how many were checked.
fn check_exact_dir(dir: &Path) -> usize {
    let refs = exact_references(dir);
    let rt = runtime();
    let mut checked = 0;
    let mut by_profile: BTreeMap<PathBuf, Vec<(String, PathBuf)>> = BTreeMap::new();
    for (profile, ty, tsv) in refs {
        by_profile.entry(profile).or_default().push((ty, tsv));
    }
    for (profile, types) in by_profile {
        let mut engine = engine();
        let id = engine.load_file(&profile).unwrap_or_else(|e| panic!("{e}"));
        for (ty, tsv) in types {
            let opts = TopOptions {
                sample_index: Some(ty.clone()),
                cum: false,
            };
            let result = rt.block_on(top(&engine, id, &opts)).unwrap();
            let got: Vec<(String, i64, i64)> = result
                .rows
                .iter()
                .map(|r| (r.name.clone(), r.flat, r.cum))
                .collect();
            let want = read_exact(&tsv);
            assert_eq!(
                got.len(),
                want.len(),
                "{}: row count for {ty}",
                profile.display()
            );
            for (i, (g, w)) in got.iter().zip(&want).enumerate() {
                assert_eq!(g, w, "{} {ty}: row {i}", profile.display());
            }
            let total_file = PathBuf::from(format!("{}.total.{ty}", profile.display()));
            if let Ok(total) = std::fs::read_to_string(&total_file) {
                let total: i64 = total.trim().parse().unwrap();
                assert_eq!(result.abs_total, total, "{}: total {ty}", profile.display());
            }
            checked += 1;
        }
    }
    checked
}

#[test]
fn fixtures_top_equals_pprof_exact_references() {
    let n = check_exact_dir(&fixtures_dir());
    assert!(n >= 10, "expected the fixture references, found {n}");
}

#[test]
fn corpus_top_equals_pprof_exact_references() {
    let Some(corpus) = corpus_dir() else { return };
    let mut n = 0;
    for sub in ["std", "goroutine", "labels", "diff"] {
        n += check_exact_dir(&corpus.join(sub));
    }
    assert!(n > 0, "no exact references found in the corpus");
    eprintln!("checked {n} corpus references");
}

/// Our `samples` and `labels` tables for profile 0, as pprof's -raw would list them.
fn samples_as_raw(rt: &tokio::runtime::Runtime, engine: &Engine) -> Vec<RawSample> {
    let r = rt
        .block_on(
            engine
                .sql("SELECT sample_id, \"values\", location_ids FROM samples ORDER BY sample_id"),
        )
        .unwrap();
    let mut out = Vec::new();
    for b in &r.batches {
        let values: &ListArray = b.column(1).as_list();
        let locs: &ListArray = b.column(2).as_list();
        for i in 0..b.num_rows() {
            let v = values.value(i);
            let l = locs.value(i);
            out.push(RawSample {
                values: v.as_primitive::<Int64Type>().values().to_vec(),
                locations: l.as_primitive::<UInt64Type>().values().to_vec(),
                labels: Vec::new(),
            });
        }
    }
    let r =
        rt.block_on(engine.sql(
            "SELECT sample_id, key, str FROM labels WHERE str IS NOT NULL ORDER BY sample_id",
        ))
        .unwrap();
    let mut per_sample: BTreeMap<u64, BTreeMap<String, Vec<String>>> = BTreeMap::new();
    for b in &r.batches {
        let ids = b.column(0).as_primitive::<UInt64Type>();
        let keys = cast(b.column(1), &DataType::Utf8).unwrap();
        let keys = keys.as_string::<i32>();
        let strs = b.column(2).as_string::<i32>();
        for i in 0..b.num_rows() {
            per_sample
                .entry(ids.value(i))
                .or_default()
                .entry(keys.value(i).to_string())
                .or_default()
                .push(strs.value(i).to_string());
        }
    }
    for (id, labels) in per_sample {
        let mut tokens: Vec<String> = labels
            .into_iter()
            .map(|(k, v)| format!("{k}:[{}]", v.join(" ")))
            .collect();
        tokens.sort();
        out[id as usize].labels = tokens;
    }
    out
}

/// Maps each location id to the first id with the same address, mapping and lines: pprof's
/// Compact merges such locations.
fn canonical_locations(rt: &tokio::runtime::Runtime, engine: &Engine) -> BTreeMap<u64, u64> {
    let r = rt
        .block_on(engine.sql(
            "SELECT l.location_id, CAST(l.address AS VARCHAR) || '/' || CAST(l.mapping_id AS VARCHAR) || '/' || \
             COALESCE(string_agg(CAST(n.function_id AS VARCHAR) || ':' || CAST(n.line AS VARCHAR), ',' ORDER BY n.line_index), '') \
             FROM locations l LEFT JOIN lines n USING (profile_id, location_id) \
             GROUP BY l.location_id, l.address, l.mapping_id ORDER BY l.location_id",
        ))
        .unwrap();
    let mut first: BTreeMap<String, u64> = BTreeMap::new();
    let mut out = BTreeMap::new();
    for b in &r.batches {
        let ids = b.column(0).as_primitive::<UInt64Type>();
        let keys = cast(b.column(1), &DataType::Utf8).unwrap();
        let keys = keys.as_string::<i32>();
        for i in 0..b.num_rows() {
            let id = ids.value(i);
            let c = *first.entry(keys.value(i).to_string()).or_insert(id);
            out.insert(id, c);
        }
    }
    out
}

/// Numeric labels per sample, as one sortable string (only used as a merge key).
fn numeric_labels(rt: &tokio::runtime::Runtime, engine: &Engine) -> BTreeMap<u64, String> {
    let r = rt
        .block_on(engine.sql(
            "SELECT sample_id, string_agg(CAST(key AS VARCHAR) || '=' || CAST(num AS VARCHAR) || COALESCE(num_unit, ''), ',' ORDER BY key, num) \
             FROM labels WHERE num IS NOT NULL GROUP BY sample_id",
        ))
        .unwrap();
    let mut out = BTreeMap::new();
    for b in &r.batches {
        let ids = b.column(0).as_primitive::<UInt64Type>();
        let text = cast(b.column(1), &DataType::Utf8).unwrap();
        let text = text.as_string::<i32>();
        for i in 0..b.num_rows() {
            out.insert(ids.value(i), text.value(i).to_string());
        }
    }
    out
}

fn check_raw_dir(dir: &Path) -> usize {
    let rt = runtime();
    let mut checked = 0;
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let mut raws: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().ends_with(".pb.gz.raw.txt"))
        .collect();
    raws.sort();
    for raw in raws {
        let profile = PathBuf::from(raw.to_string_lossy().trim_end_matches(".raw.txt"));
        let (types, want) = read_raw(&raw);
        let mut engine = engine();
        engine.load_file(&profile).unwrap_or_else(|e| panic!("{e}"));
        // pprof's -raw lists the profile after its loader compacted it: samples whose values
        // are all zero are gone and location ids are renumbered in order of first use.
        // Apply the same to our (file-faithful) table before comparing.
        // Its loader also merges samples with equal stacks and labels (pprof's Compact),
        // summing their values, in order of first occurrence.
        let numeric = numeric_labels(&rt, &engine);
        let canonical = canonical_locations(&rt, &engine);
        let mut got: Vec<RawSample> = Vec::new();
        let mut seen: BTreeMap<(Vec<u64>, Vec<String>, String), usize> = BTreeMap::new();
        for (i, mut s) in samples_as_raw(&rt, &engine).into_iter().enumerate() {
            for l in &mut s.locations {
                *l = canonical[l];
            }
            let key = (
                s.locations.clone(),
                s.labels.clone(),
                numeric.get(&(i as u64)).cloned().unwrap_or_default(),
            );
            match seen.get(&key) {
                Some(&at) => {
                    for (a, b) in got[at].values.iter_mut().zip(&s.values) {
                        *a += b;
                    }
                }
                None => {
                    seen.insert(key, got.len());
                    got.push(s);
                }
            }
        }
        // Samples without locations are not listed by -raw either (their values still count
        // in pprof's report totals, which the exact-reference test checks).
        got.retain(|s| s.values.iter().any(|&v| v != 0) && !s.locations.is_empty());
        let mut renumber: BTreeMap<u64, u64> = BTreeMap::new();
        for s in &mut got {
            for l in &mut s.locations {
                let next = renumber.len() as u64 + 1;
                *l = *renumber.entry(*l).or_insert(next);
            }
        }
        assert_eq!(got.len(), want.len(), "{}: sample count", profile.display());
        for (i, (g, w)) in got.iter().zip(&want).enumerate() {
            assert_eq!(g, w, "{}: sample {i}", profile.display());
        }
        // Per-type totals: the signed sum of the -raw values.
        let r = rt
            .block_on(engine.sql("SELECT type, unit FROM sample_types ORDER BY sample_index"))
            .unwrap();
        let mut ours: Vec<String> = Vec::new();
        for b in &r.batches {
            for i in 0..b.num_rows() {
                ours.push(format!(
                    "{}/{}",
                    b.column(0).as_string::<i32>().value(i),
                    b.column(1).as_string::<i32>().value(i)
                ));
            }
        }
        assert_eq!(ours, types, "{}: sample types", profile.display());
        for (t, ty) in types.iter().enumerate() {
            let name = ty.split('/').next().unwrap();
            let want_total: i64 = want.iter().map(|s| s.values[t]).sum();
            let q =
                format!("SELECT SUM(\"{name}\") FROM samples WHERE cardinality(location_ids) > 0");
            let r = rt.block_on(engine.sql(&q)).unwrap();
            let col = r.batches[0].column(0);
            let got_total = if col.is_null(0) {
                0
            } else {
                col.as_primitive::<Int64Type>().value(0)
            };
            assert_eq!(
                got_total,
                want_total,
                "{}: total of {ty}",
                profile.display()
            );
        }
        checked += 1;
    }
    checked
}

#[test]
fn fixtures_samples_equal_pprof_raw() {
    let n = check_raw_dir(&fixtures_dir());
    assert!(n >= 6, "expected the fixture -raw references, found {n}");
}

#[test]
fn corpus_samples_equal_pprof_raw() {
    let Some(corpus) = corpus_dir() else { return };
    let mut n = 0;
    for sub in ["std", "goroutine", "labels", "diff"] {
        n += check_raw_dir(&corpus.join(sub));
    }
    assert!(n > 0);
    eprintln!("checked {n} corpus -raw listings");
}

#[test]
fn top_by_cum_orders_like_pprof() {
    // pprof -top -cum: |cum| desc, then name, then |flat| desc.
    let rt = runtime();
    let mut engine = engine();
    let id = engine.load_file(&fixtures_dir().join("cpu.pb.gz")).unwrap();
    let r = rt
        .block_on(top(
            &engine,
            id,
            &TopOptions {
                sample_index: None,
                cum: true,
            },
        ))
        .unwrap();
    let names: Vec<&str> = r.rows.iter().map(|r| r.name.as_str()).collect();
    let text = std::fs::read_to_string(fixtures_dir().join("cpu.pb.gz.cumall.txt")).unwrap();
    let want: Vec<String> = text
        .lines()
        .skip_while(|l| !l.trim_start().starts_with("flat"))
        .skip(1)
        .map(|l| {
            let name = l.split_whitespace().skip(5).collect::<Vec<_>>().join(" ");
            name.trim_end_matches(" (inline)")
                .trim_end_matches(" (partial-inline)")
                .to_string()
        })
        .collect();
    assert_eq!(names, want);
}
