// Package libc is a stand-in for modernc.org/libc: per-thread state whose
// Alloc hands out Go-allocated byte slices (the real one returns uintptr
// into its own heap).
package libc

// TLS is the C thread-local state of one goroutine.
type TLS struct {
	ID        int32
	allocs    int
	allocated int64
}

// NewTLS returns a new thread state.
func NewTLS() *TLS { return &TLS{ID: 1} }

// Alloc allocates n bytes.
//
//go:noinline
func (t *TLS) Alloc(n int) []byte {
	b := make([]byte, n)
	t.allocs++
	t.allocated += int64(n)
	return b
}

// Free releases memory from Alloc (the garbage collector does the work).
func (t *TLS) Free(n int) { t.allocated -= int64(n) }
