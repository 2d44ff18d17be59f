// Command goroutines parks about 30 goroutines in different places (chan
// receive, chan send, select, sync.Mutex, sync.RWMutex, sync.Cond,
// sync.WaitGroup, time.Sleep), some started under pprof.Do labels, then
// writes the goroutine profile, for profsql's test fixtures.
//
// Usage: goroutines OUTPUT.pb.gz
package main

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"sync"
	"time"
)

var started sync.WaitGroup

func recvForever(ch <-chan int) {
	started.Done()
	<-ch
}

func sendForever(ch chan<- int) {
	started.Done()
	ch <- 1
}

func selectForever(a, b <-chan int) {
	started.Done()
	select {
	case <-a:
	case <-b:
	}
}

func lockForever(mu *sync.Mutex) {
	started.Done()
	mu.Lock()
}

func rlockForever(rw *sync.RWMutex) {
	started.Done()
	rw.RLock()
}

func condForever(c *sync.Cond) {
	started.Done()
	c.L.Lock()
	c.Wait()
}

func waitGroupForever(wg *sync.WaitGroup) {
	started.Done()
	wg.Wait()
}

func sleepForever() {
	started.Done()
	time.Sleep(time.Hour)
}

// worker is started under labels pool=<name>, worker=<i>.
func worker(jobs <-chan int) {
	started.Done()
	for range jobs {
	}
}

func spawn(n int, f func()) {
	for i := 0; i < n; i++ {
		started.Add(1)
		go f()
	}
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: goroutines OUTPUT.pb.gz")
		os.Exit(2)
	}
	never := make(chan int)
	full := make(chan int) // unbuffered, nobody receives
	var mu sync.Mutex
	mu.Lock()
	var rw sync.RWMutex
	rw.Lock()
	cond := sync.NewCond(&sync.Mutex{})
	var pending sync.WaitGroup
	pending.Add(1)

	spawn(6, func() { recvForever(never) })
	spawn(3, func() { sendForever(full) })
	spawn(4, func() { selectForever(never, never) })
	spawn(3, func() { lockForever(&mu) })
	spawn(2, func() { rlockForever(&rw) })
	spawn(2, func() { condForever(cond) })
	spawn(2, func() { waitGroupForever(&pending) })
	spawn(3, sleepForever)

	jobs := make(chan int)
	for _, pool := range []string{"io", "cpu"} {
		pprof.Do(context.Background(), pprof.Labels("pool", pool), func(ctx context.Context) {
			for i := 0; i < 3; i++ {
				pprof.Do(ctx, pprof.Labels("worker", fmt.Sprint(i)), func(context.Context) {
					started.Add(1)
					go worker(jobs)
				})
			}
		})
	}
	started.Wait()
	// Give every goroutine time to reach its parking point.
	for i := 0; i < 50; i++ {
		runtime.Gosched()
	}
	time.Sleep(200 * time.Millisecond)

	f, err := os.Create(os.Args[1])
	if err != nil {
		panic(err)
	}
	if err := pprof.Lookup("goroutine").WriteTo(f, 0); err != nil {
		panic(err)
	}
	if err := f.Close(); err != nil {
		panic(err)
	}
	fmt.Fprintln(os.Stderr, "goroutines:", runtime.NumGoroutine())
}
