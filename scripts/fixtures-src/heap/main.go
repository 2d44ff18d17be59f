// Command heap allocates from a few distinct call sites with
// runtime.MemProfileRate=1 and writes the "allocs" profile (4 sample types:
// alloc_objects, alloc_space, inuse_objects, inuse_space; samples carry the
// numeric "bytes" label), for profsql's test fixtures.
//
// The "allocs" profile holds the same data as the "heap" profile
// (WriteHeapProfile) but names alloc_space as its default sample type
// (shown as [dflt] by `go tool pprof -raw`), whereas the "heap" profile
// names none, so tools fall back to the last type, inuse_space.
//
// Usage: heap OUTPUT.pb.gz
package main

import (
	"bytes"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"strings"
)

func init() {
	// Record every allocation. Must be set as early as possible.
	runtime.MemProfileRate = 1
}

type node struct {
	left, right *node
	val         [4]int64
}

var (
	keepNodes  []*node
	keepBufs   [][]byte
	keepMaps   []map[int]string
	keepString []string
)

// buildTree allocates fixed-size nodes recursively (48-byte objects).
func buildTree(depth int) *node {
	n := &node{}
	if depth > 0 {
		n.left = buildTree(depth - 1)
		n.right = buildTree(depth - 1)
	}
	return n
}

// bigBuffers allocates a few large byte slices of different sizes; half
// of them are kept alive (in use), half become garbage.
func bigBuffers() {
	for i := 0; i < 16; i++ {
		b := make([]byte, 4096<<(i%4))
		if i%2 == 0 {
			keepBufs = append(keepBufs, b)
		}
	}
}

// smallMaps allocates maps (buckets of varying size), all kept.
func smallMaps() {
	for i := 0; i < 40; i++ {
		m := make(map[int]string, i)
		for j := 0; j < i; j++ {
			m[j] = "x"
		}
		keepMaps = append(keepMaps, m)
	}
}

// garbageStrings allocates strings that are all dropped.
func garbageStrings() int {
	total := 0
	for i := 0; i < 500; i++ {
		s := strings.Repeat("ab", 1+i%50)
		total += len(s)
	}
	return total
}

// builder grows a bytes.Buffer (amortised doubling allocations).
func builder() string {
	var b bytes.Buffer
	for i := 0; i < 2000; i++ {
		fmt.Fprintf(&b, "%d,", i)
	}
	s := b.String()
	keepString = append(keepString, s)
	return s
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: heap OUTPUT.pb.gz")
		os.Exit(2)
	}
	for i := 0; i < 4; i++ {
		keepNodes = append(keepNodes, buildTree(6))
	}
	buildTree(7) // garbage
	bigBuffers()
	smallMaps()
	n := garbageStrings()
	s := builder()

	// The heap profile reflects the state as of the most recently
	// completed GC; run one so all allocations above are accounted for.
	runtime.GC()
	out, err := os.Create(os.Args[1])
	if err != nil {
		panic(err)
	}
	if err := pprof.Lookup("allocs").WriteTo(out, 0); err != nil {
		panic(err)
	}
	if err := out.Close(); err != nil {
		panic(err)
	}
	runtime.KeepAlive(keepNodes)
	runtime.KeepAlive(keepBufs)
	runtime.KeepAlive(keepMaps)
	runtime.KeepAlive(keepString)
	fmt.Fprintln(os.Stderr, "heap:", n, len(s))
}
