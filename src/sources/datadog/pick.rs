//! Choosing one profile from a list: latest, oldest, closest to a time, by index, the one
//! with the most samples, or the statistical outlier (population z-score of at least 2).

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::list::{Candidate, PRIORITY_FIELDS};
use crate::sources::SourceError;

#[derive(Clone, Debug, PartialEq)]
pub enum Strategy {
    Latest,
    Oldest,
    ClosestTo(DateTime<Utc>),
    Index(usize),
    MostSamples,
    Anomaly,
}

#[derive(Clone, Debug, Serialize)]
pub struct Picked {
    pub candidate: Candidate,
    pub index: usize,
    pub reason: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// Population mean and standard deviation (dividing by n).
pub fn mean_stddev(values: &[f64]) -> (f64, f64) {
    if values.is_empty() {
        return (0.0, 0.0);
    }
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
    (mean, var.sqrt())
}

/// The candidate that stands out most, as (index, |z|, field): fields in priority order,
/// then the rest by name, each with at least 3 values and a non-zero spread; the field
/// with the largest |z| wins (an earlier field keeps a tie).
pub fn anomaly(candidates: &[Candidate]) -> Option<(usize, f64, String)> {
    if candidates.len() < 3 {
        return None;
    }
    let mut fields: Vec<String> = PRIORITY_FIELDS.iter().map(|f| f.to_string()).collect();
    let mut rest: Vec<String> = candidates
        .iter()
        .flat_map(|c| c.numeric_fields.keys().cloned())
        .filter(|k| !PRIORITY_FIELDS.contains(&k.as_str()))
        .collect();
    rest.sort();
    rest.dedup();
    fields.extend(rest);
    let mut best: Option<(usize, f64, String)> = None;
    for field in fields {
        let values: Vec<(usize, f64)> = candidates
            .iter()
            .enumerate()
            .filter_map(|(i, c)| c.numeric_fields.get(&field).map(|v| (i, *v)))
            .collect();
        if values.len() < 3 {
            continue;
        }
        let (mean, sd) = mean_stddev(&values.iter().map(|v| v.1).collect::<Vec<_>>());
        if sd == 0.0 {
            continue;
        }
        let mut top: Option<(usize, f64)> = None;
        for (i, v) in &values {
            let z = ((v - mean) / sd).abs();
            if top.is_none_or(|(_, tz)| z > tz) {
                top = Some((*i, z));
            }
        }
        if let Some((i, z)) = top {
            if best.as_ref().is_none_or(|(_, bz, _)| z > *bz) {
                best = Some((i, z, field));
            }
        }
    }
    best
}

/// The sample score of a candidate: the largest value among fields about samples, values,
/// totals or durations, else the largest of all its fields.
fn sample_score(c: &Candidate) -> Option<f64> {
    let about = |k: &str| {
        ["sample", "value", "total", "duration"]
            .iter()
            .any(|w| k.contains(w))
    };
    let max = |it: &mut dyn Iterator<Item = f64>| {
        it.fold(None, |m: Option<f64>, v| Some(m.map_or(v, |m| m.max(v))))
    };
    max(&mut c
        .numeric_fields
        .iter()
        .filter(|(k, _)| about(k))
        .map(|(_, v)| *v))
    .or_else(|| max(&mut c.numeric_fields.values().copied()))
}

/// Picks from `candidates` (API order, newest first).
pub fn pick(candidates: &[Candidate], strategy: &Strategy) -> Result<Picked, SourceError> {
    if candidates.is_empty() {
        return Err(SourceError::NotFound("no profiles found".into()));
    }
    let done = |index: usize, reason: String, warnings: Vec<String>| Picked {
        candidate: candidates[index].clone(),
        index,
        reason,
        warnings,
    };
    let latest = |warning: &str| done(0, "latest".into(), vec![warning.to_string()]);
    Ok(match strategy {
        Strategy::Latest => done(0, "latest".into(), vec![]),
        Strategy::Oldest => done(candidates.len() - 1, "oldest".into(), vec![]),
        Strategy::Index(i) => {
            if *i >= candidates.len() {
                return Err(SourceError::invalid(format!(
                    "index {i} is out of range: {} profiles listed",
                    candidates.len()
                )));
            }
            done(*i, format!("manual_index={i}"), vec![])
        }
        Strategy::ClosestTo(target) => {
            let mut best: Option<(usize, i64)> = None;
            for (i, c) in candidates.iter().enumerate() {
                let Some(t) = c.time() else { continue };
                let gap = (t - *target).num_milliseconds().abs();
                if best.is_none_or(|(_, g)| gap < g) {
                    best = Some((i, gap));
                }
            }
            let (i, _) = best.ok_or_else(|| {
                SourceError::Corrupt {
                    what: "datadog list answer".into(),
                    detail: "no candidate has a readable timestamp".into(),
                }
            })?;
            done(i, format!("closest_to_ts={}", crate::sources::time::rfc3339(*target)), vec![])
        }
        Strategy::MostSamples => {
            let mut best: Option<(usize, f64)> = None;
            for (i, c) in candidates.iter().enumerate() {
                if let Some(s) = sample_score(c) {
                    if best.is_none_or(|(_, b)| s > b) {
                        best = Some((i, s));
                    }
                }
            }
            match best {
                Some((i, _)) => done(i, "most_samples".into(), vec![]),
                None => latest("most_samples unavailable; falling back to latest"),
            }
        }
        Strategy::Anomaly => match anomaly(candidates) {
            Some((i, z, field)) if z >= 2.0 => {
                done(i, format!("anomaly: {z:.1} stddev on {field}"), vec![])
            }
            Some((_, z, field)) => latest(&format!(
                "no anomaly: the largest deviation is {z:.1} stddev on {field} (2.0 needed); falling back to latest"
            )),
            None => latest("anomaly detection unavailable (no numeric fields); falling back to latest"),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cand(i: usize, field: &str, v: f64) -> Candidate {
        Candidate {
            profile_id: format!("p{i}"),
            event_id: format!("e{i}"),
            timestamp: format!("2026-01-05T10:{:02}:00Z", 59 - i),
            version: None,
            host: None,
            service: None,
            env: None,
            numeric_fields: [(field.to_string(), v)].into_iter().collect(),
        }
    }

    #[test]
    fn population_mean_and_stddev() {
        assert_eq!(
            mean_stddev(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]),
            (5.0, 2.0)
        );
    }

    #[test]
    fn anomaly_finds_the_outlier() {
        let mut c: Vec<Candidate> = (0..5).map(|i| cand(i, "cpu-samples", 100.0)).collect();
        c.push(cand(5, "cpu-samples", 1000.0));
        let p = pick(&c, &Strategy::Anomaly).unwrap();
        assert_eq!(p.index, 5);
        assert_eq!(p.reason, "anomaly: 2.2 stddev on cpu-samples");
        // Too even: latest, with a warning.
        let flat: Vec<Candidate> = (0..4).map(|i| cand(i, "x", i as f64)).collect();
        let p = pick(&flat, &Strategy::Anomaly).unwrap();
        assert_eq!((p.index, p.reason.as_str()), (0, "latest"));
        assert!(p.warnings[0].contains("falling back to latest"));
        // Fewer than three: unavailable.
        let p = pick(&c[..2], &Strategy::Anomaly).unwrap();
        assert!(p.warnings[0].starts_with("anomaly detection unavailable"));
    }

    #[test]
    fn other_strategies() {
        let c: Vec<Candidate> = (0..4)
            .map(|i| cand(i, "samples", (i * 10) as f64))
            .collect();
        assert_eq!(pick(&c, &Strategy::Latest).unwrap().index, 0);
        assert_eq!(pick(&c, &Strategy::Oldest).unwrap().index, 3);
        assert_eq!(pick(&c, &Strategy::MostSamples).unwrap().index, 3);
        let p = pick(&c, &Strategy::Index(2)).unwrap();
        assert_eq!(p.reason, "manual_index=2");
        assert!(pick(&c, &Strategy::Index(4)).is_err());
        let target = DateTime::parse_from_rfc3339("2026-01-05T10:57:20Z")
            .unwrap()
            .with_timezone(&Utc);
        let p = pick(&c, &Strategy::ClosestTo(target)).unwrap();
        assert_eq!(
            (p.index, p.reason.as_str()),
            (2, "closest_to_ts=2026-01-05T10:57:20Z")
        );
        assert!(pick(&[], &Strategy::Latest).is_err());
    }
}
