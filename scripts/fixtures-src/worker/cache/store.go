// Package cache is the order worker's in-memory cache of order snapshots.
package cache

import (
	"bytes"

	"github.com/klauspost/compress/zstd"
	"modernc.org/libc"
)

// BufSize is the size of every buffer the store allocates.
const BufSize = 64 << 10

// sink receives the buffers that are dropped right away.
var sink []byte

// Store refreshes snapshots (allocating and dropping buffers) and keeps a
// few of them.
type Store struct {
	tls  *libc.TLS
	enc  *zstd.Encoder
	src  []byte
	live [][]byte
}

// NewStore returns an empty store.
func NewStore(enc *zstd.Encoder) *Store {
	line := []byte(`{"id":"ord-0001","customer":"cus-007","status":"PAID","items":[{"sku":"SKU-00001","quantity":2}]}` + "\n")
	src := bytes.Repeat(line, BufSize/len(line)+1)[:BufSize]
	return &Store{tls: libc.NewTLS(), enc: enc, src: src}
}

// Run refreshes the store rounds times: per round 15 buffers of 64 KiB (12
// of its own, 2 through libc, 1 from zstd), and one kept every 5 rounds.
func (s *Store) Run(rounds int) {
	for r := 0; r < rounds; r++ {
		s.refresh(r)
	}
}

// Live is the number of bytes the store keeps.
func (s *Store) Live() int { return len(s.live) * BufSize }

//go:noinline
func (s *Store) refresh(round int) {
	for i := 0; i < 12; i++ {
		b := make([]byte, BufSize)
		b[i] = byte(round)
		sink = b
	}
	for i := 0; i < 2; i++ {
		b := s.tls.Alloc(BufSize)
		b[i] = byte(round)
		sink = b
		s.tls.Free(BufSize)
	}
	sink = s.enc.EncodeAll(s.src, nil)
	if round%5 == 0 {
		s.keep(round)
	}
}

// keep allocates a buffer that the store holds on to.
//
//go:noinline
func (s *Store) keep(round int) {
	b := make([]byte, BufSize)
	copy(b, s.src)
	b[0] = byte(round)
	s.live = append(s.live, b)
}
