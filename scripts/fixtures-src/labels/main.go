// Command labels records a CPU profile of work that runs under pprof.Do
// label sets, for profsql's test fixtures.
//
// Label sets used:
//   - tenant ∈ {t1, t2, t3} (t2 does 2x and t3 3x the work of t1),
//   - nested inside tenant: op ∈ {hash, sort},
//   - nested inside tenant=t3,op=hash: stage=final (three labels deep),
//   - tenant only (no op): a small checksum loop,
//   - unlabeled: JSON encoding and a recursive function.
//
// Usage: labels OUTPUT.pb.gz
package main

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"runtime/pprof"
	"sort"
	"time"
)

var sink int

func hashRounds(buf []byte, n int) {
	for i := 0; i < n; i++ {
		s := sha256.Sum256(buf)
		buf[i%len(buf)] ^= s[0]
		sink += int(s[2])
	}
}

func sortRounds(r *rand.Rand, n int) {
	xs := make([]int, 3000)
	for k := 0; k < n; k++ {
		for i := range xs {
			xs[i] = r.Intn(1 << 30)
		}
		sort.Ints(xs)
		sink += xs[0]
	}
}

func checksum(buf []byte, n int) {
	var c uint32
	for k := 0; k < n; k++ {
		for _, b := range buf {
			c = c*31 + uint32(b)
		}
	}
	sink += int(c & 1)
}

func fib(n int) int {
	if n < 2 {
		return n
	}
	return fib(n-1) + fib(n-2)
}

func unlabeled(v interface{}) {
	for i := 0; i < 3; i++ {
		b, err := json.Marshal(v)
		if err != nil {
			panic(err)
		}
		sink += len(b)
	}
	sink += fib(22)
}

func tenantWork(ctx context.Context, tenant string, weight int, r *rand.Rand, buf []byte) {
	pprof.Do(ctx, pprof.Labels("op", "hash"), func(ctx context.Context) {
		hashRounds(buf, 20*weight)
		if tenant == "t3" {
			pprof.Do(ctx, pprof.Labels("stage", "final"), func(context.Context) {
				hashRounds(buf, 10)
			})
		}
	})
	pprof.Do(ctx, pprof.Labels("op", "sort"), func(context.Context) {
		sortRounds(r, 2*weight)
	})
	checksum(buf, 15*weight)
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: labels OUTPUT.pb.gz")
		os.Exit(2)
	}
	out, err := os.Create(os.Args[1])
	if err != nil {
		panic(err)
	}
	r := rand.New(rand.NewSource(2))
	buf := make([]byte, 4096)
	r.Read(buf)
	doc := map[string]interface{}{}
	for i := 0; i < 300; i++ {
		doc[fmt.Sprint("key", i)] = []interface{}{i, "value", float64(i) / 3, true}
	}

	if err := pprof.StartCPUProfile(out); err != nil {
		panic(err)
	}
	ctx := context.Background()
	tenants := []string{"t1", "t2", "t3"}
	end := time.Now().Add(2500 * time.Millisecond)
	for time.Now().Before(end) {
		for i, t := range tenants {
			pprof.Do(ctx, pprof.Labels("tenant", t), func(ctx context.Context) {
				tenantWork(ctx, t, i+1, r, buf)
			})
		}
		unlabeled(doc)
	}
	pprof.StopCPUProfile()
	if err := out.Close(); err != nil {
		panic(err)
	}
	fmt.Fprintln(os.Stderr, "labels: sink", sink)
}
