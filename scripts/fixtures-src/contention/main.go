// Command contention runs goroutines fighting over a hot sync.Mutex and
// blocking on channels, with runtime.SetMutexProfileFraction(1) and
// runtime.SetBlockProfileRate(1), then writes the mutex and block
// profiles, for profsql's test fixtures.
//
// Usage: contention MUTEX_OUTPUT.pb.gz BLOCK_OUTPUT.pb.gz
package main

import (
	"crypto/sha256"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"sync"
	"sync/atomic"
	"time"
)

var (
	mu      sync.Mutex
	counter [32]byte
	scratch [512]byte
	rw      sync.RWMutex
	table   = map[int]int{}
)

// hotLoop takes the shared mutex many times and does a little work while
// holding it, so other workers queue up behind it.
func hotLoop(iters int) {
	for i := 0; i < iters; i++ {
		mu.Lock()
		copy(scratch[:], counter[:])
		counter = sha256.Sum256(scratch[:])
		mu.Unlock()
	}
}

// readers and writer contend on an RWMutex; readers run until the writer
// is done.
var writerDone int32

func reader() {
	for i := 0; atomic.LoadInt32(&writerDone) == 0; i++ {
		rw.RLock()
		_ = table[i%64]
		rw.RUnlock()
	}
}

func writer(iters int) {
	for i := 0; i < iters; i++ {
		rw.Lock()
		table[i%64] = i
		time.Sleep(20 * time.Microsecond)
		rw.Unlock()
	}
	atomic.StoreInt32(&writerDone, 1)
}

// producer/consumer over an unbuffered channel: the consumer is slow, so
// the producer blocks in chan send; the consumer blocks in chan receive
// while the producer computes.
func producer(ch chan<- [32]byte, n int) {
	var s [32]byte
	for i := 0; i < n; i++ {
		s = sha256.Sum256(s[:])
		ch <- s
	}
	close(ch)
}

func consumer(ch <-chan [32]byte, done chan<- int) {
	n := 0
	for v := range ch {
		n += int(v[0])
		time.Sleep(50 * time.Microsecond)
	}
	done <- n
}

// selector waits in select on two channels fed by tickers.
func selector(a, b <-chan int, quit <-chan struct{}) int {
	n := 0
	for {
		select {
		case v := <-a:
			n += v
		case v := <-b:
			n -= v
		case <-quit:
			return n
		}
	}
}

func feed(ch chan<- int, every time.Duration, quit <-chan struct{}) {
	for i := 0; ; i++ {
		select {
		case <-quit:
			return
		case <-time.After(every):
			ch <- i
		}
	}
}

func write(name, path string) {
	f, err := os.Create(path)
	if err != nil {
		panic(err)
	}
	if err := pprof.Lookup(name).WriteTo(f, 0); err != nil {
		panic(err)
	}
	if err := f.Close(); err != nil {
		panic(err)
	}
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: contention MUTEX_OUTPUT.pb.gz BLOCK_OUTPUT.pb.gz")
		os.Exit(2)
	}
	runtime.SetMutexProfileFraction(1)
	runtime.SetBlockProfileRate(1)

	var wg sync.WaitGroup
	for i := 0; i < 6; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); hotLoop(20000) }()
	}
	for i := 0; i < 3; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); reader() }()
	}
	wg.Add(1)
	go func() { defer wg.Done(); writer(300) }()

	ch := make(chan [32]byte)
	done := make(chan int)
	go producer(ch, 1000)
	go consumer(ch, done)

	a, b := make(chan int), make(chan int)
	quit := make(chan struct{})
	selDone := make(chan int)
	go func() { selDone <- selector(a, b, quit) }()
	go feed(a, time.Millisecond, quit)
	go feed(b, 3*time.Millisecond, quit)

	wg.Wait() // main blocks in WaitGroup.Wait
	n := <-done
	close(quit)
	m := <-selDone

	// Do not reset the rates before writing: the mutex profile's values
	// are scaled by the current SetMutexProfileFraction, so resetting it
	// to 0 would zero every sample.
	write("mutex", os.Args[1])
	write("block", os.Args[2])
	fmt.Fprintln(os.Stderr, "contention:", counter[0], n, m)
}
