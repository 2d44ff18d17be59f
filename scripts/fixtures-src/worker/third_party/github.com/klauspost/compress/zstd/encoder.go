// Package zstd is a stand-in for github.com/klauspost/compress/zstd: an
// Encoder whose EncodeAll does greedy LZ77 matching with a hash table of
// 4-byte sequences (no entropy coding).
package zstd

import "encoding/binary"

const (
	tableBits = 14
	minMatch  = 4
)

// Encoder compresses whole buffers.
type Encoder struct {
	table [1 << tableBits]int32
	level int
}

// NewWriter returns an encoder (the real one also takes an io.Writer).
func NewWriter() (*Encoder, error) { return &Encoder{level: 3}, nil }

func hash4(u uint32) uint32 { return (u * 2654435761) >> (32 - tableBits) }

// EncodeAll appends the compressed src to dst. Like the real one it
// allocates dst with the capacity of src when dst has none.
//
//go:noinline
func (e *Encoder) EncodeAll(src, dst []byte) []byte {
	if cap(dst) == 0 && len(src) < 1<<20 {
		dst = make([]byte, 0, len(src))
	}
	dst = append(dst, 0x28, 0xb5, 0x2f, 0xfd) // frame magic
	for i := range e.table {
		e.table[i] = -1
	}
	lit := 0
	i := 0
	for i+minMatch <= len(src) {
		u := binary.LittleEndian.Uint32(src[i:])
		h := hash4(u)
		cand := int(e.table[h])
		e.table[h] = int32(i)
		if cand >= 0 && binary.LittleEndian.Uint32(src[cand:]) == u {
			n := minMatch
			for i+n < len(src) && src[cand+n] == src[i+n] {
				n++
			}
			dst = e.emit(dst, src[lit:i], i-cand, n)
			i += n
			lit = i
			continue
		}
		i++
	}
	return e.emit(dst, src[lit:], 0, 0)
}

// emit appends a sequence: literal length, literals, offset, match length.
func (e *Encoder) emit(dst, literals []byte, offset, length int) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(literals)))
	dst = append(dst, literals...)
	dst = binary.AppendUvarint(dst, uint64(offset))
	return binary.AppendUvarint(dst, uint64(length))
}
