// Command worker imitates an order service built on Temporal and gRPC
// (with local stand-ins for go.temporal.io/sdk, google.golang.org/grpc,
// google.golang.org/protobuf, go.uber.org/zap, modernc.org/libc and
// github.com/klauspost/compress, see ../../third_party) and writes one
// profile, for profsql's test fixtures.
//
// Usage: worker MODE OUTPUT.pb.gz, MODE one of
//
//	goroutine  goroutine profile of 629 parked goroutines plus main: Temporal
//	           pollers, dispatchers, activities, workflow coroutines, gRPC
//	           server and client transport goroutines, and 600 leaked
//	           api.(*Server).streamUpdates.func1 goroutines
//	cpu        ~3 s CPU profile of gRPC requests served by api.(*Server).GetOrder
//	           (labels endpoint=GetOrder / ListOrders)
//	heap       heap profile after ~1.5 GB of 64 KiB buffers allocated and
//	           dropped by cache.(*Store).refresh, ~20 MB kept
package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"time"

	"example.com/worker/activities"
	"example.com/worker/api"
	"example.com/worker/cache"
	"example.com/worker/workflows"

	"github.com/klauspost/compress/zstd"
	"go.temporal.io/sdk/worker"
	"go.uber.org/zap"
	"google.golang.org/grpc"
)

const (
	getOrder   = "/orders.v1.OrderService/GetOrder"
	listOrders = "/orders.v1.OrderService/ListOrders"
	// The goroutines runGoroutine starts, main included.
	wantGoroutines = 2 + 2 + 5 + 4 + 3 + 1 + 2 + 1 + 3 + 1 + 2 + 2 + 1 + 600 + 1
	leaked         = 600
)

var request = []byte(`{"id": "ord-0003", "view": "FULL", "field_mask": ["id", "status", "items", "total"],
 "consumer": "checkout-web", "verbose": false, "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736",
 "deadline_ms": 250}`)

func newAPI() (*grpc.Server, *api.Server) {
	enc, err := zstd.NewWriter()
	check(err)
	srv := api.NewServer(zap.New("order-worker", io.Discard), enc)
	gs := grpc.NewServer()
	srv.Register(gs)
	return gs, srv
}

func runGoroutine(out string) {
	frontend, err := grpc.Dial("temporal-frontend:7233", grpc.WithKeepalive(time.Hour))
	check(err)
	_, err = grpc.Dial("payments:9090")
	check(err)

	w := worker.New(frontend, "orders", worker.Options{Identity: "order-worker@1",
		MaxConcurrentActivityTaskPollers: 2, MaxConcurrentWorkflowTaskPollers: 2})
	w.RegisterActivity("ChargeCard", activities.ChargeCardActivity)
	w.RegisterWorkflow("OrderWorkflow", workflows.OrderWorkflow)
	w.RegisterWorkflow("RefundWorkflow", workflows.RefundWorkflow)
	check(w.Start())
	w.DeliverActivityTasks("ChargeCard", 5)
	w.DeliverWorkflowTasks("OrderWorkflow", 4)
	w.DeliverWorkflowTasks("RefundWorkflow", 3)

	gs, srv := newAPI()
	go gs.Serve(grpc.NewListener())
	srv.BeginMaintenance() // GetOrder callers wait on the server's mutex
	conn := &grpc.ServerConn{Async: true}
	for i := 0; i < 3; i++ {
		conn.Streams = append(conn.Streams, &grpc.Stream{Method: getOrder, Payload: request})
	}
	gs.ServeConn(context.Background(), conn)
	for i := 0; i < leaked; i++ {
		srv.WatchOrder(context.Background(), fmt.Sprintf("ord-%04d", i))
	}

	waitParked(wantGoroutines)
	f, err := os.Create(out)
	check(err)
	check(pprof.Lookup("goroutine").WriteTo(f, 0))
	check(f.Close())
	fmt.Fprintln(os.Stderr, "worker: goroutines:", runtime.NumGoroutine())
}

// waitParked waits until want goroutines exist and all but this one are
// blocked (none running, runnable or in a system call).
func waitParked(want int) {
	buf := make([]byte, 8<<20)
	deadline := time.Now().Add(20 * time.Second)
	for {
		for i := 0; i < 20; i++ {
			runtime.Gosched()
		}
		time.Sleep(20 * time.Millisecond)
		n := runtime.NumGoroutine()
		busy := 0
		if n == want {
			dump := buf[:runtime.Stack(buf, true)]
			for _, line := range bytes.Split(dump, []byte("\n")) {
				if bytes.HasPrefix(line, []byte("goroutine ")) &&
					(bytes.Contains(line, []byte("[running")) || bytes.Contains(line, []byte("[runnable")) ||
						bytes.Contains(line, []byte("[syscall"))) {
					busy++
				}
			}
			if busy == 1 { // this goroutine
				time.Sleep(100 * time.Millisecond)
				return
			}
		}
		if time.Now().After(deadline) {
			fmt.Fprintf(os.Stderr, "worker: %d goroutines (want %d), %d not parked\n", n, want, busy)
			os.Exit(1)
		}
	}
}

func runCPU(out string) {
	gs, _ := newAPI()
	f, err := os.Create(out)
	check(err)
	check(pprof.StartCPUProfile(f))
	start := time.Now()
	requests := 0
	for i := 0; time.Since(start) < 3*time.Second; i++ {
		endpoint, method := "GetOrder", getOrder
		if i%5 == 4 {
			endpoint, method = "ListOrders", listOrders
		}
		pprof.Do(context.Background(), pprof.Labels("endpoint", endpoint), func(ctx context.Context) {
			conn := &grpc.ServerConn{Streams: []*grpc.Stream{{Method: method, Payload: request}}}
			gs.ServeConn(ctx, conn)
			check(conn.Streams[0].Err)
		})
		requests++
	}
	pprof.StopCPUProfile()
	check(f.Close())
	fmt.Fprintln(os.Stderr, "worker: requests:", requests)
}

func runHeap(out string) {
	enc, err := zstd.NewWriter()
	check(err)
	store := cache.NewStore(enc)
	store.Run(1600) // 1600 * 15 + 320 buffers of 64 KiB: ~1520 MiB
	runtime.GC()
	f, err := os.Create(out)
	check(err)
	check(pprof.Lookup("heap").WriteTo(f, 0))
	check(f.Close())
	fmt.Fprintln(os.Stderr, "worker: kept bytes:", store.Live())
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "worker:", err)
		os.Exit(1)
	}
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: worker goroutine|cpu|heap OUTPUT.pb.gz")
		os.Exit(2)
	}
	switch os.Args[1] {
	case "goroutine":
		runGoroutine(os.Args[2])
	case "cpu":
		runCPU(os.Args[2])
	case "heap":
		runHeap(os.Args[2])
	default:
		fmt.Fprintln(os.Stderr, "worker: unknown mode", os.Args[1])
		os.Exit(2)
	}
}
