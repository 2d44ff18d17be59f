//! Sample labels as pprof's reports see them: string labels, and numeric labels with the
//! unit pprof assigns per key (`Profile.NumLabelUnits`).

use std::collections::BTreeMap;

use datafusion::arrow::array::Array;

use crate::decode::Profile;

/// Unit per numeric label key: the first non-empty unit seen for the key; otherwise
/// `bytes` for `alignment` and `request`, else the key itself.
pub fn num_label_units(p: &Profile) -> BTreeMap<String, String> {
    let store = &p.samples;
    let mut units: BTreeMap<String, String> = BTreeMap::new();
    let mut keys: Vec<String> = Vec::new();
    for s in 0..store.len() {
        for l in store.labels(s) {
            if let Some((_, unit)) = store.label_number(l) {
                let key = p.str(l.key());
                if !units.contains_key(key) {
                    keys.push(key.to_string());
                    let unit = p.str(unit);
                    if !unit.is_empty() {
                        units.insert(key.to_string(), unit.to_string());
                    }
                }
            }
        }
    }
    for key in keys {
        units
            .entry(key.clone())
            .or_insert_with(|| match key.as_str() {
                "alignment" | "request" => "bytes".to_string(),
                _ => key,
            });
    }
    units
}

/// Labels of sample `s`: (key, value) strings and (key, number, unit) numbers.
#[allow(clippy::type_complexity)]
pub fn sample_labels<'a>(
    p: &'a Profile,
    s: usize,
    units: &'a BTreeMap<String, String>,
) -> (Vec<(&'a str, &'a str)>, Vec<(&'a str, i64, &'a str)>) {
    let store = &p.samples;
    let mut strings = Vec::new();
    let mut numbers = Vec::new();
    for l in store.labels(s) {
        let key = p.str(l.key());
        if l.is_string() {
            strings.push((key, p.str(l.str())));
        } else if let Some((num, _)) = store.label_number(l) {
            let unit = units.get(key).map_or(key, String::as_str);
            numbers.push((key, num, unit));
        }
    }
    (strings, numbers)
}

/// Samples labelled `pprof::base=true` (the negated base of `-diff_base`); None when there
/// are none. pprof's report total counts only these.
pub fn base_samples(p: &Profile) -> Option<Vec<bool>> {
    let store = &p.samples;
    let key = (0..p.strings.len()).find(|&i| p.strings.value(i) == super::merge::BASE_LABEL)?;
    let mut any = false;
    let mask: Vec<bool> = (0..store.len())
        .map(|s| {
            let hit = store
                .labels(s)
                .iter()
                .any(|l| l.is_string() && l.key() as usize == key && p.str(l.str()) == "true");
            any |= hit;
            hit
        })
        .collect();
    any.then_some(mask)
}
