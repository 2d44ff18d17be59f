//! Parses a gzipped profile while it inflates. Inflating is single-threaded and used to
//! finish before parsing began; here the inflated bytes go to the two parse passes in
//! pieces of whole top-level fields as they come, so most parsing overlaps the inflate.

use std::io::Read;
use std::sync::{mpsc, Arc};

use super::compress::{size_hint, Container};
use super::model::Profile;
use super::parse;
use super::wire::Reader;

/// Inflated bytes per piece: small enough that parsing starts early and the few pieces
/// in flight stay in cache, large enough that the hand-offs cost nothing (on large.cpu,
/// 64 KiB beat 256 KiB by ~1 ms of a 22 ms cold `meta`; 16 and 32 KiB were no better).
const PIECE: usize = 64 << 10;

/// Largest read when a single field spans many pieces (the read size doubles up to it).
const MAX_READ: usize = 64 << 20;

/// Inflated bytes handed to the parse passes. When the last of them drops it, its buffer
/// goes back to the inflater for a later piece: on a cold run fresh pages cost more than
/// inflating into them, and a reused buffer is still in cache.
#[derive(Clone)]
pub(super) struct Piece(Arc<Buffer>);

struct Buffer {
    buf: Vec<u8>,
    back: mpsc::Sender<Vec<u8>>,
}

impl std::ops::Deref for Piece {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.0.buf
    }
}

impl Drop for Buffer {
    fn drop(&mut self) {
        // The inflater may be done already; then the buffer is simply freed.
        let _ = self.back.send(std::mem::take(&mut self.buf));
    }
}

/// The profile in gzip `data`, or None when `data` is not gzip or anything is off (corrupt
/// or truncated input, over `cap`, an invalid message, or one that needs the whole-buffer
/// parse). The caller then decodes the whole buffer, which also describes any error.
/// `with_symbols` runs on the checked symbols while the samples are finished (see
/// `parse::parse_pieces`).
pub(super) fn parse_gzip<T: Send>(
    data: &[u8],
    cap: u64,
    with_symbols: impl Fn(&Profile, usize) -> T + Sync,
) -> Option<(Profile, T)> {
    parse_gzip_in(data, cap, PIECE, with_symbols)
}

/// `parse_gzip` with pieces of about `piece` bytes.
fn parse_gzip_in<T: Send>(
    data: &[u8],
    cap: u64,
    piece: usize,
    with_symbols: impl Fn(&Profile, usize) -> T + Sync,
) -> Option<(Profile, T)> {
    if Container::sniff(data) != Container::Gzip {
        return None;
    }
    let message_len = size_hint(data, Container::Gzip, cap);
    std::thread::scope(|scope| {
        let (to_header, header_pieces) = mpsc::channel();
        let (to_samples, sample_pieces) = mpsc::channel();
        let inflater = scope.spawn(move || {
            inflate_pieces(data, cap, piece, |p: Piece| {
                to_header.send(p.clone()).is_ok() && to_samples.send(p).is_ok()
            })
        });
        let profile = parse::parse_pieces(
            header_pieces.into_iter(),
            sample_pieces.into_iter(),
            message_len,
            with_symbols,
        );
        // Only a stream that inflated whole, checksum and all, counts.
        inflater.join().ok()??;
        profile
    })
}

/// Inflates gzip `data` (every member) and hands it to `emit` in pieces of whole top-level
/// protobuf fields; `emit` returns false to stop. Some(()) when all of it inflated, within
/// `cap` bytes, non-empty, and ending on a field boundary.
fn inflate_pieces(
    data: &[u8],
    cap: u64,
    piece: usize,
    mut emit: impl FnMut(Piece) -> bool,
) -> Option<()> {
    let mut gz = flate2::read::MultiGzDecoder::new(data);
    // The start of a field the last piece could not hold whole.
    let mut carry: Vec<u8> = Vec::new();
    let mut total: u64 = 0;
    let mut want = piece;
    let (back, returned) = mpsc::channel();
    loop {
        let mut buf: Vec<u8> = returned.try_recv().unwrap_or_default();
        buf.clear();
        buf.reserve(carry.len() + want);
        buf.extend_from_slice(&carry);
        let n = (&mut gz).take(want as u64).read_to_end(&mut buf).ok()?;
        total += n as u64;
        if total > cap {
            return None;
        }
        let whole = whole_fields(&buf);
        carry = buf.split_off(whole);
        // A field longer than a piece: read more at once, so it is not copied over and
        // over.
        want = if whole == 0 {
            (want * 2).min(MAX_READ)
        } else {
            piece
        };
        if !buf.is_empty() {
            let back = back.clone();
            if !emit(Piece(Arc::new(Buffer { buf, back }))) {
                return None;
            }
        }
        if n == 0 {
            return (total > 0 && carry.is_empty()).then_some(());
        }
    }
}

/// The length of the longest prefix of `buf` made of whole top-level fields. Malformed
/// bytes end the prefix too: they stay unsent, and the whole-buffer parse reports them.
fn whole_fields(buf: &[u8]) -> usize {
    let mut r = Reader::new(buf);
    let mut whole = 0;
    while !r.is_empty() {
        let Some((_, wire_type)) = r.key() else {
            break;
        };
        if r.skip(wire_type).is_none() {
            break;
        }
        whole = r.position();
    }
    whole
}

#[cfg(test)]
mod tests {
    use super::super::compress::gzip;
    use super::*;

    /// A message of `n` length-delimited fields of varied sizes, some longer than a piece.
    fn message(n: usize) -> Vec<u8> {
        let mut out = Vec::new();
        for i in 0..n {
            let len = match i % 97 {
                0 => PIECE * 3 + 17,
                _ => (i * 7919) % 600,
            };
            out.push((6 << 3) | 2); // field 6 (string_table), LEN
            let mut l = len as u64;
            while l >= 0x80 {
                out.push((l as u8) | 0x80);
                l >>= 7;
            }
            out.push(l as u8);
            out.extend((0..len).map(|j| (i + j) as u8));
        }
        out
    }

    fn pieces(gz: &[u8], cap: u64) -> (Option<()>, Vec<Vec<u8>>) {
        let mut got = Vec::new();
        let done = inflate_pieces(gz, cap, PIECE, |p| {
            got.push(p.to_vec());
            true
        });
        (done, got)
    }

    #[test]
    fn pieces_are_whole_fields_that_add_up_to_the_message() {
        let raw = message(3000);
        let (done, got) = pieces(&gzip(&raw), u64::MAX);
        assert_eq!(done, Some(()));
        assert!(got.len() > 3, "{} pieces", got.len());
        for p in &got {
            assert_eq!(whole_fields(p), p.len());
        }
        assert_eq!(got.concat(), raw);
    }

    /// Every gzipped fixture, cut into pieces small and large, decodes exactly as the
    /// whole-buffer parse decodes it.
    #[test]
    fn fixtures_parse_alike_in_pieces_and_whole() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
        let mut checked = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if !path.to_string_lossy().ends_with(".pb.gz") {
                continue;
            }
            let data = std::fs::read(&path).unwrap();
            let raw = super::super::compress::decompress(&data, u64::MAX).unwrap();
            let whole = format!("{:?}", parse::parse(&raw).unwrap());
            for piece in [64, 1000, PIECE] {
                let (streamed, ()) = parse_gzip_in(&data, u64::MAX, piece, |_, _| ())
                    .unwrap_or_else(|| panic!("{}: refused in pieces of {piece}", path.display()));
                assert!(
                    format!("{streamed:?}") == whole,
                    "{} in pieces of {piece}",
                    path.display()
                );
            }
            checked += 1;
        }
        assert!(checked >= 5, "only {checked} fixtures");
    }

    #[test]
    fn bad_streams_are_left_to_the_whole_buffer_parse() {
        let raw = message(500);
        let gz = gzip(&raw);
        // Truncated gzip, a message cut inside a field, over the cap, empty.
        assert_eq!(pieces(&gz[..gz.len() / 2], u64::MAX).0, None);
        assert_eq!(pieces(&gzip(&raw[..raw.len() - 1]), u64::MAX).0, None);
        assert_eq!(pieces(&gz, raw.len() as u64 - 1).0, None);
        assert_eq!(pieces(&gzip(&[]), u64::MAX).0, None);
        // A stop asked for by the consumer.
        assert_eq!(inflate_pieces(&gz, u64::MAX, PIECE, |_| false), None);
        // Not gzip at all.
        assert!(parse_gzip(&raw, u64::MAX, |_, _| ()).is_none());
    }
}
