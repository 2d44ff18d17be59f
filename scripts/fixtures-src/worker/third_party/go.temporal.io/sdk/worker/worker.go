// Package worker is a stand-in for go.temporal.io/sdk/worker.
package worker

import (
	"go.temporal.io/sdk/internal"
	"google.golang.org/grpc"
)

// Options configures a worker.
type Options = internal.WorkerOptions

// Worker polls one task queue.
type Worker = *internal.AggregatedWorker

// New returns a worker for taskQueue.
func New(cc *grpc.ClientConn, taskQueue string, o Options) Worker {
	return internal.NewAggregatedWorker(cc, taskQueue, o)
}
