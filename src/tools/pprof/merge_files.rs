//! `pprof.merge`: several profiles into one gzipped profile.proto, as
//! `go tool pprof -proto p1 p2 ...` writes it.

use std::io::Write;

use prost::Message;
use serde::Serialize;

use super::combine::merge_profiles;
use crate::decode::Profile;
use crate::tools::ToolError;

#[derive(Clone, Debug, Serialize)]
pub struct MergeReport {
    pub input_count: usize,
    pub sample_types: Vec<String>,
    pub samples: usize,
    /// Raw sums per sample type of the merged profile.
    pub totals: Vec<i64>,
}

/// Merges `profiles` (at least two) and returns the gzipped bytes to write.
pub fn merge(profiles: &[&Profile]) -> Result<(Vec<u8>, MergeReport), ToolError> {
    if profiles.len() < 2 {
        return Err(ToolError::InvalidArgument(format!(
            "merge needs at least 2 profiles, got {}",
            profiles.len()
        )));
    }
    let msg = merge_profiles(profiles)?;
    let types = msg
        .sample_type
        .iter()
        .map(|t| {
            let s = |i: i64| {
                usize::try_from(i)
                    .ok()
                    .and_then(|i| msg.string_table.get(i))
                    .cloned()
                    .unwrap_or_default()
            };
            format!("{}/{}", s(t.r#type), s(t.unit))
        })
        .collect();
    let mut totals = vec![0i64; msg.sample_type.len()];
    for s in &msg.sample {
        for (t, v) in totals.iter_mut().zip(&s.value) {
            *t = t.wrapping_add(*v);
        }
    }
    let report = MergeReport {
        input_count: profiles.len(),
        sample_types: types,
        samples: msg.sample.len(),
        totals,
    };
    let raw = msg.encode_to_vec();
    crate::decode::drop_elsewhere(msg);
    gzip(&raw)
        .map(|bytes| (bytes, report))
        .map_err(|e| ToolError::Internal {
            query: "merge",
            detail: e.to_string(),
        })
}

/// Gzip at level 1 (several times faster than the default for a few percent more bytes),
/// one member per core for large inputs: a multi-member file is valid gzip, and Go's
/// reader, like ours, reads all members.
fn gzip(raw: &[u8]) -> std::io::Result<Vec<u8>> {
    const MEMBER_MIN: usize = 1 << 20;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let members = (raw.len() / MEMBER_MIN).clamp(1, cores);
    let compress = |part: &[u8]| {
        let mut gz = flate2::write::GzEncoder::new(
            Vec::with_capacity(part.len() / 2),
            flate2::Compression::fast(),
        );
        gz.write_all(part)?;
        gz.finish()
    };
    if members == 1 {
        return compress(raw);
    }
    let parts: Vec<std::io::Result<Vec<u8>>> = std::thread::scope(|scope| {
        let handles: Vec<_> = raw
            .chunks(raw.len().div_ceil(members))
            .map(|part| scope.spawn(move || compress(part)))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(std::io::Error::other("a gzip thread panicked")))
            })
            .collect()
    });
    let mut out = Vec::new();
    for part in parts {
        out.extend_from_slice(&part?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    #[test]
    fn multi_member_gzip_reads_back_whole() {
        // Varied bytes over several members' worth.
        let raw: Vec<u8> = (0..3_000_000u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
            .collect();
        let gz = super::gzip(&raw).unwrap();
        let mut back = Vec::new();
        flate2::read::MultiGzDecoder::new(&gz[..])
            .read_to_end(&mut back)
            .unwrap();
        assert_eq!(back, raw);
    }
}
