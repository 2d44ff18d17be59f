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
            let dt = pprof::diff_top::diff_top(&e, ia, ia, id, &all())
                .await
                .unwrap();
            assert!(dt.deltas.is_empty(), "{name}");
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
