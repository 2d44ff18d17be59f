//! Sniffs the container (gzip, zstd, or raw protobuf) by magic bytes and inflates it, capped.

use std::io::Read;

use super::Reason;

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

/// Environment variable holding the decompressed-size cap in bytes.
pub const MAX_DECOMPRESSED_ENV: &str = "PROFSQL_MAX_DECOMPRESSED";
/// Default cap: 4 GiB.
pub const DEFAULT_MAX_DECOMPRESSED: u64 = 4 << 30;

/// The cap from `PROFSQL_MAX_DECOMPRESSED`, or the default. A value that does not parse is an
/// error rather than silently ignored, since it guards memory.
pub fn max_decompressed_from_env() -> Result<u64, String> {
    match std::env::var(MAX_DECOMPRESSED_ENV) {
        Ok(v) => v
            .trim()
            .parse::<u64>()
            .map_err(|_| format!("{v:?} is not a byte count (a whole number)")),
        Err(_) => Ok(DEFAULT_MAX_DECOMPRESSED),
    }
}

/// What a file turned out to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Container {
    Gzip,
    Zstd,
    Raw,
}

impl Container {
    pub fn sniff(data: &[u8]) -> Container {
        if data.starts_with(&GZIP_MAGIC) {
            Container::Gzip
        } else if data.starts_with(&ZSTD_MAGIC) {
            Container::Zstd
        } else {
            Container::Raw
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Container::Gzip => "gzip",
            Container::Zstd => "zstd",
            Container::Raw => "raw protobuf",
        }
    }
}

/// Returns the uncompressed protobuf bytes. Raw input is borrowed, compressed input is
/// inflated into a buffer of at most `cap` bytes.
pub fn decompress(data: &[u8], cap: u64) -> Result<std::borrow::Cow<'_, [u8]>, Reason> {
    let container = Container::sniff(data);
    let reader: Box<dyn Read + '_> = match container {
        Container::Raw => {
            if data.len() as u64 > cap {
                return Err(Reason::TooLarge { cap });
            }
            return Ok(std::borrow::Cow::Borrowed(data));
        }
        // Multi-member gzip is read whole, as Go's gzip reader does.
        Container::Gzip => Box::new(flate2::read::MultiGzDecoder::new(data)),
        Container::Zstd => {
            Box::new(zstd::stream::read::Decoder::with_buffer(data).map_err(|e| {
                Reason::Decompress {
                    format: container.name(),
                    message: e.to_string(),
                }
            })?)
        }
    };
    let mut out = Vec::with_capacity(size_hint(data, container, cap));
    let mut limited = reader.take(cap.saturating_add(1));
    limited
        .read_to_end(&mut out)
        .map_err(|e| Reason::Decompress {
            format: container.name(),
            message: e.to_string(),
        })?;
    if out.len() as u64 > cap {
        return Err(Reason::TooLarge { cap });
    }
    Ok(std::borrow::Cow::Owned(out))
}

/// Pre-sizes the output buffer from the gzip ISIZE trailer (size mod 2^32), bounded so that a
/// lying trailer cannot make us allocate much.
pub(super) fn size_hint(data: &[u8], container: Container, cap: u64) -> usize {
    let fallback = data.len().saturating_mul(4);
    let hint = match container {
        Container::Gzip if data.len() >= 18 => {
            let t = &data[data.len() - 4..];
            u32::from_le_bytes([t[0], t[1], t[2], t[3]]) as usize
        }
        _ => fallback,
    };
    hint.min(data.len().saturating_mul(64))
        .min(usize::try_from(cap).unwrap_or(usize::MAX))
        .min(1 << 30)
}

/// `raw` gzipped, for the decoding tests.
#[cfg(test)]
pub(super) fn gzip(raw: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(raw).unwrap();
    gz.finish().unwrap()
}

#[cfg(test)]
mod tests {
    use super::{decompress, gzip};

    fn varied(n: u32, seed: u32) -> Vec<u8> {
        (0..n)
            .map(|i| (i.wrapping_mul(2_654_435_761).wrapping_add(seed) >> 24) as u8)
            .collect()
    }

    /// Every member is read, as Go's reader does (also when two members are equal, so the
    /// last trailer matches the first member alone); a trailer whose size does not match
    /// and a size over the cap are refused.
    #[test]
    fn every_gzip_member_is_read_and_bad_sizes_refused() {
        let raw = varied(300_000, 7);
        let one = gzip(&raw);
        assert_eq!(&*decompress(&one, u64::MAX).unwrap(), &raw[..]);

        let mut twice = one.clone();
        twice.extend_from_slice(&one);
        assert_eq!(
            &*decompress(&twice, u64::MAX).unwrap(),
            &[&raw[..], &raw[..]].concat()[..]
        );

        let other = varied(1000, 9);
        let mut two = gzip(&other);
        two.extend_from_slice(&one);
        assert_eq!(
            &*decompress(&two, u64::MAX).unwrap(),
            &[&other[..], &raw[..]].concat()[..]
        );

        let mut lying = one.clone();
        let n = lying.len();
        lying[n - 4..].copy_from_slice(&(raw.len() as u32 - 1).to_le_bytes());
        assert!(decompress(&lying, u64::MAX).is_err());

        // Over the cap.
        assert!(decompress(&one, 1000).is_err());
    }

    #[test]
    fn corrupt_or_truncated_gzip_is_refused() {
        let raw = varied(100_000, 3);
        let mut bad = gzip(&raw);
        let mid = bad.len() / 2;
        bad[mid] ^= 0x55;
        assert!(decompress(&bad, u64::MAX).is_err());
        let cut = gzip(&raw)[..mid].to_vec();
        assert!(decompress(&cut, u64::MAX).is_err());
    }
}
