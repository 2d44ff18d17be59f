//! pprof's `-tagroot` / `-tagleaf`: pseudo frames named after label values, added to every
//! sample before filtering (pprof's `addLabelNodes`), so a report can group by label.

use super::measurement::scaled_label;
use crate::decode::proto::{Function, Label, Line, Location, ProfileMessage, Sample, ValueType};
use crate::decode::Profile;
use crate::tools::ToolError;

fn keys(spec: Option<&str>) -> Vec<&str> {
    spec.unwrap_or("")
        .split(',')
        .filter(|k| !k.is_empty())
        .collect()
}

/// Whether these -tagroot/-tagleaf options name no key (`add_label_nodes` then changes
/// nothing).
pub fn adds_nothing(tagroot: Option<&str>, tagleaf: Option<&str>) -> bool {
    keys(tagroot).is_empty() && keys(tagleaf).is_empty()
}

/// The profile as a message, to be rewritten.
fn to_message(p: &Profile) -> ProfileMessage {
    use datafusion::arrow::array::Array;
    let store = &p.samples;
    let vt = |t: &crate::decode::ValueType| ValueType {
        r#type: i64::from(t.r#type),
        unit: i64::from(t.unit),
    };
    ProfileMessage {
        sample_type: p.sample_types.iter().map(vt).collect(),
        sample: (0..store.len())
            .map(|i| Sample {
                location_id: store
                    .locations(i)
                    .iter()
                    .map(|&l| p.locations[l as usize].id)
                    .collect(),
                value: store.values(i).to_vec(),
                label: store
                    .labels(i)
                    .iter()
                    .map(|l| {
                        let key = i64::from(l.key());
                        match store.label_number(l) {
                            Some((num, unit)) => Label {
                                key,
                                num,
                                num_unit: i64::from(unit),
                                ..Label::default()
                            },
                            None => Label {
                                key,
                                str: i64::from(l.str()),
                                ..Label::default()
                            },
                        }
                    })
                    .collect(),
            })
            .collect(),
        mapping: p.mappings.clone(),
        location: p
            .locations
            .iter()
            .map(|l| Location {
                id: l.id,
                mapping_id: l.mapping_id,
                address: l.address,
                line: p.lines_of(l).to_vec(),
                is_folded: l.is_folded,
            })
            .collect(),
        function: p.functions.clone(),
        string_table: (0..p.strings.len())
            .map(|i| p.strings.value(i).to_string())
            .collect(),
        drop_frames: i64::from(p.drop_frames),
        keep_frames: i64::from(p.keep_frames),
        time_nanos: p.time_nanos,
        duration_nanos: p.duration_nanos,
        period_type: Some(vt(&p.period_type)),
        period: p.period,
        comment: p.comments.iter().map(|&c| i64::from(c)).collect(),
        default_sample_type: i64::from(p.default_sample_type),
        doc_url: i64::from(p.doc_url),
    }
}

/// pprof's `formatLabelValues`: string values, then numbers scaled with their unit (as
/// plain numbers when the key has no units).
fn label_values(p: &Profile, sample: usize, key: &str) -> Vec<String> {
    let store = &p.samples;
    let mut strs = Vec::new();
    let mut nums: Vec<(i64, &str)> = Vec::new();
    for l in store.labels(sample) {
        if p.str(l.key()) != key {
            continue;
        }
        match store.label_number(l) {
            Some((n, unit)) => nums.push((n, p.str(unit))),
            None => strs.push(p.str(l.str()).to_string()),
        }
    }
    let with_units = nums.iter().filter(|(_, u)| !u.is_empty()).count();
    if with_units != 0 && with_units != nums.len() {
        // pprof's unit list is padded, so this cannot happen for a decoded profile; keep
        // its rule of skipping numbers whose units do not line up.
        return strs;
    }
    for (n, unit) in nums {
        strs.push(if with_units == 0 {
            scaled_label(n, "", "")
        } else {
            scaled_label(n, unit, "minimum")
        });
    }
    strs
}

/// The profile with label frames added, and pprof's "matched no samples" warnings; None
/// when neither option is set.
pub fn add_label_nodes(
    p: &Profile,
    tagroot: Option<&str>,
    tagleaf: Option<&str>,
) -> Result<Option<(Profile, Vec<&'static str>)>, ToolError> {
    if adds_nothing(tagroot, tagleaf) {
        return Ok(None);
    }
    let (roots, leaves) = (keys(tagroot), keys(tagleaf));
    let mut msg = to_message(p);
    let mut next_loc = msg.location.iter().map(|l| l.id).max().unwrap_or(0) + 1;
    let mut next_fn = msg.function.iter().map(|f| f.id).max().unwrap_or(0) + 1;
    let mut strings: std::collections::HashMap<String, i64> = msg
        .string_table
        .iter()
        .enumerate()
        .map(|(i, s)| (s.clone(), i as i64))
        .collect();
    let mut interned: std::collections::HashMap<(String, String), u64> = Default::default();
    let (mut root_matched, mut leaf_matched) = (false, false);
    for (i, sample) in msg.sample.iter_mut().enumerate() {
        let mut make = |keys: &[&str], matched: &mut bool| -> Vec<u64> {
            let mut out = Vec::new();
            // Last key first: the first key ends up closest to the root.
            for &k in keys.iter().rev() {
                let values = label_values(p, i, k);
                *matched |= !values.is_empty();
                let key = (values.join(","), k.to_string());
                let id = *interned.entry(key.clone()).or_insert_with(|| {
                    let mut s = |x: &str| {
                        let n = strings.len() as i64;
                        *strings.entry(x.to_string()).or_insert_with(|| {
                            msg.string_table.push(x.to_string());
                            n
                        })
                    };
                    let (name, file) = (s(&key.0), s(&key.1));
                    msg.function.push(Function {
                        id: next_fn,
                        name,
                        filename: file,
                        ..Function::default()
                    });
                    msg.location.push(Location {
                        id: next_loc,
                        line: vec![Line {
                            function_id: next_fn,
                            ..Line::default()
                        }],
                        ..Location::default()
                    });
                    next_fn += 1;
                    next_loc += 1;
                    next_loc - 1
                });
                out.push(id);
            }
            out
        };
        let roots_add = make(&roots, &mut root_matched);
        let leaves_add = make(&leaves, &mut leaf_matched);
        if roots_add.is_empty() && leaves_add.is_empty() {
            continue;
        }
        let mut locs = leaves_add;
        locs.extend_from_slice(&sample.location_id);
        locs.extend(roots_add);
        sample.location_id = locs;
    }
    let mut warnings = Vec::new();
    if !roots.is_empty() && !root_matched {
        warnings.push("TagRoot");
    }
    if !leaves.is_empty() && !leaf_matched {
        warnings.push("TagLeaf");
    }
    let out = super::combine::reparse(msg)?;
    Ok(Some((out, warnings)))
}
