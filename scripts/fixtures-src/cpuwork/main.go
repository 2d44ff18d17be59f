// Command cpuwork burns CPU in a few distinct kinds of real work while a
// CPU profile is recorded, for profsql's test fixtures.
//
// Usage: cpuwork [-sort-slices N] OUTPUT.pb.gz
//
// -sort-slices N runs the sorting work for N slices instead of one (the
// other kinds of work are unchanged): -sort-slices 2 writes the "after"
// profile of a before/after pair that does twice the sorting.
package main

import (
	"crypto/sha256"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand"
	"os"
	"regexp"
	"runtime/pprof"
	"sort"
	"strings"
	"time"
)

var sink int

// square and mix are tiny leaf functions the compiler inlines.
func square(x int) int { return x * x }

func mix(a, b int) int { return (a ^ b) + square(a&0xff) }

// fib is a plain recursive function: deep, self-recursive stacks.
func fib(n int) int {
	if n < 2 {
		return n
	}
	return fib(n-1) + fib(n-2)
}

// walk is mutually recursive with walkOdd.
func walk(n int, acc int) int {
	if n == 0 {
		return acc
	}
	return walkOdd(n-1, mix(acc, n))
}

func walkOdd(n int, acc int) int {
	if n == 0 {
		return acc
	}
	return walk(n-1, mix(acc, n*3))
}

func hashWork(buf []byte) {
	for i := 0; i < 200; i++ {
		s := sha256.Sum256(buf)
		buf[i%len(buf)] ^= s[0]
		sink += int(s[1])
	}
}

func sortWork(r *rand.Rand) {
	xs := make([]int, 20000)
	for i := range xs {
		xs[i] = r.Intn(1 << 30)
	}
	sort.Ints(xs)
	words := make([]string, 5000)
	for i := range words {
		words[i] = fmt.Sprintf("w%07d", r.Intn(10000000))
	}
	sort.Strings(words)
	sink += xs[0] + len(words[0])
}

var re = regexp.MustCompile(`([a-z]+)@([a-z]+)\.(com|org|net)`)

func regexpWork(text string) {
	for i := 0; i < 20; i++ {
		sink += len(re.FindAllStringSubmatch(text, -1))
	}
}

type record struct {
	ID    int               `json:"id"`
	Name  string            `json:"name"`
	Tags  []string          `json:"tags"`
	Attrs map[string]string `json:"attrs"`
	Score float64           `json:"score"`
}

func jsonWork(recs []record) {
	b, err := json.Marshal(recs)
	if err != nil {
		panic(err)
	}
	sink += len(b)
}

func recursionWork() {
	sink += fib(24)
	for i := 0; i < 200; i++ {
		sink += walk(300, i)
	}
}

// runFor calls f repeatedly until d has elapsed.
func runFor(d time.Duration, f func()) {
	end := time.Now().Add(d)
	for time.Now().Before(end) {
		f()
	}
}

func main() {
	sortSlices := flag.Int("sort-slices", 1, "run the sorting work for `N` slices")
	flag.Parse()
	if flag.NArg() != 1 || *sortSlices < 1 {
		fmt.Fprintln(os.Stderr, "usage: cpuwork [-sort-slices N] OUTPUT.pb.gz")
		os.Exit(2)
	}
	out, err := os.Create(flag.Arg(0))
	if err != nil {
		panic(err)
	}
	r := rand.New(rand.NewSource(1))
	buf := make([]byte, 4096)
	r.Read(buf)
	var sb strings.Builder
	for i := 0; i < 400; i++ {
		fmt.Fprintf(&sb, "user%d %s@%s.com lorem ipsum ", i, strings.Repeat("ab", 1+i%5), "example")
	}
	text := sb.String()
	recs := make([]record, 200)
	for i := range recs {
		recs[i] = record{ID: i, Name: fmt.Sprint("name", i), Tags: []string{"a", "b", "c"},
			Attrs: map[string]string{"k": "v", "x": fmt.Sprint(i)}, Score: float64(i) / 7}
	}

	if err := pprof.StartCPUProfile(out); err != nil {
		panic(err)
	}
	slice := 500 * time.Millisecond
	runFor(slice, func() { hashWork(buf) })
	runFor(time.Duration(*sortSlices)*slice, func() { sortWork(r) })
	runFor(slice, func() { regexpWork(text) })
	runFor(slice, func() { jsonWork(recs) })
	runFor(slice, recursionWork)
	pprof.StopCPUProfile()
	if err := out.Close(); err != nil {
		panic(err)
	}
	fmt.Fprintln(os.Stderr, "cpuwork: sink", sink)
}
