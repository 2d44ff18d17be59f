//! `pprof.merge`: several profiles into one gzipped profile.proto, as
//! `go tool pprof -proto p1 p2 ...` writes it.

use std::io::Write;

use prost::Message;
use serde::Serialize;

use super::combine::merge_profiles;
use crate::decode::proto::ProfileMessage;
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

/// Outputs this large or larger are compressed as several members on two threads.
const SPLIT_MIN: usize = 1 << 20;

/// `msg` encoded and gzipped at level 1 (several times faster than the default for a few
/// percent more bytes). The encoding is prost's, byte for byte, made in two parts that
/// follow each other (prost writes fields in number order): the sample types and samples,
/// and every later field, encoded side by side when there are two cores. A large output
/// is then compressed as several members on two threads: valid gzip that Go's reader,
/// like ours, reads whole.
fn encode_gzipped(mut msg: ProfileMessage, two_cores: bool) -> std::io::Result<Vec<u8>> {
    let head = ProfileMessage {
        sample_type: std::mem::take(&mut msg.sample_type),
        sample: std::mem::take(&mut msg.sample),
        ..ProfileMessage::default()
    };
    let encode_head = |head: ProfileMessage| {
        let mut raw = Vec::new();
        encode_head_fields(&head, &mut raw);
        crate::decode::drop_elsewhere(head);
        raw
    };
    let encode_rest = |rest: ProfileMessage| {
        let raw = rest.encode_to_vec();
        crate::decode::drop_elsewhere(rest);
        raw
    };
    if !two_cores {
        return compress(&[&encode_head(head), &encode_rest(msg)]);
    }
    let (first, rest) = std::thread::scope(|scope| {
        let first = scope.spawn(|| encode_head(head));
        let rest = encode_rest(msg);
        (first.join(), rest)
    });
    let first = first.map_err(|_| std::io::Error::other("an encoding thread panicked"))?;
    compress_pieces(&[&first, &rest])
}

/// Bytes per gzip member when compressing on two threads.
const MEMBER: usize = 256 << 10;

/// `parts` end to end as gzip members of `MEMBER` bytes, compressed by two threads that
/// each take the next member to do: equal pieces of bytes are not equal work (samples
/// compress slower than strings), so fixed halves left one thread waiting.
fn compress_pieces(parts: &[&[u8]]) -> std::io::Result<Vec<u8>> {
    let total: usize = parts.iter().map(|p| p.len()).sum();
    if total < SPLIT_MIN {
        return compress(parts);
    }
    // The slices of member `i`.
    let member = |i: usize| -> Vec<&[u8]> {
        let (start, end) = (i * MEMBER, ((i + 1) * MEMBER).min(total));
        let mut out = Vec::new();
        let mut at = 0;
        for p in parts {
            let (lo, hi) = (start.max(at), end.min(at + p.len()));
            if lo < hi {
                out.push(&p[lo - at..hi - at]);
            }
            at += p.len();
        }
        out
    };
    let count = total.div_ceil(MEMBER);
    let next = std::sync::atomic::AtomicUsize::new(0);
    let work = || {
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            if i >= count {
                return done;
            }
            done.push((i, compress(&member(i))));
        }
    };
    let (mut done, other) = std::thread::scope(|scope| {
        let other = scope.spawn(work);
        (work(), other.join())
    });
    done.extend(other.map_err(|_| std::io::Error::other("a gzip thread panicked"))?);
    done.sort_unstable_by_key(|(i, _)| *i);
    let mut out = Vec::new();
    for (_, bytes) in done {
        out.extend_from_slice(&bytes?);
    }
    Ok(out)
}

/// Fields 1 and 2 (sample types, samples) of `msg` as prost writes them. Samples are
/// most of a merged profile, and prost measures each packed list once per enclosing
/// message on the way down; here each list is written once to a scratch buffer and
/// measured from it.
fn encode_head_fields(msg: &ProfileMessage, out: &mut Vec<u8>) {
    use prost::encoding::{encode_key, encode_varint, message, WireType};
    for t in &msg.sample_type {
        message::encode(1, t, out);
    }
    // A packed field's key, length and bytes; an empty one is left out.
    let packed_len = |bytes: &[u8]| {
        if bytes.is_empty() {
            0
        } else {
            1 + prost::encoding::encoded_len_varint(bytes.len() as u64) + bytes.len()
        }
    };
    let (mut locations, mut values, mut labels) = (Vec::new(), Vec::new(), Vec::new());
    for s in &msg.sample {
        locations.clear();
        for &l in &s.location_id {
            put_varint(l, &mut locations);
        }
        values.clear();
        for &v in &s.value {
            put_varint(v as u64, &mut values);
        }
        labels.clear();
        for l in &s.label {
            message::encode(3, l, &mut labels);
        }
        let len = packed_len(&locations) + packed_len(&values) + labels.len();
        encode_key(2, WireType::LengthDelimited, out);
        encode_varint(len as u64, out);
        for (tag, bytes) in [(1, &locations), (2, &values)] {
            if !bytes.is_empty() {
                encode_key(tag, WireType::LengthDelimited, out);
                encode_varint(bytes.len() as u64, out);
                out.extend_from_slice(bytes);
            }
        }
        out.extend_from_slice(&labels);
    }
}

/// `v` as a protobuf varint, the bytes prost's `encode_varint` writes. prost appends them
/// one at a time, and appending a varint's own length calls `memmove`; the packed lists
/// of a merged profile's samples are most of its bytes. Ten bytes are appended, a fixed
/// size the compiler copies inline, and the unused ones cut off.
#[inline]
fn put_varint(mut v: u64, out: &mut Vec<u8>) {
    let mut bytes = [0u8; 10];
    let mut n = 0;
    while v >= 0x80 && n < 9 {
        bytes[n] = (v as u8) | 0x80;
        v >>= 7;
        n += 1;
    }
    bytes[n] = v as u8;
    let len = out.len();
    out.extend_from_slice(&bytes);
    out.truncate(len + n + 1);
}

/// One gzip member of `parts` end to end.
fn compress(parts: &[&[u8]]) -> std::io::Result<Vec<u8>> {
    let len: usize = parts.iter().map(|p| p.len()).sum();
    let mut gz =
        flate2::write::GzEncoder::new(Vec::with_capacity(len / 2), flate2::Compression::fast());
    for p in parts {
        gz.write_all(p)?;
    }
    gz.finish()
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use prost::Message;

    use crate::decode::proto::{Label, ProfileMessage, Sample, ValueType};

    /// Every varint length, and the largest values, as prost writes them.
    #[test]
    fn varints_are_prosts() {
        let mut values: Vec<u64> = (0..64).flat_map(|b| [1u64 << b, (1u64 << b) - 1]).collect();
        values.extend([
            u64::MAX,
            i64::MIN as u64,
            -1i64 as u64,
            0x80,
            0x3fff,
            0x4000,
        ]);
        let (mut ours, mut theirs) = (Vec::new(), Vec::new());
        for v in values {
            super::put_varint(v, &mut ours);
            prost::encoding::encode_varint(v, &mut theirs);
            assert_eq!(ours, theirs, "{v:#x}");
        }
    }

    /// A message over the split size comes out as members that read back, end to end, as
    /// the whole message's encoding; a small one as one member.
    #[test]
    fn large_messages_are_members_of_the_whole_encoding() {
        // Large and negative numbers, empty lists and labels, as prost must write them.
        let sample = |i: u64| Sample {
            location_id: match i % 7 {
                0 => Vec::new(),
                _ => (0..30).map(|k| (i * 31 + k) << (i % 50)).collect(),
            },
            value: match i % 5 {
                0 => Vec::new(),
                _ => vec![i as i64, -(i as i64) * 1000],
            },
            label: match i % 3 {
                0 => vec![
                    Label {
                        key: 1,
                        str: 2,
                        ..Label::default()
                    },
                    Label {
                        key: 2,
                        num: -(i as i64),
                        num_unit: 1,
                        ..Label::default()
                    },
                ],
                _ => Vec::new(),
            },
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
            let pieces = split && whole.len() >= super::SPLIT_MIN;
            let first_len = if pieces { super::MEMBER } else { whole.len() };
            assert_eq!(first.len(), first_len, "{samples} samples, split {split}");
        }
    }
}
