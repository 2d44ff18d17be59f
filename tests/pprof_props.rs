//! Properties any pprof-compatible implementation has: merging a profile with itself
//! doubles it, diffing it against itself leaves nothing, and focus then ignore of the same
//! regex keeps nothing. Checked on every fixture profile.

mod common;

use profsql::tools::pprof::combine::{self, BaseMode};
use profsql::tools::pprof::{self, ReportOptions};
use profsql::Engine;

const PROFILES: [&str; 6] = [
    "cpu.pb.gz",
    "labels.cpu.pb.gz",
    "heap.pb.gz",
    "mutex.pb.gz",
    "goroutine.pb.gz",
    "synthetic.cpu.pb.gz",
];

fn all() -> ReportOptions {
    ReportOptions {
        nodefraction: 0.0,
        edgefraction: 0.0,
        ..ReportOptions::default()
    }
}

#[test]
fn merge_with_itself_doubles_every_total() {
    let rt = common::runtime();
    for name in PROFILES {
        let mut e = common::engine();
        let path = common::fixtures_dir().join(name);
        let a = e.decode_file(&path).unwrap();
        let twice = [e.decode_file(&path).unwrap(), e.decode_file(&path).unwrap()];
        let merged =
            combine::reparse(combine::merge_profiles(&[&twice[0], &twice[1]]).unwrap()).unwrap();
        let ia = e.add_profile(name.into(), a).unwrap();
        let im = e.add_profile(format!("{name}+{name}"), merged).unwrap();
        let (ma, mm) = rt.block_on(async {
            (
                pprof::meta::meta(&e, ia).await.unwrap(),
                pprof::meta::meta(&e, im).await.unwrap(),
            )
        });
        for (ta, tm) in ma.totals.iter().zip(&mm.totals) {
            assert_eq!(tm.total, 2 * ta.total, "{name} {}", ta.r#type);
        }
        // Equal samples add up, so the sample count does not grow.
        assert!(mm.num_samples <= ma.num_samples, "{name}");
        let (ta, tm) = rt.block_on(async {
            (
                pprof::top(&e, ia, &all()).await.unwrap(),
                pprof::top(&e, im, &all()).await.unwrap(),
            )
        });
        assert_eq!(ta.rows.len(), tm.rows.len(), "{name}");
        for (x, y) in ta.rows.iter().zip(&tm.rows) {
            assert_eq!((&x.name, 2 * x.flat, 2 * x.cum), (&y.name, y.flat, y.cum));
        }
    }
}

#[test]
fn diff_against_itself_is_zero() {
    let rt = common::runtime();
    for name in PROFILES {
        let mut e: Engine = common::engine();
        let path = common::fixtures_dir().join(name);
        let a = e.decode_file(&path).unwrap();
        let diff = combine::subtract(&a, &[&a], BaseMode::Diff, false).unwrap();
        let base = combine::subtract(&a, &[&a], BaseMode::Subtract, false).unwrap();
        let ia = e.add_profile(name.into(), a).unwrap();
        let id = e.add_profile(format!("{name} diff"), diff).unwrap();
        let ib = e.add_profile(format!("{name} base"), base).unwrap();
        rt.block_on(async {
            let top_a = pprof::top(&e, ia, &all()).await.unwrap();
            let d = pprof::top(&e, id, &all()).await.unwrap();
            assert!(d.rows.is_empty(), "{name}: {:?}", d.rows.first());
            // diff_base percentages are of the base's total.
            assert_eq!(d.total, top_a.total, "{name}");
            let b = pprof::top(&e, ib, &all()).await.unwrap();
            assert!(b.rows.is_empty() && b.total == 0, "{name}");
            let dt = pprof::diff_top::diff_top(&mut e, ia, ia, &all())
                .await
                .unwrap();
            assert!(dt.deltas.is_empty(), "{name}");
            // The -diff_base report diff_top builds is the one of the profile made here.
            assert_eq!(dt.diff_base.rows.len(), d.rows.len(), "{name}");
            assert_eq!(dt.diff_base.total, d.total, "{name}");
        });
    }
}

#[test]
fn focus_then_ignore_of_one_regex_keeps_nothing() {
    let rt = common::runtime();
    for (name, re) in [
        ("cpu.pb.gz", "main\\."),
        ("heap.pb.gz", "runtime"),
        ("synthetic.cpu.pb.gz", "step1"),
    ] {
        let mut e = common::engine();
        let id = e.load_file(&common::fixtures_dir().join(name)).unwrap();
        let o = ReportOptions {
            focus: Some(re.into()),
            ignore: Some(re.into()),
            ..all()
        };
        rt.block_on(async {
            let top = pprof::top(&e, id, &o).await.unwrap();
            assert!(top.rows.is_empty(), "{name}");
            let traces = pprof::traces(&e, id, &o, 0).await.unwrap();
            assert!(traces.samples.is_empty(), "{name}");
            let focus_only = ReportOptions {
                ignore: None,
                ..o.clone()
            };
            let top = pprof::top(&e, id, &focus_only).await.unwrap();
            assert!(
                !top.rows.is_empty(),
                "{name}: the focus alone keeps samples"
            );
        });
    }
}

/// The same profile, field by field.
fn assert_same(a: &profsql::decode::Profile, b: &profsql::decode::Profile, what: &str) {
    assert_eq!(a.strings, b.strings, "{what}: strings");
    assert_eq!(a.sample_types, b.sample_types, "{what}: sample types");
    assert_eq!(
        (
            a.default_sample_type,
            a.drop_frames,
            a.keep_frames,
            a.doc_url
        ),
        (
            b.default_sample_type,
            b.drop_frames,
            b.keep_frames,
            b.doc_url
        ),
        "{what}: header strings"
    );
    assert_eq!(
        (a.time_nanos, a.duration_nanos, a.period_type, a.period),
        (b.time_nanos, b.duration_nanos, b.period_type, b.period),
        "{what}: header"
    );
    assert_eq!(a.comments, b.comments, "{what}: comments");
    assert_eq!(a.mappings, b.mappings, "{what}: mappings");
    assert_eq!(a.locations, b.locations, "{what}: locations");
    assert_eq!(a.lines, b.lines, "{what}: lines");
    assert_eq!(a.functions, b.functions, "{what}: functions");
    for l in &a.locations {
        assert_eq!(
            a.location_index.get(l.id),
            b.location_index.get(l.id),
            "{what}: location index"
        );
    }
    let (x, y) = (&a.samples, &b.samples);
    assert_eq!(x.n_types, y.n_types, "{what}: value count");
    assert_eq!(x.loc_offsets, y.loc_offsets, "{what}: sample stacks");
    assert_eq!(x.loc_index, y.loc_index, "{what}: sample locations");
    assert_eq!(x.values, y.values, "{what}: sample values");
    assert_eq!(x.label_offsets, y.label_offsets, "{what}: sample labels");
    assert_eq!(x.labels, y.labels, "{what}: labels");
    assert_eq!(x.numeric, y.numeric, "{what}: numeric labels");
}

#[test]
fn a_built_message_reads_as_its_encoding_does() {
    use prost::Message;
    let opts = profsql::decode::DecodeOptions {
        max_decompressed: u64::MAX,
    };
    let mut names: Vec<&str> = PROFILES.to_vec();
    names.push("worker.goroutine.pb.gz");
    for name in names {
        let path = common::fixtures_dir().join(name);
        let raw = std::fs::read(&path).unwrap();
        let raw = profsql::decode::decompress(&raw, u64::MAX).unwrap();
        let msg = profsql::decode::proto::ProfileMessage::decode(&*raw).unwrap();
        let read = profsql::decode::decode_bytes(name, &raw, &opts).unwrap();
        let built = profsql::decode::from_message(name, msg).unwrap();
        assert_same(&read, &built, name);
        // And a merge's result (the message the conversion exists for), with labels.
        let merged = combine::merge_profiles(&[&read, &built]).unwrap();
        let bytes = merged.encode_to_vec();
        let read = profsql::decode::decode_bytes(name, &bytes, &opts).unwrap();
        let built = profsql::decode::from_message(name, merged).unwrap();
        assert_same(&read, &built, &format!("{name} merged"));
    }
    // Bad messages are refused with the decoder's reasons.
    let mut msg = profsql::decode::proto::ProfileMessage {
        string_table: vec![String::new(), "samples".into(), "count".into()],
        ..Default::default()
    };
    msg.sample_type
        .push(profsql::decode::proto::ValueType { r#type: 1, unit: 2 });
    msg.sample.push(profsql::decode::proto::Sample {
        location_id: vec![7],
        value: vec![1],
        label: Vec::new(),
    });
    let e = profsql::decode::from_message("m", msg)
        .unwrap_err()
        .to_string();
    assert!(e.contains("m") && e.contains("location 7"), "{e}");
}
