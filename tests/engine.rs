//! The SQL session: several profiles side by side, the lazily generated tables agreeing with
//! each other, profile_id pruning, and the UDFs over real stacks.

mod common;

use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Int64Type};
use profsql::Engine;

use common::*;

fn loaded(names: &[&str]) -> Engine {
    let mut e = engine();
    for n in names {
        e.load_file(&fixtures_dir().join(n)).unwrap();
    }
    e
}

/// The first column of a one-row, integer-valued result.
fn scalar(engine: &Engine, sql: &str) -> i64 {
    let r = runtime()
        .block_on(engine.sql(sql))
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    let b = r.batches.iter().find(|b| b.num_rows() > 0).expect("a row");
    let c = cast(b.column(0), &DataType::Int64).unwrap();
    let c = c.as_primitive::<Int64Type>();
    assert!(!c.is_null(0), "{sql} gave NULL");
    c.value(0)
}

#[test]
fn lazy_tables_agree_with_each_other() {
    let e = loaded(&["cpu.pb.gz", "heap.pb.gz", "labels.cpu.pb.gz"]);
    for pid in 0..3 {
        let frames = scalar(
            &e,
            &format!("SELECT count(*) FROM frames WHERE profile_id = {pid}"),
        );
        let stacks = scalar(
            &e,
            &format!("SELECT sum(depth) FROM stacks WHERE profile_id = {pid}"),
        );
        let lens = scalar(
            &e,
            &format!("SELECT sum(cardinality(stack)) FROM stacks WHERE profile_id = {pid}"),
        );
        assert_eq!(frames, stacks);
        assert_eq!(frames, lens);
        // Every frame row of a sample maps to one line of its location (or the location).
        let via_lines = scalar(
            &e,
            &format!(
                "SELECT sum(CASE WHEN l.num_lines = 0 THEN 1 ELSE l.num_lines END) \
                 FROM (SELECT profile_id, unnest(location_ids) AS location_id FROM samples WHERE profile_id = {pid}) s \
                 JOIN locations l USING (profile_id, location_id)"
            ),
        );
        assert_eq!(frames, via_lines);
        let samples = scalar(
            &e,
            &format!("SELECT count(*) FROM samples WHERE profile_id = {pid}"),
        );
        let n = scalar(
            &e,
            &format!("SELECT num_samples FROM profiles WHERE profile_id = {pid}"),
        );
        assert_eq!(samples, n);
    }
}

#[test]
fn stack_ids_name_equal_location_lists() {
    let e = loaded(&[
        "cpu.pb.gz",
        "heap.pb.gz",
        "labels.cpu.pb.gz",
        "worker.goroutine.pb.gz",
    ]);
    for pid in 0..4 {
        let lists = scalar(
            &e,
            &format!(
                "SELECT count(*) FROM (SELECT location_ids FROM samples \
                 WHERE profile_id = {pid} GROUP BY location_ids)"
            ),
        );
        // One id per distinct list, each list under one id, numbered from 0.
        let pairs = scalar(
            &e,
            &format!(
                "SELECT count(*) FROM (SELECT location_ids, stack_id FROM samples \
                 WHERE profile_id = {pid} GROUP BY location_ids, stack_id)"
            ),
        );
        let ids = scalar(
            &e,
            &format!("SELECT count(DISTINCT stack_id) FROM samples WHERE profile_id = {pid}"),
        );
        let max = scalar(
            &e,
            &format!("SELECT max(stack_id) FROM samples WHERE profile_id = {pid}"),
        );
        assert_eq!(
            (pairs, ids, max + 1),
            (lists, lists, lists),
            "profile {pid}"
        );
        // Numbered in order of first appearance: the first sample has stack 0.
        assert_eq!(
            scalar(
                &e,
                &format!("SELECT stack_id FROM samples WHERE profile_id = {pid} AND sample_id = 0")
            ),
            0
        );
    }
}

#[test]
fn profile_id_filters_prune_and_stay_correct() {
    let e = loaded(&["cpu.pb.gz", "heap.pb.gz"]);
    let all = scalar(&e, "SELECT count(*) FROM frames");
    let a = scalar(&e, "SELECT count(*) FROM frames WHERE profile_id = 0");
    let b = scalar(&e, "SELECT count(*) FROM frames WHERE 1 = profile_id");
    let both = scalar(&e, "SELECT count(*) FROM frames WHERE profile_id IN (0, 1)");
    assert_eq!(a + b, all);
    assert_eq!(both, all);
    assert_eq!(
        scalar(&e, "SELECT count(*) FROM frames WHERE profile_id = 7"),
        0
    );
    // Mixed with other predicates.
    let leaves = scalar(
        &e,
        "SELECT count(*) FROM frames WHERE profile_id = 1 AND depth = 0",
    );
    let samples_with_stack = scalar(
        &e,
        "SELECT count(*) FROM samples WHERE profile_id = 1 AND cardinality(location_ids) > 0",
    );
    assert_eq!(leaves, samples_with_stack);
}

#[test]
fn value_columns_follow_sample_types() {
    let e = loaded(&["cpu.pb.gz", "heap.pb.gz"]);
    // The cpu profile has no alloc_space: NULL there; the heap default is alloc_space.
    assert_eq!(
        scalar(
            &e,
            "SELECT count(alloc_space) FROM samples WHERE profile_id = 0"
        ),
        0
    );
    assert_eq!(
        scalar(&e, "SELECT sum(value) FROM samples WHERE profile_id = 1"),
        scalar(
            &e,
            "SELECT sum(alloc_space) FROM samples WHERE profile_id = 1"
        )
    );
    assert_eq!(
        scalar(&e, "SELECT sum(value) FROM samples WHERE profile_id = 0"),
        scalar(
            &e,
            "SELECT sum(\"values\"[2]) FROM samples WHERE profile_id = 0"
        )
    );
    let total: i64 = std::fs::read_to_string(fixtures_dir().join("heap.pb.gz.total.inuse_space"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert_eq!(
        scalar(
            &e,
            "SELECT sum(abs(inuse_space)) FROM frames WHERE profile_id = 1 AND depth = 0"
        ),
        total
    );
}

#[test]
fn udfs_work_on_real_stacks() {
    let e = loaded(&["cpu.pb.gz"]);
    let with_main = scalar(
        &e,
        "SELECT count(*) FROM stacks WHERE stack_contains(stack, '^main\\.main$')",
    );
    let via_frames = scalar(
        &e,
        "SELECT count(DISTINCT sample_id) FROM frames WHERE CAST(function_name AS VARCHAR) = 'main.main'",
    );
    assert_eq!(with_main, via_frames);
    assert!(with_main > 0);
    // leaf() is the depth-0 frame; root() the deepest.
    let mismatched_leaf = scalar(
        &e,
        "SELECT count(*) FROM stacks s JOIN frames f ON s.sample_id = f.sample_id AND f.depth = 0 \
         WHERE leaf(s.stack) <> CAST(f.function_name AS VARCHAR)",
    );
    assert_eq!(mismatched_leaf, 0);
    let folded = scalar(
        &e,
        "SELECT count(*) FROM stacks WHERE cardinality(stack) > 0 AND fold_stack(stack) NOT LIKE root(stack) || '%'",
    );
    assert_eq!(folded, 0);
    let r = runtime()
        .block_on(e.sql("SELECT format_value(sum(cpu), 'nanoseconds') FROM samples"))
        .unwrap();
    let s = cast(r.batches[0].column(0), &DataType::Utf8).unwrap();
    // The fixture script records pprof's total (ns); format_value must print it scaled.
    let total: f64 = std::fs::read_to_string(common::fixtures_dir().join("cpu.pb.gz.total.cpu"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let want = format!("{:.2}s", total / 1e9);
    let want = want.replace(".00s", "s");
    assert_eq!(s.as_string::<i32>().value(0), want);
}

#[test]
fn describe_and_list_tables() {
    let e = loaded(&[]);
    assert_eq!(e.table_names(), ALL_TABLES);
    // Empty tables are queryable before any profile is loaded.
    assert_eq!(scalar(&e, "SELECT count(*) FROM frames"), 0);
    let d = runtime().block_on(e.describe_table("frames")).unwrap();
    assert!(d.num_rows() >= 15);
}

#[test]
fn short_in_lists_are_pruned_too() {
    // DataFusion turns `IN (a, b)` into `a OR b`; the scan must still skip other profiles
    // and the answer must not change.
    let e = loaded(&["cpu.pb.gz", "heap.pb.gz", "labels.cpu.pb.gz"]);
    let two = scalar(&e, "SELECT count(*) FROM frames WHERE profile_id IN (0, 2)");
    let sum = scalar(&e, "SELECT count(*) FROM frames WHERE profile_id = 0")
        + scalar(&e, "SELECT count(*) FROM frames WHERE profile_id = 2");
    assert_eq!(two, sum);
    let one = scalar(&e, "SELECT count(*) FROM frames WHERE profile_id = 1");
    assert!(one > 0);
    assert_eq!(scalar(&e, "SELECT count(*) FROM frames"), two + one);
    assert_eq!(
        scalar(&e, "SELECT count(*) FROM frames WHERE profile_id IN (1, 7)"),
        one
    );
    let r = runtime()
        .block_on(e.sql("EXPLAIN ANALYZE SELECT count(*) FROM frames WHERE profile_id IN (0, 2)"))
        .unwrap();
    let plan = datafusion::arrow::util::pretty::pretty_format_batches(&r.batches)
        .unwrap()
        .to_string();
    // The scan applies the filter itself (exactly), so no filter runs over its rows.
    assert!(!plan.contains("FilterExec"), "{plan}");
}

/// The lazy tables declare their row order (profile, sample, depth) so ordered reads skip
/// the sort; the rows must then really come in that order, across profiles and partitions.
#[test]
fn declared_row_order_holds() {
    let e = loaded(&["cpu.pb.gz", "heap.pb.gz", "labels.cpu.pb.gz"]);
    let rt = runtime();
    let ordered =
        "SELECT profile_id, sample_id, depth FROM frames ORDER BY profile_id, sample_id, depth";
    for partitions in [1, 4] {
        let r = rt
            .block_on(e.sql_script(&format!(
                "SET datafusion.execution.target_partitions = {partitions}; EXPLAIN {ordered}; {ordered}"
            )))
            .unwrap();
        let plan = datafusion::arrow::util::pretty::pretty_format_batches(&r[1].batches)
            .unwrap()
            .to_string();
        assert!(!plan.contains("SortExec"), "{plan}");
        let mut rows = Vec::new();
        for b in &r[2].batches {
            let (p, s, d) = (
                cast(b.column(0), &DataType::Int64).unwrap(),
                cast(b.column(1), &DataType::Int64).unwrap(),
                cast(b.column(2), &DataType::Int64).unwrap(),
            );
            let (p, s, d) = (
                p.as_primitive::<Int64Type>(),
                s.as_primitive::<Int64Type>(),
                d.as_primitive::<Int64Type>(),
            );
            rows.extend((0..b.num_rows()).map(|k| (p.value(k), s.value(k), d.value(k))));
        }
        let all = scalar(&e, "SELECT count(*) FROM frames");
        assert_eq!(rows.len() as i64, all);
        assert!(rows.windows(2).all(|w| w[0] < w[1]), "rows out of order");
        assert_eq!(rows.iter().map(|r| r.0).max(), Some(2));
    }
}

/// A file loaded in one step (its symbol tables built while its samples are still being
/// parsed) has exactly the tables of the same file decoded and then flattened, whether it
/// is gzip (parsed as it inflates) or raw protobuf (parsed whole).
#[test]
fn tables_built_while_decoding_equal_tables_built_after() {
    use profsql::decode::{decode_file, DecodeOptions};
    use profsql::tables::LoadedProfile;
    let opts = DecodeOptions::default();
    let tmp = tempfile::tempdir().unwrap();
    let mut checked = 0;
    for entry in std::fs::read_dir(fixtures_dir()).unwrap() {
        let gz = entry.unwrap().path();
        if !gz.to_string_lossy().ends_with(".pb.gz") {
            continue;
        }
        let raw = tmp.path().join("raw.pb");
        let data = std::fs::read(&gz).unwrap();
        let bytes = profsql::decode::decompress(&data, u64::MAX).unwrap();
        std::fs::write(&raw, &bytes).unwrap();
        for path in [&gz, &raw] {
            let one = LoadedProfile::decode_file(3, path, &opts).unwrap();
            let profile = decode_file(path, &opts).unwrap();
            let two = LoadedProfile::new(3, path.display().to_string(), profile).unwrap();
            let what = path.display();
            assert_eq!(
                format!("{:?}", one.profile),
                format!("{:?}", two.profile),
                "{what}"
            );
            assert_eq!(
                format!("{:?}", one.symbols),
                format!("{:?}", two.symbols),
                "{what}"
            );
            assert_eq!(one.small, two.small, "{what}");
            assert_eq!(one.value_columns, two.value_columns, "{what}");
        }
        checked += 1;
    }
    assert!(checked >= 5, "only {checked} fixtures");
}

/// A sample mask over `sample_id` is applied by the frames scan itself (no FilterExec is
/// left in the plan) and keeps exactly the rows DataFusion's own filter keeps; a mask
/// shorter than the profile drops the samples past its end, and two masks both apply.
#[test]
fn sample_masks_pushed_into_the_frames_scan_keep_the_same_rows() {
    use profsql::tables::mask::mask_udf;
    let e = loaded(&["synthetic.cpu.pb.gz", "cpu.pb.gz"]);
    let n = scalar(&e, "SELECT count(*) FROM samples WHERE profile_id = 0") as usize;
    // Every third sample, and (second mask) the first two thirds of the profile.
    let every_third: Vec<bool> = (0..n).map(|i| i % 3 == 0).collect();
    let early: Vec<bool> = (0..n * 2 / 3).map(|_| true).collect();
    let udfs = [mask_udf("keep_a", every_third), mask_udf("keep_b", early)];
    let run = |sql: &str| {
        runtime()
            .block_on(e.sql_with_udfs(sql, &udfs))
            .unwrap_or_else(|err| panic!("{sql}: {err}"))
    };
    let rows = |sql: &str| {
        let r = run(sql);
        datafusion::arrow::util::pretty::pretty_format_batches(&r.batches)
            .unwrap()
            .to_string()
    };
    let cols = "f.profile_id, f.sample_id, f.depth, f.function_name_id, f.first_in_stack";
    for (masks, on_samples) in [
        ("keep_a(f.sample_id)", "keep_a(s.sample_id)"),
        (
            "keep_a(f.sample_id) AND keep_b(f.sample_id)",
            "keep_a(s.sample_id) AND keep_b(s.sample_id)",
        ),
    ] {
        let pushed = format!(
            "SELECT {cols} FROM frames f WHERE f.profile_id = 0 AND {masks} \
             ORDER BY 1, 2, 3"
        );
        // The samples table takes no mask: DataFusion filters it, and the join keeps
        // those samples' frames.
        let filtered = format!(
            "SELECT {cols} FROM frames f JOIN (SELECT profile_id, sample_id FROM samples s \
             WHERE {on_samples}) s ON f.profile_id = s.profile_id AND f.sample_id = s.sample_id \
             WHERE f.profile_id = 0 ORDER BY 1, 2, 3"
        );
        let got = rows(&pushed);
        assert_eq!(got, rows(&filtered), "{masks}");
        assert!(got.lines().count() > 100, "{masks}: too few rows to tell");
        let plan = rows(&format!("EXPLAIN {pushed}"));
        assert!(
            !plan.contains("FilterExec"),
            "{masks}: filtered again:\n{plan}"
        );
    }
}
