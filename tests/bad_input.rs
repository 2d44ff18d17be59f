//! Bad input: every case gives a clear error naming the file and the rule broken (or, where
//! pprof accepts the input, correct results) and never a panic.

mod common;

use std::io::Write;

use profsql::decode::proto::{
    Function, Label, Line, Location, Mapping, ProfileMessage, Sample, ValueType,
};
use profsql::decode::{decode_bytes, decode_file, DecodeError, DecodeOptions, Reason};
use profsql::tools::top::{top, TopOptions};
use prost::Message;

use common::*;

/// A small valid CPU profile: main -> work -> (inlined) helper, plus an unsymbolized frame.
fn valid() -> ProfileMessage {
    let strings: Vec<String> = [
        "",
        "samples",
        "count",
        "cpu",
        "nanoseconds",
        "main",
        "work",
        "helper",
        "main.go",
        "/bin/app",
        "key",
        "value",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let f = |id: u64, name: i64| Function {
        id,
        name,
        system_name: name,
        filename: 8,
        start_line: 1,
    };
    let loc = |id: u64, lines: Vec<(u64, i64)>| Location {
        id,
        mapping_id: 1,
        address: 0x1000 + id,
        line: lines
            .into_iter()
            .map(|(function_id, line)| Line {
                function_id,
                line,
                column: 0,
            })
            .collect(),
        is_folded: false,
    };
    ProfileMessage {
        sample_type: vec![
            ValueType { r#type: 1, unit: 2 },
            ValueType { r#type: 3, unit: 4 },
        ],
        sample: vec![
            Sample {
                location_id: vec![2, 1],
                value: vec![1, 10],
                label: vec![Label {
                    key: 10,
                    str: 11,
                    num: 0,
                    num_unit: 0,
                }],
            },
            Sample {
                location_id: vec![3, 2, 1],
                value: vec![2, 20],
                label: vec![],
            },
        ],
        mapping: vec![Mapping {
            id: 1,
            memory_start: 0x1000,
            memory_limit: 0x2000,
            filename: 9,
            ..Mapping::default()
        }],
        location: vec![
            loc(1, vec![(1, 3)]),
            loc(2, vec![(3, 10), (2, 5)]),
            loc(3, vec![]),
        ],
        function: vec![f(1, 5), f(2, 6), f(3, 7)],
        string_table: strings,
        period_type: Some(ValueType { r#type: 3, unit: 4 }),
        period: 10,
        time_nanos: 1,
        ..ProfileMessage::default()
    }
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn decode(data: &[u8]) -> Result<profsql::decode::Profile, DecodeError> {
    decode_bytes("case.pb", data, &DecodeOptions::default())
}

/// The error for `data`, checked to name the file and to contain `needle`.
fn refused(data: &[u8], needle: &str) -> Reason {
    let err = decode(data).expect_err("input should be refused");
    let text = err.to_string();
    assert!(
        text.starts_with("case.pb: "),
        "error does not name the file: {text}"
    );
    assert!(
        text.contains(needle),
        "error {text:?} does not say {needle:?}"
    );
    err.reason
}

fn mutated(f: impl FnOnce(&mut ProfileMessage)) -> Vec<u8> {
    let mut p = valid();
    f(&mut p);
    p.encode_to_vec()
}

#[test]
fn valid_profile_decodes_in_every_container() {
    let raw = valid().encode_to_vec();
    let zst = zstd::encode_all(raw.as_slice(), 3).unwrap();
    for data in [raw.clone(), gzip(&raw), zst] {
        let p = decode(&data).unwrap();
        assert_eq!(p.samples.len(), 2);
        assert_eq!(p.default_sample_index(), Some(1));
    }
}

#[test]
fn empty_file() {
    assert_eq!(refused(&[], "empty input file"), Reason::Empty);
}

#[test]
fn random_bytes() {
    // Deterministic pseudo-random bytes; several seeds, none may panic or succeed.
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    for len in [1usize, 7, 100, 4096] {
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 24) as u8
            })
            .collect();
        let err = decode(&bytes).expect_err("random bytes must not decode");
        assert!(err.to_string().starts_with("case.pb: "));
    }
}

#[test]
fn truncated_gzip() {
    let gz = gzip(&valid().encode_to_vec());
    let reason = refused(&gz[..gz.len() / 2], "gzip data is corrupt or truncated");
    assert!(matches!(reason, Reason::Decompress { .. }));
}

#[test]
fn gzip_of_garbage() {
    let reason = refused(
        &gzip(b"this is not a protobuf message at all \xff\xff\xff"),
        "not a valid profile.proto",
    );
    assert!(matches!(reason, Reason::Malformed(_)));
}

#[test]
fn decompression_bomb_over_the_cap() {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(&vec![0u8; 8 << 20]).unwrap();
    let bomb = e.finish().unwrap();
    assert!(bomb.len() < 64 << 10, "the bomb should compress well");
    let opts = DecodeOptions {
        max_decompressed: 1 << 20,
    };
    let err = decode_bytes("bomb.pb.gz", &bomb, &opts).unwrap_err();
    assert_eq!(err.reason, Reason::TooLarge { cap: 1 << 20 });
    assert!(err.to_string().contains("PROFSQL_MAX_DECOMPRESSED"));
    let zbomb = zstd::encode_all(vec![0u8; 8 << 20].as_slice(), 3).unwrap();
    let err = decode_bytes("bomb.pb.zst", &zbomb, &opts).unwrap_err();
    assert_eq!(err.reason, Reason::TooLarge { cap: 1 << 20 });
}

#[test]
fn bad_string_index() {
    refused(
        &mutated(|p| p.function[0].name = 999),
        "function 1 name: string index 999 out of range",
    );
    refused(
        &mutated(|p| p.sample[0].label[0].str = 77),
        "label: string index 77 out of range",
    );
    refused(
        &mutated(|p| p.sample_type[0].unit = -1),
        "string index -1 out of range",
    );
}

#[test]
fn dangling_location_id() {
    refused(
        &mutated(|p| p.sample[1].location_id.push(42)),
        "sample 2 refers to location 42 which does not exist",
    );
}

#[test]
fn dangling_function_id() {
    refused(
        &mutated(|p| p.location[0].line[0].function_id = 9),
        "location 1 refers to function 9 which does not exist",
    );
}

#[test]
fn dangling_mapping_id() {
    refused(
        &mutated(|p| p.location[2].mapping_id = 5),
        "location 3 refers to mapping 5 which does not exist",
    );
}

#[test]
fn zero_id() {
    refused(&mutated(|p| p.location[1].id = 0), "location #2 has id 0");
    refused(&mutated(|p| p.function[0].id = 0), "function #1 has id 0");
    refused(&mutated(|p| p.mapping[0].id = 0), "mapping #1 has id 0");
}

#[test]
fn duplicate_id() {
    refused(
        &mutated(|p| p.function[2].id = 2),
        "function id 2 is not unique",
    );
    refused(
        &mutated(|p| p.location[2].id = 1),
        "location id 1 is not unique",
    );
}

#[test]
fn value_count_mismatch() {
    refused(
        &mutated(|p| p.sample[1].value.push(3)),
        "sample 2 has 3 values but the profile has 2 sample types",
    );
}

#[test]
fn concatenated_profiles() {
    let one = valid().encode_to_vec();
    let two = [one.clone(), one].concat();
    assert_eq!(
        refused(&two, "concatenated profiles detected"),
        Reason::Concatenated
    );
    assert_eq!(refused(&gzip(&two), "concatenated"), Reason::Concatenated);
}

#[test]
fn line_without_function() {
    refused(
        &mutated(|p| p.location[1].line[1].function_id = 0),
        "location 2 has a line without a function",
    );
}

#[test]
fn first_string_not_empty() {
    refused(
        &mutated(|p| p.string_table[0] = "x".into()),
        "string_table[0] must be \"\"",
    );
}

#[test]
fn samples_without_sample_types() {
    refused(
        &mutated(|p| {
            p.sample_type.clear();
            for s in &mut p.sample {
                s.value.clear();
            }
        }),
        "profile has samples but no sample types",
    );
}

#[test]
fn truncated_protobuf() {
    let raw = valid().encode_to_vec();
    for cut in [1, raw.len() / 3, raw.len() - 1] {
        let err = decode(&raw[..cut]).expect_err("truncated input must be refused");
        assert!(err.to_string().starts_with("case.pb: "));
    }
}

#[test]
fn negative_values_give_negative_results() {
    // pprof accepts negative values (diff profiles are made of them).
    let data = mutated(|p| {
        p.sample[0].value = vec![-1, -10];
        p.sample[1].value = vec![-2, -20];
    });
    let mut engine = engine();
    let id = engine
        .add_profile("neg".into(), decode(&data).unwrap())
        .unwrap();
    let r = runtime()
        .block_on(top(&engine, id, &TopOptions::default()))
        .unwrap();
    let row = |n: &str| r.rows.iter().find(|x| x.name == n).cloned().unwrap();
    assert_eq!((row("main").flat, row("main").cum), (0, -30));
    assert_eq!((row("helper").flat, row("helper").cum), (-10, -30));
    assert_eq!((row("[app]").flat, row("[app]").cum), (-20, -20));
    assert_eq!((r.total, r.abs_total), (-30, 30));
}

#[test]
fn ten_thousand_frame_stack() {
    // A deep recursive stack: cum counts the sample once per function, flat goes to the leaf.
    let data = mutated(|p| {
        p.sample[0].location_id = std::iter::repeat_n(1u64, 10_000).collect();
    });
    let mut engine = engine();
    let id = engine
        .add_profile("deep".into(), decode(&data).unwrap())
        .unwrap();
    let rt = runtime();
    let r = rt
        .block_on(top(&engine, id, &TopOptions::default()))
        .unwrap();
    let main = r.rows.iter().find(|x| x.name == "main").unwrap();
    assert_eq!((main.flat, main.cum), (10, 30));
    let depth = rt
        .block_on(engine.sql("SELECT max(depth) AS d FROM frames"))
        .unwrap();
    let d = depth.batches[0]
        .column(0)
        .as_any()
        .downcast_ref::<datafusion::arrow::array::UInt32Array>()
        .unwrap()
        .value(0);
    assert_eq!(d, 9_999);
}

#[test]
fn profile_with_no_samples() {
    let data = mutated(|p| p.sample.clear());
    let mut engine = engine();
    let id = engine
        .add_profile("none".into(), decode(&data).unwrap())
        .unwrap();
    let r = runtime()
        .block_on(top(&engine, id, &TopOptions::default()))
        .unwrap();
    assert!(r.rows.is_empty());
    assert_eq!((r.total, r.abs_total), (0, 0));
}

#[test]
fn profile_with_no_sample_types() {
    let data = mutated(|p| {
        p.sample.clear();
        p.sample_type.clear();
    });
    let mut engine = engine();
    let id = engine
        .add_profile("notypes".into(), decode(&data).unwrap())
        .unwrap();
    let err = runtime()
        .block_on(top(&engine, id, &TopOptions::default()))
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("notypes: profile has no sample types"),
        "{err}"
    );
}

#[test]
fn directory_instead_of_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let err = decode_file(dir.path(), &DecodeOptions::default()).unwrap_err();
    assert_eq!(err.reason, Reason::IsDirectory);
    assert!(err.to_string().contains(&dir.path().display().to_string()));
}

#[test]
fn missing_file() {
    let path = std::path::Path::new("/nonexistent/profile.pb.gz");
    let err = decode_file(path, &DecodeOptions::default()).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("/nonexistent/profile.pb.gz: cannot read file"),
        "{err}"
    );
}

#[test]
fn non_utf8_string_is_replaced_not_refused() {
    // Go keeps the bytes; we keep the entry readable with U+FFFD, like printing it would.
    let mut p = valid();
    p.string_table[5] = "placeholder".into();
    let mut raw = p.encode_to_vec();
    let at = raw.windows(11).position(|w| w == b"placeholder").unwrap();
    raw[at] = 0xff;
    let decoded = decode(&raw).unwrap();
    assert_eq!(decoded.str(5), "\u{fffd}laceholder");
}

#[test]
fn empty_labels_are_dropped_like_pprof() {
    let data = mutated(|p| {
        p.sample[1].label.push(Label {
            key: 10,
            str: 0,
            num: 0,
            num_unit: 0,
        })
    });
    let decoded = decode(&data).unwrap();
    assert_eq!(decoded.samples.labels.len(), 1);
}

#[test]
fn mutations_never_panic() {
    // Flip, drop and truncate bytes of a valid profile; decoding and loading must return
    // (Ok or Err) every time.
    let raw = valid().encode_to_vec();
    let mut x: u64 = 88172645463325252;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for _ in 0..3000 {
        let mut data = raw.clone();
        for _ in 0..(1 + next() % 4) {
            let i = (next() % data.len() as u64) as usize;
            match next() % 3 {
                0 => data[i] ^= 1 << (next() % 8),
                1 => data[i] = next() as u8,
                _ => data.truncate(i.max(1)),
            }
        }
        if let Ok(p) = decode(&data) {
            let lp = profsql::tables::LoadedProfile::new(0, "m", p).unwrap();
            profsql::tables::generate_all(&lp).unwrap();
        }
    }
}

#[test]
fn nameless_function_is_named_after_its_binary() {
    // pprof names a frame whose function has no name after the mapping, like an
    // unsymbolized frame, so the two become one node.
    let data = mutated(|p| p.function[2].name = 0);
    let mut engine = engine();
    let id = engine
        .add_profile("nameless".into(), decode(&data).unwrap())
        .unwrap();
    let r = runtime()
        .block_on(top(&engine, id, &TopOptions::default()))
        .unwrap();
    let app = r.rows.iter().find(|x| x.name == "[app]").unwrap();
    assert_eq!((app.flat, app.cum), (30, 30));
    assert!(r.rows.iter().all(|x| x.name != "<unknown>"));
}

#[test]
fn files_over_the_cap_are_refused_in_every_container() {
    let dir = tempfile::tempdir().unwrap();
    let raw = valid().encode_to_vec();
    let opts = DecodeOptions {
        max_decompressed: 16,
    };
    for (name, bytes) in [("raw.pb", raw.clone()), ("gz.pb.gz", gzip(&raw))] {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let err = decode_file(&path, &opts).unwrap_err();
        assert_eq!(err.reason, Reason::TooLarge { cap: 16 }, "{name}");
        // And under a generous cap the same files decode.
        decode_file(&path, &DecodeOptions::default()).unwrap();
    }
}

#[test]
fn location_ids_beyond_32_bits_decode() {
    // Samples are read before the symbols; ids that do not fit 32 bits take the slower
    // second pass and must give the same profile.
    let big = 1u64 << 40;
    let data = mutated(|p| {
        for l in &mut p.location {
            l.id += big;
        }
        for s in &mut p.sample {
            for id in &mut s.location_id {
                *id += big;
            }
        }
    });
    let wide = decode(&data).unwrap();
    let narrow = decode(&valid().encode_to_vec()).unwrap();
    assert_eq!(wide.samples.loc_index, narrow.samples.loc_index);
    let dangling = mutated(|p| {
        for l in &mut p.location {
            l.id += big;
        }
        p.sample[0].location_id = vec![big + 1, big + 7];
        p.sample[1].location_id = vec![big + 2];
    });
    refused(
        &dangling,
        &format!(
            "sample 1 refers to location {} which does not exist",
            big + 7
        ),
    );
}

#[test]
fn value_count_mismatch_on_the_first_sample() {
    refused(
        &mutated(|p| p.sample[0].value = vec![1]),
        "sample 1 has 1 values but the profile has 2 sample types",
    );
    // All samples agreeing with each other but not with the sample types.
    refused(
        &mutated(|p| {
            p.sample[0].value = vec![1, 2, 3];
            p.sample[1].value = vec![1, 2, 3];
        }),
        "sample 1 has 3 values but the profile has 2 sample types",
    );
}
