// Package activities holds the order worker's Temporal activities.
package activities

import (
	"context"
	"time"
)

// ChargeCardActivity charges the order's card (here: waits for the
// payment provider for an hour).
//
//go:noinline
func ChargeCardActivity(ctx context.Context, input []byte) error {
	time.Sleep(time.Hour)
	return ctx.Err()
}
