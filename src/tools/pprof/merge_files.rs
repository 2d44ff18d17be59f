//! `pprof.merge`: several profiles into one gzipped profile.proto, as
//! `go tool pprof -proto p1 p2 ...` writes it.

use std::io::Write;

use prost::Message;
use serde::Serialize;

use super::combine::merge_profiles;
use crate::decode::proto::{ProfileMessage, Sample};
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
    let two_cores = std::thread::available_parallelism().is_ok_and(|n| n.get() >= 2);
    encode_gzipped(msg, two_cores)
        .map(|bytes| (bytes, report))
        .map_err(|e| ToolError::Internal {
            query: "merge",
            detail: e.to_string(),
        })
}

/// Outputs this large or larger are written as two gzip members, encoded and compressed
/// at once on two threads.
const SPLIT_MIN: usize = 1 << 20;

/// `msg` encoded and gzipped at level 1 (several times faster than the default for a few
/// percent more bytes). A large message is cut in two at about half its encoded size:
/// the first part is the sample types and the leading samples, the second the other
/// samples and every later field. prost writes fields in number order, so the two
/// encodings end to end are byte for byte the whole message's; each is gzipped as its
/// own member, which is valid gzip that Go's reader, like ours, reads whole.
fn encode_gzipped(mut msg: ProfileMessage, two_cores: bool) -> std::io::Result<Vec<u8>> {
    let samples = std::mem::take(&mut msg.sample);
    let rest_len = msg.encoded_len();
    let sample_len = |s: &Sample| {
        let n = s.encoded_len();
        // Field 2's key, the length prefix, the sample.
        1 + prost::encoding::encoded_len_varint(n as u64) + n
    };
    let lens: Vec<usize> = samples.iter().map(sample_len).collect();
    let total = rest_len + lens.iter().sum::<usize>();
    if !two_cores || total < SPLIT_MIN {
        msg.sample = samples;
        let raw = msg.encode_to_vec();
        crate::decode::drop_elsewhere(msg);
        return compress(&raw);
    }
    let (mut before, mut cut) = (0, samples.len());
    for (i, n) in lens.iter().enumerate() {
        if before >= total / 2 {
            cut = i;
            break;
        }
        before += n;
    }
    let mut head = ProfileMessage {
        sample_type: std::mem::take(&mut msg.sample_type),
        sample: samples,
        ..ProfileMessage::default()
    };
    msg.sample = head.sample.split_off(cut);
    let encode_compress = |part: ProfileMessage| {
        let raw = part.encode_to_vec();
        crate::decode::drop_elsewhere(part);
        compress(&raw)
    };
    let (first, second) = std::thread::scope(|scope| {
        let first = scope.spawn(|| encode_compress(head));
        let second = encode_compress(msg);
        let first = first
            .join()
            .unwrap_or_else(|_| Err(std::io::Error::other("a gzip thread panicked")));
        (first, second)
    });
    let mut out = first?;
    out.extend_from_slice(&second?);
    Ok(out)
}

fn compress(raw: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut gz = flate2::write::GzEncoder::new(
        Vec::with_capacity(raw.len() / 2),
        flate2::Compression::fast(),
    );
    gz.write_all(raw)?;
    gz.finish()
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use prost::Message;

    use crate::decode::proto::{ProfileMessage, Sample, ValueType};

    /// A message over the split size comes out as two members that read back, end to
    /// end, as the whole message's encoding; a small one as one member.
    #[test]
    fn large_messages_are_two_members_of_the_whole_encoding() {
        let sample = |i: u64| Sample {
            location_id: (0..30).map(|k| i * 31 + k).collect(),
            value: vec![i as i64, -(i as i64) * 1000],
            label: Vec::new(),
        };
        let message = |samples: u64| ProfileMessage {
            sample_type: vec![ValueType { r#type: 1, unit: 2 }; 2],
            sample: (0..samples).map(sample).collect(),
            string_table: vec!["".into(), "samples".into(), "count".into()],
            time_nanos: 7,
            ..ProfileMessage::default()
        };
        let members = |gz: &[u8]| {
            let mut first = Vec::new();
            flate2::read::GzDecoder::new(gz)
                .read_to_end(&mut first)
                .unwrap();
            let mut all = Vec::new();
            flate2::read::MultiGzDecoder::new(gz)
                .read_to_end(&mut all)
                .unwrap();
            (first, all)
        };
        for (samples, split) in [(20_000, true), (20_000, false), (100, true)] {
            let msg = message(samples);
            let whole = msg.encode_to_vec();
            let gz = super::encode_gzipped(msg, split).unwrap();
            let (first, all) = members(&gz);
            assert_eq!(all, whole, "{samples} samples, split {split}");
            let two = split && whole.len() >= super::SPLIT_MIN;
            assert_eq!(first.len() < whole.len(), two, "{samples} samples");
            if two {
                // Cut near the middle.
                assert!(first.len() > whole.len() / 3 && first.len() < whole.len() * 2 / 3);
            }
        }
    }
}
