// Package workflows holds the order worker's Temporal workflows.
package workflows

import "go.temporal.io/sdk/workflow"

// OrderWorkflow waits for the order's next event.
//
//go:noinline
func OrderWorkflow(ctx workflow.Context) error {
	workflow.Await(ctx, "awaiting payment")
	return nil
}

// RefundWorkflow waits for a refund approval or its timer.
//
//go:noinline
func RefundWorkflow(ctx workflow.Context) error {
	sel := workflow.NewSelector(ctx)
	sel.Select(ctx)
	return nil
}
