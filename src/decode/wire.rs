//! Minimal protobuf wire reading for the hand-decoded parts (top level and samples).

/// Wire types of the protobuf encoding.
pub const VARINT: u8 = 0;
pub const FIXED64: u8 = 1;
pub const LEN: u8 = 2;
pub const FIXED32: u8 = 5;

/// A cursor over a protobuf byte slice. Every read is bounds-checked and returns `None` on
/// truncated or malformed input, so no byte sequence can panic.
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Self { buf, pos: 0 }
    }

    pub fn is_empty(&self) -> bool {
        self.pos >= self.buf.len()
    }

    pub fn position(&self) -> usize {
        self.pos
    }

    #[inline]
    pub fn varint(&mut self) -> Option<u64> {
        let mut value: u64 = 0;
        for shift in (0..70).step_by(7) {
            let byte = *self.buf.get(self.pos)?;
            self.pos += 1;
            if shift == 63 && byte > 1 {
                return None; // more than 64 bits
            }
            value |= u64::from(byte & 0x7f) << shift;
            if byte < 0x80 {
                return Some(value);
            }
        }
        None
    }

    /// Reads a field key, returning (field number, wire type).
    pub fn key(&mut self) -> Option<(u64, u8)> {
        let key = self.varint()?;
        let field = key >> 3;
        if field == 0 {
            return None;
        }
        Some((field, (key & 7) as u8))
    }

    pub fn bytes(&mut self) -> Option<&'a [u8]> {
        let len = usize::try_from(self.varint()?).ok()?;
        let end = self.pos.checked_add(len)?;
        let out = self.buf.get(self.pos..end)?;
        self.pos = end;
        Some(out)
    }

    fn advance(&mut self, n: usize) -> Option<()> {
        let end = self.pos.checked_add(n)?;
        if end > self.buf.len() {
            return None;
        }
        self.pos = end;
        Some(())
    }

    /// Skips a field's payload of the given wire type. Groups (3, 4) are refused, as Go's
    /// decoder does for profile.proto.
    pub fn skip(&mut self, wire_type: u8) -> Option<()> {
        match wire_type {
            VARINT => self.varint().map(|_| ()),
            FIXED64 => self.advance(8),
            LEN => self.bytes().map(|_| ()),
            FIXED32 => self.advance(4),
            _ => None,
        }
    }

    /// Reads one or several varints of a repeated scalar field, packed or not, calling `push`
    /// for each.
    #[inline]
    pub fn repeated_varint(&mut self, wire_type: u8, mut push: impl FnMut(u64)) -> Option<()> {
        match wire_type {
            VARINT => {
                push(self.varint()?);
                Some(())
            }
            LEN => {
                let mut inner = Reader::new(self.bytes()?);
                while !inner.is_empty() {
                    push(inner.varint()?);
                }
                Some(())
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varint_round_trips_and_rejects_overlong() {
        let mut r = Reader::new(&[0xac, 0x02]);
        assert_eq!(r.varint(), Some(300));
        let mut r = Reader::new(&[0xff; 11]);
        assert_eq!(r.varint(), None);
        let mut r = Reader::new(&[0x80]);
        assert_eq!(r.varint(), None);
        let max = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01];
        assert_eq!(Reader::new(&max).varint(), Some(u64::MAX));
    }

    #[test]
    fn bytes_refuses_lengths_past_the_end() {
        let mut r = Reader::new(&[0x05, 1, 2]);
        assert_eq!(r.bytes(), None);
    }
}
